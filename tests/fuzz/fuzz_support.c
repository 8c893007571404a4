/* Helpers shared by the fuzz harnesses; see fuzz_support.h. */
#include "fuzz_support.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const uint8_t fuzz_empty_payload[1];

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz invariant broken: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Accepts and drops everything: a stream on /dev/null without a system
 * call per flush (the event stream flushes every line). */
static ssize_t discard(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)size;
}

FILE *fuzz_sink(void)
{
	static FILE *sink;
	static const cookie_io_functions_t io = { .write = discard };

	if (!sink) {
		sink = fopencookie(NULL, "w", io);
		if (!sink)
			fuzz_fail(__FILE__, __LINE__, "cannot open the sink");
	}
	return sink;
}

void fuzz_write_reports(const struct fst_report_input *in)
{
	struct fst_report_input copy = *in;
	FILE *out = fuzz_sink();

	for (int f = 0; f < FST_REPORT_FORMAT_COUNT; f++) {
		int rc = fst_report_write(out, (enum fst_report_format)f, &copy);

		FUZZ_CHECK(rc == FST_OK, "report format %d returned %d", f, rc);
	}
	copy.color = !copy.color;
	FUZZ_CHECK(fst_report_write(out, FST_REPORT_TEXT, &copy) == FST_OK, "text report");
}

static void stream_both(const struct fst_stream_line *line)
{
	fst_report_stream_line(fuzz_sink(), false, line);
	fst_report_stream_line(fuzz_sink(), true, line);
}

void fuzz_stream_result(const struct fst_session_result *r, int64_t now_us)
{
	const struct fst_ftp_session *s = r->session;
	struct fst_stream_line line = { .ts_us = now_us, .result = r };

	line.event = FST_STREAM_OPEN;
	stream_both(&line);
	line.event = FST_STREAM_IDLE;
	line.idle_s = fst_analysis_idle_s(r, now_us);
	line.waiting_on = s->turn.side == FST_SIDE_CLIENT ? FST_WAIT_CLIENT : FST_WAIT_SERVER;
	stream_both(&line);
	line.event = FST_STREAM_CLOSE;
	stream_both(&line);
	line.event = FST_STREAM_VERDICT;
	stream_both(&line);
	if (s->command_count) {
		line.event = FST_STREAM_COMMAND;
		line.command = &s->commands[s->command_count - 1];
		stream_both(&line);
	}
	if (s->reply_count) {
		line.event = FST_STREAM_REPLY;
		line.reply = &s->replies[s->reply_count - 1];
		stream_both(&line);
	}
}

/* A fixed-size text field must hold a NUL. */
#define CHECK_TERMINATED(field) \
	FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL, "%s not terminated", #field)

/* A text pointer is never NULL and holds at most its cap. */
#define CHECK_TEXT(field, max)                                                                    \
	FUZZ_CHECK((field) != NULL && strlen(field) <= (max), "%s NULL or over %d bytes", #field, \
		   (int)(max))

/* Reads a gap the way the views do; checks what holds of any gap. */
static void check_gap(const struct fst_gap *g)
{
	FUZZ_CHECK(g->end_us >= g->start_us, "gap ends before it starts");
	FUZZ_CHECK(g->channel == FST_CHANNEL_CONTROL || g->channel == FST_CHANNEL_DATA,
		   "gap channel %d", (int)g->channel);
	FUZZ_CHECK((unsigned)g->waiting_on < FST_WAIT_COUNT, "gap waiting_on %d",
		   (int)g->waiting_on);
	FUZZ_CHECK(g->channel == FST_CHANNEL_DATA || g->transfer_id == 0,
		   "control gap with transfer %llu", (unsigned long long)g->transfer_id);
}

/* Everything a live view reads of a result at any moment: its gaps, the
 * decisive one through the accessor views use, the close and the texts. */
static void check_live_result(const struct fst_session_result *r, size_t max_gaps)
{
	const struct fst_gap *decisive = fst_session_decisive_gap(r);

	FUZZ_CHECK(r->session != NULL, "result without a session");
	FUZZ_CHECK(r->gap_count <= max_gaps, "gap_count %zu > cap %zu", r->gap_count, max_gaps);
	FUZZ_CHECK(r->gap_count == 0 || r->gaps, "%zu gaps, no array", r->gap_count);
	FUZZ_CHECK(r->decisive_gap_index == FST_NO_GAP || r->decisive_gap_index < r->gap_count,
		   "decisive gap %zu outside gaps[%zu]", r->decisive_gap_index, r->gap_count);
	FUZZ_CHECK(!decisive || decisive == &r->gaps[r->decisive_gap_index],
		   "decisive gap accessor disagrees with the index");
	for (size_t i = 0; i < r->gap_count; i++)
		check_gap(&r->gaps[i]);
	if (decisive)
		check_gap(decisive);
	FUZZ_CHECK((unsigned)r->verdict_state <= FST_VERDICT_FINAL, "verdict state %d",
		   (int)r->verdict_state);
	FUZZ_CHECK((unsigned)r->verdict < FST_VERDICT_COUNT, "verdict %d", (int)r->verdict);
	FUZZ_CHECK((unsigned)r->stalled_side < FST_STALLED_COUNT, "stalled side %d",
		   (int)r->stalled_side);
	FUZZ_CHECK((unsigned)r->close.by < FST_CLOSE_BY_COUNT, "close by %d", (int)r->close.by);
	{
		char words[FST_WORDS_MAX];
		size_t len = fst_words_summary(r, words, sizeof(words));

		FUZZ_CHECK(len < sizeof(words) && strlen(words) == len, "summary %zu bytes", len);
		len = fst_words_recommendation(r, words, sizeof(words));
		FUZZ_CHECK(len < sizeof(words) && strlen(words) == len, "advice %zu bytes", len);
	}
	CHECK_TEXT(r->close.reply_text, FST_FTP_TEXT_MAX);
	CHECK_TERMINATED(r->close.client_write_command);
	if (r->profile)
		FUZZ_CHECK(r->profile->software && strlen(r->profile->software) > 0,
			   "profile without a name");
}

void fuzz_on_update(void *ctx, const struct fst_session_result *r, enum fst_analysis_update update)
{
	const size_t *max_gaps = ctx;
	struct fst_stream_line line = { .result = r };

	FUZZ_CHECK(r && r->session, "update without a result or session");
	check_live_result(r, max_gaps ? *max_gaps : SIZE_MAX);
	switch (update) {
	case FST_UPDATE_SESSION_OPEN:
		line.event = FST_STREAM_OPEN;
		line.ts_us = r->session->start_us;
		stream_both(&line);
		break;
	case FST_UPDATE_GAP:
		FUZZ_CHECK(r->gap_count > 0, "GAP update without a gap");
		/* watch's idle line at the moment the newest gap ended. */
		line.event = FST_STREAM_IDLE;
		line.ts_us = r->gaps[r->gap_count - 1].end_us;
		line.idle_s = fst_analysis_idle_s(r, line.ts_us);
		line.waiting_on = r->gaps[r->gap_count - 1].waiting_on;
		stream_both(&line);
		break;
	case FST_UPDATE_VERDICT:
		FUZZ_CHECK(r->verdict_state != FST_VERDICT_PENDING, "VERDICT update while pending");
		line.event = FST_STREAM_CLOSE;
		line.ts_us = r->close.ts_us;
		stream_both(&line);
		line.event = FST_STREAM_VERDICT;
		stream_both(&line);
		break;
	case FST_UPDATE_COUNT:
		fuzz_fail(__FILE__, __LINE__, "update kind COUNT");
	}
}

static void check_session(const struct fst_ftp_session *s)
{
	FUZZ_CHECK((unsigned)s->state < FST_FTP_STATE_COUNT, "state %d", (int)s->state);
	CHECK_TEXT(s->banner, FST_FTP_TEXT_MAX);
	CHECK_TEXT(s->syst, FST_FTP_TEXT_MAX);
	CHECK_TEXT(s->user_name, FST_FTP_ARG_MAX);
	CHECK_TEXT(s->type, FST_FTP_ARG_MAX);
	CHECK_TEXT(s->cwd, FST_FTP_ARG_MAX);
	CHECK_TEXT(s->features, FST_FTP_TEXT_MAX);
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *c = &s->commands[i];

		const char *reply = fst_ftp_command_reply_text(s, c);

		CHECK_TEXT(c->cmd.verb_text, FST_FTP_VERB_TEXT_MAX);
		CHECK_TEXT(c->cmd.arg, FST_FTP_ARG_MAX);
		FUZZ_CHECK(reply && strlen(reply) <= FST_FTP_TEXT_MAX, "command reply text");
		FUZZ_CHECK(c->reply_index == SIZE_MAX || c->reply_index < s->reply_count,
			   "reply_index %zu of %zu replies", c->reply_index, s->reply_count);
		FUZZ_CHECK(c->cmd.verb != FST_VERB_PASS ||
				   strcmp(c->cmd.arg, FST_FTP_REDACTED) == 0,
			   "a PASS argument was kept: '%s'", c->cmd.arg);
	}
	for (size_t i = 0; i < s->reply_count; i++) {
		CHECK_TEXT(s->replies[i].text, FST_FTP_TEXT_MAX);
		FUZZ_CHECK(s->replies[i].code >= 100 && s->replies[i].code <= 599, "reply code %d",
			   s->replies[i].code);
	}
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		CHECK_TEXT(t->file, FST_FTP_ARG_MAX);
		FUZZ_CHECK(t->gap_bytes <= t->bytes, "transfer gap bytes %llu > bytes %llu",
			   (unsigned long long)t->gap_bytes, (unsigned long long)t->bytes);
		FUZZ_CHECK((unsigned)t->outcome < FST_OUTCOME_COUNT, "outcome %d", (int)t->outcome);
	}
}

static void check_estimates(struct fst_analysis *an)
{
	size_t results = 0, servers = 0;

	for (struct fst_session_result *r = fst_analysis_results(an); r; r = r->next)
		results++;
	for (const struct fst_server_estimate *e = fst_analysis_servers(an); e; e = e->next) {
		servers++;
		FUZZ_CHECK(e->addr.family == 4 || e->addr.family == 6, "estimate family %u",
			   e->addr.family);
		FUZZ_CHECK(!e->software || strlen(e->software) < 4096, "estimate software");
		FUZZ_CHECK(e->observations || e->idle_timeout_s == -1,
			   "idle timeout %g from no observation", e->idle_timeout_s);
		FUZZ_CHECK(e->data_observations || e->data_timeout_s == -1,
			   "data timeout %g from no observation", e->data_timeout_s);
		FUZZ_CHECK(!(e->spread_s < 0), "negative spread %g", e->spread_s);
	}
	FUZZ_CHECK(servers <= results, "%zu server estimates from %zu sessions", servers, results);
}

void fuzz_check_results(struct fst_analysis *an, size_t max_gaps)
{
	for (struct fst_session_result *r = fst_analysis_results(an); r; r = r->next) {
		check_live_result(r, max_gaps);
		check_session(r->session);
		FUZZ_CHECK(r->verdict_state == FST_VERDICT_FINAL,
			   "verdict not final after the end of input");
	}
	check_estimates(an);
}

void fuzz_checkpoint(const struct fst_report_input *in, int64_t now_us, size_t max_gaps)
{
	fst_analysis_finish(in->analysis);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		check_live_result(r, max_gaps);
		check_session(r->session);
	}
	check_estimates(in->analysis);
	fuzz_write_reports(in);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		fuzz_stream_result(r, now_us);
}
