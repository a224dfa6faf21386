/*
 * api.h: husk's side of the control socket (--api-socket PATH).  husk
 * starts the husk-api helper, which owns the socket and speaks JSON to
 * clients (docs/api.md), and serves the fixed-size requests the helper
 * passes on (lib/api_proto.h) on the I/O thread: query-status, pause,
 * resume, snapshot (into files the helper created), powerdown, quit.
 * Events (stopped, resumed, snapshot done, panicked, shutdown) go the
 * other way.  A helper that dies or misbehaves loses the socket; the VM
 * runs on.
 */
#ifndef HUSK_API_H
#define HUSK_API_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/api_proto.h"

struct vm;

struct api {
    struct vm *vm;
    int fd; /* husk's end of the socketpair, or -1 */
    pid_t pid;
    GSource *src;
};

/* Starts the helper on path and waits (bounded) until it listens: a path
 * in use, or a helper that is missing, is an error here.  Setup thread,
 * before the sandbox. */
bool api_start(struct api *a, struct vm *vm, const char *path, GError **errp);
/* Tells the helper's clients.  I/O thread; never blocks (an event the
 * helper has no room for is dropped). */
void api_event(struct api *a,
               enum api_event ev,
               const char *text,
               uint64_t v0,
               uint64_t v1);
/* Closes husk's end; the helper ends once its clients have the last
 * events (bounded).  Main thread, at exit. */
void api_stop(struct api *a);

#endif
