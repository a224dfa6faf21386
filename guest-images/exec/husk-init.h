/*
 * husk-init.h: what husk-init needs of the machine, one file per
 * architecture (husk-init_x86.c: I/O ports).
 */
#ifndef HUSK_INIT_H
#define HUSK_INIT_H

/* Ends the VM with status (husk's exit port); returns only if there is
 * no such port (not under husk). */
void init_exit_port(int status);
/* A boot marker husk sees (lib/exec_proto.h: EXEC_MARK_COMMAND). */
void init_mark(unsigned char code);

#endif
