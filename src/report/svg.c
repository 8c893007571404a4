/* The HTML report's drawings, as inline SVG that reads without hovering:
 * an incident's timeline (time axis with clock times, labelled commands
 * and replies, each data connection over its own duration with its
 * bytes, gaps shaded and the decisive one labelled, capture loss, the
 * close) and the ladder of its last seconds. Every label is text in the
 * picture; the <title>s only repeat what is drawn. Each drawing carries
 * a <title> and <desc> as its text alternative. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
	TL_WIDTH = 960,
	TL_LEFT = 120, /* lane names */
	TL_RIGHT = 30,
	TL_ROWS = 3, /* label rows above (commands) and below (replies) */
	TL_ROW_HEIGHT = 14,
	TL_CONTROL_Y = 92,   /* the control lane */
	TL_LANE_HEIGHT = 28, /* each data lane */
	TL_DATA_LANES = 8,   /* more transfers share the last lane */
	TL_LABEL_CHARS = 30, /* a label longer than this is shortened */
	TL_DECISIVE_CHARS = 48,
	TL_AXIS_TICKS_MAX = 8,
	TL_PLACED_MAX = 256, /* labels per row; the rest are counted */
	LADDER_LEFT_X = 300,
	LADDER_RIGHT_X = 760,
	LADDER_STEP = 30,
	LADDER_BREAK = 24,
};

/* Width of a label in the 11 px monospace the drawings use. */
#define CHAR_PX 6.7

void fst_report_html_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (*p < 0x20 || *p > 0x7e)
				fprintf(out, "&#%u;", *p);
			else
				fputc(*p, out);
		}
	}
}

/* The label of an event, at most max characters: longer ones keep their
 * start and end in "...". */
static void short_label(const char *text, size_t max, char *buf, size_t size)
{
	size_t len = strlen(text);

	if (len <= max || max < 8) {
		snprintf(buf, size, "%s", text);
		return;
	}
	snprintf(buf, size, "%.*s...", (int)(max - 3), text);
}

/* Gap colours: light enough for black text on them (contrast), each also
 * told apart by its label or pattern, never by colour alone. */
static const char *wait_fill(enum fst_wait wait)
{
	switch (wait) {
	case FST_WAIT_CLIENT:
		return "#f6c36b";
	case FST_WAIT_SERVER:
		return "#f08a8a";
	case FST_WAIT_RECEIVER:
		return "#d9a877";
	case FST_WAIT_NETWORK:
		return "#b9a0e0";
	case FST_WAIT_CAPTURE:
		return "url(#loss)";
	case FST_WAIT_NONE:
	case FST_WAIT_COUNT:
		break;
	}
	return "#d6e4f0";
}

struct scale {
	int64_t start_us, end_us;
};

static double x_of(const struct scale *sc, int64_t ts_us)
{
	double span = (double)(sc->end_us - sc->start_us);
	double frac = span > 0 ? (double)(ts_us - sc->start_us) / span : 0;

	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	return TL_LEFT + frac * (TL_WIDTH - TL_LEFT - TL_RIGHT);
}

/* Label rows: the horizontal extents already taken in each. */
struct row {
	double from[TL_PLACED_MAX], to[TL_PLACED_MAX];
	size_t n;
};

static bool row_free(const struct row *row, double from, double to)
{
	if (row->n >= TL_PLACED_MAX)
		return false;
	for (size_t i = 0; i < row->n; i++)
		if (from < row->to[i] + 6 && to > row->from[i] - 6)
			return false;
	return true;
}

static void row_take(struct row *row, double from, double to)
{
	row->from[row->n] = from;
	row->to[row->n++] = to;
}

/* Where a label of width w for a tick at x goes: starting at x, or
 * ending there near the right edge. */
static double label_start(double x, double w)
{
	return x + w > TL_WIDTH - 4 ? x - w : x;
}

/* Places a label in the first free row of rows; returns the row, or -1. */
static int place(struct row *rows, int count, double x, double w)
{
	double from = label_start(x, w);

	for (int i = 0; i < count; i++)
		if (row_free(&rows[i], from, from + w)) {
			row_take(&rows[i], from, from + w);
			return i;
		}
	return -1;
}

static double label_row_y(bool up, int row)
{
	return up ? TL_CONTROL_Y - 22 - row * TL_ROW_HEIGHT :
		    TL_CONTROL_Y + 30 + row * TL_ROW_HEIGHT;
}

static void draw_label(FILE *out, const char *cls, double x, double y, double w, const char *text)
{
	fprintf(out, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">", cls, label_start(x, w), y);
	fst_report_html_text(out, text);
	fputs("</text>\n", out);
}

/* Commands above the control lane, replies below: the decisive ones
 * labelled first (in extra rows if need be), then the others in time
 * order while there is room; each run of ticks left unlabelled gets a
 * count ("+5") where that fits. */
static void draw_control_labels(FILE *out, const struct scale *sc,
				const struct report_event *events, size_t count)
{
	struct row *rows = calloc(2 * (TL_ROWS + 1), sizeof(*rows));
	bool *labelled = calloc(count ? count : 1, sizeof(*labelled));
	char label[TL_DECISIVE_CHARS + 8];

	if (!rows || !labelled)
		goto out_free;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < count; i++) {
			const struct report_event *ev = &events[i];
			bool up = ev->kind == REPORT_EVENT_COMMAND;
			bool decisive = ev->decisive && (up || ev->kind == REPORT_EVENT_REPLY);
			double x = x_of(sc, ev->ts_us), w;
			int row;

			if ((!up && ev->kind != REPORT_EVENT_REPLY) || decisive != (pass == 0))
				continue;
			short_label(ev->text + ev->label_at,
				    decisive ? TL_DECISIVE_CHARS : TL_LABEL_CHARS, label,
				    sizeof(label));
			w = (double)strlen(label) * CHAR_PX;
			row = place(rows + (up ? 0 : TL_ROWS + 1), decisive ? TL_ROWS + 1 : TL_ROWS,
				    x, w);
			/* A decisive event is labelled even where it must overlap. */
			if (row < 0 && decisive)
				row = TL_ROWS;
			if (row < 0)
				continue;
			labelled[i] = true;
			fprintf(out,
				"<line class=\"leader\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%d\"/>\n",
				x, label_row_y(up, row) + (up ? 3 : -10), x,
				TL_CONTROL_Y + (up ? -12 : 12));
			draw_label(out,
				   !decisive   ? "ev" :
				   ev->closing ? "ev decisive closing-reply" :
						 "ev decisive",
				   x, label_row_y(up, row), w, label);
		}
	/* The runs left unlabelled, counted. */
	for (int up = 0; up < 2; up++)
		for (size_t i = 0; i < count;) {
			size_t run = 0, j = i;
			double x = 0;

			for (; j < count; j++) {
				bool side = events[j].kind ==
					    (up ? REPORT_EVENT_COMMAND : REPORT_EVENT_REPLY);

				if (!side)
					continue;
				if (labelled[j])
					break;
				if (!run)
					x = x_of(sc, events[j].ts_us);
				else if (x_of(sc, events[j].ts_us) - x > 40)
					break;
				run++;
			}
			if (run) {
				snprintf(label, sizeof(label), "+%zu", run);
				int row = place(rows + (up ? 0 : TL_ROWS + 1), TL_ROWS + 1, x,
						(double)strlen(label) * CHAR_PX);

				if (row >= 0)
					draw_label(out, "more", x, label_row_y(up, row),
						   (double)strlen(label) * CHAR_PX, label);
			}
			i = j > i ? j : i + 1;
			while (i < count && labelled[i])
				i++;
		}
out_free:
	free(rows);
	free(labelled);
}

/* The steps of the time axis: 1, 2 or 5 times a power of ten below a
 * second, then the steps a clock reads easily. Each is at most 2.5 times
 * the one before, so the one chosen gives at least 4 ticks. */
static const double axis_steps[] = {
	1e-6,	   2e-6,      5e-6,	  1e-5,	      2e-5,	  5e-5,	       1e-4,  2e-4,  5e-4,
	1e-3,	   2e-3,      5e-3,	  0.01,	      0.02,	  0.05,	       0.1,   0.2,   0.5,
	1,	   2,	      5,	  10,	      15,	  30,	       60,    120,   300,
	600,	   900,	      1800,	  3600,	      7200,	  10800,       21600, 43200, 86400,
	2 * 86400, 5 * 86400, 10 * 86400, 20 * 86400, 50 * 86400, 100 * 86400,
};

/* The smallest step that gives at most TL_AXIS_TICKS_MAX ticks. */
static double axis_step(double span_s)
{
	for (size_t i = 0; i < sizeof(axis_steps) / sizeof(axis_steps[0]); i++)
		if (span_s / axis_steps[i] < TL_AXIS_TICKS_MAX)
			return axis_steps[i];
	return span_s / (TL_AXIS_TICKS_MAX - 1);
}

static void draw_axis(FILE *out, const struct scale *sc, double y)
{
	double span = report_seconds(sc->start_us, sc->end_us);
	double step = axis_step(span);
	int digits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : step >= 0.001 ? 3 : 6;
	int clock_digits = digits == 0 ? 0 : digits <= 3 ? 3 : 6;

	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
		TL_LEFT, y, TL_WIDTH - TL_RIGHT, y);
	fprintf(out, "<text class=\"lane\" x=\"4\" y=\"%.1f\">UTC</text>\n", y + 14);
	fprintf(out, "<text class=\"lane\" x=\"4\" y=\"%.1f\">since start</text>\n", y + 27);
	for (int k = 0; k * step <= span + 1e-9 && k <= TL_AXIS_TICKS_MAX; k++) {
		int64_t ts = sc->start_us + (int64_t)(k * step * 1e6 + 0.5);
		double x = x_of(sc, ts);
		char clock[32];
		const char *anchor = k == 0 ? "start" : "middle";

		fst_time_format_clock(ts, clock, sizeof(clock));
		/* HH:MM:SS.ffffff cut to the digits the step needs. */
		clock[clock_digits ? 9 + clock_digits : 8] = '\0';
		fprintf(out,
			"<g class=\"axis-tick\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>"
			"<text class=\"offset\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">+%.*f s</text></g>\n",
			x, y, x, y + 4, x, y + 14, anchor, clock, x, y + 27, anchor, digits,
			k * step);
	}
}

static size_t data_lane(size_t transfer)
{
	return transfer < TL_DATA_LANES ? transfer : TL_DATA_LANES - 1;
}

static double lane_y(size_t lane)
{
	/* Lane 0 is the control connection, then the data lanes. */
	return lane == 0 ? TL_CONTROL_Y :
			   TL_CONTROL_Y + 30 + TL_ROWS * TL_ROW_HEIGHT + 8 +
				   (double)lane * TL_LANE_HEIGHT;
}

static void draw_gaps(FILE *out, const struct scale *sc, const struct fst_session_result *r,
		      size_t lanes)
{
	for (size_t i = 0; i < r->gap_count; i++) {
		const struct fst_gap *g = &r->gaps[i];
		size_t lane = g->channel == FST_CHANNEL_CONTROL ? 0 :
			      g->transfer_id ? 1 + data_lane((size_t)g->transfer_id - 1) :
					       lanes;
		double x1 = x_of(sc, g->start_us), x2 = x_of(sc, g->end_us);
		bool decisive = i == r->decisive_gap_index;
		double w = x2 - x1 < 2 ? 2 : x2 - x1, y = lane_y(lane);
		char words[96];

		if (lane >= lanes || g->transfer_id > r->session->transfer_count)
			continue;
		snprintf(words, sizeof(words), "%s %.1f s", report_wait_words(g->waiting_on),
			 report_seconds(g->start_us, g->end_us));
		fprintf(out,
			"<rect class=\"gap%s\" data-waiting-on=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			"<title>%s, from +%.3f s to +%.3f s</title></rect>\n",
			decisive ? " decisive" : "", fst_wait_name(g->waiting_on), x1, y - 10, w,
			20, wait_fill(g->waiting_on), words,
			report_seconds(r->session->start_us, g->start_us),
			report_seconds(r->session->start_us, g->end_us));
		/* Labelled when it fits, the decisive gap always. */
		if (decisive || (double)strlen(words) * CHAR_PX + 8 < w)
			fprintf(out,
				"<text class=\"gap-label%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
				decisive ? " decisive" : "", x1 + w / 2, y + 4, words);
	}
}

static void draw_data(FILE *out, const struct scale *sc, const struct fst_session_result *r,
		      const struct report_event *events, size_t count)
{
	const struct fst_ftp_session *s = r->session;

	for (size_t i = 0; i < count; i++) {
		const struct report_event *ev = &events[i];
		const struct fst_ftp_transfer *t;
		double x1, x2, y, secs;
		char label[96], lost[48] = "";

		if (ev->kind != REPORT_EVENT_DATA)
			continue;
		t = &s->transfers[ev->transfer];
		x1 = x_of(sc, t->start_us);
		x2 = x_of(sc, t->end_us);
		y = lane_y(1 + data_lane(ev->transfer));
		if (t->gap_bytes)
			snprintf(lost, sizeof(lost), ", %llu B lost by the capture",
				 (unsigned long long)t->gap_bytes);
		secs = report_seconds(t->start_us, t->end_us);
		/* A short transfer in milliseconds: "0.000 s" would say nothing. */
		if (secs < 0.0001)
			snprintf(label, sizeof(label), "%llu B in < 0.1 ms%s",
				 (unsigned long long)t->bytes, lost);
		else
			snprintf(label, sizeof(label),
				 secs < 1 ? "%llu B in %.1f ms%s" : "%llu B in %.1f s%s",
				 (unsigned long long)t->bytes, secs < 1 ? secs * 1000 : secs, lost);
		fprintf(out,
			"<rect class=\"data%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\"><title>",
			t->gap_bytes ? " lossy" : "", x1, y - 5, x2 - x1 < 3 ? 3 : x2 - x1);
		fst_report_html_text(out, ev->text + ev->label_at);
		fputs("</title></rect>\n", out);
		draw_label(out, "data-label", x2 + 4, y + 4, (double)strlen(label) * CHAR_PX,
			   label);
	}
}

static void draw_close(FILE *out, const struct scale *sc, const struct fst_session_result *r,
		       const struct report_event *events, size_t count, double bottom)
{
	struct row top = { .n = 0 };

	for (size_t i = 0; i < count; i++) {
		const struct report_event *ev = &events[i];
		double x, w;
		char label[64];

		if (ev->kind != REPORT_EVENT_CLOSE && ev->kind != REPORT_EVENT_RESET)
			continue;
		x = x_of(sc, ev->ts_us);
		if (ev->kind == REPORT_EVENT_CLOSE)
			snprintf(label, sizeof(label), "%s closed (%s)",
				 fst_close_by_name(ev->close_by), report_close_how(&r->close));
		else
			snprintf(label, sizeof(label), "server reset (RST)");
		w = (double)strlen(label) * CHAR_PX;
		fprintf(out,
			"<g class=\"%s\"><line class=\"%s\" x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"%.1f\"/>",
			ev->kind == REPORT_EVENT_CLOSE ? "close-mark" : "reset-mark",
			ev->kind == REPORT_EVENT_CLOSE ? "close" : "reset", x, x, bottom);
		/* The close's label ends at its line; a later reset's starts there. */
		if (!row_free(&top, x - w - 3, x) && row_free(&top, x + 3, x + 3 + w)) {
			row_take(&top, x + 3, x + 3 + w);
			fprintf(out,
				"<text class=\"close-label\" x=\"%.1f\" y=\"12\">%s</text></g>\n",
				x + 3, label);
		} else {
			double from = x - w - 3 < 2 ? 2 : x - w - 3;

			row_take(&top, from, from + w);
			fprintf(out,
				"<text class=\"close-label\" x=\"%.1f\" y=\"12\">%s</text></g>\n",
				from, label);
		}
	}
}

/* The text alternative: what the drawing shows, in sentences. */
static void timeline_desc(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_gap *g = fst_session_decisive_gap(r);
	const struct fst_close_info *c = &r->close;
	char words[FST_WORDS_MAX];

	fprintf(out, "<desc>%zu commands, %zu replies and %zu transfers over %.3f s. ",
		s->command_count, s->reply_count, s->transfer_count,
		report_seconds(s->start_us, s->end_us ? s->end_us : s->last_us));
	if (g)
		fprintf(out, "Decisive gap: %s %.1f s, from +%.3f s to +%.3f s. ",
			report_wait_words(g->waiting_on), report_seconds(g->start_us, g->end_us),
			report_seconds(s->start_us, g->start_us),
			report_seconds(s->start_us, g->end_us));
	if (c->reply_code) {
		fprintf(out, "Closing reply: %d ", c->reply_code);
		fst_report_html_text(out, c->reply_text);
		fputs(". ", out);
	}
	if (c->by != FST_CLOSE_BY_NONE)
		fprintf(out, "Close: %s %s at +%.3f s. ", fst_close_by_name(c->by),
			report_close_how(c), report_seconds(s->start_us, c->ts_us));
	fst_words_summary(r, words, sizeof(words));
	fst_report_html_text(out, words);
	fputs("</desc>\n", out);
}

void report_svg_timeline(FILE *out, const struct fst_session_result *r,
			 const struct report_event *events, size_t count)
{
	const struct fst_ftp_session *s = r->session;
	size_t transfers = s->transfer_count < TL_DATA_LANES ? s->transfer_count : TL_DATA_LANES;
	size_t lanes = 1 + transfers;
	struct scale sc = { .start_us = s->start_us, .end_us = s->end_us ? s->end_us : s->last_us };
	double axis_y = lane_y(lanes - 1) + (lanes > 1 ? 26 : 30 + TL_ROWS * TL_ROW_HEIGHT + 8);
	double height = axis_y + 34;
	unsigned long long id = (unsigned long long)s->id;

	if (sc.end_us <= sc.start_us)
		sc.end_us = sc.start_us + 1000;
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" role=\"img\" aria-labelledby=\"tl%llu-t tl%llu-d\">\n"
		"<title id=\"tl%llu-t\">Timeline of session %llu</title>\n",
		TL_WIDTH, height, TL_WIDTH, height, id, id, id, id);
	fprintf(out, "<g id=\"tl%llu-d\">", id);
	timeline_desc(out, r);
	fputs("</g>\n", out);
	fputs("<defs><pattern id=\"loss\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/>"
	      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#707070\" stroke-width=\"2\"/>"
	      "</pattern></defs>\n",
	      out);
	for (size_t lane = 0; lane < lanes; lane++) {
		double y = lane_y(lane);

		/* A data lane's line is faint: only its bar is the connection. */
		fprintf(out,
			"<line class=\"lane%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
			lane ? " data-lane" : "", TL_LEFT, y, TL_WIDTH - TL_RIGHT, y);
		if (lane == 0) {
			fprintf(out,
				"<text class=\"lane\" x=\"4\" y=\"%.1f\">commands &#8593;</text>"
				"<text class=\"lane\" x=\"4\" y=\"%.1f\">control</text>"
				"<text class=\"lane\" x=\"4\" y=\"%.1f\">replies &#8595;</text>\n",
				y - 14, y + 4, y + 22);
		} else {
			const struct fst_ftp_transfer *t = &s->transfers[lane - 1];

			if (lane == TL_DATA_LANES && s->transfer_count > TL_DATA_LANES)
				fprintf(out,
					"<text class=\"lane\" x=\"4\" y=\"%.1f\">data %zu-%zu</text>\n",
					y + 4, lane, s->transfer_count);
			else
				fprintf(out,
					"<text class=\"lane\" x=\"4\" y=\"%.1f\">data %zu %s</text>\n",
					y + 4, lane, fst_ftp_verb_info(t->verb)->name);
		}
	}
	draw_gaps(out, &sc, r, lanes);
	draw_data(out, &sc, r, events, count);
	for (size_t i = 0; i < count; i++) {
		const struct report_event *ev = &events[i];
		bool up = ev->kind == REPORT_EVENT_COMMAND;

		if (!up && ev->kind != REPORT_EVENT_REPLY)
			continue;
		fprintf(out,
			"<line class=\"tick %s%s\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"><title>",
			up ? "cmd" : "reply", !up && ev->code >= 400 ? " error" : "",
			x_of(&sc, ev->ts_us), TL_CONTROL_Y, x_of(&sc, ev->ts_us),
			TL_CONTROL_Y + (up ? -12 : 12));
		fst_report_html_text(out, ev->text);
		fputs("</title></line>\n", out);
	}
	draw_control_labels(out, &sc, events, count);
	draw_close(out, &sc, r, events, count, axis_y);
	draw_axis(out, &sc, axis_y);
	fputs("</svg>\n", out);
}

void report_svg_ladder(FILE *out, const struct fst_session_result *r, const struct report_ladder *l)
{
	unsigned long long id = (unsigned long long)r->session->id;
	double height = 44, y;
	double col_x[LADDER_COLUMNS_MAX];

	for (size_t i = 0; i < l->step_count; i++)
		height += LADDER_STEP + (l->steps[i].idle_words[0] ? LADDER_BREAK : 0);
	height += 10;
	for (size_t c = 0; c < l->column_count; c++)
		col_x[c] = LADDER_LEFT_X +
			   (l->column_count > 1 ? (double)c / (double)(l->column_count - 1) : 0) *
				   (LADDER_RIGHT_X - LADDER_LEFT_X);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" role=\"img\" aria-labelledby=\"ld%llu-t\">\n"
		"<title id=\"ld%llu-t\">The last %zu events of session %llu between client and server, as a ladder; the same as the text ladder below</title>\n",
		TL_WIDTH, height, TL_WIDTH, height, id, id, l->step_count, id);
	for (size_t c = 0; c < l->column_count; c++)
		fprintf(out,
			"<text class=\"column\" x=\"%.1f\" y=\"18\" text-anchor=\"middle\">%s</text>"
			"<line class=\"lifeline\" x1=\"%.1f\" y1=\"26\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			col_x[c], l->columns[c], col_x[c], col_x[c], height - 6);
	fputs("<text class=\"lane\" x=\"4\" y=\"18\">UTC</text>"
	      "<text class=\"lane\" x=\"120\" y=\"18\">since start</text>\n",
	      out);
	y = 44;
	for (size_t i = 0; i < l->step_count; i++) {
		const struct report_ladder_step *st = &l->steps[i];
		const struct report_event *ev = st->ev;
		double x1 = col_x[st->from], x2 = col_x[st->to], dir = x2 > x1 ? 1 : -1;
		bool close = ev->kind == REPORT_EVENT_CLOSE || ev->kind == REPORT_EVENT_RESET;
		char clock[32], label[TL_DECISIVE_CHARS + 8];

		if (st->idle_words[0]) {
			fprintf(out,
				"<rect class=\"break\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>"
				"<text class=\"break-label%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
				col_x[0], y - 12, col_x[l->column_count - 1] - col_x[0],
				LADDER_BREAK - 6, st->decisive_break ? " decisive" : "",
				(col_x[0] + col_x[l->column_count - 1]) / 2, y + 2, st->idle_words);
			y += LADDER_BREAK;
		}
		fprintf(out, "<text class=\"when\" x=\"4\" y=\"%.1f\">%s</text>", y + 4,
			fst_time_format_clock(ev->ts_us, clock, sizeof(clock)));
		fprintf(out, "<text class=\"when\" x=\"120\" y=\"%.1f\">+%.6f s</text>\n", y + 4,
			report_seconds(r->session->start_us, ev->ts_us));
		fprintf(out,
			"<g class=\"step%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>",
			close	     ? " close" :
			ev->decisive ? " decisive" :
				       "",
			x1, y, x2 - dir * 2, y, x2, y, x2 - dir * 9, y - 4, x2 - dir * 9, y + 4);
		if (close)
			snprintf(label, sizeof(label), "%s %s", fst_close_by_name(ev->close_by),
				 ev->text + ev->label_at);
		else
			short_label(ev->text + ev->label_at, TL_DECISIVE_CHARS, label,
				    sizeof(label));
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x1 + x2) / 2,
			y - 5);
		fst_report_html_text(out, label);
		fputs("</text>", out);
		/* A middlebox's reset comes from neither end: a cross marks the
		 * path between them, as the text ladder's |<---X---->|. */
		if (ev->kind == REPORT_EVENT_CLOSE && ev->close_by == FST_CLOSE_BY_MIDDLEBOX)
			fprintf(out,
				"<path class=\"middlebox\" d=\"M%.1f %.1fl10 10m0 -10l-10 10\"/>",
				(x1 + x2) / 2 - 5, y - 5);
		fputs("</g>\n", out);
		y += LADDER_STEP;
	}
	fputs("</svg>\n", out);
}
