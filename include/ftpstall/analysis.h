/* Stall and timeout analysis: idle gaps per channel and who they were
 * waiting on, how each control connection ended, one verdict per
 * session, reconnect links, and per-server timeout estimates. Consumes
 * FTP events; time is packet time only. */
#ifndef FTPSTALL_ANALYSIS_H
#define FTPSTALL_ANALYSIS_H

#include "ftpstall/ftp.h"

/* Whom an idle gap was waiting on. */
enum fst_wait {
	FST_WAIT_NONE,	   /* nobody owed anything (or a transfer ran) */
	FST_WAIT_CLIENT,   /* the client owed a command, or data on STOR */
	FST_WAIT_SERVER,   /* the server owed a reply, or data on RETR */
	FST_WAIT_RECEIVER, /* the receiver advertised a zero window */
	FST_WAIT_NETWORK,  /* data outstanding and being retransmitted */
	FST_WAIT_CAPTURE,  /* bytes missing from the capture: not a stall */
	FST_WAIT_COUNT
};
const char *fst_wait_name(enum fst_wait wait);

/* decisive_gap_index when no gap decided the verdict. */
#define FST_NO_GAP SIZE_MAX

struct fst_gap {
	enum fst_channel channel;
	uint64_t transfer_id; /* data channel gaps: the transfer, else 0 */
	int64_t start_us, end_us;
	enum fst_wait waiting_on;
	bool before_close; /* the idle that the close ended or was announced after */
};

enum fst_close_by {
	FST_CLOSE_BY_NONE, /* still open at the end of the capture */
	FST_CLOSE_BY_CLIENT,
	FST_CLOSE_BY_SERVER,
	FST_CLOSE_BY_MIDDLEBOX, /* a reset that the server did not send */
	FST_CLOSE_BY_COUNT
};
const char *fst_close_by_name(enum fst_close_by by);

struct fst_close_info {
	enum fst_close_by by;
	bool rst; /* the first close was a reset (else a FIN) */
	int64_t ts_us;
	int64_t idle_since_us;	   /* last activity before the closing sequence */
	double after_idle_s;	   /* ts_us - idle_since_us */
	int reply_code;		   /* a 4xx/221 that announced it, or 0 */
	const char *reply_text;	   /* its text, never NULL; owned by the result */
	bool reply_text_truncated; /* the text was cut */
	int64_t reply_ts_us;
	bool client_wrote_after_close; /* after the server's FIN */
	int64_t client_write_ts_us;
	char client_write_command[FST_FTP_VERB_TEXT_MAX + 1];
	bool reset_after_write; /* ... and got a reset */
	int64_t reset_ts_us;
	bool mid_transfer; /* a transfer was running or had no final reply */
	bool rst_ttl_mismatch;
	uint8_t rst_ttl, peer_ttl;    /* the reset's and the sender's usual TTL */
	bool quit_seen, goodbye_seen; /* QUIT sent, 221 received */
	/* The client's commands since its last other command were all
	 * keepalives (NOOP, PWD, CWD, TYPE, SYST, ...: nothing that moves
	 * data or changes anything): how many, and when that other command
	 * (or, without one, the session) began. Counted up to the close. */
	unsigned keepalives;
	int64_t keepalives_since_us;
	int64_t first_keepalive_us; /* the first of them, when keepalives */
	/* Keepalives came up to the close (the last less than the gap
	 * threshold before it): the client was not idle. */
	bool busy_to_close;
	/* The server's last bytes before its close (while the client owed
	 * the next command) were lost by the capture: its closing reply,
	 * usually the 421, is unknown. reply_code is then 0. */
	bool reply_lost;
};

enum fst_verdict {
	FST_VERDICT_IDLE_TIMEOUT,
	FST_VERDICT_DATA_TIMEOUT,
	FST_VERDICT_SERVER_UNRESPONSIVE,
	FST_VERDICT_MIDDLEBOX_RESET,
	FST_VERDICT_CLIENT_ABORT,
	FST_VERDICT_CLEAN,
	FST_VERDICT_INCOMPLETE,
	FST_VERDICT_UNKNOWN,
	FST_VERDICT_LOGIN_FAILED,
	FST_VERDICT_DATA_CONNECTION_FAILED,
	FST_VERDICT_COUNT
};
const char *fst_verdict_name(enum fst_verdict verdict);
/* True for every verdict worth a ticket (not clean or incomplete). */
bool fst_verdict_is_incident(enum fst_verdict verdict);

enum fst_stalled_side {
	FST_STALLED_NONE,
	FST_STALLED_CLIENT,
	FST_STALLED_SERVER,
	FST_STALLED_NETWORK,
	FST_STALLED_UNKNOWN,
	FST_STALLED_COUNT
};
const char *fst_stalled_side_name(enum fst_stalled_side side);

/* What ftpstall knows of a server product's timeouts: facts only; the
 * report puts them into words. */
struct fst_server_profile {
	const char *software; /* as fst_ftp_session.software */
	const char *idle_knob;
	int idle_default_s;
	const char *idle_reply; /* text of its idle 421, or NULL */
	const char *data_knob;
	int data_default_s;
	const char *data_reply; /* text of its data-timeout 421, or NULL */
	/* False when a session that sends only NOOP still times out, so
	 * NOOP keepalives do not help (Pure-FTPd). */
	bool noop_resets_idle;
	bool idle_paused_by_transfer; /* the idle timer does not run during a transfer */
	/* A timer that closes sessions sending commands but starting no
	 * transfer, and its default; NULL if none. */
	const char *no_transfer_knob;
	int no_transfer_default_s;
	/* A timer that closes a stalled transfer without a 421, or NULL. */
	const char *silent_stall_knob;
	/* A session that sends only NOOP (and the like) is closed after this
	 * many idle times since the first of them (Pure-FTPd: 2); 0 if
	 * NOOP resets the idle timer or nothing is known. */
	int noop_idle_factor;
	/* A timer for the login, apart from the idle one, and its default. */
	const char *login_knob;
	int login_default_s;
	/* The data timeout is checked once per period, so it fires between
	 * one and two periods after the last byte (vsftpd). */
	bool data_timer_per_period;
	/* The pause a server makes on purpose before it answers a failed
	 * login: the knob that sets it and its default, or, when no setting
	 * changes it (login_delay_knob NULL), the built-in pause. 0: none
	 * known. */
	const char *login_delay_knob;
	int login_delay_s;
	bool login_delay_grows; /* longer after each failure of the session */
	/* Failed logins after which the server ends the session; NULL knob
	 * when built in; 0: none known. */
	const char *max_login_fails_knob;
	int max_login_fails;
	/* Where the passive data ports and the announced passive address
	 * are set, or NULL. */
	const char *passive_ports_knob;
	const char *passive_address_knob;
};

/* Finds the profile by software name, or by a 421 text. NULL if none. */
const struct fst_server_profile *fst_server_profile_find(const char *software,
							 const char *reply_text);

/* Seconds stated in a reply ("Idle timeout (600 seconds)"), or -1. */
int fst_stated_timeout_s(const char *reply_text);

/* True when a closing reply's text speaks of data ("Data timeout",
 * ProFTPD's "No transfer timeout", a stalled transfer). */
bool fst_reply_names_data_timeout(const char *reply_text);

/* The timer a verdict points at: the server's, or for middlebox_reset
 * the firewall's or NAT's (always an idle timer). */
enum fst_timer {
	FST_TIMER_NONE,	       /* no timer: a silence, an abort, a clean end */
	FST_TIMER_IDLE,	       /* no command for too long */
	FST_TIMER_NO_TRANSFER, /* commands, but no transfer for too long */
	FST_TIMER_DATA,	       /* a data connection silent for too long */
	FST_TIMER_LOGIN,       /* no successful login in time */
	FST_TIMER_STALLED,     /* a transfer that moved too little */
	FST_TIMER_UNKNOWN,     /* a timer fired, but which one the capture cannot tell */
	FST_TIMER_COUNT
};
const char *fst_timer_name(enum fst_timer timer);

/* The timer a closing reply's text names (a table of the servers' 421
 * texts: ProFTPD's "No transfer timeout" is FST_TIMER_NO_TRANSFER, ...),
 * or FST_TIMER_UNKNOWN. The text only refines: the packets decide the
 * verdict, and a timer they contradict is not taken. */
enum fst_timer fst_reply_timer(const char *reply_text);

/* What a capture could not show of a session: bits of
 * fst_session_result.capture_notes, each said in words by the report. */
enum fst_capture_note {
	FST_NOTE_DATA_CONNECTIONS_MISSING, /* transfers ran, no data connection captured */
	FST_NOTE_CAPTURE_LOSS,		   /* bytes of the session are missing */
	FST_NOTE_ONE_SIDED,		   /* only one direction was captured */
	FST_NOTE_DUPLICATES_REMOVED,	   /* packets seen twice were dropped */
	FST_NOTE_MID_STREAM,		   /* the capture began after the session did */
	FST_NOTE_KERNEL_DROPS,		   /* the capturing kernel dropped packets */
	FST_NOTE_COUNT
};
const char *fst_capture_note_name(enum fst_capture_note note);
#define FST_NOTE_BIT(note) (1u << (note))

/* The verdict rules of docs/verdicts.md in the order they are applied:
 * their count, and the name and verdict of rule index (NULL past the
 * end). Names are static strings. */
size_t fst_verdict_rule_count(void);
const char *fst_verdict_rule_at(size_t index, enum fst_verdict *verdict);

enum fst_verdict_state {
	FST_VERDICT_PENDING,	 /* the session is running */
	FST_VERDICT_PROVISIONAL, /* the close began (first FIN/RST) */
	FST_VERDICT_FINAL,	 /* the control connection ended */
};

/* What a session's login came to, from the final replies to USER, PASS
 * and ACCT (RFC 959 5.4): 230 or 202 logs in; any other 4xx or 5xx but
 * 421 (the server ending the session) refuses the login. */
struct fst_login_info {
	bool succeeded;	   /* a 230 or 202 */
	unsigned failures; /* refusals */
	/* The last refusal: its command, reply code and times (0 when none),
	 * and the reply's text: the session's (see ftp.h), "" when the reply
	 * was past the record cap; never NULL once failures > 0. */
	enum fst_ftp_verb failed_verb;
	int failed_code;
	int64_t failed_command_us, failed_reply_us;
	const char *failed_reply_text;
	bool failed_reply_truncated;
	/* The refusal came at least the gap threshold after its command:
	 * the server held it back (a deliberate delay, as vsftpd's). */
	bool failed_delayed;
};

/* A command whose first reply came at least the gap threshold after it
 * (a slow reply: a finding, not a verdict; an unanswered command is a
 * gap, and perhaps server_unresponsive). */
struct fst_slow_reply {
	/* Into session->commands, or SIZE_MAX when the command was past the
	 * record cap. */
	size_t command_index;
	char verb_text[FST_FTP_VERB_TEXT_MAX + 1]; /* as sent, upper-cased */
	int code;				   /* the first reply (1xx for transfers) */
	int64_t command_us, reply_us;
};

/* A session's result lives from its session's SESSION_OPEN until its
 * SESSION_FREE (then it leaves the list) or fst_analysis_free. */
struct fst_session_result {
	struct fst_ftp_session *session; /* the ftp layer's; lives as long */
	enum fst_verdict_state verdict_state;
	/* Owned by the analysis; grows (realloc) with each gap, so hold an
	 * index into it, never a pointer, across events. */
	struct fst_gap *gaps;
	size_t gap_count, gaps_dropped;
	size_t decisive_gap_index; /* into gaps[], or FST_NO_GAP */
	struct fst_close_info close;
	enum fst_verdict verdict;
	enum fst_stalled_side stalled_side;
	enum fst_timer timer; /* the timer the verdict points at */
	/* The rule of docs/verdicts.md that decided: a static string, "" until
	 * decided. The words for it are the report's (fst_words_summary). */
	const char *verdict_rule;
	const struct fst_server_profile *profile; /* a static table row, or NULL */
	int stated_timeout_s;			  /* from the closing reply, or -1 */
	bool capture_loss;			  /* the capture lost bytes of this session */
	/* data_connection_failed: the id of the transfer whose data
	 * connection never opened, or 0 for the attempt no transfer
	 * command claimed (fst_ftp_unclaimed_attempt). */
	uint64_t connect_failed_transfer;
	unsigned capture_notes; /* FST_NOTE_BIT(enum fst_capture_note)s */
	/* The FST_NOTE_BIT of what the capture lacked that made the verdict
	 * unknown (one_sided, capture_loss, kernel_drops), or 0. */
	unsigned uncertain_because;
	/* For an idle_timeout whose 421 was lost (close.reply_lost): the
	 * server's idle timeout the idle matched (its product's default or
	 * the estimate from its other sessions), else 0. */
	double idle_timeout_matched_s;
	/* Reconnect: the next session of the same client to the server not
	 * logged in as another user; recovered_probable unless the same user
	 * carried on in it (a REST, the same file or the next of its series). */
	uint64_t recovered_by; /* its session id, or 0 */
	bool recovered_probable;
	double recovered_after_s;
	bool resumed;
	enum fst_ftp_verb resume_verb; /* REST (+STOR/RETR) or APPE */
	uint64_t resume_offset;
	bool truncated_reupload; /* re-sent from 0, or fewer bytes than before */
	struct fst_login_info login;
	/* Owned by the analysis; grows (realloc) as replies come, at most
	 * cfg.max_gaps of them (then counted in slow_replies_dropped): hold
	 * an index, never a pointer, across events. */
	struct fst_slow_reply *slow_replies;
	size_t slow_reply_count, slow_replies_dropped;
	struct fst_session_result *next; /* the list changes with each event */
};

/* The decisive gap of r, or NULL. Borrowed: valid until r's next event. */
const struct fst_gap *fst_session_decisive_gap(const struct fst_session_result *r);

/* Owned by the analysis; the whole list is rebuilt (freed and made anew)
 * by each fst_analysis_finish, so hold none of it across that call.
 * longest_survived_s counts a client idle still running when the capture
 * ended: the server tolerated at least that much. */
struct fst_server_estimate {
	struct fst_addr addr;
	uint16_t port;
	const char *software;	   /* static (the ftp layer's product names), or NULL */
	unsigned observations;	   /* idle durations that ended in a server close */
	double idle_timeout_s;	   /* their median, or -1 */
	double spread_s;	   /* (max - min) / 2 of them */
	double longest_survived_s; /* longest client idle the server tolerated */
	unsigned data_observations;
	double data_timeout_s; /* median stalled-data durations closed, or -1 */
	/* The idle timeout its banner states (Pure-FTPd's), or -1. Without
	 * observations it is the estimate: "stated in the banner". */
	int stated_idle_s;
	struct fst_server_estimate *next;
};

/* What changed in a result, for live consumers (watch). */
enum fst_analysis_update {
	FST_UPDATE_SESSION_OPEN,
	FST_UPDATE_GAP,	    /* a gap was recorded: the newest in gaps[] */
	FST_UPDATE_VERDICT, /* verdict_state became PROVISIONAL or FINAL */
	FST_UPDATE_COUNT
};

/* Called from inside fst_analysis_on_ftp_event, so inside fst_tcp_input:
 * r is borrowed for the call (it lives on until its SESSION_FREE, but
 * gaps[] may move with the next event). The consumer may read any
 * result and write reports; it must not feed the pipeline nor call
 * fst_analysis_finish or fst_analysis_free. */
typedef void (*fst_analysis_update_fn)(void *ctx, const struct fst_session_result *r,
				       enum fst_analysis_update update);

/* Defaults of the settings below that the command line can change. */
#define FST_ANALYSIS_DEFAULT_GAP_US FST_US_PER_SEC

struct fst_analysis_cfg {
	int64_t gap_threshold_us;	  /* 0: FST_ANALYSIS_DEFAULT_GAP_US */
	size_t max_gaps;		  /* and slow replies, per session; 0: 1000 */
	int64_t reconnect_window_us;	  /* 0: 120 s */
	fst_analysis_update_fn on_update; /* optional */
	void *ctx;
};

struct fst_analysis;

/* Returns a new analysis, free with fst_analysis_free. Borrows cfg. */
struct fst_analysis *fst_analysis_new(const struct fst_analysis_cfg *cfg);
void fst_analysis_free(struct fst_analysis *an);

/* The FTP layer's event callback (ctx is the analysis). Verdicts of a
 * session are final from its SESSION_CLOSE on, except for the reconnect
 * links and estimates, which fst_analysis_finish adds. */
void fst_analysis_on_ftp_event(void *an, const struct fst_ftp_event *ev);

/* Idle of the side that owes the next move at now_us (live views): the
 * time since the session's last activity on the channel it waits on. */
double fst_analysis_idle_s(const struct fst_session_result *r, int64_t now_us);

/* Links reconnects, computes server estimates (from sessions whose
 * capture was whole: not one-sided, no kernel drops, no unknown verdict,
 * no lost closing reply), then decides again the sessions whose closing
 * reply was lost, with those estimates. Call at the end, or again
 * whenever a view needs fresh estimates (it recomputes them). */
void fst_analysis_finish(struct fst_analysis *an);

/* The capture reported dropped packets (pcap_stats, or a pcapng
 * interface statistics block) somewhere in [from_us, to_us] of packet
 * time: every session that ran then gets the kernel_drops note, and one
 * whose decisive gap overlaps it becomes unknown (decided again now,
 * when it already was). Not from inside on_update. */
void fst_analysis_capture_dropped(struct fst_analysis *an, int64_t from_us, int64_t to_us);

/* Results dropped because the ftp layer freed their sessions (the oldest
 * ended ones, over its max_sessions): on SESSION_FREE a result is freed
 * with its session. */
uint64_t fst_analysis_sessions_evicted(const struct fst_analysis *an);

/* Results in session order; NULL after the last. Owned by the analysis:
 * each lives until its session's SESSION_FREE or fst_analysis_free. */
struct fst_session_result *fst_analysis_results(struct fst_analysis *an);
struct fst_server_estimate *fst_analysis_servers(struct fst_analysis *an);

#endif
