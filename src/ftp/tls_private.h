/* Private to src/ftp: what the keyless record reader (tls.c), the key
 * log (tls_keylog.c) and the decryption (tls_decrypt.c) say to each
 * other. Secrets stay behind these functions: they are copied between
 * the key log and a connection's decryption state, never returned to
 * any caller outside src/ftp. */
#ifndef FTPSTALL_TLS_PRIVATE_H
#define FTPSTALL_TLS_PRIVATE_H

#include "ftpstall/tls.h"

/* RFC 8446 5.1 content types. */
enum {
	FST_TLS_CT_CHANGE_CIPHER_SPEC = 20,
	FST_TLS_CT_ALERT = 21,
	FST_TLS_CT_HANDSHAKE = 22,
	FST_TLS_CT_APPLICATION_DATA = 23,
	FST_TLS_CT_HEARTBEAT = 24,
	FST_TLS_RECORD_HEADER = 5,
	FST_TLS_HANDSHAKE_HEADER = 4,
	FST_TLS_RANDOM = 32,
	FST_TLS_SECRET_MAX = 48, /* SHA-384, the longest hash of any suite */
};

/* A handshake message header (RFC 8446 4: type, 24-bit length) read as
 * its bytes come, across records. */
struct fst_tls_msg {
	uint8_t header[FST_TLS_HANDSHAKE_HEADER];
	uint8_t header_have; /* FST_TLS_HANDSHAKE_HEADER: its body is being read */
	uint32_t left;	     /* body bytes still to come */
};

/* Takes the header bytes still missing from rd; true when the header is
 * complete (left is then the body's length). Call while header_have is
 * short of a header; set header_have to 0 after the body. */
bool fst_tls_msg_header(struct fst_tls_msg *msg, struct fst_rd *rd);

/* The secrets of one client random, by key log label. */
enum fst_tls_secret {
	FST_TLS_SECRET_MASTER,	   /* CLIENT_RANDOM: the TLS 1.2 master secret */
	FST_TLS_SECRET_CLIENT_HS,  /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	FST_TLS_SECRET_SERVER_HS,  /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	FST_TLS_SECRET_CLIENT_AP0, /* CLIENT_TRAFFIC_SECRET_0 */
	FST_TLS_SECRET_SERVER_AP0, /* SERVER_TRAFFIC_SECRET_0 */
	FST_TLS_SECRET_COUNT
};

struct fst_tls_secret_value {
	uint8_t len; /* 0: none */
	uint8_t bytes[FST_TLS_SECRET_MAX];
};

/* What a key log entry is keyed by: the client random of a connection,
 * or (written while decrypting) a TLS 1.2 session ID or the SHA-256 of
 * a TLS 1.2 session ticket, each naming a master secret. */
enum fst_tls_key_kind {
	FST_TLS_BY_CLIENT_RANDOM,
	FST_TLS_BY_SESSION_ID,
	FST_TLS_BY_TICKET,
};

/* Copies the secret which of the entry (kind, key of key_len <= 32
 * bytes) into *out; false (out->len 0) when there is none. A client
 * random not found asks the refill function first (live key logs). */
bool fst_tls_keylog_find(struct fst_tls_keylog *keylog, enum fst_tls_key_kind kind,
			 const uint8_t *key, size_t key_len, enum fst_tls_secret which,
			 struct fst_tls_secret_value *out);

/* Records master as the master secret of the session (kind, key). False
 * when out of memory or the table is full (the session is then simply
 * not resumable for decryption). */
bool fst_tls_keylog_remember(struct fst_tls_keylog *keylog, enum fst_tls_key_kind kind,
			     const uint8_t *key, size_t key_len,
			     const struct fst_tls_secret_value *master);

/* ---- the decryption state of one connection (tls_decrypt.c) ---------- */
struct fst_tls_dec;

/* Returns new, free with fst_tls_dec_free; NULL when out of memory. */
struct fst_tls_dec *fst_tls_dec_new(struct fst_tls_keylog *keylog, fst_tls_plaintext_fn fn,
				    void *ctx);
void fst_tls_dec_free(struct fst_tls_dec *dec);

/* The hello facts decryption needs, from the hellos tls.c parsed.
 * Borrowed for the call. */
struct fst_tls_hello_keys {
	const uint8_t *random; /* FST_TLS_RANDOM bytes */
	const uint8_t *session_id;
	size_t session_id_len;
	const uint8_t *ticket; /* the client's session_ticket extension */
	size_t ticket_len;
	bool encrypt_then_mac; /* extension 22 (RFC 7366) present */
};
void fst_tls_dec_client_hello(struct fst_tls_dec *dec, const struct fst_tls_hello_keys *hello);
/* The ServerHello (not a HelloRetryRequest): info has its version and
 * cipher. Chooses the keys or says why there are none (info->decrypt). */
void fst_tls_dec_server_hello(struct fst_tls_dec *dec, struct fst_tls_info *info,
			      const struct fst_tls_hello_keys *hello);
/* A cleartext TLS 1.2 NewSessionTicket message body (RFC 5077 3.3). */
void fst_tls_dec_session_ticket(struct fst_tls_dec *dec, const uint8_t *body, size_t len);

/* Body bytes of an encrypted record of direction dir whose header is
 * header; last is true on the bytes that complete it (an empty record
 * comes as one call with len 0 and last). */
void fst_tls_dec_record(struct fst_tls_dec *dec, struct fst_tls_info *info, enum fst_tls_dir dir,
			const uint8_t *header, const uint8_t *data, size_t len, bool last,
			int64_t ts_us);
/* A record that came in cleartext: application data before the keys
 * means the capture began after the hellos. */
void fst_tls_dec_cleartext_record(struct fst_tls_dec *dec, struct fst_tls_info *info, uint8_t type);
/* Direction dir lost bytes. */
void fst_tls_dec_lost(struct fst_tls_dec *dec, struct fst_tls_info *info, enum fst_tls_dir dir);

#endif
