/* Unit tests for src/report: the real pipeline fst_tcp -> fst_ftp ->
 * fst_analysis fed with built packets (as tests/unit/test_analysis.c
 * does), then every report format of the result. Hostile text from the
 * server (quotes, backslashes, <script>, ANSI escapes, control and high
 * bytes) must come out escaped for each format; JSON and JSON Lines
 * must parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"
#include "pktbuild.h"

#define SEC FST_US_PER_SEC

/* A banner and a 421 a hostile server might send. */
static const char HOSTILE_BANNER[] =
	"220 <script>alert(\"x\")</script> \\ 'q' \x1b[2J\x1b]0;pwned\x07 caf\xc3\xa9\r\n";
static const char HOSTILE_421[] = "421 Timeout <b>&amp;</b> \"\\\" \x1b[31mred \xc2\x9b"
				  "2J\r\n";

/* ---- the pipeline ---------------------------------------------------- */

struct net {
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	struct fst_analysis *an;
	struct fst_capture_stats capture;
	int64_t now;
};

struct conn {
	struct net *net;
	struct fst_addr addr[2]; /* [FST_DIR_CLIENT] = the TCP client's */
	uint16_t port[2];
	uint32_t nxt[2];
};

static enum fst_tcp_dir other(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
}

static void net_init(struct net *n)
{
	struct fst_analysis_cfg acfg = { 0 };
	struct fst_ftp_cfg fcfg = { 0 };
	struct fst_tcp_cfg tcfg = { 0 };

	memset(n, 0, sizeof(*n));
	n->an = fst_analysis_new(&acfg);
	assert_non_null(n->an);
	fcfg.on_event = fst_analysis_on_ftp_event;
	fcfg.ctx = n->an;
	n->ftp = fst_ftp_new(&fcfg);
	assert_non_null(n->ftp);
	tcfg.payload_by_default = true;
	tcfg.on_event = fst_ftp_on_tcp_event;
	tcfg.ctx = n->ftp;
	n->tcp = fst_tcp_new(&tcfg);
	assert_non_null(n->tcp);
	n->now = INT64_C(1764563374) * SEC;
}

/* tcp first: its last CLOSE events still reach the analysis. */
static void net_free(struct net *n)
{
	fst_tcp_free(n->tcp);
	fst_ftp_free(n->ftp);
	fst_analysis_free(n->an);
}

static void seg(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, const char *data, size_t len)
{
	struct fst_packet p;

	memset(&p, 0, sizeof(p));
	p.ts_us = c->net->now;
	c->net->now += 1000;
	p.src = c->addr[dir];
	p.dst = c->addr[other(dir)];
	p.src_port = c->port[dir];
	p.dst_port = c->port[other(dir)];
	p.ttl = 64;
	p.flags = flags;
	p.seq = c->nxt[dir];
	p.ack = flags & FST_TCP_SYN && dir == FST_DIR_CLIENT ? 0 : c->nxt[other(dir)];
	p.window = 65535;
	p.payload = (const uint8_t *)data;
	p.payload_len = (uint32_t)len;
	p.payload_caplen = (uint32_t)len;
	c->nxt[dir] += (uint32_t)len + (flags & (FST_TCP_SYN | FST_TCP_FIN) ? 1 : 0);
	c->net->capture.frames++;
	c->net->capture.tcp_packets++;
	fst_tcp_input(c->net->tcp, &p);
}

static void say(struct conn *c, enum fst_tcp_dir dir, const char *text)
{
	seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, text, strlen(text));
}

static void conn_open(struct conn *c, struct net *n, uint16_t cport)
{
	memset(c, 0, sizeof(*c));
	c->net = n;
	c->addr[FST_DIR_CLIENT] = pb_addr("192.0.2.10");
	c->addr[FST_DIR_SERVER] = pb_addr("198.51.100.20");
	c->port[FST_DIR_CLIENT] = cport;
	c->port[FST_DIR_SERVER] = 21;
	c->nxt[FST_DIR_CLIENT] = 1000;
	c->nxt[FST_DIR_SERVER] = 70000;
	seg(c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	seg(c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, NULL, 0);
	seg(c, FST_DIR_CLIENT, FST_TCP_ACK, NULL, 0);
}

/* Two sessions: a hostile server that times the idle client out (421,
 * FIN), and a clean one that ends with QUIT. */
static void run_sessions(struct net *n)
{
	struct conn c;

	conn_open(&c, n, 40001);
	say(&c, FST_DIR_SERVER, HOSTILE_BANNER);
	say(&c, FST_DIR_CLIENT, "USER \"evil\" <i>\r\n");
	say(&c, FST_DIR_SERVER, "331 Password?\r\n");
	say(&c, FST_DIR_CLIENT, "PASS hunter2\r\n");
	say(&c, FST_DIR_SERVER, "230 Logged in.\r\n");
	n->now += 300 * SEC;
	say(&c, FST_DIR_SERVER, HOSTILE_421);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK, NULL, 0);

	conn_open(&c, n, 40002);
	say(&c, FST_DIR_SERVER, "220 ready\r\n");
	say(&c, FST_DIR_CLIENT, "USER anonymous\r\n");
	say(&c, FST_DIR_SERVER, "230 ok\r\n");
	say(&c, FST_DIR_CLIENT, "QUIT\r\n");
	say(&c, FST_DIR_SERVER, "221 Bye.\r\n");
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK, NULL, 0);
	fst_tcp_finish(n->tcp);
	fst_analysis_finish(n->an);
}

/* The report of n in format (free with free()). */
static char *report_of(struct net *n, enum fst_report_format format, bool color, bool interrupted)
{
	struct fst_report_input in = {
		.interrupted = interrupted,
		.bytes_read = 1000,
		.bytes_total = 4000,
		.version = "9.9",
		.source = "hostile \"capture\".pcap",
		.ftp = n->ftp,
		.analysis = n->an,
		.color = color,
		.capture = &n->capture,
		.tcp = fst_tcp_stats(n->tcp),
		.ftp_stats = fst_ftp_stats(n->ftp),
		.capture_warnings = "file.pcap: cut short\nsecond \"warning\"\n",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fst_report_write(f, format, &in), FST_OK);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static char *report(struct net *n, enum fst_report_format format, bool color)
{
	return report_of(n, format, color, false);
}

/* ---- a JSON checker (RFC 8259), strict about what ftpstall writes ---- */

static bool json_value(const char **p, int depth);

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
		(*p)++;
}

static bool json_string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		unsigned char c = (unsigned char)**p;

		/* Raw control bytes are invalid; ftpstall also writes ASCII only. */
		if (c < 0x20 || c > 0x7e)
			return false;
		if (c != '\\')
			continue;
		(*p)++;
		if (**p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", (*p)[i]) || !(*p)[i])
					return false;
			*p += 4;
		} else if (!**p || !strchr("\"\\/bfnrt", **p)) {
			return false;
		}
	}
	(*p)++;
	return true;
}

static bool json_number(const char **p)
{
	const char *start = *p;

	if (**p == '-')
		(*p)++;
	if (**p < '0' || **p > '9')
		return false;
	while (**p >= '0' && **p <= '9')
		(*p)++;
	if (**p == '.') {
		(*p)++;
		if (**p < '0' || **p > '9')
			return false;
		while (**p >= '0' && **p <= '9')
			(*p)++;
	}
	return *p > start;
}

static bool json_members(const char **p, char close, int depth)
{
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		json_ws(p);
		if (close == '}') {
			if (!json_string(p))
				return false;
			json_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!json_value(p, depth + 1))
			return false;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool json_value(const char **p, int depth)
{
	if (depth > 64)
		return false;
	json_ws(p);
	switch (**p) {
	case '{':
	case '[': {
		char close = **p == '{' ? '}' : ']';

		(*p)++;
		return json_members(p, close, depth);
	}
	case '"':
		return json_string(p);
	case 't':
		*p += 4;
		return strncmp(*p - 4, "true", 4) == 0;
	case 'f':
		*p += 5;
		return strncmp(*p - 5, "false", 5) == 0;
	case 'n':
		*p += 4;
		return strncmp(*p - 4, "null", 4) == 0;
	default:
		return json_number(p);
	}
}

/* Whether text[0..len) is exactly one JSON value (and whitespace). */
static bool json_valid(const char *text, size_t len)
{
	char *copy = strndup(text, len);
	const char *p = copy;
	bool ok;

	assert_non_null(copy);
	ok = json_value(&p, 0);
	json_ws(&p);
	ok = ok && *p == '\0';
	free(copy);
	return ok;
}

static bool json_valid_str(const char *text)
{
	return json_valid(text, strlen(text));
}

static void test_json_checker_checks(void **state)
{
	(void)state;
	assert_true(json_valid_str("{\"a\": [1, -2.5, true, null, \"\\u00e9\\\"\"], \"b\": {}}"));
	assert_false(json_valid_str("{\"a\": nan}"));
	assert_false(json_valid_str("{\"a\": 1,}"));
	assert_false(json_valid_str("[\"\x1b\"]"));
	assert_false(json_valid_str("[\"\xc3\xa9\"]"));
	assert_false(json_valid_str("[\"\\x41\"]"));
	assert_false(json_valid_str("[\"\\u12\"]"));
	assert_false(json_valid_str("[1] [2]"));
	assert_false(json_valid_str("{\"a\" 1}"));
}

/* ---- tests ----------------------------------------------------------- */

/* Counts the occurrences of needle in hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_json_report(void **state)
{
	struct net n;
	char *doc;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_JSON, false);
	if (!json_valid(doc, strlen(doc)))
		fail_msg("not JSON:\n%s", doc);
	assert_true(strncmp(doc, "{\n  \"version\": \"9.9\",\n  \"source\": ", 33) == 0);
	assert_non_null(strstr(doc, "\"source\": \"hostile \\\"capture\\\".pcap\""));
	assert_int_equal(count(doc, "\"id\": "), 2);
	/* The idle timeout: the 421 announced it after 300 s of the client's
	 * silence. */
	assert_non_null(strstr(doc, "\"kind\": \"idle_timeout\""));
	assert_non_null(strstr(doc, "\"waiting_on\": \"client\""));
	assert_non_null(strstr(doc, "\"reply_code\": 421"));
	assert_non_null(strstr(doc, "\"idle_timeout_estimate_s\": 300."));
	assert_non_null(strstr(doc, "\"capture_warnings\": [\n      \"file.pcap: cut short\",\n"
				    "      \"second \\\"warning\\\"\"\n    ]"));
	/* The password never reaches a report. */
	assert_null(strstr(doc, "hunter2"));
	assert_int_equal(doc[strlen(doc) - 1], '\n');
	assert_int_equal(doc[strlen(doc) - 2], '}');
	free(doc);
	net_free(&n);
}

static void test_json_escapes_network_text(void **state)
{
	struct net n;
	char *doc;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_JSON, false);
	/* The ftp layer turns control bytes into '.'; JSON escapes the
	 * quotes, backslashes and the bytes above 0x7e. */
	assert_non_null(strstr(doc, "\"banner\": \"<script>alert(\\\"x\\\")</script> \\\\ "
				    "'q' .[2J.]0;pwned. caf\\u00c3\\u00a9\""));
	assert_non_null(strstr(doc, "\"reply_text\": \"Timeout <b>&amp;</b> \\\"\\\\\\\" "
				    ".[31mred ..2J\""));
	assert_non_null(strstr(doc, "\"user\": \"\\\"evil\\\" <i>\""));
	assert_null(strchr(doc, '\x1b'));
	assert_null(strchr(doc, '\x07'));
	free(doc);
	net_free(&n);
}

/* JSON Lines: one valid compact object per session, each naming the
 * source. */
static void test_jsonl_report(void **state)
{
	struct net n;
	char *doc, *line;
	size_t lines = 0;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_JSONL, false);
	for (line = doc; *line; lines++) {
		char *end = strchr(line, '\n');

		assert_non_null(end);
		if (!json_valid(line, (size_t)(end - line)))
			fail_msg("line %zu is not JSON: %.*s", lines + 1, (int)(end - line), line);
		assert_true(strncmp(line, "{\"source\": \"hostile \\\"capture\\\".pcap\",\"id\": ",
				    44) == 0);
		line = end + 1;
	}
	assert_int_equal(lines, 2);
	assert_non_null(strstr(doc, "\"kind\": \"idle_timeout\""));
	free(doc);
	net_free(&n);
}

/* The text report goes to terminals: no byte from the network may move
 * the cursor or retitle the window. */
/* An input with no control connection says what it held: two attempts
 * at port 21 that got no answer (one SYN sent three times), one refused
 * with a reset, a flow on another port. Every format says it; JSON has
 * no_ftp only then. */
static void test_no_ftp_report(void **state)
{
	struct net n;
	struct conn c;
	char *doc;

	(void)state;
	net_init(&n);
	memset(&c, 0, sizeof(c));
	c.net = &n;
	c.addr[FST_DIR_CLIENT] = pb_addr("192.0.2.10");
	c.addr[FST_DIR_SERVER] = pb_addr("198.51.100.20");
	c.port[FST_DIR_SERVER] = 21;
	c.port[FST_DIR_CLIENT] = 40001;
	for (int i = 0; i < 3; i++) {
		c.nxt[FST_DIR_CLIENT] = 1000;
		seg(&c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	}
	c.port[FST_DIR_CLIENT] = 40002;
	seg(&c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	c.port[FST_DIR_CLIENT] = 40003;
	seg(&c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_RST | FST_TCP_ACK, NULL, 0);
	c.port[FST_DIR_SERVER] = 30001;
	c.port[FST_DIR_CLIENT] = 50000;
	seg(&c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_PSH, "data", 4);
	n.capture.skipped_not_tcp = 5;
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);
	assert_int_equal(fst_ftp_stats(n.ftp)->control_unanswered, 2);
	assert_int_equal(fst_ftp_stats(n.ftp)->control_refused, 1);

	doc = report(&n, FST_REPORT_TEXT, false);
	assert_non_null(strstr(doc, "ftpstall: 0 FTP sessions"));
	assert_non_null(strstr(doc,
			       "No FTP control connection in this input. 2 connection "
			       "attempts to the FTP control port got no answer: the server was "
			       "unreachable"));
	assert_non_null(strstr(doc, "1 connection attempt to the FTP control port was refused"));
	assert_non_null(strstr(doc, "1 other TCP connection (an FTP data connection"));
	assert_non_null(strstr(doc, "5 IP packets were not TCP"));
	free(doc);
	doc = report(&n, FST_REPORT_JSON, false);
	if (!json_valid(doc, strlen(doc)))
		fail_msg("not JSON:\n%s", doc);
	assert_non_null(strstr(doc, "\"no_ftp\": {\n    \"control_unanswered\": 2,\n"
				    "    \"control_refused\": 1,\n    \"other_tcp_flows\": 1,"));
	assert_non_null(strstr(doc, "\"control_unanswered\": 2,\n    \"control_refused\": 1,\n"
				    "    \"anomalies\""));
	free(doc);
	doc = report(&n, FST_REPORT_HTML, false);
	assert_non_null(strstr(doc, "<p class=\"no-ftp\">No FTP control connection"));
	free(doc);
	net_free(&n);

	/* With sessions there is no no_ftp member. */
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_JSON, false);
	assert_null(strstr(doc, "no_ftp"));
	assert_null(strstr(doc, "control_unanswered"));
	free(doc);
	net_free(&n);
}

/* A clean session's capture notes are said too: under its line in the
 * text and Markdown reports, in its row of the HTML table. */
static void test_notes_of_clean_session(void **state)
{
	struct net n;
	struct conn c;
	char *doc;

	(void)state;
	net_init(&n);
	conn_open(&c, &n, 40001);
	say(&c, FST_DIR_SERVER, "220 ready\r\n");
	say(&c, FST_DIR_CLIENT, "USER anonymous\r\n");
	say(&c, FST_DIR_SERVER, "230 ok\r\n");
	say(&c, FST_DIR_CLIENT, "PASV\r\n");
	say(&c, FST_DIR_SERVER, "227 Entering Passive Mode (198,51,100,20,117,48).\r\n");
	say(&c, FST_DIR_CLIENT, "RETR a.bin\r\n");
	say(&c, FST_DIR_SERVER,
	    "150 Opening BINARY mode data connection for a.bin (10 bytes).\r\n");
	say(&c, FST_DIR_SERVER, "226 Transfer complete.\r\n");
	say(&c, FST_DIR_CLIENT, "QUIT\r\n");
	say(&c, FST_DIR_SERVER, "221 Bye.\r\n");
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);
	doc = report(&n, FST_REPORT_TEXT, false);
	assert_non_null(strstr(doc, "session 1: clean"));
	assert_non_null(strstr(doc,
			       "session 1 note: the capture holds no data connection of "
			       "this session's transfers (capture `host SERVER`, not `port 21`)"));
	free(doc);
	doc = report(&n, FST_REPORT_HTML, false);
	assert_non_null(strstr(doc, " Note: the capture holds no data connection"));
	free(doc);
	doc = report(&n, FST_REPORT_JSON, false);
	assert_non_null(
		strstr(doc, "\"capture_notes\": [\n        \"data_connections_missing\"\n"));
	assert_non_null(strstr(doc, "\"bytes_missing_from_capture\": 10,"));
	free(doc);
	net_free(&n);
}

static void test_text_report(void **state)
{
	struct net n;
	char *doc;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_TEXT, false);
	assert_null(strchr(doc, '\x1b'));
	assert_null(strchr(doc, '\x07'));
	assert_non_null(strstr(doc, "idle_timeout"));
	assert_non_null(strstr(doc, "<script>alert(\"x\")</script>"));
	/* The 8-bit CSI (U+009B in UTF-8) is a control too. */
	assert_non_null(strstr(doc, ".[31mred ..2J"));
	assert_null(strstr(doc, "\xc2\x9b"));
	assert_null(strstr(doc, "hunter2"));
	free(doc);
	/* Colour is ftpstall's own escapes only, around the verdicts. */
	doc = report(&n, FST_REPORT_TEXT, true);
	assert_non_null(strstr(doc, "\x1b[1;31m"));
	assert_null(strstr(doc, "\x1b[2J"));
	assert_null(strstr(doc, "\x1b]0;"));
	free(doc);
	net_free(&n);
}

/* alice's session times out; her next session from the same host, 2 s
 * later, transfers nothing: linked, but only probably, and every format
 * says so. */
static void test_probable_reconnect(void **state)
{
	static const struct {
		enum fst_report_format format;
		const char *want;
	} cases[] = {
		{ FST_REPORT_TEXT, "  probably recovered by session 2, reconnected 2.0 s later\n" },
		{ FST_REPORT_MD, "probably recovered by session 2, reconnected 2.0 s later" },
		{ FST_REPORT_HTML, "<strong>Recovery:</strong> Probably recovered by session 2, "
				   "reconnected 2.0 s later" },
		{ FST_REPORT_JSON, "\"probable\": true," },
	};
	struct net n;
	struct conn c;

	(void)state;
	net_init(&n);
	for (uint16_t port = 40001; port <= 40002; port++) {
		conn_open(&c, &n, port);
		say(&c, FST_DIR_SERVER, "220 (vsFTPd 3.0.3)\r\n");
		say(&c, FST_DIR_CLIENT, "USER alice\r\n");
		say(&c, FST_DIR_SERVER, "331 Password?\r\n");
		say(&c, FST_DIR_CLIENT, "PASS hunter2\r\n");
		say(&c, FST_DIR_SERVER, "230 Logged in.\r\n");
		n.now += 300 * SEC;
		say(&c, FST_DIR_SERVER, "421 Timeout.\r\n");
		seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
		seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
		seg(&c, FST_DIR_SERVER, FST_TCP_ACK, NULL, 0);
		n.now += 2 * SEC;
	}
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = report(&n, cases[i].format, false);

		if (!strstr(doc, cases[i].want))
			fail_msg("format %d lacks \"%s\":\n%s", (int)cases[i].format, cases[i].want,
				 doc);
		free(doc);
	}
	net_free(&n);
}

/* HTML: network text never opens a tag or an entity, nor breaks out of
 * an attribute. */
static void test_html_report(void **state)
{
	struct net n;
	char *doc;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_HTML, false);
	assert_null(strstr(doc, "<script"));
	/* The page's own markup has <b>; the server's never gets there. */
	assert_null(strstr(doc, "<b>&"));
	assert_null(strstr(doc, "<i>"));
	assert_non_null(strstr(doc, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
	assert_non_null(strstr(doc, "&lt;b&gt;&amp;amp;&lt;/b&gt;"));
	assert_non_null(strstr(doc, "&#39;q&#39;"));
	assert_non_null(strstr(doc, "caf&#195;&#169;"));
	assert_null(strchr(doc, '\x1b'));
	assert_true(strncmp(doc, "<!DOCTYPE html>", 15) == 0);
	free(doc);
	net_free(&n);
}

/* The HTML page for a reader: the headline counts, the incidents before
 * the sessions without incident, the glossary; an incident's timeline
 * has at least four labelled axis ticks, marks its 421 and its close in
 * words, labels the decisive gap, and draws a data connection of a few
 * milliseconds over its own few pixels, not across the 300 s session. */
static void test_html_incident_page(void **state)
{
	struct net n;
	struct conn c, d;
	const char *rect;
	double width = 0;
	char *doc;

	(void)state;
	net_init(&n);
	conn_open(&c, &n, 40005);
	say(&c, FST_DIR_SERVER, "220 (vsFTPd 3.0.3)\r\n");
	say(&c, FST_DIR_CLIENT, "USER alice\r\n");
	say(&c, FST_DIR_SERVER, "230 Logged in.\r\n");
	say(&c, FST_DIR_CLIENT, "PASV\r\n");
	say(&c, FST_DIR_SERVER, "227 Entering Passive Mode (198,51,100,20,117,48).\r\n");
	say(&c, FST_DIR_CLIENT, "STOR a.bin\r\n");
	memset(&d, 0, sizeof(d));
	d.net = &n;
	d.addr[FST_DIR_CLIENT] = pb_addr("192.0.2.10");
	d.addr[FST_DIR_SERVER] = pb_addr("198.51.100.20");
	d.port[FST_DIR_CLIENT] = 40006;
	d.port[FST_DIR_SERVER] = 30000;
	d.nxt[FST_DIR_CLIENT] = 5000;
	d.nxt[FST_DIR_SERVER] = 9000;
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0);
	seg(&d, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, NULL, 0);
	seg(&d, FST_DIR_CLIENT, FST_TCP_ACK, NULL, 0);
	say(&c, FST_DIR_SERVER, "150 Ok to send data.\r\n");
	say(&d, FST_DIR_CLIENT, "0123456789");
	seg(&d, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&d, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&d, FST_DIR_CLIENT, FST_TCP_ACK, NULL, 0);
	say(&c, FST_DIR_SERVER, "226 Transfer complete.\r\n");
	n.now += 300 * SEC;
	say(&c, FST_DIR_SERVER, "421 Timeout.\r\n");
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK, NULL, 0);
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);
	doc = report(&n, FST_REPORT_HTML, false);
	assert_non_null(strstr(doc, "data-sessions=\"1\" data-incidents=\"1\"><strong>1 FTP "
				    "session, 1 incident</strong>"));
	assert_non_null(strstr(doc, "data-verdict=\"idle_timeout\" data-count=\"1\""));
	assert_non_null(strstr(doc, "<h4>Session 1: the server closed an idle session</h4>"));
	assert_true(count(doc, "<g class=\"axis-tick\">") >= 4);
	assert_non_null(strstr(doc, "<text class=\"ev decisive closing-reply\""));
	assert_non_null(strstr(doc, ">421 Timeout.</text>"));
	assert_non_null(strstr(doc, ">server closed (FIN)</text>"));
	assert_non_null(strstr(doc, ">client idle 300.0 s</text>"));
	assert_non_null(strstr(doc, "<desc>"));
	rect = strstr(doc, "<rect class=\"data\" ");
	assert_non_null(rect);
	rect = strstr(rect, "width=\"");
	assert_non_null(rect);
	width = strtod(rect + 7, NULL);
	if (width > 5)
		fail_msg("a transfer of a few ms is %.1f px wide in a 300 s timeline", width);
	assert_non_null(strstr(doc, ">10 B in "));
	assert_non_null(strstr(doc, " ms</text>"));
	assert_non_null(strstr(doc, "<dt>FIN</dt>"));
	assert_null(strstr(doc, "<script"));
	free(doc);
	net_free(&n);

	/* An incident and a clean session: the incident comes first. */
	net_init(&n);
	run_sessions(&n);
	doc = report(&n, FST_REPORT_HTML, false);
	assert_non_null(strstr(doc, "id=\"incidents\""));
	assert_non_null(strstr(doc, "id=\"others\""));
	assert_true(strstr(doc, "id=\"incidents\"") < strstr(doc, "id=\"others\""));
	assert_true(strstr(doc, "id=\"others\"") < strstr(doc, "id=\"glossary\""));
	free(doc);
	doc = report(&n, FST_REPORT_MD, false);
	assert_non_null(strstr(doc, "**2 FTP sessions, 1 incident** in "));
	assert_true(strstr(doc, "## Incidents (1)") <
		    strstr(doc, "## Sessions without incident (1)"));
	assert_non_null(strstr(doc, "## Glossary"));
	free(doc);
	net_free(&n);
}

/* A session of 40,000 commands and replies: its text timeline, HTML
 * drawings and Markdown ladder are made in well under a second of CPU
 * (the events are sorted in O(n log n); an insertion sort of the merged
 * lists once took 13 s for this). */
static void test_many_events_fast(void **state)
{
	static const enum fst_report_format formats[] = { FST_REPORT_TEXT, FST_REPORT_HTML,
							  FST_REPORT_MD };
	struct net n;
	struct conn c;

	(void)state;
	net_init(&n);
	conn_open(&c, &n, 40007);
	say(&c, FST_DIR_SERVER, "220 ready\r\n");
	for (int i = 0; i < 20000; i++) {
		say(&c, FST_DIR_CLIENT, "NOOP\r\n");
		say(&c, FST_DIR_SERVER, "200 ok\r\n");
	}
	n.now += 300 * SEC;
	say(&c, FST_DIR_SERVER, "421 Timeout.\r\n");
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		clock_t start = clock();
		char *doc = report(&n, formats[i], false);
		double cpu_s = (double)(clock() - start) / CLOCKS_PER_SEC;

		/* Generous for sanitizer builds on a busy machine. */
		if (cpu_s > 8)
			fail_msg("format %d took %.1f s of CPU for 40,000 events", (int)formats[i],
				 cpu_s);
		assert_non_null(strstr(doc, "421 Timeout."));
		free(doc);
	}
	net_free(&n);
}

/* The live event stream as JSON Lines (watch --no-tui -f jsonl). */
static void test_stream_jsonl(void **state)
{
	struct fst_session_result *r;
	const struct fst_ftp_session *s;
	struct net n;
	char *buf = NULL;
	size_t len = 0, lines = 0;
	FILE *f;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	r = fst_analysis_results(n.an);
	assert_non_null(r);
	s = r->session;
	assert_true(s->reply_count > 0 && s->command_count > 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (int e = 0; e < FST_STREAM_EVENT_COUNT; e++) {
		struct fst_stream_line line = {
			.event = (enum fst_stream_event)e,
			.ts_us = s->start_us,
			.result = r,
			.command = &s->commands[0],
			.reply = &s->replies[0],
			.idle_s = 12.5,
			.waiting_on = FST_WAIT_CLIENT,
		};

		fst_report_stream_line(f, true, &line);
	}
	assert_int_equal(fclose(f), 0);
	for (char *l = buf; *l; lines++) {
		char *end = strchr(l, '\n');

		assert_non_null(end);
		if (!json_valid(l, (size_t)(end - l)))
			fail_msg("not JSON: %.*s", (int)(end - l), l);
		l = end + 1;
	}
	assert_int_equal(lines, FST_STREAM_EVENT_COUNT);
	assert_non_null(strstr(buf, "{\"time\":\"2025-12-01T04:29:34.000000Z\",\"session\":"));
	assert_non_null(strstr(buf, "\"text\":\"<script>alert(\\\"x\\\")</script> \\\\ "));
	assert_non_null(strstr(buf, "\"idle_s\":12.500"));
	free(buf);
	net_free(&n);
}

/* A long session's timeline shows its first and last 20 entries around
 * one "... N entries ..." line in the text report (and in the HTML
 * page's full event list); Markdown shows the ladder of its last
 * seconds instead: the last NOOPs, the idle, the 421 and the close. */
static void test_long_timeline_elided(void **state)
{
	struct net n;
	struct conn c;
	char *text, *md;

	(void)state;
	net_init(&n);
	conn_open(&c, &n, 40003);
	say(&c, FST_DIR_SERVER, "220 ready\r\n");
	say(&c, FST_DIR_CLIENT, "USER alice\r\n");
	say(&c, FST_DIR_SERVER, "331 Password?\r\n");
	say(&c, FST_DIR_CLIENT, "PASS hunter2\r\n");
	say(&c, FST_DIR_SERVER, "230 Logged in.\r\n");
	for (int i = 0; i < 30; i++) {
		say(&c, FST_DIR_CLIENT, "NOOP\r\n");
		say(&c, FST_DIR_SERVER, "200 NOOP ok.\r\n");
	}
	n.now += 300 * SEC;
	say(&c, FST_DIR_SERVER, "421 Timeout.\r\n");
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, NULL, 0);
	seg(&c, FST_DIR_SERVER, FST_TCP_ACK, NULL, 0);
	fst_tcp_finish(n.tcp);
	fst_analysis_finish(n.an);

	/* 5 login entries, 60 NOOP/200, the 421 and the FIN: 67 entries.
	 * Shown: entries 1-20 (8 NOOPs among 6-20) and 48-67 (9 among 48-65). */
	text = report(&n, FST_REPORT_TEXT, false);
	md = report(&n, FST_REPORT_MD, false);
	assert_int_equal(count(text, "... 27 entries ..."), 1);
	assert_int_equal(count(text, "server  220 ready"), 1);
	assert_int_equal(count(text, "server  421 Timeout."), 1);
	assert_int_equal(count(text, "server  FIN"), 1);
	assert_int_equal(count(text, "client  NOOP"), 8 + 9);
	/* The ladder: from two events before the 300 s idle (200, NOOP, 200),
	 * then the idle, the 421 and the first close. */
	assert_int_equal(count(md, "... 27 entries ..."), 0);
	assert_int_equal(count(md, "|--------->|  NOOP"), 1);
	assert_int_equal(count(md, "|<---------|  200 NOOP ok."), 2);
	assert_int_equal(count(md, ":          :  client idle 300.0 s"), 1);
	assert_int_equal(count(md, "|<---------|  421 Timeout."), 1);
	assert_int_equal(count(md, "|<---------|  server FIN"), 1);
	assert_int_equal(count(md, "(62 earlier events not shown)"), 1);
	free(text);
	free(md);
	net_free(&n);
}

/* A report of an interrupted run says so first: plain in the text
 * report, in bold (not escaped into "\\*\\*") in Markdown. */
static void test_interrupted_report(void **state)
{
	struct net n;
	char *text, *md;

	(void)state;
	net_init(&n);
	run_sessions(&n);
	text = report_of(&n, FST_REPORT_TEXT, false, true);
	md = report_of(&n, FST_REPORT_MD, false, true);
	assert_int_equal(
		strncmp(text,
			"INCOMPLETE: interrupted after 1000 of 4000 bytes; later packets "
			"are not in this report\nftpstall: 2 FTP sessions",
			strlen("INCOMPLETE: interrupted after 1000 of 4000 bytes; later "
			       "packets are not in this report\nftpstall: 2 FTP sessions")),
		0);
	assert_non_null(strstr(md, "\n**INCOMPLETE: interrupted after 1000 of 4000 bytes; later "
				   "packets are not in this report**\n\n"));
	assert_null(strstr(md, "\\*"));
	free(text);
	free(md);
	net_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker_checks),
		cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_json_escapes_network_text),
		cmocka_unit_test(test_jsonl_report),
		cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_probable_reconnect),
		cmocka_unit_test(test_html_report),
		cmocka_unit_test(test_html_incident_page),
		cmocka_unit_test(test_many_events_fast),
		cmocka_unit_test(test_stream_jsonl),
		cmocka_unit_test(test_long_timeline_elided),
		cmocka_unit_test(test_interrupted_report),
		cmocka_unit_test(test_no_ftp_report),
		cmocka_unit_test(test_notes_of_clean_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
