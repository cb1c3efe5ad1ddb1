# shellcheck shell=bash
# Helpers shared by up.sh, down.sh and restart-apiserver.sh. Sourced, not run.

testbed_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$testbed_here/versions.sh"

DIR=$KDRIFT_TESTBED_DIR
BIN=$KDRIFT_TESTBED_BIN
# shellcheck disable=SC2034 # used by up.sh
HELM_BIN=$KDRIFT_HELM_BIN
PIDS=$DIR/pids
LOGS=$DIR/logs
# shellcheck disable=SC2034 # used by the sourcing scripts
PKI=$DIR/pki

# Components in start order (up.sh cleans up in reverse order on failure).
# shellcheck disable=SC2034 # used by the sourcing scripts
TESTBED_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

_t0=${_t0:-$SECONDS}
say() { printf '[testbed %3ds] %s\n' "$((SECONDS - _t0))" "$*" >&2; }

die() {
  printf 'testbed: ERROR: %s\n' "$*" >&2
  exit 1
}

# Print the last lines of a component's log to stderr.
show_log() {
  local name=$1 lines=${2:-40}
  if [[ -s $LOGS/$name.log ]]; then
    printf -- '----- last %d lines of %s -----\n' "$lines" "$LOGS/$name.log" >&2
    tail -n "$lines" "$LOGS/$name.log" >&2
    printf -- '----- end of %s -----\n' "$name.log" >&2
  else
    printf 'testbed: %s wrote no log (%s)\n' "$name" "$LOGS/$name.log" >&2
  fi
}

fail_with_log() { # fail_with_log COMPONENT MESSAGE
  show_log "$1" 60
  die "$2"
}

# pid_of NAME: the pid in its pid file, if that process is still ours and alive.
pid_of() {
  local f=$PIDS/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: the process must run one of our binaries.
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$BIN/$1" || return 1
  fi
  echo "$pid"
}

# start NAME ARG...: run $BIN/NAME in its own session, log to $LOGS/NAME.log, pid to $PIDS/NAME.pid.
# The arguments are saved in $DIR/NAME.args so that restart-apiserver.sh can reuse them.
start() {
  local name=$1; shift
  [[ -x $BIN/$name ]] || die "$BIN/$name is missing: run tests/testbed/build.sh first"
  printf '%s\n' "$@" > "$DIR/$name.args"
  {
    printf '===== %s start %s =====\n' "$name" "$(date -u +%FT%TZ)"
    printf '%q ' "$BIN/$name" "$@"; echo
  } >> "$LOGS/$name.log"
  # setsid: the process outlives this script and ignores the caller's Ctrl-C / process-group kill.
  # setsid forks when it is started as a process-group leader (a shell with job control, `set -m`),
  # so $! can be a setsid that has already exited: the process writes its own pid before exec.
  rm -f "$PIDS/$name.pid"
  # shellcheck disable=SC2016 # $$ and $0 are the inner shell's
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDS/$name.pid" "$BIN/$name" "$@" \
    >> "$LOGS/$name.log" 2>&1 < /dev/null &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $PIDS/$name.pid ]] && return 0
    sleep 0.05
  done
  die "$name did not start (no pid after 5 s); see $LOGS/$name.log"
}

# restart_saved NAME: start NAME again with the arguments saved by start.
restart_saved() {
  local name=$1 args
  [[ -f $DIR/$name.args ]] || die "no saved arguments for $name in $DIR (is the testbed up?)"
  mapfile -t args < "$DIR/$name.args"
  start "$name" "${args[@]}"
}

# stop NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL. Safe when it is not running.
stop() {
  local name=$1 timeout=${2:-15} pid i
  if ! pid=$(pid_of "$name"); then
    rm -f "$PIDS/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) did not stop in ${timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDS/$name.pid"
}

# wait_for NAME TIMEOUT_S DESCRIPTION CMD...: poll CMD until it succeeds; fail (with NAME's log)
# if NAME's process dies or the timeout passes.
wait_for() {
  local name=$1 timeout=$2 what=$3; shift 3
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      fail_with_log "$name" "$name exited while waiting for $what"
    fi
    if ((SECONDS >= deadline)); then
      fail_with_log "$name" "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.2
  done
}

# free_port VAR: set VAR to a port on 127.0.0.1 that nothing listens on and that this script
# has not handed out before (a nameref, not $(...), so the list of taken ports survives).
# Ports come from below the kernel's ephemeral range: a port in it can be taken as the local end
# of any outgoing connection between the check and the component's bind (kwok once failed so).
_ports_taken=" "
_ephemeral_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local -n _out=$1
  local p i lo=10000 hi=$((_ephemeral_low - 1))
  (( hi > lo + 1000 )) || { lo=20000; hi=30000; }
  for ((i = 0; i < 200; i++)); do
    p=$((lo + RANDOM % (hi - lo)))
    [[ $_ports_taken == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      _ports_taken+="$p "
      _out=$p
      return 0
    fi
  done
  die "could not find a free port on 127.0.0.1"
}

# http_ok PORT URL_PATH: plain-HTTP GET on 127.0.0.1 using bash's /dev/tcp (no curl needed).
http_ok() ( # a subshell: a failed connect must not end the calling script
  local port=$1 path=$2 reply
  exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
  reply=$(timeout 2 cat <&3) || true
  exec 3<&- 3>&-
  [[ $reply == "HTTP/1."?" 200"* ]]
)

# https_ok PORT URL_PATH: HTTPS GET without verifying the server (the self-signed healthz
# endpoints of kube-controller-manager and kube-scheduler); uses openssl, no curl needed.
https_ok() {
  local port=$1 path=$2 reply
  reply=$(printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" |
    timeout 5 openssl s_client -quiet -connect "127.0.0.1:$port" 2>/dev/null | head -n 1) || true
  [[ $reply == "HTTP/1."?" 200"* ]]
}

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" --request-timeout=5s "$@"; }

apiserver_ready() { [[ $(kubectl_admin get --raw /readyz 2>/dev/null) == ok ]]; }

# update_env KEY VALUE: set KEY in $DIR/env (used after a restart changes a pid).
update_env() {
  local key=$1 val=$2 tmp
  tmp=$(mktemp "$DIR/env.XXXXXX")
  grep -v "^export $key=" "$DIR/env" > "$tmp" || true
  printf 'export %s=%q\n' "$key" "$val" >> "$tmp"
  mv "$tmp" "$DIR/env"
}

# ENV variable name for a component's pid, e.g. kube-apiserver -> KDRIFT_TESTBED_PID_KUBE_APISERVER
pid_var() { local n=${1^^}; echo "KDRIFT_TESTBED_PID_${n//-/_}"; }
