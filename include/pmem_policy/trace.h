/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmem_policy: the trace format, one event per line (docs/trace-format.md).
 *
 * A trace is what KVM's MMU saw for one VM: memslot changes, faults, SPTEs
 * installed, conversions, punches, accepts, VTL protection changes, dirty
 * logging, zaps with their reason, time ticks and teardown.  pmp-trace
 * records or imports one; pmp-replay runs it under several policies.
 *
 * The parser is part of the freestanding core: it is fed the trace in
 * chunks of any size (a read() buffer, a ring-buffer record), keeps at most
 * one partial line, and never needs the whole file.
 */
#ifndef PMEM_POLICY_TRACE_H
#define PMEM_POLICY_TRACE_H

#include "types.h"
#include "policy.h"
#include "vm.h"
#include "level.h"
#include "attr.h"
#include "mmu.h"

/* The version this library writes; it reads every version up to it. */
#define PMP_TRACE_VERSION 1
/* Longest line, newline excluded. */
#define PMP_TRACE_MAX_LINE 255
/*
 * Frames a trace may name: x86's architectural 52-bit guest physical
 * address space.  Every range (@gfn, @npages) ends by this limit.
 */
#define PMP_TRACE_GFN_LIMIT (1ULL << 40)

/**
 * enum pmp_trace_type - what a line says.
 * @PMP_TR_VM: the VM's geometry; the first event of every trace.
 * @PMP_TR_SLOT_ADD: a memslot is created (@slot, @gfn, @npages, @uaddr,
 *	@gmem_offset, @flags PMP_SLOT_*).
 * @PMP_TR_SLOT_DELETE: memslot @slot is deleted.
 * @PMP_TR_SLOT_MOVE: memslot @slot moves to @gfn.
 * @PMP_TR_FAULT: a fault on @gfn in @slot asking for up to @level (what
 *	the host backing allows), @flags PMP_FAULT_*, from @vcpu and @vtl.
 * @PMP_TR_SPTE: the MMU installed a leaf at @level for @gfn.
 * @PMP_TR_CONVERT: @gfn, @npages become private (@flags PMP_TR_PRIVATE)
 *	or shared.
 * @PMP_TR_PUNCH: the backing of @gfn, @npages is punched.
 * @PMP_TR_ACCEPT: the guest accepts @gfn at @level.
 * @PMP_TR_VTL_PROT: VTL @vtl's protections of @gfn, @npages become
 *	@prot (PMP_PROT_*).
 * @PMP_TR_DIRTY_LOG: dirty logging of @slot goes on (@flags PMP_TR_ON) or
 *	off.
 * @PMP_TR_ZAP: leaves over @gfn, @npages are zapped for @reason
 *	(enum pmp_zap_reason).
 * @PMP_TR_TICK: @npages periods of background work pass (merge ticks).
 * @PMP_TR_TEARDOWN: the VM is destroyed; the last event.
 * @PMP_TR_NR: number of types.
 */
enum pmp_trace_type {
	PMP_TR_VM,
	PMP_TR_SLOT_ADD,
	PMP_TR_SLOT_DELETE,
	PMP_TR_SLOT_MOVE,
	PMP_TR_FAULT,
	PMP_TR_SPTE,
	PMP_TR_CONVERT,
	PMP_TR_PUNCH,
	PMP_TR_ACCEPT,
	PMP_TR_VTL_PROT,
	PMP_TR_DIRTY_LOG,
	PMP_TR_ZAP,
	PMP_TR_TICK,
	PMP_TR_TEARDOWN,
	PMP_TR_NR,
};

/* Event flags beside PMP_FAULT_* and PMP_SLOT_*. */
#define PMP_TR_PRIVATE	(1U << 0)	/* CONVERT: to private */
#define PMP_TR_ON	(1U << 0)	/* DIRTY_LOG: turned on */

/**
 * struct pmp_trace_event - one parsed line.  Fields an event type does not
 * use are zero.
 * @type: enum pmp_trace_type.
 * @level: FAULT, SPTE, ACCEPT: PMP_LEVEL_*.
 * @vtl: FAULT, VTL_PROT: the VTL.
 * @reason: ZAP: enum pmp_zap_reason.
 * @prot: VTL_PROT: PMP_PROT_* allowed.
 * @pad: zero.
 * @vcpu: FAULT: the vCPU.
 * @flags: per type, see enum pmp_trace_type.
 * @slot: the memslot id.
 * @time: the event's timestamp in ns from the trace's start (0 if none).
 * @gfn: first frame.
 * @npages: pages; TICK: periods.
 * @uaddr: SLOT_ADD: the host virtual address backing @gfn.
 * @gmem_offset: SLOT_ADD: byte offset into the guest_memfd.
 * @vm_type: VM: enum pmp_vm_type.
 * @nr_vcpus: VM: vCPUs.
 * @nr_vtls: VM: VTLs.
 * @pad2: zero.
 * @gfn_end: VM: guest frames tracked.
 */
struct pmp_trace_event {
	uint8_t type;
	uint8_t level;
	uint8_t vtl;
	uint8_t reason;
	uint8_t prot;
	uint8_t pad;
	uint16_t vcpu;
	uint32_t flags;
	uint32_t slot;
	uint64_t time;
	uint64_t gfn;
	uint64_t npages;
	uint64_t uaddr;
	uint64_t gmem_offset;
	uint32_t vm_type;
	uint32_t nr_vcpus;
	uint32_t nr_vtls;
	uint32_t pad2;
	uint64_t gfn_end;
};

/**
 * struct pmp_trace_parser - the state of one trace being read.  Caller
 * memory; initialise with pmp_trace_parser_init().  Byte-copyable.
 * @line: 1-based number of the line being read.
 * @len: bytes of the partial line held in @buf.
 * @version: the header's version, 0 until it is seen.
 * @seen_vm: the VM line was seen.
 * @ended: the teardown line was seen; only comments may follow.
 * @failed: a line was refused; later calls return -EINVAL.
 * @at_eof: the end of input was signalled (a call with no data).
 * @pad: zero.
 * @buf: the partial line.
 */
struct pmp_trace_parser {
	uint64_t line;
	uint32_t len;
	uint16_t version;
	uint8_t seen_vm;
	uint8_t ended;
	uint8_t failed;
	uint8_t at_eof;
	uint8_t pad[6];
	char buf[PMP_TRACE_MAX_LINE + 1];
};

/**
 * struct pmp_trace_error - where and why a trace was refused.
 * @line: 1-based line.
 * @column: 1-based column of the offending token or byte (one past the
 *	line's end for a missing field).
 * @pad: zero.
 * @message: what was wrong, e.g. "duplicate field" (static string).
 */
struct pmp_trace_error {
	uint64_t line;
	uint32_t column;
	uint32_t pad;
	const char *message;
};

/**
 * pmp_trace_parser_init() - start reading a trace.
 * @p: the parser.
 */
PMP_API void pmp_trace_parser_init(struct pmp_trace_parser *p);

/**
 * pmp_trace_feed() - give the parser more of the trace.
 * @p: the parser.
 * @data: the next bytes.
 * @len: how many.
 * @used: set to the bytes consumed (up to and including the newline ending
 *	the returned event's line, or all of @data).
 * @ev: set when an event is returned.
 * @err: if not NULL, filled on failure.
 *
 * Call again with @data + *@used until @len bytes are used.  At end of
 * input, call with @len 0: it parses a last line without a newline (and
 * may return it), then checks the trace had its header and vm line.
 * Header, blank and comment lines are consumed without returning.
 *
 * Every line is checked whole (docs/trace-format.md): keyword, fields for
 * its type, number syntax and ranges, a gfn aligned to its level for
 * spte and accept, a range (@gfn, @npages) ending by PMP_TRACE_GFN_LIMIT.
 * Consistency with earlier events (slot ids, the vm's gfn_end) is left to
 * whoever applies the events.  Needs exclusive access to @p; O(line).
 *
 * Return: 1 with @ev set, 0 when all of @data was used without completing
 * an event, or -EINVAL (@err says where; the parser is then unusable and
 * @ev undefined).
 */
PMP_API int pmp_trace_feed(struct pmp_trace_parser *p, const char *data, size_t len,
			   size_t *used, struct pmp_trace_event *ev,
			   struct pmp_trace_error *err);

/**
 * pmp_trace_feed_events() - pmp_trace_feed() that returns many events a call.
 * @p: the parser.
 * @data: the next bytes.
 * @len: how many.
 * @used: set to the bytes consumed (up to and including the newline ending
 *	the last returned event's line, or all of @data).
 * @evs: set to the events read, in trace order.
 * @max: room in @evs, 1 to 2^31 - 1.
 * @err: if not NULL, filled on failure.
 *
 * Reads lines as pmp_trace_feed() does, with the same checks, events and
 * messages, until @max events are read, @data is used up, or a line that
 * pmp_trace_format() would not have written as it is (a comment, another
 * spelling, a line not ended in @data) follows an event: call again with
 * @data + *@used until @len bytes are used.  The
 * events returned are on consecutive lines, the last on line @p->line - 1,
 * and a call that fails returns no event: an error is always the first
 * thing a call reports.  At end of input (@len 0) it returns at most one
 * event, as pmp_trace_feed() does.  Needs exclusive access to @p; O(@len).
 *
 * Return: the number of events in @evs (0 when all of @data was used
 * without completing one), or -EINVAL (@err says where; the parser is
 * then unusable and @evs undefined).
 */
PMP_API int pmp_trace_feed_events(struct pmp_trace_parser *p, const char *data, size_t len,
				  size_t *used, struct pmp_trace_event *evs, unsigned int max,
				  struct pmp_trace_error *err);

/**
 * pmp_trace_format() - write the line of an event, with its newline.
 * @ev: the event.
 * @buf: destination.
 * @size: its size; always NUL-terminated when @size > 0.
 *
 * The header line is pmp_trace_header().  The result parses back to @ev:
 * optional fields equal to 0 are left out, and @ev must be one the parser
 * accepts, with every field its type does not use (and the pads) zero.
 *
 * Return: the length without the NUL, -ENOSPC, or -EINVAL for an event no
 * line can carry.
 */
PMP_API int pmp_trace_format(const struct pmp_trace_event *ev, char *buf, size_t size);

/**
 * pmp_trace_header() - the first line of a trace, with its newline.
 *
 * Return: a static string.
 */
PMP_API const char *pmp_trace_header(void);

/**
 * pmp_trace_type_name() - the keyword of an event type ("fault", ...).
 * @type: enum pmp_trace_type.
 *
 * Return: a static string, "?" when out of range.
 */
PMP_API const char *pmp_trace_type_name(unsigned int type);

#endif /* PMEM_POLICY_TRACE_H */
