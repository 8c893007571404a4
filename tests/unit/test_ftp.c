/* Unit tests for src/ftp (session.c, tracker.c): the real pipeline
 * fst_tcp -> fst_ftp fed with built packets. A callback records every
 * FTP event (kind, state old -> new, the turn at the event, command,
 * reply, transfer), and the tests assert on that record and on the
 * session records (fst_ftp_sessions()). Sequences are written compactly
 * so a failure shows the whole story:
 *   states: "connected>greeted greeted>authenticating"
 *   events: "open R:220 C:USER R:331>USER close"
 * Protocol references: RFC 959 (replies 4.2, sequences 5.4), RFC 2428
 * (EPSV), RFC 4217 (AUTH TLS), RFC 854 (Telnet IAC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/ftp.h"
#include "ftpstall/tcp.h"
#include "pktbuild.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	MAX_EVENTS = 4096,
	MAX_CLOSED = 64,
	STEP_US = 1000, /* packet clock advance per packet */
};

/* ------------------------------------------------------------------ */
/* event recorder */

struct rec_ev {
	enum fst_ftp_event_kind kind;
	int64_t ts_us;
	const struct fst_ftp_session *session;
	enum fst_channel channel;
	bool has_tcp;
	enum fst_tcp_event_kind tcp_kind;
	uint32_t tcp_len;
	bool has_command;
	struct {
		enum fst_ftp_verb verb;
		char verb_text[FST_FTP_VERB_TEXT_MAX + 1]; /* copied: the event's may be borrowed */
	} cmd;
	int command_reply_code; /* of the command record, at the event */
	bool has_reply;
	const char *reply_text; /* the event's pointer, not a copy */
	int code;
	bool unsolicited;
	enum fst_ftp_state old_state, new_state;
	struct fst_ftp_turn turn; /* session->turn at the event */
	enum fst_ftp_anomaly anomaly;
	bool has_transfer;
	struct fst_ftp_transfer transfer;
};

struct recorder {
	struct rec_ev ev[MAX_EVENTS];
	size_t n;
	char violation[256]; /* first broken always-on invariant */
	/* Contract checks some tests look at (not fatal by themselves). */
	const struct fst_ftp_session *closed[MAX_CLOSED];
	size_t n_closed;
	const struct fst_ftp_session *freed[MAX_CLOSED]; /* had SESSION_FREE */
	size_t n_freed;
	size_t after_close;	    /* events but FREE for a session after its SESSION_CLOSE */
	char after_close_what[128]; /* the first of them */
	size_t control_data_tcp;    /* TCP events with a DATA kind on control */
	size_t null_command;	    /* COMMAND events without a command */
	size_t null_reply;	    /* REPLY events without a reply */
};

static const char *const kind_names[FST_FTP_EV_COUNT] = {
	[FST_FTP_EV_SESSION_OPEN] = "open",
	[FST_FTP_EV_COMMAND] = "command",
	[FST_FTP_EV_REPLY] = "reply",
	[FST_FTP_EV_STATE] = "state",
	[FST_FTP_EV_TRANSFER_START] = "transfer_start",
	[FST_FTP_EV_TRANSFER_END] = "transfer_end",
	[FST_FTP_EV_TCP] = "tcp",
	[FST_FTP_EV_ANOMALY] = "anomaly",
	[FST_FTP_EV_SESSION_CLOSE] = "close",
	[FST_FTP_EV_SESSION_FREE] = "free",
};

static const char *kind_name(enum fst_ftp_event_kind kind)
{
	return (unsigned)kind < FST_FTP_EV_COUNT ? kind_names[kind] : "?";
}

static void violate(struct recorder *r, const char *what, const struct fst_ftp_event *ev)
{
	if (!r->violation[0])
		snprintf(r->violation, sizeof(r->violation), "%s (event %s #%zu)", what,
			 kind_name(ev->kind), r->n);
}

static bool was_closed(const struct recorder *r, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < r->n_closed; i++)
		if (r->closed[i] == s)
			return true;
	return false;
}

static bool was_freed(const struct recorder *r, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < r->n_freed; i++)
		if (r->freed[i] == s)
			return true;
	return false;
}

/* A new session may get the memory of a freed one. */
static void forget_address(struct recorder *r, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < r->n_closed; i++)
		if (r->closed[i] == s)
			r->closed[i] = NULL;
	for (size_t i = 0; i < r->n_freed; i++)
		if (r->freed[i] == s)
			r->freed[i] = NULL;
}

static void on_ftp_event(void *ctx, const struct fst_ftp_event *ev)
{
	struct recorder *r = ctx;
	struct rec_ev *re;

	if (!ev->session) {
		violate(r, "event without a session", ev);
		return;
	}
	if (r->n >= MAX_EVENTS) {
		violate(r, "too many events", ev);
		return;
	}
	if (ev->kind == FST_FTP_EV_SESSION_OPEN && was_freed(r, ev->session))
		forget_address(r, ev->session);
	if (was_freed(r, ev->session))
		violate(r, "event after SESSION_FREE", ev);
	if (ev->kind == FST_FTP_EV_SESSION_FREE && !was_closed(r, ev->session))
		violate(r, "SESSION_FREE before SESSION_CLOSE", ev);
	if (ev->kind != FST_FTP_EV_SESSION_FREE && was_closed(r, ev->session)) {
		if (!r->after_close++)
			snprintf(r->after_close_what, sizeof(r->after_close_what), "%s",
				 kind_name(ev->kind));
	}
	re = &r->ev[r->n++];
	memset(re, 0, sizeof(*re));
	re->kind = ev->kind;
	re->ts_us = ev->ts_us;
	re->session = ev->session;
	re->channel = ev->channel;
	re->new_state = ev->session->state;
	re->old_state = ev->old_state;
	re->turn = ev->session->turn;
	re->anomaly = ev->anomaly;
	switch (ev->kind) {
	case FST_FTP_EV_STATE:
		if (ev->old_state == ev->session->state)
			violate(r, "STATE event without a change", ev);
		break;
	case FST_FTP_EV_COMMAND:
		if (!ev->command)
			r->null_command++;
		break;
	case FST_FTP_EV_REPLY:
		if (!ev->reply)
			r->null_reply++;
		break;
	case FST_FTP_EV_TRANSFER_START:
	case FST_FTP_EV_TRANSFER_END:
		if (!ev->transfer)
			violate(r, "TRANSFER event without a transfer", ev);
		break;
	case FST_FTP_EV_TCP:
		if (!ev->tcp) {
			violate(r, "TCP event without the tcp event", ev);
			break;
		}
		if (ev->channel == FST_CHANNEL_CONTROL && ev->tcp->kind == FST_TCP_EV_DATA)
			r->control_data_tcp++;
		break;
	case FST_FTP_EV_SESSION_OPEN:
	case FST_FTP_EV_ANOMALY:
	case FST_FTP_EV_COUNT:
		break;
	case FST_FTP_EV_SESSION_CLOSE:
		if (r->n_closed < MAX_CLOSED)
			r->closed[r->n_closed++] = ev->session;
		break;
	case FST_FTP_EV_SESSION_FREE:
		if (r->n_freed < MAX_CLOSED)
			r->freed[r->n_freed++] = ev->session;
		break;
	}
	if (ev->tcp) {
		re->has_tcp = true;
		re->tcp_kind = ev->tcp->kind;
		re->tcp_len = ev->tcp->len;
	}
	if (ev->command) {
		re->has_command = true;
		re->cmd.verb = ev->command->cmd.verb;
		snprintf(re->cmd.verb_text, sizeof(re->cmd.verb_text), "%s",
			 ev->command->cmd.verb_text);
		re->command_reply_code = ev->command->reply_code;
	}
	if (ev->reply) {
		re->has_reply = true;
		re->code = ev->reply->code;
		re->reply_text = ev->reply->text;
		re->unsolicited = ev->reply->unsolicited;
	}
	if (ev->transfer) {
		re->has_transfer = true;
		re->transfer = *ev->transfer;
	}
}

/* ------------------------------------------------------------------ */
/* compact views of the record */

static void append(char *out, size_t size, size_t *used, const char *item)
{
	int n = snprintf(out + *used, size - *used, "%s%s", *used ? " " : "", item);

	if (n > 0 && (size_t)n < size - *used)
		*used += (size_t)n;
}

/* "old>new ..." for the STATE events of session s (NULL: all). */
static const char *fmt_states(const struct recorder *r, const struct fst_ftp_session *s, char *out,
			      size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];
		char item[64];

		if (e->kind != FST_FTP_EV_STATE || (s && e->session != s))
			continue;
		snprintf(item, sizeof(item), "%s>%s", fst_ftp_state_name(e->old_state),
			 fst_ftp_state_name(e->new_state));
		append(out, size, &used, item);
	}
	return out;
}

/* Every event except STATE and TCP, e.g. "open R:220 C:USER R:331>USER";
 * with lines_only just the session's open/close, commands and replies
 * (so a test need not fix where other events fall between them). */
static const char *fmt_events_opt(const struct recorder *r, const struct fst_ftp_session *s,
				  bool lines_only, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];
		char item[96];

		if ((s && e->session != s) || e->kind == FST_FTP_EV_STATE ||
		    e->kind == FST_FTP_EV_TCP)
			continue;
		if (lines_only && e->kind != FST_FTP_EV_COMMAND && e->kind != FST_FTP_EV_REPLY &&
		    e->kind != FST_FTP_EV_SESSION_OPEN && e->kind != FST_FTP_EV_SESSION_CLOSE)
			continue;
		switch (e->kind) {
		case FST_FTP_EV_COMMAND:
			snprintf(item, sizeof(item), "C:%s",
				 e->has_command ? e->cmd.verb_text : "?");
			break;
		case FST_FTP_EV_REPLY:
			if (e->has_command)
				snprintf(item, sizeof(item), "R:%d>%s", e->code, e->cmd.verb_text);
			else
				snprintf(item, sizeof(item), "R:%d", e->code);
			break;
		case FST_FTP_EV_TRANSFER_START:
			snprintf(item, sizeof(item), "T+:%llu", (unsigned long long)e->transfer.id);
			break;
		case FST_FTP_EV_TRANSFER_END:
			snprintf(item, sizeof(item), "T-:%llu:%s",
				 (unsigned long long)e->transfer.id,
				 fst_transfer_outcome_name(e->transfer.outcome));
			break;
		case FST_FTP_EV_ANOMALY:
			snprintf(item, sizeof(item), "A:%s", fst_ftp_anomaly_name(e->anomaly));
			break;
		case FST_FTP_EV_SESSION_OPEN:
		case FST_FTP_EV_SESSION_CLOSE:
		case FST_FTP_EV_SESSION_FREE:
		case FST_FTP_EV_STATE:
		case FST_FTP_EV_TCP:
		case FST_FTP_EV_COUNT:
			snprintf(item, sizeof(item), "%s", kind_name(e->kind));
			break;
		}
		append(out, size, &used, item);
	}
	return out;
}

static const char *fmt_events(const struct recorder *r, const struct fst_ftp_session *s, char *out,
			      size_t size)
{
	return fmt_events_opt(r, s, false, out, size);
}

static const char *turn_text(struct fst_ftp_turn turn, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", fst_side_name(turn.side),
		 turn.channel == FST_CHANNEL_DATA ? "data" : "control");
	return out;
}

/* "c s c ..." : the turn at each COMMAND and REPLY event of s. */
static const char *fmt_turns(const struct recorder *r, const struct fst_ftp_session *s, char *out,
			     size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];
		char item[64];

		if (e->session != s ||
		    (e->kind != FST_FTP_EV_COMMAND && e->kind != FST_FTP_EV_REPLY))
			continue;
		append(out, size, &used, turn_text(e->turn, item, sizeof(item)));
	}
	return out;
}

static char fmt_buf[8192];

#define assert_states(r, s, expected) \
	assert_string_equal(fmt_states((r), (s), fmt_buf, sizeof(fmt_buf)), (expected))
#define assert_events(r, s, expected) \
	assert_string_equal(fmt_events((r), (s), fmt_buf, sizeof(fmt_buf)), (expected))
#define assert_lines(r, s, expected) \
	assert_string_equal(fmt_events_opt((r), (s), true, fmt_buf, sizeof(fmt_buf)), (expected))
#define assert_turns(r, s, expected) \
	assert_string_equal(fmt_turns((r), (s), fmt_buf, sizeof(fmt_buf)), (expected))

/* session->turn right now, as "side/channel". */
#define assert_turn(s, expected)                                                             \
	do {                                                                                 \
		char tbuf_[64];                                                              \
		assert_string_equal(turn_text((s)->turn, tbuf_, sizeof(tbuf_)), (expected)); \
	} while (0)

#define assert_state(s, expected) \
	assert_string_equal(fst_ftp_state_name((s)->state), fst_ftp_state_name(expected))

static size_t count_kind(const struct recorder *r, enum fst_ftp_event_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->ev[i].kind == kind;
	return n;
}

static size_t count_anomaly(const struct recorder *r, enum fst_ftp_anomaly anomaly)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->ev[i].kind == FST_FTP_EV_ANOMALY && r->ev[i].anomaly == anomaly;
	return n;
}

static const struct rec_ev *last_of(const struct recorder *r, enum fst_ftp_event_kind kind)
{
	size_t i = r->n;

	while (i-- > 0)
		if (r->ev[i].kind == kind)
			return &r->ev[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the pipeline and connections to drive */

struct net {
	struct recorder *rec;
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	int64_t now;
};

/* The pipeline of the running test, so the teardown can free it when an
 * assertion jumped out of the test (keeps sanitizer builds leak-free). */
static struct net *live_net;

static struct net *net_new(const struct fst_ftp_cfg *cfg_in)
{
	struct net *n = calloc(1, sizeof(*n));
	struct fst_ftp_cfg cfg = { 0 };
	struct fst_tcp_cfg tcfg = { 0 };

	assert_non_null(n);
	n->rec = calloc(1, sizeof(*n->rec));
	assert_non_null(n->rec);
	if (cfg_in)
		cfg = *cfg_in;
	cfg.on_event = on_ftp_event;
	cfg.ctx = n->rec;
	n->ftp = fst_ftp_new(&cfg);
	assert_non_null(n->ftp);
	tcfg.payload_by_default = true;
	tcfg.on_flow = fst_ftp_on_tcp_flow;
	tcfg.on_event = fst_ftp_on_tcp_event;
	tcfg.ctx = n->ftp;
	n->tcp = fst_tcp_new(&tcfg);
	assert_non_null(n->tcp);
	n->now = INT64_C(1700000000) * FST_US_PER_SEC;
	live_net = n;
	return n;
}

/* End of input: every flow still open closes (END_OF_INPUT). */
static void net_finish(struct net *n)
{
	fst_tcp_finish(n->tcp);
}

/* Frees the pipeline (tcp first: its flows point into the tracker) and
 * fails on a broken always-on invariant. */
static void net_free(struct net *n)
{
	char violation[sizeof(n->rec->violation)];

	live_net = NULL;
	fst_tcp_free(n->tcp);
	memcpy(violation, n->rec->violation, sizeof(violation));
	fst_ftp_free(n->ftp);
	free(n->rec);
	free(n);
	if (violation[0])
		fail_msg("invariant: %s", violation);
}

static struct fst_ftp_session *only_session(struct net *n)
{
	struct fst_ftp_session *s = fst_ftp_sessions(n->ftp);

	assert_non_null(s);
	assert_null(fst_ftp_session_next(s));
	return s;
}

struct conn {
	struct net *net;
	struct fst_addr addr[2]; /* [FST_DIR_CLIENT] = the TCP client's */
	uint16_t port[2];
	uint32_t nxt[2];
	uint16_t window[2]; /* advertised by each side */
};

static enum fst_tcp_dir other(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_DIR_SERVER : FST_DIR_CLIENT;
}

static void conn_init(struct conn *c, struct net *n, const char *caddr, uint16_t cport,
		      const char *saddr, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->net = n;
	c->addr[FST_DIR_CLIENT] = pb_addr(caddr);
	c->addr[FST_DIR_SERVER] = pb_addr(saddr);
	c->port[FST_DIR_CLIENT] = cport;
	c->port[FST_DIR_SERVER] = sport;
	c->nxt[FST_DIR_CLIENT] = 1000 + cport;
	c->nxt[FST_DIR_SERVER] = 700000 + sport;
	c->window[FST_DIR_CLIENT] = c->window[FST_DIR_SERVER] = 65535;
}

/* One segment from dir; len bytes on the wire of which caplen captured. */
static void seg(struct conn *c, enum fst_tcp_dir dir, uint8_t flags, uint32_t seq, uint32_t ack,
		const void *data, uint32_t len, uint32_t caplen)
{
	struct fst_packet p;

	memset(&p, 0, sizeof(p));
	p.ts_us = c->net->now;
	c->net->now += STEP_US;
	p.src = c->addr[dir];
	p.dst = c->addr[other(dir)];
	p.src_port = c->port[dir];
	p.dst_port = c->port[other(dir)];
	p.ttl = 64;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.window = c->window[dir];
	p.payload_len = len;
	p.payload = caplen ? data : NULL;
	p.payload_caplen = caplen;
	fst_tcp_input(c->net->tcp, &p);
}

static void send_cut(struct conn *c, enum fst_tcp_dir dir, const void *data, uint32_t len,
		     uint32_t caplen)
{
	uint32_t seq = c->nxt[dir];

	c->nxt[dir] += len;
	seg(c, dir, FST_TCP_ACK | FST_TCP_PSH, seq, c->nxt[other(dir)], data, len, caplen);
}

static void send_bytes(struct conn *c, enum fst_tcp_dir dir, const void *data, size_t len)
{
	send_cut(c, dir, data, (uint32_t)len, (uint32_t)len);
}

/* The FTP client (TCP client of a control connection) sends text. */
static void cl(struct conn *c, const char *text)
{
	send_bytes(c, FST_DIR_CLIENT, text, strlen(text));
}

/* The FTP server sends text. */
static void sv(struct conn *c, const char *text)
{
	send_bytes(c, FST_DIR_SERVER, text, strlen(text));
}

static void send_ack(struct conn *c, enum fst_tcp_dir dir)
{
	seg(c, dir, FST_TCP_ACK, c->nxt[dir], c->nxt[other(dir)], NULL, 0, 0);
}

static void send_fin(struct conn *c, enum fst_tcp_dir dir)
{
	uint32_t seq = c->nxt[dir]++;

	seg(c, dir, FST_TCP_ACK | FST_TCP_FIN, seq, c->nxt[other(dir)], NULL, 0, 0);
}

/* A reset alone: the flow then waits for one more packet (tcp.h). */
static void send_rst_only(struct conn *c, enum fst_tcp_dir dir)
{
	seg(c, dir, FST_TCP_RST | FST_TCP_ACK, c->nxt[dir], c->nxt[other(dir)], NULL, 0, 0);
}

/* A reset and nothing more on its connection: it closes once the wait
 * for a last packet is over (the clock is moved past it). */
static void send_rst(struct conn *c, enum fst_tcp_dir dir)
{
	send_rst_only(c, dir);
	fst_tcp_advance(c->net->tcp, c->net->now + FST_TCP_CLOSING_WAIT_US + 1);
}

static void handshake(struct conn *c)
{
	seg(c, FST_DIR_CLIENT, FST_TCP_SYN, c->nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	seg(c, FST_DIR_SERVER, FST_TCP_SYN | FST_TCP_ACK, c->nxt[FST_DIR_SERVER]++,
	    c->nxt[FST_DIR_CLIENT], NULL, 0, 0);
	send_ack(c, FST_DIR_CLIENT);
}

static void conn_open(struct conn *c, struct net *n, const char *caddr, uint16_t cport,
		      const char *saddr, uint16_t sport)
{
	conn_init(c, n, caddr, cport, saddr, sport);
	handshake(c);
}

/* Both sides FIN, `first` first, and the last ACK. */
static void close_both(struct conn *c, enum fst_tcp_dir first)
{
	send_fin(c, first);
	send_fin(c, other(first));
	send_ack(c, first);
}

static const char CLIENT_IP[] = "192.0.2.10";
static const char SERVER_IP[] = "198.51.100.20";

static void control_open(struct conn *c, struct net *n)
{
	conn_open(c, n, CLIENT_IP, 54321, SERVER_IP, 21);
}

static void login(struct conn *c)
{
	sv(c, "220 FTP server ready\r\n");
	cl(c, "USER alice\r\n");
	sv(c, "331 Password required for alice\r\n");
	cl(c, "PASS hunter2\r\n");
	sv(c, "230 User alice logged in\r\n");
}

static uint8_t fill[4096];

/* len bytes (<= sizeof fill) of file data. */
static void send_fill(struct conn *c, enum fst_tcp_dir dir, size_t len)
{
	assert_true(len <= sizeof(fill));
	send_bytes(c, dir, fill, len);
}

static const struct fst_ftp_command_rec *find_cmd(const struct fst_ftp_session *s,
						  enum fst_ftp_verb verb, size_t nth)
{
	for (size_t i = 0; i < s->command_count; i++)
		if (s->commands[i].cmd.verb == verb && nth-- == 0)
			return &s->commands[i];
	fail_msg("no command %s #%zu", fst_ftp_verb_info(verb)->name, nth);
	return NULL;
}

static const struct fst_ftp_transfer *only_transfer(const struct fst_ftp_session *s)
{
	assert_int_equal(s->transfer_count, 1);
	return &s->transfers[0];
}

#define assert_outcome(t, expected)                                  \
	assert_string_equal(fst_transfer_outcome_name((t)->outcome), \
			    fst_transfer_outcome_name(expected))

/* ------------------------------------------------------------------ */
/* session life: states and turns */

static void test_login_quit_fin(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	assert_state(s, FST_FTP_CONNECTED);
	assert_turn(s, "server/control");
	assert_false(s->mid_stream);
	assert_false(s->detected_by_greeting);
	assert_int_equal(s->server_port, 21);
	assert_int_equal(s->client_port, 54321);
	assert_true(fst_addr_equal(&s->server_addr, &c.addr[FST_DIR_SERVER]));
	assert_int_equal(s->id, 1);

	sv(&c, "220 FTP server ready\r\n");
	assert_state(s, FST_FTP_GREETED);
	assert_turn(s, "client/control");
	assert_string_equal(s->banner, "FTP server ready");
	cl(&c, "USER alice\r\n");
	assert_state(s, FST_FTP_AUTHENTICATING);
	assert_turn(s, "server/control");
	assert_string_equal(s->user_name, "alice");
	sv(&c, "331 Password required\r\n");
	assert_state(s, FST_FTP_AUTHENTICATING);
	assert_turn(s, "client/control");
	cl(&c, "PASS hunter2\r\n");
	assert_turn(s, "server/control");
	sv(&c, "230 Logged in\r\n");
	assert_state(s, FST_FTP_READY);
	assert_turn(s, "client/control");
	cl(&c, "QUIT\r\n");
	assert_state(s, FST_FTP_CLOSING);
	assert_turn(s, "server/control");
	sv(&c, "221 Goodbye\r\n");
	assert_state(s, FST_FTP_CLOSING);
	assert_turn(s, "none/control");
	close_both(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	assert_turn(s, "none/control");
	assert_true(s->end_us > s->start_us);

	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>closing closing>closed");
	assert_events(n->rec, s,
		      "open R:220 C:USER R:331>USER C:PASS R:230>PASS C:QUIT R:221>QUIT close");
	assert_turns(n->rec, s,
		     "client/control server/control client/control server/control "
		     "client/control server/control none/control");
	assert_int_equal(n->rec->ev[n->rec->n - 1].kind, FST_FTP_EV_SESSION_CLOSE);
	assert_int_equal(s->command_count, 3);
	assert_int_equal(s->reply_count, 4);
	assert_true(s->replies[0].unsolicited); /* the greeting */
	assert_false(s->replies[1].unsolicited);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions, 1);
	net_free(n);
}

static void test_login_rejected_530(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Password required\r\n");
	cl(&c, "PASS wrong\r\n");
	sv(&c, "530 Login incorrect.\r\n");
	assert_state(s, FST_FTP_GREETED);
	assert_turn(s, "client/control");
	assert_states(n->rec, s, "connected>greeted greeted>authenticating authenticating>greeted");
	assert_int_equal(find_cmd(s, FST_VERB_PASS, 0)->reply_code, 530);
	net_free(n);
}

static void test_421_greeting_closes(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "421 Too many users, try later.\r\n");
	assert_state(s, FST_FTP_CLOSING);
	assert_turn(s, "none/control");
	assert_int_equal(s->reply_count, 1);
	assert_int_equal(s->replies[0].code, 421);
	assert_true(s->replies[0].unsolicited);
	close_both(&c, FST_DIR_SERVER);
	assert_states(n->rec, s, "connected>closing closing>closed");
	net_free(n);
}

static void test_unsolicited_421(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	n->now += 300 * FST_US_PER_SEC; /* idle */
	sv(&c, "421 Timeout.\r\n");
	assert_state(s, FST_FTP_CLOSING);
	assert_turn(s, "none/control");
	assert_int_equal(s->replies[s->reply_count - 1].code, 421);
	assert_true(s->replies[s->reply_count - 1].unsolicited);
	assert_false(last_of(n->rec, FST_FTP_EV_REPLY)->has_command);
	send_fin(&c, FST_DIR_SERVER);
	assert_turn(s, "none/control");
	send_fin(&c, FST_DIR_CLIENT);
	send_ack(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	assert_turn(s, "none/control");
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>closing closing>closed");
	net_free(n);
}

static void test_rst_closes(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "NOOP\r\n");
	send_rst(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	assert_turn(s, "none/control");
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>closed");
	assert_int_equal(n->rec->ev[n->rec->n - 1].kind, FST_FTP_EV_SESSION_CLOSE);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_CLOSE), 1);
	net_free(n);
}

static void test_rein_returns_to_greeted(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "REIN\r\n");
	assert_turn(s, "server/control");
	sv(&c, "220 Service ready for new user.\r\n");
	assert_state(s, FST_FTP_GREETED);
	assert_turn(s, "client/control");
	assert_string_equal(s->user_name, "");
	assert_int_equal(find_cmd(s, FST_VERB_REIN, 0)->reply_code, 220);
	cl(&c, "USER bob\r\n");
	assert_state(s, FST_FTP_AUTHENTICATING);
	assert_string_equal(s->user_name, "bob");
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>greeted greeted>authenticating");
	net_free(n);
}

/* ProFTPD (mod_tls) at its idle timeout: a close_notify, then its 421
 * in cleartext, then FIN. vsftpd: an alert, then "500 OOPS". What comes
 * after the server's TLS layer ended is FTP again. */
static void test_tls_cleartext_after_close_notify(void **state)
{
	static const uint8_t client_records[] = { 0x17, 0x03, 0x03, 0x00, 0x05,
						  'U',	'S',  'E',  'R',  '\n' };
	static const uint8_t close_then_421[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00,
						  '4',	'2',  '1',  ' ',  'I',	'd',  'l',
						  'e',	' ',  't',  'i',  'm',	'e',  'o',
						  'u',	't',  '\r', '\n' };
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	cl(&c, "AUTH TLS\r\n");
	sv(&c, "234 AUTH TLS successful\r\n");
	assert_non_null(s->tls);
	assert_int_equal(s->tls->mode, FST_TLS_MODE_EXPLICIT);
	send_bytes(&c, FST_DIR_CLIENT, client_records, sizeof(client_records));
	assert_int_equal(s->command_count, 1); /* the record's body is no command */
	send_bytes(&c, FST_DIR_SERVER, close_then_421, sizeof(close_then_421));
	assert_true(s->tls->side[FST_TLS_FROM_SERVER].ended);
	assert_true(s->tls->side[FST_TLS_FROM_SERVER].close_notify);
	assert_false(s->tls->side[FST_TLS_FROM_CLIENT].ended);
	assert_int_equal(s->reply_count, 3);
	assert_int_equal(s->replies[2].code, 421);
	assert_string_equal(s->replies[2].text, "Idle timeout");
	assert_true(s->replies[2].unsolicited);
	/* A line split over segments after the end is still one reply. */
	sv(&c, "500 OOPS: ");
	sv(&c, "priv_sock_get_int\r\n");
	assert_int_equal(s->reply_count, 4);
	assert_string_equal(s->replies[3].text, "OOPS: priv_sock_get_int");
	assert_int_equal(s->anomalies, 0);
	close_both(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	net_free(n);
}

/* Implicit FTPS: the client's first bytes are a ClientHello, on 990 (a
 * control port by default) or on any control port. */
static void test_tls_implicit_client_hello(void **state)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00,
					 0x00, 0x04, 'U',  'S',	 'E',  'R' };
	static const uint8_t greeting_record[] = { 0x17, 0x03, 0x03, 0x00, 0x03, '2', '2', '0' };
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 50000, SERVER_IP, 990);
	send_bytes(&c, FST_DIR_CLIENT, hello, sizeof(hello));
	s = only_session(n);
	assert_non_null(s->tls);
	assert_int_equal(s->tls->mode, FST_TLS_MODE_IMPLICIT);
	assert_true(s->encrypted);
	assert_state(s, FST_FTP_ENCRYPTED);
	assert_turn(s, "server/control");
	send_bytes(&c, FST_DIR_SERVER, greeting_record, sizeof(greeting_record));
	assert_turn(s, "client/control");
	assert_int_equal(s->reply_count, 0);
	assert_int_equal(s->command_count, 0);
	assert_int_equal(s->tls->side[FST_TLS_FROM_SERVER].app_records, 1);
	assert_int_equal(s->tls->side[FST_TLS_FROM_CLIENT].malformed, 1); /* a 4-byte hello */
	close_both(&c, FST_DIR_CLIENT);
	net_free(n);
}

/* An FTPS session's 227 is encrypted: a connection between its hosts
 * right after the server spoke is probably its data connection; one to
 * a control port is a new session, and one long after is neither. */
static void test_tls_data_by_timing(void **state)
{
	static const uint8_t reply_record[] = { 0x17, 0x03, 0x03, 0x00, 0x03, '2', '2', '7' };
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, data, again, late;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	cl(&c, "AUTH TLS\r\n");
	sv(&c, "234 go ahead\r\n");
	send_bytes(&c, FST_DIR_SERVER, reply_record, sizeof(reply_record));
	/* The client reconnects to port 21: a session, not data. */
	conn_open(&again, n, CLIENT_IP, 54400, SERVER_IP, 21);
	assert_int_equal(s->transfer_count, 0);
	conn_open(&data, n, CLIENT_IP, 54401, SERVER_IP, 30001);
	assert_int_equal(s->transfer_count, 1);
	assert_true(s->transfers[0].by_timing);
	assert_int_equal(s->transfers[0].mode, FST_MODE_PASSIVE);
	assert_int_equal(s->transfers[0].sender, FST_SIDE_NONE);
	assert_int_equal(s->transfers[0].data_server_port, 30001);
	send_bytes(&data, FST_DIR_CLIENT, "abcd", 4);
	send_bytes(&data, FST_DIR_SERVER, "efghij", 6);
	assert_int_equal(s->transfers[0].bytes, 10); /* both ways: sender unknown */
	assert_false(s->transfers[0].tls_seen);	     /* no TLS in it */
	close_both(&data, FST_DIR_SERVER);
	assert_int_equal(s->transfers[0].outcome, FST_OUTCOME_UNKNOWN);
	/* Seconds after the server's last bytes: not this session's. */
	n->now += 5 * 1000000;
	conn_open(&late, n, CLIENT_IP, 54402, SERVER_IP, 30002);
	assert_int_equal(s->transfer_count, 1);
	close_both(&c, FST_DIR_CLIENT);
	net_free(n);
}

static void test_auth_tls_encrypted(void **state)
{
	/* Records whose bodies happen to hold command-looking lines: inside
	 * a record nothing is read as FTP. */
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x16, 0x01, 0x00, 0x00, 0x00,
					 'N',  'O',  'O',  'P',	 '\r', '\n', 'U',  'S',	 'E',
					 'R',  ' ',  'x',  '\r', '\n', 0xff, 0xf4, 0x00, '\n' };
	static const uint8_t server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x08, '5', '0',
						'0',  ' ',  'x',  '\r', '\n', 0x00 };
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;
	size_t commands_before;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	cl(&c, "AUTH TLS\r\n");
	assert_turn(s, "server/control");
	assert_state(s, FST_FTP_GREETED);
	sv(&c, "234 Proceed with negotiation.\r\n");
	assert_state(s, FST_FTP_ENCRYPTED);
	assert_true(s->encrypted);
	assert_turn(s, "client/control"); /* the server spoke last */
	commands_before = count_kind(n->rec, FST_FTP_EV_COMMAND);

	send_bytes(&c, FST_DIR_CLIENT, hello, sizeof(hello));
	assert_turn(s, "server/control");
	send_bytes(&c, FST_DIR_SERVER, server_hello, sizeof(server_hello));
	assert_turn(s, "client/control");
	send_bytes(&c, FST_DIR_CLIENT, hello, sizeof(hello));
	assert_turn(s, "server/control");
	assert_state(s, FST_FTP_ENCRYPTED);

	assert_int_equal(count_kind(n->rec, FST_FTP_EV_COMMAND), commands_before);
	assert_int_equal(s->command_count, 1); /* AUTH */
	assert_int_equal(s->reply_count, 2);   /* 220, 234 */
	/* The only anomaly: the hellos do not parse (their bodies are no
	 * hello), never an FTP line read inside a record. */
	assert_true(s->tls->side[FST_TLS_FROM_CLIENT].malformed > 0);
	assert_int_equal(fst_ftp_stats(n->ftp)->anomalies[FST_ANOMALY_TLS_MALFORMED], s->anomalies);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_ANOMALY), s->anomalies);
	close_both(&c, FST_DIR_CLIENT);
	assert_state(s, FST_FTP_CLOSED);
	assert_turn(s, "none/control");
	assert_states(n->rec, s, "connected>greeted greeted>encrypted encrypted>closed");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* pairing */

static void test_pipelined_commands_pair_in_order(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *type, *pwd, *syst;
	struct conn c;
	int64_t t_cmd;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	t_cmd = n->now;
	cl(&c, "TYPE I\r\nPWD\r\nSYST\r\n");
	assert_turn(s, "server/control");
	n->now = t_cmd + 40000;
	sv(&c, "200 Switching to Binary mode.\r\n");
	assert_turn(s, "server/control");
	n->now = t_cmd + 90000;
	sv(&c, "257 \"/home/alice\" is the current directory\r\n");
	assert_turn(s, "server/control");
	n->now = t_cmd + 250000;
	sv(&c, "215 UNIX Type: L8\r\n");
	assert_turn(s, "client/control");

	type = find_cmd(s, FST_VERB_TYPE, 0);
	pwd = find_cmd(s, FST_VERB_PWD, 0);
	syst = find_cmd(s, FST_VERB_SYST, 0);
	assert_int_equal(type->reply_code, 200);
	assert_int_equal(pwd->reply_code, 257);
	assert_int_equal(syst->reply_code, 215);
	assert_int_equal(type->ts_us, t_cmd);
	assert_int_equal(type->reply_ts_us - type->ts_us, 40000);
	assert_int_equal(pwd->reply_ts_us - pwd->ts_us, 90000);
	assert_int_equal(syst->reply_ts_us - syst->ts_us, 250000);
	assert_string_equal(fst_ftp_command_reply_text(s, syst), "UNIX Type: L8");
	assert_string_equal(s->type, "I");
	assert_string_equal(s->cwd, "/home/alice");
	assert_string_equal(s->syst, "UNIX Type: L8");
	assert_events(n->rec, s,
		      "open R:220 C:USER R:331>USER C:PASS R:230>PASS C:TYPE C:PWD C:SYST "
		      "R:200>TYPE R:257>PWD R:215>SYST");
	assert_turns(n->rec, s,
		     "client/control server/control client/control server/control "
		     "client/control server/control server/control server/control "
		     "server/control server/control client/control");
	net_free(n);
}

static void test_response_time(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *user;
	const struct rec_ev *reply;
	struct conn c;
	int64_t t_cmd;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	t_cmd = n->now;
	cl(&c, "USER alice\r\n");
	n->now = t_cmd + 1500000;
	sv(&c, "331 Password required\r\n");
	user = find_cmd(s, FST_VERB_USER, 0);
	assert_int_equal(user->ts_us, t_cmd);
	assert_int_equal(user->reply_ts_us, t_cmd + 1500000);
	assert_int_equal(user->reply_ts_us - user->ts_us, 1500000);
	assert_int_equal(s->replies[1].ts_us, t_cmd + 1500000);
	reply = last_of(n->rec, FST_FTP_EV_REPLY);
	assert_true(reply->has_command);
	assert_int_equal(reply->command_reply_code, 331);
	assert_int_equal(reply->ts_us, t_cmd + 1500000);
	net_free(n);
}

static void test_preliminary_keeps_command_pending(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *list, *noop;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	cl(&c, "LIST\r\n");
	sv(&c, "150 Here comes the directory listing.\r\n");
	list = find_cmd(s, FST_VERB_LIST, 0);
	assert_int_equal(list->preliminary_code, 150);
	assert_int_equal(list->reply_code, 0);
	assert_int_equal(list->reply_ts_us, 0);
	assert_true(s->turn.side != FST_SIDE_CLIENT || s->turn.channel == FST_CHANNEL_DATA);
	/* A command sent while the transfer runs queues behind LIST. */
	cl(&c, "NOOP\r\n");
	sv(&c, "226 Directory send OK.\r\n");
	/* The records may have moved: the array grows with each command. */
	list = find_cmd(s, FST_VERB_LIST, 0);
	assert_int_equal(list->reply_code, 226);
	assert_int_equal(list->preliminary_code, 150);
	noop = find_cmd(s, FST_VERB_NOOP, 0);
	assert_int_equal(noop->reply_code, 0);
	assert_turn(s, "server/control");
	sv(&c, "200 NOOP ok.\r\n");
	assert_int_equal(noop->reply_code, 200);
	assert_int_equal(noop->preliminary_code, 0);
	assert_turn(s, "client/control");
	/* The 150 is recorded as a reply but answers nothing finally. */
	assert_lines(n->rec, s,
		     "open R:220 C:USER R:331>USER C:PASS R:230>PASS C:PASV R:227>PASV "
		     "C:LIST R:150 C:NOOP R:226>LIST R:200>NOOP");
	assert_outcome(only_transfer(s), FST_OUTCOME_COMPLETE);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_END), 1);
	net_free(n);
}

static void test_greeting_not_paired_with_pipelined_command(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *user;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	/* Some clients send USER before the banner arrives. */
	cl(&c, "USER alice\r\n");
	sv(&c, "220 (vsFTPd 3.0.3)\r\n");
	sv(&c, "331 Please specify the password.\r\n");
	user = find_cmd(s, FST_VERB_USER, 0);
	assert_int_equal(s->reply_count, 2);
	assert_true(s->replies[0].unsolicited);
	assert_false(s->replies[1].unsolicited);
	assert_string_equal(s->banner, "(vsFTPd 3.0.3)");
	assert_non_null(s->software);
	assert_string_equal(s->software, "vsftpd");
	assert_int_equal(user->reply_code, 331);
	assert_int_equal(user->reply_ts_us, s->replies[1].ts_us);
	assert_turn(s, "client/control");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* line handling */

static void test_feat_multiline(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "FEAT\r\n");
	sv(&c, "211-Features:\r\n MDTM\r\n REST STREAM\r\n");
	assert_turn(s, "server/control"); /* reply not finished */
	sv(&c, " SIZE\r\n UTF8\r\n211 End\r\n");
	assert_turn(s, "client/control");
	assert_string_equal(s->features, "MDTM REST STREAM SIZE UTF8");
	assert_int_equal(s->replies[s->reply_count - 1].code, 211);
	assert_int_equal(s->replies[s->reply_count - 1].lines, 6);
	assert_string_equal(s->replies[s->reply_count - 1].text, "Features:");
	assert_int_equal(find_cmd(s, FST_VERB_FEAT, 0)->reply_code, 211);
	assert_events(n->rec, s,
		      "open R:220 C:USER R:331>USER C:PASS R:230>PASS C:FEAT R:211>FEAT");
	net_free(n);
}

static void test_multiline_banner(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
	       "220-You are user number 1 of 50 allowed.\r\n");
	assert_state(s, FST_FTP_CONNECTED); /* not finished yet */
	assert_turn(s, "server/control");
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_REPLY), 0);
	sv(&c, "220-Local time is now 10:00. Server port: 21.\r\n"
	       "220 You will be disconnected after 15 minutes of inactivity.\r\n");
	assert_state(s, FST_FTP_GREETED);
	assert_turn(s, "client/control");
	assert_int_equal(s->reply_count, 1);
	assert_int_equal(s->replies[0].lines, 4);
	assert_int_equal(s->replies[0].code, 220);
	assert_string_equal(s->banner, "--------- Welcome to Pure-FTPd [privsep] [TLS] ----------");
	assert_non_null(s->software);
	assert_string_equal(s->software, "Pure-FTPd");
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_REPLY), 1);
	net_free(n);
}

static void test_lf_only_line_ends(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\n");
	cl(&c, "USER alice\n");
	sv(&c, "331 Password please\n");
	cl(&c, "PASS x\n");
	sv(&c, "230 ok\n");
	cl(&c, "CWD /pub\n");
	sv(&c, "250 ok\n");
	assert_state(s, FST_FTP_READY);
	assert_turn(s, "client/control");
	assert_string_equal(s->user_name, "alice");
	assert_string_equal(s->cwd, "/pub");
	assert_string_equal(s->banner, "ready");
	assert_string_equal(find_cmd(s, FST_VERB_CWD, 0)->cmd.arg, "/pub");
	assert_int_equal(s->anomalies, 0);
	net_free(n);
}

static void test_lines_split_across_segments(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "22");
	assert_int_equal(s->reply_count, 0);
	sv(&c, "0 hel");
	sv(&c, "lo\r");
	assert_int_equal(s->reply_count, 0);
	sv(&c, "\n");
	assert_int_equal(s->reply_count, 1);
	assert_string_equal(s->banner, "hello");
	cl(&c, "US");
	cl(&c, "ER carol\r\n");
	assert_string_equal(s->user_name, "carol");
	assert_int_equal(s->command_count, 1);
	net_free(n);
}

static void test_telnet_iac_before_abor(void **state)
{
	static const char abor[] = "\xff\xf4\xff\xf2"
				   "ABOR\r\n"; /* IAC IP IAC DM */
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *rec;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	send_bytes(&c, FST_DIR_CLIENT, abor, sizeof(abor) - 1);
	rec = find_cmd(s, FST_VERB_ABOR, 0);
	assert_string_equal(rec->cmd.verb_text, "ABOR");
	assert_string_equal(rec->cmd.arg, "");
	assert_int_equal(s->anomalies, 0);
	assert_turn(s, "server/control");
	sv(&c, "225 No transfer to ABOR.\r\n");
	assert_int_equal(rec->reply_code, 225);
	assert_turn(s, "client/control");
	net_free(n);
}

static void test_overlong_line(void **state)
{
	struct fst_ftp_cfg cfg = { .max_line = 64 };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	char chunk[101];
	struct conn c;

	(void)state;
	memset(chunk, 'A', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	/* One line of 5 + 300 bytes over four segments. */
	cl(&c, "SITE ");
	cl(&c, chunk);
	cl(&c, chunk);
	cl(&c, chunk);
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_LINE_TOO_LONG), 1);
	cl(&c, "\r\nNOOP\r\n");
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_LINE_TOO_LONG), 1);
	assert_int_equal(fst_ftp_stats(n->ftp)->anomalies[FST_ANOMALY_LINE_TOO_LONG], 1);
	assert_int_equal(s->anomalies, 1);
	/* Parsing went on with the next line. */
	assert_int_equal(s->commands[s->command_count - 1].cmd.verb, FST_VERB_NOOP);
	assert_string_equal(s->commands[s->command_count - 1].cmd.arg, "");
	cl(&c, "PWD\r\n");
	assert_int_equal(s->commands[s->command_count - 1].cmd.verb, FST_VERB_PWD);
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_LINE_TOO_LONG), 1);
	net_free(n);
}

/* A line the reader had to cut must not be recorded as if it were whole:
 * if the cut line becomes a command record, its argument is marked
 * truncated (the header's arg_truncated). */
static void test_overlong_command_marked_truncated(void **state)
{
	struct fst_ftp_cfg cfg = { .max_line = 64 };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	char line[256];
	struct conn c;

	(void)state;
	memset(line, 'B', sizeof(line));
	memcpy(line, "RETR ", 5);
	memcpy(line + 200, "\r\n", 3);
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, line);
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_LINE_TOO_LONG), 1);
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *rec = &s->commands[i];

		if (rec->cmd.verb == FST_VERB_RETR)
			assert_true(rec->cmd.arg_truncated);
	}
	net_free(n);
}

static bool contains(const void *hay, size_t len, const char *needle)
{
	return len && memmem(hay, len, needle, strlen(needle)) != NULL;
}

static void test_pass_redacted(void **state)
{
	static const char *const secrets[] = { "Zq9-secret-Xw7", "Zq9-sec", "ret-Xw7",
					       "Kp4-other-Vv2" };
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 ready\r\n");
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Password required\r\n");
	cl(&c, "PASS Zq9-sec"); /* split inside the password */
	cl(&c, "ret-Xw7\r\n");
	sv(&c, "530 Login incorrect.\r\n");
	cl(&c, "pass Kp4-other-Vv2\n"); /* lower case, LF only */
	sv(&c, "230 ok\r\n");
	assert_state(s, FST_FTP_READY);
	assert_string_equal(find_cmd(s, FST_VERB_PASS, 0)->cmd.arg, FST_FTP_REDACTED);
	assert_string_equal(find_cmd(s, FST_VERB_PASS, 1)->cmd.arg, FST_FTP_REDACTED);
	for (size_t i = 0; i < ARRAY_SIZE(secrets); i++) {
		assert_false(
			contains(s->commands, s->command_count * sizeof(*s->commands), secrets[i]));
		assert_false(
			contains(s->replies, s->reply_count * sizeof(*s->replies), secrets[i]));
		assert_false(contains(s, sizeof(*s), secrets[i]));
		assert_false(contains(n->rec->ev, n->rec->n * sizeof(n->rec->ev[0]), secrets[i]));
	}
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* data connections */

static void test_pasv_retr_transfer(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	const struct fst_ftp_command_rec *retr;
	struct conn c, d;
	int64_t t_first, t_last;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	assert_turn(s, "server/control");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	assert_state(s, FST_FTP_DATA_SETUP);
	assert_turn(s, "client/control");
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	cl(&c, "RETR file.bin\r\n");
	assert_turn(s, "server/control");
	sv(&c, "150 Opening BINARY mode data connection for file.bin (2960 bytes).\r\n");
	assert_state(s, FST_FTP_TRANSFERRING);
	assert_turn(s, "server/data");
	retr = find_cmd(s, FST_VERB_RETR, 0);
	assert_int_equal(retr->preliminary_code, 150);
	assert_int_equal(retr->reply_code, 0);

	t_first = n->now;
	send_fill(&d, FST_DIR_SERVER, 1000);
	send_ack(&d, FST_DIR_CLIENT);
	send_cut(&d, FST_DIR_SERVER, fill, 1460, 100); /* snaplen cut */
	t_last = n->now;
	send_fill(&d, FST_DIR_SERVER, 500);
	assert_turn(s, "server/data");
	send_fin(&d, FST_DIR_SERVER);
	assert_turn(s, "server/control"); /* owes the 226 */
	send_fin(&d, FST_DIR_CLIENT);
	send_ack(&d, FST_DIR_SERVER);
	assert_turn(s, "server/control");
	sv(&c, "226 Transfer complete.\r\n");
	assert_state(s, FST_FTP_READY);
	assert_turn(s, "client/control");

	t = only_transfer(s);
	assert_int_equal(t->id, 1);
	assert_int_equal(t->verb, FST_VERB_RETR);
	assert_string_equal(t->file, "file.bin");
	assert_string_equal(fst_transfer_mode_name(t->mode), "passive");
	assert_string_equal(fst_side_name(t->sender), "server");
	assert_int_equal(t->bytes, 2960);
	assert_int_equal(t->gap_bytes, 0);
	assert_int_equal(t->start_us, t_first);
	assert_int_equal(t->end_us, t_last);
	assert_int_equal(t->command_ts_us, retr->ts_us);
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	assert_int_equal(t->reply_code, 226);
	assert_string_equal(fst_side_name(t->closed_by), "server");
	assert_false(t->closed_by_rst);
	assert_true(t->data_seen);
	assert_true(t->data_done);
	assert_false(t->nat_address);
	assert_false(t->has_rest);
	assert_false(t->control_ended_first);
	assert_int_equal(retr->reply_code, 226);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_START), 1);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_END), 1);
	assert_int_equal(last_of(n->rec, FST_FTP_EV_TRANSFER_START)->ts_us, t_first);
	/* TCP events of the data connection carry the transfer. */
	for (size_t i = 0; i < n->rec->n; i++) {
		const struct rec_ev *e = &n->rec->ev[i];

		if (e->kind == FST_FTP_EV_TCP && e->channel == FST_CHANNEL_DATA &&
		    e->tcp_kind == FST_TCP_EV_FIN) {
			assert_true(e->has_transfer);
			assert_int_equal(e->transfer.id, 1);
		}
	}
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>data_setup data_setup>transferring transferring>ready");
	net_free(n);
}

/* The data channel's DATA events, copied to out (up to max); returns
 * how many there are. */
static size_t data_events(const struct recorder *r, const struct rec_ev **out, size_t max)
{
	size_t count = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];

		if (e->kind == FST_FTP_EV_TCP && e->channel == FST_CHANNEL_DATA &&
		    e->tcp_kind == FST_TCP_EV_DATA) {
			if (count < max)
				out[count] = e;
			count++;
		}
	}
	return count;
}

/* With cfg.data_pause_us, a transfer's segments that follow each other
 * closely are counted at once and delivered as one DATA event (the
 * newest of them, their bytes), before a segment after a pause, before
 * any other event of the session, and at fst_ftp_flush; without it,
 * each is an event of its own. */
static void test_data_segments_held_between_pauses(void **state)
{
	const struct fst_ftp_cfg cfg = { .data_pause_us = 10 * STEP_US };
	const struct rec_ev *ev[16];
	const struct fst_ftp_transfer *t;
	struct fst_ftp_session *s;
	int64_t held_last, after_pause, noop_us;
	size_t noop_at = 0;
	struct conn c, d;
	struct net *n;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		n = net_new(pass ? &cfg : NULL);
		control_open(&c, n);
		s = only_session(n);
		login(&c);
		cl(&c, "PASV\r\n");
		sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
		conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
		cl(&c, "RETR file.bin\r\n");
		sv(&c, "150 Opening BINARY mode data connection.\r\n");
		for (int i = 0; i < 5; i++)
			send_fill(&d, FST_DIR_SERVER, 1000);
		held_last = n->now - STEP_US;
		t = only_transfer(s);
		/* The transfer counts every segment at once. */
		assert_int_equal(t->bytes, 5000);
		assert_int_equal(t->end_us, held_last);
		assert_int_equal(data_events(n->rec, ev, 16), pass ? 1 : 5);

		n->now += 20 * STEP_US; /* a pause of data_pause_us or more */
		after_pause = n->now;
		send_fill(&d, FST_DIR_SERVER, 500);
		assert_int_equal(data_events(n->rec, ev, 16), pass ? 3 : 6);
		if (pass) {
			assert_int_equal(ev[1]->ts_us, held_last);
			assert_int_equal(ev[1]->tcp_len, 4000);
			assert_int_equal(ev[2]->ts_us, after_pause);
			assert_int_equal(ev[2]->tcp_len, 500);
		}

		/* A command: what was held comes first. */
		send_fill(&d, FST_DIR_SERVER, 100);
		send_fill(&d, FST_DIR_SERVER, 100);
		held_last = n->now - STEP_US;
		noop_us = n->now;
		cl(&c, "NOOP\r\n");
		assert_int_equal(data_events(n->rec, ev, 16), pass ? 4 : 8);
		for (size_t i = 0; i < n->rec->n; i++)
			if (n->rec->ev[i].kind == FST_FTP_EV_COMMAND)
				noop_at = i;
		assert_true(ev[pass ? 3 : 7] < &n->rec->ev[noop_at]);
		assert_int_equal(n->rec->ev[noop_at].ts_us, noop_us);
		assert_int_equal(ev[pass ? 3 : 7]->ts_us, held_last);
		if (pass)
			assert_int_equal(ev[3]->tcp_len, 200);

		/* fst_ftp_flush delivers at once. */
		send_fill(&d, FST_DIR_SERVER, 1000);
		send_fill(&d, FST_DIR_SERVER, 1000);
		fst_ftp_flush(n->ftp);
		assert_int_equal(data_events(n->rec, ev, 16), pass ? 6 : 10);
		assert_int_equal(ev[pass ? 5 : 9]->ts_us, n->now - STEP_US);

		send_fin(&d, FST_DIR_SERVER);
		send_fin(&d, FST_DIR_CLIENT);
		sv(&c, "226 Transfer complete.\r\n");
		t = only_transfer(s);
		assert_int_equal(t->bytes, 7700);
		assert_outcome(t, FST_OUTCOME_COMPLETE);
		net_free(n);
	}
}

static void test_pasv_stor_turn_on_data_channel(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "TYPE I\r\n");
	sv(&c, "200 Switching to Binary mode.\r\n");
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,81).\r\n"); /* 50001 */
	cl(&c, "STOR upload.dat\r\n");
	assert_turn(s, "server/control");
	/* This client connects after sending STOR. */
	conn_open(&d, n, CLIENT_IP, 54401, SERVER_IP, 50001);
	sv(&c, "150 Ok to send data.\r\n");
	assert_state(s, FST_FTP_TRANSFERRING);
	assert_turn(s, "client/data");
	send_fill(&d, FST_DIR_CLIENT, 4000);
	send_fill(&d, FST_DIR_CLIENT, 96);
	assert_turn(s, "client/data");
	send_fin(&d, FST_DIR_CLIENT);
	assert_turn(s, "server/control");
	send_fin(&d, FST_DIR_SERVER);
	send_ack(&d, FST_DIR_CLIENT);
	sv(&c, "226 Transfer complete.\r\n");
	assert_turn(s, "client/control");
	assert_state(s, FST_FTP_READY);
	t = only_transfer(s);
	assert_int_equal(t->verb, FST_VERB_STOR);
	assert_string_equal(t->file, "upload.dat");
	assert_string_equal(fst_transfer_mode_name(t->mode), "passive");
	assert_string_equal(fst_side_name(t->sender), "client");
	assert_int_equal(t->bytes, 4096);
	assert_string_equal(fst_side_name(t->closed_by), "client");
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	assert_true(t->data_seen);
	assert_string_equal(s->type, "I");
	net_free(n);
}

static void test_port_active_retr(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PORT 192,0,2,10,200,10\r\n"); /* 51210 */
	assert_turn(s, "server/control");
	sv(&c, "200 PORT command successful.\r\n");
	assert_state(s, FST_FTP_DATA_SETUP);
	assert_turn(s, "client/control");
	cl(&c, "RETR notes.txt\r\n");
	/* The server connects from its port 20 to the client's port. */
	conn_open(&d, n, SERVER_IP, 20, CLIENT_IP, 51210);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	assert_state(s, FST_FTP_TRANSFERRING);
	assert_turn(s, "server/data");
	/* On the data connection the FTP server is the TCP client. */
	send_fill(&d, FST_DIR_CLIENT, 3000);
	send_ack(&d, FST_DIR_SERVER);
	/* Bytes from the FTP client are not file data. */
	send_fill(&d, FST_DIR_SERVER, 7);
	send_fin(&d, FST_DIR_CLIENT);
	assert_turn(s, "server/control");
	send_fin(&d, FST_DIR_SERVER);
	send_ack(&d, FST_DIR_CLIENT);
	sv(&c, "226 Transfer complete.\r\n");
	assert_turn(s, "client/control");
	t = only_transfer(s);
	assert_string_equal(fst_transfer_mode_name(t->mode), "active");
	assert_string_equal(fst_side_name(t->sender), "server");
	assert_int_equal(t->bytes, 3000);
	assert_string_equal(fst_side_name(t->closed_by), "server");
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	assert_true(t->data_seen);
	assert_false(t->nat_address);
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>data_setup data_setup>transferring transferring>ready");
	net_free(n);
}

/* An active-mode data connection picked up mid-stream: the TCP layer
 * guesses the higher port (the FTP client's listener) is the TCP client,
 * and fst_ftp corrects that for the new flow before its first packet is
 * handled, so the first segment counts. With first_window 0 the first
 * event of the flow is a zero window, not the data. */
static void run_active_mid_stream(uint16_t first_window)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PORT 192,0,2,10,234,96\r\n"); /* 60000 */
	sv(&c, "200 PORT command successful.\r\n");
	cl(&c, "RETR f\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	conn_init(&d, n, SERVER_IP, 20, CLIENT_IP, 60000);
	d.window[FST_DIR_CLIENT] = first_window;
	send_fill(&d, FST_DIR_CLIENT, 1000);
	d.window[FST_DIR_CLIENT] = 65535;
	for (int i = 0; i < 4; i++)
		send_fill(&d, FST_DIR_CLIENT, 1000);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	t = only_transfer(s);
	assert_string_equal(fst_side_name(t->sender), "server");
	assert_int_equal(t->bytes, 5000);
	net_free(n);
}

static void test_port_active_mid_stream(void **state)
{
	(void)state;
	run_active_mid_stream(65535);
}

static void test_port_active_mid_stream_zero_window_first(void **state)
{
	(void)state;
	run_active_mid_stream(0);
}

static void test_epsv_ipv6(void **state)
{
	static const char cip[] = "2001:db8::10", sip[] = "2001:db8::20";
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	conn_open(&c, n, cip, 50123, sip, 21);
	s = only_session(n);
	assert_int_equal(s->server_addr.family, 6);
	login(&c);
	cl(&c, "EPSV\r\n");
	sv(&c, "229 Entering Extended Passive Mode (|||50002|)\r\n");
	assert_state(s, FST_FTP_DATA_SETUP);
	conn_open(&d, n, cip, 50124, sip, 50002);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	cl(&c, "LIST -a\r\n");
	sv(&c, "150 Here comes the directory listing.\r\n");
	assert_turn(s, "server/data");
	send_fill(&d, FST_DIR_SERVER, 700);
	send_fin(&d, FST_DIR_SERVER);
	assert_turn(s, "server/control");
	send_fin(&d, FST_DIR_CLIENT);
	send_ack(&d, FST_DIR_SERVER);
	sv(&c, "226 Directory send OK.\r\n");
	t = only_transfer(s);
	assert_int_equal(t->verb, FST_VERB_LIST);
	assert_string_equal(fst_transfer_mode_name(t->mode), "passive");
	assert_string_equal(fst_side_name(t->sender), "server");
	assert_int_equal(t->bytes, 700);
	assert_true(t->data_seen);
	assert_false(t->nat_address);
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	net_free(n);
}

static struct fst_ftp_data_attempt unclaimed_of(const struct fst_ftp_session *s)
{
	struct fst_ftp_data_attempt a;

	fst_ftp_unclaimed_attempt(s, &a);
	return a;
}

static const char *unclaimed_connect(const struct fst_ftp_session *s)
{
	return fst_data_connect_name(unclaimed_of(s).connect);
}

/* A SYN to the announced port, sent again, never answered: the client
 * connects before its RETR (as ftplib does), so the attempt is first
 * unclaimed, then the RETR claims it; the server's 425 fails the
 * transfer. The attempt stays unanswered with its address and port. */
static void test_pasv_syn_unanswered(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, d.nxt[FST_DIR_CLIENT], 0, NULL, 0, 0);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	assert_string_equal(unclaimed_connect(s), "unanswered");
	assert_int_equal(unclaimed_of(s).syn_us, n->now - STEP_US);
	n->now += 1000 * STEP_US;
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, d.nxt[FST_DIR_CLIENT], 0, NULL, 0, 0);
	cl(&c, "RETR file.bin\r\n");
	assert_string_equal(unclaimed_connect(s), "none");
	n->now += 3000 * STEP_US;
	sv(&c, "425 Failed to establish connection.\r\n");
	t = only_transfer(s);
	assert_outcome(t, FST_OUTCOME_FAILED);
	assert_true(t->data_seen);
	assert_string_equal(fst_data_connect_name(t->data_connect), "unanswered");
	assert_string_equal(fst_transfer_mode_name(t->mode), "passive");
	assert_int_equal(t->data_server_port, 50000);
	assert_true(fst_addr_equal(&t->data_server_addr, &c.addr[FST_DIR_SERVER]));
	assert_true(t->data_announced);
	close_both(&c, FST_DIR_CLIENT);
	fst_tcp_finish(n->tcp);
	/* Only SYNs to the end: still unanswered. */
	assert_string_equal(fst_data_connect_name(only_transfer(s)->data_connect), "unanswered");
	net_free(n);
}

/* The listener answers the SYN with a reset; the client gives up before
 * any transfer command (curl does so): the unclaimed attempt is refused.
 * A later PASV whose connection opens and is claimed by RETR clears it. */
static void test_pasv_syn_refused_unclaimed(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, d, d2;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "EPSV\r\n");
	sv(&c, "229 Entering Extended Passive Mode (|||50000|)\r\n");
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, d.nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	seg(&d, FST_DIR_SERVER, FST_TCP_RST | FST_TCP_ACK, 0, d.nxt[FST_DIR_CLIENT], NULL, 0, 0);
	assert_string_equal(unclaimed_connect(s), "refused");
	assert_int_equal(unclaimed_of(s).to_port, 50000);
	assert_int_equal(unclaimed_of(s).announced_port, 50000);
	assert_int_equal(s->transfer_count, 0);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,81).\r\n");
	conn_open(&d2, n, CLIENT_IP, 54401, SERVER_IP, 50001);
	assert_string_equal(unclaimed_connect(s), "opened");
	cl(&c, "LIST\r\n");
	assert_string_equal(unclaimed_connect(s), "none");
	assert_string_equal(fst_data_connect_name(only_transfer(s)->data_connect), "opened");
	net_free(n);
}

/* Active mode: the server's SYN to the client's PORT address opens the
 * connection once the client's SYN-ACK comes; a connection whose
 * listener's answer the capture missed (the connecting side sends more
 * than SYNs) is opened, not unanswered. A RETR without a PASV or PORT
 * before it has no announcement of its own. */
static void test_port_syn_answered_and_unannounced(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PORT 192,0,2,10,195,80\r\n");
	sv(&c, "200 PORT command successful.\r\n");
	cl(&c, "RETR a.txt\r\n");
	conn_init(&d, n, SERVER_IP, 20, CLIENT_IP, 50000);
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, d.nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	t = only_transfer(s);
	assert_string_equal(fst_data_connect_name(t->data_connect), "unanswered");
	assert_string_equal(fst_transfer_mode_name(t->mode), "active");
	assert_true(t->data_announced);
	send_ack(&d, FST_DIR_CLIENT); /* the SYN-ACK was not captured */
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_fill(&d, FST_DIR_CLIENT, 100);
	t = only_transfer(s);
	assert_string_equal(fst_data_connect_name(t->data_connect), "opened");
	send_fin(&d, FST_DIR_CLIENT);
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "RETR b.txt\r\n");
	sv(&c, "425 Use PORT or PASV first.\r\n");
	assert_int_equal(s->transfer_count, 2);
	assert_false(s->transfers[1].data_announced);
	assert_string_equal(fst_data_connect_name(s->transfers[1].data_connect), "none");
	net_free(n);
}

/* When the data connection or the control connection ends, the data
 * flow's counters decide: a connecting side that sent more than SYNs (its ACK
 * of a SYN-ACK the capture missed) got an answer; one that only sent
 * SYNs and gave up with its own reset did not. */
static void test_data_handshake_settled_at_close(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, d, d2;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_init(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	seg(&d, FST_DIR_CLIENT, FST_TCP_SYN, d.nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	send_ack(&d, FST_DIR_CLIENT);
	cl(&c, "RETR a.txt\r\n");
	assert_string_equal(fst_data_connect_name(s->transfers[0].data_connect), "unanswered");
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,81).\r\n");
	conn_init(&d2, n, CLIENT_IP, 54401, SERVER_IP, 50001);
	seg(&d2, FST_DIR_CLIENT, FST_TCP_SYN, d2.nxt[FST_DIR_CLIENT], 0, NULL, 0, 0);
	seg(&d2, FST_DIR_CLIENT, FST_TCP_SYN, d2.nxt[FST_DIR_CLIENT]++, 0, NULL, 0, 0);
	cl(&c, "RETR b.txt\r\n");
	send_rst(&d2, FST_DIR_CLIENT);
	/* Control ends first: d is still open, its counters decide. */
	close_both(&c, FST_DIR_CLIENT);
	assert_int_equal(s->transfer_count, 2);
	assert_string_equal(fst_data_connect_name(s->transfers[0].data_connect), "opened");
	assert_string_equal(fst_data_connect_name(s->transfers[1].data_connect), "unanswered");
	fst_tcp_finish(n->tcp);
	assert_string_equal(fst_data_connect_name(s->transfers[0].data_connect), "opened");
	net_free(n);
}

static void test_pasv_nat_address(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d, stray;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	/* The server behind NAT announces its private address. */
	sv(&c, "227 Entering Passive Mode (10,0,0,5,195,82).\r\n"); /* 50002 */
	/* A connection to the port on an unrelated host is not it. */
	conn_open(&stray, n, CLIENT_IP, 54402, "203.0.113.99", 50002);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 0);
	conn_open(&d, n, CLIENT_IP, 54403, SERVER_IP, 50002);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	cl(&c, "RETR a.txt\r\n");
	sv(&c, "150 Opening data connection.\r\n");
	send_fill(&d, FST_DIR_SERVER, 10);
	send_fin(&d, FST_DIR_SERVER);
	sv(&c, "226 Transfer complete.\r\n");
	t = only_transfer(s);
	assert_true(t->data_seen);
	assert_true(t->nat_address);
	assert_string_equal(fst_transfer_mode_name(t->mode), "passive");
	assert_int_equal(t->bytes, 10);
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	net_free(n);
}

static void test_rest_then_retr(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	cl(&c, "REST 1048576\r\n");
	sv(&c, "350 Restart position accepted (1048576).\r\n");
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	sv(&c, "226 Transfer complete.\r\n");
	/* The restart offset is used once. */
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,83).\r\n");
	cl(&c, "RETR small.txt\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	sv(&c, "226 Transfer complete.\r\n");
	assert_int_equal(s->transfer_count, 2);
	assert_true(s->transfers[0].has_rest);
	assert_int_equal(s->transfers[0].rest_offset, 1048576);
	assert_string_equal(s->transfers[0].file, "big.iso");
	assert_false(s->transfers[1].has_rest);
	assert_int_equal(s->transfers[1].rest_offset, 0);
	assert_int_equal(s->transfers[1].id, 2);
	net_free(n);
}

static void test_retr_fails_550(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	cl(&c, "RETR missing.txt\r\n");
	sv(&c, "550 Failed to open file.\r\n");
	assert_state(s, FST_FTP_READY);
	assert_turn(s, "client/control");
	t = only_transfer(s);
	assert_outcome(t, FST_OUTCOME_FAILED);
	assert_int_equal(t->reply_code, 550);
	assert_false(t->data_seen);
	assert_int_equal(t->bytes, 0);
	assert_int_equal(t->start_us, 0);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_START), 0);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_END), 1);
	assert_states(n->rec, s,
		      "connected>greeted greeted>authenticating authenticating>ready "
		      "ready>data_setup data_setup>ready");
	net_free(n);
}

/* RFC 959 (ABOR): with the transfer running the server answers the
 * transfer command with 426 and then ABOR with 226. */
static void test_abor_aborts_transfer(void **state)
{
	static const char abor[] = "\xff\xf4\xff\xf2"
				   "ABOR\r\n";
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_open(&d, n, CLIENT_IP, 54404, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_fill(&d, FST_DIR_SERVER, 1460);
	send_fill(&d, FST_DIR_SERVER, 1460);
	send_bytes(&c, FST_DIR_CLIENT, abor, sizeof(abor) - 1);
	assert_turn(s, "server/data");
	send_rst(&d, FST_DIR_SERVER);
	assert_turn(s, "server/control");
	sv(&c, "426 Connection closed; transfer aborted.\r\n");
	assert_turn(s, "server/control"); /* ABOR still owed */
	sv(&c, "226 Closing data connection.\r\n");
	assert_turn(s, "client/control");
	assert_state(s, FST_FTP_READY);
	assert_int_equal(find_cmd(s, FST_VERB_RETR, 0)->reply_code, 426);
	assert_int_equal(find_cmd(s, FST_VERB_ABOR, 0)->reply_code, 226);
	t = only_transfer(s);
	assert_int_equal(t->bytes, 2920);
	assert_true(t->closed_by_rst);
	assert_string_equal(fst_side_name(t->closed_by), "server");
	assert_outcome(t, FST_OUTCOME_ABORTED);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_TRANSFER_END), 1);
	net_free(n);
}

/* ABOR after the transfer already finished leaves it complete. */
static void test_abor_after_complete(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	cl(&c, "RETR a\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "ABOR\r\n");
	sv(&c, "225 No transfer to ABOR.\r\n");
	assert_outcome(only_transfer(s), FST_OUTCOME_COMPLETE);
	net_free(n);
}

static void test_control_closed_before_final_reply(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_open(&d, n, CLIENT_IP, 54405, SERVER_IP, 50000);
	cl(&c, "STOR big.iso\r\n");
	sv(&c, "150 Ok to send data.\r\n");
	send_fill(&d, FST_DIR_CLIENT, 4096);
	/* A middlebox kills the idle control connection. */
	send_rst(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	assert_turn(s, "none/control");
	t = only_transfer(s);
	assert_outcome(t, FST_OUTCOME_UNKNOWN);
	assert_int_equal(t->reply_code, 0);
	assert_true(t->control_ended_first);
	assert_int_equal(t->bytes, 4096);
	assert_events(n->rec, s,
		      "open R:220 C:USER R:331>USER C:PASS R:230>PASS C:PASV R:227>PASV "
		      "C:STOR R:150 T+:1 T-:1:unknown close");
	net_free(n);
}

/* SESSION_CLOSE is "the last event of a session" (ftp.h): a data
 * connection that only starts sending after the control connection died
 * must not produce events for the closed session. */
static void test_no_event_after_session_close(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_open(&d, n, CLIENT_IP, 54406, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_rst(&c, FST_DIR_CLIENT);
	assert_state(s, FST_FTP_CLOSED);
	send_fill(&d, FST_DIR_SERVER, 1000);
	send_fin(&d, FST_DIR_SERVER);
	send_fin(&d, FST_DIR_CLIENT);
	send_ack(&d, FST_DIR_SERVER);
	net_finish(n);
	t = only_transfer(s);
	assert_outcome(t, FST_OUTCOME_UNKNOWN);
	if (n->rec->after_close)
		fail_msg("%zu event(s) after SESSION_CLOSE, first: %s", n->rec->after_close,
			 n->rec->after_close_what);
	assert_int_equal(n->rec->ev[n->rec->n - 1].kind, FST_FTP_EV_SESSION_CLOSE);
	net_free(n);
}

/* ftp.h: FST_FTP_EV_TCP is a "tcp event on channel (not DATA on
 * control)": control bytes arrive as COMMAND/REPLY instead. */
/* Control-channel DATA is forwarded too: the analysis measures idle
 * gaps from it (and it is all there is inside TLS). */
static void test_tcp_events_include_control_data(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c);
	close_both(&c, FST_DIR_CLIENT);
	assert_true(count_kind(n->rec, FST_FTP_EV_TCP) > 0); /* FIN, CLOSE, ... */
	assert_true(n->rec->control_data_tcp > 0);
	net_free(n);
}

static void test_expired_expectation(void **state)
{
	struct fst_ftp_cfg cfg = { .expect_timeout_us = 2 * FST_US_PER_SEC };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	struct conn c, d1, d2;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	n->now += 5 * FST_US_PER_SEC;
	/* Two late connections to the announced port: one expectation
	 * expired, neither connection is a data connection. */
	conn_open(&d1, n, CLIENT_IP, 54410, SERVER_IP, 50000);
	conn_open(&d2, n, CLIENT_IP, 54411, SERVER_IP, 50000);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 0);
	cl(&c, "RETR late.bin\r\n");
	sv(&c, "425 Failed to establish connection.\r\n");
	assert_false(only_transfer(s)->data_seen);
	assert_outcome(only_transfer(s), FST_OUTCOME_FAILED);
	assert_int_equal(fst_ftp_stats(n->ftp)->expectations_expired, 1);
	net_free(n);
}

/* Bytes the capture lost on the control connection: the partial line
 * before the hole is dropped, the next line is parsed. */
static void test_control_gap_drops_partial_line(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;
	uint32_t base;
	size_t commands;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	commands = s->command_count;
	base = c.nxt[FST_DIR_CLIENT];
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, base, c.nxt[FST_DIR_SERVER], "NO", 2, 2);
	/* base + 2 .. base + 12 never captured */
	seg(&c, FST_DIR_CLIENT, FST_TCP_ACK | FST_TCP_PSH, base + 12, c.nxt[FST_DIR_SERVER],
	    "\r\nPWD\r\n", 7, 7);
	c.nxt[FST_DIR_CLIENT] = base + 19;
	send_ack(&c, FST_DIR_SERVER); /* acknowledges the hole */
	assert_int_equal(s->command_count, commands + 1);
	assert_int_equal(s->commands[commands].cmd.verb, FST_VERB_PWD);
	assert_int_equal(s->anomalies, 0);
	sv(&c, "257 \"/\" is the current directory\r\n");
	assert_int_equal(s->commands[commands].reply_code, 257);
	assert_turn(s, "client/control");
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* recognition */

static void test_greeting_autodetect(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2121);
	assert_null(fst_ftp_sessions(n->ftp));
	sv(&c, "220 ProFTPD Server ready\r\n");
	s = only_session(n);
	assert_true(s->detected_by_greeting);
	assert_false(s->mid_stream);
	assert_int_equal(s->server_port, 2121);
	assert_state(s, FST_FTP_GREETED);
	assert_turn(s, "client/control");
	assert_non_null(s->software);
	assert_string_equal(s->software, "ProFTPD");
	assert_string_equal(s->banner, "ProFTPD Server ready");
	cl(&c, "USER alice\r\n");
	assert_state(s, FST_FTP_AUTHENTICATING);
	assert_events(n->rec, s, "open R:220 C:USER");
	assert_states(n->rec, s, "connected>greeted greeted>authenticating");
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions, 1);
	net_free(n);
}

static void test_no_autodetect(void **state)
{
	struct fst_ftp_cfg cfg = { .no_autodetect = true };
	struct net *n = net_new(&cfg);
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2121);
	sv(&c, "220 ProFTPD Server ready\r\n");
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Password required\r\n");
	assert_null(fst_ftp_sessions(n->ftp));
	assert_int_equal(n->rec->n, 0);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions, 0);
	assert_int_equal(fst_ftp_stats(n->ftp)->unmatched_flows, 1);
	net_free(n);
}

static void test_configured_port(void **state)
{
	struct fst_ftp_cfg cfg = { .ports = { 2121 }, .port_count = 1, .no_autodetect = true };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	struct conn c, c21;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2121);
	s = only_session(n);
	assert_false(s->detected_by_greeting);
	sv(&c, "220 Welcome\r\n");
	assert_state(s, FST_FTP_GREETED);
	/* 21 is only the default: not watched when ports are given. */
	conn_open(&c21, n, CLIENT_IP, 54322, SERVER_IP, 21);
	sv(&c21, "220 Welcome\r\n");
	assert_ptr_equal(only_session(n), s);
	net_free(n);
}

static void test_smtp_is_not_ftp(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2525);
	sv(&c, "220 mail ESMTP\r\n");
	cl(&c, "EHLO x\r\n");
	sv(&c, "250-mail\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
	cl(&c, "MAIL FROM:<a@example.org>\r\n");
	sv(&c, "250 2.1.0 Ok\r\n");
	close_both(&c, FST_DIR_CLIENT);
	net_finish(n);
	assert_null(fst_ftp_sessions(n->ftp));
	assert_int_equal(n->rec->n, 0);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions, 0);
	net_free(n);
}

static void test_smtp_short_is_not_ftp(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2525);
	sv(&c, "220 mail ESMTP\r\n");
	cl(&c, "EHLO x\r\n");
	close_both(&c, FST_DIR_CLIENT);
	net_finish(n);
	assert_null(fst_ftp_sessions(n->ftp));
	assert_int_equal(n->rec->n, 0);
	net_free(n);
}

/* The commonest short SMTP dialogue ends in QUIT, a verb SMTP shares
 * with FTP: it must not turn an SMTP flow into an FTP session. */
static void test_smtp_with_quit_is_not_ftp(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 2525);
	sv(&c, "220 mail ESMTP\r\n");
	cl(&c, "EHLO x\r\n");
	sv(&c, "250 mail\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 2.0.0 Bye\r\n");
	close_both(&c, FST_DIR_SERVER);
	net_finish(n);
	assert_null(fst_ftp_sessions(n->ftp));
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions, 0);
	net_free(n);
}

static void test_http_is_not_ftp(void **state)
{
	struct net *n = net_new(NULL);
	struct conn c;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 54321, SERVER_IP, 8080);
	cl(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	sv(&c, "HTTP/1.1 200 OK\r\n\r\n");
	close_both(&c, FST_DIR_CLIENT);
	assert_null(fst_ftp_sessions(n->ftp));
	assert_int_equal(fst_ftp_stats(n->ftp)->unmatched_flows, 1);
	net_free(n);
}

static void test_mid_stream_control(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	/* The capture starts in the middle: no SYN, no greeting. */
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	cl(&c, "PWD\r\n");
	s = only_session(n);
	assert_true(s->mid_stream);
	assert_false(s->detected_by_greeting);
	assert_int_equal(s->server_port, 21);
	assert_int_equal(s->client_port, 54321);
	assert_state(s, FST_FTP_READY);
	assert_turn(s, "server/control");
	sv(&c, "257 \"/pub\" is the current directory\r\n");
	assert_turn(s, "client/control");
	assert_string_equal(s->cwd, "/pub");
	assert_int_equal(find_cmd(s, FST_VERB_PWD, 0)->reply_code, 257);
	assert_false(s->replies[0].unsolicited);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_OPEN), 1);
	net_free(n);
}

static void test_mid_stream_server_speaks_first(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	sv(&c, "226 Transfer complete.\r\n");
	s = only_session(n);
	assert_true(s->mid_stream);
	assert_int_equal(s->server_port, 21);
	assert_true(s->replies[0].unsolicited);
	cl(&c, "QUIT\r\n");
	assert_state(s, FST_FTP_CLOSING);
	sv(&c, "221 Goodbye.\r\n");
	assert_int_equal(find_cmd(s, FST_VERB_QUIT, 0)->reply_code, 221);
	net_free(n);
}

/* The capture lost only the handshake: the 220 it holds is the
 * greeting, with its banner and software, and the login is ahead. */
static void test_mid_stream_greeting(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	sv(&c, "220 (vsFTPd 3.0.3)\r\n");
	s = only_session(n);
	assert_true(s->mid_stream);
	assert_string_equal(s->banner, "(vsFTPd 3.0.3)");
	assert_non_null(s->software);
	assert_string_equal(s->software, "vsftpd");
	assert_state(s, FST_FTP_GREETED);
	assert_true(s->replies[0].unsolicited);
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Password required for alice\r\n");
	cl(&c, "PASS hunter2\r\n");
	sv(&c, "230 User alice logged in\r\n");
	assert_state(s, FST_FTP_READY);
	assert_int_equal(find_cmd(s, FST_VERB_USER, 0)->reply_code, 331);
	net_free(n);
}

/* Mid-stream, a 220 that answers a REIN, or that is not the first
 * reply, is no greeting. */
static void test_mid_stream_220_not_greeting(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, c2;

	(void)state;
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	cl(&c, "REIN\r\n");
	sv(&c, "220 (vsFTPd 3.0.3)\r\n");
	s = only_session(n);
	assert_string_equal(s->banner, "");
	assert_null(s->software);
	assert_int_equal(find_cmd(s, FST_VERB_REIN, 0)->reply_code, 220);

	conn_init(&c2, n, CLIENT_IP, 54322, SERVER_IP, 21);
	sv(&c2, "200 NOOP ok.\r\n");
	sv(&c2, "220 (vsFTPd 3.0.3)\r\n");
	s = fst_ftp_session_next(s);
	assert_non_null(s);
	assert_string_equal(s->banner, "");
	net_free(n);
}

/* session.end is the session's last packet: a data connection that
 * outlives the control connection moves it, and a session still open
 * when the capture ends ends at its own last packet, not the capture's. */
static void test_session_end_last_packet(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, d, other;
	int64_t data_last;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_open(&d, n, CLIENT_IP, 54407, SERVER_IP, 50000);
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	send_fill(&d, FST_DIR_SERVER, 1000);
	sv(&c, "226 Transfer complete.\r\n");
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye.\r\n");
	close_both(&c, FST_DIR_SERVER);
	/* The second FIN closed the control connection. */
	assert_int_equal(s->end_us, n->now - 2 * STEP_US);
	/* The tail of the data and the data FIN, after the control close. */
	send_fill(&d, FST_DIR_SERVER, 500);
	send_fin(&d, FST_DIR_SERVER);
	send_fin(&d, FST_DIR_CLIENT);
	send_ack(&d, FST_DIR_SERVER);
	data_last = n->now - 2 * STEP_US; /* its second FIN */
	/* Another connection's packets later still are not the session's. */
	conn_open(&other, n, "192.0.2.99", 40000, "203.0.113.9", 80);
	send_ack(&other, FST_DIR_CLIENT);
	net_finish(n);
	assert_int_equal(s->end_us, data_last);
	assert_int_equal(only_transfer(s)->bytes, 1500);
	net_free(n);
}

static void test_session_end_open_at_capture_end(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, other;
	int64_t last;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	last = n->now - STEP_US;
	conn_open(&other, n, "192.0.2.99", 40000, "203.0.113.9", 80);
	n->now += 5 * FST_US_PER_SEC;
	send_ack(&other, FST_DIR_CLIENT);
	net_finish(n);
	assert_state(s, FST_FTP_READY);
	assert_int_equal(s->end_us, last);
	net_free(n);
}

/* A data connection whose handshake the capture lacks: its bytes count
 * from the first one seen, with the hole it shows, not 0. */
static void test_data_without_handshake_counts(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	cl(&c, "RETR big.iso\r\n");
	sv(&c, "150 Opening BINARY mode data connection.\r\n");
	conn_init(&d, n, CLIENT_IP, 54408, SERVER_IP, 50000);
	send_fill(&d, FST_DIR_SERVER, 1000);
	d.nxt[FST_DIR_SERVER] += 500; /* lost by the capture, ACKed */
	send_fill(&d, FST_DIR_SERVER, 1000);
	send_ack(&d, FST_DIR_CLIENT);
	send_fin(&d, FST_DIR_SERVER);
	sv(&c, "226 Transfer complete.\r\n");
	t = only_transfer(s);
	assert_true(t->data_seen);
	assert_int_equal(t->bytes, 2500);
	assert_int_equal(t->gap_bytes, 500);
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	net_free(n);
}

/* The capture began during a download: the data connection (no
 * handshake, its PASV and RETR unseen) is kept until the mid-stream
 * session's 226 claims it; its bytes are the span seen, and bytes that
 * come after the 226 still count. Other hosts' flows are not taken. */
static void test_mid_stream_transfer_claims_data(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_transfer *t;
	struct conn c, d, stranger;
	int64_t data_first;

	(void)state;
	conn_init(&stranger, n, "192.0.2.77", 40001, SERVER_IP, 50001);
	send_fill(&stranger, FST_DIR_SERVER, 700);
	conn_init(&d, n, CLIENT_IP, 54410, SERVER_IP, 50000);
	data_first = n->now;
	send_fill(&d, FST_DIR_SERVER, 1000);
	d.nxt[FST_DIR_SERVER] += 300; /* lost by the capture, ACKed */
	send_fill(&d, FST_DIR_SERVER, 1000);
	send_ack(&d, FST_DIR_CLIENT);
	assert_null(fst_ftp_sessions(n->ftp));
	conn_init(&c, n, CLIENT_IP, 54321, SERVER_IP, 21);
	sv(&c, "226 Transfer complete.\r\n");
	s = only_session(n);
	t = only_transfer(s);
	assert_int_equal(t->verb, FST_VERB_UNKNOWN);
	assert_int_equal(t->sender, FST_SIDE_SERVER);
	assert_true(t->data_seen);
	assert_int_equal(t->data_server_port, 50000);
	assert_int_equal(t->bytes, 2300);
	assert_int_equal(t->gap_bytes, 300);
	assert_outcome(t, FST_OUTCOME_COMPLETE);
	assert_int_equal(t->reply_code, 226);
	/* The session began with its data connection. */
	assert_int_equal(s->start_us, data_first);
	/* The tail of the data and the FINs, captured after the 226. */
	send_fill(&d, FST_DIR_SERVER, 500);
	send_fin(&d, FST_DIR_SERVER);
	send_fin(&d, FST_DIR_CLIENT);
	assert_int_equal(t->bytes, 2800);
	assert_int_equal(t->closed_by, FST_SIDE_SERVER);
	assert_int_equal(fst_ftp_stats(n->ftp)->data_connections, 1);
	net_finish(n);
	/* The session ends with the data connection, at the client's FIN. */
	assert_int_equal(s->end_us, t->end_us + 2 * STEP_US);
	net_free(n);
}

/* A session that saw its handshake claims no orphan: a 226 without a
 * command there is a capture's loss, not a transfer begun before it. */
static void test_orphan_not_claimed_by_full_session(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c, d;

	(void)state;
	conn_init(&d, n, CLIENT_IP, 54411, SERVER_IP, 50000);
	send_fill(&d, FST_DIR_SERVER, 1000);
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	sv(&c, "226 Transfer complete.\r\n");
	assert_int_equal(s->transfer_count, 0);
	net_free(n);
}

/* vsftpd's "500 OOPS" crossed the client's reset: the bytes are on the
 * wire, the reply is recorded. */
static void test_reply_after_client_rst(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "LIST\r\n");
	send_rst_only(&c, FST_DIR_CLIENT);
	sv(&c, "500 OOPS: vsf_sysutil_recv_peek: no data\r\n");
	send_fin(&c, FST_DIR_SERVER);
	assert_state(s, FST_FTP_CLOSED);
	assert_int_equal(s->reply_count, 4);
	assert_int_equal(s->replies[3].code, 500);
	assert_string_equal(s->replies[3].text, "OOPS: vsf_sysutil_recv_peek: no data");
	assert_int_equal(find_cmd(s, FST_VERB_LIST, 0)->reply_code, 500);
	net_free(n);
}

static void test_software_from_banner(void **state)
{
	static const struct {
		const char *banner;
		const char *software; /* NULL: none */
	} cases[] = {
		{ "220 (vsFTPd 3.0.3)\r\n", "vsftpd" },
		{ "220 ProFTPD 1.3.6 Server (Debian) [::ffff:198.51.100.20]\r\n", "ProFTPD" },
		{ "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
		  "220-You are user number 1 of 50 allowed.\r\n"
		  "220 You will be disconnected after 15 minutes of inactivity.\r\n",
		  "Pure-FTPd" },
		{ "220 Microsoft FTP Service\r\n", "Microsoft FTP Service (IIS)" },
		{ "220-FileZilla Server 1.8.1\r\n220 Please visit https://filezilla-project.org/\r\n",
		  "FileZilla Server" },
		{ "220 Serv-U FTP Server v15.4 ready...\r\n", "Serv-U" },
		{ "220 ftp.example.org FTP server (Version wu-2.6.2(1) Mon Dec 3 2001) ready.\r\n",
		  "wu-ftpd" },
		{ "220 Welcome to the archive\r\n", NULL },
	};
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		conn_open(&c, n, CLIENT_IP, (uint16_t)(40000 + i), SERVER_IP, 21);
		sv(&c, cases[i].banner);
	}
	for (i = 0, s = fst_ftp_sessions(n->ftp); s; s = fst_ftp_session_next(s), i++) {
		assert_true(i < ARRAY_SIZE(cases));
		assert_int_equal(s->client_port, 40000 + i);
		assert_state(s, FST_FTP_GREETED);
		if (cases[i].software) {
			if (!s->software)
				fail_msg("no software guessed from %s", cases[i].banner);
			assert_string_equal(s->software, cases[i].software);
		} else {
			assert_null(s->software);
		}
	}
	assert_int_equal(i, ARRAY_SIZE(cases));
	net_free(n);
}

static void test_software_from_syst(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s, *s2;
	struct conn c, c2;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	assert_null(s->software);
	cl(&c, "SYST\r\n");
	sv(&c, "215 UNIX Type: L8 Version: Serv-U\r\n");
	assert_string_equal(s->syst, "UNIX Type: L8 Version: Serv-U");
	assert_non_null(s->software);
	assert_string_equal(s->software, "Serv-U");
	/* The banner's guess stands when SYST says something else. */
	conn_open(&c2, n, CLIENT_IP, 54322, SERVER_IP, 21);
	sv(&c2, "220 (vsFTPd 3.0.3)\r\n");
	cl(&c2, "SYST\r\n");
	sv(&c2, "215 UNIX Type: L8 Version: Serv-U\r\n");
	s2 = fst_ftp_session_next(s);
	assert_non_null(s2);
	assert_string_equal(s2->software, "vsftpd");
	assert_string_equal(s2->syst, "UNIX Type: L8 Version: Serv-U");
	net_free(n);
}

/* SYST replies that name the server behind a neutral banner: IIS's
 * "Windows_NT", FileZilla Server 0.9's "UNIX emulated by FileZilla". */
static void test_software_from_syst_iis_filezilla(void **state)
{
	static const struct {
		const char *syst;
		const char *software;
	} cases[] = {
		{ "215 Windows_NT\r\n", "Microsoft FTP Service (IIS)" },
		{ "215 UNIX emulated by FileZilla\r\n", "FileZilla Server" },
		{ "215 UNIX Type: L8\r\n", NULL },
	};
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	struct conn c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		conn_open(&c, n, CLIENT_IP, (uint16_t)(41000 + i), SERVER_IP, 21);
		sv(&c, "220 Welcome\r\n");
		cl(&c, "SYST\r\n");
		sv(&c, cases[i].syst);
	}
	for (i = 0, s = fst_ftp_sessions(n->ftp); s; s = fst_ftp_session_next(s), i++) {
		assert_true(i < ARRAY_SIZE(cases));
		if (cases[i].software) {
			assert_non_null(s->software);
			assert_string_equal(s->software, cases[i].software);
		} else {
			assert_null(s->software);
		}
	}
	assert_int_equal(i, ARRAY_SIZE(cases));
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* caps */

static void test_max_records_drops(void **state)
{
	struct fst_ftp_cfg cfg = { .max_records = 4 };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c); /* 2 commands, 3 replies */
	for (int i = 0; i < 4; i++) {
		cl(&c, "NOOP\r\n");
		sv(&c, "200 NOOP ok.\r\n");
	}
	assert_int_equal(s->command_count, 4);
	assert_int_equal(s->commands_dropped, 2);
	assert_int_equal(s->reply_count, 4);
	assert_int_equal(s->replies_dropped, 3);
	assert_int_equal(s->commands[3].cmd.verb, FST_VERB_NOOP);
	assert_int_equal(s->commands[3].reply_code, 200);
	/* Pairing and turns go on although records are dropped. */
	assert_turn(s, "client/control");
	assert_state(s, FST_FTP_READY);
	net_free(n);
}

/* Events of dropped records still say what they are about: ftp.h gives
 * COMMAND a command and REPLY a reply. */
static void test_events_carry_records_when_caps_hit(void **state)
{
	struct fst_ftp_cfg cfg = { .max_records = 2 };
	struct net *n = net_new(&cfg);
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c);
	cl(&c, "NOOP\r\n");
	sv(&c, "200 NOOP ok.\r\n");
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_COMMAND), 3);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_REPLY), 4);
	assert_int_equal(n->rec->null_command, 0);
	assert_int_equal(n->rec->null_reply, 0);
	net_free(n);
}

static void test_max_pending_anomaly(void **state)
{
	struct fst_ftp_cfg cfg = { .max_pending = 2 };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "NOOP\r\nNOOP\r\n");
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_TOO_MANY_PENDING), 0);
	cl(&c, "NOOP\r\n");
	assert_int_equal(count_anomaly(n->rec, FST_ANOMALY_TOO_MANY_PENDING), 1);
	assert_int_equal(fst_ftp_stats(n->ftp)->anomalies[FST_ANOMALY_TOO_MANY_PENDING], 1);
	assert_int_equal(s->anomalies, 1);
	assert_turn(s, "server/control");
	sv(&c, "200 ok\r\n200 ok\r\n200 ok\r\n");
	assert_turn(s, "client/control");
	assert_int_equal(s->command_count, 5);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* texts: cut and flagged, kept in the session's arena */

/* n copies of c, NUL-terminated, into buf (size > n). */
static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void test_long_reply_truncated_flagged(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	char text[300], line[400];
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	snprintf(line, sizeof(line), "220 FTP %s\r\n", repeat(text, 'b', 250));
	sv(&c, line);
	cl(&c, "USER alice\r\n");
	sv(&c, "331 Password required for alice\r\n");
	assert_int_equal(s->reply_count, 2);
	assert_int_equal(strlen(s->replies[0].text), FST_FTP_TEXT_MAX);
	assert_true(s->replies[0].text_truncated);
	assert_memory_equal(s->replies[0].text, "FTP bbb", 7);
	assert_false(s->replies[1].text_truncated);
	assert_string_equal(s->replies[1].text, "Password required for alice");
	/* The banner is the greeting's text, and says it was cut too. */
	assert_string_equal(s->banner, s->replies[0].text);
	assert_true(s->banner_truncated);
	/* The command record's view of its reply. */
	assert_string_equal(fst_ftp_command_reply_text(s, find_cmd(s, FST_VERB_USER, 0)),
			    "Password required for alice");

	cl(&c, "PASS x\r\n");
	sv(&c, "230 ok\r\n");
	cl(&c, "SYST\r\n");
	snprintf(line, sizeof(line), "215 UNIX %s\r\n", repeat(text, 's', 200));
	sv(&c, line);
	assert_int_equal(strlen(s->syst), FST_FTP_TEXT_MAX);
	assert_true(s->syst_truncated);
	assert_true(s->replies[s->reply_count - 1].text_truncated);

	/* FEAT: the features that do not fit are left out, and flagged. */
	assert_string_equal(s->features, "");
	cl(&c, "FEAT\r\n");
	sv(&c, "211-Features:\r\n");
	for (int i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), " FEATURE%02d\r\n", i);
		sv(&c, line);
	}
	sv(&c, "211 End\r\n");
	assert_true(strlen(s->features) <= FST_FTP_TEXT_MAX);
	assert_memory_equal(s->features, "FEATURE00 FEATURE01", 19);
	assert_true(s->features_truncated);
	net_free(n);
}

static void test_long_argument_truncated_flagged(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *user;
	char arg[400], line[500];
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	sv(&c, "220 FTP server ready\r\n");
	snprintf(line, sizeof(line), "USER %s\r\n", repeat(arg, 'u', 300));
	cl(&c, line);
	user = find_cmd(s, FST_VERB_USER, 0);
	assert_true(user->cmd.arg_truncated);
	assert_int_equal(strlen(user->cmd.arg), FST_FTP_ARG_MAX);
	assert_int_equal(strlen(s->user_name), FST_FTP_ARG_MAX);
	assert_true(s->user_name_truncated);
	sv(&c, "331 Password required\r\n");
	cl(&c, "PASS hunter2\r\n");
	sv(&c, "230 ok\r\n");
	assert_false(find_cmd(s, FST_VERB_PASS, 0)->cmd.arg_truncated);

	snprintf(line, sizeof(line), "CWD /%s\r\n", repeat(arg, 'd', 280));
	cl(&c, line);
	sv(&c, "250 ok\r\n");
	assert_int_equal(strlen(s->cwd), FST_FTP_ARG_MAX);
	assert_true(s->cwd_truncated);
	/* A path from a 257 is whole again. */
	cl(&c, "PWD\r\n");
	sv(&c, "257 \"/home/alice\" is the current directory\r\n");
	assert_string_equal(s->cwd, "/home/alice");
	assert_false(s->cwd_truncated);

	cl(&c, "TYPE I\r\n");
	sv(&c, "200 ok\r\n");
	assert_string_equal(s->type, "I");
	assert_false(s->type_truncated);

	snprintf(line, sizeof(line), "RETR %s\r\n", repeat(arg, 'f', 260));
	cl(&c, line);
	assert_int_equal(s->transfer_count, 1);
	assert_int_equal(strlen(s->transfers[0].file), FST_FTP_ARG_MAX);
	assert_true(s->transfers[0].file_truncated);
	sv(&c, "550 no\r\n");
	cl(&c, "RETR short.txt\r\n");
	assert_string_equal(s->transfers[1].file, "short.txt");
	assert_false(s->transfers[1].file_truncated);
	net_free(n);
}

/* Texts live in blocks that never move: a pointer taken early still reads
 * the same text after the arena has grown many times. */
static void test_text_arena_grows_in_place(void **state)
{
	struct net *n = net_new(NULL);
	struct fst_ftp_session *s;
	const char *first_arg, *first_reply;
	char line[128], want[128];
	uint64_t bytes_before;
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	cl(&c, "MKD /dir/0-padding-padding-padding-padding\r\n");
	sv(&c, "257 created 0\r\n");
	first_arg = find_cmd(s, FST_VERB_MKD, 0)->cmd.arg;
	first_reply = s->replies[s->reply_count - 1].text;
	bytes_before = fst_ftp_stats(n->ftp)->session_bytes;
	for (int i = 1; i < 300; i++) {
		snprintf(line, sizeof(line), "MKD /dir/%d-padding-padding-padding-padding\r\n", i);
		cl(&c, line);
		snprintf(line, sizeof(line), "257 created %d\r\n", i);
		sv(&c, line);
	}
	assert_ptr_equal(find_cmd(s, FST_VERB_MKD, 0)->cmd.arg, first_arg);
	assert_string_equal(first_arg, "/dir/0-padding-padding-padding-padding");
	assert_string_equal(first_reply, "created 0");
	for (int i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "/dir/%d-padding-padding-padding-padding", i);
		assert_string_equal(find_cmd(s, FST_VERB_MKD, (size_t)i)->cmd.arg, want);
		assert_false(find_cmd(s, FST_VERB_MKD, (size_t)i)->cmd.arg_truncated);
	}
	/* About 14 KB of text and records more than before. */
	assert_true(fst_ftp_stats(n->ftp)->session_bytes > bytes_before + 300 * 40);
	assert_int_equal(fst_ftp_stats(n->ftp)->texts_cut, 0);
	net_free(n);
}

/* At the session's text cap, texts are cut (to nothing) and flagged. */
static void test_text_cap_cuts_and_flags(void **state)
{
	struct fst_ftp_cfg cfg = { .max_text = 512 };
	struct net *n = net_new(&cfg);
	struct fst_ftp_session *s;
	const struct fst_ftp_command_rec *last;
	char line[128];
	struct conn c;

	(void)state;
	control_open(&c, n);
	s = only_session(n);
	login(&c);
	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "DELE file-%d-padding-padding-padding\r\n", i);
		cl(&c, line);
		sv(&c, "250 deleted\r\n");
	}
	assert_true(fst_ftp_stats(n->ftp)->texts_cut > 0);
	last = &s->commands[s->command_count - 1];
	assert_string_equal(last->cmd.arg, "");
	assert_true(last->cmd.arg_truncated);
	assert_string_equal(s->replies[s->reply_count - 1].text, "");
	assert_true(s->replies[s->reply_count - 1].text_truncated);
	/* What came first is whole. */
	assert_string_equal(find_cmd(s, FST_VERB_DELE, 0)->cmd.arg,
			    "file-0-padding-padding-padding");
	net_free(n);
}

/* Past the record cap a reply is not recorded, but its text, as the
 * event gave it, still reads the same until the next reply. */
static void test_unrecorded_reply_text_lives_until_next_reply(void **state)
{
	struct fst_ftp_cfg cfg = { .max_records = 2 };
	struct net *n = net_new(&cfg);
	const struct rec_ev *e;
	struct conn c;

	(void)state;
	control_open(&c, n);
	login(&c); /* the third reply, 230, is past the cap */
	e = last_of(n->rec, FST_FTP_EV_REPLY);
	assert_int_equal(e->code, 230);
	assert_int_equal(only_session(n)->reply_count, 2);
	assert_string_equal(e->reply_text, "User alice logged in");
	net_free(n);
}

/* What an idle logged-in session costs, as the tracker counts it, and
 * the record sizes behind it: these fail if fixed text arrays come back. */
static void test_idle_session_memory_bounded(void **state)
{
	struct net *n = net_new(NULL);
	const struct fst_ftp_stats *st = fst_ftp_stats(n->ftp);
	struct conn c[50];

	(void)state;
	assert_true(sizeof(struct fst_ftp_command_rec) <= 64);
	assert_true(sizeof(struct fst_ftp_reply_rec) <= 32);
	assert_true(sizeof(struct fst_ftp_transfer) <= 160);
	assert_true(sizeof(struct fst_ftp_session) <= 256);
	assert_int_equal(st->session_bytes, 0);
	for (uint16_t i = 0; i < ARRAY_SIZE(c); i++) {
		conn_open(&c[i], n, CLIENT_IP, (uint16_t)(40000 + i), SERVER_IP, 21);
		login(&c[i]);
	}
	/* About 1.1 KB each today; the fixed arrays took 3.4 KB. */
	assert_true(st->session_bytes <= ARRAY_SIZE(c) * 1400);
	assert_true(st->session_bytes >= ARRAY_SIZE(c) * 600);
	assert_true(st->session_bytes_peak >= st->session_bytes);
	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		close_both(&c[i], FST_DIR_CLIENT);
	net_free(n);
}

/* ------------------------------------------------------------------ */
/* session lifetime: the tracker frees ended sessions over max_sessions */

static size_t event_index(const struct recorder *r, enum fst_ftp_event_kind kind,
			  const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].kind == kind && r->ev[i].session == s)
			return i;
	return SIZE_MAX;
}

static size_t session_count(struct net *n)
{
	size_t count = 0;

	for (struct fst_ftp_session *s = fst_ftp_sessions(n->ftp); s; s = fst_ftp_session_next(s))
		count++;
	return count;
}

/* A short session from its own client port, closed by the client. */
static const struct fst_ftp_session *short_session(struct net *n, uint16_t cport)
{
	const struct fst_ftp_session *s;
	struct conn c;

	conn_open(&c, n, CLIENT_IP, cport, SERVER_IP, 21);
	login(&c);
	s = n->rec->ev[n->rec->n - 1].session;
	cl(&c, "QUIT\r\n");
	sv(&c, "221 Goodbye\r\n");
	close_both(&c, FST_DIR_CLIENT);
	return s;
}

static void test_session_free_over_cap(void **state)
{
	struct fst_ftp_cfg cfg = { .max_sessions = 2 };
	struct net *n = net_new(&cfg);
	const struct fst_ftp_session *s[5];
	struct fst_ftp_session *kept;

	(void)state;
	s[0] = short_session(n, 40000);
	s[1] = short_session(n, 40001);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 0);
	s[2] = short_session(n, 40002);
	/* The oldest ended session goes, after the newest one's close. */
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 1);
	assert_ptr_equal(last_of(n->rec, FST_FTP_EV_SESSION_FREE)->session, s[0]);
	assert_true(event_index(n->rec, FST_FTP_EV_SESSION_CLOSE, s[2]) <
		    event_index(n->rec, FST_FTP_EV_SESSION_FREE, s[0]));
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions_evicted, 1);
	s[3] = short_session(n, 40003);
	s[4] = short_session(n, 40004);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 3);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions_evicted, 3);
	assert_int_equal(session_count(n), 2);
	kept = fst_ftp_sessions(n->ftp);
	assert_int_equal(kept->id, 4);
	assert_int_equal(fst_ftp_session_next(kept)->id, 5);
	/* Each FREE follows its session's CLOSE (the recorder fails the test
	 * on any event after a FREE). */
	for (size_t i = 0; i < n->rec->n; i++) {
		const struct rec_ev *e = &n->rec->ev[i];

		if (e->kind == FST_FTP_EV_SESSION_FREE)
			assert_true(event_index(n->rec, FST_FTP_EV_SESSION_CLOSE, e->session) < i);
	}
	assert_int_equal(n->rec->after_close, 0);
	net_finish(n);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 3);
	net_free(n);
}

/* Open sessions count against the cap but are never freed; an ended
 * session whose data connection is open waits, and holds up the rest. */
static void test_session_free_waits_for_open_connections(void **state)
{
	struct fst_ftp_cfg cfg = { .max_sessions = 1 };
	struct net *n = net_new(&cfg);
	const struct fst_ftp_session *a;
	struct conn c, d;

	(void)state;
	conn_open(&c, n, CLIENT_IP, 41000, SERVER_IP, 21);
	login(&c);
	a = only_session(n);
	cl(&c, "PASV\r\n");
	sv(&c, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n");
	conn_open(&d, n, CLIENT_IP, 54400, SERVER_IP, 50000);
	close_both(&c, FST_DIR_SERVER); /* the control closes, data stays open */
	short_session(n, 41001);
	short_session(n, 41002);
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 0);
	assert_int_equal(session_count(n), 3);
	close_both(&d, FST_DIR_CLIENT);
	short_session(n, 41003);
	/* a, then the next two, in the order they ended; not the newest. */
	assert_int_equal(count_kind(n->rec, FST_FTP_EV_SESSION_FREE), 3);
	assert_ptr_equal(n->rec->ev[event_index(n->rec, FST_FTP_EV_SESSION_FREE, a)].session, a);
	assert_int_equal(session_count(n), 1);
	assert_int_equal(fst_ftp_sessions(n->ftp)->id, 4);
	assert_int_equal(fst_ftp_stats(n->ftp)->sessions_evicted, 3);
	net_free(n);
}

/* ------------------------------------------------------------------ */

static int teardown_net(void **state)
{
	struct net *n = live_net;

	(void)state;
	if (n) {
		live_net = NULL;
		fst_tcp_free(n->tcp);
		fst_ftp_free(n->ftp);
		free(n->rec);
		free(n);
	}
	return 0;
}

static int setup_fill(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fill); i++)
		fill[i] = (uint8_t)('a' + i % 26);
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, teardown_net)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* states and turns */
		T(test_login_quit_fin),
		T(test_login_rejected_530),
		T(test_421_greeting_closes),
		T(test_unsolicited_421),
		T(test_rst_closes),
		T(test_rein_returns_to_greeted),
		T(test_auth_tls_encrypted),
		T(test_tls_cleartext_after_close_notify),
		T(test_tls_implicit_client_hello),
		T(test_tls_data_by_timing),
		/* pairing */
		T(test_pipelined_commands_pair_in_order),
		T(test_response_time),
		T(test_preliminary_keeps_command_pending),
		T(test_greeting_not_paired_with_pipelined_command),
		/* lines */
		T(test_feat_multiline),
		T(test_multiline_banner),
		T(test_lf_only_line_ends),
		T(test_lines_split_across_segments),
		T(test_telnet_iac_before_abor),
		T(test_overlong_line),
		T(test_overlong_command_marked_truncated),
		T(test_pass_redacted),
		/* data connections */
		T(test_pasv_retr_transfer),
		T(test_data_segments_held_between_pauses),
		T(test_pasv_stor_turn_on_data_channel),
		T(test_port_active_retr),
		T(test_port_active_mid_stream),
		T(test_port_active_mid_stream_zero_window_first),
		T(test_epsv_ipv6),
		T(test_pasv_syn_unanswered),
		T(test_pasv_syn_refused_unclaimed),
		T(test_port_syn_answered_and_unannounced),
		T(test_data_handshake_settled_at_close),
		T(test_pasv_nat_address),
		T(test_rest_then_retr),
		T(test_retr_fails_550),
		T(test_abor_aborts_transfer),
		T(test_abor_after_complete),
		T(test_control_closed_before_final_reply),
		T(test_no_event_after_session_close),
		T(test_tcp_events_include_control_data),
		T(test_expired_expectation),
		T(test_control_gap_drops_partial_line),
		/* recognition */
		T(test_greeting_autodetect),
		T(test_no_autodetect),
		T(test_configured_port),
		T(test_smtp_is_not_ftp),
		T(test_smtp_short_is_not_ftp),
		T(test_smtp_with_quit_is_not_ftp),
		T(test_http_is_not_ftp),
		T(test_mid_stream_control),
		T(test_mid_stream_server_speaks_first),
		T(test_mid_stream_greeting),
		T(test_mid_stream_220_not_greeting),
		T(test_session_end_last_packet),
		T(test_session_end_open_at_capture_end),
		T(test_reply_after_client_rst),
		T(test_data_without_handshake_counts),
		T(test_mid_stream_transfer_claims_data),
		T(test_orphan_not_claimed_by_full_session),
		T(test_software_from_banner),
		T(test_software_from_syst),
		T(test_software_from_syst_iis_filezilla),
		/* caps */
		T(test_max_records_drops),
		T(test_events_carry_records_when_caps_hit),
		T(test_max_pending_anomaly),
		/* texts */
		T(test_long_reply_truncated_flagged),
		T(test_long_argument_truncated_flagged),
		T(test_text_arena_grows_in_place),
		T(test_text_cap_cuts_and_flags),
		T(test_unrecorded_reply_text_lives_until_next_reply),
		T(test_idle_session_memory_bounded),
		/* session lifetime */
		T(test_session_free_over_cap),
		T(test_session_free_waits_for_open_connections),
	};

	return cmocka_run_group_tests(tests, setup_fill, NULL);
}
