/* Private to src/app: the files ftpstall writes (reports, pcaps). */
#ifndef FTPSTALL_APP_OUTPUT_H
#define FTPSTALL_APP_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ftpstall/common.h"

/* How a named output is written, from what is there now. */
enum output_how {
	OUTPUT_REPLACE, /* regular file or new path: temp file + rename */
	OUTPUT_THROUGH, /* device or FIFO: opened and written in place */
	OUTPUT_REFUSE,	/* anything else */
};

struct output {
	const char *path;	 /* as the user named it */
	char target[PATH_MAX];	 /* path with its symlinks followed */
	char tmp_path[PATH_MAX]; /* OUTPUT_REPLACE only, else "" */
	enum output_how how;
	FILE *file;
};

/* The decision for an existing target's stat (symlinks already
 * followed), or st NULL for a path that does not exist. On
 * OUTPUT_REFUSE, *reason (if reason) says why, as a static string. */
enum output_how output_decide(const struct stat *st, const char **reason);

/* Opens path for writing: a temporary file beside a regular file or new
 * path (symlinks followed to their target), the node itself for a
 * device or FIFO (a FIFO without a reader is waited for a few seconds,
 * then refused). Refuses a path that is one of the inputs, and anything
 * else. Returns the stream, owned by o, or NULL with errbuf filled. */
FILE *output_open(struct output *o, const char *path, const char *const *inputs, size_t input_count,
		  char *errbuf);

/* Flushes and closes (unless the writer closed it already) and renames
 * the temporary file over the target. */
int output_commit(struct output *o, bool already_closed, char *errbuf);

/* Closes the stream (set o->file to NULL first if the writer closed it)
 * and removes the temporary file; a device or FIFO is left as it is. */
void output_abort(struct output *o);

#endif
