/* libFuzzer harness: arbitrary TCP segment sequences through the
 * reassembler alone, with small caps so the limit paths run, and the
 * stream invariants checked on every event.
 *
 * Every payload byte is a function of its absolute sequence number
 * (byte s is byte s % 4 of the little-endian word s & ~3), whichever
 * segment carries it, so a DATA event proves where it sits: once a run
 * of at least 7 captured bytes has fixed a direction's position, every
 * later DATA and GAP must continue exactly there, and DATA bytes must be
 * the bytes of those positions (first copy wins, all copies agree).
 *
 * Input: two header bytes, then 8-byte records.
 *   header[0] bits 0-1  max_ooo_bytes_per_flow  64 / 256 / 1024 / 4096
 *             bits 2-3  max_ooo_segments_per_flow  1 / 2 / 8 / 64
 *             bits 4-5  max_ooo_bytes_total  96 / 512 / 2048 / 1 MiB
 *             bits 6-7  max_flows  1 / 2 / 3 / 64
 *   header[1] bits 0-1  initial sequence base  0 / 2^31 - 64 / 2^32 - 64 / 12345
 *             bit 2     count-only (no payload) for flows with even ids
 *             bits 3-4  idle timeout 1 s / 10 s / 60 s / default
 *             bit 5     closed linger 1 s (else default)
 *   record  b0 bit 0 direction, bits 1-2 which of four port pairs,
 *              bits 3-5 time step, bit 6 zero window, bit 7 IPv6 (so
 *              eight flows in all)
 *           b1 TCP flags (low 6 bits; see sent[] for when SYN is dropped)
 *           b2-3 sequence offset (int16, little-endian) from the
 *              direction's cursor; the cursor moves to the segment's end
 *           b4 payload length
 *           b5 bit 7: captured length = bits 0-6 (capped at the length)
 *           b6-7 acknowledgement offset (int16) from the other cursor */
#include <stdlib.h>
#include <string.h>

#include "ftpstall/tcp.h"
#include "fuzz_support.h"

enum {
	RECORD_SIZE = 8,
	TUPLES = 8,
	MAX_TRACKED = 1024, /* flows an input can open: fewer than its records */
	MIN_PROOF = 7
};

static const size_t per_flow_caps[4] = { 64, 256, 1024, 4096 };
static const size_t segment_caps[4] = { 1, 2, 8, 64 };
static const size_t total_caps[4] = { 96, 512, 2048, 1 << 20 };
static const size_t flow_caps[4] = { 1, 2, 3, 64 };
static const uint32_t seq_bases[4] = { 0, 0x7fffffc0u, 0xffffffc0u, 12345 };
static const int64_t idle_timeouts_us[4] = { 1000000, 10000000, 60000000, 0 };
static const int64_t time_steps_us[8] = { 0, 1, 1000, 50000, 700000, 5000000, 31000000, 4000000000 };

/* What the harness knows of one direction of one flow. */
struct dir_track {
	bool pos_known;
	uint32_t pos;	    /* next sequence position, when known */
	uint64_t delivered; /* DATA + GAP bytes */
	uint64_t gap_bytes;
	bool fin;
};

struct flow_track {
	uint64_t id;
	bool closed;
	struct dir_track dir[2];
};

struct harness {
	struct fst_tcp_cfg cfg;
	struct fst_tcp *tcp;
	bool count_only_even;
	int64_t last_ev_ts;
	uint64_t max_id;
	struct flow_track flows[MAX_TRACKED]; /* index: id - 1 */
	uint32_t cursor[TUPLES][2];
	/* A packet went this way since the input began or the tuple's last
	 * RST: a SYN now would land on a half that knows its sequence
	 * (known finding 2), so without FST_FUZZ_KNOWN it loses its SYN. */
	bool sent[TUPLES][2];
	uint8_t buf[256]; /* payload of the current segment */
};

static uint8_t byte_at(uint32_t s)
{
	uint32_t word = s & ~3u;

	return (uint8_t)(word >> (8 * (s & 3)));
}

/* Finds the sequence position at which data[0..n) starts, if the bytes
 * prove one: an aligned word among the first four offsets names it. */
static bool locate(const uint8_t *data, uint32_t n, uint32_t *pos)
{
	if (n < MIN_PROOF)
		return false;
	for (uint32_t k = 0; k < 4; k++) {
		uint32_t word = (uint32_t)data[k] | (uint32_t)data[k + 1] << 8 |
				(uint32_t)data[k + 2] << 16 | (uint32_t)data[k + 3] << 24;
		uint32_t start = word - k;
		bool all = (word & 3) == 0;

		for (uint32_t i = 0; all && i < n; i++)
			all = data[i] == byte_at(start + i);
		if (all) {
			*pos = start;
			return true;
		}
	}
	return false;
}

static struct flow_track *track_of(struct harness *h, const struct fst_tcp_flow *flow)
{
	struct flow_track *t;

	FUZZ_CHECK(flow->id >= 1, "flow id 0");
	if (flow->id > MAX_TRACKED)
		return NULL;
	t = &h->flows[flow->id - 1];
	if (t->id == 0) {
		if (flow->id > h->max_id)
			h->max_id = flow->id;
		t->id = flow->id;
		if (h->count_only_even && flow->id % 2 == 0)
			fst_tcp_flow_set_payload((struct fst_tcp_flow *)flow, false);
	}
	return t;
}

static void on_data(struct dir_track *d, const struct fst_tcp_event *ev)
{
	uint32_t start;

	FUZZ_CHECK(ev->len > 0, "DATA of length 0");
	FUZZ_CHECK(ev->data_caplen <= ev->len, "DATA caplen %u > len %u", ev->data_caplen, ev->len);
	FUZZ_CHECK(!ev->payload_present || ev->data_caplen == ev->len,
		   "payload_present with caplen %u of %u", ev->data_caplen, ev->len);
	FUZZ_CHECK(!ev->data_caplen || ev->data, "DATA caplen %u without data", ev->data_caplen);
	if (ev->data && ev->data_caplen) {
		if (d->pos_known) {
			for (uint32_t i = 0; i < ev->data_caplen; i++)
				FUZZ_CHECK(ev->data[i] == byte_at(d->pos + i),
					   "DATA byte %u of %u is 0x%02x, want 0x%02x at seq %u: "
					   "out of order or not contiguous",
					   i, ev->len, ev->data[i], byte_at(d->pos + i),
					   d->pos + i);
		} else if (locate(ev->data, ev->data_caplen, &start)) {
			d->pos_known = true;
			d->pos = start;
		}
	}
	d->pos += ev->len;
}

static void on_tcp_event(void *ctx, const struct fst_tcp_event *ev)
{
	struct harness *h = ctx;
	struct flow_track *t;
	struct dir_track *d;

	FUZZ_CHECK(ev->flow, "event without a flow");
	FUZZ_CHECK((unsigned)ev->kind < FST_TCP_EV_COUNT, "event kind %d", (int)ev->kind);
	FUZZ_CHECK(ev->ts_us >= h->last_ev_ts, "event time went backwards");
	h->last_ev_ts = ev->ts_us;
	t = track_of(h, ev->flow);
	if (!t)
		return;
	FUZZ_CHECK(!t->closed, "event %s for flow %llu after its CLOSE",
		   fst_tcp_event_kind_name(ev->kind), (unsigned long long)t->id);
	FUZZ_CHECK(ev->dir == FST_DIR_CLIENT || ev->dir == FST_DIR_SERVER, "dir %d", (int)ev->dir);
	d = &t->dir[ev->dir];
	switch (ev->kind) {
	case FST_TCP_EV_DATA:
		/* Bytes past a FIN are still delivered (known finding 4). */
		FUZZ_CHECK(!FST_FUZZ_KNOWN || !d->fin, "DATA after FIN in flow %llu dir %d",
			   (unsigned long long)t->id, (int)ev->dir);
		on_data(d, ev);
		d->delivered += ev->len;
		break;
	case FST_TCP_EV_GAP:
		FUZZ_CHECK(ev->len > 0, "GAP of length 0");
		FUZZ_CHECK(!FST_FUZZ_KNOWN || !d->fin, "GAP after FIN in flow %llu dir %d",
			   (unsigned long long)t->id, (int)ev->dir);
		d->pos += ev->len;
		d->delivered += ev->len;
		d->gap_bytes += ev->len;
		break;
	case FST_TCP_EV_FIN:
		FUZZ_CHECK(!d->fin, "second FIN in flow %llu dir %d", (unsigned long long)t->id,
			   (int)ev->dir);
		d->fin = true;
		break;
	case FST_TCP_EV_CLOSE:
		FUZZ_CHECK((unsigned)ev->close_reason < FST_TCP_CLOSE_REASON_COUNT,
			   "close reason %d", (int)ev->close_reason);
		t->closed = true;
		break;
	case FST_TCP_EV_OPEN:
		/* A SYN on a flow already carrying data restarts the direction's
		 * sequence space without a GAP (known finding 2). */
		FUZZ_CHECK(!FST_FUZZ_KNOWN || d->delivered == 0,
			   "OPEN after %llu bytes in flow %llu dir %d: the stream position "
			   "jumps without a GAP",
			   (unsigned long long)d->delivered, (unsigned long long)t->id,
			   (int)ev->dir);
		d->pos_known = false;
		break;
	case FST_TCP_EV_RST:
	case FST_TCP_EV_ZERO_WINDOW:
	case FST_TCP_EV_WINDOW_OPEN:
	case FST_TCP_EV_KEEPALIVE:
	case FST_TCP_EV_RETRANSMIT:
	case FST_TCP_EV_COUNT:
		break;
	}
	/* The flow's own counters agree with the events (no role swaps here). */
	FUZZ_CHECK(ev->flow->bytes[ev->dir] == d->delivered,
		   "flow %llu dir %d: bytes %llu, DATA+GAP events %llu", (unsigned long long)t->id,
		   (int)ev->dir, (unsigned long long)ev->flow->bytes[ev->dir],
		   (unsigned long long)d->delivered);
	FUZZ_CHECK(ev->flow->gap_bytes[ev->dir] == d->gap_bytes, "gap_bytes disagree");
}

static void check_stats(const struct harness *h)
{
	const struct fst_tcp_stats *st = fst_tcp_stats(h->tcp);

	FUZZ_CHECK(st->ooo_bytes_buffered <= h->cfg.max_ooo_bytes_total, "%zu bytes held, cap %zu",
		   st->ooo_bytes_buffered, h->cfg.max_ooo_bytes_total);
	FUZZ_CHECK(st->ooo_bytes_buffered <= st->ooo_bytes_peak, "held above the peak");
	FUZZ_CHECK(st->flows_active <= h->cfg.max_flows, "%zu flows active, cap %zu",
		   st->flows_active, h->cfg.max_flows);
	/* The per-flow cap is applied per direction (known finding 5). */
	FUZZ_CHECK(st->ooo_bytes_buffered <= h->cfg.max_ooo_bytes_per_flow * st->flows_active *
						     (FST_FUZZ_KNOWN ? 1 : 2),
		   "%zu bytes held by %zu flows, per-flow cap %zu", st->ooo_bytes_buffered,
		   st->flows_active, h->cfg.max_ooo_bytes_per_flow);
}

static void fill_packet(struct harness *h, const uint8_t *r, struct fst_packet *p, int64_t now)
{
	enum fst_tcp_dir dir = (r[0] & 1) ? FST_DIR_SERVER : FST_DIR_CLIENT;
	bool v6 = r[0] & 0x80;
	/* Four port pairs, each over IPv4 and IPv6: eight flows. */
	unsigned tuple = ((r[0] >> 1) & 3) | (v6 ? 4 : 0);
	int16_t seq_off = (int16_t)(uint16_t)(r[2] | r[3] << 8);
	int16_t ack_off = (int16_t)(uint16_t)(r[6] | r[7] << 8);
	uint32_t len = r[4];
	uint32_t caplen = (r[5] & 0x80) ? (uint32_t)(r[5] & 0x7f) : len;
	struct fst_addr a = { .family = v6 ? 6 : 4 }, b;

	a.bytes[0] = 10;
	b = a;
	a.bytes[3] = 1;
	b.bytes[3] = 2;
	memset(p, 0, sizeof(*p));
	p->ts_us = now;
	p->src = dir == FST_DIR_CLIENT ? a : b;
	p->dst = dir == FST_DIR_CLIENT ? b : a;
	p->src_port = dir == FST_DIR_CLIENT ? (uint16_t)(40000 + (tuple & 3)) : 21;
	p->dst_port = dir == FST_DIR_CLIENT ? 21 : (uint16_t)(40000 + (tuple & 3));
	p->ttl = 64;
	p->flags = r[1] & 0x3f;
	if (!FST_FUZZ_KNOWN && (p->flags & FST_TCP_SYN) && h->sent[tuple][dir])
		p->flags &= (uint8_t)~FST_TCP_SYN;
	h->sent[tuple][dir] = true;
	if (p->flags & FST_TCP_RST)
		h->sent[tuple][0] = h->sent[tuple][1] = false;
	p->seq = h->cursor[tuple][dir] + (uint32_t)(int32_t)seq_off;
	p->ack = h->cursor[tuple][!dir] + (uint32_t)(int32_t)ack_off;
	p->window = (r[0] & 0x40) ? 0 : 1024;
	p->payload_len = len;
	if (caplen > len)
		caplen = len;
	/* The payload starts after the SYN's sequence number. */
	for (uint32_t i = 0; i < caplen; i++)
		h->buf[i] = byte_at(p->seq + ((p->flags & FST_TCP_SYN) ? 1 : 0) + i);
	p->payload = caplen ? h->buf : FUZZ_EMPTY_PAYLOAD;
	p->payload_caplen = caplen;
	h->cursor[tuple][dir] = p->seq + len + ((p->flags & FST_TCP_SYN) ? 1 : 0) +
				((p->flags & FST_TCP_FIN) ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h;
	int64_t now = INT64_C(1700000000) * FST_US_PER_SEC;

	if (size < 2)
		return 0;
	h = calloc(1, sizeof(*h));
	FUZZ_CHECK(h, "calloc");
	h->cfg.max_ooo_bytes_per_flow = per_flow_caps[data[0] & 3];
	h->cfg.max_ooo_segments_per_flow = segment_caps[(data[0] >> 2) & 3];
	h->cfg.max_ooo_bytes_total = total_caps[(data[0] >> 4) & 3];
	h->cfg.max_flows = flow_caps[data[0] >> 6];
	h->cfg.idle_timeout_us = idle_timeouts_us[(data[1] >> 3) & 3];
	h->cfg.closed_linger_us = (data[1] & 0x20) ? 1000000 : 0;
	h->cfg.payload_by_default = true;
	h->cfg.on_event = on_tcp_event;
	h->cfg.ctx = h;
	h->count_only_even = data[1] & 0x04;
	h->last_ev_ts = INT64_MIN;
	for (unsigned t = 0; t < TUPLES; t++) {
		h->cursor[t][0] = seq_bases[data[1] & 3] + t * 1000;
		h->cursor[t][1] = seq_bases[data[1] & 3] + 0x40000000u + t * 1000;
	}
	h->tcp = fst_tcp_new(&h->cfg);
	FUZZ_CHECK(h->tcp, "fst_tcp_new");
	/* fst_tcp_new fills in defaults; check against the effective caps. */
	if (!h->cfg.idle_timeout_us)
		h->cfg.idle_timeout_us = 3600 * FST_US_PER_SEC;

	for (size_t pos = 2; pos + RECORD_SIZE <= size; pos += RECORD_SIZE) {
		struct fst_packet pkt;

		now += time_steps_us[(data[pos] >> 3) & 7];
		fill_packet(h, data + pos, &pkt, now);
		fst_tcp_input(h->tcp, &pkt);
		check_stats(h);
	}
	fst_tcp_finish(h->tcp);
	FUZZ_CHECK(fst_tcp_stats(h->tcp)->ooo_bytes_buffered == 0, "%zu bytes held after finish",
		   fst_tcp_stats(h->tcp)->ooo_bytes_buffered);
	FUZZ_CHECK(fst_tcp_stats(h->tcp)->flows_active == 0, "flows active after finish");
	for (uint64_t id = 1; id <= h->max_id && id <= MAX_TRACKED; id++)
		FUZZ_CHECK(h->flows[id - 1].closed, "flow %llu never got its CLOSE",
			   (unsigned long long)id);
	fst_tcp_free(h->tcp);
	free(h);
	return 0;
}
