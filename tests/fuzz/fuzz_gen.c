/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of mflow-gen's core (bench/gen.h). The first byte of
 * an input selects the path:
 *
 *   even: gen_parse() of the bytes after the second one, with the second
 *         byte as the number of flows. A stamp found goes through the
 *         sequence and latency accounting, whose invariants are checked.
 *   odd:  gen_scenario_parse() of the JSON after the first byte. A refusal
 *         must come with a NUL-terminated message of printable ASCII; a
 *         scenario must keep its invariants, give every flow a place in a
 *         schedule, and build templates for each of its sizes that parse
 *         back to their own stamp.
 *
 * A broken property aborts with a message naming it.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VX_PORT 4789

/* Large, so kept out of the stack; reset for each input. */
static struct gen_seq fz_seq;
static struct gen_lat fz_lat;
static uint16_t fz_sched_count[GEN_MAX_FLOWS];
static uint8_t fz_frame[GEN_SIZE_MAX + GEN_VX_LEN];

static void
fz_abort(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_gen: %s: %s\n", what, text != NULL ? text : "(null)");
	abort();
}

/* The counters' invariants after each received number. */
static void
check_seq(const struct gen_seq *s)
{
	if (s->received != s->unique + s->dup + s->stale)
		fz_abort("seq", "received != unique + dup + stale");
	if (s->unique > s->next || s->missing != s->next - s->unique)
		fz_abort("seq", "missing != next - unique");
	if (s->ooo > s->unique || s->max_reorder > GEN_SEQ_WINDOW)
		fz_abort("seq", "ooo or max_reorder out of range");
}

/* Account a stamp, and a few numbers around it, for every kind of arrival. */
static void
account(const struct gen_parsed *p)
{
	uint64_t full, around[5], back = p->stamp.tsc >> 20 & 0x1ffff;
	enum gen_seq_kind k;

	gen_seq_init(&fz_seq);
	gen_lat_init(&fz_lat);
	full = gen_seq_extend(&fz_seq, p->stamp.seq);
	if ((uint32_t)full != p->stamp.seq)
		fz_abort("seq", "extend changed the low 32 bits");
	around[0] = full;
	around[1] = full + (p->stamp.tsc & 0x1ffff);
	around[2] = full > back ? full - back : 0;
	around[3] = full;
	around[4] = around[1] + 1;
	for (int i = 0; i < 5; i++) {
		k = gen_seq_rx(&fz_seq, around[i]);
		if ((unsigned int)k > GEN_SEQ_STALE)
			fz_abort("seq", "unknown kind");
		check_seq(&fz_seq);
		gen_lat_add(&fz_lat, i == 0 ? p->stamp.tsc : around[i]);
	}
	if (gen_seq_lost(&fz_seq, full) > full)
		fz_abort("seq", "lost more than sent");
	if (fz_lat.count != 5 || fz_lat.min > fz_lat.max)
		fz_abort("lat", "count, min or max");
	if (gen_lat_pct(&fz_lat, 100) != fz_lat.max || gen_lat_pct(&fz_lat, 0) != fz_lat.min)
		fz_abort("lat", "p100 is not the max or p0 not the min");
	for (double pct = 1; pct < 100; pct += 24.5) {
		uint64_t v = gen_lat_pct(&fz_lat, pct);

		if (v < fz_lat.min || v > fz_lat.max)
			fz_abort("lat", "percentile outside [min, max]");
	}
}

static void
frame_input(const uint8_t *data, size_t size)
{
	struct gen_parsed p;
	enum gen_rx_kind k;
	uint32_t n_flows;

	if (size < 2)
		return;
	n_flows = data[1];
	/* data + size is the end of libFuzzer's buffer: ASan sees any overread. */
	k = gen_parse(data + 2, (uint32_t)(size - 2), VX_PORT, n_flows, &p);
	if ((unsigned int)k >= GEN_RX_KIND_COUNT || strcmp(gen_rx_kind_name(k), "unknown") == 0)
		fz_abort("parse", "unknown kind");
	if (k != GEN_RX_OK)
		return;
	if (p.stamp.magic != GEN_MAGIC || p.stamp.flow >= n_flows)
		fz_abort("parse", "OK with a bad magic or flow");
	if (p.inner_len > size - 2 || p.inner_len < GEN_HDR_LEN + sizeof(struct gen_stamp))
		fz_abort("parse", "inner_len out of range");
	if (!p.vxlan && p.vni != 0)
		fz_abort("parse", "a VNI without VxLAN");
	account(&p);
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* The scenario's own invariants. */
static void
check_scenario(const struct gen_scenario *sc)
{
	uint32_t flows = 0;
	double shares = 0;

	if (sc->n_groups < 1 || sc->n_groups > GEN_MAX_GROUPS)
		fz_abort("scenario", "number of groups");
	for (uint32_t g = 0; g < sc->n_groups; g++) {
		const struct gen_group *gr = &sc->groups[g];

		if (gr->first != flows || gr->count < 1 || !(gr->share > 0 && gr->share <= 1) ||
		    memchr(gr->name, '\0', sizeof(gr->name)) == NULL || gr->name[0] == '\0')
			fz_abort("scenario", "a group");
		flows += gr->count;
		shares += gr->share;
	}
	if (flows != sc->n_flows || flows > GEN_MAX_FLOWS || fabs(shares - 1) > 1e-6)
		fz_abort("scenario", "flows or shares");
	if (sc->sizes.n < 1 || sc->sizes.n > GEN_MAX_SIZES)
		fz_abort("scenario", "number of sizes");
	for (uint32_t i = 0; i < sc->sizes.n; i++)
		if (sc->sizes.seq[i] < GEN_SIZE_MIN || sc->sizes.seq[i] > GEN_SIZE_MAX)
			fz_abort("scenario", "a size");
	if (sc->n_vnis < 1 || sc->n_vnis > GEN_MAX_VNIS)
		fz_abort("scenario", "number of VNIs");
	for (uint32_t i = 0; i < sc->n_vnis; i++)
		if (sc->vnis[i] > 0xffffff)
			fz_abort("scenario", "a VNI");
	if (!(sc->duration_s > 0 && sc->duration_s <= 3600) ||
	    !(sc->warmup_s >= 0 && sc->warmup_s <= 60) || !(sc->rate_pps >= 0))
		fz_abort("scenario", "duration, warmup or rate");
	if (sc->search_n_loss < 1 || sc->search_n_loss > 2 || sc->search_max_trials < 1 ||
	    sc->search_max_trials > 100)
		fz_abort("scenario", "search");
	if (sc->outer_dst.port == 0 || sc->inner_src.port == 0 || sc->inner_dst.port == 0 ||
	    sc->inner_src.port + sc->n_flows - 1 > 65535)
		fz_abort("scenario", "a port");
	if (memchr(sc->name, '\0', sizeof(sc->name)) == NULL || sc->name[0] == '\0')
		fz_abort("scenario", "name");
}

/* A period of 1024 frames gives every flow at least one. */
static void
check_sched(const struct gen_scenario *sc)
{
	struct gen_sched s;
	int rc;

	if (sc->n_flows > 1024)
		return;
	rc = gen_sched_build(&s, sc, 1024);
	if (rc == -ENOMEM)
		return;
	if (rc != 0)
		fz_abort("sched", "refused a valid scenario");
	memset(fz_sched_count, 0, sizeof(fz_sched_count));
	for (uint32_t i = 0; i < s.n; i++) {
		if (s.flow[i] >= sc->n_flows)
			fz_abort("sched", "flow out of range");
		fz_sched_count[s.flow[i]]++;
	}
	for (uint32_t f = 0; f < sc->n_flows; f++)
		if (fz_sched_count[f] == 0)
			fz_abort("sched", "a flow never sends");
	gen_sched_free(&s);
}

/* Each size's template for the first and the last flow parses back to its stamp. */
static void
check_templates(const struct gen_scenario *sc)
{
	bool vx = sc->encap == GEN_ENCAP_VXLAN;
	/* Plain frames are never VxLAN: port 0 is no flow's destination. */
	uint16_t port = vx ? sc->outer_dst.port : 0;
	uint32_t flows[2] = {0, sc->n_flows - 1};

	for (uint32_t i = 0; i < sc->sizes.n; i++)
		for (int j = 0; j < 2; j++) {
			struct gen_tmpl t;
			struct gen_parsed p;
			uint32_t len;

			if (gen_tmpl_build(&t, sc, flows[j], sc->sizes.seq[i]) != 0)
				fz_abort("tmpl", "refused a valid scenario");
			if (t.frame_len != sc->sizes.seq[i] - GEN_FCS_LEN + (vx ? GEN_VX_LEN : 0) ||
			    t.len > t.frame_len || t.stamp_off + sizeof(struct gen_stamp) != t.len)
				fz_abort("tmpl", "lengths");
			/* The whole frame for the first size, the headers only for the others. */
			len = i == 0 ? t.frame_len : t.len;
			memset(fz_frame, 0, len);
			memcpy(fz_frame, t.hdr, t.len);
			gen_stamp_write(&t, fz_frame, (uint16_t)flows[j], 0x123456789ull, 42);
			if (gen_parse(fz_frame, len, port, sc->n_flows, &p) != GEN_RX_OK)
				fz_abort("tmpl", "does not parse back");
			if (p.stamp.flow != flows[j] || p.stamp.seq != 0x23456789 ||
			    p.stamp.tsc != 42 || p.vxlan != vx ||
			    (vx && p.vni != sc->vnis[flows[j] % sc->n_vnis]) ||
			    p.inner_len != len - (vx ? GEN_VX_LEN : 0))
				fz_abort("tmpl", "parses back to another stamp");
		}
}

static void
scenario_input(const uint8_t *data, size_t size)
{
	struct gen_scenario sc;
	char err[160];
	json_t *root;
	int rc;

	root = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (root == NULL)
		return;
	memset(err, 'X', sizeof(err));
	rc = gen_scenario_parse(root, &sc, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL)
			fz_abort("scenario", "error other than -EINVAL");
		if (memchr(err, '\0', sizeof(err)) == NULL)
			fz_abort("scenario", "message not terminated");
		if (err[0] == '\0' || strstr(err, ": ") == NULL)
			fz_abort("scenario", "refused without a \"path: problem\" message");
		if (!printable(err))
			fz_abort("scenario: message is not printable ASCII", err);
		goto out_free;
	}
	if (err[0] != '\0')
		fz_abort("scenario: accepted with a message", err);
	check_scenario(&sc);
	check_sched(&sc);
	check_templates(&sc);
out_free:
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		frame_input(data, size);
	else
		scenario_input(data + 1, size - 1);
	return 0;
}
