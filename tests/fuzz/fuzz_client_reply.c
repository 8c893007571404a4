/* libFuzzer harness: the FTP client's reply reader and login against a
 * hostile server. The input (after one option byte) is everything the
 * "server" ever sends: it is written into one end of a socketpair, whose
 * sending side is then shut down, and the client reads from the other
 * end as its control connection: the greeting (1xx until 220), then
 * client_login (USER, PASS, FEAT, TYPE I, CWD), then a data connection
 * set-up (EPSV/PASV or EPRT/PORT), then replies until the stream ends.
 * Nothing waits on the network: the server's bytes are all there, and
 * its EOF ends every read.
 *
 * This drives the client's private API (src/client/internal.h): the
 * public client.h has no reply reader over a buffer or fd.
 *
 * The passive data connection goes to the control peer's address with
 * the announced port (never the 227's address); the peer here is
 * 255.255.255.255, which the kernel refuses at once, so no packet
 * leaves. Active mode listens on 127.0.0.1 and waits 1 ms.
 *
 *   option bit 0  active mode (EPRT/PORT) instead of passive
 *          bit 1  a CWD after login
 *          bit 2  a user name (else anonymous) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_support.h"
#include "internal.h"

enum {
	SERVER_MAX_BYTES = 65536
};

/* Every log line is for a terminal: no control bytes from the network. */
static void on_log(void *ctx, const char *line)
{
	static int verbose = -1;

	(void)ctx;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "client: %s\n", line);
	for (const char *p = line; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
			   "control byte 0x%02x in a client log line", (unsigned char)*p);
}

static void check_reply(const struct client_reply *r)
{
	FUZZ_CHECK(r->code >= 100 && r->code <= 559, "reply code %d", r->code);
	FUZZ_CHECK(r->lines >= 1 && r->lines <= FST_CLIENT_REPLY_LINES_MAX, "reply of %u lines",
		   r->lines);
	FUZZ_CHECK(memchr(r->text, '\0', sizeof(r->text)), "reply text not terminated");
	FUZZ_CHECK(memchr(r->last, '\0', sizeof(r->last)), "last line not terminated");
}

static void check_failure(const struct client_conn *c, int rc, const char *errbuf)
{
	FUZZ_CHECK(rc < 0, "failure code %d", rc);
	FUZZ_CHECK(c->fail != CF_NONE, "a failure (%d) without a reason", rc);
	FUZZ_CHECK((unsigned)c->fail < CF_COUNT, "fail %d", (int)c->fail);
	FUZZ_CHECK(memchr(c->fail_text, '\0', sizeof(c->fail_text)), "fail_text not terminated");
	FUZZ_CHECK(memchr(errbuf, '\0', FST_ERRBUF_SIZE), "errbuf not terminated");
}

/* Writes all of data to fd (the socketpair holds far more than
 * SERVER_MAX_BYTES), then ends the server's side. */
static void serve(int fd, const uint8_t *data, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL);

		FUZZ_CHECK(n > 0, "socketpair send");
		done += (size_t)n;
	}
	FUZZ_CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown");
}

static void set_addresses(struct client_conn *c)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(21) };
	struct sockaddr_in local = { .sin_family = AF_INET };

	peer.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&c->peer, &peer, sizeof(peer));
	c->peer_len = sizeof(peer);
	memcpy(&c->local, &local, sizeof(local));
	c->local_len = sizeof(local);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fst_client_cfg cfg = {
		.host = "192.0.2.1",
		.port = 21,
		.password = "hunter2",
		.connect_timeout_us = 1000,
		.timeout_us = 100000,
		.on_log = on_log,
	};
	char errbuf[FST_ERRBUF_SIZE] = "";
	struct client_conn *c;
	struct client_reply r;
	struct client_data d = { .fd = -1, .listen_fd = -1 };
	int sv[2], rc, bufsize = 4 * SERVER_MAX_BYTES;
	uint8_t opt;

	if (size < 1 || size > SERVER_MAX_BYTES)
		return 0;
	opt = data[0];
	cfg.data_mode = (opt & 1) ? FST_CLIENT_ACTIVE : FST_CLIENT_PASSIVE;
	cfg.dir = (opt & 2) ? "incoming/today" : NULL;
	cfg.user = (opt & 4) ? "alice" : NULL;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	/* Buffers big enough that serve() never blocks. */
	FUZZ_CHECK(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)) == 0,
		   "SO_SNDBUF");
	FUZZ_CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) == 0,
		   "SO_RCVBUF");
	FUZZ_CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	serve(sv[1], data + 1, size - 1);

	c = malloc(sizeof(*c));
	FUZZ_CHECK(c, "malloc");
	client_conn_init(c, &cfg);
	c->fd = sv[0];
	set_addresses(c);

	/* The greeting, as client_connect reads it. */
	do {
		rc = client_reply(c, client_mono_us() + cfg.timeout_us, &r, NULL, NULL, errbuf);
		if (rc != FST_OK)
			goto out_failed;
		check_reply(&r);
	} while (r.code / 100 == 1);
	rc = client_login(c, errbuf);
	if (rc != FST_OK)
		goto out_failed;
	FUZZ_CHECK(c->fd == sv[0], "login changed the connection");
	rc = client_data_open(c, &d, errbuf);
	if (rc == FST_OK) {
		rc = client_data_accept(c, &d, errbuf);
		client_data_close(&d);
	}
	if (rc != FST_OK)
		check_failure(c, rc, errbuf);
	/* Whatever the server still sent: reply after reply until EOF. */
	while (client_conn_open(c)) {
		rc = client_reply(c, client_mono_us() + cfg.timeout_us, &r, NULL, NULL, errbuf);
		if (rc != FST_OK)
			goto out_failed;
		check_reply(&r);
	}
	goto out_close;

out_failed:
	check_failure(c, rc, errbuf);
out_close:
	/* The client closes its end itself when login fails. */
	if (c->fd >= 0)
		client_conn_close(c);
	free(c);
	close(sv[1]);
	return 0;
}
