/* The ECS log (docs/fleet.md): one JSON document per session, a line
 * each (NDJSON), named by the Elastic Common Schema so that Filebeat,
 * Vector or Fluent Bit ship it into Elasticsearch or OpenSearch as it
 * is. ftpstall's own findings go under "ftpstall". Every field written
 * here has a mapping in docs/fleet-index-template.json; a test holds the
 * two together. */
#include "internal.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "ftpstall/json.h"

/* The ECS version whose field names these are. */
#define ECS_VERSION "8.11.0"
/* IANA protocol number of TCP, for the Community ID. */
#define IPPROTO_NUMBER_TCP 6

static const char *const verdict_state_names[] = {
	[FST_VERDICT_PENDING] = "pending",
	[FST_VERDICT_PROVISIONAL] = "provisional",
	[FST_VERDICT_FINAL] = "final",
};

char *report_addr_text(const struct fst_addr *addr, char *buf, size_t size)
{
	if (!inet_ntop(addr->family == 4 ? AF_INET : AF_INET6, addr->bytes, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

const char *report_close_mechanism(const struct fst_close_info *c)
{
	if (c->by == FST_CLOSE_BY_NONE)
		return "none";
	if (c->dropped)
		return "drop";
	return c->rst ? "rst" : "fin";
}

int64_t report_session_end_us(const struct fst_ftp_session *s)
{
	return s->end_us ? s->end_us : s->last_us;
}

static void ecs_endpoint(struct fst_json *j, const char *key, const struct fst_addr *addr,
			 uint16_t port, uint64_t bytes, uint64_t packets)
{
	char ip[64];

	fst_json_open(j, key, '{');
	fst_json_str(j, "ip", report_addr_text(addr, ip, sizeof(ip)));
	fst_json_u64(j, "port", port);
	fst_json_u64(j, "bytes", bytes);
	fst_json_u64(j, "packets", packets);
	fst_json_close(j, '}');
}

static void ecs_event(struct fst_json *j, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	int64_t end_us = report_session_end_us(s);
	bool incident = fst_verdict_is_incident(r->verdict);

	fst_json_open(j, "event", '{');
	fst_json_str(j, "kind", incident ? "alert" : "event");
	fst_json_open(j, "category", '[');
	fst_json_str(j, NULL, "network");
	fst_json_close(j, ']');
	fst_json_open(j, "type", '[');
	fst_json_str(j, NULL, "connection");
	fst_json_str(j, NULL, r->verdict_state == FST_VERDICT_PENDING ? "info" : "end");
	if (incident)
		fst_json_str(j, NULL, "error");
	fst_json_close(j, ']');
	fst_json_str(j, "action", "ftp-session");
	fst_json_str(j, "dataset", "ftpstall.session");
	fst_json_str(j, "module", "ftpstall");
	fst_json_time(j, "start", s->start_us);
	fst_json_time(j, "end", end_us);
	fst_json_u64(j, "duration",
		     end_us > s->start_us ? (uint64_t)(end_us - s->start_us) * 1000 : 0);
	fst_json_str(j, "outcome",
		     incident			     ? "failure" :
		     r->verdict == FST_VERDICT_CLEAN ? "success" :
						       "unknown");
	fst_json_close(j, '}');
}

static void ecs_network(struct fst_json *j, const struct fst_ftp_session *s,
			const struct fst_ftp_conn_counts *n)
{
	char id[FST_COMMUNITY_ID_SIZE];

	fst_json_open(j, "network", '{');
	fst_json_str(j, "transport", "tcp");
	fst_json_str(j, "iana_number", "6");
	fst_json_str(j, "protocol", "ftp");
	fst_json_str(j, "type", s->client_addr.family == 4 ? "ipv4" : "ipv6");
	if (fst_community_id(&s->client_addr, s->client_port, &s->server_addr, s->server_port,
			     IPPROTO_NUMBER_TCP, 0, id, sizeof(id)))
		fst_json_str(j, "community_id", id);
	fst_json_u64(j, "bytes", n->bytes[FST_DIR_CLIENT] + n->bytes[FST_DIR_SERVER]);
	fst_json_u64(j, "packets", n->packets[FST_DIR_CLIENT] + n->packets[FST_DIR_SERVER]);
	fst_json_close(j, '}');
}

/* One entry per transfer that names a file: ECS's file object, as an
 * array (Elasticsearch indexes each member's fields alike). */
static void ecs_files(struct fst_json *j, const struct fst_ftp_session *s)
{
	bool any = false;

	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];

		if (!t->file || !t->file[0])
			continue;
		if (!any)
			fst_json_open(j, "file", '[');
		any = true;
		fst_json_open(j, NULL, '{');
		fst_json_str(j, "name", t->file);
		fst_json_u64(j, "size", t->bytes);
		fst_json_close(j, '}');
	}
	if (any)
		fst_json_close(j, ']');
}

static void ecs_observer(struct fst_json *j, const struct fst_report_input *in)
{
	char host[256];

	fst_json_open(j, "observer", '{');
	/* gethostname may leave a name cut to the buffer unterminated. */
	if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		fst_json_str(j, "hostname", host);
	}
	fst_json_str(j, "product", "ftpstall");
	fst_json_str(j, "vendor", "ftpstall");
	fst_json_str(j, "type", "sensor");
	fst_json_str(j, "version", in->version);
	fst_json_close(j, '}');
}

static void ecs_related(struct fst_json *j, const struct fst_ftp_session *s)
{
	char ip[64];

	fst_json_open(j, "related", '{');
	fst_json_open(j, "ip", '[');
	fst_json_str(j, NULL, report_addr_text(&s->client_addr, ip, sizeof(ip)));
	fst_json_str(j, NULL, report_addr_text(&s->server_addr, ip, sizeof(ip)));
	fst_json_close(j, ']');
	if (s->user_name[0]) {
		fst_json_open(j, "user", '[');
		fst_json_str(j, NULL, s->user_name);
		fst_json_close(j, ']');
	}
	fst_json_close(j, '}');
}

/* ftpstall's own findings. */
static void ecs_findings(struct fst_json *j, const struct fst_report_input *in,
			 const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	const struct fst_server_estimate *e = report_estimate_for(in, s);
	char words[FST_WORDS_MAX];

	fst_json_open(j, "ftpstall", '{');
	fst_json_u64(j, "session_id", s->id);
	fst_json_str(j, "capture_source", in->source);
	fst_json_str(j, "verdict", fst_verdict_name(r->verdict));
	fst_json_str(j, "verdict_state", verdict_state_names[r->verdict_state]);
	fst_json_str(j, "stalled_side", fst_stalled_side_name(r->stalled_side));
	fst_json_str(j, "timer", fst_timer_name(r->timer));
	if (r->verdict_rule && r->verdict_rule[0])
		fst_json_str(j, "rule", r->verdict_rule);
	fst_json_open(j, "close", '{');
	fst_json_str(j, "by", fst_close_by_name(c->by));
	fst_json_str(j, "mechanism", report_close_mechanism(c));
	if (c->reply_code)
		fst_json_int(j, "reply_code", c->reply_code);
	fst_json_bool(j, "mid_transfer", c->mid_transfer);
	fst_json_close(j, '}');
	if (c->by != FST_CLOSE_BY_NONE)
		fst_json_seconds(j, "idle_before_close_s", c->after_idle_s);
	if (e && (e->observations || e->stated_idle_s > 0))
		fst_json_seconds(j, "server_timeout_estimate_s", e->idle_timeout_s);
	if (r->stated_timeout_s > 0)
		fst_json_int(j, "stated_timeout_s", r->stated_timeout_s);
	if (s->software)
		fst_json_str(j, "server_software", s->software);
	fst_json_u64(j, "transfers", s->transfer_count);
	fst_json_open(j, "capture_notes", '[');
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note))
			fst_json_str(j, NULL, fst_capture_note_name((enum fst_capture_note)note));
	fst_json_close(j, ']');
	if (fst_words_recommendation(r, words, sizeof(words)))
		fst_json_str(j, "recommendation", words);
	fst_json_close(j, '}');
}

void fst_report_ecs_session(FILE *out, const struct fst_report_input *in,
			    const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	struct fst_json j = fst_json_make(out, FST_JSON_COMPACT);
	struct fst_ftp_conn_counts n;
	char words[FST_WORDS_MAX];

	fst_ftp_control_counts(s, &n);
	fst_json_open(&j, NULL, '{');
	fst_json_time(&j, "@timestamp", s->start_us);
	fst_json_open(&j, "ecs", '{');
	fst_json_str(&j, "version", ECS_VERSION);
	fst_json_close(&j, '}');
	fst_words_summary(r, words, sizeof(words));
	fst_json_str(&j, "message", words);
	ecs_event(&j, r);
	ecs_endpoint(&j, "source", &s->client_addr, s->client_port, n.bytes[FST_DIR_CLIENT],
		     n.packets[FST_DIR_CLIENT]);
	ecs_endpoint(&j, "destination", &s->server_addr, s->server_port, n.bytes[FST_DIR_SERVER],
		     n.packets[FST_DIR_SERVER]);
	ecs_endpoint(&j, "client", &s->client_addr, s->client_port, n.bytes[FST_DIR_CLIENT],
		     n.packets[FST_DIR_CLIENT]);
	ecs_endpoint(&j, "server", &s->server_addr, s->server_port, n.bytes[FST_DIR_SERVER],
		     n.packets[FST_DIR_SERVER]);
	ecs_network(&j, s, &n);
	if (s->user_name[0]) {
		fst_json_open(&j, "user", '{');
		fst_json_str(&j, "name", s->user_name);
		fst_json_close(&j, '}');
	}
	ecs_files(&j, s);
	if (r->close.reply_code >= 400) {
		char code[16];

		snprintf(code, sizeof(code), "%d", r->close.reply_code);
		fst_json_open(&j, "error", '{');
		fst_json_str(&j, "code", code);
		fst_json_str(&j, "message", r->close.reply_text);
		fst_json_close(&j, '}');
	}
	ecs_observer(&j, in);
	ecs_related(&j, s);
	ecs_findings(&j, in, r);
	fst_json_close(&j, '}');
	fputc('\n', out);
	fflush(out);
}

int report_write_ecs(FILE *out, const struct fst_report_input *in)
{
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		fst_report_ecs_session(out, in, r);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
