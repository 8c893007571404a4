/* ftpstall: entry point and subcommand dispatch. */
#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ftpstall/client.h"

static const struct subcommand {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
} subcommands[] = {
	{ "analyze", "read captures (or an interface) and report FTP sessions", cmd_analyze,
	  usage_analyze },
	{ "watch", "monitor FTP sessions live (or replay a capture) with idle timers", cmd_watch,
	  usage_watch },
	{ "upload", "upload files over FTP, reconnecting and resuming, then verify them",
	  cmd_upload, usage_upload },
	{ "probe", "measure a server's idle and data-stall timeouts", cmd_probe, usage_probe },
	{ "correlate",
	  "line up captures from two points of a path: what the path lost, forged or rewrote",
	  cmd_correlate, usage_correlate },
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

static void usage_main(FILE *out)
{
	fprintf(out, "usage: ftpstall [-V | --version] [-h | --help] SUBCOMMAND [ARGS...]\n"
		     "       ftpstall help SUBCOMMAND\n\n"
		     "Diagnoses FTP session timeouts from packet captures.\n\n"
		     "Subcommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out,
		"\nExit status: 0 success, 1 incidents found (analyze, correlate --exit-code) or a\n"
		"failed upload/probe, 2 usage error or unreadable input, 4 no FTP\n"
		"session at all (analyze --exit-code), 130 interrupted by Ctrl-C.\n");
}

const char *app_netrc_path(const char *explicit_path, bool no_netrc, char *buf, size_t size)
{
	const char *home = getenv("HOME");

	if (no_netrc)
		return NULL;
	if (explicit_path)
		return explicit_path;
	if (!home || !home[0]) {
		struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	snprintf(buf, size, "%s/.netrc", home);
	return buf;
}

bool app_tls_option(struct app_tls_opts *t, int c, const char *arg)
{
	switch (c) {
	case APP_OPT_SSL_REQD:
		t->ssl_reqd = true;
		return true;
	case APP_OPT_CACERT:
		t->cacert = arg;
		return true;
	case 'k':
		t->insecure = true;
		return true;
	default:
		return false;
	}
}

bool app_tls_apply(const struct app_tls_opts *t, const struct fst_client_url *url,
		   struct fst_client_cfg *conn, const char *cmd)
{
	FILE *f;

	/* Checked now, not at the first handshake: a typo is a usage error. */
	if (t->cacert) {
		f = fopen(t->cacert, "r");
		if (!f) {
			fprintf(stderr, "%s: --cacert %s: %s\n", cmd, t->cacert, strerror(errno));
			return false;
		}
		fclose(f);
	}
	conn->tls = url->tls;
	/* curl's --ssl-reqd: ftp:// upgraded with AUTH TLS, or fail. */
	if (conn->tls == FST_TLS_NONE && t->ssl_reqd)
		conn->tls = FST_TLS_EXPLICIT;
	conn->cacert = t->cacert;
	conn->insecure = t->insecure;
	conn->keylog_path = getenv("SSLKEYLOGFILE");
	return true;
}

void app_tls_usage(FILE *out)
{
	fprintf(out, "      --ssl-reqd           ftp:// with TLS (AUTH TLS): fail if the server\n"
		     "                           refuses it (ftpes:// and ftps:// always use TLS)\n"
		     "      --cacert FILE        trust the CA certificates in FILE (PEM) instead\n"
		     "                           of the system's\n"
		     "  -k, --insecure           do not verify the server's certificate or name\n");
}

int main(int argc, char **argv)
{
	const struct subcommand *sub;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_STATUS_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ftpstall %s\n", FTPSTALL_VERSION);
		return EXIT_STATUS_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_main(stdout);
		return EXIT_STATUS_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage_main(stdout);
			return EXIT_STATUS_OK;
		}
		sub = find_subcommand(argv[2]);
		if (!sub) {
			fprintf(stderr,
				"ftpstall: unknown subcommand '%s' (see 'ftpstall --help')\n",
				argv[2]);
			return EXIT_STATUS_USAGE;
		}
		sub->usage(stdout);
		return EXIT_STATUS_OK;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "ftpstall: unknown option '%s' (see 'ftpstall --help')\n", argv[1]);
		return EXIT_STATUS_USAGE;
	}
	sub = find_subcommand(argv[1]);
	if (!sub) {
		fprintf(stderr, "ftpstall: unknown subcommand '%s' (see 'ftpstall --help')\n",
			argv[1]);
		return EXIT_STATUS_USAGE;
	}
	return sub->run(argc - 1, argv + 1);
}
