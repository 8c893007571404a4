/* Private to src/report: helpers shared by the writers. */
#ifndef FTPSTALL_REPORT_INTERNAL_H
#define FTPSTALL_REPORT_INTERNAL_H

#include "ftpstall/report.h"

int report_write_text(FILE *out, const struct fst_report_input *in);
int report_write_json(FILE *out, const struct fst_report_input *in);
int report_write_jsonl(FILE *out, const struct fst_report_input *in);
int report_write_md(FILE *out, const struct fst_report_input *in);
int report_write_html(FILE *out, const struct fst_report_input *in);
int report_write_ecs(FILE *out, const struct fst_report_input *in);
int report_write_zeek(FILE *out, const struct fst_report_input *in);

/* An address as text (inet_ntop), into buf. Returns buf. */
char *report_addr_text(const struct fst_addr *addr, char *buf, size_t size);
/* How the control connection closed: "none", "fin", "rst" or "drop".
 * Static. */
const char *report_close_mechanism(const struct fst_close_info *c);
/* The session's end, or its latest packet while it runs. */
int64_t report_session_end_us(const struct fst_ftp_session *s);

/* Seconds between two packet times. */
double report_seconds(int64_t from_us, int64_t to_us);

/* The verb as sent, or its table name. */
const char *report_verb_text(const struct fst_ftp_recorded_command *cmd);
/* The command of a transfer, or words for one the capture lacks (a
 * transfer begun before the capture). Static. */
const char *report_transfer_command(const struct fst_ftp_transfer *t);
/* What the text views append to a network text that was cut: "...(cut)"
 * when truncated, else "". Static. */
const char *report_cut(bool truncated);

/* How the close came, for the text views: "RST", "FIN", or "DROP" (a
 * path that went silent). Static. */
const char *report_close_how(const struct fst_close_info *c);

/* The reply sent at ts_us (the one an idle gap began with), or NULL. */
const struct fst_ftp_reply_rec *report_reply_at(const struct fst_ftp_session *s, int64_t ts_us);
/* The estimate of s's server, or NULL. Borrowed from the analysis. */
const struct fst_server_estimate *report_estimate_for(const struct fst_report_input *in,
						      const struct fst_ftp_session *s);

/* Calls emit with each line of r's timeline ("HH:MM:SS.ffffff  +offset
 * what"): commands, replies, transfers and the close in time order; a
 * long one shows its first and last entries around "... N entries ...".
 * line is borrowed for the call. False, with nothing emitted, when out
 * of memory. */
typedef void (*report_line_fn)(void *ctx, const char *line);
bool report_timeline(const struct fst_session_result *r, report_line_fn emit, void *ctx);

/* The account the text and Markdown reports give, as lines of a kind
 * that each report dresses its own way (put borrows line for the call). */
enum report_line {
	REPORT_HEADING, /* an incident's first line */
	REPORT_PARA,	/* a line of its own: the headline, a server, ... */
	REPORT_ALERT,	/* a warning above everything: INCOMPLETE: ... */
	REPORT_ITEM,	/* a fact under a heading or paragraph */
	REPORT_CODE,	/* a line of an incident's timeline */
	REPORT_BLANK,	/* an empty line */
};

struct report_account {
	void (*put)(void *ctx, enum report_line kind, const char *line);
	void *ctx;
	bool color; /* ANSI colour around verdicts (text on a terminal) */
};

/* Gives the whole account of in, line by line, to a->put. */
void report_account(struct report_account *a, const struct fst_report_input *in);

#endif
