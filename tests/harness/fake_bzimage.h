/*
 * fake_bzimage.h: the smallest bzImage the loader accepts (Linux x86
 * boot protocol 2.15: one setup sector, a 64-bit high-loaded kernel),
 * with a numbered payload, for the loader tests and the catalogue's H
 * cases.  img must hold 1024 + payload bytes.
 */
#ifndef HUSK_FAKE_BZIMAGE_H
#define HUSK_FAKE_BZIMAGE_H

#include <asm/bootparam.h>
#include <string.h>

#include "lib/util.h"

static inline void make_bzimage(uint8_t *img, size_t payload)
{
    memset(img, 0, 1024 + payload);
    img[0x1f1] = 1; /* setup_sects: 1 + boot sector = 1024 bytes */
    put_le32(img + 0x1f4, (uint32_t)(payload / 16));
    put_le16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x66; /* header ends at 0x268 */
    memcpy(img + 0x202, "HdrS", 4);
    put_le16(img + 0x206, 0x020f);
    img[0x211] = LOADED_HIGH;
    put_le32(img + 0x22c, 0x37ffffff);
    put_le32(img + 0x230, 0x200000);
    put_le16(img + 0x236, XLF_KERNEL_64);
    put_le32(img + 0x238, 255);
    put_le32(img + 0x260, 0x10000);
    for (size_t i = 0; i < payload; i++) {
        img[1024 + i] = (uint8_t)(i * 7 + 1);
    }
}

#endif
