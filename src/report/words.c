/* The English of every report: the one-sentence summary of a verdict and
 * what to change, made from the analysis's facts (verdict, close,
 * decisive gap, server profile). The analysis keeps facts only; text,
 * JSON, Markdown, HTML, the live stream and the TUI all say it in these
 * words. */
#include "ftpstall/report.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A sentence being written into a caller's buffer: like snprintf, it
 * cuts what does not fit and counts the length it needed. */
struct words {
	char *buf;
	size_t size;
	size_t len;
};

static void say(struct words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct words *w, const char *fmt, ...)
{
	size_t room = w->len < w->size ? w->size - w->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static size_t done(struct words *w)
{
	if (w->size && w->len == 0)
		w->buf[0] = '\0';
	return w->len;
}

static double gap_seconds(const struct fst_gap *g)
{
	return g ? (double)(g->end_us - g->start_us) / 1e6 : 0;
}

/* From the client's last command other than a keepalive to the closing
 * reply (or the close). */
static double keepalive_seconds(const struct fst_close_info *c)
{
	int64_t end = c->reply_code ? c->reply_ts_us : c->ts_us;

	return (double)(end - c->keepalives_since_us) / 1e6;
}

/* "sent \"421 Timeout.\"" or "gave no reason"; a cut reply says so, as
 * the reports mark it. */
static void say_reply(struct words *w, const struct fst_close_info *c)
{
	if (c->reply_lost)
		say(w, "sent a reply the capture lost (the 421 itself was not captured)");
	else if (c->reply_code)
		say(w, "sent \"%d %s%s\"", c->reply_code, c->reply_text,
		    c->reply_text_truncated ? "...(cut)" : "");
	else
		say(w, "gave no reason");
}

/* Who closed, as the close line says it: "the client", "the server",
 * "a middlebox". */
static const char *closer(const struct fst_close_info *c)
{
	switch (c->by) {
	case FST_CLOSE_BY_CLIENT:
		return "the client";
	case FST_CLOSE_BY_MIDDLEBOX:
		return "a middlebox";
	case FST_CLOSE_BY_SERVER:
	case FST_CLOSE_BY_NONE:
	case FST_CLOSE_BY_COUNT:
		break;
	}
	return "the server";
}

/* middlebox_drop: what showed that the path stopped delivering, how long
 * the connection had been idle, and what a capture at the other end
 * would settle (from one point a dead peer looks the same). */
static void say_path_drop(struct words *w, const struct fst_session_result *r)
{
	const struct fst_path_fault *f = &r->path;

	switch (f->evidence) {
	case FST_PATH_WRITE_UNACKED:
		if (f->writer == FST_SIDE_SERVER) {
			say(w, "The server's ");
			if (f->reply_code)
				say(w, "%d ", f->reply_code);
			say(w,
			    "reply after %.1f s of idle on the control connection was retransmitted %u times and never ACKed, while the client %s: the path stopped delivering the control connection, as a NAT or firewall does once it has forgotten an idle connection. A capture at the client settles it (the reply never reaching it).",
			    r->path_idle_s, f->retransmissions,
			    f->data_sender == FST_SIDE_CLIENT ?
				    "sent its upload to the end" :
				    "ACKed the data connection to its end");
			return;
		}
		say(w,
		    "The client's %s after %.1f s of idle was retransmitted %u times and never ACKed: the path stopped delivering the connection, as a NAT or firewall does once it has forgotten an idle connection",
		    f->command[0] ? f->command : "request", r->path_idle_s, f->retransmissions);
		if (f->client_gave_up)
			say(w, "; the client then gave up");
		say(w,
		    ". A server that went down would look the same from here; a capture at the server settles it (the %s never reaching it).",
		    f->command[0] ? f->command : "request");
		return;
	case FST_PATH_REPLY_MISSING:
		say(w,
		    "The data connection ended with all %" PRIu64
		    " bytes ACKed, but the final reply never came: the control connection had been idle for %.1f s through the transfer, and a NAT or firewall that forgot it in that time drops the reply",
		    f->data_bytes, r->path_idle_s);
		if (f->client_gave_up)
			say(w, "; the client gave up %.1f s after the data ended",
			    (double)(f->gave_up_us - f->data_end_us) / 1e6);
		say(w,
		    ". A server that never sent the reply would look the same from here; a capture at the server settles it (the reply sent there and retransmitted).");
		return;
	case FST_PATH_NONE:
	case FST_PATH_COUNT:
		break;
	}
	say(w, "The path stopped delivering the connection after %.1f s of idle.", r->path_idle_s);
}

/* "\"530 Login incorrect.\"" for the reply that refused the login, or
 * "530" when its text was not kept. */
static void say_login_reply(struct words *w, const struct fst_login_info *l)
{
	if (l->failed_reply_text && l->failed_reply_text[0])
		say(w, "\"%d %s%s\"", l->failed_code, l->failed_reply_text,
		    l->failed_reply_truncated ? "...(cut)" : "");
	else
		say(w, "%d", l->failed_code);
}

/* The refused login, told from its reply to the end of the session. */
static void say_login_failed(struct words *w, const struct fst_session_result *r)
{
	const struct fst_login_info *l = &r->login;
	const struct fst_close_info *c = &r->close;
	const char *how = c->rst ? "reset" : "FIN";

	say(w, "The server refused the login with ");
	say_login_reply(w, l);
	say(w, " to %s", fst_ftp_verb_info(l->failed_verb)->name);
	if (l->failed_delayed)
		say(w, ", %.1f s after it (a delay servers make on purpose before a refusal)",
		    (double)(l->failed_reply_us - l->failed_command_us) / 1e6);
	if (l->failures > 1)
		say(w, " (%u refused attempts)", l->failures);
	if (c->quit_seen) {
		say(w, "; the client then sent QUIT");
	} else if (c->reply_code == 421) {
		say(w, "; the server then ");
		say_reply(w, c);
		say(w, " and %s (%s)",
		    c->by == FST_CLOSE_BY_CLIENT ? "the client closed the connection" :
						   "closed the connection",
		    how);
	} else if (c->by == FST_CLOSE_BY_SERVER)
		say(w, "; the server then closed the connection (%s)", how);
	else
		say(w, "; the client then closed the connection (%s)", how);
	say(w, ".");
}

/* A data stall behind the receiver's zero window, whose receiver is the
 * stalled side. */
static bool zero_window_stall(const struct fst_session_result *r)
{
	const struct fst_gap *g = fst_session_decisive_gap(r);

	return g && g->waiting_on == FST_WAIT_RECEIVER &&
	       (r->stalled_side == FST_STALLED_CLIENT || r->stalled_side == FST_STALLED_SERVER);
}

/* The data connection that never opened (data_connection_failed), as
 * the session shows it: its transfer (NULL for the attempt no command
 * claimed), and how far it got and where to. */
struct failed_connect {
	const struct fst_ftp_transfer *t;
	struct fst_ftp_data_attempt a;
	bool passive;
	const struct fst_addr *control; /* the listener's control address */
	bool elsewhere;			/* the announced address is not it */
	bool elsewhere_known;		/* ... and a.announced_addr says which */
};

static struct failed_connect failed_connect(const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	struct failed_connect f = { 0 };
	uint64_t id = r->connect_failed_transfer;

	if (id >= 1 && id <= s->transfer_count) {
		f.t = &s->transfers[id - 1];
		f.a.connect = f.t->data_connect;
		f.a.mode = f.t->mode;
		f.a.to_addr = f.t->data_server_addr;
		f.a.to_port = f.t->data_server_port;
		f.a.announced_addr = f.t->data_server_addr;
		f.a.announced_port = f.t->data_seen && !f.t->nat_address ? f.t->data_server_port :
									   0;
	} else {
		fst_ftp_unclaimed_attempt(s, &f.a);
	}
	f.passive = f.a.mode != FST_MODE_ACTIVE;
	f.control = f.passive ? &s->server_addr : &s->client_addr;
	f.elsewhere_known = f.a.announced_port && !fst_addr_equal(&f.a.announced_addr, f.control);
	f.elsewhere = f.elsewhere_known || (f.t && f.t->nat_address);
	return f;
}

/* The final reply to transfer t's command and how long it took, if the
 * session recorded the command. */
static const struct fst_ftp_command_rec *transfer_command(const struct fst_ftp_session *s,
							  const struct fst_ftp_transfer *t)
{
	for (size_t i = 0; i < s->command_count; i++)
		if (s->commands[i].ts_us == t->command_ts_us && s->commands[i].cmd.verb == t->verb)
			return &s->commands[i];
	return NULL;
}

/* An address without a port: the endpoint text without its ":0". */
static void address_text(const struct fst_addr *addr, char *buf, size_t size)
{
	size_t len = strlen(fst_endpoint_format(addr, 0, buf, size));

	if (len > 2 && strcmp(buf + len - 2, ":0") == 0)
		buf[len - 2] = '\0';
}

/* Bytes of a file name and of a transfer's reply text that the
 * data_connection_failed summary quotes: with a closing 421 quoted whole
 * it must still fit FST_WORDS_MAX. */
enum {
	FILE_WORDS_MAX = 40,
	REPLY_WORDS_MAX = 60
};

/* A 421 that ended the session after the failure, as the close line
 * says it. */
static void say_connect_close(struct words *w, const struct fst_close_info *c)
{
	if (c->reply_code != 421)
		return;
	say(w, " Then the server ");
	say_reply(w, c);
	if (c->by == FST_CLOSE_BY_SERVER)
		say(w, " and closed the control connection (%s).", c->rst ? "reset" : "FIN");
	else
		say(w, ", and %s closed the control connection (%s).", closer(c),
		    c->rst ? "reset" : "FIN");
}

/* The text of the 522 that refused transfer t's data connection TLS,
 * "" when the session did not record it. */
static const char *tls_refusal_text(const struct fst_session_result *r,
				    const struct fst_ftp_transfer *t)
{
	const struct fst_ftp_command_rec *cmd = transfer_command(r->session, t);

	return cmd && cmd->reply_code == FST_FTP_REPLY_DATA_TLS_REFUSED ?
		       fst_ftp_command_reply_text(r->session, cmd) :
		       "";
}

/* The data connection opened, but the server refused its TLS (522). */
static void say_tls_refused(struct words *w, const struct fst_session_result *r,
			    const struct fst_ftp_transfer *t, const char *verb)
{
	const char *text = tls_refusal_text(r, t);

	say(w,
	    "The data connection for %s%s%.*s%s opened, but the server refused its TLS: \"522%s%.*s%s\"",
	    verb, t->file[0] ? " " : "", FILE_WORDS_MAX, t->file,
	    strlen(t->file) > FILE_WORDS_MAX ? "..." : "", text[0] ? " " : "", REPLY_WORDS_MAX,
	    text, strlen(text) > REPLY_WORDS_MAX ? "..." : "");
	if (strstr(text, "reuse"))
		say(w,
		    " (the data connection started a new TLS session instead of resuming the control connection's)");
	say(w, ".");
	say_connect_close(w, &r->close);
}

/* The same without keys: the 522 is encrypted, so the data connection's
 * records and the timing of the server's next control record say it. */
static void say_tls_refused_probably(struct words *w, const struct fst_session_result *r)
{
	say(w,
	    "The data connection matched by timing was probably refused by the server: it started a new TLS session instead of resuming the control connection's, carried no data after its TLS handshake (at most session tickets and a short record, a close_notify's size), closed, and the server spoke on the control connection right after (its reply is encrypted without a key log; vsftpd's require_ssl_reuse answers 522 to such a data connection).");
	say_connect_close(w, &r->close);
}

static void say_connect_failed(struct words *w, const struct fst_session_result *r)
{
	struct failed_connect f;
	const char *connector, *verb;
	char to[64], announced[64], control[64];

	if (!r->session) {
		say(w, "A data connection never opened.");
		say_connect_close(w, &r->close);
		return;
	}
	f = failed_connect(r);
	connector = f.passive ? "client" : "server";
	verb = f.t ? fst_ftp_verb_info(f.t->verb)->name : "";
	if (f.t && f.t->reply_code == FST_FTP_REPLY_DATA_TLS_REFUSED) {
		say_tls_refused(w, r, f.t, verb);
		return;
	}
	if (f.t && f.t->tls_refused_probably) {
		say_tls_refused_probably(w, r);
		return;
	}

	fst_endpoint_format(&f.a.to_addr, f.a.to_port, to, sizeof(to));
	fst_endpoint_format(&f.a.announced_addr, f.a.announced_port, announced, sizeof(announced));
	address_text(f.control, control, sizeof(control));
	if (f.t)
		say(w, "The data connection for %s %.*s%s never opened", verb, FILE_WORDS_MAX,
		    f.t->file, strlen(f.t->file) > FILE_WORDS_MAX ? "..." : "");
	else
		say(w, "The data connection the client tried after %s never opened",
		    f.passive ? "the server's passive-mode reply" : "its PORT");
	switch (f.a.connect) {
	case FST_CONNECT_UNANSWERED:
		say(w, ": the %s's SYNs to %s went unanswered", connector, to);
		break;
	case FST_CONNECT_REFUSED:
		say(w, ": the %s's SYN to %s was refused with a reset", connector, to);
		break;
	case FST_CONNECT_NONE:
	case FST_CONNECT_OPENED:
	case FST_CONNECT_COUNT:
		break;
	}
	if (f.t && f.t->reply_code) {
		const struct fst_ftp_command_rec *cmd = transfer_command(r->session, f.t);

		say(w, "%s the server answered %s with \"%d", f.a.connect ? ";" : ":", verb,
		    f.t->reply_code);
		if (cmd && cmd->reply_code == f.t->reply_code) {
			const char *text = fst_ftp_command_reply_text(r->session, cmd);

			say(w, "%s%.*s%s\" after %.1f s", text[0] ? " " : "", REPLY_WORDS_MAX, text,
			    strlen(text) > REPLY_WORDS_MAX ? "..." : "",
			    (double)(cmd->reply_ts_us - cmd->ts_us) / 1e6);
		} else {
			say(w, "\"");
		}
	} else if (!f.t) {
		say(w, "; the client gave up without sending a transfer command");
	}
	say(w, ".");
	if (f.elsewhere && f.passive) {
		if (f.elsewhere_known)
			say(w, " The server announced %s, not its control address %s", announced,
			    control);
		else
			say(w, " The server announced another address than its control address %s",
			    control);
		say(w, ": a NAT, or a passive address setting, sends the client elsewhere.");
	} else if (f.elsewhere) {
		say(w,
		    " The client announced %s, not the address its control connection comes from (%s): it is behind NAT.",
		    f.elsewhere_known ? announced : "another address", control);
	}
	say_connect_close(w, &r->close);
}

size_t fst_words_summary(const struct fst_session_result *r, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	const struct fst_close_info *c = &r->close;
	const struct fst_gap *g = fst_session_decisive_gap(r);
	const char *how = c->rst ? "reset" : "FIN";

	switch (r->verdict) {
	case FST_VERDICT_IDLE_TIMEOUT:
		if (c->busy_to_close)
			say(&w,
			    "The client was not idle: for %.1f s since its last other command it sent only keepalives (%u NOOP, PWD or the like) and transferred nothing; the server ",
			    keepalive_seconds(c), c->keepalives);
		else
			say(&w, "The client was idle for %.1f s; the server ", c->after_idle_s);
		say_reply(&w, c);
		say(&w, " and %s (%s)",
		    c->by == FST_CLOSE_BY_CLIENT ? "the client closed the connection" :
						   "closed the connection",
		    how);
		if (c->reset_after_write)
			say(&w, "; the client then wrote into the closed connection and was reset");
		else if (c->client_wrote_after_close)
			say(&w, "; the client then wrote into the closed connection");
		say(&w, ".");
		break;
	case FST_VERDICT_DATA_TIMEOUT:
		if (zero_window_stall(r))
			say(&w,
			    "A data transfer stalled for %.1f s (waiting on the %s, the receiver: its receive window stayed at zero); the server ",
			    gap_seconds(g), fst_stalled_side_name(r->stalled_side));
		else
			say(&w, "A data transfer stalled for %.1f s (waiting on %s); the server ",
			    gap_seconds(g), g ? fst_wait_name(g->waiting_on) : "unknown");
		say_reply(&w, c);
		if (c->by == FST_CLOSE_BY_SERVER)
			say(&w, " and closed the control connection (%s).", how);
		else
			say(&w, ", and %s closed the control connection (%s).", closer(c), how);
		break;
	case FST_VERDICT_SERVER_UNRESPONSIVE:
		say(&w, "The server owed a reply and stayed silent for %.1f s; ", gap_seconds(g));
		if (c->by == FST_CLOSE_BY_NONE) {
			say(&w, "the capture ended before anything else happened.");
		} else if (c->reply_code) {
			say(&w, "the server then ");
			say_reply(&w, c);
			say(&w, " and %s closed the connection (%s).", closer(c), how);
		} else if (c->by == FST_CLOSE_BY_CLIENT) {
			say(&w, "the client gave up and closed the connection.");
		} else {
			say(&w, "%s then closed the connection without answering.", closer(c));
		}
		break;
	case FST_VERDICT_MIDDLEBOX_RESET:
		/* A firewall that forgot the connection resets the first packet
		 * after the idle (often the client's NOOP): the idle is the gap
		 * before that packet, not the instant between it and the reset. */
		if (c->rst_ttl_mismatch)
			say(&w,
			    "A reset with TTL %u (the sender's packets had TTL %u) closed the connection after %.1f s of idle: probably sent by a firewall or NAT on the path.",
			    c->rst_ttl, c->peer_ttl,
			    gap_seconds(g) > c->after_idle_s ? gap_seconds(g) : c->after_idle_s);
		else
			say(&w,
			    "The control connection was silent for %.1f s during a transfer and was then reset: the classic NAT/firewall idle timeout on the control connection.",
			    gap_seconds(g));
		break;
	case FST_VERDICT_MIDDLEBOX_DROP:
		say_path_drop(&w, r);
		break;
	case FST_VERDICT_CLIENT_ABORT:
		say(&w, "The client %s the connection without QUIT%s.", c->rst ? "reset" : "closed",
		    c->mid_transfer ? " during a transfer" : " while a reply was due");
		break;
	case FST_VERDICT_CLEAN:
		say(&w, "The session ended in order%s.", c->quit_seen ? " (QUIT)" : "");
		break;
	case FST_VERDICT_INCOMPLETE:
		say(&w, "The capture ended while the session was still open.");
		break;
	case FST_VERDICT_LOGIN_FAILED:
		say_login_failed(&w, r);
		break;
	case FST_VERDICT_DATA_CONNECTION_FAILED:
		say_connect_failed(&w, r);
		break;
	case FST_VERDICT_UNKNOWN:
	case FST_VERDICT_COUNT:
		if (r->uncertain_because & FST_NOTE_BIT(FST_NOTE_ONE_SIDED))
			say(&w,
			    "The capture holds only one direction of this control connection, so one side's silence cannot be told from the capture's and no side can be blamed.");
		else if (r->uncertain_because & FST_NOTE_BIT(FST_NOTE_KERNEL_DROPS))
			say(&w,
			    "The capturing kernel dropped packets during this session's decisive %.1f s gap, so no side can be blamed.",
			    gap_seconds(g));
		else
			say(&w,
			    "The capture lost bytes of this session during its decisive %.1f s gap, so no side can be blamed.",
			    gap_seconds(g));
		break;
	}
	return done(&w);
}

/* "default 300 s", or "off by default" for a knob without a default. */
static void say_default(struct words *w, int default_s)
{
	if (default_s > 0)
		say(w, "default %d s", default_s);
	else
		say(w, "off by default");
}

/* The advice when a timer other than the plain idle one closed the
 * session; false when there is none to give. */
static bool say_other_timer(struct words *w, const struct fst_session_result *r)
{
	const struct fst_server_profile *prof = r->profile;
	const struct fst_close_info *c = &r->close;

	switch (r->timer) {
	case FST_TIMER_NO_TRANSFER:
		say(w, "The server's no-transfer timer fired");
		if (prof && prof->no_transfer_knob) {
			say(w, " (%s's %s, ", prof->software, prof->no_transfer_knob);
			say_default(w, prof->no_transfer_default_s);
			say(w, ")");
		}
		say(w,
		    ", %.0f s after the client's last command other than a keepalive. NOOP keepalives do not reset this timer; transfer something or raise %s.",
		    keepalive_seconds(c),
		    prof && prof->no_transfer_knob ? prof->no_transfer_knob :
						     "the server's no-transfer timeout");
		return true;
	case FST_TIMER_LOGIN:
		say(w, "The server's login timer fired before the client logged in");
		if (prof && prof->login_knob) {
			say(w, " (%s's %s, ", prof->software, prof->login_knob);
			say_default(w, prof->login_default_s);
			say(w, ")");
		}
		say(w, ": make the client send USER and PASS right after the banner, or raise %s.",
		    prof && prof->login_knob ? prof->login_knob : "the server's login timeout");
		return true;
	case FST_TIMER_IDLE:
		/* Pure-FTPd's limit on NOOPs, met by a client that sent only
		 * keepalives up to the close. */
		if (prof && prof->noop_idle_factor && c->busy_to_close) {
			say(w,
			    "%s's NOOPs buy at most %d times its idle time (%s): from the first of an unbroken run of NOOP (or PWD, CWD, TYPE, MODE, SYST) it answers the first such command after %d x the idle time with 421 and closes, however often they come; this session's first keepalive came %.0f s before the 421",
			    prof->software, prof->noop_idle_factor, prof->idle_knob,
			    prof->noop_idle_factor,
			    (double)((c->reply_code ? c->reply_ts_us : c->ts_us) -
				     c->first_keepalive_us) /
				    1e6);
			if (r->stated_timeout_s > 0)
				say(w, " (the 421 states %d s)", r->stated_timeout_s);
			say(w,
			    ". Transfer something (LIST, RETR, STOR), or raise %s, or let the client reconnect and resume after a 421 (REST/APPE).",
			    prof->idle_knob);
			return true;
		}
		return false;
	case FST_TIMER_NONE:
	case FST_TIMER_DATA:
	case FST_TIMER_STALLED:
	case FST_TIMER_UNKNOWN:
	case FST_TIMER_COUNT:
		break;
	}
	return false;
}

/* What else a server's idle timer does that changes the advice. */
static void say_idle_quirks(struct words *w, const struct fst_server_profile *prof)
{
	if (!prof->noop_resets_idle)
		say(w,
		    " %s also times out sessions that send only NOOP, so NOOP keepalives do not help against it; reconnect and resume instead.",
		    prof->software);
	if (prof->idle_paused_by_transfer || prof->no_transfer_knob) {
		say(w, " ");
		if (prof->idle_paused_by_transfer)
			say(w, "%s does not run during a transfer%s", prof->idle_knob,
			    prof->no_transfer_knob ? "; " : "");
		if (prof->no_transfer_knob) {
			say(w, "%s (", prof->no_transfer_knob);
			say_default(w, prof->no_transfer_default_s);
			say(w, ") closes sessions that send commands but start no transfer");
		}
		say(w, ".");
	}
}

/* What else a server's data timer does that changes the advice. */
static void say_data_quirks(struct words *w, const struct fst_server_profile *prof)
{
	if (prof->data_timer_per_period)
		say(w,
		    " %s checks %s once per period, so it fires between one and two periods after the last byte.",
		    prof->software, prof->data_knob);
	if (prof->silent_stall_knob)
		say(w, " %s closes a stalled transfer without a 421.", prof->silent_stall_knob);
}

/* What a server does on purpose around a refused login: its pause
 * before the refusal (when this one was held back) and its limit of
 * refusals (when it closed the session without a QUIT). */
static void say_login_quirks(struct words *w, const struct fst_session_result *r)
{
	const struct fst_server_profile *prof = r->profile;

	if (r->login.failed_delayed) {
		if (prof && prof->login_delay_knob)
			say(w,
			    " The wait before the refusal is not a stall: %s holds back every failed-login reply on purpose (%s, default %d s; PAM may add its own).",
			    prof->software, prof->login_delay_knob, prof->login_delay_s);
		else if (prof && prof->login_delay_s)
			say(w,
			    " The wait before the refusal is not a stall: %s holds back every failed-login reply on purpose (built in, up to %d s%s; checking the password may add its own).",
			    prof->software, prof->login_delay_s,
			    prof->login_delay_grows ? ", longer after each failure" : "");
		else
			say(w,
			    " The wait before the refusal is not a stall: servers hold back a failed-login reply on purpose (vsftpd delay_failed_login, Pure-FTPd's built-in pause).");
	}
	/* Only when it closed on its own: after a QUIT the client chose. */
	if (prof && prof->max_login_fails && r->close.by == FST_CLOSE_BY_SERVER &&
	    !r->close.quit_seen) {
		if (prof->max_login_fails_knob)
			say(w, " %s ends a session after %s refused logins (default %d).",
			    prof->software, prof->max_login_fails_knob, prof->max_login_fails);
		else
			say(w, " %s ends a session after %d refused logins.", prof->software,
			    prof->max_login_fails);
	}
}

/* A data connection refused for not resuming the control connection's
 * TLS session. */
static void advise_tls_reuse(struct words *w)
{
	say(w,
	    "Use a client that resumes the control connection's TLS session on its data connections (curl, lftp, FileZilla, ftpstall upload do; Python's ftplib does not), or, only if no client can, turn the check off on the server (vsftpd's require_ssl_reuse=NO), which lets whoever reaches the data port first take the transfer.");
}

/* What opens the data path: in passive mode the server's passive ports
 * (and the address it announces), in active mode passive mode itself. */
static void advise_connect_failed(struct words *w, const struct fst_session_result *r)
{
	const struct fst_server_profile *prof = r->profile;
	struct failed_connect f = { .passive = true };
	const char *ports = prof && prof->passive_ports_knob ? prof->passive_ports_knob : NULL;
	const char *address = prof && prof->passive_address_knob ? prof->passive_address_knob :
								   NULL;

	if (r->session)
		f = failed_connect(r);
	/* Without keys it is known only that the data connection did not
	 * resume: the same advice as for the 522 that says so. */
	if (f.t && f.t->tls_refused_probably) {
		advise_tls_reuse(w);
		return;
	}
	if (f.t && f.t->reply_code == FST_FTP_REPLY_DATA_TLS_REFUSED) {
		if (strstr(tls_refusal_text(r, f.t), "reuse"))
			advise_tls_reuse(w);
		else
			say(w,
			    "Make the client's data connections use TLS as the server requires (PBSZ 0 and PROT P before the transfer), or relax the server's rule for data connections.");
		return;
	}
	if (!f.passive) {
		say(w,
		    "Use passive mode: the server could not connect back to the client (a firewall or NAT in front of the client blocks it; active mode through NAT needs an FTP helper there, such as Linux nf_conntrack_ftp).");
		return;
	}
	if (f.elsewhere) {
		say(w, "Make the server announce an address the client can reach");
		if (address)
			say(w, " (%s's %s)", prof->software, address);
		else
			say(w, " (its passive address setting)");
		say(w,
		    ", or let the client connect to the control address instead (curl --ftp-skip-pasv-ip); ");
	}
	say(w, "%sen the server's passive port range", f.elsewhere ? "op" : "Op");
	if (ports)
		say(w, " (%s's %s)", prof->software, ports);
	say(w,
	    " in every firewall between client and server, or give the NAT in front of the server an FTP helper.");
}

size_t fst_words_recommendation(const struct fst_session_result *r, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	const struct fst_server_profile *prof = r->profile;
	double idle = r->close.after_idle_s;
	int keepalive = idle >= 4 ? (int)(idle / 2) : 1;

	switch (r->verdict) {
	case FST_VERDICT_IDLE_TIMEOUT:
		if (say_other_timer(&w, r))
			break;
		if (prof) {
			say(&w, "Raise %s's %s (", prof->software, prof->idle_knob);
			say_default(&w, prof->idle_default_s);
			say(&w,
			    "; this server closed after about %.0f s) above the client's longest pause, %slet the client reconnect and resume after a 421 (REST/APPE).",
			    idle,
			    prof->noop_resets_idle ? "make the client send NOOP while idle, or " :
						     "or ");
			say_idle_quirks(&w, prof);
		} else {
			say(&w,
			    "Raise the server's idle timeout (it closed after about %.0f s) above the client's longest pause, make the client send NOOP every %d s while idle, or let it reconnect and resume after a 421.",
			    idle, keepalive);
		}
		break;
	case FST_VERDICT_DATA_TIMEOUT:
		if (zero_window_stall(r)) {
			say(&w,
			    "Find why the %s stopped reading the data (its receive window stayed at zero: a full disk, a stalled writer or a slow consumer)",
			    fst_stalled_side_name(r->stalled_side));
			if (prof)
				say(&w, "; if pauses are expected, raise %s's %s (default %d s).",
				    prof->software, prof->data_knob, prof->data_default_s);
			else
				say(&w,
				    "; if pauses are expected, raise the server's data connection timeout.");
			if (prof)
				say_data_quirks(&w, prof);
		} else if (prof) {
			say(&w,
			    "Find why the data sender stopped; if pauses are expected, raise %s's %s (",
			    prof->software,
			    r->timer == FST_TIMER_STALLED && prof->silent_stall_knob ?
				    prof->silent_stall_knob :
				    prof->data_knob);
			say_default(&w, prof->data_default_s);
			say(&w, ").");
			say_data_quirks(&w, prof);
		} else {
			say(&w,
			    "Find why the data sender stopped; if pauses are expected, raise the server's data connection timeout.");
		}
		break;
	case FST_VERDICT_SERVER_UNRESPONSIVE:
		say(&w,
		    "Check the server: its logs, load and storage at that time; the client did nothing wrong.");
		break;
	case FST_VERDICT_MIDDLEBOX_RESET:
		say(&w,
		    "Raise the idle timeout of the firewall/NAT between client and server for FTP control connections, or have the client send NOOP (or TCP keepalives) on the control connection during long transfers.");
		break;
	case FST_VERDICT_MIDDLEBOX_DROP:
		say(&w,
		    "The path failed after %.1f s of idle: keep the control connection busy during long transfers and pauses with TCP keepalives (SO_KEEPALIVE, TCP_KEEPIDLE well below the NAT/firewall idle timeout) or NOOP, or raise the idle timeout of the NAT/firewall between client and server.",
		    r->path_idle_s);
		break;
	case FST_VERDICT_CLIENT_ABORT:
		say(&w, "Check the client's log for why it gave up.");
		break;
	case FST_VERDICT_LOGIN_FAILED:
		say(&w,
		    "Check the account's credentials: the user name and password the client sends, and whether the account is locked, expired or refused by the server's user list.");
		say_login_quirks(&w, r);
		break;
	case FST_VERDICT_DATA_CONNECTION_FAILED:
		advise_connect_failed(&w, r);
		break;
	case FST_VERDICT_CLEAN:
	case FST_VERDICT_INCOMPLETE:
	case FST_VERDICT_UNKNOWN:
	case FST_VERDICT_COUNT:
		break;
	}
	return done(&w);
}

size_t fst_words_keepalive(const struct fst_session_result *r, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	const struct fst_keepalive_info *k = &r->keepalive;
	bool all = k->answered >= k->probes;

	if (!k->probes)
		return done(&w);
	say(&w, "TCP keepalives from the %s", k->sender == FST_SIDE_SERVER ? "server" : "client");
	if (k->interval_s > 0)
		say(&w, " every %.1f s", k->interval_s);
	if (all && r->verdict != FST_VERDICT_MIDDLEBOX_RESET &&
	    r->verdict != FST_VERDICT_MIDDLEBOX_DROP)
		say(&w, " kept the path open");
	say(&w, " (%u probe%s, ", k->probes, k->probes == 1 ? "" : "s");
	if (all)
		say(&w, "%s answered)", k->probes == 1 ? "" : "all");
	else
		say(&w, "%u answered)", k->answered);
	return done(&w);
}

size_t fst_words_path_name(const struct fst_path_estimate *e, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	char net[INET6_ADDRSTRLEN] = "?", server[INET6_ADDRSTRLEN] = "?";
	int family = e->server_addr.family == 4 ? AF_INET : AF_INET6;

	inet_ntop(e->client_net.family == 4 ? AF_INET : AF_INET6, e->client_net.bytes, net,
		  sizeof(net));
	inet_ntop(family, e->server_addr.bytes, server, sizeof(server));
	say(&w, "%s/%u -> %s", net, e->prefix_len, server);
	return done(&w);
}

bool fst_path_default_fits(const struct fst_path_estimate *e, const struct fst_middlebox_default *d)
{
	return (e->longest_survived_s < 0 || d->idle_timeout_s > e->longest_survived_s) &&
	       (e->shortest_failed_s < 0 || d->idle_timeout_s <= e->shortest_failed_s);
}

size_t fst_words_path(const struct fst_path_estimate *e, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	double survived = e->longest_survived_s, failed = e->shortest_failed_s;
	const char *sep = "";

	if (survived > 0 && failed >= 0)
		say(&w,
		    "the middlebox's idle timeout lies between %.1f s (the longest idle it carried) and %.1f s (the shortest idle after which it failed)",
		    survived, failed);
	else if (failed >= 0)
		say(&w,
		    "the middlebox's idle timeout is at most %.1f s (the shortest idle after which it failed)",
		    failed);
	else if (survived > 0)
		say(&w, "the middlebox carried idles of up to %.1f s", survived);
	else
		say(&w, "no idle bounds the middlebox's timeout");
	if (e->keepalive_interval_s > 0)
		say(&w, "; TCP keepalives every %.1f s kept connections open",
		    e->keepalive_interval_s);
	say(&w, "; well-known defaults it ");
	for (int fits = 1; fits >= 0; fits--) {
		bool any = false;

		for (size_t i = 0; i < fst_middlebox_default_count(); i++) {
			const struct fst_middlebox_default *d = fst_middlebox_default_at(i);

			if (fst_path_default_fits(e, d) != (bool)fits)
				continue;
			say(&w, "%s%s%s (%d s)", any ? ", " : sep,
			    any	 ? "" :
			    fits ? "fits: " :
				   "rules out: ",
			    d->name, d->idle_timeout_s);
			any = true;
			sep = "; ";
		}
	}
	say(&w, ".");
	return done(&w);
}

uint64_t fst_report_other_flows(const struct fst_report_input *in)
{
	uint64_t attempts = in->ftp_stats->control_unanswered + in->ftp_stats->control_refused;

	return in->tcp->flows_opened > attempts ? in->tcp->flows_opened - attempts : 0;
}

size_t fst_words_no_ftp(const struct fst_report_input *in, char *buf, size_t size)
{
	struct words w = { buf, size, 0 };
	const struct fst_ftp_stats *fs = in->ftp_stats;
	const struct fst_capture_stats *cs = in->capture;
	uint64_t other = fst_report_other_flows(in);

	say(&w, "No FTP control connection in this input.");
	if (!cs->frames)
		say(&w, " It holds no packets.");
	if (fs->control_unanswered)
		say(&w,
		    " %llu connection attempt%s to the FTP control port got no answer: the server was unreachable (or the capture missed its side).",
		    (unsigned long long)fs->control_unanswered,
		    fs->control_unanswered == 1 ? "" : "s");
	if (fs->control_refused)
		say(&w,
		    " %llu connection attempt%s to the FTP control port %s refused with a reset: nothing listened there.",
		    (unsigned long long)fs->control_refused, fs->control_refused == 1 ? "" : "s",
		    fs->control_refused == 1 ? "was" : "were");
	if (other)
		say(&w,
		    " %llu other TCP connection%s (an FTP data connection cannot be told without its control connection: capture `host SERVER` from before the session starts).",
		    (unsigned long long)other, other == 1 ? "" : "s");
	if (cs->tunnelled_packets)
		say(&w, " %llu TCP packets came out of IP-in-IP or 6in4 tunnels.",
		    (unsigned long long)cs->tunnelled_packets);
	if (cs->skipped_not_tcp)
		say(&w,
		    " %llu IP packets were not TCP (tunnels other than IP-in-IP and 6in4, such as GRE, ESP or VXLAN, are not followed).",
		    (unsigned long long)cs->skipped_not_tcp);
	if (cs->skipped_not_ip)
		say(&w, " %llu frames were not IP.", (unsigned long long)cs->skipped_not_ip);
	return done(&w);
}

const char *fst_words_capture_note(enum fst_capture_note note)
{
	switch (note) {
	case FST_NOTE_DATA_CONNECTIONS_MISSING:
		return "the capture holds no data connection of this session's transfers "
		       "(capture `host SERVER`, not `port 21`)";
	case FST_NOTE_CAPTURE_LOSS:
		return "the capture lost bytes of this session (no side is blamed for a gap "
		       "that lost bytes)";
	case FST_NOTE_ONE_SIDED:
		return "the capture holds only one direction of this session (one side's "
		       "silence cannot be told from the capture's)";
	case FST_NOTE_DUPLICATES_REMOVED:
		return "packets of this session were captured twice; the copies were removed";
	case FST_NOTE_MID_STREAM:
		return "the capture began after this session did";
	case FST_NOTE_KERNEL_DROPS:
		return "the capturing kernel dropped packets while this session ran";
	case FST_NOTE_COUNT:
		break;
	}
	return "?";
}
