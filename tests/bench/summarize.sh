#!/bin/sh
# summarize.sh FILE: FILE has lines "NAME wall_ms=.. marker_ms=.. cpu_ms=..
# maxrss_kb=.. status=.. [KEY=..]...".  Prints, per NAME, the run count and
# the median (and min/max) of each figure, extra keys included.
awk '
function med(arr, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j+1] = arr[j]; arr[j+1] = t }
    return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{
    name = $1; n[name]++; k = n[name]
    for (f = 2; f <= NF; f++) { split($f, kv, "="); v[name, kv[1], k] = kv[2]; if (!(kv[1] in keys)) { keys[kv[1]] = 1; korder[++nk] = kv[1] } }
    if (!(name in seen)) { seen[name] = 1; order[++no] = name }
}
END {
    # The four runstat figures first, then any other KEY=number the lines
    # carry (timeline phases, say), in the order they first appear.
    nf = split("wall_ms marker_ms cpu_ms maxrss_kb", fields, " ")
    for (i = 1; i <= nk; i++) {
        if (korder[i] != "status" && korder[i] !~ /^(wall_ms|marker_ms|cpu_ms|maxrss_kb)$/) fields[++nf] = korder[i]
    }
    for (o = 1; o <= no; o++) {
        name = order[o]; line = sprintf("%-22s runs=%d", name, n[name])
        for (fi = 1; fi <= nf; fi++) {
            f = fields[fi]; if (!((name, f, 1) in v)) continue
            for (k = 1; k <= n[name]; k++) a[k] = v[name, f, k] + 0
            mn = a[1]; mx = a[1]; for (k = 1; k <= n[name]; k++) { if (a[k] < mn) mn = a[k]; if (a[k] > mx) mx = a[k] }
            line = line sprintf("  %s median=%.1f [%.1f..%.1f]", f, med(a, n[name]), mn, mx)
        }
        st = ""; for (k = 1; k <= n[name]; k++) st = st v[name, "status", k] ","
        print line "  status=" st
    }
}' "$1"
