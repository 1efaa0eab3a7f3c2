"""Shared set-up of the kernel checks.

No test here may be skipped: jupyter_kernel_test skips a test whose sample is missing, and a
kernel that silently lost a feature would pass that way. A skip (of a test or of a subtest)
is reported as a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

_skips = 0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, which this suite does not allow: {reason}"
        global _skips
        _skips += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A subtest's report does not count in the exit status by itself.
    if _skips and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def kubesim_bin() -> str:
    """The kubesim binary under test: $KUBESIM_BIN (tests/run.sh sets it), else on PATH."""
    path = os.environ.get("KUBESIM_BIN") or shutil.which("kubesim")
    if not path:
        pytest.fail("set KUBESIM_BIN to the kubesim binary (tests/run.sh does)")
    return path
