/*
 * term.c: raw terminal mode with guaranteed restore (termios(3)).
 */
#include "vmm/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;

void term_restore(void)
{
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSANOW, &saved);
        saved_fd = -1;
    }
}

static void fatal_signal(int sig)
{
    term_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

void term_raw(int fd)
{
    struct termios t;
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};

    if (saved_fd >= 0 || !isatty(fd) || tcgetattr(fd, &saved) < 0) {
        return;
    }
    t = saved;
    cfmakeraw(&t);
    /* Keep output post-processing so husk's own messages stay readable. */
    t.c_oflag |= OPOST;
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        return;
    }
    saved_fd = fd;
    atexit(term_restore);
    for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        signal(fatal[i], fatal_signal);
    }
}
