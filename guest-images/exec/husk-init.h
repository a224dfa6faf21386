/*
 * husk-init.h: what husk-init (and the default guest's husk-exit and
 * husk-mark) need of the machine, one file per architecture
 * (husk-init_x86.c: I/O ports; husk-init_arm64.c: husk's system device
 * page through /dev/mem).
 */
#ifndef HUSK_INIT_H
#define HUSK_INIT_H

/* Ends the VM with status (husk's exit port); returns only if there is
 * no such port (not under husk). */
void init_exit_port(int status);
/* A boot marker husk sees (lib/exec_proto.h: EXEC_MARK_COMMAND). */
void init_mark(unsigned char code);
/* Firecracker's boot timer (husk-mark without arguments: 123). */
void init_boot_timer(unsigned char code);

#endif
