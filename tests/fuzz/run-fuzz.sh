#!/bin/sh
# run-fuzz.sh TARGET FUZZDIR NAME SECONDS [ARTIFACTS [MIN_COV]]: a bounded
# libFuzzer run.
#  1. replays every input in FUZZDIR/regress/NAME (crashes found before);
#  2. fuzzes for SECONDS starting from the seed corpus FUZZDIR/seeds/NAME
#     (small, minimized, in the repository, read only here).  New inputs
#     go to a scratch directory, or with FUZZ_KEEP_CORPUS=1 (`make fuzz`)
#     to a corpus kept outside the repository, in
#     ${HUSK_CACHE:-~/.cache/husk}/fuzz-corpus/NAME, which later runs
#     start from too.
# Exits non-zero on any crash, leak, sanitizer report or timeout; the input
# is saved as ARTIFACTS/NAME-crash-* (default: fuzz-artifacts beside the
# target, in the build directory, never the source tree) for adding to
# regress/.
set -eu
target=$1
dir=$2
name=$3
secs=$4
artifacts=${5:-$(dirname "$target")/fuzz-artifacts}
min_cov=${6:-0}
seeds=$dir/seeds/$name
keep=${FUZZ_KEEP_CORPUS:-}
mkdir -p "$artifacts"
if [ -d "$dir/regress/$name" ] && [ -n "$(ls -A "$dir/regress/$name")" ]; then
    "$target" -runs=0 "$dir/regress/$name"/* || exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The seeds must reach past the input's parsing into the code under test:
# the coverage of the corpus alone, before any fuzzing, has a floor.
if [ "$min_cov" -gt 0 ]; then
    "$target" -runs=0 "$seeds" > "$work/seeds.log" 2>&1 || true
    cov=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$work/seeds.log" | tail -n1)
    if [ "${cov:-0}" -lt "$min_cov" ]; then
        echo "run-fuzz: $name: the seed corpus covers ${cov:-0} edges, below $min_cov: it does not reach the code past the parser"
        exit 1
    fi
    echo "run-fuzz: $name: seed corpus coverage $cov edges (floor $min_cov)"
fi
out=$work
if [ -n "$keep" ]; then
    out=${HUSK_CACHE:-$HOME/.cache/husk}/fuzz-corpus/$name
    mkdir -p "$out"
    echo "run-fuzz: $name: corpus kept in $out"
fi
rc=0
"$target" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
    "$out" "$seeds" > "$work/log" 2>&1 || rc=$?
grep -E "^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+[[:space:]]*DONE)" "$work/log" || true
if [ "$rc" != 0 ]; then
    tail -n 40 "$work/log"
    echo "run-fuzz: $name failed (status $rc); input saved under $artifacts/"
    exit 1
fi
