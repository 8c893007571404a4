/* The block walk of a pcapng file (see pcapng.h). Every length is
 * distrusted: the file may be damaged or hostile. */
#include "pcapng.h"

#include <string.h>

enum {
	BYTE_ORDER_MAGIC = 0x1A2B3C4D,
	BLOCK_MIN = 12,	       /* type, total length, trailing total length */
	SKIP_CHUNK = 4096,     /* skipped bytes are read through in these */
	SEEK_FROM = 64 * 1024, /* ... up to this; longer skips seek when they can */
};

void fst_pcapng_walk_init(struct fst_pcapng_walk *w, FILE *f, bool seekable, uint64_t offset)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->seekable = seekable;
	w->offset = offset;
}

uint16_t fst_pcapng_get16(const struct fst_pcapng_walk *w, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return w->swap ? __builtin_bswap16(v) : v;
}

uint32_t fst_pcapng_get32(const struct fst_pcapng_walk *w, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return w->swap ? __builtin_bswap32(v) : v;
}

bool fst_pcapng_read(struct fst_pcapng_walk *w, void *buf, size_t n)
{
	if (fread(buf, 1, n, w->f) != n)
		return false;
	w->offset += n;
	return true;
}

static bool skip(struct fst_pcapng_walk *w, uint64_t n)
{
	uint8_t sink[SKIP_CHUNK];

	/* A short skip is read through the stream's buffer: glibc's fseeko
	 * costs an lseek(2) even within the buffer, which for blocks of a
	 * packet each was three quarters of the walk. */
	if (w->seekable && n >= SEEK_FROM) {
		if (n > (uint64_t)INT64_MAX || fseeko(w->f, (off_t)n, SEEK_CUR) != 0)
			return false;
		w->offset += n;
		return true;
	}
	while (n > 0) {
		size_t step = n < sizeof(sink) ? (size_t)n : sizeof(sink);

		if (!fst_pcapng_read(w, sink, step))
			return false;
		n -= step;
	}
	return true;
}

bool fst_pcapng_end_block(struct fst_pcapng_walk *w, size_t rest)
{
	/* A seek past the end succeeds; the next header read finds the end. */
	return skip(w, (uint64_t)rest + 4);
}

int fst_pcapng_next(struct fst_pcapng_walk *w, uint32_t *type, size_t *body)
{
	uint8_t head[8];
	uint32_t total;
	size_t got;

	w->block_offset = w->offset;
	got = fread(head, 1, sizeof(head), w->f);
	if (got == 0)
		return 0;
	if (got != sizeof(head))
		return -1;
	w->offset += sizeof(head);
	memcpy(type, head, 4);
	if (*type == FST_PCAPNG_SHB) { /* the byte order comes next */
		uint8_t magic_bytes[4];
		uint32_t magic;

		if (!fst_pcapng_read(w, magic_bytes, 4))
			return -1;
		memcpy(&magic, magic_bytes, 4);
		if (magic != BYTE_ORDER_MAGIC && __builtin_bswap32(magic) != BYTE_ORDER_MAGIC)
			return -1;
		w->swap = magic != BYTE_ORDER_MAGIC;
		total = fst_pcapng_get32(w, head + 4);
		if (total < BLOCK_MIN + 4 || total % 4)
			return -1;
		*body = total - BLOCK_MIN - 4;
		return 1;
	}
	*type = fst_pcapng_get32(w, head);
	total = fst_pcapng_get32(w, head + 4);
	if (total < BLOCK_MIN || total % 4)
		return -1;
	*body = total - BLOCK_MIN;
	return 1;
}
