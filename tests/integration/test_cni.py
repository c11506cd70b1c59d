#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mflow-cni, run the way a container runtime runs a CNI plugin.

Every call sets the CNI_* environment variables, writes the network
configuration on stdin and reads the result or error JSON from stdout,
with network namespaces this test creates (as a runtime does before it
calls ADD). IPAM is delegated to the real reference plugins host-local and
static (Debian's containernetworking-plugins), and mflowd carries the
traffic to the kernel VTEP.

1. VERSION lists the versions; STATUS answers while mflowd runs.
2. ADD puts three sandboxes on the overlay: a and b on VNI 100 (host-local,
   and static with the MAC from runtimeConfig), c on VNI 200. The result
   follows the spec (interfaces, sandbox, ips pointing at the container
   interface), and the addresses, MACs and ports are what it says.
3. Reach: the VTEP pings a through the kernel vxlan device and mflowd, a
   pings b, a cannot reach c, sockperf ping-pong VTEP -> a loses nothing.
   The next plugin of a chain (tuning) accepts our result as prevResult.
4. CHECK passes on the ADD result and fails, with code 101, when the
   address is gone or the port is detached.
5. Bad input gets a CNI error with the right code and leaves nothing: bad
   environment, bad JSON, unsupported version, bad keys, a missing netns,
   a VNI mflowd does not have, an interface already there, a missing IPAM
   plugin, mflowd not listening.
6. DEL removes everything (port, veth, IP lease, record) and is
   idempotent: again, without CNI_NETNS, after the netns is gone.
7. GC removes the attachments that are not in the valid list.
8. 20 ADD/DEL cycles (AF_XDP) leave nothing, not even a descriptor in
   mflowd; with mflowd stopped, STATUS says
   unavailable and DEL still succeeds.

There are no timing assertions.

Usage (as root): test_cni.py --mflowd build/mflowd --mflowctl build/mflowctl
                 --cni build/mflow-cni
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topo  # noqa: E402  pylint: disable=wrong-import-position
# pylint: disable-next=wrong-import-position
from test_overlay import Checks, info  # noqa: E402
# pylint: disable-next=wrong-import-position
from test_control import ControlDaemon  # noqa: E402
# pylint: disable-next=wrong-import-position
from harness import (CheckGroups, fd_growth, fd_kinds,  # noqa: E402
                     pool_avail, pool_loss)

PREFIX = 'mcn'
SP_PORT = 11611
VNIS = topo.default_vnis()
VX100, VX200 = VNIS[100], VNIS[200]
CNI_DIRS = ('/usr/lib/cni', '/opt/cni/bin')
CYCLES = 20


def cni_bin_dir():
    """The directory of the reference plugins, or None."""
    for d in CNI_DIRS:
        if os.access(os.path.join(d, 'host-local'), os.X_OK):
            return d
    return None


class CniTest(CheckGroups):
    """All checks, in order."""

    def __init__(self, args):
        self.args = args
        self.c = Checks()
        self.workdir = tempfile.mkdtemp(prefix=f'{PREFIX}-')
        self.data_dir = os.path.join(self.workdir, 'cni')
        self.ipam_dir = os.path.join(self.workdir, 'ipam')
        self.t = topo.Topology(prefix=PREFIX, mode='mflowd', pmd='af_xdp',
                               underlay_pmd='af_xdp', containers=[],
                               vnis={100: VX100, 200: VX200}, log=info)
        self.md = None
        self.pools0 = {}  # Free mbufs of the pools before the first ADD.
        self.netns = []   # Sandboxes we made.
        self.results = {}  # Sandbox -> ADD result.
        # The plugin's directory first, then the reference plugins.
        self.cni_path = ':'.join([os.path.dirname(
            os.path.abspath(args.cni)), cni_bin_dir() or CNI_DIRS[0]])

    # Helpers ----------------------------------------------------------------

    def config(self):
        cfg = self.t.mflowd_config()
        cfg['vnis'] = [{'vni': v.vni, 'vteps': [v.vtep]}
                       for v in (VX100, VX200)]
        cfg['containers'] = {'enabled': False}
        return cfg

    def conf(self, vni=100, name=f'{PREFIX}-net', version='1.0.0',
             ipam='host-local', **extra):
        """A network configuration as a runtime would pass it."""
        c = {'cniVersion': version, 'name': name, 'type': 'mflow-cni',
             'vni': vni, 'socket': self.md.sock_path,
             'dataDir': self.data_dir, 'timeout': 60}
        subnet = '198.19.1.0/24' if vni != 200 else '198.19.2.0/24'
        if ipam == 'host-local':
            c['ipam'] = {'type': 'host-local',
                         'dataDir': self.ipam_dir,
                         'ranges': [[{'subnet': subnet,
                                      'rangeStart': subnet[:-4] + '60',
                                      'rangeEnd': subnet[:-4] + '99'}]],
                         'routes': [{'dst': '198.19.100.0/24'}]}
        elif ipam is not None:
            c['ipam'] = ipam
        c.update(extra)
        return c

    def cni(self, cmd, conf, cid=None, netns=None, ifname='eth0',
            env=None, raw=None):
        """Run the plugin; @return (exit status, stdout JSON or text, stderr)."""
        e = {'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
             'CNI_PATH': self.cni_path}
        if cmd is not None:
            e['CNI_COMMAND'] = cmd
        if cid is not None:
            e['CNI_CONTAINERID'] = cid
            e['CNI_IFNAME'] = ifname
        if netns is not None:
            e['CNI_NETNS'] = netns if netns.startswith('/') \
                else f'/run/netns/{netns}'
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        text = raw if raw is not None else json.dumps(conf)
        try:
            res = subprocess.run([self.args.cni], input=text, env=e,
                                 capture_output=True, text=True, timeout=120,
                                 check=False)
        except subprocess.TimeoutExpired:
            return None, None, 'mflow-cni timed out'
        out = res.stdout
        if out.strip():
            try:
                out = json.loads(out)
            except ValueError:
                pass
        return res.returncode, out, res.stderr.strip()

    def add(self, sandbox, conf, cid=None):
        if sandbox not in self.netns:
            topo.run(['ip', 'netns', 'add', sandbox])
            self.netns.append(sandbox)
        rc, out, err = self.cni('ADD', conf, cid or f'id-{sandbox}', sandbox)
        if rc == 0:
            self.results[sandbox] = out
        return rc, out, err

    def ctl(self, *args):
        cmd = [self.args.mflowctl, '--socket', self.md.sock_path, '--json',
               '--timeout', '60'] + [str(a) for a in args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=70,
                             check=False)
        try:
            return res.returncode, json.loads(res.stdout or 'null')
        except ValueError:
            return res.returncode, res.stdout

    def ports(self):
        rc, out = self.ctl('port', 'show')
        return {p['name']: p for p in out} if rc == 0 else {}

    def pools(self):
        """Free mbufs of mflowd's packet pools, by name."""
        rc, out = self.ctl('stats')
        return pool_avail(out if rc == 0 else None)

    @staticmethod
    def cni_links():
        return {n for n in topo.list_links() if n.startswith('mfcni')}

    def leases(self, network=f'{PREFIX}-net'):
        d = os.path.join(self.ipam_dir, network)
        if not os.path.isdir(d):
            return set()
        return {f for f in os.listdir(d) if f[0].isdigit()}

    def records(self, network=f'{PREFIX}-net'):
        d = os.path.join(self.data_dir, network)
        return set(os.listdir(d)) if os.path.isdir(d) else set()

    def state(self):
        """What the plugin can leave behind, to compare before and after."""
        return {'ports': set(self.ports()), 'links': self.cni_links(),
                'leases': self.leases(), 'records': self.records()}

    def ping(self, ns, dst, count=3):
        return topo.ping(ns, dst, count=count, timeout=15)['received']

    @staticmethod
    def addr_of(result, idx=0):
        return result['ips'][idx]['address'].split('/')[0]

    def error_check(self, what, rc, out, code, needle=''):
        ok = (rc == 1 and isinstance(out, dict) and out.get('code') == code
              and needle in out.get('msg', '') and 'cniVersion' in out)
        return self.c.check(what, ok, f'exit {rc}: {out}')

    # Checks -----------------------------------------------------------------

    def check_version_status(self):
        """1. VERSION and STATUS."""
        rc, out, err = self.cni('VERSION', {'cniVersion': '1.0.0'})
        self.c.check('VERSION lists 0.3.0 .. 1.1.0',
                     rc == 0 and isinstance(out, dict)
                     and {'0.3.1', '0.4.0', '1.0.0', '1.1.0'} <=
                     set(out.get('supportedVersions', [])), f'{out} {err}')
        rc, out, err = self.cni('STATUS', self.conf(version='1.1.0'))
        self.c.check('STATUS succeeds while mflowd runs', rc == 0 and out ==
                     '', f'exit {rc}: {out} {err}')

    def check_add(self):
        """2. ADD three sandboxes."""
        rc, out, err = self.add(f'{PREFIX}-a', self.conf())
        self.c.check('ADD a (VNI 100, host-local IPAM)', rc == 0,
                     f'exit {rc}: {out} {err}')
        if rc != 0:
            raise RuntimeError('ADD a failed')
        ifs = out.get('interfaces', [])
        ips = out.get('ips', [])
        self.c.check('the result: host and container interfaces, the '
                     'sandbox, an IP on interface 1 with its gateway',
                     out.get('cniVersion') == '1.0.0' and len(ifs) == 2
                     and ifs[0]['name'].startswith('mfcni')
                     and ifs[1].get('sandbox') == f'/run/netns/{PREFIX}-a'
                     and ifs[1]['name'] == 'eth0' and len(ips) == 1
                     and ips[0].get('interface') == 1
                     and ips[0]['address'].startswith('198.19.1.')
                     and ips[0].get('gateway') == '198.19.1.1'
                     and 'version' not in ips[0], json.dumps(out))
        link = json.loads(topo.run(['ip', '-j', 'addr', 'show', 'eth0'],
                                   ns=f'{PREFIX}-a').stdout)[0]
        self.c.check('eth0 in the sandbox has the MAC, address and MTU of '
                     'the result', link['address'] == ifs[1]['mac']
                     and link['mtu'] == 1450 and any(
                         a['local'] == self.addr_of(out)
                         for a in link['addr_info']), json.dumps(link)[:300])
        routes = topo.run(['ip', 'route'], ns=f'{PREFIX}-a').stdout
        self.c.check('the IPAM route is in the sandbox (via the gateway)',
                     '198.19.100.0/24 via 198.19.1.1' in routes, routes)
        port = next((p for n, p in self.ports().items()
                     if n.startswith('cni-')), {})
        self.c.check('mflowd has the port, on VNI 100 with the MAC',
                     port.get('vni') == 100
                     and port.get('mac', '').lower() == ifs[1]['mac']
                     and 'iface=' + ifs[0]['name'] in port.get('devargs', ''),
                     json.dumps(port))
        mac_b = '02:00:00:00:0b:0b'
        conf_b = self.conf(ipam={'type': 'static', 'addresses': [
            {'address': '198.19.1.120/24', 'gateway': '198.19.1.1'}]},
            runtimeConfig={'mac': mac_b})
        rc, out, err = self.add(f'{PREFIX}-b', conf_b)
        self.c.check('ADD b (static IPAM, MAC from runtimeConfig)',
                     rc == 0 and out['interfaces'][1]['mac'] == mac_b
                     and self.addr_of(out) == '198.19.1.120',
                     f'exit {rc}: {out} {err}')
        rc, out, err = self.add(f'{PREFIX}-c', self.conf(
            vni=200, name=f'{PREFIX}-net2', version='0.4.0'))
        self.c.check('ADD c (VNI 200, another network, cniVersion 0.4.0: '
                     'IPs carry "version")',
                     rc == 0 and out['ips'][0].get('version') == '4'
                     and out['cniVersion'] == '0.4.0',
                     f'exit {rc}: {out} {err}')

    def check_reach(self):
        """3. Reach, isolation, sockperf, chaining."""
        a = self.addr_of(self.results[f'{PREFIX}-a'])
        c = self.addr_of(self.results[f'{PREFIX}-c'])
        self.c.check('VTEP -> a through the kernel vxlan device and mflowd',
                     self.ping(self.t.vtep_ns, a) == 3)
        self.c.check('a -> b (same VNI, switched by mflowd)',
                     self.ping(f'{PREFIX}-a', '198.19.1.120') == 3)
        self.c.check('c -> its VTEP (VNI 200, IPv6 underlay)',
                     self.ping(f'{PREFIX}-c', VX200.ip) == 3)
        self.c.check('a cannot reach c (VNI 200)',
                     self.ping(f'{PREFIX}-a', c, 2) == 0)
        srv = topo.SockperfServer(self.t, f'{PREFIX}-a', a, port=SP_PORT)
        try:
            cli = topo.run(['sockperf', 'ping-pong', '-i', a, '-p',
                            str(SP_PORT), '-t', '3', '-m', '64'],
                           ns=self.t.vtep_ns, check=False, timeout=30)
        finally:
            srv.stop()
        pp = topo.parse_sockperf_pp(cli.stdout + cli.stderr)
        self.c.check('sockperf ping-pong VTEP -> a: replies, 0 dropped, '
                     '0 out of order', bool(pp['received'])
                     and pp['dropped'] == 0 and pp['out_of_order'] == 0,
                     f"sent {pp['sent']} replies {pp['received']}")
        # The next plugin of a chain gets our result as prevResult.
        tuning = os.path.join(cni_bin_dir() or CNI_DIRS[0], 'tuning')
        conf = {'cniVersion': '1.0.0', 'name': f'{PREFIX}-net',
                'type': 'tuning', 'sysctl': {
                    'net.ipv4.conf.eth0.arp_notify': '1'},
                'prevResult': self.results[f'{PREFIX}-a']}
        env = {'PATH': os.environ.get('PATH', ''), 'CNI_COMMAND': 'ADD',
               'CNI_CONTAINERID': f'id-{PREFIX}-a', 'CNI_IFNAME': 'eth0',
               'CNI_NETNS': f'/run/netns/{PREFIX}-a',
               'CNI_PATH': self.cni_path}
        res = subprocess.run([tuning], input=json.dumps(conf), env=env,
                             capture_output=True, text=True, timeout=30,
                             check=False)
        val = topo.run(['sysctl', '-n', 'net.ipv4.conf.eth0.arp_notify'],
                       ns=f'{PREFIX}-a', check=False).stdout.strip()
        self.c.check('the reference tuning plugin chains after ours '
                     '(takes our result as prevResult)',
                     res.returncode == 0 and val == '1',
                     f'{res.returncode}: {res.stdout} {res.stderr}')

    def check_check(self):
        """4. CHECK."""
        sb = f'{PREFIX}-a'
        prev = self.results[sb]
        conf = self.conf(prevResult=prev)
        rc, out, err = self.cni('CHECK', conf, f'id-{sb}', sb)
        self.c.check('CHECK passes on the ADD result', rc == 0,
                     f'exit {rc}: {out} {err}')
        addr = prev['ips'][0]['address']
        topo.run(['ip', 'addr', 'del', addr, 'dev', 'eth0'], ns=sb)
        rc, out, _ = self.cni('CHECK', conf, f'id-{sb}', sb)
        self.error_check('CHECK fails (101) when the address is gone', rc,
                         out, 101, addr)
        topo.run(['ip', 'addr', 'add', addr, 'dev', 'eth0'], ns=sb)
        port = next(n for n, p in self.ports().items()
                    if n.startswith('cni-') and p.get('mac', '').lower() ==
                    prev['interfaces'][1]['mac'])
        self.ctl('endpoint', 'detach', port)
        rc, out, _ = self.cni('CHECK', conf, f'id-{sb}', sb)
        self.error_check('CHECK fails (101) when the port is detached', rc,
                         out, 101, 'not attached')
        self.ctl('endpoint', 'attach', port, 100,
                 prev['interfaces'][1]['mac'])
        rc, out, err = self.cni('CHECK', conf, f'id-{sb}', sb)
        self.c.check('CHECK passes again once repaired', rc == 0,
                     f'exit {rc}: {out} {err}')
        rc, out, _ = self.cni('CHECK', self.conf(), f'id-{sb}', sb)
        self.error_check('CHECK without prevResult is refused (7)', rc, out,
                         7, 'prevResult')

    def check_bad_input(self):
        """5. Bad input: a CNI error with its code, and nothing changes."""
        before = self.state()
        sb = f'{PREFIX}-x'
        topo.run(['ip', 'netns', 'add', sb])
        self.netns.append(sb)
        good = self.conf()
        cases = [
            ('no CNI_COMMAND', None, good, {}, None, 4, 'CNI_COMMAND'),
            ('an unknown CNI_COMMAND', 'FROB', good, {}, None, 4, 'FROB'),
            ('no CNI_CONTAINERID', 'ADD', good,
             {'CNI_CONTAINERID': None}, None, 4, 'CNI_CONTAINERID'),
            ('a container ID with a slash', 'ADD', good,
             {'CNI_CONTAINERID': 'a/b'}, None, 4, 'CNI_CONTAINERID'),
            ('a relative CNI_NETNS', 'ADD', good,
             {'CNI_NETNS': 'relative'}, None, 4, 'CNI_NETNS'),
            ('a bad CNI_IFNAME', 'ADD', good,
             {'CNI_IFNAME': 'much-too-long-name0'}, None, 4, 'CNI_IFNAME'),
            ('a bad MAC in CNI_ARGS', 'ADD', good,
             {'CNI_ARGS': 'IgnoreUnknown=1;MAC=01:00:00:00:00:01'}, None, 4,
             'MAC'),
            ('text that is not JSON', 'ADD', good, {}, '{"cniVersion": ',
             6, 'not JSON'),
            ('an unsupported cniVersion', 'ADD',
             dict(good, cniVersion='9.9.9'), {}, None, 1, '9.9.9'),
            ('no vni', 'ADD', {k: v for k, v in good.items() if k != 'vni'},
             {}, None, 7, 'vni'),
            ('a vni of 2^24', 'ADD', dict(good, vni=1 << 24), {}, None, 7,
             'vni'),
            ('an MTU of 100', 'ADD', dict(good, mtu=100), {}, None, 7, 'mtu'),
            ('an unknown pmd', 'ADD', dict(good, pmd='dpdk'), {}, None, 7,
             'pmd'),
            ('a relative socket', 'ADD', dict(good, socket='x.sock'), {},
             None, 7, 'socket'),
            ('a network name with a slash', 'ADD', dict(good, name='a/b'),
             {}, None, 7, 'name'),
            ('an ipam without a type', 'ADD', dict(good, ipam={'x': 1}), {},
             None, 7, 'ipam'),
            ('a sandbox that does not exist', 'ADD', good,
             {'CNI_NETNS': '/run/netns/mcn-nonexistent'}, None, 3,
             'CNI_NETNS'),
            ('a file that is not a netns', 'ADD', good,
             {'CNI_NETNS': '/etc/hostname'}, None, 3, 'not a network'),
            ('a VNI mflowd does not have', 'ADD', self.conf(vni=4242), {},
             None, 100, 'VNI'),
            ('an IPAM plugin missing from CNI_PATH', 'ADD',
             self.conf(ipam={'type': 'no-such-ipam'}), {}, None, 102,
             'no-such-ipam'),
            ('mflowd not listening', 'ADD',
             dict(good, socket=os.path.join(self.workdir, 'none.sock')), {},
             None, 11, 'mflowd'),
            ('GC before 1.1.0', 'GC', good, {}, None, 1, 'GC'),
        ]
        for what, cmd, conf, env, raw, code, needle in cases:
            base_env = {'CNI_CONTAINERID': f'id-{sb}', 'CNI_IFNAME': 'eth0',
                        'CNI_NETNS': f'/run/netns/{sb}'}
            base_env.update(env)
            rc, out, _ = self.cni(cmd, conf, env=base_env, raw=raw)
            self.error_check(f'bad input: {what} -> code {code}', rc, out,
                             code, needle)
        after = self.state()
        self.c.check('bad input left nothing (ports, links, IP leases, '
                     'records)', after == before, f'{before} -> {after}')
        links = topo.list_links(ns=sb)
        self.c.check('and nothing in the sandbox', links == ['lo'],
                     str(links))
        # An interface already in the sandbox: refused, the other intact.
        sba = f'{PREFIX}-a'
        rc, out, _ = self.cni('ADD', self.conf(), 'another-id', sba)
        self.error_check('ADD onto an existing eth0 is refused (103)', rc,
                         out, 103, 'exists')
        self.c.check('and a still answers, nothing was added',
                     self.ping(self.t.vtep_ns, self.addr_of(
                         self.results[sba])) == 3
                     and self.state() == before, str(self.state()))

    def check_del(self):
        """6. DEL is complete and idempotent."""
        sb = f'{PREFIX}-a'
        before = self.state()
        rc, out, err = self.cni('DEL', self.conf(), f'id-{sb}', sb)
        after = self.state()
        self.c.check('DEL a succeeds and prints nothing', rc == 0
                     and out == '', f'exit {rc}: {out} {err}')
        self.c.check('DEL removed a port, a host link, a lease, a record',
                     all(len(before[k] - after[k]) == 1 for k in before)
                     and all(not after[k] - before[k] for k in before),
                     f'{before} -> {after}')
        self.c.check('eth0 is gone from the sandbox',
                     topo.list_links(ns=sb) == ['lo'],
                     str(topo.list_links(ns=sb)))
        rc, out, err = self.cni('DEL', self.conf(), f'id-{sb}', sb)
        self.c.check('DEL again succeeds (idempotent)', rc == 0,
                     f'exit {rc}: {out} {err}')
        rc, out, err = self.cni('DEL', self.conf(), f'id-{sb}', None)
        self.c.check('DEL without CNI_NETNS succeeds', rc == 0,
                     f'exit {rc}: {out} {err}')
        # b: its sandbox goes first, as when a pod's netns is torn down.
        sb = f'{PREFIX}-b'
        topo.run(['ip', 'netns', 'del', sb])
        self.netns.remove(sb)
        rc, out, err = self.cni('DEL', self.conf(ipam={
            'type': 'static', 'addresses': [
                {'address': '198.19.1.120/24'}]}), f'id-{sb}', sb)
        st = self.state()
        self.c.check('DEL after the sandbox is gone succeeds and removes '
                     'the port', rc == 0 and len(st['ports']) ==
                     len(after['ports']) - 1, f'exit {rc}: {out} {err}')
        for net, vni in ((f'{PREFIX}-net2', 200),):
            rc, out, err = self.cni('DEL', self.conf(vni=vni, name=net),
                                    f'id-{PREFIX}-c', f'{PREFIX}-c')
            self.c.check('DEL c', rc == 0, f'exit {rc}: {out} {err}')
        st = self.state()
        self.c.check('nothing of ours is left in mflowd or on the host',
                     not any(p.startswith('cni-') for p in st['ports'])
                     and not st['links'] and not st['leases']
                     and not st['records'], str(st))

    def check_gc(self):
        """7. GC removes what is not in the valid list."""
        conf = self.conf(version='1.1.0')
        for sb in (f'{PREFIX}-d', f'{PREFIX}-e'):
            rc, out, err = self.add(sb, conf)
            self.c.check(f'ADD {sb} (cniVersion 1.1.0: interfaces carry '
                         'their MTU)', rc == 0 and out['interfaces'][1].get(
                             'mtu') == 1450, f'exit {rc}: {out} {err}')
        before = self.state()
        gc = dict(conf)
        gc['cni.dev/valid-attachments'] = [
            {'containerID': f'id-{PREFIX}-d', 'ifname': 'eth0'}]
        rc, out, err = self.cni('GC', gc)
        after = self.state()
        self.c.check('GC succeeds', rc == 0, f'exit {rc}: {out} {err}')
        self.c.check('GC removed e (port, link, record, lease) and kept d',
                     all(len(before[k] - after[k]) == 1 for k in before)
                     and self.ping(self.t.vtep_ns, self.addr_of(
                         self.results[f'{PREFIX}-d'])) == 3,
                     f'{before} -> {after}')
        self.c.check('e\'s sandbox lost its interface',
                     topo.list_links(ns=f'{PREFIX}-e') == ['lo'])
        rc, _, _ = self.cni('DEL', conf, f'id-{PREFIX}-d', f'{PREFIX}-d')
        self.c.check('DEL d', rc == 0)

    def check_cycles(self):
        """8. Cycles, then mflowd gone."""
        sb = f'{PREFIX}-y'
        topo.run(['ip', 'netns', 'add', sb])
        self.netns.append(sb)
        before = self.state()
        fds0 = fd_kinds(self.md.proc.pid)
        pools1 = self.pools()
        lost = pool_loss(self.pools0, pools1)
        self.c.check('the ports that carried traffic gave their mbufs back '
                     'to the pools', pools1 and not lost,
                     f'{self.pools0} -> {pools1}, lost {lost}')
        conf = self.conf()
        bad = []
        for i in range(CYCLES):
            rc, out, err = self.cni('ADD', conf, f'cyc{i}', sb)
            if rc != 0:
                bad.append(f'ADD {i}: {out} {err}')
                break
            rc, out, err = self.cni('DEL', conf, f'cyc{i}', sb)
            if rc != 0:
                bad.append(f'DEL {i}: {out} {err}')
                break
        self.c.check(f'{CYCLES} ADD/DEL cycles succeed', not bad,
                     '; '.join(bad))
        after = self.state()
        self.c.check('and leave nothing behind', after == before
                     and topo.list_links(ns=sb) == ['lo'],
                     f'{before} -> {after}')
        pools2 = self.pools()
        lost = pool_loss(pools1, pools2)
        self.c.check(f'{CYCLES} cycles take no mbufs out of the pools',
                     pools2 and not lost, f'{pools1} -> {pools2}, lost {lost}')
        grew = fd_growth(fds0, fd_kinds(self.md.proc.pid))
        self.c.check('and mflowd holds no more descriptors (AF_XDP sockets, '
                     'BPF programs and maps included)', not grew,
                     f'grew {grew}')
        rc, out, err = self.add(f'{PREFIX}-z', conf)
        self.c.check('ADD z before mflowd stops', rc == 0,
                     f'exit {rc}: {out} {err}')
        self.md.stop()
        rc, out, _ = self.cni('STATUS', self.conf(version='1.1.0'))
        self.error_check('STATUS says unavailable (50) without mflowd', rc,
                         out, 50, 'mflowd')
        rc, out, _ = self.cni('ADD', conf, 'id-late', sb)
        self.error_check('ADD without mflowd: try again later (11)', rc,
                         out, 11, 'mflowd')
        rc, out, err = self.cni('DEL', conf, f'id-{PREFIX}-z', f'{PREFIX}-z')
        self.c.check('DEL without mflowd succeeds and removes the link, '
                     'lease and record', rc == 0 and not self.cni_links()
                     and not self.leases() and not self.records(),
                     f'exit {rc}: {out} {err}')

    # Running ----------------------------------------------------------------

    def run(self):
        try:
            self.t.build()
            self.md = ControlDaemon(self.args.mflowd, self.t, self.workdir,
                                    self.config())
            if not self.c.check('mflowd starts', self.md.start(),
                                self.md.log_tail(20)):
                return self.finish()
            self.pools0 = self.pools()
            for group in (self.check_version_status, self.check_add,
                          self.check_reach, self.check_check,
                          self.check_bad_input, self.check_del,
                          self.check_gc, self.check_cycles):
                self.guarded(group)
                if group != self.check_cycles and not self.md.alive():
                    self.c.check('mflowd is alive', False,
                                 self.md.log_tail(30))
                    break
        finally:
            if self.md is not None and self.md.alive():
                self.md.stop()
            for link in self.cni_links():
                subprocess.run(['ip', 'link', 'del', link],
                               capture_output=True, check=False)
            for ns in self.netns:
                subprocess.run(['ip', 'netns', 'del', ns],
                               capture_output=True, check=False)
            self.t.teardown()
        return self.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--mflowd', required=True)
    ap.add_argument('--mflowctl', required=True)
    ap.add_argument('--cni', required=True, help='the mflow-cni binary')
    args = ap.parse_args()
    if os.geteuid() != 0:
        print('SKIP: needs root')
        return 77
    if cni_bin_dir() is None:
        print('FAIL: the reference CNI plugins are missing '
              '(containernetworking-plugins; scripts/deps.sh installs them)')
        return 1
    if shutil.which('sockperf') is None:
        print('FAIL: sockperf is missing (scripts/deps.sh installs it)')
        return 1
    return CniTest(args).run()


if __name__ == '__main__':
    sys.exit(main())
