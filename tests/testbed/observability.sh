#!/usr/bin/env bash
# Builds (or finds in the cache) the observability components the metrics and traces tests run:
#   prometheus   (github.com/prometheus/prometheus/cmd/prometheus, ./prometheus/go.mod)
#   jaeger       (github.com/jaegertracing/jaeger/cmd/jaeger, ./jaeger/go.mod: all-in-one, memory)
#   alertmanager (github.com/prometheus/alertmanager/cmd/alertmanager, ./alertmanager/go.mod)
# into $KDRIFT_PROMETHEUS_BIN, $KDRIFT_JAEGER_BIN and $KDRIFT_ALERTMANAGER_BIN (cache dirs of their own, by version: a new
# version does not rebuild the control plane). Cold: ~7 + ~5 min on 2 cores; warm: it only asks
# each binary its version. Prints the binaries' paths. Usage: observability.sh [--force]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
command -v go >/dev/null || { echo "observability.sh: 'go' is not on PATH (Go >= 1.26 is needed)" >&2; exit 1; }

force=${1:-}
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
t0=$SECONDS
log() { printf '[observability %4ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }

# reported NAME BIN VERSION: does BIN report VERSION?
reported() {
  [[ -x $2 ]] || return 1
  local out
  case $1 in
    prometheus) out=$("$2" --version 2>/dev/null | head -1) || return 1
                [[ $out == "prometheus, version $3 "* ]] ;;
    alertmanager) out=$("$2" --version 2>&1 | head -1) || return 1
                [[ $out == "alertmanager, version $3 "* ]] ;;
    jaeger)     out=$("$2" version 2>/dev/null | tail -1) || return 1
                [[ $out == *"\"gitVersion\":\"$3\""* ]] ;;
  esac
}

# build NAME MODULE_DIR PACKAGE VERSION BIN_DIR LDFLAGS
build() {
  local name=$1 dir=$2 pkg=$3 v=$4 bin=$5 ld=$6
  mkdir -p "$bin"
  if [[ $force != --force ]] && reported "$name" "$bin/$name" "$v"; then
    log "$name $v present"
    echo "$bin/$name"
    return 0
  fi
  local module=${pkg%/cmd/*}
  grep -Eq "^[[:space:]]*$module $v( |\$)" "$here/$dir/go.mod" || {
    echo "observability.sh: $dir/go.mod does not pin $module $v (run: cd tests/testbed/$dir && go get -tool $pkg@$v)" >&2
    return 1
  }
  local tmp
  tmp=$(mktemp -d "$bin/.build.XXXXXX")
  log "building $name $v (cold: several minutes on 2 cores)"
  if ! (cd "$here/$dir" && go build -p 2 -trimpath -ldflags "-s -w $ld" -o "$tmp/$name" "$pkg"); then
    rm -rf "$tmp"
    echo "observability.sh: go build of $pkg failed" >&2
    return 1
  fi
  mv "$tmp/$name" "$bin/$name"
  rm -rf "$tmp"
  reported "$name" "$bin/$name" "$v" || { echo "observability.sh: the built $name does not report $v" >&2; return 1; }
  log "built $name $v"
  echo "$bin/$name"
}

build prometheus prometheus github.com/prometheus/prometheus/cmd/prometheus "$KDRIFT_PROMETHEUS_VERSION" \
  "$KDRIFT_PROMETHEUS_BIN" \
  "-X github.com/prometheus/common/version.Version=$KDRIFT_PROMETHEUS_VERSION -X github.com/prometheus/common/version.Revision=module-zip"
build jaeger jaeger github.com/jaegertracing/jaeger/cmd/jaeger "$KDRIFT_JAEGER_VERSION" "$KDRIFT_JAEGER_BIN" \
  "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$KDRIFT_JAEGER_VERSION"
build alertmanager alertmanager github.com/prometheus/alertmanager/cmd/alertmanager "$KDRIFT_ALERTMANAGER_VERSION" \
  "$KDRIFT_ALERTMANAGER_BIN" \
  "-X github.com/prometheus/common/version.Version=$KDRIFT_ALERTMANAGER_VERSION -X github.com/prometheus/common/version.Revision=module-zip"
