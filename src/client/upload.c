/* Uploads files one after another on one session, like backup volumes.
 * When the control or data connection fails (421, EOF, reset, EPIPE,
 * timeout, a 4xx) it reconnects with exponential backoff and jitter,
 * logs in again, asks SIZE of the partial remote file and resumes with
 * REST + STOR (APPE when REST is refused), so no byte the server already
 * has is sent again and none is duplicated or cut. After each file SIZE
 * must equal the local size, and when FEAT offers HASH or X* checksum
 * commands the checksum is compared too.
 *
 * Verification knobs reproduce a diagnosis: --idle-before waits on the
 * idle control connection before each file (as duplicity does while it
 * builds a volume), --pause-at/--pause stall inside a data transfer,
 * --limit-rate slows it, --keepalive sends NOOP while idle. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_SIZE	  (64 * 1024)
#define PROGRESS_EVERY_US (FST_US_PER_SEC / 10)
/* A server hashing a large file needs time: allow this many bytes per
 * second of hashing on top of the reply timeout. */
#define SERVER_HASH_BYTES_PER_S (50u * 1024 * 1024)
/* QUIT at the end is a courtesy; do not wait long for its reply. */
#define QUIT_WAIT_US (2 * FST_US_PER_SEC)

struct fst_client_upload {
	const struct fst_client_upload_cfg *cfg; /* borrowed */
	struct client_conn conn;
	struct fst_client_upload_result res;
	int64_t start_mono_us;
	uint64_t rng;
	uint8_t *buf;	/* BUF_SIZE: file bytes on their way out */
	size_t open_ev; /* the reconnect record awaiting its resume, or SIZE_MAX */
	int64_t last_progress_cb_us;
	char errbuf[FST_ERRBUF_SIZE];
};

/* One file's upload across attempts. */
struct file_job {
	size_t index;
	struct fst_client_file_result *fr;
	int fd;
	uint64_t size;
	bool resume;	 /* the next attempt asks SIZE first */
	bool pause_done; /* --pause happens once per file */
	uint64_t sent_offset;
	unsigned failures;  /* in a row, without the remote file growing */
	uint64_t last_from; /* remote size at the last resume */
	enum fst_client_phase phase;
	enum fst_client_digest local_alg; /* local_hex is for this digest */
	char local_hex[FST_DIGEST_HEX_MAX + 1];
};

static const char *const status_names[] = {
	[FST_FILE_PENDING] = "not attempted",
	[FST_FILE_VERIFIED] = "verified",
	[FST_FILE_FAILED] = "failed",
};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == FST_FILE_STATUS_COUNT,
	       "status names");

static const char *const resume_names[] = {
	[FST_RESUME_NONE] = "none",
	[FST_RESUME_STOR] = "STOR",
	[FST_RESUME_REST_STOR] = "REST+STOR",
	[FST_RESUME_APPE] = "APPE",
};
_Static_assert(sizeof(resume_names) / sizeof(resume_names[0]) == FST_RESUME_COUNT, "resume names");

static const char *const phase_names[] = {
	[FST_PHASE_CONNECT] = "connect",   [FST_PHASE_IDLE] = "idle",
	[FST_PHASE_SETUP] = "setup",	   [FST_PHASE_DATA] = "data",
	[FST_PHASE_FINAL] = "final-reply", [FST_PHASE_VERIFY] = "verify",
};
_Static_assert(sizeof(phase_names) / sizeof(phase_names[0]) == FST_PHASE_COUNT, "phase names");

const char *fst_client_file_status_name(enum fst_client_file_status s)
{
	return s < FST_FILE_STATUS_COUNT ? status_names[s] : "?";
}

const char *fst_client_resume_name(enum fst_client_resume r)
{
	return r < FST_RESUME_COUNT ? resume_names[r] : "?";
}

const char *fst_client_phase_name(enum fst_client_phase p)
{
	return p < FST_PHASE_COUNT ? phase_names[p] : "?";
}

/* xorshift64*: jitter only, no secrecy needed. */
static uint64_t next_random(struct fst_client_upload *u)
{
	u->rng ^= u->rng >> 12;
	u->rng ^= u->rng << 25;
	u->rng ^= u->rng >> 27;
	return u->rng * UINT64_C(2685821657736338717);
}

struct fst_client_upload *fst_client_upload_new(const struct fst_client_upload_cfg *cfg,
						char *errbuf)
{
	struct fst_client_upload *u;

	if (!cfg->conn.host || !cfg->conn.host[0] || cfg->file_count == 0 ||
	    cfg->file_count > FST_CLIENT_FILES_MAX || cfg->conn.timeout_us <= 0 ||
	    cfg->conn.connect_timeout_us <= 0 || cfg->retry_delay_us < 0 ||
	    cfg->retry_max_delay_us < cfg->retry_delay_us) {
		fst_errbuf_set(errbuf, "invalid upload settings");
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		goto out_nomem;
	u->cfg = cfg;
	client_conn_init(&u->conn, &cfg->conn);
	u->open_ev = SIZE_MAX;
	u->buf = malloc(BUF_SIZE);
	u->res.files = calloc(cfg->file_count, sizeof(*u->res.files));
	u->res.reconnects = calloc(FST_CLIENT_RECONNECTS_MAX, sizeof(*u->res.reconnects));
	if (!u->buf || !u->res.files || !u->res.reconnects)
		goto out_free;
	u->res.file_count = cfg->file_count;
	for (size_t i = 0; i < cfg->file_count; i++)
		u->res.files[i].path = cfg->files[i];
	snprintf(u->res.user, sizeof(u->res.user), "%s",
		 cfg->conn.user ? cfg->conn.user : "anonymous");
	if (getrandom(&u->rng, sizeof(u->rng), GRND_NONBLOCK) != sizeof(u->rng))
		u->rng = (uint64_t)client_mono_us() ^ ((uint64_t)getpid() << 32);
	u->rng |= 1;
	return u;

out_free:
	fst_client_upload_free(u);
out_nomem:
	fst_errbuf_set(errbuf, "out of memory");
	return NULL;
}

void fst_client_upload_free(struct fst_client_upload *u)
{
	if (!u)
		return;
	client_conn_release(&u->conn);
	free(u->buf);
	free(u->res.files);
	free(u->res.reconnects);
	free(u);
}

const struct fst_client_upload_result *fst_client_upload_result(const struct fst_client_upload *u)
{
	return &u->res;
}

/* ---- failures and reconnects ---- */

/* Keeps the failure that ends this connection as a reconnect record;
 * the resume is filled in when (if) it happens. */
static void record_failure(struct fst_client_upload *u, struct file_job *job,
			   enum fst_client_phase phase)
{
	struct client_conn *c = &u->conn;
	struct fst_client_reconnect *ev;

	job->fr->reconnects++;
	client_log(&u->cfg->conn, "connection lost while %s (%s at offset %" PRIu64 "): %s",
		   fst_client_phase_name(phase), job->fr->remote_name, job->sent_offset,
		   c->fail_text);
	if (u->res.reconnect_count == FST_CLIENT_RECONNECTS_MAX) {
		u->res.reconnects_dropped++;
		u->open_ev = SIZE_MAX;
		return;
	}
	u->open_ev = u->res.reconnect_count++;
	ev = &u->res.reconnects[u->open_ev];
	memset(ev, 0, sizeof(*ev));
	ev->at_us = client_real_us();
	ev->elapsed_us = client_mono_us() - u->start_mono_us;
	ev->file_index = job->index;
	ev->phase = phase;
	ev->reply_code = c->fail == CF_REPLY ? c->fail_code : 0;
	snprintf(ev->reason, sizeof(ev->reason), "%s", c->fail_text);
	ev->sent_offset = job->sent_offset;
}

static struct fst_client_reconnect *open_record(struct fst_client_upload *u)
{
	return u->open_ev == SIZE_MAX ? NULL : &u->res.reconnects[u->open_ev];
}

/* Backoff before the n-th reconnect in a row (n >= 1): the delay
 * doubles up to the cap, and half of it is random ("equal jitter") so
 * many clients cut by one outage do not return in step. */
static int64_t backoff_us(struct fst_client_upload *u, unsigned n)
{
	int64_t d = u->cfg->retry_delay_us;

	for (unsigned i = 1; i < n && d < u->cfg->retry_max_delay_us; i++)
		d *= 2;
	if (d > u->cfg->retry_max_delay_us)
		d = u->cfg->retry_max_delay_us;
	if (d <= 1)
		return d;
	return d / 2 + (int64_t)(next_random(u) % (uint64_t)(d / 2 + 1));
}

static int connect_session(struct fst_client_upload *u)
{
	int rc = client_connect(&u->conn, u->errbuf);

	if (rc == FST_OK)
		rc = client_login(&u->conn, u->errbuf);
	if (rc != FST_OK)
		return rc;
	u->res.logins++;
	snprintf(u->res.greeting, sizeof(u->res.greeting), "%s", u->conn.greeting);
	snprintf(u->res.tls_version, sizeof(u->res.tls_version), "%s", u->conn.tls_version);
	return FST_OK;
}

/* ---- keepalive and idle ---- */

/* Sends a NOOP if the control connection has been quiet for the
 * keepalive interval. Returns FST_OK, or the failure (c->fail says
 * which) for the caller to record. */
static int keepalive_tick(struct fst_client_upload *u)
{
	struct client_conn *c = &u->conn;
	struct client_reply r;
	int rc;

	if (u->cfg->keepalive_us <= 0 || !client_conn_open(c) ||
	    client_mono_us() - c->last_tx_us < u->cfg->keepalive_us)
		return FST_OK;
	u->res.noops++;
	rc = client_cmd(c, &r, u->errbuf, "NOOP");
	if (rc == FST_OK && r.code / 100 != 2)
		rc = client_fail_reply(c, &r, u->errbuf, "NOOP");
	return rc;
}

/* Idles on the control connection for duration_us, as a client busy
 * building its next volume would, answering nothing but keepalives. A
 * 421 or close from the server is recorded; the reconnect comes when the
 * file starts. Returns FST_ERR_IO only when cancelled. */
static int idle_wait(struct fst_client_upload *u, struct file_job *job, int64_t duration_us)
{
	struct client_conn *c = &u->conn;
	int64_t start = client_mono_us(), end = start + duration_us, next_report = start;

	client_log(&u->cfg->conn, "idle for %.3f s before %s", (double)duration_us / 1e6,
		   job->fr->remote_name);
	while (client_mono_us() < end) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct client_reply r;
		int64_t wake = end, now = client_mono_us();
		int rc;

		if (u->cfg->on_idle) {
			if (now >= next_report) {
				u->cfg->on_idle(u->cfg->progress_ctx, job->index, now - start,
						duration_us);
				next_report = now + FST_US_PER_SEC;
			}
			if (next_report < wake)
				wake = next_report;
		}
		if (!client_conn_open(c)) {
			rc = client_sleep_until(c, wake, u->errbuf);
			if (rc != FST_OK)
				return rc;
			continue;
		}
		if (u->cfg->keepalive_us > 0 && c->last_tx_us + u->cfg->keepalive_us < wake)
			wake = c->last_tx_us + u->cfg->keepalive_us;
		rc = client_poll(c, &pfd, 1, wake, u->errbuf);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			/* Unasked: the server is closing the session (421). */
			rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL,
					  u->errbuf);
			if (rc == FST_OK)
				rc = client_fail_reply(c, &r, u->errbuf, "while idle");
		} else {
			rc = keepalive_tick(u);
		}
		if (rc == FST_OK)
			continue;
		if (c->fail == CF_CANCELLED)
			return rc;
		record_failure(u, job, FST_PHASE_IDLE);
		client_conn_close(c);
	}
	return FST_OK;
}

/* ---- local file ---- */

static int open_local(struct fst_client_upload *u, struct file_job *job)
{
	const char *path = job->fr->path;
	const char *base = strrchr(path, '/');
	struct stat st;

	base = base ? base + 1 : path;
	if (!base[0] || strpbrk(base, "\r\n")) {
		fst_errbuf_set(u->errbuf, "%s: not a usable remote file name", path);
		return FST_ERR_ARG;
	}
	snprintf(job->fr->remote_name, sizeof(job->fr->remote_name), "%s", base);
	job->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (job->fd < 0) {
		fst_errbuf_set(u->errbuf, "%s: %s", path, strerror(errno));
		return FST_ERR_IO;
	}
	if (fstat(job->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fst_errbuf_set(u->errbuf, "%s: not a regular file", path);
		close(job->fd);
		job->fd = -1;
		return FST_ERR_ARG;
	}
	job->size = (uint64_t)st.st_size;
	job->fr->size = job->size;
	return FST_OK;
}

/* Hashes the local file, once per digest: a resumed verify reuses it. */
static int local_digest(struct fst_client_upload *u, struct file_job *job,
			enum fst_client_digest alg)
{
	struct client_digest d;
	uint64_t off = 0;

	if (job->local_alg == alg)
		return FST_OK;
	client_digest_init(&d, alg);
	while (off < job->size) {
		ssize_t n = pread(job->fd, u->buf, BUF_SIZE, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return client_fail_text(&u->conn, CF_LOCAL, u->errbuf, "reading %s: %s",
						job->fr->path,
						n < 0 ? strerror(errno) : "the file shrank");
		client_digest_update(&d, u->buf, (size_t)n);
		off += (uint64_t)n;
	}
	client_digest_final(&d, job->local_hex, sizeof(job->local_hex));
	job->local_alg = alg;
	return FST_OK;
}

/* ---- remote size and checksum ---- */

/* A SIZE reply's number: digits, then nothing but spaces. */
FST_TESTABLE bool parse_u64(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && digit > UINT64_MAX % 10))
			return false;
		v = v * 10 + digit;
	}
	while (*p == ' ')
		p++;
	if (*p)
		return false;
	*out = v;
	return true;
}

/* SIZE of the remote file (RFC 3659 4). A 550 means no file (0 bytes)
 * when missing_ok; anything else unexpected is an error. */
static int remote_size(struct fst_client_upload *u, struct file_job *job, uint64_t *out,
		       bool missing_ok)
{
	struct client_conn *c = &u->conn;
	struct client_reply r;
	int rc = client_cmd(c, &r, u->errbuf, "SIZE %s", job->fr->remote_name);

	if (rc != FST_OK)
		return rc;
	if (r.code == 213) {
		if (!parse_u64(r.text, out))
			return client_fail_text(c, CF_PROTOCOL, u->errbuf,
						"an unreadable SIZE reply: %s", r.text);
		return FST_OK;
	}
	if (r.code == 550 && missing_ok) {
		*out = 0;
		return FST_OK;
	}
	if (r.code / 100 == 5) {
		client_fail_reply(c, &r, u->errbuf, "SIZE");
		c->fail = CF_VERIFY;
		return FST_ERR_IO;
	}
	return client_fail_reply(c, &r, u->errbuf, "SIZE");
}

static const enum fst_client_digest digest_preference[] = {
	FST_DIGEST_SHA256,
	FST_DIGEST_SHA1,
	FST_DIGEST_MD5,
	FST_DIGEST_CRC32,
};

/* The first token of the reply text that is hex of the digest's length. */
FST_TESTABLE bool find_hex(const char *text, size_t hex_len, char *out, size_t size)
{
	const char *p = text;

	while (*p) {
		size_t n = 0;

		while (*p == ' ')
			p++;
		while (p[n] && p[n] != ' ')
			n++;
		if (n == hex_len && n < size) {
			bool hex = true;

			for (size_t i = 0; i < n; i++)
				if (!((p[i] >= '0' && p[i] <= '9') ||
				      (p[i] >= 'a' && p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F')))
					hex = false;
			if (hex) {
				memcpy(out, p, n);
				out[n] = '\0';
				return true;
			}
		}
		p += n;
	}
	return false;
}

/* Asks the server for the file's checksum with the best digest it
 * offers that we implement, and compares it with the local one. No
 * digest offered, or the command refused: size only (fr->digest NONE). */
static int verify_digest(struct fst_client_upload *u, struct file_job *job)
{
	struct client_conn *c = &u->conn;
	enum fst_client_digest alg = FST_DIGEST_NONE;
	char remote_hex[FST_DIGEST_HEX_MAX + 1];
	struct client_reply r;
	bool use_hash = false;
	int64_t deadline;
	int rc;

	for (size_t i = 0; i < sizeof(digest_preference) / sizeof(digest_preference[0]); i++) {
		enum fst_client_digest d = digest_preference[i];

		if (c->feat.hash && c->feat.hash_algo[d]) {
			alg = d;
			use_hash = true;
			break;
		}
		if (alg == FST_DIGEST_NONE && c->feat.x_digest[d])
			alg = d;
	}
	if (alg == FST_DIGEST_NONE)
		return FST_OK;
	rc = local_digest(u, job, alg);
	if (rc != FST_OK || !client_conn_open(c))
		return rc != FST_OK ? rc : FST_ERR_IO;
	if (use_hash && c->feat.hash_current != alg) {
		rc = client_cmd(c, &r, u->errbuf, "OPTS HASH %s", fst_client_digest_name(alg));
		if (rc != FST_OK)
			return rc;
		if (r.code / 100 != 2) {
			client_log(c->cfg, "OPTS HASH refused: size checked only");
			return FST_OK;
		}
		c->feat.hash_current = alg;
	}
	if (use_hash)
		rc = client_send(c, u->errbuf, "HASH %s", job->fr->remote_name);
	else
		rc = client_send(c, u->errbuf, "%s %s",
				 alg == FST_DIGEST_SHA256 ? "XSHA256" :
				 alg == FST_DIGEST_SHA1	  ? "XSHA1" :
				 alg == FST_DIGEST_MD5	  ? "XMD5" :
							    "XCRC",
				 job->fr->remote_name);
	if (rc != FST_OK)
		return rc;
	deadline = client_mono_us() + c->cfg->timeout_us +
		   (int64_t)(job->size / SERVER_HASH_BYTES_PER_S) * FST_US_PER_SEC;
	rc = client_reply(c, deadline, &r, NULL, NULL, u->errbuf);
	if (rc != FST_OK)
		return rc;
	if (r.code / 100 == 4)
		return client_fail_reply(c, &r, u->errbuf, "checksum");
	if (r.code / 100 != 2) {
		client_log(c->cfg, "checksum command refused (%d): size checked only", r.code);
		return FST_OK;
	}
	if (!find_hex(r.text, client_digest_hex_len(alg), remote_hex, sizeof(remote_hex)))
		return client_fail_text(c, CF_VERIFY, u->errbuf, "an unreadable %s reply: %s",
					fst_client_digest_name(alg), r.text);
	job->fr->digest = alg;
	snprintf(job->fr->digest_hex, sizeof(job->fr->digest_hex), "%s", job->local_hex);
	if (strcasecmp(remote_hex, job->local_hex) != 0)
		return client_fail_text(c, CF_VERIFY, u->errbuf, "%s mismatch: local %s, server %s",
					fst_client_digest_name(alg), job->local_hex, remote_hex);
	return FST_OK;
}

static int verify(struct fst_client_upload *u, struct file_job *job)
{
	struct client_conn *c = &u->conn;
	uint64_t remote;
	int rc = remote_size(u, job, &remote, false);

	if (rc != FST_OK)
		return rc;
	job->fr->remote_size = remote;
	/* The server took the transfer as complete, yet bytes are missing:
	 * the data connection was cut in the network (a FIN the client
	 * never sent). Resume. */
	if (remote < job->size)
		return client_fail_text(c, CF_SHORT, u->errbuf,
					"the server has %" PRIu64 " of %" PRIu64
					" bytes after the transfer",
					remote, job->size);
	if (remote > job->size)
		return client_fail_text(c, CF_VERIFY, u->errbuf,
					"the remote file has %" PRIu64
					" bytes, the local one %" PRIu64,
					remote, job->size);
	return verify_digest(u, job);
}

/* ---- the data transfer ---- */

static void progress(struct fst_client_upload *u, struct file_job *job, uint64_t off, bool force)
{
	int64_t now;

	if (!u->cfg->on_progress)
		return;
	now = client_mono_us();
	if (!force && now - u->last_progress_cb_us < PROGRESS_EVERY_US)
		return;
	u->last_progress_cb_us = now;
	u->cfg->on_progress(u->cfg->progress_ctx, job->index, off, job->size);
}

/* Something arrived on the control connection while data flows: a reply
 * now (421, 426, 451, an early 226) or a close is a failed transfer. */
static int control_during_transfer(struct fst_client_upload *u)
{
	struct client_conn *c = &u->conn;
	struct client_reply r;
	int rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL, u->errbuf);

	if (rc != FST_OK)
		return rc;
	if (r.code / 100 == 2) {
		client_fail_reply(c, &r, u->errbuf, "the server ended the transfer early");
		c->fail = CF_SHORT;
		return FST_ERR_IO;
	}
	return client_fail_reply(c, &r, u->errbuf, "during the transfer");
}

/* Waits until deadline_us while the data connection stays quiet (a
 * --pause, or --limit-rate holding back), watching both connections so
 * the server's 421 or close is seen — and timed — when it happens. */
static int hold_data(struct fst_client_upload *u, struct client_data *d, int64_t deadline_us)
{
	struct client_conn *c = &u->conn;

	short want = POLLIN;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = d->fd, .events = want | POLLRDHUP },
					 { .fd = c->fd, .events = POLLIN } };
		char byte;
		ssize_t n;
		int rc = client_poll(c, pfd, 2, deadline_us, u->errbuf);

		if (rc <= 0)
			return rc;
		if (pfd[1].revents)
			return control_during_transfer(u);
		/* The server never sends file bytes on a STOR data connection:
		 * readable means it closed or reset it (or, over TLS, sent a
		 * session ticket, which the read takes in). */
		n = client_io_recv(d->fd, d->ssl, &byte, 1, &want);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return client_fail_errno(c, errno == ECONNRESET ? CF_RESET : CF_SOCKET,
						 errno, u->errbuf, "data connection");
		return client_fail_text(c, n == 0 ? CF_CLOSED : CF_PROTOCOL, u->errbuf,
					n == 0 ? "the server closed the data connection" :
						 "the server sent data on an upload connection");
	}
}

static int send_data(struct fst_client_upload *u, struct file_job *job, struct client_data *d,
		     uint64_t from)
{
	const struct fst_client_upload_cfg *cfg = u->cfg;
	struct client_conn *c = &u->conn;
	uint64_t off = from, rate_off0 = from;
	size_t bpos = 0, blen = 0;
	int64_t last_progress = client_mono_us(), rate_t0 = last_progress;
	short wait_for = POLLOUT; /* what TLS needs before the next write */
	int rc;

	while (off < job->size) {
		struct pollfd pfd[2];
		size_t chunk;
		ssize_t n;

		if (cfg->pause_enabled && !job->pause_done && off >= cfg->pause_at) {
			job->pause_done = true;
			client_log(&cfg->conn, "pausing %.3f s at offset %" PRIu64,
				   (double)cfg->pause_us / 1e6, off);
			rc = hold_data(u, d, client_mono_us() + cfg->pause_us);
			if (rc != FST_OK)
				return rc;
			last_progress = rate_t0 = client_mono_us();
			rate_off0 = off;
		}
		if (bpos == blen) {
			size_t want = BUF_SIZE;

			if (job->size - off < want)
				want = (size_t)(job->size - off);
			if (cfg->pause_enabled && !job->pause_done && cfg->pause_at > off &&
			    cfg->pause_at - off < want)
				want = (size_t)(cfg->pause_at - off);
			n = pread(job->fd, u->buf, want, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return client_fail_text(c, CF_LOCAL, u->errbuf, "reading %s: %s",
							job->fr->path,
							n < 0 ? strerror(errno) :
								"the file shrank while uploading");
			bpos = 0;
			blen = (size_t)n;
		}
		chunk = blen - bpos;
		if (cfg->limit_rate > 0) {
			int64_t now = client_mono_us();
			double allowed = (double)(now - rate_t0) * (double)cfg->limit_rate / 1e6 -
					 (double)(off - rate_off0);

			uint64_t slice = cfg->limit_rate / 20 ? cfg->limit_rate / 20 : 1;
			size_t need = chunk < slice ? chunk : (size_t)slice;

			/* Whole slices (1/20 s worth), not the few bytes each
			 * microsecond allows: over TLS every write is a record
			 * of its own, and a record of 2 bytes costs the server
			 * as much as one of 16 KiB. */
			if (allowed < (double)need) {
				int64_t at = rate_t0 + (int64_t)((double)(off - rate_off0 + need) *
								 1e6 / (double)cfg->limit_rate);

				rc = hold_data(u, d, at);
				if (rc != FST_OK)
					return rc;
				/* Held back on purpose: not a stall. */
				last_progress = client_mono_us();
				continue;
			}
			if ((double)chunk > allowed)
				chunk = (size_t)allowed;
		}
		pfd[0] = (struct pollfd){ .fd = d->fd, .events = wait_for };
		pfd[1] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		rc = client_poll(c, pfd, 2, last_progress + cfg->conn.timeout_us, u->errbuf);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return client_fail_errno(c, CF_TIMEOUT, ETIMEDOUT, u->errbuf,
						 "sending data");
		if (pfd[1].revents)
			return control_during_transfer(u);
		if (!pfd[0].revents)
			continue;
		n = client_io_send(d->fd, d->ssl, u->buf + bpos, chunk, &wait_for);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			return client_fail_errno(
				c, errno == EPIPE || errno == ECONNRESET ? CF_RESET : CF_SOCKET,
				errno, u->errbuf, "data connection");
		}
		bpos += (size_t)n;
		off += (uint64_t)n;
		job->sent_offset = off;
		job->fr->bytes_sent += (uint64_t)n;
		last_progress = client_mono_us();
		progress(u, job, off, false);
	}
	progress(u, job, off, true);
	return FST_OK;
}

/* How an attempt goes on when the server already has remote of the
 * file's local bytes: nothing left to send, STOR from 0, REST + STOR, or
 * APPE when REST was refused. False when the remote file is larger: it
 * is never truncated. */
FST_TESTABLE bool resume_method(uint64_t remote, uint64_t local, bool rest_refused,
				enum fst_client_resume *method)
{
	if (remote > local)
		return false;
	if (remote == local)
		*method = FST_RESUME_NONE;
	else if (remote > 0)
		*method = rest_refused ? FST_RESUME_APPE : FST_RESUME_REST_STOR;
	else
		*method = FST_RESUME_STOR;
	return true;
}

/* Where to start: SIZE of the partial file, then REST or APPE. The
 * remote file is never truncated: larger than the local one is an
 * error. */
static int plan_resume(struct fst_client_upload *u, struct file_job *job, uint64_t *from,
		       enum fst_client_resume *method)
{
	struct client_conn *c = &u->conn;
	int rc;

	*from = 0;
	*method = FST_RESUME_STOR;
	if (!job->resume)
		return FST_OK;
	rc = remote_size(u, job, from, true);
	if (rc != FST_OK)
		return rc;
	if (!resume_method(*from, job->size, c->rest_refused, method))
		return client_fail_text(c, CF_VERIFY, u->errbuf,
					"the remote file has %" PRIu64
					" bytes, more than the local %" PRIu64
					"; not truncating it",
					*from, job->size);
	/* The server got further: the retry budget starts again, so a long
	 * file on a flaky path still finishes, while no progress at all
	 * still ends after --retries. */
	if (*from > job->last_from)
		job->failures = 0;
	job->last_from = *from;
	return FST_OK;
}

/* One attempt at the file on the live session. FST_OK = verified. */
static int attempt(struct fst_client_upload *u, struct file_job *job)
{
	struct client_conn *c = &u->conn;
	struct client_data d = { .fd = -1, .listen_fd = -1 };
	struct fst_client_reconnect *ev;
	enum fst_client_resume method;
	struct client_reply r;
	uint64_t from;
	int rc;

	job->phase = FST_PHASE_SETUP;
	job->fr->attempts++;
	rc = plan_resume(u, job, &from, &method);
	if (rc != FST_OK)
		goto out;
	if (method == FST_RESUME_NONE)
		goto resumed;
	rc = client_data_open(c, &d, u->errbuf);
	if (rc != FST_OK)
		goto out;
	/* REST goes right before STOR (RFC 959 4.1.3), after EPSV. */
	if (method == FST_RESUME_REST_STOR) {
		rc = client_cmd(c, &r, u->errbuf, "REST %" PRIu64, from);
		if (rc != FST_OK)
			goto out_data;
		if (r.code / 100 == 5) {
			c->rest_refused = true;
			method = FST_RESUME_APPE;
			client_log(c->cfg, "REST refused: appending with APPE");
		} else if (r.code != 350) {
			rc = client_fail_reply(c, &r, u->errbuf, "REST");
			goto out_data;
		}
	}
resumed:
	ev = open_record(u);
	if (ev && ev->file_index == job->index) {
		ev->resumed = true;
		ev->resumed_from = from;
		ev->method = method;
	}
	u->open_ev = SIZE_MAX;
	job->sent_offset = from;
	if (method == FST_RESUME_NONE) {
		client_log(c->cfg, "the server already has all %" PRIu64 " bytes", from);
		goto verify;
	}
	client_log(c->cfg, "sending %s from offset %" PRIu64 " (%s)", job->fr->remote_name, from,
		   fst_client_resume_name(method));
	rc = client_send(c, u->errbuf, "%s %s", method == FST_RESUME_APPE ? "APPE" : "STOR",
			 job->fr->remote_name);
	if (rc == FST_OK)
		rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL,
				  u->errbuf);
	if (rc != FST_OK)
		goto out_data;
	if (r.code / 100 != 1) {
		char what[96];

		/* A server may let a user create files but not write into one
		 * that exists (vsftpd's anonymous users without
		 * anon_other_write_enable): say that it was a resume. */
		client_textf(what, sizeof(what), "%s refused%s",
			     method == FST_RESUME_APPE ? "APPE" : "STOR",
			     from ? " (resuming the partial remote file)" : "");
		rc = client_fail_reply(c, &r, u->errbuf, what);
		goto out_data;
	}
	rc = client_data_accept(c, &d, u->errbuf);
	if (rc != FST_OK)
		goto out_data;
	client_conn_set_transfer(c, true);
	job->phase = FST_PHASE_DATA;
	progress(u, job, from, true);
	rc = send_data(u, job, &d, from);
	if (rc != FST_OK)
		goto out_data;
	/* Closing sends our FIN: the end of the file (RFC 959 3.3). */
	client_data_close(&d);
	job->phase = FST_PHASE_FINAL;
	rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL, u->errbuf);
	if (rc != FST_OK)
		goto out;
	client_conn_set_transfer(c, false);
	if (r.code / 100 != 2) {
		rc = client_fail_reply(c, &r, u->errbuf, "transfer");
		goto out;
	}
verify:
	job->phase = FST_PHASE_VERIFY;
	rc = verify(u, job);
	goto out;

out_data:
	client_data_close(&d);
out:
	if (client_conn_open(c))
		client_conn_set_transfer(c, false);
	return rc;
}

static void fail_file(struct file_job *job, const char *detail)
{
	job->fr->status = FST_FILE_FAILED;
	snprintf(job->fr->error, sizeof(job->fr->error), "%s", detail);
}

/* The run cannot go on: the file fails too if it had been started. */
static void fail_run(struct fst_client_upload *u, struct file_job *job, const char *detail)
{
	if (job->fr->attempts > 0)
		fail_file(job, detail);
	u->res.fatal = true;
	snprintf(u->res.error, sizeof(u->res.error), "%s", detail);
}

/* "retry" or "retries": the summary and messages say "1 retry". */
FST_TESTABLE const char *retries_word(unsigned n)
{
	return n == 1 ? "retry" : "retries";
}

/* A connection attempt failed before a login: counted apart from the
 * reconnects (a reconnect is a session lost, not an attempt refused). */
static void record_connect_failure(struct fst_client_upload *u)
{
	u->res.connect_failures++;
	client_log(&u->cfg->conn, "connection attempt failed: %s", u->errbuf);
}

/* A failure that says the settings are wrong ends the run at once: an
 * unknown host, a refused login, a missing directory. A refused
 * connection is retried, even the first: a server that is restarting
 * refuses connections for a few seconds. */
static bool connect_fatal(const struct client_conn *c)
{
	if (c->fail == CF_CANCELLED || !client_fail_transient(c))
		return true;
	return c->fail == CF_SOCKET && c->fail_errno != ECONNREFUSED;
}

/* Connects and logs in, retrying transient failures with backoff, as
 * many times as --retries allows. The open reconnect record gets the
 * time from the loss to this login and the backoff slept on the way.
 * Returns FST_OK, or FST_ERR_IO after fail_run. */
static int ensure_session(struct fst_client_upload *u, struct file_job *job)
{
	const struct fst_client_upload_cfg *cfg = u->cfg;
	struct client_conn *c = &u->conn;
	int64_t slept = 0;

	while (!client_conn_open(c)) {
		struct fst_client_reconnect *ev;
		/* No failure of this file yet (the session closed while idle,
		 * or with an earlier file): reconnect at once. */
		int64_t delay = job->failures ? backoff_us(u, job->failures) : 0;
		char msg[FST_ERRBUF_SIZE];

		if (delay > 0) {
			client_log(&cfg->conn, "%s in %.3f s",
				   u->res.logins ? "reconnecting" : "connecting again",
				   (double)delay / 1e6);
			if (client_sleep_until(c, client_mono_us() + delay, u->errbuf) != FST_OK) {
				fail_run(u, job, "interrupted");
				return FST_ERR_IO;
			}
			slept += delay;
		}
		if (connect_session(u) == FST_OK) {
			ev = open_record(u);
			if (ev) {
				ev->delay_us = client_mono_us() - u->start_mono_us - ev->elapsed_us;
				ev->backoff_us = slept;
			}
			return FST_OK;
		}
		if (connect_fatal(c)) {
			fail_run(u, job, c->fail == CF_CANCELLED ? "interrupted" : u->errbuf);
			return FST_ERR_IO;
		}
		record_connect_failure(u);
		if (++job->failures > cfg->retries) {
			client_textf(msg, sizeof(msg), "gave up after %u %s: %s", cfg->retries,
				     retries_word(cfg->retries), u->errbuf);
			fail_run(u, job, msg);
			return FST_ERR_IO;
		}
	}
	return FST_OK;
}

static void upload_file(struct fst_client_upload *u, size_t index)
{
	const struct fst_client_upload_cfg *cfg = u->cfg;
	struct client_conn *c = &u->conn;
	struct file_job job = { .index = index,
				.fr = &u->res.files[index],
				.fd = -1,
				.resume = cfg->resume_existing,
				.local_alg = FST_DIGEST_NONE };
	int64_t t0 = client_mono_us();

	u->last_progress_cb_us = 0;
	u->open_ev = SIZE_MAX;
	if (open_local(u, &job) != FST_OK) {
		fail_file(&job, u->errbuf);
		return;
	}
	/* The first file connects before idling, so --idle-before idles a
	 * live session from the start. */
	if (u->res.logins == 0 && ensure_session(u, &job) != FST_OK)
		goto out;
	if (cfg->idle_before_us > 0 && idle_wait(u, &job, cfg->idle_before_us) != FST_OK) {
		fail_run(u, &job, "interrupted");
		goto out;
	}
	for (;;) {
		char msg[FST_ERRBUF_SIZE];

		if (ensure_session(u, &job) != FST_OK)
			break;
		if (attempt(u, &job) == FST_OK) {
			job.fr->status = FST_FILE_VERIFIED;
			break;
		}
		if (c->fail == CF_CANCELLED) {
			fail_run(u, &job, "interrupted");
			break;
		}
		if (!client_fail_transient(c)) {
			fail_file(&job, u->errbuf);
			/* After a protocol error the session's state is unknown. */
			if (c->fail == CF_PROTOCOL || c->fail == CF_LOCAL)
				client_conn_close(c);
			break;
		}
		record_failure(u, &job, job.phase);
		client_conn_close(c);
		job.resume = true;
		if (++job.failures > cfg->retries) {
			client_textf(msg, sizeof(msg), "gave up after %u %s: %s", cfg->retries,
				     retries_word(cfg->retries), u->errbuf);
			fail_file(&job, msg);
			break;
		}
	}
out:
	job.fr->duration_us = client_mono_us() - t0;
	if (job.fd >= 0)
		close(job.fd);
}

int fst_client_upload_run(struct fst_client_upload *u)
{
	struct client_conn *c = &u->conn;

	u->start_mono_us = client_mono_us();
	u->res.started_at_us = client_real_us();
	for (size_t i = 0; i < u->cfg->file_count && !u->res.fatal; i++)
		upload_file(u, i);
	client_quit(c, QUIT_WAIT_US);
	u->res.duration_us = client_mono_us() - u->start_mono_us;
	snprintf(u->res.data_mode, sizeof(u->res.data_mode), "%s", c->data_cmd);
	for (size_t i = 0; i < u->res.file_count; i++) {
		if (u->res.files[i].status == FST_FILE_VERIFIED)
			u->res.verified++;
		else if (u->res.files[i].status == FST_FILE_FAILED)
			u->res.failed++;
	}
	{
		size_t n = 0;

		u->res.digests_offered[0] = '\0';
		for (int d = FST_DIGEST_SHA256; d < FST_DIGEST_COUNT; d++) {
			if (!c->feat.hash_algo[d] && !c->feat.x_digest[d])
				continue;
			n += (size_t)snprintf(u->res.digests_offered + n,
					      sizeof(u->res.digests_offered) - n, "%s%s",
					      n ? " " : "", fst_client_digest_name(d));
		}
	}
	return u->res.verified == u->res.file_count ? FST_OK : FST_ERR_IO;
}
