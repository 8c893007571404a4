/* Link layers, IPv4, IPv6 and the TCP header, decoded through the
 * bounded reader. Every length comes from the wire and is checked before
 * use: the input may be a damaged or hostile file. */
#include "ftpstall/capture.h"

#include <string.h>

/* DLT values as libpcap reports them (pcap/dlt.h). */
enum {
	DLT_NULL_ = 0,
	DLT_EN10MB_ = 1,
	DLT_RAW_ = 12,
	DLT_RAW_OPENBSD_ = 14,
	LINKTYPE_RAW_ = 101,
	DLT_LOOP_ = 108,
	DLT_LINUX_SLL_ = 113,
	DLT_IPV4_ = 228,
	DLT_IPV6_ = 229,
	DLT_LINUX_SLL2_ = 276,
};

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETHERTYPE_QINQ_OLD = 0x9100,
};

enum {
	IPPROTO_IPIP_ = 4, /* IPv4 in IP (RFC 2003) */
	IPPROTO_TCP_ = 6,
	IPPROTO_IPV6_ = 41, /* IPv6 in IP (RFC 4213, "sit", 6in4) */
};

/* How deep VLAN stacks, IPv6 extension chains and IP-in-IP tunnels may
 * go before the frame is called malformed (a loop in a crafted packet
 * must end). */
enum {
	MAX_VLAN_TAGS = 8,
	MAX_IPV6_EXT_HEADERS = 8,
	MAX_TUNNEL_DEPTH = 2
};

/* What the link layer says comes next. */
enum net_proto {
	NET_IPV4,
	NET_IPV6,
	NET_OTHER,
	NET_BAD
};

static const char *const decode_result_names[] = {
	[FST_DECODE_TCP] = "tcp",
	[FST_DECODE_NOT_IP] = "not_ip",
	[FST_DECODE_NOT_TCP] = "not_tcp",
	[FST_DECODE_FRAGMENT] = "ip_fragment",
	[FST_DECODE_BAD_LINK] = "bad_link_header",
	[FST_DECODE_BAD_IPV4] = "bad_ipv4_header",
	[FST_DECODE_BAD_IP_LENGTH] = "bad_ip_length",
	[FST_DECODE_BAD_IPV6_EXT] = "bad_ipv6_ext_header",
	[FST_DECODE_BAD_TCP] = "bad_tcp_header",
	[FST_DECODE_BAD_TCP_OPTION] = "bad_tcp_option",
	[FST_DECODE_SHORT_CAPTURE] = "headers_cut_by_snaplen",
	[FST_DECODE_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
};
_Static_assert(sizeof(decode_result_names) / sizeof(decode_result_names[0]) ==
		       FST_DECODE_RESULT_COUNT,
	       "a name for every decode result");

const char *fst_decode_result_name(enum fst_decode_result r)
{
	if ((unsigned)r >= FST_DECODE_RESULT_COUNT)
		return "?";
	return decode_result_names[r];
}

static enum net_proto from_ethertype(uint16_t type)
{
	if (type == ETHERTYPE_IPV4)
		return NET_IPV4;
	if (type == ETHERTYPE_IPV6)
		return NET_IPV6;
	return NET_OTHER;
}

/* BSD loopback address families: AF_INET is 2 everywhere, AF_INET6
 * differs by OS (Linux 10, *BSD 24, FreeBSD 28, macOS 30). */
static enum net_proto from_bsd_family(uint32_t family)
{
	if (family == 2)
		return NET_IPV4;
	if (family == 10 || family == 24 || family == 28 || family == 30)
		return NET_IPV6;
	return NET_OTHER;
}

static enum net_proto link_ethernet(struct fst_rd *rd)
{
	uint16_t type;
	int tags = 0;

	if (rd->len < 14)
		return NET_BAD;
	type = fst_load_be16(rd->p + 12);
	fst_rd_skip(rd, 14);
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (++tags > MAX_VLAN_TAGS)
			return NET_BAD;
		if (!fst_rd_skip(rd, 2) || !fst_rd_be16(rd, &type))
			return NET_BAD;
	}
	return from_ethertype(type);
}

static enum net_proto link_sll(struct fst_rd *rd)
{
	uint16_t type;

	if (!fst_rd_skip(rd, 14) || !fst_rd_be16(rd, &type))
		return NET_BAD;
	return from_ethertype(type);
}

static enum net_proto link_sll2(struct fst_rd *rd)
{
	uint16_t type;

	if (!fst_rd_be16(rd, &type) || !fst_rd_skip(rd, 18))
		return NET_BAD;
	return from_ethertype(type);
}

static enum net_proto link_null(struct fst_rd *rd)
{
	uint32_t family;

	/* DLT_NULL stores the family in the writer's byte order; a valid
	 * family is small, so whichever reading is small is the right one. */
	if (!fst_rd_le32(rd, &family))
		return NET_BAD;
	if (family > 0xffff)
		family = __builtin_bswap32(family);
	return from_bsd_family(family);
}

static enum net_proto link_loop(struct fst_rd *rd)
{
	uint32_t family;

	if (!fst_rd_be32(rd, &family))
		return NET_BAD;
	return from_bsd_family(family);
}

static enum net_proto link_raw(struct fst_rd *rd)
{
	if (rd->len < 1)
		return NET_BAD;
	switch (rd->p[0] >> 4) {
	case 4:
		return NET_IPV4;
	case 6:
		return NET_IPV6;
	default:
		return NET_OTHER;
	}
}

static enum net_proto link_ipv4(struct fst_rd *rd)
{
	(void)rd;
	return NET_IPV4;
}

static enum net_proto link_ipv6(struct fst_rd *rd)
{
	(void)rd;
	return NET_IPV6;
}

static const struct link_type {
	int dlt;
	const char *name;
	enum net_proto (*strip)(struct fst_rd *rd);
} link_types[] = {
	{ DLT_EN10MB_, "EN10MB", link_ethernet },
	{ DLT_LINUX_SLL_, "LINUX_SLL", link_sll },
	{ DLT_LINUX_SLL2_, "LINUX_SLL2", link_sll2 },
	{ DLT_NULL_, "NULL", link_null },
	{ DLT_LOOP_, "LOOP", link_loop },
	{ DLT_RAW_, "RAW", link_raw },
	{ DLT_RAW_OPENBSD_, "RAW", link_raw },
	{ LINKTYPE_RAW_, "RAW", link_raw },
	{ DLT_IPV4_, "IPV4", link_ipv4 },
	{ DLT_IPV6_, "IPV6", link_ipv6 },
};

static const struct link_type *find_link_type(int dlt)
{
	for (size_t i = 0; i < sizeof(link_types) / sizeof(link_types[0]); i++)
		if (link_types[i].dlt == dlt)
			return &link_types[i];
	return NULL;
}

bool fst_linktype_supported(int linktype)
{
	return find_link_type(linktype) != NULL;
}

/* The network layer of a frame: rd holds the captured bytes from the IP
 * header on, wire_len how many of them were on the wire, depth how many
 * tunnel headers enclose it. */
struct ip_view {
	struct fst_rd rd;
	uint32_t wire_len;
	uint8_t depth;
};

static inline enum fst_decode_result decode_ipv4(struct ip_view ip, struct fst_packet *out);
static inline enum fst_decode_result decode_ipv6(struct ip_view ip, struct fst_packet *out);

/* An IP packet carried as the payload of another (IP protocol 4 or 41):
 * rd holds its captured bytes, wire_len its length from the outer
 * header. The inner addresses, TTL and TCP header are the packet's. */
static enum fst_decode_result decode_tunnel(struct fst_rd rd, uint32_t wire_len, uint8_t proto,
					    uint8_t depth, struct fst_packet *out)
	__attribute__((cold, noinline));

static enum fst_decode_result decode_tunnel(struct fst_rd rd, uint32_t wire_len, uint8_t proto,
					    uint8_t depth, struct fst_packet *out)
{
	struct ip_view inner = { .rd = rd, .wire_len = wire_len, .depth = (uint8_t)(depth + 1) };

	if (inner.depth > MAX_TUNNEL_DEPTH)
		return FST_DECODE_TUNNEL_TOO_DEEP;
	out->tunnel_depth = inner.depth;
	return proto == IPPROTO_IPIP_ ? decode_ipv4(inner, out) : decode_ipv6(inner, out);
}

/* Decodes the TCP header and payload. seg_wire_len is the segment length
 * the IP header claims; rd holds the captured part of it. */
static enum fst_decode_result decode_tcp(struct fst_rd rd, uint32_t seg_wire_len,
					 struct fst_packet *out)
{
	const uint8_t *h = rd.p;
	struct fst_rd opts;
	uint32_t header_len;

	if (seg_wire_len < 20)
		return FST_DECODE_BAD_TCP;
	if (rd.len < 20)
		return FST_DECODE_SHORT_CAPTURE;
	out->src_port = fst_load_be16(h);
	out->dst_port = fst_load_be16(h + 2);
	out->seq = fst_load_be32(h + 4);
	out->ack = fst_load_be32(h + 8);
	header_len = (uint32_t)(h[12] >> 4) * 4;
	out->flags = h[13] & 0x3f;
	out->window = fst_load_be16(h + 14);
	fst_rd_skip(&rd, 20);
	if (header_len < 20 || header_len > seg_wire_len)
		return FST_DECODE_BAD_TCP;
	if (!fst_rd_sub(&rd, header_len - 20, &opts))
		return FST_DECODE_SHORT_CAPTURE;

	out->has_wscale = out->has_timestamps = out->sack_permitted = false;
	out->wscale = 0;
	out->ts_val = 0;
	/* Nearly every segment of a modern stack carries NOP NOP TIMESTAMPS
	 * and nothing else: known at a glance. */
	if (opts.len == 12 && memcmp(opts.p, "\x01\x01\x08\x0a", 4) == 0) {
		out->has_timestamps = true;
		out->ts_val = fst_load_be32(opts.p + 4);
		opts.len = 0;
	}
	while (opts.len > 0) {
		uint8_t kind, len;

		fst_rd_u8(&opts, &kind);
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) /* no-op */
			continue;
		if (!fst_rd_u8(&opts, &len) || len < 2 || opts.len < (size_t)(len - 2))
			return FST_DECODE_BAD_TCP_OPTION;
		if (kind == 3 && len == 3) {
			out->has_wscale = true;
			/* RFC 7323 2.3: shifts above 14 are treated as 14. */
			out->wscale = opts.p[0] > 14 ? 14 : opts.p[0];
		} else if (kind == 4 && len == 2) {
			out->sack_permitted = true;
		} else if (kind == 8 && len == 10) {
			out->has_timestamps = true;
			out->ts_val = fst_load_be32(opts.p);
		}
		fst_rd_skip(&opts, (size_t)(len - 2));
	}

	out->payload_len = seg_wire_len - header_len;
	out->payload = rd.p;
	out->payload_caplen = rd.len < out->payload_len ? (uint32_t)rd.len : out->payload_len;
	out->tcp_header_len = (uint8_t)header_len;
	return FST_DECODE_TCP;
}

static inline enum fst_decode_result decode_ipv4(struct ip_view ip, struct fst_packet *out)
{
	struct fst_rd rd = ip.rd;
	uint8_t version_ihl, ttl, proto;
	uint16_t total_len, frag, id;
	uint32_t header_len;

	if (ip.wire_len < 20)
		return FST_DECODE_BAD_IPV4;
	if (rd.len < 20)
		return FST_DECODE_SHORT_CAPTURE;
	version_ihl = rd.p[0];
	total_len = fst_load_be16(rd.p + 2);
	id = fst_load_be16(rd.p + 4);
	frag = fst_load_be16(rd.p + 6);
	ttl = rd.p[8];
	proto = rd.p[9];
	out->src.family = out->dst.family = 4;
	memcpy(out->src.bytes, rd.p + 12, 4);
	memcpy(out->dst.bytes, rd.p + 16, 4);
	fst_rd_skip(&rd, 20);

	header_len = (uint32_t)(version_ihl & 0x0f) * 4;
	if (version_ihl >> 4 != 4 || header_len < 20)
		return FST_DECODE_BAD_IPV4;
	/* Some stacks with segmentation offload write total length 0 on
	 * captured outbound packets; then the frame length is all we have. */
	if (total_len == 0)
		total_len = ip.wire_len > 0xffff ? 0xffff : (uint16_t)ip.wire_len;
	if (total_len < header_len || total_len > ip.wire_len)
		return FST_DECODE_BAD_IP_LENGTH;
	if (frag & 0x3fff) /* more-fragments flag or a fragment offset */
		return FST_DECODE_FRAGMENT;
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_IPIP_ && proto != IPPROTO_IPV6_)
		return FST_DECODE_NOT_TCP;
	if (!fst_rd_skip(&rd, header_len - 20))
		return FST_DECODE_SHORT_CAPTURE;
	out->ttl = ttl;
	out->ip_id = id;
	/* Bytes beyond total_len are link padding, not payload. */
	if (rd.len > total_len - header_len)
		rd.len = total_len - header_len;
	if (proto != IPPROTO_TCP_)
		return decode_tunnel(rd, total_len - header_len, proto, ip.depth, out);
	return decode_tcp(rd, total_len - header_len, out);
}

static inline enum fst_decode_result decode_ipv6(struct ip_view ip, struct fst_packet *out)
{
	struct fst_rd rd = ip.rd;
	uint32_t vtc_flow;
	uint16_t payload_len;
	uint8_t next, hop_limit;
	uint32_t remaining;

	if (ip.wire_len < 40)
		return FST_DECODE_BAD_IP_LENGTH;
	if (rd.len < 40)
		return FST_DECODE_SHORT_CAPTURE;
	vtc_flow = fst_load_be32(rd.p);
	payload_len = fst_load_be16(rd.p + 4);
	next = rd.p[6];
	hop_limit = rd.p[7];
	out->src.family = out->dst.family = 6;
	memcpy(out->src.bytes, rd.p + 8, 16);
	memcpy(out->dst.bytes, rd.p + 24, 16);
	fst_rd_skip(&rd, 40);
	if (vtc_flow >> 28 != 6)
		return FST_DECODE_NOT_IP;
	if (payload_len == 0) /* jumbogram or offload: trust the frame */
		payload_len = ip.wire_len - 40 > 0xffff ? 0xffff : (uint16_t)(ip.wire_len - 40);
	if ((uint32_t)payload_len + 40 > ip.wire_len)
		return FST_DECODE_BAD_IP_LENGTH;
	remaining = payload_len;
	if (rd.len > remaining)
		rd.len = remaining;

	for (int count = 0;; count++) {
		uint8_t ext_next, ext_len;
		uint32_t ext_bytes;

		switch (next) {
		case IPPROTO_TCP_:
			out->ttl = hop_limit;
			out->ip_id = 0;
			return decode_tcp(rd, remaining, out);
		case IPPROTO_IPIP_:
		case IPPROTO_IPV6_:
			return decode_tunnel(rd, remaining, next, ip.depth, out);
		case 0:	  /* hop-by-hop options */
		case 43:  /* routing */
		case 44:  /* fragment */
		case 60:  /* destination options */
		case 135: /* mobility */
			break;
		case 51: /* authentication header: length in 4-byte units */
			break;
		default:
			return FST_DECODE_NOT_TCP;
		}
		if (count >= MAX_IPV6_EXT_HEADERS)
			return FST_DECODE_BAD_IPV6_EXT;
		if (remaining < 8)
			return FST_DECODE_BAD_IPV6_EXT;
		if (rd.len < 8)
			return FST_DECODE_SHORT_CAPTURE;
		ext_next = rd.p[0];
		ext_len = rd.p[1];
		if (next == 44) {
			uint16_t offset_flags = (uint16_t)(rd.p[2] << 8 | rd.p[3]);

			/* An atomic fragment (offset 0, no M flag) is whole. */
			if (offset_flags & 0xfff9)
				return FST_DECODE_FRAGMENT;
			ext_bytes = 8;
		} else if (next == 51) {
			ext_bytes = ((uint32_t)ext_len + 2) * 4;
		} else {
			ext_bytes = ((uint32_t)ext_len + 1) * 8;
		}
		if (ext_bytes > remaining)
			return FST_DECODE_BAD_IPV6_EXT;
		if (!fst_rd_skip(&rd, ext_bytes))
			return FST_DECODE_SHORT_CAPTURE;
		remaining -= ext_bytes;
		next = ext_next;
	}
}

enum fst_decode_result fst_decode_frame(int linktype, const uint8_t *frame, uint32_t caplen,
					uint32_t wirelen, struct fst_packet *out)
{
	const struct link_type *lt = find_link_type(linktype);
	struct fst_rd rd = fst_rd_make(frame, caplen);
	struct ip_view ip;
	enum net_proto proto;
	size_t link_len;

	if (!lt)
		return FST_DECODE_BAD_LINK;
	if (wirelen < caplen)
		wirelen = caplen;
	proto = lt->strip(&rd);
	link_len = caplen - rd.len;
	ip.rd = rd;
	ip.wire_len = wirelen - (uint32_t)link_len;
	ip.depth = 0;
	out->tunnel_depth = 0;

	switch (proto) {
	case NET_BAD:
		return caplen < wirelen ? FST_DECODE_SHORT_CAPTURE : FST_DECODE_BAD_LINK;
	case NET_OTHER:
		return FST_DECODE_NOT_IP;
	case NET_IPV4:
		return decode_ipv4(ip, out);
	case NET_IPV6:
		return decode_ipv6(ip, out);
	}
	return FST_DECODE_BAD_LINK;
}
