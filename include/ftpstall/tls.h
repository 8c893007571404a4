/* The TLS record layer of an FTPS control or data connection, read
 * without keys: record boundaries and types (RFC 8446 5.1, RFC 5246
 * 6.2), the hellos (SNI, session ID, ticket and PSK offered, version and
 * cipher chosen, resumption), alerts while they are still cleartext, and
 * where the TLS layer ends in each direction (ProFTPD's 421 after its
 * close_notify, vsftpd's 500 OOPS after its alert, CCC). Pure byte
 * parsing through the bounded reader: common only. */
#ifndef FTPSTALL_TLS_H
#define FTPSTALL_TLS_H

#include "ftpstall/common.h"

/* How an FTP session came to TLS. */
enum fst_tls_mode {
	FST_TLS_MODE_NONE,
	FST_TLS_MODE_EXPLICIT, /* AUTH TLS / AUTH SSL answered 234 (RFC 4217) */
	FST_TLS_MODE_IMPLICIT, /* a ClientHello as the client's first bytes */
	FST_TLS_MODE_COUNT
};
const char *fst_tls_mode_name(enum fst_tls_mode mode);

/* The two directions, as index of fst_tls_info.side. */
enum fst_tls_dir {
	FST_TLS_FROM_CLIENT = 0,
	FST_TLS_FROM_SERVER = 1,
};

/* RFC 8446 4.2.1: the version number of TLS 1.3. */
#define FST_TLS_VERSION_13 0x0304

/* RFC 8446 5.2: a record is at most 2^14 + 256 bytes; RFC 5246 6.2.3
 * allowed 2^14 + 2048. Longer is no TLS. */
#define FST_TLS_MAX_RECORD (16384 + 2048)
/* The longest record body that may be no more than an alert once
 * encrypted: 2 bytes, TLS 1.3's inner content type and a 16-byte tag
 * make 19; the rest leaves room for padding. */
#define FST_TLS_ALERT_BODY_MAX 40
/* A hello longer than this is skipped, not parsed. */
#define FST_TLS_HELLO_MAX 4096
#define FST_TLS_SNI_MAX	  255

/* What one direction showed. */
struct fst_tls_side_info {
	uint64_t records;
	uint64_t app_records, app_bytes; /* application data (type 23), bodies */
	unsigned alerts;		 /* alert records (type 21): visible up to TLS 1.2 */
	/* The first alert's level and description when it was still
	 * cleartext (alert_readable), else 0. */
	bool alert_readable;
	uint8_t alert_level, alert_description;
	bool close_notify; /* a readable close_notify alert */
	/* Application-data records after the handshake, as far as a reader
	 * without keys can place its end (handshake_done): up to TLS 1.2
	 * every type-23 record; TLS 1.3 sends its encrypted handshake as
	 * type 23 too, so the client's after its last flight (its first
	 * ones up to the server's next record: a Certificate when asked,
	 * its Finished) and the server's after the client's first.
	 * short_late_records: of
	 * them, those with a body of at most FST_TLS_ALERT_BODY_MAX, which
	 * may be an alert (TLS 1.3 hides close_notify in type 23). */
	uint64_t late_records, short_late_records;
	uint32_t late_max_body; /* the longest of them */
	int64_t first_alert_us, last_record_us;
	/* Bytes that are no TLS record came at a record boundary: the TLS
	 * layer ended there and what follows is cleartext (ended_us). */
	bool ended;
	int64_t ended_us;
	/* The capture lost bytes inside the record stream: the rest of this
	 * direction is opaque (no boundaries, no cleartext after it). */
	bool lost;
	/* A record header that lied (type or length out of range) ended the
	 * parse, or a hello did not parse. */
	unsigned malformed;
	/* With keys (fst_tls_set_decryption): application-data records
	 * decrypted and their plaintext bytes. */
	uint64_t plain_records, plain_bytes;
};

/* Whether a connection's records could be read with the key log. */
enum fst_tls_decrypt {
	FST_TLS_DECRYPT_NONE,	      /* no key log given */
	FST_TLS_DECRYPT_WAITING,      /* keys given; the hellos not read yet */
	FST_TLS_DECRYPT_ON,	      /* records decrypt and authenticate */
	FST_TLS_DECRYPT_NO_KEYS,      /* no secret for its client random nor its resumed session */
	FST_TLS_DECRYPT_CIPHER,	      /* a cipher suite or version not supported for decryption */
	FST_TLS_DECRYPT_BAD_KEYS,     /* a record failed authentication: a wrong secret */
	FST_TLS_DECRYPT_LOST,	      /* the capture lost bytes; records after them are opaque */
	FST_TLS_DECRYPT_NO_HANDSHAKE, /* the hellos were not captured (picked up mid-stream) */
	FST_TLS_DECRYPT_COUNT
};
/* "none", "waiting", "decrypted", "no_keys", "cipher", "bad_keys", "lost",
 * "no_handshake". Static. */
const char *fst_tls_decrypt_name(enum fst_tls_decrypt state);
/* Why a connection is not decrypted, in words ("the key log has no
 * secret for its client random"); "" for NONE, WAITING and ON. Static. */
const char *fst_tls_decrypt_reason(enum fst_tls_decrypt state);

struct fst_tls_info {
	enum fst_tls_mode mode; /* as the owner said (fst_tls_set_mode) */
	bool client_hello, server_hello;
	bool hello_retry; /* the server asked for another ClientHello (TLS 1.3) */
	uint16_t version; /* chosen: the ServerHello's supported_versions, else its own */
	uint16_t cipher;  /* the ServerHello's cipher suite */
	char sni[FST_TLS_SNI_MAX + 1]; /* control bytes replaced by '.' */
	bool session_id_offered;       /* a non-empty legacy session ID */
	bool ticket_offered;	       /* a non-empty session_ticket extension */
	bool psk_offered;	       /* a pre_shared_key extension (TLS 1.3) */
	/* The server took the offer: it echoed the session ID (TLS 1.2 and
	 * earlier), or chose a pre-shared key (TLS 1.3). */
	bool resumed;
	/* The client finished its handshake: TLS 1.3 its first encrypted
	 * record began its last flight; earlier both sides'
	 * ChangeCipherSpec. */
	bool handshake_done;
	struct fst_tls_side_info side[2]; /* index enum fst_tls_dir */
	enum fst_tls_decrypt decrypt;
};

struct fst_tls;

/* Returns a new parser for one connection, free with fst_tls_free; NULL
 * when out of memory. */
struct fst_tls *fst_tls_new(void);
/* NULL is a no-op. */
void fst_tls_free(struct fst_tls *tls);

/* Heap bytes a parser holds. */
size_t fst_tls_size(void);

/* Reads len bytes of direction dir that came at ts_us. Borrows data for
 * the call. Returns how many of them were TLS: fewer than len when the
 * TLS layer of that direction ended in them, and 0 for every call after
 * that (the caller reads the rest as cleartext). */
size_t fst_tls_feed(struct fst_tls *tls, enum fst_tls_dir dir, const uint8_t *data, size_t len,
		    int64_t ts_us);

/* The capture lost bytes of direction dir: its record boundaries are
 * gone, so the rest of it is opaque. */
void fst_tls_lost(struct fst_tls *tls, enum fst_tls_dir dir);

/* How the connection came to TLS: the FTP layer knows, not the records. */
void fst_tls_set_mode(struct fst_tls *tls, enum fst_tls_mode mode);

/* Borrowed; lives as long as tls. */
const struct fst_tls_info *fst_tls_info(const struct fst_tls *tls);

/* True when data begins a TLS handshake record holding a ClientHello
 * (content type 22, version 3.x, a sane length, handshake type 1). */
bool fst_tls_starts_client_hello(const uint8_t *data, size_t len);

/* ---- decryption with an NSS key log ------------------------------------
 * The key log format of curl, python, Firefox/Chrome and every
 * SSLKEYLOGFILE logger: CLIENT_RANDOM (TLS 1.2 and earlier: the master
 * secret) and the TLS 1.3 traffic secret labels, keyed by the client
 * random of the connection. Keys never leave this module: nothing here
 * prints, returns or logs a secret. */
struct fst_tls_keylog;

/* Returns an empty key log, free with fst_tls_keylog_free; NULL when out
 * of memory. */
struct fst_tls_keylog *fst_tls_keylog_new(void);
/* NULL is a no-op. */
void fst_tls_keylog_free(struct fst_tls_keylog *keylog);

/* Adds the lines of text (a key log file's bytes, or a pcapng Decryption
 * Secrets Block's). Lines that are no key log line (comments, blank,
 * unknown labels, bad hex) are skipped and, when skipped is not NULL,
 * added to *skipped. Returns false only when out of memory. */
bool fst_tls_keylog_add(struct fst_tls_keylog *keylog, const char *text, size_t len,
			size_t *skipped);

/* Client randoms with at least one secret. */
size_t fst_tls_keylog_count(const struct fst_tls_keylog *keylog);

/* Live captures: a client appends its secrets as its connections start,
 * so a secret missing now may be in the file a moment later (Wireshark
 * re-reads its key log the same way). fn is called when a connection's
 * client random has no secret: it adds what the file gained since (with
 * fst_tls_keylog_add) and returns true when it added any; the lookup is
 * then tried once more. */
typedef bool (*fst_tls_keylog_refill_fn)(void *ctx, struct fst_tls_keylog *keylog);
void fst_tls_keylog_set_refill(struct fst_tls_keylog *keylog, fst_tls_keylog_refill_fn fn,
			       void *ctx);

/* Receives the plaintext of each application-data record of direction
 * dir, in order, during fst_tls_feed. Borrowed for the call. */
typedef void (*fst_tls_plaintext_fn)(void *ctx, enum fst_tls_dir dir, const uint8_t *data,
				     size_t len, int64_t ts_us);

/* Decrypts this connection with keylog's secrets from its hellos on:
 * call it before the first fst_tls_feed. keylog is borrowed and must
 * outlive tls; a TLS 1.2 session this connection establishes is written
 * into it (session ID and ticket -> master secret) so that connections
 * resuming it decrypt too. Decrypted alerts (TLS 1.3) fill the side's
 * alert fields like cleartext ones. */
void fst_tls_set_decryption(struct fst_tls *tls, struct fst_tls_keylog *keylog,
			    fst_tls_plaintext_fn on_plaintext, void *ctx);

/* Heap bytes a decrypting parser holds on top of fst_tls_size(). */
size_t fst_tls_decrypt_size(void);

/* "TLS 1.2", "TLS 1.3", ...; NULL for 0 or an unknown value. Static. */
const char *fst_tls_version_name(uint16_t version);
/* The IANA name of a common cipher suite ("TLS_AES_128_GCM_SHA256"), or
 * NULL when the table does not know it. Static. */
const char *fst_tls_cipher_name(uint16_t cipher);
/* "close_notify", "decode_error", ... (RFC 8446 6), or NULL. Static. */
const char *fst_tls_alert_name(uint8_t description);

#endif
