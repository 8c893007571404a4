/* Unit tests for the PASS masker (src/ftp/mask.c) through the capture
 * layer's frame rewrite (fst_capture_rewrite_frame), on built frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/capture.h"
#include "ftpstall/ftp.h"
#include "pktbuild.h"

static size_t mask_cb(void *ctx, const struct fst_packet *pkt, uint8_t *payload)
{
	return fst_ftp_masker_mask(ctx, pkt, payload);
}

/* One client-to-server segment. */
struct seg_spec {
	const char *src, *dst;
	int linktype;
	const struct pb_link *link;
	uint32_t seq;
	const char *text;
	uint32_t caplen_cut; /* bytes of payload left out of the capture */
	bool zero_checksum;
	bool syn;
};

/* True when the frame's TCP checksum is right over the whole segment. */
static bool checksum_ok(const struct pb_frame *f, const uint8_t *frame)
{
	struct fst_addr src = { 0 }, dst = { 0 };
	size_t seg_len = f->len - f->l4_off;
	uint16_t sum;

	src.family = dst.family = f->family;
	memcpy(src.bytes, frame + f->l3_off + (f->family == 4 ? 12 : 8), f->family == 4 ? 4 : 16);
	memcpy(dst.bytes, frame + f->l3_off + (f->family == 4 ? 16 : 24), f->family == 4 ? 4 : 16);
	sum = fst_csum_pseudo(&src, &dst, 6, (uint32_t)seg_len);
	return fst_csum_add(sum, frame + f->l4_off, seg_len) == 0xffff;
}

/* Builds the frame of spec, runs it through the masker and returns the
 * bytes written (frame into out, payload as a string into text_out). */
static size_t run_seg(struct fst_ftp_masker *m, const struct seg_spec *spec, struct pb_frame *f,
		      uint8_t *out, char *text_out)
{
	struct pb_seg seg;
	uint32_t caplen;
	size_t masked, plen = strlen(spec->text);

	pb_seg_init(&seg, spec->src ? spec->src : "192.0.2.10", 40001,
		    spec->dst ? spec->dst : "192.0.2.21", 21);
	seg.seq = spec->seq;
	seg.ack = 1;
	seg.flags = spec->syn ? FST_TCP_SYN : FST_TCP_ACK | FST_TCP_PSH;
	seg.timestamps = true;
	seg.payload = (const uint8_t *)spec->text;
	seg.payload_len = plen;
	pb_build(f, spec->linktype ? spec->linktype : PB_DLT_EN10MB, spec->link, &seg);
	if (spec->zero_checksum)
		f->b[f->l4_off + 16] = f->b[f->l4_off + 17] = 0;
	caplen = (uint32_t)(f->len - spec->caplen_cut);
	masked = fst_capture_rewrite_frame(spec->linktype ? spec->linktype : PB_DLT_EN10MB, f->b,
					   caplen, (uint32_t)f->len, out, mask_cb, m);
	/* Nothing before the payload changes but the checksum. */
	for (size_t i = 0; i < f->payload_off; i++)
		if (i != f->l4_off + 16 && i != f->l4_off + 17)
			assert_int_equal(out[i], f->b[i]);
	memcpy(text_out, out + f->payload_off, plen - spec->caplen_cut);
	text_out[plen - spec->caplen_cut] = '\0';
	return masked;
}

/* Masks one segment of a fresh flow; checks the text and checksum. */
static void check_one(const struct seg_spec *spec, const char *want, size_t want_masked)
{
	struct fst_ftp_masker *m = fst_ftp_masker_new();
	static uint8_t out[PB_FRAME_MAX];
	static struct pb_frame f;
	char text[512];

	assert_non_null(m);
	assert_int_equal(run_seg(m, spec, &f, out, text), want_masked);
	assert_string_equal(text, want);
	assert_true(checksum_ok(&f, out));
	fst_ftp_masker_free(m);
}

static void test_one_segment(void **state)
{
	struct seg_spec s = { .seq = 100, .text = "PASS s3cret!\r\n" };

	(void)state;
	check_one(&s, "PASS *******\r\n", 7);
}

static void test_lowercase_and_lf_only(void **state)
{
	struct seg_spec s = { .seq = 100, .text = "user bob\npass Hunter2\nCWD /x\n" };

	(void)state;
	check_one(&s, "user bob\npass *******\nCWD /x\n", 7);
}

static void test_other_lines_untouched(void **state)
{
	struct seg_spec s = { .seq = 100,
			      .text = "USER PASS x\r\nPASSX y\r\nSITE PASS z\r\nPASS\r\n" };

	(void)state;
	check_one(&s, s.text, 0);
}

static void test_ipv6_and_vlan(void **state)
{
	struct pb_link qinq = { .n_vlan = 2,
				.vlan_tpid = { 0x88a8, 0x8100 },
				.vlan_id = { 100, 200 } };
	struct seg_spec v6 = {
		.src = "2001:db8::10", .dst = "2001:db8::21", .seq = 7, .text = "PASS v6-secret\r\n"
	};
	struct seg_spec vlan = { .link = &qinq, .seq = 7, .text = "PASS vlan-secret\r\n" };
	struct seg_spec sll = { .linktype = PB_DLT_LINUX_SLL, .seq = 7, .text = "PASS x\r\n" };

	(void)state;
	check_one(&v6, "PASS *********\r\n", 9);
	check_one(&vlan, "PASS ***********\r\n", 11);
	check_one(&sll, "PASS *\r\n", 1);
	vlan.src = v6.src;
	vlan.dst = v6.dst;
	check_one(&vlan, "PASS ***********\r\n", 11);
}

/* A zero checksum (offload) is left alone; the bytes are masked. */
static void test_zero_checksum_left(void **state)
{
	struct fst_ftp_masker *m = fst_ftp_masker_new();
	struct seg_spec s = { .seq = 100, .text = "PASS abc\r\n", .zero_checksum = true };
	static uint8_t out[PB_FRAME_MAX];
	static struct pb_frame f;
	char text[64];

	(void)state;
	assert_int_equal(run_seg(m, &s, &f, out, text), 3);
	assert_string_equal(text, "PASS ***\r\n");
	assert_int_equal(fst_load_be16(out + f.l4_off + 16), 0);
	fst_ftp_masker_free(m);
}

/* Segments of one flow in order: the verb, the argument and the line end
 * split anywhere, a segment sent again, the capture losing bytes. */
static void run_flow(const struct seg_spec *segs, size_t n, const char *const *want)
{
	struct fst_ftp_masker *m = fst_ftp_masker_new();
	static uint8_t out[PB_FRAME_MAX];
	static struct pb_frame f;
	char text[512];

	for (size_t i = 0; i < n; i++) {
		run_seg(m, &segs[i], &f, out, text);
		assert_string_equal(text, want[i]);
		if (segs[i].caplen_cut == 0)
			assert_true(checksum_ok(&f, out));
	}
	fst_ftp_masker_free(m);
}

static void test_split_across_segments(void **state)
{
	const struct seg_spec segs[] = {
		{ .seq = 1000, .text = "USER bob\r\nPA" },
		{ .seq = 1012, .text = "SS ab" },
		{ .seq = 1017, .text = "cd" },
		{ .seq = 1019, .text = "e\r" },
		{ .seq = 1021, .text = "\nCWD /pub\r\n" },
	};
	const char *const want[] = { "USER bob\r\nPA", "SS **", "**", "*\r", "\nCWD /pub\r\n" };

	(void)state;
	run_flow(segs, 5, want);
}

static void test_retransmissions(void **state)
{
	const struct seg_spec segs[] = {
		{ .seq = 5000, .text = "PASS topsecret\r\n" },
		/* the same segment again */
		{ .seq = 5000, .text = "PASS topsecret\r\n" },
		/* sent again cut differently, with the next command */
		{ .seq = 5008, .text = "secret\r\nNOOP\r\n" },
		/* and the first part of it only */
		{ .seq = 4998, .text = "\r\nPASS top" },
	};
	const char *const want[] = { "PASS *********\r\n", "PASS *********\r\n",
				     "******\r\nNOOP\r\n", "\r\nPASS ***" };

	(void)state;
	run_flow(segs, 4, want);
}

/* The same ports again, a new connection whose sequence numbers are
 * behind the old one's: its PASS is not taken for a retransmission. */
static void test_new_connection_same_ports(void **state)
{
	const struct seg_spec segs[] = {
		{ .seq = 90000, .text = "PASS first\r\n" },
		{ .seq = 500, .text = "", .syn = true },
		{ .seq = 501, .text = "PASS second\r\n" },
	};
	const char *const want[] = { "PASS *****\r\n", "", "PASS ******\r\n" };

	(void)state;
	run_flow(segs, 3, want);
}

/* Bytes the capture lost inside an argument: the rest is masked up to
 * the line end, the next line is looked at again. */
static void test_capture_hole_inside_argument(void **state)
{
	const struct seg_spec segs[] = {
		{ .seq = 1, .text = "PASS abc" },
		/* 5 bytes lost at seq 9 */
		{ .seq = 14, .text = "xyz\r\nPASS q\r\n" },
	};
	const char *const want[] = { "PASS ***", "***\r\nPASS *\r\n" };

	(void)state;
	run_flow(segs, 2, want);
}

/* A snaplen cut the segment inside the password: the captured bytes are
 * masked and the checksum is updated for them, which is exact for the
 * segment that the capture now describes (masked bytes, then the bytes
 * not captured as they were). */
static void test_snaplen_cut(void **state)
{
	static const char full[] = "PASS longpassword\r\n";
	struct fst_ftp_masker *m = fst_ftp_masker_new();
	struct seg_spec s = { .seq = 100, .text = full, .caplen_cut = 8 };
	static uint8_t out[PB_FRAME_MAX];
	static struct pb_frame f, expect;
	struct pb_seg seg;
	char text[64];

	(void)state;
	assert_int_equal(run_seg(m, &s, &f, out, text), 6);
	assert_string_equal(text, "PASS ******");
	pb_seg_init(&seg, "192.0.2.10", 40001, "192.0.2.21", 21);
	seg.seq = 100;
	seg.ack = 1;
	seg.flags = FST_TCP_ACK | FST_TCP_PSH;
	seg.timestamps = true;
	seg.payload = (const uint8_t *)"PASS ******ssword\r\n";
	seg.payload_len = sizeof(full) - 1;
	pb_build(&expect, PB_DLT_EN10MB, NULL, &seg);
	assert_memory_equal(out + f.l4_off + 16, expect.b + expect.l4_off + 16, 2);
	/* Whether the line ended in the bytes not captured is unknown: the
	 * next segment is masked up to its line end, the safe side. */
	s.seq = 100 + sizeof(full) - 1;
	s.text = "CWD /\r\n";
	s.caplen_cut = 0;
	assert_int_equal(run_seg(m, &s, &f, out, text), 5);
	assert_string_equal(text, "*****\r\n");
	fst_ftp_masker_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_segment),
		cmocka_unit_test(test_lowercase_and_lf_only),
		cmocka_unit_test(test_other_lines_untouched),
		cmocka_unit_test(test_ipv6_and_vlan),
		cmocka_unit_test(test_zero_checksum_left),
		cmocka_unit_test(test_split_across_segments),
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_new_connection_same_ports),
		cmocka_unit_test(test_capture_hole_inside_argument),
		cmocka_unit_test(test_snaplen_cut),
	};

	return cmocka_run_group_tests_name("ftp_mask", tests, NULL, NULL);
}
