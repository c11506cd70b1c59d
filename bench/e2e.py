#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end comparison: native routing, the Linux overlay and mflowd.

All cases use the same namespaces (tests/integration/topo.py, prefix
``mfb``): a container ``mfb-c1`` and a remote host ``mfb-vtep`` joined by
veths through a middle box. Only the middle box changes:

routed            ``mfb-host`` routes between the two veths (no overlay).
kernel            ``mfb-host`` runs a kernel vxlan device and a bridge; the
                  remote side is a kernel vxlan device too (the Linux
                  overlay).
mflowd-rtc        mflowd owns the root-ns veth ends (AF_XDP by default) and
mflowd-pinned     terminates VxLAN for the container; the remote side is a
mflowd-microflow  kernel vxlan device. The three cases run the same EAL
                  lcore map and the same config, only ``mflow.mode``
                  differs (see --layout). Idle sleeping is on.
mflowd-busy       (not in the default set) mode rtc with
                  ``dataplane.idle_polls = 0``: the lcores never sleep.

Workloads (the MFLOW paper's figures 8a, 9 and 10, as far as two vCPUs
allow), each over every case:

tp  sockperf throughput at the maximum rate, UDP and TCP, at every
    --sizes message size: sent and delivered msg/s, Mbit/s of payload
    delivered, and loss (the client's count of sent messages minus the
    server's count of received ones).
pp  sockperf ping-pong, UDP and TCP, at every --sizes size: avg, p50, p99
    and p99.9 latency in usec (sockperf reports half the round trip) and
    sockperf's dropped / duplicated / out-of-order counts.
mf  iperf3 with --flows parallel streams: TCP at every --mf-sizes write
    size (Gbit/s received, retransmits) and UDP at --mf-udp-size without
    a rate limit (Mbit/s received, lost datagrams).
rate (optional, not in the default set) the highest sockperf UDP rate at
    every --sizes size delivered with at most 0.1 % loss: one run at the
    maximum rate, then at most --rate-steps bisection runs.

The client runs in the container, the server in the remote namespace, and
every sockperf and iperf3 process, client and server, is pinned with
``taskset -c 0`` (--app-cpu) in every case. Around every run the script
reads where packets were lost (UDP receive-buffer errors, veth drops,
mflowd's drop and mflow counters).

Results go to results/e2e-<UTC date>-<time>-<git commit>.json and stdout,
followed by a table; docs/e2e.md describes the JSON.

Usage (as root):
    bench/e2e.py                 # full matrix, ~18 min
    bench/e2e.py --quick         # every case and workload once, < 2 min
    bench/e2e.py --workloads rate --seconds 2     # ~6 min
    bench/e2e.py --cases kernel,mflowd-microflow --workloads mf --flows 1,5
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
sys.path.insert(0, HERE)
import topo  # noqa: E402  pylint: disable=wrong-import-position
from results import cpu_model, git_commit  # noqa: E402  pylint: disable=wrong-import-position

MFLOWD_MODES = {'mflowd-rtc': 'rtc', 'mflowd-pinned': 'pinned',
                'mflowd-microflow': 'microflow', 'mflowd-busy': 'rtc'}
CASES = ('routed', 'kernel', 'mflowd-rtc', 'mflowd-pinned',
         'mflowd-microflow', 'mflowd-busy')
DEFAULT_CASES = CASES[:5]
WORKLOADS = ('tp', 'pp', 'mf', 'rate')
DEFAULT_WORKLOADS = WORKLOADS[:3]
# The rate search: the highest UDP rate delivered with at most this loss.
RATE_LOSS_PCT = 0.1
PROTOS = ('udp', 'tcp')
# sockperf accepts at most 65507 B, for TCP as well as UDP: that is the
# "64 KB" of the paper.
MAX_MSG = 65507
SIZES = (16, 1400, 4096, MAX_MSG)
MF_SIZES = (16, 4096, MAX_MSG)
MF_UDP_SIZE = 1400
FLOWS = (1, 5, 10, 20)
QUICK = {'sizes': (1400,), 'mf_sizes': (4096,), 'flows': (5,),
         'seconds': 1, 'mf_seconds': 1, 'idle_seconds': 1}
FULL = {'seconds': 5, 'mf_seconds': 5, 'idle_seconds': 3}

# EAL lcore maps for the mflowd cases (2 vCPUs: CPU 0 runs the apps).
# Lcore 0 is the dispatch+merge lcore, the others are workers.
LAYOUTS = {
    'cpu1': ('0@1,1@1,2@1',
             'every mflowd lcore on CPU 1 (dispatch+merge, workers 1 and 2 '
             'time-share it); the apps have CPU 0 to themselves'),
    'spread': ('0@1,1@0,2@1',
               'dispatch+merge and worker 2 on CPU 1, worker 1 on CPU 0 '
               'next to the apps'),
    'cpu1-w1': ('0@1,1@1',
                'dispatch+merge and one worker, both on CPU 1'),
    'spread-w1': ('0@1,1@0',
                  'dispatch+merge on CPU 1, one worker on CPU 0 next to the '
                  'apps'),
}
DEFAULT_LAYOUT = 'cpu1'
# Thresholds low enough that every stream of the bench is an elephant
# (20 packets in each of two 1 ms windows); the paper's batch of 256. The
# merge timeout is 20 ms instead of mflowd's 1 ms: lcores that time-share a
# CPU are descheduled for whole scheduler slices (milliseconds), and with
# 1 ms the merger skipped batches of workers that were only waiting for the
# CPU and dropped their packets as late (docs/e2e.md).
MFLOW_DEFAULTS = {
    'batch_size': 256, 'pick': 'rr', 'merge_timeout_us': 20000,
    'elephant': {'window_us': 1000, 'promote_pkts': 20, 'demote_pkts': 5,
                 'promote_windows': 2, 'demote_windows': 50},
}
SP_PORT = 11111
IPERF_PORT = 5201
# net.ipv4.ipfrag_time of the client and server namespaces (kernel
# default 30 s): incomplete datagrams of a lossy run expire before the next.
FRAG_TIME_S = 2
SP_BUFFER = 4 << 20


T_START = time.monotonic()


def log(msg):
    """Progress on stderr so that stdout holds the JSON and the table."""
    print(f'[e2e {time.monotonic() - T_START:6.1f}] {msg}', file=sys.stderr,
          flush=True)


def loadavg():
    """The 1, 5 and 15-minute load averages: other work skews figures."""
    with open('/proc/loadavg', encoding='ascii') as fh:
        return [float(x) for x in fh.read().split()[:3]]


def meminfo_mb(key):
    """A /proc/meminfo field in MiB (None when absent)."""
    with open('/proc/meminfo', encoding='ascii') as fh:
        for line in fh:
            if line.startswith(key + ':'):
                val = int(line.split()[1])
                return val // 1024 if line.rstrip().endswith('kB') else val
    return None


def tool_version(args):
    """First line of a tool's version output."""
    try:
        res = subprocess.run(args, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (res.stdout + res.stderr).strip()
    return text.splitlines()[0] if text else None


def sysctl(key):
    """A sysctl of the root namespace as text."""
    try:
        with open('/proc/sys/' + key.replace('.', '/'),
                  encoding='ascii') as fh:
            return fh.read().strip()
    except OSError:
        return None


def machine():
    """What the figures were measured on."""
    return {
        'cpu_model': cpu_model(),
        'nproc': os.cpu_count(),
        'kernel': platform.release(),
        'mem_total_mb': meminfo_mb('MemTotal'),
        'hugepages_total': meminfo_mb('HugePages_Total'),
        'hugepage_size_mb': meminfo_mb('Hugepagesize'),
        'python': platform.python_version(),
        'sockperf': tool_version(['sockperf', '--version']),
        'iperf3': tool_version(['iperf3', '--version']),
        'net.core.rmem_max': sysctl('net.core.rmem_max'),
        'net.core.wmem_max': sysctl('net.core.wmem_max'),
    }


class MflowdProc:
    """mflowd for one case; stopped with SIGTERM."""

    def __init__(self, t, binary, workdir, cfg, lcores):
        self.t = t
        self.cfg = os.path.join(workdir, 'mflowd.json')
        self.stats_path = os.path.join(workdir, 'stats.json')
        self.log_path = os.path.join(workdir, 'mflowd.log')
        with open(self.cfg, 'w', encoding='ascii') as fh:
            json.dump(cfg, fh, indent=2)
        self.cmd = ([binary, '--no-pci']
                    + topo.eal_memory_args(512, f'mfb-{os.getpid()}')
                    + ['--lcores', lcores, '--log-level=user1,notice', '--',
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
        if self.proc.poll() is not None:
            raise RuntimeError(f'mflowd exited ({self.proc.returncode}):\n'
                               + self.tail())
        before = os.stat(self.stats_path).st_mtime_ns
        self.proc.send_signal(signal.SIGUSR1)
        topo.wait_for(lambda: os.stat(self.stats_path).st_mtime_ns != before,
                      3, 0.05)
        with open(self.stats_path, encoding='utf-8') as fh:
            return json.load(fh)

    def stop(self):
        """SIGTERM and wait."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


REORDER_KEYS = ('TcpExtTCPSACKReorder', 'TcpExtTCPTSReorder',
                'TcpExtTCPRenoReorder')


def _snmp(ns):
    """IP, UDP, TCP and TcpExt counters of /proc/net/{snmp,netstat} in
    @ns."""
    res = topo.run(['cat', '/proc/net/snmp', '/proc/net/netstat'], ns=ns)
    lines = res.stdout.splitlines()
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        proto = head.split(':')[0]
        if proto in ('Ip', 'Udp', 'Tcp', 'TcpExt'):
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                out[f'{proto}{k}'] = int(v)
    return out


def frag_memory(ns):
    """Bytes held by incomplete IP datagrams in @ns (/proc/net/sockstat)."""
    res = topo.run(['cat', '/proc/net/sockstat'], ns=ns, check=False)
    for line in res.stdout.splitlines():
        if line.startswith('FRAG:'):
            fields = line.split()
            return int(fields[fields.index('memory') + 1])
    return 0


def frag_settle(nss):
    """Wait (at most FRAG_TIME_S + 2 s) until no incomplete datagram is
    held in @nss: after a run that lost fragments, they would fill the
    reassembly memory of the next run."""
    return topo.wait_for(lambda: all(frag_memory(ns) == 0 for ns in nss),
                         FRAG_TIME_S + 2, 0.1)


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


def _dig(node, *path):
    """stats[path...] or None."""
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


MFLOW_COUNTERS = {
    'mflow_promoted': ('flows', 'promoted'),
    'mflow_split_pkts': ('split', 'split'),
    'mflow_batches': ('split', 'batches'),
    'mflow_ring_full': ('split', 'ring_full'),
    'mflow_merged': ('merge', 'merged'),
    'mflow_late': ('merge', 'late'),
    'mflow_skipped': ('merge', 'skipped'),
    'mflow_ooo': ('merge', 'ooo'),
    'mflow_backpressure': ('backpressure',),
}


class LossProbe:
    """Counters that tell where packets were lost during one measurement.

    server_udp_rcvbuf_errors: the receiving socket overflowed.
    server_reasm_fails: datagrams the server's IP reassembly gave up on
        (a fragment lost on the way, or the reassembly memory full).
    server/client_tcp_retrans_segs: TCP segments retransmitted.
    server_tcp_ofo_queued: segments the receiving TCP queued out of order
        (after a loss or a reordering).
    client_tcp_reorder_seen: reordering the sending TCP detected (TcpExt
        TCPSACKReorder + TCPTSReorder + TCPRenoReorder of the client).
    middle_veth_rx_drops: the middle box's veth ends dropped on receive
        (with AF_XDP: XDP redirect into a full AF_XDP ring).
    mflowd_drops / mflowd_rx_missed / mflowd_tx_errors: inside mflowd.
    mflow_*: the micro-flow pipeline's counters (split packets, batches,
        merged batches, late, skipped, out of order, backpressure).
    """

    def __init__(self, t, srv_ns, cli_ns, md):
        self.t = t
        self.srv_ns = srv_ns
        self.cli_ns = cli_ns
        self.md = md
        self.before = self.snap()

    def snap(self):
        """All counters now."""
        t = self.t
        snmp = _snmp(self.srv_ns)
        csnmp = _snmp(self.cli_ns)
        ends = [t.ul_host_if] + [c.host_if for c in t.containers]
        out = {
            'server_udp_rcvbuf_errors': snmp.get('UdpRcvbufErrors', 0),
            'server_reasm_fails': snmp.get('IpReasmFails', 0),
            'server_tcp_retrans_segs': snmp.get('TcpRetransSegs', 0),
            'server_tcp_ofo_queued': snmp.get('TcpExtTCPOFOQueue', 0),
            'client_tcp_retrans_segs': csnmp.get('TcpRetransSegs', 0),
            'client_tcp_reorder_seen': sum(csnmp.get(k, 0)
                                           for k in REORDER_KEYS),
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
            mf = st.get('mflow')
            if isinstance(mf, dict):
                for key, path in MFLOW_COUNTERS.items():
                    val = _dig(mf, *path)
                    if isinstance(val, int):
                        out[key] = val
        return out

    def delta(self):
        """Counter increases since the probe was made."""
        after = self.snap()
        return {k: after[k] - self.before.get(k, 0) for k in after}


class SpServer:
    """``sockperf server`` (UDP or TCP) pinned to a CPU; stopped with SIGINT
    so that it prints how many messages it received."""

    def __init__(self, t, ns, ip, tcp, cpu):
        args = ['taskset', '-c', str(cpu), 'sockperf', 'server', '-i', ip,
                '-p', str(SP_PORT), '--buffer-size', str(SP_BUFFER)]
        if tcp:
            args.append('--tcp')
        self.proc = t.popen(ns, args)
        self._lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        topo.wait_for(lambda: any('listen on' in ln or 'IP =' in ln
                                  for ln in self._lines), 5, 0.02)
        time.sleep(0.1)

    def _read(self):
        for line in self.proc.stdout:
            self._lines.append(line)

    def stop(self):
        """Stop the server; @return its whole output."""
        topo.interrupt(self.proc)
        self._reader.join(2)
        return ''.join(self._lines)


def sp_client(ns, mode, ip, proto, size, seconds, cpu, mps='max'):
    """Run a sockperf client to completion; @return (command, output)."""
    args = ['taskset', '-c', str(cpu), 'sockperf', mode, '-i', ip, '-p',
            str(SP_PORT), '-t', str(seconds), '-m', str(size)]
    if mode == 'throughput':
        args.append(f'--mps={mps}')
    if proto == 'tcp':
        args.append('--tcp')
    res = topo.run(args, ns=ns, check=False, timeout=seconds + 20)
    return ' '.join(args), res.stdout + res.stderr


def _tail(text, n=400):
    """The end of a tool's output, without colour codes."""
    return text.replace('\x1b[2;35m', '').replace('\x1b[0m', '')[-n:]


def run_pp(t, srv_ns, cli_ns, ip, proto, size, seconds, cpu):
    """One sockperf ping-pong run; @return parsed figures."""
    srv = SpServer(t, srv_ns, ip, proto == 'tcp', cpu)
    try:
        cmd, out = sp_client(cli_ns, 'ping-pong', ip, proto, size, seconds,
                             cpu)
    finally:
        srv.stop()
    res = topo.parse_sockperf_pp(out)
    res['cmd'] = cmd
    if res['received'] is None or res['p50_us'] is None:
        res['error'] = _tail(out)
    return res


def run_tp(t, srv_ns, cli_ns, ip, proto, size, seconds, cpu, mps='max'):
    """One sockperf throughput run at @mps messages/s ('max': as fast as
    the client can send)."""
    srv = SpServer(t, srv_ns, ip, proto == 'tcp', cpu)
    try:
        cmd, out = sp_client(cli_ns, 'throughput', ip, proto, size, seconds,
                             cpu, mps)
        time.sleep(0.3)
    finally:
        srv_out = srv.stop()
    res = topo.parse_sockperf_tp(out, srv_out)
    res['cmd'] = cmd
    if (res['sent'] is not None and res['received'] is None
            and 'No messages were received' in srv_out):
        # Every message lost (e.g. a fragment of each 64 KB datagram).
        res['received'], res['dropped'] = 0, res['sent']
    if res['sent'] is not None and res['received'] is not None:
        res['delivered_msg_per_s'] = round(res['received'] / seconds)
        res['delivered_mbit_per_s'] = round(
            res['received'] * size * 8 / seconds / 1e6, 3)
        res['loss_pct'] = (round(100.0 * res['dropped'] / res['sent'], 3)
                           if res['sent'] else None)
    else:
        res['error'] = _tail(out) + '\nserver: ' + _tail(srv_out, 200)
    return res


def run_rate(t, srv_ns, cli_ns, ip, size, seconds, cpu, steps, budget,
             settle=None):
    """The highest sockperf UDP rate at @size delivered with at most
    RATE_LOSS_PCT loss: one run at the maximum rate, then a bisection of
    at most @steps runs between 0 and the rate the client reached."""
    tries = []

    def one(mps):
        if settle and tries:
            settle()
        res = run_tp(t, srv_ns, cli_ns, ip, 'udp', size, seconds, cpu, mps)
        tries.append({k: res.get(k) for k in ('cmd', 'sent', 'received',
                                              'msg_per_s', 'loss_pct',
                                              'error')
                      if res.get(k) is not None})
        ok = res.get('loss_pct') is not None and \
            res['loss_pct'] <= RATE_LOSS_PCT
        return ok, res

    ok, first = one('max')
    if first.get('msg_per_s') is None:
        return {'error': first.get('error', 'no rate'), 'tries': tries}
    lo, hi = (first['msg_per_s'], first['msg_per_s']) if ok else (
        0, first['msg_per_s'])
    for _ in range(steps if not ok else 0):
        if hi - lo <= max(1, hi // 100) or budget.left() < seconds + 5:
            break
        mid = (lo + hi) // 2
        good, _res = one(mid)
        lo, hi = (mid, hi) if good else (lo, mid)
    return {'lossfree_msg_per_s': lo,
            'lossfree_mbit_per_s': round(lo * size * 8 / 1e6, 3),
            'upper_msg_per_s': hi, 'loss_threshold_pct': RATE_LOSS_PCT,
            'tries': tries}


def run_iperf3(t, srv_ns, cli_ns, ip, proto, size, flows, seconds, cpu):
    """One iperf3 run with @flows parallel streams."""
    srv = t.popen(srv_ns, ['taskset', '-c', str(cpu), 'iperf3', '-s', '-1',
                           '-B', ip, '-p', str(IPERF_PORT)],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    args = ['taskset', '-c', str(cpu), 'iperf3', '-c', ip, '-p',
            str(IPERF_PORT), '-t', str(seconds), '-P', str(flows), '-l',
            str(size), '-J']
    if proto == 'udp':
        args += ['-u', '-b', '0', '-w', str(SP_BUFFER)]
    try:
        res = topo.run(args, ns=cli_ns, check=False, timeout=seconds + 25)
    finally:
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            topo.interrupt(srv)
    out = {'cmd': ' '.join(args), 'flows': flows, 'size': size}
    try:
        end = json.loads(res.stdout)['end']
        sent, recv = end['sum_sent'], end['sum_received']
    except (ValueError, KeyError, TypeError) as exc:
        out['error'] = f'{exc}: {res.stdout[-300:]}{res.stderr[-300:]}'
        return out
    out['sent_mbit_per_s'] = round(sent['bits_per_second'] / 1e6, 3)
    out['received_mbit_per_s'] = round(recv['bits_per_second'] / 1e6, 3)
    out['received_gbit_per_s'] = round(recv['bits_per_second'] / 1e9, 4)
    if proto == 'tcp':
        out['retransmits'] = sent.get('retransmits')
    else:
        out['packets'] = recv.get('packets')
        out['lost_packets'] = recv.get('lost_packets')
        out['loss_pct'] = (round(float(recv['lost_percent']), 3)
                           if 'lost_percent' in recv else None)
        out['out_of_order'] = sum(
            _dig(st, 'udp', 'out_of_order') or 0
            for st in end.get('streams', []))
        out['received_msg_per_s'] = round(
            (recv.get('packets', 0) - recv.get('lost_packets', 0))
            / max(recv.get('seconds') or seconds, 1e-9))
    cpu_util = end.get('cpu_utilization_percent') or {}
    out['cpu_pct'] = {k: round(v, 1) for k, v in cpu_util.items()
                      if k in ('host_total', 'remote_total')}
    return out


def idle_cpu(md, seconds):
    """CPU use of all mflowd lcores over @seconds with no traffic, in % of
    one CPU."""
    def cpu_and_uptime(st):
        busy = sum(lc['cpu_pct'] / 100.0 for lc in st['lcores'])
        return busy * st['uptime_s'], st['uptime_s']

    log(f'mflowd idle for {seconds} s')
    c0, u0 = cpu_and_uptime(md.stats())
    time.sleep(seconds)
    c1, u1 = cpu_and_uptime(md.stats())
    return round(100.0 * (c1 - c0) / (u1 - u0), 2) if u1 > u0 else None


def mflowd_config(t, case, args):
    """The mflowd config of @case: the topology's, our dataplane overrides,
    and the mflow section (mode from the case, lcores from the layout)."""
    cfg = t.mflowd_config()
    dp = dict(args.dataplane)
    if case == 'mflowd-busy':
        dp['idle_polls'] = 0
    if dp:
        cfg['dataplane'] = dp
    n_lcores = len(args.lcore_map.split(','))
    mf = json.loads(json.dumps(MFLOW_DEFAULTS))
    mf.update({'mode': MFLOWD_MODES[case], 'dispatch_lcore': 0,
               'worker_lcores': list(range(1, n_lcores))})
    for key, val in args.mflow.items():
        if isinstance(val, dict) and isinstance(mf.get(key), dict):
            mf[key].update(val)
        else:
            mf[key] = val
    cfg['mflow'] = mf
    return cfg


class Budget:
    """The wall-clock budget of the whole run: every run checks it first."""

    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds

    def left(self):
        """Seconds left."""
        return self.deadline - time.monotonic()


def measure(what, budget, need_s, fn, probe_fn, settle=None):
    """Run @fn (one measurement) if the budget allows; record the loss
    probe; errors become {'error': ...} instead of ending the case."""
    if budget.left() < need_s:
        log(f'{what}: skipped, the --budget-s is spent')
        return {'error': 'skipped: --budget-s spent'}
    log(what)
    try:
        if settle and not settle():
            log(f'{what}: IP reassembly memory still in use')
        probe = probe_fn()
        res = fn()
        res['loss_where'] = probe.delta()
    except (RuntimeError, OSError, ValueError, KeyError,
            subprocess.SubprocessError) as exc:
        log(f'{what}: failed: {exc}')
        return {'error': f'{type(exc).__name__}: {exc}'}
    if 'error' in res:
        log(f'{what}: error: {res["error"][-200:]}')
    return res


def run_case(case, args, workdir, budget):
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
    t0 = time.monotonic()
    with t:
        if mode == 'mflowd':
            cfg = mflowd_config(t, case, args)
            md = MflowdProc(t, args.mflowd, workdir, cfg, args.lcore_map)
            result['mflowd_cmd'] = ' '.join(md.cmd)
            result['mflowd_config'] = {k: cfg[k] for k in ('dataplane',
                                                           'mflow')
                                       if k in cfg}
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
        srv_ns, cli_ns, cpu = t.vtep_ns, cont.ns, args.app_cpu

        for ns in (srv_ns, cli_ns):
            t.sysctl(ns, 'net.ipv4.ipfrag_time', FRAG_TIME_S)

        def probe():
            return LossProbe(t, srv_ns, cli_ns, md)

        def settle():
            return frag_settle((srv_ns, cli_ns))

        secs, mfs = args.seconds, args.mf_seconds
        def per_proto_size(key, what, run):
            """result[key][proto][size] for every protocol and size."""
            result[key] = {}
            for proto in PROTOS:
                result[key][proto] = {}
                for size in args.sizes:
                    result[key][proto][str(size)] = measure(
                        f'{case}: sockperf {what} {proto} {size} B, {secs} s',
                        budget, secs + 5,
                        lambda p=proto, s=size: run(p, s), probe, settle)

        if 'tp' in args.workloads:
            per_proto_size('tp', 'throughput', lambda p, s: run_tp(
                t, srv_ns, cli_ns, peer, p, s, secs, cpu, args.tp_mps))
        if 'rate' in args.workloads:
            result['rate'] = {'udp': {}}
            for size in args.sizes:
                result['rate']['udp'][str(size)] = measure(
                    f'{case}: UDP rate search {size} B, {secs} s per try',
                    budget, secs + 5,
                    lambda s=size: run_rate(t, srv_ns, cli_ns, peer, s, secs,
                                            cpu, args.rate_steps, budget,
                                            settle),
                    probe, settle)
        if 'pp' in args.workloads:
            per_proto_size('pp', 'ping-pong', lambda p, s: run_pp(
                t, srv_ns, cli_ns, peer, p, s, secs, cpu))
        if 'mf' in args.workloads:
            result['mf'] = {'tcp': {}, 'udp': {}}
            for proto, sizes in (('tcp', args.mf_sizes),
                                 ('udp', (args.mf_udp_size,))):
                for size in sizes:
                    runs = result['mf'][proto][str(size)] = {}
                    for flows in args.flows:
                        runs[str(flows)] = measure(
                            f'{case}: iperf3 {proto} -P {flows} -l {size}, '
                            f'{mfs} s', budget, mfs + 5,
                            lambda p=proto, s=size, f=flows: run_iperf3(
                                t, srv_ns, cli_ns, peer, p, s, f, mfs, cpu),
                            probe, settle)
        if md:
            st = md.stats()
            result['mflowd_drops'] = {k: v for k, v in st['drops'].items()
                                      if v}
            result['mflowd_lcores'] = [
                {k: lc.get(k) for k in ('lcore', 'role', 'pkts', 'busy_pct',
                                        'cpu_pct', 'idle_sleeps')}
                for lc in st.get('lcores', [])]
            mf = st.get('mflow')
            if isinstance(mf, dict):
                result['mflowd_mflow'] = {
                    'mode': mf.get('mode'), 'workers': mf.get('workers'),
                    'batch_size': mf.get('batch_size'),
                    'flows': mf.get('flows'), 'split': mf.get('split'),
                    'merge': mf.get('merge'),
                    'backpressure': mf.get('backpressure')}
            result['mflowd_exit'] = md.stop()
    result['case_wall_s'] = round(time.monotonic() - t0, 1)
    return result


# The table --------------------------------------------------------------

def fmt(value, digits=1):
    """A table cell."""
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def _size_label(size):
    return '64K' if int(size) == MAX_MSG else f'{size} B'


def table(results):
    """A readable table of the figures, one column per case."""
    cases = [c for c in CASES if c in results['cases']]
    res = results['cases']
    meta = results['meta']
    rows = []

    def cell(case, *path):
        node = _dig(res[case], *path)
        if isinstance(node, dict) and 'error' in node:
            return 'err'
        return node

    for proto in PROTOS:
        for size in meta['sizes']:
            s, lab = str(size), _size_label(size)
            for key, label, dig in (
                    ('delivered_msg_per_s', 'msg/s delivered', 0),
                    ('delivered_mbit_per_s', 'Mbit/s delivered', 1),
                    ('loss_pct', 'loss %', 2)):
                rows.append((f'tp {proto} {lab} {label}',
                             [_leaf(cell(c, 'tp', proto, s), key)
                              for c in cases], dig))
    for size in meta['sizes']:
        s, lab = str(size), _size_label(size)
        rows.append((f'rate udp {lab} loss-free Mbit/s',
                     [_leaf(cell(c, 'rate', 'udp', s), 'lossfree_mbit_per_s')
                      for c in cases], 1))
    for proto in PROTOS:
        for size in meta['sizes']:
            s, lab = str(size), _size_label(size)
            for key, label in (('p50_us', 'p50 us'), ('p99_us', 'p99 us')):
                rows.append((f'pp {proto} {lab} {label}',
                             [_leaf(cell(c, 'pp', proto, s), key)
                              for c in cases], 1))
            rows.append((f'pp {proto} {lab} drop/dup/ooo',
                         [_ddo(cell(c, 'pp', proto, s)) for c in cases], 0))
    for size in meta['mf_sizes']:
        for flows in meta['flows']:
            rows.append((f'mf tcp -l {_size_label(size)} x{flows} Gbit/s',
                         [_leaf(cell(c, 'mf', 'tcp', str(size), str(flows)),
                                'received_gbit_per_s') for c in cases], 3))
    for flows in meta['flows']:
        s = str(meta['mf_udp_size'])
        for key, label, dig in (('received_mbit_per_s', 'Mbit/s', 1),
                                ('loss_pct', 'loss %', 2)):
            rows.append((f'mf udp {s} B x{flows} {label}',
                         [_leaf(cell(c, 'mf', 'udp', s, str(flows)), key)
                          for c in cases], dig))
    rows.append(('mflowd CPU % while idle',
                 [res[c].get('idle_cpu_pct') for c in cases], 1))
    rows = [r for r in rows if any(v is not None for v in r[1])]
    width = max([len(r[0]) for r in rows] + [6]) + 2
    colw = max([len(c) for c in cases] + [8]) + 2
    head = 'metric'.ljust(width) + ''.join(c.rjust(colw) for c in cases)
    lines = [head, '-' * len(head)]
    for label, vals, dig in rows:
        lines.append(label.ljust(width)
                     + ''.join(fmt(v, dig).rjust(colw) for v in vals))
    errs = [(c, 'case', r['error']) for c, r in res.items() if 'error' in r]
    if errs:
        lines.append('')
        lines += [f'{c}: {what}: {e.splitlines()[0] if e else e}'
                  for c, what, e in errs]
    return '\n'.join(lines)


def _ddo(node):
    """sockperf's dropped/duplicated/out-of-order as one cell."""
    if not isinstance(node, dict):
        return node
    return '/'.join(fmt(node.get(k)) for k in ('dropped', 'duplicated',
                                                'out_of_order'))


def _leaf(node, key):
    if node == 'err':
        return 'err'
    return node.get(key) if isinstance(node, dict) else None


# Main -------------------------------------------------------------------

def _int_list(text):
    vals = [int(x) for x in text.split(',') if x.strip()]
    if not vals or any(v <= 0 for v in vals):
        raise argparse.ArgumentTypeError(f'bad list: {text}')
    return tuple(vals)


def parse_args(argv):
    """The command line."""
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n', maxsplit=1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[1:]))
    ap.add_argument('--mflowd', default=os.path.join(ROOT, 'build',
                                                     'mflowd'),
                    help='mflowd binary (default: build/mflowd)')
    ap.add_argument('--pmd', choices=topo.PMDS, default='af_xdp',
                    help='PMD for every mflowd port (default af_xdp)')
    ap.add_argument('--cases', default=','.join(DEFAULT_CASES),
                    help=f'comma-separated subset of {",".join(CASES)} '
                         f'(default: all but mflowd-busy)')
    ap.add_argument('--workloads', default=','.join(DEFAULT_WORKLOADS),
                    help='comma-separated subset of tp (sockperf '
                         'throughput), pp (sockperf ping-pong), mf (iperf3 '
                         'multi-flow), rate (highest UDP rate with <= '
                         f'{RATE_LOSS_PCT}%% loss, bisection); default '
                         f'{",".join(DEFAULT_WORKLOADS)}')
    ap.add_argument('--rate-steps', type=int, default=5,
                    help='bisection runs of the rate workload after its '
                         'first run at the maximum rate (default 5)')
    ap.add_argument('--sizes', type=_int_list, default=None,
                    help='message sizes of tp and pp (default '
                         f'{",".join(map(str, SIZES))}; quick 1400)')
    ap.add_argument('--mf-sizes', type=_int_list, default=None,
                    help='iperf3 TCP write sizes of mf (default '
                         f'{",".join(map(str, MF_SIZES))}; quick 4096)')
    ap.add_argument('--mf-udp-size', type=int, default=MF_UDP_SIZE,
                    help=f'iperf3 UDP datagram size of mf (default '
                         f'{MF_UDP_SIZE})')
    ap.add_argument('--flows', type=_int_list, default=None,
                    help='parallel flows of mf (default '
                         f'{",".join(map(str, FLOWS))}; quick 5)')
    ap.add_argument('--tp-mps', default='max',
                    help='messages/s of the tp clients (default max: as '
                         'fast as the client sends)')
    ap.add_argument('--quick', action='store_true',
                    help='1 s runs, one size, one flow count: every case '
                         'and workload once, < 2 min')
    ap.add_argument('--seconds', type=int, default=None,
                    help=f'seconds per sockperf run (default '
                         f'{FULL["seconds"]}, quick {QUICK["seconds"]})')
    ap.add_argument('--mf-seconds', type=int, default=None,
                    help=f'seconds per iperf3 run (default '
                         f'{FULL["mf_seconds"]}, quick '
                         f'{QUICK["mf_seconds"]})')
    ap.add_argument('--idle-seconds', type=int, default=None,
                    help='seconds of no traffic to measure mflowd idle CPU '
                         f'(default {FULL["idle_seconds"]}, quick '
                         f'{QUICK["idle_seconds"]})')
    ap.add_argument('--app-cpu', type=int, default=0,
                    help='CPU of every sockperf and iperf3 process, client '
                         'and server (default 0)')
    ap.add_argument('--layout', choices=sorted(LAYOUTS),
                    default=DEFAULT_LAYOUT,
                    help='EAL lcore map of the mflowd cases; lcore 0 '
                         'dispatches and merges, the others are workers '
                         f'(default {DEFAULT_LAYOUT}): '
                         + '; '.join(f'{k}: {v[0]}'
                                     for k, v in sorted(LAYOUTS.items())))
    ap.add_argument('--lcores', default=None,
                    help='EAL --lcores map instead of --layout\'s, e.g. '
                         '"0@1,1@0": lcore 0 dispatch+merge, the rest '
                         'workers')
    ap.add_argument('--dataplane', type=json.loads, default={},
                    help='JSON object merged into the "dataplane" config '
                         'of the mflowd cases, e.g. \'{"drain_us": 10}\'')
    ap.add_argument('--mflow', type=json.loads, default={},
                    help='JSON object merged into the "mflow" config of the '
                         'mflowd cases, e.g. \'{"batch_size": 64}\'')
    ap.add_argument('--budget-s', type=int, default=None,
                    help='wall-clock budget; runs that would start after '
                         'it are skipped and marked (default 2400, quick '
                         '300)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'results'),
                    help='directory for the JSON results')
    args = ap.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for key in ('seconds', 'mf_seconds', 'idle_seconds'):
        if getattr(args, key) is None:
            setattr(args, key, preset[key])
    for key, full in (('sizes', SIZES), ('mf_sizes', MF_SIZES),
                      ('flows', FLOWS)):
        if getattr(args, key) is None:
            setattr(args, key, preset.get(key, full))
    if args.budget_s is None:
        args.budget_s = 300 if args.quick else 2400
    args.cases = [c for c in args.cases.split(',') if c]
    bad = [c for c in args.cases if c not in CASES]
    if bad:
        ap.error(f'unknown case(s): {", ".join(bad)}')
    args.workloads = [w for w in args.workloads.split(',') if w]
    bad = [w for w in args.workloads if w not in WORKLOADS]
    if bad:
        ap.error(f'unknown workload(s): {", ".join(bad)}')
    if any(s > MAX_MSG for s in args.sizes + args.mf_sizes):
        ap.error(f'sizes above {MAX_MSG} (sockperf\'s largest message)')
    args.lcore_map = args.lcores or LAYOUTS[args.layout][0]
    if os.geteuid() != 0:
        ap.error('must run as root (namespaces, DPDK)')
    if any(c.startswith('mflowd') for c in args.cases) and not os.access(
            args.mflowd, os.X_OK):
        ap.error(f'{args.mflowd} is not executable (build it or --mflowd)')
    return args


def main(argv):
    """Parse arguments, run the cases, write the results."""
    args = parse_args(argv)
    now = datetime.datetime.now(datetime.timezone.utc)
    commit = git_commit()
    layout = (f'--lcores {args.lcore_map}' if args.lcores
              else f'{args.layout}: --lcores {args.lcore_map}: '
                   f'{LAYOUTS[args.layout][1]}')
    results = {
        'kind': 'measured',
        'meta': {
            'date_utc': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'commit': commit,
            'command': shlex.join([os.path.relpath(sys.argv[0], ROOT)]
                                  + list(argv)),
            'machine': machine(),
            'loadavg_before': loadavg(),
            'pmd': args.pmd,
            'quick': args.quick,
            'cases': args.cases,
            'workloads': args.workloads,
            'sizes': list(args.sizes),
            'mf_sizes': list(args.mf_sizes),
            'mf_udp_size': args.mf_udp_size,
            'flows': list(args.flows),
            'sockperf_seconds': args.seconds,
            'tp_mps': args.tp_mps,
            'iperf3_seconds': args.mf_seconds,
            'idle_seconds': args.idle_seconds,
            'pinning': (f'sockperf/iperf3 client and server: taskset -c '
                        f'{args.app_cpu}, in every case'),
            'servers': {
                'sockperf': f'taskset -c {args.app_cpu} sockperf server -i '
                            f'PEER -p {SP_PORT} --buffer-size {SP_BUFFER} '
                            '[--tcp]',
                'iperf3': f'taskset -c {args.app_cpu} iperf3 -s -1 -B PEER '
                          f'-p {IPERF_PORT}',
            },
            'lcore_layout': layout,
            'eal_memory': ' '.join(topo.eal_memory_args(512)),
            'dataplane_override': args.dataplane,
            'mflow_override': args.mflow,
            'units': {
                'latency': 'usec, sockperf: half the round trip',
                'rates': 'msg/s and Mbit/s of payload (message size x '
                         'messages x 8); iperf3: Gbit/s or Mbit/s of '
                         'payload received',
                'loss_pct': 'percent of messages sent',
            },
        },
        'cases': {},
    }
    budget = Budget(args.budget_s)
    t0 = time.monotonic()
    status = 0
    try:
        for case in args.cases:
            with tempfile.TemporaryDirectory(prefix='mfb-') as workdir:
                log(f'case {case}')
                try:
                    results['cases'][case] = run_case(case, args, workdir,
                                                      budget)
                except (RuntimeError, OSError, topo.TopoError) as exc:
                    log(f'case {case} failed: {exc}')
                    results['cases'][case] = {'error': str(exc)}
    except (KeyboardInterrupt, SystemExit) as exc:
        log(f'interrupted ({type(exc).__name__}); the topology is removed, '
            'partial results follow')
        results['meta']['interrupted'] = True
        code = getattr(exc, 'code', None)
        status = code if isinstance(code, int) and code else 130
    results['meta']['wall_s'] = round(time.monotonic() - t0, 1)
    results['meta']['loadavg_after'] = loadavg()

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
          f"{meta['loadavg_before'][0]} before, "
          f"{meta['loadavg_after'][0]} after)")
    if status:
        return status
    failed = [c for c, r in results['cases'].items() if 'error' in r]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
