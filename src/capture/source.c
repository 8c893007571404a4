/* Packet sources: capture files merged in timestamp order, and live
 * interfaces. Frames are decoded here; only TCP segments leave. */
#include "ftpstall/capture.h"

#include <errno.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gzread.h"
#include "isb.h"
#include "pcapblock.h"

enum {
	WARNINGS_SIZE = 4096,
	SOURCE_NAME_SIZE = 512
};

/* libpcap reads a file through stdio, whose buffer is one page by default:
 * a read(2) per 4 KiB, which on some kernels costs more than all of the
 * work done per packet. Each file gets a larger buffer, the total shared
 * out among the files read at once so a long rotated set stays bounded.
 *
 * The buffer starts on a page boundary and is a whole number of pages
 * (fst_capture_page_alloc). malloc would put a large one just past its
 * 16-byte header: every read(2) then lands across page boundaries, and
 * the kernel's page cache copy into it ran about five times slower, most
 * of ftpstall's time on a 1 GiB capture (docs/performance.md).
 *
 * Most files are classic pcap in this machine's byte order: their records
 * are read in such blocks without stdio (pcapblock.h), and libpcap reads
 * only what that reader leaves to it. */
enum {
	READ_BUFFER_MAX = 256 << 10,
	READ_BUFFER_MIN = 16 << 10,
	READ_BUFFERS_TOTAL = 8 << 20,
	/* libpcap's largest snapshot length for the link types ftpstall
	 * reads: a longer record is its to judge. */
	RECORD_CAPLEN_MAX = 262144,
};

struct capture_file {
	pcap_t *pcap;
	char *read_buffer;	 /* stdio buffer of pcap's FILE; freed after it */
	size_t read_buffer_size; /* its bytes; 0: stdio's own buffer */
	/* Classic pcap read in blocks, until a record it leaves to libpcap;
	 * NULL: libpcap reads. */
	struct fst_capture_blocks *blocks;
	int resume_errno;     /* libpcap could not take over: why the seek failed */
	const char *path;     /* borrowed from the caller of open_files */
	struct gz_stream *gz; /* gzip input: owned by pcap's FILE, until pcap_close */
	uint64_t size;	      /* of the file as stored; 0: unknown */
	int linktype;
	struct pcap_pkthdr *pending_hdr; /* read ahead, not yet returned */
	const u_char *pending_data;
	int64_t pending_ts_us;
	uint64_t records;
	/* A file that holds its capture twice: see skip_repeated(). */
	uint64_t skipped;     /* records of repeats skipped so far */
	int64_t latest_ts_us; /* the latest time read so far */
	int64_t first_ts_us;  /* the first record's time, lengths and bytes */
	uint32_t first_caplen, first_len;
	uint64_t first_digest;
	struct capture_file *twin; /* the file read again from its start */
	uint64_t repeat_from;	   /* the record at which the repeat began */
	uint64_t repeated;	   /* records of the current repeat skipped */
};

struct fst_capture {
	/* Files: active[] holds indexes into files[] of those with a pending
	 * record, ordered by its timestamp, so the head is the next one. */
	struct capture_file *files;
	size_t file_count;
	size_t *active;
	size_t active_count;
	struct capture_file *consumed; /* refill before the next record */

	pcap_t *live;
	int live_linktype;
	pcap_dumper_t *saver; /* -w: every frame read is written here */

	int64_t last_ts_us;
	struct fst_capture_stats stats;
	char warnings[WARNINGS_SIZE];
	size_t warnings_len;
	char source_name[SOURCE_NAME_SIZE];
};

static void add_warning(struct fst_capture *cap, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_warning(struct fst_capture *cap, const char *fmt, ...)
{
	size_t room = sizeof(cap->warnings) - cap->warnings_len;
	va_list ap;
	int n;

	if (room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(cap->warnings + cap->warnings_len, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cap->warnings_len += (size_t)n < room - 1 ? (size_t)n : room - 2;
	cap->warnings[cap->warnings_len++] = '\n';
	cap->warnings[cap->warnings_len] = '\0';
}

/* Packet time in microseconds. A damaged or hostile file may claim any
 * time: it is clamped to +-FST_TS_LIMIT_US, whose headroom keeps all
 * time arithmetic above free of overflow. */
static int64_t header_ts_us(const struct pcap_pkthdr *hdr)
{
	const int64_t limit = FST_TS_LIMIT_US / FST_US_PER_SEC - 1;
	int64_t secs = (int64_t)hdr->ts.tv_sec;

	if (secs > limit)
		secs = limit;
	if (secs < -limit)
		secs = -limit;
	/* libpcap keeps tv_usec below a million (nanosecond files are
	 * scaled); a division per packet for the odd damaged one is waste. */
	if ((uint64_t)hdr->ts.tv_usec < (uint64_t)FST_US_PER_SEC)
		return secs * FST_US_PER_SEC + hdr->ts.tv_usec;
	return secs * FST_US_PER_SEC + hdr->ts.tv_usec % FST_US_PER_SEC;
}

/* Explains why a file is not a readable capture, in the user's words. */
static void describe_open_failure(const char *path, const char *pcap_err, char *errbuf)
{
	struct stat st;

	if (strcmp(path, "-") != 0) {
		if (stat(path, &st) != 0) {
			fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
			return;
		}
		if (S_ISDIR(st.st_mode)) {
			fst_errbuf_set(errbuf, "%s: is a directory", path);
			return;
		}
		if (S_ISREG(st.st_mode) && st.st_size == 0) {
			fst_errbuf_set(errbuf, "%s: empty file, not a capture", path);
			return;
		}
	}
	if (strstr(pcap_err, "unknown file format"))
		fst_errbuf_set(errbuf, "%s: not a pcap or pcapng capture (unknown file format)",
			       path);
	else if (strstr(pcap_err, "truncated dump file"))
		fst_errbuf_set(errbuf, "%s: capture file header is truncated", path);
	else
		fst_errbuf_set(errbuf, "%s: %s", path, pcap_err);
}

static size_t read_buffer_size(size_t file_count)
{
	size_t share = READ_BUFFERS_TOTAL / file_count;

	if (share > READ_BUFFER_MAX)
		return READ_BUFFER_MAX;
	return share < READ_BUFFER_MIN ? 0 : share;
}

/* Opens file->path ("-": standard input) with a read buffer of
 * buffer_size bytes (0: stdio's default): the block reader's for a file
 * it suits, else stdio's. A gzip file (by its first byte, not its name)
 * is read through fst_capture_gz_open. */
static pcap_t *open_offline(struct capture_file *file, size_t buffer_size, char *pcap_err)
{
	bool is_stdin = strcmp(file->path, "-") == 0;
	bool in_blocks = false;
	struct stat st;
	pcap_t *pcap;
	FILE *stream;
	int first;

	stream = is_stdin ? stdin : fopen(file->path, "rb");
	if (!stream) {
		snprintf(pcap_err, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	if (!is_stdin && fstat(fileno(stream), &st) == 0 && S_ISREG(st.st_mode))
		file->size = (uint64_t)st.st_size;
	in_blocks = file->size > 0 && buffer_size > 0 && fst_capture_blocks_suit(fileno(stream));
	/* Standard input keeps stdio's buffer: libpcap never closes stdin, so
	 * a buffer of ours would be freed under it. */
	if (!is_stdin && buffer_size > 0 && !in_blocks) {
		file->read_buffer = fst_capture_page_alloc(&buffer_size);
		if (file->read_buffer &&
		    setvbuf(stream, file->read_buffer, _IOFBF, buffer_size) != 0) {
			free(file->read_buffer);
			file->read_buffer = NULL;
		}
		file->read_buffer_size = file->read_buffer ? buffer_size : 0;
	}
	first = getc(stream);
	if (first != EOF)
		ungetc(first, stream);
	if (first == GZ_MAGIC0) {
		FILE *plain = fst_capture_gz_open(stream, &file->gz);

		if (!plain) {
			snprintf(pcap_err, PCAP_ERRBUF_SIZE, "out of memory");
			if (!is_stdin)
				fclose(stream);
			return NULL;
		}
		stream = plain;
	}
	pcap = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO,
							pcap_err);
	if (pcap && in_blocks) {
		int snaplen = pcap_snapshot(pcap);
		uint32_t max_caplen = snaplen > 0 && snaplen < RECORD_CAPLEN_MAX ?
					      (uint32_t)snaplen :
					      RECORD_CAPLEN_MAX;

		/* Out of memory: libpcap reads it, through stdio's buffer. */
		file->blocks = fst_capture_blocks_new(fileno(stream), buffer_size, max_caplen);
	}
	if (!pcap) {
		/* libpcap leaves the stream open when it fails. */
		if (file->gz && fst_capture_gz_error(file->gz)[0])
			snprintf(pcap_err, PCAP_ERRBUF_SIZE, "%s", fst_capture_gz_error(file->gz));
		file->gz = NULL;
		if (stream != stdin)
			fclose(stream);
	}
	return pcap;
}

/* next_record's hand-over: from the record at offset resume_at on,
 * libpcap reads the file, as it would have from its start. */
static int resume_with_pcap(struct capture_file *file, uint64_t resume_at, struct pcap_pkthdr **hdr,
			    const u_char **data) __attribute__((cold, noinline));

static int resume_with_pcap(struct capture_file *file, uint64_t resume_at, struct pcap_pkthdr **hdr,
			    const u_char **data)
{
	fst_capture_blocks_free(file->blocks);
	file->blocks = NULL;
	if (fseeko(pcap_file(file->pcap), (off_t)resume_at, SEEK_SET) != 0) {
		file->resume_errno = errno ? errno : EIO;
		return PCAP_ERROR;
	}
	return pcap_next_ex(file->pcap, hdr, data);
}

/* The next record of a file, as pcap_next_ex returns it (1, or
 * PCAP_ERROR_BREAK at the end, or PCAP_ERROR), from the block reader
 * while it takes the file's records, then from libpcap. */
static int next_record(struct capture_file *file, struct pcap_pkthdr **hdr, const u_char **data)
{
	uint64_t resume_at;
	int rc;

	if (!file->blocks)
		return pcap_next_ex(file->pcap, hdr, data);
	rc = fst_capture_blocks_next(file->blocks, hdr, data, &resume_at);
	if (rc == 1)
		return 1;
	if (rc == 0)
		return PCAP_ERROR_BREAK;
	return resume_with_pcap(file, resume_at, hdr, data);
}

static void describe_link_type(int linktype, char *buf, size_t size)
{
	const char *name = pcap_datalink_val_to_name(linktype);

	snprintf(buf, size, "%s (%d)", name ? name : "unknown", linktype);
}

/* FNV-1a over a record's bytes: the first record's, kept to know it
 * again without keeping a copy. */
static uint64_t record_digest(const u_char *data, uint32_t caplen)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (uint32_t i = 0; i < caplen; i++)
		h = (h ^ data[i]) * 0x100000001b3u;
	return h;
}

static void close_twin(struct capture_file *file)
{
	if (!file->twin)
		return;
	if (file->twin->pcap)
		pcap_close(file->twin->pcap);
	fst_capture_blocks_free(file->twin->blocks);
	free(file->twin->read_buffer);
	free(file->twin);
	file->twin = NULL;
}

/* Counts a frame that is read but not decoded, and saves it (-w). */
static void count_frame(struct fst_capture *cap, const struct pcap_pkthdr *hdr, const u_char *data)
{
	if (cap->saver)
		pcap_dump((u_char *)cap->saver, hdr, data);
	cap->stats.frames++;
	cap->stats.frame_bytes += hdr->len;
	if (hdr->caplen < hdr->len)
		cap->stats.truncated_frames++;
}

/* Ends a repeat: its one warning says what was skipped. */
static void end_repeat(struct fst_capture *cap, struct capture_file *file)
{
	if (!file->twin)
		return;
	add_warning(cap,
		    "%s: records %llu to %llu repeat its first %llu records (the file holds "
		    "its capture more than once); the repeat was skipped",
		    file->path, (unsigned long long)file->repeat_from,
		    (unsigned long long)(file->repeat_from + file->repeated - 1),
		    (unsigned long long)file->repeated);
	close_twin(file);
}

/* The number of the pending record in its file, from 1. */
static uint64_t pending_record(const struct capture_file *file)
{
	return file->records + file->skipped + 1;
}

/* Keeps what knows the file's first record (pending now) again. */
static void remember_first(struct capture_file *file)
{
	file->first_ts_us = file->pending_ts_us;
	file->first_caplen = file->pending_hdr->caplen;
	file->first_len = file->pending_hdr->len;
	file->first_digest = record_digest(file->pending_data, file->pending_hdr->caplen);
}

/* Whether the pending record begins a repeat of the file: time went back
 * within the file to exactly its first record. Opens the twin that then
 * reads the file again in step with it. */
static bool begin_repeat(struct fst_capture *cap, struct capture_file *file)
{
	const struct pcap_pkthdr *hdr = file->pending_hdr;
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *twin_hdr;
	const u_char *twin_data;

	/* Cheap tests first: a clock step back rarely hits the first record's
	 * exact time and lengths. */
	if (file->pending_ts_us != file->first_ts_us || hdr->caplen != file->first_caplen ||
	    hdr->len != file->first_len ||
	    record_digest(file->pending_data, hdr->caplen) != file->first_digest)
		return false;
	if (strcmp(file->path, "-") == 0) {
		add_warning(cap,
			    "%s: record %llu repeats the first record (the capture may be in "
			    "it twice); standard input cannot be read again to skip the repeat",
			    file->path, (unsigned long long)pending_record(file));
		return false;
	}
	file->twin = calloc(1, sizeof(*file->twin));
	if (!file->twin)
		return false;
	file->twin->path = file->path;
	file->twin->pcap = open_offline(file->twin, READ_BUFFER_MIN, pcap_err);
	/* The twin's first record is the pending one: it was compared above. */
	if (!file->twin->pcap || next_record(file->twin, &twin_hdr, &twin_data) != 1) {
		close_twin(file);
		return false;
	}
	file->repeat_from = pending_record(file);
	file->repeated = 0;
	return true;
}

/* Whether the pending record is the twin's next one, byte for byte. */
static bool twin_agrees(struct capture_file *file)
{
	const struct pcap_pkthdr *hdr = file->pending_hdr;
	struct pcap_pkthdr *twin_hdr;
	const u_char *twin_data;

	if (next_record(file->twin, &twin_hdr, &twin_data) != 1)
		return false;
	return twin_hdr->ts.tv_sec == hdr->ts.tv_sec && twin_hdr->ts.tv_usec == hdr->ts.tv_usec &&
	       twin_hdr->caplen == hdr->caplen && twin_hdr->len == hdr->len &&
	       memcmp(twin_data, file->pending_data, hdr->caplen) == 0;
}

/* Two copies of a capture joined into one file (cat-style, editcap or
 * mergecap -a): time goes back to the first record and the file plays
 * again. Every record of the second copy would otherwise come again long
 * after its flow ended, as phantom sessions. Called for a record whose
 * time is not later than the file's latest, or during a repeat: returns
 * true when the pending record is part of such a repeat (counted, and
 * skipped). The repeat lasts while the file agrees record by record with
 * a second reading of itself from the start, so nothing that differs is
 * lost. */
static bool skip_repeated(struct fst_capture *cap, struct capture_file *file)
{
	const struct pcap_pkthdr *hdr = file->pending_hdr;
	bool repeat;

	if (file->twin)
		repeat = twin_agrees(file);
	else
		repeat = file->pending_ts_us < file->latest_ts_us && begin_repeat(cap, file);
	if (!repeat) {
		end_repeat(cap, file);
		if (file->pending_ts_us > file->latest_ts_us)
			file->latest_ts_us = file->pending_ts_us;
		return false;
	}
	file->repeated++;
	file->skipped++;
	cap->stats.repeated_frames++;
	count_frame(cap, hdr, file->pending_data);
	return true;
}

/* read_ahead's end of a file: at its end or a damaged record (a warning
 * is recorded). Returns false. */
static bool read_ended(struct fst_capture *cap, struct capture_file *file, int rc)
{
	end_repeat(cap, file);
	if (rc == PCAP_ERROR)
		add_warning(cap, "%s: %s; stopped after %llu records", file->path,
			    file->gz && fst_capture_gz_error(file->gz)[0] ?
				    fst_capture_gz_error(file->gz) :
			    file->resume_errno ? strerror(file->resume_errno) :
						 pcap_geterr(file->pcap),
			    (unsigned long long)file->records);
	return false;
}

/* read_ahead's slow path, for a record whose time did not move on or one
 * read during a repeat: reads on past the records of a repeat. */
static bool read_past_repeat(struct fst_capture *cap, struct capture_file *file)
	__attribute__((cold, noinline));

static bool read_past_repeat(struct fst_capture *cap, struct capture_file *file)
{
	while (skip_repeated(cap, file)) {
		int rc = next_record(file, &file->pending_hdr, &file->pending_data);

		if (rc != 1)
			return read_ended(cap, file, rc);
		file->pending_ts_us = header_ts_us(file->pending_hdr);
	}
	return true;
}

/* Reads the next record of file into its pending slot, past the records
 * of a repeat (skip_repeated). Returns false at the end of the file or on
 * a damaged record (a warning is recorded). */
static bool read_ahead(struct fst_capture *cap, struct capture_file *file)
{
	int rc = next_record(file, &file->pending_hdr, &file->pending_data);

	if (rc != 1)
		return read_ended(cap, file, rc);
	file->pending_ts_us = header_ts_us(file->pending_hdr);
	/* Most records: time moves on, no repeat running. */
	if (file->pending_ts_us >= file->latest_ts_us && !file->twin) {
		file->latest_ts_us = file->pending_ts_us;
		return true;
	}
	return read_past_repeat(cap, file);
}

/* Places files[index] in active[] by its pending timestamp. Rotated
 * files rarely overlap, so the scan from the back is short. */
static void activate_sorted(struct fst_capture *cap, size_t index)
{
	int64_t ts = cap->files[index].pending_ts_us;
	size_t pos = cap->active_count;

	while (pos > 0 && cap->files[cap->active[pos - 1]].pending_ts_us > ts) {
		cap->active[pos] = cap->active[pos - 1];
		pos--;
	}
	cap->active[pos] = index;
	cap->active_count++;
}

static void build_source_name(struct fst_capture *cap, const char *const *paths, size_t count)
{
	size_t used = 0;

	cap->source_name[0] = '\0';
	for (size_t i = 0; i < count && used < sizeof(cap->source_name); i++) {
		int n = snprintf(cap->source_name + used, sizeof(cap->source_name) - used, "%s%s",
				 i ? " " : "", strcmp(paths[i], "-") ? paths[i] : "stdin");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

struct fst_capture *fst_capture_open_files(const char *const *paths, size_t count, char *errbuf)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct fst_capture *cap;

	if (count == 0) {
		fst_errbuf_set(errbuf, "no capture file given");
		return NULL;
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap)
		goto out_nomem;
	cap->files = calloc(count, sizeof(*cap->files));
	cap->active = calloc(count, sizeof(*cap->active));
	if (!cap->files || !cap->active)
		goto out_free_cap;
	build_source_name(cap, paths, count);

	for (size_t i = 0; i < count; i++) {
		struct capture_file *file = &cap->files[i];
		char link[128];

		pcap_err[0] = '\0';
		file->path = paths[i];
		file->pcap = open_offline(file, read_buffer_size(count), pcap_err);
		cap->file_count = i + 1;
		if (!file->pcap) {
			describe_open_failure(paths[i], pcap_err, errbuf);
			goto out_free_cap;
		}
		file->linktype = pcap_datalink(file->pcap);
		if (!fst_linktype_supported(file->linktype)) {
			describe_link_type(file->linktype, link, sizeof(link));
			fst_errbuf_set(errbuf, "%s: unsupported link type %s", paths[i], link);
			goto out_free_cap;
		}
	}
	for (size_t i = 0; i < count; i++) {
		cap->files[i].latest_ts_us = INT64_MIN;
		if (read_ahead(cap, &cap->files[i])) {
			remember_first(&cap->files[i]);
			activate_sorted(cap, i);
		}
	}
	cap->last_ts_us = INT64_MIN;
	return cap;

out_free_cap:
	fst_capture_free(cap);
	return NULL;
out_nomem:
	fst_errbuf_set(errbuf, "out of memory");
	return NULL;
}

struct fst_capture *fst_capture_open_live(const struct fst_capture_live_cfg *cfg, char *errbuf)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	const char *filter = cfg->filter ? cfg->filter : "tcp";
	struct bpf_program program;
	struct fst_capture *cap;
	char link[128];
	int rc;

	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		fst_errbuf_set(errbuf, "out of memory");
		return NULL;
	}
	snprintf(cap->source_name, sizeof(cap->source_name), "interface %s", cfg->interface);
	cap->last_ts_us = INT64_MIN;
	cap->live = pcap_create(cfg->interface, pcap_err);
	if (!cap->live) {
		fst_errbuf_set(errbuf, "interface %s: %s", cfg->interface, pcap_err);
		goto out_free_cap;
	}
	pcap_set_snaplen(cap->live, cfg->snaplen > 0 ? cfg->snaplen : FST_CAPTURE_DEFAULT_SNAPLEN);
	pcap_set_buffer_size(cap->live, cfg->buffer_size > 0 ? cfg->buffer_size :
							       FST_CAPTURE_DEFAULT_BUFFER_SIZE);
	pcap_set_immediate_mode(cap->live, cfg->immediate ? 1 : 0);
	pcap_set_timeout(cap->live, 100);
	rc = pcap_activate(cap->live);
	if (rc == PCAP_ERROR_PERM_DENIED) {
		fst_errbuf_set(
			errbuf,
			"interface %s: permission denied (capturing needs root or CAP_NET_RAW)",
			cfg->interface);
		goto out_free_cap;
	}
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
		fst_errbuf_set(errbuf, "interface %s: no such interface", cfg->interface);
		goto out_free_cap;
	}
	if (rc < 0) {
		fst_errbuf_set(errbuf, "interface %s: %s", cfg->interface, pcap_geterr(cap->live));
		goto out_free_cap;
	}
	cap->live_linktype = pcap_datalink(cap->live);
	if (!fst_linktype_supported(cap->live_linktype)) {
		describe_link_type(cap->live_linktype, link, sizeof(link));
		fst_errbuf_set(errbuf, "interface %s: unsupported link type %s", cfg->interface,
			       link);
		goto out_free_cap;
	}
	if (pcap_compile(cap->live, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fst_errbuf_set(errbuf, "filter '%s': %s", filter, pcap_geterr(cap->live));
		goto out_free_cap;
	}
	rc = pcap_setfilter(cap->live, &program);
	pcap_freecode(&program);
	if (rc != 0) {
		fst_errbuf_set(errbuf, "filter '%s': %s", filter, pcap_geterr(cap->live));
		goto out_free_cap;
	}
	if (pcap_setnonblock(cap->live, 1, pcap_err) != 0) {
		fst_errbuf_set(errbuf, "interface %s: %s", cfg->interface, pcap_err);
		goto out_free_cap;
	}
	return cap;

out_free_cap:
	fst_capture_free(cap);
	return NULL;
}

void fst_capture_progress(const struct fst_capture *cap, uint64_t *done, uint64_t *total)
{
	bool unknown = false;

	*done = 0;
	*total = 0;
	for (size_t i = 0; i < cap->file_count; i++) {
		const struct capture_file *file = &cap->files[i];
		uint64_t at = 0;

		if (file->gz) {
			at = fst_capture_gz_consumed(file->gz);
		} else if (file->blocks) {
			at = fst_capture_blocks_offset(file->blocks);
		} else if (file->pcap) {
			off_t pos = ftello(pcap_file(file->pcap));

			at = pos > 0 ? (uint64_t)pos : 0;
		}
		if (file->size && at > file->size)
			at = file->size;
		*done += at;
		*total += file->size;
		unknown = unknown || !file->size;
	}
	if (unknown)
		*total = 0;
}

const void *fst_capture_read_buffer(const struct fst_capture *cap, size_t index, size_t *size)
{
	const struct capture_file *file = index < cap->file_count ? &cap->files[index] : NULL;

	if (file && file->blocks)
		return fst_capture_blocks_buffer(file->blocks, size);
	*size = file ? file->read_buffer_size : 0;
	return file ? file->read_buffer : NULL;
}

void fst_capture_link_info(const struct fst_capture *cap, struct fst_capture_link *out)
{
	pcap_t *pcap = cap->live ? cap->live : cap->file_count ? cap->files[0].pcap : NULL;
	const char *name, *description;

	out->linktype = pcap ? pcap_datalink(pcap) : -1;
	out->snaplen = pcap ? pcap_snapshot(pcap) : 0;
	name = pcap_datalink_val_to_name(out->linktype);
	description = pcap_datalink_val_to_description(out->linktype);
	out->name = name ? name : "unknown";
	out->description = description ? description : "unknown";
}

void fst_capture_free(struct fst_capture *cap)
{
	if (!cap)
		return;
	for (size_t i = 0; i < cap->file_count; i++) {
		close_twin(&cap->files[i]);
		if (cap->files[i].pcap)
			pcap_close(cap->files[i].pcap);
		fst_capture_blocks_free(cap->files[i].blocks);
		free(cap->files[i].read_buffer);
	}
	if (cap->saver)
		pcap_dump_close(cap->saver);
	if (cap->live)
		pcap_close(cap->live);
	free(cap->files);
	free(cap->active);
	free(cap);
}

/* Counts a decode result in the statistics. */
static void count_decode(struct fst_capture_stats *stats, enum fst_decode_result r)
{
	switch (r) {
	case FST_DECODE_TCP:
		stats->tcp_packets++;
		break;
	case FST_DECODE_NOT_IP:
		stats->skipped_not_ip++;
		break;
	case FST_DECODE_NOT_TCP:
		stats->skipped_not_tcp++;
		break;
	case FST_DECODE_FRAGMENT:
		stats->ip_fragments++;
		break;
	case FST_DECODE_BAD_LINK:
	case FST_DECODE_BAD_IPV4:
	case FST_DECODE_BAD_IP_LENGTH:
	case FST_DECODE_BAD_IPV6_EXT:
	case FST_DECODE_BAD_TCP:
	case FST_DECODE_BAD_TCP_OPTION:
	case FST_DECODE_SHORT_CAPTURE:
	case FST_DECODE_TUNNEL_TOO_DEEP:
	case FST_DECODE_RESULT_COUNT:
		stats->malformed[r]++;
		break;
	}
}

/* Decodes one frame; returns true when it is a TCP packet. Timestamps
 * that step backwards (merged or clock-stepped captures) are clamped so
 * that time in the layers above never runs backwards. */
static bool accept_frame(struct fst_capture *cap, int linktype, const struct pcap_pkthdr *hdr,
			 const u_char *data, int64_t ts, struct fst_packet *pkt)
{
	enum fst_decode_result r;

	count_frame(cap, hdr, data);
	r = fst_decode_frame(linktype, data, hdr->caplen, hdr->len, pkt);
	count_decode(&cap->stats, r);
	if (r != FST_DECODE_TCP)
		return false;
	if (pkt->tunnel_depth)
		cap->stats.tunnelled_packets++;
	if (ts < cap->last_ts_us) {
		cap->stats.time_went_back++;
		ts = cap->last_ts_us;
	}
	cap->last_ts_us = ts;
	pkt->ts_us = ts;
	return true;
}

static int next_from_files(struct fst_capture *cap, struct fst_packet *pkt)
{
	for (;;) {
		struct capture_file *file;
		size_t index;

		if (cap->consumed) {
			index = (size_t)(cap->consumed - cap->files);
			cap->consumed = NULL;
			if (read_ahead(cap, &cap->files[index]))
				activate_sorted(cap, index);
		}
		if (cap->active_count == 0)
			return -1;
		index = cap->active[0];
		memmove(cap->active, cap->active + 1,
			(cap->active_count - 1) * sizeof(*cap->active));
		cap->active_count--;
		file = &cap->files[index];
		file->records++;
		cap->consumed = file;
		if (accept_frame(cap, file->linktype, file->pending_hdr, file->pending_data,
				 file->pending_ts_us, pkt))
			return 1;
	}
}

/* One file, the common case: no merge to keep in order. */
static int next_from_one_file(struct fst_capture *cap, struct fst_packet *pkt)
{
	struct capture_file *file = &cap->files[0];

	for (;;) {
		if (cap->consumed) {
			cap->consumed = NULL;
			if (!read_ahead(cap, file))
				cap->active_count = 0;
		}
		if (cap->active_count == 0)
			return -1;
		file->records++;
		cap->consumed = file;
		if (accept_frame(cap, file->linktype, file->pending_hdr, file->pending_data,
				 file->pending_ts_us, pkt))
			return 1;
	}
}

static int next_from_live(struct fst_capture *cap, struct fst_packet *pkt)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;

	for (;;) {
		int rc = pcap_next_ex(cap->live, &hdr, &data);

		if (rc == 0)
			return 0;
		if (rc != 1) {
			add_warning(cap, "%s: %s", cap->source_name, pcap_geterr(cap->live));
			return -1;
		}
		if (accept_frame(cap, cap->live_linktype, hdr, data, header_ts_us(hdr), pkt))
			return 1;
	}
}

int fst_capture_next(struct fst_capture *cap, struct fst_packet *pkt)
{
	if (cap->live)
		return next_from_live(cap, pkt);
	return cap->file_count == 1 ? next_from_one_file(cap, pkt) : next_from_files(cap, pkt);
}

int fst_capture_fd(const struct fst_capture *cap)
{
	return cap->live ? pcap_get_selectable_fd(cap->live) : -1;
}

uint64_t fst_capture_file_drops(struct fst_capture *cap, fst_capture_drop_fn fn, void *ctx)
{
	uint64_t dropped = 0;

	for (size_t i = 0; i < cap->file_count; i++) {
		const struct capture_file *file = &cap->files[i];
		size_t buf_size = READ_BUFFER_MAX;
		uint8_t magic[4], *buf;
		struct stat st;
		FILE *f;

		if (file->gz || strcmp(file->path, "-") == 0)
			continue;
		/* A pipe or FIFO was read once, by the packet reader; opening
		 * a FIFO again would wait for a writer that never comes. */
		if (stat(file->path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		f = fopen(file->path, "rb");
		if (!f)
			continue;
		/* The walk reads every block's header: stdio's one page would
		 * cost a read(2) every few packets. */
		buf = fst_capture_page_alloc(&buf_size);
		if (buf)
			setvbuf(f, (char *)buf, _IOFBF, buf_size);
		if (fread(magic, 1, 4, f) == 4 && memcmp(magic, "\x0a\x0d\x0d\x0a", 4) == 0 &&
		    fseek(f, 0, SEEK_SET) == 0)
			dropped += fst_capture_isb_scan(f, fn, ctx);
		fclose(f);
		free(buf);
	}
	cap->stats.kernel_dropped += dropped;
	return dropped;
}

const struct fst_capture_stats *fst_capture_stats(struct fst_capture *cap)
{
	struct pcap_stat ps;

	if (cap->live && pcap_stats(cap->live, &ps) == 0) {
		cap->stats.kernel_received = ps.ps_recv;
		cap->stats.kernel_dropped = ps.ps_drop;
		cap->stats.interface_dropped = ps.ps_ifdrop;
	}
	return &cap->stats;
}

const char *fst_capture_warnings(const struct fst_capture *cap)
{
	return cap->warnings;
}

const char *fst_capture_source_name(const struct fst_capture *cap)
{
	return cap->source_name;
}

int fst_capture_save_to(struct fst_capture *cap, FILE *out, const char *name, char *errbuf)
{
	pcap_t *handle = cap->live ? cap->live : cap->files[0].pcap;

	if (!cap->live)
		for (size_t i = 1; i < cap->file_count; i++)
			if (cap->files[i].linktype != cap->files[0].linktype) {
				fst_errbuf_set(
					errbuf,
					"%s: link types of the inputs differ; cannot save one pcap",
					name);
				fclose(out);
				return FST_ERR_UNSUPPORTED;
			}
	cap->saver = pcap_dump_fopen(handle, out);
	if (!cap->saver) {
		fst_errbuf_set(errbuf, "%s: %s", name, pcap_geterr(handle));
		fclose(out);
		return FST_ERR_IO;
	}
	return FST_OK;
}

int fst_capture_save_end(struct fst_capture *cap, char *errbuf)
{
	bool failed;

	if (!cap || !cap->saver)
		return FST_OK;
	failed = pcap_dump_flush(cap->saver) != 0 || ferror(pcap_dump_file(cap->saver));
	pcap_dump_close(cap->saver);
	cap->saver = NULL;
	if (failed) {
		fst_errbuf_set(errbuf, "writing the saved packets failed");
		return FST_ERR_IO;
	}
	return FST_OK;
}

/* The rewrite of a frame already decoded into pkt (whose payload points
 * into frame): out gets the frame, rewritten and its checksum updated. */
static size_t rewrite_decoded(const uint8_t *frame, uint32_t caplen, const struct fst_packet *pkt,
			      uint8_t *out, fst_capture_rewrite_fn rewrite, void *ctx)
{
	size_t payload_off = (size_t)(pkt->payload - frame), check_off, changed;
	uint16_t check;

	memcpy(out, frame, caplen);
	changed = rewrite(ctx, pkt, out + payload_off);
	if (changed == 0)
		return 0;
	/* The decoder checked that the whole TCP header was captured. */
	check_off = payload_off - pkt->tcp_header_len + 16;
	check = fst_load_be16(frame + check_off);
	if (check == 0)
		return changed;
	/* The payload starts a multiple of 4 bytes into the segment, so its
	 * words are the checksum's words. */
	check = fst_csum_replace(check, pkt->payload, out + payload_off, pkt->payload_caplen);
	out[check_off] = (uint8_t)(check >> 8);
	out[check_off + 1] = (uint8_t)check;
	return changed;
}

size_t fst_capture_rewrite_frame(int linktype, const uint8_t *frame, uint32_t caplen,
				 uint32_t wirelen, uint8_t *out, fst_capture_rewrite_fn rewrite,
				 void *ctx)
{
	struct fst_packet pkt;

	if (fst_decode_frame(linktype, frame, caplen, wirelen, &pkt) != FST_DECODE_TCP) {
		memcpy(out, frame, caplen);
		return 0;
	}
	return rewrite_decoded(frame, caplen, &pkt, out, rewrite, ctx);
}

int fst_capture_extract(const char *const *paths, size_t count, FILE *out, fst_capture_keep_fn keep,
			fst_capture_rewrite_fn rewrite, void *ctx,
			const volatile sig_atomic_t *cancel, uint64_t *written, char *errbuf)
{
	uint8_t *copy = NULL;
	size_t copy_size = 0;
	struct fst_capture *cap;
	pcap_dumper_t *dumper;
	struct fst_packet pkt;
	int linktype;
	int rc = FST_OK;

	*written = 0;
	for (size_t i = 0; i < count; i++)
		if (strcmp(paths[i], "-") == 0) {
			fst_errbuf_set(errbuf, "standard input cannot be read a second time");
			fclose(out);
			return FST_ERR_ARG;
		}
	cap = fst_capture_open_files(paths, count, errbuf);
	if (!cap) {
		fclose(out);
		return FST_ERR_IO;
	}
	linktype = cap->files[0].linktype;
	for (size_t i = 1; i < count; i++)
		if (cap->files[i].linktype != linktype) {
			fst_errbuf_set(errbuf,
				       "%s: link type differs from %s's; cannot write one pcap",
				       paths[i], paths[0]);
			rc = FST_ERR_UNSUPPORTED;
			goto out_free_capture;
		}
	dumper = pcap_dump_fopen(cap->files[0].pcap, out);
	if (!dumper) {
		fst_errbuf_set(errbuf, "%s", pcap_geterr(cap->files[0].pcap));
		rc = FST_ERR_IO;
		goto out_free_capture;
	}
	while (next_from_files(cap, &pkt) == 1) {
		struct capture_file *file = cap->consumed;
		const uint8_t *data = file->pending_data;

		if (cancel && *cancel) {
			fst_errbuf_set(errbuf, "interrupted");
			rc = FST_ERR_CANCELLED;
			break;
		}
		if (!keep(ctx, &pkt))
			continue;
		if (rewrite) {
			uint32_t caplen = file->pending_hdr->caplen;

			if (caplen > copy_size) {
				uint8_t *grown = realloc(copy, caplen);

				if (!grown) {
					fst_errbuf_set(errbuf, "out of memory");
					rc = FST_ERR_NOMEM;
					break;
				}
				copy = grown;
				copy_size = caplen;
			}
			/* pkt was decoded from this very frame: no second decode. */
			rewrite_decoded(data, caplen, &pkt, copy, rewrite, ctx);
			data = copy;
		}
		pcap_dump((u_char *)dumper, file->pending_hdr, data);
		(*written)++;
	}
	if ((pcap_dump_flush(dumper) != 0 || ferror(pcap_dump_file(dumper))) && rc == FST_OK) {
		fst_errbuf_set(errbuf, "writing the extract failed");
		rc = FST_ERR_IO;
	}
	out = NULL; /* pcap_dump_close closes it */
	pcap_dump_close(dumper);
out_free_capture:
	if (out && fclose(out) != 0 && rc == FST_OK)
		rc = FST_ERR_IO;
	fst_capture_free(cap);
	free(copy);
	return rc;
}
