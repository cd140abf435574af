// SPDX-License-Identifier: GPL-2.0
/*
 * Busy polling: 6.12's EPIOCSPARAMS and EPIOCGPARAMS (struct epoll_params)
 * on an instance, their defaults, checks and errors, and the busy loop a
 * wait runs before it sleeps, on native epoll and on xepoll alike.
 *
 * The ioctls came with 6.9: on 6.1 both answer ENOTTY, whatever the
 * argument, on epoll and on xepoll. On a kernel without
 * CONFIG_NET_RX_BUSY_POLL (no /proc/sys/net/core/busy_poll) they answer
 * EOPNOTSUPP.
 *
 * The busy loop needs a socket whose packets come through a NAPI context:
 * loopback has none (its sockets' NAPI id stays 0), so the loop cases make
 * a veth pair, with GRO on the receiving end (which gives veth a NAPI
 * context per queue) and TSO off on the sending end (so that its frames
 * are eligible for it), and inject UDP datagrams through a packet socket.
 * They need root (CAP_NET_ADMIN, CAP_NET_RAW) and the veth driver, and
 * skip, saying which is missing, without them. A wait that busy-polls
 * spends its busy_poll_usecs on the CPU before it sleeps, which the
 * thread's CPU time shows on both backends; on xepoll,
 * /sys/kernel/xepoll/busy_polls counts the loops too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>

#include "backend.h"
#include "common.h"
#include "kselftest_harness.h"
#include "sysfs_util.h"

#define SYSCTL_BUSY_POLL	"/proc/sys/net/core/busy_poll"
#define XEP_BUSY_POLLS		XEP_SYSFS "/busy_polls"
#define VETH_MODULE		"/lib/xepoll/veth.ko"

#define VETH_TX			"xbp0"
#define VETH_RX			"xbp1"
#define RX_ADDR			"10.77.0.2"
#define TX_ADDR			"10.77.0.1"
#define RX_PORT			7777

/* The busy-poll time of the loop cases, and how long their waits last. */
#define LOOP_USECS		200000
#define WAIT_MS			400

/* Whether the running kernel is at least @major.@minor. */
static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * What the param ioctls answer on this kernel: 0 (they exist), ENOTTY
 * (before 6.9, as 6.1's epoll) or EOPNOTSUPP (no CONFIG_NET_RX_BUSY_POLL).
 */
static int params_errno(void)
{
	if (!kernel_at_least(6, 9))
		return ENOTTY;
	if (access(SYSCTL_BUSY_POLL, F_OK))
		return EOPNOTSUPP;
	return 0;
}

#define NEED_PARAMS() do {						\
	int _e = params_errno();					\
	if (_e)								\
		SKIP(return, "the param ioctls answer %s on this kernel "	\
		     "(case enotty_before_6_9 checks that)", strerror(_e)); \
} while (0)

static struct xepoll_params params(uint32_t usecs, uint16_t budget,
				   uint8_t prefer, uint8_t pad)
{
	struct xepoll_params p = {
		.busy_poll_usecs = usecs,
		.busy_poll_budget = budget,
		.prefer_busy_poll = prefer,
		.__pad = pad,
	};

	return p;
}

FIXTURE(params) {
	int epfd;
};

FIXTURE_VARIANT(params) {
	const struct backend *be;
};

BACKEND_VARIANTS(params);

FIXTURE_SETUP(params)
{
	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
}

FIXTURE_TEARDOWN(params)
{
	close(self->epfd);
}

/* Before 6.9 neither epoll nor xepoll has the ioctls, whatever is passed. */
TEST_F(params, enotty_before_6_9)
{
	const struct backend *be = variant->be;
	struct xepoll_params p = params(UINT32_MAX, 1000, 7, 1);

	if (kernel_at_least(6, 9))
		SKIP(return, "this kernel's epoll has EPIOCSPARAMS (6.9 and later)");
	EXPECT_ERRNO(ENOTTY, be->set_params(self->epfd, &p));
	EXPECT_ERRNO(ENOTTY, be->get_params(self->epfd, &p));
	EXPECT_ERRNO(ENOTTY, be->set_params(self->epfd, NULL));
	EXPECT_ERRNO(ENOTTY, be->get_params(self->epfd, NULL));
}

/* A new instance: everything 0, the pad written as 0. */
TEST_F(params, defaults)
{
	struct xepoll_params p;

	NEED_PARAMS();
	memset(&p, 0xa5, sizeof(p));
	ASSERT_EQ(0, variant->be->get_params(self->epfd, &p));
	EXPECT_EQ(0U, p.busy_poll_usecs);
	EXPECT_EQ(0, p.busy_poll_budget);
	EXPECT_EQ(0, p.prefer_busy_poll);
	EXPECT_EQ(0, p.__pad);
}

TEST_F(params, round_trip)
{
	const struct backend *be = variant->be;
	struct xepoll_params in = params(25, 16, 1, 0), out;
	int dup_fd;

	NEED_PARAMS();
	ASSERT_EQ(0, be->set_params(self->epfd, &in));
	memset(&out, 0xa5, sizeof(out));
	ASSERT_EQ(0, be->get_params(self->epfd, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));

	/* The parameters are the instance's, seen through any descriptor. */
	dup_fd = dup(self->epfd);
	ASSERT_LE(0, dup_fd);
	memset(&out, 0, sizeof(out));
	ASSERT_EQ(0, be->get_params(dup_fd, &out));
	EXPECT_EQ(25U, out.busy_poll_usecs);
	close(dup_fd);

	/* The largest values anyone may set, then back to the defaults. */
	in = params(INT32_MAX, 64, 0, 0);
	ASSERT_EQ(0, be->set_params(self->epfd, &in));
	ASSERT_EQ(0, be->get_params(self->epfd, &out));
	EXPECT_EQ((uint32_t)INT32_MAX, out.busy_poll_usecs);
	EXPECT_EQ(64, out.busy_poll_budget);
	EXPECT_EQ(0, out.prefer_busy_poll);
	in = params(0, 0, 0, 0);
	ASSERT_EQ(0, be->set_params(self->epfd, &in));
	ASSERT_EQ(0, be->get_params(self->epfd, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
}

/* Each bad value is EINVAL, and changes nothing. */
TEST_F(params, einval)
{
	const struct backend *be = variant->be;
	struct xepoll_params good = params(10, 8, 1, 0), bad, out;

	NEED_PARAMS();
	ASSERT_EQ(0, be->set_params(self->epfd, &good));

	bad = params(10, 8, 1, 1);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(10, 8, 1, 0xff);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params((uint32_t)INT32_MAX + 1, 8, 1, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(UINT32_MAX, 8, 1, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(10, 8, 2, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(10, 8, 0xff, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));

	ASSERT_EQ(0, be->get_params(self->epfd, &out));
	EXPECT_EQ(0, memcmp(&good, &out, sizeof(good)));
}

/* epoll checks the values before the caller's privilege: EINVAL first. */
TEST_F(params, einval_before_eperm)
{
	const struct backend *be = variant->be;
	struct xepoll_params bad;

	NEED_PARAMS();
	bad = params(10, UINT16_MAX, 0, 1);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(UINT32_MAX, UINT16_MAX, 0, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
	bad = params(10, UINT16_MAX, 2, 0);
	EXPECT_ERRNO(EINVAL, be->set_params(self->epfd, &bad));
}

/* A budget above NAPI_POLL_WEIGHT (64) needs CAP_NET_ADMIN. */
TEST_F(params, budget_above_64)
{
	const struct backend *be = variant->be;
	struct xepoll_params p = params(10, 65, 0, 0), out;

	NEED_PARAMS();
	if (geteuid() == 0) {
		ASSERT_EQ(0, be->set_params(self->epfd, &p));
		ASSERT_EQ(0, be->get_params(self->epfd, &out));
		EXPECT_EQ(65, out.busy_poll_budget);
		p = params(10, UINT16_MAX, 0, 0);
		EXPECT_EQ(0, be->set_params(self->epfd, &p));
		return;
	}
	EXPECT_ERRNO(EPERM, be->set_params(self->epfd, &p));
	p = params(10, UINT16_MAX, 0, 0);
	EXPECT_ERRNO(EPERM, be->set_params(self->epfd, &p));
	ASSERT_EQ(0, be->get_params(self->epfd, &out));
	EXPECT_EQ(0, out.busy_poll_budget);
	EXPECT_EQ(0U, out.busy_poll_usecs);
	/* 64 itself is anyone's. */
	p = params(10, 64, 0, 0);
	EXPECT_EQ(0, be->set_params(self->epfd, &p));
}

TEST_F(params, efault)
{
	const struct backend *be = variant->be;

	NEED_PARAMS();
	EXPECT_ERRNO(EFAULT, be->set_params(self->epfd, NULL));
	EXPECT_ERRNO(EFAULT, be->get_params(self->epfd, NULL));
	EXPECT_ERRNO(EFAULT, be->set_params(self->epfd, (void *)8));
	EXPECT_ERRNO(EFAULT, be->get_params(self->epfd, (void *)8));
}

/* On a descriptor that is not an instance the file answers: ENOTTY. */
TEST_F(params, not_an_instance)
{
	const struct backend *be = variant->be;
	struct xepoll_params p = params(10, 8, 0, 0);
	int efd = eventfd(0, EFD_CLOEXEC), pfd[2];

	ASSERT_LE(0, efd);
	EXPECT_ERRNO(ENOTTY, be->set_params(efd, &p));
	EXPECT_ERRNO(ENOTTY, be->get_params(efd, &p));
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_ERRNO(ENOTTY, be->set_params(pfd[0], &p));
	EXPECT_ERRNO(ENOTTY, be->get_params(pfd[0], &p));
	EXPECT_ERRNO(EBADF, be->get_params(-1, &p));
	close(pfd[0]);
	close(pfd[1]);
	close(efd);
}

/*
 * xepoll's own numbers: not on the device, and the struct's growth rule
 * (a larger struct is read if its tail is zero, E2BIG otherwise, and
 * written with its tail zeroed).
 */
TEST(xepoll_device_and_growth)
{
	unsigned char big[16];
	struct xepoll_params p = params(33, 0, 0, 0);
	int dev = open("/dev/" XEPOLL_DEVICE_NAME, O_RDWR | O_CLOEXEC), epfd;
	int e = params_errno();

	ASSERT_LE(0, dev);
	EXPECT_ERRNO(ENOTTY, ioctl(dev, XEPOLL_IOC_SET_PARAMS, &p));
	EXPECT_ERRNO(ENOTTY, ioctl(dev, XEPOLL_IOC_GET_PARAMS, &p));
	close(dev);

	epfd = xepoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, epfd);
	if (e) {
		EXPECT_ERRNO(e, ioctl(epfd, XEPOLL_IOC_SET_PARAMS, &p));
		close(epfd);
		return;
	}
	memset(big, 0, sizeof(big));
	memcpy(big, &p, sizeof(p));
	EXPECT_EQ(0, ioctl(epfd, _IOW(XEPOLL_IOC_MAGIC, 0x13, big), big));
	big[12] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(epfd, _IOW(XEPOLL_IOC_MAGIC, 0x13, big), big));
	memset(big, 0xa5, sizeof(big));
	EXPECT_EQ(0, ioctl(epfd, _IOR(XEPOLL_IOC_MAGIC, 0x14, big), big));
	memcpy(&p, big, sizeof(p));
	EXPECT_EQ(33U, p.busy_poll_usecs);
	for (size_t i = sizeof(p); i < sizeof(big); i++)
		EXPECT_EQ(0, big[i]);
	/* Smaller than the first version: EINVAL. */
	EXPECT_ERRNO(EINVAL, ioctl(epfd, _IOR(XEPOLL_IOC_MAGIC, 0x14, uint32_t), big));
	close(epfd);
}

/* ---- The busy loop, over a veth pair ---------------------------------- */

static int rtnl_talk(struct nlmsghdr *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	int fd, ret = -EIO;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR)
			ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
out:
	close(fd);
	return ret;
}

static struct rtattr *addattr(struct nlmsghdr *n, int type, const void *data,
			      size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)nest);
}

static int veth_create(void)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
		char buf[512];
	} req;
	struct rtattr *linkinfo, *data, *peer;
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_type = RTM_NEWLINK;
	req.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.i.ifi_family = AF_UNSPEC;
	addattr(&req.n, IFLA_IFNAME, VETH_TX, sizeof(VETH_TX));
	linkinfo = addattr(&req.n, IFLA_LINKINFO, NULL, 0);
	addattr(&req.n, IFLA_INFO_KIND, "veth", 4);
	data = addattr(&req.n, IFLA_INFO_DATA, NULL, 0);
	peer = addattr(&req.n, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	addattr(&req.n, IFLA_IFNAME, VETH_RX, sizeof(VETH_RX));
	nest_end(&req.n, peer);
	nest_end(&req.n, data);
	nest_end(&req.n, linkinfo);
	return rtnl_talk(&req.n);
}

static void veth_delete(void)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} req;
	int ifindex = (int)if_nametoindex(VETH_TX);

	if (!ifindex)
		return;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_type = RTM_DELLINK;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	rtnl_talk(&req.n);
}

/* An ethtool boolean (@cmd: ETHTOOL_SGRO, ETHTOOL_STSO) on @ifname. */
static int ethtool_set(int sock, const char *ifname, __u32 cmd, __u32 on)
{
	struct ethtool_value ev = { .cmd = cmd, .data = on };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	return ioctl(sock, SIOCETHTOOL, &ifr);
}

static int link_up(int sock, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static int set_addr(int sock, const char *ifname, const char *addr,
		    const char *mask)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr))
		return -1;
	inet_pton(AF_INET, mask, &sin->sin_addr);
	return ioctl(sock, SIOCSIFNETMASK, &ifr);
}

static int get_mac(int sock, const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int write_sysctl(unsigned int val)
{
	return write_long(SYSCTL_BUSY_POLL, val);
}

static long long thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long busy_polls(void)
{
	return read_long(XEP_BUSY_POLLS);
}

/* The sysctl as found, restored once more at exit. */
static long saved_sysctl = -1;

static void restore_sysctl(void)
{
	if (saved_sysctl >= 0)
		write_sysctl((unsigned int)saved_sysctl);
}

FIXTURE(veth) {
	const char *skip;
	int epfd, rx, tx;
	int tx_ifindex;
	unsigned char tx_mac[6], rx_mac[6];
	unsigned int napi_id;
};

FIXTURE_VARIANT(veth) {
	const struct backend *be;
};

BACKEND_VARIANTS(veth);

/* Send one UDP datagram from VETH_TX to RX_ADDR:RX_PORT, as raw frame. */
static int inject(FIXTURE_DATA(veth) *self)
{
	unsigned char frame[14 + 20 + 8 + 4];
	unsigned char *ip = frame + 14, *udp = ip + 20;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = self->tx_ifindex,
		.sll_protocol = htons(0x0800),
		.sll_halen = 6,
	};
	struct in_addr src, dst;
	uint16_t v;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, self->rx_mac, 6);
	memcpy(frame + 6, self->tx_mac, 6);
	frame[12] = 0x08;			/* ETH_P_IP */
	ip[0] = 0x45;
	v = htons(20 + 8 + 4);
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;				/* TTL */
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, TX_ADDR, &src);
	inet_pton(AF_INET, RX_ADDR, &dst);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	v = ip_checksum(ip, 20);
	memcpy(ip + 10, &v, 2);
	v = htons(40000);
	memcpy(udp, &v, 2);
	v = htons(RX_PORT);
	memcpy(udp + 2, &v, 2);
	v = htons(8 + 4);
	memcpy(udp + 4, &v, 2);		/* checksum 0: none, for IPv4 */
	memcpy(udp + 8, "ping", 4);
	memcpy(sll.sll_addr, self->rx_mac, 6);
	return sendto(self->tx, frame, sizeof(frame), 0, (struct sockaddr *)&sll,
		      sizeof(sll)) == (ssize_t)sizeof(frame) ? 0 : -1;
}

/* Receive the datagram inject() sent, within @ms milliseconds. */
static int receive(FIXTURE_DATA(veth) *self, int ms)
{
	struct pollfd pfd = { .fd = self->rx, .events = POLLIN };
	char buf[16];

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(self->rx, buf, sizeof(buf), MSG_DONTWAIT) == 4 ? 0 : -1;
}

FIXTURE_SETUP(veth)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(RX_PORT) };
	socklen_t len = sizeof(self->napi_id);
	int ctl, fd, ret, tries, one = 1;

	self->skip = NULL;
	self->epfd = self->rx = self->tx = -1;
	if (geteuid() != 0) {
		self->skip = "a veth pair and a packet socket need CAP_NET_ADMIN and CAP_NET_RAW: root only";
		return;
	}
	if (access("/sys/module/veth", F_OK)) {
		fd = open(VETH_MODULE, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			self->skip = "no veth driver: CONFIG_VETH is not in this kernel and "
				     VETH_MODULE " (tools/testing/check.sh copies Debian's) cannot be loaded";
			if (fd >= 0)
				close(fd);
			return;
		}
		close(fd);
	}
	veth_delete();
	ret = veth_create();
	ASSERT_EQ(0, ret) TH_LOG("RTM_NEWLINK veth: %s", strerror(-ret));
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, ctl);
	/* GRO gives the receiving veth a NAPI context per queue. */
	ASSERT_EQ(0, ethtool_set(ctl, VETH_RX, ETHTOOL_SGRO, 1))
		TH_LOG("GRO on %s: %s", VETH_RX, strerror(errno));
	/* Without TSO on the sender, its frames are eligible for it. */
	ASSERT_EQ(0, ethtool_set(ctl, VETH_TX, ETHTOOL_STSO, 0))
		TH_LOG("TSO off on %s: %s", VETH_TX, strerror(errno));
	ASSERT_EQ(0, set_addr(ctl, VETH_RX, RX_ADDR, "255.255.255.0"));
	ASSERT_EQ(0, link_up(ctl, VETH_TX));
	ASSERT_EQ(0, link_up(ctl, VETH_RX));
	ASSERT_EQ(0, get_mac(ctl, VETH_TX, self->tx_mac));
	ASSERT_EQ(0, get_mac(ctl, VETH_RX, self->rx_mac));
	close(ctl);
	self->tx_ifindex = (int)if_nametoindex(VETH_TX);
	ASSERT_LT(0, self->tx_ifindex);

	self->rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->rx);
	inet_pton(AF_INET, RX_ADDR, &sin.sin_addr);
	ASSERT_EQ(0, bind(self->rx, (struct sockaddr *)&sin, sizeof(sin)));
	self->tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->tx);

	/* Straight to the driver: a new link's qdisc may still be noop. */
	ASSERT_EQ(0, setsockopt(self->tx, SOL_PACKET, PACKET_QDISC_BYPASS,
				&one, sizeof(one)));

	/*
	 * One datagram, for the socket to learn its NAPI id; sent again
	 * while the new link settles (its carrier comes with linkwatch).
	 */
	for (tries = 0; tries < 30; tries++) {
		ASSERT_EQ(0, inject(self));
		if (!receive(self, 100))
			break;
	}
	ASSERT_GT(30, tries) TH_LOG("no datagram through %s in 3 s", VETH_RX);
	ASSERT_EQ(0, getsockopt(self->rx, SOL_SOCKET, SO_INCOMING_NAPI_ID,
				&self->napi_id, &len));
	if (!self->napi_id) {
		self->skip = "the datagram came through veth without a NAPI context "
			     "(SO_INCOMING_NAPI_ID 0): nothing to busy-poll";
		return;
	}
	TH_LOG("socket's NAPI id %u", self->napi_id);

	self->epfd = variant->be->create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epfd);
}

FIXTURE_TEARDOWN(veth)
{
	if (self->epfd >= 0)
		close(self->epfd);
	if (self->rx >= 0)
		close(self->rx);
	if (self->tx >= 0)
		close(self->tx);
	restore_sysctl();
	if (geteuid() == 0)
		veth_delete();
}

/*
 * A wait with nothing ready: how much CPU time it took (in µs), and how
 * many busy loops xepoll counted meanwhile (-1 on epoll).
 */
static long long idle_wait(FIXTURE_DATA(veth) *self, const struct backend *be,
			   long long *loops)
{
	long long cpu = thread_cpu_us(), before = busy_polls();
	struct epoll_event ev;

	be->wait(self->epfd, &ev, 1, WAIT_MS);
	cpu = thread_cpu_us() - cpu;
	*loops = strcmp(be->name, "xepoll") ? -1 : busy_polls() - before;
	return cpu;
}

/*
 * The loop runs: ADD takes the socket's NAPI id, and the next wait with
 * nothing ready spins about busy_poll_usecs before it sleeps; the loop
 * forgets the id when it finds nothing, so the wait after that sleeps at
 * once, until a datagram (its wake-up callback) brings the id back.
 */
static void check_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(veth) *self, const struct backend *be)
{
	struct epoll_event ev;
	long long cpu, loops;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->rx, EPOLLIN, 1));

	cpu = idle_wait(self, be, &loops);
	TH_LOG("%s: wait after ADD: %lld us on the CPU, %lld busy loops",
	       be->name, cpu, loops);
	EXPECT_LE(LOOP_USECS / 2, cpu);
	if (loops >= 0)
		EXPECT_EQ(1, loops);

	cpu = idle_wait(self, be, &loops);
	TH_LOG("%s: next wait: %lld us, %lld busy loops", be->name, cpu, loops);
	EXPECT_GT(LOOP_USECS / 4, cpu);
	if (loops >= 0)
		EXPECT_EQ(0, loops);

	ASSERT_EQ(0, inject(self));
	ASSERT_EQ(1, be->wait(self->epfd, &ev, 1, 1000));
	ASSERT_EQ(0, receive(self, 1000));
	cpu = idle_wait(self, be, &loops);
	TH_LOG("%s: wait after a datagram: %lld us, %lld busy loops",
	       be->name, cpu, loops);
	EXPECT_LE(LOOP_USECS / 2, cpu);
	if (loops >= 0)
		EXPECT_EQ(1, loops);
}

/*
 * A wait with nothing ready after ADD sleeps at once, with @why, and
 * xepoll counts no busy loop.
 */
static void check_no_loop(struct __test_metadata *_metadata,
			  FIXTURE_DATA(veth) *self, const struct backend *be,
			  const char *why)
{
	long long cpu, loops;

	ASSERT_EQ(0, backend_add(be, self->epfd, self->rx, EPOLLIN, 1));
	cpu = idle_wait(self, be, &loops);
	TH_LOG("%s: wait with %s: %lld us, %lld busy loops", be->name, why,
	       cpu, loops);
	EXPECT_GT(LOOP_USECS / 4, cpu);
	if (loops >= 0)
		EXPECT_EQ(0, loops);
}

/* Busy polling asked for by the instance (6.9 and later). */
TEST_F(veth, loop_by_params)
{
	const struct backend *be = variant->be;
	struct xepoll_params p = params(LOOP_USECS, 0, 0, 0);

	if (self->skip)
		SKIP(return, "%s", self->skip);
	NEED_PARAMS();
	ASSERT_EQ(0, be->set_params(self->epfd, &p));
	check_loop(_metadata, self, be);
}

/*
 * net.core.busy_poll: epoll's instances busy-poll by it; xepoll's cannot,
 * since the kernel does not export the variable to modules
 * (kmod/busypoll.c), so with the sysctl set a wait on xepoll still sleeps
 * at once and counts no loop. The documented difference, asserted so that
 * the documentation stays true.
 */
TEST_F(veth, sysctl)
{
	const struct backend *be = variant->be;
	char buf[32];

	if (self->skip)
		SKIP(return, "%s", self->skip);
	if (read_file(SYSCTL_BUSY_POLL, buf, sizeof(buf)) <= 0)
		SKIP(return, "no %s: CONFIG_NET_RX_BUSY_POLL is off", SYSCTL_BUSY_POLL);
	if (saved_sysctl < 0)
		saved_sysctl = atol(buf);
	ASSERT_EQ(0, write_sysctl(LOOP_USECS));
	if (be == &backend_epoll)
		check_loop(_metadata, self, be);
	else
		check_no_loop(_metadata, self, be, "only net.core.busy_poll set");
	restore_sysctl();
}

/* Off (the default): the same waits sleep at once, and xepoll counts none. */
TEST_F(veth, no_loop_when_off)
{
	if (self->skip)
		SKIP(return, "%s", self->skip);
	check_no_loop(_metadata, self, variant->be, "busy polling off");
}

static void __attribute__((destructor)) restore_at_exit(void)
{
	restore_sysctl();
}

TEST_HARNESS_MAIN
