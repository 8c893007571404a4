/* What FTP servers do when a client goes quiet: their timeout knobs,
 * defaults, the 421 texts they send and their quirks. The report's
 * advice is made from these facts, not from generic advice. Sources:
 * each server's documentation (vsftpd.conf(5), ProFTPD mod_core Timeout*
 * and MaxLoginAttempts directives, pure-ftpd(8) and its src/ftpd.h
 * (the failed-login pause is built in there), FileZilla Server settings, IIS
 * <ftpServer><connections>). */
#include "ftpstall/analysis.h"

#include <ctype.h>
#include <string.h>

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
	},
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
	},
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
	},
	{
		.software = "FileZilla Server",
		.idle_knob = "No transfer timeout / Connection timeout",
		.idle_default_s = 120,
		.idle_reply = "Connection timed out",
		.data_knob = "Login / data timeout",
		.data_default_s = 60,
		.data_reply = "Data connection timed out",
		.noop_resets_idle = true,
	},
	{
		.software = "Microsoft FTP Service (IIS)",
		.idle_knob = "controlChannelTimeout",
		.idle_default_s = 120,
		.idle_reply = "Timeout (120 seconds): closing control connection.",
		.data_knob = "dataChannelTimeout",
		.data_default_s = 30,
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
