/* Unit tests for the JSON writer and the ISO time formatter of
 * src/common, which the report and the client share. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/common.h"
#include "ftpstall/json.h"

/* A memory stream the writer fills; text() closes it and returns what
 * was written (free with free()). */
struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
}

static char *sink_text(struct sink *s)
{
	assert_int_equal(fclose(s->f), 0);
	return s->buf;
}

/* What fst_json_string writes for s. */
static char *escaped(const char *s)
{
	struct sink k;

	sink_open(&k);
	fst_json_string(k.f, s);
	return sink_text(&k);
}

static void expect_escaped(const char *in, const char *want)
{
	char *got = escaped(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_string_plain_text_passes(void **state)
{
	(void)state;
	expect_escaped("", "\"\"");
	expect_escaped("226 Transfer complete.", "\"226 Transfer complete.\"");
	expect_escaped("<script>alert(1)</script>", "\"<script>alert(1)</script>\"");
	expect_escaped("~ !#$%&'()*+,-./:;=?@[]^_`{|}", "\"~ !#$%&'()*+,-./:;=?@[]^_`{|}\"");
}

static void test_string_quote_and_backslash(void **state)
{
	(void)state;
	expect_escaped("\"", "\"\\\"\"");
	expect_escaped("\\", "\"\\\\\"");
	expect_escaped("a\"b\\c\"", "\"a\\\"b\\\\c\\\"\"");
	/* A backslash that looks like an escape is still a backslash. */
	expect_escaped("\\u0041\\n", "\"\\\\u0041\\\\n\"");
}

static void test_string_control_bytes(void **state)
{
	(void)state;
	/* Every control byte as \u00XX, also those JSON has short forms for:
	 * the writer has one rule. */
	expect_escaped("\x01\t\n\r\x1f", "\"\\u0001\\u0009\\u000a\\u000d\\u001f\"");
	expect_escaped("\x1b[31mred", "\"\\u001b[31mred\"");
	expect_escaped("\x7f", "\"\\u007f\"");
	for (int c = 1; c < 0x20; c++) {
		char in[2] = { (char)c, '\0' }, want[16];

		snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		expect_escaped(in, want);
	}
}

/* Network bytes above 0x7e are not trusted to be UTF-8: each one is
 * its own \u00XX, so the document stays valid whatever arrived. */
static void test_string_high_bytes(void **state)
{
	(void)state;
	expect_escaped("caf\xc3\xa9", "\"caf\\u00c3\\u00a9\"");
	expect_escaped("\xff\xfe", "\"\\u00ff\\u00fe\"");
	expect_escaped("\xc3", "\"\\u00c3\"");
	expect_escaped("a\x80z", "\"a\\u0080z\"");
}

/* Writes a small document in style and returns it (free with free()). */
static char *document(enum fst_json_style style)
{
	struct sink k;
	struct fst_json j;

	sink_open(&k);
	j = fst_json_make(k.f, style);
	fst_json_open(&j, NULL, '{');
	fst_json_str(&j, "name", "x\"y");
	fst_json_str(&j, "none", NULL);
	fst_json_u64(&j, "big", UINT64_MAX);
	fst_json_int(&j, "neg", -421);
	fst_json_bool(&j, "yes", true);
	fst_json_bool(&j, "no", false);
	fst_json_null(&j, "nil");
	fst_json_open(&j, "list", '[');
	fst_json_seconds(&j, NULL, 1.5);
	fst_json_open(&j, NULL, '{');
	fst_json_close(&j, '}');
	fst_json_open(&j, NULL, '[');
	fst_json_close(&j, ']');
	fst_json_close(&j, ']');
	fst_json_close(&j, '}');
	return sink_text(&k);
}

static void test_nesting_and_commas_spaced(void **state)
{
	char *got = document(FST_JSON_SPACED);

	(void)state;
	assert_string_equal(got, "{\"name\": \"x\\\"y\", \"none\": null, "
				 "\"big\": 18446744073709551615, \"neg\": -421, \"yes\": true, "
				 "\"no\": false, \"nil\": null, \"list\": [1.500000, {}, []]}");
	free(got);
}

static void test_nesting_and_commas_compact(void **state)
{
	char *got = document(FST_JSON_COMPACT);

	(void)state;
	assert_string_equal(got, "{\"name\": \"x\\\"y\",\"none\": null,"
				 "\"big\": 18446744073709551615,\"neg\": -421,\"yes\": true,"
				 "\"no\": false,\"nil\": null,\"list\": [1.500000,{},[]]}");
	free(got);
}

/* Tight: watch's event lines, no space anywhere. */
static void test_nesting_and_commas_tight(void **state)
{
	char *got = document(FST_JSON_TIGHT);

	(void)state;
	assert_string_equal(got, "{\"name\":\"x\\\"y\",\"none\":null,"
				 "\"big\":18446744073709551615,\"neg\":-421,\"yes\":true,"
				 "\"no\":false,\"nil\":null,\"list\":[1.500000,{},[]]}");
	free(got);
}

/* Pretty: a member per line, two spaces a level; an empty container
 * still closes on its own line (as the report has always written it). */
static void test_nesting_and_commas_pretty(void **state)
{
	char *got = document(FST_JSON_PRETTY);

	(void)state;
	assert_string_equal(got, "{\n"
				 "  \"name\": \"x\\\"y\",\n"
				 "  \"none\": null,\n"
				 "  \"big\": 18446744073709551615,\n"
				 "  \"neg\": -421,\n"
				 "  \"yes\": true,\n"
				 "  \"no\": false,\n"
				 "  \"nil\": null,\n"
				 "  \"list\": [\n"
				 "    1.500000,\n"
				 "    {\n"
				 "    },\n"
				 "    [\n"
				 "    ]\n"
				 "  ]\n"
				 "}");
	free(got);
}

/* Deeper than the indentation buffer: the indent is capped, the
 * brackets still balance. */
static void test_pretty_deep_nesting_balances(void **state)
{
	struct sink k;
	struct fst_json j;
	int open = 0, close = 0;
	char *got;

	(void)state;
	sink_open(&k);
	j = fst_json_make(k.f, FST_JSON_PRETTY);
	for (int i = 0; i < 40; i++)
		fst_json_open(&j, NULL, '[');
	fst_json_int(&j, NULL, 7);
	for (int i = 0; i < 40; i++)
		fst_json_close(&j, ']');
	assert_int_equal(j.depth, 0);
	got = sink_text(&k);
	for (const char *p = got; *p; p++) {
		open += *p == '[';
		close += *p == ']';
	}
	assert_int_equal(open, 40);
	assert_int_equal(close, 40);
	assert_non_null(strstr(got, "7"));
	free(got);
}

static void test_seconds_digits_and_non_finite(void **state)
{
	struct sink k;
	struct fst_json j;
	char *got;

	(void)state;
	sink_open(&k);
	j = fst_json_make(k.f, FST_JSON_SPACED);
	fst_json_open(&j, NULL, '[');
	fst_json_seconds(&j, NULL, 0.0);
	fst_json_seconds(&j, NULL, 300.1234567);
	fst_json_seconds(&j, NULL, -2.5);
	fst_json_seconds(&j, NULL, fst_seconds(INT64_C(5000001)));
	/* JSON has no NaN or infinity: printf's "nan" would break every
	 * parser reading the report. */
	fst_json_seconds(&j, NULL, NAN);
	fst_json_seconds(&j, NULL, INFINITY);
	fst_json_seconds(&j, NULL, -INFINITY);
	fst_json_close(&j, ']');
	got = sink_text(&k);
	assert_string_equal(got, "[0.000000, 300.123457, -2.500000, 5.000001, null, null, null]");
	free(got);
}

static void test_fixed_decimals(void **state)
{
	struct sink k;
	struct fst_json j;
	char *got;

	(void)state;
	sink_open(&k);
	j = fst_json_make(k.f, FST_JSON_TIGHT);
	fst_json_open(&j, NULL, '[');
	fst_json_fixed(&j, NULL, 12.5, 3);
	fst_json_fixed(&j, NULL, 0.0004, 3);
	fst_json_fixed(&j, NULL, 2.0, 0);
	fst_json_fixed(&j, NULL, NAN, 3);
	fst_json_close(&j, ']');
	got = sink_text(&k);
	assert_string_equal(got, "[12.500,0.000,2,null]");
	free(got);
}

static void test_time_member(void **state)
{
	struct sink k;
	struct fst_json j;
	char *got;

	(void)state;
	sink_open(&k);
	j = fst_json_make(k.f, FST_JSON_SPACED);
	fst_json_open(&j, NULL, '{');
	fst_json_time(&j, "at", INT64_C(1764563374321142));
	fst_json_time(&j, "epoch", 0);
	fst_json_close(&j, '}');
	got = sink_text(&k);
	assert_string_equal(got, "{\"at\": \"2025-12-01T04:29:34.321142Z\", "
				 "\"epoch\": \"1970-01-01T00:00:00.000000Z\"}");
	free(got);
}

static void test_time_format_iso(void **state)
{
	char buf[FST_TIME_ISO_SIZE];

	(void)state;
	assert_string_equal(fst_time_format_iso(INT64_C(1700000000123456), buf, sizeof(buf)),
			    "2023-11-14T22:13:20.123456Z");
	assert_string_equal(fst_time_format_iso(-1, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.999999Z");
	assert_string_equal(fst_time_format_iso(INT64_C(253402300799999999), buf, sizeof(buf)),
			    "9999-12-31T23:59:59.999999Z");
	/* Year 10000 has no four-digit form. */
	assert_string_equal(fst_time_format_iso(INT64_C(253402300800000000), buf, sizeof(buf)),
			    "?");
	assert_string_equal(fst_time_format_iso(FST_TS_LIMIT_US, buf, sizeof(buf)), "?");
}

static void test_time_format_iso_truncates_safely(void **state)
{
	char small[12];

	(void)state;
	memset(small, 'x', sizeof(small));
	fst_time_format_iso(INT64_C(1700000000123456), small, sizeof(small));
	assert_string_equal(small, "2023-11-14T");
}

static void test_seconds(void **state)
{
	(void)state;
	assert_true(fst_seconds(0) == 0.0);
	assert_true(fst_seconds(FST_US_PER_SEC) == 1.0);
	assert_true(fst_seconds(-1500000) == -1.5);
	assert_true(fabs(fst_seconds(1) - 1e-6) < 1e-18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_plain_text_passes),
		cmocka_unit_test(test_string_quote_and_backslash),
		cmocka_unit_test(test_string_control_bytes),
		cmocka_unit_test(test_string_high_bytes),
		cmocka_unit_test(test_nesting_and_commas_spaced),
		cmocka_unit_test(test_nesting_and_commas_compact),
		cmocka_unit_test(test_nesting_and_commas_tight),
		cmocka_unit_test(test_fixed_decimals),
		cmocka_unit_test(test_nesting_and_commas_pretty),
		cmocka_unit_test(test_pretty_deep_nesting_balances),
		cmocka_unit_test(test_seconds_digits_and_non_finite),
		cmocka_unit_test(test_time_member),
		cmocka_unit_test(test_time_format_iso),
		cmocka_unit_test(test_time_format_iso_truncates_safely),
		cmocka_unit_test(test_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
