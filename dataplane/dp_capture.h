/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet capture to pcap files, started and stopped at run time.
 *
 * A capture follows one port (its frames as they are on the wire, received
 * and sent) or one VNI (every frame entering the L2 domain, once: the
 * inner frames of the VNI's VxLAN packets received on the underlay, and the
 * frames received from the endpoints attached to it when the capture
 * starts). It is installed as ethdev RX/TX callbacks, so that the datapath
 * loops do nothing at all while no capture runs. The callbacks copy the
 * frames into a pool of their own and queue them on a ring; they never
 * wait: a copy that finds the ring full or the pool empty is counted as
 * lost. A writer thread of the control plane (not a datapath lcore)
 * writes the ring to the file with libpcap, with nanosecond time stamps.
 *
 * A capture ends by itself after @c count packets or @c seconds, whichever
 * comes first, or when stopped; its file is then complete and closed.
 *
 * Threading: the functions below are for the control thread.
 */
#ifndef DP_CAPTURE_H
#define DP_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct dp;

/** Most captures at once. */
#define DP_CAPTURE_MAX 8

/** Directions, for dp_capture_args.dir. */
#define DP_CAP_RX 0x1u
#define DP_CAP_TX 0x2u

/** What to capture, where, and for how long. */
struct dp_capture_args {
	const char *port; /**< Name of the port to capture, or NULL for a VNI. */
	bool has_vni;	  /**< Capture VNI @p vni (then @p port must be NULL). */
	uint32_t vni;	  /**< 0 .. 2^24-1. */
	const char *file; /**< Path of the pcap file to create (mode 0640 less the umask). A
			     regular file or a symbolic link there is replaced (the link is
			     not followed); a device or a FIFO is written in place (a FIFO
			     needs a reader, else -ENXIO); a directory gives -EISDIR. */
	uint64_t count;	  /**< Stop after this many packets written; 0 = no limit. */
	uint32_t seconds; /**< Stop after this long; 0 = no limit. At least one of count and
			     seconds must be set. */
	uint32_t snaplen; /**< Bytes kept per frame, 64..65535; 0 = 65535. */
	unsigned int dir; /**< DP_CAP_RX | DP_CAP_TX; 0 = both. Port captures only (0 for a VNI). */
	uint32_t queue;	  /**< Frames that may wait for the writer, 16..1048576; 0 = 4096.
			     Beyond that, frames are lost (counted). */
};

/**
 * Start a capture.
 *
 * @param dp
 *   The dataplane, with its ports started.
 * @param a
 *   What to capture; copied.
 * @param id
 *   Receives the capture's ID (1, 2, ...; never reused).
 * @return
 *   0; -EINVAL for bad arguments (neither or both of port and VNI, no limit,
 *   a bad snaplen or direction); -ENOENT for an unknown port or VNI;
 *   -EBUSY when DP_CAPTURE_MAX captures run or the port is already
 *   captured; the -errno of creating the file (-EACCES, -ENOENT for a
 *   missing directory, ...); -ENOMEM.
 */
int dp_capture_start(struct dp *dp, const struct dp_capture_args *a, unsigned int *id);

/**
 * Stop a capture: remove its callbacks, write what is queued, close the file.
 *
 * @return
 *   0, or -ENOENT if no running capture has this ID.
 */
int dp_capture_stop(struct dp *dp, unsigned int id);

/**
 * Stop every capture that follows port index @p pi (before the port goes away).
 * A VNI capture stops when @p pi is the underlay; when it is one of its
 * endpoints, the capture only stops following that endpoint.
 */
void dp_capture_port_closing(struct dp *dp, uint16_t pi);

/**
 * Describe the captures, running and finished (the last DP_CAPTURE_MAX
 * finished ones are kept).
 *
 * @return
 *   A new reference the caller owns (an array, by ID, of objects with id,
 *   port (and dir "rx"/"tx"/"both") or vni, ports (the port names
 *   followed), file, state "running"/"done", packets (written), bytes
 *   (their lengths on the wire), lost, the limits count, seconds, snaplen
 *   and queue, and error when the file could not be written), or NULL on
 *   allocation failure.
 */
json_t *dp_capture_json(struct dp *dp);

/**
 * Housekeeping from the control thread's loop: reap captures that reached
 * their limit. Cheap when nothing runs.
 */
void dp_capture_poll(struct dp *dp);

/** Stop every capture and free the capture state; before the ports close. NULL dp->cap is fine. */
void dp_capture_fini(struct dp *dp);

#endif /* DP_CAPTURE_H */
