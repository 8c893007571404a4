/* Masks PASS arguments in control-connection segments that are written
 * back out (see fst_ftp_masker_mask in ftp.h). */
#include "ftpstall/ftp.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)

/* "PASS " decides a line; the rest of a line is not looked at. */
#define HEAD_LEN 5
/* PASS arguments remembered per flow, to mask segments sent again. A
 * session logs in a few times at most; the oldest is forgotten first. */
#define RANGES 4

struct seq_range {
	uint32_t start, end; /* [start, end) in sequence space */
};

struct mask_flow {
	struct fst_addr src, dst;
	uint16_t sport, dport;
	uint32_t next_seq; /* the first byte not yet scanned */
	uint8_t line_pos;  /* bytes of the current line seen, up to HEAD_LEN + 1 */
	char head[HEAD_LEN];
	bool in_pass; /* inside a PASS argument since pass_start */
	uint32_t pass_start;
	struct seq_range ranges[RANGES];
	size_t range_count, range_next;
};

struct fst_ftp_masker {
	struct mask_flow *flows;
	size_t count, cap;
	size_t last; /* segments of one flow come in runs */
	uint64_t refused;
};

struct fst_ftp_masker *fst_ftp_masker_new(void)
{
	return calloc(1, sizeof(struct fst_ftp_masker));
}

void fst_ftp_masker_free(struct fst_ftp_masker *m)
{
	if (!m)
		return;
	free(m->flows);
	free(m);
}

uint64_t fst_ftp_masker_flows_refused(const struct fst_ftp_masker *m)
{
	return m->refused;
}

static bool flow_matches(const struct mask_flow *f, const struct fst_packet *pkt)
{
	return f->sport == pkt->src_port && f->dport == pkt->dst_port &&
	       fst_addr_equal(&f->src, &pkt->src) && fst_addr_equal(&f->dst, &pkt->dst);
}

/* Finds or adds the flow of pkt; NULL when the table is full. */
static struct mask_flow *find_flow(struct fst_ftp_masker *m, const struct fst_packet *pkt,
				   uint32_t data_seq)
{
	struct mask_flow *f;

	if (m->last < m->count && flow_matches(&m->flows[m->last], pkt))
		return &m->flows[m->last];
	for (size_t i = 0; i < m->count; i++)
		if (flow_matches(&m->flows[i], pkt)) {
			m->last = i;
			return &m->flows[i];
		}
	if (m->count == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct mask_flow *grown;

		if (cap > FST_FTP_MASKER_MAX_FLOWS)
			cap = FST_FTP_MASKER_MAX_FLOWS;
		if (m->count == cap)
			return NULL;
		grown = realloc(m->flows, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		m->flows = grown;
		m->cap = cap;
	}
	f = &m->flows[m->count];
	memset(f, 0, sizeof(*f));
	f->src = pkt->src;
	f->dst = pkt->dst;
	f->sport = pkt->src_port;
	f->dport = pkt->dst_port;
	/* A capture that starts mid-stream most likely starts at a line. */
	f->next_seq = data_seq;
	m->last = m->count++;
	return f;
}

static void add_range(struct mask_flow *f, uint32_t start, uint32_t end)
{
	if (start == end)
		return;
	f->ranges[f->range_next] = (struct seq_range){ start, end };
	f->range_next = (f->range_next + 1) % RANGES;
	if (f->range_count < RANGES)
		f->range_count++;
}

static bool line_is_pass(const struct mask_flow *f)
{
	return f->head[4] == ' ' && fst_ftp_verb_lookup(f->head, 4) == FST_VERB_PASS;
}

/* Follows the stream over the new bytes payload[from..len), masking the
 * PASS arguments among them. Returns the number masked. */
static size_t scan(struct mask_flow *f, uint32_t data_seq, uint8_t *payload, size_t from,
		   size_t len)
{
	size_t masked = 0;

	for (size_t i = from; i < len; i++) {
		uint8_t c = payload[i];

		if (f->in_pass) {
			if (c != '\r' && c != '\n') {
				payload[i] = '*';
				masked++;
				continue;
			}
			f->in_pass = false;
			add_range(f, f->pass_start, data_seq + (uint32_t)i);
			f->line_pos = HEAD_LEN + 1;
		}
		if (c == '\n') {
			f->line_pos = 0;
			continue;
		}
		if (f->line_pos >= HEAD_LEN)
			continue;
		f->head[f->line_pos++] = (char)c;
		if (f->line_pos == HEAD_LEN && line_is_pass(f)) {
			f->in_pass = true;
			f->pass_start = data_seq + (uint32_t)i + 1;
		}
	}
	return masked;
}

/* Masks the bytes of a segment that lie in a PASS argument seen before. */
static size_t mask_known(const struct mask_flow *f, uint32_t data_seq, uint8_t *payload, size_t len)
{
	size_t masked = 0;

	for (size_t i = 0; i < len; i++) {
		uint32_t s = data_seq + (uint32_t)i;
		bool inside = f->in_pass && SEQ_LEQ(f->pass_start, s) && SEQ_LT(s, f->next_seq);

		for (size_t r = 0; !inside && r < f->range_count; r++)
			inside = SEQ_LEQ(f->ranges[r].start, s) && SEQ_LT(s, f->ranges[r].end);
		if (inside && payload[i] != '*' && payload[i] != '\r' && payload[i] != '\n') {
			payload[i] = '*';
			masked++;
		}
	}
	return masked;
}

size_t fst_ftp_masker_mask(struct fst_ftp_masker *m, const struct fst_packet *pkt, uint8_t *payload)
{
	uint32_t data_seq = pkt->seq + ((pkt->flags & FST_TCP_SYN) ? 1u : 0u);
	size_t len = pkt->payload_caplen;
	struct mask_flow *f;
	struct mask_flow alone;
	size_t masked;
	size_t from = 0;

	if (len == 0 && !(pkt->flags & FST_TCP_SYN))
		return 0;
	f = find_flow(m, pkt, data_seq);
	if (!f) {
		m->refused++;
		memset(&alone, 0, sizeof(alone));
		f = &alone;
		f->next_seq = data_seq;
	}
	if (pkt->flags & FST_TCP_SYN) {
		/* A new connection on the same ports: its sequence numbers
		 * have nothing to do with the old one's. */
		f->next_seq = data_seq;
		f->line_pos = 0;
		f->in_pass = false;
		f->range_count = f->range_next = 0;
	}
	masked = mask_known(f, data_seq, payload, len);
	if (SEQ_LT(f->next_seq, data_seq)) {
		/* Bytes the capture lost: a PASS argument in progress stays
		 * in progress (masking too much is the safe side), else the
		 * segment most likely starts a line. */
		if (!f->in_pass)
			f->line_pos = 0;
		f->next_seq = data_seq;
	}
	if (SEQ_LT(data_seq, f->next_seq)) {
		uint32_t seen = f->next_seq - data_seq;

		if (seen >= pkt->payload_len)
			return masked; /* all sent before */
		if (seen >= len)
			from = len; /* the new bytes were not captured */
		else
			from = seen;
	}
	masked += scan(f, data_seq, payload, from, len);
	if (len < pkt->payload_len && !f->in_pass)
		f->line_pos = 0; /* the rest of the segment was not captured */
	f->next_seq = data_seq + pkt->payload_len;
	return masked;
}
