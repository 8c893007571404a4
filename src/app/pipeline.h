/* Private to src/app: the capture -> tcp -> ftp -> analysis pipeline
 * that analyze and watch share, with the options they share. */
#ifndef FTPSTALL_APP_PIPELINE_H
#define FTPSTALL_APP_PIPELINE_H

#include <signal.h>
#include <stdio.h>

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"

struct pipeline_opts {
	const char *interface; /* live; else the positional arguments are files */
	int snaplen;
	int buffer_kib;
	struct fst_tcp_cfg tcp; /* the caps; the pipeline sets the rest */
	struct fst_ftp_cfg ftp;
	struct fst_analysis_cfg analysis;
	/* Sits between the ftp layer and the analysis when set (watch's
	 * event stream); it must pass every event on with pipeline_ftp_event. */
	fst_ftp_event_fn ftp_tap;
	void *tap_ctx;
};

struct pipeline {
	struct fst_capture *cap;
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	struct fst_analysis *analysis;
	bool live;
	char *const *files; /* the positional arguments (files), borrowed */
	size_t file_count;
	fst_ftp_event_fn tap;
	void *tap_ctx;
};

/* getopt_long rows and handling of the options shared by analyze and
 * watch (-i -s -B -p -g --no-autodetect and the --max-* limits). */
#define PIPELINE_LONG_OPTIONS                                    \
	{ "interface", required_argument, NULL, 'i' },           \
		{ "snaplen", required_argument, NULL, 's' },     \
		{ "buffer-size", required_argument, NULL, 'B' }, \
		{ "ftp-port", required_argument, NULL, 'p' },    \
		{ "gap", required_argument, NULL, 'g' },         \
		{ "no-autodetect", no_argument, NULL, 'A' },     \
		{ "max-flows", required_argument, NULL, 'F' },   \
		{ "max-buffer", required_argument, NULL, 'M' },  \
		{ "max-line", required_argument, NULL, 'L' },    \
	{                                                        \
		"max-sessions", required_argument, NULL, 'K'     \
	}
#define PIPELINE_SHORT_OPTIONS "i:s:B:p:g:"

/* Handles option c if it is a shared one: 1 handled, 0 not shared,
 * -1 bad value (message printed, prefixed with cmd). */
int pipeline_option(struct pipeline_opts *o, int c, const char *arg, const char *cmd);

/* Prints the one-line error for what getopt_long returned: ':' a missing
 * value, 'V' an invalid value (optarg), anything else an unknown option. */
void pipeline_getopt_error(const char *subcommand, int c, char **argv);

/* Usage lines of the shared options. */
void pipeline_usage(FILE *out);

/* Opens the source (interface with the BPF words, or files) and builds
 * the layers. Returns 0, or prints "cmd: reason" and returns -1. */
int pipeline_open(struct pipeline *p, struct pipeline_opts *o, char *const *args, int nargs,
		  const char *cmd);

/* Feeds one event to the analysis; a tap calls this. */
void pipeline_ftp_event(void *pipeline, const struct fst_ftp_event *ev);

/* Ends every flow (end of input) and settles the analysis. */
void pipeline_finish(struct pipeline *p);

void pipeline_close(struct pipeline *p);

/* The report input for the pipeline's current state. */
void pipeline_report_input(struct pipeline *p, struct fst_report_input *in, bool color);

/* Writes the report to path atomically, or to stdout when path is NULL.
 * Returns 0, or prints why and returns -1. */
int pipeline_write_report(struct pipeline *p, enum fst_report_format format, const char *path,
			  bool color, const char *cmd);

/* Drops root to user (tcpdump's -Z) once the capture device is open.
 * Returns 0, or prints why and returns -1. */
int pipeline_drop_privileges(const char *user, const char *cmd);

/* Wall clock in microseconds (live mode's clock ticks). */
int64_t pipeline_wall_clock_us(void);

/* Set by SIGINT/SIGTERM once pipeline_catch_signals was called. */
extern volatile sig_atomic_t pipeline_stop_requested;
void pipeline_catch_signals(void);

#endif
