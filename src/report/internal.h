/* Private to src/report: helpers shared by the writers. */
#ifndef FTPSTALL_REPORT_INTERNAL_H
#define FTPSTALL_REPORT_INTERNAL_H

#include "ftpstall/report.h"

int report_write_text(FILE *out, const struct fst_report_input *in);
int report_write_json(FILE *out, const struct fst_report_input *in);
int report_write_jsonl(FILE *out, const struct fst_report_input *in);
int report_write_md(FILE *out, const struct fst_report_input *in);
int report_write_html(FILE *out, const struct fst_report_input *in);

/* Seconds between two packet times. */
double report_seconds(int64_t from_us, int64_t to_us);

/* The verb as sent, or its table name. */
const char *report_verb_text(const struct fst_ftp_recorded_command *cmd);
/* What the text views append to a network text that was cut: "...(cut)"
 * when truncated, else "". Static. */
const char *report_cut(bool truncated);

#endif
