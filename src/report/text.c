/* The text report: one block per session with its timeline, then the
 * capture statistics. Network text is already free of control bytes
 * (fst_ftp_copy_text). */
#include "internal.h"

#include <string.h>
#include <stdlib.h>
#include <time.h>

static const char *const format_names[] = {
	[FST_REPORT_TEXT] = "text", [FST_REPORT_JSON] = "json", [FST_REPORT_JSONL] = "jsonl",
	[FST_REPORT_MD] = "md",	    [FST_REPORT_HTML] = "html", [FST_REPORT_ECS] = "ecs",
	[FST_REPORT_ZEEK] = "zeek",
};
_Static_assert(sizeof(format_names) / sizeof(format_names[0]) == FST_REPORT_FORMAT_COUNT,
	       "a name for every format");

bool fst_report_format_parse(const char *name, enum fst_report_format *out)
{
	for (int f = 0; f < FST_REPORT_FORMAT_COUNT; f++)
		if (strcmp(name, format_names[f]) == 0) {
			*out = (enum fst_report_format)f;
			return true;
		}
	return false;
}

bool fst_report_format_streams(enum fst_report_format format)
{
	return format == FST_REPORT_ECS || format == FST_REPORT_ZEEK;
}

int fst_report_write(FILE *out, enum fst_report_format format, const struct fst_report_input *in)
{
	switch (format) {
	case FST_REPORT_TEXT:
		return report_write_text(out, in);
	case FST_REPORT_JSONL:
		return report_write_jsonl(out, in);
	case FST_REPORT_MD:
		return report_write_md(out, in);
	case FST_REPORT_HTML:
		return report_write_html(out, in);
	case FST_REPORT_ECS:
		return report_write_ecs(out, in);
	case FST_REPORT_ZEEK:
		return report_write_zeek(out, in);
	case FST_REPORT_JSON:
	case FST_REPORT_FORMAT_COUNT:
		break;
	}
	return report_write_json(out, in);
}

void fst_report_interrupted_words(const struct fst_report_input *in, char *buf, size_t size)
{
	if (in->bytes_total)
		snprintf(buf, size, "interrupted after %llu of %llu bytes",
			 (unsigned long long)in->bytes_read, (unsigned long long)in->bytes_total);
	else
		snprintf(buf, size, "interrupted after %llu bytes",
			 (unsigned long long)in->bytes_read);
}

double report_seconds(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

const char *report_cut(bool truncated)
{
	return truncated ? "...(cut)" : "";
}

const char *report_verb_text(const struct fst_ftp_recorded_command *cmd)
{
	return cmd->verb_text[0] ? cmd->verb_text : fst_ftp_verb_info(cmd->verb)->name;
}

const char *report_transfer_command(const struct fst_ftp_transfer *t)
{
	const char *name = fst_ftp_verb_info(t->verb)->name;

	if (t->by_timing)
		return "(encrypted command; data connection probably this session's, matched by "
		       "timing)";
	return name[0] ? name : "(command before the capture)";
}

const struct fst_ftp_reply_rec *report_reply_at(const struct fst_ftp_session *s, int64_t ts_us)
{
	for (size_t i = s->reply_count; i-- > 0;)
		if (s->replies[i].ts_us == ts_us)
			return &s->replies[i];
	return NULL;
}

const struct fst_server_estimate *report_estimate_for(const struct fst_report_input *in,
						      const struct fst_ftp_session *s)
{
	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next)
		if (fst_addr_equal(&e->addr, &s->server_addr) && e->port == s->server_port)
			return e;
	return NULL;
}

/* Dresses one line of the account (report_account) as plain text:
 * items indented two spaces, the timeline four. */
static void text_put(void *ctx, enum report_line kind, const char *line)
{
	FILE *out = ctx;

	switch (kind) {
	case REPORT_HEADING:
	case REPORT_PARA:
	case REPORT_ALERT:
		fprintf(out, "%s\n", line);
		break;
	case REPORT_ITEM:
		fprintf(out, "  %s\n", line);
		break;
	case REPORT_CODE:
		fprintf(out, "    %s\n", line);
		break;
	case REPORT_BLANK:
		fputc('\n', out);
		break;
	}
}

int report_write_text(FILE *out, const struct fst_report_input *in)
{
	struct report_account a = { .put = text_put, .ctx = out, .color = in->color };

	report_account(&a, in);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
