# SPDX-License-Identifier: BSD-3-Clause
"""The README demo: mflowd between a Linux VTEP and four containers.

Builds the integration topology with the prefix ``mfd``, starts mflowd,
sends real traffic and tells what happened, with the numbers mflowd and the
tools report, then removes everything. Run through scripts/demo.sh, which
installs the packages, reserves hugepages and builds mflowd first.

Usage (as root): demo.py --mflowd build/mflowd [--pmd af_xdp|af_packet]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import topo  # noqa: E402
from test_overlay import inject, UNDERLAY_BAD  # noqa: E402
from test_mflow import ELEPHANT, MflowDaemon, iperf3  # noqa: E402

T0 = time.monotonic()


def say(msg=''):
    """One line of the narrative."""
    print(msg, flush=True)


def step(title):
    """A numbered section header with the elapsed time."""
    step.n += 1
    say()
    say(f'[{time.monotonic() - T0:5.1f}s] {step.n}. {title}')


step.n = 0


def ping_line(label, ns, dst, count=5):
    """Ping and describe the result; @return True on 0% loss."""
    r = topo.ping(ns, dst, count=count, interval=0.2)
    ok = r['received'] == r['sent']
    say(f"   {label:<44} {r['received']}/{r['sent']} replies, "
        f"avg rtt {r['avg_ms']} ms{'' if ok else '   <-- LOSS'}")
    return ok


def show_fdb(st, t):
    """Print mflowd's FDB with names for the MACs we know."""
    names = {c.mac: f'{c.name} (container)' for c in t.containers}
    for v in t.vnis.values():
        names[v.mac] = f'{v.dev} in {t.vtep_ns}'
    say(f"   {'VNI':>5}  {'MAC':<17}  {'kind':<6}  {'via':<12}  owner")
    fdb = sorted(st.get('fdb', []),
                 key=lambda e: (e['vni'], e['kind'], e['mac']))
    for e in fdb:
        say(f"   {e['vni']:>5}  {e['mac']:<17}  {e['kind']:<6}  "
            f"{e['target']:<12}  {names.get(e['mac'], '?')}"
            f"{'  (static)' if e.get('static') else '  (learned)'}")


def main(argv):
    """Run the demo; @return the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mflowd', required=True, help='mflowd binary')
    ap.add_argument('--pmd', choices=topo.PMDS, default='af_xdp')
    ap.add_argument('--lcores', default='0,1')
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        say('demo.py: must run as root')
        return 1
    problems = []
    workdir = tempfile.mkdtemp(prefix='mfd-')
    t = topo.Topology(prefix='mfd', mode='mflowd', pmd=args.pmd,
                      underlay_pmd=args.pmd)
    c1, c2, c3, c4 = (t.container(n) for n in ('c1', 'c2', 'c3', 'c4'))
    vx100 = t.vnis[100]

    step('Building the topology (network namespaces and veth pairs)')
    with t:
        say(f'   {t.vtep_ns}: a Linux host acting as the remote VTEP, '
            f'underlay {topo.UL_VTEP_IP4} + {topo.UL_VTEP_IP6}')
        for v in t.vnis.values():
            under = ('IPv6 underlay' if ':' in v.local else
                     'via gateway' if v.local == topo.UL_VTEP_LOOP4 else
                     'IPv4 underlay')
            say(f'      {v.dev}: VNI {v.vni}, {v.addr}, local {v.local} '
                f'({under}), MTU {v.mtu}')
        for c in t.containers:
            extra = (f' (+ {", ".join(c.extra_addrs)})'
                     if c.extra_addrs else '')
            say(f'   {c.ns}: eth0 {c.addr}{extra} MAC {c.mac}, VNI {c.vni}'
                f', mflowd port {c.host_if} ({args.pmd})')
        say(f'   mflowd: underlay port {t.ul_host_if} ({args.pmd}), '
            f'{topo.UL_HOST_IP4} / {topo.UL_HOST_IP6}, gateway4 '
            f'{topo.UL_VTEP_IP4}; no static FDB or neighbour entries')

        step('Starting mflowd')
        say('   lcore 0 polls every port (dispatch) and merges, lcore 1 is a '
            'worker; mode rtc first: lcore 0 does everything')
        cfg = t.mflowd_config()
        cfg['mflow'] = {'mode': 'rtc', 'dispatch_lcore': 0,
                        'worker_lcores': [1], 'elephant': dict(ELEPHANT)}
        md = MflowDaemon(args.mflowd, t, workdir, cfg, lcores=args.lcores)
        md.log_level = 'user1,notice'
        md.echo = lambda m: say('   ' + m)
        if not md.start():
            say('   mflowd did not start:')
            say(md.log_tail())
            return 1
        say(f'   running (pid {md.proc.pid}); stats file {md.stats_path}')

        step('Reachability through the overlay')
        say('   Every packet below crosses mflowd: frames from a container '
            'are encapsulated')
        say('   in VxLAN towards the VTEP host, VxLAN from the VTEP host is '
            'decapsulated and')
        say('   switched to the container that owns the destination MAC.')
        checks = [
            ('vtep -> c1   (VNI 100, IPv4 underlay)', t.vtep_ns, c1.ip),
            ('c1 -> vtep', c1.ns, vx100.ip),
            ('c1 -> c2     (switched inside mflowd)', c1.ns, c2.ip),
            ('vtep -> c3   (VNI 200, IPv6 underlay)', t.vtep_ns, c3.ip),
            ('vtep -> c4   (VNI 300, off-link VTEP via gw)', t.vtep_ns,
             c4.ip),
        ]
        for label, ns, dst in checks:
            if not ping_line(label, ns, dst):
                problems.append(f'ping {label}')
        r = topo.ping(t.vtep_ns, '198.19.1.13', count=3, interval=0.2)
        say(f"   {'vtep -> 198.19.1.13 (c3, but VNI 200)':<44} "
            f"{r['received']}/{r['sent']} replies: "
            f"{'isolated, as it must be' if r['received'] == 0 else 'LEAK'}")
        if r['received']:
            problems.append('VNI isolation')

        step('What mflowd learned (ARP/ND and FDB, from its stats file)')
        say('   mflowd started with no FDB or neighbour entries: it learned '
            'the remote MACs')
        say('   from decapsulated traffic and resolved the VTEP addresses '
            'with ARP and ND.')
        neigh = t.ip(c1.ns, 'neigh', 'show', vx100.ip).stdout.strip()
        say(f'   c1 resolved the VTEP host over the overlay: {neigh}')
        st = md.stats()
        show_fdb(st, t)
        for n in st.get('neighbours', []):
            say(f"   underlay neighbour {n['ip']:<12} -> {n['mac']} "
                f"({n['state']})")
        s = st['stats']
        say(f"   counters: arp_rx {s['arp_rx']}, arp_reply_tx "
            f"{s['arp_reply_tx']}, arp_request_tx {s['arp_request_tx']}, "
            f"nd_advert_tx {s['nd_advert_tx']}, nd_solicit_tx "
            f"{s['nd_solicit_tx']}, fdb_learned {s['fdb_learned']}, "
            f"flood_copies {s['flood_copies']}, local_switched "
            f"{s['local_switched']}")

        step('sockperf between the VTEP host and c1 (UDP)')
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=11111)
        pp = topo.parse_sockperf_pp(topo.sockperf_client(
            t.vtep_ns, 'ping-pong', c1.ip, port=11111, seconds=2,
            msg_size=64))
        srv.stop()
        say(f"   ping-pong 64 B, 2 s: {pp['received']} round trips, "
            f"latency (rtt/2) avg {pp['avg_us']} us, p50 {pp['p50_us']} us"
            f", p99 {pp['p99_us']} us; dropped {pp['dropped']}, "
            f"out-of-order {pp['out_of_order']}")
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=11112)
        out = topo.sockperf_client(t.vtep_ns, 'throughput', c1.ip,
                                   port=11112, seconds=2, msg_size=1400,
                                   mps=20000)
        time.sleep(0.3)
        tp = topo.parse_sockperf_tp(out, srv.stop())
        say(f"   throughput 1400 B at 20000 msg/s, 2 s: sent {tp['sent']}, "
            f"received {tp['received']} ({tp['mbit_per_s']} Mbit/s), "
            f"lost {tp['dropped']}")
        if pp['dropped'] or tp['dropped']:
            problems.append('sockperf loss')

        step('Micro-flow splitting: the same TCP flow in mode rtc, then '
             'split over the worker')
        say('   iperf3 from the VTEP host to c1, 3 s each; between the two '
            'runs mflowctl switches mflowd to mode microflow on its control '
            'socket, without a restart')
        rtc = iperf3(t, c1.ns, c1.ip, t.vtep_ns, 3)
        st0 = md.stats()
        ctl = os.path.join(os.path.dirname(os.path.abspath(args.mflowd)),
                           'mflowctl')
        res = subprocess.run([ctl, '--socket', md.sock_path, 'mflow', 'set',
                              'mode=microflow'], capture_output=True,
                             text=True, timeout=30, check=False)
        mf_ok = res.returncode == 0
        answer = 'ok' if mf_ok else res.stderr.strip()
        say(f'   $ mflowctl mflow set mode=microflow   -> {answer}')
        split = iperf3(t, c1.ns, c1.ip, t.vtep_ns, 3)
        st1 = md.stats()
        mf0, mf1 = st0.get('mflow', {}), st1.get('mflow', {})

        def dm(sec, key):
            return (mf1.get(sec, {}).get(key, 0)
                    - mf0.get(sec, {}).get(key, 0))
        say(f"   rtc:       {rtc['gbit_per_s']} Gbit/s, retransmits "
            f"{rtc['retransmits']}")
        say(f"   microflow: {split['gbit_per_s']} Gbit/s, retransmits "
            f"{split['retransmits']}  (mflowctl: {answer}; longest drain "
            f"{mf1.get('quiesce_us_max', 0):.0f} us)")
        say(f"   elephants promoted {dm('flows', 'promoted')}, packets split "
            f"{dm('split', 'split')} in {dm('split', 'batches')} batches, "
            f"batches merged {dm('merge', 'merged')}, skipped "
            f"{dm('merge', 'skipped')}, delivered out of order "
            f"{mf1.get('merge', {}).get('ooo', '?')}")
        say('   (one 3 s run each, on two cores that also carry the kernel '
            'VTEP and iperf3, so the numbers are noisy; docs/mflow.md has '
            'the per-stage costs and the N-worker projection)')
        if not (mf_ok and dm('split', 'split') > 0 and rtc['gbit_per_s'] > 0
                and split['gbit_per_s'] > 0
                and mf1.get('merge', {}).get('ooo') == 0):
            problems.append('micro-flow splitting')

        step('Bad input: malformed VxLAN from the VTEP host, a spoofed MAC '
             'from c1')
        say('   scapy sends broken frames; each must be dropped and counted '
            'under its reason.')
        before = md.settled_stats()
        inject(t.vtep_ns, 'underlay', t.ul_vtep_if)
        inject(c1.ns, 'spoof', 'eth0', 4, c1.ip, vx100.ip, vx100.mac)
        after = md.settled_stats()
        sent = dict(UNDERLAY_BAD, src_mac_spoof=4)
        say(f"   {'drop reason':<18} {'injected':>8} {'counted':>8}")
        for name, n in sent.items():
            got = after['drops'][name] - before['drops'][name]
            say(f'   {name:<18} {n:>8} {got:>8}')
        if t.underlay_pmd == 'af_packet':
            say('   (with the af_packet PMD the kernel holds IP fragments '
                'for reassembly, so ip_fragment stays 0)')
        alive = md.alive()
        say(f"   mflowd {'is still running' if alive else 'DIED'}")
        if not (alive and ping_line('vtep -> c1 after the bad input',
                                    t.vtep_ns, c1.ip)):
            problems.append('survive bad input')

        step('Ports and datapath core (mflowctl port stats)')
        res = subprocess.run([ctl, '--socket', md.sock_path, 'port',
                              'stats'], capture_output=True, text=True,
                             timeout=30, check=False)
        for line in res.stdout.splitlines():
            say(f'   {line}')
        if res.returncode != 0:
            say(f'   mflowctl: {res.stderr.strip()}')
            problems.append('mflowctl port stats')
        st = md.stats()
        for lc in st.get('lcores', []):
            say(f"   lcore {lc['lcore']} ({lc.get('role', '?')}): busy "
                f"{lc['busy_pct']:.1f}% of polls, {lc['cpu_pct']:.1f}% CPU, "
                f"{lc['idle_sleeps']} idle sleeps")

        step('Stopping mflowd with SIGTERM')
        rc, took = md.stop()
        say(f'   exit status {rc} after {took:.1f} s; its final report:')
        report = md.log_tail(200).splitlines()
        first = [i for i, line in enumerate(report)
                 if line.startswith('port ')]
        for line in report[first[-1] if first else -40:]:
            if not line.startswith(('libxdp:', 'libbpf:')):
                say('   | ' + line)
        if rc != 0:
            problems.append('clean shutdown')

        step('Tearing down')
    left = topo.leftovers('mfd')
    say(f"   {'nothing left behind' if not left else 'LEFT: ' + str(left)}")
    say()
    if problems or left:
        say(f"demo finished with problems: {', '.join(problems)}; "
            f'logs in {workdir}')
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    say(f'demo finished in {time.monotonic() - T0:.0f} s: all good.')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
