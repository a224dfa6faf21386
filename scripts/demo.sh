#!/bin/sh
# demo.sh HUSK: boot the default guest (Debian's stock cloud kernel and the
# busybox initramfs from guest-images/).
#  - With hardware KVM here: boots it directly, a shell on this terminal
#    (Ctrl-A x quits; `poweroff` ends the VM).
#  - Otherwise (no /dev/kvm, or PVM which cannot run Linux): boots it inside
#    the nested KVM test host (QEMU TCG), where it runs a few commands and
#    powers off.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
husk=$1
guest=$("$here/guest-images/default-guest.sh")
# No quotes or $ inside: it travels as husk.run="..." on the kernel command
# line, which ends at the next double quote.
demo_cmd='echo; echo hello from a husk guest; uname -a; echo CPUs:; nproc; free -m; ip -4 addr show eth0'

if "$here/scripts/have-hw-kvm.sh"; then
    echo "demo: hardware KVM found; booting the default guest with husk"
    if [ -t 0 ]; then
        echo "demo: a shell will start on this terminal; Ctrl-A x quits"
        exec "$husk" run --kernel "$guest/vmlinuz" --initrd "$guest/initramfs.cpio.gz" \
            --cpus 2 --memory 512M --net user --cmdline "console=ttyS0 quiet"
    fi
    exec "$husk" run --kernel "$guest/vmlinuz" --initrd "$guest/initramfs.cpio.gz" \
        --cpus 2 --memory 512M --net user --timeout 120 \
        --cmdline "console=ttyS0 quiet husk.run=\"$demo_cmd\""
fi

echo "demo: no hardware-backed /dev/kvm here ($("$husk" check 2>/dev/null | sed -n 's/^kvm backed by: *//p'))."
echo "demo: booting the default guest inside the nested KVM test host (QEMU software emulation); this takes ~20 s"
scenario=$(mktemp)
trap 'rm -f "$scenario"' EXIT
cat > "$scenario" <<SCEN
echo "test host: \$(uname -r), /dev/kvm from kvm-amd (nested)"
time husk run --kernel vmlinuz --initrd initramfs.cpio.gz --cpus 2 --memory 512M \
    --net user --timeout 120 --cmdline 'console=ttyS0 quiet husk.run="$demo_cmd"' </dev/null
echo "husk exited with status \$?"
SCEN
"$here/tests/testhost/testhost.sh" --husk "$husk" --scenario "$scenario" \
    --file "$guest/vmlinuz:vmlinuz" --file "$guest/initramfs.cpio.gz:initramfs.cpio.gz" \
    --timeout 300 | tr -d '\r' | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' |
    grep -v -e '^\[' -e SeaBIOS -e 'Booting from ROM'
