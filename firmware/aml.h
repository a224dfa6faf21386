/*
 * aml.h: a small ACPI Machine Language encoder (ACPI 6.5 §20 "ACPI Machine
 * Language (AML) Specification") for the objects husk's DSDT needs: scopes,
 * devices, names, integers, strings, packages and resource templates
 * (§6.4 "Resource Data Types for ACPI").
 *
 * Objects are built bottom-up into GByteArrays: build the children first,
 * then wrap them (aml_device, aml_scope), which prefixes the PkgLength.
 */
#ifndef HUSK_AML_H
#define HUSK_AML_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Appends the PkgLength-encoded length of a body of n bytes. */
void aml_pkglength(GByteArray *out, size_t body_len);
/* Integer object with the shortest encoding. */
void aml_integer(GByteArray *out, uint64_t v);
void aml_string(GByteArray *out, const char *s);
/* A NameString: "\\_SB_", "COM1" or "_HID"; segments of exactly 4 chars. */
void aml_name_string(GByteArray *out, const char *name);
/* Name(name, <object bytes>) */
void aml_name(GByteArray *out, const char *name, const GByteArray *obj);
void aml_name_int(GByteArray *out, const char *name, uint64_t v);
void aml_name_str(GByteArray *out, const char *name, const char *s);
/* Name(name, EISAID("PNP0501")): the compressed 32-bit EISA id. */
void aml_name_eisaid(GByteArray *out, const char *name, const char *id);
uint32_t aml_eisaid(const char *id);
/* Scope(name) { body } and Device(name) { body } */
void aml_scope(GByteArray *out, const char *name, const GByteArray *body);
void aml_device(GByteArray *out, const char *name, const GByteArray *body);
/* Method(name, nargs) { body } */
void aml_method(GByteArray *out,
                const char *name,
                unsigned nargs,
                const GByteArray *body);
/* If (Arg0 == v) { body } */
void aml_if_arg0_equals(GByteArray *out, uint64_t v, const GByteArray *body);
/* Notify(name, value) */
void aml_notify(GByteArray *out, const char *name, uint64_t value);
/* Package() { integers } */
void aml_package_ints(GByteArray *out, const uint64_t *v, unsigned n);
/* Buffer() { bytes } */
void aml_buffer(GByteArray *out, const uint8_t *data, size_t len);

/* Resource descriptors, appended to a template under construction. */
void aml_res_io(GByteArray *res, uint16_t base, uint8_t len);
void aml_res_irq_noflags(GByteArray *res, unsigned irq);
void aml_res_mem32_fixed(GByteArray *res,
                         uint32_t base,
                         uint32_t len,
                         bool writable);
void aml_res_interrupt(GByteArray *res,
                       uint32_t gsi,
                       bool level,
                       bool active_low);
/* Name(name, ResourceTemplate() { res }): adds the end tag. */
void aml_name_resources(GByteArray *out,
                        const char *name,
                        const GByteArray *res);

#endif
