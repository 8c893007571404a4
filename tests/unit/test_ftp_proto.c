/* Unit tests for src/ftp/proto.c: FTP command and reply lines (RFC 959),
 * password redaction, and the data-port forms PORT/227 (RFC 959),
 * EPRT/229 (RFC 2428) and LPRT/228 (RFC 1639). Every parser also gets
 * truncated and malformed input. Endpoints are compared as formatted
 * text ("ip:port"), so a failure shows what was parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/ftp_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a NUL-free line into a struct first filled with junk, so a
 * field the parser forgets to set shows up. */
static bool parse_cmd(const char *line, struct fst_ftp_command *cmd)
{
	memset(cmd, 0x5a, sizeof(*cmd));
	return fst_ftp_parse_command(line, strlen(line), cmd);
}

static void assert_cmd(const char *line, enum fst_ftp_verb verb, const char *verb_text,
		       const char *arg)
{
	struct fst_ftp_command cmd;

	assert_true(parse_cmd(line, &cmd));
	assert_int_equal(cmd.verb, verb);
	assert_string_equal(cmd.verb_text, verb_text);
	assert_string_equal(cmd.arg, arg);
	assert_false(cmd.arg_truncated);
}

static void assert_not_cmd(const char *line, size_t len)
{
	struct fst_ftp_command cmd;

	memset(&cmd, 0, sizeof(cmd));
	assert_false(fst_ftp_parse_command(line, len, &cmd));
}

/* Asserts that parsed (ok, *addr, *port) is the endpoint "want". Takes
 * pointers: the parser call is a sibling argument, so values would be
 * read in an unspecified order relative to it. */
static void assert_endpoint(bool ok, const struct fst_addr *addr, const uint16_t *port,
			    const char *want)
{
	char buf[80];

	assert_true(ok);
	assert_string_equal(fst_endpoint_format(addr, *port, buf, sizeof(buf)), want);
}

/* Feeds a NUL-free line to the reply assembler. */
static enum fst_ftp_reply_step feed(struct fst_ftp_reply_asm *a, const char *line)
{
	return fst_ftp_reply_feed(a, line, strlen(line));
}

/* ---- fst_ftp_parse_command ------------------------------------------ */

static void test_cmd_verb_and_arg(void **state)
{
	(void)state;
	assert_cmd("STOR file.bin", FST_VERB_STOR, "STOR", "file.bin");
	assert_cmd("USER anonymous", FST_VERB_USER, "USER", "anonymous");
	assert_cmd("TYPE I", FST_VERB_TYPE, "TYPE", "I");
	assert_cmd("REST 1048576", FST_VERB_REST, "REST", "1048576");
	assert_cmd("EPRT |1|132.235.1.2|6275|", FST_VERB_EPRT, "EPRT", "|1|132.235.1.2|6275|");
}

static void test_cmd_case_insensitive(void **state)
{
	(void)state;
	assert_cmd("stor x", FST_VERB_STOR, "STOR", "x");
	assert_cmd("Retr Some File.TXT", FST_VERB_RETR, "RETR", "Some File.TXT");
	assert_cmd("pAsV", FST_VERB_PASV, "PASV", "");
	assert_cmd("mkd dir", FST_VERB_MKD, "MKD", "dir");
	assert_cmd("ccc", FST_VERB_CCC, "CCC", "");
}

static void test_cmd_no_argument(void **state)
{
	(void)state;
	assert_cmd("PWD", FST_VERB_PWD, "PWD", "");
	assert_cmd("QUIT", FST_VERB_QUIT, "QUIT", "");
	assert_cmd("EPSV", FST_VERB_EPSV, "EPSV", "");
	/* A verb and its separating space, and nothing after. */
	assert_cmd("NOOP ", FST_VERB_NOOP, "NOOP", "");
}

static void test_cmd_spaces_kept_in_arg(void **state)
{
	(void)state;
	/* Only the one separating space goes: file names may start with
	 * or contain runs of spaces. */
	assert_cmd("STOR  two  spaces ", FST_VERB_STOR, "STOR", " two  spaces ");
	assert_cmd("CWD a   b", FST_VERB_CWD, "CWD", "a   b");
}

static void test_cmd_unknown_verb_kept(void **state)
{
	(void)state;
	assert_cmd("CLNT FileZilla", FST_VERB_UNKNOWN, "CLNT", "FileZilla");
	assert_cmd("xyzzy", FST_VERB_UNKNOWN, "XYZZY", "");
	assert_cmd("Xyzzy plugh", FST_VERB_UNKNOWN, "XYZZY", "plugh");
	/* Exactly 15 letters is still a verb. */
	assert_cmd("abcdefghijklmno z", FST_VERB_UNKNOWN, "ABCDEFGHIJKLMNO", "z");
	/* A prefix or extension of a known verb is not that verb. */
	assert_cmd("STO x", FST_VERB_UNKNOWN, "STO", "x");
	assert_cmd("STORE x", FST_VERB_UNKNOWN, "STORE", "x");
	assert_cmd("X", FST_VERB_UNKNOWN, "X", "");
}

static void test_cmd_x_aliases(void **state)
{
	(void)state;
	/* RFC 775 forms: verb_text stays as sent, the verb is the modern one. */
	assert_cmd("XPWD", FST_VERB_PWD, "XPWD", "");
	assert_cmd("XCWD /pub", FST_VERB_CWD, "XCWD", "/pub");
	assert_cmd("xcup", FST_VERB_CDUP, "XCUP", "");
	assert_cmd("XMKD new", FST_VERB_MKD, "XMKD", "new");
	assert_cmd("XRMD old", FST_VERB_RMD, "XRMD", "old");
}

static void test_cmd_not_commands(void **state)
{
	(void)state;
	assert_not_cmd("", 0);
	assert_not_cmd("x", 0); /* the length rules, not the NUL */
	assert_not_cmd("220 Service ready", 17);
	assert_not_cmd("1USER x", 7);
	assert_not_cmd(" USER x", 7);
	assert_not_cmd("\tUSER x", 7);
	assert_not_cmd("abcdefghijklmnop", 16); /* 16 letters */
	assert_not_cmd("abcdefghijklmnop x", 18);
	assert_not_cmd("US-ER x", 7);
	assert_not_cmd("USER\tx", 6); /* RFC 959: <SP> separates */
	assert_not_cmd("USER1 x", 7);
	assert_not_cmd("\x16\x03\x01\x02\x00", 5); /* a TLS ClientHello */
	assert_not_cmd("\xc3\xa9TOR x", 7);
	assert_not_cmd("STOR\0x", 6);
}

static void test_cmd_not_command_leaves_line_unread_past_len(void **state)
{
	/* The line is not NUL-terminated: only len bytes may be read. */
	const char buf[4] = { 'S', 'T', 'O', 'R' };
	struct fst_ftp_command cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	assert_true(fst_ftp_parse_command(buf, 3, &cmd));
	assert_int_equal(cmd.verb, FST_VERB_UNKNOWN);
	assert_string_equal(cmd.verb_text, "STO");
	assert_true(fst_ftp_parse_command(buf, 4, &cmd));
	assert_int_equal(cmd.verb, FST_VERB_STOR);
	assert_string_equal(cmd.arg, "");
}

static void test_cmd_arg_truncated(void **state)
{
	char line[5 + FST_FTP_ARG_MAX + 40];
	struct fst_ftp_command cmd;
	size_t n;

	(void)state;
	/* Exactly FST_FTP_ARG_MAX bytes fit. */
	memcpy(line, "STOR ", 5);
	memset(line + 5, 'a', FST_FTP_ARG_MAX);
	n = 5 + FST_FTP_ARG_MAX;
	memset(&cmd, 0x5a, sizeof(cmd));
	assert_true(fst_ftp_parse_command(line, n, &cmd));
	assert_false(cmd.arg_truncated);
	assert_int_equal(strlen(cmd.arg), FST_FTP_ARG_MAX);

	/* One more is cut, and says so. */
	line[n++] = 'b';
	memset(&cmd, 0x5a, sizeof(cmd));
	assert_true(fst_ftp_parse_command(line, n, &cmd));
	assert_int_equal(cmd.verb, FST_VERB_STOR);
	assert_true(cmd.arg_truncated);
	assert_int_equal(strlen(cmd.arg), FST_FTP_ARG_MAX);
	assert_int_equal(cmd.arg[FST_FTP_ARG_MAX - 1], 'a');
	assert_null(memchr(cmd.arg, 'b', sizeof(cmd.arg)));

	/* Well over. */
	memset(line + n, 'c', sizeof(line) - n);
	memset(&cmd, 0x5a, sizeof(cmd));
	assert_true(fst_ftp_parse_command(line, sizeof(line), &cmd));
	assert_true(cmd.arg_truncated);
	assert_int_equal(strlen(cmd.arg), FST_FTP_ARG_MAX);

	/* The flag is reset by a short argument. */
	assert_true(parse_cmd("STOR short", &cmd));
	assert_false(cmd.arg_truncated);
}

static void test_cmd_control_bytes_replaced(void **state)
{
	static const char line[] = "STOR a\x01"
				   "b\x1b[31mc\x7f"
				   "d\te\0f";
	struct fst_ftp_command cmd;

	(void)state;
	memset(&cmd, 0x5a, sizeof(cmd));
	assert_true(fst_ftp_parse_command(line, sizeof(line) - 1, &cmd));
	assert_int_equal(cmd.verb, FST_VERB_STOR);
	assert_string_equal(cmd.arg, "a.b.[31mc.d.e.f");
	assert_false(cmd.arg_truncated);
}

static void test_cmd_trailing_cr(void **state)
{
	struct fst_ftp_command cmd;

	(void)state;
	/* The caller strips CRLF; a CR it left is shown as '.', never raw. */
	assert_true(parse_cmd("STOR x\r", &cmd));
	assert_int_equal(cmd.verb, FST_VERB_STOR);
	assert_string_equal(cmd.arg, "x.");
	assert_true(parse_cmd("STOR x\r\n", &cmd));
	assert_string_equal(cmd.arg, "x..");
	/* A CR straight after the verb is not the <SP> a command needs, so
	 * an unstripped "NOOP\r" is not a command at all. */
	assert_false(parse_cmd("NOOP\r", &cmd));
	assert_false(parse_cmd("NOOP\r\n", &cmd));
}

/* ---- PASS redaction ------------------------------------------------- */

static void assert_no_secret(const struct fst_ftp_command *cmd, const char *secret)
{
	assert_null(memmem(cmd, sizeof(*cmd), secret, strlen(secret)));
}

static void test_pass_redacted(void **state)
{
	struct fst_ftp_command cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	assert_true(fst_ftp_parse_command("PASS secret", 11, &cmd));
	assert_int_equal(cmd.verb, FST_VERB_PASS);
	assert_string_equal(cmd.verb_text, "PASS");
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
	assert_false(cmd.arg_truncated);
	assert_no_secret(&cmd, "secret");
	assert_no_secret(&cmd, "secr");
	assert_no_secret(&cmd, "cret");
}

static void test_pass_redacted_lowercase(void **state)
{
	struct fst_ftp_command cmd;

	(void)state;
	assert_true(parse_cmd("pass  hunter2", &cmd));
	assert_int_equal(cmd.verb, FST_VERB_PASS);
	assert_string_equal(cmd.verb_text, "PASS");
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
	assert_no_secret(&cmd, "hunter2");
	assert_no_secret(&cmd, "hunt");
}

static void test_pass_no_argument(void **state)
{
	struct fst_ftp_command cmd;

	(void)state;
	assert_true(parse_cmd("PASS", &cmd));
	assert_int_equal(cmd.verb, FST_VERB_PASS);
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
	assert_false(cmd.arg_truncated);
	assert_true(parse_cmd("PASS ", &cmd));
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
}

static void test_pass_long_not_copied(void **state)
{
	char line[5 + 2 * FST_FTP_ARG_MAX];
	struct fst_ftp_command cmd;

	(void)state;
	memcpy(line, "PaSs ", 5);
	memset(line + 5, 'Q', sizeof(line) - 5);
	memset(&cmd, 0, sizeof(cmd));
	assert_true(fst_ftp_parse_command(line, sizeof(line), &cmd));
	assert_int_equal(cmd.verb, FST_VERB_PASS);
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
	/* Not even a truncation hint about the password's length. */
	assert_false(cmd.arg_truncated);
	assert_no_secret(&cmd, "QQ");
}

static void test_pass_after_other_command(void **state)
{
	/* The struct is reused line after line, as the session does. */
	struct fst_ftp_command cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	assert_true(parse_cmd("USER bob", &cmd));
	assert_true(fst_ftp_parse_command("PASS s3cr3tpw", 13, &cmd));
	assert_string_equal(cmd.arg, FST_FTP_REDACTED);
	assert_no_secret(&cmd, "s3cr3t");
	assert_true(parse_cmd("STOR after", &cmd));
	assert_string_equal(cmd.arg, "after");
	assert_no_secret(&cmd, "s3cr3t");
}

/* ---- fst_ftp_reply_feed --------------------------------------------- */

static void test_reply_single_line(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "220 Service ready"), FST_REPLY_DONE);
	assert_int_equal(a.code, 220);
	assert_int_equal(a.lines, 1);
	assert_string_equal(a.text, "Service ready");
	assert_false(a.open);
}

static void test_reply_code_only(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "230"), FST_REPLY_DONE);
	assert_int_equal(a.code, 230);
	assert_int_equal(a.lines, 1);
	assert_string_equal(a.text, "");
	assert_int_equal(feed(&a, "200 "), FST_REPLY_DONE);
	assert_int_equal(a.code, 200);
	assert_string_equal(a.text, "");
}

static void test_reply_code_range(void **state)
{
	static const struct {
		const char *line;
		int code;
	} ok[] = {
		{ "100 a", 100 },
		{ "150 Opening BINARY mode data connection", 150 },
		{ "226 Transfer complete", 226 },
		{ "421 Timeout.", 421 },
		{ "550 No such file", 550 },
		{ "559 x", 559 },
	};
	struct fst_ftp_reply_asm a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		memset(&a, 0, sizeof(a));
		assert_int_equal(feed(&a, ok[i].line), FST_REPLY_DONE);
		assert_int_equal(a.code, ok[i].code);
	}
}

static void test_reply_multiline_rfc959(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "123-First line"), FST_REPLY_MORE);
	assert_true(a.open);
	assert_int_equal(a.code, 123);
	assert_int_equal(a.lines, 1);
	assert_int_equal(feed(&a, "Second line"), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "  234 A line beginning with numbers"), FST_REPLY_MORE);
	assert_int_equal(a.lines, 3);
	assert_int_equal(feed(&a, "123 The last line"), FST_REPLY_DONE);
	assert_false(a.open);
	assert_int_equal(a.code, 123);
	assert_int_equal(a.lines, 4);
	assert_string_equal(a.text, "First line");
}

static void test_reply_multiline_inner_codes(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "123-First"), FST_REPLY_MORE);
	/* Same code with '-': still inside. */
	assert_int_equal(feed(&a, "123-Still going"), FST_REPLY_MORE);
	/* Another code, even with a space: still inside (RFC 959 4.2). */
	assert_int_equal(feed(&a, "234 A line beginning with numbers"), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "500 not the end"), FST_REPLY_MORE);
	/* Junk and empty lines are part of the text, not invalid. */
	assert_int_equal(feed(&a, ""), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "abc"), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "123x"), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "1234 x"), FST_REPLY_MORE);
	assert_int_equal(a.lines, 8);
	assert_true(a.open);
	/* The code alone ends it too. */
	assert_int_equal(feed(&a, "123"), FST_REPLY_DONE);
	assert_int_equal(a.lines, 9);
	assert_string_equal(a.text, "First");
}

static void test_reply_feat(void **state)
{
	static const char *const lines[] = {
		"211-Features:", " MDTM", " REST STREAM", " SIZE", " MLST type*;size*;modify*;",
		" UTF8",	 " EPSV", " EPRT",
	};
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		assert_int_equal(feed(&a, lines[i]), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "211 End"), FST_REPLY_DONE);
	assert_int_equal(a.code, 211);
	assert_int_equal(a.lines, ARRAY_SIZE(lines) + 1);
	assert_string_equal(a.text, "Features:");
}

static void test_reply_invalid(void **state)
{
	static const char *const bad[] = {
		"abc",	 "600 x",  "2x0 x",  "230xxx", "",	"2",
		"22",	 "22 ok",  "000 x",  "099 x",  "260 x", "290 x",
		"599 x", "-230 x", " 230 x", "230\tx", "230x",	"2300 x",
	};
	struct fst_ftp_reply_asm a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&a, 0, sizeof(a));
		assert_int_equal(feed(&a, bad[i]), FST_REPLY_INVALID);
		assert_false(a.open);
	}
	/* Not NUL-terminated, and cut inside the code. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(fst_ftp_reply_feed(&a, "220 ok", 2), FST_REPLY_INVALID);
	/* An invalid line leaves the assembler usable. */
	assert_int_equal(feed(&a, "331 Password required"), FST_REPLY_DONE);
	assert_int_equal(a.code, 331);
}

static void test_reply_len_not_nul(void **state)
{
	struct fst_ftp_reply_asm a;
	const char buf[] = { '2', '2', '6', ' ', 'o', 'k', 'X', 'Y' };

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(fst_ftp_reply_feed(&a, buf, 6), FST_REPLY_DONE);
	assert_string_equal(a.text, "ok");
	assert_int_equal(fst_ftp_reply_feed(&a, buf, 3), FST_REPLY_DONE);
	assert_string_equal(a.text, "");
}

static void test_reply_resets_after_done(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "150-Opening"), FST_REPLY_MORE);
	assert_int_equal(feed(&a, "150 data connection"), FST_REPLY_DONE);
	assert_int_equal(a.lines, 2);
	/* The next line starts a fresh reply. */
	assert_int_equal(feed(&a, "226 Transfer complete"), FST_REPLY_DONE);
	assert_int_equal(a.code, 226);
	assert_int_equal(a.lines, 1);
	assert_string_equal(a.text, "Transfer complete");
	/* And after DONE a non-reply line is invalid again. */
	assert_int_equal(feed(&a, "Second line"), FST_REPLY_INVALID);
	assert_int_equal(feed(&a, "421-Timeout"), FST_REPLY_MORE);
	assert_int_equal(a.code, 421);
	assert_int_equal(a.lines, 1);
	assert_string_equal(a.text, "Timeout");
	assert_int_equal(feed(&a, "421 Bye"), FST_REPLY_DONE);
	assert_int_equal(a.lines, 2);
}

static void test_reply_never_ends(void **state)
{
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(feed(&a, "220-Welcome"), FST_REPLY_MORE);
	for (unsigned i = 0; i < 100000; i++) {
		assert_int_equal(feed(&a, i % 2 ? "220-more" : "blah blah"), FST_REPLY_MORE);
		assert_int_equal(a.lines, i + 2);
	}
	assert_true(a.open);
	assert_int_equal(a.code, 220);
	assert_string_equal(a.text, "Welcome");
}

static void test_reply_text_truncated_and_escaped(void **state)
{
	char line[4 + FST_FTP_TEXT_MAX + 50];
	struct fst_ftp_reply_asm a;

	(void)state;
	memset(&a, 0, sizeof(a));
	static const char esc[] = "220 a\x1b[2Jb\x7f\0c";
	assert_int_equal(fst_ftp_reply_feed(&a, esc, sizeof(esc) - 1), FST_REPLY_DONE);
	assert_string_equal(a.text, "a.[2Jb..c");

	memcpy(line, "550 ", 4);
	memset(line + 4, 'x', sizeof(line) - 4);
	assert_int_equal(fst_ftp_reply_feed(&a, line, sizeof(line)), FST_REPLY_DONE);
	assert_int_equal(a.code, 550);
	assert_int_equal(strlen(a.text), FST_FTP_TEXT_MAX);
}

/* ---- fst_ftp_parse_227 ---------------------------------------------- */

static void test_227_forms(void **state)
{
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	assert_endpoint(fst_ftp_parse_227("Entering Passive Mode (192,168,1,2,195,80).", &addr,
					  &port),
			&addr, &port, "192.168.1.2:50000");
	assert_endpoint(fst_ftp_parse_227("Entering Passive Mode 10,0,0,1,4,1", &addr, &port),
			&addr, &port, "10.0.0.1:1025");
	assert_endpoint(fst_ftp_parse_227("Entering Passive Mode =127,0,0,1,117,48", &addr, &port),
			&addr, &port, "127.0.0.1:30000");
	assert_endpoint(fst_ftp_parse_227("=127,0,0,1,117,48", &addr, &port), &addr, &port,
			"127.0.0.1:30000");
	assert_endpoint(fst_ftp_parse_227("(255,255,255,255,255,255)", &addr, &port), &addr, &port,
			"255.255.255.255:65535");
	/* Other numbers before the six are skipped. */
	assert_endpoint(fst_ftp_parse_227("Mode 2 ok (10,1,2,3,0,21)", &addr, &port), &addr, &port,
			"10.1.2.3:21");
	assert_int_equal(addr.family, 4);
}

static void test_227_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"Entering Passive Mode",
		"Entering Passive Mode (192,168,1,2,195)",
		"Entering Passive Mode (192,168,1,2)",
		"(256,168,1,2,195,80)",
		"(192,168,1,2,195,256)",
		"(192,168,1,999,195,80)",
		"(192,168,1,2,195,1000)",
		"(1192,168,1,2,195,80)",
		"(192,,168,1,2,195,80)",
		"(192.168.1.2,195,80)",
		"(a,b,c,d,e,f)",
		"(192,168,1,2,195,)",
		"(,,,,,)",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_227(bad[i], &addr, &port))
			fail_msg("227 text \"%s\" accepted", bad[i]);
	}
}

/* Six numbers means a run of exactly six: a longer run, or the tail of
 * one whose first number is out of range, is not an address. */
static void test_227_rejects_longer_run(void **state)
{
	static const char *const bad[] = {
		"Entering Passive Mode (10,0,0,1,4,1,9)",
		"Entering Passive Mode (300,10,0,0,1,4,1)",
		"Entering Passive Mode (10,0,0,1,4,1,)",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_227(bad[i], &addr, &port))
			fail_msg("227 text \"%s\" accepted", bad[i]);
	}
}

/* ---- fst_ftp_parse_229 ---------------------------------------------- */

static void test_229_forms(void **state)
{
	uint16_t port = 0;

	(void)state;
	assert_true(fst_ftp_parse_229("Entering Extended Passive Mode (|||6446|)", &port));
	assert_int_equal(port, 6446);
	assert_true(fst_ftp_parse_229("Entering Extended Passive Mode (!!!6446!)", &port));
	assert_int_equal(port, 6446);
	assert_true(fst_ftp_parse_229("(|||1|)", &port));
	assert_int_equal(port, 1);
	assert_true(fst_ftp_parse_229("ok (###65535#).", &port));
	assert_int_equal(port, 65535);
}

static void test_229_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"Entering Extended Passive Mode",
		"Entering Extended Passive Mode |||6446|",
		"(|||0|)",
		"(|||70000|)",
		"(|||65536|)",
		"(|||99999999999999999999|)",
		"(||6446|)",
		"(|6446|)",
		"(||||6446|)",
		"(|||6446)",
		"(|||6446",
		"(|||6446!)",
		"(|!|6446|)",
		"(|||-1|)",
		"(|||x|)",
		"(||||)",
		"(",
		"(1116441)",
		"(   6446 )",
	};
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_229(bad[i], &port))
			fail_msg("229 text \"%s\" accepted", bad[i]);
	}
}

/* ---- fst_ftp_parse_port --------------------------------------------- */

static void test_port_forms(void **state)
{
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	assert_endpoint(fst_ftp_parse_port("127,0,0,1,156,64", &addr, &port), &addr, &port,
			"127.0.0.1:40000");
	assert_int_equal(addr.family, 4);
	assert_endpoint(fst_ftp_parse_port("10,20,30,40,0,21", &addr, &port), &addr, &port,
			"10.20.30.40:21");
	assert_endpoint(fst_ftp_parse_port("192,168,0,1,255,255", &addr, &port), &addr, &port,
			"192.168.0.1:65535");
}

static void test_port_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"127,0,0,1,156",
		"127,0,0,1",
		"127,0,0,1,156,",
		"127,0,0,1,156,256",
		"127,0,0,256,156,64",
		"127,0,0,1,156,1000",
		"127.0.0.1,156,64",
		"127,0,0,1,156;64",
		",127,0,0,1,156,64",
		"127,,0,0,1,156,64",
		"x127,0,0,1,156,64",
		"(127,0,0,1,156,64)",
		"|1|127.0.0.1|40000|",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_port(bad[i], &addr, &port))
			fail_msg("PORT argument \"%s\" accepted", bad[i]);
	}
}

/* RFC 959: the PORT argument is exactly six numbers. A seventh number
 * or trailing junk makes it malformed, not a shorter valid one. */
static void test_port_rejects_trailing(void **state)
{
	static const char *const bad[] = {
		"127,0,0,1,156,64,1",
		"127,0,0,1,156,64,",
		"127,0,0,1,156,64x",
		"127,0,0,1,156,64)",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_port(bad[i], &addr, &port))
			fail_msg("PORT argument \"%s\" accepted", bad[i]);
	}
}

/* ---- fst_ftp_parse_eprt --------------------------------------------- */

static void test_eprt_v4(void **state)
{
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	assert_endpoint(fst_ftp_parse_eprt("|1|132.235.1.2|6275|", &addr, &port), &addr, &port,
			"132.235.1.2:6275");
	assert_int_equal(addr.family, 4);
	/* Any printable delimiter (RFC 2428 section 2). */
	assert_endpoint(fst_ftp_parse_eprt("!1!10.0.0.1!65535!", &addr, &port), &addr, &port,
			"10.0.0.1:65535");
}

static void test_eprt_v6(void **state)
{
	/* 1080:0:0:0:8:800:200c:417a */
	static const uint8_t want[16] = { 0x10, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					  0x00, 0x08, 0x08, 0x00, 0x20, 0x0c, 0x41, 0x7a };
	static const uint8_t loopback[16] = { [15] = 1 };
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	assert_true(fst_ftp_parse_eprt("|2|1080::8:800:200C:417A|5282|", &addr, &port));
	assert_int_equal(addr.family, 6);
	assert_memory_equal(addr.bytes, want, 16);
	assert_int_equal(port, 5282);

	assert_endpoint(fst_ftp_parse_eprt("|2|::1|40000|", &addr, &port), &addr, &port,
			"[::1]:40000");
	assert_int_equal(addr.family, 6);
	assert_memory_equal(addr.bytes, loopback, 16);
}

static void test_eprt_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"|3|x|1|",
		"|3|1.2.3.4|80|",
		"|0|1.2.3.4|80|",
		"|12|1.2.3.4|80|",
		"||1.2.3.4|80|",
		"|1|300.1.1.1|80|",
		"|1|1.2.3|80|",
		"|1|::1|80|",
		"|2|1.2.3.4|80|",
		"|2|1:2:3|80|",
		"|1||80|",
		"|1|1.2.3.4|0|",
		"|1|1.2.3.4|65536|",
		"|1|1.2.3.4|70000|",
		"|1|1.2.3.4|99999999999999999999|",
		"|1|1.2.3.4|-1|",
		"|1|1.2.3.4|8a|",
		"|1|1.2.3.4||",
		"|1|1.2.3.4|80",
		"|1|1.2.3.4",
		"|1|",
		"|",
		"1.2.3.4",
		"|1!1.2.3.4!80!",
		"\x01"
		"1\x01"
		"1.2.3.4\x01"
		"80\x01",
		"|2|1080::8:800:200C:417A:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18|80|",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_eprt(bad[i], &addr, &port))
			fail_msg("EPRT argument \"%s\" accepted", bad[i]);
	}
}

/* ---- fst_ftp_parse_lprt --------------------------------------------- */

static void test_lprt_v4(void **state)
{
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	/* RFC 1639's example. */
	assert_endpoint(fst_ftp_parse_lprt("4,4,132,235,1,2,2,24,131", &addr, &port), &addr, &port,
			"132.235.1.2:6275");
	assert_int_equal(addr.family, 4);
	/* The numbers of a 228 LPSV reply. */
	assert_endpoint(fst_ftp_parse_lprt("Entering Long Passive Mode (4,4,127,0,0,1,2,156,64)",
					   &addr, &port),
			&addr, &port, "127.0.0.1:40000");
}

static void test_lprt_v6(void **state)
{
	/* 2001:db8::2a */
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
					  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a };
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	assert_true(fst_ftp_parse_lprt("6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,42,2,19,137", &addr,
				       &port));
	assert_int_equal(addr.family, 6);
	assert_memory_equal(addr.bytes, want, 16);
	assert_int_equal(port, 5001);
	assert_endpoint(true, &addr, &port, "[2001:db8::2a]:5001");

	assert_endpoint(fst_ftp_parse_lprt("Entering Long Passive Mode "
					   "(6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21)",
					   &addr, &port),
			&addr, &port, "[::1]:21");
}

static void test_lprt_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"Entering Long Passive Mode",
		"4,4,132,235,1,2,2,24",
		"4,4,132,235,1,2,2",
		"4,4,132,235,1,2",
		"4,4,132,235,1,2,2,24,131,7",
		"4,4,132,235,1,2,3,24,131,7",
		"4,4,132,235,1,2,1,24",
		"4,16,132,235,1,2,2,24,131",
		"6,4,132,235,1,2,2,24,131",
		"5,4,132,235,1,2,2,24,131",
		"4,3,132,235,1,2,2,24,131",
		"4,4,132,235,1,256,2,24,131",
		"4,4,132,235,1,2,2,24,256",
		"4,4,132,235,1,,2,24,131",
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,42,2,19",
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,42,2,19,137",
		"6,4,132,235,1,2,0,0,0,0,0,0,0,0,0,0,0,42,2,19,137",
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,42,3,19,137",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_lprt(bad[i], &addr, &port))
			fail_msg("LPRT text \"%s\" accepted", bad[i]);
	}
}

/* RFC 1639: the count of numbers is fixed by the two lengths; a longer
 * list is malformed. */
static void test_lprt_rejects_trailing(void **state)
{
	static const char *const bad[] = {
		"4,4,132,235,1,2,2,24,131,",
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,42,2,19,137,1",
		"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,42,2,19,137,",
	};
	struct fst_addr addr;
	uint16_t port = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (fst_ftp_parse_lprt(bad[i], &addr, &port))
			fail_msg("LPRT text \"%s\" accepted", bad[i]);
	}
}

/* ---- fst_ftp_verb_info / fst_ftp_verb_lookup ------------------------ */

static void test_verb_families_and_roles(void **state)
{
	/* Written out from RFC 959 4.1 and the header, not from the table. */
	static const struct {
		enum fst_ftp_verb verb;
		const char *name;
		enum fst_ftp_family family;
		enum fst_ftp_data_role role;
	} want[] = {
		{ FST_VERB_USER, "USER", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
		{ FST_VERB_PASS, "PASS", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
		{ FST_VERB_ACCT, "ACCT", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
		{ FST_VERB_REIN, "REIN", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
		{ FST_VERB_QUIT, "QUIT", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
		{ FST_VERB_TYPE, "TYPE", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
		{ FST_VERB_MODE, "MODE", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
		{ FST_VERB_STRU, "STRU", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
		{ FST_VERB_PORT, "PORT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
		{ FST_VERB_PASV, "PASV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
		{ FST_VERB_EPRT, "EPRT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
		{ FST_VERB_EPSV, "EPSV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
		{ FST_VERB_LPRT, "LPRT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
		{ FST_VERB_LPSV, "LPSV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
		{ FST_VERB_STOR, "STOR", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
		{ FST_VERB_STOU, "STOU", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
		{ FST_VERB_APPE, "APPE", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
		{ FST_VERB_RETR, "RETR", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
		{ FST_VERB_REST, "REST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_ABOR, "ABOR", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_LIST, "LIST", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
		{ FST_VERB_NLST, "NLST", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
		{ FST_VERB_MLSD, "MLSD", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
		{ FST_VERB_MLST, "MLST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_SIZE, "SIZE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_MDTM, "MDTM", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_DELE, "DELE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_RNFR, "RNFR", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_RNTO, "RNTO", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_MKD, "MKD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_RMD, "RMD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_CWD, "CWD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_CDUP, "CDUP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_PWD, "PWD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_SITE, "SITE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_NOOP, "NOOP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_SYST, "SYST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_STAT, "STAT", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_FEAT, "FEAT", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_OPTS, "OPTS", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_HELP, "HELP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_ALLO, "ALLO", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
		{ FST_VERB_AUTH, "AUTH", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
		{ FST_VERB_PBSZ, "PBSZ", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
		{ FST_VERB_PROT, "PROT", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
		{ FST_VERB_CCC, "CCC", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
	};
	bool seen[FST_VERB_COUNT] = { false };

	(void)state;
	assert_int_equal(ARRAY_SIZE(want), FST_VERB_COUNT - 1);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct fst_ftp_verb_info *vi = fst_ftp_verb_info(want[i].verb);

		assert_non_null(vi);
		assert_string_equal(vi->name, want[i].name);
		if (vi->family != want[i].family || vi->data_role != want[i].role)
			fail_msg("%s: family %d role %d, want %d %d", want[i].name, (int)vi->family,
				 (int)vi->data_role, (int)want[i].family, (int)want[i].role);
		assert_false(seen[want[i].verb]);
		seen[want[i].verb] = true;
	}
}

static void test_verb_lookup_round_trip(void **state)
{
	(void)state;
	for (int v = 1; v < FST_VERB_COUNT; v++) {
		const char *name = fst_ftp_verb_info((enum fst_ftp_verb)v)->name;
		char lower[8];
		size_t n = strlen(name);

		assert_in_range(n, 3, 4);
		assert_int_equal(fst_ftp_verb_lookup(name, n), v);
		for (size_t i = 0; i <= n; i++)
			lower[i] =
				(char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
		assert_int_equal(fst_ftp_verb_lookup(lower, n), v);
	}
	assert_int_equal(fst_ftp_verb_lookup("", 0), FST_VERB_UNKNOWN);
	assert_int_equal(fst_ftp_verb_lookup("STORX", 5), FST_VERB_UNKNOWN);
	assert_int_equal(fst_ftp_verb_lookup("STORX", 4), FST_VERB_STOR);
	assert_int_equal(fst_ftp_verb_lookup("STO", 3), FST_VERB_UNKNOWN);
	assert_int_equal(fst_ftp_verb_lookup("xpwd", 4), FST_VERB_PWD);
	assert_int_equal(fst_ftp_verb_lookup("XSTOR", 5), FST_VERB_UNKNOWN);
}

static void test_verb_info_unknown_and_out_of_range(void **state)
{
	const struct fst_ftp_verb_info *u = fst_ftp_verb_info(FST_VERB_UNKNOWN);
	int minus_one = -1;

	(void)state;
	assert_non_null(u);
	assert_non_null(u->name);
	assert_int_equal(u->family, FST_FTP_FAMILY_UNKNOWN);
	assert_int_equal(u->data_role, FST_DATA_NONE);
	assert_ptr_equal(fst_ftp_verb_info(FST_VERB_COUNT), u);
	assert_ptr_equal(fst_ftp_verb_info((enum fst_ftp_verb)minus_one), u);
	assert_ptr_equal(fst_ftp_verb_info((enum fst_ftp_verb)1000), u);
}

static void test_family_names(void **state)
{
	int minus_one = -1;

	(void)state;
	assert_string_equal(fst_ftp_family_name(FST_FTP_FAMILY_ACCESS), "access");
	assert_string_equal(fst_ftp_family_name(FST_FTP_FAMILY_PARAMETER), "transfer_parameter");
	assert_string_equal(fst_ftp_family_name(FST_FTP_FAMILY_SERVICE), "service");
	assert_string_equal(fst_ftp_family_name(FST_FTP_FAMILY_SECURITY), "security");
	assert_string_equal(fst_ftp_family_name(FST_FTP_FAMILY_UNKNOWN), "unknown");
	assert_non_null(fst_ftp_family_name(FST_FTP_FAMILY_COUNT));
	assert_non_null(fst_ftp_family_name((enum fst_ftp_family)minus_one));
	for (int i = 0; i < FST_FTP_FAMILY_COUNT; i++)
		for (int j = i + 1; j < FST_FTP_FAMILY_COUNT; j++)
			assert_string_not_equal(fst_ftp_family_name((enum fst_ftp_family)i),
						fst_ftp_family_name((enum fst_ftp_family)j));
}

/* ---- fst_ftp_copy_text ---------------------------------------------- */

static void test_copy_text(void **state)
{
	char dst[8];

	(void)state;
	memset(dst, 'Z', sizeof(dst));
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "abc", 3));
	assert_string_equal(dst, "abc");
	/* Exactly size - 1 fits. */
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "1234567", 7));
	assert_string_equal(dst, "1234567");
	/* One more is cut and NUL-terminated. */
	memset(dst, 'Z', sizeof(dst));
	assert_true(fst_ftp_copy_text(dst, sizeof(dst), "12345678", 8));
	assert_string_equal(dst, "1234567");
	assert_int_equal(dst[7], '\0');
	/* Size 1 holds only the NUL. */
	memset(dst, 'Z', sizeof(dst));
	assert_true(fst_ftp_copy_text(dst, 1, "abc", 3));
	assert_int_equal(dst[0], '\0');
	assert_int_equal(dst[1], 'Z');
	assert_false(fst_ftp_copy_text(dst, 1, "", 0));
	assert_int_equal(dst[0], '\0');
	/* Empty input. */
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "", 0));
	assert_string_equal(dst, "");
	/* Control bytes and DEL become '.'; NULs too, so the text is whole. */
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "a\0b\r\n\x1f\x7f", 7));
	assert_string_equal(dst, "a.b....");
	/* C1 controls in UTF-8 (U+009B is CSI to xterm) go as well; other
	 * UTF-8, also with continuation bytes 80..9F, stays. */
	assert_false(fst_ftp_copy_text(dst, sizeof(dst),
				       "\xc2\x9b"
				       "2J\xc2\x80",
				       6));
	assert_string_equal(dst, "..2J..");
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "\xc3\x84\xc2\xa0\xc2", 5));
	assert_string_equal(dst, "\xc3\x84\xc2\xa0\xc2");
	/* A C2 cut off from its second byte is not a control. */
	assert_true(fst_ftp_copy_text(dst, 3, "a\xc2\x9b", 3));
	assert_string_equal(dst, "a\xc2");
	/* Only len bytes are read. */
	assert_false(fst_ftp_copy_text(dst, sizeof(dst), "abcdef", 2));
	assert_string_equal(dst, "ab");
	/* Bytes past the cut are not read into dst either. */
	memset(dst, 'Z', sizeof(dst));
	assert_true(fst_ftp_copy_text(dst, 4, "abcdef", 6));
	assert_string_equal(dst, "abc");
	assert_int_equal(dst[4], 'Z');
}

/* The idle time a greeting line states: Pure-FTPd's last banner line,
 * in minutes or (below two minutes) seconds; truncated and malformed
 * lines state nothing. */
static void test_banner_idle(void **state)
{
	static const struct {
		const char *line;
		int seconds;
	} cases[] = {
		{ "220 You will be disconnected after 15 minutes of inactivity.", 900 },
		{ "220 You will be disconnected after 60 seconds of inactivity.", 60 },
		{ "220 You will be disconnected after 1 second of inactivity.", 1 },
		{ "220 you will be DISCONNECTED AFTER 2 hours of inactivity", 7200 },
		{ "220 You will be disconnected after 15 minutes", -1 },
		{ "220 You will be disconnected after 15 minutes of inact", -1 },
		{ "220 You will be disconnected after fifteen minutes of inactivity.", -1 },
		{ "220 You will be disconnected after 0 minutes of inactivity.", -1 },
		{ "220 You will be disconnected after 15 fortnights of inactivity.", -1 },
		{ "220 You will be disconnected after 99999999 minutes of inactivity.", -1 },
		{ "220 You will be disconnected after 9999999 hours of inactivity.", -1 },
		{ "220 You will be disconnected after 15", -1 },
		{ "220 You will be disconnected after ", -1 },
		{ "220 (vsFTPd 3.0.3)", -1 },
		{ "", -1 },
	};
	const char *full = "220 You will be disconnected after 15 minutes of inactivity.";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (fst_ftp_banner_idle_s(cases[i].line, strlen(cases[i].line)) != cases[i].seconds)
			fail_msg("\"%s\": %d, want %d", cases[i].line,
				 fst_ftp_banner_idle_s(cases[i].line, strlen(cases[i].line)),
				 cases[i].seconds);
	/* Only len bytes are read: cut before "inactivity", nothing. */
	assert_int_equal(fst_ftp_banner_idle_s(full, strlen(full) - 12), -1);
	assert_int_equal(fst_ftp_banner_idle_s(full, strlen(full)), 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_verb_and_arg),
		cmocka_unit_test(test_cmd_case_insensitive),
		cmocka_unit_test(test_cmd_no_argument),
		cmocka_unit_test(test_cmd_spaces_kept_in_arg),
		cmocka_unit_test(test_cmd_unknown_verb_kept),
		cmocka_unit_test(test_cmd_x_aliases),
		cmocka_unit_test(test_cmd_not_commands),
		cmocka_unit_test(test_cmd_not_command_leaves_line_unread_past_len),
		cmocka_unit_test(test_cmd_arg_truncated),
		cmocka_unit_test(test_cmd_control_bytes_replaced),
		cmocka_unit_test(test_cmd_trailing_cr),
		cmocka_unit_test(test_pass_redacted),
		cmocka_unit_test(test_pass_redacted_lowercase),
		cmocka_unit_test(test_pass_no_argument),
		cmocka_unit_test(test_pass_long_not_copied),
		cmocka_unit_test(test_pass_after_other_command),
		cmocka_unit_test(test_reply_single_line),
		cmocka_unit_test(test_reply_code_only),
		cmocka_unit_test(test_reply_code_range),
		cmocka_unit_test(test_reply_multiline_rfc959),
		cmocka_unit_test(test_reply_multiline_inner_codes),
		cmocka_unit_test(test_reply_feat),
		cmocka_unit_test(test_reply_invalid),
		cmocka_unit_test(test_reply_len_not_nul),
		cmocka_unit_test(test_reply_resets_after_done),
		cmocka_unit_test(test_reply_never_ends),
		cmocka_unit_test(test_reply_text_truncated_and_escaped),
		cmocka_unit_test(test_227_forms),
		cmocka_unit_test(test_227_rejected),
		cmocka_unit_test(test_227_rejects_longer_run),
		cmocka_unit_test(test_229_forms),
		cmocka_unit_test(test_229_rejected),
		cmocka_unit_test(test_port_forms),
		cmocka_unit_test(test_port_rejected),
		cmocka_unit_test(test_port_rejects_trailing),
		cmocka_unit_test(test_eprt_v4),
		cmocka_unit_test(test_eprt_v6),
		cmocka_unit_test(test_eprt_rejected),
		cmocka_unit_test(test_lprt_v4),
		cmocka_unit_test(test_lprt_v6),
		cmocka_unit_test(test_lprt_rejected),
		cmocka_unit_test(test_lprt_rejects_trailing),
		cmocka_unit_test(test_verb_families_and_roles),
		cmocka_unit_test(test_verb_lookup_round_trip),
		cmocka_unit_test(test_verb_info_unknown_and_out_of_range),
		cmocka_unit_test(test_family_names),
		cmocka_unit_test(test_copy_text),
		cmocka_unit_test(test_banner_idle),
	};

	return cmocka_run_group_tests_name("ftp_proto", tests, NULL, NULL);
}
