#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The CoAP/IoT container experiment of the seed paper (Section VI), redone
with mflowd.

The paper (a Raspberry Pi B+, Docker 1.6 with --net=host, txThings, a Python
CoAP server) compares the response time of a CoAP server run natively with
that of CoAP servers in 1, 2 or 3 containers, sending 1 to 4 parallel
requests per server. Here:

conf 1 (native)  ``coap-server-notls`` in namespace ``ciot-srv``, the client
                 in ``ciot-cli``, one veth pair between them, no overlay.
conf 2, 3, 4     1, 2 or 3 containers (A, B, C) created by mflowd's control
                 plane (``mflowctl container create``) on VNI 100, each
                 running ``coap-server-notls``. The client runs in the remote
                 VTEP namespace ``ciotx-vtep`` (tests/integration/topo.py)
                 and reaches them through its kernel vxlan device, the
                 underlay veth and mflowd.

Conf 3 and 4 load 2 and 3 servers at once, so they are compared with native
runs that load as many servers (``native-2``, ``native-3``: more addresses
on the same veth, one server each): "like for like". The paper's
comparison, container A against the single native server, is given too.

Kernel-overlay reference (not in the paper; ``kernel-1``, ``kernel-2``,
``kernel-3``, measured with conf 2, 3, 4; --no-kernel-ref leaves it out):
the same servers in plain namespaces ``ciotk-a``, ``-b``, ``-c`` behind the
Linux overlay of tests/integration/topo.py (mode ``kernel``): the client in
``ciotk-vtep`` sends through its kernel vxlan device and the underlay veth
to namespace ``ciotk-host``, where a kernel vxlan device and a Linux bridge
hand the frames to each server's veth. No mflowd. It has the same overlay
addresses, VNI, MTU and client-side path as conf 2-4, so it separates what
any VxLAN overlay costs on this machine (kernel-N against native) from what
mflowd adds to it (conf k against kernel-(k-1)).

Method. For every P in 1..4 and every round, ``mflow-coap-load``
(bench/coap_load.c) sends confirmable GET /time requests to all servers of
a configuration at once, P outstanding per server, N per server (2000, 200
with --quick), after an unrecorded warm-up. Each container configuration
is measured in alternation with its native baseline and its kernel-overlay
reference (the order rotates every round), so that all see the same
background load; a configuration's
figure for P is the median over the rounds of each round's median (and p99).
The overhead is (container median - native median) / native median, per P;
the target is at most 10 %.

Pinning, the same in every configuration: every CoAP server and the client
run under ``taskset -c 0`` (--app-cpu; containers get taskset in their
argv); mflowd's datapath lcore runs on CPU 1 (EAL ``-l 1``,
--mflowd-lcores), idle in the native and kernel-overlay runs. The kernel's
share of the path (veth, vxlan, bridge, UDP) runs in softirq on the sending
process's CPU: all of it on CPU 0 in the native and kernel-overlay runs,
while behind mflowd the frames cross to CPU 1 and back, and every response
and request handed back to CPU 0 wakes a process there from another CPU.

Results: results/coap-<UTC date>-<git short hash>.json (a suffix for quick
or partial runs) with the machine, date, commit, every round's figures and
the paper's; a table on stdout; with --plot, docs/coap-iot.png
(bench/plot_coap.gp). Everything made (namespaces, processes, containers,
mflowd) is removed at the end, on errors and on Ctrl-C too.

Usage (as root):
  bench/coap_iot.py --native-only --quick     # conf 1 alone, seconds
  bench/coap_iot.py --build build [--quick] [--plot]
  bench/coap_iot.py --native-only --client-cpu 1   # cost of crossing CPUs
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
sys.path.insert(0, HERE)
import topo  # noqa: E402  pylint: disable=wrong-import-position
from results import cpu_model, loadavg  # noqa: E402  pylint: disable=wrong-import-position

IP = topo.IP
PREFIX_NATIVE = 'ciot'      # netns ciot-cli, ciot-srv; veths ciotc, ciots
PREFIX_OVERLAY = 'ciotx'    # topo.Topology: ciotx-vtep, ciotxul, ciotxulh
PREFIX_KERNEL = 'ciotk'     # kernel overlay: ciotk-vtep, -host, -a, -b, -c
NATIVE_CLI_NS = f'{PREFIX_NATIVE}-cli'
NATIVE_SRV_NS = f'{PREFIX_NATIVE}-srv'
NATIVE_CLI_IF = f'{PREFIX_NATIVE}c'
NATIVE_SRV_IF = f'{PREFIX_NATIVE}s'
NATIVE_CLI_IP = '198.18.1.1'
NATIVE_SRV_IPS = ('198.18.1.10', '198.18.1.11', '198.18.1.12')
NATIVE_PLEN = 24

VNI = 100
# Containers A, B, C of the paper: name and overlay address on VNI 100.
CONTAINERS = (('ciota', '198.19.1.11'), ('ciotb', '198.19.1.12'),
              ('ciotc', '198.19.1.13'))
OVERLAY_PLEN = 24
# The kernel-overlay reference: a namespace per server, named ciotk-<name>,
# at the containers' addresses (MACs as in tests/integration/topo.py).
KERNEL_SERVERS = (
    ('a', '198.19.1.11', '02:00:00:00:01:11', '02:00:00:00:f1:11'),
    ('b', '198.19.1.12', '02:00:00:00:01:12', '02:00:00:00:f1:12'),
    ('c', '198.19.1.13', '02:00:00:00:01:13', '02:00:00:00:f1:13'),
)

COAP_PORT = 5683
RESOURCE = 'time'           # coap-server-notls answers GET /time with 2.05
PARALLEL = (1, 2, 3, 4)
FULL_COUNT, QUICK_COUNT = 2000, 200
FULL_ROUNDS, QUICK_ROUNDS = 10, 3
FULL_WARMUP, QUICK_WARMUP = 100, 20
TARGET_PCT = 10.0
CLIENT_MAX_TIME_S = 120     # mflow-coap-load --max-time of one run
SERVER_READY_S = 15         # how long new servers may take to answer
# Display order of the configurations.
ORDER = ('conf1', 'native-2', 'native-3', 'kernel-1', 'kernel-2',
         'kernel-3', 'conf2', 'conf3', 'conf4')

# The paper's figures (Section VI). The text gives only the overhead of
# container A over the native server at 1 and at 4 parallel requests; the
# absolute times, and P = 2 and 3, are only drawn in its Fig. 6.
PAPER = {
    'source': 'seed paper 000, Section VI and Fig. 6',
    'setup': ('Raspberry Pi B+ (BCM2835, 700 MHz ARM11, 512 MiB), Raspbian '
              '(Linux 3.18.8), Docker 1.6 containers with --net=host, '
              'txThings (Python/Twisted) CoAP server, a second Raspberry Pi '
              'as the client over Ethernet (10/100 on the Pi), means of 30 '
              'repetitions'),
    'metric': 'mean response time; overhead = container A - native, in ms',
    'overhead_ms': {
        'conf2': {'1': 22, '4': 78},
        'conf3': {'1': 24, '4': 195},
        'conf4': {'1': 43, '4': 346},
    },
    'note': ('P = 2 and 3 only in Fig. 6. Their containers used the host '
             'network (--net=host): no overlay, unlike conf 2-4 here. The '
             'text also says the overhead "is roughly 280ms" (the sentence '
             'is cut off).'),
}


def log(msg):
    """Progress on stderr; stdout holds the table."""
    print(f'[coap-iot] {msg}', file=sys.stderr, flush=True)


class HarnessError(RuntimeError):
    """A step of the experiment failed."""


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


# Machine and run information. --------------------------------------------

def git_short():
    """Short hash of HEAD, and whether tracked files differ from it."""
    res = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                         capture_output=True, text=True, check=False,
                         timeout=10)
    commit = res.stdout.strip() or 'unknown'
    dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain',
                            '--untracked-files=no'], capture_output=True,
                           text=True, check=False, timeout=10).stdout.strip()
    return commit, bool(dirty)


def coap_version():
    """libcoap's version as coap-server-notls reports it."""
    try:
        res = subprocess.run(['coap-server-notls', '-h'], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 'unknown'
    for line in (res.stdout + res.stderr).splitlines():
        if line.startswith('coap-server-notls v'):
            return line.split()[1].lstrip('v')
    return 'unknown'


# Processes. ---------------------------------------------------------------

class Procs:
    """Long-running processes of the harness; stop_all() ends them, bounded."""

    def __init__(self):
        self.procs = []

    def start(self, ns, args, log_path):
        """Start @args in namespace @ns (None: root), output to @log_path."""
        with open(log_path, 'w', encoding='utf-8') as fh:
            proc = subprocess.Popen(topo.ns_cmd(ns, args),
                                    stdin=subprocess.DEVNULL, stdout=fh,
                                    stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self, proc, grace=3.0):
        """SIGTERM @proc, SIGKILL it after @grace seconds, reap it."""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    log(f'process {proc.pid} did not exit after SIGKILL')
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self):
        """Stop every process still running."""
        for proc in list(self.procs):
            self.stop(proc)


def pinned(cpu, args):
    """@args under taskset on @cpu."""
    return ['taskset', '-c', str(cpu)] + list(args)


def coap_server_argv(ip):
    """The CoAP server's command line for address @ip."""
    return ['coap-server-notls', '-A', ip, '-p', str(COAP_PORT)]


# The load generator. ------------------------------------------------------

def load_cmd(args, ips, parallel, count, timeout_ms, max_time):
    """mflow-coap-load's command line against every address of @ips."""
    cmd = [args.load, '--json', '--parallel', str(parallel), '--count',
           str(count), '--timeout-ms', str(timeout_ms), '--max-time',
           str(max_time)]
    for ip in ips:
        cmd += ['--server', f'{ip}:{COAP_PORT}/{RESOURCE}']
    return cmd


def run_load(args, ns, ips, parallel, count, what):
    """Run mflow-coap-load, pinned, in @ns against all of @ips at once.

    @return its JSON report (a dict) plus its exit status.
    """
    cmd = load_cmd(args, ips, parallel, count, args.timeout_ms,
                   CLIENT_MAX_TIME_S)
    res = topo.run(pinned(args.client_cpu, cmd), ns=ns, check=False,
                   timeout=CLIENT_MAX_TIME_S + 15)
    try:
        report = json.loads(res.stdout)
    except ValueError as exc:
        raise HarnessError(f'{what}: mflow-coap-load gave no report '
                           f'(exit {res.returncode}): {res.stderr.strip()}'
                           ) from exc
    report['exit_status'] = res.returncode
    return report


def wait_servers(args, ns, ips, what):
    """Wait until every server of @ips answers GET with 2.05, bounded."""
    deadline = time.monotonic() + SERVER_READY_S
    while True:
        res = topo.run(load_cmd(args, ips, 1, 1, 300, 5), ns=ns, check=False,
                       timeout=20)
        try:
            rep = json.loads(res.stdout)
            if all(s['codes'].get('2.05') == 1 for s in rep['servers']):
                return
        except (ValueError, KeyError):
            pass
        if time.monotonic() >= deadline:
            raise HarnessError(f'{what}: the CoAP server(s) at '
                               f'{", ".join(ips)} did not answer within '
                               f'{SERVER_READY_S} s')
        time.sleep(0.2)


def compact(rep):
    """The figures kept of one run: all servers, server A, each server."""
    tot = rep['total']
    lat = tot.get('latency_us') or {}
    a_lat = rep['servers'][0].get('latency_us') or {}
    return {
        'median_us': lat.get('median'), 'p99_us': lat.get('p99'),
        'a_median_us': a_lat.get('median'), 'a_p99_us': a_lat.get('p99'),
        'server_medians_us': [(s.get('latency_us') or {}).get('median')
                              for s in rep['servers']],
        'sent': tot['sent'], 'received': tot['received'],
        'lost': tot['lost'], 'timeouts': tot['timeouts'],
        'failed': tot['failed'], 'late': tot['late'], 'codes': tot['codes'],
        'wall_s': rep['run']['wall_s'], 'exit_status': rep['exit_status'],
        'loadavg_1min': loadavg(),
    }


def summarise(rounds):
    """The figure of one configuration and P: medians over the rounds."""
    def med(key):
        vals = [r[key] for r in rounds if r.get(key) is not None]
        return round(statistics.median(vals), 1) if vals else None

    meds = [r['median_us'] for r in rounds if r.get('median_us') is not None]
    return {
        'median_us': med('median_us'), 'p99_us': med('p99_us'),
        'a_median_us': med('a_median_us'), 'a_p99_us': med('a_p99_us'),
        'median_range_us': [min(meds), max(meds)] if meds else None,
        'rounds': len(rounds),
        'sent': sum(r['sent'] for r in rounds),
        'lost': sum(r['lost'] for r in rounds),
    }


# Configuration 1 and the native baselines. ---------------------------------

class Native:
    """Two namespaces and a veth pair: the client and up to 3 plain servers."""

    def __init__(self, procs, workdir, app_cpu):
        self.procs = procs
        self.workdir = workdir
        self.app_cpu = app_cpu
        self.servers = []
        self.built = False

    @staticmethod
    def cleanup():
        """Remove the namespaces of this or an earlier run, processes first."""
        return topo.cleanup_prefix(PREFIX_NATIVE)

    def build(self):
        """Create both namespaces and the veth pair (none in the root ns)."""
        gone = self.cleanup()
        if gone:
            log(f'removed leftovers: {", ".join(gone)}')
        self.built = True
        for ns in (NATIVE_CLI_NS, NATIVE_SRV_NS):
            topo.run([IP, 'netns', 'add', ns])
            topo.run([IP, 'link', 'set', 'lo', 'up'], ns=ns)
        topo.run([IP, 'link', 'add', NATIVE_CLI_IF, 'netns', NATIVE_CLI_NS,
                  'type', 'veth', 'peer', 'name', NATIVE_SRV_IF, 'netns',
                  NATIVE_SRV_NS])
        topo.run([IP, 'addr', 'add', f'{NATIVE_CLI_IP}/{NATIVE_PLEN}', 'dev',
                  NATIVE_CLI_IF], ns=NATIVE_CLI_NS)
        for ip in NATIVE_SRV_IPS:
            topo.run([IP, 'addr', 'add', f'{ip}/{NATIVE_PLEN}', 'dev',
                      NATIVE_SRV_IF], ns=NATIVE_SRV_NS)
        # TX checksum offload off, as on the overlay's veths (topo.py), so
        # that both paths compute UDP checksums the same way.
        for ns, dev in ((NATIVE_CLI_NS, NATIVE_CLI_IF),
                        (NATIVE_SRV_NS, NATIVE_SRV_IF)):
            topo.run([topo.ETHTOOL, '-K', dev, 'tx', 'off'], ns=ns)
            topo.run([IP, 'link', 'set', dev, 'up'], ns=ns)

    def set_servers(self, n):
        """Run exactly @n CoAP servers (the first @n addresses)."""
        while len(self.servers) > n:
            self.procs.stop(self.servers.pop())
        while len(self.servers) < n:
            i = len(self.servers)
            self.servers.append(self.procs.start(
                NATIVE_SRV_NS,
                pinned(self.app_cpu, coap_server_argv(NATIVE_SRV_IPS[i])),
                os.path.join(self.workdir, f'native-server-{i}.log')))

    def teardown(self):
        """Stop the servers and remove the namespaces."""
        self.set_servers(0)
        if self.built:
            self.cleanup()
            self.built = False


# The kernel-overlay reference. ---------------------------------------------

class KernelOverlay:
    """The Linux overlay of topo.py (mode kernel): kernel vxlan and a bridge
    in ``ciotk-host``, one plain namespace per server, no mflowd."""

    def __init__(self, procs, workdir, app_cpu):
        self.procs = procs
        self.workdir = workdir
        self.app_cpu = app_cpu
        self.servers = []
        self.topo = topo.Topology(
            prefix=PREFIX_KERNEL, mode='kernel',
            containers=[topo.Container(name, VNI, f'{ip}/{OVERLAY_PLEN}',
                                       mac, host_mac)
                        for name, ip, mac, host_mac in KERNEL_SERVERS],
            vnis={VNI: topo.default_vnis()[VNI]}, log=log)
        self.client_ns = self.topo.vtep_ns

    def build(self):
        """Create the namespaces, veths, vxlan devices and the bridge."""
        self.topo.build()

    def set_servers(self, n):
        """Run exactly @n CoAP servers (in namespaces a, b, c)."""
        while len(self.servers) > n:
            self.procs.stop(self.servers.pop())
        while len(self.servers) < n:
            c = self.topo.containers[len(self.servers)]
            self.servers.append(self.procs.start(
                c.ns, pinned(self.app_cpu, coap_server_argv(c.ip)),
                os.path.join(self.workdir, f'kernel-server-{c.name}.log')))

    def teardown(self):
        """Stop the servers and remove the topology."""
        self.set_servers(0)
        self.topo.teardown()


# Configurations 2 to 4: containers behind mflowd. ---------------------------

class Mflowd:
    """mflowd for the overlay, with a private control socket and state."""

    def __init__(self, args, t, procs, workdir):
        self.args = args
        self.procs = procs
        self.sock = os.path.join(workdir, 'mflowd.sock')
        self.stats_path = os.path.join(workdir, 'mflowd-stats.json')
        self.log_path = os.path.join(workdir, 'mflowd.log')
        self.mtu = t.vnis[VNI].mtu
        cfg = t.mflowd_config()
        cfg['vnis'] = [{'vni': VNI, 'vteps': [t.vnis[VNI].vtep]}]
        cfg['endpoints'] = []
        cfg['control'] = {'socket': self.sock}
        # Container records and bundles of our own: no other mflowd's
        # containers are seen or restored, and nothing outlives the run.
        cfg['containers'] = {
            'state_dir': os.path.join(workdir, 'ct-state'),
            'run_dir': os.path.join(workdir, 'ct-run'),
            'runtime': args.runtime,
            'pmd': args.pmd,
        }
        cfg.update(args.mflowd_config)
        self.cfg = cfg
        cfg_path = os.path.join(workdir, 'mflowd.json')
        with open(cfg_path, 'w', encoding='ascii') as fh:
            json.dump(cfg, fh, indent=2)
        self.cmd = ([args.mflowd, '--no-pci']
                    + topo.eal_memory_args(512,
                                           f'{PREFIX_OVERLAY}-{os.getpid()}')
                    + ['-l', args.mflowd_lcores, '--log-level=user1,notice',
                       '--', '--config', cfg_path, '--stats-file',
                       self.stats_path, '--stats-interval', '1'])
        self.proc = procs.start(None, self.cmd, self.log_path)
        ready = topo.wait_for(lambda: self.proc.poll() is not None
                              or (os.path.exists(self.sock)
                                  and os.path.exists(self.stats_path)), 30)
        if not ready or self.proc.poll() is not None:
            raise HarnessError('mflowd did not start:\n' + self.tail())

    def tail(self, n=20):
        """The last lines of mflowd's log."""
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as fh:
                return ''.join(fh.readlines()[-n:])
        except OSError:
            return ''

    def ctl(self, words, timeout=30, check=True):
        """Run ``mflowctl --json --socket SOCK WORDS...``.

        @return the parsed answer (None for no output); on failure None, or
        HarnessError with mflowctl's message when @check is set.
        """
        cmd = [self.args.mflowctl, '--json', '--socket', self.sock,
               '--timeout', str(timeout)] + list(words)
        res = topo.run(cmd, check=False, timeout=timeout + 10)
        if res.returncode != 0:
            if check:
                raise HarnessError(f'{" ".join(cmd)}: exit {res.returncode}: '
                                   f'{(res.stdout + res.stderr).strip()}')
            return None
        try:
            return json.loads(res.stdout) if res.stdout.strip() else None
        except ValueError:
            return res.stdout.strip()

    def create_container(self, name, ip):
        """Create and start container @name at @ip on VNI 100, running a
        pinned CoAP server, through mflowd's control plane.

        The exact call (one command line):
          mflowctl --json --socket SOCK --timeout 60 container create
              name=NAME vni=100 ip=IP/24 mtu=1450 rootfs=host
              'argv=["taskset","-c","0","coap-server-notls","-A","IP","-p","5683"]'
              [KEY=VALUE ... from --container-param]
        The MTU is the VNI's: the underlay's 1500 minus the VxLAN headers.
        @return mflowd's answer, recorded with the results.
        """
        argv = pinned(self.args.app_cpu, coap_server_argv(ip))
        words = ['container', 'create', f'name={name}', f'vni={VNI}',
                 f'ip={ip}/{OVERLAY_PLEN}', f'mtu={self.mtu}', 'rootfs=host',
                 'argv=' + json.dumps(argv, separators=(',', ':'))]
        words += self.args.container_param
        return self.ctl(words, timeout=60)

    def delete_container(self, name, check=True):
        """Stop and delete container @name: ``container delete name=NAME``."""
        return self.ctl(['container', 'delete', f'name={name}'], timeout=60,
                        check=check)

    def drops(self):
        """mflowd's non-zero drop counters from a fresh stats file, or None."""
        try:
            before = os.stat(self.stats_path).st_mtime_ns
            self.proc.send_signal(signal.SIGUSR1)
            topo.wait_for(lambda: os.stat(self.stats_path).st_mtime_ns
                          != before, 3, 0.05)
            with open(self.stats_path, encoding='utf-8') as fh:
                st = json.load(fh)
        except (OSError, ValueError):
            return None
        return {k: v for k, v in st.get('drops', {}).items() if v}

    def stop(self):
        """SIGTERM, bounded wait; @return the exit status."""
        self.procs.stop(self.proc, grace=15)
        return self.proc.returncode


def sweep_container_leftovers():
    """Remove namespaces named after our containers that outlived mflowd
    (after a crash); their processes were started by this harness."""
    removed = []
    names = [c[0] for c in CONTAINERS]
    for ns in topo.list_netns():
        if any(n in ns for n in names):
            res = topo.run([IP, 'netns', 'pids', ns], check=False)
            pids = [int(p) for p in res.stdout.split() if p.isdigit()]
            if pids:
                topo._kill_pids(pids)  # pylint: disable=protected-access
            topo.run([IP, 'netns', 'del', ns], check=False)
            removed.append(ns)
    return removed


# The experiment. -----------------------------------------------------------

class Experiment:
    """Builds everything, measures the phases, removes everything."""

    def __init__(self, args, results, workdir):
        self.args = args
        self.results = results
        self.workdir = workdir
        self.procs = Procs()
        self.native = Native(self.procs, workdir, args.app_cpu)
        self.kernel = None
        self.topo = None
        self.md = None
        self.created = []

    def run(self):
        """Run every phase; teardown() must follow, whatever happens."""
        self.native.build()
        if self.args.container_confs:
            gone = sweep_container_leftovers()
            if gone:
                log(f'removed container leftovers: {", ".join(gone)}')
            vnis = {VNI: topo.default_vnis()[VNI]}
            self.topo = topo.Topology(
                prefix=PREFIX_OVERLAY, mode='mflowd', pmd=self.args.pmd,
                underlay_pmd=self.args.underlay_pmd, containers=[],
                vnis=vnis, log=log)
            self.topo.build()
            if self.args.kernel_ref:
                self.kernel = KernelOverlay(self.procs, self.workdir,
                                            self.args.app_cpu)
                self.kernel.build()
            self.md = Mflowd(self.args, self.topo, self.procs, self.workdir)
            self.results['meta']['mflowd_cmd'] = ' '.join(self.md.cmd)
            self.results['meta']['mflowd_config'] = self.md.cfg
        if 1 in self.args.confs and 2 not in self.args.confs:
            self.phase(1)
        for k in self.args.container_confs:
            self.phase(k)

    def config_entry(self, name, kind, ips, extra=None):
        """The results entry of configuration @name, made on first use."""
        confs = self.results['configurations']
        if name not in confs:
            confs[name] = {'kind': kind, 'servers': len(ips),
                           'addresses': list(ips), 'rounds': {},
                           'summary': {}}
            confs[name].update(extra or {})
        return confs[name]

    def phase(self, k):
        """Measure conf @k, alternating with its native baseline and its
        kernel-overlay reference (conf 1: alone)."""
        n = max(k - 1, 1)
        base = 'conf1' if n == 1 else f'native-{n}'
        self.native.set_servers(n)
        members = [(base, NATIVE_CLI_NS, NATIVE_SRV_IPS[:n],
                    self.config_entry(base, 'native', NATIVE_SRV_IPS[:n]))]
        if k > 1 and self.kernel is not None:
            self.kernel.set_servers(n)
            ips = [c.ip for c in self.kernel.topo.containers[:n]]
            members.append((f'kernel-{n}', self.kernel.client_ns, ips,
                            self.config_entry(f'kernel-{n}', 'kernel-overlay',
                                              ips)))
        if k > 1:
            answers = {}
            for cname, ip in CONTAINERS[:n]:
                if cname not in self.created:
                    log(f'creating container {cname} ({ip})')
                    answers[cname] = self.md.create_container(cname, ip)
                    self.created.append(cname)
            ips = [ip for _, ip in CONTAINERS[:n]]
            entry = self.config_entry(
                f'conf{k}', 'containers', ips,
                {'containers': [c for c, _ in CONTAINERS[:n]],
                 'create_answers': answers})
            members.append((f'conf{k}', self.topo.vtep_ns, ips, entry))
        for name, ns, ips, _ in members:
            wait_servers(self.args, ns, ips, name)
        started = time.monotonic()
        rounds = self.args.rounds
        for p in self.args.parallel:
            log(f'conf {k}: P={p}: {rounds} round(s) of '
                + ' and '.join(f'{m[0]} ({len(m[2])} x {self.args.count})'
                               for m in members))
            for r in range(rounds):
                # Rotate the order every round, so that each
                # configuration goes first in turn.
                shift = r % len(members)
                for name, ns, ips, entry in members[shift:] + members[:shift]:
                    if self.args.warmup:
                        run_load(self.args, ns, ips, p, self.args.warmup,
                                 name)
                    rep = run_load(self.args, ns, ips, p, self.args.count,
                                   name)
                    fig = compact(rep)
                    if fig['lost']:
                        log(f'{name}: P={p}: {fig["lost"]} request(s) lost '
                            f'({fig["timeouts"]} timeouts, '
                            f'{fig["failed"]} failed)')
                    entry['rounds'].setdefault(str(p), []).append(fig)
        for name, _, _, entry in members:
            entry.setdefault('phases', []).append(
                {'phase': f'conf{k}', 'wall_s':
                 round(time.monotonic() - started, 1)})
        if k > 1:
            members[-1][3]['mflowd_drops'] = self.md.drops()

    def teardown(self):
        """Remove the containers, mflowd, the topologies, any process."""
        for cname in reversed(self.created):
            try:
                self.md.delete_container(cname, check=False)
            except topo.TopoError as exc:
                log(f'deleting {cname}: {exc}')
        self.created = []
        if self.md is not None:
            self.results['meta']['mflowd_exit'] = self.md.stop()
            self.md = None
        if self.kernel is not None:
            self.kernel.teardown()
            self.kernel = None
        if self.topo is not None:
            self.topo.teardown()
            gone = sweep_container_leftovers()
            if gone:
                log(f'removed container leftovers: {", ".join(gone)}')
            self.topo = None
        self.native.teardown()
        self.procs.stop_all()


# Figures. -------------------------------------------------------------------

def pct(value, base):
    """(value - base) / base in percent, or None."""
    if value is None or base is None or base <= 0:
        return None
    return round(100.0 * (value - base) / base, 1)


def delta(value, base):
    """value - base, or None."""
    return None if value is None or base is None else round(value - base, 1)


def overheads(results, parallel):
    """Overhead of every container configuration over the native runs.

    like_for_like: all servers of conf k against native with k - 1 servers,
        measured in alternation with it.
    paper_style: container A against the single native server (conf 1),
        as the paper does.
    kernel_overlay: the kernel-overlay reference with k - 1 servers against
        the same native baseline (what any VxLAN overlay costs here), and
        conf k against it (what mflowd adds to that).
    """
    confs = results['configurations']
    out = {}
    for k in (2, 3, 4):
        name = f'conf{k}'
        if name not in confs:
            continue
        same = confs.get('conf1' if k == 2 else f'native-{k - 1}')
        one = confs.get('conf1')
        rows = {}
        for p in map(str, parallel):
            fig = confs[name]['summary'].get(p)
            if fig is None:
                continue
            row = {'median_us': fig['median_us'], 'p99_us': fig['p99_us'],
                   'a_median_us': fig['a_median_us'],
                   'paper_overhead_ms': PAPER['overhead_ms'][name].get(p)}
            nat = same['summary'].get(p) if same else None
            if nat:
                row['like_for_like'] = {
                    'baseline': 'conf1' if k == 2 else f'native-{k - 1}',
                    'native_median_us': nat['median_us'],
                    'delta_median_us': delta(fig['median_us'],
                                             nat['median_us']),
                    'median_pct': pct(fig['median_us'], nat['median_us']),
                    'p99_pct': pct(fig['p99_us'], nat['p99_us'])}
            ker = confs.get(f'kernel-{k - 1}')
            ker = ker['summary'].get(p) if ker else None
            if ker:
                base = same['summary'].get(p) if same else None
                base = base['median_us'] if base else None
                row['kernel_overlay'] = {
                    'baseline': f'kernel-{k - 1}',
                    'kernel_median_us': ker['median_us'],
                    'kernel_vs_native_pct': pct(ker['median_us'], base),
                    'kernel_vs_native_us': delta(ker['median_us'], base),
                    'mflowd_vs_kernel_pct': pct(fig['median_us'],
                                                ker['median_us']),
                    'mflowd_vs_kernel_us': delta(fig['median_us'],
                                                 ker['median_us'])}
            nat = one['summary'].get(p) if one else None
            if nat:
                row['paper_style'] = {
                    'native_median_us': nat['median_us'],
                    'delta_median_us': delta(fig['a_median_us'],
                                             nat['median_us']),
                    'median_pct': pct(fig['a_median_us'], nat['median_us']),
                    'p99_pct': pct(fig['a_p99_us'], nat['p99_us'])}
            rows[p] = row
        out[name] = rows
    return out


def target_verdict(ovh):
    """Whether every like-for-like median overhead is at most TARGET_PCT;
    and, for reference, the kernel overlay's worst overhead by the same
    measure."""
    vals = [row['like_for_like']['median_pct']
            for rows in ovh.values() for row in rows.values()
            if row.get('like_for_like', {}).get('median_pct') is not None]
    kern = [row['kernel_overlay']['kernel_vs_native_pct']
            for rows in ovh.values() for row in rows.values()
            if row.get('kernel_overlay', {}).get('kernel_vs_native_pct')
            is not None]
    if not vals:
        return {'max_pct': TARGET_PCT, 'met': None, 'worst_pct': None,
                'kernel_overlay_worst_pct': max(kern) if kern else None,
                'basis': 'no container configuration was measured'}
    return {'max_pct': TARGET_PCT, 'met': max(vals) <= TARGET_PCT,
            'worst_pct': max(vals),
            'kernel_overlay_worst_pct': max(kern) if kern else None,
            'basis': 'like-for-like median overhead, every container '
                     'configuration and every P'}


def fmt(v, digits=1):
    """A table cell."""
    if v is None:
        return '-'
    if isinstance(v, float):
        return f'{v:.{digits}f}'
    return str(v)


def ordered(confs):
    """Configuration names in display order."""
    return sorted(confs, key=lambda n: ORDER.index(n) if n in ORDER else 99)


def label(name, conf):
    """A configuration's description."""
    if conf['kind'] == 'native':
        return f'{name} native, {conf["servers"]} server(s)'
    if conf['kind'] == 'kernel-overlay':
        return f'{name} kernel overlay, {conf["servers"]} server(s)'
    return f'{name} {conf["servers"]} container(s)'


def table(results, parallel):
    """The readable table: response times, overheads, the paper's."""
    confs = results['configurations']
    lines = ['Response time in us (median over rounds of each round\'s '
             'median / p99; all servers, and server A)',
             f'{"configuration":<40}{"P":>3}{"median":>9}{"p99":>9}'
             f'{"A med":>9}{"A p99":>9}{"rounds":>8}{"median range":>16}'
             f'{"lost":>6}']
    for name in ordered(confs):
        conf = confs[name]
        for p in parallel:
            fig = conf['summary'].get(str(p))
            if fig is None:
                continue
            rng = fig['median_range_us']
            rng = f'{rng[0]:.1f}-{rng[1]:.1f}' if rng else '-'
            lines.append(f'{label(name, conf):<40}{p:>3}'
                         f'{fmt(fig["median_us"]):>9}{fmt(fig["p99_us"]):>9}'
                         f'{fmt(fig["a_median_us"]):>9}'
                         f'{fmt(fig["a_p99_us"]):>9}{fig["rounds"]:>8}'
                         f'{rng:>16}{fig["lost"]:>6}')
    ovh = {name: rows for name, rows in results['overhead'].items() if rows}
    kern = {name: rows for name, rows in ovh.items()
            if any('kernel_overlay' in row for row in rows.values())}
    if kern:
        lines += ['', 'What any VxLAN overlay costs here, and what mflowd '
                  'adds: the kernel-overlay reference (kernel-N: kernel',
                  'vxlan + bridge, no mflowd) against native, and conf k '
                  'against it (medians).',
                  f'{"configuration":<14}{"P":>3}{"native us":>11}'
                  f'{"kernel us":>11}{"kernel %":>10}{"mflowd us":>11}'
                  f'{"mflowd vs kernel %":>20}{"us":>8}']
        for name, rows in kern.items():
            for p, row in rows.items():
                ko = row.get('kernel_overlay', {})
                lfl = row.get('like_for_like', {})
                lines.append(
                    f'{name:<14}{p:>3}'
                    f'{fmt(lfl.get("native_median_us")):>11}'
                    f'{fmt(ko.get("kernel_median_us")):>11}'
                    f'{fmt(ko.get("kernel_vs_native_pct")):>10}'
                    f'{fmt(row.get("median_us")):>11}'
                    f'{fmt(ko.get("mflowd_vs_kernel_pct")):>20}'
                    f'{fmt(ko.get("mflowd_vs_kernel_us")):>8}')
    if ovh:
        lines += ['', 'Overhead over native. Ours: in % of the native median '
                  '(and in us); theirs (Raspberry Pi, Docker --net=host,',
                  'Python server): container A - native, in ms.',
                  f'{"configuration":<14}{"P":>3}{"like-for-like %":>17}'
                  f'{"us":>8}{"p99 %":>8}{"A vs conf1 %":>14}{"us":>8}'
                  f'{"paper ms":>10}']
        for name, rows in ovh.items():
            for p, row in rows.items():
                lfl = row.get('like_for_like', {})
                pap = row.get('paper_style', {})
                lines.append(
                    f'{name:<14}{p:>3}{fmt(lfl.get("median_pct")):>17}'
                    f'{fmt(lfl.get("delta_median_us")):>8}'
                    f'{fmt(lfl.get("p99_pct")):>8}'
                    f'{fmt(pap.get("median_pct")):>14}'
                    f'{fmt(pap.get("delta_median_us")):>8}'
                    f'{fmt(row.get("paper_overhead_ms")):>10}')
    tgt = results['target']
    verdict = {True: 'met', False: 'NOT met', None: 'not measured'}
    lines += ['', f'Target: overhead <= {tgt["max_pct"]:.0f} % '
              f'({tgt["basis"]}): {verdict[tgt["met"]]}'
              + (f', worst {tgt["worst_pct"]} %'
                 if tgt['worst_pct'] is not None else '')]
    if tgt.get('kernel_overlay_worst_pct') is not None:
        lines.append(f'Reference: the kernel overlay\'s worst overhead over '
                     f'native, same measure: '
                     f'{tgt["kernel_overlay_worst_pct"]} %')
    return '\n'.join(lines)


def plot_name(name, conf):
    """A configuration's name in the figure's key (no spaces)."""
    if conf['kind'] == 'native':
        return f'{name}:native-x{conf["servers"]}' if name == 'conf1' else name
    if conf['kind'] == 'kernel-overlay':
        return f'{name}:kernel-vxlan-ref'
    return f'{name}:{conf["servers"]}-container(s)'


def plot(results, parallel, out_png):
    """Draw median and p99 against P, one line per configuration (gnuplot).

    @return the path written, or None.
    """
    if shutil.which('gnuplot') is None:
        log('gnuplot is not installed: no plot')
        return None
    confs = results['configurations']
    names = ordered(confs)
    meta = results['meta']
    subtitle = (f"{meta['cpu_model'][:60]}, {meta['nproc']} CPUs, "
                f"{meta['date_utc'][:10]}, commit {meta['commit']}, "
                f"{meta['requests_per_server']} requests per server x "
                f"{meta['rounds']} rounds").replace("'", '').replace('"', '')
    ovh = PAPER['overhead_ms']
    paper = ('Theirs (paper, Raspberry Pi B+, Docker --net=host, Python '
             'server): container A - native = '
             + ', '.join(f'{ovh[c]["1"]}/{ovh[c]["4"]} ms ({c})'
                         for c in ('conf2', 'conf3', 'conf4'))
             + ' at P = 1/4')
    kinds = ' '.join({'native': 'n', 'kernel-overlay': 'k'}.get(
        confs[n]['kind'], 'c') for n in names)
    with tempfile.NamedTemporaryFile('w', suffix='.dat', delete=False,
                                     encoding='ascii') as fh:
        dat = fh.name
        fh.write('P ' + ' '.join(f'{plot_name(n, confs[n])} '
                                 f'{plot_name(n, confs[n])}'
                                 for n in names) + '\n')
        for p in parallel:
            row = [str(p)]
            for n in names:
                fig = confs[n]['summary'].get(str(p)) or {}
                for key in ('median_us', 'p99_us'):
                    v = fig.get(key)
                    row.append('NaN' if v is None else f'{v:.1f}')
            fh.write(' '.join(row) + '\n')
    try:
        os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
        res = subprocess.run(
            ['gnuplot', '-e', f"datafile='{dat}'; outfile='{out_png}'; "
             f"nconf={len(names)}; subtitle='{subtitle}'; paper='{paper}'; "
             f"kinds='{kinds}'",
             os.path.join(HERE, 'plot_coap.gp')],
            capture_output=True, text=True, timeout=60, check=False)
    finally:
        os.unlink(dat)
    if res.returncode != 0:
        log(f'gnuplot failed: {res.stderr.strip()}')
        return None
    return out_png


# Main. ----------------------------------------------------------------------

def parse_list(text, allowed, what):
    """A comma-separated list of integers, each in @allowed."""
    try:
        vals = sorted({int(x) for x in text.split(',') if x.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f'{what}: not a list of integers: {text!r}') from exc
    if not vals or any(v not in allowed for v in vals):
        raise argparse.ArgumentTypeError(
            f'{what}: expected values among {sorted(allowed)}, got {text!r}')
    return vals


def param_kv(text):
    """A KEY=VALUE word for mflowctl."""
    if '=' not in text or text.startswith('='):
        raise argparse.ArgumentTypeError(f'expected KEY=VALUE, got {text!r}')
    return text


def parse_args(argv):
    """The command line, checked; exits with status 2 on errors."""
    ap = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n')[:2]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--native-only', action='store_true',
                    help='run conf 1 alone (no mflowd, no containers)')
    ap.add_argument('--quick', action='store_true',
                    help=f'{QUICK_COUNT} requests per server and '
                         f'{QUICK_ROUNDS} rounds (all configurations in '
                         f'< 2 min)')
    ap.add_argument('--confs', default='1,2,3,4',
                    type=lambda s: parse_list(s, {1, 2, 3, 4}, '--confs'),
                    help='configurations to run (default 1,2,3,4); conf k '
                         '> 1 brings its native baseline')
    ap.add_argument('--parallel', default='1,2,3,4',
                    type=lambda s: parse_list(s, set(PARALLEL), '--parallel'),
                    help='outstanding requests per server (default 1,2,3,4)')
    ap.add_argument('--count', type=int, default=None,
                    help=f'requests per server and run (default '
                         f'{FULL_COUNT}, {QUICK_COUNT} with --quick)')
    ap.add_argument('--rounds', type=int, default=None,
                    help=f'runs per configuration and P (default '
                         f'{FULL_ROUNDS}, {QUICK_ROUNDS} with --quick)')
    ap.add_argument('--warmup', type=int, default=None,
                    help=f'unrecorded requests per server before each run '
                         f'(default {FULL_WARMUP}, {QUICK_WARMUP} with '
                         f'--quick; 0: none)')
    ap.add_argument('--timeout-ms', type=int, default=2000,
                    help='mflow-coap-load --timeout-ms (default 2000)')
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'),
                    help='meson build directory with mflowd, mflowctl and '
                         'bench/mflow-coap-load (default build/)')
    ap.add_argument('--load', help='mflow-coap-load (default '
                                   'BUILD/bench/mflow-coap-load)')
    ap.add_argument('--mflowd', help='mflowd (default BUILD/mflowd)')
    ap.add_argument('--mflowctl', help='mflowctl (default BUILD/mflowctl)')
    ap.add_argument('--no-kernel-ref', dest='kernel_ref',
                    action='store_false',
                    help='leave out the kernel-overlay reference (kernel-N '
                         'with conf 2-4)')
    ap.add_argument('--pmd', choices=topo.PMDS, default='af_xdp',
                    help="PMD of mflowd's container ports, and of its "
                         "underlay port unless --underlay-pmd (default "
                         "af_xdp)")
    ap.add_argument('--underlay-pmd', choices=topo.PMDS, default=None,
                    help="PMD of mflowd's underlay port (default: --pmd)")
    ap.add_argument('--runtime', default='runc',
                    help='OCI runtime of the containers (default runc)')
    ap.add_argument('--mflowd-config', type=json.loads, default={},
                    help='JSON object whose top-level keys replace those of '
                         'the generated mflowd config, e.g. '
                         '\'{"dataplane": {"idle_polls": 0}}\'')
    ap.add_argument('--container-param', action='append', default=[],
                    type=param_kv, metavar='KEY=VALUE',
                    help='extra parameter of every "container create" '
                         '(repeatable), e.g. cpus=500')
    ap.add_argument('--app-cpu', type=int, default=0,
                    help='CPU of every CoAP server, and of the client '
                         'unless --client-cpu (default 0)')
    ap.add_argument('--client-cpu', type=int, default=None,
                    help='CPU of the client alone (default: --app-cpu); a '
                         'diagnostic: "--native-only --client-cpu 1" shows '
                         'what a wake-up across CPUs costs without any '
                         'overlay')
    ap.add_argument('--mflowd-lcores', default='1',
                    help='EAL -l of mflowd (default 1)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'results'),
                    help='directory of the JSON results (default results/)')
    ap.add_argument('--plot', action='store_true',
                    help='draw the figure with gnuplot (bench/plot_coap.gp)')
    ap.add_argument('--plot-file',
                    default=os.path.join(ROOT, 'docs', 'coap-iot.png'),
                    help='where --plot writes (default docs/coap-iot.png)')
    args = ap.parse_args(argv)

    if args.native_only:
        args.confs = [1]
    args.underlay_pmd = args.underlay_pmd or args.pmd
    args.container_confs = [c for c in args.confs if c > 1]
    args.count = args.count or (QUICK_COUNT if args.quick else FULL_COUNT)
    args.rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    if args.warmup is None:
        args.warmup = QUICK_WARMUP if args.quick else FULL_WARMUP
    if not 1 <= args.count <= 1000000:
        ap.error('--count must be 1..1000000')
    if not 1 <= args.rounds <= 100:
        ap.error('--rounds must be 1..100')
    if not 0 <= args.warmup <= 100000:
        ap.error('--warmup must be 0..100000')
    if not 10 <= args.timeout_ms <= 60000:
        ap.error('--timeout-ms must be 10..60000')
    if not isinstance(args.mflowd_config, dict):
        ap.error('--mflowd-config must be a JSON object')
    ncpu = os.cpu_count() or 1
    if not 0 <= args.app_cpu < ncpu:
        ap.error(f'--app-cpu must be 0..{ncpu - 1}')
    if args.client_cpu is None:
        args.client_cpu = args.app_cpu
    if not 0 <= args.client_cpu < ncpu:
        ap.error(f'--client-cpu must be 0..{ncpu - 1}')
    args.load = args.load or os.path.join(args.build, 'bench',
                                          'mflow-coap-load')
    args.mflowd = args.mflowd or os.path.join(args.build, 'mflowd')
    args.mflowctl = args.mflowctl or os.path.join(args.build, 'mflowctl')
    if os.geteuid() != 0:
        ap.error('must run as root (namespaces)')
    need = [args.load] + ([args.mflowd, args.mflowctl]
                          if args.container_confs else [])
    for path in need:
        if not os.access(path, os.X_OK):
            ap.error(f'{path} is not executable (build it, or --build, '
                     f'--load, --mflowd, --mflowctl)')
    for tool in ('coap-server-notls', 'taskset', topo.ETHTOOL):
        if shutil.which(tool) is None:
            ap.error(f'{tool} is not installed')
    return args


def main(argv):
    """Run the configurations, write the results; @return the exit status."""
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_exit)

    now = datetime.datetime.now(datetime.timezone.utc)
    commit, dirty = git_short()
    results = {
        'meta': {
            'experiment': 'CoAP servers natively and in containers behind '
                          'mflowd (seed paper 000, Section VI)',
            'date_utc': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'commit': commit + ('-dirty' if dirty else ''),
            'command': ' '.join([os.path.relpath(sys.argv[0], ROOT)]
                                + list(argv)),
            'nproc': os.cpu_count(),
            'cpu_model': cpu_model(),
            'kernel': platform.release(),
            'quick': args.quick,
            'requests_per_server': args.count,
            'rounds': args.rounds,
            'warmup_per_server': args.warmup,
            'timeout_ms': args.timeout_ms,
            'parallel': args.parallel,
            'resource': f'GET coap://SERVER:{COAP_PORT}/{RESOURCE}, '
                        f'confirmable',
            'server': 'coap-server-notls, libcoap ' + coap_version(),
            'client': 'mflow-coap-load (bench/coap_load.c)',
            'pinning': (f'CoAP servers: taskset -c {args.app_cpu}, the '
                        f'client: taskset -c {args.client_cpu}, in every '
                        f'configuration (containers: taskset in their '
                        f'argv); mflowd: EAL -l {args.mflowd_lcores} '
                        f'(conf 2-4 only)'),
            'figures': ('per configuration and P: median over the rounds of '
                        'each round\'s median and p99 (nearest rank over the '
                        'matched responses)'),
            'pmd': {'containers': args.pmd, 'underlay': args.underlay_pmd},
            'loadavg_1min_before': loadavg(),
        },
        'paper': PAPER,
        'configurations': {},
    }

    workdir = tempfile.mkdtemp(prefix='ciot-')
    exp = Experiment(args, results, workdir)
    t0 = time.monotonic()
    failed, status = None, 0
    try:
        exp.run()
    except (HarnessError, topo.TopoError) as exc:
        failed, status = str(exc), 1
        log(f'failed: {exc}')
    except KeyboardInterrupt:
        failed, status = 'interrupted (SIGINT)', 130
        log('interrupted')
    except SystemExit as exc:
        # SIGTERM or SIGHUP (see _raise_exit): keep what was measured.
        failed, status = f'terminated (exit status {exc.code})', exc.code
        log(failed)
    finally:
        exp.teardown()
        shutil.rmtree(workdir, ignore_errors=True)

    # Figures of whatever was measured, a cut-short phase included.
    for entry in results['configurations'].values():
        entry['summary'] = {p: summarise(rnds)
                            for p, rnds in entry['rounds'].items()}

    results['meta']['wall_s'] = round(time.monotonic() - t0, 1)
    results['meta']['loadavg_1min_after'] = loadavg()
    if failed:
        results['error'] = failed
    results['overhead'] = overheads(results, args.parallel)
    results['target'] = target_verdict(results['overhead'])

    # A full run is coap-<date>-<commit>.json; a quick, partial or cut-short
    # one gets suffixes, so that it never replaces a full run's file.
    tags = (['quick'] if args.quick else []) + (
        [] if args.confs == [1, 2, 3, 4] else ['native'] if args.confs == [1]
        else ['conf' + ''.join(map(str, args.confs))]) + (
        ['incomplete'] if failed else [])
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"coap-{now.strftime('%Y%m%d')}-{commit}"
                        + ''.join('-' + t for t in tags) + '.json')
    with open(path, 'w', encoding='utf-8') as fh:
        json.dump(results, fh, indent=2)
        fh.write('\n')
    print(table(results, args.parallel))
    if args.plot and results['configurations']:
        png = plot(results, args.parallel, args.plot_file)
        if png:
            print(f'plot: {png}')
    meta = results['meta']
    print(f"results: {path} ({meta['wall_s']} s, load average "
          f"{meta['loadavg_1min_before']} before, "
          f"{meta['loadavg_1min_after']} after)")
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
