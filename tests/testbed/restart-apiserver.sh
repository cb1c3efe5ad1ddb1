#!/usr/bin/env bash
# Stops kube-apiserver of a running testbed and starts it again with the same flags (same port,
# certificates and etcd, so the data survives), then waits for /readyz. Tests use it to check
# that watches recover. Updates the pid in $KDRIFT_TESTBED_DIR/env.
#   --down-for SECONDS   stay stopped that long before starting again (default 0)
set -euo pipefail
_t0=$SECONDS
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

down_for=0
case "${1:-}" in
  --down-for) down_for=${2:?"--down-for needs a number of seconds"} ;;
  "") ;;
  *) echo "usage: $0 [--down-for SECONDS]" >&2; exit 2 ;;
esac

[[ -f $DIR/env && -f $DIR/kube-apiserver.args ]] || die "no running testbed in $DIR (run up.sh first)"
pid_of etcd >/dev/null || fail_with_log etcd "etcd is not running; cannot restart kube-apiserver"

if pid=$(pid_of kube-apiserver); then
  say "stopping kube-apiserver (pid $pid)"
  stop kube-apiserver 30
fi
sleep "$down_for"
restart_saved kube-apiserver
say "started kube-apiserver (pid $(<"$PIDS/kube-apiserver.pid")); waiting for /readyz"
wait_for kube-apiserver 90 "kube-apiserver /readyz" apiserver_ready
update_env "$(pid_var kube-apiserver)" "$(<"$PIDS/kube-apiserver.pid")"
say "kube-apiserver is ready again"
