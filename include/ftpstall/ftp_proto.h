/* FTP protocol text: command and reply lines (RFC 959), the data-port
 * forms of PORT/PASV (RFC 959), EPRT/EPSV (RFC 2428) and LPRT/LPSV
 * (RFC 1639). Pure functions over bytes, shared by the capture analyzer
 * and the FTP client. Depends on common only. */
#ifndef FTPSTALL_FTP_PROTO_H
#define FTPSTALL_FTP_PROTO_H

#include "ftpstall/common.h"

enum fst_ftp_family {
	FST_FTP_FAMILY_ACCESS,	  /* USER PASS ACCT REIN QUIT */
	FST_FTP_FAMILY_PARAMETER, /* TYPE MODE STRU PORT PASV EPRT EPSV ... */
	FST_FTP_FAMILY_SERVICE,	  /* STOR RETR LIST ... */
	FST_FTP_FAMILY_SECURITY,  /* AUTH PBSZ PROT CCC (RFC 2228/4217) */
	FST_FTP_FAMILY_UNKNOWN,
	FST_FTP_FAMILY_COUNT
};

enum fst_ftp_verb {
	FST_VERB_UNKNOWN = 0,
	FST_VERB_USER,
	FST_VERB_PASS,
	FST_VERB_ACCT,
	FST_VERB_REIN,
	FST_VERB_QUIT,
	FST_VERB_TYPE,
	FST_VERB_MODE,
	FST_VERB_STRU,
	FST_VERB_PORT,
	FST_VERB_PASV,
	FST_VERB_EPRT,
	FST_VERB_EPSV,
	FST_VERB_LPRT,
	FST_VERB_LPSV,
	FST_VERB_STOR,
	FST_VERB_STOU,
	FST_VERB_APPE,
	FST_VERB_RETR,
	FST_VERB_REST,
	FST_VERB_ABOR,
	FST_VERB_LIST,
	FST_VERB_NLST,
	FST_VERB_MLSD,
	FST_VERB_MLST,
	FST_VERB_SIZE,
	FST_VERB_MDTM,
	FST_VERB_DELE,
	FST_VERB_RNFR,
	FST_VERB_RNTO,
	FST_VERB_MKD,
	FST_VERB_RMD,
	FST_VERB_CWD,
	FST_VERB_CDUP,
	FST_VERB_PWD,
	FST_VERB_SITE,
	FST_VERB_NOOP,
	FST_VERB_SYST,
	FST_VERB_STAT,
	FST_VERB_FEAT,
	FST_VERB_OPTS,
	FST_VERB_HELP,
	FST_VERB_ALLO,
	FST_VERB_AUTH,
	FST_VERB_PBSZ,
	FST_VERB_PROT,
	FST_VERB_CCC,
	FST_VERB_COUNT
};

/* What a verb does to the data channel. */
enum fst_ftp_data_role {
	FST_DATA_NONE,
	FST_DATA_UPLOAD,   /* client sends: STOR STOU APPE */
	FST_DATA_DOWNLOAD, /* server sends: RETR LIST NLST MLSD */
	FST_DATA_PASSIVE,  /* PASV EPSV LPSV: server listens */
	FST_DATA_ACTIVE,   /* PORT EPRT LPRT: client listens */
};

struct fst_ftp_verb_info {
	const char *name;
	enum fst_ftp_family family;
	enum fst_ftp_data_role data_role;
};

const struct fst_ftp_verb_info *fst_ftp_verb_info(enum fst_ftp_verb verb);
const char *fst_ftp_family_name(enum fst_ftp_family family);

/* Looks a verb up case-insensitively; FST_VERB_UNKNOWN if not known.
 * The X-prefixed RFC 775 forms (XPWD, XCWD, XMKD, XRMD, XCUP) map to
 * their modern verbs. */
enum fst_ftp_verb fst_ftp_verb_lookup(const char *text, size_t len);

/* Bytes kept of a verb, an argument and a reply's text (the rest is cut
 * and flagged): what a report needs, at a bounded cost per record. */
enum {
	FST_FTP_VERB_TEXT_MAX = 15,
	FST_FTP_ARG_MAX = 255,
	FST_FTP_TEXT_MAX = 159
};

/* The redaction every output shows instead of a password. */
#define FST_FTP_REDACTED "****"

struct fst_ftp_command {
	enum fst_ftp_verb verb;
	char verb_text[FST_FTP_VERB_TEXT_MAX + 1]; /* upper-cased as sent */
	char arg[FST_FTP_ARG_MAX + 1];		   /* PASS: FST_FTP_REDACTED */
	bool arg_truncated;
};

/* Parses one command line, without its line end. Returns false when the
 * line does not start with a verb of letters (1..15 of them). The
 * argument of PASS is never copied: it reads FST_FTP_REDACTED. */
bool fst_ftp_parse_command(const char *line, size_t len, struct fst_ftp_command *out);

/* A multi-line reply (RFC 959 4.2) in progress: "123-first" ... "123 last". */
struct fst_ftp_reply_asm {
	bool open;
	bool text_truncated; /* text was cut at FST_FTP_TEXT_MAX bytes */
	int code;
	unsigned lines;
	char text[FST_FTP_TEXT_MAX + 1]; /* the first line's text */
};

enum fst_ftp_reply_step {
	FST_REPLY_MORE,	   /* a line of a reply that is not finished */
	FST_REPLY_DONE,	   /* asm holds a finished reply */
	FST_REPLY_INVALID, /* not a reply line (no valid code) */
};

/* Feeds one reply line, without its line end. Codes are three digits,
 * first 1-5, second 0-5 (RFC 959 4.2). After FST_REPLY_DONE the
 * assembler resets itself on the next call. */
enum fst_ftp_reply_step fst_ftp_reply_feed(struct fst_ftp_reply_asm *asm_, const char *line,
					   size_t len);

/* The idle timeout a greeting line states, in seconds, or -1: Pure-FTPd's
 * "220 You will be disconnected after 15 minutes of inactivity." (in
 * seconds below two minutes). Reads len bytes of line (no NUL needed). */
int fst_ftp_banner_idle_s(const char *line, size_t len);

/* Copies len bytes of network text into dst (size > 0) with control
 * bytes replaced by '.' (also the two bytes of a C1 control in UTF-8),
 * NUL-terminated; returns true if it was cut. */
bool fst_ftp_copy_text(char *dst, size_t size, const char *src, size_t len);

/* 227 reply text: six numbers h1,h2,h3,h4,p1,p2 anywhere in the text
 * (some servers omit the parentheses). */
bool fst_ftp_parse_227(const char *text, struct fst_addr *addr, uint16_t *port);
/* 229 reply text: "(|||port|)" with any delimiter character. */
bool fst_ftp_parse_229(const char *text, uint16_t *port);
/* PORT argument h1,h2,h3,h4,p1,p2. */
bool fst_ftp_parse_port(const char *arg, struct fst_addr *addr, uint16_t *port);
/* EPRT argument |1|a.b.c.d|port| or |2|v6addr|port| (any delimiter). */
bool fst_ftp_parse_eprt(const char *arg, struct fst_addr *addr, uint16_t *port);
/* LPRT argument, or the numbers of a 228 LPSV reply:
 * 4,4,a,b,c,d,2,p1,p2 or 6,16,a1..a16,2,p1,p2. */
bool fst_ftp_parse_lprt(const char *text, struct fst_addr *addr, uint16_t *port);

#endif
