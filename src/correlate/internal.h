/* Private to src/correlate: the correlation's state, shared by the
 * matcher (match.c), the sessions and their verdicts (verdict.c) and the
 * report writers (write.c). */
#ifndef FTPSTALL_CORRELATE_INTERNAL_H
#define FTPSTALL_CORRELATE_INTERNAL_H

#include "ftpstall/correlate.h"

/* Clock samples kept per direction for the medians: the first ones,
 * enough for a stable median, bounded whatever the capture's size. */
#define CORR_SAMPLES_MAX 4096
/* Matches whose median sets the merge offset early on. */
#define CORR_EARLY_SAMPLES 64
/* Clock samples farther than this from their direction's median are a
 * queue or a mismatch, not the path's delay. */
#define CORR_OUTLIER_US FST_US_PER_SEC

/* A connection at one point, or (once matched) at both. */
struct corr_conn {
	struct fst_corr_conn pub; /* first: a pointer to it is one to the whole */
	size_t merged_into;	  /* SIZE_MAX while it is a root */
	bool role_from_syn[FST_POINT_COUNT];
	/* Each side's first sequence number at each point, for relative
	 * numbers in the report. */
	uint32_t isn[FST_POINT_COUNT][FST_SIDE_COUNT];
	bool has_isn[FST_POINT_COUNT][FST_SIDE_COUNT];
	/* Unmatched segments by where they were seen and who sent them;
	 * lost or injected once the nearer point is known. */
	uint64_t unmatched[FST_POINT_COUNT][FST_SIDE_COUNT];
	/* B's sequence numbers of a sender minus A's, from A's shift_at on
	 * (a rewrite changed a segment's length; the NAT shifts what
	 * follows, and the peer's ACKs of it). */
	int32_t shift[FST_SIDE_COUNT];
	uint32_t shift_at[FST_SIDE_COUNT];
	bool has_shift[FST_SIDE_COUNT];
	/* The kept segment records are classified in fst_correlate_finish. */
	size_t kept[FST_PATH_KIND_COUNT];
};

struct corr_samples {
	int64_t *v;
	size_t count;	/* kept, <= CORR_SAMPLES_MAX */
	uint64_t total; /* seen */
};

struct corr_session_list {
	struct fst_corr_session *items;
	size_t count, cap;
};

struct fst_correlate {
	struct fst_correlate_cfg cfg;
	struct corr_conn *conns;
	size_t conn_count, conn_cap;
	/* Open addressing: (point, endpoints) -> conns index + 1; 0 empty. */
	uint32_t *conn_slots;
	size_t conn_slot_count;
	struct corr_pending_ring *pending[FST_POINT_COUNT];
	/* Matched packets' B time minus A time, by their sender. */
	struct corr_samples delta[FST_SIDE_COUNT];
	int64_t early[CORR_EARLY_SAMPLES];
	size_t early_count;
	int64_t merge_offset_us; /* B minus A, as known now */
	/* The point's latest packet pushed out of a full window (INT64_MIN:
	 * none), on its own clock. */
	int64_t overflow_until_us[FST_POINT_COUNT];
	/* Matched packets whose TTL was higher at A (or B) than at the
	 * other point, counted as votes for the point nearer the client. */
	uint64_t ttl_votes[FST_POINT_COUNT];
	int64_t first_us[FST_POINT_COUNT], last_us[FST_POINT_COUNT];
	bool any[FST_POINT_COUNT];
	struct fst_correlate_stats stats;
	struct fst_correlate_clock clock;
	bool finished;
	size_t *roots; /* the root connections, in first-seen order */
	size_t root_count;
	struct corr_session_list sessions;
};

/* The root of a connection (itself unless it was merged). */
size_t corr_root(const struct fst_correlate *c, size_t index);

/* The other point. */
static inline enum fst_point corr_other(enum fst_point p)
{
	return p == FST_POINT_A ? FST_POINT_B : FST_POINT_A;
}

/* The point a segment of from passes first. */
enum fst_point corr_upstream(const struct fst_correlate *c, enum fst_side from);

/* Appends the session list's items; frees them. */
void corr_sessions_free(struct corr_session_list *list);

#endif
