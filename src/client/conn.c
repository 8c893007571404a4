/* The control connection: connect with a timeout, a bounded reply reader
 * (RFC 959 4.2 replies through fst_ftp_reply_feed), commands, login and
 * FEAT, and data connections (EPSV/PASV, EPRT/PORT). Every wait is a
 * poll() with a CLOCK_MONOTONIC deadline, so a silent or hostile server
 * can stall the client only as long as the configured timeout. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Longest command line we send: a verb, a path and CR LF. */
#define CMD_MAX (FST_CLIENT_PATH_MAX + 64)
/* poll() slices, so a signal that lands just before poll() is seen soon. */
#define POLL_SLICE_US (FST_US_PER_SEC / 4)
/* How long closing a TLS data connection waits for the server's close. */
#define DATA_LINGER_US (FST_US_PER_SEC / 2)

/* The password anonymous logins send: RFC 1635 asks for an e-mail-like
 * string, and servers rarely check it. */
static const char anonymous_password[] = "ftpstall@";

static const char *const state_names[] = {
	[CS_CLOSED] = "closed", [CS_CONNECTING] = "connecting", [CS_GREETING] = "greeting",
	[CS_LOGIN] = "login",	[CS_READY] = "ready",		[CS_TRANSFER] = "transfer",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == CS_COUNT, "state names");

int64_t client_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * FST_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t client_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * FST_US_PER_SEC + ts.tv_nsec / 1000;
}

void client_textf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

void client_log(const struct fst_client_cfg *cfg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!cfg->on_log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cfg->on_log(cfg->log_ctx, line);
}

const char *client_state_name(enum client_state s)
{
	return s < CS_COUNT ? state_names[s] : "?";
}

/* The one place the state changes. */
static void set_state(struct client_conn *c, enum client_state next)
{
	if (c->state == next)
		return;
	client_log(c->cfg, "state %s -> %s", client_state_name(c->state), client_state_name(next));
	c->state = next;
}

void client_conn_init(struct client_conn *c, const struct fst_client_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->fd = -1;
	c->state = CS_CLOSED;
}

void client_conn_close(struct client_conn *c)
{
	client_tls_close(c->fd, &c->ssl, 0);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->asm_.open = false;
	set_state(c, CS_CLOSED);
}

bool client_conn_open(const struct client_conn *c)
{
	return c->fd >= 0;
}

void client_conn_release(struct client_conn *c)
{
	client_conn_close(c);
	client_tls_release(c);
}

static bool cancelled(const struct client_conn *c)
{
	return !c->quitting && c->cfg->cancel && *c->cfg->cancel;
}

/* ---- failures ---- */

static void clear_fail(struct client_conn *c)
{
	c->fail = CF_NONE;
	c->fail_code = 0;
	c->fail_errno = 0;
	c->fail_text[0] = '\0';
}

int client_fail_reply(struct client_conn *c, const struct client_reply *r, char *errbuf,
		      const char *what)
{
	c->fail = CF_REPLY;
	c->fail_code = r->code;
	c->fail_errno = 0;
	client_textf(c->fail_text, sizeof(c->fail_text), "%d %s", r->code, r->text);
	fst_errbuf_set(errbuf, "%s: %d %s", what, r->code, r->text);
	return FST_ERR_IO;
}

int client_fail_errno(struct client_conn *c, enum client_fail kind, int err, char *errbuf,
		      const char *what)
{
	const char *detail = "failed";
	char buf[64];

	c->fail = kind;
	c->fail_code = 0;
	c->fail_errno = err;
	switch (kind) {
	case CF_TIMEOUT:
		snprintf(buf, sizeof(buf), "no answer within %.1f s",
			 (double)c->cfg->timeout_us / FST_US_PER_SEC);
		detail = buf;
		break;
	case CF_CLOSED:
		detail = "connection closed by the server";
		break;
	case CF_CANCELLED:
		detail = "interrupted";
		break;
	case CF_RESET:
	case CF_SOCKET:
	case CF_LOCAL:
		detail = strerror(err);
		break;
	case CF_NONE:
	case CF_REPLY:
	case CF_PROTOCOL:
	case CF_SHORT:
	case CF_VERIFY:
	case CF_COUNT:
		detail = "failed";
		break;
	}
	snprintf(c->fail_text, sizeof(c->fail_text), "%s", detail);
	fst_errbuf_set(errbuf, "%s: %s", what, detail);
	return FST_ERR_IO;
}

int client_fail_text(struct client_conn *c, enum client_fail kind, char *errbuf, const char *fmt,
		     ...)
{
	va_list ap;

	c->fail = kind;
	c->fail_code = 0;
	c->fail_errno = 0;
	va_start(ap, fmt);
	vsnprintf(c->fail_text, sizeof(c->fail_text), fmt, ap);
	va_end(ap);
	fst_errbuf_set(errbuf, "%s", c->fail_text);
	return FST_ERR_IO;
}

/* A reply that is not FTP, or a cap hit: detail is ours, not the
 * server's, so it is safe to show. */
static int fail_protocol(struct client_conn *c, char *errbuf, const char *detail)
{
	c->fail = CF_PROTOCOL;
	c->fail_code = 0;
	c->fail_errno = 0;
	snprintf(c->fail_text, sizeof(c->fail_text), "%s", detail);
	fst_errbuf_set(errbuf, "%s", detail);
	return FST_ERR_FORMAT;
}

bool client_fail_transient(const struct client_conn *c)
{
	switch (c->fail) {
	case CF_TIMEOUT:
	case CF_CLOSED:
	case CF_RESET:
	case CF_SOCKET:
	case CF_SHORT:
		return !c->fatal;
	case CF_REPLY:
		/* 4xx is "transient negative completion" (RFC 959 4.2);
		 * 421 is the server closing the session. */
		return c->fail_code / 100 == 4 && !c->fatal;
	case CF_NONE:
	case CF_PROTOCOL:
	case CF_LOCAL:
	case CF_CANCELLED:
	case CF_VERIFY:
	case CF_COUNT:
		return false;
	}
	return false;
}

/* ---- waiting ---- */

int client_poll(struct client_conn *c, struct pollfd *pfd, unsigned n, int64_t deadline_us,
		char *errbuf)
{
	for (;;) {
		int64_t left = deadline_us - client_mono_us();
		int ms, rc;

		if (cancelled(c))
			return client_fail_errno(c, CF_CANCELLED, EINTR, errbuf, "waiting");
		if (left <= 0)
			return 0;
		if (left > POLL_SLICE_US)
			left = POLL_SLICE_US;
		ms = (int)((left + 999) / 1000);
		rc = poll(pfd, n, ms);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return client_fail_errno(c, CF_SOCKET, errno, errbuf, "poll");
	}
}

int client_sleep_until(struct client_conn *c, int64_t deadline_us, char *errbuf)
{
	int rc = client_poll(c, NULL, 0, deadline_us, errbuf);

	return rc < 0 ? rc : FST_OK;
}

/* ---- addresses ---- */

static bool sockaddr_to_addr(const struct sockaddr_storage *ss, struct fst_addr *out,
			     uint16_t *port)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		out->family = 4;
		memcpy(out->bytes, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		out->family = 6;
		memcpy(out->bytes, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
		return true;
	}
	return false;
}

static char *sockaddr_format(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	struct fst_addr a;
	uint16_t port;

	if (!sockaddr_to_addr(ss, &a, &port)) {
		snprintf(buf, size, "?");
		return buf;
	}
	return fst_endpoint_format(&a, port, buf, size);
}

static void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Connects a non-blocking socket to sa by deadline_us. Returns the fd,
 * or -1 with *err set (ETIMEDOUT at the deadline, EINTR if cancelled). */
static int connect_addr(struct client_conn *c, const struct sockaddr *sa, socklen_t len,
			int64_t deadline_us, int *err)
{
	struct pollfd pfd;
	socklen_t errlen = sizeof(*err);
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto out_close;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	rc = client_poll(c, &pfd, 1, deadline_us, NULL);
	if (rc <= 0) {
		*err = rc == 0 ? ETIMEDOUT : EINTR;
		goto out_close;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &errlen) != 0)
		*err = errno;
	if (*err == 0)
		return fd;
out_close:
	close(fd);
	return -1;
}

/* ---- reading replies ---- */

/* Makes the next line available at c->rbuf. Returns FST_OK with *len
 * (without CR LF) and *used (with them: drop after use). */
static int next_line(struct client_conn *c, int64_t deadline_us, size_t *len, size_t *used,
		     char *errbuf)
{
	short want = POLLIN;

	for (;;) {
		char *nl = memchr(c->rbuf, '\n', c->rlen);
		struct pollfd pfd = { .fd = c->fd, .events = want };
		ssize_t n;
		int rc;

		if (nl) {
			size_t end = (size_t)(nl - c->rbuf);

			*used = end + 1;
			if (end > 0 && c->rbuf[end - 1] == '\r')
				end--;
			*len = end;
			return FST_OK;
		}
		if (c->rlen == sizeof(c->rbuf))
			return fail_protocol(c, errbuf, "reply line longer than 8192 bytes");
		/* Bytes TLS already decrypted are not seen by poll. */
		rc = client_io_pending(c->ssl) ? 1 : client_poll(c, &pfd, 1, deadline_us, errbuf);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return client_fail_errno(c, CF_TIMEOUT, ETIMEDOUT, errbuf,
						 "waiting for a reply");
		if (client_tls_cleartext(c->fd, c->ssl)) {
			/* vsftpd writes its idle-timeout 421 past TLS, in the
			 * clear: read it as the reply it is. */
			client_log(c->cfg, "the server wrote in the clear on the TLS control "
					   "connection: reading it as text");
			SSL_free(c->ssl);
			c->ssl = NULL;
		}
		n = client_io_recv(c->fd, c->ssl, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
				   &want);
		if (n > 0) {
			c->rlen += (size_t)n;
			continue;
		}
		/* close_notify ends TLS, not necessarily the connection: a
		 * server may write its 421 after it in the clear (RFC 4217
		 * 6 lets TLS end before the connection does). */
		if (n == 0 && c->ssl && (SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN)) {
			client_log(c->cfg, "the server ended TLS (close_notify): reading on in "
					   "the clear");
			SSL_free(c->ssl);
			c->ssl = NULL;
			continue;
		}
		/* A partial line before EOF is a cut connection, not a reply. */
		if (n == 0)
			return client_fail_errno(c, CF_CLOSED, 0, errbuf, "control connection");
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		if (errno == ECONNABORTED && c->tls_alert[0])
			return client_fail_text(c, CF_CLOSED, errbuf,
						"control connection: the server sent the TLS "
						"alert '%s' and closed",
						c->tls_alert);
		return client_fail_errno(c,
					 errno == ECONNRESET || errno == EPIPE ? CF_RESET :
					 errno == ETIMEDOUT		       ? CF_TIMEOUT :
										 CF_SOCKET,
					 errno, errbuf, "control connection");
	}
}

/* The text of a reply line after "123 " / "123-", or the whole line. */
static void line_text(const char *line, size_t len, char *dst, size_t size)
{
	if (len >= 4 && line[0] >= '1' && line[0] <= '5' && (line[3] == ' ' || line[3] == '-'))
		fst_ftp_copy_text(dst, size, line + 4, len - 4);
	else
		fst_ftp_copy_text(dst, size, line, len);
}

int client_reply(struct client_conn *c, int64_t deadline_us, struct client_reply *r,
		 client_line_fn on_line, void *ctx, char *errbuf)
{
	memset(r, 0, sizeof(*r));
	c->asm_.open = false;
	for (;;) {
		char shown[FST_CLIENT_TEXT_MAX + 1];
		enum fst_ftp_reply_step step;
		size_t len = 0, used = 0;
		int rc = next_line(c, deadline_us, &len, &used, errbuf);

		if (rc != FST_OK)
			return rc;
		fst_ftp_copy_text(shown, sizeof(shown), c->rbuf, len);
		client_log(c->cfg, "<- %s", shown);
		if (on_line)
			on_line(ctx, c->rbuf, len);
		step = fst_ftp_reply_feed(&c->asm_, c->rbuf, len);
		line_text(c->rbuf, len, r->last, sizeof(r->last));
		c->rlen -= used;
		memmove(c->rbuf, c->rbuf + used, c->rlen);
		if (step == FST_REPLY_INVALID) {
			c->asm_.open = false;
			return fail_protocol(c, errbuf,
					     "the server sent a line that is not an FTP reply");
		}
		if (++r->lines > FST_CLIENT_REPLY_LINES_MAX) {
			c->asm_.open = false;
			return fail_protocol(c, errbuf,
					     "a multi-line reply of more than 1000 lines");
		}
		if (step == FST_REPLY_DONE) {
			r->code = c->asm_.code;
			snprintf(r->text, sizeof(r->text), "%s", c->asm_.text);
			c->last_rx_us = client_mono_us();
			return FST_OK;
		}
	}
}

/* ---- sending commands ---- */

static int send_line(struct client_conn *c, const char *cmd, char *errbuf)
{
	char line[CMD_MAX + 3];
	size_t len = strlen(cmd), off = 0;
	int64_t deadline;
	int rc;

	/* A CR or LF inside would start another command (a smuggled DELE
	 * from a file name); the text is not echoed, it may be a password. */
	if (strpbrk(cmd, "\r\n"))
		return client_fail_errno(c, CF_LOCAL, EINVAL, errbuf,
					 "a command with a line break");
	if (len > CMD_MAX)
		return client_fail_errno(c, CF_LOCAL, ENAMETOOLONG, errbuf, "a command");
	if (c->fd < 0)
		return client_fail_errno(c, CF_CLOSED, 0, errbuf, "control connection");
	if (strncasecmp(cmd, "PASS ", 5) == 0)
		client_log(c->cfg, "-> PASS %s", FST_FTP_REDACTED);
	else
		client_log(c->cfg, "-> %s", cmd);
	memcpy(line, cmd, len);
	memcpy(line + len, "\r\n", 2);
	len += 2;
	deadline = client_mono_us() + c->cfg->timeout_us;
	while (off < len) {
		struct pollfd pfd = { .fd = c->fd };
		ssize_t n = client_io_send(c->fd, c->ssl, line + off, len - off, &pfd.events);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			rc = client_fail_errno(
				c, errno == EPIPE || errno == ECONNRESET ? CF_RESET : CF_SOCKET,
				errno, errbuf, "control connection");
			goto out_wipe;
		}
		rc = client_poll(c, &pfd, 1, deadline, errbuf);
		if (rc < 0)
			goto out_wipe;
		if (rc == 0) {
			rc = client_fail_errno(c, CF_TIMEOUT, ETIMEDOUT, errbuf,
					       "sending a command");
			goto out_wipe;
		}
	}
	rc = FST_OK;
	c->last_tx_us = client_mono_us();
out_wipe:
	/* The password is not left in our stack frame. */
	explicit_bzero(line, sizeof(line));
	return rc;
}

static int vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int client_send(struct client_conn *c, char *errbuf, const char *fmt, ...)
{
	char cmd[CMD_MAX + 1];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (rc != 0)
		rc = client_fail_errno(c, CF_LOCAL, ENAMETOOLONG, errbuf, "a command");
	else
		rc = send_line(c, cmd, errbuf);
	explicit_bzero(cmd, sizeof(cmd));
	return rc;
}

int client_cmd(struct client_conn *c, struct client_reply *r, char *errbuf, const char *fmt, ...)
{
	char cmd[CMD_MAX + 1];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (rc != 0)
		rc = client_fail_errno(c, CF_LOCAL, ENAMETOOLONG, errbuf, "a command");
	else
		rc = send_line(c, cmd, errbuf);
	explicit_bzero(cmd, sizeof(cmd));
	if (rc == FST_OK)
		rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, r, NULL, NULL, errbuf);
	return rc;
}

/* ---- connect and login ---- */

/* RFC 4217 4: AUTH TLS, then the handshake. A server that refuses it
 * cannot give what was asked for (ftpes://, --ssl-reqd): fatal. */
static int start_tls(struct client_conn *c, char *errbuf)
{
	struct client_reply r;
	SSL *ssl;
	int rc = client_cmd(c, &r, errbuf, "AUTH TLS");

	if (rc != FST_OK)
		return rc;
	if (r.code != 234) {
		c->fatal = r.code / 100 == 5;
		return client_fail_reply(c, &r, errbuf, "the server refused TLS (AUTH TLS)");
	}
	return client_tls_handshake(c, c->fd, &ssl, false, errbuf);
}

/* RFC 4217 8-9: PBSZ 0 and PROT P, so data connections are protected
 * too (servers that require TLS refuse a clear one). */
static int protect_data(struct client_conn *c, char *errbuf)
{
	struct client_reply r;
	int rc = client_cmd(c, &r, errbuf, "PBSZ 0");

	if (rc == FST_OK && r.code / 100 != 2) {
		c->fatal = r.code / 100 == 5;
		return client_fail_reply(c, &r, errbuf, "PBSZ 0");
	}
	if (rc == FST_OK)
		rc = client_cmd(c, &r, errbuf, "PROT P");
	if (rc == FST_OK && r.code / 100 != 2) {
		c->fatal = r.code / 100 == 5;
		return client_fail_reply(c, &r, errbuf, "PROT P (protected data connections)");
	}
	return rc;
}

int client_connect(struct client_conn *c, char *errbuf)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	char port[8], where[96] = "";
	struct client_reply r;
	int err = 0, rc;

	clear_fail(c);
	c->fatal = false;
	client_conn_close(c);
	c->tls_alert[0] = '\0';
	set_state(c, CS_CONNECTING);
	hints.ai_family = c->cfg->family == 4 ? AF_INET :
			  c->cfg->family == 6 ? AF_INET6 :
						AF_UNSPEC;
	snprintf(port, sizeof(port), "%u", (unsigned)c->cfg->port);
	rc = getaddrinfo(c->cfg->host, port, &hints, &list);
	if (rc != 0) {
		c->fail = CF_SOCKET;
		snprintf(c->fail_text, sizeof(c->fail_text), "cannot resolve %s: %s", c->cfg->host,
			 gai_strerror(rc));
		fst_errbuf_set(errbuf, "%s", c->fail_text);
		set_state(c, CS_CLOSED);
		return FST_ERR_IO;
	}
	/* Each address in turn, as getaddrinfo orders them (RFC 6724). */
	for (struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next) {
		struct sockaddr_storage ss;

		if (ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		sockaddr_format(&ss, where, sizeof(where));
		client_log(c->cfg, "connecting to %s", where);
		c->fd = connect_addr(c, ai->ai_addr, ai->ai_addrlen,
				     client_mono_us() + c->cfg->connect_timeout_us, &err);
		if (err == EINTR && cancelled(c))
			break;
	}
	freeaddrinfo(list);
	if (c->fd < 0) {
		enum client_fail kind = err == ETIMEDOUT ? CF_TIMEOUT : CF_SOCKET;

		/* A reset while connecting is a connection that went away
		 * (a relay, a restarting server): worth a retry, unlike a
		 * refusal. */
		if (err == ECONNRESET || err == EPIPE)
			kind = CF_RESET;
		if (err == EINTR && cancelled(c))
			kind = CF_CANCELLED;
		c->fail = kind;
		c->fail_errno = err;
		snprintf(c->fail_text, sizeof(c->fail_text), "%s",
			 err == ETIMEDOUT ? "connect timed out" : strerror(err));
		fst_errbuf_set(errbuf, "cannot connect to %s port %u: %s", c->cfg->host,
			       (unsigned)c->cfg->port, c->fail_text);
		set_state(c, CS_CLOSED);
		return FST_ERR_IO;
	}
	c->peer_len = sizeof(c->peer);
	c->local_len = sizeof(c->local);
	if (getpeername(c->fd, (struct sockaddr *)&c->peer, &c->peer_len) != 0 ||
	    getsockname(c->fd, (struct sockaddr *)&c->local, &c->local_len) != 0) {
		/* ENOTCONN: reset the moment it was made, like a reset
		 * while connecting (worth a retry). */
		rc = client_fail_errno(c, errno == ENOTCONN ? CF_RESET : CF_SOCKET, errno, errbuf,
				       "connection");
		goto out_close;
	}
	if (c->cfg->tls == FST_TLS_IMPLICIT) {
		SSL *ssl;

		rc = client_tls_handshake(c, c->fd, &ssl, false, errbuf);
		if (rc != FST_OK)
			goto out_close;
	}
	set_state(c, CS_GREETING);
	/* 120 means "ready in nnn minutes": wait for the 220 after it. */
	do {
		rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL, errbuf);
		if (rc != FST_OK)
			goto out_close;
	} while (r.code / 100 == 1);
	if (r.code != 220) {
		rc = client_fail_reply(c, &r, errbuf, "greeting");
		goto out_close;
	}
	snprintf(c->greeting, sizeof(c->greeting), "%s", r.text);
	c->greeted_us = c->last_rx_us;
	if (c->cfg->tls == FST_TLS_EXPLICIT)
		rc = start_tls(c, errbuf);
	if (rc != FST_OK)
		goto out_close;
	return FST_OK;

out_close:
	client_conn_close(c);
	return rc;
}

/* Features we look for in a FEAT reply (RFC 2389 3.2): one table. */
static const struct {
	const char *name;
	size_t flag; /* offsetof a bool in struct client_feat */
} feat_flags[] = {
	{ "SIZE", offsetof(struct client_feat, size) },
	{ "EPSV", offsetof(struct client_feat, epsv) },
	{ "EPRT", offsetof(struct client_feat, eprt) },
	{ "UTF8", offsetof(struct client_feat, utf8) },
	{ "HASH", offsetof(struct client_feat, hash) },
};

static const struct {
	const char *name;
	enum fst_client_digest digest;
} feat_x_digests[] = {
	{ "XSHA256", FST_DIGEST_SHA256 },
	{ "XSHA1", FST_DIGEST_SHA1 },
	{ "XMD5", FST_DIGEST_MD5 },
	{ "XCRC", FST_DIGEST_CRC32 },
};

/* The argument of "HASH SHA-256*;SHA-1;MD5": '*' marks the selected one. */
static void feat_hash_algos(struct client_feat *f, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i, end;
		bool current = false;
		enum fst_client_digest d;

		while (i < len && p[i] != ';')
			i++;
		end = i;
		if (end > start && p[end - 1] == '*') {
			current = true;
			end--;
		}
		d = client_digest_lookup(p + start, end - start);
		if (d != FST_DIGEST_NONE) {
			f->hash_algo[d] = true;
			if (current)
				f->hash_current = d;
		}
		i++;
	}
}

static void feat_line(void *ctx, const char *line, size_t len)
{
	struct client_feat *f = ctx;
	size_t i = 0, word;

	/* Feature lines start with a space; the first and last do not. */
	if (len < 2 || line[0] != ' ')
		return;
	while (i < len && line[i] == ' ')
		i++;
	word = i;
	while (i < len && line[i] != ' ')
		i++;
	for (size_t k = 0; k < sizeof(feat_flags) / sizeof(feat_flags[0]); k++)
		if (strlen(feat_flags[k].name) == i - word &&
		    strncasecmp(line + word, feat_flags[k].name, i - word) == 0)
			*(bool *)((char *)f + feat_flags[k].flag) = true;
	for (size_t k = 0; k < sizeof(feat_x_digests) / sizeof(feat_x_digests[0]); k++)
		if (strlen(feat_x_digests[k].name) == i - word &&
		    strncasecmp(line + word, feat_x_digests[k].name, i - word) == 0)
			f->x_digest[feat_x_digests[k].digest] = true;
	if (i - word == 4 && strncasecmp(line + word, "REST", 4) == 0 && len - i >= 7 &&
	    strncasecmp(line + i + 1, "STREAM", 6) == 0)
		f->rest_stream = true;
	if (i - word == 4 && strncasecmp(line + word, "HASH", 4) == 0 && i < len)
		feat_hash_algos(f, line + i + 1, len - i - 1);
}

/* One component of the directory path: CWD into it, else MKD it and CWD
 * into it. A 550 or 521 to MKD may mean it exists now (made by someone
 * else since our CWD): the CWD after it decides. Returns FST_OK, or the
 * failure with c->fatal set for a 5xx (the settings are wrong). */
static int enter_or_make(struct client_conn *c, const char *name, const char *path, char *errbuf)
{
	struct client_reply r;
	char what[FST_CLIENT_PATH_MAX + 48];
	int rc = client_cmd(c, &r, errbuf, "CWD %s", name);

	if (rc != FST_OK || r.code / 100 == 2)
		return rc;
	rc = client_cmd(c, &r, errbuf, "MKD %s", name);
	if (rc != FST_OK)
		return rc;
	if (r.code / 100 == 2 || r.code == 550 || r.code == 521) {
		struct client_reply mkd = r;

		rc = client_cmd(c, &r, errbuf, "CWD %s", name);
		if (rc != FST_OK || r.code / 100 == 2)
			return rc;
		/* Still no directory: MKD's reply says why. */
		if (mkd.code / 100 != 2)
			r = mkd;
	}
	c->fatal = r.code / 100 == 5;
	client_textf(what, sizeof(what), "cannot create the directory '%s'", path);
	return client_fail_reply(c, &r, errbuf, what);
}

/* --ftp-create-dirs: walks cfg->dir from the login directory one
 * component at a time, making the missing ones (RFC 959 MKD). */
static int create_dirs(struct client_conn *c, char *errbuf)
{
	char path[FST_CLIENT_PATH_MAX + 1];
	size_t len = strlen(c->cfg->dir), start = 0;
	int rc = FST_OK;

	if (len >= sizeof(path))
		return client_fail_text(c, CF_LOCAL, errbuf, "the directory path is too long");
	memcpy(path, c->cfg->dir, len + 1);
	client_log(c->cfg, "creating the missing directories of '%s'", path);
	if (path[0] == '/') {
		struct client_reply r;

		rc = client_cmd(c, &r, errbuf, "CWD /");
		if (rc == FST_OK && r.code / 100 != 2)
			rc = client_fail_reply(c, &r, errbuf, "cannot change to '/'");
		start = 1;
	}
	while (rc == FST_OK && start < len) {
		size_t end = start;

		while (end < len && path[end] != '/')
			end++;
		if (end > start) {
			char saved = path[end];

			/* The component alone, then the path up to it for errors. */
			path[end] = '\0';
			rc = enter_or_make(c, path + start, path, errbuf);
			path[end] = saved;
		}
		start = end + 1;
	}
	return rc;
}

int client_login(struct client_conn *c, char *errbuf)
{
	const char *user = c->cfg->user ? c->cfg->user : "anonymous";
	const char *pass = c->cfg->password ? c->cfg->password : anonymous_password;
	struct client_reply r;
	int rc;

	set_state(c, CS_LOGIN);
	rc = client_cmd(c, &r, errbuf, "USER %s", user);
	if (rc != FST_OK)
		goto out_close;
	if (r.code == 331) {
		rc = client_cmd(c, &r, errbuf, "PASS %s", pass);
		if (rc != FST_OK)
			goto out_close;
	}
	if (r.code == 332) {
		c->fatal = true;
		rc = client_fail_reply(c, &r, errbuf,
				       "login needs an account (ACCT), not supported");
		goto out_close;
	}
	if (r.code / 100 != 2) {
		char what[FST_CLIENT_USER_MAX + 32];

		/* 530 and other 5xx: the credentials are wrong; 4xx (421 too
		 * many users) may pass. */
		c->fatal = r.code / 100 == 5;
		snprintf(what, sizeof(what), "login as %s refused", user);
		rc = client_fail_reply(c, &r, errbuf, what);
		goto out_close;
	}
	if (c->ssl) {
		rc = protect_data(c, errbuf);
		if (rc != FST_OK)
			goto out_close;
	}
	memset(&c->feat, 0, sizeof(c->feat));
	rc = client_send(c, errbuf, "FEAT");
	if (rc == FST_OK)
		rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, feat_line, &c->feat,
				  errbuf);
	if (rc != FST_OK)
		goto out_close;
	if (r.code == 211)
		c->feat.seen = true;
	else
		memset(&c->feat, 0, sizeof(c->feat));
	/* Binary: SIZE and REST offsets then count file bytes exactly. */
	rc = client_cmd(c, &r, errbuf, "TYPE I");
	if (rc != FST_OK)
		goto out_close;
	if (r.code / 100 != 2) {
		c->fatal = r.code / 100 == 5;
		rc = client_fail_reply(c, &r, errbuf, "TYPE I");
		goto out_close;
	}
	if (c->cfg->dir && c->cfg->dir[0]) {
		rc = client_cmd(c, &r, errbuf, "CWD %s", c->cfg->dir);
		if (rc != FST_OK)
			goto out_close;
		/* A failed CWD leaves us where we were: build the path. */
		if (r.code / 100 == 5 && c->cfg->create_dirs) {
			rc = create_dirs(c, errbuf);
			if (rc != FST_OK)
				goto out_close;
			r.code = 250;
		}
		if (r.code / 100 != 2) {
			char what[FST_CLIENT_PATH_MAX + 48];

			c->fatal = r.code / 100 == 5;
			client_textf(what, sizeof(what), "cannot change to the directory '%s'",
				     c->cfg->dir);
			rc = client_fail_reply(c, &r, errbuf, what);
			goto out_close;
		}
	}
	set_state(c, CS_READY);
	return FST_OK;

out_close:
	client_conn_close(c);
	return rc;
}

/* ---- data connections ---- */

void client_data_close(struct client_data *d)
{
	/* After an upload the server closes once it has read our end. */
	client_tls_close(d->fd, &d->ssl, DATA_LINGER_US);
	if (d->fd >= 0)
		close(d->fd);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	d->fd = -1;
	d->listen_fd = -1;
}

static bool addr_is_zero(const struct fst_addr *a)
{
	for (size_t i = 0; i < (a->family == 4 ? 4u : 16u); i++)
		if (a->bytes[i])
			return false;
	return true;
}

static int passive_open(struct client_conn *c, struct client_data *d, char *errbuf)
{
	struct sockaddr_storage target = c->peer;
	struct fst_addr named, peer;
	struct client_reply r;
	uint16_t port = 0, peer_port;
	char where[96];
	int rc, err = 0;

	if (!c->epsv_refused) {
		rc = client_cmd(c, &r, errbuf, "EPSV");
		if (rc != FST_OK)
			return rc;
		if (r.code == 229) {
			if (!fst_ftp_parse_229(r.text, &port))
				return fail_protocol(c, errbuf, "an unreadable 229 reply to EPSV");
			snprintf(c->data_cmd, sizeof(c->data_cmd), "EPSV");
			goto connect;
		}
		if (r.code / 100 != 5)
			return client_fail_reply(c, &r, errbuf, "EPSV");
		c->epsv_refused = true;
		client_log(c->cfg, "EPSV refused: using PASV from now on");
	}
	if (c->peer.ss_family != AF_INET) {
		r.code = 502;
		snprintf(r.text, sizeof(r.text),
			 "EPSV refused, and PASV cannot name an IPv6 address");
		return client_fail_reply(c, &r, errbuf, "passive mode");
	}
	rc = client_cmd(c, &r, errbuf, "PASV");
	if (rc != FST_OK)
		return rc;
	if (r.code != 227)
		return client_fail_reply(c, &r, errbuf, "PASV");
	if (!fst_ftp_parse_227(r.text, &named, &port) || port == 0)
		return fail_protocol(c, errbuf, "an unreadable 227 reply to PASV");
	snprintf(c->data_cmd, sizeof(c->data_cmd), "PASV");
	sockaddr_to_addr(&c->peer, &peer, &peer_port);
	/* Like curl's default (--ftp-skip-pasv-ip): a 227 that names another
	 * host is not followed — that would let a server aim our data
	 * connection anywhere (FTP bounce) — nor is a NATed private address. */
	if (!addr_is_zero(&named) && !fst_addr_equal(&named, &peer)) {
		char named_text[64];

		client_log(c->cfg, "227 names %s: connecting to the control peer instead",
			   fst_endpoint_format(&named, port, named_text, sizeof(named_text)));
	}
connect:
	sockaddr_set_port(&target, port);
	sockaddr_format(&target, where, sizeof(where));
	client_log(c->cfg, "data connection to %s", where);
	d->fd = connect_addr(c, (const struct sockaddr *)&target, c->peer_len,
			     client_mono_us() + c->cfg->connect_timeout_us, &err);
	if (d->fd < 0) {
		char what[128];

		snprintf(what, sizeof(what), "data connection to %s", where);
		if (err == EINTR && cancelled(c))
			return client_fail_errno(c, CF_CANCELLED, err, errbuf, what);
		return client_fail_errno(c, err == ETIMEDOUT ? CF_TIMEOUT : CF_SOCKET, err, errbuf,
					 what);
	}
	return FST_OK;
}

static int active_open(struct client_conn *c, struct client_data *d, char *errbuf)
{
	struct sockaddr_storage ss = c->local;
	socklen_t len = c->local_len;
	struct client_reply r;
	struct fst_addr local;
	uint16_t port = 0;
	char text[INET6_ADDRSTRLEN];
	int rc;

	sockaddr_set_port(&ss, 0);
	d->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0 || bind(d->listen_fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(d->listen_fd, 1) != 0 ||
	    getsockname(d->listen_fd, (struct sockaddr *)&ss, &len) != 0)
		return client_fail_errno(c, CF_SOCKET, errno, errbuf, "data listener");
	sockaddr_to_addr(&ss, &local, &port);
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
					    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  text, sizeof(text));
	if (!c->eprt_refused) {
		/* RFC 2428 2: EPRT |1|a.b.c.d|port| or |2|v6|port| */
		rc = client_cmd(c, &r, errbuf, "EPRT |%d|%s|%u|", local.family == 4 ? 1 : 2, text,
				(unsigned)port);
		if (rc != FST_OK)
			return rc;
		if (r.code / 100 == 2) {
			snprintf(c->data_cmd, sizeof(c->data_cmd), "EPRT");
			return FST_OK;
		}
		if (r.code / 100 != 5)
			return client_fail_reply(c, &r, errbuf, "EPRT");
		c->eprt_refused = true;
		client_log(c->cfg, "EPRT refused: using PORT from now on");
	}
	if (local.family != 4) {
		r.code = 502;
		snprintf(r.text, sizeof(r.text),
			 "EPRT refused, and PORT cannot name an IPv6 address");
		return client_fail_reply(c, &r, errbuf, "active mode");
	}
	rc = client_cmd(c, &r, errbuf, "PORT %u,%u,%u,%u,%u,%u", local.bytes[0], local.bytes[1],
			local.bytes[2], local.bytes[3], (unsigned)port >> 8, (unsigned)port & 0xff);
	if (rc != FST_OK)
		return rc;
	if (r.code / 100 != 2)
		return client_fail_reply(c, &r, errbuf, "PORT");
	snprintf(c->data_cmd, sizeof(c->data_cmd), "PORT");
	return FST_OK;
}

int client_data_open(struct client_conn *c, struct client_data *d, char *errbuf)
{
	int rc;

	d->fd = -1;
	d->listen_fd = -1;
	d->ssl = NULL;
	if (c->cfg->data_mode == FST_CLIENT_ACTIVE)
		rc = active_open(c, d, errbuf);
	else
		rc = passive_open(c, d, errbuf);
	if (rc != FST_OK)
		client_data_close(d);
	return rc;
}

/* PROT P: the handshake, after the server's 1xx (it starts its side
 * then), resuming the control connection's session. */
static int data_secure(struct client_conn *c, struct client_data *d, char *errbuf)
{
	return c->ssl ? client_tls_handshake(c, d->fd, &d->ssl, true, errbuf) : FST_OK;
}

int client_data_accept(struct client_conn *c, struct client_data *d, char *errbuf)
{
	int64_t deadline = client_mono_us() + c->cfg->connect_timeout_us;
	struct fst_addr peer, from;
	uint16_t port;

	if (d->listen_fd < 0)
		return data_secure(c, d, errbuf);
	sockaddr_to_addr(&c->peer, &peer, &port);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = d->listen_fd, .events = POLLIN },
					 { .fd = c->fd, .events = POLLIN } };
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct client_reply r;
		int rc = client_poll(c, pfd, 2, deadline, errbuf);

		if (rc < 0)
			return rc;
		if (rc == 0)
			return client_fail_errno(c, CF_TIMEOUT, ETIMEDOUT, errbuf,
						 "waiting for the server's data connection");
		if (pfd[1].revents) {
			/* The server gave up connecting (425) or closed. */
			rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL,
					  errbuf);
			if (rc != FST_OK)
				return rc;
			return client_fail_reply(c, &r, errbuf, "active data connection");
		}
		d->fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &len,
				SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (d->fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			return client_fail_errno(c, CF_SOCKET, errno, errbuf, "accept");
		}
		if (!sockaddr_to_addr(&ss, &from, &port) || !fst_addr_equal(&from, &peer)) {
			char who[96];

			client_log(c->cfg, "refused a data connection from %s (not the server)",
				   sockaddr_format(&ss, who, sizeof(who)));
			close(d->fd);
			d->fd = -1;
			continue;
		}
		close(d->listen_fd);
		d->listen_fd = -1;
		return data_secure(c, d, errbuf);
	}
}

void client_conn_set_transfer(struct client_conn *c, bool on)
{
	if (c->fd >= 0)
		set_state(c, on ? CS_TRANSFER : CS_READY);
}

void client_quit(struct client_conn *c, int64_t wait_us)
{
	int64_t deadline = client_mono_us() + wait_us;
	char errbuf[FST_ERRBUF_SIZE];
	struct client_reply r;

	if (client_conn_open(c)) {
		c->quitting = true;
		if (client_send(c, errbuf, "QUIT") == FST_OK)
			while (client_reply(c, deadline, &r, NULL, NULL, errbuf) == FST_OK &&
			       r.code != 221)
				continue; /* a reply due before QUIT's, such as a 226 */
		c->quitting = false;
	}
	client_conn_close(c);
}
