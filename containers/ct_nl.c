/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network namespaces, veth pairs, link settings, addresses and routes over
 * rtnetlink (libmnl), and offloads over the ethtool ioctl. See ct_nl.h.
 *
 * Layout: text helpers (addresses, MACs, names); the helper thread that
 * runs a function inside a namespace; one netlink request with its answer;
 * then one function per operation.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>

#include "ct_nl.h"

/** Receive timeout of a netlink socket, in seconds. */
#define NL_RCV_TIMEOUT_S 5
/** Receive buffer: large enough for any single dump message. */
#define NL_BUF_SIZE 32768
/** Buffer of one request (the largest, a veth pair, takes about 200 bytes). */
#define NL_REQ_SIZE 1024
/** Most datagrams read for one request (a dump of a crowded namespace). */
#define NL_MAX_READS 10000
/** Longest wait for the lock of /run/netns, in ms. */
#define NETNS_LOCK_MS 5000
/** Most addresses removed from one interface by ct_nl_prepare_pmd_end(). */
#define FLUSH_MAX 64
/** Rounds of address removal before giving up (addresses may reappear). */
#define FLUSH_ROUNDS 4

/* ------------------------------------------------------------------------- */
/* Messages. */

/* Write a message into err (when there is room) and return rc. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Addresses and names. */

/* The length in bytes of an address of the family, or 0 for another one. */
static size_t
ip_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

int
ct_ip_parse(const char *s, struct ct_ip *ip)
{
	struct ct_ip out;

	if (s == NULL || ip == NULL)
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	out.family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(out.family, s, out.addr) != 1)
		return -EINVAL;
	*ip = out;
	return 0;
}

int
ct_ip_parse_prefix(const char *s, struct ct_ip *ip, uint8_t *plen)
{
	char buf[CT_IP_STRLEN];
	const char *slash, *p;
	struct ct_ip out;
	unsigned int n = 0;
	size_t alen;

	if (s == NULL || ip == NULL || plen == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (ct_ip_parse(buf, &out) < 0)
		return -EINVAL;
	if (slash == NULL) {
		n = ip_len(out.family) * 8;
	} else {
		/* One to three decimal digits and nothing else. */
		p = slash + 1;
		if (*p == '\0' || strlen(p) > 3)
			return -EINVAL;
		for (; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			n = n * 10 + (unsigned int)(*p - '0');
		}
		if (n > ip_len(out.family) * 8)
			return -EINVAL;
	}
	*ip = out;
	*plen = (uint8_t)n;
	return 0;
}

int
ct_ip_format(const struct ct_ip *ip, char *buf, size_t len)
{
	char tmp[CT_IP_STRLEN];

	if (ip == NULL || buf == NULL || ip_len(ip->family) == 0)
		return -EINVAL;
	if (inet_ntop(ip->family, ip->addr, tmp, sizeof(tmp)) == NULL)
		return -EINVAL;
	if (strlen(tmp) >= len)
		return -ENOSPC;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

int
ct_ip_format_prefix(const struct ct_ip *ip, uint8_t plen, char *buf, size_t len)
{
	char tmp[CT_IP_PREFIX_STRLEN];
	int n;

	if (ip == NULL || buf == NULL || ip_len(ip->family) == 0 || plen > ip_len(ip->family) * 8)
		return -EINVAL;
	if (ct_ip_format(ip, tmp, CT_IP_STRLEN) < 0)
		return -EINVAL;
	n = snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "/%u", plen);
	if (n < 0)
		return -EINVAL;
	if (strlen(tmp) >= len)
		return -ENOSPC;
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

/* The value of a hexadecimal digit, or -1. */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ct_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t out[6];
	int hi, lo;

	if (s == NULL || mac == NULL || strlen(s) != CT_MAC_STRLEN - 1)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		if (i < 5 && p[2] != ':')
			return -EINVAL;
		hi = hex_digit(p[0]);
		lo = hex_digit(p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, sizeof(out));
	return 0;
}

int
ct_mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	if (mac == NULL || buf == NULL)
		return -EINVAL;
	if (len < CT_MAC_STRLEN)
		return -ENOSPC;
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return 0;
}

bool
ct_mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return mac != NULL && (mac[0] & 1) == 0 && memcmp(mac, zero, sizeof(zero)) != 0;
}

bool
ct_netns_name_valid(const char *name)
{
	size_t len;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len == 0 || len > CT_NETNS_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

bool
ct_netns_ref_valid(const char *ref)
{
	if (ref != NULL && ref[0] == '/')
		return strnlen(ref, CT_NETNS_PATH_MAX + 1) <= CT_NETNS_PATH_MAX;
	return ct_netns_name_valid(ref);
}

bool
ct_ifname_valid(const char *name)
{
	size_t len;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len == 0 || len > CT_IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == ':' || isspace(c))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------- */
/* Running a function inside a namespace. */

/** A function to run in a helper thread, and where it runs. */
struct ns_job {
	int nsfd;	      /**< Namespace to enter first; -1: unshare a new one. */
	int (*fn)(void *arg); /**< What to run there; returns 0 or -errno. */
	void *arg;	      /**< Its argument. */
	int rc;		      /**< What it returned, or the error of entering. */
};

static void *
ns_job_main(void *p)
{
	struct ns_job *job = p;
	int rc;

	if (job->nsfd >= 0)
		rc = setns(job->nsfd, CLONE_NEWNET);
	else
		rc = unshare(CLONE_NEWNET);
	if (rc < 0) {
		job->rc = -errno;
		return NULL;
	}
	job->rc = job->fn(job->arg);
	return NULL;
}

/*
 * Run fn(arg) in a new thread that first enters the namespace nsfd (or a
 * new one when nsfd is -1), and wait for it. The thread's namespace dies
 * with the thread (unless fn pinned it); the calling thread's never
 * changes. Signals are blocked in the helper so that none is delivered to
 * it instead of to the threads that expect them.
 */
static int
run_in_thread(int nsfd, int (*fn)(void *), void *arg)
{
	struct ns_job job = {.nsfd = nsfd, .fn = fn, .arg = arg, .rc = -EINTR};
	sigset_t all, old;
	pthread_t t;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, NULL, ns_job_main, &job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	pthread_join(t, NULL);
	return job.rc;
}

/* Run fn(arg) inside the named namespace, or in this thread for NULL. */
static int
run_in_netns(const char *netns, int (*fn)(void *), void *arg)
{
	int nsfd, rc;

	if (netns == NULL)
		return fn(arg);
	nsfd = ct_netns_open(netns);
	if (nsfd < 0)
		return nsfd;
	rc = run_in_thread(nsfd, fn, arg);
	close(nsfd);
	return rc;
}

/** A socket to open (in some namespace). */
struct sock_job {
	int domain, type, protocol; /**< Arguments of socket(). */
	int fd;			    /**< The socket. */
};

static int
sock_job_fn(void *arg)
{
	struct sock_job *j = arg;

	j->fd = socket(j->domain, j->type | SOCK_CLOEXEC, j->protocol);
	return j->fd < 0 ? -errno : 0;
}

/* Open a socket bound to the named namespace (NULL: the caller's). */
static int
socket_in_netns(const char *netns, int domain, int type, int protocol)
{
	struct sock_job j = {.domain = domain, .type = type, .protocol = protocol, .fd = -1};
	int rc;

	rc = run_in_netns(netns, sock_job_fn, &j);
	if (rc < 0) {
		if (j.fd >= 0)
			close(j.fd);
		return rc;
	}
	return j.fd;
}

/* A message for a namespace that could not be entered. */
static int
netns_fail(char *err, size_t errlen, const char *netns, int rc)
{
	if (rc == -ENOENT)
		return fail(err, errlen, rc, "network namespace '%s' does not exist", netns);
	return fail(err, errlen, rc, "cannot enter network namespace '%s': %s", netns,
		    strerror(-rc));
}

/* ------------------------------------------------------------------------- */
/* Netlink requests. */

/** A netlink socket of one operation, and its receive buffer. */
struct nl {
	struct mnl_socket *sk; /**< Bound to one namespace. */
	uint32_t portid;       /**< Our port. */
	uint32_t seq;	       /**< Sequence number of the last request. */
	char kmsg[160];	       /**< Extended-ack message of the last error ("" if none). */
	char buf[NL_BUF_SIZE]; /**< Receive buffer. */
};

/** One request in flight: the caller's callback and the outcome. */
struct nl_call {
	struct nl *nl;
	mnl_cb_t cb; /**< Called for each data message; NULL: none expected. */
	void *data;  /**< Its argument. */
	int error;   /**< The kernel's error (positive errno), or 0. */
};

static void
nl_close(struct nl *nl)
{
	if (nl == NULL)
		return;
	if (nl->sk != NULL)
		mnl_socket_close(nl->sk);
	free(nl);
}

/*
 * Open a route netlink socket in the named namespace (NULL: the caller's),
 * bind it, ask for extended acks and set the receive timeout.
 */
static int
nl_open(const char *netns, struct nl **out)
{
	struct timeval tv = {.tv_sec = NL_RCV_TIMEOUT_S};
	int one = 1, fd, rc;
	struct nl *nl;

	nl = calloc(1, sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	fd = socket_in_netns(netns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0) {
		rc = fd;
		goto out_free;
	}
	nl->sk = mnl_socket_fdopen(fd);
	if (nl->sk == NULL) {
		rc = -errno;
		close(fd);
		goto out_free;
	}
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out_free;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		rc = -errno;
		goto out_free;
	}
	/* Both are optional: older kernels give plain errors. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	*out = nl;
	return 0;

out_free:
	nl_close(nl);
	return rc;
}

static int
nl_extack_attr(const struct nlattr *a, void *data)
{
	struct nl_call *c = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(c->nl->kmsg, sizeof(c->nl->kmsg), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int
nl_on_error(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *c = data;
	const struct nlmsgerr *e;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		c->error = EBADMSG;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		/* Without NLM_F_CAPPED the request follows the error. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, (unsigned int)off, nl_extack_attr, c);
	}
	c->error = e->error < 0 ? -e->error : e->error;
	errno = c->error;
	return MNL_CB_ERROR;
}

static int
nl_on_done(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *c = data;
	int v;

	/* A dump that failed half-way says so in its NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&v, mnl_nlmsg_get_payload(nlh), sizeof(v));
		if (v < 0) {
			c->error = -v;
			errno = -v;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int
nl_on_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int
nl_on_overrun(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *c = data;

	(void)nlh;
	c->error = ENOBUFS;
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

static int
nl_on_data(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *c = data;

	if (c->cb == NULL)
		return MNL_CB_OK;
	return c->cb(nlh, c->data);
}

/*
 * Send one request and read its answer: data messages go to cb, and the
 * request ends with the kernel's acknowledgement (or NLMSG_DONE for a
 * dump). Returns 0 or -errno; the kernel's message, if any, is in nl->kmsg.
 */
static int
nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = nl_on_noop,
		[NLMSG_ERROR] = nl_on_error,
		[NLMSG_DONE] = nl_on_done,
		[NLMSG_OVERRUN] = nl_on_overrun,
	};
	struct nl_call c = {.nl = nl, .cb = cb, .data = data};
	bool dump;
	ssize_t n;
	int rc;

	nl->kmsg[0] = '\0';
	/*
	 * A dump ends with NLMSG_DONE; anything else with an ack. The dump
	 * bits share their values with NLM_F_REPLACE and NLM_F_EXCL, so only
	 * a GET request can be a dump.
	 */
	dump = (nlh->nlmsg_type & 3) == (RTM_GETLINK & 3) &&
	       (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (int i = 0; i < NL_MAX_READS; i++) {
		n = mnl_socket_recvfrom(nl->sk, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		errno = 0;
		rc = mnl_cb_run2(nl->buf, (size_t)n, nl->seq, nl->portid, nl_on_data, &c, ctl,
				 NLMSG_MIN_TYPE);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR) {
			if (c.error != 0)
				return -c.error;
			/* libmnl's own checks (port, sequence) or the callback's. */
			return errno != 0 ? -errno : -EPROTO;
		}
	}
	return -ETIMEDOUT;
}

/* A message for a failed request: what, then the kernel's words if any. */
static int
nl_fail(char *err, size_t errlen, const struct nl *nl, int rc, const char *what)
{
	if (nl != NULL && nl->kmsg[0] != '\0')
		return fail(err, errlen, rc, "%s: %s (%s)", what, nl->kmsg, strerror(-rc));
	return fail(err, errlen, rc, "%s: %s", what, strerror(-rc));
}

/* Start a request in buf: the netlink header and a zeroed family header. */
static struct nlmsghdr *
nl_put_header(char *buf, uint16_t type, uint16_t flags, void **extra, size_t extra_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	*extra = mnl_nlmsg_put_extra_header(nlh, extra_len);
	return nlh;
}

/* ------------------------------------------------------------------------- */
/* Looking up links. */

static int
link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int
link_info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct ct_link_info *info = data;
	const struct ifinfomsg *ifm;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ifm = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr, tb);
	memset(info, 0, sizeof(*info));
	info->ifindex = ifm->ifi_index;
	info->flags = ifm->ifi_flags;
	if (tb[IFLA_IFNAME] != NULL && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_STRING) == 0)
		snprintf(info->name, sizeof(info->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU] != NULL && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		info->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] != NULL && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(info->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	return MNL_CB_OK;
}

/* Look up an interface by name on an open socket; -ENODEV if absent. */
static int
nl_link_get(struct nl *nl, const char *ifname, struct ct_link_info *info)
{
	char req[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_put_header(req, RTM_GETLINK, 0, (void **)&ifm, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	info->ifindex = 0;
	rc = nl_request(nl, nlh, link_info_cb, info);
	if (rc == 0 && info->ifindex <= 0)
		rc = -ENODEV;
	return rc;
}

int
ct_link_get(const char *netns, const char *ifname, struct ct_link_info *info)
{
	struct ct_link_info tmp;
	struct nl *nl;
	int rc;

	if (!ct_ifname_valid(ifname) || info == NULL)
		return -EINVAL;
	rc = nl_open(netns, &nl);
	if (rc < 0)
		return rc;
	rc = nl_link_get(nl, ifname, &tmp);
	nl_close(nl);
	if (rc == 0)
		*info = tmp;
	return rc;
}

bool
ct_link_exists(const char *netns, const char *ifname)
{
	struct ct_link_info info;

	return ct_link_get(netns, ifname, &info) == 0;
}

/* Open a socket in netns and look ifname up, with messages; the caller closes nl. */
static int
nl_open_link(const char *netns, const char *ifname, struct nl **out, struct ct_link_info *info,
	     char *err, size_t errlen)
{
	struct nl *nl;
	int rc;

	rc = nl_open(netns, &nl);
	if (rc < 0) {
		if (netns != NULL)
			return netns_fail(err, errlen, netns, rc);
		return fail(err, errlen, rc, "cannot open a netlink socket: %s", strerror(-rc));
	}
	rc = nl_link_get(nl, ifname, info);
	if (rc < 0) {
		if (rc == -ENODEV)
			fail(err, errlen, rc, "no interface '%s' in %s%s%s", ifname,
			     netns ? "network namespace '" : "the host namespace",
			     netns ? netns : "", netns ? "'" : "");
		else
			nl_fail(err, errlen, nl, rc, "cannot look up the interface");
		nl_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Named namespaces. */

/* Build /run/netns/NAME; the name must have been checked. */
static void
netns_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", CT_NETNS_DIR, name);
}

/*
 * Make /run/netns a shared mount point, so that namespace mounts below it
 * propagate to (and their unmounts from) copies of this mount namespace. It
 * becomes a mount point by being bind-mounted onto itself. A lock on the
 * directory, which iproute2 takes too, keeps two processes from stacking
 * bind mounts by doing this at the same time.
 */
static int
netns_dir_setup(char *err, size_t errlen)
{
	int fd, rc = 0;
	bool bound = false;

	if (mkdir(CT_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return fail(err, errlen, -errno, "cannot create %s: %s", CT_NETNS_DIR,
			    strerror(errno));
	fd = open(CT_NETNS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", CT_NETNS_DIR,
			    strerror(errno));
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = fail(err, errlen, -errno, "cannot lock %s: %s", CT_NETNS_DIR,
				  strerror(errno));
			goto out_close;
		}
		if (waited >= NETNS_LOCK_MS) {
			rc = fail(err, errlen, -EBUSY, "%s stayed locked for %d ms", CT_NETNS_DIR,
				  NETNS_LOCK_MS);
			goto out_close;
		}
		usleep(10000);
	}
	while (mount("none", CT_NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet. */
		if (errno != EINVAL || bound) {
			rc = fail(err, errlen, -errno, "cannot make %s a shared mount: %s",
				  CT_NETNS_DIR, strerror(errno));
			goto out_unlock;
		}
		if (mount(CT_NETNS_DIR, CT_NETNS_DIR, NULL, MS_BIND | MS_REC, NULL) < 0) {
			rc = fail(err, errlen, -errno, "cannot bind-mount %s onto itself: %s",
				  CT_NETNS_DIR, strerror(errno));
			goto out_unlock;
		}
		bound = true;
	}
out_unlock:
	flock(fd, LOCK_UN);
out_close:
	close(fd);
	return rc;
}

/* In the helper thread, now in a new namespace: pin it on the file. */
static int
netns_pin_fn(void *arg)
{
	const char *path = arg;

	if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

int
ct_netns_add(const char *name, char *err, size_t errlen)
{
	char path[sizeof(CT_NETNS_DIR) + CT_NETNS_NAME_MAX + 2];
	int fd, rc;

	if (!ct_netns_name_valid(name))
		return fail(err, errlen, -EINVAL,
			    "bad network namespace name '%s': 1 to %d characters of "
			    "[A-Za-z0-9_.-] expected",
			    name ? name : "(null)", CT_NETNS_NAME_MAX);
	rc = netns_dir_setup(err, errlen);
	if (rc < 0)
		return rc;
	netns_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		if (errno == EEXIST)
			return fail(err, errlen, -EEXIST, "network namespace '%s' exists", name);
		return fail(err, errlen, -errno, "cannot create %s: %s", path, strerror(errno));
	}
	close(fd);
	/* A helper thread unshares a new namespace, pins it, and exits. */
	rc = run_in_thread(-1, netns_pin_fn, path);
	if (rc < 0) {
		fail(err, errlen, rc, "cannot create network namespace '%s': %s", name,
		     strerror(-rc));
		goto out_unlink;
	}
	return 0;

out_unlink:
	unlink(path);
	return rc;
}

int
ct_netns_del(const char *name)
{
	char path[sizeof(CT_NETNS_DIR) + CT_NETNS_NAME_MAX + 2];

	if (!ct_netns_name_valid(name))
		return -EINVAL;
	netns_path(name, path, sizeof(path));
	/* EINVAL: not a mount, a leftover file; it is removed all the same. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

bool
ct_netns_exists(const char *name)
{
	char path[sizeof(CT_NETNS_DIR) + CT_NETNS_NAME_MAX + 2];
	struct stat st;

	if (!ct_netns_name_valid(name))
		return false;
	netns_path(name, path, sizeof(path));
	return lstat(path, &st) == 0;
}

int
ct_netns_open(const char *ref)
{
	char path[sizeof(CT_NETNS_DIR) + CT_NETNS_NAME_MAX + 2];
	struct statfs sfs;
	int fd, rc;

	if (!ct_netns_ref_valid(ref))
		return -EINVAL;
	if (ref[0] != '/')
		netns_path(ref, path, sizeof(path));
	fd = open(ref[0] == '/' ? ref : path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (sfs.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		rc = -EINVAL;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return rc;
}

int
ct_netns_lo_up(const char *netns, char *err, size_t errlen)
{
	struct ct_link_args a = {.netns = netns, .ifname = "lo", .up = CT_SET_ON};

	return ct_link_set(&a, err, errlen);
}

/* ------------------------------------------------------------------------- */
/* veth pairs and links. */

/* Check an optional MTU; 0 is "leave". */
static bool
mtu_valid(uint16_t mtu)
{
	return mtu == 0 || mtu >= 68;
}

int
ct_veth_add(const struct ct_veth_args *a, char *err, size_t errlen)
{
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *ifm, *pifm;
	char req[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nl *nl = NULL;
	int nsfd = -1, rc;
	bool same_ns;

	if (a == NULL)
		return fail(err, errlen, -EINVAL, "no veth arguments");
	if (!ct_ifname_valid(a->host_if))
		return fail(err, errlen, -EINVAL, "bad host interface name '%s'",
			    a->host_if ? a->host_if : "(null)");
	if (!ct_ifname_valid(a->peer_if))
		return fail(err, errlen, -EINVAL, "bad peer interface name '%s'",
			    a->peer_if ? a->peer_if : "(null)");
	if (a->host_netns != NULL && !ct_netns_ref_valid(a->host_netns))
		return fail(err, errlen, -EINVAL, "bad network namespace '%s'", a->host_netns);
	if (a->netns != NULL && !ct_netns_ref_valid(a->netns))
		return fail(err, errlen, -EINVAL, "bad network namespace '%s'", a->netns);
	same_ns =
		a->netns == NULL || (a->host_netns != NULL && strcmp(a->netns, a->host_netns) == 0);
	if (same_ns && strcmp(a->host_if, a->peer_if) == 0)
		return fail(err, errlen, -EINVAL, "both ends are named '%s' in one namespace",
			    a->host_if);
	if (a->host_mac != NULL && !ct_mac_is_unicast(a->host_mac))
		return fail(err, errlen, -EINVAL, "the host end's MAC is not a unicast address");
	if (a->peer_mac != NULL && !ct_mac_is_unicast(a->peer_mac))
		return fail(err, errlen, -EINVAL, "the peer's MAC is not a unicast address");
	if (!mtu_valid(a->mtu))
		return fail(err, errlen, -EINVAL, "MTU %u is below 68", a->mtu);
	if (a->netns != NULL) {
		nsfd = ct_netns_open(a->netns);
		if (nsfd < 0)
			return netns_fail(err, errlen, a->netns, nsfd);
	}
	rc = nl_open(a->host_netns, &nl);
	if (rc < 0) {
		if (a->host_netns != NULL)
			netns_fail(err, errlen, a->host_netns, rc);
		else
			fail(err, errlen, rc, "cannot open a netlink socket: %s", strerror(-rc));
		goto out_close;
	}

	nlh = nl_put_header(req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, (void **)&ifm,
			    sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a->host_if);
	if (a->mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, a->mtu);
	if (a->host_mac != NULL)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, a->host_mac);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an interface header of their own. */
	pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a->peer_if);
	if (nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (a->mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, a->mtu);
	if (a->peer_mac != NULL)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, a->peer_mac);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	rc = nl_request(nl, nlh, NULL, NULL);
	if (rc == -EEXIST) {
		if (ct_link_exists(a->host_netns, a->host_if))
			fail(err, errlen, rc, "interface '%s' exists", a->host_if);
		else
			fail(err, errlen, rc, "interface '%s' exists in the peer's namespace",
			     a->peer_if);
	} else if (rc < 0) {
		nl_fail(err, errlen, nl, rc, "cannot create the veth pair");
	}
	nl_close(nl);
out_close:
	if (nsfd >= 0)
		close(nsfd);
	return rc;
}

int
ct_link_del(const char *netns, const char *ifname)
{
	char req[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	struct nl *nl;
	int rc;

	if (!ct_ifname_valid(ifname) || (netns != NULL && !ct_netns_ref_valid(netns)))
		return -EINVAL;
	rc = nl_open(netns, &nl);
	if (rc < 0)
		return rc;
	nlh = nl_put_header(req, RTM_DELLINK, 0, (void **)&ifm, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	rc = nl_request(nl, nlh, NULL, NULL);
	nl_close(nl);
	return rc == -ENODEV ? -ENOENT : rc;
}

/*
 * Build an RTM_SETLINK request for ifindex: the name, MTU and MAC given
 * (NULL/0 for none) and the flags under change set to flags.
 */
static struct nlmsghdr *
link_set_msg(char *req, int ifindex, const char *name, uint32_t mtu, const uint8_t *mac,
	     unsigned int change, unsigned int flags)
{
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	nlh = nl_put_header(req, RTM_SETLINK, 0, (void **)&ifm, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	ifm->ifi_change = change;
	ifm->ifi_flags = flags & change;
	if (name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (mac != NULL)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nlh;
}

/* Add the flag to change/flags for a tri-state setting. */
static void
flag_apply(enum ct_set s, unsigned int flag, unsigned int *change, unsigned int *flags)
{
	if (s == CT_SET_LEAVE)
		return;
	*change |= flag;
	if (s == CT_SET_ON)
		*flags |= flag;
}

int
ct_link_set(const struct ct_link_args *a, char *err, size_t errlen)
{
	unsigned int change = 0, flags = 0;
	struct ct_link_info old;
	char req[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nl *nl;
	int rc, rc2;

	if (a == NULL)
		return fail(err, errlen, -EINVAL, "no link arguments");
	if (!ct_ifname_valid(a->ifname))
		return fail(err, errlen, -EINVAL, "bad interface name '%s'",
			    a->ifname ? a->ifname : "(null)");
	if (a->netns != NULL && !ct_netns_ref_valid(a->netns))
		return fail(err, errlen, -EINVAL, "bad network namespace '%s'", a->netns);
	if (a->new_name != NULL && !ct_ifname_valid(a->new_name))
		return fail(err, errlen, -EINVAL, "bad new interface name '%s'", a->new_name);
	if ((unsigned int)a->up > CT_SET_OFF || (unsigned int)a->noarp > CT_SET_OFF)
		return fail(err, errlen, -EINVAL, "up and noarp take CT_SET_LEAVE, _ON or _OFF");
	if (!mtu_valid(a->mtu))
		return fail(err, errlen, -EINVAL, "MTU %u is below 68", a->mtu);
	if (a->mac != NULL && !ct_mac_is_unicast(a->mac))
		return fail(err, errlen, -EINVAL, "the MAC is not a unicast address");

	rc = nl_open_link(a->netns, a->ifname, &nl, &old, err, errlen);
	if (rc < 0)
		return rc;
	flag_apply(a->up, IFF_UP, &change, &flags);
	flag_apply(a->noarp, IFF_NOARP, &change, &flags);
	nlh = link_set_msg(req, old.ifindex, a->new_name, a->mtu, a->mac, change, flags);
	rc = nl_request(nl, nlh, NULL, NULL);
	if (rc < 0) {
		nl_fail(err, errlen, nl, rc, "cannot change the interface");
		/*
		 * The kernel applies a request in steps and stops at the first
		 * that fails: put back the old values of whatever was asked.
		 */
		nlh = link_set_msg(req, old.ifindex, a->new_name != NULL ? old.name : NULL,
				   a->mtu != 0 ? old.mtu : 0, a->mac != NULL ? old.mac : NULL,
				   change, old.flags);
		rc2 = nl_request(nl, nlh, NULL, NULL);
		(void)rc2;
	}
	nl_close(nl);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Offloads and the PMD end. */

/*
 * Whether a feature (by its ethtool name) is one the PMD end must not have:
 * transmit checksum offload (tx-checksum-*), any segmentation offload
 * (tx-*segmentation: TCP, TCP with ECN/AccECN, mangled IDs, TCP6, UDP,
 * generic, tunnels; tx-gso-*), and receive aggregation (rx-gro*, rx-lro,
 * rx-udp-gro-forwarding). Matching by name also covers features that newer
 * kernels add to these families, which the legacy ETHTOOL_STSO and friends
 * miss (tx-tcp-accecn-segmentation, for one).
 */
static bool
offload_unwanted(const char *name)
{
	size_t len = strlen(name);
	static const char seg[] = "segmentation";

	if (strncmp(name, "tx-checksum-", 12) == 0 || strncmp(name, "tx-gso-", 7) == 0)
		return true;
	if (strncmp(name, "tx-", 3) == 0 && len > sizeof(seg) &&
	    strcmp(name + len - (sizeof(seg) - 1), seg) == 0)
		return true;
	return strncmp(name, "rx-gro", 6) == 0 || strcmp(name, "rx-lro") == 0 ||
	       strcmp(name, "rx-udp-gro-forwarding") == 0;
}

/* Run one ethtool command on ifname; returns the ioctl's value or -errno. */
static int
ethtool_cmd(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = cmd;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	return rc < 0 ? -errno : rc;
}

/** The device's feature names and states, from the ethtool ioctl. */
struct features {
	uint32_t n;			 /**< Number of features. */
	struct ethtool_gstrings *names;	 /**< Their names, ETH_GSTRING_LEN bytes each. */
	struct ethtool_gfeatures *state; /**< Blocks of 32 features. */
};

static void
features_free(struct features *f)
{
	free(f->names);
	free(f->state);
	f->names = NULL;
	f->state = NULL;
}

/* Read the feature names (once) and their current state. */
static int
features_read(int fd, const char *ifname, struct features *f)
{
	/* The set's header and room for one count, 8-byte aligned. */
	uint64_t sbuf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8];
	struct ethtool_sset_info *sset = (struct ethtool_sset_info *)sbuf;
	uint32_t blocks;
	int rc;

	if (f->names == NULL) {
		memset(sbuf, 0, sizeof(sbuf));
		sset->cmd = ETHTOOL_GSSET_INFO;
		sset->sset_mask = 1ULL << ETH_SS_FEATURES;
		rc = ethtool_cmd(fd, ifname, sset);
		if (rc < 0)
			return rc;
		if (!(sset->sset_mask & (1ULL << ETH_SS_FEATURES)) || sset->data[0] == 0 ||
		    sset->data[0] > 4096)
			return -EOPNOTSUPP;
		f->n = sset->data[0];
		f->names = calloc(1, sizeof(*f->names) + (size_t)f->n * ETH_GSTRING_LEN);
		if (f->names == NULL)
			return -ENOMEM;
		f->names->cmd = ETHTOOL_GSTRINGS;
		f->names->string_set = ETH_SS_FEATURES;
		f->names->len = f->n;
		rc = ethtool_cmd(fd, ifname, f->names);
		if (rc < 0)
			return rc;
		if (f->names->len < f->n)
			f->n = f->names->len;
	}
	blocks = (f->n + 31) / 32;
	free(f->state);
	f->state = calloc(1, sizeof(*f->state) + blocks * sizeof(f->state->features[0]));
	if (f->state == NULL)
		return -ENOMEM;
	f->state->cmd = ETHTOOL_GFEATURES;
	f->state->size = blocks;
	rc = ethtool_cmd(fd, ifname, f->state);
	return rc < 0 ? rc : 0;
}

/* The name of feature i, NUL-terminated in buf. */
static const char *
feature_name(const struct features *f, uint32_t i, char buf[ETH_GSTRING_LEN + 1])
{
	memcpy(buf, f->names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
	buf[ETH_GSTRING_LEN] = '\0';
	return buf;
}

/*
 * Turn the offloads off on ifname through fd, a socket of its namespace:
 * read the feature names, ask for every unwanted one that can change to go
 * off (ETHTOOL_SFEATURES), then check that none is still active.
 */
static int
offloads_off(int fd, const char *ifname, char *err, size_t errlen)
{
	struct features f = {0};
	struct ethtool_sfeatures *set = NULL;
	char name[ETH_GSTRING_LEN + 1];
	uint32_t blocks, bit;
	bool any = false;
	int rc;

	rc = features_read(fd, ifname, &f);
	if (rc < 0) {
		fail(err, errlen, rc, "cannot read the features of '%s': %s", ifname,
		     strerror(-rc));
		goto out_free;
	}
	blocks = (f.n + 31) / 32;
	set = calloc(1, sizeof(*set) + blocks * sizeof(set->features[0]));
	if (set == NULL) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out_free;
	}
	set->cmd = ETHTOOL_SFEATURES;
	set->size = blocks;
	for (uint32_t i = 0; i < f.n; i++) {
		bit = 1u << (i % 32);
		if (!offload_unwanted(feature_name(&f, i, name)))
			continue;
		/* Only what the driver lets change ("available"); requested stays 0. */
		if (f.state->features[i / 32].available & bit) {
			set->features[i / 32].valid |= bit;
			any = true;
		}
	}
	if (any) {
		rc = ethtool_cmd(fd, ifname, set);
		if (rc < 0) {
			fail(err, errlen, rc, "cannot turn the offloads of '%s' off: %s", ifname,
			     strerror(-rc));
			goto out_free;
		}
	}
	rc = features_read(fd, ifname, &f);
	if (rc < 0) {
		fail(err, errlen, rc, "cannot read the features of '%s': %s", ifname,
		     strerror(-rc));
		goto out_free;
	}
	for (uint32_t i = 0; i < f.n; i++) {
		bit = 1u << (i % 32);
		if ((f.state->features[i / 32].active & bit) &&
		    offload_unwanted(feature_name(&f, i, name))) {
			rc = fail(err, errlen, -EOPNOTSUPP, "the driver of '%s' keeps %s on",
				  ifname, name);
			goto out_free;
		}
	}
	rc = 0;
out_free:
	free(set);
	features_free(&f);
	return rc;
}

int
ct_link_offloads_off(const char *netns, const char *ifname, char *err, size_t errlen)
{
	struct ct_link_info info;
	struct nl *nl;
	int fd, rc;

	if (!ct_ifname_valid(ifname))
		return fail(err, errlen, -EINVAL, "bad interface name '%s'",
			    ifname ? ifname : "(null)");
	if (netns != NULL && !ct_netns_ref_valid(netns))
		return fail(err, errlen, -EINVAL, "bad network namespace '%s'", netns);
	rc = nl_open_link(netns, ifname, &nl, &info, err, errlen);
	if (rc < 0)
		return rc;
	nl_close(nl);
	fd = socket_in_netns(netns, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail(err, errlen, fd, "cannot open an ioctl socket: %s", strerror(-fd));
	rc = offloads_off(fd, ifname, err, errlen);
	close(fd);
	return rc;
}

/* Write "1" to net.ipv6.conf.IF.disable_ipv6 (of the caller's namespace). */
static int
ipv6_disable(const char *ifname, char *err, size_t errlen)
{
	char path[96];
	struct stat st;
	ssize_t n;
	int fd;

	/* Without IPv6 in the kernel (ipv6.disable=1) there is nothing to do. */
	if (stat("/proc/sys/net/ipv6", &st) < 0 && errno == ENOENT)
		return 0;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", path, strerror(errno));
	n = write(fd, "1\n", 2);
	if (n != 2) {
		int rc = n < 0 ? -errno : -EIO;

		close(fd);
		return fail(err, errlen, rc, "cannot write %s: %s", path, strerror(-rc));
	}
	close(fd);
	return 0;
}

/** Addresses of one interface, as collected from a dump. */
struct addr_list {
	int ifindex;	/**< The interface. */
	unsigned int n; /**< Entries used. */
	bool more;	/**< Some did not fit. */
	struct {
		int family;
		uint8_t plen;
		uint8_t local[16]; /**< IFA_LOCAL, or IFA_ADDRESS if absent. */
	} a[FLUSH_MAX];
};

static int
addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((int)ifa->ifa_index != l->ifindex)
		return MNL_CB_OK;
	alen = ip_len(ifa->ifa_family);
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb);
	at = tb[IFA_LOCAL] != NULL ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (alen == 0 || at == NULL || mnl_attr_get_payload_len(at) != alen)
		return MNL_CB_OK;
	if (l->n == FLUSH_MAX) {
		l->more = true;
		return MNL_CB_OK;
	}
	l->a[l->n].family = ifa->ifa_family;
	l->a[l->n].plen = ifa->ifa_prefixlen;
	memset(l->a[l->n].local, 0, sizeof(l->a[l->n].local));
	memcpy(l->a[l->n].local, mnl_attr_get_payload(at), alen);
	l->n++;
	return MNL_CB_OK;
}

/* Build an RTM_NEWADDR or RTM_DELADDR request. */
static struct nlmsghdr *
addr_msg(char *req, uint16_t type, uint16_t flags, int ifindex, const struct ct_ip *ip,
	 uint8_t plen)
{
	size_t alen = ip_len(ip->family);
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	nlh = nl_put_header(req, type, flags, (void **)&ifa, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)ip->family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, ip->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, ip->addr);
	if (type == RTM_NEWADDR && ip->family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	if (type == RTM_NEWADDR && ip->family == AF_INET && plen <= 30) {
		uint32_t a, mask = plen == 0 ? 0 : htonl(~0u << (32 - plen));

		memcpy(&a, ip->addr, 4);
		a |= ~mask;
		mnl_attr_put(nlh, IFA_BROADCAST, 4, &a);
	}
	return nlh;
}

/* Remove every address of the interface (IPv4 and IPv6). */
static int
addr_flush(struct nl *nl, int ifindex, const char *ifname, char *err, size_t errlen)
{
	char req[NL_REQ_SIZE];
	struct addr_list *l;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct ct_ip ip;
	int rc = 0;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (int round = 0; round < FLUSH_ROUNDS; round++) {
		memset(l, 0, sizeof(*l));
		l->ifindex = ifindex;
		nlh = nl_put_header(req, RTM_GETADDR, NLM_F_DUMP, (void **)&ifa, sizeof(*ifa));
		ifa->ifa_family = AF_UNSPEC;
		rc = nl_request(nl, nlh, addr_list_cb, l);
		/* An interrupted dump (addresses changed meanwhile) is read again. */
		if (rc == -EINTR)
			continue;
		if (rc < 0) {
			nl_fail(err, errlen, nl, rc, "cannot list the addresses");
			goto out_free;
		}
		if (l->n == 0)
			goto out_free;
		for (unsigned int i = 0; i < l->n; i++) {
			memset(&ip, 0, sizeof(ip));
			ip.family = l->a[i].family;
			memcpy(ip.addr, l->a[i].local, sizeof(ip.addr));
			nlh = addr_msg(req, RTM_DELADDR, 0, ifindex, &ip, l->a[i].plen);
			rc = nl_request(nl, nlh, NULL, NULL);
			/* Gone already: deleting a primary IPv4 address takes its secondaries. */
			if (rc < 0 && rc != -EADDRNOTAVAIL && rc != -ENOENT) {
				nl_fail(err, errlen, nl, rc, "cannot remove an address");
				goto out_free;
			}
		}
	}
	rc = fail(err, errlen, -EAGAIN, "addresses of '%s' keep coming back", ifname);
out_free:
	free(l);
	return rc;
}

int
ct_nl_prepare_pmd_end(const char *ifname, char *err, size_t errlen)
{
	struct ct_link_info info;
	char req[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nl *nl;
	int fd, rc;

	if (!ct_ifname_valid(ifname))
		return fail(err, errlen, -EINVAL, "bad interface name '%s'",
			    ifname ? ifname : "(null)");
	rc = nl_open_link(NULL, ifname, &nl, &info, err, errlen);
	if (rc < 0)
		return rc;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = fail(err, errlen, -errno, "cannot open an ioctl socket: %s", strerror(errno));
		goto out_nl;
	}
	rc = offloads_off(fd, ifname, err, errlen);
	close(fd);
	if (rc < 0)
		goto out_nl;
	rc = ipv6_disable(ifname, err, errlen);
	if (rc < 0)
		goto out_nl;
	rc = addr_flush(nl, info.ifindex, ifname, err, errlen);
	if (rc < 0)
		goto out_nl;
	nlh = link_set_msg(req, info.ifindex, NULL, 0, NULL, IFF_UP | IFF_NOARP,
			   IFF_UP | IFF_NOARP);
	rc = nl_request(nl, nlh, NULL, NULL);
	if (rc < 0)
		nl_fail(err, errlen, nl, rc, "cannot set ARP off and the link up");
out_nl:
	nl_close(nl);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Addresses and routes. */

/* Check an address and its prefix length. */
static bool
prefix_valid(const struct ct_ip *ip, uint8_t plen)
{
	return ip != NULL && ip_len(ip->family) != 0 && plen <= ip_len(ip->family) * 8;
}

/* Add or remove an address. */
static int
addr_change(uint16_t type, const char *netns, const char *ifname, const struct ct_ip *ip,
	    uint8_t plen)
{
	struct ct_link_info info;
	char req[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nl *nl;
	int rc;

	if (!ct_ifname_valid(ifname) || !prefix_valid(ip, plen) ||
	    (netns != NULL && !ct_netns_ref_valid(netns)))
		return -EINVAL;
	rc = nl_open_link(netns, ifname, &nl, &info, NULL, 0);
	if (rc < 0)
		return rc;
	nlh = addr_msg(req, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, info.ifindex,
		       ip, plen);
	rc = nl_request(nl, nlh, NULL, NULL);
	nl_close(nl);
	if (type == RTM_DELADDR && rc == -EADDRNOTAVAIL)
		rc = -ENOENT;
	return rc;
}

int
ct_addr_add(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen)
{
	return addr_change(RTM_NEWADDR, netns, ifname, ip, plen);
}

int
ct_addr_del(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen)
{
	return addr_change(RTM_DELADDR, netns, ifname, ip, plen);
}

int
ct_addr_has(const char *netns, const char *ifname, const struct ct_ip *ip, uint8_t plen)
{
	struct ct_link_info info;
	char req[NL_REQ_SIZE];
	struct addr_list *l;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct nl *nl;
	int rc;

	if (!ct_ifname_valid(ifname) || !prefix_valid(ip, plen) ||
	    (netns != NULL && !ct_netns_ref_valid(netns)))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	rc = nl_open_link(netns, ifname, &nl, &info, NULL, 0);
	if (rc < 0)
		goto out_free;
	/* A dump interrupted by a change is read again, a few times at most. */
	for (int round = 0; round < FLUSH_ROUNDS; round++) {
		memset(l, 0, sizeof(*l));
		l->ifindex = info.ifindex;
		nlh = nl_put_header(req, RTM_GETADDR, NLM_F_DUMP, (void **)&ifa, sizeof(*ifa));
		ifa->ifa_family = (uint8_t)ip->family;
		rc = nl_request(nl, nlh, addr_list_cb, l);
		if (rc != -EINTR)
			break;
	}
	nl_close(nl);
	if (rc < 0)
		goto out_free;
	rc = 0;
	for (unsigned int i = 0; i < l->n; i++)
		if (l->a[i].family == ip->family && l->a[i].plen == plen &&
		    memcmp(l->a[i].local, ip->addr, ip_len(ip->family)) == 0)
			rc = 1;
	if (rc == 0 && l->more)
		rc = -E2BIG;

out_free:
	free(l);
	return rc;
}

/* Add or remove a route (see ct_route_add()). */
static int
route_change(uint16_t type, const char *netns, const char *ifname, const struct ct_ip *dst,
	     uint8_t plen, const struct ct_ip *gw)
{
	struct ct_link_info info = {.ifindex = 0};
	struct ct_ip net = {.family = AF_INET};
	char req[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct nl *nl;
	size_t alen;
	int rc;

	if (ifname != NULL && !ct_ifname_valid(ifname))
		return -EINVAL;
	if (netns != NULL && !ct_netns_ref_valid(netns))
		return -EINVAL;
	if (ifname == NULL && gw == NULL)
		return -EINVAL;
	if (gw != NULL && ip_len(gw->family) == 0)
		return -EINVAL;
	if (dst != NULL) {
		if (!prefix_valid(dst, plen))
			return -EINVAL;
		if (gw != NULL && gw->family != dst->family)
			return -EINVAL;
		net = *dst;
	} else {
		if (plen != 0)
			return -EINVAL;
		if (gw != NULL)
			net.family = gw->family;
	}
	alen = ip_len(net.family);
	/* Clear the host bits. */
	for (size_t i = 0; i < alen; i++) {
		unsigned int bits = i * 8 >= plen ? 0 : plen - i * 8;

		if (bits < 8)
			net.addr[i] &= (uint8_t)(0xff00u >> bits);
	}

	if (ifname != NULL) {
		rc = nl_open_link(netns, ifname, &nl, &info, NULL, 0);
	} else {
		rc = nl_open(netns, &nl);
	}
	if (rc < 0)
		return rc;
	nlh = nl_put_header(req, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0,
			    (void **)&rtm, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)net.family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_BOOT;
		rtm->rtm_type = RTN_UNICAST;
		rtm->rtm_scope = gw != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	} else {
		/* Match whatever scope, protocol and type the route has. */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	if (plen > 0)
		mnl_attr_put(nlh, RTA_DST, alen, net.addr);
	if (gw != NULL)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, gw->addr);
	if (info.ifindex > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)info.ifindex);
	rc = nl_request(nl, nlh, NULL, NULL);
	nl_close(nl);
	if (type == RTM_DELROUTE && rc == -ESRCH)
		rc = -ENOENT;
	return rc;
}

int
ct_route_add(const char *netns, const char *ifname, const struct ct_ip *dst, uint8_t plen,
	     const struct ct_ip *gw)
{
	return route_change(RTM_NEWROUTE, netns, ifname, dst, plen, gw);
}

int
ct_route_del(const char *netns, const char *ifname, const struct ct_ip *dst, uint8_t plen,
	     const struct ct_ip *gw)
{
	return route_change(RTM_DELROUTE, netns, ifname, dst, plen, gw);
}
