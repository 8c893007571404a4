/* TCP flow table and reassembly. Turns decoded packets into ordered,
 * time-stamped byte streams per direction plus connection events: open,
 * data, capture gap, FIN, RST, window, keep-alive, retransmission, close.
 * Time is packet time only. */
#ifndef FTPSTALL_TCP_H
#define FTPSTALL_TCP_H

#include "ftpstall/capture.h"

/* Direction of a segment within its flow. The client is the side that
 * sent the SYN; for flows picked up mid-stream it is a guess (the higher
 * port) that the layer above may correct in cfg.on_flow. */
enum fst_tcp_dir {
	FST_DIR_CLIENT = 0, /* client -> server */
	FST_DIR_SERVER = 1, /* server -> client */
};

enum fst_tcp_event_kind {
	FST_TCP_EV_OPEN, /* SYN (client) or SYN-ACK (server) */
	FST_TCP_EV_DATA, /* in-order bytes */
	FST_TCP_EV_GAP,	 /* bytes the capture never held */
	FST_TCP_EV_FIN,
	FST_TCP_EV_RST,
	FST_TCP_EV_ZERO_WINDOW, /* dir = the side advertising 0 */
	FST_TCP_EV_WINDOW_OPEN, /* that side's window is non-zero again */
	FST_TCP_EV_KEEPALIVE,
	FST_TCP_EV_RETRANSMIT,
	/* Last event of a flow. After both FINs that follow a write into a
	 * half-closed connection it waits for the flow's next packet (a
	 * reset that answers the write is delivered first); after a reset,
	 * for the other side's bytes that crossed it, up to that side's FIN
	 * or reset. Either wait also ends after FST_TCP_CLOSING_WAIT_US of
	 * packet time without a packet of the flow, or at the end of input. */
	FST_TCP_EV_CLOSE,
	FST_TCP_EV_COUNT
};

enum fst_tcp_close_reason {
	FST_TCP_CLOSE_FIN,	    /* both sides sent FIN */
	FST_TCP_CLOSE_RST,	    /* a reset */
	FST_TCP_CLOSE_IDLE,	    /* evicted: idle longer than the limit */
	FST_TCP_CLOSE_TABLE_FULL,   /* evicted: flow table at its cap */
	FST_TCP_CLOSE_END_OF_INPUT, /* capture ended with the flow open */
	FST_TCP_CLOSE_REASON_COUNT
};

const char *fst_tcp_event_kind_name(enum fst_tcp_event_kind kind);
const char *fst_tcp_close_reason_name(enum fst_tcp_close_reason reason);

/* A flow as the layer above sees it. Read-only outside src/tcp except
 * for user, which belongs to the consumer. */
struct fst_tcp_flow {
	uint64_t id; /* 1, 2, ... in order of first packet */
	struct fst_addr client_addr, server_addr;
	uint16_t client_port, server_port;
	bool syn_seen;	 /* the handshake was captured */
	bool mid_stream; /* picked up without a SYN */
	int64_t first_ts_us, last_ts_us;
	/* Per direction (index enum fst_tcp_dir). */
	uint64_t bytes[2];     /* sequence-space payload bytes delivered */
	uint64_t gap_bytes[2]; /* of which the capture never held */
	uint64_t packets[2];
	uint64_t retransmissions[2]; /* incl. overlapping copies */
	uint64_t out_of_order[2];    /* segments held for a hole */
	uint8_t first_ttl[2];	     /* IP TTL / hop limit of each side's first packet */
	uint32_t duplicates;	     /* capture duplicates dropped, both sides (saturates) */
	/* The ACKs each side sent that answered the other side's TCP
	 * keep-alive probe (KEEPALIVE events: seq = snd.nxt - 1, 0 or 1
	 * byte), up to UINT16_MAX. Neither counts as a retransmission or as
	 * stream bytes. Small, as everything here: a SYN flood fills the
	 * table with flows. */
	uint16_t keepalive_acks[2];
	void *user;
};

/* One event. Borrowed: the event and data are valid only during the
 * callback; flow lives until the callback of its CLOSE returns. */
struct fst_tcp_event {
	enum fst_tcp_event_kind kind;
	int64_t ts_us;
	struct fst_tcp_flow *flow;
	enum fst_tcp_dir dir; /* the side the event is about */
	/* DATA, GAP, RETRANSMIT: sequence-space byte count. */
	uint32_t len;
	/* DATA: payload_present is false when the flow does not want
	 * payload (count-only, see fst_tcp_flow_set_payload) or the bytes
	 * were cut by the snaplen; data then is NULL or holds only the
	 * first data_caplen bytes. */
	bool payload_present;
	const uint8_t *data;
	uint32_t data_caplen;
	uint8_t ttl;				/* RST, FIN: of that packet */
	uint32_t window;			/* ZERO_WINDOW/WINDOW_OPEN: scaled */
	enum fst_tcp_close_reason close_reason; /* CLOSE */
};

/* Callbacks run inside fst_tcp_input, fst_tcp_advance and fst_tcp_finish.
 * Re-entrancy: inside either callback the consumer may read the flow, set
 * flow->user and call fst_tcp_flow_set_payload and fst_tcp_stats; it must
 * not call fst_tcp_input, fst_tcp_advance, fst_tcp_finish or fst_tcp_free.
 * fst_tcp_flow_swap_roles is legal only inside on_flow. */
typedef void (*fst_tcp_event_fn)(void *ctx, const struct fst_tcp_event *ev);
/* A new flow, before its first packet is handled (so before any of its
 * events): the one moment its roles may still be swapped. ts_us is the
 * packet's time. */
typedef void (*fst_tcp_flow_fn)(void *ctx, struct fst_tcp_flow *flow, int64_t ts_us);

/* Capture duplicates. A capture on "-i any", on a bridge or from a SPAN
 * port holds each segment twice, the copies microseconds apart. A
 * segment is such a copy, and dropped before anything else looks at it,
 * when the same side of the same flow sent one with the same sequence and
 * acknowledgment numbers, flags, window, length, IPv4 ID, TTL, TCP
 * timestamp and payload (a sample of it: see flow.c) at most this long
 * before, unless the flow's latest packet came from the other side later
 * than that one (what the peer provoked, a reset or duplicate ACK for each
 * of its segments, may repeat byte for byte; a copy never waits for it).
 * A real retransmission differs: Linux and Windows give it a new IPv4 ID,
 * from 1 ms on it has a new TSval, and Linux sends none sooner than 10 ms
 * (a tail loss probe) unless the peer's duplicate ACKs or SACKs asked for
 * it. The last FST_TCP_DUPLICATE_SLOTS segments of each side are
 * remembered, 8 bytes each (docs/architecture.md). */
#define FST_TCP_DUPLICATE_WINDOW_US 2000
#define FST_TCP_DUPLICATE_SLOTS	    2

/* Defaults of the caps below that the command line can change. */
#define FST_TCP_DEFAULT_MAX_FLOWS     262144
#define FST_TCP_DEFAULT_MAX_OOO_TOTAL (64 << 20)
/* After a reset (or both FINs following a write into a half-closed
 * connection) a flow waits this long, in packet time, for one more
 * packet before its CLOSE. */
#define FST_TCP_CLOSING_WAIT_US (1000 * 1000)

struct fst_tcp_cfg {
	size_t max_flows;		  /* 0: FST_TCP_DEFAULT_MAX_FLOWS */
	size_t max_ooo_bytes_per_flow;	  /* 0: 1 MiB */
	size_t max_ooo_bytes_total;	  /* 0: FST_TCP_DEFAULT_MAX_OOO_TOTAL */
	size_t max_ooo_segments_per_flow; /* 0: 4096 */
	int64_t idle_timeout_us;	  /* 0: 3600 s; flows idle longer close */
	int64_t closed_linger_us;	  /* 0: 30 s; closed flows absorb stragglers */
	/* Whether new flows reassemble payload (true) or only count bytes
	 * until the consumer says otherwise. */
	bool payload_by_default;
	fst_tcp_flow_fn on_flow; /* optional */
	fst_tcp_event_fn on_event;
	void *ctx; /* of both callbacks */
};

struct fst_tcp_stats {
	uint64_t packets;
	uint64_t flows_opened;
	uint64_t flows_closed[FST_TCP_CLOSE_REASON_COUNT];
	uint64_t flows_evicted; /* idle + table full */
	uint64_t gaps, gap_bytes;
	uint64_t retransmissions, out_of_order;
	uint64_t duplicates;	 /* capture duplicates dropped before reassembly */
	uint64_t ooo_limit_hits; /* holes skipped because a cap was reached */
	uint64_t after_close;	 /* stragglers absorbed by closed flows */
	size_t ooo_bytes_buffered, ooo_bytes_peak;
	size_t flows_active, flows_peak;
};

struct fst_tcp;

/* Returns a new reassembler, free with fst_tcp_free; NULL on no memory.
 * Borrows cfg only during the call. */
struct fst_tcp *fst_tcp_new(const struct fst_tcp_cfg *cfg);

/* Closes every open flow (END_OF_INPUT), emitting their events, then
 * frees. NULL is a no-op. */
void fst_tcp_free(struct fst_tcp *tcp);

/* Emits CLOSE(END_OF_INPUT) for every open flow at the last packet time
 * and drops them. Call at the end of input before reading results. */
void fst_tcp_finish(struct fst_tcp *tcp);

/* Feeds one packet; events are emitted from inside this call. Borrows
 * pkt. */
void fst_tcp_input(struct fst_tcp *tcp, const struct fst_packet *pkt);

/* A live clock tick: evicts flows idle past the limit at now_us. Events
 * of packets fed later keep their own timestamps, even when earlier than
 * now_us (a live capture hands packets over late, in blocks). */
void fst_tcp_advance(struct fst_tcp *tcp, int64_t now_us);

/* Whether the flow keeps payload bytes (control channels) or only counts
 * them (data channels). */
void fst_tcp_flow_set_payload(struct fst_tcp_flow *flow, bool want_payload);

/* Swaps client and server of a flow whose guess was wrong, so that every
 * event of the flow carries the corrected direction. Only inside
 * cfg.on_flow; elsewhere it changes nothing and returns false. */
bool fst_tcp_flow_swap_roles(struct fst_tcp_flow *flow);

/* Sequence-space bytes of dir's stream (its FIN counting one) that the
 * capture delivered and the other side has not ACKed, or -1 when no ACK
 * of the other side for that stream was seen (no evidence either way). */
int64_t fst_tcp_flow_unacked(const struct fst_tcp_flow *flow, enum fst_tcp_dir dir);

const struct fst_tcp_stats *fst_tcp_stats(const struct fst_tcp *tcp);

#endif
