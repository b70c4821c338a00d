/* commands.h — the verbs of the `lockscope` CLI.
 *
 * Contract: each verb is `int ls_cmd_VERB(int argc, char **argv)` where
 * argv[0] is the verb's name; it returns the process exit status.  Verbs
 * print their own usage on --help and on bad arguments (status 2).
 */
#ifndef LOCKSCOPE_COMMANDS_H
#define LOCKSCOPE_COMMANDS_H

int ls_cmd_run(int argc, char **argv);
int ls_cmd_top(int argc, char **argv);
int ls_cmd_report(int argc, char **argv);
int ls_cmd_stack(int argc, char **argv);
int ls_cmd_sortbench(int argc, char **argv);

/* Path of the preload shim: $LOCKSCOPE_PRELOAD, else the build tree's copy
 * when this binary runs from the build tree, else the installed one. */
const char *ls_preload_path(void);

#endif
