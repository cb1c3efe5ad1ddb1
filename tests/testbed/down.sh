#!/usr/bin/env bash
# Stops the test control plane started by up.sh (by its pid files, newest component first) and
# removes its run dir ($KDRIFT_TESTBED_DIR, default /tmp/kdrift-testbed): etcd data, certificates,
# kubeconfigs, env. Safe to call twice, or when nothing runs.
#   --keep-logs   keep $KDRIFT_TESTBED_DIR/logs (everything else is removed)
set -euo pipefail
_t0=$SECONDS
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

keep_logs=0
case "${1:-}" in
  --keep-logs) keep_logs=1 ;;
  "") ;;
  *) echo "usage: $0 [--keep-logs]" >&2; exit 2 ;;
esac

if [[ ! -d $DIR ]]; then
  say "nothing to stop ($DIR does not exist)"
  exit 0
fi
# Refuse to rm -rf something that is not a testbed dir.
if [[ -n $(ls -A "$DIR") && ! -d $PIDS && ! -d $LOGS && ! -d $PKI ]]; then
  die "$DIR does not look like a testbed run dir (no pids/, logs/ or pki/); not touching it"
fi

# kwok, scheduler, controller-manager and apiserver stop in parallel (each takes 1-3 s to shut
# down gracefully); etcd last, once nothing writes to it any more.
stop_one() {
  local pid
  if pid=$(pid_of "$1"); then
    say "stopping $1 (pid $pid)"
    stop "$1" 15
  fi
}
for c in kwok kube-scheduler kube-controller-manager kube-apiserver; do
  stop_one "$c" &
done
wait
stop_one etcd

if ((keep_logs)); then
  find "$DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  say "stopped; removed $DIR except logs/"
else
  rm -rf "$DIR"
  say "stopped; removed $DIR"
fi
