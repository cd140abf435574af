/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xepoll: user-space ABI.
 *
 * User space reaches xepoll through the misc device /dev/xepoll. An ioctl on
 * the device creates an instance and returns a file descriptor for it; the
 * ctl and wait ioctls act on that instance descriptor. The semantics are
 * epoll's (epoll(7), epoll_ctl(2), epoll_wait(2)), and so are the values of
 * the op codes and event bits, so callers convert nothing.
 *
 * Rules every argument struct follows:
 * - fixed-width types and explicit padding; no pointers, only __u64
 *   addresses, so 32-bit and 64-bit callers share one layout;
 * - every field named __reserved, every undefined flag bit, every
 *   padding field, and every field the call's flags leave unused (each
 *   struct says which) must be zero, else the call fails with EINVAL and
 *   nothing has changed; a field documented as ignored is not checked;
 * - the struct may grow at its end: the size the caller built with is
 *   encoded in the ioctl number (_IOC_SIZE), a newer kernel zero-extends a
 *   smaller struct, and an older kernel accepts a larger one only if the
 *   part it does not know is zero (else E2BIG), as copy_struct_from_user()
 *   does for clone3() and openat2().
 */
#ifndef _UAPI_LINUX_XEPOLL_H
#define _UAPI_LINUX_XEPOLL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The device node's name, under /dev. */
#define XEPOLL_DEVICE_NAME	"xepoll"

/* ioctl type; free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define XEPOLL_IOC_MAGIC	0xB9

/*
 * Flags of struct xepoll_create: epoll_create1()'s EPOLL_CLOEXEC, as a bit
 * of xepoll's own on every architecture. Its value is x86's O_CLOEXEC,
 * which it was first defined as, and stays so for the binaries built
 * with it; the module translates it to the architecture's O_CLOEXEC.
 */
#define XEPOLL_CLOEXEC		0x00080000U

/* Operations of struct xepoll_ctl: epoll_ctl()'s values. */
#define XEPOLL_CTL_ADD		1
#define XEPOLL_CTL_DEL		2
#define XEPOLL_CTL_MOD		3

/*
 * Event bits are epoll's (EPOLLIN, EPOLLOUT, ..., EPOLLET, EPOLLONESHOT,
 * EPOLLWAKEUP, EPOLLEXCLUSIVE) with the values of <sys/epoll.h> and
 * <linux/eventpoll.h>; they are not repeated here.
 */

/**
 * struct xepoll_create - argument of XEPOLL_IOC_CREATE
 * @flags:	XEPOLL_CLOEXEC or 0; any other bit is EINVAL
 * @__reserved:	must be zero
 *
 * The ioctl returns the new instance's file descriptor.
 */
struct xepoll_create {
	__u32 flags;
	__u32 __reserved;
};

/* The first version's size of each argument struct: ABI, never changed. */
#define XEPOLL_CREATE_SIZE_VER0		8

/* Flags of struct xepoll_ctl (and, XEPOLL_CTL_BY_DATA only, xepoll_change). */
#define XEPOLL_CTL_EVENT_ADDR	0x00000001U	/* @data is a struct epoll_event address */
#define XEPOLL_CTL_BY_DATA	0x00000002U	/* MOD/DEL every registration whose data is @data */

/**
 * struct xepoll_ctl - argument of XEPOLL_IOC_CTL: one change to the
 *	interest list, as epoll_ctl(epfd, op, fd, event)
 * @op:		XEPOLL_CTL_ADD, XEPOLL_CTL_DEL or XEPOLL_CTL_MOD
 * @fd:		the file descriptor the change is about
 * @events:	epoll's event mask (ignored by DEL); zero with
 *		XEPOLL_CTL_EVENT_ADDR
 * @flags:	XEPOLL_CTL_* bits
 * @data:	returned unchanged with each event (ignored by DEL); with
 *		XEPOLL_CTL_EVENT_ADDR, the address of a struct epoll_event
 *		(<linux/eventpoll.h>'s layout) holding the events and the
 *		data instead, read as epoll_ctl() reads it: first, and
 *		only by the ops that take an event, so that a bad address
 *		is EFAULT exactly where epoll_ctl() says so
 *
 * With XEPOLL_CTL_BY_DATA, the change is addressed by user data instead of
 * by descriptor: @op is XEPOLL_CTL_MOD or XEPOLL_CTL_DEL (ADD is EINVAL),
 * @fd must be -1, @data is the value to match, and the change applies to
 * every registration of the instance whose data equals it. MOD sets the
 * events of each to @events and keeps their data; DEL removes them. The
 * ioctl returns how many registrations matched, or fails with ENOENT if
 * none did; MOD fails with EINVAL, changing nothing, if a match was added
 * with EPOLLEXCLUSIVE. XEPOLL_CTL_EVENT_ADDR cannot be combined with it.
 * This reaches a registration whose descriptor was closed while a dup kept
 * the file open, which epoll_ctl() cannot name any more.
 *
 * xepoll learns of a watched file's last close from the kernel's close
 * notification. A file that sends none (FMODE_NONOTIFY: the descriptors
 * fanotify opens itself, and on 6.1 /dev/ptmx masters) is held open by its
 * registration instead, until DEL or the instance's release; a user may
 * have as many such registrations as the adding task's RLIMIT_NOFILE, and
 * ADD fails with EMFILE beyond.
 */
struct xepoll_ctl {
	__u32 op;
	__s32 fd;
	__u32 events;
	__u32 flags;
	__u64 data;
};

#define XEPOLL_CTL_SIZE_VER0		24

/**
 * struct xepoll_event - one event, as XEPOLL_IOC_WAIT writes it
 * @events:	the ready events
 * @__pad:	written as zero
 * @data:	the data given at ADD or MOD
 *
 * This is struct epoll_event's layout on every architecture but x86-64,
 * where epoll's struct is packed to 12 bytes; struct xepoll_wait's
 * @event_size asks for either layout, so that a caller's epoll_event array
 * is filled in place.
 */
struct xepoll_event {
	__u32 events;
	__u32 __pad;
	__u64 data;
};

/* Values of struct xepoll_wait's event_size. */
#define XEPOLL_EVENT_SIZE		16	/* struct xepoll_event */
#define XEPOLL_EVENT_SIZE_PACKED	12	/* { __u32 events; __u64 data; } packed */

/* Flags of struct xepoll_wait. */
#define XEPOLL_WAIT_TIMESPEC	0x00000001U	/* @timeout is a timespec address */
#define XEPOLL_WAIT_ABSOLUTE	0x00000002U	/* ... of a deadline on @clockid */

/**
 * struct xepoll_wait - argument of XEPOLL_IOC_WAIT, as epoll_wait(),
 *	epoll_pwait() and epoll_pwait2()
 * @events:	address of an array of @maxevents events of @event_size bytes
 * @maxevents:	at least 1 and at most INT_MAX / @event_size, else EINVAL
 * @event_size:	XEPOLL_EVENT_SIZE or XEPOLL_EVENT_SIZE_PACKED
 * @timeout_ms:	without XEPOLL_WAIT_TIMESPEC, epoll_wait()'s timeout in
 *		milliseconds: negative waits for ever, 0 does not wait;
 *		must be zero with XEPOLL_WAIT_TIMESPEC
 * @timeout:	with XEPOLL_WAIT_TIMESPEC, the address of a relative
 *		struct __kernel_timespec as epoll_pwait2() takes it, or 0 to
 *		wait for ever; must be zero without XEPOLL_WAIT_TIMESPEC
 * @sigmask:	address of the signal mask to install for the wait, as
 *		epoll_pwait(), or 0 to leave the mask alone
 * @sigmask_size: the size of the kernel's sigset_t (8) when @sigmask is
 *		set; must be zero when @sigmask is 0 (epoll_pwait() ignores
 *		its size without a mask; this struct does not)
 * @flags:	XEPOLL_WAIT_* bits
 *
 * Since the second version (64 bytes; a 48-byte struct reads as if these
 * were zero):
 *
 * @min_events:	0 or 1 returns as soon as one event is ready, as
 *		epoll_wait() does. From 2 to @maxevents, a minimum-batch
 *		wait: the call returns when at least @min_events events are
 *		ready, or when @min_wait_ns has passed since the wait first
 *		found an event, or when the timeout ends, whichever comes
 *		first, with the events gathered until then. More than
 *		@maxevents is EINVAL.
 * @clockid:	with XEPOLL_WAIT_ABSOLUTE, the clock of the deadline:
 *		CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME, else
 *		EINVAL; must be zero without it
 * @min_wait_ns: how long a minimum-batch wait holds on to the events it
 *		has, waiting for more; 0 holds them until @min_events or
 *		the timeout. Ignored when @min_events is 0 or 1 (not
 *		checked: callers may pass one value whatever @min_events).
 *
 * XEPOLL_WAIT_ABSOLUTE requires XEPOLL_WAIT_TIMESPEC and a @timeout
 * address (else EINVAL): the timespec is then a deadline on @clockid, as
 * clock_nanosleep(TIMER_ABSTIME) takes it, and a deadline already past
 * does not sleep. A CLOCK_REALTIME deadline follows changes to the clock.
 *
 * The ioctl returns the number of events written, 0 on timeout.
 */
struct xepoll_wait {
	__u64 events;
	__s32 maxevents;
	__u32 event_size;
	__s64 timeout_ms;
	__u64 timeout;
	__u64 sigmask;
	__u32 sigmask_size;
	__u32 flags;
	/* Second version. */
	__u32 min_events;
	__s32 clockid;
	__u64 min_wait_ns;
};

/* The size of each version of struct xepoll_wait. */
#define XEPOLL_WAIT_SIZE_VER0	48
#define XEPOLL_WAIT_SIZE_VER1	64

/**
 * struct xepoll_change - one change of a batch (XEPOLL_IOC_SUBMIT)
 * @op:		XEPOLL_CTL_ADD, XEPOLL_CTL_DEL or XEPOLL_CTL_MOD
 * @fd:		the file descriptor the change is about; -1 with
 *		XEPOLL_CTL_BY_DATA
 * @events:	epoll's event mask (ignored by DEL)
 * @flags:	0 or XEPOLL_CTL_BY_DATA; anything else fails the entry with
 *		EINVAL
 * @data:	the registration's data (ignored by DEL); with
 *		XEPOLL_CTL_BY_DATA, the data to match
 * @result:	written by the kernel: what XEPOLL_IOC_CTL would have
 *		returned for this change, 0 (or with XEPOLL_CTL_BY_DATA the
 *		number of matches) or a negative errno; -ECANCELED for an
 *		entry the batch did not get to; its value on entry is ignored
 * @__reserved:	must be zero, else the entry fails with EINVAL
 *
 * Each entry means exactly what struct xepoll_ctl with the same fields
 * means, and is checked in the same order with the same errors.
 */
struct xepoll_change {
	__u32 op;
	__s32 fd;
	__u32 events;
	__u32 flags;
	__u64 data;
	__s32 result;
	__u32 __reserved;
};

/* At most this many changes in one XEPOLL_IOC_SUBMIT. */
#define XEPOLL_SUBMIT_MAX_CHANGES	1024

/* Flags of struct xepoll_submit. */
#define XEPOLL_SUBMIT_STOP_ON_ERROR	0x00000001U	/* stop at the first failed change */

/**
 * struct xepoll_submit - argument of XEPOLL_IOC_SUBMIT: a batch of changes,
 *	then optionally a wait, in one call, as kevent() does
 * @changes:	address of an array of @nr_changes entries of @change_size
 *		bytes each
 * @nr_changes:	how many; at most XEPOLL_SUBMIT_MAX_CHANGES, else EINVAL
 * @change_size: sizeof(struct xepoll_change) when @nr_changes is not 0; a
 *		smaller size is EINVAL, a larger one is read with the growth
 *		rule above, per entry (E2BIG in @result for an entry whose
 *		unknown tail is not zero). With @nr_changes 0, @changes and
 *		@change_size are ignored (not checked: libxepoll has always
 *		passed sizeof(struct xepoll_change) there)
 * @flags:	XEPOLL_SUBMIT_* bits
 * @nr_done:	written by the kernel: how many entries, from the first, were
 *		processed (their @result is final); written before the wait;
 *		its value on entry is ignored
 * @wait:	address of a struct xepoll_wait for the wait that follows the
 *		changes, or 0 not to wait
 * @wait_size:	the size of that struct (at least XEPOLL_WAIT_SIZE_VER0,
 *		read with the growth rule above); 0 when @wait is 0
 * @__reserved:	must be zero
 *
 * The call first checks everything that can be checked without changing
 * anything: this struct, the wait's arguments (timeout, signal mask,
 * events buffer), and that every entry can be read and its @result
 * written (each is set to -ECANCELED). Any failure there fails the call
 * with that errno, and nothing has changed.
 *
 * Then the changes are applied in order, each with its own result; a
 * failed change does not undo earlier ones. By default the batch goes on
 * after a failed entry; with XEPOLL_SUBMIT_STOP_ON_ERROR it stops there,
 * the later entries keep -ECANCELED, and the call returns without waiting.
 * The changes are not interrupted by signals (each is as quick as an
 * epoll_ctl()).
 *
 * The ioctl returns the number of events when a wait was asked (0 on
 * timeout, or when XEPOLL_SUBMIT_STOP_ON_ERROR skipped the wait: the call
 * waited only if all @nr_changes changes succeeded), else @nr_done. If the
 * wait fails (EINTR, EFAULT on the events buffer, ...), the call fails with
 * that errno, yet the changes stay applied and @nr_done and the results
 * say so, as kevent() does. A relative timeout counts from the start of
 * the call.
 */
struct xepoll_submit {
	__u64 changes;
	__u32 nr_changes;
	__u32 change_size;
	__u32 flags;
	__u32 nr_done;
	__u64 wait;
	__u32 wait_size;
	__u32 __reserved;
};

#define XEPOLL_SUBMIT_SIZE_VER0		40

/**
 * struct xepoll_params - argument of XEPOLL_IOC_SET_PARAMS and
 *	XEPOLL_IOC_GET_PARAMS: an instance's busy-poll parameters, as
 *	6.12's struct epoll_params (EPIOCSPARAMS, EPIOCGPARAMS), whose
 *	layout and meaning it has
 * @busy_poll_usecs: how long a wait that finds nothing ready busy-polls
 *		the NAPI context of the sockets it watches before it sleeps,
 *		in microseconds; at most S32_MAX, else EINVAL. 0 (the
 *		default) is off: unlike epoll's, it does not defer to
 *		net.core.busy_poll, which modules cannot read.
 * @busy_poll_budget: packets one NAPI poll may process; 0 is the kernel's
 *		default (8). More than 64 (NAPI_POLL_WEIGHT) needs
 *		CAP_NET_ADMIN, else EPERM.
 * @prefer_busy_poll: 0 or 1, else EINVAL: 1 asks the device to leave
 *		its NAPI context to busy polling (SO_PREFER_BUSY_POLL)
 * @__pad:	must be zero, else EINVAL; written as zero
 *
 * The checks are epoll's, in its order: @__pad, @busy_poll_usecs,
 * @prefer_busy_poll, then @busy_poll_budget. Both ioctls exist only where
 * the kernel's epoll has EPIOCSPARAMS (6.9 and later); elsewhere they fail
 * with ENOTTY, as those ioctls do on such a kernel's epoll, and on a kernel
 * built without CONFIG_NET_RX_BUSY_POLL with EOPNOTSUPP, as epoll's do.
 */
struct xepoll_params {
	__u32 busy_poll_usecs;
	__u16 busy_poll_budget;
	__u8 prefer_busy_poll;
	__u8 __pad;
};

#define XEPOLL_PARAMS_SIZE_VER0		8

/* At most this many entries in a ring (XEPOLL_IOC_RING_SETUP). */
#define XEPOLL_RING_MAX_ENTRIES		65536

/**
 * struct xepoll_ring_setup - argument of XEPOLL_IOC_RING_SETUP: give the
 *	instance a ready ring that user space maps and reaps without a
 *	system call
 * @entries:	in: how many events the ring holds, 1 to
 *		XEPOLL_RING_MAX_ENTRIES (else EINVAL), rounded up to a power
 *		of two, and to 2 at least; or 0, to ask for the geometry of the ring the
 *		instance has (ENODEV if none), changing nothing. Out: the
 *		count, @mask + 1
 * @flags:	must be zero
 * @size:	out: the length to mmap(), at offset 0 of the instance's
 *		descriptor, PROT_READ | PROT_WRITE and MAP_SHARED
 * @mask:	out: @entries - 1, to turn a position into a cell index
 * @head_off:	out: offset in the mapping of the __u32 consumer position,
 *		which only user space writes
 * @kready_off:	out: offset of a __u32 the kernel writes: how many
 *		registrations wait in the kernel's ready list rather than in
 *		the ring (see below); 0 when none
 * @flags_off:	out: offset of a __u32 of XEPOLL_RING_* bits the kernel
 *		writes
 * @cells_off:	out: offset of the array of @entries struct
 *		xepoll_ring_cell
 *
 * Since the second version (40 bytes; a 32-byte struct reads as if these
 * were zero, and is answered without them):
 *
 * @tail_off:	out: offset of a __u32 the kernel writes: the low 32 bits of
 *		the position of the next cell it fills (the ring's tail),
 *		stored after that cell's @seq, with release. A consumer that
 *		must report each registration at most once per pass, as
 *		epoll_wait() does, loads it (acquire) when it begins and stops
 *		at it: a cell beyond holds an edge newer than the pass, maybe
 *		of a registration the pass already reported
 * @__reserved: must be zero; out: zero
 *
 * The ioctl fails with EBUSY if the instance already has a ring (and
 * @entries is not 0), and with
 * ENOMEM if the ring's pages would take the caller's user beyond its
 * RLIMIT_MEMLOCK (unless it has CAP_IPC_LOCK), to which they are charged
 * until the last mapping and the instance are gone.
 *
 * Which events go through the ring: those of edge-triggered (EPOLLET) and
 * one-shot (EPOLLONESHOT) registrations without EPOLLWAKEUP, when the
 * wake-up of the watched file says which events it brings (nearly every
 * file's does), and those ADD and MOD find ready. Each is published once
 * per wake-up and coalesced while unconsumed: a registration has at most
 * one unconsumed cell, whose events further wake-ups OR in; a one-shot
 * registration is disarmed once published, until MOD re-arms it. The
 * events a cell reports are the ones the wake-up announced (those ADD or
 * MOD polled), within the registration's mask, not a poll at the time of
 * reaping. Everything else, level-triggered registrations above all,
 * stays on the kernel's ready list, as does a ring event that finds no
 * free cell: @kready says how many wait there, and XEPOLL_IOC_WAIT
 * (which also reaps the ring, as a consumer like any other) reports
 * them. No event is lost: an event goes to the ring or to the kernel's
 * list. DEL, MOD and a watched file's last close cancel a registration's
 * unconsumed cell (its events read as 0).
 *
 * The mapping holds the instance's ring, not the instance: closing the
 * instance's last descriptor releases it, sets XEPOLL_RING_DEAD, and
 * leaves the pages to the mapping. The kernel keeps its own copies of
 * everything it relies on; garbage written to the shared pages costs
 * their writer its own events and nothing else.
 */
struct xepoll_ring_setup {
	__u32 entries;
	__u32 flags;
	__u32 size;
	__u32 mask;
	__u32 head_off;
	__u32 kready_off;
	__u32 flags_off;
	__u32 cells_off;
	/* Second version. */
	__u32 tail_off;
	__u32 __reserved;
};

#define XEPOLL_RING_SETUP_SIZE_VER0	32
#define XEPOLL_RING_SETUP_SIZE_VER1	40

/* Bits of the ring's flags word. */
#define XEPOLL_RING_DEAD	0x00000001U	/* the instance is released */

/**
 * struct xepoll_ring_cell - one cell of the ring
 * @seq:	the cell's state, for position p (p mod @entries being its
 *		index): p when free for the kernel to fill, p + 1 once it
 *		holds an event; a consumer frees it by writing p + @entries
 * @events:	the events (a consumer takes them with an atomic exchange
 *		with 0, against the kernel ORing in more); 0 in a cell that
 *		was cancelled, which the consumer frees and skips
 * @data:	the registration's data
 *
 * A consumer, any number of them in any number of threads and processes
 * sharing the mapping: load head h (relaxed); load cell h's @seq
 * (acquire); if it is h + 1, claim the position by compare-and-swap of
 * head from h to h + 1, take @events by exchange with 0, read @data, then
 * store h + @entries to @seq (release) and report the event if @events was
 * not 0. If @seq is h, the ring is empty; otherwise head moved, reload.
 * A pass that must report each registration at most once first loads
 * the kernel's tail (struct xepoll_ring_setup's @tail_off, acquire) and
 * stops when h reaches it. libxepoll's xepoll_ring_reap() does this.
 */
struct xepoll_ring_cell {
	__u32 seq;
	__u32 events;
	__u64 data;
};

/*
 * On /dev/xepoll:
 *
 * XEPOLL_IOC_CREATE creates an instance; the ioctl returns its descriptor.
 *
 * On /dev/xepoll or on an instance descriptor:
 *
 * XEPOLL_IOC_CLOSE (argument: a file descriptor) is deprecated: it closes
 * that descriptor exactly as close(2) does, with close(2)'s errors, and
 * does nothing else. It is kept, with its number, for binaries built
 * against it; new code calls close(2). xepoll holds no reference to the
 * files it watches: a watched file's registrations are removed from every
 * instance at the file's last close, however that comes, as epoll's are.
 *
 * On an instance descriptor:
 *
 * XEPOLL_IOC_CTL applies one change to the interest list (epoll_ctl()).
 * XEPOLL_IOC_WAIT waits for events (epoll_wait(), epoll_pwait(),
 * epoll_pwait2()), and beyond epoll, for a minimum batch of events or
 * until an absolute deadline.
 * XEPOLL_IOC_SUBMIT applies a batch of changes, then optionally waits
 * (kevent()). It writes back struct xepoll_submit's @nr_done, hence _IOWR.
 * XEPOLL_IOC_SET_PARAMS and XEPOLL_IOC_GET_PARAMS set and read the
 * instance's busy-poll parameters (EPIOCSPARAMS, EPIOCGPARAMS). GET
 * writes the struct it knows and zeroes the rest of a larger one.
 * XEPOLL_IOC_RING_SETUP gives the instance a ready ring (struct
 * xepoll_ring_setup), which mmap() of the instance's descriptor maps.
 */
#define XEPOLL_IOC_CREATE	_IOW(XEPOLL_IOC_MAGIC, 0x01, struct xepoll_create)
#define XEPOLL_IOC_CLOSE	_IO(XEPOLL_IOC_MAGIC, 0x02)
#define XEPOLL_IOC_CTL		_IOW(XEPOLL_IOC_MAGIC, 0x10, struct xepoll_ctl)
#define XEPOLL_IOC_WAIT		_IOW(XEPOLL_IOC_MAGIC, 0x11, struct xepoll_wait)
#define XEPOLL_IOC_SUBMIT	_IOWR(XEPOLL_IOC_MAGIC, 0x12, struct xepoll_submit)
#define XEPOLL_IOC_SET_PARAMS	_IOW(XEPOLL_IOC_MAGIC, 0x13, struct xepoll_params)
#define XEPOLL_IOC_GET_PARAMS	_IOR(XEPOLL_IOC_MAGIC, 0x14, struct xepoll_params)
#define XEPOLL_IOC_RING_SETUP	_IOWR(XEPOLL_IOC_MAGIC, 0x16, struct xepoll_ring_setup)

#endif /* _UAPI_LINUX_XEPOLL_H */
