/*
 * frames.h: Ethernet frames a guest would send, for the tests that feed
 * the slirp stack directly (check_slirp.c, the catalogue's S cases):
 * an Ethernet II header and an ARP request (RFC 826) from 10.0.2.15.
 */
#ifndef HUSK_FRAMES_H
#define HUSK_FRAMES_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/* Writes the 14-byte Ethernet header; returns its length. */
static inline size_t frame_eth(uint8_t *f,
                               const uint8_t *dst,
                               const uint8_t *src,
                               uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return 14;
}

/* A broadcast ARP request from src (10.0.2.15) for target; returns the
 * frame's length (42). */
static inline size_t frame_arp_request(uint8_t *f,
                                       const uint8_t *src,
                                       const char *target)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t *a = f + frame_eth(f, bcast, src, 0x0806);

    memset(a, 0, 28);
    a[1] = 1;    /* Ethernet */
    a[2] = 0x08; /* IPv4 */
    a[4] = 6;
    a[5] = 4;
    a[7] = 1; /* request */
    memcpy(a + 8, src, 6);
    inet_pton(AF_INET, "10.0.2.15", a + 14);
    inet_pton(AF_INET, target, a + 24);
    return 14 + 28;
}

#endif
