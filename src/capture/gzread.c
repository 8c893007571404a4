/* Gzip-compressed captures: zlib's inflate behind a glibc cookie stream,
 * so that pcap_fopen_offline reads them like any file. Bounded: one input
 * buffer and zlib's 32 KiB window per file, whatever the data says. */
/* fopencookie needs _GNU_SOURCE, which the build defines. */
#include "gzread.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

enum {
	GZ_IN_SIZE = 64 << 10,
	GZ_ERROR_SIZE = 160,
	GZ_WINDOW_GZIP = 15 + 16, /* the largest window, gzip header only */
};

struct gz_stream {
	FILE *in;
	z_stream zs;
	bool in_member; /* inside a gzip member: its end is still to come */
	bool failed;
	uint64_t consumed;
	char error[GZ_ERROR_SIZE];
	unsigned char in_buf[GZ_IN_SIZE];
};

static void gz_fail(struct gz_stream *gz, const char *what, const char *detail)
{
	gz->failed = true;
	snprintf(gz->error, sizeof(gz->error), "%s%s%s%s", what, detail ? " (" : "",
		 detail ? detail : "", detail ? ")" : "");
}

/* Refills the input. Returns false at its end or on an error. */
static bool gz_refill(struct gz_stream *gz)
{
	size_t n = fread(gz->in_buf, 1, sizeof(gz->in_buf), gz->in);

	if (n == 0) {
		if (ferror(gz->in))
			gz_fail(gz, "gzip read error", strerror(errno));
		else if (gz->in_member)
			gz_fail(gz, "gzip data is truncated", NULL);
		return false;
	}
	gz->zs.next_in = gz->in_buf;
	gz->zs.avail_in = (uInt)n;
	gz->consumed += n;
	return true;
}

/* Fills buf with up to size decompressed bytes. Returns their count, 0 at
 * the clean end of the last member, -1 (errno EIO) when the data is
 * truncated or corrupt: libpcap then stops with an error, not a silent
 * end, and the reason waits in gz->error. */
static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
	struct gz_stream *gz = cookie;
	uInt want = size > UINT32_MAX ? UINT32_MAX : (uInt)size;

	gz->zs.next_out = (Bytef *)buf;
	gz->zs.avail_out = want;
	while (gz->zs.avail_out == want && !gz->failed) {
		int rc;

		if (gz->zs.avail_in == 0 && !gz_refill(gz))
			break;
		if (!gz->in_member) {
			/* Another member follows (gzip files may be concatenated). */
			if (inflateReset(&gz->zs) != Z_OK) {
				gz_fail(gz, "corrupt gzip data", gz->zs.msg);
				break;
			}
			gz->in_member = true;
		}
		rc = inflate(&gz->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			gz->in_member = false;
		else if (rc == Z_MEM_ERROR)
			gz_fail(gz, "gzip: out of memory", NULL);
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			gz_fail(gz, "corrupt gzip data", gz->zs.msg ? gz->zs.msg : "bad data");
	}
	if (gz->zs.avail_out != want)
		return (ssize_t)(want - gz->zs.avail_out);
	if (gz->failed) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int gz_close(void *cookie)
{
	struct gz_stream *gz = cookie;
	int rc = 0;

	inflateEnd(&gz->zs);
	if (gz->in != stdin)
		rc = fclose(gz->in);
	free(gz);
	return rc;
}

FILE *fst_capture_gz_open(FILE *in, struct gz_stream **state)
{
	static const cookie_io_functions_t io = { .read = gz_read, .close = gz_close };
	struct gz_stream *gz = calloc(1, sizeof(*gz));
	FILE *stream;

	if (!gz)
		return NULL;
	if (inflateInit2(&gz->zs, GZ_WINDOW_GZIP) != Z_OK)
		goto out_free_gz;
	gz->in = in;
	gz->in_member = true;
	stream = fopencookie(gz, "rb", io);
	if (!stream)
		goto out_end_inflate;
	*state = gz;
	return stream;

out_end_inflate:
	inflateEnd(&gz->zs);
out_free_gz:
	free(gz);
	return NULL;
}

const char *fst_capture_gz_error(const struct gz_stream *gz)
{
	return gz->error;
}

uint64_t fst_capture_gz_consumed(const struct gz_stream *gz)
{
	return gz->consumed;
}
