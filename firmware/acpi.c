/*
 * acpi.c: common ACPI table pieces (ACPI 6.5 §5.2).
 */
#include "firmware/acpi.h"

#include <string.h>

#include "lib/util.h"

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += buf[i];
    }
    return (uint8_t)-sum;
}

void acpi_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put_le32(t + 4, len);
    t[8] = rev;
    t[9] = 0;
    memcpy(t + 10, "HUSK  ", 6);
    memcpy(t + 16, "HUSKVM  ", 8);
    put_le32(t + 24, 1);
    memcpy(t + 28, "HUSK", 4);
    put_le32(t + 32, 1);
}

void acpi_table_finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = acpi_checksum(t, len);
}

void acpi_gas(uint8_t *p,
              uint8_t space,
              uint8_t bit_width,
              uint8_t access,
              uint64_t addr)
{
    p[0] = space;
    p[1] = bit_width;
    p[2] = 0;
    p[3] = access;
    put_le64(p + 4, addr);
}
