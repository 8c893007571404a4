/* Digests for checking an upload against the server's HASH (draft-bryan-
 * ftpext-hash) or XSHA256/XSHA1/XMD5/XCRC replies: SHA-256 (FIPS 180-4),
 * SHA-1 (FIPS 180-4), MD5 (RFC 1321) and CRC-32 (IEEE 802.3, as zlib).
 * Small own implementations, so the client needs no crypto library;
 * they verify transfers, they protect nothing. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name; /* as shown and as HASH names it */
	const char *alias;
	size_t hex_len;
} digest_info[] = {
	[FST_DIGEST_NONE] = { "none", "none", 0 },
	[FST_DIGEST_SHA256] = { "SHA-256", "SHA256", 64 },
	[FST_DIGEST_SHA1] = { "SHA-1", "SHA1", 40 },
	[FST_DIGEST_MD5] = { "MD5", "MD5", 32 },
	[FST_DIGEST_CRC32] = { "CRC32", "CRC", 8 },
};
_Static_assert(sizeof(digest_info) / sizeof(digest_info[0]) == FST_DIGEST_COUNT, "digest names");

const char *fst_client_digest_name(enum fst_client_digest d)
{
	return d < FST_DIGEST_COUNT ? digest_info[d].name : "?";
}

enum fst_client_digest client_digest_lookup(const char *name, size_t len)
{
	for (int d = FST_DIGEST_SHA256; d < FST_DIGEST_COUNT; d++)
		if ((strlen(digest_info[d].name) == len &&
		     strncasecmp(name, digest_info[d].name, len) == 0) ||
		    (strlen(digest_info[d].alias) == len &&
		     strncasecmp(name, digest_info[d].alias, len) == 0))
			return (enum fst_client_digest)d;
	return FST_DIGEST_NONE;
}

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static void sha256_block(uint32_t *h, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k;

	for (int i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      sha256_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha1_block(uint32_t *h, const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};

static const uint8_t md5_r[64] = {
	7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,	14, 20, 5,  9,
	14, 20, 5,  9,	14, 20, 5,  9,	14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
	4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21,
};

static void md5_block(uint32_t *h, const uint8_t *p)
{
	uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		m[i] = le32(p + 4 * i);
	for (unsigned i = 0; i < 64; i++) {
		uint32_t f, t;
		unsigned g;

		if (i < 16)
			f = (b & c) | (~b & d), g = i;
		else if (i < 32)
			f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
		else if (i < 48)
			f = b ^ c ^ d, g = (3 * i + 5) % 16;
		else
			f = c ^ (b | ~d), g = (7 * i) % 16;
		t = d;
		d = c;
		c = b;
		b = b + rol(a + f + md5_k[i] + m[g], md5_r[i]);
		a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

/* CRC-32 a nibble at a time: a 16-entry table fits in a const. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

void client_digest_init(struct client_digest *d, enum fst_client_digest alg)
{
	static const uint32_t sha256_h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	static const uint32_t sha1_h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
					    0xc3d2e1f0 };

	memset(d, 0, sizeof(*d));
	d->alg = alg;
	d->crc = 0xffffffff;
	if (alg == FST_DIGEST_SHA256)
		memcpy(d->h, sha256_h, sizeof(sha256_h));
	else if (alg == FST_DIGEST_SHA1 || alg == FST_DIGEST_MD5)
		memcpy(d->h, sha1_h, alg == FST_DIGEST_MD5 ? 16 : 20);
}

static void run_block(struct client_digest *d, const uint8_t *p)
{
	switch (d->alg) {
	case FST_DIGEST_SHA256:
		sha256_block(d->h, p);
		break;
	case FST_DIGEST_SHA1:
		sha1_block(d->h, p);
		break;
	case FST_DIGEST_MD5:
		md5_block(d->h, p);
		break;
	case FST_DIGEST_NONE:
	case FST_DIGEST_CRC32:
	case FST_DIGEST_COUNT:
		break;
	}
}

void client_digest_update(struct client_digest *d, const void *data, size_t len)
{
	const uint8_t *p = data;

	d->len += len;
	if (d->alg == FST_DIGEST_CRC32) {
		uint32_t crc = d->crc;

		for (size_t i = 0; i < len; i++) {
			crc = crc_nibble[(crc ^ p[i]) & 0xf] ^ (crc >> 4);
			crc = crc_nibble[(crc ^ (uint32_t)(p[i] >> 4)) & 0xf] ^ (crc >> 4);
		}
		d->crc = crc;
		return;
	}
	if (d->alg == FST_DIGEST_NONE)
		return;
	while (len > 0) {
		size_t n = 64 - d->fill;

		if (n > len)
			n = len;
		memcpy(d->block + d->fill, p, n);
		d->fill += n;
		p += n;
		len -= n;
		if (d->fill == 64) {
			run_block(d, d->block);
			d->fill = 0;
		}
	}
}

void client_digest_final(struct client_digest *d, char *hex, size_t size)
{
	uint64_t bits = d->len * 8;
	uint8_t out[32];
	size_t words = 0, n = 0;

	if (d->alg == FST_DIGEST_CRC32) {
		snprintf(hex, size, "%08x", d->crc ^ 0xffffffffu);
		return;
	}
	if (d->alg == FST_DIGEST_NONE || d->alg >= FST_DIGEST_COUNT) {
		snprintf(hex, size, "%s", "");
		return;
	}
	/* Padding: 0x80, zeros, then the bit length in the last 8 bytes. */
	d->block[d->fill++] = 0x80;
	if (d->fill > 56) {
		memset(d->block + d->fill, 0, 64 - d->fill);
		run_block(d, d->block);
		d->fill = 0;
	}
	memset(d->block + d->fill, 0, 56 - d->fill);
	for (int i = 0; i < 8; i++) {
		uint8_t byte = (uint8_t)(bits >> (8 * i));

		if (d->alg == FST_DIGEST_MD5)
			d->block[56 + i] = byte; /* little-endian length */
		else
			d->block[63 - i] = byte;
	}
	run_block(d, d->block);
	words = d->alg == FST_DIGEST_SHA256 ? 8 : d->alg == FST_DIGEST_SHA1 ? 5 : 4;
	for (size_t i = 0; i < words; i++)
		for (int b = 0; b < 4; b++)
			out[n++] = d->alg == FST_DIGEST_MD5 ? (uint8_t)(d->h[i] >> (8 * b)) :
							      (uint8_t)(d->h[i] >> (24 - 8 * b));
	if (size == 0)
		return;
	hex[0] = '\0';
	for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

void fst_client_digest_hex(enum fst_client_digest d, const void *data, size_t len, char *hex,
			   size_t size)
{
	struct client_digest ctx;

	client_digest_init(&ctx, d);
	client_digest_update(&ctx, data, len);
	client_digest_final(&ctx, hex, size);
}

size_t client_digest_hex_len(enum fst_client_digest d)
{
	return d < FST_DIGEST_COUNT ? digest_info[d].hex_len : 0;
}
