// SPDX-License-Identifier: GPL-2.0
/*
 * Busy polling, as 6.12's epoll does it (fs/eventpoll.c: ep_busy_loop(),
 * ep_set_busy_poll_napi_id(), ep_eventpoll_bp_ioctl()).
 *
 * A socket remembers the NAPI context (a device queue) its last packet
 * came in on (sk->sk_napi_id). ADD and every wake-up callback of a watched
 * socket record that id in the instance (xep_busy_poll_mark()); a wait
 * that finds nothing ready then, before it sleeps, polls that NAPI
 * context itself (napi_busy_loop()), for as long as the instance's
 * busy_poll_usecs, or net.core.busy_poll when that is 0, or until an
 * event is ready. A loop that ends with nothing ready forgets the id until
 * a socket brings one again, so an idle instance spins once, not at every
 * wait. Busy polling is on only if one of the two durations is set; both
 * are 0 by default.
 *
 * What it costs and who may ask for it: exactly what epoll allows. Any
 * user may set busy_poll_usecs up to S32_MAX on an instance of their own;
 * the loop gives the CPU up whenever the scheduler asks (napi_busy_loop()
 * checks need_resched()) and, beyond epoll, ends at once when a signal is
 * pending, so a spinning task can be interrupted or killed. A budget above
 * NAPI_POLL_WEIGHT (more packets per poll than a device's own NAPI poll
 * takes) needs CAP_NET_ADMIN. The NAPI id can only come from a socket the
 * caller watches, which received on that queue.
 *
 * net.core.busy_poll. epoll also busy-polls every instance that sets no
 * duration of its own when the sysctl is set, reading it through
 * net_busy_loop_on() and busy_loop_timeout(), inline functions of
 * <net/busy_poll.h> that read sysctl_net_busy_poll, which neither 6.1 nor
 * 6.12 exports to modules. xepoll does not read the sysctl behind the
 * kernel's back (from its file, say): an instance busy-polls when its own
 * parameters ask for it, and only then. That is the one difference from
 * epoll here, and it changes how fast events come, never which.
 *
 * The parameters exist where the kernel's epoll has them (compat.h): on
 * 6.1 the ioctls are ENOTTY, as they are on 6.1's epoll, and xepoll's
 * instances there do not busy-poll.
 */
#include <linux/capability.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/sched/signal.h>
#include <net/busy_poll.h>
#include <net/sock.h>

#include "busypoll.h"
#include "compat.h"
#include "instance.h"
#include "ready.h"
#include "stats.h"
#include "trace.h"

#ifdef CONFIG_NET_RX_BUSY_POLL
/* ep_busy_loop_on(), for the instance's own duration alone. */
static bool xep_busy_loop_on(struct xep_instance *ep)
{
	return READ_ONCE(ep->bp.usecs);
}

/*
 * ep_set_busy_poll_napi_id(): note the NAPI id of @file, if it is a socket
 * with one. Called by ADD and by the wake-up callback, possibly in hard-IRQ
 * context under ep->lock: it takes no lock and reads only the socket.
 */
void xep_busy_poll_mark(struct xep_instance *ep, struct file *file)
{
	unsigned int napi_id;
	struct socket *sock;
	struct sock *sk;

	if (!xep_busy_loop_on(ep))
		return;
	sock = sock_from_file(file);
	if (!sock)
		return;
	sk = sock->sk;
	if (!sk)
		return;
	napi_id = READ_ONCE(sk->sk_napi_id);
	/* Not a NAPI id (0, or a sender CPU's number), or the one we have. */
	if (napi_id < MIN_NAPI_ID || napi_id == READ_ONCE(ep->bp.napi_id))
		return;
	WRITE_ONCE(ep->bp.napi_id, napi_id);
}

/* busy_loop_ep_timeout(), for the instance's own duration alone. */
static bool xep_busy_loop_timeout(struct xep_instance *ep,
				  unsigned long start_time)
{
	unsigned long usecs = READ_ONCE(ep->bp.usecs);

	if (!usecs)
		return true;
	return time_after(busy_loop_current_time(), start_time + usecs);
}

/*
 * ep_busy_loop_end(): stop once an event is ready or the time is up, and,
 * beyond epoll, when a signal is pending, so that no spin outlasts a kill.
 */
static bool xep_busy_loop_end(void *p, unsigned long start_time)
{
	struct xep_instance *ep = p;

	return xep_ready_available(ep) || signal_pending(current) ||
	       xep_busy_loop_timeout(ep, start_time);
}

/*
 * Before a wait sleeps, with no lock held: busy-poll the NAPI context of
 * the watched sockets, if busy polling is on and one is known. Returns
 * whether events may be ready now.
 */
bool xep_busy_loop(struct xep_instance *ep)
{
	unsigned int napi_id = READ_ONCE(ep->bp.napi_id);
	u16 budget = READ_ONCE(ep->bp.budget) ?: BUSY_POLL_BUDGET;
	bool prefer = READ_ONCE(ep->bp.prefer);
	bool found;

	if (napi_id < MIN_NAPI_ID || !xep_busy_loop_on(ep))
		return false;

	xep_stat_add(busy_polls, 1);
	napi_busy_loop(napi_id, xep_busy_loop_end, ep, prefer, budget);
	found = xep_ready_available(ep);
	trace_xepoll_busy_poll(ep, napi_id, budget, prefer, found);
	if (found)
		return true;
	/* Nothing came: spin again only once a socket brings an id. */
	WRITE_ONCE(ep->bp.napi_id, 0);
	return false;
}
#else
void xep_busy_poll_mark(struct xep_instance *ep, struct file *file)
{
}

bool xep_busy_loop(struct xep_instance *ep)
{
	return false;
}
#endif

/* EPIOCSPARAMS: epoll's checks, in epoll's order. */
long xep_busy_poll_set_params(struct xep_instance *ep,
			      const struct xepoll_params *params)
{
	if (!IS_ENABLED(CONFIG_NET_RX_BUSY_POLL))
		return -EOPNOTSUPP;
	if (params->__pad)
		return -EINVAL;
	if (params->busy_poll_usecs > S32_MAX)
		return -EINVAL;
	if (params->prefer_busy_poll > 1)
		return -EINVAL;
	if (params->busy_poll_budget > NAPI_POLL_WEIGHT &&
	    !capable(CAP_NET_ADMIN))
		return -EPERM;

	WRITE_ONCE(ep->bp.usecs, params->busy_poll_usecs);
	WRITE_ONCE(ep->bp.budget, params->busy_poll_budget);
	WRITE_ONCE(ep->bp.prefer, params->prefer_busy_poll);
	return 0;
}

/* EPIOCGPARAMS. */
long xep_busy_poll_get_params(struct xep_instance *ep,
			      struct xepoll_params *params)
{
	if (!IS_ENABLED(CONFIG_NET_RX_BUSY_POLL))
		return -EOPNOTSUPP;
	memset(params, 0, sizeof(*params));
	params->busy_poll_usecs = READ_ONCE(ep->bp.usecs);
	params->busy_poll_budget = READ_ONCE(ep->bp.budget);
	params->prefer_busy_poll = READ_ONCE(ep->bp.prefer);
	return 0;
}
