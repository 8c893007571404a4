/* FTP over TLS (RFC 4217) with OpenSSL 3: one SSL_CTX per control
 * connection (kept across reconnects), non-blocking handshakes bounded by
 * the reply timeout, certificate and host checks, the session data
 * connections resume (servers such as vsftpd refuse a data connection
 * that does not), and the NSS key log for SSLKEYLOGFILE.
 *
 * Every read and write goes through client_io_recv/client_io_send, which
 * speak plain TCP when there is no SSL object, so upload and probe keep
 * one code path. OpenSSL writes with write(2), which raises SIGPIPE on a
 * connection the peer reset: SIGPIPE is blocked around each call and a
 * pending one is taken away again, without touching the process's
 * handlers (the library must not change them). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static const char *const tls_names[] = {
	[FST_TLS_NONE] = "none",
	[FST_TLS_EXPLICIT] = "explicit",
	[FST_TLS_IMPLICIT] = "implicit",
};
_Static_assert(sizeof(tls_names) / sizeof(tls_names[0]) == FST_TLS_COUNT, "tls names");

static const char *const tls_schemes[] = {
	[FST_TLS_NONE] = "ftp",
	[FST_TLS_EXPLICIT] = "ftpes",
	[FST_TLS_IMPLICIT] = "ftps",
};
_Static_assert(sizeof(tls_schemes) / sizeof(tls_schemes[0]) == FST_TLS_COUNT, "tls schemes");

const char *fst_client_tls_name(enum fst_client_tls t)
{
	return t < FST_TLS_COUNT ? tls_names[t] : "?";
}

const char *fst_client_tls_scheme(enum fst_client_tls t)
{
	return t < FST_TLS_COUNT ? tls_schemes[t] : "?";
}

/* Certificate verification results in the words a user acts on; others
 * fall back to OpenSSL's own text. */
static const struct {
	long code;
	const char *text;
} verify_texts[] = {
	{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate (give --cacert FILE)" },
	{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
	  "self-signed certificate in the chain (give --cacert FILE)" },
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	  "issuer not trusted (unknown CA; give --cacert FILE)" },
	{ X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
	  "issuer not trusted (unknown CA; give --cacert FILE)" },
	{ X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired" },
	{ X509_V_ERR_CERT_NOT_YET_VALID, "certificate is not yet valid" },
	{ X509_V_ERR_HOSTNAME_MISMATCH, "name mismatch (the certificate is for another host)" },
	{ X509_V_ERR_IP_ADDRESS_MISMATCH,
	  "name mismatch (the certificate is not for this IP address)" },
};

static const char *verify_text(long code)
{
	for (size_t i = 0; i < sizeof(verify_texts) / sizeof(verify_texts[0]); i++)
		if (verify_texts[i].code == code)
			return verify_texts[i].text;
	return X509_verify_cert_error_string(code);
}

/* ---- SIGPIPE around OpenSSL's writes ---- */

struct pipe_guard {
	sigset_t old;
	bool was_pending; /* a SIGPIPE of the caller's own, left alone */
};

static void pipe_block(struct pipe_guard *g)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void pipe_restore(struct pipe_guard *g)
{
	sigset_t pipe_set, pending;
	const struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			continue;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- the context ---- */

static void keylog_line(const SSL *ssl, const char *line)
{
	struct client_conn *c = SSL_get_app_data(ssl);

	if (c && c->keylog) {
		fprintf(c->keylog, "%s\n", line);
		fflush(c->keylog);
	}
}

/* A new session from the control connection (in TLS 1.3, a ticket that
 * arrives after the handshake): the one the next data connection
 * resumes. Keeps the reference (returns 1). */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct client_conn *c = SSL_get_app_data(ssl);

	if (!c || ssl != c->ssl)
		return 0;
	if (c->tls_session)
		SSL_SESSION_free(c->tls_session);
	c->tls_session = sess;
	return 1;
}

/* Keeps the last alert the server sent (a close_notify, or the fatal
 * alert vsftpd sends when its idle timer fires on a TLS session): the
 * server's words at a close. */
static void info_line(const SSL *ssl, int where, int ret)
{
	struct client_conn *c = SSL_get_app_data(ssl);

	if (c && (where & SSL_CB_READ_ALERT))
		snprintf(c->tls_alert, sizeof(c->tls_alert), "%s", SSL_alert_desc_string_long(ret));
}

/* Opens the key log: appended to, created private (it holds the secrets
 * that decrypt the session). */
static int keylog_open(struct client_conn *c, char *errbuf)
{
	int fd = open(c->cfg->keylog_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0)
		c->keylog = fdopen(fd, "a");
	if (!c->keylog) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		c->fatal = true;
		return client_fail_text(c, CF_LOCAL, errbuf, "SSLKEYLOGFILE %s: %s",
					c->cfg->keylog_path, strerror(err));
	}
	return FST_OK;
}

static int ctx_new(struct client_conn *c, char *errbuf)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return client_fail_text(c, CF_LOCAL, errbuf, "cannot set up TLS");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* A server that closes without close_notify (most do after a 421)
	 * is an end of stream, not an error. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	SSL_CTX_set_info_callback(ctx, info_line);
	SSL_CTX_set_verify(ctx, c->cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	c->tls_ctx = ctx;
	if (c->cfg->cacert) {
		if (SSL_CTX_load_verify_locations(ctx, c->cfg->cacert, NULL) != 1) {
			c->fatal = true;
			return client_fail_text(c, CF_LOCAL, errbuf,
						"--cacert %s: not a readable PEM certificate file",
						c->cfg->cacert);
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return client_fail_text(c, CF_LOCAL, errbuf,
					"cannot load the system's trusted certificates");
	}
	if (c->cfg->keylog_path && c->cfg->keylog_path[0]) {
		int rc = keylog_open(c, errbuf);

		if (rc != FST_OK)
			return rc;
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	}
	return FST_OK;
}

void client_tls_release(struct client_conn *c)
{
	if (c->tls_session)
		SSL_SESSION_free(c->tls_session);
	c->tls_session = NULL;
	if (c->tls_ctx)
		SSL_CTX_free(c->tls_ctx);
	c->tls_ctx = NULL;
	if (c->keylog)
		fclose(c->keylog);
	c->keylog = NULL;
}

/* Reads and drops what the peer sent until its end of stream, an error
 * or deadline_us: closing a socket with unread bytes (a TLS 1.3 session
 * ticket on a data connection nobody reads) sends a reset, and a server
 * takes a reset after an upload for a failed transfer (vsftpd: 426). */
static void drain(int fd, int64_t deadline_us)
{
	char sink[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline_us - client_mono_us();
		ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return;
		if (left <= 0 || poll(&pfd, 1, (int)((left + 999) / 1000)) < 0)
			return;
	}
}

void client_tls_close(int fd, SSL **ssl, int64_t linger_us)
{
	struct pipe_guard g;
	int64_t deadline = client_mono_us() + FST_US_PER_SEC / 2;

	if (!*ssl)
		return;
	pipe_block(&g);
	for (;;) {
		int rc = SSL_shutdown(*ssl);
		int err = rc < 0 ? SSL_get_error(*ssl, rc) : SSL_ERROR_NONE;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (err != SSL_ERROR_WANT_WRITE || client_mono_us() >= deadline)
			break;
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
			break;
	}
	pipe_restore(&g);
	ERR_clear_error();
	SSL_free(*ssl);
	*ssl = NULL;
	/* Our FIN goes now; the server's close (or nothing, at the
	 * deadline) ends the wait. */
	if (fd >= 0 && shutdown(fd, SHUT_WR) == 0)
		drain(fd, client_mono_us() + linger_us);
}

/* ---- reading and writing ---- */

/* The errno for what SSL_get_error said; *events when it is a wait. */
static ssize_t io_result(SSL *ssl, int rc, short *events)
{
	int err = SSL_get_error(ssl, rc);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		/* errno 0: an end of stream OpenSSL did not expect. */
		if (errno == 0 || errno == EAGAIN)
			return 0;
		break;
	default:
		/* A fatal alert from the peer (info_line kept its name). */
		errno = ERR_GET_REASON(ERR_peek_error()) >= SSL_AD_REASON_OFFSET ? ECONNABORTED :
										   EPROTO;
		break;
	}
	ERR_clear_error();
	return -1;
}

ssize_t client_io_recv(int fd, SSL *ssl, void *buf, size_t len, short *events)
{
	struct pipe_guard g;
	ssize_t n;
	int rc;

	*events = POLLIN;
	if (!ssl)
		return recv(fd, buf, len, 0);
	ERR_clear_error();
	errno = 0;
	/* Reading may write: a TLS 1.3 key update is answered. */
	pipe_block(&g);
	rc = SSL_read(ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	n = rc > 0 ? rc : io_result(ssl, rc, events);
	pipe_restore(&g);
	return n;
}

ssize_t client_io_send(int fd, SSL *ssl, const void *buf, size_t len, short *events)
{
	struct pipe_guard g;
	ssize_t n;
	int rc;

	*events = POLLOUT;
	if (!ssl)
		return send(fd, buf, len, MSG_NOSIGNAL);
	ERR_clear_error();
	errno = 0;
	pipe_block(&g);
	rc = SSL_write(ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	n = rc > 0 ? rc : io_result(ssl, rc, events);
	pipe_restore(&g);
	/* The peer's reset shows as a failed write(2): keep its errno. */
	return n == 0 ? (errno = EPIPE, -1) : n;
}

bool client_tls_cleartext(int fd, SSL *ssl)
{
	unsigned char first;

	if (!ssl || SSL_has_pending(ssl))
		return false;
	if (recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
		return false;
	return first >= '1' && first <= '5';
}

bool client_io_pending(SSL *ssl)
{
	return ssl && SSL_pending(ssl) > 0;
}

/* ---- the handshake ---- */

/* Why a handshake failed, as one line, and whether retrying could help
 * (a cut connection) or not (a certificate, a protocol mismatch). */
static int handshake_failed(struct client_conn *c, SSL *ssl, int rc, const char *what, char *errbuf)
{
	long verify = SSL_get_verify_result(ssl);
	int err = SSL_get_error(ssl, rc);
	unsigned long e = ERR_peek_error();
	int saved = errno;
	int status;

	if (verify != X509_V_OK && !c->cfg->insecure) {
		c->fatal = true;
		status = client_fail_text(c, CF_PROTOCOL, errbuf,
					  "cannot verify the certificate of %s: %s", c->cfg->host,
					  verify_text(verify));
	} else if (err == SSL_ERROR_SYSCALL && saved != 0) {
		char text[96];

		snprintf(text, sizeof(text), "TLS handshake on the %s", what);
		status = client_fail_errno(
			c, saved == ECONNRESET || saved == EPIPE ? CF_RESET : CF_SOCKET, saved,
			errbuf, text);
	} else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
		   ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		status = client_fail_text(
			c, CF_CLOSED, errbuf,
			"TLS handshake on the %s: the server closed the connection", what);
	} else {
		const char *reason = ERR_reason_error_string(e);

		status = client_fail_text(c, CF_PROTOCOL, errbuf, "TLS handshake on the %s: %s",
					  what, reason ? reason : "failed");
	}
	ERR_clear_error();
	return status;
}

int client_tls_handshake(struct client_conn *c, int fd, SSL **out, bool data, char *errbuf)
{
	const char *what = data ? "data connection" : "control connection";
	int64_t deadline = client_mono_us() + c->cfg->timeout_us;
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, c->cfg->host, ip) == 1 ||
		     inet_pton(AF_INET6, c->cfg->host, ip) == 1;
	SSL *ssl;
	int rc;

	*out = NULL;
	if (!c->tls_ctx) {
		rc = ctx_new(c, errbuf);
		if (rc != FST_OK)
			return rc;
	}
	ssl = SSL_new(c->tls_ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return client_fail_text(c, CF_LOCAL, errbuf, "cannot set up TLS");
	}
	SSL_set_app_data(ssl, c);
	/* RFC 6066 3: no SNI for an address literal. */
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, c->cfg->host);
	if (!c->cfg->insecure) {
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->cfg->host);
		else
			SSL_set1_host(ssl, c->cfg->host);
	}
	if (data && c->tls_session)
		SSL_set_session(ssl, c->tls_session);
	if (!data)
		c->ssl = ssl; /* before the handshake: new_session looks for it */
	client_log(c->cfg, "TLS handshake on the %s%s", what,
		   data && c->tls_session ? " (resuming the control connection's session)" : "");
	for (;;) {
		struct pipe_guard g;
		struct pollfd pfd = { .fd = fd };
		int prc;

		ERR_clear_error();
		errno = 0;
		pipe_block(&g);
		rc = SSL_connect(ssl);
		pipe_restore(&g);
		if (rc == 1)
			break;
		switch (SSL_get_error(ssl, rc)) {
		case SSL_ERROR_WANT_READ:
			pfd.events = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			pfd.events = POLLOUT;
			break;
		default:
			rc = handshake_failed(c, ssl, rc, what, errbuf);
			goto out_free;
		}
		prc = client_poll(c, &pfd, 1, deadline, errbuf);
		if (prc < 0) {
			rc = prc;
			goto out_free;
		}
		if (prc == 0) {
			rc = client_fail_text(c, CF_TIMEOUT, errbuf,
					      "TLS handshake on the %s: no answer within %.1f s",
					      what, (double)c->cfg->timeout_us / FST_US_PER_SEC);
			goto out_free;
		}
	}
	if (!data)
		snprintf(c->tls_version, sizeof(c->tls_version), "%s", SSL_get_version(ssl));
	client_log(c->cfg, "TLS on the %s: %s, %s%s", what, SSL_get_version(ssl),
		   SSL_get_cipher_name(ssl), SSL_session_reused(ssl) ? ", session resumed" : "");
	*out = ssl;
	return FST_OK;

out_free:
	if (!data)
		c->ssl = NULL;
	SSL_free(ssl);
	return rc;
}
