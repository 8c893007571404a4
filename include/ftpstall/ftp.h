/* FTP sessions from TCP events: recognises control connections, parses
 * both directions, runs the session state machine, knows at every
 * instant whose turn it is, and associates data connections with the
 * session and transfer that announced them. */
#ifndef FTPSTALL_FTP_H
#define FTPSTALL_FTP_H

#include "ftpstall/ftp_proto.h"
#include "ftpstall/tcp.h"
#include "ftpstall/tls.h"

/* Session states (RFC 959 5.4 reply sequences drive the transitions). */
enum fst_ftp_state {
	FST_FTP_CONNECTED,	/* TCP up, greeting not yet seen */
	FST_FTP_GREETED,	/* 220 received */
	FST_FTP_AUTHENTICATING, /* USER/PASS/ACCT exchange under way */
	FST_FTP_READY,		/* logged in, no transfer set up */
	FST_FTP_DATA_SETUP,	/* PASV/PORT accepted, transfer not started */
	FST_FTP_TRANSFERRING,	/* transfer command got its 1xx */
	FST_FTP_CLOSING,	/* QUIT sent, or 421 received */
	FST_FTP_CLOSED,		/* control connection closed */
	FST_FTP_ENCRYPTED,	/* AUTH TLS accepted: commands are opaque */
	FST_FTP_STATE_COUNT
};

const char *fst_ftp_state_name(enum fst_ftp_state state);

enum fst_side {
	FST_SIDE_NONE,
	FST_SIDE_CLIENT,
	FST_SIDE_SERVER,
	FST_SIDE_COUNT
};

const char *fst_side_name(enum fst_side side);

enum fst_channel {
	FST_CHANNEL_CONTROL,
	FST_CHANNEL_DATA
};

/* Who owes the next move, and on which channel. */
struct fst_ftp_turn {
	enum fst_side side;
	enum fst_channel channel;
};

enum fst_transfer_mode {
	FST_MODE_UNKNOWN,
	FST_MODE_PASSIVE,
	FST_MODE_ACTIVE
};
const char *fst_transfer_mode_name(enum fst_transfer_mode mode);

/* How a data connection's TCP handshake went, as far as the capture
 * shows it. The side that connects is the TCP client: the FTP client in
 * passive mode, the FTP server in active mode. */
enum fst_data_connect {
	FST_CONNECT_NONE,	/* no attempt captured */
	FST_CONNECT_OPENED,	/* the listener answered, or it was picked up open */
	FST_CONNECT_UNANSWERED, /* only SYNs, no answer (so far) */
	FST_CONNECT_REFUSED,	/* the listener answered the SYN with a reset */
	FST_CONNECT_COUNT
};
const char *fst_data_connect_name(enum fst_data_connect connect);

/* A data connection as the control connection announced it and as the
 * capture saw it attempted. */
struct fst_ftp_data_attempt {
	enum fst_data_connect connect;
	enum fst_transfer_mode mode;
	struct fst_addr announced_addr; /* from the 227/229 reply or PORT/EPRT */
	uint16_t announced_port;	/* 0: nothing was announced for it */
	struct fst_addr to_addr;	/* the listener the SYNs went to (with connect) */
	uint16_t to_port;
	int64_t syn_us; /* the first packet of the attempt, 0 when none */
};

enum fst_transfer_outcome {
	FST_OUTCOME_PENDING,  /* still running */
	FST_OUTCOME_COMPLETE, /* 226 or 250 */
	FST_OUTCOME_FAILED,   /* 425 426 451 452 552 550 ... */
	FST_OUTCOME_ABORTED,  /* ABOR */
	FST_OUTCOME_UNKNOWN,  /* no final reply in the capture */
	FST_OUTCOME_COUNT
};
const char *fst_transfer_outcome_name(enum fst_transfer_outcome outcome);

/* Text lifetimes. Every string a session hands out is NUL-terminated,
 * has its control bytes replaced by '.', and is never NULL (an absent
 * text is ""). The strings of a session and of its records live in the
 * session's text arena, which never moves them: they are good until the
 * session's SESSION_FREE event (or fst_ftp_free). The exceptions are
 * the texts an event carries for a record past the record cap: a
 * command's are good during that callback only, a reply's until the
 * session's next reply (its one slot is then reused). A text that
 * was cut (at FST_FTP_ARG_MAX or FST_FTP_TEXT_MAX bytes, or because the
 * session reached cfg.max_text) says so in its *_truncated flag. */

/* A command as a session keeps it. */
struct fst_ftp_recorded_command {
	enum fst_ftp_verb verb;
	bool arg_truncated;    /* arg was cut */
	const char *verb_text; /* upper-cased as sent */
	const char *arg;       /* PASS: FST_FTP_REDACTED */
};

struct fst_ftp_command_rec {
	int64_t ts_us;
	int64_t reply_ts_us;
	size_t reply_index; /* its final reply in replies[], or SIZE_MAX */
	struct fst_ftp_recorded_command cmd;
	int preliminary_code; /* a 1xx seen for it, or 0 */
	int reply_code;	      /* final reply, or 0 when none */
};

struct fst_ftp_reply_rec {
	int64_t ts_us;
	const char *text; /* the first line's text, after the code */
	int code;
	unsigned lines;
	bool unsolicited;    /* greeting, or no command was waiting (421) */
	bool text_truncated; /* text was cut */
};

/* See fst_ftp_transfer.tls_refused_probably. OpenSSL servers send two
 * TLS 1.3 tickets after a full handshake; a refusing server writes its
 * reply as it closes the data connection. */
#define FST_FTP_TLS_TICKETS_MAX	      2
#define FST_FTP_TLS_TICKET_BODY_MAX   1024
#define FST_FTP_TLS_REFUSAL_WINDOW_US (500 * 1000)

/* The reply to a transfer whose data connection's TLS the server would
 * not take (RFC 4217 section 10; vsftpd: "522 SSL connection failed:
 * session reuse required"). */
#define FST_FTP_REPLY_DATA_TLS_REFUSED 522

struct fst_ftp_transfer {
	uint64_t id; /* within the session, from 1 */
	enum fst_ftp_verb verb;
	const char *file;    /* the command's argument (see text lifetimes) */
	bool file_truncated; /* file was cut */
	enum fst_transfer_mode mode;
	uint64_t rest_offset;
	bool has_rest;
	enum fst_side sender;	 /* who sends the data */
	uint64_t bytes;		 /* sequence-space bytes from the sender */
	int64_t announced_bytes; /* size a 150 reply announced, or -1 */
	uint64_t gap_bytes;	 /* of which the capture lost */
	int64_t command_ts_us;
	int64_t start_us, end_us; /* first and last data, 0 when none */
	enum fst_transfer_outcome outcome;
	int reply_code;
	enum fst_side closed_by; /* first FIN/RST on the data connection */
	bool closed_by_rst;
	bool data_seen;	  /* a data connection was matched */
	bool data_done;	  /* the sender finished or the connection closed */
	bool nat_address; /* announced address differed from the real one */
	/* An FTPS data connection matched by timing alone (its 227 or PORT
	 * was encrypted): probably this session's; its command, sender
	 * (FST_SIDE_NONE), outcome and what its bytes were are unknown. */
	bool by_timing;
	/* by_timing: its TLS handshake was read (tls_seen), and the server
	 * resumed the session the client offered (the control connection's,
	 * as vsftpd's require_ssl_reuse demands). */
	bool tls_seen : 1, tls_resumed : 1;
	/* by_timing, without keys: probably refused by the server. Its data
	 * connection did not resume, finished its TLS handshake and then
	 * carried nothing but what a server sends unasked (at most
	 * FST_FTP_TLS_TICKETS_MAX TLS 1.3 session tickets, records of at
	 * most FST_FTP_TLS_TICKET_BODY_MAX bytes) and alert-sized
	 * records (at most one each way), closed within
	 * FST_FTP_TLS_REFUSAL_WINDOW_US of its last record, and the server's
	 * next control record came within as long of that close: the shape of vsftpd's require_ssl_reuse answering 522 (an
	 * empty transfer without resumption looks the same). */
	bool tls_refused_probably : 1; /* bits: the record stays within 160 bytes */
	/* Its data connection was decrypted with the key log: bytes are the
	 * plaintext the sender sent, not TLS records. */
	bool decrypted;
	/* The data connection, as TCP saw it (valid when data_seen). */
	struct fst_addr data_client_addr, data_server_addr;
	uint16_t data_client_port, data_server_port;
	bool control_ended_first; /* control closed while this was running */
	/* A PASV reply or PORT command announced its data connection since
	 * the transfer command before it (a RETR sent without one: false). */
	bool data_announced;
	/* How its data connection's handshake went (to data_server_addr). */
	enum fst_data_connect data_connect;
};

/* A session. Owned by the tracker: it lives from its SESSION_OPEN event
 * until its SESSION_FREE event (or fst_ftp_free). Read-only for
 * consumers except user, which is theirs. Records are capped
 * (cfg.max_records); what did not fit is counted in *_dropped. The record
 * arrays grow as the session goes on: a pointer into them is good until
 * the session's next event (hold an index instead); the texts they point
 * to do not move (see text lifetimes above). */
struct fst_ftp_session {
	uint64_t id;
	struct fst_addr client_addr, server_addr;
	uint16_t client_port, server_port;
	bool mid_stream;	   /* capture began after the session did */
	bool detected_by_greeting; /* not on a configured port */
	bool encrypted;
	/* Encrypted, and its commands and replies unreadable: no key log, no
	 * secret for it, or its decryption failed (tls->decrypt says why).
	 * A decrypted session is read as a cleartext one. */
	bool opaque;
	/* Which of the texts below were cut. */
	bool banner_truncated, syst_truncated, user_name_truncated, type_truncated, cwd_truncated,
		features_truncated;
	int64_t start_us, last_us, end_us;
	enum fst_ftp_state state;
	struct fst_ftp_turn turn;
	const char *banner;
	const char *syst;
	const char *software; /* guessed from banner/SYST, or NULL; static */
	const char *user_name;
	const char *type;
	const char *cwd;
	const char *features; /* FEAT lines, space-separated */
	/* How the session came to TLS and what its record layer showed
	 * (NULL unless it did; lives as the session does). */
	const struct fst_tls_info *tls;
	int banner_idle_s; /* the idle timeout a greeting line states, or -1 */

	struct fst_ftp_command_rec *commands;
	size_t command_count, commands_dropped;
	struct fst_ftp_reply_rec *replies;
	size_t reply_count, replies_dropped;
	struct fst_ftp_transfer *transfers;
	size_t transfer_count, transfers_dropped;

	uint64_t anomalies; /* overlong lines, invalid replies, ... */
	void *user;
};

enum fst_ftp_anomaly {
	FST_ANOMALY_LINE_TOO_LONG,
	FST_ANOMALY_INVALID_REPLY,
	FST_ANOMALY_INVALID_COMMAND,
	FST_ANOMALY_TOO_MANY_PENDING,
	FST_ANOMALY_BAD_DATA_ADDRESS,
	FST_ANOMALY_UNTERMINATED_REPLY, /* a multi-line reply still open at the end */
	FST_ANOMALY_TLS_MALFORMED,	/* a TLS record header or hello that lied */
	FST_ANOMALY_COUNT
};
const char *fst_ftp_anomaly_name(enum fst_ftp_anomaly anomaly);

enum fst_ftp_event_kind {
	FST_FTP_EV_SESSION_OPEN,
	FST_FTP_EV_COMMAND,	   /* command */
	FST_FTP_EV_REPLY,	   /* reply (+ command it answers, if any) */
	FST_FTP_EV_STATE,	   /* old_state -> session->state */
	FST_FTP_EV_TRANSFER_START, /* transfer (its first data) */
	FST_FTP_EV_TRANSFER_END,   /* transfer (final reply or data close) */
	FST_FTP_EV_TCP,		   /* any tcp event on channel, DATA included */
	FST_FTP_EV_ANOMALY,
	FST_FTP_EV_SESSION_CLOSE, /* the session ended; only SESSION_FREE follows */
	FST_FTP_EV_SESSION_FREE,  /* the session is freed when the callback returns */
	FST_FTP_EV_COUNT
};

/* One event. Pointers are valid during the callback only, except
 * session, which lives until its SESSION_FREE event (or fst_ftp_free).
 *
 * A session's events come in this order: SESSION_OPEN, then any of
 * COMMAND ... TCP, then SESSION_CLOSE once; then, when the tracker frees
 * it (over cfg.max_sessions, oldest ended first), SESSION_FREE, after
 * which nothing about it is delivered and every pointer into it (the
 * session, its records, its texts) is dead: a consumer drops its
 * references and frees what it hung on user there. Sessions still held
 * at fst_ftp_free get no SESSION_FREE. From inside the callback a
 * consumer may read any session and use fst_ftp_sessions/_next,
 * fst_ftp_stats and fst_ftp_command_reply_text; it must not call
 * fst_ftp_free nor feed the tracker (fst_ftp_on_tcp_event). */
struct fst_ftp_event {
	enum fst_ftp_event_kind kind;
	int64_t ts_us;
	struct fst_ftp_session *session;
	enum fst_channel channel;
	const struct fst_tcp_event *tcp;	   /* TCP */
	enum fst_side side;			   /* TCP: the FTP side of tcp->dir */
	const struct fst_ftp_command_rec *command; /* COMMAND, REPLY */
	const struct fst_ftp_reply_rec *reply;	   /* REPLY */
	const struct fst_ftp_transfer *transfer;   /* TRANSFER_*, TCP on data */
	enum fst_ftp_state old_state;		   /* STATE */
	enum fst_ftp_anomaly anomaly;		   /* ANOMALY */
};

typedef void (*fst_ftp_event_fn)(void *ctx, const struct fst_ftp_event *ev);

enum {
	FST_FTP_MAX_PORTS = 16
};

/* The control port always watched, the longest line and the sessions
 * kept by default. */
#define FST_FTP_DEFAULT_PORT 21
/* The implicit FTPS control port always watched (RFC 4217 does not
 * define it; IANA's ftps, used by every server that offers it). */
#define FST_FTP_DEFAULT_FTPS_PORT    990
#define FST_FTP_DEFAULT_MAX_LINE     8192
#define FST_FTP_DEFAULT_MAX_SESSIONS 20000

struct fst_ftp_cfg {
	uint16_t ports[FST_FTP_MAX_PORTS]; /* control ports; none: FST_FTP_DEFAULT_PORT */
	size_t port_count;
	/* Implicit FTPS control ports (TLS from the first byte); none:
	 * FST_FTP_DEFAULT_FTPS_PORT. A session on any control port whose
	 * client opens with a ClientHello is implicit FTPS too. */
	uint16_t ftps_ports[FST_FTP_MAX_PORTS];
	size_t ftps_port_count;
	bool no_autodetect;	   /* do not detect sessions by their 220 greeting */
	size_t max_line;	   /* 0: FST_FTP_DEFAULT_MAX_LINE bytes */
	size_t max_records;	   /* per list per session; 0: 100000 */
	size_t max_pending;	   /* pipelined commands awaiting replies; 0: 64 */
	int64_t expect_timeout_us; /* data connection expectations; 0: 120 s */
	/* Sessions kept, open and ended. Past it the oldest ended ones (in
	 * the order they ended, once their data connections are closed)
	 * are freed with SESSION_FREE. 0: FST_FTP_DEFAULT_MAX_SESSIONS. */
	size_t max_sessions;
	size_t max_text; /* bytes of text one session keeps; 0: 16 MiB */
	/* A transfer's data segments closer than this to the newest one
	 * delivered are not delivered one by one: they count in the transfer
	 * at once (bytes, end_us), and the consumer gets the last of them
	 * as one DATA event (len: their bytes; no payload) before anything
	 * else of the session, before a segment that follows a pause of
	 * data_pause_us or more, or at fst_ftp_flush. The consumer must then
	 * not tell pauses shorter than data_pause_us apart, nor read a data
	 * segment's payload. 0: every segment is an event of its own. */
	int64_t data_pause_us;
	/* Secrets to decrypt FTPS control and data connections with, or
	 * NULL. Borrowed: it must outlive the tracker, which writes the TLS
	 * 1.2 sessions it sees established into it (see
	 * fst_tls_set_decryption). */
	struct fst_tls_keylog *tls_keylog;
	fst_ftp_event_fn on_event;
	void *ctx;
};

struct fst_ftp_stats {
	uint64_t sessions;
	uint64_t data_connections; /* matched to a session */
	uint64_t unmatched_flows;  /* TCP flows that are not FTP */
	/* Connections to a control port that never became a session: the
	 * SYN got no answer in the capture, or a reset (refused). */
	uint64_t control_unanswered, control_refused;
	uint64_t anomalies[FST_ANOMALY_COUNT];
	uint64_t expectations_expired;
	uint64_t sessions_evicted; /* ended sessions freed over max_sessions */
	uint64_t texts_cut;	   /* texts cut at max_text */
	/* Heap bytes the sessions hold now (objects, records, texts, line
	 * and pending buffers; not malloc's own overhead), and the most. */
	uint64_t session_bytes, session_bytes_peak;
};

struct fst_ftp;

/* Returns a new tracker, free with fst_ftp_free. Borrows cfg. */
struct fst_ftp *fst_ftp_new(const struct fst_ftp_cfg *cfg);

/* Frees sessions and tracker, without SESSION_FREE events: every
 * pointer into a session dies here. Call it after fst_tcp_finish (which
 * ends every open session) so that no flow still points into it. */
void fst_ftp_free(struct fst_ftp *ftp);

/* The TCP layer's callbacks (ctx is the tracker): set both, on_flow to
 * fst_ftp_on_tcp_flow, which corrects the roles of mid-stream flows
 * (active-mode data connections, control connections seen from the
 * server's side), and on_event to fst_ftp_on_tcp_event. */
void fst_ftp_on_tcp_flow(void *ftp, struct fst_tcp_flow *flow, int64_t ts_us);
void fst_ftp_on_tcp_event(void *ftp, const struct fst_tcp_event *ev);

/* Delivers the data segments held back (see cfg.data_pause_us) now:
 * call it before reading what the consumer made of the events so far
 * (a live view, a report). fst_tcp_finish's closes deliver them too. */
void fst_ftp_flush(struct fst_ftp *ftp);

/* Sessions in order of their start; NULL after the last. */
struct fst_ftp_session *fst_ftp_sessions(struct fst_ftp *ftp);
struct fst_ftp_session *fst_ftp_session_next(struct fst_ftp_session *session);

const struct fst_ftp_stats *fst_ftp_stats(const struct fst_ftp *ftp);

/* The control connection's payload bytes and packets per direction
 * (index enum fst_tcp_dir: client to server first), as TCP counted them
 * at the session's latest control event (its close at the end). Kept
 * outside struct fst_ftp_session, whose size every idle session pays. */
struct fst_ftp_conn_counts {
	uint64_t bytes[2], packets[2];
};
void fst_ftp_control_counts(const struct fst_ftp_session *session, struct fst_ftp_conn_counts *out);

/* The newest data connection attempt of session (one of this tracker's,
 * not a copy) that no transfer
 * command claimed (a client that gives up when its connect fails,
 * before it sends RETR), copied into *out; a later transfer command
 * claims it and it is gone. Returns false (and *out zeroed) when there
 * is none. */
bool fst_ftp_unclaimed_attempt(const struct fst_ftp_session *session,
			       struct fst_ftp_data_attempt *out);

/* The text of a command's final reply, or "" when there is none (or it
 * was past the record cap). Lives as the reply's text does. */
const char *fst_ftp_command_reply_text(const struct fst_ftp_session *session,
				       const struct fst_ftp_command_rec *command);

/* Password masking for packets written back out (analyze
 * --write-incidents). The caller hands over, in capture order, the
 * client-to-server segments of control connections; the masker follows
 * each such flow's byte stream and overwrites the argument of every PASS
 * line with '*', the same length, so that sequence numbers and lengths
 * stay valid. A PASS split over segments is masked in each; a segment
 * sent again (also cut differently) is masked where it overlaps a PASS
 * argument already seen; after bytes the capture lost, an argument in
 * progress is masked up to the next line end. */
struct fst_ftp_masker;

/* At most this many flows are followed; a segment of a flow beyond them
 * is masked by itself alone (a line that starts PASS in it). */
#define FST_FTP_MASKER_MAX_FLOWS 65536

/* Returns new, free with fst_ftp_masker_free; NULL when out of memory. */
struct fst_ftp_masker *fst_ftp_masker_new(void);
/* NULL is a no-op. */
void fst_ftp_masker_free(struct fst_ftp_masker *m);

/* Masks, in payload (a writable copy of pkt's payload_caplen captured
 * bytes), what pkt carries of PASS arguments. pkt must be a client-to-
 * server segment of a control connection. Borrows both for the call.
 * Returns the number of bytes masked. */
size_t fst_ftp_masker_mask(struct fst_ftp_masker *m, const struct fst_packet *pkt,
			   uint8_t *payload);

/* Flows that found the table full (see FST_FTP_MASKER_MAX_FLOWS). */
uint64_t fst_ftp_masker_flows_refused(const struct fst_ftp_masker *m);

#endif
