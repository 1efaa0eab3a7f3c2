"""Runs every notebook under notebooks/ with the kubesim kernel, and fails on an error.

    python tests/kernel/run_notebooks.py [NOTEBOOK...]

Each notebook is executed from its first cell to its last with nbclient, with a time limit per
cell; any `error` output fails it. The notebooks are committed without outputs, so that they stay clean and their diffs
readable: that is checked too. The executed copies are not written back.

tests/run.sh runs this through test_notebooks.py; run it alone after `kubesim kernel install`
(or with JUPYTER_PATH pointing at a kernelspec).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "kubesim"
CELL_TIMEOUT = 60  # seconds, per cell
START_TIMEOUT = 60  # seconds, for the kernel to start


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.rglob("*.ipynb"), key=lambda p: p.relative_to(NOTEBOOKS).as_posix())


def problems_when_committed(nb: nbformat.NotebookNode) -> list[str]:
    """What should not be in a committed notebook: outputs, execution counts, another kernel."""
    found = []
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL:
        found.append(f"its kernelspec is {kernel!r}, not {KERNEL!r}")
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {i} ({cell.get('id')}) has outputs: commit it cleared")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i} ({cell.get('id')}) has an execution count: commit it cleared")
    return found


class Result:
    """What running one notebook found: its problems (failures)."""

    def __init__(self) -> None:
        self.problems: list[str] = []


def describe(i: int, cell: nbformat.NotebookNode, out: dict) -> str:
    source = cell.source if len(cell.source) < 200 else cell.source[:200] + "..."
    return f"cell {i} ({cell.get('id')}):\n{source}\n-> {out.get('ename')}: {out.get('evalue')}"


def run(path: Path) -> Result:
    """Executes one notebook and says what went wrong."""
    result = Result()
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    result.problems.extend(problems_when_committed(nb))
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=START_TIMEOUT,
        allow_errors=True,  # every cell runs; errors are sorted out below
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except Exception as e:  # a timeout, a dead kernel: say which notebook
        result.problems.append(f"{type(e).__name__}: {e}")
    for i, cell in enumerate(nb.cells, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            result.problems.append(describe(i, cell, out))
    return result


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] if argv else notebooks()
    if not paths:
        print(f"no notebooks under {NOTEBOOKS}")
        return 1
    failed = 0
    for path in paths:
        result = run(path)
        status = "FAILED" if result.problems else "ok"
        print(f"{path}: {status}")
        for p in result.problems:
            print("  " + p.replace("\n", "\n  "))
        failed += bool(result.problems)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
