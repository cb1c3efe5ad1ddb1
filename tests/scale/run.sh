#!/usr/bin/env bash
# The scale harness, from a fresh machine: builds kdrift (release) and k9s (cached by version),
# starts the test control plane unless one is up ($KDRIFT_TESTBED_DIR/env), and measures the
# sizes asked for. Usage: tests/scale/run.sh [--smoke] [harness.py options, e.g. --sizes 1000,10000,100000]
#   --smoke   1,000 objects, fewer probes, and fail unless the smoke bounds hold (what CI runs)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
args=()
if [[ ${1:-} == --smoke ]]; then
  shift
  args=(--sizes 1000 --probes 5 --load 100 --idle 5 --check)
fi
k9s=$(bash "$here/k9s.sh")
(cd "$root" && cargo build --locked --release --bin kdrift)
target=${CARGO_TARGET_DIR:-$root/target}
started=
if [[ -z ${KUBECONFIG_ADMIN:-} ]]; then
  export KDRIFT_TESTBED_DIR=${KDRIFT_TESTBED_DIR:-$(mktemp -d /tmp/kdrift-testbed.XXXXXX)}
  if [[ ! -f $KDRIFT_TESTBED_DIR/env ]]; then
    bash "$root/tests/testbed/build.sh"
    bash "$root/tests/testbed/up.sh"
    started=1
  fi
  # shellcheck disable=SC1091
  source "$KDRIFT_TESTBED_DIR/env"
fi
[[ -n $started ]] && trap 'bash "$root/tests/testbed/down.sh" || true' EXIT
python3 "$here/harness.py" --kubeconfig "$KUBECONFIG_ADMIN" --kdrift "$target/release/kdrift" \
  --kubectl "$KDRIFT_KUBECTL" --k9s "$k9s" "${args[@]}" "$@"
