/* Private to src/report: helpers shared by the writers. */
#ifndef FTPSTALL_REPORT_INTERNAL_H
#define FTPSTALL_REPORT_INTERNAL_H

#include "ftpstall/report.h"

int report_write_text(FILE *out, const struct fst_report_input *in);
int report_write_json(FILE *out, const struct fst_report_input *in);
int report_write_jsonl(FILE *out, const struct fst_report_input *in);
int report_write_md(FILE *out, const struct fst_report_input *in);
int report_write_html(FILE *out, const struct fst_report_input *in);

/* Writes s as a JSON string: quoted, with control bytes and bytes above
 * 0x7e as \u00XX so that any network text stays valid UTF-8. */
void report_json_string(FILE *out, const char *s);

/* ISO-8601 UTC with microseconds: 2026-12-01T04:29:34.321142Z. */
char *report_iso_time(int64_t ts_us, char *buf, size_t size);

/* Seconds between two packet times. */
double report_seconds(int64_t from_us, int64_t to_us);

/* The verb as sent, or its table name. */
const char *report_verb_text(const struct fst_ftp_command *cmd);

#endif
