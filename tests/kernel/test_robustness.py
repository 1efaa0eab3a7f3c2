"""The robustness suite (tests/robustness/*.case) through the kernel: each case's inputs run as
cells of one kernel, started in a fresh working directory with the suite's fixtures, between
the same prologue and epilogue as in repl/tests/robustness.rs. What the cells show, written as
the REPL writes it, must equal the case's `.out` file, so the REPL and the kernel answer alike
and the kernel's session outlives every case.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import time

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

TIMEOUT = 60
ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "tests" / "robustness").rglob("*.case"))
PROLOGUE = ['let kept = "session intact";', "kubectl run keeper --image=nginx"]
EPILOGUE = ["kept", "kubectl get pod keeper -o name"]
INTACT = "session intact\npod/keeper\n"
REQUEST_LIMIT = 3 * 1024 * 1024


def inputs(text: str) -> list[str]:
    """The text between `# %%` lines, blank lines at either end dropped."""
    chunks, current = [], []
    for line in text.splitlines():
        if line.startswith("# %%"):
            chunks.append(current)
            current = []
        else:
            current.append(line)
    chunks.append(current)
    out = []
    for lines in chunks:
        body = "\n".join(lines).strip("\n")
        if body.strip():
            out.append(body + "\n")
    return out


def workdir(tmp_path: pathlib.Path) -> pathlib.Path:
    os.mkfifo(tmp_path / "fifo")
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: "
    (tmp_path / "big.yaml").write_text(head + "x" * (REQUEST_LIMIT - len(head)) + "\n")
    return tmp_path


def run_cell(kc, code: str) -> str:
    """What a cell shows, as the piped REPL prints it: printed text as it comes, displays, the
    value on its own line, the error's message. Progress displays (they depend on wall time)
    are left out."""
    msg_id = kc.execute(code)
    shown = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            shown.append(content["text"])
        elif kind == "display_data" and not content.get("transient", {}).get("display_id"):
            text = content["data"]["text/plain"]
            shown.append(text if text.endswith("\n") else text + "\n")
        elif kind == "execute_result":
            shown.append(content["data"]["text/plain"].rstrip("\n") + "\n")
        elif kind == "error":
            shown.append(content["evalue"] + "\n")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return "".join(shown)


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(ROOT / "tests" / "robustness")) for c in CASES])
def test_case_through_the_kernel(case: pathlib.Path, tmp_path: pathlib.Path):
    expected_path = case.with_suffix(".out")
    if not expected_path.exists():
        pytest.fail(f"no {expected_path.name}: run UPDATE_EXPECT=1 cargo test -p kubesim --test robustness")
    cwd = workdir(tmp_path)
    km = KernelManager(kernel_name="kubesim")
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        transcript = "".join(run_cell(kc, code) for code in PROLOGUE + inputs(case.read_text()) + EPILOGUE)
        assert km.is_alive(), "the kernel died"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    for shown in {str(cwd), os.path.realpath(cwd)}:
        transcript = transcript.replace(shown, "$WORKDIR")
    assert transcript.endswith(INTACT), "the session did not come through intact:\n" + transcript
    assert transcript == expected_path.read_text()


def test_the_suite_has_cases():
    assert CASES, "no cases under tests/robustness"


def test_the_kernel_honours_the_file_grants_of_its_kernelspec(kubesim_bin, tmp_path: pathlib.Path):
    """`kernel install --allow-read=DIR` puts the grant into the kernelspec's argv, and the
    kernel Jupyter starts from it may read there, and still nowhere else."""
    granted = tmp_path / "granted"
    granted.mkdir()
    (granted / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: granted\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: elsewhere\n")
    cwd = tmp_path / "notebooks"
    cwd.mkdir()
    prefix = tmp_path / "prefix"
    subprocess.run([kubesim_bin, "kernel", "install", "--prefix", str(prefix), f"--allow-read={granted}"],
                   check=True, capture_output=True)
    ksm = KernelSpecManager(kernel_dirs=[str(prefix / "share" / "jupyter" / "kernels")])
    km = KernelManager(kernel_name="kubesim", kernel_spec_manager=ksm)
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        assert run_cell(kc, f"kubectl apply -f {granted}/ns.yaml") == "namespace/granted created\n"
        refused = run_cell(kc, f"kubectl apply -f {elsewhere}/ns.yaml")
        assert "is not allowed" in refused and "--allow-read=" in refused, refused
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
