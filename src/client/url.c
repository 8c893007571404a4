/* ftp:// (and ftpes://, ftps://) URLs (RFC 1738 3.2) and netrc files (as ftp(1) and curl read
 * them). Passwords: never from a URL, never into an error message. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETRC_MAX (64 * 1024)

/* Percent-decodes src[0..len) into dst (size > 0). Refuses bad escapes,
 * CR, LF and NUL (they would end an FTP command line early), and text
 * that does not fit. */
static bool decode(const char *src, size_t len, char *dst, size_t size, const char *what,
		   char *errbuf)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			if (i + 2 >= len || fst_hex_digit(src[i + 1]) < 0 ||
			    fst_hex_digit(src[i + 2]) < 0) {
				fst_errbuf_set(errbuf, "bad %%-escape in the URL's %s", what);
				return false;
			}
			c = fst_hex_digit(src[i + 1]) * 16 + fst_hex_digit(src[i + 2]);
			i += 2;
		}
		if (c == '\0' || c == '\r' || c == '\n') {
			fst_errbuf_set(errbuf, "the URL's %s contains a NUL, CR or LF", what);
			return false;
		}
		if (n + 1 >= size) {
			fst_errbuf_set(errbuf, "the URL's %s is too long", what);
			return false;
		}
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return true;
}

static bool parse_port(const char *p, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* The schemes, with what each means for the connection (RFC 4217;
 * "ftpes" is curl's and FileZilla's name for explicit TLS). */
static const struct {
	const char *prefix;
	enum fst_client_tls tls;
	uint16_t port;
} schemes[] = {
	{ "ftp://", FST_TLS_NONE, 21 },
	{ "ftpes://", FST_TLS_EXPLICIT, 21 },
	{ "ftps://", FST_TLS_IMPLICIT, 990 },
};

static bool host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

int fst_client_url_parse(const char *text, struct fst_client_url *out, char *errbuf)
{
	const char *auth, *auth_end, *at, *host, *host_end, *port = NULL, *path;
	size_t plen;

	memset(out, 0, sizeof(*out));
	auth = NULL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !auth; i++) {
		size_t n = strlen(schemes[i].prefix);

		if (strncasecmp(text, schemes[i].prefix, n) == 0) {
			auth = text + n;
			out->tls = schemes[i].tls;
			out->port = schemes[i].port;
		}
	}
	if (!auth) {
		fst_errbuf_set(errbuf, "not an ftp://, ftpes:// or ftps:// URL");
		return FST_ERR_ARG;
	}
	auth_end = auth + strcspn(auth, "/?#");
	/* Anywhere, not only after the host: "ftp://h/dir#1" would otherwise
	 * name a directory "dir#1" where curl and browsers see "dir". A
	 * name with '?' or '#' is written %3F or %23. */
	if (strpbrk(auth_end, "?#")) {
		fst_errbuf_set(errbuf, "an ftp:// URL has no query or fragment");
		return FST_ERR_ARG;
	}
	/* The last '@' ends the user part (an '@' in a user name should be
	 * %40, but e-mail-like names often are not). */
	at = NULL;
	for (const char *p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	host = auth;
	if (at) {
		if (memchr(auth, ':', (size_t)(at - auth))) {
			/* Do not echo it: the part after ':' is a password. */
			fst_errbuf_set(errbuf,
				       "a password in the URL is refused (it would show in "
				       "the process list): set FTP_PASSWORD or use ~/.netrc");
			return FST_ERR_ARG;
		}
		if (at == auth) {
			fst_errbuf_set(errbuf, "empty user name in the URL");
			return FST_ERR_ARG;
		}
		if (!decode(auth, (size_t)(at - auth), out->user, sizeof(out->user), "user name",
			    errbuf))
			return FST_ERR_ARG;
		out->has_user = true;
		host = at + 1;
	}
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(auth_end - host));
		if (!host_end) {
			fst_errbuf_set(errbuf, "unterminated [IPv6 address] in the URL");
			return FST_ERR_ARG;
		}
		host++;
		for (const char *p = host; p < host_end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
				fst_errbuf_set(errbuf, "bad IPv6 address in the URL");
				return FST_ERR_ARG;
			}
		if (host_end[1] == ':')
			port = host_end + 2;
		else if (host_end + 1 != auth_end) {
			fst_errbuf_set(errbuf, "unexpected text after ] in the URL");
			return FST_ERR_ARG;
		}
	} else {
		host_end = host;
		while (host_end < auth_end && *host_end != ':')
			host_end++;
		if (host_end < auth_end)
			port = host_end + 1;
		for (const char *p = host; p < host_end; p++)
			if (!host_char_ok(*p)) {
				fst_errbuf_set(errbuf, "bad character in the URL's host name");
				return FST_ERR_ARG;
			}
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(out->host)) {
		fst_errbuf_set(errbuf, host_end == host ? "no host in the URL" :
							  "the URL's host name is too long");
		return FST_ERR_ARG;
	}
	memcpy(out->host, host, (size_t)(host_end - host));
	out->host[host_end - host] = '\0';
	if (port && !parse_port(port, (size_t)(auth_end - port), &out->port)) {
		fst_errbuf_set(errbuf, "bad port in the URL (1-65535)");
		return FST_ERR_ARG;
	}
	path = *auth_end == '/' ? auth_end + 1 : auth_end;
	plen = strlen(path);
	if (!decode(path, plen, out->path, sizeof(out->path), "path", errbuf))
		return FST_ERR_ARG;
	/* "dir/" names the directory "dir"; "/" alone after decoding (%2F)
	 * is the root and stays. */
	plen = strlen(out->path);
	while (plen > 1 && out->path[plen - 1] == '/')
		out->path[--plen] = '\0';
	return FST_OK;
}

/* ---- netrc ---- */

struct netrc_lexer {
	const char *p, *end;
};

/* Next whitespace-separated token; "quoted \"tokens\"" as GNU ftp reads
 * them. Returns false at the end or when it does not fit in tok. */
static bool netrc_token(struct netrc_lexer *lx, char *tok, size_t size, bool *too_long)
{
	size_t n = 0;

	*too_long = false;
	while (lx->p < lx->end && isspace((unsigned char)*lx->p))
		lx->p++;
	if (lx->p >= lx->end)
		return false;
	if (*lx->p == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			if (n + 1 < size)
				tok[n++] = *lx->p;
			else
				*too_long = true;
			lx->p++;
		}
		if (lx->p < lx->end)
			lx->p++;
	} else {
		while (lx->p < lx->end && !isspace((unsigned char)*lx->p)) {
			if (n + 1 < size)
				tok[n++] = *lx->p;
			else
				*too_long = true;
			lx->p++;
		}
	}
	tok[n] = '\0';
	return true;
}

/* macdef NAME: the macro runs to the next empty line. */
static void netrc_skip_macro(struct netrc_lexer *lx)
{
	while (lx->p < lx->end) {
		const char *nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));

		if (!nl) {
			lx->p = lx->end;
			return;
		}
		lx->p = nl + 1;
		if (lx->p < lx->end && *lx->p == '\n') {
			lx->p++;
			return;
		}
	}
}

struct netrc_entry {
	bool active, is_default;
	bool host_match;
	char login[FST_CLIENT_USER_MAX + 1];
	char password[FST_CLIENT_PASSWORD_MAX + 1];
	bool has_login, has_password;
};

/* Whether the finished entry e answers (host, user). */
static bool netrc_entry_matches(const struct netrc_entry *e, const char *user)
{
	if (!e->active || !(e->host_match || e->is_default) || !e->has_password)
		return false;
	return !user || (e->has_login && strcmp(e->login, user) == 0);
}

/* Walks the tokens; on a match fills *found. Returns FST_OK. */
static int netrc_scan(const char *text, size_t len, const char *host, const char *user,
		      struct netrc_entry *found, bool *matched)
{
	struct netrc_lexer lx = { .p = text, .end = text + len };
	struct netrc_entry cur = { 0 };
	char tok[FST_CLIENT_PASSWORD_MAX + 1];
	bool too_long;

	*matched = false;
	while (netrc_token(&lx, tok, sizeof(tok), &too_long)) {
		bool is_machine = strcmp(tok, "machine") == 0;

		if (is_machine || strcmp(tok, "default") == 0) {
			if (netrc_entry_matches(&cur, user)) {
				*found = cur;
				*matched = true;
				break;
			}
			memset(&cur, 0, sizeof(cur));
			cur.active = true;
			cur.is_default = !is_machine;
			if (is_machine && netrc_token(&lx, tok, sizeof(tok), &too_long))
				cur.host_match = !too_long && strcasecmp(tok, host) == 0;
		} else if (strcmp(tok, "login") == 0) {
			if (!netrc_token(&lx, tok, sizeof(tok), &too_long))
				break;
			if (!too_long && strlen(tok) < sizeof(cur.login)) {
				snprintf(cur.login, sizeof(cur.login), "%s", tok);
				cur.has_login = true;
			}
		} else if (strcmp(tok, "password") == 0) {
			if (!netrc_token(&lx, tok, sizeof(tok), &too_long))
				break;
			if (!too_long) {
				snprintf(cur.password, sizeof(cur.password), "%s", tok);
				cur.has_password = true;
			}
		} else if (strcmp(tok, "account") == 0) {
			netrc_token(&lx, tok, sizeof(tok), &too_long);
		} else if (strcmp(tok, "macdef") == 0) {
			netrc_token(&lx, tok, sizeof(tok), &too_long);
			netrc_skip_macro(&lx);
		}
	}
	if (!*matched && netrc_entry_matches(&cur, user)) {
		*found = cur;
		*matched = true;
	}
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(&cur, sizeof(cur));
	return FST_OK;
}

int fst_client_netrc_find(const char *path, const char *host, const char *user, char *login,
			  size_t login_size, char *password, size_t password_size, char *errbuf)
{
	struct netrc_entry found;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	bool matched = false;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO without a writer must not block the open; the
	 * fstat below refuses it. Regular files read the same either way. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		return FST_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		rc = FST_ERR_IO;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		fst_errbuf_set(errbuf, "%s is not a regular file", path);
		rc = FST_ERR_ARG;
		goto out_close;
	}
	if (st.st_size > NETRC_MAX) {
		fst_errbuf_set(errbuf, "%s is larger than 64 KiB", path);
		rc = FST_ERR_LIMIT;
		goto out_close;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fst_errbuf_set(errbuf, "out of memory");
		rc = FST_ERR_NOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
			rc = FST_ERR_IO;
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	netrc_scan(text, len, host, user, &found, &matched);
	if (!matched)
		goto out_free;
	/* As ftp(1): a password that others can read is no secret, and a
	 * file someone else owns or can write could have been planted. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) || st.st_uid != geteuid()) {
		fst_errbuf_set(errbuf,
			       "%s holds a password but is accessible by others or not yours; "
			       "refusing it (chmod 600 %s)",
			       path, path);
		rc = FST_ERR_ARG;
		goto out_wipe;
	}
	if (strlen(found.password) >= password_size ||
	    (!user && (!found.has_login || strlen(found.login) >= login_size))) {
		if (!user && !found.has_login)
			goto out_wipe; /* a password without a login names no user */
		fst_errbuf_set(errbuf, "%s: login or password too long", path);
		rc = FST_ERR_LIMIT;
		goto out_wipe;
	}
	snprintf(password, password_size, "%s", found.password);
	if (!user)
		snprintf(login, login_size, "%s", found.login);
	rc = 1;
out_wipe:
	explicit_bzero(&found, sizeof(found));
out_free:
	if (text)
		explicit_bzero(text, len);
	free(text);
out_close:
	close(fd);
	return rc;
}

int fst_client_credentials(const struct fst_client_url *url, const char *env_password,
			   const char *netrc_path, char *user, size_t user_size, char *password,
			   size_t password_size, bool *have_password, char *errbuf)
{
	int rc;

	*have_password = false;
	password[0] = '\0';
	if (env_password && strlen(env_password) >= password_size) {
		fst_errbuf_set(errbuf, "FTP_PASSWORD is longer than %zu bytes", password_size - 1);
		return FST_ERR_LIMIT;
	}
	if (url->has_user) {
		if (strlen(url->user) >= user_size) {
			fst_errbuf_set(errbuf, "the user name is too long");
			return FST_ERR_LIMIT;
		}
		snprintf(user, user_size, "%s", url->user);
		if (env_password) {
			snprintf(password, password_size, "%s", env_password);
			*have_password = true;
			return FST_OK;
		}
		if (netrc_path) {
			rc = fst_client_netrc_find(netrc_path, url->host, url->user, NULL, 0,
						   password, password_size, errbuf);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				*have_password = true;
				return FST_OK;
			}
		}
		if (strcmp(url->user, "anonymous") == 0 || strcmp(url->user, "ftp") == 0)
			return FST_OK;
		fst_errbuf_set(errbuf,
			       "no password for %s at %s: set FTP_PASSWORD, or add a 'machine %s "
			       "login %s password ...' line to %s",
			       url->user, url->host, url->host, url->user,
			       netrc_path ? netrc_path : "~/.netrc");
		return FST_ERR_ARG;
	}
	if (netrc_path) {
		rc = fst_client_netrc_find(netrc_path, url->host, NULL, user, user_size, password,
					   password_size, errbuf);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*have_password = true;
			return FST_OK;
		}
	}
	snprintf(user, user_size, "anonymous");
	if (env_password) {
		snprintf(password, password_size, "%s", env_password);
		*have_password = true;
	}
	return FST_OK;
}
