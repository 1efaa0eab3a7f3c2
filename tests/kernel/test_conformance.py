"""The Jupyter protocol conformance suite (jupyter_kernel_test 0.7.0) against the kubesim kernel.

Every sample attribute is set, so that no test is skipped for want of one (conftest.py fails
the run on any skip). What each test asserts is in jupyter_kernel_test/__init__.py.
"""

from __future__ import annotations

import jupyter_kernel_test as jkt

# `kubectl get po<Tab>`: the kind names kubectl accepts that start with "po" (plural,
# singular, short names).
POD_KINDS = ["po", "pod", "pods", "poddisruptionbudget", "poddisruptionbudgets"]


class KubesimKernelTests(jkt.KernelTests):
    kernel_name = "kubesim"
    language_name = "rhai"
    file_extension = ".rhai"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'debug("to stderr")'

    completion_samples = [
        {"text": "adv", "matches": ["advance"]},
        {"text": "explain_sch", "matches": ["explain_schedule"]},
        {"text": "kubectl get po", "matches": POD_KINDS},
        {"text": 'kubectl("get po', "matches": POD_KINDS},
        {"text": "kubectl desc", "matches": ["describe"]},
        {"text": "kubectl get nodes node-", "matches": ["node-1", "node-2", "node-3"]},
    ]

    complete_code_samples = [
        "1 + 1",
        'print("hello, world")',
        "let x = 5;",
        "fn twice(n) { n * 2 }",
        "kubectl get pods",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n\n",
    ]
    incomplete_code_samples = [
        "let x = ",
        "fn f() {",
        "fn f( {",
        "let s = \"abc",
        "[1, 2,",
        "apiVersion: v1\nkind: Namespace",
    ]
    invalid_code_samples = [
        "let = 5;",
        "let 5 = x;",
    ]

    code_page_something = 'help("advance")'
    code_generate_error = 'throw "boom"'

    code_execute_result = [
        {"code": "1 + 1", "result": "2"},
        {"code": '"kube" + "sim"', "result": "kubesim"},
        {"code": "kubectl get nodes", "mime": "text/html"},
    ]
    code_display_data = [
        {"code": 'display(kubectl("get nodes"))', "mime": "text/plain"},
        {"code": 'display(kubectl("get nodes"))', "mime": "text/html"},
    ]

    # Matches one of code_execute_result's inputs, and only that one.
    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "advance"
    code_clear_output = 'print("soon gone"); clear_output()'


class KubesimIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = "kubesim"
    support_iopub_welcome = True
