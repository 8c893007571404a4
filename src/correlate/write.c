/* The correlation report: text, JSON, JSON Lines, Markdown and HTML
 * views of one result (the clock, the connections and what the path did
 * to them, the sessions with their combined verdicts and both views). */
#include <string.h>

#include "ftpstall/json.h"
#include "internal.h"

/* Point p's role, in words. */
static const char *point_role(const struct fst_correlate *c, enum fst_point p)
{
	if (!c->clock.known)
		return "";
	return c->clock.nearer_client == p ? "nearer the client" : "nearer the server";
}

static void endpoint(const struct fst_corr_conn *k, enum fst_point p, bool client, char *buf,
		     size_t size)
{
	if (!k->seen[p]) {
		snprintf(buf, size, "-");
		return;
	}
	if (client)
		fst_endpoint_format(&k->client_addr[p], k->client_port[p], buf, size);
	else
		fst_endpoint_format(&k->server_addr[p], k->server_port[p], buf, size);
}

/* "client seen as 10.88.2.1:50388 at B" (and the server's, when NAT
 * changed it too); "" when neither changed or one point only. */
static void translation(const struct fst_corr_conn *k, char *buf, size_t size)
{
	char ca[64], cb[64], sa[64], sb[64];
	int n = 0;

	buf[0] = '\0';
	if (!k->seen[FST_POINT_A] || !k->seen[FST_POINT_B])
		return;
	endpoint(k, FST_POINT_A, true, ca, sizeof(ca));
	endpoint(k, FST_POINT_B, true, cb, sizeof(cb));
	endpoint(k, FST_POINT_A, false, sa, sizeof(sa));
	endpoint(k, FST_POINT_B, false, sb, sizeof(sb));
	if (strcmp(ca, cb) != 0)
		n = snprintf(buf, size, "client %s at A seen as %s at B", ca, cb);
	if (strcmp(sa, sb) != 0 && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "%sserver %s at A seen as %s at B",
			 n ? "; " : "", sa, sb);
}

static void flag_text(uint8_t flags, char *buf, size_t size)
{
	static const struct {
		uint8_t bit;
		char letter;
	} letters[] = {
		{ FST_TCP_SYN, 'S' }, { FST_TCP_FIN, 'F' }, { FST_TCP_RST, 'R' },
		{ FST_TCP_PSH, 'P' }, { FST_TCP_ACK, '.' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < size; i++)
		if (flags & letters[i].bit)
			buf[n++] = letters[i].letter;
	buf[n] = '\0';
}

static void changed_text(unsigned changed, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", (changed & FST_REWRITE_PAYLOAD) ? "payload " : "",
		 (changed & FST_REWRITE_WINDOW) ? "window " : "",
		 (changed & FST_REWRITE_MSS) ? "mss " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
}

static const struct fst_session_result *any_view(const struct fst_corr_session *s)
{
	return s->view[FST_POINT_A] ? s->view[FST_POINT_A] : s->view[FST_POINT_B];
}

static size_t conn_index(const struct fst_correlate *c, const struct fst_corr_conn *k)
{
	for (size_t i = 0; i < c->root_count; i++)
		if (&c->conns[c->roots[i]].pub == k)
			return i;
	return SIZE_MAX;
}

/* How the connection was bound across the points, or NULL. */
static const char *matched_by(const struct fst_corr_conn *k)
{
	if (!k->seen[FST_POINT_A] || !k->seen[FST_POINT_B])
		return NULL;
	if (k->matched_by_endpoints)
		return "endpoints";
	return k->matched_by_syn ? "syn" : "segment";
}

/* ---- text and Markdown ------------------------------------------------- */

static void text_segment(FILE *out, const struct fst_path_segment *s, const char *indent)
{
	char when[32], flags[8], changed[32];

	fst_time_format_clock(s->ts_us, when, sizeof(when));
	flag_text(s->flags, flags, sizeof(flags));
	fprintf(out, "%s%-9s %s at %s (%s), seq %u, %u bytes, flags %s, TTL %u", indent,
		fst_path_kind_name(s->kind), fst_side_name(s->from), when,
		fst_point_name(s->seen_at), s->seq, s->len, flags, s->ttl);
	if (s->repeats)
		fprintf(out, ", sent %u more times", s->repeats);
	if (s->kind == FST_PATH_REWRITTEN) {
		changed_text(s->changed, changed, sizeof(changed));
		fprintf(out, ", %s changed", changed);
		if (s->changed & FST_REWRITE_PAYLOAD)
			fprintf(out, ": \"%s\" -> \"%s\"", s->text, s->text_after);
		if (s->changed & FST_REWRITE_WINDOW)
			fprintf(out, " window %u -> %u", s->window_before, s->window_after);
		if (s->changed & FST_REWRITE_MSS)
			fprintf(out, " MSS %u -> %u", s->mss_before, s->mss_after);
	} else if (s->text[0]) {
		fprintf(out, ": \"%s\"", s->text);
	}
	fputc('\n', out);
}

static void text_clock(FILE *out, const struct fst_correlate *c, const char *bullet)
{
	const struct fst_correlate_clock *k = &c->clock;

	if (!k->known) {
		fprintf(out, "%sclock: unknown (no packet matched)\n", bullet);
		return;
	}
	fprintf(out,
		"%sclock: B's clock minus A's %+.6f s (from %llu matched packets); %s is nearer the "
		"client (by %s)\n",
		bullet, k->offset_s, (unsigned long long)k->samples,
		fst_point_name(k->nearer_client), k->nearer_by_ttl ? "TTL" : "timing");
	fprintf(out,
		"%sone-way delay between the points: client to server %.6f s, server to client %.6f s\n",
		bullet, k->delay_to_server_s, k->delay_to_client_s);
}

static void text_conn(FILE *out, const struct fst_correlate *c, size_t index, bool md)
{
	const struct fst_corr_conn *k = fst_correlate_conn_at(c, index);
	enum fst_point p = k->seen[FST_POINT_A] ? FST_POINT_A : FST_POINT_B;
	char client[64], server[64], tr[300];

	endpoint(k, p, true, client, sizeof(client));
	endpoint(k, p, false, server, sizeof(server));
	translation(k, tr, sizeof(tr));
	fprintf(out, "%sconnection %zu: %s -> %s at %s", md ? "### " : "", index + 1, client,
		server, fst_point_name(p));
	if (!k->seen[corr_other(p)])
		fprintf(out, ", seen at %s only\n", fst_point_name(p));
	else
		fprintf(out, "; %s (matched by %s)\n", tr[0] ? tr : "the same endpoints at B",
			matched_by(k));
	fprintf(out,
		"%spackets: A %llu, B %llu, matched %llu; lost %llu, injected %llu, rewritten %llu",
		md ? "- " : "  ", (unsigned long long)k->packets[FST_POINT_A],
		(unsigned long long)k->packets[FST_POINT_B], (unsigned long long)k->matched,
		(unsigned long long)k->counts[FST_PATH_LOST],
		(unsigned long long)k->counts[FST_PATH_INJECTED],
		(unsigned long long)k->counts[FST_PATH_REWRITTEN]);
	if (k->one_point_only)
		fprintf(out, "; %llu outside the time both captures cover",
			(unsigned long long)k->one_point_only);
	fputc('\n', out);
	for (size_t i = 0; i < k->segment_count; i++)
		text_segment(out, &k->segments[i], md ? "- " : "  ");
	if (k->segments_dropped)
		fprintf(out, "%s(%llu more not listed)\n", md ? "- " : "  ",
			(unsigned long long)k->segments_dropped);
}

static void text_session(FILE *out, const struct fst_correlate *c, size_t index, bool md)
{
	const struct fst_corr_session *s = fst_correlate_session_at(c, index);
	const struct fst_ftp_session *fs = any_view(s)->session;
	char client[64], server[64], proof[FST_WORDS_MAX];

	fst_endpoint_format(&fs->client_addr, fs->client_port, client, sizeof(client));
	fst_endpoint_format(&fs->server_addr, fs->server_port, server, sizeof(server));
	fst_correlate_words(c, s, proof, sizeof(proof));
	fprintf(out, "%ssession %zu: %s (stalled: %s) %s -> %s", md ? "### " : "", index + 1,
		fst_verdict_name(s->verdict), fst_stalled_side_name(s->stalled_side), client,
		server);
	if (s->control)
		fprintf(out, ", control connection %zu", conn_index(c, s->control) + 1);
	fprintf(out, "\n%sproof: %s\n", md ? "\n- " : "  ", proof);
	fprintf(out,
		"%srule: %s; close seen from the client: %s; path: lost %llu, injected %llu, rewritten %llu\n",
		md ? "- " : "  ", s->rule, fst_close_by_name(s->close_by),
		(unsigned long long)s->counts[FST_PATH_LOST],
		(unsigned long long)s->counts[FST_PATH_INJECTED],
		(unsigned long long)s->counts[FST_PATH_REWRITTEN]);
	for (int p = 0; p < FST_POINT_COUNT; p++) {
		const struct fst_session_result *v = s->view[p];
		char summary[FST_WORDS_MAX];

		if (!v) {
			fprintf(out, "%sview %s: not seen\n", md ? "- " : "  ",
				fst_point_name((enum fst_point)p));
			continue;
		}
		fst_words_summary(v, summary, sizeof(summary));
		fprintf(out, "%sview %s%s%s%s: %s (stalled: %s, close: %s) %s\n", md ? "- " : "  ",
			fst_point_name((enum fst_point)p), c->clock.known ? " (" : "",
			point_role(c, (enum fst_point)p), c->clock.known ? ")" : "",
			fst_verdict_name(v->verdict), fst_stalled_side_name(v->stalled_side),
			fst_close_by_name(v->close.by), summary);
	}
}

static void write_text(FILE *out, const struct fst_correlate_report *in, bool md)
{
	const struct fst_correlate *c = in->corr;

	fprintf(out, "%sftpstall correlate: A = %s, B = %s\n", md ? "# " : "",
		in->source[FST_POINT_A], in->source[FST_POINT_B]);
	if (md)
		fputc('\n', out);
	text_clock(out, c, md ? "- " : "");
	fprintf(out, "%sconnections: %zu, %llu seen at both points; sessions: %zu\n",
		md ? "- " : "", c->root_count, (unsigned long long)fst_correlate_shared(c),
		c->sessions.count);
	if (c->stats.window_overflow || c->stats.conns_refused)
		fprintf(out,
			"%slimits: %llu packets left the window unmatched, %llu connections refused\n",
			md ? "- " : "", (unsigned long long)c->stats.window_overflow,
			(unsigned long long)c->stats.conns_refused);
	if (md)
		fprintf(out, "\n## Sessions\n");
	for (size_t i = 0; i < c->sessions.count; i++) {
		fputc('\n', out);
		text_session(out, c, i, md);
	}
	if (md)
		fprintf(out, "\n## Connections\n");
	for (size_t i = 0; i < c->root_count; i++) {
		fputc('\n', out);
		text_conn(out, c, i, md);
	}
}

/* ---- JSON -------------------------------------------------------------- */

static void json_endpoints(struct fst_json *j, const char *key, const struct fst_corr_conn *k,
			   bool client)
{
	char buf[64];

	fst_json_open(j, key, '{');
	for (int p = 0; p < FST_POINT_COUNT; p++) {
		endpoint(k, (enum fst_point)p, client, buf, sizeof(buf));
		fst_json_str(j, p == FST_POINT_A ? "a" : "b", k->seen[p] ? buf : NULL);
	}
	fst_json_close(j, '}');
}

static void json_segment(struct fst_json *j, const struct fst_path_segment *s)
{
	char flags[8], changed[32];

	flag_text(s->flags, flags, sizeof(flags));
	fst_json_open(j, NULL, '{');
	fst_json_str(j, "from", fst_side_name(s->from));
	fst_json_str(j, "seen_at", s->seen_at == FST_POINT_A ? "a" : "b");
	fst_json_time(j, "time", s->ts_us);
	fst_json_u64(j, "seq", s->seq);
	fst_json_u64(j, "len", s->len);
	fst_json_str(j, "flags", flags);
	fst_json_int(j, "ttl", s->ttl);
	if (s->idle_before_us >= 0)
		fst_json_seconds(j, "idle_before_s", fst_seconds(s->idle_before_us));
	else
		fst_json_null(j, "idle_before_s");
	if (s->kind != FST_PATH_REWRITTEN)
		fst_json_int(j, "retransmissions", (int)s->repeats);
	fst_json_str(j, "text", s->text);
	if (s->kind == FST_PATH_REWRITTEN) {
		changed_text(s->changed, changed, sizeof(changed));
		fst_json_str(j, "changed", changed);
		fst_json_str(j, "text_after", s->text_after);
		fst_json_int(j, "window_before", s->window_before);
		fst_json_int(j, "window_after", s->window_after);
		fst_json_int(j, "mss_before", s->mss_before);
		fst_json_int(j, "mss_after", s->mss_after);
	}
	fst_json_close(j, '}');
}

static void json_conn(struct fst_json *j, const struct fst_correlate *c, size_t index)
{
	const struct fst_corr_conn *k = fst_correlate_conn_at(c, index);
	char tr[300];

	translation(k, tr, sizeof(tr));
	fst_json_open(j, NULL, '{');
	fst_json_u64(j, "id", index + 1);
	json_endpoints(j, "client", k, true);
	json_endpoints(j, "server", k, false);
	fst_json_str(j, "translation", tr);
	fst_json_str(j, "matched_by", matched_by(k));
	fst_json_open(j, "packets", '{');
	fst_json_u64(j, "a", k->packets[FST_POINT_A]);
	fst_json_u64(j, "b", k->packets[FST_POINT_B]);
	fst_json_u64(j, "matched", k->matched);
	fst_json_u64(j, "one_point_only", k->one_point_only);
	fst_json_close(j, '}');
	fst_json_open(j, "path", '{');
	for (int kind = 0; kind < FST_PATH_KIND_COUNT; kind++) {
		fst_json_open(j, fst_path_kind_name((enum fst_path_kind)kind), '[');
		for (size_t i = 0; i < k->segment_count; i++)
			if (k->segments[i].kind == (enum fst_path_kind)kind)
				json_segment(j, &k->segments[i]);
		fst_json_close(j, ']');
	}
	fst_json_open(j, "counts", '{');
	for (int kind = 0; kind < FST_PATH_KIND_COUNT; kind++)
		fst_json_u64(j, fst_path_kind_name((enum fst_path_kind)kind), k->counts[kind]);
	fst_json_close(j, '}');
	fst_json_u64(j, "segments_not_listed", k->segments_dropped);
	fst_json_close(j, '}');
	fst_json_close(j, '}');
}

static void json_view(struct fst_json *j, const char *key, const struct fst_correlate *c,
		      const struct fst_session_result *v, enum fst_point p)
{
	char summary[FST_WORDS_MAX];

	if (!v) {
		fst_json_null(j, key);
		return;
	}
	fst_words_summary(v, summary, sizeof(summary));
	fst_json_open(j, key, '{');
	fst_json_u64(j, "session_id", v->session->id);
	fst_json_str(j, "nearer",
		     !c->clock.known		 ? NULL :
		     c->clock.nearer_client == p ? "client" :
						   "server");
	fst_json_str(j, "verdict", fst_verdict_name(v->verdict));
	fst_json_str(j, "stalled_side", fst_stalled_side_name(v->stalled_side));
	fst_json_str(j, "close_by", fst_close_by_name(v->close.by));
	fst_json_str(j, "summary", summary);
	fst_json_close(j, '}');
}

static void json_session(struct fst_json *j, const struct fst_correlate *c, size_t index)
{
	const struct fst_corr_session *s = fst_correlate_session_at(c, index);
	const struct fst_ftp_session *fs = any_view(s)->session;
	char buf[64], proof[FST_WORDS_MAX];

	fst_correlate_words(c, s, proof, sizeof(proof));
	fst_json_open(j, NULL, '{');
	fst_json_u64(j, "id", index + 1);
	fst_json_str(j, "client",
		     fst_endpoint_format(&fs->client_addr, fs->client_port, buf, sizeof(buf)));
	fst_json_str(j, "server",
		     fst_endpoint_format(&fs->server_addr, fs->server_port, buf, sizeof(buf)));
	if (s->control)
		fst_json_u64(j, "control_connection", conn_index(c, s->control) + 1);
	else
		fst_json_null(j, "control_connection");
	fst_json_open(j, "verdict", '{');
	fst_json_str(j, "kind", fst_verdict_name(s->verdict));
	fst_json_str(j, "rule", s->rule);
	fst_json_str(j, "stalled_side", fst_stalled_side_name(s->stalled_side));
	fst_json_str(j, "close_by", fst_close_by_name(s->close_by));
	fst_json_str(j, "proof", proof);
	if (s->idle_s >= 0)
		fst_json_seconds(j, "idle_s", s->idle_s);
	else
		fst_json_null(j, "idle_s");
	fst_json_close(j, '}');
	fst_json_open(j, "path", '{');
	for (int kind = 0; kind < FST_PATH_KIND_COUNT; kind++)
		fst_json_u64(j, fst_path_kind_name((enum fst_path_kind)kind), s->counts[kind]);
	fst_json_close(j, '}');
	fst_json_open(j, "views", '{');
	json_view(j, "a", c, s->view[FST_POINT_A], FST_POINT_A);
	json_view(j, "b", c, s->view[FST_POINT_B], FST_POINT_B);
	fst_json_close(j, '}');
	fst_json_close(j, '}');
}

static void json_header(struct fst_json *j, const struct fst_correlate_report *in)
{
	const struct fst_correlate *c = in->corr;
	const struct fst_correlate_clock *k = &c->clock;

	fst_json_str(j, "version", in->version);
	fst_json_open(j, "sources", '{');
	fst_json_str(j, "a", in->source[FST_POINT_A]);
	fst_json_str(j, "b", in->source[FST_POINT_B]);
	fst_json_close(j, '}');
	if (k->known)
		fst_json_seconds(j, "clock_offset_s", k->offset_s);
	else
		fst_json_null(j, "clock_offset_s");
	fst_json_open(j, "clock", '{');
	fst_json_str(j, "nearer_client",
		     k->known ? (k->nearer_client == FST_POINT_A ? "a" : "b") : NULL);
	fst_json_str(j, "nearer_by", k->known ? (k->nearer_by_ttl ? "ttl" : "timing") : NULL);
	fst_json_seconds(j, "delay_to_server_s", k->delay_to_server_s);
	fst_json_seconds(j, "delay_to_client_s", k->delay_to_client_s);
	fst_json_u64(j, "samples", k->samples);
	fst_json_close(j, '}');
	fst_json_open(j, "stats", '{');
	fst_json_u64(j, "packets_a", c->stats.packets[FST_POINT_A]);
	fst_json_u64(j, "packets_b", c->stats.packets[FST_POINT_B]);
	fst_json_u64(j, "matched", c->stats.matched);
	fst_json_u64(j, "connections", c->root_count);
	fst_json_u64(j, "connections_shared", fst_correlate_shared(c));
	fst_json_u64(j, "window_overflow", c->stats.window_overflow);
	fst_json_u64(j, "connections_refused", c->stats.conns_refused);
	fst_json_close(j, '}');
}

static void write_json(FILE *out, const struct fst_correlate_report *in)
{
	const struct fst_correlate *c = in->corr;
	struct fst_json j = fst_json_make(out, FST_JSON_PRETTY);

	fst_json_open(&j, NULL, '{');
	json_header(&j, in);
	fst_json_open(&j, "sessions", '[');
	for (size_t i = 0; i < c->sessions.count; i++)
		json_session(&j, c, i);
	fst_json_close(&j, ']');
	fst_json_open(&j, "connections", '[');
	for (size_t i = 0; i < c->root_count; i++)
		json_conn(&j, c, i);
	fst_json_close(&j, ']');
	fst_json_close(&j, '}');
	fputc('\n', out);
}

/* One line for the clock and totals, then one per session. */
static void write_jsonl(FILE *out, const struct fst_correlate_report *in)
{
	const struct fst_correlate *c = in->corr;
	struct fst_json j = fst_json_make(out, FST_JSON_COMPACT);

	fst_json_open(&j, NULL, '{');
	fst_json_str(&j, "type", "correlation");
	json_header(&j, in);
	fst_json_close(&j, '}');
	fputc('\n', out);
	for (size_t i = 0; i < c->sessions.count; i++) {
		j = fst_json_make(out, FST_JSON_COMPACT);
		json_session(&j, c, i);
		fputc('\n', out);
	}
}

/* ---- HTML -------------------------------------------------------------- */

/* A ladder of the session's disagreements: the two points as columns
 * (the one nearer the client on the left), one row per segment; a lost
 * one stops with a cross between the columns, an injected one starts
 * there, dashed; a rewritten one crosses with a mark. */
static void html_ladder(FILE *out, const struct fst_correlate *c, const struct fst_corr_conn *k)
{
	enum fst_point left = c->clock.known ? c->clock.nearer_client : FST_POINT_A;
	const int x_left = 120, x_right = 520, x_mid = 320, row = 28;
	int height = 50 + row * (int)(k->segment_count ? k->segment_count : 1);

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" "
		"font-family=\"monospace\" font-size=\"11\">\n",
		height);
	fprintf(out, "<text x=\"%d\" y=\"14\" text-anchor=\"middle\">%s (%s)</text>\n", x_left,
		fst_point_name(left), point_role(c, left));
	fprintf(out, "<text x=\"%d\" y=\"14\" text-anchor=\"middle\">%s (%s)</text>\n", x_right,
		fst_point_name(corr_other(left)), point_role(c, corr_other(left)));
	fprintf(out, "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", x_left,
		x_left, height);
	fprintf(out, "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", x_right,
		x_right, height);
	if (k->segment_count == 0)
		fprintf(out,
			"<text x=\"%d\" y=\"44\" text-anchor=\"middle\">every segment that passed "
			"one point reached the other</text>\n",
			x_mid);
	for (size_t i = 0; i < k->segment_count; i++) {
		const struct fst_path_segment *s = &k->segments[i];
		int y = 40 + row * (int)i;
		bool rightward = s->from == FST_SIDE_CLIENT ? left == c->clock.nearer_client :
							      left != c->clock.nearer_client;
		int x_from = rightward ? x_left : x_right, x_to = rightward ? x_right : x_left;
		char when[32], flags[8], label[FST_PATH_TEXT_MAX + 96];

		fst_time_format_clock(s->ts_us, when, sizeof(when));
		flag_text(s->flags, flags, sizeof(flags));
		snprintf(label, sizeof(label), "%s %s %s %s%s", when, fst_path_kind_name(s->kind),
			 fst_side_name(s->from), s->text[0] ? s->text : flags,
			 s->repeats ? " (and its retransmissions)" : "");
		if (s->kind == FST_PATH_LOST) {
			fprintf(out,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c00\"/>",
				x_from, y, x_mid, y + 8);
			fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#c00\">&#x2715;</text>\n",
				x_mid - 4, y + 12);
		} else if (s->kind == FST_PATH_INJECTED) {
			fprintf(out,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c60\" "
				"stroke-dasharray=\"4 3\"/>",
				x_mid, y, x_to, y + 8);
			fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#c60\"/>\n", x_mid,
				y);
		} else {
			fprintf(out,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#06c\"/>",
				x_from, y, x_to, y + 8);
			fprintf(out,
				"<rect x=\"%d\" y=\"%d\" width=\"6\" height=\"6\" fill=\"#06c\"/>\n",
				x_mid - 3, y + 1);
		}
		fprintf(out, "<text x=\"%d\" y=\"%d\">", x_left + 6, y - 2);
		fst_report_html_text(out, label);
		fputs("</text>\n", out);
	}
	fputs("</svg>\n", out);
}

static void write_html(FILE *out, const struct fst_correlate_report *in)
{
	const struct fst_correlate *c = in->corr;
	char line[FST_WORDS_MAX];

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ftpstall correlate</title>"
	      "</head><body>\n<h1>ftpstall correlate</h1>\n<p>A = ",
	      out);
	fst_report_html_text(out, in->source[FST_POINT_A]);
	fputs(", B = ", out);
	fst_report_html_text(out, in->source[FST_POINT_B]);
	fputs("</p>\n", out);
	if (c->clock.known)
		fprintf(out,
			"<p>B's clock minus A's: %+.6f s; %s is nearer the client; one-way delay client to "
			"server %.6f s, server to client %.6f s</p>\n",
			c->clock.offset_s, fst_point_name(c->clock.nearer_client),
			c->clock.delay_to_server_s, c->clock.delay_to_client_s);
	for (size_t i = 0; i < c->sessions.count; i++) {
		const struct fst_corr_session *s = &c->sessions.items[i];

		fprintf(out, "<h2>session %zu: %s</h2>\n<p>", i + 1, fst_verdict_name(s->verdict));
		fst_correlate_words(c, s, line, sizeof(line));
		fst_report_html_text(out, line);
		fputs("</p>\n", out);
		if (fst_verdict_is_incident(s->verdict) && (s->proof_conn || s->control))
			html_ladder(out, c, s->proof_conn ? s->proof_conn : s->control);
	}
	fputs("</body></html>\n", out);
}

int fst_correlate_write(FILE *out, enum fst_report_format format,
			const struct fst_correlate_report *in)
{
	switch (format) {
	case FST_REPORT_TEXT:
		write_text(out, in, false);
		break;
	case FST_REPORT_MD:
		write_text(out, in, true);
		break;
	case FST_REPORT_JSON:
		write_json(out, in);
		break;
	case FST_REPORT_JSONL:
		write_jsonl(out, in);
		break;
	case FST_REPORT_HTML:
		write_html(out, in);
		break;
	case FST_REPORT_ECS: /* refused by the command line */
	case FST_REPORT_ZEEK:
	case FST_REPORT_FORMAT_COUNT:
		break;
	}
	return ferror(out) ? FST_ERR_IO : FST_OK;
}
