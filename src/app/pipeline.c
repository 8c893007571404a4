/* The pipeline shared by analyze and watch, and its packet pump. */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "runtime.h"

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

/* Opens the interface (the arguments are a BPF filter) or the files.
 * Returns 0, or prints "cmd: reason" and returns -1. */
static int open_source(struct pipeline *p, const struct pipeline_opts *o, char *const *args,
		       int nargs, const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];

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
	return 0;
}

/* A key log larger than this is no key log: each connection's lines
 * take under 1 KiB. */
#define KEYLOG_MAX_BYTES (64u << 20)

/* Adds the complete lines the key log file gained past p->keylog_read
 * (all of it at the start; live, what the client appended since). A
 * line still being written waits for the next call. Returns the bytes
 * consumed, or -1 with *problem set. */
static long read_keylog_lines(struct pipeline *p, const char **problem)
{
	struct stat st;
	size_t want, got = 0, lines;
	char *text;
	char *end;

	if (fstat(p->keylog_fd, &st) != 0) {
		*problem = strerror(errno);
		return -1;
	}
	if (st.st_size > (off_t)KEYLOG_MAX_BYTES) {
		*problem = "larger than 64 MiB: not a TLS key log";
		return -1;
	}
	if (st.st_size <= p->keylog_read)
		return 0;
	want = (size_t)(st.st_size - p->keylog_read);
	text = malloc(want);
	if (!text) {
		*problem = "out of memory";
		return -1;
	}
	while (got < want) {
		ssize_t n =
			pread(p->keylog_fd, text + got, want - got, p->keylog_read + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	end = got ? memrchr(text, '\n', got) : NULL;
	/* At the start the whole file counts, a last line without its
	 * newline too; live only whole lines do. */
	lines = end ? (size_t)(end - text) + 1 : 0;
	if (!p->live)
		lines = got;
	if (!fst_tls_keylog_add(p->keylog, text, lines, NULL)) {
		free(text);
		*problem = "out of memory";
		return -1;
	}
	free(text);
	p->keylog_read += (off_t)lines;
	return (long)lines;
}

/* Live: the client appends its secrets as its connections start. */
static bool refill_keylog(void *ctx, struct fst_tls_keylog *keylog)
{
	struct pipeline *p = ctx;
	size_t before = fst_tls_keylog_count(keylog);
	const char *problem;

	return read_keylog_lines(p, &problem) > 0 && fst_tls_keylog_count(keylog) > before;
}

/* Reads the --tls-keylog file into p->keylog (live: keeps it open to
 * read what is appended, see refill_keylog). Returns 0, or prints
 * "cmd: --tls-keylog PATH: reason" and returns -1. */
static int load_keylog(struct pipeline *p, const char *path, const char *cmd)
{
	const char *problem = NULL;

	p->keylog_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->keylog_fd < 0) {
		fprintf(stderr, "%s: --tls-keylog %s: %s\n", cmd, path, strerror(errno));
		return -1;
	}
	p->keylog_open = true;
	p->keylog = fst_tls_keylog_new();
	if (!p->keylog)
		problem = "out of memory";
	else if (read_keylog_lines(p, &problem) < 0)
		;
	else if (!p->live && fst_tls_keylog_count(p->keylog) == 0)
		problem = "no TLS secrets in it (expected NSS key log lines such as "
			  "CLIENT_RANDOM <random> <secret>)";
	if (problem) {
		fprintf(stderr, "%s: --tls-keylog %s: %s\n", cmd, path, problem);
		return -1;
	}
	if (p->live)
		fst_tls_keylog_set_refill(p->keylog, refill_keylog, p);
	return 0;
}

static bool add_secrets(void *ctx, const uint8_t *text, size_t len)
{
	return fst_tls_keylog_add(ctx, (const char *)text, len, NULL);
}

/* The TLS secrets the capture files carry (pcapng Decryption Secrets
 * Blocks) join the key log. A damaged secrets block costs only its
 * secrets: a warning, and the packets are read as they are. Returns 0,
 * or -1 when out of memory (message printed). */
static int load_capture_secrets(struct pipeline *p, const char *cmd)
{
	bool own = !p->keylog; /* no --tls-keylog: kept only if secrets come */
	char errbuf[FST_ERRBUF_SIZE];

	if (own && !(p->keylog = fst_tls_keylog_new())) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		return -1;
	}
	for (size_t i = 0; i < p->file_count; i++) {
		int rc =
			fst_capture_read_secrets(p->files[i], add_secrets, p->keylog, NULL, errbuf);

		if (rc == FST_ERR_NOMEM) {
			fprintf(stderr, "%s: %s\n", cmd, errbuf);
			return -1;
		}
		if (rc != 0)
			fprintf(stderr, "%s: warning: %s; those secrets are not used\n", cmd,
				errbuf);
	}
	if (own && fst_tls_keylog_count(p->keylog) == 0) {
		fst_tls_keylog_free(p->keylog);
		p->keylog = NULL;
	}
	return 0;
}

/* analysis <- ftp <- tcp, each the consumer of the one it is built
 * after. Returns false when out of memory. */
static bool build_layers(struct pipeline *p, struct pipeline_opts *o)
{
	struct fst_tcp_cfg tcp_cfg = o->tcp;

	p->analysis = fst_analysis_new(&o->analysis);
	if (!p->analysis)
		return false;
	o->ftp.on_event = tap_or_analysis;
	o->ftp.ctx = p;
	o->ftp.tls_keylog = p->keylog;
	/* The analysis tells no data pauses shorter than its threshold
	 * apart: the segments between come to it in bulk. */
	o->ftp.data_pause_us = o->analysis.gap_threshold_us > 0 ? o->analysis.gap_threshold_us :
								  FST_ANALYSIS_DEFAULT_GAP_US;
	p->ftp = fst_ftp_new(&o->ftp);
	if (!p->ftp)
		return false;
	tcp_cfg.payload_by_default = true;
	tcp_cfg.on_flow = fst_ftp_on_tcp_flow;
	tcp_cfg.on_event = fst_ftp_on_tcp_event;
	tcp_cfg.ctx = p->ftp;
	p->tcp = fst_tcp_new(&tcp_cfg);
	return p->tcp != NULL;
}

int pipeline_open(struct pipeline *p, struct pipeline_opts *o, char *const *args, int nargs,
		  const char *cmd)
{
	memset(p, 0, sizeof(*p));
	p->live = o->interface != NULL;
	p->tap = o->ftp_tap;
	p->tap_ctx = o->tap_ctx;
	if (open_source(p, o, args, nargs, cmd) != 0)
		return -1;
	if ((o->tls_keylog_path && load_keylog(p, o->tls_keylog_path, cmd) != 0) ||
	    (!p->live && load_capture_secrets(p, cmd) != 0)) {
		pipeline_close(p);
		return -1;
	}
	if (!build_layers(p, o)) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		pipeline_close(p);
		return -1;
	}
	return 0;
}

void pipeline_say_listening(const struct pipeline *p, const char *interface, const char *cmd)
{
	struct fst_capture_link link;

	if (!p->live)
		return;
	fst_capture_link_info(p->cap, &link);
	fprintf(stderr, "%s: listening on %s, link-type %s (%s), snapshot length %d bytes\n", cmd,
		interface, link.name, link.description, link.snaplen);
	fflush(stderr);
}

/* Live: tells the analysis when the kernel's drop counters grew since
 * the last look, so the sessions that ran meanwhile are noted. */
static void check_drops(struct pipeline *p)
{
	const struct fst_capture_stats *st;
	uint64_t dropped;

	if (!p->live)
		return;
	st = fst_capture_stats(p->cap);
	dropped = st->kernel_dropped + st->interface_dropped;
	if (dropped > p->drops_seen)
		fst_analysis_capture_dropped(p->analysis, p->drops_checked_us, p->now_us);
	p->drops_seen = dropped;
	p->drops_checked_us = p->now_us;
}

/* A pcapng file's statistics say the kernel dropped packets then. */
static void on_file_drops(void *ctx, uint64_t dropped, int64_t from_us, int64_t to_us)
{
	struct pipeline *p = ctx;

	(void)dropped;
	fst_analysis_capture_dropped(p->analysis, from_us, to_us);
}

void pipeline_finish(struct pipeline *p)
{
	if (p->finished)
		return;
	check_drops(p);
	p->finished = true;
	fst_tcp_finish(p->tcp);
	fst_ftp_flush(p->ftp);
	/* Once every session has ended, so that the drops reach them all. */
	if (!p->live)
		fst_capture_file_drops(p->cap, on_file_drops, p);
	fst_analysis_finish(p->analysis);
}

/* ---- the pump ---------------------------------------------------------- */

static void set_clock_anchor(struct pipeline *p, int64_t pkt_us)
{
	p->anchor_pkt_us = pkt_us;
	p->anchor_mono_us = runtime_mono_us();
	p->now_us = pkt_us;
}

/* Packet time now: live, the last packet plus the time since it; in a
 * replay, the position scaled by the speed. */
static int64_t clock_now(const struct pipeline *p, double speed)
{
	double scale = p->live ? 1.0 : speed;

	if (scale <= 0 || p->input_done)
		return p->now_us;
	return p->anchor_pkt_us +
	       (int64_t)((double)(runtime_mono_us() - p->anchor_mono_us) * scale);
}

/* Microseconds until the held packet is due in a paced replay; 0 now. */
static int64_t held_wait_us(const struct pipeline *p, double speed)
{
	int64_t due;

	if (p->live || speed <= 0)
		return 0;
	due = p->anchor_mono_us + (int64_t)((double)(p->held.ts_us - p->anchor_pkt_us) / speed);
	return due > runtime_mono_us() ? due - runtime_mono_us() : 0;
}

/* Feeds the packets that are due. Returns the microseconds until the
 * next one is due (replay), 0 when more may be due at once, or -1 when
 * none is waiting. */
static int64_t feed_packets(struct pipeline *p, double speed)
{
	/* A bound per round keeps keys, ticks and signals responsive. */
	for (int n = 0; n < 4096 && !p->input_done; n++) {
		int64_t wait;

		if (!p->have_held) {
			int rc = fst_capture_next(p->cap, &p->held);

			if (rc == 0)
				return -1; /* live: nothing now */
			if (rc < 0) {
				p->input_done = true;
				break;
			}
			p->have_held = true;
			if (!p->live && p->anchor_mono_us == 0)
				set_clock_anchor(p, p->held.ts_us);
		}
		wait = held_wait_us(p, speed);
		if (wait > 0)
			return wait;
		p->have_held = false;
		if (p->live)
			set_clock_anchor(p, p->held.ts_us);
		else if (p->held.ts_us > p->now_us)
			p->now_us = p->held.ts_us;
		fst_tcp_input(p->tcp, &p->held);
	}
	/* Ticks, views and reports read the analysis after each round. */
	fst_ftp_flush(p->ftp);
	/* The files are over: end the flows so every session has its final
	 * verdict, and keep the clock where the capture ended. */
	if (p->input_done && !p->live)
		pipeline_finish(p);
	return p->input_done ? -1 : 0;
}

/* Sleeps until the next tick, the next packet due (wait_us >= 0), or
 * input on the capture or the caller's fd. */
static void wait_for_input(struct pipeline *p, const struct pipeline_pump_cfg *cfg,
			   int64_t next_tick, int64_t wait_us)
{
	struct pollfd fds[2];
	int nfds = 0, timeout_ms = (int)((next_tick - runtime_mono_us()) / 1000);

	if (wait_us > 0 && wait_us / 1000 < timeout_ms)
		timeout_ms = (int)(wait_us / 1000);
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (p->live && !p->input_done)
		fds[nfds++] = (struct pollfd){ .fd = fst_capture_fd(p->cap), .events = POLLIN };
	if (cfg->wake_fd >= 0)
		fds[nfds++] = (struct pollfd){ .fd = cfg->wake_fd, .events = POLLIN };
	poll(fds, (nfds_t)nfds, timeout_ms);
}

void pipeline_pump(struct pipeline *p, const struct pipeline_pump_cfg *cfg)
{
	int64_t next_tick = 0;
	int64_t deadline = p->live && cfg->duration_us > 0 ? runtime_mono_us() + cfg->duration_us :
							     INT64_MAX;

	set_clock_anchor(p, runtime_wall_clock_us());
	p->drops_checked_us = p->now_us;
	if (!p->live)
		p->anchor_mono_us = 0; /* set by the first packet */
	while (!runtime_stop_requested) {
		int64_t wait_us = feed_packets(p, cfg->speed);
		int64_t mono = runtime_mono_us(), now = clock_now(p, cfg->speed);

		p->now_us = now > p->now_us ? now : p->now_us;
		if (mono >= next_tick) {
			next_tick = mono + PIPELINE_TICK_US;
			if (p->live) {
				fst_tcp_advance(p->tcp, p->now_us);
				check_drops(p);
			}
			if (cfg->on_tick)
				cfg->on_tick(cfg->ctx);
		}
		if (cfg->on_round && !cfg->on_round(cfg->ctx))
			break;
		if ((cfg->stop_at_end && p->input_done) || mono >= deadline)
			break;
		if (wait_us != 0)
			wait_for_input(p, cfg, next_tick, wait_us);
	}
}

void pipeline_close(struct pipeline *p)
{
	fst_tcp_free(p->tcp);
	fst_ftp_free(p->ftp);
	fst_analysis_free(p->analysis);
	fst_capture_free(p->cap);
	fst_tls_keylog_free(p->keylog);
	if (p->keylog_open)
		close(p->keylog_fd);
	if (p->saving) {
		p->save.file = NULL; /* closed with the capture */
		output_abort(&p->save);
	}
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

int pipeline_print_report(struct pipeline *p, enum fst_report_format format, bool color,
			  const char *cmd)
{
	struct fst_report_input report;

	pipeline_report_input(p, &report, color);
	if (fst_report_write(stdout, format, &report) != FST_OK || fflush(stdout) != 0) {
		fprintf(stderr, "%s: writing the report failed\n", cmd);
		return -1;
	}
	return 0;
}

int pipeline_save_begin(struct pipeline *p, const char *path, const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];
	FILE *f = output_open(&p->save, path, (const char *const *)p->files, p->file_count, errbuf);

	if (!f) {
		fprintf(stderr, "%s: -w %s\n", cmd, errbuf);
		return -1;
	}
	if (fst_capture_save_to(p->cap, f, path, errbuf) != FST_OK) {
		p->save.file = NULL; /* closed by the capture */
		output_abort(&p->save);
		fprintf(stderr, "%s: -w %s\n", cmd, errbuf);
		return -1;
	}
	p->save.file = NULL; /* the capture owns the stream now */
	p->saving = true;
	return 0;
}

int pipeline_save_end(struct pipeline *p, const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];

	if (!p->saving)
		return 0;
	p->saving = false;
	if (fst_capture_save_end(p->cap, errbuf) != FST_OK) {
		output_abort(&p->save);
		fprintf(stderr, "%s: -w %s: %s\n", cmd, p->save.path, errbuf);
		return -1;
	}
	if (output_commit(&p->save, true, errbuf) != FST_OK) {
		fprintf(stderr, "%s: -w %s\n", cmd, errbuf);
		return -1;
	}
	return 0;
}
