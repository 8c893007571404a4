/* FTP command and reply lines, and the data-port argument forms. All
 * input is network text: every number is range-checked, nothing is
 * trusted to be terminated or printable. */
#include "ftpstall/ftp_proto.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct fst_ftp_verb_info verbs[] = {
	[FST_VERB_UNKNOWN] = { "", FST_FTP_FAMILY_UNKNOWN, FST_DATA_NONE },
	[FST_VERB_USER] = { "USER", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
	[FST_VERB_PASS] = { "PASS", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
	[FST_VERB_ACCT] = { "ACCT", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
	[FST_VERB_REIN] = { "REIN", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
	[FST_VERB_QUIT] = { "QUIT", FST_FTP_FAMILY_ACCESS, FST_DATA_NONE },
	[FST_VERB_TYPE] = { "TYPE", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
	[FST_VERB_MODE] = { "MODE", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
	[FST_VERB_STRU] = { "STRU", FST_FTP_FAMILY_PARAMETER, FST_DATA_NONE },
	[FST_VERB_PORT] = { "PORT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
	[FST_VERB_PASV] = { "PASV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
	[FST_VERB_EPRT] = { "EPRT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
	[FST_VERB_EPSV] = { "EPSV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
	[FST_VERB_LPRT] = { "LPRT", FST_FTP_FAMILY_PARAMETER, FST_DATA_ACTIVE },
	[FST_VERB_LPSV] = { "LPSV", FST_FTP_FAMILY_PARAMETER, FST_DATA_PASSIVE },
	[FST_VERB_STOR] = { "STOR", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
	[FST_VERB_STOU] = { "STOU", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
	[FST_VERB_APPE] = { "APPE", FST_FTP_FAMILY_SERVICE, FST_DATA_UPLOAD },
	[FST_VERB_RETR] = { "RETR", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
	[FST_VERB_REST] = { "REST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_ABOR] = { "ABOR", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_LIST] = { "LIST", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
	[FST_VERB_NLST] = { "NLST", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
	[FST_VERB_MLSD] = { "MLSD", FST_FTP_FAMILY_SERVICE, FST_DATA_DOWNLOAD },
	[FST_VERB_MLST] = { "MLST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_SIZE] = { "SIZE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_MDTM] = { "MDTM", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_DELE] = { "DELE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_RNFR] = { "RNFR", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_RNTO] = { "RNTO", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_MKD] = { "MKD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_RMD] = { "RMD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_CWD] = { "CWD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_CDUP] = { "CDUP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_PWD] = { "PWD", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_SITE] = { "SITE", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_NOOP] = { "NOOP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_SYST] = { "SYST", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_STAT] = { "STAT", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_FEAT] = { "FEAT", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_OPTS] = { "OPTS", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_HELP] = { "HELP", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_ALLO] = { "ALLO", FST_FTP_FAMILY_SERVICE, FST_DATA_NONE },
	[FST_VERB_AUTH] = { "AUTH", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
	[FST_VERB_PBSZ] = { "PBSZ", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
	[FST_VERB_PROT] = { "PROT", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
	[FST_VERB_CCC] = { "CCC", FST_FTP_FAMILY_SECURITY, FST_DATA_NONE },
};
_Static_assert(sizeof(verbs) / sizeof(verbs[0]) == FST_VERB_COUNT, "a row for every verb");

/* RFC 775 experimental verbs that some clients still send. */
static const struct {
	const char *name;
	enum fst_ftp_verb verb;
} verb_aliases[] = {
	{ "XPWD", FST_VERB_PWD }, { "XCWD", FST_VERB_CWD }, { "XCUP", FST_VERB_CDUP },
	{ "XMKD", FST_VERB_MKD }, { "XRMD", FST_VERB_RMD },
};

static const char *const family_names[] = {
	[FST_FTP_FAMILY_ACCESS] = "access",   [FST_FTP_FAMILY_PARAMETER] = "transfer_parameter",
	[FST_FTP_FAMILY_SERVICE] = "service", [FST_FTP_FAMILY_SECURITY] = "security",
	[FST_FTP_FAMILY_UNKNOWN] = "unknown",
};
_Static_assert(sizeof(family_names) / sizeof(family_names[0]) == FST_FTP_FAMILY_COUNT,
	       "a name for every family");

const struct fst_ftp_verb_info *fst_ftp_verb_info(enum fst_ftp_verb verb)
{
	return &verbs[(unsigned)verb < FST_VERB_COUNT ? verb : FST_VERB_UNKNOWN];
}

const char *fst_ftp_family_name(enum fst_ftp_family family)
{
	return (unsigned)family < FST_FTP_FAMILY_COUNT ? family_names[family] : "?";
}

static bool same_word(const char *name, const char *text, size_t len)
{
	return strlen(name) == len && strncasecmp(name, text, len) == 0;
}

enum fst_ftp_verb fst_ftp_verb_lookup(const char *text, size_t len)
{
	for (int v = 1; v < FST_VERB_COUNT; v++)
		if (same_word(verbs[v].name, text, len))
			return (enum fst_ftp_verb)v;
	for (size_t i = 0; i < sizeof(verb_aliases) / sizeof(verb_aliases[0]); i++)
		if (same_word(verb_aliases[i].name, text, len))
			return verb_aliases[i].verb;
	return FST_VERB_UNKNOWN;
}

/* Whether src[i] starts a C1 control in UTF-8: U+0080..U+009F, C2 80
 * to C2 9F. A terminal in UTF-8 (xterm) obeys U+009B as CSI, so these
 * are controls as much as ESC is. */
static bool utf8_c1_at(const char *src, size_t n, size_t i)
{
	return (unsigned char)src[i] == 0xc2 && i + 1 < n && (unsigned char)src[i + 1] >= 0x80 &&
	       (unsigned char)src[i + 1] <= 0x9f;
}

bool fst_ftp_copy_text(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (utf8_c1_at(src, n, i)) {
			dst[i] = '.';
			dst[++i] = '.';
			continue;
		}
		dst[i] = (c < 0x20 || c == 0x7f) ? '.' : (char)c;
	}
	dst[n] = '\0';
	return n < len;
}

bool fst_ftp_parse_command(const char *line, size_t len, struct fst_ftp_command *out)
{
	size_t verb_len = 0, arg_start;

	while (verb_len < len && isalpha((unsigned char)line[verb_len]))
		verb_len++;
	if (verb_len == 0 || verb_len > FST_FTP_VERB_TEXT_MAX)
		return false;
	if (verb_len < len && line[verb_len] != ' ')
		return false;
	for (size_t i = 0; i < verb_len; i++)
		out->verb_text[i] = (char)toupper((unsigned char)line[i]);
	out->verb_text[verb_len] = '\0';
	out->verb = fst_ftp_verb_lookup(line, verb_len);

	arg_start = verb_len < len ? verb_len + 1 : len;
	/* The password is never copied, not even into a local buffer. */
	if (out->verb == FST_VERB_PASS) {
		snprintf(out->arg, sizeof(out->arg), "%s", FST_FTP_REDACTED);
		out->arg_truncated = false;
		return true;
	}
	out->arg_truncated =
		fst_ftp_copy_text(out->arg, sizeof(out->arg), line + arg_start, len - arg_start);
	return true;
}

static bool reply_code(const char *line, size_t len, int *code)
{
	if (len < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    !isdigit((unsigned char)line[2]))
		return false;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return false;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	return true;
}

enum fst_ftp_reply_step fst_ftp_reply_feed(struct fst_ftp_reply_asm *a, const char *line,
					   size_t len)
{
	int code;
	bool has_code = reply_code(line, len, &code);
	size_t text_start = len > 4 ? 4 : len;

	if (!a->open) {
		if (!has_code)
			return FST_REPLY_INVALID;
		a->code = code;
		a->lines = 1;
		a->text_truncated = fst_ftp_copy_text(a->text, sizeof(a->text), line + text_start,
						      len - text_start);
		if (len > 3 && line[3] == '-') {
			a->open = true;
			return FST_REPLY_MORE;
		}
		return FST_REPLY_DONE;
	}
	/* Inside a multi-line reply any line goes, until "code " ends it. */
	a->lines++;
	if (has_code && code == a->code && (len == 3 || line[3] == ' ')) {
		a->open = false;
		return FST_REPLY_DONE;
	}
	return FST_REPLY_MORE;
}

/* The units a banner may state its idle timeout in. */
static const struct {
	const char *word;
	long seconds;
} banner_units[] = {
	{ "second", 1 },
	{ "minute", 60 },
	{ "hour", 3600 },
};

/* Where needle (lowercase) starts in text[0..len), case-insensitively,
 * searching from from; len when absent. */
static size_t find_word(const char *text, size_t len, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i + n <= len; i++)
		if (strncasecmp(text + i, needle, n) == 0)
			return i;
	return len;
}

int fst_ftp_banner_idle_s(const char *line, size_t len)
{
	static const char lead[] = "disconnected after ";
	size_t i = find_word(line, len, 0, lead);
	long value = 0;
	int digits = 0;

	if (i == len)
		return -1;
	for (i += sizeof(lead) - 1; i < len && isdigit((unsigned char)line[i]); i++) {
		if (++digits > 7)
			return -1;
		value = value * 10 + (line[i] - '0');
	}
	if (!digits || value <= 0 || i >= len || line[i++] != ' ')
		return -1;
	for (size_t u = 0; u < sizeof(banner_units) / sizeof(banner_units[0]); u++) {
		size_t n = strlen(banner_units[u].word);

		if (i + n <= len && strncasecmp(line + i, banner_units[u].word, n) == 0 &&
		    find_word(line, len, i + n, "inactivity") < len &&
		    value <= 1000000000L / banner_units[u].seconds)
			return (int)(value * banner_units[u].seconds);
	}
	return -1;
}

/* Reads a run of exactly count decimal numbers (each <= 255) separated
 * by commas. The run must end there: a further comma or digit makes it
 * a different (longer) list. Returns the end of the run, or NULL. */
static const char *read_number_run(const char *text, unsigned *nums, size_t count)
{
	const char *p = text;

	for (size_t i = 0; i < count; i++) {
		unsigned value = 0;
		int digits = 0;

		if (i > 0) {
			if (*p != ',')
				return NULL;
			p++;
		}
		while (isdigit((unsigned char)*p)) {
			if (++digits > 3)
				return NULL;
			value = value * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (digits == 0 || value > 255)
			return NULL;
		nums[i] = value;
	}
	if (*p == ',' || isdigit((unsigned char)*p))
		return NULL;
	return p;
}

static void addr_v4(struct fst_addr *addr, const unsigned *n)
{
	memset(addr, 0, sizeof(*addr));
	addr->family = 4;
	for (int i = 0; i < 4; i++)
		addr->bytes[i] = (uint8_t)n[i];
}

/* h1,h2,h3,h4,p1,p2 into an address; port 0 is no data port. */
static bool six_numbers(const unsigned *n, struct fst_addr *addr, uint16_t *port)
{
	uint16_t value = (uint16_t)(n[4] << 8 | n[5]);

	if (value == 0)
		return false;
	addr_v4(addr, n);
	*port = value;
	return true;
}

bool fst_ftp_parse_port(const char *arg, struct fst_addr *addr, uint16_t *port)
{
	unsigned n[6];
	const char *end;

	while (*arg == ' ')
		arg++;
	end = read_number_run(arg, n, 6);
	if (!end)
		return false;
	while (*end == ' ')
		end++;
	return *end == '\0' && six_numbers(n, addr, port);
}

bool fst_ftp_parse_227(const char *text, struct fst_addr *addr, uint16_t *port)
{
	/* Take the first run of exactly six numbers, wherever it starts
	 * (some servers omit the parentheses). */
	for (const char *p = text; *p; p++) {
		unsigned n[6];

		if (!isdigit((unsigned char)*p) ||
		    (p > text && (isdigit((unsigned char)p[-1]) || p[-1] == ',')))
			continue;
		if (read_number_run(p, n, 6))
			return six_numbers(n, addr, port);
	}
	return false;
}

bool fst_ftp_parse_229(const char *text, uint16_t *port)
{
	const char *open = strchr(text, '(');
	unsigned long value = 0;
	char delim;
	const char *p;

	if (!open || !open[1])
		return false;
	delim = open[1];
	if (delim < 33 || delim > 126 || isdigit((unsigned char)delim))
		return false;
	p = open + 1;
	if (p[1] != delim || p[2] != delim)
		return false;
	p += 3;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p) && value <= 65535)
		value = value * 10 + (unsigned long)(*p++ - '0');
	if (*p != delim || value == 0 || value > 65535)
		return false;
	*port = (uint16_t)value;
	return true;
}

bool fst_ftp_parse_eprt(const char *arg, struct fst_addr *addr, uint16_t *port)
{
	char fields[3][64];
	const char *p;
	char delim;
	unsigned long value = 0;

	while (*arg == ' ')
		arg++;
	delim = arg[0];
	if (delim < 33 || delim > 126)
		return false;
	p = arg + 1;
	for (int f = 0; f < 3; f++) {
		const char *next = strchr(p, delim);
		size_t n;

		if (!next)
			return false;
		n = (size_t)(next - p);
		if (n == 0 || n >= sizeof(fields[f]))
			return false;
		memcpy(fields[f], p, n);
		fields[f][n] = '\0';
		p = next + 1;
	}
	for (const char *d = fields[2]; *d; d++) {
		if (!isdigit((unsigned char)*d) || value > 65535)
			return false;
		value = value * 10 + (unsigned long)(*d - '0');
	}
	if (value == 0 || value > 65535)
		return false;
	memset(addr, 0, sizeof(*addr));
	if (strcmp(fields[0], "1") == 0) {
		addr->family = 4;
		if (inet_pton(AF_INET, fields[1], addr->bytes) != 1)
			return false;
	} else if (strcmp(fields[0], "2") == 0) {
		addr->family = 6;
		if (inet_pton(AF_INET6, fields[1], addr->bytes) != 1)
			return false;
	} else {
		return false;
	}
	*port = (uint16_t)value;
	return true;
}

bool fst_ftp_parse_lprt(const char *text, struct fst_addr *addr, uint16_t *port)
{
	unsigned n[21];
	uint16_t value;

	/* Skip to the first digit: a 228 reply carries text before them. */
	while (*text && !isdigit((unsigned char)*text))
		text++;
	memset(addr, 0, sizeof(*addr));
	if (read_number_run(text, n, 9) && n[0] == 4 && n[1] == 4 && n[6] == 2) {
		addr_v4(addr, n + 2);
		value = (uint16_t)(n[7] << 8 | n[8]);
	} else if (read_number_run(text, n, 21) && n[0] == 6 && n[1] == 16 && n[18] == 2) {
		addr->family = 6;
		for (int i = 0; i < 16; i++)
			addr->bytes[i] = (uint8_t)n[2 + i];
		value = (uint16_t)(n[19] << 8 | n[20]);
	} else {
		return false;
	}
	if (value == 0)
		return false;
	*port = value;
	return true;
}
