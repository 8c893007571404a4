/* libFuzzer harness: the keyless TLS record reader (src/ftp/tls.c) on
 * hostile bytes: lying record lengths, truncated and oversized hellos,
 * huge records, alerts cut anywhere, cleartext after a record.
 *
 * Input: one header byte, then the bytes of both directions.
 *   header bits 0-3  chunk size - 1 (1 ... 16 bytes per feed)
 *          bit 4     alternate the direction every chunk (else the
 *                    first half is the client's, the second the server's)
 *          bit 5     the capture loses the server's bytes after the
 *                    first chunk (fst_tls_lost)
 * Invariants: a feed never claims more bytes than it got; once a
 * direction ended it claims none (lost: all), and stays ended; counts
 * never fall; the SNI is a terminated string of printable bytes. */
#include <string.h>

#include "ftpstall/tls.h"
#include "fuzz_support.h"

static void check_side(const struct fst_tls_side_info *now, const struct fst_tls_side_info *was)
{
	FUZZ_CHECK(now->records >= was->records, "record count fell");
	FUZZ_CHECK(now->app_records <= now->records, "more application records than records");
	FUZZ_CHECK(now->alerts <= now->records, "more alerts than records");
	FUZZ_CHECK(!was->ended || now->ended, "an ended direction came back");
	FUZZ_CHECK(!(now->ended && now->lost), "a direction both ended and lost");
	FUZZ_CHECK(!now->close_notify || now->alert_readable, "close_notify without a read alert");
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
	tls = fst_tls_new();
	if (!tls)
		return 0;
	info = fst_tls_info(tls);
	while (at < size) {
		size_t len = size - at < chunk ? size - at : chunk;
		enum fst_tls_dir dir = alternate ? (enum fst_tls_dir)(n % 2) :
				       at < half ? FST_TLS_FROM_CLIENT :
						   FST_TLS_FROM_SERVER;
		struct fst_tls_side_info was = info->side[dir];
		size_t used;

		if (lose && n == 1)
			fst_tls_lost(tls, FST_TLS_FROM_SERVER);
		used = fst_tls_feed(tls, dir, data + at, len, (int64_t)n);
		FUZZ_CHECK(used <= len, "fed %zu, claimed %zu", len, used);
		if (was.ended)
			FUZZ_CHECK(used == 0, "an ended direction claimed %zu bytes", used);
		if (info->side[dir].lost)
			FUZZ_CHECK(used == len, "a lost direction claimed %zu of %zu", used, len);
		if (used < len)
			FUZZ_CHECK(info->side[dir].ended, "bytes refused without an end");
		check_side(&info->side[dir], &was);
		at += len;
		n++;
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
