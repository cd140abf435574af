/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints (events/xepoll/ in tracefs; perf's xepoll:*): changes to
 * interest lists, waits entering and leaving, wake-up callbacks, and the
 * busy loops of waits.
 * Documentation/admin-guide.rst shows how to use them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xepoll

#if !defined(_XEPOLL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XEPOLL_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(xepoll_ctl,
	    TP_PROTO(const void *ep, unsigned int op, int fd,
		     unsigned int events, u64 data, long ret),
	    TP_ARGS(ep, op, fd, events, data, ret),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(unsigned int, op)
			     __field(int, fd)
			     __field(unsigned int, events)
			     __field(u64, data)
			     __field(long, ret)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->op = op;
			   __entry->fd = fd;
			   __entry->events = events;
			   __entry->data = data;
			   __entry->ret = ret;),
	    TP_printk("ep=%p op=%s fd=%d events=0x%x data=0x%llx ret=%ld",
		      __entry->ep,
		      __print_symbolic(__entry->op, { 1, "ADD" }, { 2, "DEL" },
				       { 3, "MOD" }),
		      __entry->fd, __entry->events,
		      (unsigned long long)__entry->data, __entry->ret)
);

TRACE_EVENT(xepoll_wait_enter,
	    TP_PROTO(const void *ep, int maxevents, bool forever, bool poll),
	    TP_ARGS(ep, maxevents, forever, poll),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(int, maxevents)
			     __field(bool, forever)
			     __field(bool, poll)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->maxevents = maxevents;
			   __entry->forever = forever;
			   __entry->poll = poll;),
	    TP_printk("ep=%p maxevents=%d timeout=%s", __entry->ep,
		      __entry->maxevents,
		      __entry->poll ? "none" :
		      __entry->forever ? "forever" : "set")
);

TRACE_EVENT(xepoll_wait_exit,
	    TP_PROTO(const void *ep, long ret),
	    TP_ARGS(ep, ret),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(long, ret)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->ret = ret;),
	    TP_printk("ep=%p ret=%ld", __entry->ep, __entry->ret)
);

TRACE_EVENT(xepoll_wake,
	    TP_PROTO(const void *ep, int fd, unsigned int key,
		     unsigned int events),
	    TP_ARGS(ep, fd, key, events),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(int, fd)
			     __field(unsigned int, key)
			     __field(unsigned int, events)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->fd = fd;
			   __entry->key = key;
			   __entry->events = events;),
	    TP_printk("ep=%p fd=%d key=0x%x events=0x%x", __entry->ep,
		      __entry->fd, __entry->key, __entry->events)
);

TRACE_EVENT(xepoll_busy_poll,
	    TP_PROTO(const void *ep, unsigned int napi_id, unsigned int budget,
		     bool prefer, bool found),
	    TP_ARGS(ep, napi_id, budget, prefer, found),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(unsigned int, napi_id)
			     __field(unsigned int, budget)
			     __field(bool, prefer)
			     __field(bool, found)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->napi_id = napi_id;
			   __entry->budget = budget;
			   __entry->prefer = prefer;
			   __entry->found = found;),
	    TP_printk("ep=%p napi_id=%u budget=%u prefer=%d found=%d",
		      __entry->ep, __entry->napi_id, __entry->budget,
		      __entry->prefer, __entry->found)
);

#endif /* _XEPOLL_TRACE_H */

/* This header is outside include/trace/events: say where it is. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
