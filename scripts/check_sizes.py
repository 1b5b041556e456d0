"""Size budget: modules over 800 lines and functions over 100 lines fail `make lint`.

An exception goes in ALLOWED with the reason it is worth it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100
ALLOWED: dict[str, str] = {}


def main() -> int:
    problems = []
    for path in sorted(Path("src").rglob("*.py")):
        text = path.read_text()
        lines = text.count("\n") + 1
        name = str(path)
        if lines > MAX_MODULE_LINES and name not in ALLOWED:
            problems.append(f"{name}: {lines} lines (budget {MAX_MODULE_LINES}); split it by concern")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                where = f"{name}:{node.lineno} {node.name}"
                if length > MAX_FUNCTION_LINES and where not in ALLOWED:
                    problems.append(f"{where}: {length} lines (budget {MAX_FUNCTION_LINES}); extract steps")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
