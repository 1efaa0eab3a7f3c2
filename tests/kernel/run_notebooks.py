"""Runs every notebook under notebooks/ with the kubesim kernel, and fails on an error.

    python tests/kernel/run_notebooks.py [NOTEBOOK...]

Each notebook is executed from its first cell to its last with nbclient, with a time limit per
cell; any `error` output fails it (nbclient stops at the first). The notebooks are committed
without outputs, so that they stay clean and their diffs readable: that is checked too. The
executed copies are not written back. tests/run.sh runs this through test_notebooks.py; run
it alone after `kubesim kernel install` (or with JUPYTER_PATH pointing at a kernelspec).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

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


def errors_in(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs of an executed notebook, with the cell they are in."""
    found = []
    for i, cell in enumerate(nb.cells, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                source = cell.source if len(cell.source) < 200 else cell.source[:200] + "..."
                found.append(f"cell {i} ({cell.get('id')}):\n{source}\n-> {out.get('ename')}: {out.get('evalue')}")
    return found


def run(path: Path) -> list[str]:
    """Executes one notebook; returns what went wrong (nothing when it ran clean)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    problems = problems_when_committed(nb)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=START_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as e:
        problems.append(f"a cell failed:\n{e}")
    except Exception as e:  # a timeout, a dead kernel: say which notebook
        problems.append(f"{type(e).__name__}: {e}")
    else:
        # Cells tagged raises-exception do not stop nbclient; they fail here all the same.
        problems.extend(errors_in(nb))
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] if argv else notebooks()
    if not paths:
        print(f"no notebooks under {NOTEBOOKS}")
        return 1
    failed = 0
    for path in paths:
        problems = run(path)
        status = "ok" if not problems else "FAILED"
        print(f"{path}: {status}")
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        failed += bool(problems)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
