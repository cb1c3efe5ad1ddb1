#!/usr/bin/env bash
# Installs the system packages the tests use. Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# unzip reads the GitOps tools' CRDs out of their Go module zips (tests/testbed/gitops-crds.sh)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
# python3 serves the mutating admission webhook the drift-stage tests register
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# git, including `git daemon` (Debian ships it in package git itself)
{ command -v git >/dev/null 2>&1 && [ -x "$(git --exec-path)/git-daemon" ]; } || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null 2>&1 || { echo "install-test-deps: Go (>= 1.26) is needed to build the test control plane" >&2; exit 1; }
