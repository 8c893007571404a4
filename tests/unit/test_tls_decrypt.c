/* Unit tests for TLS decryption with an NSS key log (src/ftp/tls.c,
 * tls_keylog.c, tls_decrypt.c).
 *
 * On the real FTPS captures of captures/ftps/ and their clients' key
 * logs: each TCP connection is read by ftpstall's own capture and tcp
 * layers and its two directions fed to fst_tls; the plaintext must be
 * what tshark decrypts from the same capture with the same key log,
 * every connection must decrypt, a changed secret must fail
 * authentication, and an empty key log must say so. The tshark
 * comparison needs tshark: without it the test exits 77 (skip) once
 * everything else passed.
 *
 * The captures hold only TLS 1.3 AES-256-GCM, TLS 1.2 AES-256-GCM and
 * AES-128-CBC-SHA with encrypt-then-MAC, and no TLS 1.2 resumption, so
 * the other suites, MAC-then-encrypt, KeyUpdate and resumption by
 * session ID and by ticket are read from real TLS connections that
 * OpenSSL makes here in memory (a client and a server SSL joined by
 * memory BIOs, the wire bytes of each direction recorded, OpenSSL's
 * own key log callback writing the key log).
 *
 * FST_SOURCE_DIR is the source tree, set by tests/CMakeLists.txt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ftpstall/capture.h"
#include "ftpstall/tcp.h"
#include "ftpstall/tls.h"

#ifndef FST_SOURCE_DIR
#error "FST_SOURCE_DIR must name the source tree"
#endif
#define FTPS_DIR FST_SOURCE_DIR "/captures/ftps/"

#define MAX_CONNS 16
#define MAX_TEXT  (64u << 20)

static const char *const captures[] = {
	"vsftpd-ftps-clean-tls13",   "vsftpd-ftps-aes128-sha",	      "vsftpd-ftps-idle-tls12",
	"proftpd-ftps-idle-timeout", "vsftpd-ftps-data-stall",	      "vsftpd-ftps-reuse-522",
	"vsftpd-ftps-implicit-curl", "vsftpd-ftps-implicit-port2990", "proftpd-ftps-implicit-clean",
};
#define CAPTURE_COUNT (sizeof(captures) / sizeof(captures[0]))

static bool have_tshark;

struct text {
	uint8_t *p;
	size_t len, cap;
};

static void text_add(struct text *t, const uint8_t *data, size_t len)
{
	assert_true(len <= MAX_TEXT - t->len);
	if (t->len + len > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;

		while (cap < t->len + len)
			cap *= 2;
		t->p = realloc(t->p, cap);
		assert_non_null(t->p);
		t->cap = cap;
	}
	memcpy(t->p + t->len, data, len);
	t->len += len;
}

static bool text_has(const struct text *t, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= t->len; i++)
		if (memcmp(t->p + i, word, n) == 0)
			return true;
	return false;
}

struct conn {
	uint64_t id;
	uint16_t server_port;
	struct fst_tls *tls;
	bool started[2]; /* TLS began in this direction */
	struct text plain[2];
};

struct run {
	struct fst_tls_keylog *keylog;
	struct conn conns[MAX_CONNS];
	size_t count;
};

static void on_plaintext(void *ctx, enum fst_tls_dir dir, const uint8_t *data, size_t len,
			 int64_t ts_us)
{
	struct conn *c = ctx;

	(void)ts_us;
	text_add(&c->plain[dir], data, len);
}

static struct conn *conn_of(struct run *run, struct fst_tcp_flow *flow)
{
	struct conn *c = flow->user;

	if (c)
		return c;
	assert_true(run->count < MAX_CONNS);
	c = &run->conns[run->count++];
	c->id = flow->id;
	c->server_port = flow->server_port;
	c->tls = fst_tls_new();
	assert_non_null(c->tls);
	if (run->keylog)
		fst_tls_set_decryption(c->tls, run->keylog, on_plaintext, c);
	flow->user = c;
	return c;
}

/* TLS begins with the client's ClientHello (after AUTH TLS's 234 on an
 * explicit control connection, at once on the others); the server's
 * bytes are TLS from its first bytes after that. */
static void on_event(void *ctx, const struct fst_tcp_event *ev)
{
	struct run *run = ctx;
	struct conn *c = conn_of(run, ev->flow);
	enum fst_tls_dir dir = ev->dir == FST_DIR_CLIENT ? FST_TLS_FROM_CLIENT :
							   FST_TLS_FROM_SERVER;

	if (ev->kind == FST_TCP_EV_GAP && c->started[dir])
		fst_tls_lost(c->tls, dir);
	if (ev->kind != FST_TCP_EV_DATA || !ev->payload_present)
		return;
	if (!c->started[dir])
		c->started[dir] = dir == FST_TLS_FROM_CLIENT ?
					  fst_tls_starts_client_hello(ev->data, ev->data_caplen) :
					  c->started[FST_TLS_FROM_CLIENT];
	if (c->started[dir])
		(void)fst_tls_feed(c->tls, dir, ev->data, ev->data_caplen, ev->ts_us);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[size] = '\0';
			*len = (size_t)size;
		}
	}
	fclose(f);
	return buf;
}

static struct fst_tls_keylog *keylog_of(const char *text, size_t len)
{
	struct fst_tls_keylog *keylog = fst_tls_keylog_new();

	assert_non_null(keylog);
	assert_true(fst_tls_keylog_add(keylog, text, len, NULL));
	return keylog;
}

static struct fst_tls_keylog *keylog_file(const char *name)
{
	char path[512];
	size_t len = 0;
	char *text;
	struct fst_tls_keylog *keylog;

	snprintf(path, sizeof(path), FTPS_DIR "%s.keys", name);
	text = read_file(path, &len);
	assert_non_null(text);
	keylog = keylog_of(text, len);
	free(text);
	return keylog;
}

/* Reads captures/ftps/NAME.pcap through capture and tcp into run. */
static void run_capture(struct run *run, const char *name, struct fst_tls_keylog *keylog)
{
	char path[512], errbuf[256];
	const char *paths[] = { path };
	struct fst_tcp_cfg cfg = { .payload_by_default = true, .on_event = on_event, .ctx = run };
	struct fst_capture *cap;
	struct fst_tcp *tcp;
	struct fst_packet pkt;

	memset(run, 0, sizeof(*run));
	run->keylog = keylog;
	snprintf(path, sizeof(path), FTPS_DIR "%s.pcap", name);
	cap = fst_capture_open_files(paths, 1, errbuf);
	if (!cap)
		fail_msg("%s: %s", path, errbuf);
	tcp = fst_tcp_new(&cfg);
	assert_non_null(tcp);
	while (fst_capture_next(cap, &pkt) == 1)
		fst_tcp_input(tcp, &pkt);
	fst_tcp_finish(tcp);
	fst_tcp_free(tcp);
	fst_capture_free(cap);
}

static void run_free(struct run *run)
{
	for (size_t i = 0; i < run->count; i++) {
		fst_tls_free(run->conns[i].tls);
		free(run->conns[i].plain[0].p);
		free(run->conns[i].plain[1].p);
	}
	fst_tls_keylog_free(run->keylog);
}

static bool is_control(const struct conn *c)
{
	return c->server_port == 21 || c->server_port == 990 || c->server_port == 2990;
}

static const struct conn *control_of(const struct run *run)
{
	for (size_t i = 0; i < run->count; i++)
		if (is_control(&run->conns[i]))
			return &run->conns[i];
	fail_msg("no control connection");
	return NULL;
}

/* ---- tshark's decryption of the same capture ---------------------------- */

static void add_hex(struct text *t, const char *line)
{
	for (size_t i = 0; fst_hex_digit(line[i]) >= 0 && fst_hex_digit(line[i + 1]) >= 0; i += 2) {
		uint8_t b = (uint8_t)(fst_hex_digit(line[i]) << 4 | fst_hex_digit(line[i + 1]));

		text_add(t, &b, 1);
	}
}

/* `tshark -z follow,tls,raw,N` of every connection: per stream (= flow
 * id - 1, both count connections in order of their first packet) the
 * decrypted bytes of each direction. Data connections are not on a TLS
 * port: they are decoded as TLS by port, with ftp-data off. */
static void tshark_plaintext(const char *name, const struct run *run,
			     struct text expected[MAX_CONNS][2])
{
	char cmd[4096];
	size_t at;
	char line[65536];
	FILE *out;
	int stream = -1;
	int node0_dir = 0;

	at = (size_t)snprintf(cmd, sizeof(cmd),
			      "tshark -r '" FTPS_DIR "%s.pcap' -o 'tls.keylog_file:" FTPS_DIR
			      "%s.keys' --disable-protocol ftp-data -q",
			      name, name);
	for (size_t i = 0; i < run->count; i++) {
		if (run->conns[i].server_port != 21)
			at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, " -d tcp.port==%u,tls",
					       run->conns[i].server_port);
		at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, " -z follow,tls,raw,%llu",
				       (unsigned long long)(run->conns[i].id - 1));
		assert_true(at < sizeof(cmd));
	}
	snprintf(cmd + at, sizeof(cmd) - at, " 2>/dev/null");
	out = popen(cmd, "r");
	assert_non_null(out);
	while (fgets(line, sizeof(line), out)) {
		unsigned port;
		char *colon;

		if (sscanf(line, "Filter: tcp.stream eq %d", &stream) == 1) {
			assert_true(stream >= 0 && stream < MAX_CONNS);
			continue;
		}
		if (strncmp(line, "Node 0: ", 8) == 0) {
			colon = strrchr(line, ':');
			port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
			node0_dir = 0;
			for (size_t i = 0; i < run->count; i++)
				if (run->conns[i].id == (uint64_t)stream + 1 &&
				    run->conns[i].server_port == port)
					node0_dir = FST_TLS_FROM_SERVER;
			continue;
		}
		if (stream < 0 || fst_hex_digit(line[line[0] == '\t']) < 0)
			continue;
		if (line[0] == '\t')
			add_hex(&expected[stream][!node0_dir], line + 1);
		else
			add_hex(&expected[stream][node0_dir], line);
	}
	assert_int_equal(pclose(out), 0);
}

/* ---- tests ---------------------------------------------------------------- */

/* Every TLS connection of every capture decrypts with its key log. */
static void test_every_connection_decrypts(void **state)
{
	(void)state;
	for (size_t k = 0; k < CAPTURE_COUNT; k++) {
		struct run run;
		size_t tls_conns = 0;

		run_capture(&run, captures[k], keylog_file(captures[k]));
		for (size_t i = 0; i < run.count; i++) {
			const struct fst_tls_info *info = fst_tls_info(run.conns[i].tls);

			if (!info->client_hello)
				continue;
			tls_conns++;
			if (info->decrypt != FST_TLS_DECRYPT_ON)
				fail_msg("%s: connection %llu: %s (%s)", captures[k],
					 (unsigned long long)run.conns[i].id,
					 fst_tls_decrypt_name(info->decrypt),
					 fst_tls_decrypt_reason(info->decrypt));
		}
		assert_true(tls_conns >= 1);
		run_free(&run);
	}
}

/* The control connection's plaintext is FTP: the login and a transfer. */
static void test_control_plaintext_is_ftp(void **state)
{
	(void)state;
	for (size_t k = 0; k < CAPTURE_COUNT; k++) {
		struct run run;
		const struct conn *c;

		run_capture(&run, captures[k], keylog_file(captures[k]));
		c = control_of(&run);
		if (!text_has(&c->plain[FST_TLS_FROM_CLIENT], "USER ") ||
		    !text_has(&c->plain[FST_TLS_FROM_SERVER], "230 "))
			fail_msg("%s: no USER / 230 in the decrypted control connection",
				 captures[k]);
		assert_true(text_has(&c->plain[FST_TLS_FROM_CLIENT], "RETR ") ||
			    text_has(&c->plain[FST_TLS_FROM_CLIENT], "STOR ") ||
			    text_has(&c->plain[FST_TLS_FROM_CLIENT], "LIST") ||
			    text_has(&c->plain[FST_TLS_FROM_CLIENT], "NOOP"));
		run_free(&run);
	}
}

/* Byte for byte what tshark decrypts, every connection, both ways. */
static void test_plaintext_equals_tshark(void **state)
{
	(void)state;
	if (!have_tshark)
		skip();
	for (size_t k = 0; k < CAPTURE_COUNT; k++) {
		static struct text expected[MAX_CONNS][2];
		struct run run;

		memset(expected, 0, sizeof(expected));
		run_capture(&run, captures[k], keylog_file(captures[k]));
		tshark_plaintext(captures[k], &run, expected);
		for (size_t i = 0; i < run.count; i++) {
			const struct conn *c = &run.conns[i];

			assert_true(c->id >= 1 && c->id <= MAX_CONNS);
			for (int d = 0; d < 2; d++) {
				const struct text *want = &expected[c->id - 1][d];

				if (want->len != c->plain[d].len ||
				    (want->len > 0 &&
				     memcmp(want->p, c->plain[d].p, want->len) != 0))
					fail_msg("%s: connection %llu %s: %zu bytes, tshark %zu",
						 captures[k], (unsigned long long)c->id,
						 d ? "server" : "client", c->plain[d].len,
						 want->len);
			}
		}
		assert_true(control_of(&run)->plain[FST_TLS_FROM_SERVER].len > 0);
		for (size_t i = 0; i < MAX_CONNS; i++) {
			free(expected[i][0].p);
			free(expected[i][1].p);
		}
		run_free(&run);
	}
}

/* A retrieved file's size as the server announced it ("150 ... (N
 * bytes)") is what a data connection decrypted. */
static void test_data_connection_sizes(void **state)
{
	size_t checked = 0;

	(void)state;
	for (size_t k = 0; k < CAPTURE_COUNT; k++) {
		struct run run;
		const struct text *replies;

		run_capture(&run, captures[k], keylog_file(captures[k]));
		replies = &control_of(&run)->plain[FST_TLS_FROM_SERVER];
		for (size_t i = 0; i + 4 < replies->len; i++) {
			unsigned long long size;
			bool found = false;
			char tail[64];
			size_t n = replies->len - i < sizeof(tail) - 1 ? replies->len - i :
									 sizeof(tail) - 1;

			if (replies->p[i] != '(')
				continue;
			memcpy(tail, replies->p + i, n);
			tail[n] = '\0';
			if (sscanf(tail, "(%llu bytes)", &size) != 1 || !strstr(tail, " bytes)"))
				continue;
			for (size_t j = 0; j < run.count; j++)
				if (!is_control(&run.conns[j]) &&
				    run.conns[j].plain[FST_TLS_FROM_SERVER].len == size)
					found = true;
			if (!found)
				fail_msg("%s: no data connection decrypted %llu bytes", captures[k],
					 size);
			checked++;
		}
		run_free(&run);
	}
	assert_true(checked >= 3);
}

/* One byte of one secret changed (or, with shorten, the secret cut to
 * 32 bytes): the records fail authentication. */
static void corrupt_and_expect_bad_keys(const char *name, const char *label, bool shorten)
{
	char path[512];
	size_t len = 0;
	char *text, *line, *secret;
	struct run run;
	const struct fst_tls_info *info;

	snprintf(path, sizeof(path), FTPS_DIR "%s.keys", name);
	text = read_file(path, &len);
	assert_non_null(text);
	line = strstr(text, label);
	assert_non_null(line);
	secret = line + strlen(label) + 1 + 64 + 1;
	if (shorten) {
		assert_true(secret[96] == '\n');
		memset(secret + 64, ' ', 32);
	} else {
		*secret = *secret == '0' ? '1' : '0';
	}
	run_capture(&run, name, keylog_of(text, len));
	free(text);
	info = fst_tls_info(control_of(&run)->tls);
	assert_string_equal(fst_tls_decrypt_name(info->decrypt), "bad_keys");
	assert_true(strlen(fst_tls_decrypt_reason(info->decrypt)) > 0);
	run_free(&run);
}

static void test_changed_secret_is_bad_keys(void **state)
{
	(void)state;
	corrupt_and_expect_bad_keys("vsftpd-ftps-clean-tls13", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
				    false);
	corrupt_and_expect_bad_keys("vsftpd-ftps-clean-tls13", "CLIENT_TRAFFIC_SECRET_0", false);
	corrupt_and_expect_bad_keys("vsftpd-ftps-idle-tls12", "CLIENT_RANDOM", false);
	corrupt_and_expect_bad_keys("vsftpd-ftps-aes128-sha", "CLIENT_RANDOM", false);
	/* A SHA-256-long secret for a SHA-384 suite. */
	corrupt_and_expect_bad_keys("vsftpd-ftps-clean-tls13", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
				    true);
}

/* A key log without the connection's lines: no keys, no plaintext. */
static void test_empty_keylog_is_no_keys(void **state)
{
	(void)state;
	for (size_t k = 0; k < CAPTURE_COUNT; k++) {
		struct run run;

		run_capture(&run, captures[k], keylog_of("", 0));
		for (size_t i = 0; i < run.count; i++) {
			const struct fst_tls_info *info = fst_tls_info(run.conns[i].tls);

			if (!info->client_hello)
				continue;
			assert_int_equal(info->decrypt, FST_TLS_DECRYPT_NO_KEYS);
			assert_int_equal(run.conns[i].plain[0].len + run.conns[i].plain[1].len, 0);
		}
		run_free(&run);
	}
}

/* Decrypted alerts read like cleartext ones: vsftpd's fatal decode_error
 * at its idle timeout (TLS 1.2, encrypted after ChangeCipherSpec) and
 * ProFTPD's close_notify (TLS 1.3, hidden as application data), as
 * tshark shows them with the key logs; without keys neither is readable. */
static void expect_server_alert(const char *name, uint8_t level, uint8_t description)
{
	struct run run;
	const struct fst_tls_side_info *server;

	run_capture(&run, name, keylog_file(name));
	server = &fst_tls_info(control_of(&run)->tls)->side[FST_TLS_FROM_SERVER];
	assert_true(server->alert_readable);
	assert_int_equal(server->alert_level, level);
	assert_int_equal(server->alert_description, description);
	assert_int_equal(server->close_notify, description == 0);
	assert_true(server->alerts >= 1);
	run_free(&run);
	run_capture(&run, name, NULL);
	assert_false(fst_tls_info(control_of(&run)->tls)->side[FST_TLS_FROM_SERVER].alert_readable);
	run_free(&run);
}

static void test_decrypted_alerts(void **state)
{
	(void)state;
	expect_server_alert("vsftpd-ftps-idle-tls12", 2, 50);
	expect_server_alert("proftpd-ftps-idle-timeout", 1, 0);
}

/* Without fst_tls_set_decryption nothing changes: state none, no
 * plaintext counted. */
static void test_keyless_untouched(void **state)
{
	struct run run;
	const struct fst_tls_info *info;

	(void)state;
	run_capture(&run, "vsftpd-ftps-clean-tls13", NULL);
	info = fst_tls_info(control_of(&run)->tls);
	assert_int_equal(info->decrypt, FST_TLS_DECRYPT_NONE);
	assert_int_equal(info->side[0].plain_records + info->side[1].plain_records, 0);
	assert_true(info->side[1].app_records > 0);
	run_free(&run);
}

/* ---- real TLS connections made here by OpenSSL ------------------------ */

/* The key log OpenSSL writes (its callback has no context pointer). */
static struct text ossl_keylog;

static void keylog_line(const SSL *ssl, const char *line)
{
	(void)ssl;
	text_add(&ossl_keylog, (const uint8_t *)line, strlen(line));
	text_add(&ossl_keylog, (const uint8_t *)"\n", 1);
}

#define MAX_CHUNKS 1024

/* The wire: each direction's bytes in the order they were sent. */
struct wire {
	struct text bytes;
	struct {
		enum fst_tls_dir dir;
		size_t at, len;
	} chunk[MAX_CHUNKS];
	size_t chunks;
	struct text sent[2]; /* the application data each side wrote */
};

struct tls_cfg {
	int version;		/* TLS1_2_VERSION, TLS1_3_VERSION */
	const char *ciphers;	/* TLS 1.2 cipher list or TLS 1.3 suites */
	bool no_etm, no_ticket; /* SSL_OP_NO_ENCRYPT_THEN_MAC, SSL_OP_NO_TICKET */
	bool key_update;
};

struct tls_pair {
	SSL_CTX *client_ctx, *server_ctx;
	SSL *client, *server;
};

/* A self-signed P-256 certificate for the server. */
static void server_identity(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;

	assert_non_null(key);
	assert_non_null(cert);
	assert_true(X509_set_version(cert, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_true(X509_set_pubkey(cert, key));
	name = X509_get_subject_name(cert);
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					       (const unsigned char *)"ftpstall.test", -1, -1, 0));
	assert_true(X509_set_issuer_name(cert, name));
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	assert_true(SSL_CTX_use_certificate(ctx, cert));
	assert_true(SSL_CTX_use_PrivateKey(ctx, key));
	X509_free(cert);
	EVP_PKEY_free(key);
}

static SSL_CTX *make_ctx(const struct tls_cfg *cfg, bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	assert_non_null(ctx);
	assert_true(SSL_CTX_set_min_proto_version(ctx, cfg->version));
	assert_true(SSL_CTX_set_max_proto_version(ctx, cfg->version));
	if (cfg->version == TLS1_3_VERSION)
		assert_true(SSL_CTX_set_ciphersuites(ctx, cfg->ciphers));
	else
		assert_true(SSL_CTX_set_cipher_list(ctx, cfg->ciphers));
	if (cfg->no_etm)
		SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC);
	if (cfg->no_ticket)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (server) {
		server_identity(ctx);
		assert_true(SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ftp", 3));
	} else {
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	}
	return ctx;
}

static void pair_ctx(struct tls_pair *p, const struct tls_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->client_ctx = make_ctx(cfg, false);
	p->server_ctx = make_ctx(cfg, true);
}

static SSL *make_ssl(SSL_CTX *ctx, bool server)
{
	SSL *ssl = SSL_new(ctx);
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());

	assert_non_null(ssl);
	assert_non_null(in);
	assert_non_null(out);
	SSL_set_bio(ssl, in, out);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

/* Moves what each side wrote to the other, recording it; true when
 * anything moved. */
static bool pump(struct tls_pair *p, struct wire *w)
{
	SSL *from[2] = { p->client, p->server }, *to[2] = { p->server, p->client };
	bool moved = false;
	uint8_t buf[4096];

	for (int d = 0; d < 2; d++) {
		int n;

		while ((n = BIO_read(SSL_get_wbio(from[d]), buf, sizeof(buf))) > 0) {
			assert_true(w->chunks < MAX_CHUNKS);
			w->chunk[w->chunks].dir = (enum fst_tls_dir)d;
			w->chunk[w->chunks].at = w->bytes.len;
			w->chunk[w->chunks].len = (size_t)n;
			w->chunks++;
			text_add(&w->bytes, buf, (size_t)n);
			assert_int_equal(BIO_write(SSL_get_rbio(to[d]), buf, n), n);
			moved = true;
		}
	}
	return moved;
}

/* Reads whatever ssl can read now (and so answers what it must). */
static void drain(SSL *ssl)
{
	uint8_t buf[4096];

	while (SSL_read(ssl, buf, sizeof(buf)) > 0)
		;
	ERR_clear_error();
}

static void say(struct tls_pair *p, struct wire *w, enum fst_tls_dir dir, const uint8_t *data,
		size_t len)
{
	SSL *ssl = dir == FST_TLS_FROM_CLIENT ? p->client : p->server;

	assert_int_equal(SSL_write(ssl, data, (int)len), (int)len);
	text_add(&w->sent[dir], data, len);
	do {
		drain(p->client);
		drain(p->server);
	} while (pump(p, w));
}

/* A connection of pair p: handshake, an FTP-like exchange with a
 * payload of several records, optionally a KeyUpdate each way, and the
 * client's close_notify. resume: a session to resume (NULL: full). */
static SSL_SESSION *converse(struct tls_pair *p, const struct tls_cfg *cfg, SSL_SESSION *resume,
			     struct wire *w, bool expect_reused)
{
	static uint8_t payload[40000];
	SSL_SESSION *session;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	p->client = make_ssl(p->client_ctx, false);
	p->server = make_ssl(p->server_ctx, true);
	if (resume)
		assert_true(SSL_set_session(p->client, resume));
	for (int i = 0;
	     i < 20 && !(SSL_is_init_finished(p->client) && SSL_is_init_finished(p->server)); i++) {
		(void)SSL_do_handshake(p->client);
		(void)SSL_do_handshake(p->server);
		(void)pump(p, w);
	}
	ERR_clear_error();
	assert_true(SSL_is_init_finished(p->client) && SSL_is_init_finished(p->server));
	assert_int_equal(SSL_session_reused(p->client), expect_reused);
	say(p, w, FST_TLS_FROM_CLIENT, (const uint8_t *)"USER alice\r\n", 12);
	say(p, w, FST_TLS_FROM_SERVER, (const uint8_t *)"331 Password.\r\n", 15);
	say(p, w, FST_TLS_FROM_SERVER, payload, sizeof(payload));
	if (cfg->key_update) {
		assert_true(SSL_key_update(p->client, SSL_KEY_UPDATE_REQUESTED));
		say(p, w, FST_TLS_FROM_CLIENT, (const uint8_t *)"NOOP\r\n", 6);
		say(p, w, FST_TLS_FROM_SERVER, (const uint8_t *)"200 NOOP ok.\r\n", 14);
		assert_true(SSL_key_update(p->server, SSL_KEY_UPDATE_NOT_REQUESTED));
		say(p, w, FST_TLS_FROM_SERVER, (const uint8_t *)"200 again.\r\n", 12);
	}
	say(p, w, FST_TLS_FROM_CLIENT, (const uint8_t *)"QUIT\r\n", 6);
	/* Both close_notify: an unclean end would drop the session from
	 * the server's cache. */
	(void)SSL_shutdown(p->client);
	(void)pump(p, w);
	drain(p->server);
	(void)SSL_shutdown(p->server);
	(void)pump(p, w);
	session = SSL_get1_session(p->client);
	SSL_free(p->client);
	SSL_free(p->server);
	p->client = p->server = NULL;
	return session;
}

static void pair_free(struct tls_pair *p)
{
	SSL_CTX_free(p->client_ctx);
	SSL_CTX_free(p->server_ctx);
}

static void wire_free(struct wire *w)
{
	free(w->bytes.p);
	free(w->sent[0].p);
	free(w->sent[1].p);
}

/* Feeds the wire to a new decrypting parser step bytes at a time (0:
 * as sent) and checks the plaintext is what each side wrote. */
static void feed_wire(const struct wire *w, struct fst_tls_keylog *keylog, size_t step,
		      struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->tls = fst_tls_new();
	assert_non_null(c->tls);
	fst_tls_set_decryption(c->tls, keylog, on_plaintext, c);
	for (size_t i = 0; i < w->chunks; i++) {
		const uint8_t *p = w->bytes.p + w->chunk[i].at;
		size_t left = w->chunk[i].len;

		while (left > 0) {
			size_t n = step && step < left ? step : left;

			assert_int_equal(fst_tls_feed(c->tls, w->chunk[i].dir, p, n, (int64_t)i),
					 n);
			p += n;
			left -= n;
		}
	}
}

static void conn_free(struct conn *c)
{
	fst_tls_free(c->tls);
	free(c->plain[0].p);
	free(c->plain[1].p);
}

static void expect_plaintext(const struct conn *c, const struct wire *w)
{
	const struct fst_tls_info *info = fst_tls_info(c->tls);

	if (info->decrypt != FST_TLS_DECRYPT_ON)
		fail_msg("cipher %04x: %s (%s)", info->cipher, fst_tls_decrypt_name(info->decrypt),
			 fst_tls_decrypt_reason(info->decrypt));
	for (int d = 0; d < 2; d++) {
		assert_int_equal(c->plain[d].len, w->sent[d].len);
		assert_memory_equal(c->plain[d].p, w->sent[d].p, w->sent[d].len);
		assert_int_equal(info->side[d].plain_bytes, w->sent[d].len);
	}
	assert_true(info->side[FST_TLS_FROM_CLIENT].close_notify);
}

/* One full connection with cfg: decrypts, fed as sent and byte by byte. */
static void decrypt_suite(const struct tls_cfg *cfg, uint16_t cipher)
{
	struct tls_pair p;
	struct wire w;
	struct conn c;
	struct fst_tls_keylog *keylog;

	ossl_keylog.len = 0;
	pair_ctx(&p, cfg);
	SSL_SESSION_free(converse(&p, cfg, NULL, &w, false));
	keylog = keylog_of((const char *)ossl_keylog.p, ossl_keylog.len);
	assert_int_equal(fst_tls_keylog_count(keylog), 1);
	for (size_t step = 0; step <= 1; step++) {
		feed_wire(&w, keylog, step, &c);
		assert_int_equal(fst_tls_info(c.tls)->cipher, cipher);
		expect_plaintext(&c, &w);
		conn_free(&c);
	}
	fst_tls_keylog_free(keylog);
	wire_free(&w);
	pair_free(&p);
}

static void test_openssl_suites(void **state)
{
	static const struct {
		struct tls_cfg cfg;
		uint16_t cipher;
	} cases[] = {
		{ { TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", false, false, true }, 0x1301 },
		{ { TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", false, false, true }, 0x1302 },
		{ { TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", false, false, true }, 0x1303 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", false, false, false },
		  0xc02b },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", false, false, false },
		  0xc02c },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", false, false, false },
		  0xcca9 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", false, false, false }, 0xc009 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", true, false, false }, 0xc009 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384", false, false, false }, 0xc024 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA384", true, false, false }, 0xc024 },
		{ { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256", true, false, false }, 0xc023 },
		/* TLS 1.1 and 1.0: the MD5/SHA-1 PRF, 1.0's chained IVs and
		 * OpenSSL's empty records before each (OpenSSL needs
		 * security level 0 for them). */
		{ { TLS1_1_VERSION, "ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0", false, false, false },
		  0xc00a },
		{ { TLS1_VERSION, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0", false, false, false },
		  0xc009 },
		{ { TLS1_VERSION, "ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0", true, false, false },
		  0xc00a },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		decrypt_suite(&cases[i].cfg, cases[i].cipher);
}

/* A suite decryption does not read (AES-CCM): said so, nothing handed
 * out, the keyless facts as always. */
static void test_unsupported_suite(void **state)
{
	const struct tls_cfg cfg = { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-CCM", false, false,
				     false };
	struct tls_pair p;
	struct wire w;
	struct conn c;
	struct fst_tls_keylog *keylog;
	const struct fst_tls_info *info;

	(void)state;
	ossl_keylog.len = 0;
	pair_ctx(&p, &cfg);
	SSL_SESSION_free(converse(&p, &cfg, NULL, &w, false));
	keylog = keylog_of((const char *)ossl_keylog.p, ossl_keylog.len);
	feed_wire(&w, keylog, 0, &c);
	info = fst_tls_info(c.tls);
	assert_int_equal(info->cipher, 0xc0ac);
	assert_string_equal(fst_tls_decrypt_name(info->decrypt), "cipher");
	assert_true(strlen(fst_tls_decrypt_reason(info->decrypt)) > 0);
	assert_int_equal(c.plain[0].len + c.plain[1].len, 0);
	assert_true(info->side[FST_TLS_FROM_SERVER].app_records > 0);
	conn_free(&c);
	fst_tls_keylog_free(keylog);
	wire_free(&w);
	pair_free(&p);
}

/* TLS 1.2 resumption: the second connection's own lines are not in the
 * key log; the master secret of the session it resumes (recorded when
 * the first connection decrypted) opens it. */
static void resume_without_own_lines(const struct tls_cfg *cfg)
{
	struct tls_pair p;
	struct wire first, second;
	struct conn c1, c2;
	struct fst_tls_keylog *keylog;
	SSL_SESSION *session;

	ossl_keylog.len = 0;
	pair_ctx(&p, cfg);
	session = converse(&p, cfg, NULL, &first, false);
	keylog = keylog_of((const char *)ossl_keylog.p, ossl_keylog.len);
	SSL_SESSION_free(converse(&p, cfg, session, &second, true));
	SSL_SESSION_free(session);
	assert_int_equal(fst_tls_keylog_count(keylog), 1);

	/* Resumed before the first connection was read: nothing to use. */
	feed_wire(&second, keylog, 0, &c2);
	assert_int_equal(fst_tls_info(c2.tls)->decrypt, FST_TLS_DECRYPT_NO_KEYS);
	conn_free(&c2);

	feed_wire(&first, keylog, 0, &c1);
	expect_plaintext(&c1, &first);
	feed_wire(&second, keylog, 0, &c2);
	assert_true(fst_tls_info(c2.tls)->resumed || fst_tls_info(c2.tls)->ticket_offered);
	expect_plaintext(&c2, &second);
	conn_free(&c1);
	conn_free(&c2);
	fst_tls_keylog_free(keylog);
	wire_free(&first);
	wire_free(&second);
	pair_free(&p);
}

static void test_tls12_resumption(void **state)
{
	const struct tls_cfg by_id = { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", false, true,
				       false };
	const struct tls_cfg by_ticket = { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", false, false,
					   false };

	(void)state;
	resume_without_own_lines(&by_id);
	resume_without_own_lines(&by_ticket);
}

/* Bytes lost after decryption began; records without their hellos. */
static void test_lost_and_no_handshake(void **state)
{
	const struct tls_cfg cfg = { TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", false, false,
				     false };
	struct tls_pair p;
	struct wire w;
	struct conn c;
	struct fst_tls_keylog *keylog;
	size_t half;

	(void)state;
	ossl_keylog.len = 0;
	pair_ctx(&p, &cfg);
	SSL_SESSION_free(converse(&p, &cfg, NULL, &w, false));
	keylog = keylog_of((const char *)ossl_keylog.p, ossl_keylog.len);

	half = w.chunks / 2;
	{
		size_t all = w.chunks;

		w.chunks = half;
		feed_wire(&w, keylog, 0, &c);
		w.chunks = all;
	}
	assert_int_equal(fst_tls_info(c.tls)->decrypt, FST_TLS_DECRYPT_ON);
	fst_tls_lost(c.tls, FST_TLS_FROM_SERVER);
	assert_int_equal(fst_tls_info(c.tls)->decrypt, FST_TLS_DECRYPT_LOST);
	conn_free(&c);

	/* From a client record after the handshake on: the client's
	 * chunks each hold whole records. */
	memset(&c, 0, sizeof(c));
	c.tls = fst_tls_new();
	assert_non_null(c.tls);
	fst_tls_set_decryption(c.tls, keylog, on_plaintext, &c);
	while (w.chunk[half].dir != FST_TLS_FROM_CLIENT)
		half++;
	assert_int_equal(fst_tls_feed(c.tls, FST_TLS_FROM_CLIENT, w.bytes.p + w.chunk[half].at,
				      w.chunk[half].len, 0),
			 w.chunk[half].len);
	assert_int_equal(fst_tls_info(c.tls)->decrypt, FST_TLS_DECRYPT_NO_HANDSHAKE);
	assert_int_equal(c.plain[0].len + c.plain[1].len, 0);
	conn_free(&c);
	fst_tls_keylog_free(keylog);
	wire_free(&w);
	pair_free(&p);
}

/* Hellos that lie, with a key log set: a ClientHello too short to hold
 * its random, a ServerHello without a ClientHello before it, records
 * after it. Nothing decrypts; the state says why. */
static void test_hostile_hellos_with_keys(void **state)
{
	/* record(22) { ClientHello, length 3: version and one byte } */
	static const uint8_t short_client_hello[] = { 22, 3, 1, 0, 7, 1, 0, 0, 3, 3, 3, 0 };
	/* record(22) { ServerHello: TLS 1.2, zero random, empty session
	 * ID, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, no compression } */
	static const uint8_t server_hello[] = {
		22, 3, 3, 0, 42, 2, 0, 0, 38, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0,	   0, 0,
		0,  0, 0, 0, 0,	 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x2f, 0,
	};
	static const uint8_t app_record[] = { 23, 3, 3, 0, 3, 1, 2, 3 };
	struct fst_tls_keylog *keylog = keylog_of("", 0);
	struct conn c;
	const struct fst_tls_info *info;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.tls = fst_tls_new();
	assert_non_null(c.tls);
	fst_tls_set_decryption(c.tls, keylog, on_plaintext, &c);
	info = fst_tls_info(c.tls);
	assert_int_equal(info->decrypt, FST_TLS_DECRYPT_WAITING);
	assert_int_equal(fst_tls_feed(c.tls, FST_TLS_FROM_CLIENT, short_client_hello,
				      sizeof(short_client_hello), 1),
			 sizeof(short_client_hello));
	assert_int_equal(info->side[FST_TLS_FROM_CLIENT].malformed, 1);
	assert_false(info->client_hello);
	assert_int_equal(info->decrypt, FST_TLS_DECRYPT_WAITING);
	assert_int_equal(fst_tls_feed(c.tls, FST_TLS_FROM_SERVER, server_hello,
				      sizeof(server_hello), 2),
			 sizeof(server_hello));
	assert_true(info->server_hello);
	assert_int_equal(info->decrypt, FST_TLS_DECRYPT_NO_HANDSHAKE);
	assert_int_equal(fst_tls_feed(c.tls, FST_TLS_FROM_SERVER, app_record, sizeof(app_record),
				      3),
			 sizeof(app_record));
	assert_int_equal(info->decrypt, FST_TLS_DECRYPT_NO_HANDSHAKE);
	assert_int_equal(c.plain[0].len + c.plain[1].len, 0);
	conn_free(&c);
	fst_tls_keylog_free(keylog);
}

/* Key log lines: labels, comments, bad hex, a secret too long. */
static void test_keylog_lines(void **state)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000001 "
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677"
		"8899aabbccddeeff\n"
		"CLIENT_TRAFFIC_SECRET_0 "
		"0000000000000000000000000000000000000000000000000000000000000002 00ff\r\n"
		"EXPORTER_SECRET 0000000000000000000000000000000000000000000000000000000000000002 "
		"00ff\n"
		"CLIENT_RANDOM 00000000000000000000000000000000000000000000000000000000000000zz 00\n"
		"CLIENT_RANDOM 000000000000000000000000000000000000000000000000000000000000000 00\n"
		"CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000003 "
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677"
		"8899aabbccddeeff00\n"
		"CLIENT_RANDOM 0000000000000000000000000000000000000000000000000000000000000004";
	struct fst_tls_keylog *keylog = fst_tls_keylog_new();
	size_t skipped = 0;

	(void)state;
	assert_non_null(keylog);
	assert_true(fst_tls_keylog_add(keylog, text, sizeof(text) - 1, &skipped));
	assert_int_equal(fst_tls_keylog_count(keylog), 2);
	assert_int_equal(skipped, 7);
	fst_tls_keylog_free(keylog);
	fst_tls_keylog_free(NULL);
	assert_string_equal(fst_tls_decrypt_name(FST_TLS_DECRYPT_ON), "decrypted");
	assert_string_equal(fst_tls_decrypt_reason(FST_TLS_DECRYPT_ON), "");
	assert_true(fst_tls_decrypt_size() > 2 * (size_t)FST_TLS_MAX_RECORD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_connection_decrypts),
		cmocka_unit_test(test_control_plaintext_is_ftp),
		cmocka_unit_test(test_plaintext_equals_tshark),
		cmocka_unit_test(test_data_connection_sizes),
		cmocka_unit_test(test_changed_secret_is_bad_keys),
		cmocka_unit_test(test_empty_keylog_is_no_keys),
		cmocka_unit_test(test_decrypted_alerts),
		cmocka_unit_test(test_keyless_untouched),
		cmocka_unit_test(test_openssl_suites),
		cmocka_unit_test(test_unsupported_suite),
		cmocka_unit_test(test_tls12_resumption),
		cmocka_unit_test(test_lost_and_no_handshake),
		cmocka_unit_test(test_hostile_hellos_with_keys),
		cmocka_unit_test(test_keylog_lines),
	};
	int failed;

	have_tshark = system("tshark -v >/dev/null 2>&1") == 0;
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	free(ossl_keylog.p);
	if (failed == 0 && !have_tshark) {
		fprintf(stderr, "test_tls_decrypt: tshark not found: the comparison with "
				"tshark's decryption was skipped\n");
		return 77;
	}
	return failed;
}
