#!/usr/bin/env bash
# Renders docs/screenshot.png from a real run: `kdrift demo` (release build) in tmux at 160x38,
# the redis StatefulSet selected once its diff and logs are on screen, the pane captured with its
# colours (`capture-pane -e`) and drawn cell by cell (scripts/ansi_png.py). Nothing is drawn by hand.
# Usage: scripts/screenshot.sh [OUT.png]   (needs tmux, python3-pil, fonts-dejavu-core)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/docs/screenshot.png}
# Debian's python3-pil is in the system python, which another python3 on PATH may hide
py=
for p in python3 /usr/bin/python3; do
  "$p" -c 'import PIL' 2>/dev/null && { py=$p; break; }
done
[[ -n $py ]] || {
  echo "screenshot.sh: needs Pillow (apt-get install python3-pil)" >&2
  exit 1
}
(cd "$root" && cargo build --locked --release --bin kdrift)
bin=${CARGO_TARGET_DIR:-$root/target}/release/kdrift
work=$(mktemp -d)
sock="kdrift-shot-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 38 \
  "env HOME=$work XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state TERM=xterm-256color COLORTERM=truecolor $bin demo"
# wait_for TEXT: until the screen shows it (30 s at most)
wait_for() {
  for _ in $(seq 300); do
    tmux -L "$sock" capture-pane -p | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "screenshot.sh: the screen never showed '$1':" >&2
  tmux -L "$sock" capture-pane -p >&2
  exit 1
}
wait_for "modified"
# the redis StatefulSet: 4 replicas in git, 3 live, scaled by hand
tmux -L "$sock" send-keys ':' 'sts' Enter
wait_for "replicas: 4"
wait_for "logs redis"
sleep 2 # a few log lines
tmux -L "$sock" capture-pane -e -p > "$work/screen.txt"
"$py" "$root/scripts/ansi_png.py" "$work/screen.txt" "$out"
