/* Signals, clocks and privileges (see runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ftpstall/common.h"

volatile sig_atomic_t runtime_stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	runtime_stop_requested = 1;
}

void runtime_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int64_t clock_us(clockid_t id)
{
	struct timespec now;

	clock_gettime(id, &now);
	return (int64_t)now.tv_sec * FST_US_PER_SEC + now.tv_nsec / 1000;
}

int64_t runtime_wall_clock_us(void)
{
	return clock_us(CLOCK_REALTIME);
}

int64_t runtime_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

int runtime_drop_privileges(const char *user, const char *cmd)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "%s: -Z %s: no such user\n", cmd, user);
		return -1;
	}
	/* As tcpdump -Z does: supplementary groups, group, then user. */
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "%s: -Z %s: cannot drop privileges: %s\n", cmd, user,
			strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "%s: -Z %s: root privileges could be regained; stopping\n", cmd,
			user);
		return -1;
	}
	return 0;
}
