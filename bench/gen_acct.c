/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mflow-gen's receive accounting (gen.h): per-flow sequence numbers with a
 * bitmap of the last GEN_SEQ_WINDOW of them, and a log-linear latency
 * histogram.
 */
#include <math.h>
#include <string.h>

#include "gen.h"

#define SEQ_WORDS (GEN_SEQ_WINDOW / 64)

_Static_assert((GEN_SEQ_WINDOW & (GEN_SEQ_WINDOW - 1)) == 0 && GEN_SEQ_WINDOW >= 64,
	       "GEN_SEQ_WINDOW must be a power of two, at least 64");

/* ------------------------------------------------------------------------- */
/* Sequence numbers.                                                         */

void
gen_seq_init(struct gen_seq *s)
{
	memset(s, 0, sizeof(*s));
}

/*
 * The candidates are next + d for the 32-bit difference d = wire - next
 * taken as a signed number in [-2^31, 2^31): the one closest to next. When
 * going back would cross 0, the candidate 2^32 above is the closest that is
 * not negative.
 */
uint64_t
gen_seq_extend(const struct gen_seq *s, uint32_t wire)
{
	uint32_t fwd = wire - (uint32_t)s->next;
	uint64_t back = (1ull << 32) - fwd;

	if (fwd < 0x80000000u || back > s->next)
		return s->next + fwd;
	return s->next - back;
}

/* Clear n bits of the window from the bit of sequence number @p from on. */
static void
seq_bits_clear(uint64_t *bits, uint64_t from, uint64_t n)
{
	uint64_t i = from & (GEN_SEQ_WINDOW - 1);

	if (n >= GEN_SEQ_WINDOW) {
		memset(bits, 0, SEQ_WORDS * sizeof(bits[0]));
		return;
	}
	while (n > 0) {
		uint64_t b = i % 64, take = 64 - b, mask;

		if (take > n)
			take = n;
		mask = take == 64 ? ~0ull : ((1ull << take) - 1) << b;
		bits[i / 64] &= ~mask;
		n -= take;
		i = (i + take) & (GEN_SEQ_WINDOW - 1);
	}
}

/*
 * The window holds the sequence numbers [next - WINDOW, next). Moving next
 * forward to seq + 1 reuses the bits of those that leave it for [next,
 * seq], so these are cleared: at most the whole bitmap, whatever the jump.
 * A missing number that leaves the window stays in @c missing.
 */
enum gen_seq_kind
gen_seq_rx(struct gen_seq *s, uint64_t seq)
{
	uint64_t dist, word, bit;

	s->received++;
	word = (seq & (GEN_SEQ_WINDOW - 1)) / 64;
	bit = 1ull << (seq % 64);
	if (seq >= s->next) {
		enum gen_seq_kind k = seq == s->next ? GEN_SEQ_NEXT : GEN_SEQ_JUMP;

		s->missing += seq - s->next;
		seq_bits_clear(s->bits, s->next, seq - s->next + 1);
		s->bits[word] |= bit;
		s->next = seq + 1;
		s->unique++;
		return k;
	}
	dist = s->next - seq;
	if (dist > GEN_SEQ_WINDOW) {
		s->stale++;
		return GEN_SEQ_STALE;
	}
	if (s->bits[word] & bit) {
		s->dup++;
		return GEN_SEQ_DUP;
	}
	s->bits[word] |= bit;
	s->unique++;
	s->ooo++;
	s->missing--;
	if (dist > s->max_reorder)
		s->max_reorder = dist;
	return GEN_SEQ_OOO;
}

uint64_t
gen_seq_lost(const struct gen_seq *s, uint64_t sent)
{
	return sent > s->unique ? sent - s->unique : 0;
}

/* ------------------------------------------------------------------------- */
/* Latency histogram.                                                        */

/*
 * Bucket i < 64 holds the value i. Above, a value v with its highest bit e
 * (6 <= e <= 39) lands in bucket (e - 5) * 64 + the 6 bits below bit e:
 * 64 buckets of width 2^(e - 6) <= v / 64 per power of two. The last
 * bucket, [2^40 - 2^33, 2^40), also takes every value from 2^40 on.
 */
#define LAT_SUB (1u << GEN_LAT_SUB_BITS)

static uint32_t
lat_bucket(uint64_t v)
{
	uint32_t e, i;

	if (v < LAT_SUB)
		return (uint32_t)v;
	e = 63 - (uint32_t)__builtin_clzll(v);
	if (e >= 40)
		return GEN_LAT_BUCKETS - 1;
	i = (e - GEN_LAT_SUB_BITS + 1) * LAT_SUB +
	    (uint32_t)((v >> (e - GEN_LAT_SUB_BITS)) - LAT_SUB);
	return i;
}

/* The largest value of bucket i. */
static uint64_t
lat_upper(uint32_t i)
{
	uint32_t shift;

	if (i < LAT_SUB)
		return i;
	if (i >= GEN_LAT_BUCKETS - 1)
		return UINT64_MAX;
	shift = i / LAT_SUB - 1;
	return ((uint64_t)(LAT_SUB + i % LAT_SUB) << shift) + (1ull << shift) - 1;
}

/* Sums saturate at UINT64_MAX (584 years of nanoseconds) instead of wrapping. */
static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void
gen_lat_init(struct gen_lat *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
gen_lat_add(struct gen_lat *h, uint64_t ns)
{
	h->count++;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->sum = sat_add(h->sum, ns);
	h->bucket[lat_bucket(ns)]++;
}

void
gen_lat_merge(struct gen_lat *dst, const struct gen_lat *src)
{
	if (src->count == 0)
		return;
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum = sat_add(dst->sum, src->sum);
	for (uint32_t i = 0; i < GEN_LAT_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

/*
 * The rank is ceil(pct / 100 * count), at least 1: the value that many
 * values up. A product within 1e-12 (relative) above an integer counts as
 * that integer, so that 99.9 % of 1000 values is rank 999 despite 99.9
 * having no exact binary form. The 0th percentile is the min; above 100 is
 * taken as 100.
 */
uint64_t
gen_lat_pct(const struct gen_lat *h, double pct)
{
	uint64_t rank, seen = 0, v = h->max;
	double x;

	if (h->count == 0)
		return 0;
	if (!(pct > 0))
		return h->min;
	if (pct >= 100)
		return h->max;
	x = pct / 100 * (double)h->count;
	x = ceil(x - x * 1e-12);
	if (x >= (double)h->count)
		rank = h->count;
	else
		rank = x < 1 ? 1 : (uint64_t)x;
	for (uint32_t i = 0; i < GEN_LAT_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			v = lat_upper(i);
			break;
		}
	}
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}
