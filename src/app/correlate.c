/* `ftpstall correlate`: two captures of the same traffic at two points of
 * its path, read together (merged by time) through a pipeline each and
 * the correlation, and one report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "ftpstall/correlate.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "runtime.h"

#define CORRELATE_MAX_FILES 1024

struct correlate_opts {
	char *files[FST_POINT_COUNT][CORRELATE_MAX_FILES];
	int file_count[FST_POINT_COUNT];
	enum fst_report_format format;
	const char *output;
	bool exit_code;
	int64_t window_us;
};

void usage_correlate(FILE *out)
{
	fprintf(out,
		"usage: ftpstall correlate [options] A B\n"
		"       ftpstall correlate [options] -a FILE... -b FILE...\n\n"
		"Reads two captures of the same traffic taken at two points of its path\n"
		"(say the client's interface and the server's, with a NAT router between)\n"
		"and lines them up: the TCP connections are matched across the points,\n"
		"also through NAT; the clock offset and the one-way delays are estimated;\n"
		"and for each session the report lists the segments lost, injected or\n"
		"rewritten between the points, with a combined verdict and its proof.\n\n"
		"Options:\n"
		"  -a FILE...               the capture files of point A (a rotated set);\n"
		"                           every argument up to the next option\n"
		"  -b FILE...               the same for point B\n"
		"  -f, --format FORMAT      text (default), json, jsonl, md or html\n"
		"  -o, --output FILE        write the report to FILE (as analyze -o)\n"
		"      --window SECONDS     how long a packet waits for its copy at the\n"
		"                           other point (default %d); it bounds the clock\n"
		"                           skew and the memory held\n"
		"      --exit-code          exit 1 when an incident was found, 4 when\n"
		"                           the inputs held no FTP session, else 0\n"
		"  -h, --help               show this help\n\n"
		"Exit status: 0 success, 1 incidents found (with --exit-code only), 2\n"
		"usage error, unreadable input, inputs that share no TCP connection, or\n"
		"a report that cannot be written, 4 no FTP session (with --exit-code\n"
		"only), 130 interrupted by Ctrl-C (SIGINT) or SIGTERM.\n",
		(int)(FST_CORRELATE_DEFAULT_WINDOW_US / FST_US_PER_SEC));
}

static bool add_file(struct correlate_opts *o, enum fst_point p, char *file)
{
	if (o->file_count[p] == CORRELATE_MAX_FILES) {
		fprintf(stderr, "ftpstall correlate: more than %d files for point %s\n",
			CORRELATE_MAX_FILES, fst_point_name(p));
		return false;
	}
	if (strcmp(file, "-") == 0) {
		fprintf(stderr,
			"ftpstall correlate: %s: standard input cannot be one of two points\n",
			file);
		return false;
	}
	o->files[p][o->file_count[p]++] = file;
	return true;
}

/* The value of option argv[*i], which needs one. */
static const char *value_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "ftpstall correlate: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Returns 0, 1 (help shown) or -1 (usage error, said). */
static int parse_options(int argc, char **argv, struct correlate_opts *o)
{
	int positional = 0;
	int collecting = -1; /* -a or -b: the point its files go to */

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;

		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (collecting >= 0) {
				if (!add_file(o, (enum fst_point)collecting, argv[i]))
					return -1;
				continue;
			}
			if (positional == FST_POINT_COUNT) {
				fprintf(stderr,
					"ftpstall correlate: %s: only two capture points (A B)\n",
					arg);
				return -1;
			}
			if (!add_file(o, (enum fst_point)positional++, argv[i]))
				return -1;
			continue;
		}
		collecting = -1;
		if (strcmp(arg, "-a") == 0 || strcmp(arg, "-b") == 0) {
			collecting = arg[1] == 'a' ? FST_POINT_A : FST_POINT_B;
		} else if (strcmp(arg, "-f") == 0 || strcmp(arg, "--format") == 0) {
			value = value_of(argc, argv, &i);
			if (!value)
				return -1;
			/* ecs and zeek are logs of one capture point's sessions. */
			if (!fst_report_format_parse(value, &o->format) ||
			    o->format == FST_REPORT_ECS || o->format == FST_REPORT_ZEEK) {
				fprintf(stderr,
					"ftpstall correlate: %s: unknown format '%s' (text, json, "
					"jsonl, md or html)\n",
					arg, value);
				return -1;
			}
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
			value = value_of(argc, argv, &i);
			if (!value)
				return -1;
			o->output = value;
		} else if (strcmp(arg, "--window") == 0) {
			value = value_of(argc, argv, &i);
			if (!value)
				return -1;
			if (!parse_seconds(value, 0.001, 3600, &o->window_us)) {
				fprintf(stderr,
					"ftpstall correlate: --window: '%s' is not 0.001..3600 seconds\n",
					value);
				return -1;
			}
		} else if (strcmp(arg, "--exit-code") == 0) {
			o->exit_code = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage_correlate(stdout);
			return 1;
		} else {
			fprintf(stderr,
				"ftpstall correlate: unknown option %s (see 'ftpstall help correlate')\n",
				arg);
			return -1;
		}
	}
	if (o->file_count[FST_POINT_A] == 0 || o->file_count[FST_POINT_B] == 0) {
		fprintf(stderr,
			"ftpstall correlate: needs a capture of each point: A B, or -a FILE... -b FILE...\n");
		return -1;
	}
	return 0;
}

/* The first packets of each point read to find the clock offset before
 * the real pass: captures started together hold the same traffic first,
 * whatever their clocks say. */
#define CORRELATE_PROBE_PACKETS 20000

/* The offset (B minus A) the first CORRELATE_PROBE_PACKETS of each point
 * give, read alternately and matched without a time limit; 0 when none
 * matched (captures that began apart: the merge then starts from 0 and
 * finds it within the window). Returns -1 when an input cannot be
 * opened (said). */
static int probe_offset(const struct correlate_opts *o, int64_t *offset_us)
{
	struct fst_correlate_cfg cfg = {
		.window_us = FST_TS_LIMIT_US,
		.max_pending = CORRELATE_PROBE_PACKETS,
		.max_conns = CORRELATE_PROBE_PACKETS,
	};
	struct fst_capture *cap[FST_POINT_COUNT] = { NULL, NULL };
	struct fst_correlate *c = fst_correlate_new(&cfg);
	char errbuf[FST_ERRBUF_SIZE];
	int rc = -1;

	*offset_us = 0;
	if (!c) {
		fprintf(stderr, "ftpstall correlate: out of memory\n");
		return -1;
	}
	for (int pt = 0; pt < FST_POINT_COUNT; pt++) {
		cap[pt] = fst_capture_open_files((const char *const *)o->files[pt],
						 (size_t)o->file_count[pt], errbuf);
		if (!cap[pt]) {
			fprintf(stderr, "ftpstall correlate: %s\n", errbuf);
			goto out_free;
		}
	}
	for (int n = 0; n < CORRELATE_PROBE_PACKETS; n++) {
		bool any = false;

		for (int pt = 0; pt < FST_POINT_COUNT; pt++) {
			struct fst_packet pkt;

			if (fst_capture_next(cap[pt], &pkt) > 0) {
				fst_correlate_input(c, (enum fst_point)pt, &pkt);
				any = true;
			}
		}
		if (!any)
			break;
	}
	fst_correlate_first_offset(c, offset_us);
	rc = 0;
out_free:
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		fst_capture_free(cap[pt]);
	fst_correlate_free(c);
	return rc;
}

/* Reads both points merged by time (on A's clock as the correlation
 * knows it) into their pipelines and the correlation. Returns false when
 * a signal stopped it. */
static bool pump_both(struct pipeline p[FST_POINT_COUNT], struct fst_correlate *c)
{
	struct fst_packet pkt[FST_POINT_COUNT];
	bool have[FST_POINT_COUNT] = { false, false }, done[FST_POINT_COUNT] = { false, false };

	for (uint64_t n = 0;; n++) {
		enum fst_point next;

		if ((n & 4095) == 0 && runtime_stop_requested)
			return false;
		for (int pt = 0; pt < FST_POINT_COUNT; pt++) {
			if (have[pt] || done[pt])
				continue;
			if (fst_capture_next(p[pt].cap, &pkt[pt]) > 0)
				have[pt] = true;
			else
				done[pt] = true;
		}
		if (!have[FST_POINT_A] && !have[FST_POINT_B])
			return true;
		if (!have[FST_POINT_A])
			next = FST_POINT_B;
		else if (!have[FST_POINT_B])
			next = FST_POINT_A;
		else
			next = fst_correlate_align_us(c, FST_POINT_B, pkt[FST_POINT_B].ts_us) <
					       pkt[FST_POINT_A].ts_us ?
				       FST_POINT_B :
				       FST_POINT_A;
		if (pkt[next].ts_us > p[next].now_us)
			p[next].now_us = pkt[next].ts_us;
		fst_tcp_input(p[next].tcp, &pkt[next]);
		fst_correlate_input(c, next, &pkt[next]);
		have[next] = false;
	}
}

static int write_report(const struct correlate_opts *o, struct pipeline p[FST_POINT_COUNT],
			struct fst_correlate *c, struct output *out)
{
	const char *inputs[2 * CORRELATE_MAX_FILES];
	struct fst_correlate_report in = {
		.version = FTPSTALL_VERSION,
		.source = { fst_capture_source_name(p[FST_POINT_A].cap),
			    fst_capture_source_name(p[FST_POINT_B].cap) },
		.corr = c,
	};
	char errbuf[FST_ERRBUF_SIZE];
	size_t count = 0;
	FILE *f = stdout;

	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		for (int i = 0; i < o->file_count[pt]; i++)
			inputs[count++] = o->files[pt][i];
	if (o->output) {
		f = output_open(out, o->output, inputs, count, errbuf);
		if (!f) {
			fprintf(stderr, "ftpstall correlate: %s\n", errbuf);
			memset(out, 0, sizeof(*out));
			return EXIT_STATUS_USAGE;
		}
	}
	if (fst_correlate_write(f, o->format, &in) != FST_OK || fflush(f) != 0 || ferror(f)) {
		fprintf(stderr, "ftpstall correlate: %s: writing the report failed\n",
			o->output ? o->output : "standard output");
		return EXIT_STATUS_USAGE;
	}
	if (o->output) {
		int rc = output_commit(out, false, errbuf);

		memset(out, 0, sizeof(*out));
		if (rc != FST_OK) {
			fprintf(stderr, "ftpstall correlate: %s\n", errbuf);
			return EXIT_STATUS_USAGE;
		}
	}
	return EXIT_STATUS_OK;
}

static int findings_status(const struct fst_correlate *c)
{
	size_t n = fst_correlate_session_count(c);

	if (n == 0)
		return EXIT_STATUS_NO_FTP;
	for (size_t i = 0; i < n; i++)
		if (fst_verdict_is_incident(fst_correlate_session_at(c, i)->verdict))
			return EXIT_STATUS_FINDINGS;
	return EXIT_STATUS_OK;
}

int cmd_correlate(int argc, char **argv)
{
	struct correlate_opts *o = calloc(1, sizeof(*o));
	struct pipeline_opts popts[FST_POINT_COUNT];
	struct pipeline p[FST_POINT_COUNT];
	struct output report = { 0 };
	struct fst_correlate *c = NULL;
	int status = EXIT_STATUS_USAGE, opened = 0, rc;
	int64_t offset_us;

	if (!o) {
		fprintf(stderr, "ftpstall correlate: out of memory\n");
		return EXIT_STATUS_USAGE;
	}
	rc = parse_options(argc, argv, o);
	if (rc != 0) {
		status = rc > 0 ? EXIT_STATUS_OK : EXIT_STATUS_USAGE;
		goto out_free_opts;
	}
	runtime_catch_signals();
	if (probe_offset(o, &offset_us) != 0)
		goto out_free_opts;
	for (; opened < FST_POINT_COUNT; opened++) {
		options_pipeline_init(&popts[opened]);
		if (pipeline_open(&p[opened], &popts[opened], o->files[opened],
				  o->file_count[opened], "ftpstall correlate") != 0)
			goto out_close;
	}
	c = fst_correlate_new(&(struct fst_correlate_cfg){ .window_us = o->window_us,
							   .initial_offset_us = offset_us });
	if (!c) {
		fprintf(stderr, "ftpstall correlate: out of memory\n");
		goto out_close;
	}
	if (!pump_both(p, c)) {
		status = EXIT_STATUS_INTERRUPTED;
		fprintf(stderr, "ftpstall correlate: interrupted\n");
		goto out_close;
	}
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		pipeline_finish(&p[pt]);
	fst_correlate_finish(c);
	if (fst_correlate_shared(c) == 0) {
		fprintf(stderr,
			"ftpstall correlate: %s and %s share no TCP connection (within a --window of "
			"%.0f s)\n",
			fst_capture_source_name(p[FST_POINT_A].cap),
			fst_capture_source_name(p[FST_POINT_B].cap),
			fst_seconds(o->window_us ? o->window_us : FST_CORRELATE_DEFAULT_WINDOW_US));
		goto out_close;
	}
	if (fst_correlate_sessions(c, p[FST_POINT_A].analysis, p[FST_POINT_B].analysis) != FST_OK) {
		fprintf(stderr, "ftpstall correlate: out of memory\n");
		goto out_close;
	}
	status = write_report(o, p, c, &report);
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		if (fst_capture_warnings(p[pt].cap)[0])
			fprintf(stderr, "ftpstall correlate: warning: %s",
				fst_capture_warnings(p[pt].cap));
	if (status == EXIT_STATUS_OK && o->exit_code)
		status = findings_status(c);

out_close:
	output_abort(&report);
	fst_correlate_free(c);
	while (opened-- > 0)
		pipeline_close(&p[opened]);
out_free_opts:
	free(o);
	return status;
}
