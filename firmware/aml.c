/*
 * aml.c: AML encoder (ACPI 6.5 §20.2 grammar, §6.4 resource descriptors).
 */
#include "firmware/aml.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_ONES 0xff
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82
#define AML_METHOD 0x14
#define AML_IF 0xa0
#define AML_LEQUAL 0x93
#define AML_NOTIFY 0x86
#define AML_ARG0 0x68
#define AML_ROOT '\\'
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f

static void put_byte(GByteArray *out, uint8_t b)
{
    g_byte_array_append(out, &b, 1);
}

void aml_pkglength(GByteArray *out, size_t body_len)
{
    /* The length counts its own encoding bytes (§20.2.4). */
    if (body_len + 1 < 0x40) {
        put_byte(out, (uint8_t)(body_len + 1));
    } else if (body_len + 2 < 0x1000) {
        size_t n = body_len + 2;
        put_byte(out, (uint8_t)(0x40 | (n & 0xf)));
        put_byte(out, (uint8_t)(n >> 4));
    } else if (body_len + 3 < 0x100000) {
        size_t n = body_len + 3;
        put_byte(out, (uint8_t)(0x80 | (n & 0xf)));
        put_byte(out, (uint8_t)(n >> 4));
        put_byte(out, (uint8_t)(n >> 12));
    } else {
        size_t n = body_len + 4;
        g_assert(n < 0x10000000);
        put_byte(out, (uint8_t)(0xc0 | (n & 0xf)));
        put_byte(out, (uint8_t)(n >> 4));
        put_byte(out, (uint8_t)(n >> 12));
        put_byte(out, (uint8_t)(n >> 20));
    }
}

void aml_integer(GByteArray *out, uint64_t v)
{
    uint8_t b[8];

    if (v == 0) {
        put_byte(out, AML_ZERO);
    } else if (v == 1) {
        put_byte(out, AML_ONE);
    } else if (v <= 0xff) {
        put_byte(out, AML_BYTE);
        put_byte(out, (uint8_t)v);
    } else if (v <= 0xffff) {
        put_byte(out, AML_WORD);
        put_le16(b, (uint16_t)v);
        g_byte_array_append(out, b, 2);
    } else if (v <= 0xffffffff) {
        put_byte(out, AML_DWORD);
        put_le32(b, (uint32_t)v);
        g_byte_array_append(out, b, 4);
    } else {
        put_byte(out, AML_QWORD);
        put_le64(b, v);
        g_byte_array_append(out, b, 8);
    }
}

void aml_string(GByteArray *out, const char *s)
{
    put_byte(out, AML_STRING);
    g_byte_array_append(out, (const uint8_t *)s, strlen(s) + 1);
}

void aml_name_string(GByteArray *out, const char *name)
{
    g_auto(GStrv) segs = NULL;
    unsigned n;

    if (name[0] == AML_ROOT) {
        put_byte(out, AML_ROOT);
        name++;
    }
    segs = g_strsplit(name, ".", -1);
    n = g_strv_length(segs);
    g_assert(n >= 1);
    if (n == 2) {
        put_byte(out, AML_DUAL_NAME);
    } else if (n > 2) {
        put_byte(out, AML_MULTI_NAME);
        put_byte(out, (uint8_t)n);
    }
    for (unsigned i = 0; i < n; i++) {
        /* Our own names only: always exactly four characters. */
        g_assert(strlen(segs[i]) == 4);
        g_byte_array_append(out, (const uint8_t *)segs[i], 4);
    }
}

void aml_name(GByteArray *out, const char *name, const GByteArray *obj)
{
    put_byte(out, AML_NAME);
    aml_name_string(out, name);
    g_byte_array_append(out, obj->data, obj->len);
}

void aml_name_int(GByteArray *out, const char *name, uint64_t v)
{
    g_autoptr(GByteArray) o = g_byte_array_new();

    aml_integer(o, v);
    aml_name(out, name, o);
}

void aml_name_str(GByteArray *out, const char *name, const char *s)
{
    g_autoptr(GByteArray) o = g_byte_array_new();

    aml_string(o, s);
    aml_name(out, name, o);
}

uint32_t aml_eisaid(const char *id)
{
    /* "PNP0501": three letters of 5 bits each, then four hex digits;
     * the 32-bit value is stored big-endian in an Integer (§19.6.35). */
    uint32_t v;

    g_assert(strlen(id) == 7);
    v = (uint32_t)((id[0] - 0x40) & 0x1f) << 26 |
        (uint32_t)((id[1] - 0x40) & 0x1f) << 21 |
        (uint32_t)((id[2] - 0x40) & 0x1f) << 16 |
        (uint32_t)strtoul(id + 3, NULL, 16);
    return GUINT32_SWAP_LE_BE(v);
}

void aml_name_eisaid(GByteArray *out, const char *name, const char *id)
{
    g_autoptr(GByteArray) o = g_byte_array_new();
    uint8_t b[4];

    /* Always a DWordConst, as iasl emits for EISAID(). */
    put_byte(o, AML_DWORD);
    put_le32(b, aml_eisaid(id));
    g_byte_array_append(o, b, 4);
    aml_name(out, name, o);
}

static void aml_named_block(GByteArray *out,
                            const uint8_t *op,
                            size_t oplen,
                            const char *name,
                            const GByteArray *body)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();

    aml_name_string(inner, name);
    g_byte_array_append(inner, body->data, body->len);
    g_byte_array_append(out, op, oplen);
    aml_pkglength(out, inner->len);
    g_byte_array_append(out, inner->data, inner->len);
}

void aml_scope(GByteArray *out, const char *name, const GByteArray *body)
{
    static const uint8_t op[] = {AML_SCOPE};

    aml_named_block(out, op, sizeof(op), name, body);
}

void aml_device(GByteArray *out, const char *name, const GByteArray *body)
{
    static const uint8_t op[] = {AML_EXT, AML_DEVICE};

    aml_named_block(out, op, sizeof(op), name, body);
}

void aml_method(GByteArray *out,
                const char *name,
                unsigned nargs,
                const GByteArray *body)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();
    static const uint8_t op[] = {AML_METHOD};

    g_assert(nargs < 8);
    put_byte(inner, (uint8_t)nargs); /* not serialized, sync level 0 */
    g_byte_array_append(inner, body->data, body->len);
    aml_named_block(out, op, sizeof(op), name, inner);
}

void aml_if_arg0_equals(GByteArray *out, uint64_t v, const GByteArray *body)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();

    put_byte(inner, AML_LEQUAL);
    put_byte(inner, AML_ARG0);
    aml_integer(inner, v);
    g_byte_array_append(inner, body->data, body->len);
    put_byte(out, AML_IF);
    aml_pkglength(out, inner->len);
    g_byte_array_append(out, inner->data, inner->len);
}

void aml_notify(GByteArray *out, const char *name, uint64_t value)
{
    put_byte(out, AML_NOTIFY);
    aml_name_string(out, name);
    aml_integer(out, value);
}

void aml_package_ints(GByteArray *out, const uint64_t *v, unsigned n)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();

    g_assert(n < 256);
    put_byte(inner, (uint8_t)n);
    for (unsigned i = 0; i < n; i++) {
        aml_integer(inner, v[i]);
    }
    put_byte(out, AML_PACKAGE);
    aml_pkglength(out, inner->len);
    g_byte_array_append(out, inner->data, inner->len);
}

void aml_buffer(GByteArray *out, const uint8_t *data, size_t len)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();

    aml_integer(inner, len);
    g_byte_array_append(inner, data, len);
    put_byte(out, AML_BUFFER);
    aml_pkglength(out, inner->len);
    g_byte_array_append(out, inner->data, inner->len);
}

void aml_res_io(GByteArray *res, uint16_t base, uint8_t len)
{
    /* I/O Port Descriptor (§6.4.2.5): 16-bit decode, fixed base. */
    uint8_t d[8] = {0x47, 0x01};

    put_le16(d + 2, base);
    put_le16(d + 4, base);
    d[6] = 1;
    d[7] = len;
    g_byte_array_append(res, d, sizeof(d));
}

void aml_res_irq_noflags(GByteArray *res, unsigned irq)
{
    /* IRQ Descriptor without flags (§6.4.2.1): edge, active high. */
    uint8_t d[3] = {0x22};

    g_assert(irq < 16);
    put_le16(d + 1, (uint16_t)(1u << irq));
    g_byte_array_append(res, d, sizeof(d));
}

void aml_res_mem32_fixed(GByteArray *res,
                         uint32_t base,
                         uint32_t len,
                         bool writable)
{
    /* 32-bit Fixed Memory Range Descriptor (§6.4.3.4). */
    uint8_t d[12] = {0x86, 9, 0};

    d[3] = writable ? 1 : 0;
    put_le32(d + 4, base);
    put_le32(d + 8, len);
    g_byte_array_append(res, d, sizeof(d));
}

void aml_res_interrupt(GByteArray *res,
                       uint32_t gsi,
                       bool level,
                       bool active_low)
{
    /* Extended Interrupt Descriptor (§6.4.3.6): consumer, exclusive. */
    uint8_t d[9] = {0x89, 6, 0};

    d[3] = 0x01 | (level ? 0 : 0x02) | (active_low ? 0x04 : 0);
    d[4] = 1;
    put_le32(d + 5, gsi);
    g_byte_array_append(res, d, sizeof(d));
}

void aml_name_resources(GByteArray *out,
                        const char *name,
                        const GByteArray *res)
{
    g_autoptr(GByteArray) tmpl = g_byte_array_new();
    g_autoptr(GByteArray) buf = g_byte_array_new();
    static const uint8_t end_tag[2] = {0x79, 0x00}; /* checksum 0: ok */

    g_byte_array_append(tmpl, res->data, res->len);
    g_byte_array_append(tmpl, end_tag, sizeof(end_tag));
    aml_buffer(buf, tmpl->data, tmpl->len);
    aml_name(out, name, buf);
}
