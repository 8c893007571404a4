/* Small utilities shared by every ftpstall module: error codes, the
 * bounded reader for wire bytes, time helpers. libc only. */
#ifndef FTPSTALL_COMMON_H
#define FTPSTALL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Static functions that unit tests need are declared FST_TESTABLE:
 * static in the product, visible in the test build. */
#ifdef FST_UNIT_TESTS
#define FST_TESTABLE
#else
#define FST_TESTABLE static
#endif

/* Error codes: 0 is success, failures are negative. The detail goes to
 * a caller-owned buffer of FST_ERRBUF_SIZE bytes. */
enum fst_err {
	FST_OK = 0,
	FST_ERR_NOMEM = -1,
	FST_ERR_IO = -2,
	FST_ERR_FORMAT = -3,
	FST_ERR_UNSUPPORTED = -4,
	FST_ERR_ARG = -5,
	FST_ERR_LIMIT = -6,
	FST_ERR_CANCELLED = -7, /* the caller's cancel flag was set */
};

#define FST_ERRBUF_SIZE 512

/* printf-style write into a caller's error buffer; truncates safely. */
void fst_errbuf_set(char *errbuf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bounded reader over wire bytes (house habit: never cast packet bytes
 * to a struct). Every getter fails on a short read and leaves the reader
 * unchanged. */
struct fst_rd {
	const uint8_t *p;
	size_t len;
};

static inline struct fst_rd fst_rd_make(const uint8_t *p, size_t len)
{
	struct fst_rd rd = { .p = p, .len = len };
	return rd;
}

/* The getters are inline: packet decoding calls them dozens of times per
 * packet, and each check is a compare and a branch. */
static inline bool fst_rd_skip(struct fst_rd *rd, size_t n)
{
	if (rd->len < n)
		return false;
	rd->p += n;
	rd->len -= n;
	return true;
}

static inline bool fst_rd_bytes(struct fst_rd *rd, void *out, size_t n)
{
	if (rd->len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)out)[i] = rd->p[i];
	rd->p += n;
	rd->len -= n;
	return true;
}

static inline bool fst_rd_u8(struct fst_rd *rd, uint8_t *out)
{
	if (rd->len < 1)
		return false;
	*out = rd->p[0];
	rd->p++;
	rd->len--;
	return true;
}

static inline bool fst_rd_be16(struct fst_rd *rd, uint16_t *out)
{
	if (rd->len < 2)
		return false;
	*out = (uint16_t)(rd->p[0] << 8 | rd->p[1]);
	rd->p += 2;
	rd->len -= 2;
	return true;
}

static inline bool fst_rd_be32(struct fst_rd *rd, uint32_t *out)
{
	if (rd->len < 4)
		return false;
	*out = (uint32_t)rd->p[0] << 24 | (uint32_t)rd->p[1] << 16 | (uint32_t)rd->p[2] << 8 |
	       rd->p[3];
	rd->p += 4;
	rd->len -= 4;
	return true;
}

static inline bool fst_rd_le16(struct fst_rd *rd, uint16_t *out)
{
	if (rd->len < 2)
		return false;
	*out = (uint16_t)(rd->p[1] << 8 | rd->p[0]);
	rd->p += 2;
	rd->len -= 2;
	return true;
}

static inline bool fst_rd_le32(struct fst_rd *rd, uint32_t *out)
{
	if (rd->len < 4)
		return false;
	*out = (uint32_t)rd->p[3] << 24 | (uint32_t)rd->p[2] << 16 | (uint32_t)rd->p[1] << 8 |
	       rd->p[0];
	rd->p += 4;
	rd->len -= 4;
	return true;
}

/* Big-endian loads from bytes the caller has already bounds-checked
 * (fixed-size headers, read in one go). */
static inline uint16_t fst_load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fst_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Splits off the next n bytes as their own reader. */
/* The value of hex digit c (either case), or -1. */
int fst_hex_digit(char c);

static inline bool fst_rd_sub(struct fst_rd *rd, size_t n, struct fst_rd *out)
{
	if (rd->len < n)
		return false;
	out->p = rd->p;
	out->len = n;
	rd->p += n;
	rd->len -= n;
	return true;
}

/* Time is int64_t microseconds since the Unix epoch (packet time) or
 * since an arbitrary origin (monotonic ticks). */
#define FST_US_PER_SEC INT64_C(1000000)

/* Packet time stays within +-FST_TS_LIMIT_US (about 73,000 years around
 * 1970): the capture layer clamps whatever a file claims. So any two
 * packet times subtract, and a packet time plus any duration ftpstall
 * uses adds, without overflow. */
#define FST_TS_LIMIT_US (INT64_MAX / 4)

/* Formats packet time as "YYYY-MM-DD HH:MM:SS.uuuuuu" (UTC) into buf;
 * returns buf. size >= 32 always suffices. */
char *fst_time_format(int64_t ts_us, char *buf, size_t size);

/* Formats "HH:MM:SS.uuuuuu" (UTC), tcpdump's default, into buf. */
char *fst_time_format_clock(int64_t ts_us, char *buf, size_t size);

/* Formats ISO 8601 UTC with microseconds, "2026-12-01T04:29:34.321142Z",
 * into buf (FST_TIME_ISO_SIZE bytes suffice); "?" for a time outside
 * years 0..9999. Returns buf. */
#define FST_TIME_ISO_SIZE 40
char *fst_time_format_iso(int64_t ts_us, char *buf, size_t size);

/* A duration in microseconds as seconds. */
static inline double fst_seconds(int64_t us)
{
	return (double)us / (double)FST_US_PER_SEC;
}

/* IP address of either family, in network byte order. */
struct fst_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t bytes[16];
};

/* Inline too: the flow table compares addresses on every packet. */
static inline bool fst_addr_equal(const struct fst_addr *a, const struct fst_addr *b)
{
	if (a->family != b->family)
		return false;
	/* Constant sizes: each memcmp compiles to a load and a compare or two. */
	return a->family == 4 ? memcmp(a->bytes, b->bytes, 4) == 0 :
				memcmp(a->bytes, b->bytes, 16) == 0;
}

/* "ip:port" or "[ip6]:port" into buf (size >= 64 suffices); returns buf. */
char *fst_endpoint_format(const struct fst_addr *addr, uint16_t port, char *buf, size_t size);

/* The Internet checksum (RFC 1071) in pieces. A sum is the ones'
 * complement sum of big-endian 16-bit words, folded to 16 bits; the
 * checksum field holds its complement. */

/* Adds len bytes at p to sum. p must start at an even offset of the
 * checksummed data; an odd last byte counts as its high half. */
uint16_t fst_csum_add(uint16_t sum, const uint8_t *p, size_t len);

/* The sum of the TCP/UDP pseudo-header (RFC 9293 3.1 for IPv4, RFC 8200
 * 8.1 for IPv6) for a segment of len bytes of protocol proto. */
uint16_t fst_csum_pseudo(const struct fst_addr *src, const struct fst_addr *dst, uint8_t proto,
			 uint32_t len);

/* The checksum field after len bytes at an even offset changed from old
 * to new, without reading the rest (RFC 1624 eqn. 3), so it also works
 * when a capture holds only part of the segment. */
uint16_t fst_csum_replace(uint16_t check, const uint8_t *old, const uint8_t *new, size_t len);

/* A set of ids that count up from 1 (session ids), a byte each, grown
 * as ids come; zero-initialised it is empty. */
struct fst_id_marks {
	unsigned char *marks;
	size_t size;
};

/* Marks id: 1 when it was not marked before, 0 when it was, -1 when the
 * set could not grow (id stays unmarked). */
int fst_id_marks_add(struct fst_id_marks *m, uint64_t id);
bool fst_id_marks_has(const struct fst_id_marks *m, uint64_t id);
/* Frees the marks; the set is empty again. */
void fst_id_marks_free(struct fst_id_marks *m);

#endif
