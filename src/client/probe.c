/* `probe`: measures the server's timers one connection each — login (a
 * greeting, then no USER), idle (logged in, silent), noop and
 * no_transfer (NOOP or PWD every interval, never a transfer) and data (a
 * STOR whose data connection stalls after a few bytes) — each until its
 * 421, FIN or RST. The clock starts at the greeting (login), the last
 * reply received (the server arms its timers as it sends it) or the last
 * data byte sent, and the first sign of closing is timestamped with
 * CLOCK_MONOTONIC. */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The poll granularity: the measurement is good to this much (servers
 * such as vsftpd time out in whole seconds anyway). */
#define RESOLUTION_US (10 * 1000)
/* After the first sign of closing, how long to wait for the rest (the
 * 421's FIN, or the 421 after a data close). */
#define GRACE_US	(5 * FST_US_PER_SEC)
#define CLEANUP_WAIT_US (5 * FST_US_PER_SEC)
/* Interrupted: how long QUIT may wait for its 221 before we close. */
#define QUIT_WAIT_US (FST_US_PER_SEC / 2)

static const char *const end_names[] = {
	[FST_END_NONE] = "none",	 [FST_END_REPLY] = "reply",
	[FST_END_FIN] = "fin",		 [FST_END_RST] = "rst",
	[FST_END_DATA_FIN] = "data-fin", [FST_END_DATA_RST] = "data-rst",
	[FST_END_MAX_WAIT] = "max-wait", [FST_END_ERROR] = "error",
};
_Static_assert(sizeof(end_names) / sizeof(end_names[0]) == FST_END_COUNT, "end names");

static const char *const timer_names[] = {
	[FST_PROBE_LOGIN] = "login", [FST_PROBE_IDLE] = "idle",
	[FST_PROBE_NOOP] = "noop",   [FST_PROBE_NO_TRANSFER] = "no_transfer",
	[FST_PROBE_DATA] = "data",
};
_Static_assert(sizeof(timer_names) / sizeof(timer_names[0]) == FST_PROBE_COUNT, "timer names");

/* What noop and no_transfer send; the others send nothing. */
static const char *const timer_commands[] = {
	[FST_PROBE_NOOP] = "NOOP",
	[FST_PROBE_NO_TRANSFER] = "PWD",
};

/* What a server's own clock does to the measurement, by a word of its
 * greeting (reported with the results; see the man page). */
static const struct {
	const char *greeting_word;
	unsigned timers; /* the note is for these (1 << fst_client_timer) */
	const char *note;
} timer_notes[] = {
	{ "ProFTPD", ~0u,
	  "ProFTPD runs its timers on alarm(2) and sleeps 0.2 s once or twice after each alarm "
	  "before it acts, counting in whole seconds: a timer of up to 5 s ends 0.2-0.4 s "
	  "after its setting; a longer one, or one behind another timer that fires first, "
	  "up to a second either way" },
	{ "vsFTPd", 1u << FST_PROBE_DATA,
	  "vsftpd checks a stalled data connection once per data_connection_timeout: "
	  "it ends one to two periods after the last byte" },
};

/* Without --noop-interval and without an idle result to take a third of. */
#define DEFAULT_INTERVAL_US (30 * FST_US_PER_SEC)
/* How often on_wait hears of a wait. */
#define WAIT_REPORT_US FST_US_PER_SEC

const char *fst_client_timer_name(enum fst_client_timer t)
{
	return t < FST_PROBE_COUNT ? timer_names[t] : "?";
}

int fst_client_timers_parse(const char *list, unsigned *mask, char *errbuf)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned t = 0;

		while (t < FST_PROBE_COUNT &&
		       (strlen(timer_names[t]) != len || strncmp(p, timer_names[t], len) != 0))
			t++;
		if (t == FST_PROBE_COUNT) {
			fst_errbuf_set(
				errbuf,
				"unknown timer '%.*s' (login, idle, noop, no_transfer, data)",
				(int)(len > 32 ? 32 : len), p);
			return FST_ERR_ARG;
		}
		*mask |= 1u << t;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*mask) {
		fst_errbuf_set(errbuf, "no timer named");
		return FST_ERR_ARG;
	}
	return FST_OK;
}

/* Where each timer's result lives in struct fst_client_probe_result. */
static const size_t wait_offsets[] = {
	[FST_PROBE_LOGIN] = offsetof(struct fst_client_probe_result, login),
	[FST_PROBE_IDLE] = offsetof(struct fst_client_probe_result, idle),
	[FST_PROBE_NOOP] = offsetof(struct fst_client_probe_result, noop),
	[FST_PROBE_NO_TRANSFER] = offsetof(struct fst_client_probe_result, no_transfer),
	[FST_PROBE_DATA] = offsetof(struct fst_client_probe_result, data),
};
_Static_assert(sizeof(wait_offsets) / sizeof(wait_offsets[0]) == FST_PROBE_COUNT, "offsets");

size_t client_probe_wait_offset(enum fst_client_timer t)
{
	return wait_offsets[t < FST_PROBE_COUNT ? t : FST_PROBE_DATA];
}

static struct fst_client_probe_wait *wait_of(struct fst_client_probe_result *out,
					     enum fst_client_timer t)
{
	return (struct fst_client_probe_wait *)((char *)out + client_probe_wait_offset(t));
}

/* One wait: which timer, and what to send meanwhile. */
struct probe_wait {
	const struct fst_client_probe_cfg *cfg;
	enum fst_client_timer timer;
	struct fst_client_probe_wait *w;
	const char *command; /* NULL: silent */
	int64_t interval_us;
};

const char *fst_client_end_name(enum fst_client_end e)
{
	return e < FST_END_COUNT ? end_names[e] : "?";
}

/* The first sign of closing fixes the measured timeout. */
static void first_sign(struct fst_client_probe_wait *w, enum fst_client_end end, int64_t t0,
		       int64_t now)
{
	if (w->measured)
		return;
	w->measured = true;
	w->end = end;
	w->timeout_us = now - t0;
}

/* Reads what the control connection has: a reply, or its close, by
 * deadline_us. Over TLS the connection is also readable for records that
 * hold no reply (a session ticket): the time is taken when the read
 * ends, and a deadline met without a reply is no sign. A 2xx answer to
 * our own command (answer_due) is none either. Returns true when the
 * control connection is closed. */
static bool control_event(struct client_conn *c, struct fst_client_probe_wait *w, int64_t t0,
			  int64_t deadline_us, int64_t *reply_at, bool answer_due, char *errbuf)
{
	struct client_reply r;
	int rc = client_reply(c, deadline_us, &r, NULL, NULL, errbuf);
	int64_t now = client_mono_us();
	enum fst_client_end how;

	if (rc != FST_OK && c->fail == CF_TIMEOUT)
		return false;
	if (rc == FST_OK && answer_due && r.code / 100 == 2) {
		w->commands++;
		return false;
	}
	if (rc == FST_OK) {
		first_sign(w, FST_END_REPLY, t0, now);
		if (!w->reply_code) {
			w->reply_code = r.code;
			snprintf(w->reply, sizeof(w->reply), "%s", r.text);
			*reply_at = now;
		}
		return false;
	}
	how = c->fail == CF_CLOSED ? FST_END_FIN :
	      c->fail == CF_RESET  ? FST_END_RST :
				     FST_END_ERROR;
	if (how == FST_END_ERROR) {
		snprintf(w->error, sizeof(w->error), "%s", errbuf);
		first_sign(w, FST_END_ERROR, t0, now);
		w->closed_by = FST_END_ERROR;
		return true;
	}
	first_sign(w, how, t0, now);
	w->closed_by = how;
	snprintf(w->tls_alert, sizeof(w->tls_alert), "%s", c->tls_alert);
	if (*reply_at)
		w->reply_to_close_us = now - *reply_at;
	return true;
}

/* Waits from t0 for the server to give up on the control connection (and
 * on d's, if open), polling every RESOLUTION_US, sending pw->command
 * every pw->interval_us meanwhile. Returns FST_OK, or FST_ERR_IO when
 * cancelled. */
static int wait_for_close(struct client_conn *c, struct client_data *d, int64_t t0,
			  const struct probe_wait *pw, char *errbuf)
{
	struct fst_client_probe_wait *w = pw->w;
	int64_t end = t0 + pw->cfg->max_wait_us, reply_at = 0;
	int64_t next_send = pw->command ? t0 + pw->interval_us : INT64_MAX;
	int64_t next_report = t0;
	bool data_open = d && d->fd >= 0, answer_due = false;
	short want = POLLIN;

	w->interval_us = pw->command ? pw->interval_us : 0;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = c->fd, .events = POLLIN | POLLRDHUP },
					 { .fd = d ? d->fd : -1, .events = want | POLLRDHUP } };
		int64_t now = client_mono_us();
		int64_t slice = now + RESOLUTION_US < end ? now + RESOLUTION_US : end;
		int rc;

		if (pw->cfg->on_wait && now >= next_report) {
			pw->cfg->on_wait(pw->cfg->wait_ctx, pw->timer, now - t0,
					 pw->cfg->max_wait_us);
			next_report = now + WAIT_REPORT_US;
		}
		if (!w->measured && !answer_due && now >= next_send && now < end) {
			/* A command the server cannot take is a sign too:
			 * the read below sees the close. */
			answer_due = client_send(c, errbuf, "%s", pw->command) == FST_OK;
			/* On the grid of t0, not from now: a late poll must
			 * not shift the later commands (see interval_for). */
			while (next_send <= now)
				next_send += pw->interval_us;
		}
		if (now >= end) {
			if (!w->measured)
				w->end = FST_END_MAX_WAIT;
			else if (w->closed_by == FST_END_NONE)
				w->closed_by = FST_END_MAX_WAIT;
			return FST_OK;
		}
		if (!data_open)
			pfd[1].fd = -1; /* poll ignores negative fds */
		rc = client_poll(c, pfd, 2, slice, errbuf);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		now = client_mono_us();
		if (pfd[1].revents) {
			char byte;
			ssize_t n = client_io_recv(d->fd, d->ssl, &byte, 1, &want);

			/* Over TLS, a session ticket also makes it readable. */
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				first_sign(w, n == 0 ? FST_END_DATA_FIN : FST_END_DATA_RST, t0,
					   now);
				data_open = false;
			}
		}
		if (pfd[0].revents || client_io_pending(c->ssl)) {
			bool due = answer_due;

			answer_due = false;
			if (control_event(c, w, t0, due ? now + c->cfg->timeout_us : end, &reply_at,
					  due, errbuf))
				return FST_OK;
		}
		/* After the first sign, only a grace period for the rest. */
		if (w->measured && end > now + GRACE_US)
			end = now + GRACE_US;
	}
}

/* Connects and logs in, then sends the --quote commands. */
static int login(const struct fst_client_probe_cfg *cfg, struct client_conn *c, char *errbuf)
{
	int rc = client_connect(c, errbuf);

	if (rc == FST_OK)
		rc = client_login(c, errbuf);
	for (size_t i = 0; rc == FST_OK && i < cfg->quote_count; i++) {
		struct client_reply r;
		char what[96];

		rc = client_cmd(c, &r, errbuf, "%s", cfg->quote[i]);
		if (rc == FST_OK && r.code / 100 != 2) {
			client_textf(what, sizeof(what), "--quote '%.40s'", cfg->quote[i]);
			rc = client_fail_reply(c, &r, errbuf, what);
		}
	}
	return rc;
}

/* Closes the session; interrupted, with a QUIT first (a measurement
 * ends with the server's close, so there is nothing to say then). */
static void end_session(struct client_conn *c)
{
	if (c->fail == CF_CANCELLED)
		client_quit(c, QUIT_WAIT_US);
	else
		client_conn_close(c);
}

/* Ends the scratch upload and deletes the file, on this session if it
 * still lives, else on a new one. Best effort. */
static bool remove_scratch(const struct fst_client_probe_cfg *cfg, struct client_conn *c,
			   struct client_data *d, const char *name)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct client_reply r;

	if (client_conn_open(c) && d->fd >= 0) {
		client_data_close(d);
		if (client_reply(c, client_mono_us() + CLEANUP_WAIT_US, &r, NULL, NULL, errbuf) !=
		    FST_OK)
			client_conn_close(c);
	}
	client_data_close(d);
	if (!client_conn_open(c) && login(cfg, c, errbuf) != FST_OK)
		return false;
	if (client_cmd(c, &r, errbuf, "DELE %s", name) != FST_OK)
		return false;
	return r.code / 100 == 2;
}

static int probe_data(const struct fst_client_probe_cfg *cfg, struct client_conn *c,
		      struct fst_client_probe_result *out, char *errbuf)
{
	static const char payload[] = "ftpstall probe: a stalled upload\n";
	struct client_data d = { .fd = -1, .listen_fd = -1, .ssl = NULL };
	struct client_reply r;
	size_t sent = 0;
	int64_t t0;
	int rc;

	snprintf(out->data_file, sizeof(out->data_file), ".ftpstall-probe-%ld", (long)getpid());
	rc = login(cfg, c, errbuf);
	if (rc != FST_OK)
		goto out;
	if (!out->greeting[0]) {
		snprintf(out->greeting, sizeof(out->greeting), "%s", c->greeting);
		snprintf(out->tls_version, sizeof(out->tls_version), "%s", c->tls_version);
	}
	rc = client_data_open(c, &d, errbuf);
	if (rc != FST_OK)
		goto out;
	rc = client_send(c, errbuf, "STOR %s", out->data_file);
	if (rc == FST_OK)
		rc = client_reply(c, client_mono_us() + c->cfg->timeout_us, &r, NULL, NULL, errbuf);
	if (rc != FST_OK)
		goto out;
	if (r.code / 100 != 1) {
		rc = client_fail_reply(c, &r, errbuf, "STOR refused");
		goto out;
	}
	rc = client_data_accept(c, &d, errbuf);
	if (rc != FST_OK)
		goto out;
	while (sent < sizeof(payload) - 1) {
		struct pollfd pfd = { .fd = d.fd };
		ssize_t n = client_io_send(d.fd, d.ssl, payload + sent, sizeof(payload) - 1 - sent,
					   &pfd.events);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			rc = client_fail_errno(c, CF_SOCKET, errno, errbuf, "data connection");
			goto out;
		}
		rc = client_poll(c, &pfd, 1, client_mono_us() + c->cfg->timeout_us, errbuf);
		if (rc <= 0) {
			rc = rc < 0 ? rc :
				      client_fail_errno(c, CF_TIMEOUT, ETIMEDOUT, errbuf, "data");
			goto out;
		}
	}
	out->data.bytes_sent = sent;
	t0 = client_mono_us();
	client_log(c->cfg, "sent %zu bytes of %s; now stalling (up to %.0f s)", sent,
		   out->data_file, (double)cfg->max_wait_us / 1e6);
	rc = wait_for_close(
		c, &d, t0,
		&(struct probe_wait){ .cfg = cfg, .timer = FST_PROBE_DATA, .w = &out->data },
		errbuf);
out:
	if (rc != FST_OK && !out->data.measured) {
		out->data.end = FST_END_ERROR;
		snprintf(out->data.error, sizeof(out->data.error), "%s", errbuf);
	}
	if (c->fail != CF_CANCELLED && out->data_file[0] && d.fd >= 0)
		out->data_file_removed = remove_scratch(cfg, c, &d, out->data_file);
	client_data_close(&d);
	end_session(c);
	return rc;
}

/* The NOOP interval: given, else a third of the idle result, else 30 s.
 * A third of the idle result is rounded to whole seconds (at least one):
 * ProFTPD recounts every timer at each command by the difference of
 * time(2)'s whole seconds, so commands sent a whole number of seconds
 * after the login land on the same fraction of its second and its
 * no-transfer timer is not shifted by up to a second either way. */
static int64_t interval_for(const struct fst_client_probe_cfg *cfg,
			    const struct fst_client_probe_result *out)
{
	int64_t third;

	if (cfg->noop_interval_us > 0)
		return cfg->noop_interval_us;
	if (!out->idle.measured || out->idle.timeout_us < 3 * RESOLUTION_US)
		return DEFAULT_INTERVAL_US;
	third = out->idle.timeout_us / 3;
	if (third < FST_US_PER_SEC)
		return third;
	return (third + FST_US_PER_SEC / 2) / FST_US_PER_SEC * FST_US_PER_SEC;
}

/* login: connected, greeted, then nothing; the others: logged in, then
 * silent or sending their command. One connection, closed after. */
static int probe_control(const struct fst_client_probe_cfg *cfg, struct client_conn *c,
			 struct fst_client_probe_result *out, enum fst_client_timer t, char *errbuf)
{
	struct probe_wait pw = { .cfg = cfg, .timer = t, .w = wait_of(out, t) };
	int rc;

	if (t == FST_PROBE_NOOP || t == FST_PROBE_NO_TRANSFER) {
		pw.command = timer_commands[t];
		pw.interval_us = interval_for(cfg, out);
	}
	rc = t == FST_PROBE_LOGIN ? client_connect(c, errbuf) : login(cfg, c, errbuf);
	if (rc == FST_OK) {
		if (!out->greeting[0]) {
			snprintf(out->greeting, sizeof(out->greeting), "%s", c->greeting);
			snprintf(out->tls_version, sizeof(out->tls_version), "%s", c->tls_version);
		}
		client_log(&cfg->conn, "%s timer: %s %s (up to %.0f s)", timer_names[t],
			   t == FST_PROBE_LOGIN ? "greeted, sending no USER;" : "logged in;",
			   pw.command ? pw.command : "now silent", (double)cfg->max_wait_us / 1e6);
		/* The login timer runs from the greeting (the server arms it
		 * as it greets), also through AUTH TLS and its handshake;
		 * the others from the last reply. */
		rc = wait_for_close(c, NULL, t == FST_PROBE_LOGIN ? c->greeted_us : c->last_rx_us,
				    &pw, errbuf);
	}
	end_session(c);
	if (rc == FST_OK && pw.w->end == FST_END_ERROR) {
		fst_errbuf_set(errbuf, "%s", pw.w->error);
		rc = FST_ERR_IO;
	}
	/* NOOP honoured: the session outlived the idle timer (or never
	 * ended) while NOOPs went. */
	if (t == FST_PROBE_NOOP)
		pw.w->honoured = !pw.w->measured ||
				 (out->idle.measured &&
				  pw.w->timeout_us > out->idle.timeout_us + pw.interval_us / 2);
	return rc;
}

int fst_client_probe_run(const struct fst_client_probe_cfg *cfg,
			 struct fst_client_probe_result *out, char *errbuf)
{
	struct client_conn c;
	unsigned timers = cfg->timers;
	int rc = FST_OK;

	memset(out, 0, sizeof(*out));
	out->resolution_us = RESOLUTION_US;
	out->max_wait_us = cfg->max_wait_us;
	out->started_at_us = client_real_us();
	snprintf(out->user, sizeof(out->user), "%s", cfg->conn.user ? cfg->conn.user : "anonymous");
	if (cfg->max_wait_us <= 0 || cfg->conn.timeout_us <= 0 ||
	    cfg->conn.connect_timeout_us <= 0) {
		fst_errbuf_set(errbuf, "invalid probe settings");
		return FST_ERR_ARG;
	}
	if (!timers)
		timers = 1u << FST_PROBE_IDLE;
	if (cfg->data)
		timers |= 1u << FST_PROBE_DATA;
	client_conn_init(&c, &cfg->conn);
	for (unsigned t = 0; t < FST_PROBE_COUNT && rc == FST_OK; t++) {
		if (!(timers & (1u << t)))
			continue;
		out->timers |= 1u << t;
		if (t == FST_PROBE_DATA) {
			rc = probe_data(cfg, &c, out, errbuf);
			if (rc == FST_OK && out->data.end == FST_END_ERROR) {
				fst_errbuf_set(errbuf, "%s", out->data.error);
				rc = FST_ERR_IO;
			}
		} else {
			rc = probe_control(cfg, &c, out, (enum fst_client_timer)t, errbuf);
		}
	}
	client_conn_release(&c);
	for (size_t i = 0; i < sizeof(timer_notes) / sizeof(timer_notes[0]); i++)
		if ((out->timers & timer_notes[i].timers) &&
		    strstr(out->greeting, timer_notes[i].greeting_word))
			out->timer_note = timer_notes[i].note;
	return rc;
}
