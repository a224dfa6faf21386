/*
 * api_proto.h: the records husk and its control-socket helper (husk-api)
 * exchange over a SOCK_SEQPACKET socketpair.  The helper speaks JSON to
 * clients (docs/api.md) and hands husk only these fixed-size records, so
 * husk itself parses no JSON: the parser of what any local client sends
 * runs in a process that holds no guest memory and no KVM descriptor.
 *
 * Trust boundary: each side checks every record it receives (size,
 * magic, command or event in range, descriptors only where one is
 * expected, strings terminated) and drops one that is not right.
 */
#ifndef HUSK_API_PROTO_H
#define HUSK_API_PROTO_H

#include <stdint.h>

#define API_MAGIC 0x48555350u /* "HUSP" */
#define API_TEXT_MAX 512

/* Helper to husk. */
enum api_cmd {
    API_CMD_QUERY_STATUS = 1,
    API_CMD_PAUSE,
    API_CMD_RESUME,
    API_CMD_SNAPSHOT, /* with 3 fds: manifest, state, memory */
    API_CMD_POWERDOWN,
    API_CMD_QUIT,
    API_CMD_MAX = API_CMD_QUIT,
};

struct api_request {
    uint32_t magic;
    uint32_t cmd;            /* enum api_cmd */
    uint64_t tag;            /* the helper's, echoed in the reply */
    char text[API_TEXT_MAX]; /* snapshot: the directory, for messages */
};

/* husk to helper. */
enum api_kind {
    API_REPLY = 1,
    API_EVENT,
};

enum api_event {
    API_EV_STOP = 1, /* the vCPUs were paused */
    API_EV_RESUME,   /* and run again */
    API_EV_SHUTDOWN, /* the VM ended; text: the reason */
    API_EV_GUEST_PANICKED,
    API_EV_SNAPSHOT_DONE, /* text: the directory; value[0] ms * 1000,
                           * value[1] bytes of memory written */
    API_EV_MAX = API_EV_SNAPSHOT_DONE,
};

/* Reply status values beyond 0 / -errno. */
struct api_response {
    uint32_t magic;
    uint32_t kind;   /* enum api_kind */
    uint64_t tag;    /* the request's (replies) */
    int32_t error;   /* replies: 0, or a husk exit status (error.h) */
    uint32_t event;  /* events: enum api_event */
    uint32_t paused; /* replies and events: the VM's state after */
    uint32_t pad;
    uint64_t value[2];
    char text[API_TEXT_MAX]; /* an error's message, an event's detail */
};

#endif
