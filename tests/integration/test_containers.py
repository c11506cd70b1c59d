#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Containers made by mflowd, on the overlay, against the kernel VTEP.

mflowd runs with an empty dataplane (two VNIs, no endpoints); every
container comes from ``mflowctl container create``: a netns, a veth pair
configured over netlink, the host end hot-plugged as a DPDK port and
attached to the VNI, and a process run by runc with the host's tools.

1. Create c1 and c2 on VNI 100 and c3 on VNI 200; each runs, has its
   address, MAC and port.
2. Reach: the remote VTEP pings c1 through the kernel vxlan device and
   mflowd; c1 pings c2 (local switching); c3 pings its VTEP over IPv6
   underlay; sockperf ping-pong from the VTEP to a server inside c1 loses
   nothing.
3. Isolation: c1 cannot reach c3 (other VNI).
4. exec, stop and start: the process runs again, the network stayed.
   The same methods over CoAP with coap-client (discovery, show, create,
   delete, a VNI of 2^24 refused with 4.00).
5. Bad input changes nothing: a duplicate name, an IP already used in the
   VNI, a missing bundle, a missing runtime, a process that exits at once.
6. mflowd restarts: the containers are re-adopted and reachable again; a
   create interrupted by SIGKILL is undone at the next start.
7. Delete: nothing is left (netns, links, ports, runtime containers,
   processes, records).
8. 100 create/delete cycles leave nothing behind and leak no descriptor.

There are no timing assertions.

Usage (as root): test_containers.py --mflowd build/mflowd --mflowctl build/mflowctl
"""

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

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

PREFIX = 'mct'
SP_PORT = 11511
VNIS = topo.default_vnis()
VX100, VX200 = VNIS[100], VNIS[200]
# Container names are global (netns mf-<name>), so they carry our prefix.
C1, C2, C3 = 'mct1', 'mct2', 'mct3'
IP1, IP2, IP3 = '198.19.1.41', '198.19.1.42', '198.19.2.43'
CYCLES = 100
# A container init that exits on SIGTERM (a pid 1 without a handler ignores
# it, and the delete then waits the whole grace period before SIGKILL).
STOPPABLE = ['sh', '-c', "trap 'exit 0' TERM; sleep 100000 & wait"]
COAP_PORT = 56840
COAP_CLIENT = 'coap-client-notls'


class ContainerTest(CheckGroups):
    """All checks, in order."""

    def __init__(self, args):
        self.args = args
        self.c = Checks()
        self.workdir = tempfile.mkdtemp(prefix=f'{PREFIX}-')
        self.state_dir = os.path.join(self.workdir, 'state')
        self.run_dir = os.path.join(self.workdir, 'run')
        self.t = topo.Topology(prefix=PREFIX, mode='mflowd', pmd='af_xdp',
                               underlay_pmd='af_xdp', containers=[],
                               vnis={100: VX100, 200: VX200}, log=info)
        self.md = None
        # Host veth ends that exist and are expected to (checks compare).
        self.base_links = set()

    # Helpers ----------------------------------------------------------------

    def config(self):
        cfg = self.t.mflowd_config()
        cfg['vnis'] = [{'vni': v.vni, 'vteps': [v.vtep]}
                       for v in (VX100, VX200)]
        cfg['containers'] = {'state_dir': self.state_dir,
                             'run_dir': self.run_dir, 'runtime': 'runc'}
        cfg['coap'] = {'enabled': True, 'address': '127.0.0.1',
                       'port': COAP_PORT}
        return cfg

    def coap(self, method, path, payload=None, query=None):
        """Run libcoap's coap-client; @return (exit status, output)."""
        uri = f'coap://127.0.0.1:{COAP_PORT}/{path}'
        if query:
            uri += '?' + query
        cmd = [COAP_CLIENT, '-m', method, '-B', '30']
        if payload is not None:
            cmd += ['-t', '50', '-e', json.dumps(payload)]
        cmd.append(uri)
        try:
            res = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=45, check=False)
        except subprocess.TimeoutExpired:
            return None, 'coap-client timed out'
        return res.returncode, (res.stdout + res.stderr).strip()

    def ctl(self, *args, timeout=60):
        """Run mflowctl --json; @return (exit status, result, stderr)."""
        # A create runs the OCI runtime and a delete may wait out the
        # SIGTERM grace period: more than mflowctl's default 10 s on a busy
        # machine.
        cmd = [self.args.mflowctl, '--socket', self.md.sock_path, '--json',
               '--timeout', str(timeout)]
        cmd += [str(a) for a in args]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=timeout + 10, check=False)
        except subprocess.TimeoutExpired:
            return None, None, 'mflowctl timed out'
        out = res.stdout
        if out.strip():
            try:
                out = json.loads(out)
            except ValueError:
                pass
        return res.returncode, out, res.stderr.strip()

    def ctl_ok(self, name, *args):
        rc, out, err = self.ctl(*args)
        self.c.check(name, rc == 0, f'exit {rc}: {err}' if rc else '')
        return out if rc == 0 else None

    def ctl_fails(self, name, needle, *args):
        rc, _, err = self.ctl(*args)
        return self.c.check(name, rc not in (0, None) and needle in err,
                            f'exit {rc}: {err}')

    def create(self, name, vni, ip, *extra):
        return self.ctl('container', 'create', name, f'vni={vni}',
                        f'ip={ip}/24', 'rootfs=host', *extra)

    def show(self, name):
        rc, out, _ = self.ctl('container', 'show', f'name={name}')
        return out[0] if rc == 0 and isinstance(out, list) and out else {}

    def ping(self, ns, dst, count=3):
        return topo.ping(ns, dst, count=count, timeout=15)['received']

    def ports(self):
        rc, out, _ = self.ctl('port', 'show')
        return [p['name'] for p in out] if rc == 0 else []

    def leftovers(self, names):
        """What of the named containers still exists, as a list of words."""
        left = []
        netns = set(topo.list_netns())
        links = subprocess.run(['ip', '-o', 'link'], capture_output=True,
                               text=True, check=False).stdout
        ports = set(self.ports()) if self.md and self.md.alive() else set()
        runc = subprocess.run(
            ['runc', '--root', os.path.join(self.run_dir, 'runc'), 'list',
             '-q'], capture_output=True, text=True, check=False).stdout
        for n in names:
            if f'mf-{n}' in netns:
                left.append(f'netns mf-{n}')
            if n in ports:
                left.append(f'port {n}')
            if n in runc.split():
                left.append(f'runc {n}')
            if os.path.exists(os.path.join(self.state_dir, f'{n}.json')):
                left.append(f'record {n}')
            if os.path.exists(os.path.join(self.run_dir, 'containers', n)):
                left.append(f'bundle {n}')
        now = {ln.split(':')[1].strip().split('@')[0]
               for ln in links.splitlines() if ': mfh' in ln}
        left += sorted(now - self.base_links)
        # The cgroups, in every hierarchy: the containers' own, and their
        # parent once no container is left.
        for cg in glob.glob('/sys/fs/cgroup/*/mflowd') + \
                glob.glob('/sys/fs/cgroup/mflowd'):
            for n in names:
                if os.path.isdir(os.path.join(cg, n)):
                    left.append(f'cgroup {cg}/{n}')
            if not self.containers():
                left.append(f'cgroup {cg}')
        return left

    def containers(self):
        """The names of the containers mflowd has."""
        if not (self.md and self.md.alive()):
            return []
        rc, out, _ = self.ctl('container', 'show')
        return [c['name'] for c in out] if rc == 0 and out else []

    def host_links(self):
        links = subprocess.run(['ip', '-o', 'link'], capture_output=True,
                               text=True, check=False).stdout
        return {ln.split(':')[1].strip().split('@')[0]
                for ln in links.splitlines() if ': mfh' in ln}

    def start_mflowd(self, what):
        # A stats file of the previous run would look like a ready mflowd.
        for f in ('stats.json', 'ctl.sock'):
            try:
                os.unlink(os.path.join(self.workdir, f))
            except FileNotFoundError:
                pass
        self.md = ControlDaemon(self.args.mflowd, self.t, self.workdir,
                                self.config())
        return self.c.check(what, self.md.start(), self.md.log_tail(20))

    # Checks -----------------------------------------------------------------

    def check_create(self):
        """1. Three containers on two VNIs."""
        for name, vni, ip in ((C1, 100, IP1), (C2, 100, IP2),
                              (C3, 200, IP3)):
            argv = 'sleep 100000'
            if name == C1:
                argv = f'sockperf server -i {ip} -p {SP_PORT}'
            rc, _, err = self.create(name, vni, ip, f'argv={argv}')
            self.c.check(f'container create {name} (VNI {vni}, {ip})',
                         rc == 0, f'exit {rc}: {err}')
        s = self.show(C1)
        self.c.check('container show: running with a pid, IP, MAC, VNI, '
                     'port', s.get('state') == 'running' and s.get('pid', 0)
                     > 0 and s.get('ip') == f'{IP1}/24' and s.get('vni') ==
                     100 and s.get('status') == 'running'
                     and s.get('port_stats') is not None, json.dumps(s)[:400])
        out = topo.run(['ip', '-j', 'addr', 'show', 'eth0'], ns=f'mf-{C1}',
                       check=False).stdout
        self.c.check('the address is on eth0 inside the container',
                     IP1 in out, out[:200])

    def check_reach(self):
        """2-3. Reach and isolation."""
        self.c.check('VTEP -> c1 through the kernel vxlan device and mflowd',
                     self.ping(self.t.vtep_ns, IP1) == 3)
        self.c.check('c1 -> c2 (same VNI, switched by mflowd)',
                     self.ping(f'mf-{C1}', IP2) == 3)
        self.c.check('c3 -> its VTEP over the IPv6 underlay (VNI 200)',
                     self.ping(f'mf-{C3}', VX200.ip) == 3)
        self.c.check('c1 cannot reach c3 (VNI 200)',
                     self.ping(f'mf-{C1}', IP3, 2) == 0)
        cli = topo.run(['sockperf', 'ping-pong', '-i', IP1, '-p',
                        str(SP_PORT), '-t', '3', '-m', '64'],
                       ns=self.t.vtep_ns, check=False, timeout=30)
        pp = topo.parse_sockperf_pp(cli.stdout + cli.stderr)
        self.c.check('sockperf ping-pong VTEP -> server in c1: replies, '
                     '0 dropped, 0 out of order',
                     bool(pp['received']) and pp['dropped'] == 0
                     and pp['out_of_order'] == 0,
                     f"sent {pp['sent']} replies {pp['received']}")
        s = self.show(C1).get('port_stats') or {}
        self.c.check('c1\'s port counted the traffic',
                     s.get('rx_pkts', 0) > 0 and s.get('tx_pkts', 0) > 0,
                     json.dumps(s)[:200])

    def check_exec_stop_start(self):
        """4. exec, stop and start."""
        out = self.ctl_ok('container exec c2 (ip -o addr)', 'container',
                          'exec', C2, 'argv=ip -o addr show eth0') or {}
        self.c.check('exec runs inside the container\'s network',
                     out.get('status') == 0 and IP2 in out.get('output', ''),
                     json.dumps(out)[:200])
        out = self.ctl_ok('container exec of a failing command', 'container',
                          'exec', C2, 'argv=false') or {}
        self.c.check('its exit status comes back', out.get('status') == 1,
                     json.dumps(out))
        self.ctl_ok('container stop c2', 'container', 'stop', C2)
        self.c.check('c2 is stopped', self.show(C2).get('state') ==
                     'stopped')
        self.ctl_fails('exec in a stopped container fails', 'does not run',
                       'container', 'exec', C2, 'argv=true')
        self.c.check('its network stays: c1 -> c2 still answers',
                     self.ping(f'mf-{C1}', IP2) == 3)
        self.ctl_ok('container start c2', 'container', 'start', C2)
        s = self.show(C2)
        self.c.check('c2 runs again with a new pid',
                     s.get('state') == 'running' and s.get('pid', 0) > 0,
                     json.dumps(s)[:200])
        self.ctl_fails('start of a running container fails', 'runs',
                       'container', 'start', C2)

    def check_coap(self):
        """4b. The same methods over CoAP, with libcoap's coap-client."""
        self.base_links = self.host_links()
        rc, out = self.coap('get', '.well-known/core')
        self.c.check('CoAP discovery lists the container resources',
                     rc == 0 and '</container/create>' in out
                     and '</container/show>' in out, out[:300])
        rc, out = self.coap('get', 'container/show', query=f'name={C2}')
        try:
            got = json.loads(out)[0]
        except (ValueError, TypeError, KeyError, IndexError):
            got = {}
        self.c.check('GET /container/show?name=c2 answers its record',
                     rc == 0 and got.get('name') == C2
                     and got.get('ip') == f'{IP2}/24', out[:200])
        rc, out = self.coap('post', 'container/create',
                            {'name': 'mctcoap', 'vni': 100,
                             'ip': '198.19.1.45/24', 'rootfs': 'host',
                             'argv': ['sleep', '100000']})
        self.c.check('POST /container/create makes a container',
                     rc == 0 and self.show('mctcoap').get('state') ==
                     'running', out[:200])
        self.c.check('the container made over CoAP is reachable',
                     self.ping(self.t.vtep_ns, '198.19.1.45') == 3)
        rc, out = self.coap('post', 'container/delete',
                            {'name': 'mctcoap'})
        self.c.check('POST /container/delete removes it',
                     rc == 0 and not self.leftovers(['mctcoap']), out[:200])
        rc, out = self.coap('post', 'container/create',
                            {'name': 'mctcoap', 'vni': 16777216,
                             'ip': '198.19.1.45/24', 'rootfs': 'host',
                             'argv': ['true']})
        self.c.check('a VNI >= 2^24 over CoAP gets 4.00 and a message',
                     '4.00' in out and 'vni' in out
                     and not self.leftovers(['mctcoap']), out[:200])

    def check_bad_input(self):
        """5. Bad input gets a clear error and leaves nothing."""
        before = self.ports()
        self.base_links = self.host_links()
        self.ctl_fails('a duplicate name is refused', 'exists', 'container',
                       'create', C1, 'vni=100', 'ip=198.19.1.50/24',
                       'rootfs=host', 'argv=true')
        rc, _, err = self.create('mctbad', 100, IP2, 'argv=sleep 10')
        self.c.check('an IP used in the VNI is refused', rc == 1
                     and IP2 in err, f'exit {rc}: {err}')
        rc, _, err = self.ctl('container', 'create', 'mctbad', 'vni=100',
                              'ip=198.19.1.51/24', 'bundle=/nonexistent/b')
        self.c.check('a missing bundle is refused', rc == 1
                     and 'bundle' in err, f'exit {rc}: {err}')
        rc, _, err = self.create('mctbad', 100, '198.19.1.52',
                                 'argv=sleep 10', 'runtime=/nonexistent/crun')
        self.c.check('a missing runtime is refused', rc == 1
                     and 'not found' in err, f'exit {rc}: {err}')
        rc, _, err = self.create('mctbad', 100, '198.19.1.53', 'argv=false')
        self.c.check('a process that exits at once is refused', rc == 1
                     and err != '', f'exit {rc}: {err}')
        self.ctl_fails('a VNI of 2^24 is refused', 'vni', 'container',
                       'create', 'mctbad', 'vni=16777216',
                       'ip=198.19.1.54/24', 'rootfs=host', 'argv=true')
        left = self.leftovers(['mctbad'])
        self.c.check('the refusals left nothing (netns, link, port, runc, '
                     'record, bundle)', not left, f'{left}')
        self.c.check('the refusals left the ports as they were',
                     self.ports() == before, f'{before} -> {self.ports()}')

    def check_restart(self):
        """6. A restarted mflowd re-adopts; an interrupted create is undone."""
        rc, secs = self.md.stop()
        self.c.check('mflowd stops', rc == 0, f'exit {rc} after {secs:.1f}s')
        pid1 = self.show_pid_direct(C1)
        self.c.check('c1 keeps running while mflowd is down', pid1 > 0)
        if not self.start_mflowd('mflowd starts again'):
            return
        s = self.show(C1)
        self.c.check('c1 is adopted: running, same pid, port back',
                     s.get('state') == 'running' and s.get('pid') == pid1
                     and C1 in self.ports(), json.dumps(s)[:300])
        self.c.check('VTEP -> c1 works after the restart',
                     self.ping(self.t.vtep_ns, IP1) == 3)
        self.c.check('c1 -> c2 works after the restart',
                     self.ping(f'mf-{C1}', IP2) == 3)
        # Kill mflowd in the middle of a create.
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [self.args.mflowctl, '--socket', self.md.sock_path, 'container',
             'create', 'mctkill', 'vni=100', 'ip=198.19.1.60/24',
             'rootfs=host', 'argv=sleep 100000'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(
                os.path.join(self.state_dir, 'mctkill.json')):
            time.sleep(0.005)
        self.md.proc.send_signal(signal.SIGKILL)
        self.md.proc.wait(timeout=10)
        proc.wait(timeout=30)
        if not self.start_mflowd('mflowd starts after a SIGKILL during a '
                                 'create'):
            return
        self.c.check('the interrupted create is gone (record, netns, link, '
                     'port, runc)', not self.leftovers(['mctkill']),
                     f"{self.leftovers(['mctkill'])}")
        self.c.check('c1 was adopted again', self.show(C1).get('state') ==
                     'running')

    def show_pid_direct(self, name):
        """The runtime's pid of @name, asked without mflowd."""
        res = subprocess.run(['runc', '--root',
                              os.path.join(self.run_dir, 'runc'), 'state',
                              name], capture_output=True, text=True,
                             check=False)
        try:
            st = json.loads(res.stdout)
        except ValueError:
            return 0
        return st.get('pid', 0) if st.get('status') == 'running' else 0

    def check_delete(self):
        """7. Delete removes everything."""
        self.base_links = set()
        for n in (C1, C2, C3):
            self.ctl_ok(f'container delete {n}', 'container', 'delete', n)
        self.ctl_fails('delete of a missing container fails', 'no container',
                       'container', 'delete', C1)
        left = self.leftovers([C1, C2, C3])
        self.c.check('nothing left: netns, links, ports, runc containers, '
                     'records, bundles, cgroups', not left, f'{left}')
        out = self.ctl_ok('container show lists none', 'container', 'show')
        self.c.check('container show is empty', out == [], f'{out}')

    def check_cycles(self):
        """8. 100 create/delete cycles leak nothing."""
        pid = self.md.proc.pid
        fds0 = fd_kinds(pid)
        pools0 = pool_avail(self.ctl('stats')[1])
        failed = 0
        for i in range(CYCLES):
            rc, _, err = self.create('mctcyc', 100, '198.19.1.70',
                                     'argv=' + json.dumps(STOPPABLE))
            rc2, _, err2 = self.ctl('container', 'delete', 'mctcyc')
            if rc != 0 or rc2 != 0:
                failed += 1
                info(f'cycle {i}: create {rc} {err} / delete {rc2} {err2}')
                if failed > 3:
                    break
        fds1 = fd_kinds(pid)
        grew = fd_growth(fds0, fds1)
        pools1 = pool_avail(self.ctl('stats')[1])
        lost = pool_loss(pools0, pools1)
        self.c.check(f'{CYCLES} cycles take no mbufs out of the pools',
                     pools1 and not lost, f'{pools0} -> {pools1}, lost {lost}')
        self.c.check(f'{CYCLES} create/delete cycles all succeeded',
                     failed == 0, f'{failed} failed')
        left = self.leftovers(['mctcyc'])
        self.c.check('after the cycles nothing is left', not left, f'{left}')
        # DPDK 22.11's AF_XDP PMD and libxdp 1.3 leave an XSK socket, a BPF
        # program and a BPF map open per closed port; mflowd closes them
        # (dataplane/dp_kobj.h), so no kind of descriptor may grow.
        self.c.check('mflowd leaks no descriptor (sockets, BPF programs '
                     'and maps included)', not grew, f'grew {grew}')
        self.c.check('the dataplane has only the underlay port',
                     self.ports() == ['underlay'], f'{self.ports()}')

    # Driver -----------------------------------------------------------------

    def run(self):
        try:
            self.t.build()
            if not self.start_mflowd('mflowd starts with containers on'):
                return self.finish()
            for group in (self.check_create, self.check_reach,
                          self.check_exec_stop_start, self.check_coap,
                          self.check_bad_input,
                          self.check_restart, self.check_delete,
                          self.check_cycles):
                self.guarded(group)
                if not self.md.alive():
                    self.c.check('mflowd is alive', False,
                                 self.md.log_tail(30))
                    break
        finally:
            # Whatever a failure left: the containers, then the topology.
            for n in (C1, C2, C3, 'mctbad', 'mctkill', 'mctcyc', 'mctcoap'):
                subprocess.run(['runc', '--root',
                                os.path.join(self.run_dir, 'runc'), 'delete',
                                '--force', n], capture_output=True,
                               check=False)
                subprocess.run(['ip', 'netns', 'del', f'mf-{n}'],
                               capture_output=True, check=False)
            if self.md is not None and self.md.alive():
                self.md.stop()
            self.t.teardown()
        return self.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--mflowd', required=True)
    ap.add_argument('--mflowctl', required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print('SKIP: needs root')
        return 77
    for tool in ('runc', COAP_CLIENT, 'sockperf'):
        if shutil.which(tool) is None:
            print(f'FAIL: {tool} is missing (scripts/deps.sh installs it)')
            return 1
    if shutil.which('runc') is None:
        print('FAIL: runc is missing (scripts/deps.sh installs it)')
        return 1
    return ContainerTest(args).run()


if __name__ == '__main__':
    sys.exit(main())
