#!/usr/bin/env bash
# Builds (or finds in the cache) k9s, the TUI the scale harness measures kdrift against:
# github.com/derailed/k9s at $KDRIFT_K9S_VERSION, from the Go module proxy (./k9s/go.mod, made
# with `go get -tool github.com/derailed/k9s@VERSION`), into a cache dir of its own by version.
# Cold: ~5 min on 2 cores (130 MB binary); warm: it only asks the binary its version.
# Prints the binary's path. Usage: k9s.sh [--force]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../testbed/versions.sh
source "$here/../testbed/versions.sh"
KDRIFT_K9S_VERSION=${KDRIFT_K9S_VERSION:-v0.50.16}
bin=${KDRIFT_K9S_BIN:-$KDRIFT_TESTBED_CACHE/k9s-$KDRIFT_K9S_VERSION/bin}
command -v go >/dev/null || { echo "k9s.sh: 'go' is not on PATH (Go >= 1.26 is needed)" >&2; exit 1; }

# the output is taken whole before it is matched: with pipefail, `k9s | grep -q` fails whenever
# grep stops reading before k9s has written its last line (SIGPIPE), and k9s was built again
reported() {
  local out
  [[ -x $bin/k9s ]] && out=$("$bin/k9s" version -s 2>/dev/null) &&
    grep -Eq "^Version +$KDRIFT_K9S_VERSION\$" <<<"$out"
}
if [[ ${1:-} != --force ]] && reported; then
  echo "$bin/k9s"
  exit 0
fi
grep -Eq "^[[:space:]]*github.com/derailed/k9s $KDRIFT_K9S_VERSION( |\$)" "$here/k9s/go.mod" || {
  echo "k9s.sh: k9s/go.mod does not pin k9s $KDRIFT_K9S_VERSION (run: cd tests/scale/k9s && go get -tool github.com/derailed/k9s@$KDRIFT_K9S_VERSION)" >&2
  exit 1
}
mkdir -p "$bin"
tmp=$(mktemp -d "$bin/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "k9s.sh: building k9s $KDRIFT_K9S_VERSION (cold: ~5 min on 2 cores)" >&2
(cd "$here/k9s" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -p 2 -trimpath \
  -ldflags "-s -w -X github.com/derailed/k9s/cmd.version=$KDRIFT_K9S_VERSION" -o "$tmp/k9s" github.com/derailed/k9s)
mv "$tmp/k9s" "$bin/k9s"
reported || { echo "k9s.sh: the built k9s does not report $KDRIFT_K9S_VERSION" >&2; exit 1; }
echo "$bin/k9s"
