/* Test support: frame builder and classic pcap writer. See pktbuild.h.
 * Formats: IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293 (options RFC 7323,
 * RFC 2018), 802.1Q / 802.1ad tags, Linux cooked v1/v2, BSD loopback,
 * pcap file format (draft-ietf-opsawg-pcap). */
#include "pktbuild.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t addr_len(const struct fst_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

struct fst_addr pb_addr(const char *text)
{
	struct fst_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.bytes) == 1) {
		a.family = 4;
		return a;
	}
	if (inet_pton(AF_INET6, text, a.bytes) == 1) {
		a.family = 6;
		return a;
	}
	fprintf(stderr, "pb_addr: bad address '%s'\n", text);
	abort();
}

void pb_seg_init(struct pb_seg *seg, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport)
{
	memset(seg, 0, sizeof(*seg));
	seg->src = pb_addr(src);
	seg->dst = pb_addr(dst);
	seg->sport = sport;
	seg->dport = dport;
	seg->window = 65535;
	seg->ttl = 64;
}

uint16_t pb_inet_checksum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sum of the pseudo header (RFC 9293 3.1, RFC 8200 8.1), not folded. */
static uint32_t pseudo_sum(const struct pb_seg *seg, uint8_t proto, size_t l4_len)
{
	uint32_t sum = 0;
	size_t i, n = addr_len(&seg->src);

	for (i = 0; i < n; i += 2) {
		sum += (uint32_t)(seg->src.bytes[i] << 8 | seg->src.bytes[i + 1]);
		sum += (uint32_t)(seg->dst.bytes[i] << 8 | seg->dst.bytes[i + 1]);
	}
	sum += proto;
	sum += (uint32_t)(l4_len >> 16);
	sum += (uint32_t)(l4_len & 0xffff);
	return sum;
}

/* TCP options in a fixed order; returns their padded length or -1. */
static int tcp_options(const struct pb_seg *seg, uint8_t *o, size_t cap)
{
	uint8_t tmp[64 + 256];
	size_t n = 0;

	if (seg->mss) {
		tmp[n++] = 2;
		tmp[n++] = 4;
		put_be16(tmp + n, seg->mss);
		n += 2;
	}
	if (seg->has_wscale) {
		tmp[n++] = 1; /* NOP keeps later options aligned */
		tmp[n++] = 3;
		tmp[n++] = 3;
		tmp[n++] = seg->wscale;
	}
	if (seg->sack_permitted) {
		tmp[n++] = 1;
		tmp[n++] = 1;
		tmp[n++] = 4;
		tmp[n++] = 2;
	}
	if (seg->timestamps) {
		tmp[n++] = 1;
		tmp[n++] = 1;
		tmp[n++] = 8;
		tmp[n++] = 10;
		put_be32(tmp + n, seg->tsval);
		put_be32(tmp + n + 4, seg->tsecr);
		n += 8;
	}
	if (seg->raw_opts_len > 256)
		return -1;
	if (seg->raw_opts_len) {
		memcpy(tmp + n, seg->raw_opts, seg->raw_opts_len);
		n += seg->raw_opts_len;
	}
	while (n % 4)
		tmp[n++] = 0; /* EOL */
	if (n > cap)
		return -1;
	memcpy(o, tmp, n);
	return (int)n;
}

/* Writes the transport header + payload at p. Returns the TCP header
 * length (or, for UDP, header + payload), -1 if it would not fit. */
static int build_l4(const struct pb_seg *seg, uint8_t *p, size_t cap)
{
	uint8_t proto = seg->proto ? seg->proto : 6;
	size_t hlen, total;
	int olen;

	if (proto == 17) {
		total = 8 + seg->payload_len;
		if (total > cap || total > 0xffff)
			return -1;
		put_be16(p, seg->sport);
		put_be16(p + 2, seg->dport);
		put_be16(p + 4, (uint16_t)total);
		put_be16(p + 6, 0);
		if (seg->payload_len)
			memcpy(p + 8, seg->payload, seg->payload_len);
		put_be16(p + 6, pb_inet_checksum(p, total, pseudo_sum(seg, 17, total)));
		return (int)total;
	}
	if (cap < 20)
		return -1;
	olen = tcp_options(seg, p + 20, cap - 20 < 40 ? cap - 20 : 40);
	if (olen < 0)
		return -1;
	hlen = 20 + (size_t)olen;
	total = hlen + seg->payload_len;
	if (total > cap)
		return -1;
	put_be16(p, seg->sport);
	put_be16(p + 2, seg->dport);
	put_be32(p + 4, seg->seq);
	put_be32(p + 8, seg->ack);
	p[12] = (uint8_t)((hlen / 4) << 4);
	p[13] = seg->flags;
	put_be16(p + 14, seg->window);
	put_be16(p + 16, 0);
	put_be16(p + 18, 0);
	if (seg->payload_len)
		memcpy(p + hlen, seg->payload, seg->payload_len);
	put_be16(p + 16, pb_inet_checksum(p, total, pseudo_sum(seg, proto, total)));
	return (int)hlen;
}

static size_t l4_total(const struct pb_seg *seg, int hlen)
{
	return (size_t)hlen + ((seg->proto == 17) ? 0 : seg->payload_len);
}

static int build_ipv4(struct pb_frame *f, const struct pb_seg *seg)
{
	uint8_t *p = f->b;
	size_t ihl = 20 + 4 * (size_t)seg->ipv4_opt_words;
	size_t l4len, i;
	int hlen;

	if (ihl > 60)
		return -1;
	hlen = build_l4(seg, p + ihl, PB_FRAME_MAX - ihl);
	if (hlen < 0)
		return -1;
	l4len = l4_total(seg, hlen);
	if (ihl + l4len > 0xffff)
		return -1;
	p[0] = (uint8_t)(0x40 | (ihl / 4));
	p[1] = 0;
	put_be16(p + 2, (uint16_t)(ihl + l4len));
	put_be16(p + 4, seg->ipv4_id);
	put_be16(p + 6, seg->ipv4_frag);
	p[8] = seg->ttl ? seg->ttl : 64;
	p[9] = seg->proto ? seg->proto : 6;
	put_be16(p + 10, 0);
	memcpy(p + 12, seg->src.bytes, 4);
	memcpy(p + 16, seg->dst.bytes, 4);
	for (i = 20; i < ihl; i++)
		p[i] = 1; /* NOP */
	if (ihl > 20)
		p[ihl - 1] = 0; /* EOL */
	put_be16(p + 10, pb_inet_checksum(p, ihl, 0));
	f->family = 4;
	f->l3_off = 0;
	f->l4_off = ihl;
	f->payload_off = ihl + (seg->proto == 17 ? 8 : (size_t)hlen);
	f->len = ihl + l4len;
	return 0;
}

/* Writes one extension header at p; returns its length or -1. */
static int build_ext6(const struct pb_ext6 *e, uint8_t next, uint8_t *p, size_t cap)
{
	size_t len = e->type == PB_EXT_FRAGMENT ? 8 : 8 * ((size_t)e->hdr_len + 1);

	if (len > cap)
		return -1;
	memset(p, 0, len);
	p[0] = next;
	switch (e->type) {
	case PB_EXT_FRAGMENT:
		put_be16(p + 2, (uint16_t)((e->frag_offset << 3) | (e->frag_more ? 1 : 0)));
		put_be32(p + 4, 0x12345678);
		break;
	case PB_EXT_ROUTING:
		p[1] = e->hdr_len;
		p[2] = 4; /* segment routing; segments left 0: ignorable */
		break;
	default:
		p[1] = e->hdr_len;
		p[2] = 1; /* PadN covering the rest */
		p[3] = (uint8_t)(len - 4);
		break;
	}
	return (int)len;
}

static int build_ipv6(struct pb_frame *f, const struct pb_seg *seg)
{
	uint8_t *p = f->b;
	uint8_t proto = seg->proto ? seg->proto : 6;
	size_t off = 40, i, l4len;
	int n, hlen;

	if (seg->n_ext > PB_EXT_MAX)
		return -1;
	for (i = 0; i < seg->n_ext; i++) {
		uint8_t next = i + 1 < seg->n_ext ? seg->ext[i + 1].type : proto;

		n = build_ext6(&seg->ext[i], next, p + off, PB_FRAME_MAX - off);
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	hlen = build_l4(seg, p + off, PB_FRAME_MAX - off);
	if (hlen < 0)
		return -1;
	l4len = l4_total(seg, hlen);
	if (off - 40 + l4len > 0xffff)
		return -1;
	put_be32(p, 6u << 28);
	put_be16(p + 4, (uint16_t)(off - 40 + l4len));
	p[6] = seg->n_ext ? seg->ext[0].type : proto;
	p[7] = seg->ttl ? seg->ttl : 64;
	memcpy(p + 8, seg->src.bytes, 16);
	memcpy(p + 24, seg->dst.bytes, 16);
	f->family = 6;
	f->l3_off = 0;
	f->l4_off = off;
	f->payload_off = off + (seg->proto == 17 ? 8 : (size_t)hlen);
	f->len = off + l4len;
	return 0;
}

int pb_build_ip(struct pb_frame *f, const struct pb_seg *seg)
{
	if (seg->src.family != seg->dst.family)
		return -1;
	f->len = 0;
	if (seg->src.family == 4)
		return build_ipv4(f, seg);
	if (seg->src.family == 6)
		return build_ipv6(f, seg);
	return -1;
}

int pb_set_body(struct pb_frame *f, uint8_t family, const void *bytes, size_t len)
{
	if (len > PB_FRAME_MAX)
		return -1;
	memcpy(f->b, bytes, len);
	f->len = len;
	f->family = family;
	f->l3_off = f->l4_off = f->payload_off = 0;
	return 0;
}

static int prepend(struct pb_frame *f, const uint8_t *hdr, size_t n)
{
	if (f->len + n > PB_FRAME_MAX)
		return -1;
	memmove(f->b + n, f->b, f->len);
	memcpy(f->b, hdr, n);
	f->len += n;
	f->l3_off += n;
	f->l4_off += n;
	f->payload_off += n;
	return 0;
}

static uint16_t ethertype_of(const struct pb_frame *f, const struct pb_link *link)
{
	if (link && link->ethertype)
		return link->ethertype;
	return f->family == 6 ? 0x86dd : 0x0800;
}

static int wrap_ether(struct pb_frame *f, const struct pb_link *link)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t h[14 + 4 * PB_VLAN_MAX];
	size_t n = 12, i, nvlan = link ? link->n_vlan : 0;

	if (nvlan > PB_VLAN_MAX)
		return -1;
	memcpy(h, macs, 12);
	for (i = 0; i < nvlan; i++) {
		put_be16(h + n, link->vlan_tpid[i]);
		put_be16(h + n + 2, link->vlan_id[i] & 0x0fff);
		n += 4;
	}
	put_be16(h + n, ethertype_of(f, link));
	n += 2;
	if (prepend(f, h, n) < 0)
		return -1;
	if (link && link->pad_min && f->len < 60) {
		memset(f->b + f->len, 0, 60 - f->len);
		f->len = 60;
	}
	return 0;
}

static int wrap_sll(struct pb_frame *f, const struct pb_link *link)
{
	uint8_t h[16] = { 0 };

	put_be16(h, 0);	    /* packet type: to us */
	put_be16(h + 2, 1); /* ARPHRD_ETHER */
	put_be16(h + 4, 6);
	h[6] = 0x02;
	h[11] = 0x01;
	put_be16(h + 14, ethertype_of(f, link));
	return prepend(f, h, sizeof(h));
}

static int wrap_sll2(struct pb_frame *f, const struct pb_link *link)
{
	uint8_t h[20] = { 0 };

	put_be16(h, ethertype_of(f, link));
	put_be32(h + 4, 2); /* interface index */
	put_be16(h + 8, 1); /* ARPHRD_ETHER */
	h[10] = 4;	    /* outgoing */
	h[11] = 6;
	h[12] = 0x02;
	h[17] = 0x02;
	return prepend(f, h, sizeof(h));
}

static int wrap_null(struct pb_frame *f, const struct pb_link *link, bool network_order)
{
	uint32_t af = link && link->af ? link->af : (f->family == 6 ? 24 : 2);
	uint8_t h[4];

	if (network_order)
		put_be32(h, af);
	else
		memcpy(h, &af, 4);
	return prepend(f, h, sizeof(h));
}

int pb_wrap(struct pb_frame *f, int linktype, const struct pb_link *link)
{
	switch (linktype) {
	case PB_DLT_EN10MB:
		return wrap_ether(f, link);
	case PB_DLT_LINUX_SLL:
		return wrap_sll(f, link);
	case PB_DLT_LINUX_SLL2:
		return wrap_sll2(f, link);
	case PB_DLT_NULL:
		return wrap_null(f, link, false);
	case PB_DLT_LOOP:
		return wrap_null(f, link, true);
	case PB_DLT_RAW:
	case PB_LINKTYPE_RAW:
		return 0;
	case PB_DLT_IPV4:
		return f->family == 4 ? 0 : -1;
	case PB_DLT_IPV6:
		return f->family == 6 ? 0 : -1;
	default:
		return -1;
	}
}

void pb_build(struct pb_frame *f, int linktype, const struct pb_link *link,
	      const struct pb_seg *seg)
{
	if (pb_build_ip(f, seg) < 0 || pb_wrap(f, linktype, link) < 0) {
		fprintf(stderr, "pb_build: cannot build for link type %d\n", linktype);
		abort();
	}
}

void pb_fix_ipv4_checksum(struct pb_frame *f)
{
	uint8_t *p = f->b + f->l3_off;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;

	if (f->family != 4 || f->l3_off + ihl > f->len)
		return;
	put_be16(p + 10, 0);
	put_be16(p + 10, pb_inet_checksum(p, ihl, 0));
}

/* ---- pcap writer ---- */

struct pcapw {
	FILE *fp;
	bool failed;
};

static void w_bytes(struct pcapw *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->fp) != n)
		w->failed = true;
}

static void w_u32(struct pcapw *w, uint32_t v)
{
	w_bytes(w, &v, 4); /* host byte order, as the magic says */
}

static void w_u16(struct pcapw *w, uint16_t v)
{
	w_bytes(w, &v, 2);
}

struct pcapw *pcapw_open(const char *path, uint32_t linktype, uint32_t snaplen)
{
	struct pcapw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fp = fopen(path, "wb");
	if (!w->fp) {
		free(w);
		return NULL;
	}
	w_u32(w, 0xa1b2c3d4);
	w_u16(w, 2);
	w_u16(w, 4);
	w_u32(w, 0); /* thiszone */
	w_u32(w, 0); /* sigfigs */
	w_u32(w, snaplen);
	w_u32(w, linktype);
	return w;
}

static void w_record_header(struct pcapw *w, int64_t ts_us, uint32_t caplen, uint32_t wirelen)
{
	w_u32(w, (uint32_t)(ts_us / 1000000));
	w_u32(w, (uint32_t)(ts_us % 1000000));
	w_u32(w, caplen);
	w_u32(w, wirelen);
}

int pcapw_write(struct pcapw *w, int64_t ts_us, const void *frame, uint32_t caplen,
		uint32_t wirelen)
{
	w_record_header(w, ts_us, caplen, wirelen);
	w_bytes(w, frame, caplen);
	return w->failed ? -1 : 0;
}

int pcapw_write_frame(struct pcapw *w, int64_t ts_us, const struct pb_frame *f)
{
	return pcapw_write(w, ts_us, f->b, (uint32_t)f->len, (uint32_t)f->len);
}

int pcapw_write_cut(struct pcapw *w, int64_t ts_us, const void *frame, uint32_t caplen,
		    uint32_t wirelen, uint32_t present)
{
	w_record_header(w, ts_us, caplen, wirelen);
	w_bytes(w, frame, present < caplen ? present : caplen);
	return w->failed ? -1 : 0;
}

int pcapw_close(struct pcapw *w)
{
	int rc;

	if (!w)
		return 0;
	rc = w->failed ? -1 : 0;
	if (fclose(w->fp) != 0)
		rc = -1;
	free(w);
	return rc;
}

int pcapw_write_file(const char *path, const void *bytes, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int rc = 0;

	if (!fp)
		return -1;
	if (len && fwrite(bytes, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}
