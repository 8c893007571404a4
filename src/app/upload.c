/* `ftpstall upload`: uploads FILEs one after another over one FTP
 * session (src/client), reconnecting and resuming when a connection
 * fails, verifies each, and prints a summary with every reconnect. The
 * password comes from FTP_PASSWORD or ~/.netrc, never from argv. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "runtime.h"
#include "ftpstall/client.h"

#define CMD "ftpstall upload"

/* --retries, --retry-delay and --retry-max-delay defaults. */
#define DEFAULT_RETRIES		  5
#define DEFAULT_RETRY_DELAY_S	  1
#define DEFAULT_RETRY_MAX_DELAY_S 60

struct upload_opts {
	struct fst_client_upload_cfg cfg;
	struct fst_client_url url;
	struct app_tls_opts tls;
	const char *netrc_path;
	bool no_netrc;
	bool json;
	bool verbose;
	bool progress;
};

/* What the progress bar and the protocol log share on stderr. */
struct term {
	const struct upload_opts *opts;
	int64_t start_us;
	bool bar_drawn;
	size_t file; /* the file the bar shows */
	int64_t file_start_us;
	uint64_t file_start_off;
};

void usage_upload(FILE *out)
{
	fprintf(out,
		"usage: ftpstall upload [options] FILE... ftp://[user@]host[:port]/dir/\n"
		"       (or ftpes:// for explicit TLS, ftps:// for implicit TLS)\n\n"
		"Uploads the FILEs one after another on one FTP session, like backup\n"
		"volumes. When the control or data connection fails (421, EOF, reset,\n"
		"timeout) it reconnects with exponential backoff and jitter, asks SIZE of\n"
		"the partial remote file and resumes with REST + STOR (APPE when REST is\n"
		"refused). After each file SIZE must equal the local size, and when the\n"
		"server's FEAT offers HASH, XSHA256, XSHA1, XMD5 or XCRC the checksum is\n"
		"compared too.\n\n"
		"The password comes from the FTP_PASSWORD environment variable or\n"
		"~/.netrc (refused when others can read it); without a user the login\n"
		"is anonymous. A password in the URL is refused.\n\n"
		"Options:\n"
		"  -r, --retries N          reconnects per file without progress (default %d)\n"
		"      --retry-delay SECONDS      first backoff delay (default %d)\n"
		"      --retry-max-delay SECONDS  backoff cap (default %d)\n"
		"      --keepalive SECONDS  send NOOP when the session is idle this long\n"
		"      --idle-before SECONDS  wait idle on the control connection before\n"
		"                           each file (as duplicity does building a volume)\n"
		"      --pause-at BYTES     stall once per file when BYTES are sent ...\n"
		"      --pause SECONDS      ... for SECONDS (both needed)\n"
		"      --limit-rate RATE    bytes per second (suffixes k, M, G: 1024-based)\n"
		"  -C, --continue-at -      resume remote files an earlier run left partial\n"
		"                           (SIZE, then REST + STOR or APPE)\n"
		"      --ftp-create-dirs    create the URL's missing directories (MKD)\n"
		"  -a, --active             active mode (EPRT, PORT) instead of EPSV/PASV\n"
		"  -4, -6                   IPv4 or IPv6 only\n"
		"      --connect-timeout SECONDS  per connection attempt (default %d)\n"
		"  -t, --timeout SECONDS    for a reply or progress on a transfer (default %d)\n"
		"      --netrc-file FILE    read FILE instead of ~/.netrc\n"
		"      --no-netrc           do not read a netrc file\n"
		"  -f, --format FORMAT      summary as text (default) or json\n"
		"      --no-progress        no progress bar (it shows only on a terminal)\n"
		"  -v, --verbose            log commands, replies and reconnects to stderr\n"
		"                           (the password shows as ****)\n"
		"  -h, --help               show this help\n",
		DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_S, DEFAULT_RETRY_MAX_DELAY_S,
		APP_CONNECT_TIMEOUT_S, APP_REPLY_TIMEOUT_S);
	app_tls_usage(out);
	fprintf(out, "\nExit status: 0 all files verified, 1 a file failed after all retries (or\n"
		     "the server could not be reached or refused the login), 2 usage error,\n"
		     "an unreadable FILE, or credentials that cannot be used (a ~/.netrc\n"
		     "others can read, no password for the URL's user), 130 interrupted by\n"
		     "Ctrl-C (SIGINT) or SIGTERM (after a QUIT to the server).\n");
}

/* BYTES with an optional k/M/G suffix (1024-based, as curl reads them). */
static bool parse_bytes(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1024;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static void term_clear_bar(struct term *t)
{
	if (t->bar_drawn) {
		fputs("\r\033[K", stderr);
		t->bar_drawn = false;
	}
}

static void on_log(void *ctx, const char *line)
{
	struct term *t = ctx;

	if (!t->opts->verbose)
		return;
	term_clear_bar(t);
	fprintf(stderr, "%s: [%9.3f] %s\n", CMD, (double)(runtime_mono_us() - t->start_us) / 1e6,
		line);
}

/* --idle-before on a terminal: the pause, as the bar's line. */
static void on_idle(void *ctx, size_t file_index, int64_t elapsed_us, int64_t duration_us)
{
	struct term *t = ctx;
	const char *name = t->opts->cfg.files[file_index];
	const char *base = strrchr(name, '/');

	fprintf(stderr,
		"\r%-24.24s idle before it (--idle-before): %.0f s of %.0f s (%zu/%zu)\033[K",
		base ? base + 1 : name, (double)elapsed_us / 1e6, (double)duration_us / 1e6,
		file_index + 1, t->opts->cfg.file_count);
	t->bar_drawn = true;
}

static void on_progress(void *ctx, size_t file_index, uint64_t offset, uint64_t size)
{
	struct term *t = ctx;
	const char *name = t->opts->cfg.files[file_index];
	const char *base = strrchr(name, '/');
	int64_t now = runtime_mono_us();
	double frac = size ? (double)offset / (double)size : 1.0, rate;
	int filled, width = 30;
	char bar[32];

	if (file_index != t->file || offset < t->file_start_off || t->file_start_us == 0) {
		t->file = file_index;
		t->file_start_us = now;
		t->file_start_off = offset;
	}
	rate = now > t->file_start_us ? (double)(offset - t->file_start_off) * 1e6 /
						(double)(now - t->file_start_us) :
					0.0;
	filled = (int)(frac * width);
	for (int i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[width] = '\0';
	fprintf(stderr, "\r%-24.24s [%s] %5.1f%% %9.1f KiB/s (%zu/%zu)\033[K",
		base ? base + 1 : name, bar, frac * 100, rate / 1024, file_index + 1,
		t->opts->cfg.file_count);
	t->bar_drawn = true;
}

static int parse_options(int argc, char **argv, struct upload_opts *o)
{
	enum {
		OPT_RETRY_DELAY = 256,
		OPT_RETRY_MAX_DELAY,
		OPT_KEEPALIVE,
		OPT_IDLE_BEFORE,
		OPT_PAUSE_AT,
		OPT_PAUSE,
		OPT_LIMIT_RATE,
		OPT_CONNECT_TIMEOUT,
		OPT_NETRC_FILE,
		OPT_NO_NETRC,
		OPT_NO_PROGRESS,
		OPT_FTP_CREATE_DIRS,
	};
	static const struct option long_options[] = {
		{ "retries", required_argument, NULL, 'r' },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		{ "retry-max-delay", required_argument, NULL, OPT_RETRY_MAX_DELAY },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "idle-before", required_argument, NULL, OPT_IDLE_BEFORE },
		{ "pause-at", required_argument, NULL, OPT_PAUSE_AT },
		{ "pause", required_argument, NULL, OPT_PAUSE },
		{ "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
		{ "continue-at", required_argument, NULL, 'C' },
		{ "ftp-create-dirs", no_argument, NULL, OPT_FTP_CREATE_DIRS },
		{ "active", no_argument, NULL, 'a' },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "timeout", required_argument, NULL, 't' },
		{ "netrc-file", required_argument, NULL, OPT_NETRC_FILE },
		{ "no-netrc", no_argument, NULL, OPT_NO_NETRC },
		{ "format", required_argument, NULL, 'f' },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		APP_TLS_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct fst_client_upload_cfg *cfg = &o->cfg;
	bool have_pause_at = false, have_pause = false;
	long value;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:at:f:vh46C:" APP_TLS_SHORT_OPTIONS, long_options,
				NULL)) != -1) {
		if (app_tls_option(&o->tls, c, optarg))
			continue;
		switch (c) {
		case 'r':
			if (!parse_long(optarg, 0, 1000, &value))
				goto bad_value;
			cfg->retries = (unsigned)value;
			break;
		case OPT_RETRY_DELAY:
			if (!parse_seconds(optarg, 0, 86400, &cfg->retry_delay_us))
				goto bad_value;
			break;
		case OPT_RETRY_MAX_DELAY:
			if (!parse_seconds(optarg, 0, 86400, &cfg->retry_max_delay_us))
				goto bad_value;
			break;
		case OPT_KEEPALIVE:
			if (!parse_seconds(optarg, 0.01, 86400, &cfg->keepalive_us))
				goto bad_value;
			break;
		case OPT_IDLE_BEFORE:
			if (!parse_seconds(optarg, 0, 86400, &cfg->idle_before_us))
				goto bad_value;
			break;
		case OPT_PAUSE_AT:
			if (!parse_bytes(optarg, &cfg->pause_at))
				goto bad_value;
			have_pause_at = true;
			break;
		case OPT_PAUSE:
			if (!parse_seconds(optarg, 0, 86400, &cfg->pause_us))
				goto bad_value;
			have_pause = true;
			break;
		case OPT_LIMIT_RATE:
			if (!parse_bytes(optarg, &cfg->limit_rate) || cfg->limit_rate == 0)
				goto bad_value;
			break;
		case 'C':
			/* curl's -C - only: the offset is the remote file's size. */
			if (strcmp(optarg, "-") != 0)
				goto bad_value;
			cfg->resume_existing = true;
			break;
		case OPT_FTP_CREATE_DIRS:
			cfg->conn.create_dirs = true;
			break;
		case 'a':
			cfg->conn.data_mode = FST_CLIENT_ACTIVE;
			break;
		case '4':
		case '6':
			cfg->conn.family = c - '0';
			break;
		case OPT_CONNECT_TIMEOUT:
			if (!parse_seconds(optarg, 0.01, 3600, &cfg->conn.connect_timeout_us))
				goto bad_value;
			break;
		case 't':
			if (!parse_seconds(optarg, 0.01, 86400, &cfg->conn.timeout_us))
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
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage_upload(stdout);
			return 1;
		case ':':
			fprintf(stderr,
				CMD ": option '%s' needs a value (see 'ftpstall help upload')\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, CMD ": unknown option '%s' (see 'ftpstall help upload')\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (have_pause_at != have_pause) {
		fprintf(stderr, CMD ": --pause-at and --pause go together\n");
		return -1;
	}
	cfg->pause_enabled = have_pause_at && have_pause;
	if (cfg->retry_max_delay_us < cfg->retry_delay_us) {
		fprintf(stderr, CMD ": --retry-max-delay is shorter than --retry-delay\n");
		return -1;
	}
	return 0;

bad_value:
	fprintf(stderr, CMD ": invalid value '%s' for --%s (see 'ftpstall help upload')\n", optarg,
		app_option_name(long_options, c));
	return -1;
}

/* Every FILE must be a readable regular file, and two FILEs may not
 * land on the same remote name. Checked before connecting. */
static bool check_files(char **files, int count)
{
	for (int i = 0; i < count; i++) {
		const char *base = strrchr(files[i], '/');
		struct stat st;

		base = base ? base + 1 : files[i];
		if (stat(files[i], &st) != 0) {
			fprintf(stderr, CMD ": %s: %s\n", files[i], strerror(errno));
			return false;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, CMD ": %s: not a regular file\n", files[i]);
			return false;
		}
		if (access(files[i], R_OK) != 0) {
			fprintf(stderr, CMD ": %s: %s\n", files[i], strerror(errno));
			return false;
		}
		if (!base[0] || strpbrk(base, "\r\n")) {
			fprintf(stderr, CMD ": %s: not a usable remote file name\n", files[i]);
			return false;
		}
		for (int j = 0; j < i; j++) {
			const char *other = strrchr(files[j], '/');

			other = other ? other + 1 : files[j];
			if (strcmp(base, other) == 0) {
				fprintf(stderr, CMD ": %s and %s would both be uploaded as %s\n",
					files[j], files[i], base);
				return false;
			}
		}
	}
	return true;
}

/* The one-line errors: one per failed file, or the reason the run
 * stopped when no file carries it. */
static void print_errors(const struct fst_client_upload_result *r)
{
	bool any = false;

	for (size_t i = 0; i < r->file_count; i++) {
		if (r->files[i].status != FST_FILE_FAILED)
			continue;
		fprintf(stderr, CMD ": %s: %s\n", r->files[i].path, r->files[i].error);
		any = true;
	}
	if (!any && r->fatal)
		fprintf(stderr, CMD ": %s\n", r->error);
}

int cmd_upload(int argc, char **argv)
{
	struct upload_opts o = {
		.cfg = { .retries = DEFAULT_RETRIES,
			 .retry_delay_us = DEFAULT_RETRY_DELAY_S * FST_US_PER_SEC,
			 .retry_max_delay_us = DEFAULT_RETRY_MAX_DELAY_S * FST_US_PER_SEC,
			 .conn = { .connect_timeout_us = APP_CONNECT_TIMEOUT_S * FST_US_PER_SEC,
				   .timeout_us = APP_REPLY_TIMEOUT_S * FST_US_PER_SEC } },
		.progress = true,
	};
	char errbuf[FST_ERRBUF_SIZE], netrc_buf[PATH_MAX];
	char user[FST_CLIENT_USER_MAX + 1], password[FST_CLIENT_PASSWORD_MAX + 1];
	struct term term = { .opts = &o, .start_us = runtime_mono_us() };
	const struct fst_client_upload_result *res;
	struct fst_client_upload *up;
	bool have_password;
	int nfiles, status, rc;

	rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
	nfiles = argc - optind - 1;
	if (nfiles < 1) {
		fprintf(stderr, CMD
			": give FILE... and an ftp://, ftpes:// or ftps:// URL (see 'ftpstall help upload')\n");
		return EXIT_STATUS_USAGE;
	}
	if (nfiles > FST_CLIENT_FILES_MAX) {
		fprintf(stderr, CMD ": at most %d files\n", FST_CLIENT_FILES_MAX);
		return EXIT_STATUS_USAGE;
	}
	if (fst_client_url_parse(argv[argc - 1], &o.url, errbuf) != FST_OK) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	if (!check_files(argv + optind, nfiles))
		return EXIT_STATUS_USAGE;
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
	o.cfg.conn.log_ctx = &term;
	o.cfg.conn.cancel = &runtime_stop_requested;
	o.cfg.files = (const char *const *)(argv + optind);
	o.cfg.file_count = (size_t)nfiles;
	if (o.progress && isatty(STDERR_FILENO)) {
		o.cfg.on_progress = on_progress;
		o.cfg.on_idle = on_idle;
		o.cfg.progress_ctx = &term;
	}
	up = fst_client_upload_new(&o.cfg, errbuf);
	if (!up) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		status = EXIT_STATUS_USAGE;
		goto out_wipe;
	}
	runtime_catch_signals();
	rc = fst_client_upload_run(up);
	term_clear_bar(&term);
	res = fst_client_upload_result(up);
	print_errors(res);
	status = rc == FST_OK ? EXIT_STATUS_OK : EXIT_STATUS_FAILED;
	if (fst_client_upload_report(stdout, o.json, FTPSTALL_VERSION, &o.cfg, res) != FST_OK ||
	    fflush(stdout) != 0) {
		fprintf(stderr, CMD ": writing the summary failed\n");
		status = EXIT_STATUS_FAILED;
	}
	/* Stopped by a signal, not failed; a signal that came after the
	 * last file was verified changes nothing. */
	if (rc != FST_OK && runtime_stop_requested)
		status = EXIT_STATUS_INTERRUPTED;
	fst_client_upload_free(up);
out_wipe:
	explicit_bzero(password, sizeof(password));
	return status;
}
