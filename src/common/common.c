/* Error buffer, time and address formatting (the bounded reader is
 * inline in common.h). */
#include "ftpstall/common.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fst_errbuf_set(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, FST_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* Splits ts_us into a UTC calendar time and the microsecond remainder,
 * rounding toward minus infinity so pre-1970 times stay consistent. */
static bool split_time(int64_t ts_us, struct tm *tm, long *usec)
{
	int64_t secs = ts_us / FST_US_PER_SEC;
	int64_t rem = ts_us % FST_US_PER_SEC;
	time_t t;

	if (rem < 0) {
		rem += FST_US_PER_SEC;
		secs--;
	}
	t = (time_t)secs;
	*usec = (long)rem;
	return gmtime_r(&t, tm) != NULL;
}

/* Writes value as exactly width decimal digits (reports format many
 * timestamps: this is cheaper than snprintf). */
static char *put_digits(char *p, long value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + value % 10);
		value /= 10;
	}
	return p + width;
}

char *fst_time_format(int64_t ts_us, char *buf, size_t size)
{
	char text[32], *p = text;
	struct tm tm;
	long usec;

	if (!split_time(ts_us, &tm, &usec) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(buf, size, "?");
		return buf;
	}
	p = put_digits(p, tm.tm_year + 1900, 4);
	*p++ = '-';
	p = put_digits(p, tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, tm.tm_mday, 2);
	*p++ = ' ';
	p = put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_sec, 2);
	*p++ = '.';
	p = put_digits(p, usec, 6);
	*p = '\0';
	snprintf(buf, size, "%s", text);
	return buf;
}

char *fst_time_format_iso(int64_t ts_us, char *buf, size_t size)
{
	char plain[32];

	fst_time_format(ts_us, plain, sizeof(plain));
	if (strlen(plain) == 26) {
		plain[10] = 'T';
		snprintf(buf, size, "%sZ", plain);
	} else {
		snprintf(buf, size, "%s", plain);
	}
	return buf;
}

char *fst_time_format_clock(int64_t ts_us, char *buf, size_t size)
{
	struct tm tm;
	long usec;

	if (!split_time(ts_us, &tm, &usec)) {
		snprintf(buf, size, "?");
		return buf;
	}
	snprintf(buf, size, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	return buf;
}

char *fst_endpoint_format(const struct fst_addr *addr, uint16_t port, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (addr->family == 4) {
		inet_ntop(AF_INET, addr->bytes, text, sizeof(text));
		snprintf(buf, size, "%s:%u", text, port);
	} else if (addr->family == 6) {
		inet_ntop(AF_INET6, addr->bytes, text, sizeof(text));
		snprintf(buf, size, "[%s]:%u", text, port);
	} else {
		snprintf(buf, size, "?:%u", port);
	}
	return buf;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int fst_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint16_t fst_csum_add(uint16_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint64_t)fst_load_be16(p + i);
	if (i < len)
		acc += (uint64_t)p[i] << 8;
	return csum_fold(acc);
}

uint16_t fst_csum_pseudo(const struct fst_addr *src, const struct fst_addr *dst, uint8_t proto,
			 uint32_t len)
{
	size_t alen = src->family == 4 ? 4 : 16;
	uint64_t acc;

	acc = fst_csum_add(0, src->bytes, alen);
	acc += fst_csum_add(0, dst->bytes, alen);
	/* IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, zeros,
	 * next header. Summed as words, both come to the same terms. */
	acc += proto;
	acc += len >> 16;
	acc += len & 0xffff;
	return csum_fold(acc);
}

uint16_t fst_csum_replace(uint16_t check, const uint8_t *old, const uint8_t *new, size_t len)
{
	uint64_t acc;

	/* HC' = ~(~HC + ~m + m') */
	acc = (uint16_t)~check;
	acc += (uint16_t)~fst_csum_add(0, old, len);
	acc += fst_csum_add(0, new, len);
	return (uint16_t)~csum_fold(acc);
}

int fst_id_marks_add(struct fst_id_marks *m, uint64_t id)
{
	if (id >= m->size) {
		size_t size = m->size ? m->size : 256;
		unsigned char *grown;

		while (size <= id)
			size *= 2;
		grown = realloc(m->marks, size);
		if (!grown)
			return -1;
		memset(grown + m->size, 0, size - m->size);
		m->marks = grown;
		m->size = size;
	}
	if (m->marks[id])
		return 0;
	m->marks[id] = 1;
	return 1;
}

bool fst_id_marks_has(const struct fst_id_marks *m, uint64_t id)
{
	return id < m->size && m->marks[id];
}

void fst_id_marks_free(struct fst_id_marks *m)
{
	free(m->marks);
	m->marks = NULL;
	m->size = 0;
}
