/* libFuzzer harness: an FTP dialogue as two byte streams, fed as TCP
 * segments of a synthetic control connection through tcp -> ftp ->
 * analysis, with data connections to whatever the dialogue announced
 * (227, 228, 229, PORT, EPRT, LPRT), then every report format.
 *
 * Input: one header byte, then records [ctl][len][len bytes]...
 *   header bit 0  handshake on the control connection (else mid-stream)
 *          bit 1  control server port 2121 (found by its greeting only)
 *          bit 2  IPv6 addresses
 *          bit 3  cfg.no_autodetect
 *          bit 4  small caps (line 64, records 8, pending 4, gaps 4,
 *                 2 ended sessions kept)
 *          bit 5  gap threshold 10 ms instead of 1 s
 *          bit 6  write every report format at the end (slow, so left to
 *                 the inputs that ask; fuzz_capture_file always does)
 *          bit 7  a checkpoint whenever the clock passes the next 2 s,
 *                 as watch refreshes its estimates
 *   ctl    bit 0  direction: 0 client -> server, 1 server -> client
 *          bit 1  channel: 0 control, 1 data
 *          bit 2  FIN after the bytes
 *          bit 3  RST after the bytes (FIN and RST both: a new connection,
 *                 control: the client reconnects from the next port)
 *          bit 4  the capture lost this segment (sequence space skipped)
 *          bits 5-7  time since the previous record (1 ms ... 3700 s)
 *   len    payload bytes taken from the input (control); on the data
 *          channel len * 64 bytes of sequence space, none taken.
 * Every segment carries an ACK of everything the other side sent.
 * A control record of length 0 with bit 4 set (nothing to lose) is a
 * checkpoint after its FIN or RST: the 'w' key of watch. A checkpoint
 * does what watch does while packets still arrive (fuzz_checkpoint:
 * fst_analysis_finish, every report format, the event stream), and the
 * records after it go on. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ftpstall/analysis.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"
#include "fuzz_support.h"

enum {
	LINE_MAX_SCAN = 512,
	MAX_CLOSED = 64,
	DATA_SCALE = 64
};

static const int64_t time_steps_us[8] = {
	1000, 20000, 300000, 1500000, 12000000, 65000000, 400000000, 3700000000,
};

struct conn {
	bool active;
	struct fst_addr addr[2]; /* [FST_DIR_CLIENT]: the TCP client's */
	uint16_t port[2];
	uint32_t nxt[2];
	bool fin_sent[2];
};

/* The last data endpoint the dialogue announced. */
struct announce {
	bool valid;
	bool passive; /* the FTP server listens */
	struct fst_addr addr;
	uint16_t port;
	unsigned generation; /* bumped on every announcement */
};

/* One direction of control text, split into lines to spot announcements. */
struct scan {
	char line[LINE_MAX_SCAN + 1];
	size_t len;
};

struct harness {
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	struct fst_analysis *an;
	struct fst_report_input in; /* for checkpoints */
	struct fst_capture_stats cap_stats;
	size_t max_gaps;
	int64_t now;
	struct conn control, data;
	uint16_t next_client_port;
	uint16_t next_data_port;
	unsigned data_generation;
	struct announce ann;
	struct scan scan[2];
	/* Sessions that had their SESSION_CLOSE, by address and id (the
	 * analysis may free one and a new session reuse its memory). */
	struct {
		const struct fst_ftp_session *s;
		uint64_t id;
	} closed[MAX_CLOSED];
	size_t n_closed;
};

static enum fst_tcp_dir other(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
}

static void seg(struct harness *h, struct conn *c, enum fst_tcp_dir dir, uint8_t flags,
		const uint8_t *data, uint32_t len, bool lost)
{
	struct fst_packet p;

	memset(&p, 0, sizeof(p));
	p.ts_us = h->now;
	p.src = c->addr[dir];
	p.dst = c->addr[other(dir)];
	p.src_port = c->port[dir];
	p.dst_port = c->port[other(dir)];
	p.ttl = dir == FST_DIR_CLIENT ? 64 : 52;
	p.flags = flags;
	p.seq = c->nxt[dir];
	p.ack = c->nxt[other(dir)];
	p.window = 65535;
	p.payload_len = len;
	p.payload = data ? data : FUZZ_EMPTY_PAYLOAD;
	p.payload_caplen = data ? len : 0;
	c->nxt[dir] += len + ((flags & (FST_TCP_SYN | FST_TCP_FIN)) ? 1 : 0);
	if (!lost)
		fst_tcp_input(h->tcp, &p);
}

static void conn_open(struct harness *h, struct conn *c, const struct fst_addr *caddr,
		      uint16_t cport, const struct fst_addr *saddr, uint16_t sport, bool handshake)
{
	memset(c, 0, sizeof(*c));
	c->active = true;
	c->addr[FST_DIR_CLIENT] = *caddr;
	c->addr[FST_DIR_SERVER] = *saddr;
	c->port[FST_DIR_CLIENT] = cport;
	c->port[FST_DIR_SERVER] = sport;
	c->nxt[FST_DIR_CLIENT] = 0x10000000u + cport * 7919u;
	c->nxt[FST_DIR_SERVER] = 0xfffff000u + sport; /* wraps soon */
	if (!handshake)
		return;
	seg(h, c, FST_DIR_CLIENT, FST_TCP_SYN, NULL, 0, false);
	seg(h, c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, NULL, 0, false);
	seg(h, c, FST_DIR_CLIENT, FST_TCP_ACK, NULL, 0, false);
}

static void addr_make(struct fst_addr *a, bool v6, uint8_t host)
{
	memset(a, 0, sizeof(*a));
	if (v6) {
		a->family = 6;
		a->bytes[0] = 0x20;
		a->bytes[1] = 0x01;
		a->bytes[2] = 0x0d;
		a->bytes[3] = 0xb8;
		a->bytes[15] = host;
	} else {
		a->family = 4;
		a->bytes[0] = 192;
		a->bytes[1] = 0;
		a->bytes[2] = 2;
		a->bytes[3] = host;
	}
}

/* Looks at one complete control line for a data-port announcement. */
static void scan_line(struct harness *h, enum fst_tcp_dir dir, const char *line)
{
	struct announce a = { 0 };

	if (dir == FST_DIR_SERVER) {
		if (strncmp(line, "227", 3) == 0 && fst_ftp_parse_227(line + 3, &a.addr, &a.port))
			a.valid = true;
		else if (strncmp(line, "228", 3) == 0 &&
			 fst_ftp_parse_lprt(line + 3, &a.addr, &a.port))
			a.valid = true;
		else if (strncmp(line, "229", 3) == 0 && fst_ftp_parse_229(line + 3, &a.port)) {
			a.addr = h->control.addr[FST_DIR_SERVER];
			a.valid = true;
		}
		a.passive = true;
	} else {
		if (strncasecmp(line, "PORT ", 5) == 0 &&
		    fst_ftp_parse_port(line + 5, &a.addr, &a.port))
			a.valid = true;
		else if (strncasecmp(line, "EPRT ", 5) == 0 &&
			 fst_ftp_parse_eprt(line + 5, &a.addr, &a.port))
			a.valid = true;
		else if (strncasecmp(line, "LPRT ", 5) == 0 &&
			 fst_ftp_parse_lprt(line + 5, &a.addr, &a.port))
			a.valid = true;
		a.passive = false;
	}
	if (!a.valid)
		return;
	FUZZ_CHECK(a.port != 0, "a parser accepted port 0");
	FUZZ_CHECK(a.addr.family == 4 || a.addr.family == 6, "a parser returned family %u",
		   a.addr.family);
	a.generation = h->ann.generation + 1;
	h->ann = a;
}

static void scan_bytes(struct harness *h, enum fst_tcp_dir dir, const uint8_t *p, size_t len)
{
	struct scan *s = &h->scan[dir];

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' || s->len == LINE_MAX_SCAN) {
			if (s->len && s->line[s->len - 1] == '\r')
				s->len--;
			s->line[s->len] = '\0';
			scan_line(h, dir, s->line);
			s->len = 0;
			if (p[i] == '\n')
				continue;
		}
		s->line[s->len++] = p[i] ? (char)p[i] : ' ';
	}
}

/* ---- event checks ------------------------------------------------------ */

static bool was_closed(const struct harness *h, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < h->n_closed; i++)
		if (h->closed[i].s == s && h->closed[i].id == s->id)
			return true;
	return false;
}

static void check_event(struct harness *h, const struct fst_ftp_event *ev)
{
	const struct fst_ftp_session *s = ev->session;

	FUZZ_CHECK(s, "event %d without a session", (int)ev->kind);
	FUZZ_CHECK((unsigned)ev->kind < FST_FTP_EV_COUNT, "event kind %d", (int)ev->kind);
	FUZZ_CHECK(ev->kind == FST_FTP_EV_SESSION_FREE || !was_closed(h, s),
		   "event %d after the session's SESSION_CLOSE", (int)ev->kind);
	FUZZ_CHECK((unsigned)s->turn.side < FST_SIDE_COUNT, "turn side %d", (int)s->turn.side);
	switch (ev->kind) {
	case FST_FTP_EV_SESSION_OPEN:
	case FST_FTP_EV_ANOMALY:
		break;
	case FST_FTP_EV_COMMAND:
		FUZZ_CHECK(ev->command, "COMMAND without a command");
		break;
	case FST_FTP_EV_REPLY:
		FUZZ_CHECK(ev->reply, "REPLY without a reply");
		FUZZ_CHECK(ev->reply->code >= 100 && ev->reply->code <= 599, "reply code %d",
			   ev->reply->code);
		break;
	case FST_FTP_EV_STATE:
		FUZZ_CHECK(ev->old_state != s->state, "STATE event without a change (%s)",
			   fst_ftp_state_name(s->state));
		break;
	case FST_FTP_EV_TRANSFER_START:
	case FST_FTP_EV_TRANSFER_END:
		FUZZ_CHECK(ev->transfer, "TRANSFER event without a transfer");
		break;
	case FST_FTP_EV_TCP:
		FUZZ_CHECK(ev->tcp, "TCP event without the tcp event");
		break;
	case FST_FTP_EV_SESSION_CLOSE:
		if (h->n_closed < MAX_CLOSED) {
			h->closed[h->n_closed].s = s;
			h->closed[h->n_closed++].id = s->id;
		}
		break;
	case FST_FTP_EV_SESSION_FREE:
		FUZZ_CHECK(was_closed(h, s) || h->n_closed >= MAX_CLOSED,
			   "SESSION_FREE before the session's SESSION_CLOSE");
		break;
	case FST_FTP_EV_COUNT:
		break;
	}
}

/* Sits between the FTP layer and the analysis, like watch's tap. */
static void on_ftp_event(void *ctx, const struct fst_ftp_event *ev)
{
	struct harness *h = ctx;
	const struct fst_session_result *r;
	struct fst_stream_line line = { .ts_us = ev->ts_us };

	check_event(h, ev);
	fst_analysis_on_ftp_event(h->an, ev);
	r = ev->session->user;
	if (!r)
		return;
	line.result = r;
	if (ev->kind == FST_FTP_EV_COMMAND) {
		line.event = FST_STREAM_COMMAND;
		line.command = ev->command;
	} else if (ev->kind == FST_FTP_EV_REPLY) {
		line.event = FST_STREAM_REPLY;
		line.reply = ev->reply;
	} else {
		return;
	}
	fst_report_stream_line(fuzz_sink(), ev->kind == FST_FTP_EV_REPLY, &line);
}

/* ---- records --------------------------------------------------------- */

static void open_control(struct harness *h, uint8_t header)
{
	struct fst_addr caddr, saddr;
	bool v6 = header & 0x04;

	addr_make(&caddr, v6, 10);
	addr_make(&saddr, v6, 20);
	conn_open(h, &h->control, &caddr, h->next_client_port++, &saddr,
		  (header & 0x02) ? 2121 : 21, header & 0x01);
	memset(h->scan, 0, sizeof(h->scan));
}

/* Opens a data connection to the current announcement (or a stray one
 * when there is none, which the tracker must leave alone). */
static void open_data(struct harness *h)
{
	const struct conn *ctl = &h->control;
	const struct fst_addr *caddr, *saddr;
	uint16_t cport, sport;

	if (h->ann.valid && h->ann.passive) {
		caddr = &ctl->addr[FST_DIR_CLIENT];
		cport = h->next_data_port++;
		saddr = &h->ann.addr;
		sport = h->ann.port;
	} else if (h->ann.valid) {
		caddr = &ctl->addr[FST_DIR_SERVER];
		cport = 20;
		saddr = &h->ann.addr;
		sport = h->ann.port;
	} else {
		caddr = &ctl->addr[FST_DIR_SERVER];
		cport = 20;
		saddr = &ctl->addr[FST_DIR_CLIENT];
		sport = h->next_data_port++;
	}
	/* Active mode reuses port 20: close the old connection first, or its
	 * 4-tuple could be reopened while still open. */
	if (h->data.active)
		seg(h, &h->data, FST_DIR_CLIENT, FST_TCP_RST | FST_TCP_ACK, NULL, 0, false);
	conn_open(h, &h->data, caddr, cport, saddr, sport, true);
	h->data_generation = h->ann.generation;
}

static void finish_segment(struct harness *h, struct conn *c, enum fst_tcp_dir dir, uint8_t ctl)
{
	if (ctl & 0x08) {
		seg(h, c, dir, FST_TCP_RST | FST_TCP_ACK, NULL, 0, false);
		c->active = false;
		return;
	}
	if ((ctl & 0x04) && !c->fin_sent[dir]) {
		seg(h, c, dir, FST_TCP_FIN | FST_TCP_ACK, NULL, 0, false);
		c->fin_sent[dir] = true;
		if (c->fin_sent[other(dir)]) {
			seg(h, c, dir, FST_TCP_ACK, NULL, 0, false);
			c->active = false;
		}
	}
}

static void control_record(struct harness *h, uint8_t header, uint8_t ctl, const uint8_t *p,
			   size_t len)
{
	enum fst_tcp_dir dir = (ctl & 0x01) ? FST_DIR_SERVER : FST_DIR_CLIENT;
	bool lost = ctl & 0x10;

	if ((ctl & 0x0c) == 0x0c || !h->control.active) {
		open_control(h, header | 0x01);
		if ((ctl & 0x0c) == 0x0c)
			return;
	}
	if (len)
		seg(h, &h->control, dir, FST_TCP_ACK | FST_TCP_PSH, p, (uint32_t)len, lost);
	if (!lost)
		scan_bytes(h, dir, p, len);
	finish_segment(h, &h->control, dir, ctl);
	if (lost && len == 0)
		fuzz_checkpoint(&h->in, h->now, h->max_gaps);
}

static void data_record(struct harness *h, uint8_t ctl, size_t len)
{
	enum fst_tcp_dir dir = (ctl & 0x01) ? FST_DIR_SERVER : FST_DIR_CLIENT;

	if ((ctl & 0x0c) == 0x0c || !h->data.active || h->data_generation != h->ann.generation) {
		open_data(h);
		if ((ctl & 0x0c) == 0x0c)
			return;
	}
	if (len)
		seg(h, &h->data, dir, FST_TCP_ACK | FST_TCP_PSH, NULL, (uint32_t)(len * DATA_SCALE),
		    ctl & 0x10);
	finish_segment(h, &h->data, dir, ctl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h;
	struct fst_ftp_cfg ftp_cfg = { 0 };
	struct fst_tcp_cfg tcp_cfg = { .payload_by_default = true,
				       .on_flow = fst_ftp_on_tcp_flow,
				       .on_event = fst_ftp_on_tcp_event };
	struct fst_analysis_cfg an_cfg = { .on_update = fuzz_on_update };
	uint8_t header;
	size_t pos = 1;
	int64_t next_refresh;

	if (size < 1)
		return 0;
	header = data[0];
	h = calloc(1, sizeof(*h));
	FUZZ_CHECK(h, "calloc");
	ftp_cfg.no_autodetect = header & 0x08;
	if (header & 0x10) {
		ftp_cfg.max_line = 64;
		ftp_cfg.max_records = 8;
		ftp_cfg.max_pending = 4;
		an_cfg.max_gaps = 4;
		ftp_cfg.max_sessions = 2;
	}
	if (header & 0x20)
		an_cfg.gap_threshold_us = 10000;
	h->max_gaps = an_cfg.max_gaps ? an_cfg.max_gaps : 1000;
	an_cfg.ctx = &h->max_gaps;
	h->an = fst_analysis_new(&an_cfg);
	FUZZ_CHECK(h->an, "fst_analysis_new");
	ftp_cfg.on_event = on_ftp_event;
	ftp_cfg.ctx = h;
	h->ftp = fst_ftp_new(&ftp_cfg);
	FUZZ_CHECK(h->ftp, "fst_ftp_new");
	tcp_cfg.ctx = h->ftp;
	h->tcp = fst_tcp_new(&tcp_cfg);
	FUZZ_CHECK(h->tcp, "fst_tcp_new");
	h->now = INT64_C(1700000000) * FST_US_PER_SEC;
	h->next_client_port = 50000;
	h->next_data_port = 40000;
	h->in = (struct fst_report_input){
		.version = "fuzz",
		.source = "fuzz_ftp_stream",
		.ftp = h->ftp,
		.analysis = h->an,
		.capture = &h->cap_stats,
		.tcp = fst_tcp_stats(h->tcp),
		.ftp_stats = fst_ftp_stats(h->ftp),
	};
	next_refresh = h->now + FUZZ_REFRESH_US;

	open_control(h, header);
	while (pos + 2 <= size) {
		uint8_t ctl = data[pos];
		size_t len = data[pos + 1];

		pos += 2;
		h->now += time_steps_us[ctl >> 5];
		if (ctl & 0x02) {
			data_record(h, ctl, len);
		} else {
			if (len > size - pos)
				len = size - pos;
			control_record(h, header, ctl, data + pos, len);
			pos += len;
		}
		if ((header & 0x80) && h->now >= next_refresh) {
			fuzz_checkpoint(&h->in, h->now, h->max_gaps);
			next_refresh = h->now + FUZZ_REFRESH_US;
		}
	}
	fst_tcp_finish(h->tcp);
	fst_analysis_finish(h->an);
	fuzz_check_results(h->an, h->max_gaps);
	FUZZ_CHECK(fst_tcp_stats(h->tcp)->ooo_bytes_buffered == 0, "bytes held after finish");

	if (!(header & 0x40))
		goto out_free;
	fuzz_write_reports(&h->in);
	for (struct fst_session_result *r = fst_analysis_results(h->an); r; r = r->next)
		fuzz_stream_result(r, h->now);
out_free:
	fst_tcp_free(h->tcp);
	fst_ftp_free(h->ftp);
	fst_analysis_free(h->an);
	free(h);
	return 0;
}
