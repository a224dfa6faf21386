# scenario-lib.sh: the framing every system scenario file uses (sourced
# from scenarios.sh and arm64.sh; testhost.sh puts it beside the
# scenario).  Each scenario's console output is framed by
#   === BEGIN name            and            === END name rc=N
# for the check_system binaries to judge; its stderr (husk's diagnostics)
# follows after "=== STDERR name", never interleaved with it.  Every run
# is bounded twice: husk --timeout and busybox timeout.  $CMD is the
# kernel command line's start, set by the sourcing file.

scenario() { # name cmd...
    name=$1
    shift
    echo "=== BEGIN $name"
    timeout 240 "$@" </dev/null 2>"/tmp/scenario-$name.err"
    rc=$?
    echo "=== STDERR $name"
    cat "/tmp/scenario-$name.err"
    echo "=== END $name rc=$rc"
}

linux() { # name kernel extra-husk-args... -- husk.run command
    name=$1
    kernel=$2
    shift 2
    args=
    extra=
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        if [ "$1" = --cmdline-extra ]; then
            extra="$extra $2"
            shift 2
            continue
        fi
        args="$args $1"
        shift
    done
    shift
    # shellcheck disable=SC2086
    scenario "$name" husk run --kernel "$kernel" --initrd initramfs.cpio.gz \
        --timeout 200 $args --cmdline "$CMD$extra husk.run=\"$*\""
}
