/* The live monitor's terminal: takes it over and gives it back, reads
 * keys without ever blocking, and dispatches them through one table.
 * No signal handlers here: ncurses reports a resize as KEY_RESIZE, and
 * the caller turns SIGINT/SIGTERM into a flag and calls fst_tui_free. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	TUI_KEY_ESC = 27,
	TUI_KEY_CTRL_U = 21,
	KEYS_PER_CALL = 256, /* a paste cannot starve the capture */
	ESC_DELAY_MS = 25    /* ncurses waits this long after Esc for a sequence */
};

/* Draws the current view whatever the pause: after keys and resizes. */
static void render(struct fst_tui *tui, const struct fst_tui_view *view)
{
	erase();
	if (COLS < TUI_MIN_COLS || LINES < TUI_MIN_LINES) {
		tui_put(tui, 0, 0, 0, TUI_STYLE_HEADER, "terminal too small:");
		tui_putf(tui, 1, 0, 0, TUI_STYLE_NORMAL, "need %dx%d, have %dx%d", TUI_MIN_COLS,
			 TUI_MIN_LINES, COLS, LINES);
		tui_put(tui, 2, 0, 0, TUI_STYLE_NORMAL, "enlarge the window");
		refresh();
		return;
	}
	if (tui->mode == TUI_MODE_DETAIL) {
		tui_draw_detail(tui, view);
	} else {
		tui_rows_collect(tui, view);
		tui_draw_main(tui, view);
	}
	tui_draw_status(tui, view);
	if (tui->help)
		tui_draw_help(tui);
	refresh();
}

/* ---- key actions --------------------------------------------------------- */

static void select_row(struct fst_tui *tui, long index)
{
	if (tui->row_count == 0)
		return;
	if (index < 0)
		index = 0;
	if ((size_t)index >= tui->row_count)
		index = (long)tui->row_count - 1;
	tui->cursor = (size_t)index;
	tui->selected_id = tui->rows[index].result->session->id;
}

/* The detail view clamps log_top when it draws; scrolling to the end
 * makes it follow new entries again. */
static void scroll_log(struct fst_tui *tui, long delta)
{
	long top = (long)tui->log_top + delta;

	tui->log_top = top > 0 ? (size_t)top : 0;
	tui->log_follow = false;
}

static void move_by(struct fst_tui *tui, long delta)
{
	if (tui->mode == TUI_MODE_DETAIL)
		scroll_log(tui, delta);
	else
		select_row(tui, (long)tui->cursor + delta);
}

static long page(const struct fst_tui *tui)
{
	int lines = tui->mode == TUI_MODE_DETAIL ? tui->log_height : tui->list_height;

	return lines > 1 ? lines - 1 : 1;
}

static void key_up(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	move_by(tui, -1);
}

static void key_down(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	move_by(tui, 1);
}

static void key_page_up(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	move_by(tui, -page(tui));
}

static void key_page_down(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	move_by(tui, page(tui));
}

static void key_first(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	if (tui->mode == TUI_MODE_DETAIL) {
		tui->log_top = 0;
		tui->log_follow = false;
	} else {
		select_row(tui, 0);
	}
}

static void key_last(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	if (tui->mode == TUI_MODE_DETAIL)
		tui->log_follow = true;
	else
		select_row(tui, (long)tui->row_count - 1);
}

/* A running session's log follows its newest entries; an ended one
 * opens at its start. */
static void key_open(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	if (tui->row_count == 0)
		return;
	tui->detail_id = tui->selected_id;
	tui->mode = TUI_MODE_DETAIL;
	tui->log_top = 0;
	tui->log_follow = !tui->rows[tui->cursor].finished;
}

static void key_back(struct fst_tui *tui, const struct fst_tui_view *view)
{
	tui->mode = TUI_MODE_MAIN;
	tui_rows_collect(tui, view); /* for the keys that follow in this call */
}

static void key_quit(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	tui->quit = true;
}

static void key_sort(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	tui->sort = (enum tui_sort)((tui->sort + 1) % TUI_SORT_COUNT);
}

static void open_prompt(struct fst_tui *tui, enum tui_prompt prompt, const char *initial)
{
	tui->prompt = prompt;
	snprintf(tui->input, sizeof(tui->input), "%s", initial);
	tui->input_len = strlen(tui->input);
}

static void key_filter(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	open_prompt(tui, TUI_PROMPT_FILTER, tui->filter);
}

static void key_write(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	open_prompt(tui, TUI_PROMPT_WRITE, tui->report_path);
}

static void key_pause(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	tui->paused = !tui->paused;
}

static void key_help(struct fst_tui *tui, const struct fst_tui_view *view)
{
	(void)view;
	tui->help = true;
}

enum {
	IN_MAIN = 1 << TUI_MODE_MAIN,
	IN_DETAIL = 1 << TUI_MODE_DETAIL,
	IN_ANY = IN_MAIN | IN_DETAIL
};

typedef void (*key_fn)(struct fst_tui *tui, const struct fst_tui_view *view);

/* Every key of the two views; the first entry matching key and view wins. */
/* clang-format off */
static const struct key_binding {
	int key;
	unsigned modes;
	key_fn act;
} key_bindings[] = {
	{KEY_UP, IN_ANY, key_up},
	{'k', IN_ANY, key_up},
	{KEY_DOWN, IN_ANY, key_down},
	{'j', IN_ANY, key_down},
	{KEY_PPAGE, IN_ANY, key_page_up},
	{KEY_NPAGE, IN_ANY, key_page_down},
	{' ', IN_DETAIL, key_page_down},
	{KEY_HOME, IN_ANY, key_first},
	{'g', IN_ANY, key_first},
	{KEY_END, IN_ANY, key_last},
	{'G', IN_ANY, key_last},
	{'\n', IN_MAIN, key_open},
	{'\r', IN_MAIN, key_open},
	{KEY_ENTER, IN_MAIN, key_open},
	{TUI_KEY_ESC, IN_MAIN, key_quit},
	{'q', IN_MAIN, key_quit},
	{TUI_KEY_ESC, IN_DETAIL, key_back},
	{'q', IN_DETAIL, key_back},
	{KEY_LEFT, IN_DETAIL, key_back},
	{'s', IN_MAIN, key_sort},
	{'/', IN_MAIN, key_filter},
	{'p', IN_ANY, key_pause},
	{'w', IN_ANY, key_write},
	{'?', IN_ANY, key_help},
};
/* clang-format on */

/* ---- prompts --------------------------------------------------------------- */

/* The 'w' key: the caller writes the report as analyze would. */
static void write_report(struct fst_tui *tui)
{
	char errbuf[FST_ERRBUF_SIZE] = "";

	if (!tui->input[0]) {
		snprintf(tui->message, sizeof(tui->message), "no file name: nothing written");
		return;
	}
	snprintf(tui->report_path, sizeof(tui->report_path), "%s", tui->input);
	if (!tui->cfg.write_report)
		snprintf(tui->message, sizeof(tui->message), "writing a report is not available");
	else if (tui->cfg.write_report(tui->cfg.ctx, tui->report_path, errbuf) == 0)
		snprintf(tui->message, sizeof(tui->message), "report written to %s",
			 tui->report_path);
	else
		snprintf(tui->message, sizeof(tui->message), "report not written: %s",
			 errbuf[0] ? errbuf : "unknown error");
}

static void prompt_apply(struct fst_tui *tui)
{
	enum tui_prompt prompt = tui->prompt;

	tui->prompt = TUI_PROMPT_NONE;
	switch (prompt) {
	case TUI_PROMPT_FILTER:
		snprintf(tui->filter, sizeof(tui->filter), "%s", tui->input);
		break;
	case TUI_PROMPT_WRITE:
		write_report(tui);
		break;
	case TUI_PROMPT_NONE:
		break;
	}
}

/* One-line editing: printable ASCII, Backspace, Ctrl-U; Enter applies,
 * Esc cancels. */
static void prompt_key(struct fst_tui *tui, int key)
{
	switch (key) {
	case TUI_KEY_ESC:
		tui->prompt = TUI_PROMPT_NONE;
		return;
	case '\n':
	case '\r':
	case KEY_ENTER:
		prompt_apply(tui);
		return;
	case KEY_BACKSPACE:
	case 127:
	case '\b':
		if (tui->input_len > 0)
			tui->input[--tui->input_len] = '\0';
		return;
	case TUI_KEY_CTRL_U:
		tui->input_len = 0;
		tui->input[0] = '\0';
		return;
	}
	if (key >= 0x20 && key < 0x7f && tui->input_len + 1 < sizeof(tui->input)) {
		tui->input[tui->input_len++] = (char)key;
		tui->input[tui->input_len] = '\0';
	}
}

static void handle_key(struct fst_tui *tui, const struct fst_tui_view *view, int key)
{
	if (key == KEY_RESIZE) {
		/* ncurses has resized stdscr; repaint all, the terminal may
		 * have reflowed what was there. */
		clearok(curscr, TRUE);
		return;
	}
	tui->message[0] = '\0';
	if (tui->prompt != TUI_PROMPT_NONE) {
		prompt_key(tui, key);
		return;
	}
	if (tui->help) {
		tui->help = false;
		return;
	}
	for (size_t i = 0; i < sizeof(key_bindings) / sizeof(key_bindings[0]); i++)
		if (key_bindings[i].key == key && (key_bindings[i].modes & (1u << tui->mode))) {
			key_bindings[i].act(tui, view);
			return;
		}
}

/* ---- the API ------------------------------------------------------------------ */

struct fst_tui *fst_tui_new(const struct fst_tui_cfg *cfg, char *errbuf)
{
	struct fst_tui *tui;
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO)) {
		fst_errbuf_set(errbuf, "standard input is not a terminal");
		return NULL;
	}
	if (!isatty(STDOUT_FILENO)) {
		fst_errbuf_set(errbuf, "standard output is not a terminal");
		return NULL;
	}
	tui = calloc(1, sizeof(*tui));
	if (!tui) {
		fst_errbuf_set(errbuf, "out of memory");
		return NULL;
	}
	if (cfg)
		tui->cfg = *cfg;
	if (tui->cfg.finished_linger_us <= 0)
		tui->cfg.finished_linger_us = TUI_DEFAULT_LINGER_US;
	snprintf(tui->report_path, sizeof(tui->report_path), "%s", TUI_DEFAULT_REPORT);
	tui->log_follow = true;
	/* newterm, not initscr: initscr exits the process on a bad TERM. */
	tui->screen = newterm(NULL, stdout, stdin);
	if (!tui->screen) {
		fst_errbuf_set(errbuf, "cannot use the terminal (TERM=%s)", term ? term : "unset");
		free(tui);
		return NULL;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(ESC_DELAY_MS);
	curs_set(0);
	tui->color = has_colors() && !getenv("NO_COLOR");
	tui_styles_init(tui);
	return tui;
}

void fst_tui_free(struct fst_tui *tui)
{
	if (!tui)
		return;
	endwin();
	delscreen(tui->screen);
	free(tui->rows);
	free(tui->events);
	free(tui);
}

/* Redraws once after the keys, even when paused: the user sees what
 * the keys did without waiting for the caller's next draw. */
bool fst_tui_handle_input(struct fst_tui *tui, const struct fst_tui_view *view)
{
	bool acted = false;

	for (int n = 0; n < KEYS_PER_CALL && !tui->quit; n++) {
		int key = getch();

		if (key == ERR)
			break;
		/* Keys act on the rows as they are now, not as last drawn. */
		if (!acted && tui->mode == TUI_MODE_MAIN)
			tui_rows_collect(tui, view);
		acted = true;
		handle_key(tui, view, key);
	}
	if (acted && !tui->quit)
		render(tui, view);
	return !tui->quit;
}

void fst_tui_draw(struct fst_tui *tui, const struct fst_tui_view *view)
{
	if (!tui || tui->paused)
		return;
	render(tui, view);
}

int fst_tui_input_fd(const struct fst_tui *tui)
{
	(void)tui;
	return STDIN_FILENO;
}
