#!/usr/bin/env bash
# Runs every test of kubesim: the Rust unit and integration tests, the scenario scripts
# (tests/scenarios, compared with their .out files and run twice for determinism) and the
# manifest corpus test (when ../shared/corpus or $KUBESIM_CORPUS is present).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KUBESIM_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
  echo "note: no manifest corpus at ../shared/corpus (set KUBESIM_CORPUS): the corpus test will check nothing"
fi

cargo test --workspace --all-targets
