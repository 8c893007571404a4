/* The main view: one row per session (a static table of columns that
 * narrow terminals drop from the least needed up), the incidents panel
 * below it. Idle is coloured against the timeout: normal, warning from
 * 80 %, alarm past it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
	INCIDENT_LINES = 5,
	CELL_MAX = 96
};

#define WARN_RATIO 0.8

/* Only a side that owes a move can be late: after a close began with
 * nothing pending, the idle is shown but not alarming. */
enum tui_style tui_idle_style(double idle_s, double timeout_s, const struct fst_ftp_session *s)
{
	if (idle_s < 0 || s->turn.side == FST_SIDE_NONE)
		return TUI_STYLE_NORMAL;
	if (idle_s > timeout_s)
		return TUI_STYLE_ALARM;
	if (idle_s >= WARN_RATIO * timeout_s)
		return TUI_STYLE_WARN;
	return TUI_STYLE_NORMAL;
}

bool tui_result_finished(const struct fst_session_result *r)
{
	return r->verdict_state == FST_VERDICT_FINAL;
}

/* When a session was last heard of: its end, else its last activity. */
static int64_t result_end_us(const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;

	return s->end_us ? s->end_us : s->last_us;
}

/* --timeout if given, else the server's observed idle timeout (it is
 * refreshed whenever the caller runs fst_analysis_finish), else 300 s.
 * *why says which, for the detail view. */
double tui_timeout_for(const struct fst_tui *tui, const struct fst_tui_view *view,
		       const struct fst_ftp_session *s, const char **why)
{
	*why = "--timeout";
	if (tui->cfg.timeout_s > 0)
		return tui->cfg.timeout_s;
	*why = "server estimate";
	for (const struct fst_server_estimate *e = fst_analysis_servers(view->analysis); e;
	     e = e->next)
		if (e->port == s->server_port && fst_addr_equal(&e->addr, &s->server_addr) &&
		    e->observations > 0 && e->idle_timeout_s > 0)
			return e->idle_timeout_s;
	*why = "default";
	return TUI_DEFAULT_TIMEOUT_S;
}

/* ---- columns ----------------------------------------------------------- */

/* What a cell function sees. */
struct cell_ctx {
	const struct fst_tui *tui;
	const struct fst_tui_view *view;
	const struct tui_row *row;
	const struct fst_ftp_session *s;
};

typedef enum tui_style (*cell_fn)(const struct cell_ctx *c, char *buf, size_t size);

static enum tui_style cell_id(const struct cell_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "%llu", (unsigned long long)c->s->id);
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_client(const struct cell_ctx *c, char *buf, size_t size)
{
	fst_endpoint_format(&c->s->client_addr, c->s->client_port, buf, size);
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_server(const struct cell_ctx *c, char *buf, size_t size)
{
	fst_endpoint_format(&c->s->server_addr, c->s->server_port, buf, size);
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_user(const struct cell_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s", c->s->user_name[0] ? c->s->user_name : "-");
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_state(const struct cell_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s", fst_ftp_state_name(c->s->state));
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_command(const struct cell_ctx *c, char *buf, size_t size)
{
	const struct fst_ftp_recorded_command *cmd;

	if (c->s->command_count == 0) {
		snprintf(buf, size, "-");
		return TUI_STYLE_NORMAL;
	}
	cmd = &c->s->commands[c->s->command_count - 1].cmd;
	snprintf(buf, size, "%s",
		 cmd->verb_text[0] ? cmd->verb_text : fst_ftp_verb_info(cmd->verb)->name);
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_turn(const struct cell_ctx *c, char *buf, size_t size)
{
	const struct fst_ftp_turn *t = &c->s->turn;

	if (t->side == FST_SIDE_NONE || c->row->finished)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%s%s", fst_side_name(t->side),
			 t->channel == FST_CHANNEL_DATA ? "/data" : "");
	return TUI_STYLE_NORMAL;
}

static enum tui_style cell_idle(const struct cell_ctx *c, char *buf, size_t size)
{
	const char *why;

	tui_format_duration(c->row->idle_s, buf, size);
	return tui_idle_style(c->row->idle_s, tui_timeout_for(c->tui, c->view, c->s, &why), c->s);
}

/* The running transfer's bytes and its rate since its first data. */
static enum tui_style cell_progress(const struct cell_ctx *c, char *buf, size_t size)
{
	const struct fst_ftp_transfer *t = NULL;
	char bytes[16], rate[16];

	for (size_t i = c->s->transfer_count; i-- > 0;)
		if (c->s->transfers[i].outcome == FST_OUTCOME_PENDING) {
			t = &c->s->transfers[i];
			break;
		}
	if (!t || c->row->finished) {
		snprintf(buf, size, "-");
		return TUI_STYLE_NORMAL;
	}
	tui_format_bytes(t->bytes, bytes, sizeof(bytes));
	if (t->start_us && c->view->now_us > t->start_us) {
		double secs = (double)(c->view->now_us - t->start_us) / 1e6;

		tui_format_bytes((uint64_t)((double)t->bytes / secs), rate, sizeof(rate));
		snprintf(buf, size, "%s %s/s", bytes, rate);
	} else {
		snprintf(buf, size, "%s", bytes);
	}
	return TUI_STYLE_DATA;
}

static enum tui_style cell_verdict(const struct cell_ctx *c, char *buf, size_t size)
{
	const struct fst_session_result *r = c->row->result;

	if (r->verdict_state == FST_VERDICT_PENDING) {
		snprintf(buf, size, "-");
		return TUI_STYLE_NORMAL;
	}
	/* '?': the close has begun but the verdict may still change. */
	snprintf(buf, size, "%s%s", fst_verdict_name(r->verdict),
		 r->verdict_state == FST_VERDICT_PROVISIONAL ? "?" : "");
	return fst_verdict_is_incident(r->verdict) ? TUI_STYLE_INCIDENT : TUI_STYLE_CLEAN;
}

enum column {
	COL_ID,
	COL_CLIENT,
	COL_SERVER,
	COL_USER,
	COL_STATE,
	COL_COMMAND,
	COL_TURN,
	COL_IDLE,
	COL_PROGRESS,
	COL_VERDICT,
	COL_COUNT
};

/* Widths: as wide as the widest cell on the screen (or the title), at
 * most max (IPv6 addresses). A narrow terminal first cuts columns to
 * min, then drops them by descending drop (0: never); room goes back to
 * columns by ascending grow. 80 columns keep client, server, user,
 * state, turn, idle and verdict. */
static const struct column_def {
	const char *title;
	int min, max;
	int drop, grow;
	cell_fn cell;
} columns[] = {
	[COL_ID] = { "ID", 3, 8, 5, 7, cell_id },
	[COL_CLIENT] = { "CLIENT", 15, 47, 0, 2, cell_client },
	[COL_SERVER] = { "SERVER", 15, 47, 0, 2, cell_server },
	[COL_USER] = { "USER", 6, 24, 2, 3, cell_user },
	[COL_STATE] = { "STATE", 10, 14, 1, 3, cell_state },
	[COL_COMMAND] = { "CMD", 4, 15, 4, 6, cell_command },
	[COL_TURN] = { "TURN", 8, 11, 0, 1, cell_turn },
	[COL_IDLE] = { "IDLE", 6, 7, 0, 0, cell_idle },
	[COL_PROGRESS] = { "XFER", 14, 20, 3, 4, cell_progress },
	[COL_VERDICT] = { "VERDICT", 12, 24, 0, 0, cell_verdict },
};
_Static_assert(sizeof(columns) / sizeof(columns[0]) == COL_COUNT, "a definition per column");

enum {
	GROW_RANKS = 8,
	ROW_MARGIN = 2 /* the selection marker and a space */
};

/* The width each column would like: its widest cell on the screen. */
static void measure_columns(const struct fst_tui *tui, const struct fst_tui_view *view,
			    size_t first, size_t count, int need[COL_COUNT])
{
	for (int c = 0; c < COL_COUNT; c++)
		need[c] = (int)strlen(columns[c].title);
	for (size_t i = first; i < first + count && i < tui->row_count; i++) {
		struct cell_ctx ctx = { tui, view, &tui->rows[i], tui->rows[i].result->session };

		for (int c = 0; c < COL_COUNT; c++) {
			char text[CELL_MAX];
			int len;

			columns[c].cell(&ctx, text, sizeof(text));
			len = (int)strlen(text);
			need[c] = len > need[c] ? len : need[c];
		}
	}
	for (int c = 0; c < COL_COUNT; c++)
		need[c] = need[c] > columns[c].max ? columns[c].max : need[c];
}

/* Column widths for this terminal width; 0 means dropped. */
static void layout_columns(int avail, const int need[COL_COUNT], int width[COL_COUNT])
{
	int total = -1; /* n columns have n - 1 separators */

	/* Narrower than min when the content is: room for the others. */
	for (int c = 0; c < COL_COUNT; c++) {
		width[c] = need[c] < columns[c].min ? need[c] : columns[c].min;
		total += width[c] + 1;
	}
	while (total > avail) {
		int victim = -1;

		for (int c = 0; c < COL_COUNT; c++)
			if (width[c] && columns[c].drop &&
			    (victim < 0 || columns[c].drop > columns[victim].drop))
				victim = c;
		if (victim < 0)
			break;
		total -= width[victim] + 1;
		width[victim] = 0;
	}
	for (int rank = 0; rank < GROW_RANKS; rank++)
		for (int c = 0; c < COL_COUNT && total < avail; c++)
			if (width[c] && columns[c].grow == rank && need[c] > width[c]) {
				int more = need[c] - width[c];

				more = more < avail - total ? more : avail - total;
				width[c] += more;
				total += more;
			}
}

/* A cell that does not fit ends in '~', so a cut value is never taken
 * for a whole one. */
static void put_cell(int y, int x, int width, attr_t attr, char *text)
{
	if ((int)strlen(text) > width && width > 0) {
		text[width - 1] = '~';
		text[width] = '\0';
	}
	attrset(attr);
	mvaddnstr(y, x, text, width);
	attrset(A_NORMAL);
}

static void draw_header(const struct fst_tui *tui, int y, const int width[COL_COUNT])
{
	int x = ROW_MARGIN;

	tui_fill_line(tui, y, TUI_STYLE_HEADER);
	for (int c = 0; c < COL_COUNT; c++) {
		if (!width[c])
			continue;
		tui_put(tui, y, x, width[c], TUI_STYLE_HEADER, columns[c].title);
		x += width[c] + 1;
	}
}

static void draw_row(const struct fst_tui *tui, const struct fst_tui_view *view, int y,
		     const struct tui_row *row, bool selected, const int width[COL_COUNT])
{
	struct cell_ctx ctx = { tui, view, row, row->result->session };
	attr_t base = (row->finished ? A_DIM : A_NORMAL) | (selected ? A_REVERSE : A_NORMAL);
	int x = ROW_MARGIN;

	mvhline(y, 0, ' ' | base, COLS);
	if (selected)
		mvaddch(y, 0, '>' | base);
	for (int c = 0; c < COL_COUNT; c++) {
		char raw[CELL_MAX], text[CELL_MAX];
		enum tui_style style;

		if (!width[c])
			continue;
		attr_t attr;

		style = columns[c].cell(&ctx, raw, sizeof(raw));
		tui_sanitize(text, sizeof(text), raw);
		attr = tui_attr(tui, style) | base;
		/* On the selected (reversed) row an alarm drawn in reverse
		 * would vanish: there it is the one cell that is not. */
		if (selected && style == TUI_STYLE_ALARM)
			attr = (attr & ~A_REVERSE) | A_UNDERLINE;
		put_cell(y, x, width[c], attr, text);
		x += width[c] + 1;
	}
}

/* ---- rows: visibility, filter, sort --------------------------------------- */

/* Ended sessions stay for the linger time of packet time, then go. */
static bool result_hidden(const struct fst_tui *tui, const struct fst_tui_view *view,
			  const struct fst_session_result *r)
{
	return tui_result_finished(r) &&
	       view->now_us - result_end_us(r) > tui->cfg.finished_linger_us;
}

/* A substring of the client, the server ("ip:port") or the user. */
static bool result_matches(const struct fst_tui *tui, const struct fst_session_result *r)
{
	const struct fst_ftp_session *s = r->session;
	char client[64], server[64];

	if (!tui->filter[0])
		return true;
	fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client));
	fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server));
	return strcasestr(client, tui->filter) || strcasestr(server, tui->filter) ||
	       strcasestr(s->user_name, tui->filter);
}

static int compare_start(const struct tui_row *a, const struct tui_row *b)
{
	const struct fst_ftp_session *sa = a->result->session, *sb = b->result->session;

	if (sa->start_us != sb->start_us)
		return sa->start_us < sb->start_us ? -1 : 1;
	return sa->id < sb->id ? -1 : sa->id > sb->id;
}

static int sort_start(const void *pa, const void *pb)
{
	return compare_start(pa, pb);
}

/* Longest idle first; ended sessions (idle -1) last. */
static int sort_idle(const void *pa, const void *pb)
{
	const struct tui_row *a = pa, *b = pb;

	if (a->idle_s != b->idle_s)
		return a->idle_s > b->idle_s ? -1 : 1;
	return compare_start(a, b);
}

/* Incidents first (in verdict order), then the other verdicts, then the
 * sessions still running. */
static int verdict_rank(const struct fst_session_result *r)
{
	if (r->verdict_state == FST_VERDICT_PENDING)
		return 2 * FST_VERDICT_COUNT;
	return fst_verdict_is_incident(r->verdict) ? (int)r->verdict :
						     FST_VERDICT_COUNT + (int)r->verdict;
}

static int sort_verdict(const void *pa, const void *pb)
{
	const struct tui_row *a = pa, *b = pb;
	int ra = verdict_rank(a->result), rb = verdict_rank(b->result);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return compare_start(a, b);
}

static const struct sort_def {
	const char *name;
	int (*compare)(const void *, const void *);
} sorts[] = {
	[TUI_SORT_START] = { "start", sort_start },
	[TUI_SORT_IDLE] = { "idle", sort_idle },
	[TUI_SORT_VERDICT] = { "verdict", sort_verdict },
};
_Static_assert(sizeof(sorts) / sizeof(sorts[0]) == TUI_SORT_COUNT, "a definition per sort");

const char *tui_sort_name(enum tui_sort sort)
{
	return sorts[sort].name;
}

/* Room for one more row, up to TUI_MAX_ROWS. */
static bool rows_reserve(struct fst_tui *tui)
{
	size_t cap = tui->row_cap ? tui->row_cap * 2 : 64;
	struct tui_row *grown;

	if (tui->row_count < tui->row_cap)
		return true;
	if (tui->row_cap >= TUI_MAX_ROWS)
		return false;
	if (cap > TUI_MAX_ROWS)
		cap = TUI_MAX_ROWS;
	grown = realloc(tui->rows, cap * sizeof(*grown));
	if (!grown)
		return false;
	tui->rows = grown;
	tui->row_cap = cap;
	return true;
}

/* The cursor follows the selected session; if it went (ended long ago,
 * filtered out), the line under the cursor becomes the selection. */
static void place_cursor(struct fst_tui *tui)
{
	for (size_t i = 0; i < tui->row_count; i++)
		if (tui->rows[i].result->session->id == tui->selected_id) {
			tui->cursor = i;
			return;
		}
	if (tui->row_count == 0) {
		tui->cursor = 0;
		return;
	}
	if (tui->cursor >= tui->row_count)
		tui->cursor = tui->row_count - 1;
	tui->selected_id = tui->rows[tui->cursor].result->session->id;
}

void tui_rows_collect(struct fst_tui *tui, const struct fst_tui_view *view)
{
	tui->row_count = 0;
	tui->rows_dropped = 0;
	for (struct fst_session_result *r = view->analysis ? fst_analysis_results(view->analysis) :
							     NULL;
	     r; r = r->next) {
		struct tui_row *row;

		if (result_hidden(tui, view, r) || !result_matches(tui, r))
			continue;
		if (!rows_reserve(tui)) {
			tui->rows_dropped++;
			continue;
		}
		row = &tui->rows[tui->row_count++];
		row->result = r;
		row->finished = tui_result_finished(r);
		row->idle_s = row->finished ? -1 : fst_analysis_idle_s(r, view->now_us);
	}
	if (tui->row_count > 1)
		qsort(tui->rows, tui->row_count, sizeof(tui->rows[0]), sorts[tui->sort].compare);
	place_cursor(tui);
}

/* ---- incidents panel ------------------------------------------------------ */

struct incident {
	const struct fst_session_result *result;
	int64_t ts_us;
};

/* When the incident happened: the close, else the session's end. */
static int64_t incident_time(const struct fst_session_result *r)
{
	return r->close.by != FST_CLOSE_BY_NONE ? r->close.ts_us : result_end_us(r);
}

/* The newest max incidents into top[], newest first; returns how many
 * there are in all. */
static size_t newest_incidents(const struct fst_tui_view *view, struct incident *top, size_t max,
			       size_t *shown)
{
	size_t total = 0, n = 0;

	for (const struct fst_session_result *r =
		     view->analysis ? fst_analysis_results(view->analysis) : NULL;
	     r; r = r->next) {
		struct incident item = { r, incident_time(r) };
		size_t at;

		if (r->verdict_state == FST_VERDICT_PENDING || !fst_verdict_is_incident(r->verdict))
			continue;
		total++;
		at = n < max ? n++ : max;
		/* Insertion into the short sorted list; ties keep the later session first. */
		while (at > 0 && top[at - 1].ts_us <= item.ts_us) {
			if (at < max)
				top[at] = top[at - 1];
			at--;
		}
		if (at < max)
			top[at] = item;
	}
	*shown = n;
	return total;
}

/* "04:29:39  #12    idle_timeout        client -> server  user x  stalled: client" */
static void draw_incident(const struct fst_tui *tui, int y, const struct incident *inc)
{
	const struct fst_session_result *r = inc->result;
	const struct fst_ftp_session *s = r->session;
	char when[16], client[64], server[64];

	tui_put(tui, y, 1, 8, TUI_STYLE_NORMAL, tui_format_hms(inc->ts_us, when, sizeof(when)));
	tui_putf(tui, y, 11, 7, TUI_STYLE_NORMAL, "#%llu", (unsigned long long)s->id);
	tui_putf(tui, y, 18, 21, TUI_STYLE_INCIDENT, "%s%s", fst_verdict_name(r->verdict),
		 r->verdict_state == FST_VERDICT_PROVISIONAL ? "?" : "");
	tui_putf(tui, y, 40, 0, TUI_STYLE_NORMAL, "%s -> %s%s%s  stalled: %s",
		 fst_endpoint_format(&s->client_addr, s->client_port, client, sizeof(client)),
		 fst_endpoint_format(&s->server_addr, s->server_port, server, sizeof(server)),
		 s->user_name[0] ? "  user " : "", s->user_name,
		 fst_stalled_side_name(r->stalled_side));
}

/* The newest incidents, gathered once per draw. */
struct incidents {
	struct incident top[INCIDENT_LINES];
	size_t shown, total;
};

/* A title and up to INCIDENT_LINES, fewer on a short terminal. */
static int incidents_height(const struct incidents *inc)
{
	int lines = 1 + (inc->shown ? (int)inc->shown : 1);

	/* Keep three table lines on the smallest terminal. */
	return lines > LINES - 6 ? LINES - 6 : lines;
}

static void draw_incidents(const struct fst_tui *tui, const struct incidents *inc, int y,
			   int height)
{
	mvhline(y, 0, '-' | tui_attr(tui, TUI_STYLE_HEADER), COLS);
	tui_putf(tui, y, 2, 0, TUI_STYLE_HEADER, " incidents: %zu%s ", inc->total,
		 inc->total ? ", newest first" : "");
	if (!inc->total) {
		tui_put(tui, y + 1, 1, 0, TUI_STYLE_DIM, "none so far");
		return;
	}
	for (int i = 0; i < height - 1 && (size_t)i < inc->shown; i++)
		draw_incident(tui, y + 1 + i, &inc->top[i]);
}

/* ---- the view ------------------------------------------------------------------ */

static void draw_title(const struct fst_tui *tui, int list_height)
{
	int x = tui_putf(tui, 0, 0, 0, TUI_STYLE_HEADER, "ftpstall watch  %zu shown",
			 tui->row_count);

	if (tui->row_count > (size_t)list_height)
		x += tui_putf(tui, 0, x, 0, TUI_STYLE_NORMAL, " (%zu-%zu)", tui->top + 1,
			      tui->top + (size_t)list_height < tui->row_count ?
				      tui->top + (size_t)list_height :
				      tui->row_count);
	if (tui->rows_dropped)
		x += tui_putf(tui, 0, x, 0, TUI_STYLE_WARN, ", %zu not shown (table full)",
			      tui->rows_dropped);
	x += tui_putf(tui, 0, x, 0, TUI_STYLE_NORMAL, "  sort: %s", tui_sort_name(tui->sort));
	if (tui->filter[0])
		x += tui_putf(tui, 0, x, 0, TUI_STYLE_NORMAL, "  filter: \"%s\"", tui->filter);
	if (tui->cfg.timeout_s > 0)
		tui_putf(tui, 0, x, 0, TUI_STYLE_NORMAL, "  idle timeout: %.0f s",
			 tui->cfg.timeout_s);
	else
		tui_put(tui, 0, x, 0, TUI_STYLE_NORMAL, "  idle timeout: server's, else 300 s");
}

/* Keeps the cursor's line on the screen. */
static void scroll_to_cursor(struct fst_tui *tui, int list_height)
{
	size_t height = (size_t)list_height;

	if (tui->cursor < tui->top)
		tui->top = tui->cursor;
	if (tui->cursor >= tui->top + height)
		tui->top = tui->cursor - height + 1;
	if (tui->top + height > tui->row_count)
		tui->top = tui->row_count > height ? tui->row_count - height : 0;
}

void tui_draw_main(struct fst_tui *tui, const struct fst_tui_view *view)
{
	int need[COL_COUNT], width[COL_COUNT];
	struct incidents inc;
	int panel, list_height;

	inc.total = newest_incidents(view, inc.top, INCIDENT_LINES, &inc.shown);
	panel = incidents_height(&inc);
	list_height = LINES - 3 - panel; /* title, header, status */

	tui->list_height = list_height;
	scroll_to_cursor(tui, list_height);
	measure_columns(tui, view, tui->top, (size_t)list_height, need);
	layout_columns(COLS - ROW_MARGIN, need, width);
	draw_title(tui, list_height);
	draw_header(tui, 1, width);
	if (tui->row_count == 0)
		tui_put(tui, 2, ROW_MARGIN, 0, TUI_STYLE_DIM,
			tui->filter[0] ? "no session matches the filter" : "no FTP session yet");
	for (int i = 0; i < list_height && tui->top + (size_t)i < tui->row_count; i++) {
		size_t at = tui->top + (size_t)i;

		draw_row(tui, view, 2 + i, &tui->rows[at], at == tui->cursor, width);
	}
	draw_incidents(tui, &inc, 2 + list_height, panel);
}
