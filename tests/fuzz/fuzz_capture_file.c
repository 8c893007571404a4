/* libFuzzer harness: the input is a whole capture file (pcap or pcapng),
 * read the way `ftpstall analyze FILE` reads it: capture -> tcp -> ftp
 * -> analysis -> every report format, written to /dev/null, after its
 * pcapng decryption secrets are read as analyze --tls-keylog reads them. The file
 * lives in a memfd opened by path (/proc/self/fd/N), since the capture
 * module opens files by name. An input of odd length is opened twice,
 * as two "rotated" files, to exercise the time-ordered merge; the
 * incident extract (analyze --write-incidents) is run over it too.
 *
 * While packets still arrive the harness also does what `watch -r` does
 * (fuzz_checkpoint: fst_analysis_finish, every report format, the event
 * stream, then more packets): whenever packet time passes the next 2 s
 * refresh, as watch's timer does in a replay at speed 1, and after a
 * packet with the URG bit, standing for the 'w' key pressed at a moment
 * the input picks. The on_update callback reads every result it is
 * handed, as watch's does. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"
#include "fuzz_support.h"

enum {
	MAX_GAPS = 1000,
	/* Bounds the cost of an input of many packets far apart. */
	MAX_CHECKPOINTS = 64
};

static size_t max_gaps = MAX_GAPS;

static int memfd = -1;
static char memfd_path[64];

/* Replaces the memfd's contents with the input. */
static void load_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_capture_file", 0);
		FUZZ_CHECK(memfd >= 0, "memfd_create failed");
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	FUZZ_CHECK(ftruncate(memfd, 0) == 0, "ftruncate");
	while (done < size) {
		ssize_t n = pwrite(memfd, data + done, size - done, (off_t)done);

		FUZZ_CHECK(n > 0, "pwrite");
		done += (size_t)n;
	}
}

struct extract_ctx {
	unsigned n;
	struct fst_ftp_masker *masker;
};

/* Keeps every other TCP packet in the extract. */
static bool keep_alternate(void *ctx, const struct fst_packet *pkt)
{
	struct extract_ctx *x = ctx;

	(void)pkt;
	return x->n++ % 2 == 0;
}

/* Masks every kept packet as if a client sent it on a control
 * connection: bytes only ever become '*', never more than were captured. */
static size_t mask_all(void *ctx, const struct fst_packet *pkt, uint8_t *payload)
{
	struct extract_ctx *x = ctx;
	size_t masked = fst_ftp_masker_mask(x->masker, pkt, payload);
	size_t changed = 0;

	for (uint32_t i = 0; i < pkt->payload_caplen; i++)
		if (payload[i] != pkt->payload[i]) {
			FUZZ_CHECK(payload[i] == '*', "the masker wrote %#x", payload[i]);
			changed++;
		}
	FUZZ_CHECK(masked == changed, "the masker says %zu bytes, changed %zu", masked, changed);
	return masked;
}

/* Kernel drops a pcapng file reports reach the analysis, as in analyze. */
static void on_drops(void *ctx, uint64_t dropped, int64_t from_us, int64_t to_us)
{
	FUZZ_CHECK(dropped > 0, "a drop report of nothing");
	fst_analysis_capture_dropped(ctx, from_us, to_us);
}

static void check_capture_stats(const struct fst_capture_stats *cs, uint64_t packets)
{
	/* A record of a file's repeat of itself is counted as a frame and
	 * skipped before decoding. */
	uint64_t accounted = cs->tcp_packets + cs->skipped_not_ip + cs->skipped_not_tcp +
			     cs->ip_fragments + cs->repeated_frames;

	for (int i = 0; i < FST_DECODE_RESULT_COUNT; i++)
		accounted += cs->malformed[i];
	FUZZ_CHECK(cs->tcp_packets == packets, "tcp_packets %llu, packets returned %llu",
		   (unsigned long long)cs->tcp_packets, (unsigned long long)packets);
	FUZZ_CHECK(accounted == cs->frames, "frames %llu, accounted for %llu",
		   (unsigned long long)cs->frames, (unsigned long long)accounted);
	FUZZ_CHECK(cs->truncated_frames <= cs->frames, "truncated frames > frames");
}

/* The decryption secrets handed up, as analyze --tls-keylog takes them. */
struct secrets_seen {
	uint64_t bytes;
	uint8_t sum; /* reads every byte: the sanitizers see a bad one */
};

static bool on_secrets(void *ctx, const uint8_t *text, size_t len)
{
	struct secrets_seen *seen = ctx;

	FUZZ_CHECK(len <= FST_CAPTURE_SECRETS_MAX, "secrets of %zu bytes", len);
	seen->bytes += len;
	for (size_t i = 0; i < len; i++)
		seen->sum += text[i];
	return true;
}

/* The pcapng decryption secrets blocks of the input: within the cap,
 * counted as handed up, an error with its reason. */
static void read_secrets(const char *path)
{
	struct fst_capture_secrets_found found;
	char errbuf[FST_ERRBUF_SIZE];
	struct secrets_seen seen = { 0 };
	int rc;

	errbuf[0] = '\0';
	rc = fst_capture_read_secrets(path, on_secrets, &seen, &found, errbuf);
	FUZZ_CHECK(rc == 0 || errbuf[0] != '\0', "secrets failed (%d) without a reason", rc);
	FUZZ_CHECK(found.bytes == seen.bytes, "secrets counted %llu, handed up %llu",
		   (unsigned long long)found.bytes, (unsigned long long)seen.bytes);
	FUZZ_CHECK(found.bytes <= FST_CAPTURE_SECRETS_MAX, "secrets over the cap");
}

/* Returns false when the capture could not be opened. */
static bool run_pipeline(const char *const *paths, size_t count)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct fst_analysis_cfg an_cfg = { .on_update = fuzz_on_update,
					   .ctx = &max_gaps,
					   .max_gaps = MAX_GAPS };
	struct fst_ftp_cfg ftp_cfg = { .ports = { 21 }, .port_count = 1 };
	struct fst_tcp_cfg tcp_cfg = { .payload_by_default = true,
				       .on_flow = fst_ftp_on_tcp_flow,
				       .on_event = fst_ftp_on_tcp_event };
	struct fst_capture *cap;
	struct fst_analysis *an;
	struct fst_ftp *ftp;
	struct fst_tcp *tcp;
	struct fst_packet pkt;
	struct fst_report_input in;
	uint64_t packets = 0;
	int64_t last_ts = INT64_MIN, next_refresh = INT64_MIN;
	unsigned checkpoints = 0;

	errbuf[0] = '\0';
	cap = fst_capture_open_files(paths, count, errbuf);
	if (!cap) {
		FUZZ_CHECK(errbuf[0] != '\0', "open failed without a reason");
		return false;
	}
	an = fst_analysis_new(&an_cfg);
	FUZZ_CHECK(an, "fst_analysis_new");
	ftp_cfg.on_event = fst_analysis_on_ftp_event;
	ftp_cfg.ctx = an;
	ftp = fst_ftp_new(&ftp_cfg);
	FUZZ_CHECK(ftp, "fst_ftp_new");
	tcp_cfg.ctx = ftp;
	tcp = fst_tcp_new(&tcp_cfg);
	FUZZ_CHECK(tcp, "fst_tcp_new");
	in = (struct fst_report_input){
		.version = "fuzz",
		.source = fst_capture_source_name(cap),
		.ftp = ftp,
		.analysis = an,
		.capture = fst_capture_stats(cap),
		.tcp = fst_tcp_stats(tcp),
		.ftp_stats = fst_ftp_stats(ftp),
	};

	while (fst_capture_next(cap, &pkt) == 1) {
		FUZZ_CHECK(pkt.payload_caplen <= pkt.payload_len, "payload caplen %u > len %u",
			   pkt.payload_caplen, pkt.payload_len);
		FUZZ_CHECK(pkt.src.family == 4 || pkt.src.family == 6, "family %u", pkt.src.family);
		FUZZ_CHECK(pkt.ts_us >= last_ts, "packet time went backwards");
		last_ts = pkt.ts_us;
		packets++;
		fst_tcp_input(tcp, &pkt);
		if (checkpoints < MAX_CHECKPOINTS &&
		    (pkt.ts_us >= next_refresh || (pkt.flags & FST_TCP_URG))) {
			fuzz_checkpoint(&in, pkt.ts_us, MAX_GAPS);
			checkpoints++;
			/* Clamped packet time leaves room for the period. */
			next_refresh = pkt.ts_us + FUZZ_REFRESH_US;
		}
	}
	fst_tcp_finish(tcp);
	/* pcapng statistics blocks, as analyze reads them at the end. */
	fst_capture_file_drops(cap, on_drops, an);
	fst_analysis_finish(an);
	check_capture_stats(fst_capture_stats(cap), packets);
	fuzz_check_results(an, MAX_GAPS);
	fuzz_write_reports(&in);
	for (struct fst_session_result *r = fst_analysis_results(an); r; r = r->next)
		fuzz_stream_result(r, last_ts);
	FUZZ_CHECK(fst_tcp_stats(tcp)->ooo_bytes_buffered == 0, "bytes still held after finish");
	FUZZ_CHECK(fst_tcp_stats(tcp)->flows_active == 0, "flows still active after finish");
	(void)fst_capture_warnings(cap);

	fst_tcp_free(tcp);
	fst_ftp_free(ftp);
	fst_analysis_free(an);
	fst_capture_free(cap);
	return true;
}

static void run_extract(const char *const *paths, size_t count)
{
	char errbuf[FST_ERRBUF_SIZE];
	FILE *out = fopen("/dev/null", "w");
	struct extract_ctx x = { .masker = fst_ftp_masker_new() };
	uint64_t written = 0;
	int fd, rc;

	FUZZ_CHECK(out, "fopen /dev/null");
	FUZZ_CHECK(x.masker, "fst_ftp_masker_new");
	fd = fileno(out);
	/* Takes out and closes it, on success and failure alike. glibc keeps
	 * every FILE on a list, so LeakSanitizer cannot see a stream that
	 * was not closed: the descriptor tells. */
	rc = fst_capture_extract(paths, count, out, keep_alternate, mask_all, &x, NULL, &written,
				 errbuf);
	fst_ftp_masker_free(x.masker);
	FUZZ_CHECK(fcntl(fd, F_GETFD) == -1,
		   "fst_capture_extract returned %d and left its output open", rc);
	FUZZ_CHECK(written <= x.n, "extract wrote %llu of %u packets", (unsigned long long)written,
		   x.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[2];
	size_t count = size % 2 ? 2 : 1;

	load_input(data, size);
	paths[0] = paths[1] = memfd_path;
	read_secrets(memfd_path);
	/* The extract of a file that cannot be opened leaks its output
	 * stream (known finding 3). */
	if (run_pipeline(paths, count) || FST_FUZZ_KNOWN)
		run_extract(paths, 1);
	return 0;
}
