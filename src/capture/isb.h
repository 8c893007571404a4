/* Private to src/capture: the pcapng interface statistics reader. */
#ifndef FTPSTALL_CAPTURE_ISB_H
#define FTPSTALL_CAPTURE_ISB_H

#include "ftpstall/capture.h"

/* Reads the pcapng file f from its current position to its end and
 * calls fn (may be NULL) for each interface statistics block whose drop
 * count (isb_ifdrop + isb_osdrop) grew. Borrows f; stops quietly at the
 * first damaged block. Returns the drops reported. */
uint64_t fst_capture_isb_scan(FILE *f, fst_capture_drop_fn fn, void *ctx);

#endif
