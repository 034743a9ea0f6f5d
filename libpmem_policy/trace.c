// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The trace format (docs/trace-format.md): a streaming line parser and the
 * canonical formatter.  One table of fields and one of event types drive
 * both, so a new field is one row and the two cannot disagree.
 */
#include "internal.h"
#include "pmem_policy/trace.h"

enum field_kind {
	K_HEX,		/* "0x" and 1..16 hex digits */
	K_DEC,		/* decimal digits */
	K_NAME,		/* one name of a list */
	K_FLAGS,	/* names of a list joined by '|', each a bit */
	K_PROT,		/* "rwx", '-' for a right not given */
};

/* Byte @i of string literal @k (0 past its end) at its little-endian place. */
#define WORD_BYTE(k, i) ((i) < sizeof(k) - 1 ? (uint64_t)(unsigned char)(k)[i] << (8 * (i)) : 0)
/* The first 8 bytes of string literal @k as a little-endian word. */
#define WORD8(k) (WORD_BYTE(k, 0) | WORD_BYTE(k, 1) | WORD_BYTE(k, 2) | WORD_BYTE(k, 3) | \
		  WORD_BYTE(k, 4) | WORD_BYTE(k, 5) | WORD_BYTE(k, 6) | WORD_BYTE(k, 7))

struct name_value {
	const char *name;
	uint32_t value;
	uint8_t len;			/* strlen(name) */
	uint64_t word;			/* WORD8(name) */
};

#define NV(n, v) { n, v, sizeof(n) - 1, WORD8(n) }
#define NV_END { NULL, 0, 0, 0 }
#define MAX_NAMES 7			/* the most names a list holds: reason_names */

struct field {
	const char *key;
	uint8_t keylen;			/* strlen(key): most keys differ in length */
	uint8_t kind;
	uint8_t offset;			/* in struct pmp_trace_event */
	uint8_t size;			/* 1, 2, 4 or 8 bytes */
	uint8_t page_aligned;		/* a byte address: 4 KiB aligned */
	uint64_t min, max;		/* K_HEX, K_DEC */
	const struct name_value *names;	/* K_NAME, K_FLAGS; ends with NULL */
	const char *missing;
	const char *bad;		/* a value of the right syntax but refused */
	uint64_t keyword;		/* "key=", its first 8 bytes as a little-endian word */
};

#define KEY_WORD(k) WORD8(k "=")

static const struct name_value level_names[] = {
	NV("4k", PMP_LEVEL_4K), NV("2m", PMP_LEVEL_2M), NV("1g", PMP_LEVEL_1G), NV_END,
};
static const struct name_value vm_type_names[] = {
	NV("default", PMP_VM_DEFAULT), NV("sev", PMP_VM_SEV), NV("snp", PMP_VM_SNP),
	NV("tdx", PMP_VM_TDX), NV_END,
};
static const struct name_value reason_names[] = {
	NV("mmu-notifier", PMP_ZAP_MMU_NOTIFIER), NV("slot-move", PMP_ZAP_SLOT_MOVE),
	NV("slot-delete", PMP_ZAP_SLOT_DELETE), NV("recycle", PMP_ZAP_RECYCLE),
	NV("nx-toggle", PMP_ZAP_NX_TOGGLE), NV("dirty-log", PMP_ZAP_DIRTY_LOG),
	NV("teardown", PMP_ZAP_TEARDOWN), NV_END,
};
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == MAX_NAMES + 1,
	       "MAX_NAMES is the longest list");
static const struct name_value fault_flag_names[] = {
	NV("write", PMP_FAULT_WRITE), NV("exec", PMP_FAULT_EXEC),
	NV("private", PMP_FAULT_PRIVATE), NV_END,
};
static const struct name_value slot_flag_names[] = {
	NV("dirty-log", PMP_SLOT_DIRTY_LOG), NV("readonly", PMP_SLOT_READONLY),
	NV("guest-memfd", PMP_SLOT_GUEST_MEMFD), NV_END,
};
static const struct name_value to_names[] = {
	NV("shared", 0), NV("private", PMP_TR_PRIVATE), NV_END,
};
static const struct name_value state_names[] = {
	NV("off", 0), NV("on", PMP_TR_ON), NV_END,
};

enum field_id {
	F_GFN, F_NPAGES, F_LEVEL, F_SLOT, F_VCPU, F_VTL, F_FAULT_FLAGS, F_SLOT_FLAGS,
	F_UADDR, F_GMEM_OFFSET, F_TO, F_PROT, F_STATE, F_REASON, F_PERIODS, F_TYPE,
	F_GFN_END, F_VCPUS, F_VTLS, F_TIME, F_NR,
};

#define OFF(m) ((uint8_t)__builtin_offsetof(struct pmp_trace_event, m))
#define SZ(m) ((uint8_t)sizeof(((struct pmp_trace_event *)0)->m))
#define NUM(id, k, kind, m, al, lo, hi, bad) \
	[id] = { k, sizeof(k) - 1, kind, OFF(m), SZ(m), al, lo, hi, NULL, "missing field " k, bad, \
		 KEY_WORD(k) }
#define NAMED(id, k, kind, m, list, bad) \
	[id] = { k, sizeof(k) - 1, kind, OFF(m), SZ(m), 0, 0, 0, list, "missing field " k, bad, \
		 KEY_WORD(k) }

static const struct field fields[F_NR] = {
	NUM(F_GFN, "gfn", K_HEX, gfn, 0, 0, PMP_TRACE_GFN_LIMIT - 1,
	    "gfn out of range (at most 0xffffffffff)"),
	NUM(F_NPAGES, "npages", K_HEX, npages, 0, 1, PMP_TRACE_GFN_LIMIT,
	    "npages out of range (0x1 to 0x10000000000)"),
	NAMED(F_LEVEL, "level", K_NAME, level, level_names,
	      "bad level (expected 4k, 2m or 1g)"),
	NUM(F_SLOT, "slot", K_DEC, slot, 0, 0, 0xffffffffULL,
	    "slot out of range (0 to 4294967295)"),
	NUM(F_VCPU, "vcpu", K_DEC, vcpu, 0, 0, 4095, "vcpu out of range (0 to 4095)"),
	NUM(F_VTL, "vtl", K_DEC, vtl, 0, 0, PMP_MAX_VTLS - 1, "vtl out of range (0 to 2)"),
	NAMED(F_FAULT_FLAGS, "flags", K_FLAGS, flags, fault_flag_names,
	      "bad fault flags (expected write, exec, private joined by '|')"),
	NAMED(F_SLOT_FLAGS, "flags", K_FLAGS, flags, slot_flag_names,
	      "bad slot flags (expected dirty-log, readonly, guest-memfd joined by '|')"),
	NUM(F_UADDR, "uaddr", K_HEX, uaddr, 1, 0, ~0ULL, "uaddr not 4 KiB aligned"),
	NUM(F_GMEM_OFFSET, "gmem_offset", K_HEX, gmem_offset, 1, 0, ~0ULL,
	    "gmem_offset not 4 KiB aligned"),
	NAMED(F_TO, "to", K_NAME, flags, to_names, "bad value for to (expected private or shared)"),
	[F_PROT] = { "prot", 4, K_PROT, OFF(prot), SZ(prot), 0, 0, 0, NULL, "missing field prot",
		     "bad prot (expected r or -, w or -, x or -, as in r-x)", KEY_WORD("prot") },
	NAMED(F_STATE, "state", K_NAME, flags, state_names,
	      "bad value for state (expected on or off)"),
	NAMED(F_REASON, "reason", K_NAME, reason, reason_names,
	      "bad zap reason (expected mmu-notifier, slot-move, slot-delete, recycle, "
	      "nx-toggle, dirty-log or teardown)"),
	NUM(F_PERIODS, "periods", K_DEC, npages, 0, 1, 0xffffffffULL,
	    "periods out of range (1 to 4294967295)"),
	NAMED(F_TYPE, "type", K_NAME, vm_type, vm_type_names,
	      "bad vm type (expected default, sev, snp or tdx)"),
	NUM(F_GFN_END, "gfn_end", K_HEX, gfn_end, 0, 1, PMP_TRACE_GFN_LIMIT,
	    "gfn_end out of range (0x1 to 0x10000000000)"),
	NUM(F_VCPUS, "vcpus", K_DEC, nr_vcpus, 0, 1, 4096, "vcpus out of range (1 to 4096)"),
	NUM(F_VTLS, "vtls", K_DEC, nr_vtls, 0, 1, PMP_MAX_VTLS, "vtls out of range (1 to 3)"),
	NUM(F_TIME, "t", K_DEC, time, 0, 0, ~0ULL, "bad time"),
};

#define MAX_TYPE_FIELDS 7

/*
 * An event type: its keyword and its fields in the order the formatter
 * writes them; bit i of @optional marks fields[i] optional (0 when left
 * out).  The timestamp "t" is optional in every type and written last.
 */
struct event_type {
	const char *keyword;
	uint8_t kwlen;			/* strlen(keyword) */
	uint8_t nr;
	uint8_t optional;
	uint8_t fields[MAX_TYPE_FIELDS];
	uint64_t word;			/* WORD8(keyword) */
};

#define TYPE(t, kw, opt, ...) \
	[t] = { kw, sizeof(kw) - 1, sizeof((uint8_t[]){ __VA_ARGS__ }), opt, { __VA_ARGS__ }, \
		WORD8(kw) }

static const struct event_type types[PMP_TR_NR] = {
	TYPE(PMP_TR_VM, "vm", 0, F_TYPE, F_GFN_END, F_VCPUS, F_VTLS),
	TYPE(PMP_TR_SLOT_ADD, "slot-add", 0x30, F_SLOT, F_GFN, F_NPAGES, F_UADDR, F_GMEM_OFFSET,
	     F_SLOT_FLAGS),
	TYPE(PMP_TR_SLOT_DELETE, "slot-delete", 0, F_SLOT),
	TYPE(PMP_TR_SLOT_MOVE, "slot-move", 0, F_SLOT, F_GFN),
	TYPE(PMP_TR_FAULT, "fault", 0x38, F_GFN, F_LEVEL, F_SLOT, F_VCPU, F_VTL, F_FAULT_FLAGS),
	TYPE(PMP_TR_SPTE, "spte", 0, F_GFN, F_LEVEL),
	TYPE(PMP_TR_CONVERT, "convert", 0, F_GFN, F_NPAGES, F_TO),
	TYPE(PMP_TR_PUNCH, "punch", 0, F_GFN, F_NPAGES),
	TYPE(PMP_TR_ACCEPT, "accept", 0, F_GFN, F_LEVEL),
	TYPE(PMP_TR_VTL_PROT, "vtl", 0, F_VTL, F_GFN, F_NPAGES, F_PROT),
	TYPE(PMP_TR_DIRTY_LOG, "dirty-log", 0, F_SLOT, F_STATE),
	TYPE(PMP_TR_ZAP, "zap", 0, F_GFN, F_NPAGES, F_REASON),
	TYPE(PMP_TR_TICK, "tick", 0, F_PERIODS),
	TYPE(PMP_TR_TEARDOWN, "teardown", 0),
};

#define TIME_BIT (1U << MAX_TYPE_FIELDS)

static const char header_line[] = "pmp-trace 1\n";
_Static_assert(PMP_TRACE_VERSION == 1, "header_line spells the version");

const char *pmp_trace_header(void)
{
	return header_line;
}

const char *pmp_trace_type_name(unsigned int type)
{
	return type < PMP_TR_NR ? types[type].keyword : "?";
}

/* ---- Field storage ---- */

static uint64_t load(const struct pmp_trace_event *ev, uint8_t offset, uint8_t size)
{
	const uint8_t *at = (const uint8_t *)ev + offset;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (size) {
	case 1:
		return *at;
	case 2:
		pmp_memcpy(&v16, at, 2);
		return v16;
	case 4:
		pmp_memcpy(&v32, at, 4);
		return v32;
	default:
		pmp_memcpy(&v64, at, 8);
		return v64;
	}
}

/* The caller has range-checked @v against the field. */
static inline PMP_FAST_INLINE void store(struct pmp_trace_event *ev, const struct field *f,
					 uint64_t v)
{
	uint8_t *at = (uint8_t *)ev + f->offset;
	uint32_t v32 = (uint32_t)v;
	uint16_t v16 = (uint16_t)v;

	switch (f->size) {
	case 1:
		*at = (uint8_t)v;
		break;
	case 2:
		pmp_memcpy(at, &v16, 2);
		break;
	case 4:
		pmp_memcpy(at, &v32, 4);
		break;
	default:
		pmp_memcpy(at, &v, 8);
	}
}

/* ---- Values ---- */

static const struct name_value *name_find(const struct name_value *list, const char *s,
					  size_t n)
{
	for (; list->name; list++)
		if (n && list->name[0] == s[0] && pmp_token_is(s, n, list->name))
			return list;
	return NULL;
}

static const char *name_of(const struct name_value *list, uint64_t v)
{
	for (; list->name; list++)
		if (list->value == v)
			return list->name;
	return NULL;
}

static uint32_t names_mask(const struct name_value *list)
{
	uint32_t m = 0;

	for (; list->name; list++)
		m |= list->value;
	return m;
}

static const char msg_bad_hex[] = "bad number (expected 0x and hex digits)";
static const char msg_bad_dec[] = "bad number (expected decimal digits)";
static const char msg_overflow[] = "number overflows 64 bits";

/*
 * Per byte: 1 + its value as a hex digit, 0 if it is none.  One load per
 * digit instead of three range tests: a trace is mostly hex numbers.
 */
static const uint8_t hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Per byte: its value as a hex digit, or 16 if it is none (the fast path's). */
#define HX(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : \
	       (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : 16)
#define HX4(c) HX(c), HX((c) + 1), HX((c) + 2), HX((c) + 3)
#define HX16(c) HX4(c), HX4((c) + 4), HX4((c) + 8), HX4((c) + 12)
static const uint8_t hex_digit[256] = {
	HX16(0x00), HX16(0x10), HX16(0x20), HX16(0x30), HX16(0x40), HX16(0x50), HX16(0x60),
	HX16(0x70), HX16(0x80), HX16(0x90), HX16(0xa0), HX16(0xb0), HX16(0xc0), HX16(0xd0),
	HX16(0xe0), HX16(0xf0),
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The number of @kind that starts at *@pos and ends at the next blank or
 * @n, read in one pass (a trace is mostly numbers: no token is scanned
 * twice); *@pos is left at its end.  NULL, or the first thing wrong with
 * it, in the order the characters come.
 */
static inline const char *number_scan(uint8_t kind, const char *s, size_t n, size_t *pos,
			       uint64_t *out)
{
	/* (2^64 - 1) / 10 and its remainder: v * 10 + d overflows past them */
	const uint64_t dec_max = 1844674407370955161ULL;
	size_t i = *pos, first;
	uint64_t v = 0;
	int d;

	if (kind == K_HEX) {
		if (i + 1 >= n || s[i] != '0' || s[i + 1] != 'x')
			return msg_bad_hex;
		for (i += 2, first = i; i < n; i++) {
			d = hex_value[(uint8_t)s[i]];
			if (!d) {
				if (is_blank(s[i]))
					break;
				return msg_bad_hex;
			}
			if (v >> 60)
				return msg_overflow;
			v = v << 4 | (uint64_t)(d - 1);
		}
		if (i == first)
			return msg_bad_hex;
	} else {
		for (first = i; i < n && !is_blank(s[i]); i++) {
			if (s[i] < '0' || s[i] > '9')
				return msg_bad_dec;
			d = s[i] - '0';
			if (v > dec_max || (v == dec_max && d > 5))
				return msg_overflow;
			v = v * 10 + (uint64_t)d;
		}
		if (i == first)
			return msg_bad_dec;
	}
	*pos = i;
	*out = v;
	return NULL;
}

static bool prot_parse(const char *s, size_t n, uint64_t *out)
{
	static const char rights[] = "rwx";
	unsigned int i;

	*out = 0;
	if (n != 3)
		return false;
	for (i = 0; i < 3; i++) {
		if (s[i] == rights[i])
			*out |= 1U << i;
		else if (s[i] != '-')
			return false;
	}
	return true;
}

/* Names of @f joined by '|': every piece must be a name. */
static bool flags_parse(const struct field *f, const char *s, size_t n, uint64_t *out)
{
	const struct name_value *nv;
	size_t start = 0, i;

	*out = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '|')
			continue;
		nv = name_find(f->names, s + start, i - start);
		if (!nv)
			return false;
		*out |= nv->value;
		start = i + 1;
	}
	return true;
}

/*
 * The value of field @f from *@pos to the next blank or @n; *@pos is left
 * at its end.  NULL, or what is wrong with it.
 */
static const char *value_parse(const struct field *f, const char *s, size_t n, size_t *pos,
			       uint64_t *out)
{
	const struct name_value *nv;
	size_t start = *pos, end;
	const char *msg;

	if (f->kind == K_HEX || f->kind == K_DEC) {
		msg = number_scan(f->kind, s, n, pos, out);
		if (msg)
			return msg;
		if (*out < f->min || *out > f->max || (f->page_aligned && (*out & 0xfff)))
			return f->bad;
		return NULL;
	}
	for (end = start; end < n && !is_blank(s[end]); end++)
		;
	*pos = end;
	switch (f->kind) {
	case K_NAME:
		nv = name_find(f->names, s + start, end - start);
		if (!nv)
			return f->bad;
		*out = nv->value;
		return NULL;
	case K_FLAGS:
		return flags_parse(f, s + start, end - start, out) ? NULL : f->bad;
	default:
		return prot_parse(s + start, end - start, out) ? NULL : f->bad;
	}
}

/* Is @v a value field @f can carry? (The formatter's side of value_parse.) */
static bool value_valid(const struct field *f, uint64_t v)
{
	switch (f->kind) {
	case K_HEX:
	case K_DEC:
		return v >= f->min && v <= f->max && !(f->page_aligned && (v & 0xfff));
	case K_NAME:
		return name_of(f->names, v) != NULL;
	case K_FLAGS:
		return !(v & ~(uint64_t)names_mask(f->names));
	default:
		return v <= PMP_PROT_RWX;
	}
}

/*
 * Rules across fields: a range ends by PMP_TRACE_GFN_LIMIT; an SPTE or an
 * accept names the first frame of its leaf.  Returns the message and sets
 * *@which to the field to blame, or returns NULL.
 */
static const char *cross_check(const struct pmp_trace_event *ev, unsigned int *which)
{
	const struct event_type *t = &types[ev->type];
	unsigned int i;

	/* the range test first: it rarely fails, and asking the type costs a loop */
	if (ev->npages > PMP_TRACE_GFN_LIMIT - ev->gfn) {
		for (i = 0; i < t->nr; i++) {
			if (t->fields[i] == F_NPAGES) {
				*which = F_NPAGES;
				return "range runs past the 52-bit guest physical space";
			}
		}
	}
	if ((ev->type == PMP_TR_SPTE || ev->type == PMP_TR_ACCEPT) &&
	    (ev->gfn & (PMP_LEVEL_PAGES(ev->level) - 1))) {
		*which = F_GFN;
		return "gfn not aligned to its level";
	}
	return NULL;
}

/* ---- Lines ---- */

static int fail(struct pmp_trace_parser *p, struct pmp_trace_error *err, size_t column,
		const char *message)
{
	p->failed = 1;
	if (err) {
		err->line = p->line;
		err->column = (uint32_t)column;
		err->pad = 0;
		err->message = message;
	}
	return -EINVAL;
}

/* The token starting at or after *@pos: [*@pos, *@end); false at the end. */
static bool next_token(const char *s, size_t n, size_t *pos, size_t *end)
{
	size_t i = *pos;

	while (i < n && is_blank(s[i]))
		i++;
	if (i == n)
		return false;
	*pos = i;
	while (i < n && !is_blank(s[i]))
		i++;
	*end = i;
	return true;
}

/* Why byte @c may not be in a line, or NULL: printable ASCII and tabs may. */
static const char *byte_refused(unsigned char c)
{
	if ((c >= 0x20 && c < 0x7f) || c == '\t')
		return NULL;
	if (!c)
		return "NUL byte";
	if (c == '\r')
		return "carriage return (lines end with a newline alone)";
	return c < 0x20 || c == 0x7f ? "control character" : "non-ASCII byte";
}

#define BYTES(b) ((uint64_t)(b) * 0x0101010101010101ULL)

/*
 * The first newline in [s, s + n), or n; *@bad is the offset of the first
 * byte before it that byte_refused(), or n if none.  Eight bytes a step:
 * a word with no byte below 0x20 (newline, tab, controls) and none at or
 * above 0x7f is plain text, and most words of a trace are.
 */
static size_t line_end(const char *s, size_t n, size_t *bad)
{
	size_t i = 0, j;

	*bad = n;
	for (;;) {
		uint64_t w = 0;

		for (; i + 8 <= n; i += 8) {
			pmp_memcpy(&w, s + i, 8);
			/* exact for "any byte < 0x20" (not for which), and for "any >= 0x7f" */
			if (((w - BYTES(0x20)) & ~w & BYTES(0x80)) |
			    ((((w & BYTES(0x7f)) + BYTES(0x01)) | w) & BYTES(0x80)))
				break;
		}
		/* the word that stopped the loop, or the tail, a byte at a time */
		for (j = i + 8 < n ? i + 8 : n; i < j; i++) {
			if (s[i] == '\n')
				return i;
			if (*bad == n && byte_refused((unsigned char)s[i]))
				*bad = i;
		}
		if (i == n)
			return n;
	}
}

/* "pmp-trace VERSION" with nothing after it; [0, *@pos) was the keyword. */
static int header_parse(struct pmp_trace_parser *p, const char *s, size_t n, size_t pos,
			struct pmp_trace_error *err)
{
	size_t end;
	uint64_t v;

	if (!next_token(s, n, &pos, &end) || s[pos] == '#')
		return fail(p, err, n + 1, "missing version after pmp-trace");
	end = pos;
	if (number_scan(K_DEC, s, n, &end, &v))
		return fail(p, err, pos + 1, "bad version number");
	if (v < 1 || v > PMP_TRACE_VERSION)
		return fail(p, err, pos + 1, "unsupported version (this library reads 1)");
	pos = end;
	if (next_token(s, n, &pos, &end) && s[pos] != '#')
		return fail(p, err, pos + 1, "trailing garbage after the header");
	p->version = (uint16_t)v;
	return 0;
}

/* Position of field @id in type @t, or -1. */
static int type_field_pos(const struct event_type *t, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (t->fields[i] == id)
			return (int)i;
	return -1;
}

/* Position in @t of the field keyed [s, s + n): 0..nr-1, MAX_TYPE_FIELDS for t, or -1. */
static int key_find(const struct event_type *t, const char *s, size_t n)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		const struct field *f = &fields[t->fields[i]];

		if (f->keylen == n && pmp_token_is(s, n, f->key))
			return (int)i;
	}
	return pmp_token_is(s, n, fields[F_TIME].key) ? MAX_TYPE_FIELDS : -1;
}

/*
 * Lines are mostly written in the formatter's order: is [s, s + n) the
 * key of field @next of @t, or of a later one (fields left out), or of t,
 * followed by '='?  Its position as key_find() gives it, or -1 when the
 * line says something else (key_find() then decides).
 */
static int key_expected(const struct event_type *t, int next, const char *s, size_t n)
{
	unsigned int i, j;

	for (i = (unsigned int)next; i <= t->nr; i++) {
		const struct field *f = &fields[i < t->nr ? t->fields[i] : F_TIME];

		if (f->keylen >= n || s[f->keylen] != '=' || s[0] != f->key[0])
			continue;
		for (j = 1; j < f->keylen && s[j] == f->key[j]; j++)
			;
		if (j == f->keylen)
			return i < t->nr ? (int)i : MAX_TYPE_FIELDS;
	}
	return -1;
}

/*
 * The key=value fields of an event of type @t from *@pos on, into @ev, in
 * one pass: each key is read up to its '=', each value up to its blank.
 * @cols receives the column of each field's value (for later blame).
 */
static int fields_parse(struct pmp_trace_parser *p, const struct event_type *t, const char *s,
			size_t n, size_t pos, struct pmp_trace_event *ev, uint8_t *cols,
			struct pmp_trace_error *err)
{
	uint32_t seen = 0, missing;
	const char *msg;
	size_t key;
	uint64_t v = 0;	/* set by value_parse() on success; the compiler cannot tell */
	int at, next = 0;

	for (;;) {
		const struct field *f;

		while (pos < n && is_blank(s[pos]))
			pos++;
		if (pos == n || s[pos] == '#')
			break;
		key = pos;
		at = key_expected(t, next, s + pos, n - pos);
		if (at >= 0) {
			pos += fields[at == MAX_TYPE_FIELDS ? F_TIME : t->fields[at]].keylen;
		} else {
			while (pos < n && s[pos] != '=' && !is_blank(s[pos]))
				pos++;
			if (pos == n || s[pos] != '=')
				return fail(p, err, key + 1, "expected key=value");
			at = key_find(t, s + key, pos - key);
			if (at < 0)
				return fail(p, err, key + 1, "unknown field for this event");
		}
		next = at + 1;
		if (seen & (1U << at))
			return fail(p, err, key + 1, "duplicate field");
		seen |= 1U << at;
		f = &fields[at == MAX_TYPE_FIELDS ? F_TIME : t->fields[at]];
		cols[at] = (uint8_t)++pos;	/* columns fit: lines are < 256 bytes */
		msg = value_parse(f, s, n, &pos, &v);
		if (msg)
			return fail(p, err, cols[at] + 1, msg);
		store(ev, f, v);
	}
	missing = ((1U << t->nr) - 1) & ~(uint32_t)t->optional & ~seen;
	if (missing)
		return fail(p, err, n + 1, fields[t->fields[__builtin_ctz(missing)]].missing);
	return 0;
}

/* An event line whose keyword, type @type, is [kw, after). */
static int event_parse(struct pmp_trace_parser *p, unsigned int type, const char *s,
		       size_t n, size_t kw, size_t after, struct pmp_trace_event *ev,
		       struct pmp_trace_error *err)
{
	const struct event_type *t = &types[type];
	uint8_t cols[MAX_TYPE_FIELDS + 1];
	unsigned int which = 0;
	const char *msg;
	int ret;

	if (p->ended)
		return fail(p, err, kw + 1, "event after teardown");
	if (!p->seen_vm && type != PMP_TR_VM)
		return fail(p, err, kw + 1, "missing vm line (the first event must be vm)");
	if (p->seen_vm && type == PMP_TR_VM)
		return fail(p, err, kw + 1, "duplicate vm line");
	pmp_memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	ret = fields_parse(p, t, s, n, after, ev, cols, err);
	if (ret)
		return ret;
	msg = cross_check(ev, &which);
	if (msg)
		return fail(p, err, (size_t)cols[type_field_pos(t, which)] + 1, msg);
	p->seen_vm = 1;
	p->ended = type == PMP_TR_TEARDOWN;
	return 1;
}

/*
 * One whole line, newline excluded, whose first refused byte is at @bad
 * (@n if none): 1 with @ev, 0 for no event, or -EINVAL.
 */
static int line_parse(struct pmp_trace_parser *p, const char *s, size_t n, size_t bad,
		      struct pmp_trace_event *ev, struct pmp_trace_error *err)
{
	size_t pos = 0, end;
	unsigned int type;

	if (bad < n)
		return fail(p, err, bad + 1, byte_refused((unsigned char)s[bad]));
	if (!next_token(s, n, &pos, &end) || s[pos] == '#')
		return 0;
	if (pmp_token_is(s + pos, end - pos, "pmp-trace")) {
		if (p->version)
			return fail(p, err, pos + 1, "header repeated");
		return header_parse(p, s, n, end, err);
	}
	if (!p->version)
		return fail(p, err, pos + 1, "event before header (expected pmp-trace 1)");
	for (type = 0; type < PMP_TR_NR; type++)
		if (types[type].kwlen == end - pos && pmp_token_is(s + pos, end - pos,
								   types[type].keyword))
			return event_parse(p, type, s, n, pos, end, ev, err);
	return fail(p, err, pos + 1, "unknown keyword");
}

/*
 * ---- The canonical line, in one pass ----
 *
 * Nearly every line a trace holds is one pmp_trace_format() wrote: its
 * keyword, then its fields in the formatter's order (optional ones left
 * out), one space apart, and its newline.  line_fast() reads such a line
 * straight from the caller's bytes, each byte once, with no line_end()
 * scan first.  It takes a line only when every byte is what a canonical
 * line holds and every value is one line_parse() takes as it is; anything
 * else (a comment, a tab, a field out of order, a bad value, a line not
 * ended in @data, the vm line, an event after teardown) returns 0 having
 * changed nothing but @ev, and line_parse() reads the line, so it gives
 * the same event, or the same message at the same column.
 */

/* The 8 bytes at @s as a little-endian word. */
static inline PMP_FAST_INLINE uint64_t word_at(const char *s)
{
	uint64_t w;

	pmp_memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/*
 * Does @s, whose first 8 bytes are @w, start with @str of @len bytes, whose
 * first 8 are @word?  At least @len bytes are there.
 */
static inline PMP_FAST_INLINE bool word_is(const char *s, uint64_t w, const char *str,
					   size_t len, uint64_t word)
{
	size_t i;

	if (len <= 8)
		return (w & (~0ULL >> (64 - 8 * len))) == word;
	if (w != word)
		return false;
	for (i = 8; i < len; i++)
		if (s[i] != str[i])
			return false;
	return true;
}

/*
 * The fast path reads a line in one of two ways.  @checked: every read is
 * tested against @n, the bytes there.  Unchecked: at least FAST_WINDOW
 * bytes are there, and no read goes past line offset PMP_TRACE_MAX_LINE
 * plus one field (a field starting past that offset, or a name, makes the
 * line a general one), so the bound tests go.  Each helper takes @checked
 * as a constant and is inlined, so each way has its own code.
 */
#define FAST_WINDOW (2 * (PMP_TRACE_MAX_LINE + 1))

/*
 * Does a value that ends at @i end its field: a space or the newline?
 * Unchecked, fast_fields() asks it of the byte anyway (a space before the
 * next key, or the newline), so the test goes.
 */
static inline PMP_FAST_INLINE bool fast_ends(const char *s, size_t n, size_t i, bool checked)
{
	return !checked || (i < n && (s[i] == ' ' || s[i] == '\n'));
}

/*
 * Does @s, 16 bytes or more, start with the keyword of type @type?  What
 * ends it is fast_fields()' to test: the space before the first field,
 * or the newline after the last (a line of a keyword and more letters
 * has neither there).  Inlined with a constant @type, its length and
 * word are constants.
 */
static inline PMP_FAST_INLINE bool keyword_is(const char *s, unsigned int type)
{
	const struct event_type *t = &types[type];

	return word_is(s, word_at(s), t->keyword, t->kwlen, t->word);
}

/*
 * The event type whose keyword starts @s, 16 bytes or more there
 * (keyword_is(): not yet what ends it); *@end is its end.  PMP_TR_NR if
 * none, and for vm (line_parse() reads the vm line: it checks its place).
 * The first bytes name the only keyword it can be (s[5] tells the three
 * slot-* apart), so one word comparison decides: no list is tried in turn.
 */
static unsigned int keyword_type(const char *s, size_t *end)
{
	unsigned int type;

	switch (s[0]) {
	case 'f':
		type = keyword_is(s, PMP_TR_FAULT) ? PMP_TR_FAULT : PMP_TR_NR;
		break;
	case 'a':
		type = keyword_is(s, PMP_TR_ACCEPT) ? PMP_TR_ACCEPT : PMP_TR_NR;
		break;
	case 'c':
		type = keyword_is(s, PMP_TR_CONVERT) ? PMP_TR_CONVERT : PMP_TR_NR;
		break;
	case 'p':
		type = keyword_is(s, PMP_TR_PUNCH) ? PMP_TR_PUNCH : PMP_TR_NR;
		break;
	case 'z':
		type = keyword_is(s, PMP_TR_ZAP) ? PMP_TR_ZAP : PMP_TR_NR;
		break;
	case 'd':
		type = keyword_is(s, PMP_TR_DIRTY_LOG) ? PMP_TR_DIRTY_LOG : PMP_TR_NR;
		break;
	case 'v':
		type = s[1] == 't' && keyword_is(s, PMP_TR_VTL_PROT) ? PMP_TR_VTL_PROT :
		       PMP_TR_NR;
		break;
	case 't':
		type = s[1] == 'i' ? PMP_TR_TICK : PMP_TR_TEARDOWN;
		type = keyword_is(s, type) ? type : PMP_TR_NR;
		break;
	case 's':
		type = s[1] == 'p' ? PMP_TR_SPTE : s[5] == 'a' ? PMP_TR_SLOT_ADD :
		       s[5] == 'd' ? PMP_TR_SLOT_DELETE : PMP_TR_SLOT_MOVE;
		type = keyword_is(s, type) ? type : PMP_TR_NR;
		break;
	default:
		return PMP_TR_NR;
	}
	*end = type < PMP_TR_NR ? types[type].kwlen : 0;
	return type;
}

/*
 * The hex digits that start @w (little-endian: its first byte first), as
 * the byte loop reads them but eight at a time: how many (0 to 8), and
 * their value in *@out.  Per byte, without a borrow across bytes: with its
 * top bit set, a 7-bit byte minus c keeps that bit exactly when it is >= c.
 */
static inline PMP_FAST_INLINE unsigned int hex_word(uint64_t w, uint64_t *out)
{
	const uint64_t top = BYTES(0x80);
	uint64_t low = (w & BYTES(0x7f)) | top, folded = low | BYTES(0x20);
	uint64_t digit = (low - BYTES('0')) & ~(low - BYTES('9' + 1));
	uint64_t letter = (folded - BYTES('a')) & ~(folded - BYTES('f' + 1)) & top;
	uint64_t stop = ~((digit | letter) & ~w) & top;	/* bytes that are no digit */
	unsigned int k = stop ? (unsigned int)__builtin_ctzll(stop) >> 3 : 8;
	uint64_t v;

	if (!k)
		return 0;
	/*
	 * Each digit's value in its byte, the first in the lowest; shifted up
	 * so that the k digits fill the top bytes and the bytes below read as
	 * leading zeros.  Then adjacent lanes are joined by a multiply, the
	 * lower lane (the earlier digits) the more significant: two digits a
	 * byte, four a 16-bit lane, eight the low 32 bits.  No lane carries
	 * into the next: each sum stays below its lane's limit.
	 */
	v = ((w & BYTES(0x0f)) + (letter >> 7) * 9) << (8 * (8 - k));
	v = (v * ((16 << 8) + 1)) >> 8;
	v = ((v & 0x00ff00ff00ff00ffULL) * ((256ULL << 16) + 1)) >> 16;
	*out = ((v & 0x0000ffff0000ffffULL) * ((65536ULL << 32) + 1)) >> 32;
	return k;
}

/*
 * The unchecked read of a hex number's digits at *@pos: at most 16 (16
 * bytes are there), as two words.  What ends them is fast_fields()' to test.
 * One digit followed by a byte below '0' (a space, the newline: a page
 * count of 0x1, a range's most common) is read as a byte: no byte below
 * '0' is a digit, so hex_word() would stop there too.
 */
static inline PMP_FAST_INLINE bool fast_hex_digits(const char *s, size_t *pos, uint64_t *out)
{
	uint64_t high, low = 0;
	unsigned int k, k2;

	if ((uint8_t)s[*pos + 1] < '0') {
		k = hex_digit[(uint8_t)s[*pos]];
		if (k > 15)
			return false;
		*pos += 1;
		*out = k;
		return true;
	}
	k = hex_word(word_at(s + *pos), &high);
	if (!k)
		return false;
	*pos += k;
	*out = high;
	if (k == 8) {
		k2 = hex_word(word_at(s + *pos), &low);
		*pos += k2;
		*out = high << (4 * k2) | low;
	}
	return true;
}

/*
 * A number of @kind at *@pos, ended by a space or the newline, of at most
 * 16 hex or 19 decimal digits (so it cannot overflow); false otherwise.
 */
static inline PMP_FAST_INLINE bool fast_number(uint8_t kind, const char *s, size_t n, size_t *pos,
					       uint64_t *out, bool checked)
{
	size_t i = *pos, first, lim;
	uint64_t v = 0;
	unsigned int d;

	if (kind == K_HEX) {
		if ((checked && i + 2 >= n) || s[i] != '0' || s[i + 1] != 'x')
			return false;
		*pos = i + 2;
		if (!checked)
			return fast_hex_digits(s, pos, out);
		first = i += 2;
		lim = n - i > 16 ? i + 16 : n;
		for (; i < lim; i++) {
			d = hex_digit[(uint8_t)s[i]];
			if (d > 15)
				break;
			v = v << 4 | (uint64_t)d;
		}
		if (i == first)
			return false;
	} else {
		lim = !checked || n - i > 19 ? i + 19 : n;
		/*
		 * A byte below '0' wraps far above 9: one test a digit.  The
		 * first digit, which a number must have, is read before the
		 * loop, so a one-digit number (most decimal fields) costs one
		 * test more and no count of digits.
		 */
		if (i == lim || (d = (unsigned int)(uint8_t)s[i] - '0') >= 10)
			return false;
		for (v = d, i++; i < lim && (d = (unsigned int)(uint8_t)s[i] - '0') < 10; i++)
			v = v * 10 + d;
	}
	if (!fast_ends(s, n, i, checked))
		return false;
	*pos = i;
	*out = v;
	return true;
}

/*
 * The names of @f (K_NAME: one; K_FLAGS: joined by '|') at *@pos, each
 * compared in place as a word, ended by a space or the newline.  A name
 * that is only a prefix of what is there fails (line_parse() decides).
 */
static inline PMP_FAST_INLINE bool fast_names(const struct field *f, const char *s, size_t n,
					      size_t *pos, uint64_t *out, bool checked)
{
	const struct name_value *nv;
	size_t i = *pos;
	uint64_t v = 0, w;
	unsigned int k;

	for (;;) {
		/* the longest name is 12 bytes: 16 leave room for what ends it */
		if (checked ? n - i < 16 : i > PMP_TRACE_MAX_LINE)
			return false;
		w = word_at(s + i);
		/* unrolled: with a constant @f, each name's length and word are constants */
#pragma GCC unroll 8
		for (k = 0; k < MAX_NAMES; k++) {
			nv = &f->names[k];
			if (!nv->name || word_is(s + i, w, nv->name, nv->len, nv->word))
				break;
		}
		if (k == MAX_NAMES || !nv->name)
			return false;
		i += nv->len;
		v |= nv->value;
		if (f->kind != K_FLAGS || s[i] != '|')
			break;
		i++;
	}
	if (!fast_ends(s, n, i, checked))
		return false;
	*pos = i;
	*out = v;
	return true;
}

/*
 * prot_parse() of the 3 bytes at @s: each a right or '-'.  Unrolled, each
 * byte a test and a branch: no right is held in a register past its byte.
 */
static inline PMP_FAST_INLINE bool fast_prot(const char *s, uint64_t *out)
{
	static const char rights[] = "rwx";
	unsigned int i, v = 0;

#pragma GCC unroll 3
	for (i = 0; i < 3; i++) {
		if (s[i] == rights[i])
			v |= 1U << i;
		else if (s[i] != '-')
			return false;
	}
	*out = v;
	return true;
}

/* The value of @f at *@pos, as value_parse() would give it without a message. */
static inline PMP_FAST_INLINE bool fast_value(const struct field *f, const char *s, size_t n,
					      size_t *pos, uint64_t *out, bool checked)
{
	switch (f->kind) {
	case K_HEX:
	case K_DEC:
		return fast_number(f->kind, s, n, pos, out, checked) && *out >= f->min &&
		       *out <= f->max && !(f->page_aligned && (*out & 0xfff));
	case K_NAME:
	case K_FLAGS:
		return fast_names(f, s, n, pos, out, checked);
	default:
		if (!fast_ends(s, n, *pos + 3, checked) || !fast_prot(s + *pos, out))
			return false;
		*pos += 3;
		return true;
	}
}

/*
 * Is "KEY=" of @f at @s, whose first 8 bytes are @w (little-endian)?  At
 * least f->keylen + 1 bytes are there.
 */
static inline PMP_FAST_INLINE bool fast_key(const struct field *f, const char *s, uint64_t w)
{
	size_t len = (size_t)f->keylen + 1, i;	/* with its '=' */

	if (len < 8)
		return (w & (~0ULL >> (64 - 8 * len))) == f->keyword;
	if (w != f->keyword)
		return false;
	for (i = 8; i < len - 1; i++)
		if (s[i] != f->key[i])
			return false;
	return s[len - 1] == '=';
}

/*
 * The fields of a canonical line of type @t from @pos, into @ev: the
 * position of its newline, or 0 (line_parse() reads the line).  Each
 * field's key is compared as a word with the one the type has next (an
 * optional field may be left out).  Inlined with a constant @t for the
 * common types, every field's key, kind and bounds are constants.
 */
static inline PMP_FAST_INLINE size_t fast_fields(const struct event_type *t, const char *s,
						 size_t n, size_t pos,
						 struct pmp_trace_event *ev, bool checked)
{
	uint64_t v, w = 0;
	unsigned int i;

#pragma GCC unroll 8
	for (i = 0; i <= MAX_TYPE_FIELDS; i++) {
		const struct field *f;

		if (i > t->nr)
			break;
		f = &fields[i < t->nr && i < MAX_TYPE_FIELDS ? t->fields[i] : F_TIME];
		/* " KEY=" and a value: the longest key is 12 bytes with its '=' */
		if (checked ? s[pos] == ' ' && n - pos < 16 : pos > PMP_TRACE_MAX_LINE)
			return 0;
		if (s[pos] == ' ')
			w = word_at(s + pos + 1);
		if (s[pos] != ' ' || !fast_key(f, s + pos + 1, w)) {
			if (i < t->nr && !(t->optional & (1U << i)))
				return 0;	/* missing, or not in order */
			continue;
		}
		pos += (size_t)f->keylen + 2;
		if (!fast_value(f, s, n, &pos, &v, checked))
			return 0;
		store(ev, f, v);
	}
	/* a line longer than PMP_TRACE_MAX_LINE is refused: line_parse() says so */
	return s[pos] == '\n' && pos <= PMP_TRACE_MAX_LINE ? pos : 0;
}

/* Does type @t have field @id?  With a constant @t, a constant. */
static inline PMP_FAST_INLINE bool type_has(const struct event_type *t, unsigned int id)
{
	unsigned int i;

#pragma GCC unroll 8
	for (i = 0; i < MAX_TYPE_FIELDS; i++)
		if (i < t->nr && t->fields[i] == id)
			return true;
	return false;
}

/*
 * cross_check() for type @t, with @ev's type @t: the tests of its type
 * only, which for a constant @t are one or two comparisons or none.
 */
static inline PMP_FAST_INLINE bool fast_cross(const struct event_type *t,
					      const struct pmp_trace_event *ev)
{
	if (type_has(t, F_NPAGES) && ev->npages > PMP_TRACE_GFN_LIMIT - ev->gfn)
		return false;
	return !((t == &types[PMP_TR_SPTE] || t == &types[PMP_TR_ACCEPT]) &&
		 (ev->gfn & (PMP_LEVEL_PAGES(ev->level) - 1)));
}

/* The unchecked read of a line of type @t, cross-checked: its newline, or 0. */
static inline PMP_FAST_INLINE size_t fast_type(const struct event_type *t, const char *s,
					       size_t n, size_t pos,
					       struct pmp_trace_event *ev)
{
	size_t end = fast_fields(t, s, n, pos, ev, false);

	return end && fast_cross(t, ev) ? end : 0;
}

/* Each a frame of its own, whatever the optimisation; all unchecked. */
static size_t fast_fault(const char *s, size_t n, size_t pos, struct pmp_trace_event *ev)
{
	return fast_type(&types[PMP_TR_FAULT], s, n, pos, ev);
}

static size_t fast_vtl(const char *s, size_t n, size_t pos, struct pmp_trace_event *ev)
{
	return fast_type(&types[PMP_TR_VTL_PROT], s, n, pos, ev);
}

static size_t fast_range(const char *s, size_t n, size_t pos, struct pmp_trace_event *ev)
{
	return ev->type == PMP_TR_CONVERT ? fast_type(&types[PMP_TR_CONVERT], s, n, pos, ev) :
	       ev->type == PMP_TR_PUNCH ? fast_type(&types[PMP_TR_PUNCH], s, n, pos, ev) :
	       fast_type(&types[PMP_TR_ACCEPT], s, n, pos, ev);
}

/* Any type, with @checked as given, then cross_check(). */
static size_t fast_other(const char *s, size_t n, size_t pos, struct pmp_trace_event *ev,
			 bool checked)
{
	unsigned int which;
	size_t end = checked ? fast_fields(&types[ev->type], s, n, pos, ev, true) :
		     fast_fields(&types[ev->type], s, n, pos, ev, false);

	return end && !cross_check(ev, &which) ? end : 0;
}

/*
 * The canonical line at the start of [s, s + n), 16 bytes or more: its
 * type with @ev and *@nl at its newline, or PMP_TR_NR (line_parse() reads
 * it).  The parser has a header and a vm line, no partial line, and has
 * not ended.  With FAST_WINDOW bytes or more there (all but the last lines
 * of a caller's buffer), the line is read unchecked, by the reader of its
 * type; else checked.
 */
static unsigned int line_fast(const char *s, size_t n, size_t *nl, struct pmp_trace_event *ev)
{
	unsigned int type;
	size_t pos = 0, end;

	type = keyword_type(s, &pos);
	if (type == PMP_TR_NR)
		return PMP_TR_NR;
	pmp_memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	if (n < FAST_WINDOW) {
		/* a longer line is refused: line_parse() */
		end = fast_other(s, n > PMP_TRACE_MAX_LINE + 1 ? PMP_TRACE_MAX_LINE + 1 : n, pos,
				 ev, true);
	} else {
		switch (type) {
		case PMP_TR_FAULT:
			end = fast_fault(s, n, pos, ev);
			break;
		case PMP_TR_VTL_PROT:
			end = fast_vtl(s, n, pos, ev);
			break;
		case PMP_TR_CONVERT:
		case PMP_TR_PUNCH:
		case PMP_TR_ACCEPT:
			end = fast_range(s, n, pos, ev);
			break;
		default:
			end = fast_other(s, n, pos, ev, false);
		}
	}
	if (!end)
		return PMP_TR_NR;
	*nl = end;
	return type;
}

void pmp_trace_parser_init(struct pmp_trace_parser *p)
{
	pmp_memset(p, 0, sizeof(*p));
	p->line = 1;
}

/* The end of input: a last line without its newline, then the trace's completeness. */
static int feed_eof(struct pmp_trace_parser *p, struct pmp_trace_event *ev,
		    struct pmp_trace_error *err)
{
	int ret;

	if (p->len) {
		size_t n = p->len, bad;

		p->len = 0;
		line_end(p->buf, n, &bad);
		ret = line_parse(p, p->buf, n, bad, ev, err);
		if (ret < 0)
			return ret;
		p->line++;
		if (ret)
			return ret;
	}
	if (p->at_eof)
		return 0;
	p->at_eof = 1;
	if (!p->version)
		return fail(p, err, 1, "no header (empty trace)");
	if (!p->seen_vm)
		return fail(p, err, 1, "missing vm line");
	return 0;
}

/*
 * The line at the start of [data, data + len), after what the parser holds
 * of it, read by line_parse(): 1 with @ev, 0 for no event, or -EINVAL;
 * *@took is what it took of @data, all of it when no newline is there yet
 * (the partial line is kept).  Out of line, so that pmp_trace_feed() keeps
 * its registers for line_fast(), which reads nearly every line.
 */
static __attribute__((__noinline__)) int line_general(struct pmp_trace_parser *p,
						      const char *data, size_t len, size_t *took,
						      struct pmp_trace_event *ev,
						      struct pmp_trace_error *err)
{
	size_t bad, nl = line_end(data, len, &bad), take = nl;
	int ret;

	if (take > PMP_TRACE_MAX_LINE - p->len)
		return fail(p, err, PMP_TRACE_MAX_LINE + 1, "line too long (more than 255 bytes)");
	if (nl == len) {
		/* No newline yet: keep the partial line for the next chunk. */
		pmp_memcpy(p->buf + p->len, data, take);
		p->len += (uint32_t)take;
		*took = len;
		return 0;
	}
	if (p->len) {
		pmp_memcpy(p->buf + p->len, data, take);
		take += p->len;
		p->len = 0;
		line_end(p->buf, take, &bad);
		ret = line_parse(p, p->buf, take, bad, ev, err);
	} else {
		/* The whole line is in @data: no copy. */
		ret = line_parse(p, data, take, bad, ev, err);
	}
	if (ret < 0)
		return ret;
	p->line++;
	*took = nl + 1;
	return ret;
}

int pmp_trace_feed_events(struct pmp_trace_parser *p, const char *data, size_t len, size_t *used,
			  struct pmp_trace_event *evs, unsigned int max,
			  struct pmp_trace_error *err)
{
	size_t pos = 0, nl, took;
	unsigned int nr = 0, type;
	bool fast;
	int ret;

	if (!p || !used || !evs || !max || max > 0x7fffffffU || (!data && len))
		return -EINVAL;
	*used = 0;
	if (p->failed)
		return fail(p, err, 1, "an earlier line was refused");
	if (!len)
		return feed_eof(p, evs, err);
	if (p->at_eof)
		return fail(p, err, 1, "data after the end of input");
	/*
	 * Canonical lines one after another, in this frame; the general reader
	 * only for the first event of a call, so the events are on consecutive
	 * lines (a comment or blank line is read before the first or after the
	 * last) and an error never follows an event of the same call.  @fast:
	 * line_fast() may read the next line (no partial line held, the vm line
	 * seen, no teardown yet), which only the lines read change.
	 */
	fast = !p->len && p->seen_vm && !p->ended;
	while (pos < len && nr < max) {
		if (fast && len - pos >= 16 &&
		    (type = line_fast(data + pos, len - pos, &nl, &evs[nr])) != PMP_TR_NR) {
			pos += nl + 1;
			nr++;
			if (type == PMP_TR_TEARDOWN) {
				p->ended = 1;
				fast = false;
			}
			continue;
		}
		if (nr)
			break;
		ret = line_general(p, data + pos, len - pos, &took, evs, err);
		if (ret < 0)
			return ret;
		pos += took;
		if (ret) {
			*used = pos;
			return ret;	/* line_general() counted its line */
		}
		fast = !p->len && p->seen_vm && !p->ended;
	}
	p->line += nr;	/* line_fast() read each on a line of its own */
	*used = pos;
	return (int)nr;
}

int pmp_trace_feed(struct pmp_trace_parser *p, const char *data, size_t len, size_t *used,
		   struct pmp_trace_event *ev, struct pmp_trace_error *err)
{
	return pmp_trace_feed_events(p, data, len, used, ev, 1, err);
}

/* ---- Formatting ---- */

struct out {
	char *buf;
	size_t size;
	size_t len;
};

/* Append, truncating; the final length says whether it all fit. */
static void put(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->buf[o->len] = s[i];
}

static void put_str(struct out *o, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	put(o, s, n);
}

static void put_number(struct out *o, uint64_t v, bool hex)
{
	char digits[20];
	unsigned int base = hex ? 16 : 10, i = sizeof(digits);

	do {
		digits[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (hex)
		put_str(o, "0x");
	put(o, digits + i, sizeof(digits) - i);
}

static void put_value(struct out *o, const struct field *f, uint64_t v)
{
	static const char rights[] = "rwx";
	const struct name_value *nv;
	bool first = true;
	unsigned int i;

	switch (f->kind) {
	case K_HEX:
	case K_DEC:
		put_number(o, v, f->kind == K_HEX);
		break;
	case K_NAME:
		put_str(o, name_of(f->names, v));
		break;
	case K_FLAGS:
		for (nv = f->names; nv->name; nv++) {
			if (!(v & nv->value))
				continue;
			if (!first)
				put(o, "|", 1);
			put_str(o, nv->name);
			first = false;
		}
		break;
	default:
		for (i = 0; i < 3; i++)
			put(o, v & (1U << i) ? &rights[i] : "-", 1);
	}
}

/* Does @ev hold only what a line of its type can say? */
static bool event_valid(const struct pmp_trace_event *ev)
{
	const struct event_type *t;
	unsigned int i, j, which;
	bool used;

	if (ev->type >= PMP_TR_NR || ev->pad || ev->pad2)
		return false;
	t = &types[ev->type];
	for (i = 0; i < t->nr; i++) {
		const struct field *f = &fields[t->fields[i]];

		if (!value_valid(f, load(ev, f->offset, f->size)))
			return false;
	}
	/* Storage no field of this type uses must be zero, or it would not round trip. */
	for (j = 0; j < F_NR; j++) {
		if (j == F_TIME)
			continue;
		used = false;
		for (i = 0; i < t->nr; i++)
			used |= fields[t->fields[i]].offset == fields[j].offset;
		if (!used && load(ev, fields[j].offset, fields[j].size))
			return false;
	}
	return !cross_check(ev, &which);
}

int pmp_trace_format(const struct pmp_trace_event *ev, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	const struct event_type *t;
	unsigned int i;

	if (!ev || (!buf && size) || !event_valid(ev))
		return -EINVAL;
	t = &types[ev->type];
	put_str(&o, t->keyword);
	for (i = 0; i <= t->nr; i++) {
		const struct field *f = &fields[i < t->nr ? t->fields[i] : F_TIME];
		uint64_t v = load(ev, f->offset, f->size);
		bool optional = i == t->nr || (t->optional & (1U << i));

		if (optional && !v)
			continue;
		put(&o, " ", 1);
		put_str(&o, f->key);
		put(&o, "=", 1);
		put_value(&o, f, v);
	}
	put(&o, "\n", 1);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len < size ? (int)o.len : -ENOSPC;
}
