/* Views of the upload and probe results: text for people, JSON for
 * scripts. Text from the network (greetings, reply texts) is escaped for
 * where it lands: \xNN on a terminal, \u00XX in JSON. */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static double secs(int64_t us)
{
	return (double)us / (double)FST_US_PER_SEC;
}

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

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* "key": "value" with a leading comma unless first. */
static void json_kv_str(FILE *out, const char *key, const char *value, bool first)
{
	fprintf(out, "%s\"%s\": ", first ? "" : ", ", key);
	if (value)
		json_string(out, value);
	else
		fputs("null", out);
}

static void json_time(FILE *out, const char *key, int64_t ts_us, bool first)
{
	char buf[40], iso[48];

	fst_time_format(ts_us, buf, sizeof(buf));
	/* "YYYY-MM-DD HH:MM:SS.uuuuuu" -> ISO 8601 */
	snprintf(iso, sizeof(iso), "%sZ", buf);
	if (strlen(iso) > 10)
		iso[10] = 'T';
	json_kv_str(out, key, iso, first);
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

static void upload_text(FILE *out, const char *version, const struct fst_client_upload_cfg *cfg,
			const struct fst_client_upload_result *r)
{
	char when[40];
	int width = 4;

	fprintf(out, "ftpstall %s upload to ftp://%s%s%s:%u/%s%s as %s\n", version,
		strchr(cfg->conn.host, ':') ? "[" : "", cfg->conn.host,
		strchr(cfg->conn.host, ':') ? "]" : "", (unsigned)cfg->conn.port,
		dir_or_root(cfg->conn.dir), dir_or_root(cfg->conn.dir)[0] ? "/" : "", r->user);
	if (r->greeting[0]) {
		fputs("server: ", out);
		text_net(out, r->greeting);
		fputc('\n', out);
	}
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
			check_words(f, check, sizeof(check)), secs(f->duration_us));
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
			fst_time_format(e->at_us, when, sizeof(when)), secs(e->elapsed_us),
			r->files[e->file_index].remote_name, fst_client_phase_name(e->phase),
			e->sent_offset);
		text_net(out, e->reason);
		if (e->resumed)
			fprintf(out,
				"\n      -> reconnected after %.3f s, resumed from %" PRIu64
				" (%s)\n",
				secs(e->delay_us), e->resumed_from,
				fst_client_resume_name(e->method));
		else
			fputs("\n      -> not resumed\n", out);
	}
	fprintf(out, "keepalive NOOPs: %" PRIu64 "; logins: %" PRIu64 "\n", r->noops, r->logins);
	if (r->fatal && r->error[0]) {
		fputs("stopped: ", out);
		text_net(out, r->error);
		fputc('\n', out);
	}
	fprintf(out, "result: %zu of %zu files verified, %zu failed, in %.3f s\n", r->verified,
		r->file_count, r->failed, secs(r->duration_us));
}

static void upload_json(FILE *out, const char *version, const struct fst_client_upload_cfg *cfg,
			const struct fst_client_upload_result *r)
{
	fputs("{", out);
	json_kv_str(out, "tool", "ftpstall", true);
	json_kv_str(out, "command", "upload", false);
	json_kv_str(out, "version", version, false);
	fputs(", \"server\": {", out);
	json_kv_str(out, "host", cfg->conn.host, true);
	fprintf(out, ", \"port\": %u", (unsigned)cfg->conn.port);
	json_kv_str(out, "dir", dir_or_root(cfg->conn.dir), false);
	json_kv_str(out, "user", r->user, false);
	json_kv_str(out, "greeting", r->greeting, false);
	fputs("}", out);
	json_time(out, "started_at", r->started_at_us, false);
	fprintf(out, ", \"duration_s\": %.6f", secs(r->duration_us));
	json_kv_str(out, "data_mode", r->data_mode[0] ? r->data_mode : NULL, false);
	json_kv_str(out, "digests_offered", r->digests_offered, false);
	fputs(", \"files\": [", out);
	for (size_t i = 0; i < r->file_count; i++) {
		const struct fst_client_file_result *f = &r->files[i];

		fputs(i ? ", {" : "{", out);
		json_kv_str(out, "path", f->path, true);
		json_kv_str(out, "remote_name", f->remote_name, false);
		fprintf(out, ", \"size\": %" PRIu64, f->size);
		json_kv_str(out, "status", fst_client_file_status_name(f->status), false);
		json_kv_str(out, "error", f->status == FST_FILE_FAILED ? f->error : NULL, false);
		fprintf(out,
			", \"attempts\": %u, \"reconnects\": %u, \"bytes_sent\": %" PRIu64
			", \"remote_size\": %" PRIu64,
			f->attempts, f->reconnects, f->bytes_sent, f->remote_size);
		if (f->digest != FST_DIGEST_NONE) {
			fputs(", \"checksum\": {", out);
			json_kv_str(out, "algorithm", fst_client_digest_name(f->digest), true);
			json_kv_str(out, "value", f->digest_hex, false);
			fputs("}", out);
		} else {
			fputs(", \"checksum\": null", out);
		}
		fprintf(out, ", \"duration_s\": %.6f}", secs(f->duration_us));
	}
	fputs("], \"reconnects\": [", out);
	for (size_t i = 0; i < r->reconnect_count; i++) {
		const struct fst_client_reconnect *e = &r->reconnects[i];

		fputs(i ? ", {" : "{", out);
		json_time(out, "at", e->at_us, true);
		fprintf(out, ", \"elapsed_s\": %.6f", secs(e->elapsed_us));
		json_kv_str(out, "file", r->files[e->file_index].remote_name, false);
		json_kv_str(out, "phase", fst_client_phase_name(e->phase), false);
		if (e->reply_code)
			fprintf(out, ", \"reply_code\": %d", e->reply_code);
		else
			fputs(", \"reply_code\": null", out);
		json_kv_str(out, "reason", e->reason, false);
		fprintf(out, ", \"sent_offset\": %" PRIu64 ", \"delay_s\": %.6f, \"resumed\": %s",
			e->sent_offset, secs(e->delay_us), e->resumed ? "true" : "false");
		if (e->resumed) {
			fprintf(out, ", \"resumed_from\": %" PRIu64, e->resumed_from);
			json_kv_str(out, "method", fst_client_resume_name(e->method), false);
		} else {
			fputs(", \"resumed_from\": null, \"method\": null", out);
		}
		fputs("}", out);
	}
	fprintf(out,
		"], \"reconnects_dropped\": %" PRIu64 ", \"noops\": %" PRIu64
		", \"logins\": %" PRIu64 ", \"verified\": %zu, \"failed\": %zu, \"ok\": %s",
		r->reconnects_dropped, r->noops, r->logins, r->verified, r->failed,
		r->verified == r->file_count ? "true" : "false");
	json_kv_str(out, "error", r->fatal ? r->error : NULL, false);
	fputs("}\n", out);
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
			secs(r->max_wait_us));
		return;
	}
	fprintf(out, "the server gave up after %.3f s (resolution %.3f s)\n", secs(w->timeout_us),
		secs(r->resolution_us));
	fprintf(out, "  first sign: %s\n", end_words(w->end));
	if (w->reply_code) {
		fprintf(out, "  reply: %d ", w->reply_code);
		text_net(out, w->reply);
		fputc('\n', out);
	}
	if (w->closed_by == FST_END_FIN || w->closed_by == FST_END_RST) {
		fprintf(out, "  control connection closed by %s", end_words(w->closed_by));
		if (w->reply_code)
			fprintf(out, ", %.3f s after the reply", secs(w->reply_to_close_us));
		fputc('\n', out);
	} else if (w->closed_by == FST_END_MAX_WAIT || w->closed_by == FST_END_NONE) {
		fputs("  the control connection stayed open\n", out);
	}
}

static void probe_wait_json(FILE *out, const char *key, const struct fst_client_probe_wait *w)
{
	fprintf(out, ", \"%s\": {\"measured\": %s", key, w->measured ? "true" : "false");
	if (w->measured)
		fprintf(out, ", \"timeout_s\": %.6f", secs(w->timeout_us));
	else
		fputs(", \"timeout_s\": null", out);
	json_kv_str(out, "end", fst_client_end_name(w->end), false);
	if (w->reply_code)
		fprintf(out, ", \"reply_code\": %d", w->reply_code);
	else
		fputs(", \"reply_code\": null", out);
	json_kv_str(out, "reply", w->reply_code ? w->reply : NULL, false);
	json_kv_str(out, "closed_by", fst_client_end_name(w->closed_by), false);
	if (w->reply_code && (w->closed_by == FST_END_FIN || w->closed_by == FST_END_RST))
		fprintf(out, ", \"reply_to_close_s\": %.6f", secs(w->reply_to_close_us));
	else
		fputs(", \"reply_to_close_s\": null", out);
	fprintf(out, ", \"bytes_sent\": %" PRIu64, w->bytes_sent);
	json_kv_str(out, "error", w->end == FST_END_ERROR ? w->error : NULL, false);
	fputs("}", out);
}

int fst_client_probe_report(FILE *out, bool json, const char *version,
			    const struct fst_client_probe_cfg *cfg,
			    const struct fst_client_probe_result *r)
{
	bool v6 = strchr(cfg->conn.host, ':') != NULL;

	if (json) {
		fputs("{", out);
		json_kv_str(out, "tool", "ftpstall", true);
		json_kv_str(out, "command", "probe", false);
		json_kv_str(out, "version", version, false);
		fputs(", \"server\": {", out);
		json_kv_str(out, "host", cfg->conn.host, true);
		fprintf(out, ", \"port\": %u", (unsigned)cfg->conn.port);
		json_kv_str(out, "user", r->user, false);
		json_kv_str(out, "greeting", r->greeting, false);
		fputs("}", out);
		json_time(out, "started_at", r->started_at_us, false);
		fprintf(out, ", \"resolution_s\": %.6f, \"max_wait_s\": %.6f",
			secs(r->resolution_us), secs(r->max_wait_us));
		probe_wait_json(out, "idle", &r->idle);
		if (cfg->data) {
			probe_wait_json(out, "data", &r->data);
			json_kv_str(out, "data_file", r->data_file, false);
			fprintf(out, ", \"data_file_removed\": %s",
				r->data_file_removed ? "true" : "false");
		} else {
			fputs(", \"data\": null", out);
		}
		fputs("}\n", out);
	} else {
		fprintf(out, "ftpstall %s probe of ftp://%s%s%s:%u/ as %s\n", version,
			v6 ? "[" : "", cfg->conn.host, v6 ? "]" : "", (unsigned)cfg->conn.port,
			r->user);
		if (r->greeting[0]) {
			fputs("server: ", out);
			text_net(out, r->greeting);
			fputc('\n', out);
		}
		probe_wait_text(out, "idle control connection", &r->idle, r);
		if (cfg->data) {
			char title[96];

			snprintf(title, sizeof(title),
				 "stalled data connection (after %" PRIu64 " bytes of a STOR)",
				 r->data.bytes_sent);
			probe_wait_text(out, title, &r->data, r);
			if (r->data_file[0] && r->data.bytes_sent && !r->data_file_removed)
				fprintf(out, "note: the scratch file %s could not be removed\n",
					r->data_file);
		}
	}
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
