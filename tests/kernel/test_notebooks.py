"""Every notebook under notebooks/ runs with the kubesim kernel without an error output, and
is committed without outputs (run_notebooks.py does the work). A notebook whose only errors
come from kubesim functions that are not built yet (they say so) is an expected failure that
names them."""

from __future__ import annotations

import pytest

import run_notebooks


@pytest.mark.parametrize("path", run_notebooks.notebooks(), ids=lambda p: p.name)
def test_notebook_runs_clean(path):
    result = run_notebooks.run(path)
    assert not result.problems, "\n".join(result.problems)
    if result.pending:
        pytest.xfail("cells wait for functions not built yet:\n" + "\n".join(result.pending))


def test_there_are_notebooks():
    assert run_notebooks.notebooks(), "no notebooks under notebooks/"
