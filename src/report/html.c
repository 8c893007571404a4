/* The HTML report: one self-contained page (no scripts, fonts or
 * external CSS) with a summary table and, per incident, an inline SVG
 * timeline: the control and data channels as lanes, commands and
 * replies as ticks, gaps shaded by the side that owed the move, the
 * close marked. All network text is HTML-escaped. */
#include "internal.h"

#include <string.h>

enum {
	SVG_WIDTH = 960,
	SVG_LEFT = 90,
	SVG_RIGHT = 20,
	LANE_HEIGHT = 34,
	SVG_TOP = 30
};

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

static const char *wait_color(enum fst_wait wait)
{
	switch (wait) {
	case FST_WAIT_CLIENT:
		return "#f0a030";
	case FST_WAIT_SERVER:
		return "#d04040";
	case FST_WAIT_RECEIVER:
		return "#a06030";
	case FST_WAIT_NETWORK:
		return "#8050c0";
	case FST_WAIT_CAPTURE:
		return "#909090";
	case FST_WAIT_NONE:
	case FST_WAIT_COUNT:
		break;
	}
	return "#c8d8e8";
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
	return SVG_LEFT + frac * (SVG_WIDTH - SVG_LEFT - SVG_RIGHT);
}

static double lane_y(size_t lane)
{
	return SVG_TOP + (double)lane * LANE_HEIGHT;
}

static void svg_tick(FILE *out, const struct scale *sc, int64_t ts_us, double y, bool up,
		     const char *color, const char *label, const char *text, bool cut)
{
	double x = x_of(sc, ts_us);

	fprintf(out,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"><title>",
		x, y, x, up ? y - 10 : y + 10, color);
	fst_report_html_text(out, label);
	fputc(' ', out);
	fst_report_html_text(out, text);
	fst_report_html_text(out, report_cut(cut));
	fputs("</title></line>\n", out);
}

static void write_svg(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	size_t lanes = 1 + s->transfer_count;
	struct scale sc = { .start_us = s->start_us, .end_us = s->end_us ? s->end_us : s->last_us };
	double height = SVG_TOP + (double)lanes * LANE_HEIGHT + 20;
	char label[64];

	if (sc.end_us <= sc.start_us)
		sc.end_us = sc.start_us + 1;
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" role=\"img\" aria-label=\"session %llu timeline\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height, (unsigned long long)s->id);
	/* Gaps and the close first, so ticks draw over them. */
	for (size_t i = 0; i < r->gap_count; i++) {
		const struct fst_gap *g = &r->gaps[i];
		size_t lane = g->channel == FST_CHANNEL_CONTROL ? 0 : (size_t)g->transfer_id;
		double x1 = x_of(&sc, g->start_us), x2 = x_of(&sc, g->end_us);

		if (lane >= lanes) /* its transfer was past the record cap */
			continue;
		fprintf(out,
			"<rect class=\"gap\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\" opacity=\"0.55\">"
			"<title>idle %.3f s, waiting on %s</title></rect>\n",
			x1, lane_y(lane) - 10, x2 - x1 < 1 ? 1 : x2 - x1, wait_color(g->waiting_on),
			report_seconds(g->start_us, g->end_us), fst_wait_name(g->waiting_on));
	}
	if (c->by != FST_CLOSE_BY_NONE) {
		double x = x_of(&sc, c->ts_us);

		fprintf(out,
			"<line class=\"close\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00000\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>\n",
			x, SVG_TOP - 20, x, height - 10);
		fprintf(out,
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#c00000\" text-anchor=\"end\">%s %s</text>\n",
			x - 3, SVG_TOP - 12, fst_close_by_name(c->by), report_close_how(c));
	}
	for (size_t lane = 0; lane < lanes; lane++) {
		if (lane == 0)
			snprintf(label, sizeof(label), "control");
		else
			snprintf(label, sizeof(label), "data %zu %s", lane,
				 fst_ftp_verb_info(s->transfers[lane - 1].verb)->name);
		fprintf(out, "<text x=\"4\" y=\"%.1f\" font-size=\"11\">%s</text>\n",
			lane_y(lane) + 4, label);
		fprintf(out,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#556\" stroke-width=\"1\"/>\n",
			SVG_LEFT, lane_y(lane), SVG_WIDTH - SVG_RIGHT, lane_y(lane));
	}
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *cmd = &s->commands[i];

		svg_tick(out, &sc, cmd->ts_us, lane_y(0), true, "#2060c0",
			 report_verb_text(&cmd->cmd), cmd->cmd.arg, cmd->cmd.arg_truncated);
	}
	for (size_t i = 0; i < s->reply_count; i++) {
		char code[8];

		snprintf(code, sizeof(code), "%d", s->replies[i].code);
		svg_tick(out, &sc, s->replies[i].ts_us, lane_y(0), false,
			 s->replies[i].code >= 400 ? "#c02020" : "#208040", code,
			 s->replies[i].text, s->replies[i].text_truncated);
	}
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		double x1, x2;

		if (!t->start_us)
			continue;
		x1 = x_of(&sc, t->start_us);
		x2 = x_of(&sc, t->end_us);
		fprintf(out,
			"<rect class=\"data\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" fill=\"#3080d0\">"
			"<title>%llu bytes, %s</title></rect>\n",
			x1, lane_y(i + 1) - 4, x2 - x1 < 2 ? 2 : x2 - x1,
			(unsigned long long)t->bytes, fst_transfer_outcome_name(t->outcome));
	}
	if (c->reset_after_write) {
		double x = x_of(&sc, c->reset_ts_us);

		fprintf(out,
			"<line class=\"reset\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#800000\" stroke-width=\"3\"><title>server RST after the client's write</title></line>\n",
			x, lane_y(0) - 14, x, lane_y(0) + 14);
	}
	fprintf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\">+0 s</text>\n", SVG_LEFT,
		height - 2);
	fprintf(out,
		"<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">+%.3f s</text>\n",
		SVG_WIDTH - SVG_RIGHT, height - 2, report_seconds(sc.start_us, sc.end_us));
	fputs("</svg>\n", out);
}

static void write_row(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], when[40], words[FST_WORDS_MAX];

	fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client));
	fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server));
	fprintf(out, "<tr class=\"%s\"><td>%llu</td><td>%s</td><td>",
		fst_verdict_is_incident(r->verdict) ? "incident" : "ok", (unsigned long long)s->id,
		fst_verdict_name(r->verdict));
	fst_report_html_text(out, client);
	fputs("</td><td>", out);
	fst_report_html_text(out, server);
	fputs("</td><td>", out);
	fst_report_html_text(out, s->user_name);
	fst_report_html_text(out, report_cut(s->user_name_truncated));
	fprintf(out, "</td><td>%s</td><td>", fst_time_format_iso(s->start_us, when, sizeof(when)));
	fst_words_summary(r, words, sizeof(words));
	fst_report_html_text(out, words);
	/* An incident's notes are in its section; the others' are here. */
	for (int note = 0; note < FST_NOTE_COUNT && !fst_verdict_is_incident(r->verdict); note++)
		if (r->capture_notes & FST_NOTE_BIT(note)) {
			fputs(" Note: ", out);
			fst_report_html_text(out,
					     fst_words_capture_note((enum fst_capture_note)note));
			fputs(".", out);
		}
	fputs("</td></tr>\n", out);
}

static void write_incident(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char words[FST_WORDS_MAX];

	fprintf(out,
		"<section class=\"incident\" id=\"session-%llu\">\n<h2>Session %llu: %s (stalled: %s)</h2>\n",
		(unsigned long long)s->id, (unsigned long long)s->id, fst_verdict_name(r->verdict),
		fst_stalled_side_name(r->stalled_side));
	fputs("<p>", out);
	fst_words_summary(r, words, sizeof(words));
	fst_report_html_text(out, words);
	fputs("</p>\n", out);
	if (fst_words_recommendation(r, words, sizeof(words))) {
		fputs("<p><b>What to change:</b> ", out);
		fst_report_html_text(out, words);
		fputs("</p>\n", out);
	}
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note)) {
			fputs("<p class=\"note\">Note: ", out);
			fst_report_html_text(out,
					     fst_words_capture_note((enum fst_capture_note)note));
			fputs("</p>\n", out);
		}
	if (r->recovered_by) {
		fprintf(out,
			r->recovered_probable ?
				"<p>Probably recovered by session %llu, reconnected %.1f s later" :
				"<p>Recovered: session %llu reconnected %.1f s later",
			(unsigned long long)r->recovered_by, r->recovered_after_s);
		if (r->resumed)
			fprintf(out, " and resumed at offset %llu with %s",
				(unsigned long long)r->resume_offset,
				fst_ftp_verb_info(r->resume_verb)->name);
		fputs(".</p>\n", out);
		if (r->truncated_reupload)
			fputs("<p><b>Warning:</b> the file was sent again from the start or with fewer bytes than the failed attempt; the server may hold a truncated file.</p>\n",
			      out);
	}
	write_svg(out, r);
	fputs("<p class=\"legend\">Shading: <span style=\"background:#f0a030\">client owed</span> "
	      "<span style=\"background:#d04040\">server owed</span> <span style=\"background:#a06030\">receiver (zero window)</span> "
	      "<span style=\"background:#8050c0\">network</span> "
	      "<span style=\"background:#909090\">capture loss</span> <span style=\"background:#c8d8e8\">nobody</span>; "
	      "ticks above the line are commands, below are replies.</p>\n</section>\n",
	      out);
}

int report_write_html(FILE *out, const struct fst_report_input *in)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>ftpstall report</title>\n"
	      "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:left}"
	      "td:nth-child(6){white-space:nowrap}"
	      "tr.incident td:nth-child(2){color:#b00;font-weight:bold}svg.timeline{background:#fafafa;border:1px solid #ddd}"
	      ".legend span{padding:0 4px}</style></head><body>\n<h1>ftpstall report</h1>\n<p>Source: ",
	      out);
	fst_report_html_text(out, in->source);
	if (in->interrupted) {
		char words[128];

		fst_report_interrupted_words(in, words, sizeof(words));
		fprintf(out,
			"</p>\n<p><strong>INCOMPLETE</strong>: %s; later packets are not in "
			"this report",
			words);
	}
	fprintf(out,
		" &middot; ftpstall %s</p>\n<table><tr><th>session</th><th>verdict</th><th>client</th>"
		"<th>server</th><th>user</th><th>start (UTC)</th><th>summary</th></tr>\n",
		in->version);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		write_row(out, r);
	fputs("</table>\n", out);
	if (!in->ftp_stats->sessions) {
		char words[FST_WORDS_MAX];

		fst_words_no_ftp(in, words, sizeof(words));
		fputs("<p class=\"no-ftp\">", out);
		fst_report_html_text(out, words);
		fputs("</p>\n", out);
	}
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		if (fst_verdict_is_incident(r->verdict))
			write_incident(out, r);
	fputs("</body></html>\n", out);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
