/* The FTP tracker: decides which TCP flows are FTP control connections
 * (by port, or by their first lines), matches data connections to the
 * session that announced them, and routes TCP events to sessions. */
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum {
	EXPECT_BUCKETS = 1024
};

struct fst_ftp {
	struct fst_ftp_cfg cfg;
	struct session *first, *last; /* every live session object */
	/* Confirmed sessions that ended, oldest first: the eviction order. */
	struct session *ended_first, *ended_last;
	size_t confirmed; /* confirmed sessions held, open and ended */
	struct expectation *expect_buckets[EXPECT_BUCKETS];
	struct flow_ctx not_ftp;	 /* shared by every flow that is not FTP */
	struct flow_ctx undecided;	 /* shared by flows waiting for their first bytes */
	struct flow_ctx control_pending; /* control port, not yet established */
	struct fst_ftp_stats stats;
	struct fst_ftp_reply_asm reply_scratch;
	struct orphan *orphans_first, *orphans_last; /* oldest first */
	size_t orphan_count;
	bool tls_seen;			 /* a session went over to TLS: match data by timing too */
	struct data_flow *holding_first; /* data flows holding segments back */
};

/* Sessions looked at, newest first, for a data connection matched by
 * timing: the one it belongs to has just answered. */
enum {
	TLS_DATA_SCAN = 64
};

static const char *const anomaly_names[] = {
	[FST_ANOMALY_LINE_TOO_LONG] = "line_too_long",
	[FST_ANOMALY_INVALID_REPLY] = "invalid_reply",
	[FST_ANOMALY_INVALID_COMMAND] = "invalid_command",
	[FST_ANOMALY_TOO_MANY_PENDING] = "too_many_pending_commands",
	[FST_ANOMALY_BAD_DATA_ADDRESS] = "bad_data_address",
	[FST_ANOMALY_UNTERMINATED_REPLY] = "unterminated_reply",
	[FST_ANOMALY_TLS_MALFORMED] = "tls_malformed",
};
_Static_assert(sizeof(anomaly_names) / sizeof(anomaly_names[0]) == FST_ANOMALY_COUNT,
	       "a name for every anomaly");

const char *fst_ftp_anomaly_name(enum fst_ftp_anomaly anomaly)
{
	return (unsigned)anomaly < FST_ANOMALY_COUNT ? anomaly_names[anomaly] : "?";
}

const struct fst_ftp_cfg *ftp_cfg(const struct fst_ftp *ftp)
{
	return &ftp->cfg;
}

void ftp_emit(struct fst_ftp *ftp, struct fst_ftp_event *ev)
{
	if (ftp->cfg.on_event)
		ftp->cfg.on_event(ftp->cfg.ctx, ev);
}

void ftp_count_anomaly(struct fst_ftp *ftp, enum fst_ftp_anomaly anomaly)
{
	ftp->stats.anomalies[anomaly]++;
}

struct fst_ftp_reply_asm *ftp_reply_scratch(struct fst_ftp *ftp)
{
	return &ftp->reply_scratch;
}

void ftp_count_text_cut(struct fst_ftp *ftp)
{
	ftp->stats.texts_cut++;
}

void ftp_account(struct fst_ftp *ftp, size_t add, size_t sub)
{
	ftp->stats.session_bytes += add;
	ftp->stats.session_bytes -= sub;
	if (ftp->stats.session_bytes > ftp->stats.session_bytes_peak)
		ftp->stats.session_bytes_peak = ftp->stats.session_bytes;
}

struct flow_ctx *data_flow_new(void)
{
	struct data_flow *d = calloc(1, sizeof(*d));

	return d ? &d->ctx : NULL;
}

void ftp_holding_add(struct fst_ftp *ftp, struct data_flow *d)
{
	d->holding_prev = NULL;
	d->holding_next = ftp->holding_first;
	if (ftp->holding_first)
		ftp->holding_first->holding_prev = d;
	ftp->holding_first = d;
}

void ftp_holding_remove(struct fst_ftp *ftp, struct data_flow *d)
{
	if (d->holding_prev)
		d->holding_prev->holding_next = d->holding_next;
	else
		ftp->holding_first = d->holding_next;
	if (d->holding_next)
		d->holding_next->holding_prev = d->holding_prev;
	d->holding_prev = d->holding_next = NULL;
}

void fst_ftp_flush(struct fst_ftp *ftp)
{
	while (ftp->holding_first)
		session_deliver_held(ftp->holding_first->ctx.session);
}

void ftp_session_confirmed(struct fst_ftp *ftp, struct session *s)
{
	s->pub.id = ++ftp->stats.sessions;
	ftp->confirmed++;
}

/* ---- data connection expectations ------------------------------------- */

void ftp_unexpect(struct fst_ftp *ftp, struct session *s)
{
	struct expectation **pp;

	if (!s->expect.linked)
		return;
	pp = &ftp->expect_buckets[s->expect.port % EXPECT_BUCKETS];
	while (*pp && *pp != &s->expect)
		pp = &(*pp)->next_in_bucket;
	if (*pp)
		*pp = s->expect.next_in_bucket;
	s->expect.linked = false;
}

void ftp_expect(struct fst_ftp *ftp, struct session *s, const struct fst_addr *listener,
		uint16_t port, enum fst_transfer_mode mode, int64_t now_us)
{
	struct expectation *e = &s->expect;

	ftp_unexpect(ftp, s);
	e->listener = *listener;
	e->port = port;
	e->mode = mode;
	e->expires_us = now_us + ftp->cfg.expect_timeout_us;
	e->next_in_bucket = ftp->expect_buckets[port % EXPECT_BUCKETS];
	ftp->expect_buckets[port % EXPECT_BUCKETS] = e;
	e->linked = true;
}

/* The address a NAT'ed server or client really uses: the one of its
 * control connection. */
static const struct fst_addr *real_listener(const struct expectation *e)
{
	return e->mode == FST_MODE_PASSIVE ? &e->session->pub.server_addr :
					     &e->session->pub.client_addr;
}

static struct expectation *find_expectation(struct fst_ftp *ftp, const struct fst_addr *addr,
					    uint16_t port, int64_t now_us, bool *nat)
{
	struct expectation **pp = &ftp->expect_buckets[port % EXPECT_BUCKETS];

	while (*pp) {
		struct expectation *e = *pp;

		/* An announcement nobody used in time is forgotten, once. */
		if (now_us > e->expires_us || e->session->closed) {
			if (!e->session->closed)
				ftp->stats.expectations_expired++;
			*pp = e->next_in_bucket;
			e->linked = false;
			continue;
		}
		if (e->port == port && fst_addr_equal(&e->listener, addr)) {
			*nat = false;
			return e;
		}
		if (e->port == port && fst_addr_equal(real_listener(e), addr)) {
			*nat = true;
			return e;
		}
		pp = &e->next_in_bucket;
	}
	return NULL;
}

/* A data connection of session s (mode as it came about), counted; its
 * announcement is the caller's to fill in. NULL when out of memory. */
static struct flow_ctx *new_data_ctx(struct fst_ftp *ftp, struct session *s,
				     struct fst_tcp_flow *flow, enum fst_transfer_mode mode,
				     bool nat)
{
	struct flow_ctx *data = data_flow_new();

	if (!data)
		return NULL;
	data->role = FLOW_DATA;
	data->session = s;
	data->transfer = SIZE_MAX;
	data->nat_address = nat;
	data->flow = flow;
	data->attempt = (struct fst_ftp_data_attempt){
		/* Picked up open, or from its SYN on. */
		.connect = flow->mid_stream ? FST_CONNECT_OPENED : FST_CONNECT_UNANSWERED,
		.mode = mode,
		.to_addr = flow->server_addr,
		.to_port = flow->server_port,
		.syn_us = flow->first_ts_us,
	};
	/* Passive: the FTP server listens; active: the FTP client does. */
	data->side_of_dir[FST_DIR_SERVER] = mode == FST_MODE_PASSIVE ? FST_SIDE_SERVER :
								       FST_SIDE_CLIENT;
	data->side_of_dir[FST_DIR_CLIENT] = mode == FST_MODE_PASSIVE ? FST_SIDE_CLIENT :
								       FST_SIDE_SERVER;
	s->open_data_flows++;
	ftp->stats.data_connections++;
	return data;
}

/* Makes flow a data connection of the session that announced it. A
 * mid-stream flow whose guessed client is the announced listener has its
 * roles swapped, which only a new flow allows (fst_tcp_flow_swap_roles). */
static struct flow_ctx *match_data_flow(struct fst_ftp *ftp, struct fst_tcp_flow *flow,
					int64_t now_us)
{
	struct expectation *e;
	struct flow_ctx *data;
	bool nat = false;

	e = find_expectation(ftp, &flow->server_addr, flow->server_port, now_us, &nat);
	if (!e && flow->mid_stream) {
		e = find_expectation(ftp, &flow->client_addr, flow->client_port, now_us, &nat);
		if (e && !fst_tcp_flow_swap_roles(flow)) /* the listener is the server */
			e = NULL;
	}
	if (!e)
		return NULL;
	data = new_data_ctx(ftp, e->session, flow, e->mode, nat);
	if (!data)
		return NULL;
	data->attempt.announced_addr = e->listener;
	data->attempt.announced_port = e->port;
	ftp_unexpect(ftp, e->session);
	session_attach_data(e->session, data);
	return data;
}

/* ---- sessions ---------------------------------------------------------- */

static bool is_control_port(const struct fst_ftp *ftp, uint16_t port)
{
	for (size_t i = 0; i < ftp->cfg.port_count; i++)
		if (ftp->cfg.ports[i] == port)
			return true;
	for (size_t i = 0; i < ftp->cfg.ftps_port_count; i++)
		if (ftp->cfg.ftps_ports[i] == port)
			return true;
	return false;
}

static struct session *add_session(struct fst_ftp *ftp, struct fst_tcp_flow *flow,
				   bool detected_by_greeting)
{
	struct session *s = session_new(ftp, flow, detected_by_greeting);

	if (!s)
		return NULL;
	s->prev = ftp->last;
	if (ftp->last)
		ftp->last->next = s;
	else
		ftp->first = s;
	ftp->last = s;
	flow->user = &s->control;
	return s;
}

/* Unlinks and frees a session that is not on the ended list. */
static void remove_session(struct fst_ftp *ftp, struct session *s)
{
	ftp_unexpect(ftp, s);
	if (s->confirmed)
		ftp->confirmed--;
	if (s->prev)
		s->prev->next = s->next;
	else
		ftp->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		ftp->last = s->prev;
	session_free(s);
}

/* Over max_sessions, the oldest ended sessions go, in the order they
 * ended; one whose data connection is still open waits its turn (and
 * holds up the younger ones). Consumers hear SESSION_FREE first. */
static void evict_ended(struct fst_ftp *ftp)
{
	while (ftp->confirmed > ftp->cfg.max_sessions && ftp->ended_first &&
	       !ftp->ended_first->open_data_flows) {
		struct session *s = ftp->ended_first;
		struct fst_ftp_event ev = {
			.kind = FST_FTP_EV_SESSION_FREE,
			.ts_us = s->pub.end_us,
			.session = &s->pub,
		};

		ftp->ended_first = s->ended_next;
		if (!ftp->ended_first)
			ftp->ended_last = NULL;
		ftp_emit(ftp, &ev);
		ftp->stats.sessions_evicted++;
		remove_session(ftp, s);
	}
}

/* The control connection of a confirmed session closed: it ends (its
 * SESSION_CLOSE), older ended sessions may be evicted, and it joins the
 * end of the eviction order. It is not evicted in its own close, so a
 * consumer sees its SESSION_CLOSE return before anything frees it. */
static void end_session(struct fst_ftp *ftp, struct session *s, const struct fst_tcp_event *ev)
{
	bool was_closed = s->closed;

	session_control_close(s, ev);
	if (was_closed)
		return;
	evict_ended(ftp);
	s->ended_next = NULL;
	if (ftp->ended_last)
		ftp->ended_last->ended_next = s;
	else
		ftp->ended_first = s;
	ftp->ended_last = s;
}

static void mark_not_ftp(struct fst_ftp *ftp, struct fst_tcp_flow *flow)
{
	flow->user = &ftp->not_ftp;
	fst_tcp_flow_set_payload(flow, false);
	ftp->stats.unmatched_flows++;
}

/* ---- orphans: data connections announced before the capture ------------ */

static void orphan_unlink(struct fst_ftp *ftp, struct orphan *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		ftp->orphans_first = o->next;
	if (o->next)
		o->next->prev = o->prev;
	else
		ftp->orphans_last = o->prev;
	o->next = o->prev = NULL;
	ftp->orphan_count--;
}

/* Forgets the oldest orphan; its flow, if still open, is plain not FTP. */
static void orphan_drop_oldest(struct fst_ftp *ftp)
{
	struct orphan *o = ftp->orphans_first;

	orphan_unlink(ftp, o);
	if (o->ctx) {
		o->flow->user = &ftp->not_ftp;
		free(o->ctx);
	}
	free(o);
}

/* A mid-stream flow that no announcement matched and that is no control
 * connection: kept as an orphan, counted as unmatched until a session
 * claims it. */
static void mark_orphan(struct fst_ftp *ftp, struct fst_tcp_flow *flow)
{
	struct flow_ctx *ctx = data_flow_new(); /* a session may claim it as data */
	struct orphan *o = calloc(1, sizeof(*o));

	if (!ctx || !o) {
		free(ctx);
		free(o);
		mark_not_ftp(ftp, flow);
		return;
	}
	if (ftp->orphan_count >= FTP_MAX_ORPHANS)
		orphan_drop_oldest(ftp);
	ctx->role = FLOW_ORPHAN;
	ctx->transfer = SIZE_MAX;
	ctx->flow = flow;
	ctx->orphan = o;
	o->ctx = ctx;
	o->flow = flow;
	o->client_addr = flow->client_addr;
	o->server_addr = flow->server_addr;
	o->client_port = flow->client_port;
	o->server_port = flow->server_port;
	o->first_ts_us = flow->first_ts_us;
	o->prev = ftp->orphans_last;
	if (ftp->orphans_last)
		ftp->orphans_last->next = o;
	else
		ftp->orphans_first = o;
	ftp->orphans_last = o;
	ftp->orphan_count++;
	flow->user = ctx;
	fst_tcp_flow_set_payload(flow, false);
	ftp->stats.unmatched_flows++;
}

/* What TCP shows of an orphan flow, kept past its CLOSE. */
static void orphan_event(struct fst_ftp *ftp, struct flow_ctx *ctx, const struct fst_tcp_event *ev)
{
	struct orphan *o = ctx->orphan;
	const struct fst_tcp_flow *flow = ev->flow;

	o->last_ts_us = flow->last_ts_us;
	for (int dir = 0; dir < 2; dir++) {
		o->bytes[dir] = flow->bytes[dir];
		o->gap_bytes[dir] = flow->gap_bytes[dir];
	}
	switch (ev->kind) {
	case FST_TCP_EV_DATA:
	case FST_TCP_EV_GAP:
		if (!o->first_data_us[ev->dir])
			o->first_data_us[ev->dir] = ev->ts_us;
		o->last_data_us[ev->dir] = ev->ts_us;
		break;
	case FST_TCP_EV_FIN:
	case FST_TCP_EV_RST:
		if (!o->closed_seen) {
			o->closed_seen = true;
			o->closed_dir = ev->dir;
			o->closed_rst = ev->kind == FST_TCP_EV_RST;
		}
		break;
	case FST_TCP_EV_CLOSE:
		o->ctx = NULL;
		o->flow = NULL;
		ev->flow->user = NULL;
		free(ctx);
		break;
	default:
		break;
	}
	(void)ftp;
}

static bool same_hosts(const struct orphan *o, const struct fst_ftp_session *s)
{
	return (fst_addr_equal(&o->client_addr, &s->client_addr) &&
		fst_addr_equal(&o->server_addr, &s->server_addr)) ||
	       (fst_addr_equal(&o->client_addr, &s->server_addr) &&
		fst_addr_equal(&o->server_addr, &s->client_addr));
}

struct orphan *ftp_claim_orphan(struct fst_ftp *ftp, const struct session *s, int64_t now_us)
{
	for (struct orphan *o = ftp->orphans_last; o; o = o->prev) {
		if (!same_hosts(o, &s->pub) || !(o->bytes[0] + o->bytes[1]))
			continue;
		if (now_us - o->last_ts_us > ftp->cfg.expect_timeout_us)
			break; /* older ones are older still */
		orphan_unlink(ftp, o);
		ftp->stats.unmatched_flows--;
		ftp->stats.data_connections++;
		return o;
	}
	return NULL;
}

/* A reply line start: three digits and a space, hyphen or line end. */
static bool looks_like_reply(const uint8_t *p, size_t len)
{
	return len >= 4 && isdigit(p[0]) && isdigit(p[1]) && isdigit(p[2]) &&
	       (p[3] == ' ' || p[3] == '-' || p[3] == '\r' || p[3] == '\n');
}

static bool looks_like_ftp_command(const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && n < 5 && isalpha(p[n]))
		n++;
	return n >= 3 && n < len && (p[n] == ' ' || p[n] == '\r' || p[n] == '\n') &&
	       fst_ftp_verb_lookup((const char *)p, n) != FST_VERB_UNKNOWN;
}

/* First bytes of a flow that is neither on a control port nor an
 * expected data connection: is this an FTP control connection? */
static void decide_by_first_bytes(struct fst_ftp *ftp, const struct fst_tcp_event *ev)
{
	struct fst_tcp_flow *flow = ev->flow;
	bool candidate = false;

	if (ev->dir == FST_DIR_SERVER)
		candidate = looks_like_reply(ev->data, ev->data_caplen);
	else if (flow->mid_stream)
		candidate = looks_like_ftp_command(ev->data, ev->data_caplen);
	if (candidate && add_session(ftp, flow, true))
		return;
	if (flow->mid_stream && !is_control_port(ftp, flow->server_port) &&
	    !is_control_port(ftp, flow->client_port))
		mark_orphan(ftp, flow);
	else
		mark_not_ftp(ftp, flow);
}

/* Makes flow a data connection if one was announced for it. */
static bool classify_data(struct fst_ftp *ftp, struct fst_tcp_flow *flow, int64_t now_us)
{
	struct flow_ctx *data = match_data_flow(ftp, flow, now_us);

	if (!data)
		return false;
	flow->user = data;
	fst_tcp_flow_set_payload(flow, session_decrypt_data(data->session, data));
	return true;
}

void ftp_tls_started(struct fst_ftp *ftp)
{
	ftp->tls_seen = true;
}

/* An FTPS session's 227 or PORT is encrypted: a new connection between
 * its hosts right after the server spoke is probably its data
 * connection (the newest such session's). Never one to a control port. */
static bool classify_tls_data(struct fst_ftp *ftp, struct fst_tcp_flow *flow, int64_t now_us)
{
	struct session *s = ftp->last;

	if (is_control_port(ftp, flow->server_port))
		return false;
	for (unsigned looked = 0; s && looked < TLS_DATA_SCAN; s = s->prev, looked++) {
		enum fst_transfer_mode mode = session_tls_data_mode(s, flow, now_us);
		struct flow_ctx *data;

		if (mode == FST_MODE_UNKNOWN)
			continue;
		data = new_data_ctx(ftp, s, flow, mode, false);
		if (!data)
			return false;
		session_attach_tls_data(s, data);
		flow->user = data;
		/* Its payload is read until its hellos are (out of memory, or
		 * no transfer record for it: never), to tell whether it
		 * resumed the session. */
		if (data->transfer != SIZE_MAX)
			data->tls = fst_tls_new();
		fst_tcp_flow_set_payload(flow, data->tls != NULL);
		return true;
	}
	return false;
}

void fst_ftp_on_tcp_flow(void *opaque, struct fst_tcp_flow *flow, int64_t ts_us)
{
	struct fst_ftp *ftp = opaque;

	if (classify_data(ftp, flow, ts_us))
		return;
	if (ftp->tls_seen && classify_tls_data(ftp, flow, ts_us))
		return;
	if (flow->mid_stream && !is_control_port(ftp, flow->server_port) &&
	    is_control_port(ftp, flow->client_port))
		fst_tcp_flow_swap_roles(flow);
}

/* A connection attempt to a control port ends without a session: the
 * server never answered the client's SYN (unreachable, or filtered), or
 * it answered with a reset (refused). */
static void count_unestablished(struct fst_ftp *ftp, const struct fst_tcp_flow *flow)
{
	if (!flow->syn_seen)
		return;
	if (flow->packets[FST_DIR_SERVER])
		ftp->stats.control_refused++;
	else
		ftp->stats.control_unanswered++;
}

static void classify(struct fst_ftp *ftp, const struct fst_tcp_event *ev)
{
	struct fst_tcp_flow *flow = ev->flow;
	struct session *s;

	/* Announced after the flow began (its first packet had no event). */
	if (classify_data(ftp, flow, ev->ts_us))
		return;
	if (is_control_port(ftp, flow->server_port)) {
		/* A session begins with an answered SYN or with bytes: a SYN
		 * flood, or a stray ACK after a flow was forgotten, is not a
		 * session (and must not cost one). */
		bool established = ev->kind == FST_TCP_EV_DATA || ev->kind == FST_TCP_EV_GAP ||
				   (ev->kind == FST_TCP_EV_OPEN && ev->dir == FST_DIR_SERVER);

		if (!established) {
			if (ev->kind == FST_TCP_EV_CLOSE)
				count_unestablished(ftp, flow);
			flow->user = ev->kind == FST_TCP_EV_CLOSE ? NULL : &ftp->control_pending;
			return;
		}
		s = add_session(ftp, flow, false);
		if (s)
			session_confirm(s, ev->ts_us);
		else
			mark_not_ftp(ftp, flow);
		return;
	}
	if (ftp->cfg.no_autodetect)
		mark_not_ftp(ftp, flow);
	else
		flow->user = &ftp->undecided;
}

void fst_ftp_on_tcp_event(void *opaque, const struct fst_tcp_event *ev)
{
	struct fst_ftp *ftp = opaque;
	struct fst_tcp_flow *flow = ev->flow;
	struct flow_ctx *ctx;

	if (!flow->user || flow->user == &ftp->control_pending)
		classify(ftp, ev);
	ctx = flow->user;
	if (!ctx || ctx == &ftp->control_pending)
		return;
	if (ctx->role == FLOW_UNDECIDED) {
		if (ev->kind == FST_TCP_EV_DATA && ev->data_caplen)
			decide_by_first_bytes(ftp, ev);
		else if (ev->kind == FST_TCP_EV_CLOSE)
			flow->user = NULL;
		ctx = flow->user;
		if (!ctx || (ctx->role != FLOW_CONTROL && ctx->role != FLOW_ORPHAN))
			return;
	}
	switch (ctx->role) {
	case FLOW_NOT_FTP:
	case FLOW_UNDECIDED:
		break;
	case FLOW_ORPHAN:
		orphan_event(ftp, ctx, ev);
		break;
	case FLOW_CONTROL:
		/* Before the close: its event reads the final counts. */
		memcpy(ctx->session->control_counts.bytes, flow->bytes, sizeof(flow->bytes));
		memcpy(ctx->session->control_counts.packets, flow->packets, sizeof(flow->packets));
		if (ev->kind == FST_TCP_EV_CLOSE) {
			if (ctx->session->confirmed)
				end_session(ftp, ctx->session, ev);
			else
				remove_session(ftp, ctx->session);
			flow->user = NULL;
			break;
		}
		session_control_data(ctx->session, ev);
		if (session_rejected(ctx->session)) {
			remove_session(ftp, ctx->session);
			mark_not_ftp(ftp, flow);
		}
		break;
	case FLOW_DATA:
		session_data_event(ctx->session, ctx, ev);
		if (ev->kind == FST_TCP_EV_CLOSE) {
			/* Its CLOSE event delivered what the flow held; nothing
			 * may keep pointing at it. */
			if (ctx->session->holding == (struct data_flow *)ctx)
				session_deliver_held(ctx->session);
			ctx->session->open_data_flows--;
			fst_tls_free(ctx->tls);
			free(ctx);
			flow->user = NULL;
		}
		break;
	}
}

/* ---- life cycle --------------------------------------------------------- */

struct fst_ftp *fst_ftp_new(const struct fst_ftp_cfg *cfg)
{
	struct fst_ftp *ftp = calloc(1, sizeof(*ftp));

	if (!ftp)
		return NULL;
	ftp->cfg = *cfg;
	if (ftp->cfg.port_count == 0) {
		ftp->cfg.ports[0] = FST_FTP_DEFAULT_PORT;
		ftp->cfg.port_count = 1;
	}
	if (ftp->cfg.port_count > FST_FTP_MAX_PORTS)
		ftp->cfg.port_count = FST_FTP_MAX_PORTS;
	if (ftp->cfg.ftps_port_count == 0) {
		ftp->cfg.ftps_ports[0] = FST_FTP_DEFAULT_FTPS_PORT;
		ftp->cfg.ftps_port_count = 1;
	}
	if (ftp->cfg.ftps_port_count > FST_FTP_MAX_PORTS)
		ftp->cfg.ftps_port_count = FST_FTP_MAX_PORTS;
	if (!ftp->cfg.max_line)
		ftp->cfg.max_line = FST_FTP_DEFAULT_MAX_LINE;
	if (!ftp->cfg.max_records)
		ftp->cfg.max_records = 100000;
	if (!ftp->cfg.max_pending)
		ftp->cfg.max_pending = 64;
	if (!ftp->cfg.expect_timeout_us)
		ftp->cfg.expect_timeout_us = 120 * FST_US_PER_SEC;
	if (!ftp->cfg.max_sessions)
		ftp->cfg.max_sessions = FST_FTP_DEFAULT_MAX_SESSIONS;
	if (!ftp->cfg.max_text)
		ftp->cfg.max_text = 16u << 20;
	ftp->not_ftp.role = FLOW_NOT_FTP;
	ftp->undecided.role = FLOW_UNDECIDED;
	ftp->control_pending.role = FLOW_UNDECIDED;
	return ftp;
}

void fst_ftp_free(struct fst_ftp *ftp)
{
	struct session *s;

	if (!ftp)
		return;
	s = ftp->first;
	while (s) {
		struct session *next = s->next;

		session_free(s);
		s = next;
	}
	while (ftp->orphans_first)
		orphan_drop_oldest(ftp);
	free(ftp);
}

static struct session *first_confirmed(struct session *s)
{
	while (s && !s->confirmed)
		s = s->next;
	return s;
}

struct fst_ftp_session *fst_ftp_sessions(struct fst_ftp *ftp)
{
	struct session *s = first_confirmed(ftp->first);

	return s ? &s->pub : NULL;
}

struct fst_ftp_session *fst_ftp_session_next(struct fst_ftp_session *pub)
{
	struct session *s = first_confirmed(((struct session *)pub)->next);

	return s ? &s->pub : NULL;
}

const struct fst_ftp_stats *fst_ftp_stats(const struct fst_ftp *ftp)
{
	return &ftp->stats;
}
