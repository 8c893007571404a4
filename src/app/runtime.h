/* Private to src/app: what every subcommand needs from the process it
 * runs in: the stop flag its signal handler sets, the clocks, and
 * dropping root privileges. */
#ifndef FTPSTALL_APP_RUNTIME_H
#define FTPSTALL_APP_RUNTIME_H

#include <signal.h>
#include <stdint.h>

/* Set by SIGINT/SIGTERM once runtime_catch_signals was called; the
 * handler does nothing else. Read by the loops and by the client's
 * cancel pointer. */
extern volatile sig_atomic_t runtime_stop_requested;
void runtime_catch_signals(void);

/* Wall clock (CLOCK_REALTIME) in microseconds since the epoch: the time
 * packets are stamped with. */
int64_t runtime_wall_clock_us(void);

/* CLOCK_MONOTONIC in microseconds: ticks, deadlines, elapsed times. */
int64_t runtime_mono_us(void);

/* Drops root to user (tcpdump's -Z) once the capture device is open.
 * Returns 0, or prints "cmd: why" and returns -1. */
int runtime_drop_privileges(const char *user, const char *cmd);

#endif
