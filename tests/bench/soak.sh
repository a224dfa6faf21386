#!/bin/sh
# soak.sh [KILLS] [BATCH]: the durability scenario of the system suite
# (tests/system/durability.sh) run KILLS times (default 500), for the
# records lost under SIGKILL (goal: 0).  Hardware KVM: directly; else
# inside the nested test host, BATCH kills (default 50) per test host: the
# emulated test host stalls about once in a hundred VM lifetimes, which
# would end one long run early.  A batch whose test host stalled counts
# the kills it finished and the rest go to the next batch; after 5 stalls
# the soak gives up.  About 8 s a kill in the test host.  Each kill's line
# is printed as it ends; the last line is
#   SOAK kills=K acked=A lost=L batches=B stalls=S
#   make soak   (or: tests/bench/soak.sh 500)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kills=${1:-500}
batch=${2:-50}
b=${BUILD:-$top/build}
g=$("$top/guest-images/default-guest.sh")
scen=$(mktemp)
out=$(mktemp)
trap 'rm -f "$scen" "$out"' EXIT
done_kills=0 acked=0 lost=0 batches=0 stalls=0
while [ $done_kills -lt "$kills" ]; do
    n=$((kills - done_kills))
    [ $n -le "$batch" ] || n=$batch
    printf 'sh ./durability.sh %s\n' "$n" > "$scen"
    batches=$((batches + 1))
    "$top/tests/bench/run-scenario.sh" soak "$scen" --timeout $((n * 30 + 600)) \
        --file "$g/vmlinuz:vmlinuz" --file "$g/initramfs.cpio.gz:initramfs.cpio.gz" \
        --file "$b/guest-images/husk-records:husk-records" \
        --file "$top/tests/system/durability.sh:durability.sh" | tee "$out" || true
    # Counted from the per-kill lines, so a stalled batch's finished
    # kills still count; a line without RECORDS-LOST counts as one lost.
    # shellcheck disable=SC2046
    set -- $(awk '/^kill [0-9]+ \(/ {
            k++; lost_seen = 0
            for (f = 1; f <= NF; f++) {
                split($f, kv, "=")
                if (kv[1] == "RECORDS-ACKED") a += kv[2]
                if (kv[1] == "RECORDS-LOST") { l += kv[2]; lost_seen = 1 }
            }
            if (!lost_seen) l++
        } END { print k + 0, a + 0, l + 0 }' "$out")
    k=$1
    done_kills=$((done_kills + $1)) acked=$((acked + $2)) lost=$((lost + $3))
    if ! grep -q '^DURABILITY ' "$out"; then
        stalls=$((stalls + 1))
        echo "soak.sh: batch $batches ended after $k of $n kills" >&2
        if [ $stalls -ge 5 ]; then
            echo "soak.sh: giving up after $stalls stalled batches" >&2
            break
        fi
    fi
done
echo "SOAK kills=$done_kills acked=$acked lost=$lost batches=$batches stalls=$stalls"
[ $done_kills -ge "$kills" ] && [ $lost -eq 0 ]
