/* Private to src/tui: the monitor's state and what its views share.
 * tui.c owns the terminal and the keys, list.c the main view (session
 * table and incidents panel), detail.c the detail view, draw.c the text
 * and colour helpers every view writes through. */
#ifndef FTPSTALL_TUI_INTERNAL_H
#define FTPSTALL_TUI_INTERNAL_H

#include <curses.h>

#include "ftpstall/tui.h"

enum {
	TUI_MIN_COLS = 80,
	TUI_MIN_LINES = 12,
	TUI_INPUT_MAX = 256,	 /* prompt text (filter, file name) */
	TUI_MESSAGE_MAX = 640,	 /* status-line message, room for an errbuf */
	TUI_MAX_ROWS = 100000,	 /* sessions in the table; the rest are counted */
	TUI_MAX_EVENTS = 1 << 20 /* detail log entries; the rest are counted */
};

#define TUI_DEFAULT_TIMEOUT_S ((double)FST_TUI_DEFAULT_TIMEOUT_S)
#define TUI_DEFAULT_LINGER_US (120 * FST_US_PER_SEC)
#define TUI_DEFAULT_REPORT    "ftpstall-report.txt"

enum tui_mode {
	TUI_MODE_MAIN,
	TUI_MODE_DETAIL
};

enum tui_prompt {
	TUI_PROMPT_NONE,
	TUI_PROMPT_FILTER,
	TUI_PROMPT_WRITE
};

enum tui_sort {
	TUI_SORT_START,
	TUI_SORT_IDLE,
	TUI_SORT_VERDICT,
	TUI_SORT_COUNT
};

/* Everything drawn has one of these; draw.c maps it to colour or, on a
 * monochrome terminal (or NO_COLOR), to plain attributes. */
enum tui_style {
	TUI_STYLE_NORMAL,
	TUI_STYLE_HEADER,
	TUI_STYLE_STATUS,
	TUI_STYLE_DIM,	    /* finished sessions */
	TUI_STYLE_WARN,	    /* idle >= 80 % of the timeout */
	TUI_STYLE_ALARM,    /* idle past the timeout */
	TUI_STYLE_INCIDENT, /* a verdict worth a ticket */
	TUI_STYLE_CLEAN,
	TUI_STYLE_DATA, /* data transfer on the timeline */
	TUI_STYLE_WAIT_CLIENT,
	TUI_STYLE_WAIT_SERVER,
	TUI_STYLE_WAIT_OTHER, /* receiver window, network */
	TUI_STYLE_WAIT_CAPTURE,
	TUI_STYLE_COUNT
};

/* One session of the main table, measured at the view's now_us. */
struct tui_row {
	struct fst_session_result *result;
	bool finished; /* verdict FINAL: dimmed, no idle */
	double idle_s; /* -1 when finished */
};

/* One line of the detail view's event log: which record, not its text,
 * so that a long session costs 16 bytes per entry. */
struct tui_event {
	int64_t ts_us;
	uint8_t rank; /* orders entries of equal time */
	uint8_t kind; /* enum tui_event_kind in detail.c */
	uint32_t index;
};

struct fst_tui {
	struct fst_tui_cfg cfg;
	SCREEN *screen;
	bool color;
	bool quit, paused, help;
	enum tui_mode mode;
	enum tui_sort sort;
	char filter[TUI_INPUT_MAX];

	enum tui_prompt prompt;
	char input[TUI_INPUT_MAX];
	size_t input_len;
	char report_path[TUI_INPUT_MAX]; /* the last one written */
	char message[TUI_MESSAGE_MAX];	 /* shown until the next key */

	/* Main view: the selection follows the session, not the line. */
	struct tui_row *rows;
	size_t row_count, row_cap, rows_dropped;
	uint64_t selected_id;
	size_t cursor, top;
	int list_height; /* table lines at the last draw, for PgUp/PgDn */

	/* Detail view. */
	uint64_t detail_id;
	struct tui_event *events;
	size_t event_count, event_cap, events_dropped;
	size_t log_top;
	bool log_follow; /* stay at the newest entry as entries arrive */
	int log_height;
};

/* draw.c */
void tui_styles_init(struct fst_tui *tui);
attr_t tui_attr(const struct fst_tui *tui, enum tui_style style);
/* Network text to the terminal: control bytes and bytes >= 0x80 become
 * '?', so a hostile user name cannot move the cursor or switch charset. */
void tui_sanitize(char *dst, size_t size, const char *src);
/* Writes text (sanitised) at y,x, at most width cells (width <= 0: to the
 * right edge). Returns the cells written. */
int tui_put(const struct fst_tui *tui, int y, int x, int width, enum tui_style style,
	    const char *text);
int tui_putf(const struct fst_tui *tui, int y, int x, int width, enum tui_style style,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Fills a line with the style's background (status line, headers). */
void tui_fill_line(const struct fst_tui *tui, int y, enum tui_style style);
char *tui_format_bytes(uint64_t bytes, char *buf, size_t size);
char *tui_format_duration(double seconds, char *buf, size_t size);
char *tui_format_hms(int64_t ts_us, char *buf, size_t size);
void tui_draw_status(struct fst_tui *tui, const struct fst_tui_view *view);
void tui_draw_help(const struct fst_tui *tui);

/* list.c */
bool tui_result_finished(const struct fst_session_result *r);
/* Normal, warning from 80 % of the timeout, alarm past it. */
enum tui_style tui_idle_style(double idle_s, double timeout_s, const struct fst_ftp_session *s);
double tui_timeout_for(const struct fst_tui *tui, const struct fst_tui_view *view,
		       const struct fst_ftp_session *s, const char **why);
const char *tui_sort_name(enum tui_sort sort);
/* Rebuilds tui->rows: visible, filtered and sorted sessions, and keeps
 * the cursor on the selected session. */
void tui_rows_collect(struct fst_tui *tui, const struct fst_tui_view *view);
void tui_draw_main(struct fst_tui *tui, const struct fst_tui_view *view);

/* detail.c */
void tui_draw_detail(struct fst_tui *tui, const struct fst_tui_view *view);

#endif
