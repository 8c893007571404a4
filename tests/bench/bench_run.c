/* bench_run: runs one command and reports its wall time (monotonic
 * clock), CPU time and peak resident set size (getrusage of the child,
 * via wait4), on one line of key=value pairs:
 *
 *   wall_s=0.251234 user_s=0.180000 sys_s=0.070000 maxrss_kib=5120 status=0
 *
 * usage: bench_run [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]
 * The command's standard output goes to FILE (default /dev/null); its
 * standard error is left alone. With -t, a command still running after
 * SECONDS is killed (SIGKILL: a SIGTERM would let ftpstall write its
 * report first) and the line ends in timed_out=1. The exit status is the
 * command's (128 + signal number if it was killed). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static volatile pid_t child;

/* SIGALRM: the time limit is over. */
static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	kill(child, SIGKILL);
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null";
	double limit_s = 0;
	struct timespec t0, t1;
	struct rusage ru;
	int argi = 1, status, fd, code;
	pid_t pid;

	while (argi < argc && strcmp(argv[argi], "--") != 0) {
		if (strcmp(argv[argi], "-o") == 0 && argi + 1 < argc) {
			out = argv[argi + 1];
			argi += 2;
			continue;
		}
		if (strcmp(argv[argi], "-t") == 0 && argi + 1 < argc) {
			limit_s = atof(argv[argi + 1]);
			argi += 2;
			continue;
		}
		fprintf(stderr, "usage: bench_run [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]\n");
		return 2;
	}
	if (argi + 1 >= argc) {
		fprintf(stderr, "usage: bench_run [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]\n");
		return 2;
	}
	argi++;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench_run: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			fprintf(stderr, "bench_run: %s: %s\n", out, strerror(errno));
			_exit(127);
		}
		close(fd);
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "bench_run: %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	if (limit_s > 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = {
			.it_value = { .tv_sec = (time_t)limit_s,
				      .tv_usec = (suseconds_t)((limit_s - (double)(time_t)limit_s) *
							       1e6) }
		};

		child = pid;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench_run: wait4: %s\n", strerror(errno));
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld status=%d timed_out=%d\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss, code, (int)timed_out);
	return code;
}
