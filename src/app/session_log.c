/* The logs written a session at a time (see session_log.h). */
#include "session_log.h"

/* Marks session id as written; false when it already was. A mark that
 * cannot be kept (out of memory) lets the session be written again at
 * the end rather than never. */
static bool mark_written(struct session_log *log, uint64_t id)
{
	return fst_id_marks_add(&log->written, id) != 0;
}

static void write_session(struct session_log *log, const struct fst_session_result *r)
{
	struct fst_report_input in;

	pipeline_report_input(log->p, &in, false);
	if (log->format == FST_REPORT_ZEEK) {
		if (!log->header_written)
			fst_report_zeek_header(log->out, r->session->start_us);
		log->header_written = true;
		fst_report_zeek_session(log->out, &in, r);
	} else {
		fst_report_ecs_session(log->out, &in, r);
	}
}

void session_log_update(struct session_log *log, const struct fst_session_result *r)
{
	if (r->verdict_state == FST_VERDICT_FINAL && mark_written(log, r->session->id))
		write_session(log, r);
}

int session_log_finish(struct session_log *log)
{
	for (struct fst_session_result *r = fst_analysis_results(log->p->analysis); r; r = r->next)
		if (mark_written(log, r->session->id))
			write_session(log, r);
	if (log->format == FST_REPORT_ZEEK) {
		if (!log->header_written)
			fst_report_zeek_header(log->out, log->p->now_us);
		fst_report_zeek_footer(log->out, log->p->now_us);
	}
	fst_id_marks_free(&log->written);
	return fflush(log->out) != 0 || ferror(log->out) ? -1 : 0;
}
