/* Decryption of a connection's TLS records with an NSS key log (see
 * tls.h). tls.c reads the records without keys and hands this file the
 * hellos and the body bytes of every encrypted record; here they are
 * buffered (one record per direction, allocated the first time one is
 * needed), opened and authenticated with OpenSSL 3's EVP ciphers, MACs
 * and KDFs, and their plaintext handed to the owner's callback.
 *
 * TLS 1.2 (RFC 5246 6.3, 6.2.3): the key block is the PRF of the master
 * secret (CLIENT_RANDOM) over "key expansion" and the randoms; AES-GCM
 * (RFC 5288: 4-byte implicit and 8-byte explicit nonce), ChaCha20-Poly1305
 * (RFC 7905: the IV XOR the sequence number) and AES-CBC with HMAC, MAC
 * then encrypt or, when both hellos carry extension 22, encrypt then MAC
 * (RFC 7366). TLS 1.1 and 1.0 the same with their MD5/SHA-1 PRF, TLS
 * 1.0 with its chained CBC IVs (RFC 2246 6.2.3.2); SSL 3.0 is not read.
 *
 * TLS 1.3 (RFC 8446 7): the handshake and then the application traffic
 * secrets of the key log, key and IV by HKDF-Expand-Label (the
 * TLS13-KDF), the nonce the IV XOR the sequence number, the inner content
 * type after the zero padding; each side's Finished switches it to its
 * traffic secret 0, each KeyUpdate to the next secret. A resumed TLS 1.3
 * session needs the connection's own lines: its keys come from the
 * resumption secret and, as a rule, a fresh (EC)DHE exchange, neither of
 * which any key log line holds. A resumed TLS 1.2 session reuses the
 * master secret of the session it resumes, which this file records (by
 * session ID and by session ticket) in the key log when a connection
 * decrypts. 0-RTT early data is not read. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tls_private.h"

enum {
	TLS10 = 0x0301,
	TLS11 = 0x0302,
	TLS12 = 0x0303,
	TLS13 = 0x0304,
	AEAD_TAG = 16,
	AEAD_NONCE = 12,
	GCM_EXPLICIT_NONCE = 8,
	CBC_BLOCK = 16,
	KEY_MAX = 32,
	HS_NEW_SESSION_TICKET = 4,
	HS_FINISHED = 20,
	HS_KEY_UPDATE = 24,
	TICKET_HASH = 32,
	/* seq_num (8) || type || version (2) || length (2): RFC 5246 6.2.3 */
	PSEUDO_HEADER = 13,
};

enum cipher_kind {
	KIND_GCM,
	KIND_CHACHA,
	KIND_CBC
};

/* A cipher suite decryption knows. prf is the hash of the TLS 1.2 PRF or
 * of the TLS 1.3 HKDF; mac the HMAC hash of a CBC suite. */
struct suite {
	uint16_t code;
	bool tls13;
	enum cipher_kind kind;
	const EVP_CIPHER *(*cipher)(void);
	uint8_t key_len;
	const char *prf;
	const char *mac;
	uint8_t mac_len;
};

static const struct suite suites[] = {
	{ 0x1301, true, KIND_GCM, EVP_aes_128_gcm, 16, "SHA256", NULL, 0 },
	{ 0x1302, true, KIND_GCM, EVP_aes_256_gcm, 32, "SHA384", NULL, 0 },
	{ 0x1303, true, KIND_CHACHA, EVP_chacha20_poly1305, 32, "SHA256", NULL, 0 },
	{ 0x009c, false, KIND_GCM, EVP_aes_128_gcm, 16, "SHA256", NULL, 0 },
	{ 0x009d, false, KIND_GCM, EVP_aes_256_gcm, 32, "SHA384", NULL, 0 },
	{ 0x009e, false, KIND_GCM, EVP_aes_128_gcm, 16, "SHA256", NULL, 0 },
	{ 0x009f, false, KIND_GCM, EVP_aes_256_gcm, 32, "SHA384", NULL, 0 },
	{ 0xc02b, false, KIND_GCM, EVP_aes_128_gcm, 16, "SHA256", NULL, 0 },
	{ 0xc02c, false, KIND_GCM, EVP_aes_256_gcm, 32, "SHA384", NULL, 0 },
	{ 0xc02f, false, KIND_GCM, EVP_aes_128_gcm, 16, "SHA256", NULL, 0 },
	{ 0xc030, false, KIND_GCM, EVP_aes_256_gcm, 32, "SHA384", NULL, 0 },
	{ 0xcca8, false, KIND_CHACHA, EVP_chacha20_poly1305, 32, "SHA256", NULL, 0 },
	{ 0xcca9, false, KIND_CHACHA, EVP_chacha20_poly1305, 32, "SHA256", NULL, 0 },
	{ 0xccaa, false, KIND_CHACHA, EVP_chacha20_poly1305, 32, "SHA256", NULL, 0 },
	{ 0x002f, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA1", 20 },
	{ 0x0033, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA1", 20 },
	{ 0x0035, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA1", 20 },
	{ 0x0039, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA1", 20 },
	{ 0x003c, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA256", 32 },
	{ 0x003d, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA256", 32 },
	{ 0x0067, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA256", 32 },
	{ 0x006b, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA256", 32 },
	{ 0xc009, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA1", 20 },
	{ 0xc00a, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA1", 20 },
	{ 0xc013, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA1", 20 },
	{ 0xc014, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA256", "SHA1", 20 },
	{ 0xc023, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA256", 32 },
	{ 0xc024, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA384", "SHA384", 48 },
	{ 0xc027, false, KIND_CBC, EVP_aes_128_cbc, 16, "SHA256", "SHA256", 32 },
	{ 0xc028, false, KIND_CBC, EVP_aes_256_cbc, 32, "SHA384", "SHA384", 48 },
};

static const char *const state_names[] = {
	[FST_TLS_DECRYPT_NONE] = "none",     [FST_TLS_DECRYPT_WAITING] = "waiting",
	[FST_TLS_DECRYPT_ON] = "decrypted",  [FST_TLS_DECRYPT_NO_KEYS] = "no_keys",
	[FST_TLS_DECRYPT_CIPHER] = "cipher", [FST_TLS_DECRYPT_BAD_KEYS] = "bad_keys",
	[FST_TLS_DECRYPT_LOST] = "lost",     [FST_TLS_DECRYPT_NO_HANDSHAKE] = "no_handshake",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == FST_TLS_DECRYPT_COUNT,
	       "a name per decryption state");

static const char *const state_reasons[] = {
	[FST_TLS_DECRYPT_NONE] = "",
	[FST_TLS_DECRYPT_WAITING] = "",
	[FST_TLS_DECRYPT_ON] = "",
	[FST_TLS_DECRYPT_NO_KEYS] = ("the key log has no secret for its client random nor for "
				     "the session it resumes"),
	[FST_TLS_DECRYPT_CIPHER] = "its TLS version or cipher suite is not supported",
	[FST_TLS_DECRYPT_BAD_KEYS] = "a record failed authentication with the key log's secret",
	[FST_TLS_DECRYPT_LOST] = "the capture lost bytes of its records",
	[FST_TLS_DECRYPT_NO_HANDSHAKE] = "its TLS hellos were not captured",
};
_Static_assert(sizeof(state_reasons) / sizeof(state_reasons[0]) == FST_TLS_DECRYPT_COUNT,
	       "a reason per decryption state");

const char *fst_tls_decrypt_name(enum fst_tls_decrypt state)
{
	return (unsigned)state < FST_TLS_DECRYPT_COUNT ? state_names[state] : "?";
}

const char *fst_tls_decrypt_reason(enum fst_tls_decrypt state)
{
	return (unsigned)state < FST_TLS_DECRYPT_COUNT ? state_reasons[state] : "";
}

/* One direction's keys and the record being read. */
struct dir_keys {
	bool ready;  /* keys installed */
	bool failed; /* stopped: a record did not authenticate (or no key for it) */
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac;
	uint8_t key[KEY_MAX];
	/* TLS 1.3 and ChaCha: 12 bytes; TLS 1.2 GCM: 4; TLS 1.0 CBC: the
	 * next record's 16 (1.1 and 1.2 CBC: unused). */
	uint8_t iv[CBC_BLOCK];
	uint64_t seq;
	struct fst_tls_secret_value secret; /* TLS 1.3: the current traffic secret */
	struct fst_tls_secret_value next;   /* TLS 1.3: traffic secret 0, until Finished */
	bool application;		    /* TLS 1.3: past this side's Finished */
	/* TLS 1.3: decrypted handshake messages, read for their type only. */
	struct fst_tls_msg msg_read;
	bool finished_seen, key_update_seen; /* switch keys after this record */
	uint8_t *buf;			     /* FST_TLS_MAX_RECORD bytes, lazily */
	size_t have;
};

struct fst_tls_dec {
	struct fst_tls_keylog *keylog; /* borrowed */
	fst_tls_plaintext_fn on_plaintext;
	void *ctx;
	const struct suite *suite;
	uint16_t version;
	bool client_hello, server_hello, keys_chosen;
	uint8_t client_random[FST_TLS_RANDOM];
	uint8_t session_id[32];
	size_t session_id_len;
	bool ticket_offered, etm_offered, etm;
	uint8_t ticket_hash[TICKET_HASH];
	/* TLS 1.2: the master secret, and what to remember it by. */
	struct fst_tls_secret_value master;
	bool new_ticket, remembered_session, remembered_ticket;
	uint8_t new_ticket_hash[TICKET_HASH];
	struct dir_keys dir[2];
};

struct fst_tls_dec *fst_tls_dec_new(struct fst_tls_keylog *keylog, fst_tls_plaintext_fn fn,
				    void *ctx)
{
	struct fst_tls_dec *dec = calloc(1, sizeof(*dec));

	if (!dec)
		return NULL;
	dec->keylog = keylog;
	dec->on_plaintext = fn;
	dec->ctx = ctx;
	return dec;
}

void fst_tls_dec_free(struct fst_tls_dec *dec)
{
	if (!dec)
		return;
	for (int i = 0; i < 2; i++) {
		EVP_CIPHER_CTX_free(dec->dir[i].cipher);
		EVP_MAC_CTX_free(dec->dir[i].mac);
		free(dec->dir[i].buf);
	}
	OPENSSL_cleanse(dec, sizeof(*dec));
	free(dec);
}

size_t fst_tls_decrypt_size(void)
{
	return sizeof(struct fst_tls_dec) + 2 * (size_t)FST_TLS_MAX_RECORD;
}

/* The one place the state changes: once it says why a connection does
 * not decrypt, the first reason stays. */
static void set_state(struct fst_tls_info *info, enum fst_tls_decrypt to)
{
	switch (info->decrypt) {
	case FST_TLS_DECRYPT_WAITING:
	case FST_TLS_DECRYPT_ON:
		info->decrypt = to;
		break;
	case FST_TLS_DECRYPT_NONE:
	case FST_TLS_DECRYPT_NO_KEYS:
	case FST_TLS_DECRYPT_CIPHER:
	case FST_TLS_DECRYPT_BAD_KEYS:
	case FST_TLS_DECRYPT_LOST:
	case FST_TLS_DECRYPT_NO_HANDSHAKE:
	case FST_TLS_DECRYPT_COUNT:
		break;
	}
}

static void sha256(const uint8_t *data, size_t len, uint8_t out[TICKET_HASH])
{
	if (!EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL))
		memset(out, 0, TICKET_HASH);
}

void fst_tls_dec_client_hello(struct fst_tls_dec *dec, const struct fst_tls_hello_keys *hello)
{
	dec->client_hello = true;
	memcpy(dec->client_random, hello->random, FST_TLS_RANDOM);
	dec->session_id_len =
		hello->session_id_len <= sizeof(dec->session_id) ? hello->session_id_len : 0;
	memcpy(dec->session_id, hello->session_id, dec->session_id_len);
	dec->ticket_offered = hello->ticket_len > 0;
	if (dec->ticket_offered)
		sha256(hello->ticket, hello->ticket_len, dec->ticket_hash);
	dec->etm_offered = hello->encrypt_then_mac;
}

/* ---- key derivation ---------------------------------------------------- */

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 7.1. */
static bool expand_label(const char *hash, const struct fst_tls_secret_value *secret,
			 const char *label, uint8_t *out, size_t len)
{
	static const char prefix[] = "tls13 ";
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	uint8_t empty = 0;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)hash, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret->bytes,
						  secret->len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)prefix,
						  sizeof(prefix) - 1),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, &empty, 0),
		OSSL_PARAM_construct_end(),
	};
	bool ok = kctx && EVP_KDF_derive(kctx, out, len, params) > 0;

	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok;
}

static size_t hash_len(const char *hash)
{
	return strcmp(hash, "SHA384") == 0 ? 48 : 32;
}

/* Keys and IV of one TLS 1.3 direction from its traffic secret; the
 * record sequence starts again at 0. */
static bool install_tls13(const struct suite *suite, struct dir_keys *d,
			  const struct fst_tls_secret_value *secret)
{
	bool ok;

	d->ready = false;
	if (secret->len != hash_len(suite->prf))
		return false;
	d->secret = *secret;
	if (!d->cipher)
		d->cipher = EVP_CIPHER_CTX_new();
	ok = d->cipher && expand_label(suite->prf, secret, "key", d->key, suite->key_len) &&
	     expand_label(suite->prf, secret, "iv", d->iv, AEAD_NONCE) &&
	     EVP_DecryptInit_ex(d->cipher, suite->cipher(), NULL, d->key, NULL) > 0;
	d->seq = 0;
	d->ready = ok;
	return ok;
}

/* RFC 5246 6.3: the key block of a TLS 1.2 (1.1) connection. */
static bool key_block(const struct fst_tls_dec *dec, const uint8_t *server_random, uint8_t *out,
		      size_t len)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof(label) - 1 + 2 * FST_TLS_RANDOM];
	const char *digest = dec->version >= TLS12 ? dec->suite->prf : "MD5-SHA1";
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	bool ok;

	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, server_random, FST_TLS_RANDOM);
	memcpy(seed + sizeof(label) - 1 + FST_TLS_RANDOM, dec->client_random, FST_TLS_RANDOM);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
						      (void *)dec->master.bytes, dec->master.len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	params[3] = OSSL_PARAM_construct_end();
	ok = kctx && EVP_KDF_derive(kctx, out, len, params) > 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* RFC 5246 6.3: client MAC key, server MAC key, client key, server key,
 * client IV, server IV. */
static bool install_tls12(struct fst_tls_dec *dec, const uint8_t *server_random)
{
	const struct suite *s = dec->suite;
	size_t iv_len = s->kind == KIND_GCM    ? 4 :
			s->kind == KIND_CHACHA ? AEAD_NONCE :
			dec->version < TLS11   ? CBC_BLOCK :
						 0;
	size_t mac_len = s->kind == KIND_CBC ? s->mac_len : 0;
	uint8_t block[2 * (48 + KEY_MAX + CBC_BLOCK)];
	size_t len = 2 * (mac_len + s->key_len + iv_len);
	bool ok = key_block(dec, server_random, block, len);

	for (int i = 0; ok && i < 2; i++) {
		/* Key block halves are client (write) first, then server. */
		struct dir_keys *d = &dec->dir[i == 0 ? FST_TLS_FROM_CLIENT : FST_TLS_FROM_SERVER];
		const uint8_t *mac_key = block + (size_t)i * mac_len;
		const uint8_t *key = block + 2 * mac_len + (size_t)i * s->key_len;
		const uint8_t *iv = block + 2 * (mac_len + s->key_len) + (size_t)i * iv_len;

		memcpy(d->key, key, s->key_len);
		memcpy(d->iv, iv, iv_len);
		d->cipher = EVP_CIPHER_CTX_new();
		ok = d->cipher &&
		     EVP_DecryptInit_ex(d->cipher, s->cipher(), NULL, d->key, NULL) > 0;
		if (ok && s->kind == KIND_CBC) {
			EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
			OSSL_PARAM params[] = {
				OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								 (char *)s->mac, 0),
				OSSL_PARAM_construct_end(),
			};

			d->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
			EVP_MAC_free(hmac);
			ok = d->mac && EVP_MAC_init(d->mac, mac_key, mac_len, params) > 0;
		}
		d->seq = 0;
		d->ready = ok;
	}
	OPENSSL_cleanse(block, sizeof(block));
	return ok;
}

/* The master secret of a TLS 1.2 connection: its own CLIENT_RANDOM line,
 * else that of the session it resumes. */
static bool find_master(struct fst_tls_dec *dec, const struct fst_tls_info *info)
{
	if (fst_tls_keylog_find(dec->keylog, FST_TLS_BY_CLIENT_RANDOM, dec->client_random,
				FST_TLS_RANDOM, FST_TLS_SECRET_MASTER, &dec->master))
		return true;
	if (info->resumed &&
	    fst_tls_keylog_find(dec->keylog, FST_TLS_BY_SESSION_ID, dec->session_id,
				dec->session_id_len, FST_TLS_SECRET_MASTER, &dec->master))
		return true;
	/* RFC 5077 3.4: a server that takes a ticket echoes the client's
	 * session ID, if the client sent one. */
	return dec->ticket_offered && (info->resumed || dec->session_id_len == 0) &&
	       fst_tls_keylog_find(dec->keylog, FST_TLS_BY_TICKET, dec->ticket_hash, TICKET_HASH,
				   FST_TLS_SECRET_MASTER, &dec->master);
}

/* TLS 1.3: the handshake traffic secrets now, traffic secret 0 for each
 * side's Finished. False when the key log lacks the handshake secrets. */
static bool choose_tls13(struct fst_tls_dec *dec, struct fst_tls_info *info)
{
	struct fst_tls_secret_value hs[2];
	static const enum fst_tls_secret hs_label[2] = { FST_TLS_SECRET_CLIENT_HS,
							 FST_TLS_SECRET_SERVER_HS };
	static const enum fst_tls_secret ap0_label[2] = { FST_TLS_SECRET_CLIENT_AP0,
							  FST_TLS_SECRET_SERVER_AP0 };
	bool found = true;

	for (int d = 0; d < 2; d++) {
		found = fst_tls_keylog_find(dec->keylog, FST_TLS_BY_CLIENT_RANDOM,
					    dec->client_random, FST_TLS_RANDOM, hs_label[d],
					    &hs[d]) &&
			found;
		(void)fst_tls_keylog_find(dec->keylog, FST_TLS_BY_CLIENT_RANDOM, dec->client_random,
					  FST_TLS_RANDOM, ap0_label[d], &dec->dir[d].next);
	}
	/* A secret of the wrong length for the suite's hash is a wrong
	 * secret. */
	for (int d = 0; found && d < 2; d++) {
		if (!install_tls13(dec->suite, &dec->dir[d], &hs[d])) {
			dec->dir[d].failed = true;
			set_state(info, FST_TLS_DECRYPT_BAD_KEYS);
		}
	}
	OPENSSL_cleanse(hs, sizeof(hs));
	return found;
}

void fst_tls_dec_server_hello(struct fst_tls_dec *dec, struct fst_tls_info *info,
			      const struct fst_tls_hello_keys *hello)
{
	const struct suite *suite = NULL;

	/* One ServerHello chooses the keys; a second one is an attacker's. */
	if (dec->server_hello)
		return;
	dec->server_hello = true;
	if (!dec->client_hello) {
		set_state(info, FST_TLS_DECRYPT_NO_HANDSHAKE);
		return;
	}
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].code == info->cipher)
			suite = &suites[i];
	dec->version = info->version;
	if (!suite || info->version < TLS10 || info->version > TLS13 ||
	    suite->tls13 != (info->version == TLS13) ||
	    (info->version < TLS12 && suite->kind != KIND_CBC)) {
		set_state(info, FST_TLS_DECRYPT_CIPHER);
		return;
	}
	dec->suite = suite;
	dec->etm = suite->kind == KIND_CBC && dec->etm_offered && hello->encrypt_then_mac;
	if (info->resumed && hello->session_id_len <= sizeof(dec->session_id)) {
		memcpy(dec->session_id, hello->session_id, hello->session_id_len);
		dec->session_id_len = hello->session_id_len;
	} else if (!info->resumed) {
		/* A full handshake: the session is known by the server's ID. */
		dec->session_id_len = hello->session_id_len <= sizeof(dec->session_id) ?
					      hello->session_id_len :
					      0;
		memcpy(dec->session_id, hello->session_id, dec->session_id_len);
	}
	if (suite->tls13 ? !choose_tls13(dec, info) : !find_master(dec, info)) {
		set_state(info, FST_TLS_DECRYPT_NO_KEYS);
		return;
	}
	/* OpenSSL without the cipher (a FIPS-only build has no ChaCha20). */
	if (!suite->tls13 && !install_tls12(dec, hello->random)) {
		set_state(info, FST_TLS_DECRYPT_CIPHER);
		return;
	}
	dec->keys_chosen = true;
}

void fst_tls_dec_session_ticket(struct fst_tls_dec *dec, const uint8_t *body, size_t len)
{
	struct fst_rd rd = fst_rd_make(body, len);
	uint16_t ticket_len;
	struct fst_rd ticket;

	/* RFC 5077 3.3: ticket_lifetime_hint, then the ticket. */
	if (!fst_rd_skip(&rd, 4) || !fst_rd_be16(&rd, &ticket_len) ||
	    !fst_rd_sub(&rd, ticket_len, &ticket) || ticket_len == 0)
		return;
	sha256(ticket.p, ticket.len, dec->new_ticket_hash);
	dec->new_ticket = true;
	dec->remembered_ticket = false;
}

/* A TLS 1.2 connection whose records authenticate: its session can be
 * resumed by later connections, by ID or by ticket. */
static void remember_session(struct fst_tls_dec *dec)
{
	if (dec->suite->tls13)
		return;
	if (!dec->remembered_session && dec->session_id_len > 0)
		dec->remembered_session =
			fst_tls_keylog_remember(dec->keylog, FST_TLS_BY_SESSION_ID, dec->session_id,
						dec->session_id_len, &dec->master);
	if (dec->new_ticket && !dec->remembered_ticket)
		dec->remembered_ticket = fst_tls_keylog_remember(dec->keylog, FST_TLS_BY_TICKET,
								 dec->new_ticket_hash, TICKET_HASH,
								 &dec->master);
}

/* ---- records ----------------------------------------------------------- */

/* The 12-byte nonce of RFC 8446 5.3 and RFC 7905 2: iv XOR the sequence
 * number, left-padded. */
static void xor_nonce(const struct dir_keys *d, uint8_t nonce[AEAD_NONCE])
{
	memcpy(nonce, d->iv, AEAD_NONCE);
	for (int i = 0; i < 8; i++)
		nonce[AEAD_NONCE - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* Opens data (len bytes, then the tag) in place. */
static bool aead_open(struct dir_keys *d, const uint8_t nonce[AEAD_NONCE], const uint8_t *aad,
		      size_t aad_len, uint8_t *data, size_t len)
{
	int out = 0, last = 0;

	return len <= INT32_MAX && EVP_DecryptInit_ex(d->cipher, NULL, NULL, NULL, nonce) > 0 &&
	       EVP_CIPHER_CTX_ctrl(d->cipher, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, data + len) > 0 &&
	       EVP_DecryptUpdate(d->cipher, NULL, &out, aad, (int)aad_len) > 0 &&
	       EVP_DecryptUpdate(d->cipher, data, &out, data, (int)len) > 0 &&
	       EVP_DecryptFinal_ex(d->cipher, data + out, &last) > 0;
}

static void pseudo_header(uint8_t out[PSEUDO_HEADER], uint64_t seq, const uint8_t *header,
			  size_t len)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(seq >> (56 - 8 * i));
	out[8] = header[0];
	out[9] = header[1];
	out[10] = header[2];
	out[11] = (uint8_t)(len >> 8);
	out[12] = (uint8_t)len;
}

/* HMAC(pseudo header || data) equals mac. */
static bool mac_matches(struct dir_keys *d, size_t mac_len, const uint8_t *header,
			const uint8_t *data, size_t len, const uint8_t *mac)
{
	uint8_t ph[PSEUDO_HEADER], got[EVP_MAX_MD_SIZE];
	size_t got_len = 0;

	pseudo_header(ph, d->seq, header, len);
	return EVP_MAC_init(d->mac, NULL, 0, NULL) > 0 &&
	       EVP_MAC_update(d->mac, ph, sizeof(ph)) > 0 &&
	       EVP_MAC_update(d->mac, data, len) > 0 &&
	       EVP_MAC_final(d->mac, got, &got_len, sizeof(got)) > 0 && got_len == mac_len &&
	       CRYPTO_memcmp(got, mac, mac_len) == 0;
}

/* CBC-decrypts data (a multiple of the block) in place with iv. */
static bool cbc_decrypt(struct dir_keys *d, const uint8_t *iv, uint8_t *data, size_t len)
{
	int out = 0;

	return len <= INT32_MAX && EVP_DecryptInit_ex(d->cipher, NULL, NULL, NULL, iv) > 0 &&
	       EVP_CIPHER_CTX_set_padding(d->cipher, 0) > 0 &&
	       EVP_DecryptUpdate(d->cipher, data, &out, data, (int)len) > 0 && (size_t)out == len;
}

/* RFC 5246 6.2.3.2 padding: pad bytes each equal to its length byte.
 * The plaintext (with its MAC) is what is left. */
static bool strip_padding(const uint8_t *data, size_t *len)
{
	uint8_t pad;

	if (*len == 0)
		return false;
	pad = data[*len - 1];
	if ((size_t)pad + 1 > *len)
		return false;
	for (size_t i = *len - 1 - pad; i < *len; i++)
		if (data[i] != pad)
			return false;
	*len -= (size_t)pad + 1;
	return true;
}

/* A TLS 1.2 CBC record (RFC 5246 6.2.3.2; RFC 7366 with etm). */
static bool open_cbc(struct fst_tls_dec *dec, struct dir_keys *d, const uint8_t *header,
		     uint8_t *body, size_t len, const uint8_t **plain, size_t *plain_len)
{
	size_t mac_len = dec->suite->mac_len, n, clen;
	/* TLS 1.1 on: each record's IV is its first block. TLS 1.0: the
	 * key block's IV, then each record's last ciphertext block. */
	size_t explicit_iv = dec->version >= TLS11 ? CBC_BLOCK : 0;
	uint8_t iv[CBC_BLOCK], *cipher;

	if (len < mac_len)
		return false;
	n = dec->etm ? len - mac_len : len;
	if (n < explicit_iv + CBC_BLOCK || n % CBC_BLOCK != 0)
		return false;
	if (dec->etm && !mac_matches(d, mac_len, header, body, n, body + n))
		return false;
	memcpy(iv, explicit_iv ? body : d->iv, CBC_BLOCK);
	memcpy(d->iv, body + n - CBC_BLOCK, CBC_BLOCK);
	cipher = body + explicit_iv;
	clen = n - explicit_iv;
	if (!cbc_decrypt(d, iv, cipher, clen) || !strip_padding(cipher, &clen))
		return false;
	if (!dec->etm) {
		if (clen < mac_len)
			return false;
		clen -= mac_len;
		if (!mac_matches(d, mac_len, header, cipher, clen, cipher + clen))
			return false;
	}
	*plain = cipher;
	*plain_len = clen;
	return true;
}

/* A TLS 1.2 record: plaintext in place, its type the header's. */
static bool open_tls12(struct fst_tls_dec *dec, struct dir_keys *d, const uint8_t *header,
		       uint8_t *body, size_t len, const uint8_t **plain, size_t *plain_len)
{
	uint8_t nonce[AEAD_NONCE], aad[PSEUDO_HEADER];

	switch (dec->suite->kind) {
	case KIND_GCM:
		if (len < GCM_EXPLICIT_NONCE + AEAD_TAG)
			return false;
		*plain_len = len - GCM_EXPLICIT_NONCE - AEAD_TAG;
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, body, GCM_EXPLICIT_NONCE);
		pseudo_header(aad, d->seq, header, *plain_len);
		*plain = body + GCM_EXPLICIT_NONCE;
		return aead_open(d, nonce, aad, sizeof(aad), body + GCM_EXPLICIT_NONCE, *plain_len);
	case KIND_CHACHA:
		if (len < AEAD_TAG)
			return false;
		*plain_len = len - AEAD_TAG;
		xor_nonce(d, nonce);
		pseudo_header(aad, d->seq, header, *plain_len);
		*plain = body;
		return aead_open(d, nonce, aad, sizeof(aad), body, *plain_len);
	case KIND_CBC:
		return open_cbc(dec, d, header, body, len, plain, plain_len);
	}
	return false;
}

/* A TLS 1.3 record (RFC 8446 5.2): plaintext in place, and the inner
 * type after the zero padding. */
static bool open_tls13(struct dir_keys *d, const uint8_t *header, uint8_t *body, size_t len,
		       const uint8_t **plain, size_t *plain_len, uint8_t *type)
{
	uint8_t nonce[AEAD_NONCE];
	size_t n;

	if (len < AEAD_TAG + 1)
		return false;
	n = len - AEAD_TAG;
	xor_nonce(d, nonce);
	if (!aead_open(d, nonce, header, FST_TLS_RECORD_HEADER, body, n))
		return false;
	while (n > 0 && body[n - 1] == 0)
		n--;
	/* All zeros: no inner type (a peer's error, not a wrong key). */
	*type = n > 0 ? body[n - 1] : 0;
	*plain = body;
	*plain_len = n > 0 ? n - 1 : 0;
	return true;
}

/* TLS 1.3 handshake messages inside records: only their types matter
 * (Finished, KeyUpdate); a message may span records. */
static void handshake_plaintext(struct dir_keys *d, const uint8_t *p, size_t len)
{
	struct fst_rd rd = fst_rd_make(p, len);

	while (rd.len > 0) {
		size_t n;

		if (d->msg_read.header_have < FST_TLS_HANDSHAKE_HEADER &&
		    !fst_tls_msg_header(&d->msg_read, &rd))
			continue;
		n = rd.len < d->msg_read.left ? rd.len : d->msg_read.left;
		(void)fst_rd_skip(&rd, n);
		d->msg_read.left -= (uint32_t)n;
		if (d->msg_read.left > 0)
			continue;
		if (d->msg_read.header[0] == HS_FINISHED && !d->application)
			d->finished_seen = true;
		else if (d->msg_read.header[0] == HS_KEY_UPDATE && d->application)
			d->key_update_seen = true;
		d->msg_read.header_have = 0;
	}
}

/* RFC 8446 7.2: after this side's Finished its traffic secret 0, after a
 * KeyUpdate the next secret. Records never span a key change (5.1). */
static void switch_keys(struct fst_tls_dec *dec, struct fst_tls_info *info, struct dir_keys *d)
{
	struct fst_tls_secret_value next;
	bool ok = true;

	if (d->finished_seen) {
		d->application = true;
		if (d->next.len == 0) {
			d->failed = true;
			set_state(info, FST_TLS_DECRYPT_NO_KEYS);
		} else {
			ok = install_tls13(dec->suite, d, &d->next);
		}
		OPENSSL_cleanse(&d->next, sizeof(d->next));
	} else if (d->key_update_seen) {
		next.len = d->secret.len;
		ok = expand_label(dec->suite->prf, &d->secret, "traffic upd", next.bytes,
				  next.len) &&
		     install_tls13(dec->suite, d, &next);
		OPENSSL_cleanse(&next, sizeof(next));
	}
	d->finished_seen = d->key_update_seen = false;
	if (!ok)
		d->failed = true;
}

static void alert_plaintext(struct fst_tls_side_info *side, bool outer_alert, const uint8_t *p,
			    size_t len, int64_t ts_us)
{
	/* TLS 1.3 hides an alert in an application-data record, which the
	 * keyless reader did not count as one. */
	if (!outer_alert && side->alerts++ == 0)
		side->first_alert_us = ts_us;
	if (len < 2 || side->alert_readable)
		return;
	side->alert_readable = true;
	side->alert_level = p[0];
	side->alert_description = p[1];
	side->close_notify = p[1] == 0;
}

static void decrypt_record(struct fst_tls_dec *dec, struct fst_tls_info *info, enum fst_tls_dir dir,
			   const uint8_t *header, int64_t ts_us)
{
	struct dir_keys *d = &dec->dir[dir];
	struct fst_tls_side_info *side = &info->side[dir];
	const uint8_t *plain = NULL;
	size_t plain_len = 0;
	uint8_t type = header[0];
	bool ok;

	ok = dec->suite->tls13 ? open_tls13(d, header, d->buf, d->have, &plain, &plain_len, &type) :
				 open_tls12(dec, d, header, d->buf, d->have, &plain, &plain_len);
	if (!ok) {
		d->failed = true;
		set_state(info, FST_TLS_DECRYPT_BAD_KEYS);
		return;
	}
	d->seq++;
	if (info->decrypt == FST_TLS_DECRYPT_WAITING)
		set_state(info, FST_TLS_DECRYPT_ON);
	remember_session(dec);
	switch (type) {
	case FST_TLS_CT_APPLICATION_DATA:
		side->plain_records++;
		side->plain_bytes += plain_len;
		if (dec->on_plaintext && plain_len > 0)
			dec->on_plaintext(dec->ctx, dir, plain, plain_len, ts_us);
		break;
	case FST_TLS_CT_ALERT:
		alert_plaintext(side, header[0] == FST_TLS_CT_ALERT, plain, plain_len, ts_us);
		break;
	case FST_TLS_CT_HANDSHAKE:
		if (dec->suite->tls13)
			handshake_plaintext(d, plain, plain_len);
		break;
	default:
		/* TLS 1.2: an encrypted ChangeCipherSpec is a renegotiation,
		 * whose new keys no key log line names. */
		if (!dec->suite->tls13 && type == FST_TLS_CT_CHANGE_CIPHER_SPEC) {
			d->failed = true;
			set_state(info, FST_TLS_DECRYPT_CIPHER);
		}
		break;
	}
	if (dec->suite->tls13)
		switch_keys(dec, info, d);
}

void fst_tls_dec_record(struct fst_tls_dec *dec, struct fst_tls_info *info, enum fst_tls_dir dir,
			const uint8_t *header, const uint8_t *data, size_t len, bool last,
			int64_t ts_us)
{
	struct dir_keys *d = &dec->dir[dir];

	/* TLS 1.3 middlebox compatibility (RFC 8446 D.4): cleartext, no
	 * sequence number. */
	if (header[0] == FST_TLS_CT_CHANGE_CIPHER_SPEC && dec->suite && dec->suite->tls13)
		return;
	if (!dec->keys_chosen) {
		if (info->decrypt == FST_TLS_DECRYPT_WAITING)
			set_state(info, FST_TLS_DECRYPT_NO_HANDSHAKE);
		return;
	}
	if (d->failed || !d->ready)
		return;
	if (!d->buf) {
		d->buf = malloc(FST_TLS_MAX_RECORD);
		if (!d->buf) {
			d->failed = true;
			return;
		}
	}
	if (len > FST_TLS_MAX_RECORD - d->have) {
		/* tls.c never lets a record be longer; a defence only. */
		d->failed = true;
		set_state(info, FST_TLS_DECRYPT_BAD_KEYS);
		return;
	}
	if (len > 0) /* an empty record comes without bytes */
		memcpy(d->buf + d->have, data, len);
	d->have += len;
	if (!last)
		return;
	decrypt_record(dec, info, dir, header, ts_us);
	d->have = 0;
}

void fst_tls_dec_cleartext_record(struct fst_tls_dec *dec, struct fst_tls_info *info, uint8_t type)
{
	if (type == FST_TLS_CT_APPLICATION_DATA && !dec->keys_chosen)
		set_state(info, FST_TLS_DECRYPT_NO_HANDSHAKE);
}

void fst_tls_dec_lost(struct fst_tls_dec *dec, struct fst_tls_info *info, enum fst_tls_dir dir)
{
	dec->dir[dir].failed = true;
	if (dec->keys_chosen)
		set_state(info, FST_TLS_DECRYPT_LOST);
}
