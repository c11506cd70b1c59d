#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of the fuzz_underlay libFuzzer target.

Each seed is one Ethernet frame as it would arrive on the underlay port (or,
for the ep_* seeds, from a container endpoint). The frames match the
instance fuzz_underlay.c builds: local VTEP 02:00:00:00:00:01 with
198.18.0.1/24 and 2001:2::1/64, remote VTEPs 198.18.0.2/.3 and 2001:2::2/::3,
VNIs 100, 200 and 300, endpoints 02:00:00:00:01:01 and 02:00:00:00:01:02 in
VNI 100.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [OUTDIR]
(default: tests/fuzz/corpus next to this script). Output is deterministic,
so rerunning it leaves the committed seeds unchanged.
"""

import os
import sys

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

OUR_MAC = "02:00:00:00:00:01"
OUR_IP4 = "198.18.0.1"
OUR_IP6 = "2001:2::1"
GW_MAC = "02:00:00:00:00:fe"
GW_IP4 = "198.18.0.254"
VTEP1_MAC = "02:00:00:00:00:02"
VTEP1_IP4 = "198.18.0.2"
VTEP1_IP6 = "2001:2::2"
VTEP2_IP4 = "198.18.0.3"
EP1_MAC = "02:00:00:00:01:01"
EP2_MAC = "02:00:00:00:01:02"
REMOTE_MAC = "02:00:00:00:03:01"
STATIC_REMOTE_MAC = "02:00:00:00:02:01"
BCAST = "ff:ff:ff:ff:ff:ff"
SOLICITED_OURS = "ff02::1:ff00:1"
SOLICITED_MAC = "33:33:ff:00:00:01"


def vxh(vni, flags=0x08, rsvd0=b"\0\0\0", rsvd1=0):
    """The 8-byte VxLAN header, built by hand so every bit is under control."""
    return Raw(bytes([flags]) + rsvd0 + vni.to_bytes(3, "big") + bytes([rsvd1]))


def inner(dst=EP1_MAC, src=REMOTE_MAC, size=32):
    """An inner Ethernet/IPv4/ICMP frame between two overlay hosts."""
    return (Ether(dst=dst, src=src) / IP(src="198.19.100.2", dst="198.19.100.1") /
            ICMP(id=1, seq=1) / Raw(bytes(i & 0xff for i in range(size))))


def vx4(payload, vni=100, src=VTEP1_IP4, dst=OUR_IP4, flags=0x08, chksum=0, sport=49152,
        dport=4789, **ipkw):
    """An IPv4 VxLAN packet to us."""
    udp = UDP(sport=sport, dport=dport)
    if chksum is not None:
        udp.chksum = chksum
    return (Ether(dst=OUR_MAC, src=VTEP1_MAC) / IP(src=src, dst=dst, flags="DF", ttl=64, **ipkw) /
            udp / vxh(vni, flags) / payload)


def vx6(payload, vni=100, src=VTEP1_IP6, dst=OUR_IP6, chksum=None):
    """An IPv6 VxLAN packet to us; scapy computes the UDP checksum unless given."""
    udp = UDP(sport=49153, dport=4789)
    if chksum is not None:
        udp.chksum = chksum
    return (Ether(dst=OUR_MAC, src=VTEP1_MAC) / IPv6(src=src, dst=dst, hlim=64) / udp /
            vxh(vni) / payload)


def seeds():
    """Yield (name, frame bytes)."""
    # Valid VxLAN over IPv4: unicast to an endpoint, broadcast, unknown unicast, other VNIs.
    yield "vx4_unicast_ep1", bytes(vx4(inner()))
    yield "vx4_unicast_ep2", bytes(vx4(inner(dst=EP2_MAC)))
    yield "vx4_inner_arp_bcast", bytes(vx4(
        Ether(dst=BCAST, src=REMOTE_MAC) /
        ARP(op=1, hwsrc=REMOTE_MAC, psrc="198.19.100.2", pdst="198.19.100.1")))
    yield "vx4_unknown_unicast", bytes(vx4(inner(dst="02:00:00:00:09:09")))
    yield "vx4_inner_mcast6", bytes(vx4(
        Ether(dst="33:33:00:00:00:01", src=REMOTE_MAC) /
        IPv6(src="2001:2:0:100::2", dst="ff02::1") / ICMPv6EchoRequest()))
    yield "vx4_vni200", bytes(vx4(inner(), vni=200, src=VTEP2_IP4))
    yield "vx4_vni300", bytes(vx4(inner(), vni=300))
    yield "vx4_vni_unknown", bytes(vx4(inner(), vni=999))
    yield "vx4_vtep_unknown", bytes(vx4(inner(), src="198.18.0.77"))
    yield "vx4_udp_csum_good", bytes(vx4(inner(), chksum=None))
    yield "vx4_udp_csum_bad", bytes(vx4(inner(), chksum=0x1234))
    yield "vx4_src_local_mac", bytes(vx4(inner(src=EP2_MAC)))
    yield "vx4_src_mcast", bytes(vx4(inner(src="01:00:5e:00:00:01")))
    yield "vx4_big_inner", bytes(vx4(inner(size=1400)))
    yield "vx4_vlan_inner", bytes(vx4(
        Ether(dst=EP1_MAC, src=REMOTE_MAC) / Dot1Q(vlan=10) /
        IP(src="198.19.100.2", dst="198.19.100.1") / ICMP()))
    yield "vx4_eth_padding", bytes(vx4(Ether(dst=EP1_MAC, src=REMOTE_MAC, type=0x88b5))) + \
        bytes(6)

    # Valid VxLAN over IPv6, checksummed, zero checksum, wrong checksum.
    yield "vx6_unicast", bytes(vx6(inner()))
    yield "vx6_bcast", bytes(vx6(inner(dst=BCAST)))
    yield "vx6_zero_csum", bytes(vx6(inner(), chksum=0))
    yield "vx6_bad_csum", bytes(vx6(inner(), chksum=0x4321))
    yield "vx6_not_for_us", bytes(vx6(inner(), dst="2001:2::99"))

    # Bad VxLAN headers and ports.
    yield "vx4_flags_zero", bytes(vx4(inner(), flags=0x00))
    yield "vx4_flags_reserved", bytes(vx4(inner(), flags=0x0c))
    yield "vx4_flags_high", bytes(vx4(inner(), flags=0x88))
    yield "vx4_reserved_bytes", bytes(
        Ether(dst=OUR_MAC, src=VTEP1_MAC) / IP(src=VTEP1_IP4, dst=OUR_IP4, flags="DF") /
        UDP(sport=49152, dport=4789, chksum=0) / vxh(100, 0x08, b"\xff\xff\xff", 0xff) / inner())
    yield "vx4_other_port", bytes(vx4(inner(), dport=8472))
    yield "vx4_not_for_us", bytes(vx4(inner(), dst="198.18.0.9"))
    yield "vx4_gpe_port", bytes(vx4(inner(), dport=4790))

    # Outer IPv4 oddities.
    bad_csum = bytearray(bytes(vx4(inner())))
    bad_csum[24] ^= 0xff
    yield "ip4_bad_csum", bytes(bad_csum)
    yield "ip4_options", bytes(vx4(inner(), options=b"\x01\x01\x01\x00"))
    yield "ip4_frag_first", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                  IP(src=VTEP1_IP4, dst=OUR_IP4, flags="MF", id=7) /
                                  UDP(sport=49152, dport=4789, chksum=0) /
                                  vxh(100) / inner())
    yield "ip4_frag_later", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                  IP(src=VTEP1_IP4, dst=OUR_IP4, frag=100, id=7, proto=17) /
                                  Raw(bytes(inner())))
    yield "ip4_tcp", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                           IP(src=VTEP1_IP4, dst=OUR_IP4, proto=6) / Raw(bytes(40)))
    yield "ip4_icmp_echo", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                 IP(src=VTEP1_IP4, dst=OUR_IP4) / ICMP())

    # Outer IPv6 oddities.
    yield "ip6_frag", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                            IPv6(src=VTEP1_IP6, dst=OUR_IP6) / IPv6ExtHdrFragment(m=1, id=9) /
                            UDP(sport=49153, dport=4789) / vxh(100) / inner())
    yield "ip6_hbh", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                           IPv6(src=VTEP1_IP6, dst=OUR_IP6) / IPv6ExtHdrHopByHop() /
                           UDP(sport=49153, dport=4789) / vxh(100) / inner())

    # ARP for our address and from next hops.
    yield "arp_request_us", bytes(Ether(dst=BCAST, src=VTEP1_MAC) /
                                  ARP(op=1, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4, pdst=OUR_IP4))
    yield "arp_request_other", bytes(Ether(dst=BCAST, src=VTEP1_MAC) /
                                     ARP(op=1, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4,
                                         pdst="198.18.0.50"))
    yield "arp_reply_vtep", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                  ARP(op=2, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4, hwdst=OUR_MAC,
                                      pdst=OUR_IP4))
    yield "arp_reply_gw", bytes(Ether(dst=OUR_MAC, src=GW_MAC) /
                                ARP(op=2, hwsrc=GW_MAC, psrc=GW_IP4, hwdst=OUR_MAC,
                                    pdst=OUR_IP4))
    yield "arp_gratuitous", bytes(Ether(dst=BCAST, src=VTEP1_MAC) /
                                  ARP(op=1, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4, pdst=VTEP1_IP4))
    yield "arp_padded", bytes(Ether(dst=BCAST, src=VTEP1_MAC) /
                              ARP(op=1, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4, pdst=OUR_IP4)) + \
        bytes(18)
    yield "arp_bad_hlen", bytes(Ether(dst=BCAST, src=VTEP1_MAC) /
                                ARP(op=1, hwlen=8, hwsrc=VTEP1_MAC, psrc=VTEP1_IP4,
                                    pdst=OUR_IP4))

    # Neighbour discovery for our address and from next hops.
    yield "nd_ns_us", bytes(Ether(dst=SOLICITED_MAC, src=VTEP1_MAC) /
                            IPv6(src=VTEP1_IP6, dst=SOLICITED_OURS, hlim=255) /
                            ICMPv6ND_NS(tgt=OUR_IP6) / ICMPv6NDOptSrcLLAddr(lladdr=VTEP1_MAC))
    yield "nd_ns_dad", bytes(Ether(dst=SOLICITED_MAC, src=VTEP1_MAC) /
                             IPv6(src="::", dst=SOLICITED_OURS, hlim=255) /
                             ICMPv6ND_NS(tgt=OUR_IP6))
    yield "nd_ns_unicast", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                 IPv6(src=VTEP1_IP6, dst=OUR_IP6, hlim=255) /
                                 ICMPv6ND_NS(tgt=OUR_IP6) /
                                 ICMPv6NDOptSrcLLAddr(lladdr=VTEP1_MAC))
    yield "nd_ns_hlim64", bytes(Ether(dst=SOLICITED_MAC, src=VTEP1_MAC) /
                                IPv6(src=VTEP1_IP6, dst=SOLICITED_OURS, hlim=64) /
                                ICMPv6ND_NS(tgt=OUR_IP6) / ICMPv6NDOptSrcLLAddr(lladdr=VTEP1_MAC))
    yield "nd_ns_zero_optlen", bytes(Ether(dst=SOLICITED_MAC, src=VTEP1_MAC) /
                                     IPv6(src=VTEP1_IP6, dst=SOLICITED_OURS, hlim=255) /
                                     ICMPv6ND_NS(tgt=OUR_IP6) /
                                     ICMPv6NDOptSrcLLAddr(len=0, lladdr=VTEP1_MAC))
    yield "nd_na_solicited", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                   IPv6(src=VTEP1_IP6, dst=OUR_IP6, hlim=255) /
                                   ICMPv6ND_NA(tgt=VTEP1_IP6, R=0, S=1, O=1) /
                                   ICMPv6NDOptDstLLAddr(lladdr=VTEP1_MAC))
    yield "nd_na_unsolicited", bytes(Ether(dst="33:33:00:00:00:01", src=VTEP1_MAC) /
                                     IPv6(src=VTEP1_IP6, dst="ff02::1", hlim=255) /
                                     ICMPv6ND_NA(tgt=VTEP1_IP6, R=0, S=0, O=1) /
                                     ICMPv6NDOptDstLLAddr(lladdr=VTEP1_MAC))
    yield "icmp6_echo_us", bytes(Ether(dst=OUR_MAC, src=VTEP1_MAC) /
                                 IPv6(src=VTEP1_IP6, dst=OUR_IP6) / ICMPv6EchoRequest())

    # Truncated frames: cut a good VxLAN packet at every header boundary.
    full4 = bytes(vx4(inner()))
    for cut in (0, 1, 13, 14, 20, 33, 34, 38, 41, 42, 45, 49, 50, 56, 63):
        yield "trunc4_%02d" % cut, full4[:cut] if cut else b"\x00"
    full6 = bytes(vx6(inner()))
    for cut in (14, 40, 53, 54, 61, 62, 69, 70, 80):
        yield "trunc6_%02d" % cut, full6[:cut]
    # IP total length longer than the frame, and shorter than the UDP length.
    long_len = bytearray(full4)
    long_len[16:18] = (len(full4) + 100 - 14).to_bytes(2, "big")
    yield "ip4_len_too_long", bytes(long_len)
    udp_len = bytearray(full4)
    udp_len[38:40] = (0xffff).to_bytes(2, "big")
    yield "udp_len_too_long", bytes(udp_len)

    # Frames as sent by an endpoint (exercise vx_endpoint_input).
    yield "ep_arp_bcast", bytes(Ether(dst=BCAST, src=EP1_MAC) /
                                ARP(op=1, hwsrc=EP1_MAC, psrc="198.19.100.1",
                                    pdst="198.19.100.2"))
    yield "ep_to_ep2", bytes(inner(dst=EP2_MAC, src=EP1_MAC))
    yield "ep_to_static_remote", bytes(inner(dst=STATIC_REMOTE_MAC, src=EP1_MAC))
    yield "ep_to_learned_remote", bytes(inner(dst=REMOTE_MAC, src=EP1_MAC))
    yield "ep_spoofed_src", bytes(inner(dst=EP2_MAC, src="02:00:00:00:07:07"))
    yield "ep_to_self", bytes(inner(dst=EP1_MAC, src=EP1_MAC))
    yield "ep_mcast6", bytes(Ether(dst="33:33:00:00:00:01", src=EP1_MAC) /
                             IPv6(src="2001:2:0:100::1", dst="ff02::1") / ICMPv6EchoRequest())
    yield "ep_jumbo", bytes(inner(dst=REMOTE_MAC, src=EP1_MAC, size=1480))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for name, frame in seeds():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(frame)
        n += 1
    print("make_corpus: wrote %d seeds to %s" % (n, outdir))


if __name__ == "__main__":
    main()
