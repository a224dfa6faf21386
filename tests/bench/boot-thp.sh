#!/bin/sh
# boot-thp.sh [RUNS]: boot to the init marker, husk against QEMU microvm
# (husk bench boot, default guest, containers left out), once per
# transparent huge page mode of the test host (TESTHOST_THP never,
# madvise, always); both VMMs advise huge pages on guest RAM.  Prints the
# raw runs with their mode and, per mode, the medians and the ratio.
#   needs: make build guest; no hardware KVM (the VMs run in the test host)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
b=${BUILD:-$top/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in never madvise always; do
    TESTHOST_THP=$mode "$b/husk" bench boot --runs "$runs" --no-containers \
        --out "$work/$mode" >/dev/null
    grep -E '^(TESTHOST-THP|R env=)' "$work/$mode/raw.txt" | sed "s/^/$mode /"
done > "$work/all.txt"
cat "$work/all.txt"
echo "--- medians of launch to marker (ms), per mode"
awk '$2 == "R" { split($0, f, " "); sys = ""; ms = "";
        for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "sys") sys = kv[2]; if (kv[1] == "marker_ms") ms = kv[2] }
        k = $1 " " sys; n[k]++; v[k, n[k]] = ms + 0; if (!($1 in seen)) { seen[$1] = 1; order[++no] = $1 } }
     function med(k,   m, i, j, t, a) { m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i];
        for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
        return m % 2 ? a[(m+1)/2] : (a[m/2] + a[m/2+1]) / 2 }
     END { for (o = 1; o <= no; o++) { m = order[o]; h = med(m " husk"); q = med(m " qemu-microvm");
        printf "%-8s husk %.0f  qemu-microvm %.0f  ratio %.2f\n", m, h, q, h / q } }' "$work/all.txt"
