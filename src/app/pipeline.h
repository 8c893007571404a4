/* Private to src/app: the capture -> tcp -> ftp -> analysis pipeline
 * that analyze and watch share, and the one loop that pumps packets
 * through it. */
#ifndef FTPSTALL_APP_PIPELINE_H
#define FTPSTALL_APP_PIPELINE_H

#include <stdio.h>

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "ftpstall/report.h"
#include "ftpstall/tcp.h"
#include "output.h"

/* Live: how often idle flows are checked (and the caller's on_tick runs)
 * when no packet arrives. Screen refreshes and idle checks a few times a
 * second are enough to watch timers, and cheap next to capturing. */
#define PIPELINE_TICK_US (FST_US_PER_SEC / 4)

/* What the layers are built with (options.c fills it). */
struct pipeline_opts {
	const char *interface; /* live; else the positional arguments are files */
	int snaplen;
	int buffer_kib;
	struct fst_tcp_cfg tcp; /* the caps; the pipeline sets the rest */
	struct fst_ftp_cfg ftp;
	struct fst_analysis_cfg analysis;
	const char *tls_keylog_path; /* --tls-keylog, or NULL */
	/* Sits between the ftp layer and the analysis when set (watch's
	 * event stream); it must pass every event on with pipeline_ftp_event. */
	fst_ftp_event_fn ftp_tap;
	void *tap_ctx;
};

struct pipeline {
	struct fst_capture *cap;
	struct fst_tcp *tcp;
	struct fst_ftp *ftp;
	struct fst_analysis *analysis;
	struct fst_tls_keylog *keylog; /* FTPS secrets, or NULL; the ftp layer borrows it */
	bool keylog_open;	       /* keylog_fd is --tls-keylog's file */
	int keylog_fd;
	off_t keylog_read; /* ... its bytes added to keylog */
	bool live;
	char *const *files; /* the positional arguments (files), borrowed */
	size_t file_count;
	fst_ftp_event_fn tap;
	void *tap_ctx;
	/* The clock of pipeline_pump. Packet time drives the analysis;
	 * between packets now_us is the last packet's time plus the
	 * monotonic time since it (live), or the replay position. */
	int64_t now_us;
	int64_t anchor_pkt_us;	/* this packet time ... */
	int64_t anchor_mono_us; /* ... was at this monotonic time */
	bool input_done;	/* the source has ended (or failed) */
	bool finished;		/* pipeline_finish ran */
	bool have_held;
	struct fst_packet held; /* replay: the next packet, not yet due */
	bool saving;		/* -w: the capture writes every frame to save */
	struct output save;
	/* Live: the kernel's drop counters (pcap_stats) as last read, and
	 * the packet time they were read at. */
	uint64_t drops_seen;
	int64_t drops_checked_us;
};

/* The caller's part of pipeline_pump. */
struct pipeline_pump_cfg {
	double speed;	     /* files: 1 = real time, 0 = as fast as possible */
	int64_t duration_us; /* live: return after this long; 0 = no limit */
	bool stop_at_end;    /* return once the input has ended */
	int wake_fd;	     /* also wait for input on this fd (a terminal); -1: none */
	/* Every PIPELINE_TICK_US of monotonic time, after the live clock
	 * has advanced the flows. May be NULL. */
	void (*on_tick)(void *ctx);
	/* Once a round, after any tick; false makes the pump return. May be
	 * NULL. */
	bool (*on_round)(void *ctx);
	void *ctx;
};

/* Opens the source (interface with the BPF words, or files) and builds
 * the layers. Returns 0, or prints "cmd: reason" and returns -1. */
int pipeline_open(struct pipeline *p, struct pipeline_opts *o, char *const *args, int nargs,
		  const char *cmd);

/* Live: prints tcpdump's start line to stderr, "cmd: listening on lo,
 * link-type EN10MB (Ethernet), snapshot length 262144 bytes", so the
 * user sees the capture has begun and on what. Nothing for files. */
void pipeline_say_listening(const struct pipeline *p, const char *interface, const char *cmd);

/* Feeds packets through the layers until a stop signal, the end of the
 * input (with stop_at_end), the live duration, or on_round says so. At
 * the end of capture files it runs pipeline_finish, so every session has
 * its final verdict while the caller may still show it. */
void pipeline_pump(struct pipeline *p, const struct pipeline_pump_cfg *cfg);

/* Feeds one event to the analysis; a tap calls this. */
void pipeline_ftp_event(void *pipeline, const struct fst_ftp_event *ev);

/* Ends every flow (end of input) and settles the analysis; once. */
void pipeline_finish(struct pipeline *p);

/* Closes everything; a -w file not yet ended by pipeline_save_end is
 * discarded (a device or FIFO just closed). */
void pipeline_close(struct pipeline *p);

/* -w: from now on every frame read is also written to path as pcap,
 * through output_open's rules. Returns 0, or prints "cmd: -w reason" and
 * returns -1. */
int pipeline_save_begin(struct pipeline *p, const char *path, const char *cmd);

/* Completes the -w file (renamed into place if it replaces one). Returns
 * 0 (also without -w), or prints why and returns -1. */
int pipeline_save_end(struct pipeline *p, const char *cmd);

/* The report input for the pipeline's current state. */
void pipeline_report_input(struct pipeline *p, struct fst_report_input *in, bool color);

/* Prints the report on standard output. Returns 0, or prints why and
 * returns -1. (Report files go through output.c: analyze's -o, watch's
 * w key.) */
int pipeline_print_report(struct pipeline *p, enum fst_report_format format, bool color,
			  const char *cmd);

#endif
