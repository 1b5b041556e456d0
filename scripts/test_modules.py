"""Which modules with logic have a same-named test module beside them (tests/budgets/test_book.py for
src/rungway/budgets/book.py): prints the share and the modules without one, largest first.

A report, not a gate: run `python scripts/test_modules.py` to see what to test next. A module with
logic is one that defines a function or method; migrations are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path("src/rungway")
TESTS = Path("tests")


def has_logic(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(tree))


def main() -> None:
    tested: list[Path] = []
    untested: list[tuple[int, Path]] = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if path.name == "__init__.py" or "migrations" in relative.parts or not has_logic(path):
            continue
        beside = TESTS / relative.parent / f"test_{path.name}"
        if beside.exists():
            tested.append(relative)
        else:
            untested.append((len(path.read_text().splitlines()), relative))
    total = len(tested) + len(untested)
    print(f"{len(tested)} of {total} modules with logic have a same-named test module ({len(tested) / total:.0%})")
    for lines, relative in sorted(untested, reverse=True):
        print(f"  {lines:5d} lines  src/rungway/{relative}")


if __name__ == "__main__":
    main()
