/* The progress line of `analyze` on a terminal. */
#include "progress.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runtime.h"

void progress_format_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

static uint64_t count_incidents(const struct pipeline *p)
{
	uint64_t n = 0;

	for (struct fst_session_result *r = fst_analysis_results(p->analysis); r; r = r->next)
		if (fst_verdict_is_incident(r->verdict))
			n++;
	return n;
}

void progress_update(struct progress *pr, const struct pipeline *p)
{
	int64_t now = runtime_mono_us();
	char done_text[32], total_text[32], rate_text[32], left_text[32] = "";
	uint64_t done, total, sessions, incidents;
	struct winsize ws;
	char line[256];
	int n;
	double rate;

	if (pr->start_us == 0) {
		pr->start_us = now;
		pr->drawn_us = now;
		return;
	}
	if (now - pr->drawn_us < PROGRESS_INTERVAL_US)
		return;
	pr->drawn_us = now;
	fst_capture_progress(p->cap, &done, &total);
	sessions = fst_ftp_stats(p->ftp)->sessions;
	incidents = count_incidents(p);
	rate = (double)done * FST_US_PER_SEC / (double)(now - pr->start_us);
	progress_format_bytes(done, done_text, sizeof(done_text));
	progress_format_bytes((uint64_t)rate, rate_text, sizeof(rate_text));
	if (total) {
		progress_format_bytes(total, total_text, sizeof(total_text));
		if (rate > 0)
			snprintf(left_text, sizeof(left_text), ", %.0f s left",
				 (double)(total - done) / rate + 0.5);
		n = snprintf(line, sizeof(line), "%5.1f%% %s of %s, %s/s%s",
			     100.0 * (double)done / (double)total, done_text, total_text, rate_text,
			     left_text);
	} else {
		n = snprintf(line, sizeof(line), "%s read, %s/s", done_text, rate_text);
	}
	if (n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ", %llu session%s, %llu incident%s",
			 (unsigned long long)sessions, sessions == 1 ? "" : "s",
			 (unsigned long long)incidents, incidents == 1 ? "" : "s");
	/* A line that wraps could not be redrawn in place by "\r". */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    ws.ws_col <= sizeof(line))
		line[ws.ws_col - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	pr->drawn = true;
}

void progress_clear(struct progress *pr)
{
	if (!pr->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pr->drawn = false;
}
