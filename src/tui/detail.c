/* The detail view of one session: what it is and its verdict, a
 * timeline bar across the terminal (activity, gaps coloured by whom
 * they waited on, the close as 'X'), and its event log (commands,
 * replies, transfers, gaps, close) in time order, scrollable. */
#include "internal.h"
#include "ftpstall/report.h"

#include <stdlib.h>
#include <string.h>

enum {
	BAR_MAX = 1024,
	SUMMARY_LINES_MAX = 3
};

enum tui_event_kind {
	EV_COMMAND,
	EV_REPLY,
	EV_TRANSFER,
	EV_GAP,
	EV_CLOSE,
	EV_RESET, /* the server's reset of a write after its close */
	EV_KIND_COUNT
};

/* Entries of equal time: the command, its reply, the data, the idle
 * that followed, then the close (as text.c's timeline orders them). */
static const uint8_t event_ranks[] = {
	[EV_COMMAND] = 0, [EV_REPLY] = 1, [EV_TRANSFER] = 2,
	[EV_GAP] = 3,	  [EV_CLOSE] = 4, [EV_RESET] = 4,
};
_Static_assert(sizeof(event_ranks) / sizeof(event_ranks[0]) == EV_KIND_COUNT,
	       "a rank for every event kind");

/* A timeline character and its legend. */
struct glyph_def {
	char glyph;
	enum tui_style style;
	const char *label;
};

/* How a gap is drawn on the timeline, by whom it waited on. */
static const struct glyph_def wait_marks[] = {
	[FST_WAIT_NONE] = { '-', TUI_STYLE_NORMAL, "none" },
	[FST_WAIT_CLIENT] = { 'C', TUI_STYLE_WAIT_CLIENT, "client" },
	[FST_WAIT_SERVER] = { 'S', TUI_STYLE_WAIT_SERVER, "server" },
	[FST_WAIT_RECEIVER] = { 'R', TUI_STYLE_WAIT_OTHER, "receiver" },
	[FST_WAIT_NETWORK] = { 'N', TUI_STYLE_WAIT_OTHER, "network" },
	[FST_WAIT_CAPTURE] = { '~', TUI_STYLE_WAIT_CAPTURE, "capture" },
};
_Static_assert(sizeof(wait_marks) / sizeof(wait_marks[0]) == FST_WAIT_COUNT,
	       "a mark for every wait");

/* Activity on the timeline, drawn over the gaps. */
/* clang-format off */
static const struct glyph_def activity_marks[] = {
	{'>', TUI_STYLE_HEADER, "command"},
	{'<', TUI_STYLE_HEADER, "reply"},
	{'*', TUI_STYLE_HEADER, "command+reply"},
	{'=', TUI_STYLE_DATA, "data"},
	{'X', TUI_STYLE_INCIDENT, "close"},
};
/* clang-format on */

static struct fst_session_result *find_result(const struct fst_tui_view *view, uint64_t id)
{
	for (struct fst_session_result *r = view->analysis ? fst_analysis_results(view->analysis) :
							     NULL;
	     r; r = r->next)
		if (r->session->id == id)
			return r;
	return NULL;
}

static double seconds(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

/* ---- the event log ------------------------------------------------------- */

static void add_event(struct fst_tui *tui, int64_t ts_us, enum tui_event_kind kind, size_t index)
{
	if (tui->event_count == tui->event_cap) {
		size_t cap = tui->event_cap ? tui->event_cap * 2 : 256;
		struct tui_event *grown;

		if (cap > TUI_MAX_EVENTS)
			cap = TUI_MAX_EVENTS;
		grown = cap > tui->event_cap ? realloc(tui->events, cap * sizeof(*grown)) : NULL;
		if (!grown) {
			tui->events_dropped++;
			return;
		}
		tui->events = grown;
		tui->event_cap = cap;
	}
	tui->events[tui->event_count++] = (struct tui_event){ .ts_us = ts_us,
							      .rank = event_ranks[kind],
							      .kind = (uint8_t)kind,
							      .index = (uint32_t)index };
}

static int compare_events(const void *pa, const void *pb)
{
	const struct tui_event *a = pa, *b = pb;

	if (a->ts_us != b->ts_us)
		return a->ts_us < b->ts_us ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Rebuilt at every draw: a live session grows between draws. */
static void collect_events(struct fst_tui *tui, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;

	tui->event_count = 0;
	tui->events_dropped = 0;
	for (size_t i = 0; i < s->command_count; i++)
		add_event(tui, s->commands[i].ts_us, EV_COMMAND, i);
	for (size_t i = 0; i < s->reply_count; i++)
		add_event(tui, s->replies[i].ts_us, EV_REPLY, i);
	for (size_t i = 0; i < s->transfer_count; i++)
		if (s->transfers[i].start_us)
			add_event(tui, s->transfers[i].start_us, EV_TRANSFER, i);
	for (size_t i = 0; i < r->gap_count; i++)
		add_event(tui, r->gaps[i].start_us, EV_GAP, i);
	if (r->close.by != FST_CLOSE_BY_NONE)
		add_event(tui, r->close.ts_us, EV_CLOSE, 0);
	if (r->close.reset_after_write)
		add_event(tui, r->close.reset_ts_us, EV_RESET, 0);
	qsort(tui->events, tui->event_count, sizeof(tui->events[0]), compare_events);
}

static void format_command(const struct fst_session_result *r, size_t i, char *buf, size_t size)
{
	const struct fst_ftp_command_rec *rec = &r->session->commands[i];
	const struct fst_ftp_recorded_command *cmd = &rec->cmd;
	bool after_fin = r->close.client_wrote_after_close &&
			 rec->ts_us == r->close.client_write_ts_us;

	snprintf(buf, size, "client  %s%s%s%s%s",
		 cmd->verb_text[0] ? cmd->verb_text : fst_ftp_verb_info(cmd->verb)->name,
		 cmd->arg[0] ? " " : "", cmd->arg, cmd->arg_truncated ? "..." : "",
		 after_fin ? "   (after the server's FIN)" : "");
}

static void format_transfer(const struct fst_session_result *r, size_t i, char *buf, size_t size)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_ftp_transfer *t = &s->transfers[i];
	const char *verb = fst_ftp_verb_info(t->verb)->name;
	const char *sep = t->file[0] ? " " : "";

	if (t->outcome == FST_OUTCOME_PENDING)
		snprintf(buf, size, "data    %s%s%s: %llu bytes so far (%s sends)", verb, sep,
			 t->file, (unsigned long long)t->bytes, fst_side_name(t->sender));
	else
		snprintf(buf, size, "data    %s%s%s: %llu bytes until +%.3f s (%s sends), %s", verb,
			 sep, t->file, (unsigned long long)t->bytes,
			 seconds(s->start_us, t->end_us), fst_side_name(t->sender),
			 fst_transfer_outcome_name(t->outcome));
}

static void format_gap(const struct fst_session_result *r, size_t i, char *buf, size_t size)
{
	const struct fst_gap *g = &r->gaps[i];
	char channel[40];

	if (g->channel == FST_CHANNEL_DATA)
		snprintf(channel, sizeof(channel), "data (transfer %llu)",
			 (unsigned long long)g->transfer_id);
	else
		snprintf(channel, sizeof(channel), "control");
	snprintf(buf, size, "idle    %s %.3f s until +%.6f, waiting on %s%s%s", channel,
		 seconds(g->start_us, g->end_us), seconds(r->session->start_us, g->end_us),
		 fst_wait_name(g->waiting_on), g->before_close ? ", before the close" : "",
		 i == r->decisive_gap_index ? " (decisive)" : "");
}

static void format_event(const struct fst_session_result *r, const struct tui_event *ev, char *buf,
			 size_t size)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;

	switch ((enum tui_event_kind)ev->kind) {
	case EV_COMMAND:
		format_command(r, ev->index, buf, size);
		break;
	case EV_REPLY:
		snprintf(buf, size, "server  %d %s%s%s", s->replies[ev->index].code,
			 s->replies[ev->index].text,
			 s->replies[ev->index].text_truncated ? "..." : "",
			 s->replies[ev->index].lines > 1 ? " (multi-line)" : "");
		break;
	case EV_TRANSFER:
		format_transfer(r, ev->index, buf, size);
		break;
	case EV_GAP:
		format_gap(r, ev->index, buf, size);
		break;
	case EV_CLOSE:
		snprintf(buf, size, "%-6s  %s, close after %.3f s of idle",
			 fst_close_by_name(c->by), c->rst ? "RST" : "FIN", c->after_idle_s);
		break;
	case EV_RESET:
		snprintf(buf, size, "server  RST of the client's write");
		break;
	case EV_KIND_COUNT:
		buf[0] = '\0';
		break;
	}
}

static enum tui_style event_style(const struct fst_session_result *r, const struct tui_event *ev)
{
	switch ((enum tui_event_kind)ev->kind) {
	case EV_GAP:
		return wait_marks[r->gaps[ev->index].waiting_on].style;
	case EV_CLOSE:
	case EV_RESET:
		return fst_verdict_is_incident(r->verdict) ? TUI_STYLE_INCIDENT : TUI_STYLE_NORMAL;
	case EV_TRANSFER:
		return TUI_STYLE_DATA;
	case EV_COMMAND:
	case EV_REPLY:
	case EV_KIND_COUNT:
		break;
	}
	return TUI_STYLE_NORMAL;
}

/* The first line to show: the newest page while following, else where
 * the user scrolled to (clamped; scrolling to the end follows again). */
static size_t log_first_line(struct fst_tui *tui, int height)
{
	size_t last_top = tui->event_count > (size_t)height ? tui->event_count - (size_t)height : 0;

	if (tui->log_top >= last_top)
		tui->log_follow = true;
	if (tui->log_follow)
		tui->log_top = last_top;
	return tui->log_top;
}

static void draw_log(struct fst_tui *tui, const struct fst_session_result *r, int y, int height)
{
	const struct fst_ftp_session *s = r->session;
	size_t first;

	tui->log_height = height - 1;
	collect_events(tui, r);
	first = log_first_line(tui, tui->log_height);
	tui_fill_line(tui, y, TUI_STYLE_HEADER);
	tui_putf(
		tui, y, 0, 0, TUI_STYLE_HEADER,
		"events %zu-%zu of %zu%s  (UTC; +seconds from the start)  arrows/PgUp/PgDn  Esc: back",
		tui->event_count ? first + 1 : 0,
		first + (size_t)tui->log_height < tui->event_count ?
			first + (size_t)tui->log_height :
			tui->event_count,
		tui->event_count, tui->events_dropped ? " (log full)" : "");
	for (int i = 0; i < tui->log_height && first + (size_t)i < tui->event_count; i++) {
		const struct tui_event *ev = &tui->events[first + (size_t)i];
		char clock[40], offset[32], text[FST_FTP_TEXT_MAX + FST_FTP_ARG_MAX + 96];
		int x;

		format_event(r, ev, text, sizeof(text));
		snprintf(offset, sizeof(offset), "+%.6f", seconds(s->start_us, ev->ts_us));
		x = tui_putf(tui, y + 1 + i, 1, 0, TUI_STYLE_NORMAL, "%s  %11s  ",
			     fst_time_format_clock(ev->ts_us, clock, sizeof(clock)), offset);
		tui_put(tui, y + 1 + i, 1 + x, 0, event_style(r, ev), text);
	}
}

/* ---- the timeline bar ------------------------------------------------------ */

struct bar {
	int width;
	int64_t t0, t1;
	char glyph[BAR_MAX];
	uint8_t style[BAR_MAX];
};

static int bar_col(const struct bar *b, int64_t ts_us)
{
	int64_t col;

	if (ts_us <= b->t0)
		return 0;
	col = (ts_us - b->t0) * b->width / (b->t1 - b->t0);
	return col >= b->width ? b->width - 1 : (int)col;
}

static void bar_fill(struct bar *b, int64_t from_us, int64_t to_us, char glyph,
		     enum tui_style style)
{
	for (int c = bar_col(b, from_us); c <= bar_col(b, to_us); c++) {
		b->glyph[c] = glyph;
		b->style[c] = (uint8_t)style;
	}
}

/* A command and a reply in one cell show as '*'. */
static void bar_mark(struct bar *b, int64_t ts_us, char glyph)
{
	int c = bar_col(b, ts_us);

	if ((b->glyph[c] == '>' || b->glyph[c] == '<' || b->glyph[c] == '*') &&
	    b->glyph[c] != glyph)
		glyph = '*';
	b->glyph[c] = glyph;
	b->style[c] = TUI_STYLE_HEADER;
}

/* The span drawn: the session's start to its end, or to now while it
 * runs. */
static void bar_span(struct bar *b, const struct fst_session_result *r, int64_t now_us)
{
	const struct fst_ftp_session *s = r->session;
	int64_t end = s->last_us;

	if (!tui_result_finished(r) && now_us > end)
		end = now_us;
	if (s->end_us > end)
		end = s->end_us;
	if (r->close.by != FST_CLOSE_BY_NONE && r->close.ts_us > end)
		end = r->close.ts_us;
	if (r->close.reset_after_write && r->close.reset_ts_us > end)
		end = r->close.reset_ts_us;
	b->t0 = s->start_us;
	b->t1 = end > b->t0 ? end : b->t0 + 1;
}

/* Layers, later ones on top: quiet time, gaps, transfers, the idle
 * still running, commands and replies, the close. */
static void bar_build(struct bar *b, const struct fst_session_result *r, int64_t now_us)
{
	const struct fst_ftp_session *s = r->session;

	memset(b->glyph, '.', sizeof(b->glyph));
	memset(b->style, TUI_STYLE_DIM, sizeof(b->style));
	/* Gaps nobody owed (the control channel during a transfer) first,
	 * so that the one that was owed shows where they overlap. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->gap_count; i++) {
			const struct fst_gap *g = &r->gaps[i];
			const struct glyph_def *m = &wait_marks[g->waiting_on];

			if ((g->waiting_on == FST_WAIT_NONE) == (pass == 0))
				bar_fill(b, g->start_us, g->end_us, m->glyph, m->style);
		}
	for (size_t i = 0; i < s->transfer_count; i++)
		if (s->transfers[i].start_us)
			bar_fill(b, s->transfers[i].start_us, s->transfers[i].end_us, '=',
				 TUI_STYLE_DATA);
	/* The idle still running is not a gap yet: draw it as one. */
	if (!tui_result_finished(r) && s->turn.side != FST_SIDE_NONE) {
		double idle = fst_analysis_idle_s(r, now_us);
		const struct glyph_def *m =
			&wait_marks[s->turn.side == FST_SIDE_CLIENT ? FST_WAIT_CLIENT :
								      FST_WAIT_SERVER];

		if (idle >= 1.0)
			bar_fill(b, now_us - (int64_t)(idle * 1e6), now_us, m->glyph, m->style);
	}
	for (size_t i = 0; i < s->command_count; i++)
		bar_mark(b, s->commands[i].ts_us, '>');
	for (size_t i = 0; i < s->reply_count; i++)
		bar_mark(b, s->replies[i].ts_us, '<');
	if (r->close.by != FST_CLOSE_BY_NONE) {
		int c = bar_col(b, r->close.ts_us);

		b->glyph[c] = 'X';
		b->style[c] = TUI_STYLE_INCIDENT;
	}
}

/* Only the characters this bar uses, so that it fits 80 columns. */
static void draw_legend(const struct fst_tui *tui, const struct bar *b, int y)
{
	const char *idle_label = "idle waiting on:";
	int x = 1;

	for (size_t i = 0; i < sizeof(activity_marks) / sizeof(activity_marks[0]); i++)
		if (memchr(b->glyph, activity_marks[i].glyph, (size_t)b->width))
			x += tui_putf(tui, y, x, 0, activity_marks[i].style, "%c %s  ",
				      activity_marks[i].glyph, activity_marks[i].label);
	for (int w = 0; w < FST_WAIT_COUNT; w++) {
		if (!memchr(b->glyph, wait_marks[w].glyph, (size_t)b->width))
			continue;
		x += tui_put(tui, y, x, 0, TUI_STYLE_DIM, idle_label);
		idle_label = "";
		x += tui_putf(tui, y, x, 0, wait_marks[w].style, " %c %s", wait_marks[w].glyph,
			      wait_marks[w].label);
	}
}

/* Three lines: the bar, its time axis, the legend. */
static void draw_timeline(const struct fst_tui *tui, const struct fst_tui_view *view,
			  const struct fst_session_result *r, int y)
{
	struct bar b;
	char from[40], to[40], span[16], right[80];

	b.width = COLS - 2 < BAR_MAX ? COLS - 2 : BAR_MAX;
	bar_span(&b, r, view->now_us);
	bar_build(&b, r, view->now_us);
	for (int c = 0; c < b.width; c++)
		mvaddch(y, 1 + c, (chtype)(unsigned char)b.glyph[c] | tui_attr(tui, b.style[c]));
	tui_put(tui, y + 1, 1, 0, TUI_STYLE_DIM, tui_format_hms(b.t0, from, sizeof(from)));
	snprintf(right, sizeof(right), "%s%s (+%s)", tui_format_hms(b.t1, to, sizeof(to)),
		 tui_result_finished(r) ? "" : " now",
		 tui_format_duration(seconds(b.t0, b.t1), span, sizeof(span)));
	tui_put(tui, y + 1, COLS - 1 - (int)strlen(right), 0, TUI_STYLE_DIM, right);
	draw_legend(tui, &b, y + 2);
}

/* ---- header ---------------------------------------------------------------- */

/* Word-wraps text over at most max lines of width; returns the lines. */
static int draw_wrapped(const struct fst_tui *tui, int y, int width, int max, const char *text,
			enum tui_style style)
{
	int lines = 0;

	while (*text && lines < max) {
		int len = (int)strlen(text), cut = len;

		if (len > width) {
			cut = width;
			while (cut > width / 2 && text[cut] != ' ')
				cut--;
			if (text[cut] != ' ')
				cut = width;
		}
		tui_put(tui, y + lines++, 2, cut, style, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
	return lines;
}

/* State, then whose turn and the idle against the timeout while it
 * runs, or how long it lasted once it ended; then the counts. */
static void draw_progress(const struct fst_tui *tui, int y, const struct fst_session_result *r,
			  double idle_s, double limit, const char *why)
{
	const struct fst_ftp_session *s = r->session;
	char idle[16], timeout[16], span[16];
	int x = tui_putf(tui, y, 1, 0, TUI_STYLE_NORMAL, "state %s  ",
			 fst_ftp_state_name(s->state));

	if (tui_result_finished(r)) {
		x += tui_putf(tui, y, 1 + x, 0, TUI_STYLE_NORMAL, "ended after %s",
			      tui_format_duration(seconds(s->start_us,
							  s->end_us ? s->end_us : s->last_us),
						  span, sizeof(span)));
	} else {
		x += tui_putf(tui, y, 1 + x, 0, TUI_STYLE_NORMAL, "turn %s%s  idle ",
			      fst_side_name(s->turn.side),
			      s->turn.channel == FST_CHANNEL_DATA ? "/data" : "");
		x += tui_put(tui, y, 1 + x, 0, tui_idle_style(idle_s, limit, s),
			     tui_format_duration(idle_s, idle, sizeof(idle)));
		x += tui_putf(tui, y, 1 + x, 0, TUI_STYLE_NORMAL, " of %s (%s)",
			      tui_format_duration(limit, timeout, sizeof(timeout)), why);
	}
	tui_putf(tui, y, 1 + x, 0, TUI_STYLE_NORMAL,
		 "  %zu commands  %zu replies  %zu transfers  %zu gaps", s->command_count,
		 s->reply_count, s->transfer_count, r->gap_count);
}

/* Session, state, idle and verdict; returns the lines used. */
static int draw_facts(const struct fst_tui *tui, const struct fst_tui_view *view,
		      const struct fst_session_result *r, int summary_lines)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], words[FST_WORDS_MAX];
	const char *why;
	double limit = tui_timeout_for(tui, view, s, &why);
	double idle_s = tui_result_finished(r) ? -1 : fst_analysis_idle_s(r, view->now_us);
	int x;

	tui_fill_line(tui, 0, TUI_STYLE_HEADER);
	tui_putf(tui, 0, 0, 0, TUI_STYLE_HEADER, "session %llu  %s -> %s%s%s%s%s%s%s",
		 (unsigned long long)s->id,
		 fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client)),
		 fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server)),
		 s->software ? "  " : "", s->software ? s->software : "",
		 s->user_name[0] ? "  user " : "", s->user_name,
		 s->mid_stream ? "  (capture began mid-session)" : "",
		 !s->encrypted ? "" :
		 s->opaque     ? "  (encrypted: commands not visible)" :
				 "  (FTPS, decrypted with the key log)");
	draw_progress(tui, 1, r, idle_s, limit, why);
	if (r->verdict_state == FST_VERDICT_PENDING) {
		tui_put(tui, 2, 1, 0, TUI_STYLE_NORMAL, "verdict: none yet (running)");
		return 3;
	}
	x = tui_put(tui, 2, 1, 0, TUI_STYLE_NORMAL, "verdict: ");
	x += tui_putf(tui, 2, 1 + x, 0,
		      fst_verdict_is_incident(r->verdict) ? TUI_STYLE_INCIDENT : TUI_STYLE_CLEAN,
		      "%s", fst_verdict_name(r->verdict));
	tui_putf(tui, 2, 1 + x, 0, TUI_STYLE_NORMAL, " (%s), stalled: %s",
		 r->verdict_state == FST_VERDICT_FINAL ? "final" : "provisional: the close began",
		 fst_stalled_side_name(r->stalled_side));
	fst_words_summary(r, words, sizeof(words));
	return 3 + draw_wrapped(tui, 3, COLS - 3, summary_lines, words, TUI_STYLE_NORMAL);
}

void tui_draw_detail(struct fst_tui *tui, const struct fst_tui_view *view)
{
	const struct fst_session_result *r = find_result(view, tui->detail_id);
	int summary_lines = LINES >= 24 ? SUMMARY_LINES_MAX : 1;
	int y;

	if (!r) {
		tui_putf(tui, 0, 0, 0, TUI_STYLE_NORMAL, "session %llu is gone (Esc: back)",
			 (unsigned long long)tui->detail_id);
		return;
	}
	y = draw_facts(tui, view, r, summary_lines);
	draw_timeline(tui, view, r, y);
	y += 3;
	/* The log takes what is left above the status line. */
	draw_log(tui, r, y, LINES - 1 - y);
}
