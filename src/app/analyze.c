/* `ftpstall analyze`: reads captures or an interface, runs the pipeline
 * capture -> tcp -> ftp, and writes the report. */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "output.h"
#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"

struct analyze_opts {
	const char *interface;
	int snaplen;
	int buffer_kib;
	long duration_s;
	enum fst_report_format format;
	struct fst_ftp_cfg ftp;
	struct fst_analysis_cfg analysis;
	const char *output;
	const char *incidents_pcap;
	bool exit_code;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void usage_analyze(FILE *out)
{
	fprintf(out,
		"usage: ftpstall analyze [options] FILE...\n"
		"       ftpstall analyze [options] -i IFACE [BPF FILTER...]\n\n"
		"Reads pcap or pcapng files (several rotated files are read as one\n"
		"stream in timestamp order; '-' is standard input) or captures live\n"
		"on an interface, and reports the FTP sessions: commands, replies,\n"
		"transfers.\n\n"
		"Options:\n"
		"  -f, --format FORMAT      text (default), json, jsonl, md or html\n"
		"  -p, --ftp-port PORT      also treat PORT as an FTP control port (repeatable;\n"
		"                           21 is always one)\n"
		"      --no-autodetect      recognise control connections by port only, not\n"
		"                           by their FTP greeting\n"
		"  -g, --gap SECONDS        report idle gaps longer than this (default 1;\n"
		"                           the gap before a close is always reported)\n"
		"  -o, --output FILE        write the report to FILE (atomically) instead of\n"
		"                           standard output\n"
		"      --exit-code          exit 1 when an incident was found, else 0\n"
		"      --write-incidents FILE  write the packets of the incident sessions\n"
		"                           (control and data connections) to FILE as pcap\n"
		"  -i, --interface IFACE    capture live on IFACE (default filter: tcp)\n"
		"  -s, --snaplen BYTES      live: bytes captured per packet (default 262144)\n"
		"  -B, --buffer-size KIB    live: kernel capture buffer in KiB (default 4096)\n"
		"      --duration SECONDS   live: stop after SECONDS (default: until Ctrl-C)\n"
		"  -h, --help               show this help\n\n"
		"Exit status: 0 success (also when a file ends in a damaged record: the\n"
		"records before it are reported and a warning is printed), 1 incidents\n"
		"found (with --exit-code only), 2 usage error or unreadable input.\n");
}

static int64_t wall_clock_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * FST_US_PER_SEC + now.tv_nsec / 1000;
}

/* Runs the pipeline until the source ends, a signal arrives, or the
 * duration (live) is over. */
static void pump(struct fst_capture *cap, struct fst_tcp *tcp, bool live,
		 long duration_s)
{
	int64_t deadline = live && duration_s > 0
				   ? wall_clock_us() + duration_s * FST_US_PER_SEC
				   : INT64_MAX;
	struct fst_packet pkt;

	while (!stop_requested) {
		int rc = fst_capture_next(cap, &pkt);

		if (rc == 1) {
			fst_tcp_input(tcp, &pkt);
			continue;
		}
		if (rc < 0)
			break;
		/* Live and idle: wait for packets, but keep idle timers going. */
		if (wall_clock_us() >= deadline)
			break;
		struct pollfd pfd = {.fd = fst_capture_fd(cap), .events = POLLIN};
		poll(&pfd, 1, 200);
		fst_tcp_advance(tcp, wall_clock_us());
	}
}

/* Joins the remaining arguments into one BPF expression, as tcpdump
 * does. Returns new memory, free with free(). */
static char *join_args(char **args, int count)
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

static int parse_options(int argc, char **argv, struct analyze_opts *opts)
{
	static const struct option long_options[] = {
		{"interface", required_argument, NULL, 'i'},
		{"snaplen", required_argument, NULL, 's'},
		{"buffer-size", required_argument, NULL, 'B'},
		{"duration", required_argument, NULL, 'D'},
		{"format", required_argument, NULL, 'f'},
		{"ftp-port", required_argument, NULL, 'p'},
		{"no-autodetect", no_argument, NULL, 'A'},
		{"gap", required_argument, NULL, 'g'},
		{"output", required_argument, NULL, 'o'},
		{"exit-code", no_argument, NULL, 'E'},
		{"write-incidents", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long value;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:s:B:f:p:g:o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			opts->interface = optarg;
			break;
		case 's':
			if (!parse_long(optarg, 1, 262144, &value))
				goto bad_value;
			opts->snaplen = (int)value;
			break;
		case 'B':
			if (!parse_long(optarg, 1, 1 << 20, &value))
				goto bad_value;
			opts->buffer_kib = (int)value;
			break;
		case 'D':
			if (!parse_long(optarg, 1, 86400 * 365, &value))
				goto bad_value;
			opts->duration_s = value;
			break;
		case 'f':
			if (!fst_report_format_parse(optarg, &opts->format))
				goto bad_value;
			break;
		case 'p':
			if (!parse_long(optarg, 1, 65535, &value))
				goto bad_value;
			if (opts->ftp.port_count == FST_FTP_MAX_PORTS) {
				fprintf(stderr, "ftpstall analyze: at most %d --ftp-port options\n",
					FST_FTP_MAX_PORTS - 1);
				return -1;
			}
			opts->ftp.ports[opts->ftp.port_count++] = (uint16_t)value;
			break;
		case 'A':
			opts->ftp.no_autodetect = true;
			break;
		case 'g': {
			char *end;
			double secs = strtod(optarg, &end);

			if (end == optarg || *end || !(secs > 0) || secs > 86400 * 365)
				goto bad_value;
			opts->analysis.gap_threshold_us = (int64_t)(secs * 1e6);
			break;
		}
		case 'o':
			opts->output = optarg;
			break;
		case 'E':
			opts->exit_code = true;
			break;
		case 'W':
			opts->incidents_pcap = optarg;
			break;
		case 'h':
			usage_analyze(stdout);
			return 1;
		case ':':
			fprintf(stderr, "ftpstall analyze: option '%s' needs a value (see 'ftpstall help analyze')\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "ftpstall analyze: unknown option '%s' (see 'ftpstall help analyze')\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return 0;

bad_value:
	fprintf(stderr, "ftpstall analyze: invalid value '%s' for %s (see 'ftpstall help analyze')\n",
		optarg, argv[optind - 1]);
	return -1;
}

/* The connections of incident sessions, for --write-incidents. */
struct incident_tuples {
	struct {
		struct fst_addr a, b;
		uint16_t a_port, b_port;
	} *items;
	size_t count;
};

static void add_tuple(struct incident_tuples *t, const struct fst_addr *a, uint16_t a_port,
		      const struct fst_addr *b, uint16_t b_port)
{
	void *grown = realloc(t->items, (t->count + 1) * sizeof(*t->items));

	if (!grown)
		return;
	t->items = grown;
	t->items[t->count].a = *a;
	t->items[t->count].b = *b;
	t->items[t->count].a_port = a_port;
	t->items[t->count].b_port = b_port;
	t->count++;
}

static bool keep_incident_packet(void *ctx, const struct fst_packet *pkt)
{
	const struct incident_tuples *t = ctx;

	for (size_t i = 0; i < t->count; i++) {
		bool forward = pkt->src_port == t->items[i].a_port &&
			       pkt->dst_port == t->items[i].b_port &&
			       fst_addr_equal(&pkt->src, &t->items[i].a) &&
			       fst_addr_equal(&pkt->dst, &t->items[i].b);
		bool reverse = pkt->src_port == t->items[i].b_port &&
			       pkt->dst_port == t->items[i].a_port &&
			       fst_addr_equal(&pkt->src, &t->items[i].b) &&
			       fst_addr_equal(&pkt->dst, &t->items[i].a);

		if (forward || reverse)
			return true;
	}
	return false;
}

/* Writes the packets of every incident session to path. Returns an exit
 * status. */
static int write_incidents(const char *path, char **files, int file_count,
			   struct fst_analysis *analysis)
{
	struct incident_tuples tuples = {0};
	char errbuf[FST_ERRBUF_SIZE];
	struct output out;
	uint64_t written = 0;
	FILE *f;
	int rc;

	for (struct fst_session_result *r = fst_analysis_results(analysis); r; r = r->next) {
		const struct fst_ftp_session *s = r->session;

		if (!fst_verdict_is_incident(r->verdict))
			continue;
		add_tuple(&tuples, &s->client_addr, s->client_port, &s->server_addr, s->server_port);
		for (size_t i = 0; i < s->transfer_count; i++)
			if (s->transfers[i].data_seen)
				add_tuple(&tuples, &s->transfers[i].data_client_addr,
					  s->transfers[i].data_client_port,
					  &s->transfers[i].data_server_addr,
					  s->transfers[i].data_server_port);
	}
	f = output_open(&out, path, (const char *const *)files, (size_t)file_count, errbuf);
	if (!f) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		free(tuples.items);
		return EXIT_STATUS_USAGE;
	}
	rc = fst_capture_extract((const char *const *)files, (size_t)file_count, f,
				 keep_incident_packet, &tuples, &written, errbuf);
	free(tuples.items);
	if (rc != FST_OK) {
		out.file = NULL; /* closed by the extract */
		output_abort(&out);
		fprintf(stderr, "ftpstall analyze: --write-incidents %s: %s\n", path, errbuf);
		return EXIT_STATUS_USAGE;
	}
	if (output_commit(&out, true, errbuf) != FST_OK) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	return EXIT_STATUS_OK;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts opts = {.ftp = {.ports = {21}, .port_count = 1}};
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_tcp *tcp = NULL;
	struct fst_ftp *ftp = NULL;
	struct fst_analysis *analysis;
	char *filter = NULL;
	int status = EXIT_STATUS_OK;
	int rc = parse_options(argc, argv, &opts);

	if (rc != 0)
		return rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
	if (opts.interface) {
		struct fst_capture_live_cfg live = {
			.interface = opts.interface,
			.snaplen = opts.snaplen,
			.buffer_size = opts.buffer_kib * 1024,
			.immediate = true,
		};

		if (optind < argc) {
			filter = join_args(argv + optind, argc - optind);
			if (!filter) {
				fprintf(stderr, "ftpstall analyze: out of memory\n");
				return EXIT_STATUS_USAGE;
			}
			live.filter = filter;
		}
		cap = fst_capture_open_live(&live, errbuf);
	} else {
		if (optind >= argc) {
			fprintf(stderr, "ftpstall analyze: no capture file given (see 'ftpstall help analyze')\n");
			return EXIT_STATUS_USAGE;
		}
		cap = fst_capture_open_files((const char *const *)argv + optind,
					     (size_t)(argc - optind), errbuf);
	}
	free(filter);
	if (!cap) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	analysis = fst_analysis_new(&opts.analysis);
	if (analysis) {
		opts.ftp.on_event = fst_analysis_on_ftp_event;
		opts.ftp.ctx = analysis;
		ftp = fst_ftp_new(&opts.ftp);
	}
	if (ftp) {
		struct fst_tcp_cfg tcp_cfg = {
			.payload_by_default = true,
			.on_event = fst_ftp_on_tcp_event,
			.ctx = ftp,
		};
		tcp = fst_tcp_new(&tcp_cfg);
	}
	if (!tcp) {
		fprintf(stderr, "ftpstall analyze: out of memory\n");
		status = EXIT_STATUS_USAGE;
		goto out_free_all;
	}

	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pump(cap, tcp, opts.interface != NULL, opts.duration_s);
	fst_tcp_finish(tcp);
	fst_analysis_finish(analysis);

	struct fst_report_input report = {
		.version = FTPSTALL_VERSION,
		.source = fst_capture_source_name(cap),
		.ftp = ftp,
		.analysis = analysis,
		.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
		.capture = fst_capture_stats(cap),
		.tcp = fst_tcp_stats(tcp),
		.ftp_stats = fst_ftp_stats(ftp),
		.live = opts.interface != NULL,
	};
	if (opts.output) {
		struct output out;
		FILE *f = output_open(&out, opts.output, (const char *const *)argv + optind,
				      opts.interface ? 0 : (size_t)(argc - optind), errbuf);

		report.color = false;
		if (!f || fst_report_write(f, opts.format, &report) != FST_OK ||
		    output_commit(&out, false, errbuf) != FST_OK) {
			if (f)
				output_abort(&out);
			fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
			status = EXIT_STATUS_USAGE;
		}
	} else if (fst_report_write(stdout, opts.format, &report) != FST_OK ||
		   fflush(stdout) != 0) {
		fprintf(stderr, "ftpstall analyze: writing the report failed\n");
		status = EXIT_STATUS_USAGE;
	}
	if (status == EXIT_STATUS_OK && opts.incidents_pcap) {
		if (opts.interface) {
			fprintf(stderr, "ftpstall analyze: --write-incidents needs capture files, not a live interface\n");
			status = EXIT_STATUS_USAGE;
		} else {
			status = write_incidents(opts.incidents_pcap, argv + optind, argc - optind,
						 analysis);
		}
	}
	if (status == EXIT_STATUS_OK && opts.exit_code)
		for (struct fst_session_result *r = fst_analysis_results(analysis); r; r = r->next)
			if (fst_verdict_is_incident(r->verdict))
				status = EXIT_STATUS_FINDINGS;
	if (fst_capture_warnings(cap)[0])
		fprintf(stderr, "ftpstall analyze: warning: %s", fst_capture_warnings(cap));
out_free_all:
	fst_tcp_free(tcp);
	fst_ftp_free(ftp);
	fst_analysis_free(analysis);
	fst_capture_free(cap);
	return status;
}
