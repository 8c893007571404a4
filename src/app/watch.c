/* `ftpstall watch`: a live monitor of FTP sessions, on an interface or
 * replaying captures in their own time. With a terminal it runs the
 * ncurses view (src/tui); without one, or with --no-tui, it prints one
 * line per event and, at the end or on Ctrl-C, the final report.
 *
 * The pipeline's pump polls the capture fd and the keyboard with a
 * timeout, so idle timers keep counting when no packet arrives; its
 * clock (packet time, see pipeline.h) is what the view shows. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "runtime.h"
#include "session_log.h"
#include "ftpstall/metrics.h"
#include "ftpstall/tui.h"

/* How often the servers' timeout estimates are worked out again. */
#define ESTIMATE_REFRESH_US (2 * FST_US_PER_SEC)
/* --speed: a replay in real time. */
#define DEFAULT_SPEED 1

struct watch_opts {
	struct pipeline_opts pipe;
	bool replay;
	double speed;	  /* replay: 1 = real time, 0 = as fast as possible */
	double timeout_s; /* idle alarm for the view */
	bool no_tui;
	bool jsonl;
	/* --format ecs or zeek: a log of sessions instead of event lines;
	 * FST_REPORT_TEXT when not. */
	enum fst_report_format log_format;
	bool verbose;
	const char *save_path;
	const char *drop_user;
	struct fst_metrics_cfg metrics; /* --metrics, when listen is set */
};

/* What the event stream remembers of a session (indexed by id). */
struct stream_mark {
	int64_t idle_reported_since_us; /* the idle period already reported */
	enum fst_verdict_state verdict_printed;
	enum fst_verdict verdict;
};

struct watch {
	struct watch_opts *opts;
	struct pipeline p;
	struct fst_tui *tui;
	FILE *out;
	int64_t next_estimate_us; /* monotonic */
	struct stream_mark *marks;
	size_t mark_count;
	struct session_log log;
	struct fst_metrics *metrics; /* --metrics, else NULL */
};

void usage_watch(FILE *out)
{
	fprintf(out, "usage: ftpstall watch [options] -i IFACE [BPF FILTER...]\n"
		     "       ftpstall watch [options] -r FILE...\n\n"
		     "Shows every FTP session on the wire as it happens: who owes the next\n"
		     "move and how long that side has been silent against the server's\n"
		     "timeout. Without a terminal (or with --no-tui) prints one line per\n"
		     "event; Ctrl-C then prints the final report.\n\n"
		     "Options:\n");
	options_pipeline_usage(out);
	options_metrics_usage(out, false);
	fprintf(out,
		"  -r, --read               the arguments are capture files to replay\n"
		"      --speed N            replay at N times real time (default %d; 0 = as\n"
		"                           fast as possible)\n"
		"  -t, --timeout SECONDS    idle alarm (default: the server's observed\n"
		"                           timeout once known, else %d)\n"
		"      --no-tui             print events as lines instead of the screen\n"
		"  -f, --format FORMAT      event lines as text (default) or jsonl; or,\n"
		"                           instead of them, a log of each session as it\n"
		"                           ends: ecs (NDJSON) or zeek (a Zeek TSV log)\n"
		"  -v, --verbose            event lines include commands and replies\n"
		"  -w, --write FILE         also save the captured packets to FILE (pcap)\n"
		"                           (files, devices, FIFOs, links: as analyze -o)\n"
		"  -Z, --user USER          drop root privileges to USER once the capture\n"
		"                           device is open (the -w file is opened after)\n"
		"  -h, --help               show this help\n\n"
		"Keys: arrows or j/k select, Enter details, Esc back, q quit, s sort,\n"
		"/ filter, p pause the display, w write the report, ? help.\n\n"
		"Exit status: 0 success, 2 usage error, unreadable input, no capture\n"
		"permission, a -w file that cannot be written, a -Z user that cannot be\n"
		"switched to, or a terminal the screen cannot use.\n",
		DEFAULT_SPEED, FST_TUI_DEFAULT_TIMEOUT_S);
}

/* ---- the event stream ------------------------------------------------- */

static struct stream_mark *mark_of(struct watch *w, const struct fst_ftp_session *s)
{
	size_t index = (size_t)s->id;

	if (index >= w->mark_count) {
		size_t count = w->mark_count ? w->mark_count : 64;
		struct stream_mark *grown;

		while (count <= index)
			count *= 2;
		grown = realloc(w->marks, count * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + w->mark_count, 0, (count - w->mark_count) * sizeof(*grown));
		w->marks = grown;
		w->mark_count = count;
	}
	return &w->marks[index];
}

static void stream(struct watch *w, enum fst_stream_event event, int64_t ts_us,
		   const struct fst_session_result *r)
{
	struct fst_stream_line line = { .event = event, .ts_us = ts_us, .result = r };

	fst_report_stream_line(w->out, w->opts->jsonl, &line);
}

static void on_update(void *ctx, const struct fst_session_result *r,
		      enum fst_analysis_update update)
{
	struct watch *w = ctx;
	struct stream_mark *m = mark_of(w, r->session);

	if (w->metrics)
		fst_metrics_on_update(w->metrics, r, update);
	if (w->tui || !m)
		return;
	if (w->opts->log_format != FST_REPORT_TEXT) {
		if (update == FST_UPDATE_VERDICT)
			session_log_update(&w->log, r);
		return;
	}
	switch (update) {
	case FST_UPDATE_SESSION_OPEN:
		stream(w, FST_STREAM_OPEN, r->session->start_us, r);
		break;
	case FST_UPDATE_GAP:
		break;
	case FST_UPDATE_VERDICT:
		if (r->verdict_state == FST_VERDICT_PROVISIONAL && r->close.by != FST_CLOSE_BY_NONE)
			stream(w, FST_STREAM_CLOSE, r->close.ts_us, r);
		/* A final verdict that only confirms the provisional one is
		 * not news. */
		if (m->verdict_printed == FST_VERDICT_PENDING || m->verdict != r->verdict) {
			stream(w, FST_STREAM_VERDICT,
			       r->verdict_state == FST_VERDICT_FINAL ? w->p.now_us : r->close.ts_us,
			       r);
			m->verdict = r->verdict;
		}
		m->verdict_printed = r->verdict_state;
		break;
	case FST_UPDATE_COUNT:
		break;
	}
}

static void ftp_tap(void *ctx, const struct fst_ftp_event *ev)
{
	struct watch *w = ctx;
	const struct fst_session_result *r;
	struct fst_stream_line line = { .ts_us = ev->ts_us };

	pipeline_ftp_event(&w->p, ev);
	if (w->tui || !w->opts->verbose || w->opts->log_format != FST_REPORT_TEXT)
		return;
	r = ev->session->user;
	if (!r)
		return;
	line.result = r;
	if (ev->kind == FST_FTP_EV_COMMAND && ev->command) {
		line.event = FST_STREAM_COMMAND;
		line.command = ev->command;
		fst_report_stream_line(w->out, w->opts->jsonl, &line);
	} else if (ev->kind == FST_FTP_EV_REPLY && ev->reply) {
		line.event = FST_STREAM_REPLY;
		line.reply = ev->reply;
		fst_report_stream_line(w->out, w->opts->jsonl, &line);
	}
}

/* Reports each idle that crosses the gap threshold, once per period. */
static void check_idles(struct watch *w)
{
	double threshold_s = (double)w->opts->pipe.analysis.gap_threshold_us / 1e6;

	for (struct fst_session_result *r = fst_analysis_results(w->p.analysis); r; r = r->next) {
		const struct fst_ftp_session *s = r->session;
		struct stream_mark *m = mark_of(w, s);
		double idle = fst_analysis_idle_s(r, w->p.now_us);
		int64_t since = w->p.now_us - (int64_t)(idle * 1e6);
		struct fst_stream_line line = { .event = FST_STREAM_IDLE,
						.ts_us = w->p.now_us,
						.result = r };

		if (!m || r->verdict_state != FST_VERDICT_PENDING || idle < threshold_s ||
		    s->turn.side == FST_SIDE_NONE)
			continue;
		/* Within a millisecond it is the same idle period. */
		if (llabs(since - m->idle_reported_since_us) < 1000)
			continue;
		m->idle_reported_since_us = since;
		line.idle_s = idle;
		line.waiting_on = s->turn.side == FST_SIDE_CLIENT ? FST_WAIT_CLIENT :
								    FST_WAIT_SERVER;
		fst_report_stream_line(w->out, w->opts->jsonl, &line);
	}
}

/* ---- the terminal view's report key ----------------------------------- */

static int write_report_file(void *ctx, const char *path, char *errbuf)
{
	struct watch *w = ctx;
	struct fst_report_input report;
	struct output out;
	FILE *f = output_open(&out, path, (const char *const *)w->p.files, w->p.file_count, errbuf);

	if (!f)
		return FST_ERR_IO;
	fst_analysis_finish(w->p.analysis);
	pipeline_report_input(&w->p, &report, false);
	if (fst_report_write(f, FST_REPORT_TEXT, &report) != FST_OK) {
		output_abort(&out);
		fst_errbuf_set(errbuf, "%s: writing failed", path);
		return FST_ERR_IO;
	}
	return output_commit(&out, false, errbuf);
}

/* ---- the loop ---------------------------------------------------------- */

static struct fst_tui_view current_view(struct watch *w)
{
	struct fst_tui_view view = {
		.now_us = w->p.now_us,
		.analysis = w->p.analysis,
		.capture = fst_capture_stats(w->p.cap),
		.source = fst_capture_source_name(w->p.cap),
		.live = w->p.live,
		.input_done = w->p.input_done,
	};

	return view;
}

static void on_tick(void *ctx)
{
	struct watch *w = ctx;
	int64_t mono = runtime_mono_us();

	if (mono >= w->next_estimate_us) {
		w->next_estimate_us = mono + ESTIMATE_REFRESH_US;
		fst_analysis_finish(w->p.analysis);
	}
	if (w->metrics)
		fst_metrics_publish(w->metrics, w->p.analysis, fst_capture_stats(w->p.cap));
	if (w->tui) {
		struct fst_tui_view view = current_view(w);

		fst_tui_draw(w->tui, &view);
	} else if (w->opts->log_format == FST_REPORT_TEXT) {
		check_idles(w);
	}
}

/* The keys; false once the user has quit. */
static bool on_round(void *ctx)
{
	struct watch *w = ctx;
	struct fst_tui_view view;

	if (!w->tui)
		return true;
	view = current_view(w);
	return fst_tui_handle_input(w->tui, &view);
}

static void run(struct watch *w)
{
	struct pipeline_pump_cfg pump = {
		.speed = w->opts->speed,
		/* The screen stays up at the end of a replay until 'q'. */
		.stop_at_end = !w->tui && !w->p.live,
		.wake_fd = w->tui ? fst_tui_input_fd(w->tui) : -1,
		.on_tick = on_tick,
		.on_round = on_round,
		.ctx = w,
	};

	pipeline_pump(&w->p, &pump);
}

static int parse_options(int argc, char **argv, struct watch_opts *opts)
{
	static const struct option long_options[] = {
		OPTIONS_PIPELINE_LONG,
		{ "read", no_argument, NULL, 'r' },
		{ "speed", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-tui", no_argument, NULL, 'N' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "write", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'Z' },
		OPTIONS_METRICS_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" OPTIONS_PIPELINE_SHORT "rt:f:vw:Z:h", long_options,
				NULL)) != -1) {
		int shared = options_pipeline(&opts->pipe, c, optarg, "ftpstall watch");

		if (!shared)
			shared = options_metrics(&opts->metrics, c, optarg, "ftpstall watch");
		if (shared < 0)
			return -1;
		if (shared > 0)
			continue;
		switch (c) {
		case 'r':
			opts->replay = true;
			break;
		case 'S':
			opts->speed = strtod(optarg, &end);
			if (end == optarg || *end || opts->speed < 0 || opts->speed > 1e6)
				goto bad_value;
			break;
		case 't':
			opts->timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || !(opts->timeout_s > 0))
				goto bad_value;
			break;
		case 'N':
			opts->no_tui = true;
			break;
		case 'f':
			if (strcmp(optarg, "jsonl") == 0)
				opts->jsonl = true;
			else if (strcmp(optarg, "ecs") == 0)
				opts->log_format = FST_REPORT_ECS;
			else if (strcmp(optarg, "zeek") == 0)
				opts->log_format = FST_REPORT_ZEEK;
			else if (strcmp(optarg, "text") != 0)
				goto bad_value;
			break;
		case 'v':
			opts->verbose = true;
			break;
		case 'w':
			opts->save_path = optarg;
			break;
		case 'Z':
			opts->drop_user = optarg;
			break;
		case 'h':
			usage_watch(stdout);
			return 1;
		default:
			options_getopt_error("watch", c, argv);
			return -1;
		}
	}
	if (!opts->replay && !opts->pipe.interface) {
		fprintf(stderr,
			"ftpstall watch: give -i IFACE or -r FILE... (see 'ftpstall help watch')\n");
		return -1;
	}
	if (opts->replay && opts->pipe.interface) {
		fprintf(stderr, "ftpstall watch: -i and -r exclude each other\n");
		return -1;
	}
	return 0;

bad_value:
	options_getopt_error("watch", 'V', argv);
	return -1;
}

/* The end of the output without a screen: the rest of the session log,
 * or the final report. In JSON modes standard output holds JSON lines
 * only, so the report, for the person who stopped watch, goes to
 * standard error. Returns 0, or -1 when writing failed. */
static int finish_stream(struct watch *w)
{
	struct fst_report_input report;
	FILE *f = w->opts->jsonl ? stderr : stdout;

	if (w->opts->log_format != FST_REPORT_TEXT) {
		if (session_log_finish(&w->log) == 0)
			return 0;
		fprintf(stderr, "ftpstall watch: writing the log failed\n");
		return -1;
	}
	fputc('\n', f);
	pipeline_report_input(&w->p, &report, false);
	if (fst_report_write(f, FST_REPORT_TEXT, &report) != FST_OK || fflush(f) != 0) {
		fprintf(stderr, "ftpstall watch: writing the report failed\n");
		return -1;
	}
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_opts opts = { .speed = DEFAULT_SPEED };
	struct watch w = { .opts = &opts, .out = stdout };
	int printed;
	char errbuf[FST_ERRBUF_SIZE];
	int status = EXIT_STATUS_OK;
	int rc;

	options_pipeline_init(&opts.pipe);
	rc = parse_options(argc, argv, &opts);
	if (rc != 0)
		return rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
	w.log = (struct session_log){ .out = stdout, .format = opts.log_format, .p = &w.p };
	opts.pipe.analysis.on_update = on_update;
	opts.pipe.analysis.ctx = &w;
	opts.pipe.ftp_tap = ftp_tap;
	opts.pipe.tap_ctx = &w;
	if (pipeline_open(&w.p, &opts.pipe, argv + optind, argc - optind, "ftpstall watch") != 0)
		return EXIT_STATUS_USAGE;
	if (opts.drop_user && runtime_drop_privileges(opts.drop_user, "ftpstall watch") != 0) {
		status = EXIT_STATUS_USAGE;
		goto out_close;
	}
	/* After -Z, as tcpdump does: the file is the user's, and the rename
	 * at the end needs no more rights than the start had. */
	if (opts.save_path && pipeline_save_begin(&w.p, opts.save_path, "ftpstall watch") != 0) {
		status = EXIT_STATUS_USAGE;
		goto out_close;
	}
	if (opts.metrics.listen) {
		w.metrics = fst_metrics_new(&opts.metrics, errbuf);
		if (!w.metrics) {
			fprintf(stderr, "ftpstall watch: --metrics %s\n", errbuf);
			status = EXIT_STATUS_USAGE;
			goto out_close;
		}
	}
	if (!opts.no_tui && opts.log_format == FST_REPORT_TEXT && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO)) {
		struct fst_tui_cfg cfg = {
			.timeout_s = opts.timeout_s,
			.write_report = write_report_file,
			.ctx = &w,
		};

		w.tui = fst_tui_new(&cfg, errbuf);
		if (!w.tui) {
			fprintf(stderr, "ftpstall watch: %s\n", errbuf);
			status = EXIT_STATUS_USAGE;
			goto out_close;
		}
	}
	if (!w.tui) /* the screen would cover it */
		pipeline_say_listening(&w.p, opts.pipe.interface, "ftpstall watch");
	runtime_catch_signals();
	run(&w);
	fst_tui_free(w.tui);
	if (!w.tui) {
		pipeline_finish(&w.p);
		fst_analysis_finish(w.p.analysis);
		printed = finish_stream(&w);
		if (printed != 0)
			status = EXIT_STATUS_USAGE;
	}
	if (pipeline_save_end(&w.p, "ftpstall watch") != 0)
		status = EXIT_STATUS_USAGE;
	if (fst_capture_warnings(w.p.cap)[0])
		fprintf(stderr, "ftpstall watch: warning: %s", fst_capture_warnings(w.p.cap));
out_close:
	fst_metrics_free(w.metrics);
	pipeline_close(&w.p);
	free(w.marks);
	return status;
}
