/*
 * exec.h: `husk exec [OPTIONS] [--] COMMAND [ARGS...]`: boots a kernel on
 * the host's own root file system (read-only over virtio-fs, under a tmpfs
 * overlay), runs COMMAND in it as the caller, with husk's stdin, stdout
 * and stderr as its own, and exits with COMMAND's status.  The guest's
 * side is guest-images/exec/husk-init.c; what the two agree on is
 * lib/exec_proto.h.
 */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

/* argv[0] is "exec".  Returns husk's exit status. */
int exec_main(int argc, char **argv);

#endif
