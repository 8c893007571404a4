/* The JSON writer (see ftpstall/json.h). */
#include "ftpstall/json.h"

#include <math.h>

#include "ftpstall/common.h"

struct fst_json fst_json_make(FILE *out, enum fst_json_style style)
{
	struct fst_json j = { .out = out, .style = style };

	return j;
}

void fst_json_string(FILE *out, const char *s)
{
	const unsigned char *run = (const unsigned char *)s;

	fputc('"', out);
	for (const unsigned char *p = run; *p; p++) {
		if (*p >= 0x20 && *p <= 0x7e && *p != '"' && *p != '\\')
			continue;
		/* Runs of plain characters go out in one write. */
		fwrite(run, 1, (size_t)(p - run), out);
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else
			fprintf(out, "\\u%04x", *p);
		run = p + 1;
	}
	fputs((const char *)run, out);
	fputc('"', out);
}

/* The newline and indentation of a pretty document; nothing before the
 * top-level value itself. */
static void indent(struct fst_json *j)
{
	static const char spaces[] = "\n                                ";
	size_t n = 1 + 2 * (size_t)j->depth;

	if (j->style != FST_JSON_PRETTY)
		return;
	/* Nesting is shallow; one write covers the newline and indent. */
	fwrite(spaces, 1, n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1, j->out);
}

/* Starts a member or element: separator, indentation, key. */
static void member(struct fst_json *j, const char *key)
{
	if (j->need_comma)
		fputs(j->style == FST_JSON_SPACED ? ", " : ",", j->out);
	if (j->depth > 0)
		indent(j);
	if (key) {
		fputc('"', j->out);
		fputs(key, j->out);
		fputs(j->style == FST_JSON_TIGHT ? "\":" : "\": ", j->out);
	}
	j->need_comma = true;
}

void fst_json_open(struct fst_json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->out);
	j->depth++;
	j->need_comma = false;
}

void fst_json_close(struct fst_json *j, char bracket)
{
	j->depth--;
	indent(j);
	fputc(bracket, j->out);
	j->need_comma = true;
}

void fst_json_str(struct fst_json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		fst_json_string(j->out, value);
	else
		fputs("null", j->out);
}

void fst_json_u64(struct fst_json *j, const char *key, uint64_t value)
{
	member(j, key);
	fprintf(j->out, "%llu", (unsigned long long)value);
}

void fst_json_int(struct fst_json *j, const char *key, int value)
{
	member(j, key);
	fprintf(j->out, "%d", value);
}

void fst_json_bool(struct fst_json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}

void fst_json_null(struct fst_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void fst_json_fixed(struct fst_json *j, const char *key, double value, int decimals)
{
	member(j, key);
	/* printf would write "nan" or "inf": not JSON. */
	if (isfinite(value))
		fprintf(j->out, "%.*f", decimals, value);
	else
		fputs("null", j->out);
}

void fst_json_seconds(struct fst_json *j, const char *key, double value)
{
	fst_json_fixed(j, key, value, 6);
}

void fst_json_time(struct fst_json *j, const char *key, int64_t ts_us)
{
	char buf[FST_TIME_ISO_SIZE];

	fst_json_str(j, key, fst_time_format_iso(ts_us, buf, sizeof(buf)));
}
