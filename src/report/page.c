/* What the HTML and Markdown pages share beyond the text report's
 * account: the overview at their top (counts by verdict in plain words,
 * the incidents grouped by verdict and server), the capture's quality in
 * sentences, and the ladder of an incident's last seconds. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The verdicts in plain words, for readers who do not know the terms. */
static const char *const verdict_words[] = {
	[FST_VERDICT_IDLE_TIMEOUT] = "the server closed an idle session",
	[FST_VERDICT_DATA_TIMEOUT] = "a transfer stalled and was cut off",
	[FST_VERDICT_SERVER_UNRESPONSIVE] = "the server stopped answering",
	[FST_VERDICT_MIDDLEBOX_RESET] = "a firewall or NAT reset the connection",
	[FST_VERDICT_MIDDLEBOX_DROP] = "a firewall or NAT silently dropped the connection",
	[FST_VERDICT_CLIENT_ABORT] = "the client gave up",
	[FST_VERDICT_CLEAN] = "ended normally",
	[FST_VERDICT_INCOMPLETE] = "still open when the capture ended",
	[FST_VERDICT_UNKNOWN] = "the capture cannot tell what happened",
	[FST_VERDICT_LOGIN_FAILED] = "the login was refused",
	[FST_VERDICT_DATA_CONNECTION_FAILED] = "the data connection could not be opened",
};
_Static_assert(sizeof(verdict_words) / sizeof(verdict_words[0]) == FST_VERDICT_COUNT,
	       "words for every verdict");

const char *report_verdict_words(enum fst_verdict v)
{
	return (unsigned)v < FST_VERDICT_COUNT ? verdict_words[v] : "?";
}

static const char *const wait_words[] = {
	[FST_WAIT_NONE] = "quiet",
	[FST_WAIT_CLIENT] = "client idle",
	[FST_WAIT_SERVER] = "waiting on server",
	[FST_WAIT_RECEIVER] = "zero window",
	[FST_WAIT_NETWORK] = "retransmitting",
	[FST_WAIT_CAPTURE] = "capture lost bytes",
};
_Static_assert(sizeof(wait_words) / sizeof(wait_words[0]) == FST_WAIT_COUNT,
	       "words for every wait");

const char *report_wait_words(enum fst_wait wait)
{
	return (unsigned)wait < FST_WAIT_COUNT ? wait_words[wait] : "?";
}

bool report_same_group(const struct fst_session_result *a, const struct fst_session_result *b)
{
	return a->verdict == b->verdict &&
	       fst_addr_equal(&a->session->server_addr, &b->session->server_addr) &&
	       a->session->server_port == b->session->server_port;
}

size_t report_group_size(const struct report_overview *o, size_t first, char *server, size_t size)
{
	const struct fst_session_result *r = o->incident_order[first];
	size_t group = 1;

	while (first + group < o->incident_count &&
	       report_same_group(r, o->incident_order[first + group]))
		group++;
	fst_endpoint_format(&r->session->server_addr, r->session->server_port, server, size);
	return group;
}

/* qsort's context: the counts that order the groups. */
struct order_key {
	const struct fst_session_result *r;
	unsigned verdict_count;
};

static int compare_incidents(const void *pa, const void *pb)
{
	const struct order_key *a = pa, *b = pb;
	const struct fst_ftp_session *sa = a->r->session, *sb = b->r->session;
	int addr;

	if (a->verdict_count != b->verdict_count)
		return a->verdict_count > b->verdict_count ? -1 : 1;
	if (a->r->verdict != b->r->verdict)
		return a->r->verdict < b->r->verdict ? -1 : 1;
	if (sa->server_addr.family != sb->server_addr.family)
		return sa->server_addr.family < sb->server_addr.family ? -1 : 1;
	addr = memcmp(sa->server_addr.bytes, sb->server_addr.bytes, sizeof(sa->server_addr.bytes));
	if (addr)
		return addr;
	if (sa->server_port != sb->server_port)
		return sa->server_port < sb->server_port ? -1 : 1;
	return sa->id < sb->id ? -1 : sa->id > sb->id;
}

bool report_overview_make(struct report_overview *o, const struct fst_report_input *in)
{
	struct order_key *keys;
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		o->sessions++;
		o->counts[r->verdict]++;
		if (fst_verdict_is_incident(r->verdict))
			o->incidents++;
	}
	if (!o->incidents)
		return true;
	keys = calloc(o->incidents, sizeof(*keys));
	o->incident_order = calloc(o->incidents, sizeof(*o->incident_order));
	if (!keys || !o->incident_order) {
		free(keys);
		free(o->incident_order);
		o->incident_order = NULL;
		return false;
	}
	for (struct fst_session_result *r = fst_analysis_results(in->analysis);
	     r && n < o->incidents; r = r->next)
		if (fst_verdict_is_incident(r->verdict)) {
			keys[n].r = r;
			keys[n++].verdict_count = o->counts[r->verdict];
		}
	qsort(keys, n, sizeof(*keys), compare_incidents);
	for (size_t i = 0; i < n; i++)
		o->incident_order[i] = keys[i].r;
	o->incident_count = n;
	free(keys);
	return true;
}

void report_overview_free(struct report_overview *o)
{
	free(o->incident_order);
	o->incident_order = NULL;
	o->incident_count = 0;
}

/* Formats one sentence and hands it to emit. */
static void sentence(report_line_fn emit, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sentence(report_line_fn emit, void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(ctx, line);
}

static const char *plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void report_quality(const struct fst_report_input *in, report_line_fn emit, void *ctx)
{
	const struct fst_capture_stats *cs = in->capture;
	const struct fst_tcp_stats *ts = in->tcp;
	unsigned noted[FST_NOTE_COUNT] = { 0 }, keepalive_sessions = 0;
	double keepalive_min_s = -1;
	unsigned long long twice = ts->duplicates + cs->repeated_frames, malformed = 0;
	bool said = false;

	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		for (int note = 0; note < FST_NOTE_COUNT; note++)
			if (r->capture_notes & FST_NOTE_BIT(note))
				noted[note]++;
		if (r->keepalive.sender != FST_SIDE_NONE) {
			keepalive_sessions++;
			if (r->keepalive.interval_s >= 0 &&
			    (keepalive_min_s < 0 || r->keepalive.interval_s < keepalive_min_s))
				keepalive_min_s = r->keepalive.interval_s;
		}
	}
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		malformed += cs->malformed[r];
	if (ts->gaps) {
		sentence(emit, ctx,
			 "Capture loss: the capture lost %llu bytes in %llu place%s (%u session%s "
			 "affected); no side is blamed for a silence that lost bytes.",
			 (unsigned long long)ts->gap_bytes, (unsigned long long)ts->gaps,
			 plural(ts->gaps, "", "s"), noted[FST_NOTE_CAPTURE_LOSS],
			 plural(noted[FST_NOTE_CAPTURE_LOSS], "", "s"));
		said = true;
	}
	if (cs->kernel_dropped || cs->interface_dropped) {
		sentence(emit, ctx,
			 "Kernel drops: the capturing machine dropped %llu packet%s (%llu more at "
			 "the interface); %u session%s ran meanwhile.",
			 (unsigned long long)cs->kernel_dropped,
			 plural(cs->kernel_dropped, "", "s"),
			 (unsigned long long)cs->interface_dropped, noted[FST_NOTE_KERNEL_DROPS],
			 plural(noted[FST_NOTE_KERNEL_DROPS], "", "s"));
		said = true;
	}
	if (twice) {
		sentence(emit, ctx,
			 "Duplicates removed: %llu packet%s captured twice; the copies were "
			 "dropped (they are not retransmissions).",
			 twice, plural(twice, " was", "s were"));
		said = true;
	}
	if (noted[FST_NOTE_ONE_SIDED]) {
		sentence(emit, ctx,
			 "One-sided: %u session%s captured in one direction only; one side's "
			 "silence cannot be told from the capture's.",
			 noted[FST_NOTE_ONE_SIDED],
			 plural(noted[FST_NOTE_ONE_SIDED], " was", "s were"));
		said = true;
	}
	if (noted[FST_NOTE_DATA_CONNECTIONS_MISSING]) {
		sentence(
			emit, ctx,
			"Data connections missing: %u session%s transferred files whose data "
			"connections are not in the capture (capture `host SERVER`, not `port 21`).",
			noted[FST_NOTE_DATA_CONNECTIONS_MISSING],
			plural(noted[FST_NOTE_DATA_CONNECTIONS_MISSING], "", "s"));
		said = true;
	}
	if (noted[FST_NOTE_MID_STREAM]) {
		sentence(emit, ctx, "Mid-session start: the capture began after %u session%s did.",
			 noted[FST_NOTE_MID_STREAM], plural(noted[FST_NOTE_MID_STREAM], "", "s"));
		said = true;
	}
	if (cs->time_went_back)
		sentence(emit, ctx,
			 "Timestamps: %llu went backwards and were clamped (merged captures?).",
			 (unsigned long long)cs->time_went_back);
	if (malformed || cs->truncated_frames)
		sentence(emit, ctx,
			 "Damaged frames: %llu malformed, %llu cut short by the snapshot length.",
			 malformed, (unsigned long long)cs->truncated_frames);
	if (ts->flows_evicted || fst_analysis_sessions_evicted(in->analysis))
		sentence(emit, ctx,
			 "Caps: %llu TCP flows evicted, %llu old sessions left out (see the "
			 "capture statistics).",
			 (unsigned long long)ts->flows_evicted,
			 (unsigned long long)fst_analysis_sessions_evicted(in->analysis));
	if (keepalive_sessions) {
		char interval[64] = "";

		if (keepalive_min_s >= 0)
			snprintf(interval, sizeof(interval), ", every %.1f s at the shortest",
				 keepalive_min_s);
		sentence(emit, ctx,
			 "TCP keepalives: %u session%s sent keep-alive probes on the control "
			 "connection%s (they keep a firewall or NAT from forgetting it).",
			 keepalive_sessions, plural(keepalive_sessions, "", "s"), interval);
	}
	if (ts->retransmissions)
		sentence(emit, ctx,
			 "Retransmissions: %llu (the network, not the capture, lost those "
			 "packets once).",
			 (unsigned long long)ts->retransmissions);
	if (!said)
		sentence(emit, ctx,
			 "The capture is whole: no bytes lost, no kernel drops, no duplicates, "
			 "both directions of every session.");
}

/* The column of a side (client 0, server last). */
static size_t column_of(const struct report_ladder *l, enum fst_side side)
{
	return side == FST_SIDE_CLIENT ? 0 : l->column_count - 1;
}

/* The control connection's gap that began with prev and ended by ev:
 * the decisive one, or another the analysis recorded; NULL if none. */
static const struct fst_gap *gap_between(const struct fst_session_result *r,
					 const struct report_event *prev,
					 const struct report_event *ev)
{
	const struct fst_gap *decisive = fst_session_decisive_gap(r);
	int64_t between = ev->ts_us - prev->ts_us;

	/* It began with prev and takes most of the time until ev: its end
	 * may come a little before ev (the last activity of the other
	 * channel, or of the capture), but a gap of the control connection
	 * that a data connection's first bytes interrupt is not this one. */
	if (decisive && decisive->start_us >= prev->ts_us && decisive->start_us < ev->ts_us &&
	    2 * (decisive->end_us - decisive->start_us) >= between &&
	    2 * between >= decisive->end_us - decisive->start_us)
		return decisive;
	for (size_t i = 0; i < r->gap_count; i++) {
		const struct fst_gap *g = &r->gaps[i];

		if (g->channel == FST_CHANNEL_CONTROL && g->start_us >= prev->ts_us &&
		    g->start_us < ev->ts_us && 2 * between >= g->end_us - g->start_us)
			return g;
	}
	return NULL;
}

/* The silence that ended at ev, in words, when it is worth a break. */
static void idle_words(const struct fst_session_result *r, const struct report_event *prev,
		       const struct report_event *ev, struct report_ladder_step *step)
{
	const struct fst_gap *g = gap_between(r, prev, ev);
	double idle = report_seconds(prev->ts_us, ev->ts_us);

	step->idle_before_s = idle;
	if (g) {
		snprintf(step->idle_words, sizeof(step->idle_words), "%s%s%s %.1f s",
			 g->channel == FST_CHANNEL_DATA ? "data connection: " : "",
			 report_wait_words(g->waiting_on),
			 g->waiting_on == FST_WAIT_CAPTURE ? "," : "",
			 report_seconds(g->start_us, g->end_us));
		step->decisive_break = g == fst_session_decisive_gap(r);
		return;
	}
	if (idle >= 1.0)
		snprintf(step->idle_words, sizeof(step->idle_words), "%.1f s later", idle);
}

void report_ladder_make(struct report_ladder *l, const struct fst_session_result *r,
			const struct report_event *events, size_t count)
{
	const struct fst_gap *decisive = fst_session_decisive_gap(r);
	size_t first = count > LADDER_MAX ? count - LADDER_MAX : 0;

	memset(l, 0, sizeof(*l));
	l->columns[l->column_count++] = "client";
	l->columns[l->column_count++] = "server";
	/* From two events before the decisive gap, when that fits. */
	if (decisive)
		for (size_t i = 0; i < count; i++)
			if (events[i].ts_us >= decisive->start_us) {
				size_t from = i >= 2 ? i - 2 : 0;

				if (from > first)
					first = from;
				break;
			}
	l->skipped = first;
	for (size_t i = first; i < count && l->step_count < LADDER_MAX; i++) {
		struct report_ladder_step *step = &l->steps[l->step_count++];
		const struct report_event *ev = &events[i];

		step->ev = ev;
		if (ev->kind == REPORT_EVENT_CLOSE && ev->from == FST_SIDE_NONE) {
			/* A middlebox's close reaches both ends. */
			step->from = l->column_count - 1;
			step->to = 0;
		} else {
			step->from = column_of(l, ev->from);
			step->to = step->from == 0 ? l->column_count - 1 : 0;
		}
		if (i > first)
			idle_words(r, &events[i - 1], ev, step);
	}
}

void report_ladder_text(const struct report_ladder *l, const struct fst_session_result *r,
			report_line_fn emit, void *ctx)
{
	char clock[32];

	if (l->skipped)
		sentence(emit, ctx, "(%zu earlier events not shown)", l->skipped);
	sentence(emit, ctx, "%-15s  %11s  %s", "clock (UTC)", "offset", "client     server");
	for (size_t i = 0; i < l->step_count; i++) {
		const struct report_ladder_step *st = &l->steps[i];
		const struct report_event *ev = st->ev;
		const char *arrow = st->from < st->to ? "|--------->|" : "|<---------|";
		bool close = ev->kind == REPORT_EVENT_CLOSE;
		char offset[32];

		if (st->idle_words[0])
			sentence(emit, ctx, "%-15s  %11s  :          :  %s", "", "",
				 st->idle_words);
		if (close && ev->close_by == FST_CLOSE_BY_MIDDLEBOX)
			arrow = "|<---X---->|";
		snprintf(offset, sizeof(offset), "+%.6f",
			 report_seconds(r->session->start_us, ev->ts_us));
		/* The text after its "who" column: the arrow says who. */
		sentence(emit, ctx, "%s  %11s  %s  %s%s%s",
			 fst_time_format_clock(ev->ts_us, clock, sizeof(clock)), offset, arrow,
			 close ? fst_close_by_name(ev->close_by) : "", close ? " " : "",
			 ev->text + ev->label_at);
	}
}
