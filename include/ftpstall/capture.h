/* Packet sources and decoding: capture files (pcap, pcapng, several
 * rotated files merged in time order, stdin) and live interfaces, link
 * layers, IPv4/IPv6 and the TCP header. Produces one struct fst_packet
 * per TCP segment; everything else is counted and skipped. */
#ifndef FTPSTALL_CAPTURE_H
#define FTPSTALL_CAPTURE_H

#include <signal.h>
#include <stdio.h>

#include "ftpstall/common.h"

/* TCP flag bits as on the wire. */
enum {
	FST_TCP_FIN = 0x01,
	FST_TCP_SYN = 0x02,
	FST_TCP_RST = 0x04,
	FST_TCP_PSH = 0x08,
	FST_TCP_ACK = 0x10,
	FST_TCP_URG = 0x20,
};

/* One decoded TCP segment. Pointers borrow the capture's buffer and are
 * valid until the next fst_capture_next() call. */
struct fst_packet {
	int64_t ts_us;
	struct fst_addr src, dst;
	uint16_t src_port, dst_port;
	uint8_t ttl; /* IPv4 TTL or IPv6 hop limit */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t window; /* unscaled, as on the wire */
	bool has_wscale, has_timestamps, sack_permitted;
	uint8_t wscale;
	uint16_t ip_id; /* IPv4 identification; 0 for IPv6 */
	/* Payload length from the IP/TCP headers: right even when the
	 * capture was cut short by a snaplen. */
	uint32_t payload_len;
	uint32_t ts_val; /* the timestamps option's TSval; 0 without one */
	/* The captured part of the payload: payload_caplen <= payload_len. */
	const uint8_t *payload;
	uint32_t payload_caplen;
	/* The TCP header (with options) is this long and ends at payload. */
	uint8_t tcp_header_len;
	/* IP-in-IP (protocol 4) or IPv6-in-IP (41) headers around the
	 * packet: 0 for a plain one. Addresses, TTL and TCP are the inner
	 * packet's. */
	uint8_t tunnel_depth;
};

/* Why a frame was not turned into a TCP packet. */
enum fst_decode_result {
	FST_DECODE_TCP = 0,
	FST_DECODE_NOT_IP,
	FST_DECODE_NOT_TCP,
	FST_DECODE_FRAGMENT,
	FST_DECODE_BAD_LINK,	    /* link header short or inconsistent */
	FST_DECODE_BAD_IPV4,	    /* IHL < 5, header past the capture, ... */
	FST_DECODE_BAD_IP_LENGTH,   /* total / payload length lies */
	FST_DECODE_BAD_IPV6_EXT,    /* extension chain overruns or too long */
	FST_DECODE_BAD_TCP,	    /* data offset < 5 or past the segment */
	FST_DECODE_BAD_TCP_OPTION,  /* an option overruns the header */
	FST_DECODE_SHORT_CAPTURE,   /* headers themselves cut by snaplen */
	FST_DECODE_TUNNEL_TOO_DEEP, /* IP in IP nested deeper than ftpstall follows */
	FST_DECODE_RESULT_COUNT
};

/* Short stable name ("bad_ipv4", ...) for reports and stats. */
const char *fst_decode_result_name(enum fst_decode_result r);

/* Decodes one frame of DLT link type linktype. caplen bytes are present,
 * wirelen were on the wire. Fills *out only on FST_DECODE_TCP. Borrows
 * frame; out->payload points into it. */
enum fst_decode_result fst_decode_frame(int linktype, const uint8_t *frame, uint32_t caplen,
					uint32_t wirelen, struct fst_packet *out);

/* True if ftpstall can decode this DLT link type. */
bool fst_linktype_supported(int linktype);

struct fst_capture_stats {
	uint64_t frames;      /* frames read from the source */
	uint64_t frame_bytes; /* their wire lengths */
	uint64_t tcp_packets;
	uint64_t skipped_not_ip;
	uint64_t skipped_not_tcp;
	uint64_t ip_fragments;
	uint64_t tunnelled_packets;		     /* TCP packets found inside IP-in-IP or 6in4 */
	uint64_t malformed[FST_DECODE_RESULT_COUNT]; /* by reason */
	uint64_t truncated_frames;		     /* caplen < wirelen */
	uint64_t time_went_back;		     /* timestamps clamped to stay monotonic */
	uint64_t repeated_frames;		     /* a file's repeat of itself: skipped */
	uint64_t kernel_received;		     /* live only, from pcap_stats */
	uint64_t kernel_dropped;    /* live; files: what fst_capture_file_drops found */
	uint64_t interface_dropped; /* live only */
};

/* Live capture defaults: the most libpcap captures of a packet, and a
 * kernel buffer with no drops at 1 Gbit/s on lo. */
#define FST_CAPTURE_DEFAULT_SNAPLEN	262144
#define FST_CAPTURE_DEFAULT_BUFFER_SIZE (32 << 20)

/* Borrowed by fst_capture_open_live during the call only. */
struct fst_capture_live_cfg {
	const char *interface;
	const char *filter; /* BPF text; NULL means "tcp" */
	int snaplen;	    /* 0 means FST_CAPTURE_DEFAULT_SNAPLEN */
	int buffer_size;    /* bytes; 0 means FST_CAPTURE_DEFAULT_BUFFER_SIZE */
	bool immediate;
};

struct fst_capture;

/* Opens count capture files ("-" is standard input) and reads them as
 * one stream in timestamp order. Returns NULL and fills errbuf with
 * "FILE: reason" when any of them cannot be opened. Borrows paths. */
struct fst_capture *fst_capture_open_files(const char *const *paths, size_t count, char *errbuf);

/* Opens a live interface, non-blocking. Returns new, free with
 * fst_capture_free; NULL + errbuf on failure. */
struct fst_capture *fst_capture_open_live(const struct fst_capture_live_cfg *cfg, char *errbuf);

/* Closes the source (and a save file). NULL is a no-op. */
void fst_capture_free(struct fst_capture *cap);

/* Next TCP packet. Returns 1 with *pkt filled, 0 when a live source has
 * nothing now (poll fst_capture_fd), -1 at the end of all input. Frames
 * that are not TCP, or malformed, are counted and skipped. A damaged or
 * truncated file ends that file's stream with a warning (see
 * fst_capture_warning); it is not an error. */
int fst_capture_next(struct fst_capture *cap, struct fst_packet *pkt);

/* Saves every frame read from now on to out as a pcap file (watch and
 * analyze -w), as captured, TCP or not. Takes out (closed by
 * fst_capture_save_end or fst_capture_free, or here on failure); name
 * is for messages. Returns FST_OK or an error with errbuf. */
int fst_capture_save_to(struct fst_capture *cap, FILE *out, const char *name, char *errbuf);

/* Flushes and closes the save file, if any. Returns FST_OK, or
 * FST_ERR_IO with errbuf when a write failed. */
int fst_capture_save_end(struct fst_capture *cap, char *errbuf);

/* Decides whether a packet goes into an extract. */
typedef bool (*fst_capture_keep_fn)(void *ctx, const struct fst_packet *pkt);

/* May change a packet's payload before it is written out. payload is a
 * writable copy of pkt->payload's payload_caplen bytes (pkt borrows the
 * original, both valid during the call only). Returns how many bytes it
 * changed (lengths never change). */
typedef size_t (*fst_capture_rewrite_fn)(void *ctx, const struct fst_packet *pkt, uint8_t *payload);

/* Copies the caplen bytes of frame into out and, if it is a TCP segment,
 * lets rewrite change the copy's payload, then updates the TCP checksum
 * for the changed bytes (RFC 1624: exact even when snaplen cut the
 * segment; a zero checksum, as left by offload, stays zero). Borrows
 * both buffers. Returns the number of payload bytes changed. */
size_t fst_capture_rewrite_frame(int linktype, const uint8_t *frame, uint32_t caplen,
				 uint32_t wirelen, uint8_t *out, fst_capture_rewrite_fn rewrite,
				 void *ctx);

/* Reads the files again (merged in time order, like fst_capture_open_files)
 * and writes every frame whose TCP packet keep() accepts to out as a
 * pcap file, unchanged, or changed by rewrite (fst_capture_rewrite_frame)
 * when it is not NULL, which is called right after keep() accepted the
 * same packet. Takes out and closes it. Standard input cannot be read
 * twice. cancel (borrowed, may be NULL) is polled between frames: once
 * it is set the extract stops and returns FST_ERR_CANCELLED, what was
 * written being incomplete. Returns FST_OK and the frame count in
 * *written, or an error with errbuf. */
int fst_capture_extract(const char *const *paths, size_t count, FILE *out, fst_capture_keep_fn keep,
			fst_capture_rewrite_fn rewrite, void *ctx,
			const volatile sig_atomic_t *cancel, uint64_t *written, char *errbuf);

/* Packets the capturing kernel dropped, as a pcapng file's interface
 * statistics blocks report them: dropped more in the packet-time span
 * [from_us, to_us] (isb_starttime, or the interface's previous block, to
 * isb_endtime or the block's time). */
typedef void (*fst_capture_drop_fn)(void *ctx, uint64_t dropped, int64_t from_us, int64_t to_us);

/* Files: reads the drop counts (isb_ifdrop + isb_osdrop) of the pcapng
 * inputs' interface statistics blocks, which libpcap does not hand to
 * its reader: each such file is read again, block headers only. Standard
 * input, pipes, FIFOs and gzip files cannot be, and are left out. Calls fn (may be
 * NULL) for each block whose count grew, adds them to the statistics'
 * kernel_dropped and returns their sum. Live captures: 0 (see
 * fst_capture_stats). */
uint64_t fst_capture_file_drops(struct fst_capture *cap, fst_capture_drop_fn fn, void *ctx);

/* ---- decryption secrets carried in a capture ---------------------------
 * A pcapng Decryption Secrets Block (block type 0x0000000A, as `editcap
 * --inject-secrets tls,KEYLOG` writes it) of secrets type "TLSK"
 * (0x544c534b) holds NSS key log text. The capture layer only hands the
 * bytes up; what they mean is the TLS parser's business. */

/* Receives the secrets of one TLSK block: text of len bytes, borrowed for
 * the call. Returns false to stop (out of memory keeping them). */
typedef bool (*fst_capture_secrets_fn)(void *ctx, const uint8_t *text, size_t len);

/* The secrets one file may carry in all; more is no key log. */
#define FST_CAPTURE_SECRETS_MAX (16u * 1024 * 1024)

struct fst_capture_secrets_found {
	unsigned blocks;      /* TLSK blocks handed to fn */
	unsigned other_types; /* secrets blocks of another type (WireGuard, SSH...), skipped */
	uint64_t bytes;	      /* the secrets handed to fn */
};

/* Reads the TLSK decryption secrets blocks of the capture file at path
 * (gzip-compressed or not; every section, either byte order) and calls fn
 * with the bytes of each, in file order. A classic pcap file has none;
 * "-" (standard input) and any path that is no regular file (a pipe or
 * FIFO: they can be read only once, by the packet reader) are not read. found
 * (may be NULL) is filled either way. Returns 0 (also when the file has
 * no such block, or when a block that is no secrets block is damaged:
 * the packet reader reports that); FST_ERR_IO when the file cannot be
 * opened or read; FST_ERR_FORMAT when a secrets block's lengths lie (its
 * secrets overrun the block, or the file ends inside it);
 * FST_ERR_LIMIT when the file carries more than FST_CAPTURE_SECRETS_MAX
 * bytes of secrets; FST_ERR_NOMEM when out of memory or fn returned
 * false. On failure errbuf names path, the block's offset and the
 * reason; the secrets handed to fn before it stand. The file is read
 * from start to end (the secrets may come anywhere before the packets
 * they open): a pcapng file costs one more pass over its block headers. */
int fst_capture_read_secrets(const char *path, fst_capture_secrets_fn fn, void *ctx,
			     struct fst_capture_secrets_found *found, char *errbuf);

/* The pcap handle's selectable fd for live captures, else -1. */
int fst_capture_fd(const struct fst_capture *cap);

/* Refreshes the kernel counters (live) and returns the statistics,
 * owned by cap and valid until fst_capture_free. */
const struct fst_capture_stats *fst_capture_stats(struct fst_capture *cap);

/* Warnings collected while reading (e.g. "x.pcap: truncated dump file;
 * stopped after 12 records"), one per line, or "" when none. Owned by
 * cap, valid until fst_capture_free (later reads may append). */
const char *fst_capture_warnings(const struct fst_capture *cap);

/* Files: the bytes of the inputs read so far (of a gzip file, its
 * compressed bytes) and their total size, for a progress display. *total
 * is 0 when a size is unknown (standard input, a pipe); live, both are 0.
 * Borrows cap. */
void fst_capture_progress(const struct fst_capture *cap, uint64_t *done, uint64_t *total);

/* The stdio buffer that file number index (from 0, in the order given
 * to fst_capture_open_files) is read through, and its size in *size;
 * NULL and 0 when stdio's own is used (standard input, hundreds of files
 * at once) or there is no such file. Page-aligned: the tests check it,
 * as the kernel's copy into a misaligned buffer is several times slower.
 * Owned by cap, valid until fst_capture_free. */
const void *fst_capture_read_buffer(const struct fst_capture *cap, size_t index, size_t *size);

/* What a capture reads: the DLT link type, libpcap's name and description
 * of it ("EN10MB", "Ethernet"), and the snapshot length. The strings are
 * static (libpcap's), never NULL. */
struct fst_capture_link {
	int linktype;
	const char *name;
	const char *description;
	int snaplen;
};

/* Fills *out for a live capture (the first file's for files). Borrows
 * cap. */
void fst_capture_link_info(const struct fst_capture *cap, struct fst_capture_link *out);

/* Describes the source: file names or "interface lo". Owned by cap,
 * valid until fst_capture_free. */
const char *fst_capture_source_name(const struct fst_capture *cap);

#endif
