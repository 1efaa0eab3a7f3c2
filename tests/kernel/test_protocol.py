"""What the kubesim kernel promises beyond the conformance suite: its kernelspec, the order
and parents of an execute's messages, state kept between cells, kubesim's own inputs
(kubectl lines, YAML documents), Unicode cursor positions, interrupt and shutdown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager, start_new_kernel

TIMEOUT = 30


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_new_kernel(kernel_name="kubesim", startup_timeout=TIMEOUT)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def execute(kc, code: str, **kwargs: Any) -> tuple[dict, list[dict]]:
    """Runs `code`; returns the execute_reply and every IOPub message of the request, from
    `busy` to `idle` included."""
    return collect(kc, kc.execute(code, **kwargs))


def collect(kc, msg_id: str) -> tuple[dict, list[dict]]:
    """The execute_reply and every IOPub message of request `msg_id`, `busy` to `idle`."""
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    messages = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply, messages


def outputs(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["msg_type"] not in ("status", "execute_input")]


def test_kernelspec(kubesim_bin):
    spec = KernelSpecManager().get_kernel_spec("kubesim")
    assert spec.display_name == "kubesim (Rhai)"
    assert spec.language == "rhai"
    assert spec.interrupt_mode == "message"
    assert "{connection_file}" in spec.argv
    assert os.path.samefile(spec.argv[0], kubesim_bin), spec.argv
    assert spec.argv[1:] == ["kernel", "--connection-file", "{connection_file}"], spec.argv
    with open(os.path.join(spec.resource_dir, "kernel.json"), encoding="utf-8") as f:
        assert json.load(f)["language"] == "rhai"
    # What a user types to see it.
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    listed = subprocess.run([jupyter, "kernelspec", "list"], capture_output=True, text=True, check=True).stdout
    assert any(line.split()[:2] == ["kubesim", spec.resource_dir] for line in listed.splitlines()), listed


def test_kernel_info(kernel):
    _, kc = kernel
    kc.kernel_info()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    content = reply["content"]
    assert content["status"] == "ok"
    assert content["implementation"] == "kubesim"
    assert tuple(int(x) for x in content["protocol_version"].split(".")[:2]) >= (5, 3)
    info = content["language_info"]
    assert (info["name"], info["file_extension"]) == ("rhai", ".rhai")


def test_execute_message_order(kernel):
    _, kc = kernel
    reply, messages = execute(kc, 'print("one"); 40 + 2')
    assert reply["content"]["status"] == "ok"
    types = [m["msg_type"] for m in messages]
    assert types == ["status", "execute_input", "stream", "execute_result", "status"], types
    assert messages[0]["content"]["execution_state"] == "busy"
    assert messages[2]["content"] == {"name": "stdout", "text": "one\n"}
    result = messages[3]["content"]
    assert result["data"]["text/plain"] == "42"
    assert result["execution_count"] == reply["content"]["execution_count"]
    assert messages[1]["content"]["execution_count"] == reply["content"]["execution_count"]


def test_execution_count_only_for_stored_inputs(kernel):
    _, kc = kernel
    first, _ = execute(kc, "1")
    quiet, _ = execute(kc, "2", store_history=False)
    silent, messages = execute(kc, 'print("not shown"); 3', silent=True)
    second, _ = execute(kc, "4")
    n = first["content"]["execution_count"]
    assert second["content"]["execution_count"] == n + 1
    assert silent["content"]["status"] == "ok"
    assert outputs(messages) == [], "a silent execute shows nothing"
    assert quiet["content"]["status"] == "ok"


def test_state_is_kept_between_cells(kernel):
    _, kc = kernel
    execute(kc, "let answer = 40; fn plus_two(n) { n + 2 }")
    reply, messages = execute(kc, "plus_two(answer)")
    assert reply["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs(messages)] == ["42"]


def test_kubectl_line_is_a_table(kernel):
    _, kc = kernel
    _, messages = execute(kc, "kubectl get nodes")
    [result] = outputs(messages)
    assert result["msg_type"] == "execute_result"
    assert result["content"]["data"]["text/plain"].startswith("NAME")
    assert "<table" in result["content"]["data"]["text/html"]
    assert "node-3" in result["content"]["data"]["text/html"]


def test_yaml_cell_is_applied(kernel):
    _, kc = kernel
    code = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"
    reply, messages = execute(kc, code)
    assert reply["content"]["status"] == "ok"
    [result] = outputs(messages)
    assert result["content"]["data"]["text/plain"].strip() == "configmap/settings created"
    _, messages = execute(kc, 'get("cm", "settings").data.color')
    assert outputs(messages)[0]["content"]["data"]["text/plain"] == "blue"


def test_error_reply_and_output(kernel):
    _, kc = kernel
    reply, messages = execute(kc, "no_such_function(1)")
    assert reply["content"]["status"] == "error"
    [error] = outputs(messages)
    assert error["msg_type"] == "error"
    assert error["content"]["ename"] == reply["content"]["ename"]
    assert "no_such_function" in error["content"]["evalue"]
    assert error["content"]["traceback"], "the traceback says where it failed"
    # A failing kubectl command reports kubectl's words.
    reply, messages = execute(kc, "kubectl get pod missing")
    assert reply["content"]["status"] == "error"
    assert 'pods "missing" not found' in outputs(messages)[0]["content"]["evalue"]


def test_complete_counts_code_points(kernel):
    _, kc = kernel
    code = '// überall\nadv'
    kc.complete(code, len(code))
    content = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert content["matches"] == ["advance"]
    assert (content["cursor_start"], content["cursor_end"]) == (len(code) - 3, len(code))


def test_inspect_shows_the_doc(kernel):
    _, kc = kernel
    kc.inspect("advance(", 3)
    content = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert content["status"] == "ok" and content["found"]
    assert "advance" in content["data"]["text/plain"]
    kc.inspect("no_such_thing", 5)
    content = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert content["status"] == "ok" and not content["found"]


def test_comm_info(kernel):
    # Notebook front-ends ask this when they connect.
    _, kc = kernel
    kc.comm_info()
    content = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert content["status"] == "ok"
    assert content["comms"] == {}


def test_heartbeat(kernel):
    km, kc = kernel
    assert km.is_alive()
    deadline = time.monotonic() + 10
    while not kc.hb_channel.is_beating():
        assert time.monotonic() < deadline, "no heartbeat"
        time.sleep(0.1)


def test_interrupt_keeps_the_session():
    km, kc = start_new_kernel(kernel_name="kubesim", startup_timeout=TIMEOUT)
    try:
        execute(kc, "let kept = 7;")
        msg_id = kc.execute("loop { }")
        # Wait until the cell runs (busy), then interrupt it with a message on control.
        while True:
            msg = kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
        time.sleep(0.3)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error"
        reply, messages = execute(kc, "kept * 6")
        assert reply["content"]["status"] == "ok"
        assert outputs(messages)[0]["content"]["data"]["text/plain"] == "42"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _interrupt_and_wait(kc) -> None:
    """Sends `interrupt_request` on the control channel and waits for its reply, so that the
    interrupt has landed before anything else is sent: one that lands late would stop the
    next cell instead (with ipykernel as well)."""
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    while True:
        reply = kc.get_control_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            assert reply["msg_type"] == "interrupt_reply", reply
            return


def _interrupt_when_streamed(km, kc, code: str, wanted: str) -> tuple[dict, str, list[dict]]:
    """Runs `code`, interrupts it once its `stream` output holds `wanted`; returns the reply,
    all the text streamed, and the cell's other outputs."""
    msg_id = kc.execute(code)
    streamed = ""
    interrupted = False
    others = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            assert msg["content"]["name"] == "stdout", msg
            streamed += msg["content"]["text"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        elif kind not in ("status", "execute_input"):
            others.append(msg)
        if wanted in streamed and not interrupted:
            _interrupt_and_wait(kc)
            interrupted = True
    assert interrupted, f"{wanted!r} never streamed: {streamed!r}"
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return reply, streamed, others


def test_watch_streams_its_lines_and_an_interrupt_keeps_them():
    km, kc = start_new_kernel(kernel_name="kubesim", startup_timeout=TIMEOUT)
    try:
        execute(kc, 'kubectl run crash --image=busybox --command -- sh -c "sleep 5; exit 1"')
        # A kubectl line: each change is a `stream` message while the cell runs; the stop
        # button ends the watch and keeps what was sent, which is not sent again as a value.
        reply, streamed, others = _interrupt_when_streamed(km, kc, "kubectl get pods -w", "CrashLoopBackOff")
        assert reply["content"]["status"] == "ok", reply
        assert streamed.startswith("NAME "), streamed
        assert streamed.count("crash ") >= 3, streamed
        assert not [m for m in others if m["msg_type"] == "execute_result"], others
        # `rollout status` streams the same way.
        execute(kc, "kubectl create deployment web --image=nginx --replicas=2")
        reply, streamed, _ = _interrupt_when_streamed(
            km, kc, "kubectl set image deployment/web nginx=nginx:1.28\nkubectl rollout status deploy/web", "web"
        )
        assert 'deployment "web"' in streamed, streamed
        # The script function returns the text; interrupted, it prints what it saw and the
        # cell stops there.
        msg_id = kc.execute('let seen = kubectl("get pods -w"); "not reached"')
        time.sleep(1.0)
        km.interrupt_kernel()
        reply, messages = collect(kc, msg_id)
        assert reply["content"]["status"] == "error"
        # (The message's end says what else stopped the watch, should something have.)
        assert reply["content"]["ename"] == "Interrupted", reply["content"].get("evalue", "")[-300:]
        text = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
        assert text.startswith("NAME ") and "crash" in text, messages
        assert not [m for m in messages if m["msg_type"] == "execute_result"], messages
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_shutdown_ends_the_process():
    km = KernelManager(kernel_name="kubesim")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        msg_id = kc.shutdown()
        reply = kc.control_channel.get_msg(timeout=TIMEOUT)
        assert reply["msg_type"] == "shutdown_reply"
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "ok"
        process = km.provisioner.process
        assert process.wait(timeout=10) == 0, "the kernel exits with code 0 after shutdown_request"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_stop_on_error_aborts_queued_cells(kernel):
    # JupyterLab's "Run All" sends every cell at once and relies on this to stop at an error.
    _, kc = kernel
    # The failing cell runs a while, so the others are surely queued behind it.
    failing = kc.execute('advance("2h"); throw "stop here"')
    queued = [kc.execute('print("ran anyway")'), kc.execute("1 + 1", stop_on_error=False)]
    replies = {}
    while len(replies) < 3:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert replies[failing] == "error"
    assert [replies[q] for q in queued] == ["aborted", "aborted"]
    ok, _ = execute(kc, "1")  # and later requests run again
    assert ok["content"]["status"] == "ok"


def test_user_expressions(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "let base = 20;", user_expressions={"double": "base * 2", "bad": "nope("})
    expressions = reply["content"]["user_expressions"]
    assert expressions["double"]["status"] == "ok"
    assert expressions["double"]["data"]["text/plain"] == "40"
    assert expressions["bad"]["status"] == "error"
