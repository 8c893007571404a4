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

/* A cut text gets "<key>": true after it, as in the report. */
static void json_cut(struct fst_json *j, const char *key, bool truncated)
{
	if (truncated)
		fst_json_bool(j, key, true);
}

static void json_details(struct fst_json *j, const struct fst_stream_line *l)
{
	const struct fst_session_result *r = l->result;
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	char buf[64], words[FST_WORDS_MAX];

	switch (l->event) {
	case FST_STREAM_OPEN:
		fst_json_str(j, "client",
			     fst_endpoint_format(&s->client_addr, s->client_port, buf,
						 sizeof(buf)));
		fst_json_str(j, "server",
			     fst_endpoint_format(&s->server_addr, s->server_port, buf,
						 sizeof(buf)));
		fst_json_bool(j, "mid_stream", s->mid_stream);
		break;
	case FST_STREAM_COMMAND:
		fst_json_str(j, "verb", report_verb_text(&l->command->cmd));
		fst_json_str(j, "arg", l->command->cmd.arg);
		json_cut(j, "arg_truncated", l->command->cmd.arg_truncated);
		break;
	case FST_STREAM_REPLY:
		fst_json_int(j, "code", l->reply->code);
		fst_json_str(j, "text", l->reply->text);
		json_cut(j, "truncated", l->reply->text_truncated);
		break;
	case FST_STREAM_IDLE:
		fst_json_fixed(j, "idle_s", l->idle_s, 3);
		fst_json_str(j, "waiting_on", fst_wait_name(l->waiting_on));
		break;
	case FST_STREAM_CLOSE:
		fst_json_str(j, "by", fst_close_by_name(c->by));
		fst_json_str(j, "how", c->rst ? "rst" : "fin");
		fst_json_seconds(j, "after_idle_s", c->after_idle_s);
		if (c->reply_code) {
			fst_json_int(j, "reply_code", c->reply_code);
			fst_json_str(j, "reply_text", c->reply_text);
			json_cut(j, "reply_text_truncated", c->reply_text_truncated);
		}
		break;
	case FST_STREAM_VERDICT:
		fst_json_str(j, "kind", fst_verdict_name(r->verdict));
		fst_json_bool(j, "final", r->verdict_state == FST_VERDICT_FINAL);
		fst_json_str(j, "stalled_side", fst_stalled_side_name(r->stalled_side));
		fst_words_summary(r, words, sizeof(words));
		fst_json_str(j, "summary", words);
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
		struct fst_json j = fst_json_make(out, FST_JSON_TIGHT);

		fst_json_open(&j, NULL, '{');
		fst_json_str(&j, "time", when);
		fst_json_u64(&j, "session", l->result->session->id);
		fst_json_str(&j, "event", event_names[l->event]);
		json_details(&j, l);
		fst_json_close(&j, '}');
		fputc('\n', out);
	} else {
		fprintf(out, "%s session %llu %s", when, (unsigned long long)l->result->session->id,
			event_names[l->event]);
		text_details(out, l);
		fputc('\n', out);
	}
	fflush(out);
}
