/* Unit tests for the Community ID v1 of src/report/community_id.c,
 * against the examples the specification publishes
 * (community-id-spec README and its baseline): TCP and UDP, IPv4 and
 * IPv6, seeds 0 and 1, each direction. ftpstall writes seed 0; seed 1
 * shows the seed is hashed where the spec puts it. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/report.h"

static struct fst_addr addr(const char *text)
{
	struct fst_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.bytes) == 1) {
		a.family = 4;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
		a.family = 6;
	}
	return a;
}

/* The ID of the flow both ways round must be expected. */
static void check(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		  uint16_t seed, const char *expected)
{
	struct fst_addr a = addr(src), b = addr(dst);
	char id[FST_COMMUNITY_ID_SIZE];

	assert_true(fst_community_id(&a, sport, &b, dport, proto, seed, id, sizeof(id)));
	assert_string_equal(id, expected);
	assert_true(fst_community_id(&b, dport, &a, sport, proto, seed, id, sizeof(id)));
	assert_string_equal(id, expected);
}

static void test_spec_tcp_ipv4(void **state)
{
	(void)state;
	check("128.232.110.120", 34855, "66.35.250.204", 80, 6, 0,
	      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	check("128.232.110.120", 34855, "66.35.250.204", 80, 6, 1,
	      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
	/* The smaller address has the larger port. */
	check("10.0.0.1", 10, "10.0.0.2", 11569, 6, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM=");
	check("10.0.0.1", 10, "10.0.0.2", 11569, 6, 1, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=");
}

static void test_spec_udp_ipv4(void **state)
{
	(void)state;
	check("192.168.1.52", 54585, "8.8.8.8", 53, 17, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	check("192.168.1.52", 54585, "8.8.8.8", 53, 17, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=");
}

static void test_spec_tcp_ipv6(void **state)
{
	(void)state;
	check("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 6, 0,
	      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
}

/* Equal addresses: the smaller port goes first. */
static void test_same_address_orders_ports(void **state)
{
	struct fst_addr lo = addr("127.0.0.1");
	char a[FST_COMMUNITY_ID_SIZE], b[FST_COMMUNITY_ID_SIZE];

	(void)state;
	assert_true(fst_community_id(&lo, 40021, &lo, 21, 6, 0, a, sizeof(a)));
	assert_true(fst_community_id(&lo, 21, &lo, 40021, 6, 0, b, sizeof(b)));
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), FST_COMMUNITY_ID_SIZE - 1);
}

static void test_refuses_mixed_families_and_short_buffers(void **state)
{
	struct fst_addr v4 = addr("10.0.0.1"), v6 = addr("::1");
	char id[FST_COMMUNITY_ID_SIZE];

	(void)state;
	assert_false(fst_community_id(&v4, 1, &v6, 2, 6, 0, id, sizeof(id)));
	assert_string_equal(id, "");
	assert_false(fst_community_id(&v4, 1, &v4, 2, 6, 0, id, sizeof(id) - 1));
	assert_string_equal(id, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_tcp_ipv4),
		cmocka_unit_test(test_spec_udp_ipv4),
		cmocka_unit_test(test_spec_tcp_ipv6),
		cmocka_unit_test(test_same_address_orders_ports),
		cmocka_unit_test(test_refuses_mixed_families_and_short_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
