# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: mflowd between real Linux VTEPs and containers.

A kernel VTEP namespace (vxlan devices over IPv4, over IPv6, and over an
off-link address reached through the gateway) talks through mflowd to four
container namespaces. mflowd owns the root-namespace veth ends through the
PMD under test. Every check prints PASS/FAIL and the run ends with the line
"N passed, N failed"; the exit status is 1 when any check failed.

Usage (as root):
    test_overlay.py --mflowd build/mflowd --pmd af_xdp
    test_overlay.py --kernel        # same checks against the Linux overlay

--kernel replaces mflowd with kernel vxlan devices and bridges in a host
namespace; checks that need mflowd's stats are skipped. It validates the
topology and the test logic without mflowd.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import topo  # noqa: E402  pylint: disable=wrong-import-position

PYTHON = '/usr/bin/python3'
NEIGH_OK = ('REACHABLE', 'STALE', 'DELAY')
MFLOWD_NEIGH_BAD = ('incomplete', 'failed', 'none', '')

# Counts of each kind of bad input; all different so that a frame counted
# under the wrong reason cannot go unnoticed.
UNDERLAY_BAD = {
    'vxlan_truncated': 2,
    'vxlan_bad_flags': 3,
    'vxlan_reserved': 4,
    'vni_unknown': 5,
    'udp_bad_port': 6,
    'ip_fragment': 7,
}
SPOOF_COUNT = 4
TOO_BIG_COUNT = 3


class Checks:
    """Named checks with PASS/FAIL/SKIP output and a summary line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def check(self, name, ok, detail=''):
        """Record one check; @return @ok."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(name)
        suffix = f' -- {detail}' if detail else ''
        print(f"{'PASS' if ok else 'FAIL'}: {name}{suffix}", flush=True)
        return ok

    def skip(self, name, why):
        """Record a check that does not apply to this run."""
        self.skipped += 1
        print(f'SKIP: {name} -- {why}', flush=True)

    def summary(self):
        """Print the closing line."""
        line = f'{self.passed} passed, {self.failed} failed'
        if self.skipped:
            line += f', {self.skipped} skipped'
        print(line, flush=True)


def info(msg):
    """Progress output, kept apart from the check lines."""
    print(f'  .. {msg}', flush=True)


class Mflowd:
    """One mflowd process in the root namespace."""

    def __init__(self, binary, topology, workdir, lcores='0,1',
                 log_level='user1,info', echo=None):
        self.binary = binary
        self.echo = echo or info
        self.topo = topology
        self.cfg_path = os.path.join(workdir, 'mflowd.json')
        self.stats_path = os.path.join(workdir, 'stats.json')
        self.log_path = os.path.join(workdir, 'mflowd.log')
        # A control socket of our own, never the system-wide default.
        self.sock_path = os.path.join(workdir, 'ctl.sock')
        self.lcores = lcores
        self.log_level = log_level
        self.proc = None
        self._log = None

    def command(self):
        """The full command line."""
        prefix = f'{self.topo.prefix}-{os.getpid()}'
        return ([self.binary, '--no-pci']
                + topo.eal_memory_args(512, prefix)
                + ['-l', self.lcores, f'--log-level={self.log_level}', '--',
                   '--config', self.cfg_path, '--stats-file',
                   self.stats_path, '--stats-interval', '3600',
                   '--socket', self.sock_path])

    def write_initial_config(self):
        """Write the config mflowd starts with (subclasses choose another)."""
        with open(self.cfg_path, 'w', encoding='ascii') as fh:
            json.dump(self.topo.mflowd_config(), fh, indent=2)

    def start(self, timeout=30):
        """Start mflowd and wait for its first stats file.

        @return True when mflowd runs and wrote its stats file.
        """
        self.write_initial_config()
        self._log = open(self.log_path, 'w', encoding='utf-8')
        self.echo('starting: ' + ' '.join(self.command()))
        self.proc = self.topo.popen(None, self.command(), stdout=self._log,
                                    stderr=subprocess.STDOUT)
        # The periodic write comes once at start and then an hour later, so
        # every later file answers a SIGUSR1 the test sent. No signal goes
        # out before that first file: it would kill a process that has not
        # installed its handlers yet.
        ok = topo.wait_for(lambda: self.proc.poll() is not None
                           or self._stats_ready(), timeout)
        return bool(ok) and self.proc.poll() is None

    def _stats_ready(self):
        try:
            with open(self.stats_path, encoding='utf-8') as fh:
                return 'ports' in json.load(fh)
        except (OSError, ValueError):
            return False

    def alive(self):
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def read_stats(self):
        """The stats file as it is now, or None."""
        try:
            with open(self.stats_path, encoding='utf-8') as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def stats(self, timeout=5):
        """Ask for a fresh stats file with SIGUSR1 and return it (or None)."""
        if not self.alive():
            return None
        before = (self.read_stats() or {}).get('seq', 0)
        self.proc.send_signal(signal.SIGUSR1)

        def fresh():
            st = self.read_stats()
            return st if st is not None and st.get('seq', 0) > before else None
        return topo.wait_for(fresh, timeout, 0.05)

    def settled_stats(self, timeout=5):
        """Stats once two successive snapshots agree on every drop counter."""
        prev = self.stats()
        deadline = time.monotonic() + timeout
        while prev is not None and time.monotonic() < deadline:
            time.sleep(0.3)
            cur = self.stats()
            if cur is None:
                break
            if cur.get('drops') == prev.get('drops'):
                return cur
            prev = cur
        return prev

    def stop(self, timeout=10):
        """SIGTERM; @return (exit status or None if it hung, seconds)."""
        if self.proc is None:
            return None, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        took = time.monotonic() - t0
        if self._log:
            self._log.close()
        return rc, took

    def log_tail(self, lines=30):
        """The last lines of mflowd's output."""
        try:
            with open(self.log_path, encoding='utf-8',
                      errors='replace') as fh:
                return ''.join(fh.readlines()[-lines:])
        except OSError:
            return ''


# Bad input ---------------------------------------------------------------

def inject_main(argv):
    """Entry point of the scapy helper run inside a namespace.

    ``inject underlay IFACE`` sends the UNDERLAY_BAD frames;
    ``inject spoof IFACE COUNT SRC_IP DST_IP DST_MAC`` sends frames with a
    source MAC the container does not own.
    """
    # pylint: disable=import-outside-toplevel
    import struct
    from scapy.all import Ether, IP, UDP, ICMP, Raw, sendp, conf
    conf.verb = 0

    def vxh(flags=0x08, vni=100, rsvd0=b'\0\0\0', rsvd1=0):
        return struct.pack('!B3s3sB', flags, rsvd0, vni.to_bytes(3, 'big'),
                           rsvd1)

    inner = bytes(Ether(src='02:00:00:00:0e:01', dst='02:00:00:00:01:11')
                  / IP(src='198.19.1.99', dst='198.19.1.11') / ICMP()
                  / Raw(b'mflowd-bad-input'))
    kind, iface = argv[0], argv[1]
    if kind == 'spoof':
        count, sip, dip, dmac = int(argv[2]), argv[3], argv[4], argv[5]
        frame = (Ether(src='02:00:00:00:0e:02', dst=dmac)
                 / IP(src=sip, dst=dip) / ICMP() / Raw(b'spoofed'))
        sendp([frame] * count, iface=iface)
        return 0

    outer = (Ether(src=topo.UL_VTEP_MAC, dst=topo.UL_HOST_MAC)
             / IP(src=topo.UL_VTEP_IP4, dst=topo.UL_HOST_IP4))
    frames = []
    n = UNDERLAY_BAD
    frames += [outer / UDP(sport=49152, dport=4789) / Raw(vxh()[:4])
               for _ in range(n['vxlan_truncated'])]
    frames += [outer / UDP(sport=49153, dport=4789) / Raw(vxh(flags=0) + inner)
               for _ in range(n['vxlan_bad_flags'])]
    reserved = [vxh(flags=0x88), vxh(flags=0x0c), vxh(rsvd0=b'\0\0\x01'),
                vxh(rsvd1=1)]
    frames += [outer / UDP(sport=49154, dport=4789)
               / Raw(reserved[i % len(reserved)] + inner)
               for i in range(n['vxlan_reserved'])]
    frames += [outer / UDP(sport=49155, dport=4789) / Raw(vxh(vni=999) + inner)
               for _ in range(n['vni_unknown'])]
    frames += [outer / UDP(sport=49156, dport=4790) / Raw(vxh() + inner)
               for _ in range(n['udp_bad_port'])]
    # First fragments (MF set) and later fragments (offset != 0).
    for i in range(n['ip_fragment']):
        ip = IP(src=topo.UL_VTEP_IP4, dst=topo.UL_HOST_IP4, id=0x4d00 + i)
        if i % 2 == 0:
            ip.flags = 'MF'
        else:
            ip.frag = 8
        pkt = (UDP(sport=49157, dport=4789) / Raw(vxh() + inner))
        frames.append(Ether(src=topo.UL_VTEP_MAC, dst=topo.UL_HOST_MAC)
                      / ip / Raw(bytes(pkt)))
    sendp(frames, iface=iface, inter=0.01)
    return 0


def inject(ns, *args):
    """Run the scapy helper in @ns; @return (ok, output)."""
    res = topo.run([PYTHON, os.path.abspath(__file__), 'inject']
                   + [str(a) for a in args], ns=ns, check=False, timeout=60)
    return res.returncode == 0, (res.stdout + res.stderr).strip()


# Captures ----------------------------------------------------------------

class Capture:
    """tcpdump writing a pcap inside a namespace."""

    def __init__(self, topology, ns, iface, pcap, bpf):
        self.pcap = pcap
        self.ns = ns
        self.proc = topology.popen(ns, ['tcpdump', '-i', iface, '-n', '-U',
                                        '--immediate-mode', '-w', pcap, bpf],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        self.started = topo.wait_for(self._listening, 5)

    def _listening(self):
        # tcpdump creates the file when the capture is open.
        return os.path.exists(self.pcap)

    def stop(self):
        """Stop capturing; the pcap is complete afterwards."""
        topo.interrupt(self.proc)

    def count(self, bpf=''):
        """Frames in the pcap matching @bpf (all frames when empty)."""
        args = ['tcpdump', '-n', '-r', self.pcap]
        if bpf:
            args.append(bpf)
        res = topo.run(args, check=False)
        return len([ln for ln in res.stdout.splitlines() if ln.strip()])


# The test ----------------------------------------------------------------

class OverlayTest:
    """All checks, in order, against one topology."""

    def __init__(self, args):
        self.args = args
        self.kernel = args.kernel
        self.c = Checks()
        self.workdir = tempfile.mkdtemp(prefix=f'{args.prefix}-')
        self.t = topo.Topology(prefix=args.prefix,
                               mode='kernel' if self.kernel else 'mflowd',
                               pmd=args.pmd, underlay_pmd=args.underlay_pmd,
                               log=info)
        self.md = None

    def ping_check(self, name, ns, dst, extra=()):
        """A ping that must see 0% loss."""
        r = topo.ping(ns, dst, count=5, interval=0.2, extra=extra)
        return self.c.check(name, r['sent'] == 5 and r['received'] == 5,
                            f"{r['received']}/{r['sent']} replies, "
                            f"avg {r['avg_ms']} ms")

    def stats(self):
        """Fresh mflowd stats (None in kernel mode)."""
        return None if self.kernel else self.md.settled_stats()

    def run(self):
        """Run every check; @return the process exit status."""
        try:
            self.t.build()
            if self.kernel:
                self.c.skip('mflowd starts', 'kernel overlay (--kernel)')
            else:
                self.md = Mflowd(self.args.mflowd, self.t, self.workdir,
                                 lcores=self.args.lcores)
                if not self.c.check('mflowd starts', self.md.start(),
                                    self.md.log_tail(5).strip()
                                    if not self.md.alive() else ''):
                    print(self.md.log_tail())
                    return self.finish()
            self.check_underlay_arp()
            self.check_pings()
            self.check_learning()
            self.check_sockperf()
            self.check_isolation()
            self.check_bad_input()
            self.check_shutdown()
        except BaseException:
            # Interrupted (timeout, SIGTERM) or broken: say where the logs are.
            print(f'interrupted; logs kept in {self.workdir}')
            raise
        finally:
            if self.md and self.md.alive():
                self.md.stop()
            self.t.teardown()
        self.c.check('teardown leaves no namespace or link',
                     not topo.leftovers(self.args.prefix),
                     ' '.join(topo.leftovers(self.args.prefix)))
        return self.finish()

    def finish(self):
        """Print the summary; keep the work dir when something failed."""
        if self.c.failed:
            print(f'failed: {", ".join(self.c.failures)}')
            print(f'logs kept in {self.workdir}')
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.c.summary()
        return 1 if self.c.failed else 0

    # Individual groups of checks --------------------------------------------

    def check_underlay_arp(self):
        """mflowd answers ARP for its underlay address."""
        res = topo.run(['arping', '-c', '3', '-C', '1', '-w', '5', '-r',
                        '-i', self.t.ul_vtep_if, topo.UL_HOST_IP4],
                       ns=self.t.vtep_ns, check=False, timeout=10)
        macs = res.stdout.split()
        self.c.check('underlay ARP for 198.18.0.1 answered',
                     topo.UL_HOST_MAC in macs,
                     f'replies: {" ".join(macs) or "none"}')

    def check_pings(self):
        """Reachability over every path."""
        t = self.t
        c1, c2 = t.container('c1'), t.container('c2')
        c3, c4 = t.container('c3'), t.container('c4')
        self.ping_check('ping vtep -> c1 (VNI 100, IPv4 underlay)',
                        t.vtep_ns, c1.ip)
        self.ping_check('ping c1 -> vtep', c1.ns, t.vnis[100].ip)
        self.ping_check('ping vtep -> c2', t.vtep_ns, c2.ip)
        before = self.stats()
        self.ping_check('ping c1 -> c2 (local switching)', c1.ns, c2.ip)
        after = self.stats()
        if before and after:
            delta = (after['stats']['local_switched']
                     - before['stats']['local_switched'])
            self.c.check('c1 <-> c2 frames switched locally', delta >= 10,
                         f'local_switched +{delta}')
        self.ping_check('ping vtep vx200 -> c3 (VNI 200, IPv6 underlay)',
                        t.vtep_ns, c3.ip)
        self.ping_check('ping vtep vx300 -> c4 (VNI 300, via gateway4)',
                        t.vtep_ns, c4.ip)

    def check_learning(self):
        """ARP through the overlay, FDB learning, neighbour resolution."""
        t = self.t
        c1 = t.container('c1')
        vx100, vx200, vx300 = t.vnis[100], t.vnis[200], t.vnis[300]
        res = t.ip(c1.ns, 'neigh', 'show', vx100.ip, 'dev', 'eth0')
        line = res.stdout.strip()
        self.c.check('c1 resolved 198.19.1.1 to vx100 MAC over the overlay',
                     vx100.mac in line
                     and any(s in line.split() for s in NEIGH_OK),
                     line or 'no entry')
        if self.kernel:
            self.check_kernel_fdb()
            return
        st = self.md.stats()
        if not self.c.check('stats file readable', st is not None):
            return
        fdb = st.get('fdb', [])

        def fdb_has(vni, mac, kind, target):
            for e in fdb:
                if (e.get('vni') == vni and e.get('mac', '').lower() == mac
                        and e.get('kind') == kind
                        and e.get('target') == target):
                    return True
            return False

        def fdb_show(vni, mac):
            return [e for e in fdb if e.get('vni') == vni
                    and e.get('mac', '').lower() == mac]

        for vni, mac, kind, target in (
                (100, c1.mac, 'local', 'c1'),
                (100, vx100.mac, 'remote', vx100.vtep),
                (200, vx200.mac, 'remote', vx200.vtep),
                (300, vx300.mac, 'remote', vx300.vtep)):
            self.c.check(f'fdb has ({vni}, {mac}) {kind} -> {target}',
                         fdb_has(vni, mac, kind, target),
                         json.dumps(fdb_show(vni, mac)))
        neigh = {n.get('ip'): n for n in st.get('neighbours', [])}
        for ip in (topo.UL_VTEP_IP4, topo.UL_VTEP_IP6):
            n = neigh.get(ip, {})
            self.c.check(f'neighbour {ip} resolved (no static entry)',
                         n.get('mac', '').lower() == topo.UL_VTEP_MAC
                         and n.get('state', '') not in MFLOWD_NEIGH_BAD,
                         json.dumps(n) if n else 'absent')
        self.c.check('no neighbour entry for off-link 198.18.9.2 '
                     '(reached through gateway4)',
                     topo.UL_VTEP_LOOP4 not in neigh,
                     json.dumps(neigh.get(topo.UL_VTEP_LOOP4, {})))

    def check_kernel_fdb(self):
        """The --kernel equivalent of the FDB checks (bridge fdb)."""
        t = self.t
        c1 = t.container('c1')
        vx100 = t.vnis[100]
        out = t.run(t.host_ns, ['bridge', 'fdb', 'show']).stdout
        self.c.check('kernel bridge learned c1 MAC on its veth',
                     re.search(rf'{c1.mac} dev {c1.host_if} ', out)
                     is not None)
        self.c.check('kernel vxlan learned vx100 MAC -> 198.18.0.2',
                     re.search(rf'{vx100.mac} dev kvx100 dst '
                               rf'{vx100.vtep} ', out) is not None)

    def check_sockperf(self):
        """UDP ping-pong and throughput from the vtep to c1 lose nothing."""
        t = self.t
        c1 = t.container('c1')
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=11111)
        out = topo.sockperf_client(t.vtep_ns, 'ping-pong', c1.ip, port=11111,
                                   seconds=3, msg_size=64)
        srv.stop()
        pp = topo.parse_sockperf_pp(out)
        ok = (pp['received'] is not None and pp['received'] > 0
              and pp['dropped'] == 0 and pp['out_of_order'] == 0
              and pp['duplicated'] == 0)
        if not self.c.check(
                'sockperf ping-pong 3 s: 0 dropped, 0 duplicated, '
                '0 out-of-order',
                ok, f"{pp['received']} replies, dropped {pp['dropped']}, "
                    f"dup {pp['duplicated']}, ooo {pp['out_of_order']}, "
                    f"avg {pp['avg_us']} us p99 {pp['p99_us']} us"):
            print(out[-2000:])

        mps = self.args.tp_mps
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=11112)
        out = topo.sockperf_client(t.vtep_ns, 'throughput', c1.ip, port=11112,
                                   seconds=3, msg_size=1400, mps=mps)
        time.sleep(0.5)
        tp = topo.parse_sockperf_tp(out, srv.stop())
        ok = (tp['sent'] is not None and tp['sent'] > 0
              and tp['dropped'] == 0)
        if not self.c.check(
                f'sockperf throughput 3 s at {mps} msg/s x 1400 B: '
                '0 lost', ok,
                f"sent {tp['sent']}, server received {tp['received']}, "
                f"{tp['mbit_per_s']} Mbit/s"):
            print(out[-2000:])

    def check_isolation(self):
        """VNI 100 traffic never reaches c3 (VNI 200)."""
        t = self.t
        c2, c3 = t.container('c2'), t.container('c3')
        vx100, vx200 = t.vnis[100], t.vnis[200]
        r = topo.ping(t.vtep_ns, '198.19.1.13', count=3, interval=0.2)
        self.c.check('ping vtep vx100 -> 198.19.1.13 (c3 address, other '
                     'VNI) fails', r['received'] == 0,
                     f"{r['received']}/{r['sent']} replies")
        bpf = f'ether src {vx100.mac} or ether src {vx200.mac}'
        cap3 = Capture(t, c3.ns, 'eth0',
                       os.path.join(self.workdir, 'c3.pcap'), bpf)
        cap2 = Capture(t, c2.ns, 'eth0',
                       os.path.join(self.workdir, 'c2.pcap'), bpf)
        if not (cap3.started and cap2.started):
            self.c.check('tcpdump started in c2 and c3', False)
            cap3.stop()
            cap2.stop()
            return
        time.sleep(0.3)
        topo.ping(t.vtep_ns, '198.19.1.255', count=3, interval=0.2,
                  extra=['-b'])
        # Positive control for c3's capture: a VNI 200 broadcast.
        topo.ping(t.vtep_ns, '198.19.2.255', count=3, interval=0.2,
                  extra=['-b'])
        time.sleep(0.5)
        cap3.stop()
        cap2.stop()
        bcast100 = f'ether src {vx100.mac} and ether broadcast'
        got2 = cap2.count(bcast100 + ' and dst host 198.19.1.255')
        leak3 = cap3.count(f'ether src {vx100.mac}')
        ctl3 = cap3.count(f'ether src {vx200.mac} and dst host 198.19.2.255')
        self.c.check('VNI 100 broadcast reaches c2 (same VNI)', got2 >= 3,
                     f'{got2} frames')
        self.c.check('VNI 200 broadcast reaches c3 (capture works)',
                     ctl3 >= 3, f'{ctl3} frames')
        self.c.check('no VNI 100 frame reaches c3 (VNI 200)', leak3 == 0,
                     f'{leak3} frames')

    def check_bad_input(self):
        """Malformed input is counted under its own reason, exactly."""
        t = self.t
        c1 = t.container('c1')
        vx100 = t.vnis[100]
        before = self.stats()
        ok, out = inject(t.vtep_ns, 'underlay', t.ul_vtep_if)
        self.c.check('scapy injected malformed VxLAN on the underlay', ok,
                     out[-300:])
        ok, out = inject(c1.ns, 'spoof', 'eth0', SPOOF_COUNT, c1.ip, vx100.ip,
                         vx100.mac)
        self.c.check('scapy injected spoofed source MACs from c1', ok,
                     out[-300:])
        t.ip(c1.ns, 'link', 'set', 'eth0', 'mtu', str(topo.UNDERLAY_MTU))
        big = topo.ping(c1.ns, vx100.ip, count=TOO_BIG_COUNT, interval=0.2,
                        size=topo.UNDERLAY_MTU - 28, extra=['-M', 'do'])
        t.ip(c1.ns, 'link', 'set', 'eth0', 'mtu', str(c1.mtu))
        self.c.check('1500-byte packet from c1 is not delivered',
                     big['received'] == 0,
                     f"{big['received']}/{big['sent']} replies")
        if self.kernel:
            for name in list(UNDERLAY_BAD) + ['src_mac_spoof',
                                              'encap_too_big']:
                self.c.skip(f'drop counter {name}', 'no mflowd (--kernel)')
        else:
            after = self.stats()
            if not self.c.check('stats before/after bad input',
                                before is not None and after is not None):
                return
            want = dict(UNDERLAY_BAD)
            if self.t.underlay_pmd == 'af_packet':
                # The AF_PACKET PMD joins a PACKET_FANOUT group with
                # PACKET_FANOUT_FLAG_DEFRAG: the kernel reassembles IPv4
                # fragments before the PMD sees them, and incomplete ones
                # never reach mflowd.
                info('af_packet underlay: the kernel withholds fragments '
                     '(fanout defrag), so ip_fragment must stay at +0')
                want['ip_fragment'] = 0
            want['src_mac_spoof'] = SPOOF_COUNT
            want['encap_too_big'] = TOO_BIG_COUNT
            d0, d1 = before['drops'], after['drops']
            for name, n in want.items():
                got = d1.get(name, 0) - d0.get(name, 0)
                self.c.check(f'drop counter {name} +{n}', got == n,
                             f'+{got}')
            others = {k: d1[k] - d0.get(k, 0) for k in d1
                      if k not in want and d1[k] != d0.get(k, 0)}
            if others:
                info(f'other drop counters that moved: {others}')
            self.c.check('mflowd still running after bad input',
                         self.md.alive())
        self.ping_check('ping vtep -> c1 after bad input', t.vtep_ns, c1.ip)

    def check_shutdown(self):
        """SIGTERM stops mflowd cleanly and writes the final stats."""
        if self.kernel:
            self.c.skip('SIGTERM: exit 0 within 10 s', 'no mflowd')
            return
        rc, took = self.md.stop(10)
        self.c.check('SIGTERM: exit 0 within 10 s', rc == 0,
                     f'exit {rc} after {took:.1f} s')
        final = self.md.read_stats()
        # Only the write after the loop stopped says "running": false.
        self.c.check('final stats file written at shutdown',
                     final is not None and final.get('running') is False,
                     'running=%s' % (final or {}).get('running'))
        log = self.md.log_tail(400)
        self.c.check('final stats table printed on stdout',
                     'decap_pkts' in log or 'vxlan_truncated' in log,
                     '' if 'decap_pkts' in log else log[-500:])


def main(argv):
    """Parse arguments and run the test (or the scapy helper)."""
    if argv and argv[0] == 'inject':
        return inject_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mflowd', help='path of the mflowd binary')
    ap.add_argument('--pmd', choices=topo.PMDS, default='af_packet',
                    help='PMD of the container ports')
    ap.add_argument('--underlay-pmd', choices=topo.PMDS, default=None,
                    help='PMD of the underlay port (default: --pmd)')
    ap.add_argument('--kernel', action='store_true',
                    help='run against the Linux overlay instead of mflowd')
    ap.add_argument('--prefix', default='mfi',
                    help='namespace and interface name prefix')
    ap.add_argument('--lcores', default='0,1', help='EAL -l argument')
    ap.add_argument('--tp-mps', type=int, default=10000,
                    help='sockperf throughput rate (messages per second)')
    args = ap.parse_args(argv)
    if args.underlay_pmd is None:
        args.underlay_pmd = args.pmd
    rc = topo.preflight(('sockperf', 'tcpdump', 'arping', 'ethtool'))
    if rc is not None:
        return rc
    if not args.kernel and not (args.mflowd and os.access(args.mflowd,
                                                          os.X_OK)):
        ap.error('--mflowd must name an executable (or use --kernel)')
    return OverlayTest(args).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
