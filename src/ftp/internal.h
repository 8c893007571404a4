/* Private to src/ftp: the session object behind struct fst_ftp_session
 * and the hooks between the tracker and the session state machine. */
#ifndef FTPSTALL_FTP_INTERNAL_H
#define FTPSTALL_FTP_INTERNAL_H

#include "ftpstall/ftp.h"

/* Bytes of one direction of a control connection on their way to
 * becoming lines. Grows on demand up to the configured maximum. */
struct line_reader {
	char *buf;
	size_t len, cap;
	bool overflow; /* the current line passed the maximum */
	uint8_t telnet_state;
};

/* A command awaiting its final reply. */
struct pending_command {
	enum fst_ftp_verb verb;
	size_t record;	 /* index in commands[], or SIZE_MAX if not recorded */
	size_t transfer; /* index in transfers[], or SIZE_MAX */
	bool preliminary_seen;
};

/* Where a data connection is expected (one per session: the latest
 * PASV/PORT wins). Linked into the tracker's table by port. */
struct expectation {
	struct expectation *next_in_bucket;
	struct session *session;
	struct fst_addr listener; /* as announced */
	uint16_t port;
	enum fst_transfer_mode mode;
	int64_t expires_us;
	bool linked;
};

enum flow_role {
	FLOW_UNDECIDED,
	FLOW_CONTROL,
	FLOW_DATA,
	FLOW_ORPHAN, /* mid-stream, announced by nothing seen: a data connection? */
	FLOW_NOT_FTP
};

/* A flow picked up without its handshake that no announcement matched
 * and that is no control connection: the data connection of a transfer
 * whose PASV/PORT and command came before the capture, perhaps. What
 * TCP showed of it is kept (also after its CLOSE) until a mid-stream
 * session between the same hosts reports a transfer's end and claims
 * it, or it is pushed out (FTP_MAX_ORPHANS). Per TCP direction. */
struct orphan {
	struct orphan *next, *prev; /* the tracker's list, oldest first */
	struct flow_ctx *ctx;	    /* while the flow is open, else NULL */
	struct fst_tcp_flow *flow;  /* likewise */
	struct fst_addr client_addr, server_addr;
	uint16_t client_port, server_port;
	uint64_t bytes[2], gap_bytes[2];
	int64_t first_data_us[2], last_data_us[2];
	int64_t first_ts_us, last_ts_us; /* the flow's first and last packets */
	bool closed_seen;		 /* a FIN or RST came */
	enum fst_tcp_dir closed_dir;
	bool closed_rst;
};

enum {
	FTP_MAX_ORPHANS = 64
};

/* What the tracker hangs on a TCP flow's user pointer. */
struct flow_ctx {
	enum flow_role role;
	struct session *session;
	size_t transfer;	      /* data flows: index in transfers[], or SIZE_MAX */
	enum fst_side side_of_dir[2]; /* data flows: FTP side of each TCP dir */
	bool nat_address;
	const struct fst_tcp_flow *flow;     /* data flows: valid until its CLOSE */
	bool closed_seen;		     /* data flows: first FIN/RST already attributed */
	struct orphan *orphan;		     /* orphan flows: their record */
	struct fst_ftp_data_attempt attempt; /* data flows: announced, handshake */
	struct flow_ctx *next_connecting;    /* in its session's connecting list */
	bool connecting;		     /* ... which it is in */
	struct fst_tls *tls; /* data flows matched by timing: their handshake, until read */
};

/* The context of a flow that is not a control connection (a data or an
 * orphan flow, allocated with data_flow_new): what it may hold back as a
 * data flow (see fst_ftp_cfg.data_pause_us) lives here, not in every
 * session's control context. */
struct data_flow {
	struct flow_ctx ctx; /* first: a FLOW_DATA flow_ctx is one of these */
	/* While its session holds its segments back: the newest segment
	 * delivered, and those held since (the newest one's time, their
	 * bytes); it is then in the tracker's list of them. */
	int64_t delivered_us, held_us;
	uint64_t held_bytes;
	uint32_t held_segments;
	enum fst_tcp_dir held_dir;
	struct fst_tcp_flow *held_flow;
	struct data_flow *holding_prev, *holding_next;
	/* Decrypted (session_decrypt_data): plaintext the sender's records
	 * gave during the current segment. */
	uint64_t plain_bytes;
};

/* A block of a session's text arena. Blocks are never moved or resized,
 * so a string in one stays put until the session is freed. */
struct text_block {
	struct text_block *next; /* older blocks */
	size_t used, cap;
	char data[];
};

struct session {
	struct fst_ftp_session pub;  /* first: the consumer's view */
	struct session *prev, *next; /* all sessions, in order of creation */
	struct session *ended_next;  /* ended sessions, in the order they ended */
	struct fst_ftp *tracker;
	struct text_block *text; /* the text arena, newest block first */
	size_t text_bytes;	 /* of blocks, counted against cfg.max_text */
	size_t heap_bytes;	 /* everything this session holds */
	char *features;		 /* in the arena; NULL until a FEAT reply */
	struct flow_ctx control;
	bool confirmed; /* known to be FTP; events flow */
	bool saw_greeting;
	unsigned probe_lines; /* lines seen while not yet confirmed */
	struct line_reader lines[2];
	struct fst_ftp_reply_asm *reply; /* a multi-line reply in progress, or NULL */
	char *unrecorded_text;		 /* in the arena: the newest reply past the cap */
	struct pending_command *pending; /* ring, grown up to cfg.max_pending */
	size_t pending_cap, pending_head, pending_count;
	size_t records_cap[3];
	uint64_t rest_offset;
	bool rest_pending;
	enum fst_side last_sender; /* encrypted sessions: who spoke last */
	struct fst_tls *tls;	   /* the control connection's record layer, or NULL */
	int64_t tls_server_us;	   /* encrypted: the server's latest control bytes */
	/* A data connection matched by timing closed with the shape of a
	 * refused one (see tls_refused_probably): its transfer and when,
	 * until the next control record decides. */
	bool refusal_pending;
	size_t refusal_transfer;
	int64_t refusal_us;
	size_t open_transfer;	       /* transfer whose data is expected, or SIZE_MAX */
	struct flow_ctx *waiting_data; /* data flow matched before its command */
	struct expectation expect;
	bool announce_fresh; /* expect was announced since the last transfer command */
	struct fst_ftp_data_attempt unclaimed; /* see fst_ftp_unclaimed_attempt */
	struct flow_ctx *connecting;	       /* data flows with only SYNs so far (a list) */
	bool closed;
	bool replies_maybe_lost;  /* the capture lost server bytes while commands waited */
	unsigned open_data_flows; /* data connections still pointing here */
	int64_t last_packet_us;	  /* newest packet of the control or a data connection */
	struct fst_ftp_conn_counts control_counts; /* see fst_ftp_control_counts */
	/* The data flow whose sender's segments are held back, or NULL. */
	struct data_flow *holding;
};

/* Tracker internals the session code uses. */
const struct fst_ftp_cfg *ftp_cfg(const struct fst_ftp *ftp);
void ftp_emit(struct fst_ftp *ftp, struct fst_ftp_event *ev);
void ftp_count_anomaly(struct fst_ftp *ftp, enum fst_ftp_anomaly anomaly);
void ftp_count_text_cut(struct fst_ftp *ftp);
/* The assembler for replies that start in the current line. */
struct fst_ftp_reply_asm *ftp_reply_scratch(struct fst_ftp *ftp);
/* A session's heap grew by add bytes and shrank by sub. */
void ftp_account(struct fst_ftp *ftp, size_t add, size_t sub);
void ftp_expect(struct fst_ftp *ftp, struct session *s, const struct fst_addr *listener,
		uint16_t port, enum fst_transfer_mode mode, int64_t now_us);
void ftp_unexpect(struct fst_ftp *ftp, struct session *s);
/* The orphan flow (see struct orphan) between the session's two hosts
 * seen last, for a transfer whose command the capture lacks; NULL if
 * none. Unlinked from the tracker: the caller takes it and frees it
 * with free() (its flow, if still open, is the caller's to re-role). */
struct orphan *ftp_claim_orphan(struct fst_ftp *ftp, const struct session *s, int64_t now_us);
/* A zeroed context for a data or orphan flow; NULL when out of memory.
 * Free with free(). */
struct flow_ctx *data_flow_new(void);
/* The tracker's list of data flows that hold segments back. */
void ftp_holding_add(struct fst_ftp *ftp, struct data_flow *d);
void ftp_holding_remove(struct fst_ftp *ftp, struct data_flow *d);
/* Numbers a session that has just proved to be FTP. */
void ftp_session_confirmed(struct fst_ftp *ftp, struct session *s);

/* Session machinery used by the tracker. */
struct session *session_new(struct fst_ftp *ftp, const struct fst_tcp_flow *flow,
			    bool detected_by_greeting);
void session_free(struct session *s);
void session_control_data(struct session *s, const struct fst_tcp_event *ev);
void session_control_close(struct session *s, const struct fst_tcp_event *ev);
void session_attach_data(struct session *s, struct flow_ctx *data);
/* How flow would be a data connection of the encrypted session s, by
 * timing alone (opened within FTP_TLS_DATA_WINDOW_US of the server's
 * latest bytes on the control connection, between the session's hosts),
 * or FST_MODE_UNKNOWN when it would not. */
enum fst_transfer_mode session_tls_data_mode(const struct session *s,
					     const struct fst_tcp_flow *flow, int64_t now_us);
/* Gives data, a data connection matched by timing, a transfer record of
 * its own (by_timing) and attaches it. */
void session_attach_tls_data(struct session *s, struct flow_ctx *data);
/* A data connection of s matched by its announcement: when s is
 * decrypted, it is decrypted too. Returns true when it is, and its
 * payload is wanted from here. */
bool session_decrypt_data(struct session *s, struct flow_ctx *data);
/* A session went over to TLS: the tracker starts matching data
 * connections by timing. */
void ftp_tls_started(struct fst_ftp *ftp);
/* Makes a claimed orphan the session's transfer that code ended. */
void session_adopt_orphan(struct session *s, struct orphan *o, int code, int64_t ts_us);
void session_data_event(struct session *s, struct flow_ctx *data, const struct fst_tcp_event *ev);
/* Delivers the data segments the session holds back, if any. */
void session_deliver_held(struct session *s);
/* Whether a session on probation has shown it is not FTP. */
bool session_rejected(const struct session *s);
/* Emits SESSION_OPEN and replays what was recorded while probing. */
void session_confirm(struct session *s, int64_t ts_us);

#endif
