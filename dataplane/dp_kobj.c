/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A census of the AF_XDP sockets and BPF objects of this process, and the
 * closing of those a closed port's driver left open (dp_kobj.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_kobj.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

/* Read the number after "key:" in /proc/self/fdinfo/fd. */
static int
fdinfo_id(int fd, const char *key, uint64_t *id)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int rc = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long long v;

		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		errno = 0;
		v = strtoull(line + klen + 1, &end, 10);
		if (errno == 0 && end != line + klen + 1) {
			*id = v;
			rc = 0;
		}
		break;
	}
	fclose(f);
	return rc;
}

/*
 * What @fd refers to: 0 and the kind and ID for an AF_XDP socket or a BPF
 * program or map, -ENOENT for anything else, or another -errno.
 */
static int
identify(int fd, uint8_t *kind, uint64_t *id)
{
	char path[64], target[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	if (strncmp(target, "socket:", 7) == 0) {
		struct stat st;
		int domain = 0;
		socklen_t sl = sizeof(domain);

		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 || domain != AF_XDP)
			return -ENOENT;
		if (fstat(fd, &st) < 0)
			return -errno;
		*kind = DP_KOBJ_XSK;
		*id = (uint64_t)st.st_ino;
		return 0;
	}
	if (strcmp(target, "anon_inode:bpf-prog") == 0) {
		*kind = DP_KOBJ_BPF_PROG;
		return fdinfo_id(fd, "prog_id", id);
	}
	if (strcmp(target, "anon_inode:bpf-map") == 0) {
		*kind = DP_KOBJ_BPF_MAP;
		return fdinfo_id(fd, "map_id", id);
	}
	return -ENOENT;
}

static int
cmp_fd(const void *a, const void *b)
{
	const struct dp_kobj *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

int
dp_kobj_census(struct dp_kobj_census *c)
{
	struct dp_kobj *grown;
	uint32_t cap = 0;
	struct dirent *de;
	int rc = 0, self;
	DIR *d;

	c->obj = NULL;
	c->n = 0;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -errno;
	self = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct dp_kobj o = {0};
		char *end;
		long fd;

		fd = strtol(de->d_name, &end, 10);
		if (de->d_name[0] == '.' || *end != '\0' || fd < 0 || fd == self)
			continue;
		o.fd = (int)fd;
		if (identify(o.fd, &o.kind, &o.id) < 0)
			continue;
		if (c->n == cap) {
			cap = cap != 0 ? cap * 2 : 32;
			grown = realloc(c->obj, cap * sizeof(*grown));
			if (grown == NULL) {
				rc = -ENOMEM;
				goto out_free;
			}
			c->obj = grown;
		}
		c->obj[c->n++] = o;
	}
	closedir(d);
	if (c->n > 1)
		qsort(c->obj, c->n, sizeof(*c->obj), cmp_fd);
	return 0;

out_free:
	closedir(d);
	dp_kobj_census_free(c);
	return rc;
}

void
dp_kobj_census_free(struct dp_kobj_census *c)
{
	if (c == NULL)
		return;
	free(c->obj);
	c->obj = NULL;
	c->n = 0;
}

/* Whether @c has @o: the same descriptor naming the same object. */
static bool
census_has(const struct dp_kobj_census *c, const struct dp_kobj *o)
{
	const struct dp_kobj *hit;

	if (c->n == 0)
		return false;
	hit = bsearch(o, c->obj, c->n, sizeof(*c->obj), cmp_fd);
	return hit != NULL && hit->kind == o->kind && hit->id == o->id;
}

bool
dp_kobj_left_open(const struct dp_kobj_set *held, const struct dp_kobj_census *now, uint8_t kind)
{
	for (uint16_t i = 0; i < held->n; i++)
		if (held->obj[i].kind == kind && census_has(now, &held->obj[i]))
			return true;
	return false;
}

unsigned int
dp_kobj_added(const struct dp_kobj_census *before, const struct dp_kobj_census *after,
	      struct dp_kobj_set *set)
{
	unsigned int added = 0;

	for (uint32_t i = 0; i < after->n; i++) {
		const struct dp_kobj *o = &after->obj[i];

		if (census_has(before, o))
			continue;
		if (set->n == DP_KOBJ_SET_MAX) {
			set->overflow = true;
			continue;
		}
		set->obj[set->n++] = *o;
		added++;
	}
	return added;
}

unsigned int
dp_kobj_reap(const struct dp_kobj_set *set)
{
	unsigned int closed = 0;

	for (uint16_t i = 0; i < set->n; i++) {
		const struct dp_kobj *o = &set->obj[i];
		uint8_t kind;
		uint64_t id;

		if (identify(o->fd, &kind, &id) < 0 || kind != o->kind || id != o->id)
			continue;
		if (close(o->fd) == 0)
			closed++;
	}
	return closed;
}

/* ------------------------------------------------------------------------- */
/* The buffers of a closed AF_XDP port's UMEM.                               */

/*
 * The number of entries of one ring of the socket @fd. The kernel gives no
 * way to ask (sock_diag's XDP module is optional), but it lets a ring be
 * mapped up to the page-aligned size of its allocation: the offset of the
 * descriptors plus entries times their size. The largest power of two that
 * maps is the ring's size once the descriptors fill a page or more (@min
 * entries); below that the answer would be ambiguous, and -ERANGE is
 * returned, as it is for a ring that does not exist or cannot be mapped.
 */
static int
ring_entries(int fd, off_t pgoff, uint64_t desc, size_t esz, uint32_t *entries)
{
	const uint32_t min = (uint32_t)(4096 / esz);

	for (uint32_t e = 1u << 22; e >= min; e >>= 1) {
		size_t len = desc + (size_t)e * esz;
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, pgoff);

		if (p != MAP_FAILED) {
			munmap(p, len);
			*entries = e;
			return 0;
		}
		if (errno != EINVAL && errno != ENOMEM)
			return -errno;
	}
	return -ERANGE;
}

/* The mbufs found in the rings, to free once each. */
struct harvest {
	struct rte_mempool *mp;
	uintptr_t base; /* Where the UMEM starts (the page the pool's memory starts in). */
	uint64_t size;	/* How far it reaches. */
	struct rte_mbuf **m;
	uint32_t n, cap;
};

/* Whether @m is an mbuf of @mp: inside its memory, of that pool, buffer where init put it. */
static bool
mbuf_of_pool(struct rte_mempool *mp, const struct rte_mbuf *m)
{
	const struct rte_mempool_memhdr *hdr;
	uintptr_t p = (uintptr_t)m;

	STAILQ_FOREACH(hdr, &mp->mem_list, next)
	{
		uintptr_t lo = (uintptr_t)hdr->addr;

		if (p >= lo && p + sizeof(*m) <= lo + hdr->len)
			return m->pool == mp &&
			       (uintptr_t)m->buf_addr == p + sizeof(*m) + rte_pktmbuf_priv_size(mp);
	}
	return false;
}

/* Add the entry @addr of a ring (a UMEM address, possibly with an offset on top). */
static void
harvest_addr(struct harvest *hv, uint64_t addr)
{
	struct rte_mbuf *m;

	addr &= XSK_UNALIGNED_BUF_ADDR_MASK;
	if (addr >= hv->size)
		return;
	m = (struct rte_mbuf *)(hv->base + addr + hv->mp->header_size);
	if (!mbuf_of_pool(hv->mp, m))
		return;
	if (hv->n == hv->cap) {
		uint32_t cap = hv->cap != 0 ? hv->cap * 2 : 1024;
		struct rte_mbuf **grown = realloc(hv->m, cap * sizeof(*grown));

		if (grown == NULL)
			return;
		hv->m = grown;
		hv->cap = cap;
	}
	hv->m[hv->n++] = m;
}

/*
 * Add the entries of one mapped ring between its consumer and its producer:
 * given to the kernel and not taken (fill, TX), or handed back and not read
 * (RX, completion).
 */
static void
harvest_ring(struct harvest *hv, const struct dp_xsk_ring *r)
{
	size_t esz = r->descs ? sizeof(struct xdp_desc) : sizeof(uint64_t);
	uint32_t prod = __atomic_load_n((uint32_t *)(r->map + r->producer), __ATOMIC_ACQUIRE);
	uint32_t cons = __atomic_load_n((uint32_t *)(r->map + r->consumer), __ATOMIC_ACQUIRE);

	if (prod - cons > r->entries)
		return;
	for (uint32_t i = cons; i != prod; i++) {
		const char *e = r->map + r->desc + (size_t)(i & (r->entries - 1)) * esz;
		uint64_t addr;

		memcpy(&addr, e, sizeof(addr)); /* The first field of an xdp_desc, too. */
		harvest_addr(hv, addr);
	}
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return (x > y) - (x < y);
}

/* Map one ring of @fd if it exists and can be sized; @return 0, or -errno. */
static int
view_ring(struct dp_xsk_view *v, int fd, off_t pgoff, const struct xdp_ring_offset *o, bool descs)
{
	size_t esz = descs ? sizeof(struct xdp_desc) : sizeof(uint64_t);
	struct dp_xsk_ring *r;
	uint32_t entries = 0;
	void *map;
	int rc;

	if (v->n == DP_XSK_VIEW_MAX)
		return -ENOSPC;
	rc = ring_entries(fd, pgoff, o->desc, esz, &entries);
	if (rc < 0)
		return rc;
	r = &v->ring[v->n];
	r->len = o->desc + (size_t)entries * esz;
	map = mmap(NULL, r->len, PROT_READ, MAP_SHARED, fd, pgoff);
	if (map == MAP_FAILED)
		return -errno;
	r->map = map;
	r->entries = entries;
	r->producer = o->producer;
	r->consumer = o->consumer;
	r->desc = o->desc;
	r->descs = descs;
	v->n++;
	return 0;
}

int
dp_kobj_xsk_view(const struct dp_kobj_set *set, struct dp_xsk_view *v)
{
	int rc = 0;

	memset(v, 0, sizeof(*v));
	for (uint16_t i = 0; i < set->n; i++) {
		const struct dp_kobj *o = &set->obj[i];
		struct xdp_mmap_offsets off;
		socklen_t ol = sizeof(off);

		if (o->kind != DP_KOBJ_XSK)
			continue;
		if (getsockopt(o->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0 ||
		    ol != sizeof(off)) {
			rc = -EPROTO;
			continue;
		}
		/* A socket may lack some rings (a shared UMEM's fill ring, an RX-only socket). */
		(void)view_ring(v, o->fd, XDP_UMEM_PGOFF_FILL_RING, &off.fr, false);
		(void)view_ring(v, o->fd, XDP_UMEM_PGOFF_COMPLETION_RING, &off.cr, false);
		(void)view_ring(v, o->fd, XDP_PGOFF_RX_RING, &off.rx, true);
		(void)view_ring(v, o->fd, XDP_PGOFF_TX_RING, &off.tx, true);
	}
	return rc < 0 && v->n == 0 ? rc : (int)v->n;
}

void
dp_kobj_xsk_view_free(struct dp_xsk_view *v)
{
	if (v == NULL)
		return;
	for (uint16_t i = 0; i < v->n; i++)
		munmap(v->ring[i].map, v->ring[i].len);
	memset(v, 0, sizeof(*v));
}

int
dp_kobj_xsk_recover(struct dp_xsk_view *v, struct rte_mempool *mp)
{
	const struct rte_mempool_memhdr *first, *h;
	struct harvest hv = {.mp = mp};
	long page = sysconf(_SC_PAGESIZE);
	uint32_t freed = 0;

	if (mp == NULL || page <= 0 || (first = STAILQ_FIRST(&mp->mem_list)) == NULL) {
		dp_kobj_xsk_view_free(v);
		return -EINVAL;
	}
	/* DPDK registers the pool's memory from the page its first chunk starts in. */
	hv.base = (uintptr_t)first->addr & ~((uintptr_t)page - 1);
	STAILQ_FOREACH(h, &mp->mem_list, next)
	{
		uint64_t end = (uintptr_t)h->addr + h->len - hv.base;

		if (end > hv.size)
			hv.size = end;
	}
	for (uint16_t i = 0; i < v->n; i++)
		harvest_ring(&hv, &v->ring[i]);
	dp_kobj_xsk_view_free(v);
	/* An mbuf sits in one ring at most; free each once all the same. */
	if (hv.n > 1)
		qsort(hv.m, hv.n, sizeof(*hv.m), cmp_ptr);
	for (uint32_t i = 0; i < hv.n; i++) {
		if (i > 0 && hv.m[i] == hv.m[i - 1])
			continue;
		rte_pktmbuf_free(hv.m[i]);
		freed++;
	}
	free(hv.m);
	return (int)freed;
}
