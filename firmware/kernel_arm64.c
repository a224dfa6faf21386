/*
 * kernel_arm64.c: the arm64 Image loader (kernel_arm64.h;
 * Documentation/arch/arm64/booting.rst).
 */
#define G_LOG_DOMAIN "husk"
#include "firmware/kernel_arm64.h"

#include <inttypes.h>
#include <string.h>

#include "lib/error.h"
#include "lib/util.h"

#define SZ_2M (2ULL << 20)
/* What booting.rst says to assume when image_size is 0 (before 3.17). */
#define LEGACY_TEXT_OFFSET 0x80000ULL

/*
 * An EFI-stub Image ("MZ" at 0, as Debian's are) is also a PE/COFF file
 * whose section table says where the file's bytes end (PE/COFF spec §3.3
 * file header, §4 section table: SizeOfRawData at +16, PointerToRawData
 * at +20 of each 40-byte entry): the one way to tell a truncated Image,
 * whose own header counts BSS in image_size but not the file's length.
 */
static bool check_pe_sections(const uint8_t *img, size_t len, GError **errp)
{
    uint32_t pe, table;
    uint16_t nsec, opt;

    if (img[0] != 'M' || img[1] != 'Z') {
        return true; /* a plain Image: no table to check against */
    }
    pe = get_le32(img + 0x3c);
    if (pe > len || len - pe < 24 || memcmp(img + pe, "PE\0\0", 4)) {
        return true; /* "MZ" but no PE header: not an EFI stub */
    }
    nsec = get_le16(img + pe + 6);
    opt = get_le16(img + pe + 20);
    table = pe + 24 + opt;
    if (table > len || (len - table) / 40 < nsec) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "truncated: %zu bytes, shorter than the Image's PE "
                    "section table",
                    len);
        return false;
    }
    for (unsigned i = 0; i < nsec; i++) {
        const uint8_t *s = img + table + 40 * i;
        uint64_t end = (uint64_t)get_le32(s + 20) + get_le32(s + 16);

        if (end > len) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                        "truncated: %zu bytes, but its section %.8s ends at "
                        "%" PRIu64,
                        len, (const char *)s, end);
            return false;
        }
    }
    return true;
}

bool image_arm64_parse(const uint8_t *img,
                       size_t len,
                       struct image_arm64_info *out,
                       GError **errp)
{
    if (len >= 2 && img[0] == 0x1f && img[1] == 0x8b) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "a gzip-compressed Image (Image.gz): give the "
                    "uncompressed arch/arm64/boot/Image");
        return false;
    }
    if (len < IMAGE_ARM64_HDR_SIZE) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    len >= 2 && img[0] == 'M' && img[1] == 'Z'
                        ? "truncated: %zu bytes, shorter than an arm64 "
                          "Image header"
                        : "not a kernel (%zu bytes, no arm64 Image header)",
                    len);
        return false;
    }
    if (get_le32(img + 0x38) != IMAGE_ARM64_MAGIC) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "not a kernel (no arm64 Image magic at 0x38)");
        return false;
    }
    out->text_offset = get_le64(img + 0x08);
    out->image_size = get_le64(img + 0x10);
    out->flags = get_le64(img + 0x18);
    if (out->image_size == 0) {
        out->text_offset = LEGACY_TEXT_OFFSET;
        out->image_size = len;
    }
    if (out->flags & 1) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "a big-endian kernel (husk's arm64 guests are "
                    "little-endian)");
        return false;
    }
    /* The header's own sizes are the image's word: a text_offset or a
     * size that could not belong to a real kernel is a broken file. */
    if (out->text_offset >= SZ_2M || out->text_offset % 4096) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "text_offset 0x%" PRIx64
                    " is not below 2 MiB and "
                    "page-aligned",
                    out->text_offset);
        return false;
    }
    if (out->image_size < len) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "image_size %" PRIu64
                    " is smaller than the file "
                    "(%zu bytes)",
                    out->image_size, len);
        return false;
    }
    if (out->image_size > (1ULL << 32)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_DATAERR,
                    "image_size %" PRIu64 " is implausible (over 4 GiB)",
                    out->image_size);
        return false;
    }
    return check_pe_sections(img, len, errp);
}

bool kernel_arm64_load(const struct guest_mem *gm,
                       const struct kernel_arm64_args *a,
                       struct kernel_arm64_layout *out,
                       GError **errp)
{
    struct image_arm64_info info;
    uint64_t kernel, kernel_end, top;

    if (!image_arm64_parse(a->kernel, a->kernel_len, &info, errp)) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    /* The base is RAM's start (flags bit 3 asks for "as close as
     * possible to the base of DRAM" or lets it anywhere: both hold). */
    kernel = ALIGN_UP(a->ram_base, SZ_2M) + info.text_offset;
    kernel_end = kernel + info.image_size;
    /* The device tree's 2 MiB block: the last whole one in RAM. */
    top = ALIGN_DOWN(a->ram_base + a->ram_size, SZ_2M);
    if (top < SZ_2M || top - SZ_2M < ALIGN_UP(kernel_end, SZ_2M)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "the kernel (%" PRIu64
                    " MiB with its BSS) and its "
                    "device tree do not fit in %" PRIu64 " MiB of memory",
                    info.image_size >> 20, a->ram_size >> 20);
        return false;
    }
    out->dtb = top - SZ_2M;
    if (gm_write(gm, kernel, a->kernel, a->kernel_len)) {
        g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                    "the kernel does not fit in guest memory");
        return false;
    }
    out->entry = kernel;
    if (a->initrd && a->initrd_len) {
        uint64_t start;

        if (a->initrd_len > out->dtb ||
            ALIGN_DOWN(out->dtb - a->initrd_len, 4096) <
                ALIGN_UP(kernel_end, 4096)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                        "initrd (%zu bytes) does not fit in guest memory "
                        "between the kernel and its device tree",
                        a->initrd_len);
            return false;
        }
        start = ALIGN_DOWN(out->dtb - a->initrd_len, 4096);
        if (gm_write(gm, start, a->initrd, a->initrd_len)) {
            g_set_error(errp, HUSK_ERROR, HUSK_EXIT_USAGE,
                        "initrd does not fit in guest memory");
            return false;
        }
        out->initrd_start = start;
        out->initrd_size = a->initrd_len;
    }
    return true;
}
