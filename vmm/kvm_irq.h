/*
 * kvm_irq.h: an interrupt line (lib/vmctl.h) driven with KVM_IRQ_LINE,
 * for the platform devices that raise and lower a level (the UART); the
 * virtio devices use irqfd (vm_virtio.c).
 */
#ifndef HUSK_KVM_IRQ_H
#define HUSK_KVM_IRQ_H

#include "lib/vmctl.h"

struct kvm_irq_line {
    struct irq_line line;
    int vm_fd;
    unsigned gsi;
};

/* gsi: a GSI on x86, an SPI number on arm64 (vm_arch_irq_line). */
void kvm_irq_init(struct kvm_irq_line *k, int vm_fd, unsigned gsi);

#endif
