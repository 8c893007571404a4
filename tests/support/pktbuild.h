/* Test support: a small builder of TCP/IP frames in every link layer
 * ftpstall decodes, and a writer of classic pcap files (valid ones and
 * deliberately broken ones). Test code only: errors abort the test run
 * loudly instead of being returned, except where a test wants them. */
#ifndef FST_TEST_PKTBUILD_H
#define FST_TEST_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftpstall/common.h"

/* DLT / LINKTYPE numbers, spelled out so tests don't need pcap.h. */
enum {
	PB_DLT_NULL = 0,
	PB_DLT_EN10MB = 1,
	PB_DLT_RAW = 12,       /* DLT_RAW on Linux */
	PB_LINKTYPE_RAW = 101, /* LINKTYPE_RAW, as stored in files */
	PB_DLT_LOOP = 108,
	PB_DLT_LINUX_SLL = 113,
	PB_DLT_USER0 = 147, /* never supported: for refusal tests */
	PB_DLT_IPV4 = 228,
	PB_DLT_IPV6 = 229,
	PB_DLT_LINUX_SLL2 = 276,
};

/* IPv6 extension header types (RFC 8200 section 4). */
enum {
	PB_EXT_HOPOPTS = 0,
	PB_EXT_ROUTING = 43,
	PB_EXT_FRAGMENT = 44,
	PB_EXT_DSTOPTS = 60,
};

#define PB_FRAME_MAX 16384
#define PB_EXT_MAX   32
#define PB_VLAN_MAX  4

/* One IPv6 extension header, placed between the fixed header and TCP. */
struct pb_ext6 {
	uint8_t type;	      /* PB_EXT_* */
	uint8_t hdr_len;      /* hop/dst/routing: 8-octet units after the first 8 */
	uint16_t frag_offset; /* fragment: offset in 8-octet units */
	bool frag_more;	      /* fragment: the M flag */
};

/* Everything about one segment. Zero-initialise, then set what matters
 * (pb_seg_init does the addresses and ports). */
struct pb_seg {
	struct fst_addr src, dst; /* family 4 or 6 picks the IP version */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* FST_TCP_* bits */
	uint16_t window;
	uint8_t ttl; /* TTL / hop limit; 0 means 64 */
	/* TCP options, written in this order, padded with EOL to 4 bytes. */
	uint16_t mss; /* 0: no MSS option */
	bool has_wscale;
	uint8_t wscale;
	bool timestamps;
	uint32_t tsval, tsecr;
	bool sack_permitted;
	const uint8_t *raw_opts; /* appended verbatim after the others */
	size_t raw_opts_len;
	const uint8_t *payload;
	size_t payload_len;
	/* IP knobs. */
	uint8_t proto;		/* 0: TCP (6); 17 writes a UDP header instead */
	uint8_t ipv4_opt_words; /* IPv4 options: n 32-bit words (NOPs + EOL) */
	uint16_t ipv4_frag;	/* flags + fragment offset field (0x2000 = MF) */
	uint16_t ipv4_id;
	struct pb_ext6 ext[PB_EXT_MAX];
	size_t n_ext;
};

/* A built frame with the offsets of its layers (so tests can patch
 * bytes to make them malformed). */
struct pb_frame {
	uint8_t b[PB_FRAME_MAX];
	size_t len;
	uint8_t family; /* 4, 6, or 0 for a non-IP body */
	size_t l3_off;	/* IP header */
	size_t l4_off;	/* TCP (or UDP) header */
	size_t payload_off;
};

/* Link-layer choices; NULL means all defaults. */
struct pb_link {
	/* EN10MB: tags, outermost first; tpid 0x8100 or 0x88a8. */
	uint16_t vlan_tpid[PB_VLAN_MAX];
	uint16_t vlan_id[PB_VLAN_MAX];
	size_t n_vlan;
	uint16_t ethertype; /* EN10MB/SLL/SLL2: 0 means from the family */
	uint32_t af;	    /* NULL/LOOP: 0 means 2 (v4) or 24 (v6) */
	bool pad_min;	    /* EN10MB: pad the frame to 60 bytes */
};

/* Parses "192.0.2.1" or "2001:db8::1"; aborts on anything else. */
struct fst_addr pb_addr(const char *text);

/* Zeroes *seg and sets the 4-tuple, window 65535 and TTL 64. */
void pb_seg_init(struct pb_seg *seg, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport);

/* Builds the bare IP packet (no link header) into *f. Returns 0, or -1
 * if it would not fit. */
int pb_build_ip(struct pb_frame *f, const struct pb_seg *seg);

/* Replaces the body with arbitrary bytes (ARP, garbage, ...). */
int pb_set_body(struct pb_frame *f, uint8_t family, const void *bytes, size_t len);

/* Prepends the link header of linktype to *f. Returns 0, -1 on an
 * unknown link type or overflow. */
int pb_wrap(struct pb_frame *f, int linktype, const struct pb_link *link);

/* pb_build_ip + pb_wrap; aborts on failure. */
void pb_build(struct pb_frame *f, int linktype, const struct pb_link *link,
	      const struct pb_seg *seg);

/* Recomputes the IPv4 header checksum after a test patched the header. */
void pb_fix_ipv4_checksum(struct pb_frame *f);

/* Internet checksum (RFC 1071) over len bytes plus an initial sum. */
uint16_t pb_inet_checksum(const uint8_t *p, size_t len, uint32_t sum);

/* ---- classic pcap writer ---- */

struct pcapw;

/* Creates path and writes the global header (microsecond magic, host
 * byte order, version 2.4). Returns new writer, free with pcapw_close;
 * NULL on error. */
struct pcapw *pcapw_open(const char *path, uint32_t linktype, uint32_t snaplen);

/* Appends one record holding caplen bytes of frame (wirelen on the
 * wire). Returns 0 or -1. */
int pcapw_write(struct pcapw *w, int64_t ts_us, const void *frame, uint32_t caplen,
		uint32_t wirelen);

/* Appends a whole pb_frame, caplen = wirelen = f->len. */
int pcapw_write_frame(struct pcapw *w, int64_t ts_us, const struct pb_frame *f);

/* Appends a record header claiming caplen bytes but writes only present
 * of them: a file cut in the middle of a record. */
int pcapw_write_cut(struct pcapw *w, int64_t ts_us, const void *frame, uint32_t caplen,
		    uint32_t wirelen, uint32_t present);

/* Closes and frees; returns 0 or -1 on a write error. NULL is a no-op. */
int pcapw_close(struct pcapw *w);

/* Writes exactly len bytes to path (empty files, text, bad magic). */
int pcapw_write_file(const char *path, const void *bytes, size_t len);

#endif
