#!/bin/sh
# have-hw-kvm.sh: exits 0 when /dev/kvm exists and is backed by hardware
# virtualization (kvm_intel or kvm_amd), the only KVM a Linux guest boots on.
# Elsewhere (no /dev/kvm, or PVM) scripts use the nested test host instead.
[ -e /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }
