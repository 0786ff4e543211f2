/*
 * syncd.h - the three faces of huce-syncd, dispatched by main.c.
 *
 * Each takes the arguments after its subcommand word (argv[0] is the
 * subcommand) and returns a process exit code of the contract
 * (0 ok, 1 runtime failure, 2 usage, 3 invalid data, 4 not found).
 */
#ifndef HUCE_SYNCD_H
#define HUCE_SYNCD_H

int agent_main(int argc, char **argv);		/* agent.c */
int central_main(int argc, char **argv);	/* http_server.c */
int admin_main(int argc, char **argv);		/* admin.c */

#endif
