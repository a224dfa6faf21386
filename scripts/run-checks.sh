#!/bin/sh
# run-checks.sh [--unit-only]: every test suite, as `make check` runs it.
#  1. unit  : built with ASan+UBSan (build-asan/), no KVM needed
#  2. kvm   : tiny guests on this host's /dev/kvm (skipped, 77, without it)
#  3. system: real Linux guests, inside the nested KVM test host
#  4. fuzz  : libFuzzer targets (build-fuzz/, clang), each for a bounded
#             time (FUZZ_SECONDS, default 15) after replaying regressions
# Ends with one line "N passed, N failed, N skipped" summed over meson's
# summaries, and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
asan=${ASAN_BUILD:-build-asan}
main=${BUILD:-build}
fuzz=${FUZZ_BUILD:-build-fuzz}
log=$(mktemp)
pass=0 fail=0 skip=0 setup_failed=0
skips=$(mktemp)
trap 'rm -f "$log" "$skips"' EXIT

summarise() {
    # meson 1.0 prints "Ok:", "Expected Fail:", "Fail:", "Unexpected Pass:",
    # "Skipped:", "Timeout:" lines at the end of a run.
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    xf=$(sed -n 's/^Expected Fail: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    f=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    up=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    if [ -z "$ok$f" ]; then
        echo "run-checks: meson printed no summary for $1" >&2
        setup_failed=1
        return
    fi
    pass=$((pass + ${ok:-0} + ${xf:-0}))
    fail=$((fail + ${f:-0} + ${up:-0} + ${to:-0}))
    skip=$((skip + ${sk:-0}))
}

run_suite() { # build-dir suite...
    dir=$1
    shift
    args=
    for s in "$@"; do args="$args --suite $s"; done
    # shellcheck disable=SC2086
    meson test -C "$dir" $args --print-errorlogs 2>&1 | tee "$log"
    summarise "$*"
    # Each skipped test with its reason (its "SKIP: ..." lines), for the
    # list at the end: a skip is never silent.
    python3 - "$dir/meson-logs/testlog.json" >>"$skips" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    sys.exit(0)
for line in lines:
    t = json.loads(line)
    if t.get("result") == "SKIP":
        why = [l[6:] for l in (t.get("stdout") or "").splitlines()
               if l.startswith("SKIP: ")]
        print("skipped %s: %s" % (t["name"], "; ".join(why) or
                                  "NO REASON GIVEN (counted as a failure)"))
PY
}

configure() { # dir meson-args...
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null || { setup_failed=1; return 1; }
    else
        meson configure "$dir" "$@" >/dev/null 2>&1 || true
    fi
    ninja -C "$dir" >/dev/null || { ninja -C "$dir"; setup_failed=1; return 1; }
}

if configure "$asan" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dtests=enabled; then
    run_suite "$asan" unit
fi
if [ "${1:-}" != "--unit-only" ]; then
    if configure "$main" -Dtests=enabled; then
        run_suite "$main" kvm system
    fi
fi
if [ "${1:-}" != "--unit-only" ]; then
    if CC=clang configure "$fuzz" -Dfuzz=true -Dtests=enabled \
            -Db_sanitize=address,undefined -Db_lundef=false \
            -Dfuzz_seconds="${FUZZ_SECONDS:-15}"; then
        run_suite "$fuzz" fuzz
    fi
fi
[ "$setup_failed" = 0 ] || fail=$((fail + 1))
cat "$skips"
fail=$((fail + $(grep -c 'NO REASON GIVEN' "$skips")))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
