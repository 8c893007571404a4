/* Unit tests for src/analysis (analysis.c, servers.c): the real pipeline
 * fst_tcp -> fst_ftp -> fst_analysis fed with built packets whose
 * timestamps the tests set explicitly (idle periods are jumps of the
 * packet clock), then fst_tcp_finish + fst_analysis_finish, and asserts
 * on fst_analysis_results() and fst_analysis_servers(). The expected
 * values come from docs/verdicts.md (the rules and their order) and the
 * comments of include/ftpstall/analysis.h, not from the implementation.
 * A failing verdict check prints the whole result (close, gaps, summary)
 * so the story is visible without a debugger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/analysis.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"
#include "pktbuild.h"

#define SEC FST_US_PER_SEC
#define MS  (FST_US_PER_SEC / 1000)

enum {
	STEP_US = 1000, /* packet clock advance per packet */
};

static const char CLIENT_IP[] = "192.0.2.10";
static const char CLIENT2_IP[] = "192.0.2.77";
static const char SERVER_IP[] = "198.51.100.20";
static const char SERVER2_IP[] = "203.0.113.5";

static const char VSFTPD_BANNER[] = "220 (vsFTPd 3.0.3)\r\n";
static const char PROFTPD_BANNER[] = "220 ProFTPD 1.3.6 Server (Debian) [::ffff:198.51.100.20]\r\n";

/* ------------------------------------------------------------------ */
/* the pipeline */

struct net {
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	struct fst_analysis *an;
	int64_t now;
	bool twice; /* every packet captured twice, as on a bridge */
};

/* The pipeline of the running test, so the teardown can free it when an
 * assertion jumped out of the test (keeps sanitizer builds leak-free). */
static struct net *live_net;

static struct net *net_new_ftp(const struct fst_analysis_cfg *acfg_in,
			       const struct fst_ftp_cfg *fcfg_in)
{
	struct net *n = calloc(1, sizeof(*n));
	struct fst_analysis_cfg acfg = { 0 };
	struct fst_ftp_cfg fcfg = { 0 };
	struct fst_tcp_cfg tcfg = { 0 };

	assert_non_null(n);
	if (acfg_in)
		acfg = *acfg_in;
	if (fcfg_in)
		fcfg = *fcfg_in;
	n->an = fst_analysis_new(&acfg);
	assert_non_null(n->an);
	fcfg.on_event = fst_analysis_on_ftp_event;
	fcfg.ctx = n->an;
	n->ftp = fst_ftp_new(&fcfg);
	assert_non_null(n->ftp);
	tcfg.payload_by_default = true;
	tcfg.on_flow = fst_ftp_on_tcp_flow;
	tcfg.on_event = fst_ftp_on_tcp_event;
	tcfg.ctx = n->ftp;
	n->tcp = fst_tcp_new(&tcfg);
	assert_non_null(n->tcp);
	n->now = INT64_C(1700000000) * SEC;
	live_net = n;
	return n;
}

static struct net *net_new(const struct fst_analysis_cfg *acfg_in)
{
	return net_new_ftp(acfg_in, NULL);
}

/* End of input: open flows close (END_OF_INPUT), then the analysis
 * links reconnects and estimates servers. */
static void net_finish(struct net *n)
{
	fst_tcp_finish(n->tcp);
	fst_analysis_finish(n->an);
}

/* tcp first (its flows point into the tracker, and its last CLOSE
 * events still reach the analysis), the analysis last. */
static void net_destroy(struct net *n)
{
	fst_tcp_free(n->tcp);
	fst_ftp_free(n->ftp);
	fst_analysis_free(n->an);
	free(n);
}

static void net_free(struct net *n)
{
	live_net = NULL;
	net_destroy(n);
}

static void idle(struct net *n, int64_t us)
{
	n->now += us;
}

/* Sets the packet clock to an absolute time (never backwards). */
static void at(struct net *n, int64_t ts_us)
{
	assert_true(ts_us >= n->now);
	n->now = ts_us;
}

/* ------------------------------------------------------------------ */
/* connections */

struct conn {
	struct net *net;
	struct fst_addr addr[2]; /* [FST_DIR_CLIENT] = the TCP client's */
	uint16_t port[2];
	uint32_t nxt[2];
	uint8_t ttl[2];	 /* IP TTL of each side's packets */
	uint16_t win[2]; /* window each side advertises */
};

static enum fst_tcp_dir other(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
}

static void conn_init(struct conn *c, struct net *n, const char *caddr, uint16_t cport,
		      const char *saddr, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->net = n;
	c->addr[FST_DIR_CLIENT] = pb_addr(caddr);
	c->addr[FST_DIR_SERVER] = pb_addr(saddr);
	c->port[FST_DIR_CLIENT] = cport;
	c->port[FST_DIR_SERVER] = sport;
	c->nxt[FST_DIR_CLIENT] = 1000u + cport;
	c->nxt[FST_DIR_SERVER] = 700000u + sport;
	c->ttl[FST_DIR_CLIENT] = 64;
	c->ttl[FST_DIR_SERVER] = 64;
	c->win[FST_DIR_CLIENT] = 65535;
	c->win[FST_DIR_SERVER] = 65535;
}

/* One segment from dir at the packet clock; len bytes on the wire of
 * which caplen captured. Returns its timestamp. */
static int64_t seg(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, uint32_t seq, uint32_t ack,
		   const void *data, uint32_t len, uint32_t caplen)
{
	struct fst_packet p;
	int64_t ts = c->net->now;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	c->net->now += STEP_US;
	p.src = c->addr[dir];
	p.dst = c->addr[other(dir)];
	p.src_port = c->port[dir];
	p.dst_port = c->port[other(dir)];
	p.ttl = c->ttl[dir];
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.window = c->win[dir];
	p.payload_len = len;
	p.payload = caplen ? data : NULL;
	p.payload_caplen = caplen;
	fst_tcp_input(c->net->tcp, &p);
	if (c->net->twice) {
		p.ts_us += 40; /* the copy from the bridge's other port */
		fst_tcp_input(c->net->tcp, &p);
	}
	return ts;
}

static int64_t send_bytes(struct conn *c, enum fst_tcp_dir dir, const void *data, size_t len)
{
	uint32_t seq = c->nxt[dir];

	c->nxt[dir] += (uint32_t)len;
	return seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, seq, c->nxt[other(dir)], data, (uint32_t)len,
		   (uint32_t)len);
}

/* Bytes that went over the wire but not into the capture: the sequence
 * space moves on, no packet is fed. */
static void lose_bytes(struct conn *c, enum fst_tcp_dir dir, size_t len)
{
	c->nxt[dir] += (uint32_t)len;
}

/* The FTP client (TCP client of a control connection) sends text. */
static int64_t cl(struct conn *c, const char *text)
{
	return send_bytes(c, FST_DIR_CLIENT, text, strlen(text));
}

/* The FTP server sends text. */
static int64_t sv(struct conn *c, const char *text)
{
	return send_bytes(c, FST_DIR_SERVER, text, strlen(text));
}

static int64_t send_ack(struct conn *c, enum fst_tcp_dir dir)
{
	return seg(c, dir, FST_TCP_ACK, c->nxt[dir], c->nxt[other(dir)], NULL, 0, 0);
}

static int64_t send_fin(struct conn *c, enum fst_tcp_dir dir)
{
	uint32_t seq = c->nxt[dir]++;

	return seg(c, dir, FST_TCP_ACK | FST_TCP_FIN, seq, c->nxt[other(dir)], NULL, 0, 0);
}

/* A reset alone: the flow then waits for one more packet (tcp.h). */
static int64_t send_rst_only(struct conn *c, enum fst_tcp_dir dir)
{
	return seg(c, dir, FST_TCP_RST | FST_TCP_ACK, c->nxt[dir], c->nxt[other(dir)], NULL, 0, 0);
}

/* A reset and nothing more on its connection: it closes once the wait
 * for a last packet is over (the clock is moved past it). */
static int64_t send_rst(struct conn *c, enum fst_tcp_dir dir)
{
	int64_t ts = send_rst_only(c, dir);

	fst_tcp_advance(c->net->tcp, ts + FST_TCP_CLOSING_WAIT_US + 1);
	return ts;
}

/* A reset that claims to come from dir but carries another TTL. */
static int64_t send_rst_ttl(struct conn *c, enum fst_tcp_dir dir, uint8_t ttl)
{
	uint8_t usual = c->ttl[dir];
	int64_t ts;

	c->ttl[dir] = ttl;
	ts = send_rst(c, dir);
	c->ttl[dir] = usual;
	return ts;
}

static void handshake(struct conn *c)
{
	seg(c, FST_DIR_CLIENT, FST_TCP_SYN, c->nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	seg(c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, c->nxt[FST_DIR_SERVER]++,
	    c->nxt[FST_DIR_CLIENT], NULL, 0, 0);
	send_ack(c, FST_DIR_CLIENT);
}

static void conn_open(struct conn *c, struct net *n, const char *caddr, uint16_t cport,
		      const char *saddr, uint16_t sport)
{
	conn_init(c, n, caddr, cport, saddr, sport);
	handshake(c);
}

/* Both sides FIN, `first` first, and the last ACK. */
static void close_both(struct conn *c, enum fst_tcp_dir first)
{
	send_fin(c, first);
	send_fin(c, other(first));
	send_ack(c, first);
}

static void control_open(struct conn *c, struct net *n)
{
	conn_open(c, n, CLIENT_IP, 54321, SERVER_IP, 21);
}

/* Greeting and login; returns the time of the 230. */
static int64_t login(struct conn *c, const char *banner)
{
	sv(c, banner);
	cl(c, "USER alice\r\n");
	sv(c, "331 Please specify the password.\r\n");
	cl(c, "PASS hunter2\r\n");
	return sv(c, "230 Login successful.\r\n");
}

/* PASV answered with the server's address and data port. */
static void pasv(struct conn *c, uint16_t port)
{
	char reply[128];

	cl(c, "PASV\r\n");
	snprintf(reply, sizeof(reply), "227 Entering Passive Mode (198,51,100,20,%u,%u).\r\n",
		 (unsigned)(port >> 8), (unsigned)(port & 0xff));
	sv(c, reply);
}

static uint8_t fill[4096];

/* len bytes (<= sizeof fill) of file data from dir; returns the time. */
static int64_t send_fill(struct conn *c, enum fst_tcp_dir dir, size_t len)
{
	assert_true(len <= sizeof(fill));
	return send_bytes(c, dir, fill, len);
}

/* ------------------------------------------------------------------ */
/* results */

static struct fst_session_result *result_at(struct net *n, size_t index)
{
	struct fst_session_result *r = fst_analysis_results(n->an);

	for (; r && index; index--)
		r = r->next;
	if (!r)
		fail_msg("no session result #%zu", index);
	return r;
}

static size_t result_count(struct net *n)
{
	size_t count = 0;

	for (struct fst_session_result *r = fst_analysis_results(n->an); r; r = r->next)
		count++;
	return count;
}

static struct fst_session_result *only_result(struct net *n)
{
	assert_int_equal(result_count(n), 1);
	return result_at(n, 0);
}

static double gap_s(const struct fst_gap *g)
{
	return (double)(g->end_us - g->start_us) / 1e6;
}

static char describe_buf[8192];
static char summary_buf[FST_WORDS_MAX], recommendation_buf[FST_WORDS_MAX];

/* The report's words for r (the analysis keeps facts only), so that the
 * sentences are checked on results of real packets too. */
static const char *summary_of(const struct fst_session_result *r)
{
	fst_words_summary(r, summary_buf, sizeof(summary_buf));
	return summary_buf;
}

static const char *recommendation_of(const struct fst_session_result *r)
{
	fst_words_recommendation(r, recommendation_buf, sizeof(recommendation_buf));
	return recommendation_buf;
}

/* The whole result in one string, for failure messages. */
static const char *describe(const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;
	char *out = describe_buf;
	size_t size = sizeof(describe_buf), used = 0;
	int len;

	len = snprintf(out, size,
		       "\n  verdict=%s stalled=%s capture_loss=%d stated=%d\n"
		       "  close: by=%s rst=%d after_idle=%.3f reply=%d \"%s\" mid_transfer=%d "
		       "wrote_after=%d(%s) reset_after=%d ttl_mismatch=%d(%u vs %u) quit=%d "
		       "goodbye=%d\n  gaps (%zu, dropped %zu):",
		       fst_verdict_name(r->verdict), fst_stalled_side_name(r->stalled_side),
		       r->capture_loss, r->stated_timeout_s, fst_close_by_name(c->by), c->rst,
		       c->after_idle_s, c->reply_code, c->reply_text, c->mid_transfer,
		       c->client_wrote_after_close, c->client_write_command, c->reset_after_write,
		       c->rst_ttl_mismatch, c->rst_ttl, c->peer_ttl, c->quit_seen, c->goodbye_seen,
		       r->gap_count, r->gaps_dropped);
	if (len > 0)
		used = (size_t)len < size ? (size_t)len : size - 1;
	for (size_t i = 0; i < r->gap_count && used < size - 1; i++) {
		const struct fst_gap *g = &r->gaps[i];

		len = snprintf(out + used, size - used, "\n    %s%s t%llu %.3f s waiting %s%s",
			       i == r->decisive_gap_index ? "*" : " ",
			       g->channel == FST_CHANNEL_DATA ? "data" : "control",
			       (unsigned long long)g->transfer_id, gap_s(g),
			       fst_wait_name(g->waiting_on),
			       g->before_close ? " before_close" : "");
		if (len > 0)
			used += (size_t)len < size - used ? (size_t)len : size - used - 1;
	}
	if (used < size - 1)
		snprintf(out + used, size - used,
			 "\n  rule: %s\n  summary: %s\n  recommendation: %s", r->verdict_rule,
			 summary_of(r), recommendation_of(r));
	return out;
}

#define expect_verdict(r, want_verdict, want_stalled)                                      \
	do {                                                                               \
		const struct fst_session_result *r_ = (r);                                 \
		if (r_->verdict != (want_verdict) || r_->stalled_side != (want_stalled))   \
			fail_msg("expected %s/%s, got %s", fst_verdict_name(want_verdict), \
				 fst_stalled_side_name(want_stalled), describe(r_));       \
	} while (0)

#define assert_near(actual, expected, tolerance)                                    \
	do {                                                                        \
		double a_ = (actual), e_ = (expected);                              \
		if (!(a_ >= e_ - (tolerance) && a_ <= e_ + (tolerance)))            \
			fail_msg("%s = %.6f, expected %.6f +- %g", #actual, a_, e_, \
				 (double)(tolerance));                              \
	} while (0)

#define assert_contains(text, needle)                                                 \
	do {                                                                          \
		if (!strstr((text), (needle)))                                        \
			fail_msg("\"%s\" does not mention \"%s\"", (text), (needle)); \
	} while (0)

#define assert_not_contains(text, needle)                                     \
	do {                                                                  \
		if (strstr((text), (needle)))                                 \
			fail_msg("\"%s\" mentions \"%s\"", (text), (needle)); \
	} while (0)

#define assert_wait(g, expected) \
	assert_string_equal(fst_wait_name((g)->waiting_on), fst_wait_name(expected))

#define assert_close_by(r, expected) \
	assert_string_equal(fst_close_by_name((r)->close.by), fst_close_by_name(expected))

/* The decisive gap, failing with the whole result when there is none. */
static const struct fst_gap *decisive(const struct fst_session_result *r)
{
	if (r->decisive_gap_index == FST_NO_GAP)
		fail_msg("no decisive gap: %s", describe(r));
	assert_true(r->decisive_gap_index < r->gap_count);
	return fst_session_decisive_gap(r);
}

/* Checks the decisive gap's channel, whom it waited on and its span
 * (start_us/end_us 0: not checked). Times in the message are seconds
 * since the session started. */
static void expect_decisive(const struct fst_session_result *r, enum fst_channel channel,
			    enum fst_wait wait, int64_t start_us, int64_t end_us)
{
	const struct fst_gap *g = decisive(r);
	int64_t t0 = r->session->start_us;

	if (g->channel != channel || g->waiting_on != wait ||
	    (start_us && g->start_us != start_us) || (end_us && g->end_us != end_us))
		fail_msg("decisive gap: expected %s waiting %s [%.3f, %.3f], got %s waiting %s "
			 "[%.3f, %.3f]: %s",
			 channel == FST_CHANNEL_DATA ? "data" : "control", fst_wait_name(wait),
			 start_us ? (double)(start_us - t0) / 1e6 : -1.0,
			 end_us ? (double)(end_us - t0) / 1e6 : -1.0,
			 g->channel == FST_CHANNEL_DATA ? "data" : "control",
			 fst_wait_name(g->waiting_on), (double)(g->start_us - t0) / 1e6,
			 (double)(g->end_us - t0) / 1e6, describe(r));
}

/* The first gap of channel that waited on wait, or NULL. */
static const struct fst_gap *find_gap(const struct fst_session_result *r, enum fst_channel channel,
				      enum fst_wait wait)
{
	for (size_t i = 0; i < r->gap_count; i++)
		if (r->gaps[i].channel == channel && r->gaps[i].waiting_on == wait)
			return &r->gaps[i];
	return NULL;
}

static const struct fst_gap *must_find_gap(const struct fst_session_result *r,
					   enum fst_channel channel, enum fst_wait wait)
{
	const struct fst_gap *g = find_gap(r, channel, wait);

	if (!g)
		fail_msg("no %s gap waiting on %s: %s",
			 channel == FST_CHANNEL_DATA ? "data" : "control", fst_wait_name(wait),
			 describe(r));
	return g;
}

static void expect_no_gap(const struct fst_session_result *r, enum fst_channel channel,
			  enum fst_wait wait)
{
	const struct fst_gap *g = find_gap(r, channel, wait);

	if (g)
		fail_msg("unexpected %s gap of %.3f s waiting on %s: %s",
			 channel == FST_CHANNEL_DATA ? "data" : "control", gap_s(g),
			 fst_wait_name(wait), describe(r));
}

static size_t server_count(struct net *n)
{
	size_t count = 0;

	for (struct fst_server_estimate *e = fst_analysis_servers(n->an); e; e = e->next)
		count++;
	return count;
}

static const struct fst_server_estimate *server_estimate(struct net *n, const char *addr)
{
	struct fst_addr want = pb_addr(addr);

	for (struct fst_server_estimate *e = fst_analysis_servers(n->an); e; e = e->next)
		if (fst_addr_equal(&e->addr, &want))
			return e;
	fail_msg("no server estimate for %s", addr);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* stories shared by several tests */

/* Login to vsftpd, a complete passive upload (data port dport, client
 * data port cport), then the 226. Returns the time of the 226. */
static int64_t upload_complete(struct conn *c, uint16_t cport, uint16_t dport, const char *file,
			       size_t chunks)
{
	struct conn d;
	char cmd[256];

	cl(c, "TYPE I\r\n");
	sv(c, "200 Switching to Binary mode.\r\n");
	pasv(c, dport);
	conn_open(&d, c->net, CLIENT_IP, cport, SERVER_IP, dport);
	snprintf(cmd, sizeof(cmd), "STOR %s\r\n", file);
	cl(c, cmd);
	sv(c, "150 Ok to send data.\r\n");
	for (size_t i = 0; i < chunks; i++) {
		send_fill(&d, FST_DIR_CLIENT, 4096);
		send_ack(&d, FST_DIR_SERVER);
	}
	close_both(&d, FST_DIR_CLIENT);
	return sv(c, "226 Transfer complete.\r\n");
}

/* After the server's closing reply: its FIN, the client's FIN, the
 * last ACK. Returns the time of the server's FIN. */
static int64_t server_closes(struct conn *c)
{
	int64_t fin = send_fin(c, FST_DIR_SERVER);

	send_fin(c, FST_DIR_CLIENT);
	send_ack(c, FST_DIR_SERVER);
	return fin;
}

/* ------------------------------------------------------------------ */
/* 1. the seed story: idle_timeout, write after close, reset */

/* The seed story with a client that shuts its side down right after
 * its write: NOOP and the client's FIN, then the server's reset. The
 * reset still answers the write. */
static void test_reset_after_write_across_client_fin(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tfin, tnoop, trst;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 3 * SEC);
	sv(&c, "421 Timeout.\r\n");
	tfin = send_fin(&c, FST_DIR_SERVER);
	send_ack(&c, FST_DIR_CLIENT);
	at(n, tfin + 2 * SEC);
	tnoop = cl(&c, "NOOP\r\n");
	send_fin(&c, FST_DIR_CLIENT);
	trst = send_rst_only(&c, FST_DIR_SERVER);
	r = only_result(n);
	assert_int_equal(r->verdict_state, FST_VERDICT_FINAL);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_false(r->close.rst);
	assert_true(r->close.client_wrote_after_close);
	assert_int_equal(r->close.client_write_ts_us, tnoop);
	assert_string_equal(r->close.client_write_command, "NOOP");
	assert_true(r->close.reset_after_write);
	assert_int_equal(r->close.reset_ts_us, trst);
	assert_int_equal(r->session->end_us, trst);
	net_finish(n);
	net_free(n);
}

/* vsftpd's "500 OOPS" that crossed the client's reset is recorded, and
 * the close stays the client's reset: no closing reply. */
static void test_reply_after_client_reset(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t trst;

	(void)state;
	control_open(&c, n);
	sv(&c, VSFTPD_BANNER);
	cl(&c, "USER anonymous\r\n");
	sv(&c, "331 Please specify the password.\r\n");
	cl(&c, "PASS field@example.org\r\n");
	trst = send_rst_only(&c, FST_DIR_CLIENT);
	sv(&c, "500 OOPS: ");
	send_rst_only(&c, FST_DIR_CLIENT);
	sv(&c, "vsftpd: refusing to run with writable root inside chroot()\r\n");
	send_rst_only(&c, FST_DIR_CLIENT);
	send_fin(&c, FST_DIR_SERVER);
	r = only_result(n);
	assert_int_equal(r->verdict_state, FST_VERDICT_FINAL);
	expect_verdict(r, FST_VERDICT_CLIENT_ABORT, FST_STALLED_NONE);
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	assert_true(r->close.rst);
	assert_int_equal(r->close.ts_us, trst);
	assert_int_equal(r->close.reply_code, 0);
	assert_int_equal(r->session->reply_count, 3);
	assert_int_equal(r->session->replies[2].code, 500);
	assert_string_equal(r->session->replies[2].text,
			    "OOPS: vsftpd: refusing to run with writable root inside chroot()");
	net_finish(n);
	net_free(n);
}

static void test_seed_idle_timeout_write_after_close(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_server_estimate *e;
	const struct fst_close_info *cl_info;
	struct conn c;
	int64_t t226, t421, tfin, tnoop, trst;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	t226 = upload_complete(&c, 54400, 50000, "upload/duplicity-full.vol1.difftar.gz", 16);
	send_ack(&c, FST_DIR_CLIENT); /* not activity: no bytes */
	at(n, t226 + 5 * SEC);
	t421 = sv(&c, "421 Timeout.\r\n");
	tfin = send_fin(&c, FST_DIR_SERVER);
	send_ack(&c, FST_DIR_CLIENT);
	at(n, tfin + 2 * SEC);
	tnoop = cl(&c, "NOOP\r\n");
	trst = send_rst(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	cl_info = &r->close;
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_idle_client");
	assert_int_equal(r->timer, FST_TIMER_IDLE);
	assert_true(fst_verdict_is_incident(r->verdict));
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t226, t421);
	assert_near(gap_s(decisive(r)), 5.0, 1e-6);
	assert_true(decisive(r)->before_close);
	assert_int_equal(decisive(r)->transfer_id, 0);

	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_false(cl_info->rst);
	assert_int_equal(cl_info->ts_us, tfin);
	assert_int_equal(cl_info->idle_since_us, t226);
	assert_near(cl_info->after_idle_s, 5.0, 0.01);
	assert_int_equal(cl_info->reply_code, 421);
	assert_string_equal(cl_info->reply_text, "Timeout.");
	assert_int_equal(cl_info->reply_ts_us, t421);
	assert_true(cl_info->client_wrote_after_close);
	assert_int_equal(cl_info->client_write_ts_us, tnoop);
	assert_string_equal(cl_info->client_write_command, "NOOP");
	assert_true(cl_info->reset_after_write);
	assert_int_equal(cl_info->reset_ts_us, trst);
	assert_false(cl_info->mid_transfer);
	assert_false(cl_info->rst_ttl_mismatch);
	assert_false(cl_info->quit_seen);
	assert_false(cl_info->goodbye_seen);
	assert_false(r->capture_loss);
	assert_int_equal(r->stated_timeout_s, -1);

	assert_non_null(r->profile);
	assert_string_equal(r->profile->software, "vsftpd");
	assert_contains(summary_of(r), "5.0 s");
	assert_contains(summary_of(r), "Timeout.");
	assert_contains(summary_of(r), "reset");
	assert_contains(recommendation_of(r), "idle_session_timeout");
	assert_contains(recommendation_of(r), "NOOP");
	assert_int_equal(r->recovered_by, 0);

	assert_int_equal(server_count(n), 1);
	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->port, 21);
	assert_non_null(e->software);
	assert_string_equal(e->software, "vsftpd");
	assert_int_equal(e->observations, 1);
	assert_near(e->idle_timeout_s, 5.0, 0.01);
	assert_near(e->spread_s, 0.0, 1e-9);
	assert_int_equal(e->data_observations, 0);
	assert_near(e->data_timeout_s, -1.0, 1e-9);
	net_free(n);
}

/* An upload, 5 s idle, then vsftpd's 421 and FINs; captured twice over
 * when twice (as on a bridge). Returns the result; *t226 and *t421 get
 * the times of those replies. */
static struct fst_session_result *idle_story(struct net *n, bool twice, int64_t *t226,
					     int64_t *t421)
{
	struct conn c;

	n->twice = twice;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	*t226 = upload_complete(&c, 54400, 50000, "upload/a.bin", 16);
	at(n, *t226 + 5 * SEC);
	*t421 = sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);
	return only_result(n);
}

/* The idle story captured with every packet twice: the same verdict and
 * gap, no retransmission, and the note that duplicates were dropped. */
static void test_duplicated_packets_change_nothing(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	int64_t t226, t421;

	(void)state;
	r = idle_story(n, true, &t226, &t421);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t226, t421);
	assert_near(gap_s(decisive(r)), 5.0, 1e-6);
	for (size_t i = 0; i < r->gap_count; i++)
		assert_int_not_equal(r->gaps[i].waiting_on, FST_WAIT_NETWORK);
	assert_true(r->capture_notes & FST_NOTE_BIT(FST_NOTE_DUPLICATES_REMOVED));
	assert_int_equal(fst_tcp_stats(n->tcp)->retransmissions, 0);
	assert_true(fst_tcp_stats(n->tcp)->duplicates > 0);
	net_free(n);

	/* Once only: no such note. */
	n = net_new(NULL);
	r = idle_story(n, false, &t226, &t421);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_false(r->capture_notes & FST_NOTE_BIT(FST_NOTE_DUPLICATES_REMOVED));
	assert_int_equal(fst_tcp_stats(n->tcp)->duplicates, 0);
	net_free(n);
}

/* A QUIT written after the server's FIN is a write into a dead
 * connection, not an orderly goodbye: still idle_timeout. */
static void test_quit_after_server_fin_is_not_clean(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tfin;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 5 * SEC);
	sv(&c, "421 Timeout.\r\n");
	tfin = send_fin(&c, FST_DIR_SERVER);
	at(n, tfin + SEC);
	cl(&c, "QUIT\r\n");
	send_rst(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_false(r->close.quit_seen);
	assert_true(r->close.client_wrote_after_close);
	assert_string_equal(r->close.client_write_command, "QUIT");
	assert_true(r->close.reset_after_write);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 2. ProFTPD idle timeout right after login, stated seconds */

static void test_proftpd_idle_after_login(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, t421, tfin;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, PROFTPD_BANNER);
	at(n, t230 + 600 * SEC);
	t421 = sv(&c, "421 Idle timeout (600 seconds): closing control connection\r\n");
	tfin = server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t230, t421);
	assert_int_equal(r->session->transfer_count, 0);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_int_equal(r->close.ts_us, tfin);
	assert_int_equal(r->close.reply_code, 421);
	assert_near(r->close.after_idle_s, 600.0, 0.01);
	assert_false(r->close.mid_transfer);
	assert_int_equal(r->stated_timeout_s, 600);
	assert_non_null(r->profile);
	assert_string_equal(r->profile->software, "ProFTPD");
	assert_contains(recommendation_of(r), "TimeoutIdle");
	assert_not_contains(recommendation_of(r), "idle_session_timeout");
	assert_near(server_estimate(n, SERVER_IP)->idle_timeout_s, 600.0, 0.01);
	net_free(n);
}

/* The server closes after the idle without announcing it (no 421). */
static void test_idle_timeout_without_reply(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tfin;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, "220 Welcome to the archive\r\n");
	at(n, t230 + 90 * SEC);
	tfin = server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t230, tfin);
	assert_true(decisive(r)->before_close);
	assert_int_equal(r->close.reply_code, 0);
	assert_near(r->close.after_idle_s, 90.0, 0.01);
	assert_null(r->profile);
	assert_contains(summary_of(r), "90.0 s");
	assert_contains(recommendation_of(r), "idle timeout");
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 1);
	assert_near(server_estimate(n, SERVER_IP)->idle_timeout_s, 90.0, 0.01);
	net_free(n);
}

/* An unknown banner: the profile comes from the 421 text (IIS), which
 * also states its timeout. */
static void test_profile_from_421_text(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, "220 Welcome\r\n");
	at(n, t230 + 120 * SEC);
	sv(&c, "421 Timeout (120 seconds): closing control connection.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_null(r->session->software);
	assert_non_null(r->profile);
	assert_string_equal(r->profile->software, "Microsoft FTP Service (IIS)");
	assert_int_equal(r->stated_timeout_s, 120);
	assert_contains(recommendation_of(r), "controlChannelTimeout");
	net_free(n);
}

/* Pure-FTPd counts NOOP-only sessions as idle: no NOOP advice. */
static void test_pureftpd_no_noop_advice(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
			 "220 You will be disconnected after 15 minutes of inactivity.\r\n");
	at(n, t230 + 900 * SEC);
	sv(&c, "421 Timeout - try typing a little faster next time\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_non_null(r->profile);
	assert_string_equal(r->profile->software, "Pure-FTPd");
	assert_contains(recommendation_of(r), "-I");
	assert_contains(recommendation_of(r), "NOOP keepalives do not help");
	assert_not_contains(recommendation_of(r), "make the client send NOOP");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 3. data_timeout on an upload */

/* Login, STOR with 150, the client sends ten chunks 100 ms apart and
 * then nothing for 10 s; vsftpd's data_connection_timeout sends its 421.
 * *tlast: the last data; *t421: the reply. */
static void upload_stalls(struct net *n, struct conn *c, struct conn *d, int64_t *tlast,
			  int64_t *t421)
{
	control_open(c, n);
	login(c, VSFTPD_BANNER);
	cl(c, "TYPE I\r\n");
	sv(c, "200 Switching to Binary mode.\r\n");
	pasv(c, 50000);
	conn_open(d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(c, "STOR backup.tar\r\n");
	sv(c, "150 Ok to send data.\r\n");
	for (int i = 0; i < 10; i++) {
		idle(n, 100 * MS);
		*tlast = send_fill(d, FST_DIR_CLIENT, 1460);
		send_ack(d, FST_DIR_SERVER);
	}
	at(n, *tlast + 10 * SEC);
	*t421 = sv(c, "421 Data timeout. Reconnect. Sorry.\r\n");
}

static void expect_upload_data_timeout(struct net *n, int64_t tlast)
{
	struct fst_session_result *r = only_result(n);
	const struct fst_gap *g;
	const struct fst_server_estimate *e;

	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_data_stalled");
	assert_int_equal(r->timer, FST_TIMER_DATA);
	g = decisive(r);
	expect_decisive(r, FST_CHANNEL_DATA, FST_WAIT_CLIENT, tlast, 0);
	assert_int_equal(g->transfer_id, 1);
	assert_near(gap_s(g), 10.0, 0.01);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_int_equal(r->close.reply_code, 421);
	assert_string_equal(r->close.reply_text, "Data timeout. Reconnect. Sorry.");
	assert_contains(summary_of(r), "10.0 s");
	assert_contains(summary_of(r), "waiting on client");
	assert_contains(recommendation_of(r), "data_connection_timeout");
	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->observations, 0);
	assert_int_equal(e->data_observations, 1);
	assert_near(e->data_timeout_s, 10.0, 0.01);
}

/* vsftpd exits: the data connection gets its FIN right after the 421,
 * then the control connection. */
static void test_upload_data_timeout(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c, d;
	int64_t tlast = 0, t421 = 0;

	(void)state;
	upload_stalls(n, &c, &d, &tlast, &t421);
	send_fin(&d, FST_DIR_SERVER);
	server_closes(&c);
	send_fin(&d, FST_DIR_CLIENT);
	send_ack(&d, FST_DIR_SERVER);
	net_finish(n);
	expect_upload_data_timeout(n, tlast);
	net_free(n);
}

/* The same, but the capture shows no close of the data connection
 * (the capture stopped first, or the FIN was not captured). */
static void test_upload_data_timeout_data_left_open(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c, d;
	int64_t tlast = 0, t421 = 0;

	(void)state;
	upload_stalls(n, &c, &d, &tlast, &t421);
	server_closes(&c);
	net_finish(n);
	expect_upload_data_timeout(n, tlast);
	net_free(n);
}

/* No transfer ever ran and no data connection exists; the server's 421
 * after the client's idle merely mentions data. A reply's words alone
 * never make a data timeout: this is the idle timer. */
static void test_data_words_alone_not_data_timeout(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, "220 FTP server ready.\r\n");
	at(n, t230 + 5 * SEC);
	sv(&c, "421 Timeout: no data received for 5 seconds.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_int_equal(r->timer, FST_TIMER_IDLE);
	net_free(n);
}

/* The client reads the unsolicited 421 and sends its FIN before the
 * server's: still the server's idle timeout, not a clean close. */
static void test_idle_timeout_client_fins_first(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, t421;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 3 * SEC);
	t421 = sv(&c, "421 Timeout.\r\n");
	idle(n, 100);
	send_fin(&c, FST_DIR_CLIENT);
	send_fin(&c, FST_DIR_SERVER);
	send_ack(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t230, t421);
	assert_int_equal(r->close.by, FST_CLOSE_BY_CLIENT);
	assert_int_equal(r->close.reply_code, 421);
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 1);
	net_free(n);
}

/* vsftpd closes a stalled upload's data connection; the client closes
 * control before the 421 arrives: the server's data timeout. */
static void test_upload_data_cut_client_closes_first(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tlast = 0, tcut;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "STOR backup.tar\r\n");
	sv(&c, "150 Ok to send data.\r\n");
	for (int i = 0; i < 5; i++) {
		idle(n, 100 * MS);
		tlast = send_fill(&d, FST_DIR_CLIENT, 1460);
		send_ack(&d, FST_DIR_SERVER);
	}
	at(n, tlast + 4 * SEC);
	tcut = send_fin(&d, FST_DIR_SERVER);
	idle(n, 200);
	send_fin(&c, FST_DIR_CLIENT);
	send_fin(&d, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_DATA, FST_WAIT_CLIENT, tlast, tcut);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 4. a data stall caused by the receiver (zero window) */

/* RETR: the server sends three chunks, the client's last ACK advertises
 * a zero window. Returns the time of the last data. */
static int64_t download_then_zero_window(struct net *n, struct conn *c, struct conn *d)
{
	int64_t tlast = 0;

	control_open(c, n);
	login(c, VSFTPD_BANNER);
	pasv(c, 50000);
	conn_open(d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(c, "RETR big.iso\r\n");
	sv(c, "150 Opening BINARY mode data connection for big.iso (104857600 bytes).\r\n");
	for (int i = 0; i < 3; i++) {
		tlast = send_fill(d, FST_DIR_SERVER, 1460);
		send_ack(d, FST_DIR_CLIENT);
	}
	d->win[FST_DIR_CLIENT] = 0;
	send_ack(d, FST_DIR_CLIENT);
	return tlast;
}

/* The window opens again after 10 s and the download completes: the
 * data gap waited on the receiver. */
static void test_zero_window_gap_waits_on_receiver(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_gap *g;
	struct conn c, d;
	int64_t tlast, tresume;

	(void)state;
	tlast = download_then_zero_window(n, &c, &d);
	at(n, tlast + 10 * SEC);
	d.win[FST_DIR_CLIENT] = 65535;
	send_ack(&d, FST_DIR_CLIENT);
	tresume = send_fill(&d, FST_DIR_SERVER, 1460);
	send_ack(&d, FST_DIR_CLIENT);
	close_both(&d, FST_DIR_SERVER);
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	g = must_find_gap(r, FST_CHANNEL_DATA, FST_WAIT_RECEIVER);
	assert_int_equal(g->start_us, tlast);
	assert_int_equal(g->end_us, tresume);
	assert_int_equal(g->transfer_id, 1);
	assert_false(g->before_close);
	net_free(n);
}

/* A download that runs 10 s without a pause, then 226: the control
 * connection was quiet because the data connection was busy, which is
 * normal FTP ("none"); the server owed its 226 only for the last
 * millisecond, so no control gap may wait on the server (nor on the
 * client). */
static void test_long_transfer_control_gap_waits_on_nobody(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_gap *g;
	struct conn c, d;
	int64_t t150, t226;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	t150 = sv(&c, "150 Opening BINARY mode data connection for big.iso.\r\n");
	for (int i = 0; i < 20; i++) {
		at(n, t150 + (i + 1) * 500 * MS);
		send_fill(&d, FST_DIR_SERVER, 1460);
		send_ack(&d, FST_DIR_CLIENT);
	}
	close_both(&d, FST_DIR_SERVER);
	t226 = sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	expect_no_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER);
	expect_no_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT);
	g = must_find_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_NONE);
	assert_int_equal(g->start_us, t150);
	assert_int_equal(g->end_us, t226);
	assert_near(server_estimate(n, SERVER_IP)->longest_survived_s, 0.0, 1e-9);
	net_free(n);
}

/* The window stays shut and the server's data timeout fires: the data
 * gap decides, it waited on the receiver, and the receiver that kept its
 * window shut, the downloading client, is the stalled side; the summary
 * names the same side. */
static void test_zero_window_data_timeout_stalls_client(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tlast;

	(void)state;
	tlast = download_then_zero_window(n, &c, &d);
	at(n, tlast + 10 * SEC);
	sv(&c, "421 Data timeout. Reconnect. Sorry.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_DATA, FST_WAIT_RECEIVER, tlast, 0);
	assert_near(gap_s(decisive(r)), 10.0, 0.01);
	assert_contains(summary_of(r), "waiting on the client, the receiver");
	assert_not_contains(summary_of(r), "server, the receiver");
	assert_contains(recommendation_of(r), "client stopped reading");
	net_free(n);
}

/* STOR: the server stops reading and advertises a zero window; the
 * client cannot send and vsftpd's data timeout fires. The server, the
 * receiver, stalled the transfer. A zero window the sender advertises
 * (the client's, on data it does not receive) blames nobody. */
static void test_zero_window_upload_stalls_server(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tlast = 0;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "STOR backup.tar\r\n");
	sv(&c, "150 Ok to send data.\r\n");
	for (int i = 0; i < 3; i++) {
		tlast = send_fill(&d, FST_DIR_CLIENT, 1460);
		send_ack(&d, FST_DIR_SERVER);
	}
	d.win[FST_DIR_SERVER] = 0;
	send_ack(&d, FST_DIR_SERVER);
	at(n, tlast + 10 * SEC);
	sv(&c, "421 Data timeout. Reconnect. Sorry.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_DATA, FST_WAIT_RECEIVER, tlast, 0);
	assert_contains(summary_of(r), "waiting on the server, the receiver");
	net_free(n);
}

/* The sender's own zero window (the downloading server's, on a
 * connection it only sends on) does not stop the data: the gap waited
 * on the sender. */
static void test_zero_window_of_sender_ignored(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tlast = 0;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection for big.iso (104857600 bytes).\r\n");
	d.win[FST_DIR_SERVER] = 0;
	for (int i = 0; i < 3; i++) {
		tlast = send_fill(&d, FST_DIR_SERVER, 1460);
		send_ack(&d, FST_DIR_CLIENT);
	}
	at(n, tlast + 10 * SEC);
	sv(&c, "421 Data timeout. Reconnect. Sorry.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_DATA, FST_WAIT_SERVER, tlast, 0);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 4b. data_connection_failed: a data connection that never opened */

/* Only a SYN from the connecting side of d, at the packet clock. */
static void send_syn(struct conn *d)
{
	seg(d, FST_DIR_CLIENT, FST_TCP_SYN, d->nxt[FST_DIR_CLIENT], 0, NULL, 0, 0);
}

/* The client's SYN from cport to the server's port, refused with a
 * reset. */
static void syn_refused(struct net *n, uint16_t cport, uint16_t port)
{
	struct conn d;

	conn_init(&d, n, CLIENT_IP, cport, SERVER_IP, port);
	send_syn(&d);
	seg(&d, FST_DIR_SERVER, FST_TCP_RST | FST_TCP_ACK, 0, d.nxt[FST_DIR_CLIENT] + 1, NULL, 0,
	    0);
}

/* QUIT, 221, the server's FIN first. */
static void quit(struct conn *c)
{
	cl(c, "QUIT\r\n");
	sv(c, "221 Goodbye.\r\n");
	server_closes(c);
}

#define expect_connect_failed(r, rule_transfer)                                             \
	do {                                                                                \
		expect_verdict(r, FST_VERDICT_DATA_CONNECTION_FAILED, FST_STALLED_NETWORK); \
		assert_string_equal((r)->verdict_rule, "data_connection_never_opened");     \
		assert_int_equal((r)->timer, FST_TIMER_NONE);                               \
		assert_int_equal((r)->connect_failed_transfer, (rule_transfer));            \
		assert_true(fst_verdict_is_incident((r)->verdict));                         \
	} while (0)

/* A firewall drops the SYNs to the passive port; the client sent RETR
 * at once and vsftpd gives up waiting (accept_timeout) with 425; the
 * client then QUITs in order. Not clean: the transfer never got a data
 * connection. */
static void test_connect_failed_pasv_unanswered_425(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tretr;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	send_syn(&d);
	tretr = cl(&c, "RETR big.iso\r\n");
	at(n, tretr + SEC);
	send_syn(&d);
	at(n, tretr + 3 * SEC);
	sv(&c, "425 Failed to establish connection.\r\n");
	quit(&c);
	net_finish(n);

	r = only_result(n);
	expect_connect_failed(r, 1);
	assert_true(r->close.quit_seen);
	assert_int_equal(r->decisive_gap_index, FST_NO_GAP);
	assert_contains(summary_of(r), "RETR big.iso never opened");
	assert_contains(summary_of(r), "the client's SYNs to 198.51.100.20:50000 went unanswered");
	assert_contains(summary_of(r),
			"answered RETR with \"425 Failed to establish connection.\" after 3.0 s");
	assert_not_contains(summary_of(r), "NAT");
	assert_contains(recommendation_of(r), "vsftpd's pasv_min_port/pasv_max_port");
	assert_not_contains(recommendation_of(r), "pasv_address");
	net_free(n);
}

/* The listener resets the SYN (nft "reject with tcp reset"); curl falls
 * back from EPSV to PASV, is refused again and gives up before any
 * transfer command, then QUITs. */
static void test_connect_failed_refused_unclaimed(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "EPSV\r\n");
	sv(&c, "229 Entering Extended Passive Mode (|||50000|)\r\n");
	syn_refused(n, 54400, 50000);
	pasv(&c, 50001);
	syn_refused(n, 54401, 50001);
	quit(&c);
	net_finish(n);

	r = only_result(n);
	expect_connect_failed(r, 0);
	assert_contains(summary_of(r),
			"the client's SYN to 198.51.100.20:50001 was refused with a reset");
	assert_contains(summary_of(r), "gave up without sending a transfer command");
	net_free(n);
}

/* Active mode: the client's firewall drops the server's SYNs to the
 * PORT address; vsftpd's connect_timeout ends in 425. */
static void test_connect_failed_active(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tretr;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "PORT 192,0,2,10,195,80\r\n");
	sv(&c, "200 PORT command successful. Consider using PASV.\r\n");
	tretr = cl(&c, "RETR big.iso\r\n");
	conn_init(&d, n, SERVER_IP, 40123, CLIENT_IP, 50000);
	send_syn(&d);
	at(n, tretr + SEC);
	send_syn(&d);
	at(n, tretr + 3 * SEC);
	sv(&c, "425 Failed to establish connection.\r\n");
	quit(&c);
	net_finish(n);

	r = only_result(n);
	expect_connect_failed(r, 1);
	assert_contains(summary_of(r), "the server's SYNs to 192.0.2.10:50000 went unanswered");
	assert_contains(recommendation_of(r), "Use passive mode");
	assert_contains(recommendation_of(r), "FTP helper");
	net_free(n);
}

/* vsftpd's pasv_address points at an address nobody has: the client's
 * SYNs go there unanswered and ftplib gives up before its RETR. The
 * summary says the announced address is not the control address. */
static void test_connect_failed_pasv_address_elsewhere(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (10,99,99,99,195,80).\r\n");
	conn_init(&d, n, CLIENT_IP, 54400, "10.99.99.99", 50000);
	send_syn(&d);
	idle(n, SEC);
	send_syn(&d);
	idle(n, 2 * SEC);
	quit(&c);
	net_finish(n);

	r = only_result(n);
	expect_connect_failed(r, 0);
	assert_contains(summary_of(r), "SYNs to 10.99.99.99:50000 went unanswered");
	assert_contains(summary_of(r),
			"announced 10.99.99.99:50000, not its control address 198.51.100.20");
	assert_contains(recommendation_of(r), "vsftpd's pasv_address");
	net_free(n);
}

/* A capture of the control connection only (port 21): the 227s announce
 * a public address that is not the server's, the transfers complete;
 * their data connections are missing from the capture, which is no
 * failure. Nor is a 425 to a RETR that no PASV or PORT announced, nor a
 * 426 without any SYN in the capture. */
static void test_connect_not_failed_without_evidence(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (203,0,113,5,195,80).\r\n");
	cl(&c, "RETR a.txt\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "RETR b.txt\r\n");
	sv(&c, "425 Use PORT or PASV first.\r\n");
	quit(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	net_free(n);

	n = net_new(NULL);
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	cl(&c, "RETR a.txt\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	sv(&c, "426 Failure writing network stream.\r\n");
	quit(&c);
	net_finish(n);
	r = only_result(n);
	assert_int_not_equal(r->verdict, FST_VERDICT_DATA_CONNECTION_FAILED);
	net_free(n);
}

/* The EPSV port is refused, the PASV one opens and the transfer
 * completes: the client got through, the session is clean. */
static void test_connect_failed_then_recovered(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d2;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "EPSV\r\n");
	sv(&c, "229 Entering Extended Passive Mode (|||50000|)\r\n");
	syn_refused(n, 54400, 50000);
	pasv(&c, 50001);
	conn_open(&d2, n, CLIENT_IP, 54401, SERVER_IP, 50001);
	cl(&c, "RETR a.txt\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_fill(&d2, FST_DIR_SERVER, 100);
	close_both(&d2, FST_DIR_SERVER);
	sv(&c, "226 Transfer complete.\r\n");
	quit(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 5. the network: outstanding data retransmitted during the gap */

static void test_retransmissions_gap_waits_on_network(void **state)
{
	static const int64_t rto_ms[] = { 300, 900, 2100, 4500, 9300 };
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_gap *g;
	struct conn c, d;
	int64_t tlast, tresume;
	uint32_t lost_seq;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection for big.iso (8760 bytes).\r\n");
	send_fill(&d, FST_DIR_SERVER, 1460);
	send_ack(&d, FST_DIR_CLIENT);
	lost_seq = d.nxt[FST_DIR_SERVER];
	tlast = send_fill(&d, FST_DIR_SERVER, 1460); /* never acknowledged */
	for (size_t i = 0; i < sizeof(rto_ms) / sizeof(rto_ms[0]); i++) {
		at(n, tlast + rto_ms[i] * MS);
		seg(&d, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_PSH, lost_seq, d.nxt[FST_DIR_CLIENT],
		    fill, 1460, 1460);
	}
	send_ack(&d, FST_DIR_CLIENT); /* the path works again */
	tresume = send_fill(&d, FST_DIR_SERVER, 1460);
	send_ack(&d, FST_DIR_CLIENT);
	close_both(&d, FST_DIR_SERVER);
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	g = must_find_gap(r, FST_CHANNEL_DATA, FST_WAIT_NETWORK);
	assert_int_equal(g->start_us, tlast);
	assert_int_equal(g->end_us, tresume);
	assert_near(gap_s(g), 9.3, 0.01);
	assert_null(find_gap(r, FST_CHANNEL_DATA, FST_WAIT_SERVER));
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 6. server_unresponsive */

/* PWD never answered; the client gives up after 8 s with a FIN. The
 * frozen server's kernel ACKs it but never sends its own FIN. */
static void test_server_unresponsive_client_gives_up(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tpwd, tfin;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	tpwd = cl(&c, "PWD\r\n");
	send_ack(&c, FST_DIR_SERVER);
	at(n, tpwd + 8 * SEC);
	tfin = send_fin(&c, FST_DIR_CLIENT);
	send_ack(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tpwd, tfin);
	assert_true(decisive(r)->before_close);
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	assert_false(r->close.rst);
	assert_int_equal(r->close.ts_us, tfin);
	assert_near(r->close.after_idle_s, 8.0, 0.01);
	assert_contains(summary_of(r), "8.0 s");
	assert_contains(summary_of(r), "client gave up");
	assert_contains(recommendation_of(r), "Check the server");
	net_free(n);
}

/* The server closes without ever answering the command it owed. */
static void test_server_unresponsive_server_closes(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tcmd, tfin;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	tcmd = cl(&c, "CWD /backup\r\n");
	at(n, tcmd + 8 * SEC);
	tfin = server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	assert_string_equal(r->verdict_rule, "server_owed_reply_no_data");
	assert_int_equal(r->timer, FST_TIMER_NONE);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tcmd, tfin);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_contains(summary_of(r), "without answering");
	net_free(n);
}

/* The server closes 0.5 s after a command it never answered: below the
 * gap threshold, yet it owed the reply, and docs/verdicts.md applies
 * server_closed_owed_reply before server_closed_no_idle (a quick close
 * after a 530 is clean; one that leaves a command unanswered is not). */
static void test_server_unresponsive_quick_close(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tcmd, tfin;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	tcmd = cl(&c, "CWD /backup\r\n");
	at(n, tcmd + 500 * MS);
	tfin = server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	assert_string_equal(r->verdict_rule, "server_closed_owed_reply");
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tcmd, tfin);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_near(r->close.after_idle_s, 0.5, 0.01);
	net_free(n);
}

/* The unanswered command is a RETR (no 150, no data connection used):
 * the transfer "had no final reply", but the server owed the reply and
 * went silent, and docs/verdicts.md applies server_unresponsive before
 * data_timeout. */
static void test_server_unresponsive_transfer_command(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tcmd, tfin;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	tcmd = cl(&c, "RETR big.iso\r\n");
	at(n, tcmd + 8 * SEC);
	tfin = server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tcmd, tfin);
	net_free(n);
}

/* The capture ends after a long gap the server owed (the session is
 * still open): docs/verdicts.md says server_unresponsive, not
 * incomplete. Another connection keeps the capture going. */
static void test_server_unresponsive_capture_ends(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, other_conn;
	int64_t tcmd, tend;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	tcmd = cl(&c, "SIZE big.iso\r\n");
	send_ack(&c, FST_DIR_SERVER);
	at(n, tcmd + 30 * SEC);
	conn_open(&other_conn, n, CLIENT2_IP, 40000, SERVER2_IP, 443);
	tend = n->now - STEP_US;
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tcmd, tend);
	assert_close_by(r, FST_CLOSE_BY_NONE);
	assert_contains(summary_of(r), "capture ended");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 7. middlebox_reset by TTL */

static void test_middlebox_reset_by_ttl(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, trst;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	c.ttl[FST_DIR_SERVER] = 52; /* the server is 12 hops away */
	handshake(&c);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 30 * SEC);
	trst = send_rst_ttl(&c, FST_DIR_SERVER, 64); /* forged a hop away */
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_RESET, FST_STALLED_NETWORK);
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_true(r->close.rst);
	assert_int_equal(r->close.ts_us, trst);
	assert_true(r->close.rst_ttl_mismatch);
	assert_int_equal(r->close.rst_ttl, 64);
	assert_int_equal(r->close.peer_ttl, 52);
	assert_int_equal(r->close.reply_code, 0);
	assert_near(r->close.after_idle_s, 30.0, 0.01);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t230, trst);
	assert_contains(summary_of(r), "TTL 64");
	assert_contains(summary_of(r), "TTL 52");
	assert_contains(summary_of(r), "30.0 s");
	assert_contains(recommendation_of(r), "firewall/NAT");
	/* Not an idle-timeout observation of the server. */
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	net_free(n);
}

/* A reset "from the client" whose TTL differs from the client's. */
static void test_middlebox_reset_toward_server(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 30 * SEC);
	send_rst_ttl(&c, FST_DIR_CLIENT, 250);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_RESET, FST_STALLED_NETWORK);
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_true(r->close.rst_ttl_mismatch);
	assert_int_equal(r->close.rst_ttl, 250);
	assert_int_equal(r->close.peer_ttl, 64);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 8. the classic NAT case */

/* A long RETR: data every 0.5 s for 20 s, the control connection silent
 * throughout; then the control connection is reset, with the server's
 * usual TTL and without any 226. */
static void test_nat_resets_silent_control_during_retr(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150, trst;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	c.ttl[FST_DIR_SERVER] = 52;
	handshake(&c);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	d.ttl[FST_DIR_SERVER] = 52;
	handshake(&d);
	cl(&c, "RETR huge.iso\r\n");
	t150 = sv(&c, "150 Opening BINARY mode data connection for huge.iso.\r\n");
	for (int i = 0; i < 40; i++) {
		at(n, t150 + (i + 1) * 500 * MS);
		send_fill(&d, FST_DIR_SERVER, 1460);
		send_ack(&d, FST_DIR_CLIENT);
	}
	at(n, t150 + 20 * SEC + 100 * MS);
	trst = send_rst(&c, FST_DIR_SERVER);
	idle(n, 400 * MS);
	send_fill(&d, FST_DIR_SERVER, 1460);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_RESET, FST_STALLED_NETWORK);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_NONE, t150, trst);
	/* A middlebox_* verdict names the middlebox as the closer. */
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_near(r->path_idle_s, 20.1, 0.01);
	assert_true(r->close.rst);
	assert_false(r->close.rst_ttl_mismatch);
	assert_int_equal(r->close.reply_code, 0);
	assert_true(r->close.mid_transfer);
	assert_contains(summary_of(r), "NAT/firewall idle timeout");
	assert_contains(summary_of(r), "20.1 s");
	assert_not_contains(summary_of(r), "client was idle");
	assert_contains(recommendation_of(r), "firewall/NAT");
	assert_contains(recommendation_of(r), "NOOP");
	/* No data gap: the data never paused for a second. */
	assert_null(find_gap(r, FST_CHANNEL_DATA, FST_WAIT_SERVER));
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 8b. a path that stops delivering (middlebox_drop) */

static double seconds_between(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

/* The segment of dir that began at seq, sent again (a retransmission). */
static int64_t resend(struct conn *c, enum fst_tcp_dir dir, uint32_t seq, const char *text)
{
	return seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, seq, c->nxt[other(dir)], text,
		   (uint32_t)strlen(text), (uint32_t)strlen(text));
}

/* After 300 s of idle the client's NOOP is retransmitted, never ACKed,
 * and the capture ends: the NAT forgot the connection. */
static void test_path_drops_noop_after_idle(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tnoop;
	uint32_t seq;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	send_ack(&c, FST_DIR_CLIENT);
	at(n, t230 + 300 * SEC);
	seq = c.nxt[FST_DIR_CLIENT];
	tnoop = cl(&c, "NOOP\r\n");
	for (int i = 0; i < 4; i++) {
		at(n, tnoop + (200 << i) * MS);
		resend(&c, FST_DIR_CLIENT, seq, "NOOP\r\n");
	}
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_DROP, FST_STALLED_NETWORK);
	assert_string_equal(r->verdict_rule, "path_stopped_delivering");
	assert_int_equal(r->timer, FST_TIMER_IDLE);
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_near(r->path_idle_s, 300.0, 0.01);
	assert_int_equal(r->path.evidence, FST_PATH_WRITE_UNACKED);
	assert_int_equal(r->path.writer, FST_SIDE_CLIENT);
	assert_int_equal(r->path.retransmissions, 4);
	assert_string_equal(r->path.command, "NOOP");
	assert_contains(summary_of(r), "NOOP after 300.0 s of idle");
	assert_contains(summary_of(r), "capture at the server");
	assert_contains(recommendation_of(r), "TCP keepalives");
	net_free(n);
}

/* The server ACKs the NOOP and stays silent: the path delivered it, so
 * the server is to blame, not the path. */
static void test_server_acked_request_is_not_the_path(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tnoop;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 300 * SEC);
	tnoop = cl(&c, "NOOP\r\n");
	send_ack(&c, FST_DIR_SERVER);
	at(n, tnoop + 20 * SEC);
	send_ack(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	assert_true(r->path_idle_s < 0);
	net_free(n);
}

/* A NOOP after an idle retransmitted once, then ACKed and answered: a
 * lost segment, not a path that forgot the connection. */
static void test_retransmitted_then_acked_is_not_the_path(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tnoop;
	uint32_t seq;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 300 * SEC);
	seq = c.nxt[FST_DIR_CLIENT];
	tnoop = cl(&c, "NOOP\r\n");
	at(n, tnoop + 200 * MS);
	resend(&c, FST_DIR_CLIENT, seq, "NOOP\r\n");
	sv(&c, "200 NOOP ok.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	close_both(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	net_free(n);
}

/* A slow RETR, seen at the server: the data flows for 10 s while the
 * control connection is silent, the client ACKs it to its end (FIN
 * included); then the server's 226 is retransmitted and never ACKed. */
static int64_t retr_at_server(struct net *n, struct conn *c, struct conn *d, bool client_acks)
{
	int64_t t150;

	control_open(c, n);
	login(c, VSFTPD_BANNER);
	pasv(c, 50000);
	conn_init(d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	handshake(d);
	cl(c, "RETR big.iso\r\n");
	t150 = sv(c, "150 Opening BINARY mode data connection for big.iso.\r\n");
	send_ack(c, FST_DIR_CLIENT);
	for (int i = 0; i < 20; i++) {
		at(n, t150 + (i + 1) * 500 * MS);
		send_fill(d, FST_DIR_SERVER, 1460);
		if (client_acks)
			send_ack(d, FST_DIR_CLIENT);
	}
	send_fin(d, FST_DIR_SERVER);
	if (client_acks) {
		send_fin(d, FST_DIR_CLIENT);
		send_ack(d, FST_DIR_SERVER);
	}
	return t150;
}

static void test_path_drops_226_seen_at_server(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150, t226;
	uint32_t seq;

	(void)state;
	t150 = retr_at_server(n, &c, &d, true);
	seq = c.nxt[FST_DIR_SERVER];
	t226 = sv(&c, "226 Transfer complete.\r\n");
	for (int i = 0; i < 5; i++) {
		at(n, t226 + (200 << i) * MS);
		resend(&c, FST_DIR_SERVER, seq, "226 Transfer complete.\r\n");
	}
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_DROP, FST_STALLED_NETWORK);
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_int_equal(r->path.evidence, FST_PATH_WRITE_UNACKED);
	assert_int_equal(r->path.writer, FST_SIDE_SERVER);
	assert_int_equal(r->path.reply_code, 226);
	assert_true(r->path.data_acked);
	assert_near(r->path_idle_s, seconds_between(t150, t226), 0.01);
	assert_contains(summary_of(r), "226 reply after 10.0 s of idle");
	assert_contains(summary_of(r), "ACKed the data connection to its end");
	assert_contains(summary_of(r), "capture at the client");
	net_free(n);
}

/* The same 226 unACKed, but the client never ACKed the data either: it
 * may have died; nothing shows the path failed. */
static void test_226_unacked_without_live_client_is_not_the_path(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t226;
	uint32_t seq;

	(void)state;
	retr_at_server(n, &c, &d, false);
	seq = c.nxt[FST_DIR_SERVER];
	t226 = sv(&c, "226 Transfer complete.\r\n");
	for (int i = 0; i < 5; i++) {
		at(n, t226 + (200 << i) * MS);
		resend(&c, FST_DIR_SERVER, seq, "226 Transfer complete.\r\n");
	}
	net_finish(n);

	r = only_result(n);
	assert_int_not_equal(r->verdict, FST_VERDICT_MIDDLEBOX_DROP);
	net_free(n);
}

/* The same RETR seen at the client: the data ends, ACKed to its end, no
 * 226 comes; the client gives up after 6 s and its FIN is retransmitted. */
static void test_path_drops_226_seen_at_client(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150, tfin;

	(void)state;
	t150 = retr_at_server(n, &c, &d, true);
	tfin = n->now - 3 * STEP_US; /* the server's data FIN */
	at(n, tfin + 6 * SEC);
	send_fin(&c, FST_DIR_CLIENT);
	at(n, tfin + 6 * SEC + 200 * MS);
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, c.nxt[FST_DIR_CLIENT] - 1,
	    c.nxt[FST_DIR_SERVER], NULL, 0, 0);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_DROP, FST_STALLED_NETWORK);
	assert_close_by(r, FST_CLOSE_BY_MIDDLEBOX);
	assert_int_equal(r->path.evidence, FST_PATH_REPLY_MISSING);
	assert_true(r->path.client_gave_up);
	assert_near(r->path_idle_s, seconds_between(t150, tfin), 0.01);
	assert_contains(summary_of(r), "final reply never came");
	assert_contains(summary_of(r), "idle for 10.0 s through the transfer");
	assert_contains(summary_of(r), "gave up 6.0 s after the data ended");
	assert_contains(summary_of(r), "capture at the server");
	assert_not_contains(summary_of(r), "closed");
	net_free(n);
}

/* The same, but the client keeps its side of the data connection open
 * (it ACKs the server's FIN, sends none) and the capture ends 8 s later
 * with nothing more: the data connection closes only at the end of the
 * capture, after the control connection. */
static void test_path_drops_226_client_keeps_data_open(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150, tfin;

	(void)state;
	t150 = retr_at_server(n, &c, &d, false);
	tfin = n->now - STEP_US; /* the server's data FIN */
	send_ack(&d, FST_DIR_CLIENT);
	at(n, tfin + 8 * SEC);
	send_ack(&d, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_MIDDLEBOX_DROP, FST_STALLED_NETWORK);
	assert_int_equal(r->path.evidence, FST_PATH_REPLY_MISSING);
	assert_false(r->path.client_gave_up);
	assert_true(r->close.dropped);
	assert_int_equal(r->close.ts_us, tfin);
	assert_near(r->path_idle_s, seconds_between(t150, tfin), 0.01);
	net_free(n);
}

/* A short transfer: the control connection was not idle before the
 * data ended, so a missing 226 is no sign of the path. */
static void test_reply_missing_after_short_transfer_is_not_the_path(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	handshake(&d);
	cl(&c, "RETR small.txt\r\n");
	t150 = sv(&c, "150 Opening BINARY mode data connection for small.txt.\r\n");
	send_fill(&d, FST_DIR_SERVER, 1460);
	send_ack(&d, FST_DIR_CLIENT);
	close_both(&d, FST_DIR_SERVER);
	at(n, t150 + 10 * SEC);
	send_ack(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	assert_int_not_equal(r->verdict, FST_VERDICT_MIDDLEBOX_DROP);
	net_free(n);
}

/* TCP keepalives every second through a 6 s pause: counted, their
 * interval measured, not FTP activity (the FTP gap stays), and the path
 * that carried them listed with its bounds. */
static void test_keepalives_keep_path_open(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_path_estimate *e;
	struct conn c;
	int64_t t230;
	char words[FST_WORDS_MAX];

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	for (int i = 1; i <= 6; i++) {
		at(n, t230 + i * SEC);
		seg(&c, FST_DIR_CLIENT, FST_TCP_ACK, c.nxt[FST_DIR_CLIENT] - 1,
		    c.nxt[FST_DIR_SERVER], NULL, 0, 0);
		send_ack(&c, FST_DIR_SERVER);
	}
	at(n, t230 + 6500 * MS);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP ok.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	close_both(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_int_equal(r->keepalive.sender, FST_SIDE_CLIENT);
	assert_int_equal(r->keepalive.probes, 6);
	assert_int_equal(r->keepalive.answered, 6);
	assert_near(r->keepalive.interval_s, 1.0, 0.01);
	/* For FTP the client was idle all along. */
	must_find_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT);
	assert_near(r->path_survived_s, 1.0, 0.01);
	fst_words_keepalive(r, words, sizeof(words));
	assert_string_equal(
		words,
		"TCP keepalives from the client every 1.0 s kept the path open (6 probes, all answered)");
	e = fst_analysis_paths(n->an);
	assert_non_null(e);
	assert_null(e->next);
	assert_int_equal(e->failures, 0);
	assert_near(e->keepalive_interval_s, 1.0, 0.01);
	assert_near(e->longest_survived_s, 1.0, 0.01);
	net_free(n);
}

/* Two clients of one /24 to one server: one idles 60 s and its NOOP is
 * answered, the other idles 300 s and its NOOP is dropped. The path's
 * middlebox forgets idle connections after 60 to 300 s: Azure's 240 s
 * default fits, AWS's 350 s and Linux's 5 days do not. */
static void test_path_bounds_from_two_sessions(void **state)
{
	struct net *n = net_new(NULL);
	const struct fst_path_estimate *e;
	struct conn a, b;
	int64_t ta, tb, tnoop;
	uint32_t seq;
	char words[FST_WORDS_MAX];

	(void)state;
	conn_open(&a, n, CLIENT_IP, 40001, SERVER_IP, 21);
	ta = login(&a, VSFTPD_BANNER);
	at(n, ta + 60 * SEC);
	cl(&a, "NOOP\r\n");
	sv(&a, "200 NOOP ok.\r\n");
	cl(&a, "QUIT\r\n");
	sv(&a, "221 Goodbye.\r\n");
	close_both(&a, FST_DIR_SERVER);
	conn_open(&b, n, CLIENT2_IP, 40002, SERVER_IP, 21);
	tb = login(&b, VSFTPD_BANNER);
	at(n, tb + 300 * SEC);
	seq = b.nxt[FST_DIR_CLIENT];
	tnoop = cl(&b, "NOOP\r\n");
	for (int i = 0; i < 3; i++) {
		at(n, tnoop + (200 << i) * MS);
		resend(&b, FST_DIR_CLIENT, seq, "NOOP\r\n");
	}
	net_finish(n);

	expect_verdict(result_at(n, 1), FST_VERDICT_MIDDLEBOX_DROP, FST_STALLED_NETWORK);
	e = fst_analysis_paths(n->an);
	assert_non_null(e);
	assert_null(e->next);
	assert_int_equal(e->sessions, 2);
	assert_int_equal(e->failures, 1);
	assert_int_equal(e->prefix_len, 24);
	assert_near(e->longest_survived_s, 60.0, 0.01);
	assert_near(e->shortest_failed_s, 300.0, 0.01);
	fst_words_path_name(e, words, sizeof(words));
	assert_string_equal(words, "192.0.2.0/24 -> 198.51.100.20");
	fst_words_path(e, words, sizeof(words));
	assert_contains(words, "lies between 60.0 s");
	assert_contains(words, "and 300.0 s");
	assert_contains(words, "fits: Azure Load Balancer (240 s)");
	assert_contains(
		words,
		"rules out: Linux conntrack (established) (432000 s), AWS NAT gateway (350 s)");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 9. client_abort */

static void test_client_abort_during_retr(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t trst;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection for big.iso.\r\n");
	for (int i = 0; i < 5; i++) {
		idle(n, 100 * MS);
		send_fill(&d, FST_DIR_SERVER, 1460);
		send_ack(&d, FST_DIR_CLIENT);
	}
	trst = send_rst(&c, FST_DIR_CLIENT);
	send_rst(&d, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLIENT_ABORT, FST_STALLED_NONE);
	assert_true(fst_verdict_is_incident(r->verdict));
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	assert_true(r->close.rst);
	assert_int_equal(r->close.ts_us, trst);
	assert_true(r->close.mid_transfer);
	assert_false(r->close.quit_seen);
	assert_contains(summary_of(r), "reset");
	assert_contains(summary_of(r), "during a transfer");
	assert_contains(recommendation_of(r), "client's log");
	net_free(n);
}

/* The client resets the control connection 5 ms after a 10 s download
 * finished, without waiting for the 226: the server owed its 226 for
 * 5 ms, not for 10 s, so this is client_abort, not server_unresponsive. */
static void test_client_reset_right_after_download(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t t150, tdone;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	t150 = sv(&c, "150 Opening BINARY mode data connection for big.iso.\r\n");
	for (int i = 0; i < 20; i++) {
		at(n, t150 + (i + 1) * 500 * MS);
		send_fill(&d, FST_DIR_SERVER, 1460);
		send_ack(&d, FST_DIR_CLIENT);
	}
	close_both(&d, FST_DIR_SERVER);
	tdone = n->now;
	at(n, tdone + 5 * MS);
	send_rst(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLIENT_ABORT, FST_STALLED_NONE);
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	assert_true(r->close.rst);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 10. clean */

static void test_clean_quit(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	upload_complete(&c, 54400, 50000, "a.txt", 1);
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_false(fst_verdict_is_incident(r->verdict));
	assert_true(r->close.quit_seen);
	assert_true(r->close.goodbye_seen);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_int_equal(r->close.reply_code, 221);
	assert_string_equal(recommendation_of(r), "");
	assert_contains(summary_of(r), "QUIT");
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	assert_int_equal(r->recovered_by, 0);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* login_failed, and slow replies that are not unresponsiveness */

/* r has exactly one slow reply: verb's, answered with code; times
 * checked unless 0. */
static void expect_one_slow_reply(const struct fst_session_result *r, const char *verb, int code,
				  int64_t command_us, int64_t reply_us)
{
	if (r->slow_reply_count != 1)
		fail_msg("%zu slow replies, expected 1: %s", r->slow_reply_count, describe(r));
	assert_string_equal(r->slow_replies[0].verb_text, verb);
	assert_int_equal(r->slow_replies[0].code, code);
	if (command_us)
		assert_int_equal(r->slow_replies[0].command_us, command_us);
	if (reply_us)
		assert_int_equal(r->slow_replies[0].reply_us, reply_us);
}

/* Greeting, USER and a wrong PASS that the server refuses delay_us
 * later (0: at once). Returns the time of the 530; *tpass gets the
 * PASS's. */
static int64_t refused_login(struct conn *c, const char *user, int64_t delay_us, int64_t *tpass)
{
	char line[128];
	int64_t t;

	sv(c, VSFTPD_BANNER);
	snprintf(line, sizeof(line), "USER %s\r\n", user);
	cl(c, line);
	sv(c, "331 Please specify the password.\r\n");
	t = cl(c, "PASS wrong\r\n");
	if (tpass)
		*tpass = t;
	if (delay_us) {
		send_ack(c, FST_DIR_SERVER);
		at(c->net, t + delay_us);
	}
	return sv(c, "530 Login incorrect.\r\n");
}

/* vsftpd holds "530 Login incorrect." back 3 s (delay_failed_login);
 * the client closes right after it, without QUIT. The reply came: not
 * server_unresponsive (as it once was), but login_failed, with the
 * delay said and its knob named, and the slow reply kept as a finding. */
static void test_login_failed_delayed_530_client_closes(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tpass, t530;

	(void)state;
	control_open(&c, n);
	t530 = refused_login(&c, "backup", 3 * SEC, &tpass);
	close_both(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE);
	assert_true(fst_verdict_is_incident(r->verdict));
	assert_string_equal(r->verdict_rule, "failed_login_closed");
	assert_int_equal(r->timer, FST_TIMER_NONE);
	assert_null(fst_session_decisive_gap(r));
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	assert_false(r->login.succeeded);
	assert_int_equal(r->login.failures, 1);
	assert_int_equal(r->login.failed_code, 530);
	assert_int_equal(r->login.failed_verb, FST_VERB_PASS);
	assert_true(r->login.failed_delayed);
	expect_one_slow_reply(r, "PASS", 530, tpass, t530);
	assert_contains(summary_of(r), "\"530 Login incorrect.\" to PASS");
	assert_contains(summary_of(r), "3.0 s after it");
	assert_contains(summary_of(r), "client then closed the connection (FIN)");
	assert_contains(recommendation_of(r), "credentials");
	assert_contains(recommendation_of(r), "delay_failed_login");
	assert_not_contains(recommendation_of(r), "max_login_fails");
	net_free(n);
}

/* The server closes right after its delayed 530 (vsftpd's
 * max_login_fails): login_failed, not server_unresponsive (the gap
 * before the 530 waited on the server, but the reply came), and not
 * clean either. */
static void test_login_failed_server_closes(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	refused_login(&c, "alice", 2500 * MS, NULL);
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE);
	assert_close_by(r, FST_CLOSE_BY_SERVER);
	assert_false(r->close.quit_seen);
	assert_contains(summary_of(r), "server then closed the connection");
	assert_contains(recommendation_of(r), "max_login_fails");
	net_free(n);
}

/* A refusal at once, then QUIT and 221: still a failed login (a
 * brute-force series is a series of these), no delay said. */
static void test_login_failed_quit(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	refused_login(&c, "alice", 0, NULL);
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE);
	assert_false(r->login.failed_delayed);
	assert_int_equal(r->slow_reply_count, 0);
	assert_contains(summary_of(r), "client then sent QUIT");
	assert_not_contains(summary_of(r), "on purpose");
	assert_not_contains(recommendation_of(r), "not a stall");
	/* The server closed after the client's QUIT: not its limit. */
	assert_not_contains(recommendation_of(r), "max_login_fails");
	net_free(n);
}

/* After the 530 the client stays, idle, until the server's idle timer
 * sends 421 and closes: the evidence is the long idle the client owed
 * before the 421, so idle_timeout, not login_failed. */
static void test_login_failed_then_idle_timeout(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t530, t421;

	(void)state;
	control_open(&c, n);
	t530 = refused_login(&c, "alice", 0, NULL);
	at(n, t530 + 5 * SEC);
	t421 = sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, t530, t421);
	assert_int_equal(r->login.failures, 1);
	net_free(n);
}

/* After the 530 the client tries another user and the server never
 * answers that USER: a reply is owed at the close, so
 * server_unresponsive before login_failed. */
static void test_login_failed_then_unanswered_command(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tuser, tfin;

	(void)state;
	control_open(&c, n);
	refused_login(&c, "alice", 0, NULL);
	tuser = cl(&c, "USER bob\r\n");
	send_ack(&c, FST_DIR_SERVER);
	at(n, tuser + 8 * SEC);
	tfin = send_fin(&c, FST_DIR_CLIENT);
	send_ack(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tuser, tfin);
	net_free(n);
}

/* A refused login, then a good one in the same session: it logged in,
 * so no login_failed; the QUIT makes it clean. */
static void test_login_retry_succeeds(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	refused_login(&c, "alice", 0, NULL);
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Please specify the password.\r\n");
	cl(&c, "PASS right\r\n");
	sv(&c, "230 Login successful.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_true(r->login.succeeded);
	assert_int_equal(r->login.failures, 1);
	net_free(n);
}

/* A CWD answered 3 s late, and the client closes at once: a slow reply
 * (a finding), not server_unresponsive: nothing was owed at the close. */
static void test_slow_reply_answered_is_not_unresponsive(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tcwd, t250;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	tcwd = cl(&c, "CWD /backup\r\n");
	send_ack(&c, FST_DIR_SERVER);
	at(n, tcwd + 3 * SEC);
	t250 = sv(&c, "250 Directory successfully changed.\r\n");
	close_both(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	expect_one_slow_reply(r, "CWD", 250, tcwd, t250);
	net_free(n);
}

/* USER answered 1.5 s late, then PASS never answered; the client closes
 * 1.2 s after the PASS. Both gaps end within 2 s of the close, but the
 * USER's reply came: the unanswered PASS is the decisive gap. */
static void test_unanswered_gap_decides_over_answered(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tuser, tpass, tfin;

	(void)state;
	control_open(&c, n);
	sv(&c, VSFTPD_BANNER);
	tuser = cl(&c, "USER alice\r\n");
	at(n, tuser + 1500 * MS);
	sv(&c, "331 Please specify the password.\r\n");
	tpass = cl(&c, "PASS hunter2\r\n");
	at(n, tpass + 1200 * MS);
	tfin = send_fin(&c, FST_DIR_CLIENT);
	send_ack(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_SERVER_UNRESPONSIVE, FST_STALLED_SERVER);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER, tpass, tfin);
	net_free(n);
}

/* A RETR whose 150 comes 2 s late, then a quick transfer: the slow
 * reply is the 150's, timed to it, not to the 226 after the data. */
static void test_slow_reply_preliminary(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tretr, t150;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	tretr = cl(&c, "RETR a.txt\r\n");
	at(n, tretr + 2 * SEC);
	t150 = sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_fill(&d, FST_DIR_SERVER, 1000);
	close_both(&d, FST_DIR_SERVER);
	idle(n, 3 * SEC);
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	expect_one_slow_reply(r, "RETR", 150, tretr, t150);
	net_free(n);
}

/* The client closes with nothing owed and no QUIT: clean. */
static void test_clean_client_fin_nothing_owed(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP ok.\r\n");
	close_both(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_close_by(r, FST_CLOSE_BY_CLIENT);
	net_free(n);
}

/* Inside TLS: the client's (hidden) QUIT, the server's answer and its
 * FIN a millisecond later: clean. */
static void test_clean_tls_hidden_quit(void **state)
{
	static const uint8_t record[] = { 0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	sv(&c, VSFTPD_BANNER);
	cl(&c, "AUTH TLS\r\n");
	sv(&c, "234 Proceed with negotiation.\r\n");
	send_bytes(&c, FST_DIR_CLIENT, record, sizeof(record));
	send_bytes(&c, FST_DIR_SERVER, record, sizeof(record));
	idle(n, 3 * SEC);
	send_bytes(&c, FST_DIR_CLIENT, record, sizeof(record)); /* QUIT */
	send_bytes(&c, FST_DIR_SERVER, record, sizeof(record)); /* 221 */
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	assert_true(r->session->encrypted);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	net_free(n);
}

/* Inside TLS, an idle timeout: 300 s of silence after the server spoke
 * last, then one record from the server (its encrypted 421) and its
 * FIN. The client had been idle with nothing owed; the server's closing
 * record is no activity of the client. */
static void test_tls_idle_timeout(void **state)
{
	static const uint8_t record[] = { 0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tlast;

	(void)state;
	control_open(&c, n);
	sv(&c, VSFTPD_BANNER);
	cl(&c, "AUTH TLS\r\n");
	sv(&c, "234 Proceed with negotiation.\r\n");
	send_bytes(&c, FST_DIR_CLIENT, record, sizeof(record));
	tlast = send_bytes(&c, FST_DIR_SERVER, record, sizeof(record));
	at(n, tlast + 300 * SEC);
	send_bytes(&c, FST_DIR_SERVER, record, sizeof(record)); /* 421 */
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	assert_true(r->session->encrypted);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_near(gap_s(decisive(r)), 300.0, 0.01);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 11. incomplete */

static void test_incomplete_capture_ends_open(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, other_conn;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP ok.\r\n");
	idle(n, 5 * SEC);
	conn_open(&other_conn, n, CLIENT2_IP, 40000, SERVER2_IP, 443);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_INCOMPLETE, FST_STALLED_NONE);
	assert_false(fst_verdict_is_incident(r->verdict));
	assert_close_by(r, FST_CLOSE_BY_NONE);
	assert_string_equal(recommendation_of(r), "");
	assert_contains(summary_of(r), "still open");
	assert_int_equal(r->recovered_by, 0);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 12. unknown: the decisive gap lost bytes in the capture */

/* The client idles 10 s after login, but it did send a command in that
 * time which the capture lost; the server's 421 segment acknowledges
 * those bytes. The client must not be blamed. */
static void test_unknown_capture_loss_in_decisive_gap(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, t421;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	lose_bytes(&c, FST_DIR_CLIENT, strlen("CWD /backup\r\n"));
	at(n, t230 + 10 * SEC);
	t421 = sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_true(fst_verdict_is_incident(r->verdict));
	assert_true(r->capture_loss);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CAPTURE, t230, t421);
	/* It is the idle the 421 was announced after. */
	if (!decisive(r)->before_close)
		fail_msg("the gap before the 421 is not marked before_close: %s", describe(r));
	assert_int_equal(r->close.reply_code, 421);
	assert_contains(summary_of(r), "lost");
	assert_not_contains(summary_of(r), "client was idle");
	assert_string_equal(recommendation_of(r), "");
	/* Not an observation of the server's idle timeout either. */
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	net_free(n);
}

/* Both the command and its reply were lost; the 421 arrives beyond a
 * hole of the server's stream and is only delivered when the client
 * acknowledges it. */
static void test_unknown_capture_loss_both_directions(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	lose_bytes(&c, FST_DIR_CLIENT, strlen("NOOP\r\n"));
	lose_bytes(&c, FST_DIR_SERVER, strlen("200 NOOP ok.\r\n"));
	at(n, t230 + 10 * SEC);
	sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_true(r->capture_loss);
	assert_wait(decisive(r), FST_WAIT_CAPTURE);
	assert_near(gap_s(decisive(r)), 10.0, 0.01);
	net_free(n);
}

/* A loss that decides nothing (right after login; the 5 s idle before
 * the 421 is intact): the verdict stands, capture_loss is reported. */
/* A provisional verdict's decisive gap must survive gaps[] growing: data
 * still flows after the server's FIN on control, a ninth gap reallocs
 * gaps[], and a mid-stream fst_analysis_finish (watch runs one every 2 s)
 * reads the decisive gap again. Under ASan a pointer into the old array
 * was a use-after-free. */
static void test_decisive_gap_survives_gap_growth(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct fst_gap before;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	login(&c, "220 (vsFTPd 3.0.3)\r\n");
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "STOR f\r\n");
	sv(&c, "150 Ok to send data.\r\n");
	send_fill(&d, FST_DIR_CLIENT, 1000);
	for (int i = 0; i < 6; i++) {
		idle(n, 2 * SEC);
		send_fill(&d, FST_DIR_CLIENT, 1000);
	}
	idle(n, 2 * SEC);
	sv(&c, "421 Data timeout. Reconnect. Sorry.\r\n");
	send_fin(&c, FST_DIR_SERVER);

	r = only_result(n);
	assert_int_equal(r->verdict_state, FST_VERDICT_PROVISIONAL);
	assert_int_equal(r->gap_count, 8); /* gaps[]'s first capacity */
	before = *decisive(r);

	idle(n, 2 * SEC);
	send_fill(&d, FST_DIR_CLIENT, 1000);
	assert_int_equal(r->gap_count, 9);
	fst_analysis_finish(n->an);
	assert_int_equal(decisive(r)->start_us, before.start_us);
	assert_int_equal(decisive(r)->end_us, before.end_us);
	assert_int_equal(decisive(r)->channel, before.channel);
	assert_int_equal(r->verdict, FST_VERDICT_DATA_TIMEOUT);
	net_free(n);
}

static void test_capture_loss_outside_decisive_gap(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t200;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	lose_bytes(&c, FST_DIR_CLIENT, strlen("NOOP\r\n"));
	sv(&c, "200 NOOP ok.\r\n"); /* acknowledges the lost NOOP */
	cl(&c, "NOOP\r\n");
	t200 = sv(&c, "200 NOOP ok.\r\n");
	at(n, t200 + 5 * SEC);
	sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	assert_true(r->capture_loss);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_near(gap_s(decisive(r)), 5.0, 0.01);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 12b. what the capture lacked: one side, the 421, drops, data */

/* Only the client's packets were captured (tcpdump 'src host CLIENT',
 * or an asymmetric route): its commands look unanswered, but the
 * server's replies are simply not in the capture. No side is blamed,
 * and the session tells nothing of the server's timers. */
static void test_one_sided_capture_is_unknown(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tpwd;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	seg(&c, FST_DIR_CLIENT, FST_TCP_SYN, c.nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	c.nxt[FST_DIR_SERVER]++; /* the SYN-ACK, not captured */
	send_ack(&c, FST_DIR_CLIENT);
	lose_bytes(&c, FST_DIR_SERVER, strlen(VSFTPD_BANNER));
	cl(&c, "USER alice\r\n");
	lose_bytes(&c, FST_DIR_SERVER, strlen("331 Please specify the password.\r\n"));
	cl(&c, "PASS hunter2\r\n");
	lose_bytes(&c, FST_DIR_SERVER, strlen("230 Login successful.\r\n"));
	tpwd = cl(&c, "PWD\r\n");
	at(n, tpwd + 20 * SEC);
	send_fin(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_string_equal(r->verdict_rule, "capture_one_sided");
	assert_true(r->capture_notes & FST_NOTE_BIT(FST_NOTE_ONE_SIDED));
	assert_int_equal(r->uncertain_because, FST_NOTE_BIT(FST_NOTE_ONE_SIDED));
	assert_contains(summary_of(r), "only one direction");
	assert_not_contains(summary_of(r), "owed");
	assert_string_equal(recommendation_of(r), "");
	assert_near(server_estimate(n, SERVER_IP)->longest_survived_s, 0, 0.001);
	net_free(n);
}

/* The same one-sidedness from the server's side: only its packets. */
static void test_one_sided_server_only(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	c.nxt[FST_DIR_CLIENT]++; /* the SYN, not captured */
	seg(&c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, c.nxt[FST_DIR_SERVER]++,
	    c.nxt[FST_DIR_CLIENT], NULL, 0, 0);
	sv(&c, VSFTPD_BANNER);
	lose_bytes(&c, FST_DIR_CLIENT, strlen("USER alice\r\n"));
	sv(&c, "331 Please specify the password.\r\n");
	lose_bytes(&c, FST_DIR_CLIENT, strlen("PASS hunter2\r\n"));
	t230 = sv(&c, "230 Login successful.\r\n");
	at(n, t230 + 300 * SEC);
	sv(&c, "421 Timeout.\r\n");
	send_fin(&c, FST_DIR_SERVER);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_true(r->capture_notes & FST_NOTE_BIT(FST_NOTE_ONE_SIDED));
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	net_free(n);
}

/* vsftpd with a 3 s idle timeout: the first session's 421 is captured
 * and gives the estimate. In the second the capture lost the 421 (the
 * client's ACK of the FIN shows the bytes were sent) after the same 3 s
 * of client silence: still idle_timeout, "the 421 itself was not
 * captured", and not an observation of its own. */
static int64_t idle_then_close(struct conn *c, uint16_t cport, bool lose_421, int64_t idle_us)
{
	int64_t t230;

	conn_open(c, c->net, CLIENT_IP, cport, SERVER_IP, 21);
	t230 = login(c, VSFTPD_BANNER);
	at(c->net, t230 + idle_us);
	if (lose_421)
		lose_bytes(c, FST_DIR_SERVER, strlen("421 Timeout.\r\n"));
	else
		sv(c, "421 Timeout.\r\n");
	server_closes(c);
	return t230;
}

static void test_lost_421_matches_estimate(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a, *b;
	struct conn ca, cb;
	int64_t t230;

	(void)state;
	ca.net = cb.net = n;
	idle_then_close(&ca, 50001, false, 3 * SEC);
	idle(n, 10 * SEC);
	t230 = idle_then_close(&cb, 50002, true, 3 * SEC + 20 * MS);
	net_finish(n);

	a = result_at(n, 0);
	b = result_at(n, 1);
	expect_verdict(a, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_verdict(b, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(b->verdict_rule, "server_closed_idle_reply_lost");
	assert_true(b->close.reply_lost);
	assert_int_equal(b->close.reply_code, 0);
	assert_true(b->capture_loss);
	assert_int_equal(b->uncertain_because, 0);
	assert_near(b->idle_timeout_matched_s, 3.0, 0.01);
	assert_int_equal(decisive(b)->start_us, t230);
	assert_near(gap_s(decisive(b)), 3.02, 0.01);
	assert_near(b->close.after_idle_s, 3.02, 0.01);
	assert_contains(summary_of(b), "the 421 itself was not captured");
	assert_int_equal(b->timer, FST_TIMER_IDLE);
	/* Only the captured 421 is an observation. */
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 1);
	assert_near(server_estimate(n, SERVER_IP)->idle_timeout_s, 3.0, 0.01);
	net_free(n);
}

/* Without anything known of the server's timer, a lost 421 after 3 s
 * proves nothing: unknown. After 300 s, vsftpd's default, it is. */
static void test_lost_421_needs_known_timer(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	c.net = n;
	idle_then_close(&c, 50002, true, 3 * SEC);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_true(r->close.reply_lost);
	assert_int_equal(r->uncertain_because, FST_NOTE_BIT(FST_NOTE_CAPTURE_LOSS));
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	net_free(n);

	n = net_new(NULL);
	c.net = n;
	idle_then_close(&c, 50002, true, 300 * SEC);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_near(r->idle_timeout_matched_s, 300.0, 0.01);
	net_free(n);
}

/* Lost bytes of the client in the idle before the close: its silence
 * is not certain, whatever the timer. */
static void test_lost_421_and_client_bytes_is_unknown(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 300 * SEC);
	lose_bytes(&c, FST_DIR_CLIENT, strlen("NOOP\r\n"));
	lose_bytes(&c, FST_DIR_SERVER, strlen("421 Timeout.\r\n"));
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	net_free(n);
}

/* The kernel dropped packets during the decisive idle: unknown, and no
 * observation; drops outside it only note the session. */
static void test_kernel_drops(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 5 * SEC);
	sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);

	/* Before the session: nothing. Before the idle: a note only. */
	fst_analysis_capture_dropped(n->an, t230 - 100 * SEC, t230 - 90 * SEC);
	assert_int_equal(r->capture_notes & FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS), 0);
	fst_analysis_capture_dropped(n->an, r->session->start_us, r->session->start_us + MS);
	assert_true(r->capture_notes & FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS));
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	fst_analysis_finish(n->an);
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);

	fst_analysis_capture_dropped(n->an, t230 + 2 * SEC, t230 + 3 * SEC);
	expect_verdict(r, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN);
	assert_int_equal(r->uncertain_because, FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS));
	assert_contains(summary_of(r), "dropped packets");
	net_free(n);
}

/* Login, PASV and a RETR whose 150 announces 4096 bytes; with
 * data_sent >= 0 its data connection (d) is captured and carries that
 * many bytes, then ends (a clean close when all were sent, else the
 * client's reset); then the 226. Returns the session's result. */
static struct fst_session_result *retr_4096(struct net *n, struct conn *c, int data_sent)
{
	struct conn d;

	control_open(c, n);
	login(c, VSFTPD_BANNER);
	pasv(c, 50000);
	if (data_sent >= 0)
		conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(c, "RETR a.bin\r\n");
	sv(c, "150 Opening BINARY mode data connection for a.bin (4096 bytes).\r\n");
	if (data_sent > 0)
		send_fill(&d, FST_DIR_SERVER, (size_t)data_sent);
	if (data_sent == 4096)
		close_both(&d, FST_DIR_SERVER);
	else if (data_sent >= 0)
		send_rst(&d, FST_DIR_CLIENT);
	sv(c, "226 Transfer complete.\r\n");
	cl(c, "QUIT\r\n");
	sv(c, "221 Goodbye.\r\n");
	close_both(c, FST_DIR_CLIENT);
	net_finish(n);
	return only_result(n);
}

/* A RETR answered 150 and 226 whose data connection is not in the
 * capture (filtered to port 21): noted, and its bytes are missing. With
 * the data connection captured, no note; with its tail lost (and no ACK
 * of it captured either), the tail is missing. */
static void test_data_connections_missing(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	r = retr_4096(n, &c, -1);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_true(r->capture_notes & FST_NOTE_BIT(FST_NOTE_DATA_CONNECTIONS_MISSING));
	assert_false(r->capture_notes & FST_NOTE_BIT(FST_NOTE_ONE_SIDED));
	/* The 150 said 4096 bytes and the 226 that they went: all missing. */
	assert_int_equal(r->session->transfers[0].bytes, 4096);
	assert_int_equal(r->session->transfers[0].gap_bytes, 4096);
	net_free(n);

	n = net_new(NULL);
	r = retr_4096(n, &c, 1000);
	assert_false(r->capture_notes & FST_NOTE_BIT(FST_NOTE_DATA_CONNECTIONS_MISSING));
	assert_int_equal(r->session->transfers[0].bytes, 4096);
	assert_int_equal(r->session->transfers[0].gap_bytes, 3096);
	net_free(n);

	n = net_new(NULL);
	r = retr_4096(n, &c, 4096);
	assert_false(r->capture_notes & FST_NOTE_BIT(FST_NOTE_DATA_CONNECTIONS_MISSING));
	assert_int_equal(r->session->transfers[0].bytes, 4096);
	assert_int_equal(r->session->transfers[0].gap_bytes, 0);
	net_free(n);
}

/* The server began its reply to NOOP, but the capture lost the rest of
 * the line: the server answered, so the long idle after it waits on the
 * client, and the 421 after it is an idle timeout, not a server that
 * never answered. */
static void test_partial_reply_is_server_activity(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t tack;

	(void)state;
	control_open(&c, n);
	login(&c, VSFTPD_BANNER);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP o");
	lose_bytes(&c, FST_DIR_SERVER, strlen("k.\r\n"));
	tack = send_ack(&c, FST_DIR_CLIENT);
	at(n, tack + 5 * SEC);
	sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, tack, 0);
	expect_no_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_SERVER);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 13. reconnect linking */

/* Session A ends in idle_timeout after an upload; B, from the same
 * client to the same server, starts 1.5 s after A's close and resumes
 * with REST 1000 + STOR. A session of another client in between is not
 * B. */
static void test_reconnect_resumes_with_rest(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a, *other_r, *b;
	struct conn ca, cb, cx, d;
	int64_t t226, tfin, tsyn;

	(void)state;
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	login(&ca, VSFTPD_BANNER);
	t226 = upload_complete(&ca, 54400, 50000, "file.bin", 1);
	at(n, t226 + 5 * SEC);
	sv(&ca, "421 Timeout.\r\n");
	tfin = server_closes(&ca);

	conn_open(&cx, n, CLIENT2_IP, 50002, SERVER_IP, 21);
	login(&cx, VSFTPD_BANNER);

	at(n, tfin + 1500 * MS);
	tsyn = n->now;
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	login(&cb, VSFTPD_BANNER);
	cl(&cb, "TYPE I\r\n");
	sv(&cb, "200 Switching to Binary mode.\r\n");
	cl(&cb, "REST 1000\r\n");
	sv(&cb, "350 Restart position accepted (1000).\r\n");
	pasv(&cb, 50010);
	conn_open(&d, n, CLIENT_IP, 54410, SERVER_IP, 50010);
	cl(&cb, "STOR file.bin\r\n");
	sv(&cb, "150 Ok to send data.\r\n");
	send_fill(&d, FST_DIR_CLIENT, 3096);
	close_both(&d, FST_DIR_CLIENT);
	sv(&cb, "226 Transfer complete.\r\n");
	cl(&cb, "QUIT\r\n");
	sv(&cb, "221 Goodbye.\r\n");
	server_closes(&cb);
	net_finish(n);

	assert_int_equal(result_count(n), 3);
	a = result_at(n, 0);
	other_r = result_at(n, 1);
	b = result_at(n, 2);
	expect_verdict(a, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_int_equal(b->session->start_us, tsyn);
	assert_int_equal(a->recovered_by, b->session->id);
	assert_true(a->recovered_by != other_r->session->id);
	assert_near(a->recovered_after_s, 1.5, 1e-6);
	assert_false(a->recovered_probable);
	assert_true(a->resumed);
	assert_int_equal(a->resume_verb, FST_VERB_REST);
	assert_int_equal(a->resume_offset, 1000);
	assert_false(a->truncated_reupload);
	/* Only incidents are linked. */
	expect_verdict(b, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_int_equal(b->recovered_by, 0);
	net_free(n);
}

/* Session A's upload fails mid-transfer (data timeout); B sends the same
 * file again from offset 0 without REST: the server may keep a truncated
 * file. */
static void test_reconnect_truncated_reupload(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a, *b;
	struct conn ca, cb, da, db;
	int64_t tlast = 0, tfin;

	(void)state;
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	login(&ca, VSFTPD_BANNER);
	pasv(&ca, 50000);
	conn_open(&da, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&ca, "STOR /upload/big.iso\r\n");
	sv(&ca, "150 Ok to send data.\r\n");
	for (int i = 0; i < 3; i++)
		tlast = send_fill(&da, FST_DIR_CLIENT, 1000);
	at(n, tlast + 10 * SEC);
	sv(&ca, "421 Data timeout. Reconnect. Sorry.\r\n");
	send_fin(&da, FST_DIR_SERVER);
	tfin = server_closes(&ca);

	at(n, tfin + 2 * SEC);
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	login(&cb, VSFTPD_BANNER);
	pasv(&cb, 50010);
	conn_open(&db, n, CLIENT_IP, 54410, SERVER_IP, 50010);
	cl(&cb, "STOR big.iso\r\n");
	sv(&cb, "150 Ok to send data.\r\n");
	send_fill(&db, FST_DIR_CLIENT, 4000);
	close_both(&db, FST_DIR_CLIENT);
	sv(&cb, "226 Transfer complete.\r\n");
	cl(&cb, "QUIT\r\n");
	sv(&cb, "221 Goodbye.\r\n");
	server_closes(&cb);
	net_finish(n);

	assert_int_equal(result_count(n), 2);
	a = result_at(n, 0);
	b = result_at(n, 1);
	assert_int_equal(a->session->transfers[0].bytes, 3000);
	assert_true(a->session->transfers[0].outcome != FST_OUTCOME_COMPLETE);
	/* Its stalled side is test_upload_data_timeout's business. */
	if (a->verdict != FST_VERDICT_DATA_TIMEOUT)
		fail_msg("A: expected data_timeout: %s", describe(a));
	assert_int_equal(a->recovered_by, b->session->id);
	assert_near(a->recovered_after_s, 2.0, 1e-6);
	assert_true(a->truncated_reupload);
	assert_false(a->resumed);
	net_free(n);
}

/* B appends to the file A left unfinished: resumed with APPE at the
 * bytes A had sent. */
static void test_reconnect_resumes_with_appe(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a;
	struct conn ca, cb, da, db;
	int64_t tlast = 0, tfin;

	(void)state;
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	login(&ca, VSFTPD_BANNER);
	pasv(&ca, 50000);
	conn_open(&da, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&ca, "STOR big.iso\r\n");
	sv(&ca, "150 Ok to send data.\r\n");
	for (int i = 0; i < 3; i++)
		tlast = send_fill(&da, FST_DIR_CLIENT, 1000);
	at(n, tlast + 10 * SEC);
	sv(&ca, "421 Data timeout. Reconnect. Sorry.\r\n");
	send_fin(&da, FST_DIR_SERVER);
	tfin = server_closes(&ca);

	at(n, tfin + 3 * SEC);
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	login(&cb, VSFTPD_BANNER);
	pasv(&cb, 50010);
	conn_open(&db, n, CLIENT_IP, 54410, SERVER_IP, 50010);
	cl(&cb, "APPE big.iso\r\n");
	sv(&cb, "150 Ok to send data.\r\n");
	send_fill(&db, FST_DIR_CLIENT, 1000);
	close_both(&db, FST_DIR_CLIENT);
	sv(&cb, "226 Transfer complete.\r\n");
	server_closes(&cb);
	net_finish(n);

	a = result_at(n, 0);
	assert_int_equal(a->recovered_by, result_at(n, 1)->session->id);
	assert_true(a->resumed);
	assert_int_equal(a->resume_verb, FST_VERB_APPE);
	assert_int_equal(a->resume_offset, 3000);
	assert_false(a->truncated_reupload);
	net_free(n);
}

/* A next session that starts after the reconnect window is no recovery. */
static void test_reconnect_outside_window_not_linked(void **state)
{
	struct fst_analysis_cfg cfg = { .reconnect_window_us = 10 * SEC };
	struct net *n = net_new(&cfg);
	struct fst_session_result *a;
	struct conn ca, cb;
	int64_t t230, tfin;

	(void)state;
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	t230 = login(&ca, VSFTPD_BANNER);
	at(n, t230 + 5 * SEC);
	sv(&ca, "421 Timeout.\r\n");
	tfin = server_closes(&ca);
	at(n, tfin + 11 * SEC);
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	login(&cb, VSFTPD_BANNER);
	net_finish(n);

	a = result_at(n, 0);
	expect_verdict(a, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_int_equal(a->recovered_by, 0);
	assert_false(a->resumed);
	net_free(n);
}

/* A logs in as user, stores file, then the server's idle timeout ends it
 * at tfin (returned). */
static int64_t job_idle_timeout(struct net *n, struct conn *c, uint16_t cport, const char *user,
				const char *file)
{
	char line[128];
	int64_t t226;

	conn_open(c, n, CLIENT_IP, cport, SERVER_IP, 21);
	sv(c, VSFTPD_BANNER);
	snprintf(line, sizeof(line), "USER %s\r\n", user);
	cl(c, line);
	sv(c, "331 Please specify the password.\r\n");
	cl(c, "PASS hunter2\r\n");
	sv(c, "230 Login successful.\r\n");
	t226 = upload_complete(c, (uint16_t)(cport + 1000), (uint16_t)(cport + 2000), file, 1);
	at(n, t226 + 5 * SEC);
	sv(c, "421 Timeout.\r\n");
	return server_closes(c);
}

/* A session that logs in as user and stores file, cleanly. */
static void job_store(struct net *n, struct conn *c, uint16_t cport, const char *user,
		      const char *file)
{
	char line[128];

	conn_open(c, n, CLIENT_IP, cport, SERVER_IP, 21);
	sv(c, VSFTPD_BANNER);
	snprintf(line, sizeof(line), "USER %s\r\n", user);
	cl(c, line);
	sv(c, "331 Please specify the password.\r\n");
	cl(c, "PASS hunter2\r\n");
	sv(c, "230 Login successful.\r\n");
	upload_complete(c, (uint16_t)(cport + 1000), (uint16_t)(cport + 2000), file, 1);
	cl(c, "QUIT\r\n");
	sv(c, "221 Goodbye.\r\n");
	server_closes(c);
}

/* Two jobs of one host: alice's session times out; bob's, 1 s later,
 * stores the same file name: another user, never alice's recovery. */
static void test_reconnect_other_user_not_linked(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a;
	struct conn ca, cb;
	int64_t tfin;

	(void)state;
	tfin = job_idle_timeout(n, &ca, 50001, "alice", "vol1.tar");
	at(n, tfin + 1 * SEC);
	job_store(n, &cb, 50003, "bob", "vol1.tar");
	net_finish(n);

	assert_int_equal(result_count(n), 2);
	a = result_at(n, 0);
	expect_verdict(a, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_int_equal(a->recovered_by, 0);
	assert_false(a->recovered_probable);
	assert_false(a->resumed);
	assert_false(a->truncated_reupload);
	net_free(n);
}

/* bob's session comes first, alice's own continuation (the next volume
 * of her series) after it: alice's is the link, and a sure one. */
static void test_reconnect_skips_other_user_takes_next_file(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a;
	struct conn ca, cb, cc;
	int64_t tfin;

	(void)state;
	tfin = job_idle_timeout(n, &ca, 50001, "alice", "duplicity-full.vol1.difftar.gz");
	at(n, tfin + 1 * SEC);
	job_store(n, &cb, 50003, "bob", "report.txt");
	at(n, tfin + 3 * SEC);
	job_store(n, &cc, 50005, "alice", "duplicity-full.vol2.difftar.gz");
	net_finish(n);

	assert_int_equal(result_count(n), 3);
	a = result_at(n, 0);
	assert_int_equal(a->recovered_by, result_at(n, 2)->session->id);
	assert_false(a->recovered_probable);
	assert_near(a->recovered_after_s, 3.0, 0.01);
	net_free(n);
}

/* The same user stores the same file again: a sure link. */
static void test_reconnect_same_user_same_file(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a;
	struct conn ca, cb;
	int64_t tfin;

	(void)state;
	tfin = job_idle_timeout(n, &ca, 50001, "alice", "vol1.tar");
	at(n, tfin + 2 * SEC);
	job_store(n, &cb, 50003, "alice", "upload/vol1.tar");
	net_finish(n);

	a = result_at(n, 0);
	assert_int_equal(a->recovered_by, result_at(n, 1)->session->id);
	assert_false(a->recovered_probable);
	net_free(n);
}

/* The same user, but an unrelated file: linked, only probably; and the
 * text and JSON reports say so. */
static void test_reconnect_same_user_other_work_probable(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a;
	struct conn ca, cb;
	int64_t tfin;

	(void)state;
	tfin = job_idle_timeout(n, &ca, 50001, "alice", "vol1.tar");
	at(n, tfin + 2 * SEC);
	job_store(n, &cb, 50003, "alice", "notes.txt");
	net_finish(n);

	a = result_at(n, 0);
	assert_int_equal(a->recovered_by, result_at(n, 1)->session->id);
	assert_true(a->recovered_probable);
	assert_false(a->resumed);
	net_free(n);
}

/* A client retrying a wrong password (lftp reconnects and logs in
 * again): the second session fails too and recovers nothing; a third
 * that logs in is the (probable) recovery. */
static void test_reconnect_failed_login_not_recovered(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *a, *b;
	struct conn ca, cb, cc;
	int64_t t;

	(void)state;
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	t = refused_login(&ca, "alice", 3 * SEC, NULL);
	close_both(&ca, FST_DIR_CLIENT);
	at(n, t + 1 * SEC);
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	t = refused_login(&cb, "alice", 3 * SEC, NULL);
	close_both(&cb, FST_DIR_CLIENT);
	net_finish(n);

	a = result_at(n, 0);
	b = result_at(n, 1);
	expect_verdict(a, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE);
	expect_verdict(b, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE);
	assert_int_equal(a->recovered_by, 0);
	assert_int_equal(b->recovered_by, 0);
	net_free(n);

	n = net_new(NULL);
	conn_open(&ca, n, CLIENT_IP, 50001, SERVER_IP, 21);
	t = refused_login(&ca, "alice", 3 * SEC, NULL);
	close_both(&ca, FST_DIR_CLIENT);
	at(n, t + 1 * SEC);
	conn_open(&cb, n, CLIENT_IP, 50003, SERVER_IP, 21);
	t = refused_login(&cb, "alice", 3 * SEC, NULL);
	close_both(&cb, FST_DIR_CLIENT);
	at(n, t + 1 * SEC);
	job_store(n, &cc, 50005, "alice", "notes.txt");
	net_finish(n);

	a = result_at(n, 0);
	assert_int_equal(a->recovered_by, result_at(n, 2)->session->id);
	assert_true(a->recovered_probable);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 14. server estimates */

/* One session that logs in, idles (optionally survives a first idle
 * with a NOOP), then idles idle_us and gets 421 + FIN. */
static void idle_session(struct net *n, const char *server, uint16_t cport, int64_t survived_us,
			 int64_t idle_us)
{
	struct conn c;
	int64_t tlast;

	conn_open(&c, n, CLIENT_IP, cport, server, 21);
	tlast = login(&c, VSFTPD_BANNER);
	if (survived_us) {
		at(n, tlast + survived_us);
		cl(&c, "NOOP\r\n");
		tlast = sv(&c, "200 NOOP ok.\r\n");
	}
	at(n, tlast + idle_us);
	sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	idle(n, 200 * SEC); /* the next session is no reconnect */
}

static void test_server_estimate_median_spread(void **state)
{
	struct net *n = net_new(NULL);
	const struct fst_server_estimate *e, *e2;

	(void)state;
	idle_session(n, SERVER_IP, 50001, 3 * SEC, 5000 * MS);
	idle_session(n, SERVER_IP, 50002, 0, 5200 * MS);
	idle_session(n, SERVER_IP, 50003, 0, 4900 * MS);
	idle_session(n, SERVER2_IP, 50004, 0, 100 * SEC);
	net_finish(n);

	assert_int_equal(result_count(n), 4);
	for (size_t i = 0; i < 4; i++)
		expect_verdict(result_at(n, i), FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_int_equal(server_count(n), 2);
	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->port, 21);
	assert_int_equal(e->observations, 3);
	assert_near(e->idle_timeout_s, 5.0, 1e-6);
	assert_near(e->spread_s, 0.15, 1e-6);
	assert_near(e->longest_survived_s, 3.0, 0.01);
	assert_non_null(e->software);
	assert_string_equal(e->software, "vsftpd");
	assert_int_equal(e->data_observations, 0);
	assert_near(e->data_timeout_s, -1.0, 1e-9);

	e2 = server_estimate(n, SERVER2_IP);
	assert_int_equal(e2->observations, 1);
	assert_near(e2->idle_timeout_s, 100.0, 1e-6);
	assert_near(e2->spread_s, 0.0, 1e-9);
	assert_near(e2->longest_survived_s, 0.0, 0.01);
	net_free(n);
}

/* An even number of observations: the median is the mean of the two in
 * the middle. */
static void test_server_estimate_even_count(void **state)
{
	struct net *n = net_new(NULL);
	const struct fst_server_estimate *e;

	(void)state;
	idle_session(n, SERVER_IP, 50001, 0, 6 * SEC);
	idle_session(n, SERVER_IP, 50002, 0, 4 * SEC);
	net_finish(n);

	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->observations, 2);
	assert_near(e->idle_timeout_s, 5.0, 1e-6);
	assert_near(e->spread_s, 1.0, 1e-6);
	net_free(n);
}

/* The capture ends while the client has idled 30 s, the session still
 * open: the server tolerated at least 30 s, a lower bound. */
static void test_server_estimate_running_idle(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c, other_conn;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 30 * SEC);
	conn_open(&other_conn, n, CLIENT2_IP, 40000, SERVER2_IP, 443);
	net_finish(n);

	expect_verdict(only_result(n), FST_VERDICT_INCOMPLETE, FST_STALLED_NONE);
	assert_near(server_estimate(n, SERVER_IP)->longest_survived_s, 30.0, 0.01);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* 15. the gap threshold */

static void test_gap_threshold(void **state)
{
	struct fst_analysis_cfg cfg = { .gap_threshold_us = 2 * SEC };
	struct net *n = net_new(&cfg);
	struct fst_session_result *r;
	const struct fst_gap *g;
	struct conn c;
	int64_t t230, t200a, tnoop2, t200b, tfin;
	size_t before_close = 0;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 1500 * MS); /* below the threshold */
	cl(&c, "NOOP\r\n");
	t200a = sv(&c, "200 NOOP ok.\r\n");
	at(n, t200a + 2500 * MS); /* above */
	tnoop2 = cl(&c, "NOOP\r\n");
	t200b = sv(&c, "200 NOOP ok.\r\n");
	at(n, t200b + 500 * MS); /* below, but the one before the close */
	tfin = send_fin(&c, FST_DIR_CLIENT);
	send_fin(&c, FST_DIR_SERVER);
	send_ack(&c, FST_DIR_CLIENT);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	for (size_t i = 0; i < r->gap_count; i++) {
		g = &r->gaps[i];
		if (g->before_close) {
			before_close++;
			continue;
		}
		if (g->end_us - g->start_us < cfg.gap_threshold_us)
			fail_msg("gap #%zu of %.3f s is below the threshold: %s", i, gap_s(g),
				 describe(r));
	}
	assert_int_equal(before_close, 1);
	assert_int_equal(r->gap_count, 2);
	g = &r->gaps[0];
	assert_int_equal(g->start_us, t200a);
	assert_int_equal(g->end_us, tnoop2);
	assert_wait(g, FST_WAIT_CLIENT);
	assert_false(g->before_close);
	g = &r->gaps[1];
	assert_int_equal(g->start_us, t200b);
	assert_int_equal(g->end_us, tfin);
	assert_wait(g, FST_WAIT_CLIENT);
	assert_true(g->before_close);
	/* The gap of 2.5 s the server tolerated: its lower bound. */
	assert_near(server_estimate(n, SERVER_IP)->longest_survived_s, 2.5, 0.01);
	net_free(n);
}

/* The default threshold is 1 s: a 0.9 s pause is no gap, 1.1 s is. */
static void test_gap_threshold_default(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, t200;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	at(n, t230 + 900 * MS);
	cl(&c, "NOOP\r\n");
	t200 = sv(&c, "200 NOOP ok.\r\n");
	at(n, t200 + 1100 * MS);
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_non_null(find_gap(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT));
	for (size_t i = 0; i < r->gap_count; i++)
		if (!r->gaps[i].before_close)
			assert_int_equal(r->gaps[i].start_us, t200);
	net_free(n);
}

/* The gap list is capped (cfg.max_gaps); what did not fit is counted,
 * and the cap does not take away the evidence of the verdict. */
static void test_max_gaps_cap(void **state)
{
	struct fst_analysis_cfg cfg = { .max_gaps = 2 };
	struct net *n = net_new(&cfg);
	struct fst_session_result *r;
	struct conn c;
	int64_t tlast, t421;

	(void)state;
	control_open(&c, n);
	tlast = login(&c, VSFTPD_BANNER);
	for (int i = 0; i < 4; i++) {
		at(n, tlast + 2 * SEC);
		cl(&c, "NOOP\r\n");
		tlast = sv(&c, "200 NOOP ok.\r\n");
	}
	at(n, tlast + 5 * SEC);
	t421 = sv(&c, "421 Timeout.\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	assert_true(r->gap_count <= 2);
	assert_true(r->gaps_dropped >= 2);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	expect_decisive(r, FST_CHANNEL_CONTROL, FST_WAIT_CLIENT, tlast, t421);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* live consumers: updates, idle now, finish again */

struct updates {
	size_t open, gap, verdict;
	enum fst_verdict_state states[8];
	enum fst_verdict verdicts[8];
	size_t n_states;
};

static void on_update(void *ctx, const struct fst_session_result *r,
		      enum fst_analysis_update update)
{
	struct updates *u = ctx;

	switch (update) {
	case FST_UPDATE_SESSION_OPEN:
		u->open++;
		break;
	case FST_UPDATE_GAP:
		u->gap++;
		break;
	case FST_UPDATE_VERDICT:
		u->verdict++;
		if (u->n_states < sizeof(u->states) / sizeof(u->states[0])) {
			u->states[u->n_states] = r->verdict_state;
			u->verdicts[u->n_states++] = r->verdict;
		}
		break;
	case FST_UPDATE_COUNT:
		break;
	}
}

/* The seed story seen live: the verdict is provisional at the server's
 * FIN and final when the connection ends; the idle is measured on the
 * side that owes the move. */
static void test_live_updates_and_idle(void **state)
{
	struct updates u = { 0 };
	struct fst_analysis_cfg cfg = { .on_update = on_update, .ctx = &u };
	struct net *n = net_new(&cfg);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, tfin;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, VSFTPD_BANNER);
	r = fst_analysis_results(n->an);
	assert_non_null(r);
	assert_int_equal(u.open, 1);
	assert_int_equal(r->verdict_state, FST_VERDICT_PENDING);
	assert_near(fst_analysis_idle_s(r, t230 + 4 * SEC), 4.0, 1e-6);
	at(n, t230 + 5 * SEC);
	sv(&c, "421 Timeout.\r\n");
	assert_int_equal(u.gap, 1);
	tfin = send_fin(&c, FST_DIR_SERVER);
	assert_int_equal(r->verdict_state, FST_VERDICT_PROVISIONAL);
	assert_int_equal(u.n_states, 1);
	assert_int_equal(u.states[0], FST_VERDICT_PROVISIONAL);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	at(n, tfin + 2 * SEC);
	cl(&c, "NOOP\r\n");
	send_rst(&c, FST_DIR_SERVER);
	assert_int_equal(r->verdict_state, FST_VERDICT_FINAL);
	assert_int_equal(u.n_states, 2);
	assert_int_equal(u.states[1], FST_VERDICT_FINAL);
	assert_int_equal(u.verdicts[1], FST_VERDICT_IDLE_TIMEOUT);
	net_finish(n);
	assert_int_equal(u.open, 1);
	assert_int_equal(u.n_states, 2);
	net_free(n);
}

/* fst_analysis_finish may run again (live views): the estimates are
 * recomputed, not added twice. */
static void test_finish_twice(void **state)
{
	struct net *n = net_new(NULL);
	const struct fst_server_estimate *e;

	(void)state;
	idle_session(n, SERVER_IP, 50001, 0, 5 * SEC);
	net_finish(n);
	fst_analysis_finish(n->an);
	assert_int_equal(server_count(n), 1);
	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->observations, 1);
	assert_near(e->idle_timeout_s, 5.0, 1e-6);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* pure functions */

/* ------------------------------------------------------------------ */
/* which timer fired */

#define assert_timer(r, expected) \
	assert_string_equal(fst_timer_name((r)->timer), fst_timer_name(expected))

static const char PUREFTPD_BANNER[] =
	"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
	"220-You are user number 1 of 5 allowed.\r\n"
	"220 You will be disconnected after 60 seconds of inactivity.\r\n";

/* ProFTPD's TimeoutNoTransfer fires while the client writes NOOP and PWD
 * every second: its "No transfer timeout" is no data timeout (no data
 * connection was ever open), and no clean end either, however short
 * the idle before it. Once the text alone made it a data_timeout. */
static void test_proftpd_no_transfer_keepalives(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230, t421;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, PROFTPD_BANNER);
	idle(n, SEC);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP command successful\r\n");
	idle(n, SEC);
	cl(&c, "PWD\r\n");
	sv(&c, "257 \"/\" is the current directory\r\n");
	idle(n, SEC);
	cl(&c, "NOOP\r\n");
	idle(n, 400 * MS);
	t421 = sv(&c, "421 No transfer timeout (3 seconds): closing control connection\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_keepalive_client");
	assert_timer(r, FST_TIMER_NO_TRANSFER);
	assert_int_equal(r->close.keepalives, 3);
	assert_true(r->close.busy_to_close);
	/* Since the PASS, just before its 230. */
	assert_true(r->close.keepalives_since_us < t230);
	assert_true(r->close.keepalives_since_us > t230 - SEC);
	assert_int_equal(r->close.reply_ts_us, t421);
	assert_contains(summary_of(r), "was not idle");
	assert_contains(summary_of(r), "3 NOOP, PWD");
	assert_contains(
		recommendation_of(r),
		"NOOP keepalives do not reset this timer; transfer something or raise TimeoutNoTransfer");
	assert_not_contains(recommendation_of(r), "make the client send NOOP");
	/* Not an idle the server's idle timer tolerated or fired at. */
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 0);
	net_free(n);
}

/* The same text after a real idle: still TimeoutNoTransfer, not idle. */
static void test_proftpd_no_transfer_after_idle(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t230;

	(void)state;
	control_open(&c, n);
	t230 = login(&c, PROFTPD_BANNER);
	at(n, t230 + 300 * SEC);
	sv(&c, "421 No transfer timeout (300 seconds): closing control connection\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_idle_client");
	assert_timer(r, FST_TIMER_NO_TRANSFER);
	assert_false(r->close.busy_to_close);
	net_free(n);
}

/* ProFTPD's plain TimeoutIdle: timer idle, and the estimate. */
static void test_proftpd_idle_timer(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t257;

	(void)state;
	control_open(&c, n);
	login(&c, PROFTPD_BANNER);
	cl(&c, "PWD\r\n");
	t257 = sv(&c, "257 \"/\" is the current directory\r\n");
	at(n, t257 + 3 * SEC);
	sv(&c, "421 Idle timeout (3 seconds): closing control connection\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_timer(r, FST_TIMER_IDLE);
	assert_false(r->close.busy_to_close);
	assert_contains(recommendation_of(r), "TimeoutIdle");
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 1);
	assert_near(server_estimate(n, SERVER_IP)->idle_timeout_s, 3.0, 0.01);
	net_free(n);
}

/* ProFTPD's TimeoutLogin before the login; after a 230 the same text
 * contradicts the packets and is not taken. */
static void test_proftpd_login_timer(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t331;

	(void)state;
	control_open(&c, n);
	sv(&c, PROFTPD_BANNER);
	cl(&c, "USER alice\r\n");
	t331 = sv(&c, "331 Password required for alice\r\n");
	at(n, t331 + 300 * SEC);
	sv(&c, "421 Login timeout (300 seconds): closing control connection\r\n");
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_timer(r, FST_TIMER_LOGIN);
	assert_contains(recommendation_of(r), "TimeoutLogin, default 300 s");
	net_free(n);

	n = net_new(NULL);
	control_open(&c, n);
	t331 = login(&c, PROFTPD_BANNER);
	at(n, t331 + 300 * SEC);
	sv(&c, "421 Login timeout (300 seconds): closing control connection\r\n");
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_timer(r, FST_TIMER_UNKNOWN);
	net_free(n);
}

/* Pure-FTPd answers a NOOP with 421 once twice its idle time has passed
 * since the first of a run of NOOPs: an idle timer although the client
 * wrote every second, the words say how NOOPs are limited, and the
 * banner's stated idle time is the estimate. Once this was clean. */
static void test_pureftpd_noop_only(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	const struct fst_server_estimate *e;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, PUREFTPD_BANNER);
	cl(&c, "SITE IDLE 3\r\n");
	sv(&c, "200 Idle time set to 3 seconds\r\n");
	for (int i = 0; i < 7; i++) {
		idle(n, SEC);
		cl(&c, "NOOP\r\n");
		sv(&c, "200 Zzz...\r\n");
	}
	idle(n, SEC);
	cl(&c, "NOOP\r\n");
	sv(&c, "421 Timeout (no operation for 6 seconds)\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_keepalive_client");
	assert_timer(r, FST_TIMER_IDLE);
	assert_int_equal(r->close.keepalives, 8);
	assert_int_equal(r->stated_timeout_s, 6);
	assert_string_equal(r->profile->software, "Pure-FTPd");
	assert_contains(recommendation_of(r), "NOOPs buy at most 2 times its idle time");
	assert_contains(recommendation_of(r),
			"first keepalive came 7 s before the 421 (the 421 states 6 s)");
	e = server_estimate(n, SERVER_IP);
	assert_int_equal(e->observations, 0);
	assert_int_equal(e->stated_idle_s, 60);
	assert_near(e->idle_timeout_s, 60.0, 0.01);
	net_free(n);
}

/* Pure-FTPd took 2.4 s to accept the login (a delay it makes), then the
 * client sent NOOP twice a second until the 421: the server answered up
 * to the close, so the old login delay is no silence that decides; once
 * this was server_unresponsive. No decisive gap: the client was never
 * idle. */
static void test_pureftpd_noop_after_slow_login(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	sv(&c, PUREFTPD_BANNER);
	cl(&c, "USER backup\r\n");
	sv(&c, "331 User backup OK. Password required\r\n");
	cl(&c, "PASS backup-secret\r\n");
	idle(n, 2400 * MS);
	sv(&c, "230 OK. Current directory is /\r\n");
	cl(&c, "SITE IDLE 2\r\n");
	sv(&c, "200 Idle time set to 2 seconds\r\n");
	for (int i = 0; i < 9; i++) {
		idle(n, 500 * MS);
		cl(&c, "NOOP\r\n");
		sv(&c, "200 Zzz...\r\n");
	}
	idle(n, 500 * MS);
	cl(&c, "NOOP\r\n");
	sv(&c, "421 Timeout (no operation for 4 seconds)\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_keepalive_client");
	assert_timer(r, FST_TIMER_IDLE);
	assert_null(fst_session_decisive_gap(r));
	assert_contains(recommendation_of(r), "NOOPs buy at most 2 times its idle time");
	net_free(n);
}

/* A Pure-FTPd client that sent one NOOP and then went quiet meets the
 * plain idle timer (any command restarts it): an observation of it. */
static void test_pureftpd_noop_then_quiet_is_observed(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;
	int64_t t200;

	(void)state;
	control_open(&c, n);
	login(&c, PUREFTPD_BANNER);
	cl(&c, "NOOP\r\n");
	t200 = sv(&c, "200 Zzz...\r\n");
	at(n, t200 + 60 * SEC);
	sv(&c, "421 Timeout - try typing a little faster next time\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_string_equal(r->verdict_rule, "server_closed_idle_client");
	assert_timer(r, FST_TIMER_IDLE);
	assert_false(r->close.busy_to_close);
	assert_int_equal(server_estimate(n, SERVER_IP)->observations, 1);
	assert_near(server_estimate(n, SERVER_IP)->idle_timeout_s, 60.0, 0.01);
	assert_int_equal(server_estimate(n, SERVER_IP)->stated_idle_s, 60);
	net_free(n);
}

/* A 421 with no known text to a client that kept writing NOOP: which
 * timer the capture cannot tell (NOOP resets an unknown server's idle
 * timer). A 421 refusing a connection at the greeting stays clean. */
static void test_unknown_server_keepalives_timer_unknown(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c, "220 Welcome to the archive\r\n");
	for (int i = 0; i < 3; i++) {
		idle(n, SEC);
		cl(&c, "NOOP\r\n");
		sv(&c, "200 NOOP ok.\r\n");
	}
	idle(n, 200 * MS);
	sv(&c, "421 Service closing control connection\r\n");
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT);
	assert_timer(r, FST_TIMER_UNKNOWN);
	net_free(n);

	n = net_new(NULL);
	control_open(&c, n);
	sv(&c, "421 Too many connections, try again later\r\n");
	server_closes(&c);
	net_finish(n);
	r = only_result(n);
	expect_verdict(r, FST_VERDICT_CLEAN, FST_STALLED_NONE);
	assert_timer(r, FST_TIMER_NONE);
	net_free(n);
}

/* ProFTPD's TimeoutStalled during an upload: a data timeout, timer
 * stalled, and the advice names the knob that fired. */
static void test_proftpd_stalled_timer(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_session_result *r;
	struct conn c, d;
	int64_t tlast = 0;

	(void)state;
	control_open(&c, n);
	login(&c, PROFTPD_BANNER);
	pasv(&c, 50000);
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	cl(&c, "STOR backup.tar\r\n");
	sv(&c, "150 Opening BINARY mode data connection for backup.tar\r\n");
	for (int i = 0; i < 5; i++) {
		idle(n, 100 * MS);
		tlast = send_fill(&d, FST_DIR_CLIENT, 1460);
		send_ack(&d, FST_DIR_SERVER);
	}
	at(n, tlast + 10 * SEC);
	sv(&c, "421 Data transfer stall timeout: 10 seconds\r\n");
	server_closes(&c);
	net_finish(n);

	r = only_result(n);
	expect_verdict(r, FST_VERDICT_DATA_TIMEOUT, FST_STALLED_CLIENT);
	assert_timer(r, FST_TIMER_STALLED);
	assert_contains(recommendation_of(r), "raise ProFTPD's TimeoutStalled");
	net_free(n);
}

static void test_reply_timer_table(void **state)
{
	(void)state;
	assert_int_equal(
		fst_reply_timer("No transfer timeout (3 seconds): closing control connection"),
		FST_TIMER_NO_TRANSFER);
	assert_int_equal(fst_reply_timer("Idle timeout (600 seconds): closing control connection"),
			 FST_TIMER_IDLE);
	assert_int_equal(fst_reply_timer("Login timeout (300 seconds): closing control connection"),
			 FST_TIMER_LOGIN);
	assert_int_equal(fst_reply_timer("Data transfer stall timeout: 600 seconds"),
			 FST_TIMER_STALLED);
	assert_int_equal(fst_reply_timer("Timeout (no operation for 1800 seconds)"),
			 FST_TIMER_IDLE);
	assert_int_equal(fst_reply_timer("Timeout (no new data for 900 seconds)"), FST_TIMER_DATA);
	assert_int_equal(fst_reply_timer("Timeout - try typing a little faster next time"),
			 FST_TIMER_IDLE);
	assert_int_equal(fst_reply_timer("Timeout."), FST_TIMER_IDLE);
	assert_int_equal(fst_reply_timer("Data timeout. Reconnect. Sorry."), FST_TIMER_DATA);
	assert_int_equal(fst_reply_timer("Timeout (900 seconds): closing control connection."),
			 FST_TIMER_IDLE);
	assert_int_equal(fst_reply_timer("No-transfer-time exceeded. Closing control connection."),
			 FST_TIMER_NO_TRANSFER);
	assert_int_equal(
		fst_reply_timer("Session Timeout (60 seconds): closing control connection"),
		FST_TIMER_UNKNOWN);
	assert_int_equal(fst_reply_timer(""), FST_TIMER_UNKNOWN);
	assert_int_equal(fst_reply_timer(NULL), FST_TIMER_UNKNOWN);
}

static void test_stated_timeout(void **state)
{
	(void)state;
	assert_int_equal(
		fst_stated_timeout_s("Idle timeout (600 seconds): closing control connection"),
		600);
	assert_int_equal(fst_stated_timeout_s("Timeout (no new data for 300 seconds)"), 300);
	assert_int_equal(fst_stated_timeout_s("Timeout (120 seconds): closing control connection."),
			 120);
	assert_int_equal(fst_stated_timeout_s("Timeout (1 second)"), 1);
	assert_int_equal(fst_stated_timeout_s("Timeout."), -1);
	assert_int_equal(fst_stated_timeout_s("seconds"), -1);
	assert_int_equal(fst_stated_timeout_s("a few seconds"), -1);
	assert_int_equal(fst_stated_timeout_s("0 seconds"), -1);
	/* Out of range: no number, rather than its last digits. */
	assert_int_equal(fst_stated_timeout_s("12345678 seconds"), -1);
	assert_int_equal(fst_stated_timeout_s("99999999999999999999 seconds"), -1);
	assert_int_equal(fst_stated_timeout_s(""), -1);
}

static void test_profile_find(void **state)
{
	const struct fst_server_profile *p;

	(void)state;
	p = fst_server_profile_find("vsftpd", NULL);
	assert_non_null(p);
	assert_string_equal(p->idle_knob, "idle_session_timeout");
	assert_string_equal(p->data_knob, "data_connection_timeout");
	p = fst_server_profile_find(NULL, "Idle timeout (600 seconds): closing control connection");
	assert_non_null(p);
	assert_string_equal(p->software, "ProFTPD");
	p = fst_server_profile_find(NULL, "Data timeout. Reconnect. Sorry.");
	assert_non_null(p);
	assert_string_equal(p->software, "vsftpd");
	/* The software wins over the text. */
	p = fst_server_profile_find("ProFTPD", "Timeout.");
	assert_non_null(p);
	assert_string_equal(p->software, "ProFTPD");
	/* Serv-U and wu-ftpd have rows; an unknown product none. */
	p = fst_server_profile_find("Serv-U", "Session timed out, closing.");
	assert_non_null(p);
	assert_string_equal(p->software, "Serv-U");
	p = fst_server_profile_find("wu-ftpd", NULL);
	assert_non_null(p);
	assert_string_equal(p->idle_knob, "timeout idle (ftpaccess)");
	assert_int_equal(p->idle_default_s, 900);
	p = fst_server_profile_find("Microsoft FTP Service (IIS)", NULL);
	assert_non_null(p);
	assert_int_equal(p->idle_default_s, 120);
	assert_int_equal(p->data_default_s, 30);
	assert_null(fst_server_profile_find("glFTPd", "Session timed out, closing."));
	assert_null(fst_server_profile_find(NULL, NULL));
	assert_null(fst_server_profile_find(NULL, ""));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(fst_verdict_name(FST_VERDICT_IDLE_TIMEOUT), "idle_timeout");
	assert_string_equal(fst_verdict_name(FST_VERDICT_MIDDLEBOX_RESET), "middlebox_reset");
	assert_string_equal(fst_verdict_name(FST_VERDICT_COUNT), "?");
	assert_string_equal(fst_wait_name(FST_WAIT_RECEIVER), "receiver");
	assert_string_equal(fst_wait_name(FST_WAIT_COUNT), "?");
	assert_string_equal(fst_close_by_name(FST_CLOSE_BY_MIDDLEBOX), "middlebox");
	assert_string_equal(fst_close_by_name(FST_CLOSE_BY_COUNT), "?");
	assert_string_equal(fst_stalled_side_name(FST_STALLED_NETWORK), "network");
	assert_string_equal(fst_stalled_side_name(FST_STALLED_COUNT), "?");
	for (int v = 0; v < FST_VERDICT_COUNT; v++)
		assert_int_equal(fst_verdict_is_incident((enum fst_verdict)v),
				 v != FST_VERDICT_CLEAN && v != FST_VERDICT_INCOMPLETE);
}

static void test_empty_analysis(void **state)
{
	struct fst_analysis_cfg cfg = { 0 };
	struct fst_analysis *an = fst_analysis_new(&cfg);

	(void)state;
	assert_non_null(an);
	fst_analysis_finish(an);
	assert_null(fst_analysis_results(an));
	assert_null(fst_analysis_servers(an));
	fst_analysis_free(an);
	fst_analysis_free(NULL);
}

/* ------------------------------------------------------------------ */

static int teardown_net(void **state)
{
	struct net *n = live_net;

	(void)state;
	if (n) {
		live_net = NULL;
		net_destroy(n);
	}
	return 0;
}

static int setup_fill(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fill); i++)
		fill[i] = (uint8_t)('a' + i % 26);
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, teardown_net)

/* ------------------------------------------------------------------ */
/* session lifetime: results go with the sessions the ftp layer frees */

static void test_results_follow_session_free(void **state)
{
	struct fst_ftp_cfg fcfg = { .max_sessions = 3 };
	struct net *n = net_new_ftp(NULL, &fcfg);
	struct conn c;
	size_t kept = 0;

	(void)state;
	for (uint16_t i = 0; i < 7; i++) {
		conn_open(&c, n, CLIENT_IP, (uint16_t)(42000 + i), SERVER_IP, 21);
		login(&c, VSFTPD_BANNER);
		if (i % 2) {
			/* every other one: an idle timeout */
			idle(n, 300 * SEC);
			sv(&c, "421 Timeout.\r\n");
			server_closes(&c);
		} else {
			cl(&c, "QUIT\r\n");
			sv(&c, "221 Goodbye.\r\n");
			close_both(&c, FST_DIR_CLIENT);
		}
	}
	net_finish(n);
	/* The newest three stay, each with its own session; four went. */
	assert_int_equal(result_count(n), 3);
	assert_int_equal(fst_analysis_sessions_evicted(n->an), 4);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions_evicted, 4);
	for (struct fst_ftp_session *s = fst_ftp_sessions(n->ftp); s; s = fst_ftp_session_next(s)) {
		const struct fst_session_result *r = result_at(n, kept++);

		assert_ptr_equal(r->session, s);
		assert_ptr_equal(s->user, r);
		assert_int_equal(s->id, 4 + kept);
		assert_int_equal(r->verdict,
				 s->id % 2 ? FST_VERDICT_CLEAN : FST_VERDICT_IDLE_TIMEOUT);
	}
	assert_int_equal(kept, 3);
	/* The kept idle timeout's announcing reply was copied whole. */
	assert_string_equal(result_at(n, 1)->close.reply_text, "Timeout.");
	assert_false(result_at(n, 1)->close.reply_text_truncated);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* idle_timeout */
		T(test_seed_idle_timeout_write_after_close),
		T(test_reset_after_write_across_client_fin),
		T(test_reply_after_client_reset),
		T(test_duplicated_packets_change_nothing),
		T(test_results_follow_session_free),
		T(test_quit_after_server_fin_is_not_clean),
		T(test_proftpd_idle_after_login),
		T(test_proftpd_no_transfer_keepalives),
		T(test_proftpd_no_transfer_after_idle),
		T(test_proftpd_idle_timer),
		T(test_proftpd_login_timer),
		T(test_pureftpd_noop_only),
		T(test_pureftpd_noop_after_slow_login),
		T(test_pureftpd_noop_then_quiet_is_observed),
		T(test_unknown_server_keepalives_timer_unknown),
		T(test_proftpd_stalled_timer),
		T(test_reply_timer_table),
		T(test_idle_timeout_without_reply),
		T(test_profile_from_421_text),
		T(test_pureftpd_no_noop_advice),
		/* data_timeout and data gaps */
		T(test_upload_data_timeout),
		T(test_upload_data_timeout_data_left_open),
		T(test_idle_timeout_client_fins_first),
		T(test_upload_data_cut_client_closes_first),
		T(test_zero_window_gap_waits_on_receiver),
		T(test_data_words_alone_not_data_timeout),
		T(test_zero_window_data_timeout_stalls_client),
		T(test_zero_window_upload_stalls_server),
		T(test_zero_window_of_sender_ignored),
		T(test_connect_failed_pasv_unanswered_425),
		T(test_connect_failed_refused_unclaimed),
		T(test_connect_failed_active),
		T(test_connect_failed_pasv_address_elsewhere),
		T(test_connect_not_failed_without_evidence),
		T(test_connect_failed_then_recovered),
		T(test_long_transfer_control_gap_waits_on_nobody),
		T(test_retransmissions_gap_waits_on_network),
		/* server_unresponsive */
		T(test_server_unresponsive_client_gives_up),
		T(test_server_unresponsive_server_closes),
		T(test_server_unresponsive_quick_close),
		T(test_server_unresponsive_transfer_command),
		T(test_server_unresponsive_capture_ends),
		/* middlebox_reset */
		T(test_middlebox_reset_by_ttl),
		T(test_middlebox_reset_toward_server),
		T(test_nat_resets_silent_control_during_retr),
		T(test_path_drops_noop_after_idle),
		T(test_server_acked_request_is_not_the_path),
		T(test_retransmitted_then_acked_is_not_the_path),
		T(test_path_drops_226_seen_at_server),
		T(test_226_unacked_without_live_client_is_not_the_path),
		T(test_path_drops_226_seen_at_client),
		T(test_path_drops_226_client_keeps_data_open),
		T(test_reply_missing_after_short_transfer_is_not_the_path),
		T(test_keepalives_keep_path_open),
		T(test_path_bounds_from_two_sessions),
		/* client_abort, clean, incomplete */
		T(test_client_abort_during_retr),
		T(test_client_reset_right_after_download),
		T(test_clean_quit),
		/* login_failed, slow replies */
		T(test_login_failed_delayed_530_client_closes),
		T(test_login_failed_server_closes),
		T(test_login_failed_quit),
		T(test_login_failed_then_idle_timeout),
		T(test_login_failed_then_unanswered_command),
		T(test_login_retry_succeeds),
		T(test_slow_reply_answered_is_not_unresponsive),
		T(test_unanswered_gap_decides_over_answered),
		T(test_slow_reply_preliminary),
		T(test_clean_client_fin_nothing_owed),
		T(test_clean_tls_hidden_quit),
		T(test_tls_idle_timeout),
		T(test_incomplete_capture_ends_open),
		/* unknown */
		T(test_unknown_capture_loss_in_decisive_gap),
		T(test_unknown_capture_loss_both_directions),
		T(test_capture_loss_outside_decisive_gap),
		T(test_decisive_gap_survives_gap_growth),
		T(test_one_sided_capture_is_unknown),
		T(test_one_sided_server_only),
		T(test_lost_421_matches_estimate),
		T(test_lost_421_needs_known_timer),
		T(test_lost_421_and_client_bytes_is_unknown),
		T(test_kernel_drops),
		T(test_data_connections_missing),
		T(test_partial_reply_is_server_activity),
		/* reconnects */
		T(test_reconnect_resumes_with_rest),
		T(test_reconnect_truncated_reupload),
		T(test_reconnect_resumes_with_appe),
		T(test_reconnect_outside_window_not_linked),
		T(test_reconnect_other_user_not_linked),
		T(test_reconnect_skips_other_user_takes_next_file),
		T(test_reconnect_same_user_same_file),
		T(test_reconnect_same_user_other_work_probable),
		T(test_reconnect_failed_login_not_recovered),
		/* estimates */
		T(test_server_estimate_median_spread),
		T(test_server_estimate_even_count),
		T(test_server_estimate_running_idle),
		/* gaps */
		T(test_gap_threshold),
		T(test_gap_threshold_default),
		T(test_max_gaps_cap),
		/* live */
		T(test_live_updates_and_idle),
		T(test_finish_twice),
		/* pure functions */
		T(test_stated_timeout),
		T(test_profile_find),
		T(test_names),
		T(test_empty_analysis),
	};

	return cmocka_run_group_tests(tests, setup_fill, NULL);
}
