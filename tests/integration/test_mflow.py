# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: micro-flow splitting in mflowd, in the real topology.

A kernel VTEP namespace talks through mflowd to two container namespaces
(VNI 100, tests/integration/topo.py, prefix ``mft``). mflowd owns the
root-namespace veth ends with AF_XDP and runs with a dispatch+merge lcore
and one worker (EAL ``-l 0,1``), its config carrying an ``mflow`` section
with elephant thresholds low enough that every stream below is promoted.

What a passing run proves:

1. microflow UDP: a sockperf stream and a stream of our own (64-bit
   sequence numbers, counted by our receiver) from the VTEP to a container
   are promoted to elephants, split into batches over the workers and
   merged again (mflow.flows.promoted, mflow.split.split, mflow.merge.merged
   all grow), and arrive complete, with no packet reordered or duplicated;
   the merger saw no out-of-order delivery (mflow.merge.ooo == 0). Run at
   batch sizes 256 and 64.
2. microflow TCP: iperf3 in both directions (decap path and encap path)
   carries data with no reordering seen by the sending TCP stack (TcpExt
   TCPSACKReorder, TCPTSReorder and TCPRenoReorder of the sender namespace
   do not move), and mflow.merge.ooo stays 0.
3. every mode (rtc, pinned, microflow), switched at run time with SIGHUP,
   carries ping and TCP traffic, the stats report the mode set, and the
   counters show the mode at work (rtc hands nothing to the workers,
   pinned hands whole flows, microflow splits).
4. changing the mode and batch size every 0.5 s under constant sequenced
   UDP streams in both directions (30k/s decap path, 10k/s encap path)
   loses, reorders and duplicates nothing; every SIGHUP is counted once
   in mflow.reconfigs. Then again with two worker lcores time-sharing
   CPU 1 (EAL ``--lcores 0@0,1@1,2@1``), also cycling the number of
   active workers 1 <-> 2. When packets go missing, the run says whether
   the receiving socket overflowed (UdpRcvbufErrors) or which mflowd
   counter moved (drop reasons, port rx_missed, merge.late), and whether
   that happened inside a reload or between reloads.
5. a reload that changes a setting that cannot change at run time, or a
   file that does not parse, is refused: logged, counted in
   mflow.reconfig_errors, the running mode kept, traffic still flowing.

There are no timing assertions: throughput, retransmits and quiesce times
are printed as information only.

Usage (as root):
    test_mflow.py --mflowd build/mflowd
    test_mflow.py --mflowd build/mflowd --baseline   # see --help

Each check prints PASS/FAIL; the run ends with "N passed, N failed" and
exits 1 when any check failed.
"""

import argparse
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topo  # noqa: E402  pylint: disable=wrong-import-position
# pylint: disable=wrong-import-position
from test_overlay import Checks, Mflowd, info  # noqa: E402

PYTHON = '/usr/bin/python3'
PREFIX = 'mft'
SEQ_PORT = 17001
SP_PORT = 11311
IPERF_PORT = 5301
# Marks the payloads of one sequenced stream so that stray datagrams are
# not mistaken for ours.
SEQ_MAGIC = 0x6d667431
SEQ_HDR = struct.Struct('!IQ')

# TcpExt counters that grow when the sending TCP detects reordering.
TCP_REORDER = ('TcpExtTCPSACKReorder', 'TcpExtTCPTSReorder',
               'TcpExtTCPRenoReorder')
TCP_INFO = ('TcpExtTCPDSACKRecv', 'TcpExtTCPOFOQueue', 'TcpRetransSegs',
            'TcpExtTCPLostRetransmit', 'TcpExtTCPFastRetrans')

ELEPHANT = {'window_us': 1000, 'promote_pkts': 20, 'demote_pkts': 5,
            'promote_windows': 2, 'demote_windows': 50}


# ---------------------------------------------------------------------------
# The sequenced UDP stream: sender and receiver run as subcommands of this
# script inside the namespaces.

def seqsend_main(argv):
    """``seqsend DST PORT RATE SECONDS SIZE``: send RATE datagrams per
    second for SECONDS, each carrying SEQ_MAGIC and a 64-bit sequence
    number from 0 up; print {"sent": n, ...} as JSON on exit.
    """
    dst, port, rate = argv[0], int(argv[1]), int(argv[2])
    seconds, size = float(argv[3]), int(argv[4])
    total = int(rate * seconds)
    pad = b'\xa5' * max(0, size - SEQ_HDR.size)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect((dst, port))
    sent = errors = 0
    t0 = time.monotonic()
    deadline = t0 + seconds * 3 + 5
    while sent < total:
        now = time.monotonic()
        if now > deadline:
            break
        due = min(total, int((now - t0) * rate) + 1)
        while sent < due:
            try:
                sock.send(SEQ_HDR.pack(SEQ_MAGIC, sent) + pad)
                sent += 1
            except OSError:
                # ENOBUFS and friends: the datagram was not sent; retry
                # the same sequence number on the next tick.
                errors += 1
                break
        time.sleep(0.0005)
    took = time.monotonic() - t0
    print(json.dumps({'sent': sent, 'errors': errors, 'wanted': total,
                      'seconds': round(took, 3)}), flush=True)
    return 0 if sent == total else 1


def seqrecv_main(argv):
    """``seqrecv BIND PORT CAP IDLE_S MAX_S``: count the sequenced stream.

    Exits IDLE_S seconds after the last datagram (once one arrived) or
    after MAX_S seconds; prints JSON with unique, duplicated and reordered
    counts (reordered: arrived after a higher sequence number).
    """
    bind, port, cap = argv[0], int(argv[1]), int(argv[2])
    idle_s, max_s = float(argv[3]), float(argv[4])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Root may exceed net.core.rmem_max.
        sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    sock.bind((bind, port))
    sock.settimeout(0.1)
    print('ready', flush=True)
    seen = bytearray(cap)
    buf = bytearray(2048)
    unique = dup = reordered = foreign = beyond = 0
    highest = -1
    examples = []
    t0 = last = time.monotonic()
    while True:
        now = time.monotonic()
        if now - t0 > max_s or (unique + dup and now - last > idle_s):
            break
        try:
            n = sock.recv_into(buf)
        except socket.timeout:
            continue
        last = time.monotonic()
        if n < SEQ_HDR.size:
            foreign += 1
            continue
        magic, seq = SEQ_HDR.unpack_from(buf)
        if magic != SEQ_MAGIC:
            foreign += 1
            continue
        if seq >= cap:
            beyond += 1
            continue
        if seen[seq]:
            dup += 1
            continue
        seen[seq] = 1
        unique += 1
        if seq < highest:
            reordered += 1
            if len(examples) < 10:
                examples.append([seq, highest])
        else:
            highest = seq
    print(json.dumps({'unique': unique, 'duplicated': dup,
                      'reordered': reordered, 'highest': highest,
                      'foreign': foreign, 'beyond_cap': beyond,
                      'examples': examples,
                      'rcvbuf': sock.getsockopt(socket.SOL_SOCKET,
                                                socket.SO_RCVBUF)}),
          flush=True)
    return 0


class SeqStream:
    """One sequenced UDP stream from @src_ns to @dst_ip (in @dst_ns)."""

    def __init__(self, t, src_ns, dst_ns, dst_ip, rate, seconds, size=512,
                 port=SEQ_PORT):
        self.t = t
        self.src_ns, self.dst_ns = src_ns, dst_ns
        self.rate, self.seconds = rate, seconds
        self.snmp0 = netstat(dst_ns)
        cap = int(rate * seconds) + 1024
        self.recv = t.popen(dst_ns, [PYTHON, __file__, 'seqrecv', dst_ip,
                                     str(port), str(cap), '2.0',
                                     str(seconds * 3 + 10)],
                            stderr=subprocess.PIPE)
        # The receiver prints "ready" once bound (or dies): wait at most
        # 10 s for either.
        line = ''
        if select.select([self.recv.stdout], [], [], 10)[0]:
            line = self.recv.stdout.readline()
        self.ready = line.strip() == 'ready'
        self.send = None
        if self.ready:
            self.send = t.popen(src_ns, [PYTHON, __file__, 'seqsend',
                                         dst_ip, str(port), str(rate),
                                         str(seconds), str(size)],
                                stderr=subprocess.PIPE)

    def running(self):
        """True while the sender sends."""
        return self.send is not None and self.send.poll() is None

    def finish(self):
        """Wait for both ends; @return a dict: sent, unique (received),
        missing, reordered, duplicated, rcvbuf_errors (receiver's
        UdpRcvbufErrors increase), error (why the stream did not run)."""
        res = {'sent': None, 'unique': None, 'duplicated': None,
               'reordered': None, 'missing': None, 'rcvbuf_errors': None,
               'error': ''}
        if not self.ready:
            self._stop(self.recv)
            res['error'] = 'receiver did not start: ' + self._err(self.recv)
            return res
        out_s, err_s = self._wait(self.send, self.seconds * 3 + 10)
        out_r, err_r = self._wait(self.recv, 15)
        try:
            s = json.loads(out_s.strip().splitlines()[-1])
            r = json.loads(out_r.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res['error'] = (f'sender: {out_s.strip()[-300:]} '
                            f'{err_s.strip()[-300:]} receiver: '
                            f'{out_r.strip()[-300:]} {err_r.strip()[-300:]}')
            return res
        res.update(r)
        res['sent'] = s['sent']
        res['send_errors'] = s['errors']
        res['send_seconds'] = s['seconds']
        res['missing'] = s['sent'] - r['unique']
        snmp1 = netstat(self.dst_ns)
        res['rcvbuf_errors'] = (snmp1.get('UdpRcvbufErrors', 0)
                                - self.snmp0.get('UdpRcvbufErrors', 0))
        return res

    @staticmethod
    def _wait(proc, timeout):
        """Wait for @proc (killed after @timeout s); @return (out, err)."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                out, err = '', 'did not exit after SIGKILL'
        return out or '', err or ''

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    @staticmethod
    def _err(proc):
        try:
            return (proc.stderr.read() or '').strip()[-300:]
        except (OSError, ValueError):
            return ''


def seq_detail(r):
    """One line describing a sequenced-stream result."""
    if r['error']:
        return r['error']
    d = (f"sent {r['sent']} in {r['send_seconds']} s, received "
         f"{r['unique']}, missing {r['missing']}, reordered "
         f"{r['reordered']}, duplicated {r['duplicated']}, receiver "
         f"UdpRcvbufErrors +{r['rcvbuf_errors']}")
    if r.get('examples'):
        d += f", first reorders [seq, highest before]: {r['examples'][:5]}"
    if r.get('send_errors'):
        d += f", sender send() errors {r['send_errors']}"
    return d


# ---------------------------------------------------------------------------
# Counters of the kernel (what nstat shows) and of mflowd.

def netstat(ns):
    """Counters of /proc/net/snmp and /proc/net/netstat inside @ns, named
    as nstat names them (TcpExtTCPSACKReorder, UdpRcvbufErrors, ...)."""
    out = {}
    for path in ('/proc/net/snmp', '/proc/net/netstat'):
        res = topo.run(['cat', path], ns=ns, check=False)
        lines = res.stdout.splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            hk, vk = head.split(), vals.split()
            if not hk or hk[0] != vk[0]:
                continue
            proto = hk[0].rstrip(':')
            for k, v in zip(hk[1:], vk[1:]):
                try:
                    out[proto + k] = int(v)
                except ValueError:
                    pass
    return out


def ndelta(before, after, keys):
    """Increase of each of @keys between two netstat() snapshots (None for
    a counter this kernel does not have, which fails the checks)."""
    return {k: (after[k] - before[k] if k in after and k in before
                else None) for k in keys}


def mget(st, *path):
    """A value under stats["mflow"] (None when absent)."""
    node = (st or {}).get('mflow')
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def mdelta(before, after, *path):
    """Increase of stats["mflow"][path...] (None when either is absent)."""
    a, b = mget(before, *path), mget(after, *path)
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return None
    return b - a


def mflowd_loss(st0, st1):
    """Where mflowd itself may have lost packets between two snapshots:
    drop reasons that moved, and port rx_missed / tx_errors."""
    if not st0 or not st1:
        return {}
    out = {k: v - st0.get('drops', {}).get(k, 0)
           for k, v in st1.get('drops', {}).items()
           if v != st0.get('drops', {}).get(k, 0)}
    for key in ('skipped', 'late'):
        d = mdelta(st0, st1, 'merge', key)
        if d:
            out[f'mflow.merge.{key}'] = d
    p0 = {p.get('name'): p for p in st0.get('ports', [])}
    for p in st1.get('ports', []):
        for key in ('rx_missed', 'rx_errors', 'tx_errors'):
            d = p.get(key, 0) - p0.get(p.get('name'), {}).get(key, 0)
            if d:
                out[f"{p.get('name')}.{key}"] = d
    return out


def iperf3(t, srv_ns, srv_ip, cli_ns, seconds, reverse=False):
    """One iperf3 TCP run; @return a dict (error set on failure)."""
    srv = t.popen(srv_ns, ['iperf3', '-s', '-1', '-B', srv_ip, '-p',
                           str(IPERF_PORT)],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    args = ['iperf3', '-c', srv_ip, '-p', str(IPERF_PORT), '-t',
            str(seconds), '-J', '--connect-timeout', '3000']
    if reverse:
        args.append('-R')
    res = topo.run(args, ns=cli_ns, check=False, timeout=seconds + 20)
    try:
        srv.wait(5)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait(5)
    try:
        doc = json.loads(res.stdout)
        end = doc['end']
        return {
            'sent_bytes': end['sum_sent']['bytes'],
            'received_bytes': end['sum_received']['bytes'],
            'gbit_per_s': round(end['sum_received']['bits_per_second']
                                / 1e9, 3),
            'retransmits': end['sum_sent'].get('retransmits'),
            'error': doc.get('error', ''),
        }
    except (ValueError, KeyError, TypeError) as exc:
        return {'sent_bytes': 0, 'received_bytes': 0, 'gbit_per_s': 0,
                'retransmits': None,
                'error': f'{exc}: {res.stdout[-300:]}{res.stderr[-300:]}'}


# ---------------------------------------------------------------------------

class MflowDaemon(Mflowd):
    """mflowd with a config of ours, optional --lcores map, and reloads."""

    def __init__(self, binary, topology, workdir, cfg, lcores='0,1',
                 lcore_map=None):
        super().__init__(binary, topology, workdir, lcores=lcores)
        self.cfg = cfg
        self.lcore_map = lcore_map
        self.hups = 0

    def command(self):
        cmd = super().command()
        if self.lcore_map:
            i = cmd.index('-l')
            cmd[i:i + 2] = ['--lcores', self.lcore_map]
        return cmd

    def write_config(self, cfg=None, text=None):
        """Replace the config file atomically (a reload never reads half a
        file)."""
        tmp = self.cfg_path + '.tmp'
        with open(tmp, 'w', encoding='ascii') as fh:
            if text is not None:
                fh.write(text)
            else:
                json.dump(cfg, fh, indent=2)
        os.replace(tmp, self.cfg_path)

    def write_initial_config(self):
        self.write_config(self.cfg)

    def log_text(self):
        """The whole log so far."""
        try:
            with open(self.log_path, encoding='utf-8',
                      errors='replace') as fh:
                return fh.read()
        except OSError:
            return ''

    def log_count(self, needle):
        """Lines of the log containing @needle."""
        return sum(1 for ln in self.log_text().splitlines() if needle in ln)

    def reload(self, cfg=None, text=None, timeout=3):
        """Write a config and SIGHUP; wait until mflowd logs the outcome.

        @return 'reconfigured', 'refused' or None (no answer in time or
        mflowd died).
        """
        ok0 = self.log_count('reconfigured')
        bad0 = self.log_count('reload refused')
        self.write_config(cfg, text)
        if not self.alive():
            return None
        self.proc.send_signal(signal.SIGHUP)
        self.hups += 1

        def answered():
            if self.log_count('reconfigured') > ok0:
                return 'reconfigured'
            if self.log_count('reload refused') > bad0:
                return 'refused'
            return None if self.alive() else 'died'
        res = topo.wait_for(answered, timeout, 0.02)
        return None if res == 'died' else res


class MflowTest:
    """All checks, in order."""

    def __init__(self, args):
        self.args = args
        self.baseline = args.baseline
        self.c = Checks()
        self.workdir = tempfile.mkdtemp(prefix=f'{PREFIX}-')
        vnis = {100: topo.default_vnis()[100]}
        conts = [c for c in topo.default_containers()
                 if c.name in ('c1', 'c2')]
        self.t = topo.Topology(prefix=PREFIX, mode='mflowd', pmd='af_xdp',
                               underlay_pmd='af_xdp', containers=conts,
                               vnis=vnis, log=info)
        self.md = None
        self.batch = args.batch
        self.merge_timeout = 1000
        self.info = {}

    # Configs ----------------------------------------------------------------

    def config(self, mode='microflow', batch=None, workers=None,
               worker_lcores=(1,), **extra):
        """The full mflowd config for this topology with an mflow section
        (none with --baseline)."""
        cfg = self.t.mflowd_config()
        if self.baseline:
            return cfg
        mf = {'dispatch_lcore': 0, 'worker_lcores': list(worker_lcores),
              'mode': mode, 'batch_size': batch or self.batch,
              'merge_timeout_us': self.merge_timeout,
              'elephant': dict(ELEPHANT)}
        if workers is not None:
            mf['workers'] = workers
        mf.update(extra)
        cfg['mflow'] = mf
        return cfg

    def has_mflow(self, st):
        """True when the daemon reports an mflow object (so that it has the
        SIGHUP handler too; without it a SIGHUP would kill it)."""
        return isinstance((st or {}).get('mflow'), dict)

    # Driver -----------------------------------------------------------------

    def run(self):
        """Run every check; @return the exit status."""
        try:
            self.t.build()
            if not self.check_config():
                return self.finish()
            if not self.start(self.config()):
                return self.finish()
            for group in (self.check_reachability, self.check_udp,
                          self.check_tcp, self.check_modes,
                          lambda: self.check_change_under_traffic('1 worker'),
                          self.check_bad_reload, self.check_stop):
                self.guarded(group)
            if self.args.two_workers and not self.baseline:
                self.guarded(self.check_two_workers)
        except BaseException:
            print(f'interrupted; logs kept in {self.workdir}')
            raise
        finally:
            if self.md and self.md.alive():
                self.md.stop()
            self.t.teardown()
        self.c.check('teardown leaves no namespace or link',
                     not topo.leftovers(PREFIX),
                     ' '.join(topo.leftovers(PREFIX)))
        return self.finish()

    def guarded(self, group):
        """Run one group of checks; a tool that hangs past its time limit
        (topo.TopoError) fails the group, and the next group still runs."""
        name = getattr(group, '__name__', 'group')
        try:
            group()
        except topo.TopoError as exc:
            self.c.check(f'{name}: every tool finished in time', False,
                         str(exc).splitlines()[0])
            if self.md is not None:
                st = self.md.stats() if self.md.alive() else None
                info(f'mflowd alive: {self.md.alive()}; mflow: '
                     f'{json.dumps(mget(st)) if st else None}')

    def finish(self):
        """Print the measured figures and the summary."""
        if self.info:
            print('measured (information, not asserted):')
            for k, v in self.info.items():
                print(f'  {k}: {v}')
        if self.c.failed:
            print(f'failed: {", ".join(self.c.failures)}')
            print(f'logs kept in {self.workdir}')
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.c.summary()
        return 1 if self.c.failed else 0

    def start(self, cfg, lcore_map=None, label=''):
        """Start mflowd with @cfg; @return True when it runs."""
        wd = (os.path.join(self.workdir, label.replace(' ', '-')) if label
              else self.workdir)
        os.makedirs(wd, exist_ok=True)
        self.md = MflowDaemon(self.args.mflowd, self.t, wd, cfg,
                              lcore_map=lcore_map)
        name = 'mflowd starts' + (f' ({label})' if label else '')
        ok = self.md.start()
        if not ok:
            self.start_failed(name)
            return False
        self.c.check(name, True)
        st = self.md.stats()
        if self.baseline:
            info('baseline run: no mflow section, no SIGHUP')
            return True
        self.c.check('stats JSON has an "mflow" object'
                     + (f' ({label})' if label else ''),
                     self.has_mflow(st),
                     json.dumps(mget(st)) if self.has_mflow(st)
                     else 'absent')
        if self.has_mflow(st):
            roles = [(lc.get('lcore'), lc.get('role'))
                     for lc in st.get('lcores', [])]
            info(f"mflow: mode {mget(st, 'mode')} workers "
                 f"{mget(st, 'workers')} batch {mget(st, 'batch_size')}; "
                 f'lcore roles {roles}')
        return True

    def start_failed(self, name):
        """FAIL the start, with what mflowd's threads were doing."""
        md = self.md
        alive = md.alive()
        threads = []
        if alive:
            pid = md.proc.pid
            for tid in sorted(os.listdir(f'/proc/{pid}/task'))[:16]:
                try:
                    with open(f'/proc/{pid}/task/{tid}/comm',
                              encoding='ascii') as fh:
                        comm = fh.read().strip()
                    with open(f'/proc/{pid}/task/{tid}/wchan',
                              encoding='ascii') as fh:
                        wchan = fh.read().strip()
                    with open(f'/proc/{pid}/task/{tid}/stat',
                              encoding='ascii') as fh:
                        state = fh.read().split(')')[-1].split()[0]
                    threads.append(f'{comm}:{state}:{wchan}')
                except OSError:
                    pass
        exists = os.path.exists(md.stats_path)
        self.c.check(name, False,
                     f'running {alive}, no stats file with "ports" within '
                     f'30 s (file exists: {exists}); threads: '
                     f'{" ".join(threads)}')
        # The daemon's stdout is a file (block-buffered): its log is
        # complete only after it exits.
        rc, _ = md.stop()
        print(f'mflowd exit status {rc}; log tail:')
        print(md.log_tail(25))

    def mflow_ready(self, name):
        """False (with a FAIL line) when SIGHUP/mflow checks cannot run."""
        if self.baseline:
            self.c.skip(name, '--baseline')
            return False
        st = self.md.stats() if self.md.alive() else None
        if not self.has_mflow(st):
            self.c.check(name, False, 'mflowd has no mflow stats (no '
                         'SIGHUP sent: it would stop a daemon without the '
                         'handler)' if st else 'mflowd is not running')
            return False
        return True

    def ping_ok(self, name, ns, dst, count=5):
        """A ping that must see every reply."""
        r = topo.ping(ns, dst, count=count, interval=0.2)
        return self.c.check(name, r['received'] == count,
                            f"{r['received']}/{r['sent']} replies")

    # Checks -----------------------------------------------------------------

    def check_config(self):
        """mflowd --check accepts the config with the mflow section."""
        path = os.path.join(self.workdir, 'check.json')
        with open(path, 'w', encoding='ascii') as fh:
            json.dump(self.config(), fh, indent=2)
        res = topo.run([self.args.mflowd, '--', '--config', path, '--check'],
                       check=False, timeout=30)
        out = (res.stdout + res.stderr).strip()
        return self.c.check('mflowd --check accepts the config'
                            + ('' if self.baseline
                               else ' with an "mflow" section'),
                            res.returncode == 0,
                            f'exit {res.returncode}: {out[-300:]}')

    def check_reachability(self):
        """Both containers reach the VTEP (learning, ARP) before streams."""
        t = self.t
        c1 = t.container('c1')
        self.ping_ok('ping vtep -> c1', t.vtep_ns, c1.ip)
        self.ping_ok('ping c1 -> vtep', c1.ns, t.vnis[100].ip)
        self.ping_ok('ping c2 -> c1 (local switching)',
                     t.container('c2').ns, c1.ip)

    def mflow_split_checks(self, what, st0, st1, promote=True):
        """The split/merge counters moved over one stream, without ooo."""
        if self.baseline:
            return
        if st0 is None or st1 is None or not self.has_mflow(st1):
            self.c.check(f'{what}: mflow stats before and after', False)
            return
        if promote:
            d = mdelta(st0, st1, 'flows', 'promoted')
            self.c.check(f'{what}: mflow.flows.promoted +>=1',
                         d is not None and d >= 1, f'+{d}')
        d = mdelta(st0, st1, 'split', 'split')
        self.c.check(f'{what}: mflow.split.split > 0',
                     d is not None and d > 0, f'+{d}')
        d = mdelta(st0, st1, 'merge', 'merged')
        self.c.check(f'{what}: mflow.merge.merged > 0',
                     d is not None and d > 0, f'+{d}')
        self.check_ooo(what, st0, st1)

    def check_ooo(self, what, st0, st1):
        """mflow.merge.ooo did not move (and exists)."""
        if self.baseline:
            return
        d = mdelta(st0, st1, 'merge', 'ooo')
        total = mget(st1, 'merge', 'ooo')
        self.c.check(f'{what}: mflow.merge.ooo == 0', d == 0 and total == 0,
                     f'+{d}, total {total}')
        skipped = mdelta(st0, st1, 'merge', 'skipped')
        late = mdelta(st0, st1, 'merge', 'late')
        if skipped or late:
            info(f'{what}: merge.skipped +{skipped}, merge.late +{late}')

    def seq_checks(self, what, r, lossless=True, st0=None, st1=None):
        """Assertions on one sequenced stream (@st0/@st1: mflowd stats
        around it, to say where lost packets went)."""
        ok = not r['error'] and r['sent']
        self.c.check(f'{what}: sequenced stream ran', bool(ok),
                     seq_detail(r))
        if not ok:
            return
        self.c.check(f'{what}: 0 reordered at the receiver',
                     r['reordered'] == 0, seq_detail(r))
        self.c.check(f'{what}: 0 duplicated at the receiver',
                     r['duplicated'] == 0, f"{r['duplicated']}")
        if lossless:
            why = ''
            if r['missing'] and r['rcvbuf_errors']:
                why = (f" (receiver socket overflowed "
                       f"{r['rcvbuf_errors']} times: kernel-side loss, "
                       f"not mflowd)")
            if r['missing']:
                why += f'; mflowd counters that moved: {mflowd_loss(st0, st1)}'
            self.c.check(f'{what}: received == sent (0 lost)',
                         r['missing'] == 0,
                         f"sent {r['sent']}, received {r['unique']}{why}")

    def check_udp(self):
        """1. microflow UDP: sockperf and the sequenced stream."""
        t = self.t
        c1 = t.container('c1')
        mps, secs = self.args.mps, 3
        st0 = self.md.stats()
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=SP_PORT)
        out = topo.sockperf_client(t.vtep_ns, 'throughput', c1.ip,
                                   port=SP_PORT, seconds=secs, msg_size=1000,
                                   mps=mps)
        time.sleep(0.5)
        tp = topo.parse_sockperf_tp(out, srv.stop())
        st1 = self.md.stats()
        self.c.check(f'sockperf throughput {secs} s at {mps} msg/s x 1000 B '
                     'vtep -> c1: 0 lost',
                     bool(tp['sent']) and tp['dropped'] == 0,
                     f"sent {tp['sent']}, server received {tp['received']}, "
                     f"{tp['mbit_per_s']} Mbit/s")
        self.info['sockperf throughput'] = (
            f"{tp['sent']} sent, {tp['received']} received, "
            f"{tp['mbit_per_s']} Mbit/s offered")
        self.mflow_split_checks('sockperf throughput', st0, st1)

        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=SP_PORT)
        out = topo.sockperf_client(t.vtep_ns, 'under-load', c1.ip,
                                   port=SP_PORT, seconds=secs, msg_size=1000,
                                   mps=mps)
        srv.stop()
        st2 = self.md.stats()
        ul = topo.parse_sockperf_pp(out)
        ok = (bool(ul['received']) and ul['out_of_order'] == 0
              and ul['duplicated'] == 0 and ul['dropped'] == 0)
        if not self.c.check(
                f'sockperf under-load {secs} s at {mps} msg/s: 0 '
                'out-of-order, 0 duplicated, 0 dropped', ok,
                f"sent {ul['sent']}, replies {ul['received']}, ooo "
                f"{ul['out_of_order']}, dup {ul['duplicated']}, dropped "
                f"{ul['dropped']}"):
            print(out[-1500:])
        self.mflow_split_checks('sockperf under-load', st1, st2)

        for batch in (self.batch, 64):
            what = f'seq UDP batch {batch}'
            if batch != self.batch:
                if self.baseline or not self.has_mflow(st2):
                    break
                res = self.md.reload(self.config(batch=batch))
                self.c.check(f'reload to batch_size {batch}',
                             res == 'reconfigured', f'{res}')
            s0 = self.md.stats()
            stream = SeqStream(t, t.vtep_ns, c1.ns, c1.ip, mps, 4)
            r = stream.finish()
            s1 = self.md.stats()
            self.seq_checks(what, r, st0=s0, st1=s1)
            self.mflow_split_checks(what, s0, s1)
            if not self.baseline:
                self.c.check(f'{what}: stats batch_size == {batch}',
                             mget(s1, 'batch_size') == batch,
                             f"{mget(s1, 'batch_size')}")
        if not self.baseline and self.batch != 64 and self.has_mflow(st2):
            res = self.md.reload(self.config())
            self.c.check(f'reload back to batch_size {self.batch}',
                         res == 'reconfigured', f'{res}')

    def check_tcp(self):
        """2. microflow TCP, both directions."""
        t = self.t
        c1 = t.container('c1')
        secs = self.args.tcp_seconds
        for reverse in (False, True):
            what = ('iperf3 TCP c1 -> vtep (-R, encap path)' if reverse
                    else 'iperf3 TCP vtep -> c1 (decap path)')
            sender = c1.ns if reverse else t.vtep_ns
            receiver = t.vtep_ns if reverse else c1.ns
            n0s, n0r = netstat(sender), netstat(receiver)
            st0 = self.md.stats()
            r = iperf3(t, c1.ns, c1.ip, t.vtep_ns, secs, reverse=reverse)
            st1 = self.md.stats()
            n1s, n1r = netstat(sender), netstat(receiver)
            self.c.check(f'{what}: data delivered',
                         r['received_bytes'] > 0 and not r['error'],
                         f"{r['received_bytes']} B, {r['gbit_per_s']} Gbit/s "
                         f"{r['error']}")
            reo = ndelta(n0s, n1s, TCP_REORDER)
            self.c.check(f'{what}: sender saw no reordering '
                         '(TcpExt *Reorder +0)',
                         all(v == 0 for v in reo.values()), json.dumps(reo))
            side = ndelta(n0s, n1s, TCP_INFO)
            rside = ndelta(n0r, n1r, ('TcpExtTCPOFOQueue',))
            self.info[what] = (f"{r['gbit_per_s']} Gbit/s, iperf3 "
                               f"retransmits {r['retransmits']}, sender "
                               f"{side}, receiver {rside}")
            info(f'{what}: ' + self.info[what])
            self.mflow_split_checks(what, st0, st1)

    def check_modes(self):
        """3. Every mode carries ping and TCP, and the stats say so."""
        if not self.mflow_ready('all modes carry traffic'):
            return
        t = self.t
        c1 = t.container('c1')
        for mode in ('rtc', 'pinned', 'microflow'):
            res = self.md.reload(self.config(mode=mode))
            self.c.check(f'SIGHUP to mode {mode}: reconfigured',
                         res == 'reconfigured', f'{res}')
            st0 = self.md.stats()
            self.c.check(f'mode {mode}: stats mflow.mode == {mode}',
                         mget(st0, 'mode') == mode, f"{mget(st0, 'mode')}")
            self.ping_ok(f'mode {mode}: ping c1 -> vtep', c1.ns,
                         t.vnis[100].ip, count=3)
            r = iperf3(t, c1.ns, c1.ip, t.vtep_ns, 2)
            self.c.check(f'mode {mode}: iperf3 2 s vtep -> c1 delivers',
                         r['received_bytes'] > 0 and not r['error'],
                         f"{r['gbit_per_s']} Gbit/s, retransmits "
                         f"{r['retransmits']} {r['error']}")
            st1 = self.md.stats()
            roles = sorted({lc.get('role') for lc in st1.get('lcores', [])
                            if lc.get('role')})
            info(f"mode {mode}: lcore roles {roles}, merged "
                 f"+{mdelta(st0, st1, 'merge', 'merged')}, split "
                 f"+{mdelta(st0, st1, 'split', 'split')}, mice "
                 f"+{mdelta(st0, st1, 'split', 'mice')}")
            split = mdelta(st0, st1, 'split', 'split')
            mice = mdelta(st0, st1, 'split', 'mice')
            if mode == 'rtc':
                self.c.check('mode rtc: nothing handed to workers '
                             '(split.split +0, split.mice +0)',
                             split == 0 and mice == 0,
                             f'split +{split}, mice +{mice}')
            elif mode == 'pinned':
                self.c.check('mode pinned: packets pinned to workers, none '
                             'split (split.mice > 0, split.split +0)',
                             mice is not None and mice > 0 and split == 0,
                             f'split +{split}, mice +{mice}')
            else:
                self.c.check('mode microflow: the TCP elephant was split '
                             '(split.split > 0)',
                             split is not None and split > 0,
                             f'split +{split}, mice +{mice}')
            self.info[f'iperf3 2 s in mode {mode}'] = (
                f"{r['gbit_per_s']} Gbit/s, retransmits {r['retransmits']}")
            self.check_ooo(f'mode {mode}', st0, st1)

    def cycle(self, two_workers):
        """The configs cycled by the change-under-traffic checks."""
        seq = [dict(mode='rtc'), dict(mode='pinned'),
               dict(mode='microflow'), dict(mode='microflow', batch=32),
               dict(mode='pinned')]
        if not two_workers:
            return seq
        return [dict(mode='rtc', workers=1), dict(mode='pinned', workers=2),
                dict(mode='microflow', workers=2),
                dict(mode='microflow', workers=1, batch=32),
                dict(mode='microflow', workers=2, batch=32),
                dict(mode='pinned', workers=1)]

    def check_change_under_traffic(self, label, two_workers=False):
        """4. Reload every 0.5 s under a constant sequenced UDP stream."""
        what = f'change under traffic ({label})'
        # With --baseline the streams run without any reload.
        if not self.baseline and not self.mflow_ready(what):
            return
        t = self.t
        c1 = t.container('c1')
        wl = (1, 2) if two_workers else (1,)
        st0 = self.md.stats()
        hups0 = self.md.hups
        secs = 6
        stream = SeqStream(t, t.vtep_ns, c1.ns, c1.ip, self.args.churn_pps,
                           secs)
        # The encap path at the same time, at a third of the rate.
        back = SeqStream(t, c1.ns, t.vtep_ns, t.vnis[100].ip,
                         max(1, self.args.churn_pps // 3), secs,
                         port=SEQ_PORT + 1)
        outcomes = []
        last = None
        # mflowd's loss counters that moved between the snapshots just
        # before and just after each reload: tells losses caused by a
        # reload from losses between reloads.
        in_reload = {}
        if stream.ready and back.ready:
            time.sleep(0.5)
            steps = self.cycle(two_workers)
            t_end = time.monotonic() + secs - 1.0
            i = 0
            while (not self.baseline and stream.running()
                   and time.monotonic() < t_end and i < 40):
                step = dict(steps[i % len(steps)])
                batch = step.pop('batch', None)
                last = (step['mode'], step.get('workers'), batch)
                slot = time.monotonic() + 0.5
                pre = self.md.stats()
                outcomes.append(self.md.reload(self.config(
                    batch=batch, worker_lcores=wl, **step)))
                post = self.md.stats()
                for k, v in mflowd_loss(pre, post).items():
                    in_reload[k] = in_reload.get(k, 0) + v
                i += 1
                time.sleep(max(0.0, slot - time.monotonic()))
        r = stream.finish()
        rb = back.finish()
        st1 = self.md.stats()
        sent_hups = self.md.hups - hups0
        self.seq_checks(what + ' vtep -> c1', r, st0=st0, st1=st1)
        self.seq_checks(what + ' c1 -> vtep', rb, st0=st0, st1=st1)
        if r['missing'] or rb['missing']:
            info(f'{what}: of those, during the reloads (snapshot before '
                 f'to snapshot after each SIGHUP): {in_reload}; the rest '
                 'happened between reloads')
        if self.baseline:
            return
        self.c.check(f'{what}: every SIGHUP answered "reconfigured"',
                     sent_hups > 0 and all(o == 'reconfigured'
                                           for o in outcomes),
                     f'{sent_hups} SIGHUPs: '
                     + ', '.join(str(o) for o in outcomes))
        d = mdelta(st0, st1, 'reconfigs')
        self.c.check(f'{what}: mflow.reconfigs +{sent_hups} '
                     '(one per SIGHUP)', d == sent_hups, f'+{d}')
        d = mdelta(st0, st1, 'reconfig_errors')
        self.c.check(f'{what}: mflow.reconfig_errors +0', d == 0, f'+{d}')
        self.check_ooo(what, st0, st1)
        if last:
            want_mode, want_workers, _ = last
            ok = mget(st1, 'mode') == want_mode
            if want_workers is not None:
                ok = ok and mget(st1, 'workers') == want_workers
            self.c.check(f'{what}: stats show the last config '
                         f'({want_mode}, workers {want_workers})', ok,
                         f"mode {mget(st1, 'mode')} workers "
                         f"{mget(st1, 'workers')}")
        self.info[what] = (
            f"{r['sent']} + {rb['sent']} datagrams at "
            f"{self.args.churn_pps} + {max(1, self.args.churn_pps // 3)}/s, "
            f"{sent_hups} SIGHUPs, reconfigs "
            f"+{mdelta(st0, st1, 'reconfigs')}, quiesce_us_max "
            f"{mget(st1, 'quiesce_us_max')}, merge skipped "
            f"+{mdelta(st0, st1, 'merge', 'skipped')}, late "
            f"+{mdelta(st0, st1, 'merge', 'late')}, receiver "
            f"UdpRcvbufErrors +{r['rcvbuf_errors']} / "
            f"+{rb['rcvbuf_errors']}")
        info(f'{what}: ' + self.info[what])

    def check_bad_reload(self):
        """5. Refused reloads change nothing."""
        if not self.mflow_ready('bad reload refused'):
            return
        t = self.t
        c1 = t.container('c1')
        good = self.config(mode='pinned')
        res = self.md.reload(good)
        self.c.check('reload to pinned before the bad reloads',
                     res == 'reconfigured', f'{res}')
        bad_port = self.config(mode='microflow')
        bad_port['underlay']['port'] = self.t.devargs(
            9, self.t.ul_host_if, 'af_packet')
        bad_text = json.dumps(self.config(mode='microflow'))[:-7] + ' ,,'
        for label, kwargs in (('underlay.port changed', {'cfg': bad_port}),
                              ('JSON syntax error', {'text': bad_text})):
            st0 = self.md.stats()
            refused0 = self.md.log_count('reload refused')
            res = self.md.reload(**kwargs)
            st1 = self.md.stats()
            self.c.check(f'bad reload ({label}): log says "reload refused"',
                         res == 'refused'
                         and self.md.log_count('reload refused')
                         == refused0 + 1,
                         f'{res}; ' + ' | '.join(
                             ln for ln in self.md.log_text().splitlines()
                             if 'reload' in ln)[-300:])
            self.c.check(f'bad reload ({label}): mode still pinned',
                         mget(st1, 'mode') == 'pinned',
                         f"{mget(st1, 'mode')}")
            d = mdelta(st0, st1, 'reconfig_errors')
            self.c.check(f'bad reload ({label}): reconfig_errors +1',
                         d == 1, f'+{d}')
            d = mdelta(st0, st1, 'reconfigs')
            self.c.check(f'bad reload ({label}): reconfigs +0', d == 0,
                         f'+{d}')
            self.ping_ok(f'bad reload ({label}): traffic still flows',
                         c1.ns, t.vnis[100].ip, count=3)
        self.md.write_config(self.config())

    def check_stop(self):
        """mflowd exits cleanly after all that."""
        rc, took = self.md.stop(10)
        self.c.check('SIGTERM: exit 0', rc == 0,
                     f'exit {rc} after {took:.1f} s')
        if rc != 0:
            print(self.md.log_tail(20))

    def check_two_workers(self):
        """4b. Two worker lcores on CPU 1 (EAL --lcores): cycle workers."""
        lmap = '0@0,1@1,2@1'
        # Both workers share CPU 1, so either may be descheduled for a
        # scheduler time slice (milliseconds); with the 1 ms merge timeout
        # the merger would then skip its batch and drop the packets that
        # come late, which is that timeout doing its job, not what this
        # case is about (reconfiguration). A 100 ms timeout rules it out.
        self.merge_timeout = 100000
        cfg = self.config(worker_lcores=(1, 2), workers=2)
        if not self.start(cfg, lcore_map=lmap, label='2 workers'):
            print(self.md.log_tail(20))
            return
        c1 = self.t.container('c1')
        self.ping_ok('2 workers: ping c1 -> vtep', c1.ns,
                     self.t.vnis[100].ip)
        st = self.md.stats()
        self.c.check('2 workers: stats report 2 workers of 2 lcores',
                     mget(st, 'workers') == 2
                     and mget(st, 'worker_lcores') == 2,
                     f"workers {mget(st, 'workers')} worker_lcores "
                     f"{mget(st, 'worker_lcores')}")
        self.check_change_under_traffic('2 workers on --lcores ' + lmap,
                                        two_workers=True)
        self.check_stop()


def main(argv):
    """Parse arguments and run the test (or one of the stream helpers)."""
    if argv and argv[0] == 'seqsend':
        return seqsend_main(argv[1:])
    if argv and argv[0] == 'seqrecv':
        return seqrecv_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mflowd', required=True, help='the mflowd binary')
    ap.add_argument('--batch', type=int, default=256,
                    help='mflow.batch_size of the main runs')
    ap.add_argument('--mps', type=int, default=30000,
                    help='rate of the UDP streams of check 1 (msg/s)')
    ap.add_argument('--churn-pps', type=int, default=30000,
                    help='rate of the stream under reconfiguration')
    ap.add_argument('--tcp-seconds', type=int, default=5)
    ap.add_argument('--no-two-workers', dest='two_workers',
                    action='store_false',
                    help='skip the --lcores 0@0,1@1,2@1 sub-case')
    ap.add_argument('--baseline', action='store_true',
                    help='run the traffic and ordering checks against a '
                    'daemon without the mflow section (no SIGHUP, no mflow '
                    'counters): validates the harness, proves nothing '
                    'about micro-flows')
    args = ap.parse_args(argv)
    rc = topo.preflight(('sockperf', 'iperf3', 'ethtool'))
    if rc is not None:
        return rc
    if not os.access(args.mflowd, os.X_OK):
        ap.error('--mflowd must name an executable')
    return MflowTest(args).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
