/* Private to src/client: the control connection, its reply reader and
 * data connections (conn.c), digests (digest.c), and the bits upload.c,
 * probe.c and report.c share. */
#ifndef FTPSTALL_CLIENT_INTERNAL_H
#define FTPSTALL_CLIENT_INTERNAL_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "ftpstall/client.h"
#include "ftpstall/ftp_proto.h"

/* The control connection's life (curl's ftp.c habit: one function
 * changes state and logs old -> new). */
enum client_state {
	CS_CLOSED,
	CS_CONNECTING,
	CS_GREETING,
	CS_LOGIN,
	CS_READY,    /* logged in, waiting for our next command */
	CS_TRANSFER, /* a data transfer is open */
	CS_COUNT
};

/* Why the last operation failed. The upload retries the transient ones
 * (client_fail_transient). */
enum client_fail {
	CF_NONE,
	CF_TIMEOUT,   /* no reply, or no progress, within the timeout */
	CF_CLOSED,    /* EOF from the server */
	CF_RESET,     /* ECONNRESET or EPIPE */
	CF_SOCKET,    /* another socket or resolver error */
	CF_REPLY,     /* an unexpected reply: fail_code */
	CF_PROTOCOL,  /* not an FTP reply, or a cap exceeded */
	CF_LOCAL,     /* a local file error */
	CF_CANCELLED, /* the cancel flag was set */
	CF_SHORT,     /* the server has fewer bytes than were sent: resume */
	CF_VERIFY,    /* the remote file does not match: not retried */
	CF_COUNT
};

/* What FEAT offered (RFC 2389). */
struct client_feat {
	bool seen; /* FEAT answered 211 */
	bool size, rest_stream, epsv, eprt, utf8;
	bool hash; /* draft-bryan-ftpext-hash */
	bool hash_algo[FST_DIGEST_COUNT];
	enum fst_client_digest hash_current; /* the one marked '*' */
	bool x_digest[FST_DIGEST_COUNT];     /* XSHA256 XSHA1 XMD5 XCRC */
};

/* One finished reply. */
struct client_reply {
	int code;
	unsigned lines;
	char text[FST_CLIENT_TEXT_MAX + 1]; /* the first line's text, made printable */
	char last[FST_CLIENT_TEXT_MAX + 1]; /* the last line's text */
};

/* Called for every line of a reply (without its line end); line is
 * valid only during the call. */
typedef void (*client_line_fn)(void *ctx, const char *line, size_t len);

struct client_conn {
	const struct fst_client_cfg *cfg; /* borrowed */
	int fd;				  /* -1 when closed */
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;
	enum client_state state;
	/* Received bytes not yet consumed as lines; one line must fit. */
	char rbuf[FST_CLIENT_LINE_MAX];
	size_t rlen;
	struct fst_ftp_reply_asm asm_;
	int64_t last_rx_us; /* monotonic: the last reply line received */
	int64_t greeted_us; /* monotonic: the 220 greeting received */
	int64_t last_tx_us; /* monotonic: the last command sent */
	/* The last failure. */
	enum client_fail fail;
	int fail_code;	/* CF_REPLY: the reply code */
	int fail_errno; /* CF_RESET/CF_SOCKET: errno */
	char fail_text[FST_CLIENT_TEXT_MAX + 1];
	bool fatal;    /* retrying cannot help: login refused, no such dir */
	bool quitting; /* client_quit: the cancel flag is not looked at */
	/* Learned from the server; kept across reconnects. */
	struct client_feat feat;
	bool epsv_refused, eprt_refused, rest_refused;
	char greeting[FST_CLIENT_TEXT_MAX + 1];
	char data_cmd[8]; /* EPSV, PASV, EPRT or PORT: the last one used */
	/* TLS (tls.c): the context and the session data connections
	 * resume live across reconnects; ssl is the control connection's. */
	SSL_CTX *tls_ctx;
	SSL *ssl;
	SSL_SESSION *tls_session;
	FILE *keylog;
	char tls_version[16]; /* the control connection's last handshake */
	char tls_alert[64];   /* the last alert the server sent; "" none */
};

/* A data connection being set up or open. */
struct client_data {
	int fd;	       /* connected socket, -1 until there is one */
	int listen_fd; /* active mode: our listener, -1 otherwise */
	SSL *ssl;      /* PROT P: after client_data_accept */
};

int64_t client_mono_us(void);
int64_t client_real_us(void);

/* snprintf that means to truncate: texts for reports are capped. */
void client_textf(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats a line for cfg->on_log, if set. */
void client_log(const struct fst_client_cfg *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *client_state_name(enum client_state s);

void client_conn_init(struct client_conn *c, const struct fst_client_cfg *cfg);
/* Closes the socket (if open) and forgets buffered bytes; keeps what was
 * learned about the server. */
void client_conn_close(struct client_conn *c);

/* Sends QUIT and reads replies until its 221 (or wait_us), then closes;
 * also after a cancel, which it ignores meanwhile, so that a Ctrl-C
 * still says goodbye and leaves no unread reply for close() to answer
 * with a reset. Closes the data connection first: the server answers
 * nothing on the control connection while a transfer is open. */
void client_quit(struct client_conn *c, int64_t wait_us);
bool client_conn_open(const struct client_conn *c);
/* Closes and frees what the connection keeps across reconnects (the
 * TLS context, session and key log). */
void client_conn_release(struct client_conn *c);
/* READY <-> TRANSFER, for the log. */
void client_conn_set_transfer(struct client_conn *c, bool on);

/* Resolves, connects (each address in turn, connect_timeout each) and
 * reads the greeting. */
int client_connect(struct client_conn *c, char *errbuf);
/* USER/PASS, FEAT, TYPE I, CWD. A refused login or directory sets
 * c->fatal. */
int client_login(struct client_conn *c, char *errbuf);

/* Sends one command (CR LF added). Refuses CR or LF inside it. PASS is
 * logged as ****. */
int client_send(struct client_conn *c, char *errbuf, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reads one whole reply by deadline_us (monotonic). 1xx replies are
 * returned like any other. on_line may be NULL. */
int client_reply(struct client_conn *c, int64_t deadline_us, struct client_reply *r,
		 client_line_fn on_line, void *ctx, char *errbuf);
/* Sends a command and reads its reply within the timeout. */
int client_cmd(struct client_conn *c, struct client_reply *r, char *errbuf, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records an unexpected reply as the failure: errbuf "what: 550 text". */
int client_fail_reply(struct client_conn *c, const struct client_reply *r, char *errbuf,
		      const char *what);
/* Records a socket error (errno err, 0 for EOF) as the failure. */
int client_fail_errno(struct client_conn *c, enum client_fail kind, int err, char *errbuf,
		      const char *what);
/* Records a failure of kind with our own words (fail_text and errbuf). */
int client_fail_text(struct client_conn *c, enum client_fail kind, char *errbuf, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
/* Whether a reconnect may cure the last failure. */
bool client_fail_transient(const struct client_conn *c);

/* Waits for pfd events until deadline_us (monotonic). Returns 1 when an
 * fd is ready, 0 at the deadline, FST_ERR_IO when cancelled (c->fail =
 * CF_CANCELLED) or poll failed. */
int client_poll(struct client_conn *c, struct pollfd *pfd, unsigned n, int64_t deadline_us,
		char *errbuf);
/* Sleeps until deadline_us, or until cancelled (FST_ERR_IO). */
int client_sleep_until(struct client_conn *c, int64_t deadline_us, char *errbuf);

/* EPSV (or PASV) and connect, or listen and EPRT (or PORT). The data
 * connection goes only to the control connection's peer address. */
int client_data_open(struct client_conn *c, struct client_data *d, char *errbuf);
/* Active mode, after the 1xx: accepts the server's connection (only
 * from the control peer's address). Passive: nothing to do. */
int client_data_accept(struct client_conn *c, struct client_data *d, char *errbuf);
void client_data_close(struct client_data *d);

/* Where timer t's result lives in struct fst_client_probe_result
 * (probe.c, report.c). */
size_t client_probe_wait_offset(enum fst_client_timer t);

/* ---- TLS (tls.c) ---- */

/* Handshakes on fd (the control connection, or a data connection that
 * resumes the control connection's session) within the reply timeout;
 * the context is made on first use. Returns FST_OK with *out (the
 * control connection's is also c->ssl), or the failure recorded: a
 * certificate that does not verify sets c->fatal. */
int client_tls_handshake(struct client_conn *c, int fd, SSL **out, bool data, char *errbuf);
/* Sends close_notify (best effort, half a second at most), frees *ssl
 * and sets it NULL, then sends a FIN and reads and drops what arrives
 * until the peer closes or linger_us passes, so that the close that
 * follows sends no reset; nothing when *ssl is NULL. fd stays open. */
void client_tls_close(int fd, SSL **ssl, int64_t linger_us);
/* Frees the context, the session and the key log. */
void client_tls_release(struct client_conn *c);

/* recv(2)/send(2) on fd, through ssl when not NULL. Returns > 0 bytes,
 * 0 at the end of the stream (FIN, or close_notify), or -1 with errno:
 * EAGAIN when it must wait for *events (POLLIN or POLLOUT: TLS may need
 * to read to write), ECONNABORTED for a fatal alert from the server
 * (named in c->tls_alert), EPROTO for another TLS error, else the
 * socket's. */
ssize_t client_io_recv(int fd, SSL *ssl, void *buf, size_t len, short *events);
ssize_t client_io_send(int fd, SSL *ssl, const void *buf, size_t len, short *events);
/* Whether the next byte on fd, at a TLS record boundary, starts no TLS
 * record (RFC 8446 5.1: content types 20-24) but an FTP reply digit: a
 * server that wrote in the clear on its TLS connection. */
bool client_tls_cleartext(int fd, SSL *ssl);
/* Whether ssl holds received bytes not yet read (poll cannot see them). */
bool client_io_pending(SSL *ssl);

/* Streaming digests. */
struct client_digest {
	enum fst_client_digest alg;
	uint64_t len;
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;
	uint32_t crc;
};

void client_digest_init(struct client_digest *d, enum fst_client_digest alg);
void client_digest_update(struct client_digest *d, const void *data, size_t len);
/* Writes the lower-case hex digest into hex (size > FST_DIGEST_HEX_MAX). */
void client_digest_final(struct client_digest *d, char *hex, size_t size);
/* "SHA-256", "SHA256" (any case) ... to the digest; FST_DIGEST_NONE if
 * not one we implement. */
enum fst_client_digest client_digest_lookup(const char *name, size_t len);
/* Hex digits of a digest: 64 for SHA-256 ... 8 for CRC32. */
size_t client_digest_hex_len(enum fst_client_digest d);

#ifdef FST_UNIT_TESTS
/* upload.c's decisions, FST_TESTABLE for tests/unit/test_client.c. */
bool parse_u64(const char *text, uint64_t *out);
bool find_hex(const char *text, size_t hex_len, char *out, size_t size);
bool resume_method(uint64_t remote, uint64_t local, bool rest_refused,
		   enum fst_client_resume *method);
const char *retries_word(unsigned n);
#endif

#endif
