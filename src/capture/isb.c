/* Packet drops that a pcapng file reports in its interface statistics
 * blocks (isb_ifdrop, isb_osdrop). libpcap reads pcapng but hands none
 * of these blocks to its reader, so the file is read again here, block
 * by block: only section headers, interface descriptions (for their
 * timestamp resolution) and statistics are looked into; every other
 * block is skipped by its length. The file may be damaged or hostile:
 * every length is checked, and a bad one ends the scan. */
#include "isb.h"
#include "pcapng.h"

#include <stdlib.h>
#include <string.h>

/* pcapng option codes (draft-ietf-opsawg-pcapng). */
enum {
	OPT_END = 0,
	IDB_TSRESOL = 9,
	ISB_STARTTIME = 2,
	ISB_ENDTIME = 3,
	ISB_IFDROP = 5,
	ISB_OSDROP = 7,
};

enum {
	MAX_BLOCK_READ = 4096, /* SHB, IDB and ISB bodies are read up to this */
	MAX_INTERFACES = 256   /* per section; more are not followed */
};

/* One interface of the current section. */
struct iface {
	uint64_t units_per_sec; /* its timestamp resolution */
	bool seen_isb;
	uint64_t dropped; /* the last statistics block's total */
	int64_t last_us;  /* ... and its time */
};

struct scan {
	struct fst_pcapng_walk walk;
	struct iface ifaces[MAX_INTERFACES];
	size_t iface_count;
	uint8_t body[MAX_BLOCK_READ];
};

static uint64_t get64(const struct scan *sc, const uint8_t *p)
{
	return (uint64_t)fst_pcapng_get32(&sc->walk, p) << 32 | fst_pcapng_get32(&sc->walk, p + 4);
}

/* A pcapng timestamp (high and low words) in microseconds, clamped. */
static int64_t ts_us(const struct iface *ifc, uint64_t units)
{
	uint64_t per = ifc->units_per_sec ? ifc->units_per_sec : 1000000;
	uint64_t secs = units / per, frac = units % per;
	const uint64_t limit = FST_TS_LIMIT_US / FST_US_PER_SEC - 1;

	if (secs > limit)
		return (int64_t)limit * FST_US_PER_SEC;
	/* frac < per, and per <= 10^18 or 2^63: scale without overflow. */
	return (int64_t)secs * FST_US_PER_SEC +
	       (int64_t)(per > 1000000 ? frac / (per / 1000000) : frac * (1000000 / per));
}

/* if_tsresol: 10^-v or, with the top bit, 2^-v seconds per unit. */
static uint64_t resolution(uint8_t v)
{
	uint64_t per = 1;
	unsigned exp = v & 0x7f;

	if (v & 0x80)
		return exp < 63 ? (uint64_t)1 << exp : 0;
	if (exp > 18)
		return 0;
	while (exp--)
		per *= 10;
	return per;
}

/* Walks the options of a block body from off: calls back with each
 * code, length and value (the value within body). */
static void each_option(struct scan *sc, size_t len, size_t off,
			void (*fn)(struct scan *sc, uint16_t code, const uint8_t *v, uint16_t vlen,
				   void *ctx),
			void *ctx)
{
	while (off + 4 <= len) {
		uint16_t code = fst_pcapng_get16(&sc->walk, sc->body + off),
			 vlen = fst_pcapng_get16(&sc->walk, sc->body + off + 2);

		if (code == OPT_END || off + 4 + vlen > len)
			return;
		fn(sc, code, sc->body + off + 4, vlen, ctx);
		off += 4 + (((size_t)vlen + 3) & ~(size_t)3);
	}
}

static void idb_option(struct scan *sc, uint16_t code, const uint8_t *v, uint16_t vlen, void *ctx)
{
	struct iface *ifc = ctx;

	(void)sc;
	if (code == IDB_TSRESOL && vlen == 1)
		ifc->units_per_sec = resolution(v[0]);
}

struct isb_opts {
	bool has_start, has_end;
	uint64_t start, end, ifdrop, osdrop;
};

static void isb_option(struct scan *sc, uint16_t code, const uint8_t *v, uint16_t vlen, void *ctx)
{
	struct isb_opts *o = ctx;

	if (vlen != 8)
		return;
	switch (code) {
	case ISB_STARTTIME:
		o->has_start = true;
		o->start = get64(sc, v);
		break;
	case ISB_ENDTIME:
		o->has_end = true;
		o->end = get64(sc, v);
		break;
	case ISB_IFDROP:
		o->ifdrop = get64(sc, v);
		break;
	case ISB_OSDROP:
		o->osdrop = get64(sc, v);
		break;
	default:
		break;
	}
}

/* An interface statistics block of len body bytes: reports the drops
 * it adds to the interface's previous block. */
static uint64_t handle_isb(struct scan *sc, size_t len, fst_capture_drop_fn fn, void *ctx)
{
	struct isb_opts o = { 0 };
	struct iface *ifc;
	uint32_t id;
	uint64_t total;
	int64_t from, to;

	if (len < 12)
		return 0;
	id = fst_pcapng_get32(&sc->walk, sc->body);
	if (id >= sc->iface_count)
		return 0;
	ifc = &sc->ifaces[id];
	each_option(sc, len, 12, isb_option, &o);
	total = o.ifdrop + o.osdrop;
	to = ts_us(ifc, o.has_end ? o.end :
				    (uint64_t)fst_pcapng_get32(&sc->walk, sc->body + 4) << 32 |
					    fst_pcapng_get32(&sc->walk, sc->body + 8));
	from = o.has_start ? ts_us(ifc, o.start) : ifc->seen_isb ? ifc->last_us : INT64_MIN / 2;
	if (ifc->seen_isb && !o.has_start && from > to)
		from = to;
	if (total <= ifc->dropped) {
		ifc->seen_isb = true;
		ifc->last_us = to;
		return 0;
	}
	if (fn)
		fn(ctx, total - ifc->dropped, from, to);
	total -= ifc->dropped;
	ifc->dropped += total;
	ifc->seen_isb = true;
	ifc->last_us = to;
	return total;
}

uint64_t fst_capture_isb_scan(FILE *f, fst_capture_drop_fn fn, void *ctx)
{
	struct scan *sc = calloc(1, sizeof(*sc));
	uint64_t dropped = 0;
	uint32_t type;
	size_t body;

	if (!sc)
		return 0;
	fst_pcapng_walk_init(&sc->walk, f, true, 0);
	while (fst_pcapng_next(&sc->walk, &type, &body) == 1) {
		size_t want = body < sizeof(sc->body) ? body : sizeof(sc->body);

		if (type == FST_PCAPNG_SHB) {
			sc->iface_count = 0;
			want = 0;
		} else if (type == FST_PCAPNG_IDB || type == FST_PCAPNG_ISB) {
			if (!fst_pcapng_read(&sc->walk, sc->body, want))
				break;
			if (type == FST_PCAPNG_IDB && sc->iface_count < MAX_INTERFACES) {
				struct iface *ifc = &sc->ifaces[sc->iface_count++];

				memset(ifc, 0, sizeof(*ifc));
				ifc->units_per_sec = 1000000;
				each_option(sc, want, 8, idb_option, ifc);
			} else if (type == FST_PCAPNG_ISB) {
				dropped += handle_isb(sc, want, fn, ctx);
			}
		} else {
			want = 0;
		}
		if (!fst_pcapng_end_block(&sc->walk, body - want))
			break;
	}
	free(sc);
	return dropped;
}
