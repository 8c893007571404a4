/* The HTML report: one self-contained page (no scripts, fonts, images or
 * external CSS) for readers who did not run ftpstall. At its top the
 * headline (sessions, incidents, counts by verdict in plain words), the
 * top recommendation, the servers' timeouts and the capture's quality;
 * then the incidents grouped by verdict and server, each with its
 * summary, what to change, its recovery, a timeline and a ladder of its
 * last seconds (svg.c); then the sessions without incident, collapsed
 * into counts; the capture statistics; a glossary. Prints with a page
 * per incident. All network text is HTML-escaped. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
	LISTED_MAX = 100,     /* more sessions without incident: their list is folded */
	OTHER_GROUPS_MAX = 64 /* groups of them by verdict and server */
};

static const char style[] =
	"body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:1.5em auto;max-width:1000px;"
	"padding:0 1em;color:#1a1a1a;line-height:1.4;background:#fff}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #333;margin-top:1.6em}"
	"h3.group{background:#f3f3f3;padding:4px 8px;border-left:6px solid #a00000}"
	".headline{font-size:1.35em;margin:.4em 0}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #b0b0b0;padding:3px 7px;font-size:13px;text-align:left;"
	"vertical-align:top}th{background:#eee}td.num{text-align:right;font-weight:bold}"
	"tr.incident td.what{color:#a00000;font-weight:bold}"
	".alert{border:2px solid #a00000;padding:6px}.top-rec{border-left:6px solid #1f4e9c;"
	"padding:6px 10px;background:#eef3fb}"
	"article.incident{border-top:3px solid #a00000;margin-top:1.5em;padding-top:.3em}"
	"p.terms{color:#444;font-size:13px}p.note{color:#5a3d00}"
	"figure{margin:.8em 0}figcaption{font-size:12px;color:#333;margin-top:3px}"
	"pre{font-size:12px;background:#f6f6f6;padding:6px;overflow-x:auto}"
	"svg{display:block;max-width:100%;height:auto;background:#fff;border:1px solid #bbb}"
	"svg text{font:11px 'DejaVu Sans Mono',monospace;fill:#1a1a1a}"
	"svg text.lane{fill:#333}svg line.lane{stroke:#556;stroke-width:1}"
	"svg line.data-lane{stroke:#bbb;stroke-dasharray:2 4}"
	"line.tick{stroke-width:2}line.tick.cmd{stroke:#1f4e9c}line.tick.reply{stroke:#1d6b38}"
	"line.tick.error{stroke:#b00000}line.leader{stroke:#999;stroke-width:.6}"
	"svg text.decisive{font-weight:bold}svg text.closing-reply{fill:#a00000}"
	"svg text.more{fill:#555;font-style:italic}"
	"rect.gap{opacity:.9}rect.gap.decisive{stroke:#1a1a1a;stroke-width:1.5;"
	"stroke-dasharray:5 3}svg text.gap-label{fill:#1a1a1a}svg text.gap-label.decisive{"
	"font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px}"
	"rect.data{fill:#2f6db5}rect.data.lossy{fill:#707070}svg text.data-label{fill:#1a1a1a}"
	"line.close{stroke:#a00000;stroke-width:2;stroke-dasharray:6 3}"
	"line.reset{stroke:#600000;stroke-width:2;stroke-dasharray:2 2}"
	"svg text.close-label{fill:#a00000;font-weight:bold}"
	"line.axis,.axis-tick line{stroke:#333}svg text.offset{fill:#444}"
	".ladder line.lifeline{stroke:#333;stroke-width:2}.ladder .step line{stroke:#1f4e9c;"
	"stroke-width:1.5}.ladder .step polygon{fill:#1f4e9c}.ladder .step.close line{"
	"stroke:#a00000;stroke-width:2.5}.ladder .step.close polygon{fill:#a00000}"
	".ladder .step.close text,.ladder .step.decisive text{font-weight:bold}"
	".ladder path.middlebox{stroke:#a00000;stroke-width:3}.ladder rect.break{fill:#fdebc8}.ladder text.break-label.decisive{font-weight:bold}"
	".ladder text.column{font-size:13px;font-weight:bold}.ladder text.when{fill:#333}"
	"dt{font-weight:bold;margin-top:.4em}"
	"@media print{body{max-width:none;margin:0;padding:0}article.incident,h3.group{"
	"break-before:page}h3.group+article.incident{break-before:auto}h3.group{"
	"break-after:avoid}figure{break-inside:avoid}pre.ladder-text{display:none}"
	"svg{border:none}pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}}";

/* report_line_fn that writes one <li>. */
static void put_li(void *ctx, const char *line)
{
	FILE *out = ctx;

	fputs("<li>", out);
	fst_report_html_text(out, line);
	fputs("</li>\n", out);
}

/* report_line_fn that writes a line of a <pre>. */
static void put_pre_line(void *ctx, const char *line)
{
	FILE *out = ctx;

	fst_report_html_text(out, line);
	fputc('\n', out);
}

/* The account's lines (report_account) as HTML list items: an
 * incident's facts, the paths, the capture statistics. The headings and
 * the text timeline are the page's own. */
static void put_account(void *ctx, enum report_line kind, const char *line)
{
	switch (kind) {
	case REPORT_ITEM:
	case REPORT_PARA:
	case REPORT_ALERT:
		put_li(ctx, line);
		break;
	case REPORT_HEADING:
	case REPORT_CODE:
	case REPORT_BLANK:
		break;
	}
}

static void write_headline(FILE *out, const struct fst_report_input *in,
			   const struct report_overview *o)
{
	fprintf(out,
		"<section id=\"summary\">\n<p class=\"headline\" data-sessions=\"%u\" "
		"data-incidents=\"%u\"><strong>%u FTP session%s, %u incident%s</strong></p>\n",
		o->sessions, o->incidents, o->sessions, o->sessions == 1 ? "" : "s", o->incidents,
		o->incidents == 1 ? "" : "s");
	if (!in->ftp_stats->sessions) {
		char words[FST_WORDS_MAX];

		fst_words_no_ftp(in, words, sizeof(words));
		fputs("<p class=\"no-ftp\">", out);
		fst_report_html_text(out, words);
		fputs("</p>\n", out);
	}
	if (o->sessions) {
		fputs("<table class=\"verdicts\"><tr><th>sessions</th><th>what happened</th>"
		      "<th>verdict</th></tr>\n",
		      out);
		/* Incidents first, then the rest. */
		for (int incident = 1; incident >= 0; incident--)
			for (int v = 0; v < FST_VERDICT_COUNT; v++)
				if (o->counts[v] &&
				    fst_verdict_is_incident((enum fst_verdict)v) == (bool)incident)
					fprintf(out,
						"<tr class=\"%s\" data-verdict=\"%s\" data-count=\"%u\">"
						"<td class=\"num\">%u</td><td class=\"what\">%s%s</td>"
						"<td><code>%s</code></td></tr>\n",
						incident ? "incident" : "ok",
						fst_verdict_name((enum fst_verdict)v), o->counts[v],
						o->counts[v], incident ? "Incident: " : "",
						report_verdict_words((enum fst_verdict)v),
						fst_verdict_name((enum fst_verdict)v));
		fputs("</table>\n", out);
	}
	if (o->incident_count) {
		const struct fst_session_result *top = o->incident_order[0];
		char words[FST_WORDS_MAX], server[64];
		size_t group = report_group_size(o, 0, server, sizeof(server));

		if (fst_words_recommendation(top, words, sizeof(words))) {
			fprintf(out,
				"<p class=\"top-rec\"><strong>Top recommendation</strong> (for the %zu "
				"session%s where %s, server %s): ",
				group, group == 1 ? "" : "s", report_verdict_words(top->verdict),
				server);
			fst_report_html_text(out, words);
			fputs("</p>\n", out);
		}
	}
	fputs("</section>\n", out);
}

static void write_servers(FILE *out, const struct fst_report_input *in)
{
	struct report_account a = { .put = put_account, .ctx = out };
	char server[64];

	if (!fst_analysis_servers(in->analysis))
		return;
	fputs("<h2>Servers</h2>\n<table class=\"servers\"><tr><th>server</th><th>software</th>"
	      "<th>idle timeout (closes a session idle this long)</th><th>longest idle tolerated</th>"
	      "<th>data timeout</th></tr>\n",
	      out);
	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next) {
		fputs("<tr><td>", out);
		fst_report_html_text(out, fst_endpoint_format(&e->addr, e->port, server,
							      sizeof(server)));
		fprintf(out, "</td><td>%s</td><td>", e->software ? e->software : "not recognised");
		if (e->observations)
			fprintf(out, "about %.1f s (seen closing %u idle session%s, spread %.1f s)",
				e->idle_timeout_s, e->observations, e->observations == 1 ? "" : "s",
				e->spread_s);
		else if (e->stated_idle_s > 0)
			fprintf(out, "%d s (stated in its greeting)", e->stated_idle_s);
		else
			fputs("not observed", out);
		if (e->observations && e->stated_idle_s > 0)
			fprintf(out, "; its greeting states %d s", e->stated_idle_s);
		fputs("</td><td>", out);
		if (e->longest_survived_s > 0)
			fprintf(out, "tolerated an idle of %.1f s", e->longest_survived_s);
		else
			fputs("&#8212;", out);
		fputs("</td><td>", out);
		if (e->data_observations)
			fprintf(out, "about %.1f s (%u stalled transfer%s closed)",
				e->data_timeout_s, e->data_observations,
				e->data_observations == 1 ? "" : "s");
		else
			fputs("not observed", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (fst_analysis_paths(in->analysis)) {
		fputs("<p>Paths through a firewall or NAT (what the sessions bound of its idle "
		      "timeout):</p>\n<ul class=\"paths\">\n",
		      out);
		report_account_paths(&a, in);
		fputs("</ul>\n", out);
	}
}

static void write_quality(FILE *out, const struct fst_report_input *in)
{
	fputs("<h2>Capture quality</h2>\n<ul class=\"quality\">\n", out);
	report_quality(in, put_li, out);
	fputs("</ul>\n", out);
}

static void write_recovery(FILE *out, const struct fst_session_result *r)
{
	fputs("<p class=\"recovery\"><strong>Recovery:</strong> ", out);
	if (!r->recovered_by) {
		fputs("no reconnect of this client to this server followed in the capture.</p>\n",
		      out);
		return;
	}
	fprintf(out,
		r->recovered_probable ?
			"Probably recovered by session %llu, reconnected %.1f s later" :
			"Recovered: session %llu reconnected %.1f s later",
		(unsigned long long)r->recovered_by, r->recovered_after_s);
	if (r->resumed)
		fprintf(out, " and resumed at offset %llu with %s",
			(unsigned long long)r->resume_offset,
			fst_ftp_verb_info(r->resume_verb)->name);
	else
		fputs(" (it did not resume a transfer)", out);
	fputs(".</p>\n", out);
	if (r->truncated_reupload)
		fputs("<p><strong>Warning:</strong> the file was sent again from the start or with fewer "
		      "bytes than the failed attempt; the server may hold a truncated file.</p>\n",
		      out);
}

static void write_terms(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], when[40];

	fprintf(out,
		"<p class=\"terms\">Verdict <code>%s</code> &middot; stalled side: %s &middot; ",
		fst_verdict_name(r->verdict), fst_stalled_side_name(r->stalled_side));
	fst_report_html_text(out, fst_endpoint_format(&s->client_addr, s->client_port, client,
						      sizeof(client)));
	fputs(" &#8594; ", out);
	fst_report_html_text(out, fst_endpoint_format(&s->server_addr, s->server_port, server,
						      sizeof(server)));
	if (s->software)
		fprintf(out, " &middot; %s", s->software);
	if (s->user_name[0]) {
		fputs(" &middot; user ", out);
		fst_report_html_text(out, s->user_name);
		fst_report_html_text(out, report_cut(s->user_name_truncated));
	}
	fprintf(out, " &middot; started %s UTC</p>\n",
		fst_time_format(s->start_us, when, sizeof(when)));
}

static void write_incident(FILE *out, const struct fst_report_input *in,
			   const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	struct report_account a = { .put = put_account, .ctx = out, .skip_advice = true };
	unsigned long long id = (unsigned long long)s->id;
	struct report_ladder ladder;
	struct report_event *events;
	char words[FST_WORDS_MAX];
	size_t count;

	fprintf(out,
		"<article class=\"incident\" id=\"session-%llu\" data-verdict=\"%s\">\n"
		"<h4>Session %llu: %s</h4>\n",
		id, fst_verdict_name(r->verdict), id, report_verdict_words(r->verdict));
	write_terms(out, r);
	fputs("<p class=\"summary\">", out);
	fst_words_summary(r, words, sizeof(words));
	fst_report_html_text(out, words);
	fputs("</p>\n", out);
	if (fst_words_recommendation(r, words, sizeof(words))) {
		fputs("<p class=\"change\"><strong>What to change:</strong> ", out);
		fst_report_html_text(out, words);
		fputs("</p>\n", out);
	}
	write_recovery(out, r);
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note)) {
			fputs("<p class=\"note\">Note: ", out);
			fst_report_html_text(out,
					     fst_words_capture_note((enum fst_capture_note)note));
			fputs("</p>\n", out);
		}
	events = report_events(r, &count);
	if (events) {
		fputs("<figure>\n", out);
		report_svg_timeline(out, r, events, count);
		fputs("<figcaption>Timeline, left to right (UTC clock times and seconds since the "
		      "session began). Commands above the control line, replies below; shaded "
		      "spans are silences, labelled with whom they waited on (the decisive one "
		      "framed and in bold); hatched: bytes the capture lost; blue bars: data "
		      "connections with their bytes; dashed red line: the close.</figcaption>\n"
		      "</figure>\n",
		      out);
		report_ladder_make(&ladder, r, events, count);
		fprintf(out, "<figure>\n");
		report_svg_ladder(out, r, &ladder);
		fprintf(out,
			"<figcaption>The last seconds as a ladder: who sent what to whom, in "
			"order; breaks mark silences.</figcaption>\n<pre class=\"ladder-text\" "
			"id=\"ladder-%llu\">",
			id);
		report_ladder_text(&ladder, r, put_pre_line, out);
		fputs("</pre>\n</figure>\n", out);
	}
	fputs("<details><summary>All facts and every event of this session</summary>\n<ul>\n", out);
	report_account_incident(&a, in, r);
	fputs("</ul>\n<pre class=\"events\">", out);
	report_timeline(r, put_pre_line, out);
	fputs("</pre>\n</details>\n</article>\n", out);
	free(events);
}

static void write_incidents(FILE *out, const struct fst_report_input *in,
			    const struct report_overview *o)
{
	if (!o->incidents)
		return;
	fprintf(out, "<section id=\"incidents\">\n<h2>Incidents (%u)</h2>\n", o->incidents);
	for (size_t i = 0; i < o->incident_count; i++) {
		const struct fst_session_result *r = o->incident_order[i];

		if (i == 0 || !report_same_group(o->incident_order[i - 1], r)) {
			char server[64];
			size_t group = report_group_size(o, i, server, sizeof(server));

			fprintf(out,
				"<h3 class=\"group\">%zu &#215; %s (<code>%s</code>) at server ",
				group, report_verdict_words(r->verdict),
				fst_verdict_name(r->verdict));
			fst_report_html_text(out, server);
			if (r->session->software)
				fprintf(out, " (%s)", r->session->software);
			fputs("</h3>\n", out);
		}
		write_incident(out, in, r);
	}
	fputs("</section>\n", out);
}

static void write_row(FILE *out, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], when[40], words[FST_WORDS_MAX];

	fprintf(out, "<tr><td>%llu</td><td>%s</td><td>", (unsigned long long)s->id,
		fst_verdict_name(r->verdict));
	fst_report_html_text(out, fst_endpoint_format(&s->client_addr, s->client_port, client,
						      sizeof(client)));
	fputs("</td><td>", out);
	fst_report_html_text(out, fst_endpoint_format(&s->server_addr, s->server_port, server,
						      sizeof(server)));
	fputs("</td><td>", out);
	fst_report_html_text(out, s->user_name);
	fst_report_html_text(out, report_cut(s->user_name_truncated));
	fprintf(out, "</td><td>%s</td><td>", fst_time_format_iso(s->start_us, when, sizeof(when)));
	fst_words_summary(r, words, sizeof(words));
	fst_report_html_text(out, words);
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note)) {
			fputs(" Note: ", out);
			fst_report_html_text(out,
					     fst_words_capture_note((enum fst_capture_note)note));
			fputs(".", out);
		}
	fputs("</td></tr>\n", out);
}

/* Sessions without incident of one verdict and server. */
struct other_group {
	const struct fst_session_result *first;
	unsigned sessions;
	size_t transfers;
	unsigned noted;
	int64_t from_us, to_us;
};

static void write_others(FILE *out, const struct fst_report_input *in,
			 const struct report_overview *o)
{
	struct other_group groups[OTHER_GROUPS_MAX];
	size_t group_count = 0;
	unsigned others = o->sessions - o->incidents, ungrouped = 0;

	if (!others)
		return;
	memset(groups, 0, sizeof(groups));
	fprintf(out, "<section id=\"others\">\n<h2>Sessions without incident (%u)</h2>\n<p>",
		others);
	for (int v = 0, first = 1; v < FST_VERDICT_COUNT; v++)
		if (o->counts[v] && !fst_verdict_is_incident((enum fst_verdict)v)) {
			fprintf(out, "%s%u %s (<code>%s</code>)", first ? "" : ", ", o->counts[v],
				report_verdict_words((enum fst_verdict)v),
				fst_verdict_name((enum fst_verdict)v));
			first = 0;
		}
	fputs(".</p>\n", out);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		size_t g = 0;

		if (fst_verdict_is_incident(r->verdict))
			continue;
		while (g < group_count && !report_same_group(groups[g].first, r))
			g++;
		if (g == group_count) {
			if (group_count == OTHER_GROUPS_MAX) {
				ungrouped++;
				continue;
			}
			groups[group_count++] =
				(struct other_group){ .first = r, .from_us = r->session->start_us };
		}
		groups[g].sessions++;
		groups[g].transfers += r->session->transfer_count;
		groups[g].noted += r->capture_notes != 0;
		groups[g].to_us = r->session->start_us;
	}
	fputs("<table class=\"other-groups\"><tr><th>sessions</th><th>verdict</th><th>server</th>"
	      "<th>first start (UTC)</th><th>last start (UTC)</th><th>transfers</th>"
	      "<th>with capture notes</th></tr>\n",
	      out);
	for (size_t g = 0; g < group_count; g++) {
		char server[64], from[40], to[40];
		const struct fst_ftp_session *s = groups[g].first->session;

		fprintf(out, "<tr><td class=\"num\">%u</td><td>%s</td><td>", groups[g].sessions,
			fst_verdict_name(groups[g].first->verdict));
		fst_report_html_text(out, fst_endpoint_format(&s->server_addr, s->server_port,
							      server, sizeof(server)));
		fprintf(out, "</td><td>%s</td><td>%s</td><td>%zu</td><td>%u</td></tr>\n",
			fst_time_format(groups[g].from_us, from, sizeof(from)),
			fst_time_format(groups[g].to_us, to, sizeof(to)), groups[g].transfers,
			groups[g].noted);
	}
	if (ungrouped)
		fprintf(out,
			"<tr><td class=\"num\">%u</td><td colspan=\"6\">in further groups</td></tr>\n",
			ungrouped);
	fputs("</table>\n", out);
	if (others > LISTED_MAX)
		fprintf(out, "<details><summary>The %u sessions one by one</summary>\n", others);
	fputs("<table class=\"sessions\"><tr><th>session</th><th>verdict</th><th>client</th>"
	      "<th>server</th><th>user</th><th>start (UTC)</th><th>summary</th></tr>\n",
	      out);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		if (!fst_verdict_is_incident(r->verdict))
			write_row(out, r);
	fputs("</table>\n", out);
	if (others > LISTED_MAX)
		fputs("</details>\n", out);
	fputs("</section>\n", out);
}

static const struct {
	const char *term, *meaning;
} glossary[] = {
	{ "FIN", "a TCP packet that closes one direction of a connection politely: the sender "
		 "has nothing more to send." },
	{ "RST (reset)", "a TCP packet that tears a connection down at once; data still on its "
			 "way is lost. Sent by a peer, or forged by a firewall or NAT." },
	{ "421", "the FTP reply a server sends just before it ends a session, for example "
		 "\"421 Timeout.\" after the client stayed idle too long." },
	{ "NOOP", "an FTP command that does nothing; clients send it to keep an idle session "
		  "(and the firewalls on its path) from timing out." },
	{ "REST / APPE", "FTP commands that resume a transfer: REST sets the offset to start "
			 "from, APPE appends to a partly uploaded file." },
	{ "Stalled side", "the side whose silence led to the end of the session: client, server, "
			  "network (a firewall, NAT or the path), or unknown when the capture "
			  "cannot tell." },
	{ "Control and data connections", "FTP sends commands and replies on one TCP connection "
					  "and every file on a data connection of its own." },
	{ "Capture loss", "bytes the capturing machine never saw (not lost on the network); "
			  "ftpstall blames nobody for a silence that lost bytes." },
};

static void write_glossary(FILE *out)
{
	fputs("<section id=\"glossary\">\n<h2>Glossary</h2>\n<dl>\n", out);
	for (size_t i = 0; i < sizeof(glossary) / sizeof(glossary[0]); i++) {
		fputs("<dt>", out);
		fst_report_html_text(out, glossary[i].term);
		fputs("</dt><dd>", out);
		fst_report_html_text(out, glossary[i].meaning);
		fputs("</dd>\n", out);
	}
	fputs("</dl>\n</section>\n", out);
}

int report_write_html(FILE *out, const struct fst_report_input *in)
{
	struct report_overview o;
	struct report_account stats = { .put = put_account, .ctx = out };

	report_overview_make(&o, in);
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>ftpstall report: %u FTP session%s, %u incident%s</title>\n<style>%s</style>"
		"</head><body>\n<h1>FTP sessions: what happened</h1>\n<p class=\"source\">Source: ",
		o.sessions, o.sessions == 1 ? "" : "s", o.incidents, o.incidents == 1 ? "" : "s",
		style);
	fst_report_html_text(out, in->source);
	fprintf(out, " &middot; ftpstall %s</p>\n", in->version);
	if (in->interrupted) {
		char words[128];

		fst_report_interrupted_words(in, words, sizeof(words));
		fprintf(out,
			"<p class=\"alert\"><strong>INCOMPLETE</strong>: %s; later packets are not "
			"in this report</p>\n",
			words);
	}
	write_headline(out, in, &o);
	write_servers(out, in);
	write_quality(out, in);
	write_incidents(out, in, &o);
	write_others(out, in, &o);
	fputs("<section id=\"statistics\">\n<h2>Capture statistics</h2>\n<ul>\n", out);
	report_account_stats(&stats, in);
	fputs("</ul>\n</section>\n", out);
	write_glossary(out);
	fputs("</body></html>\n", out);
	report_overview_free(&o);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
