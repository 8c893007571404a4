/* Prometheus metrics of a live capture (see include/ftpstall/metrics.h).
 *
 * Two copies of the numbers: the model, which only the analysis thread
 * touches (on_update and publish), and the snapshot, which publish
 * overwrites and the HTTP thread reads, both under the mutex. Series are
 * a fixed table made at start, max_servers named ones and "other", so
 * neither copy grows and a publish is one bounded memcpy. */
#include "ftpstall/metrics.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* libmicrohttpd is opened with dlopen when --metrics asks for it, not
 * linked: linked, it and the TLS libraries it pulls in (GnuTLS, nettle,
 * gmp, ...) cost every run of ftpstall several million instructions of
 * relocations at startup, three times the work of analysing a small
 * capture. Its header still gives the types. */
#define MHD_LIBRARY "libmicrohttpd.so.12"

struct mhd_api {
	void *handle;
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
					  unsigned int status_code, struct MHD_Response *response);
	void (*destroy_response)(struct MHD_Response *response);
};

/* The symbols to look up, and where each goes. */
static const struct {
	const char *name;
	size_t offset;
} mhd_symbols[] = {
	{ "MHD_start_daemon", offsetof(struct mhd_api, start_daemon) },
	{ "MHD_stop_daemon", offsetof(struct mhd_api, stop_daemon) },
	{ "MHD_create_response_from_buffer",
	  offsetof(struct mhd_api, create_response_from_buffer) },
	{ "MHD_add_response_header", offsetof(struct mhd_api, add_response_header) },
	{ "MHD_queue_response", offsetof(struct mhd_api, queue_response) },
	{ "MHD_destroy_response", offsetof(struct mhd_api, destroy_response) },
};

/* Opens the library into api; false with errbuf filled. */
static bool mhd_open(struct mhd_api *api, const char *listen, char *errbuf)
{
	memset(api, 0, sizeof(*api));
	api->handle = dlopen(MHD_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!api->handle) {
		fst_errbuf_set(errbuf, "%s: cannot load %s (Debian package libmicrohttpd12): %s",
			       listen, MHD_LIBRARY, dlerror());
		return false;
	}
	for (size_t i = 0; i < sizeof(mhd_symbols) / sizeof(mhd_symbols[0]); i++) {
		void *sym = dlsym(api->handle, mhd_symbols[i].name);

		if (!sym) {
			fst_errbuf_set(errbuf, "%s: %s has no %s", listen, MHD_LIBRARY,
				       mhd_symbols[i].name);
			dlclose(api->handle);
			api->handle = NULL;
			return false;
		}
		/* POSIX: a function pointer and a data pointer convert. */
		memcpy((char *)api + mhd_symbols[i].offset, &sym, sizeof(sym));
	}
	return true;
}

/* Upper bounds of the idle-before-close histogram, in seconds: the
 * timeouts servers and middleboxes ship with fall between them. */
static const double idle_bounds_s[] = { 1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600 };
#define IDLE_BUCKETS (sizeof(idle_bounds_s) / sizeof(idle_bounds_s[0]))

/* HTTP connections served at once, and how long an idle one may stay:
 * a scraper needs one, a few spare for curl. */
#define HTTP_CONNECTION_LIMIT	  16
#define HTTP_CONNECTION_TIMEOUT_S 10

#define OTHER_LABEL "other"

/* The series of one server, or of all past the cap ("other"). */
struct series {
	struct fst_addr addr;
	uint16_t port;
	char label[64]; /* "ADDR:PORT" or "other" */
	uint64_t sessions[FST_VERDICT_COUNT];
	uint64_t incidents[FST_VERDICT_COUNT][FST_TIMER_COUNT];
	uint64_t open;
	uint64_t idle_buckets[IDLE_BUCKETS + 1]; /* per bucket; the last is +Inf */
	uint64_t idle_count;
	double idle_sum_s;
	double timeout_s; /* the estimate, or -1 */
};

struct model {
	struct series *series; /* max_servers named, then "other" */
	size_t named;	       /* named series in use */
	bool other_used;
	uint64_t packets, drops;
	uint64_t bytes[2];	 /* index enum fst_tcp_dir */
	uint64_t ended_bytes[2]; /* of sessions already final */
};

struct fst_metrics {
	size_t max_servers;
	struct model model;	     /* analysis thread only */
	struct fst_id_marks counted; /* the sessions already counted */
	pthread_mutex_t lock;	     /* guards snap */
	struct model snap;
	struct mhd_api mhd;
	struct MHD_Daemon *daemon;
};

/* ---- the listening address ------------------------------------------- */

/* Parses listen into *ss; false with errbuf filled when it is no
 * ADDR:PORT. */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, char *errbuf)
{
	char addr[INET6_ADDRSTRLEN + 2];
	const char *port_text, *colon;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	size_t addr_len;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		colon = strstr(listen, "]:");
		if (!colon)
			goto bad;
		addr_len = (size_t)(colon - listen - 1);
		if (addr_len >= sizeof(addr))
			goto bad;
		memcpy(addr, listen + 1, addr_len);
		port_text = colon + 2;
	} else {
		colon = strrchr(listen, ':');
		if (colon && strchr(listen, ':') != colon) {
			fst_errbuf_set(errbuf, "%s: an IPv6 address goes in brackets ([::1]:PORT)",
				       listen);
			return false;
		}
		addr_len = colon ? (size_t)(colon - listen) : 0;
		if (addr_len >= sizeof(addr))
			goto bad;
		memcpy(addr, listen, addr_len);
		port_text = colon ? colon + 1 : listen;
	}
	addr[addr_len] = '\0';
	if (!addr[0])
		snprintf(addr, sizeof(addr), "%s", FST_METRICS_DEFAULT_ADDR);
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (!port_text[0] || *end || errno || port < 1 || port > 65535) {
		fst_errbuf_set(errbuf, "%s: the port must be a number from 1 to 65535", listen);
		return false;
	}
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return true;
	}
	fst_errbuf_set(errbuf, "%s: '%s' is no numeric IPv4 or IPv6 address", listen, addr);
	return false;

bad:
	fst_errbuf_set(errbuf, "%s: expected ADDR:PORT, [IPV6]:PORT or PORT", listen);
	return false;
}

bool fst_metrics_listen_valid(const char *listen, char *errbuf)
{
	struct sockaddr_storage ss;

	return parse_listen(listen, &ss, errbuf);
}

/* Binds a socket to ss once, to tell the user why the server cannot
 * (libmicrohttpd only fails). */
static bool can_bind(const struct sockaddr_storage *ss, const char *listen, char *errbuf)
{
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						   sizeof(struct sockaddr_in6);
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0) {
		fst_errbuf_set(errbuf, "%s: %s", listen, strerror(errno));
		return false;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (const struct sockaddr *)ss, len) == 0;
	if (!ok)
		fst_errbuf_set(errbuf, "%s: cannot listen there: %s", listen, strerror(errno));
	close(fd);
	return ok;
}

/* ---- the model (analysis thread) -------------------------------------- */

static struct series *series_of(struct fst_metrics *m, const struct fst_addr *addr, uint16_t port)
{
	struct model *mo = &m->model;
	struct series *s;

	for (size_t i = 0; i < mo->named; i++)
		if (mo->series[i].port == port && fst_addr_equal(&mo->series[i].addr, addr))
			return &mo->series[i];
	if (mo->named == m->max_servers) {
		mo->other_used = true;
		return &mo->series[m->max_servers];
	}
	s = &mo->series[mo->named++];
	s->addr = *addr;
	s->port = port;
	fst_endpoint_format(addr, port, s->label, sizeof(s->label));
	return s;
}

/* The session's bytes so far, control and data, by direction. */
static void session_bytes(const struct fst_ftp_session *s, uint64_t bytes[2])
{
	struct fst_ftp_conn_counts n;

	fst_ftp_control_counts(s, &n);
	bytes[FST_DIR_CLIENT] += n.bytes[FST_DIR_CLIENT];
	bytes[FST_DIR_SERVER] += n.bytes[FST_DIR_SERVER];
	for (size_t i = 0; i < s->transfer_count; i++)
		bytes[s->transfers[i].sender == FST_SIDE_CLIENT ? FST_DIR_CLIENT : FST_DIR_SERVER] +=
			s->transfers[i].bytes;
}

void fst_metrics_on_update(struct fst_metrics *m, const struct fst_session_result *r,
			   enum fst_analysis_update update)
{
	const struct fst_ftp_session *s = r->session;
	struct series *se;

	if (update != FST_UPDATE_VERDICT || r->verdict_state != FST_VERDICT_FINAL ||
	    /* Out of memory: uncounted rather than counted twice. */
	    fst_id_marks_add(&m->counted, s->id) != 1)
		return;
	se = series_of(m, &s->server_addr, s->server_port);
	se->sessions[r->verdict]++;
	if (fst_verdict_is_incident(r->verdict))
		se->incidents[r->verdict][r->timer]++;
	if (r->close.by != FST_CLOSE_BY_NONE) {
		size_t b = 0;

		while (b < IDLE_BUCKETS && r->close.after_idle_s > idle_bounds_s[b])
			b++;
		se->idle_buckets[b]++;
		se->idle_count++;
		se->idle_sum_s += r->close.after_idle_s;
	}
	session_bytes(s, m->model.ended_bytes);
}

static void copy_model(struct model *to, const struct model *from, size_t max_servers)
{
	struct series *series = to->series;

	*to = *from;
	to->series = series;
	memcpy(to->series, from->series, from->named * sizeof(*from->series));
	to->series[max_servers] = from->series[max_servers];
}

void fst_metrics_publish(struct fst_metrics *m, struct fst_analysis *an,
			 const struct fst_capture_stats *cap)
{
	struct model *mo = &m->model;
	uint64_t open_bytes[2] = { 0, 0 };

	for (size_t i = 0; i <= m->max_servers; i++)
		mo->series[i].open = 0;
	for (const struct fst_session_result *r = fst_analysis_results(an); r; r = r->next) {
		if (r->verdict_state == FST_VERDICT_FINAL &&
		    fst_id_marks_has(&m->counted, r->session->id))
			continue;
		series_of(m, &r->session->server_addr, r->session->server_port)->open++;
		session_bytes(r->session, open_bytes);
	}
	for (const struct fst_server_estimate *e = fst_analysis_servers(an); e; e = e->next) {
		struct series *se = series_of(m, &e->addr, e->port);

		if (se != &mo->series[m->max_servers])
			se->timeout_s =
				e->observations || e->stated_idle_s > 0 ? e->idle_timeout_s : -1;
	}
	mo->packets = cap->frames;
	mo->drops = cap->kernel_dropped + cap->interface_dropped;
	for (int d = 0; d < 2; d++)
		mo->bytes[d] = mo->ended_bytes[d] + open_bytes[d];
	pthread_mutex_lock(&m->lock);
	copy_model(&m->snap, mo, m->max_servers);
	pthread_mutex_unlock(&m->lock);
}

/* ---- the exposition (any thread) -------------------------------------- */

/* A label value: backslash, quote and newline escaped, as the format
 * asks. */
static void label(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Whether series i has been used: a named one, or "other" once the
 * named ones ran out. */
static bool in_use(const struct model *s, size_t i, size_t max_servers)
{
	return i < s->named || (i == max_servers && s->other_used);
}

static void write_sessions(FILE *f, const struct model *s, size_t max_servers)
{
	family(f, "ftpstall_sessions_total", "counter",
	       "FTP sessions whose verdict became final, by server and verdict.");
	for (size_t i = 0; i <= max_servers; i++) {
		const struct series *se = &s->series[i];

		if (!in_use(s, i, max_servers))
			continue;
		for (int v = 0; v < FST_VERDICT_COUNT; v++) {
			if (!se->sessions[v])
				continue;
			fputs("ftpstall_sessions_total{", f);
			label(f, "server", se->label);
			fputc(',', f);
			label(f, "verdict", fst_verdict_name((enum fst_verdict)v));
			fprintf(f, "} %llu\n", (unsigned long long)se->sessions[v]);
		}
	}
	family(f, "ftpstall_incidents_total", "counter",
	       "Sessions with an incident verdict, by server, verdict and the timer that fired.");
	for (size_t i = 0; i <= max_servers; i++) {
		const struct series *se = &s->series[i];

		if (!in_use(s, i, max_servers))
			continue;
		for (int v = 0; v < FST_VERDICT_COUNT; v++)
			for (int t = 0; t < FST_TIMER_COUNT; t++) {
				if (!se->incidents[v][t])
					continue;
				fputs("ftpstall_incidents_total{", f);
				label(f, "server", se->label);
				fputc(',', f);
				label(f, "verdict", fst_verdict_name((enum fst_verdict)v));
				fputc(',', f);
				label(f, "timer", fst_timer_name((enum fst_timer)t));
				fprintf(f, "} %llu\n", (unsigned long long)se->incidents[v][t]);
			}
	}
}

static void write_servers(FILE *f, const struct model *s, size_t max_servers)
{
	family(f, "ftpstall_sessions_open", "gauge", "FTP sessions running now, by server.");
	for (size_t i = 0; i <= max_servers; i++) {
		const struct series *se = &s->series[i];

		if (!in_use(s, i, max_servers))
			continue;
		fputs("ftpstall_sessions_open{", f);
		label(f, "server", se->label);
		fprintf(f, "} %llu\n", (unsigned long long)se->open);
	}
	family(f, "ftpstall_idle_before_close_seconds", "histogram",
	       "The idle that each closed session's close ended, by server.");
	for (size_t i = 0; i <= max_servers; i++) {
		const struct series *se = &s->series[i];
		uint64_t cumulative = 0;

		if (!in_use(s, i, max_servers))
			continue;
		if (!se->idle_count)
			continue;
		for (size_t b = 0; b <= IDLE_BUCKETS; b++) {
			cumulative += se->idle_buckets[b];
			fputs("ftpstall_idle_before_close_seconds_bucket{", f);
			label(f, "server", se->label);
			if (b < IDLE_BUCKETS)
				fprintf(f, ",le=\"%g\"} %llu\n", idle_bounds_s[b],
					(unsigned long long)cumulative);
			else
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
		}
		fputs("ftpstall_idle_before_close_seconds_sum{", f);
		label(f, "server", se->label);
		fprintf(f, "} %.6f\n", se->idle_sum_s);
		fputs("ftpstall_idle_before_close_seconds_count{", f);
		label(f, "server", se->label);
		fprintf(f, "} %llu\n", (unsigned long long)se->idle_count);
	}
	family(f, "ftpstall_server_idle_timeout_seconds", "gauge",
	       "The server's idle timeout as estimated from its sessions (or stated in its banner).");
	for (size_t i = 0; i < s->named; i++) {
		const struct series *se = &s->series[i];

		if (se->timeout_s < 0)
			continue;
		fputs("ftpstall_server_idle_timeout_seconds{", f);
		label(f, "server", se->label);
		fprintf(f, "} %.6f\n", se->timeout_s);
	}
}

char *fst_metrics_exposition(struct fst_metrics *m, size_t *len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	const struct model *s = &m->snap;

	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	write_sessions(f, s, m->max_servers);
	write_servers(f, s, m->max_servers);
	family(f, "ftpstall_packets_total", "counter", "Frames read from the capture.");
	fprintf(f, "ftpstall_packets_total %llu\n", (unsigned long long)s->packets);
	family(f, "ftpstall_capture_drops_total", "counter",
	       "Packets the kernel or the interface dropped before the capture got them.");
	fprintf(f, "ftpstall_capture_drops_total %llu\n", (unsigned long long)s->drops);
	family(f, "ftpstall_bytes_total", "counter",
	       "FTP payload bytes (control and data connections) by direction.");
	fprintf(f, "ftpstall_bytes_total{direction=\"client_to_server\"} %llu\n",
		(unsigned long long)s->bytes[FST_DIR_CLIENT]);
	fprintf(f, "ftpstall_bytes_total{direction=\"server_to_client\"} %llu\n",
		(unsigned long long)s->bytes[FST_DIR_SERVER]);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*len = size;
	return text;
}

/* ---- the HTTP server (libmicrohttpd's thread) -------------------------- */

static enum MHD_Result reply(const struct mhd_api *mhd, struct MHD_Connection *conn,
			     unsigned status, const char *text)
{
	struct MHD_Response *resp = mhd->create_response_from_buffer(strlen(text), (void *)text,
								     MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd->add_response_header(resp, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
	ret = mhd->queue_response(conn, status, resp);
	mhd->destroy_response(resp);
	return ret;
}

/* GET /metrics, and nothing else. */
static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	struct fst_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	/* A body sent along is read and ignored. */
	*upload_data_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply(&m->mhd, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET /metrics is served\n");
	if (strcmp(url, "/metrics") != 0)
		return reply(&m->mhd, conn, MHD_HTTP_NOT_FOUND, "only GET /metrics is served\n");
	body = fst_metrics_exposition(m, &len);
	if (!body)
		return reply(&m->mhd, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	resp = m->mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	m->mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				   "text/plain; version=0.0.4; charset=utf-8");
	ret = m->mhd.queue_response(conn, MHD_HTTP_OK, resp);
	m->mhd.destroy_response(resp);
	return ret;
}

/* ---- life cycle -------------------------------------------------------- */

static bool model_init(struct model *mo, size_t max_servers)
{
	memset(mo, 0, sizeof(*mo));
	mo->series = calloc(max_servers + 1, sizeof(*mo->series));
	if (!mo->series)
		return false;
	for (size_t i = 0; i <= max_servers; i++)
		mo->series[i].timeout_s = -1;
	snprintf(mo->series[max_servers].label, sizeof(mo->series[max_servers].label), "%s",
		 OTHER_LABEL);
	return true;
}

struct fst_metrics *fst_metrics_new(const struct fst_metrics_cfg *cfg, char *errbuf)
{
	struct fst_metrics *m;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (!parse_listen(cfg->listen, &ss, errbuf) || !can_bind(&ss, cfg->listen, errbuf))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		fst_errbuf_set(errbuf, "%s: out of memory", cfg->listen);
		return NULL;
	}
	m->max_servers = cfg->max_servers ? cfg->max_servers : FST_METRICS_DEFAULT_MAX_SERVERS;
	if (!model_init(&m->model, m->max_servers) || !model_init(&m->snap, m->max_servers)) {
		fst_errbuf_set(errbuf, "%s: out of memory", cfg->listen);
		goto out_free;
	}
	if (!mhd_open(&m->mhd, cfg->listen, errbuf))
		goto out_free;
	pthread_mutex_init(&m->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->daemon = m->mhd.start_daemon(flags, 0, NULL, NULL, serve, m, MHD_OPTION_SOCK_ADDR,
					(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
					(unsigned)HTTP_CONNECTION_LIMIT,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)HTTP_CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!m->daemon) {
		fst_errbuf_set(errbuf, "%s: the HTTP server did not start", cfg->listen);
		goto out_close_library;
	}
	return m;

out_close_library:
	pthread_mutex_destroy(&m->lock);
	dlclose(m->mhd.handle);
out_free:
	free(m->model.series);
	free(m->snap.series);
	free(m);
	return NULL;
}

void fst_metrics_free(struct fst_metrics *m)
{
	if (!m)
		return;
	m->mhd.stop_daemon(m->daemon);
	pthread_mutex_destroy(&m->lock);
	dlclose(m->mhd.handle);
	free(m->model.series);
	free(m->snap.series);
	fst_id_marks_free(&m->counted);
	free(m);
}
