"""Issue 14 through jupyter_client: `kubectl run -it` and `exec -it` cells ask for each line with
an input request when the client allows it (answered here by execute_interactive's stdin
hook, as a notebook's input box answers), say why they read nothing when it does not, and an
interrupt while the kernel waits for a line ends the session.
"""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel

TIMEOUT = 30

NOTICE = (
    "All commands and output from this session will be recorded in container logs, including "
    "credentials and sensitive information passed through the command prompt.\n"
    "If you don't see a command prompt, try pressing enter.\n"
)


@pytest.fixture()
def kernel():
    km, kc = start_new_kernel(kernel_name="kubesim", startup_timeout=TIMEOUT)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def interactive(kc, code: str, answers: list[str], on_prompt=None) -> tuple[dict, list[str], str, str]:
    """Runs `code` allowing stdin, answering its input requests with `answers` in turn; returns
    the reply, the prompts, the stdout stream text and the value's text."""
    prompts: list[str] = []
    stdout: list[str] = []
    value: list[str] = []
    pending = list(answers)

    def stdin_hook(msg: dict) -> None:
        assert msg["content"]["password"] is False
        prompts.append(msg["content"]["prompt"])
        if on_prompt is not None and on_prompt(len(prompts)):
            return
        kc.input(pending.pop(0))

    def output_hook(msg: dict) -> None:
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            stdout.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_result":
            value.append(msg["content"]["data"]["text/plain"])

    reply = kc.execute_interactive(
        code, allow_stdin=True, stdin_hook=stdin_hook, output_hook=output_hook, timeout=TIMEOUT
    )
    return reply, prompts, "".join(stdout), "".join(value)


def plain(kc, code: str) -> dict:
    return kc.execute_interactive(code, allow_stdin=False, output_hook=lambda _: None, timeout=TIMEOUT)


def test_run_it_rm_is_a_shell_in_the_notebook(kernel):
    _, kc = kernel
    code = "kubectl run -it --rm t --image=busybox --restart=Never -- sh"
    reply, prompts, stdout, value = interactive(kc, code, ["echo hi", "hostname", "exit"])
    assert reply["content"]["status"] == "ok", reply["content"]
    assert prompts == ["/ # ", "/ # ", "/ # "]
    assert stdout == NOTICE + "hi\nt\nSession ended, resume using 'kubectl attach t -c t -n default -i -t' command\n"
    assert value == 'pod "t" deleted\n'
    gone = plain(kc, "kubectl get pod t")
    assert gone["content"]["evalue"] == 'Error from server (NotFound): pods "t" not found'


def test_exec_it_and_no_stdin(kernel):
    _, kc = kernel
    assert plain(kc, "kubectl run web --image=busybox -- sh -c 'sleep 3600'\n")["content"]["status"] == "ok"
    assert plain(kc, 'advance("10s")')["content"]["status"] == "ok"
    reply, prompts, stdout, _ = interactive(kc, "kubectl exec -it web -- sh", ["cd /tmp; hostname", "exit 0"])
    assert reply["content"]["status"] == "ok", reply["content"]
    assert prompts == ["/ # ", "/tmp # "]
    assert stdout == "web\n"  # `exit 0`, not the end of input: no newline after the prompt
    # A client that does not answer input requests: kubectl's behaviour without a terminal,
    # and why (where ipykernel's input() raises StdinNotImplementedError).
    shown: list[str] = []

    def output_hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            shown.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"]["text/plain"])

    reply = kc.execute_interactive("kubectl exec -it web -- sh", allow_stdin=False, output_hook=output_hook, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert "".join(shown) == (
        "Unable to use a TTY - input is not a terminal or the right kind of file\n"
        "kubesim: this Jupyter client does not answer input requests (allow_stdin is false): "
        "the container's stdin is empty\n"
    )


def test_interrupt_while_waiting_for_input(kernel):
    km, kc = kernel

    def stop(n: int) -> bool:
        # The first prompt is not answered: the stop button instead.
        km.interrupt_kernel()
        return True

    code = "kubectl run -it --rm t --image=busybox --restart=Never -- sh"
    reply, prompts, stdout, _ = interactive(kc, code, [], on_prompt=stop)
    assert prompts == ["/ # "]
    assert reply["content"]["status"] == "error"
    assert (reply["content"]["ename"], reply["content"]["evalue"]) == ("Interrupted", "interrupted")
    assert stdout == NOTICE + 'pod "t" deleted\n'
    # The kernel lives on, and the pod goes.
    assert plain(kc, "kubectl wait --for=delete pod/t --timeout=60s")["content"]["status"] == "ok"
    assert plain(kc, "1 + 1")["content"]["status"] == "ok"
