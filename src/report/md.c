/* The Markdown report, for tickets, written from the analysis results:
 * the same account as the text report, dressed for Markdown. Each
 * incident is a heading with its facts as a list and its timeline as a
 * fenced code block; the other sessions, the servers and the capture
 * statistics follow as paragraphs and lists. Markdown's special
 * characters in prose are escaped so that network text cannot format
 * (or link) anything. */
#include "internal.h"

#include <string.h>

struct md {
	FILE *out;
	bool in_code; /* a fenced block is open */
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

/* Dresses one line of the account (report_account) for Markdown:
 * headings "## ", items "- ", the timeline in a fenced block. */
static void md_put(void *ctx, enum report_line kind, const char *line)
{
	struct md *m = ctx;

	if (m->in_code != (kind == REPORT_CODE)) {
		fputs("```\n", m->out);
		m->in_code = kind == REPORT_CODE;
	}
	switch (kind) {
	case REPORT_HEADING:
		fputs("## ", m->out);
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

int report_write_md(FILE *out, const struct fst_report_input *in)
{
	struct md m = { .out = out };
	struct report_account a = { .put = md_put, .ctx = &m };

	fputs("# ftpstall report\n\n", out);
	report_account(&a, in);
	if (m.in_code)
		fputs("```\n", out);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
