/* Private to src/capture: a walk over the blocks of a pcapng file
 * (draft-ietf-opsawg-pcapng), for the blocks libpcap reads but does not
 * hand to its reader (interface statistics, decryption secrets). Each
 * section header block sets the byte order of the blocks after it. */
#ifndef FTPSTALL_CAPTURE_PCAPNG_H
#define FTPSTALL_CAPTURE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* pcapng block types (section 4 and 10.1 of the draft). */
enum {
	FST_PCAPNG_SHB = 0x0A0D0D0A,
	FST_PCAPNG_IDB = 0x00000001,
	FST_PCAPNG_ISB = 0x00000005,
	FST_PCAPNG_DSB = 0x0000000A,
};

struct fst_pcapng_walk {
	FILE *f;	       /* borrowed */
	bool seekable;	       /* skips seek; else they read through (a gzip stream) */
	bool swap;	       /* the section is in the other byte order */
	uint64_t offset;       /* of the next byte in the (decompressed) file */
	uint64_t block_offset; /* of the block fst_pcapng_next read last */
};

/* Starts a walk of f from its current position, which is the start of a
 * block at offset. */
void fst_pcapng_walk_init(struct fst_pcapng_walk *w, FILE *f, bool seekable, uint64_t offset);

/* Reads the next block's header. 1: *type and *body, the bytes of its
 * body (its total length less the header and the trailing length; for a
 * section header block, less the byte-order magic too, which set the
 * byte order). 0 at the end of the file, -1 at a header that cannot be
 * one (a length under 12 or not a multiple of 4, a byte-order magic that
 * is none, the file cut inside the header). */
int fst_pcapng_next(struct fst_pcapng_walk *w, uint32_t *type, size_t *body);

/* Reads n body bytes into buf; false when the file ends first. */
bool fst_pcapng_read(struct fst_pcapng_walk *w, void *buf, size_t n);

/* Skips the rest bytes of the body left unread and the trailing length:
 * the walk is at the next block. False when the file ends first (or a
 * seek fails). */
bool fst_pcapng_end_block(struct fst_pcapng_walk *w, size_t rest);

/* Values in the section's byte order. */
uint16_t fst_pcapng_get16(const struct fst_pcapng_walk *w, const uint8_t *p);
uint32_t fst_pcapng_get32(const struct fst_pcapng_walk *w, const uint8_t *p);

#endif
