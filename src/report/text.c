/* The text report: one block per session with its timeline, then the
 * capture statistics. Network text is already free of control bytes
 * (fst_ftp_copy_text). */
#include "internal.h"

#include <string.h>
#include <time.h>

static const char *const format_names[] = {
	[FST_REPORT_TEXT] = "text",
	[FST_REPORT_JSON] = "json",
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
	case FST_REPORT_JSON:
	case FST_REPORT_FORMAT_COUNT:
		break;
	}
	return report_write_json(out, in);
}

char *report_iso_time(int64_t ts_us, char *buf, size_t size)
{
	char plain[40];

	fst_time_format(ts_us, plain, sizeof(plain));
	if (strlen(plain) == 26) {
		plain[10] = 'T';
		snprintf(buf, size, "%sZ", plain);
	} else {
		snprintf(buf, size, "%s", plain);
	}
	return buf;
}

double report_seconds(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1e6;
}

const char *report_verb_text(const struct fst_ftp_command *cmd)
{
	return cmd->verb_text[0] ? cmd->verb_text : fst_ftp_verb_info(cmd->verb)->name;
}

/* One timeline entry: a command, a reply or a transfer, by time. */
static void print_timeline(FILE *out, const struct fst_ftp_session *s)
{
	size_t c = 0, r = 0;

	while (c < s->command_count || r < s->reply_count) {
		bool command = r >= s->reply_count ||
			       (c < s->command_count && s->commands[c].ts_us <= s->replies[r].ts_us);
		int64_t ts = command ? s->commands[c].ts_us : s->replies[r].ts_us;

		fprintf(out, "  +%10.6f  ", report_seconds(s->start_us, ts));
		if (command) {
			const struct fst_ftp_command_rec *rec = &s->commands[c++];

			fprintf(out, "client  %s%s%s\n", report_verb_text(&rec->cmd),
				rec->cmd.arg[0] ? " " : "", rec->cmd.arg);
		} else {
			const struct fst_ftp_reply_rec *rec = &s->replies[r++];

			fprintf(out, "server  %d %s\n", rec->code, rec->text);
		}
	}
}

static void print_transfers(FILE *out, const struct fst_ftp_session *s)
{
	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		double secs = t->start_us ? report_seconds(t->start_us, t->end_us) : 0;

		fprintf(out, "  transfer %llu: %s %s (%s), %llu bytes in %.3f s, %s",
			(unsigned long long)t->id, fst_ftp_verb_info(t->verb)->name, t->file,
			fst_transfer_mode_name(t->mode), (unsigned long long)t->bytes, secs,
			fst_transfer_outcome_name(t->outcome));
		if (t->reply_code)
			fprintf(out, " (%d)", t->reply_code);
		if (t->has_rest)
			fprintf(out, ", resumed at offset %llu", (unsigned long long)t->rest_offset);
		if (t->gap_bytes)
			fprintf(out, ", %llu bytes missing from the capture",
				(unsigned long long)t->gap_bytes);
		fputc('\n', out);
	}
}

static void print_session(FILE *out, const struct fst_ftp_session *s)
{
	char client[64], server[64], when[40];

	fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client));
	fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server));
	fprintf(out, "session %llu: %s -> %s", (unsigned long long)s->id, client, server);
	if (s->user_name[0])
		fprintf(out, ", user %s", s->user_name);
	if (s->software)
		fprintf(out, ", %s", s->software);
	if (s->mid_stream)
		fprintf(out, " (capture began mid-session)");
	if (s->encrypted)
		fprintf(out, " (encrypted after AUTH)");
	fprintf(out, "\n  start %s UTC, state %s\n",
		fst_time_format(s->start_us, when, sizeof(when)), fst_ftp_state_name(s->state));
	print_timeline(out, s);
	print_transfers(out, s);
	fputc('\n', out);
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
	for (int a = 0; a < FST_ANOMALY_COUNT; a++)
		if (in->ftp_stats->anomalies[a])
			fprintf(out, "  ftp anomaly %s: %llu\n",
				fst_ftp_anomaly_name((enum fst_ftp_anomaly)a),
				(unsigned long long)in->ftp_stats->anomalies[a]);
}

int report_write_text(FILE *out, const struct fst_report_input *in)
{
	for (struct fst_ftp_session *s = fst_ftp_sessions(in->ftp); s; s = fst_ftp_session_next(s))
		print_session(out, s);
	print_stats(out, in);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
