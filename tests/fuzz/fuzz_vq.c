/*
 * fuzz_vq.c: libFuzzer target for the virtqueue parser alone (crosvm's
 * virtqueue_fuzzer idea): the input is a 64 KiB guest memory image holding
 * the rings and descriptors, plus the queue size and negotiated features;
 * every chain vq_pop() accepts is touched end to end (read and written, so
 * ASan checks each iovec) and returned with vq_push().
 */
#include <stdint.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"
#include "lib/util.h"

#define RAM (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ram[RAM];
    static struct vq_elem e;
    struct guest_mem gm = {0};
    struct virtqueue vq;
    uint8_t ctl;

    if (size < 2) {
        return 0;
    }
    ctl = data[0];
    memset(ram, 0, sizeof(ram));
    memcpy(ram, data + 1, MIN(size - 1, sizeof(ram)));
    gm_add_region(&gm, 0x1000, RAM, ram); /* GPA 0 is not RAM */
    vq_init(&vq, &gm, 256);
    vq.size = (uint16_t)(1u << (ctl % 9));
    vq.desc_gpa = 0x1000;
    vq.avail_gpa = 0x1000 + 0x1000 * (1 + (ctl >> 6));
    vq.used_gpa = 0x1000 + 0x8000;
    if (vq_activate(&vq, ctl & 0x10, ctl & 0x20) < 0) {
        return 0;
    }
    for (unsigned n = 0; n < 2u * vq.size; n++) {
        int r = vq_pop(&vq, &e);
        uint32_t sum = 0;

        if (r <= 0) {
            break;
        }
        for (unsigned i = 0; i < e.out_num; i++) {
            for (size_t k = 0; k < e.out[i].iov_len; k++) {
                sum += ((uint8_t *)e.out[i].iov_base)[k];
            }
        }
        for (unsigned i = 0; i < e.in_num; i++) {
            memset(e.in[i].iov_base, (int)sum, e.in[i].iov_len);
        }
        vq_push(&vq, e.head, e.in_len);
        vq_should_notify(&vq);
    }
    return 0;
}
