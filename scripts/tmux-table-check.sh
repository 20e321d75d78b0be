#!/usr/bin/env bash
# Under a real tmux, prints the runner's end-of-plan table N times through
# `nx run runner:exp` (Nx's pseudo terminal) and N times straight from tsx, and
# counts U+FFFD (the replacement character) in what the pane shows.
#
#   scripts/tmux-table-check.sh [rounds] [results-dir]
#
# The first call trains the 12-run plan below (one epoch of 256 digits each,
# a few minutes on 2 cores); later calls find every run done and only print
# the table (≈5 KB of box drawing). Needs tmux. Exit status 1 when the Nx
# route showed a U+FFFD. GANSCOPE_ASCII=0 forces the box-drawing frame under
# Nx too (how the runner drew it before it knew about Nx's terminal).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
results=${2:-/tmp/ganscope-tmux-check}
command -v tmux >/dev/null || { echo "tmux-table-check: tmux is not installed (apt-get install -y tmux)" >&2; exit 2; }
dir=tmp-tmux-check
mkdir -p "$dir"
cat > "$dir/wide.exp.ts" <<'TS'
import { experiment } from "@ganscope/dsl";

// 12 one-epoch runs on 256 digits: a summary table of ~30 lines (about 5 KB of box drawing).
export default experiment("tmux-wide")
  .fix({ limit: 256, batch_size: 64, eval_every: 1 })
  .vary("gen_lr", [1e-4, 2e-4, 5e-4, 1e-3])
  .vary("dis_dropout", [0, 0.3, 0.6])
  .epochs(1);
TS
socket="ganscope-check-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT
# One pane per run, 200 columns so the table fits unwrapped; the pane's text is what a person sees.
pane() { # name command
  tmux -L "$socket" kill-server 2>/dev/null || true
  tmux -L "$socket" new-session -d -s check -x 200 -y 60 "$2; echo __END__; sleep 600"
  for _ in $(seq 1 300); do
    sleep 2
    tmux -L "$socket" capture-pane -p -J -t check -S -400 > "$dir/$1.txt"
    grep -q __END__ "$dir/$1.txt" && break
  done
  tmux -L "$socket" kill-server 2>/dev/null || true
  { grep -o $'\xef\xbf\xbd' "$dir/$1.txt" || true; } | wc -l
}
args="--file=$dir/wide.exp.ts --results=$results --concurrency=2"
env=""
[ -n "${GANSCOPE_ASCII:-}" ] && env="GANSCOPE_ASCII=$GANSCOPE_ASCII"
nx_bad=0
for i in $(seq 1 "$rounds"); do
  n=$(pane "nx-$i" "env $env NX_DAEMON=false npx nx run runner:exp $args")
  d=$(pane "tsx-$i" "env $env npx tsx apps/runner/src/main.ts exp $args")
  frame=$(grep -c -- '-+-' "$dir/nx-$i.txt" || true)
  echo "round $i: through nx $n U+FFFD ($frame ASCII frame lines), straight from tsx $d U+FFFD"
  nx_bad=$((nx_bad + n))
done
echo "panes kept in $dir/"
[ "$nx_bad" -eq 0 ]
