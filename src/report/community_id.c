/* Community ID v1 (https://github.com/corelight/community-id-spec): the
 * flow hash that Zeek, Suricata, Wireshark and Elastic agree on, so a
 * session ftpstall reports joins their records of the same connection.
 * SHA-1 and base64 are Nettle's (Debian libnettle8): small, so linking
 * it costs every run of ftpstall a fraction of the startup relocations
 * that OpenSSL's libcrypto did. */
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "ftpstall/report.h"

/* The hashed tuple: seed (2), two addresses (16 each at most), protocol,
 * a zero pad byte, two ports. */
#define TUPLE_MAX (2 + 16 + 16 + 1 + 1 + 2 + 2)
/* "1:" and base64 of the 20-byte digest (28 characters) and a NUL. */
_Static_assert(FST_COMMUNITY_ID_SIZE >= 2 + BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) + 1,
	       "room for the prefix, the base64 digest and the NUL");

static size_t addr_len(const struct fst_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

/* The spec orders the endpoints so that both directions hash alike: the
 * smaller address first, or with equal addresses the smaller port. */
static bool ordered(const struct fst_addr *a, uint16_t a_port, const struct fst_addr *b,
		    uint16_t b_port)
{
	int cmp = memcmp(a->bytes, b->bytes, addr_len(a));

	return cmp < 0 || (cmp == 0 && a_port < b_port);
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

bool fst_community_id(const struct fst_addr *a, uint16_t a_port, const struct fst_addr *b,
		      uint16_t b_port, uint8_t proto, uint16_t seed, char *out, size_t size)
{
	uint8_t tuple[TUPLE_MAX], digest[SHA1_DIGEST_SIZE];
	struct sha1_ctx sha;
	size_t len = 0, alen = addr_len(a);

	if (size < FST_COMMUNITY_ID_SIZE || a->family != b->family ||
	    (a->family != 4 && a->family != 6)) {
		if (size)
			out[0] = '\0';
		return false;
	}
	if (!ordered(a, a_port, b, b_port)) {
		const struct fst_addr *t = a;
		uint16_t t_port = a_port;

		a = b;
		a_port = b_port;
		b = t;
		b_port = t_port;
	}
	len += put_u16(tuple + len, seed);
	memcpy(tuple + len, a->bytes, alen);
	len += alen;
	memcpy(tuple + len, b->bytes, alen);
	len += alen;
	tuple[len++] = proto;
	tuple[len++] = 0;
	len += put_u16(tuple + len, a_port);
	len += put_u16(tuple + len, b_port);
	sha1_init(&sha);
	sha1_update(&sha, len, tuple);
	sha1_digest(&sha, sizeof(digest), digest);
	memcpy(out, "1:", 2);
	base64_encode_raw(out + 2, sizeof(digest), digest);
	out[2 + BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = '\0';
	return true;
}
