/* Unit tests for the keyless TLS record-layer reader (src/ftp/tls.c):
 * record boundaries across segments, the hellos (RFC 8446 4.1.2, 4.1.3;
 * RFC 6066 3 SNI), alerts while cleartext, where TLS ends and cleartext
 * FTP begins, and hostile input: lying lengths, truncated hellos, huge
 * records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/tls.h"

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct buf *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v);
}

/* A record of type around body. */
static void record(struct buf *out, unsigned type, unsigned version, const struct buf *body)
{
	put8(out, type);
	put16(out, version);
	put16(out, (unsigned)body->n);
	put(out, body->b, body->n);
}

/* A handshake message of type around body. */
static void message(struct buf *out, unsigned type, const struct buf *body)
{
	put8(out, type);
	put24(out, (unsigned)body->n);
	put(out, body->b, body->n);
}

struct hello_opts {
	const char *sni;
	unsigned sid_len;
	uint8_t sid_byte;
	bool ticket, psk;
};

static void client_hello(struct buf *rec, const struct hello_opts *o)
{
	struct buf body = { 0 }, exts = { 0 }, msg = { 0 };
	uint8_t random[32] = { 0 };

	put16(&body, 0x0303);
	put(&body, random, sizeof(random));
	put8(&body, o->sid_len);
	for (unsigned i = 0; i < o->sid_len; i++)
		put8(&body, o->sid_byte);
	put16(&body, 4);
	put16(&body, 0x1301);
	put16(&body, 0xc02f);
	put8(&body, 1);
	put8(&body, 0);
	if (o->sni) {
		size_t n = strlen(o->sni);

		put16(&exts, 0);
		put16(&exts, (unsigned)(n + 5));
		put16(&exts, (unsigned)(n + 3));
		put8(&exts, 0);
		put16(&exts, (unsigned)n);
		put(&exts, o->sni, n);
	}
	if (o->ticket) {
		put16(&exts, 35);
		put16(&exts, 3);
		put(&exts, "tkt", 3);
	}
	if (o->psk) {
		put16(&exts, 41);
		put16(&exts, 2);
		put16(&exts, 0);
	}
	put16(&body, (unsigned)exts.n);
	put(&body, exts.b, exts.n);
	message(&msg, 1, &body);
	record(rec, 22, 0x0301, &msg);
}

/* RFC 8446 4.1.3: the random of a HelloRetryRequest. */
static const uint8_t hello_retry_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static bool next_is_retry; /* the next server_hello is a HelloRetryRequest */

static void server_hello(struct buf *rec, unsigned version, unsigned cipher, unsigned sid_len,
			 uint8_t sid_byte, bool psk)
{
	struct buf body = { 0 }, exts = { 0 }, msg = { 0 };
	uint8_t random[32] = { 1 };

	if (next_is_retry)
		memcpy(random, hello_retry_random, sizeof(random));
	next_is_retry = false;

	put16(&body, 0x0303);
	put(&body, random, sizeof(random));
	put8(&body, sid_len);
	for (unsigned i = 0; i < sid_len; i++)
		put8(&body, sid_byte);
	put16(&body, cipher);
	put8(&body, 0);
	if (version == 0x0304) {
		put16(&exts, 43);
		put16(&exts, 2);
		put16(&exts, 0x0304);
	}
	if (psk) {
		put16(&exts, 41);
		put16(&exts, 2);
		put16(&exts, 0);
	}
	put16(&body, (unsigned)exts.n);
	put(&body, exts.b, exts.n);
	message(&msg, 2, &body);
	record(rec, 22, 0x0303, &msg);
}

/* Feeds b in pieces of step bytes; returns the TLS bytes counted. */
static size_t feed_steps(struct fst_tls *t, enum fst_tls_dir dir, const struct buf *b, size_t step)
{
	size_t used = 0;

	for (size_t at = 0; at < b->n; at += step) {
		size_t n = b->n - at < step ? b->n - at : step;

		used += fst_tls_feed(t, dir, b->b + at, n, (int64_t)at);
	}
	return used;
}

static void test_hellos_byte_by_byte(void **state)
{
	struct hello_opts o = { .sni = "ftp.example.org", .sid_len = 32, .sid_byte = 7 };
	struct buf ch = { 0 }, sh = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	client_hello(&ch, &o);
	server_hello(&sh, 0x0303, 0xc02f, 32, 7, false);
	assert_true(fst_tls_starts_client_hello(ch.b, ch.n));
	assert_false(fst_tls_starts_client_hello(sh.b, sh.n));
	/* Headers and messages split at every byte. */
	assert_int_equal(feed_steps(t, FST_TLS_FROM_CLIENT, &ch, 1), ch.n);
	assert_int_equal(feed_steps(t, FST_TLS_FROM_SERVER, &sh, 3), sh.n);
	assert_true(info->client_hello);
	assert_true(info->server_hello);
	assert_string_equal(info->sni, "ftp.example.org");
	assert_true(info->session_id_offered);
	assert_true(info->resumed); /* the server echoed the session ID */
	assert_int_equal(info->version, 0x0303);
	assert_string_equal(fst_tls_version_name(info->version), "TLS 1.2");
	assert_string_equal(fst_tls_cipher_name(info->cipher),
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].records, 1);
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].malformed, 0);
	fst_tls_free(t);
}

static void test_tls13_psk_and_new_session(void **state)
{
	struct hello_opts o = { .psk = true, .ticket = true, .sid_len = 32, .sid_byte = 1 };
	struct buf ch = { 0 }, sh = { 0 }, app = { 0 }, body = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	client_hello(&ch, &o);
	/* TLS 1.3 echoes the legacy session ID even without resuming. */
	server_hello(&sh, 0x0304, 0x1302, 32, 1, true);
	put(&body, "0123456789abcdef0123", 20);
	record(&app, 23, 0x0303, &body);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, ch.b, ch.n, 1);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, sh.b, sh.n, 2);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, app.b, app.n, 3);
	assert_true(info->psk_offered);
	assert_true(info->ticket_offered);
	assert_true(info->resumed);
	assert_int_equal(info->version, 0x0304);
	assert_string_equal(fst_tls_cipher_name(info->cipher), "TLS_AES_256_GCM_SHA384");
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].app_records, 1);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].app_bytes, 20);
	fst_tls_free(t);

	/* Without the server's pre_shared_key: a full handshake. */
	t = fst_tls_new();
	info = fst_tls_info(t);
	sh.n = 0;
	server_hello(&sh, 0x0304, 0x1301, 32, 1, false);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, ch.b, ch.n, 1);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, sh.b, sh.n, 2);
	assert_false(info->resumed);
	fst_tls_free(t);
}

/* vsftpd with OpenSSL 3: a HelloRetryRequest, the middlebox ChangeCipherSpec
 * (RFC 8446 D.4) both ways, then the real ServerHello, which must still
 * be read: the dummy ChangeCipherSpec turns nothing on in TLS 1.3. */
static void test_hello_retry_then_server_hello(void **state)
{
	struct hello_opts o = { .psk = true, .sid_len = 32, .sid_byte = 3 };
	struct buf ch = { 0 }, server = { 0 }, client = { 0 }, ccs = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	client_hello(&ch, &o);
	put8(&ccs, 1);
	next_is_retry = true;
	server_hello(&server, 0x0304, 0x1302, 32, 3, false);
	record(&server, 20, 0x0303, &ccs);
	record(&client, 20, 0x0303, &ccs);
	put(&client, ch.b, ch.n);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, ch.b, ch.n, 1);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, server.b, server.n, 2);
	assert_true(info->hello_retry);
	assert_false(info->server_hello);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, client.b, client.n, 3);
	server.n = 0;
	server_hello(&server, 0x0304, 0x1302, 32, 3, true);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, server.b, server.n, 4);
	assert_true(info->server_hello);
	assert_true(info->resumed);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].malformed, 0);
	fst_tls_free(t);
}

/* ProFTPD: close_notify, then its 421 in cleartext in the same segment. */
static void test_cleartext_after_alert(void **state)
{
	static const char reply[] = "421 Idle timeout (3 seconds): closing control connection\r\n";
	struct buf seg = { 0 }, alert = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);
	size_t used;

	(void)state;
	put8(&alert, 1);
	put8(&alert, 0);
	record(&seg, 21, 0x0303, &alert);
	put(&seg, reply, strlen(reply));
	used = fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 5);
	assert_int_equal(used, 7);
	assert_true(info->side[FST_TLS_FROM_SERVER].ended);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].ended_us, 5);
	assert_true(info->side[FST_TLS_FROM_SERVER].close_notify);
	assert_true(info->side[FST_TLS_FROM_SERVER].alert_readable);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].alerts, 1);
	assert_string_equal(fst_tls_alert_name(0), "close_notify");
	/* Everything after is cleartext. */
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_SERVER, (const uint8_t *)"x", 1, 6), 0);
	assert_false(info->side[FST_TLS_FROM_CLIENT].ended);
	fst_tls_free(t);
}

/* An alert after ChangeCipherSpec is encrypted: counted, not read. */
static void test_encrypted_alert(void **state)
{
	struct buf seg = { 0 }, ccs = { 0 }, alert = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	put8(&ccs, 1);
	record(&seg, 20, 0x0303, &ccs);
	put(&alert, "\x01\x00zzzzzzzzzzzzzzzzzzzzzzzz", 26);
	record(&seg, 21, 0x0303, &alert);
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 9), seg.n);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].alerts, 1);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].first_alert_us, 9);
	assert_false(info->side[FST_TLS_FROM_SERVER].alert_readable);
	assert_false(info->side[FST_TLS_FROM_SERVER].close_notify);
	fst_tls_free(t);
}

/* Encrypted records of the given body sizes, one after another. */
static void sealed(struct buf *out, const unsigned *sizes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct buf body = { 0 };

		for (unsigned k = 0; k < sizes[i]; k++)
			put8(&body, 0xa5);
		record(out, 23, 0x0303, &body);
	}
}

/* What the data connection vsftpd refuses with 522 shows without keys
 * (captures/ftps/vsftpd-ftps-reuse-522): a full TLS 1.3 handshake, the
 * client's last flight (an empty Certificate, its Finished), two
 * session tickets, then a close_notify each way. Only what follows the
 * handshake is late; the client's flight ends when the server answers. */
static void test_tls13_late_records(void **state)
{
	static const unsigned server_flight[] = { 23, 62, 819, 281, 69 };
	static const unsigned client_flight[] = { 25, 69 };
	static const unsigned tickets[] = { 250, 250 };
	static const unsigned close_notify[] = { 19 };
	static const unsigned listing[] = { 146 };
	struct hello_opts o = { .sid_len = 32, .sid_byte = 7 };
	struct buf ch = { 0 }, seg = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);
	const struct fst_tls_side_info *client = &info->side[FST_TLS_FROM_CLIENT];
	const struct fst_tls_side_info *server = &info->side[FST_TLS_FROM_SERVER];

	(void)state;
	client_hello(&ch, &o);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, ch.b, ch.n, 1);
	server_hello(&seg, 0x0304, 0x1302, 32, 7, false);
	sealed(&seg, server_flight, 5);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 2);
	assert_false(info->handshake_done);
	assert_int_equal(server->late_records, 0);
	seg.n = 0;
	sealed(&seg, client_flight, 1);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, seg.b, seg.n, 3);
	assert_true(info->handshake_done);
	seg.n = 0;
	sealed(&seg, client_flight + 1, 1); /* the flight, in a segment of its own */
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, seg.b, seg.n, 4);
	assert_int_equal(client->late_records, 0);
	seg.n = 0;
	sealed(&seg, tickets, 2);
	sealed(&seg, close_notify, 1);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 5);
	seg.n = 0;
	sealed(&seg, close_notify, 1);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, seg.b, seg.n, 6);
	assert_false(info->resumed);
	assert_int_equal(server->late_records, 3);
	assert_int_equal(server->short_late_records, 1);
	assert_int_equal(server->late_max_body, 250);
	assert_int_equal(client->late_records, 1);
	assert_int_equal(client->short_late_records, 1);
	assert_int_equal(client->late_max_body, 19);
	/* A listing after the tickets is one more record the size of data. */
	seg.n = 0;
	sealed(&seg, listing, 1);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 7);
	assert_int_equal(server->late_records, 4);
	assert_int_equal(server->short_late_records, 1);
	fst_tls_free(t);
}

/* TLS 1.2: the handshake is done once both sides changed cipher spec;
 * every application-data record after it is late, an encrypted alert
 * (type 21) is not. */
static void test_tls12_late_records(void **state)
{
	static const unsigned data[] = { 180 };
	struct hello_opts o = { 0 };
	struct buf ch = { 0 }, seg = { 0 }, ccs = { 0 }, alert = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	put8(&ccs, 1);
	client_hello(&ch, &o);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, ch.b, ch.n, 1);
	server_hello(&seg, 0x0303, 0x002f, 0, 0, false);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 2);
	seg.n = 0;
	record(&seg, 20, 0x0303, &ccs);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, seg.b, seg.n, 3);
	assert_false(info->handshake_done);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 4);
	assert_true(info->handshake_done);
	seg.n = 0;
	sealed(&seg, data, 1);
	put(&alert, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 52);
	record(&seg, 21, 0x0303, &alert);
	fst_tls_feed(t, FST_TLS_FROM_SERVER, seg.b, seg.n, 5);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].late_records, 1);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].short_late_records, 0);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].late_max_body, 180);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].alerts, 1);
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].late_records, 0);
	fst_tls_free(t);
}

/* A new parser in *t (the old one freed) and both buffers emptied. */
static const struct fst_tls_info *fresh(struct fst_tls **t, struct buf *a, struct buf *b)
{
	fst_tls_free(*t);
	*t = fst_tls_new();
	assert_non_null(*t);
	a->n = 0;
	b->n = 0;
	return fst_tls_info(*t);
}

/* Lying and huge lengths, bad versions, truncated hellos. */
static void test_hostile_records(void **state)
{
	/* 0x4801 = 18433 > FST_TLS_MAX_RECORD. */
	static const uint8_t huge[] = { 23, 3, 3, 0x48, 0x01, 'a', 'b' };
	static const uint8_t bad_version[] = { 22, 2, 0, 0, 1, 1 };
	struct hello_opts o = { .sni = "x" };
	struct buf ch = { 0 }, liar = { 0 }, body = { 0 };
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_SERVER, huge, sizeof(huge), 1), 5);
	assert_int_equal(info->side[FST_TLS_FROM_SERVER].malformed, 1);
	assert_true(info->side[FST_TLS_FROM_SERVER].ended);
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_CLIENT, bad_version, sizeof(bad_version), 1),
			 5);
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].malformed, 1);

	/* A ClientHello whose inner lengths lie: the record is fine, the
	 * hello is malformed, and nothing is read past it. */
	client_hello(&ch, &o);
	for (size_t cut = 5 + 4; cut < ch.n; cut++) {
		info = fresh(&t, &liar, &body);
		/* The hello cut at `cut`, its message length kept. */
		put(&body, ch.b + 5, cut - 5);
		record(&liar, 22, 0x0301, &body);
		assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_CLIENT, liar.b, liar.n, 1), liar.n);
		assert_false(info->client_hello);
		assert_int_equal(info->side[FST_TLS_FROM_CLIENT].malformed, 0);
	}
	/* A hello message that says it is shorter than its fields. */
	info = fresh(&t, &liar, &body);
	put8(&body, 1);
	put24(&body, 10);
	put(&body, "0123456789", 10);
	record(&liar, 22, 0x0301, &body);
	fst_tls_feed(t, FST_TLS_FROM_CLIENT, liar.b, liar.n, 1);
	assert_false(info->client_hello);
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].malformed, 1);
	/* A hello longer than FST_TLS_HELLO_MAX is skipped, whole. */
	info = fresh(&t, &liar, &body);
	put8(&body, 1);
	put24(&body, FST_TLS_HELLO_MAX + 100);
	for (size_t i = 0; i < FST_TLS_HELLO_MAX + 100; i++)
		put8(&body, 0x41);
	record(&liar, 22, 0x0301, &body);
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_CLIENT, liar.b, liar.n, 1), liar.n);
	assert_false(info->client_hello);
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].records, 1);
	fst_tls_free(t);
}

static void test_lost_and_names(void **state)
{
	static const uint8_t text[] = "220 hello\r\n";
	struct fst_tls *t = fst_tls_new();
	const struct fst_tls_info *info = fst_tls_info(t);

	(void)state;
	fst_tls_lost(t, FST_TLS_FROM_SERVER);
	/* Opaque from here: never cleartext, whatever comes. */
	assert_int_equal(fst_tls_feed(t, FST_TLS_FROM_SERVER, text, sizeof(text) - 1, 1),
			 sizeof(text) - 1);
	assert_true(info->side[FST_TLS_FROM_SERVER].lost);
	assert_false(info->side[FST_TLS_FROM_SERVER].ended);
	assert_null(fst_tls_version_name(0));
	assert_null(fst_tls_cipher_name(0xfefe));
	assert_string_equal(fst_tls_mode_name(FST_TLS_MODE_IMPLICIT), "implicit");
	assert_false(fst_tls_starts_client_hello(text, sizeof(text) - 1));
	assert_false(fst_tls_starts_client_hello(NULL, 0));
	fst_tls_free(t);
	fst_tls_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hellos_byte_by_byte),
		cmocka_unit_test(test_tls13_psk_and_new_session),
		cmocka_unit_test(test_hello_retry_then_server_hello),
		cmocka_unit_test(test_cleartext_after_alert),
		cmocka_unit_test(test_encrypted_alert),
		cmocka_unit_test(test_tls13_late_records),
		cmocka_unit_test(test_tls12_late_records),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test(test_lost_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
