#!/usr/bin/env bash
# Runs kdrift's whole test suite: unit, update, snapshot, simulated-cluster API, engine and tmux end-to-end tests.
# Installs what the tests need (tmux) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo test --locked --all-targets "$@"
