/* Private to src/capture: the records of a classic pcap file read in
 * page-aligned blocks and handed out where they lie, for the files whose
 * records libpcap would hand out unchanged. libpcap opens every file and
 * checks its header; from the first record this reader does not take,
 * libpcap reads the rest of the file (see fst_capture_blocks_next). */
#ifndef FTPSTALL_CAPTURE_PCAPBLOCK_H
#define FTPSTALL_CAPTURE_PCAPBLOCK_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fst_capture_blocks;

/* A buffer of at most *size bytes, page-aligned and a whole number of
 * pages, so that every read(2) into it is of whole pages into whole
 * pages. Sets *size to its bytes. Returns new, free with free(); NULL
 * when out of memory or *size is under a page. */
void *fst_capture_page_alloc(size_t *size);

/* Whether fd (borrowed) holds a classic pcap file this reader takes:
 * version 2.4, this machine's byte order, microsecond times (others are
 * converted by libpcap, which then reads them). Reads its header with
 * pread: the file offset does not move. */
bool fst_capture_blocks_suit(int fd);

/* Returns a reader of fd's records (fd borrowed, open until
 * fst_capture_blocks_free) in blocks of size bytes (a whole number of
 * pages; 0 is refused); records with more than max_caplen captured bytes
 * are left to libpcap. NULL when out of memory or fd does not suit. */
struct fst_capture_blocks *fst_capture_blocks_new(int fd, size_t size, uint32_t max_caplen);

/* NULL is a no-op. */
void fst_capture_blocks_free(struct fst_capture_blocks *b);

/* The next record: 1 with *hdr and *data (both good until the next call),
 * 0 at the end of the file. -1 at a record this reader does not take, as
 * libpcap might read it otherwise or not at all: one with more than
 * max_caplen captured bytes or a time libpcap might convert, one cut
 * short by the end of the file, or a read error. *resume_at is then the
 * record's offset: libpcap reads the file from there, and its checks and
 * messages are what they always were. */
int fst_capture_blocks_next(struct fst_capture_blocks *b, struct pcap_pkthdr **hdr,
			    const u_char **data, uint64_t *resume_at);

/* The offset just past the last record handed out. */
uint64_t fst_capture_blocks_offset(const struct fst_capture_blocks *b);

/* The block buffer and its size in *size (for the tests' alignment
 * check). Owned by b. */
const void *fst_capture_blocks_buffer(const struct fst_capture_blocks *b, size_t *size);

#endif
