/* Shared by the libFuzzer harnesses of tests/fuzz: invariant checks that
 * abort loudly (libFuzzer and the replay driver both treat an abort as
 * a crash and keep the input), a sink for report output, and the report
 * and event-stream writers every harness that reaches the analysis
 * drives. Test code only. */
#ifndef FST_FUZZ_SUPPORT_H
#define FST_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ftpstall/analysis.h"
#include "ftpstall/report.h"

/* FST_FUZZ_KNOWN=1 (cmake -DFTPSTALL_FUZZ_KNOWN=ON) also exercises the
 * inputs of findings that were reported but may not be fixed yet (see
 * tests/fuzz/regressions/README.md); off, the harnesses steer around
 * them so that fuzzing can get past them. Turn it on for good once they
 * are fixed. */
#ifndef FST_FUZZ_KNOWN
#define FST_FUZZ_KNOWN 0
#endif

/* The payload pointer of a segment with no captured bytes. The capture
 * module always points into the frame; NULL is what the unit tests pass
 * and what the header allows (known finding 1). */
extern const uint8_t fuzz_empty_payload[1];
#define FUZZ_EMPTY_PAYLOAD (FST_FUZZ_KNOWN ? NULL : fuzz_empty_payload)

/* The libFuzzer entry point each harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz invariant broken: file:line: what" and aborts. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define FUZZ_CHECK(cond, ...)                                       \
	do {                                                        \
		if (!(cond))                                        \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* A stream that discards what is written (like /dev/null, without the
 * system calls), opened once per process and never closed; the writers
 * still format every byte. */
FILE *fuzz_sink(void);

/* Writes the report in every format (text with and without colour) to
 * the sink and checks that each write succeeded. Borrows in. */
void fuzz_write_reports(const struct fst_report_input *in);

/* Writes one event-stream line of every kind that applies to r, as text
 * and as JSON Lines, the way `watch --no-tui` would; now_us is the
 * packet clock for the idle line. */
void fuzz_stream_result(const struct fst_session_result *r, int64_t now_us);

/* An fst_analysis_update_fn that reads the result it is handed the way
 * watch and its views do (every gap, the decisive one, the close, the
 * texts) and writes the lines watch writes. ctx: NULL, or a size_t *
 * holding the cap on gaps per session. */
void fuzz_on_update(void *ctx, const struct fst_session_result *r, enum fst_analysis_update update);

/* Checks what every session result must satisfy whatever the input:
 * strings terminated, decisive gap inside gaps[], counts within caps,
 * and (after the end of input) every verdict final. */
void fuzz_check_results(struct fst_analysis *an, size_t max_gaps);

/* What watch does while packets still arrive: it refreshes the reconnect
 * links and server estimates (fst_analysis_finish, every 2 s, and before
 * its 'w' key writes a report), then views the results. So: finish, the
 * invariants that hold while sessions still run, the estimates read,
 * every report format written, and each session's event-stream lines as
 * of now_us. The caller then goes on feeding packets. Borrows in. */
void fuzz_checkpoint(const struct fst_report_input *in, int64_t now_us, size_t max_gaps);

/* watch's refresh period of the estimates (ESTIMATE_REFRESH_US). */
#define FUZZ_REFRESH_US (2 * FST_US_PER_SEC)

#endif
