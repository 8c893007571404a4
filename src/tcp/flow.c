/* TCP flow table and reassembly.
 *
 * Each flow has two halves, one per sending side. A half delivers its
 * bytes in sequence order; segments beyond a hole wait in a sorted list
 * (capped per flow and globally) until the hole fills, until the other
 * side ACKs past it (the capture lost the bytes: a GAP), or until a cap
 * forces the reassembler to give the hole up (also a GAP, counted).
 * Sequence numbers are compared wrap-safely. Time is packet time. */
#include "ftpstall/tcp.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)

/* A segment waiting behind a hole. data holds stored bytes: the captured
 * payload for flows that want payload, nothing for count-only flows. */
struct held_segment {
	struct held_segment *next;
	uint32_t seq;
	uint32_t len;	 /* sequence-space length */
	uint32_t stored; /* bytes in data[]; == len when whole */
	uint8_t data[];
};

/* A segment a side sent lately, to know its capture duplicates by, in one
 * word (8 bytes a slot: the flow table's cap holds 262144 flows): the top
 * 40 bits of its segment_key() and the low 24 bits of its time in
 * microseconds (16.7 s around: enough to measure the 2 ms window, the
 * full time being now_us less the difference). 0: an empty slot. */
#define RECENT_TIME_BITS 24
#define RECENT_TIME_MASK ((UINT64_C(1) << RECENT_TIME_BITS) - 1)

/* One sending side of a flow. */
struct half {
	bool seq_known; /* next_seq is valid */
	bool open_emitted;
	bool fin_seen;	  /* a FIN arrived */
	bool fin_emitted; /* ... and the stream has reached it */
	bool zero_window;
	bool offered_wscale;
	uint8_t wscale;
	uint32_t next_seq; /* first byte not yet delivered */
	/* While next_seq is unknown (no packet of this side seen yet): the
	 * highest byte of this side's stream the other side acknowledged. */
	bool acked_unseen_known;
	uint32_t acked_unseen;
	uint32_t fin_seq;
	uint8_t fin_ttl;
	bool wrote_after_peer_fin; /* delivered bytes after the other side's FIN */
	bool probe_unanswered;	   /* sent a keep-alive the other side has not ACKed */
	bool ack_known;		   /* the other side has ACKed some of this stream */
	uint32_t acked;		   /* ... up to here (its highest ACK) */
	struct held_segment *held; /* sorted by seq */
	size_t held_bytes;
	size_t held_count;
};

struct flow {
	struct fst_tcp_flow pub; /* first: the consumer's view */
	struct flow *hash_next;
	struct flow *lru_prev, *lru_next; /* in the open or the closed list */
	struct half half[2];
	/* To know capture duplicates by, per side (enum fst_tcp_dir): its
	 * last segments, the slot its next one takes, its latest packet's
	 * time (copies aside). Apart from struct half: these are touched by
	 * every packet. */
	uint64_t recent[2][FST_TCP_DUPLICATE_SLOTS];
	uint8_t recent_next; /* bit dir: the slot side dir's next one takes */
	uint8_t last_dir;    /* the side that sent the latest packet (not a copy) */
	uint32_t hash;
	bool want_payload;
	/* Roles may change only in cfg.on_flow, before the first packet is
	 * handled: afterwards a swap would leave the caller's direction and
	 * half pointers stale mid-packet. */
	bool roles_settled;
	bool roles_swapped; /* by cfg.on_flow */
	bool scaling;	    /* both SYNs offered window scaling */
	/* The close is known but not yet emitted: the flow waits for one
	 * more packet (see begin_closing). */
	bool closing;
	bool closing_rst;	    /* ... after a reset (else after both FINs) */
	enum fst_tcp_dir reset_dir; /* closing_rst: the side that reset */
	bool closed;		    /* lingering to absorb stragglers */
};

struct flow_list {
	struct flow *head, *tail; /* head: least recently active */
	int64_t limit_us;	  /* a flow leaves once idle longer than this */
	/* No flow of the list expires before this time (a lower bound:
	 * packet time only grows, so the head's expiry only moves later). */
	int64_t due_us;
};

struct fst_tcp {
	struct fst_tcp_cfg cfg;
	struct flow **buckets;
	size_t bucket_mask;
	size_t flow_count; /* open + closed */
	struct flow_list open, closing, closed;
	uint64_t next_id;
	int64_t now_us;	  /* packet time: the latest packet's timestamp */
	int64_t clock_us; /* packet time or a later live clock tick */
	struct fst_tcp_stats stats;
};

static const char *const event_kind_names[] = {
	[FST_TCP_EV_OPEN] = "open",
	[FST_TCP_EV_DATA] = "data",
	[FST_TCP_EV_GAP] = "capture_gap",
	[FST_TCP_EV_FIN] = "fin",
	[FST_TCP_EV_RST] = "rst",
	[FST_TCP_EV_ZERO_WINDOW] = "zero_window",
	[FST_TCP_EV_WINDOW_OPEN] = "window_open",
	[FST_TCP_EV_KEEPALIVE] = "keepalive",
	[FST_TCP_EV_RETRANSMIT] = "retransmission",
	[FST_TCP_EV_CLOSE] = "close",
};
_Static_assert(sizeof(event_kind_names) / sizeof(event_kind_names[0]) == FST_TCP_EV_COUNT,
	       "a name for every event kind");

static const char *const close_reason_names[] = {
	[FST_TCP_CLOSE_FIN] = "fin",
	[FST_TCP_CLOSE_RST] = "rst",
	[FST_TCP_CLOSE_IDLE] = "idle_evicted",
	[FST_TCP_CLOSE_TABLE_FULL] = "table_full_evicted",
	[FST_TCP_CLOSE_END_OF_INPUT] = "end_of_capture",
};
_Static_assert(sizeof(close_reason_names) / sizeof(close_reason_names[0]) ==
		       FST_TCP_CLOSE_REASON_COUNT,
	       "a name for every close reason");

const char *fst_tcp_event_kind_name(enum fst_tcp_event_kind kind)
{
	return (unsigned)kind < FST_TCP_EV_COUNT ? event_kind_names[kind] : "?";
}

const char *fst_tcp_close_reason_name(enum fst_tcp_close_reason reason)
{
	return (unsigned)reason < FST_TCP_CLOSE_REASON_COUNT ? close_reason_names[reason] : "?";
}

static struct flow *flow_of(struct fst_tcp_flow *pub)
{
	return (struct flow *)pub;
}

/* ---- events ---------------------------------------------------------- */

static void emit(struct fst_tcp *tcp, struct fst_tcp_event *ev)
{
	if (tcp->cfg.on_event)
		tcp->cfg.on_event(tcp->cfg.ctx, ev);
}

static void emit_simple(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_event_kind kind,
			enum fst_tcp_dir dir, uint32_t len)
{
	struct fst_tcp_event ev = {
		.kind = kind,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.dir = dir,
		.len = len,
	};

	emit(tcp, &ev);
}

static void emit_data(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir, uint32_t len,
		      const uint8_t *data, uint32_t caplen)
{
	struct fst_tcp_event ev = {
		.kind = FST_TCP_EV_DATA,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.dir = dir,
		.len = len,
	};

	if (flow->want_payload) {
		ev.data = caplen ? data : NULL;
		ev.data_caplen = caplen;
		ev.payload_present = caplen == len;
	}
	if (flow->half[!dir].fin_emitted)
		flow->half[dir].wrote_after_peer_fin = true;
	flow->pub.bytes[dir] += len;
	emit(tcp, &ev);
}

static void emit_gap(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir, uint32_t len)
{
	flow->pub.gap_bytes[dir] += len;
	flow->pub.bytes[dir] += len;
	tcp->stats.gaps++;
	tcp->stats.gap_bytes += len;
	emit_simple(tcp, flow, FST_TCP_EV_GAP, dir, len);
}

/* ---- flow lists and table -------------------------------------------- */

static void list_remove(struct flow_list *list, struct flow *flow)
{
	if (flow->lru_prev)
		flow->lru_prev->lru_next = flow->lru_next;
	else
		list->head = flow->lru_next;
	if (flow->lru_next)
		flow->lru_next->lru_prev = flow->lru_prev;
	else
		list->tail = flow->lru_prev;
	flow->lru_prev = flow->lru_next = NULL;
}

/* when + limit, saturating (hostile files carry extreme timestamps). */
static int64_t expiry_after(int64_t when, int64_t limit)
{
	return when > INT64_MAX - limit ? INT64_MAX : when + limit;
}

static void list_append(struct flow_list *list, struct flow *flow)
{
	if (!list->head)
		list->due_us = expiry_after(flow->pub.last_ts_us, list->limit_us);
	flow->lru_prev = list->tail;
	flow->lru_next = NULL;
	if (list->tail)
		list->tail->lru_next = flow;
	else
		list->head = flow;
	list->tail = flow;
}

static struct flow_list *list_of(struct fst_tcp *tcp, struct flow *flow)
{
	if (flow->closed)
		return &tcp->closed;
	return flow->closing ? &tcp->closing : &tcp->open;
}

/* Mixes one endpoint, a word at a time; combining two with ^ makes the
 * flow hash the same from either direction. */
static uint64_t endpoint_hash(const struct fst_addr *addr, uint16_t port)
{
	uint64_t h = port;

	if (addr->family == 4) {
		uint32_t v4;

		memcpy(&v4, addr->bytes, 4);
		h ^= (uint64_t)v4 << 16;
	} else {
		uint64_t hi, lo;

		memcpy(&hi, addr->bytes, 8);
		memcpy(&lo, addr->bytes + 8, 8);
		h ^= (hi * 0x9e3779b97f4a7c15u) ^ lo;
	}
	h *= 0xff51afd7ed558ccdu;
	return h ^ (h >> 33);
}

static uint32_t flow_hash(const struct fst_packet *pkt)
{
	uint64_t h = endpoint_hash(&pkt->src, pkt->src_port) ^
		     endpoint_hash(&pkt->dst, pkt->dst_port);

	h *= 0xc4ceb9fe1a85ec53u;
	return (uint32_t)(h >> 32);
}

/* Finds the flow of pkt and the direction pkt travels in it. */
static struct flow *lookup(struct fst_tcp *tcp, const struct fst_packet *pkt, uint32_t hash,
			   enum fst_tcp_dir *dir)
{
	for (struct flow *f = tcp->buckets[hash & tcp->bucket_mask]; f; f = f->hash_next) {
		const struct fst_tcp_flow *p = &f->pub;

		if (f->hash != hash)
			continue;
		if (pkt->src_port == p->client_port && pkt->dst_port == p->server_port &&
		    fst_addr_equal(&pkt->src, &p->client_addr) &&
		    fst_addr_equal(&pkt->dst, &p->server_addr)) {
			*dir = FST_DIR_CLIENT;
			return f;
		}
		if (pkt->src_port == p->server_port && pkt->dst_port == p->client_port &&
		    fst_addr_equal(&pkt->src, &p->server_addr) &&
		    fst_addr_equal(&pkt->dst, &p->client_addr)) {
			*dir = FST_DIR_SERVER;
			return f;
		}
	}
	return NULL;
}

static void free_held(struct fst_tcp *tcp, struct half *h)
{
	struct held_segment *seg = h->held;

	while (seg) {
		struct held_segment *next = seg->next;

		tcp->stats.ooo_bytes_buffered -= seg->stored;
		free(seg);
		seg = next;
	}
	h->held = NULL;
	h->held_bytes = 0;
	h->held_count = 0;
}

/* Unlinks and frees a flow. Its CLOSE event must already be out. */
static void destroy_flow(struct fst_tcp *tcp, struct flow *flow)
{
	struct flow **pp = &tcp->buckets[flow->hash & tcp->bucket_mask];

	while (*pp != flow)
		pp = &(*pp)->hash_next;
	*pp = flow->hash_next;
	list_remove(list_of(tcp, flow), flow);
	if (!flow->closed)
		tcp->stats.flows_active--;
	free_held(tcp, &flow->half[0]);
	free_held(tcp, &flow->half[1]);
	tcp->flow_count--;
	free(flow);
}

/* ---- capture duplicates ---------------------------------------------- */

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint64_t rotl64(uint64_t v, unsigned n)
{
	return v << n | v >> (64 - n);
}

/* A sample of n bytes of payload folded into a word: all of a short one
 * (a control-connection line), the first, middle and last 8 bytes of a
 * long one, so that a bulk transfer's segments cost no more than a
 * command's. Bytes the sample misses cannot mislead the stream:
 * reassembly keeps the first copy of every byte anyway. */
static uint64_t payload_sample(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	if (n > 64)
		return load64(p) ^ rotl64(load64(p + n / 2 - 4), 21) ^
		       rotl64(load64(p + n - 8), 42);
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	/* The last word may overlap the one before: n is in the key too. */
	for (size_t i = 0; i + 8 < n; i += 8)
		v ^= rotl64(load64(p + i), (unsigned)(i + 1));
	return v ^ load64(p + n - 8);
}

/* The packet's fields from seq to ts_val (seq, ack, window, the option
 * flags, wscale, ip_id, payload_len, ts_val) lie in three words without
 * padding, read as such: a copy has them all equal. */
#define KEY_FIELDS_FROM offsetof(struct fst_packet, seq)
_Static_assert(offsetof(struct fst_packet, ts_val) + sizeof(uint32_t) - KEY_FIELDS_FROM == 24,
	       "seq to ts_val: three words, no padding");
_Static_assert(offsetof(struct fst_packet, flags) == offsetof(struct fst_packet, ttl) + 1,
	       "ttl and flags side by side");

/* A digest of everything a capture duplicate repeats of a segment (see
 * FST_TCP_DUPLICATE_WINDOW_US): its words multiplied apart by odd
 * constants, which a few instructions do. Its top bit is set, its
 * RECENT_TIME_BITS low bits are clear: a slot's time goes there. */
static uint64_t segment_key(const struct fst_packet *pkt)
{
	const uint8_t *fields = (const uint8_t *)pkt + KEY_FIELDS_FROM;
	uint16_t ttl_flags;
	uint64_t h;

	memcpy(&ttl_flags, &pkt->ttl, sizeof(ttl_flags));
	h = load64(fields) * 0x9e3779b97f4a7c15u;
	h ^= load64(fields + 8) * 0xc2b2ae3d27d4eb4fu;
	h ^= load64(fields + 16) * 0x165667b19e3779f9u;
	h ^= (payload_sample(pkt->payload, pkt->payload_caplen) ^ ttl_flags) * 0xff51afd7ed558ccdu;
	return ((h ^ h >> 29) | (UINT64_C(1) << 63)) & ~RECENT_TIME_MASK;
}

/* Whether side dir of flow sent a segment with this key within the
 * window up to now_us, and the peer's latest packet (when the flow's
 * latest is the peer's) is not later than it: a segment the peer provoked
 * (a reset or a duplicate ACK for each of its segments, a fast
 * retransmission) may repeat one byte for byte, a capture's copy never
 * waits for the peer. If not, remembers the segment in place of the
 * side's older one. */
static bool seen_lately(struct flow *flow, enum fst_tcp_dir dir, uint64_t key, int64_t now_us)
{
	uint64_t *recent = flow->recent[dir];
	unsigned next = (flow->recent_next >> dir) & 1;

	_Static_assert(FST_TCP_DUPLICATE_SLOTS == 2, "one bit per side picks the slot");
	for (unsigned i = 0; i < FST_TCP_DUPLICATE_SLOTS; i++) {
		uint64_t ago;

		/* Nearly every segment differs from both: test the key first. */
		if ((recent[i] ^ key) >> RECENT_TIME_BITS)
			continue;
		ago = ((uint64_t)now_us - recent[i]) & RECENT_TIME_MASK;
		if (ago > FST_TCP_DUPLICATE_WINDOW_US)
			continue;
		/* Unsigned: exact, as the flow's latest time is not after now. */
		if (flow->pub.packets[!dir] && flow->last_dir != dir &&
		    (uint64_t)now_us - (uint64_t)flow->pub.last_ts_us < ago)
			continue;
		return true;
	}
	recent[next] = key | ((uint64_t)now_us & RECENT_TIME_MASK);
	flow->recent_next ^= (uint8_t)(1u << dir);
	return false;
}

/* ---- reassembly ------------------------------------------------------ */

/* Delivers held segments that the stream has reached. A held segment
 * that the stream has already passed in part is trimmed; the bytes
 * delivered first win. */
static void drain_held(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir)
{
	struct half *h = &flow->half[dir];

	while (h->held && SEQ_LEQ(h->held->seq, h->next_seq)) {
		struct held_segment *seg = h->held;
		uint32_t end = seg->seq + seg->len;

		/* Held before the FIN came: nothing past the FIN is stream. */
		if (h->fin_seen && SEQ_GT(end, h->fin_seq))
			end = SEQ_GT(h->fin_seq, h->next_seq) ? h->fin_seq : h->next_seq;
		h->held = seg->next;
		h->held_bytes -= seg->stored;
		h->held_count--;
		tcp->stats.ooo_bytes_buffered -= seg->stored;
		if (SEQ_GT(end, h->next_seq)) {
			uint32_t skip = h->next_seq - seg->seq;
			uint32_t len = end - h->next_seq;
			uint32_t caplen = seg->stored > skip ? seg->stored - skip : 0;

			if (caplen > len)
				caplen = len;
			h->next_seq = end;
			emit_data(tcp, flow, dir, len, seg->data + skip, caplen);
		}
		free(seg);
	}
}

static void drop_first_held(struct fst_tcp *tcp, struct half *h)
{
	struct held_segment *seg = h->held;

	h->held = seg->next;
	h->held_bytes -= seg->stored;
	h->held_count--;
	tcp->stats.ooo_bytes_buffered -= seg->stored;
	free(seg);
}

/* Gives up on the bytes before up_to that the capture does not hold:
 * reports them as a gap, delivering any held segment on the way. */
static void skip_to(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir, uint32_t up_to)
{
	struct half *h = &flow->half[dir];

	while (SEQ_GT(up_to, h->next_seq)) {
		uint32_t target = up_to;

		if (h->held && SEQ_LT(h->held->seq, target))
			target = h->held->seq;
		if (SEQ_GT(target, h->next_seq)) {
			emit_gap(tcp, flow, dir, target - h->next_seq);
			h->next_seq = target;
		}
		drain_held(tcp, flow, dir);
	}
}

static void count_retransmission(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
				 uint32_t len)
{
	flow->pub.retransmissions[dir]++;
	tcp->stats.retransmissions++;
	emit_simple(tcp, flow, FST_TCP_EV_RETRANSMIT, dir, len);
}

/* Holds [seq, seq+len) beyond a hole; the caller has trimmed it so that
 * it overlaps no held segment. Returns false when a cap leaves no room. */
static bool hold_piece(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
		       struct held_segment **pos, uint32_t seq, uint32_t len, const uint8_t *data,
		       uint32_t caplen)
{
	struct half *h = &flow->half[dir];
	const struct half *other = &flow->half[!dir];
	uint32_t stored = flow->want_payload ? caplen : 0;
	struct held_segment *seg;

	/* The per-flow caps count both directions together. */
	if (h->held_count + other->held_count >= tcp->cfg.max_ooo_segments_per_flow ||
	    h->held_bytes + other->held_bytes + stored > tcp->cfg.max_ooo_bytes_per_flow ||
	    tcp->stats.ooo_bytes_buffered + stored > tcp->cfg.max_ooo_bytes_total)
		return false;
	seg = malloc(sizeof(*seg) + stored);
	if (!seg)
		return false;
	seg->seq = seq;
	seg->len = len;
	seg->stored = stored;
	if (stored)
		memcpy(seg->data, data, stored);
	seg->next = *pos;
	*pos = seg;
	h->held_bytes += stored;
	h->held_count++;
	tcp->stats.ooo_bytes_buffered += stored;
	if (tcp->stats.ooo_bytes_buffered > tcp->stats.ooo_bytes_peak)
		tcp->stats.ooo_bytes_peak = tcp->stats.ooo_bytes_buffered;
	flow->pub.out_of_order[dir]++;
	tcp->stats.out_of_order++;
	return true;
}

/* A run of sequence space with the captured part of its bytes. */
struct piece {
	uint32_t seq, len;
	const uint8_t *data;
	uint32_t caplen;
};

static void piece_advance(struct piece *p, uint32_t n)
{
	uint32_t captured = n < p->caplen ? n : p->caplen;

	p->seq += n;
	p->len -= n;
	if (captured) /* data may be NULL when nothing was captured */
		p->data += captured;
	p->caplen -= captured;
}

/* Handles the payload of one segment from dir, piece by piece: bytes
 * already delivered or already held are retransmissions (the first copy
 * wins), bytes at the stream's edge are delivered, bytes beyond a hole
 * are held. When a cap leaves no room to hold, the hole is given up. */
static void segment_data(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
			 const struct fst_packet *pkt)
{
	struct half *h = &flow->half[dir];
	struct piece p = {
		.seq = pkt->seq + ((pkt->flags & FST_TCP_SYN) ? 1 : 0),
		.len = pkt->payload_len,
		.data = pkt->payload,
		.caplen = pkt->payload_caplen,
	};

	if (!h->seq_known) { /* mid-stream: start where the capture starts */
		h->seq_known = true;
		h->next_seq = p.seq;
	}
	if (p.len <= 1 && p.seq == h->next_seq - 1 &&
	    !(pkt->flags & (FST_TCP_SYN | FST_TCP_FIN | FST_TCP_RST))) {
		h->probe_unanswered = true;
		emit_simple(tcp, flow, FST_TCP_EV_KEEPALIVE, dir, p.len);
		return;
	}
	/* Nothing of this side's stream lies past its FIN. */
	if (h->fin_seen) {
		if (SEQ_LEQ(h->fin_seq, p.seq)) {
			tcp->stats.after_close++;
			return;
		}
		if (SEQ_GT(p.seq + p.len, h->fin_seq))
			p.len = h->fin_seq - p.seq;
		if (p.caplen > p.len)
			p.caplen = p.len;
	}
	while (p.len > 0) {
		struct held_segment **pos = &h->held, *prev = NULL;
		uint32_t n;

		if (SEQ_LT(p.seq, h->next_seq)) {
			n = h->next_seq - p.seq < p.len ? h->next_seq - p.seq : p.len;
			count_retransmission(tcp, flow, dir, n);
			piece_advance(&p, n);
			continue;
		}
		if (p.seq == h->next_seq) {
			n = p.len;
			if (h->held && SEQ_LT(h->held->seq, p.seq + p.len))
				n = h->held->seq - p.seq;
			h->next_seq = p.seq + n;
			emit_data(tcp, flow, dir, n, p.data, n < p.caplen ? n : p.caplen);
			piece_advance(&p, n);
			drain_held(tcp, flow, dir);
			continue;
		}
		while (*pos && SEQ_LEQ((*pos)->seq, p.seq)) {
			prev = *pos;
			pos = &(*pos)->next;
		}
		if (prev && SEQ_GT(prev->seq + prev->len, p.seq)) {
			n = prev->seq + prev->len - p.seq;
			n = n < p.len ? n : p.len;
			count_retransmission(tcp, flow, dir, n);
			piece_advance(&p, n);
			continue;
		}
		n = p.len;
		if (*pos && SEQ_LT((*pos)->seq, p.seq + p.len))
			n = (*pos)->seq - p.seq;
		if (hold_piece(tcp, flow, dir, pos, p.seq, n, p.data,
			       n < p.caplen ? n : p.caplen)) {
			piece_advance(&p, n);
			continue;
		}
		tcp->stats.ooo_limit_hits++;
		skip_to(tcp, flow, dir, p.seq);
	}
}

/* Whether pkt from side h starts at the stream's edge (so it is no
 * keep-alive probe, which is one byte before it) of a side that holds no
 * segment and has no FIN yet (a segment past one counts as after close),
 * and carries no SYN. Most packets are such: segment_data would deliver
 * all of its payload, which the caller does itself without the call. */
static bool in_order(const struct half *h, const struct fst_packet *pkt)
{
	return h->seq_known && pkt->seq == h->next_seq && !h->held && !h->fin_seen &&
	       !(pkt->flags & FST_TCP_SYN);
}

/* The flow's close is known (a reset, or both FINs after a write into a
 * half-closed connection) but the flow waits for its next packet before
 * its CLOSE: the peer's bytes that crossed the reset, or the reset that
 * answers the write. See closing_input. */
static void begin_closing(struct fst_tcp *tcp, struct flow *flow, bool rst, enum fst_tcp_dir dir);

/* Emits a side's FIN once the stream has reached it, and closes the
 * flow when both sides have. Returns true if the flow was closed (or
 * is closing). */
static bool maybe_fin(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir, bool may_close);

/* The other side acknowledged bytes of dir's stream that the capture
 * never showed: the capture lost them, the network did not. */
static void check_acked_hole(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
			     uint32_t ack)
{
	struct half *h = &flow->half[dir];
	uint32_t limit = ack;

	if (!h->seq_known) {
		/* Nothing of this side captured yet (a one-sided capture, or
		 * one begun mid-stream): an acknowledgement that moves on
		 * shows bytes it sent that the capture never held. */
		if (h->acked_unseen_known && SEQ_GT(ack, h->acked_unseen))
			emit_gap(tcp, flow, dir, ack - h->acked_unseen);
		if (!h->acked_unseen_known || SEQ_GT(ack, h->acked_unseen))
			h->acked_unseen = ack;
		h->acked_unseen_known = true;
		return;
	}
	if (h->fin_seen && SEQ_GT(ack, h->fin_seq))
		limit = h->fin_seq;
	/* The usual ACK covers only what was seen: nothing to skip. */
	if (SEQ_GT(limit, h->next_seq))
		skip_to(tcp, flow, dir, limit);
}

/* Records how far the other side has ACKed dir's stream, and counts the
 * other side's pure ACK that answers dir's keep-alive probe. */
static void note_ack(struct flow *flow, enum fst_tcp_dir dir, const struct fst_packet *pkt)
{
	struct half *h = &flow->half[dir];
	uint32_t ack = pkt->ack;

	if (h->probe_unanswered && ack == h->next_seq && pkt->payload_len == 0 &&
	    !(pkt->flags & (FST_TCP_SYN | FST_TCP_FIN | FST_TCP_RST))) {
		h->probe_unanswered = false;
		if (flow->pub.keepalive_acks[!dir] < UINT16_MAX)
			flow->pub.keepalive_acks[!dir]++;
	}

	if (!h->seq_known)
		return;
	if (!h->ack_known || SEQ_GT(ack, h->acked)) {
		h->ack_known = true;
		h->acked = ack;
	}
}

static void check_window(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
			 const struct fst_packet *pkt)
{
	struct half *h = &flow->half[dir];
	bool zero = pkt->window == 0; /* scaling never makes it zero or not */
	struct fst_tcp_event ev;

	/* The window rarely changes between zero and not: test that first. */
	if (zero == h->zero_window)
		return;
	if (pkt->flags & (FST_TCP_SYN | FST_TCP_RST) || !(pkt->flags & FST_TCP_ACK))
		return;
	ev = (struct fst_tcp_event){
		.kind = zero ? FST_TCP_EV_ZERO_WINDOW : FST_TCP_EV_WINDOW_OPEN,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.dir = dir,
		.window = (uint32_t)pkt->window << (flow->scaling ? h->wscale : 0),
	};
	h->zero_window = zero;
	emit(tcp, &ev);
}

/* Flushes what both halves still hold, emits CLOSE and then either
 * keeps the flow to absorb stragglers (FIN, RST) or frees it. */
static void close_flow(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_close_reason reason)
{
	struct fst_tcp_event ev = {
		.kind = FST_TCP_EV_CLOSE,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.close_reason = reason,
	};

	for (int dir = 0; dir < 2; dir++) {
		struct half *h = &flow->half[dir];

		while (h->held) {
			struct held_segment *first = h->held;

			if (h->fin_seen && SEQ_LEQ(h->fin_seq, first->seq)) {
				drop_first_held(tcp, h); /* past the FIN: not stream */
				continue;
			}
			skip_to(tcp, flow, (enum fst_tcp_dir)dir, first->seq);
			if (h->held == first) /* out of reach of the stream: drop it */
				drop_first_held(tcp, h);
		}
		if (h->fin_seen)
			skip_to(tcp, flow, (enum fst_tcp_dir)dir, h->fin_seq);
		maybe_fin(tcp, flow, (enum fst_tcp_dir)dir, false);
	}
	emit(tcp, &ev);
	tcp->stats.flows_closed[reason]++;
	if (reason == FST_TCP_CLOSE_IDLE || reason == FST_TCP_CLOSE_TABLE_FULL)
		tcp->stats.flows_evicted++;
	if (reason == FST_TCP_CLOSE_FIN || reason == FST_TCP_CLOSE_RST) {
		list_remove(list_of(tcp, flow), flow);
		flow->closing = false;
		flow->closed = true;
		tcp->stats.flows_active--;
		list_append(&tcp->closed, flow);
	} else {
		destroy_flow(tcp, flow);
	}
}

static bool maybe_fin(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir, bool may_close)
{
	struct half *h = &flow->half[dir];
	struct fst_tcp_event ev = {
		.kind = FST_TCP_EV_FIN,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.dir = dir,
		.ttl = h->fin_ttl,
	};

	if (!h->fin_seen || h->fin_emitted || SEQ_GT(h->fin_seq, h->next_seq))
		return false;
	h->fin_emitted = true;
	emit(tcp, &ev);
	if (may_close && flow->half[!dir].fin_emitted) {
		/* This side wrote after the other's FIN: the other side,
		 * closed for good, answers that write with a reset, which
		 * may come after this FIN. */
		if (h->wrote_after_peer_fin)
			begin_closing(tcp, flow, false, dir);
		else
			close_flow(tcp, flow, FST_TCP_CLOSE_FIN);
		return true;
	}
	return false;
}

static void handle_fin(struct flow *flow, enum fst_tcp_dir dir, const struct fst_packet *pkt);
static void emit_rst(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
		     const struct fst_packet *pkt);

static void begin_closing(struct fst_tcp *tcp, struct flow *flow, bool rst, enum fst_tcp_dir dir)
{
	list_remove(&tcp->open, flow);
	flow->closing = true;
	flow->closing_rst = rst;
	flow->reset_dir = dir;
	list_append(&tcp->closing, flow);
}

static enum fst_tcp_close_reason closing_reason(const struct flow *flow)
{
	return flow->closing_rst ? FST_TCP_CLOSE_RST : FST_TCP_CLOSE_FIN;
}

/* Emits the CLOSE of a closing flow, at the time of its last packet. */
static void finish_closing(struct fst_tcp *tcp, struct flow *flow)
{
	int64_t packet_us = tcp->now_us;

	tcp->now_us = flow->pub.last_ts_us;
	close_flow(tcp, flow, closing_reason(flow));
	tcp->now_us = packet_us;
}

/* What a closing flow waits for. After both FINs (a write into a
 * half-closed connection) its next packet, then its CLOSE: the reset
 * that answers the write is delivered first. After a reset, the bytes
 * the other side sent before the reset reached it (vsftpd's "500 OOPS"
 * after a client's reset, often in pieces, each answered by another
 * reset): they are delivered until that side's FIN or reset; further
 * resets from the side that reset add nothing. Returns true when the
 * flow closed. */
static bool closing_input(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
			  const struct fst_packet *pkt)
{
	if (!flow->closing_rst) {
		if (pkt->flags & FST_TCP_RST) {
			flow->closing_rst = true;
			emit_rst(tcp, flow, dir, pkt);
		}
		close_flow(tcp, flow, closing_reason(flow));
		return true;
	}
	if (dir == flow->reset_dir)
		return false;
	if (pkt->flags & FST_TCP_RST) {
		close_flow(tcp, flow, FST_TCP_CLOSE_RST);
		return true;
	}
	if (pkt->flags & FST_TCP_FIN)
		handle_fin(flow, dir, pkt);
	segment_data(tcp, flow, dir, pkt);
	maybe_fin(tcp, flow, dir, false);
	if (flow->half[dir].fin_emitted) {
		close_flow(tcp, flow, FST_TCP_CLOSE_RST);
		return true;
	}
	return false;
}

/* Evicts flows idle past the limit and forgets closed flows whose
 * linger is over. The lists are in order of last activity. */
static void expire(struct fst_tcp *tcp)
{
	int64_t packet_us = tcp->now_us;

	while (tcp->closed.head &&
	       tcp->clock_us > expiry_after(tcp->closed.head->pub.last_ts_us, tcp->closed.limit_us))
		destroy_flow(tcp, tcp->closed.head);
	while (tcp->closing.head && tcp->clock_us > expiry_after(tcp->closing.head->pub.last_ts_us,
								 tcp->closing.limit_us))
		finish_closing(tcp, tcp->closing.head);
	/* An eviction happens at the clock's time, not the last packet's. */
	tcp->now_us = tcp->clock_us;
	while (tcp->open.head &&
	       tcp->clock_us > expiry_after(tcp->open.head->pub.last_ts_us, tcp->open.limit_us))
		close_flow(tcp, tcp->open.head, FST_TCP_CLOSE_IDLE);
	tcp->now_us = packet_us;
	tcp->closed.due_us = tcp->closed.head ? expiry_after(tcp->closed.head->pub.last_ts_us,
							     tcp->closed.limit_us) :
						INT64_MAX;
	tcp->open.due_us =
		tcp->open.head ? expiry_after(tcp->open.head->pub.last_ts_us, tcp->open.limit_us) :
				 INT64_MAX;
	tcp->closing.due_us = tcp->closing.head ? expiry_after(tcp->closing.head->pub.last_ts_us,
							       tcp->closing.limit_us) :
						  INT64_MAX;
}

/* Most packets expire nothing: two compares decide that. */
static bool expiry_due(const struct fst_tcp *tcp)
{
	return tcp->clock_us > tcp->open.due_us || tcp->clock_us > tcp->closed.due_us ||
	       tcp->clock_us > tcp->closing.due_us;
}

static bool fin_pending(const struct half *h)
{
	return h->fin_seen && !h->fin_emitted;
}

/* Makes room for one more flow when the table is at its cap. */
static void make_room(struct fst_tcp *tcp)
{
	if (tcp->flow_count < tcp->cfg.max_flows)
		return;
	if (tcp->closed.head)
		destroy_flow(tcp, tcp->closed.head);
	else if (tcp->closing.head)
		finish_closing(tcp, tcp->closing.head);
	else if (tcp->open.head)
		close_flow(tcp, tcp->open.head, FST_TCP_CLOSE_TABLE_FULL);
}

static struct flow *create_flow(struct fst_tcp *tcp, const struct fst_packet *pkt, uint32_t hash,
				enum fst_tcp_dir *dir)
{
	bool syn = pkt->flags & FST_TCP_SYN, ack = pkt->flags & FST_TCP_ACK;
	struct flow *flow;
	bool sender_is_client;

	make_room(tcp);
	flow = calloc(1, sizeof(*flow));
	if (!flow)
		return NULL;
	if (syn)
		sender_is_client = !ack;
	else if (pkt->src_port != pkt->dst_port)
		sender_is_client = pkt->src_port > pkt->dst_port;
	else
		sender_is_client = true;
	if (sender_is_client) {
		flow->pub.client_addr = pkt->src;
		flow->pub.client_port = pkt->src_port;
		flow->pub.server_addr = pkt->dst;
		flow->pub.server_port = pkt->dst_port;
	} else {
		flow->pub.client_addr = pkt->dst;
		flow->pub.client_port = pkt->dst_port;
		flow->pub.server_addr = pkt->src;
		flow->pub.server_port = pkt->src_port;
	}
	*dir = sender_is_client ? FST_DIR_CLIENT : FST_DIR_SERVER;
	flow->pub.id = ++tcp->next_id;
	flow->pub.mid_stream = !syn;
	flow->pub.first_ts_us = pkt->ts_us;
	flow->pub.last_ts_us = tcp->now_us;
	flow->hash = hash;
	flow->want_payload = tcp->cfg.payload_by_default;
	flow->hash_next = tcp->buckets[hash & tcp->bucket_mask];
	tcp->buckets[hash & tcp->bucket_mask] = flow;
	list_append(&tcp->open, flow);
	tcp->flow_count++;
	tcp->stats.flows_opened++;
	if (++tcp->stats.flows_active > tcp->stats.flows_peak)
		tcp->stats.flows_peak = tcp->stats.flows_active;
	return flow;
}

static void handle_syn(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
		       const struct fst_packet *pkt)
{
	struct half *h = &flow->half[dir];

	/* A retransmitted SYN or SYN-ACK, or a SYN after this side's bytes
	 * were already followed (a flow picked up mid-stream): it must not
	 * move a stream whose data and held segments are placed already. */
	if (h->open_emitted || h->seq_known) {
		flow->pub.retransmissions[dir]++;
		tcp->stats.retransmissions++;
		return;
	}
	h->open_emitted = true;
	h->seq_known = true;
	h->next_seq = pkt->seq + 1;
	h->offered_wscale = pkt->has_wscale;
	h->wscale = pkt->wscale;
	if (dir == FST_DIR_CLIENT)
		flow->pub.syn_seen = true;
	flow->scaling = flow->half[0].offered_wscale && flow->half[1].offered_wscale;
	emit_simple(tcp, flow, FST_TCP_EV_OPEN, dir, 0);
}

/* Records a FIN; it is emitted (maybe_fin) once the data before it is. */
static void handle_fin(struct flow *flow, enum fst_tcp_dir dir, const struct fst_packet *pkt)
{
	struct half *h = &flow->half[dir];

	if (h->fin_seen)
		return;
	h->fin_seen = true;
	h->fin_ttl = pkt->ttl;
	h->fin_seq = pkt->seq + ((pkt->flags & FST_TCP_SYN) ? 1 : 0) + pkt->payload_len;
}

static void emit_rst(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
		     const struct fst_packet *pkt)
{
	struct fst_tcp_event ev = {
		.kind = FST_TCP_EV_RST,
		.ts_us = tcp->now_us,
		.flow = &flow->pub,
		.dir = dir,
		.ttl = pkt->ttl,
	};

	emit(tcp, &ev);
}

/* A reset ends the flow, but the peer may have sent bytes before it
 * arrived there: the flow waits for one more packet. */
static void handle_rst(struct fst_tcp *tcp, struct flow *flow, enum fst_tcp_dir dir,
		       const struct fst_packet *pkt)
{
	emit_rst(tcp, flow, dir, pkt);
	begin_closing(tcp, flow, true, dir);
}

void fst_tcp_input(struct fst_tcp *tcp, const struct fst_packet *pkt)
{
	uint32_t hash = flow_hash(pkt);
	uint64_t key = segment_key(pkt);
	enum fst_tcp_dir dir = FST_DIR_CLIENT;
	struct flow *flow;

	tcp->stats.packets++;
	if (pkt->ts_us > tcp->now_us)
		tcp->now_us = pkt->ts_us;
	if (tcp->now_us > tcp->clock_us)
		tcp->clock_us = tcp->now_us;
	if (expiry_due(tcp))
		expire(tcp);

	flow = lookup(tcp, pkt, hash, &dir);
	/* A capture duplicate changes nothing, not even the flow's time. */
	if (flow && seen_lately(flow, dir, key, tcp->now_us)) {
		if (flow->pub.duplicates < UINT32_MAX)
			flow->pub.duplicates++;
		tcp->stats.duplicates++;
		return;
	}
	if (flow && flow->closing) {
		bool new_connection = (pkt->flags & (FST_TCP_SYN | FST_TCP_ACK)) == FST_TCP_SYN;

		if (!new_connection) {
			flow->pub.last_ts_us = tcp->now_us;
			flow->last_dir = (uint8_t)dir;
			flow->pub.packets[dir]++;
			if (!closing_input(tcp, flow, dir, pkt)) { /* still waiting */
				list_remove(&tcp->closing, flow);
				list_append(&tcp->closing, flow);
			}
			return;
		}
		finish_closing(tcp, flow);
	}
	if (flow && flow->closed) {
		bool new_connection = (pkt->flags & (FST_TCP_SYN | FST_TCP_ACK)) == FST_TCP_SYN;

		if (!new_connection) {
			flow->last_dir = (uint8_t)dir;
			tcp->stats.after_close++;
			flow->pub.last_ts_us = tcp->now_us;
			list_remove(&tcp->closed, flow);
			list_append(&tcp->closed, flow);
			return;
		}
		destroy_flow(tcp, flow); /* the port pair was reused */
		flow = NULL;
	}
	if (!flow) {
		flow = create_flow(tcp, pkt, hash, &dir);
		if (!flow)
			return;
		if (tcp->cfg.on_flow)
			tcp->cfg.on_flow(tcp->cfg.ctx, &flow->pub, pkt->ts_us);
		flow->roles_settled = true;
		if (flow->roles_swapped)
			dir = dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
		seen_lately(flow, dir, key, tcp->now_us);
	}
	flow->pub.last_ts_us = tcp->now_us;
	flow->last_dir = (uint8_t)dir;
	if (flow->pub.packets[dir]++ == 0)
		flow->pub.first_ttl[dir] = pkt->ttl;
	/* Already last behind another flow (a run of one flow's packets):
	 * the order and the head, so the due time, stay as they are. */
	if (flow != tcp->open.tail || !flow->lru_prev) {
		list_remove(&tcp->open, flow);
		list_append(&tcp->open, flow);
	}

	if (pkt->flags & FST_TCP_RST) {
		handle_rst(tcp, flow, dir, pkt);
		return;
	}
	if (pkt->flags & FST_TCP_SYN)
		handle_syn(tcp, flow, dir, pkt);
	if (pkt->flags & FST_TCP_ACK) {
		note_ack(flow, (enum fst_tcp_dir) !dir, pkt);
		check_acked_hole(tcp, flow, (enum fst_tcp_dir) !dir, pkt->ack);
	}
	check_window(tcp, flow, dir, pkt);
	/* The FIN's place is known before the data: held segments beyond it
	 * must not be drained as stream. */
	if (pkt->flags & FST_TCP_FIN)
		handle_fin(flow, dir, pkt);
	if (!in_order(&flow->half[dir], pkt)) {
		segment_data(tcp, flow, dir, pkt);
	} else if (pkt->payload_len) {
		flow->half[dir].next_seq += pkt->payload_len;
		emit_data(tcp, flow, dir, pkt->payload_len, pkt->payload, pkt->payload_caplen);
	}
	/* The other side's FIN may have become due through an ACKed hole.
	 * (Most packets come before either FIN: test that first, cheaply.) */
	if (!flow->half[0].fin_seen && !flow->half[1].fin_seen)
		return;
	if (fin_pending(&flow->half[!dir]) && maybe_fin(tcp, flow, (enum fst_tcp_dir) !dir, true))
		return;
	if (fin_pending(&flow->half[dir]))
		maybe_fin(tcp, flow, dir, true);
}

void fst_tcp_advance(struct fst_tcp *tcp, int64_t now_us)
{
	/* A live capture hands packets over in blocks: some still waiting in
	 * the kernel's buffer carry timestamps before this tick. The tick
	 * only expires flows; their events keep their own packet times. */
	if (now_us > tcp->clock_us)
		tcp->clock_us = now_us;
	expire(tcp);
}

/* ---- life cycle ------------------------------------------------------ */

struct fst_tcp *fst_tcp_new(const struct fst_tcp_cfg *cfg)
{
	struct fst_tcp *tcp = calloc(1, sizeof(*tcp));
	size_t buckets = 1024;

	if (!tcp)
		return NULL;
	tcp->cfg = *cfg;
	if (!tcp->cfg.max_flows)
		tcp->cfg.max_flows = FST_TCP_DEFAULT_MAX_FLOWS;
	if (!tcp->cfg.max_ooo_bytes_per_flow)
		tcp->cfg.max_ooo_bytes_per_flow = 1 << 20;
	if (!tcp->cfg.max_ooo_bytes_total)
		tcp->cfg.max_ooo_bytes_total = FST_TCP_DEFAULT_MAX_OOO_TOTAL;
	if (!tcp->cfg.max_ooo_segments_per_flow)
		tcp->cfg.max_ooo_segments_per_flow = 4096;
	if (!tcp->cfg.idle_timeout_us)
		tcp->cfg.idle_timeout_us = 3600 * FST_US_PER_SEC;
	if (!tcp->cfg.closed_linger_us)
		tcp->cfg.closed_linger_us = 30 * FST_US_PER_SEC;
	/* About one bucket per flow at the cap, up to 1 M buckets. */
	while (buckets < tcp->cfg.max_flows && buckets < (1u << 20))
		buckets <<= 1;
	tcp->buckets = calloc(buckets, sizeof(*tcp->buckets));
	if (!tcp->buckets) {
		free(tcp);
		return NULL;
	}
	tcp->bucket_mask = buckets - 1;
	tcp->open.limit_us = tcp->cfg.idle_timeout_us;
	tcp->closed.limit_us = tcp->cfg.closed_linger_us;
	tcp->closing.limit_us = FST_TCP_CLOSING_WAIT_US;
	tcp->open.due_us = tcp->closed.due_us = tcp->closing.due_us = INT64_MAX;
	tcp->now_us = INT64_MIN;
	tcp->clock_us = INT64_MIN;
	return tcp;
}

void fst_tcp_finish(struct fst_tcp *tcp)
{
	while (tcp->closing.head)
		finish_closing(tcp, tcp->closing.head);
	while (tcp->open.head)
		close_flow(tcp, tcp->open.head, FST_TCP_CLOSE_END_OF_INPUT);
	while (tcp->closed.head)
		destroy_flow(tcp, tcp->closed.head);
}

void fst_tcp_free(struct fst_tcp *tcp)
{
	if (!tcp)
		return;
	fst_tcp_finish(tcp);
	free(tcp->buckets);
	free(tcp);
}

void fst_tcp_flow_set_payload(struct fst_tcp_flow *pub, bool want_payload)
{
	flow_of(pub)->want_payload = want_payload;
}

bool fst_tcp_flow_swap_roles(struct fst_tcp_flow *pub)
{
	struct flow *flow = flow_of(pub);
	struct fst_addr addr = pub->client_addr;
	uint16_t port = pub->client_port;
	struct half h = flow->half[0];

	if (flow->roles_settled)
		return false;
	flow->roles_swapped = !flow->roles_swapped;
	pub->client_addr = pub->server_addr;
	pub->client_port = pub->server_port;
	pub->server_addr = addr;
	pub->server_port = port;
	flow->half[0] = flow->half[1];
	flow->half[1] = h;
#define SWAP_PAIR(a)                  \
	do {                          \
		uint64_t t_ = (a)[0]; \
		(a)[0] = (a)[1];      \
		(a)[1] = t_;          \
	} while (0)
	SWAP_PAIR(pub->bytes);
	SWAP_PAIR(pub->gap_bytes);
	SWAP_PAIR(pub->packets);
	SWAP_PAIR(pub->retransmissions);
	/* recent[], recent_next and last_dir are still unset: the first
	 * packet is remembered after on_flow. */
	SWAP_PAIR(pub->out_of_order);
	{
		uint8_t ttl = pub->first_ttl[0];
		uint16_t acks = pub->keepalive_acks[0];

		pub->first_ttl[0] = pub->first_ttl[1];
		pub->first_ttl[1] = ttl;
		pub->keepalive_acks[0] = pub->keepalive_acks[1];
		pub->keepalive_acks[1] = acks;
	}
#undef SWAP_PAIR
	return true;
}

int64_t fst_tcp_flow_unacked(const struct fst_tcp_flow *pub, enum fst_tcp_dir dir)
{
	const struct half *h = &((const struct flow *)pub)->half[dir];
	uint32_t end = h->next_seq + (h->fin_emitted ? 1 : 0);

	if (!h->seq_known || !h->ack_known)
		return -1;
	return SEQ_GT(end, h->acked) ? (int64_t)(end - h->acked) : 0;
}

const struct fst_tcp_stats *fst_tcp_stats(const struct fst_tcp *tcp)
{
	return &tcp->stats;
}
