/* gen_capture: writes large, reproducible classic pcap files of
 * interleaved FTP sessions for ftpstall's benchmarks (make bench).
 *
 * Every session is a vsftpd dialogue on port 21: the "220 (vsFTPd 3.0.3)"
 * banner, USER/PASS (331/230), TYPE I, PASV (227) or EPSV (229) in
 * passive mode, PORT or EPRT (200) in active mode, STOR (150 ... 226),
 * then QUIT/221 or, every K-th session, 300 s of idle followed by
 * "421 Timeout." and a FIN from the server. Data connections have a real
 * handshake (client -> server port in passive mode, server port 20 ->
 * client in active mode), MSS-sized segments (1448 bytes over IPv4, 1428
 * over IPv6, both with TCP timestamps), an ACK from the receiver every
 * second segment, a few retransmitted and reordered segments, and FINs.
 *
 * N sessions run C at a time; when one ends the next starts. Their
 * packets are interleaved in time order by a heap of next-packet times,
 * so the file never steps back in time. Each open session gets an equal
 * share of the --rate. In --short mode each session only logs in, holds
 * the control connection open (60 s), and quits: with a large C that is
 * the "100,000 sessions open at once" capture.
 *
 * In --ftps mode the sessions are explicit FTPS (AUTH TLS, then TLS 1.2
 * with AES-128-GCM records encrypted for real), one after another, and
 * the NSS key log that decrypts them is written beside the capture: the
 * benchmark of decryption (see the FTPS section below).
 *
 * The output depends only on the options (seed included): every session
 * has its own PRNG seeded from (seed, session number), and ties in the
 * heap are broken by session number.
 *
 * Test tool: errors print a message and exit 2; it is not part of
 * ftpstall. Ethernet frames, IPv4 header and TCP checksums are correct. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ftpstall/capture.h"

enum {
	MSS4 = 1448, /* 1500 - 20 (IPv4) - 32 (TCP with timestamps) */
	MSS6 = 1428, /* 1500 - 40 (IPv6) - 32 */
	ETH_LEN = 14,
	IP4_LEN = 20,
	IP6_LEN = 40,
	TCP_LEN = 32,	  /* 20 + NOP NOP TS */
	TCP_SYN_LEN = 40, /* 20 + MSS SACK_PERM TS NOP WS */
	REC_LEN = 16,	  /* pcap record header */
	FRAME_MAX = 2048,
	TEXT_MAX = 256,
	OUTBUF_SIZE = 8 << 20,
	PATTERN_SIZE = 1 << 16,
	SNAPLEN = 262144,
	FTP_PORT = 21,
	FTP_DATA_PORT = 20,
};

#define NS_PER_US  INT64_C(1000)
#define NS_PER_MS  INT64_C(1000000)
#define NS_PER_SEC INT64_C(1000000000)
/* 2026-01-01 00:00:00 UTC: every capture starts here. */
#define EPOCH_NS (INT64_C(1767225600) * NS_PER_SEC)

struct gen_cfg {
	uint64_t sessions;
	uint64_t bytes_per_session;
	uint64_t target_size; /* --size: picks bytes_per_session; 0 = unset */
	double ipv6_fraction;
	double active_fraction;
	uint64_t timeout_every;
	double retrans_rate;
	double reorder_rate;
	uint64_t seed;
	uint64_t concurrency;
	bool short_mode;
	double rate_mbit;
	int64_t idle_s;
	int64_t hold_s;
	bool ftps;		 /* --ftps: explicit FTPS sessions, one after another */
	const char *keylog_path; /* --keylog; with --ftps, default: the output's + ".keys" */
	const char *out_path;
};

/* ---- PRNG: splitmix64 (Steele, Lea, Flood 2014) ---- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0; the modulo bias is irrelevant here. */
static uint64_t rnd_below(uint64_t *state, uint64_t n)
{
	return splitmix64(state) % n;
}

/* A probability as a threshold for splitmix64() < threshold. */
static uint64_t prob_threshold(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

/* ---- the session script ---- */

enum step_kind {
	SK_END,
	SK_SYN,
	SK_SYNACK,
	SK_ACK,
	SK_TEXT,
	SK_FIN,
	SK_DATA
};
enum conn_id {
	CONN_CTRL,
	CONN_DATA
};
enum role {
	ROLE_CLIENT,
	ROLE_SERVER
};

/* The time before a step's packet, after the previous packet of the
 * session. The capture point is at the server: a reply leaves after the
 * server's think time, the client's next packet comes a round trip plus
 * its think time later. */
enum delay_class {
	DL_NONE,
	DL_B2B,	   /* back to back from the same host: 5-20 us */
	DL_NET,	   /* one round trip: 0.4-0.6 ms */
	DL_REPLY,  /* server think time: 0.08-0.38 ms */
	DL_CLIENT, /* round trip + client think time: 0.6-2.1 ms */
	DL_HOLD,   /* before QUIT: 2-22 ms, --short: hold time +-10% */
	DL_IDLE,   /* the server's idle timeout (300 s) */
};

enum text_id {
	TX_NONE,
	TX_220,
	TX_USER,
	TX_331,
	TX_PASS,
	TX_230,
	TX_TYPE,
	TX_200_TYPE,
	TX_SETUP,	/* PASV, EPSV, PORT or EPRT */
	TX_SETUP_REPLY, /* 227, 229 or 200 */
	TX_STOR,
	TX_150,
	TX_226,
	TX_QUIT,
	TX_221,
	TX_421,
	TX_COUNT
};

struct step {
	uint8_t kind;  /* enum step_kind */
	uint8_t conn;  /* enum conn_id */
	uint8_t role;  /* enum role: who sends the packet */
	uint8_t text;  /* enum text_id, SK_TEXT only */
	uint8_t delay; /* enum delay_class */
};

/* One step per line, as the dialogue reads. */
/* clang-format off */
#define STEP(k, c, r, t, d) {SK_##k, CONN_##c, ROLE_##r, TX_##t, DL_##d}
#define STEP_END {SK_END, 0, 0, 0, 0}

static const struct step part_login[] = {
	STEP(SYN, CTRL, CLIENT, NONE, NONE),
	STEP(SYNACK, CTRL, SERVER, NONE, B2B),
	STEP(ACK, CTRL, CLIENT, NONE, NET),
	STEP(TEXT, CTRL, SERVER, 220, REPLY),
	STEP(TEXT, CTRL, CLIENT, USER, CLIENT),
	STEP(TEXT, CTRL, SERVER, 331, REPLY),
	STEP(TEXT, CTRL, CLIENT, PASS, CLIENT),
	STEP(TEXT, CTRL, SERVER, 230, REPLY),
	STEP_END,
};

static const struct step part_short_hold[] = {
	STEP(ACK, CTRL, CLIENT, NONE, NET),
	STEP_END,
};

static const struct step part_passive[] = {
	STEP(TEXT, CTRL, CLIENT, TYPE, CLIENT),
	STEP(TEXT, CTRL, SERVER, 200_TYPE, REPLY),
	STEP(TEXT, CTRL, CLIENT, SETUP, CLIENT),
	STEP(TEXT, CTRL, SERVER, SETUP_REPLY, REPLY),
	STEP(SYN, DATA, CLIENT, NONE, CLIENT),
	STEP(SYNACK, DATA, SERVER, NONE, B2B),
	STEP(ACK, DATA, CLIENT, NONE, NET),
	STEP(TEXT, CTRL, CLIENT, STOR, B2B),
	STEP(TEXT, CTRL, SERVER, 150, REPLY),
	STEP(DATA, DATA, CLIENT, NONE, NET),
	STEP_END,
};

/* vsftpd connects from port 20 once STOR arrives, then says 150. */
static const struct step part_active[] = {
	STEP(TEXT, CTRL, CLIENT, TYPE, CLIENT),
	STEP(TEXT, CTRL, SERVER, 200_TYPE, REPLY),
	STEP(TEXT, CTRL, CLIENT, SETUP, CLIENT),
	STEP(TEXT, CTRL, SERVER, SETUP_REPLY, REPLY),
	STEP(TEXT, CTRL, CLIENT, STOR, CLIENT),
	STEP(SYN, DATA, SERVER, NONE, REPLY),
	STEP(SYNACK, DATA, CLIENT, NONE, NET),
	STEP(ACK, DATA, SERVER, NONE, B2B),
	STEP(TEXT, CTRL, SERVER, 150, B2B),
	STEP(DATA, DATA, CLIENT, NONE, NET),
	STEP_END,
};

/* The sender closes the data connection; the server answers 226. */
static const struct step part_transfer_end[] = {
	STEP(FIN, DATA, CLIENT, NONE, B2B), STEP(FIN, DATA, SERVER, NONE, B2B),
	STEP(ACK, DATA, CLIENT, NONE, NET), STEP(TEXT, CTRL, SERVER, 226, REPLY),
	STEP(ACK, CTRL, CLIENT, NONE, NET), STEP_END,
};

static const struct step part_quit[] = {
	STEP(TEXT, CTRL, CLIENT, QUIT, HOLD), STEP(TEXT, CTRL, SERVER, 221, REPLY),
	STEP(FIN, CTRL, SERVER, NONE, B2B),   STEP(FIN, CTRL, CLIENT, NONE, NET),
	STEP(ACK, CTRL, SERVER, NONE, B2B),   STEP_END,
};

/* vsftpd's idle_session_timeout: "421 Timeout." and a FIN. */
static const struct step part_idle_timeout[] = {
	STEP(TEXT, CTRL, SERVER, 421, IDLE), STEP(FIN, CTRL, SERVER, NONE, B2B),
	STEP(ACK, CTRL, CLIENT, NONE, NET),  STEP(FIN, CTRL, CLIENT, NONE, CLIENT),
	STEP(ACK, CTRL, SERVER, NONE, B2B),  STEP_END,
};

static const struct step *const script_passive_quit[] = { part_login, part_passive,
							  part_transfer_end, part_quit, NULL };
static const struct step *const script_passive_timeout[] = { part_login, part_passive,
							     part_transfer_end, part_idle_timeout,
							     NULL };
static const struct step *const script_active_quit[] = { part_login, part_active, part_transfer_end,
							 part_quit, NULL };
static const struct step *const script_active_timeout[] = { part_login, part_active,
							    part_transfer_end, part_idle_timeout,
							    NULL };
static const struct step *const script_short_quit[] = { part_login, part_short_hold, part_quit,
							NULL };
static const struct step *const script_short_timeout[] = { part_login, part_short_hold,
							   part_idle_timeout, NULL };
/* clang-format on */

/* ---- generator state ---- */

struct endpoint {
	struct fst_addr addr;
	uint16_t port;
	bool ftp_client; /* the FTP client's host: MAC and TTL */
	uint32_t isn;
	uint32_t nxt; /* next sequence number to send */
	uint32_t ts_off;
	uint16_t ip_id;
};

struct conn {
	struct endpoint ep[2]; /* [0] sent the SYN */
};

struct session {
	uint64_t index;
	uint64_t rng;
	int64_t next_ns; /* time of the next packet (of the last, once ended) */
	bool v6, active, timeout;
	const struct step *const *script;
	size_t part, step;
	struct conn ctrl, data;
	/* The data transfer, in offsets from the first data byte. */
	uint32_t mss;
	int64_t seg_ns; /* between this session's data segments */
	uint64_t d_total, d_sent;
	bool hole; /* a segment held back: it follows its successor */
	uint64_t hole_off;
	uint32_t hole_len;
	int retx_wait; /* new segments until the retransmission; -1 none */
	uint64_t retx_off;
	uint32_t retx_len;
	unsigned unacked; /* segments since the receiver's last ACK */
};

struct gen_stats {
	uint64_t packets, file_bytes, payload_bytes;
	uint64_t sessions, ipv6, active, timeouts;
	uint64_t retransmissions, reordered;
	uint64_t tls_connections, app_records; /* --ftps */
	size_t open, open_peak;		       /* sessions between first and last packet */
	int64_t last_ns;
};

struct gen {
	struct gen_cfg cfg;
	FILE *out;
	FILE *keylog; /* --ftps: the NSS key log */
	uint8_t *buf;
	size_t used;
	uint8_t *pattern; /* PATTERN_SIZE + MSS bytes of payload */
	struct session *pool;
	struct session **heap;
	size_t heap_len;
	uint64_t next_index;
	uint64_t retrans_thresh, reorder_thresh, ipv6_thresh, active_thresh;
	struct fst_addr server4, server6;
	struct gen_stats st;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen_capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- bytes ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Ones' complement sum (RFC 1071) of len bytes in native word order,
 * not yet folded. Parts of one checksum must start at even offsets. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint32_t w32;
	uint16_t w16 = 0;

	while (len >= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		w16 = 0;
		memcpy(&w16, p, 1); /* the missing byte is a zero pad */
		sum += w16;
	}
	return sum;
}

/* Folds, complements and stores a checksum at p (native order, which is
 * the wire order for an RFC 1071 sum computed on native words). */
static void csum_store(uint8_t *p, uint64_t sum)
{
	uint16_t c;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	memcpy(p, &c, 2);
}

/* ---- output ---- */

static void flush_out(struct gen *g)
{
	if (g->used && fwrite(g->buf, 1, g->used, g->out) != g->used)
		die("%s: write failed: %s", g->cfg.out_path, strerror(errno));
	g->used = 0;
}

static void write_file_header(struct gen *g)
{
	uint32_t magic = 0xa1b2c3d4, snaplen = SNAPLEN, linktype = 1, zero = 0;
	uint16_t major = 2, minor = 4;
	uint8_t *p = g->buf + g->used;

	memcpy(p, &magic, 4);
	memcpy(p + 4, &major, 2);
	memcpy(p + 6, &minor, 2);
	memcpy(p + 8, &zero, 4);
	memcpy(p + 12, &zero, 4);
	memcpy(p + 16, &snaplen, 4);
	memcpy(p + 20, &linktype, 4);
	g->used += 24;
	g->st.file_bytes += 24;
}

/* Writes one Ethernet/IP/TCP frame from c->ep[from] to the other end. */
static void emit(struct gen *g, struct conn *c, int from, int64_t ts_ns, uint32_t seq, uint32_t ack,
		 uint8_t flags, const uint8_t *payload, uint32_t len)
{
	static const uint8_t mac_client_side[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t mac_server[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
	struct endpoint *src = &c->ep[from], *dst = &c->ep[!from];
	bool v6 = src->addr.family == 6;
	bool syn = (flags & FST_TCP_SYN) != 0;
	uint32_t tcp_len = syn ? TCP_SYN_LEN : TCP_LEN;
	uint32_t ip_len = v6 ? IP6_LEN : IP4_LEN;
	uint32_t frame_len = ETH_LEN + ip_len + tcp_len + len;
	uint32_t ts_ms = (uint32_t)((ts_ns / NS_PER_MS) & 0xffffffff);
	uint32_t sec = (uint32_t)(ts_ns / NS_PER_SEC);
	uint32_t usec = (uint32_t)((ts_ns % NS_PER_SEC) / NS_PER_US);
	uint8_t pseudo[40];
	uint8_t *rec, *eth, *ip, *tcp;
	uint64_t sum;

	if (g->used + REC_LEN + FRAME_MAX > OUTBUF_SIZE)
		flush_out(g);
	rec = g->buf + g->used;
	memcpy(rec, &sec, 4);
	memcpy(rec + 4, &usec, 4);
	memcpy(rec + 8, &frame_len, 4);
	memcpy(rec + 12, &frame_len, 4);

	eth = rec + REC_LEN;
	memcpy(eth, src->ftp_client ? mac_server : mac_client_side, 6);
	memcpy(eth + 6, src->ftp_client ? mac_client_side : mac_server, 6);
	put16(eth + 12, v6 ? 0x86dd : 0x0800);

	ip = eth + ETH_LEN;
	if (v6) {
		put32(ip, UINT32_C(0x60000000));
		put16(ip + 4, (uint16_t)(tcp_len + len));
		ip[6] = 6;
		ip[7] = src->ftp_client ? 61 : 64;
		memcpy(ip + 8, src->addr.bytes, 16);
		memcpy(ip + 24, dst->addr.bytes, 16);
		memcpy(pseudo, src->addr.bytes, 16);
		memcpy(pseudo + 16, dst->addr.bytes, 16);
		put32(pseudo + 32, tcp_len + len);
		put32(pseudo + 36, 6);
		sum = csum_add(0, pseudo, 40);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(IP4_LEN + tcp_len + len));
		put16(ip + 4, src->ip_id++);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = src->ftp_client ? 61 : 64;
		ip[9] = 6;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, src->addr.bytes, 4);
		memcpy(ip + 16, dst->addr.bytes, 4);
		csum_store(ip + 10, csum_add(0, ip, IP4_LEN));
		memcpy(pseudo, src->addr.bytes, 4);
		memcpy(pseudo + 4, dst->addr.bytes, 4);
		pseudo[8] = 0;
		pseudo[9] = 6;
		put16(pseudo + 10, (uint16_t)(tcp_len + len));
		sum = csum_add(0, pseudo, 12);
	}

	tcp = ip + ip_len;
	put16(tcp, src->port);
	put16(tcp + 2, dst->port);
	put32(tcp + 4, seq);
	put32(tcp + 8, (flags & FST_TCP_ACK) ? ack : 0);
	tcp[12] = (uint8_t)((tcp_len / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, syn ? 64240 : 501); /* 501 << 7 after the handshake */
	tcp[16] = tcp[17] = 0;
	put16(tcp + 18, 0);
	if (syn) {
		static const uint8_t syn_opts[20] = { 2, 4, 0, 0, 4, 2, 8, 10, 0, 0,
						      0, 0, 0, 0, 0, 0, 1, 3,  3, 7 };

		memcpy(tcp + 20, syn_opts, sizeof(syn_opts));
		put16(tcp + 22, v6 ? MSS6 + 12 : MSS4 + 12); /* MSS without options */
		put32(tcp + 28, src->ts_off + ts_ms);
		put32(tcp + 32, (flags & FST_TCP_ACK) ? dst->ts_off + ts_ms : 0);
	} else {
		tcp[20] = 1;
		tcp[21] = 1;
		tcp[22] = 8;
		tcp[23] = 10;
		put32(tcp + 24, src->ts_off + ts_ms);
		put32(tcp + 28, dst->ts_off + ts_ms);
	}
	if (len)
		memcpy(tcp + tcp_len, payload, len);
	sum = csum_add(sum, tcp, tcp_len + len);
	csum_store(tcp + 16, sum);

	g->used += REC_LEN + frame_len;
	g->st.packets++;
	g->st.file_bytes += REC_LEN + frame_len;
	g->st.payload_bytes += len;
	g->st.last_ns = ts_ns;
}

/* ---- sessions ---- */

static int conn_ep(const struct session *s, enum conn_id conn, enum role role)
{
	/* Active data connections are opened by the server. */
	if (conn == CONN_DATA && s->active)
		return role == ROLE_SERVER ? 0 : 1;
	return role == ROLE_CLIENT ? 0 : 1;
}

static struct conn *session_conn(struct session *s, enum conn_id conn)
{
	return conn == CONN_CTRL ? &s->ctrl : &s->data;
}

static int64_t jitter(struct session *s, int64_t base_ns, int64_t spread_ns)
{
	return base_ns + (int64_t)rnd_below(&s->rng, (uint64_t)spread_ns + 1);
}

static int64_t step_delay(const struct gen *g, struct session *s, enum delay_class d)
{
	switch (d) {
	case DL_NONE:
		return 0;
	case DL_B2B:
		return jitter(s, 5 * NS_PER_US, 15 * NS_PER_US);
	case DL_NET:
		return jitter(s, 400 * NS_PER_US, 200 * NS_PER_US);
	case DL_REPLY:
		return jitter(s, 80 * NS_PER_US, 300 * NS_PER_US);
	case DL_CLIENT:
		return jitter(s, 600 * NS_PER_US, 1500 * NS_PER_US);
	case DL_HOLD:
		if (g->cfg.short_mode)
			return jitter(s, g->cfg.hold_s * NS_PER_SEC * 9 / 10,
				      g->cfg.hold_s * NS_PER_SEC / 5);
		return jitter(s, 2 * NS_PER_MS, 20 * NS_PER_MS);
	case DL_IDLE:
		return jitter(s, g->cfg.idle_s * NS_PER_SEC, 2 * NS_PER_MS);
	}
	return 0;
}

static void format_addr(const struct fst_addr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

/* The line of text id for session s into buf (with CRLF); returns its
 * length. */
static uint32_t session_text(const struct session *s, enum text_id id, char *buf)
{
	const struct endpoint *srv_data = &s->data.ep[conn_ep(s, CONN_DATA, ROLE_SERVER)];
	const struct endpoint *cli_data = &s->data.ep[conn_ep(s, CONN_DATA, ROLE_CLIENT)];
	const uint8_t *a;
	char addr[64];
	int n = 0;

	switch (id) {
	case TX_NONE:
	case TX_COUNT:
		break;
	case TX_220:
		n = snprintf(buf, TEXT_MAX, "220 (vsFTPd 3.0.3)\r\n");
		break;
	case TX_USER:
		n = snprintf(buf, TEXT_MAX, "USER backup%" PRIu64 "\r\n", s->index % 1000);
		break;
	case TX_331:
		n = snprintf(buf, TEXT_MAX, "331 Please specify the password.\r\n");
		break;
	case TX_PASS:
		n = snprintf(buf, TEXT_MAX, "PASS not-a-secret\r\n");
		break;
	case TX_230:
		n = snprintf(buf, TEXT_MAX, "230 Login successful.\r\n");
		break;
	case TX_TYPE:
		n = snprintf(buf, TEXT_MAX, "TYPE I\r\n");
		break;
	case TX_200_TYPE:
		n = snprintf(buf, TEXT_MAX, "200 Switching to Binary mode.\r\n");
		break;
	case TX_SETUP:
		if (!s->active) {
			n = snprintf(buf, TEXT_MAX, "%s\r\n", s->v6 ? "EPSV" : "PASV");
		} else if (s->v6) {
			format_addr(&cli_data->addr, addr, sizeof(addr));
			n = snprintf(buf, TEXT_MAX, "EPRT |2|%s|%u|\r\n", addr, cli_data->port);
		} else {
			a = cli_data->addr.bytes;
			n = snprintf(buf, TEXT_MAX, "PORT %u,%u,%u,%u,%u,%u\r\n", a[0], a[1], a[2],
				     a[3], cli_data->port >> 8, cli_data->port & 0xff);
		}
		break;
	case TX_SETUP_REPLY:
		if (s->active) {
			n = snprintf(buf, TEXT_MAX,
				     "200 %s command successful. Consider using %s.\r\n",
				     s->v6 ? "EPRT" : "PORT", s->v6 ? "EPSV" : "PASV");
		} else if (s->v6) {
			n = snprintf(buf, TEXT_MAX,
				     "229 Entering Extended Passive Mode (|||%u|)\r\n",
				     srv_data->port);
		} else {
			a = srv_data->addr.bytes;
			n = snprintf(buf, TEXT_MAX,
				     "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n", a[0],
				     a[1], a[2], a[3], srv_data->port >> 8, srv_data->port & 0xff);
		}
		break;
	case TX_STOR:
		n = snprintf(buf, TEXT_MAX, "STOR backup/vol%06" PRIu64 ".difftar.gz\r\n",
			     s->index + 1);
		break;
	case TX_150:
		n = snprintf(buf, TEXT_MAX, "150 Ok to send data.\r\n");
		break;
	case TX_226:
		n = snprintf(buf, TEXT_MAX, "226 Transfer complete.\r\n");
		break;
	case TX_QUIT:
		n = snprintf(buf, TEXT_MAX, "QUIT\r\n");
		break;
	case TX_221:
		n = snprintf(buf, TEXT_MAX, "221 Goodbye.\r\n");
		break;
	case TX_421:
		n = snprintf(buf, TEXT_MAX, "421 Timeout.\r\n");
		break;
	}
	if (n < 0 || n >= TEXT_MAX)
		die("internal: text %d does not fit", (int)id);
	return (uint32_t)n;
}

static void endpoint_init(struct session *s, struct endpoint *ep, const struct fst_addr *addr,
			  uint16_t port, bool ftp_client)
{
	ep->addr = *addr;
	ep->port = port;
	ep->ftp_client = ftp_client;
	ep->isn = (uint32_t)splitmix64(&s->rng);
	ep->nxt = ep->isn;
	ep->ts_off = (uint32_t)splitmix64(&s->rng);
	ep->ip_id = (uint16_t)splitmix64(&s->rng);
}

/* Sets up session number index, its first packet at start_ns. */
static void session_start(struct gen *g, struct session *s, uint64_t index, int64_t start_ns)
{
	uint64_t rng = g->cfg.seed ^ (index * UINT64_C(0xd1b54a32d192ed03));
	uint64_t per_session_bps, wire_bits;
	struct fst_addr client = { 0 };
	const struct fst_addr *server;
	uint16_t ctrl_port, data_port, pasv_port;
	uint32_t host = (uint32_t)index + 1;

	memset(s, 0, sizeof(*s));
	s->index = index;
	splitmix64(&rng);
	s->rng = rng;
	s->next_ns = start_ns;
	s->v6 = splitmix64(&s->rng) < g->ipv6_thresh;
	s->active = !g->cfg.short_mode && splitmix64(&s->rng) < g->active_thresh;
	s->timeout = g->cfg.timeout_every && (index + 1) % g->cfg.timeout_every == 0;

	/* Clients 10.0.0.1 ... and 2001:db8:c::1 ...; one server. */
	if (s->v6) {
		static const uint8_t prefix[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c };

		client.family = 6;
		memcpy(client.bytes, prefix, sizeof(prefix));
		put32(client.bytes + 12, host);
		server = &g->server6;
	} else {
		client.family = 4;
		put32(client.bytes, (UINT32_C(10) << 24) | (host & 0xffffff));
		server = &g->server4;
	}
	ctrl_port = (uint16_t)(32768 + (index * 7919) % 28000);
	data_port = (uint16_t)(ctrl_port + 1);
	pasv_port = (uint16_t)(40000 + index % 10000);

	endpoint_init(s, &s->ctrl.ep[0], &client, ctrl_port, true);
	endpoint_init(s, &s->ctrl.ep[1], server, FTP_PORT, false);
	if (s->active) {
		endpoint_init(s, &s->data.ep[0], server, FTP_DATA_PORT, false);
		endpoint_init(s, &s->data.ep[1], &client, data_port, true);
	} else {
		endpoint_init(s, &s->data.ep[0], &client, data_port, true);
		endpoint_init(s, &s->data.ep[1], server, pasv_port, false);
	}

	if (g->cfg.short_mode)
		s->script = s->timeout ? script_short_timeout : script_short_quit;
	else if (s->active)
		s->script = s->timeout ? script_active_timeout : script_active_quit;
	else
		s->script = s->timeout ? script_passive_timeout : script_passive_quit;

	s->mss = s->v6 ? MSS6 : MSS4;
	s->d_total = g->cfg.bytes_per_session;
	s->retx_wait = -1;
	/* Every open session gets an equal share of the link. */
	per_session_bps = (uint64_t)(g->cfg.rate_mbit * 1e6) / g->cfg.concurrency;
	if (per_session_bps == 0)
		per_session_bps = 1;
	wire_bits = (uint64_t)(ETH_LEN + 4 + 8 + 12 + 1500) * 8; /* + FCS, preamble, IFG */
	s->seg_ns = (int64_t)(wire_bits * (uint64_t)NS_PER_SEC / per_session_bps);
	if (s->seg_ns < 1)
		s->seg_ns = 1;

	g->st.sessions++;
	g->st.ipv6 += s->v6;
	g->st.active += s->active;
	g->st.timeouts += s->timeout;
}

static void emit_data_segment(struct gen *g, struct session *s, int snd, int64_t ts, uint64_t off,
			      uint32_t len)
{
	struct endpoint *se = &s->data.ep[snd], *re = &s->data.ep[!snd];

	emit(g, &s->data, snd, ts, se->isn + 1 + (uint32_t)off, re->nxt, FST_TCP_ACK | FST_TCP_PSH,
	     g->pattern + off % PATTERN_SIZE, len);
	s->unacked++;
}

/* Length of the next new data segment: an MSS, or what is left. */
static uint32_t next_len(const struct session *s)
{
	uint64_t left = s->d_total - s->d_sent;

	return (uint32_t)(left < s->mss ? left : s->mss);
}

/* One packet of the data transfer at s->next_ns. Returns true and the
 * delay to the next one while the transfer goes on, false after its
 * last packet. */
static bool data_step(struct gen *g, struct session *s, int64_t *delay)
{
	int snd = conn_ep(s, CONN_DATA, ROLE_CLIENT); /* STOR: the client sends */
	struct endpoint *se = &s->data.ep[snd], *re = &s->data.ep[!snd];
	bool sending = s->d_sent < s->d_total || s->hole || s->retx_wait >= 0;
	int64_t ts = s->next_ns;

	if (s->unacked >= 2 || (!sending && s->unacked > 0)) {
		/* The receiver acknowledges what it holds in order. */
		uint64_t in_order = s->hole ? s->hole_off : s->d_sent;

		emit(g, &s->data, !snd, ts, re->nxt, se->isn + 1 + (uint32_t)in_order, FST_TCP_ACK,
		     NULL, 0);
		s->unacked = 0;
	} else if (s->hole) {
		emit_data_segment(g, s, snd, ts, s->hole_off, s->hole_len);
		s->hole = false;
	} else if (s->retx_wait == 0 || (s->retx_wait > 0 && s->d_sent == s->d_total)) {
		emit_data_segment(g, s, snd, ts, s->retx_off, s->retx_len);
		s->retx_wait = -1;
		g->st.retransmissions++;
	} else {
		uint32_t len = next_len(s);

		if (s->d_sent + len < s->d_total && splitmix64(&s->rng) < g->reorder_thresh) {
			/* This one is held back and follows the next. */
			s->hole = true;
			s->hole_off = s->d_sent;
			s->hole_len = len;
			s->d_sent += len;
			len = next_len(s);
			g->st.reordered++;
		} else if (s->retx_wait < 0 && splitmix64(&s->rng) < g->retrans_thresh) {
			s->retx_wait = 3;
			s->retx_off = s->d_sent;
			s->retx_len = len;
		} else if (s->retx_wait > 0) {
			s->retx_wait--;
		}
		emit_data_segment(g, s, snd, ts, s->d_sent, len);
		s->d_sent += len;
	}

	sending = s->d_sent < s->d_total || s->hole || s->retx_wait >= 0;
	if (!sending && s->unacked == 0) {
		se->nxt = se->isn + 1 + (uint32_t)s->d_total;
		return false;
	}
	if (s->unacked >= 2 || s->hole || !sending)
		*delay = step_delay(g, s, DL_B2B);
	else
		*delay = s->seg_ns - s->seg_ns / 20 +
			 (int64_t)rnd_below(&s->rng, (uint64_t)(s->seg_ns / 10) + 1);
	return true;
}

/* Emits the session's packet at s->next_ns and schedules the next one.
 * Returns false when that was the session's last packet. */
static bool session_step(struct gen *g, struct session *s)
{
	const struct step *st = &s->script[s->part][s->step];
	struct conn *c = session_conn(s, st->conn);
	int from = conn_ep(s, st->conn, st->role);
	struct endpoint *src = &c->ep[from], *dst = &c->ep[!from];
	int64_t ts = s->next_ns;
	char text[TEXT_MAX];
	uint32_t len;

	if (s->part == 0 && s->step == 0 && ++g->st.open > g->st.open_peak)
		g->st.open_peak = g->st.open;
	switch ((enum step_kind)st->kind) {
	case SK_END:
		die("internal: empty script part");
	case SK_SYN:
		emit(g, c, from, ts, src->isn, 0, FST_TCP_SYN, NULL, 0);
		src->nxt = src->isn + 1;
		break;
	case SK_SYNACK:
		emit(g, c, from, ts, src->isn, dst->nxt, FST_TCP_SYN | FST_TCP_ACK, NULL, 0);
		src->nxt = src->isn + 1;
		break;
	case SK_ACK:
		emit(g, c, from, ts, src->nxt, dst->nxt, FST_TCP_ACK, NULL, 0);
		break;
	case SK_TEXT:
		len = session_text(s, (enum text_id)st->text, text);
		emit(g, c, from, ts, src->nxt, dst->nxt, FST_TCP_ACK | FST_TCP_PSH,
		     (const uint8_t *)text, len);
		src->nxt += len;
		break;
	case SK_FIN:
		emit(g, c, from, ts, src->nxt, dst->nxt, FST_TCP_FIN | FST_TCP_ACK, NULL, 0);
		src->nxt++;
		break;
	case SK_DATA: {
		int64_t delay;

		if (data_step(g, s, &delay)) {
			s->next_ns += delay;
			return true;
		}
		break;
	}
	}

	s->step++;
	if (s->script[s->part][s->step].kind == SK_END) {
		s->part++;
		s->step = 0;
		if (!s->script[s->part]) {
			g->st.open--;
			return false;
		}
	}
	s->next_ns += step_delay(g, s, (enum delay_class)s->script[s->part][s->step].delay);
	return true;
}

/* ---- the heap of open sessions, earliest next packet first ---- */

static bool heap_before(const struct session *a, const struct session *b)
{
	return a->next_ns < b->next_ns || (a->next_ns == b->next_ns && a->index < b->index);
}

static void heap_sift_down(struct gen *g, size_t i)
{
	struct session *s = g->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, best = l;

		if (l >= g->heap_len)
			break;
		if (l + 1 < g->heap_len && heap_before(g->heap[l + 1], g->heap[l]))
			best = l + 1;
		if (!heap_before(g->heap[best], s))
			break;
		g->heap[i] = g->heap[best];
		i = best;
	}
	g->heap[i] = s;
}

static void heap_push(struct gen *g, struct session *s)
{
	size_t i = g->heap_len++;

	while (i > 0 && heap_before(s, g->heap[(i - 1) / 2])) {
		g->heap[i] = g->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->heap[i] = s;
}

static void run(struct gen *g)
{
	uint64_t rng = g->cfg.seed ^ UINT64_C(0x5851f42d4c957f2d);
	uint64_t first = g->cfg.concurrency < g->cfg.sessions ? g->cfg.concurrency :
								g->cfg.sessions;
	/* The first C sessions start staggered, then each ending session's
	 * slot goes to the next one. */
	int64_t stagger = g->cfg.short_mode ? 100 * NS_PER_US : 5 * NS_PER_MS;

	for (uint64_t k = 0; k < first; k++) {
		int64_t start = EPOCH_NS + (int64_t)k * stagger +
				(int64_t)rnd_below(&rng, (uint64_t)stagger);

		session_start(g, &g->pool[k], g->next_index++, start);
		heap_push(g, &g->pool[k]);
	}
	while (g->heap_len) {
		struct session *s = g->heap[0];

		if (!session_step(g, s)) {
			if (g->next_index < g->cfg.sessions) {
				int64_t gap = g->cfg.short_mode ? NS_PER_MS : 10 * NS_PER_MS;

				session_start(g, s, g->next_index++,
					      s->next_ns + 1 +
						      (int64_t)rnd_below(&rng, (uint64_t)gap));
			} else {
				g->heap[0] = g->heap[--g->heap_len];
				if (!g->heap_len)
					break;
			}
		}
		heap_sift_down(g, 0);
	}
}

/* ---- FTPS sessions (--ftps) ----
 *
 * Explicit FTPS as vsftpd speaks it: banner, AUTH TLS and 234 in
 * cleartext, then a TLS 1.2 handshake (RFC 5246) with
 * TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 and the whole dialogue (USER,
 * PASS, PBSZ 0, PROT P, TYPE I, PASV, STOR, QUIT and their replies) in
 * application-data records; the passive data connection has its own
 * handshake and carries the STOR in records of 16 KiB of plaintext. The
 * records are encrypted for real (AES-128-GCM, RFC 5288) under keys from
 * a master secret of the seed's, and each connection's NSS key log line
 * (CLIENT_RANDOM) goes to the key log, so that a decrypting reader reads
 * the dialogue back. The handshake carries no certificate and no key
 * exchange that would bind the master secret: a reader with the key log
 * needs neither. Sessions follow one another (no concurrency). */

enum {
	TLS_RANDOM = 32,
	TLS_MASTER = 48,
	TLS_KEY = 16,
	TLS_SALT = 4,	  /* the implicit part of the GCM nonce */
	TLS_EXPLICIT = 8, /* the explicit part, sent before each record's ciphertext */
	TLS_TAG = 16,
	TLS_HEADER = 5,
	TLS_PLAIN_MAX = 16384, /* RFC 5246 6.2.1 */
	TLS_RECORD_MAX = TLS_HEADER + TLS_EXPLICIT + TLS_PLAIN_MAX + TLS_TAG,
	TLS_CT_CCS = 20,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APP = 23,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_SERVER_DONE = 14,
	TLS_HS_CLIENT_KX = 16,
	TLS_HS_FINISHED = 20,
	TLS_VERIFY = 12,
	TLS_SUITE = 0xC02F, /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
	FTPS_PASV_PORT = 40000,
	FTPS_SEG_GAP_NS = 12 * NS_PER_US, /* a full frame at 1 Gbit/s */
};

/* One direction of a TLS connection: its key, salt and sequence number. */
struct tls_dir {
	EVP_CIPHER_CTX *aead;
	uint8_t salt[TLS_SALT];
	uint64_t seq;
};

struct tls_conn {
	struct conn tcp;
	uint8_t client_random[TLS_RANDOM], server_random[TLS_RANDOM], master[TLS_MASTER];
	struct tls_dir dir[2];	/* [0] client to server */
	EVP_MD_CTX *transcript; /* SHA-256 of the handshake messages */
};

/* The TLS 1.2 PRF with SHA-256 (RFC 5246 5): out = PRF(secret, label,
 * seed1 || seed2). */
static void tls_prf(const uint8_t *secret, size_t secret_len, const char *label,
		    const uint8_t *seed1, size_t len1, const uint8_t *seed2, size_t len2,
		    uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;

	if (!kctx)
		die("OpenSSL has no TLS1-PRF");
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len);
	/* Seeds given more than once are concatenated. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed1, len1);
	if (len2)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed2, len2);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) != 1)
		die("TLS1-PRF failed");
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

static void fill_random(uint64_t *rng, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)splitmix64(rng);
}

/* Keys from the master secret (RFC 5246 6.3; RFC 5288 3: no MAC keys,
 * 4-byte salts): client key, server key, client salt, server salt. */
static void tls_keys(struct tls_conn *t)
{
	uint8_t block[2 * TLS_KEY + 2 * TLS_SALT];

	tls_prf(t->master, TLS_MASTER, "key expansion", t->server_random, TLS_RANDOM,
		t->client_random, TLS_RANDOM, block, sizeof(block));
	for (int d = 0; d < 2; d++) {
		t->dir[d].aead = EVP_CIPHER_CTX_new();
		if (!t->dir[d].aead || EVP_EncryptInit_ex(t->dir[d].aead, EVP_aes_128_gcm(), NULL,
							  block + d * TLS_KEY, NULL) != 1)
			die("AES-128-GCM setup failed");
		memcpy(t->dir[d].salt, block + 2 * TLS_KEY + d * TLS_SALT, TLS_SALT);
		t->dir[d].seq = 0;
	}
}

static void tls_conn_free(struct tls_conn *t)
{
	EVP_CIPHER_CTX_free(t->dir[0].aead);
	EVP_CIPHER_CTX_free(t->dir[1].aead);
	EVP_MD_CTX_free(t->transcript);
}

/* Writes a record of type with the plaintext to out (RFC 5246 6.2.3.3):
 * header, explicit nonce (the sequence number), ciphertext, tag. Returns
 * its length. */
static size_t tls_seal(struct tls_dir *d, uint8_t type, const uint8_t *plain, size_t len,
		       uint8_t *out)
{
	uint8_t nonce[TLS_SALT + TLS_EXPLICIT], aad[13];
	int n;

	out[0] = type;
	put16(out + 1, 0x0303);
	put16(out + 3, (uint16_t)(TLS_EXPLICIT + len + TLS_TAG));
	memcpy(nonce, d->salt, TLS_SALT);
	for (int i = 0; i < 8; i++)
		nonce[TLS_SALT + i] = (uint8_t)(d->seq >> (56 - 8 * i));
	memcpy(out + TLS_HEADER, nonce + TLS_SALT, TLS_EXPLICIT);
	memcpy(aad, nonce + TLS_SALT, 8);
	aad[8] = type;
	put16(aad + 9, 0x0303);
	put16(aad + 11, (uint16_t)len);
	if (EVP_EncryptInit_ex(d->aead, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(d->aead, NULL, &n, aad, sizeof(aad)) != 1 ||
	    EVP_EncryptUpdate(d->aead, out + TLS_HEADER + TLS_EXPLICIT, &n, plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(d->aead, out + TLS_HEADER + TLS_EXPLICIT + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->aead, EVP_CTRL_GCM_GET_TAG, TLS_TAG,
				out + TLS_HEADER + TLS_EXPLICIT + len) != 1)
		die("AES-128-GCM failed");
	d->seq++;
	return TLS_HEADER + TLS_EXPLICIT + len + TLS_TAG;
}

/* Sends len bytes from c->ep[from] at *ts in segments of at most MSS4
 * bytes, the last with PSH; the receiver ACKs every second segment and
 * the last. Moves *ts past them. */
static void tcp_send(struct gen *g, struct conn *c, int from, int64_t *ts, const uint8_t *p,
		     size_t len)
{
	struct endpoint *src = &c->ep[from], *dst = &c->ep[!from];
	unsigned segs = 0;

	while (len > 0) {
		uint32_t n = len > MSS4 ? MSS4 : (uint32_t)len;
		bool last = n == len;

		emit(g, c, from, *ts, src->nxt, dst->nxt,
		     (uint8_t)(FST_TCP_ACK | (last ? FST_TCP_PSH : 0)), p, n);
		src->nxt += n;
		p += n;
		len -= n;
		*ts += FTPS_SEG_GAP_NS;
		if (++segs % 2 == 0 || last) {
			emit(g, c, !from, *ts, dst->nxt, src->nxt, FST_TCP_ACK, NULL, 0);
			*ts += FTPS_SEG_GAP_NS;
		}
	}
}

static void tcp_open(struct gen *g, struct conn *c, int64_t *ts)
{
	emit(g, c, 0, *ts, c->ep[0].nxt++, 0, FST_TCP_SYN, NULL, 0);
	*ts += 500 * NS_PER_US;
	emit(g, c, 1, *ts, c->ep[1].nxt++, c->ep[0].nxt, FST_TCP_SYN | FST_TCP_ACK, NULL, 0);
	*ts += 500 * NS_PER_US;
	emit(g, c, 0, *ts, c->ep[0].nxt, c->ep[1].nxt, FST_TCP_ACK, NULL, 0);
	*ts += 20 * NS_PER_US;
}

/* The side `from` closes first; the other answers with its FIN. */
static void tcp_close(struct gen *g, struct conn *c, int from, int64_t *ts)
{
	struct endpoint *a = &c->ep[from], *b = &c->ep[!from];

	emit(g, c, from, *ts, a->nxt++, b->nxt, FST_TCP_FIN | FST_TCP_ACK, NULL, 0);
	*ts += 300 * NS_PER_US;
	emit(g, c, !from, *ts, b->nxt++, a->nxt, FST_TCP_FIN | FST_TCP_ACK, NULL, 0);
	*ts += 300 * NS_PER_US;
	emit(g, c, from, *ts, a->nxt, b->nxt, FST_TCP_ACK, NULL, 0);
	*ts += 20 * NS_PER_US;
}

/* Appends a handshake message (type, 3-byte length, body) to out at *len
 * and to the transcript. */
static void hs_message(struct tls_conn *t, uint8_t type, const uint8_t *body, size_t body_len,
		       uint8_t *out, size_t *len)
{
	uint8_t *m = out + *len;

	m[0] = type;
	m[1] = (uint8_t)(body_len >> 16);
	put16(m + 2, (uint16_t)body_len);
	if (body_len) /* ServerHelloDone has no body (and body is NULL) */
		memcpy(m + 4, body, body_len);
	if (EVP_DigestUpdate(t->transcript, m, 4 + body_len) != 1)
		die("SHA-256 failed");
	*len += 4 + body_len;
}

/* A cleartext record header in front of the len bytes at out + 5. */
static size_t plain_record(uint8_t type, uint8_t *out, size_t len)
{
	out[0] = type;
	put16(out + 1, 0x0303);
	put16(out + 3, (uint16_t)len);
	return TLS_HEADER + len;
}

/* The Finished message of side (0 client, 1 server) over the transcript
 * so far (RFC 5246 7.4.9), added to it. */
static void hs_finished(struct tls_conn *t, int side, uint8_t *msg, size_t *len)
{
	uint8_t hash[32], verify[TLS_VERIFY];
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned hash_len = 0;

	if (!copy || EVP_MD_CTX_copy_ex(copy, t->transcript) != 1 ||
	    EVP_DigestFinal_ex(copy, hash, &hash_len) != 1)
		die("SHA-256 failed");
	EVP_MD_CTX_free(copy);
	tls_prf(t->master, TLS_MASTER, side ? "server finished" : "client finished", hash, hash_len,
		NULL, 0, verify, sizeof(verify));
	hs_message(t, TLS_HS_FINISHED, verify, sizeof(verify), msg, len);
}

/* Hellos, key exchange, ChangeCipherSpec and Finished each way; writes
 * the connection's key log line. The server's session ID is random. */
static void tls_handshake(struct gen *g, struct tls_conn *t, uint64_t *rng, int64_t *ts)
{
	static const uint8_t sni[] = "ftp.example.net";
	uint8_t body[512], rec[1024], msg[64];
	size_t n = 0, len = 0, host = sizeof(sni) - 1;

	t->transcript = EVP_MD_CTX_new();
	if (!t->transcript || EVP_DigestInit_ex(t->transcript, EVP_sha256(), NULL) != 1)
		die("SHA-256 failed");
	fill_random(rng, t->client_random, TLS_RANDOM);
	fill_random(rng, t->server_random, TLS_RANDOM);
	fill_random(rng, t->master, TLS_MASTER);

	/* ClientHello: no session ID; one suite; no compression; SNI,
	 * supported groups (x25519, secp256r1), point formats. */
	put16(body, 0x0303);
	memcpy(body + 2, t->client_random, TLS_RANDOM);
	n = 2 + TLS_RANDOM;
	body[n++] = 0;
	put16(body + n, 2);
	put16(body + n + 2, TLS_SUITE);
	n += 4;
	body[n++] = 1;
	body[n++] = 0;
	put16(body + n, (uint16_t)(9 + host + 10 + 6));
	n += 2;
	put16(body + n, 0); /* server_name */
	put16(body + n + 2, (uint16_t)(5 + host));
	put16(body + n + 4, (uint16_t)(3 + host));
	body[n + 6] = 0;
	put16(body + n + 7, (uint16_t)host);
	memcpy(body + n + 9, sni, host);
	n += 9 + host;
	memcpy(body + n, (const uint8_t[]){ 0, 0x0a, 0, 6, 0, 4, 0, 0x1d, 0, 0x17 }, 10);
	n += 10;
	memcpy(body + n, (const uint8_t[]){ 0, 0x0b, 0, 2, 1, 0 }, 6);
	n += 6;
	hs_message(t, TLS_HS_CLIENT_HELLO, body, n, rec, &(size_t){ TLS_HEADER });
	len = plain_record(TLS_CT_HANDSHAKE, rec, 4 + n);
	tcp_send(g, &t->tcp, 0, ts, rec, len);
	*ts += 300 * NS_PER_US;

	/* ServerHello (a 32-byte session ID, the suite, renegotiation_info)
	 * and ServerHelloDone in one record. */
	put16(body, 0x0303);
	memcpy(body + 2, t->server_random, TLS_RANDOM);
	n = 2 + TLS_RANDOM;
	body[n++] = 32;
	fill_random(rng, body + n, 32);
	n += 32;
	put16(body + n, TLS_SUITE);
	n += 2;
	body[n++] = 0;
	memcpy(body + n, (const uint8_t[]){ 0, 5, 0xff, 0x01, 0, 1, 0 }, 7);
	n += 7;
	len = TLS_HEADER;
	hs_message(t, TLS_HS_SERVER_HELLO, body, n, rec, &len);
	hs_message(t, TLS_HS_SERVER_DONE, NULL, 0, rec, &len);
	len = plain_record(TLS_CT_HANDSHAKE, rec, len - TLS_HEADER);
	tcp_send(g, &t->tcp, 1, ts, rec, len);
	*ts += 600 * NS_PER_US;

	/* ClientKeyExchange (an uncompressed secp256r1 point), then
	 * ChangeCipherSpec and the encrypted Finished: sequence number 0. */
	tls_keys(t);
	body[0] = 65;
	body[1] = 4;
	fill_random(rng, body + 2, 64);
	len = TLS_HEADER;
	hs_message(t, TLS_HS_CLIENT_KX, body, 66, rec, &len);
	len = plain_record(TLS_CT_HANDSHAKE, rec, len - TLS_HEADER);
	rec[len] = TLS_CT_CCS;
	put16(rec + len + 1, 0x0303);
	put16(rec + len + 3, 1);
	rec[len + 5] = 1;
	len += 6;
	n = 0;
	hs_finished(t, 0, msg, &n);
	len += tls_seal(&t->dir[0], TLS_CT_HANDSHAKE, msg, n, rec + len);
	tcp_send(g, &t->tcp, 0, ts, rec, len);
	*ts += 300 * NS_PER_US;

	rec[0] = TLS_CT_CCS;
	put16(rec + 1, 0x0303);
	put16(rec + 3, 1);
	rec[5] = 1;
	len = 6;
	n = 0;
	hs_finished(t, 1, msg, &n);
	len += tls_seal(&t->dir[1], TLS_CT_HANDSHAKE, msg, n, rec + len);
	tcp_send(g, &t->tcp, 1, ts, rec, len);
	*ts += 600 * NS_PER_US;

	if (g->keylog) {
		fputs("CLIENT_RANDOM ", g->keylog);
		for (int i = 0; i < TLS_RANDOM; i++)
			fprintf(g->keylog, "%02x", t->client_random[i]);
		fputc(' ', g->keylog);
		for (int i = 0; i < TLS_MASTER; i++)
			fprintf(g->keylog, "%02x", t->master[i]);
		fputc('\n', g->keylog);
	}
	g->st.tls_connections++;
}

/* One application-data record of text from side `from`. */
static void tls_text(struct gen *g, struct tls_conn *t, int from, int64_t *ts, const char *text)
{
	uint8_t rec[TLS_HEADER + TLS_EXPLICIT + TEXT_MAX + TLS_TAG];
	size_t len = tls_seal(&t->dir[from], TLS_CT_APP, (const uint8_t *)text, strlen(text), rec);

	tcp_send(g, &t->tcp, from, ts, rec, len);
	g->st.app_records++;
	*ts += from ? 200 * NS_PER_US : 900 * NS_PER_US;
}

/* Cleartext FTP before AUTH TLS. */
static void ftp_text(struct gen *g, struct conn *c, int from, int64_t *ts, const char *text)
{
	tcp_send(g, c, from, ts, (const uint8_t *)text, strlen(text));
	*ts += from ? 200 * NS_PER_US : 900 * NS_PER_US;
}

static void ftps_session(struct gen *g, uint64_t index, int64_t *ts, uint8_t *record)
{
	uint64_t rng = g->cfg.seed ^ (index * UINT64_C(0xd1b54a32d192ed03));
	struct session s = { .rng = rng };
	struct tls_conn ctrl = { 0 }, data = { 0 };
	struct fst_addr client = { .family = 4 };
	uint16_t ctrl_port = (uint16_t)(32768 + (index * 7919) % 28000);
	uint16_t pasv_port = (uint16_t)(FTPS_PASV_PORT + index % 10000);
	uint64_t left = g->cfg.bytes_per_session, offset = 0;
	char text[TEXT_MAX];

	splitmix64(&s.rng);
	put32(client.bytes, (UINT32_C(10) << 24) | ((uint32_t)(index + 1) & 0xffffff));
	endpoint_init(&s, &ctrl.tcp.ep[0], &client, ctrl_port, true);
	endpoint_init(&s, &ctrl.tcp.ep[1], &g->server4, FTP_PORT, false);
	endpoint_init(&s, &data.tcp.ep[0], &client, (uint16_t)(ctrl_port + 1), true);
	endpoint_init(&s, &data.tcp.ep[1], &g->server4, pasv_port, false);

	tcp_open(g, &ctrl.tcp, ts);
	ftp_text(g, &ctrl.tcp, 1, ts, "220 (vsFTPd 3.0.3)\r\n");
	ftp_text(g, &ctrl.tcp, 0, ts, "AUTH TLS\r\n");
	ftp_text(g, &ctrl.tcp, 1, ts, "234 Proceed with negotiation.\r\n");
	tls_handshake(g, &ctrl, &s.rng, ts);
	tls_text(g, &ctrl, 0, ts, "USER bench\r\n");
	tls_text(g, &ctrl, 1, ts, "331 Please specify the password.\r\n");
	tls_text(g, &ctrl, 0, ts, "PASS bench-secret\r\n");
	tls_text(g, &ctrl, 1, ts, "230 Login successful.\r\n");
	tls_text(g, &ctrl, 0, ts, "PBSZ 0\r\n");
	tls_text(g, &ctrl, 1, ts, "200 PBSZ set to 0.\r\n");
	tls_text(g, &ctrl, 0, ts, "PROT P\r\n");
	tls_text(g, &ctrl, 1, ts, "200 PROT now Private.\r\n");
	tls_text(g, &ctrl, 0, ts, "TYPE I\r\n");
	tls_text(g, &ctrl, 1, ts, "200 Switching to Binary mode.\r\n");
	tls_text(g, &ctrl, 0, ts, "PASV\r\n");
	snprintf(text, sizeof(text), "227 Entering Passive Mode (192,0,2,21,%u,%u).\r\n",
		 pasv_port >> 8, pasv_port & 0xff);
	tls_text(g, &ctrl, 1, ts, text);
	snprintf(text, sizeof(text), "STOR bench-%" PRIu64 ".bin\r\n", index);
	tls_text(g, &ctrl, 0, ts, text);
	tcp_open(g, &data.tcp, ts);
	tls_text(g, &ctrl, 1, ts, "150 Ok to send data.\r\n");
	tls_handshake(g, &data, &s.rng, ts);
	while (left > 0) {
		size_t n = left > TLS_PLAIN_MAX ? TLS_PLAIN_MAX : (size_t)left;
		size_t len = tls_seal(&data.dir[0], TLS_CT_APP,
				      g->pattern + offset % (PATTERN_SIZE - TLS_PLAIN_MAX), n,
				      record);

		tcp_send(g, &data.tcp, 0, ts, record, len);
		g->st.app_records++;
		offset += n;
		left -= n;
	}
	tcp_close(g, &data.tcp, 0, ts);
	tls_text(g, &ctrl, 1, ts, "226 Transfer complete.\r\n");
	tls_text(g, &ctrl, 0, ts, "QUIT\r\n");
	tls_text(g, &ctrl, 1, ts, "221 Goodbye.\r\n");
	tcp_close(g, &ctrl.tcp, 1, ts);
	tls_conn_free(&ctrl);
	tls_conn_free(&data);
	g->st.sessions++;
	*ts += 2 * NS_PER_MS;
}

static void run_ftps(struct gen *g)
{
	uint8_t *record = malloc(TLS_RECORD_MAX);
	int64_t ts = EPOCH_NS;

	if (!record)
		die("out of memory");
	for (uint64_t i = 0; i < g->cfg.sessions; i++)
		ftps_session(g, i, &ts, record);
	free(record);
}

/* ---- options ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gen_capture [options] -o FILE\n\n"
		"Writes a reproducible pcap of N interleaved FTP sessions (vsftpd dialogue,\n"
		"STOR over passive or active data connections) for ftpstall's benchmarks.\n"
		"Prints a key=value summary on standard output.\n\n"
		"  -o FILE                    output file ('-' is standard output: then no summary)\n"
		"  --sessions N               sessions in all (default 200)\n"
		"  --bytes-per-session B      STOR size (default 5000000; K/M/G suffixes are binary)\n"
		"  --size S                   pick --bytes-per-session for a file of about S bytes\n"
		"                             (not with --short)\n"
		"  --concurrency C            sessions open at once (default 20)\n"
		"  --ipv6-fraction F          share of IPv6 sessions (default 0.2)\n"
		"  --active-fraction F        share of active-mode (PORT/EPRT) sessions (default 0.2)\n"
		"  --timeout-every K          every K-th session ends in an idle timeout: 421 + FIN\n"
		"                             from the server (default 5; 0 = none)\n"
		"  --idle-seconds S           that idle timeout (default 300)\n"
		"  --retrans-rate R           share of data segments retransmitted (default 0.0005)\n"
		"  --reorder-rate R           share of data segments sent out of order (default 0.0005)\n"
		"  --rate-mbit M              link rate shared by the open sessions (default 1000)\n"
		"  --short                    short sessions: login, hold, QUIT (no transfer)\n"
		"  --hold-seconds S           --short: how long each holds the connection (default 60)\n"
		"  --ftps                     explicit FTPS sessions (AUTH TLS, TLS 1.2 AES-128-GCM,\n"
		"                             the dialogue and a STOR of 16 KiB records encrypted),\n"
		"                             one after another over IPv4; --size or\n"
		"                             --bytes-per-session set the STOR; the other traffic\n"
		"                             options do not apply\n"
		"  --keylog FILE              --ftps: the NSS key log of the capture (default: the\n"
		"                             output file's name + \".keys\")\n"
		"  --seed N                   PRNG seed (default 1)\n"
		"  -h, --help                 this text\n");
}

static uint64_t parse_u64(const char *opt, const char *text, bool suffixes)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		die("invalid value '%s' for %s", text, opt);
	if (suffixes && *end) {
		switch (*end) {
		case 'k':
		case 'K':
			mult = UINT64_C(1) << 10;
			break;
		case 'm':
		case 'M':
			mult = UINT64_C(1) << 20;
			break;
		case 'g':
		case 'G':
			mult = UINT64_C(1) << 30;
			break;
		default:
			die("invalid value '%s' for %s", text, opt);
		}
		end++;
	}
	if (*end || (v && mult > UINT64_MAX / v))
		die("invalid value '%s' for %s", text, opt);
	return (uint64_t)v * mult;
}

static double parse_fraction(const char *opt, const char *text)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= 0 && v <= 1))
		die("invalid value '%s' for %s (a number from 0 to 1)", text, opt);
	return v;
}

static void parse_options(int argc, char **argv, struct gen_cfg *cfg)
{
	enum {
		OPT_SESSIONS = 256,
		OPT_BYTES,
		OPT_SIZE,
		OPT_CONCURRENCY,
		OPT_IPV6,
		OPT_ACTIVE,
		OPT_TIMEOUT_EVERY,
		OPT_IDLE,
		OPT_RETRANS,
		OPT_REORDER,
		OPT_RATE,
		OPT_SHORT,
		OPT_HOLD,
		OPT_SEED,
		OPT_FTPS,
		OPT_KEYLOG,
	};
	static const struct option long_options[] = {
		{ "sessions", required_argument, NULL, OPT_SESSIONS },
		{ "bytes-per-session", required_argument, NULL, OPT_BYTES },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ "ipv6-fraction", required_argument, NULL, OPT_IPV6 },
		{ "active-fraction", required_argument, NULL, OPT_ACTIVE },
		{ "timeout-every", required_argument, NULL, OPT_TIMEOUT_EVERY },
		{ "idle-seconds", required_argument, NULL, OPT_IDLE },
		{ "retrans-rate", required_argument, NULL, OPT_RETRANS },
		{ "reorder-rate", required_argument, NULL, OPT_REORDER },
		{ "rate-mbit", required_argument, NULL, OPT_RATE },
		{ "short", no_argument, NULL, OPT_SHORT },
		{ "hold-seconds", required_argument, NULL, OPT_HOLD },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "ftps", no_argument, NULL, OPT_FTPS },
		{ "keylog", required_argument, NULL, OPT_KEYLOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:h", long_options, NULL)) != -1) {
		const char *opt = optind >= 2 ? argv[optind - 2] : "option";

		switch (c) {
		case 'o':
			cfg->out_path = optarg;
			break;
		case OPT_SESSIONS:
			cfg->sessions = parse_u64(opt, optarg, false);
			break;
		case OPT_BYTES:
			cfg->bytes_per_session = parse_u64(opt, optarg, true);
			break;
		case OPT_SIZE:
			cfg->target_size = parse_u64(opt, optarg, true);
			break;
		case OPT_CONCURRENCY:
			cfg->concurrency = parse_u64(opt, optarg, false);
			break;
		case OPT_IPV6:
			cfg->ipv6_fraction = parse_fraction(opt, optarg);
			break;
		case OPT_ACTIVE:
			cfg->active_fraction = parse_fraction(opt, optarg);
			break;
		case OPT_TIMEOUT_EVERY:
			cfg->timeout_every = parse_u64(opt, optarg, false);
			break;
		case OPT_IDLE:
			cfg->idle_s = (int64_t)parse_u64(opt, optarg, false);
			break;
		case OPT_RETRANS:
			cfg->retrans_rate = parse_fraction(opt, optarg);
			break;
		case OPT_REORDER:
			cfg->reorder_rate = parse_fraction(opt, optarg);
			break;
		case OPT_RATE:
			cfg->rate_mbit = (double)parse_u64(opt, optarg, false);
			break;
		case OPT_SHORT:
			cfg->short_mode = true;
			break;
		case OPT_HOLD:
			cfg->hold_s = (int64_t)parse_u64(opt, optarg, false);
			break;
		case OPT_SEED:
			cfg->seed = parse_u64(opt, optarg, false);
			break;
		case OPT_FTPS:
			cfg->ftps = true;
			break;
		case OPT_KEYLOG:
			cfg->keylog_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg->out_path)
		die("no output file: -o FILE (see --help)");
	if (cfg->sessions == 0 || cfg->sessions > 16000000)
		die("--sessions must be 1 ... 16000000");
	if (cfg->concurrency == 0 || cfg->concurrency > 10000000)
		die("--concurrency must be 1 ... 10000000");
	if (cfg->concurrency > cfg->sessions)
		cfg->concurrency = cfg->sessions;
	if (cfg->rate_mbit <= 0)
		die("--rate-mbit must be positive");
	if (cfg->idle_s <= 0 || cfg->idle_s > 86400 || cfg->hold_s <= 0 || cfg->hold_s > 86400)
		die("--idle-seconds and --hold-seconds must be 1 ... 86400");
	if (cfg->retrans_rate > 0.5 || cfg->reorder_rate > 0.5)
		die("--retrans-rate and --reorder-rate must be at most 0.5");
	if (cfg->ftps && cfg->short_mode)
		die("--ftps and --short do not go together");
	if (cfg->target_size && cfg->ftps) {
		/* A 16 KiB record (16413 bytes with its header, nonce and
		 * tag) takes 12 frames and 6 ACKs; about 4.5 KB per session
		 * for the dialogue and two handshakes. */
		double frame = REC_LEN + ETH_LEN + IP4_LEN + TCP_LEN;
		double per_record = (TLS_RECORD_MAX + 12 * frame + 6 * frame) / TLS_PLAIN_MAX;
		double per_session = (double)cfg->target_size / (double)cfg->sessions - 4500;

		if (per_session < 1)
			die("--size %" PRIu64 " is too small for %" PRIu64 " sessions",
			    cfg->target_size, cfg->sessions);
		cfg->bytes_per_session = (uint64_t)(per_session / per_record);
	} else if (cfg->target_size && !cfg->short_mode) {
		/* Capture bytes per payload byte: a full data frame and half an
		 * ACK frame (records included) per MSS, IPv4 and IPv6 mixed;
		 * about 3.5 KB per session for the dialogue and handshakes. */
		double f6 = cfg->ipv6_fraction;
		double per4 = (REC_LEN + ETH_LEN + IP4_LEN + TCP_LEN + MSS4 +
			       (REC_LEN + ETH_LEN + IP4_LEN + TCP_LEN) / 2.0) /
			      MSS4;
		double per6 = (REC_LEN + ETH_LEN + IP6_LEN + TCP_LEN + MSS6 +
			       (REC_LEN + ETH_LEN + IP6_LEN + TCP_LEN) / 2.0) /
			      MSS6;
		double per_session = (double)cfg->target_size / (double)cfg->sessions - 3500;

		if (per_session < 1)
			die("--size %" PRIu64 " is too small for %" PRIu64 " sessions",
			    cfg->target_size, cfg->sessions);
		cfg->bytes_per_session = (uint64_t)(per_session / ((1 - f6) * per4 + f6 * per6));
	}
	if (!cfg->short_mode && cfg->bytes_per_session == 0)
		die("--bytes-per-session must be at least 1");
}

int main(int argc, char **argv)
{
	struct gen_cfg cfg = {
		.sessions = 200,
		.bytes_per_session = 5000000,
		.ipv6_fraction = 0.2,
		.active_fraction = 0.2,
		.timeout_every = 5,
		.retrans_rate = 0.0005,
		.reorder_rate = 0.0005,
		.seed = 1,
		.concurrency = 20,
		.rate_mbit = 1000,
		.idle_s = 300,
		.hold_s = 60,
	};
	struct gen g = { 0 };
	struct timespec t0, t1;
	uint64_t prng;
	bool to_stdout;
	double secs;

	parse_options(argc, argv, &cfg);
	g.cfg = cfg;
	to_stdout = strcmp(cfg.out_path, "-") == 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	g.out = to_stdout ? stdout : fopen(cfg.out_path, "wb");
	if (!g.out)
		die("%s: %s", cfg.out_path, strerror(errno));
	g.buf = malloc(OUTBUF_SIZE);
	g.pattern = malloc(PATTERN_SIZE + MSS4);
	g.pool = calloc(cfg.concurrency, sizeof(*g.pool));
	g.heap = calloc(cfg.concurrency, sizeof(*g.heap));
	if (!g.buf || !g.pattern || !g.pool || !g.heap)
		die("out of memory");

	/* Incompressible payload, the same for every run with this seed. */
	prng = cfg.seed;
	for (size_t i = 0; i + 8 <= PATTERN_SIZE + MSS4; i += 8) {
		uint64_t v = splitmix64(&prng);

		memcpy(g.pattern + i, &v, 8);
	}
	g.retrans_thresh = prob_threshold(cfg.retrans_rate);
	g.reorder_thresh = prob_threshold(cfg.reorder_rate);
	g.ipv6_thresh = prob_threshold(cfg.ipv6_fraction);
	g.active_thresh = prob_threshold(cfg.active_fraction);
	g.server4.family = 4;
	put32(g.server4.bytes, UINT32_C(0xc0000215)); /* 192.0.2.21 */
	g.server6.family = 6;
	memcpy(g.server6.bytes,
	       (const uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0x21 },
	       16);

	if (cfg.ftps) {
		char keylog_default[4096];
		const char *keylog_path = cfg.keylog_path;

		if (!keylog_path) {
			if (to_stdout)
				die("--ftps to standard output needs --keylog FILE");
			snprintf(keylog_default, sizeof(keylog_default), "%s.keys", cfg.out_path);
			keylog_path = keylog_default;
		}
		g.keylog = fopen(keylog_path, "w");
		if (!g.keylog)
			die("%s: %s", keylog_path, strerror(errno));
	}
	write_file_header(&g);
	if (cfg.ftps)
		run_ftps(&g);
	else
		run(&g);
	flush_out(&g);
	if (g.keylog && fclose(g.keylog) != 0)
		die("key log: %s", strerror(errno));
	if (!to_stdout && fclose(g.out) != 0)
		die("%s: %s", cfg.out_path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	fprintf(stderr,
		"gen_capture: %s: %" PRIu64 " bytes, %" PRIu64 " packets, %" PRIu64
		" sessions (%" PRIu64 " IPv6, %" PRIu64 " active, %" PRIu64
		" idle timeouts), %zu open at most, %.1f s of traffic; written in %.2f s\n",
		cfg.out_path, g.st.file_bytes, g.st.packets, g.st.sessions, g.st.ipv6, g.st.active,
		g.st.timeouts, g.st.open_peak,
		(double)(g.st.last_ns - EPOCH_NS) / (double)NS_PER_SEC, secs);
	if (!to_stdout)
		printf("file_bytes=%" PRIu64 "\npackets=%" PRIu64 "\nsessions=%" PRIu64
		       "\nipv6_sessions=%" PRIu64 "\nactive_sessions=%" PRIu64
		       "\nidle_timeouts=%" PRIu64 "\nclean_sessions=%" PRIu64
		       "\nbytes_per_session=%" PRIu64 "\npayload_bytes=%" PRIu64
		       "\nretransmissions=%" PRIu64 "\nreordered=%" PRIu64
		       "\nopen_sessions_peak=%zu\ncapture_seconds=%.3f\ngen_seconds=%.3f\n"
		       "tls_connections=%" PRIu64 "\ntls_app_records=%" PRIu64 "\n",
		       g.st.file_bytes, g.st.packets, g.st.sessions, g.st.ipv6, g.st.active,
		       g.st.timeouts, g.st.sessions - g.st.timeouts,
		       cfg.short_mode ? 0 : cfg.bytes_per_session, g.st.payload_bytes,
		       g.st.retransmissions, g.st.reordered, g.st.open_peak,
		       (double)(g.st.last_ns - EPOCH_NS) / (double)NS_PER_SEC, secs,
		       g.st.tls_connections, g.st.app_records);
	free(g.heap);
	free(g.pool);
	free(g.pattern);
	free(g.buf);
	return 0;
}
