/* Private to src/app: the logs written a session at a time (--format
 * ecs or zeek) by live analyze and watch --no-tui: each session's
 * document as soon as its verdict is final, the rest at the end. */
#ifndef FTPSTALL_APP_SESSION_LOG_H
#define FTPSTALL_APP_SESSION_LOG_H

#include <stdio.h>

#include "pipeline.h"

struct session_log {
	FILE *out;		       /* borrowed */
	enum fst_report_format format; /* FST_REPORT_ECS or FST_REPORT_ZEEK */
	struct pipeline *p;	       /* borrowed: the report input comes from it */
	bool header_written;	       /* zeek */
	struct fst_id_marks written;   /* the sessions whose row is out */
};

/* From the analysis' on_update: writes r once its verdict is final. */
void session_log_update(struct session_log *log, const struct fst_session_result *r);

/* Writes every session not written yet and the log's end (zeek's
 * #close); frees what log holds. Returns 0, or -1 when out failed. */
int session_log_finish(struct session_log *log);

#endif
