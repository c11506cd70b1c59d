#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Packet-rate benchmark of mflowd with mflow-gen over memif.

mflowd runs with memif server ports: its underlay and one endpoint per VNI.
mflow-gen, a second DPDK process, connects to them as memif client and
plays the remote VTEP (it sends VxLAN to the underlay port) and the
containers (it receives the decapsulated frames on the endpoint ports), or
the reverse for the encapsulation path. Both processes poll; on this
2-vCPU box mflow-gen has CPU 0 and mflowd's lcores CPU 1 (see LAYOUTS).

Workloads, each in every mflowd mode (rtc, pinned, microflow):

sizes      decapsulation, unpaced, 1 flow per size (64 B .. 8950 B, IMIX):
           the most mflowd delivers, loss, latency under overload.
ndr        RFC 2544 NDR (0 % loss) and PDR (0.5 %) at 64 B and IMIX.
elephant   1 elephant (80 % of the frames) + 100 mice, unpaced:
           out-of-order per flow group, latency per group.
encap      the reverse path (endpoint -> VxLAN), 64 B and 1518 B, unpaced.
vnis       4 VNIs, one endpoint each, 16 flows, 64 B, unpaced.

Results: results/gen-<date>-<time>-<commit>.json (bench/results.py) and a
table on stdout. --quick runs a subset in under 2 minutes.

Usage (as root):  bench/gen_bench.py --build build [--quick]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
import results  # noqa: E402  pylint: disable=wrong-import-position
import topo  # noqa: E402  pylint: disable=wrong-import-position

MODES = ('rtc', 'pinned', 'microflow')
# How mflow-gen reaches mflowd: memif sockets, or veth pairs that both
# processes open with the same PMD (AF_PACKET or AF_XDP).
PMDS = ('memif', 'af_packet', 'af_xdp')
WORKLOADS = ('loopback', 'sizes', 'ndr', 'elephant', 'encap', 'vnis')
# Inner frame sizes through mflowd: memif in DPDK 22.11 takes frames of at
# most 1518 bytes, so the underlay MTU is 1500 and the largest inner frame
# 1468 (1450-byte IP packet). 'imix' is the simple IMIX (7:4:1 of 64, 594
# and 1518 bytes) with its large frames cut to 1468 so that they fit.
FULL_SIZES = (64, 128, 256, 512, 1024, 1468, 'imix')
QUICK_SIZES = (64, 1468)
IMIX_OVERLAY = [64] * 7 + [594] * 4 + [1468]
# The loopback workload (mflow-gen to itself over a memif pair, no mflowd):
# the generator's own ceiling, jumbo frames included.
LOOP_SIZES = (64, 1518, 9000)
QUICK_LOOP_SIZES = (64, 9000)

# Lcore layouts, as EAL --lcores maps and mflow sections. CPU 0 belongs to
# mflow-gen. 'cpu1': every mflowd lcore on CPU 1 (pinned/microflow time-share
# it); 'spread': the worker lcore on CPU 0, shared with mflow-gen.
LAYOUTS = {
    'cpu1': {
        'rtc': ('0@1', {'mode': 'rtc'}),
        'pinned': ('0@1,1@1', {'mode': 'pinned', 'dispatch_lcore': 0,
                               'worker_lcores': [1]}),
        'microflow': ('0@1,1@1,2@1', {'mode': 'microflow', 'dispatch_lcore': 0,
                                      'worker_lcores': [1, 2]}),
    },
    'spread': {
        'rtc': ('0@1', {'mode': 'rtc'}),
        'pinned': ('0@1,1@0', {'mode': 'pinned', 'dispatch_lcore': 0,
                               'worker_lcores': [1]}),
        'microflow': ('0@1,1@0,2@1', {'mode': 'microflow', 'dispatch_lcore': 0,
                                      'worker_lcores': [1, 2]}),
    },
}
# Runs of mflow-gen when its af_packet fanout group clashes with mflowd's.
FANOUT_TRIES = 3
GEN_CPU = 0

# Addresses (RFC 2544 benchmarking range) and MACs of both sides.
UL_MAC = '02:00:00:00:00:01'     # mflowd's underlay port
VTEP_MAC = '02:00:00:00:00:02'   # mflow-gen as the remote VTEP
UL_IP = '198.18.0.1'
VTEP_IP = '198.18.0.2'
EP_MAC = '02:00:00:00:01:01'     # the container behind each endpoint
REMOTE_MAC = '02:00:00:00:02:01'  # the host behind the remote VTEP
INNER_REMOTE_IP = '198.19.1.1'
INNER_EP_IP = '198.19.1.11'
VNI_BASE = 100


def log(msg):
    """Progress on stderr."""
    print(f'[gen-bench] {msg}', file=sys.stderr, flush=True)


class Bench:
    """One run: a work directory, mflowd per mode, mflow-gen per workload."""

    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix='mflow-gen-bench-')
        self.tag = f'mfg{os.getpid()}'
        self.md = None
        self.md_log = None
        self.veths = []

    # -- ports ------------------------------------------------------------

    def make_veths(self, n_eps):
        """For the veth PMDs: a pair for the underlay and one per endpoint.

        The ends are kept out of the kernel stack (no IPv6, no ARP) and
        their offloads are off, as the PMDs need.
        """
        if self.args.pmd == 'memif':
            return
        names = [('u', 'U')] + [(f'e{i}', f'E{i}') for i in range(n_eps)]
        for a, b in names:
            a, b = f'{self.tag}{a}', f'{self.tag}{b}'
            if a in self.veths:
                continue
            topo.run([topo.IP, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b])
            self.veths.append(a)
            for x in (a, b):
                with open(f'/proc/sys/net/ipv6/conf/{x}/disable_ipv6', 'w',
                          encoding='ascii') as fh:
                    fh.write('1')
                topo.run([topo.ETHTOOL, '-K', x, 'tx', 'off', 'tso', 'off', 'gso',
                          'off', 'gro', 'off'], check=False)
                topo.run([topo.IP, 'link', 'set', x, 'arp', 'off', 'mtu', '1500',
                          'up'])

    def port(self, side, idx, role):
        """Devargs of port @idx (0: underlay, i: endpoint i-1) on @side.

        @side is 'md' (mflowd) or 'gen'. With memif, mflowd is the server.
        """
        name = 'ul' if idx == 0 else f'ep{idx - 1}'
        if self.args.pmd == 'memif':
            return (f'net_memif{idx},role={role},id=0,socket={self.sock(name)}')
        end = ('u' if idx == 0 else f'e{idx - 1}')
        iface = self.tag + (end if side == 'md' else end.upper())
        return f'net_{self.args.pmd}{idx},iface={iface}'

    # -- mflowd -----------------------------------------------------------

    def sock(self, name):
        """An abstract memif socket name of this run."""
        return f'/{self.tag}/{name}.sock'

    def mflowd_config(self, mode_cfg, n_vnis):
        """mflowd's config: memif underlay and one memif endpoint per VNI."""
        vnis, eps, fdb = [], [], []
        for i in range(n_vnis):
            vni = VNI_BASE + i
            vnis.append({'vni': vni, 'vteps': [VTEP_IP]})
            eps.append({'name': f'g{i}', 'vni': vni, 'mac': EP_MAC, 'mtu': 1450,
                        'port': self.port('md', i + 1, 'server')})
            fdb.append({'vni': vni, 'mac': REMOTE_MAC, 'vtep': VTEP_IP})
        mflow = dict(mode_cfg)
        mflow['batch_size'] = self.args.batch
        return {
            'underlay': {'port': self.port('md', 0, 'server'),
                         'ip4': f'{UL_IP}/24', 'mac': UL_MAC, 'mtu': 1500},
            'vnis': vnis,
            'endpoints': eps,
            'fdb': fdb,
            'neighbours': [{'ip': VTEP_IP, 'mac': VTEP_MAC}],
            'dataplane': {'idle_polls': 0 if self.args.busy else 1000},
            'control': {'socket': os.path.join(self.work, 'ctl.sock')},
            'mflow': mflow,
        }

    def start_mflowd(self, mode, n_vnis, edit=None):
        """Start mflowd for @mode with @n_vnis endpoints; wait for its stats.

        @edit, when given, may change the config dict before it is written.
        """
        lmap, mode_cfg = LAYOUTS[self.args.layout][mode]
        self.make_veths(n_vnis)
        cfg_path = os.path.join(self.work, f'mflowd-{mode}-{n_vnis}.json')
        self.stats_path = os.path.join(self.work, f'stats-{mode}-{n_vnis}.json')
        if os.path.exists(self.stats_path):
            os.unlink(self.stats_path)
        cfg = self.mflowd_config(mode_cfg, n_vnis)
        if edit is not None:
            edit(cfg)
        with open(cfg_path, 'w', encoding='ascii') as fh:
            json.dump(cfg, fh, indent=1)
        cmd = ([self.args.mflowd, '--no-pci']
               + topo.eal_memory_args(512, f'{self.tag}-d')
               + ['--lcores', lmap, '--log-level=user1,notice', '--',
                  '--config', cfg_path, '--stats-file', self.stats_path,
                  '--stats-interval', '1'])
        self.md_log = open(os.path.join(self.work, f'mflowd-{mode}.log'), 'w',
                           encoding='utf-8')
        self.md = subprocess.Popen(cmd, stdout=self.md_log,
                                   stderr=subprocess.STDOUT)
        self.md_cmd = cmd
        # The first stats file says that mflowd is up (and handles SIGUSR1).
        ok = topo.wait_for(lambda: os.path.exists(self.stats_path)
                           or self.md.poll() is not None, 30)
        if not ok or self.md.poll() is not None:
            raise RuntimeError('mflowd did not start: ' + self.md_tail())

    def md_tail(self, n=15):
        """The end of mflowd's log."""
        self.md_log.flush()
        with open(self.md_log.name, encoding='utf-8', errors='replace') as fh:
            return ''.join(fh.readlines()[-n:])

    def md_stats(self):
        """A fresh stats snapshot of mflowd."""
        before = os.stat(self.stats_path).st_mtime_ns
        self.md.send_signal(signal.SIGUSR1)
        topo.wait_for(lambda: os.stat(self.stats_path).st_mtime_ns != before, 3,
                      0.05)
        with open(self.stats_path, encoding='utf-8') as fh:
            return json.load(fh)

    def stop_mflowd(self):
        """SIGTERM mflowd and wait for it."""
        if self.md is None:
            return
        if self.md.poll() is None:
            self.md.send_signal(signal.SIGTERM)
            try:
                self.md.wait(15)
            except subprocess.TimeoutExpired:
                self.md.kill()
                self.md.wait(5)
        self.md_log.close()
        self.md = None
        topo.cleanup_prefix(f'{self.tag}-d')

    # -- mflow-gen --------------------------------------------------------

    def scenario(self, encap, size, flows, n_vnis):
        """A scenario for mflow-gen (decapsulation when @encap is vxlan)."""
        sc = {'name': f'{encap}-{size}', 'encap': encap,
              'size': IMIX_OVERLAY if size == 'imix' else size,
              'flows': flows, 'vnis': [VNI_BASE + i for i in range(max(n_vnis, 1))],
              'duration_s': self.args.duration, 'warmup_s': self.args.warmup}
        if encap == 'vxlan':
            # mflow-gen is the remote VTEP; the frames go to the endpoint's MAC.
            sc['outer'] = {'src_mac': VTEP_MAC, 'dst_mac': UL_MAC,
                           'src_ip': VTEP_IP, 'dst_ip': UL_IP, 'udp_port': 4789}
            sc['inner'] = {'src_mac': REMOTE_MAC, 'dst_mac': EP_MAC,
                           'src_ip': INNER_REMOTE_IP, 'dst_ip': INNER_EP_IP,
                           'src_port': 10000, 'dst_port': 9}
        else:
            # mflow-gen is the container; mflowd encapsulates towards the VTEP.
            sc['inner'] = {'src_mac': EP_MAC, 'dst_mac': REMOTE_MAC,
                           'src_ip': INNER_EP_IP, 'dst_ip': INNER_REMOTE_IP,
                           'src_port': 10000, 'dst_port': 9}
            # The outer headers mflowd adds are parsed, never built here.
            sc['outer'] = {'udp_port': 4789}
        return sc

    def run_gen(self, name, sc, n_vnis, encap_dir, search=None, extra=()):
        """Run mflow-gen once; returns its JSON report (or an error record).

        @n_vnis is the number of endpoint ports; @extra, more mflow-gen
        options.
        """
        sc = dict(sc)
        if search is not None:
            sc['search'] = search
        path = os.path.join(self.work, f'{name}.scenario.json')
        out = os.path.join(self.work, f'{name}.result.json')
        with open(path, 'w', encoding='ascii') as fh:
            json.dump(sc, fh, indent=1)
        big = max((s for s in ([sc['size']] if not isinstance(sc['size'], list)
                               else sc['size']) if isinstance(s, int)), default=0)
        bsize = ',bsize=9216' if big > 2000 else ''
        if self.args.pmd != 'memif':
            bsize = ''
        vdevs = [f'--vdev={self.port("gen", i, "client")}{bsize}'
                 for i in range(n_vnis + 1)]
        pfx = f'net_{self.args.pmd}'
        eps = ','.join(f'{pfx}{i + 1}' for i in range(n_vnis))
        if encap_dir == 'loopback':
            # Both ends of one memif pair in mflow-gen itself.
            sock = self.sock('loop')
            vdevs = [f'--vdev=net_memif0,role=server,id=0,socket={sock}{bsize}',
                     f'--vdev=net_memif1,role=client,id=0,socket={sock}{bsize}']
            tx, rx = 'net_memif1', 'net_memif0'
        elif encap_dir == 'decap':
            tx, rx = f'{pfx}0', eps
        else:
            tx, rx = f'{pfx}1', f'{pfx}0'
        cmd = ([self.args.gen, '--no-pci']
               + topo.eal_memory_args(256, f'{self.tag}-g')
               + ['-l', str(GEN_CPU), '--log-level=pmd.net.memif,error'] + vdevs
               + ['--', '--tx', tx, '--rx', rx, '--scenario', path, '--json', out]
               + list(extra))
        if self.args.quick:
            cmd.append('--quick')
        limit = 600 if search else 120
        log(f'{name}: ' + ' '.join(cmd[cmd.index('--') + 1:]))
        for attempt in range(FANOUT_TRIES):
            before = self.md_stats() if self.md else {}
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=limit,
                                     check=False)
            except subprocess.TimeoutExpired:
                topo.cleanup_prefix(f'{self.tag}-g')
                return {'error': f'mflow-gen timed out after {limit} s'}
            topo.cleanup_prefix(f'{self.tag}-g')
            after = self.md_stats() if self.md else {}
            # DPDK 22.11's af_packet names its fanout group (pid ^ ifindex):
            # mflow-gen's may clash with mflowd's, and the kernel refuses the
            # second one. Another pid picks another group.
            if res.returncode == 0 or 'PACKET_FANOUT' not in res.stderr:
                break
            log(f'{name}: af_packet fanout group clash with mflowd '
                f'(try {attempt + 1} of {FANOUT_TRIES}); again with a new pid')
        sys.stderr.write(''.join(line + '\n' for line in res.stderr.splitlines()
                                 if line.startswith('[gen]')))
        if res.returncode != 0 or not os.path.exists(out):
            return {'error': f'mflow-gen exit {res.returncode}',
                    'stderr': res.stderr[-2000:]}
        with open(out, encoding='utf-8') as fh:
            rep = json.load(fh)
        rep.pop('machine', None)
        rep['mflowd'] = stats_delta(before, after)
        return rep

    def cleanup(self):
        """Stop everything this run started; remove the veths."""
        self.stop_mflowd()
        topo.cleanup_prefix(f'{self.tag}-g')
        for v in self.veths:
            topo.run([topo.IP, 'link', 'del', v], check=False)
        self.veths = []


def _flat(d, prefix=''):
    """Numeric leaves of a nested dict as {'a.b': n}."""
    out = {}
    for k, v in d.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            out.update(_flat(v, key + '.'))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = v
    return out


def stats_delta(before, after):
    """mflowd's counters that moved: drops by reason, mflow merge counters."""
    keep = {}
    for sect in ('drops', 'stats', 'mflow'):
        a = _flat(after.get(sect) or {})
        b = _flat(before.get(sect) or {})
        for k, v in a.items():
            d = v - b.get(k, 0)
            if d:
                keep[f'{sect}.{k}'] = d
    return keep


def summary(rep):
    """The figures of one report's final trial (or the search's results)."""
    if 'error' in rep:
        return rep
    if 'search' in rep:
        out = {'max_pps': rep['search']['max_pps']}
        for r in rep['search']['results']:
            key = 'ndr' if r['loss_pct'] == 0 else 'pdr'
            out[f'{key}_mpps'] = r['mpps']
            out[f'{key}_confirmed'] = r['confirmed']
            tr = r.get('trial') or {}
            out[f'{key}_gbps'] = tr.get('rx_gbps')
            out[f'{key}_p99_us'] = (tr.get('latency_ns', {}).get('p99', 0) / 1e3
                                    if tr else None)
        return out
    t = rep['result']
    lat = t.get('latency_ns', {})
    out = {'tx_mpps': t['tx_mpps'], 'rx_mpps': t['rx_mpps'], 'rx_gbps': t['rx_gbps'],
           'loss_pct': t['loss_pct'], 'dup': t['dup'], 'ooo': t['ooo'],
           'flows_ooo': t['flows_ooo'], 'p50_us': lat.get('p50', 0) / 1e3,
           'p99_us': lat.get('p99', 0) / 1e3, 'p99_9_us': lat.get('p99_9', 0) / 1e3,
           'max_us': lat.get('max', 0) / 1e3}
    for g in t.get('groups', []):
        out[f"{g['name']}.ooo"] = g['ooo']
        out[f"{g['name']}.p99_us"] = g['latency_ns'].get('p99', 0) / 1e3
    return out


def plan(args):
    """(workload, name, encap, size, flows, n_vnis, direction, search) tuples."""
    one = [{'name': 'flow', 'count': 1, 'share': 1}]
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    runs = []
    if 'loopback' in args.workloads:
        for s in (QUICK_LOOP_SIZES if args.quick else LOOP_SIZES):
            runs.append(('loopback', f'loop-{s}', 'plain', s, one, 0, 'loopback',
                         None))
    if 'sizes' in args.workloads:
        for s in sizes:
            runs.append(('sizes', f'sizes-{s}', 'vxlan', s, one, 1, 'decap', None))
    if 'ndr' in args.workloads:
        search = {'loss_pct': [0, 0.5], 'trial_s': args.trial}
        for s in ((64,) if args.quick else (64, 'imix')):
            runs.append(('ndr', f'ndr-{s}', 'vxlan', s, one, 1, 'decap', search))
    if 'elephant' in args.workloads:
        mix = [{'name': 'elephant', 'count': 1, 'share': 0.8},
               {'name': 'mice', 'count': 100, 'share': 0.2}]
        runs.append(('elephant', 'elephant', 'vxlan', 64, mix, 1, 'decap', None))
    if 'encap' in args.workloads:
        for s in ((64,) if args.quick else (64, 1468)):
            runs.append(('encap', f'encap-{s}', 'plain', s, one, 1, 'encap', None))
    if 'vnis' in args.workloads and not args.quick:
        flows = [{'name': 'flows', 'count': 16, 'share': 1}]
        runs.append(('vnis', 'vnis-4', 'vxlan', 64, flows, 4, 'decap', None))
    return runs


def table(doc):
    """A readable table of every mode x run."""
    lines = []
    cols = ('rx_mpps', 'rx_gbps', 'loss_pct', 'ooo', 'p50_us', 'p99_us')
    lines.append(f"{'run':<14} {'mode':<10} " + ' '.join(f'{c:>10}' for c in cols)
                 + '  ndr/pdr Mpps')
    for run in doc['runs']:
        s = run['summary']
        if 'error' in s:
            lines.append(f"{run['name']:<14} {run['mode']:<10} ERROR {s['error']}")
            continue
        if 'ndr_mpps' in s or 'pdr_mpps' in s:
            lines.append(f"{run['name']:<14} {run['mode']:<10} " + ' ' * 66
                         + f"{s.get('ndr_mpps', 0):.3f} / {s.get('pdr_mpps', 0):.3f}")
            continue
        vals = []
        for c in cols:
            v = s.get(c)
            vals.append(f'{v:>10.3f}' if isinstance(v, float) else f'{v!s:>10}')
        lines.append(f"{run['name']:<14} {run['mode']:<10} " + ' '.join(vals))
    return '\n'.join(lines)


def main(argv):
    """Entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'),
                    help='meson build directory (default build/)')
    ap.add_argument('--mflowd', help='mflowd binary (default BUILD/mflowd)')
    ap.add_argument('--gen', help='mflow-gen binary (default BUILD/bench/mflow-gen)')
    ap.add_argument('--quick', action='store_true', help='the < 2 min subset')
    ap.add_argument('--modes', default=','.join(MODES))
    ap.add_argument('--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--layout', choices=sorted(LAYOUTS), default='cpu1')
    ap.add_argument('--pmd', choices=PMDS, default='memif',
                    help='how mflow-gen reaches mflowd (default memif)')
    ap.add_argument('--duration', type=float, default=3.0, help='seconds per trial')
    ap.add_argument('--warmup', type=float, default=0.5)
    ap.add_argument('--trial', type=float, default=2.0, help='seconds per search trial')
    ap.add_argument('--batch', type=int, default=256, help='mflow batch_size')
    ap.add_argument('--busy', action='store_true',
                    help='mflowd never sleeps when idle (dataplane.idle_polls 0)')
    ap.add_argument('--out', help='result file (default results/gen-...json)')
    args = ap.parse_args(argv)
    args.mflowd = args.mflowd or os.path.join(args.build, 'mflowd')
    args.gen = args.gen or os.path.join(args.build, 'bench', 'mflow-gen')
    args.modes = [m for m in args.modes.split(',') if m]
    args.workloads = [w for w in args.workloads.split(',') if w]
    for m in args.modes:
        if m not in MODES:
            ap.error(f'--modes: unknown mode {m!r}')
    for w in args.workloads:
        if w not in WORKLOADS:
            ap.error(f'--workloads: unknown workload {w!r}')
    if args.quick:
        args.duration, args.warmup, args.trial = 1.0, 0.2, 1.0
    for b in (args.mflowd, args.gen):
        if not os.access(b, os.X_OK):
            ap.error(f'{b}: not built (ninja -C {args.build})')
    if os.geteuid() != 0:
        ap.error('run as root (DPDK and memif need it)')

    doc = results.header('gen')
    doc['settings'] = {'layout': args.layout, 'lcores': {
        m: LAYOUTS[args.layout][m][0] for m in args.modes}, 'gen_cpu': GEN_CPU,
        'duration_s': args.duration, 'warmup_s': args.warmup, 'trial_s': args.trial,
        'batch_size': args.batch, 'busy': args.busy, 'quick': args.quick,
        'pmd': f'net_{args.pmd}'}
    doc['runs'] = []
    t0 = time.monotonic()
    bench = Bench(args)
    runs = plan(args)
    def run_one(mode, wl, name, encap, size, flows, nv, direction, search):
        sc = bench.scenario(encap, size, flows, nv)
        rep = bench.run_gen(f'{mode}-{name}', sc, nv, direction, search)
        doc['runs'].append({'workload': wl, 'name': name, 'mode': mode,
                            'size': size, 'direction': direction,
                            'summary': summary(rep), 'report': rep})

    try:
        for run in runs:
            if run[6] == 'loopback':
                run_one('none', *run)
        for mode in args.modes:
            for n_vnis in sorted({r[5] for r in runs if r[6] != 'loopback'}):
                bench.start_mflowd(mode, n_vnis)
                try:
                    for run in runs:
                        if run[5] == n_vnis and run[6] != 'loopback':
                            run_one(mode, *run)
                finally:
                    bench.stop_mflowd()
    except KeyboardInterrupt:
        log('interrupted')
        doc['interrupted'] = True
    finally:
        bench.cleanup()
    doc['wall_s'] = round(time.monotonic() - t0, 1)
    path = results.write(doc, args.out)
    print(table(doc))
    log(f'{len(doc["runs"])} runs in {doc["wall_s"]} s; results: {path}')
    return 1 if any('error' in r['summary'] for r in doc['runs']) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
