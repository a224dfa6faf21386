/*
 * fake_vhost_user.h: a vhost-user backend that misbehaves on purpose, in
 * a child process on a UNIX stream socket pair (QEMU
 * docs/interop/vhost-user.rst, the backend's side).  It answers what a
 * minimal virtio-fs backend answers, except for the one thing its mode
 * names.  It serves no data: tests of the data path use the real
 * virtiofsd.
 */
#ifndef HUSK_TEST_FAKE_VHOST_USER_H
#define HUSK_TEST_FAKE_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum fvu_mode {
    FVU_GOOD,
    FVU_SILENT,          /* never answers GET_FEATURES */
    FVU_HUGE_REPLY,      /* GET_FEATURES reply claims 4 GiB of payload */
    FVU_WRONG_REQUEST,   /* GET_FEATURES answered as another request */
    FVU_NOT_A_REPLY,     /* GET_FEATURES answered without the REPLY flag */
    FVU_FDS_IN_REPLY,    /* 8 descriptors attached to a reply */
    FVU_NO_VERSION_1,    /* a legacy-only backend */
    FVU_TRUNCATED,       /* half a reply, then gone */
    FVU_NACK_MEM_TABLE,  /* REPLY_ACK status 1 for SET_MEM_TABLE */
    FVU_CLOSE_ON_KICK,   /* closes the connection at SET_VRING_KICK */
    FVU_SILENT_STOP,     /* never answers GET_VRING_BASE */
    FVU_WRONG_QUEUE,     /* GET_VRING_BASE answered for another queue */
    FVU_UNASKED,         /* after the last SET_VRING_ENABLE, a message */
    FVU_SILENT_VM_STOPS, /* never answers GET_VRING_BASE; the VM stops */
    FVU_SHRINKS_MEMORY,  /* tries to shrink guest RAM (a sealed memfd) */
    FVU_FLOOD_CALL,      /* signals its call eventfd without end */
    FVU_MODES
};

extern const char *const fvu_mode_name[FVU_MODES];

/* Forks the backend; *sock is husk's end.  The child exits at EOF, and
 * after lifetime_s in any case. */
pid_t fvu_start(enum fvu_mode m, int *sock, unsigned lifetime_s);

/* What husk did with a backend of that mode (fvu_play). */
struct fvu_outcome {
    bool init_ok;       /* the handshake succeeded */
    char message[256];  /* the setup error, or why the device gave up */
    bool needs_reset;   /* the device asked for a reset */
    bool lost;          /* husk gave the backend up */
    bool killed;        /* the backend process was SIGKILLed by husk */
    int64_t longest_us; /* the longest step husk took (handshake,
                         * DRIVER_OK, reset) */
    int fds_kept;       /* descriptors open after, less before */
    uint32_t isr;       /* InterruptStatus once running */
    uint8_t tag0;       /* the config space's first byte (the tag's) */
    bool call_cut;      /* husk cut the backend's interrupts off */
};

/*
 * Plays one mode against husk's vhost-user device as husk runs it: a
 * virtio-fs device on memfd guest RAM, the handshake, a driver's bring-up
 * and a reset on a thread under the vCPU seccomp filter, the socket
 * watch under the main thread's; the backend's pid handed over as a
 * pidfd, as for a virtiofsd husk started.
 */
void fvu_play(enum fvu_mode m, struct fvu_outcome *o);

#endif
