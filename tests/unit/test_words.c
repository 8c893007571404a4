/* Unit tests for src/report/words.c: the summary and the advice of every
 * verdict, built from hand-made results (no packets), so each sentence
 * is checked against the facts it must say. The expected texts are the
 * report's wording (docs/verdicts.md, docs/report-format.md). Server
 * quirks come from the profile's fields, never from its name: a made-up
 * server with the same fields gets the same advice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "ftpstall/report.h"

#define SEC FST_US_PER_SEC

static char words[FST_WORDS_MAX];

/* An IPv4 or IPv6 address from its text. */
static struct fst_addr addr_of(const char *text)
{
	struct fst_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.bytes) == 1) {
		a.family = 4;
		return a;
	}
	assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
	a.family = 6;
	return a;
}

/* A result with one gap of len_s seconds on channel, waiting on wait,
 * made decisive; the session is not needed by the words. */
struct fixture {
	struct fst_session_result r;
	struct fst_gap gap;
};

static void with_gap(struct fixture *f, enum fst_channel channel, double len_s, enum fst_wait wait)
{
	f->gap = (struct fst_gap){
		.channel = channel,
		.transfer_id = channel == FST_CHANNEL_DATA ? 1 : 0,
		.start_us = 10 * SEC,
		.end_us = 10 * SEC + (int64_t)(len_s * 1e6),
		.waiting_on = wait,
		.before_close = true,
	};
	f->r.gaps = &f->gap;
	f->r.gap_count = 1;
	f->r.decisive_gap_index = 0;
}

static void init(struct fixture *f, enum fst_verdict verdict, enum fst_close_by by)
{
	memset(f, 0, sizeof(*f));
	f->r.verdict = verdict;
	f->r.verdict_state = FST_VERDICT_FINAL;
	f->r.decisive_gap_index = FST_NO_GAP;
	f->r.stated_timeout_s = -1;
	f->r.close.by = by;
	f->r.close.reply_text = "";
}

/* text is borrowed: a string literal of the test. */
static void with_reply(struct fixture *f, int code, const char *text)
{
	f->r.close.reply_code = code;
	f->r.close.reply_text = text;
}

#define assert_contains_text(text, needle)                                            \
	do {                                                                          \
		if (!strstr((text), (needle)))                                        \
			fail_msg("\"%s\" does not mention \"%s\"", (text), (needle)); \
	} while (0)

static const char *summary(const struct fixture *f)
{
	size_t len = fst_words_summary(&f->r, words, sizeof(words));

	assert_int_equal(len, strlen(words));
	return words;
}

static const char *advice(const struct fixture *f)
{
	size_t len = fst_words_recommendation(&f->r, words, sizeof(words));

	assert_int_equal(len, strlen(words));
	return words;
}

static void test_idle_timeout_vsftpd(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "Timeout.");
	with_gap(&f, FST_CHANNEL_CONTROL, 5.0, FST_WAIT_CLIENT);
	f.r.close.after_idle_s = 5.0;
	f.r.close.client_wrote_after_close = true;
	f.r.close.reset_after_write = true;
	f.r.profile = fst_server_profile_find("vsftpd", NULL);
	assert_string_equal(
		summary(&f),
		"The client was idle for 5.0 s; the server sent \"421 Timeout.\" and closed the connection (FIN); the client then wrote into the closed connection and was reset.");
	assert_string_equal(
		advice(&f),
		"Raise vsftpd's idle_session_timeout (default 300 s; this server closed after about 5 s) above the client's longest pause, make the client send NOOP while idle, or let the client reconnect and resume after a 421 (REST/APPE).");

	/* The write without a reset, and no write at all. */
	f.r.close.reset_after_write = false;
	assert_string_equal(
		summary(&f),
		"The client was idle for 5.0 s; the server sent \"421 Timeout.\" and closed the connection (FIN); the client then wrote into the closed connection.");
	f.r.close.client_wrote_after_close = false;
	assert_string_equal(
		summary(&f),
		"The client was idle for 5.0 s; the server sent \"421 Timeout.\" and closed the connection (FIN).");
}

/* The client read the 421 and closed first; no reply and a reset. */
static void test_idle_timeout_close_variants(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_CLIENT);
	with_reply(&f, 421, "Timeout.");
	f.r.close.after_idle_s = 3.04;
	assert_string_equal(
		summary(&f),
		"The client was idle for 3.0 s; the server sent \"421 Timeout.\" and the client closed the connection (FIN).");
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.rst = true;
	f.r.close.after_idle_s = 600.0;
	assert_string_equal(
		summary(&f),
		"The client was idle for 600.0 s; the server gave no reason and closed the connection (reset).");
}

/* No known server: generic advice, with a NOOP period of half the idle
 * (at least 1 s). */
static void test_idle_timeout_unknown_server(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.after_idle_s = 90.0;
	assert_string_equal(
		advice(&f),
		"Raise the server's idle timeout (it closed after about 90 s) above the client's longest pause, make the client send NOOP every 45 s while idle, or let it reconnect and resume after a 421.");
	f.r.close.after_idle_s = 3.0;
	assert_string_equal(
		advice(&f),
		"Raise the server's idle timeout (it closed after about 3 s) above the client's longest pause, make the client send NOOP every 1 s while idle, or let it reconnect and resume after a 421.");
}

/* Pure-FTPd counts NOOP-only sessions as idle: no NOOP advice. */
static void test_idle_timeout_pure_ftpd(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.after_idle_s = 900.0;
	f.r.profile = fst_server_profile_find("Pure-FTPd", NULL);
	assert_non_null(f.r.profile);
	assert_false(f.r.profile->noop_resets_idle);
	assert_string_equal(
		advice(&f),
		"Raise Pure-FTPd's -I (MaxIdleTime, minutes) (default 900 s; this server closed after about 900 s) above the client's longest pause, or let the client reconnect and resume after a 421 (REST/APPE). Pure-FTPd also times out sessions that send only NOOP, so NOOP keepalives do not help against it; reconnect and resume instead.");
}

static void test_idle_timeout_proftpd(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.after_idle_s = 600.0;
	f.r.profile = fst_server_profile_find("ProFTPD", NULL);
	assert_string_equal(
		advice(&f),
		"Raise ProFTPD's TimeoutIdle (default 600 s; this server closed after about 600 s) above the client's longest pause, make the client send NOOP while idle, or let the client reconnect and resume after a 421 (REST/APPE). TimeoutIdle does not run during a transfer; TimeoutNoTransfer (default 300 s) closes sessions that send commands but start no transfer.");
}

/* The client wrote only keepalives up to the close: the summary says
 * it was not idle, and how long it sent only those. */
static void test_idle_timeout_keepalives_summary(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "No transfer timeout (3 seconds): closing control connection");
	f.r.close.after_idle_s = 0.4;
	f.r.close.keepalives = 3;
	f.r.close.busy_to_close = true;
	f.r.close.keepalives_since_us = 10 * SEC;
	f.r.close.reply_ts_us = 13 * SEC + 400000;
	assert_string_equal(
		summary(&f),
		"The client was not idle: for 3.4 s since its last other command it sent only keepalives (3 NOOP, PWD or the like) and transferred nothing; the server sent \"421 No transfer timeout (3 seconds): closing control connection\" and closed the connection (FIN).");
}

/* timer no_transfer: NOOP does not reset it; the knob from the profile. */
static void test_no_transfer_timer(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "No transfer timeout (3 seconds): closing control connection");
	f.r.timer = FST_TIMER_NO_TRANSFER;
	f.r.close.keepalives = 3;
	f.r.close.busy_to_close = true;
	f.r.close.keepalives_since_us = 10 * SEC;
	f.r.close.reply_ts_us = 13 * SEC;
	f.r.profile = fst_server_profile_find("ProFTPD", NULL);
	assert_string_equal(
		advice(&f),
		"The server's no-transfer timer fired (ProFTPD's TimeoutNoTransfer, default 300 s), 3 s after the client's last command other than a keepalive. NOOP keepalives do not reset this timer; transfer something or raise TimeoutNoTransfer.");
	f.r.profile = NULL;
	assert_string_equal(
		advice(&f),
		"The server's no-transfer timer fired, 3 s after the client's last command other than a keepalive. NOOP keepalives do not reset this timer; transfer something or raise the server's no-transfer timeout.");
}

/* timer login: the login knob of the profile. */
static void test_login_timer(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.timer = FST_TIMER_LOGIN;
	f.r.profile = fst_server_profile_find("Microsoft FTP Service (IIS)", NULL);
	assert_string_equal(
		advice(&f),
		"The server's login timer fired before the client logged in (Microsoft FTP Service (IIS)'s unauthenticatedTimeout, default 30 s): make the client send USER and PASS right after the banner, or raise unauthenticatedTimeout.");
}

/* A server whose NOOPs buy a limited time (a field, not a name): said
 * precisely when a session that sent only keepalives is closed; a quiet
 * client of the same server gets the plain idle advice. */
static void test_noop_limit_from_fields(void **state)
{
	const struct fst_server_profile made_up = {
		.software = "ExampleFTPd",
		.idle_knob = "IdleSeconds",
		.idle_default_s = 60,
		.data_knob = "DataSeconds",
		.data_default_s = 30,
		.noop_resets_idle = false,
		.noop_idle_factor = 3,
	};
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "Timeout (no operation for 180 seconds)");
	f.r.timer = FST_TIMER_IDLE;
	f.r.stated_timeout_s = 180;
	f.r.close.keepalives = 180;
	f.r.close.busy_to_close = true;
	f.r.close.keepalives_since_us = 9 * SEC;
	f.r.close.first_keepalive_us = 10 * SEC;
	f.r.close.reply_ts_us = 191 * SEC;
	f.r.profile = &made_up;
	assert_string_equal(
		advice(&f),
		"ExampleFTPd's NOOPs buy at most 3 times its idle time (IdleSeconds): from the first of an unbroken run of NOOP (or PWD, CWD, TYPE, MODE, SYST) it answers the first such command after 3 x the idle time with 421 and closes, however often they come; this session's first keepalive came 181 s before the 421 (the 421 states 180 s). Transfer something (LIST, RETR, STOR), or raise IdleSeconds, or let the client reconnect and resume after a 421 (REST/APPE).");
	f.r.close.busy_to_close = false;
	f.r.close.after_idle_s = 60.0;
	assert_string_equal(
		advice(&f),
		"Raise ExampleFTPd's IdleSeconds (default 60 s; this server closed after about 60 s) above the client's longest pause, or let the client reconnect and resume after a 421 (REST/APPE). ExampleFTPd also times out sessions that send only NOOP, so NOOP keepalives do not help against it; reconnect and resume instead.");
}

/* A knob with no default (Serv-U's idle time-out) says so. */
static void test_knob_off_by_default(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.after_idle_s = 600.0;
	f.r.timer = FST_TIMER_IDLE;
	f.r.profile = fst_server_profile_find("Serv-U", NULL);
	assert_non_null(f.r.profile);
	assert_contains_text(
		advice(&f),
		"Raise Serv-U's Idle time-out (Limits & Settings, Connection; minutes) (off by default; this server closed after about 600 s)");
}

/* The quirks follow the profile's fields, whatever the server's name. */
static void test_quirks_from_fields_not_names(void **state)
{
	const struct fst_server_profile made_up = {
		.software = "ExampleFTPd",
		.idle_knob = "IdleSeconds",
		.idle_default_s = 60,
		.data_knob = "DataSeconds",
		.data_default_s = 30,
		.noop_resets_idle = false,
		.idle_paused_by_transfer = true,
		.data_timer_per_period = true,
		.silent_stall_knob = "StallSeconds",
	};
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.after_idle_s = 60.0;
	f.r.profile = &made_up;
	assert_string_equal(
		advice(&f),
		"Raise ExampleFTPd's IdleSeconds (default 60 s; this server closed after about 60 s) above the client's longest pause, or let the client reconnect and resume after a 421 (REST/APPE). ExampleFTPd also times out sessions that send only NOOP, so NOOP keepalives do not help against it; reconnect and resume instead. IdleSeconds does not run during a transfer.");
	f.r.verdict = FST_VERDICT_DATA_TIMEOUT;
	assert_string_equal(
		advice(&f),
		"Find why the data sender stopped; if pauses are expected, raise ExampleFTPd's DataSeconds (default 30 s). ExampleFTPd checks DataSeconds once per period, so it fires between one and two periods after the last byte. StallSeconds closes a stalled transfer without a 421.");
}

static void test_data_timeout(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_DATA_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "Data timeout. Reconnect. Sorry.");
	with_gap(&f, FST_CHANNEL_DATA, 6.0, FST_WAIT_CLIENT);
	f.r.profile = fst_server_profile_find("vsftpd", NULL);
	assert_string_equal(
		summary(&f),
		"A data transfer stalled for 6.0 s (waiting on client); the server sent \"421 Data timeout. Reconnect. Sorry.\" and closed the control connection (FIN).");
	assert_string_equal(
		advice(&f),
		"Find why the data sender stopped; if pauses are expected, raise vsftpd's data_connection_timeout (default 300 s). vsftpd checks data_connection_timeout once per period, so it fires between one and two periods after the last byte.");

	f.r.profile = fst_server_profile_find("ProFTPD", NULL);
	assert_string_equal(
		advice(&f),
		"Find why the data sender stopped; if pauses are expected, raise ProFTPD's TimeoutStalled (closes without a 421) / TimeoutNoTransfer (default 3600 s). TimeoutStalled closes a stalled transfer without a 421.");

	/* No decisive gap and no reply: the words say so, not a number. */
	init(&f, FST_VERDICT_DATA_TIMEOUT, FST_CLOSE_BY_SERVER);
	f.r.close.rst = true;
	assert_string_equal(
		summary(&f),
		"A data transfer stalled for 0.0 s (waiting on unknown); the server gave no reason and closed the control connection (reset).");
	assert_string_equal(
		advice(&f),
		"Find why the data sender stopped; if pauses are expected, raise the server's data connection timeout.");
}

static void test_server_unresponsive(void **state)
{
	static const struct {
		enum fst_close_by by;
		const char *ending;
	} cases[] = {
		{ FST_CLOSE_BY_CLIENT, "client gave up and closed the connection" },
		{ FST_CLOSE_BY_SERVER, "server then closed the connection without answering" },
		{ FST_CLOSE_BY_NONE, "capture ended before anything else happened" },
	};
	struct fixture f;
	char want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		init(&f, FST_VERDICT_SERVER_UNRESPONSIVE, cases[i].by);
		with_gap(&f, FST_CHANNEL_CONTROL, 4.003, FST_WAIT_SERVER);
		snprintf(want, sizeof(want),
			 "The server owed a reply and stayed silent for 4.0 s; the %s.",
			 cases[i].ending);
		assert_string_equal(summary(&f), want);
		assert_string_equal(
			advice(&f),
			"Check the server: its logs, load and storage at that time; the client did nothing wrong.");
	}
}

static void test_middlebox_reset(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_MIDDLEBOX_RESET, FST_CLOSE_BY_MIDDLEBOX);
	f.r.close.rst = true;
	f.r.close.rst_ttl_mismatch = true;
	f.r.close.rst_ttl = 64;
	f.r.close.peer_ttl = 52;
	f.r.close.after_idle_s = 30.0;
	assert_string_equal(
		summary(&f),
		"A reset with TTL 64 (the sender's packets had TTL 52) closed the connection after 30.0 s of idle: probably sent by a firewall or NAT on the path.");
	/* The firewall reset the client's first write after the idle: the
	 * idle is the gap before that write, not the instant after it. */
	f.r.close.after_idle_s = 0.0;
	with_gap(&f, FST_CHANNEL_CONTROL, 5.0, FST_WAIT_CLIENT);
	assert_string_equal(
		summary(&f),
		"A reset with TTL 64 (the sender's packets had TTL 52) closed the connection after 5.0 s of idle: probably sent by a firewall or NAT on the path.");
	assert_string_equal(
		advice(&f),
		"Raise the idle timeout of the firewall/NAT between client and server for FTP control connections, or have the client send NOOP (or TCP keepalives) on the control connection during long transfers.");

	init(&f, FST_VERDICT_MIDDLEBOX_RESET, FST_CLOSE_BY_SERVER);
	f.r.close.rst = true;
	with_gap(&f, FST_CHANNEL_CONTROL, 3600.0, FST_WAIT_NONE);
	assert_string_equal(
		summary(&f),
		"The control connection was silent for 3600.0 s during a transfer and was then reset: the classic NAT/firewall idle timeout on the control connection.");
}

static void test_middlebox_drop(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_MIDDLEBOX_DROP, FST_CLOSE_BY_MIDDLEBOX);
	f.r.path_idle_s = 300.0;
	f.r.path.evidence = FST_PATH_WRITE_UNACKED;
	f.r.path.writer = FST_SIDE_CLIENT;
	f.r.path.retransmissions = 5;
	snprintf(f.r.path.command, sizeof(f.r.path.command), "NOOP");
	assert_string_equal(
		summary(&f),
		"The client's NOOP after 300.0 s of idle was retransmitted 5 times and never ACKed: the path stopped delivering the connection, as a NAT or firewall does once it has forgotten an idle connection. A server that went down would look the same from here; a capture at the server settles it (the NOOP never reaching it).");
	assert_string_equal(
		advice(&f),
		"The path failed after 300.0 s of idle: keep the control connection busy during long transfers and pauses with TCP keepalives (SO_KEEPALIVE, TCP_KEEPIDLE well below the NAT/firewall idle timeout) or NOOP, or raise the idle timeout of the NAT/firewall between client and server.");

	f.r.path.writer = FST_SIDE_SERVER;
	f.r.path.reply_code = 226;
	f.r.path.retransmissions = 6;
	f.r.path.data_acked = true;
	f.r.path.data_sender = FST_SIDE_SERVER;
	assert_string_equal(
		summary(&f),
		"The server's 226 reply after 300.0 s of idle on the control connection was retransmitted 6 times and never ACKed, while the client ACKed the data connection to its end: the path stopped delivering the control connection, as a NAT or firewall does once it has forgotten an idle connection. A capture at the client settles it (the reply never reaching it).");

	f.r.path.evidence = FST_PATH_REPLY_MISSING;
	f.r.path.data_bytes = 196608;
	f.r.path.client_gave_up = true;
	f.r.path.data_end_us = 10 * SEC;
	f.r.path.gave_up_us = 16 * SEC;
	f.r.path_idle_s = 4.4;
	assert_string_equal(
		summary(&f),
		"The data connection ended with all 196608 bytes ACKed, but the final reply never came: the control connection had been idle for 4.4 s through the transfer, and a NAT or firewall that forgot it in that time drops the reply; the client gave up 6.0 s after the data ended. A server that never sent the reply would look the same from here; a capture at the server settles it (the reply sent there and retransmitted).");
}

static void test_client_abort(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_CLIENT_ABORT, FST_CLOSE_BY_CLIENT);
	f.r.close.rst = true;
	f.r.close.mid_transfer = true;
	assert_string_equal(summary(&f),
			    "The client reset the connection without QUIT during a transfer.");
	assert_string_equal(advice(&f), "Check the client's log for why it gave up.");
	f.r.close.rst = false;
	f.r.close.mid_transfer = false;
	assert_string_equal(summary(&f),
			    "The client closed the connection without QUIT while a reply was due.");
}

/* A refused login: the refusal quoted, its delay said when it was held
 * back, the server's knob or built-in pause named from the profile's
 * fields, and its limit of refusals only when it closed on its own. */
static void test_login_failed(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_LOGIN_FAILED, FST_CLOSE_BY_CLIENT);
	f.r.login.failures = 1;
	f.r.login.failed_verb = FST_VERB_PASS;
	f.r.login.failed_code = 530;
	f.r.login.failed_reply_text = "Login incorrect.";
	f.r.login.failed_command_us = 10 * SEC;
	f.r.login.failed_reply_us = 14 * SEC + 800000;
	f.r.login.failed_delayed = true;
	f.r.profile = fst_server_profile_find("vsftpd", NULL);
	assert_string_equal(
		summary(&f),
		"The server refused the login with \"530 Login incorrect.\" to PASS, 4.8 s after it (a delay servers make on purpose before a refusal); the client then closed the connection (FIN).");
	assert_string_equal(
		advice(&f),
		"Check the account's credentials: the user name and password the client sends, and whether the account is locked, expired or refused by the server's user list. The wait before the refusal is not a stall: vsftpd holds back every failed-login reply on purpose (delay_failed_login, default 1 s; PAM may add its own).");

	/* Pure-FTPd: built in, growing; it ended the session itself. */
	f.r.close.by = FST_CLOSE_BY_SERVER;
	f.r.login.failures = 2;
	f.r.profile = fst_server_profile_find("Pure-FTPd", NULL);
	assert_string_equal(
		summary(&f),
		"The server refused the login with \"530 Login incorrect.\" to PASS, 4.8 s after it (a delay servers make on purpose before a refusal) (2 refused attempts); the server then closed the connection (FIN).");
	assert_non_null(strstr(
		advice(&f),
		"Pure-FTPd holds back every failed-login reply on purpose (built in, up to 3 s, longer after each failure; checking the password may add its own)."));
	assert_non_null(strstr(advice(&f), "Pure-FTPd ends a session after 5 refused logins."));

	/* At once, after QUIT, no server known, no text kept. */
	f.r.close.quit_seen = true;
	f.r.login.failures = 1;
	f.r.login.failed_delayed = false;
	f.r.login.failed_reply_text = "";
	f.r.profile = NULL;
	assert_string_equal(
		summary(&f),
		"The server refused the login with 530 to PASS; the client then sent QUIT.");
	assert_null(strstr(advice(&f), "not a stall"));
	assert_null(strstr(advice(&f), "ends a session"));
}

/* Nothing to change: an empty sentence, length 0. */
static void test_clean_incomplete_unknown(void **state)
{
	struct fixture f;

	(void)state;
	init(&f, FST_VERDICT_CLEAN, FST_CLOSE_BY_CLIENT);
	f.r.close.quit_seen = true;
	assert_string_equal(summary(&f), "The session ended in order (QUIT).");
	snprintf(words, sizeof(words), "stale");
	assert_int_equal(fst_words_recommendation(&f.r, words, sizeof(words)), 0);
	assert_string_equal(words, "");
	f.r.close.quit_seen = false;
	assert_string_equal(summary(&f), "The session ended in order.");

	init(&f, FST_VERDICT_INCOMPLETE, FST_CLOSE_BY_NONE);
	assert_string_equal(summary(&f), "The capture ended while the session was still open.");
	assert_string_equal(advice(&f), "");

	init(&f, FST_VERDICT_UNKNOWN, FST_CLOSE_BY_SERVER);
	with_gap(&f, FST_CHANNEL_CONTROL, 2.0, FST_WAIT_CAPTURE);
	assert_string_equal(
		summary(&f),
		"The capture lost bytes of this session during its decisive 2.0 s gap, so no side can be blamed.");
	assert_string_equal(advice(&f), "");
}

/* Cut to fit like snprintf: the needed length comes back, the buffer
 * holds a terminated prefix, and size 0 writes nothing. */
static void test_cut_to_fit(void **state)
{
	struct fixture f;
	char full[FST_WORDS_MAX], small[16];
	size_t need;

	(void)state;
	init(&f, FST_VERDICT_IDLE_TIMEOUT, FST_CLOSE_BY_SERVER);
	with_reply(&f, 421, "Timeout.");
	f.r.close.after_idle_s = 5.0;
	f.r.profile = fst_server_profile_find("ProFTPD", NULL);
	need = fst_words_recommendation(&f.r, full, sizeof(full));
	assert_true(need > sizeof(small));
	memset(small, 'x', sizeof(small));
	assert_int_equal(fst_words_recommendation(&f.r, small, sizeof(small)), need);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, full, sizeof(small) - 1);
	assert_int_equal(fst_words_summary(&f.r, NULL, 0), strlen(summary(&f)));
}

/* A transfer whose data connection never opened, in a made-up session
 * of one RETR (the words read the transfer and its command). */
struct connect_fixture {
	struct fixture f;
	struct fst_ftp_session s;
	struct fst_ftp_transfer t;
	struct fst_ftp_command_rec cmd;
	struct fst_ftp_reply_rec reply;
};

static void init_connect(struct connect_fixture *c, enum fst_transfer_mode mode,
			 enum fst_data_connect connect, const char *listener, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	init(&c->f, FST_VERDICT_DATA_CONNECTION_FAILED, FST_CLOSE_BY_CLIENT);
	c->f.r.session = &c->s;
	c->f.r.connect_failed_transfer = 1;
	c->s.client_addr = addr_of("192.0.2.10");
	c->s.server_addr = addr_of("198.51.100.20");
	c->s.transfers = &c->t;
	c->s.transfer_count = 1;
	c->s.commands = &c->cmd;
	c->s.command_count = 1;
	c->s.replies = &c->reply;
	c->s.reply_count = 1;
	c->t.id = 1;
	c->t.verb = FST_VERB_RETR;
	c->t.file = "big.iso";
	c->t.mode = mode;
	c->t.command_ts_us = 100 * SEC;
	c->t.outcome = FST_OUTCOME_FAILED;
	c->t.reply_code = 425;
	c->t.data_announced = true;
	c->t.data_connect = connect;
	c->t.data_seen = connect != FST_CONNECT_NONE;
	c->t.data_server_addr = addr_of(listener);
	c->t.data_server_port = port;
	c->cmd.ts_us = 100 * SEC;
	c->cmd.cmd.verb = FST_VERB_RETR;
	c->cmd.reply_code = 425;
	c->cmd.reply_ts_us = 103 * SEC;
	c->cmd.reply_index = 0;
	c->reply.code = 425;
	c->reply.text = "Failed to establish connection.";
}

static void test_data_connection_failed(void **state)
{
	struct connect_fixture c;

	(void)state;
	init_connect(&c, FST_MODE_PASSIVE, FST_CONNECT_UNANSWERED, "198.51.100.20", 30001);
	assert_string_equal(
		summary(&c.f),
		"The data connection for RETR big.iso never opened: the client's SYNs to 198.51.100.20:30001 went unanswered; the server answered RETR with \"425 Failed to establish connection.\" after 3.0 s.");
	assert_string_equal(
		advice(&c.f),
		"Open the server's passive port range in every firewall between client and server, or give the NAT in front of the server an FTP helper.");
	c.f.r.profile = fst_server_profile_find("vsftpd", NULL);
	assert_non_null(strstr(advice(&c.f), "(vsftpd's pasv_min_port/pasv_max_port)"));

	/* Refused, and announced at an address that is not the server's. */
	init_connect(&c, FST_MODE_PASSIVE, FST_CONNECT_REFUSED, "10.99.99.99", 30002);
	assert_non_null(strstr(summary(&c.f), "the client's SYN to 10.99.99.99:30002 was refused "
					      "with a reset; the server answered RETR"));
	assert_non_null(strstr(summary(&c.f), " The server announced 10.99.99.99:30002, not its "
					      "control address 198.51.100.20: a NAT"));
	c.f.r.profile = fst_server_profile_find("ProFTPD", NULL);
	assert_non_null(strstr(advice(&c.f), "(ProFTPD's MasqueradeAddress)"));
	assert_non_null(strstr(advice(&c.f), "open the server's passive port range (ProFTPD's "
					     "PassivePorts)"));

	/* Only the 425: no attempt in the capture. */
	init_connect(&c, FST_MODE_PASSIVE, FST_CONNECT_NONE, "0.0.0.0", 0);
	assert_string_equal(
		summary(&c.f),
		"The data connection for RETR big.iso never opened: the server answered RETR with \"425 Failed to establish connection.\" after 3.0 s.");

	/* Active mode: the server connects back; passive mode is the cure. */
	init_connect(&c, FST_MODE_ACTIVE, FST_CONNECT_UNANSWERED, "192.0.2.10", 40100);
	assert_non_null(strstr(summary(&c.f), "the server's SYNs to 192.0.2.10:40100 went "
					      "unanswered"));
	assert_null(strstr(summary(&c.f), "NAT"));
	assert_non_null(strstr(advice(&c.f), "Use passive mode"));
	init_connect(&c, FST_MODE_ACTIVE, FST_CONNECT_UNANSWERED, "10.0.0.7", 40100);
	assert_non_null(strstr(summary(&c.f), "The client announced 10.0.0.7:40100, not the "
					      "address its control connection comes from "
					      "(192.0.2.10): it is behind NAT."));
}

/* The longest reply text, every verdict, every known server and none:
 * each sentence fits FST_WORDS_MAX, as report.h promises. */
static void test_longest_fits(void **state)
{
	static const char *const servers[] = {
		NULL,	     "vsftpd",		 "ProFTPD",
		"Pure-FTPd", "FileZilla Server", "Microsoft FTP Service (IIS)",
	};
	struct fixture f;
	char text[FST_FTP_TEXT_MAX + 1];

	(void)state;
	memset(text, 'W', FST_FTP_TEXT_MAX);
	text[FST_FTP_TEXT_MAX] = '\0';
	for (int v = 0; v < FST_VERDICT_COUNT; v++)
		for (size_t s = 0; s < sizeof(servers) / sizeof(servers[0]); s++) {
			init(&f, (enum fst_verdict)v, FST_CLOSE_BY_CLIENT);
			with_reply(&f, 421, text);
			with_gap(&f, FST_CHANNEL_DATA, 1e6, FST_WAIT_RECEIVER);
			f.r.close.after_idle_s = 1e6;
			f.r.close.rst_ttl_mismatch = true;
			f.r.close.rst_ttl = f.r.close.peer_ttl = 255;
			f.r.close.client_wrote_after_close = f.r.close.reset_after_write = true;
			f.r.profile = servers[s] ? fst_server_profile_find(servers[s], NULL) : NULL;
			assert_true(!servers[s] || f.r.profile);
			assert_true(fst_words_summary(&f.r, NULL, 0) < FST_WORDS_MAX);
			assert_true(fst_words_recommendation(&f.r, NULL, 0) < FST_WORDS_MAX);
		}
}

/* What a summary says about the close, read back from its words. */
static bool says(const char *text, const char *const *phrases)
{
	for (; *phrases; phrases++)
		if (strstr(text, *phrases))
			return true;
	return false;
}

static const char *const client_closed[] = {
	"the client closed",
	"The client closed",
	"The client reset",
	"client gave up and closed",
	NULL,
};
static const char *const server_closed[] = {
	"the server closed",
	"the server then closed",
	"and closed the connection",
	"and closed the control connection",
	NULL,
};
static const char *const no_reply[] = { "gave no reason", "without answering", NULL };

/* Whether the verdict rules can give verdict v with a close by by. */
static bool reachable(enum fst_verdict v, enum fst_close_by by)
{
	switch (v) {
	case FST_VERDICT_INCOMPLETE:
		return by == FST_CLOSE_BY_NONE;
	case FST_VERDICT_MIDDLEBOX_RESET:
	case FST_VERDICT_MIDDLEBOX_DROP:
		return by == FST_CLOSE_BY_MIDDLEBOX;
	case FST_VERDICT_CLIENT_ABORT:
		return by == FST_CLOSE_BY_CLIENT;
	case FST_VERDICT_IDLE_TIMEOUT:
	case FST_VERDICT_DATA_TIMEOUT:
	case FST_VERDICT_CLEAN:
	case FST_VERDICT_LOGIN_FAILED:
	case FST_VERDICT_DATA_CONNECTION_FAILED:
		return by == FST_CLOSE_BY_CLIENT || by == FST_CLOSE_BY_SERVER;
	case FST_VERDICT_SERVER_UNRESPONSIVE:
	case FST_VERDICT_UNKNOWN:
	case FST_VERDICT_COUNT:
		break;
	}
	return by != FST_CLOSE_BY_MIDDLEBOX;
}

/* The summary never contradicts the close line: every verdict, with
 * every closer, with and without a 421, with a FIN and with a reset.
 * "the server sent 421" needs close.reply_code 421; "the client closed"
 * needs close.by client; "the server closed" needs close.by server. */
static void test_summary_agrees_with_close(void **state)
{
	static const enum fst_close_by bys[] = { FST_CLOSE_BY_NONE, FST_CLOSE_BY_CLIENT,
						 FST_CLOSE_BY_SERVER, FST_CLOSE_BY_MIDDLEBOX };
	static const int codes[] = { 0, 421, 221, 530 };
	struct fixture f;

	(void)state;
	for (int v = 0; v < FST_VERDICT_COUNT; v++)
		for (size_t b = 0; b < sizeof(bys) / sizeof(bys[0]); b++)
			for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
				for (int rst = 0; rst < 2; rst++)
					for (int mid = 0; mid < 2; mid++) {
						const char *text;

						if (!reachable((enum fst_verdict)v, bys[b]))
							continue;
						init(&f, (enum fst_verdict)v, bys[b]);
						with_gap(&f, FST_CHANNEL_DATA, 31.0,
							 FST_WAIT_CLIENT);
						if (codes[k])
							with_reply(&f, codes[k], "Timeout.");
						f.r.close.rst = rst;
						f.r.close.mid_transfer = mid;
						f.r.close.after_idle_s = 5.0;
						text = summary(&f);
						if (strstr(text, "\"421 "))
							assert_int_equal(f.r.close.reply_code, 421);
						if (says(text, no_reply))
							assert_int_equal(f.r.close.reply_code, 0);
						if (says(text, client_closed))
							assert_int_equal(f.r.close.by,
									 FST_CLOSE_BY_CLIENT);
						else if (says(text, server_closed))
							assert_int_equal(f.r.close.by,
									 FST_CLOSE_BY_SERVER);
						if (f.r.close.reply_code == 421 &&
						    fst_verdict_is_incident(f.r.verdict) &&
						    f.r.verdict != FST_VERDICT_MIDDLEBOX_RESET &&
						    f.r.verdict != FST_VERDICT_MIDDLEBOX_DROP &&
						    f.r.verdict != FST_VERDICT_CLIENT_ABORT &&
						    f.r.verdict != FST_VERDICT_UNKNOWN &&
						    f.r.close.by != FST_CLOSE_BY_NONE)
							assert_non_null(strstr(text, "421"));
					}
}

/* data_connection_failed at its longest: the longest file name and
 * reply text, IPv6 addresses, the NAT sentence. */
static void test_longest_connect_failed_fits(void **state)
{
	static char file[FST_FTP_ARG_MAX + 1], text[FST_FTP_TEXT_MAX + 1];
	struct connect_fixture c;

	(void)state;
	memset(file, 'F', FST_FTP_ARG_MAX);
	memset(text, 'W', FST_FTP_TEXT_MAX);
	init_connect(&c, FST_MODE_PASSIVE, FST_CONNECT_REFUSED,
		     "2001:db8:ffff:ffff:ffff:ffff:ffff:fff1", 65535);
	c.s.server_addr = addr_of("2001:db8:ffff:ffff:ffff:ffff:ffff:fff2");
	c.t.file = file;
	c.reply.text = text;
	c.cmd.reply_ts_us = c.cmd.ts_us + INT64_C(99999) * SEC;
	c.f.r.profile = fst_server_profile_find("Microsoft FTP Service (IIS)", NULL);
	with_reply(&c.f, 421, text);
	c.f.r.close.reply_text_truncated = true;
	c.f.r.close.rst = true;
	assert_true(fst_words_summary(&c.f.r, NULL, 0) < FST_WORDS_MAX);
	assert_true(fst_words_recommendation(&c.f.r, NULL, 0) < FST_WORDS_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_timeout_vsftpd),
		cmocka_unit_test(test_idle_timeout_close_variants),
		cmocka_unit_test(test_idle_timeout_unknown_server),
		cmocka_unit_test(test_idle_timeout_pure_ftpd),
		cmocka_unit_test(test_idle_timeout_proftpd),
		cmocka_unit_test(test_quirks_from_fields_not_names),
		cmocka_unit_test(test_idle_timeout_keepalives_summary),
		cmocka_unit_test(test_no_transfer_timer),
		cmocka_unit_test(test_login_timer),
		cmocka_unit_test(test_noop_limit_from_fields),
		cmocka_unit_test(test_knob_off_by_default),
		cmocka_unit_test(test_data_timeout),
		cmocka_unit_test(test_server_unresponsive),
		cmocka_unit_test(test_middlebox_reset),
		cmocka_unit_test(test_middlebox_drop),
		cmocka_unit_test(test_client_abort),
		cmocka_unit_test(test_login_failed),
		cmocka_unit_test(test_clean_incomplete_unknown),
		cmocka_unit_test(test_cut_to_fit),
		cmocka_unit_test(test_data_connection_failed),
		cmocka_unit_test(test_longest_fits),
		cmocka_unit_test(test_summary_agrees_with_close),
		cmocka_unit_test(test_longest_connect_failed_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
