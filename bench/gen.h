/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * mflow-gen: an order-aware traffic generator for mflowd.
 *
 * This header holds the parts of the generator that need no DPDK and are
 * tested on their own (tests/unit/test_gen.c) and fuzzed
 * (tests/fuzz/fuzz_gen.c):
 *
 * - the stamp that every generated frame carries after its inner UDP
 *   header, and the parser that finds it in a received frame, plain or
 *   VxLAN-encapsulated (gen_pkt.c);
 * - the frame templates the TX path copies (gen_pkt.c);
 * - the per-flow receive accounting: sequence numbers (loss, duplicates,
 *   out-of-order) and a latency histogram (gen_acct.c);
 * - the scenario, read from JSON (gen_scenario.c).
 *
 * The DPDK side (ports, TX pacing, RX loop, the rate search) is in
 * mflow_gen.c.
 *
 * Sizes: a "frame size" is the Ethernet frame length including its 4-byte
 * FCS, as in RFC 2544, so a 64 B frame is 60 bytes in the mbuf. For VxLAN
 * it is the size of the inner frame; the outer headers add 50 bytes.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** The stamp's magic number, "MF" (stored little-endian). */
#define GEN_MAGIC 0x464d

/** Ethernet FCS length: counted in a frame size, absent from the mbuf. */
#define GEN_FCS_LEN 4

/** Inner Ethernet + IPv4 + UDP headers. */
#define GEN_HDR_LEN 42

/** Outer Ethernet + IPv4 + UDP + VxLAN headers. */
#define GEN_VX_LEN 50

/** Smallest frame size: the headers and the stamp fit in 60 bytes + FCS. */
#define GEN_SIZE_MIN 64

/** Largest frame size (inner, without the outer headers). */
#define GEN_SIZE_MAX 9000

/** At most this many flows in a scenario (the stamp's flow field is 16 bits). */
#define GEN_MAX_FLOWS 4096

/** At most this many flow groups. */
#define GEN_MAX_GROUPS 16

/** At most this many VNIs. */
#define GEN_MAX_VNIS 64

/** At most this many frame sizes in a size list ("imix" takes twelve). */
#define GEN_MAX_SIZES 16

/**
 * The stamp, right after the inner UDP header, all fields little-endian.
 * 16 bytes, so that a 64 B frame holds it (42 + 16 = 58 <= 60).
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |         magic (0x464d)        |            flow id            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |             sequence number (low 32 bits of 64)               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                  TX timestamp (TSC, 64 bits)                  |
 *    |                                                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct gen_stamp {
	uint16_t magic; /**< GEN_MAGIC. */
	uint16_t flow;	/**< Flow index in the scenario, < number of flows. */
	uint32_t seq;	/**< Per-flow sequence number, low 32 bits; starts at 0. */
	uint64_t tsc;	/**< rte_rdtsc() when the frame was put on the TX ring. */
} __attribute__((packed));

/** Why a received frame carried no usable stamp (gen_parse()). */
enum gen_rx_kind {
	GEN_RX_OK = 0,	   /**< A stamp was found. */
	GEN_RX_TRUNCATED,  /**< Shorter than its headers or the stamp. */
	GEN_RX_NOT_IP,	   /**< Not IPv4 (ARP, IPv6, ...), inner or outer. */
	GEN_RX_NOT_UDP,	   /**< IPv4 but not UDP, or a fragment other than the first. */
	GEN_RX_BAD_VXLAN,  /**< To the VxLAN port but without the I flag. */
	GEN_RX_NO_MAGIC,   /**< UDP, but the payload is not a stamp. */
	GEN_RX_BAD_FLOW,   /**< A stamp whose flow id is out of range. */
	GEN_RX_KIND_COUNT, /**< Number of kinds. */
};

/**
 * Name of a parse result, e.g. "truncated".
 *
 * @param k
 *   The kind.
 * @return
 *   A static string, "unknown" when @p k is out of range.
 */
const char *gen_rx_kind_name(enum gen_rx_kind k);

/** What gen_parse() found in a frame. */
struct gen_parsed {
	struct gen_stamp stamp; /**< The stamp (host order). */
	bool vxlan;		/**< The frame was VxLAN-encapsulated. */
	uint32_t vni;		/**< Its VNI, when @c vxlan. */
	uint32_t inner_len;	/**< Length of the (inner) frame, without FCS. */
};

/**
 * Find the stamp in a received frame. A frame is VxLAN when it is
 * IPv4/UDP to @p vx_port; its inner frame must then be IPv4/UDP too.
 * 802.1Q tags are not expected and count as GEN_RX_NOT_IP.
 *
 * @param buf
 *   The frame, starting at the (outer) Ethernet header. It may be the
 *   first bytes of a longer frame: @p len is what the buffer holds, and
 *   the stamp lies within the first GEN_VX_LEN + GEN_HDR_LEN + 16 bytes.
 * @param len
 *   Bytes readable at @p buf.
 * @param vx_port
 *   The VxLAN UDP port (4789), host order.
 * @param n_flows
 *   Number of flows; a larger flow id is GEN_RX_BAD_FLOW.
 * @param out
 *   Filled on GEN_RX_OK; may be changed otherwise.
 * @return
 *   GEN_RX_OK or why not. Never reads beyond @p len bytes.
 */
enum gen_rx_kind gen_parse(const uint8_t *buf, uint32_t len, uint16_t vx_port, uint32_t n_flows,
			   struct gen_parsed *out);

/* ------------------------------------------------------------------------ */
/* Sequence accounting. */

/** Sequence numbers tracked behind the highest one seen (a power of two). */
#define GEN_SEQ_WINDOW 65536

/** What one received sequence number was (gen_seq_rx()). */
enum gen_seq_kind {
	GEN_SEQ_NEXT = 0, /**< The expected one (highest seen + 1). */
	GEN_SEQ_JUMP,	  /**< Above the expected one: those skipped are missing for now. */
	GEN_SEQ_OOO,	  /**< Below the expected one, missing until now: late, out of order. */
	GEN_SEQ_DUP,	  /**< Already received (within the window). */
	GEN_SEQ_STALE,	  /**< Further than GEN_SEQ_WINDOW behind: cannot tell, counted apart. */
};

/**
 * Receive accounting of one flow. RFC 4737 terms: a packet is reordered
 * when its sequence number is below the next expected one (the highest
 * received + 1) and it was not received before.
 */
struct gen_seq {
	uint64_t next;	      /**< Highest sequence received + 1 (0: none yet). */
	uint64_t received;    /**< Every frame of the flow, duplicates included. */
	uint64_t unique;      /**< Distinct sequence numbers received. */
	uint64_t dup;	      /**< Duplicates within the window. */
	uint64_t ooo;	      /**< Reordered (late) frames. */
	uint64_t stale;	      /**< Frames too far behind to classify. */
	uint64_t max_reorder; /**< Largest (next - seq) of a reordered frame. */
	uint64_t missing;     /**< Sequence numbers below @c next not received (yet). */
	/** Bit (s % GEN_SEQ_WINDOW) is set when s in [next - WINDOW, next) was received. */
	uint64_t bits[GEN_SEQ_WINDOW / 64];
};

/**
 * Reset @p s to no frame received.
 *
 * @param s
 *   The accounting.
 */
void gen_seq_init(struct gen_seq *s);

/**
 * The 64-bit sequence number closest to @p s->next whose low 32 bits are
 * @p wire (the stamp carries 32 bits).
 *
 * @param s
 *   The accounting.
 * @param wire
 *   The stamp's sequence number.
 * @return
 *   The full sequence number (never below 0).
 */
uint64_t gen_seq_extend(const struct gen_seq *s, uint32_t wire);

/**
 * Account one received sequence number.
 *
 * @param s
 *   The accounting.
 * @param seq
 *   The full sequence number (gen_seq_extend()).
 * @return
 *   What it was.
 */
enum gen_seq_kind gen_seq_rx(struct gen_seq *s, uint64_t seq);

/**
 * Frames lost: @p sent minus the distinct sequence numbers received
 * (0 when more were received, which only a bug or a foreign sender can
 * cause).
 *
 * @param s
 *   The accounting.
 * @param sent
 *   Frames the flow sent (sequence numbers 0 .. sent - 1).
 * @return
 *   The loss.
 */
uint64_t gen_seq_lost(const struct gen_seq *s, uint64_t sent);

/* ------------------------------------------------------------------------ */
/* Latency histogram. */

/** Values below 2^GEN_LAT_SUB_BITS are exact; above, each power of two has 2^SUB buckets. */
#define GEN_LAT_SUB_BITS 6

/** Buckets: values up to 2^40 ns (about 18 minutes); larger ones go in the last. */
#define GEN_LAT_BUCKETS ((40 - GEN_LAT_SUB_BITS + 1) << GEN_LAT_SUB_BITS)

/**
 * A log-linear histogram of latencies in nanoseconds. A value v lands in a
 * bucket whose width is at most v / 64, so a percentile is within 1/64
 * (1.6 %) above the true value; count, min, max and sum are exact.
 */
struct gen_lat {
	uint64_t count;			  /**< Values added. */
	uint64_t min;			  /**< Smallest value (UINT64_MAX when empty). */
	uint64_t max;			  /**< Largest value (0 when empty). */
	uint64_t sum;			  /**< Sum of the values. */
	uint64_t bucket[GEN_LAT_BUCKETS]; /**< Counts per bucket. */
};

/**
 * Empty the histogram.
 *
 * @param h
 *   The histogram.
 */
void gen_lat_init(struct gen_lat *h);

/**
 * Add one value.
 *
 * @param h
 *   The histogram.
 * @param ns
 *   The latency in nanoseconds.
 */
void gen_lat_add(struct gen_lat *h, uint64_t ns);

/**
 * Add every value of @p src to @p dst.
 *
 * @param dst
 *   The histogram added to.
 * @param src
 *   The histogram added.
 */
void gen_lat_merge(struct gen_lat *dst, const struct gen_lat *src);

/**
 * The value at a percentile: the smallest bucket upper bound such that at
 * least @p pct percent of the values are at or below it, capped at the
 * exact max (so the 100th percentile is the max) and at least the min.
 *
 * @param h
 *   The histogram.
 * @param pct
 *   0 to 100.
 * @return
 *   Nanoseconds; 0 when the histogram is empty.
 */
uint64_t gen_lat_pct(const struct gen_lat *h, double pct);

/* ------------------------------------------------------------------------ */
/* Scenario. */

/** What the generator sends. */
enum gen_encap {
	GEN_ENCAP_VXLAN = 0, /**< Outer IPv4/UDP/VxLAN headers around the inner frame. */
	GEN_ENCAP_PLAIN,     /**< The inner frame alone. */
};

/** A group of flows with a share of the rate (e.g. "1 elephant with 80 %"). */
struct gen_group {
	char name[32];	/**< From the scenario, or "group<i>". */
	uint32_t count; /**< Flows in the group, >= 1. */
	double share;	/**< Fraction of all frames sent, (0, 1]; the shares add up to 1. */
	uint32_t first; /**< Index of its first flow (groups are numbered in order). */
};

/** The sizes cycled through, frame by frame. */
struct gen_sizes {
	uint32_t n;		     /**< Entries of @c seq, 1..GEN_MAX_SIZES. */
	uint16_t seq[GEN_MAX_SIZES]; /**< Frame sizes (with FCS), 64..9000. */
	bool imix;		     /**< The list came from "imix". */
};

/** One of the two ends, as MAC, IPv4 address and UDP port. */
struct gen_end {
	uint8_t mac[6]; /**< MAC address. */
	uint32_t ip;	/**< IPv4 address, network order. */
	uint16_t port;	/**< UDP port, host order (inner: the first flow's; flow i adds i). */
};

/** A whole scenario: what to send, how fast, for how long. */
struct gen_scenario {
	char name[64];		     /**< "name", default "scenario". */
	enum gen_encap encap;	     /**< "encap": "vxlan" (default) or "plain". */
	struct gen_sizes sizes;	     /**< "size": 64..9000, a list of them, or "imix". */
	uint32_t n_vnis;	     /**< Entries of @c vnis (VxLAN only; 1 when absent). */
	uint32_t vnis[GEN_MAX_VNIS]; /**< "vnis", default [100]; flow i uses vnis[i % n]. */
	uint32_t n_groups;	     /**< Entries of @c groups. */
	struct gen_group groups[GEN_MAX_GROUPS]; /**< "flows", default one group of 1 flow. */
	uint32_t n_flows;	  /**< Sum of the groups' counts, <= GEN_MAX_FLOWS. */
	double rate_pps;	  /**< "rate_pps"; 0 = as fast as possible. */
	double duration_s;	  /**< "duration_s", default 5, (0, 3600]. */
	double warmup_s;	  /**< "warmup_s", default 0.5, [0, 60]: sent, not counted. */
	struct gen_end outer_src; /**< "outer": the remote VTEP side (src). */
	struct gen_end outer_dst; /**< "outer": mflowd's underlay (dst); port = VxLAN port. */
	struct gen_end inner_src; /**< "inner": the sender (src); port = first source port. */
	struct gen_end inner_dst; /**< "inner": the receiver (dst). */
	/* The rate search (optional "search" object). */
	bool search;		    /**< A "search" object was given. */
	double search_loss_pct[2];  /**< "loss_pct": the thresholds, default [0, 0.5]. */
	uint32_t search_n_loss;	    /**< Entries of @c search_loss_pct, 1..2. */
	double search_trial_s;	    /**< "trial_s", default 2. */
	double search_precision;    /**< "precision_pct" of the max rate, default 1 (%). */
	uint32_t search_max_trials; /**< "max_trials", default 20. */
	double search_max_pps;	    /**< "max_pps": upper bound, 0 = measured line rate. */
};

/**
 * Fill @p sc with the defaults that gen_scenario_parse() starts from.
 *
 * @param sc
 *   The scenario.
 */
void gen_scenario_defaults(struct gen_scenario *sc);

/**
 * Read a scenario from JSON, on top of the defaults.
 *
 * Every key is checked: an unknown key, a wrong type or a value out of
 * range is an error naming the key path, e.g.
 * "flows[1].share: must be > 0 and <= 1".
 *
 * @param root
 *   The JSON object (borrowed: not kept, not freed).
 * @param sc
 *   Output; on error its content is unspecified.
 * @param err
 *   A message on error, NUL-terminated.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL with a message.
 */
int gen_scenario_parse(const json_t *root, struct gen_scenario *sc, char *err, size_t errlen);

/**
 * Flow of the i-th frame of the sending schedule: groups get frames in
 * proportion to their shares (smooth weighted round robin, so a group's
 * frames are spread evenly), and the flows of a group take turns.
 */
struct gen_sched {
	uint32_t n;	/**< Entries of @c flow. */
	uint16_t *flow; /**< Flow index of each frame of one period. */
};

/**
 * Build the sending schedule of a scenario: a period of @p len frames in
 * which group g gets round(share_g * len) frames (at least 1) and its flows
 * take turns, the sequence repeating.
 *
 * @param sched
 *   Output; free with gen_sched_free().
 * @param sc
 *   The scenario.
 * @param len
 *   Frames in one period, >= the number of flows.
 * @return
 *   0, -EINVAL (len too small), -ENOMEM.
 */
int gen_sched_build(struct gen_sched *sched, const struct gen_scenario *sc, uint32_t len);

/**
 * Free a schedule; NULL-safe and safe on a zeroed struct.
 *
 * @param sched
 *   The schedule.
 */
void gen_sched_free(struct gen_sched *sched);

/* ------------------------------------------------------------------------ */
/* Frame templates. */

/** Room for the largest template: outer headers plus the inner headers and stamp. */
#define GEN_TMPL_MAX (GEN_VX_LEN + GEN_HDR_LEN + sizeof(struct gen_stamp))

/**
 * The headers of one flow at one frame size, ready to copy. The payload
 * after the stamp is zeros. Checksums: the IPv4 header checksums are valid,
 * the UDP checksums are 0 (allowed for IPv4, RFC 768 and RFC 7348).
 */
struct gen_tmpl {
	uint16_t len;		   /**< Bytes of @c hdr: headers + stamp. */
	uint16_t frame_len;	   /**< Whole frame in the mbuf (size - FCS, plus outer headers). */
	uint16_t stamp_off;	   /**< Offset of the stamp in the frame. */
	uint8_t hdr[GEN_TMPL_MAX]; /**< The bytes, stamp zeroed. */
};

/**
 * Build the template of flow @p flow at frame size @p size. Flow i uses
 * inner UDP source port inner_src.port + i, VNI vnis[i % n_vnis] and outer
 * UDP source port 49152 + (hash of the inner 5-tuple % 16384), as RFC 7348
 * suggests.
 *
 * @param t
 *   Output.
 * @param sc
 *   The scenario.
 * @param flow
 *   The flow index, < sc->n_flows.
 * @param size
 *   The (inner) frame size with FCS, GEN_SIZE_MIN..GEN_SIZE_MAX.
 * @return
 *   0, or -EINVAL.
 */
int gen_tmpl_build(struct gen_tmpl *t, const struct gen_scenario *sc, uint32_t flow, uint16_t size);

/**
 * Write the stamp into a frame built from @p t.
 *
 * @param t
 *   The template the frame came from.
 * @param frame
 *   The frame (at least t->stamp_off + 16 bytes).
 * @param flow
 *   Flow index.
 * @param seq
 *   Sequence number (low 32 bits are written).
 * @param tsc
 *   The timestamp.
 */
void gen_stamp_write(const struct gen_tmpl *t, uint8_t *frame, uint16_t flow, uint64_t seq,
		     uint64_t tsc);

#endif /* GEN_H */
