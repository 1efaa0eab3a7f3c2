"""Every notebook under notebooks/ runs with the kubesim kernel without an error output, and
is committed without outputs (run_notebooks.py does the work)."""

from __future__ import annotations

import pytest

import run_notebooks


@pytest.mark.parametrize("path", run_notebooks.notebooks(), ids=lambda p: p.name)
def test_notebook_runs_clean(path):
    result = run_notebooks.run(path)
    assert not result.problems, "\n".join(result.problems)


def test_there_are_notebooks():
    assert run_notebooks.notebooks(), "no notebooks under notebooks/"
