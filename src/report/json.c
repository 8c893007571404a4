/* The JSON report (schema in docs/report-format.md). Strings from the
 * network are escaped: control bytes and bytes above 0x7e as \u00XX,
 * so the document is valid UTF-8 whatever the capture held. */
#include "internal.h"

#include <string.h>

#include "ftpstall/report.h"

struct json {
	FILE *out;
	int depth;
	bool need_comma;
	bool compact; /* one line: JSON Lines */
};

static void json_indent(struct json *j)
{
	static const char spaces[] = "\n                                ";
	size_t n = 1 + 2 * (size_t)j->depth;

	if (j->compact)
		return;
	/* Nesting is shallow; one write covers the newline and indent. */
	fwrite(spaces, 1, n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1, j->out);
}

/* Starts a member or element: comma, newline, indentation, key. */
static void json_key(struct json *j, const char *key)
{
	if (j->need_comma)
		fputc(',', j->out);
	json_indent(j);
	if (key) {
		fputc('"', j->out);
		fputs(key, j->out);
		fputs("\": ", j->out);
	}
	j->need_comma = true;
}

static void json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	fputc(bracket, j->out);
	j->depth++;
	j->need_comma = false;
}

static void json_close(struct json *j, char bracket)
{
	j->depth--;
	json_indent(j);
	fputc(bracket, j->out);
	j->need_comma = true;
}

void report_json_string(FILE *out, const char *s)
{
	const unsigned char *run = (const unsigned char *)s;

	fputc('"', out);
	for (const unsigned char *p = run; *p; p++) {
		if (*p >= 0x20 && *p <= 0x7e && *p != '"' && *p != '\\')
			continue;
		/* Runs of plain characters go out in one write. */
		fwrite(run, 1, (size_t)(p - run), out);
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else
			fprintf(out, "\\u%04x", *p);
		run = p + 1;
	}
	fputs((const char *)run, out);
	fputc('"', out);
}

static void json_str(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	if (value)
		report_json_string(j->out, value);
	else
		fputs("null", j->out);
}

static void json_u64(struct json *j, const char *key, uint64_t value)
{
	json_key(j, key);
	fprintf(j->out, "%llu", (unsigned long long)value);
}

static void json_int(struct json *j, const char *key, int value)
{
	json_key(j, key);
	fprintf(j->out, "%d", value);
}

static void json_bool(struct json *j, const char *key, bool value)
{
	json_key(j, key);
	fputs(value ? "true" : "false", j->out);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->out);
}

static void json_seconds(struct json *j, const char *key, double value)
{
	json_key(j, key);
	fprintf(j->out, "%.6f", value);
}

static void json_time(struct json *j, const char *key, int64_t ts_us)
{
	char buf[40];

	if (!ts_us) {
		json_null(j, key);
		return;
	}
	json_str(j, key, report_iso_time(ts_us, buf, sizeof(buf)));
}

static void json_endpoint(struct json *j, const char *key, const struct fst_addr *addr,
			  uint16_t port)
{
	char buf[64];

	json_str(j, key, fst_endpoint_format(addr, port, buf, sizeof(buf)));
}

static void write_commands(struct json *j, const struct fst_ftp_session *s)
{
	json_open(j, "commands", '[');
	for (size_t i = 0; i < s->command_count; i++) {
		const struct fst_ftp_command_rec *c = &s->commands[i];

		json_open(j, NULL, '{');
		json_str(j, "verb", report_verb_text(&c->cmd));
		json_str(j, "arg", c->cmd.arg);
		json_str(j, "family", fst_ftp_family_name(fst_ftp_verb_info(c->cmd.verb)->family));
		json_time(j, "time", c->ts_us);
		if (c->reply_code) {
			json_int(j, "reply_code", c->reply_code);
			json_str(j, "reply_text", fst_ftp_command_reply_text(s, c));
			json_seconds(j, "response_s", report_seconds(c->ts_us, c->reply_ts_us));
		} else {
			json_null(j, "reply_code");
		}
		if (c->preliminary_code)
			json_int(j, "preliminary_code", c->preliminary_code);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void write_replies(struct json *j, const struct fst_ftp_session *s)
{
	json_open(j, "replies", '[');
	for (size_t i = 0; i < s->reply_count; i++) {
		const struct fst_ftp_reply_rec *r = &s->replies[i];

		json_open(j, NULL, '{');
		json_int(j, "code", r->code);
		json_str(j, "text", r->text);
		json_u64(j, "lines", r->lines);
		json_time(j, "time", r->ts_us);
		json_bool(j, "unsolicited", r->unsolicited);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void write_transfers(struct json *j, const struct fst_ftp_session *s)
{
	json_open(j, "transfers", '[');
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		json_open(j, NULL, '{');
		json_str(j, "command", fst_ftp_verb_info(t->verb)->name);
		json_str(j, "file", t->file);
		json_str(j, "mode", fst_transfer_mode_name(t->mode));
		json_u64(j, "rest_offset", t->rest_offset);
		json_u64(j, "bytes", t->bytes);
		json_u64(j, "bytes_missing_from_capture", t->gap_bytes);
		if (t->announced_bytes >= 0)
			json_u64(j, "announced_bytes", (uint64_t)t->announced_bytes);
		else
			json_null(j, "announced_bytes");
		json_time(j, "start", t->start_us);
		json_time(j, "end", t->end_us);
		if (t->end_us > t->start_us)
			json_seconds(j, "throughput_Bps",
				     (double)t->bytes / report_seconds(t->start_us, t->end_us));
		else
			json_null(j, "throughput_Bps");
		json_str(j, "outcome", fst_transfer_outcome_name(t->outcome));
		if (t->reply_code)
			json_int(j, "reply_code", t->reply_code);
		json_bool(j, "data_connection_seen", t->data_seen);
		if (t->data_seen) {
			json_endpoint(j, "data_client", &t->data_client_addr, t->data_client_port);
			json_endpoint(j, "data_server", &t->data_server_addr, t->data_server_port);
		}
		json_str(j, "data_closed_by", fst_side_name(t->closed_by));
		json_bool(j, "nat_address", t->nat_address);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void write_gaps(struct json *j, const struct fst_session_result *r)
{
	json_open(j, "gaps", '[');
	for (size_t i = 0; i < r->gap_count; i++) {
		const struct fst_gap *g = &r->gaps[i];

		json_open(j, NULL, '{');
		json_str(j, "channel", g->channel == FST_CHANNEL_CONTROL ? "control" : "data");
		if (g->channel == FST_CHANNEL_DATA)
			json_u64(j, "transfer", g->transfer_id);
		json_time(j, "start", g->start_us);
		json_time(j, "end", g->end_us);
		json_seconds(j, "duration_s", report_seconds(g->start_us, g->end_us));
		json_str(j, "waiting_on", fst_wait_name(g->waiting_on));
		json_bool(j, "before_close", g->before_close);
		json_bool(j, "decisive", i == r->decisive_gap_index);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void write_close(struct json *j, const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;

	json_open(j, "close", '{');
	json_str(j, "by", fst_close_by_name(c->by));
	json_str(j, "how", c->by == FST_CLOSE_BY_NONE ? "none" : c->rst ? "rst" : "fin");
	if (c->by == FST_CLOSE_BY_NONE) {
		json_null(j, "time");
		json_null(j, "after_idle_s");
	} else {
		json_time(j, "time", c->ts_us);
		json_seconds(j, "after_idle_s", c->after_idle_s);
	}
	if (c->reply_code) {
		json_int(j, "reply_code", c->reply_code);
		json_str(j, "reply_text", c->reply_text);
	} else {
		json_null(j, "reply_code");
		json_null(j, "reply_text");
	}
	json_bool(j, "client_wrote_after_close", c->client_wrote_after_close);
	if (c->client_wrote_after_close) {
		json_time(j, "client_write_time", c->client_write_ts_us);
		json_str(j, "client_write_command",
			 c->client_write_command[0] ? c->client_write_command : NULL);
	}
	json_bool(j, "reset_after_write", c->reset_after_write);
	json_bool(j, "mid_transfer", c->mid_transfer);
	json_bool(j, "rst_ttl_mismatch", c->rst_ttl_mismatch);
	if (c->rst_ttl_mismatch) {
		json_int(j, "rst_ttl", c->rst_ttl);
		json_int(j, "sender_ttl", c->peer_ttl);
	}
	json_bool(j, "quit_sent", c->quit_seen);
	json_close(j, '}');
}

static void write_verdict(struct json *j, const struct fst_session_result *r)
{
	json_open(j, "verdict", '{');
	json_str(j, "kind", fst_verdict_name(r->verdict));
	json_str(j, "stalled_side", fst_stalled_side_name(r->stalled_side));
	json_str(j, "summary", r->summary);
	json_str(j, "recommendation", r->recommendation[0] ? r->recommendation : NULL);
	if (r->stated_timeout_s > 0)
		json_int(j, "stated_timeout_s", r->stated_timeout_s);
	else
		json_null(j, "stated_timeout_s");
	json_bool(j, "capture_loss", r->capture_loss);
	json_close(j, '}');
	if (r->recovered_by) {
		json_open(j, "reconnect", '{');
		json_u64(j, "session", r->recovered_by);
		json_seconds(j, "after_s", r->recovered_after_s);
		json_bool(j, "resumed", r->resumed);
		if (r->resumed) {
			json_str(j, "resumed_with", fst_ftp_verb_info(r->resume_verb)->name);
			json_u64(j, "offset", r->resume_offset);
		}
		json_bool(j, "truncated_reupload", r->truncated_reupload);
		json_close(j, '}');
	} else {
		json_null(j, "reconnect");
	}
}

/* One session object; source (JSON Lines only) names the capture. */
static void write_session(struct json *j, const struct fst_session_result *r, const char *source)
{
	const struct fst_ftp_session *s = r->session;

	json_open(j, NULL, '{');
	if (source)
		json_str(j, "source", source);
	json_u64(j, "id", s->id);
	json_endpoint(j, "client", &s->client_addr, s->client_port);
	json_endpoint(j, "server", &s->server_addr, s->server_port);
	json_str(j, "user", s->user_name[0] ? s->user_name : NULL);
	json_str(j, "server_software", s->software);
	json_str(j, "banner", s->banner[0] ? s->banner : NULL);
	json_str(j, "syst", s->syst[0] ? s->syst : NULL);
	json_str(j, "type", s->type[0] ? s->type : NULL);
	json_str(j, "cwd", s->cwd[0] ? s->cwd : NULL);
	json_str(j, "features", s->features[0] ? s->features : NULL);
	json_bool(j, "mid_stream", s->mid_stream);
	json_str(j, "detected_by", s->detected_by_greeting ? "greeting" : "port");
	json_bool(j, "encrypted", s->encrypted);
	json_str(j, "state", fst_ftp_state_name(s->state));
	json_time(j, "start", s->start_us);
	json_time(j, "end", s->end_us);
	write_commands(j, s);
	write_replies(j, s);
	write_transfers(j, s);
	write_gaps(j, r);
	write_close(j, r);
	write_verdict(j, r);
	json_open(j, "dropped", '{');
	json_u64(j, "commands", s->commands_dropped);
	json_u64(j, "replies", s->replies_dropped);
	json_u64(j, "transfers", s->transfers_dropped);
	json_u64(j, "gaps", r->gaps_dropped);
	json_close(j, '}');
	json_u64(j, "anomalies", s->anomalies);
	json_close(j, '}');
}

static void write_servers(struct json *j, const struct fst_report_input *in)
{
	char server[64];

	json_open(j, "servers", '[');
	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next) {
		json_open(j, NULL, '{');
		json_str(j, "server",
			 fst_endpoint_format(&e->addr, e->port, server, sizeof(server)));
		json_str(j, "software", e->software);
		if (e->observations) {
			json_seconds(j, "idle_timeout_estimate_s", e->idle_timeout_s);
			json_seconds(j, "idle_timeout_spread_s", e->spread_s);
		} else {
			json_null(j, "idle_timeout_estimate_s");
			json_null(j, "idle_timeout_spread_s");
		}
		json_u64(j, "observations", e->observations);
		json_seconds(j, "longest_survived_idle_s", e->longest_survived_s);
		if (e->data_observations)
			json_seconds(j, "data_timeout_estimate_s", e->data_timeout_s);
		else
			json_null(j, "data_timeout_estimate_s");
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void write_stats(struct json *j, const struct fst_report_input *in)
{
	const struct fst_capture_stats *c = in->capture;

	json_open(j, "stats", '{');
	json_u64(j, "packets", c->frames);
	json_u64(j, "bytes", c->frame_bytes);
	json_u64(j, "tcp_packets", c->tcp_packets);
	json_u64(j, "ip_fragments", c->ip_fragments);
	json_u64(j, "truncated_frames", c->truncated_frames);
	json_open(j, "malformed", '{');
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		if (c->malformed[r])
			json_u64(j, fst_decode_result_name((enum fst_decode_result)r),
				 c->malformed[r]);
	json_close(j, '}');
	json_u64(j, "timestamps_clamped", c->time_went_back);
	json_u64(j, "capture_gaps", in->tcp->gaps);
	json_u64(j, "capture_gap_bytes", in->tcp->gap_bytes);
	json_u64(j, "flows", in->tcp->flows_opened);
	json_u64(j, "evicted_flows", in->tcp->flows_evicted);
	json_u64(j, "retransmissions", in->tcp->retransmissions);
	json_u64(j, "ooo_limit_hits", in->tcp->ooo_limit_hits);
	json_u64(j, "ftp_sessions", in->ftp_stats->sessions);
	json_u64(j, "sessions_evicted", fst_analysis_sessions_evicted(in->analysis));
	json_u64(j, "data_connections", in->ftp_stats->data_connections);
	json_open(j, "anomalies", '{');
	for (int a = 0; a < FST_ANOMALY_COUNT; a++)
		if (in->ftp_stats->anomalies[a])
			json_u64(j, fst_ftp_anomaly_name((enum fst_ftp_anomaly)a),
				 in->ftp_stats->anomalies[a]);
	json_close(j, '}');
	json_open(j, "capture_warnings", '[');
	for (const char *w = in->capture_warnings ? in->capture_warnings : ""; *w;) {
		const char *end = strchr(w, '\n');
		size_t len = end ? (size_t)(end - w) : strlen(w);
		char line[FST_ERRBUF_SIZE];

		snprintf(line, sizeof(line), "%.*s", (int)len, w);
		json_str(j, NULL, line);
		w += len + (end ? 1 : 0);
	}
	json_close(j, ']');
	if (in->live) {
		json_u64(j, "kernel_dropped", c->kernel_dropped);
		json_u64(j, "interface_dropped", c->interface_dropped);
	}
	json_close(j, '}');
}

int report_write_json(FILE *out, const struct fst_report_input *in)
{
	struct json j = { .out = out };

	fputc('{', out);
	j.depth = 1;
	json_str(&j, "version", in->version);
	json_str(&j, "source", in->source);
	json_open(&j, "sessions", '[');
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		write_session(&j, r, NULL);
	json_close(&j, ']');
	write_servers(&j, in);
	write_stats(&j, in);
	fputs("\n}\n", out);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}

int report_write_jsonl(FILE *out, const struct fst_report_input *in)
{
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		struct json j = { .out = out, .compact = true };

		write_session(&j, r, in->source);
		fputc('\n', out);
	}
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
