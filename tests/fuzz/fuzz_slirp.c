/*
 * fuzz_slirp.c: libFuzzer target for slirp's guest-facing parsers (ARP,
 * IPv4/IPv6, ICMP, UDP, TCP, DHCP, DNS forwarding) with the frames fed
 * straight to slirp_stack_input, as virtio-net would hand them over:
 * fuzz_virtio_net reaches slirp too, but through the ring format, so it
 * rarely builds a valid IP header.  The input is a list of frames, each
 * preceded by a 16-bit little-endian length.  The stack is restricted
 * (no connection leaves the process) and lives across inputs, as it does
 * in husk-slirp.
 */
#include <stdint.h>
#include <string.h>

#include "devices/backend/slirp_stack.h"

static int output(void *opaque, const void *frame, size_t len)
{
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct slirp_stack *st;
    static GMainContext *ctx;

    if (!st) {
        struct net_user_opts o = {.ipv6 = true, .restrict_ = true, .mtu = 1500};

        ctx = g_main_context_new();
        st = slirp_stack_new(&o, ctx, output, NULL, NULL);
    }
    while (size >= 2) {
        size_t len = (size_t)data[0] | (size_t)data[1] << 8;

        data += 2, size -= 2;
        if (len > size) {
            len = size;
        }
        slirp_stack_input(st, data, len);
        data += len, size -= len;
    }
    for (int i = 0; i < 4; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
    return 0;
}
