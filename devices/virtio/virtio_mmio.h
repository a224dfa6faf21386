/*
 * virtio_mmio.h: the virtio-mmio transport, version 2 register layout
 * (virtio v1.2 §4.2 "Virtio Over MMIO").
 */
#ifndef HUSK_VIRTIO_MMIO_H
#define HUSK_VIRTIO_MMIO_H

#include "devices/virtio/virtio.h"
#include "lib/bus.h"

#define VIRTIO_MMIO_SIZE 0x1000  /* one 4 KiB window per device */
#define VIRTIO_MMIO_CONFIG 0x100 /* device config space starts here */

/* bus_ops for a device window; opaque is the struct virtio_dev. */
extern const struct bus_ops virtio_mmio_ops;

#endif
