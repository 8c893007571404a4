/* libFuzzer harness: arbitrary packets of two capture points through the
 * correlation (tiny caps, so the window's and the table's limits run),
 * then its report in every format, with its counts checked.
 *
 * Input: two header bytes, then 10-byte records.
 *   header[0] bits 0-1  max_pending  1 / 3 / 16 / default
 *             bits 2-3  max_conns  1 / 2 / 8 / default
 *             bits 4-5  window  1 ms / 1 s / 30 s / 1 day
 *             bits 6-7  initial offset  0 / +3.7 s / -1 s / +1 h
 *   record  b0 bit 0 point (A, B), bits 1-2 which of four port pairs,
 *              bit 3 sent by the higher port, bit 4 IPv6, bit 5 the
 *              masquerade address (else the inside one), bits 6-7 TTL
 *              62 / 63 / 64 / 255
 *           b1 TCP flags (low 6 bits)
 *           b2-3 sequence number's low 16 bits (little-endian), over a
 *              fixed high half per port pair
 *           b4-5 acknowledgement number's low 16 bits, likewise
 *           b6 payload length (0-255), its bytes "PASS x..." when bit 7
 *              of b7 is set, else b7's low bits repeated
 *           b8 time step, b9 window (high byte) */
#include <string.h>

#include "ftpstall/correlate.h"
#include "fuzz_support.h"

enum {
	RECORD_SIZE = 10
};

static const size_t pending_caps[4] = { 1, 3, 16, 0 };
static const size_t conn_caps[4] = { 1, 2, 8, 0 };
static const int64_t windows_us[4] = { 1000, 1000000, 30000000, 86400000000 };
static const int64_t offsets_us[4] = { 0, 3700000, -1000000, 3600000000 };
static const uint8_t ttls[4] = { 62, 63, 64, 255 };

static struct fst_addr addr(bool v6, uint8_t last)
{
	struct fst_addr a = { .family = v6 ? 6 : 4 };

	a.bytes[0] = 10;
	a.bytes[v6 ? 15 : 3] = last;
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fst_correlate_cfg cfg;
	struct fst_correlate *c;
	struct fst_analysis *views[FST_POINT_COUNT];
	struct fst_analysis_cfg acfg = { 0 };
	uint8_t payload[256 + 20];
	int64_t ts[FST_POINT_COUNT] = { 1000000, 1000000 };
	uint64_t total = 0;

	if (size < 2)
		return 0;
	cfg = (struct fst_correlate_cfg){
		.max_pending = pending_caps[data[0] & 3],
		.max_conns = conn_caps[(data[0] >> 2) & 3],
		.window_us = windows_us[(data[0] >> 4) & 3],
		.initial_offset_us = offsets_us[data[0] >> 6],
	};
	c = fst_correlate_new(&cfg);
	FUZZ_CHECK(c != NULL, "fst_correlate_new failed");
	for (size_t off = 2; off + RECORD_SIZE <= size; off += RECORD_SIZE) {
		const uint8_t *r = data + off;
		enum fst_point point = (enum fst_point)(r[0] & 1);
		unsigned pair = (r[0] >> 1) & 3;
		bool v6 = r[0] & 0x10;
		struct fst_addr low = addr(v6, (r[0] & 0x20) ? 99 : (uint8_t)(1 + pair));
		struct fst_addr high = addr(v6, 200);
		struct fst_packet pkt = { 0 };
		uint8_t len = r[6];

		/* The TCP options before the payload: an MSS. */
		payload[0] = 2;
		payload[1] = 4;
		payload[2] = r[9];
		payload[3] = r[8];
		if (r[7] & 0x80) {
			memset(payload + 4, 'x', len);
			memcpy(payload + 4, "PASS ", len < 5 ? len : 5);
		} else {
			memset(payload + 4, r[7], len);
		}
		ts[point] += (int64_t)r[8] * r[8] * 997;
		pkt.ts_us = ts[point];
		pkt.src = (r[0] & 8) ? high : low;
		pkt.dst = (r[0] & 8) ? low : high;
		pkt.src_port = (r[0] & 8) ? (uint16_t)(21 + pair) : (uint16_t)(40000 + pair);
		pkt.dst_port = (r[0] & 8) ? (uint16_t)(40000 + pair) : (uint16_t)(21 + pair);
		pkt.ttl = ttls[r[0] >> 6];
		pkt.flags = r[1] & 0x3f;
		pkt.seq = ((uint32_t)(0x1000 + pair) << 16) | (uint32_t)(r[2] | r[3] << 8);
		pkt.ack = ((uint32_t)(0x2000 + pair) << 16) | (uint32_t)(r[4] | r[5] << 8);
		pkt.window = (uint16_t)(r[9] << 8);
		pkt.payload_len = len;
		pkt.payload_caplen = len;
		pkt.payload = payload + 4;
		pkt.tcp_header_len = 24;
		fst_correlate_input(c, point, &pkt);
		total++;
	}
	fst_correlate_finish(c);
	{
		const struct fst_correlate_stats *st = fst_correlate_stats(c);
		uint64_t listed = 0;

		FUZZ_CHECK(
			st->packets[FST_POINT_A] + st->packets[FST_POINT_B] == total,
			"packets counted %llu, fed %llu",
			(unsigned long long)(st->packets[FST_POINT_A] + st->packets[FST_POINT_B]),
			(unsigned long long)total);
		FUZZ_CHECK(st->matched <= st->packets[FST_POINT_A] &&
				   st->matched <= st->packets[FST_POINT_B],
			   "more matched than fed");
		for (size_t i = 0; i < fst_correlate_conn_count(c); i++) {
			const struct fst_corr_conn *k = fst_correlate_conn_at(c, i);

			FUZZ_CHECK(k->segment_count <= 3 * FST_CORRELATE_SEGMENTS_MAX,
				   "%zu segment records kept", k->segment_count);
			listed += k->counts[FST_PATH_LOST] + k->counts[FST_PATH_INJECTED];
			for (size_t j = 0; j < k->segment_count; j++)
				FUZZ_CHECK(strstr(k->segments[j].text, "PASS x") == NULL,
					   "a password in a segment's text");
		}
		FUZZ_CHECK(listed + st->matched * 2 <= total,
			   "more lost and injected than unmatched");
	}
	views[FST_POINT_A] = fst_analysis_new(&acfg);
	views[FST_POINT_B] = fst_analysis_new(&acfg);
	FUZZ_CHECK(views[FST_POINT_A] && views[FST_POINT_B], "fst_analysis_new failed");
	FUZZ_CHECK(fst_correlate_sessions(c, views[FST_POINT_A], views[FST_POINT_B]) == FST_OK,
		   "fst_correlate_sessions failed");
	for (int f = 0; f < FST_REPORT_FORMAT_COUNT; f++) {
		struct fst_correlate_report in = {
			.version = "fuzz",
			.source = { "a", "b" },
			.corr = c,
		};

		fst_correlate_write(fuzz_sink(), (enum fst_report_format)f, &in);
	}
	fst_analysis_free(views[FST_POINT_A]);
	fst_analysis_free(views[FST_POINT_B]);
	fst_correlate_free(c);
	return 0;
}
