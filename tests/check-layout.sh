#!/bin/sh
# check-layout.sh SRCDIR: the architecture's include rules, one line each
# (README, "Where the code is").  Prints every offending line and exits 1
# if any rule is broken.
#   lib/       the floor: includes only itself
#   devices/   devices and backends: the floor and themselves, no KVM
#   firmware/  what the guest is told at boot: the floor and itself
#   vmm/       the only layer that talks to KVM
#   husk-slirp/  a program of its own: the floor, devices, itself, and
#              vmm's sandbox and option parsers; no KVM
#   husk-api/  the control socket's JSON side: the floor, vmm's sandbox
#              and snapshot files; no KVM, no devices
cd "${1:-.}" || exit 2
bad=0
rule() { # name grep-output
    if [ -n "$2" ]; then
        echo "layout: $1:"
        echo "$2" | sed 's/^/  /'
        bad=1
    fi
}
rule "only vmm/ includes <linux/kvm.h>" "$(grep -rn --include='*.[ch]' '#include <linux/kvm.h>' lib devices firmware husk-slirp husk-api)"
rule "lib/ includes only lib/" "$(grep -rn --include='*.[ch]' '#include "' lib | grep -v '#include "lib/')"
rule "devices/ includes only lib/ and devices/" "$(grep -rn --include='*.[ch]' '#include "' devices | grep -v -e '#include "lib/' -e '#include "devices/')"
rule "firmware/ includes only lib/ and firmware/" "$(grep -rn --include='*.[ch]' '#include "' firmware | grep -v -e '#include "lib/' -e '#include "firmware/')"
rule "husk-slirp/ includes lib/, devices/, itself, vmm/sandbox.h and vmm/cli.h" "$(grep -rn --include='*.[ch]' '#include "' husk-slirp | grep -v -e '#include "lib/' -e '#include "devices/' -e '#include "husk-slirp/' -e '#include "vmm/sandbox.h"' -e '#include "vmm/cli.h"')"
rule "husk-api/ includes lib/, vmm/sandbox.h and vmm/snapshot.h" "$(grep -rn --include='*.[ch]' '#include "' husk-api | grep -v -e '#include "lib/' -e '#include "vmm/sandbox.h"' -e '#include "vmm/snapshot.h"')"
[ "$bad" = 0 ] && echo "layout: every include rule holds"
exit "$bad"
