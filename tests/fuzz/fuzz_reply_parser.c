/* libFuzzer harness: the pure FTP text parsers of ftp_proto.
 *
 * The input is split into lines at LF (a CR before it is dropped, as the
 * session's line reader does). Every line goes through the reply
 * assembler (one assembler across the whole input, so multi-line replies
 * can span many lines or never end) and the command parser; every line,
 * and the whole input as one string, goes through the data-port parsers
 * (227, 228/LPRT, 229, PORT, EPRT). What a parser accepts must survive
 * a round trip: the address and port it returned, written back in the
 * canonical form, parse to the same values. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ftpstall/ftp_proto.h"
#include "fuzz_support.h"

enum {
	MAX_TEXT = 4096
};

static bool addr_equal(const struct fst_addr *a, const struct fst_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static void check_reply(const struct fst_ftp_reply_asm *a, enum fst_ftp_reply_step step,
			const char *line, size_t len)
{
	FUZZ_CHECK(step == FST_REPLY_MORE || step == FST_REPLY_DONE || step == FST_REPLY_INVALID,
		   "reply step %d", (int)step);
	if (step == FST_REPLY_INVALID) {
		FUZZ_CHECK(!a->open, "INVALID inside an open multi-line reply");
		return;
	}
	FUZZ_CHECK(a->code >= 100 && a->code <= 559 && a->code / 10 % 10 <= 5,
		   "reply code %d accepted", a->code);
	FUZZ_CHECK(a->lines >= 1, "reply with %u lines", a->lines);
	FUZZ_CHECK(memchr(a->text, '\0', sizeof(a->text)), "reply text not terminated");
	for (const char *p = a->text; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in text",
			   (unsigned char)*p);
	if (step == FST_REPLY_DONE)
		FUZZ_CHECK(!a->open, "DONE while still open");
	/* A single-line reply's code is the line's first three digits. */
	if (step == FST_REPLY_DONE && a->lines == 1) {
		FUZZ_CHECK(len >= 3 && line[0] - '0' == a->code / 100 &&
				   line[1] - '0' == a->code / 10 % 10 &&
				   line[2] - '0' == a->code % 10,
			   "code %d is not the line's", a->code);
	}
}

static void check_command(const char *line, size_t len)
{
	struct fst_ftp_command cmd;

	memset(&cmd, 0xa5, sizeof(cmd));
	if (!fst_ftp_parse_command(line, len, &cmd))
		return;
	FUZZ_CHECK(memchr(cmd.verb_text, '\0', sizeof(cmd.verb_text)), "verb not terminated");
	FUZZ_CHECK(memchr(cmd.arg, '\0', sizeof(cmd.arg)), "argument not terminated");
	FUZZ_CHECK(cmd.verb_text[0] != '\0', "empty verb accepted");
	for (const char *p = cmd.verb_text; *p; p++)
		FUZZ_CHECK(isupper((unsigned char)*p), "verb byte 0x%02x", (unsigned char)*p);
	for (const char *p = cmd.arg; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in argument");
	FUZZ_CHECK((unsigned)cmd.verb < FST_VERB_COUNT, "verb %d", (int)cmd.verb);
	FUZZ_CHECK(cmd.verb == fst_ftp_verb_lookup(cmd.verb_text, strlen(cmd.verb_text)),
		   "verb lookup disagrees for '%s'", cmd.verb_text);
	if (cmd.verb == FST_VERB_PASS)
		FUZZ_CHECK(strcmp(cmd.arg, FST_FTP_REDACTED) == 0, "PASS argument kept");
	(void)fst_ftp_verb_info(cmd.verb);
	(void)fst_ftp_family_name(fst_ftp_verb_info(cmd.verb)->family);
}

static void format_v4_list(char *buf, size_t size, const struct fst_addr *a, uint16_t port)
{
	snprintf(buf, size, "%u,%u,%u,%u,%u,%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3],
		 port >> 8, port & 0xff);
}

static void format_lprt(char *buf, size_t size, const struct fst_addr *a, uint16_t port)
{
	size_t used;
	int n = a->family == 4 ? 4 : 16;

	used = (size_t)snprintf(buf, size, "%d,%d", a->family == 4 ? 4 : 6, n);
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, ",%u", a->bytes[i]);
	snprintf(buf + used, size - used, ",2,%u,%u", port >> 8, port & 0xff);
}

static void check_port_parsers(const char *text)
{
	struct fst_addr a, b;
	uint16_t port, port2;
	char buf[256], ip[INET6_ADDRSTRLEN];

	if (fst_ftp_parse_227(text, &a, &port)) {
		FUZZ_CHECK(a.family == 4 && port != 0, "227: family %u port %u", a.family, port);
		format_v4_list(buf, sizeof(buf), &a, port);
		FUZZ_CHECK(fst_ftp_parse_227(buf, &b, &port2) && addr_equal(&a, &b) &&
				   port == port2,
			   "227 round trip of '%s'", buf);
	}
	if (fst_ftp_parse_port(text, &a, &port)) {
		FUZZ_CHECK(a.family == 4 && port != 0, "PORT: family %u port %u", a.family, port);
		format_v4_list(buf, sizeof(buf), &a, port);
		FUZZ_CHECK(fst_ftp_parse_port(buf, &b, &port2) && addr_equal(&a, &b) &&
				   port == port2,
			   "PORT round trip of '%s'", buf);
	}
	if (fst_ftp_parse_229(text, &port)) {
		FUZZ_CHECK(port != 0, "229 port 0");
		snprintf(buf, sizeof(buf), "Entering Extended Passive Mode (|||%u|)", port);
		FUZZ_CHECK(fst_ftp_parse_229(buf, &port2) && port == port2, "229 round trip");
	}
	if (fst_ftp_parse_eprt(text, &a, &port)) {
		FUZZ_CHECK((a.family == 4 || a.family == 6) && port != 0, "EPRT: family %u port %u",
			   a.family, port);
		inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "|%d|%s|%u|", a.family == 4 ? 1 : 2, ip, port);
		FUZZ_CHECK(fst_ftp_parse_eprt(buf, &b, &port2) && addr_equal(&a, &b) &&
				   port == port2,
			   "EPRT round trip of '%s'", buf);
	}
	if (fst_ftp_parse_lprt(text, &a, &port)) {
		FUZZ_CHECK((a.family == 4 || a.family == 6) && port != 0, "LPRT: family %u port %u",
			   a.family, port);
		format_lprt(buf, sizeof(buf), &a, port);
		FUZZ_CHECK(fst_ftp_parse_lprt(buf, &b, &port2) && addr_equal(&a, &b) &&
				   port == port2,
			   "LPRT round trip of '%s'", buf);
	}
}

static void check_copy_text(const char *src, size_t len)
{
	static const size_t sizes[] = { 1, 2, 16, FST_FTP_TEXT_MAX + 1 };
	char dst[FST_FTP_TEXT_MAX + 1];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bool cut = fst_ftp_copy_text(dst, sizes[i], src, len);

		FUZZ_CHECK(strlen(dst) == (len < sizes[i] - 1 ? len : sizes[i] - 1),
			   "copy_text length");
		FUZZ_CHECK(cut == (len > sizes[i] - 1), "copy_text cut flag");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fst_ftp_reply_asm a;
	char *text;
	size_t start = 0;

	if (size > MAX_TEXT)
		return 0;
	/* Exactly size bytes, no terminator, for the length-taking parsers. */
	text = malloc(size ? size : 1);
	FUZZ_CHECK(text, "malloc");
	memcpy(text, data, size);
	memset(&a, 0, sizeof(a));
	while (start < size) {
		const char *nl = memchr(text + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - text) : size;
		size_t len = end - start;
		const char *line = text + start;
		char *z;

		if (len && line[len - 1] == '\r')
			len--;
		check_reply(&a, fst_ftp_reply_feed(&a, line, len), line, len);
		check_command(line, len);
		check_copy_text(line, len);
		z = malloc(len + 1);
		FUZZ_CHECK(z, "malloc");
		memcpy(z, line, len);
		z[len] = '\0';
		check_port_parsers(z);
		free(z);
		start = end + 1;
	}
	/* The whole input as one NUL-terminated string (stops at a NUL). */
	{
		char *z = malloc(size + 1);

		FUZZ_CHECK(z, "malloc");
		memcpy(z, data, size);
		z[size] = '\0';
		check_port_parsers(z);
		free(z);
	}
	free(text);
	return 0;
}
