/* Idle gaps, close attribution, verdicts, reconnect links and server
 * timeout estimates, computed from FTP events as they arrive.
 *
 * A gap is measured between two moments of activity on a channel. Whom
 * it waited on comes from the FTP turn during the gap (the session's
 * turn when the next activity arrives, before its bytes are parsed) and
 * from TCP facts seen inside it: lost capture bytes, a zero window,
 * retransmissions. */
#include "ftpstall/analysis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A gap before a close is reported even below the threshold, but not
 * when it is shorter than this (a QUIT and its 221). */
#define CLOSE_GAP_FLOOR_US (FST_US_PER_SEC / 10)

/* A closing reply this close to the close announced it. */
#define ANNOUNCE_WINDOW_US (2 * FST_US_PER_SEC)
/* Records of one side this close together are one message: a sender
 * writes a message's records back to back. */
#define TLS_BURST_US (20 * 1000)

/* TCP facts seen inside a gap. */
struct marks {
	bool capture_loss;
	bool lost_client, lost_server; /* whose bytes the capture lost */
	bool zero_window;
	bool retransmission;
	bool data_moved; /* control gaps: a data connection was busy meanwhile */
};

/* Activity on one data connection (one transfer). */
struct data_track {
	int64_t last_us;
	struct marks marks;
	bool closed;
	/* Path evidence: the sender's FIN, and whether the receiver ACKed
	 * every byte and that FIN. */
	int64_t sender_fin_us;
	enum fst_tcp_dir sender_dir;
	bool acked_to_end;
	/* The tcp layer's, from the sender's FIN until the CLOSE (it lives
	 * until then): the control connection may end first. */
	const struct fst_tcp_flow *flow;
};

/* What the control connection shows of a path that stops delivering
 * (middlebox_drop): the newest write after an idle, whether it was sent
 * again, and whether it was ever ACKed. */
struct path_watch {
	int64_t last_packet_us;	   /* newest control bytes or keepalive */
	enum fst_side writer;	   /* of the write after an idle; NONE: none */
	enum fst_tcp_dir dir;	   /* ... its direction in the flow */
	int64_t write_us, idle_us; /* ... when, and the idle before it */
	unsigned retransmissions;
	int reply_code;				 /* the server's write: its reply */
	char command[FST_FTP_VERB_TEXT_MAX + 1]; /* the client's write: its verb */
	bool client_closed;			 /* the client's FIN or reset after it */
	bool flow_ended;			 /* the control flow's CLOSE came */
	int64_t end_us;				 /* ... at this time */
	int64_t unacked;			 /* the write's stream then (-1: unknown) */
	/* The longest idle ended by each side's packet (by enum fst_side)
	 * that the other side has not answered yet, and the longest one that
	 * it did answer: the path carried it. */
	int64_t pending_idle_us[FST_SIDE_COUNT];
	int64_t survived_us;
	/* Keep-alive probes: the first side seen probing, its count, and
	 * the first and last probe's time. */
	enum fst_side probe_side;
	enum fst_tcp_dir probe_dir;
	unsigned probes;
	int64_t first_probe_us, last_probe_us;
	/* A middlebox_* verdict names the middlebox as the closer; the
	 * closer the packets showed is kept for the next decision. */
	bool closer_replaced;
	enum fst_close_by closer_seen;
	int64_t close_ts_seen, idle_since_seen; /* ... and its time and idle */
	double after_idle_seen;
};

struct result {
	struct fst_session_result pub; /* first: the consumer's view */
	struct fst_analysis *an;
	size_t gaps_cap, slow_replies_cap;

	/* Control channel activity. */
	int64_t last_us, prev_us;
	/* When the latest message began: last_us but for a TLS burst of
	 * records (see control_activity), where it is the burst's first. */
	int64_t message_us;
	struct marks marks;		   /* inside the open gap since last_us */
	struct marks last_gap_marks;	   /* inside [prev_us, last_us] */
	struct fst_ftp_turn last_gap_turn; /* during [prev_us, last_us] */
	bool last_gap_recorded;
	int64_t last_data_us;	     /* newest data-channel activity */
	enum fst_side last_side;     /* who was active at last_us */
	bool last_was_loss;	     /* ... and it was bytes the capture lost */
	uint64_t control_packets[2]; /* by enum fst_tcp_dir, as the flow counted them */

	/* The capturing kernel dropped packets in [drop_from_us, drop_to_us]. */
	bool kernel_drops;
	int64_t drop_from_us, drop_to_us;
	/* The server's idle timeout known from elsewhere (the estimate of
	 * its other sessions), for a close whose reply was lost; 0: none. */
	double idle_timeout_hint_s;

	/* The newest reply. */
	int last_reply_code;
	int64_t last_reply_us;
	const char *last_reply_text; /* the ftp layer's: good until the next reply */
	bool last_reply_truncated;
	/* The command whose preliminary reply was its first reply (so its
	 * final one is not), or SIZE_MAX. */
	size_t preliminary_index;

	bool logged_in;	    /* a 230 (or 232) was seen */
	bool close_started; /* first FIN/RST seen on the control connection */
	bool server_fin;
	bool want_write_command; /* the next command is the write after close */
	enum fst_tcp_close_reason tcp_close;

	struct path_watch path;
	struct data_track *data; /* by transfer id - 1 */
	size_t data_cap;
	/* Texts sized to fit: a short session must not carry kilobytes. */
	char *close_reply_buf;	      /* close.reply_text, copied at the close */
	struct result *prev;	      /* in the analysis's list */
	struct result *finished_next; /* in the order verdicts became final */
	struct result *pair_next;     /* next session of the same client and server */
};

struct fst_analysis {
	struct fst_analysis_cfg cfg;
	struct result *first, *last;
	struct result *finished_first, *finished_last; /* eviction order */
	size_t result_count;
	uint64_t sessions_evicted;
	struct fst_server_estimate *servers;
	struct fst_path_estimate *paths;
};

static const char *const wait_names[] = {
	[FST_WAIT_NONE] = "none",	[FST_WAIT_CLIENT] = "client",
	[FST_WAIT_SERVER] = "server",	[FST_WAIT_RECEIVER] = "receiver",
	[FST_WAIT_NETWORK] = "network", [FST_WAIT_CAPTURE] = "capture",
};
_Static_assert(sizeof(wait_names) / sizeof(wait_names[0]) == FST_WAIT_COUNT, "wait names");

static const char *const close_by_names[] = {
	[FST_CLOSE_BY_NONE] = "none",
	[FST_CLOSE_BY_CLIENT] = "client",
	[FST_CLOSE_BY_SERVER] = "server",
	[FST_CLOSE_BY_MIDDLEBOX] = "middlebox",
};
_Static_assert(sizeof(close_by_names) / sizeof(close_by_names[0]) == FST_CLOSE_BY_COUNT,
	       "close-by names");

static const char *const verdict_names[] = {
	[FST_VERDICT_IDLE_TIMEOUT] = "idle_timeout",
	[FST_VERDICT_DATA_TIMEOUT] = "data_timeout",
	[FST_VERDICT_SERVER_UNRESPONSIVE] = "server_unresponsive",
	[FST_VERDICT_MIDDLEBOX_RESET] = "middlebox_reset",
	[FST_VERDICT_MIDDLEBOX_DROP] = "middlebox_drop",
	[FST_VERDICT_CLIENT_ABORT] = "client_abort",
	[FST_VERDICT_CLEAN] = "clean",
	[FST_VERDICT_INCOMPLETE] = "incomplete",
	[FST_VERDICT_UNKNOWN] = "unknown",
	[FST_VERDICT_LOGIN_FAILED] = "login_failed",
	[FST_VERDICT_DATA_CONNECTION_FAILED] = "data_connection_failed",
};
_Static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == FST_VERDICT_COUNT,
	       "verdict names");

static const char *const stalled_names[] = {
	[FST_STALLED_NONE] = "none",	   [FST_STALLED_CLIENT] = "client",
	[FST_STALLED_SERVER] = "server",   [FST_STALLED_NETWORK] = "network",
	[FST_STALLED_UNKNOWN] = "unknown",
};
_Static_assert(sizeof(stalled_names) / sizeof(stalled_names[0]) == FST_STALLED_COUNT,
	       "stalled-side names");

static const char *const timer_names[] = {
	[FST_TIMER_NONE] = "none",
	[FST_TIMER_IDLE] = "idle",
	[FST_TIMER_NO_TRANSFER] = "no_transfer",
	[FST_TIMER_DATA] = "data",
	[FST_TIMER_LOGIN] = "login",
	[FST_TIMER_STALLED] = "stalled",
	[FST_TIMER_UNKNOWN] = "unknown",
};
_Static_assert(sizeof(timer_names) / sizeof(timer_names[0]) == FST_TIMER_COUNT, "timer names");

const char *fst_timer_name(enum fst_timer timer)
{
	return (unsigned)timer < FST_TIMER_COUNT ? timer_names[timer] : "?";
}

static const char *const capture_note_names[] = {
	[FST_NOTE_DATA_CONNECTIONS_MISSING] = "data_connections_missing",
	[FST_NOTE_CAPTURE_LOSS] = "capture_loss",
	[FST_NOTE_ONE_SIDED] = "one_sided",
	[FST_NOTE_DUPLICATES_REMOVED] = "duplicates_removed",
	[FST_NOTE_MID_STREAM] = "mid_stream",
	[FST_NOTE_KERNEL_DROPS] = "kernel_drops",
};
_Static_assert(sizeof(capture_note_names) / sizeof(capture_note_names[0]) == FST_NOTE_COUNT,
	       "capture note names");

const char *fst_capture_note_name(enum fst_capture_note note)
{
	return (unsigned)note < FST_NOTE_COUNT ? capture_note_names[note] : "?";
}

const char *fst_wait_name(enum fst_wait wait)
{
	return (unsigned)wait < FST_WAIT_COUNT ? wait_names[wait] : "?";
}

const char *fst_close_by_name(enum fst_close_by by)
{
	return (unsigned)by < FST_CLOSE_BY_COUNT ? close_by_names[by] : "?";
}

const char *fst_verdict_name(enum fst_verdict verdict)
{
	return (unsigned)verdict < FST_VERDICT_COUNT ? verdict_names[verdict] : "?";
}

const char *fst_stalled_side_name(enum fst_stalled_side side)
{
	return (unsigned)side < FST_STALLED_COUNT ? stalled_names[side] : "?";
}

bool fst_verdict_is_incident(enum fst_verdict verdict)
{
	return verdict != FST_VERDICT_CLEAN && verdict != FST_VERDICT_INCOMPLETE;
}

static double seconds(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

/* A login that was refused and never succeeded. */
static bool login_refused(const struct fst_login_info *l)
{
	return l->failures && !l->succeeded;
}

static void notify(struct result *r, enum fst_analysis_update update)
{
	if (r->an->cfg.on_update)
		r->an->cfg.on_update(r->an->cfg.ctx, &r->pub, update);
}

/* ---- gaps --------------------------------------------------------------- */

static enum fst_wait side_wait(enum fst_side side)
{
	switch (side) {
	case FST_SIDE_CLIENT:
		return FST_WAIT_CLIENT;
	case FST_SIDE_SERVER:
		return FST_WAIT_SERVER;
	case FST_SIDE_NONE:
	case FST_SIDE_COUNT:
		break;
	}
	return FST_WAIT_NONE;
}

/* TCP facts outrank the FTP turn: lost capture bytes are not a stall,
 * a zero window stalls the sender, retransmissions are the network. */
static enum fst_wait attribute(const struct marks *m, enum fst_wait by_turn)
{
	if (m->capture_loss)
		return FST_WAIT_CAPTURE;
	if (m->zero_window)
		return FST_WAIT_RECEIVER;
	if (m->retransmission)
		return FST_WAIT_NETWORK;
	/* The control connection is quiet while data moves: normal FTP.
	 * The turn at the gap's end (the server owing its 226) would
	 * otherwise take the whole transfer's time. */
	if (m->data_moved)
		return FST_WAIT_NONE;
	return by_turn;
}

static enum fst_wait control_turn_wait(struct fst_ftp_turn turn)
{
	/* A control connection quiet during a transfer is normal FTP. */
	return turn.channel == FST_CHANNEL_DATA ? FST_WAIT_NONE : side_wait(turn.side);
}

static struct fst_gap *add_gap(struct result *r, enum fst_channel channel, uint64_t transfer_id,
			       int64_t start_us, int64_t end_us, enum fst_wait waiting_on,
			       bool before_close)
{
	struct fst_session_result *p = &r->pub;
	int64_t floor_us = r->an->cfg.gap_threshold_us < CLOSE_GAP_FLOOR_US ?
				   r->an->cfg.gap_threshold_us :
				   CLOSE_GAP_FLOOR_US;
	struct fst_gap *gap;

	/* Gaps before a close are kept below the threshold (a 30 s idle
	 * timeout matters with --gap 60), but not mere milliseconds. */
	if (end_us - start_us < (before_close ? floor_us : 1))
		return NULL;
	if (p->gap_count >= r->an->cfg.max_gaps) {
		/* At the cap, the shortest gap that did not lead to the close
		 * makes room, if the new one matters more. */
		size_t victim = p->gap_count;

		for (size_t i = 0; i < p->gap_count; i++)
			if (!p->gaps[i].before_close && i != p->decisive_gap_index &&
			    (victim == p->gap_count ||
			     p->gaps[i].end_us - p->gaps[i].start_us <
				     p->gaps[victim].end_us - p->gaps[victim].start_us))
				victim = i;
		p->gaps_dropped++;
		if (victim == p->gap_count ||
		    (!before_close &&
		     p->gaps[victim].end_us - p->gaps[victim].start_us >= end_us - start_us))
			return NULL;
		memmove(&p->gaps[victim], &p->gaps[victim + 1],
			(p->gap_count - victim - 1) * sizeof(*p->gaps));
		p->gap_count--;
		if (p->decisive_gap_index != FST_NO_GAP && p->decisive_gap_index > victim)
			p->decisive_gap_index--;
	}
	if (p->gap_count == r->gaps_cap) {
		size_t cap = r->gaps_cap ? r->gaps_cap * 2 : 8;
		struct fst_gap *grown;

		if (cap > r->an->cfg.max_gaps)
			cap = r->an->cfg.max_gaps;
		grown = realloc(p->gaps, cap * sizeof(*grown));
		if (!grown) {
			p->gaps_dropped++;
			return NULL;
		}
		p->gaps = grown;
		r->gaps_cap = cap;
	}
	gap = &p->gaps[p->gap_count++];
	*gap = (struct fst_gap){
		.channel = channel,
		.transfer_id = transfer_id,
		.start_us = start_us,
		.end_us = end_us,
		.waiting_on = waiting_on,
		.before_close = before_close,
	};
	notify(r, FST_UPDATE_GAP);
	return gap;
}

/* New bytes on the control connection: closes the open gap. */
static void control_activity(struct result *r, int64_t ts_us, enum fst_side side)
{
	struct fst_ftp_turn turn = r->pub.session->turn;
	int64_t threshold = r->an->cfg.gap_threshold_us;
	/* Inside TLS one message is often several records (vsftpd's alert,
	 * then its 500 OOPS in pieces): a side's records close together are
	 * one message, and the idle before it is the one that counts. */
	if (r->pub.session->encrypted && side == r->last_side &&
	    ts_us - r->last_us < TLS_BURST_US) {
		r->last_us = ts_us;
		return;
	}
	r->last_side = side;
	/* Events of one instant (a loss found with the segment after it)
	 * are one moment of activity, not an empty gap. */
	if (ts_us == r->last_us && r->prev_us != r->last_us) {
		r->last_gap_marks.capture_loss |= r->marks.capture_loss;
		r->last_gap_marks.lost_client |= r->marks.lost_client;
		r->last_gap_marks.lost_server |= r->marks.lost_server;
		return;
	}
	r->last_gap_recorded = false;
	/* After the first FIN/RST the close info tells the rest. */
	if (!r->close_started && ts_us - r->last_us >= threshold)
		r->last_gap_recorded = add_gap(r, FST_CHANNEL_CONTROL, 0, r->last_us, ts_us,
					       attribute(&r->marks, control_turn_wait(turn)),
					       false) != NULL;
	r->prev_us = r->last_us;
	r->last_gap_marks = r->marks;
	r->last_gap_turn = turn;
	r->last_us = r->message_us = ts_us;
	memset(&r->marks, 0, sizeof(r->marks));
}

static struct data_track *track_of(struct result *r, const struct fst_ftp_transfer *t)
{
	size_t index;

	if (!t)
		return NULL;
	index = (size_t)(t->id - 1);
	if (index >= r->data_cap) {
		size_t cap = r->data_cap ? r->data_cap : 4;
		struct data_track *grown;

		while (cap <= index)
			cap *= 2;
		grown = realloc(r->data, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + r->data_cap, 0, (cap - r->data_cap) * sizeof(*grown));
		r->data = grown;
		r->data_cap = cap;
	}
	return &r->data[index];
}

/* Who a stalled data connection waited on: the sender, unless TCP says
 * otherwise. */
static void data_gap(struct result *r, struct data_track *d, const struct fst_ftp_transfer *t,
		     int64_t end_us, bool before_close)
{
	/* A data connection's pauses count from the threshold on, also
	 * the one a close ends: data never pauses between its segments. */
	if (!d->last_us)
		return;
	if (end_us - d->last_us >= r->an->cfg.gap_threshold_us)
		add_gap(r, FST_CHANNEL_DATA, t->id, d->last_us, end_us,
			attribute(&d->marks, side_wait(t->sender)), before_close);
}

static void path_on_data_end(struct data_track *d, const struct fst_ftp_event *ev);
static void path_forget_flow(struct result *r, const struct fst_tcp_event *tcp);

/* At a flow's CLOSE, its final count of the capture duplicates that the
 * tcp layer dropped. */
static void note_duplicates(struct result *r, const struct fst_tcp_flow *flow)
{
	if (flow->duplicates)
		r->pub.capture_notes |= FST_NOTE_BIT(FST_NOTE_DUPLICATES_REMOVED);
}

static void on_data_tcp(struct result *r, const struct fst_ftp_event *ev)
{
	const struct fst_ftp_transfer *t = ev->transfer;
	struct data_track *d = track_of(r, t);
	const struct fst_tcp_event *tcp = ev->tcp;

	if (!d) {
		path_forget_flow(r, tcp);
		return;
	}
	switch (tcp->kind) {
	case FST_TCP_EV_OPEN:
		if (!d->last_us)
			d->last_us = tcp->ts_us;
		break;
	case FST_TCP_EV_DATA:
	case FST_TCP_EV_GAP:
		/* A data connection matched by timing (FTPS) has no known
		 * sender: bytes either way are its activity. */
		if (ev->side != t->sender && !t->by_timing)
			break;
		if (tcp->kind == FST_TCP_EV_GAP) {
			d->marks.capture_loss = true;
			r->pub.capture_loss = true;
		}
		data_gap(r, d, t, tcp->ts_us, false);
		d->last_us = tcp->ts_us;
		r->last_data_us = tcp->ts_us;
		r->marks.data_moved = true;
		memset(&d->marks, 0, sizeof(d->marks));
		break;
	case FST_TCP_EV_ZERO_WINDOW:
		/* Only the receiver's shut window stops the data. */
		if (ev->side != t->sender)
			d->marks.zero_window = true;
		break;
	case FST_TCP_EV_RETRANSMIT:
		d->marks.retransmission = true;
		break;
	case FST_TCP_EV_FIN:
	case FST_TCP_EV_RST:
		path_on_data_end(d, ev);
		if (!d->closed) {
			d->closed = true;
			data_gap(r, d, t, tcp->ts_us, tcp->kind == FST_TCP_EV_RST);
		}
		break;
	case FST_TCP_EV_CLOSE:
		note_duplicates(r, tcp->flow);
		path_on_data_end(d, ev);
		break;
	case FST_TCP_EV_WINDOW_OPEN:
	case FST_TCP_EV_KEEPALIVE:
	case FST_TCP_EV_COUNT:
		break;
	}
}

/* ---- path faults ---------------------------------------------------------- */

/* The end of a data connection: the sender's FIN, then whether the
 * receiver had ACKed all of it. Both sides were alive and the
 * path carried the data connection up to then. */
static void path_on_data_end(struct data_track *d, const struct fst_ftp_event *ev)
{
	const struct fst_tcp_event *tcp = ev->tcp;

	if (tcp->kind == FST_TCP_EV_FIN && ev->side == ev->transfer->sender && !d->sender_fin_us) {
		d->sender_fin_us = tcp->ts_us;
		d->sender_dir = tcp->dir;
		d->flow = tcp->flow;
	}
	/* Checked again at each later FIN, reset and the CLOSE: the
	 * receiver's FIN carries its last ACK, and the CLOSE may come only
	 * at the end of the capture, after the control connection's. */
	if (d->sender_fin_us)
		d->acked_to_end = fst_tcp_flow_unacked(tcp->flow, d->sender_dir) == 0;
	if (tcp->kind == FST_TCP_EV_CLOSE)
		d->flow = NULL;
}

/* A data connection's CLOSE that came without its transfer: no track
 * may keep its flow, which is freed after this event. */
static void path_forget_flow(struct result *r, const struct fst_tcp_event *tcp)
{
	if (tcp->kind != FST_TCP_EV_CLOSE)
		return;
	for (size_t i = 0; i < r->data_cap; i++)
		if (r->data[i].flow == tcp->flow)
			r->data[i].flow = NULL;
}

/* The control connection ends: data connections still open say now how
 * far their receivers ACKed them. */
static void path_check_open_data(struct result *r)
{
	for (size_t i = 0; i < r->data_cap; i++) {
		struct data_track *d = &r->data[i];

		if (d->flow)
			d->acked_to_end = fst_tcp_flow_unacked(d->flow, d->sender_dir) == 0;
	}
}

/* The idle a control packet (bytes or a keep-alive) of one side ends:
 * kept as pending until the other side's bytes show the path carried
 * it. */
static void path_note_idle(struct path_watch *w, const struct fst_ftp_event *ev)
{
	enum fst_side side = ev->side, peer;
	int64_t idle = ev->tcp->ts_us - w->last_packet_us;

	if ((unsigned)side >= FST_SIDE_COUNT || side == FST_SIDE_NONE)
		return;
	peer = side == FST_SIDE_CLIENT ? FST_SIDE_SERVER : FST_SIDE_CLIENT;
	if (ev->tcp->kind == FST_TCP_EV_DATA && w->pending_idle_us[peer] > w->survived_us)
		w->survived_us = w->pending_idle_us[peer];
	if (ev->tcp->kind == FST_TCP_EV_DATA)
		w->pending_idle_us[peer] = 0;
	if (idle > w->pending_idle_us[side])
		w->pending_idle_us[side] = idle;
}

/* At the control flow's end: the keep-alives, and the idles before them
 * when the other side answered every probe. */
static void path_note_keepalives(struct result *r, const struct fst_tcp_flow *flow)
{
	struct path_watch *w = &r->path;
	struct fst_keepalive_info *k = &r->pub.keepalive;
	enum fst_tcp_dir dir = w->probe_dir;

	if (w->probe_side == FST_SIDE_NONE)
		return;
	k->sender = w->probe_side;
	k->probes = w->probes;
	k->answered = (unsigned)flow->keepalive_acks[!dir];
	k->interval_s = w->probes > 1 ? (double)(w->last_probe_us - w->first_probe_us) / 1e6 /
						(w->probes - 1) :
					-1;
	if (k->answered >= k->probes && w->pending_idle_us[w->probe_side] > w->survived_us)
		w->survived_us = w->pending_idle_us[w->probe_side];
}

/* Watches the control connection for a write after an idle: whether it
 * is sent again, answered, or never ACKed. Called for every TCP event of
 * the control connection, before the gaps see it. */
static void path_on_control(struct result *r, const struct fst_ftp_event *ev)
{
	struct path_watch *w = &r->path;
	const struct fst_tcp_event *tcp = ev->tcp;

	if (tcp->kind == FST_TCP_EV_DATA || tcp->kind == FST_TCP_EV_KEEPALIVE)
		path_note_idle(w, ev);
	switch (tcp->kind) {
	case FST_TCP_EV_DATA:
		/* The other side's bytes: the path delivers again. */
		if (ev->side != w->writer)
			w->writer = FST_SIDE_NONE;
		if (w->writer == FST_SIDE_NONE &&
		    tcp->ts_us - w->last_packet_us >= r->an->cfg.gap_threshold_us) {
			w->writer = ev->side;
			w->dir = tcp->dir;
			w->write_us = tcp->ts_us;
			w->idle_us = tcp->ts_us - w->last_packet_us;
			w->retransmissions = 0;
			w->reply_code = 0;
			w->command[0] = '\0';
		}
		w->last_packet_us = tcp->ts_us;
		break;
	case FST_TCP_EV_KEEPALIVE:
		if (w->probe_side == FST_SIDE_NONE) {
			w->probe_side = ev->side;
			w->probe_dir = tcp->dir;
		}
		if (ev->side == w->probe_side) {
			if (!w->probes++)
				w->first_probe_us = tcp->ts_us;
			w->last_probe_us = tcp->ts_us;
		}
		w->last_packet_us = tcp->ts_us;
		break;
	case FST_TCP_EV_RETRANSMIT:
		if (ev->side == w->writer)
			w->retransmissions++;
		break;
	case FST_TCP_EV_FIN:
	case FST_TCP_EV_RST:
		if (ev->side == FST_SIDE_CLIENT)
			w->client_closed = true;
		break;
	case FST_TCP_EV_CLOSE:
		w->flow_ended = true;
		w->end_us = tcp->ts_us;
		w->unacked = w->writer != FST_SIDE_NONE ? fst_tcp_flow_unacked(tcp->flow, w->dir) :
							  -1;
		path_check_open_data(r);
		path_note_keepalives(r, tcp->flow);
		break;
	case FST_TCP_EV_OPEN:
	case FST_TCP_EV_GAP:
	case FST_TCP_EV_ZERO_WINDOW:
	case FST_TCP_EV_WINDOW_OPEN:
	case FST_TCP_EV_COUNT:
		break;
	}
}

/* Names the write being watched: the command or reply it carried. */
static void path_on_ftp(struct result *r, const struct fst_ftp_event *ev)
{
	struct path_watch *w = &r->path;

	if (ev->kind == FST_FTP_EV_REPLY && ev->reply && w->writer == FST_SIDE_SERVER &&
	    !w->reply_code && ev->reply->ts_us == w->write_us)
		w->reply_code = ev->reply->code;
	if (ev->kind == FST_FTP_EV_COMMAND && ev->command && w->writer == FST_SIDE_CLIENT &&
	    !w->command[0] && ev->command->ts_us == w->write_us)
		snprintf(w->command, sizeof(w->command), "%s", ev->command->cmd.verb_text);
}

/* The newest data connection that ended between from_us and to_us and
 * whose receiver ACKed it to its end, or NULL. */
static const struct data_track *path_acked_data(const struct result *r, int64_t from_us,
						int64_t to_us, size_t *index)
{
	const struct fst_ftp_session *s = r->pub.session;
	const struct data_track *best = NULL;

	for (size_t i = 0; i < s->transfer_count && i < r->data_cap; i++) {
		const struct data_track *d = &r->data[i];

		if (d->acked_to_end && d->sender_fin_us >= from_us && d->sender_fin_us <= to_us &&
		    (!best || d->sender_fin_us > best->sender_fin_us)) {
			best = d;
			*index = i;
		}
	}
	return best;
}

/* A write after an idle, sent again and never ACKed to the end of the
 * connection. A server's write counts only while the client showed it
 * was alive: it ACKed a data connection to its end during that idle. */
static bool path_write_unacked(const struct result *r)
{
	const struct path_watch *w = &r->path;
	size_t index;

	if (w->writer == FST_SIDE_NONE || !w->flow_ended || w->unacked <= 0 || !w->retransmissions)
		return false;
	return w->writer == FST_SIDE_CLIENT ||
	       path_acked_data(r, w->write_us - w->idle_us, w->write_us, &index);
}

/* A data connection ended, ACKed to its end, with no final reply after
 * it, while the control connection had been idle for at least the
 * threshold before that end and stayed silent for at least the threshold
 * after it. Sets *index to its transfer. */
static bool path_reply_missing(const struct result *r, size_t *index)
{
	const struct fst_ftp_session *s = r->pub.session;
	const struct path_watch *w = &r->path;
	int64_t threshold = r->an->cfg.gap_threshold_us;
	int64_t end_us = w->client_closed ? r->pub.close.ts_us : w->end_us;
	const struct data_track *d;

	if (!w->flow_ended)
		return false;
	d = path_acked_data(r, r->last_us + threshold, end_us - threshold, index);
	return d &&
	       (s->transfers[*index].outcome == FST_OUTCOME_PENDING ||
		s->transfers[*index].outcome == FST_OUTCOME_UNKNOWN) &&
	       !s->transfers[*index].reply_code;
}

/* The path stopped delivering the control connection after it had been
 * idle (see docs/verdicts.md, path_stopped_delivering). */
static bool path_dropped(const struct result *r)
{
	size_t index;

	return path_write_unacked(r) || path_reply_missing(r, &index);
}

/* A new decision starts from the closer the packets showed. */
static void path_restore_closer(struct result *r)
{
	struct fst_close_info *c = &r->pub.close;

	if (r->path.closer_replaced && !c->rst_ttl_mismatch)
		c->by = r->path.closer_seen;
	if (c->dropped) {
		c->dropped = false;
		c->ts_us = r->path.close_ts_seen;
		c->idle_since_us = r->path.idle_since_seen;
		c->after_idle_s = r->path.after_idle_seen;
	}
	r->path.closer_replaced = false;
}

/* After a verdict: a middlebox_* verdict names the middlebox as the
 * closer and says how long the connection had been idle before the path
 * failed; middlebox_drop also keeps its evidence for the report. */
static void path_conclude(struct result *r)
{
	struct fst_session_result *p = &r->pub;
	const struct path_watch *w = &r->path;
	const struct fst_gap *g = fst_session_decisive_gap(p);
	struct fst_path_fault *f = &p->path;
	size_t index = 0;
	const struct data_track *d;

	p->path_idle_s = -1;
	p->path_survived_s = seconds(0, w->survived_us);
	memset(f, 0, sizeof(*f));
	if (p->verdict != FST_VERDICT_MIDDLEBOX_RESET && p->verdict != FST_VERDICT_MIDDLEBOX_DROP)
		return;
	r->path.closer_replaced = true;
	r->path.closer_seen = p->close.by;
	p->close.by = FST_CLOSE_BY_MIDDLEBOX;
	if (p->verdict == FST_VERDICT_MIDDLEBOX_RESET) {
		/* The idle before the write the reset answered, if one did. */
		if (w->writer != FST_SIDE_NONE && p->close.ts_us >= w->write_us &&
		    p->close.ts_us - w->write_us <= ANNOUNCE_WINDOW_US)
			p->path_idle_s = seconds(0, w->idle_us);
		else if (g)
			p->path_idle_s = seconds(g->start_us, g->end_us);
		return;
	}
	f->client_gave_up = w->client_closed;
	if (f->client_gave_up)
		f->gave_up_us = p->close.ts_us;
	if (path_write_unacked(r)) {
		f->evidence = FST_PATH_WRITE_UNACKED;
		f->writer = w->writer;
		f->write_us = w->write_us;
		f->retransmissions = w->retransmissions;
		f->reply_code = w->reply_code;
		snprintf(f->command, sizeof(f->command), "%s", w->command);
		p->path_idle_s = seconds(0, w->idle_us);
		d = path_acked_data(r, w->write_us - w->idle_us, w->write_us, &index);
	} else {
		if (!path_reply_missing(r, &index))
			return;
		f->evidence = FST_PATH_REPLY_MISSING;
		d = &r->data[index];
		p->path_idle_s = seconds(r->last_us, d->sender_fin_us);
	}
	if (d) {
		f->data_acked = true;
		f->data_bytes = p->session->transfers[index].bytes;
		f->data_sender = p->session->transfers[index].sender;
		f->data_end_us = d->sender_fin_us;
	}
	/* The path's silence is the close, from when it showed (the dropped
	 * write, or the end of the data); a FIN the client sent when it gave
	 * up came later, into that silence. */
	{
		r->path.close_ts_seen = p->close.ts_us;
		r->path.idle_since_seen = p->close.idle_since_us;
		r->path.after_idle_seen = p->close.after_idle_s;
		p->close.dropped = true;
		p->close.ts_us = f->evidence == FST_PATH_WRITE_UNACKED ? f->write_us :
									 f->data_end_us;
		p->close.after_idle_s = p->path_idle_s;
		p->close.idle_since_us = p->close.ts_us - (int64_t)(p->path_idle_s * 1e6);
	}
}

/* ---- keepalives ------------------------------------------------------------ */

/* Commands clients send to look busy: they move no data and change
 * nothing. NOOP does not reset ProFTPD's TimeoutNoTransfer, and
 * Pure-FTPd lets a run of these (NOOP, PWD, CWD, TYPE, MODE, SYST) keep
 * a session only twice its idle time. */
static const enum fst_ftp_verb keepalive_verbs[] = {
	FST_VERB_NOOP, FST_VERB_PWD,  FST_VERB_CWD,  FST_VERB_TYPE,
	FST_VERB_MODE, FST_VERB_STRU, FST_VERB_SYST, FST_VERB_FEAT,
};

static bool is_keepalive(enum fst_ftp_verb verb)
{
	for (size_t i = 0; i < sizeof(keepalive_verbs) / sizeof(keepalive_verbs[0]); i++)
		if (keepalive_verbs[i] == verb)
			return true;
	return false;
}

/* A client command before the close: counts the run of keepalives since
 * the last other command. */
static void count_keepalive(struct result *r, const struct fst_ftp_command_rec *cmd)
{
	struct fst_close_info *c = &r->pub.close;

	if (r->close_started)
		return;
	if (is_keepalive(cmd->cmd.verb)) {
		if (c->keepalives++ == 0)
			c->first_keepalive_us = cmd->ts_us;
	} else {
		c->keepalives = 0;
		c->keepalives_since_us = cmd->ts_us;
	}
}

/* ---- close ---------------------------------------------------------------- */

/* A reply that says the server is closing. vsftpd's fatal errors are
 * "500 OOPS: ..." and always end the session: under TLS its idle timer
 * says "500 OOPS: vsf_sysutil_recv_peek" where it would say 421. */
static bool announces_close(int code, const char *text)
{
	return code == 421 || code == 221 || (code >= 400 && code < 500) ||
	       (code == 500 && text && strncmp(text, "OOPS:", 5) == 0);
}

static void conclude(struct result *r, enum fst_verdict_state state);

/* The first FIN or reset on the control connection. */
static void close_begins(struct result *r, const struct fst_ftp_event *ev)
{
	struct fst_close_info *c = &r->pub.close;
	const struct fst_tcp_event *tcp = ev->tcp;
	struct fst_ftp_session *s = r->pub.session;
	bool announced = r->last_reply_code && r->last_reply_us == r->last_us &&
			 announces_close(r->last_reply_code, r->last_reply_text) &&
			 tcp->ts_us - r->last_reply_us <= ANNOUNCE_WINDOW_US;
	/* The server's last bytes before its close were lost by the capture:
	 * what it sent there (often the 421) is unknown, but it ends the idle
	 * as an announcing reply would. */
	bool lost_before = !announced && r->last_was_loss && r->last_side == FST_SIDE_SERVER &&
			   ev->side == FST_SIDE_SERVER && r->prev_us < r->last_us &&
			   tcp->ts_us - r->last_us <= ANNOUNCE_WINDOW_US;

	/* Inside TLS the 421 is unreadable, but a last server record just
	 * before its close plays that part. */
	if (s->opaque && r->last_side == FST_SIDE_SERVER && r->prev_us < r->last_us &&
	    tcp->ts_us - r->last_us <= ANNOUNCE_WINDOW_US)
		announced = true;

	r->close_started = true;
	c->ts_us = tcp->ts_us;
	c->rst = tcp->kind == FST_TCP_EV_RST;
	c->by = ev->side == FST_SIDE_CLIENT ? FST_CLOSE_BY_CLIENT : FST_CLOSE_BY_SERVER;
	c->mid_transfer = s->turn.channel == FST_CHANNEL_DATA;
	for (size_t i = 0; i < s->transfer_count; i++)
		/* A transfer matched by timing (FTPS) never gets its reply
		 * read: it ran on only while its data connection did. */
		if (s->transfers[i].outcome == FST_OUTCOME_PENDING &&
		    !(s->transfers[i].by_timing && s->transfers[i].data_done))
			c->mid_transfer = true;
	/* A data connection still stalled when the control one closes:
	 * its open gap ends here. */
	for (size_t i = 0; i < s->transfer_count && i < r->data_cap; i++)
		if (r->data[i].last_us && !r->data[i].closed) {
			r->data[i].closed = true;
			c->mid_transfer = true;
			data_gap(r, &r->data[i], &s->transfers[i], tcp->ts_us, true);
		}

	c->idle_since_us = r->last_us;
	/* The idle the close ended, always reported; when a reply just
	 * announced the close, the idle before that reply is the one. */
	if (!(announced || lost_before) || tcp->ts_us - r->last_us >= r->an->cfg.gap_threshold_us)
		add_gap(r, FST_CHANNEL_CONTROL, 0, r->last_us, tcp->ts_us,
			attribute(&r->marks, control_turn_wait(s->turn)), true);
	/* The client owed the next command and only the server's bytes were
	 * lost: its silence is certain, the server's closing reply is not. */
	c->reply_lost = lost_before && !r->last_gap_marks.lost_client &&
			r->last_gap_turn.side == FST_SIDE_CLIENT &&
			r->last_gap_turn.channel == FST_CHANNEL_CONTROL;
	if (announced || lost_before) {
		if (announced && r->last_reply_us == r->last_us && r->last_reply_code) {
			c->reply_code = r->last_reply_code;
			c->reply_ts_us = r->last_reply_us;
			/* A copy: past the record cap the ftp layer reuses it. */
			free(r->close_reply_buf);
			r->close_reply_buf = strdup(r->last_reply_text);
			c->reply_text = r->close_reply_buf ? r->close_reply_buf : "";
			c->reply_text_truncated = r->last_reply_truncated || !r->close_reply_buf;
		}
		/* The idle that made the server announce the close. */
		if (r->last_gap_recorded) {
			for (size_t i = r->pub.gap_count; i-- > 0;)
				if (r->pub.gaps[i].channel == FST_CHANNEL_CONTROL &&
				    r->pub.gaps[i].end_us == r->message_us) {
					r->pub.gaps[i].before_close = true;
					break;
				}
		} else {
			add_gap(r, FST_CHANNEL_CONTROL, 0, r->prev_us, r->last_us,
				attribute(&r->last_gap_marks, control_turn_wait(r->last_gap_turn)),
				true);
		}
		c->idle_since_us = r->prev_us;
	}
	if (r->last_data_us > c->idle_since_us && r->last_data_us < c->ts_us)
		c->idle_since_us = r->last_data_us;
	c->after_idle_s = seconds(c->idle_since_us, c->ts_us);
	c->busy_to_close = c->keepalives &&
			   c->ts_us - c->idle_since_us < r->an->cfg.gap_threshold_us;
	conclude(r, FST_VERDICT_PROVISIONAL);
}

static void on_control_tcp(struct result *r, const struct fst_ftp_event *ev)
{
	const struct fst_tcp_event *tcp = ev->tcp;
	struct fst_close_info *c = &r->pub.close;
	struct fst_tcp_flow *flow = tcp->flow;

	path_on_control(r, ev);
	r->control_packets[FST_DIR_CLIENT] = flow->packets[FST_DIR_CLIENT];
	r->control_packets[FST_DIR_SERVER] = flow->packets[FST_DIR_SERVER];
	switch (tcp->kind) {
	case FST_TCP_EV_OPEN:
		break;
	case FST_TCP_EV_DATA:
		control_activity(r, tcp->ts_us, ev->side);
		r->last_was_loss = false;
		if (r->server_fin && ev->side == FST_SIDE_CLIENT && !c->client_wrote_after_close) {
			c->client_wrote_after_close = true;
			c->client_write_ts_us = tcp->ts_us;
			r->want_write_command = true;
		}
		break;
	case FST_TCP_EV_GAP:
		r->marks.capture_loss = true;
		if (ev->side == FST_SIDE_CLIENT)
			r->marks.lost_client = true;
		else
			r->marks.lost_server = true;
		r->pub.capture_loss = true;
		control_activity(r, tcp->ts_us, ev->side);
		r->last_was_loss = true;
		break;
	case FST_TCP_EV_RETRANSMIT:
		r->marks.retransmission = true;
		break;
	case FST_TCP_EV_ZERO_WINDOW:
		r->marks.zero_window = true;
		break;
	case FST_TCP_EV_FIN:
		if (ev->side == FST_SIDE_SERVER)
			r->server_fin = true;
		if (!r->close_started)
			close_begins(r, ev);
		break;
	case FST_TCP_EV_RST: {
		enum fst_tcp_dir dir = tcp->dir;
		uint8_t usual = flow->first_ttl[dir];

		if (c->client_wrote_after_close && ev->side == FST_SIDE_SERVER &&
		    !c->reset_after_write) {
			c->reset_after_write = true;
			c->reset_ts_us = tcp->ts_us;
		}
		if (!r->close_started) {
			close_begins(r, ev);
			/* A reset whose TTL differs from everything else that
			 * side sent was probably forged on the way. */
			if (flow->packets[dir] > 1 && tcp->ttl != usual) {
				c->rst_ttl_mismatch = true;
				c->rst_ttl = tcp->ttl;
				c->peer_ttl = usual;
				c->by = FST_CLOSE_BY_MIDDLEBOX;
			}
		}
		break;
	}
	case FST_TCP_EV_CLOSE:
		r->tcp_close = tcp->close_reason;
		note_duplicates(r, flow);
		break;
	case FST_TCP_EV_WINDOW_OPEN:
	case FST_TCP_EV_KEEPALIVE:
	case FST_TCP_EV_COUNT:
		break;
	}
}

/* ---- verdicts ------------------------------------------------------------- */

/* The command a server-owed gap g waited on: for a data gap its
 * transfer's command, else the last command sent before g began; NULL
 * when there is none (before any command, the greeting was owed). */
static const struct fst_ftp_command_rec *awaited_command(const struct fst_ftp_session *s,
							 const struct fst_gap *g)
{
	if (g->channel == FST_CHANNEL_DATA) {
		const struct fst_ftp_transfer *t;

		if (!g->transfer_id || g->transfer_id > s->transfer_count)
			return NULL;
		t = &s->transfers[g->transfer_id - 1];
		for (size_t i = s->command_count; i-- > 0;)
			if (s->commands[i].ts_us == t->command_ts_us &&
			    s->commands[i].cmd.verb == t->verb)
				return &s->commands[i];
		return NULL;
	}
	for (size_t i = s->command_count; i-- > 0;)
		if (s->commands[i].ts_us <= g->start_us)
			return &s->commands[i];
	return NULL;
}

/* Whether the reply that the server-owed gap g waited on was still owed
 * at the close, or with the session still open at the end of the
 * capture: the awaited command's final reply, or before any command the
 * greeting (any reply after g began). */
static bool reply_still_owed(const struct fst_session_result *p, const struct fst_gap *g)
{
	const struct fst_ftp_session *s = p->session;
	int64_t until = p->close.by != FST_CLOSE_BY_NONE ? p->close.ts_us : INT64_MAX;
	const struct fst_ftp_command_rec *cmd;

	if (!g || g->waiting_on != FST_WAIT_SERVER)
		return false;
	cmd = awaited_command(s, g);
	/* Past the record cap the newest commands are not recorded: the
	 * last recorded one tells nothing; trust the turn. */
	if (s->commands_dropped && (!cmd || cmd == &s->commands[s->command_count - 1]))
		return true;
	if (cmd)
		return !cmd->reply_code || cmd->reply_ts_us > until;
	if (g->channel == FST_CHANNEL_DATA)
		return true;
	for (size_t i = 0; i < s->reply_count; i++)
		if (s->replies[i].ts_us > g->start_us && s->replies[i].ts_us <= until)
			return false;
	return true;
}

static const struct fst_gap *find_decisive_gap(const struct fst_session_result *p)
{
	const struct fst_gap *best = NULL;
	int64_t close_us = p->close.by != FST_CLOSE_BY_NONE ? p->close.ts_us : 0;

	/* The longest gap that led to the close (marked so, or ending just
	 * before it, unless the reply it waited for came: what came after
	 * that reply led to the close); else the longest gap that somebody
	 * owed. */
	for (size_t i = 0; i < p->gap_count; i++) {
		const struct fst_gap *g = &p->gaps[i];
		bool near_close = close_us && g->end_us <= close_us &&
				  close_us - g->end_us <= ANNOUNCE_WINDOW_US;
		bool leads_to_close = g->before_close ||
				      (near_close && (g->waiting_on != FST_WAIT_SERVER ||
						      reply_still_owed(p, g)));

		if (leads_to_close &&
		    (!best || g->end_us - g->start_us > best->end_us - best->start_us))
			best = g;
	}
	if (best && best->end_us - best->start_us > 0)
		return best;
	for (size_t i = 0; i < p->gap_count; i++) {
		const struct fst_gap *g = &p->gaps[i];

		if (g->waiting_on != FST_WAIT_NONE &&
		    (!best || g->end_us - g->start_us > best->end_us - best->start_us))
			best = g;
	}
	return best;
}

/* The longest gap on any data connection, or NULL. */
static const struct fst_gap *longest_data_gap(const struct fst_session_result *p)
{
	const struct fst_gap *best = NULL;

	for (size_t i = 0; i < p->gap_count; i++) {
		const struct fst_gap *g = &p->gaps[i];

		if (g->channel == FST_CHANNEL_DATA &&
		    (!best || g->end_us - g->start_us > best->end_us - best->start_us))
			best = g;
	}
	return best;
}

/* An upload whose data connection the server closed before it was
 * complete: the server's data timeout, whoever then closed control. */
static bool server_cut_upload(const struct fst_session_result *p)
{
	const struct fst_ftp_session *s = p->session;

	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		if (t->sender == FST_SIDE_CLIENT && t->closed_by == FST_SIDE_SERVER &&
		    t->outcome != FST_OUTCOME_COMPLETE)
			return true;
	}
	return false;
}

static enum fst_stalled_side stalled_from_wait(enum fst_wait wait)
{
	switch (wait) {
	case FST_WAIT_CLIENT:
		return FST_STALLED_CLIENT;
	case FST_WAIT_SERVER:
		return FST_STALLED_SERVER;
	case FST_WAIT_NETWORK:
		return FST_STALLED_NETWORK;
	case FST_WAIT_RECEIVER: /* whose window: see stalled_from_data_gap */
	case FST_WAIT_CAPTURE:
		return FST_STALLED_UNKNOWN;
	case FST_WAIT_NONE:
	case FST_WAIT_COUNT:
		break;
	}
	return FST_STALLED_NONE;
}

/* Who stalled a data gap: whom it waited on; behind a zero window, the
 * receiver that kept its window shut (the side that does not send). */
static enum fst_stalled_side stalled_from_data_gap(const struct fst_session_result *p,
						   const struct fst_gap *g)
{
	const struct fst_ftp_session *s = p->session;
	const struct fst_ftp_transfer *t = g->transfer_id >= 1 &&
							   g->transfer_id <= s->transfer_count ?
						   &s->transfers[g->transfer_id - 1] :
						   NULL;

	/* FTPS without keys: whether it was an upload or a download, and
	 * so who owed the bytes, is encrypted. */
	if (t && t->by_timing && g->waiting_on == FST_WAIT_NONE)
		return FST_STALLED_UNKNOWN;
	if (g->waiting_on == FST_WAIT_RECEIVER && t)
		return t->sender == FST_SIDE_CLIENT ? FST_STALLED_SERVER : FST_STALLED_CLIENT;
	return stalled_from_wait(g->waiting_on);
}

/* Whether a transfer's data connection never opened: the capture shows
 * its SYNs refused or unanswered and the transfer did not complete, or
 * the server answered 425 to a data connection announced for it that
 * the capture never saw open. A 426 counts only with such SYNs, and a
 * data connection missing from the capture is no failure. */
static bool transfer_connect_failed(const struct fst_ftp_transfer *t)
{
	/* FTPS: the connection opened but the server refused its TLS
	 * (RFC 4217 522; vsftpd's require_ssl_reuse). */
	if (t->reply_code == FST_FTP_REPLY_DATA_TLS_REFUSED || t->tls_refused_probably)
		return true;
	switch (t->data_connect) {
	case FST_CONNECT_OPENED:
		return false;
	case FST_CONNECT_UNANSWERED:
	case FST_CONNECT_REFUSED:
		return t->outcome != FST_OUTCOME_COMPLETE;
	case FST_CONNECT_NONE:
	case FST_CONNECT_COUNT:
		break;
	}
	return t->reply_code == 425 && t->data_announced;
}

/* The newest data connection that never opened, unless a transfer
 * commanded after it completed (the client got through after all):
 * true with *transfer_id its transfer, or 0 for the attempt that no
 * transfer command claimed. */
static bool find_connect_failure(const struct fst_ftp_session *s, uint64_t *transfer_id)
{
	struct fst_ftp_data_attempt a;
	int64_t failed_us = 0, completed_us = 0;
	bool found = false;

	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		/* Without keys, a data connection whose TLS the server did
		 * not refuse is as far as a transfer is known to get. */
		bool through = t->outcome == FST_OUTCOME_COMPLETE ||
			       (t->by_timing && t->tls_seen && !t->tls_refused_probably);

		if (through && t->command_ts_us > completed_us)
			completed_us = t->command_ts_us;
		if (transfer_connect_failed(t)) {
			found = true;
			failed_us = t->command_ts_us;
			*transfer_id = t->id;
		}
	}
	if (fst_ftp_unclaimed_attempt(s, &a) &&
	    (a.connect == FST_CONNECT_UNANSWERED || a.connect == FST_CONNECT_REFUSED) &&
	    (!found || a.syn_us >= failed_us)) {
		found = true;
		failed_us = a.syn_us;
		*transfer_id = 0;
	}
	return found && failed_us >= completed_us;
}

/* The facts the verdict rules look at, gathered once per decision. */
struct evidence {
	enum fst_close_by close_by;
	bool rst;
	int reply_code; /* the reply that announced the close, or 0 */
	/* ... and it speaks of data ("Data timeout"), and a data connection
	 * was open or stalled: the text alone decides nothing. */
	bool data_reply;
	/* The client wrote only keepalives (NOOP, PWD, ...) up to the close. */
	bool busy_to_close;
	bool server_ended; /* the server closed first, or a 421 announced it */
	bool client_first; /* the client closed first, no 421 before it */
	bool quit_seen, goodbye_seen;
	bool mid_transfer;	/* a transfer ran or had no final reply */
	bool encrypted;		/* commands unreadable after AUTH */
	bool no_idle;		/* the close came within the threshold of activity */
	bool server_turn;	/* the session waited on the server at the end */
	bool server_cut_upload; /* the server closed an unfinished upload's data */
	bool connect_failed;	/* a data connection never opened (find_connect_failure) */
	uint64_t connect_failed_transfer;
	bool connect_tls_refused; /* ... it opened, but the server refused its TLS */
	/* ... or, without keys, its records and the server's next control
	 * record look like such a refusal (tls_refused_probably). */
	bool connect_tls_refused_probably;
	/* The decisive gap (see find_decisive_gap). */
	enum fst_wait waited_on; /* FST_WAIT_NONE without one */
	enum fst_channel gap_channel;
	bool gap_before_close;
	bool long_gap; /* it is at least the gap threshold */
	/* The decisive gap waited on the server, and the reply it waited for
	 * had not come at the close (or, still open, by the end of the
	 * capture): a slow reply that came is not unresponsiveness. */
	bool reply_owed;
	/* The login was refused and never succeeded. */
	bool login_failed;
	/* The longest data gap, when it is at least the threshold. */
	bool data_gap_decides;
	bool path_dropped; /* the path stopped delivering after an idle */
	/* What the capture could not show. */
	bool one_sided;		 /* only one direction of the control connection */
	bool gap_dropped;	 /* the kernel dropped packets during the decisive gap */
	bool reply_lost;	 /* the server's bytes just before its close were lost */
	bool idle_matches_timer; /* ... and the idle matches its known idle timeout */
};

/* What the data-related rules share: a transfer ran or a data
 * connection stalled. The closing reply's words alone never make data
 * involved: the evidence must be packets (a "421 ... no data ..." after
 * an idle login is the idle timer). */
static bool data_involved(const struct evidence *e)
{
	return e->mid_transfer || e->data_gap_decides;
}

/* Only one direction captured: one side's silence cannot be told from
 * the capture's, so nobody is blamed. */
static bool capture_one_sided(const struct evidence *e)
{
	return e->one_sided;
}

static bool capture_ended_owed_reply(const struct evidence *e)
{
	return e->close_by == FST_CLOSE_BY_NONE && e->long_gap && e->waited_on == FST_WAIT_SERVER &&
	       e->gap_before_close && e->reply_owed;
}

/* A write after an idle never ACKed, or a final reply that never came
 * after an idle control connection, and no real close but the client's. */
static bool path_stopped_delivering(const struct evidence *e)
{
	return e->path_dropped && (e->close_by == FST_CLOSE_BY_NONE || e->client_first);
}

static bool capture_ended(const struct evidence *e)
{
	return e->close_by == FST_CLOSE_BY_NONE;
}

static bool reset_foreign_ttl(const struct evidence *e)
{
	return e->close_by == FST_CLOSE_BY_MIDDLEBOX;
}

/* The server refused the data connection's TLS: no stall, a client or
 * server setting. */
static bool data_connection_tls_refused(const struct evidence *e)
{
	return e->connect_failed && e->connect_tls_refused;
}

/* The same seen without keys: the 522 is encrypted, the data
 * connection's records and the timing say it. */
static bool data_connection_tls_refused_probably(const struct evidence *e)
{
	return e->connect_failed && e->connect_tls_refused_probably;
}

static bool data_connection_never_opened(const struct evidence *e)
{
	return e->connect_failed;
}

/* The server's 421 was lost, but the client's silence is whole and
 * lasted as long as the server's idle timeout is known to be. */
static bool server_closed_idle_reply_lost(const struct evidence *e)
{
	return e->server_ended && e->reply_lost && e->long_gap && e->gap_before_close &&
	       e->idle_matches_timer;
}

static bool decisive_gap_lost(const struct evidence *e)
{
	return e->waited_on == FST_WAIT_CAPTURE && e->long_gap;
}

/* The login was refused and the session ended on that: not by a server
 * timer after a long idle of the client's without QUIT (an idle_timeout
 * after the 530 stays one), and with no reply owed. */
static bool failed_login_closed(const struct evidence *e)
{
	return e->login_failed && !e->reply_owed &&
	       !(e->server_ended && !e->quit_seen && e->waited_on == FST_WAIT_CLIENT &&
		 e->long_gap);
}

static bool decisive_gap_dropped(const struct evidence *e)
{
	return e->gap_dropped && e->long_gap;
}

static bool quit_or_goodbye(const struct evidence *e)
{
	return e->quit_seen || (e->goodbye_seen && e->close_by == FST_CLOSE_BY_SERVER && !e->rst);
}

/* A 421 to a client that kept writing NOOP, PWD and the like up to the
 * close, with no data involved: a timer that such commands do not reset
 * (ProFTPD's TimeoutNoTransfer, Pure-FTPd's limit on NOOPs), not a clean
 * end however short the idle, nor a silence of the server: it answered
 * up to the close, whatever it once owed (a login it delayed). */
static bool server_closed_keepalive_client(const struct evidence *e)
{
	return e->server_ended && e->reply_code == 421 && e->busy_to_close && !data_involved(e);
}

/* A transfer command that never got its 150: the server owed a reply
 * and no data stalled. */
static bool server_owed_reply_no_data(const struct evidence *e)
{
	return e->server_ended && e->waited_on == FST_WAIT_SERVER && e->reply_owed && e->long_gap &&
	       !e->data_gap_decides && !e->data_reply;
}

/* A reset without a reply after a control connection that stayed
 * silent through a long transfer: the NAT/firewall idle timeout. */
static bool control_silent_transfer_reset(const struct evidence *e)
{
	return e->server_ended && data_involved(e) && e->rst && !e->reply_code &&
	       e->gap_channel == FST_CHANNEL_CONTROL && e->long_gap &&
	       e->waited_on == FST_WAIT_NONE;
}

static bool server_closed_data_stalled(const struct evidence *e)
{
	return e->server_ended && data_involved(e);
}

/* Inside TLS the turn is a guess, so no idle means a clean end there
 * before the turn is looked at. */
static bool server_closed_no_idle_tls(const struct evidence *e)
{
	return e->server_ended && e->no_idle && e->encrypted;
}

static bool server_closed_owed_reply(const struct evidence *e)
{
	return e->server_ended && e->waited_on == FST_WAIT_SERVER && e->reply_owed;
}

/* A QUIT the capture could not read, or a close on purpose with nothing
 * owed (a refused login is failed_login_closed's). */
static bool server_closed_no_idle(const struct evidence *e)
{
	return e->server_ended && e->no_idle;
}

static bool server_closed_idle_client(const struct evidence *e)
{
	return e->server_ended;
}

/* The server closed a stalled upload's data connection and the client
 * gave up before the 421 arrived. */
static bool client_closed_cut_upload(const struct evidence *e)
{
	return e->client_first && e->server_cut_upload && e->data_gap_decides;
}

static bool client_gave_up_owed_reply(const struct evidence *e)
{
	return e->client_first && e->waited_on == FST_WAIT_SERVER && e->reply_owed && e->long_gap;
}

static bool client_aborted(const struct evidence *e)
{
	return e->client_first && (e->rst || e->mid_transfer || e->server_turn);
}

static bool client_closed_nothing_owed(const struct evidence *e)
{
	return e->client_first;
}

/* Which gap a rule names as decisive. */
enum rule_gap {
	RULE_GAP_DECISIVE, /* the one find_decisive_gap chose */
	RULE_GAP_NONE,	   /* nothing to decide: no decisive gap */
	/* The longest data gap when it reaches the threshold, and then its
	 * waiting_on is the stalled side; else as RULE_GAP_DECISIVE. */
	RULE_GAP_DATA,
};

struct verdict_rule {
	const char *name; /* as in docs/verdicts.md */
	bool (*matches)(const struct evidence *e);
	enum fst_verdict verdict;
	enum fst_stalled_side stalled;
	enum rule_gap gap;
	enum fst_timer timer;
};

/* docs/verdicts.md, "Rules", row by row: the first rule that matches
 * decides, so the order is part of the meaning. */
static const struct verdict_rule verdict_rules[] = {
	{ "capture_one_sided", capture_one_sided, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN,
	  RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "capture_ended_owed_reply", capture_ended_owed_reply, FST_VERDICT_SERVER_UNRESPONSIVE,
	  FST_STALLED_SERVER, RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "path_stopped_delivering", path_stopped_delivering, FST_VERDICT_MIDDLEBOX_DROP,
	  FST_STALLED_NETWORK, RULE_GAP_DECISIVE, FST_TIMER_IDLE },
	{ "capture_ended", capture_ended, FST_VERDICT_INCOMPLETE, FST_STALLED_NONE,
	  RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "reset_foreign_ttl", reset_foreign_ttl, FST_VERDICT_MIDDLEBOX_RESET, FST_STALLED_NETWORK,
	  RULE_GAP_DECISIVE, FST_TIMER_IDLE },
	{ "data_connection_tls_refused", data_connection_tls_refused,
	  FST_VERDICT_DATA_CONNECTION_FAILED, FST_STALLED_NONE, RULE_GAP_NONE, FST_TIMER_NONE },
	{ "data_connection_tls_refused_probably", data_connection_tls_refused_probably,
	  FST_VERDICT_DATA_CONNECTION_FAILED, FST_STALLED_NONE, RULE_GAP_NONE, FST_TIMER_NONE },
	{ "data_connection_never_opened", data_connection_never_opened,
	  FST_VERDICT_DATA_CONNECTION_FAILED, FST_STALLED_NETWORK, RULE_GAP_NONE, FST_TIMER_NONE },
	{ "server_closed_idle_reply_lost", server_closed_idle_reply_lost, FST_VERDICT_IDLE_TIMEOUT,
	  FST_STALLED_CLIENT, RULE_GAP_DECISIVE, FST_TIMER_IDLE },
	{ "decisive_gap_lost", decisive_gap_lost, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN,
	  RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "decisive_gap_dropped", decisive_gap_dropped, FST_VERDICT_UNKNOWN, FST_STALLED_UNKNOWN,
	  RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "failed_login_closed", failed_login_closed, FST_VERDICT_LOGIN_FAILED, FST_STALLED_NONE,
	  RULE_GAP_NONE, FST_TIMER_NONE },
	{ "quit_or_goodbye", quit_or_goodbye, FST_VERDICT_CLEAN, FST_STALLED_NONE, RULE_GAP_NONE,
	  FST_TIMER_NONE },
	{ "server_closed_keepalive_client", server_closed_keepalive_client,
	  FST_VERDICT_IDLE_TIMEOUT, FST_STALLED_CLIENT, RULE_GAP_NONE, FST_TIMER_IDLE },
	{ "server_owed_reply_no_data", server_owed_reply_no_data, FST_VERDICT_SERVER_UNRESPONSIVE,
	  FST_STALLED_SERVER, RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "control_silent_transfer_reset", control_silent_transfer_reset,
	  FST_VERDICT_MIDDLEBOX_RESET, FST_STALLED_NETWORK, RULE_GAP_DECISIVE, FST_TIMER_IDLE },
	{ "server_closed_data_stalled", server_closed_data_stalled, FST_VERDICT_DATA_TIMEOUT,
	  FST_STALLED_UNKNOWN, RULE_GAP_DATA, FST_TIMER_DATA },
	{ "server_closed_no_idle_tls", server_closed_no_idle_tls, FST_VERDICT_CLEAN,
	  FST_STALLED_NONE, RULE_GAP_NONE, FST_TIMER_NONE },
	{ "server_closed_owed_reply", server_closed_owed_reply, FST_VERDICT_SERVER_UNRESPONSIVE,
	  FST_STALLED_SERVER, RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "server_closed_no_idle", server_closed_no_idle, FST_VERDICT_CLEAN, FST_STALLED_NONE,
	  RULE_GAP_NONE, FST_TIMER_NONE },
	{ "server_closed_idle_client", server_closed_idle_client, FST_VERDICT_IDLE_TIMEOUT,
	  FST_STALLED_CLIENT, RULE_GAP_DECISIVE, FST_TIMER_IDLE },
	{ "client_closed_cut_upload", client_closed_cut_upload, FST_VERDICT_DATA_TIMEOUT,
	  FST_STALLED_UNKNOWN, RULE_GAP_DATA, FST_TIMER_DATA },
	{ "client_gave_up_owed_reply", client_gave_up_owed_reply, FST_VERDICT_SERVER_UNRESPONSIVE,
	  FST_STALLED_SERVER, RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "client_aborted", client_aborted, FST_VERDICT_CLIENT_ABORT, FST_STALLED_NONE,
	  RULE_GAP_DECISIVE, FST_TIMER_NONE },
	{ "client_closed_nothing_owed", client_closed_nothing_owed, FST_VERDICT_CLEAN,
	  FST_STALLED_NONE, RULE_GAP_NONE, FST_TIMER_NONE },
};

#define VERDICT_RULE_COUNT (sizeof(verdict_rules) / sizeof(verdict_rules[0]))

/* The rules that leave a verdict unknown for something the capture
 * lacked, and that note. */
static const struct {
	bool (*matches)(const struct evidence *e);
	enum fst_capture_note note;
} uncertain_rules[] = {
	{ capture_one_sided, FST_NOTE_ONE_SIDED },
	{ decisive_gap_lost, FST_NOTE_CAPTURE_LOSS },
	{ decisive_gap_dropped, FST_NOTE_KERNEL_DROPS },
};

size_t fst_verdict_rule_count(void)
{
	return VERDICT_RULE_COUNT;
}

const char *fst_verdict_rule_at(size_t index, enum fst_verdict *verdict)
{
	if (index >= VERDICT_RULE_COUNT)
		return NULL;
	if (verdict)
		*verdict = verdict_rules[index].verdict;
	return verdict_rules[index].name;
}

/* Whether an idle of idle_s matches a known idle timeout of timer_s:
 * within a tenth of it, or half a second for short ones. */
static bool idle_matches(double idle_s, double timer_s)
{
	double slack = timer_s / 10 > 0.5 ? timer_s / 10 : 0.5;

	return timer_s > 0 && idle_s >= timer_s - slack && idle_s <= timer_s + slack;
}

/* For a close whose reply was lost: the server's idle timeout that the
 * idle of gap g matches (the estimate from its other sessions, or its
 * product's default), else 0. */
static double matched_idle_timeout(const struct result *r, const struct fst_gap *g)
{
	const struct fst_server_profile *prof = r->pub.profile;
	double idle;

	if (!g || !r->pub.close.reply_lost)
		return 0;
	idle = seconds(g->start_us, g->end_us);
	if (idle_matches(idle, r->idle_timeout_hint_s))
		return r->idle_timeout_hint_s;
	if (prof && idle_matches(idle, prof->idle_default_s))
		return prof->idle_default_s;
	return 0;
}

/* Whether only one direction of the control connection was captured. */
static bool one_sided(const struct result *r)
{
	return !r->control_packets[FST_DIR_CLIENT] != !r->control_packets[FST_DIR_SERVER];
}

static struct evidence gather_evidence(const struct result *r, const struct fst_gap *g,
				       const struct fst_gap *data_gap)
{
	const struct fst_session_result *p = &r->pub;
	const struct fst_close_info *c = &p->close;
	int64_t threshold = r->an->cfg.gap_threshold_us;
	struct evidence e = {
		.close_by = c->by,
		.rst = c->rst,
		.reply_code = c->reply_code,
		.data_reply = c->reply_code && fst_reply_names_data_timeout(c->reply_text) &&
			      (c->mid_transfer || data_gap),
		.busy_to_close = c->busy_to_close,
		.server_ended = c->by == FST_CLOSE_BY_SERVER ||
				(c->by == FST_CLOSE_BY_CLIENT && c->reply_code == 421),
		.quit_seen = c->quit_seen,
		.goodbye_seen = c->goodbye_seen,
		.mid_transfer = c->mid_transfer,
		.encrypted = p->session->opaque,
		.no_idle = c->after_idle_s * 1e6 < (double)threshold,
		.server_turn = p->session->turn.side == FST_SIDE_SERVER,
		.server_cut_upload = server_cut_upload(p),
		.waited_on = g ? g->waiting_on : FST_WAIT_NONE,
		.gap_channel = g ? g->channel : FST_CHANNEL_CONTROL,
		.gap_before_close = g && g->before_close,
		.long_gap = g && g->end_us - g->start_us >= threshold,
		.reply_owed = reply_still_owed(p, g),
		.login_failed = login_refused(&p->login),
		.data_gap_decides = data_gap && data_gap->end_us - data_gap->start_us >= threshold,
		.path_dropped = path_dropped(r),
	};

	e.client_first = c->by == FST_CLOSE_BY_CLIENT && !e.server_ended;
	e.connect_failed = find_connect_failure(p->session, &e.connect_failed_transfer);
	if (e.connect_failed && e.connect_failed_transfer >= 1 &&
	    e.connect_failed_transfer <= p->session->transfer_count) {
		const struct fst_ftp_transfer *failed =
			&p->session->transfers[e.connect_failed_transfer - 1];

		e.connect_tls_refused = failed->reply_code == FST_FTP_REPLY_DATA_TLS_REFUSED;
		e.connect_tls_refused_probably = failed->tls_refused_probably;
	}
	e.one_sided = one_sided(r);
	e.gap_dropped = r->kernel_drops && g && g->start_us <= r->drop_to_us &&
			g->end_us >= r->drop_from_us;
	e.reply_lost = c->reply_lost;
	e.idle_matches_timer = matched_idle_timeout(r, g) > 0;
	return e;
}

/* The one place a verdict is set: applies rule to the result. g is the
 * decisive gap and data_gap the longest data gap (either may be NULL). */
static void set_verdict(struct fst_session_result *p, const struct verdict_rule *rule,
			const struct fst_gap *g, const struct fst_gap *data_gap, bool data_decides)
{
	p->verdict = rule->verdict;
	p->stalled_side = rule->stalled;
	p->timer = rule->timer;
	p->verdict_rule = rule->name;
	p->uncertain_because = 0;
	for (size_t i = 0; i < sizeof(uncertain_rules) / sizeof(uncertain_rules[0]); i++)
		if (uncertain_rules[i].matches == rule->matches)
			p->uncertain_because = FST_NOTE_BIT(uncertain_rules[i].note);
	p->decisive_gap_index = g ? (size_t)(g - p->gaps) : FST_NO_GAP;
	switch (rule->gap) {
	case RULE_GAP_DECISIVE:
		break;
	case RULE_GAP_NONE:
		p->decisive_gap_index = FST_NO_GAP;
		break;
	case RULE_GAP_DATA:
		/* The control connection was quiet because data was due: the
		 * stalled data connection tells who stalled. */
		if (data_decides) {
			p->decisive_gap_index = (size_t)(data_gap - p->gaps);
			p->stalled_side = stalled_from_data_gap(p, data_gap);
		}
		break;
	}
}

/* The timer the packets allow, refined by the closing reply's text
 * (timer_replies in servers.c) and the timing: the rule's timer says
 * which family (data, idle), the text which timer of it fired, when the
 * packets do not contradict it; else the profile and the keepalives
 * tell. */
static enum fst_timer refine_timer(const struct result *r, enum fst_timer by_rule)
{
	const struct fst_session_result *p = &r->pub;
	const struct fst_close_info *c = &p->close;
	enum fst_timer by_text = c->reply_code ? fst_reply_timer(c->reply_text) : FST_TIMER_UNKNOWN;
	bool kept_busy = c->busy_to_close;

	if (p->verdict == FST_VERDICT_MIDDLEBOX_RESET)
		return by_rule; /* the firewall's idle timer, whatever the server says */
	switch (by_rule) {
	case FST_TIMER_DATA:
		/* A data connection was open or stalled: a data timer; the
		 * stall timer when the reply names it, or when the server
		 * closed without a reply and its stall timer closes so
		 * (ProFTPD's TimeoutStalled). */
		if (by_text == FST_TIMER_STALLED ||
		    (!c->reply_code && c->by == FST_CLOSE_BY_SERVER && p->profile &&
		     p->profile->silent_stall_knob))
			return FST_TIMER_STALLED;
		return FST_TIMER_DATA;
	case FST_TIMER_IDLE:
		if (by_text == FST_TIMER_NO_TRANSFER ||
		    (by_text == FST_TIMER_LOGIN && !r->logged_in))
			return by_text;
		/* The idle timer fires on a quiet client; one that wrote
		 * keepalives up to the close met another timer, unless NOOP
		 * does not reset this server's idle timer. */
		if (!kept_busy)
			return by_text == FST_TIMER_IDLE || by_text == FST_TIMER_UNKNOWN ?
				       FST_TIMER_IDLE :
				       FST_TIMER_UNKNOWN;
		if (p->profile && !p->profile->noop_resets_idle)
			return FST_TIMER_IDLE;
		if (by_text == FST_TIMER_IDLE && p->profile)
			return FST_TIMER_IDLE;
		if (p->profile && p->profile->no_transfer_knob)
			return FST_TIMER_NO_TRANSFER;
		return FST_TIMER_UNKNOWN;
	case FST_TIMER_NONE:
	case FST_TIMER_NO_TRANSFER:
	case FST_TIMER_LOGIN:
	case FST_TIMER_STALLED:
	case FST_TIMER_UNKNOWN:
	case FST_TIMER_COUNT:
		break;
	}
	return by_rule;
}

/* Transfers ran (a 1xx, or a 226/250 to a transfer command), but the
 * capture holds none of their data connections: it was filtered to the
 * control port. */
static bool data_connections_missing(const struct fst_ftp_session *s)
{
	bool ran = false;

	for (size_t i = 0; i < s->transfer_count; i++)
		if (s->transfers[i].data_seen)
			return false;
	for (size_t i = 0; i < s->command_count && !ran; i++) {
		const struct fst_ftp_command_rec *c = &s->commands[i];
		enum fst_ftp_data_role role = fst_ftp_verb_info(c->cmd.verb)->data_role;

		ran = (role == FST_DATA_UPLOAD || role == FST_DATA_DOWNLOAD) &&
		      (c->preliminary_code || c->reply_code == 226 || c->reply_code == 250);
	}
	return ran;
}

/* Notes what the capture could not show of the session (the notes the
 * other layers' facts give; the rest are set where they are seen). */
static void note_capture(struct result *r)
{
	struct fst_session_result *p = &r->pub;

	if (p->capture_loss)
		p->capture_notes |= FST_NOTE_BIT(FST_NOTE_CAPTURE_LOSS);
	if (p->session->mid_stream)
		p->capture_notes |= FST_NOTE_BIT(FST_NOTE_MID_STREAM);
	if (one_sided(r))
		p->capture_notes |= FST_NOTE_BIT(FST_NOTE_ONE_SIDED);
	if (r->kernel_drops)
		p->capture_notes |= FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS);
	if (data_connections_missing(p->session))
		p->capture_notes |= FST_NOTE_BIT(FST_NOTE_DATA_CONNECTIONS_MISSING);
	else
		p->capture_notes &= ~FST_NOTE_BIT(FST_NOTE_DATA_CONNECTIONS_MISSING);
}

/* Decides the verdict from the close and the decisive gap: the first
 * rule of verdict_rules that matches. */
static void decide(struct result *r)
{
	struct fst_session_result *p = &r->pub;
	const struct fst_close_info *c = &p->close;
	const struct fst_gap *g, *data_gap;
	struct evidence e;

	path_restore_closer(r);
	g = find_decisive_gap(p);
	data_gap = longest_data_gap(p);
	note_capture(r);
	p->profile = fst_server_profile_find(p->session->software, c->reply_text);
	p->stated_timeout_s = c->reply_code ? fst_stated_timeout_s(c->reply_text) : -1;
	e = gather_evidence(r, g, data_gap);
	p->connect_failed_transfer = e.connect_failed_transfer;
	for (size_t i = 0; i < VERDICT_RULE_COUNT; i++)
		if (verdict_rules[i].matches(&e)) {
			set_verdict(p, &verdict_rules[i], g, data_gap, e.data_gap_decides);
			p->timer = refine_timer(r, p->timer);
			p->idle_timeout_matched_s = p->verdict == FST_VERDICT_IDLE_TIMEOUT ?
							    matched_idle_timeout(r, g) :
							    0;
			path_conclude(r);
			return;
		}
	/* Not reached: each close side ends in a rule that needs nothing
	 * more (capture_ended, reset_foreign_ttl, server_closed_idle_client,
	 * client_closed_nothing_owed). */
}

/* Decides (again) with what is known now, and tells live consumers. */
static void conclude(struct result *r, enum fst_verdict_state state)
{
	decide(r);
	r->pub.verdict_state = state;
	notify(r, FST_UPDATE_VERDICT);
}

static void free_result(struct result *r)
{
	free(r->pub.gaps);
	free(r->pub.slow_replies);
	free(r->data);
	free(r->close_reply_buf);
	free(r);
}

/* The ftp layer frees a session (the oldest ended ones go when it holds
 * more than its max_sessions): its result goes with it, and is counted,
 * since the report leaves it out. */
static void on_session_free(struct result *r)
{
	struct fst_analysis *an = r->an;
	struct result *next = (struct result *)r->pub.next;

	if (an->finished_first == r) {
		an->finished_first = r->finished_next;
		if (!an->finished_first)
			an->finished_last = NULL;
	} else {
		struct result *f = an->finished_first;

		while (f && f->finished_next != r)
			f = f->finished_next;
		if (f) {
			f->finished_next = r->finished_next;
			if (an->finished_last == r)
				an->finished_last = f;
		}
	}
	if (r->prev)
		r->prev->pub.next = r->pub.next;
	else
		an->first = next;
	if (next)
		next->prev = r->prev;
	else
		an->last = r->prev;
	r->pub.session->user = NULL;
	free_result(r);
	an->result_count--;
	an->sessions_evicted++;
}

static void on_session_close(struct result *r, int64_t ts_us)
{
	if (!r->close_started) {
		r->pub.close.by = FST_CLOSE_BY_NONE;
		/* The idle at the end of the capture, for the record. */
		add_gap(r, FST_CHANNEL_CONTROL, 0, r->last_us, ts_us,
			attribute(&r->marks, control_turn_wait(r->pub.session->turn)), true);
	}
	conclude(r, FST_VERDICT_FINAL);
	if (r->an->finished_last)
		r->an->finished_last->finished_next = r;
	else
		r->an->finished_first = r;
	r->an->finished_last = r;
}

const struct fst_gap *fst_session_decisive_gap(const struct fst_session_result *r)
{
	return r->decisive_gap_index < r->gap_count ? &r->gaps[r->decisive_gap_index] : NULL;
}

double fst_analysis_idle_s(const struct fst_session_result *pub, int64_t now_us)
{
	const struct result *r = (const struct result *)pub;
	const struct fst_ftp_session *s = pub->session;
	int64_t since = r->last_us;

	if (s->turn.channel == FST_CHANNEL_DATA) {
		for (size_t i = 0; i < s->transfer_count && i < r->data_cap; i++)
			if (s->transfers[i].outcome == FST_OUTCOME_PENDING && r->data[i].last_us)
				since = r->data[i].last_us;
	}
	return now_us > since ? seconds(since, now_us) : 0;
}

/* ---- replies ---------------------------------------------------------------- */

/* A preliminary reply's command is not in its event: it is the newest
 * recorded command with that 1xx and no final reply yet (the ftp layer
 * has just marked it), among the last few (commands waiting on replies
 * are few: the ftp layer's max_pending). */
#define PRELIMINARY_LOOKBACK 64

static size_t preliminary_command(const struct fst_ftp_session *s, int code)
{
	size_t stop = s->command_count > PRELIMINARY_LOOKBACK ?
			      s->command_count - PRELIMINARY_LOOKBACK :
			      0;

	for (size_t i = s->command_count; i-- > stop;)
		if (s->commands[i].preliminary_code == code && !s->commands[i].reply_code)
			return i;
	return SIZE_MAX;
}

/* Notes command index's first reply, code at reply_us, when it came at
 * least the gap threshold after the command. */
static void note_first_reply(struct result *r, size_t index, int code, int64_t reply_us)
{
	struct fst_session_result *p = &r->pub;
	const struct fst_ftp_command_rec *c = &p->session->commands[index];
	struct fst_slow_reply *slow;

	if (reply_us - c->ts_us < r->an->cfg.gap_threshold_us)
		return;
	if (p->slow_reply_count >= r->an->cfg.max_gaps) {
		p->slow_replies_dropped++;
		return;
	}
	if (p->slow_reply_count == r->slow_replies_cap) {
		size_t cap = r->slow_replies_cap ? r->slow_replies_cap * 2 : 4;
		struct fst_slow_reply *grown;

		if (cap > r->an->cfg.max_gaps)
			cap = r->an->cfg.max_gaps;
		grown = realloc(p->slow_replies, cap * sizeof(*grown));
		if (!grown) {
			p->slow_replies_dropped++;
			return;
		}
		p->slow_replies = grown;
		r->slow_replies_cap = cap;
	}
	slow = &p->slow_replies[p->slow_reply_count++];
	*slow = (struct fst_slow_reply){
		.command_index = index,
		.code = code,
		.command_us = c->ts_us,
		.reply_us = reply_us,
	};
	snprintf(slow->verb_text, sizeof(slow->verb_text), "%s",
		 c->cmd.verb_text[0] ? c->cmd.verb_text : fst_ftp_verb_info(c->cmd.verb)->name);
}

/* A final reply to USER, PASS or ACCT: the login succeeded (230, 202)
 * or was refused (530 "Not logged in", RFC 959; 430 "Invalid username or
 * password", RFC 2228's list). Other errors are not a refusal of the
 * credentials: a 421 is the server ending the session (the close tells),
 * a 500 OOPS a server that cannot run. */
static void note_login_reply(struct result *r, const struct fst_ftp_command_rec *c,
			     const struct fst_ftp_reply_rec *reply)
{
	struct fst_login_info *l = &r->pub.login;

	switch (c->cmd.verb) {
	case FST_VERB_USER:
	case FST_VERB_PASS:
	case FST_VERB_ACCT:
		break;
	default:
		return;
	}
	if (reply->code == 230 || reply->code == 202) {
		l->succeeded = true;
	} else if (reply->code == 530 || reply->code == 430) {
		l->failures++;
		l->failed_verb = c->cmd.verb;
		l->failed_code = reply->code;
		l->failed_command_us = c->ts_us;
		l->failed_reply_us = reply->ts_us;
		/* A recorded reply's text lives as long as the session; one
		 * past the cap only until the next reply. */
		l->failed_reply_text = c->reply_index != SIZE_MAX ? reply->text : "";
		l->failed_reply_truncated = c->reply_index != SIZE_MAX && reply->text_truncated;
		l->failed_delayed = reply->ts_us - c->ts_us >= r->an->cfg.gap_threshold_us;
	}
}

/* A reply: the login's progress, and how long its command waited for
 * its first reply. */
static void on_reply(struct result *r, const struct fst_ftp_event *ev)
{
	const struct fst_ftp_session *s = r->pub.session;
	const struct fst_ftp_reply_rec *reply = ev->reply;

	if (ev->command) {
		size_t index = (size_t)(ev->command - s->commands);

		note_login_reply(r, ev->command, reply);
		if (!ev->command->preliminary_code)
			note_first_reply(r, index, reply->code, reply->ts_us);
	} else if (reply->code < 200 && !reply->unsolicited) {
		size_t index = preliminary_command(s, reply->code);

		if (index != SIZE_MAX && index != r->preliminary_index) {
			r->preliminary_index = index;
			note_first_reply(r, index, reply->code, reply->ts_us);
		}
	}
}

/* ---- events ----------------------------------------------------------------- */

static struct result *new_result(struct fst_analysis *an, struct fst_ftp_session *s)
{
	struct result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->an = an;
	r->pub.session = s;
	r->pub.verdict_rule = "";
	r->pub.close.reply_text = "";
	r->last_reply_text = "";
	r->prev = an->last;
	r->pub.stated_timeout_s = -1;
	r->pub.decisive_gap_index = FST_NO_GAP;
	r->pub.close.keepalives_since_us = s->start_us;
	r->last_us = r->prev_us = r->message_us = s->start_us;
	r->path.last_packet_us = s->start_us;
	r->pub.keepalive.interval_s = -1;
	r->path.unacked = -1;
	r->pub.path_idle_s = -1;
	r->preliminary_index = SIZE_MAX;
	r->pub.login.failed_reply_text = "";
	if (an->last)
		an->last->pub.next = &r->pub;
	else
		an->first = r;
	an->last = r;
	an->result_count++;
	s->user = r;
	return r;
}

void fst_analysis_on_ftp_event(void *opaque, const struct fst_ftp_event *ev)
{
	struct fst_analysis *an = opaque;
	struct result *r = ev->session->user;

	if (ev->kind == FST_FTP_EV_SESSION_OPEN && !r) {
		r = new_result(an, ev->session);
		if (r)
			notify(r, FST_UPDATE_SESSION_OPEN);
	}
	if (!r)
		return;
	switch (ev->kind) {
	case FST_FTP_EV_SESSION_OPEN:
	case FST_FTP_EV_STATE:
	case FST_FTP_EV_TRANSFER_START:
	case FST_FTP_EV_TRANSFER_END:
	case FST_FTP_EV_ANOMALY:
		break;
	case FST_FTP_EV_COMMAND:
		path_on_ftp(r, ev);
		/* A QUIT after the close began is a write into a dead
		 * connection, not an orderly goodbye. */
		if (ev->command && ev->command->cmd.verb == FST_VERB_QUIT && !r->close_started)
			r->pub.close.quit_seen = true;
		if (ev->command)
			count_keepalive(r, ev->command);
		if (r->want_write_command && ev->command) {
			snprintf(r->pub.close.client_write_command,
				 sizeof(r->pub.close.client_write_command), "%s",
				 ev->command->cmd.verb_text);
			r->want_write_command = false;
		}
		break;
	case FST_FTP_EV_REPLY:
		path_on_ftp(r, ev);
		if (!ev->reply)
			break;
		r->last_reply_code = ev->reply->code;
		r->last_reply_us = ev->reply->ts_us;
		r->last_reply_text = ev->reply->text;
		r->last_reply_truncated = ev->reply->text_truncated;
		if (ev->reply->code == 221 && !r->close_started)
			r->pub.close.goodbye_seen = true;
		on_reply(r, ev);
		if (ev->reply->code == 230 || ev->reply->code == 232)
			r->logged_in = true;
		break;
	case FST_FTP_EV_TCP:
		if (ev->channel == FST_CHANNEL_CONTROL)
			on_control_tcp(r, ev);
		else
			on_data_tcp(r, ev);
		break;
	case FST_FTP_EV_SESSION_CLOSE:
		on_session_close(r, ev->ts_us);
		break;
	case FST_FTP_EV_SESSION_FREE:
		on_session_free(r);
		break;
	case FST_FTP_EV_COUNT:
		break;
	}
}

/* ---- across sessions -------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Two names of one series, like vol1.tar and vol2.tar: equal once each
 * run of digits is taken as one, with at least one such run, and not the
 * same name. */
static bool same_series(const char *a, const char *b)
{
	bool digits = false;

	if (strcmp(a, b) == 0)
		return false;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			digits = true;
			while (*a >= '0' && *a <= '9')
				a++;
			while (*b >= '0' && *b <= '9')
				b++;
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return digits && !*a && !*b;
}

enum link_kind {
	LINK_NONE,     /* another job: another user */
	LINK_PROBABLE, /* the same host again, nothing shows it carried on */
	LINK_SURE,     /* the same user carrying on the work */
};

/* How the next session ns of the same client and server relates to the
 * incident's session s, whose unfinished (or else last) transfer is ref.
 * One host often runs several jobs: only the same user carrying on (a
 * REST, the same file, or the next file of its series) is sure. */
static enum link_kind link_kind(const struct fst_ftp_session *s, const struct fst_ftp_transfer *ref,
				const struct fst_ftp_session *ns)
{
	if (!s->user_name || !ns->user_name)
		return LINK_PROBABLE;
	if (strcmp(s->user_name, ns->user_name) != 0)
		return LINK_NONE;
	for (size_t i = 0; i < ns->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &ns->transfers[i];

		if (t->has_rest)
			return LINK_SURE;
		if (ref && (strcmp(base_name(t->file), base_name(ref->file)) == 0 ||
			    same_series(base_name(t->file), base_name(ref->file))))
			return LINK_SURE;
	}
	return LINK_PROBABLE;
}

/* Links an incident to the next session of the same client to the same
 * server within the window that is not another user's, marked
 * recovered_probable unless it shows the same user carrying on, and
 * checks how that session carried on. */
static void link_reconnect(struct fst_analysis *an, struct result *r)
{
	struct fst_session_result *p = &r->pub;
	const struct fst_ftp_session *s = p->session;
	const struct fst_ftp_transfer *failed = NULL, *ref = NULL;
	const struct fst_ftp_session *ns = NULL;
	enum link_kind kind = LINK_NONE;

	for (size_t i = s->transfer_count; i-- > 0;)
		if (s->transfers[i].outcome != FST_OUTCOME_COMPLETE) {
			failed = &s->transfers[i];
			break;
		}
	ref = failed ? failed : s->transfer_count ? &s->transfers[s->transfer_count - 1] : NULL;
	/* watch finishes again and again: a later session may be the sure link. */
	p->recovered_by = 0;
	p->recovered_probable = false;
	p->recovered_after_s = 0;
	p->resumed = false;
	p->resume_offset = 0;
	p->truncated_reupload = false;
	for (struct result *n = r->pair_next; n; n = n->pair_next) {
		const struct fst_ftp_session *cand = n->pub.session;
		int64_t after = cand->start_us - p->close.ts_us;

		/* Sessions are in start order: past the window, none can be. */
		if (after > an->cfg.reconnect_window_us)
			break;
		if (after < 0)
			continue;
		/* A session whose login was refused too recovers nothing: a
		 * client retrying a wrong password is no recovery. */
		if (login_refused(&n->pub.login))
			continue;
		/* The first not another user's: a later session with a REST
		 * may well be another run of the job, not this one's recovery. */
		kind = link_kind(s, ref, cand);
		if (kind != LINK_NONE) {
			ns = cand;
			break;
		}
	}
	if (!ns)
		return;
	p->recovered_by = ns->id;
	p->recovered_probable = kind != LINK_SURE;
	p->recovered_after_s = seconds(p->close.ts_us, ns->start_us);
	for (size_t i = 0; i < ns->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &ns->transfers[i];
		bool same_file = failed && strcmp(base_name(t->file), base_name(failed->file)) == 0;

		if (t->has_rest) {
			p->resumed = true;
			p->resume_verb = FST_VERB_REST;
			p->resume_offset = t->rest_offset;
		} else if (t->verb == FST_VERB_APPE && same_file) {
			p->resumed = true;
			p->resume_verb = FST_VERB_APPE;
			p->resume_offset = failed->bytes;
		} else if (same_file && t->verb == failed->verb && failed->bytes > 0 &&
			   (t->bytes < failed->bytes || !t->has_rest)) {
			p->truncated_reupload = true;
		}
		if (p->resumed || p->truncated_reupload)
			break;
	}
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, unsigned count)
{
	qsort(values, count, sizeof(*values), compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* Observations of one server, gathered in growing arrays. */
struct samples {
	double *values;
	unsigned count, cap;
};

static void sample_add(struct samples *s, double value)
{
	if (s->count == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 8;
		double *grown = realloc(s->values, cap * sizeof(*grown));

		if (!grown)
			return;
		s->values = grown;
		s->cap = cap;
	}
	s->values[s->count++] = value;
}

/* One server's estimate while the results are read. */
struct server_work {
	struct fst_server_estimate *estimate;
	struct samples idle, data;
};

static uint32_t server_hash(const struct fst_addr *addr, uint16_t port)
{
	uint32_t h = 2166136261u ^ port;

	for (int i = 0; i < (addr->family == 4 ? 4 : 16); i++)
		h = (h ^ addr->bytes[i]) * 16777619u;
	return h;
}

/* Whether a session's capture was whole enough to measure its server's
 * timers by: a one-sided capture, kernel drops, an unknown verdict or a
 * lost closing reply tell nothing sure of them. */
static bool measurable(const struct fst_session_result *p)
{
	return p->verdict != FST_VERDICT_UNKNOWN && !p->close.reply_lost &&
	       !(p->capture_notes &
		 (FST_NOTE_BIT(FST_NOTE_ONE_SIDED) | FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS)));
}

/* Adds what one session tells of its server. */
static void observe(struct server_work *w, const struct fst_session_result *p)
{
	struct fst_server_estimate *e = w->estimate;

	if (!e->software)
		e->software = p->session->software;
	if (e->stated_idle_s < 0 && p->session->banner_idle_s > 0)
		e->stated_idle_s = p->session->banner_idle_s;
	if (!measurable(p))
		return;
	/* Only a quiet client measures the idle timer: keepalives up to the
	 * close met another timer, or Pure-FTPd's limit on NOOPs. */
	if (p->verdict == FST_VERDICT_IDLE_TIMEOUT && p->timer == FST_TIMER_IDLE &&
	    !p->close.busy_to_close) {
		int64_t fired = p->close.reply_code ? p->close.reply_ts_us : p->close.ts_us;

		sample_add(&w->idle, seconds(p->close.idle_since_us, fired));
	}
	const struct fst_gap *decisive = fst_session_decisive_gap(p);

	if (p->verdict == FST_VERDICT_DATA_TIMEOUT && decisive &&
	    decisive->channel == FST_CHANNEL_DATA)
		sample_add(&w->data, seconds(decisive->start_us, decisive->end_us));
	for (size_t i = 0; i < p->gap_count; i++) {
		const struct fst_gap *g = &p->gaps[i];
		double len = seconds(g->start_us, g->end_us);
		/* An idle that no close ended: a later move of the client's
		 * ended it, or the capture ended with the session open (the
		 * server tolerated at least that much). */
		bool survived = !g->before_close || p->close.by == FST_CLOSE_BY_NONE;

		if (g->channel == FST_CHANNEL_CONTROL && g->waiting_on == FST_WAIT_CLIENT &&
		    survived && len > e->longest_survived_s)
			e->longest_survived_s = len;
	}
}

static void conclude_estimate(struct server_work *w)
{
	struct fst_server_estimate *e = w->estimate;

	e->observations = w->idle.count;
	if (w->idle.count) {
		e->idle_timeout_s = median(w->idle.values, w->idle.count);
		e->spread_s = (w->idle.values[w->idle.count - 1] - w->idle.values[0]) / 2;
	} else if (e->stated_idle_s > 0) {
		e->idle_timeout_s = e->stated_idle_s; /* stated in the banner */
	}
	e->data_observations = w->data.count;
	if (w->data.count)
		e->data_timeout_s = median(w->data.values, w->data.count);
	free(w->idle.values);
	free(w->data.values);
}

/* Estimates every server's timeouts in one pass over the results: a
 * hash from server to its work slot (a capture may hold as many
 * servers as sessions). */
static void estimate_servers(struct fst_analysis *an)
{
	size_t slots = 16, count = 0;
	struct server_work *work;
	size_t *table;
	struct fst_server_estimate **tail = &an->servers;

	while (slots < 2 * an->result_count)
		slots <<= 1;
	work = calloc(an->result_count ? an->result_count : 1, sizeof(*work));
	table = malloc(slots * sizeof(*table));
	if (!work || !table)
		goto out_free;
	for (size_t i = 0; i < slots; i++)
		table[i] = SIZE_MAX;
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next) {
		const struct fst_ftp_session *s = r->pub.session;
		size_t slot = server_hash(&s->server_addr, s->server_port) & (slots - 1);

		while (table[slot] != SIZE_MAX) {
			const struct fst_server_estimate *e = work[table[slot]].estimate;

			if (fst_addr_equal(&e->addr, &s->server_addr) && e->port == s->server_port)
				break;
			slot = (slot + 1) & (slots - 1);
		}
		if (table[slot] == SIZE_MAX) {
			struct fst_server_estimate *e = calloc(1, sizeof(*e));

			if (!e)
				continue;
			e->addr = s->server_addr;
			e->port = s->server_port;
			e->idle_timeout_s = -1;
			e->data_timeout_s = -1;
			e->stated_idle_s = -1;
			*tail = e;
			tail = &e->next;
			work[count].estimate = e;
			table[slot] = count++;
		}
		observe(&work[table[slot]], &r->pub);
	}
	for (size_t i = 0; i < count; i++)
		conclude_estimate(&work[i]);
out_free:
	free(work);
	free(table);
}

static uint32_t pair_hash(const struct fst_ftp_session *s)
{
	uint32_t h = server_hash(&s->server_addr, s->server_port);

	for (int i = 0; i < (s->client_addr.family == 4 ? 4 : 16); i++)
		h = (h ^ s->client_addr.bytes[i]) * 16777619u;
	return h;
}

static bool same_pair(const struct fst_ftp_session *a, const struct fst_ftp_session *b)
{
	return fst_addr_equal(&a->client_addr, &b->client_addr) &&
	       fst_addr_equal(&a->server_addr, &b->server_addr) && a->server_port == b->server_port;
}

/* Chains each session to the next one of the same client and server, so
 * that finding a reconnect costs the sessions of that pair only. */
static void chain_pairs(struct fst_analysis *an)
{
	size_t slots = 16;
	struct result **last_of;

	while (slots < 2 * an->result_count)
		slots <<= 1;
	last_of = calloc(slots, sizeof(*last_of));
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next) {
		size_t slot;

		r->pair_next = NULL;
		if (!last_of)
			continue;
		slot = pair_hash(r->pub.session) & (slots - 1);
		while (last_of[slot] && !same_pair(last_of[slot]->pub.session, r->pub.session))
			slot = (slot + 1) & (slots - 1);
		if (last_of[slot])
			last_of[slot]->pair_next = r;
		last_of[slot] = r;
	}
	free(last_of);
}

static void estimate_paths(struct fst_analysis *an);
/* A session whose closing reply was lost is decided again with its
 * server's estimated idle timeout (which such sessions never feed). */
static void decide_lost_replies(struct fst_analysis *an)
{
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next) {
		const struct fst_ftp_session *s = r->pub.session;

		if (!r->pub.close.reply_lost || r->pub.verdict_state != FST_VERDICT_FINAL)
			continue;
		r->idle_timeout_hint_s = 0;
		for (const struct fst_server_estimate *e = an->servers; e; e = e->next)
			if (e->observations && e->port == s->server_port &&
			    fst_addr_equal(&e->addr, &s->server_addr))
				r->idle_timeout_hint_s = e->idle_timeout_s;
		decide(r);
	}
}

void fst_analysis_finish(struct fst_analysis *an)
{
	while (an->servers) {
		struct fst_server_estimate *next = an->servers->next;

		free(an->servers);
		an->servers = next;
	}
	estimate_servers(an);
	decide_lost_replies(an);
	chain_pairs(an);
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next)
		if (fst_verdict_is_incident(r->pub.verdict))
			link_reconnect(an, r);
	estimate_paths(an);
}

/* ---- paths ------------------------------------------------------------------ */

/* The client's network: its address with the host bits of a /24 (IPv4)
 * or /64 (IPv6) cleared; NATs and firewalls sit in front of networks. */
static void client_network(const struct fst_addr *addr, struct fst_addr *net, unsigned *prefix)
{
	*net = *addr;
	if (addr->family == 4) {
		net->bytes[3] = 0;
		*prefix = 24;
	} else {
		memset(net->bytes + 8, 0, 8);
		*prefix = 64;
	}
}

static void free_paths(struct fst_analysis *an)
{
	while (an->paths) {
		struct fst_path_estimate *next = an->paths->next;

		free(an->paths);
		an->paths = next;
	}
}

/* The estimate of the path of p's session, made if new; NULL without
 * memory. Paths are few: a list is enough. */
static struct fst_path_estimate *path_of(struct fst_analysis *an,
					 const struct fst_session_result *p)
{
	struct fst_path_estimate *e, **tail = &an->paths;
	struct fst_addr net;
	unsigned prefix;

	client_network(&p->session->client_addr, &net, &prefix);
	for (e = an->paths; e; e = e->next) {
		if (fst_addr_equal(&e->client_net, &net) &&
		    fst_addr_equal(&e->server_addr, &p->session->server_addr))
			return e;
		tail = &e->next;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->client_net = net;
	e->prefix_len = prefix;
	e->server_addr = p->session->server_addr;
	e->longest_survived_s = e->shortest_failed_s = e->keepalive_interval_s = -1;
	*tail = e;
	return e;
}

/* Bounds on each path's middlebox idle timeout: the longest idle the
 * path carried and the shortest one before it failed; then drops the
 * paths that showed neither a middlebox nor keep-alives. */
static void estimate_paths(struct fst_analysis *an)
{
	free_paths(an);
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next) {
		const struct fst_session_result *p = &r->pub;
		struct fst_path_estimate *e = path_of(an, p);
		double interval = p->keepalive.interval_s;

		if (!e)
			continue;
		e->sessions++;
		/* Idles shorter than half the gap threshold bound nothing. */
		if (p->path_survived_s * 2e6 >= (double)an->cfg.gap_threshold_us &&
		    p->path_survived_s > e->longest_survived_s)
			e->longest_survived_s = p->path_survived_s;
		if (p->path_idle_s >= 0) {
			e->failures++;
			if (e->shortest_failed_s < 0 || p->path_idle_s < e->shortest_failed_s)
				e->shortest_failed_s = p->path_idle_s;
		}
		if (interval > 0 &&
		    (e->keepalive_interval_s < 0 || interval < e->keepalive_interval_s))
			e->keepalive_interval_s = interval;
	}
	for (struct fst_path_estimate **pp = &an->paths; *pp;) {
		struct fst_path_estimate *e = *pp;

		if (e->failures || e->keepalive_interval_s > 0) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		free(e);
	}
}

/* ---- life cycle ------------------------------------------------------------- */

struct fst_analysis *fst_analysis_new(const struct fst_analysis_cfg *cfg)
{
	struct fst_analysis *an = calloc(1, sizeof(*an));

	if (!an)
		return NULL;
	an->cfg = *cfg;
	if (!an->cfg.gap_threshold_us)
		an->cfg.gap_threshold_us = FST_ANALYSIS_DEFAULT_GAP_US;
	if (!an->cfg.max_gaps)
		an->cfg.max_gaps = 1000;
	if (!an->cfg.reconnect_window_us)
		an->cfg.reconnect_window_us = 120 * FST_US_PER_SEC;
	return an;
}

void fst_analysis_free(struct fst_analysis *an)
{
	struct result *r;
	struct fst_server_estimate *e;

	if (!an)
		return;
	r = an->first;
	while (r) {
		struct result *next = (struct result *)r->pub.next;

		free_result(r);
		r = next;
	}
	e = an->servers;
	while (e) {
		struct fst_server_estimate *next = e->next;

		free(e);
		e = next;
	}
	free_paths(an);
	free(an);
}

void fst_analysis_capture_dropped(struct fst_analysis *an, int64_t from_us, int64_t to_us)
{
	for (struct result *r = an->first; r; r = (struct result *)r->pub.next) {
		const struct fst_ftp_session *s = r->pub.session;
		int64_t end_us = r->pub.verdict_state == FST_VERDICT_FINAL ? s->end_us : INT64_MAX;

		if (s->start_us > to_us || (end_us && end_us < from_us))
			continue;
		if (!r->kernel_drops || from_us < r->drop_from_us)
			r->drop_from_us = from_us;
		if (!r->kernel_drops || to_us > r->drop_to_us)
			r->drop_to_us = to_us;
		r->kernel_drops = true;
		if (r->pub.verdict_state != FST_VERDICT_PENDING)
			conclude(r, r->pub.verdict_state);
		else
			note_capture(r);
	}
}

uint64_t fst_analysis_sessions_evicted(const struct fst_analysis *an)
{
	return an->sessions_evicted;
}

struct fst_session_result *fst_analysis_results(struct fst_analysis *an)
{
	return an->first ? &an->first->pub : NULL;
}

struct fst_server_estimate *fst_analysis_servers(struct fst_analysis *an)
{
	return an->servers;
}

struct fst_path_estimate *fst_analysis_paths(struct fst_analysis *an)
{
	return an->paths;
}
