#!/bin/bash
# Issue 13's calibration runs on a shared 2-core machine: two workers at nice 10,
# the seed's combined configuration in one, leaky ReLU then combined seed 1 in
# the other. Rerunning resumes every run from its last checkpoint.
#   experiments/calibration/run.sh [results dir, default /tmp/calib-runs]
cd "$(dirname "$0")/../.." || exit 1
results=${1:-/tmp/calib-runs}
mkdir -p "$results"
run() { nice -n 10 npx tsx apps/runner/src/main.ts exp --file "experiments/calibration/$1.exp.ts" --results "$results" --concurrency 1; }
{ run combined-full; echo "combined-full rc=$? $(date -u +%T)"; } > "$results/combined-full.log" 2>&1 &
{ run leaky-full; echo "leaky-full rc=$? $(date -u +%T)"; run combined-full-s1; echo "combined-full-s1 rc=$? $(date -u +%T)"; } > "$results/leaky-s1.log" 2>&1 &
wait
