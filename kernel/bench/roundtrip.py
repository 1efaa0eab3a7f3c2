"""The kubesim kernel beside ipykernel, timed with jupyter_client:

  start    launching the kernel process (from jupyter_client's KernelManager.start_kernel)
           until its kernel_info_reply arrives;
  execute  a trivial cell: from sending execute_request until both its execute_reply (shell)
           and its `idle` status (IOPub) have arrived.

    python kernel/bench/roundtrip.py [--starts 20] [--executes 200] [--kernels kubesim,python3]

Run it through kernel/bench/run.sh, which builds the release binary and installs its
kernelspec in a throw-away Jupyter folder. The client's sockets retry a refused connection
every millisecond (ZeroMQ's default is 100 ms, which would hide how fast a kernel starts).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import zmq
from jupyter_client.manager import KernelManager

CODE = {"kubesim": "1 + 1", "python3": "1 + 1"}
TIMEOUT_MS = 60_000


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, by linear interpolation between the closest ranks."""
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def context() -> zmq.Context:
    ctx = zmq.Context()
    ctx.setsockopt(zmq.RECONNECT_IVL, 1)
    ctx.setsockopt(zmq.LINGER, 0)
    return ctx


def recv_until(km: KernelManager, sockets: dict, done, timeout: float = TIMEOUT_MS / 1000) -> bool:
    """Receives on the given sockets until done(channel, msg) says so (True), or the timeout
    passes (False)."""
    poller = zmq.Poller()
    for sock in sockets.values():
        poller.register(sock, zmq.POLLIN)
    deadline = time.monotonic() + timeout
    while True:
        remaining = int((deadline - time.monotonic()) * 1000)
        if remaining <= 0:
            return False
        for sock, _ in poller.poll(remaining):
            channel = next(name for name, s in sockets.items() if s is sock)
            _, msg = km.session.feed_identities(sock.recv_multipart(copy=True))
            if done(channel, km.session.deserialize(msg, content=True)):
                return True


def request(km: KernelManager, sockets: dict, msg_type: str, content: dict, idle_timeout: float) -> bool:
    """Sends a request on shell and waits for its reply (raising when none comes) and for its
    `idle` status on IOPub; returns whether that idle came within idle_timeout."""
    msg_id = km.session.send(sockets["shell"], msg_type, content)["header"]["msg_id"]
    reply_type = msg_type.replace("_request", "_reply")
    seen = set()

    def done(channel, m):
        if m["parent_header"].get("msg_id") == msg_id:
            if channel == "shell" and m["msg_type"] == reply_type:
                if m["content"].get("status") != "ok":
                    raise RuntimeError(f"{reply_type}: {m['content']}")
                seen.add("reply")
            elif channel == "iopub" and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                seen.add("idle")
        return "reply" in seen

    if not recv_until(km, sockets, done):
        raise TimeoutError(f"no {reply_type}")
    if "iopub" not in sockets or "idle" in seen:
        return True
    return recv_until(km, sockets, lambda channel, m: done(channel, m) and "idle" in seen, idle_timeout)


def time_start(kernel: str, ctx: zmq.Context) -> float:
    km = KernelManager(kernel_name=kernel, context=ctx)
    t0 = time.perf_counter()
    km.start_kernel(stderr=subprocess.DEVNULL)
    shell = km.connect_shell()
    try:
        request(km, {"shell": shell}, "kernel_info_request", {}, 0)
        return time.perf_counter() - t0
    finally:
        shell.close()
        km.shutdown_kernel(now=True)


def time_executes(kernel: str, ctx: zmq.Context, runs: int, warmup: int = 10) -> list[float]:
    km = KernelManager(kernel_name=kernel, context=ctx)
    km.start_kernel(stderr=subprocess.DEVNULL)
    sockets = {"shell": km.connect_shell(), "iopub": km.connect_iopub()}
    try:
        # IOPub is subscribed once a request's `idle` arrives there.
        for _ in range(100):
            if request(km, sockets, "kernel_info_request", {}, 0.2):
                break
        else:
            raise TimeoutError("no idle status on IOPub")
        content = {
            "code": CODE[kernel],
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        times = []
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            if not request(km, sockets, "execute_request", content, TIMEOUT_MS / 1000):
                raise TimeoutError("no idle status after execute_reply")
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return times
    finally:
        for sock in sockets.values():
            sock.close()
        km.shutdown_kernel(now=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--executes", type=int, default=200)
    parser.add_argument("--kernels", default="kubesim,python3")
    args = parser.parse_args()
    kernels = args.kernels.split(",")

    import ipykernel
    import jupyter_client

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; {platform.system()} {platform.release()}; load {load}")
    print(
        f"client: jupyter_client {jupyter_client.__version__}, pyzmq {zmq.__version__}, "
        f"CPython {platform.python_version()}; python3 is ipykernel {ipykernel.__version__}"
    )
    rows = []
    ctx = context()
    for kernel in kernels:
        starts = [time_start(kernel, ctx) for _ in range(args.starts)]
        rows.append(("start → kernel_info_reply", kernel, starts))
        executes = time_executes(kernel, ctx, args.executes)
        rows.append((f"execute `{CODE[kernel]}` → reply + idle", kernel, executes))
    rows.sort(key=lambda r: (not r[0].startswith("start"), kernels.index(r[1])))

    header = ("measure", "kernel", "runs", "median", "p90", "min")
    table = [header] + [
        (what, kernel, str(len(v)), fmt(statistics.median(v)), fmt(percentile(v, 90)), fmt(min(v)))
        for what, kernel, v in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print()
    for i, r in enumerate(table):
        print("| " + " | ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"\nload at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
