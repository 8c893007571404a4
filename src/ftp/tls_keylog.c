/* The NSS key log (see tls.h): a hash table keyed by the 32-byte client
 * random (and, written while decrypting, by TLS 1.2 session ID and
 * session ticket), open addressing over an array of entries that grows
 * by doubling up to FST_TLS_KEYLOG_MAX entries. Lines are parsed by
 * hand, byte by byte, never with sscanf: a key log is a file the user
 * handed us and may be anything. Nothing here prints a secret. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tls_private.h"

/* Far more than any key log of FTP sessions; a cap so that a huge file
 * cannot take unbounded memory (about 300 bytes an entry). */
#define FST_TLS_KEYLOG_MAX (1u << 18)
#define KEY_MAX		   32

struct entry {
	uint8_t kind; /* enum fst_tls_key_kind */
	uint8_t key_len;
	uint8_t key[KEY_MAX];
	struct fst_tls_secret_value secret[FST_TLS_SECRET_COUNT];
};

struct fst_tls_keylog {
	struct entry *entries;
	size_t count, capacity;
	uint32_t *slots; /* entry index + 1, 0 when empty; slot_count a power of 2 */
	size_t slot_count;
	size_t client_randoms;
	fst_tls_keylog_refill_fn refill; /* see fst_tls_keylog_set_refill */
	void *refill_ctx;
};

static const struct {
	const char *label;
	enum fst_tls_secret secret;
} labels[] = {
	{ "CLIENT_RANDOM", FST_TLS_SECRET_MASTER },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", FST_TLS_SECRET_CLIENT_HS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", FST_TLS_SECRET_SERVER_HS },
	{ "CLIENT_TRAFFIC_SECRET_0", FST_TLS_SECRET_CLIENT_AP0 },
	{ "SERVER_TRAFFIC_SECRET_0", FST_TLS_SECRET_SERVER_AP0 },
};

struct fst_tls_keylog *fst_tls_keylog_new(void)
{
	return calloc(1, sizeof(struct fst_tls_keylog));
}

void fst_tls_keylog_free(struct fst_tls_keylog *keylog)
{
	if (!keylog)
		return;
	/* Secrets do not linger in freed memory. */
	if (keylog->entries)
		OPENSSL_cleanse(keylog->entries, keylog->capacity * sizeof(*keylog->entries));
	free(keylog->entries);
	free(keylog->slots);
	free(keylog);
}

size_t fst_tls_keylog_count(const struct fst_tls_keylog *keylog)
{
	return keylog ? keylog->client_randoms : 0;
}

/* FNV-1a over kind and key: client randoms are random already, and a
 * session ID an attacker chose can at worst make its own probe longer. */
static size_t key_hash(uint8_t kind, const uint8_t *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ kind;

	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)(h ^ h >> 32);
}

/* The slot holding (kind, key), or the empty slot where it would go. */
static size_t find_slot(const struct fst_tls_keylog *keylog, uint8_t kind, const uint8_t *key,
			size_t len)
{
	size_t mask = keylog->slot_count - 1;
	size_t at = key_hash(kind, key, len) & mask;

	for (;;) {
		uint32_t slot = keylog->slots[at];
		const struct entry *e;

		if (slot == 0)
			return at;
		e = &keylog->entries[slot - 1];
		if (e->kind == kind && e->key_len == len && memcmp(e->key, key, len) == 0)
			return at;
		at = (at + 1) & mask;
	}
}

static const struct entry *lookup(const struct fst_tls_keylog *keylog, uint8_t kind,
				  const uint8_t *key, size_t len)
{
	uint32_t slot;

	if (!keylog || keylog->slot_count == 0 || len > KEY_MAX)
		return NULL;
	slot = keylog->slots[find_slot(keylog, kind, key, len)];
	return slot ? &keylog->entries[slot - 1] : NULL;
}

/* Room for one more entry: the entries array and, at half load, the
 * slots double. False when out of memory. */
static bool grow(struct fst_tls_keylog *keylog)
{
	size_t slots_want = keylog->slot_count ? keylog->slot_count : 64;

	if (keylog->count == keylog->capacity) {
		size_t cap = keylog->capacity ? keylog->capacity * 2 : 32;
		struct entry *e = calloc(cap, sizeof(*e));

		if (!e)
			return false;
		if (keylog->entries) {
			memcpy(e, keylog->entries, keylog->count * sizeof(*e));
			OPENSSL_cleanse(keylog->entries, keylog->capacity * sizeof(*e));
		}
		free(keylog->entries);
		keylog->entries = e;
		keylog->capacity = cap;
	}
	while ((keylog->count + 1) * 2 > slots_want)
		slots_want *= 2;
	if (slots_want != keylog->slot_count) {
		uint32_t *slots = calloc(slots_want, sizeof(*slots));
		uint32_t *old = keylog->slots;

		if (!slots)
			return false;
		keylog->slots = slots;
		keylog->slot_count = slots_want;
		for (size_t i = 0; i < keylog->count; i++) {
			const struct entry *e = &keylog->entries[i];

			slots[find_slot(keylog, e->kind, e->key, e->key_len)] = (uint32_t)i + 1;
		}
		free(old);
	}
	return true;
}

/* The entry (kind, key), made when missing. NULL when out of memory
 * (*oom) or the table is full. */
static struct entry *upsert(struct fst_tls_keylog *keylog, uint8_t kind, const uint8_t *key,
			    size_t len, bool *oom)
{
	struct entry *e = (struct entry *)lookup(keylog, kind, key, len);

	*oom = false;
	if (e)
		return e;
	if (keylog->count >= FST_TLS_KEYLOG_MAX)
		return NULL;
	if (!grow(keylog)) {
		*oom = true;
		return NULL;
	}
	e = &keylog->entries[keylog->count];
	e->kind = kind;
	e->key_len = (uint8_t)len;
	memcpy(e->key, key, len);
	keylog->slots[find_slot(keylog, kind, key, len)] = (uint32_t)++keylog->count;
	if (kind == FST_TLS_BY_CLIENT_RANDOM)
		keylog->client_randoms++;
	return e;
}

void fst_tls_keylog_set_refill(struct fst_tls_keylog *keylog, fst_tls_keylog_refill_fn fn,
			       void *ctx)
{
	keylog->refill = fn;
	keylog->refill_ctx = ctx;
}

bool fst_tls_keylog_find(struct fst_tls_keylog *keylog, enum fst_tls_key_kind kind,
			 const uint8_t *key, size_t key_len, enum fst_tls_secret which,
			 struct fst_tls_secret_value *out)
{
	const struct entry *e = lookup(keylog, (uint8_t)kind, key, key_len);

	/* Only client randoms come from the file; the sessions remembered
	 * while decrypting are never in it. */
	if (!e && kind == FST_TLS_BY_CLIENT_RANDOM && keylog->refill &&
	    keylog->refill(keylog->refill_ctx, keylog))
		e = lookup(keylog, (uint8_t)kind, key, key_len);

	out->len = 0;
	if (!e || e->secret[which].len == 0)
		return false;
	*out = e->secret[which];
	return true;
}

bool fst_tls_keylog_remember(struct fst_tls_keylog *keylog, enum fst_tls_key_kind kind,
			     const uint8_t *key, size_t key_len,
			     const struct fst_tls_secret_value *master)
{
	struct entry *e;
	bool oom;

	if (key_len == 0 || key_len > KEY_MAX)
		return false;
	e = upsert(keylog, (uint8_t)kind, key, key_len, &oom);
	if (!e)
		return false;
	e->secret[FST_TLS_SECRET_MASTER] = *master;
	return true;
}

/* Exactly len hex characters at text into out (len / 2 bytes). */
static bool unhex(const char *text, size_t len, uint8_t *out)
{
	if (len % 2 != 0)
		return false;
	for (size_t i = 0; i < len; i += 2) {
		int hi = fst_hex_digit(text[i]), lo = fst_hex_digit(text[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The next space-separated word of line [*at, end). */
static bool next_word(const char *line, size_t end, size_t *at, size_t *word, size_t *word_len)
{
	while (*at < end && (line[*at] == ' ' || line[*at] == '\t'))
		(*at)++;
	*word = *at;
	while (*at < end && line[*at] != ' ' && line[*at] != '\t')
		(*at)++;
	*word_len = *at - *word;
	return *word_len > 0;
}

enum line_result {
	LINE_ADDED,
	LINE_SKIPPED,
	LINE_OOM
};

/* `LABEL <64 hex client random> <hex secret>`, trailing blanks allowed. */
static enum line_result add_line(struct fst_tls_keylog *keylog, const char *line, size_t len)
{
	uint8_t random[FST_TLS_RANDOM];
	struct fst_tls_secret_value value = { 0 };
	size_t at = 0, w[4], wl[4], which = sizeof(labels) / sizeof(labels[0]);
	struct entry *e;
	bool oom;
	unsigned words = 0;

	while (words < 4 && next_word(line, len, &at, &w[words], &wl[words]))
		words++;
	if (words != 3)
		return LINE_SKIPPED;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strlen(labels[i].label) == wl[0] &&
		    memcmp(line + w[0], labels[i].label, wl[0]) == 0)
			which = i;
	if (which == sizeof(labels) / sizeof(labels[0]) || wl[1] != 2 * FST_TLS_RANDOM ||
	    !unhex(line + w[1], wl[1], random) || wl[2] == 0 || wl[2] > 2 * FST_TLS_SECRET_MAX ||
	    !unhex(line + w[2], wl[2], value.bytes))
		return LINE_SKIPPED;
	value.len = (uint8_t)(wl[2] / 2);
	e = upsert(keylog, FST_TLS_BY_CLIENT_RANDOM, random, sizeof(random), &oom);
	if (!e)
		return oom ? LINE_OOM : LINE_SKIPPED;
	e->secret[labels[which].secret] = value;
	OPENSSL_cleanse(&value, sizeof(value));
	return LINE_ADDED;
}

bool fst_tls_keylog_add(struct fst_tls_keylog *keylog, const char *text, size_t len,
			size_t *skipped)
{
	size_t at = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len, line_len = end - at;
		enum line_result r;

		if (line_len > 0 && text[end - 1] == '\r')
			line_len--;
		r = line_len == 0 || text[at] == '#' ? LINE_SKIPPED :
						       add_line(keylog, text + at, line_len);
		if (r == LINE_OOM)
			return false;
		if (r == LINE_SKIPPED && skipped)
			(*skipped)++;
		at = end + 1;
	}
	return true;
}
