/* The sessions as the two points saw them, and their combined verdict:
 * what the path did between the points decides it when it did anything
 * (a segment lost, a reset injected); otherwise the views of the ends,
 * which no longer need to guess about the path. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The rules of docs/verdicts.md ("Two capture points"), in the order
 * decide() applies them; the unit test holds the page to this table. */
enum corr_rule {
	CORR_RULE_RESET_INJECTED,
	CORR_RULE_LOST,
	CORR_RULE_SERVER_VIEW,
	CORR_RULE_CLIENT_VIEW,
	CORR_RULE_ONE_POINT,
	CORR_RULE_COUNT
};

static const char *const rule_names[CORR_RULE_COUNT] = {
	[CORR_RULE_RESET_INJECTED] = "reset_injected_between_points",
	[CORR_RULE_LOST] = "lost_between_points",
	[CORR_RULE_SERVER_VIEW] = "path_clear_server_view",
	[CORR_RULE_CLIENT_VIEW] = "path_clear_client_view",
	[CORR_RULE_ONE_POINT] = "seen_at_one_point",
};

_Static_assert(sizeof(rule_names) / sizeof(rule_names[0]) == CORR_RULE_COUNT,
	       "a name for every rule");

size_t fst_correlate_rule_count(void)
{
	return CORR_RULE_COUNT;
}

const char *fst_correlate_rule_at(size_t index)
{
	return index < CORR_RULE_COUNT ? rule_names[index] : NULL;
}

/* The connection of a session's control connection at point. */
static const struct fst_corr_conn *control_of(const struct fst_correlate *c, enum fst_point point,
					      const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;

	return fst_correlate_find(c, point, &s->client_addr, s->client_port, &s->server_addr,
				  s->server_port);
}

static bool both_seen(const struct fst_corr_conn *k)
{
	return k && k->seen[FST_POINT_A] && k->seen[FST_POINT_B];
}

/* The earliest kept segment of kind on k (with flag set in its flags
 * when flag is not 0; else one carrying bytes or a FIN), or NULL. */
static const struct fst_path_segment *first_segment(const struct fst_corr_conn *k,
						    enum fst_path_kind kind, uint8_t flag)
{
	const struct fst_path_segment *best = NULL;

	if (!k)
		return NULL;
	for (size_t i = 0; i < k->segment_count; i++) {
		const struct fst_path_segment *s = &k->segments[i];
		bool fits = flag ? (s->flags & flag) != 0 :
				   (s->len > 0 || (s->flags & (FST_TCP_FIN | FST_TCP_SYN)));

		if (s->kind == kind && fits && (!best || s->ts_us < best->ts_us))
			best = s;
	}
	return best;
}

/* The data connections of a session, as the correlation knows them. */
static void add_data_counts(const struct fst_correlate *c, struct fst_corr_session *cs,
			    enum fst_point point, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;

	for (size_t i = 0; i < s->transfer_count; i++) {
		const struct fst_ftp_transfer *t = &s->transfers[i];
		const struct fst_corr_conn *k;

		if (!t->data_seen)
			continue;
		k = fst_correlate_find(c, point, &t->data_client_addr, t->data_client_port,
				       &t->data_server_addr, t->data_server_port);
		if (!both_seen(k))
			continue;
		for (int kind = 0; kind < FST_PATH_KIND_COUNT; kind++)
			cs->counts[kind] += k->counts[kind];
		if (!cs->proof && first_segment(k, FST_PATH_LOST, 0)) {
			cs->proof = first_segment(k, FST_PATH_LOST, 0);
			cs->proof_conn = k;
		}
	}
}

/* The view that speaks for a side: the point nearer it (A when unknown). */
static const struct fst_session_result *
view_near(const struct fst_correlate *c, const struct fst_corr_session *cs, enum fst_side side)
{
	enum fst_point p = FST_POINT_A;

	if (c->clock.known)
		p = side == FST_SIDE_CLIENT ? c->clock.nearer_client :
					      corr_other(c->clock.nearer_client);
	return cs->view[p] ? cs->view[p] : cs->view[corr_other(p)];
}

/* The idle before a segment in seconds, -1 when it was its connection's
 * first at that point (a capture that began then). */
static double idle_of(const struct fst_path_segment *s)
{
	return s->idle_before_us < 0 ? -1 : fst_seconds(s->idle_before_us);
}

/* The combined verdict of cs (views and control set). */
static void decide(const struct fst_correlate *c, struct fst_corr_session *cs)
{
	const struct fst_session_result *client_view = view_near(c, cs, FST_SIDE_CLIENT);
	const struct fst_session_result *server_view = view_near(c, cs, FST_SIDE_SERVER);
	const struct fst_path_segment *reset =
		first_segment(cs->control, FST_PATH_INJECTED, FST_TCP_RST);
	const struct fst_path_segment *lost = first_segment(cs->control, FST_PATH_LOST, 0);

	cs->close_by = client_view->close.by;
	cs->idle_s = -1;
	if (!cs->proof_conn || lost)
		cs->proof = NULL;
	if (reset) {
		cs->verdict = FST_VERDICT_MIDDLEBOX_RESET;
		cs->stalled_side = FST_STALLED_NETWORK;
		cs->rule = rule_names[CORR_RULE_RESET_INJECTED];
		cs->proof = reset;
		cs->proof_conn = cs->control;
		/* The idle that counts is the one before the write the path
		 * refused, when a lost one came first. */
		cs->idle_s = idle_of(lost && lost->ts_us <= reset->ts_us + FST_US_PER_SEC ? lost :
											    reset);
		cs->close_by = FST_CLOSE_BY_MIDDLEBOX;
		return;
	}
	if (lost || cs->proof) {
		cs->verdict = FST_VERDICT_MIDDLEBOX_DROP;
		cs->stalled_side = FST_STALLED_NETWORK;
		cs->rule = rule_names[CORR_RULE_LOST];
		if (lost) {
			cs->proof = lost;
			cs->proof_conn = cs->control;
		}
		cs->idle_s = idle_of(cs->proof);
		return;
	}
	/* The path carried everything: a middlebox verdict of one view came
	 * from what that point could not see; the other end's says what
	 * happened. */
	if (server_view->verdict != client_view->verdict &&
	    (client_view->verdict == FST_VERDICT_MIDDLEBOX_DROP ||
	     client_view->verdict == FST_VERDICT_MIDDLEBOX_RESET ||
	     client_view->verdict == FST_VERDICT_INCOMPLETE)) {
		cs->verdict = server_view->verdict;
		cs->stalled_side = server_view->stalled_side;
		cs->rule = rule_names[CORR_RULE_SERVER_VIEW];
		return;
	}
	cs->verdict = client_view->verdict;
	cs->stalled_side = client_view->stalled_side;
	cs->rule = rule_names[cs->control ? CORR_RULE_CLIENT_VIEW : CORR_RULE_ONE_POINT];
}

void corr_sessions_free(struct corr_session_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = 0;
	list->cap = 0;
}

/* A new, zeroed session at the end of list, or NULL out of memory. The
 * list doubles, so that a capture of many sessions costs no more than
 * twice their size in copies. */
static struct fst_corr_session *session_add(struct corr_session_list *list)
{
	struct fst_corr_session *item;

	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct fst_corr_session *grown = realloc(list->items, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		list->items = grown;
		list->cap = cap;
	}
	item = &list->items[list->count++];
	memset(item, 0, sizeof(*item));
	return item;
}

/* The index of a connection of c (a root's public part). */
static size_t conn_index_of(const struct fst_correlate *c, const struct fst_corr_conn *k)
{
	return (size_t)((const struct corr_conn *)(const void *)k - c->conns);
}

int fst_correlate_sessions(struct fst_correlate *c, struct fst_analysis *a, struct fst_analysis *b)
{
	/* B's session of each connection, and whether an A session took it:
	 * one pass over each list, whatever their lengths. */
	const struct fst_session_result **b_of = calloc(c->conn_count + 1, sizeof(*b_of));
	bool *taken = calloc(c->conn_count + 1, sizeof(*taken));
	int rc = FST_ERR_NOMEM;

	corr_sessions_free(&c->sessions);
	if (!b_of || !taken)
		goto out_free;
	for (struct fst_session_result *q = fst_analysis_results(b); q; q = q->next) {
		const struct fst_corr_conn *k = control_of(c, FST_POINT_B, q);

		if (both_seen(k))
			b_of[conn_index_of(c, k)] = q;
	}
	/* A's sessions first, each with B's of the same control connection;
	 * then B's that had none. */
	for (struct fst_session_result *r = fst_analysis_results(a); r; r = r->next) {
		const struct fst_corr_conn *k = control_of(c, FST_POINT_A, r);
		struct fst_corr_session *cs = session_add(&c->sessions);

		if (!cs)
			goto out_free;
		cs->view[FST_POINT_A] = r;
		if (!both_seen(k))
			continue;
		cs->control = k;
		cs->view[FST_POINT_B] = b_of[conn_index_of(c, k)];
		taken[conn_index_of(c, k)] = true;
	}
	for (struct fst_session_result *q = fst_analysis_results(b); q; q = q->next) {
		const struct fst_corr_conn *k = control_of(c, FST_POINT_B, q);
		struct fst_corr_session *cs;

		if (both_seen(k) && taken[conn_index_of(c, k)] && b_of[conn_index_of(c, k)] == q)
			continue;
		cs = session_add(&c->sessions);
		if (!cs)
			goto out_free;
		cs->view[FST_POINT_B] = q;
		if (both_seen(k))
			cs->control = k;
	}
	for (size_t i = 0; i < c->sessions.count; i++) {
		struct fst_corr_session *cs = &c->sessions.items[i];

		if (cs->control) {
			for (int kind = 0; kind < FST_PATH_KIND_COUNT; kind++)
				cs->counts[kind] += cs->control->counts[kind];
			for (int pt = 0; pt < FST_POINT_COUNT; pt++)
				if (cs->view[pt])
					add_data_counts(c, cs, (enum fst_point)pt, cs->view[pt]);
		}
		decide(c, cs);
	}
	rc = FST_OK;
out_free:
	free(b_of);
	free(taken);
	return rc;
}

size_t fst_correlate_session_count(const struct fst_correlate *c)
{
	return c->sessions.count;
}

const struct fst_corr_session *fst_correlate_session_at(const struct fst_correlate *c, size_t index)
{
	return index < c->sessions.count ? &c->sessions.items[index] : NULL;
}

/* What a segment was, for a sentence: a reply's code, a command's verb,
 * a FIN or a reset, else its size. */
static void segment_name(const struct fst_path_segment *s, char *buf, size_t size)
{
	size_t word = strcspn(s->text, " ");

	if (s->flags & FST_TCP_RST)
		snprintf(buf, size, "a reset");
	else if (s->len == 0 && (s->flags & FST_TCP_FIN))
		snprintf(buf, size, "its FIN");
	else if (s->len == 0 && (s->flags & FST_TCP_SYN))
		snprintf(buf, size, "its SYN");
	else if (s->from == FST_SIDE_SERVER && word == 3 && s->text[0] >= '1' && s->text[0] <= '5')
		snprintf(buf, size, "%.3s", s->text);
	else if (s->from == FST_SIDE_CLIENT && word >= 3 && word <= 4)
		snprintf(buf, size, "%.*s", (int)word, s->text);
	else
		snprintf(buf, size, "a segment of %u bytes", s->len);
}

size_t fst_correlate_words(const struct fst_correlate *c, const struct fst_corr_session *s,
			   char *buf, size_t size)
{
	const struct fst_path_segment *p = s->proof;
	const char *conn = s->proof_conn == s->control ? "control" : "data";
	char when[32], what[FST_PATH_TEXT_MAX + 24], again[48] = "", idle[128];
	const char *sender, *receiver;

	if (!p) {
		const struct fst_session_result *v = view_near(c, s, FST_SIDE_CLIENT);
		const struct fst_path_segment *rw;
		char rewrite[2 * FST_PATH_TEXT_MAX + 64] = "";

		if (s->rule == rule_names[CORR_RULE_SERVER_VIEW])
			v = view_near(c, s, FST_SIDE_SERVER);
		if (!s->control)
			return (size_t)snprintf(buf, size,
						"seen at %s only: its view is all there is; %s",
						s->view[FST_POINT_A] ? "A" : "B",
						fst_verdict_name(v->verdict));
		rw = first_segment(s->control, FST_PATH_REWRITTEN, 0);
		if (rw && (rw->changed & FST_REWRITE_PAYLOAD))
			snprintf(rewrite, sizeof(rewrite), "; on the way \"%s\" became \"%s\"",
				 rw->text, rw->text_after);
		else if (s->counts[FST_PATH_REWRITTEN])
			snprintf(rewrite, sizeof(rewrite),
				 "; %llu segments were rewritten on the way",
				 (unsigned long long)s->counts[FST_PATH_REWRITTEN]);
		return (size_t)snprintf(
			buf, size,
			"every segment that passed one capture point reached the other: "
			"the path is not to blame; the %s's view decides (%s)%s",
			v == view_near(c, s, FST_SIDE_SERVER) &&
					v != view_near(c, s, FST_SIDE_CLIENT) ?
				"server" :
				"client",
			fst_verdict_name(s->verdict), rewrite);
	}
	sender = p->from == FST_SIDE_SERVER ? "server" : "client";
	receiver = p->from == FST_SIDE_SERVER ? "client" : "server";
	fst_time_format_clock(p->ts_us, when, sizeof(when));
	when[12] = '\0'; /* milliseconds */
	segment_name(p, what, sizeof(what));
	if (s->idle_s >= 0)
		snprintf(idle, sizeof(idle), " after the %s connection had been idle %.1f s", conn,
			 s->idle_s);
	else
		snprintf(idle, sizeof(idle),
			 " (the capture that saw it began with it: the %s "
			 "connection's idle before it is unknown)",
			 conn);
	if (p->kind == FST_PATH_INJECTED) {
		uint8_t usual = s->proof_conn->passed_ttl[p->seen_at][p->from];
		char ttl[48];

		if (usual && usual != p->ttl)
			snprintf(ttl, sizeof(ttl), "TTL %u, the %s's packets %u", p->ttl, sender,
				 usual);
		else
			snprintf(ttl, sizeof(ttl), "TTL %u", p->ttl);
		return (size_t)snprintf(
			buf, size,
			"the %s received %s in the %s's name at %s (%s) that the %s never sent: "
			"the path between the two capture points forged it%s",
			receiver, what, sender, when, ttl, sender, idle);
	}
	if (p->repeats == 1)
		snprintf(again, sizeof(again), " and retransmitted it once");
	else if (p->repeats > 1)
		snprintf(again, sizeof(again), " and retransmitted it %u times", p->repeats);
	return (size_t)snprintf(
		buf, size,
		"the %s sent %s at %s%s; %s reached the %s: the path between the two "
		"capture points dropped it%s",
		sender, what, when, again, p->repeats ? "none" : "it never", receiver, idle);
}
