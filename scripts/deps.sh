#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install every Debian package mflowd needs to build, test, fuzz, benchmark
# and run its demo. Idempotent: when all packages are already installed it
# only checks and returns, so reruns are fast. Must run as root.
set -euo pipefail

PACKAGES=(
	build-essential meson ninja-build pkg-config
	dpdk dpdk-dev libdpdk-dev
	libjansson-dev libnuma-dev libpcap-dev libcmocka-dev libbpf-dev libxdp-dev
	libcoap3-dev libcoap3-bin
	libmnl-dev runc crun gnuplot-nox containernetworking-plugins
	clang libfuzzer-14-dev libclang-rt-14-dev clang-format
	python3 python3-scapy
	tshark tcpdump sockperf iperf3
	iproute2 ethtool iputils-ping arping procps
	jq git util-linux
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (try: sudo bash scripts/deps.sh)" >&2
	exit 1
fi

# Print the packages from the list that are not fully installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		if [ "$status" != "installed" ]; then
			echo "$p"
		fi
	done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps.sh: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "deps.sh: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections 2>/dev/null || true
apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 update
apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 install -y --no-install-recommends "${missing[@]}"

mapfile -t still < <(missing_packages)
if [ "${#still[@]}" -ne 0 ]; then
	echo "deps.sh: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "deps.sh: done"
