/* Private to src/app: the progress line of a long analysis on a terminal
 * (stderr), redrawn in place and erased at the end. */
#ifndef FTPSTALL_APP_PROGRESS_H
#define FTPSTALL_APP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"

/* Redraws at most this often; the first line waits as long, so that a
 * short run draws nothing. */
#define PROGRESS_INTERVAL_US (FST_US_PER_SEC / 4)

struct progress {
	int64_t start_us; /* monotonic; 0 until progress_update first runs */
	int64_t drawn_us;
	bool drawn; /* a line is on the screen */
};

/* Draws "42.0% 126.0 MiB of 300.1 MiB, 95.2 MiB/s, 2 s left, 120
 * sessions, 24 incidents" on stderr when PROGRESS_INTERVAL_US has passed
 * since the last line. Borrows p. */
void progress_update(struct progress *pr, const struct pipeline *p);

/* Erases the line, if one is drawn ("\r" and clear to the end of line). */
void progress_clear(struct progress *pr);

/* "12.3 MiB": bytes in the largest binary unit below them. */
void progress_format_bytes(uint64_t bytes, char *buf, size_t size);

#endif
