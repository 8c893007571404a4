/* The live event stream of `watch --no-tui`: one line per event, text
 * or JSON Lines, flushed at once so pipes and log shippers see it. */
#include "internal.h"

#include "ftpstall/json.h"

static const char *const event_names[] = {
	[FST_STREAM_OPEN] = "open",   [FST_STREAM_COMMAND] = "command",
	[FST_STREAM_REPLY] = "reply", [FST_STREAM_IDLE] = "idle",
	[FST_STREAM_CLOSE] = "close", [FST_STREAM_VERDICT] = "verdict",
};
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == FST_STREAM_EVENT_COUNT,
	       "a name for every stream event");

static void text_details(FILE *out, const struct fst_stream_line *l)
{
	const struct fst_session_result *r = l->result;
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	char client[64], server[64], words[FST_WORDS_MAX];

	switch (l->event) {
	case FST_STREAM_OPEN:
		fprintf(out, " %s -> %s%s",
			fst_endpoint_format(&s->client_addr, s->client_port, client,
					    sizeof(client)),
			fst_endpoint_format(&s->server_addr, s->server_port, server,
					    sizeof(server)),
			s->mid_stream ? " (mid-session)" : "");
		break;
	case FST_STREAM_COMMAND:
		fprintf(out, " %s%s%s%s", report_verb_text(&l->command->cmd),
			l->command->cmd.arg[0] ? " " : "", l->command->cmd.arg,
			report_cut(l->command->cmd.arg_truncated));
		break;
	case FST_STREAM_REPLY:
		fprintf(out, " %d %s%s", l->reply->code, l->reply->text,
			report_cut(l->reply->text_truncated));
		break;
	case FST_STREAM_IDLE:
		fprintf(out, " %.1f s waiting on %s", l->idle_s, fst_wait_name(l->waiting_on));
		break;
	case FST_STREAM_CLOSE:
		fprintf(out, " by %s %s after %.1f s idle", fst_close_by_name(c->by),
			c->rst ? "rst" : "fin", c->after_idle_s);
		if (c->reply_code)
			fprintf(out, " (%d %s%s)", c->reply_code, c->reply_text,
				report_cut(c->reply_text_truncated));
		break;
	case FST_STREAM_VERDICT:
		fst_words_summary(r, words, sizeof(words));
		fprintf(out, " %s%s stalled=%s: %s", fst_verdict_name(r->verdict),
			r->verdict_state == FST_VERDICT_FINAL ? "" : " (provisional)",
			fst_stalled_side_name(r->stalled_side), words);
		break;
	case FST_STREAM_EVENT_COUNT:
		break;
	}
}

static void json_member(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":", key);
	fst_json_string(out, value);
}

static void json_details(FILE *out, const struct fst_stream_line *l)
{
	const struct fst_session_result *r = l->result;
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	char buf[64], words[FST_WORDS_MAX];

	switch (l->event) {
	case FST_STREAM_OPEN:
		json_member(out, "client",
			    fst_endpoint_format(&s->client_addr, s->client_port, buf, sizeof(buf)));
		json_member(out, "server",
			    fst_endpoint_format(&s->server_addr, s->server_port, buf, sizeof(buf)));
		fprintf(out, ",\"mid_stream\":%s", s->mid_stream ? "true" : "false");
		break;
	case FST_STREAM_COMMAND:
		json_member(out, "verb", report_verb_text(&l->command->cmd));
		json_member(out, "arg", l->command->cmd.arg);
		if (l->command->cmd.arg_truncated)
			fputs(",\"arg_truncated\":true", out);
		break;
	case FST_STREAM_REPLY:
		fprintf(out, ",\"code\":%d", l->reply->code);
		json_member(out, "text", l->reply->text);
		if (l->reply->text_truncated)
			fputs(",\"truncated\":true", out);
		break;
	case FST_STREAM_IDLE:
		fprintf(out, ",\"idle_s\":%.3f", l->idle_s);
		json_member(out, "waiting_on", fst_wait_name(l->waiting_on));
		break;
	case FST_STREAM_CLOSE:
		json_member(out, "by", fst_close_by_name(c->by));
		json_member(out, "how", c->rst ? "rst" : "fin");
		fprintf(out, ",\"after_idle_s\":%.6f", c->after_idle_s);
		if (c->reply_code) {
			fprintf(out, ",\"reply_code\":%d", c->reply_code);
			json_member(out, "reply_text", c->reply_text);
			if (c->reply_text_truncated)
				fputs(",\"reply_text_truncated\":true", out);
		}
		break;
	case FST_STREAM_VERDICT:
		json_member(out, "kind", fst_verdict_name(r->verdict));
		fprintf(out, ",\"final\":%s",
			r->verdict_state == FST_VERDICT_FINAL ? "true" : "false");
		json_member(out, "stalled_side", fst_stalled_side_name(r->stalled_side));
		fst_words_summary(r, words, sizeof(words));
		json_member(out, "summary", words);
		break;
	case FST_STREAM_EVENT_COUNT:
		break;
	}
}

void fst_report_stream_line(FILE *out, bool jsonl, const struct fst_stream_line *l)
{
	char when[40];

	fst_time_format_iso(l->ts_us, when, sizeof(when));
	if (jsonl) {
		fprintf(out, "{\"time\":\"%s\",\"session\":%llu,\"event\":\"%s\"", when,
			(unsigned long long)l->result->session->id, event_names[l->event]);
		json_details(out, l);
		fputs("}\n", out);
	} else {
		fprintf(out, "%s session %llu %s", when, (unsigned long long)l->result->session->id,
			event_names[l->event]);
		text_details(out, l);
		fputc('\n', out);
	}
	fflush(out);
}
