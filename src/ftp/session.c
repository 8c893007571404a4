/* One FTP session: control lines in both directions, the state machine,
 * whose turn it is, command/reply pairing and the transfer records.
 * Transitions follow the reply sequences of RFC 959 5.4. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	RECORDS_COMMANDS,
	RECORDS_REPLIES,
	RECORDS_TRANSFERS
};

/* Lines a not-yet-confirmed session may take to prove it is FTP. */
enum {
	PROBE_MAX_LINES = 4
};

/* The text arena starts with room for a short session's banner, login
 * and replies (128 bytes with the block header), and doubles from there. */
enum {
	TEXT_BLOCK_FIRST = 128 - sizeof(struct text_block),
	TEXT_BLOCK_MAX = 64 * 1024
};

/* FEAT lines kept, space-separated, and the bytes kept of each. */
enum {
	FEATURES_MAX = FST_FTP_TEXT_MAX + 1,
	FEATURE_MAX = 64
};

static const char *const state_names[] = {
	[FST_FTP_CONNECTED] = "connected",
	[FST_FTP_GREETED] = "greeted",
	[FST_FTP_AUTHENTICATING] = "authenticating",
	[FST_FTP_READY] = "ready",
	[FST_FTP_DATA_SETUP] = "data_setup",
	[FST_FTP_TRANSFERRING] = "transferring",
	[FST_FTP_CLOSING] = "closing",
	[FST_FTP_CLOSED] = "closed",
	[FST_FTP_ENCRYPTED] = "encrypted",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == FST_FTP_STATE_COUNT,
	       "a name for every state");

static const char *const side_names[] = {
	[FST_SIDE_NONE] = "none",
	[FST_SIDE_CLIENT] = "client",
	[FST_SIDE_SERVER] = "server",
};
_Static_assert(sizeof(side_names) / sizeof(side_names[0]) == FST_SIDE_COUNT,
	       "a name for every side");

static const char *const outcome_names[] = {
	[FST_OUTCOME_PENDING] = "pending", [FST_OUTCOME_COMPLETE] = "complete",
	[FST_OUTCOME_FAILED] = "failed",   [FST_OUTCOME_ABORTED] = "aborted",
	[FST_OUTCOME_UNKNOWN] = "unknown",
};
_Static_assert(sizeof(outcome_names) / sizeof(outcome_names[0]) == FST_OUTCOME_COUNT,
	       "a name for every outcome");

static const char *const connect_names[] = {
	[FST_CONNECT_NONE] = "none",
	[FST_CONNECT_OPENED] = "opened",
	[FST_CONNECT_UNANSWERED] = "unanswered",
	[FST_CONNECT_REFUSED] = "refused",
};
_Static_assert(sizeof(connect_names) / sizeof(connect_names[0]) == FST_CONNECT_COUNT,
	       "a name for every handshake outcome");

/* Server software, recognised by a substring of the banner or the SYST
 * reply (case-insensitive). First match wins. */
static const struct {
	const char *marker;
	const char *software;
} software_markers[] = {
	{ "vsFTPd", "vsftpd" },
	{ "ProFTPD", "ProFTPD" },
	{ "Pure-FTPd", "Pure-FTPd" },
	{ "FileZilla Server", "FileZilla Server" },
	{ "Microsoft FTP Service", "Microsoft FTP Service (IIS)" },
	{ "Serv-U", "Serv-U" },
	{ "wu-", "wu-ftpd" },
	{ "glFTPd", "glFTPd" },
	{ "NcFTPd", "NcFTPd" },
	{ "WS_FTP", "WS_FTP Server" },
	{ "Gene6", "Gene6 FTP Server" },
	{ "Titan FTP", "Titan FTP Server" },
	{ "CrushFTP", "CrushFTP" },
	{ "bftpd", "bftpd" },
	/* SYST replies that name the server. */
	{ "UNIX emulated by FileZilla", "FileZilla Server" },
	{ "Windows_NT", "Microsoft FTP Service (IIS)" },
};

const char *fst_ftp_state_name(enum fst_ftp_state state)
{
	return (unsigned)state < FST_FTP_STATE_COUNT ? state_names[state] : "?";
}

const char *fst_side_name(enum fst_side side)
{
	return (unsigned)side < FST_SIDE_COUNT ? side_names[side] : "?";
}

const char *fst_transfer_outcome_name(enum fst_transfer_outcome outcome)
{
	return (unsigned)outcome < FST_OUTCOME_COUNT ? outcome_names[outcome] : "?";
}

const char *fst_data_connect_name(enum fst_data_connect connect)
{
	return (unsigned)connect < FST_CONNECT_COUNT ? connect_names[connect] : "?";
}

const char *fst_transfer_mode_name(enum fst_transfer_mode mode)
{
	switch (mode) {
	case FST_MODE_PASSIVE:
		return "passive";
	case FST_MODE_ACTIVE:
		return "active";
	case FST_MODE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- memory ---------------------------------------------------------- */

static void account(struct session *s, size_t add, size_t sub)
{
	s->heap_bytes += add;
	s->heap_bytes -= sub;
	ftp_account(s->tracker, add, sub);
}

/* n bytes of the session's text arena, or NULL when the session's text
 * cap (cfg.max_text) is reached or memory is out. */
static char *text_alloc(struct session *s, size_t n)
{
	size_t max = ftp_cfg(s->tracker)->max_text;
	struct text_block *b = s->text;
	char *p;

	if (!b || b->cap - b->used < n) {
		size_t cap = b ? b->cap * 2 : TEXT_BLOCK_FIRST;

		if (cap > TEXT_BLOCK_MAX)
			cap = TEXT_BLOCK_MAX;
		if (cap < n)
			cap = n;
		if (s->text_bytes >= max || max - s->text_bytes < n)
			return NULL;
		if (cap > max - s->text_bytes)
			cap = max - s->text_bytes;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = s->text;
		b->used = 0;
		b->cap = cap;
		s->text = b;
		s->text_bytes += cap;
		account(s, sizeof(*b) + cap, 0);
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* Copies up to max bytes of network text into the arena (control bytes
 * become '.'). Returns the copy, or "" for none; sets *cut when bytes
 * were left out, at max or at the session's text cap. */
static const char *text_copy(struct session *s, const char *src, size_t len, size_t max, bool *cut)
{
	size_t n = len < max ? len : max;
	char *dst;

	*cut = n < len;
	if (!n)
		return "";
	dst = text_alloc(s, n + 1);
	if (!dst) {
		*cut = true;
		ftp_count_text_cut(s->tracker);
		return "";
	}
	fst_ftp_copy_text(dst, n + 1, src, n);
	return dst;
}

/* A text for a session field that outlives the event: a recorded
 * record's text already lives as long as the session; an unrecorded
 * one is copied. Sets *cut if the copy was cut (it never clears it). */
static const char *keep_text(struct session *s, const char *text, bool recorded, bool *cut)
{
	bool copy_cut;
	const char *kept;

	if (recorded)
		return text;
	kept = text_copy(s, text, strlen(text), SIZE_MAX, &copy_cut);
	if (copy_cut)
		*cut = true;
	return kept;
}

static void text_free(struct session *s)
{
	struct text_block *b = s->text;

	while (b) {
		struct text_block *next = b->next;

		free(b);
		b = next;
	}
	s->text = NULL;
}

/* ---- records --------------------------------------------------------- */

/* Makes room for one more record in a capped, growing array. Returns
 * false (and counts a drop) when the cap is reached or memory is out. */
static bool reserve(struct session *s, int which, void **array, size_t count, size_t item_size,
		    size_t *dropped)
{
	size_t max = ftp_cfg(s->tracker)->max_records;
	size_t cap = s->records_cap[which];
	void *grown;

	if (count < cap)
		return true;
	if (count >= max) {
		(*dropped)++;
		return false;
	}
	/* Most sessions are short (a login is two commands and three
	 * replies): start small, double as they grow. */
	cap = cap ? cap * 2 : 2;
	if (cap > max)
		cap = max;
	grown = realloc(*array, cap * item_size);
	if (!grown) {
		(*dropped)++;
		return false;
	}
	*array = grown;
	account(s, (cap - s->records_cap[which]) * item_size, 0);
	s->records_cap[which] = cap;
	return true;
}

static struct fst_ftp_transfer *transfer_at(struct session *s, size_t index)
{
	return index < s->pub.transfer_count ? &s->pub.transfers[index] : NULL;
}

/* Every event of a session passes here: none before it is known to be
 * FTP, none after its SESSION_CLOSE. Data segments held back go first,
 * so that the consumer sees everything in the order it happened. */
static void session_emit(struct session *s, struct fst_ftp_event *ev)
{
	if (s->holding)
		session_deliver_held(s);
	if (s->confirmed && !s->closed)
		ftp_emit(s->tracker, ev);
}

static void emit_simple(struct session *s, enum fst_ftp_event_kind kind, int64_t ts_us,
			const struct fst_ftp_transfer *transfer)
{
	struct fst_ftp_event ev = {
		.kind = kind,
		.ts_us = ts_us,
		.session = &s->pub,
		.transfer = transfer,
	};

	session_emit(s, &ev);
}

static void anomaly(struct session *s, enum fst_ftp_anomaly kind, int64_t ts_us)
{
	struct fst_ftp_event ev = {
		.kind = FST_FTP_EV_ANOMALY,
		.ts_us = ts_us,
		.session = &s->pub,
		.anomaly = kind,
	};

	s->pub.anomalies++;
	ftp_count_anomaly(s->tracker, kind);
	session_emit(s, &ev);
}

/* ---- state and turn -------------------------------------------------- */

static void set_state(struct session *s, enum fst_ftp_state next, int64_t ts_us)
{
	struct fst_ftp_event ev = {
		.kind = FST_FTP_EV_STATE,
		.ts_us = ts_us,
		.session = &s->pub,
		.old_state = s->pub.state,
	};

	if (s->pub.state == next)
		return;
	/* Once opaque, only the end of the connection changes state. */
	if (s->pub.state == FST_FTP_ENCRYPTED && next != FST_FTP_CLOSED)
		return;
	s->pub.state = next;
	session_emit(s, &ev);
}

static void reader_feed(struct session *s, enum fst_tcp_dir dir, const uint8_t *data, size_t len,
			int64_t ts_us, bool plaintext);

/* Decrypted control bytes: FTP as if they had come in the clear. */
static void control_plaintext(void *ctx, enum fst_tls_dir dir, const uint8_t *data, size_t len,
			      int64_t ts_us)
{
	reader_feed(ctx, (enum fst_tcp_dir)dir, data, len, ts_us, true);
}

/* The session goes over to TLS: from here its control connection is
 * read as TLS records (fst_tls_feed) until a direction's TLS ends. With
 * a key log the records are decrypted and read as FTP; without one (or
 * once decryption fails, see check_opaque) the session is opaque and
 * only the end of the connection changes its state. Out of memory, it
 * is still encrypted, only without the record layer. */
static void start_tls(struct session *s, enum fst_tls_mode mode, int64_t ts_us)
{
	struct fst_tls_keylog *keylog = ftp_cfg(s->tracker)->tls_keylog;

	s->pub.encrypted = true;
	if (!s->tls) {
		s->tls = fst_tls_new();
		if (s->tls) {
			account(s, fst_tls_size(), 0);
			fst_tls_set_mode(s->tls, mode);
			s->pub.tls = fst_tls_info(s->tls);
			if (keylog) {
				account(s, fst_tls_decrypt_size(), 0);
				fst_tls_set_decryption(s->tls, keylog, control_plaintext, s);
			}
		}
	}
	ftp_tls_started(s->tracker);
	s->pub.opaque = !s->tls || !keylog;
	if (s->pub.opaque)
		set_state(s, FST_FTP_ENCRYPTED, ts_us);
}

/* A decrypting session whose records stopped decrypting (no secret for
 * it, a wrong one, bytes lost) is opaque from here. */
static void check_opaque(struct session *s, int64_t ts_us)
{
	enum fst_tls_decrypt state;

	if (s->pub.opaque || !s->tls)
		return;
	state = s->pub.tls->decrypt;
	if (state == FST_TLS_DECRYPT_WAITING || state == FST_TLS_DECRYPT_ON)
		return;
	s->pub.opaque = true;
	set_state(s, FST_FTP_ENCRYPTED, ts_us);
}

/* Whether dir's bytes are TLS records now (not before AUTH's 234, not
 * after the direction's TLS layer ended in cleartext). */
static bool tls_active(const struct session *s, enum fst_tcp_dir dir)
{
	return s->pub.encrypted && !(s->pub.tls && s->pub.tls->side[dir].ended);
}

static struct pending_command *pending_head(struct session *s)
{
	return s->pending_count ? &s->pending[s->pending_head] : NULL;
}

/* Who owes the next move. A transfer whose command got its 1xx waits on
 * the data sender until the data connection is done; then the server
 * owes the final reply. */
static void update_turn(struct session *s)
{
	struct fst_ftp_turn turn = { FST_SIDE_NONE, FST_CHANNEL_CONTROL };
	struct pending_command *head = pending_head(s);
	struct fst_ftp_transfer *t;

	switch (s->pub.state) {
	case FST_FTP_CLOSED:
		break;
	case FST_FTP_ENCRYPTED:
		turn.side = s->last_sender == FST_SIDE_CLIENT ? FST_SIDE_SERVER : FST_SIDE_CLIENT;
		break;
	case FST_FTP_CONNECTED:
		turn.side = FST_SIDE_SERVER;
		break;
	case FST_FTP_CLOSING:
		turn.side = head ? FST_SIDE_SERVER : FST_SIDE_NONE;
		break;
	case FST_FTP_GREETED:
	case FST_FTP_AUTHENTICATING:
	case FST_FTP_READY:
	case FST_FTP_DATA_SETUP:
	case FST_FTP_TRANSFERRING:
	case FST_FTP_STATE_COUNT:
		if (!head) {
			turn.side = FST_SIDE_CLIENT;
			break;
		}
		t = transfer_at(s, head->transfer);
		if (t && head->preliminary_seen && !t->data_done) {
			turn.side = t->sender;
			turn.channel = FST_CHANNEL_DATA;
		} else {
			turn.side = FST_SIDE_SERVER;
		}
		break;
	}
	s->pub.turn = turn;
}

/* ---- commands -------------------------------------------------------- */

static void guess_software(struct session *s, const char *text)
{
	if (s->pub.software)
		return;
	for (size_t i = 0; i < sizeof(software_markers) / sizeof(software_markers[0]); i++)
		if (strcasestr(text, software_markers[i].marker)) {
			s->pub.software = software_markers[i].software;
			return;
		}
}

static uint64_t parse_offset(const char *text)
{
	uint64_t value = 0;

	while (*text == ' ')
		text++;
	for (; isdigit((unsigned char)*text); text++) {
		if (value > (UINT64_MAX - 9) / 10)
			return 0;
		value = value * 10 + (uint64_t)(*text - '0');
	}
	return value;
}

static enum fst_transfer_mode last_setup_mode(struct session *s)
{
	return s->expect.mode;
}

/* A transfer command starts a transfer record; recorded says whether
 * cmd's texts are the session's own (else they are copied). */
static size_t start_transfer(struct session *s, const struct fst_ftp_recorded_command *cmd,
			     bool recorded, int64_t ts_us)
{
	struct fst_ftp_transfer *t;
	size_t index = s->pub.transfer_count;

	if (!reserve(s, RECORDS_TRANSFERS, (void **)&s->pub.transfers, s->pub.transfer_count,
		     sizeof(*s->pub.transfers), &s->pub.transfers_dropped))
		return SIZE_MAX;
	t = &s->pub.transfers[index];
	memset(t, 0, sizeof(*t));
	t->id = index + 1;
	t->verb = cmd->verb;
	t->file_truncated = cmd->arg_truncated;
	t->file = keep_text(s, cmd->arg, recorded, &t->file_truncated);
	t->mode = last_setup_mode(s);
	t->sender = fst_ftp_verb_info(cmd->verb)->data_role == FST_DATA_UPLOAD ? FST_SIDE_CLIENT :
										 FST_SIDE_SERVER;
	t->command_ts_us = ts_us;
	t->announced_bytes = -1;
	t->outcome = FST_OUTCOME_PENDING;
	/* Only an announcement made for this command is its own: a RETR
	 * sent without a PASV or PORT before it has none. */
	t->data_announced = s->announce_fresh;
	s->announce_fresh = false;
	if (s->rest_pending) {
		t->has_rest = true;
		t->rest_offset = s->rest_offset;
		s->rest_pending = false;
	}
	s->pub.transfer_count++;
	s->open_transfer = index;
	if (s->waiting_data) {
		struct flow_ctx *claimed = s->waiting_data;

		s->waiting_data = NULL;
		memset(&s->unclaimed, 0, sizeof(s->unclaimed));
		session_attach_data(s, claimed);
	}
	return index;
}

/* Active mode: the client announces where it listens. */
static void expect_active(struct session *s, const struct fst_ftp_command *cmd, int64_t ts_us)
{
	struct fst_addr addr;
	uint16_t port;
	bool ok;

	switch (cmd->verb) {
	case FST_VERB_PORT:
		ok = fst_ftp_parse_port(cmd->arg, &addr, &port);
		break;
	case FST_VERB_EPRT:
		ok = fst_ftp_parse_eprt(cmd->arg, &addr, &port);
		break;
	default:
		ok = fst_ftp_parse_lprt(cmd->arg, &addr, &port);
		break;
	}
	if (!ok) {
		anomaly(s, FST_ANOMALY_BAD_DATA_ADDRESS, ts_us);
		return;
	}
	ftp_expect(s->tracker, s, &addr, port, FST_MODE_ACTIVE, ts_us);
	s->announce_fresh = true;
}

/* Most sessions never pipeline: the ring starts with one slot and
 * doubles, in order from its head, up to the configured cap. */
static void grow_pending(struct session *s, size_t max)
{
	size_t cap = s->pending_cap ? s->pending_cap * 2 : 1;
	struct pending_command *grown;

	if (cap > max)
		cap = max;
	grown = malloc(cap * sizeof(*grown));
	if (!grown)
		return;
	for (size_t i = 0; i < s->pending_count; i++)
		grown[i] = s->pending[(s->pending_head + i) % s->pending_cap];
	account(s, cap * sizeof(*grown), s->pending_cap * sizeof(*grown));
	free(s->pending);
	s->pending = grown;
	s->pending_cap = cap;
	s->pending_head = 0;
}

static void push_pending(struct session *s, enum fst_ftp_verb verb, size_t record, size_t transfer,
			 int64_t ts_us)
{
	size_t max = ftp_cfg(s->tracker)->max_pending;
	struct pending_command *slot;

	if (s->pending_count == s->pending_cap && s->pending_cap < max)
		grow_pending(s, max);
	if (s->pending_count == s->pending_cap) { /* at the cap: forget the oldest */
		if (!s->pending_cap)
			return;
		anomaly(s, FST_ANOMALY_TOO_MANY_PENDING, ts_us);
		s->pending_head = (s->pending_head + 1) % s->pending_cap;
		s->pending_count--;
	}
	slot = &s->pending[(s->pending_head + s->pending_count) % s->pending_cap];
	slot->verb = verb;
	slot->record = record;
	slot->transfer = transfer;
	slot->preliminary_seen = false;
	s->pending_count++;
}

/* The texts of a command as its record keeps them: in the arena when
 * recorded, else borrowed from cmd for the event. Known verbs sent as
 * spelled point to the static verb table. */
static void record_command_text(struct session *s, struct fst_ftp_recorded_command *dst,
				const struct fst_ftp_command *cmd, bool recorded)
{
	const char *name = fst_ftp_verb_info(cmd->verb)->name;
	bool cut;

	dst->verb = cmd->verb;
	dst->arg_truncated = cmd->arg_truncated;
	if (!recorded) {
		dst->verb_text = cmd->verb_text;
		dst->arg = cmd->arg;
		return;
	}
	if (strcmp(cmd->verb_text, name) == 0)
		dst->verb_text = name;
	else
		dst->verb_text = text_copy(s, cmd->verb_text, strlen(cmd->verb_text),
					   FST_FTP_VERB_TEXT_MAX, &cut);
	if (cmd->verb == FST_VERB_PASS) {
		dst->arg = FST_FTP_REDACTED;
		return;
	}
	dst->arg = text_copy(s, cmd->arg, strlen(cmd->arg), FST_FTP_ARG_MAX, &cut);
	if (cut)
		dst->arg_truncated = true;
}

static void handle_command(struct session *s, const struct fst_ftp_command *cmd, int64_t ts_us)
{
	const struct fst_ftp_verb_info *info = fst_ftp_verb_info(cmd->verb);
	struct fst_ftp_command_rec unrecorded, *rec = &unrecorded;
	size_t record = SIZE_MAX, transfer = SIZE_MAX;
	struct fst_ftp_event ev = {
		.kind = FST_FTP_EV_COMMAND,
		.ts_us = ts_us,
		.session = &s->pub,
	};

	if (reserve(s, RECORDS_COMMANDS, (void **)&s->pub.commands, s->pub.command_count,
		    sizeof(*s->pub.commands), &s->pub.commands_dropped)) {
		record = s->pub.command_count++;
		rec = &s->pub.commands[record];
	}
	/* Past the cap the event still carries the command. */
	memset(rec, 0, sizeof(*rec));
	rec->ts_us = ts_us;
	record_command_text(s, &rec->cmd, cmd, record != SIZE_MAX);
	rec->reply_index = SIZE_MAX;
	switch (cmd->verb) {
	case FST_VERB_USER:
		s->pub.user_name_truncated = rec->cmd.arg_truncated;
		s->pub.user_name =
			keep_text(s, rec->cmd.arg, record != SIZE_MAX, &s->pub.user_name_truncated);
		/* fall through */
	case FST_VERB_PASS:
	case FST_VERB_ACCT:
		if (s->pub.state != FST_FTP_CLOSING)
			set_state(s, FST_FTP_AUTHENTICATING, ts_us);
		break;
	case FST_VERB_QUIT:
		set_state(s, FST_FTP_CLOSING, ts_us);
		break;
	case FST_VERB_PORT:
	case FST_VERB_EPRT:
	case FST_VERB_LPRT:
		expect_active(s, cmd, ts_us);
		break;
	default:
		break;
	}
	if (info->data_role == FST_DATA_UPLOAD || info->data_role == FST_DATA_DOWNLOAD)
		transfer = start_transfer(s, &rec->cmd, record != SIZE_MAX, ts_us);
	push_pending(s, cmd->verb, record, transfer, ts_us);
	update_turn(s);
	ev.command = rec;
	session_emit(s, &ev);
}

/* ---- replies --------------------------------------------------------- */

static void end_transfer(struct session *s, size_t index, enum fst_transfer_outcome outcome,
			 int code, int64_t ts_us)
{
	struct fst_ftp_transfer *t = transfer_at(s, index);

	if (!t || t->outcome != FST_OUTCOME_PENDING)
		return;
	t->outcome = outcome;
	t->reply_code = code;
	if (s->open_transfer == index)
		s->open_transfer = SIZE_MAX;
	emit_simple(s, FST_FTP_EV_TRANSFER_END, ts_us, t);
}

/* Appends one FEAT line ("211-" body) to the features string, which
 * takes FEATURES_MAX bytes of the arena at the first feature. What does
 * not fit is flagged. */
static void add_feature(struct session *s, const char *line, size_t len)
{
	char feature[FEATURE_MAX];
	size_t used;
	int n;

	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (!len)
		return;
	if (!s->features) {
		s->features = text_alloc(s, FEATURES_MAX);
		if (!s->features) {
			s->pub.features_truncated = true;
			ftp_count_text_cut(s->tracker);
			return;
		}
		s->features[0] = '\0';
		s->pub.features = s->features;
	}
	used = strlen(s->features);
	if (used + 2 >= FEATURES_MAX) {
		s->pub.features_truncated = true;
		return;
	}
	if (fst_ftp_copy_text(feature, sizeof(feature), line, len))
		s->pub.features_truncated = true;
	n = snprintf(s->features + used, FEATURES_MAX - used, "%s%s", used ? " " : "", feature);
	if (n < 0 || (size_t)n >= FEATURES_MAX - used)
		s->pub.features_truncated = true;
}

/* Takes the path out of a 257 reply: "\"/dir\" is the current directory". */
static void take_quoted_path(struct session *s, const char *text)
{
	const char *open = strchr(text, '"');
	const char *close = open ? strchr(open + 1, '"') : NULL;

	if (open && close)
		s->pub.cwd = text_copy(s, open + 1, (size_t)(close - open - 1), FST_FTP_ARG_MAX,
				       &s->pub.cwd_truncated);
}

static void expect_passive(struct session *s, enum fst_ftp_verb verb, const char *text,
			   int64_t ts_us)
{
	struct fst_addr addr = s->pub.server_addr;
	uint16_t port;
	bool ok;

	switch (verb) {
	case FST_VERB_PASV:
		ok = fst_ftp_parse_227(text, &addr, &port);
		break;
	case FST_VERB_EPSV:
		ok = fst_ftp_parse_229(text, &port);
		break;
	default:
		ok = fst_ftp_parse_lprt(text, &addr, &port);
		break;
	}
	if (!ok) {
		anomaly(s, FST_ANOMALY_BAD_DATA_ADDRESS, ts_us);
		return;
	}
	ftp_expect(s->tracker, s, &addr, port, FST_MODE_PASSIVE, ts_us);
	s->announce_fresh = true;
	set_state(s, FST_FTP_DATA_SETUP, ts_us);
}

static bool abort_pending(struct session *s)
{
	for (size_t i = 0; i < s->pending_count; i++)
		if (s->pending[(s->pending_head + i) % s->pending_cap].verb == FST_VERB_ABOR)
			return true;
	return false;
}

/* Applies a final reply to the command it answers; rec is the command's
 * record (NULL past the cap), reply the reply's, its texts the session's
 * own when reply_recorded. */
static void apply_final_reply(struct session *s, const struct pending_command *cmd,
			      const struct fst_ftp_command_rec *rec,
			      const struct fst_ftp_reply_rec *reply, bool reply_recorded,
			      int64_t ts_us)
{
	int code = reply->code;
	const char *text = reply->text;
	bool ok = code >= 200 && code < 300;
	enum fst_ftp_data_role role = fst_ftp_verb_info(cmd->verb)->data_role;

	switch (cmd->verb) {
	case FST_VERB_USER:
	case FST_VERB_PASS:
	case FST_VERB_ACCT:
		if (code == 230 || code == 202)
			set_state(s, FST_FTP_READY, ts_us);
		else if (code >= 500)
			set_state(s, FST_FTP_GREETED, ts_us);
		break;
	case FST_VERB_REIN:
		if (code == 220) {
			s->pub.user_name = "";
			s->pub.user_name_truncated = false;
			set_state(s, FST_FTP_GREETED, ts_us);
		}
		break;
	case FST_VERB_PASV:
	case FST_VERB_EPSV:
	case FST_VERB_LPSV:
		if (code == 227 || code == 229 || code == 228)
			expect_passive(s, cmd->verb, text, ts_us);
		break;
	case FST_VERB_PORT:
	case FST_VERB_EPRT:
	case FST_VERB_LPRT:
		if (ok) {
			set_state(s, FST_FTP_DATA_SETUP, ts_us);
		} else {
			ftp_unexpect(s->tracker, s);
			s->announce_fresh = false;
		}
		break;
	case FST_VERB_REST:
		if (code == 350 && rec) {
			s->rest_offset = parse_offset(rec->cmd.arg);
			s->rest_pending = true;
		}
		break;
	case FST_VERB_TYPE:
		/* rec is recorded: its argument lives as long as the session. */
		if (ok && rec) {
			s->pub.type = rec->cmd.arg;
			s->pub.type_truncated = rec->cmd.arg_truncated;
		}
		break;
	case FST_VERB_CWD:
		if (ok && rec) {
			s->pub.cwd = rec->cmd.arg;
			s->pub.cwd_truncated = rec->cmd.arg_truncated;
		}
		break;
	case FST_VERB_PWD:
		if (code == 257)
			take_quoted_path(s, text);
		break;
	case FST_VERB_SYST:
		if (ok) {
			s->pub.syst_truncated = reply->text_truncated;
			s->pub.syst = keep_text(s, text, reply_recorded, &s->pub.syst_truncated);
			guess_software(s, text);
		}
		break;
	case FST_VERB_AUTH:
		if (code == 234)
			start_tls(s, FST_TLS_MODE_EXPLICIT, ts_us);
		break;
	case FST_VERB_ABOR:
		if (s->open_transfer != SIZE_MAX)
			end_transfer(s, s->open_transfer, FST_OUTCOME_ABORTED, code, ts_us);
		break;
	default:
		break;
	}
	if (role == FST_DATA_UPLOAD || role == FST_DATA_DOWNLOAD) {
		struct fst_ftp_transfer *t = transfer_at(s, cmd->transfer);
		enum fst_transfer_outcome outcome = ok ? FST_OUTCOME_COMPLETE : FST_OUTCOME_FAILED;

		/* RFC 959 ABOR: the transfer's 426 (or 226) comes first,
		 * then ABOR's own 226; the ABOR is still waiting here. */
		if (abort_pending(s))
			outcome = FST_OUTCOME_ABORTED;
		if (t && t->outcome == FST_OUTCOME_PENDING)
			end_transfer(s, cmd->transfer, outcome, code, ts_us);
		if (s->pub.state == FST_FTP_TRANSFERRING || s->pub.state == FST_FTP_DATA_SETUP)
			set_state(s, FST_FTP_READY, ts_us);
	}
	if (code == 421 || code == 221)
		set_state(s, FST_FTP_CLOSING, ts_us);
}

/* The waiting command got a line that is not a reply: it is answered,
 * without a code; a transfer it started ends with an unknown outcome. */
static void answer_invalid(struct session *s, int64_t ts_us)
{
	struct pending_command answered = *pending_head(s);

	s->pending_head = (s->pending_head + 1) % s->pending_cap;
	s->pending_count--;
	if (answered.transfer != SIZE_MAX) {
		end_transfer(s, answered.transfer, FST_OUTCOME_UNKNOWN, 0, ts_us);
		if (s->pub.state == FST_FTP_TRANSFERRING || s->pub.state == FST_FTP_DATA_SETUP)
			set_state(s, FST_FTP_READY, ts_us);
	}
	update_turn(s);
}

/* Whether a final (or, for transfers, preliminary) reply code can
 * answer verb. Errors fit anything. Used only after the capture lost
 * server bytes, to tell which waiting commands lost their replies. */
static bool reply_fits(enum fst_ftp_verb verb, int code)
{
	enum fst_ftp_data_role role = fst_ftp_verb_info(verb)->data_role;

	if (code >= 400 || verb == FST_VERB_UNKNOWN)
		return true;
	if (role == FST_DATA_UPLOAD || role == FST_DATA_DOWNLOAD)
		return code == 125 || code == 150 || code == 226 || code == 250;
	if (code < 200)
		return verb == FST_VERB_REIN && code == 120;
	switch (verb) {
	case FST_VERB_QUIT:
		return code == 221;
	case FST_VERB_PASV:
		return code == 227;
	case FST_VERB_EPSV:
		return code == 229;
	case FST_VERB_LPSV:
		return code == 228;
	case FST_VERB_USER:
		return code == 230 || code == 331 || code == 332;
	case FST_VERB_PASS:
		return code == 230 || code == 202 || code == 332;
	case FST_VERB_REST:
	case FST_VERB_RNFR:
		return code == 350;
	case FST_VERB_SIZE:
	case FST_VERB_MDTM:
		return code == 213;
	case FST_VERB_SYST:
		return code == 215;
	case FST_VERB_FEAT:
	case FST_VERB_HELP:
	case FST_VERB_STAT:
		return code >= 211 && code <= 214;
	case FST_VERB_PWD:
	case FST_VERB_MKD:
		return code == 257;
	case FST_VERB_CWD:
	case FST_VERB_CDUP:
	case FST_VERB_DELE:
	case FST_VERB_RMD:
	case FST_VERB_RNTO:
	case FST_VERB_MLST:
		return code == 250 || code == 200;
	case FST_VERB_AUTH:
		return code == 234 || code == 334;
	case FST_VERB_ABOR:
		return code == 225 || code == 226;
	case FST_VERB_REIN:
		return code == 220;
	default:
		return code == 200 || code == 202;
	}
}

/* After a loss in the server's stream: when the reply does not fit the
 * first waiting command but fits a later one, the commands before that
 * one lost their replies in the gap. */
static void skip_lost_replies(struct session *s, int code, int64_t ts_us)
{
	size_t lost = 0;

	if (!s->replies_maybe_lost || reply_fits(pending_head(s)->verb, code))
		return;
	for (size_t i = 1; i < s->pending_count; i++)
		if (reply_fits(s->pending[(s->pending_head + i) % s->pending_cap].verb, code)) {
			lost = i;
			break;
		}
	while (lost--)
		answer_invalid(s, ts_us);
}

/* "Opening BINARY mode data connection for f (154427 bytes)." */
static int64_t announced_size(const char *text)
{
	const char *open = strrchr(text, '(');
	uint64_t value = 0;
	const char *p;

	if (!open)
		return -1;
	for (p = open + 1; isdigit((unsigned char)*p); p++) {
		if (value > (UINT64_MAX - 9) / 10)
			return -1;
		value = value * 10 + (uint64_t)(*p - '0');
	}
	if (p == open + 1 || strncasecmp(p, " bytes", 6) != 0 || value > INT64_MAX)
		return -1;
	return (int64_t)value;
}

/* A session picked up without its handshake takes the login to be
 * behind it, but its first reply may still be the 220 greeting (the
 * capture began between the SYN and the banner): a 220 that is the
 * first reply and answers no REIN. */
static bool mid_stream_greeting(const struct session *s, int code)
{
	const struct pending_command *head = s->pending_count ? &s->pending[s->pending_head] : NULL;

	return s->pub.mid_stream && code == 220 && s->pub.reply_count == 0 &&
	       s->pub.replies_dropped == 0 && !(head && head->verb == FST_VERB_REIN);
}

/* A mid-stream session's unsolicited final reply to a transfer (its
 * command came before the capture) while no transfer it saw is open. */
static bool ends_unseen_transfer(const struct session *s, int code)
{
	return s->pub.mid_stream && s->open_transfer == SIZE_MAX &&
	       (code == 226 || code == 426 || code == 451);
}

/* Takes the data connection that transfer ran on, if the tracker kept
 * one (an orphan between the session's hosts). */
static void adopt_orphan(struct session *s, int code, int64_t ts_us)
{
	struct orphan *o = ftp_claim_orphan(s->tracker, s, ts_us);

	if (o)
		session_adopt_orphan(s, o, code, ts_us);
}

static void handle_reply(struct session *s, const struct fst_ftp_reply_asm *reply, int64_t ts_us)
{
	struct fst_ftp_reply_rec unrecorded, *rec = &unrecorded;
	struct fst_ftp_command_rec *paired = NULL;
	struct pending_command *head = pending_head(s);
	struct pending_command answered;
	/* The first reply is the greeting, even when the client has already
	 * sent commands (pipelining before the banner is seen in the wild). */
	bool greeting = !s->saw_greeting || mid_stream_greeting(s, reply->code);
	bool final = reply->code >= 200;
	struct fst_ftp_event ev = {
		.kind = FST_FTP_EV_REPLY,
		.ts_us = ts_us,
		.session = &s->pub,
	};

	bool recorded = false;

	if (reserve(s, RECORDS_REPLIES, (void **)&s->pub.replies, s->pub.reply_count,
		    sizeof(*s->pub.replies), &s->pub.replies_dropped)) {
		rec = &s->pub.replies[s->pub.reply_count++];
		recorded = true;
	}
	memset(rec, 0, sizeof(*rec));
	rec->ts_us = ts_us;
	rec->code = reply->code;
	rec->lines = reply->lines;
	rec->text_truncated = reply->text_truncated;
	if (recorded) {
		bool cut;

		rec->text = text_copy(s, reply->text, strlen(reply->text), SIZE_MAX, &cut);
		if (cut)
			rec->text_truncated = true;
	} else {
		/* Past the cap the newest reply's text still lives until the
		 * next reply, in one slot of the arena. */
		if (!s->unrecorded_text)
			s->unrecorded_text = text_alloc(s, FST_FTP_TEXT_MAX + 1);
		rec->text = "";
		if (s->unrecorded_text) {
			snprintf(s->unrecorded_text, FST_FTP_TEXT_MAX + 1, "%s", reply->text);
			rec->text = s->unrecorded_text;
		} else if (reply->text[0]) {
			rec->text_truncated = true;
			ftp_count_text_cut(s->tracker);
		}
	}
	if (!greeting && head) {
		skip_lost_replies(s, reply->code, ts_us);
		head = pending_head(s);
	}
	if (!s->pending_count)
		s->replies_maybe_lost = false;
	if (greeting) {
		/* Clients that pipeline before the banner (seen in the wild)
		 * must not get the banner as their answer. */
		if (reply->code != 120) {
			s->saw_greeting = true;
			s->pub.banner_truncated = rec->text_truncated;
			s->pub.banner = keep_text(s, rec->text, recorded, &s->pub.banner_truncated);
			guess_software(s, reply->text);
			if (reply->code != 220)
				set_state(s, FST_FTP_CLOSING, ts_us);
			else if (s->pub.state == FST_FTP_CONNECTED ||
				 (s->pub.mid_stream && !s->pub.command_count))
				set_state(s, FST_FTP_GREETED, ts_us); /* the login is ahead */
		}
		rec->unsolicited = true;
	} else if (!head) {
		rec->unsolicited = true;
		if (reply->code == 421 || reply->code == 221)
			set_state(s, FST_FTP_CLOSING, ts_us);
		else if (ends_unseen_transfer(s, reply->code))
			adopt_orphan(s, reply->code, ts_us);
	} else if (!final) {
		struct fst_ftp_transfer *t = transfer_at(s, head->transfer);

		head->preliminary_seen = true;
		if (head->record != SIZE_MAX)
			s->pub.commands[head->record].preliminary_code = reply->code;
		if (t) {
			t->announced_bytes = announced_size(reply->text);
			set_state(s, FST_FTP_TRANSFERRING, ts_us);
		}
	} else {
		answered = *head;
		s->pending_head = (s->pending_head + 1) % s->pending_cap;
		s->pending_count--;
		if (answered.record != SIZE_MAX) {
			paired = &s->pub.commands[answered.record];
			paired->reply_code = reply->code;
			paired->reply_ts_us = ts_us;
			paired->reply_index = rec == &unrecorded ? SIZE_MAX :
								   (size_t)(rec - s->pub.replies);
		}
		apply_final_reply(s, &answered, paired, rec, recorded, ts_us);
	}
	update_turn(s);
	ev.reply = rec;
	ev.command = paired;
	session_emit(s, &ev);
}

/* ---- lines ------------------------------------------------------------ */

/* Verbs that SMTP or NNTP share with FTP prove nothing about a flow. */
static bool proves_ftp(enum fst_ftp_verb verb)
{
	switch (verb) {
	case FST_VERB_UNKNOWN:
	case FST_VERB_QUIT:
	case FST_VERB_NOOP:
	case FST_VERB_HELP:
	case FST_VERB_LIST:
	case FST_VERB_MODE:
	case FST_VERB_STAT:
	case FST_VERB_COUNT:
		return false;
	default:
		return true;
	}
}

static void handle_client_line(struct session *s, const char *line, size_t len, bool cut,
			       int64_t ts_us)
{
	struct fst_ftp_command cmd;

	if (len == 0)
		return;
	if (!fst_ftp_parse_command(line, len, &cmd)) {
		anomaly(s, FST_ANOMALY_INVALID_COMMAND, ts_us);
		return;
	}
	if (cut)
		cmd.arg_truncated = true;
	if (!s->confirmed && proves_ftp(cmd.verb) && s->pub.state != FST_FTP_CLOSED)
		session_confirm(s, ts_us);
	handle_command(s, &cmd, ts_us);
}

/* A multi-line reply that will not be finished (lost bytes, the end). */
static void reply_drop(struct session *s)
{
	if (!s->reply)
		return;
	free(s->reply);
	s->reply = NULL;
	account(s, 0, sizeof(*s->reply));
}

static void handle_server_line(struct session *s, const char *line, size_t len, int64_t ts_us)
{
	struct fst_ftp_reply_asm *a = s->reply;
	enum fst_ftp_reply_step step;

	/* Most replies are one line: they are assembled in the tracker's
	 * scratch, and only a multi-line reply in progress gets its own. */
	if (!a) {
		a = ftp_reply_scratch(s->tracker);
		a->open = false;
	}
	step = fst_ftp_reply_feed(a, line, len);
	/* A line of the greeting may state the idle timeout (Pure-FTPd's
	 * last one does): every line is looked at, since a reply keeps
	 * only its first line's text. */
	if (!s->saw_greeting && step != FST_REPLY_INVALID && s->pub.banner_idle_s < 0)
		s->pub.banner_idle_s = fst_ftp_banner_idle_s(line, len);
	if (step == FST_REPLY_MORE && !s->reply) {
		s->reply = malloc(sizeof(*s->reply));
		if (s->reply) {
			*s->reply = *a;
			account(s, sizeof(*s->reply), 0);
			a = s->reply;
		}
	}
	switch (step) {
	case FST_REPLY_INVALID:
		anomaly(s, FST_ANOMALY_INVALID_REPLY, ts_us);
		/* A line that is no valid reply still answers the waiting
		 * command (badly); leaving it waiting would pair every later
		 * reply with the wrong command. */
		if (s->confirmed && s->saw_greeting && pending_head(s))
			answer_invalid(s, ts_us);
		break;
	case FST_REPLY_MORE:
		/* FEAT lists one feature per continuation line. */
		if (a->code == 211 && a->lines > 1 && pending_head(s) &&
		    pending_head(s)->verb == FST_VERB_FEAT)
			add_feature(s, line, len);
		break;
	case FST_REPLY_DONE:
		if (!s->confirmed && a->code == 220 && strcasestr(a->text, "FTP"))
			session_confirm(s, ts_us);
		handle_reply(s, a, ts_us);
		reply_drop(s);
		break;
	}
}

static void handle_line(struct session *s, enum fst_tcp_dir dir, const char *line, size_t len,
			bool cut, int64_t ts_us)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (!s->confirmed)
		s->probe_lines++;
	if (dir == FST_DIR_CLIENT)
		handle_client_line(s, line, len, cut, ts_us);
	else
		handle_server_line(s, line, len, ts_us);
}

/* Appends one byte to the current line, growing the buffer up to the
 * maximum line length; past it the line is cut and flagged. */
static void reader_put(struct session *s, struct line_reader *r, char c, int64_t ts_us)
{
	size_t max = ftp_cfg(s->tracker)->max_line;

	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 128;
		char *grown;

		if (r->len >= max) {
			if (!r->overflow)
				anomaly(s, FST_ANOMALY_LINE_TOO_LONG, ts_us);
			r->overflow = true;
			return;
		}
		if (cap > max)
			cap = max;
		grown = realloc(r->buf, cap);
		if (!grown) {
			r->overflow = true;
			return;
		}
		account(s, cap - r->cap, 0);
		r->buf = grown;
		r->cap = cap;
	}
	r->buf[r->len++] = c;
}

/* Telnet (RFC 854) commands may appear on the control connection: IAC
 * IAC is a literal 0xff, IAC WILL/WONT/DO/DONT x is three bytes, any
 * other IAC x is two. */
enum {
	TELNET_DATA,
	TELNET_IAC,
	TELNET_OPTION
};

/* Feeds the line reader. plaintext: the bytes were decrypted, so the
 * TLS layer is not where they stop. */
static void reader_feed(struct session *s, enum fst_tcp_dir dir, const uint8_t *data, size_t len,
			int64_t ts_us, bool plaintext)
{
	struct line_reader *r = &s->lines[dir];
	size_t max = ftp_cfg(s->tracker)->max_line;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		/* A whole line in the segment, with no Telnet command in it,
		 * is parsed where it lies: most sessions then never need a
		 * line buffer. */
		if (r->len == 0 && !r->overflow && r->telnet_state == TELNET_DATA) {
			const uint8_t *end = memchr(data + i, '\n', len - i);
			size_t n = end ? (size_t)(end - (data + i)) : 0;

			if (end && n <= max && !memchr(data + i, 255, n)) {
				handle_line(s, dir, (const char *)data + i, n, false, ts_us);
				i += n;
				if (!plaintext && tls_active(s, dir))
					return;
				continue;
			}
		}
		switch (r->telnet_state) {
		case TELNET_IAC:
			r->telnet_state = (c >= 251 && c <= 254) ? TELNET_OPTION : TELNET_DATA;
			if (c == 255)
				reader_put(s, r, (char)c, ts_us);
			continue;
		case TELNET_OPTION:
			r->telnet_state = TELNET_DATA;
			continue;
		default:
			break;
		}
		if (c == 255) {
			r->telnet_state = TELNET_IAC;
			continue;
		}
		if (c != '\n') {
			reader_put(s, r, (char)c, ts_us);
			continue;
		}
		handle_line(s, dir, r->buf ? r->buf : "", r->len, r->overflow, ts_us);
		r->len = 0;
		r->overflow = false;
		/* After AUTH TLS is accepted the rest is ciphertext. */
		if (!plaintext && tls_active(s, dir))
			return;
	}
}

/* Bytes the capture lost: the current partial lines cannot be trusted. */
static void reader_reset(struct line_reader *r)
{
	r->len = 0;
	r->overflow = false;
	r->telnet_state = TELNET_DATA;
}

/* ---- session life ----------------------------------------------------- */

struct session *session_new(struct fst_ftp *ftp, const struct fst_tcp_flow *flow,
			    bool detected_by_greeting)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tracker = ftp;
	account(s, sizeof(*s), 0);
	s->pub.banner = s->pub.syst = s->pub.user_name = s->pub.type = s->pub.cwd = "";
	s->pub.banner_idle_s = -1;
	s->pub.features = "";
	s->pub.client_addr = flow->client_addr;
	s->pub.server_addr = flow->server_addr;
	s->pub.client_port = flow->client_port;
	s->pub.server_port = flow->server_port;
	s->pub.mid_stream = flow->mid_stream;
	s->pub.detected_by_greeting = detected_by_greeting;
	s->pub.start_us = s->pub.last_us = flow->first_ts_us;
	/* Picked up mid-stream: assume the login is behind us. */
	s->pub.state = flow->mid_stream ? FST_FTP_READY : FST_FTP_CONNECTED;
	s->saw_greeting = flow->mid_stream;
	s->open_transfer = SIZE_MAX;
	s->control.role = FLOW_CONTROL;
	s->control.session = s;
	s->control.transfer = SIZE_MAX;
	s->expect.session = s;
	update_turn(s);
	return s;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->holding)
		ftp_holding_remove(s->tracker, s->holding);
	free(s->lines[0].buf);
	free(s->lines[1].buf);
	free(s->pending);
	free(s->reply);
	free(s->pub.commands);
	free(s->pub.replies);
	free(s->pub.transfers);
	fst_tls_free(s->tls);
	text_free(s);
	ftp_account(s->tracker, 0, s->heap_bytes);
	free(s);
}

/* Replays what was recorded while the session was being recognised. */
void session_confirm(struct session *s, int64_t ts_us)
{
	size_t c = 0, r = 0;

	if (s->confirmed)
		return;
	s->confirmed = true;
	ftp_session_confirmed(s->tracker, s);
	emit_simple(s, FST_FTP_EV_SESSION_OPEN, ts_us, NULL);
	while (c < s->pub.command_count || r < s->pub.reply_count) {
		bool take_command = r >= s->pub.reply_count ||
				    (c < s->pub.command_count &&
				     s->pub.commands[c].ts_us <= s->pub.replies[r].ts_us);
		struct fst_ftp_event ev = { .session = &s->pub };

		if (take_command) {
			ev.kind = FST_FTP_EV_COMMAND;
			ev.command = &s->pub.commands[c];
			ev.ts_us = s->pub.commands[c++].ts_us;
		} else {
			ev.kind = FST_FTP_EV_REPLY;
			ev.reply = &s->pub.replies[r];
			ev.ts_us = s->pub.replies[r++].ts_us;
		}
		session_emit(s, &ev);
	}
}

/* Bytes of an encrypted control connection: TLS records until the
 * direction's TLS layer ends; what follows (a 421 after a close_notify,
 * a 500 OOPS after an alert, the cleartext after CCC) is FTP again.
 * Returns how many of the segment's bytes are not for the line reader. */
static size_t tls_data(struct session *s, const struct fst_tcp_event *ev)
{
	unsigned malformed;
	size_t records;

	if (!tls_active(s, ev->dir))
		return 0;
	/* Out of memory: opaque, as before the record layer existed. */
	if (!s->tls)
		return ev->data_caplen;
	if (!ev->payload_present) { /* cut by the snaplen: boundaries lost */
		fst_tls_lost(s->tls, (enum fst_tls_dir)ev->dir);
		return ev->data_caplen;
	}
	malformed = s->pub.tls->side[ev->dir].malformed;
	records = fst_tls_feed(s->tls, (enum fst_tls_dir)ev->dir, ev->data, ev->data_caplen,
			       ev->ts_us);
	if (s->pub.tls->side[ev->dir].malformed > malformed)
		anomaly(s, FST_ANOMALY_TLS_MALFORMED, ev->ts_us);
	return records;
}

static void forward_tcp(struct session *s, enum fst_channel channel, enum fst_side side,
			const struct fst_ftp_transfer *transfer, const struct fst_tcp_event *tev)
{
	struct fst_ftp_event ev = {
		.kind = FST_FTP_EV_TCP,
		.ts_us = tev->ts_us,
		.session = &s->pub,
		.channel = channel,
		.side = side,
		.tcp = tev,
		.transfer = transfer,
	};

	session_emit(s, &ev);
}

static enum fst_side control_side(enum fst_tcp_dir dir)
{
	return dir == FST_DIR_CLIENT ? FST_SIDE_CLIENT : FST_SIDE_SERVER;
}

/* Whether a session still on probation has shown it is not FTP. */
static bool probe_failed(const struct session *s)
{
	return !s->confirmed && (s->probe_lines >= PROBE_MAX_LINES || s->pub.anomalies > 0 ||
				 s->lines[0].overflow || s->lines[1].overflow);
}

/* Notes the newest packet of one of the session's connections; after
 * the session ended, a data connection still open moves its end. */
static void note_packet(struct session *s, const struct fst_tcp_flow *flow)
{
	if (flow->last_ts_us > s->last_packet_us)
		s->last_packet_us = flow->last_ts_us;
	if (s->closed && s->last_packet_us > s->pub.end_us)
		s->pub.end_us = s->last_packet_us;
}

/* A control record of an opaque session after a data connection closed
 * with a refusal's shape: the server's, soon enough, is probably its
 * refusal (vsftpd writes its 522 as it closes the data connection). */
static void decide_refusal(struct session *s, enum fst_side sender, int64_t ts_us)
{
	struct fst_ftp_transfer *t = transfer_at(s, s->refusal_transfer);

	if (!s->refusal_pending)
		return;
	s->refusal_pending = false;
	if (t && sender == FST_SIDE_SERVER && ts_us >= s->refusal_us &&
	    ts_us - s->refusal_us <= FST_FTP_TLS_REFUSAL_WINDOW_US)
		t->tls_refused_probably = true;
}

void session_control_data(struct session *s, const struct fst_tcp_event *ev)
{
	enum fst_side sender = control_side(ev->dir);

	session_deliver_held(s);
	s->pub.last_us = ev->ts_us;
	note_packet(s, ev->flow);
	forward_tcp(s, FST_CHANNEL_CONTROL, control_side(ev->dir), NULL, ev);
	switch (ev->kind) {
	case FST_TCP_EV_DATA: {
		size_t records = 0; /* leading bytes that are TLS, not text */

		s->last_sender = sender;
		/* Implicit FTPS: the client speaks first, and in TLS. */
		if (!s->saw_greeting && ev->dir == FST_DIR_CLIENT && !s->pub.encrypted &&
		    fst_tls_starts_client_hello(ev->data, ev->data_caplen))
			start_tls(s, FST_TLS_MODE_IMPLICIT, ev->ts_us);
		if (s->pub.encrypted) {
			if (sender == FST_SIDE_SERVER)
				s->tls_server_us = ev->ts_us;
			decide_refusal(s, sender, ev->ts_us);
			records = tls_data(s, ev);
			check_opaque(s, ev->ts_us);
			if (records >= ev->data_caplen) {
				update_turn(s);
				break;
			}
		}
		if (ev->data_caplen > records)
			reader_feed(s, ev->dir, ev->data + records, ev->data_caplen - records,
				    ev->ts_us, false);
		if (!ev->payload_present) { /* cut by the snaplen */
			reader_reset(&s->lines[ev->dir]);
			reply_drop(s);
		}
		if (s->pub.encrypted)
			update_turn(s);
		break;
	}
	case FST_TCP_EV_GAP: {
		/* A reply begun before the loss (its line end lost): the
		 * server did answer. */
		bool partial = s->lines[ev->dir].len > 0 || s->reply;

		reader_reset(&s->lines[ev->dir]);
		if (s->tls && tls_active(s, ev->dir)) {
			fst_tls_lost(s->tls, (enum fst_tls_dir)ev->dir);
			check_opaque(s, ev->ts_us);
		}
		/* Replies to the waiting commands may be in the lost bytes;
		 * the next replies are checked against what each command
		 * can get (reply_fits) before they are paired. */
		if (ev->dir == FST_DIR_SERVER) {
			reply_drop(s);
			/* It answered the first waiting command (its code
			 * unseen), unless that one starts a transfer, whose
			 * 1xx it may have been. */
			if (partial && s->pending_count > 0 &&
			    pending_head(s)->transfer == SIZE_MAX)
				answer_invalid(s, ev->ts_us);
			s->replies_maybe_lost = s->pending_count > 0;
		}
		break;
	}
	default:
		break;
	}
}

bool session_rejected(const struct session *s)
{
	return probe_failed(s);
}

/* Whether a data flow so far holds only the connecting side's SYNs
 * (retransmitted ones have no event but are in the counters) and
 * nothing from the listener. More than SYNs from the connecting side
 * means the listener answered and the capture missed it: no failure. */
static bool only_syns(const struct fst_tcp_flow *flow)
{
	return flow->packets[FST_DIR_CLIENT] <= 1 + flow->retransmissions[FST_DIR_CLIENT] &&
	       flow->packets[FST_DIR_SERVER] == 0;
}

/* Tells t (data's transfer, NULL when it has none), or else the
 * session's unclaimed attempt, how far data's handshake got. */
static void publish_connect_to(struct session *s, const struct flow_ctx *data,
			       struct fst_ftp_transfer *t)
{
	if (t)
		t->data_connect = data->attempt.connect;
	else if (s->waiting_data == data)
		s->unclaimed.connect = data->attempt.connect;
}

static void publish_connect(struct session *s, const struct flow_ctx *data)
{
	publish_connect_to(s, data, transfer_at(s, data->transfer));
}

/* A download the server completed (226) after announcing its size in
 * the 150: what the capture did not show of its data connection (its
 * tail, or all of it when the capture held only the control port) is
 * missing from the capture. Its data connection must be over, or never
 * seen, so that no byte is counted twice. */
static void count_unseen_bytes(struct fst_ftp_transfer *t)
{
	uint64_t expected;

	if (t->outcome != FST_OUTCOME_COMPLETE || t->sender != FST_SIDE_SERVER ||
	    t->announced_bytes < 0 || (t->data_seen && !t->data_done))
		return;
	/* The 150 announces the whole file; after a REST it sends the rest. */
	if ((uint64_t)t->announced_bytes < t->rest_offset)
		return;
	expected = (uint64_t)t->announced_bytes - t->rest_offset;
	if (t->bytes >= expected)
		return;
	t->gap_bytes += expected - t->bytes;
	t->bytes = expected;
}

void session_control_close(struct session *s, const struct fst_tcp_event *ev)
{
	session_deliver_held(s);
	forward_tcp(s, FST_CHANNEL_CONTROL, control_side(ev->dir), NULL, ev);
	if (s->closed)
		return;
	/* The session's last packet, not the end of the capture (a flow
	 * still open then is closed at the capture's last packet). */
	note_packet(s, ev->flow);
	s->pub.end_us = s->last_packet_us;
	if (s->reply)
		anomaly(s, FST_ANOMALY_UNTERMINATED_REPLY, ev->ts_us);
	for (size_t i = 0; i < s->pub.transfer_count; i++) {
		struct fst_ftp_transfer *t = &s->pub.transfers[i];

		if (t->outcome == FST_OUTCOME_PENDING) {
			if (!t->data_done)
				t->control_ended_first = true;
			end_transfer(s, i, FST_OUTCOME_UNKNOWN, 0, ev->ts_us);
		}
		count_unseen_bytes(t);
	}
	ftp_unexpect(s->tracker, s);
	/* Data connections still in their handshake when control ends:
	 * their counters tell whether the capture only missed the answer. */
	while (s->connecting) {
		struct flow_ctx *data = s->connecting;

		s->connecting = data->next_connecting;
		data->connecting = false;
		if (!only_syns(data->flow)) {
			data->attempt.connect = FST_CONNECT_OPENED;
			publish_connect(s, data);
		}
	}
	/* A capture that ended (or a flow evicted) leaves the session in
	 * the state it was in: it did not close on the wire. */
	if (ev->close_reason == FST_TCP_CLOSE_FIN || ev->close_reason == FST_TCP_CLOSE_RST) {
		set_state(s, FST_FTP_CLOSED, ev->ts_us);
		update_turn(s);
	}
	emit_simple(s, FST_FTP_EV_SESSION_CLOSE, ev->ts_us, NULL);
	s->closed = true;
}

/* ---- data connections ------------------------------------------------- */

void session_attach_data(struct session *s, struct flow_ctx *data)
{
	size_t index = s->open_transfer;
	struct fst_ftp_transfer *t = transfer_at(s, index);

	session_deliver_held(s);
	if (!t || t->data_seen) {
		s->waiting_data = data;
		s->unclaimed = data->attempt;
		return;
	}
	t->data_seen = true;
	t->data_connect = data->attempt.connect;
	t->nat_address = data->nat_address;
	t->data_client_addr = data->flow->client_addr;
	t->data_client_port = data->flow->client_port;
	t->data_server_addr = data->flow->server_addr;
	t->data_server_port = data->flow->server_port;
	data->transfer = index;
}

/* A data connection opens right after the server's reply to PASV (or
 * the client's PORT): seconds are plenty. */
#define FTP_TLS_DATA_WINDOW_US (3 * FST_US_PER_SEC)

enum fst_transfer_mode session_tls_data_mode(const struct session *s,
					     const struct fst_tcp_flow *flow, int64_t now_us)
{
	const struct fst_ftp_session *p = &s->pub;

	if (!p->opaque || !s->confirmed || s->closed || !s->tls_server_us ||
	    now_us < s->tls_server_us || now_us - s->tls_server_us > FTP_TLS_DATA_WINDOW_US)
		return FST_MODE_UNKNOWN;
	if (fst_addr_equal(&flow->client_addr, &p->client_addr) &&
	    fst_addr_equal(&flow->server_addr, &p->server_addr))
		return FST_MODE_PASSIVE;
	if (fst_addr_equal(&flow->client_addr, &p->server_addr) &&
	    fst_addr_equal(&flow->server_addr, &p->client_addr))
		return FST_MODE_ACTIVE;
	return FST_MODE_UNKNOWN;
}

void session_attach_tls_data(struct session *s, struct flow_ctx *data)
{
	struct fst_ftp_transfer *t;
	size_t index = s->pub.transfer_count;

	if (!reserve(s, RECORDS_TRANSFERS, (void **)&s->pub.transfers, s->pub.transfer_count,
		     sizeof(*s->pub.transfers), &s->pub.transfers_dropped)) {
		s->waiting_data = data;
		s->unclaimed = data->attempt;
		return;
	}
	t = &s->pub.transfers[index];
	memset(t, 0, sizeof(*t));
	t->id = index + 1;
	t->verb = FST_VERB_UNKNOWN;
	t->file = "";
	t->mode = data->attempt.mode;
	t->sender = FST_SIDE_NONE;
	t->command_ts_us = data->attempt.syn_us;
	t->announced_bytes = -1;
	t->outcome = FST_OUTCOME_PENDING;
	t->by_timing = true;
	s->pub.transfer_count++;
	s->open_transfer = index;
	session_attach_data(s, data);
}

/* The transfer a claimed orphan carried: its bytes are the sequence
 * span TCP saw from the sender (the handshake and the first bytes may
 * be missing), its command unknown. Which end is the FTP server: the one
 * with the server's address; on one host (both addresses the same) the
 * TCP server, as in passive mode. Takes o (frees it); its flow, if still
 * open, becomes a data connection of the transfer. */
void session_adopt_orphan(struct session *s, struct orphan *o, int code, int64_t ts_us)
{
	bool passive = fst_addr_equal(&o->server_addr, &s->pub.server_addr);
	enum fst_side side_of_dir[2] = {
		[FST_DIR_CLIENT] = passive ? FST_SIDE_CLIENT : FST_SIDE_SERVER,
		[FST_DIR_SERVER] = passive ? FST_SIDE_SERVER : FST_SIDE_CLIENT,
	};
	enum fst_tcp_dir sdir = o->bytes[FST_DIR_SERVER] >= o->bytes[FST_DIR_CLIENT] ?
					FST_DIR_SERVER :
					FST_DIR_CLIENT;
	size_t index = s->pub.transfer_count;
	struct fst_ftp_transfer *t;

	session_deliver_held(s);
	if (o->last_ts_us > s->last_packet_us)
		s->last_packet_us = o->last_ts_us;
	/* The session began with its data connection, before the capture
	 * showed anything of its control connection. */
	if (o->first_ts_us < s->pub.start_us)
		s->pub.start_us = o->first_ts_us;
	if (!reserve(s, RECORDS_TRANSFERS, (void **)&s->pub.transfers, s->pub.transfer_count,
		     sizeof(*s->pub.transfers), &s->pub.transfers_dropped)) {
		index = SIZE_MAX; /* past the cap: the flow is the session's all the same */
		goto out_take_flow;
	}
	t = &s->pub.transfers[index];
	memset(t, 0, sizeof(*t));
	t->id = index + 1;
	t->verb = FST_VERB_UNKNOWN;
	t->file = "";
	t->mode = FST_MODE_UNKNOWN;
	t->sender = side_of_dir[sdir];
	t->bytes = o->bytes[sdir];
	t->gap_bytes = o->gap_bytes[sdir];
	t->announced_bytes = -1;
	t->start_us = o->first_data_us[sdir];
	t->end_us = o->last_data_us[sdir];
	t->outcome = code < 300 ? FST_OUTCOME_COMPLETE : FST_OUTCOME_FAILED;
	t->reply_code = code;
	if (o->closed_seen) {
		t->closed_by = side_of_dir[o->closed_dir];
		t->closed_by_rst = o->closed_rst;
	}
	t->data_seen = true;
	t->data_connect = FST_CONNECT_OPENED; /* it carried bytes */
	t->data_done = !o->ctx || o->closed_seen;
	t->data_client_addr = o->client_addr;
	t->data_client_port = o->client_port;
	t->data_server_addr = o->server_addr;
	t->data_server_port = o->server_port;
	s->pub.transfer_count++;
	if (t->start_us)
		emit_simple(s, FST_FTP_EV_TRANSFER_START, ts_us, t);
	emit_simple(s, FST_FTP_EV_TRANSFER_END, ts_us, t);
out_take_flow:
	if (o->ctx) {
		struct flow_ctx *data = o->ctx;

		data->role = FLOW_DATA;
		data->session = s;
		data->transfer = index;
		data->side_of_dir[FST_DIR_CLIENT] = side_of_dir[FST_DIR_CLIENT];
		data->side_of_dir[FST_DIR_SERVER] = side_of_dir[FST_DIR_SERVER];
		data->closed_seen = o->closed_seen;
		data->attempt.connect = FST_CONNECT_OPENED;
		data->orphan = NULL;
		s->open_data_flows++;
	}
	free(o);
}

/* How far a data connection's handshake got after ev. The connecting
 * side is the TCP client; retransmitted SYNs have no event, but they
 * are in the flow's counters. */
static void follow_handshake(struct flow_ctx *data, const struct fst_tcp_event *ev)
{
	struct fst_ftp_data_attempt *a = &data->attempt;
	const struct fst_tcp_flow *flow = ev->flow;

	if (a->connect != FST_CONNECT_UNANSWERED)
		return;
	switch (ev->kind) {
	case FST_TCP_EV_OPEN:
		if (ev->dir == FST_DIR_SERVER) /* the SYN-ACK */
			a->connect = FST_CONNECT_OPENED;
		break;
	case FST_TCP_EV_RST:
		/* The listener refused; the connecting side's own reset
		 * only gives its attempt up. */
		if (ev->dir == FST_DIR_SERVER)
			a->connect = FST_CONNECT_REFUSED;
		break;
	case FST_TCP_EV_CLOSE:
		if (ev->close_reason != FST_TCP_CLOSE_RST && !only_syns(flow))
			a->connect = FST_CONNECT_OPENED;
		break;
	case FST_TCP_EV_DATA:
	case FST_TCP_EV_GAP:
	case FST_TCP_EV_FIN:
	case FST_TCP_EV_ZERO_WINDOW:
	case FST_TCP_EV_WINDOW_OPEN:
	case FST_TCP_EV_KEEPALIVE:
	case FST_TCP_EV_RETRANSMIT:
	case FST_TCP_EV_COUNT:
		/* Bytes, a FIN, a window: more than an attempt. */
		a->connect = FST_CONNECT_OPENED;
		break;
	}
}

/* Whether a data connection's records so far have the shape of one the
 * server refused once its handshake was done (see tls_refused_probably
 * in ftp.h): no resumption, then nothing but session tickets (TLS 1.3
 * only; TLS 1.2 sends them in the handshake) and at most one
 * alert-sized record each way. */
static bool refusal_shape(const struct fst_tls_info *info)
{
	const struct fst_tls_side_info *client = &info->side[FST_TLS_FROM_CLIENT];
	const struct fst_tls_side_info *server = &info->side[FST_TLS_FROM_SERVER];
	uint64_t tickets = server->late_records - server->short_late_records;

	return info->server_hello && !info->resumed &&
	       client->late_records == client->short_late_records &&
	       client->short_late_records <= 1 && server->short_late_records <= 1 &&
	       tickets <= (info->version >= FST_TLS_VERSION_13 ? FST_FTP_TLS_TICKETS_MAX : 0) &&
	       (!tickets || server->late_max_body <= FST_FTP_TLS_TICKET_BODY_MAX);
}

/* A data connection matched by timing: its TLS hellos say whether it
 * resumed a session (RFC 4217: the FTP client is the TLS client in both
 * modes). Once they are read, or cannot be, its payload is no longer
 * wanted, unless it did not resume and may yet be refused (refusal_shape,
 * decided at its close by note_refusal): then its records are counted
 * until it carries more than such a connection does. */
static void data_tls_bytes(struct flow_ctx *data, struct fst_ftp_transfer *t,
			   const struct fst_tcp_event *ev) __attribute__((cold, noinline));
static void data_tls_bytes(struct flow_ctx *data, struct fst_ftp_transfer *t,
			   const struct fst_tcp_event *ev)
{
	enum fst_tls_dir dir = data->side_of_dir[ev->dir] == FST_SIDE_CLIENT ? FST_TLS_FROM_CLIENT :
									       FST_TLS_FROM_SERVER;
	const struct fst_tls_info *info = fst_tls_info(data->tls);

	if (ev->kind == FST_TCP_EV_GAP || !ev->payload_present)
		fst_tls_lost(data->tls, dir);
	else
		fst_tls_feed(data->tls, dir, ev->data, ev->data_caplen, ev->ts_us);
	if (!info->server_hello && !info->side[dir].lost && !info->side[dir].ended)
		return;
	if (t) {
		t->tls_seen = info->server_hello;
		t->tls_resumed = info->resumed;
	}
	if (t && !info->side[dir].lost && !info->side[dir].ended && refusal_shape(info))
		return;
	fst_tls_free(data->tls);
	data->tls = NULL;
	fst_tcp_flow_set_payload(ev->flow, false);
}

/* The first FIN or reset of a data connection whose records are still
 * read (data_tls_bytes): if they show a refusal's shape and it came
 * right after them, the server's next control record decides
 * (decide_refusal). Nothing more of it is read. */
static void note_refusal(struct session *s, struct flow_ctx *data, const struct fst_tcp_event *ev)
{
	const struct fst_tls_info *info = fst_tls_info(data->tls);
	int64_t last_us = info->side[FST_TLS_FROM_CLIENT].last_record_us;

	if (info->side[FST_TLS_FROM_SERVER].last_record_us > last_us)
		last_us = info->side[FST_TLS_FROM_SERVER].last_record_us;
	/* Right after its records: a connection left idle until a timer
	 * closed it (vsftpd's data_connection_timeout) is no refusal. */
	if (info->handshake_done && refusal_shape(info) &&
	    ev->ts_us - last_us <= FST_FTP_TLS_REFUSAL_WINDOW_US) {
		s->refusal_pending = true;
		s->refusal_transfer = data->transfer;
		s->refusal_us = ev->ts_us;
	}
	fst_tls_free(data->tls);
	data->tls = NULL;
	fst_tcp_flow_set_payload(ev->flow, false);
}

/* A decrypted data connection's plaintext: the sender's counts. */
static void data_plaintext(void *ctx, enum fst_tls_dir dir, const uint8_t *data, size_t len,
			   int64_t ts_us)
{
	struct data_flow *d = ctx;
	const struct fst_ftp_transfer *t = transfer_at(d->ctx.session, d->ctx.transfer);
	enum fst_tls_dir sender;

	(void)data;
	(void)ts_us;
	if (!t || t->sender == FST_SIDE_NONE)
		return;
	sender = t->sender == FST_SIDE_CLIENT ? FST_TLS_FROM_CLIENT : FST_TLS_FROM_SERVER;
	if (dir == sender)
		d->plain_bytes += len;
}

/* Whether data's record layer decrypts (session_decrypt_data), not
 * only reads the hellos of a data connection matched by timing. */
static bool data_decrypting(const struct flow_ctx *data)
{
	return data->tls && fst_tls_info(data->tls)->decrypt != FST_TLS_DECRYPT_NONE;
}

bool session_decrypt_data(struct session *s, struct flow_ctx *data)
{
	struct fst_tls_keylog *keylog = ftp_cfg(s->tracker)->tls_keylog;

	if (!keylog || !s->pub.encrypted || s->pub.opaque || data->tls)
		return false;
	data->tls = fst_tls_new();
	if (!data->tls)
		return false;
	fst_tls_set_decryption(data->tls, keylog, data_plaintext, data);
	return true;
}

/* A data connection of a decrypted session: both ways go through its
 * record layer (the hellos come from both), and the sender's plaintext
 * is what its transfer counts. A data connection that does not open
 * with a ClientHello is in the clear (PROT C). Returns the bytes the
 * segment adds to the transfer. */
static uint64_t data_decrypt(struct flow_ctx *data, const struct fst_tcp_event *ev)
	__attribute__((cold, noinline));
static uint64_t data_decrypt(struct flow_ctx *data, const struct fst_tcp_event *ev)
{
	struct data_flow *d = (struct data_flow *)data;
	enum fst_tls_dir dir = data->side_of_dir[ev->dir] == FST_SIDE_CLIENT ? FST_TLS_FROM_CLIENT :
									       FST_TLS_FROM_SERVER;
	const struct fst_tls_info *info = fst_tls_info(data->tls);

	if (ev->kind == FST_TCP_EV_DATA && !info->client_hello && ev->payload_present &&
	    !fst_tls_starts_client_hello(ev->data, ev->data_caplen)) {
		fst_tls_free(data->tls);
		data->tls = NULL;
		fst_tcp_flow_set_payload(ev->flow, false);
		return ev->len;
	}
	d->plain_bytes = 0;
	if (ev->kind == FST_TCP_EV_GAP || !ev->payload_present)
		fst_tls_lost(data->tls, dir);
	else
		fst_tls_feed(data->tls, dir, ev->data, ev->data_caplen, ev->ts_us);
	/* The handshake carries no file bytes; a connection that cannot be
	 * decrypted counts its records, as without keys. */
	if (info->decrypt != FST_TLS_DECRYPT_ON && info->decrypt != FST_TLS_DECRYPT_WAITING)
		return ev->len;
	return d->plain_bytes;
}

/* Data segments, held back (cfg.data_pause_us): a transfer's data counts
 * only in bytes and times, and the next pause, or any other event of its
 * session, comes soon enough to deliver them. Called for a segment of
 * the sender whose transfer has started, on a connection that is open:
 * the rest of session_data_event would change nothing but the counts. */
static void hold_data(struct session *s, struct data_flow *d, const struct fst_tcp_event *ev)
{
	struct fst_ftp_transfer *t = transfer_at(s, d->ctx.transfer);

	note_packet(s, ev->flow);
	t->bytes += ev->len;
	t->end_us = ev->ts_us;
	d->held_us = ev->ts_us;
	d->held_bytes += ev->len;
	d->held_segments++;
}

/* After a segment was delivered: hold back the ones that follow it, when
 * hold_data may take them (see there) and the consumer wants it. */
static void start_holding(struct session *s, struct flow_ctx *data, const struct fst_tcp_event *ev)
{
	/* Every FLOW_DATA context is a data_flow (data_flow_new). */
	struct data_flow *d = (struct data_flow *)data;

	if (ftp_cfg(s->tracker)->data_pause_us <= 0 || !s->confirmed || s->closed ||
	    data->attempt.connect != FST_CONNECT_OPENED || data->connecting || data->tls)
		return;
	s->holding = d;
	ftp_holding_add(s->tracker, d);
	d->delivered_us = ev->ts_us;
	d->held_us = ev->ts_us;
	d->held_bytes = 0;
	d->held_segments = 0;
	d->held_dir = ev->dir;
	d->held_flow = ev->flow;
}

void session_deliver_held(struct session *s)
{
	struct data_flow *d = s->holding;
	struct fst_tcp_event tev;

	if (!d)
		return;
	s->holding = NULL;
	ftp_holding_remove(s->tracker, d);
	if (!d->held_segments)
		return;
	/* The newest held segment stands for them all: each came less than
	 * data_pause_us after the one delivered before it. */
	tev = (struct fst_tcp_event){
		.kind = FST_TCP_EV_DATA,
		.ts_us = d->held_us,
		.flow = d->held_flow,
		.dir = d->held_dir,
		.len = d->held_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)d->held_bytes,
	};
	forward_tcp(s, FST_CHANNEL_DATA, d->ctx.side_of_dir[d->held_dir],
		    transfer_at(s, d->ctx.transfer), &tev);
}

void session_data_event(struct session *s, struct flow_ctx *data, const struct fst_tcp_event *ev)
{
	struct data_flow *held = s->holding;
	struct fst_ftp_transfer *t;
	enum fst_side side;
	uint64_t added = ev->len; /* to the transfer's bytes */

	if (held == (struct data_flow *)data && ev->kind == FST_TCP_EV_DATA &&
	    ev->dir == held->held_dir &&
	    ev->ts_us - held->delivered_us < ftp_cfg(s->tracker)->data_pause_us) {
		hold_data(s, held, ev);
		return;
	}
	session_deliver_held(s);
	t = transfer_at(s, data->transfer);
	side = data->side_of_dir[ev->dir];
	note_packet(s, ev->flow);
	follow_handshake(data, ev);
	publish_connect_to(s, data, t); /* the handshake moves no transfer */
	if (data->attempt.connect == FST_CONNECT_UNANSWERED && ev->kind != FST_TCP_EV_CLOSE) {
		if (!data->connecting) {
			data->connecting = true;
			data->next_connecting = s->connecting;
			s->connecting = data;
		}
	} else if (data->connecting) {
		struct flow_ctx **pp = &s->connecting;

		while (*pp != data)
			pp = &(*pp)->next_connecting;
		*pp = data->next_connecting;
		data->connecting = false;
	}
	if (ev->kind == FST_TCP_EV_CLOSE && s->waiting_data == data)
		s->waiting_data = NULL;
	if (data_decrypting(data) && (ev->kind == FST_TCP_EV_DATA || ev->kind == FST_TCP_EV_GAP))
		added = data_decrypt(data, ev);
	if (!t) {
		forward_tcp(s, FST_CHANNEL_DATA, side, NULL, ev);
		return;
	}
	switch (ev->kind) {
	case FST_TCP_EV_DATA:
	case FST_TCP_EV_GAP:
		/* by_timing (FTPS): both ways count, the sender (NONE) being
		 * unknown, and the handshake is read until its hellos are. A
		 * plain transfer's sender never comes here. */
		if (side != t->sender) {
			if (!t->by_timing)
				break;
			if (data->tls)
				data_tls_bytes(data, t, ev);
		}
		if (data->tls && fst_tls_info(data->tls)->decrypt == FST_TLS_DECRYPT_ON)
			t->decrypted = true;
		t->bytes += added;
		if (ev->kind == FST_TCP_EV_GAP)
			t->gap_bytes += ev->len;
		if (!t->start_us) {
			t->start_us = ev->ts_us;
			t->end_us = ev->ts_us;
			emit_simple(s, FST_FTP_EV_TRANSFER_START, ev->ts_us, t);
		}
		t->end_us = ev->ts_us;
		break;
	case FST_TCP_EV_FIN:
	case FST_TCP_EV_RST:
		if (!data->closed_seen) {
			data->closed_seen = true;
			t->closed_by = side;
			t->closed_by_rst = ev->kind == FST_TCP_EV_RST;
			if (data->tls && t->by_timing)
				note_refusal(s, data, ev);
		}
		if (side == t->sender || ev->kind == FST_TCP_EV_RST || t->by_timing)
			t->data_done = true;
		break;
	case FST_TCP_EV_CLOSE:
		t->data_done = true;
		/* No reply will be read for it: it ends with its connection. */
		if (t->by_timing)
			end_transfer(s, data->transfer, FST_OUTCOME_UNKNOWN, 0, ev->ts_us);
		break;
	default:
		break;
	}
	forward_tcp(s, FST_CHANNEL_DATA, side, t, ev);
	/* Data only moves bytes; whose turn it is changes with the rest. */
	if (ev->kind != FST_TCP_EV_DATA && ev->kind != FST_TCP_EV_GAP)
		update_turn(s);
	else if (ev->kind == FST_TCP_EV_DATA && side == t->sender)
		start_holding(s, data, ev);
}

const char *fst_ftp_command_reply_text(const struct fst_ftp_session *session,
				       const struct fst_ftp_command_rec *command)
{
	if (command->reply_index >= session->reply_count)
		return "";
	return session->replies[command->reply_index].text;
}

bool fst_ftp_unclaimed_attempt(const struct fst_ftp_session *session,
			       struct fst_ftp_data_attempt *out)
{
	const struct session *s = (const struct session *)session;

	*out = s->unclaimed;
	return out->connect != FST_CONNECT_NONE;
}

void fst_ftp_control_counts(const struct fst_ftp_session *session, struct fst_ftp_conn_counts *out)
{
	*out = ((const struct session *)session)->control_counts;
}
