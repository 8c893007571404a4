/* Matching the packets of two capture points: connections across NAT,
 * the clock offset, and the segments the points disagree on.
 *
 * A packet is known at the other point by what NAT leaves alone: its
 * sequence and acknowledgement numbers, flags, length and payload (the
 * addresses and ports are not compared). Packets wait in a bounded
 * window per point, hashed by (seq, ack, flags), for their copy; the
 * first match of two connections binds them (a SYN, usually, whose
 * initial sequence number is random). A packet still unmatched when it
 * leaves the window was not seen at the other point: lost when that
 * point is downstream of it, injected when upstream. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One packet waiting for its copy at the other point. */
struct corr_pending {
	int64_t ts_us, idle_before_us;
	uint32_t seq, ack, len, payload_hash;
	uint32_t next; /* hash chain, CORR_NONE at its end */
	uint32_t conn;
	uint16_t window, mss;
	uint8_t flags, ttl, from;
	bool live; /* still waiting: neither matched nor expired */
	char text[FST_PATH_TEXT_MAX];
};

#define CORR_NONE UINT32_MAX

/* A FIFO of pending packets (in the point's time order) with a hash of
 * (seq, ack, flags) over it. */
struct corr_pending_ring {
	struct corr_pending *items;
	size_t cap, head, count;
	uint32_t *buckets;
	size_t bucket_mask;
};

static const char *const point_names[FST_POINT_COUNT] = {
	[FST_POINT_A] = "A",
	[FST_POINT_B] = "B",
};

static const char *const path_kind_names[FST_PATH_KIND_COUNT] = {
	[FST_PATH_LOST] = "lost",
	[FST_PATH_INJECTED] = "injected",
	[FST_PATH_REWRITTEN] = "rewritten",
};

_Static_assert(sizeof(path_kind_names) / sizeof(path_kind_names[0]) == FST_PATH_KIND_COUNT,
	       "a name for every path kind");

const char *fst_point_name(enum fst_point point)
{
	return point < FST_POINT_COUNT ? point_names[point] : "?";
}

const char *fst_path_kind_name(enum fst_path_kind kind)
{
	return kind < FST_PATH_KIND_COUNT ? path_kind_names[kind] : "?";
}

static uint32_t mix32(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x01000193u;
	h ^= h >> 15;
	return h;
}

static uint32_t loose_hash(uint32_t seq, uint32_t ack, uint8_t flags)
{
	return mix32(mix32(mix32(0x811c9dc5u, seq), ack), flags);
}

/* Payload bytes hashed at each end of a segment: what a rewrite changes
 * (an FTP line is short; an ALG edits a command or reply) is at its
 * start, and a segment is told from another of the same sequence,
 * acknowledgement and length by any of them. Hashing every byte of a
 * bulk transfer would cost more than the rest of the matching. */
#define CORR_HASH_HEAD 128
#define CORR_HASH_TAIL 64

static uint32_t fnv(uint32_t h, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

/* FNV-1a over the captured payload's head and tail, and its length. */
static uint32_t payload_hash(const struct fst_packet *pkt)
{
	uint32_t n = pkt->payload_caplen, h = 0x811c9dc5u ^ pkt->payload_len;

	if (n <= CORR_HASH_HEAD + CORR_HASH_TAIL)
		return fnv(h, pkt->payload, n);
	h = fnv(h, pkt->payload, CORR_HASH_HEAD);
	return fnv(h, pkt->payload + n - CORR_HASH_TAIL, CORR_HASH_TAIL);
}

/* The MSS option of a SYN (RFC 9293 3.2), or 0. Reads the options
 * through the bounded reader: they precede the payload. */
static uint16_t syn_mss(const struct fst_packet *pkt)
{
	struct fst_rd rd;
	uint16_t mss = 0;

	if (!(pkt->flags & FST_TCP_SYN) || pkt->tcp_header_len <= 20 || !pkt->payload)
		return 0;
	rd = fst_rd_make(pkt->payload - (pkt->tcp_header_len - 20), pkt->tcp_header_len - 20u);
	for (;;) {
		uint8_t kind, len;

		if (!fst_rd_u8(&rd, &kind) || kind == 0)
			break;
		if (kind == 1)
			continue;
		if (!fst_rd_u8(&rd, &len) || len < 2)
			break;
		if (kind == 2 && len == 4) {
			fst_rd_be16(&rd, &mss);
			break;
		}
		if (!fst_rd_skip(&rd, len - 2u))
			break;
	}
	return mss;
}

/* The start of the payload as printable text, up to its first line end;
 * a PASS argument is masked, since the report must never show one. */
static void payload_text(const struct fst_packet *pkt, char *out, size_t size)
{
	size_t n = 0;

	for (uint32_t i = 0; i < pkt->payload_caplen && n + 1 < size; i++) {
		uint8_t ch = pkt->payload[i];

		if (ch == '\r' || ch == '\n')
			break;
		out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
	}
	out[n] = '\0';
	if (n >= 4 && strncasecmp(out, "PASS", 4) == 0 && (n == 4 || out[4] == ' '))
		snprintf(out, size, "PASS ****");
}

/* ---- the pending rings ------------------------------------------------- */

static struct corr_pending_ring *ring_new(size_t cap)
{
	struct corr_pending_ring *r = calloc(1, sizeof(*r));
	size_t buckets = 1;

	if (!r)
		return NULL;
	while (buckets < cap * 2)
		buckets <<= 1;
	r->cap = cap;
	r->items = calloc(cap, sizeof(*r->items));
	r->buckets = malloc(buckets * sizeof(*r->buckets));
	if (!r->items || !r->buckets) {
		free(r->items);
		free(r->buckets);
		free(r);
		return NULL;
	}
	memset(r->buckets, 0xff, buckets * sizeof(*r->buckets));
	r->bucket_mask = buckets - 1;
	return r;
}

static void ring_free(struct corr_pending_ring *r)
{
	if (!r)
		return;
	free(r->items);
	free(r->buckets);
	free(r);
}

static uint32_t *bucket_of(struct corr_pending_ring *r, const struct corr_pending *p)
{
	return &r->buckets[loose_hash(p->seq, p->ack, p->flags) & r->bucket_mask];
}

/* Takes slot out of its hash chain; it stays in the FIFO. */
static void ring_unlink(struct corr_pending_ring *r, uint32_t slot)
{
	uint32_t *link = bucket_of(r, &r->items[slot]);

	while (*link != CORR_NONE) {
		if (*link == slot) {
			*link = r->items[slot].next;
			break;
		}
		link = &r->items[*link].next;
	}
	r->items[slot].live = false;
}

/* ---- connections ------------------------------------------------------- */

size_t corr_root(const struct fst_correlate *c, size_t index)
{
	while (c->conns[index].merged_into != SIZE_MAX)
		index = c->conns[index].merged_into;
	return index;
}

static uint32_t tuple_hash(enum fst_point point, const struct fst_addr *a, uint16_t a_port,
			   const struct fst_addr *b, uint16_t b_port)
{
	uint32_t ha = 0x811c9dc5u, hb = 0x811c9dc5u;
	/* Only the family's bytes: the rest of an IPv4 address is not
	 * cleared (fst_addr_equal does not read it either). */
	int n = a->family == 4 ? 4 : 16;

	for (int i = 0; i < n; i++) {
		ha = mix32(ha, a->bytes[i]);
		hb = mix32(hb, b->bytes[i]);
	}
	ha = mix32(ha, a_port);
	hb = mix32(hb, b_port);
	/* Either direction of the connection hashes alike. */
	return mix32(ha ^ hb, (uint32_t)point);
}

static bool conn_is(const struct corr_conn *k, enum fst_point point, const struct fst_addr *a,
		    uint16_t a_port, const struct fst_addr *b, uint16_t b_port)
{
	const struct fst_corr_conn *p = &k->pub;

	if (!p->seen[point])
		return false;
	if (p->client_port[point] == a_port && p->server_port[point] == b_port &&
	    fst_addr_equal(&p->client_addr[point], a) && fst_addr_equal(&p->server_addr[point], b))
		return true;
	return p->client_port[point] == b_port && p->server_port[point] == a_port &&
	       fst_addr_equal(&p->client_addr[point], b) &&
	       fst_addr_equal(&p->server_addr[point], a);
}

/* The slot of (point, endpoints): the one holding it, or the empty one
 * where it belongs. */
static size_t conn_slot(const struct fst_correlate *c, enum fst_point point,
			const struct fst_addr *a, uint16_t a_port, const struct fst_addr *b,
			uint16_t b_port)
{
	size_t mask = c->conn_slot_count - 1;
	size_t slot = tuple_hash(point, a, a_port, b, b_port) & mask;

	while (c->conn_slots[slot] != 0) {
		const struct corr_conn *k = &c->conns[c->conn_slots[slot] - 1];

		/* A merged connection keeps its endpoints at its own point. */
		if (conn_is(k, point, a, a_port, b, b_port))
			break;
		slot = (slot + 1) & mask;
	}
	return slot;
}

/* Who is the client of a new connection: the SYN's sender; else, mid
 * stream, the side with the higher port (a server listens on the lower
 * one: 21, 20 or its passive range below the ephemeral ports). */
static bool src_is_client(const struct fst_packet *pkt)
{
	if (pkt->flags & FST_TCP_SYN)
		return !(pkt->flags & FST_TCP_ACK);
	return pkt->src_port > pkt->dst_port;
}

static void set_roles(struct corr_conn *k, enum fst_point point, const struct fst_packet *pkt,
		      bool client_is_src)
{
	struct fst_corr_conn *p = &k->pub;

	p->client_addr[point] = client_is_src ? pkt->src : pkt->dst;
	p->client_port[point] = client_is_src ? pkt->src_port : pkt->dst_port;
	p->server_addr[point] = client_is_src ? pkt->dst : pkt->src;
	p->server_port[point] = client_is_src ? pkt->dst_port : pkt->src_port;
}

/* The connection of pkt at point, made when new. Returns its index, or
 * SIZE_MAX past the cap. */
static size_t conn_for(struct fst_correlate *c, enum fst_point point, const struct fst_packet *pkt)
{
	size_t slot = conn_slot(c, point, &pkt->src, pkt->src_port, &pkt->dst, pkt->dst_port);
	struct corr_conn *k;

	if (c->conn_slots[slot] != 0) {
		size_t index = c->conn_slots[slot] - 1;

		k = &c->conns[index];
		/* A SYN after a mid-stream guess settles the roles (of the
		 * root too, which speaks for both points once matched). */
		if ((pkt->flags & FST_TCP_SYN) && !k->role_from_syn[point]) {
			struct corr_conn *root = &c->conns[corr_root(c, index)];

			set_roles(k, point, pkt, src_is_client(pkt));
			k->role_from_syn[point] = true;
			set_roles(root, point, pkt, src_is_client(pkt));
			root->role_from_syn[point] = true;
		}
		return index;
	}
	if (c->conn_count == c->cfg.max_conns) {
		c->stats.conns_refused++;
		return SIZE_MAX;
	}
	if (c->conn_count == c->conn_cap) {
		size_t cap = c->conn_cap ? c->conn_cap * 2 : 64;
		void *grown;

		if (cap > c->cfg.max_conns)
			cap = c->cfg.max_conns;
		grown = realloc(c->conns, cap * sizeof(*c->conns));
		if (!grown) {
			c->stats.conns_refused++;
			return SIZE_MAX;
		}
		c->conns = grown;
		c->conn_cap = cap;
	}
	k = &c->conns[c->conn_count];
	memset(k, 0, sizeof(*k));
	k->merged_into = SIZE_MAX;
	k->pub.seen[point] = true;
	set_roles(k, point, pkt, src_is_client(pkt));
	k->role_from_syn[point] = (pkt->flags & FST_TCP_SYN) != 0;
	k->pub.first_us[point] = pkt->ts_us;
	c->conn_slots[slot] = (uint32_t)(c->conn_count + 1);
	return c->conn_count++;
}

static enum fst_side sender_of(const struct corr_conn *k, enum fst_point point,
			       const struct fst_packet *pkt)
{
	const struct fst_corr_conn *p = &k->pub;

	return pkt->src_port == p->client_port[point] &&
			       fst_addr_equal(&pkt->src, &p->client_addr[point]) ?
		       FST_SIDE_CLIENT :
		       FST_SIDE_SERVER;
}

/* ---- segment records --------------------------------------------------- */

/* A new record in k, or NULL when its kind has FST_CORRELATE_SEGMENTS_MAX
 * (unclassified ones count as lost until the end). */
static struct fst_path_segment *segment_add(struct corr_conn *k, enum fst_path_kind kind)
{
	struct fst_path_segment *grown;

	if (k->kept[kind] >= FST_CORRELATE_SEGMENTS_MAX * (kind == FST_PATH_REWRITTEN ? 1 : 2)) {
		k->pub.segments_dropped++;
		return NULL;
	}
	grown = realloc(k->pub.segments, (k->pub.segment_count + 1) * sizeof(*grown));
	if (!grown) {
		k->pub.segments_dropped++;
		return NULL;
	}
	k->pub.segments = grown;
	k->kept[kind]++;
	grown += k->pub.segment_count++;
	memset(grown, 0, sizeof(*grown));
	grown->kind = kind;
	return grown;
}

static uint32_t relative_seq(const struct corr_conn *k, enum fst_point point, enum fst_side from,
			     uint32_t seq)
{
	return k->has_isn[point][from] ? seq - k->isn[point][from] : seq;
}

/* Records a packet that left the window unmatched. A repeat of a kept
 * one (same sender, point, sequence, length and flags: a
 * retransmission) is counted on it. */
static void record_unmatched(struct fst_correlate *c, enum fst_point point,
			     const struct corr_pending *p)
{
	struct corr_conn *k = &c->conns[corr_root(c, p->conn)];
	uint32_t seq = relative_seq(k, point, (enum fst_side)p->from, p->seq);
	enum fst_point other = corr_other(point);
	/* On A's clock as known now: the offset may have moved since the
	 * packet came. */
	int64_t aligned = fst_correlate_align_us(c, point, p->ts_us);
	struct fst_path_segment *s;

	/* The window was full at the other point around this time: its copy
	 * may have been pushed out unmatched. */
	if (c->overflow_until_us[other] != INT64_MIN &&
	    aligned <= fst_correlate_align_us(c, other, c->overflow_until_us[other]) +
			       CORR_OUTLIER_US) {
		c->stats.window_overflow++;
		return;
	}
	/* Outside the time the other point covers, its absence proves
	 * nothing. A capture's end is not in the file: a point silent for a
	 * whole window after its last packet is taken to have stopped. */
	if (!c->any[other] || aligned < fst_correlate_align_us(c, other, c->first_us[other]) ||
	    (c->finished &&
	     aligned > fst_correlate_align_us(c, other, c->last_us[other]) + c->cfg.window_us)) {
		k->pub.one_point_only++;
		return;
	}
	k->unmatched[point][p->from]++;
	for (size_t i = 0; i < k->pub.segment_count; i++) {
		s = &k->pub.segments[i];
		if (s->kind != FST_PATH_REWRITTEN && s->seen_at == point && s->from == p->from &&
		    s->seq == seq && s->len == p->len && s->flags == p->flags) {
			s->repeats++;
			s->last_repeat_us = p->ts_us;
			return;
		}
	}
	/* LOST stands for "unmatched" until fst_correlate_finish knows. */
	s = segment_add(k, FST_PATH_LOST);
	if (!s)
		return;
	s->from = (enum fst_side)p->from;
	s->seen_at = point;
	s->ts_us = p->ts_us;
	s->seq = seq;
	s->len = p->len;
	s->flags = p->flags;
	s->ttl = p->ttl;
	s->idle_before_us = p->idle_before_us;
	memcpy(s->text, p->text, sizeof(s->text));
}

/* Moves the oldest pending packets of point out of the window: those
 * older than before_us (aligned), or one when force (the ring is full). */
static void expire(struct fst_correlate *c, enum fst_point point, int64_t before_us, bool force)
{
	struct corr_pending_ring *r = c->pending[point];

	while (r->count > 0) {
		struct corr_pending *p = &r->items[r->head];

		if (!force && fst_correlate_align_us(c, point, p->ts_us) >= before_us)
			break;
		if (p->live) {
			ring_unlink(r, (uint32_t)r->head);
			if (force) {
				/* Its copy at the other point, when it comes, finds
				 * nothing: not a path fault either (see
				 * record_unmatched). */
				c->stats.window_overflow++;
				c->overflow_until_us[point] = p->ts_us;
			} else
				record_unmatched(c, point, p);
		}
		r->head = (r->head + 1) % r->cap;
		r->count--;
		if (force)
			break; /* one, to make room; the rest by time */
	}
}

static void push_pending(struct fst_correlate *c, enum fst_point point,
			 const struct corr_pending *p)
{
	struct corr_pending_ring *r = c->pending[point];
	uint32_t slot;
	uint32_t *bucket;

	if (r->count == r->cap)
		expire(c, point, INT64_MIN, true);
	slot = (uint32_t)((r->head + r->count) % r->cap);
	r->items[slot] = *p;
	bucket = bucket_of(r, &r->items[slot]);
	r->items[slot].next = *bucket;
	r->items[slot].live = true;
	*bucket = slot;
	r->count++;
	if (r->count > c->stats.pending_peak[point])
		c->stats.pending_peak[point] = r->count;
}

/* ---- the clock --------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return n ? v[n / 2] : 0;
}

static void add_sample(struct fst_correlate *c, enum fst_side from, int64_t delta_us)
{
	struct corr_samples *s = &c->delta[from];

	s->total++;
	if (s->count < CORR_SAMPLES_MAX)
		s->v[s->count++] = delta_us;
	/* The merge's offset: the median of the first matches of either
	 * direction, off the true offset by at most a one-way delay. */
	if (c->early_count < CORR_EARLY_SAMPLES) {
		int64_t sorted[CORR_EARLY_SAMPLES];

		c->early[c->early_count++] = delta_us;
		memcpy(sorted, c->early, c->early_count * sizeof(*sorted));
		c->merge_offset_us = median(sorted, c->early_count);
	}
}

bool fst_correlate_first_offset(const struct fst_correlate *c, int64_t *offset_us)
{
	*offset_us = c->merge_offset_us;
	return c->early_count > 0;
}

int64_t fst_correlate_align_us(const struct fst_correlate *c, enum fst_point point, int64_t ts_us)
{
	return point == FST_POINT_B ? ts_us - c->merge_offset_us : ts_us;
}

/* ---- matching ---------------------------------------------------------- */

/* Whether the pending packet cand of the other point may be the copy of
 * a packet of connection conn (roots). */
static bool conns_compatible(const struct fst_correlate *c, size_t conn, size_t cand_conn,
			     enum fst_point point)
{
	if (conn == cand_conn)
		return true;
	/* Two connections seen each at one point only may be bound. */
	return !c->conns[conn].pub.seen[corr_other(point)] && !c->conns[cand_conn].pub.seen[point];
}

/* Binds from (seen at one point) into into (seen at the other). */
static void conn_merge(struct fst_correlate *c, size_t into, size_t from, enum fst_point from_point,
		       bool by_syn)
{
	struct corr_conn *dst = &c->conns[into], *src = &c->conns[from];
	enum fst_point q = from_point;

	dst->pub.seen[q] = true;
	dst->pub.client_addr[q] = src->pub.client_addr[q];
	dst->pub.server_addr[q] = src->pub.server_addr[q];
	dst->pub.client_port[q] = src->pub.client_port[q];
	dst->pub.server_port[q] = src->pub.server_port[q];
	dst->pub.packets[q] = src->pub.packets[q];
	dst->pub.first_us[q] = src->pub.first_us[q];
	dst->pub.last_us[q] = src->pub.last_us[q];
	dst->pub.one_point_only += src->pub.one_point_only;
	dst->role_from_syn[q] = src->role_from_syn[q];
	for (int side = 0; side < FST_SIDE_COUNT; side++) {
		dst->isn[q][side] = src->isn[q][side];
		dst->has_isn[q][side] = src->has_isn[q][side];
		dst->unmatched[q][side] = src->unmatched[q][side];
	}
	for (size_t i = 0; i < src->pub.segment_count; i++) {
		struct fst_path_segment *s = segment_add(dst, src->pub.segments[i].kind);

		if (s)
			*s = src->pub.segments[i];
	}
	dst->pub.segments_dropped += src->pub.segments_dropped;
	free(src->pub.segments);
	src->pub.segments = NULL;
	src->pub.segment_count = 0;
	dst->pub.matched_by_syn = by_syn;
	src->merged_into = into;
}

/* Wrap-safe a >= b for sequence numbers. */
static bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* p's sequence and acknowledgement numbers as the other point numbers
 * them: equal, unless a rewrite changed a segment's length (an ALG
 * writing a longer address), after which the NAT shifts the sender's
 * sequence numbers, and the peer's ACKs of them, by the difference. */
static void to_other_numbers(const struct fst_correlate *c, size_t conn, enum fst_point point,
			     struct corr_pending *p)
{
	const struct corr_conn *k = &c->conns[conn];
	int sign = point == FST_POINT_A ? 1 : -1;
	uint8_t peer = p->from == FST_SIDE_CLIENT ? FST_SIDE_SERVER : FST_SIDE_CLIENT;

	if (k->has_shift[p->from]) {
		uint32_t at = k->shift_at[p->from] + (point == FST_POINT_B ? k->shift[p->from] : 0);

		if (seq_geq(p->seq, at))
			p->seq += (uint32_t)(sign * k->shift[p->from]);
	}
	if (k->has_shift[peer] && (p->flags & FST_TCP_ACK)) {
		uint32_t at = k->shift_at[peer] + (point == FST_POINT_B ? k->shift[peer] : 0);

		if (seq_geq(p->ack, at))
			p->ack += (uint32_t)(sign * k->shift[peer]);
	}
}

/* The best copy of p (a packet of point) waiting at the other point: the
 * same payload nearest in time, else (exact false) a packet of the same
 * connection with the same sequence, acknowledgement and flags whose
 * payload changed. CORR_NONE when none. */
static uint32_t find_copy(struct fst_correlate *c, enum fst_point point,
			  const struct corr_pending *p, size_t conn, bool *exact)
{
	struct corr_pending_ring *r = c->pending[corr_other(point)];
	uint32_t best = CORR_NONE, changed = CORR_NONE;
	int64_t best_dist = INT64_MAX;
	struct corr_pending key = *p;

	to_other_numbers(c, conn, point, &key);
	for (uint32_t i = *bucket_of(r, &key); i != CORR_NONE; i = r->items[i].next) {
		const struct corr_pending *q = &r->items[i];
		size_t qconn;
		int64_t dist;

		if (q->seq != key.seq || q->ack != key.ack || q->flags != key.flags)
			continue;
		dist = llabs(fst_correlate_align_us(c, corr_other(point), q->ts_us) -
			     fst_correlate_align_us(c, point, p->ts_us));
		if (dist > c->cfg.window_us)
			continue;
		qconn = corr_root(c, q->conn);
		if (!conns_compatible(c, conn, qconn, point) || q->from != p->from)
			continue;
		if (q->len == p->len && q->payload_hash == p->payload_hash) {
			if (dist < best_dist) {
				best = i;
				best_dist = dist;
			}
		} else if (qconn == conn && (q->len > 0 || p->len > 0) && changed == CORR_NONE) {
			changed = i;
		}
	}
	*exact = best != CORR_NONE;
	return best != CORR_NONE ? best : changed;
}

/* A matched pair that differs (payload, window or the SYN's MSS): a
 * rewritten record, A's copy as "before" until the end orients it. */
static void record_rewrite(struct fst_correlate *c, size_t conn, enum fst_point point,
			   const struct corr_pending *p, const struct corr_pending *q, bool payload)
{
	const struct corr_pending *at_a = point == FST_POINT_A ? p : q;
	const struct corr_pending *at_b = point == FST_POINT_A ? q : p;
	struct corr_conn *k = &c->conns[conn];
	unsigned changed = 0;
	struct fst_path_segment *s;

	if (payload)
		changed |= FST_REWRITE_PAYLOAD;
	if (at_a->window != at_b->window && !(p->flags & FST_TCP_RST))
		changed |= FST_REWRITE_WINDOW;
	if (at_a->mss != at_b->mss)
		changed |= FST_REWRITE_MSS;
	if (!changed)
		return;
	if (payload && at_a->len != at_b->len) {
		k->shift[p->from] += (int32_t)(at_b->len - at_a->len);
		k->shift_at[p->from] = at_a->seq + at_a->len;
		k->has_shift[p->from] = true;
	}
	k->pub.counts[FST_PATH_REWRITTEN]++;
	s = segment_add(k, FST_PATH_REWRITTEN);
	if (!s)
		return;
	s->changed = changed;
	s->from = (enum fst_side)p->from;
	s->seen_at = FST_POINT_A;
	s->ts_us = at_a->ts_us;
	s->seq = relative_seq(k, FST_POINT_A, s->from, at_a->seq);
	s->len = at_a->len;
	s->flags = p->flags;
	s->ttl = at_a->ttl;
	s->idle_before_us = at_a->idle_before_us;
	memcpy(s->text, at_a->text, sizeof(s->text));
	memcpy(s->text_after, at_b->text, sizeof(s->text_after));
	s->window_before = at_a->window;
	s->window_after = at_b->window;
	s->mss_before = at_a->mss;
	s->mss_after = at_b->mss;
}

static void matched(struct fst_correlate *c, enum fst_point point, const struct corr_pending *p,
		    size_t conn, uint32_t slot, bool exact)
{
	struct corr_pending_ring *r = c->pending[corr_other(point)];
	struct corr_pending q = r->items[slot];
	size_t qconn = corr_root(c, q.conn);
	const struct corr_pending *at_a = point == FST_POINT_A ? p : &q;
	const struct corr_pending *at_b = point == FST_POINT_A ? &q : p;

	ring_unlink(r, slot);
	if (qconn != conn)
		conn_merge(c, conn, qconn, corr_other(point), (p->flags & FST_TCP_SYN) != 0);
	c->conns[conn].pub.matched++;
	c->conns[conn].pub.passed_ttl[FST_POINT_A][p->from] = at_a->ttl;
	c->conns[conn].pub.passed_ttl[FST_POINT_B][p->from] = at_b->ttl;
	c->stats.matched++;
	add_sample(c, (enum fst_side)p->from, at_b->ts_us - at_a->ts_us);
	/* Each router on the way lowers the TTL: the sender's point sees
	 * the higher one. */
	if (at_a->ttl != at_b->ttl) {
		enum fst_point sender_side = at_a->ttl > at_b->ttl ? FST_POINT_A : FST_POINT_B;

		c->ttl_votes[p->from == FST_SIDE_CLIENT ? sender_side : corr_other(sender_side)]++;
	}
	record_rewrite(c, conn, point, p, &q, !exact);
}

void fst_correlate_input(struct fst_correlate *c, enum fst_point point,
			 const struct fst_packet *pkt)
{
	struct corr_pending p = { 0 };
	struct corr_conn *k;
	size_t conn;
	uint32_t slot;
	bool exact;

	if (c->finished)
		return;
	c->stats.packets[point]++;
	if (!c->any[point])
		c->first_us[point] = pkt->ts_us;
	c->any[point] = true;
	c->last_us[point] = pkt->ts_us;
	conn = conn_for(c, point, pkt);
	if (conn == SIZE_MAX)
		return;
	p.ts_us = pkt->ts_us;
	expire(c, FST_POINT_A, fst_correlate_align_us(c, point, pkt->ts_us) - c->cfg.window_us,
	       false);
	expire(c, FST_POINT_B, fst_correlate_align_us(c, point, pkt->ts_us) - c->cfg.window_us,
	       false);
	p.conn = (uint32_t)conn;
	conn = corr_root(c, conn);
	k = &c->conns[conn];
	p.from = (uint8_t)sender_of(k, point, pkt);
	if (!k->has_isn[point][p.from]) {
		k->has_isn[point][p.from] = true;
		k->isn[point][p.from] = pkt->seq;
	}
	/* -1: the connection's first packet at this point, its idle unknown. */
	p.idle_before_us = k->pub.packets[point] ? pkt->ts_us - k->pub.last_us[point] : -1;
	k->pub.packets[point]++;
	k->pub.last_us[point] = pkt->ts_us;
	p.seq = pkt->seq;
	p.ack = (pkt->flags & FST_TCP_ACK) ? pkt->ack : 0;
	p.flags = pkt->flags;
	p.len = pkt->payload_len;
	p.payload_hash = payload_hash(pkt);
	p.window = pkt->window;
	p.mss = syn_mss(pkt);
	p.ttl = pkt->ttl;
	payload_text(pkt, p.text, sizeof(p.text));
	slot = find_copy(c, point, &p, conn, &exact);
	if (slot != CORR_NONE)
		matched(c, point, &p, conn, slot, exact);
	else
		push_pending(c, point, &p);
}

/* ---- the end ----------------------------------------------------------- */

enum fst_point corr_upstream(const struct fst_correlate *c, enum fst_side from)
{
	enum fst_point near = c->clock.nearer_client;

	return from == FST_SIDE_CLIENT ? near : corr_other(near);
}

/* Median, and min or max, of the samples within CORR_OUTLIER_US of the
 * median. */
static int64_t inlier_edge(struct corr_samples *s, bool lowest, int64_t *mid)
{
	int64_t edge;

	*mid = median(s->v, s->count);
	edge = *mid;
	for (size_t i = 0; i < s->count; i++) {
		if (llabs(s->v[i] - *mid) > CORR_OUTLIER_US)
			continue;
		if (lowest ? s->v[i] < edge : s->v[i] > edge)
			edge = s->v[i];
	}
	return edge;
}

/* The nearer point, the offset and the one-way delays.
 *
 * With A nearer the client, a client packet's B-minus-A time is the
 * offset plus the delay toward the server, and a server packet's the
 * offset minus the delay toward the client: the offset lies between the
 * fastest of each, halfway if the path's base delay is the same both
 * ways (the one assumption two free-running clocks cannot avoid). The
 * delays each way are then the medians' distance from it. */
static void settle_clock(struct fst_correlate *c)
{
	struct fst_correlate_clock *k = &c->clock;
	struct corr_samples *cs = &c->delta[FST_SIDE_CLIENT], *sc = &c->delta[FST_SIDE_SERVER];
	int64_t mid_cs = 0, mid_sc = 0, edge_cs, edge_sc, offset;
	bool a_near;

	k->samples = cs->total + sc->total;
	if (cs->count == 0 && sc->count == 0)
		return;
	if (c->ttl_votes[FST_POINT_A] != c->ttl_votes[FST_POINT_B]) {
		a_near = c->ttl_votes[FST_POINT_A] > c->ttl_votes[FST_POINT_B];
		k->nearer_by_ttl = true;
	} else {
		int64_t m1 = cs->count ? median(cs->v, cs->count) : 0;
		int64_t m2 = sc->count ? median(sc->v, sc->count) : 0;

		a_near = m1 >= m2;
	}
	k->nearer_client = a_near ? FST_POINT_A : FST_POINT_B;
	k->known = true;
	if (cs->count == 0 || sc->count == 0) {
		/* One direction only: its median, the delay unknown. */
		struct corr_samples *one = cs->count ? cs : sc;

		k->offset_s = fst_seconds(median(one->v, one->count));
		return;
	}
	/* A nearer: client packets arrive later at B (the lowest is the
	 * base); server packets earlier (the highest). B nearer: mirrored. */
	edge_cs = inlier_edge(cs, a_near, &mid_cs);
	edge_sc = inlier_edge(sc, !a_near, &mid_sc);
	offset = (edge_cs + edge_sc) / 2;
	k->offset_s = fst_seconds(offset);
	if (a_near) {
		k->delay_to_server_s = fst_seconds(mid_cs - offset);
		k->delay_to_client_s = fst_seconds(offset - mid_sc);
	} else {
		k->delay_to_server_s = fst_seconds(offset - mid_cs);
		k->delay_to_client_s = fst_seconds(mid_sc - offset);
	}
	if (k->delay_to_server_s < 0)
		k->delay_to_server_s = 0;
	if (k->delay_to_client_s < 0)
		k->delay_to_client_s = 0;
}

static int64_t segment_time_on_a(const struct fst_correlate *c, const struct fst_path_segment *s)
{
	return fst_correlate_align_us(c, s->seen_at, s->ts_us);
}

/* In time order across both points (on A's clock): a few records, an
 * insertion sort. */
static void sort_segments(const struct fst_correlate *c, struct fst_corr_conn *p)
{
	for (size_t i = 1; i < p->segment_count; i++) {
		struct fst_path_segment s = p->segments[i];
		size_t j = i;

		while (j > 0 &&
		       segment_time_on_a(c, &p->segments[j - 1]) > segment_time_on_a(c, &s)) {
			p->segments[j] = p->segments[j - 1];
			j--;
		}
		p->segments[j] = s;
	}
}

/* Lost or injected, now that the nearer point is known; a connection
 * seen at one point only has neither. */
static void classify(struct fst_correlate *c, struct corr_conn *k)
{
	struct fst_corr_conn *p = &k->pub;
	size_t kept = 0;

	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		for (int side = FST_SIDE_CLIENT; side < FST_SIDE_COUNT; side++) {
			uint64_t n = k->unmatched[pt][side];

			if (!p->seen[FST_POINT_A] || !p->seen[FST_POINT_B] || !c->clock.known)
				p->one_point_only += n;
			else if (corr_upstream(c, (enum fst_side)side) == (enum fst_point)pt)
				p->counts[FST_PATH_LOST] += n;
			else
				p->counts[FST_PATH_INJECTED] += n;
		}
	for (size_t i = 0; i < p->segment_count; i++) {
		struct fst_path_segment *s = &p->segments[i];
		enum fst_point up;

		if (s->kind != FST_PATH_REWRITTEN &&
		    (!p->seen[FST_POINT_A] || !p->seen[FST_POINT_B] || !c->clock.known))
			continue;
		up = c->clock.known ? corr_upstream(c, s->from) : FST_POINT_A;
		if (s->kind == FST_PATH_REWRITTEN) {
			if (up == FST_POINT_B) {
				char text[FST_PATH_TEXT_MAX];
				uint16_t w = s->window_before, m = s->mss_before;

				memcpy(text, s->text, sizeof(text));
				memcpy(s->text, s->text_after, sizeof(text));
				memcpy(s->text_after, text, sizeof(text));
				s->window_before = s->window_after;
				s->window_after = w;
				s->mss_before = s->mss_after;
				s->mss_after = m;
				s->seen_at = FST_POINT_B;
				s->ts_us += c->merge_offset_us;
			}
		} else {
			s->kind = s->seen_at == up ? FST_PATH_LOST : FST_PATH_INJECTED;
		}
		p->segments[kept++] = *s;
	}
	p->segment_count = kept;
	sort_segments(c, p);
}

/* Whether a (seen at A only) and b (at B only) are one connection by
 * what a NAT that kept the ports left: the server's endpoint, the
 * client's port, and time (no more than a window apart: an idle
 * connection's last packet at one point may be long before its first at
 * the other). */
static bool same_endpoints(const struct fst_correlate *c, const struct fst_corr_conn *a,
			   const struct fst_corr_conn *b)
{
	int64_t b_from = fst_correlate_align_us(c, FST_POINT_B, b->first_us[FST_POINT_B]);
	int64_t b_to = fst_correlate_align_us(c, FST_POINT_B, b->last_us[FST_POINT_B]);

	return a->server_port[FST_POINT_A] == b->server_port[FST_POINT_B] &&
	       a->client_port[FST_POINT_A] == b->client_port[FST_POINT_B] &&
	       fst_addr_equal(&a->server_addr[FST_POINT_A], &b->server_addr[FST_POINT_B]) &&
	       a->first_us[FST_POINT_A] <= b_to + c->cfg.window_us &&
	       b_from <= a->last_us[FST_POINT_A] + c->cfg.window_us;
}

/* Connections that no packet bound (the captures overlap only where
 * one side's packets never crossed: a 226 dropped after the other
 * capture began mid-connection) are bound by their endpoints when
 * exactly one candidate fits. The pairs looked at are capped: a capture
 * full of unmatched connections is left as it is. */
#define CORR_ENDPOINT_PAIRS_MAX (1u << 22)

static void bind_by_endpoints(struct fst_correlate *c)
{
	uint64_t pairs = 0;

	for (size_t b = 0; b < c->conn_count; b++) {
		const struct fst_corr_conn *kb = &c->conns[b].pub;
		size_t match = SIZE_MAX;
		bool ambiguous = false;

		if (c->conns[b].merged_into != SIZE_MAX || kb->seen[FST_POINT_A])
			continue;
		for (size_t a = 0; a < c->conn_count && !ambiguous; a++) {
			const struct fst_corr_conn *ka = &c->conns[a].pub;

			if (++pairs > CORR_ENDPOINT_PAIRS_MAX)
				return;
			if (c->conns[a].merged_into != SIZE_MAX || ka->seen[FST_POINT_B] ||
			    !same_endpoints(c, ka, kb))
				continue;
			ambiguous = match != SIZE_MAX;
			match = a;
		}
		if (match == SIZE_MAX || ambiguous)
			continue;
		conn_merge(c, match, b, FST_POINT_B, false);
		c->conns[match].pub.matched_by_endpoints = true;
	}
}

void fst_correlate_finish(struct fst_correlate *c)
{
	if (c->finished)
		return;
	c->finished = true;
	expire(c, FST_POINT_A, INT64_MAX, false);
	expire(c, FST_POINT_B, INT64_MAX, false);
	settle_clock(c);
	/* The merge's offset served the matching; the report's is the
	 * settled one. */
	if (c->clock.known)
		c->merge_offset_us = (int64_t)(c->clock.offset_s * (double)FST_US_PER_SEC);
	c->clock.overlap_from_us = c->first_us[FST_POINT_A];
	c->clock.overlap_to_us = c->last_us[FST_POINT_A];
	if (c->any[FST_POINT_B]) {
		int64_t b_from = fst_correlate_align_us(c, FST_POINT_B, c->first_us[FST_POINT_B]);
		int64_t b_to = fst_correlate_align_us(c, FST_POINT_B, c->last_us[FST_POINT_B]);

		if (b_from > c->clock.overlap_from_us)
			c->clock.overlap_from_us = b_from;
		if (b_to < c->clock.overlap_to_us)
			c->clock.overlap_to_us = b_to;
	}
	bind_by_endpoints(c);
	c->roots = malloc((c->conn_count ? c->conn_count : 1) * sizeof(*c->roots));
	for (size_t i = 0; i < c->conn_count; i++) {
		if (c->conns[i].merged_into != SIZE_MAX)
			continue;
		classify(c, &c->conns[i]);
		if (c->roots)
			c->roots[c->root_count++] = i;
	}
}

/* ---- life and lookups -------------------------------------------------- */

struct fst_correlate *fst_correlate_new(const struct fst_correlate_cfg *cfg)
{
	struct fst_correlate *c = calloc(1, sizeof(*c));
	size_t slots = 1;

	if (!c)
		return NULL;
	if (cfg)
		c->cfg = *cfg;
	if (c->cfg.window_us <= 0)
		c->cfg.window_us = FST_CORRELATE_DEFAULT_WINDOW_US;
	c->merge_offset_us = c->cfg.initial_offset_us;
	c->overflow_until_us[FST_POINT_A] = INT64_MIN;
	c->overflow_until_us[FST_POINT_B] = INT64_MIN;
	if (c->cfg.max_pending == 0)
		c->cfg.max_pending = FST_CORRELATE_DEFAULT_MAX_PENDING;
	if (c->cfg.max_conns == 0)
		c->cfg.max_conns = FST_CORRELATE_DEFAULT_MAX_CONNS;
	while (slots < c->cfg.max_conns * 2)
		slots <<= 1;
	c->conn_slot_count = slots;
	c->conn_slots = calloc(slots, sizeof(*c->conn_slots));
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		c->pending[pt] = ring_new(c->cfg.max_pending);
	for (int side = 0; side < FST_SIDE_COUNT; side++)
		c->delta[side].v = malloc(CORR_SAMPLES_MAX * sizeof(int64_t));
	if (!c->conn_slots || !c->pending[FST_POINT_A] || !c->pending[FST_POINT_B] ||
	    !c->delta[FST_SIDE_CLIENT].v || !c->delta[FST_SIDE_SERVER].v || !c->delta[0].v) {
		fst_correlate_free(c);
		return NULL;
	}
	return c;
}

void fst_correlate_free(struct fst_correlate *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->conn_count; i++)
		free(c->conns[i].pub.segments);
	free(c->conns);
	free(c->conn_slots);
	for (int pt = 0; pt < FST_POINT_COUNT; pt++)
		ring_free(c->pending[pt]);
	for (int side = 0; side < FST_SIDE_COUNT; side++)
		free(c->delta[side].v);
	free(c->roots);
	corr_sessions_free(&c->sessions);
	free(c);
}

const struct fst_correlate_clock *fst_correlate_clock(const struct fst_correlate *c)
{
	return &c->clock;
}

const struct fst_correlate_stats *fst_correlate_stats(const struct fst_correlate *c)
{
	return &c->stats;
}

size_t fst_correlate_conn_count(const struct fst_correlate *c)
{
	return c->root_count;
}

const struct fst_corr_conn *fst_correlate_conn_at(const struct fst_correlate *c, size_t index)
{
	return index < c->root_count ? &c->conns[c->roots[index]].pub : NULL;
}

const struct fst_corr_conn *fst_correlate_find(const struct fst_correlate *c, enum fst_point point,
					       const struct fst_addr *a, uint16_t a_port,
					       const struct fst_addr *b, uint16_t b_port)
{
	size_t slot = conn_slot(c, point, a, a_port, b, b_port);

	if (c->conn_slots[slot] == 0)
		return NULL;
	return &c->conns[corr_root(c, c->conn_slots[slot] - 1)].pub;
}

uint64_t fst_correlate_shared(const struct fst_correlate *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->root_count; i++) {
		const struct fst_corr_conn *k = &c->conns[c->roots[i]].pub;

		n += k->seen[FST_POINT_A] && k->seen[FST_POINT_B];
	}
	return n;
}
