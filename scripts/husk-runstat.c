/*
 * husk-runstat: run a command and report what it cost, for husk's benchmarks.
 *
 *   husk-runstat [-m MARKER] -- COMMAND [ARGS...]
 *
 * Prints one line:  wall_ms=W marker_ms=M cpu_ms=C maxrss_kb=R status=S
 * wall_ms is launch to exit (CLOCK_MONOTONIC), cpu_ms the child's user+sys
 * time and maxrss_kb its peak RSS (wait4 rusage).  With -m, the child's
 * stdout is read through a pipe and marker_ms is the time MARKER first
 * appeared (-1 if never); the output itself is discarded.  status is the
 * exit status, or 128+signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *marker = NULL;
    int i = 1, pfd[2] = {-1, -1}, ws;
    double t0, t_marker = -1, t_end;
    struct rusage ru;
    pid_t pid;

    if (i + 1 < argc && !strcmp(argv[i], "-m")) {
        marker = argv[i + 1];
        i += 2;
    }
    if (i < argc && !strcmp(argv[i], "--")) {
        i++;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: runstat [-m MARKER] -- COMMAND [ARGS...]\n");
        return 2;
    }
    if (marker && pipe(pfd) < 0) {
        perror("pipe");
        return 2;
    }
    t0 = now_ms();
    pid = fork();
    if (pid == 0) {
        if (marker) {
            dup2(pfd[1], 1);
            close(pfd[0]);
            close(pfd[1]);
        }
        execvp(argv[i], argv + i);
        perror(argv[i]);
        _exit(127);
    }
    if (marker) {
        /* Scan the output as it arrives; keep a tail for markers that
         * straddle two reads. */
        char buf[4096 + 256];
        size_t keep = 0, mlen = strlen(marker);
        ssize_t n;

        close(pfd[1]);
        while ((n = read(pfd[0], buf + keep, 4096)) > 0) {
            size_t len = keep + (size_t)n;

            if (t_marker < 0 && memmem(buf, len, marker, mlen)) {
                t_marker = now_ms() - t0;
            }
            keep = len < mlen ? len : mlen;
            memmove(buf, buf + len - keep, keep);
        }
        close(pfd[0]);
    }
    if (wait4(pid, &ws, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    t_end = now_ms() - t0;
    printf("wall_ms=%.2f marker_ms=%.2f cpu_ms=%.2f maxrss_kb=%ld status=%d\n",
           t_end, t_marker,
           (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
           ru.ru_maxrss, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
    return 0;
}
