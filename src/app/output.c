/* The files ftpstall writes. A regular file (or a new path) is written
 * into a temporary file beside it and renamed over it only when
 * complete, so a reader never sees half a report. Devices and FIFOs are
 * written in place, as coreutils and tcpdump -w do: renaming over
 * /dev/null would replace it for the whole system, and a FIFO's reader
 * would never see a byte. Symlinks are followed and their final target
 * replaced, so the link stays a link. An input capture is never
 * overwritten. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* As the kernel's limit on nested symlinks (ELOOP). */
#define MAX_SYMLINKS 40
/* A FIFO without a reader is retried this long before it is refused:
 * long enough for a reader started alongside, short enough not to hang. */
#define FIFO_WAIT_MS 5000
#define FIFO_POLL_MS 100

enum output_how output_decide(const struct stat *st, const char **reason)
{
	const char *why = NULL;

	if (!st || S_ISREG(st->st_mode))
		return OUTPUT_REPLACE;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode))
		return OUTPUT_THROUGH;
	if (S_ISDIR(st->st_mode))
		why = "is a directory";
	else if (S_ISSOCK(st->st_mode))
		why = "is a socket";
	else
		why = "is not a regular file, device or FIFO";
	if (reason)
		*reason = why;
	return OUTPUT_REFUSE;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Follows path's symlinks into o->target (which need not exist). */
static int resolve(struct output *o, char *errbuf)
{
	char link[PATH_MAX];
	int n;

	if (snprintf(o->target, sizeof(o->target), "%s", o->path) >= (int)sizeof(o->target))
		goto out_too_long;
	for (int hops = 0; hops < MAX_SYMLINKS; hops++) {
		struct stat st;
		ssize_t len;
		char *slash;

		if (lstat(o->target, &st) != 0 || !S_ISLNK(st.st_mode))
			return FST_OK;
		len = readlink(o->target, link, sizeof(link) - 1);
		if (len < 0) {
			fst_errbuf_set(errbuf, "%s: %s", o->path, strerror(errno));
			return FST_ERR_IO;
		}
		link[len] = '\0';
		slash = strrchr(o->target, '/');
		if (link[0] == '/' || !slash)
			n = snprintf(o->target, sizeof(o->target), "%s", link);
		else {
			/* Relative to the link's own directory. */
			slash[1] = '\0';
			n = snprintf(o->target + strlen(o->target),
				     sizeof(o->target) - strlen(o->target), "%s", link);
		}
		if (n < 0 || (size_t)n >= sizeof(o->target))
			goto out_too_long;
	}
	fst_errbuf_set(errbuf, "%s: too many levels of symbolic links", o->path);
	return FST_ERR_ARG;

out_too_long:
	fst_errbuf_set(errbuf, "%s: path too long", o->path);
	return FST_ERR_ARG;
}

/* Opens a FIFO without blocking on a missing reader, then makes writes
 * block again so that a slow reader gets everything. */
static int open_fifo(const char *target)
{
	struct timespec pause = { 0, FIFO_POLL_MS * 1000000L };
	int fd = -1;

	for (int waited = 0; waited <= FIFO_WAIT_MS; waited += FIFO_POLL_MS) {
		fd = open(target, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 || errno != ENXIO)
			break;
		nanosleep(&pause, NULL);
	}
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_through(struct output *o, const struct stat *st, char *errbuf)
{
	int fd;

	if (S_ISFIFO(st->st_mode)) {
		fd = open_fifo(o->target);
		if (fd < 0 && errno == ENXIO) {
			fst_errbuf_set(errbuf, "%s: FIFO has no reader (waited %d s)", o->path,
				       FIFO_WAIT_MS / 1000);
			return -1;
		}
	} else {
		/* No O_TRUNC, no O_CREAT: a device is written, never remade. */
		fd = open(o->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	}
	if (fd < 0)
		fst_errbuf_set(errbuf, "%s: %s", o->path, strerror(errno));
	return fd;
}

/* Gives the new file st's owner, or at least its group. Best effort:
 * without the right, the file stays ours, as any new file would be. */
static void keep_owner(int fd, const struct stat *st)
{
	if (fchown(fd, st->st_uid, st->st_gid) == 0)
		return;
	if (fchown(fd, (uid_t)-1, st->st_gid) != 0)
		return; /* the group is not ours to give either */
}

static int open_replace(struct output *o, const struct stat *st, char *errbuf)
{
	mode_t mode;
	int fd;

	if (snprintf(o->tmp_path, sizeof(o->tmp_path), "%s.tmp.XXXXXX", o->target) >=
	    (int)sizeof(o->tmp_path)) {
		o->tmp_path[0] = '\0';
		fst_errbuf_set(errbuf, "%s: path too long", o->path);
		return -1;
	}
	fd = mkstemp(o->tmp_path);
	if (fd < 0) {
		o->tmp_path[0] = '\0';
		if (strcmp(o->path, o->target) != 0)
			fst_errbuf_set(errbuf, "%s: cannot create %s: %s", o->path, o->target,
				       strerror(errno));
		else
			fst_errbuf_set(errbuf, "%s: cannot create a file there: %s", o->path,
				       strerror(errno));
		return -1;
	}
	if (st) {
		/* Replacing keeps the file's permissions, and its owner where we
		 * may (root): a report refreshed by root stays the user's. */
		mode = st->st_mode & 07777;
		if (st->st_uid != geteuid() || st->st_gid != getegid())
			keep_owner(fd, st);
	} else {
		/* mkstemp makes 0600; a new report is as readable as any new file. */
		mode_t mask = umask(0);

		umask(mask);
		mode = 0666 & ~mask;
	}
	if (fchmod(fd, mode) != 0) {
		fst_errbuf_set(errbuf, "%s: %s", o->tmp_path, strerror(errno));
		close(fd);
		unlink(o->tmp_path);
		o->tmp_path[0] = '\0';
		return -1;
	}
	return fd;
}

FILE *output_open(struct output *o, const char *path, const char *const *inputs, size_t input_count,
		  char *errbuf)
{
	const char *reason = "";
	struct stat st;
	bool exists;
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = path;
	for (size_t i = 0; i < input_count; i++)
		if (same_file(path, inputs[i])) {
			fst_errbuf_set(errbuf,
				       "%s: is one of the input captures; not overwriting it",
				       path);
			return NULL;
		}
	if (resolve(o, errbuf) != FST_OK)
		return NULL;
	exists = stat(o->target, &st) == 0;
	if (!exists && errno != ENOENT) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		return NULL;
	}
	o->how = output_decide(exists ? &st : NULL, &reason);
	switch (o->how) {
	case OUTPUT_REFUSE:
		fst_errbuf_set(errbuf, "%s: %s; not writing there", path, reason);
		return NULL;
	case OUTPUT_THROUGH:
		fd = open_through(o, &st, errbuf);
		break;
	case OUTPUT_REPLACE:
		fd = open_replace(o, exists ? &st : NULL, errbuf);
		break;
	}
	if (fd < 0)
		return NULL;
	o->file = fdopen(fd, "w");
	if (!o->file) {
		fst_errbuf_set(errbuf, "%s: %s", path, strerror(errno));
		close(fd);
		output_abort(o);
		return NULL;
	}
	return o->file;
}

int output_commit(struct output *o, bool already_closed, char *errbuf)
{
	bool failed = false;

	if (!already_closed && o->file) {
		failed = fflush(o->file) != 0 || ferror(o->file);
		failed = fclose(o->file) != 0 || failed;
	}
	o->file = NULL;
	if (failed) {
		fst_errbuf_set(errbuf, "%s: writing failed: %s", o->path, strerror(errno));
		output_abort(o);
		return FST_ERR_IO;
	}
	if (o->how != OUTPUT_REPLACE)
		return FST_OK;
	if (rename(o->tmp_path, o->target) != 0) {
		fst_errbuf_set(errbuf, "%s: %s", o->path, strerror(errno));
		output_abort(o);
		return FST_ERR_IO;
	}
	o->tmp_path[0] = '\0';
	return FST_OK;
}

void output_abort(struct output *o)
{
	if (o->file)
		fclose(o->file);
	o->file = NULL;
	if (o->tmp_path[0])
		unlink(o->tmp_path);
	o->tmp_path[0] = '\0';
}
