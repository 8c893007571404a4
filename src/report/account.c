/* The account that the text and the Markdown reports give of the
 * results: the headline, each incident (its facts, the timeline), the
 * other sessions, the servers and the capture statistics, as a series of
 * lines of a kind. Each report dresses the lines its own way. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ANSI colour for verdicts, only when the report asked for it. */
static const char *color_on(const struct report_account *a, enum fst_verdict v)
{
	if (!a->color)
		return "";
	return fst_verdict_is_incident(v) ? "\033[1;31m" : "\033[32m";
}

static const char *color_off(const struct report_account *a)
{
	return a->color ? "\033[0m" : "";
}

/* Formats one line and hands it to the report as kind. */
static void account_line(struct report_account *a, enum report_line kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void account_line(struct report_account *a, enum report_line kind, const char *fmt, ...)
{
	char buf[1024];
	char *line = buf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Long lines (a source of many file names) get a buffer of their own. */
	if ((size_t)n >= sizeof(buf)) {
		line = malloc((size_t)n + 1);
		if (!line)
			return;
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	a->put(a->ctx, kind, line);
	if (line != buf)
		free(line);
}

/* An idle timeout told step by step, as in the text report. */
static void explain_idle_timeout(struct report_account *a, const struct fst_report_input *in,
				 const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;
	const struct fst_ftp_session *s = r->session;
	const struct fst_ftp_reply_rec *before = report_reply_at(s, c->idle_since_us);
	const struct fst_server_estimate *e = report_estimate_for(in, s);
	int64_t fired = c->reply_code ? c->reply_ts_us : c->ts_us;
	double idle = report_seconds(c->idle_since_us, fired);
	char after[FST_FTP_TEXT_MAX + 32] = "";

	if (before)
		snprintf(after, sizeof(after), " after \"%d %s%s\"", before->code, before->text,
			 report_cut(before->text_truncated));
	if (c->busy_to_close)
		account_line(
			a, REPORT_ITEM,
			"The client was not idle: for %.1f s after its last other command it sent only keepalives (%u NOOP, PWD or the like) and transferred nothing.",
			report_seconds(c->keepalives_since_us, fired), c->keepalives);
	else
		account_line(a, REPORT_ITEM, "The client was idle for %.1f s%s.", idle, after);
	if (c->reply_code && c->by == FST_CLOSE_BY_CLIENT)
		account_line(
			a, REPORT_ITEM,
			"The server sent \"%d %s%s\" after %.1f s of idle; the client then closed the connection (%s).",
			c->reply_code, c->reply_text, report_cut(c->reply_text_truncated), idle,
			c->rst ? "reset" : "FIN");
	else if (c->reply_code)
		account_line(
			a, REPORT_ITEM,
			"The server sent \"%d %s%s\" and closed the connection (%s) after %.1f s of idle.",
			c->reply_code, c->reply_text, report_cut(c->reply_text_truncated),
			c->rst ? "reset" : "FIN", c->after_idle_s);
	else if (c->reply_lost)
		account_line(
			a, REPORT_ITEM,
			"The server closed the connection (%s) after %.1f s of idle; the capture lost the bytes it sent just before: the 421 itself was not captured. The idle matches the server's idle timeout of about %.0f s.",
			c->rst ? "reset" : "FIN", c->after_idle_s, r->idle_timeout_matched_s);
	else
		account_line(
			a, REPORT_ITEM,
			"The server closed the connection (%s) without a reply after %.1f s of idle.",
			c->rst ? "reset" : "FIN", c->after_idle_s);
	if (c->client_wrote_after_close)
		account_line(
			a, REPORT_ITEM,
			"%.1f s later the client wrote%s%s into the closed connection%s; a client that reports only its failed write (like duplicity's BackendException) hides this.",
			report_seconds(c->ts_us, c->client_write_ts_us),
			c->client_write_command[0] ? " " : "", c->client_write_command,
			c->reset_after_write ? " and was reset by the server" : "");
	if (e && e->observations) {
		char knob[128] = "";

		if (r->profile)
			snprintf(knob, sizeof(knob), "; %s %s", r->profile->software,
				 r->profile->idle_knob);
		account_line(a, REPORT_ITEM,
			     "The server's idle timeout is about %.0f s (%u observation%s%s).",
			     e->idle_timeout_s, e->observations, e->observations == 1 ? "" : "s",
			     knob);
	}
	if (r->stated_timeout_s > 0 && c->busy_to_close)
		account_line(
			a, REPORT_ITEM,
			"The server's reply states %d s; the client had sent only keepalives for %.1f s.",
			r->stated_timeout_s, report_seconds(c->keepalives_since_us, fired));
	else if (r->stated_timeout_s > 0)
		account_line(a, REPORT_ITEM,
			     "The server's reply states %d s; the observed idle was %.1f s.",
			     r->stated_timeout_s, idle);
}

static void write_timeline_line(void *ctx, const char *line)
{
	struct report_account *a = ctx;

	a->put(a->ctx, REPORT_CODE, line);
}

static void write_gap(struct report_account *a, const char *label, const struct fst_ftp_session *s,
		      const struct fst_gap *g)
{
	char transfer[48] = "";

	if (g->channel == FST_CHANNEL_DATA)
		snprintf(transfer, sizeof(transfer), " (transfer %llu)",
			 (unsigned long long)g->transfer_id);
	account_line(a, REPORT_ITEM, "%s: %s%s idle %.3f s from +%.6f to +%.6f, waiting on %s",
		     label, g->channel == FST_CHANNEL_CONTROL ? "control" : "data", transfer,
		     report_seconds(g->start_us, g->end_us),
		     report_seconds(s->start_us, g->start_us),
		     report_seconds(s->start_us, g->end_us), fst_wait_name(g->waiting_on));
}

static void write_close(struct report_account *a, const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;
	const struct fst_ftp_session *s = r->session;
	char announced[FST_FTP_TEXT_MAX + 32] = "", ttl[80] = "";

	if (c->by == FST_CLOSE_BY_NONE) {
		account_line(a, REPORT_ITEM, "close: none (still open when the capture ended)");
		return;
	}
	if (c->reply_code)
		snprintf(announced, sizeof(announced), ", announced by \"%d %s%s\"", c->reply_code,
			 c->reply_text, report_cut(c->reply_text_truncated));
	if (c->rst_ttl_mismatch)
		snprintf(ttl, sizeof(ttl), ", reset TTL %u differs from the sender's %u",
			 c->rst_ttl, c->peer_ttl);
	account_line(a, REPORT_ITEM,
		     "close: by %s with %s at +%.6f, %.3f s after the last activity%s%s%s",
		     fst_close_by_name(c->by), report_close_how(c),
		     report_seconds(s->start_us, c->ts_us), c->after_idle_s, announced,
		     c->mid_transfer ? ", during a transfer" : "", ttl);
}

/* Each command answered at least the gap threshold late: a finding,
 * whatever the verdict. */
static void write_slow_replies(struct report_account *a, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;

	for (size_t i = 0; i < r->slow_reply_count; i++) {
		const struct fst_slow_reply *sr = &r->slow_replies[i];

		account_line(a, REPORT_ITEM, "slow reply: %s at +%.6f got its %d after %.3f s",
			     sr->verb_text, report_seconds(s->start_us, sr->command_us), sr->code,
			     report_seconds(sr->command_us, sr->reply_us));
	}
	if (r->slow_replies_dropped)
		account_line(a, REPORT_ITEM, "slow replies not kept (over the cap): %zu",
			     r->slow_replies_dropped);
}

static void write_reconnect(struct report_account *a, const struct fst_session_result *r)
{
	char resumed[96] = "";

	if (!r->recovered_by)
		return;
	if (r->resumed)
		snprintf(resumed, sizeof(resumed), ", resumed at offset %llu with %s",
			 (unsigned long long)r->resume_offset,
			 fst_ftp_verb_info(r->resume_verb)->name);
	if (r->recovered_probable)
		account_line(a, REPORT_ITEM,
			     "probably recovered by session %llu, reconnected %.1f s later%s",
			     (unsigned long long)r->recovered_by, r->recovered_after_s, resumed);
	else
		account_line(a, REPORT_ITEM, "recovered: session %llu reconnected %.1f s later%s",
			     (unsigned long long)r->recovered_by, r->recovered_after_s, resumed);
	if (r->truncated_reupload)
		account_line(
			a, REPORT_ITEM,
			"warning: the file was sent again from the start or with fewer bytes than the failed attempt; the server may hold a truncated file");
}

static void write_transfers(struct report_account *a, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		double secs = t->start_us ? report_seconds(t->start_us, t->end_us) : 0;
		char code[16] = "", rest[64] = "", lost[80] = "";

		if (t->reply_code)
			snprintf(code, sizeof(code), " (%d)", t->reply_code);
		if (t->has_rest)
			snprintf(rest, sizeof(rest), ", resumed at offset %llu",
				 (unsigned long long)t->rest_offset);
		if (t->gap_bytes)
			snprintf(lost, sizeof(lost), ", %llu bytes missing from the capture",
				 (unsigned long long)t->gap_bytes);
		account_line(a, REPORT_ITEM,
			     "transfer %llu: %s%s%s%s (%s), %llu bytes in %.3f s, %s%s%s%s%s%s",
			     (unsigned long long)t->id, report_transfer_command(t),
			     t->file[0] ? " " : "", t->file, report_cut(t->file_truncated),
			     fst_transfer_mode_name(t->mode), (unsigned long long)t->bytes, secs,
			     fst_transfer_outcome_name(t->outcome), code, rest, lost,
			     !t->by_timing  ? "" :
			     !t->tls_seen   ? ", its TLS handshake not seen" :
			     t->tls_resumed ? ", TLS session resumed" :
					      ", a new TLS session (not resumed)",
			     t->tls_refused_probably ?
				     ", probably refused by the server after its TLS handshake" :
				     "");
	}
}

/* One side's end of TLS in words ("the server: an alert (encrypted),
 * then cleartext FTP at +3.061828"), or nothing when it had neither. */
static void tls_side_words(char *buf, size_t size, const char *who, const struct fst_ftp_session *s,
			   const struct fst_tls_side_info *side)
{
	const char *alert = side->alert_readable ? fst_tls_alert_name(side->alert_description) :
						   NULL;
	char ended[48] = "";

	if (!side->alerts && !side->ended)
		return;
	if (side->ended)
		snprintf(ended, sizeof(ended), "%scleartext FTP from +%.6f",
			 side->alerts ? ", then " : "",
			 (double)(side->ended_us - s->start_us) / 1e6);
	snprintf(buf, size, "; %s: %s%s%s", who, side->alerts ? "alert " : "",
		 side->alerts ? (alert ? alert : "(its kind encrypted)") : "", ended);
}

/* What a TLS session showed without keys, in one line. */
static void write_tls(struct report_account *a, const struct fst_ftp_session *s)
{
	const struct fst_tls_info *tls = s->tls;
	const char *version = fst_tls_version_name(tls->version);
	const char *cipher = fst_tls_cipher_name(tls->cipher);
	char ends[2][160] = { "", "" };
	const char *who[2] = { "client", "server" };
	char about[200];

	for (int dir = 0; dir < 2; dir++)
		tls_side_words(ends[dir], sizeof(ends[dir]), who[dir], s, &tls->side[dir]);
	snprintf(about, sizeof(about), "%s FTPS%s%s%s%s%s%s%s", fst_tls_mode_name(tls->mode),
		 version ? ", " : "", version ? version : "", cipher ? ", " : "",
		 cipher ? cipher : "", tls->sni[0] ? ", SNI " : "", tls->sni,
		 tls->resumed ? ", session resumed" : "");
	if (!s->opaque) {
		account_line(a, REPORT_ITEM, "decrypted with the TLS key log (%s)%s%s", about,
			     ends[0], ends[1]);
		return;
	}
	account_line(a, REPORT_ITEM,
		     "encrypted (%s): commands not visible%s%s; turns, idle gaps, response times "
		     "and the close are inferred from the TLS records' timing%s%s",
		     about, tls->decrypt > FST_TLS_DECRYPT_ON ? ", not decrypted: " : "",
		     fst_tls_decrypt_reason(tls->decrypt), ends[0], ends[1]);
}

void report_account_incident(struct report_account *a, const struct fst_report_input *in,
			     const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], when[40], words[FST_WORDS_MAX];

	fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client));
	fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server));
	account_line(a, REPORT_HEADING, "session %llu: %s%s%s (stalled: %s) %s -> %s%s%s%s%s%s",
		     (unsigned long long)s->id, color_on(a, r->verdict),
		     fst_verdict_name(r->verdict), color_off(a),
		     fst_stalled_side_name(r->stalled_side), client, server,
		     s->software ? ", " : "", s->software ? s->software : "",
		     s->user_name[0] ? ", user " : "", s->user_name,
		     report_cut(s->user_name_truncated));
	account_line(a, REPORT_ITEM, "started %s UTC%s%s",
		     fst_time_format(s->start_us, when, sizeof(when)),
		     s->mid_stream ? ", capture began mid-session" : "",
		     s->encrypted && !s->tls ? ", encrypted after AUTH" : "");
	if (s->tls)
		write_tls(a, s);
	if (r->verdict == FST_VERDICT_IDLE_TIMEOUT)
		explain_idle_timeout(a, in, r);
	else if (fst_words_summary(r, words, sizeof(words)))
		account_line(a, REPORT_ITEM, "%s", words);
	if (!a->skip_advice && fst_words_recommendation(r, words, sizeof(words)))
		account_line(a, REPORT_ITEM, "What to change: %s", words);
	if (fst_session_decisive_gap(r))
		write_gap(a, "decisive gap", s, fst_session_decisive_gap(r));
	write_close(a, r);
	write_slow_replies(a, r);
	if (!a->skip_advice)
		write_reconnect(a, r);
	if (a->timeline) {
		a->timeline(a->ctx, r);
	} else {
		account_line(a, REPORT_ITEM, "timeline (UTC, seconds from session start):");
		report_timeline(r, write_timeline_line, a);
	}
	write_transfers(a, s);
	for (size_t i = 0; i < r->gap_count; i++)
		if (i != r->decisive_gap_index)
			write_gap(a, "gap", s, &r->gaps[i]);
	if (fst_words_keepalive(r, words, sizeof(words)))
		account_line(a, REPORT_ITEM, "%s", words);
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note))
			account_line(a, REPORT_ITEM, "note: %s",
				     fst_words_capture_note((enum fst_capture_note)note));
	a->put(a->ctx, REPORT_BLANK, "");
}

static void write_other_sessions(struct report_account *a, const struct fst_report_input *in,
				 const unsigned *counts)
{
	char line[64 + FST_VERDICT_COUNT * 48] = "other sessions:";
	size_t used = strlen(line);
	bool first = true;

	for (int v = 0; v < FST_VERDICT_COUNT; v++)
		if (counts[v] && !fst_verdict_is_incident((enum fst_verdict)v) &&
		    used < sizeof(line)) {
			int n = snprintf(line + used, sizeof(line) - used, "%s %u %s",
					 first ? "" : ",", counts[v],
					 fst_verdict_name((enum fst_verdict)v));

			used += n > 0 ? (size_t)n : 0;
			first = false;
		}
	a->put(a->ctx, REPORT_PARA, line);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		char client[64], server[64], slow[64] = "", keepalive[FST_WORDS_MAX] = "";
		const struct fst_ftp_session *s = r->session;

		if (fst_verdict_is_incident(r->verdict))
			continue;
		if (r->slow_reply_count)
			snprintf(slow, sizeof(slow), ", %zu slow repl%s", r->slow_reply_count,
				 r->slow_reply_count == 1 ? "y" : "ies");
		if (fst_words_keepalive(r, keepalive + 2, sizeof(keepalive) - 2))
			memcpy(keepalive, "; ", 2);
		account_line(a, REPORT_ITEM,
			     "session %llu: %s %s -> %s, %zu commands, %zu transfers%s%s%s%s",
			     (unsigned long long)s->id, fst_verdict_name(r->verdict),
			     fst_endpoint_format(&s->client_addr, s->client_port, client,
						 sizeof(client)),
			     fst_endpoint_format(&s->server_addr, s->server_port, server,
						 sizeof(server)),
			     s->command_count, s->transfer_count, slow,
			     r->capture_loss ? "; the capture lost bytes of it (no side blamed)" :
					       "",
			     s->mid_stream ? "; capture began mid-session" : "", keepalive);
		if (s->tls)
			write_tls(a, s);
		/* The notes those two words do not already give. */
		for (int note = 0; note < FST_NOTE_COUNT; note++)
			if (note != FST_NOTE_CAPTURE_LOSS && note != FST_NOTE_MID_STREAM &&
			    (r->capture_notes & FST_NOTE_BIT(note)))
				account_line(a, REPORT_ITEM, "session %llu note: %s",
					     (unsigned long long)s->id,
					     fst_words_capture_note((enum fst_capture_note)note));
	}
	a->put(a->ctx, REPORT_BLANK, "");
}

void report_account_servers(struct report_account *a, const struct fst_report_input *in)
{
	char server[64];

	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next) {
		char idle[96], survived[64] = "", data[48] = "", stated[48] = "";

		if (e->observations)
			snprintf(idle, sizeof(idle),
				 "idle timeout about %.1f s (%u observation%s, spread %.1f s)",
				 e->idle_timeout_s, e->observations,
				 e->observations == 1 ? "" : "s", e->spread_s);
		else if (e->stated_idle_s > 0)
			snprintf(idle, sizeof(idle), "idle timeout %d s (stated in the banner)",
				 e->stated_idle_s);
		else
			snprintf(idle, sizeof(idle), "no idle timeout observed");
		if (e->longest_survived_s > 0)
			snprintf(survived, sizeof(survived), "; tolerated a client idle of %.1f s",
				 e->longest_survived_s);
		if (e->observations && e->stated_idle_s > 0)
			snprintf(stated, sizeof(stated), "; the banner states %d s",
				 e->stated_idle_s);
		if (e->data_observations)
			snprintf(data, sizeof(data), "; data timeout about %.1f s",
				 e->data_timeout_s);
		account_line(a, REPORT_PARA, "server %s%s%s: %s%s%s%s",
			     fst_endpoint_format(&e->addr, e->port, server, sizeof(server)),
			     e->software ? " " : "", e->software ? e->software : "", idle, stated,
			     survived, data);
	}
}

/* Each path that showed a middlebox or keep-alives: the bounds on its
 * middlebox's idle timeout. */
void report_account_paths(struct report_account *a, const struct fst_report_input *in)
{
	char name[2 * 64], words[FST_WORDS_MAX];

	for (const struct fst_path_estimate *e = fst_analysis_paths(in->analysis); e; e = e->next) {
		fst_words_path_name(e, name, sizeof(name));
		fst_words_path(e, words, sizeof(words));
		account_line(a, REPORT_PARA, "path %s: %s", name, words);
	}
}

void report_account_stats(struct report_account *a, const struct fst_report_input *in)
{
	const struct fst_capture_stats *cs = in->capture;
	const struct fst_tcp_stats *ts = in->tcp;
	uint64_t malformed = 0;

	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		malformed += cs->malformed[r];
	account_line(a, REPORT_PARA, "capture: %s", in->source);
	account_line(a, REPORT_ITEM,
		     "frames %llu (%llu TCP, %llu not IP, %llu not TCP, %llu IP fragments, "
		     "%llu malformed, %llu cut by snaplen)",
		     (unsigned long long)cs->frames, (unsigned long long)cs->tcp_packets,
		     (unsigned long long)cs->skipped_not_ip,
		     (unsigned long long)cs->skipped_not_tcp, (unsigned long long)cs->ip_fragments,
		     (unsigned long long)malformed, (unsigned long long)cs->truncated_frames);
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		if (cs->malformed[r])
			account_line(a, REPORT_ITEM, "malformed %s: %llu",
				     fst_decode_result_name((enum fst_decode_result)r),
				     (unsigned long long)cs->malformed[r]);
	if (cs->tunnelled_packets)
		account_line(a, REPORT_ITEM, "TCP packets inside IP-in-IP or 6in4 tunnels: %llu",
			     (unsigned long long)cs->tunnelled_packets);
	if (cs->time_went_back)
		account_line(a, REPORT_ITEM, "timestamps that went backwards (clamped): %llu",
			     (unsigned long long)cs->time_went_back);
	if (in->live)
		account_line(a, REPORT_ITEM,
			     "kernel: %llu received, %llu dropped, %llu dropped by interface",
			     (unsigned long long)cs->kernel_received,
			     (unsigned long long)cs->kernel_dropped,
			     (unsigned long long)cs->interface_dropped);
	else if (cs->kernel_dropped)
		account_line(
			a, REPORT_ITEM,
			"the capturing kernel dropped %llu packets (pcapng interface statistics)",
			(unsigned long long)cs->kernel_dropped);
	account_line(
		a, REPORT_ITEM,
		"tcp flows %llu (%llu evicted), capture gaps %llu (%llu B), retransmissions %llu",
		(unsigned long long)ts->flows_opened, (unsigned long long)ts->flows_evicted,
		(unsigned long long)ts->gaps, (unsigned long long)ts->gap_bytes,
		(unsigned long long)ts->retransmissions);
	if (ts->duplicates + cs->repeated_frames)
		account_line(a, REPORT_ITEM,
			     "packets captured twice (dropped, not retransmissions): %llu",
			     (unsigned long long)(ts->duplicates + cs->repeated_frames));
	account_line(a, REPORT_ITEM, "ftp sessions %llu, data connections %llu",
		     (unsigned long long)in->ftp_stats->sessions,
		     (unsigned long long)in->ftp_stats->data_connections);
	if (in->ftp_stats->control_unanswered || in->ftp_stats->control_refused)
		account_line(
			a, REPORT_ITEM,
			"connections to the control port that got no answer %llu, refused %llu",
			(unsigned long long)in->ftp_stats->control_unanswered,
			(unsigned long long)in->ftp_stats->control_refused);
	if (fst_analysis_sessions_evicted(in->analysis))
		account_line(a, REPORT_ITEM,
			     "oldest ended sessions left out of this report (--max-sessions): %llu",
			     (unsigned long long)fst_analysis_sessions_evicted(in->analysis));
	if (ts->flows_closed[FST_TCP_CLOSE_TABLE_FULL])
		account_line(a, REPORT_ITEM,
			     "flows evicted because the flow table was full (--max-flows): %llu",
			     (unsigned long long)ts->flows_closed[FST_TCP_CLOSE_TABLE_FULL]);
	if (ts->ooo_limit_hits)
		account_line(a, REPORT_ITEM, "holes given up at the out-of-order buffer cap: %llu",
			     (unsigned long long)ts->ooo_limit_hits);
	for (int k = 0; k < FST_ANOMALY_COUNT; k++)
		if (in->ftp_stats->anomalies[k])
			account_line(a, REPORT_ITEM, "ftp anomaly %s: %llu",
				     fst_ftp_anomaly_name((enum fst_ftp_anomaly)k),
				     (unsigned long long)in->ftp_stats->anomalies[k]);
}

void report_account(struct report_account *a, const struct fst_report_input *in)
{
	unsigned counts[FST_VERDICT_COUNT] = { 0 };
	unsigned sessions = 0, incidents = 0;

	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		sessions++;
		counts[r->verdict]++;
		if (fst_verdict_is_incident(r->verdict))
			incidents++;
	}
	if (in->interrupted) {
		char words[128];

		fst_report_interrupted_words(in, words, sizeof(words));
		account_line(a, REPORT_ALERT,
			     "INCOMPLETE: %s; later packets are not in this report", words);
	}
	account_line(a, REPORT_PARA, "ftpstall: %u FTP session%s, %u incident%s in %s", sessions,
		     sessions == 1 ? "" : "s", incidents, incidents == 1 ? "" : "s", in->source);
	if (!in->ftp_stats->sessions) {
		char words[FST_WORDS_MAX];

		fst_words_no_ftp(in, words, sizeof(words));
		account_line(a, REPORT_PARA, "%s", words);
	}
	a->put(a->ctx, REPORT_BLANK, "");
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		if (fst_verdict_is_incident(r->verdict))
			report_account_incident(a, in, r);
	if (sessions > incidents)
		write_other_sessions(a, in, counts);
	report_account_servers(a, in);
	report_account_paths(a, in);
	report_account_stats(a, in);
}
