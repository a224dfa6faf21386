# slirp-qemu.sh: husk-slirp as a standard vhost-user-net backend under
# another frontend: QEMU microvm with -netdev vhost-user gets a DHCP lease
# and downloads the 32 MiB file with its sha256.  Sourced by scenarios.sh
# inside the test host once httpd serves /tmp/www on 127.0.0.1:8000; QEMU
# and its firmware come as qemu/ and qemu-data/ (not on PATH: the boot
# benchmark there leaves QEMU out).
if [ -x qemu/qemu-system-x86_64 ]; then
    rm -f /tmp/slirp.sock
    husk-slirp --socket-path=/tmp/slirp.sock --mtu=1500 2>/tmp/slirp-qemu.err &
    hs=$!
    n=0
    while [ ! -S /tmp/slirp.sock ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    scenario slirp-qemu ./qemu/qemu-system-x86_64 -L qemu-data \
        -M microvm,memory-backend=mem -accel kvm -cpu host,pmu=off \
        -object memory-backend-memfd,id=mem,size=256M,share=on -m 256M \
        -smp 1 -nodefaults -no-user-config -nographic -display none \
        -serial stdio -global virtio-mmio.force-legacy=false \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -chardev socket,id=c0,path=/tmp/slirp.sock \
        -netdev vhost-user,id=n0,chardev=c0 -device virtio-net-device,netdev=n0 \
        -kernel vmlinuz -initrd initramfs.cpio.gz \
        -append "$CMD husk.run=\"ip -4 addr show eth0; echo QEMU-BIG-SHA=\$(wget -q -O - http://10.0.2.2:8000/big | sha256sum | cut -d' ' -f1)\""
    wait $hs
    echo "SLIRP-EXIT=$?"
    cat /tmp/slirp-qemu.err
else
    echo "SLIRP-QEMU: no qemu/qemu-system-x86_64 here"
fi
