#!/usr/bin/env bash
# Copies the CRDs of Flux (Kustomization, HelmRelease, GitRepository) and Argo CD (Application) out of the tools'
# own Go module zips, fetched and checksum-verified by `go mod download` through the module
# proxy, into $KDRIFT_GITOPS_CRDS (cached by version: a warm run only checks the files).
# Only the CRDs: no controller runs; tests play the controller's part where they need one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
out=$KDRIFT_GITOPS_CRDS
files=(kustomizations.yaml helmreleases.yaml gitrepositories.yaml applications.yaml)
done=1
for f in "${files[@]}"; do [[ -s $out/$f ]] || done=0; done
if (( done )); then
  echo "$out"
  exit 0
fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# zip_of MODULE@VERSION: the module zip's path. Some of these modules ask for a newer Go than
# the machine has in order to *build*; downloading the verified zip does not need it, and that
# is all that is used here, so the go.mod version check is waived by reading the path it reports.
zip_of() {
  local json zip
  json=$(GOFLAGS=-mod=mod go mod download -json "$1" 2>/dev/null || true)
  zip=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",$/\1/p')
  printf '%s\n' "$json" | grep -q '"Sum": "h1:' || { echo "gitops-crds.sh: $1 was not downloaded and verified" >&2; return 1; }
  [[ -s $zip ]] || { echo "gitops-crds.sh: no zip for $1" >&2; return 1; }
  echo "$zip"
}
# extract ZIP PATH_IN_MODULE DEST
extract() {
  local entry
  entry=$(unzip -Z1 "$1" | grep -E "^.+@[^/]+/$2\$" | head -1 || true)
  [[ -n $entry ]] || { echo "gitops-crds.sh: $2 not in $1" >&2; return 1; }
  unzip -p "$1" "$entry" > "$tmp/$3"
  install -m 0644 "$tmp/$3" "$out/$3"
}
extract "$(zip_of "github.com/fluxcd/kustomize-controller@$KDRIFT_FLUX_KC_VERSION")" \
  config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml kustomizations.yaml
extract "$(zip_of "github.com/fluxcd/helm-controller@$KDRIFT_FLUX_HC_VERSION")" \
  config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml helmreleases.yaml
extract "$(zip_of "github.com/fluxcd/source-controller@$KDRIFT_FLUX_SC_VERSION")" \
  config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml gitrepositories.yaml
extract "$(zip_of "github.com/argoproj/argo-cd/v3@$KDRIFT_ARGOCD_VERSION")" \
  manifests/crds/application-crd.yaml applications.yaml
echo "$out"
