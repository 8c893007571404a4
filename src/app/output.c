/* Report files written atomically: into a temporary file beside the
 * target, renamed over it only when complete. rename() replaces a
 * symlink at the target rather than following it, and an input capture
 * is never overwritten. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

FILE *output_open(struct output *o, const char *path, const char *const *inputs, size_t input_count,
		  char *errbuf)
{
	int fd;
	FILE *f;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < input_count; i++)
		if (same_file(path, inputs[i])) {
			fst_errbuf_set(errbuf,
				       "%s: is one of the input captures; not overwriting it",
				       path);
			return NULL;
		}
	o->path = path;
	if (snprintf(o->tmp_path, sizeof(o->tmp_path), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(o->tmp_path)) {
		fst_errbuf_set(errbuf, "%s: path too long", path);
		return NULL;
	}
	fd = mkstemp(o->tmp_path);
	if (fd < 0) {
		fst_errbuf_set(errbuf, "%s: cannot create a file there: %s", path, strerror(errno));
		return NULL;
	}
	/* mkstemp makes 0600; a report is as readable as any new file. */
	{
		mode_t mask = umask(0);

		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	f = fdopen(fd, "w");
	if (!f) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(o->tmp_path);
		return NULL;
	}
	o->file = f;
	return f;
}

int output_commit(struct output *o, bool already_closed, char *errbuf)
{
	bool failed = false;

	if (!already_closed && o->file)
		failed = fflush(o->file) != 0 || ferror(o->file) || fclose(o->file) != 0;
	o->file = NULL;
	if (failed) {
		fst_errbuf_set(errbuf, "%s: writing failed: %s", o->path, strerror(errno));
		unlink(o->tmp_path);
		return FST_ERR_IO;
	}
	if (rename(o->tmp_path, o->path) != 0) {
		fst_errbuf_set(errbuf, "%s: %s", o->path, strerror(errno));
		unlink(o->tmp_path);
		return FST_ERR_IO;
	}
	return FST_OK;
}

void output_abort(struct output *o)
{
	if (o->file)
		fclose(o->file);
	o->file = NULL;
	if (o->tmp_path[0])
		unlink(o->tmp_path);
}
