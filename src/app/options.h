/* Private to src/app: the command-line options analyze and watch share
 * (the capture, the caps of each layer, the gap threshold), with their
 * defaults, their help lines and their error messages. */
#ifndef FTPSTALL_APP_OPTIONS_H
#define FTPSTALL_APP_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#include "pipeline.h"
#include "ftpstall/metrics.h"

/* getopt_long rows of the shared options (-i -s -B -p -g --ftps-port --no-autodetect
 * --tls-keylog and the --max-* limits), to put first in a subcommand's table. */
#define OPTIONS_PIPELINE_LONG                                    \
	{ "interface", required_argument, NULL, 'i' },           \
		{ "snaplen", required_argument, NULL, 's' },     \
		{ "buffer-size", required_argument, NULL, 'B' }, \
		{ "ftp-port", required_argument, NULL, 'p' },    \
		{ "ftps-port", required_argument, NULL, 'T' },   \
		{ "gap", required_argument, NULL, 'g' },         \
		{ "no-autodetect", no_argument, NULL, 'A' },     \
		{ "max-flows", required_argument, NULL, 'F' },   \
		{ "max-buffer", required_argument, NULL, 'M' },  \
		{ "max-line", required_argument, NULL, 'L' },    \
		{ "tls-keylog", required_argument, NULL, 'X' },  \
	{                                                        \
		"max-sessions", required_argument, NULL, 'K'     \
	}
#define OPTIONS_PIPELINE_SHORT "i:s:B:p:g:"

/* The defaults the app itself reads (the control port, the gap
 * threshold); every other setting left 0 takes its layer's default. */
void options_pipeline_init(struct pipeline_opts *o);

/* Handles option c if it is a shared one: 1 handled, 0 not shared,
 * -1 bad value (message printed, prefixed with cmd). */
int options_pipeline(struct pipeline_opts *o, int c, const char *arg, const char *cmd);

/* Usage lines of the shared options. */
void options_pipeline_usage(FILE *out);

/* Prints the one-line error for what getopt_long returned: ':' a missing
 * value, 'V' an invalid value (optarg), anything else an unknown option. */
void options_getopt_error(const char *subcommand, int c, char **argv);

/* --metrics and --metrics-max-servers, for analyze and watch: their
 * getopt_long rows (codes out of the letters' range), their handling
 * (as options_pipeline: 1 handled, 0 not one of them, -1 bad value with
 * the message printed) and their usage lines. */
enum {
	OPTIONS_METRICS = 0x180,
	OPTIONS_METRICS_MAX_SERVERS,
};
#define OPTIONS_METRICS_LONG                                                                \
	{ "metrics", required_argument, NULL, OPTIONS_METRICS },                            \
	{                                                                                   \
		"metrics-max-servers", required_argument, NULL, OPTIONS_METRICS_MAX_SERVERS \
	}
int options_metrics(struct fst_metrics_cfg *cfg, int c, const char *arg, const char *cmd);
/* live: the lines say "live: " first (analyze). */
void options_metrics_usage(FILE *out, bool live);

#endif
