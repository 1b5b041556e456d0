"""`python -m rungway` is the `rungway` command."""

from rungway.cli.main import main

main()
