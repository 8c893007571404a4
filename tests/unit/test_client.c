/* Unit tests for src/client without a server: URLs, netrc files and
 * credentials, the reply reader over a socket pair, the SIZE and
 * checksum reply parsing and the resume decision, and the upload and
 * probe reports of hand-made results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/client/internal.h"

/* ---- URLs ---------------------------------------------------------------- */

static void test_url_simple(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://ftp.example.org/pub/dir/", &u, errbuf),
			 FST_OK);
	assert_false(u.has_user);
	assert_string_equal(u.host, "ftp.example.org");
	assert_int_equal(u.port, 21);
	/* The trailing slash names the directory itself. */
	assert_string_equal(u.path, "pub/dir");

	assert_int_equal(fst_client_url_parse("FTP://h", &u, errbuf), FST_OK);
	assert_string_equal(u.host, "h");
	assert_string_equal(u.path, "");
}

/* The scheme picks the TLS mode and the default port (RFC 4217; 990 is
 * IANA's ftps port); an explicit port wins. */
static void test_url_tls_schemes(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://h/", &u, errbuf), FST_OK);
	assert_int_equal(u.tls, FST_TLS_NONE);
	assert_int_equal(u.port, 21);
	assert_int_equal(fst_client_url_parse("ftpes://h/d", &u, errbuf), FST_OK);
	assert_int_equal(u.tls, FST_TLS_EXPLICIT);
	assert_int_equal(u.port, 21);
	assert_string_equal(u.path, "d");
	assert_int_equal(fst_client_url_parse("FTPS://user@h/", &u, errbuf), FST_OK);
	assert_int_equal(u.tls, FST_TLS_IMPLICIT);
	assert_int_equal(u.port, 990);
	assert_string_equal(u.user, "user");
	assert_int_equal(fst_client_url_parse("ftps://h:2990/", &u, errbuf), FST_OK);
	assert_int_equal(u.port, 2990);
	assert_string_equal(fst_client_tls_scheme(FST_TLS_EXPLICIT), "ftpes");
	assert_string_equal(fst_client_tls_name(FST_TLS_IMPLICIT), "implicit");
}

static void test_url_user_port_path(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://backup@10.0.0.5:2121/vol", &u, errbuf),
			 FST_OK);
	assert_true(u.has_user);
	assert_string_equal(u.user, "backup");
	assert_string_equal(u.host, "10.0.0.5");
	assert_int_equal(u.port, 2121);
	assert_string_equal(u.path, "vol");
	/* The last '@' ends the user: e-mail-like names need no %40. */
	assert_int_equal(fst_client_url_parse("ftp://me@example.com@h:65535/", &u, errbuf), FST_OK);
	assert_string_equal(u.user, "me@example.com");
	assert_string_equal(u.host, "h");
	assert_int_equal(u.port, 65535);
}

static void test_url_percent_decoding(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://a%20b%40c@h/my%20dir/x%2Fy", &u, errbuf),
			 FST_OK);
	assert_string_equal(u.user, "a b@c");
	assert_string_equal(u.path, "my dir/x/y");
	/* "/%2F" is the root directory, kept after trailing slashes go. */
	assert_int_equal(fst_client_url_parse("ftp://h/%2F", &u, errbuf), FST_OK);
	assert_string_equal(u.path, "/");
	assert_int_equal(fst_client_url_parse("ftp://h/%2f%2f", &u, errbuf), FST_OK);
	assert_string_equal(u.path, "/");
}

static void test_url_ipv6(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://[2001:db8::1]:990/d", &u, errbuf), FST_OK);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 990);
	assert_string_equal(u.path, "d");
	assert_int_equal(fst_client_url_parse("ftp://u@[::ffff:10.0.0.1]/", &u, errbuf), FST_OK);
	assert_string_equal(u.host, "::ffff:10.0.0.1");
	assert_int_equal(u.port, 21);
}

/* Each bad URL is refused with its own reason. */
static void expect_url_error(const char *url, const char *reason)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	assert_int_equal(fst_client_url_parse(url, &u, errbuf), FST_ERR_ARG);
	if (!strstr(errbuf, reason))
		fail_msg("%s: \"%s\" does not say \"%s\"", url, errbuf, reason);
}

static void test_url_refused(void **state)
{
	(void)state;
	expect_url_error("http://h/", "not an ftp://, ftpes:// or ftps:// URL");
	expect_url_error("sftp://h/", "not an ftp://, ftpes:// or ftps:// URL");
	expect_url_error("ftp:/h/", "not an ftp://, ftpes:// or ftps:// URL");
	expect_url_error("ftp://h?x=1", "query or fragment");
	expect_url_error("ftp://h#top", "query or fragment");
	/* Also after the path began (they used to become part of it). */
	expect_url_error("ftp://h/?x=1", "query or fragment");
	expect_url_error("ftp://u@h:2121/dir#frag", "query or fragment");
	expect_url_error("ftp://h/a/b?", "query or fragment");
	expect_url_error("ftp://@h/", "empty user name");
	expect_url_error("ftp:///dir", "no host");
	expect_url_error("ftp://h:0/", "bad port");
	expect_url_error("ftp://h:65536/", "bad port");
	expect_url_error("ftp://h:21x/", "bad port");
	expect_url_error("ftp://h:/", "bad port");
	expect_url_error("ftp://h:123456/", "bad port");
	expect_url_error("ftp://ho st/", "bad character");
	expect_url_error("ftp://h;x/", "bad character");
	expect_url_error("ftp://[2001:db8::1/", "unterminated");
	expect_url_error("ftp://[2001:db8::g]/", "bad IPv6");
	expect_url_error("ftp://[::1]x/", "after ]");
	expect_url_error("ftp://[]/", "no host");
	expect_url_error("ftp://h/a%2", "bad %-escape");
	expect_url_error("ftp://h/a%zz", "bad %-escape");
	expect_url_error("ftp://u%4@h/", "bad %-escape");
	/* Decoded line breaks would put a second command on the wire. */
	expect_url_error("ftp://h/x%0d%0aDELE%20y", "NUL, CR or LF");
	expect_url_error("ftp://h/x%00", "NUL, CR or LF");
	expect_url_error("ftp://a%0a@h/", "NUL, CR or LF");
}

/* A password in the URL is refused, and never repeated in the message. */
static void test_url_password_refused_unechoed(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;

	(void)state;
	assert_int_equal(fst_client_url_parse("ftp://bob:s3cr3t@h/", &u, errbuf), FST_ERR_ARG);
	assert_non_null(strstr(errbuf, "password"));
	assert_null(strstr(errbuf, "s3cr3t"));
}

static void test_url_too_long(void **state)
{
	char url[2 * FST_CLIENT_PATH_MAX], errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;
	int n;

	(void)state;
	n = snprintf(url, sizeof(url), "ftp://");
	memset(url + n, 'h', FST_CLIENT_HOST_MAX + 1);
	url[n + FST_CLIENT_HOST_MAX + 1] = '\0';
	assert_int_equal(fst_client_url_parse(url, &u, errbuf), FST_ERR_ARG);
	assert_non_null(strstr(errbuf, "too long"));
	n = snprintf(url, sizeof(url), "ftp://h/");
	memset(url + n, 'p', FST_CLIENT_PATH_MAX + 1);
	url[n + FST_CLIENT_PATH_MAX + 1] = '\0';
	assert_int_equal(fst_client_url_parse(url, &u, errbuf), FST_ERR_ARG);
	assert_non_null(strstr(errbuf, "too long"));
	/* Exactly at the cap fits. */
	url[n + FST_CLIENT_PATH_MAX] = '\0';
	assert_int_equal(fst_client_url_parse(url, &u, errbuf), FST_OK);
	assert_int_equal(strlen(u.path), FST_CLIENT_PATH_MAX);
}

/* ---- netrc and credentials ------------------------------------------- */

/* Writes text to a new file with mode; returns its path in buf. */
static const char *write_netrc(char *buf, size_t size, const char *text, mode_t mode)
{
	int fd;

	snprintf(buf, size, "/tmp/fst-test-netrc-XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return buf;
}

static const char netrc_text[] =
	"machine other login x password wrong\n"
	"macdef init\n"
	"cd /pub\n"
	"machine h login fake password inside-macro\n"
	"\n"
	"machine FTP.Example.ORG\n"
	"  login bob\n"
	"  password \"two words\\\"q\"\n"
	"machine ftp.example.org login carol password c-pass account acct\n"
	"default login anonymous password guest@\n";

static void test_netrc_lookup(void **state)
{
	char path[64], login[64], password[64], errbuf[FST_ERRBUF_SIZE] = "";

	(void)state;
	write_netrc(path, sizeof(path), netrc_text, 0600);
	/* By host alone: the first entry for the host (case-insensitive),
	 * quoted password with an escaped quote. */
	assert_int_equal(fst_client_netrc_find(path, "ftp.example.org", NULL, login, sizeof(login),
					       password, sizeof(password), errbuf),
			 1);
	assert_string_equal(login, "bob");
	assert_string_equal(password, "two words\"q");
	/* By host and user: the entry with that login. */
	assert_int_equal(fst_client_netrc_find(path, "ftp.example.org", "carol", NULL, 0, password,
					       sizeof(password), errbuf),
			 1);
	assert_string_equal(password, "c-pass");
	/* A macro's body is not an entry. */
	assert_int_equal(fst_client_netrc_find(path, "h", "fake", NULL, 0, password,
					       sizeof(password), errbuf),
			 0);
	/* An unknown host falls to the default entry. */
	assert_int_equal(fst_client_netrc_find(path, "elsewhere", NULL, login, sizeof(login),
					       password, sizeof(password), errbuf),
			 1);
	assert_string_equal(login, "anonymous");
	assert_string_equal(password, "guest@");
	unlink(path);
	assert_int_equal(fst_client_netrc_find(path, "h", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 0);
}

/* A file others can read holds no secret: refused once it matches,
 * without the password in the message. */
static void test_netrc_readable_by_others_refused(void **state)
{
	char path[64], login[64], password[64], errbuf[FST_ERRBUF_SIZE] = "";

	(void)state;
	write_netrc(path, sizeof(path), "machine h login u password topsecret\n", 0644);
	assert_int_equal(fst_client_netrc_find(path, "h", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 FST_ERR_ARG);
	assert_non_null(strstr(errbuf, "chmod 600"));
	assert_null(strstr(errbuf, "topsecret"));
	/* No match: nothing to refuse. */
	assert_int_equal(fst_client_netrc_find(path, "other", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 0);
	unlink(path);
}

static void test_netrc_caps(void **state)
{
	char path[64], login[64], password[8], errbuf[FST_ERRBUF_SIZE] = "";
	char *big = malloc(70 * 1024);

	(void)state;
	assert_non_null(big);
	write_netrc(path, sizeof(path), "machine h login u password longer-than-8\n", 0600);
	assert_int_equal(fst_client_netrc_find(path, "h", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 FST_ERR_LIMIT);
	assert_null(strstr(errbuf, "longer-than-8"));
	unlink(path);
	memset(big, ' ', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	write_netrc(path, sizeof(path), big, 0600);
	assert_int_equal(fst_client_netrc_find(path, "h", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 FST_ERR_LIMIT);
	unlink(path);
	free(big);
	/* A directory is not a netrc file. */
	assert_int_equal(fst_client_netrc_find("/tmp", "h", NULL, login, sizeof(login), password,
					       sizeof(password), errbuf),
			 FST_ERR_ARG);
}

static void test_credentials(void **state)
{
	char path[64], user[64], password[64], errbuf[FST_ERRBUF_SIZE] = "";
	struct fst_client_url u;
	bool have;

	(void)state;
	write_netrc(path, sizeof(path), "machine h login alice password a-pass\n", 0600);
	/* No user in the URL: the netrc's login for the host. */
	assert_int_equal(fst_client_url_parse("ftp://h/", &u, errbuf), FST_OK);
	assert_int_equal(fst_client_credentials(&u, NULL, path, user, sizeof(user), password,
						sizeof(password), &have, errbuf),
			 FST_OK);
	assert_true(have);
	assert_string_equal(user, "alice");
	assert_string_equal(password, "a-pass");
	/* FTP_PASSWORD wins over the netrc for the URL's user. */
	assert_int_equal(fst_client_url_parse("ftp://alice@h/", &u, errbuf), FST_OK);
	assert_int_equal(fst_client_credentials(&u, "env-pass", path, user, sizeof(user), password,
						sizeof(password), &have, errbuf),
			 FST_OK);
	assert_string_equal(password, "env-pass");
	/* Without any: anonymous, no password of ours. */
	assert_int_equal(fst_client_url_parse("ftp://other/", &u, errbuf), FST_OK);
	assert_int_equal(fst_client_credentials(&u, NULL, path, user, sizeof(user), password,
						sizeof(password), &have, errbuf),
			 FST_OK);
	assert_false(have);
	assert_string_equal(user, "anonymous");
	/* A named user with no password anywhere is an error. */
	assert_int_equal(fst_client_url_parse("ftp://bob@other/", &u, errbuf), FST_OK);
	assert_int_equal(fst_client_credentials(&u, NULL, path, user, sizeof(user), password,
						sizeof(password), &have, errbuf),
			 FST_ERR_ARG);
	assert_non_null(strstr(errbuf, "no password for bob at other"));
	unlink(path);
}

/* ---- the reply reader ------------------------------------------------- */

struct pair {
	struct fst_client_cfg cfg;
	struct client_conn conn;
	int server; /* the test's end */
};

static void pair_open(struct pair *p)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&p->cfg, 0, sizeof(p->cfg));
	p->cfg.timeout_us = FST_US_PER_SEC;
	client_conn_init(&p->conn, &p->cfg);
	p->conn.fd = sv[0];
	p->server = sv[1];
}

static void pair_close(struct pair *p)
{
	client_conn_close(&p->conn);
	if (p->server >= 0)
		close(p->server);
}

static void server_says(struct pair *p, const char *text)
{
	assert_int_equal(write(p->server, text, strlen(text)), (ssize_t)strlen(text));
}

static int read_reply(struct pair *p, struct client_reply *r, int64_t wait_us, char *errbuf)
{
	return client_reply(&p->conn, client_mono_us() + wait_us, r, NULL, NULL, errbuf);
}

static void test_reply_single_and_multi_line(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_reply r;
	struct pair p;

	(void)state;
	pair_open(&p);
	/* Two replies in one segment, the second multi-line with an inner
	 * line that merely starts with digits; LF alone also ends a line. */
	server_says(&p,
		    "220 ready\r\n211-Features:\r\n SIZE\r\n200 not the end\n 123 x\n211 End\r\n");
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_OK);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.lines, 1);
	assert_string_equal(r.text, "ready");
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_OK);
	assert_int_equal(r.code, 211);
	assert_int_equal(r.lines, 5);
	assert_string_equal(r.text, "Features:");
	assert_string_equal(r.last, "End");
	pair_close(&p);
}

/* Control bytes in a reply's text are made printable before it is kept. */
static void test_reply_text_made_printable(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_reply r;
	struct pair p;

	(void)state;
	pair_open(&p);
	server_says(&p, "421 Time\x1b[2Jout\x07\r\n");
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_OK);
	assert_int_equal(r.code, 421);
	assert_null(strchr(r.text, '\x1b'));
	assert_null(strchr(r.text, '\x07'));
	assert_non_null(strstr(r.text, "Time"));
	pair_close(&p);
}

static void test_reply_not_ftp(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_reply r;
	struct pair p;

	(void)state;
	pair_open(&p);
	server_says(&p, "HTTP/1.1 400 Bad Request\r\n");
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_ERR_FORMAT);
	assert_int_equal(p.conn.fail, CF_PROTOCOL);
	assert_false(client_fail_transient(&p.conn));
	pair_close(&p);
}

static void test_reply_cut_and_timeout(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_reply r;
	struct pair p;

	(void)state;
	pair_open(&p);
	assert_int_equal(read_reply(&p, &r, 20000, errbuf), FST_ERR_IO);
	assert_int_equal(p.conn.fail, CF_TIMEOUT);
	assert_true(client_fail_transient(&p.conn));
	/* Half a line, then EOF: a cut connection, not a reply. */
	server_says(&p, "226 Trans");
	shutdown(p.server, SHUT_WR);
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_ERR_IO);
	assert_int_equal(p.conn.fail, CF_CLOSED);
	assert_true(client_fail_transient(&p.conn));
	pair_close(&p);
}

/* A line that never ends fills the buffer and stops there. */
static void test_reply_line_cap(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	char *line = malloc(FST_CLIENT_LINE_MAX);
	struct client_reply r;
	struct pair p;

	(void)state;
	assert_non_null(line);
	pair_open(&p);
	memcpy(line, "200 ", 4);
	memset(line + 4, 'x', FST_CLIENT_LINE_MAX - 4);
	assert_int_equal(write(p.server, line, FST_CLIENT_LINE_MAX), FST_CLIENT_LINE_MAX);
	assert_int_equal(read_reply(&p, &r, FST_US_PER_SEC, errbuf), FST_ERR_FORMAT);
	assert_int_equal(p.conn.fail, CF_PROTOCOL);
	assert_non_null(strstr(errbuf, "longer than"));
	pair_close(&p);
	free(line);
}

/* Commands go out with CR LF; one with a line break never does. */
static void test_command_and_reply(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "", sent[64];
	struct client_reply r;
	struct pair p;
	ssize_t n;

	(void)state;
	pair_open(&p);
	server_says(&p, "213 4096\r\n");
	assert_int_equal(client_cmd(&p.conn, &r, errbuf, "SIZE %s", "vol1.tar"), FST_OK);
	n = read(p.server, sent, sizeof(sent) - 1);
	assert_true(n > 0);
	sent[n] = '\0';
	assert_string_equal(sent, "SIZE vol1.tar\r\n");
	assert_int_equal(r.code, 213);
	assert_string_equal(r.text, "4096");
	assert_int_equal(client_send(&p.conn, errbuf, "DELE %s", "a\r\nDELE b"), FST_ERR_IO);
	assert_int_equal(p.conn.fail, CF_LOCAL);
	assert_false(client_fail_transient(&p.conn));
	pair_close(&p);
}

/* 4xx is worth another connection, 5xx is not (RFC 959 4.2). */
static void test_reply_failures_transient(void **state)
{
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_reply r = { .code = 421 };
	struct pair p;

	(void)state;
	pair_open(&p);
	snprintf(r.text, sizeof(r.text), "Timeout.");
	client_fail_reply(&p.conn, &r, errbuf, "STOR");
	assert_string_equal(errbuf, "STOR: 421 Timeout.");
	assert_true(client_fail_transient(&p.conn));
	p.conn.fatal = true;
	assert_false(client_fail_transient(&p.conn));
	p.conn.fatal = false;
	r.code = 553;
	client_fail_reply(&p.conn, &r, errbuf, "STOR");
	assert_false(client_fail_transient(&p.conn));
	pair_close(&p);
}

/* ---- SIZE, checksums, resume ------------------------------------------ */

static void test_size_reply_number(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_true(parse_u64("0", &v));
	assert_int_equal(v, 0);
	/* The largest values used to be refused as overflows. */
	assert_true(parse_u64("18446744073709551615", &v));
	assert_true(v == UINT64_MAX);
	assert_true(parse_u64("18446744073709551610", &v));
	assert_true(v == UINT64_MAX - 5);
	assert_true(parse_u64("1844674407370955161", &v));
	assert_true(v == UINT64_MAX / 10);
	assert_true(parse_u64("4096  ", &v));
	assert_int_equal(v, 4096);
	v = 7;
	assert_false(parse_u64("18446744073709551616", &v));
	assert_false(parse_u64("18446744073709551620", &v));
	assert_false(parse_u64("99999999999999999999", &v));
	assert_false(parse_u64("", &v));
	assert_false(parse_u64("-1", &v));
	assert_false(parse_u64(" 12", &v));
	assert_false(parse_u64("12 bytes", &v));
	assert_false(parse_u64("0x10", &v));
	assert_int_equal(v, 7);
}

static void test_checksum_reply_hex(void **state)
{
	char out[FST_DIGEST_HEX_MAX + 1];

	(void)state;
	/* HASH: "SHA-256 0-4095 <hex> name"; XCRC: "<hex>". */
	assert_true(find_hex("SHA-256 0-4095 0123456789abcdef0123456789ABCDEF0123456789abcdef0123"
			     "456789abcdef vol1.tar",
			     64, out, sizeof(out)));
	assert_string_equal(out,
			    "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef");
	assert_true(find_hex("  deadbeef", 8, out, sizeof(out)));
	assert_string_equal(out, "deadbeef");
	/* Right length but not hex, or hex of another length: no. */
	assert_false(find_hex("deadbeeg cafe", 8, out, sizeof(out)));
	assert_false(find_hex("deadbeef0", 8, out, sizeof(out)));
	assert_false(find_hex("", 8, out, sizeof(out)));
	/* It must fit in out. */
	assert_false(find_hex("deadbeef", 8, out, 8));
}

static void test_resume_decision(void **state)
{
	enum fst_client_resume m = FST_RESUME_COUNT;

	(void)state;
	assert_true(resume_method(0, 1000, false, &m));
	assert_int_equal(m, FST_RESUME_STOR);
	assert_true(resume_method(400, 1000, false, &m));
	assert_int_equal(m, FST_RESUME_REST_STOR);
	assert_true(resume_method(400, 1000, true, &m));
	assert_int_equal(m, FST_RESUME_APPE);
	assert_true(resume_method(1000, 1000, false, &m));
	assert_int_equal(m, FST_RESUME_NONE);
	assert_true(resume_method(0, 0, true, &m));
	assert_int_equal(m, FST_RESUME_NONE);
	/* More on the server than here: never truncated, never appended. */
	m = FST_RESUME_COUNT;
	assert_false(resume_method(1001, 1000, false, &m));
	assert_int_equal(m, FST_RESUME_COUNT);
	assert_false(resume_method(UINT64_MAX, 0, true, &m));
}

/* ---- reports of hand-made results --------------------------------------- */

static char *report_text(bool json, const struct fst_client_upload_cfg *ucfg,
			 const struct fst_client_upload_result *ur,
			 const struct fst_client_probe_cfg *pcfg,
			 const struct fst_client_probe_result *pr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (ucfg)
		assert_int_equal(fst_client_upload_report(f, json, "9.9", ucfg, ur), FST_OK);
	else
		assert_int_equal(fst_client_probe_report(f, json, "9.9", pcfg, pr), FST_OK);
	assert_int_equal(fclose(f), 0);
	return buf;
}

struct upload_fixture {
	const char *paths[2];
	struct fst_client_file_result files[2];
	struct fst_client_reconnect rec[2];
	struct fst_client_upload_cfg cfg;
	struct fst_client_upload_result res;
};

static void upload_fixture(struct upload_fixture *x)
{
	memset(x, 0, sizeof(*x));
	x->paths[0] = "vol1.tar";
	x->paths[1] = "dir/vol\"2\".tar";
	x->cfg = (struct fst_client_upload_cfg){
		.conn = { .host = "2001:db8::1", .port = 2121, .dir = "backups" },
		.files = x->paths,
		.file_count = 2,
	};
	x->res = (struct fst_client_upload_result){
		.files = x->files,
		.file_count = 2,
		.reconnects = x->rec,
		.reconnect_count = 1,
		.logins = 2,
		.connect_failures = 3,
		.verified = 1,
		.failed = 1,
		.started_at_us = INT64_C(1764563374321142),
		.duration_us = 12345678,
	};
	snprintf(x->res.user, sizeof(x->res.user), "bob");
	snprintf(x->res.greeting, sizeof(x->res.greeting), "220 <script>\x1b[31m\"hi\"\\\xc3\xa9");
	snprintf(x->res.data_mode, sizeof(x->res.data_mode), "EPSV");
	snprintf(x->res.digests_offered, sizeof(x->res.digests_offered), "SHA-256");
	x->files[0] = (struct fst_client_file_result){
		.path = x->paths[0],
		.size = 5000000000ULL,
		.status = FST_FILE_VERIFIED,
		.bytes_sent = 5000000000ULL,
		.attempts = 2,
		.reconnects = 1,
		.remote_size = 5000000000ULL,
		.digest = FST_DIGEST_SHA256,
		.duration_us = 1500000,
	};
	snprintf(x->files[0].remote_name, sizeof(x->files[0].remote_name), "vol1.tar");
	snprintf(x->files[0].digest_hex, sizeof(x->files[0].digest_hex), "abcdef");
	x->files[1] = (struct fst_client_file_result){
		.path = x->paths[1],
		.size = 10,
		.status = FST_FILE_FAILED,
		.attempts = 6,
	};
	snprintf(x->files[1].remote_name, sizeof(x->files[1].remote_name), "vol\"2\".tar");
	snprintf(x->files[1].error, sizeof(x->files[1].error), "STOR: 553 no\r\n");
	x->rec[0] = (struct fst_client_reconnect){
		.at_us = INT64_C(1764563375000001),
		.elapsed_us = 2000000,
		.file_index = 0,
		.phase = FST_PHASE_DATA,
		.reply_code = 421,
		.sent_offset = 4096,
		.delay_us = 7250000,
		.backoff_us = 1000000,
		.resumed = true,
		.resumed_from = 4000,
		.method = FST_RESUME_REST_STOR,
	};
	snprintf(x->rec[0].reason, sizeof(x->rec[0].reason), "Timeout\x7f.");
}

/* The exact document: key order, spacing and escaping are the schema
 * scripts read. */
static void test_upload_report_json(void **state)
{
	struct upload_fixture x;
	char *got;

	(void)state;
	upload_fixture(&x);
	got = report_text(true, &x.cfg, &x.res, NULL, NULL);
	assert_string_equal(
		got,
		"{\"tool\": \"ftpstall\", \"command\": \"upload\", \"version\": \"9.9\", "
		"\"server\": {\"host\": \"2001:db8::1\", \"port\": 2121, \"dir\": \"backups\", "
		"\"user\": \"bob\", \"greeting\": "
		"\"220 <script>\\u001b[31m\\\"hi\\\"\\\\\\u00c3\\u00a9\", "
		"\"tls\": \"none\", \"tls_version\": null}, "
		"\"started_at\": \"2025-12-01T04:29:34.321142Z\", \"duration_s\": 12.345678, "
		"\"data_mode\": \"EPSV\", \"digests_offered\": \"SHA-256\", \"files\": ["
		"{\"path\": \"vol1.tar\", \"remote_name\": \"vol1.tar\", \"size\": 5000000000, "
		"\"status\": \"verified\", \"error\": null, \"attempts\": 2, \"reconnects\": 1, "
		"\"bytes_sent\": 5000000000, \"remote_size\": 5000000000, "
		"\"checksum\": {\"algorithm\": \"SHA-256\", \"value\": \"abcdef\"}, "
		"\"duration_s\": 1.500000}, "
		"{\"path\": \"dir/vol\\\"2\\\".tar\", \"remote_name\": \"vol\\\"2\\\".tar\", "
		"\"size\": 10, \"status\": \"failed\", \"error\": \"STOR: 553 no\\u000d\\u000a\", "
		"\"attempts\": 6, \"reconnects\": 0, \"bytes_sent\": 0, \"remote_size\": 0, "
		"\"checksum\": null, \"duration_s\": 0.000000}], "
		"\"reconnects\": [{\"at\": \"2025-12-01T04:29:35.000001Z\", \"elapsed_s\": 2.000000, "
		"\"file\": \"vol1.tar\", \"phase\": \"data\", \"reply_code\": 421, "
		"\"reason\": \"Timeout\\u007f.\", \"sent_offset\": 4096, \"delay_s\": 7.250000, "
		"\"backoff_s\": 1.000000, "
		"\"resumed\": true, \"resumed_from\": 4000, \"method\": \"REST+STOR\"}], "
		"\"reconnects_dropped\": 0, \"noops\": 0, \"logins\": 2, \"connect_failures\": 3, "
		"\"verified\": 1, "
		"\"failed\": 1, \"ok\": false, \"error\": null}\n");
	free(got);
}

/* The text summary shows network text with \xNN for anything that could
 * move a terminal's cursor. */
static void test_upload_report_text(void **state)
{
	struct upload_fixture x;
	char *got;

	(void)state;
	upload_fixture(&x);
	got = report_text(false, &x.cfg, &x.res, NULL, NULL);
	assert_non_null(
		strstr(got, "ftpstall 9.9 upload to ftp://[2001:db8::1]:2121/backups/ as bob\n"));
	assert_non_null(strstr(got, "server: 220 <script>\\x1b[31m\"hi\"\\\\xc3\\xa9\n"));
	assert_non_null(strstr(got, "    error: STOR: 553 no\\x0d\\x0a\n"));
	assert_non_null(strstr(
		got, "  2025-12-01 04:29:35.000001 (+2.000 s)  vol1.tar, data at "
		     "offset 4096: Timeout\\x7f.\n"
		     "      -> reconnected after 7.250 s (backoff 1.000 s), resumed from 4000 "
		     "(REST+STOR)\n"));
	assert_non_null(strstr(got, "failed connection attempts: 3\n"
				    "keepalive NOOPs: 0; logins: 2\n"));
	assert_non_null(strstr(got, "result: 1 of 2 files verified, 1 failed, in 12.346 s\n"));
	assert_null(strchr(got, '\x1b'));
	assert_null(strchr(got, '\r'));
	free(got);
}

/* A reconnect that never led to a login, one that logged in but did not
 * resume, and one file: the words agree with the numbers. */
static void test_upload_report_text_counts(void **state)
{
	struct upload_fixture x;
	char *got;

	(void)state;
	upload_fixture(&x);
	x.res.file_count = 1;
	x.res.failed = 0;
	x.res.reconnect_count = 2;
	x.rec[1] = x.rec[0];
	x.rec[0].resumed = false;
	x.rec[0].delay_us = 2500000;
	x.rec[0].backoff_us = 0;
	x.rec[1].resumed = false;
	x.rec[1].delay_us = 0;
	x.res.connect_failures = 1;
	got = report_text(false, &x.cfg, &x.res, NULL, NULL);
	assert_non_null(strstr(got,
			       "offset 4096: Timeout\\x7f.\n"
			       "      -> reconnected after 2.500 s (backoff 0.000 s), not resumed\n"
			       "  2025-12-01 04:29:35.000001 (+2.000 s)  vol1.tar, data at "
			       "offset 4096: Timeout\\x7f.\n"
			       "      -> not resumed\n"
			       "failed connection attempts: 1\n"));
	assert_non_null(strstr(got, "result: 1 of 1 file verified, 0 failed, in 12.346 s\n"));
	assert_null(strstr(got, "1 files"));
	free(got);
}

/* "gave up after 1 retry", never "1 retries". */
static void test_upload_retries_word(void **state)
{
	(void)state;
	assert_string_equal(retries_word(0), "retries");
	assert_string_equal(retries_word(1), "retry");
	assert_string_equal(retries_word(2), "retries");
}

static void probe_fixture(struct fst_client_probe_cfg *cfg, struct fst_client_probe_result *r)
{
	*cfg = (struct fst_client_probe_cfg){ .conn = { .host = "10.0.0.1", .port = 21 },
					      .data = true };
	*r = (struct fst_client_probe_result){
		.resolution_us = 100000,
		.max_wait_us = 900 * FST_US_PER_SEC,
		.started_at_us = INT64_C(1764563374000000),
		.idle = { .measured = true,
			  .timeout_us = 300123456,
			  .end = FST_END_REPLY,
			  .reply_code = 421,
			  .closed_by = FST_END_FIN,
			  .reply_to_close_us = 1000 },
		.data = { .end = FST_END_ERROR, .bytes_sent = 5 },
		.timers = (1u << FST_PROBE_IDLE) | (1u << FST_PROBE_DATA),
	};
	snprintf(r->user, sizeof(r->user), "anonymous");
	snprintf(r->greeting, sizeof(r->greeting), "220 vsFTPd \"3\"");
	snprintf(r->idle.reply, sizeof(r->idle.reply), "Timeout.\x80");
	snprintf(r->data.error, sizeof(r->data.error), "no\nway");
	snprintf(r->data_file, sizeof(r->data_file), ".ftpstall-probe-1");
}

static void test_probe_report_json(void **state)
{
	struct fst_client_probe_cfg cfg;
	struct fst_client_probe_result r;
	char *got;

	(void)state;
	probe_fixture(&cfg, &r);
	got = report_text(true, NULL, NULL, &cfg, &r);
	assert_string_equal(
		got,
		"{\"tool\": \"ftpstall\", \"command\": \"probe\", \"version\": \"9.9\", "
		"\"server\": {\"host\": \"10.0.0.1\", \"port\": 21, \"user\": \"anonymous\", "
		"\"greeting\": \"220 vsFTPd \\\"3\\\"\", \"tls\": \"none\", \"tls_version\": null, "
		"\"timer_note\": null}, "
		"\"started_at\": \"2025-12-01T04:29:34.000000Z\", \"resolution_s\": 0.100000, "
		"\"max_wait_s\": 900.000000, "
		"\"idle\": {\"measured\": true, \"timeout_s\": 300.123456, \"end\": \"reply\", "
		"\"reply_code\": 421, \"reply\": \"Timeout.\\u0080\", \"closed_by\": \"fin\", "
		"\"reply_to_close_s\": 0.001000, \"bytes_sent\": 0, \"tls_alert\": null, \"error\": null}, "
		"\"data\": {\"measured\": false, \"timeout_s\": null, \"end\": \"error\", "
		"\"reply_code\": null, \"reply\": null, \"closed_by\": \"none\", "
		"\"reply_to_close_s\": null, \"bytes_sent\": 5, \"tls_alert\": null, "
		"\"error\": \"no\\u000away\"}, "
		"\"data_file\": \".ftpstall-probe-1\", \"data_file_removed\": false, "
		"\"timers\": {\"idle\": {\"measured\": true, \"timeout_s\": 300.123456, \"end\": \"reply\", "
		"\"reply_code\": 421, \"reply\": \"Timeout.\\u0080\", \"closed_by\": \"fin\", "
		"\"reply_to_close_s\": 0.001000, \"bytes_sent\": 0, \"tls_alert\": null, \"error\": null}, "
		"\"data\": {\"measured\": false, \"timeout_s\": null, \"end\": \"error\", "
		"\"reply_code\": null, \"reply\": null, \"closed_by\": \"none\", "
		"\"reply_to_close_s\": null, \"bytes_sent\": 5, \"tls_alert\": null, "
		"\"error\": \"no\\u000away\"}}}\n");
	free(got);
	/* Without --data the member is null, not left out. */
	cfg.data = false;
	r.timers = 1u << FST_PROBE_IDLE;
	got = report_text(true, NULL, NULL, &cfg, &r);
	assert_non_null(strstr(got, ", \"data\": null, \"timers\": {\"idle\": {"));
	assert_null(strstr(got, "data_file"));
	free(got);
	/* noop: its interval, commands and honoured; idle is null when not
	 * measured (--timers without idle). */
	r.timers = 1u << FST_PROBE_NOOP;
	r.noop = (struct fst_client_probe_wait){
		.end = FST_END_MAX_WAIT, .interval_us = 1000000, .commands = 7, .honoured = true
	};
	got = report_text(true, NULL, NULL, &cfg, &r);
	assert_non_null(strstr(got, "\"idle\": null, \"data\": null, \"timers\": {\"noop\": {"));
	assert_non_null(strstr(got, "\"interval_s\": 1.000000, \"commands\": 7, "
				    "\"honoured\": true, \"error\": null}}}\n"));
	free(got);
	/* The server's clock, when known: in the server object. */
	r.timer_note = "counts \"whole\" seconds";
	got = report_text(true, NULL, NULL, &cfg, &r);
	assert_non_null(strstr(got, "\"tls_version\": null, "
				    "\"timer_note\": \"counts \\\"whole\\\" seconds\"}, "));
	free(got);
}

static void test_probe_report_text(void **state)
{
	struct fst_client_probe_cfg cfg;
	struct fst_client_probe_result r;
	char *got;

	(void)state;
	probe_fixture(&cfg, &r);
	got = report_text(false, NULL, NULL, &cfg, &r);
	assert_non_null(strstr(got, "ftpstall 9.9 probe of ftp://10.0.0.1:21/ as anonymous\n"));
	assert_non_null(strstr(got, "idle control connection: the server gave up after 300.123 s "
				    "(resolution 0.100 s)\n"));
	assert_non_null(strstr(got, "  reply: 421 Timeout.\\x80\n"));
	assert_non_null(strstr(got, "not measured: no\\x0away\n"));
	assert_non_null(strstr(got, "note: the scratch file .ftpstall-probe-1 could not be "
				    "removed\n"));
	/* Two timers or more: a table, one line each. */
	assert_non_null(strstr(got, "\nTIMER           TIMEOUT  FIRST SIGN SERVER SAID\n"
				    "idle          300.123 s  reply      421 Timeout.\\x80\n"
				    "data              error  error      -\n"));
	assert_null(strstr(got, "note: counts"));
	free(got);
	/* The server's clock, when known: a note after the table. */
	r.timer_note = "counts whole seconds";
	got = report_text(false, NULL, NULL, &cfg, &r);
	assert_non_null(strstr(got, "data              error  error      -\n"
				    "note: counts whole seconds\n"));
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_simple),
		cmocka_unit_test(test_url_tls_schemes),
		cmocka_unit_test(test_url_user_port_path),
		cmocka_unit_test(test_url_percent_decoding),
		cmocka_unit_test(test_url_ipv6),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_url_password_refused_unechoed),
		cmocka_unit_test(test_url_too_long),
		cmocka_unit_test(test_netrc_lookup),
		cmocka_unit_test(test_netrc_readable_by_others_refused),
		cmocka_unit_test(test_netrc_caps),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_reply_single_and_multi_line),
		cmocka_unit_test(test_reply_text_made_printable),
		cmocka_unit_test(test_reply_not_ftp),
		cmocka_unit_test(test_reply_cut_and_timeout),
		cmocka_unit_test(test_reply_line_cap),
		cmocka_unit_test(test_command_and_reply),
		cmocka_unit_test(test_reply_failures_transient),
		cmocka_unit_test(test_size_reply_number),
		cmocka_unit_test(test_checksum_reply_hex),
		cmocka_unit_test(test_resume_decision),
		cmocka_unit_test(test_upload_report_json),
		cmocka_unit_test(test_upload_report_text),
		cmocka_unit_test(test_upload_report_text_counts),
		cmocka_unit_test(test_upload_retries_word),
		cmocka_unit_test(test_probe_report_json),
		cmocka_unit_test(test_probe_report_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
