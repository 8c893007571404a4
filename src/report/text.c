/* The text report: one block per session with its timeline, then the
 * capture statistics. Network text is already free of control bytes
 * (fst_ftp_copy_text). */
#include "internal.h"

#include <string.h>
#include <stdlib.h>
#include <time.h>

static const char *const format_names[] = {
	[FST_REPORT_TEXT] = "text", [FST_REPORT_JSON] = "json", [FST_REPORT_JSONL] = "jsonl",
	[FST_REPORT_MD] = "md",	    [FST_REPORT_HTML] = "html",
};
_Static_assert(sizeof(format_names) / sizeof(format_names[0]) == FST_REPORT_FORMAT_COUNT,
	       "a name for every format");

bool fst_report_format_parse(const char *name, enum fst_report_format *out)
{
	for (int f = 0; f < FST_REPORT_FORMAT_COUNT; f++)
		if (strcmp(name, format_names[f]) == 0) {
			*out = (enum fst_report_format)f;
			return true;
		}
	return false;
}

int fst_report_write(FILE *out, enum fst_report_format format, const struct fst_report_input *in)
{
	switch (format) {
	case FST_REPORT_TEXT:
		return report_write_text(out, in);
	case FST_REPORT_JSONL:
		return report_write_jsonl(out, in);
	case FST_REPORT_MD:
		return report_write_md(out, in);
	case FST_REPORT_HTML:
		return report_write_html(out, in);
	case FST_REPORT_JSON:
	case FST_REPORT_FORMAT_COUNT:
		break;
	}
	return report_write_json(out, in);
}

void fst_report_interrupted_words(const struct fst_report_input *in, char *buf, size_t size)
{
	if (in->bytes_total)
		snprintf(buf, size, "interrupted after %llu of %llu bytes",
			 (unsigned long long)in->bytes_read, (unsigned long long)in->bytes_total);
	else
		snprintf(buf, size, "interrupted after %llu bytes",
			 (unsigned long long)in->bytes_read);
}

double report_seconds(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

const char *report_cut(bool truncated)
{
	return truncated ? "...(cut)" : "";
}

const char *report_verb_text(const struct fst_ftp_recorded_command *cmd)
{
	return cmd->verb_text[0] ? cmd->verb_text : fst_ftp_verb_info(cmd->verb)->name;
}

/* ANSI colour for verdicts, only when the caller asked for it. */
static const char *color_on(const struct fst_report_input *in, enum fst_verdict v)
{
	if (!in->color)
		return "";
	return fst_verdict_is_incident(v) ? "\033[1;31m" : "\033[32m";
}

static const char *color_off(const struct fst_report_input *in)
{
	return in->color ? "\033[0m" : "";
}

const struct fst_ftp_reply_rec *report_reply_at(const struct fst_ftp_session *s, int64_t ts_us)
{
	for (size_t i = s->reply_count; i-- > 0;)
		if (s->replies[i].ts_us == ts_us)
			return &s->replies[i];
	return NULL;
}

const struct fst_server_estimate *report_estimate_for(const struct fst_report_input *in,
						      const struct fst_ftp_session *s)
{
	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next)
		if (fst_addr_equal(&e->addr, &s->server_addr) && e->port == s->server_port)
			return e;
	return NULL;
}

/* The plain-words account of an idle timeout: how long the client was
 * idle, what the server said and did, what the client did next, and
 * what the server's timeout is. */
static void explain_idle_timeout(FILE *out, const struct fst_report_input *in,
				 const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;
	const struct fst_ftp_session *s = r->session;
	const struct fst_ftp_reply_rec *before = report_reply_at(s, c->idle_since_us);
	const struct fst_server_estimate *e = report_estimate_for(in, s);
	int64_t fired = c->reply_code ? c->reply_ts_us : c->ts_us;

	fprintf(out, "  The client was idle for %.1f s", report_seconds(c->idle_since_us, fired));
	if (before)
		fprintf(out, " after \"%d %s%s\"", before->code, before->text,
			report_cut(before->text_truncated));
	fprintf(out, ".\n");
	if (c->reply_code && c->by == FST_CLOSE_BY_CLIENT)
		fprintf(out,
			"  The server sent \"%d %s%s\" after %.1f s of idle; the client then closed the connection (%s).\n",
			c->reply_code, c->reply_text, report_cut(c->reply_text_truncated),
			report_seconds(c->idle_since_us, fired), c->rst ? "reset" : "FIN");
	else if (c->reply_code)
		fprintf(out,
			"  The server sent \"%d %s%s\" and closed the connection (%s) after %.1f s of idle.\n",
			c->reply_code, c->reply_text, report_cut(c->reply_text_truncated),
			c->rst ? "reset" : "FIN", c->after_idle_s);
	else
		fprintf(out,
			"  The server closed the connection (%s) without a reply after %.1f s of idle.\n",
			c->rst ? "reset" : "FIN", c->after_idle_s);
	if (c->client_wrote_after_close) {
		fprintf(out, "  %.1f s later the client wrote%s%s into the closed connection",
			report_seconds(c->ts_us, c->client_write_ts_us),
			c->client_write_command[0] ? " " : "", c->client_write_command);
		if (c->reset_after_write)
			fprintf(out, " and was reset by the server");
		fprintf(out, "; a client that reports only its failed write (like duplicity's "
			     "BackendException) hides this.\n");
	}
	if (e && e->observations) {
		fprintf(out, "  The server's idle timeout is about %.0f s (%u observation%s",
			e->idle_timeout_s, e->observations, e->observations == 1 ? "" : "s");
		if (r->profile)
			fprintf(out, "; %s %s", r->profile->software, r->profile->idle_knob);
		fprintf(out, ").\n");
	}
	if (r->stated_timeout_s > 0)
		fprintf(out, "  The server's reply states %d s; the observed idle was %.1f s.\n",
			r->stated_timeout_s, report_seconds(c->idle_since_us, fired));
}

static void print_timeline_line(void *out, const char *line)
{
	fprintf(out, "    %s\n", line);
}

static void print_gap(FILE *out, const char *label, const struct fst_ftp_session *s,
		      const struct fst_gap *g)
{
	fprintf(out, "  %s: %s", label, g->channel == FST_CHANNEL_CONTROL ? "control" : "data");
	if (g->channel == FST_CHANNEL_DATA)
		fprintf(out, " (transfer %llu)", (unsigned long long)g->transfer_id);
	fprintf(out, " idle %.3f s from +%.6f to +%.6f, waiting on %s\n",
		report_seconds(g->start_us, g->end_us), report_seconds(s->start_us, g->start_us),
		report_seconds(s->start_us, g->end_us), fst_wait_name(g->waiting_on));
}

static void print_close(FILE *out, const struct fst_session_result *r)
{
	const struct fst_close_info *c = &r->close;
	const struct fst_ftp_session *s = r->session;

	if (c->by == FST_CLOSE_BY_NONE) {
		fprintf(out, "  close: none (still open when the capture ended)\n");
		return;
	}
	fprintf(out, "  close: by %s with %s at +%.6f, %.3f s after the last activity",
		fst_close_by_name(c->by), c->rst ? "RST" : "FIN",
		report_seconds(s->start_us, c->ts_us), c->after_idle_s);
	if (c->reply_code)
		fprintf(out, ", announced by \"%d %s%s\"", c->reply_code, c->reply_text,
			report_cut(c->reply_text_truncated));
	if (c->mid_transfer)
		fprintf(out, ", during a transfer");
	if (c->rst_ttl_mismatch)
		fprintf(out, ", reset TTL %u differs from the sender's %u", c->rst_ttl,
			c->peer_ttl);
	fputc('\n', out);
}

static void print_reconnect(FILE *out, const struct fst_session_result *r)
{
	if (!r->recovered_by)
		return;
	/* Probable: the same host again, nothing shows it carried on. */
	fprintf(out,
		r->recovered_probable ?
			"  probably recovered by session %llu, reconnected %.1f s later" :
			"  recovered: session %llu reconnected %.1f s later",
		(unsigned long long)r->recovered_by, r->recovered_after_s);
	if (r->resumed)
		fprintf(out, ", resumed at offset %llu with %s",
			(unsigned long long)r->resume_offset,
			fst_ftp_verb_info(r->resume_verb)->name);
	fputc('\n', out);
	if (r->truncated_reupload)
		fprintf(out,
			"  warning: the file was sent again from the start or with fewer bytes than the failed attempt; the server may hold a truncated file\n");
}

static void print_transfers(FILE *out, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		double secs = t->start_us ? report_seconds(t->start_us, t->end_us) : 0;

		fprintf(out, "  transfer %llu: %s%s%s%s (%s), %llu bytes in %.3f s, %s",
			(unsigned long long)t->id, fst_ftp_verb_info(t->verb)->name,
			t->file[0] ? " " : "", t->file, report_cut(t->file_truncated),
			fst_transfer_mode_name(t->mode), (unsigned long long)t->bytes, secs,
			fst_transfer_outcome_name(t->outcome));
		if (t->reply_code)
			fprintf(out, " (%d)", t->reply_code);
		if (t->has_rest)
			fprintf(out, ", resumed at offset %llu",
				(unsigned long long)t->rest_offset);
		if (t->gap_bytes)
			fprintf(out, ", %llu bytes missing from the capture",
				(unsigned long long)t->gap_bytes);
		fputc('\n', out);
	}
}

static void print_incident(FILE *out, const struct fst_report_input *in,
			   const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64], when[40], words[FST_WORDS_MAX];

	fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client));
	fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server));
	fprintf(out, "session %llu: %s%s%s (stalled: %s) %s -> %s", (unsigned long long)s->id,
		color_on(in, r->verdict), fst_verdict_name(r->verdict), color_off(in),
		fst_stalled_side_name(r->stalled_side), client, server);
	if (s->software)
		fprintf(out, ", %s", s->software);
	if (s->user_name[0])
		fprintf(out, ", user %s%s", s->user_name, report_cut(s->user_name_truncated));
	fprintf(out, "\n  started %s UTC%s%s\n", fst_time_format(s->start_us, when, sizeof(when)),
		s->mid_stream ? ", capture began mid-session" : "",
		s->encrypted ? ", encrypted after AUTH" : "");
	if (r->verdict == FST_VERDICT_IDLE_TIMEOUT)
		explain_idle_timeout(out, in, r);
	else if (fst_words_summary(r, words, sizeof(words)))
		fprintf(out, "  %s\n", words);
	if (fst_words_recommendation(r, words, sizeof(words)))
		fprintf(out, "  What to change: %s\n", words);
	if (fst_session_decisive_gap(r))
		print_gap(out, "decisive gap", s, fst_session_decisive_gap(r));
	print_close(out, r);
	print_reconnect(out, r);
	fprintf(out, "  timeline (UTC, seconds from session start):\n");
	report_timeline(r, print_timeline_line, out);
	print_transfers(out, s);
	for (size_t i = 0; i < r->gap_count; i++)
		if (i != r->decisive_gap_index)
			print_gap(out, "gap", s, &r->gaps[i]);
	if (r->capture_loss)
		fprintf(out, "  note: the capture lost bytes of this session\n");
	fputc('\n', out);
}

static void print_servers(FILE *out, const struct fst_report_input *in)
{
	char server[64];

	for (const struct fst_server_estimate *e = fst_analysis_servers(in->analysis); e;
	     e = e->next) {
		fprintf(out, "server %s%s%s: ",
			fst_endpoint_format(&e->addr, e->port, server, sizeof(server)),
			e->software ? " " : "", e->software ? e->software : "");
		if (e->observations)
			fprintf(out, "idle timeout about %.1f s (%u observation%s, spread %.1f s)",
				e->idle_timeout_s, e->observations, e->observations == 1 ? "" : "s",
				e->spread_s);
		else
			fprintf(out, "no idle timeout observed");
		if (e->longest_survived_s > 0)
			fprintf(out, "; tolerated a client idle of %.1f s", e->longest_survived_s);
		if (e->data_observations)
			fprintf(out, "; data timeout about %.1f s", e->data_timeout_s);
		fputc('\n', out);
	}
}

static void print_stats(FILE *out, const struct fst_report_input *in)
{
	const struct fst_capture_stats *cs = in->capture;
	const struct fst_tcp_stats *ts = in->tcp;
	uint64_t malformed = 0;

	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		malformed += cs->malformed[r];
	fprintf(out, "capture: %s\n", in->source);
	fprintf(out,
		"  frames %llu (%llu TCP, %llu not IP, %llu not TCP, %llu IP fragments, "
		"%llu malformed, %llu cut by snaplen)\n",
		(unsigned long long)cs->frames, (unsigned long long)cs->tcp_packets,
		(unsigned long long)cs->skipped_not_ip, (unsigned long long)cs->skipped_not_tcp,
		(unsigned long long)cs->ip_fragments, (unsigned long long)malformed,
		(unsigned long long)cs->truncated_frames);
	for (int r = 0; r < FST_DECODE_RESULT_COUNT; r++)
		if (cs->malformed[r])
			fprintf(out, "  malformed %s: %llu\n",
				fst_decode_result_name((enum fst_decode_result)r),
				(unsigned long long)cs->malformed[r]);
	if (cs->time_went_back)
		fprintf(out, "  timestamps that went backwards (clamped): %llu\n",
			(unsigned long long)cs->time_went_back);
	if (in->live)
		fprintf(out, "  kernel: %llu received, %llu dropped, %llu dropped by interface\n",
			(unsigned long long)cs->kernel_received,
			(unsigned long long)cs->kernel_dropped,
			(unsigned long long)cs->interface_dropped);
	fprintf(out,
		"  tcp flows %llu (%llu evicted), capture gaps %llu (%llu B), retransmissions %llu\n",
		(unsigned long long)ts->flows_opened, (unsigned long long)ts->flows_evicted,
		(unsigned long long)ts->gaps, (unsigned long long)ts->gap_bytes,
		(unsigned long long)ts->retransmissions);
	fprintf(out, "  ftp sessions %llu, data connections %llu\n",
		(unsigned long long)in->ftp_stats->sessions,
		(unsigned long long)in->ftp_stats->data_connections);
	if (fst_analysis_sessions_evicted(in->analysis))
		fprintf(out,
			"  oldest ended sessions left out of this report (--max-sessions): %llu\n",
			(unsigned long long)fst_analysis_sessions_evicted(in->analysis));
	if (ts->flows_closed[FST_TCP_CLOSE_TABLE_FULL])
		fprintf(out,
			"  flows evicted because the flow table was full (--max-flows): %llu\n",
			(unsigned long long)ts->flows_closed[FST_TCP_CLOSE_TABLE_FULL]);
	if (ts->ooo_limit_hits)
		fprintf(out, "  holes given up at the out-of-order buffer cap: %llu\n",
			(unsigned long long)ts->ooo_limit_hits);
	for (int a = 0; a < FST_ANOMALY_COUNT; a++)
		if (in->ftp_stats->anomalies[a])
			fprintf(out, "  ftp anomaly %s: %llu\n",
				fst_ftp_anomaly_name((enum fst_ftp_anomaly)a),
				(unsigned long long)in->ftp_stats->anomalies[a]);
}

int report_write_text(FILE *out, const struct fst_report_input *in)
{
	unsigned counts[FST_VERDICT_COUNT] = { 0 };
	unsigned sessions = 0, incidents = 0;
	bool first = true;

	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		sessions++;
		counts[r->verdict]++;
		if (fst_verdict_is_incident(r->verdict))
			incidents++;
	}
	if (in->interrupted) {
		char words[128];

		fst_report_interrupted_words(in, words, sizeof(words));
		fprintf(out, "INCOMPLETE: %s; later packets are not in this report\n", words);
	}
	fprintf(out, "ftpstall: %u FTP session%s, %u incident%s in %s\n\n", sessions,
		sessions == 1 ? "" : "s", incidents, incidents == 1 ? "" : "s", in->source);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		if (fst_verdict_is_incident(r->verdict))
			print_incident(out, in, r);
	if (sessions > incidents) {
		fprintf(out, "other sessions:");
		for (int v = 0; v < FST_VERDICT_COUNT; v++)
			if (counts[v] && !fst_verdict_is_incident((enum fst_verdict)v)) {
				fprintf(out, "%s %u %s", first ? "" : ",", counts[v],
					fst_verdict_name((enum fst_verdict)v));
				first = false;
			}
		fputc('\n', out);
		for (struct fst_session_result *r = fst_analysis_results(in->analysis); r;
		     r = r->next) {
			char client[64], server[64];
			const struct fst_ftp_session *s = r->session;

			if (fst_verdict_is_incident(r->verdict))
				continue;
			fprintf(out,
				"  session %llu: %s %s -> %s, %zu commands, %zu transfers%s%s\n",
				(unsigned long long)s->id, fst_verdict_name(r->verdict),
				fst_endpoint_format(&s->client_addr, s->client_port, client,
						    sizeof(client)),
				fst_endpoint_format(&s->server_addr, s->server_port, server,
						    sizeof(server)),
				s->command_count, s->transfer_count,
				r->capture_loss ?
					"; the capture lost bytes of it (no side blamed)" :
					"",
				s->mid_stream ? "; capture began mid-session" : "");
		}
		fputc('\n', out);
	}
	print_servers(out, in);
	print_stats(out, in);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
