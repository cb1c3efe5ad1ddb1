#!/usr/bin/env bash
# Builds (or finds in the cache) the test control plane's binaries from Go modules:
#   kube-apiserver kube-controller-manager kube-scheduler kubectl   (k8s.io/kubernetes, ./go.mod)
#   etcd                                                            (go.etcd.io/etcd/server/v3, ./etcd/go.mod)
#   kwok                                                            (sigs.k8s.io/kwok/cmd/kwok, ./kwok/go.mod)
# into $KDRIFT_TESTBED_CACHE/<k8s>-<etcd>-<kwok>/bin (default ~/.cache/kdrift-testbed), outside the repo,
# and the client tool tests use
#   helm                                                            (helm.sh/helm/v3/cmd/helm, ./helm/go.mod)
# into its own $KDRIFT_TESTBED_CACHE/helm-<helm>/bin, so a new helm version does not rebuild Kubernetes.
# A binary that is there and reports the expected version is reused, so a warm run takes seconds.
# Usage: build.sh [--force]      prints the (control plane) bin directory as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

command -v go >/dev/null || { echo "build.sh: 'go' is not on PATH (Go >= 1.26 is needed)" >&2; exit 1; }

t0=$SECONDS
bin=$KDRIFT_TESTBED_BIN
helm_bin=$KDRIFT_HELM_BIN
mkdir -p "$bin" "$helm_bin"
log() { printf '[build %4ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }

k8s=$KDRIFT_K8S_VERSION etcd=$KDRIFT_ETCD_VERSION kwok=$KDRIFT_KWOK_VERSION helm=$KDRIFT_HELM_VERSION

# version_ok NAME: does $bin/NAME (helm: $helm_bin/helm) exist and report the pinned version?
version_ok() {
  local f=$bin/$1 out
  [[ $1 == helm ]] && f=$helm_bin/helm
  [[ -x $f ]] || return 1
  case $1 in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      out=$("$f" --version 2>/dev/null) || return 1
      [[ $out == "Kubernetes $k8s" ]] ;;
    kubectl)
      out=$("$f" version --client 2>/dev/null) || return 1
      [[ $out == *"Client Version: $k8s"* ]] ;;
    etcd)
      out=$("$f" --version 2>/dev/null) || return 1
      [[ $out == *"etcd Version: ${etcd#v}"* ]] ;;
    kwok)
      out=$("$f" --version 2>/dev/null) || return 1
      [[ $out == *"$kwok"* ]] ;;
    helm) # "v3.22.0" (no "+g<commit>": the module zip has no git metadata)
      out=$("$f" version --short 2>/dev/null) || return 1
      [[ $out == "$helm" ]] ;;
  esac
}

# The wrapper modules must match versions.sh; regenerate them if someone changed a version.
# (tidy marks a tool-only requirement "// indirect")
mod_stale() {
  ! grep -Eq "^[[:space:]]*k8s.io/kubernetes $k8s( |\$)" "$here/go.mod" 2>/dev/null ||
  ! grep -Eq "^[[:space:]]*go.etcd.io/etcd/server/v3 $etcd( |\$)" "$here/etcd/go.mod" 2>/dev/null ||
  ! grep -Eq "^[[:space:]]*sigs.k8s.io/kwok $kwok( |\$)" "$here/kwok/go.mod" 2>/dev/null
}
helm_mod_stale() {
  ! grep -Eq "^[[:space:]]*helm.sh/helm/v3 $helm( |\$)" "$here/helm/go.mod" 2>/dev/null
}

# Common build settings: static, reproducible, 2 parallel jobs (the machine has 2 cores).
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
build() { # build DEST MODULE_DIR LDFLAGS OUTNAME PKG...  -> binaries land in DEST via a temp dir (atomic)
  # OUTNAME "" keeps go's names (one per package); otherwise the single binary gets that name.
  local dest=$1 dir=$2 ldflags=$3 out=$4; shift 4
  local tmp
  tmp=$(mktemp -d "$dest/.build.XXXXXX")
  if ! (cd "$dir" && go build -p 2 -trimpath -ldflags "$ldflags" -o "$tmp/$out" "$@"); then
    rm -rf "$tmp"
    echo "build.sh: go build of $* failed (module $dir)" >&2
    return 1
  fi
  mv -f "$tmp"/* "$dest/"
  rmdir "$tmp"
}

# kwok's Stage objects (node-initialize, node heartbeats, pod ready/complete/delete) are config,
# copied from the kwok module next to the binaries for up.sh, not committed to the repo.
stages=$(dirname "$bin")/kwok-stages
stage_files=(node/fast/node-initialize node/heartbeat/node-heartbeat
  node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete
  pod/fast/pod-delete)
copy_stages() {
  local src f
  src=$(go mod download -json "sigs.k8s.io/kwok@$kwok" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $src && -d $src/kustomize/stage ]] || { echo "build.sh: kwok module source not found" >&2; return 1; }
  mkdir -p "$stages"
  for f in "${stage_files[@]}"; do
    install -m 0644 "$src/kustomize/stage/$f.yaml" "$stages/$(basename "$f").yaml"
  done
  log "copied ${#stage_files[@]} kwok Stage files from $src/kustomize/stage to $stages"
}
stages_ok() {
  local f
  for f in "${stage_files[@]}"; do [[ -s $stages/$(basename "$f").yaml ]] || return 1; done
}

todo_kube=() todo_etcd=0 todo_kwok=0 todo_helm=0
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if (( force )) || ! version_ok "$b"; then todo_kube+=("$b"); fi
done
if (( force )) || ! version_ok etcd; then todo_etcd=1; fi
if (( force )) || ! version_ok kwok; then todo_kwok=1; fi
if (( force )) || ! version_ok helm; then todo_helm=1; fi
todo_plane=0
if (( ${#todo_kube[@]} > 0 || todo_etcd || todo_kwok )) || ! stages_ok; then todo_plane=1; fi

# The GitOps tools' CRDs: cheap, so always checked (a warm run only looks at the files).
crds=$("$here/gitops-crds.sh")
log "GitOps CRDs (Flux, Argo CD) in $crds"
# Prometheus and Jaeger for the metrics and traces panes' tests: their own cache dirs, checked
# every run (seconds warm).
observability=$("$here/observability.sh" | tr '\n' ' ')
log "observability components: $observability"

if (( todo_plane == 0 && todo_helm == 0 )); then
  log "all binaries present with the pinned versions (k8s $k8s, etcd $etcd, kwok $kwok, helm $helm); nothing to build"
  echo "$bin"
  exit 0
fi

if (( todo_plane )) && mod_stale; then
  log "wrapper go.mod files do not match versions.sh; running gen-replaces.sh k8s etcd kwok"
  "$here/gen-replaces.sh" k8s etcd kwok
fi
if (( todo_helm )) && helm_mod_stale; then
  log "helm/go.mod does not match versions.sh; running gen-replaces.sh helm"
  "$here/gen-replaces.sh" helm
fi

if (( ${#todo_kube[@]} > 0 )); then
  # Same -X flags as kubernetes' hack/lib/version.sh, so /version and --version tell the truth.
  # The module zip has no git metadata: gitTreeState=archive (what a source tarball build says),
  # buildDate = the release's publication time from the module proxy.
  date=$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  minor=${k8s#v1.}; minor=${minor%%.*}
  ld="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=archive -X $pkg.gitCommit= -X $pkg.buildDate=$date"
  done
  pkgs=()
  for b in "${todo_kube[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "building ${todo_kube[*]} at $k8s (cold: 8-12 min on 2 cores)"
  build "$bin" "$here" "$ld" "" "${pkgs[@]}"
  log "built ${todo_kube[*]}"
fi

if (( todo_etcd )); then
  log "building etcd $etcd"
  build "$bin" "$here/etcd" "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$etcd" etcd go.etcd.io/etcd/server/v3
  log "built etcd"
fi

if (( todo_kwok )); then
  log "building kwok $kwok"
  build "$bin" "$here/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$kwok" kwok sigs.k8s.io/kwok/cmd/kwok
  log "built kwok"
fi

if (( force || todo_kwok )) || ! stages_ok; then
  copy_stages
fi

if (( todo_helm )); then
  # Upstream's Makefile flags: the version, and the Kubernetes version that `helm template` and
  # `helm lint` assume without a cluster (.Capabilities.KubeVersion), derived from the client-go
  # version helm is built with (v0.37.0 -> 1.37). gitCommit/gitTreeState stay empty (no git
  # metadata in the module zip), so `helm version --short` prints just the version.
  cgo=$(cd "$here/helm" && go list -m -f '{{.Version}}' k8s.io/client-go)   # v0.37.0
  cgo=${cgo#v}; kmajor=$(( ${cgo%%.*} + 1 )); kminor=${cgo#*.}; kminor=${kminor%%.*}
  ld="-s -w -X helm.sh/helm/v3/internal/version.version=$helm"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ld+=" -X $pkg.k8sVersionMajor=$kmajor -X $pkg.k8sVersionMinor=$kminor"
  done
  log "building helm $helm (cold: a few minutes on 2 cores)"
  build "$helm_bin" "$here/helm" "$ld" helm helm.sh/helm/v3/cmd/helm
  log "built helm"
fi

for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm; do
  if ! version_ok "$b"; then
    f=$bin/$b; [[ $b == helm ]] && f=$helm_bin/helm
    echo "build.sh: $f was built but does not report the expected version:" >&2
    if [[ $b == helm ]]; then "$f" version >&2 || true; else "$f" --version >&2 || true; fi
    exit 1
  fi
done
log "done in $((SECONDS - t0))s: $(du -sh "$bin" | cut -f1) in $bin, $(du -sh "$helm_bin" | cut -f1) in $helm_bin"
echo "$bin"
