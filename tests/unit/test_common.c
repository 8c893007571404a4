/* Unit tests for src/common: bounded reader, formatting helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/common.h"
#include "pktbuild.h"

static const uint8_t bytes8[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

/* The reader must not move when a getter fails. */
#define assert_rd_at(rd, base, off)                                 \
	do {                                                        \
		assert_ptr_equal((rd).p, (base) + (off));           \
		assert_int_equal((rd).len, sizeof(bytes8) - (off)); \
	} while (0)

static void test_rd_getters_read_in_order(void **state)
{
	struct fst_rd rd = fst_rd_make(bytes8, sizeof(bytes8));
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;

	(void)state;
	assert_true(fst_rd_u8(&rd, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(fst_rd_be16(&rd, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(fst_rd_le16(&rd, &u16));
	assert_int_equal(u16, 0x0504);
	assert_rd_at(rd, bytes8, 5);
	assert_true(fst_rd_skip(&rd, 1));
	assert_true(fst_rd_be16(&rd, &u16));
	assert_int_equal(u16, 0x0708);
	assert_int_equal(rd.len, 0);

	rd = fst_rd_make(bytes8, sizeof(bytes8));
	assert_true(fst_rd_be32(&rd, &u32));
	assert_int_equal(u32, 0x01020304u);
	assert_true(fst_rd_le32(&rd, &u32));
	assert_int_equal(u32, 0x08070605u);
	assert_int_equal(rd.len, 0);
}

static void test_rd_short_reads_fail_and_leave_reader(void **state)
{
	struct fst_rd rd = fst_rd_make(bytes8, sizeof(bytes8));
	uint8_t u8 = 0xee, buf[16];
	uint16_t u16 = 0xeeee;
	uint32_t u32 = 0xeeeeeeee;
	struct fst_rd sub = { NULL, 0 };

	(void)state;
	/* 7 bytes consumed, 1 left: every getter wider than 1 fails. */
	assert_true(fst_rd_skip(&rd, 7));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_be16(&rd, &u16));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_le16(&rd, &u16));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_be32(&rd, &u32));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_le32(&rd, &u32));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_bytes(&rd, buf, 2));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_skip(&rd, 2));
	assert_rd_at(rd, bytes8, 7);
	assert_false(fst_rd_sub(&rd, 2, &sub));
	assert_rd_at(rd, bytes8, 7);
	assert_int_equal(u16, 0xeeee);
	assert_int_equal(u32, 0xeeeeeeeeu);

	/* The last byte is still readable, then even a u8 fails. */
	assert_true(fst_rd_u8(&rd, &u8));
	assert_int_equal(u8, 0x08);
	assert_false(fst_rd_u8(&rd, &u8));
	assert_int_equal(u8, 0x08);
	assert_rd_at(rd, bytes8, 8);
	/* Zero-length operations succeed at the end. */
	assert_true(fst_rd_skip(&rd, 0));
	assert_rd_at(rd, bytes8, 8);
}

static void test_rd_huge_lengths_fail(void **state)
{
	struct fst_rd rd = fst_rd_make(bytes8, sizeof(bytes8));
	struct fst_rd sub;
	uint8_t buf[1];

	(void)state;
	assert_true(fst_rd_skip(&rd, 2));
	/* n that would wrap p + n must not pass a "p + n <= end" check. */
	assert_false(fst_rd_skip(&rd, SIZE_MAX));
	assert_false(fst_rd_sub(&rd, SIZE_MAX - 1, &sub));
	assert_false(fst_rd_bytes(&rd, buf, SIZE_MAX));
	assert_rd_at(rd, bytes8, 2);
}

static void test_rd_empty_reader(void **state)
{
	struct fst_rd rd = fst_rd_make(NULL, 0);
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	(void)state;
	assert_false(fst_rd_u8(&rd, &u8));
	assert_false(fst_rd_be16(&rd, &u16));
	assert_false(fst_rd_le32(&rd, &u32));
	assert_null(rd.p);
	assert_int_equal(rd.len, 0);
}

static void test_rd_sub_splits(void **state)
{
	struct fst_rd rd = fst_rd_make(bytes8, sizeof(bytes8));
	struct fst_rd sub;
	uint8_t buf[3];
	uint32_t u32;

	(void)state;
	assert_true(fst_rd_skip(&rd, 1));
	assert_true(fst_rd_sub(&rd, 3, &sub));
	assert_ptr_equal(sub.p, bytes8 + 1);
	assert_int_equal(sub.len, 3);
	assert_rd_at(rd, bytes8, 4);
	/* The sub-reader is bounded by its own length. */
	assert_false(fst_rd_be32(&sub, &u32));
	assert_true(fst_rd_bytes(&sub, buf, 3));
	assert_memory_equal(buf, bytes8 + 1, 3);
	assert_int_equal(sub.len, 0);
	/* Taking everything that is left is fine. */
	assert_true(fst_rd_sub(&rd, 4, &sub));
	assert_int_equal(rd.len, 0);
	assert_int_equal(sub.len, 4);
}

static void test_endpoint_format_v4(void **state)
{
	struct fst_addr a = pb_addr("192.0.2.10");
	char buf[64];

	(void)state;
	assert_string_equal(fst_endpoint_format(&a, 21, buf, sizeof(buf)), "192.0.2.10:21");
	assert_string_equal(fst_endpoint_format(&a, 65535, buf, sizeof(buf)), "192.0.2.10:65535");
	a = pb_addr("0.0.0.0");
	assert_string_equal(fst_endpoint_format(&a, 0, buf, sizeof(buf)), "0.0.0.0:0");
}

static void test_endpoint_format_v6(void **state)
{
	struct fst_addr a = pb_addr("2001:db8::1");
	char buf[64];

	(void)state;
	assert_string_equal(fst_endpoint_format(&a, 21, buf, sizeof(buf)), "[2001:db8::1]:21");
	a = pb_addr("fe80::1:2:3:4");
	assert_string_equal(fst_endpoint_format(&a, 50000, buf, sizeof(buf)),
			    "[fe80::1:2:3:4]:50000");
	/* The longest form fits in the documented 64 bytes. */
	a = pb_addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	fst_endpoint_format(&a, 65535, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(buf[0], '[');
	assert_non_null(strstr(buf, "]:65535"));
}

static void test_endpoint_format_truncates_safely(void **state)
{
	struct fst_addr a = pb_addr("2001:db8::1");
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	fst_endpoint_format(&a, 21, buf, sizeof(buf));
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void test_addr_equal(void **state)
{
	struct fst_addr a = pb_addr("192.0.2.1"), b = pb_addr("192.0.2.1");
	struct fst_addr c = pb_addr("192.0.2.2"), d = pb_addr("::1");
	struct fst_addr e = pb_addr("::1");

	(void)state;
	assert_true(fst_addr_equal(&a, &b));
	assert_false(fst_addr_equal(&a, &c));
	assert_false(fst_addr_equal(&a, &d));
	assert_true(fst_addr_equal(&d, &e));
	/* Bytes past the v4 address don't matter. */
	b.bytes[10] = 0x55;
	assert_true(fst_addr_equal(&a, &b));
}

static void test_time_format(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(fst_time_format(0, buf, sizeof(buf)), "1970-01-01 00:00:00.000000");
	assert_string_equal(fst_time_format(INT64_C(1700000000123456), buf, sizeof(buf)),
			    "2023-11-14 22:13:20.123456");
	assert_string_equal(fst_time_format(INT64_C(4102444799999999), buf, sizeof(buf)),
			    "2099-12-31 23:59:59.999999");
	assert_string_equal(fst_time_format_clock(INT64_C(1700000000000001), buf, sizeof(buf)),
			    "22:13:20.000001");
	/* Before the epoch the microseconds still count forward. */
	assert_string_equal(fst_time_format(-1, buf, sizeof(buf)), "1969-12-31 23:59:59.999999");
}

static void test_time_format_truncates_safely(void **state)
{
	char buf[11];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	fst_time_format(INT64_C(1700000000123456), buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14");
}

static void test_errbuf_set(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	char longer[FST_ERRBUF_SIZE * 2];

	(void)state;
	fst_errbuf_set(errbuf, "%s: %d", "x.pcap", 42);
	assert_string_equal(errbuf, "x.pcap: 42");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	fst_errbuf_set(errbuf, "%s", longer);
	assert_int_equal(strlen(errbuf), FST_ERRBUF_SIZE - 1);
}

/* RFC 1071 section 3's example: the sum of 00 01 f2 03 f4 f5 f6 f7. */
static void test_csum_rfc1071_vector(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(fst_csum_add(0, b, sizeof(b)), 0xddf2);
	/* In pieces of even length the sum is the same. */
	assert_int_equal(fst_csum_add(fst_csum_add(0, b, 2), b + 2, 6), 0xddf2);
}

/* An IPv4 header whose checksum is known to be 0xb861. */
static void test_csum_ipv4_header_vector(void **state)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal((uint16_t)~fst_csum_add(0, h, sizeof(h)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(fst_csum_add(0, h, sizeof(h)), 0xffff);
}

/* An odd last byte counts as the high half of a word padded with zero. */
static void test_csum_odd_length(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0xab, 0x00 };

	(void)state;
	assert_int_equal(fst_csum_add(0, b + 2, 1), 0xab00);
	assert_int_equal(fst_csum_add(0, b, 3), fst_csum_add(0, b, 4));
	assert_int_equal(fst_csum_add(0, b, 3), 0xbd34);
	assert_int_equal(fst_csum_add(0, b, 0), 0);
	/* Carries wrap around: 0xffff + 0x0001 is 0x0001 in ones' complement. */
	assert_int_equal(fst_csum_add(0xffff, (const uint8_t *)"\x00\x01", 2), 0x0001);
}

/* A TCP segment as pktbuild makes it (its own checksum code) sums to
 * 0xffff with our pseudo-header, over IPv4 and IPv6, odd and even. */
static void check_segment_sums(const char *src, const char *dst, size_t payload_len)
{
	static const uint8_t text[] = "PASS secret-of-odd-length\r\n";
	struct pb_frame f;
	struct pb_seg seg;
	uint16_t sum;
	size_t seg_len;

	pb_seg_init(&seg, src, 40000, dst, 21);
	seg.seq = 1000;
	seg.flags = 0x18; /* ACK PSH */
	seg.timestamps = true;
	seg.payload = text;
	seg.payload_len = payload_len;
	assert_int_equal(pb_build_ip(&f, &seg), 0);
	seg_len = f.len - f.l4_off;
	sum = fst_csum_pseudo(&seg.src, &seg.dst, 6, (uint32_t)seg_len);
	assert_int_equal(fst_csum_add(sum, f.b + f.l4_off, seg_len), 0xffff);
	/* One flipped bit is seen. */
	f.b[f.len - 1] ^= 0x01;
	assert_int_not_equal(fst_csum_add(sum, f.b + f.l4_off, seg_len), 0xffff);
}

static void test_csum_pseudo_header_v4_v6(void **state)
{
	(void)state;
	check_segment_sums("192.0.2.1", "198.51.100.7", 27);
	check_segment_sums("192.0.2.1", "198.51.100.7", 26);
	check_segment_sums("2001:db8::1", "2001:db8:ffff::21", 27);
	check_segment_sums("2001:db8::1", "2001:db8:ffff::21", 26);
}

/* Replacing bytes updates the checksum to what a full recompute gives,
 * reading only the changed bytes (RFC 1624). */
static void test_csum_replace_matches_recompute(void **state)
{
	static const uint8_t before[] = "PASS hunter2-odd\r\n";
	static const uint8_t after[] = "PASS ********odd\r\n";
	_Static_assert(sizeof(before) == sizeof(after), "masking keeps the length");
	const char *addrs[][2] = { { "192.0.2.1", "198.51.100.7" }, { "2001:db8::1", "::1" } };

	(void)state;
	for (size_t a = 0; a < 2; a++) {
		struct pb_frame f, g;
		struct pb_seg seg;
		uint16_t check;

		pb_seg_init(&seg, addrs[a][0], 40000, addrs[a][1], 21);
		seg.flags = 0x10; /* ACK */
		seg.payload = before;
		seg.payload_len = sizeof(before) - 1;
		assert_int_equal(pb_build_ip(&f, &seg), 0);
		seg.payload = after;
		assert_int_equal(pb_build_ip(&g, &seg), 0);
		check = fst_load_be16(f.b + f.l4_off + 16);
		/* Over the whole payload (odd length), and over just the
		 * changed part, which starts at an even offset. */
		assert_int_equal(fst_csum_replace(check, before, after, sizeof(before) - 1),
				 fst_load_be16(g.b + g.l4_off + 16));
		assert_int_equal(fst_csum_replace(check, before + 4, after + 4, 10),
				 fst_load_be16(g.b + g.l4_off + 16));
		/* Nothing changed, nothing to update. */
		assert_int_equal(fst_csum_replace(check, before, before, sizeof(before) - 1),
				 check);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_getters_read_in_order),
		cmocka_unit_test(test_rd_short_reads_fail_and_leave_reader),
		cmocka_unit_test(test_rd_huge_lengths_fail),
		cmocka_unit_test(test_rd_empty_reader),
		cmocka_unit_test(test_rd_sub_splits),
		cmocka_unit_test(test_endpoint_format_v4),
		cmocka_unit_test(test_endpoint_format_v6),
		cmocka_unit_test(test_endpoint_format_truncates_safely),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_format_truncates_safely),
		cmocka_unit_test(test_errbuf_set),
		cmocka_unit_test(test_csum_rfc1071_vector),
		cmocka_unit_test(test_csum_ipv4_header_vector),
		cmocka_unit_test(test_csum_odd_length),
		cmocka_unit_test(test_csum_pseudo_header_v4_v6),
		cmocka_unit_test(test_csum_replace_matches_recompute),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
