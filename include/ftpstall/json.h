/* The JSON writer every ftpstall document goes through (the analysis
 * report, JSON Lines, watch's event lines, the upload and probe
 * summaries). Part of common: libc only. Strings are escaped so that
 * any bytes from the network leave a valid UTF-8 document: '"' and '\'
 * with a backslash, control bytes and bytes above 0x7e as \u00XX. */
#ifndef FTPSTALL_JSON_H
#define FTPSTALL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Where members go: the layout changes, never the values. */
enum fst_json_style {
	FST_JSON_PRETTY,  /* one member per line, two spaces per level */
	FST_JSON_COMPACT, /* one line, "," between members (JSON Lines) */
	FST_JSON_SPACED,  /* one line, ", " between members */
	FST_JSON_TIGHT,	  /* one line, no spaces at all (watch's event lines) */
};

/* A document being written. Every call writes to out at once; nothing is
 * buffered here, so ferror(out) tells whether the document got out. */
struct fst_json {
	FILE *out; /* borrowed for the writer's life */
	int depth;
	bool need_comma; /* a value was written at this level */
	enum fst_json_style style;
};

/* A writer at the top level of out. */
struct fst_json fst_json_make(FILE *out, enum fst_json_style style);

/* Writes s quoted and escaped (see above). s is borrowed. */
void fst_json_string(FILE *out, const char *s);

/* Each value takes a key inside an object, or NULL inside an array (or
 * at the top level). Keys are ftpstall's own words: written unescaped. */

/* Opens an object ('{') or array ('['); fst_json_close ends it with the
 * matching bracket. */
void fst_json_open(struct fst_json *j, const char *key, char bracket);
void fst_json_close(struct fst_json *j, char bracket);

/* A string, or null when value is NULL. */
void fst_json_str(struct fst_json *j, const char *key, const char *value);
void fst_json_u64(struct fst_json *j, const char *key, uint64_t value);
void fst_json_int(struct fst_json *j, const char *key, int value);
void fst_json_bool(struct fst_json *j, const char *key, bool value);
void fst_json_null(struct fst_json *j, const char *key);

/* Seconds with microsecond digits ("%.6f"); null for NaN or infinity,
 * which JSON cannot spell. */
void fst_json_seconds(struct fst_json *j, const char *key, double value);

/* A number with that many decimals ("%.*f"); null for NaN or infinity. */
void fst_json_fixed(struct fst_json *j, const char *key, double value, int decimals);

/* Packet or wall-clock time as ISO 8601 (fst_time_format_iso). */
void fst_json_time(struct fst_json *j, const char *key, int64_t ts_us);

#endif
