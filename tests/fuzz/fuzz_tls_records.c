/* libFuzzer harness: the TLS record reader (src/ftp/tls.c) on hostile
 * bytes: lying record lengths, truncated and oversized hellos, huge
 * records, alerts cut anywhere, cleartext after a record; and, with a
 * fixed key log, the decryption (tls_keylog.c, tls_decrypt.c) on the
 * same: records that fail authentication, bodies cut anywhere, a second
 * ServerHello, handshake messages that lie about their length.
 *
 * Input: one header byte, then the bytes of both directions.
 *   header bits 0-3  chunk size - 1 (1 ... 16 bytes per feed)
 *          bit 4     alternate the direction every chunk (else the
 *                    first half is the client's, the second the server's)
 *          bit 5     the capture loses the server's bytes after the
 *                    first chunk (fst_tls_lost)
 *          bit 6     decrypt with the key log below; the bytes are then
 *                    frames: a direction byte (bit 0 set: the server's),
 *                    a 16-bit big-endian length and that many bytes (the
 *                    last frame may be cut short), each fed in chunks;
 *                    bit 4 is unused
 * Invariants: a feed never claims more bytes than it got; once a
 * direction ended it claims none (lost: all), and stays ended; counts
 * never fall; the SNI is a terminated string of printable bytes; the
 * plaintext handed out is what the counts say and never more than the
 * records held; the decryption state is a known one and, once it says
 * why a connection does not decrypt, keeps saying it. */
#include <string.h>

#include "ftpstall/tls.h"
#include "fuzz_support.h"

/* The key lines of the control connections of captures/ftps'
 * vsftpd-ftps-clean-tls13 (TLS 1.3, AES-256-GCM, a HelloRetryRequest),
 * vsftpd-ftps-aes128-sha (TLS 1.2, AES-128-CBC-SHA, encrypt-then-MAC)
 * and vsftpd-ftps-idle-tls12 (TLS 1.2, AES-256-GCM): throwaway test
 * sessions whose key logs are committed beside them. The seeds made by
 * make-corpus.py from those connections decrypt with them. */
static const char fuzz_keylog[] =
	"SERVER_HANDSHAKE_TRAFFIC_SECRET "
	"54990250ce081ba8e7a4eff4ec78f2ff190bae2038676bbcf24bb909b28e3184 "
	"6bdde8696a037e075c980220a7a864e8f936eb46fb705d53cdcbd8fa6b034bc56580093674c489b82e789e0f8bcc806f\n"
	"SERVER_TRAFFIC_SECRET_0 "
	"54990250ce081ba8e7a4eff4ec78f2ff190bae2038676bbcf24bb909b28e3184 "
	"d87881bcf2d4c2194af5f8455a0507115379cd978c40c5595f60d8fbabd74b495952a640c3a8772731b727498a58d1c2\n"
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET "
	"54990250ce081ba8e7a4eff4ec78f2ff190bae2038676bbcf24bb909b28e3184 "
	"51ae028701f7475642b1f350d5b9a5d18a1a2670596676229f21bca1731acca1729942ce279f0dbfe390163c4ded4787\n"
	"CLIENT_TRAFFIC_SECRET_0 "
	"54990250ce081ba8e7a4eff4ec78f2ff190bae2038676bbcf24bb909b28e3184 "
	"bbb66e456b40c6a225644767389e17121b231ecf3fe440d9002e93c2338d3f3346f8a76db35fb6bb14e7a3521b9aef60\n"
	"CLIENT_RANDOM "
	"66cc4d4fa6b5558ef27c1e7cc320a24114b9d15f4ae5349a83a160a4d1a06886 "
	"0c9cede11abfd62555f81f9fbf1f780ee8225c036d25bd3212bcbf167b9a4597292fe6881cc69719e17179a942b07ef5\n"
	"CLIENT_RANDOM "
	"d4c4e785678a9d94f7fae589f16b453fcd1eb4b145eec69947f2a7b1a14e4124 "
	"5f796d36ed295aa46743bb53e1295133441a4b6a220f31ce2f33d86bb5477947c1de0dd807aa0a49cd2794d96942e4bd\n";

struct plain_count {
	uint64_t bytes[2];
};

static void count_plaintext(void *ctx, enum fst_tls_dir dir, const uint8_t *data, size_t len,
			    int64_t ts_us)
{
	struct plain_count *count = ctx;

	(void)ts_us;
	FUZZ_CHECK(len > 0 && len <= FST_TLS_MAX_RECORD, "plaintext of %zu bytes", len);
	FUZZ_CHECK(data != NULL, "plaintext without bytes");
	count->bytes[dir] += len;
}

static void check_side(const struct fst_tls_side_info *now, const struct fst_tls_side_info *was)
{
	FUZZ_CHECK(now->records >= was->records, "record count fell");
	FUZZ_CHECK(now->app_records <= now->records, "more application records than records");
	FUZZ_CHECK(now->alerts <= now->records, "more alerts than records");
	FUZZ_CHECK(!was->ended || now->ended, "an ended direction came back");
	FUZZ_CHECK(!(now->ended && now->lost), "a direction both ended and lost");
	FUZZ_CHECK(!now->close_notify || now->alert_readable, "close_notify without a read alert");
	FUZZ_CHECK(now->plain_records >= was->plain_records, "plaintext record count fell");
	FUZZ_CHECK(now->plain_records <= now->app_records,
		   "more plaintext than application records");
	FUZZ_CHECK(now->plain_bytes <= now->app_bytes, "more plaintext than ciphertext");
}

static void check_decrypt(enum fst_tls_decrypt now, enum fst_tls_decrypt was)
{
	FUZZ_CHECK(now < FST_TLS_DECRYPT_COUNT, "decryption state %d", (int)now);
	FUZZ_CHECK(now == was || was == FST_TLS_DECRYPT_WAITING || was == FST_TLS_DECRYPT_ON,
		   "decryption state %s became %s", fst_tls_decrypt_name(was),
		   fst_tls_decrypt_name(now));
	FUZZ_CHECK(now != FST_TLS_DECRYPT_NONE, "decryption state none with a key log");
}

/* Feeds len bytes of dir in chunks; n counts the feeds. */
static void feed(struct fst_tls *tls, enum fst_tls_dir dir, const uint8_t *data, size_t len,
		 size_t chunk, bool lose, unsigned *n)
{
	const struct fst_tls_info *info = fst_tls_info(tls);

	for (size_t at = 0; at < len;) {
		size_t step = len - at < chunk ? len - at : chunk;
		struct fst_tls_side_info was = info->side[dir];
		size_t used;

		if (lose && *n == 1)
			fst_tls_lost(tls, FST_TLS_FROM_SERVER);
		used = fst_tls_feed(tls, dir, data + at, step, (int64_t)*n);
		FUZZ_CHECK(used <= step, "fed %zu, claimed %zu", step, used);
		if (was.ended)
			FUZZ_CHECK(used == 0, "an ended direction claimed %zu bytes", used);
		if (info->side[dir].lost)
			FUZZ_CHECK(used == step, "a lost direction claimed %zu of %zu", used, step);
		if (used < step)
			FUZZ_CHECK(info->side[dir].ended, "bytes refused without an end");
		check_side(&info->side[dir], &was);
		at += step;
		(*n)++;
	}
}

/* Bit 6: frames of both directions, decrypted with fuzz_keylog. */
static void decrypt_frames(const uint8_t *data, size_t size, size_t chunk, bool lose)
{
	struct fst_tls_keylog *keylog = fst_tls_keylog_new();
	struct fst_tls *tls = fst_tls_new();
	struct plain_count count = { { 0, 0 } };
	const struct fst_tls_info *info;
	size_t skipped = 0;
	unsigned n = 0;

	if (!keylog || !tls)
		goto out_free;
	if (!fst_tls_keylog_add(keylog, fuzz_keylog, sizeof(fuzz_keylog) - 1, &skipped))
		goto out_free;
	FUZZ_CHECK(skipped == 0 && fst_tls_keylog_count(keylog) == 3, "the fixed key log");
	fst_tls_set_decryption(tls, keylog, count_plaintext, &count);
	info = fst_tls_info(tls);
	FUZZ_CHECK(info->decrypt == FST_TLS_DECRYPT_WAITING, "not waiting for the hellos");
	while (size >= 3) {
		enum fst_tls_dir dir = data[0] & 1 ? FST_TLS_FROM_SERVER : FST_TLS_FROM_CLIENT;
		size_t len = fst_load_be16(data + 1);
		enum fst_tls_decrypt was = info->decrypt;

		data += 3;
		size -= 3;
		len = len < size ? len : size;
		feed(tls, dir, data, len, chunk, lose, &n);
		check_decrypt(info->decrypt, was);
		data += len;
		size -= len;
	}
	for (int d = 0; d < 2; d++)
		FUZZ_CHECK(count.bytes[d] == info->side[d].plain_bytes,
			   "plaintext handed out %llu, counted %llu",
			   (unsigned long long)count.bytes[d],
			   (unsigned long long)info->side[d].plain_bytes);
out_free:
	fst_tls_free(tls);
	fst_tls_keylog_free(keylog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fst_tls *tls;
	const struct fst_tls_info *info;
	size_t chunk, at = 1, half;
	bool alternate, lose;
	unsigned n = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0x0f) + 1;
	alternate = data[0] & 0x10;
	lose = data[0] & 0x20;
	half = 1 + (size - 1) / 2;
	if (data[0] & 0x40) {
		decrypt_frames(data + 1, size - 1, chunk, lose);
		return 0;
	}
	tls = fst_tls_new();
	if (!tls)
		return 0;
	info = fst_tls_info(tls);
	while (at < size) {
		size_t len = size - at < chunk ? size - at : chunk;
		enum fst_tls_dir dir = alternate ? (enum fst_tls_dir)(n % 2) :
				       at < half ? FST_TLS_FROM_CLIENT :
						   FST_TLS_FROM_SERVER;

		feed(tls, dir, data + at, len, chunk, lose, &n);
		at += len;
	}
	FUZZ_CHECK(memchr(info->sni, '\0', sizeof(info->sni)) != NULL, "SNI not terminated");
	for (size_t i = 0; info->sni[i]; i++)
		FUZZ_CHECK(info->sni[i] >= 0x20 && info->sni[i] < 0x7f, "SNI byte %d",
			   info->sni[i]);
	(void)fst_tls_version_name(info->version);
	(void)fst_tls_cipher_name(info->cipher);
	(void)fst_tls_mode_name(info->mode);
	fst_tls_free(tls);
	return 0;
}
