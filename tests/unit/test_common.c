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
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
