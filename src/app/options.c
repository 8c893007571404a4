/* Option values and the options analyze and watch share. */
#include "options.h"

#include "ftpstall/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

/* Ranges of the shared options' values. */
#define SNAPLEN_MAX	   262144 /* libpcap's own maximum */
#define BUFFER_KIB_MAX	   (1 << 20)
#define GAP_MAX_S	   (86400.0 * 365)
#define MAX_FLOWS_MIN	   16
#define MAX_FLOWS_MAX	   100000000
#define MAX_BUFFER_MIB_MAX (1 << 20)
#define MAX_LINE_MIN	   512
#define MAX_LINE_MAX	   (1 << 24)
#define MAX_SESSIONS_MAX   100000000

bool parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || value < min || value > max)
		return false;
	*out = value;
	return true;
}

bool parse_seconds(const char *text, double min, double max, int64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = (int64_t)(v * 1e6 + 0.5);
	return true;
}

const char *app_option_name(const struct option *options, int c)
{
	for (; options->name; options++)
		if (options->val == c)
			return options->name;
	return "an option";
}

void options_pipeline_init(struct pipeline_opts *o)
{
	o->ftp.ports[0] = FST_FTP_DEFAULT_PORT;
	o->ftp.port_count = 1;
	o->ftp.ftps_ports[0] = FST_FTP_DEFAULT_FTPS_PORT;
	o->ftp.ftps_port_count = 1;
	o->analysis.gap_threshold_us = FST_ANALYSIS_DEFAULT_GAP_US;
}

void options_pipeline_usage(FILE *out)
{
	fprintf(out,
		"  -i, --interface IFACE    capture live on IFACE; the remaining arguments\n"
		"                           are a BPF filter (default: tcp)\n"
		"  -s, --snaplen BYTES      live: bytes captured per packet (default %d)\n"
		"  -B, --buffer-size KIB    live: kernel capture buffer in KiB (default %d)\n"
		"  -p, --ftp-port PORT      also treat PORT as an FTP control port (repeatable;\n"
		"                           %d is always one)\n"
		"      --ftps-port PORT     also treat PORT as an implicit FTPS control port\n"
		"                           (TLS from the first byte; repeatable; %d is\n"
		"                           always one); a ClientHello as a client's first\n"
		"                           bytes on any control port is implicit FTPS too\n"
		"      --tls-keylog FILE    decrypt FTPS with the TLS secrets in FILE (the NSS\n"
		"                           key log SSLKEYLOGFILE writes); a pcapng file's\n"
		"                           Decryption Secrets Blocks are read without it\n"
		"      --no-autodetect      recognise control connections by port only, not\n"
		"                           by their FTP greeting\n"
		"  -g, --gap SECONDS        report idle gaps longer than this (default %g;\n"
		"                           the gap before a close is always reported)\n"
		"      --max-flows N        TCP flows tracked at once (default %d; past it\n"
		"                           the least recently active is evicted and counted)\n"
		"      --max-buffer MIB     out-of-order bytes held over all flows (default %d)\n"
		"      --max-line BYTES     longest FTP command or reply line (default %d)\n"
		"      --max-sessions N     ended sessions kept for the report (default %d;\n"
		"                           the oldest go first, counted in the statistics)\n",
		FST_CAPTURE_DEFAULT_SNAPLEN, FST_CAPTURE_DEFAULT_BUFFER_SIZE / 1024,
		FST_FTP_DEFAULT_PORT, FST_FTP_DEFAULT_FTPS_PORT,
		fst_seconds(FST_ANALYSIS_DEFAULT_GAP_US), FST_TCP_DEFAULT_MAX_FLOWS,
		FST_TCP_DEFAULT_MAX_OOO_TOTAL >> 20, FST_FTP_DEFAULT_MAX_LINE,
		FST_FTP_DEFAULT_MAX_SESSIONS);
}

void options_getopt_error(const char *subcommand, int c, char **argv)
{
	const char *option = argv[optind - 1];

	/* "--format foo" puts the value in its own argument. */
	if (c == 'V' && optind >= 2 && option == optarg)
		option = argv[optind - 2];
	if (c == ':')
		fprintf(stderr, "ftpstall %s: option '%s' needs a value", subcommand, option);
	else if (c == 'V')
		fprintf(stderr, "ftpstall %s: invalid value '%s' for %s", subcommand, optarg,
			option);
	else
		fprintf(stderr, "ftpstall %s: unknown option '%s'", subcommand, option);
	fprintf(stderr, " (see 'ftpstall help %s')\n", subcommand);
}

static bool parse_gap(const char *arg, int64_t *out)
{
	char *end;
	double secs = strtod(arg, &end);

	if (end == arg || *end || !(secs > 0) || secs > GAP_MAX_S)
		return false;
	*out = (int64_t)(secs * 1e6);
	return true;
}

/* Appends port to a port list of FST_FTP_MAX_PORTS (its first entry the
 * default one), for option --name. */
static int add_port(uint16_t *ports, size_t *count, long port, const char *name, const char *cmd)
{
	if (*count == FST_FTP_MAX_PORTS) {
		fprintf(stderr, "%s: at most %d --%s options\n", cmd, FST_FTP_MAX_PORTS - 1, name);
		return -1;
	}
	ports[(*count)++] = (uint16_t)port;
	return 1;
}

/* Stores a shared option's value: 1 stored, 0 a bad value, -1 refused
 * (message printed). */
static int store_option(struct pipeline_opts *o, int c, const char *arg, const char *cmd)
{
	long v;

	switch (c) {
	case 's':
		if (!parse_long(arg, 1, SNAPLEN_MAX, &v))
			return 0;
		o->snaplen = (int)v;
		return 1;
	case 'B':
		if (!parse_long(arg, 1, BUFFER_KIB_MAX, &v))
			return 0;
		o->buffer_kib = (int)v;
		return 1;
	case 'p':
		return parse_long(arg, 1, 65535, &v) ?
			       add_port(o->ftp.ports, &o->ftp.port_count, v, "ftp-port", cmd) :
			       0;
	case 'T':
		return parse_long(arg, 1, 65535, &v) ?
			       add_port(o->ftp.ftps_ports, &o->ftp.ftps_port_count, v, "ftps-port",
					cmd) :
			       0;
	case 'g':
		return parse_gap(arg, &o->analysis.gap_threshold_us) ? 1 : 0;
	case 'F':
		if (!parse_long(arg, MAX_FLOWS_MIN, MAX_FLOWS_MAX, &v))
			return 0;
		o->tcp.max_flows = (size_t)v;
		return 1;
	case 'M':
		if (!parse_long(arg, 1, MAX_BUFFER_MIB_MAX, &v))
			return 0;
		o->tcp.max_ooo_bytes_total = (size_t)v << 20;
		return 1;
	case 'L':
		if (!parse_long(arg, MAX_LINE_MIN, MAX_LINE_MAX, &v))
			return 0;
		o->ftp.max_line = (size_t)v;
		return 1;
	case 'K':
		if (!parse_long(arg, 1, MAX_SESSIONS_MAX, &v))
			return 0;
		o->ftp.max_sessions = (size_t)v;
		return 1;
	default:
		return 0;
	}
}

int options_pipeline(struct pipeline_opts *o, int c, const char *arg, const char *cmd)
{
	static const struct option shared[] = { OPTIONS_PIPELINE_LONG, { NULL, 0, NULL, 0 } };
	const char *sub = strchr(cmd, ' ') ? strchr(cmd, ' ') + 1 : cmd;
	int rc;

	switch (c) {
	case 'i':
		o->interface = arg;
		return 1;
	case 'A':
		o->ftp.no_autodetect = true;
		return 1;
	case 'X':
		o->tls_keylog_path = arg;
		return 1;
	case 's':
	case 'B':
	case 'p':
	case 'T':
	case 'g':
	case 'F':
	case 'M':
	case 'L':
	case 'K':
		rc = store_option(o, c, arg, cmd);
		if (rc != 0)
			return rc;
		fprintf(stderr, "%s: invalid value '%s' for --%s (see 'ftpstall help %s')\n", cmd,
			arg, app_option_name(shared, c), sub);
		return -1;
	default:
		return 0;
	}
}

int options_metrics(struct fst_metrics_cfg *cfg, int c, const char *arg, const char *cmd)
{
	char errbuf[FST_ERRBUF_SIZE];
	long value;

	switch (c) {
	case OPTIONS_METRICS:
		if (!fst_metrics_listen_valid(arg, errbuf)) {
			fprintf(stderr, "%s: --metrics %s\n", cmd, errbuf);
			return -1;
		}
		cfg->listen = arg;
		return 1;
	case OPTIONS_METRICS_MAX_SERVERS:
		if (!parse_long(arg, 1, FST_METRICS_MAX_SERVERS_LIMIT, &value)) {
			fprintf(stderr,
				"%s: invalid value '%s' for --metrics-max-servers (1 to %d)\n", cmd,
				arg, FST_METRICS_MAX_SERVERS_LIMIT);
			return -1;
		}
		cfg->max_servers = (size_t)value;
		return 1;
	default:
		return 0;
	}
}

void options_metrics_usage(FILE *out, bool live)
{
	fprintf(out,
		"      --metrics [ADDR:]PORT  %sserve Prometheus metrics on GET /metrics\n"
		"                           (ADDR default 127.0.0.1; see docs/fleet.md)\n"
		"      --metrics-max-servers N  servers with series of their own (default\n"
		"                           %d); the others count as server=\"other\"\n",
		live ? "live: " : "", FST_METRICS_DEFAULT_MAX_SERVERS);
}
