/* The pipeline shared by analyze and watch. */
#include "pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "output.h"

volatile sig_atomic_t pipeline_stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	pipeline_stop_requested = 1;
}

void pipeline_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int64_t pipeline_wall_clock_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * FST_US_PER_SEC + now.tv_nsec / 1000;
}

void pipeline_usage(FILE *out)
{
	fprintf(out,
		"  -i, --interface IFACE    capture live on IFACE; the remaining arguments\n"
		"                           are a BPF filter (default: tcp)\n"
		"  -s, --snaplen BYTES      live: bytes captured per packet (default 262144)\n"
		"  -B, --buffer-size KIB    live: kernel capture buffer in KiB (default 32768)\n"
		"  -p, --ftp-port PORT      also treat PORT as an FTP control port (repeatable;\n"
		"                           21 is always one)\n"
		"      --no-autodetect      recognise control connections by port only, not\n"
		"                           by their FTP greeting\n"
		"  -g, --gap SECONDS        report idle gaps longer than this (default 1;\n"
		"                           the gap before a close is always reported)\n"
		"      --max-flows N        TCP flows tracked at once (default 262144; past it\n"
		"                           the least recently active is evicted and counted)\n"
		"      --max-buffer MIB     out-of-order bytes held over all flows (default 64)\n"
		"      --max-line BYTES     longest FTP command or reply line (default 8192)\n"
		"      --max-sessions N     ended sessions kept for the report (default 20000;\n"
		"                           the oldest go first, counted in the statistics)\n");
}

/* The long name of a shared option, for messages. */
static const char *argv_option(int c)
{
	switch (c) {
	case 'i':
		return "--interface";
	case 's':
		return "--snaplen";
	case 'B':
		return "--buffer-size";
	case 'p':
		return "--ftp-port";
	case 'g':
		return "--gap";
	case 'F':
		return "--max-flows";
	case 'M':
		return "--max-buffer";
	case 'L':
		return "--max-line";
	case 'K':
		return "--max-sessions";
	default:
		return "an option";
	}
}

void pipeline_getopt_error(const char *subcommand, int c, char **argv)
{
	const char *option = argv[optind - 1];

	/* "--format foo" puts the value in its own argument. */
	if (c == 'V' && optind >= 2 && option == optarg)
		option = argv[optind - 2];
	if (c == ':')
		fprintf(stderr, "ftpstall %s: option '%s' needs a value", subcommand, option);
	else if (c == 'V')
		fprintf(stderr, "ftpstall %s: invalid value '%s' for %s", subcommand, optarg,
			option);
	else
		fprintf(stderr, "ftpstall %s: unknown option '%s'", subcommand, option);
	fprintf(stderr, " (see 'ftpstall help %s')\n", subcommand);
}

int pipeline_option(struct pipeline_opts *o, int c, const char *arg, const char *cmd)
{
	long value;

	switch (c) {
	case 'i':
		o->interface = arg;
		return 1;
	case 's':
		if (!parse_long(arg, 1, 262144, &value))
			break;
		o->snaplen = (int)value;
		return 1;
	case 'B':
		if (!parse_long(arg, 1, 1 << 20, &value))
			break;
		o->buffer_kib = (int)value;
		return 1;
	case 'p':
		if (!parse_long(arg, 1, 65535, &value))
			break;
		if (o->ftp.port_count == FST_FTP_MAX_PORTS) {
			fprintf(stderr, "%s: at most %d --ftp-port options\n", cmd,
				FST_FTP_MAX_PORTS - 1);
			return -1;
		}
		o->ftp.ports[o->ftp.port_count++] = (uint16_t)value;
		return 1;
	case 'g': {
		char *end;
		double secs = strtod(arg, &end);

		if (end == arg || *end || !(secs > 0) || secs > 86400 * 365)
			break;
		o->analysis.gap_threshold_us = (int64_t)(secs * 1e6);
		return 1;
	}
	case 'A':
		o->ftp.no_autodetect = true;
		return 1;
	case 'F':
		if (!parse_long(arg, 16, 100000000, &value))
			break;
		o->tcp.max_flows = (size_t)value;
		return 1;
	case 'M':
		if (!parse_long(arg, 1, 1 << 20, &value))
			break;
		o->tcp.max_ooo_bytes_total = (size_t)value << 20;
		return 1;
	case 'L':
		if (!parse_long(arg, 512, 1 << 24, &value))
			break;
		o->ftp.max_line = (size_t)value;
		return 1;
	case 'K':
		if (!parse_long(arg, 1, 100000000, &value))
			break;
		o->analysis.max_sessions = (size_t)value;
		return 1;
	default:
		return 0;
	}
	fprintf(stderr, "%s: invalid value '%s' for %s (see 'ftpstall help %s')\n", cmd, arg,
		argv_option(c), strchr(cmd, ' ') ? strchr(cmd, ' ') + 1 : cmd);
	return -1;
}

/* Joins the remaining arguments into one BPF expression, as tcpdump
 * does. Returns new memory, free with free(). */
static char *join_args(char *const *args, int count)
{
	size_t len = 1, used = 0;
	char *text;

	for (int i = 0; i < count; i++)
		len += strlen(args[i]) + 1;
	text = malloc(len);
	if (!text)
		return NULL;
	for (int i = 0; i < count; i++) {
		size_t n = strlen(args[i]);

		if (i)
			text[used++] = ' ';
		memcpy(text + used, args[i], n);
		used += n;
	}
	text[used] = '\0';
	return text;
}

void pipeline_ftp_event(void *opaque, const struct fst_ftp_event *ev)
{
	struct pipeline *p = opaque;

	fst_analysis_on_ftp_event(p->analysis, ev);
}

static void tap_or_analysis(void *opaque, const struct fst_ftp_event *ev)
{
	struct pipeline *p = opaque;

	if (p->tap)
		p->tap(p->tap_ctx, ev);
	else
		fst_analysis_on_ftp_event(p->analysis, ev);
}

int pipeline_open(struct pipeline *p, struct pipeline_opts *o, char *const *args, int nargs,
		  const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_tcp_cfg tcp_cfg = o->tcp;

	memset(p, 0, sizeof(*p));
	p->live = o->interface != NULL;
	p->tap = o->ftp_tap;
	p->tap_ctx = o->tap_ctx;
	if (p->live) {
		struct fst_capture_live_cfg live = {
			.interface = o->interface,
			.snaplen = o->snaplen,
			.buffer_size = o->buffer_kib * 1024,
			/* Not immediate: libpcap then uses TPACKET_V3's packed
			 * blocks, delivered at least every 100 ms. Immediate mode
			 * falls back to fixed snaplen-sized slots, and a 4 MiB
			 * ring of 256 KiB slots dropped a quarter of a 1 Gbit/s
			 * loopback transfer. 100 ms is well inside any timer
			 * the monitor shows. */
			.immediate = false,
		};
		char *filter = NULL;

		if (nargs > 0) {
			filter = join_args(args, nargs);
			if (!filter) {
				fprintf(stderr, "%s: out of memory\n", cmd);
				return -1;
			}
			live.filter = filter;
		}
		p->cap = fst_capture_open_live(&live, errbuf);
		free(filter);
	} else {
		if (nargs <= 0) {
			fprintf(stderr, "%s: no capture file given (see 'ftpstall help %s')\n", cmd,
				strchr(cmd, ' ') ? strchr(cmd, ' ') + 1 : cmd);
			return -1;
		}
		p->files = args;
		p->file_count = (size_t)nargs;
		p->cap = fst_capture_open_files((const char *const *)args, (size_t)nargs, errbuf);
	}
	if (!p->cap) {
		fprintf(stderr, "%s: %s\n", cmd, errbuf);
		return -1;
	}
	p->analysis = fst_analysis_new(&o->analysis);
	if (p->analysis) {
		o->ftp.on_event = tap_or_analysis;
		o->ftp.ctx = p;
		p->ftp = fst_ftp_new(&o->ftp);
	}
	if (p->ftp) {
		tcp_cfg.payload_by_default = true;
		tcp_cfg.on_flow = fst_ftp_on_tcp_flow;
		tcp_cfg.on_event = fst_ftp_on_tcp_event;
		tcp_cfg.ctx = p->ftp;
		p->tcp = fst_tcp_new(&tcp_cfg);
	}
	if (!p->tcp) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		pipeline_close(p);
		return -1;
	}
	return 0;
}

void pipeline_finish(struct pipeline *p)
{
	fst_tcp_finish(p->tcp);
	fst_analysis_finish(p->analysis);
}

void pipeline_close(struct pipeline *p)
{
	fst_tcp_free(p->tcp);
	fst_ftp_free(p->ftp);
	fst_analysis_free(p->analysis);
	fst_capture_free(p->cap);
	memset(p, 0, sizeof(*p));
}

void pipeline_report_input(struct pipeline *p, struct fst_report_input *in, bool color)
{
	*in = (struct fst_report_input){
		.version = FTPSTALL_VERSION,
		.source = fst_capture_source_name(p->cap),
		.ftp = p->ftp,
		.analysis = p->analysis,
		.color = color,
		.capture = fst_capture_stats(p->cap),
		.tcp = fst_tcp_stats(p->tcp),
		.ftp_stats = fst_ftp_stats(p->ftp),
		.capture_warnings = fst_capture_warnings(p->cap),
		.live = p->live,
	};
}

int pipeline_write_report(struct pipeline *p, enum fst_report_format format, const char *path,
			  bool color, const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_report_input report;
	struct output out;
	FILE *f;

	pipeline_report_input(p, &report, color && !path);
	if (!path) {
		if (fst_report_write(stdout, format, &report) != FST_OK || fflush(stdout) != 0) {
			fprintf(stderr, "%s: writing the report failed\n", cmd);
			return -1;
		}
		return 0;
	}
	f = output_open(&out, path, (const char *const *)p->files, p->file_count, errbuf);
	if (!f) {
		fprintf(stderr, "%s: %s\n", cmd, errbuf);
		return -1;
	}
	if (fst_report_write(f, format, &report) != FST_OK ||
	    output_commit(&out, false, errbuf) != FST_OK) {
		output_abort(&out);
		fprintf(stderr, "%s: %s: writing the report failed\n", cmd, path);
		return -1;
	}
	return 0;
}

int pipeline_drop_privileges(const char *user, const char *cmd)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "%s: -Z %s: no such user\n", cmd, user);
		return -1;
	}
	/* As tcpdump -Z does: supplementary groups, group, then user. */
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "%s: -Z %s: cannot drop privileges: %s\n", cmd, user,
			strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "%s: -Z %s: root privileges could be regained; stopping\n", cmd,
			user);
		return -1;
	}
	return 0;
}
