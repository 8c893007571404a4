/* A main() for the harnesses without libFuzzer's runtime: runs
 * LLVMFuzzerTestOneInput once per file named on the command line,
 * descending one level into directories (in name order, skipping dot
 * files and *.md notes). The ordinary test builds (gcc, and clang with
 * ASan+UBSan) link every harness with it so that ctest replays the
 * regressions and seed corpora. A failing invariant aborts and a
 * sanitizer reports, the same as under libFuzzer; a hang is ended by
 * ctest's timeout. Exits 1 if an input could not be read or none was
 * found, so a test whose inputs went missing fails rather than passes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

/* Defined by the harness this driver is linked with. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger than any input the harnesses are fuzzed with (16 KiB). */
enum {
	REPLAY_MAX_INPUT = 16 << 20
};

/* Reads path into a buffer of exactly its size, as libFuzzer passes
 * inputs, so that AddressSanitizer sees a read one byte past the end. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	int rc = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "%s: not a readable input of up to %d bytes\n", path,
			REPLAY_MAX_INPUT);
		goto out_close;
	}
	/* malloc(0) may return NULL; an empty input still gets a pointer. */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		goto out_close;
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size || ferror(f)) {
		fprintf(stderr, "%s: short read\n", path);
		goto out_free;
	}
	/* Named before it runs: a crash report then follows its input. */
	printf("input %s (%zu bytes)\n", path, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, n);
	rc = 0;
out_free:
	free(buf);
out_close:
	fclose(f);
	return rc;
}

static int skip_entry(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && !(len >= 3 && strcmp(de->d_name + len - 3, ".md") == 0);
}

static int run_path(const char *path, unsigned *count)
{
	struct dirent **names;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	n = scandir(path, &names, skip_entry, alphasort);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char child[4096];

		snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
		if (stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (run_file(child) != 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			rc = 1;
	printf("replayed %u input(s)\n", count);
	if (count == 0) {
		fprintf(stderr, "no inputs found\n");
		rc = 1;
	}
	return rc;
}
