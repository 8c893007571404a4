/* docs/verdicts.md against the code: its rule list is verdict_rules[]
 * row by row (names, verdicts, order); every verdict kind has a rule, a
 * row in the verdict table and an example; and every example is a
 * bundled capture (captures/NAME.pcap, captures/field/NAME.pcap or
 * captures/path/NAME.POINT.pcap) whose
 * expected report (expected/NAME.json beside it) shows that verdict, so no verdict is
 * without a real capture that exercises it.
 * FST_SOURCE_DIR is the source tree, set by tests/CMakeLists.txt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftpstall/analysis.h"

#ifndef FST_SOURCE_DIR
#error "FST_SOURCE_DIR must name the source tree"
#endif

enum {
	RULES_MAX = 64,
	NAME_MAX_LEN = 64,
};

/* Reads a whole file; NULL if it cannot. Free with free(). */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		text = malloc((size_t)len + 1);
		if (text && fread(text, 1, (size_t)len, f) != (size_t)len) {
			free(text);
			text = NULL;
		} else if (text) {
			text[len] = '\0';
		}
	}
	fclose(f);
	return text;
}

static char *read_doc(void)
{
	char *doc = read_file(FST_SOURCE_DIR "/docs/verdicts.md");

	if (!doc)
		fail_msg("cannot read %s", FST_SOURCE_DIR "/docs/verdicts.md");
	return doc;
}

/* The text of section heading (e.g. "## Rules") up to the next "## ". */
static char *section(char *doc, const char *heading)
{
	char *start = strstr(doc, heading);
	char *end;

	if (!start)
		fail_msg("docs/verdicts.md has no section \"%s\"", heading);
	end = strstr(start + strlen(heading), "\n## ");
	if (end)
		end[1] = '\0';
	return start;
}

/* Copies the backquoted word at p ("`name`") into out; returns the byte
 * after the closing quote, or NULL if p does not start one. */
static const char *quoted(const char *p, char *out, size_t size)
{
	const char *end;

	if (*p != '`')
		return NULL;
	end = strchr(p + 1, '`');
	if (!end || (size_t)(end - p - 1) >= size)
		return NULL;
	memcpy(out, p + 1, (size_t)(end - p - 1));
	out[end - p - 1] = '\0';
	return end + 1;
}

struct doc_rule {
	unsigned number;
	char name[NAME_MAX_LEN];
	char verdict[NAME_MAX_LEN];
};

/* The rows "| N | `name` | `verdict` | ..." of the rule list. */
static size_t doc_rules(const char *rules, struct doc_rule *out, size_t max)
{
	size_t n = 0;

	for (const char *line = rules; line && *line; line = strchr(line, '\n')) {
		const char *p;
		unsigned number;
		int used = 0;

		if (*line == '\n')
			line++;
		if (sscanf(line, "| %u | %n", &number, &used) != 1 || used == 0)
			continue;
		assert_true(n < max);
		p = quoted(line + used, out[n].name, sizeof(out[n].name));
		if (!p || strncmp(p, " | ", 3) != 0 ||
		    !quoted(p + 3, out[n].verdict, sizeof(out[n].verdict)))
			fail_msg("malformed rule row in docs/verdicts.md: %.80s", line);
		out[n].number = number;
		n++;
	}
	return n;
}

static void test_rule_list_matches_table(void **state)
{
	char *doc = read_doc();
	struct doc_rule rows[RULES_MAX];
	size_t count = doc_rules(section(doc, "\n## Rules\n"), rows, RULES_MAX);

	(void)state;
	if (count != fst_verdict_rule_count())
		fail_msg("docs/verdicts.md lists %zu rules, verdict_rules[] has %zu", count,
			 fst_verdict_rule_count());
	for (size_t i = 0; i < count; i++) {
		enum fst_verdict verdict;
		const char *name = fst_verdict_rule_at(i, &verdict);

		assert_non_null(name);
		if (rows[i].number != i + 1)
			fail_msg("rule row %zu is numbered %u", i + 1, rows[i].number);
		if (strcmp(rows[i].name, name) != 0)
			fail_msg("rule %zu: docs/verdicts.md says `%s`, the code `%s`", i + 1,
				 rows[i].name, name);
		if (strcmp(rows[i].verdict, fst_verdict_name(verdict)) != 0)
			fail_msg("rule %s: docs/verdicts.md says `%s`, the code `%s`", name,
				 rows[i].verdict, fst_verdict_name(verdict));
	}
	assert_null(fst_verdict_rule_at(count, NULL));
	free(doc);
}

/* Rule names are unique: one name, one row. */
static void test_rule_names_unique(void **state)
{
	size_t count = fst_verdict_rule_count();

	(void)state;
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++)
			if (strcmp(fst_verdict_rule_at(i, NULL), fst_verdict_rule_at(j, NULL)) == 0)
				fail_msg("two rules named %s", fst_verdict_rule_at(i, NULL));
}

/* Every verdict kind has a rule that can give it and a row of its own in
 * the verdict table, and the table has no row for a kind that does not
 * exist. */
static void test_every_verdict_documented(void **state)
{
	char *doc = read_doc();
	char *verdicts = strstr(doc, "| verdict | evidence |");
	char *end;
	unsigned rows = 0;

	(void)state;
	assert_non_null(verdicts);
	end = strstr(verdicts, "\n\n");
	if (end)
		*end = '\0';
	for (int v = 0; v < FST_VERDICT_COUNT; v++) {
		char row[NAME_MAX_LEN + 8];
		bool has_rule = false;

		for (size_t i = 0; i < fst_verdict_rule_count(); i++) {
			enum fst_verdict given;

			fst_verdict_rule_at(i, &given);
			has_rule |= given == (enum fst_verdict)v;
		}
		if (!has_rule)
			fail_msg("no rule in verdict_rules[] gives %s",
				 fst_verdict_name((enum fst_verdict)v));
		snprintf(row, sizeof(row), "\n| `%s` |", fst_verdict_name((enum fst_verdict)v));
		if (!strstr(verdicts, row))
			fail_msg("the verdict table of docs/verdicts.md has no row for %s",
				 fst_verdict_name((enum fst_verdict)v));
	}
	for (const char *p = strstr(verdicts, "\n| `"); p; p = strstr(p + 1, "\n| `"))
		rows++;
	assert_int_equal(rows, FST_VERDICT_COUNT);
	free(doc);
}

static void test_every_verdict_has_example(void **state)
{
	char *doc = read_doc();
	char *examples = section(doc, "\n## One example each\n");

	(void)state;
	for (int v = 0; v < FST_VERDICT_COUNT; v++) {
		const char *kind = fst_verdict_name((enum fst_verdict)v);
		char item[NAME_MAX_LEN + 16], name[NAME_MAX_LEN * 2], path[4096];
		char needle[NAME_MAX_LEN + 16];
		const char *p, *base;
		char *text;

		snprintf(item, sizeof(item), "\n- `%s` — ", kind);
		p = strstr(examples, item);
		if (!p)
			fail_msg("docs/verdicts.md gives no example for %s", kind);
		p += strlen(item);
		/* A capture, nothing else: "captures/" (or "captures/field/")
		 * + a name + ".pcap". */
		if (!quoted(p, name, sizeof(name)) || strncmp(name, "captures/", 9) != 0 ||
		    strlen(name) <= 14 || strcmp(name + strlen(name) - 5, ".pcap") != 0)
			fail_msg("%s: the example is not a `captures/NAME.pcap`", kind);
		snprintf(path, sizeof(path), "%s/%s", FST_SOURCE_DIR, name);
		text = read_file(path);
		if (!text)
			fail_msg("%s: %s does not exist", kind, name);
		free(text);
		/* captures/[field/]NAME.pcap has captures/[field/]expected/NAME.json. */
		name[strlen(name) - 5] = '\0';
		base = strrchr(name, '/') + 1;
		snprintf(path, sizeof(path), "%s/%.*sexpected/%s.json", FST_SOURCE_DIR,
			 (int)(base - name), name, base);
		text = read_file(path);
		if (!text)
			fail_msg("%s: no expected report %s", kind, path);
		snprintf(needle, sizeof(needle), "\"kind\": \"%s\"", kind);
		if (!strstr(text, needle))
			fail_msg("%s: the expected report of %s.pcap does not show it", kind, name);
		free(text);
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_list_matches_table),
		cmocka_unit_test(test_rule_names_unique),
		cmocka_unit_test(test_every_verdict_documented),
		cmocka_unit_test(test_every_verdict_has_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
