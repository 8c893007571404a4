/* Private to src/capture: reading a gzip-compressed capture (as `tcpdump
 * -z gzip` leaves its rotated files) through a stdio stream that libpcap
 * can take. */
#ifndef FTPSTALL_CAPTURE_GZREAD_H
#define FTPSTALL_CAPTURE_GZREAD_H

#include <stdint.h>
#include <stdio.h>

struct gz_stream;

/* The first byte of a gzip file (RFC 1952: 1f 8b). No pcap or pcapng
 * magic starts with it. */
#define GZ_MAGIC0 0x1f

/* Returns a new read-only stream of the decompressed bytes of in (one or
 * more gzip members), free with fclose. Takes in: that fclose closes it
 * too, unless it is stdin. *state (owned by the stream, valid until its
 * fclose) answers fst_capture_gz_error and fst_capture_gz_consumed.
 * NULL when out of memory; in is then left open. */
FILE *fst_capture_gz_open(FILE *in, struct gz_stream **state);

/* Why reading stopped early ("gzip data is truncated", "corrupt gzip
 * data (invalid distance too far back)", ...), or "" when it has not. */
const char *fst_capture_gz_error(const struct gz_stream *gz);

/* Compressed bytes read from in so far. */
uint64_t fst_capture_gz_consumed(const struct gz_stream *gz);

#endif
