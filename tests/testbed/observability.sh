#!/usr/bin/env bash
# Builds (or finds in the cache) the observability components the metrics tests run for real:
#   prometheus   (github.com/prometheus/prometheus/cmd/prometheus, ./prometheus/go.mod)
# into $KDRIFT_PROMETHEUS_BIN (a cache dir of its own, by version: a new version does not rebuild
# the control plane). Cold: ~7 min on 2 cores; warm: it only asks the binary its version.
# Prints the binary's path as its last line. Usage: observability.sh [--force]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
command -v go >/dev/null || { echo "observability.sh: 'go' is not on PATH (Go >= 1.26 is needed)" >&2; exit 1; }

v=$KDRIFT_PROMETHEUS_VERSION
bin=$KDRIFT_PROMETHEUS_BIN
t0=$SECONDS
log() { printf '[observability %4ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }
mkdir -p "$bin"

version_ok() {
  [[ -x $bin/prometheus ]] || return 1
  local out
  out=$("$bin/prometheus" --version 2>/dev/null | head -1) || return 1
  [[ $out == "prometheus, version $v "* ]]
}

if [[ ${1:-} != --force ]] && version_ok; then
  log "prometheus $v present"
  echo "$bin/prometheus"
  exit 0
fi
grep -Eq "^[[:space:]]*github.com/prometheus/prometheus $v( |\$)" "$here/prometheus/go.mod" || {
  echo "observability.sh: prometheus/go.mod does not pin $v (run: cd tests/testbed/prometheus && go get -tool github.com/prometheus/prometheus/cmd/prometheus@$v)" >&2
  exit 1
}
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
tmp=$(mktemp -d "$bin/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building prometheus $v (cold: several minutes on 2 cores)"
ld="-s -w -X github.com/prometheus/common/version.Version=$v -X github.com/prometheus/common/version.Revision=module-zip"
(cd "$here/prometheus" && go build -p 2 -trimpath -ldflags "$ld" -o "$tmp/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
mv "$tmp/prometheus" "$bin/prometheus"
version_ok || { echo "observability.sh: the built prometheus does not report $v" >&2; exit 1; }
log "built prometheus $v"
echo "$bin/prometheus"
