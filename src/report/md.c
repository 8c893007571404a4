/* The Markdown report, for tickets and chat: the HTML page's order in
 * text. The headline and counts by verdict in plain words, the top
 * recommendation, the servers, the capture's quality; the incidents
 * grouped by verdict and server, each told as the text report tells it
 * (the same words, from report_account) with a compact text ladder of
 * its last seconds in place of the full event list; the sessions without
 * incident counted; the capture statistics; a glossary. Markdown's
 * special characters in prose are escaped so that network text cannot
 * format (or link) anything. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct md {
	FILE *out;
	bool in_code; /* a fenced block is open */
	/* The incident being told: its heading says it in plain words first. */
	const struct fst_session_result *incident;
};

static void md_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_[]<>#|~&", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* In a fenced block only a run of backticks could escape it. */
static void md_code(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '`' ? '\'' : *s, out);
}

static void md_fence(struct md *m, bool code)
{
	if (m->in_code != code) {
		fputs("```\n", m->out);
		m->in_code = code;
	}
}

/* Dresses one line of the account (report_account) for Markdown:
 * incident headings "#### ", items "- ", code in a fenced block. */
static void md_put(void *ctx, enum report_line kind, const char *line)
{
	struct md *m = ctx;

	md_fence(m, kind == REPORT_CODE);
	switch (kind) {
	case REPORT_HEADING:
		if (m->incident)
			fprintf(m->out, "#### Session %llu: %s\n\n",
				(unsigned long long)m->incident->session->id,
				report_verdict_words(m->incident->verdict));
		md_escape(m->out, line);
		fputs("\n\n", m->out);
		break;
	case REPORT_PARA:
		md_escape(m->out, line);
		fputs("\n\n", m->out);
		break;
	case REPORT_ALERT:
		fputs("**", m->out);
		md_escape(m->out, line);
		fputs("**\n\n", m->out);
		break;
	case REPORT_ITEM:
		fputs("- ", m->out);
		md_escape(m->out, line);
		fputc('\n', m->out);
		break;
	case REPORT_CODE:
		md_code(m->out, line);
		fputc('\n', m->out);
		break;
	case REPORT_BLANK:
		fputc('\n', m->out);
		break;
	}
}

static void md_item(void *ctx, const char *line)
{
	md_put(ctx, REPORT_ITEM, line);
}

static void md_code_line(void *ctx, const char *line)
{
	md_put(ctx, REPORT_CODE, line);
}

/* The account's timeline hook: the ladder of the incident's last
 * seconds, as fixed-width text. */
static void md_ladder(void *ctx, const struct fst_session_result *r)
{
	struct report_ladder ladder;
	size_t count;
	struct report_event *events = report_events(r, &count);

	if (!events)
		return;
	md_put(ctx, REPORT_ITEM, "the last seconds, client on the left, server on the right:");
	report_ladder_make(&ladder, r, events, count);
	report_ladder_text(&ladder, r, md_code_line, ctx);
	md_fence(ctx, false);
	free(events);
}

static void write_headline(struct md *m, const struct fst_report_input *in,
			   const struct report_overview *o)
{
	FILE *out = m->out;

	fprintf(out, "**%u FTP session%s, %u incident%s** in ", o->sessions,
		o->sessions == 1 ? "" : "s", o->incidents, o->incidents == 1 ? "" : "s");
	md_escape(out, in->source);
	fputs("\n\n", out);
	if (!in->ftp_stats->sessions) {
		char words[FST_WORDS_MAX];

		fst_words_no_ftp(in, words, sizeof(words));
		md_put(m, REPORT_PARA, words);
	}
	for (int incident = 1; incident >= 0; incident--)
		for (int v = 0; v < FST_VERDICT_COUNT; v++)
			if (o->counts[v] &&
			    fst_verdict_is_incident((enum fst_verdict)v) == (bool)incident) {
				fprintf(out, "- %u %s: %s (", o->counts[v],
					incident ? (o->counts[v] == 1 ? "incident" : "incidents") :
						   (o->counts[v] == 1 ? "session" : "sessions"),
					report_verdict_words((enum fst_verdict)v));
				md_escape(out, fst_verdict_name((enum fst_verdict)v));
				fputs(")\n", out);
			}
	if (o->sessions)
		fputc('\n', out);
	if (o->incident_count) {
		char words[FST_WORDS_MAX];

		if (fst_words_recommendation(o->incident_order[0], words, sizeof(words))) {
			fputs("**Top recommendation:** ", out);
			md_escape(out, words);
			fputs("\n\n", out);
		}
	}
}

static void write_incidents(struct md *m, const struct fst_report_input *in,
			    const struct report_overview *o)
{
	struct report_account a = { .put = md_put, .ctx = m, .timeline = md_ladder };

	if (!o->incidents)
		return;
	fprintf(m->out, "## Incidents (%u)\n\n", o->incidents);
	for (size_t i = 0; i < o->incident_count; i++) {
		const struct fst_session_result *r = o->incident_order[i];

		if (i == 0 || !report_same_group(o->incident_order[i - 1], r)) {
			char server[64];
			size_t group = report_group_size(o, i, server, sizeof(server));

			fprintf(m->out, "### %zu x %s (", group, report_verdict_words(r->verdict));
			md_escape(m->out, fst_verdict_name(r->verdict));
			fputs(") at server ", m->out);
			md_escape(m->out, server);
			fputs("\n\n", m->out);
		}
		m->incident = r;
		report_account_incident(&a, in, r);
		m->incident = NULL;
	}
}

/* The sessions without incident, counted by verdict; listed one by one
 * only when there are few. */
static void write_others(struct md *m, const struct fst_report_input *in,
			 const struct report_overview *o)
{
	unsigned others = o->sessions - o->incidents;

	if (!others)
		return;
	fprintf(m->out, "## Sessions without incident (%u)\n\n", others);
	for (int v = 0; v < FST_VERDICT_COUNT; v++)
		if (o->counts[v] && !fst_verdict_is_incident((enum fst_verdict)v)) {
			fprintf(m->out, "- %u %s: %s (", o->counts[v],
				o->counts[v] == 1 ? "session" : "sessions",
				report_verdict_words((enum fst_verdict)v));
			md_escape(m->out, fst_verdict_name((enum fst_verdict)v));
			fputs(")\n", m->out);
		}
	fputc('\n', m->out);
	if (others > 20) {
		fputs("Listed one by one in the JSON and text reports.\n\n", m->out);
		return;
	}
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		char client[64], server[64], line[FST_WORDS_MAX + 192], words[FST_WORDS_MAX];
		const struct fst_ftp_session *s = r->session;

		if (fst_verdict_is_incident(r->verdict))
			continue;
		fst_words_summary(r, words, sizeof(words));
		snprintf(line, sizeof(line), "session %llu: %s %s -> %s: %s",
			 (unsigned long long)s->id, fst_verdict_name(r->verdict),
			 fst_endpoint_format(&s->client_addr, s->client_port, client,
					     sizeof(client)),
			 fst_endpoint_format(&s->server_addr, s->server_port, server,
					     sizeof(server)),
			 words);
		md_put(m, REPORT_ITEM, line);
		for (int note = 0; note < FST_NOTE_COUNT; note++)
			if (r->capture_notes & FST_NOTE_BIT(note)) {
				snprintf(line, sizeof(line), "session %llu note: %s",
					 (unsigned long long)s->id,
					 fst_words_capture_note((enum fst_capture_note)note));
				md_put(m, REPORT_ITEM, line);
			}
	}
	fputc('\n', m->out);
}

static const char glossary[] =
	"## Glossary\n\n"
	"- **FIN**: a TCP packet that closes one direction of a connection politely.\n"
	"- **RST** (reset): a TCP packet that tears a connection down at once; sent by a peer, or "
	"forged by a firewall or NAT.\n"
	"- **421**: the FTP reply a server sends just before it ends a session (\"421 Timeout.\").\n"
	"- **NOOP**: an FTP command that does nothing; it keeps an idle session from timing out.\n"
	"- **REST / APPE**: FTP commands that resume a transfer (from an offset; by appending).\n"
	"- **Stalled side**: the side whose silence led to the end of the session: client, server, "
	"network (a firewall, NAT or the path), or unknown.\n";

int report_write_md(FILE *out, const struct fst_report_input *in)
{
	struct md m = { .out = out };
	struct report_account a = { .put = md_put, .ctx = &m };
	struct report_overview o;

	report_overview_make(&o, in);
	fputs("# ftpstall report\n\n", out);
	if (in->interrupted) {
		char words[128], line[192];

		fst_report_interrupted_words(in, words, sizeof(words));
		snprintf(line, sizeof(line), "INCOMPLETE: %s; later packets are not in this report",
			 words);
		md_put(&m, REPORT_ALERT, line);
	}
	write_headline(&m, in, &o);
	if (fst_analysis_servers(in->analysis) || fst_analysis_paths(in->analysis)) {
		fputs("## Servers\n\n", out);
		report_account_servers(&a, in);
		report_account_paths(&a, in);
	}
	fputs("## Capture quality\n\n", out);
	report_quality(in, md_item, &m);
	fputc('\n', out);
	write_incidents(&m, in, &o);
	write_others(&m, in, &o);
	fputs("## Capture statistics\n\n", out);
	report_account_stats(&a, in);
	md_fence(&m, false);
	fputs("\n", out);
	fputs(glossary, out);
	report_overview_free(&o);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
