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

/* One thing that happened in a session, for the views that list or draw
 * them in time order. */
enum report_event_kind {
	REPORT_EVENT_COMMAND,
	REPORT_EVENT_REPLY,
	REPORT_EVENT_DATA,  /* a transfer's data, from ts_us to end_us */
	REPORT_EVENT_CLOSE, /* the first FIN or reset of the control connection */
	REPORT_EVENT_RESET, /* the server's reset of the client's late write */
};

struct report_event {
	int64_t ts_us, end_us; /* end_us: DATA only */
	int rank;	       /* orders events of equal time */
	size_t seq;	       /* ... then the order they were added in */
	enum report_event_kind kind;
	enum fst_side from;	    /* who sent it (NONE: a middlebox's close) */
	enum fst_close_by close_by; /* CLOSE and RESET: who closed */
	int code;		    /* REPLY: its code */
	size_t transfer;	    /* DATA: index into session->transfers */
	/* The event decided the verdict or shows it: the reply the idle
	 * began with, the closing reply, the close, a write after it. */
	bool decisive;
	bool closing;	 /* REPLY: the reply that announced the close (a 421) */
	size_t label_at; /* text + label_at: the text without its "who" column */
	/* "client  STOR a.bin", "server  421 Timeout.", as the text timeline
	 * shows it; a cut network text ends in "...(cut)". */
	char text[FST_FTP_ARG_MAX + 64];
};

/* r's events in time order: returns a new array of *count events, free
 * with free(); NULL (and *count 0) when out of memory. Borrows r for the
 * call; the texts are copies. */
struct report_event *report_events(const struct fst_session_result *r, size_t *count);

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
	/* Optional: gives an incident's timeline in place of the text
	 * report's list of events (Markdown's ladder, HTML's drawings). */
	void (*timeline)(void *ctx, const struct fst_session_result *r);
	/* The page says "What to change" and the recovery itself. */
	bool skip_advice;
};

/* Gives the whole account of in, line by line, to a->put. */
void report_account(struct report_account *a, const struct fst_report_input *in);
/* Its parts, for the pages that arrange them their own way. */
void report_account_incident(struct report_account *a, const struct fst_report_input *in,
			     const struct fst_session_result *r);
void report_account_servers(struct report_account *a, const struct fst_report_input *in);
void report_account_paths(struct report_account *a, const struct fst_report_input *in);
void report_account_stats(struct report_account *a, const struct fst_report_input *in);

/* What the HTML and Markdown pages put at their top and how they order
 * the incidents: counts by verdict, the incidents grouped by verdict (the
 * commonest first) and server, in session order within a group. */
struct report_overview {
	unsigned sessions, incidents;
	unsigned counts[FST_VERDICT_COUNT];
	/* The incidents in page order: a new array, freed by
	 * report_overview_free; the results are borrowed from the analysis. */
	const struct fst_session_result **incident_order;
	size_t incident_count; /* may be < incidents when out of memory */
};

/* Fills o from in; false when out of memory (o still usable, with the
 * incidents in session order as far as they fit). */
bool report_overview_make(struct report_overview *o, const struct fst_report_input *in);
void report_overview_free(struct report_overview *o);
/* Whether a and b are in one group (verdict and server). */
bool report_same_group(const struct fst_session_result *a, const struct fst_session_result *b);
/* The incidents of o's group that begins at incident_order[first]: how
 * many there are; server gets the group's server ("ip:port"). */
size_t report_group_size(const struct report_overview *o, size_t first, char *server, size_t size);

/* A verdict in plain words ("the server closed an idle session"). Static. */
const char *report_verdict_words(enum fst_verdict v);
/* Whom a gap waited on, in words for a label ("client idle", "waiting
 * on server", "capture lost bytes"). Static. */
const char *report_wait_words(enum fst_wait wait);

/* Calls emit with each sentence about the capture's quality (loss,
 * kernel drops, duplicates, one-sided sessions, missing data
 * connections, ...), each with its amount; one sentence saying it was
 * whole when nothing is wrong. */
void report_quality(const struct fst_report_input *in, report_line_fn emit, void *ctx);

/* The incident's last seconds as a ladder between its ends: the events
 * from shortly before the decisive gap (or the last LADDER_MAX events)
 * to the end. The columns are the ends (client, server); a view made
 * from two capture points can add theirs between them. */
enum {
	LADDER_MAX = 14,
	LADDER_COLUMNS_MAX = 4
};

struct report_ladder_step {
	const struct report_event *ev; /* borrowed from the events array */
	size_t from, to;	       /* columns */
	/* The silence before this step, when at least the gap threshold
	 * (or the decisive gap's): shown as a break with its words. */
	double idle_before_s;
	char idle_words[64]; /* "client idle 300.0 s", or "" */
	bool decisive_break; /* the silence is the decisive gap */
};

struct report_ladder {
	const char *columns[LADDER_COLUMNS_MAX];
	size_t column_count;
	struct report_ladder_step steps[LADDER_MAX];
	size_t step_count;
	size_t skipped; /* events before the ladder's first */
};

/* Builds the ladder of r from its events (report_events); borrows both. */
void report_ladder_make(struct report_ladder *l, const struct fst_session_result *r,
			const struct report_event *events, size_t count);
/* The ladder as lines of fixed-width text: a header, one line per step,
 * a break line for each idle. */
void report_ladder_text(const struct report_ladder *l, const struct fst_session_result *r,
			report_line_fn emit, void *ctx);

/* The HTML drawings of an incident: its timeline and its ladder, as
 * inline SVG with a text alternative. */
void report_svg_timeline(FILE *out, const struct fst_session_result *r,
			 const struct report_event *events, size_t count);
void report_svg_ladder(FILE *out, const struct fst_session_result *r,
		       const struct report_ladder *l);

#endif
