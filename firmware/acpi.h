/*
 * acpi.h: ACPI table helpers shared by every architecture: the common table
 * header and the checksum (ACPI 6.5 §5.2.6 "System Description Table
 * Header", §5.2.5.3 RSDP).
 */
#ifndef HUSK_ACPI_H
#define HUSK_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_HDR_LEN 36

/* The byte that makes the 8-bit sum of buf[0..len) zero (with it in). */
uint8_t acpi_checksum(const uint8_t *buf, size_t len);

/* Writes a table header for a table of len bytes; checksum left at 0. */
void acpi_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev);

/* Sets the checksum byte (offset 9) of a complete table. */
void acpi_table_finish(uint8_t *t, uint32_t len);

/* Writes a 12-byte Generic Address Structure (§5.2.3.2). */
void acpi_gas(uint8_t *p,
              uint8_t space,
              uint8_t bit_width,
              uint8_t access,
              uint64_t addr);

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1

#endif
