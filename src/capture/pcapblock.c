/* Classic pcap records read in page-aligned blocks (see pcapblock.h).
 *
 * Through libpcap, each record costs two stdio reads and a copy into
 * libpcap's own buffer, about half of the instructions a packet costs
 * ftpstall in all (docs/performance.md). Here a record that lies whole in
 * the block is handed out where it lies; one that straddles two blocks
 * is put together in a scratch buffer. The file format: pcap-savefile(5),
 * a 24-byte file header, then records of a 16-byte header (seconds,
 * microseconds, captured length, original length) and the captured
 * bytes. */
#include "pcapblock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	FILE_HEADER_SIZE = 24,
	RECORD_HEADER_SIZE = 16,
};

/* Microsecond pcap in this machine's byte order, and the version whose
 * record lengths libpcap never swaps. */
#define PCAP_MAGIC_MICRO    0xa1b2c3d4u
#define PCAP_VERSION_MAJOR2 2
#define PCAP_VERSION_MINOR4 4

struct fst_capture_blocks {
	int fd;
	uint8_t *buf; /* page-aligned, size bytes */
	size_t size;
	size_t pos, end;     /* the bytes not yet handed out: buf[pos, end) */
	uint64_t buf_offset; /* of buf[0] in the file */
	uint32_t max_caplen;
	uint8_t *scratch; /* a record that straddles blocks, header first */
	size_t scratch_cap;
	bool read_failed; /* a read error: libpcap meets it again, and says so */
	struct pcap_pkthdr hdr;
};

static size_t page_size(void)
{
	long size = sysconf(_SC_PAGESIZE);

	return size > 0 ? (size_t)size : 4096;
}

void *fst_capture_page_alloc(size_t *size)
{
	size_t page = page_size();
	void *buf;

	*size -= *size % page;
	if (*size == 0 || posix_memalign(&buf, page, *size) != 0)
		return NULL;
	return buf;
}

/* pread that retries when interrupted. Returns the bytes read, -1 on an
 * error. */
static ssize_t read_at(int fd, void *buf, size_t size, uint64_t offset)
{
	ssize_t n;

	do
		n = pread(fd, buf, size, (off_t)offset);
	while (n < 0 && errno == EINTR);
	return n;
}

bool fst_capture_blocks_suit(int fd)
{
	uint8_t header[FILE_HEADER_SIZE];
	uint32_t magic;
	uint16_t major, minor;

	if (read_at(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header))
		return false;
	memcpy(&magic, header, sizeof(magic));
	memcpy(&major, header + 4, sizeof(major));
	memcpy(&minor, header + 6, sizeof(minor));
	return magic == PCAP_MAGIC_MICRO && major == PCAP_VERSION_MAJOR2 &&
	       minor == PCAP_VERSION_MINOR4;
}

struct fst_capture_blocks *fst_capture_blocks_new(int fd, size_t size, uint32_t max_caplen)
{
	struct fst_capture_blocks *b;
	ssize_t n;

	if (!fst_capture_blocks_suit(fd))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->fd = fd;
	b->size = size;
	b->max_caplen = max_caplen;
	b->buf = fst_capture_page_alloc(&b->size);
	if (!b->buf)
		goto out_free;
	n = read_at(fd, b->buf, b->size, 0);
	if (n < FILE_HEADER_SIZE)
		goto out_free;
	b->end = (size_t)n;
	b->pos = FILE_HEADER_SIZE;
	return b;

out_free:
	fst_capture_blocks_free(b);
	return NULL;
}

void fst_capture_blocks_free(struct fst_capture_blocks *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->scratch);
	free(b);
}

/* The next block, read to the start of buf: page-aligned at an offset
 * that is a whole number of blocks, so the kernel copies whole pages.
 * Returns false at the end of the file (a short block came before) or
 * on a read error. */
static bool refill(struct fst_capture_blocks *b)
{
	ssize_t n;

	if (b->end < b->size)
		return false;
	n = read_at(b->fd, b->buf, b->size, b->buf_offset + b->end);
	if (n <= 0) {
		b->read_failed = n < 0;
		return false;
	}
	b->buf_offset += b->end;
	b->pos = 0;
	b->end = (size_t)n;
	return true;
}

/* Copies the next len bytes to dst, across blocks. Returns the bytes
 * copied: fewer than len at the end of the file or on a read error. */
static size_t take(struct fst_capture_blocks *b, uint8_t *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n;

		if (b->pos == b->end && !refill(b))
			break;
		n = b->end - b->pos;
		if (n > len - done)
			n = len - done;
		memcpy(dst + done, b->buf + b->pos, n);
		b->pos += n;
		done += n;
	}
	return done;
}

/* Fills b->hdr from a record header; returns whether the record is one
 * this reader takes. libpcap passes microsecond times of such a file
 * through as they are, except that some versions read the seconds and
 * microseconds as signed, others as unsigned: values with the top bit
 * set, and microseconds past a second, are left to libpcap. */
static bool parse_header(struct fst_capture_blocks *b, const uint8_t *p)
{
	uint32_t f[4];

	memcpy(f, p, sizeof(f));
	if (f[0] > INT32_MAX || f[1] >= 1000000 || f[2] > b->max_caplen)
		return false;
	b->hdr.ts.tv_sec = (time_t)f[0];
	b->hdr.ts.tv_usec = (suseconds_t)f[1];
	b->hdr.caplen = f[2];
	b->hdr.len = f[3];
	return true;
}

static bool grow_scratch(struct fst_capture_blocks *b, size_t need)
{
	uint8_t *grown;

	if (need <= b->scratch_cap)
		return true;
	grown = realloc(b->scratch, need);
	if (!grown)
		return false;
	b->scratch = grown;
	b->scratch_cap = need;
	return true;
}

/* A record that straddles blocks (or the end of the file): put together
 * in the scratch buffer. */
static int next_straddling(struct fst_capture_blocks *b, struct pcap_pkthdr **hdr,
			   const u_char **data, uint64_t *resume_at)
{
	size_t got;

	*resume_at = b->buf_offset + b->pos;
	if (!grow_scratch(b, RECORD_HEADER_SIZE))
		return -1;
	got = take(b, b->scratch, RECORD_HEADER_SIZE);
	if (got == 0 && !b->read_failed)
		return 0;
	if (got < RECORD_HEADER_SIZE || !parse_header(b, b->scratch) ||
	    !grow_scratch(b, RECORD_HEADER_SIZE + (size_t)b->hdr.caplen) ||
	    take(b, b->scratch + RECORD_HEADER_SIZE, b->hdr.caplen) < b->hdr.caplen)
		return -1;
	*hdr = &b->hdr;
	*data = b->scratch + RECORD_HEADER_SIZE;
	return 1;
}

int fst_capture_blocks_next(struct fst_capture_blocks *b, struct pcap_pkthdr **hdr,
			    const u_char **data, uint64_t *resume_at)
{
	size_t avail = b->end - b->pos;
	const uint8_t *p = b->buf + b->pos;

	if (avail >= RECORD_HEADER_SIZE && parse_header(b, p) &&
	    avail - RECORD_HEADER_SIZE >= b->hdr.caplen) {
		b->pos += RECORD_HEADER_SIZE + b->hdr.caplen;
		*hdr = &b->hdr;
		*data = p + RECORD_HEADER_SIZE;
		return 1;
	}
	/* A record libpcap must read lies whole in the block too: the
	 * straddling path finds it again, and gives it up. */
	return next_straddling(b, hdr, data, resume_at);
}

uint64_t fst_capture_blocks_offset(const struct fst_capture_blocks *b)
{
	return b->buf_offset + b->pos;
}

const void *fst_capture_blocks_buffer(const struct fst_capture_blocks *b, size_t *size)
{
	*size = b->size;
	return b->buf;
}
