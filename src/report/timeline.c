/* The events of a session in time order (commands, replies, transfers,
 * the close), shared by the views that draw or list them: the text and
 * Markdown timelines, the HTML timeline and the ladders. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

enum {
	TIMELINE_MAX = 40 /* a longer timeline shows its first and last halves */
};

/* The next free event of e, its text made from fmt after "who" padded
 * as the text timeline lines them up. */
static struct report_event *event_add(struct report_event *events, size_t *n, int64_t ts_us,
				      enum report_event_kind kind, enum fst_side from)
{
	struct report_event *ev = &events[(*n)++];

	ev->ts_us = ts_us;
	ev->kind = kind;
	ev->from = from;
	return ev;
}

static void add_commands(const struct fst_session_result *r, struct report_event *events, size_t *n)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;

	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *cmd = &s->commands[i];
		struct report_event *ev =
			event_add(events, n, cmd->ts_us, REPORT_EVENT_COMMAND, FST_SIDE_CLIENT);
		bool after_fin = c->client_wrote_after_close && cmd->ts_us == c->client_write_ts_us;

		snprintf(ev->text, sizeof(ev->text), "client  %s%s%s%s%s",
			 report_verb_text(&cmd->cmd), cmd->cmd.arg[0] ? " " : "", cmd->cmd.arg,
			 report_cut(cmd->cmd.arg_truncated),
			 after_fin ? "   (after the server's FIN)" : "");
		ev->label_at = 8;
		ev->decisive = after_fin;
	}
}

static void add_replies(const struct fst_session_result *r, struct report_event *events, size_t *n)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;

	for (size_t i = 0; i < s->reply_count; i++) {
		const struct fst_ftp_reply_rec *rep = &s->replies[i];
		struct report_event *ev =
			event_add(events, n, rep->ts_us, REPORT_EVENT_REPLY, FST_SIDE_SERVER);

		ev->rank = 1;
		ev->code = rep->code;
		snprintf(ev->text, sizeof(ev->text), "server  %d %s%s", rep->code, rep->text,
			 report_cut(rep->text_truncated));
		ev->label_at = 8;
		ev->closing = c->reply_code && rep->ts_us == c->reply_ts_us &&
			      rep->code == c->reply_code;
		ev->decisive = ev->closing || rep->ts_us == c->idle_since_us;
	}
}

static void add_transfers(const struct fst_session_result *r, struct report_event *events,
			  size_t *n)
{
	const struct fst_ftp_session *s = r->session;

	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		struct report_event *ev;

		if (!t->start_us)
			continue;
		ev = event_add(events, n, t->start_us, REPORT_EVENT_DATA, t->sender);
		ev->rank = 2;
		ev->transfer = i;
		ev->end_us = t->end_us;
		snprintf(ev->text, sizeof(ev->text), "data    %s %llu bytes until +%.3f s (%s)",
			 report_transfer_command(t), (unsigned long long)t->bytes,
			 report_seconds(s->start_us, t->end_us), fst_side_name(t->sender));
		ev->label_at = 8;
	}
}

static void add_close(const struct fst_session_result *r, struct report_event *events, size_t *n)
{
	const struct fst_close_info *c = &r->close;

	if (c->by != FST_CLOSE_BY_NONE) {
		struct report_event *ev = event_add(events, n, c->ts_us, REPORT_EVENT_CLOSE,
						    c->by == FST_CLOSE_BY_CLIENT ? FST_SIDE_CLIENT :
						    c->by == FST_CLOSE_BY_SERVER ? FST_SIDE_SERVER :
										   FST_SIDE_NONE);
		int len;

		ev->rank = 3;
		ev->close_by = c->by;
		len = snprintf(ev->text, sizeof(ev->text), "%-6s  ", fst_close_by_name(c->by));
		ev->label_at = len > 0 ? (size_t)len : 0;
		snprintf(ev->text + ev->label_at, sizeof(ev->text) - ev->label_at, "%s",
			 report_close_how(c));
		ev->decisive = true;
	}
	if (c->reset_after_write) {
		struct report_event *ev =
			event_add(events, n, c->reset_ts_us, REPORT_EVENT_RESET, FST_SIDE_SERVER);

		ev->rank = 3;
		ev->close_by = FST_CLOSE_BY_SERVER;
		snprintf(ev->text, sizeof(ev->text), "server  RST");
		ev->label_at = 8;
		ev->decisive = true;
	}
}

static int compare_events(const void *pa, const void *pb)
{
	const struct report_event *a = pa, *b = pb;

	if (a->ts_us != b->ts_us)
		return a->ts_us < b->ts_us ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct report_event *report_events(const struct fst_session_result *r, size_t *count)
{
	const struct fst_ftp_session *s = r->session;
	size_t total = s->command_count + s->reply_count + s->transfer_count + 3;
	struct report_event *events = calloc(total, sizeof(*events));
	size_t n = 0;

	*count = 0;
	if (!events)
		return NULL;
	add_commands(r, events, &n);
	add_replies(r, events, &n);
	add_transfers(r, events, &n);
	add_close(r, events, &n);
	/* By time, then rank; events of equal time and rank keep the order
	 * they were added in (seq), as a stable sort would. */
	for (size_t i = 0; i < n; i++)
		events[i].seq = i;
	qsort(events, n, sizeof(*events), compare_events);
	*count = n;
	return events;
}

bool report_timeline(const struct fst_session_result *r, report_line_fn emit, void *ctx)
{
	const struct fst_ftp_session *s = r->session;
	size_t n;
	struct report_event *items = report_events(r, &n);
	char clock[32];

	if (!items)
		return false;
	for (size_t i = 0; i < n; i++) {
		char offset[32], line[sizeof(items[0].text) + 64];

		if (n > TIMELINE_MAX && i == TIMELINE_MAX / 2) {
			snprintf(line, sizeof(line), "... %zu entries ...", n - TIMELINE_MAX);
			emit(ctx, line);
			i = n - TIMELINE_MAX / 2;
		}
		snprintf(offset, sizeof(offset), "+%.6f",
			 report_seconds(s->start_us, items[i].ts_us));
		snprintf(line, sizeof(line), "%s  %11s  %s",
			 fst_time_format_clock(items[i].ts_us, clock, sizeof(clock)), offset,
			 items[i].text);
		emit(ctx, line);
	}
	free(items);
	return true;
}

const char *report_close_how(const struct fst_close_info *c)
{
	return c->dropped ? "DROP" : c->rst ? "RST" : "FIN";
}
