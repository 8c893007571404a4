/* Private to src/app: subcommand entry points and shared exit codes. */
#ifndef FTPSTALL_APP_H
#define FTPSTALL_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, as documented in --help. */
enum {
	EXIT_STATUS_OK = 0,
	EXIT_STATUS_FINDINGS = 1, /* analyze --exit-code: incidents found */
	EXIT_STATUS_FAILED = 1,	  /* upload, probe: the job failed */
	EXIT_STATUS_USAGE = 2,	  /* bad usage or unreadable input */
	EXIT_STATUS_NO_FTP = 4,	  /* analyze --exit-code: no FTP session at all */
	/* Stopped by SIGINT/SIGTERM before the work was done: 128 + SIGINT,
	 * as a shell reports a command killed by Ctrl-C. */
	EXIT_STATUS_INTERRUPTED = 130,
};

/* upload and probe: --connect-timeout and --timeout defaults, seconds. */
#define APP_CONNECT_TIMEOUT_S 10
#define APP_REPLY_TIMEOUT_S   60

int cmd_analyze(int argc, char **argv);
void usage_analyze(FILE *out);
int cmd_watch(int argc, char **argv);
void usage_watch(FILE *out);
int cmd_upload(int argc, char **argv);
void usage_upload(FILE *out);
int cmd_probe(int argc, char **argv);
void usage_probe(FILE *out);
int cmd_correlate(int argc, char **argv);
void usage_correlate(FILE *out);

struct option;
struct fst_client_cfg;
struct fst_client_url;

/* upload and probe: the TLS options (curl's names), as getopt_long rows
 * and short letters to add to a subcommand's table. */
enum {
	APP_OPT_SSL_REQD = 512,
	APP_OPT_CACERT,
};
#define APP_TLS_LONG_OPTIONS                                           \
	{ "ssl-reqd", no_argument, NULL, APP_OPT_SSL_REQD },           \
		{ "cacert", required_argument, NULL, APP_OPT_CACERT }, \
	{                                                              \
		"insecure", no_argument, NULL, 'k'                     \
	}
#define APP_TLS_SHORT_OPTIONS "k"

struct app_tls_opts {
	bool ssl_reqd;
	bool insecure;
	const char *cacert;
};

/* Handles option c if it is a TLS one: true when handled. */
bool app_tls_option(struct app_tls_opts *t, int c, const char *arg);
/* The connection's TLS settings from the URL's scheme, the options and
 * SSLKEYLOGFILE (borrowed from the environment). False, with the one-line
 * error printed (prefixed with cmd), when --cacert cannot be read. */
bool app_tls_apply(const struct app_tls_opts *t, const struct fst_client_url *url,
		   struct fst_client_cfg *conn, const char *cmd);
/* Usage lines of the TLS options. */
void app_tls_usage(FILE *out);

/* "--name" of the option getopt_long returned as c (the value may have
 * been a separate argument, so argv cannot tell). */
const char *app_option_name(const struct option *options, int c);

/* The netrc upload and probe read: explicit, else ~/.netrc (from HOME or
 * the password database), or NULL with no_netrc or no home. Writes into
 * buf when it builds the path. */
const char *app_netrc_path(const char *explicit_path, bool no_netrc, char *buf, size_t size);

/* Option values (options.c). A whole decimal number in [min, max];
 * false on anything else. */
bool parse_long(const char *text, long min, long max, long *out);

/* SECONDS as a decimal number in [min, max], into microseconds. */
bool parse_seconds(const char *text, double min, double max, int64_t *out);

#endif
