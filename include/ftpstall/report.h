/* Reports: views of one result (sessions, statistics) as text or JSON.
 * Every byte that came from the network is escaped for its format. */
#ifndef FTPSTALL_REPORT_H
#define FTPSTALL_REPORT_H

#include <stdio.h>

#include "ftpstall/analysis.h"

enum fst_report_format {
	FST_REPORT_TEXT,
	FST_REPORT_JSON,
	FST_REPORT_JSONL, /* one line per session */
	FST_REPORT_MD,
	FST_REPORT_HTML,
	FST_REPORT_ECS,	 /* NDJSON, Elastic Common Schema: one document per session */
	FST_REPORT_ZEEK, /* a Zeek TSV log: one row per session */
	FST_REPORT_FORMAT_COUNT
};

/* Parses "text", "json", "jsonl", "md", "html", "ecs" or "zeek"; false
 * if unknown. */
bool fst_report_format_parse(const char *name, enum fst_report_format *out);

/* Everything a report shows. All borrowed. */
struct fst_report_input {
	const char *version;
	const char *source; /* file names or "interface X" */
	struct fst_ftp *ftp;
	struct fst_analysis *analysis;
	bool color; /* text: ANSI colour (a terminal, NO_COLOR unset) */
	const struct fst_capture_stats *capture;
	const struct fst_tcp_stats *tcp;
	const struct fst_ftp_stats *ftp_stats;
	const char *capture_warnings; /* lines, or "" */
	bool live;
	/* Stopped by the user before the end of the files (analyze
	 * --partial): the report covers bytes_read of the files'
	 * bytes_total (0 when unknown). */
	bool interrupted;
	uint64_t bytes_read, bytes_total;
};

/* "interrupted after N of M bytes" (or "after N bytes" when M is
 * unknown) into buf, as snprintf does. */
void fst_report_interrupted_words(const struct fst_report_input *in, char *buf, size_t size);

/* The words for a result, made from its facts (verdict, close, decisive
 * gap, server profile): the one-sentence summary, and what to change
 * ("" when nothing). Each writes a NUL-terminated sentence into buf,
 * cut to fit size as snprintf does, and returns the length it needed.
 * Borrows r; reads it only during the call. */
enum {
	FST_WORDS_MAX = 768 /* a buffer this size holds any of these sentences */
};
size_t fst_words_summary(const struct fst_session_result *r, char *buf, size_t size);
size_t fst_words_recommendation(const struct fst_session_result *r, char *buf, size_t size);
/* "TCP keepalives from the client every 1.0 s kept the path open (6
 * probes, all answered)"; "" (returning 0) when the session had none. */
size_t fst_words_keepalive(const struct fst_session_result *r, char *buf, size_t size);
/* "10.88.1.0/24 -> 10.88.2.2": the path's name. */
size_t fst_words_path_name(const struct fst_path_estimate *e, char *buf, size_t size);
/* What a path's sessions bound of its middlebox's idle timeout, and
 * which well-known defaults those bounds allow. */
size_t fst_words_path(const struct fst_path_estimate *e, char *buf, size_t size);
/* Whether a well-known default idle timeout fits the bounds of e. */
bool fst_path_default_fits(const struct fst_path_estimate *e,
			   const struct fst_middlebox_default *d);
/* What a capture note means for the reader, in a static sentence. */
const char *fst_words_capture_note(enum fst_capture_note note);

/* What an input with no FTP session did show (connection attempts to
 * the control port that got no answer or a reset, other TCP flows,
 * tunnelled and non-TCP packets), as fst_words_summary writes it.
 * Borrows in during the call. */
size_t fst_words_no_ftp(const struct fst_report_input *in, char *buf, size_t size);
/* The TCP flows of in that were no attempt at a control connection. */
uint64_t fst_report_other_flows(const struct fst_report_input *in);

/* Writes s HTML-escaped: markup characters and quotes as entities, bytes
 * outside printable ASCII as numeric references. Borrows s. */
void fst_report_html_text(FILE *out, const char *s);

/* Writes the report; returns 0, or FST_ERR_IO when out failed. Borrows
 * out and in during the call. */
int fst_report_write(FILE *out, enum fst_report_format format, const struct fst_report_input *in);

/* One line of the live event stream (watch --no-tui), as text or as a
 * JSON object (JSON Lines). Each line is flushed. */
enum fst_stream_event {
	FST_STREAM_OPEN,
	FST_STREAM_COMMAND, /* needs command */
	FST_STREAM_REPLY,   /* needs reply */
	FST_STREAM_IDLE,    /* an idle crossed the threshold: idle_s, waiting_on */
	FST_STREAM_CLOSE,   /* the control connection began to close */
	FST_STREAM_VERDICT,
	FST_STREAM_EVENT_COUNT
};

/* All borrowed, read only during fst_report_stream_line. */
struct fst_stream_line {
	enum fst_stream_event event;
	int64_t ts_us;
	const struct fst_session_result *result;
	const struct fst_ftp_command_rec *command;
	const struct fst_ftp_reply_rec *reply;
	double idle_s;
	enum fst_wait waiting_on;
};

void fst_report_stream_line(FILE *out, bool jsonl, const struct fst_stream_line *line);

/* ---- logs for pipelines (docs/fleet.md) ------------------------------ */

/* "1:" + base64 of a SHA-1: 30 characters and the NUL. */
#define FST_COMMUNITY_ID_SIZE 31

/* The Community ID v1 of a flow (either direction gives the same) into
 * out (at least FST_COMMUNITY_ID_SIZE bytes): proto is the IP protocol
 * number (6 for TCP), seed 0 unless the site agreed another. False, and
 * out "", for addresses of different or unknown families. */
bool fst_community_id(const struct fst_addr *a, uint16_t a_port, const struct fst_addr *b,
		      uint16_t b_port, uint8_t proto, uint16_t seed, char *out, size_t size);

/* Whether a format is written a session at a time (ecs, zeek), so a
 * live run writes each session as it ends. */
bool fst_report_format_streams(enum fst_report_format format);

/* One ECS document (a line) for r, flushed. Borrows in and r. */
void fst_report_ecs_session(FILE *out, const struct fst_report_input *in,
			    const struct fst_session_result *r);

/* The Zeek log's header, stamped #open with open_us; each row; the
 * #close line, stamped close_us. Times are packet times. Borrowed. */
void fst_report_zeek_header(FILE *out, int64_t open_us);
void fst_report_zeek_session(FILE *out, const struct fst_report_input *in,
			     const struct fst_session_result *r);
void fst_report_zeek_footer(FILE *out, int64_t close_us);

#endif
