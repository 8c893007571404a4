/* The TLS record layer without keys (see tls.h). Each direction is a
 * record reader that carries a record header across segments and, while
 * the handshake is still cleartext, a handshake-message reader that
 * keeps the hellos (up to FST_TLS_HELLO_MAX bytes) to parse them. Every
 * field is read through the bounded reader: a hello is whatever bytes
 * an attacker put in it. */
#include <stdlib.h>
#include <string.h>

#include "tls_private.h"

/* RFC 8446 5.1 content types, and the handshake and extension numbers
 * read here (RFC 8446 4, 4.2; RFC 6066 3; RFC 5077 3.2; RFC 7366 2). */
enum {
	CT_CHANGE_CIPHER_SPEC = FST_TLS_CT_CHANGE_CIPHER_SPEC,
	CT_ALERT = FST_TLS_CT_ALERT,
	CT_HANDSHAKE = FST_TLS_CT_HANDSHAKE,
	CT_APPLICATION_DATA = FST_TLS_CT_APPLICATION_DATA,
	CT_HEARTBEAT = FST_TLS_CT_HEARTBEAT,
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_NEW_SESSION_TICKET = 4,
	EXT_SERVER_NAME = 0,
	EXT_ENCRYPT_THEN_MAC = 22,
	EXT_SESSION_TICKET = 35,
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
	TLS13 = FST_TLS_VERSION_13,
	RECORD_HEADER = FST_TLS_RECORD_HEADER,
	HANDSHAKE_HEADER = FST_TLS_HANDSHAKE_HEADER,
};

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hello_retry_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

struct dir_reader {
	uint8_t header[RECORD_HEADER];
	uint8_t header_have;
	uint8_t type;		     /* of the record being read */
	uint32_t body_left;	     /* of the record being read */
	bool cipher_on;		     /* this side's records are encrypted from here */
	bool encrypted;		     /* the record being read is (cipher_on when it began) */
	bool stopped;		     /* ended or lost: nothing more is parsed */
	uint8_t alert_have;	     /* bytes of a cleartext alert body read */
	uint8_t alert[2];	     /* ... its level and description */
	struct fst_tls_msg msg_read; /* the handshake message being read */
	bool msg_keep;		     /* it is a hello short enough to parse */
	size_t msg_len;		     /* bytes of it in msg */
	uint8_t msg[FST_TLS_HELLO_MAX];
};

struct fst_tls {
	struct fst_tls_info info;
	uint8_t offered_session_id[32];
	uint8_t offered_session_id_len;
	struct dir_reader dir[2];
	struct fst_tls_dec *dec; /* NULL: no key log, the keyless path only */
	bool client_flight;	 /* TLS 1.3: the client's last handshake flight goes on */
};

static const char *const mode_names[] = {
	[FST_TLS_MODE_NONE] = "none",
	[FST_TLS_MODE_EXPLICIT] = "explicit",
	[FST_TLS_MODE_IMPLICIT] = "implicit",
};
_Static_assert(sizeof(mode_names) / sizeof(mode_names[0]) == FST_TLS_MODE_COUNT, "a name per mode");

const char *fst_tls_mode_name(enum fst_tls_mode mode)
{
	return (unsigned)mode < FST_TLS_MODE_COUNT ? mode_names[mode] : "?";
}

struct code_name {
	uint16_t code;
	const char *name;
};

static const struct code_name version_names[] = {
	{ 0x0300, "SSL 3.0" }, { 0x0301, "TLS 1.0" }, { 0x0302, "TLS 1.1" },
	{ 0x0303, "TLS 1.2" }, { 0x0304, "TLS 1.3" },
};

/* The suites FTP servers and clients commonly agree on (IANA registry). */
static const struct code_name cipher_names[] = {
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

/* RFC 8446 6 and RFC 5246 7.2. */
static const struct code_name alert_names[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 22, "record_overflow" },
	{ 40, "handshake_failure" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 112, "unrecognized_name" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

static const char *code_lookup(const struct code_name *table, size_t count, uint16_t code)
{
	for (size_t i = 0; i < count; i++)
		if (table[i].code == code)
			return table[i].name;
	return NULL;
}

#define LOOKUP(table, code) code_lookup(table, sizeof(table) / sizeof(table[0]), code)

const char *fst_tls_version_name(uint16_t version)
{
	return LOOKUP(version_names, version);
}

const char *fst_tls_cipher_name(uint16_t cipher)
{
	return LOOKUP(cipher_names, cipher);
}

const char *fst_tls_alert_name(uint8_t description)
{
	return LOOKUP(alert_names, description);
}

struct fst_tls *fst_tls_new(void)
{
	return calloc(1, sizeof(struct fst_tls));
}

void fst_tls_free(struct fst_tls *tls)
{
	if (!tls)
		return;
	fst_tls_dec_free(tls->dec);
	free(tls);
}

void fst_tls_set_decryption(struct fst_tls *tls, struct fst_tls_keylog *keylog,
			    fst_tls_plaintext_fn on_plaintext, void *ctx)
{
	if (tls->dec || !keylog)
		return;
	tls->dec = fst_tls_dec_new(keylog, on_plaintext, ctx);
	if (tls->dec)
		tls->info.decrypt = FST_TLS_DECRYPT_WAITING;
}

size_t fst_tls_size(void)
{
	return sizeof(struct fst_tls);
}

void fst_tls_set_mode(struct fst_tls *tls, enum fst_tls_mode mode)
{
	tls->info.mode = mode;
}

const struct fst_tls_info *fst_tls_info(const struct fst_tls *tls)
{
	return &tls->info;
}

/* A record header we can believe: a known content type, version 3.x
 * (SSL 3.0 to TLS 1.3; TLS 1.3 still writes 3.1 to 3.3 here) and a length
 * no TLS allows to be longer. */
static bool header_valid(const uint8_t *h)
{
	uint16_t len = fst_load_be16(h + 3);

	return h[0] >= CT_CHANGE_CIPHER_SPEC && h[0] <= CT_HEARTBEAT && h[1] == 3 && h[2] <= 4 &&
	       len <= FST_TLS_MAX_RECORD;
}

bool fst_tls_starts_client_hello(const uint8_t *data, size_t len)
{
	return len > RECORD_HEADER && data[0] == CT_HANDSHAKE && header_valid(data) &&
	       fst_load_be16(data + 3) >= HANDSHAKE_HEADER &&
	       data[RECORD_HEADER] == HS_CLIENT_HELLO;
}

/* ---- hellos ------------------------------------------------------------ */

static void keep_sni(struct fst_tls_info *info, struct fst_rd ext)
{
	struct fst_rd list, name;
	uint16_t list_len, name_len;
	uint8_t name_type;

	if (!fst_rd_be16(&ext, &list_len) || !fst_rd_sub(&ext, list_len, &list))
		return;
	while (fst_rd_u8(&list, &name_type) && fst_rd_be16(&list, &name_len) &&
	       fst_rd_sub(&list, name_len, &name)) {
		size_t n = name.len < FST_TLS_SNI_MAX ? name.len : FST_TLS_SNI_MAX;

		if (name_type != 0) /* host_name is the only type there is */
			continue;
		for (size_t i = 0; i < n; i++)
			info->sni[i] = name.p[i] < 0x20 || name.p[i] >= 0x7f ? '.' :
									       (char)name.p[i];
		info->sni[n] = '\0';
		return;
	}
}

/* The extensions block of a hello: a list of (type, length, body). */
static bool next_extension(struct fst_rd *exts, uint16_t *type, struct fst_rd *body)
{
	uint16_t len;

	return fst_rd_be16(exts, type) && fst_rd_be16(exts, &len) && fst_rd_sub(exts, len, body);
}

/* RFC 8446 4.1.2 (and RFC 5246 7.4.1.2). */
static bool parse_client_hello(struct fst_tls *tls, struct fst_rd rd)
{
	struct fst_tls_info *info = &tls->info;
	struct fst_rd session_id, exts, body, ticket = { 0 };
	uint16_t suites_len, exts_len, type;
	uint8_t sid_len, compression_len;
	const uint8_t *random;
	bool etm = false;

	if (!fst_rd_skip(&rd, 2) || rd.len < 32)
		return false;
	random = rd.p;
	if (!fst_rd_skip(&rd, 32) || !fst_rd_u8(&rd, &sid_len) || sid_len > 32 ||
	    !fst_rd_sub(&rd, sid_len, &session_id) || !fst_rd_be16(&rd, &suites_len) ||
	    !fst_rd_skip(&rd, suites_len) || !fst_rd_u8(&rd, &compression_len) ||
	    !fst_rd_skip(&rd, compression_len))
		return false;
	info->client_hello = true;
	info->session_id_offered = sid_len > 0;
	memcpy(tls->offered_session_id, session_id.p, sid_len);
	tls->offered_session_id_len = sid_len;
	if (rd.len > 0) { /* else no extensions (SSL 3.0 style) */
		if (!fst_rd_be16(&rd, &exts_len) || !fst_rd_sub(&rd, exts_len, &exts))
			return false;
		while (next_extension(&exts, &type, &body)) {
			if (type == EXT_SERVER_NAME)
				keep_sni(info, body);
			else if (type == EXT_SESSION_TICKET && body.len > 0) {
				ticket = body;
				info->ticket_offered = true;
			} else if (type == EXT_PRE_SHARED_KEY)
				info->psk_offered = true;
			else if (type == EXT_ENCRYPT_THEN_MAC)
				etm = true;
		}
		if (exts.len != 0)
			return false;
	}
	if (tls->dec) {
		struct fst_tls_hello_keys keys = {
			.random = random,
			.session_id = session_id.p,
			.session_id_len = sid_len,
			.ticket = ticket.p,
			.ticket_len = ticket.len,
			.encrypt_then_mac = etm,
		};

		fst_tls_dec_client_hello(tls->dec, &keys);
	}
	return true;
}

/* RFC 8446 4.1.3. */
static bool parse_server_hello(struct fst_tls *tls, struct fst_rd rd)
{
	struct fst_tls_info *info = &tls->info;
	struct fst_rd session_id, exts, body;
	uint16_t legacy_version, cipher, exts_len, type, chosen = 0;
	uint8_t random[32], sid_len;
	bool psk_chosen = false, etm = false;

	if (!fst_rd_be16(&rd, &legacy_version) || !fst_rd_bytes(&rd, random, sizeof(random)) ||
	    !fst_rd_u8(&rd, &sid_len) || sid_len > 32 || !fst_rd_sub(&rd, sid_len, &session_id) ||
	    !fst_rd_be16(&rd, &cipher) || !fst_rd_skip(&rd, 1))
		return false;
	if (rd.len > 0) {
		if (!fst_rd_be16(&rd, &exts_len) || !fst_rd_sub(&rd, exts_len, &exts))
			return false;
		while (next_extension(&exts, &type, &body)) {
			if (type == EXT_SUPPORTED_VERSIONS)
				(void)fst_rd_be16(&body, &chosen);
			else if (type == EXT_PRE_SHARED_KEY)
				psk_chosen = true;
			else if (type == EXT_ENCRYPT_THEN_MAC)
				etm = true;
		}
	}
	info->version = chosen ? chosen : legacy_version;
	info->cipher = cipher;
	if (memcmp(random, hello_retry_random, sizeof(random)) == 0) {
		info->hello_retry = true;
		return true;
	}
	info->server_hello = true;
	if (info->version >= TLS13)
		info->resumed = psk_chosen;
	else
		info->resumed = sid_len > 0 && sid_len == tls->offered_session_id_len &&
				memcmp(session_id.p, tls->offered_session_id, sid_len) == 0;
	/* TLS 1.3 encrypts everything after the ServerHello, both ways. */
	if (info->version >= TLS13) {
		tls->dir[FST_TLS_FROM_SERVER].cipher_on = true;
		tls->dir[FST_TLS_FROM_CLIENT].cipher_on = true;
	}
	if (tls->dec) {
		struct fst_tls_hello_keys keys = {
			.random = random,
			.session_id = session_id.p,
			.session_id_len = sid_len,
			.encrypt_then_mac = etm,
		};

		fst_tls_dec_server_hello(tls->dec, info, &keys);
	}
	return true;
}

static void handshake_message(struct fst_tls *tls, enum fst_tls_dir dir)
{
	struct dir_reader *d = &tls->dir[dir];
	struct fst_rd rd = fst_rd_make(d->msg, d->msg_len);
	bool ok = true;

	if (d->msg_read.header[0] == HS_CLIENT_HELLO && dir == FST_TLS_FROM_CLIENT)
		ok = parse_client_hello(tls, rd);
	else if (d->msg_read.header[0] == HS_SERVER_HELLO && dir == FST_TLS_FROM_SERVER)
		ok = parse_server_hello(tls, rd);
	else if (d->msg_read.header[0] == HS_NEW_SESSION_TICKET && dir == FST_TLS_FROM_SERVER &&
		 tls->dec)
		fst_tls_dec_session_ticket(tls->dec, d->msg, d->msg_len);
	if (!ok)
		tls->info.side[dir].malformed++;
}

bool fst_tls_msg_header(struct fst_tls_msg *msg, struct fst_rd *rd)
{
	while (msg->header_have < HANDSHAKE_HEADER && fst_rd_u8(rd, &msg->header[msg->header_have]))
		msg->header_have++;
	if (msg->header_have < HANDSHAKE_HEADER)
		return false;
	msg->left = (uint32_t)msg->header[1] << 16 | (uint32_t)msg->header[2] << 8 | msg->header[3];
	return true;
}

/* Cleartext handshake bytes: messages (4-byte header) may span records
 * and records may hold several; only the hellos are kept. */
static void handshake_bytes(struct fst_tls *tls, enum fst_tls_dir dir, struct fst_rd rd)
{
	struct dir_reader *d = &tls->dir[dir];

	while (rd.len > 0) {
		size_t n;

		if (d->msg_read.header_have < HANDSHAKE_HEADER) {
			if (!fst_tls_msg_header(&d->msg_read, &rd))
				continue;
			d->msg_len = 0;
			/* With keys, a TLS 1.2 session ticket too: it names
			 * the master secret of later resumptions. */
			d->msg_keep =
				(d->msg_read.header[0] == HS_CLIENT_HELLO ||
				 d->msg_read.header[0] == HS_SERVER_HELLO ||
				 (d->msg_read.header[0] == HS_NEW_SESSION_TICKET && tls->dec)) &&
				d->msg_read.left <= FST_TLS_HELLO_MAX;
			if (d->msg_read.left > 0)
				continue;
		}
		n = rd.len < d->msg_read.left ? rd.len : d->msg_read.left;
		if (d->msg_keep)
			memcpy(d->msg + d->msg_len, rd.p, n);
		d->msg_len += d->msg_keep ? n : 0;
		(void)fst_rd_skip(&rd, n);
		d->msg_read.left -= (uint32_t)n;
		if (d->msg_read.left > 0)
			continue;
		if (d->msg_keep)
			handshake_message(tls, dir);
		d->msg_read.header_have = 0;
		/* The ServerHello of TLS 1.3 turns the cipher on: the rest
		 * of this record is no longer ours to read. */
		if (d->cipher_on)
			return;
	}
}

/* ---- records ----------------------------------------------------------- */

/* An application-data record of dir began (d->body_left its length):
 * whether it came after the handshake (see late_records in tls.h). */
static void late_record(struct fst_tls *tls, enum fst_tls_dir dir)
{
	struct fst_tls_info *info = &tls->info;
	struct fst_tls_side_info *side = &info->side[dir];

	if (info->version >= TLS13 && !info->handshake_done) {
		/* The client's first encrypted records are its last flight
		 * (a Certificate when asked, its Finished). */
		if (dir == FST_TLS_FROM_CLIENT) {
			info->handshake_done = true;
			tls->client_flight = true;
		}
		return;
	}
	if (dir == FST_TLS_FROM_SERVER)
		tls->client_flight = false;
	else if (tls->client_flight)
		return; /* ... which ends when the server answers */
	side->late_records++;
	if (tls->dir[dir].body_left <= FST_TLS_ALERT_BODY_MAX)
		side->short_late_records++;
	if (tls->dir[dir].body_left > side->late_max_body)
		side->late_max_body = tls->dir[dir].body_left;
}

static void record_begins(struct fst_tls *tls, enum fst_tls_dir dir, int64_t ts_us)
{
	struct dir_reader *d = &tls->dir[dir];
	struct fst_tls_side_info *side = &tls->info.side[dir];

	d->type = d->header[0];
	d->body_left = fst_load_be16(d->header + 3);
	d->alert_have = 0;
	d->encrypted = d->cipher_on;
	side->records++;
	side->last_record_us = ts_us;
	if (d->type == CT_APPLICATION_DATA) {
		side->app_records++;
		side->app_bytes += d->body_left;
		late_record(tls, dir);
	} else if (d->type == CT_ALERT) {
		if (side->alerts++ == 0)
			side->first_alert_us = ts_us;
	}
	if (!tls->dec)
		return;
	if (!d->encrypted)
		fst_tls_dec_cleartext_record(tls->dec, &tls->info, d->type);
	else if (d->body_left == 0)
		fst_tls_dec_record(tls->dec, &tls->info, dir, d->header, NULL, 0, true, ts_us);
}

/* A cleartext alert (level, description), read as its bytes come. */
static void alert_bytes(struct fst_tls *tls, enum fst_tls_dir dir, struct fst_rd rd)
{
	struct dir_reader *d = &tls->dir[dir];
	struct fst_tls_side_info *side = &tls->info.side[dir];

	while (d->alert_have < 2 && fst_rd_u8(&rd, &d->alert[d->alert_have]))
		d->alert_have++;
	if (d->alert_have < 2 || d->body_left > 0 || side->alert_readable)
		return;
	side->alert_readable = true;
	side->alert_level = d->alert[0];
	side->alert_description = d->alert[1];
	side->close_notify = d->alert[1] == 0;
}

/* Body bytes of the current record. */
static void body_bytes(struct fst_tls *tls, enum fst_tls_dir dir, struct fst_rd rd, int64_t ts_us)
{
	struct dir_reader *d = &tls->dir[dir];

	if (tls->dec && d->encrypted)
		fst_tls_dec_record(tls->dec, &tls->info, dir, d->header, rd.p, rd.len,
				   d->body_left == 0, ts_us);
	switch (d->type) {
	case CT_HANDSHAKE:
		if (!d->cipher_on)
			handshake_bytes(tls, dir, rd);
		break;
	case CT_CHANGE_CIPHER_SPEC:
		/* TLS 1.2: what this side sends next is encrypted. TLS 1.3
		 * sends one only to please middleboxes (RFC 8446 D.4), also
		 * between a HelloRetryRequest and the real ServerHello. */
		if (tls->info.version < TLS13) {
			d->cipher_on = true;
			tls->info.handshake_done = tls->dir[FST_TLS_FROM_CLIENT].cipher_on &&
						   tls->dir[FST_TLS_FROM_SERVER].cipher_on;
		}
		break;
	case CT_ALERT:
		if (!d->cipher_on)
			alert_bytes(tls, dir, rd);
		break;
	default:
		break;
	}
}

static void stop(struct fst_tls *tls, enum fst_tls_dir dir, int64_t ts_us)
{
	struct fst_tls_side_info *side = &tls->info.side[dir];

	tls->dir[dir].stopped = true;
	side->ended = true;
	side->ended_us = ts_us;
}

size_t fst_tls_feed(struct fst_tls *tls, enum fst_tls_dir dir, const uint8_t *data, size_t len,
		    int64_t ts_us)
{
	struct dir_reader *d = &tls->dir[dir];
	struct fst_rd rd = fst_rd_make(data, len);

	if (d->stopped)
		return tls->info.side[dir].lost ? len : 0;
	while (rd.len > 0) {
		struct fst_rd body;
		size_t n;

		if (d->body_left == 0) {
			/* The first byte of a header already says whether
			 * this is TLS: a cleartext reply begins with a digit. */
			if (d->header_have == 0 &&
			    (rd.p[0] < CT_CHANGE_CIPHER_SPEC || rd.p[0] > CT_HEARTBEAT)) {
				stop(tls, dir, ts_us);
				return len - rd.len;
			}
			(void)fst_rd_u8(&rd, &d->header[d->header_have++]);
			if (d->header_have < RECORD_HEADER)
				continue;
			d->header_have = 0;
			if (!header_valid(d->header)) {
				tls->info.side[dir].malformed++;
				stop(tls, dir, ts_us);
				/* The header's bytes are gone; what follows
				 * is read as cleartext. */
				return len - rd.len;
			}
			record_begins(tls, dir, ts_us);
			continue;
		}
		n = rd.len < d->body_left ? rd.len : d->body_left;
		(void)fst_rd_sub(&rd, n, &body);
		d->body_left -= (uint32_t)n;
		body_bytes(tls, dir, body, ts_us);
	}
	return len;
}

void fst_tls_lost(struct fst_tls *tls, enum fst_tls_dir dir)
{
	struct dir_reader *d = &tls->dir[dir];

	if (d->stopped)
		return;
	d->stopped = true;
	tls->info.side[dir].lost = true;
	if (tls->dec)
		fst_tls_dec_lost(tls->dec, &tls->info, dir);
}
