/* What FTP servers do when a client goes quiet: their timeout knobs,
 * defaults, the 421 texts they send and their quirks. The report's
 * advice is made from these facts, not from generic advice. Sources:
 * each server's documentation, named in a comment on its row. */
#include "ftpstall/analysis.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct fst_server_profile profiles[] = {
	{
		.software = "vsftpd",
		.idle_knob = "idle_session_timeout",
		.idle_default_s = 300,
		.idle_reply = "Timeout.",
		.data_knob = "data_connection_timeout",
		.data_default_s = 300,
		.data_reply = "Data timeout. Reconnect. Sorry.",
		.noop_resets_idle = true,
		.data_timer_per_period = true,
		.login_delay_knob = "delay_failed_login",
		.login_delay_s = 1,
		.max_login_fails_knob = "max_login_fails",
		.max_login_fails = 3,
		.passive_ports_knob = "pasv_min_port/pasv_max_port",
		.passive_address_knob = "pasv_address",
	},
	/* http://www.proftpd.org/docs/directives/linked/config_ref_TimeoutIdle.html
	 * (and TimeoutNoTransfer, TimeoutLogin, TimeoutStalled); the 421
	 * texts are those of Debian's proftpd-core 1.3.8. */
	{
		.software = "ProFTPD",
		.idle_knob = "TimeoutIdle",
		.idle_default_s = 600,
		.idle_reply = "Idle timeout",
		.data_knob = "TimeoutStalled (closes without a 421) / TimeoutNoTransfer",
		.data_default_s = 3600,
		.data_reply = "No transfer timeout",
		.noop_resets_idle = true,
		.idle_paused_by_transfer = true,
		.no_transfer_knob = "TimeoutNoTransfer",
		.no_transfer_default_s = 300,
		.silent_stall_knob = "TimeoutStalled",
		.max_login_fails_knob = "MaxLoginAttempts",
		.max_login_fails = 3,
		.login_knob = "TimeoutLogin",
		.login_default_s = 300,
		.passive_ports_knob = "PassivePorts",
		.passive_address_knob = "MasqueradeAddress",
	},
	/* pure-ftpd(8), https://www.pureftpd.org/project/pure-ftpd/doc/
	 * (-I, MaxIdleTime, in minutes; SITE IDLE in seconds). A NOOP (or
	 * PWD, CWD, TYPE, MODE, SYST) is answered 421 "Timeout (no operation
	 * for N seconds)" once twice the idle time has passed since the
	 * first of an unbroken run of them. */
	{
		.software = "Pure-FTPd",
		.idle_knob = "-I (MaxIdleTime, minutes)",
		.idle_default_s = 900,
		.idle_reply = "Timeout - try typing a little faster next time",
		.data_knob = "-I (MaxIdleTime)",
		.data_default_s = 900,
		.data_reply = "Timeout (no new data for",
		/* It counts a session that sends only NOOP as idle. */
		.noop_resets_idle = false,
		/* Built in (PASSWD_FAILURE_DELAY, MAX_PASSWD_TRIES): a random
		 * pause of up to 3 s, 3 s more for each earlier failure of the
		 * session, and the session ends after 5 failures. */
		.login_delay_s = 3,
		.login_delay_grows = true,
		.max_login_fails = 5,
		.noop_idle_factor = 2,
		.passive_ports_knob = "-p (PassivePortRange)",
		.passive_address_knob = "-P (ForcePassiveIP)",
	},
	/* https://filezillapro.com/docs/server/advanced-options/how-to-set-timeout-with-filezilla-server-fpes
	 * (1.x: Login timeout, Activity timeout); 0.9.x: Settings, General,
	 * "Connections timeout", "No Transfer timeout", "Login timeout". */
	{
		.software = "FileZilla Server",
		.idle_knob = "No transfer timeout / Connection timeout",
		.idle_default_s = 120,
		.idle_reply = "Connection timed out",
		.data_knob = "Login / data timeout",
		.data_default_s = 60,
		.data_reply = "Data connection timed out",
		.noop_resets_idle = true,
		.login_knob = "Login timeout",
		.login_default_s = 60,
		.passive_ports_knob = "the passive mode port range",
		.passive_address_knob = "the passive mode external IP",
	},
	/* https://learn.microsoft.com/en-us/iis/configuration/system.applicationHost/sites/site/ftpServer/connections
	 * (<connections controlChannelTimeout="120" dataChannelTimeout="30"
	 * unauthenticatedTimeout="30">, seconds). */
	{
		.software = "Microsoft FTP Service (IIS)",
		.idle_knob = "controlChannelTimeout",
		.idle_default_s = 120,
		.idle_reply = "Timeout (120 seconds): closing control connection.",
		.data_knob = "dataChannelTimeout",
		.data_default_s = 30,
		.data_reply = NULL,
		.noop_resets_idle = true,
		.login_knob = "unauthenticatedTimeout",
		.login_default_s = 30,
		.passive_ports_knob = "<firewallSupport> lowDataChannelPort/highDataChannelPort",
		.passive_address_knob = "<firewallSupport> externalIp4Address",
	},
	/* https://documentation.solarwinds.com/en/success_center/servu/content/servu-domain-las-limits.htm
	 * (Limits & Settings, Connection: "Idle time-out" and "Session
	 * time-out", in minutes, off unless set; "Block anti-timeout
	 * schemes" stops NOOP from resetting the idle time-out). */
	{
		.software = "Serv-U",
		.idle_knob = "Idle time-out (Limits & Settings, Connection; minutes)",
		.idle_default_s = 0,
		.idle_reply = NULL,
		.data_knob = "Idle time-out (no separate data timeout documented)",
		.data_default_s = 0,
		.data_reply = NULL,
		.noop_resets_idle = true,
	},
	/* ftpaccess(5), "timeout idle" (default 900 s, a client's SITE IDLE
	 * up to "timeout maxidle", 7200 s), "timeout data" (1200 s); e.g.
	 * the HP-UX WU-FTPD 2.6.1 release notes, "Timeout Values". Its 421
	 * is BSD ftpd's "Timeout (900 seconds): closing control connection." */
	{
		.software = "wu-ftpd",
		.idle_knob = "timeout idle (ftpaccess)",
		.idle_default_s = 900,
		.idle_reply = "Timeout (900 seconds): closing control connection.",
		.data_knob = "timeout data (ftpaccess)",
		.data_default_s = 1200,
		.data_reply = NULL,
		.noop_resets_idle = true,
	},
};

const struct fst_server_profile *fst_server_profile_find(const char *software,
							 const char *reply_text)
{
	size_t n = sizeof(profiles) / sizeof(profiles[0]);

	if (software)
		for (size_t i = 0; i < n; i++)
			if (strcmp(profiles[i].software, software) == 0)
				return &profiles[i];
	if (reply_text && reply_text[0])
		for (size_t i = 0; i < n; i++) {
			const struct fst_server_profile *p = &profiles[i];

			if ((p->idle_reply &&
			     strncmp(reply_text, p->idle_reply, strlen(p->idle_reply)) == 0) ||
			    (p->data_reply &&
			     strncmp(reply_text, p->data_reply, strlen(p->data_reply)) == 0))
				return p;
		}
	return NULL;
}

int fst_stated_timeout_s(const char *text)
{
	/* "Idle timeout (600 seconds)", "Timeout (no new data for 300
	 * seconds)", "Timeout (120 seconds)": the number before "second". */
	const char *unit = strcasestr(text, "second");
	const char *p;
	long value = 0, scale = 1;

	if (!unit)
		return -1;
	p = unit;
	while (p > text && p[-1] == ' ')
		p--;
	if (p == text || !isdigit((unsigned char)p[-1]))
		return -1;
	while (p > text && isdigit((unsigned char)p[-1])) {
		if (scale > 1000000)
			return -1; /* more than 7 digits: no real timeout */
		p--;
		value += (p[0] - '0') * scale;
		scale *= 10;
	}
	return value > 0 ? (int)value : -1;
}

/* Words of closing replies that name a data timeout: vsftpd's "Data
 * timeout", ProFTPD's "No transfer timeout", a "stalled" transfer. */
static const char *const data_timeout_words[] = { "data", "no transfer", "stalled" };

bool fst_reply_names_data_timeout(const char *reply_text)
{
	for (size_t i = 0; i < sizeof(data_timeout_words) / sizeof(data_timeout_words[0]); i++)
		if (strcasestr(reply_text, data_timeout_words[i]))
			return true;
	return false;
}

/* Default idle timeouts of common NATs, firewalls and load balancers;
 * docs/verdicts.md ("Path bounds") cites where each comes from. */
static const struct fst_middlebox_default middlebox_defaults[] = {
	/* net.netfilter.nf_conntrack_tcp_timeout_established */
	{ "Linux conntrack (established)", 432000 },
	{ "Azure Load Balancer", 240 },
	{ "AWS NAT gateway", 350 },
};

size_t fst_middlebox_default_count(void)
{
	return sizeof(middlebox_defaults) / sizeof(middlebox_defaults[0]);
}

const struct fst_middlebox_default *fst_middlebox_default_at(size_t index)
{
	return index < fst_middlebox_default_count() ? &middlebox_defaults[index] : NULL;
}

/* The timer each server's closing reply names, by the start of its
 * text; first match wins, so the longer of two texts that start alike
 * comes first. */
static const struct {
	const char *text;
	enum fst_timer timer;
} timer_replies[] = {
	/* ProFTPD (mod_core, mod_xfer) */
	{ "Idle timeout", FST_TIMER_IDLE },		      /* TimeoutIdle */
	{ "No transfer timeout", FST_TIMER_NO_TRANSFER },     /* TimeoutNoTransfer */
	{ "Login timeout", FST_TIMER_LOGIN },		      /* TimeoutLogin */
	{ "Data transfer stall timeout", FST_TIMER_STALLED }, /* TimeoutStalled */
	/* Pure-FTPd */
	{ "Timeout (no operation for", FST_TIMER_IDLE },	    /* 2 x -I of NOOPs */
	{ "Timeout (no new data for", FST_TIMER_DATA },		    /* -I during a transfer */
	{ "Timeout - try typing a little faster", FST_TIMER_IDLE }, /* -I */
	/* vsftpd */
	{ "Data timeout", FST_TIMER_DATA }, /* data_connection_timeout */
	{ "Timeout.", FST_TIMER_IDLE },	    /* idle_session_timeout */
	/* FileZilla Server 0.9 */
	{ "No-transfer-time exceeded", FST_TIMER_NO_TRANSFER },
	{ "Login time exceeded", FST_TIMER_LOGIN },
	{ "Connection timed out", FST_TIMER_IDLE },
	/* BSD ftpd and its heirs (wu-ftpd, IIS): "Timeout (900 seconds):
	 * closing control connection." */
	{ "Timeout (", FST_TIMER_IDLE },
};

enum fst_timer fst_reply_timer(const char *reply_text)
{
	int first;

	if (!reply_text)
		return FST_TIMER_UNKNOWN;
	/* Most replies name no timer: their first letter already says so.
	 * Every text starts with an ASCII letter, which OR 0x20 folds to
	 * lower case; no other byte folds to a letter. */
	first = reply_text[0] | 0x20;
	for (size_t i = 0; i < sizeof(timer_replies) / sizeof(timer_replies[0]); i++)
		if ((timer_replies[i].text[0] | 0x20) == first &&
		    strncasecmp(reply_text, timer_replies[i].text, strlen(timer_replies[i].text)) ==
			    0)
			return timer_replies[i].timer;
	return FST_TIMER_UNKNOWN;
}
