# SPDX-License-Identifier: BSD-3-Clause
"""Build and tear down network-namespace topologies for mflowd.

One library serves the integration test (prefix ``mfi``), the README demo
(``mfd``) and the end-to-end benchmark (``mfb``). Every namespace is named
``<prefix>-<role>`` and every interface left in the root namespace is named
``<prefix><role>``, so leftovers of a crashed run can be found and removed
by prefix alone.

The topology::

    ns <p>-vtep                         host (root ns, or ns <p>-host)
    +---------------------------+       +------------------------------+
    | vx100 198.19.1.1/24  (v4) |       |                              |
    | vx200 198.19.2.1/24  (v6) | <p>ul | <p>ulh   underlay  198.18.0.1 |
    | vx300 198.19.3.1/24  (lo) |-------|          2001:2::1           |
    | ul 198.18.0.2 2001:2::2   |       |                              |
    | lo 198.18.9.2/32          |       | <p>c1h -- eth0 ns <p>-c1 ... |
    +---------------------------+       +------------------------------+

The host side is one of three modes:

``mflowd``
    The ``<p>ulh`` and ``<p>cNh`` ends stay in the root namespace without
    addresses, ready for DPDK PMDs (AF_XDP or AF_PACKET) of mflowd.
``kernel``
    Namespace ``<p>-host`` runs the Linux overlay: kernel vxlan devices
    (one per VNI) bridged with the container veths. This is both the
    reference for the benchmark and a way to validate the test logic
    without mflowd.
``routed``
    Namespace ``<p>-host`` routes between the underlay and the containers
    without any overlay (the native baseline of the benchmark).

The kernel of the target machine has no ``dummy`` driver, so the extra VTEP
address 198.18.9.2/32 lives on the loopback device of ``<p>-vtep``; that is
equivalent for routing and local delivery.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

IP = '/usr/sbin/ip' if os.path.exists('/usr/sbin/ip') else 'ip'
ETHTOOL = ('/usr/sbin/ethtool' if os.path.exists('/usr/sbin/ethtool')
           else 'ethtool')

DPDK_RUN_DIR = '/var/run/dpdk'

MODES = ('mflowd', 'kernel', 'routed')
PMDS = ('af_xdp', 'af_packet')

# Underlay addressing (RFC 2544 / RFC 5180 benchmarking ranges).
UL_HOST_IP4 = '198.18.0.1'
UL_VTEP_IP4 = '198.18.0.2'
UL_PLEN4 = 24
UL_HOST_IP6 = '2001:2::1'
UL_VTEP_IP6 = '2001:2::2'
UL_PLEN6 = 64
UL_VTEP_LOOP4 = '198.18.9.2'
UL_HOST_MAC = '02:00:00:00:00:01'
UL_VTEP_MAC = '02:00:00:00:00:02'
VXLAN_PORT = 4789
UNDERLAY_MTU = 1500

# Routed mode: every container veth's host end carries this /32 and each
# container uses it as its default gateway.
ROUTED_GW = '198.19.0.1'


@dataclass
class Vni:
    """A VNI as terminated by a kernel vxlan device in the vtep namespace."""

    vni: int
    dev: str
    local: str
    remote: str
    addr: str
    mac: str
    mtu: int

    @property
    def ip(self):
        """The overlay address of the vtep namespace, without the prefix."""
        return self.addr.split('/')[0]

    @property
    def vtep(self):
        """The address mflowd must use to reach this VTEP."""
        return self.local


@dataclass
class Container:
    """A container namespace attached to one VNI by a veth pair."""

    name: str
    vni: int
    addr: str
    mac: str
    host_mac: str
    extra_addrs: list = field(default_factory=list)
    ns: str = ''
    host_if: str = ''
    mtu: int = 1500

    @property
    def ip(self):
        """The container's primary address without the prefix."""
        return self.addr.split('/')[0]


def default_vnis():
    """The three VNIs of the test topology: IPv4, IPv6 and gateway path."""
    return {
        100: Vni(100, 'vx100', UL_VTEP_IP4, UL_HOST_IP4, '198.19.1.1/24',
                 '02:00:00:00:10:01', UNDERLAY_MTU - 50),
        200: Vni(200, 'vx200', UL_VTEP_IP6, UL_HOST_IP6, '198.19.2.1/24',
                 '02:00:00:00:20:01', UNDERLAY_MTU - 70),
        300: Vni(300, 'vx300', UL_VTEP_LOOP4, UL_HOST_IP4, '198.19.3.1/24',
                 '02:00:00:00:30:01', UNDERLAY_MTU - 50),
    }


def default_containers():
    """The four containers of the test topology."""
    return [
        Container('c1', 100, '198.19.1.11/24', '02:00:00:00:01:11',
                  '02:00:00:00:f1:11'),
        Container('c2', 100, '198.19.1.12/24', '02:00:00:00:01:12',
                  '02:00:00:00:f1:12'),
        Container('c3', 200, '198.19.2.13/24', '02:00:00:00:02:13',
                  '02:00:00:00:f2:13', extra_addrs=['198.19.1.13/24']),
        Container('c4', 300, '198.19.3.14/24', '02:00:00:00:03:14',
                  '02:00:00:00:f3:14'),
    ]


class TopoError(RuntimeError):
    """A command needed to build the topology failed."""


def ns_cmd(ns, args):
    """Return @args prefixed to run in namespace @ns (None: root ns)."""
    if ns is None:
        return list(args)
    return [IP, 'netns', 'exec', ns] + list(args)


def run(args, ns=None, check=True, timeout=30, input_text=None):
    """Run a command to completion and return its CompletedProcess.

    Output is captured as text. A non-zero exit raises TopoError when
    @check is true; a command that outlives @timeout is killed and raises
    TopoError as well.
    """
    cmd = ns_cmd(ns, args)
    try:
        res = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=timeout, input=input_text,
                             check=False)
    except subprocess.TimeoutExpired as exc:
        raise TopoError(f"timed out after {timeout}s: "
                        f"{' '.join(cmd)}") from exc
    if check and res.returncode != 0:
        raise TopoError(f"failed ({res.returncode}): {' '.join(cmd)}\n"
                        f"{res.stdout}{res.stderr}")
    return res


def list_netns():
    """Names of the network namespaces known to iproute2."""
    res = run([IP, '-o', 'netns', 'list'], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line]


def list_links(ns=None):
    """Names of the links of a namespace (without the @peer suffix)."""
    res = run([IP, '-o', 'link', 'show'], ns=ns, check=False)
    names = []
    for line in res.stdout.splitlines():
        parts = line.split(':', 2)
        if len(parts) >= 2:
            names.append(parts[1].strip().split('@')[0])
    return names


def _root_link_re(prefix):
    return re.compile(rf'^{re.escape(prefix)}(ulh?|c\d+h)$')


def _kill_pids(pids, grace=3.0):
    """Send SIGTERM, then SIGKILL after @grace seconds, to our own pids."""
    alive = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            alive.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _pid_alive(p)]
        time.sleep(0.05)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pid_alive(pid):
    try:
        with open(f'/proc/{pid}/stat', encoding='ascii') as fh:
            return fh.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def cleanup_prefix(prefix):
    """Remove every namespace and root-ns link that carries @prefix.

    Processes still running inside those namespaces were started by a
    previous run of the same tool and are stopped first.

    @return the list of objects removed (for logging).
    """
    removed = []
    for ns in list_netns():
        if not ns.startswith(prefix + '-'):
            continue
        res = run([IP, 'netns', 'pids', ns], check=False)
        pids = [int(p) for p in res.stdout.split() if p.isdigit()]
        if pids:
            _kill_pids(pids)
        run([IP, 'netns', 'del', ns], check=False)
        removed.append('netns ' + ns)
    pat = _root_link_re(prefix)
    for name in list_links():
        if pat.match(name):
            run([IP, 'link', 'del', name], check=False)
            removed.append('link ' + name)
    # EAL run directories of --no-huge runs (see eal_memory_args()).
    if os.path.isdir(DPDK_RUN_DIR):
        for entry in os.listdir(DPDK_RUN_DIR):
            path = os.path.join(DPDK_RUN_DIR, entry)
            if entry.startswith(prefix + '-') and not _dir_in_use(path):
                shutil.rmtree(path, ignore_errors=True)
    return removed


def _dir_in_use(path):
    """True when a live process of ours still owns the EAL run directory."""
    try:
        pid = int(os.path.basename(path).rsplit('-', 1)[1])
    except (IndexError, ValueError):
        return False
    return pid != os.getpid() and _pid_alive(pid)


def leftovers(prefix):
    """Namespaces and root-ns links with @prefix that still exist."""
    found = [ns for ns in list_netns() if ns.startswith(prefix + '-')]
    pat = _root_link_re(prefix)
    found += [name for name in list_links() if pat.match(name)]
    return found


def hugepages_free_mb():
    """Free 2 MiB (or default size) hugepages, in MiB."""
    free = size_kb = 0
    with open('/proc/meminfo', encoding='ascii') as fh:
        for line in fh:
            if line.startswith('HugePages_Free:'):
                free = int(line.split()[1])
            elif line.startswith('Hugepagesize:'):
                size_kb = int(line.split()[1])
    return free * size_kb // 1024


def eal_memory_args(mem_mb=512, file_prefix=None):
    """EAL memory options: hugepages when enough are free, else --no-huge.

    With hugepages: ``--in-memory -m MB`` (no files, no shared config).
    Without: ``--no-huge -m MB``; EAL refuses --in-memory then, so the
    ``--file-prefix`` keeps concurrent DPDK processes apart. Either way the
    run directory under /var/run/dpdk is removed by cleanup_prefix().
    MFLOWD_NO_HUGE=1 in the environment forces --no-huge.
    """
    forced = os.environ.get('MFLOWD_NO_HUGE', '') not in ('', '0')
    if not forced and hugepages_free_mb() >= mem_mb:
        args = ['--in-memory', '-m', str(mem_mb)]
    else:
        args = ['--no-huge', '-m', str(mem_mb)]
    # EAL makes a run directory even with --in-memory; a prefix of our own
    # lets cleanup_prefix() find and remove it.
    if file_prefix:
        args.append(f'--file-prefix={file_prefix}')
    return args


def interrupt(proc, timeout=5):
    """SIGINT a process (so that it writes its summary), SIGKILL it if it
    does not exit within @timeout seconds; never waits longer than twice
    that."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


class Topology:
    """A set of namespaces and veths, removed on exit whatever happens.

    Use as a context manager; teardown() is also registered with atexit and
    SIGTERM/SIGHUP are turned into SystemExit so that it runs when the
    caller is killed.
    """

    def __init__(self, prefix='mfi', mode='mflowd', pmd='af_packet',
                 underlay_pmd='af_packet', containers=None, vnis=None,
                 offloads_off=True, log=None):
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}')
        if pmd not in PMDS or underlay_pmd not in PMDS:
            raise ValueError(f'pmd must be one of {PMDS}')
        if not re.match(r'^[a-z][a-z0-9]{1,5}$', prefix):
            raise ValueError('prefix must be 2..6 lowercase letters/digits')
        self.prefix = prefix
        self.mode = mode
        self.pmd = pmd
        self.underlay_pmd = underlay_pmd
        self.offloads_off = offloads_off
        self.log = log or (lambda msg: None)
        self.vnis = vnis if vnis is not None else default_vnis()
        self.containers = (containers if containers is not None
                           else default_containers())
        self.vtep_ns = f'{prefix}-vtep'
        self.host_ns = None if mode == 'mflowd' else f'{prefix}-host'
        self.ul_host_if = f'{prefix}ulh'
        self.ul_vtep_if = f'{prefix}ul'
        for c in self.containers:
            c.ns = f'{prefix}-{c.name}'
            c.host_if = f'{prefix}{c.name}h'
            if mode == 'routed':
                c.mtu = UNDERLAY_MTU
            else:
                c.mtu = self.vnis[c.vni].mtu
        self._procs = []
        self._built = False
        self._torn_down = False

    # Helpers ------------------------------------------------------------

    def container(self, name):
        """The Container called @name."""
        for c in self.containers:
            if c.name == name:
                return c
        raise KeyError(name)

    def run(self, ns, args, check=True, timeout=30):
        """Run @args in namespace @ns (None: the root namespace)."""
        return run(args, ns=ns, check=check, timeout=timeout)

    def ip(self, ns, *args, check=True):
        """Run ``ip ARGS`` in @ns."""
        return run([IP] + list(args), ns=ns, check=check)

    def sysctl(self, ns, key, value):
        """Set a sysctl inside @ns."""
        run(['sysctl', '-q', '-w', f'{key}={value}'], ns=ns)

    def popen(self, ns, args, **kwargs):
        """Start a process in @ns; it is stopped at teardown if still alive."""
        kwargs.setdefault('stdout', subprocess.PIPE)
        kwargs.setdefault('stderr', subprocess.STDOUT)
        kwargs.setdefault('text', True)
        proc = subprocess.Popen(ns_cmd(ns, args), **kwargs)
        self._procs.append(proc)
        return proc

    def peer_ip(self, vni=100):
        """Address in the vtep namespace that containers of @vni talk to."""
        if self.mode == 'routed':
            return UL_VTEP_IP4
        return self.vnis[vni].ip

    def devargs(self, index, iface, pmd):
        """DPDK devargs for a PMD owning root-ns interface @iface."""
        if pmd == 'af_xdp':
            return (f'net_af_xdp{index},iface={iface},'
                    'start_queue=0,queue_count=1')
        return f'net_af_packet{index},iface={iface}'

    def mflowd_config(self, stats_file=None, stats_interval=1,
                      dataplane=None):
        """The mflowd configuration for this topology (a JSON-ready dict).

        No static FDB entries or neighbours: mflowd has to learn and
        resolve everything from traffic.
        """
        used_vnis = sorted({c.vni for c in self.containers})
        cfg = {
            'underlay': {
                'port': self.devargs(0, self.ul_host_if, self.underlay_pmd),
                'ip4': f'{UL_HOST_IP4}/{UL_PLEN4}',
                'ip6': f'{UL_HOST_IP6}/{UL_PLEN6}',
                'gateway4': UL_VTEP_IP4,
                'mac': UL_HOST_MAC,
                'mtu': UNDERLAY_MTU,
                'udp_port': VXLAN_PORT,
            },
            'vnis': [{'vni': v, 'vteps': [self.vnis[v].vtep]}
                     for v in used_vnis],
            'endpoints': [
                {'name': c.name,
                 'port': self.devargs(i + 1, c.host_if, self.pmd),
                 'vni': c.vni, 'mac': c.mac, 'mtu': UNDERLAY_MTU}
                for i, c in enumerate(self.containers)],
        }
        if dataplane:
            cfg['dataplane'] = dict(dataplane)
        if stats_file:
            cfg['stats'] = {'file': stats_file, 'interval_s': stats_interval}
        return cfg

    # Build ----------------------------------------------------------------

    def build(self):
        """Create everything. On failure, whatever was made is removed."""
        gone = cleanup_prefix(self.prefix)
        if gone:
            self.log(f'removed leftovers: {", ".join(gone)}')
        atexit.register(self.teardown)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _raise_exit)
        self._built = True
        self._torn_down = False
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def _build(self):
        nss = [self.vtep_ns] + [c.ns for c in self.containers]
        if self.host_ns:
            nss.append(self.host_ns)
        for ns in nss:
            self.ip(None, 'netns', 'add', ns)
            self.ip(ns, 'link', 'set', 'lo', 'up')
        self._build_underlay()
        self._build_vtep()
        for c in self.containers:
            self._build_container(c)
        if self.mode == 'kernel':
            self._build_kernel_host()
        elif self.mode == 'routed':
            self._build_routed_host()
        self.log(f'topology {self.prefix} ({self.mode}) is up: '
                 f'{len(nss)} namespaces')

    def _offload_off(self, ns, dev, pmd_owned):
        if not self.offloads_off and not pmd_owned:
            return
        feats = ['tx', 'off']
        if pmd_owned:
            feats += ['tso', 'off', 'gso', 'off', 'gro', 'off']
        run([ETHTOOL, '-K', dev] + feats, ns=ns)

    def _prepare_pmd_end(self, dev):
        """Make a root-ns veth end fit for a DPDK PMD (no kernel stack)."""
        self.sysctl(None, f'net.ipv6.conf.{dev}.disable_ipv6', 1)
        self.ip(None, 'link', 'set', dev, 'arp', 'off')
        self._offload_off(None, dev, True)
        self.ip(None, 'link', 'set', dev, 'mtu', str(UNDERLAY_MTU), 'up')

    def _build_underlay(self):
        self.ip(self.host_ns, 'link', 'add', self.ul_host_if,
                'address', UL_HOST_MAC, 'type', 'veth', 'peer', 'name',
                self.ul_vtep_if, 'address', UL_VTEP_MAC,
                'netns', self.vtep_ns)
        if self.mode == 'mflowd':
            self._prepare_pmd_end(self.ul_host_if)
            return
        ns, dev = self.host_ns, self.ul_host_if
        self.ip(ns, 'addr', 'add', f'{UL_HOST_IP4}/{UL_PLEN4}', 'dev', dev)
        self.ip(ns, 'addr', 'add', f'{UL_HOST_IP6}/{UL_PLEN6}', 'dev', dev,
                'nodad')
        self._offload_off(ns, dev, False)
        self.ip(ns, 'link', 'set', dev, 'up')

    def _build_vtep(self):
        ns, dev = self.vtep_ns, self.ul_vtep_if
        self.ip(ns, 'addr', 'add', f'{UL_VTEP_IP4}/{UL_PLEN4}', 'dev', dev)
        self.ip(ns, 'addr', 'add', f'{UL_VTEP_IP6}/{UL_PLEN6}', 'dev', dev,
                'nodad')
        self.ip(ns, 'addr', 'add', f'{UL_VTEP_LOOP4}/32', 'dev', 'lo')
        # The kernel would otherwise emit partial checksums that a PMD
        # forwards as they are.
        self._offload_off(ns, dev, False)
        self.ip(ns, 'link', 'set', dev, 'mtu', str(UNDERLAY_MTU), 'up')
        if self.mode == 'routed':
            self.ip(ns, 'route', 'add', '198.19.0.0/16', 'via', UL_HOST_IP4)
            return
        for v in self.vnis.values():
            self.ip(ns, 'link', 'add', v.dev, 'address', v.mac, 'type',
                    'vxlan', 'id', str(v.vni), 'local', v.local, 'remote',
                    v.remote, 'dstport', str(VXLAN_PORT))
            self.sysctl(ns, f'net.ipv6.conf.{v.dev}.disable_ipv6', 1)
            self.ip(ns, 'link', 'set', v.dev, 'mtu', str(v.mtu), 'up')
            self.ip(ns, 'addr', 'add', v.addr, 'brd', '+', 'dev', v.dev)
        # Let "ping -b" reach the overlay broadcast addresses.
        self.sysctl(ns, 'net.ipv4.icmp_echo_ignore_broadcasts', 0)

    def _build_container(self, c):
        self.ip(self.host_ns, 'link', 'add', c.host_if, 'address',
                c.host_mac, 'type', 'veth', 'peer', 'name', 'eth0',
                'address', c.mac, 'netns', c.ns)
        self.sysctl(c.ns, 'net.ipv6.conf.all.disable_ipv6', 1)
        self.sysctl(c.ns, 'net.ipv6.conf.default.disable_ipv6', 1)
        self._offload_off(c.ns, 'eth0', False)
        self.ip(c.ns, 'link', 'set', 'eth0', 'mtu', str(c.mtu), 'up')
        if self.mode == 'routed':
            self.ip(c.ns, 'addr', 'add', c.ip + '/32', 'dev', 'eth0')
            self.ip(c.ns, 'route', 'add', ROUTED_GW, 'dev', 'eth0')
            self.ip(c.ns, 'route', 'add', 'default', 'via', ROUTED_GW)
        else:
            for addr in [c.addr] + c.extra_addrs:
                self.ip(c.ns, 'addr', 'add', addr, 'brd', '+', 'dev', 'eth0')
        if self.mode == 'mflowd':
            self._prepare_pmd_end(c.host_if)

    def _build_kernel_host(self):
        ns = self.host_ns
        self.ip(ns, 'route', 'add', f'{UL_VTEP_LOOP4}/32', 'via', UL_VTEP_IP4)
        for v in sorted({c.vni for c in self.containers}):
            vni = self.vnis[v]
            br, kvx = f'br{v}', f'kvx{v}'
            remote = vni.local
            local = UL_HOST_IP6 if ':' in remote else UL_HOST_IP4
            self.ip(ns, 'link', 'add', br, 'type', 'bridge')
            self.sysctl(ns, f'net.ipv6.conf.{br}.disable_ipv6', 1)
            self.ip(ns, 'link', 'add', kvx, 'type', 'vxlan', 'id', str(v),
                    'local', local, 'remote', remote, 'dstport',
                    str(VXLAN_PORT))
            self.ip(ns, 'link', 'set', kvx, 'mtu', str(vni.mtu), 'master',
                    br, 'up')
            for c in self.containers:
                if c.vni == v:
                    self.ip(ns, 'link', 'set', c.host_if, 'master', br, 'up')
            self.ip(ns, 'link', 'set', br, 'up')

    def _build_routed_host(self):
        ns = self.host_ns
        self.sysctl(ns, 'net.ipv4.ip_forward', 1)
        for c in self.containers:
            self.ip(ns, 'addr', 'add', ROUTED_GW + '/32', 'dev', c.host_if)
            self.ip(ns, 'link', 'set', c.host_if, 'up')
            self.ip(ns, 'route', 'add', c.ip + '/32', 'dev', c.host_if)

    # Teardown -------------------------------------------------------------

    def stop_processes(self):
        """Stop every process started with popen() that is still running."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5
        for proc in self._procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    # Unkillable (D state); the namespace teardown goes on.
                    self.log(f'process {proc.pid} did not exit after SIGKILL')
        self._procs = []

    def teardown(self):
        """Remove the topology; safe to call more than once."""
        if not self._built or self._torn_down:
            return
        self._torn_down = True
        self.stop_processes()
        cleanup_prefix(self.prefix)
        self.log(f'topology {self.prefix} removed')

    def __enter__(self):
        return self.build()

    def __exit__(self, exc_type, exc, tb):
        self.teardown()
        return False


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def wait_for(predicate, timeout, interval=0.1):
    """Poll @predicate until it returns a true value or @timeout passes.

    @return the last value returned by @predicate.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# Traffic helpers shared by the test, the demo and the benchmark. ----------

PING_RE = re.compile(r'(\d+) packets transmitted, (\d+) received')
RTT_RE = re.compile(r'rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)')


def ping(ns, dst, count=5, interval=0.2, size=None, extra=(), timeout=None):
    """Ping @dst from @ns.

    @return dict(sent, received, loss_pct, avg_ms, output).
    """
    args = ['ping', '-n', '-q', '-c', str(count), '-i', str(interval),
            '-W', '1']
    if size is not None:
        args += ['-s', str(size)]
    args += list(extra) + [dst]
    limit = timeout or (count * interval + 5)
    res = run(args, ns=ns, check=False, timeout=limit)
    out = res.stdout + res.stderr
    m = PING_RE.search(out)
    sent, recv = (int(m.group(1)), int(m.group(2))) if m else (count, 0)
    rtt = RTT_RE.search(out)
    return {
        'sent': sent, 'received': recv,
        'loss_pct': 100.0 * (sent - recv) / sent if sent else 100.0,
        'avg_ms': float(rtt.group(2)) if rtt else None,
        'output': out.strip(),
    }


def _num(pattern, text, cast=float):
    m = re.search(pattern, text)
    return cast(m.group(1)) if m else None


def parse_sockperf_pp(text):
    """Parse the client output of ``sockperf ping-pong``.

    Latencies are sockperf's (half the round trip), in usec.
    """
    text = re.sub(r'\x1b\[[0-9;]*m', '', text)
    return {
        'sent': _num(r'\[Valid Duration\].*SentMessages=(\d+)', text, int),
        'received': _num(r'\[Valid Duration\].*ReceivedMessages=(\d+)',
                         text, int),
        'avg_us': _num(r'avg-latency=([\d.]+)', text),
        'p50_us': _num(r'percentile 50\.000 =\s*([\d.]+)', text),
        'p99_us': _num(r'percentile 99\.000 =\s*([\d.]+)', text),
        'p999_us': _num(r'percentile 99\.900 =\s*([\d.]+)', text),
        'max_us': _num(r'<MAX> observation =\s*([\d.]+)', text),
        'dropped': _num(r'# dropped messages = (\d+)', text, int),
        'duplicated': _num(r'# duplicated messages = (\d+)', text, int),
        'out_of_order': _num(r'# out-of-order messages = (\d+)', text, int),
    }


def parse_sockperf_tp(client_text, server_text):
    """Parse ``sockperf throughput`` client output and the server summary.

    Loss is the count the client sent minus the count the server reports
    (the server prints its total when stopped with SIGINT).
    """
    client_text = re.sub(r'\x1b\[[0-9;]*m', '', client_text)
    server_text = re.sub(r'\x1b\[[0-9;]*m', '', server_text or '')
    sent = _num(r'Total of (\d+) messages sent', client_text, int)
    recv = _num(r'Total (\d+) messages received', server_text, int)
    res = {
        'sent': sent,
        'received': recv,
        'msg_per_s': _num(r'Message Rate is (\d+)', client_text, int),
        'mbit_per_s': _num(r'BandWidth is [\d.]+ MBps \(([\d.]+) Mbps\)',
                           client_text),
        'dropped': None,
    }
    if sent is not None and recv is not None:
        res['dropped'] = max(0, sent - recv)
    return res


class SockperfServer:
    """A ``sockperf server`` in a namespace, stopped with SIGINT for totals.

    The receive buffer defaults to 4 MiB: on a 2-core machine the server is
    often descheduled for a few milliseconds, and the default 208 KiB buffer
    then overflows at 20k msg/s although the network path lost nothing.
    """

    def __init__(self, topo, ns, ip, port=11111, cpu=None,
                 buffer_size=4 << 20):
        self.topo = topo
        args = ['sockperf', 'server', '-i', ip, '-p', str(port)]
        if buffer_size:
            args += ['--buffer-size', str(buffer_size)]
        if cpu is not None:
            args = ['taskset', '-c', str(cpu)] + args
        self.proc = topo.popen(ns, args)
        self._lines = []
        # Read asynchronously so the pipe never fills.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: any('listen on' in ln or 'IP =' in ln
                             for ln in self._lines), 5)
        time.sleep(0.2)

    def _read(self):
        for line in self.proc.stdout:
            self._lines.append(line)

    def stop(self):
        """Stop the server; @return its whole output."""
        # ip netns exec replaces itself with the command, so the pid is the
        # server's (or taskset's, which execs it too).
        interrupt(self.proc)
        self._reader.join(2)
        return ''.join(self._lines)


def sockperf_client(ns, mode, ip, port=11111, seconds=3, msg_size=64,
                    mps=None, cpu=None, timeout=None):
    """Run a sockperf client (``ping-pong`` or ``throughput``) to completion.

    @return the client's output text.
    """
    args = ['sockperf', mode, '-i', ip, '-p', str(port), '-t', str(seconds),
            '-m', str(msg_size)]
    if mps is not None:
        args += [f'--mps={mps}']
    if cpu is not None:
        args = ['taskset', '-c', str(cpu)] + args
    res = run(args, ns=ns, check=False, timeout=timeout or seconds + 15)
    return res.stdout + res.stderr


def preflight(tools):
    """Check what every integration test needs before it starts.

    @return None when the test may run; otherwise the exit status: 77
    (meson's skip) without root, or 1 under MFLOWD_TEST_STRICT, and 1 when
    one of @p tools is missing.
    """
    if os.geteuid() != 0:
        print('SKIP: needs root')
        return 1 if os.environ.get('MFLOWD_TEST_STRICT') else 77
    for tool in tools:
        if shutil.which(tool) is None:
            print(f'FAIL: {tool} is not installed')
            print('0 passed, 1 failed')
            return 1
    return None
