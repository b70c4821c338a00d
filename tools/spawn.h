/* spawn.h — starting a program with the shim preloaded, and waiting for it.
 *
 * Contract: ls_spawn_preloaded forks and execs argv with LD_PRELOAD carrying
 * the shim (before any preload already set) and LOCKSCOPE_OPTIONS extended
 * with `options` (which win over what the environment had).  If the program
 * cannot be executed the child says why and exits 127.  ls_wait_child waits,
 * forwarding SIGTERM and SIGHUP and ignoring the terminal's SIGINT and
 * SIGQUIT (they reach the child directly), and returns the shell-style
 * status: the exit code, or 128+N for death by signal N.
 */
#ifndef LOCKSCOPE_SPAWN_H
#define LOCKSCOPE_SPAWN_H

#include <sys/types.h>

pid_t ls_spawn_preloaded(char *const argv[], const char *options);
int ls_wait_child(pid_t pid);

#endif
