/* The JSON report (schema in docs/report-format.md). Strings from the
 * network are escaped: control bytes and bytes above 0x7e as \u00XX,
 * so the document is valid UTF-8 whatever the capture held. */
#include "internal.h"

#include <string.h>

#include "ftpstall/json.h"
#include "ftpstall/report.h"

/* A packet time; 0 (never seen) is null. */
static void json_time(struct fst_json *j, const char *key, int64_t ts_us)
{
	if (ts_us)
		fst_json_time(j, key, ts_us);
	else
		fst_json_null(j, key);
}

static void json_endpoint(struct fst_json *j, const char *key, const struct fst_addr *addr,
			  uint16_t port)
{
	char buf[64];

	fst_json_str(j, key, fst_endpoint_format(addr, port, buf, sizeof(buf)));
}

/* A text that was cut gets a "<key>": true after it; an uncut one
 * nothing, so reports of uncut texts keep their shape. */
static void json_cut(struct fst_json *j, const char *key, bool truncated)
{
	if (truncated)
		fst_json_bool(j, key, true);
}

/* "close_notify": true when one was read, false when the side's alerts
 * were readable and none was one, null when TLS hid them (TLS 1.3
 * encrypts its alerts; TLS 1.2 after ChangeCipherSpec). */
static void write_tls_side(struct fst_json *j, const char *key, const struct fst_tls_info *tls,
			   const struct fst_tls_side_info *side)
{
	bool hidden = tls->decrypt != FST_TLS_DECRYPT_ON &&
		      (tls->version >= 0x0304 || (side->alerts && !side->alert_readable));

	fst_json_open(j, key, '{');
	fst_json_u64(j, "records", side->records);
	fst_json_u64(j, "application_records", side->app_records);
	fst_json_u64(j, "application_bytes", side->app_bytes);
	fst_json_u64(j, "alerts", side->alerts);
	json_time(j, "first_alert", side->alerts ? side->first_alert_us : 0);
	fst_json_str(j, "alert",
		     side->alert_readable ? fst_tls_alert_name(side->alert_description) : NULL);
	if (side->close_notify || !hidden)
		fst_json_bool(j, "close_notify", side->close_notify);
	else
		fst_json_null(j, "close_notify");
	json_time(j, "tls_ended", side->ended ? side->ended_us : 0);
	fst_json_bool(j, "records_lost", side->lost);
	fst_json_u64(j, "malformed", side->malformed);
	if (tls->decrypt != FST_TLS_DECRYPT_NONE) {
		fst_json_u64(j, "plaintext_records", side->plain_records);
		fst_json_u64(j, "plaintext_bytes", side->plain_bytes);
	}
	fst_json_close(j, '}');
}

/* Only for sessions that went over to TLS: plain reports stay as they
 * were. */
static void write_tls(struct fst_json *j, const struct fst_tls_info *tls)
{
	fst_json_open(j, "tls", '{');
	fst_json_str(j, "mode", fst_tls_mode_name(tls->mode));
	fst_json_str(j, "version", fst_tls_version_name(tls->version));
	fst_json_str(j, "cipher", fst_tls_cipher_name(tls->cipher));
	if (tls->server_hello && !fst_tls_cipher_name(tls->cipher))
		fst_json_u64(j, "cipher_id", tls->cipher);
	fst_json_str(j, "sni", tls->sni[0] ? tls->sni : NULL);
	fst_json_bool(j, "session_id_offered", tls->session_id_offered);
	fst_json_bool(j, "ticket_offered", tls->ticket_offered);
	fst_json_bool(j, "psk_offered", tls->psk_offered);
	fst_json_bool(j, "resumed", tls->resumed);
	fst_json_bool(j, "hello_retry", tls->hello_retry);
	fst_json_str(j, "decryption", fst_tls_decrypt_name(tls->decrypt));
	if (tls->decrypt > FST_TLS_DECRYPT_ON)
		fst_json_str(j, "not_decrypted_because", fst_tls_decrypt_reason(tls->decrypt));
	write_tls_side(j, "client", tls, &tls->side[FST_TLS_FROM_CLIENT]);
	write_tls_side(j, "server", tls, &tls->side[FST_TLS_FROM_SERVER]);
	fst_json_close(j, '}');
}

static void write_commands(struct fst_json *j, const struct fst_ftp_session *s)
{
	fst_json_open(j, "commands", '[');
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *c = &s->commands[i];

		fst_json_open(j, NULL, '{');
		fst_json_str(j, "verb", report_verb_text(&c->cmd));
		fst_json_str(j, "arg", c->cmd.arg);
		json_cut(j, "arg_truncated", c->cmd.arg_truncated);
		fst_json_str(j, "family",
			     fst_ftp_family_name(fst_ftp_verb_info(c->cmd.verb)->family));
		json_time(j, "time", c->ts_us);
		if (c->reply_code) {
			fst_json_int(j, "reply_code", c->reply_code);
			fst_json_str(j, "reply_text", fst_ftp_command_reply_text(s, c));
			json_cut(j, "reply_text_truncated",
				 c->reply_index < s->reply_count &&
					 s->replies[c->reply_index].text_truncated);
			fst_json_seconds(j, "response_s", report_seconds(c->ts_us, c->reply_ts_us));
		} else {
			fst_json_null(j, "reply_code");
		}
		if (c->preliminary_code)
			fst_json_int(j, "preliminary_code", c->preliminary_code);
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

static void write_replies(struct fst_json *j, const struct fst_ftp_session *s)
{
	fst_json_open(j, "replies", '[');
	for (size_t i = 0; i < s->reply_count; i++) {
		const struct fst_ftp_reply_rec *r = &s->replies[i];

		fst_json_open(j, NULL, '{');
		fst_json_int(j, "code", r->code);
		fst_json_str(j, "text", r->text);
		json_cut(j, "truncated", r->text_truncated);
		fst_json_u64(j, "lines", r->lines);
		json_time(j, "time", r->ts_us);
		fst_json_bool(j, "unsolicited", r->unsolicited);
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

static void write_transfers(struct fst_json *j, const struct fst_ftp_session *s)
{
	fst_json_open(j, "transfers", '[');
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		fst_json_open(j, NULL, '{');
		fst_json_str(j, "command", fst_ftp_verb_info(t->verb)->name);
		fst_json_str(j, "file", t->file);
		json_cut(j, "file_truncated", t->file_truncated);
		fst_json_str(j, "mode", fst_transfer_mode_name(t->mode));
		fst_json_u64(j, "rest_offset", t->rest_offset);
		fst_json_u64(j, "bytes", t->bytes);
		fst_json_u64(j, "bytes_missing_from_capture", t->gap_bytes);
		if (t->announced_bytes >= 0)
			fst_json_u64(j, "announced_bytes", (uint64_t)t->announced_bytes);
		else
			fst_json_null(j, "announced_bytes");
		json_time(j, "start", t->start_us);
		json_time(j, "end", t->end_us);
		if (t->end_us > t->start_us)
			fst_json_seconds(j, "throughput_Bps",
					 (double)t->bytes / report_seconds(t->start_us, t->end_us));
		else
			fst_json_null(j, "throughput_Bps");
		fst_json_str(j, "outcome", fst_transfer_outcome_name(t->outcome));
		if (t->reply_code)
			fst_json_int(j, "reply_code", t->reply_code);
		fst_json_bool(j, "data_connection_seen", t->data_seen);
		if (t->data_seen) {
			json_endpoint(j, "data_client", &t->data_client_addr, t->data_client_port);
			json_endpoint(j, "data_server", &t->data_server_addr, t->data_server_port);
		}
		if (t->data_connect == FST_CONNECT_UNANSWERED ||
		    t->data_connect == FST_CONNECT_REFUSED)
			fst_json_str(j, "data_handshake", fst_data_connect_name(t->data_connect));
		fst_json_str(j, "data_closed_by", fst_side_name(t->closed_by));
		fst_json_bool(j, "nat_address", t->nat_address);
		/* Only for FTPS data connections matched by timing. */
		if (t->by_timing) {
			fst_json_bool(j, "by_timing", true);
			if (t->tls_seen)
				fst_json_bool(j, "tls_resumed", t->tls_resumed);
			else
				fst_json_null(j, "tls_resumed");
			if (t->tls_refused_probably)
				fst_json_bool(j, "tls_refused_probably", true);
		}
		if (t->decrypted)
			fst_json_bool(j, "decrypted", true);
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

static void write_gaps(struct fst_json *j, const struct fst_session_result *r)
{
	fst_json_open(j, "gaps", '[');
	for (size_t i = 0; i < r->gap_count; i++) {
		const struct fst_gap *g = &r->gaps[i];

		fst_json_open(j, NULL, '{');
		fst_json_str(j, "channel", g->channel == FST_CHANNEL_CONTROL ? "control" : "data");
		if (g->channel == FST_CHANNEL_DATA)
			fst_json_u64(j, "transfer", g->transfer_id);
		json_time(j, "start", g->start_us);
		json_time(j, "end", g->end_us);
		fst_json_seconds(j, "duration_s", report_seconds(g->start_us, g->end_us));
		fst_json_str(j, "waiting_on", fst_wait_name(g->waiting_on));
		fst_json_bool(j, "before_close", g->before_close);
		fst_json_bool(j, "decisive", i == r->decisive_gap_index);
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

/* Commands answered at least the gap threshold late; only when there is
 * one, so reports without them keep their shape. */
static void write_slow_replies(struct fst_json *j, const struct fst_session_result *r)
{
	if (r->slow_reply_count) {
		fst_json_open(j, "slow_replies", '[');
		for (size_t i = 0; i < r->slow_reply_count; i++) {
			const struct fst_slow_reply *sr = &r->slow_replies[i];

			fst_json_open(j, NULL, '{');
			fst_json_str(j, "verb", sr->verb_text);
			json_time(j, "time", sr->command_us);
			fst_json_int(j, "reply_code", sr->code);
			json_time(j, "reply_time", sr->reply_us);
			fst_json_seconds(j, "response_s",
					 report_seconds(sr->command_us, sr->reply_us));
			fst_json_close(j, '}');
		}
		fst_json_close(j, ']');
	}
	if (r->slow_replies_dropped)
		fst_json_u64(j, "slow_replies_dropped", r->slow_replies_dropped);
}

static void write_close(struct fst_json *j, const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;

	fst_json_open(j, "close", '{');
	fst_json_str(j, "by", fst_close_by_name(c->by));
	fst_json_str(j, "how",
		     c->by == FST_CLOSE_BY_NONE ? "none" :
		     c->dropped			? "drop" :
		     c->rst			? "rst" :
						  "fin");
	if (c->by == FST_CLOSE_BY_NONE) {
		fst_json_null(j, "time");
		fst_json_null(j, "after_idle_s");
	} else {
		json_time(j, "time", c->ts_us);
		fst_json_seconds(j, "after_idle_s", c->after_idle_s);
	}
	if (c->reply_code) {
		fst_json_int(j, "reply_code", c->reply_code);
		fst_json_str(j, "reply_text", c->reply_text);
		json_cut(j, "reply_text_truncated", c->reply_text_truncated);
	} else {
		fst_json_null(j, "reply_code");
		fst_json_null(j, "reply_text");
	}
	fst_json_bool(j, "client_wrote_after_close", c->client_wrote_after_close);
	if (c->client_wrote_after_close) {
		json_time(j, "client_write_time", c->client_write_ts_us);
		fst_json_str(j, "client_write_command",
			     c->client_write_command[0] ? c->client_write_command : NULL);
	}
	fst_json_bool(j, "reset_after_write", c->reset_after_write);
	fst_json_bool(j, "mid_transfer", c->mid_transfer);
	fst_json_bool(j, "rst_ttl_mismatch", c->rst_ttl_mismatch);
	if (c->rst_ttl_mismatch) {
		fst_json_int(j, "rst_ttl", c->rst_ttl);
		fst_json_int(j, "sender_ttl", c->peer_ttl);
	}
	fst_json_bool(j, "quit_sent", c->quit_seen);
	/* Only when true: a close whose reply was seen keeps its shape. */
	if (c->reply_lost)
		fst_json_bool(j, "reply_lost", true);
	fst_json_close(j, '}');
}

static void write_verdict(struct fst_json *j, const struct fst_session_result *r)
{
	char words[FST_WORDS_MAX];

	fst_json_open(j, "verdict", '{');
	fst_json_str(j, "kind", fst_verdict_name(r->verdict));
	fst_json_str(j, "stalled_side", fst_stalled_side_name(r->stalled_side));
	fst_json_str(j, "timer", fst_timer_name(r->timer));
	fst_words_summary(r, words, sizeof(words));
	fst_json_str(j, "summary", words);
	fst_json_str(j, "recommendation",
		     fst_words_recommendation(r, words, sizeof(words)) ? words : NULL);
	if (r->stated_timeout_s > 0)
		fst_json_int(j, "stated_timeout_s", r->stated_timeout_s);
	else
		fst_json_null(j, "stated_timeout_s");
	fst_json_bool(j, "capture_loss", r->capture_loss);
	/* Only for middlebox_* verdicts: other documents are as before. */
	if (r->path_idle_s >= 0)
		fst_json_seconds(j, "path_idle_s", r->path_idle_s);
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->uncertain_because & FST_NOTE_BIT(note))
			fst_json_str(j, "uncertain_because",
				     fst_capture_note_name((enum fst_capture_note)note));
	if (r->idle_timeout_matched_s > 0)
		fst_json_seconds(j, "idle_timeout_matched_s", r->idle_timeout_matched_s);
	fst_json_close(j, '}');
	if (r->recovered_by) {
		fst_json_open(j, "reconnect", '{');
		fst_json_u64(j, "session", r->recovered_by);
		fst_json_seconds(j, "after_s", r->recovered_after_s);
		/* Only when true: a sure link's document is as before. */
		if (r->recovered_probable)
			fst_json_bool(j, "probable", true);
		fst_json_bool(j, "resumed", r->resumed);
		if (r->resumed) {
			fst_json_str(j, "resumed_with", fst_ftp_verb_info(r->resume_verb)->name);
			fst_json_u64(j, "offset", r->resume_offset);
		}
		fst_json_bool(j, "truncated_reupload", r->truncated_reupload);
		fst_json_close(j, '}');
	} else {
		fst_json_null(j, "reconnect");
	}
}

static void write_keepalives(struct fst_json *j, const struct fst_session_result *r);

/* One session object; source (JSON Lines only) names the capture. */
static void write_session(struct fst_json *j, const struct fst_session_result *r,
			  const char *source)
{
	const struct fst_ftp_session *s = r->session;

	fst_json_open(j, NULL, '{');
	if (source)
		fst_json_str(j, "source", source);
	fst_json_u64(j, "id", s->id);
	json_endpoint(j, "client", &s->client_addr, s->client_port);
	json_endpoint(j, "server", &s->server_addr, s->server_port);
	fst_json_str(j, "user", s->user_name[0] ? s->user_name : NULL);
	json_cut(j, "user_truncated", s->user_name_truncated);
	fst_json_str(j, "server_software", s->software);
	fst_json_str(j, "banner", s->banner[0] ? s->banner : NULL);
	json_cut(j, "banner_truncated", s->banner_truncated);
	fst_json_str(j, "syst", s->syst[0] ? s->syst : NULL);
	json_cut(j, "syst_truncated", s->syst_truncated);
	fst_json_str(j, "type", s->type[0] ? s->type : NULL);
	json_cut(j, "type_truncated", s->type_truncated);
	fst_json_str(j, "cwd", s->cwd[0] ? s->cwd : NULL);
	json_cut(j, "cwd_truncated", s->cwd_truncated);
	fst_json_str(j, "features", s->features[0] ? s->features : NULL);
	json_cut(j, "features_truncated", s->features_truncated);
	fst_json_bool(j, "mid_stream", s->mid_stream);
	fst_json_str(j, "detected_by", s->detected_by_greeting ? "greeting" : "port");
	fst_json_bool(j, "encrypted", s->encrypted);
	if (s->tls)
		write_tls(j, s->tls);
	fst_json_str(j, "state", fst_ftp_state_name(s->state));
	json_time(j, "start", s->start_us);
	json_time(j, "end", s->end_us);
	write_commands(j, s);
	write_replies(j, s);
	write_transfers(j, s);
	write_gaps(j, r);
	write_slow_replies(j, r);
	write_close(j, r);
	write_verdict(j, r);
	fst_json_open(j, "capture_notes", '[');
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note))
			fst_json_str(j, NULL, fst_capture_note_name((enum fst_capture_note)note));
	fst_json_close(j, ']');
	write_keepalives(j, r);
	fst_json_open(j, "dropped", '{');
	fst_json_u64(j, "commands", s->commands_dropped);
	fst_json_u64(j, "replies", s->replies_dropped);
	fst_json_u64(j, "transfers", s->transfers_dropped);
	fst_json_u64(j, "gaps", r->gaps_dropped);
	fst_json_close(j, '}');
	fst_json_u64(j, "anomalies", s->anomalies);
	fst_json_close(j, '}');
}

/* Only for a session with keep-alives: other documents are as before. */
static void write_keepalives(struct fst_json *j, const struct fst_session_result *r)
{
	const struct fst_keepalive_info *k = &r->keepalive;

	if (!k->probes)
		return;
	fst_json_open(j, "tcp_keepalives", '{');
	fst_json_str(j, "sender", k->sender == FST_SIDE_SERVER ? "server" : "client");
	fst_json_u64(j, "probes", k->probes);
	fst_json_u64(j, "answered", k->answered);
	if (k->interval_s > 0)
		fst_json_seconds(j, "interval_s", k->interval_s);
	else
		fst_json_null(j, "interval_s");
	fst_json_close(j, '}');
}

/* Only when a path showed a middlebox or keep-alives: other documents
 * are as before. */
static void write_paths(struct fst_json *j, const struct fst_report_input *in)
{
	char text[FST_WORDS_MAX];
	const struct fst_path_estimate *e = fst_analysis_paths(in->analysis);

	if (!e)
		return;
	fst_json_open(j, "paths", '[');
	for (; e; e = e->next) {
		char *arrow;

		fst_json_open(j, NULL, '{');
		fst_words_path_name(e, text, sizeof(text));
		arrow = strstr(text, " -> ");
		if (arrow) {
			*arrow = '\0';
			fst_json_str(j, "client_network", text);
			fst_json_str(j, "server", arrow + 4);
		}
		fst_json_u64(j, "sessions", e->sessions);
		fst_json_u64(j, "middlebox_failures", e->failures);
		if (e->longest_survived_s > 0)
			fst_json_seconds(j, "longest_survived_idle_s", e->longest_survived_s);
		else
			fst_json_null(j, "longest_survived_idle_s");
		if (e->shortest_failed_s >= 0)
			fst_json_seconds(j, "shortest_failed_idle_s", e->shortest_failed_s);
		else
			fst_json_null(j, "shortest_failed_idle_s");
		if (e->keepalive_interval_s > 0)
			fst_json_seconds(j, "keepalive_interval_s", e->keepalive_interval_s);
		else
			fst_json_null(j, "keepalive_interval_s");
		fst_json_open(j, "known_defaults", '[');
		for (size_t i = 0; i < fst_middlebox_default_count(); i++) {
			const struct fst_middlebox_default *d = fst_middlebox_default_at(i);

			fst_json_open(j, NULL, '{');
			fst_json_str(j, "name", d->name);
			fst_json_int(j, "idle_timeout_s", d->idle_timeout_s);
			fst_json_bool(j, "fits", fst_path_default_fits(e, d));
			fst_json_close(j, '}');
		}
		fst_json_close(j, ']');
		fst_words_path(e, text, sizeof(text));
		fst_json_str(j, "summary", text);
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

static void write_servers(struct fst_json *j, const struct fst_report_input *in)
{
	char server[64];

	fst_json_open(j, "servers", '[');
	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next) {
		fst_json_open(j, NULL, '{');
		fst_json_str(j, "server",
			     fst_endpoint_format(&e->addr, e->port, server, sizeof(server)));
		fst_json_str(j, "software", e->software);
		if (e->observations) {
			fst_json_seconds(j, "idle_timeout_estimate_s", e->idle_timeout_s);
			fst_json_seconds(j, "idle_timeout_spread_s", e->spread_s);
		} else if (e->stated_idle_s > 0) {
			fst_json_seconds(j, "idle_timeout_estimate_s", e->idle_timeout_s);
			fst_json_null(j, "idle_timeout_spread_s");
		} else {
			fst_json_null(j, "idle_timeout_estimate_s");
			fst_json_null(j, "idle_timeout_spread_s");
		}
		if (e->stated_idle_s > 0) {
			fst_json_u64(j, "idle_timeout_stated_s", (uint64_t)e->stated_idle_s);
			fst_json_str(j, "idle_timeout_evidence",
				     e->observations ? "observed" : "stated in the banner");
		}
		fst_json_u64(j, "observations", e->observations);
		fst_json_seconds(j, "longest_survived_idle_s", e->longest_survived_s);
		if (e->data_observations)
			fst_json_seconds(j, "data_timeout_estimate_s", e->data_timeout_s);
		else
			fst_json_null(j, "data_timeout_estimate_s");
		fst_json_close(j, '}');
	}
	fst_json_close(j, ']');
}

static void write_stats(struct fst_json *j, const struct fst_report_input *in)
{
	const struct fst_capture_stats *c = in->capture;

	fst_json_open(j, "stats", '{');
	fst_json_u64(j, "packets", c->frames);
	fst_json_u64(j, "bytes", c->frame_bytes);
	fst_json_u64(j, "tcp_packets", c->tcp_packets);
	fst_json_u64(j, "ip_fragments", c->ip_fragments);
	if (c->tunnelled_packets)
		fst_json_u64(j, "tunnelled_packets", c->tunnelled_packets);
	fst_json_u64(j, "truncated_frames", c->truncated_frames);
	fst_json_open(j, "malformed", '{');
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		if (c->malformed[r])
			fst_json_u64(j, fst_decode_result_name((enum fst_decode_result)r),
				     c->malformed[r]);
	fst_json_close(j, '}');
	fst_json_u64(j, "timestamps_clamped", c->time_went_back);
	fst_json_u64(j, "capture_gaps", in->tcp->gaps);
	fst_json_u64(j, "capture_gap_bytes", in->tcp->gap_bytes);
	fst_json_u64(j, "flows", in->tcp->flows_opened);
	fst_json_u64(j, "evicted_flows", in->tcp->flows_evicted);
	fst_json_u64(j, "retransmissions", in->tcp->retransmissions);
	if (in->tcp->duplicates + c->repeated_frames)
		fst_json_u64(j, "duplicates", in->tcp->duplicates + c->repeated_frames);
	fst_json_u64(j, "ooo_limit_hits", in->tcp->ooo_limit_hits);
	fst_json_u64(j, "ftp_sessions", in->ftp_stats->sessions);
	fst_json_u64(j, "sessions_evicted", fst_analysis_sessions_evicted(in->analysis));
	fst_json_u64(j, "data_connections", in->ftp_stats->data_connections);
	if (in->ftp_stats->control_unanswered)
		fst_json_u64(j, "control_unanswered", in->ftp_stats->control_unanswered);
	if (in->ftp_stats->control_refused)
		fst_json_u64(j, "control_refused", in->ftp_stats->control_refused);
	if (in->ftp_stats->texts_cut)
		fst_json_u64(j, "texts_cut", in->ftp_stats->texts_cut);
	fst_json_open(j, "anomalies", '{');
	for (int a = 0; a < FST_ANOMALY_COUNT; a++)
		if (in->ftp_stats->anomalies[a])
			fst_json_u64(j, fst_ftp_anomaly_name((enum fst_ftp_anomaly)a),
				     in->ftp_stats->anomalies[a]);
	fst_json_close(j, '}');
	fst_json_open(j, "capture_warnings", '[');
	for (const char *w = in->capture_warnings ? in->capture_warnings : ""; *w;) {
		const char *end = strchr(w, '\n');
		size_t len = end ? (size_t)(end - w) : strlen(w);
		char line[FST_ERRBUF_SIZE];

		snprintf(line, sizeof(line), "%.*s", (int)len, w);
		fst_json_str(j, NULL, line);
		w += len + (end ? 1 : 0);
	}
	fst_json_close(j, ']');
	if (in->live || c->kernel_dropped) {
		fst_json_u64(j, "kernel_dropped", c->kernel_dropped);
		fst_json_u64(j, "interface_dropped", c->interface_dropped);
	}
	fst_json_close(j, '}');
}

/* An input without any FTP session: what it did hold. */
static void write_no_ftp(struct fst_json *j, const struct fst_report_input *in)
{
	char words[FST_WORDS_MAX];

	fst_json_open(j, "no_ftp", '{');
	fst_json_u64(j, "control_unanswered", in->ftp_stats->control_unanswered);
	fst_json_u64(j, "control_refused", in->ftp_stats->control_refused);
	fst_json_u64(j, "other_tcp_flows", fst_report_other_flows(in));
	fst_json_u64(j, "tunnelled_packets", in->capture->tunnelled_packets);
	fst_json_u64(j, "not_tcp_packets", in->capture->skipped_not_tcp);
	fst_json_u64(j, "not_ip_frames", in->capture->skipped_not_ip);
	fst_words_no_ftp(in, words, sizeof(words));
	fst_json_str(j, "summary", words);
	fst_json_close(j, '}');
}

int report_write_json(FILE *out, const struct fst_report_input *in)
{
	struct fst_json j = fst_json_make(out, FST_JSON_PRETTY);

	fst_json_open(&j, NULL, '{');
	fst_json_str(&j, "version", in->version);
	fst_json_str(&j, "source", in->source);
	if (in->interrupted) {
		fst_json_open(&j, "interrupted", '{');
		fst_json_u64(&j, "bytes_read", in->bytes_read);
		fst_json_u64(&j, "bytes_total", in->bytes_total);
		fst_json_close(&j, '}');
	}
	fst_json_open(&j, "sessions", '[');
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		write_session(&j, r, NULL);
	fst_json_close(&j, ']');
	write_servers(&j, in);
	write_paths(&j, in);
	write_stats(&j, in);
	if (!in->ftp_stats->sessions)
		write_no_ftp(&j, in);
	fst_json_close(&j, '}');
	fputc('\n', out);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}

int report_write_jsonl(FILE *out, const struct fst_report_input *in)
{
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		struct fst_json j = fst_json_make(out, FST_JSON_COMPACT);

		write_session(&j, r, in->source);
		fputc('\n', out);
	}
	/* A last line says the sessions above are not all there were. */
	if (in->interrupted) {
		struct fst_json j = fst_json_make(out, FST_JSON_COMPACT);

		fst_json_open(&j, NULL, '{');
		fst_json_str(&j, "source", in->source);
		fst_json_open(&j, "interrupted", '{');
		fst_json_u64(&j, "bytes_read", in->bytes_read);
		fst_json_u64(&j, "bytes_total", in->bytes_total);
		fst_json_close(&j, '}');
		fst_json_close(&j, '}');
		fputc('\n', out);
	}
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
