#!/usr/bin/env bash
# Times the kubesim kernel beside ipykernel (kernel/bench/roundtrip.py): start to
# kernel_info_reply, and the round trip of a trivial cell. Builds the release binary, uses
# the Python environment of tests/run.sh (tests/python/requirements.txt) and a throw-away
# Jupyter folder under the target directory. Arguments go to roundtrip.py
# (--starts N, --executes N, --kernels kubesim,python3).
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=tests/python/env.sh
. tests/python/env.sh
python_venv
cargo build --release -p kubesim
jupyter_sandbox "$TARGET/release/kubesim" jupyter-bench
"$VENV_PYTHON" kernel/bench/roundtrip.py "$@"
