#!/usr/bin/env bash
# Runs every test of kubesim: the Rust unit and integration tests, the scenario scripts
# (tests/scenarios, compared with their .out files and run twice for determinism), the
# manifest corpus test (when ../shared/corpus or $KUBESIM_CORPUS is present), the
# robustness suite (tests/robustness, through the REPL and `kubesim run` here, and through the
# kernel below), and the Python checks of the Jupyter kernel: the jupyter_kernel_test
# conformance suite, the kernel's own protocol tests, the robustness suite's cases as cells and
# every notebook under notebooks/ (tests/kernel).
#
# The Python checks run in a virtual environment under the target directory with the
# packages pinned in tests/python/requirements.txt (made on the first run and whenever that
# file changes), against the kernelspec of the freshly built binary installed into a
# throw-away Jupyter folder there; the user's own Jupyter setup is not touched.
# Arguments are passed to pytest (for example `tests/run.sh -k conformance -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KUBESIM_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
  echo "note: no manifest corpus at ../shared/corpus (set KUBESIM_CORPUS): the corpus test will check nothing"
fi

cargo test --workspace --all-targets

# shellcheck source=tests/python/env.sh
. tests/python/env.sh
python_venv
cargo build -p kubesim
KUBESIM_BIN="$TARGET/debug/kubesim"
export KUBESIM_BIN
jupyter_sandbox "$KUBESIM_BIN" jupyter
"$VENV_PYTHON" -m pytest tests/kernel "$@"
