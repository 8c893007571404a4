/* The timeline of a session that the text and Markdown reports show:
 * commands, replies, transfers and the close in time order. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

struct timeline_item {
	int64_t ts_us;
	int rank; /* orders items of equal time */
	char text[FST_FTP_ARG_MAX + 64];
};

enum {
	TIMELINE_MAX = 40 /* a longer timeline shows its first and last halves */
};

bool report_timeline(const struct fst_session_result *r, report_line_fn emit, void *ctx)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	size_t total = s->command_count + s->reply_count + s->transfer_count + 3;
	struct timeline_item *items = calloc(total, sizeof(*items));
	size_t n = 0;
	char clock[32];

	if (!items)
		return false;
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *cmd = &s->commands[i];

		items[n].ts_us = cmd->ts_us;
		snprintf(items[n++].text, sizeof(items[0].text), "client  %s%s%s%s%s",
			 report_verb_text(&cmd->cmd), cmd->cmd.arg[0] ? " " : "", cmd->cmd.arg,
			 report_cut(cmd->cmd.arg_truncated),
			 c->client_wrote_after_close && cmd->ts_us == c->client_write_ts_us ?
				 "   (after the server's FIN)" :
				 "");
	}
	for (size_t i = 0; i < s->reply_count; i++) {
		items[n].ts_us = s->replies[i].ts_us;
		items[n].rank = 1;
		snprintf(items[n++].text, sizeof(items[0].text), "server  %d %s%s",
			 s->replies[i].code, s->replies[i].text,
			 report_cut(s->replies[i].text_truncated));
	}
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		if (!t->start_us)
			continue;
		items[n].ts_us = t->start_us;
		items[n].rank = 2;
		snprintf(items[n++].text, sizeof(items[0].text),
			 "data    %s %llu bytes until +%.3f s (%s)", report_transfer_command(t),
			 (unsigned long long)t->bytes, report_seconds(s->start_us, t->end_us),
			 fst_side_name(t->sender));
	}
	if (c->by != FST_CLOSE_BY_NONE) {
		items[n].ts_us = c->ts_us;
		items[n].rank = 3;
		snprintf(items[n++].text, sizeof(items[0].text), "%-6s  %s",
			 fst_close_by_name(c->by), report_close_how(c));
	}
	if (c->reset_after_write) {
		items[n].ts_us = c->reset_ts_us;
		items[n].rank = 3;
		snprintf(items[n++].text, sizeof(items[0].text), "server  RST");
	}
	/* Insertion sort: the lists are each in order already. */
	for (size_t i = 1; i < n; i++) {
		struct timeline_item item = items[i];
		size_t j = i;

		while (j > 0 &&
		       (items[j - 1].ts_us > item.ts_us ||
			(items[j - 1].ts_us == item.ts_us && items[j - 1].rank > item.rank))) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = item;
	}
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
