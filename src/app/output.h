/* Private to src/app: atomic report files. */
#ifndef FTPSTALL_APP_OUTPUT_H
#define FTPSTALL_APP_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "ftpstall/common.h"

struct output {
	const char *path;
	char tmp_path[PATH_MAX];
	FILE *file;
};

/* Opens a temporary file beside path. Refuses a path that is one of the
 * inputs. Returns the stream, or NULL with errbuf filled. */
FILE *output_open(struct output *o, const char *path, const char *const *inputs, size_t input_count,
		  char *errbuf);

/* Flushes and closes (unless the writer closed it already) and renames
 * the temporary file over path. */
int output_commit(struct output *o, bool already_closed, char *errbuf);

/* Removes the temporary file. */
void output_abort(struct output *o);

#endif
