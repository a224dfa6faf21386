/*
 * paths.h: where husk finds the programs that come with it (husk-slirp,
 * husk-bench, husk-runstat): an environment variable naming the file, or
 * the directory of the running husk (a build tree), or the install's
 * libexec directory.
 */
#ifndef HUSK_PATHS_H
#define HUSK_PATHS_H

/* The program's path (new string), or NULL if none is there.  env_var
 * may be NULL. */
char *husk_find_program(const char *env_var, const char *name);

#endif
