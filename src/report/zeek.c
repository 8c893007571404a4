/* The Zeek log (docs/fleet.md): the ASCII writer's TSV format, one row
 * per session, so Zeek-based stacks read it beside conn.log and ftp.log
 * and join it by uid-like id or Community ID. As Zeek's writer does, a
 * value is escaped byte by byte: anything outside printable ASCII (tab,
 * newline, bytes above 0x7e), the backslash and, inside a set or vector,
 * the set separator become \xHH; an empty text is "(empty)"; a value
 * that reads as the unset or empty marker is escaped so it does not. */
#include "internal.h"

#include <nettle/sha1.h>
#include <string.h>
#include <time.h>

#define ZEEK_PATH	   "ftpstall"
#define SET_SEPARATOR	   ','
#define EMPTY_FIELD	   "(empty)"
#define UNSET_FIELD	   "-"
#define IPPROTO_NUMBER_TCP 6

/* The columns, in order, with their Zeek types. */
static const struct {
	const char *name, *type;
} columns[] = {
	{ "ts", "time" },
	{ "uid", "string" },
	{ "id.orig_h", "addr" },
	{ "id.orig_p", "port" },
	{ "id.resp_h", "addr" },
	{ "id.resp_p", "port" },
	{ "community_id", "string" },
	{ "duration", "interval" },
	{ "orig_bytes", "count" },
	{ "resp_bytes", "count" },
	{ "orig_pkts", "count" },
	{ "resp_pkts", "count" },
	{ "user", "string" },
	{ "server_software", "string" },
	{ "verdict", "string" },
	{ "verdict_state", "string" },
	{ "stalled_side", "string" },
	{ "timer", "string" },
	{ "close_by", "string" },
	{ "close_mechanism", "string" },
	{ "idle_before_close", "interval" },
	{ "reply_code", "count" },
	{ "reply_msg", "string" },
	{ "server_timeout_estimate", "interval" },
	{ "files", "vector[string]" },
	{ "capture_notes", "set[string]" },
	{ "summary", "string" },
};

static const char *const verdict_state_names[] = {
	[FST_VERDICT_PENDING] = "pending",
	[FST_VERDICT_PROVISIONAL] = "provisional",
	[FST_VERDICT_FINAL] = "final",
};

static void zeek_time_stamp(FILE *out, const char *key, int64_t ts_us)
{
	time_t secs = (time_t)(ts_us / FST_US_PER_SEC);
	struct tm tm;
	char text[32];

	if (gmtime_r(&secs, &tm) && strftime(text, sizeof(text), "%Y-%m-%d-%H-%M-%S", &tm))
		fprintf(out, "#%s\t%s\n", key, text);
	else
		fprintf(out, "#%s\t%s\n", key, UNSET_FIELD);
}

void fst_report_zeek_header(FILE *out, int64_t open_us)
{
	fputs("#separator \\x09\n", out);
	fprintf(out, "#set_separator\t%c\n", SET_SEPARATOR);
	fputs("#empty_field\t" EMPTY_FIELD "\n", out);
	fputs("#unset_field\t" UNSET_FIELD "\n", out);
	fputs("#path\t" ZEEK_PATH "\n", out);
	zeek_time_stamp(out, "open", open_us);
	fputs("#fields", out);
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		fprintf(out, "\t%s", columns[i].name);
	fputs("\n#types", out);
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		fprintf(out, "\t%s", columns[i].type);
	fputc('\n', out);
	fflush(out);
}

void fst_report_zeek_footer(FILE *out, int64_t close_us)
{
	zeek_time_stamp(out, "close", close_us);
	fflush(out);
}

/* A value's bytes, escaped as above; in_set also escapes the separator. */
static void zeek_escaped(FILE *out, const char *s, bool in_set)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\' || (in_set && *p == SET_SEPARATOR))
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

/* A text column: unset for NULL, "(empty)" for "". */
static void zeek_string(FILE *out, const char *s)
{
	fputc('\t', out);
	if (!s) {
		fputs(UNSET_FIELD, out);
		return;
	}
	if (!s[0]) {
		fputs(EMPTY_FIELD, out);
		return;
	}
	/* A literal "-" or "(empty)" would read as the markers. */
	if (strcmp(s, UNSET_FIELD) == 0 || strcmp(s, EMPTY_FIELD) == 0) {
		fprintf(out, "\\x%02x", (unsigned char)s[0]);
		s++;
	}
	zeek_escaped(out, s, false);
}

static void zeek_count(FILE *out, uint64_t value)
{
	fprintf(out, "\t%llu", (unsigned long long)value);
}

static void zeek_interval(FILE *out, bool set, double seconds)
{
	if (set)
		fprintf(out, "\t%.6f", seconds);
	else
		fputs("\t" UNSET_FIELD, out);
}

/* Zeek's uids are "C" and a random 96-bit number in base 62; this one
 * is the hash of the connection and its start, so the same session has
 * the same uid in every run. */
static void zeek_uid(FILE *out, const struct fst_ftp_session *s, const char *community_id)
{
	static const char digits[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t digest[SHA1_DIGEST_SIZE];
	struct sha1_ctx sha;
	char seed[FST_COMMUNITY_ID_SIZE + 48], text[32];
	int len;

	len = snprintf(seed, sizeof(seed), "%s/%lld/%llu", community_id, (long long)s->start_us,
		       (unsigned long long)s->id);
	sha1_init(&sha);
	sha1_update(&sha, (size_t)(len > 0 ? len : 0), (const uint8_t *)seed);
	sha1_digest(&sha, sizeof(digest), digest);
	fputs("\tC", out);
	for (int part = 0; part < 2; part++) {
		uint64_t v = 0;
		size_t n = 0;

		for (int i = 0; i < (part ? 4 : 8); i++)
			v = (v << 8) | digest[part * 8 + i];
		do {
			text[n++] = digits[v % 62];
			v /= 62;
		} while (v && n < sizeof(text));
		while (n)
			fputc(text[--n], out);
	}
}

void fst_report_zeek_session(FILE *out, const struct fst_report_input *in,
			     const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	const struct fst_close_info *c = &r->close;
	const struct fst_server_estimate *e = report_estimate_for(in, s);
	char id[FST_COMMUNITY_ID_SIZE], ip[64], words[FST_WORDS_MAX];
	int64_t end_us = report_session_end_us(s);
	struct fst_ftp_conn_counts n;
	bool any = false;

	fst_community_id(&s->client_addr, s->client_port, &s->server_addr, s->server_port,
			 IPPROTO_NUMBER_TCP, 0, id, sizeof(id));
	fprintf(out, "%lld.%06lld", (long long)(s->start_us / FST_US_PER_SEC),
		(long long)(s->start_us % FST_US_PER_SEC));
	zeek_uid(out, s, id);
	fprintf(out, "\t%s\t%u", report_addr_text(&s->client_addr, ip, sizeof(ip)), s->client_port);
	fprintf(out, "\t%s\t%u", report_addr_text(&s->server_addr, ip, sizeof(ip)), s->server_port);
	zeek_string(out, id[0] ? id : NULL);
	zeek_interval(out, end_us >= s->start_us, report_seconds(s->start_us, end_us));
	fst_ftp_control_counts(s, &n);
	zeek_count(out, n.bytes[FST_DIR_CLIENT]);
	zeek_count(out, n.bytes[FST_DIR_SERVER]);
	zeek_count(out, n.packets[FST_DIR_CLIENT]);
	zeek_count(out, n.packets[FST_DIR_SERVER]);
	zeek_string(out, s->user_name[0] ? s->user_name : NULL);
	zeek_string(out, s->software);
	zeek_string(out, fst_verdict_name(r->verdict));
	zeek_string(out, verdict_state_names[r->verdict_state]);
	zeek_string(out, fst_stalled_side_name(r->stalled_side));
	zeek_string(out, fst_timer_name(r->timer));
	zeek_string(out, fst_close_by_name(c->by));
	zeek_string(out, report_close_mechanism(c));
	zeek_interval(out, c->by != FST_CLOSE_BY_NONE, c->after_idle_s);
	if (c->reply_code)
		zeek_count(out, (uint64_t)c->reply_code);
	else
		fputs("\t" UNSET_FIELD, out);
	zeek_string(out, c->reply_code ? c->reply_text : NULL);
	zeek_interval(out, e && (e->observations || e->stated_idle_s > 0),
		      e ? e->idle_timeout_s : 0);
	fputc('\t', out);
	for (size_t i = 0; i < s->transfer_count; i++) {
		const char *file = s->transfers[i].file;

		if (any)
			fputc(SET_SEPARATOR, out);
		any = true;
		/* An element that reads as a marker gets its first byte escaped;
		 * a missing name is written as the unset marker, escaped. */
		if (!file || !file[0])
			file = UNSET_FIELD;
		if (strcmp(file, UNSET_FIELD) == 0 || strcmp(file, EMPTY_FIELD) == 0) {
			fprintf(out, "\\x%02x", (unsigned char)file[0]);
			file++;
		}
		zeek_escaped(out, file, true);
	}
	if (!any)
		fputs(EMPTY_FIELD, out);
	fputc('\t', out);
	any = false;
	for (int note = 0; note < FST_NOTE_COUNT; note++)
		if (r->capture_notes & FST_NOTE_BIT(note)) {
			if (any)
				fputc(SET_SEPARATOR, out);
			any = true;
			fputs(fst_capture_note_name((enum fst_capture_note)note), out);
		}
	if (!any)
		fputs(EMPTY_FIELD, out);
	fst_words_summary(r, words, sizeof(words));
	zeek_string(out, words);
	fputc('\n', out);
	fflush(out);
}

int report_write_zeek(FILE *out, const struct fst_report_input *in)
{
	int64_t open_us = 0, close_us = 0;

	/* Packet time, as Zeek reading a trace: the first session's start
	 * and the last one's end. */
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next) {
		int64_t end_us = report_session_end_us(r->session);

		if (!open_us || r->session->start_us < open_us)
			open_us = r->session->start_us;
		if (end_us > close_us)
			close_us = end_us;
	}
	fst_report_zeek_header(out, open_us);
	for (struct fst_session_result *r = fst_analysis_results(in->analysis); r; r = r->next)
		fst_report_zeek_session(out, in, r);
	fst_report_zeek_footer(out, close_us ? close_us : open_us);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
