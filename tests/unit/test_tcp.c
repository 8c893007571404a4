/* Unit tests for src/tcp: flow table, reassembly and the TCP event
 * stream. Packets are built as struct fst_packet values and fed to
 * fst_tcp_input; a callback records every event, and the tests compare
 * the recorded sequence, written compactly as e.g.
 *   "OPEN:C OPEN:S DATA:S:8 FIN:C CLOSE:fin"
 * (kind:dir[:len or window]; CLOSE:reason), so a failure shows the whole
 * story. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/tcp.h"
#include "pktbuild.h"

enum {
	MAX_EVENTS = 4096,
	MAX_FLOWS = 1024,
	ARENA_SIZE = 1 << 20
};

/* One recorded event; data copied out of the callback. */
struct rec_ev {
	struct fst_tcp_event ev; /* ev.flow and ev.data are not kept */
	uint64_t flow_id;
	bool data_null;
	size_t data_off; /* into the arena */
	/* Snapshot of the flow at the event. */
	struct fst_tcp_flow flow;
};

struct recorder {
	struct rec_ev ev[MAX_EVENTS];
	size_t n;
	uint8_t arena[ARENA_SIZE];
	size_t arena_used;
	/* Open flows by id (pointer valid until their CLOSE). */
	struct fst_tcp_flow *flow[MAX_FLOWS];
	bool closed[MAX_FLOWS];
	char violation[256]; /* first broken invariant, if any */
	/* Hooks run inside the callback. */
	bool payload_on_open;
};

static void on_event(void *ctx, const struct fst_tcp_event *ev)
{
	struct recorder *r = ctx;
	struct rec_ev *re;
	uint64_t id = ev->flow ? ev->flow->id : 0;

	if (!ev->flow) {
		snprintf(r->violation, sizeof(r->violation), "event %d without a flow",
			 (int)ev->kind);
		return;
	}
	if (id >= MAX_FLOWS) {
		snprintf(r->violation, sizeof(r->violation), "flow id %llu out of range",
			 (unsigned long long)id);
		return;
	}
	if (r->closed[id] && !r->violation[0])
		snprintf(r->violation, sizeof(r->violation),
			 "event %s for flow %llu after its CLOSE",
			 fst_tcp_event_kind_name(ev->kind), (unsigned long long)id);
	if (r->n >= MAX_EVENTS) {
		snprintf(r->violation, sizeof(r->violation), "too many events");
		return;
	}
	re = &r->ev[r->n++];
	re->ev = *ev;
	re->ev.flow = NULL;
	re->ev.data = NULL;
	re->flow_id = id;
	re->flow = *ev->flow;
	re->data_null = ev->data == NULL;
	re->data_off = r->arena_used;
	if (ev->kind == FST_TCP_EV_DATA && ev->data && ev->data_caplen) {
		if (r->arena_used + ev->data_caplen > ARENA_SIZE) {
			snprintf(r->violation, sizeof(r->violation), "arena full");
		} else {
			memcpy(r->arena + r->arena_used, ev->data, ev->data_caplen);
			r->arena_used += ev->data_caplen;
		}
	}
	r->flow[id] = ev->flow;
	if (ev->kind == FST_TCP_EV_CLOSE) {
		r->closed[id] = true;
		r->flow[id] = NULL;
	}
	if (ev->kind == FST_TCP_EV_OPEN && r->payload_on_open)
		fst_tcp_flow_set_payload(ev->flow, true);
}

static const char *const kind_short[FST_TCP_EV_COUNT] = {
	[FST_TCP_EV_OPEN] = "OPEN",	    [FST_TCP_EV_DATA] = "DATA",
	[FST_TCP_EV_GAP] = "GAP",	    [FST_TCP_EV_FIN] = "FIN",
	[FST_TCP_EV_RST] = "RST",	    [FST_TCP_EV_ZERO_WINDOW] = "ZWIN",
	[FST_TCP_EV_WINDOW_OPEN] = "WOPEN", [FST_TCP_EV_KEEPALIVE] = "KA",
	[FST_TCP_EV_RETRANSMIT] = "RTX",    [FST_TCP_EV_CLOSE] = "CLOSE",
};

static const char *const reason_short[FST_TCP_CLOSE_REASON_COUNT] = {
	[FST_TCP_CLOSE_FIN] = "fin",	      [FST_TCP_CLOSE_RST] = "rst",
	[FST_TCP_CLOSE_IDLE] = "idle",	      [FST_TCP_CLOSE_TABLE_FULL] = "full",
	[FST_TCP_CLOSE_END_OF_INPUT] = "eoi",
};

enum fmt_flags {
	FMT_FLOW = 1,	    /* prefix each event with "id/" */
	FMT_MERGE_DATA = 2, /* consecutive DATA of one flow+dir as one */
};

/* Writes events [from, r->n) compactly into out. */
static const char *fmt_events(const struct recorder *r, size_t from, int flags, char *out,
			      size_t size)
{
	size_t used = 0, i;

	out[0] = '\0';
	for (i = from; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];
		const struct fst_tcp_event *ev = &e->ev;
		char item[64], pre[16] = "";
		char dir = ev->dir == FST_DIR_CLIENT ? 'C' : 'S';
		uint32_t len = ev->len;
		int n;

		if ((flags & FMT_MERGE_DATA) && ev->kind == FST_TCP_EV_DATA) {
			while (i + 1 < r->n && r->ev[i + 1].ev.kind == FST_TCP_EV_DATA &&
			       r->ev[i + 1].flow_id == e->flow_id &&
			       r->ev[i + 1].ev.dir == ev->dir) {
				i++;
				len += r->ev[i].ev.len;
			}
		}
		if (flags & FMT_FLOW)
			snprintf(pre, sizeof(pre), "%llu/", (unsigned long long)e->flow_id);
		switch (ev->kind) {
		case FST_TCP_EV_DATA:
		case FST_TCP_EV_GAP:
		case FST_TCP_EV_RETRANSMIT:
			snprintf(item, sizeof(item), "%s%s:%c:%u", pre, kind_short[ev->kind], dir,
				 len);
			break;
		case FST_TCP_EV_ZERO_WINDOW:
		case FST_TCP_EV_WINDOW_OPEN:
			snprintf(item, sizeof(item), "%s%s:%c:%u", pre, kind_short[ev->kind], dir,
				 ev->window);
			break;
		case FST_TCP_EV_CLOSE:
			snprintf(item, sizeof(item), "%sCLOSE:%s", pre,
				 (unsigned)ev->close_reason < FST_TCP_CLOSE_REASON_COUNT ?
					 reason_short[ev->close_reason] :
					 "?");
			break;
		case FST_TCP_EV_OPEN:
		case FST_TCP_EV_FIN:
		case FST_TCP_EV_RST:
		case FST_TCP_EV_KEEPALIVE:
			snprintf(item, sizeof(item), "%s%s:%c", pre, kind_short[ev->kind], dir);
			break;
		case FST_TCP_EV_COUNT:
		default:
			snprintf(item, sizeof(item), "%s?%d", pre, (int)ev->kind);
			break;
		}
		n = snprintf(out + used, size - used, "%s%s", used ? " " : "", item);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return out;
}

static char fmt_buf[8192];
static uint8_t fmt_buf_bytes[8192];

#define assert_events_from(r, from, flags, expected) \
	assert_string_equal(fmt_events((r), (from), (flags), fmt_buf, sizeof(fmt_buf)), (expected))
#define assert_events(r, expected) assert_events_from((r), 0, 0, (expected))

/* Concatenated DATA bytes of one flow and direction from event from on;
 * fails if any DATA event lacks its payload. Returns the length. */
static size_t stream(const struct recorder *r, uint64_t id, enum fst_tcp_dir dir, size_t from,
		     uint8_t *out, size_t cap)
{
	size_t n = 0, i;

	for (i = from; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];

		if (e->flow_id != id || e->ev.dir != dir || e->ev.kind != FST_TCP_EV_DATA)
			continue;
		if (!e->ev.payload_present || e->ev.data_caplen != e->ev.len)
			fail_msg("DATA event %zu without its payload", i);
		assert_true(n + e->ev.len <= cap);
		memcpy(out + n, r->arena + e->data_off, e->ev.len);
		n += e->ev.len;
	}
	return n;
}

#define assert_stream(r, id, dir, text)                                           \
	do {                                                                      \
		uint8_t sbuf_[8192];                                              \
		size_t slen_ = stream((r), (id), (dir), 0, sbuf_, sizeof(sbuf_)); \
		assert_int_equal(slen_, strlen(text));                            \
		assert_memory_equal(sbuf_, (text), slen_);                        \
	} while (0)

/* The last recorded event of a kind, or NULL. */
static const struct rec_ev *last_of(const struct recorder *r, enum fst_tcp_event_kind kind)
{
	size_t i = r->n;

	while (i-- > 0)
		if (r->ev[i].ev.kind == kind)
			return &r->ev[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* a connection to drive */

enum {
	CISN = 1000,
	SISN = 5000
};

struct conn {
	struct fst_tcp *tcp;
	struct fst_addr addr[2]; /* [FST_DIR_CLIENT] = the client's */
	uint16_t port[2];
	uint8_t ttl[2];
	uint16_t window[2];
	bool has_wscale[2];
	uint8_t wscale[2];
	uint32_t nxt[2];   /* next sequence number each side sends */
	uint16_t ip_id[2]; /* IPv4: the ID of each side's last packet */
	int64_t ts;
};

static void conn_init(struct conn *c, struct fst_tcp *tcp, const char *caddr, uint16_t cport,
		      const char *saddr, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->tcp = tcp;
	c->addr[FST_DIR_CLIENT] = pb_addr(caddr);
	c->addr[FST_DIR_SERVER] = pb_addr(saddr);
	c->port[FST_DIR_CLIENT] = cport;
	c->port[FST_DIR_SERVER] = sport;
	c->ttl[FST_DIR_CLIENT] = 64;
	c->ttl[FST_DIR_SERVER] = 50;
	c->window[0] = c->window[1] = 65535;
	c->nxt[FST_DIR_CLIENT] = CISN;
	c->nxt[FST_DIR_SERVER] = SISN;
	c->ts = INT64_C(1700000000) * FST_US_PER_SEC;
}

static void conn_v4(struct conn *c, struct fst_tcp *tcp)
{
	conn_init(c, tcp, "192.0.2.10", 54321, "198.51.100.20", 21);
}

/* Builds one segment from dir with everything explicit into *out (time
 * and IPv4 ID taken), without feeding it. out->payload borrows data. */
static void build_seg(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, uint32_t seq,
		      uint32_t ack, const void *data, uint32_t len, uint32_t caplen,
		      struct fst_packet *out)
{
	struct fst_packet p;
	int other = dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;

	memset(&p, 0, sizeof(p));
	p.ts_us = c->ts;
	c->ts += 1000;
	p.src = c->addr[dir];
	p.dst = c->addr[other];
	p.src_port = c->port[dir];
	p.dst_port = c->port[other];
	p.ttl = c->ttl[dir];
	/* Like a real stack's, every IPv4 packet (a retransmission too)
	 * carries a new ID: only a capture duplicate repeats one. */
	if (p.src.family == 4)
		p.ip_id = ++c->ip_id[dir];
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.window = c->window[dir];
	if (flags & FST_TCP_SYN) {
		p.has_wscale = c->has_wscale[dir];
		p.wscale = c->wscale[dir];
	}
	p.payload_len = len;
	p.payload = caplen ? data : NULL;
	p.payload_caplen = caplen;
	*out = p;
}

/* Sends one segment from dir with everything explicit. data must stay
 * valid for the call only. */
static void seg_full(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, uint32_t seq,
		     uint32_t ack, const void *data, uint32_t len, uint32_t caplen)
{
	struct fst_packet p;

	build_seg(c, dir, flags, seq, ack, data, len, caplen, &p);
	fst_tcp_input(c->tcp, &p);
}

static void seg(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, uint32_t seq, uint32_t ack,
		const char *text)
{
	uint32_t len = text ? (uint32_t)strlen(text) : 0;

	seg_full(c, dir, flags, seq, ack, text, len, len);
}

static enum fst_tcp_dir other_dir(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
}

/* In-order data (ACK|PSH) from dir at its next sequence number,
 * acknowledging everything the other side sent. */
static void send_data(struct conn *c, enum fst_tcp_dir dir, const char *text)
{
	uint32_t seq = c->nxt[dir];

	c->nxt[dir] += (uint32_t)strlen(text);
	seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, seq, c->nxt[other_dir(dir)], text);
}

/* A pure ACK from dir. */
static void send_ack(struct conn *c, enum fst_tcp_dir dir)
{
	seg(c, dir, FST_TCP_ACK, c->nxt[dir], c->nxt[other_dir(dir)], NULL);
}

/* FIN (with optional data) from dir. */
static void send_fin(struct conn *c, enum fst_tcp_dir dir, const char *text)
{
	uint32_t seq = c->nxt[dir];

	c->nxt[dir] += (text ? (uint32_t)strlen(text) : 0) + 1;
	seg(c, dir, FST_TCP_ACK | FST_TCP_FIN | (text ? FST_TCP_PSH : 0), seq,
	    c->nxt[other_dir(dir)], text);
}

static void handshake(struct conn *c)
{
	seg(c, FST_DIR_CLIENT, FST_TCP_SYN, c->nxt[FST_DIR_CLIENT], 0, NULL);
	c->nxt[FST_DIR_CLIENT]++;
	seg(c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, c->nxt[FST_DIR_SERVER],
	    c->nxt[FST_DIR_CLIENT], NULL);
	c->nxt[FST_DIR_SERVER]++;
	send_ack(c, FST_DIR_CLIENT);
}

/* ------------------------------------------------------------------ */
/* fixtures */

struct fixture {
	struct recorder *rec;
	struct fst_tcp *tcp;
	struct fst_tcp_cfg cfg;
	struct conn c;
};

static struct fixture *fx_new(const struct fst_tcp_cfg *cfg_in)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->rec = calloc(1, sizeof(*fx->rec));
	assert_non_null(fx->rec);
	if (cfg_in)
		fx->cfg = *cfg_in;
	else
		fx->cfg.payload_by_default = true;
	fx->cfg.on_event = on_event;
	fx->cfg.ctx = fx->rec;
	fx->tcp = fst_tcp_new(&fx->cfg);
	assert_non_null(fx->tcp);
	conn_v4(&fx->c, fx->tcp);
	return fx;
}

/* Frees everything; checks the recorder saw no broken invariant. */
static void fx_free(struct fixture *fx)
{
	fst_tcp_free(fx->tcp);
	if (fx->rec->violation[0])
		fail_msg("invariant: %s", fx->rec->violation);
	free(fx->rec);
	free(fx);
}

static const struct fst_tcp_stats *st(const struct fixture *fx)
{
	return fst_tcp_stats(fx->tcp);
}

/* ------------------------------------------------------------------ */
/* handshake, data, payload modes */

static void test_handshake_opens(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	handshake(&fx->c);
	assert_events(fx->rec, "OPEN:C OPEN:S");
	e = &fx->rec->ev[0];
	assert_int_equal(e->flow_id, 1);
	assert_true(e->flow.syn_seen);
	assert_false(e->flow.mid_stream);
	assert_true(fst_addr_equal(&e->flow.client_addr, &fx->c.addr[FST_DIR_CLIENT]));
	assert_true(fst_addr_equal(&e->flow.server_addr, &fx->c.addr[FST_DIR_SERVER]));
	assert_int_equal(e->flow.client_port, 54321);
	assert_int_equal(e->flow.server_port, 21);
	assert_int_equal(e->ev.ts_us, INT64_C(1700000000) * FST_US_PER_SEC);
	assert_int_equal(st(fx)->flows_opened, 1);
	assert_int_equal(st(fx)->flows_active, 1);
	assert_int_equal(st(fx)->packets, 3);

	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C OPEN:S CLOSE:eoi");
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_END_OF_INPUT], 1);
	assert_int_equal(st(fx)->flows_active, 0);
	fx_free(fx);
}

static void test_data_both_directions(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;
	int64_t ts;

	(void)state;
	handshake(&fx->c);
	ts = fx->c.ts;
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	send_data(&fx->c, FST_DIR_CLIENT, "USER anonymous\r\n");
	send_data(&fx->c, FST_DIR_SERVER, "331 password\r\n");
	send_ack(&fx->c, FST_DIR_CLIENT);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:C:16 DATA:S:14");
	e = &fx->rec->ev[2];
	assert_true(e->ev.payload_present);
	assert_false(e->data_null);
	assert_int_equal(e->ev.data_caplen, 11);
	assert_int_equal(e->ev.ts_us, ts);
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "220 ready\r\n331 password\r\n");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "USER anonymous\r\n");
	e = &fx->rec->ev[4];
	assert_int_equal(e->flow.bytes[FST_DIR_SERVER], 25);
	assert_int_equal(e->flow.bytes[FST_DIR_CLIENT], 16);
	assert_int_equal(e->flow.gap_bytes[FST_DIR_SERVER], 0);
	fst_tcp_finish(fx->tcp);
	e = last_of(fx->rec, FST_TCP_EV_CLOSE);
	assert_non_null(e);
	assert_int_equal(e->flow.packets[FST_DIR_CLIENT], 4);
	assert_int_equal(e->flow.packets[FST_DIR_SERVER], 3);
	fx_free(fx);
}

static void test_count_only_payload(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	const struct rec_ev *e;

	(void)state;
	cfg.payload_by_default = false;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_CLIENT, "0123456789");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10");
	e = &fx->rec->ev[2];
	assert_false(e->ev.payload_present);
	assert_true(e->data_null);
	assert_int_equal(e->ev.len, 10);
	assert_int_equal(e->flow.bytes[FST_DIR_CLIENT], 10);

	/* The consumer switches the flow to payload mode. */
	assert_non_null(fx->rec->flow[1]);
	fst_tcp_flow_set_payload(fx->rec->flow[1], true);
	send_data(&fx->c, FST_DIR_CLIENT, "abc");
	e = &fx->rec->ev[3];
	assert_int_equal(e->ev.kind, FST_TCP_EV_DATA);
	assert_true(e->ev.payload_present);
	assert_int_equal(e->ev.data_caplen, 3);
	assert_memory_equal(fx->rec->arena + e->data_off, "abc", 3);

	/* And back to counting. */
	fst_tcp_flow_set_payload(fx->rec->flow[1], false);
	send_data(&fx->c, FST_DIR_SERVER, "xyz!");
	e = &fx->rec->ev[4];
	assert_int_equal(e->ev.kind, FST_TCP_EV_DATA);
	assert_false(e->ev.payload_present);
	assert_int_equal(e->ev.len, 4);
	fx_free(fx);
}

static void test_payload_set_on_open(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;

	(void)state;
	cfg.payload_by_default = false;
	fx = fx_new(&cfg);
	fx->rec->payload_on_open = true;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 hi\r\n");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:8");
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "220 hi\r\n");
	fx_free(fx);
}

static void test_snaplen_cut_payload(void **state)
{
	static const char text[] = "0123456789";
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	handshake(&fx->c);
	/* 100 bytes on the wire, 10 captured. */
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, text, 100, 10);
	send_data(&fx->c, FST_DIR_SERVER, "ok");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:100 DATA:S:2");
	e = &fx->rec->ev[2];
	assert_false(e->ev.payload_present);
	assert_true(e->ev.data_caplen <= 10);
	if (!e->data_null && e->ev.data_caplen)
		assert_memory_equal(fx->rec->arena + e->data_off, text, e->ev.data_caplen);
	/* The next segment is in order after all 100. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 101, SISN + 3, "next");
	assert_events_from(fx->rec, 4, 0, "DATA:C:4");
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* reassembly */

static uint8_t fill[4096];

static void fill_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(fill); i++)
		fill[i] = (uint8_t)('a' + i % 26);
}

static void test_out_of_order(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;
	uint32_t base = CISN + 1;

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base, SISN + 1, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + 20, SISN + 1, "CCCCCCCCCC");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + 10, SISN + 1, "BBBBBBBBBB");
	assert_events_from(fx->rec, 3, 0, "DATA:C:10 DATA:C:10");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC");
	e = &fx->rec->ev[fx->rec->n - 1];
	assert_int_equal(e->flow.out_of_order[FST_DIR_CLIENT], 1);
	assert_int_equal(e->flow.bytes[FST_DIR_CLIENT], 30);
	assert_int_equal(e->flow.retransmissions[FST_DIR_CLIENT], 0);
	assert_int_equal(st(fx)->out_of_order, 1);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	assert_true(st(fx)->ooo_bytes_peak >= 10);
	fx_free(fx);
}

static void test_out_of_order_reverse(void **state)
{
	struct fixture *fx = fx_new(NULL);
	uint32_t base = SISN + 1;

	(void)state;
	handshake(&fx->c);
	/* Server segments 2, 3, 4 arrive in reverse before 1. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, base + 15, CISN + 1, "44444");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, base + 10, CISN + 1, "33333");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, base + 5, CISN + 1, "22222");
	assert_events(fx->rec, "OPEN:C OPEN:S");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, base, CISN + 1, "11111");
	assert_events_from(fx->rec, 2, 0, "DATA:S:5 DATA:S:5 DATA:S:5 DATA:S:5");
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "11111222223333344444");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.out_of_order[FST_DIR_SERVER], 3);
	fx_free(fx);
}

static void test_retransmission(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, "BBBBB");
	/* The first segment again, then a part of it. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 6, SISN + 1, "AAAAA");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10 DATA:C:5 RTX:C:10 RTX:C:5");
	e = &fx->rec->ev[fx->rec->n - 1];
	assert_int_equal(e->flow.retransmissions[FST_DIR_CLIENT], 2);
	assert_int_equal(e->flow.bytes[FST_DIR_CLIENT], 15);
	assert_int_equal(st(fx)->retransmissions, 2);
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBB");
	fx_free(fx);
}

static void test_overlap_first_copy_wins(void **state)
{
	struct fixture *fx = fx_new(NULL);
	size_t i, n_rtx = 0, n_data = 0;

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	/* Starts 5 bytes back (with different bytes) and adds 10 new. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 6, SISN + 1, "xxxxxBBBBBBBBBB");
	/* The order of RTX and DATA within the packet is not specified. */
	for (i = 3; i < fx->rec->n; i++) {
		const struct fst_tcp_event *ev = &fx->rec->ev[i].ev;

		if (ev->kind == FST_TCP_EV_RETRANSMIT) {
			assert_int_equal(ev->len, 5);
			assert_int_equal(ev->dir, FST_DIR_CLIENT);
			n_rtx++;
		} else if (ev->kind == FST_TCP_EV_DATA) {
			assert_int_equal(ev->len, 10);
			n_data++;
		} else {
			fail_msg("unexpected %s",
				 fmt_events(fx->rec, 0, 0, fmt_buf, sizeof(fmt_buf)));
		}
	}
	if (n_rtx != 1 || n_data != 1)
		fail_msg("want one RTX:C:5 and one DATA:C:10, got %s",
			 fmt_events(fx->rec, 0, 0, fmt_buf, sizeof(fmt_buf)));
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBBBBBBB");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.bytes[FST_DIR_CLIENT], 20);
	fx_free(fx);
}

static void test_overlap_with_held_segment(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 21, SISN + 1, "CCCCCCCCCC");
	/* Fills the hole and runs 5 bytes into the held copy. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, "BBBBBBBBBBxxxxx");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.bytes[FST_DIR_CLIENT], 30);
	fst_tcp_finish(fx->tcp);
	fx_free(fx);
}

static void test_keepalive(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	send_data(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	send_ack(&fx->c, FST_DIR_SERVER);
	/* Zero-length keep-alive from the client: seq = next - 1. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT] - 1,
	    fx->c.nxt[FST_DIR_SERVER], NULL);
	send_ack(&fx->c, FST_DIR_SERVER);
	/* One-byte keep-alive (Windows style) from the server. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, fx->c.nxt[FST_DIR_SERVER] - 1,
	    fx->c.nxt[FST_DIR_CLIENT], "\n");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:C:6 KA:C KA:S");
	e = &fx->rec->ev[fx->rec->n - 1];
	/* Counted: the client's probe, answered by the server's ACK; the
	 * server's probe, not answered yet. */
	assert_int_equal(e->flow.keepalive_acks[FST_DIR_SERVER], 1);
	assert_int_equal(e->flow.keepalive_acks[FST_DIR_CLIENT], 0);
	assert_int_equal(e->flow.retransmissions[FST_DIR_SERVER], 0);
	assert_int_equal(e->flow.retransmissions[FST_DIR_CLIENT], 0);
	assert_int_equal(st(fx)->retransmissions, 0);
	/* Data goes on normally afterwards. */
	send_data(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	assert_events_from(fx->rec, 6, 0, "DATA:C:6");
	fx_free(fx);
}

/* How much of each side's stream the other side has not ACKed: unknown
 * before any ACK, then the delivered bytes (and a FIN) past the highest
 * ACK; a retransmission adds nothing, a keep-alive neither. */
static void test_unacked(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_tcp_flow *flow;
	uint32_t noop;

	(void)state;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_SYN, fx->c.nxt[FST_DIR_CLIENT]++, 0, NULL);
	flow = fx->rec->flow[1];
	assert_non_null(flow);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_SERVER), -1);
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, fx->c.nxt[FST_DIR_SERVER]++,
	    fx->c.nxt[FST_DIR_CLIENT], NULL);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_CLIENT), 0);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_SERVER), -1);
	send_ack(&fx->c, FST_DIR_CLIENT);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_SERVER), 11);
	send_ack(&fx->c, FST_DIR_CLIENT);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_SERVER), 0);
	noop = fx->c.nxt[FST_DIR_CLIENT];
	send_data(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, noop, fx->c.nxt[FST_DIR_SERVER],
	    "NOOP\r\n");
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_CLIENT), 6);
	/* A keep-alive ACKed up to the NOOP: the NOOP still is not. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, fx->c.nxt[FST_DIR_SERVER] - 1, noop, NULL);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_CLIENT), 6);
	send_fin(&fx->c, FST_DIR_CLIENT, NULL);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_CLIENT), 7);
	send_ack(&fx->c, FST_DIR_SERVER);
	assert_int_equal(fst_tcp_flow_unacked(flow, FST_DIR_CLIENT), 0);
	fx_free(fx);
}

static void test_keepalive_not_when_flagged(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_CLIENT, "0123456789");
	/* A 2-byte segment at next - 1 is an overlap, not a keep-alive. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT] - 1, SISN + 1, "9X");
	assert_null(last_of(fx->rec, FST_TCP_EV_KEEPALIVE));
	assert_non_null(last_of(fx->rec, FST_TCP_EV_RETRANSMIT));
	fx_free(fx);
}

static void test_sequence_wraparound(void **state)
{
	struct fixture *fx = fx_new(NULL);
	uint32_t s0;

	(void)state;
	fx->c.nxt[FST_DIR_CLIENT] = 0xfffffff0u;
	fx->c.nxt[FST_DIR_SERVER] = 0xfffffffau;
	handshake(&fx->c);
	s0 = 0xfffffff1u;
	/* 10 bytes up to 0xfffffffa, then 10 across the wrap, then 10 at
	 * 0x00000005, delivered out of order across the wrap. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, s0, 0xfffffffbu, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, s0 + 20, 0xfffffffbu, "CCCCCCCCCC");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, s0 + 10, 0xfffffffbu, "BBBBBBBBBB");
	assert_int_equal(s0 + 20, 5);
	/* The server's ISN + 1 is 0xfffffffb: its data crosses too. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, 0xfffffffbu, s0 + 30, "0123456789");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, 0x5, s0 + 30, "abc");
	/* A retransmission across the wrap is still one. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, 0xfffffffbu, s0 + 30, "0123456789");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10 DATA:C:10 DATA:C:10 "
			       "DATA:S:10 DATA:S:3 RTX:S:10");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC");
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "0123456789abc");
	assert_null(last_of(fx->rec, FST_TCP_EV_GAP));
	fst_tcp_finish(fx->tcp);
	assert_null(last_of(fx->rec, FST_TCP_EV_GAP));
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* capture gaps */

static void test_gap_by_ack_with_held_data(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	/* CISN+11..20 never captured. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 21, SISN + 1, "CCCCCCCCCC");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10");
	/* The server has seen it all: it acknowledges past the hole. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, SISN + 1, CISN + 31, NULL);
	assert_events_from(fx->rec, 3, FMT_MERGE_DATA, "GAP:C:10 DATA:C:10");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAACCCCCCCCCC");
	e = &fx->rec->ev[fx->rec->n - 1];
	assert_int_equal(e->flow.gap_bytes[FST_DIR_CLIENT], 10);
	assert_int_equal(e->flow.bytes[FST_DIR_CLIENT], 30);
	assert_int_equal(st(fx)->gaps, 1);
	assert_int_equal(st(fx)->gap_bytes, 10);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	/* And the stream goes on in order. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 31, SISN + 1, "D");
	assert_events_from(fx->rec, 5, 0, "DATA:C:1");
	fx_free(fx);
}

static void test_gap_by_ack_nothing_held(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 x\r\n");
	/* The client's next 8 bytes were lost by the capture; the server
	 * acknowledges them, then answers. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, SISN + 8, CISN + 9, NULL);
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_PSH, SISN + 8, CISN + 9, "331 y\r\n");
	assert_events_from(fx->rec, 2, 0, "DATA:S:7 GAP:C:8 DATA:S:7");
	/* The client continues after the hole. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, CISN + 9, SISN + 15, "PASS z\r\n");
	assert_events_from(fx->rec, 5, 0, "DATA:C:8");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.gap_bytes[FST_DIR_CLIENT], 8);
	fx_free(fx);
}

/* Only the client's side captured, from mid-stream: its ACKs move on
 * over server bytes the capture never held. Each step is a gap of the
 * server's stream, though no server packet was ever seen; the first ACK
 * only sets where the server's stream stood. */
static void test_gap_by_ack_of_unseen_side(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, CISN + 1, SISN + 1, "USER a\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 9, SISN + 1, NULL);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, CISN + 9, SISN + 35, "PASS b\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 17, SISN + 30, NULL); /* an old ACK */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 17, SISN + 58, NULL);
	assert_events(fx->rec, "DATA:C:8 GAP:S:34 DATA:C:8 GAP:S:23");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.gap_bytes[FST_DIR_SERVER], 57);
	fx_free(fx);
}

static void test_ack_of_fin_is_not_a_gap(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	send_fin(&fx->c, FST_DIR_CLIENT, NULL);
	send_ack(&fx->c, FST_DIR_SERVER);
	assert_events(fx->rec, "OPEN:C OPEN:S FIN:C");
	fx_free(fx);
}

static void test_gap_at_finish(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 21, SISN + 1, "CCCCCCCCCC");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 41, SISN + 1, "EEEEE");
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:C:10 GAP:C:10 DATA:C:10 "
			       "GAP:C:10 DATA:C:5 CLOSE:eoi");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAACCCCCCCCCCEEEEE");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.gap_bytes[FST_DIR_CLIENT], 20);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	fx_free(fx);
}

static void test_fin_waits_for_held_data(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, "AAAAAAAAAA");
	/* The FIN segment (with its last 5 bytes) overtakes the middle. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, CISN + 21, SISN + 1, "CCCCC");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, "BBBBBBBBBB");
	/* FIN comes after that segment's data, not before the hole fills. */
	assert_events_from(fx->rec, 0, FMT_MERGE_DATA, "OPEN:C OPEN:S DATA:C:25 FIN:C");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAABBBBBBBBBBCCCCC");
	fx_free(fx);
}

static void test_cap_hit_keeps_captured_segment(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	uint32_t base = CISN + 1;
	uint8_t sbuf[512];
	size_t len;

	(void)state;
	fill_init();
	cfg.payload_by_default = true;
	cfg.max_ooo_bytes_per_flow = 100;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base, SISN + 1, fill, 10, 10);
	/* Held: 80 bytes at offset 60. Then 30 bytes at offset 30 arrive,
	 * which do not fit under the cap: the hole to give up is 10..29,
	 * and the 30 captured bytes must still be delivered. */
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + 60, SISN + 1, fill + 60, 80, 80);
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + 30, SISN + 1, fill + 30, 30, 30);
	assert_true(st(fx)->ooo_limit_hits >= 1);
	assert_events_from(fx->rec, 0, FMT_MERGE_DATA,
			   "OPEN:C OPEN:S DATA:C:10 GAP:C:20 DATA:C:110");
	len = stream(fx->rec, 1, FST_DIR_CLIENT, 0, sbuf, sizeof(sbuf));
	assert_int_equal(len, 120);
	assert_memory_equal(sbuf + 10, fill + 30, 110);
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow.gap_bytes[FST_DIR_CLIENT], 20);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* mid-stream pickup and role swap */

/* Regressions found by fuzzing (tests/fuzz/regressions/fuzz_reassembly). */

/* A SYN on a side whose bytes are already being followed must not move
 * its stream (it used to jump, and a held segment then hung the close). */
static void test_syn_after_data_keeps_stream(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 5000, 9000, "AAAA");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 5010, 9000, "CCCC"); /* held */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_SYN, 90000, 0, NULL);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 5004, 9000, "BBBBBB");
	fst_tcp_finish(fx->tcp);
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAABBBBBBCCCC");
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	fx_free(fx);
}

/* Nothing of a side's stream lies past its FIN. */
static void test_no_data_after_fin(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, CISN + 1, SISN + 1, "QUIT\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 7, SISN + 1, "more");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, SISN + 1, CISN + 12, NULL);
	assert_events_from(fx->rec, 0, FMT_MERGE_DATA, "OPEN:C OPEN:S DATA:C:6 FIN:C");
	fx_free(fx);
}

/* A segment held beyond a hole where the FIN later lands is not stream:
 * no gap and no data after the FIN, even at the end. */
static void test_held_past_fin_dropped(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, "XXXX");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_FIN, CISN + 1, SISN + 1, "AAAAAAAAAA");
	fst_tcp_finish(fx->tcp);
	assert_events_from(fx->rec, 0, FMT_MERGE_DATA, "OPEN:C OPEN:S DATA:C:10 FIN:C CLOSE:eoi");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "AAAAAAAAAA");
	fx_free(fx);
}

/* The per-flow cap on held bytes covers both directions together. */
static void test_per_flow_cap_both_directions(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;

	(void)state;
	cfg.payload_by_default = true;
	cfg.max_ooo_bytes_per_flow = 10;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, "CCCCCCCC");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, SISN + 11, CISN + 1, "SSSSSSSS");
	assert_true(st(fx)->ooo_bytes_buffered <= 10);
	assert_int_equal(st(fx)->ooo_limit_hits, 1);
	fx_free(fx);
}

/* A segment whose bytes were not captured at all carries no pointer. */
static void test_uncaptured_payload(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, NULL, 100, 0);
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 1, SISN + 1, NULL, 10, 0);
	fst_tcp_finish(fx->tcp);
	assert_int_equal(last_of(fx->rec, FST_TCP_EV_CLOSE)->flow.bytes[FST_DIR_CLIENT], 110);
	fx_free(fx);
}

static void test_mid_stream(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;
	char list[512];
	size_t i, used = 0;

	(void)state;
	/* The server's packet is seen first; no SYN at all. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_PSH, 777000, 123000, "200 OK\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, 123000, 777008, "NOOP\r\n");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK | FST_TCP_PSH, 777008, 123006, "200 NOOP ok\r\n");
	/* Whether an OPEN is reported for a mid-stream flow is not
	 * specified: look at the rest. */
	list[0] = '\0';
	for (i = 0; i < fx->rec->n; i++) {
		const struct rec_ev *x = &fx->rec->ev[i];

		if (x->ev.kind == FST_TCP_EV_OPEN)
			continue;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s:%c:%u",
					 used ? " " : "", kind_short[x->ev.kind],
					 x->ev.dir == FST_DIR_CLIENT ? 'C' : 'S', x->ev.len);
	}
	assert_string_equal(list, "DATA:S:8 DATA:C:6 DATA:S:13");
	e = last_of(fx->rec, FST_TCP_EV_DATA);
	assert_true(e->flow.mid_stream);
	assert_false(e->flow.syn_seen);
	assert_int_equal(e->flow.server_port, 21);
	assert_int_equal(e->flow.client_port, 54321);
	assert_true(fst_addr_equal(&e->flow.server_addr, &fx->c.addr[FST_DIR_SERVER]));
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "200 OK\r\n200 NOOP ok\r\n");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "NOOP\r\n");
	fst_tcp_finish(fx->tcp);
	assert_null(last_of(fx->rec, FST_TCP_EV_GAP));
	fx_free(fx);
}

static void test_mid_stream_lower_port_is_server(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	/* Seen first from the client side this time: 54321 -> 21. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, 9000, 4000, "PWD\r\n");
	e = last_of(fx->rec, FST_TCP_EV_DATA);
	assert_non_null(e);
	assert_int_equal(e->ev.dir, FST_DIR_CLIENT);
	assert_int_equal(e->flow.server_port, 21);
	assert_int_equal(e->flow.client_port, 54321);
	fx_free(fx);
}

/* The consumer's rule for the swap tests: port 20 is the active-mode data
 * port of an FTP server, which connects out, so it is the client. */
static void swap_from_port_20(void *ctx, struct fst_tcp_flow *flow, int64_t ts_us)
{
	(void)ctx;
	(void)ts_us;
	if (flow->server_port == 20)
		assert_true(fst_tcp_flow_swap_roles(flow));
}

/* An active-mode data connection picked up mid-stream: the server (port
 * 20) connected to the client (port 60000), so the "higher port is the
 * client" guess gets it wrong. 20 sends 15 bytes in two segments, the
 * first advertising first_window; on_flow corrects the roles. */
static void run_port_20_flow(uint16_t first_window)
{
	struct fst_tcp_cfg cfg = { .payload_by_default = true, .on_flow = swap_from_port_20 };
	struct fixture *fx = fx_new(&cfg);
	struct fst_tcp_flow *flow;
	struct fst_addr a20, a60;

	conn_init(&fx->c, fx->tcp, "198.51.100.20", 20, "192.0.2.10", 60000);
	a20 = fx->c.addr[FST_DIR_CLIENT];
	a60 = fx->c.addr[FST_DIR_SERVER];
	fx->c.window[FST_DIR_CLIENT] = first_window;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 100, 900, "0123456789");
	fx->c.window[FST_DIR_CLIENT] = 65535;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 110, 900, "abcde");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, 900, 115, NULL);
	if (first_window == 0)
		assert_non_null(last_of(fx->rec, FST_TCP_EV_ZERO_WINDOW));

	flow = fx->rec->flow[1];
	assert_non_null(flow);
	assert_int_equal(flow->client_port, 20);
	assert_int_equal(flow->server_port, 60000);
	assert_true(fst_addr_equal(&flow->client_addr, &a20));
	assert_true(fst_addr_equal(&flow->server_addr, &a60));
	assert_int_equal(flow->bytes[FST_DIR_CLIENT], 15);
	assert_int_equal(flow->bytes[FST_DIR_SERVER], 0);
	assert_int_equal(flow->packets[FST_DIR_CLIENT], 2);
	assert_int_equal(flow->packets[FST_DIR_SERVER], 1);
	/* Every event already carried the corrected direction. */
	for (size_t i = 0; i < fx->rec->n; i++)
		if (fx->rec->ev[i].ev.kind == FST_TCP_EV_DATA ||
		    fx->rec->ev[i].ev.kind == FST_TCP_EV_ZERO_WINDOW)
			assert_int_equal(fx->rec->ev[i].ev.dir, FST_DIR_CLIENT);
	fx_free(fx);
}

static void test_swap_roles(void **state)
{
	(void)state;
	run_port_20_flow(65535);
}

/* The first packet's first event is not its data (a zero window): the
 * data of that same packet must still carry the corrected direction. */
static void test_swap_roles_first_event_not_data(void **state)
{
	(void)state;
	run_port_20_flow(0);
}

/* Outside on_flow a swap would leave the packet in flight with a stale
 * direction: it is refused and changes nothing. */
static void test_swap_roles_refused_after_first_packet(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_tcp_flow *flow;

	(void)state;
	conn_init(&fx->c, fx->tcp, "198.51.100.20", 20, "192.0.2.10", 60000);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, 100, 900, "0123456789");
	flow = fx->rec->flow[1];
	assert_non_null(flow);
	assert_false(fst_tcp_flow_swap_roles(flow));
	assert_int_equal(flow->server_port, 20);
	assert_int_equal(flow->bytes[FST_DIR_SERVER], 10);
	assert_int_equal(flow->bytes[FST_DIR_CLIENT], 0);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* closing */

static void test_fin_close(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;
	size_t n;

	(void)state;
	fx->c.ttl[FST_DIR_CLIENT] = 128;
	fx->c.ttl[FST_DIR_SERVER] = 47;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	send_fin(&fx->c, FST_DIR_CLIENT, "QUIT\r\n");
	send_fin(&fx->c, FST_DIR_SERVER, "221 bye\r\n");
	/* The server wrote after the client's FIN: the close waits for the
	 * packet that answers that write (an ACK here). */
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:C:6 FIN:C "
			       "DATA:S:9 FIN:S");
	send_ack(&fx->c, FST_DIR_CLIENT);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:C:6 FIN:C "
			       "DATA:S:9 FIN:S CLOSE:fin");
	assert_int_equal(fx->rec->ev[4].ev.ttl, 128);
	assert_int_equal(fx->rec->ev[6].ev.ttl, 47);
	e = &fx->rec->ev[7];
	assert_int_equal(e->ev.close_reason, FST_TCP_CLOSE_FIN);
	assert_int_equal(e->ev.ts_us, fx->c.ts - 1000); /* the ACK's time */
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_FIN], 1);
	assert_int_equal(st(fx)->flows_active, 0);
	/* A packet after the close: absorbed, no events. */
	n = fx->rec->n;
	send_ack(&fx->c, FST_DIR_CLIENT);
	fst_tcp_finish(fx->tcp);
	assert_int_equal(fx->rec->n, n);
	assert_int_equal(st(fx)->after_close, 1);
	assert_int_equal(st(fx)->flows_opened, 1);
	fx_free(fx);
}

static void test_fin_server_first(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	send_fin(&fx->c, FST_DIR_SERVER, "421 Timeout.\r\n");
	send_ack(&fx->c, FST_DIR_CLIENT);
	send_fin(&fx->c, FST_DIR_CLIENT, NULL);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:14 FIN:S FIN:C CLOSE:fin");
	fx_free(fx);
}

static void test_rst_after_server_fin(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;

	(void)state;
	fx->c.ttl[FST_DIR_SERVER] = 58;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	/* The server times the session out and closes... */
	send_fin(&fx->c, FST_DIR_SERVER, "421 Timeout.\r\n");
	send_ack(&fx->c, FST_DIR_CLIENT);
	/* ...the client, unaware, writes a command... */
	send_data(&fx->c, FST_DIR_CLIENT, "STOR file.bin\r\n");
	/* ...and the server's stack answers with a reset. */
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_RST, fx->c.nxt[FST_DIR_SERVER], 0, NULL);
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:S:14 FIN:S "
			       "DATA:C:15 RST:S CLOSE:rst");
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "STOR file.bin\r\n");
	e = last_of(fx->rec, FST_TCP_EV_RST);
	assert_int_equal(e->ev.ttl, 58);
	e = last_of(fx->rec, FST_TCP_EV_CLOSE);
	assert_int_equal(e->ev.close_reason, FST_TCP_CLOSE_RST);
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_RST], 1);
	fx_free(fx);
}

static void test_rst_from_client(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	fx->c.ttl[FST_DIR_CLIENT] = 1;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST | FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT],
	    fx->c.nxt[FST_DIR_SERVER], NULL);
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 RST:C CLOSE:rst");
	assert_int_equal(last_of(fx->rec, FST_TCP_EV_RST)->ev.ttl, 1);
	fx_free(fx);
}

static void open_flow(struct conn *c, struct fst_tcp *tcp, int i, int64_t ts);

/* The server's bytes that crossed the client's reset (vsftpd's "500
 * OOPS" after the client reset, written in pieces, each answered by
 * another reset from the client) are on the wire: delivered up to the
 * server's FIN, then the flow closes. */
static void test_peer_data_after_rst(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *e;
	int64_t fin_us;

	(void)state;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST | FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT],
	    fx->c.nxt[FST_DIR_SERVER], NULL);
	send_data(&fx->c, FST_DIR_SERVER, "500 OOPS: ");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST, fx->c.nxt[FST_DIR_CLIENT], 0, NULL);
	send_data(&fx->c, FST_DIR_SERVER, "child died\r\n");
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST, fx->c.nxt[FST_DIR_CLIENT], 0, NULL);
	assert_null(last_of(fx->rec, FST_TCP_EV_CLOSE));
	fin_us = fx->c.ts;
	send_fin(&fx->c, FST_DIR_SERVER, NULL);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 RST:C DATA:S:10 DATA:S:12 FIN:S CLOSE:rst");
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "220 ready\r\n500 OOPS: child died\r\n");
	e = last_of(fx->rec, FST_TCP_EV_CLOSE);
	assert_int_equal(e->ev.ts_us, fin_us);
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_RST], 1);
	fx_free(fx);
}

/* After a reset, bytes from the side that reset are not delivered. */
static void test_own_data_after_rst_dropped(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST | FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT],
	    fx->c.nxt[FST_DIR_SERVER], NULL);
	send_data(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C OPEN:S RST:C CLOSE:rst");
	fx_free(fx);
}

/* The client writes into the half-closed connection and FINs at once;
 * the server's reset answers the write after that FIN: it is an event
 * of the flow, before its CLOSE. */
static void test_rst_after_write_and_fins(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	handshake(&fx->c);
	send_fin(&fx->c, FST_DIR_SERVER, "421 Timeout.\r\n");
	send_ack(&fx->c, FST_DIR_CLIENT);
	send_fin(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_RST, fx->c.nxt[FST_DIR_SERVER], 0, NULL);
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:14 FIN:S DATA:C:6 FIN:C RST:S CLOSE:rst");
	fx_free(fx);
}

/* A closing flow that gets no further packet closes once
 * FST_TCP_CLOSING_WAIT_US of packet time has passed, at the time of its
 * own last packet. */
static void test_closing_wait_bounded(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct conn other;
	int64_t rst_us;
	size_t n;

	(void)state;
	handshake(&fx->c);
	rst_us = fx->c.ts;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST | FST_TCP_ACK, fx->c.nxt[FST_DIR_CLIENT],
	    fx->c.nxt[FST_DIR_SERVER], NULL);
	n = fx->rec->n;
	open_flow(&other, fx->tcp, 1, rst_us + FST_TCP_CLOSING_WAIT_US / 2);
	assert_null(last_of(fx->rec, FST_TCP_EV_CLOSE));
	send_ack(&other, FST_DIR_CLIENT);
	other.ts = rst_us + FST_TCP_CLOSING_WAIT_US + 1000;
	send_ack(&other, FST_DIR_CLIENT);
	assert_events_from(fx->rec, n, FMT_FLOW, "2/OPEN:C 2/OPEN:S 1/CLOSE:rst");
	assert_int_equal(last_of(fx->rec, FST_TCP_EV_CLOSE)->ev.ts_us, rst_us);
	fx_free(fx);
}

static void test_rst_to_syn(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	/* Connection refused. */
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_SYN, CISN, 0, NULL);
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_RST | FST_TCP_ACK, 0, CISN + 1, NULL);
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C RST:S CLOSE:rst");
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* windows */

static void test_zero_window_scaled(void **state)
{
	struct fixture *fx = fx_new(NULL);
	size_t n;

	(void)state;
	fx->c.has_wscale[FST_DIR_CLIENT] = fx->c.has_wscale[FST_DIR_SERVER] = true;
	fx->c.wscale[FST_DIR_CLIENT] = 7;
	fx->c.wscale[FST_DIR_SERVER] = 2;
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_CLIENT, "0123456789");
	n = fx->rec->n;
	/* The server's receive buffer fills. */
	fx->c.window[FST_DIR_SERVER] = 0;
	send_ack(&fx->c, FST_DIR_SERVER);
	send_ack(&fx->c, FST_DIR_SERVER); /* still zero: no repeat */
	fx->c.window[FST_DIR_SERVER] = 100;
	send_ack(&fx->c, FST_DIR_SERVER);
	/* The client's too. */
	fx->c.window[FST_DIR_CLIENT] = 0;
	send_ack(&fx->c, FST_DIR_CLIENT);
	fx->c.window[FST_DIR_CLIENT] = 10;
	send_ack(&fx->c, FST_DIR_CLIENT);
	assert_events_from(fx->rec, n, 0, "ZWIN:S:0 WOPEN:S:400 ZWIN:C:0 WOPEN:C:1280");
	fx_free(fx);
}

static void test_zero_window_unscaled_when_one_sided(void **state)
{
	struct fixture *fx = fx_new(NULL);
	size_t n;

	(void)state;
	/* Only the client offers window scaling: neither side scales. */
	fx->c.has_wscale[FST_DIR_CLIENT] = true;
	fx->c.wscale[FST_DIR_CLIENT] = 7;
	handshake(&fx->c);
	n = fx->rec->n;
	fx->c.window[FST_DIR_CLIENT] = 0;
	send_ack(&fx->c, FST_DIR_CLIENT);
	fx->c.window[FST_DIR_CLIENT] = 10;
	send_ack(&fx->c, FST_DIR_CLIENT);
	assert_events_from(fx->rec, n, 0, "ZWIN:C:0 WOPEN:C:10");
	fx_free(fx);
}

static void test_zero_window_not_on_syn_or_rst(void **state)
{
	struct fixture *fx = fx_new(NULL);

	(void)state;
	fx->c.window[FST_DIR_SERVER] = 0;
	fx->c.window[FST_DIR_CLIENT] = 0;
	seg(&fx->c, FST_DIR_CLIENT, FST_TCP_SYN, CISN, 0, NULL);
	seg(&fx->c, FST_DIR_SERVER, FST_TCP_RST | FST_TCP_ACK, 0, CISN + 1, NULL);
	fst_tcp_finish(fx->tcp);
	assert_events(fx->rec, "OPEN:C RST:S CLOSE:rst");
	fx_free(fx);
}

static void test_zero_window_with_data_in_flight(void **state)
{
	struct fixture *fx = fx_new(NULL);
	size_t n;

	(void)state;
	handshake(&fx->c);
	n = fx->rec->n;
	/* A zero-window probe from the client after the server closed its
	 * window: the server then stays at zero, so ZWIN:S only once. */
	fx->c.window[FST_DIR_SERVER] = 0;
	send_ack(&fx->c, FST_DIR_SERVER);
	send_data(&fx->c, FST_DIR_CLIENT, "x");
	send_ack(&fx->c, FST_DIR_SERVER);
	send_ack(&fx->c, FST_DIR_SERVER);
	assert_events_from(fx->rec, n, 0, "ZWIN:S:0 DATA:C:1");
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* end of input, eviction */

static void open_flow(struct conn *c, struct fst_tcp *tcp, int i, int64_t ts)
{
	char caddr[32];

	snprintf(caddr, sizeof(caddr), "192.0.2.%d", 100 + i);
	conn_init(c, tcp, caddr, (uint16_t)(40000 + i), "198.51.100.20", 21);
	c->ts = ts;
	handshake(c);
}

static int close_order_cmp(const void *a, const void *b)
{
	const struct rec_ev *x = a, *y = b;

	return (x->flow_id > y->flow_id) - (x->flow_id < y->flow_id);
}

static void test_finish_closes_all(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct conn c2, c3;
	size_t n;

	(void)state;
	handshake(&fx->c);
	open_flow(&c2, fx->tcp, 2, fx->c.ts);
	open_flow(&c3, fx->tcp, 3, c2.ts);
	send_data(&c3, FST_DIR_SERVER, "220\r\n");
	n = fx->rec->n;
	fst_tcp_finish(fx->tcp);
	/* Close order among flows is not specified. */
	qsort(fx->rec->ev + n, fx->rec->n - n, sizeof(fx->rec->ev[0]), close_order_cmp);
	assert_events_from(fx->rec, n, FMT_FLOW, "1/CLOSE:eoi 2/CLOSE:eoi 3/CLOSE:eoi");
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_END_OF_INPUT], 3);
	assert_int_equal(st(fx)->flows_active, 0);
	assert_int_equal(st(fx)->flows_peak, 3);
	/* A second finish has nothing left to close. */
	n = fx->rec->n;
	fst_tcp_finish(fx->tcp);
	assert_int_equal(fx->rec->n, n);
	fx_free(fx);
}

static void test_free_closes_open_flows(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct recorder *rec = fx->rec;
	struct conn c2;
	size_t n;

	(void)state;
	handshake(&fx->c);
	open_flow(&c2, fx->tcp, 2, fx->c.ts);
	n = rec->n;
	fst_tcp_free(fx->tcp);
	fx->tcp = NULL;
	/* Close order among flows is not specified. */
	qsort(rec->ev + n, rec->n - n, sizeof(rec->ev[0]), close_order_cmp);
	assert_events_from(rec, n, FMT_FLOW, "1/CLOSE:eoi 2/CLOSE:eoi");
	fst_tcp_free(NULL);
	fx_free(fx);
}

static void test_idle_eviction_by_packet(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	struct conn c2;
	int64_t t0;
	size_t n;

	(void)state;
	cfg.payload_by_default = true;
	cfg.idle_timeout_us = 10 * FST_US_PER_SEC;
	fx = fx_new(&cfg);
	t0 = fx->c.ts;
	handshake(&fx->c); /* flow 1, last packet at t0 + 2 ms */
	open_flow(&c2, fx->tcp, 2, t0 + 5 * FST_US_PER_SEC);
	/* 9 s after flow 1's last packet: not idle yet. */
	c2.ts = t0 + 9 * FST_US_PER_SEC;
	send_data(&c2, FST_DIR_SERVER, "220\r\n");
	assert_null(last_of(fx->rec, FST_TCP_EV_CLOSE));
	/* 11 s after: flow 1 goes, flow 2 (active 2 s ago) stays. */
	n = fx->rec->n;
	c2.ts = t0 + 11 * FST_US_PER_SEC;
	send_data(&c2, FST_DIR_SERVER, "more\r\n");
	assert_events_from(fx->rec, n, FMT_FLOW, "1/CLOSE:idle 2/DATA:S:6");
	assert_int_equal(st(fx)->flows_evicted, 1);
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_IDLE], 1);
	assert_int_equal(st(fx)->flows_active, 1);
	/* A packet of the evicted 4-tuple later is a new flow. */
	fx->c.ts = t0 + 12 * FST_US_PER_SEC;
	send_data(&fx->c, FST_DIR_CLIENT, "NOOP\r\n");
	assert_int_equal(fx->rec->ev[fx->rec->n - 1].flow_id, 3);
	fx_free(fx);
}

static void test_idle_eviction_by_advance(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	int64_t last;

	(void)state;
	cfg.payload_by_default = true;
	cfg.idle_timeout_us = 10 * FST_US_PER_SEC;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	last = fx->c.ts - 1000;
	fst_tcp_advance(fx->tcp, last + 5 * FST_US_PER_SEC);
	assert_events(fx->rec, "OPEN:C OPEN:S");
	fst_tcp_advance(fx->tcp, last + 11 * FST_US_PER_SEC);
	assert_events(fx->rec, "OPEN:C OPEN:S CLOSE:idle");
	assert_int_equal(st(fx)->flows_evicted, 1);
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_IDLE], 1);
	assert_int_equal(st(fx)->flows_active, 0);
	fx_free(fx);
}

/* Live capture: a clock tick can run ahead of packets still waiting in
 * the kernel's buffer. Those packets' events keep their own timestamps
 * (a close 3.5 ms late once made a reconnect look older than its close). */
static void test_tick_does_not_retime_late_packets(void **state)
{
	struct fixture *fx = fx_new(NULL);
	const struct rec_ev *fin, *data;
	int64_t sent;

	(void)state;
	handshake(&fx->c);
	fst_tcp_advance(fx->tcp, fx->c.ts + 80000);
	sent = fx->c.ts;
	send_data(&fx->c, FST_DIR_SERVER, "421 Timeout.\r\n");
	send_fin(&fx->c, FST_DIR_CLIENT, NULL);
	data = last_of(fx->rec, FST_TCP_EV_DATA);
	fin = last_of(fx->rec, FST_TCP_EV_FIN);
	assert_non_null(data);
	assert_non_null(fin);
	assert_int_equal(data->ev.ts_us, sent);
	assert_int_equal(fin->ev.ts_us, sent + 1000);
	fx_free(fx);
}

/* Packet time may jump across nearly the whole int64_t range, far past
 * the capture layer's clamp (FST_TS_LIMIT_US): the idle check must not
 * overflow (UBSan traps it) and must still evict the flow that went
 * quiet at the start. */
static void test_extreme_time_jump(void **state)
{
	const int64_t edge = INT64_C(9223372036853) * FST_US_PER_SEC;
	struct fixture *fx = fx_new(NULL);
	struct conn c2;
	size_t n;

	(void)state;
	fx->c.ts = -edge;
	handshake(&fx->c);
	n = fx->rec->n;
	open_flow(&c2, fx->tcp, 2, edge);
	assert_events_from(fx->rec, n, FMT_FLOW, "1/CLOSE:idle 2/OPEN:C 2/OPEN:S");
	fx_free(fx);
}

static void test_idle_default_is_long(void **state)
{
	struct fixture *fx = fx_new(NULL);
	int64_t last;

	(void)state;
	/* Default idle limit is an hour: a 30-minute silence (a control
	 * channel during a long transfer) must not close the flow. */
	handshake(&fx->c);
	last = fx->c.ts - 1000;
	fst_tcp_advance(fx->tcp, last + 1800 * FST_US_PER_SEC);
	assert_events(fx->rec, "OPEN:C OPEN:S");
	fst_tcp_advance(fx->tcp, last + 3601 * FST_US_PER_SEC);
	assert_events(fx->rec, "OPEN:C OPEN:S CLOSE:idle");
	fx_free(fx);
}

static void test_table_full_evicts_lru(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	struct conn c[5];
	int64_t t = INT64_C(1700000000) * FST_US_PER_SEC;
	size_t n;
	int i;

	(void)state;
	cfg.payload_by_default = true;
	cfg.max_flows = 3;
	fx = fx_new(&cfg);
	for (i = 1; i <= 3; i++)
		open_flow(&c[i], fx->tcp, i, t + i * FST_US_PER_SEC);
	/* Flow 1 becomes the most recently active. */
	c[1].ts = t + 5 * FST_US_PER_SEC;
	send_data(&c[1], FST_DIR_CLIENT, "NOOP\r\n");
	n = fx->rec->n;
	open_flow(&c[4], fx->tcp, 4, t + 6 * FST_US_PER_SEC);
	assert_events_from(fx->rec, n, FMT_FLOW, "2/CLOSE:full 4/OPEN:C 4/OPEN:S");
	assert_int_equal(st(fx)->flows_evicted, 1);
	assert_int_equal(st(fx)->flows_closed[FST_TCP_CLOSE_TABLE_FULL], 1);
	assert_int_equal(st(fx)->flows_active, 3);
	assert_int_equal(st(fx)->flows_peak, 3);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* memory caps */

static void test_ooo_byte_cap(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	uint32_t base = CISN + 1;
	uint8_t sbuf[512];
	size_t len, i, n;

	(void)state;
	fill_init();
	cfg.payload_by_default = true;
	cfg.max_ooo_bytes_per_flow = 100;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base, SISN + 1, fill, 10, 10);
	/* Hole at 10..19; then 40-byte segments at 20, 60, 100. */
	for (i = 0; i < 3; i++) {
		uint32_t off = 20 + 40 * (uint32_t)i;

		seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + off, SISN + 1, fill + off, 40,
			 40);
		if (st(fx)->ooo_bytes_buffered > 100)
			fail_msg("%zu bytes held, cap 100", st(fx)->ooo_bytes_buffered);
	}
	assert_true(st(fx)->ooo_bytes_peak <= 100);
	assert_true(st(fx)->ooo_limit_hits >= 1);
	assert_events_from(fx->rec, 0, FMT_MERGE_DATA,
			   "OPEN:C OPEN:S DATA:C:10 GAP:C:10 DATA:C:120");
	/* Everything except the hole arrived, in order. */
	len = stream(fx->rec, 1, FST_DIR_CLIENT, 0, sbuf, sizeof(sbuf));
	assert_int_equal(len, 130);
	assert_memory_equal(sbuf, fill, 10);
	assert_memory_equal(sbuf + 10, fill + 20, 120);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	/* The stream goes on. */
	n = fx->rec->n;
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, base + 140, SISN + 1, fill, 5, 5);
	assert_events_from(fx->rec, n, 0, "DATA:C:5");
	fx_free(fx);
}

static void test_ooo_segment_cap(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	uint32_t base = SISN + 1;
	int i;

	(void)state;
	fill_init();
	cfg.payload_by_default = true;
	cfg.max_ooo_segments_per_flow = 2;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	/* Hole at 0..9; 3 one-byte segments at 10, 11, 12. */
	for (i = 0; i < 3; i++)
		seg_full(&fx->c, FST_DIR_SERVER, FST_TCP_ACK, base + 10 + (uint32_t)i, CISN + 1,
			 fill + i, 1, 1);
	assert_true(st(fx)->ooo_limit_hits >= 1);
	assert_events_from(fx->rec, 2, FMT_MERGE_DATA, "GAP:S:10 DATA:S:3");
	fx_free(fx);
}

static void test_ooo_total_cap(void **state)
{
	struct fst_tcp_cfg cfg = { 0 };
	struct fixture *fx;
	struct conn c2;

	(void)state;
	fill_init();
	cfg.payload_by_default = true;
	cfg.max_ooo_bytes_total = 100;
	fx = fx_new(&cfg);
	handshake(&fx->c);
	open_flow(&c2, fx->tcp, 2, fx->c.ts);
	/* Each flow holds 60 bytes behind a hole: 120 > 100 in total. */
	seg_full(&fx->c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, fill, 60, 60);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 60);
	seg_full(&c2, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 11, SISN + 1, fill, 60, 60);
	if (st(fx)->ooo_bytes_buffered > 100)
		fail_msg("%zu bytes held, total cap 100", st(fx)->ooo_bytes_buffered);
	assert_true(st(fx)->ooo_bytes_peak <= 100);
	assert_true(st(fx)->ooo_limit_hits >= 1);
	assert_non_null(last_of(fx->rec, FST_TCP_EV_GAP));
	fx_free(fx);
}

static void test_many_flows_no_leak(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct conn c;
	int i;

	(void)state;
	/* Lots of flows opened and closed, some with held data: checked for
	 * leaks under ASan. */
	for (i = 0; i < 200; i++) {
		char caddr[32];

		snprintf(caddr, sizeof(caddr), "10.0.%d.%d", i / 100, i % 100 + 1);
		conn_init(&c, fx->tcp, caddr, (uint16_t)(20000 + i), "198.51.100.20", 21);
		c.ts = INT64_C(1700000000) * FST_US_PER_SEC + i * 10000;
		handshake(&c);
		seg(&c, FST_DIR_CLIENT, FST_TCP_ACK, CISN + 50, SISN + 1, "held");
		if (i % 2)
			send_fin(&c, FST_DIR_SERVER, NULL);
	}
	fst_tcp_finish(fx->tcp);
	assert_int_equal(st(fx)->flows_active, 0);
	assert_int_equal(st(fx)->ooo_bytes_buffered, 0);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* IPv6, names */

static void test_ipv6_flow(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct conn c4;
	const struct rec_ev *e;

	(void)state;
	conn_init(&fx->c, fx->tcp, "2001:db8::10", 54321, "2001:db8:1::20", 21);
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 v6\r\n");
	/* The same ports over IPv4: a different flow. */
	conn_v4(&c4, fx->tcp);
	c4.ts = fx->c.ts;
	handshake(&c4);
	send_data(&c4, FST_DIR_SERVER, "220 v4\r\n");
	send_data(&fx->c, FST_DIR_CLIENT, "EPSV\r\n");
	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:8 OPEN:C OPEN:S DATA:S:8 "
			       "DATA:C:6");
	e = &fx->rec->ev[2];
	assert_int_equal(e->flow_id, 1);
	assert_int_equal(e->flow.client_addr.family, 6);
	assert_true(fst_addr_equal(&e->flow.client_addr, &fx->c.addr[FST_DIR_CLIENT]));
	assert_true(fst_addr_equal(&e->flow.server_addr, &fx->c.addr[FST_DIR_SERVER]));
	assert_true(e->flow.syn_seen);
	assert_int_equal(fx->rec->ev[5].flow_id, 2);
	assert_int_equal(fx->rec->ev[5].flow.client_addr.family, 4);
	assert_int_equal(fx->rec->ev[6].flow_id, 1);
	assert_stream(fx->rec, 1, FST_DIR_CLIENT, "EPSV\r\n");
	assert_stream(fx->rec, 2, FST_DIR_SERVER, "220 v4\r\n");
	fx_free(fx);
}

static void test_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < FST_TCP_EV_COUNT; i++) {
		const char *a = fst_tcp_event_kind_name((enum fst_tcp_event_kind)i);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(
				a, fst_tcp_event_kind_name((enum fst_tcp_event_kind)j));
	}
	for (i = 0; i < FST_TCP_CLOSE_REASON_COUNT; i++) {
		const char *a = fst_tcp_close_reason_name((enum fst_tcp_close_reason)i);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(
				a, fst_tcp_close_reason_name((enum fst_tcp_close_reason)j));
	}
}

/* ------------------------------------------------------------------ */
/* capture duplicates */

/* A data segment from dir at its next sequence number, built (not fed)
 * into *p; advances the side's next sequence number. */
static void build_data(struct conn *c, enum fst_tcp_dir dir, const char *text, struct fst_packet *p)
{
	uint32_t len = (uint32_t)strlen(text);

	build_seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, c->nxt[dir], c->nxt[other_dir(dir)], text, len,
		  len, p);
	c->nxt[dir] += len;
}

/* Every segment seen twice at once, as on a bridge: the copies change
 * nothing and are counted as duplicates, never as retransmissions. */
static void test_duplicate_dropped(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_packet p;
	const struct rec_ev *e;

	(void)state;
	build_seg(&fx->c, FST_DIR_CLIENT, FST_TCP_SYN, CISN, 0, NULL, 0, 0, &p);
	fst_tcp_input(fx->tcp, &p);
	fst_tcp_input(fx->tcp, &p);
	fx->c.nxt[FST_DIR_CLIENT]++;
	build_seg(&fx->c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, SISN, CISN + 1, NULL, 0, 0,
		  &p);
	fst_tcp_input(fx->tcp, &p);
	p.ts_us += 150; /* the copy from the other port, 150 us later */
	fst_tcp_input(fx->tcp, &p);
	fx->c.nxt[FST_DIR_SERVER]++;
	build_data(&fx->c, FST_DIR_SERVER, "220 ready\r\n", &p);
	fst_tcp_input(fx->tcp, &p);
	p.ts_us += FST_TCP_DUPLICATE_WINDOW_US; /* the window's far edge */
	fst_tcp_input(fx->tcp, &p);
	build_data(&fx->c, FST_DIR_CLIENT, "QUIT\r\n", &p);
	fst_tcp_input(fx->tcp, &p);
	fst_tcp_input(fx->tcp, &p);
	build_seg(&fx->c, FST_DIR_SERVER, FST_TCP_RST, fx->c.nxt[FST_DIR_SERVER], 0, NULL, 0, 0,
		  &p);
	fst_tcp_input(fx->tcp, &p);
	fst_tcp_input(fx->tcp, &p); /* while the flow closes: a duplicate still */
	fst_tcp_finish(fx->tcp);

	assert_events(fx->rec, "OPEN:C OPEN:S DATA:S:11 DATA:C:6 RST:S CLOSE:rst");
	e = last_of(fx->rec, FST_TCP_EV_CLOSE);
	assert_int_equal(e->flow.duplicates, 5);
	assert_int_equal(e->flow.retransmissions[FST_DIR_CLIENT], 0);
	assert_int_equal(e->flow.retransmissions[FST_DIR_SERVER], 0);
	assert_int_equal(e->flow.packets[FST_DIR_CLIENT], 2);
	assert_int_equal(e->flow.packets[FST_DIR_SERVER], 3);
	assert_int_equal(st(fx)->duplicates, 5);
	assert_int_equal(st(fx)->retransmissions, 0);
	assert_int_equal(st(fx)->after_close, 0);
	assert_int_equal(st(fx)->packets, 10);
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "220 ready\r\n");
	fx_free(fx);
}

/* The same segment sent again after the window is a retransmission, and
 * so is one inside it with a new IPv4 ID, TSval or TTL. */
static void test_duplicate_retransmission_differs(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_packet p, again;

	(void)state;
	handshake(&fx->c);
	build_data(&fx->c, FST_DIR_CLIENT, "USER anonymous\r\n", &p);
	fst_tcp_input(fx->tcp, &p);
	again = p;
	again.ts_us = p.ts_us + FST_TCP_DUPLICATE_WINDOW_US + 1;
	fst_tcp_input(fx->tcp, &again);
	again = p;
	again.ts_us = p.ts_us + 1;
	again.ip_id = (uint16_t)(p.ip_id + 1); /* a fast retransmit */
	fst_tcp_input(fx->tcp, &again);
	again = p;
	again.has_timestamps = true;
	again.ts_val = 7;
	fst_tcp_input(fx->tcp, &again);
	again.ts_val = 8;
	fst_tcp_input(fx->tcp, &again);
	again = p;
	again.ttl = (uint8_t)(p.ttl - 1);
	fst_tcp_input(fx->tcp, &again);
	assert_events_from(fx->rec, 2, 0, "DATA:C:16 RTX:C:16 RTX:C:16 RTX:C:16 RTX:C:16 RTX:C:16");
	assert_int_equal(st(fx)->duplicates, 0);
	assert_int_equal(st(fx)->retransmissions, 5);
	fx_free(fx);
}

/* Same header, other bytes: not a copy of the first segment. Both a
 * short payload (hashed whole) and a long one (sampled) are checked. */
static void test_duplicate_other_payload_kept(void **state)
{
	static char longer[1401], other_long[1401];
	struct fixture *fx = fx_new(NULL);
	struct fst_packet p, again;

	(void)state;
	memset(longer, 'a', sizeof(longer) - 1);
	memcpy(other_long, longer, sizeof(longer));
	other_long[3] = 'b';
	handshake(&fx->c);
	build_data(&fx->c, FST_DIR_CLIENT, "RETR a\r\n", &p);
	fst_tcp_input(fx->tcp, &p);
	again = p;
	again.payload = (const uint8_t *)"RETR b\r\n";
	fst_tcp_input(fx->tcp, &again);
	build_data(&fx->c, FST_DIR_CLIENT, longer, &p);
	fst_tcp_input(fx->tcp, &p);
	again = p;
	again.payload = (const uint8_t *)other_long;
	fst_tcp_input(fx->tcp, &again);
	fst_tcp_input(fx->tcp, &p); /* a true copy is still known */
	assert_events_from(fx->rec, 2, 0, "DATA:C:8 RTX:C:8 DATA:C:1400 RTX:C:1400");
	assert_int_equal(st(fx)->duplicates, 1);
	/* The first copy of each byte wins. */
	assert_int_equal(
		stream(fx->rec, 1, FST_DIR_CLIENT, 0, fmt_buf_bytes, sizeof(fmt_buf_bytes)), 1408);
	assert_memory_equal(fmt_buf_bytes, "RETR a\r\n", 8);
	assert_memory_equal(fmt_buf_bytes + 8, longer, 1400);
	fx_free(fx);
}

/* Identical segments the peer provoked, one for each of its own, are
 * not copies: over IPv6 (no ID), a closed stack's reset for each of two
 * late segments, microseconds apart. */
static void test_duplicate_not_when_provoked(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_packet rst;
	uint64_t after_close;

	(void)state;
	conn_init(&fx->c, fx->tcp, "2001:db8::10", 58895, "2001:db8::20", 21);
	handshake(&fx->c);
	send_data(&fx->c, FST_DIR_SERVER, "220 ok\r\n");
	send_fin(&fx->c, FST_DIR_CLIENT, NULL);
	send_data(&fx->c, FST_DIR_SERVER, "221 bye\r\n");
	build_seg(&fx->c, FST_DIR_CLIENT, FST_TCP_RST, fx->c.nxt[FST_DIR_CLIENT], 0, NULL, 0, 0,
		  &rst);
	fst_tcp_input(fx->tcp, &rst);
	send_fin(&fx->c, FST_DIR_SERVER, NULL); /* crossed the reset */
	after_close = st(fx)->after_close;
	rst.ts_us = fx->c.ts; /* the reset for the FIN */
	fst_tcp_input(fx->tcp, &rst);
	assert_int_equal(st(fx)->duplicates, 0);
	assert_int_equal(st(fx)->after_close, after_close + 1);
	fx_free(fx);
}

/* mergecap of a capture with itself: with equal times, each copy comes
 * after a few other segments (ties go to the first file). */
static void test_duplicate_interleaved(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct fst_packet p[2 * FST_TCP_DUPLICATE_SLOTS];
	const char *const texts[] = { "a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "h" };
	int64_t t0;
	size_t i;

	(void)state;
	_Static_assert(sizeof(texts) / sizeof(texts[0]) >= 2 * FST_TCP_DUPLICATE_SLOTS,
		       "a text per segment");
	handshake(&fx->c);
	t0 = fx->c.ts; /* all at one time, as a capture that shows a burst */
	for (i = 0; i < 2 * FST_TCP_DUPLICATE_SLOTS; i++) {
		build_data(&fx->c, i % 2 ? FST_DIR_SERVER : FST_DIR_CLIENT, texts[i], &p[i]);
		p[i].ts_us = t0;
		fst_tcp_input(fx->tcp, &p[i]);
	}
	for (i = 0; i < 2 * FST_TCP_DUPLICATE_SLOTS; i++)
		fst_tcp_input(fx->tcp, &p[i]);
	assert_int_equal(st(fx)->duplicates, 2 * FST_TCP_DUPLICATE_SLOTS);
	assert_int_equal(st(fx)->retransmissions, 0);

	/* One side sends more than it remembers before the copies come: each
	 * late copy takes the slot of the next one's original, so all count
	 * as retransmissions, as they did before duplicates were known. */
	for (i = 0; i <= FST_TCP_DUPLICATE_SLOTS; i++) {
		build_data(&fx->c, FST_DIR_CLIENT, texts[i], &p[i]);
		p[i].ts_us = t0;
		fst_tcp_input(fx->tcp, &p[i]);
	}
	for (i = 0; i <= FST_TCP_DUPLICATE_SLOTS; i++)
		fst_tcp_input(fx->tcp, &p[i]);
	assert_int_equal(st(fx)->duplicates, 2 * FST_TCP_DUPLICATE_SLOTS);
	assert_int_equal(st(fx)->retransmissions, FST_TCP_DUPLICATE_SLOTS + 1);
	fx_free(fx);
}

/* "-i any" on a router or bridge: the same IP packet under two link
 * layers (Ethernet on one port, Linux cooked on the capture of "any"). */
static void test_duplicate_two_link_layers(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct pb_frame *f = calloc(1, sizeof(*f));
	const int links[] = { PB_DLT_EN10MB, PB_DLT_LINUX_SLL };
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	assert_non_null(f);
	for (int i = 0; i < 4; i++) {
		pb_seg_init(&s, "192.0.2.1", 40001, "192.0.2.2", 21);
		s.flags = i < 2 ? FST_TCP_SYN : FST_TCP_ACK | FST_TCP_PSH;
		s.seq = i < 2 ? 1 : 2;
		s.timestamps = true;
		s.tsval = 1000;
		s.ipv4_id = i < 2 ? 0x1234 : 0x1235;
		s.payload = i < 2 ? NULL : (const uint8_t *)"USER ftp\r\n";
		s.payload_len = i < 2 ? 0 : 10;
		pb_build(f, links[i % 2], NULL, &s);
		assert_int_equal(fst_decode_frame(links[i % 2], f->b, (uint32_t)f->len,
						  (uint32_t)f->len, &pkt),
				 FST_DECODE_TCP);
		assert_int_equal(pkt.ip_id, s.ipv4_id);
		assert_int_equal(pkt.ts_val, 1000);
		pkt.ts_us = 1000 + i * 20;
		fst_tcp_input(fx->tcp, &pkt);
	}
	assert_events(fx->rec, "OPEN:C DATA:C:10");
	assert_int_equal(st(fx)->duplicates, 2);
	assert_int_equal(st(fx)->retransmissions, 0);
	free(f);
	fx_free(fx);
}

/* Through the decoder: a built frame decoded and fed in. */
static void test_via_decoder(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct pb_frame *f = calloc(1, sizeof(*f));
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	assert_non_null(f);
	pb_seg_init(&s, "2001:db8::1", 40001, "2001:db8::2", 21);
	s.flags = FST_TCP_SYN;
	s.seq = 1;
	s.has_wscale = true;
	s.wscale = 3;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(fst_decode_frame(PB_DLT_EN10MB, f->b, (uint32_t)f->len, (uint32_t)f->len,
					  &pkt),
			 FST_DECODE_TCP);
	pkt.ts_us = 1;
	fst_tcp_input(fx->tcp, &pkt);

	pb_seg_init(&s, "2001:db8::2", 21, "2001:db8::1", 40001);
	s.flags = FST_TCP_SYN | FST_TCP_ACK;
	s.seq = 100;
	s.ack = 2;
	s.has_wscale = true;
	s.wscale = 1;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(fst_decode_frame(PB_DLT_EN10MB, f->b, (uint32_t)f->len, (uint32_t)f->len,
					  &pkt),
			 FST_DECODE_TCP);
	pkt.ts_us = 2;
	fst_tcp_input(fx->tcp, &pkt);

	pb_seg_init(&s, "2001:db8::2", 21, "2001:db8::1", 40001);
	s.flags = FST_TCP_ACK | FST_TCP_PSH;
	s.seq = 101;
	s.ack = 2;
	s.window = 0;
	s.payload = (const uint8_t *)"220 ok\r\n";
	s.payload_len = 8;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(fst_decode_frame(PB_DLT_EN10MB, f->b, (uint32_t)f->len, (uint32_t)f->len,
					  &pkt),
			 FST_DECODE_TCP);
	pkt.ts_us = 3;
	fst_tcp_input(fx->tcp, &pkt);
	s.window = 1000;
	s.seq = 109;
	s.payload_len = 0;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	fst_decode_frame(PB_DLT_EN10MB, f->b, (uint32_t)f->len, (uint32_t)f->len, &pkt);
	pkt.ts_us = 4;
	fst_tcp_input(fx->tcp, &pkt);

	/* Data and a zero window in one segment: order not specified, so
	 * only check the set and the scaled re-opening. */
	{
		const struct rec_ev *d = last_of(fx->rec, FST_TCP_EV_DATA);
		const struct rec_ev *z = last_of(fx->rec, FST_TCP_EV_ZERO_WINDOW);
		const struct rec_ev *o = last_of(fx->rec, FST_TCP_EV_WINDOW_OPEN);

		assert_non_null(d);
		assert_int_equal(d->ev.dir, FST_DIR_SERVER);
		assert_non_null(z);
		assert_int_equal(z->ev.dir, FST_DIR_SERVER);
		assert_non_null(o);
		assert_int_equal(o->ev.window, 2000);
	}
	assert_stream(fx->rec, 1, FST_DIR_SERVER, "220 ok\r\n");
	free(f);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_opens),
		cmocka_unit_test(test_data_both_directions),
		cmocka_unit_test(test_count_only_payload),
		cmocka_unit_test(test_payload_set_on_open),
		cmocka_unit_test(test_snaplen_cut_payload),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_out_of_order_reverse),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_first_copy_wins),
		cmocka_unit_test(test_overlap_with_held_segment),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_unacked),
		cmocka_unit_test(test_keepalive_not_when_flagged),
		cmocka_unit_test(test_sequence_wraparound),
		cmocka_unit_test(test_gap_by_ack_with_held_data),
		cmocka_unit_test(test_gap_by_ack_nothing_held),
		cmocka_unit_test(test_gap_by_ack_of_unseen_side),
		cmocka_unit_test(test_ack_of_fin_is_not_a_gap),
		cmocka_unit_test(test_gap_at_finish),
		cmocka_unit_test(test_fin_waits_for_held_data),
		cmocka_unit_test(test_cap_hit_keeps_captured_segment),
		cmocka_unit_test(test_syn_after_data_keeps_stream),
		cmocka_unit_test(test_no_data_after_fin),
		cmocka_unit_test(test_held_past_fin_dropped),
		cmocka_unit_test(test_per_flow_cap_both_directions),
		cmocka_unit_test(test_uncaptured_payload),
		cmocka_unit_test(test_mid_stream),
		cmocka_unit_test(test_mid_stream_lower_port_is_server),
		cmocka_unit_test(test_swap_roles),
		cmocka_unit_test(test_swap_roles_first_event_not_data),
		cmocka_unit_test(test_swap_roles_refused_after_first_packet),
		cmocka_unit_test(test_fin_close),
		cmocka_unit_test(test_fin_server_first),
		cmocka_unit_test(test_rst_after_server_fin),
		cmocka_unit_test(test_rst_from_client),
		cmocka_unit_test(test_peer_data_after_rst),
		cmocka_unit_test(test_own_data_after_rst_dropped),
		cmocka_unit_test(test_rst_after_write_and_fins),
		cmocka_unit_test(test_closing_wait_bounded),
		cmocka_unit_test(test_rst_to_syn),
		cmocka_unit_test(test_zero_window_scaled),
		cmocka_unit_test(test_zero_window_unscaled_when_one_sided),
		cmocka_unit_test(test_zero_window_not_on_syn_or_rst),
		cmocka_unit_test(test_zero_window_with_data_in_flight),
		cmocka_unit_test(test_finish_closes_all),
		cmocka_unit_test(test_free_closes_open_flows),
		cmocka_unit_test(test_idle_eviction_by_packet),
		cmocka_unit_test(test_idle_eviction_by_advance),
		cmocka_unit_test(test_tick_does_not_retime_late_packets),
		cmocka_unit_test(test_extreme_time_jump),
		cmocka_unit_test(test_idle_default_is_long),
		cmocka_unit_test(test_table_full_evicts_lru),
		cmocka_unit_test(test_ooo_byte_cap),
		cmocka_unit_test(test_ooo_segment_cap),
		cmocka_unit_test(test_ooo_total_cap),
		cmocka_unit_test(test_many_flows_no_leak),
		cmocka_unit_test(test_ipv6_flow),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_duplicate_dropped),
		cmocka_unit_test(test_duplicate_retransmission_differs),
		cmocka_unit_test(test_duplicate_other_payload_kept),
		cmocka_unit_test(test_duplicate_not_when_provoked),
		cmocka_unit_test(test_duplicate_interleaved),
		cmocka_unit_test(test_duplicate_two_link_layers),
		cmocka_unit_test(test_via_decoder),
	};

	return cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
}
