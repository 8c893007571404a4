/* `ftpstall probe`: logs in to an FTP server, stays silent and measures
 * how long the server keeps the idle control connection (and, with
 * --data, a stalled data connection), via src/client. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "runtime.h"
#include "ftpstall/client.h"

#define CMD "ftpstall probe"

/* --max-wait default: clearly longer than the idle timeouts servers ship
 * with (Pure-FTPd's 900 s, which it overruns a little; vsftpd's 300 s). */
#define DEFAULT_MAX_WAIT_S 1800
/* --quote commands kept. */
#define QUOTE_MAX 8

struct probe_opts {
	struct fst_client_probe_cfg cfg;
	struct fst_client_url url;
	struct app_tls_opts tls;
	const char *netrc_path;
	bool no_netrc;
	bool json;
	bool verbose;
	bool progress; /* a status line on the terminal while waiting */
	bool status_shown;
	const char *quote[QUOTE_MAX];
	int64_t start_us;
};

void usage_probe(FILE *out)
{
	fprintf(out,
		"usage: ftpstall probe [options] ftp://[user@]host[:port]/[dir/]\n"
		"       (or ftpes:// for explicit TLS, ftps:// for implicit TLS)\n\n"
		"Logs in, then stays silent and measures how long the server keeps an\n"
		"idle control connection: until its 421 reply, FIN or RST, up to\n"
		"--max-wait. With --data it then uploads a few bytes into a scratch file\n"
		"in dir, stalls, and measures how long the server tolerates the stalled\n"
		"data connection (the scratch file is deleted afterwards). Prints the\n"
		"measured timeouts with their resolution and the server's reply texts.\n\n"
		"Credentials as for upload: FTP_PASSWORD or ~/.netrc, else anonymous.\n\n"
		"Options:\n"
		"  -m, --max-wait SECONDS   give up waiting after SECONDS (default %d,\n"
		"                           above the common server defaults)\n"
		"      --timers LIST        the timers to measure, each on a connection\n"
		"                           of its own (default idle): login (greeted, no\n"
		"                           USER), idle (no command), noop (NOOP every\n"
		"                           --noop-interval: honoured or not), no_transfer\n"
		"                           (PWD every interval, no transfer), data\n"
		"      --noop-interval SECONDS  between NOOPs (PWDs) (default a third of\n"
		"                           the idle result, else 30)\n"
		"  -Q, --quote COMMAND      send COMMAND after each login (SITE IDLE 60)\n"
		"  -d, --data               also measure the stalled-data timeout\n"
		"  -a, --active             active mode for --data (EPRT, PORT)\n"
		"  -4, -6                   IPv4 or IPv6 only\n"
		"      --connect-timeout SECONDS  per connection attempt (default %d)\n"
		"  -t, --timeout SECONDS    for a reply (default %d)\n"
		"      --netrc-file FILE    read FILE instead of ~/.netrc\n"
		"      --no-netrc           do not read a netrc file\n"
		"  -f, --format FORMAT      text (default) or json\n"
		"  -v, --verbose            log commands and replies to stderr\n"
		"      --no-progress        no status line (it shows only on a terminal)\n"
		"  -h, --help               show this help\n",
		DEFAULT_MAX_WAIT_S, APP_CONNECT_TIMEOUT_S, APP_REPLY_TIMEOUT_S);
	app_tls_usage(out);
	fprintf(out, "\nExit status: 0 measured (a --max-wait without a timeout counts), 1 the\n"
		     "server could not be reached, refused the login or a measurement failed,\n"
		     "2 usage error or credentials that cannot be used, 130 interrupted by\n"
		     "Ctrl-C (SIGINT) or SIGTERM (after a QUIT to the server; what was\n"
		     "measured is still reported).\n");
}

static void on_log(void *ctx, const char *line)
{
	const struct probe_opts *o = ctx;

	if (o->verbose)
		fprintf(stderr, "%s: [%9.3f] %s\n", CMD,
			(double)(runtime_mono_us() - o->start_us) / 1e6, line);
}

/* On a terminal: which timer, and the wait against --max-wait, on one
 * line that is rewritten and cleared at the end. */
static void on_wait(void *ctx, enum fst_client_timer timer, int64_t elapsed_us, int64_t max_wait_us)
{
	struct probe_opts *o = ctx;

	fprintf(stderr, "\r\033[K" CMD ": %s timer: %.0f s of --max-wait %.0f s",
		fst_client_timer_name(timer), (double)elapsed_us / 1e6, (double)max_wait_us / 1e6);
	fflush(stderr);
	o->status_shown = true;
}

static int parse_options(int argc, char **argv, struct probe_opts *o)
{
	char errbuf[FST_ERRBUF_SIZE];
	enum {
		OPT_CONNECT_TIMEOUT = 256,
		OPT_NETRC_FILE,
		OPT_NO_NETRC,
		OPT_TIMERS,
		OPT_NOOP_INTERVAL,
		OPT_NO_PROGRESS,
	};
	static const struct option long_options[] = {
		{ "max-wait", required_argument, NULL, 'm' },
		{ "data", no_argument, NULL, 'd' },
		{ "timers", required_argument, NULL, OPT_TIMERS },
		{ "noop-interval", required_argument, NULL, OPT_NOOP_INTERVAL },
		{ "quote", required_argument, NULL, 'Q' },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "active", no_argument, NULL, 'a' },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "timeout", required_argument, NULL, 't' },
		{ "netrc-file", required_argument, NULL, OPT_NETRC_FILE },
		{ "no-netrc", no_argument, NULL, OPT_NO_NETRC },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		APP_TLS_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:dat:f:vh46Q:" APP_TLS_SHORT_OPTIONS, long_options,
				NULL)) != -1) {
		if (app_tls_option(&o->tls, c, optarg))
			continue;
		switch (c) {
		case 'm':
			if (!parse_seconds(optarg, 0.01, 86400 * 7, &o->cfg.max_wait_us))
				goto bad_value;
			break;
		case 'd':
			o->cfg.data = true;
			break;
		case OPT_TIMERS:
			if (fst_client_timers_parse(optarg, &o->cfg.timers, errbuf) != FST_OK) {
				fprintf(stderr, CMD ": --timers %s: %s\n", optarg, errbuf);
				return -1;
			}
			break;
		case OPT_NOOP_INTERVAL:
			if (!parse_seconds(optarg, 0.05, 86400, &o->cfg.noop_interval_us))
				goto bad_value;
			break;
		case 'Q':
			if (o->cfg.quote_count == QUOTE_MAX) {
				fprintf(stderr, CMD ": at most %d --quote commands\n", QUOTE_MAX);
				return -1;
			}
			o->quote[o->cfg.quote_count++] = optarg;
			break;
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case 'a':
			o->cfg.conn.data_mode = FST_CLIENT_ACTIVE;
			break;
		case '4':
		case '6':
			o->cfg.conn.family = c - '0';
			break;
		case OPT_CONNECT_TIMEOUT:
			if (!parse_seconds(optarg, 0.01, 3600, &o->cfg.conn.connect_timeout_us))
				goto bad_value;
			break;
		case 't':
			if (!parse_seconds(optarg, 0.01, 86400, &o->cfg.conn.timeout_us))
				goto bad_value;
			break;
		case OPT_NETRC_FILE:
			o->netrc_path = optarg;
			break;
		case OPT_NO_NETRC:
			o->no_netrc = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				o->json = true;
			else if (strcmp(optarg, "text") == 0)
				o->json = false;
			else
				goto bad_value;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage_probe(stdout);
			return 1;
		case ':':
			fprintf(stderr,
				CMD ": option '%s' needs a value (see 'ftpstall help probe')\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, CMD ": unknown option '%s' (see 'ftpstall help probe')\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return 0;

bad_value:
	fprintf(stderr, CMD ": invalid value '%s' for --%s (see 'ftpstall help probe')\n", optarg,
		app_option_name(long_options, c));
	return -1;
}

int cmd_probe(int argc, char **argv)
{
	struct probe_opts o = {
		.cfg = { .max_wait_us = DEFAULT_MAX_WAIT_S * FST_US_PER_SEC,
			 .conn = { .connect_timeout_us = APP_CONNECT_TIMEOUT_S * FST_US_PER_SEC,
				   .timeout_us = APP_REPLY_TIMEOUT_S * FST_US_PER_SEC } },
		.start_us = runtime_mono_us(),
		.progress = true,
	};
	char errbuf[FST_ERRBUF_SIZE], netrc_buf[PATH_MAX];
	char user[FST_CLIENT_USER_MAX + 1], password[FST_CLIENT_PASSWORD_MAX + 1];
	struct fst_client_probe_result res;
	bool have_password;
	int status, rc;

	rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
	if (argc - optind != 1) {
		fprintf(stderr, CMD
			": give one ftp://, ftpes:// or ftps:// URL (see 'ftpstall help probe')\n");
		return EXIT_STATUS_USAGE;
	}
	if (fst_client_url_parse(argv[optind], &o.url, errbuf) != FST_OK) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	rc = fst_client_credentials(
		&o.url, getenv("FTP_PASSWORD"),
		app_netrc_path(o.netrc_path, o.no_netrc, netrc_buf, sizeof(netrc_buf)), user,
		sizeof(user), password, sizeof(password), &have_password, errbuf);
	if (rc != FST_OK) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	o.cfg.conn.host = o.url.host;
	o.cfg.conn.port = o.url.port;
	o.cfg.conn.dir = o.url.path;
	o.cfg.conn.user = user;
	o.cfg.conn.password = have_password ? password : NULL;
	if (!app_tls_apply(&o.tls, &o.url, &o.cfg.conn, CMD)) {
		explicit_bzero(password, sizeof(password));
		return EXIT_STATUS_USAGE;
	}
	o.cfg.conn.on_log = on_log;
	o.cfg.conn.log_ctx = &o;
	o.cfg.quote = o.quote;
	/* The status line would mix with the log lines of -v. */
	if (o.progress && !o.verbose && isatty(STDERR_FILENO)) {
		o.cfg.on_wait = on_wait;
		o.cfg.wait_ctx = &o;
	}
	o.cfg.conn.cancel = &runtime_stop_requested;
	runtime_catch_signals();
	rc = fst_client_probe_run(&o.cfg, &res, errbuf);
	explicit_bzero(password, sizeof(password));
	if (o.status_shown)
		fputs("\r\033[K", stderr);
	status = EXIT_STATUS_OK;
	if (rc != FST_OK) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		status = runtime_stop_requested ? EXIT_STATUS_INTERRUPTED : EXIT_STATUS_FAILED;
		/* Nothing measured: the error line says it all. */
		if (!res.greeting[0])
			return status;
	}
	if (fst_client_probe_report(stdout, o.json, FTPSTALL_VERSION, &o.cfg, &res) != FST_OK ||
	    fflush(stdout) != 0) {
		fprintf(stderr, CMD ": writing the report failed\n");
		if (status == EXIT_STATUS_OK)
			status = EXIT_STATUS_FAILED;
	}
	return status;
}
