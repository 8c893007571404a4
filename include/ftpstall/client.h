/* The FTP client: `upload` (files one after another on one session,
 * reconnecting and resuming when a connection fails, then verifying
 * each file) and `probe` (how long a server's timers keep a session:
 * login, idle, NOOP, no transfer, stalled data). Its own sockets and
 * reply reader, plain or over TLS (RFC 4217, OpenSSL 3); the reply and
 * 227/229 parsing comes from ftp_proto. Depends on common, ftp_proto and
 * OpenSSL. Never prints: results come back in
 * structures, and the report functions write them to a caller's stream. */
#ifndef FTPSTALL_CLIENT_H
#define FTPSTALL_CLIENT_H

#include <signal.h>
#include <stdio.h>

#include "ftpstall/common.h"

/* Caps. A reply line longer than FST_CLIENT_LINE_MAX, or a multi-line
 * reply of more than FST_CLIENT_REPLY_LINES_MAX lines, is a protocol
 * error: a hostile server cannot make the client grow or hang. */
enum {
	FST_CLIENT_LINE_MAX = 8192,
	FST_CLIENT_REPLY_LINES_MAX = 1000,
	FST_CLIENT_TEXT_MAX = 255, /* reply texts kept for reports */
	FST_CLIENT_USER_MAX = 255,
	FST_CLIENT_PASSWORD_MAX = 255,
	FST_CLIENT_HOST_MAX = 255,
	FST_CLIENT_PATH_MAX = 1023,
	FST_CLIENT_FILES_MAX = 10000,
	FST_CLIENT_RECONNECTS_MAX = 1000, /* kept in a result; more are counted */
};

/* ---- URLs and credentials ---- */

/* How the client protects its connections (RFC 4217). */
enum fst_client_tls {
	FST_TLS_NONE,	  /* ftp://: plain FTP */
	FST_TLS_EXPLICIT, /* ftpes://, or ftp:// with --ssl-reqd: AUTH TLS, PBSZ 0, PROT P */
	FST_TLS_IMPLICIT, /* ftps://: TLS from the first byte, port 990 by default */
	FST_TLS_COUNT
};

/* "none", "explicit", "implicit". */
const char *fst_client_tls_name(enum fst_client_tls t);
/* The URL scheme that means t: "ftp", "ftpes", "ftps". */
const char *fst_client_tls_scheme(enum fst_client_tls t);

/* ftp://, ftpes:// or ftps://[user@]host[:port]/path, user and path
 * percent-decoded. */
struct fst_client_url {
	enum fst_client_tls tls; /* from the scheme */
	bool has_user;
	char user[FST_CLIENT_USER_MAX + 1];
	char host[FST_CLIENT_HOST_MAX + 1]; /* an IPv6 literal without its brackets */
	uint16_t port;			    /* 21 (990 for ftps://) unless given */
	char path[FST_CLIENT_PATH_MAX + 1]; /* without the leading '/'; "" = login dir */
};

/* Parses text into out. Refuses a password in the URL (user:pass@): a
 * password never comes from argv. Refuses decoded CR, LF or NUL, which
 * would smuggle commands onto the control connection. Returns FST_OK, or
 * FST_ERR_ARG with errbuf filled (the text of a refused password is
 * never copied into errbuf). */
int fst_client_url_parse(const char *text, struct fst_client_url *out, char *errbuf);

/* Looks host (and user, unless NULL) up in a netrc file at path. On a
 * match copies the login (when user is NULL) and the password, and
 * returns 1; returns 0 when the file does not exist or has no match.
 * Refuses (FST_ERR_ARG) a file that others may read or write, or that
 * is not a regular file owned by the caller, as ftp(1) does; FST_ERR_IO
 * when unreadable; FST_ERR_LIMIT when larger than 64 KiB. The password
 * never reaches errbuf. */
int fst_client_netrc_find(const char *path, const char *host, const char *user, char *login,
			  size_t login_size, char *password, size_t password_size, char *errbuf);

/* Decides who logs in, for url: its user, with FTP_PASSWORD's value
 * (env_password, NULL if unset) or else the netrc entry for host and
 * user; without a user in the URL the netrc entry for the host (login
 * and password), else anonymous (with env_password, if set, as the
 * anonymous password). netrc_path may be NULL. Fills user and password
 * (*have_password false: the anonymous default). Returns FST_OK, or a
 * negative code with errbuf filled (never with the password in it). */
int fst_client_credentials(const struct fst_client_url *url, const char *env_password,
			   const char *netrc_path, char *user, size_t user_size, char *password,
			   size_t password_size, bool *have_password, char *errbuf);

/* ---- Connection settings shared by upload and probe ---- */

enum fst_client_data_mode {
	FST_CLIENT_PASSIVE, /* EPSV, falling back to PASV */
	FST_CLIENT_ACTIVE,  /* EPRT, falling back to PORT */
};

/* Borrowed by the client for its whole life. */
struct fst_client_cfg {
	const char *host;
	uint16_t port;
	const char *user;     /* "anonymous" when NULL */
	const char *password; /* sent only in PASS, never reported */
	const char *dir;      /* CWD after login; NULL or "" = stay */
	bool create_dirs;     /* MKD the missing components of dir (upload) */
	int family;	      /* 0 any, 4 or 6 */
	enum fst_client_data_mode data_mode;
	/* TLS on the control connection and, with PROT P, on every data
	 * connection, which resumes the control connection's session. */
	enum fst_client_tls tls;
	const char *cacert;	    /* PEM file of trusted CAs; NULL = the system store */
	bool insecure;		    /* no certificate or host name check (-k) */
	const char *keylog_path;    /* NSS key log (SSLKEYLOGFILE) appended to; NULL = none */
	int64_t connect_timeout_us; /* per address tried */
	int64_t timeout_us;	    /* a reply, or progress on a data connection */
	/* Set by a signal handler to stop: every wait ends and the call
	 * returns FST_ERR_IO with "interrupted". May be NULL. */
	const volatile sig_atomic_t *cancel;
	/* Protocol log: commands sent (PASS as ****), reply lines, state
	 * changes, reconnects. line is valid only during the call. */
	void (*on_log)(void *ctx, const char *line);
	void *log_ctx;
};

/* ---- Digests (for servers that offer HASH or X* checksum commands) ---- */

enum fst_client_digest {
	FST_DIGEST_NONE,
	FST_DIGEST_SHA256,
	FST_DIGEST_SHA1,
	FST_DIGEST_MD5,
	FST_DIGEST_CRC32,
	FST_DIGEST_COUNT
};

enum {
	FST_DIGEST_HEX_MAX = 64
};

/* "SHA-256", "SHA-1", "MD5", "CRC32", or "none". */
const char *fst_client_digest_name(enum fst_client_digest d);

/* Hex digest (lower case) of a whole buffer, into hex (size >
 * FST_DIGEST_HEX_MAX). For tests and small inputs. */
void fst_client_digest_hex(enum fst_client_digest d, const void *data, size_t len, char *hex,
			   size_t size);

/* ---- upload ---- */

enum fst_client_file_status {
	FST_FILE_PENDING,  /* not attempted (an earlier failure ended the run) */
	FST_FILE_VERIFIED, /* remote size (and checksum, if offered) match */
	FST_FILE_FAILED,
	FST_FILE_STATUS_COUNT
};

enum fst_client_resume {
	FST_RESUME_NONE,      /* nothing to send: the server had it all */
	FST_RESUME_STOR,      /* from 0 */
	FST_RESUME_REST_STOR, /* REST offset + STOR */
	FST_RESUME_APPE,      /* REST refused: APPE from the remote size */
	FST_RESUME_COUNT
};

/* Where the client was when a connection failed. */
enum fst_client_phase {
	FST_PHASE_CONNECT, /* connecting or logging in */
	FST_PHASE_IDLE,	   /* between files (--idle-before, keepalive) */
	FST_PHASE_SETUP,   /* SIZE, REST, EPSV/PASV, STOR before data flowed */
	FST_PHASE_DATA,	   /* sending file data */
	FST_PHASE_FINAL,   /* waiting for the transfer's final reply */
	FST_PHASE_VERIFY,  /* SIZE or checksum after the transfer */
	FST_PHASE_COUNT
};

const char *fst_client_file_status_name(enum fst_client_file_status s);
const char *fst_client_resume_name(enum fst_client_resume r);
const char *fst_client_phase_name(enum fst_client_phase p);

struct fst_client_upload_cfg {
	struct fst_client_cfg conn;
	const char *const *files; /* local paths, borrowed */
	size_t file_count;
	unsigned retries;	    /* reconnects per file without progress */
	int64_t retry_delay_us;	    /* first backoff delay */
	int64_t retry_max_delay_us; /* backoff cap */
	int64_t keepalive_us;	    /* NOOP interval while idle; 0 = none */
	int64_t idle_before_us;	    /* idle on the control connection before each file */
	bool pause_enabled;
	uint64_t pause_at; /* stall once per file when this many bytes are sent */
	int64_t pause_us;
	uint64_t limit_rate; /* bytes per second; 0 = unlimited */
	/* -C -: a remote file an earlier run left partial is resumed from
	 * its SIZE (REST + STOR, or APPE) instead of written from 0. */
	bool resume_existing;
	/* Progress of the current file; called at most every 100 ms and at
	 * the end of each transfer. May be NULL. */
	void (*on_progress)(void *ctx, size_t file_index, uint64_t offset, uint64_t size);
	/* --idle-before: about once a second while idling before a file,
	 * elapsed of duration_us. May be NULL; shares progress_ctx. */
	void (*on_idle)(void *ctx, size_t file_index, int64_t elapsed_us, int64_t duration_us);
	void *progress_ctx;
};

/* One reconnect: when, why, and where the file resumed. */
struct fst_client_reconnect {
	int64_t at_us;	    /* wall clock of the failure */
	int64_t elapsed_us; /* monotonic time since the run started */
	size_t file_index;
	enum fst_client_phase phase;
	int reply_code;			      /* the server's reply, or 0 */
	char reason[FST_CLIENT_TEXT_MAX + 1]; /* reply text or socket error */
	uint64_t sent_offset;		      /* file offset the client had reached */
	/* From the loss (the moment the connection was found lost) to the
	 * next successful login; 0 while none followed. */
	int64_t delay_us;
	int64_t backoff_us;    /* of that, the backoff slept */
	bool resumed;	       /* false: the file failed before resuming */
	uint64_t resumed_from; /* remote size found after reconnecting */
	enum fst_client_resume method;
};

struct fst_client_file_result {
	const char *path; /* borrowed from the cfg */
	char remote_name[FST_CLIENT_PATH_MAX + 1];
	uint64_t size;
	enum fst_client_file_status status;
	char error[FST_ERRBUF_SIZE];
	uint64_t bytes_sent; /* over all attempts */
	unsigned attempts;
	unsigned reconnects;
	uint64_t remote_size;
	enum fst_client_digest digest; /* NONE: the server offered none we have */
	char digest_hex[FST_DIGEST_HEX_MAX + 1];
	int64_t duration_us;
};

struct fst_client_upload_result {
	char user[FST_CLIENT_USER_MAX + 1]; /* never the password */
	char greeting[FST_CLIENT_TEXT_MAX + 1];
	char tls_version[16]; /* the control connection's: "TLSv1.3"; "" plain */
	char data_mode[16];   /* the last data command used: EPSV, PASV, EPRT, PORT */
	char digests_offered[FST_CLIENT_TEXT_MAX + 1]; /* from FEAT */
	struct fst_client_file_result *files;	       /* file_count of them */
	size_t file_count;
	struct fst_client_reconnect *reconnects;
	size_t reconnect_count;	     /* kept */
	uint64_t reconnects_dropped; /* beyond FST_CLIENT_RECONNECTS_MAX */
	uint64_t noops;		     /* keepalive NOOPs sent */
	uint64_t logins;	     /* successful logins, the first one included */
	uint64_t connect_failures;   /* connection or login attempts that failed */
	size_t verified, failed;
	bool fatal;		     /* the run stopped early */
	char error[FST_ERRBUF_SIZE]; /* why, when fatal */
	int64_t started_at_us;	     /* wall clock */
	int64_t duration_us;
};

struct fst_client_upload;

/* Returns a new upload for cfg (borrowed, with everything it points to,
 * until fst_client_upload_free), or NULL with errbuf filled. */
struct fst_client_upload *fst_client_upload_new(const struct fst_client_upload_cfg *cfg,
						char *errbuf);
void fst_client_upload_free(struct fst_client_upload *u);

/* Uploads every file. Returns FST_OK when all were verified, else a
 * negative code; the result says what happened to each file. */
int fst_client_upload_run(struct fst_client_upload *u);

/* Valid until fst_client_upload_free. */
const struct fst_client_upload_result *fst_client_upload_result(const struct fst_client_upload *u);

/* ---- probe ---- */

/* How a wait on a connection ended. */
enum fst_client_end {
	FST_END_NONE,	  /* not measured */
	FST_END_REPLY,	  /* a reply (421), then see closed_by */
	FST_END_FIN,	  /* the server closed (EOF) */
	FST_END_RST,	  /* the connection was reset */
	FST_END_DATA_FIN, /* the server closed the data connection */
	FST_END_DATA_RST, /* the data connection was reset */
	FST_END_MAX_WAIT, /* still open at --max-wait */
	FST_END_ERROR,	  /* a local or socket error: see text */
	FST_END_COUNT
};

const char *fst_client_end_name(enum fst_client_end e);

/* The server timers probe tells apart, each measured on a connection of
 * its own, in this order. */
enum fst_client_timer {
	FST_PROBE_LOGIN,       /* greeting, then no USER: how long it waits */
	FST_PROBE_IDLE,	       /* logged in, no command at all */
	FST_PROBE_NOOP,	       /* NOOP every interval: honoured or not */
	FST_PROBE_NO_TRANSFER, /* PWD every interval, never a transfer */
	FST_PROBE_DATA,	       /* a STOR whose data connection stalls */
	FST_PROBE_COUNT
};

/* "login", "idle", "noop", "no_transfer", "data". */
const char *fst_client_timer_name(enum fst_client_timer t);

/* A comma-separated list of timer names into a mask (bit 1 << timer).
 * Returns FST_OK, or FST_ERR_ARG with errbuf naming the unknown word. */
int fst_client_timers_parse(const char *list, unsigned *mask, char *errbuf);

struct fst_client_probe_cfg {
	struct fst_client_cfg conn;
	int64_t max_wait_us;
	bool data;	 /* also measure a stalled data connection (= data in timers) */
	unsigned timers; /* 1 << fst_client_timer; 0 = idle (with data, if set) */
	/* NOOP (and PWD) interval; 0 = a third of the idle result, else 30 s. */
	int64_t noop_interval_us;
	/* Commands sent after each login (curl's --quote), such as SITE IDLE;
	 * each must be answered 2xx. Borrowed. */
	const char *const *quote;
	size_t quote_count;
	/* While waiting on timer: about once a second. May be NULL. */
	void (*on_wait)(void *ctx, enum fst_client_timer timer, int64_t elapsed_us,
			int64_t max_wait_us);
	void *wait_ctx;
};

struct fst_client_probe_wait {
	bool measured;
	int64_t timeout_us; /* from the last exchange to the first sign of closing */
	enum fst_client_end end;
	int reply_code; /* 0 if none came */
	char reply[FST_CLIENT_TEXT_MAX + 1];
	enum fst_client_end closed_by; /* after the reply: FIN, RST or MAX_WAIT */
	int64_t reply_to_close_us;     /* from the reply to the close, if both */
	uint64_t bytes_sent;	       /* data probe: bytes sent before stalling */
	char tls_alert[64];	       /* the TLS alert the server closed with; "" none */
	/* noop and no_transfer: the command interval and how many were
	 * answered; noop: whether NOOP kept the session beyond the idle
	 * timeout (or to --max-wait). */
	int64_t interval_us;
	uint64_t commands;
	bool honoured;
	char error[FST_ERRBUF_SIZE]; /* FST_END_ERROR */
};

struct fst_client_probe_result {
	char user[FST_CLIENT_USER_MAX + 1];
	char greeting[FST_CLIENT_TEXT_MAX + 1];
	char tls_version[16]; /* the control connection's: "TLSv1.3"; "" plain */
	int64_t resolution_us;
	int64_t max_wait_us;
	unsigned timers; /* those measured: 1 << fst_client_timer */
	struct fst_client_probe_wait login;
	struct fst_client_probe_wait idle;
	struct fst_client_probe_wait noop;
	struct fst_client_probe_wait no_transfer;
	struct fst_client_probe_wait data;
	bool data_file_removed; /* the probe's scratch file was deleted again */
	char data_file[64];
	int64_t started_at_us;
	/* How the server's own clock limits the measurement, when known from
	 * its greeting (a static string); NULL otherwise. */
	const char *timer_note;
};

/* Logs in and measures; fills out. Returns FST_OK when every requested
 * measurement ended (a max-wait also counts), else a negative code with
 * errbuf filled (then out holds what was measured). */
int fst_client_probe_run(const struct fst_client_probe_cfg *cfg,
			 struct fst_client_probe_result *out, char *errbuf);

/* ---- reports: views of the results ---- */

/* Writes the upload summary as text or JSON to out; host, port and
 * version are shown as given. Returns 0, or FST_ERR_IO. */
int fst_client_upload_report(FILE *out, bool json, const char *version,
			     const struct fst_client_upload_cfg *cfg,
			     const struct fst_client_upload_result *r);

int fst_client_probe_report(FILE *out, bool json, const char *version,
			    const struct fst_client_probe_cfg *cfg,
			    const struct fst_client_probe_result *r);

#endif
