# shellcheck shell=bash
# Sourced by tests/run.sh and kernel/bench/run.sh (from the repository's root): the Python
# virtual environment of the kernel checks, and a Jupyter setup of their own.
#
#   python_venv           makes $TARGET/venv with exactly tests/python/requirements.txt,
#                         re-installing only when that file changed; sets VENV_PYTHON
#   jupyter_sandbox BIN DIR
#                         installs BIN's kernelspec under $TARGET/DIR and points JUPYTER_PATH
#                         (and Jupyter's other folders) there, so that the user's own Jupyter
#                         setup is neither read nor changed
#
# TARGET is cargo's target directory ($CARGO_TARGET_DIR, else target/).

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
case "$TARGET" in
  /*) ;;
  *) TARGET="$PWD/$TARGET" ;;
esac
REQUIREMENTS="$PWD/tests/python/requirements.txt"

python_venv() {
  local venv="$TARGET/venv"
  local stamp="$venv/.requirements.sha256"
  if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 is not installed; the kernel checks need Python 3.9 or later with its venv module" >&2
    echo "       (on Debian or Ubuntu: apt-get install python3 python3-venv)" >&2
    return 1
  fi
  local want
  want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    export VENV_PYTHON="$venv/bin/python"
    return 0
  fi
  echo "Python: making $venv from tests/python/requirements.txt"
  rm -rf "$venv"
  if ! python3 -m venv "$venv"; then
    echo "error: 'python3 -m venv' failed; install Python's venv module (on Debian or Ubuntu: apt-get install python3-venv)" >&2
    return 1
  fi
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$venv/bin/python" -m pip install --quiet --no-deps --requirement "$REQUIREMENTS"
  local check
  if ! check="$(PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip check)"; then
    echo "$check" >&2
    echo "error: the packages of tests/python/requirements.txt do not fit together (pip check)" >&2
    return 1
  fi
  echo "$want" >"$stamp"
  export VENV_PYTHON="$venv/bin/python"
}

jupyter_sandbox() {
  local bin="$1"
  local root="$TARGET/$2"
  rm -rf "$root/share/jupyter/kernels/kubesim"
  mkdir -p "$root/data" "$root/config" "$root/runtime" "$root/ipython"
  export JUPYTER_PATH="$root/share/jupyter"
  export JUPYTER_DATA_DIR="$root/data"
  export JUPYTER_CONFIG_DIR="$root/config"
  export JUPYTER_RUNTIME_DIR="$root/runtime"
  export IPYTHONDIR="$root/ipython"
  "$bin" kernel install --prefix "$root" >/dev/null
  if [ ! -f "$JUPYTER_PATH/kernels/kubesim/kernel.json" ]; then
    echo "error: '$bin kernel install --prefix $root' wrote no $JUPYTER_PATH/kernels/kubesim/kernel.json" >&2
    return 1
  fi
}
