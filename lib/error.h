/*
 * error.h: husk's GError domain.  The error code is the exit status main()
 * returns for that failure (sysexits.h values), so every setup path that can
 * fail on user input says both what went wrong and how husk exits.
 */
#ifndef HUSK_ERROR_H
#define HUSK_ERROR_H

#include <glib.h>

#define HUSK_ERROR (husk_error_quark())
GQuark husk_error_quark(void);

enum husk_exit {
    HUSK_EXIT_OK = 0,
    HUSK_EXIT_USAGE = 64,        /* bad option or value on the command line */
    HUSK_EXIT_DATAERR = 65,      /* a file is not what it must be */
    HUSK_EXIT_NOINPUT = 66,      /* a file cannot be opened or read */
    HUSK_EXIT_UNAVAILABLE = 69,  /* /dev/kvm or a KVM capability missing */
    HUSK_EXIT_SOFTWARE = 70,     /* KVM failed to run the guest */
    HUSK_EXIT_OSERR = 71,        /* host resources (memory, threads) */
    HUSK_EXIT_CANTCREAT = 73,    /* an output file cannot be written */
    HUSK_EXIT_GUEST_PANIC = 120, /* the guest kernel panicked (pvpanic) */
    HUSK_EXIT_TIMEOUT = 124,     /* --timeout expired */
    HUSK_EXIT_EXEC_GUEST = 125,  /* husk exec: the guest cannot run COMMAND */
    HUSK_EXIT_SANDBOX = 159,     /* a forbidden system call (as SIGSYS) */
};

#endif
