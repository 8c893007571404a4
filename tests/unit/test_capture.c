/* Unit tests for src/capture: the frame decoder (link layers, IPv4,
 * IPv6, TCP header) through fst_decode_frame, and capture files through
 * fst_capture_open_files / fst_capture_next. Frames come from the
 * packet builder in tests/support. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ftpstall/capture.h"
#include "pktbuild.h"

/* ------------------------------------------------------------------ */
/* helpers */

static const uint8_t payload_text[] = "USER anonymous\r\n";

/* A typical client segment: 4-tuple, numbers and payload set. */
static void seg_v4(struct pb_seg *s)
{
	pb_seg_init(s, "192.0.2.10", 54321, "198.51.100.20", 21);
	s->seq = 0x11223344;
	s->ack = 0x55667788;
	s->flags = FST_TCP_ACK | FST_TCP_PSH;
	s->window = 29200;
	s->ttl = 57;
	s->payload = payload_text;
	s->payload_len = sizeof(payload_text) - 1;
}

static void seg_v6(struct pb_seg *s)
{
	pb_seg_init(s, "2001:db8::10", 54321, "2001:db8:1::20", 21);
	s->seq = 0xfffffff0;
	s->ack = 7;
	s->flags = FST_TCP_ACK | FST_TCP_PSH | FST_TCP_FIN;
	s->window = 512;
	s->ttl = 33;
	s->payload = payload_text;
	s->payload_len = sizeof(payload_text) - 1;
}

static enum fst_decode_result decode(int linktype, const struct pb_frame *f, struct fst_packet *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	return fst_decode_frame(linktype, f->b, (uint32_t)f->len, (uint32_t)f->len, pkt);
}

/* Everything the builder put in must come back out. */
static void assert_decoded(const struct fst_packet *p, const struct pb_seg *s,
			   const struct pb_frame *f)
{
	size_t alen = s->src.family == 6 ? 16 : 4;

	assert_int_equal(p->src.family, s->src.family);
	assert_int_equal(p->dst.family, s->dst.family);
	assert_memory_equal(p->src.bytes, s->src.bytes, alen);
	assert_memory_equal(p->dst.bytes, s->dst.bytes, alen);
	assert_int_equal(p->src_port, s->sport);
	assert_int_equal(p->dst_port, s->dport);
	assert_int_equal(p->seq, s->seq);
	assert_int_equal(p->ack, s->ack);
	assert_int_equal(p->flags, s->flags);
	assert_int_equal(p->window, s->window);
	assert_int_equal(p->ttl, s->ttl ? s->ttl : 64);
	assert_int_equal(p->payload_len, s->payload_len);
	assert_int_equal(p->payload_caplen, s->payload_len);
	if (s->payload_len) {
		assert_non_null(p->payload);
		assert_ptr_equal(p->payload, f->b + f->payload_off);
		assert_memory_equal(p->payload, s->payload, s->payload_len);
	}
}

static void check_link(int linktype, const struct pb_link *link, const struct pb_seg *s)
{
	struct pb_frame *f = malloc(sizeof(*f));
	struct fst_packet pkt;

	assert_non_null(f);
	pb_build(f, linktype, link, s);
	assert_int_equal(decode(linktype, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, s, f);
	free(f);
}

/* Heap frames: struct pb_frame is 16 KiB. */
static struct pb_frame *frame_new(void)
{
	struct pb_frame *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	return f;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* link layers */

static void test_linktypes_supported(void **state)
{
	static const int ok[] = { PB_DLT_NULL,	   PB_DLT_EN10MB, PB_DLT_RAW,
				  PB_LINKTYPE_RAW, PB_DLT_LOOP,	  PB_DLT_LINUX_SLL,
				  PB_DLT_IPV4,	   PB_DLT_IPV6,	  PB_DLT_LINUX_SLL2 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!fst_linktype_supported(ok[i]))
			fail_msg("link type %d should be supported", ok[i]);
	}
	assert_false(fst_linktype_supported(PB_DLT_USER0));
	assert_false(fst_linktype_supported(105)); /* IEEE802_11 */
	assert_false(fst_linktype_supported(127)); /* radiotap */
	assert_false(fst_linktype_supported(-1));
}

static void test_decode_every_link_ipv4(void **state)
{
	static const int types[] = { PB_DLT_EN10MB,   PB_DLT_LINUX_SLL, PB_DLT_LINUX_SLL2,
				     PB_DLT_NULL,     PB_DLT_LOOP,	PB_DLT_RAW,
				     PB_LINKTYPE_RAW, PB_DLT_IPV4 };
	struct pb_seg s;
	size_t i;

	(void)state;
	seg_v4(&s);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		print_message("link type %d, IPv4\n", types[i]);
		check_link(types[i], NULL, &s);
	}
}

static void test_decode_every_link_ipv6(void **state)
{
	static const int types[] = { PB_DLT_EN10MB,   PB_DLT_LINUX_SLL, PB_DLT_LINUX_SLL2,
				     PB_DLT_NULL,     PB_DLT_LOOP,	PB_DLT_RAW,
				     PB_LINKTYPE_RAW, PB_DLT_IPV6 };
	struct pb_seg s;
	size_t i;

	(void)state;
	seg_v6(&s);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		print_message("link type %d, IPv6\n", types[i]);
		check_link(types[i], NULL, &s);
	}
}

/* NULL/LOOP carry the OS's AF_INET6, which differs by OS. */
static void test_decode_null_loop_ipv6_families(void **state)
{
	static const uint32_t afs[] = { 10, 24, 28, 30 };
	struct pb_link link = { 0 };
	struct pb_seg s;
	size_t i;

	(void)state;
	seg_v6(&s);
	for (i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
		link.af = afs[i];
		print_message("AF %u\n", afs[i]);
		check_link(PB_DLT_NULL, &link, &s);
		check_link(PB_DLT_LOOP, &link, &s);
	}
	seg_v4(&s);
	link.af = 2;
	check_link(PB_DLT_NULL, &link, &s);
	check_link(PB_DLT_LOOP, &link, &s);
}

static void test_decode_vlan_tags(void **state)
{
	struct pb_link link = { 0 };
	struct pb_seg s4, s6;

	(void)state;
	seg_v4(&s4);
	seg_v6(&s6);
	/* One 802.1Q tag. */
	link.n_vlan = 1;
	link.vlan_tpid[0] = 0x8100;
	link.vlan_id[0] = 100;
	check_link(PB_DLT_EN10MB, &link, &s4);
	check_link(PB_DLT_EN10MB, &link, &s6);
	/* 802.1ad outer + 802.1Q inner (QinQ). */
	link.n_vlan = 2;
	link.vlan_tpid[0] = 0x88a8;
	link.vlan_id[0] = 10;
	link.vlan_tpid[1] = 0x8100;
	link.vlan_id[1] = 20;
	check_link(PB_DLT_EN10MB, &link, &s4);
	check_link(PB_DLT_EN10MB, &link, &s6);
	/* Three stacked 802.1Q tags. */
	link.n_vlan = 3;
	link.vlan_tpid[0] = link.vlan_tpid[1] = link.vlan_tpid[2] = 0x8100;
	link.vlan_id[2] = 30;
	check_link(PB_DLT_EN10MB, &link, &s4);
	check_link(PB_DLT_EN10MB, &link, &s6);
}

static void test_decode_vlan_tag_cut(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	/* Ethernet header saying "VLAN tag follows" and then nothing. */
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00 };

	(void)state;
	memcpy(f->b, eth, sizeof(eth));
	f->len = sizeof(eth);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_LINK);
	free(f);
}

static void test_decode_not_ip(void **state)
{
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct pb_link link = { 0 };
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;

	(void)state;
	link.ethertype = 0x0806;
	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_EN10MB, &link);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_NOT_IP);

	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_LINUX_SLL, &link);
	assert_int_equal(decode(PB_DLT_LINUX_SLL, f, &pkt), FST_DECODE_NOT_IP);

	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_LINUX_SLL2, &link);
	assert_int_equal(decode(PB_DLT_LINUX_SLL2, f, &pkt), FST_DECODE_NOT_IP);

	/* NULL/LOOP with an address family that is not IP (AF_APPLETALK). */
	link.af = 16;
	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_NULL, &link);
	assert_int_equal(decode(PB_DLT_NULL, f, &pkt), FST_DECODE_NOT_IP);
	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_LOOP, &link);
	assert_int_equal(decode(PB_DLT_LOOP, f, &pkt), FST_DECODE_NOT_IP);
	free(f);
}

static void test_decode_short_link_headers(void **state)
{
	static const int types[] = { PB_DLT_EN10MB, PB_DLT_LINUX_SLL, PB_DLT_LINUX_SLL2,
				     PB_DLT_NULL, PB_DLT_LOOP };
	static const uint8_t junk[32] = { 0 };
	struct fst_packet pkt;
	size_t i;

	(void)state;
	/* Fewer bytes than the link header itself, on the wire too. */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&pkt, 0, sizeof(pkt));
		assert_int_equal(fst_decode_frame(types[i], junk, 3, 3, &pkt), FST_DECODE_BAD_LINK);
		assert_int_equal(fst_decode_frame(types[i], junk, 0, 0, &pkt), FST_DECODE_BAD_LINK);
	}
}

/* ------------------------------------------------------------------ */
/* IPv4 */

static void test_ipv4_options(void **state)
{
	struct pb_seg s;

	(void)state;
	seg_v4(&s);
	s.ipv4_opt_words = 1; /* IHL 6 */
	check_link(PB_DLT_EN10MB, NULL, &s);
	s.ipv4_opt_words = 10; /* IHL 15, the maximum */
	check_link(PB_DLT_EN10MB, NULL, &s);
	check_link(PB_DLT_RAW, NULL, &s);
}

static void test_ipv4_bad_ihl(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint8_t ihl;

	(void)state;
	seg_v4(&s);
	for (ihl = 0; ihl < 5; ihl++) {
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		f->b[f->l3_off] = (uint8_t)(0x40 | ihl);
		pb_fix_ipv4_checksum(f);
		print_message("IHL %u\n", ihl);
		assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IPV4);
	}
	free(f);
}

static void test_ipv4_ihl_past_total_length(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	enum fst_decode_result r;

	(void)state;
	/* IHL 15 (60 bytes) but total length 40 and a 40-byte packet. */
	seg_v4(&s);
	s.payload_len = 0;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	f->b[0] = 0x4f;
	pb_fix_ipv4_checksum(f);
	r = decode(PB_DLT_RAW, f, &pkt);
	assert_true(r == FST_DECODE_BAD_IPV4 || r == FST_DECODE_BAD_IP_LENGTH);
	free(f);
}

static void test_ipv4_total_length_lies(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint16_t real;

	(void)state;
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	real = (uint16_t)(f->len - f->l3_off);
	/* One byte more than was on the wire. */
	put16(f->b + f->l3_off + 2, (uint16_t)(real + 1));
	pb_fix_ipv4_checksum(f);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IP_LENGTH);
	/* Far more. */
	put16(f->b + f->l3_off + 2, 1500);
	pb_fix_ipv4_checksum(f);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IP_LENGTH);
	/* Less than the IP header itself. */
	put16(f->b + f->l3_off + 2, 19);
	pb_fix_ipv4_checksum(f);
	assert_int_not_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	free(f);
}

static void test_ipv4_total_length_shorter_than_tcp_header(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	/* Total length leaves 10 bytes for TCP: no room for its header. */
	seg_v4(&s);
	pb_build(f, PB_DLT_RAW, NULL, &s);
	put16(f->b + 2, 30);
	pb_fix_ipv4_checksum(f);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_BAD_TCP);
	free(f);
}

static void test_ethernet_padding_is_not_payload(void **state)
{
	struct pb_link link = { 0 };
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	link.pad_min = true;
	/* A pure ACK: 54 bytes padded to 60. */
	seg_v4(&s);
	s.payload = NULL;
	s.payload_len = 0;
	pb_build(f, PB_DLT_EN10MB, &link, &s);
	assert_int_equal(f->len, 60);
	memset(f->b + 54, 0xaa, 6); /* non-zero padding, as some NICs send */
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, 0);
	assert_int_equal(pkt.payload_caplen, 0);

	/* Two bytes of payload, four of padding. */
	s.payload = (const uint8_t *)"OK";
	s.payload_len = 2;
	pb_build(f, PB_DLT_EN10MB, &link, &s);
	assert_int_equal(f->len, 60);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, 2);
	assert_int_equal(pkt.payload_caplen, 2);
	assert_memory_equal(pkt.payload, "OK", 2);
	free(f);
}

static void test_ipv4_fragments(void **state)
{
	static const uint16_t frag_fields[] = {
		0x2000, /* MF, offset 0: first fragment */
		0x0001, /* offset 8 bytes, last fragment */
		0x2010, /* MF and an offset */
		0x6000, /* DF and MF together */
		0x1fff, /* the largest offset */
	};
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	size_t i;

	(void)state;
	seg_v4(&s);
	for (i = 0; i < sizeof(frag_fields) / sizeof(frag_fields[0]); i++) {
		s.ipv4_frag = frag_fields[i];
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		print_message("frag field 0x%04x\n", frag_fields[i]);
		assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_FRAGMENT);
	}
	/* DF alone is a whole packet. */
	s.ipv4_frag = 0x4000;
	check_link(PB_DLT_EN10MB, NULL, &s);
	free(f);
}

static void test_not_tcp(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v4(&s);
	s.proto = 17;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_NOT_TCP);
	seg_v6(&s);
	s.proto = 17;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_NOT_TCP);
	/* ICMPv6 behind a hop-by-hop header. */
	s.proto = 58;
	s.n_ext = 1;
	s.ext[0].type = PB_EXT_HOPOPTS;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_NOT_TCP);
	free(f);
}

static void test_raw_bad_version(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	enum fst_decode_result r;

	(void)state;
	seg_v4(&s);
	pb_build(f, PB_DLT_RAW, NULL, &s);
	f->b[0] = 0x55; /* version 5 */
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_NOT_IP);
	/* DLT_IPV4 promises IPv4: a version 6 header there is malformed. */
	pb_build(f, PB_DLT_IPV4, NULL, &s);
	f->b[0] = 0x65;
	r = decode(PB_DLT_IPV4, f, &pkt);
	assert_int_not_equal(r, FST_DECODE_TCP);
	free(f);
}

/* ------------------------------------------------------------------ */
/* IPv6 extension headers */

static void test_ipv6_ext_chain(void **state)
{
	struct pb_seg s;

	(void)state;
	seg_v6(&s);
	s.n_ext = 2;
	s.ext[0].type = PB_EXT_HOPOPTS;
	s.ext[1].type = PB_EXT_DSTOPTS;
	s.ext[1].hdr_len = 2; /* 24 bytes */
	check_link(PB_DLT_EN10MB, NULL, &s);
	check_link(PB_DLT_RAW, NULL, &s);
	check_link(PB_DLT_IPV6, NULL, &s);

	/* Hop-by-hop, routing (segments left 0), dest options. */
	s.n_ext = 3;
	s.ext[1].type = PB_EXT_ROUTING;
	s.ext[1].hdr_len = 2;
	s.ext[2].type = PB_EXT_DSTOPTS;
	check_link(PB_DLT_LINUX_SLL, NULL, &s);
}

static void test_ipv6_atomic_fragment_is_whole(void **state)
{
	struct pb_seg s;

	(void)state;
	/* RFC 6946: offset 0 and M clear is a whole packet. */
	seg_v6(&s);
	s.n_ext = 1;
	s.ext[0].type = PB_EXT_FRAGMENT;
	check_link(PB_DLT_EN10MB, NULL, &s);
}

static void test_ipv6_fragment(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v6(&s);
	s.n_ext = 1;
	s.ext[0].type = PB_EXT_FRAGMENT;
	s.ext[0].frag_more = true;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_FRAGMENT);

	s.ext[0].frag_more = false;
	s.ext[0].frag_offset = 185;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_FRAGMENT);

	/* Behind a hop-by-hop header too. */
	s.n_ext = 2;
	s.ext[1] = s.ext[0];
	memset(&s.ext[0], 0, sizeof(s.ext[0]));
	s.ext[0].type = PB_EXT_HOPOPTS;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_FRAGMENT);
	free(f);
}

static void test_ipv6_chain_too_long(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	size_t i;

	(void)state;
	seg_v6(&s);
	s.n_ext = 20;
	for (i = 0; i < s.n_ext; i++)
		s.ext[i].type = PB_EXT_DSTOPTS;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IPV6_EXT);
	/* All 32 the builder can make, as hop-by-hop headers. */
	s.n_ext = PB_EXT_MAX;
	for (i = 0; i < s.n_ext; i++)
		s.ext[i].type = PB_EXT_HOPOPTS;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_BAD_IPV6_EXT);
	free(f);
}

static void test_ipv6_ext_length_overruns(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v6(&s);
	s.n_ext = 1;
	s.ext[0].type = PB_EXT_DSTOPTS;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	/* Header length 200 (1608 bytes) in a packet far shorter. */
	f->b[f->l3_off + 40 + 1] = 200;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IPV6_EXT);

	/* Overruns by exactly 8: the header eats the TCP header and
	 * payload and one more unit. */
	s.payload = NULL;
	s.payload_len = 0;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	/* ext (8) + tcp (20) = 28 bytes: hdr_len 3 claims 32. */
	f->b[f->l3_off + 40 + 1] = 3;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IPV6_EXT);
	free(f);
}

static void test_ipv6_payload_length_lies(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint16_t real;

	(void)state;
	seg_v6(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	real = (uint16_t)(f->len - f->l3_off - 40);
	put16(f->b + f->l3_off + 4, (uint16_t)(real + 1));
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_IP_LENGTH);
	free(f);
}

static void test_ipv6_padding_is_not_payload(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v6(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	/* Trailing bytes after the IPv6 payload length (e.g. a trailer). */
	memset(f->b + f->len, 0xcc, 8);
	f->len += 8;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, s.payload_len);
	assert_int_equal(pkt.payload_caplen, s.payload_len);
	free(f);
}

/* ------------------------------------------------------------------ */
/* TCP header */

static void test_tcp_data_offset_too_small(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint8_t doff;

	(void)state;
	seg_v4(&s);
	for (doff = 0; doff < 5; doff++) {
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		f->b[f->l4_off + 12] = (uint8_t)(doff << 4);
		print_message("data offset %u\n", doff);
		assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP);
	}
	seg_v6(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	f->b[f->l4_off + 12] = 4 << 4;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP);
	free(f);
}

static void test_tcp_data_offset_past_segment(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	/* A bare 20-byte header claiming 60. */
	seg_v4(&s);
	s.payload = NULL;
	s.payload_len = 0;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	f->b[f->l4_off + 12] = 15 << 4;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP);
	/* Claiming 24 with 20 present. */
	f->b[f->l4_off + 12] = 6 << 4;
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP);
	/* Ethernet padding must not count as the missing header bytes. */
	{
		struct pb_link link = { 0 };

		link.pad_min = true;
		pb_build(f, PB_DLT_EN10MB, &link, &s);
		f->b[f->l4_off + 12] = 6 << 4;
		assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP);
	}
	seg_v6(&s);
	s.payload = NULL;
	s.payload_len = 0;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	f->b[f->l4_off + 12] = 8 << 4;
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_BAD_TCP);
	free(f);
}

static void test_tcp_bad_options(void **state)
{
	static const struct {
		const char *what;
		uint8_t opts[8];
		size_t len;
	} cases[] = {
		{ "MSS length 8 in 4 bytes", { 2, 8, 0x05, 0xb4 }, 4 },
		{ "timestamps overrun", { 1, 1, 8, 10, 0, 0, 0, 1 }, 8 },
		{ "length 1", { 8, 1, 1, 1 }, 4 },
		{ "length 0", { 3, 0, 1, 1 }, 4 },
		{ "kind with no length byte", { 1, 1, 1, 3 }, 4 },
		{ "unknown kind overruns", { 1, 1, 99, 40 }, 4 },
	};
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		seg_v4(&s);
		s.raw_opts = cases[i].opts;
		s.raw_opts_len = cases[i].len;
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		print_message("%s\n", cases[i].what);
		assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_BAD_TCP_OPTION);
	}
	free(f);
}

static void test_tcp_options_recognised(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v4(&s);
	s.flags = FST_TCP_SYN;
	s.payload = NULL;
	s.payload_len = 0;
	s.mss = 1460;
	s.has_wscale = true;
	s.wscale = 7;
	s.timestamps = true;
	s.tsval = 1000;
	s.tsecr = 0;
	s.sack_permitted = true;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s, f);
	assert_true(pkt.has_wscale);
	assert_int_equal(pkt.wscale, 7);
	assert_true(pkt.has_timestamps);
	assert_true(pkt.sack_permitted);

	/* Each alone. */
	seg_v6(&s);
	s.has_wscale = true;
	s.wscale = 0;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s, f);
	assert_true(pkt.has_wscale);
	assert_int_equal(pkt.wscale, 0);
	assert_false(pkt.has_timestamps);
	assert_false(pkt.sack_permitted);

	seg_v4(&s);
	s.timestamps = true;
	s.tsval = 0xdeadbeef;
	s.tsecr = 0x01020304;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s, f);
	assert_false(pkt.has_wscale);
	assert_true(pkt.has_timestamps);
	assert_false(pkt.sack_permitted);

	seg_v4(&s);
	s.sack_permitted = true;
	pb_build(f, PB_DLT_RAW, NULL, &s);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_TCP);
	assert_false(pkt.has_wscale);
	assert_false(pkt.has_timestamps);
	assert_true(pkt.sack_permitted);

	/* None. */
	seg_v4(&s);
	pb_build(f, PB_DLT_RAW, NULL, &s);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_TCP);
	assert_false(pkt.has_wscale);
	assert_false(pkt.has_timestamps);
	assert_false(pkt.sack_permitted);
	free(f);
}

static void test_tcp_options_after_eol_ignored(void **state)
{
	/* EOL, then bytes that would be a broken option. */
	static const uint8_t opts[8] = { 1, 0, 2, 40, 8, 1, 0, 0 };
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	seg_v4(&s);
	s.raw_opts = opts;
	s.raw_opts_len = sizeof(opts);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s, f);
	free(f);
}

/* ------------------------------------------------------------------ */
/* snaplen-truncated frames */

static uint8_t big_payload[1000];

static void fill_big_payload(void)
{
	size_t i;

	for (i = 0; i < sizeof(big_payload); i++)
		big_payload[i] = (uint8_t)(i * 7 + 3);
}

static void test_truncated_payload_v4(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	fill_big_payload();
	seg_v4(&s);
	s.payload = big_payload;
	s.payload_len = sizeof(big_payload);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(f->payload_off, 54);
	/* tcpdump -s 96 */
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(fst_decode_frame(PB_DLT_EN10MB, f->b, 96, (uint32_t)f->len, &pkt),
			 FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, 1000);
	assert_int_equal(pkt.payload_caplen, 96 - 54);
	assert_memory_equal(pkt.payload, big_payload, 96 - 54);
	assert_int_equal(pkt.seq, s.seq);
	assert_int_equal(pkt.src_port, s.sport);
	/* Cut right after the TCP header. */
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(fst_decode_frame(PB_DLT_EN10MB, f->b, 54, (uint32_t)f->len, &pkt),
			 FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, 1000);
	assert_int_equal(pkt.payload_caplen, 0);
	free(f);
}

static void test_truncated_payload_v6_ext(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint32_t caplen;

	(void)state;
	fill_big_payload();
	seg_v6(&s);
	s.payload = big_payload;
	s.payload_len = sizeof(big_payload);
	s.n_ext = 1;
	s.ext[0].type = PB_EXT_HOPOPTS;
	pb_build(f, PB_DLT_LINUX_SLL, NULL, &s);
	caplen = (uint32_t)f->payload_off + 10;
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(fst_decode_frame(PB_DLT_LINUX_SLL, f->b, caplen, (uint32_t)f->len, &pkt),
			 FST_DECODE_TCP);
	assert_int_equal(pkt.payload_len, 1000);
	assert_int_equal(pkt.payload_caplen, 10);
	assert_memory_equal(pkt.payload, big_payload, 10);
	assert_int_equal(pkt.ttl, 33);
	free(f);
}

static void test_truncated_headers_short_capture(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	uint32_t caplen;

	(void)state;
	fill_big_payload();
	seg_v4(&s);
	s.payload = big_payload;
	s.payload_len = sizeof(big_payload);
	s.timestamps = true;
	s.has_wscale = true;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	/* Every cut inside the link, IP or TCP headers (options included)
	 * of a frame that was longer on the wire. */
	for (caplen = 0; caplen < f->payload_off; caplen++) {
		memset(&pkt, 0, sizeof(pkt));
		if (fst_decode_frame(PB_DLT_EN10MB, f->b, caplen, (uint32_t)f->len, &pkt) !=
		    FST_DECODE_SHORT_CAPTURE)
			fail_msg("caplen %u of %zu (headers end at %zu): "
				 "expected short_capture",
				 caplen, f->len, f->payload_off);
	}

	seg_v6(&s);
	s.payload = big_payload;
	s.payload_len = sizeof(big_payload);
	s.n_ext = 2;
	s.ext[0].type = PB_EXT_HOPOPTS;
	s.ext[1].type = PB_EXT_DSTOPTS;
	pb_build(f, PB_DLT_LINUX_SLL2, NULL, &s);
	for (caplen = 0; caplen < f->payload_off; caplen++) {
		memset(&pkt, 0, sizeof(pkt));
		if (fst_decode_frame(PB_DLT_LINUX_SLL2, f->b, caplen, (uint32_t)f->len, &pkt) !=
		    FST_DECODE_SHORT_CAPTURE)
			fail_msg("v6 caplen %u of %zu: expected short_capture", caplen, f->len);
	}
	free(f);
}

static void test_cut_frames_not_tcp_when_whole(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	enum fst_decode_result r;
	uint32_t len;

	(void)state;
	/* The same cuts, but the frame really was that short on the wire:
	 * malformed, never TCP and never "cut by the snaplen". */
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	for (len = 0; len < f->payload_off; len++) {
		memset(&pkt, 0, sizeof(pkt));
		r = fst_decode_frame(PB_DLT_EN10MB, f->b, len, len, &pkt);
		if (r == FST_DECODE_TCP || r == FST_DECODE_SHORT_CAPTURE)
			fail_msg("len %u: got %s", len, fst_decode_result_name(r));
	}
	free(f);
}

/* Random mutations of valid frames: must never crash or read outside
 * the frame (run under ASan with FTPSTALL_SANITIZE=ON). */
static void test_decode_mutation_smoke(void **state)
{
	static const int types[] = { PB_DLT_EN10MB, PB_DLT_LINUX_SLL, PB_DLT_LINUX_SLL2,
				     PB_DLT_NULL,   PB_DLT_LOOP,      PB_DLT_RAW };
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s;
	unsigned seed = 12345;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		int lt = types[i % 6];
		uint8_t *copy;
		size_t flips, k;
		uint32_t caplen;
		enum fst_decode_result r;

		if (i & 1)
			seg_v4(&s);
		else
			seg_v6(&s);
		if ((i & 6) == 2) {
			s.n_ext = 2;
			s.ext[0].type = PB_EXT_HOPOPTS;
			s.ext[1].type = PB_EXT_DSTOPTS;
		}
		s.timestamps = (i & 8) != 0;
		pb_build(f, lt, NULL, &s);
		flips = 1 + (size_t)(rand_r(&seed) % 4);
		for (k = 0; k < flips; k++)
			f->b[(size_t)rand_r(&seed) % f->len] = (uint8_t)rand_r(&seed);
		caplen = (uint32_t)((size_t)rand_r(&seed) % (f->len + 1));
		/* An exact-size heap copy so ASan sees any overread. */
		copy = malloc(caplen ? caplen : 1);
		assert_non_null(copy);
		memcpy(copy, f->b, caplen);
		r = fst_decode_frame(lt, copy, caplen, (uint32_t)f->len, &pkt);
		if (r == FST_DECODE_TCP) {
			assert_true(pkt.payload_caplen <= pkt.payload_len);
			if (pkt.payload_caplen)
				assert_true(pkt.payload >= copy &&
					    pkt.payload + pkt.payload_caplen <= copy + caplen);
		}
		assert_true((unsigned)r < FST_DECODE_RESULT_COUNT);
		free(copy);
	}
	free(f);
}

/* ------------------------------------------------------------------ */
/* tunnels: IP in IP (protocol 4) and IPv6 in IP (41, "sit", 6in4) */

/* Puts an outer IP header (family 4 or 6, next protocol proto) in front
 * of the IP packet f holds, as a tunnel endpoint does; the outer TTL
 * (200) differs from the inner one on purpose. */
static void tunnel_wrap(struct pb_frame *f, uint8_t family, uint8_t proto)
{
	uint8_t h[40] = { 0 };
	size_t n = family == 6 ? 40 : 20;

	assert_true(f->len + n <= PB_FRAME_MAX);
	if (family == 6) {
		h[0] = 0x60;
		put16(h + 4, (uint16_t)f->len);
		h[6] = proto;
		h[7] = 200;
		memcpy(h + 8, pb_addr("2001:db8:ffff::1").bytes, 16);
		memcpy(h + 24, pb_addr("2001:db8:ffff::2").bytes, 16);
	} else {
		h[0] = 0x45;
		put16(h + 2, (uint16_t)(f->len + n));
		h[8] = 200;
		h[9] = proto;
		memcpy(h + 12, pb_addr("203.0.113.1").bytes, 4);
		memcpy(h + 16, pb_addr("203.0.113.2").bytes, 4);
		put16(h + 10, pb_inet_checksum(h, 20, 0));
	}
	memmove(f->b + n, f->b, f->len);
	memcpy(f->b, h, n);
	f->len += n;
	f->l4_off += n;
	f->payload_off += n;
	f->family = family;
	f->l3_off = 0;
}

/* The inner segment of an IPv6-in-IPv4 (mode sit) and an IP-in-IP
 * (mode ipip) tunnel decodes like a plain one, on every link type, with
 * the inner addresses and TTL; so do IPv4 in IPv6 and two levels. */
static void test_decode_tunnels(void **state)
{
	static const int links[] = { PB_DLT_EN10MB, PB_DLT_LINUX_SLL, PB_DLT_RAW, PB_DLT_IPV4 };
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s4, s6;

	(void)state;
	seg_v4(&s4);
	seg_v6(&s6);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		assert_int_equal(pb_build_ip(f, &s6), 0);
		tunnel_wrap(f, 4, 41);
		assert_int_equal(pb_wrap(f, links[i], NULL), 0);
		assert_int_equal(decode(links[i], f, &pkt), FST_DECODE_TCP);
		assert_decoded(&pkt, &s6, f);
		assert_int_equal(pkt.tunnel_depth, 1);

		assert_int_equal(pb_build_ip(f, &s4), 0);
		tunnel_wrap(f, 4, 4);
		assert_int_equal(pb_wrap(f, links[i], NULL), 0);
		assert_int_equal(decode(links[i], f, &pkt), FST_DECODE_TCP);
		assert_decoded(&pkt, &s4, f);
		assert_int_equal(pkt.tunnel_depth, 1);
	}
	/* IPv4 in IPv6 (ip6tnl), and two levels: 6in4 inside IP-in-IP. */
	assert_int_equal(pb_build_ip(f, &s4), 0);
	tunnel_wrap(f, 6, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_EN10MB, NULL), 0);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s4, f);
	assert_int_equal(pb_build_ip(f, &s6), 0);
	tunnel_wrap(f, 4, 41);
	tunnel_wrap(f, 4, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_EN10MB, NULL), 0);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_decoded(&pkt, &s6, f);
	assert_int_equal(pkt.tunnel_depth, 2);
	/* A plain packet says it was not tunnelled. */
	pb_build(f, PB_DLT_EN10MB, NULL, &s4);
	assert_int_equal(decode(PB_DLT_EN10MB, f, &pkt), FST_DECODE_TCP);
	assert_int_equal(pkt.tunnel_depth, 0);
	free(f);
}

/* A crafted nest of tunnels ends at a fixed depth; the outer header's
 * length bounds the inner packet (an inner header that claims more is
 * a length lie, one cut by the snaplen a short capture); an inner
 * fragment stays a fragment and an inner UDP packet is not TCP. */
static void test_decode_tunnels_malformed(void **state)
{
	struct pb_frame *f = frame_new();
	struct fst_packet pkt;
	struct pb_seg s4;
	size_t inner_len;

	(void)state;
	seg_v4(&s4);
	assert_int_equal(pb_build_ip(f, &s4), 0);
	for (int i = 0; i < 3; i++)
		tunnel_wrap(f, 4, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_RAW, NULL), 0);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_TUNNEL_TOO_DEEP);

	/* The outer header says the inner packet is shorter than it claims. */
	assert_int_equal(pb_build_ip(f, &s4), 0);
	inner_len = f->len;
	tunnel_wrap(f, 4, 4);
	put16(f->b + 2, (uint16_t)(20 + inner_len - 4));
	f->len -= 4;
	assert_int_equal(pb_wrap(f, PB_DLT_RAW, NULL), 0);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_BAD_IP_LENGTH);

	/* Cut by the snaplen inside the inner header. */
	assert_int_equal(pb_build_ip(f, &s4), 0);
	tunnel_wrap(f, 4, 4);
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(fst_decode_frame(PB_DLT_RAW, f->b, 30, (uint32_t)f->len, &pkt),
			 FST_DECODE_SHORT_CAPTURE);
	/* An empty tunnel: the outer header and nothing after it. */
	put16(f->b + 2, 20);
	assert_int_equal(fst_decode_frame(PB_DLT_RAW, f->b, 20, 20, &pkt), FST_DECODE_BAD_IPV4);

	/* An inner fragment, and an inner UDP datagram. */
	s4.ipv4_frag = 0x2000;
	assert_int_equal(pb_build_ip(f, &s4), 0);
	tunnel_wrap(f, 4, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_RAW, NULL), 0);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_FRAGMENT);
	seg_v4(&s4);
	s4.proto = 17;
	assert_int_equal(pb_build_ip(f, &s4), 0);
	tunnel_wrap(f, 6, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_RAW, NULL), 0);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_NOT_TCP);
	/* An IPv6 header inside protocol 4 is not an IPv4 header. */
	seg_v4(&s4);
	{
		struct pb_seg s6;

		seg_v6(&s6);
		assert_int_equal(pb_build_ip(f, &s6), 0);
	}
	tunnel_wrap(f, 4, 4);
	assert_int_equal(pb_wrap(f, PB_DLT_RAW, NULL), 0);
	assert_int_equal(decode(PB_DLT_RAW, f, &pkt), FST_DECODE_BAD_IPV4);
	free(f);
}

static void test_decode_result_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < FST_DECODE_RESULT_COUNT; i++) {
		const char *a = fst_decode_result_name((enum fst_decode_result)i);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(a,
						fst_decode_result_name((enum fst_decode_result)j));
	}
}

/* ------------------------------------------------------------------ */
/* capture files */

static char tmpdir[64];

static int files_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fst_test_capture_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int files_teardown(void **state)
{
	char cmd[128];

	(void)state;
	/* Only our own mkdtemp directory. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	return buf;
}

/* Writes a segment with seq = n at time n seconds. */
static void write_seq_frame(struct pcapw *w, int linktype, uint32_t n)
{
	struct pb_frame *f = frame_new();
	struct pb_seg s;

	seg_v4(&s);
	s.seq = n;
	pb_build(f, linktype, NULL, &s);
	assert_int_equal(pcapw_write_frame(w, (int64_t)n * FST_US_PER_SEC, f), 0);
	free(f);
}

static struct fst_capture *open_one(const char *path, char *errbuf)
{
	const char *paths[1] = { path };

	errbuf[0] = '\0';
	return fst_capture_open_files(paths, 1, errbuf);
}

static void test_file_link_types(void **state)
{
	static const uint32_t types[] = { PB_DLT_EN10MB, PB_DLT_LINUX_SLL, PB_DLT_LINUX_SLL2,
					  PB_DLT_NULL,	 PB_DLT_LOOP,	   PB_LINKTYPE_RAW,
					  PB_DLT_IPV4 };
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		print_message("file link type %u\n", types[i]);
		tmp_path(path, sizeof(path), "lt.pcap");
		w = pcapw_open(path, types[i], 65535);
		assert_non_null(w);
		write_seq_frame(w, (int)types[i], 7);
		assert_int_equal(pcapw_close(w), 0);
		cap = open_one(path, errbuf);
		if (!cap)
			fail_msg("open failed: %s", errbuf);
		assert_int_equal(fst_capture_next(cap, &pkt), 1);
		assert_int_equal(pkt.seq, 7);
		assert_int_equal(pkt.ts_us, 7 * FST_US_PER_SEC);
		assert_int_equal(pkt.src_port, 54321);
		assert_int_equal(pkt.payload_len, sizeof(payload_text) - 1);
		assert_memory_equal(pkt.payload, payload_text, sizeof(payload_text) - 1);
		assert_int_equal(fst_capture_next(cap, &pkt), -1);
		fst_capture_free(cap);
	}
}

/* Each file's own read buffer starts on a page and is whole pages: the
 * kernel copies into a buffer that straddles pages several times slower
 * (docs/performance.md). Past a few hundred files, stdio's own. */
static void assert_read_buffers_aligned(const struct fst_capture *cap, size_t count)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = 1;

	for (size_t i = 0; i < count; i++) {
		const void *buf = fst_capture_read_buffer(cap, i, &size);

		if (count >= 600) {
			assert_null(buf);
			assert_int_equal(size, 0);
			continue;
		}
		assert_non_null(buf);
		assert_int_equal((uintptr_t)buf % page, 0);
		assert_true(size >= 16 << 10 && size <= 256 << 10);
		assert_int_equal(size % page, 0);
	}
	assert_null(fst_capture_read_buffer(cap, count, &size));
	assert_int_equal(size, 0);
}

/* A file is read through a stdio buffer of its own (src/capture/source.c):
 * records that straddle its refills must come out whole and in order. */
static void test_file_larger_than_read_buffer(void **state)
{
	enum {
		FRAMES = 15000
	};
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	struct stat st;
	uint32_t n, expect = 1;

	(void)state;
	tmp_path(path, sizeof(path), "big.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (n = 1; n <= FRAMES; n++)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 2 * (256 << 10));

	cap = open_one(path, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	assert_read_buffers_aligned(cap, 1);
	while (fst_capture_next(cap, &pkt) == 1) {
		assert_int_equal(pkt.seq, expect);
		assert_int_equal(pkt.payload_len, sizeof(payload_text) - 1);
		assert_memory_equal(pkt.payload, payload_text, sizeof(payload_text) - 1);
		expect++;
	}
	assert_int_equal(expect, FRAMES + 1);
	assert_string_equal(fst_capture_warnings(cap), "");
	fst_capture_free(cap);
}

/* What a capture yields, folded into a few numbers to compare. */
struct read_digest {
	uint64_t packets, hash;
	struct fst_capture_stats stats;
	char warnings[512]; /* each line without its "FILE: " */
};

static void hash_bytes(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		*h = (*h ^ b[i]) * 0x100000001b3u;
}

/* Reads path ("-": standard input, which libpcap alone reads) to its end. */
static void read_digest(const char *path, struct read_digest *d)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap = open_one(path, errbuf);
	struct fst_packet pkt;
	const char *w;
	size_t used = 0;

	if (!cap)
		fail_msg("open %s failed: %s", path, errbuf);
	memset(d, 0, sizeof(*d));
	d->hash = 0xcbf29ce484222325u;
	while (fst_capture_next(cap, &pkt) == 1) {
		d->packets++;
		hash_bytes(&d->hash, &pkt.ts_us, sizeof(pkt.ts_us));
		hash_bytes(&d->hash, &pkt.seq, sizeof(pkt.seq));
		hash_bytes(&d->hash, &pkt.payload_len, sizeof(pkt.payload_len));
		hash_bytes(&d->hash, &pkt.payload_caplen, sizeof(pkt.payload_caplen));
		hash_bytes(&d->hash, pkt.payload, pkt.payload_caplen);
	}
	d->stats = *fst_capture_stats(cap);
	for (w = fst_capture_warnings(cap); *w;) {
		const char *colon = strstr(w, ": "), *nl = strchr(w, '\n');
		size_t n;

		assert_non_null(colon);
		assert_non_null(nl);
		n = (size_t)(nl + 1 - (colon + 2));
		assert_true(used + n < sizeof(d->warnings));
		memcpy(d->warnings + used, colon + 2, n);
		used += n;
		w = nl + 1;
	}
	d->warnings[used] = '\0';
	fst_capture_free(cap);
}

static void put_record(uint8_t *buf, size_t *len, uint32_t sec, uint32_t usec, const void *frame,
		       uint32_t caplen, uint32_t wirelen)
{
	const uint32_t h[4] = { sec, usec, caplen, wirelen };

	memcpy(buf + *len, h, sizeof(h));
	memcpy(buf + *len + sizeof(h), frame, caplen);
	*len += sizeof(h) + caplen;
}

/* Classic pcap files are read in blocks without libpcap's record reader
 * (src/capture/pcapblock.c) until a record libpcap might read otherwise;
 * from there libpcap reads. Whatever a file holds, what comes out must be
 * what libpcap alone makes of it (standard input is read by libpcap
 * alone): records that straddle blocks; then one longer than the
 * snapshot length (libpcap cuts it), one with a time libpcap might read
 * otherwise, more records, and a last one cut short by the end of the
 * file (libpcap's warning). */
static void test_file_blocks_read_as_libpcap_does(void **state)
{
	enum {
		RECORDS = 12000,
		SNAPLEN = 200
	};
	static const uint32_t file_header[6] = { 0xa1b2c3d4, 2 | (4 << 16), 0,
						 0,	     SNAPLEN,	    PB_DLT_EN10MB };
	char path[128];
	struct pb_frame *f = frame_new();
	struct read_digest blocks, pcap;
	uint8_t big[400] = { 0 };
	size_t len = 0, cap = sizeof(file_header) + (RECORDS + 10) * (16 + 400);
	uint8_t *buf = malloc(cap);
	struct pb_seg s;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, file_header, sizeof(file_header));
	len = sizeof(file_header);
	seg_v4(&s);
	for (uint32_t n = 1; n <= RECORDS; n++) {
		s.seq = n;
		/* Payloads of varying length, so records end anywhere in a block. */
		s.payload_len = 1 + n % (sizeof(payload_text) - 1);
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		put_record(buf, &len, 1000 + n, n % 1000000, f->b, (uint32_t)f->len,
			   (uint32_t)f->len);
		if (n == RECORDS - 3) {
			memcpy(big, f->b, f->len);
			put_record(buf, &len, 1000 + n, 1, big, sizeof(big), sizeof(big));
			put_record(buf, &len, 1000 + n, 1500000, f->b, (uint32_t)f->len,
				   (uint32_t)f->len);
		}
	}
	/* Cut short: 10 of its bytes. */
	put_record(buf, &len, 99999, 0, f->b, (uint32_t)f->len, (uint32_t)f->len);
	len -= f->len - 10;
	tmp_path(path, sizeof(path), "blocks.pcap");
	assert_int_equal(pcapw_write_file(path, buf, len), 0);
	assert_true(len > 2 * (256 << 10));

	read_digest(path, &blocks);
	assert_non_null(freopen(path, "rb", stdin));
	read_digest("-", &pcap);
	assert_int_equal(blocks.packets, pcap.packets);
	assert_true(blocks.packets >= RECORDS);
	assert_int_equal(blocks.hash, pcap.hash);
	assert_memory_equal(&blocks.stats, &pcap.stats, sizeof(pcap.stats));
	assert_int_equal(pcap.stats.truncated_frames, 1);
	assert_string_equal(blocks.warnings, pcap.warnings);
	assert_non_null(strstr(pcap.warnings, "truncated dump file"));
	free(buf);
	free(f);
}

/* fst_capture_progress counts what was consumed of the file, not what
 * stdio read ahead; at the end it is the whole file. */
static void test_file_progress_half_way(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	uint64_t read = 0, total = 0, half_read;
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	struct stat st;
	uint32_t n;

	(void)state;
	tmp_path(path, sizeof(path), "progress.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (n = 1; n <= 10000; n++)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	cap = open_one(path, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	for (n = 0; n < 5000; n++)
		assert_int_equal(fst_capture_next(cap, &pkt), 1);
	fst_capture_progress(cap, &half_read, &total);
	assert_int_equal(total, (uint64_t)st.st_size);
	/* About half, within one read-ahead record. */
	assert_true(half_read > (uint64_t)st.st_size / 2 - 200);
	assert_true(half_read < (uint64_t)st.st_size / 2 + 200);
	while (fst_capture_next(cap, &pkt) == 1)
		continue;
	fst_capture_progress(cap, &read, &total);
	assert_int_equal(read, (uint64_t)st.st_size);
	fst_capture_free(cap);
}

static bool keep_all(void *ctx, const struct fst_packet *pkt)
{
	(void)pkt;
	return ++*(unsigned *)ctx > 0;
}

/* A set cancel flag stops an extract before it writes a frame. */
static void test_extract_cancel(void **state)
{
	char path[128], out_path[128], errbuf[FST_ERRBUF_SIZE];
	const char *paths[1];
	volatile sig_atomic_t cancel = 0;
	uint64_t written = 99;
	unsigned kept = 0;
	struct pcapw *w;
	FILE *out;

	(void)state;
	paths[0] = tmp_path(path, sizeof(path), "extract.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (uint32_t n = 1; n <= 100; n++)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);

	out = fopen(tmp_path(out_path, sizeof(out_path), "extract.out"), "wb");
	assert_non_null(out);
	assert_int_equal(fst_capture_extract(paths, 1, out, keep_all, NULL, &kept, &cancel,
					     &written, errbuf),
			 FST_OK);
	assert_int_equal(written, 100);

	cancel = 1;
	kept = 0;
	out = fopen(out_path, "wb");
	assert_non_null(out);
	assert_int_equal(fst_capture_extract(paths, 1, out, keep_all, NULL, &kept, &cancel,
					     &written, errbuf),
			 FST_ERR_CANCELLED);
	assert_int_equal(written, 0);
	assert_int_equal(kept, 0);
	assert_string_equal(errbuf, "interrupted");
}

/* The read buffers of files read at once share a fixed total; past a
 * few hundred files each is read with stdio's default buffer instead.
 * Both ways must merge the same. */
static void test_many_files_share_read_buffers(void **state)
{
	static const size_t counts[] = { 3, 40, 600 };
	char errbuf[FST_ERRBUF_SIZE], name[32];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	char(*paths)[128];
	const char **path_list;

	(void)state;
	paths = calloc(600, sizeof(*paths));
	path_list = calloc(600, sizeof(*path_list));
	assert_non_null(paths);
	assert_non_null(path_list);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t count = counts[c];
		uint32_t expect = 1;

		print_message("%zu files\n", count);
		/* File i holds the frame for time count - i: the last file given
		 * comes first. */
		for (size_t i = 0; i < count; i++) {
			snprintf(name, sizeof(name), "rot%zu.pcap", i);
			tmp_path(paths[i], sizeof(paths[i]), name);
			path_list[i] = paths[i];
			w = pcapw_open(paths[i], PB_DLT_EN10MB, 65535);
			assert_non_null(w);
			write_seq_frame(w, PB_DLT_EN10MB, (uint32_t)(count - i));
			assert_int_equal(pcapw_close(w), 0);
		}
		cap = fst_capture_open_files(path_list, count, errbuf);
		if (!cap)
			fail_msg("open of %zu files failed: %s", count, errbuf);
		assert_read_buffers_aligned(cap, count);
		while (fst_capture_next(cap, &pkt) == 1) {
			assert_int_equal(pkt.seq, expect);
			expect++;
		}
		assert_int_equal(expect, count + 1);
		fst_capture_free(cap);
	}
	free(path_list);
	free(paths);
}

static void test_files_merge_in_time_order(void **state)
{
	char a[128], b[128], errbuf[FST_ERRBUF_SIZE];
	const char *paths[2];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	const char *name;
	uint32_t n, expect = 1;
	int64_t last = 0;

	(void)state;
	tmp_path(a, sizeof(a), "odd.pcap");
	tmp_path(b, sizeof(b), "even.pcap");
	w = pcapw_open(a, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (n = 1; n <= 9; n += 2)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);
	/* The second file in another link type, to be sure each file keeps
	 * its own decoder. */
	w = pcapw_open(b, PB_DLT_LINUX_SLL, 65535);
	assert_non_null(w);
	for (n = 2; n <= 10; n += 2)
		write_seq_frame(w, PB_DLT_LINUX_SLL, n);
	assert_int_equal(pcapw_close(w), 0);

	/* Given in the "wrong" order on purpose. */
	paths[0] = b;
	paths[1] = a;
	cap = fst_capture_open_files(paths, 2, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1) {
		assert_int_equal(pkt.seq, expect);
		assert_true(pkt.ts_us >= last);
		last = pkt.ts_us;
		expect++;
	}
	assert_int_equal(expect, 11);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_int_equal(fst_capture_stats(cap)->frames, 10);
	assert_int_equal(fst_capture_stats(cap)->tcp_packets, 10);
	assert_int_equal(fst_capture_stats(cap)->time_went_back, 0);
	assert_string_equal(fst_capture_warnings(cap), "");
	name = fst_capture_source_name(cap);
	assert_non_null(strstr(name, "odd.pcap"));
	assert_non_null(strstr(name, "even.pcap"));
	fst_capture_free(cap);
}

/* Writes frames with seq = time = each of seqs[0..n) to a new file. */
static void write_seq_list(const char *path, const uint32_t *seqs, size_t n)
{
	struct pcapw *w = pcapw_open(path, PB_DLT_EN10MB, 65535);

	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		write_seq_frame(w, PB_DLT_EN10MB, seqs[i]);
	assert_int_equal(pcapw_close(w), 0);
}

/* Reads path to its end; returns the seqs of the packets, as digits. */
static const char *read_seqs(const char *path, struct fst_capture **cap_out, char *out, size_t size)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap = open_one(path, errbuf);
	struct fst_packet pkt;
	size_t used = 0;

	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1 && used + 1 < size)
		out[used++] = (char)('0' + pkt.seq % 10);
	out[used] = '\0';
	*cap_out = cap;
	return out;
}

/* Two copies of a capture in one file: the second is skipped, counted,
 * and said once. */
static void test_file_repeated_copy_skipped(void **state)
{
	static const uint32_t seqs[] = { 1, 2, 3, 1, 2, 3, 1, 2, 3 };
	char path[128], got[32], want[FST_ERRBUF_SIZE];
	struct fst_capture *cap;

	(void)state;
	tmp_path(path, sizeof(path), "twice.pcap");
	write_seq_list(path, seqs, 6);
	assert_string_equal(read_seqs(path, &cap, got, sizeof(got)), "123");
	assert_int_equal(fst_capture_stats(cap)->frames, 6);
	assert_int_equal(fst_capture_stats(cap)->tcp_packets, 3);
	assert_int_equal(fst_capture_stats(cap)->repeated_frames, 3);
	assert_int_equal(fst_capture_stats(cap)->time_went_back, 0);
	snprintf(want, sizeof(want),
		 "%s: records 4 to 6 repeat its first 3 records (the file holds its capture "
		 "more than once); the repeat was skipped\n",
		 path);
	assert_string_equal(fst_capture_warnings(cap), want);
	fst_capture_free(cap);

	/* Three copies: one repeat, one warning. */
	write_seq_list(path, seqs, 9);
	assert_string_equal(read_seqs(path, &cap, got, sizeof(got)), "123");
	assert_int_equal(fst_capture_stats(cap)->repeated_frames, 6);
	assert_non_null(strstr(fst_capture_warnings(cap), "records 4 to 9 repeat"));
	assert_null(strchr(strchr(fst_capture_warnings(cap), '\n') + 1, '\n'));
	fst_capture_free(cap);
}

/* A repeat ends where the file stops agreeing with its start: nothing
 * that differs is skipped. A step back to the first record's time that
 * is not that record is a clock step, clamped as before. */
static void test_file_repeat_only_while_equal(void **state)
{
	static const uint32_t diverges[] = { 1, 2, 3, 1, 2, 7 };
	static const uint32_t step[] = { 1, 2, 3 };
	char path[128], got[32];
	struct fst_capture *cap;
	struct pcapw *w;

	(void)state;
	tmp_path(path, sizeof(path), "diverges.pcap");
	write_seq_list(path, diverges, 6);
	assert_string_equal(read_seqs(path, &cap, got, sizeof(got)), "1237");
	assert_int_equal(fst_capture_stats(cap)->repeated_frames, 2);
	assert_non_null(strstr(fst_capture_warnings(cap), "records 4 to 5 repeat its first 2"));
	fst_capture_free(cap);

	/* Same time and length as the first record, other bytes. */
	tmp_path(path, sizeof(path), "step.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (size_t i = 0; i < 3; i++)
		write_seq_frame(w, PB_DLT_EN10MB, step[i]);
	{
		struct pb_frame *f = frame_new();
		struct pb_seg s;

		seg_v4(&s);
		s.seq = 9;
		pb_build(f, PB_DLT_EN10MB, NULL, &s);
		assert_int_equal(pcapw_write_frame(w, FST_US_PER_SEC, f), 0);
		free(f);
	}
	assert_int_equal(pcapw_close(w), 0);
	assert_string_equal(read_seqs(path, &cap, got, sizeof(got)), "1239");
	assert_int_equal(fst_capture_stats(cap)->repeated_frames, 0);
	assert_int_equal(fst_capture_stats(cap)->time_went_back, 1);
	assert_string_equal(fst_capture_warnings(cap), "");
	fst_capture_free(cap);
}

static void test_file_time_going_back_is_clamped(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;

	(void)state;
	tmp_path(path, sizeof(path), "back.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	write_seq_frame(w, PB_DLT_EN10MB, 5);
	write_seq_frame(w, PB_DLT_EN10MB, 3);
	write_seq_frame(w, PB_DLT_EN10MB, 6);
	assert_int_equal(pcapw_close(w), 0);
	cap = open_one(path, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.ts_us, 5 * FST_US_PER_SEC);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.seq, 3);
	assert_int_equal(pkt.ts_us, 5 * FST_US_PER_SEC);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.ts_us, 6 * FST_US_PER_SEC);
	assert_int_equal(fst_capture_stats(cap)->time_went_back, 1);
	fst_capture_free(cap);
}

/* Writes a pcapng file of one interface (microsecond resolution) and one
 * Enhanced Packet Block with the raw 64-bit timestamp ts. */
static void write_pcapng_one(const char *path, uint32_t linktype, uint64_t ts,
			     const struct pb_frame *f)
{
	FILE *fp = fopen(path, "wb");
	uint32_t pad = (uint32_t)((4 - f->len % 4) % 4);
	uint32_t epb_len = 32 + (uint32_t)f->len + pad;
	const uint32_t shb[7] = {
		0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff, 28
	};
	const uint32_t idb[5] = { 1, 20, linktype & 0xffff, 65535, 20 };
	const uint32_t epb[7] = { 6,
				  epb_len,
				  0,
				  (uint32_t)(ts >> 32),
				  (uint32_t)ts,
				  (uint32_t)f->len,
				  (uint32_t)f->len };
	const uint8_t zeros[4] = { 0 };

	assert_non_null(fp);
	/* SHB: version 1.0 little-endian host, section length unknown. */
	assert_int_equal(fwrite(shb, 4, 7, fp), 7);
	assert_int_equal(fwrite(idb, 4, 5, fp), 5);
	assert_int_equal(fwrite(epb, 4, 7, fp), 7);
	assert_int_equal(fwrite(f->b, 1, f->len, fp), f->len);
	assert_int_equal(fwrite(zeros, 1, pad, fp), pad);
	assert_int_equal(fwrite(&epb_len, 4, 1, fp), 1);
	assert_int_equal(fclose(fp), 0);
}

/* A pcapng timestamp far past any real time is clamped into the range
 * that keeps time arithmetic free of overflow (a fuzzer once reached
 * signed overflow in "packet time + 120 s" through such a file). */
static void test_file_time_beyond_range_is_clamped(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pb_seg s;

	(void)state;
	tmp_path(path, sizeof(path), "far.pcapng");
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	write_pcapng_one(path, PB_DLT_EN10MB, UINT64_MAX - 5, f);
	free(f);
	cap = open_one(path, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_true(pkt.ts_us <= FST_TS_LIMIT_US);
	assert_true(pkt.ts_us > FST_TS_LIMIT_US - 2 * FST_US_PER_SEC);
	fst_capture_free(cap);
}

static void test_file_truncated_mid_record(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	struct pb_seg s;
	const char *warn;

	(void)state;
	tmp_path(path, sizeof(path), "cut.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	write_seq_frame(w, PB_DLT_EN10MB, 1);
	write_seq_frame(w, PB_DLT_EN10MB, 2);
	write_seq_frame(w, PB_DLT_EN10MB, 3);
	seg_v4(&s);
	s.seq = 4;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	assert_int_equal(pcapw_write_cut(w, 4 * FST_US_PER_SEC, f->b, (uint32_t)f->len,
					 (uint32_t)f->len, 20),
			 0);
	assert_int_equal(pcapw_close(w), 0);

	cap = open_one(path, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.seq, 1);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.seq, 3);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	warn = fst_capture_warnings(cap);
	assert_non_null(warn);
	assert_true(warn[0] != '\0');
	assert_non_null(strstr(warn, path));
	assert_int_equal(fst_capture_stats(cap)->frames, 3);
	fst_capture_free(cap);
	free(f);
}

static void test_file_truncated_in_record_header(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	FILE *fp;

	(void)state;
	tmp_path(path, sizeof(path), "cuthdr.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	write_seq_frame(w, PB_DLT_EN10MB, 1);
	assert_int_equal(pcapw_close(w), 0);
	/* Half a record header after the good record. */
	fp = fopen(path, "ab");
	assert_non_null(fp);
	assert_int_equal(fwrite("\x01\x02\x03\x04\x05\x06\x07\x08", 1, 8, fp), 8);
	assert_int_equal(fclose(fp), 0);

	cap = open_one(path, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_non_null(strstr(fst_capture_warnings(cap), path));
	fst_capture_free(cap);
}

static void test_file_truncated_one_of_two(void **state)
{
	char a[128], b[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	const char *paths[2];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	struct pb_seg s;
	int n = 0;

	(void)state;
	/* a: 1, 3, then cut in the record for 5. b: 2, 4, 6, 8. The merged
	 * stream goes on with b after a ends. */
	tmp_path(a, sizeof(a), "cut_a.pcap");
	tmp_path(b, sizeof(b), "whole_b.pcap");
	w = pcapw_open(a, PB_DLT_EN10MB, 65535);
	write_seq_frame(w, PB_DLT_EN10MB, 1);
	write_seq_frame(w, PB_DLT_EN10MB, 3);
	seg_v4(&s);
	s.seq = 5;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_cut(w, 5 * FST_US_PER_SEC, f->b, (uint32_t)f->len, (uint32_t)f->len, 30);
	assert_int_equal(pcapw_close(w), 0);
	w = pcapw_open(b, PB_DLT_EN10MB, 65535);
	write_seq_frame(w, PB_DLT_EN10MB, 2);
	write_seq_frame(w, PB_DLT_EN10MB, 4);
	write_seq_frame(w, PB_DLT_EN10MB, 6);
	write_seq_frame(w, PB_DLT_EN10MB, 8);
	assert_int_equal(pcapw_close(w), 0);

	paths[0] = a;
	paths[1] = b;
	cap = fst_capture_open_files(paths, 2, errbuf);
	assert_non_null(cap);
	while (fst_capture_next(cap, &pkt) == 1)
		n++;
	assert_int_equal(n, 6);
	assert_non_null(strstr(fst_capture_warnings(cap), a));
	assert_null(strstr(fst_capture_warnings(cap), b));
	fst_capture_free(cap);
	free(f);
}

static void assert_open_fails(const char *path)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;

	memset(errbuf, 0, sizeof(errbuf));
	cap = open_one(path, errbuf);
	if (cap) {
		fst_capture_free(cap);
		fail_msg("%s: opened, expected a refusal", path);
	}
	print_message("%s -> %s\n", path, errbuf);
	if (!strstr(errbuf, path))
		fail_msg("errbuf '%s' does not name '%s'", errbuf, path);
}

/* ---- gzip-compressed files (tcpdump -z gzip) ---------------------- */

/* gzip -c src > dst, with the shell: the way the files are made. */
static void gzip_file(const char *src, const char *dst)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
}

/* Keeps the first keep bytes of path. */
static void cut_file(const char *path, off_t keep)
{
	assert_int_equal(truncate(path, keep), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Writes frames 1..count, time n s for frame n. */
static void write_seq_file(const char *path, uint32_t count)
{
	struct pcapw *w = pcapw_open(path, PB_DLT_EN10MB, 65535);

	assert_non_null(w);
	for (uint32_t n = 1; n <= count; n++)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);
}

/* A gzipped capture, recognised by its magic (the name says .pcap), gives
 * the plain file's packets, one by one, across many refills of both the
 * compressed input and the decompressed stream. */
static void test_file_gzip_same_packets(void **state)
{
	enum {
		FRAMES = 15000
	};
	char plain[128], zipped[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *a, *b;
	struct fst_packet pa, pb;
	uint32_t count = 0;

	(void)state;
	tmp_path(plain, sizeof(plain), "plain.pcap");
	tmp_path(zipped, sizeof(zipped), "zipped-no-suffix.pcap");
	write_seq_file(plain, FRAMES);
	gzip_file(plain, zipped);
	assert_true(file_size(zipped) < file_size(plain));

	a = open_one(plain, errbuf);
	if (!a)
		fail_msg("open failed: %s", errbuf);
	b = open_one(zipped, errbuf);
	if (!b)
		fail_msg("open of the gzip file failed: %s", errbuf);
	for (;;) {
		int ra = fst_capture_next(a, &pa), rb = fst_capture_next(b, &pb);

		assert_int_equal(ra, rb);
		if (ra != 1)
			break;
		count++;
		assert_int_equal(pa.seq, pb.seq);
		assert_int_equal(pa.ts_us, pb.ts_us);
		assert_int_equal(pa.payload_len, pb.payload_len);
		assert_memory_equal(pa.payload, pb.payload, pa.payload_caplen);
	}
	assert_int_equal(count, FRAMES);
	assert_string_equal(fst_capture_warnings(b), "");
	assert_int_equal(fst_capture_stats(b)->frames, FRAMES);
	fst_capture_free(a);
	fst_capture_free(b);
}

/* A rotated set with one file gzipped (tcpdump -z gzip has done the old
 * one) and one not: merged in time order as if both were plain. */
static void test_file_gzip_in_rotated_set(void **state)
{
	char a[128], agz[128], b[128], errbuf[FST_ERRBUF_SIZE];
	const char *paths[2];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	uint32_t n, expect = 1;

	(void)state;
	tmp_path(a, sizeof(a), "rot-odd.pcap");
	tmp_path(agz, sizeof(agz), "rot-odd.pcap.gz");
	tmp_path(b, sizeof(b), "rot-even.pcap");
	w = pcapw_open(a, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (n = 1; n <= 9; n += 2)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);
	gzip_file(a, agz);
	w = pcapw_open(b, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	for (n = 2; n <= 10; n += 2)
		write_seq_frame(w, PB_DLT_EN10MB, n);
	assert_int_equal(pcapw_close(w), 0);

	paths[0] = b;
	paths[1] = agz;
	cap = fst_capture_open_files(paths, 2, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1)
		assert_int_equal(pkt.seq, expect++);
	assert_int_equal(expect, 11);
	assert_string_equal(fst_capture_warnings(cap), "");
	fst_capture_free(cap);
}

/* A .gz cut short: the packets before the cut, then the end of input with
 * a warning naming the file and the reason, as for a cut plain file. */
static void test_file_gzip_truncated(void **state)
{
	char plain[128], zipped[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	uint32_t expect = 1;
	const char *warn;

	(void)state;
	tmp_path(plain, sizeof(plain), "cut-src.pcap");
	tmp_path(zipped, sizeof(zipped), "cut.pcap.gz");
	write_seq_file(plain, 5000);
	gzip_file(plain, zipped);
	cut_file(zipped, file_size(zipped) / 2);

	cap = open_one(zipped, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1)
		assert_int_equal(pkt.seq, expect++);
	assert_true(expect > 100);
	assert_true(expect < 5000);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	warn = fst_capture_warnings(cap);
	assert_non_null(strstr(warn, zipped));
	if (!strstr(warn, "gzip data is truncated; stopped after"))
		fail_msg("warning: %s", warn);
	fst_capture_free(cap);
}

/* Damaged compressed data: the packets before it, then a warning that
 * says the gzip data is corrupt. A damaged gzip header: open fails with
 * the file and the reason. Only the gzip magic: the same. */
static void test_file_gzip_corrupt(void **state)
{
	char plain[128], zipped[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	const char *warn;
	uint32_t expect = 1;
	off_t size;
	int crc0;
	FILE *f;

	(void)state;
	tmp_path(plain, sizeof(plain), "bad-src.pcap");
	tmp_path(zipped, sizeof(zipped), "bad.pcap.gz");
	write_seq_file(plain, 5000);
	gzip_file(plain, zipped);
	size = file_size(zipped);
	/* A wrong CRC-32 in the trailer: every record is read, then the
	 * check fails. */
	f = fopen(zipped, "r+b");
	assert_non_null(f);
	assert_int_equal(fseeko(f, size - 8, SEEK_SET), 0);
	crc0 = fgetc(f);
	assert_true(crc0 != EOF);
	assert_int_equal(fseeko(f, size - 8, SEEK_SET), 0);
	assert_int_equal(fputc(~crc0 & 0xff, f), ~crc0 & 0xff);
	assert_int_equal(fclose(f), 0);
	cap = open_one(zipped, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1)
		assert_int_equal(pkt.seq, expect++);
	assert_int_equal(expect, 5001);
	warn = fst_capture_warnings(cap);
	assert_non_null(strstr(warn, zipped));
	if (!strstr(warn, "corrupt gzip data (incorrect data check)"))
		fail_msg("warning: %s", warn);
	fst_capture_free(cap);

	/* Garbage in the middle of the compressed data: whatever inflate or
	 * libpcap make of it, the records before it and a warning. */
	gzip_file(plain, zipped);
	f = fopen(zipped, "r+b");
	assert_non_null(f);
	assert_int_equal(fseeko(f, size / 2, SEEK_SET), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(fputc(0xff, f), 0xff);
	assert_int_equal(fclose(f), 0);
	cap = open_one(zipped, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	expect = 1;
	while (fst_capture_next(cap, &pkt) == 1)
		expect++;
	assert_true(expect > 100);
	assert_true(expect < 5001);
	assert_non_null(strstr(fst_capture_warnings(cap), zipped));
	fst_capture_free(cap);

	/* The magic, then a compression method zlib does not know. */
	assert_int_equal(
		pcapw_write_file(zipped, "\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03xxxx", 14), 0);
	assert_null(open_one(zipped, errbuf));
	assert_non_null(strstr(errbuf, zipped));
	if (!strstr(errbuf, "corrupt gzip data"))
		fail_msg("errbuf: %s", errbuf);
	assert_int_equal(pcapw_write_file(zipped, "\x1f\x8b", 2), 0);
	assert_null(open_one(zipped, errbuf));
	assert_non_null(strstr(errbuf, zipped));
	if (!strstr(errbuf, "gzip data is truncated"))
		fail_msg("errbuf: %s", errbuf);
}

/* Progress over a rotated set, one file gzipped: the total is the files'
 * stored sizes (compressed, for the .gz), done grows with the packets read
 * and reaches the total at the end. */
static void test_file_progress(void **state)
{
	char plain[128], zipped[128], other[128], errbuf[FST_ERRBUF_SIZE];
	const char *paths[2];
	struct fst_capture *cap;
	struct fst_packet pkt;
	uint64_t done, total, last = 0;
	unsigned steps = 0;

	(void)state;
	tmp_path(plain, sizeof(plain), "prog-src.pcap");
	tmp_path(zipped, sizeof(zipped), "prog.pcap.gz");
	tmp_path(other, sizeof(other), "prog-other.pcap");
	write_seq_file(plain, 20000);
	gzip_file(plain, zipped);
	write_seq_file(other, 20000);
	paths[0] = zipped;
	paths[1] = other;
	cap = fst_capture_open_files(paths, 2, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	fst_capture_progress(cap, &done, &total);
	assert_int_equal(total, (uint64_t)(file_size(zipped) + file_size(other)));
	assert_true(done < total / 2);
	while (fst_capture_next(cap, &pkt) == 1) {
		fst_capture_progress(cap, &done, &total);
		assert_true(done >= last);
		steps += done > last;
		last = done;
	}
	fst_capture_progress(cap, &done, &total);
	assert_int_equal(done, total);
	assert_true(steps > 4);
	fst_capture_free(cap);
}

static void test_file_open_failures(void **state)
{
	static const char text[] = "220 This is not a capture\r\n"
				   "USER anonymous\r\n";
	static const uint8_t bad_magic[24] = { 0xde, 0xad, 0xbe, 0xef, 2, 0, 4 };
	char path[128];

	(void)state;
	tmp_path(path, sizeof(path), "empty.pcap");
	assert_int_equal(pcapw_write_file(path, "", 0), 0);
	assert_open_fails(path);

	tmp_path(path, sizeof(path), "text.pcap");
	assert_int_equal(pcapw_write_file(path, text, sizeof(text) - 1), 0);
	assert_open_fails(path);

	tmp_path(path, sizeof(path), "magic.pcap");
	assert_int_equal(pcapw_write_file(path, bad_magic, sizeof(bad_magic)), 0);
	assert_open_fails(path);

	/* A global header cut short: the magic and nothing else. */
	tmp_path(path, sizeof(path), "shorthdr.pcap");
	assert_int_equal(pcapw_write_file(path, "\xd4\xc3\xb2\xa1", 4), 0);
	assert_open_fails(path);

	tmp_path(path, sizeof(path), "missing.pcap");
	assert_open_fails(path);

	/* A directory. */
	assert_open_fails(tmpdir);
}

static void test_file_second_of_two_fails(void **state)
{
	char good[128], missing[128], errbuf[FST_ERRBUF_SIZE];
	const char *paths[2];
	struct pcapw *w;

	(void)state;
	tmp_path(good, sizeof(good), "good.pcap");
	tmp_path(missing, sizeof(missing), "nope.pcap");
	w = pcapw_open(good, PB_DLT_EN10MB, 65535);
	write_seq_frame(w, PB_DLT_EN10MB, 1);
	assert_int_equal(pcapw_close(w), 0);
	paths[0] = good;
	paths[1] = missing;
	errbuf[0] = '\0';
	assert_null(fst_capture_open_files(paths, 2, errbuf));
	assert_non_null(strstr(errbuf, missing));
}

static void test_file_unsupported_link_type(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct pcapw *w;

	(void)state;
	tmp_path(path, sizeof(path), "user0.pcap");
	w = pcapw_open(path, PB_DLT_USER0, 65535);
	assert_non_null(w);
	assert_int_equal(pcapw_write(w, 0, "abcd", 4, 4), 0);
	assert_int_equal(pcapw_close(w), 0);
	cap = open_one(path, errbuf);
	if (cap) {
		fst_capture_free(cap);
		fail_msg("link type 147 accepted");
	}
	print_message("-> %s\n", errbuf);
	assert_non_null(strstr(errbuf, path));
	if (!strstr(errbuf, "147") && !strcasestr(errbuf, "USER0"))
		fail_msg("errbuf '%s' does not name the link type", errbuf);
}

/* Reading a file counts the TCP packets that came out of a tunnel. */
static void test_file_counts_tunnelled(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;
	struct pb_seg s;
	int n = 0;

	(void)state;
	tmp_path(path, sizeof(path), "tunnel.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 1, f);
	seg_v6(&s);
	assert_int_equal(pb_build_ip(f, &s), 0);
	tunnel_wrap(f, 4, 41);
	assert_int_equal(pb_wrap(f, PB_DLT_EN10MB, NULL), 0);
	pcapw_write_frame(w, 2, f);
	assert_int_equal(pcapw_close(w), 0);
	cap = open_one(path, errbuf);
	assert_non_null(cap);
	while (fst_capture_next(cap, &pkt) == 1)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(fst_capture_stats(cap)->tcp_packets, 2);
	assert_int_equal(fst_capture_stats(cap)->tunnelled_packets, 1);
	fst_capture_free(cap);
	free(f);
}

/* ---- pcapng interface statistics (kernel drops) ---- */

struct ngbuf {
	uint8_t b[4096];
	size_t len;
	bool swap; /* written in the other byte order */
};

static void ng_put(struct ngbuf *n, const void *p, size_t len)
{
	assert_true(n->len + len <= sizeof(n->b));
	memcpy(n->b + n->len, p, len);
	n->len += len;
}

static void ng_u32(struct ngbuf *n, uint32_t v)
{
	if (n->swap)
		v = __builtin_bswap32(v);
	ng_put(n, &v, 4);
}

static void ng_u16(struct ngbuf *n, uint16_t v)
{
	if (n->swap)
		v = __builtin_bswap16(v);
	ng_put(n, &v, 2);
}

/* Option code with an 8-byte value (little-endian host assumed, as the
 * file is written in host order with its byte-order magic). */
static void ng_opt64(struct ngbuf *n, uint16_t code, uint64_t v)
{
	ng_u16(n, code);
	ng_u16(n, 8);
	ng_u32(n, (uint32_t)(v >> 32));
	ng_u32(n, (uint32_t)v);
}

/* Opens a block of type; ng_end closes it with its two lengths. */
static size_t ng_begin(struct ngbuf *n, uint32_t type)
{
	size_t at = n->len;

	ng_u32(n, type);
	ng_u32(n, 0);
	return at;
}

static void ng_end(struct ngbuf *n, size_t at)
{
	uint32_t total = (uint32_t)(n->len - at + 4);

	ng_u32(n, total);
	memcpy(n->b + at + 4, n->b + n->len - 4, 4);
}

/* A section header block with no options. */
static void ng_section(struct ngbuf *n)
{
	size_t at = ng_begin(n, 0x0A0D0D0A);

	ng_u32(n, 0x1A2B3C4D);
	ng_u16(n, 1);
	ng_u16(n, 0);
	ng_u32(n, 0xffffffff);
	ng_u32(n, 0xffffffff);
	ng_end(n, at);
}

struct drop_seen {
	int calls;
	uint64_t dropped[4];
	int64_t from[4], to[4];
};

static void on_drop(void *ctx, uint64_t dropped, int64_t from_us, int64_t to_us)
{
	struct drop_seen *d = ctx;

	assert_true(d->calls < 4);
	d->dropped[d->calls] = dropped;
	d->from[d->calls] = from_us;
	d->to[d->calls] = to_us;
	d->calls++;
}

/* A pcapng file as dumpcap writes it, nanosecond timestamps: a packet,
 * then statistics with 3 drops (ifdrop 2 + osdrop 1) over
 * [starttime, endtime], then a later block with 5 in all (2 more since
 * the first), then a damaged block that ends the scan. libpcap reads
 * the packet; fst_capture_file_drops reads the drops. */
static void test_file_pcapng_drops(void **state)
{
	static const uint8_t tsresol_ns[] = { 9, 0, 0, 0 };
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	struct drop_seen seen = { 0 };
	struct ngbuf *n = calloc(1, sizeof(*n));
	const int64_t t0 = INT64_C(1700000000) * FST_US_PER_SEC;
	const uint64_t ns0 = (uint64_t)t0 * 1000;
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pb_seg s;
	size_t at;

	(void)state;
	assert_non_null(n);
	ng_section(n);
	at = ng_begin(n, 1); /* interface description, if_tsresol 9 */
	ng_u16(n, PB_DLT_EN10MB);
	ng_u16(n, 0);
	ng_u32(n, 65535);
	ng_u16(n, 9);
	ng_u16(n, 1);
	ng_put(n, tsresol_ns, 4);
	ng_u32(n, 0);
	ng_end(n, at);
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	at = ng_begin(n, 6); /* enhanced packet */
	ng_u32(n, 0);
	ng_u32(n, (uint32_t)((ns0 + 500000000) >> 32));
	ng_u32(n, (uint32_t)(ns0 + 500000000));
	ng_u32(n, (uint32_t)f->len);
	ng_u32(n, (uint32_t)f->len);
	ng_put(n, f->b, f->len);
	while (n->len % 4)
		ng_put(n, "", 1);
	ng_end(n, at);
	at = ng_begin(n, 5); /* statistics: 3 drops in [t0, t0 + 2 s] */
	ng_u32(n, 0);
	ng_u32(n, (uint32_t)((ns0 + 2000000000) >> 32));
	ng_u32(n, (uint32_t)(ns0 + 2000000000));
	ng_opt64(n, 2, ns0);
	ng_opt64(n, 3, ns0 + 2000000000);
	ng_opt64(n, 5, 2);
	ng_opt64(n, 7, 1);
	ng_u32(n, 0);
	ng_end(n, at);
	at = ng_begin(n, 5); /* later: 5 in all, no start time */
	ng_u32(n, 0);
	ng_u32(n, (uint32_t)((ns0 + 4000000000u) >> 32));
	ng_u32(n, (uint32_t)(ns0 + 4000000000u));
	ng_opt64(n, 5, 5);
	ng_u32(n, 0);
	ng_end(n, at);
	ng_u32(n, 5); /* a statistics block whose length lies */
	ng_u32(n, 7);
	tmp_path(path, sizeof(path), "drops.pcapng");
	assert_int_equal(pcapw_write_file(path, n->b, n->len), 0);

	cap = open_one(path, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), 1);
	assert_int_equal(pkt.ts_us, t0 + 500000);
	while (fst_capture_next(cap, &pkt) == 1)
		;
	assert_int_equal(fst_capture_file_drops(cap, on_drop, &seen), 5);
	assert_int_equal(fst_capture_stats(cap)->kernel_dropped, 5);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.dropped[0], 3);
	assert_int_equal(seen.from[0], t0);
	assert_int_equal(seen.to[0], t0 + 2 * FST_US_PER_SEC);
	assert_int_equal(seen.dropped[1], 2);
	assert_int_equal(seen.from[1], t0 + 2 * FST_US_PER_SEC);
	assert_int_equal(seen.to[1], t0 + 4 * FST_US_PER_SEC);
	fst_capture_free(cap);
	free(n);
	free(f);
}

/* ---- pcapng decryption secrets blocks ---- */

struct secrets_seen {
	uint8_t text[8192];
	size_t len;
	unsigned calls;
};

static bool on_secrets(void *ctx, const uint8_t *text, size_t len)
{
	struct secrets_seen *seen = ctx;

	assert_true(seen->len + len <= sizeof(seen->text));
	memcpy(seen->text + seen->len, text, len);
	seen->len += len;
	seen->calls++;
	return true;
}

/* The whole of a small file, into buf; returns its length. */
static size_t read_small_file(const char *path, uint8_t *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t len;

	assert_non_null(f);
	len = fread(buf, 1, size, f);
	assert_true(feof(f));
	fclose(f);
	return len;
}

/* The packets libpcap hands over from the file at path. */
static uint64_t count_packets(const char *path)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap = open_one(path, errbuf);
	struct fst_packet pkt;
	uint64_t n = 0;

	if (!cap)
		fail_msg("%s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1)
		n++;
	fst_capture_free(cap);
	return n;
}

/* Runs a shell command of ours; false when it failed. */
static bool run(const char *cmd)
{
	return system(cmd) == 0;
}

/* A decryption secrets block of type with text, padded to 4 bytes. */
static void ng_secrets(struct ngbuf *n, uint32_t type, const char *text)
{
	size_t at = ng_begin(n, 0x0A);

	ng_u32(n, type);
	ng_u32(n, (uint32_t)strlen(text));
	ng_put(n, text, strlen(text));
	while (n->len % 4)
		ng_put(n, "", 1);
	ng_end(n, at);
}

static const char keylog_a[] = "CLIENT_RANDOM "
			       "0101010101010101010101010101010101010101010101010101010101010101 "
			       "aa\n";
static const char keylog_b[] = "CLIENT_RANDOM "
			       "0202020202020202020202020202020202020202020202020202020202020202 "
			       "bb\n";

/* editcap --inject-secrets puts a key log into a pcapng file as
 * Wireshark reads it; what comes back is the key log's bytes (and the
 * packets are read as from the pcap they came from), from the
 * plain file, from it gzip-compressed, and from two such files one after
 * the other (two sections). */
static void test_secrets_from_editcap(void **state)
{
	static const char *const names[] = { "vsftpd-ftps-idle-tls12", "vsftpd-ftps-aes128-sha",
					     "proftpd-ftps-idle-timeout" };
	char cmd[1024], path[128], both[128], gz[128], errbuf[FST_ERRBUF_SIZE];
	uint8_t keys[3][4096];
	size_t keys_len[3];
	struct fst_capture_secrets_found found;
	struct secrets_seen *seen = calloc(1, sizeof(*seen));

	(void)state;
	assert_non_null(seen);
	if (!run("command -v editcap >/dev/null 2>&1")) {
		free(seen);
		skip(); /* editcap comes with tshark (wireshark-common) */
	}
	for (size_t i = 0; i < 3; i++) {
		char keyfile[512], pcap[512], name[64];

		snprintf(keyfile, sizeof(keyfile), "%s/captures/ftps/%s.keys", FST_SOURCE_DIR,
			 names[i]);
		snprintf(pcap, sizeof(pcap), "%s/captures/ftps/%s.pcap", FST_SOURCE_DIR, names[i]);
		keys_len[i] = read_small_file(keyfile, keys[i], sizeof(keys[i]));
		snprintf(name, sizeof(name), "%s.pcapng", names[i]);
		tmp_path(path, sizeof(path), name);
		snprintf(cmd, sizeof(cmd), "editcap --inject-secrets tls,'%s' '%s' '%s'", keyfile,
			 pcap, path);
		assert_true(run(cmd));
		memset(seen, 0, sizeof(*seen));
		assert_int_equal(fst_capture_read_secrets(path, on_secrets, seen, &found, errbuf),
				 0);
		assert_int_equal(found.blocks, 1);
		assert_int_equal(found.other_types, 0);
		assert_int_equal(found.bytes, keys_len[i]);
		assert_int_equal(seen->len, keys_len[i]);
		assert_memory_equal(seen->text, keys[i], keys_len[i]);
		/* libpcap reads the packets around the secrets block. */
		assert_int_equal(count_packets(path), count_packets(pcap));
	}

	/* Gzip-compressed: the same bytes. */
	tmp_path(path, sizeof(path), "vsftpd-ftps-idle-tls12.pcapng");
	tmp_path(gz, sizeof(gz), "idle.pcapng.gz");
	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s'", path, gz);
	assert_true(run(cmd));
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(fst_capture_read_secrets(gz, on_secrets, seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 1);
	assert_int_equal(seen->len, keys_len[0]);
	assert_memory_equal(seen->text, keys[0], keys_len[0]);

	/* Two sections: both key logs, in file order. */
	tmp_path(both, sizeof(both), "two-sections.pcapng");
	snprintf(cmd, sizeof(cmd), "cat '%s' '%s/proftpd-ftps-idle-timeout.pcapng' > '%s'", path,
		 tmpdir, both);
	assert_true(run(cmd));
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(fst_capture_read_secrets(both, on_secrets, seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 2);
	assert_int_equal(seen->len, keys_len[0] + keys_len[2]);
	assert_memory_equal(seen->text, keys[0], keys_len[0]);
	assert_memory_equal(seen->text + keys_len[0], keys[2], keys_len[2]);

	/* The capture that had no secrets: classic pcap, none. */
	snprintf(path, sizeof(path), "%s/captures/ftps/%s.pcap", FST_SOURCE_DIR, names[0]);
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(fst_capture_read_secrets(path, on_secrets, seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 0);
	assert_int_equal(seen->calls, 0);
	free(seen);
}

/* Either byte order; secrets of another type are counted and skipped;
 * a second section in the other order is read in its own. */
static void test_secrets_byte_orders(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct ngbuf *n = calloc(1, sizeof(*n));
	struct secrets_seen *seen = calloc(1, sizeof(*seen));
	struct fst_capture_secrets_found found;

	(void)state;
	assert_non_null(n);
	assert_non_null(seen);
	n->swap = true;
	ng_section(n);
	ng_secrets(n, 0x57474b4c, "a WireGuard key log is no TLS key log\n"); /* "WGKL" */
	ng_secrets(n, 0x544c534b, keylog_a);
	n->swap = false;
	ng_section(n);
	ng_secrets(n, 0x544c534b, keylog_b);
	tmp_path(path, sizeof(path), "orders.pcapng");
	assert_int_equal(pcapw_write_file(path, n->b, n->len), 0);
	assert_int_equal(fst_capture_read_secrets(path, on_secrets, seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 2);
	assert_int_equal(found.other_types, 1);
	assert_int_equal(found.bytes, strlen(keylog_a) + strlen(keylog_b));
	assert_int_equal(seen->len, found.bytes);
	assert_memory_equal(seen->text, keylog_a, strlen(keylog_a));
	assert_memory_equal(seen->text + strlen(keylog_a), keylog_b, strlen(keylog_b));
	free(seen);
	free(n);
}

/* Writes n to name in the test directory and reads its secrets: returns
 * the status, errbuf the message. */
static int secrets_of(struct ngbuf *n, const char *name, struct secrets_seen *seen,
		      struct fst_capture_secrets_found *found, char *errbuf)
{
	char path[128];

	tmp_path(path, sizeof(path), name);
	assert_int_equal(pcapw_write_file(path, n->b, n->len), 0);
	memset(seen, 0, sizeof(*seen));
	errbuf[0] = '\0';
	return fst_capture_read_secrets(path, on_secrets, seen, found, errbuf);
}

/* Hostile files: a secrets length that overruns its block, a block cut
 * short by the end of the file, a secrets length past the cap (refused
 * before anything is allocated), a block too short for its own header.
 * Each is a one-line error naming the file and the block's offset; the
 * secrets before it were handed up. A damaged block of another kind ends
 * the walk quietly. No file is an error; standard input, a FIFO and a
 * file that is no capture give nothing. */
static void test_secrets_hostile(void **state)
{
	char fifo[128], errbuf[FST_ERRBUF_SIZE];
	struct ngbuf *n = calloc(1, sizeof(*n));
	struct secrets_seen *seen = calloc(1, sizeof(*seen));
	struct fst_capture_secrets_found found;
	size_t at;

	(void)state;
	assert_non_null(n);
	assert_non_null(seen);

	/* The secrets length lies: 64 bytes said, 8 in the block. */
	ng_section(n);
	ng_secrets(n, 0x544c534b, keylog_a);
	at = ng_begin(n, 0x0A);
	ng_u32(n, 0x544c534b);
	ng_u32(n, 64);
	ng_put(n, "CLIENT_R", 8);
	ng_end(n, at);
	assert_int_equal(secrets_of(n, "lying.pcapng", seen, &found, errbuf), FST_ERR_FORMAT);
	assert_non_null(strstr(errbuf, "lying.pcapng: decryption secrets block at offset 132"));
	assert_non_null(strstr(errbuf, "overruns"));
	assert_int_equal(found.blocks, 1);
	assert_int_equal(seen->len, strlen(keylog_a));

	/* Cut short: the file ends inside the secrets. */
	n->len = 0;
	ng_section(n);
	ng_secrets(n, 0x544c534b, keylog_a);
	n->len -= 40;
	assert_int_equal(secrets_of(n, "cut.pcapng", seen, &found, errbuf), FST_ERR_FORMAT);
	assert_non_null(strstr(errbuf, "cut short"));
	assert_int_equal(seen->calls, 0);

	/* A huge block and secrets length: over the cap, nothing read. */
	n->len = 0;
	ng_section(n);
	ng_u32(n, 0x0A);
	ng_u32(n, 0xFFFFFFF0);
	ng_u32(n, 0x544c534b);
	ng_u32(n, 0xFFFFFF00);
	ng_put(n, keylog_a, 16);
	assert_int_equal(secrets_of(n, "huge.pcapng", seen, &found, errbuf), FST_ERR_LIMIT);
	assert_non_null(strstr(errbuf, "more than 16777216 bytes"));
	assert_int_equal(seen->calls, 0);

	/* A block of 12 bytes: no room for the secrets type and length. */
	n->len = 0;
	ng_section(n);
	at = ng_begin(n, 0x0A);
	ng_end(n, at);
	assert_int_equal(secrets_of(n, "empty.pcapng", seen, &found, errbuf), FST_ERR_FORMAT);
	assert_non_null(strstr(errbuf, "no room"));

	/* A damaged block (length not a multiple of 4) before the secrets:
	 * the walk ends there, no error (libpcap reports the file). */
	n->len = 0;
	ng_section(n);
	ng_u32(n, 6);
	ng_u32(n, 13);
	ng_secrets(n, 0x544c534b, keylog_a);
	assert_int_equal(secrets_of(n, "damaged.pcapng", seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 0);

	/* No file; standard input (not read); no capture at all. */
	assert_int_equal(fst_capture_read_secrets("/nonexistent/x.pcapng", on_secrets, seen, &found,
						  errbuf),
			 FST_ERR_IO);
	assert_non_null(strstr(errbuf, "/nonexistent/x.pcapng: "));
	assert_int_equal(fst_capture_read_secrets("-", on_secrets, seen, NULL, errbuf), 0);
	/* A FIFO is left to the packet reader: not opened (that would wait
	 * for a writer), not read. */
	tmp_path(fifo, sizeof(fifo), "secrets.fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fst_capture_read_secrets(fifo, on_secrets, seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 0);
	unlink(fifo);
	n->len = 0;
	ng_put(n, "not a capture at all\n", 21);
	assert_int_equal(secrets_of(n, "text.pcapng", seen, &found, errbuf), 0);
	assert_int_equal(found.blocks, 0);
	free(seen);
	free(n);
}

static bool count_secrets(void *ctx, const uint8_t *text, size_t len)
{
	uint64_t *bytes = ctx;

	(void)text;
	*bytes += len;
	return true;
}

/* The cap is on a file's secrets in all, not on one block: two blocks of
 * 9 MiB each are 18 MiB, and the second is refused with the first kept. */
static void test_secrets_cap_over_blocks(void **state)
{
	const uint32_t len = 9u << 20;
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture_secrets_found found;
	struct ngbuf *n = calloc(1, sizeof(*n));
	uint8_t *block = malloc(len);
	uint64_t bytes = 0;
	FILE *f;

	(void)state;
	assert_non_null(n);
	assert_non_null(block);
	memset(block, '#', len); /* key log comment lines, 9 MiB long */
	ng_section(n);
	tmp_path(path, sizeof(path), "big-secrets.pcapng");
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(n->b, 1, n->len, f), n->len);
	for (int i = 0; i < 2; i++) {
		uint32_t head[4] = { 0x0A, 12 + 8 + len, 0x544c534b, len };

		assert_int_equal(fwrite(head, 4, 4, f), 4);
		assert_int_equal(fwrite(block, 1, len, f), len);
		assert_int_equal(fwrite(&head[1], 4, 1, f), 1);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(fst_capture_read_secrets(path, count_secrets, &bytes, &found, errbuf),
			 FST_ERR_LIMIT);
	assert_non_null(strstr(errbuf, "big-secrets.pcapng: decryption secrets block at offset"));
	assert_int_equal(found.blocks, 1);
	assert_int_equal(bytes, len);
	assert_int_equal(found.bytes, len);
	unlink(path);
	free(block);
	free(n);
}

/* A pcapng file of one interface and a statistics block of 7 drops. */
static void ng_drops_only(struct ngbuf *n)
{
	size_t at;

	ng_section(n);
	at = ng_begin(n, 1); /* interface description */
	ng_u16(n, PB_DLT_EN10MB);
	ng_u16(n, 0);
	ng_u32(n, 65535);
	ng_end(n, at);
	at = ng_begin(n, 5); /* statistics */
	ng_u32(n, 0);
	ng_u32(n, 0);
	ng_u32(n, 1000000);
	ng_opt64(n, 5, 7);
	ng_u32(n, 0);
	ng_end(n, at);
}

/* The drops of a file opened from a FIFO cannot be read again: the FIFO
 * was read once, and opening it again would wait for a writer that never
 * comes (analyze hung at its end). The same bytes from a regular file
 * give the 7 drops. */
static void test_file_fifo_drops_skipped(void **state)
{
	char fifo[128], path[128], errbuf[FST_ERRBUF_SIZE];
	struct ngbuf *n = calloc(1, sizeof(*n));
	struct fst_capture *cap;
	struct fst_packet pkt;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(n);
	ng_drops_only(n);
	tmp_path(path, sizeof(path), "drops-only.pcapng");
	assert_int_equal(pcapw_write_file(path, n->b, n->len), 0);
	cap = open_one(path, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_int_equal(fst_capture_file_drops(cap, NULL, NULL), 7);
	fst_capture_free(cap);

	tmp_path(fifo, sizeof(fifo), "drops.fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* the writer: the bytes once, then gone */
		FILE *w = fopen(fifo, "wb");

		_exit(w && fwrite(n->b, 1, n->len, w) == n->len && fclose(w) == 0 ? 0 : 1);
	}
	alarm(20); /* a hang fails the test instead of the suite's timeout */
	cap = open_one(fifo, errbuf);
	assert_non_null(cap);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_int_equal(fst_capture_file_drops(cap, NULL, NULL), 0);
	alarm(0);
	fst_capture_free(cap);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(fifo);
	free(n);
}

static void test_file_stats(void **state)
{
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct pb_frame *f = frame_new();
	const struct fst_capture_stats *st;
	struct pb_link link = { 0 };
	struct fst_capture *cap;
	struct fst_packet pkt;
	uint64_t wire = 0;
	struct pcapw *w;
	struct pb_seg s;
	int n = 0;

	(void)state;
	fill_big_payload();
	tmp_path(path, sizeof(path), "stats.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_non_null(w);
	/* 1, 2: good TCP (v4, v6) */
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 1, f);
	wire += f->len;
	seg_v6(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 2, f);
	wire += f->len;
	/* 3: UDP */
	seg_v4(&s);
	s.proto = 17;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 3, f);
	wire += f->len;
	/* 4: ARP */
	link.ethertype = 0x0806;
	pb_set_body(f, 0, arp, sizeof(arp));
	pb_wrap(f, PB_DLT_EN10MB, &link);
	pcapw_write_frame(w, 4, f);
	wire += f->len;
	/* 5: fragment */
	seg_v4(&s);
	s.ipv4_frag = 0x2000;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 5, f);
	wire += f->len;
	/* 6: IHL 4 */
	seg_v4(&s);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	f->b[f->l3_off] = 0x44;
	pcapw_write_frame(w, 6, f);
	wire += f->len;
	/* 7: bad TCP option */
	seg_v4(&s);
	s.raw_opts = (const uint8_t *)"\x08\x01\x01\x01";
	s.raw_opts_len = 4;
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write_frame(w, 7, f);
	wire += f->len;
	/* 8: TCP cut by a snaplen of 96: still a packet */
	seg_v4(&s);
	s.payload = big_payload;
	s.payload_len = sizeof(big_payload);
	pb_build(f, PB_DLT_EN10MB, NULL, &s);
	pcapw_write(w, 8, f->b, 96, (uint32_t)f->len);
	wire += f->len;
	/* 9: headers cut by a snaplen of 40 */
	pcapw_write(w, 9, f->b, 40, (uint32_t)f->len);
	wire += f->len;
	assert_int_equal(pcapw_close(w), 0);

	cap = open_one(path, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	while (fst_capture_next(cap, &pkt) == 1) {
		n++;
		if (n == 3) {
			assert_int_equal(pkt.payload_len, 1000);
			assert_int_equal(pkt.payload_caplen, 96 - 54);
		}
	}
	assert_int_equal(n, 3);
	st = fst_capture_stats(cap);
	assert_int_equal(st->frames, 9);
	assert_int_equal(st->frame_bytes, wire);
	assert_int_equal(st->tcp_packets, 3);
	assert_int_equal(st->skipped_not_tcp, 1);
	assert_int_equal(st->skipped_not_ip, 1);
	assert_int_equal(st->ip_fragments, 1);
	assert_int_equal(st->malformed[FST_DECODE_BAD_IPV4], 1);
	assert_int_equal(st->malformed[FST_DECODE_BAD_TCP_OPTION], 1);
	assert_int_equal(st->malformed[FST_DECODE_SHORT_CAPTURE], 1);
	assert_int_equal(st->malformed[FST_DECODE_BAD_TCP], 0);
	assert_int_equal(st->malformed[FST_DECODE_TCP], 0);
	assert_int_equal(st->truncated_frames, 2);
	assert_int_equal(st->kernel_received, 0);
	assert_int_equal(st->kernel_dropped, 0);
	assert_string_equal(fst_capture_warnings(cap), "");
	fst_capture_free(cap);
	free(f);
}

static void test_file_no_packets(void **state)
{
	char path[128], errbuf[FST_ERRBUF_SIZE];
	struct fst_capture *cap;
	struct fst_packet pkt;
	struct pcapw *w;

	(void)state;
	/* A valid header and no records: opens, and ends at once. */
	tmp_path(path, sizeof(path), "hdronly.pcap");
	w = pcapw_open(path, PB_DLT_EN10MB, 65535);
	assert_int_equal(pcapw_close(w), 0);
	cap = open_one(path, errbuf);
	if (!cap)
		fail_msg("open failed: %s", errbuf);
	assert_int_equal(fst_capture_next(cap, &pkt), -1);
	assert_int_equal(fst_capture_stats(cap)->frames, 0);
	assert_int_equal(fst_capture_fd(cap), -1);
	fst_capture_free(cap);
	fst_capture_free(NULL);
}

int main(void)
{
	const struct CMUnitTest decode_tests[] = {
		cmocka_unit_test(test_linktypes_supported),
		cmocka_unit_test(test_decode_every_link_ipv4),
		cmocka_unit_test(test_decode_every_link_ipv6),
		cmocka_unit_test(test_decode_null_loop_ipv6_families),
		cmocka_unit_test(test_decode_vlan_tags),
		cmocka_unit_test(test_decode_vlan_tag_cut),
		cmocka_unit_test(test_decode_not_ip),
		cmocka_unit_test(test_decode_short_link_headers),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_ihl_past_total_length),
		cmocka_unit_test(test_ipv4_total_length_lies),
		cmocka_unit_test(test_ipv4_total_length_shorter_than_tcp_header),
		cmocka_unit_test(test_ethernet_padding_is_not_payload),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_raw_bad_version),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_atomic_fragment_is_whole),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv6_chain_too_long),
		cmocka_unit_test(test_ipv6_ext_length_overruns),
		cmocka_unit_test(test_ipv6_payload_length_lies),
		cmocka_unit_test(test_ipv6_padding_is_not_payload),
		cmocka_unit_test(test_decode_tunnels),
		cmocka_unit_test(test_decode_tunnels_malformed),
		cmocka_unit_test(test_tcp_data_offset_too_small),
		cmocka_unit_test(test_tcp_data_offset_past_segment),
		cmocka_unit_test(test_tcp_bad_options),
		cmocka_unit_test(test_tcp_options_recognised),
		cmocka_unit_test(test_tcp_options_after_eol_ignored),
		cmocka_unit_test(test_truncated_payload_v4),
		cmocka_unit_test(test_truncated_payload_v6_ext),
		cmocka_unit_test(test_truncated_headers_short_capture),
		cmocka_unit_test(test_cut_frames_not_tcp_when_whole),
		cmocka_unit_test(test_decode_mutation_smoke),
		cmocka_unit_test(test_decode_result_names),
	};
	const struct CMUnitTest file_tests[] = {
		cmocka_unit_test(test_file_link_types),
		cmocka_unit_test(test_file_larger_than_read_buffer),
		cmocka_unit_test(test_file_blocks_read_as_libpcap_does),
		cmocka_unit_test(test_file_progress_half_way),
		cmocka_unit_test(test_extract_cancel),
		cmocka_unit_test(test_many_files_share_read_buffers),
		cmocka_unit_test(test_files_merge_in_time_order),
		cmocka_unit_test(test_file_time_going_back_is_clamped),
		cmocka_unit_test(test_file_repeated_copy_skipped),
		cmocka_unit_test(test_file_repeat_only_while_equal),
		cmocka_unit_test(test_file_time_beyond_range_is_clamped),
		cmocka_unit_test(test_file_truncated_mid_record),
		cmocka_unit_test(test_file_truncated_in_record_header),
		cmocka_unit_test(test_file_truncated_one_of_two),
		cmocka_unit_test(test_file_open_failures),
		cmocka_unit_test(test_file_second_of_two_fails),
		cmocka_unit_test(test_file_unsupported_link_type),
		cmocka_unit_test(test_file_stats),
		cmocka_unit_test(test_file_counts_tunnelled),
		cmocka_unit_test(test_file_pcapng_drops),
		cmocka_unit_test(test_file_fifo_drops_skipped),
		cmocka_unit_test(test_secrets_from_editcap),
		cmocka_unit_test(test_secrets_byte_orders),
		cmocka_unit_test(test_secrets_hostile),
		cmocka_unit_test(test_secrets_cap_over_blocks),
		cmocka_unit_test(test_file_no_packets),
		cmocka_unit_test(test_file_gzip_same_packets),
		cmocka_unit_test(test_file_gzip_in_rotated_set),
		cmocka_unit_test(test_file_gzip_truncated),
		cmocka_unit_test(test_file_gzip_corrupt),
		cmocka_unit_test(test_file_progress),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("capture_decode", decode_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("capture_files", file_tests, files_setup,
					      files_teardown);
	return failed ? 1 : 0;
}
