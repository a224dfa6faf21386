# cold-scenario.sh: the one scenario check_system --cold runs, with guest
# images and a test host that were just built in an empty cache (same
# framing as scenarios.sh).
echo "=== BEGIN cold-bzimage"
timeout 240 husk run --kernel vmlinuz --initrd initramfs.cpio.gz \
    --timeout 200 --cmdline 'console=ttyS0 quiet husk.run="echo HUSK-RUN-OK"' \
    </dev/null 2>/tmp/cold.err
rc=$?
echo "=== STDERR cold-bzimage"
cat /tmp/cold.err
echo "=== END cold-bzimage rc=$rc"
