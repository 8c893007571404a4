/* Text, colour and number helpers shared by the monitor's views, and the
 * two things drawn over every view: the status line and the help. Every
 * string reaches the screen through tui_put, which sanitises it. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What each style looks like with colour, and without (monochrome
 * terminals, NO_COLOR). The idle alarm must stand out either way. */
static const struct tui_style_def {
	short fg; /* -1: the terminal's own colour, no pair needed */
	attr_t color;
	attr_t mono;
} style_defs[] = {
	[TUI_STYLE_NORMAL] = { -1, A_NORMAL, A_NORMAL },
	[TUI_STYLE_HEADER] = { -1, A_BOLD, A_BOLD },
	[TUI_STYLE_STATUS] = { -1, A_REVERSE, A_REVERSE },
	[TUI_STYLE_DIM] = { -1, A_DIM, A_DIM },
	[TUI_STYLE_WARN] = { COLOR_YELLOW, A_BOLD, A_BOLD | A_UNDERLINE },
	[TUI_STYLE_ALARM] = { COLOR_RED, A_BOLD | A_REVERSE, A_BOLD | A_REVERSE },
	[TUI_STYLE_INCIDENT] = { COLOR_RED, A_BOLD, A_BOLD },
	[TUI_STYLE_CLEAN] = { COLOR_GREEN, A_NORMAL, A_NORMAL },
	[TUI_STYLE_DATA] = { COLOR_CYAN, A_NORMAL, A_NORMAL },
	[TUI_STYLE_WAIT_CLIENT] = { COLOR_YELLOW, A_NORMAL, A_NORMAL },
	[TUI_STYLE_WAIT_SERVER] = { COLOR_RED, A_NORMAL, A_NORMAL },
	[TUI_STYLE_WAIT_OTHER] = { COLOR_MAGENTA, A_NORMAL, A_NORMAL },
	[TUI_STYLE_WAIT_CAPTURE] = { COLOR_BLUE, A_NORMAL, A_NORMAL },
};
_Static_assert(sizeof(style_defs) / sizeof(style_defs[0]) == TUI_STYLE_COUNT,
	       "a definition for every style");

/* One colour pair per coloured style, numbered by the style. */
void tui_styles_init(struct fst_tui *tui)
{
	short bg = -1;

	if (!tui->color)
		return;
	start_color();
	/* Keep the user's background; terminals without it get black. */
	if (use_default_colors() == ERR)
		bg = COLOR_BLACK;
	for (int style = 1; style < TUI_STYLE_COUNT && style < COLOR_PAIRS; style++)
		if (style_defs[style].fg >= 0)
			init_pair((short)style, style_defs[style].fg, bg);
}

attr_t tui_attr(const struct fst_tui *tui, enum tui_style style)
{
	const struct tui_style_def *def = &style_defs[style];

	if (!tui->color)
		return def->mono;
	if (def->fg >= 0 && (int)style < COLOR_PAIRS)
		return COLOR_PAIR((int)style) | def->color;
	return def->color;
}

void tui_sanitize(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (size == 0)
		return;
	for (; src && src[n] && n + 1 < size; n++) {
		unsigned char c = (unsigned char)src[n];

		dst[n] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
}

/* The primitive under tui_put: raw attributes, for callers that combine
 * a style with the selection bar or the dimming of finished sessions. */
static int put_attr(int y, int x, int width, attr_t attr, const char *text)
{
	char clean[1024];
	int room = COLS - x;
	int len;

	if (y < 0 || y >= LINES || x < 0 || room <= 0)
		return 0;
	if (width <= 0 || width > room)
		width = room;
	tui_sanitize(clean, sizeof(clean), text);
	len = (int)strlen(clean);
	if (len > width)
		len = width;
	attrset(attr);
	mvaddnstr(y, x, clean, len);
	attrset(A_NORMAL);
	return len;
}

int tui_put(const struct fst_tui *tui, int y, int x, int width, enum tui_style style,
	    const char *text)
{
	return put_attr(y, x, width, tui_attr(tui, style), text);
}

int tui_putf(const struct fst_tui *tui, int y, int x, int width, enum tui_style style,
	     const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return tui_put(tui, y, x, width, style, text);
}

void tui_fill_line(const struct fst_tui *tui, int y, enum tui_style style)
{
	mvhline(y, 0, ' ' | tui_attr(tui, style), COLS);
}

/* 1023B, 64.0K, 12.3M: binary units, at most 7 characters below 1000 P. */
char *tui_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	double value = (double)bytes;
	size_t unit = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
		return buf;
	}
	value /= 1024;
	while (value >= 1024 && unit + 1 < sizeof(units) - 1) {
		value /= 1024;
		unit++;
	}
	snprintf(buf, size, "%.1f%c", value, units[unit]);
	return buf;
}

/* 4.2s, 12m05s, 3h07m: at most 6 characters below 1000 hours, so that
 * the idle column stays narrow. */
char *tui_format_duration(double seconds, char *buf, size_t size)
{
	long whole = (long)seconds;

	if (seconds < 0)
		snprintf(buf, size, "-");
	else if (seconds < 100)
		snprintf(buf, size, "%.1fs", seconds);
	else if (whole < 3600)
		snprintf(buf, size, "%ldm%02lds", whole / 60, whole % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", whole / 3600, whole % 3600 / 60);
	return buf;
}

/* HH:MM:SS (UTC) of packet time. */
char *tui_format_hms(int64_t ts_us, char *buf, size_t size)
{
	char clock[40];

	fst_time_format_clock(ts_us, clock, sizeof(clock));
	clock[8] = '\0';
	snprintf(buf, size, "%s", clock);
	return buf;
}

static const char *source_state(const struct fst_tui_view *view)
{
	if (view->live)
		return "live";
	return view->input_done ? "replay done" : "replay";
}

static size_t count_sessions(const struct fst_tui_view *view)
{
	size_t n = 0;

	if (!view->analysis)
		return 0;
	for (const struct fst_session_result *r = fst_analysis_results(view->analysis); r;
	     r = r->next)
		n++;
	return n;
}

/* The prompt replaces the status line while it is open. */
static void draw_prompt(const struct fst_tui *tui, int y)
{
	const char *label = tui->prompt == TUI_PROMPT_FILTER ?
				    "filter (client, server or user; empty: all): " :
				    "write report to: ";
	int x = tui_put(tui, y, 0, 0, TUI_STYLE_STATUS, label);

	x += tui_put(tui, y, x, 0, TUI_STYLE_STATUS, tui->input);
	tui_put(tui, y, x, 0, TUI_STYLE_STATUS, "_   (Enter: apply, Esc: cancel)");
}

/* packets, bytes, sessions, kernel drops, source; key hints or the
 * last message on the right. */
void tui_draw_status(struct fst_tui *tui, const struct fst_tui_view *view)
{
	static const struct fst_capture_stats no_stats;
	const struct fst_capture_stats *cs = view->capture ? view->capture : &no_stats;
	const char *right = tui->message[0] ? tui->message : "?:help  q:quit";
	size_t sessions = count_sessions(view);
	int y = LINES - 1;
	char bytes[16];
	int x, rx;

	tui_fill_line(tui, y, TUI_STYLE_STATUS);
	if (tui->prompt != TUI_PROMPT_NONE) {
		draw_prompt(tui, y);
		return;
	}
	x = tui_putf(tui, y, 0, 0, TUI_STYLE_STATUS,
		     " %llu packets  %s bytes  %zu session%s  %llu drops  %s%s  %s",
		     (unsigned long long)cs->frames,
		     tui_format_bytes(cs->frame_bytes, bytes, sizeof(bytes)), sessions,
		     sessions == 1 ? "" : "s",
		     (unsigned long long)(cs->kernel_dropped + cs->interface_dropped),
		     source_state(view), tui->paused ? "  PAUSED" : "",
		     view->source ? view->source : "-");
	/* Hints only where they fit; a message (the result of 'w') wins over
	 * the end of the line, and over all of it if it must. */
	rx = COLS - (int)strlen(right) - 1;
	if (rx < x + 2 && !tui->message[0])
		return;
	if (rx < 1)
		rx = 1;
	tui_put(tui, y, rx - 1, 0, TUI_STYLE_STATUS, " ");
	tui_put(tui, y, rx, 0, TUI_STYLE_STATUS, right);
}

static const char *const help_lines[] = {
	"ftpstall watch: keys",
	"",
	"Up/Down, k/j    select a session; scroll the event log",
	"PgUp/PgDn       a page up or down",
	"Home/End, g/G   first / last",
	"Enter           session detail: event log and timeline",
	"Esc, q          back to the list; in the list: quit",
	"s               sort by start, idle or verdict",
	"/               filter by address or user",
	"p               pause the display (capture continues)",
	"w               write the current report to a file",
	"?               this help",
	"",
	"Idle is measured against --timeout, else the server's",
	"estimate, else 300 s: yellow from 80 %, alarm past it.",
	"Ended sessions stay dimmed for a while with their verdict.",
	"",
	"Any key closes this help.",
};

/* A box in the middle of the screen, clipped on a small terminal. Plain
 * ASCII lines: line-drawing characters depend on the locale and the
 * terminal's charset switching, which the caller may not have set up. */
void tui_draw_help(const struct fst_tui *tui)
{
	int count = (int)(sizeof(help_lines) / sizeof(help_lines[0]));
	int width = 0, height, top, left;

	for (int i = 0; i < count; i++)
		if ((int)strlen(help_lines[i]) > width)
			width = (int)strlen(help_lines[i]);
	width += 4;
	height = count + 2 < LINES ? count + 2 : LINES;
	top = (LINES - height) / 2;
	left = COLS > width ? (COLS - width) / 2 : 0;
	for (int y = 0; y < height; y++)
		mvhline(top + y, left, ' ', width);
	attrset(tui_attr(tui, TUI_STYLE_HEADER));
	mvhline(top, left, '-', width);
	mvhline(top + height - 1, left, '-', width);
	mvvline(top + 1, left, '|', height - 2);
	mvvline(top + 1, left + width - 1, '|', height - 2);
	attrset(A_NORMAL);
	for (int i = 0; i < count && i < height - 2; i++)
		tui_put(tui, top + 1 + i, left + 2, width - 4,
			i == 0 ? TUI_STYLE_HEADER : TUI_STYLE_NORMAL, help_lines[i]);
}
