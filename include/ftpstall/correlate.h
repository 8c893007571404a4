/* Correlation of two captures of the same traffic taken at two points of
 * its path (A and B): TCP connections matched across them even through
 * NAT, the clock offset between them, and per connection what happened
 * between the points (segments lost, injected, rewritten). Consumes the
 * capture layer's packets of both points, merged by time by the caller
 * (fst_correlate_align_us), and the analyses of both points for the
 * combined verdicts. Above analysis and report; nothing below includes
 * this header. */
#ifndef FTPSTALL_CORRELATE_H
#define FTPSTALL_CORRELATE_H

#include <stdio.h>

#include "ftpstall/analysis.h"
#include "ftpstall/capture.h"
#include "ftpstall/report.h"

enum fst_point {
	FST_POINT_A,
	FST_POINT_B,
	FST_POINT_COUNT
};

/* "A" or "B". */
const char *fst_point_name(enum fst_point point);

/* How long a packet seen at one point waits for its copy at the other
 * (packet time, after the clock offset as then known): it bounds the
 * clock skew found before the first match, and the memory held. */
#define FST_CORRELATE_DEFAULT_WINDOW_US (30 * FST_US_PER_SEC)
/* Packets waiting for their copy, per point; past it the oldest leaves
 * unmatched and is counted in window_overflow, and so is the copy of
 * anything at the other point near that time. */
#define FST_CORRELATE_DEFAULT_MAX_PENDING 65536
/* Connections followed (both points together). */
#define FST_CORRELATE_DEFAULT_MAX_CONNS 65536
/* Segments kept per connection for the report: this many rewritten, and
 * twice as many lost and injected together (which they are is known only
 * at the end); the rest are counted. */
#define FST_CORRELATE_SEGMENTS_MAX 16

struct fst_correlate_cfg {
	int64_t window_us;  /* 0: FST_CORRELATE_DEFAULT_WINDOW_US */
	size_t max_pending; /* 0: FST_CORRELATE_DEFAULT_MAX_PENDING */
	size_t max_conns;   /* 0: FST_CORRELATE_DEFAULT_MAX_CONNS */
	/* B's clock minus A's as far as known before the input (a probe of
	 * the first packets, fst_correlate_first_offset): the merge starts
	 * from it, so a skew larger than the window, or than the packets
	 * the window holds, is no loss. */
	int64_t initial_offset_us;
};

enum fst_path_kind {
	FST_PATH_LOST,	    /* passed the sender's point, never seen at the other */
	FST_PATH_INJECTED,  /* seen at the receiver's point, never passed the sender's */
	FST_PATH_REWRITTEN, /* seen at both, changed on the way */
	FST_PATH_KIND_COUNT
};

/* "lost", "injected", "rewritten". */
const char *fst_path_kind_name(enum fst_path_kind kind);

/* What a rewrite changed (bits). */
enum {
	FST_REWRITE_PAYLOAD = 1u << 0,
	FST_REWRITE_WINDOW = 1u << 1,
	FST_REWRITE_MSS = 1u << 2,
};

/* The start of a segment's payload as printable text (a PASS argument
 * masked). */
#define FST_PATH_TEXT_MAX 64

/* One segment that the two points disagree on. Times are on the clock of
 * the point named (seen_at). */
struct fst_path_segment {
	enum fst_path_kind kind;
	enum fst_side from; /* the sender it claims */
	enum fst_point seen_at;
	int64_t ts_us;
	uint32_t seq; /* relative to the sender's initial sequence number when seen */
	uint32_t len;
	uint8_t flags, ttl;
	/* lost: the same segment sent again (a retransmission), also lost */
	unsigned repeats;
	int64_t last_repeat_us;
	/* The connection's idle at seen_at before the segment. */
	int64_t idle_before_us;
	char text[FST_PATH_TEXT_MAX];
	/* rewritten: what changed, and the copy at the other point */
	unsigned changed;
	char text_after[FST_PATH_TEXT_MAX];
	uint16_t window_before, window_after, mss_before, mss_after;
};

/* One TCP connection as the points saw it. */
struct fst_corr_conn {
	bool seen[FST_POINT_COUNT];
	/* Its endpoints at each point (valid where seen). */
	struct fst_addr client_addr[FST_POINT_COUNT], server_addr[FST_POINT_COUNT];
	uint16_t client_port[FST_POINT_COUNT], server_port[FST_POINT_COUNT];
	bool matched_by_syn; /* else by a segment in mid-stream */
	/* No packet matched: bound by the server's endpoint, the client's
	 * port and time (one candidate only). */
	bool matched_by_endpoints;
	uint64_t packets[FST_POINT_COUNT];
	uint64_t matched;
	/* The TTL of each side's packets that reached the other point, as
	 * seen at each point (the last matched one; 0 when none). */
	uint8_t passed_ttl[FST_POINT_COUNT][FST_SIDE_COUNT];
	int64_t first_us[FST_POINT_COUNT], last_us[FST_POINT_COUNT];
	/* Kept segments (at most FST_CORRELATE_SEGMENTS_MAX per kind) and
	 * every one counted, retransmissions included. */
	struct fst_path_segment *segments;
	size_t segment_count;
	uint64_t counts[FST_PATH_KIND_COUNT];
	uint64_t segments_dropped;
	/* Unmatched outside the time both captures cover. */
	uint64_t one_point_only;
};

struct fst_correlate_stats {
	uint64_t packets[FST_POINT_COUNT];
	uint64_t matched;
	/* The TTL of each side's packets that reached the other point, as
	 * seen at each point (the last matched one; 0 when none). */
	uint8_t passed_ttl[FST_POINT_COUNT][FST_SIDE_COUNT];
	uint64_t window_overflow; /* left unmatched because max_pending was reached */
	uint64_t conns_refused;	  /* past max_conns */
	size_t pending_peak[FST_POINT_COUNT];
};

/* The clock and path between the points. */
struct fst_correlate_clock {
	bool known;				/* packets matched in both directions */
	enum fst_point nearer_client;		/* valid when known */
	bool nearer_by_ttl;			/* decided by TTLs (else by timing) */
	double offset_s;			/* B's clock minus A's */
	double delay_to_server_s;		/* one-way, client to server, between the points */
	double delay_to_client_s;		/* one-way, server to client */
	int64_t overlap_from_us, overlap_to_us; /* on A's clock */
	uint64_t samples;
};

struct fst_correlate;

/* Returns new, free with fst_correlate_free; NULL when out of memory.
 * Borrows cfg during the call. */
struct fst_correlate *fst_correlate_new(const struct fst_correlate_cfg *cfg);

/* NULL is a no-op. */
void fst_correlate_free(struct fst_correlate *c);

/* A packet's time on A's clock as the correlation now knows the offset:
 * the caller feeds the two points in this order. */
int64_t fst_correlate_align_us(const struct fst_correlate *c, enum fst_point point, int64_t ts_us);

/* The offset (B minus A) the first matches gave: the median of up to
 * 64 of them. False, with *offset_us the initial one, before any match. */
bool fst_correlate_first_offset(const struct fst_correlate *c, int64_t *offset_us);

/* Feeds point's next packet (each point's packets in its own time
 * order). Borrows pkt during the call. */
void fst_correlate_input(struct fst_correlate *c, enum fst_point point,
			 const struct fst_packet *pkt);

/* Ends the input: what still waits is unmatched; the clock is settled
 * and the segments classified. Once. */
void fst_correlate_finish(struct fst_correlate *c);

/* After fst_correlate_finish. Owned by c, valid until fst_correlate_free. */
const struct fst_correlate_clock *fst_correlate_clock(const struct fst_correlate *c);
const struct fst_correlate_stats *fst_correlate_stats(const struct fst_correlate *c);
size_t fst_correlate_conn_count(const struct fst_correlate *c);
const struct fst_corr_conn *fst_correlate_conn_at(const struct fst_correlate *c, size_t index);

/* The connection seen at point with these endpoints (either order), or
 * NULL. Owned by c. */
const struct fst_corr_conn *fst_correlate_find(const struct fst_correlate *c, enum fst_point point,
					       const struct fst_addr *a, uint16_t a_port,
					       const struct fst_addr *b, uint16_t b_port);

/* Connections seen at both points. */
uint64_t fst_correlate_shared(const struct fst_correlate *c);

/* A session as the two points saw it, with the combined verdict. */
struct fst_corr_session {
	const struct fst_session_result *view[FST_POINT_COUNT]; /* NULL: not seen there */
	const struct fst_corr_conn *control;			/* NULL: seen at one point */
	/* The data connections' path segments, summed over the session. */
	uint64_t counts[FST_PATH_KIND_COUNT];
	enum fst_verdict verdict;
	enum fst_stalled_side stalled_side;
	enum fst_close_by close_by;	      /* as seen from the client */
	const char *rule;		      /* static */
	const struct fst_path_segment *proof; /* the decisive segment, or NULL */
	const struct fst_corr_conn *proof_conn;
	double idle_s; /* the connection's idle before it, or -1 */
};

/* Pairs the sessions of the two analyses through the matched control
 * connections and decides each one's combined verdict. Borrows the
 * analyses, which must outlive the result. Returns FST_OK or
 * FST_ERR_NOMEM. */
int fst_correlate_sessions(struct fst_correlate *c, struct fst_analysis *a, struct fst_analysis *b);
size_t fst_correlate_session_count(const struct fst_correlate *c);
const struct fst_corr_session *fst_correlate_session_at(const struct fst_correlate *c,
							size_t index);

/* The combined verdicts' rules in the order they are applied (the names
 * of `verdict.rule`; docs/verdicts.md lists the same): their count and
 * the name of rule index (static; NULL past the end). */
size_t fst_correlate_rule_count(void);
const char *fst_correlate_rule_at(size_t index);

/* The combined verdict's proof in one sentence (into buf, as snprintf). */
size_t fst_correlate_words(const struct fst_correlate *c, const struct fst_corr_session *s,
			   char *buf, size_t size);

/* Everything a correlation report shows. Borrowed. */
struct fst_correlate_report {
	const char *version;
	const char *source[FST_POINT_COUNT];
	const struct fst_correlate *corr;
	bool color;
};

/* Writes the report; returns FST_OK, or FST_ERR_IO when out failed. */
int fst_correlate_write(FILE *out, enum fst_report_format format,
			const struct fst_correlate_report *in);

#endif
