/* Unit tests of the correlation of two capture points: a path between a
 * client and a server with a NAT in the middle is simulated packet by
 * packet, each packet written down at the point(s) it passed, with the
 * clocks apart and a delay each way; the matcher must find the
 * connection, the offset, the nearer point and what the path did. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/correlate.h"

#define MAX_PKTS 256
#define OPT_LEN	 4 /* an MSS option before each payload */

/* One packet as a point saw it; the payload follows its TCP options in
 * buf, as in a frame. */
struct seen {
	struct fst_packet pkt;
	uint8_t buf[OPT_LEN + 128];
};

struct path {
	struct seen at[FST_POINT_COUNT][MAX_PKTS];
	size_t count[FST_POINT_COUNT];
	enum fst_point client_point;
	int64_t offset_us; /* B's clock minus A's */
	int64_t delay_us;  /* one way, between the points */
	uint32_t cseq, sseq;
	uint16_t mss_at_server; /* a clamp: the client's SYN leaves with this MSS */
				/* Leave other bytes in the unused part of IPv4 addresses, as a
	 * decoder reusing one packet struct for IPv6 and IPv4 does. */
	bool stale_address_bytes;
	bool nat_keeps_port;  /* the masquerade keeps the client's port */
	uint16_t server_port; /* 0: 21 */
};

static struct fst_addr ip(const char *text)
{
	struct fst_addr a = { .family = 4 };

	assert_int_equal(inet_pton(AF_INET, text, a.bytes), 1);
	return a;
}

/* The client's endpoint at the client's side of the NAT, and the
 * masquerade the server sees. */
#define CLIENT	    "192.168.1.10"
#define CLIENT_PORT 40000
#define NATTED	    "198.51.100.1"
#define NAT_PORT    61000
#define SERVER	    "203.0.113.5"

static void put(struct path *p, enum fst_point point, int64_t ts_us, bool from_client, uint32_t seq,
		uint32_t ack, uint8_t flags, uint8_t ttl, const char *payload, uint16_t mss)
{
	struct seen *s = &p->at[point][p->count[point]++];
	bool inside = point == p->client_point; /* between the client and the NAT */
	struct fst_addr client = ip(inside ? CLIENT : NATTED), server = ip(SERVER);
	uint16_t client_port = inside || p->nat_keeps_port ? CLIENT_PORT : NAT_PORT;
	size_t len = payload ? strlen(payload) : 0;

	assert_true(p->count[point] <= MAX_PKTS);
	memset(s, 0, sizeof(*s));
	s->buf[0] = 2;
	s->buf[1] = 4;
	s->buf[2] = (uint8_t)(mss >> 8);
	s->buf[3] = (uint8_t)mss;
	memcpy(s->buf + OPT_LEN, payload ? payload : "", len);
	s->pkt.ts_us = point == FST_POINT_B ? ts_us + p->offset_us : ts_us;
	if (p->stale_address_bytes) {
		memset(client.bytes + 4, (int)p->count[point], 12);
		memset(server.bytes + 4, 0xa5 ^ (int)p->count[point], 12);
	}
	s->pkt.src = from_client ? client : server;
	s->pkt.dst = from_client ? server : client;
	s->pkt.src_port = from_client ? client_port : (p->server_port ? p->server_port : 21);
	s->pkt.dst_port = from_client ? (p->server_port ? p->server_port : 21) : client_port;
	s->pkt.ttl = ttl;
	s->pkt.flags = flags;
	s->pkt.seq = seq;
	s->pkt.ack = ack;
	s->pkt.window = 64240;
	s->pkt.payload_len = (uint32_t)len;
	s->pkt.payload_caplen = (uint32_t)len;
	s->pkt.payload = s->buf + OPT_LEN;
	s->pkt.tcp_header_len = (flags & FST_TCP_SYN) ? 20 + OPT_LEN : 20;
}

enum fate {
	PASSES,
	LOST,	  /* passes the sender's point only */
	FORGED,	  /* appears at the receiver's point only, made by the NAT */
	REWRITTEN /* the NAT writes `rewritten` instead */
};

/* A segment sent at t_us (true time = A's clock) by the client or the
 * server, through the path, with its fate. Advances the sender's
 * sequence number. rewritten: the payload past the NAT. */
static void send_seg(struct path *p, int64_t t_us, bool from_client, uint8_t flags,
		     const char *payload, enum fate fate, const char *rewritten)
{
	enum fst_point sender_point = from_client ? p->client_point : !p->client_point;
	enum fst_point receiver_point = !sender_point;
	uint32_t *seq = from_client ? &p->cseq : &p->sseq;
	uint32_t ack = from_client ? p->sseq : p->cseq;
	size_t len = payload ? strlen(payload) : 0;
	uint16_t mss = (flags & FST_TCP_SYN) ? 1460 : 0;

	if (fate != FORGED)
		put(p, sender_point, t_us, from_client, *seq, ack, flags, 64, payload, mss);
	if (fate == PASSES || fate == REWRITTEN || fate == FORGED)
		put(p, receiver_point, t_us + p->delay_us, from_client, *seq, ack, flags,
		    fate == FORGED ? 64 : 63, fate == REWRITTEN ? rewritten : payload,
		    (flags & FST_TCP_SYN) && from_client && p->mss_at_server ? p->mss_at_server :
									       mss);
	if (fate == FORGED)
		return;
	*seq += (uint32_t)len + ((flags & (FST_TCP_SYN | FST_TCP_FIN)) ? 1 : 0);
}

static void handshake(struct path *p, int64_t t_us)
{
	send_seg(p, t_us, true, FST_TCP_SYN, NULL, PASSES, NULL);
	send_seg(p, t_us + 1000, false, FST_TCP_SYN | FST_TCP_ACK, NULL, PASSES, NULL);
	send_seg(p, t_us + 2000, true, FST_TCP_ACK, NULL, PASSES, NULL);
	send_seg(p, t_us + 3000, false, FST_TCP_ACK | FST_TCP_PSH, "220 ready\r\n", PASSES, NULL);
	send_seg(p, t_us + 4000, true, FST_TCP_ACK, NULL, PASSES, NULL);
}

static void path_init(struct path *p, enum fst_point client_point, int64_t offset_us)
{
	memset(p, 0, sizeof(*p));
	p->client_point = client_point;
	p->offset_us = offset_us;
	p->delay_us = 250;
	p->cseq = 1000000;
	p->sseq = 3000000000u; /* wraps during the session */
}

static int by_time(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return (x->pkt.ts_us > y->pkt.ts_us) - (x->pkt.ts_us < y->pkt.ts_us);
}

/* Feeds both points merged as the app does, and finishes. Returns new,
 * free with fst_correlate_free. */
static struct fst_correlate *run(struct path *p, const struct fst_correlate_cfg *cfg)
{
	struct fst_correlate *c = fst_correlate_new(cfg);
	size_t next[FST_POINT_COUNT] = { 0, 0 };

	assert_non_null(c);
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		qsort(p->at[pt], p->count[pt], sizeof(p->at[pt][0]), by_time);
	while (next[0] < p->count[0] || next[1] < p->count[1]) {
		enum fst_point pt;

		if (next[0] == p->count[0])
			pt = FST_POINT_B;
		else if (next[1] == p->count[1])
			pt = FST_POINT_A;
		else
			pt = fst_correlate_align_us(c, FST_POINT_B, p->at[1][next[1]].pkt.ts_us) <
					     p->at[0][next[0]].pkt.ts_us ?
				     FST_POINT_B :
				     FST_POINT_A;
		fst_correlate_input(c, pt, &p->at[pt][next[pt]++].pkt);
	}
	fst_correlate_finish(c);
	return c;
}

static const struct fst_path_segment *only_segment(const struct fst_corr_conn *k,
						   enum fst_path_kind kind)
{
	const struct fst_path_segment *found = NULL;

	for (size_t i = 0; i < k->segment_count; i++)
		if (k->segments[i].kind == kind) {
			assert_null(found);
			found = &k->segments[i];
		}
	assert_non_null(found);
	return found;
}

/* The server's 226 dropped after the NAT forgot the connection: lost,
 * with each retransmission; B's clock 3.7 s ahead. */
static void test_lost_reply_and_offset(void **state)
{
	static struct path p;
	const struct fst_correlate_clock *clock;
	const struct fst_corr_conn *k;
	const struct fst_path_segment *s;
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_A, 3700000);
	handshake(&p, 1000000);
	send_seg(&p, 1100000, true, FST_TCP_ACK | FST_TCP_PSH, "RETR f\r\n", PASSES, NULL);
	send_seg(&p, 1101000, false, FST_TCP_ACK | FST_TCP_PSH, "150 go\r\n", PASSES, NULL);
	send_seg(&p, 1102000, true, FST_TCP_ACK, NULL, PASSES, NULL);
	for (int i = 0; i < 4; i++) {
		/* The same segment again: the sequence number does not move. */
		send_seg(&p, 5500000 + i * 400000, false, FST_TCP_ACK | FST_TCP_PSH,
			 "226 Transfer complete.\r\n", LOST, NULL);
		p.sseq -= 24;
	}
	c = run(&p, NULL);
	assert_int_equal(fst_correlate_shared(c), 1);
	clock = fst_correlate_clock(c);
	assert_true(clock->known);
	assert_int_equal(clock->nearer_client, FST_POINT_A);
	assert_true(clock->nearer_by_ttl);
	assert_true(clock->offset_s > 3.699 && clock->offset_s < 3.701);
	assert_true(clock->delay_to_server_s > 0.0002 && clock->delay_to_server_s < 0.0003);
	k = fst_correlate_conn_at(c, 0);
	assert_int_equal(k->client_port[FST_POINT_A], CLIENT_PORT);
	assert_int_equal(k->client_port[FST_POINT_B], NAT_PORT);
	assert_true(k->matched_by_syn);
	assert_int_equal(k->counts[FST_PATH_LOST], 4);
	assert_int_equal(k->counts[FST_PATH_INJECTED], 0);
	s = only_segment(k, FST_PATH_LOST);
	assert_int_equal(s->from, FST_SIDE_SERVER);
	assert_int_equal(s->seen_at, FST_POINT_B);
	assert_int_equal(s->repeats, 3);
	assert_string_equal(s->text, "226 Transfer complete.");
	assert_true(s->idle_before_us > 4000000);
	fst_correlate_free(c);
}

/* The same with the points swapped: B is the client's, the offset is
 * the opposite. */
static void test_points_swapped(void **state)
{
	static struct path p;
	const struct fst_correlate_clock *clock;
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_B, -2500000);
	handshake(&p, 1000000);
	send_seg(&p, 2000000, true, FST_TCP_ACK | FST_TCP_PSH, "NOOP\r\n", LOST, NULL);
	c = run(&p, NULL);
	clock = fst_correlate_clock(c);
	assert_int_equal(clock->nearer_client, FST_POINT_B);
	assert_true(clock->offset_s > -2.501 && clock->offset_s < -2.499);
	assert_int_equal(fst_correlate_conn_at(c, 0)->counts[FST_PATH_LOST], 1);
	assert_int_equal(only_segment(fst_correlate_conn_at(c, 0), FST_PATH_LOST)->seen_at,
			 FST_POINT_B);
	fst_correlate_free(c);
}

/* A reset in the server's name that the server never sent. */
static void test_injected_reset(void **state)
{
	static struct path p;
	const struct fst_path_segment *s;
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_A, 0);
	handshake(&p, 1000000);
	send_seg(&p, 6000000, true, FST_TCP_ACK | FST_TCP_PSH, "NOOP\r\n", LOST, NULL);
	send_seg(&p, 6000100, false, FST_TCP_RST, NULL, FORGED, NULL);
	c = run(&p, NULL);
	s = only_segment(fst_correlate_conn_at(c, 0), FST_PATH_INJECTED);
	assert_int_equal(s->from, FST_SIDE_SERVER);
	assert_int_equal(s->seen_at, FST_POINT_A);
	assert_int_equal(s->flags, FST_TCP_RST);
	assert_int_equal(s->ttl, 64);
	assert_int_equal(fst_correlate_conn_at(c, 0)->passed_ttl[FST_POINT_A][FST_SIDE_SERVER], 63);
	assert_int_equal(fst_correlate_conn_at(c, 0)->counts[FST_PATH_LOST], 1);
	fst_correlate_free(c);
}

/* An ALG writes a longer address into the PORT: the rewrite is found,
 * and the NAT's shift of the later sequence numbers (and the server's
 * ACKs of them) does not make every later segment look lost. The SYN's
 * MSS was clamped on the way too. */
static void test_rewrite_changes_length(void **state)
{
	static struct path p;
	const struct fst_corr_conn *k;
	const struct fst_path_segment *s;
	struct fst_correlate *c;
	bool port_seen = false, mss_seen = false;

	(void)state;
	path_init(&p, FST_POINT_A, 1500000);
	p.mss_at_server = 1400;
	handshake(&p, 1000000);
	send_seg(&p, 1100000, true, FST_TCP_ACK | FST_TCP_PSH, "PORT 10,0,0,7,156,64\r\n",
		 REWRITTEN, "PORT 198,51,100,1,156,64\r\n");
	/* The server acknowledges in its own numbers, 4 bytes further; the
	 * NAT takes the 4 off on the way back. */
	put(&p, FST_POINT_B, 1101000, false, p.sseq, p.cseq + 4, FST_TCP_ACK | FST_TCP_PSH, 64,
	    "200 PORT ok\r\n", 0);
	put(&p, FST_POINT_A, 1101000 + p.delay_us, false, p.sseq, p.cseq, FST_TCP_ACK | FST_TCP_PSH,
	    63, "200 PORT ok\r\n", 0);
	p.sseq += 13;
	/* put() writes one seq for both points: send the client's next
	 * segment as each point has it. */
	put(&p, FST_POINT_A, 1102000, true, p.cseq, p.sseq, FST_TCP_ACK | FST_TCP_PSH, 64,
	    "LIST\r\n", 0);
	put(&p, FST_POINT_B, 1102000 + p.delay_us, true, p.cseq + 4, p.sseq,
	    FST_TCP_ACK | FST_TCP_PSH, 63, "LIST\r\n", 0);
	c = run(&p, NULL);
	k = fst_correlate_conn_at(c, 0);
	assert_int_equal(k->counts[FST_PATH_LOST], 0);
	assert_int_equal(k->counts[FST_PATH_INJECTED], 0);
	assert_int_equal(k->counts[FST_PATH_REWRITTEN], 2);
	for (size_t i = 0; i < k->segment_count; i++) {
		s = &k->segments[i];
		assert_int_equal(s->kind, FST_PATH_REWRITTEN);
		if (s->changed & FST_REWRITE_PAYLOAD) {
			assert_string_equal(s->text, "PORT 10,0,0,7,156,64");
			assert_string_equal(s->text_after, "PORT 198,51,100,1,156,64");
			port_seen = true;
		}
		if (s->changed & FST_REWRITE_MSS) {
			assert_int_equal(s->mss_before, 1460);
			assert_int_equal(s->mss_after, 1400);
			mss_seen = true;
		}
	}
	assert_true(port_seen && mss_seen);
	assert_int_equal(k->matched, k->packets[FST_POINT_A]);
	fst_correlate_free(c);
}

/* Captures that began after the connection did: no SYN, matched by a
 * segment; a lost PASS shows no password. */
static void test_mid_stream_and_password(void **state)
{
	static struct path p;
	struct fst_correlate *c;
	const struct fst_corr_conn *k;

	(void)state;
	path_init(&p, FST_POINT_A, 0);
	send_seg(&p, 1000000, true, FST_TCP_ACK | FST_TCP_PSH, "USER bob\r\n", PASSES, NULL);
	send_seg(&p, 1001000, false, FST_TCP_ACK | FST_TCP_PSH, "331 pw\r\n", PASSES, NULL);
	send_seg(&p, 9000000, true, FST_TCP_ACK | FST_TCP_PSH, "PASS hunter2\r\n", LOST, NULL);
	c = run(&p, NULL);
	assert_int_equal(fst_correlate_shared(c), 1);
	k = fst_correlate_conn_at(c, 0);
	assert_false(k->matched_by_syn);
	assert_string_equal(only_segment(k, FST_PATH_LOST)->text, "PASS ****");
	fst_correlate_free(c);
}

/* The bytes past an IPv4 address's four are not part of it: one
 * connection, every packet matched (they once split it in two). */
static void test_ipv4_stale_address_bytes(void **state)
{
	static struct path p;
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_A, 0);
	p.stale_address_bytes = true;
	handshake(&p, 1000000);
	send_seg(&p, 1100000, true, FST_TCP_ACK | FST_TCP_PSH, "NOOP\r\n", PASSES, NULL);
	send_seg(&p, 1101000, false, FST_TCP_ACK | FST_TCP_PSH, "200 ok\r\n", PASSES, NULL);
	c = run(&p, NULL);
	assert_int_equal(fst_correlate_conn_count(c), 1);
	assert_int_equal(fst_correlate_stats(c)->matched, p.count[FST_POINT_A]);
	fst_correlate_free(c);
}

/* B's capture began after the control connection went idle: its only
 * packets of it are the server's 226 and its retransmissions, which
 * never reached A, so no packet binds the connection; the server's
 * endpoint, the kept client port and time do, and the 226 is lost, its
 * idle before it unknown. The data connection that B saw whole is
 * matched as usual. */
static void test_late_capture_bound_by_endpoints(void **state)
{
	static struct path p;
	const struct fst_path_segment *s;
	const struct fst_corr_conn *k = NULL;
	struct fst_correlate *c;
	size_t kept = 0;

	(void)state;
	path_init(&p, FST_POINT_A, 2000000);
	p.nat_keeps_port = true;
	handshake(&p, 1000000);
	send_seg(&p, 1100000, true, FST_TCP_ACK | FST_TCP_PSH, "RETR f\r\n", PASSES, NULL);
	send_seg(&p, 1101000, false, FST_TCP_ACK | FST_TCP_PSH, "150 go\r\n", PASSES, NULL);
	send_seg(&p, 1102000, true, FST_TCP_ACK, NULL, PASSES, NULL);
	/* B's capture starts here: drop what it saw before. */
	for (size_t i = 0; i < p.count[FST_POINT_B]; i++)
		if (p.at[FST_POINT_B][i].pkt.ts_us - p.offset_us < 3000000)
			continue;
		else
			p.at[FST_POINT_B][kept++] = p.at[FST_POINT_B][i];
	p.count[FST_POINT_B] = kept;
	/* A second connection (data, say), whole at both points. */
	p.cseq = 500;
	p.sseq = 900;
	p.server_port = 30000;
	handshake(&p, 3500000);
	p.server_port = 0;
	for (int i = 0; i < 3; i++) {
		p.cseq = 1000000 + 15; /* the control connection's numbers again */
		p.sseq = 3000000000u + 12 + 8;
		send_seg(&p, 5500000 + i * 400000, false, FST_TCP_ACK | FST_TCP_PSH,
			 "226 Transfer complete.\r\n", LOST, NULL);
	}
	c = run(&p, NULL);
	for (size_t i = 0; i < fst_correlate_conn_count(c); i++)
		if (fst_correlate_conn_at(c, i)->server_port[FST_POINT_A] == 21 &&
		    fst_correlate_conn_at(c, i)->counts[FST_PATH_LOST])
			k = fst_correlate_conn_at(c, i);
	assert_non_null(k);
	assert_true(k->matched_by_endpoints);
	assert_true(k->seen[FST_POINT_A] && k->seen[FST_POINT_B]);
	assert_int_equal(k->counts[FST_PATH_LOST], 3);
	s = only_segment(k, FST_PATH_LOST);
	assert_int_equal(s->seen_at, FST_POINT_B);
	assert_int_equal(s->repeats, 2);
	assert_true(s->idle_before_us < 0);
	assert_true(fst_correlate_clock(c)->offset_s > 1.999 &&
		    fst_correlate_clock(c)->offset_s < 2.001);
	fst_correlate_free(c);
}

/* Two captures of different traffic share nothing. */
static void test_unrelated(void **state)
{
	static struct path p, q;
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_A, 0);
	path_init(&q, FST_POINT_A, 0);
	q.cseq = 77;
	q.sseq = 99;
	handshake(&p, 1000000);
	handshake(&q, 1000000);
	/* B gets q's packets as B saw them. */
	memcpy(p.at[FST_POINT_B], q.at[FST_POINT_B], sizeof(q.at[FST_POINT_B]));
	p.count[FST_POINT_B] = q.count[FST_POINT_B];
	c = run(&p, NULL);
	assert_int_equal(fst_correlate_shared(c), 0);
	assert_false(fst_correlate_clock(c)->known);
	fst_correlate_free(c);
}

/* The window's cap: the oldest waiting packets leave counted, not lost. */
static void test_pending_cap(void **state)
{
	static struct path p;
	struct fst_correlate_cfg cfg = { .max_pending = 4 };
	struct fst_correlate *c;

	(void)state;
	path_init(&p, FST_POINT_A, 0);
	handshake(&p, 1000000);
	for (int i = 0; i < 20; i++)
		send_seg(&p, 2000000 + i * 1000, true, FST_TCP_ACK | FST_TCP_PSH, "NOOP\r\n", LOST,
			 NULL);
	c = run(&p, &cfg);
	assert_true(fst_correlate_stats(c)->window_overflow >= 16);
	assert_true(fst_correlate_stats(c)->pending_peak[FST_POINT_A] <= 4);
	assert_true(fst_correlate_conn_at(c, 0)->counts[FST_PATH_LOST] <= 4);
	fst_correlate_free(c);
}

/* docs/verdicts.md lists the combined verdicts' rules as the code
 * applies them: the rows of its "Two capture points" rule table. */
static void test_rules_documented(void **state)
{
	FILE *f = fopen(FST_SOURCE_DIR "/docs/verdicts.md", "r");
	char line[4096];
	bool in_section = false, in_table = false;
	size_t n = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (strncmp(line, "## ", 3) == 0)
			in_section = strstr(line, "Two capture points") != NULL;
		if (!in_section)
			continue;
		if (strncmp(line, "| rule | verdict |", 18) == 0) {
			in_table = true;
			continue;
		}
		if (!in_table || strncmp(line, "|---", 4) == 0)
			continue;
		if (line[0] != '|')
			break;
		assert_int_equal(sscanf(line, "| `%63[a-z_]`", name), 1);
		assert_non_null(fst_correlate_rule_at(n));
		assert_string_equal(name, fst_correlate_rule_at(n));
		n++;
	}
	fclose(f);
	assert_int_equal(n, fst_correlate_rule_count());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_reply_and_offset),
		cmocka_unit_test(test_points_swapped),
		cmocka_unit_test(test_injected_reset),
		cmocka_unit_test(test_rewrite_changes_length),
		cmocka_unit_test(test_mid_stream_and_password),
		cmocka_unit_test(test_ipv4_stale_address_bytes),
		cmocka_unit_test(test_late_capture_bound_by_endpoints),
		cmocka_unit_test(test_unrelated),
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_rules_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
