/* Prometheus metrics of a live capture (--metrics ADDR:PORT,
 * docs/fleet.md): counters and gauges kept from the analysis' results,
 * served as the text exposition format on GET /metrics by libmicrohttpd's
 * own thread. The analysis stays single-threaded: it updates a private
 * model, and fst_metrics_publish copies that model, under a mutex, into
 * the snapshot the HTTP thread reads. Nothing else is shared. */
#ifndef FTPSTALL_METRICS_H
#define FTPSTALL_METRICS_H

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"

/* Servers with series of their own; the rest share server="other". */
#define FST_METRICS_DEFAULT_MAX_SERVERS 100
#define FST_METRICS_MAX_SERVERS_LIMIT	10000
/* Without an address in --metrics (":9187" or "9187"). */
#define FST_METRICS_DEFAULT_ADDR "127.0.0.1"

struct fst_metrics_cfg {
	const char *listen; /* "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" or "PORT" */
	size_t max_servers; /* 0: FST_METRICS_DEFAULT_MAX_SERVERS */
};

struct fst_metrics;

/* Whether listen is a valid --metrics value; errbuf says why not. */
bool fst_metrics_listen_valid(const char *listen, char *errbuf);

/* Starts the HTTP server on cfg->listen. Returns a new handle (free with
 * fst_metrics_free), or NULL with errbuf filled (bad address, the port in
 * use, out of memory). Borrows cfg during the call. */
struct fst_metrics *fst_metrics_new(const struct fst_metrics_cfg *cfg, char *errbuf);

/* Stops the server (waiting for its thread) and frees everything; NULL
 * is a no-op. */
void fst_metrics_free(struct fst_metrics *m);

/* The analysis' update of r (from its on_update): counts a session and
 * its verdict once it is final. Analysis thread only; borrows r. */
void fst_metrics_on_update(struct fst_metrics *m, const struct fst_session_result *r,
			   enum fst_analysis_update update);

/* Refreshes the gauges (open sessions, server timeout estimates, bytes of
 * running sessions) and the capture's counters from an, and publishes
 * the model to the HTTP thread. Analysis thread only, a few times a
 * second; borrows an and cap. */
void fst_metrics_publish(struct fst_metrics *m, struct fst_analysis *an,
			 const struct fst_capture_stats *cap);

/* The exposition of the last published snapshot, as the HTTP thread
 * serves it: returns a new string (free with free()), or NULL when out of
 * memory. Any thread. */
char *fst_metrics_exposition(struct fst_metrics *m, size_t *len);

#endif
