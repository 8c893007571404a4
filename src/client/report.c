/* Views of the upload and probe results: text for people, JSON for
 * scripts. Text from the network (greetings, reply texts) is escaped for
 * where it lands: \xNN on a terminal, \u00XX in JSON. */
#include "internal.h"

#include "ftpstall/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Network text for a terminal: printable ASCII as is, the rest \xNN. */
static void text_net(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static const char *dir_or_root(const char *dir)
{
	return dir && dir[0] ? dir : "";
}

/* ---- upload ---- */

static const char *check_words(const struct fst_client_file_result *f, char *buf, size_t size)
{
	if (f->status != FST_FILE_VERIFIED)
		snprintf(buf, size, "-");
	else if (f->digest != FST_DIGEST_NONE)
		snprintf(buf, size, "size+%s", fst_client_digest_name(f->digest));
	else
		snprintf(buf, size, "size");
	return buf;
}

/* "TLS: TLSv1.3 (explicit, AUTH TLS)", for TLS sessions only. */
static void tls_text(FILE *out, const struct fst_client_cfg *conn, const char *version)
{
	if (conn->tls == FST_TLS_NONE)
		return;
	fprintf(out, "TLS: %s (%s%s)\n", version[0] ? version : "no handshake",
		fst_client_tls_name(conn->tls),
		conn->insecure ? ", certificate not verified (--insecure)" : "");
}

static void upload_text(FILE *out, const char *version, const struct fst_client_upload_cfg *cfg,
			const struct fst_client_upload_result *r)
{
	char when[40];
	int width = 4;

	fprintf(out, "ftpstall %s upload to %s://%s%s%s:%u/%s%s as %s\n", version,
		fst_client_tls_scheme(cfg->conn.tls), strchr(cfg->conn.host, ':') ? "[" : "",
		cfg->conn.host, strchr(cfg->conn.host, ':') ? "]" : "", (unsigned)cfg->conn.port,
		dir_or_root(cfg->conn.dir), dir_or_root(cfg->conn.dir)[0] ? "/" : "", r->user);
	if (r->greeting[0]) {
		fputs("server: ", out);
		text_net(out, r->greeting);
		fputc('\n', out);
	}
	tls_text(out, &cfg->conn, r->tls_version);
	fprintf(out, "data connections: %s; checksums offered: %s\n",
		r->data_mode[0] ? r->data_mode : "none opened",
		r->digests_offered[0] ? r->digests_offered : "none (size checked only)");
	for (size_t i = 0; i < r->file_count; i++)
		if ((int)strlen(r->files[i].path) > width)
			width = (int)strlen(r->files[i].path);
	if (width > 60)
		width = 60;
	fprintf(out, "\n%-*s %14s  %-13s %8s %10s  %-12s %9s\n", width, "FILE", "BYTES", "STATUS",
		"ATTEMPTS", "RECONNECTS", "CHECK", "TIME");
	for (size_t i = 0; i < r->file_count; i++) {
		const struct fst_client_file_result *f = &r->files[i];

		char check[32];

		fprintf(out, "%-*s %14" PRIu64 "  %-13s %8u %10u  %-12s %8.3fs\n", width, f->path,
			f->size, fst_client_file_status_name(f->status), f->attempts, f->reconnects,
			check_words(f, check, sizeof(check)), fst_seconds(f->duration_us));
		if (f->status == FST_FILE_FAILED) {
			fputs("    error: ", out);
			text_net(out, f->error);
			fputc('\n', out);
		}
	}
	fprintf(out, "\nreconnects: %zu", r->reconnect_count);
	if (r->reconnects_dropped)
		fprintf(out, " (and %" PRIu64 " more not kept)", r->reconnects_dropped);
	fputc('\n', out);
	for (size_t i = 0; i < r->reconnect_count; i++) {
		const struct fst_client_reconnect *e = &r->reconnects[i];

		fprintf(out, "  %s (+%.3f s)  %s, %s at offset %" PRIu64 ": ",
			fst_time_format(e->at_us, when, sizeof(when)), fst_seconds(e->elapsed_us),
			r->files[e->file_index].remote_name, fst_client_phase_name(e->phase),
			e->sent_offset);
		text_net(out, e->reason);
		/* The delay runs from the loss to the new login; the backoff
		 * is the part of it spent waiting on purpose. */
		if (e->delay_us > 0 || e->resumed)
			fprintf(out, "\n      -> reconnected after %.3f s (backoff %.3f s), ",
				fst_seconds(e->delay_us), fst_seconds(e->backoff_us));
		else
			fputs("\n      -> ", out);
		if (e->resumed)
			fprintf(out, "resumed from %" PRIu64 " (%s)\n", e->resumed_from,
				fst_client_resume_name(e->method));
		else
			fputs("not resumed\n", out);
	}
	fprintf(out,
		"failed connection attempts: %" PRIu64 "\nkeepalive NOOPs: %" PRIu64
		"; logins: %" PRIu64 "\n",
		r->connect_failures, r->noops, r->logins);
	if (r->fatal && r->error[0]) {
		fputs("stopped: ", out);
		text_net(out, r->error);
		fputc('\n', out);
	}
	fprintf(out, "result: %zu of %zu %s verified, %zu failed, in %.3f s\n", r->verified,
		r->file_count, r->file_count == 1 ? "file" : "files", r->failed,
		fst_seconds(r->duration_us));
}

static void upload_file_json(struct fst_json *j, const struct fst_client_file_result *f)
{
	fst_json_open(j, NULL, '{');
	fst_json_str(j, "path", f->path);
	fst_json_str(j, "remote_name", f->remote_name);
	fst_json_u64(j, "size", f->size);
	fst_json_str(j, "status", fst_client_file_status_name(f->status));
	fst_json_str(j, "error", f->status == FST_FILE_FAILED ? f->error : NULL);
	fst_json_u64(j, "attempts", f->attempts);
	fst_json_u64(j, "reconnects", f->reconnects);
	fst_json_u64(j, "bytes_sent", f->bytes_sent);
	fst_json_u64(j, "remote_size", f->remote_size);
	if (f->digest != FST_DIGEST_NONE) {
		fst_json_open(j, "checksum", '{');
		fst_json_str(j, "algorithm", fst_client_digest_name(f->digest));
		fst_json_str(j, "value", f->digest_hex);
		fst_json_close(j, '}');
	} else {
		fst_json_null(j, "checksum");
	}
	fst_json_seconds(j, "duration_s", fst_seconds(f->duration_us));
	fst_json_close(j, '}');
}

static void upload_reconnect_json(struct fst_json *j, const struct fst_client_upload_result *r,
				  const struct fst_client_reconnect *e)
{
	fst_json_open(j, NULL, '{');
	fst_json_time(j, "at", e->at_us);
	fst_json_seconds(j, "elapsed_s", fst_seconds(e->elapsed_us));
	fst_json_str(j, "file", r->files[e->file_index].remote_name);
	fst_json_str(j, "phase", fst_client_phase_name(e->phase));
	if (e->reply_code)
		fst_json_int(j, "reply_code", e->reply_code);
	else
		fst_json_null(j, "reply_code");
	fst_json_str(j, "reason", e->reason);
	fst_json_u64(j, "sent_offset", e->sent_offset);
	fst_json_seconds(j, "delay_s", fst_seconds(e->delay_us));
	fst_json_seconds(j, "backoff_s", fst_seconds(e->backoff_us));
	fst_json_bool(j, "resumed", e->resumed);
	if (e->resumed) {
		fst_json_u64(j, "resumed_from", e->resumed_from);
		fst_json_str(j, "method", fst_client_resume_name(e->method));
	} else {
		fst_json_null(j, "resumed_from");
		fst_json_null(j, "method");
	}
	fst_json_close(j, '}');
}

/* The "tool", "command", "version" members that open both documents. */
static void json_head(struct fst_json *j, const char *command, const char *version)
{
	fst_json_open(j, NULL, '{');
	fst_json_str(j, "tool", "ftpstall");
	fst_json_str(j, "command", command);
	fst_json_str(j, "version", version);
}

static void upload_json(FILE *out, const char *version, const struct fst_client_upload_cfg *cfg,
			const struct fst_client_upload_result *r)
{
	struct fst_json j = fst_json_make(out, FST_JSON_SPACED);

	json_head(&j, "upload", version);
	fst_json_open(&j, "server", '{');
	fst_json_str(&j, "host", cfg->conn.host);
	fst_json_u64(&j, "port", cfg->conn.port);
	fst_json_str(&j, "dir", dir_or_root(cfg->conn.dir));
	fst_json_str(&j, "user", r->user);
	fst_json_str(&j, "greeting", r->greeting);
	fst_json_str(&j, "tls", fst_client_tls_name(cfg->conn.tls));
	fst_json_str(&j, "tls_version", r->tls_version[0] ? r->tls_version : NULL);
	fst_json_close(&j, '}');
	fst_json_time(&j, "started_at", r->started_at_us);
	fst_json_seconds(&j, "duration_s", fst_seconds(r->duration_us));
	fst_json_str(&j, "data_mode", r->data_mode[0] ? r->data_mode : NULL);
	fst_json_str(&j, "digests_offered", r->digests_offered);
	fst_json_open(&j, "files", '[');
	for (size_t i = 0; i < r->file_count; i++)
		upload_file_json(&j, &r->files[i]);
	fst_json_close(&j, ']');
	fst_json_open(&j, "reconnects", '[');
	for (size_t i = 0; i < r->reconnect_count; i++)
		upload_reconnect_json(&j, r, &r->reconnects[i]);
	fst_json_close(&j, ']');
	fst_json_u64(&j, "reconnects_dropped", r->reconnects_dropped);
	fst_json_u64(&j, "noops", r->noops);
	fst_json_u64(&j, "logins", r->logins);
	fst_json_u64(&j, "connect_failures", r->connect_failures);
	fst_json_u64(&j, "verified", r->verified);
	fst_json_u64(&j, "failed", r->failed);
	fst_json_bool(&j, "ok", r->verified == r->file_count);
	fst_json_str(&j, "error", r->fatal ? r->error : NULL);
	fst_json_close(&j, '}');
	fputc('\n', out);
}

int fst_client_upload_report(FILE *out, bool json, const char *version,
			     const struct fst_client_upload_cfg *cfg,
			     const struct fst_client_upload_result *r)
{
	if (json)
		upload_json(out, version, cfg, r);
	else
		upload_text(out, version, cfg, r);
	return ferror(out) ? FST_ERR_IO : FST_OK;
}

/* ---- probe ---- */

static const char *end_words(enum fst_client_end e)
{
	switch (e) {
	case FST_END_REPLY:
		return "a reply";
	case FST_END_FIN:
		return "FIN (the server closed)";
	case FST_END_RST:
		return "RST (the connection was reset)";
	case FST_END_DATA_FIN:
		return "FIN on the data connection";
	case FST_END_DATA_RST:
		return "RST on the data connection";
	case FST_END_MAX_WAIT:
		return "nothing before --max-wait";
	case FST_END_ERROR:
		return "an error";
	case FST_END_NONE:
	case FST_END_COUNT:
		break;
	}
	return "nothing";
}

static void probe_wait_text(FILE *out, const char *title, const struct fst_client_probe_wait *w,
			    const struct fst_client_probe_result *r)
{
	fprintf(out, "%s: ", title);
	if (w->end == FST_END_ERROR && !w->measured) {
		fputs("not measured: ", out);
		text_net(out, w->error);
		fputc('\n', out);
		return;
	}
	if (!w->measured) {
		fprintf(out, "still open after %.0f s (--max-wait): no timeout up to there\n",
			fst_seconds(r->max_wait_us));
		if (w->interval_us)
			fprintf(out, "  %" PRIu64 " commands answered, one every %.3f s\n",
				w->commands, fst_seconds(w->interval_us));
		return;
	}
	fprintf(out, "the server gave up after %.3f s (resolution %.3f s)\n",
		fst_seconds(w->timeout_us), fst_seconds(r->resolution_us));
	fprintf(out, "  first sign: %s\n", end_words(w->end));
	if (w->reply_code) {
		fprintf(out, "  reply: %d ", w->reply_code);
		text_net(out, w->reply);
		fputc('\n', out);
	}
	if (w->tls_alert[0])
		fprintf(out, "  TLS alert from the server: %s\n", w->tls_alert);
	if (w->interval_us)
		fprintf(out, "  %" PRIu64 " commands answered, one every %.3f s\n", w->commands,
			fst_seconds(w->interval_us));
	if (w->closed_by == FST_END_FIN || w->closed_by == FST_END_RST) {
		fprintf(out, "  control connection closed by %s", end_words(w->closed_by));
		if (w->reply_code)
			fprintf(out, ", %.3f s after the reply", fst_seconds(w->reply_to_close_us));
		fputc('\n', out);
	} else if (w->closed_by == FST_END_MAX_WAIT || w->closed_by == FST_END_NONE) {
		fputs("  the control connection stayed open\n", out);
	}
}

/* noop: with "honoured". */
static void probe_wait_json(struct fst_json *j, const char *key,
			    const struct fst_client_probe_wait *w, bool noop)
{
	fst_json_open(j, key, '{');
	fst_json_bool(j, "measured", w->measured);
	if (w->measured)
		fst_json_seconds(j, "timeout_s", fst_seconds(w->timeout_us));
	else
		fst_json_null(j, "timeout_s");
	fst_json_str(j, "end", fst_client_end_name(w->end));
	if (w->reply_code)
		fst_json_int(j, "reply_code", w->reply_code);
	else
		fst_json_null(j, "reply_code");
	fst_json_str(j, "reply", w->reply_code ? w->reply : NULL);
	fst_json_str(j, "closed_by", fst_client_end_name(w->closed_by));
	if (w->reply_code && (w->closed_by == FST_END_FIN || w->closed_by == FST_END_RST))
		fst_json_seconds(j, "reply_to_close_s", fst_seconds(w->reply_to_close_us));
	else
		fst_json_null(j, "reply_to_close_s");
	fst_json_u64(j, "bytes_sent", w->bytes_sent);
	fst_json_str(j, "tls_alert", w->tls_alert[0] ? w->tls_alert : NULL);
	if (w->interval_us) {
		fst_json_seconds(j, "interval_s", fst_seconds(w->interval_us));
		fst_json_u64(j, "commands", w->commands);
	}
	if (noop)
		fst_json_bool(j, "honoured", w->honoured);
	fst_json_str(j, "error", w->end == FST_END_ERROR ? w->error : NULL);
	fst_json_close(j, '}');
}

static const struct fst_client_probe_wait *probe_wait_of(const struct fst_client_probe_result *r,
							 unsigned t)
{
	return (const struct fst_client_probe_wait *)((const char *)r +
						      client_probe_wait_offset(
							      (enum fst_client_timer)t));
}

/* The titles of the text report, one a timer. */
static const char *const timer_titles[] = {
	[FST_PROBE_LOGIN] = "login (greeted, no USER sent)",
	[FST_PROBE_IDLE] = "idle control connection",
	[FST_PROBE_NOOP] = "NOOP every interval",
	[FST_PROBE_NO_TRANSFER] = "commands (PWD) but no transfer",
	[FST_PROBE_DATA] = "stalled data connection",
};
_Static_assert(sizeof(timer_titles) / sizeof(timer_titles[0]) == FST_PROBE_COUNT, "titles");

/* One line a timer: what each ended with. */
static void probe_table(FILE *out, const struct fst_client_probe_result *r)
{
	fprintf(out, "\n%-12s %10s  %-10s %s\n", "TIMER", "TIMEOUT", "FIRST SIGN", "SERVER SAID");
	for (unsigned t = 0; t < FST_PROBE_COUNT; t++) {
		const struct fst_client_probe_wait *w = probe_wait_of(r, t);
		char value[32];

		if (!(r->timers & (1u << t)))
			continue;
		if (w->measured)
			snprintf(value, sizeof(value), "%.3f s", fst_seconds(w->timeout_us));
		else
			snprintf(value, sizeof(value), "%s",
				 w->end == FST_END_ERROR ? "error" : "none");
		fprintf(out, "%-12s %10s  %-10s ", fst_client_timer_name((enum fst_client_timer)t),
			value, fst_client_end_name(w->end));
		if (w->reply_code) {
			fprintf(out, "%d ", w->reply_code);
			text_net(out, w->reply);
		} else if (w->tls_alert[0]) {
			fprintf(out, "TLS alert: %s", w->tls_alert);
		} else {
			fputc('-', out);
		}
		if (t == FST_PROBE_NOOP)
			fprintf(out, " (NOOP %s)", w->honoured ? "honoured" : "not honoured");
		fputc('\n', out);
	}
}

static void probe_json(FILE *out, const char *version, const struct fst_client_probe_cfg *cfg,
		       const struct fst_client_probe_result *r)
{
	struct fst_json j = fst_json_make(out, FST_JSON_SPACED);

	json_head(&j, "probe", version);
	fst_json_open(&j, "server", '{');
	fst_json_str(&j, "host", cfg->conn.host);
	fst_json_u64(&j, "port", cfg->conn.port);
	fst_json_str(&j, "user", r->user);
	fst_json_str(&j, "greeting", r->greeting);
	fst_json_str(&j, "tls", fst_client_tls_name(cfg->conn.tls));
	fst_json_str(&j, "tls_version", r->tls_version[0] ? r->tls_version : NULL);
	fst_json_str(&j, "timer_note", r->timer_note);
	fst_json_close(&j, '}');
	fst_json_time(&j, "started_at", r->started_at_us);
	fst_json_seconds(&j, "resolution_s", fst_seconds(r->resolution_us));
	fst_json_seconds(&j, "max_wait_s", fst_seconds(r->max_wait_us));
	/* "idle" and "data" at the top, as before --timers. */
	if (r->timers & (1u << FST_PROBE_IDLE))
		probe_wait_json(&j, "idle", &r->idle, false);
	else
		fst_json_null(&j, "idle");
	if (r->timers & (1u << FST_PROBE_DATA)) {
		probe_wait_json(&j, "data", &r->data, false);
		fst_json_str(&j, "data_file", r->data_file);
		fst_json_bool(&j, "data_file_removed", r->data_file_removed);
	} else {
		fst_json_null(&j, "data");
	}
	fst_json_open(&j, "timers", '{');
	for (unsigned t = 0; t < FST_PROBE_COUNT; t++) {
		const struct fst_client_probe_wait *w = probe_wait_of(r, t);

		if (!(r->timers & (1u << t)))
			continue;
		probe_wait_json(&j, fst_client_timer_name((enum fst_client_timer)t), w,
				t == FST_PROBE_NOOP);
	}
	fst_json_close(&j, '}');
	fst_json_close(&j, '}');
	fputc('\n', out);
}

int fst_client_probe_report(FILE *out, bool json, const char *version,
			    const struct fst_client_probe_cfg *cfg,
			    const struct fst_client_probe_result *r)
{
	bool v6 = strchr(cfg->conn.host, ':') != NULL;

	if (json) {
		probe_json(out, version, cfg, r);
	} else {
		fprintf(out, "ftpstall %s probe of %s://%s%s%s:%u/ as %s\n", version,
			fst_client_tls_scheme(cfg->conn.tls), v6 ? "[" : "", cfg->conn.host,
			v6 ? "]" : "", (unsigned)cfg->conn.port, r->user);
		if (r->greeting[0]) {
			fputs("server: ", out);
			text_net(out, r->greeting);
			fputc('\n', out);
		}
		tls_text(out, &cfg->conn, r->tls_version);
		for (unsigned t = 0; t < FST_PROBE_COUNT; t++) {
			char title[96];

			if (!(r->timers & (1u << t)))
				continue;
			if (t == FST_PROBE_DATA)
				snprintf(title, sizeof(title),
					 "stalled data connection (after %" PRIu64
					 " bytes of a STOR)",
					 r->data.bytes_sent);
			else
				snprintf(title, sizeof(title), "%s", timer_titles[t]);
			probe_wait_text(out, title, probe_wait_of(r, t), r);
		}
		if ((r->timers & (1u << FST_PROBE_DATA)) && r->data_file[0] && r->data.bytes_sent &&
		    !r->data_file_removed)
			fprintf(out, "note: the scratch file %s could not be removed\n",
				r->data_file);
		if (r->timers & (r->timers - 1))
			probe_table(out, r);
		if (r->timer_note)
			fprintf(out, "note: %s\n", r->timer_note);
	}
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
