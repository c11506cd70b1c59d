#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reserve 2 MB hugepages for DPDK and mount hugetlbfs, or tell callers which
# EAL memory arguments to use.
#
#   bash scripts/hugepages.sh [N]       reserve N pages (default 256), mount
#                                       hugetlbfs at /dev/hugepages, then print
#                                       the EAL memory args on the last line
#   bash scripts/hugepages.sh --eal-args
#                                       change nothing; print only the args:
#                                       "--in-memory" when enough hugepages are
#                                       free, else "--no-huge -m 512"
#   source scripts/hugepages.sh         defines hp_reserve and hp_eal_args
#
# Reserving never fails hard: when the kernel refuses (no permission, no
# memory) it says so and exits 0, and the EAL args fall back to --no-huge.
# Messages go to stderr so that $(bash scripts/hugepages.sh --eal-args) and
# the last line of stdout hold only the arguments.

HP_SYSCTL=/proc/sys/vm/nr_hugepages
HP_MOUNT=/dev/hugepages
# The smallest number of free 2 MB pages worth using (64 MB).
HP_MIN_FREE=${HP_MIN_FREE:-32}

hp_log() {
	echo "hugepages: $*" >&2
}

# Print how many 2 MB pages are free.
hp_free() {
	local f=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
	if [ -r "$f" ]; then
		cat "$f"
	else
		echo 0
	fi
}

# True when hugetlbfs is mounted somewhere.
hp_mounted() {
	grep -qs ' hugetlbfs ' /proc/mounts
}

# Reserve $1 pages (default 256) and mount hugetlbfs. Returns 0 whatever
# happens; prints what it did.
hp_reserve() {
	local want=${1:-256} have
	if ! [[ "$want" =~ ^[0-9]+$ ]]; then
		hp_log "bad page count '$want', using 256"
		want=256
	fi
	have=$(cat "$HP_SYSCTL" 2>/dev/null || echo 0)
	if [ "$have" -ge "$want" ]; then
		hp_log "$have pages already reserved (wanted $want)"
	elif echo "$want" 2>/dev/null >"$HP_SYSCTL"; then
		have=$(cat "$HP_SYSCTL" 2>/dev/null || echo 0)
		if [ "$have" -ge "$want" ]; then
			hp_log "reserved $have pages of 2 MB"
		else
			hp_log "asked for $want pages, kernel gave $have (memory fragmented?)"
		fi
	else
		hp_log "cannot write $HP_SYSCTL (not root?); leaving $have pages"
	fi
	if hp_mounted; then
		hp_log "hugetlbfs already mounted at $(awk '$3 == "hugetlbfs" {print $2; exit}' /proc/mounts)"
	elif mkdir -p "$HP_MOUNT" 2>/dev/null &&
		mount -t hugetlbfs -o pagesize=2M nodev "$HP_MOUNT" 2>/dev/null; then
		hp_log "mounted hugetlbfs at $HP_MOUNT"
	else
		hp_log "could not mount hugetlbfs at $HP_MOUNT"
	fi
	hp_log "$(hp_free) pages free"
	return 0
}

# Print the EAL memory arguments: "--in-memory" when hugepages are usable,
# else "--no-huge -m 512".
hp_eal_args() {
	if hp_mounted && [ "$(hp_free)" -ge "$HP_MIN_FREE" ]; then
		echo "--in-memory"
	else
		echo "--no-huge -m 512"
	fi
}

# Run as a script (not sourced).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	--eal-args)
		hp_eal_args
		;;
	-h | --help)
		sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'
		;;
	*)
		hp_reserve "${1:-256}"
		hp_eal_args
		;;
	esac
	exit 0
fi
