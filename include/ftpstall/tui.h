/* The live monitor's terminal interface (ncurses): one row per FTP
 * session with whose turn it is and how long that side has been idle,
 * a detail view, an incidents panel and a status line. It only reads the
 * analysis results; the caller runs the pipeline and the clock. The only
 * ncurses user in ftpstall. */
#ifndef FTPSTALL_TUI_H
#define FTPSTALL_TUI_H

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"

/* What the monitor shows at one moment. All borrowed. */
struct fst_tui_view {
	int64_t now_us; /* packet time, advanced by the caller's clock ticks */
	struct fst_analysis *analysis;
	const struct fst_capture_stats *capture;
	const char *source;
	bool live;	 /* capturing on an interface */
	bool input_done; /* a replay reached the end of its files */
};

/* Writes the current report to path (the 'w' key). Returns 0 or a
 * negative error with errbuf filled. */
typedef int (*fst_tui_write_fn)(void *ctx, const char *path, char *errbuf);

/* The idle alarm before the server's own timeout is known. */
#define FST_TUI_DEFAULT_TIMEOUT_S 300

struct fst_tui_cfg {
	double timeout_s;	    /* idle alarm; 0: the server's estimate, else the default */
	int64_t finished_linger_us; /* how long ended sessions stay; 0: 120 s */
	fst_tui_write_fn write_report;
	void *ctx;
};

struct fst_tui;

/* Takes over the terminal (initscr, cbreak, noecho, keypad, no delay).
 * Returns NULL with errbuf filled when standard input/output is not a
 * terminal. Free with fst_tui_free, which always restores the terminal. */
struct fst_tui *fst_tui_new(const struct fst_tui_cfg *cfg, char *errbuf);
void fst_tui_free(struct fst_tui *tui);

/* Reads every pending key and acts on it. Returns false once the user
 * has quit (q, or Esc in the main view). Never blocks. */
bool fst_tui_handle_input(struct fst_tui *tui, const struct fst_tui_view *view);

/* Redraws the screen (unless paused with 'p'). The caller bounds the
 * rate (a few times a second); capture never waits for the screen. */
void fst_tui_draw(struct fst_tui *tui, const struct fst_tui_view *view);

/* The fd to poll for key presses (standard input). */
int fst_tui_input_fd(const struct fst_tui *tui);

#endif
