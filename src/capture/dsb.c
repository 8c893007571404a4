/* Decryption secrets a pcapng file carries (Decryption Secrets Blocks,
 * draft-ietf-opsawg-pcapng section 4.7): libpcap skips these blocks, so
 * the file is walked again here. Body: secrets type (4), secrets length
 * (4), the secrets padded to 4 bytes, options. Only TLSK blocks (NSS key
 * log text) are handed up; the file may be damaged or hostile, so every
 * length is checked and the secrets of one file are capped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ftpstall/capture.h"
#include "gzread.h"
#include "pcapblock.h"
#include "pcapng.h"

enum {
	SECRETS_TLSK = 0x544c534b, /* "TLSK": NSS key log */
	DSB_HEADER = 8,		   /* secrets type and length */
	WALK_BUFFER = 256 * 1024,
};

/* One TLSK block of body bytes whose header was read: reads its secrets
 * and hands them to fn. Returns 0 or an FST_ERR_ with errbuf set. */
static int read_tlsk(struct fst_pcapng_walk *w, const char *path, uint32_t len, size_t body,
		     fst_capture_secrets_fn fn, void *ctx, struct fst_capture_secrets_found *found,
		     char *errbuf)
{
	uint8_t *text;
	int rc = 0;

	if (len > body - DSB_HEADER) {
		fst_errbuf_set(errbuf,
			       "%s: decryption secrets block at offset %llu: its secrets length "
			       "(%u bytes) overruns the block (%zu bytes)",
			       path, (unsigned long long)w->block_offset, len, body - DSB_HEADER);
		return FST_ERR_FORMAT;
	}
	if (len > FST_CAPTURE_SECRETS_MAX - found->bytes) {
		fst_errbuf_set(errbuf,
			       "%s: decryption secrets block at offset %llu: more than %u bytes "
			       "of secrets in one capture",
			       path, (unsigned long long)w->block_offset, FST_CAPTURE_SECRETS_MAX);
		return FST_ERR_LIMIT;
	}
	text = malloc(len ? len : 1);
	if (!text) {
		fst_errbuf_set(errbuf, "%s: out of memory reading its decryption secrets", path);
		return FST_ERR_NOMEM;
	}
	if (!fst_pcapng_read(w, text, len)) {
		fst_errbuf_set(errbuf,
			       "%s: decryption secrets block at offset %llu is cut short "
			       "(the file ends inside its %u bytes of secrets)",
			       path, (unsigned long long)w->block_offset, len);
		rc = ferror(w->f) ? FST_ERR_IO : FST_ERR_FORMAT;
		goto out_free_text;
	}
	found->blocks++;
	found->bytes += len;
	if (!fn(ctx, text, len)) {
		fst_errbuf_set(errbuf, "%s: out of memory keeping its decryption secrets", path);
		rc = FST_ERR_NOMEM;
	}

out_free_text:
	free(text);
	return rc;
}

/* Walks the blocks of the stream f: none when it is no pcapng file (a
 * classic pcap, or no capture: the packet reader says which). */
static int walk_blocks(FILE *f, bool seekable, const char *path, fst_capture_secrets_fn fn,
		       void *ctx, struct fst_capture_secrets_found *found, char *errbuf)
{
	struct fst_pcapng_walk w;
	uint32_t type;
	size_t body;
	int rc = 0;

	fst_pcapng_walk_init(&w, f, seekable, 0);
	/* A damaged block other than a secrets block ends the walk quietly:
	 * the packet reader meets it too, and says so. */
	while (rc == 0 && fst_pcapng_next(&w, &type, &body) == 1) {
		size_t rest = body;

		if (w.block_offset == 0 && type != FST_PCAPNG_SHB)
			break;
		if (type == FST_PCAPNG_DSB) {
			uint8_t head[DSB_HEADER];
			uint32_t len;

			if (body < DSB_HEADER || !fst_pcapng_read(&w, head, DSB_HEADER)) {
				fst_errbuf_set(errbuf,
					       "%s: decryption secrets block at offset %llu is cut "
					       "short (no room for its secrets type and length)",
					       path, (unsigned long long)w.block_offset);
				rc = FST_ERR_FORMAT;
				break;
			}
			len = fst_pcapng_get32(&w, head + 4);
			if (fst_pcapng_get32(&w, head) != SECRETS_TLSK) {
				found->other_types++;
				rest -= DSB_HEADER;
			} else {
				rc = read_tlsk(&w, path, len, body, fn, ctx, found, errbuf);
				if (rc != 0)
					break;
				rest -= DSB_HEADER + len;
			}
		}
		if (!fst_pcapng_end_block(&w, rest))
			break;
	}
	return rc;
}

int fst_capture_read_secrets(const char *path, fst_capture_secrets_fn fn, void *ctx,
			     struct fst_capture_secrets_found *found, char *errbuf)
{
	struct fst_capture_secrets_found none;
	size_t file_size = WALK_BUFFER, plain_size = WALK_BUFFER;
	uint8_t *file_buf = NULL, *plain_buf = NULL;
	struct gz_stream *gz;
	struct stat st;
	bool seekable;
	FILE *f;
	int first, rc;

	if (!found)
		found = &none;
	memset(found, 0, sizeof(*found));
	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) != 0) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		return FST_ERR_IO;
	}
	/* A pipe or a FIFO (analyze <(zcat ...)) can be read only once, by
	 * the packet reader: opening it here would even wait for a writer. */
	if (!S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		return FST_ERR_IO;
	}
	seekable = true;
	/* Most blocks are packets, skipped by reading through: stdio's one
	 * page would cost a read(2) a packet or two. Without the buffer
	 * (out of memory) it is only slower. */
	file_buf = fst_capture_page_alloc(&file_size);
	if (file_buf)
		setvbuf(f, (char *)file_buf, _IOFBF, file_size);
	first = getc(f);
	if (first != EOF)
		ungetc(first, f);
	if (first == GZ_MAGIC0) {
		FILE *plain = fst_capture_gz_open(f, &gz);

		if (!plain) {
			fst_errbuf_set(errbuf, "%s: out of memory", path);
			rc = FST_ERR_NOMEM;
			goto out_close;
		}
		f = plain;
		seekable = false;
		plain_buf = fst_capture_page_alloc(&plain_size);
		if (plain_buf)
			setvbuf(f, (char *)plain_buf, _IOFBF, plain_size);
	}
	rc = walk_blocks(f, seekable, path, fn, ctx, found, errbuf);

out_close:
	/* Closes the file under a gzip stream too; then the buffers go. */
	fclose(f);
	free(plain_buf);
	free(file_buf);
	return rc;
}
