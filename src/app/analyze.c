/* `ftpstall analyze`: reads captures or an interface, runs the pipeline
 * and writes the report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "progress.h"
#include "runtime.h"
#include "session_log.h"
#include "ftpstall/metrics.h"

struct analyze_opts {
	struct pipeline_opts pipe;
	long duration_s;
	enum fst_report_format format;
	const char *output;
	const char *incidents_pcap;
	const char *save_path;
	const char *drop_user;
	bool exit_code;
	bool read_files; /* -r: tcpdump's habit; the arguments are files either way */
	bool no_progress;
	bool partial;
	bool keep_passwords;
	struct fst_metrics_cfg metrics; /* live: --metrics, when listen is set */
};

void usage_analyze(FILE *out)
{
	fprintf(out, "usage: ftpstall analyze [options] [-r] FILE...\n"
		     "       ftpstall analyze [options] -i IFACE [BPF FILTER...]\n\n"
		     "Reads pcap or pcapng files (several rotated files are read as one\n"
		     "stream in timestamp order; '-' is standard input; gzip-compressed\n"
		     "files too, as tcpdump -z gzip leaves them) or captures live\n"
		     "on an interface, and reports every FTP session: which side stalled,\n"
		     "for how long, how the connection closed, and the server's timeouts.\n\n"
		     "Options:\n");
	options_pipeline_usage(out);
	fprintf(out, "  -r, --read               the arguments are capture files (the default\n"
		     "                           without -i; as tcpdump -r and watch -r)\n"
		     "      --duration SECONDS   live: stop after SECONDS (default: until Ctrl-C)\n"
		     "  -Z, --user USER          live: drop root privileges to USER once the\n"
		     "                           capture device is open\n"
		     "  -f, --format FORMAT      text (default), json, jsonl, md, html, ecs\n"
		     "                           (Elastic Common Schema, NDJSON) or zeek (a Zeek\n"
		     "                           TSV log); live, ecs and zeek write each session\n"
		     "                           as it ends\n"
		     "  -o, --output FILE        write the report to FILE instead of standard\n"
		     "                           output: a regular file (or a symlink's target)\n"
		     "                           is replaced atomically, a device or FIFO\n"
		     "                           written in place; the same for -w and\n"
		     "                           --write-incidents\n"
		     "      --exit-code          exit 1 when an incident was found, 4 when the\n"
		     "                           input held no FTP session at all, else 0\n"
		     "      --partial            files: on Ctrl-C, still write the report of what\n"
		     "                           was read, marked as interrupted\n"
		     "      --write-incidents FILE  write the packets of the incident sessions\n"
		     "                           (control and data connections) to FILE as pcap\n"
		     "                           with each PASS argument masked by '*'\n"
		     "      --keep-passwords     --write-incidents: keep PASS as captured\n"
		     "  -w, --write FILE         also save every frame read (live: captured) to\n"
		     "                           FILE as pcap, as tcpdump -w\n"
		     "      --no-progress        no progress line (it shows only on a terminal)\n");
	options_metrics_usage(out, true);
	fprintf(out, "  -h, --help               show this help\n\n"
		     "Exit status: 0 success (also when a file ends in a damaged record: the\n"
		     "records before it are reported and a warning is printed; live, also\n"
		     "when Ctrl-C ends the capture), 1 incidents found (with --exit-code\n"
		     "only), 2 usage error, unreadable input, or a report, -w or\n"
		     "--write-incidents file that cannot be written, 4 no FTP session in the\n"
		     "input (with --exit-code only), 130 files: interrupted by Ctrl-C (SIGINT)\n"
		     "or SIGTERM; no file is written, except the report with --partial.\n");
}

/* Long-only options, out of the range of the letters. */
enum {
	OPT_KEEP_PASSWORDS = 0x100
};

static int parse_options(int argc, char **argv, struct analyze_opts *opts)
{
	static const struct option long_options[] = {
		OPTIONS_PIPELINE_LONG,
		{ "read", no_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "exit-code", no_argument, NULL, 'E' },
		{ "partial", no_argument, NULL, 'P' },
		{ "write-incidents", required_argument, NULL, 'W' },
		{ "write", required_argument, NULL, 'w' },
		{ "keep-passwords", no_argument, NULL, OPT_KEEP_PASSWORDS },
		OPTIONS_METRICS_LONG,
		{ "user", required_argument, NULL, 'Z' },
		{ "no-progress", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long value;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" OPTIONS_PIPELINE_SHORT "rf:o:w:Z:h", long_options,
				NULL)) != -1) {
		int shared = options_pipeline(&opts->pipe, c, optarg, "ftpstall analyze");

		if (!shared)
			shared = options_metrics(&opts->metrics, c, optarg, "ftpstall analyze");
		if (shared < 0)
			return -1;
		if (shared > 0)
			continue;
		switch (c) {
		case 'r':
			opts->read_files = true;
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
		case 'o':
			opts->output = optarg;
			break;
		case 'E':
			opts->exit_code = true;
			break;
		case 'P':
			opts->partial = true;
			break;
		case 'W':
			opts->incidents_pcap = optarg;
			break;
		case 'w':
			opts->save_path = optarg;
			break;
		case OPT_KEEP_PASSWORDS:
			opts->keep_passwords = true;
			break;
		case 'Z':
			opts->drop_user = optarg;
			break;
		case 'N':
			opts->no_progress = true;
			break;
		case 'h':
			usage_analyze(stdout);
			return 1;
		default:
			options_getopt_error("analyze", c, argv);
			return -1;
		}
	}
	if (opts->read_files && opts->pipe.interface) {
		fprintf(stderr, "ftpstall analyze: -i and -r exclude each other\n");
		return -1;
	}
	if (opts->metrics.listen && !opts->pipe.interface) {
		fprintf(stderr, "ftpstall analyze: --metrics needs a live capture (-i IFACE)\n");
		return -1;
	}
	return 0;

bad_value:
	options_getopt_error("analyze", 'V', argv);
	return -1;
}

/* The connections of incident sessions, for --write-incidents. */
struct incident_tuples {
	struct {
		struct fst_addr a, b; /* a: the client */
		uint16_t a_port, b_port;
		bool control;
	} * items;
	size_t count;
	struct fst_ftp_masker *masker; /* NULL: --keep-passwords */
	bool client_control;	       /* the packet kept last: client to server, control */
};

static void add_tuple(struct incident_tuples *t, const struct fst_addr *a, uint16_t a_port,
		      const struct fst_addr *b, uint16_t b_port, bool control)
{
	void *grown = realloc(t->items, (t->count + 1) * sizeof(*t->items));

	if (!grown)
		return;
	t->items = grown;
	t->items[t->count].a = *a;
	t->items[t->count].b = *b;
	t->items[t->count].a_port = a_port;
	t->items[t->count].b_port = b_port;
	t->items[t->count].control = control;
	t->count++;
}

static bool keep_incident_packet(void *ctx, const struct fst_packet *pkt)
{
	struct incident_tuples *t = ctx;

	for (size_t i = 0; i < t->count; i++) {
		bool forward = pkt->src_port == t->items[i].a_port &&
			       pkt->dst_port == t->items[i].b_port &&
			       fst_addr_equal(&pkt->src, &t->items[i].a) &&
			       fst_addr_equal(&pkt->dst, &t->items[i].b);
		bool reverse = pkt->src_port == t->items[i].b_port &&
			       pkt->dst_port == t->items[i].a_port &&
			       fst_addr_equal(&pkt->src, &t->items[i].b) &&
			       fst_addr_equal(&pkt->dst, &t->items[i].a);

		if (forward || reverse) {
			t->client_control = forward && t->items[i].control;
			return true;
		}
	}
	return false;
}

/* Masks the PASS arguments in what a client sends on a control
 * connection of the extract. The extract calls it right after
 * keep_incident_packet accepted the same packet. */
static size_t mask_incident_packet(void *ctx, const struct fst_packet *pkt, uint8_t *payload)
{
	const struct incident_tuples *t = ctx;

	return t->client_control ? fst_ftp_masker_mask(t->masker, pkt, payload) : 0;
}

/* Writes the packets of every incident session into a temporary file
 * beside path (out), left for the caller to commit or abort; PASS
 * arguments masked unless keep_passwords. Stops when a signal asks to.
 * Returns an exit status. */
static int write_incidents(struct output *out, const char *path, char **files, int file_count,
			   struct fst_analysis *analysis, bool keep_passwords)
{
	struct incident_tuples tuples = { 0 };
	char errbuf[FST_ERRBUF_SIZE];
	uint64_t written = 0;
	FILE *f;
	int rc;

	for (struct fst_session_result *r = fst_analysis_results(analysis); r; r = r->next) {
		const struct fst_ftp_session *s = r->session;

		if (!fst_verdict_is_incident(r->verdict))
			continue;
		add_tuple(&tuples, &s->client_addr, s->client_port, &s->server_addr, s->server_port,
			  true);
		for (size_t i = 0; i < s->transfer_count; i++)
			if (s->transfers[i].data_seen)
				add_tuple(&tuples, &s->transfers[i].data_client_addr,
					  s->transfers[i].data_client_port,
					  &s->transfers[i].data_server_addr,
					  s->transfers[i].data_server_port, false);
	}
	if (!keep_passwords) {
		tuples.masker = fst_ftp_masker_new();
		if (!tuples.masker) {
			fprintf(stderr, "ftpstall analyze: --write-incidents: out of memory\n");
			free(tuples.items);
			return EXIT_STATUS_USAGE;
		}
	}
	f = output_open(out, path, (const char *const *)files, (size_t)file_count, errbuf);
	if (!f) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		fst_ftp_masker_free(tuples.masker);
		memset(out, 0, sizeof(*out)); /* nothing for output_abort to remove */
		free(tuples.items);
		return EXIT_STATUS_USAGE;
	}
	rc = fst_capture_extract((const char *const *)files, (size_t)file_count, f,
				 keep_incident_packet, tuples.masker ? mask_incident_packet : NULL,
				 &tuples, &runtime_stop_requested, &written, errbuf);
	if (tuples.masker && fst_ftp_masker_flows_refused(tuples.masker) > 0)
		fprintf(stderr,
			"ftpstall analyze: --write-incidents: %llu segments of control connections "
			"beyond the first %d were masked one by one\n",
			(unsigned long long)fst_ftp_masker_flows_refused(tuples.masker),
			FST_FTP_MASKER_MAX_FLOWS);
	fst_ftp_masker_free(tuples.masker);
	free(tuples.items);
	out->file = NULL; /* closed by the extract */
	if (rc == FST_ERR_CANCELLED)
		return EXIT_STATUS_INTERRUPTED;
	if (rc != FST_OK) {
		fprintf(stderr, "ftpstall analyze: --write-incidents %s: %s\n", path, errbuf);
		return EXIT_STATUS_USAGE;
	}
	return EXIT_STATUS_OK;
}

/* Writes the report to stdout, or into a temporary file beside path
 * (out) for the caller to commit. Returns an exit status. */
static int write_report(struct pipeline *p, const struct analyze_opts *opts, bool interrupted,
			struct output *out)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_report_input in;
	FILE *f = stdout;

	pipeline_report_input(p, &in,
			      !opts->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	if (interrupted) {
		in.interrupted = true;
		fst_capture_progress(p->cap, &in.bytes_read, &in.bytes_total);
	}
	if (opts->output) {
		f = output_open(out, opts->output, (const char *const *)p->files, p->file_count,
				errbuf);
		if (!f) {
			fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
			memset(out, 0, sizeof(*out)); /* nothing for output_abort to remove */
			return EXIT_STATUS_USAGE;
		}
	}
	if (fst_report_write(f, opts->format, &in) != FST_OK || fflush(f) != 0 || ferror(f)) {
		fprintf(stderr, "ftpstall analyze: %s: writing the report failed\n",
			opts->output ? opts->output : "standard output");
		return EXIT_STATUS_USAGE;
	}
	return EXIT_STATUS_OK;
}

/* Renames a finished file into place; nothing when out was not used. */
static int commit(struct output *out)
{
	char errbuf[FST_ERRBUF_SIZE];
	int rc;

	if (!out->path)
		return EXIT_STATUS_OK;
	rc = output_commit(out, out->file == NULL, errbuf);
	memset(out, 0, sizeof(*out)); /* renamed or removed: nothing left to abort */
	if (rc != FST_OK) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		return EXIT_STATUS_USAGE;
	}
	return EXIT_STATUS_OK;
}

struct analyze_round {
	struct pipeline *p;
	struct progress progress;
};

static bool show_progress(void *ctx)
{
	struct analyze_round *round = ctx;

	progress_update(&round->progress, round->p);
	return true;
}

/* What a live run does besides the report: the session log (--format
 * ecs or zeek) and the metrics. */
struct analyze_live {
	struct session_log log; /* format FST_REPORT_TEXT: none */
	struct fst_metrics *metrics;
	int64_t next_estimate_us; /* monotonic */
};

/* How often the servers' timeout estimates are worked out again for
 * the metrics and the session log, as watch does for its view. */
#define ESTIMATE_REFRESH_US (2 * FST_US_PER_SEC)

static void live_on_update(void *ctx, const struct fst_session_result *r,
			   enum fst_analysis_update update)
{
	struct analyze_live *live = ctx;

	if (live->log.format != FST_REPORT_TEXT && update == FST_UPDATE_VERDICT)
		session_log_update(&live->log, r);
	if (live->metrics)
		fst_metrics_on_update(live->metrics, r, update);
}

static void live_on_tick(void *ctx)
{
	struct analyze_live *live = ctx;
	struct pipeline *p = live->log.p;
	int64_t mono = runtime_mono_us();

	if (mono >= live->next_estimate_us) {
		live->next_estimate_us = mono + ESTIMATE_REFRESH_US;
		fst_analysis_finish(p->analysis);
	}
	if (live->metrics)
		fst_metrics_publish(live->metrics, p->analysis, fst_capture_stats(p->cap));
}

/* Opens the live log's output (stdout or -o) before the capture starts.
 * Returns an exit status. */
static int open_log(struct session_log *log, const struct analyze_opts *opts, struct output *out)
{
	char errbuf[FST_ERRBUF_SIZE];

	log->out = stdout;
	if (!opts->output)
		return EXIT_STATUS_OK;
	log->out = output_open(out, opts->output, NULL, 0, errbuf);
	if (!log->out) {
		fprintf(stderr, "ftpstall analyze: %s\n", errbuf);
		memset(out, 0, sizeof(*out)); /* nothing for output_abort to remove */
		return EXIT_STATUS_USAGE;
	}
	return EXIT_STATUS_OK;
}

/* The --exit-code status of a complete run. */
static int findings_status(struct pipeline *p)
{
	/* The ftp layer's count: results may have been evicted. */
	if (fst_ftp_stats(p->ftp)->sessions == 0)
		return EXIT_STATUS_NO_FTP;
	for (struct fst_session_result *r = fst_analysis_results(p->analysis); r; r = r->next)
		if (fst_verdict_is_incident(r->verdict))
			return EXIT_STATUS_FINDINGS;
	return EXIT_STATUS_OK;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts opts = { 0 };
	struct pipeline_pump_cfg pump = { .stop_at_end = true, .wake_fd = -1 };
	struct output report = { 0 }, incidents = { 0 };
	struct pipeline p;
	struct analyze_round round = { .p = &p };
	struct analyze_live live = { .log = { .p = &p } };
	struct session_log *log = &live.log;
	char errbuf[FST_ERRBUF_SIZE];
	int status = EXIT_STATUS_OK;
	bool interrupted;
	int rc;

	options_pipeline_init(&opts.pipe);
	rc = parse_options(argc, argv, &opts);
	if (rc != 0)
		return rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
	if (opts.incidents_pcap && opts.pipe.interface) {
		fprintf(stderr,
			"ftpstall analyze: --write-incidents needs capture files, not a live interface\n");
		return EXIT_STATUS_USAGE;
	}
	/* Live, a log written a session at a time is the report. */
	if (opts.pipe.interface && fst_report_format_streams(opts.format))
		log->format = opts.format;
	if (log->format != FST_REPORT_TEXT || opts.metrics.listen) {
		opts.pipe.analysis.on_update = live_on_update;
		opts.pipe.analysis.ctx = &live;
	}
	/* Before the open, which may already wait on a pipe (standard input). */
	runtime_catch_signals();
	if (pipeline_open(&p, &opts.pipe, argv + optind, argc - optind, "ftpstall analyze") != 0)
		return runtime_stop_requested ? EXIT_STATUS_INTERRUPTED : EXIT_STATUS_USAGE;
	if (opts.drop_user && runtime_drop_privileges(opts.drop_user, "ftpstall analyze") != 0) {
		pipeline_close(&p);
		return EXIT_STATUS_USAGE;
	}
	if (opts.save_path && pipeline_save_begin(&p, opts.save_path, "ftpstall analyze") != 0) {
		pipeline_close(&p);
		return EXIT_STATUS_USAGE;
	}
	if (log->format != FST_REPORT_TEXT && open_log(log, &opts, &report) != EXIT_STATUS_OK) {
		pipeline_close(&p);
		return EXIT_STATUS_USAGE;
	}
	if (opts.metrics.listen) {
		live.metrics = fst_metrics_new(&opts.metrics, errbuf);
		if (!live.metrics) {
			fprintf(stderr, "ftpstall analyze: --metrics %s\n", errbuf);
			status = EXIT_STATUS_USAGE;
			goto out_close;
		}
	}
	/* The estimates refreshed, as watch does: the metrics' gauge and
	 * each log document's server_timeout_estimate_s. */
	if (live.metrics || log->format != FST_REPORT_TEXT) {
		pump.on_tick = live_on_tick;
		pump.ctx = &live;
	}
	pipeline_say_listening(&p, opts.pipe.interface, "ftpstall analyze");
	pump.duration_us = opts.duration_s * FST_US_PER_SEC;
	if (!p.live && !opts.no_progress && isatty(STDERR_FILENO)) {
		pump.on_round = show_progress;
		pump.ctx = &round;
	}
	pipeline_pump(&p, &pump);
	progress_clear(&round.progress);
	/* Live, Ctrl-C is how a capture ends and the report follows; files
	 * stopped early would give a report that looks complete and is not. */
	interrupted = !p.live && runtime_stop_requested;
	if (interrupted && !opts.partial) {
		status = EXIT_STATUS_INTERRUPTED;
		goto out_close;
	}
	pipeline_finish(&p);
	/* An interrupted run keeps no -w file: pipeline_close drops it. */
	if (!interrupted && pipeline_save_end(&p, "ftpstall analyze") != 0)
		status = EXIT_STATUS_USAGE;
	if (log->format != FST_REPORT_TEXT) {
		rc = EXIT_STATUS_OK;
		if (session_log_finish(log) != 0) {
			fprintf(stderr, "ftpstall analyze: %s: writing the report failed\n",
				opts.output ? opts.output : "standard output");
			rc = EXIT_STATUS_USAGE;
		}
	} else {
		rc = write_report(&p, &opts, interrupted, &report);
	}
	if (status == EXIT_STATUS_OK)
		status = rc;
	if (fst_capture_warnings(p.cap)[0])
		fprintf(stderr, "ftpstall analyze: warning: %s", fst_capture_warnings(p.cap));
	if (status == EXIT_STATUS_OK && opts.incidents_pcap && !interrupted)
		status = write_incidents(&incidents, opts.incidents_pcap, argv + optind,
					 argc - optind, p.analysis, opts.keep_passwords);
	/* A signal while writing counts too. The files are renamed into
	 * place only here: none when interrupted, the report alone with
	 * --partial. */
	if (!p.live && runtime_stop_requested) {
		if (status == EXIT_STATUS_OK || status == EXIT_STATUS_INTERRUPTED) {
			status = EXIT_STATUS_INTERRUPTED;
			if (opts.partial && commit(&report) != EXIT_STATUS_OK)
				status = EXIT_STATUS_USAGE;
		}
		if (opts.partial && opts.incidents_pcap)
			fprintf(stderr, "ftpstall analyze: interrupted; %s not written\n",
				opts.incidents_pcap);
		goto out_close;
	}
	if (status == EXIT_STATUS_OK && commit(&report) != EXIT_STATUS_OK)
		status = EXIT_STATUS_USAGE;
	if (status == EXIT_STATUS_OK && commit(&incidents) != EXIT_STATUS_OK)
		status = EXIT_STATUS_USAGE;
	if (status == EXIT_STATUS_OK && opts.exit_code)
		status = findings_status(&p);

out_close:
	fst_metrics_free(live.metrics);
	output_abort(&report);
	output_abort(&incidents);
	if (status == EXIT_STATUS_INTERRUPTED)
		fprintf(stderr, "ftpstall analyze: interrupted\n");
	pipeline_close(&p);
	return status;
}
