#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end comparison: native routing, the Linux overlay and mflowd.

All cases use the same namespaces (tests/integration/topo.py, prefix
``mfb``): a container ``mfb-c1`` and a remote host ``mfb-vtep`` joined by
veths through a middle box. Only the middle box changes:

routed      ``mfb-host`` routes between the two veths (no overlay).
kernel      ``mfb-host`` runs a kernel vxlan device and a bridge; the remote
            side is a kernel vxlan device too (the Linux overlay).
mflowd      mflowd owns the root-ns veth ends (AF_XDP or AF_PACKET PMD) and
            terminates VxLAN for the container; the remote side is a kernel
            vxlan device. Default dataplane settings (idle sleeps on).
mflowd-busy the same with ``dataplane.idle_polls = 0`` (never sleep).

For each case: sockperf UDP ping-pong (64 B and 1400 B: avg/p50/p99
latency, which sockperf reports as half the round trip, in usec), sockperf
UDP throughput at the maximum rate (64 B and 1400 B: sent and delivered
msg/s and Mbit/s, loss), and iperf3 TCP (Gbit/s, retransmits). Clients run
in the container, servers in the remote namespace. Every sockperf and
iperf3 process is pinned to CPU 0 with taskset; mflowd runs its datapath
on CPU 1 (EAL -l 1).

Results go to results/e2e-<UTC date>-<git commit>.json and stdout, followed
by a table.

Usage (as root):  bench/e2e.py --mflowd build/mflowd [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
import topo  # noqa: E402  pylint: disable=wrong-import-position

CASES = ('routed', 'kernel', 'mflowd', 'mflowd-busy')
SIZES = (64, 1400)
APP_CPU = 0
MFLOWD_LCORES = '1'
SP_PORT = 11111
IPERF_PORT = 5201


def log(msg):
    """Progress on stderr so that stdout holds the JSON and the table."""
    print(f'[e2e] {msg}', file=sys.stderr, flush=True)


def git_commit():
    """Short commit of the work tree ('unknown' outside git)."""
    res = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short=12',
                          'HEAD'], capture_output=True, text=True,
                         check=False)
    commit = res.stdout.strip() or 'unknown'
    dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain',
                            '--untracked-files=no'], capture_output=True,
                           text=True, check=False).stdout.strip()
    return commit + ('-dirty' if dirty else '')


def loadavg():
    """The 1-minute load average: other work skews the figures."""
    with open('/proc/loadavg', encoding='ascii') as fh:
        return float(fh.read().split()[0])


def cpu_model():
    """The CPU model name from /proc/cpuinfo."""
    try:
        with open('/proc/cpuinfo', encoding='ascii', errors='replace') as fh:
            for line in fh:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


class MflowdProc:
    """mflowd for one case; stopped with SIGTERM."""

    def __init__(self, t, binary, workdir, dataplane=None):
        self.t = t
        self.cfg = os.path.join(workdir, 'mflowd.json')
        self.stats_path = os.path.join(workdir, 'stats.json')
        self.log_path = os.path.join(workdir, 'mflowd.log')
        with open(self.cfg, 'w', encoding='ascii') as fh:
            json.dump(t.mflowd_config(dataplane=dataplane), fh, indent=2)
        self.cmd = ([binary, '--no-pci']
                    + topo.eal_memory_args(512, f'mfb-{os.getpid()}')
                    + ['-l', MFLOWD_LCORES, '--log-level=user1,notice', '--',
                       '--config', self.cfg, '--stats-file', self.stats_path,
                       '--stats-interval', '1'])
        self._log = open(self.log_path, 'w', encoding='utf-8')
        self.proc = t.popen(None, self.cmd, stdout=self._log,
                            stderr=subprocess.STDOUT)
        ready = topo.wait_for(lambda: self.proc.poll() is not None
                              or os.path.exists(self.stats_path), 30)
        if not ready or self.proc.poll() is not None:
            raise RuntimeError('mflowd did not start:\n' + self.tail())

    def tail(self, n=20):
        """Last lines of the log."""
        with open(self.log_path, encoding='utf-8', errors='replace') as fh:
            return ''.join(fh.readlines()[-n:])

    def stats(self):
        """A fresh stats snapshot (SIGUSR1)."""
        before = os.stat(self.stats_path).st_mtime_ns
        self.proc.send_signal(signal.SIGUSR1)
        topo.wait_for(lambda: os.stat(self.stats_path).st_mtime_ns != before,
                      3, 0.05)
        with open(self.stats_path, encoding='utf-8') as fh:
            return json.load(fh)

    def stop(self):
        """SIGTERM and wait."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


def _snmp(ns):
    """UDP and TCP counters of /proc/net/snmp inside @ns."""
    lines = topo.run(['cat', '/proc/net/snmp'], ns=ns).stdout.splitlines()
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        proto = head.split(':')[0]
        if proto in ('Udp', 'Tcp'):
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                out[f'{proto}{k}'] = int(v)
    return out


def _veth_drops(ns, dev):
    """Sum of the per-queue rx drop counters of a veth (ethtool -S)."""
    res = topo.run([topo.ETHTOOL, '-S', dev], ns=ns, check=False)
    total = 0
    for line in res.stdout.splitlines():
        key, _, val = line.partition(':')
        key = key.strip()
        if key.startswith('rx_queue_') and key.endswith('_drops'):
            total += int(val)
    return total


class LossProbe:
    """Counters that tell where packets were lost during one measurement.

    server_udp_rcvbuf_errors: the receiving socket overflowed.
    middle_veth_rx_drops: the middle box's veth ends dropped on receive
        (with AF_XDP: XDP redirect into a full AF_XDP ring).
    mflowd_drops / mflowd_rx_missed / mflowd_tx_errors: inside mflowd.
    """

    def __init__(self, t, srv_ns, md):
        self.t = t
        self.srv_ns = srv_ns
        self.md = md
        self.before = self.snap()

    def snap(self):
        """All counters now."""
        t = self.t
        snmp = _snmp(self.srv_ns)
        ends = [t.ul_host_if] + [c.host_if for c in t.containers]
        out = {
            'server_udp_rcvbuf_errors': snmp.get('UdpRcvbufErrors', 0),
            'server_tcp_retrans_segs': snmp.get('TcpRetransSegs', 0),
            'middle_veth_rx_drops': sum(_veth_drops(t.host_ns, d)
                                        for d in ends),
        }
        if self.md:
            st = self.md.stats()
            out['mflowd_drops'] = sum(st['drops'].values())
            out['mflowd_rx_missed'] = sum(p['rx_missed']
                                          for p in st['ports'])
            out['mflowd_tx_errors'] = sum(p['tx_errors']
                                          for p in st['ports'])
        return out

    def delta(self):
        """Counter increases since the probe was made."""
        after = self.snap()
        return {k: after[k] - self.before.get(k, 0) for k in after}


def sockperf_pp(t, srv_ns, cli_ns, ip, size, seconds):
    """One ping-pong run; @return parsed figures."""
    srv = topo.SockperfServer(t, srv_ns, ip, port=SP_PORT, cpu=APP_CPU)
    out = topo.sockperf_client(cli_ns, 'ping-pong', ip, port=SP_PORT,
                               seconds=seconds, msg_size=size, cpu=APP_CPU)
    srv.stop()
    res = topo.parse_sockperf_pp(out)
    if res['received'] is None:
        res['error'] = out[-500:]
    return res


def sockperf_tp(t, srv_ns, cli_ns, ip, size, seconds):
    """One throughput run at the maximum rate; @return parsed figures."""
    srv = topo.SockperfServer(t, srv_ns, ip, port=SP_PORT, cpu=APP_CPU)
    out = topo.sockperf_client(cli_ns, 'throughput', ip, port=SP_PORT,
                               seconds=seconds, msg_size=size, mps='max',
                               cpu=APP_CPU)
    time.sleep(0.3)
    res = topo.parse_sockperf_tp(out, srv.stop())
    if res['received'] is not None:
        res['delivered_msg_per_s'] = round(res['received'] / seconds)
        res['delivered_mbit_per_s'] = round(
            res['received'] * size * 8 / seconds / 1e6, 3)
        res['loss_pct'] = (round(100.0 * res['dropped'] / res['sent'], 3)
                           if res['sent'] else None)
    else:
        res['error'] = out[-500:]
    return res


def iperf3_tcp(t, srv_ns, cli_ns, ip, seconds):
    """One iperf3 TCP run; @return Gbit/s and retransmits."""
    srv = t.popen(srv_ns, ['taskset', '-c', str(APP_CPU), 'iperf3', '-s',
                           '-1', '-B', ip, '-p', str(IPERF_PORT)],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    res = topo.run(['taskset', '-c', str(APP_CPU), 'iperf3', '-c', ip, '-p',
                    str(IPERF_PORT), '-t', str(seconds), '-J'], ns=cli_ns,
                   check=False, timeout=seconds + 20)
    try:
        srv.wait(5)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait(5)
    try:
        end = json.loads(res.stdout)['end']
        return {
            'sent_gbit_per_s': round(end['sum_sent']['bits_per_second'] / 1e9,
                                     3),
            'received_gbit_per_s': round(
                end['sum_received']['bits_per_second'] / 1e9, 3),
            'retransmits': end['sum_sent'].get('retransmits'),
        }
    except (ValueError, KeyError) as exc:
        return {'error': f'{exc}: {res.stdout[-300:]}{res.stderr[-300:]}'}


def idle_cpu(md, seconds):
    """CPU use of mflowd's datapath thread over @seconds with no traffic, in %."""
    def cpu_and_uptime(st):
        lc = st['lcores'][0]
        return lc['cpu_pct'] / 100.0 * st['uptime_s'], st['uptime_s']

    log(f'mflowd idle for {seconds} s')
    c0, u0 = cpu_and_uptime(md.stats())
    time.sleep(seconds)
    c1, u1 = cpu_and_uptime(md.stats())
    return round(100.0 * (c1 - c0) / (u1 - u0), 2) if u1 > u0 else None


def run_case(case, args, workdir):
    """Build the topology for @case, measure, tear down."""
    mode = 'routed' if case == 'routed' else (
        'kernel' if case == 'kernel' else 'mflowd')
    vnis = {100: topo.default_vnis()[100]}
    c1 = [c for c in topo.default_containers() if c.name == 'c1']
    t = topo.Topology(prefix='mfb', mode=mode, pmd=args.pmd,
                      underlay_pmd=args.pmd, containers=c1, vnis=vnis,
                      log=log)
    result = {'mode': mode}
    md = None
    with t:
        if mode == 'mflowd':
            dp = dict(args.dataplane)
            if case == 'mflowd-busy':
                dp['idle_polls'] = 0
            dp = dp or None
            md = MflowdProc(t, args.mflowd, workdir, dataplane=dp)
            result['mflowd_cmd'] = ' '.join(md.cmd)
            result['dataplane'] = dp or 'defaults'
        cont = t.container('c1')
        peer = t.peer_ip(100)
        warm = topo.ping(cont.ns, peer, count=3, interval=0.2)
        if warm['received'] == 0:
            raise RuntimeError(f'{case}: no connectivity c1 -> {peer}:\n'
                               + warm['output']
                               + (md.tail() if md else ''))
        result['ping_avg_ms'] = warm['avg_ms']
        if md:
            result['idle_cpu_pct'] = idle_cpu(md, args.idle_seconds)
        secs = args.seconds
        result['pp'] = {}
        result['tp'] = {}
        for size in SIZES:
            log(f'{case}: sockperf ping-pong {size} B, {secs} s')
            probe = LossProbe(t, t.vtep_ns, md)
            res = sockperf_pp(t, t.vtep_ns, cont.ns, peer, size, secs)
            res['loss_where'] = probe.delta()
            result['pp'][str(size)] = res
        for size in SIZES:
            log(f'{case}: sockperf throughput {size} B, {secs} s')
            probe = LossProbe(t, t.vtep_ns, md)
            res = sockperf_tp(t, t.vtep_ns, cont.ns, peer, size, secs)
            res['loss_where'] = probe.delta()
            result['tp'][str(size)] = res
        log(f'{case}: iperf3 TCP, {args.tcp_seconds} s')
        probe = LossProbe(t, t.vtep_ns, md)
        res = iperf3_tcp(t, t.vtep_ns, cont.ns, peer, args.tcp_seconds)
        res['loss_where'] = probe.delta()
        result['tcp'] = res
        if md:
            st = md.stats()
            result['mflowd_drops'] = {k: v for k, v in st['drops'].items()
                                      if v}
            result['mflowd_lcores'] = [
                {k: lc.get(k) for k in ('lcore', 'busy_pct', 'cpu_pct',
                                        'idle_sleeps')}
                for lc in st.get('lcores', [])]
            result['mflowd_exit'] = md.stop()
    return result


def fmt(value, digits=1):
    """A table cell."""
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def table(results):
    """A readable table of the figures, one column per case."""
    cases = [c for c in CASES if c in results['cases']]
    rows = []
    for size in SIZES:
        s = str(size)
        for key, label in (('avg_us', 'avg'), ('p50_us', 'p50'),
                           ('p99_us', 'p99')):
            rows.append((f'UDP ping-pong {size} B {label} (us)',
                         [results['cases'][c].get('pp', {}).get(s, {})
                          .get(key) for c in cases], 1))
        rows.append((f'UDP ping-pong {size} B drop/dup/ooo',
                     ['/'.join(fmt(results['cases'][c].get('pp', {})
                                   .get(s, {}).get(k))
                               for k in ('dropped', 'duplicated',
                                         'out_of_order'))
                      for c in cases], 0))
    for size in SIZES:
        s = str(size)
        for key, label, dig in (
                ('msg_per_s', 'sent msg/s', 0),
                ('delivered_msg_per_s', 'delivered msg/s', 0),
                ('delivered_mbit_per_s', 'delivered Mbit/s', 1),
                ('loss_pct', 'loss %', 2)):
            rows.append((f'UDP throughput {size} B {label}',
                         [results['cases'][c].get('tp', {}).get(s, {})
                          .get(key) for c in cases], dig))
    for size in SIZES:
        s = str(size)
        for key, label in (('middle_veth_rx_drops', 'veth rx drops'),
                           ('server_udp_rcvbuf_errors', 'rcvbuf drops')):
            rows.append((f'UDP throughput {size} B lost: {label}',
                         [results['cases'][c].get('tp', {}).get(s, {})
                          .get('loss_where', {}).get(key)
                          for c in cases], 0))
    rows.append(('TCP iperf3 Gbit/s (received)',
                 [results['cases'][c].get('tcp', {})
                  .get('received_gbit_per_s') for c in cases], 3))
    rows.append(('mflowd datapath CPU % while idle',
                 [results['cases'][c].get('idle_cpu_pct') for c in cases], 1))
    rows.append(('TCP iperf3 retransmits',
                 [results['cases'][c].get('tcp', {}).get('retransmits')
                  for c in cases], 0))
    width = max(len(r[0]) for r in rows) + 2
    head = 'metric'.ljust(width) + ''.join(c.rjust(13) for c in cases)
    lines = [head, '-' * len(head)]
    for label, vals, dig in rows:
        lines.append(label.ljust(width)
                     + ''.join(fmt(v, dig).rjust(13) for v in vals))
    return '\n'.join(lines)


def main(argv):
    """Parse arguments, run the cases, write the results."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mflowd', default=os.path.join(ROOT, 'build',
                                                     'mflowd'),
                    help='mflowd binary (default: build/mflowd)')
    ap.add_argument('--pmd', choices=topo.PMDS, default='af_xdp',
                    help='PMD for every mflowd port (default af_xdp)')
    ap.add_argument('--cases', default=','.join(CASES),
                    help=f'comma-separated subset of {",".join(CASES)}')
    ap.add_argument('--quick', action='store_true',
                    help='2 s per sockperf run and 3 s of TCP (< 2 min)')
    ap.add_argument('--seconds', type=int, default=None,
                    help='seconds per sockperf run (default 5, quick 2)')
    ap.add_argument('--tcp-seconds', type=int, default=None,
                    help='seconds of iperf3 (default 10, quick 3)')
    ap.add_argument('--idle-seconds', type=int, default=None,
                    help='seconds of no traffic to measure idle CPU '
                         '(default 5, quick 2)')
    ap.add_argument('--dataplane', type=json.loads, default={},
                    help='JSON object merged into the "dataplane" config '
                         'of the mflowd cases, e.g. \'{"drain_us": 10}\'')
    ap.add_argument('--out', default=os.path.join(ROOT, 'results'),
                    help='directory for the JSON results')
    args = ap.parse_args(argv)
    if args.seconds is None:
        args.seconds = 2 if args.quick else 5
    if args.idle_seconds is None:
        args.idle_seconds = 2 if args.quick else 5
    if args.tcp_seconds is None:
        args.tcp_seconds = 3 if args.quick else 10
    cases = [c for c in args.cases.split(',') if c]
    bad = [c for c in cases if c not in CASES]
    if bad:
        ap.error(f'unknown case(s): {", ".join(bad)}')
    if os.geteuid() != 0:
        ap.error('must run as root (namespaces, DPDK)')
    if any(c.startswith('mflowd') for c in cases) and not os.access(
            args.mflowd, os.X_OK):
        ap.error(f'{args.mflowd} is not executable (build it or --mflowd)')

    now = datetime.datetime.now(datetime.timezone.utc)
    commit = git_commit()
    results = {
        'meta': {
            'date_utc': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'commit': commit,
            'command': ' '.join([os.path.relpath(sys.argv[0], ROOT)]
                                + list(argv)),
            'cpus': os.cpu_count(),
            'cpu_model': cpu_model(),
            'kernel': platform.release(),
            'pmd': args.pmd,
            'quick': args.quick,
            'sockperf_seconds': args.seconds,
            'iperf3_seconds': args.tcp_seconds,
            'pinning': (f'sockperf/iperf3 client and server: taskset -c '
                        f'{APP_CPU}; mflowd: EAL -l {MFLOWD_LCORES}'),
            'latency': 'sockperf latency = round trip / 2, usec',
            'eal_memory': ' '.join(topo.eal_memory_args(512)),
            'dataplane_override': args.dataplane,
            'loadavg_1min_before': loadavg(),
        },
        'cases': {},
    }
    t0 = time.monotonic()
    for case in cases:
        with tempfile.TemporaryDirectory(prefix='mfb-') as workdir:
            log(f'case {case}')
            try:
                results['cases'][case] = run_case(case, args, workdir)
            except (RuntimeError, topo.TopoError) as exc:
                log(f'case {case} failed: {exc}')
                results['cases'][case] = {'error': str(exc)}
    results['meta']['wall_s'] = round(time.monotonic() - t0, 1)
    results['meta']['loadavg_1min_after'] = loadavg()

    os.makedirs(args.out, exist_ok=True)
    name = f"e2e-{now.strftime('%Y%m%d-%H%M%S')}-{commit}.json"
    path = os.path.join(args.out, name)
    with open(path, 'w', encoding='utf-8') as fh:
        json.dump(results, fh, indent=2)
        fh.write('\n')
    print(json.dumps(results, indent=2))
    print()
    print(table(results))
    meta = results['meta']
    print(f"\nresults: {path} ({meta['wall_s']} s, load average "
          f"{meta['loadavg_1min_before']} before, "
          f"{meta['loadavg_1min_after']} after)")
    failed = [c for c, r in results['cases'].items() if 'error' in r]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
