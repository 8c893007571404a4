/* The Markdown report, for tickets: the text report, rendered into
 * memory and re-dressed. Session headings become headings, the plain
 * sentences paragraphs, the timeline a fenced code block. Markdown's
 * special characters in prose are escaped so that network text cannot
 * format (or link) anything. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void md_escape(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (strchr("\\`*_[]<>#|~&", c))
			fputc('\\', out);
		fputc(c, out);
	}
}

/* In a fenced block only a run of backticks could escape it. */
static void md_code(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fputc(s[i] == '`' ? '\'' : s[i], out);
}

int report_write_md(FILE *out, const struct fst_report_input *in)
{
	struct fst_report_input plain = *in;
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	bool in_code = false;
	const char *line;

	if (!mem)
		return FST_ERR_NOMEM;
	plain.color = false;
	report_write_text(mem, &plain);
	if (fclose(mem) != 0 || !text) {
		free(text);
		return FST_ERR_NOMEM;
	}
	fputs("# ftpstall report\n\n", out);
	for (line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		bool code_line = len >= 4 && strncmp(line, "    ", 4) == 0;

		if (in_code && !code_line) {
			fputs("```\n", out);
			in_code = false;
		}
		if (code_line) {
			if (!in_code)
				fputs("```\n", out);
			in_code = true;
			md_code(out, line + 4, len - 4);
			fputc('\n', out);
		} else if (len >= 8 && strncmp(line, "session ", 8) == 0) {
			fputs("## ", out);
			md_escape(out, line, len);
			fputs("\n\n", out);
		} else if (len >= 2 && strncmp(line, "  ", 2) == 0) {
			fputs("- ", out);
			md_escape(out, line + 2, len - 2);
			fputc('\n', out);
		} else if (len) {
			md_escape(out, line, len);
			fputs("\n\n", out);
		} else {
			fputc('\n', out);
		}
		line += len + (end ? 1 : 0);
	}
	if (in_code)
		fputs("```\n", out);
	free(text);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
