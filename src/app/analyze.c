/* `ftpstall analyze`: reads captures or an interface and reports what it
 * finds. At this stage the report is the TCP flows and their events;
 * each flow's block is printed when the flow closes, so memory stays
 * bounded by the flows open at once. */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "ftpstall/capture.h"
#include "ftpstall/tcp.h"

/* Lines kept per flow; beyond this the block says how many were left
 * out, so a flood of events cannot grow memory. */
enum { FLOW_LOG_MAX_ENTRIES = 256 };
#define MERGE_WINDOW_US (FST_US_PER_SEC / 2)

/* One line of a flow's timeline. Consecutive data (or retransmission)
 * events of one direction less than MERGE_WINDOW_US apart are merged
 * into a single entry, so that a pause always starts a new line. */
struct log_entry {
	int64_t ts_us;
	int64_t last_ts_us; /* of the last event merged into this entry */
	enum fst_tcp_event_kind kind;
	enum fst_tcp_dir dir;
	uint64_t bytes;
	uint32_t segments;
	uint32_t window;
	uint8_t ttl;
	bool after_peer_fin; /* data sent after the other side's FIN */
};

struct flow_log {
	struct log_entry entries[FLOW_LOG_MAX_ENTRIES];
	size_t count;
	uint64_t not_shown;
	bool fin_seen[2];
};

struct analyze_opts {
	const char *interface;
	int snaplen;
	int buffer_kib;
	long duration_s;
};

struct analyze_ctx {
	FILE *out;
	uint64_t flows_reported;
	uint64_t log_alloc_failures;
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
		"on an interface, and reports the TCP flows and their events.\n\n"
		"Options:\n"
		"  -i, --interface IFACE    capture live on IFACE (default filter: tcp)\n"
		"  -s, --snaplen BYTES      live: bytes captured per packet (default 262144)\n"
		"  -B, --buffer-size KIB    live: kernel capture buffer in KiB (default 4096)\n"
		"      --duration SECONDS   live: stop after SECONDS (default: until Ctrl-C)\n"
		"  -h, --help               show this help\n\n"
		"Exit status: 0 success (also when a file ends in a damaged record: the\n"
		"records before it are reported and a warning is printed), 2 usage error\n"
		"or unreadable input.\n");
}

static const char *dir_name(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? "client" : "server";
}

static void record_event(struct analyze_ctx *ctx, struct flow_log *log,
			 const struct fst_tcp_event *ev)
{
	struct log_entry *last = log->count ? &log->entries[log->count - 1] : NULL;
	bool mergeable = ev->kind == FST_TCP_EV_DATA || ev->kind == FST_TCP_EV_RETRANSMIT;
	bool after_peer_fin = ev->kind == FST_TCP_EV_DATA && log->fin_seen[!ev->dir];
	struct log_entry *entry;

	(void)ctx;
	if (ev->kind == FST_TCP_EV_FIN)
		log->fin_seen[ev->dir] = true;
	if (mergeable && last && last->kind == ev->kind && last->dir == ev->dir &&
	    last->after_peer_fin == after_peer_fin &&
	    ev->ts_us - last->last_ts_us < MERGE_WINDOW_US) {
		last->last_ts_us = ev->ts_us;
		last->bytes += ev->len;
		last->segments++;
		return;
	}
	if (log->count == FLOW_LOG_MAX_ENTRIES) {
		log->not_shown++;
		return;
	}
	entry = &log->entries[log->count++];
	*entry = (struct log_entry){
		.ts_us = ev->ts_us,
		.last_ts_us = ev->ts_us,
		.kind = ev->kind,
		.dir = ev->dir,
		.bytes = ev->len,
		.segments = 1,
		.window = ev->window,
		.ttl = ev->ttl,
		.after_peer_fin = after_peer_fin,
	};
}

static void print_entry(FILE *out, const struct fst_tcp_flow *flow,
			const struct log_entry *e)
{
	double offset = (double)(e->ts_us - flow->first_ts_us) / 1e6;

	fprintf(out, "  +%.6f  %-6s  ", offset, dir_name(e->dir));
	switch (e->kind) {
	case FST_TCP_EV_OPEN:
		fprintf(out, "%s\n", e->dir == FST_DIR_CLIENT ? "SYN" : "SYN-ACK");
		break;
	case FST_TCP_EV_DATA:
		fprintf(out, "data %llu bytes in %u segment%s%s\n",
			(unsigned long long)e->bytes, e->segments,
			e->segments == 1 ? "" : "s",
			e->after_peer_fin ? " (after the peer's FIN)" : "");
		break;
	case FST_TCP_EV_RETRANSMIT:
		fprintf(out, "retransmission of %llu bytes in %u segment%s\n",
			(unsigned long long)e->bytes, e->segments,
			e->segments == 1 ? "" : "s");
		break;
	case FST_TCP_EV_GAP:
		fprintf(out, "capture gap: %llu bytes missing from the capture\n",
			(unsigned long long)e->bytes);
		break;
	case FST_TCP_EV_FIN:
		fprintf(out, "FIN (ttl %u)\n", e->ttl);
		break;
	case FST_TCP_EV_RST:
		fprintf(out, "RST (ttl %u)\n", e->ttl);
		break;
	case FST_TCP_EV_ZERO_WINDOW:
		fprintf(out, "zero window advertised\n");
		break;
	case FST_TCP_EV_WINDOW_OPEN:
		fprintf(out, "window reopened (%u bytes)\n", e->window);
		break;
	case FST_TCP_EV_KEEPALIVE:
		fprintf(out, "keep-alive\n");
		break;
	case FST_TCP_EV_CLOSE:
	case FST_TCP_EV_COUNT:
		fprintf(out, "?\n");
		break;
	}
}

static void print_flow(struct analyze_ctx *ctx, const struct fst_tcp_event *close_ev,
		       const struct flow_log *log)
{
	const struct fst_tcp_flow *flow = close_ev->flow;
	char client[64], server[64], when[40];
	FILE *out = ctx->out;

	fst_endpoint_format(&flow->client_addr, flow->client_port, client, sizeof(client));
	fst_endpoint_format(&flow->server_addr, flow->server_port, server, sizeof(server));
	fst_time_format(flow->first_ts_us, when, sizeof(when));
	fprintf(out, "flow %llu: %s -> %s%s\n", (unsigned long long)flow->id, client,
		server, flow->mid_stream ? " (picked up mid-stream; roles guessed)" : "");
	fprintf(out, "  start %s UTC, duration %.6f s, ended by %s\n", when,
		(double)(close_ev->ts_us - flow->first_ts_us) / 1e6,
		fst_tcp_close_reason_name(close_ev->close_reason));
	if (log) {
		for (size_t i = 0; i < log->count; i++)
			print_entry(out, flow, &log->entries[i]);
		if (log->not_shown)
			fprintf(out, "  ... %llu more events not shown\n",
				(unsigned long long)log->not_shown);
	}
	fprintf(out,
		"  totals: client %llu B in %llu pkts, server %llu B in %llu pkts; "
		"retransmissions %llu/%llu; capture gaps %llu/%llu B\n\n",
		(unsigned long long)flow->bytes[0], (unsigned long long)flow->packets[0],
		(unsigned long long)flow->bytes[1], (unsigned long long)flow->packets[1],
		(unsigned long long)flow->retransmissions[0],
		(unsigned long long)flow->retransmissions[1],
		(unsigned long long)flow->gap_bytes[0],
		(unsigned long long)flow->gap_bytes[1]);
	ctx->flows_reported++;
}

static void on_tcp_event(void *opaque, const struct fst_tcp_event *ev)
{
	struct analyze_ctx *ctx = opaque;
	struct flow_log *log = ev->flow->user;

	if (!log && ev->kind != FST_TCP_EV_CLOSE) {
		log = calloc(1, sizeof(*log));
		if (!log)
			ctx->log_alloc_failures++;
		ev->flow->user = log;
	}
	if (ev->kind == FST_TCP_EV_CLOSE) {
		print_flow(ctx, ev, log);
		free(log);
		ev->flow->user = NULL;
		return;
	}
	if (log)
		record_event(ctx, log, ev);
}

static void print_stats(FILE *out, const char *source,
			const struct fst_capture_stats *cs, const struct fst_tcp_stats *ts,
			bool live)
{
	uint64_t malformed = 0;

	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		malformed += cs->malformed[r];
	fprintf(out, "capture: %s\n", source);
	fprintf(out,
		"  frames %llu (%llu TCP, %llu not IP, %llu not TCP, %llu IP fragments, "
		"%llu malformed, %llu cut by snaplen)\n",
		(unsigned long long)cs->frames, (unsigned long long)cs->tcp_packets,
		(unsigned long long)cs->skipped_not_ip, (unsigned long long)cs->skipped_not_tcp,
		(unsigned long long)cs->ip_fragments, (unsigned long long)malformed,
		(unsigned long long)cs->truncated_frames);
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		if (cs->malformed[r])
			fprintf(out, "  malformed %s: %llu\n",
				fst_decode_result_name((enum fst_decode_result)r),
				(unsigned long long)cs->malformed[r]);
	if (cs->time_went_back)
		fprintf(out, "  timestamps that went backwards (clamped): %llu\n",
			(unsigned long long)cs->time_went_back);
	if (live)
		fprintf(out, "  kernel: %llu received, %llu dropped, %llu dropped by interface\n",
			(unsigned long long)cs->kernel_received,
			(unsigned long long)cs->kernel_dropped,
			(unsigned long long)cs->interface_dropped);
	fprintf(out,
		"  flows %llu (%llu evicted), capture gaps %llu (%llu B), retransmissions %llu, "
		"out-of-order segments %llu, holes given up at a cap %llu\n",
		(unsigned long long)ts->flows_opened, (unsigned long long)ts->flows_evicted,
		(unsigned long long)ts->gaps, (unsigned long long)ts->gap_bytes,
		(unsigned long long)ts->retransmissions, (unsigned long long)ts->out_of_order,
		(unsigned long long)ts->ooo_limit_hits);
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long value;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:s:B:h", long_options, NULL)) != -1) {
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

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts opts = {0};
	struct analyze_ctx ctx = {.out = stdout};
	struct fst_tcp_cfg tcp_cfg = {.on_event = on_tcp_event, .ctx = &ctx};
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_tcp *tcp;
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
	tcp = fst_tcp_new(&tcp_cfg);
	if (!tcp) {
		fprintf(stderr, "ftpstall analyze: out of memory\n");
		status = EXIT_STATUS_USAGE;
		goto out_free_capture;
	}

	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pump(cap, tcp, opts.interface != NULL, opts.duration_s);
	fst_tcp_finish(tcp);
	print_stats(ctx.out, fst_capture_source_name(cap), fst_capture_stats(cap),
		    fst_tcp_stats(tcp), opts.interface != NULL);
	if (ctx.log_alloc_failures)
		fprintf(stderr, "ftpstall analyze: warning: out of memory for %llu flow logs\n",
			(unsigned long long)ctx.log_alloc_failures);
	if (fst_capture_warnings(cap)[0])
		fprintf(stderr, "ftpstall analyze: warning: %s", fst_capture_warnings(cap));
	fflush(ctx.out);
	fst_tcp_free(tcp);
out_free_capture:
	fst_capture_free(cap);
	return status;
}
