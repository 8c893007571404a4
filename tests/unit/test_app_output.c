/* Unit tests for src/app/output.c: which paths are replaced, written in
 * place or refused, and what a write leaves behind, in a temp dir (no
 * root needed: no device nodes; the integration test has those). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "output.h"

static char dir[64];

static const char *at(const char *name)
{
	static char buf[2][256];
	static int which;

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir, name);
	return buf[which];
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The file's text (at most 255 bytes), or "" if unreadable. */
static const char *text_of(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Writes text to path through output_open/commit; returns the status
 * (FST_OK) or the open failure as FST_ERR_IO with errbuf. */
static int write_out(const char *path, const char *text, const char *const *inputs, size_t n,
		     char *errbuf)
{
	struct output o;
	FILE *f = output_open(&o, path, inputs, n, errbuf);

	if (!f)
		return FST_ERR_IO;
	fputs(text, f);
	return output_commit(&o, false, errbuf);
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fst-output.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_decide(void **state)
{
	static const struct {
		mode_t type;
		enum output_how how;
		const char *reason;
	} cases[] = {
		{ S_IFREG, OUTPUT_REPLACE, NULL },
		{ S_IFCHR, OUTPUT_THROUGH, NULL },
		{ S_IFBLK, OUTPUT_THROUGH, NULL },
		{ S_IFIFO, OUTPUT_THROUGH, NULL },
		{ S_IFDIR, OUTPUT_REFUSE, "is a directory" },
		{ S_IFSOCK, OUTPUT_REFUSE, "is a socket" },
		{ S_IFLNK, OUTPUT_REFUSE, "is not a regular file, device or FIFO" },
	};
	const char *reason = NULL;

	(void)state;
	assert_int_equal(output_decide(NULL, &reason), OUTPUT_REPLACE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat st = { .st_mode = cases[i].type | 0644 };

		reason = NULL;
		assert_int_equal(output_decide(&st, &reason), cases[i].how);
		if (cases[i].reason)
			assert_string_equal(reason, cases[i].reason);
		else
			assert_null(reason);
	}
}

static void test_regular_keeps_mode(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct stat st;

	(void)state;
	put(at("reg"), "old");
	assert_int_equal(chmod(at("reg"), 0640), 0);
	assert_int_equal(write_out(at("reg"), "new", NULL, 0, errbuf), FST_OK);
	assert_string_equal(text_of(at("reg")), "new");
	assert_int_equal(stat(at("reg"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(entries(), 1);

	/* Root keeps another user's file theirs. */
	if (geteuid() == 0) {
		assert_int_equal(chown(at("reg"), 4321, 4322), 0);
		assert_int_equal(write_out(at("reg"), "newer", NULL, 0, errbuf), FST_OK);
		assert_int_equal(stat(at("reg"), &st), 0);
		assert_int_equal(st.st_uid, 4321);
		assert_int_equal(st.st_gid, 4322);
		assert_int_equal(st.st_mode & 07777, 0640);
	}
}

static void test_new_file_gets_umask_mode(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	mode_t old = umask(027);
	struct stat st;

	(void)state;
	assert_int_equal(write_out(at("new"), "x", NULL, 0, errbuf), FST_OK);
	umask(old);
	assert_int_equal(stat(at("new"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* link2 -> sub/link -> ../target: both stay links, target is replaced. */
static void test_symlink_chain(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	char buf[64];
	struct stat st;
	ssize_t n;

	(void)state;
	put(at("target"), "old");
	assert_int_equal(chmod(at("target"), 0600), 0);
	assert_int_equal(mkdir(at("sub"), 0755), 0);
	assert_int_equal(symlink("../target", at("sub/link")), 0);
	assert_int_equal(symlink("sub/link", at("link2")), 0);
	assert_int_equal(write_out(at("link2"), "new", NULL, 0, errbuf), FST_OK);
	assert_string_equal(text_of(at("target")), "new");
	n = readlink(at("link2"), buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "sub/link");
	assert_int_equal(lstat(at("sub/link"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(at("target"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_dangling_symlink(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];

	(void)state;
	assert_int_equal(symlink("made", at("dangling")), 0);
	assert_int_equal(write_out(at("dangling"), "x", NULL, 0, errbuf), FST_OK);
	assert_string_equal(text_of(at("made")), "x");

	assert_int_equal(symlink("nodir/file", at("nowhere")), 0);
	assert_int_not_equal(write_out(at("nowhere"), "x", NULL, 0, errbuf), FST_OK);
	assert_non_null(strstr(errbuf, at("nowhere")));
	assert_non_null(strstr(errbuf, "No such file or directory"));
	assert_int_equal(access(at("nodir"), F_OK), -1);
}

static void test_symlink_loop(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];

	(void)state;
	assert_int_equal(symlink("b", at("a")), 0);
	assert_int_equal(symlink("a", at("b")), 0);
	assert_int_not_equal(write_out(at("a"), "x", NULL, 0, errbuf), FST_OK);
	assert_non_null(strstr(errbuf, "too many levels of symbolic links"));
}

static void test_refused(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	const char *inputs[1];
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(at("dir"), 0755), 0);
	assert_int_not_equal(write_out(at("dir"), "x", NULL, 0, errbuf), FST_OK);
	assert_non_null(strstr(errbuf, "is a directory"));
	assert_int_equal(stat(at("dir"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	put(at("in.pcap"), "capture");
	assert_int_equal(symlink("in.pcap", at("in-link")), 0);
	inputs[0] = at("in.pcap");
	assert_int_not_equal(write_out(at("in-link"), "x", inputs, 1, errbuf), FST_OK);
	assert_non_null(strstr(errbuf, "is one of the input captures"));
	assert_string_equal(text_of(at("in.pcap")), "capture");
}

/* A FIFO is written in place: the reader gets the bytes, the FIFO stays. */
static void test_fifo_through(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	char buf[16] = { 0 };
	struct stat st;
	int rd;

	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(write_out(at("fifo"), "through", NULL, 0, errbuf), FST_OK);
	assert_int_equal(read(rd, buf, sizeof(buf) - 1), 7);
	assert_string_equal(buf, "through");
	close(rd);
	assert_int_equal(lstat(at("fifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

/* An aborted write leaves the old file and no temporary file. */
static void test_abort(void **state)
{
	char errbuf[FST_ERRBUF_SIZE];
	struct output o;
	FILE *f;

	(void)state;
	put(at("keep"), "old");
	f = output_open(&o, at("keep"), NULL, 0, errbuf);
	assert_non_null(f);
	fputs("half", f);
	fflush(f);
	assert_int_equal(entries(), 2);
	output_abort(&o);
	assert_string_equal(text_of(at("keep")), "old");
	assert_int_equal(entries(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test_setup_teardown(test_regular_keeps_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_gets_umask_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dangling_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
