# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: the control plane of a running mflowd, in the real
topology, driven with ``mflowctl`` and with ``coap-client`` (libcoap's
client, which we did not write) and read with ``dpdk-telemetry.py``.

A kernel VTEP namespace (VNI 100 on a kernel vxlan device) and two
container namespaces (tests/integration/topo.py, prefix ``mfc``) sit
around mflowd, which owns the root-namespace veth ends with AF_XDP and
runs a dispatch lcore and one worker lcore in microflow mode, so that
every change of VNIs, VTEPs, endpoints and ports goes through the drained
path. mflowd starts with VNI 100 and its VTEP, and container c1's port in
the "ports" section, attached to nothing; container c2's veth is not
opened at all.

What a passing run proves (each line is a check):

1. The CLI: ``mflowctl help`` lists the methods, ``port show`` shows the
   ports, errors are one line with the right exit code.
2. Endpoints: c1 cannot reach the VTEP while its port is attached to
   nothing (frames counted as port_unattached); ``endpoint attach`` makes
   ping work and the FDB shows c1's MAC (local, static) and the VTEP's
   (learned); ``endpoint detach`` stops it.
3. VNIs: ``vni del`` refuses while endpoints are attached; with force it
   detaches them and ping stops; ``vni add`` + ``vtep add`` + attach make
   ping work again; attaching to a missing VNI fails and changes nothing.
4. Ports: ``port add`` hot-plugs c2's veth (a new AF_XDP device) and,
   once attached, c2 reaches the VTEP and c1; ``port del`` refuses while
   attached, works once detached, and the same port can be added again.
5. FDB: static entries appear and go, flush removes learned entries.
6. Capture: a pcap of a port and of a VNI, bounded by count, holds the
   ping's frames (read back with tcpdump).
7. Config: ``config save`` writes a file that ``mflowd --check`` accepts
   and that holds the running tables.
8. Bad requests (VNI >= 2^24, bad MAC, bad IP, unknown method, wrong type,
   malformed JSON on the socket) get a clear error and change nothing.
9. Changes under load: while sockperf runs under-load from the VTEP to c1,
   VNIs, VTEPs, FDB entries, the mode and a whole port come and go; sockperf
   sees no drop, duplicate or reordering, and mflowd dropped nothing.
10. CoAP: discovery lists the resources; GET, POST and DELETE reach the
    same methods (a VNI added over CoAP shows in ``mflowctl vni show``);
    a bad value gets 4.00.
11. Telemetry: ``dpdk-telemetry.py`` reads /mflowd/counters/show.

There are no timing assertions.

Usage (as root): test_control.py --mflowd build/mflowd --mflowctl build/mflowctl
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topo  # noqa: E402  pylint: disable=wrong-import-position
# pylint: disable-next=wrong-import-position
from test_overlay import Checks, Mflowd, info  # noqa: E402
# pylint: disable-next=wrong-import-position
from test_mflow import ELEPHANT  # noqa: E402

PREFIX = 'mfc'
SP_PORT = 11411
COAP_PORT = 56830
VTEP_IP = topo.UL_VTEP_IP4
VX100 = topo.default_vnis()[100]


class ControlDaemon(Mflowd):
    """mflowd with our config and a control socket in the work directory."""

    def __init__(self, binary, topology, workdir, cfg):
        super().__init__(binary, topology, workdir, lcores='0,1')
        self.cfg = cfg

    def write_initial_config(self):
        with open(self.cfg_path, 'w', encoding='ascii') as fh:
            json.dump(self.cfg, fh, indent=2)


class ControlTest:
    """All checks, in order."""

    def __init__(self, args):
        self.args = args
        self.c = Checks()
        self.workdir = tempfile.mkdtemp(prefix=f'{PREFIX}-')
        vnis = {100: VX100}
        conts = [c for c in topo.default_containers()
                 if c.name in ('c1', 'c2')]
        self.t = topo.Topology(prefix=PREFIX, mode='mflowd', pmd='af_xdp',
                               underlay_pmd='af_xdp', containers=conts,
                               vnis=vnis, log=info)
        self.md = None
        self.c1 = self.t.container('c1')
        self.c2 = self.t.container('c2')

    # Helpers ----------------------------------------------------------------

    def sock(self):
        return self.md.sock_path

    def ctl(self, *args, as_json=True, timeout=20):
        """Run mflowctl; @return (exit status, result or text, stderr)."""
        cmd = [self.args.mflowctl, '--socket', self.sock()]
        if as_json:
            cmd.append('--json')
        cmd += [str(a) for a in args]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return None, None, 'mflowctl timed out'
        out = res.stdout
        if as_json and out.strip():
            try:
                out = json.loads(out)
            except ValueError:
                pass
        return res.returncode, out, res.stderr.strip()

    def ctl_ok(self, name, *args):
        """A mflowctl call that must succeed; @return its result."""
        rc, out, err = self.ctl(*args)
        self.c.check(name, rc == 0, f'exit {rc}: {err}' if rc else '')
        return out if rc == 0 else None

    def ctl_fails(self, name, want_rc, needle, *args):
        """A mflowctl call that must fail with @want_rc and say @needle."""
        rc, _, err = self.ctl(*args)
        return self.c.check(name, rc == want_rc and needle in err,
                            f'exit {rc}: {err}')

    def coap(self, method, path, payload=None, query=None, port=COAP_PORT):
        """Run coap-client; @return (exit status, output)."""
        uri = f'coap://127.0.0.1:{port}/{path}'
        if query:
            uri += '?' + query
        cmd = [self.args.coap_client, '-m', method, '-B', '5']
        if payload is not None:
            cmd += ['-t', '50', '-e', json.dumps(payload)]
        cmd.append(uri)
        try:
            res = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=15, check=False)
        except subprocess.TimeoutExpired:
            return None, 'coap-client timed out'
        return res.returncode, (res.stdout + res.stderr).strip()

    def ping(self, ns, dst, count=3):
        return topo.ping(ns, dst, count=count, interval=0.2)['received']

    def ping_ok(self, name, ns, dst, count=5):
        got = self.ping(ns, dst, count)
        return self.c.check(name, got == count, f'{got}/{count} replies')

    def ping_fails(self, name, ns, dst, count=3):
        got = self.ping(ns, dst, count)
        return self.c.check(name, got == 0, f'{got}/{count} replies')

    def counters(self):
        rc, out, _ = self.ctl('counters', 'show')
        if rc != 0 or not isinstance(out, dict):
            return {}
        return out.get('totals', {}).get('drops', {})

    def vnis(self):
        rc, out, _ = self.ctl('vni', 'show')
        return sorted(v['vni'] for v in out) if rc == 0 else None

    def fdb(self):
        rc, out, _ = self.ctl('fdb', 'show')
        return out if rc == 0 and isinstance(out, list) else []

    def devargs(self, idx, iface):
        return self.t.devargs(idx, iface, 'af_xdp')

    def repeat_dev(self):
        """Devargs for c2's port when it is added again and again."""
        return self.t.devargs(9, self.c2.host_if, 'af_packet')

    def config(self):
        cfg = self.t.mflowd_config()
        cfg['endpoints'] = []
        cfg['ports'] = [{'name': 'c1',
                         'port': self.devargs(1, self.c1.host_if),
                         'mtu': topo.UNDERLAY_MTU}]
        cfg['mflow'] = {'dispatch_lcore': 0, 'worker_lcores': [1],
                        'mode': 'microflow', 'batch_size': 64,
                        'merge_timeout_us': 1000,
                        'elephant': dict(ELEPHANT)}
        cfg['control'] = {'socket': os.path.join(self.workdir, 'ctl.sock')}
        cfg['coap'] = {'enabled': True, 'address': '127.0.0.1',
                       'port': COAP_PORT}
        return cfg

    # Driver -----------------------------------------------------------------

    def run(self):
        try:
            self.t.build()
            self.md = ControlDaemon(self.args.mflowd, self.t, self.workdir,
                                    self.config())
            if not self.c.check('mflowd starts with a control socket and '
                                'CoAP', self.md.start(),
                                self.md.log_tail(20)):
                return self.finish()
            for group in (self.check_cli, self.check_endpoints,
                          self.check_vnis, self.check_underlay,
                          self.check_ports,
                          self.check_fdb, self.check_capture,
                          self.check_config_save, self.check_bad_input,
                          self.check_under_load, self.check_underlay_port,
                          self.check_coap,
                          self.check_frontends, self.check_telemetry):
                self.guarded(group)
            rc, secs = self.md.stop()
            self.c.check('mflowd stops cleanly', rc == 0,
                         f'exit {rc} after {secs:.1f} s')
            self.c.check('the control socket is removed on exit',
                         not os.path.exists(self.sock()))
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
        name = getattr(group, '__name__', 'group')
        try:
            group()
        except topo.TopoError as exc:
            self.c.check(f'{name}: every tool finished in time', False,
                         str(exc).splitlines()[0])

    def finish(self):
        if self.c.failed:
            print(f'failed: {", ".join(self.c.failures)}')
            print(f'logs kept in {self.workdir}')
            if self.md is not None:
                print(self.md.log_tail(40))
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.c.summary()
        return 1 if self.c.failed else 0

    # Checks -----------------------------------------------------------------

    def check_cli(self):
        """1. The CLI against the live daemon."""
        rc, out, err = self.ctl('help', as_json=False)
        self.c.check('mflowctl help lists the methods',
                     rc == 0 and 'vni' in out and 'attach' in out
                     and 'capture' in out, f'exit {rc}: {err}')
        ports = self.ctl_ok('mflowctl port show', 'port', 'show') or []
        names = {p.get('name'): p for p in ports}
        self.c.check('port show: the underlay and c1, c1 attached to nothing',
                     'underlay' in names and 'c1' in names
                     and names['c1'].get('vni') is None, json.dumps(ports))
        rc, out, err = self.ctl('port', 'show', as_json=False)
        self.c.check('port show prints a table', rc == 0 and 'NAME' in out
                     and 'underlay' in out, out[:200])
        vnis = self.vnis()
        self.c.check('vni show: VNI 100 from the config', vnis == [100],
                     f'{vnis}')
        path = os.path.join(self.workdir, 'stats2.json')
        self.ctl_ok('stats set file=... interval_s=1', 'stats', 'set',
                    f'file={path}', 'interval_s=1')
        self.c.check('stats.set writes the new stats file at once',
                     os.path.exists(path))
        self.ctl_fails('stats set into a missing directory fails', 1,
                       'cannot write', 'stats', 'set',
                       'file=/nonexistent/dir/stats.json')
        self.ctl_ok('stats set back', 'stats', 'set',
                    f'file={self.md.stats_path}', 'interval_s=3600')

    def check_endpoints(self):
        """2. Attach and detach."""
        c1 = self.c1
        d0 = self.counters().get('port_unattached', 0)
        self.ping_fails('c1 -> VTEP fails while c1 is attached to nothing',
                        c1.ns, VX100.ip)
        d1 = self.counters().get('port_unattached', 0)
        self.c.check('frames from the unattached port count as '
                     'port_unattached', d1 > d0, f'{d0} -> {d1}')
        self.ctl_ok('endpoint attach c1 100', 'endpoint', 'attach', 'c1',
                    100, c1.mac)
        self.ping_ok('c1 -> VTEP works once attached', c1.ns, VX100.ip)
        fdb = self.fdb()
        local = [e for e in fdb if e['mac'] == c1.mac.lower()]
        remote = [e for e in fdb if e['mac'] == VX100.mac.lower()]
        self.c.check('fdb show: c1 local static, the VTEP MAC learned',
                     bool(local) and local[0]['kind'] == 'local'
                     and local[0]['static'] and bool(remote)
                     and remote[0]['kind'] == 'remote'
                     and remote[0].get('target') == VTEP_IP,
                     json.dumps(fdb)[:400])
        eps = self.ctl_ok('endpoint show', 'endpoint', 'show') or []
        self.c.check('endpoint show lists c1 in VNI 100',
                     any(e['port'] == 'c1' and e['vni'] == 100 for e in eps),
                     json.dumps(eps))
        self.ctl_fails('attaching c1 twice fails (busy)', 1, 'already',
                       'endpoint', 'attach', 'c1', 100, c1.mac)
        self.ctl_ok('endpoint detach c1', 'endpoint', 'detach', 'c1')
        self.ping_fails('c1 -> VTEP fails once detached', c1.ns, VX100.ip)
        self.c.check('detach removed c1 from the FDB',
                     not any(e['mac'] == c1.mac.lower() for e in self.fdb()))
        self.ctl_ok('endpoint attach c1 100 again', 'endpoint', 'attach',
                    'c1', 100, c1.mac)
        self.ping_ok('c1 -> VTEP works again', c1.ns, VX100.ip)

    def check_vnis(self):
        """3. VNIs and VTEPs."""
        c1 = self.c1
        self.ctl_fails('vni del 100 refuses while c1 is attached', 1,
                       'attached', 'vni', 'del', 100)
        self.ping_ok('ping still works after the refused delete', c1.ns,
                     VX100.ip, 3)
        self.ctl_ok('vni del 100 force=true', 'vni', 'del', 100,
                    'force=true')
        self.ping_fails('deleting VNI 100 stops ping', c1.ns, VX100.ip)
        self.c.check('vni show is empty', self.vnis() == [])
        self.ctl_fails('attach to a missing VNI fails', 1, 'no VNI',
                       'endpoint', 'attach', 'c1', 100, c1.mac)
        self.ctl_ok('vni add 100', 'vni', 'add', 100)
        self.ctl_ok('vtep add 100 198.18.0.2', 'vtep', 'add', 100, VTEP_IP)
        self.ctl_fails('vtep add twice fails', 1, 'already', 'vtep', 'add',
                       100, VTEP_IP)
        vteps = self.ctl_ok('vtep show', 'vtep', 'show') or []
        self.c.check('vtep show lists 198.18.0.2 in VNI 100',
                     any(v['ip'] == VTEP_IP and 100 in v['vnis']
                         for v in vteps), json.dumps(vteps))
        self.ctl_ok('endpoint attach c1 100', 'endpoint', 'attach', 'c1',
                    100, c1.mac)
        self.ping_ok('adding VNI 100 back makes ping work', c1.ns, VX100.ip)
        self.ctl_ok('vni add 4000', 'vni', 'add', 4000)
        self.ctl_fails('vni add 4000 twice fails', 1, 'exists', 'vni',
                       'add', 4000)
        self.ctl_ok('vni del 4000', 'vni', 'del', 4000)
        self.ctl_fails('vni del of a missing VNI fails', 1, 'no VNI', 'vni',
                       'del', 4000)

    def check_underlay(self):
        """3b. The underlay section at run time."""
        c1 = self.c1
        u = self.ctl_ok('underlay show', 'underlay', 'show') or {}
        self.c.check('underlay show: address, port and MTU of the config',
                     u.get('ip4') == f'{topo.UL_HOST_IP4}/{topo.UL_PLEN4}'
                     and u.get('udp_port') == topo.VXLAN_PORT
                     and u.get('mtu') == topo.UNDERLAY_MTU, json.dumps(u))
        d0 = self.counters().get('udp_bad_port', 0)
        self.ctl_ok('underlay set udp_port=4790', 'underlay', 'set',
                    'udp_port=4790')
        self.ping_fails('a VxLAN port the VTEP does not use stops ping',
                        c1.ns, VX100.ip)
        # What the VTEP sends (to port 4789) arrives and is counted.
        self.ping(self.t.vtep_ns, c1.ip, 2)
        d1 = self.counters().get('udp_bad_port', 0)
        self.c.check('the VTEP\'s packets now count as udp_bad_port',
                     d1 > d0, f'{d0} -> {d1}')
        self.ctl_ok('underlay set udp_port=4789', 'underlay', 'set',
                    'udp_port=4789')
        self.ping_ok('port 4789 again: ping works', c1.ns, VX100.ip)
        # The kernel VTEP learns where c1's MAC lives from the outer
        # source address, so the new address shows in its FDB.
        new_ip = '198.18.0.3'
        self.ctl_ok('underlay set ip4=198.18.0.3/24', 'underlay', 'set',
                    f'ip4={new_ip}/24')
        self.ping_ok('ping works from the new underlay address', c1.ns,
                     VX100.ip)
        fdb = topo.run(['bridge', 'fdb', 'show', 'dev', VX100.dev],
                       ns=self.t.vtep_ns, check=False).stdout
        line = [ln for ln in fdb.splitlines()
                if ln.startswith(c1.mac.lower())]
        self.c.check('the kernel VTEP learned c1 behind the new address',
                     bool(line) and f'dst {new_ip}' in line[0], f'{line}')
        self.ctl_ok('underlay set ip4 back', 'underlay', 'set',
                    f'ip4={topo.UL_HOST_IP4}/{topo.UL_PLEN4}')
        self.ping_ok('the old address again: ping works', c1.ns, VX100.ip)
        self.ctl_fails('removing IPv4 while an IPv4 VTEP exists is refused', 1,
                       'VTEP needs', 'underlay', 'set', 'ip4=none',
                       'gateway4=none')
        self.ctl_fails('a gateway without a local address of its family is '
                       'refused', 1, 'inconsistent', 'underlay', 'set',
                       'ip4=none')
        self.ctl_fails('a prefix without its length is refused', 1, 'ip4',
                       'underlay', 'set', 'ip4=198.18.0.1')
        self.ctl_fails('a multicast underlay MAC is refused', 1,
                       'inconsistent', 'underlay', 'set',
                       'mac=01:00:5e:00:00:01')
        u2 = self.ctl_ok('underlay show after the refusals', 'underlay',
                         'show') or {}
        self.c.check('the refusals changed nothing', u2 == u,
                     f'{u} -> {u2}')

    def check_ports(self):
        """4. Hot-plugged ports."""
        c1, c2 = self.c1, self.c2
        dev = self.devargs(7, c2.host_if)
        self.ping_fails('c2 has no port yet', c2.ns, VX100.ip, 2)
        self.ctl_ok('port add c2 (AF_XDP hot-plug)', 'port', 'add', 'c2',
                    dev, 'mtu=1500')
        self.ctl_fails('port add with a name in use fails', 1, 'exists',
                       'port', 'add', 'c2', dev)
        self.ctl_fails('port add of a device that does not exist fails', 1,
                       'cannot probe', 'port', 'add', 'bad',
                       'net_af_xdp8,iface=mfcnosuchif')
        names = [p['name'] for p in self.ctl('port', 'show')[1] or []]
        self.c.check('port show lists c2 and not the failed port',
                     'c2' in names and 'bad' not in names, f'{names}')
        self.ctl_ok('endpoint attach c2 100', 'endpoint', 'attach', 'c2',
                    100, c2.mac)
        self.ping_ok('c2 -> VTEP through the hot-plugged port', c2.ns,
                     VX100.ip)
        self.ping_ok('c2 -> c1 (local switching)', c2.ns, c1.ip)
        self.ctl_fails('port del c2 refuses while attached', 1, 'detach',
                       'port', 'del', 'c2')
        self.ctl_ok('endpoint detach c2', 'endpoint', 'detach', 'c2')
        self.ctl_ok('port del c2', 'port', 'del', 'c2')
        names = [p['name'] for p in self.ctl('port', 'show')[1] or []]
        self.c.check('port show no longer lists c2', 'c2' not in names,
                     f'{names}')
        self.ctl_fails('port del of the underlay is refused', 1, 'underlay',
                       'port', 'del', 'underlay')
        # DPDK 22.11's AF_XDP PMD cannot bind a second socket to an
        # interface it used before in the same process (xsk_configure fails;
        # docs/control-api.md); a re-added port uses AF_PACKET.
        self.ctl_ok('port add c2 again (AF_PACKET)', 'port', 'add', 'c2',
                    self.repeat_dev())
        self.ctl_ok('endpoint attach c2 100 again', 'endpoint', 'attach',
                    'c2', 100, c2.mac)
        self.ping_ok('c2 -> VTEP after re-adding the port', c2.ns, VX100.ip)
        self.ping_ok('c1 still works', c1.ns, VX100.ip, 3)

    def check_fdb(self):
        """5. Static FDB entries and flush."""
        mac = '02:00:00:00:99:99'
        self.ctl_ok('fdb add static', 'fdb', 'add', 100, mac, VTEP_IP)
        e = [x for x in self.fdb() if x['mac'] == mac]
        self.c.check('fdb show: the static entry towards the VTEP',
                     bool(e) and e[0]['static'] and e[0]['kind'] == 'remote'
                     and e[0].get('target') == VTEP_IP, json.dumps(e))
        self.ctl_fails('fdb add to a VTEP not in the VNI fails', 1,
                       'no VNI 100 with VTEP', 'fdb', 'add', 100, mac,
                       '198.18.0.77')
        self.ctl_fails('fdb del of an endpoint MAC is refused', 1,
                       'local endpoint', 'fdb', 'del', 100, self.c1.mac)
        self.ctl_ok('fdb del', 'fdb', 'del', 100, mac)
        self.c.check('the static entry is gone',
                     not any(x['mac'] == mac for x in self.fdb()))
        out = self.ctl_ok('fdb flush', 'fdb', 'flush', 'vni=100')
        self.c.check('fdb flush removed the learned VTEP MAC',
                     isinstance(out, dict) and out.get('removed', 0) >= 1
                     and not any(x['mac'] == VX100.mac.lower()
                                 for x in self.fdb()), f'{out}')
        self.c.check('fdb flush kept the endpoints',
                     any(x['mac'] == self.c1.mac.lower()
                         for x in self.fdb()))
        self.ping_ok('ping relearns after the flush', self.c1.ns, VX100.ip,
                     3)

    def wait_capture(self, cid, timeout=10):
        def done():
            rc, out, _ = self.ctl('capture', 'show')
            if rc != 0:
                return None
            for cap in out:
                if cap.get('id') == cid and cap.get('state') == 'done':
                    return cap
            return None
        return topo.wait_for(done, timeout, 0.2)

    def pcap_count(self, path, bpf):
        res = topo.run(['tcpdump', '-n', '-r', path, bpf], check=False)
        return len([ln for ln in res.stdout.splitlines() if ln.strip()])

    def check_capture(self):
        """6. Captures of a port and of a VNI."""
        for what, args in (('port c1', ['port=c1']), ('VNI 100',
                                                      ['vni=100'])):
            path = os.path.join(self.workdir,
                                f"cap-{what.replace(' ', '')}.pcap")
            out = self.ctl_ok(f'capture start {what}', 'capture', 'start',
                              *args, f'file={path}', 'count=6')
            if not isinstance(out, dict):
                continue
            self.ping(self.c1.ns, VX100.ip, 4)
            cap = self.wait_capture(out['id'])
            self.c.check(f'capture of {what} ends at its count',
                         bool(cap) and cap.get('packets') == 6, f'{cap}')
            n = self.pcap_count(path, 'icmp')
            self.c.check(f'the {what} pcap holds the ping (ICMP frames, '
                         'inner frames for the VNI)', n >= 4, f'{n} frames')
        self.ctl_fails('capture of an unknown port fails', 1, 'no port',
                       'capture', 'start', 'port=nope',
                       f'file={self.workdir}/x.pcap', 'count=1')
        self.ctl_fails('capture into a missing directory fails', 1,
                       'cannot capture', 'capture', 'start', 'port=c1',
                       'file=/nonexistent/dir/x.pcap', 'count=1')

    def check_config_save(self):
        """7. config save."""
        path = os.path.join(self.workdir, 'saved.json')
        self.ctl_ok('config save', 'config', 'save', path)
        try:
            with open(path, encoding='utf-8') as fh:
                saved = json.load(fh)
        except (OSError, ValueError) as exc:
            self.c.check('the saved config is JSON', False, str(exc))
            return
        eps = {e['name']: e for e in saved.get('endpoints', [])}
        vnis = {v['vni']: v for v in saved.get('vnis', [])}
        self.c.check('the saved config holds the running tables',
                     100 in vnis and VTEP_IP in vnis[100].get('vteps', [])
                     and 'c1' in eps and 'c2' in eps
                     and eps['c2'].get('vni') == 100,
                     json.dumps(saved)[:500])
        res = topo.run([self.args.mflowd, '--', '--config', path, '--check'],
                       check=False)
        self.c.check('mflowd --check accepts the saved config',
                     res.returncode == 0, (res.stdout + res.stderr)[-300:])

    def check_bad_input(self):
        """8. Bad requests change nothing."""
        before = (self.vnis(), len(self.fdb()))
        self.ctl_fails('vni add 16777216 (>= 2^24) is refused', 1,
                       '16777216', 'vni', 'add', 16777216)
        self.ctl_fails('a bad MAC is refused', 1, 'mac', 'fdb', 'add', 100,
                       '02:00:zz:00:00:01', VTEP_IP)
        self.ctl_fails('a bad IP is refused', 1, 'ip', 'vtep', 'add', 100,
                       '198.18.0.x')
        self.ctl_fails('an unknown method is refused', 1, 'unknown method',
                       'raw', 'nosuch.thing')
        self.ctl_fails('a wrong type is refused', 1, 'vni', 'raw', 'vni.add',
                       '{"vni": "one"}')
        self.ctl_fails('an unknown parameter is refused', 1, 'unknown',
                       'raw', 'vni.add', '{"vni": 5, "colour": "red"}')
        self.ctl_fails('mflow set with a bad mode is refused', 1, 'mode',
                       'mflow', 'set', 'mode=warp')
        answers = self.raw_socket([b'{"jsonrpc":"2.0","id":1,"method":\n',
                                   b'not json at all\n',
                                   b'{"jsonrpc":"2.0","id":2,'
                                   b'"method":"vni.show"}\n'])
        codes = [a.get('error', {}).get('code') if isinstance(a, dict)
                 else None for a in answers]
        self.c.check('malformed JSON on the socket gets parse errors and '
                     'the connection keeps serving',
                     len(answers) == 3 and codes[0] == -32700
                     and codes[1] == -32700 and 'result' in answers[2],
                     f'{answers}'[:300])
        after = (self.vnis(), len(self.fdb()))
        self.c.check('nothing changed', before[0] == after[0],
                     f'{before} -> {after}')
        res = subprocess.run(
            [self.args.mflowctl, '--socket',
             os.path.join(self.workdir, 'nosuch.sock'), 'vni', 'show'],
            capture_output=True, text=True, timeout=10, check=False)
        self.c.check('mflowctl without a daemon exits 3 and says why',
                     res.returncode == 3 and 'is mflowd running' in res.stderr,
                     f'{res.returncode}: {res.stderr.strip()}')

    def raw_socket(self, lines, timeout=5):
        """Send raw lines on the control socket; @return the answers."""
        answers = []
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.sock())
            for ln in lines:
                s.sendall(ln)
            buf = b''
            deadline = time.monotonic() + timeout
            while buf.count(b'\n') < len(lines) and \
                    time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            for ln in buf.splitlines():
                try:
                    answers.append(json.loads(ln))
                except ValueError:
                    answers.append(ln)
        except OSError as exc:
            answers.append(str(exc))
        finally:
            s.close()
        return answers

    def check_under_load(self):
        """9. Changes under sockperf load lose nothing."""
        t, c1, c2 = self.t, self.c1, self.c2
        secs, mps = 10, 20000
        drops0 = self.counters()
        srv = topo.SockperfServer(t, c1.ns, c1.ip, port=SP_PORT)
        cli = t.popen(t.vtep_ns, ['sockperf', 'under-load', '-i', c1.ip,
                                  '-p', str(SP_PORT), '-t', str(secs),
                                  '-m', '200', f'--mps={mps}'])
        time.sleep(1)
        changes = failed = 0
        dev = self.repeat_dev()
        modes = ['pinned', 'rtc', 'microflow']
        deadline = time.monotonic() + secs - 2
        i = 0
        while time.monotonic() < deadline and cli.poll() is None:
            vni = 5000 + i
            steps = [('vni', 'add', vni), ('vtep', 'add', vni, VTEP_IP),
                     ('fdb', 'add', vni, '02:00:00:00:77:01', VTEP_IP),
                     ('fdb', 'add', 100, '02:00:00:00:77:02', VTEP_IP),
                     ('mflow', 'set', f'mode={modes[i % 3]}',
                      f'batch_size={(32, 64, 256)[i % 3]}'),
                     # Sizes: new rings, detector and FDB, built and
                     # swapped in under the load.
                     ('mflow', 'set', f'ring_size={(1024, 4096)[i % 2]}',
                      f'table_size={(256, 4096)[i % 2]}'),
                     ('dataplane', 'set', f'fdb_size={(1024, 65536)[i % 2]}'),
                     ('endpoint', 'detach', 'c2'), ('port', 'del', 'c2'),
                     ('port', 'add', 'c2', dev),
                     ('endpoint', 'attach', 'c2', 100, c2.mac),
                     ('fdb', 'del', 100, '02:00:00:00:77:02'),
                     ('vtep', 'del', vni, VTEP_IP), ('vni', 'del', vni)]
            for st in steps:
                rc, _, err = self.ctl(*st)
                changes += 1
                if rc != 0:
                    failed += 1
                    info(f'{" ".join(map(str, st))}: exit {rc}: {err}')
            i += 1
        try:
            out, _ = cli.communicate(timeout=secs + 20)
        except subprocess.TimeoutExpired:
            cli.kill()
            out, _ = cli.communicate()
        srv.stop()
        ul = topo.parse_sockperf_pp(out or '')
        self.c.check(f'{changes} changes in {i} rounds under load all '
                     'succeeded', changes > 0 and failed == 0,
                     f'{failed} failed')
        self.c.check(f'sockperf under-load {secs} s at {mps} msg/s during '
                     'the changes: 0 dropped, 0 duplicated, 0 out of order',
                     bool(ul['received']) and ul['dropped'] == 0
                     and ul['duplicated'] == 0 and ul['out_of_order'] == 0,
                     f"sent {ul['sent']}, replies {ul['received']}, dropped "
                     f"{ul['dropped']}, dup {ul['duplicated']}, ooo "
                     f"{ul['out_of_order']}")
        drops1 = self.counters()
        grew = {k: v - drops0.get(k, 0) for k, v in drops1.items()
                if v != drops0.get(k, 0)}
        # The flood of the unknown MAC 02:00:00:00:77:01 goes nowhere, and
        # c2's port may see frames before it is attached: neither is loss.
        grew.pop('port_unattached', None)
        # Underlay frames for other hosts (the VTEP's own ARP or IPv6
        # multicast) are not traffic of the test.
        grew.pop('not_for_us', None)
        self.c.check('mflowd dropped nothing during the changes', not grew,
                     f'{grew}')
        self.ping_ok('c2 works after the changes', c2.ns, VX100.ip, 3)

    def check_underlay_port(self):
        """9b. The underlay moves to another device at run time."""
        c1 = self.c1
        u0 = self.ctl_ok('underlay show', 'underlay', 'show') or {}
        self.ctl_fails('underlay set to a device that does not exist fails',
                       1, 'cannot probe', 'underlay', 'set',
                       'devargs=net_af_xdp12,iface=mfcnosuchif')
        u1 = self.ctl_ok('underlay show after the refusal', 'underlay',
                         'show') or {}
        self.c.check('the refusal changed nothing', u1 == u0,
                     f'{u0} -> {u1}')
        self.ping_ok('ping works on the old underlay port', c1.ns, VX100.ip)
        # AF_XDP to AF_PACKET on the same veth: the swap runs the whole
        # path (hot-plug, drained switch, grace period, removal).
        dev = self.t.devargs(13, self.t.ul_host_if, 'af_packet')
        u2 = self.ctl_ok('underlay set devargs=<af_packet>', 'underlay',
                         'set', f'devargs={dev}') or {}
        self.c.check('underlay show names the new device',
                     u2.get('devargs') == dev and u2.get('port') == 'underlay'
                     and u2.get('mac') == u0.get('mac'), json.dumps(u2))
        ports = self.ctl('port', 'show')[1] or []
        uls = [p for p in ports if p.get('role') == 'underlay']
        self.c.check('one underlay port, the new one, and no leftover',
                     len(uls) == 1 and uls[0].get('devargs') == dev
                     and uls[0].get('name') == 'underlay',
                     json.dumps(uls))
        self.ping_ok('ping works through the new underlay port', c1.ns,
                     VX100.ip)
        st = self.ctl_ok('port stats underlay', 'port', 'stats',
                         'underlay') or []
        st = st[0] if isinstance(st, list) and st else st
        self.c.check('the new underlay port carries the traffic',
                     isinstance(st, dict) and st.get('rx_pkts', 0) >= 5
                     and st.get('tx_pkts', 0) >= 5, json.dumps(st)[:300])
        self.ctl_ok('underlay set with the same devargs changes nothing',
                    'underlay', 'set', f'devargs={dev}')
        self.ping_ok('ping works after the no-op', c1.ns, VX100.ip)

    def check_coap(self):
        """10. CoAP with libcoap's client."""
        rc, out = self.coap('get', '.well-known/core')
        self.c.check('CoAP discovery lists the resources',
                     rc == 0 and '</vni>' in out and '</fdb/show>' in out
                     and '</stats>' in out and 'ct=50' in out, out[:300])
        rc, out = self.coap('get', 'vni')
        try:
            got = sorted(v['vni'] for v in json.loads(out))
        except (ValueError, TypeError, KeyError):
            got = None
        self.c.check('GET /vni returns the VNIs as JSON', rc == 0
                     and got == self.vnis(), f'{out[:200]}')
        rc, out = self.coap('post', 'vni/add', {'vni': 301})
        self.c.check('POST /vni/add adds a VNI', rc == 0
                     and 301 in (self.vnis() or []), out[:200])
        rc, out = self.coap('delete', 'vni', query='vni=301')
        self.c.check('DELETE /vni?vni=301 removes it', rc == 0
                     and 301 not in (self.vnis() or []), out[:200])
        rc, out = self.coap('post', 'vni/add', {'vni': 16777216})
        self.c.check('a VNI >= 2^24 over CoAP gets 4.00 and a message',
                     '4.00' in out and '16777216' in out
                     and 16777216 not in (self.vnis() or []), out[:200])
        rc, out = self.coap('get', 'nosuch')
        self.c.check('an unknown resource gets 4.04', '4.04' in out,
                     out[:200])

    def check_frontends(self):
        """10b. The control socket and CoAP move at run time."""
        new_port = COAP_PORT + 1
        self.ctl_ok(f'coap set port={new_port}', 'coap', 'set',
                    f'port={new_port}')
        rc, out = self.coap('get', 'version/show', port=new_port)
        self.c.check('CoAP answers on the new port', rc == 0
                     and 'mflowd' in out, out[:200])
        rc, out = self.coap('get', 'version/show')
        self.c.check('and no longer on the old one', 'mflowd' not in out,
                     out[:200])
        rc, out = self.coap('post', 'coap/set', {'port': COAP_PORT},
                            port=new_port)
        self.c.check('coap.set over CoAP moves it back', rc == 0, out[:200])
        rc, out = self.coap('get', 'version/show')
        self.c.check('CoAP answers on the old port again', rc == 0
                     and 'mflowd' in out, out[:200])
        self.ctl_fails('coap set with port == dtls_port is refused', 1,
                       'same port', 'coap', 'set', f'dtls_port={COAP_PORT}',
                       'psk_identity=x', 'psk_key=y')
        old = self.sock()
        new = os.path.join(self.workdir, 'ctl2.sock')
        self.ctl_ok('control set socket=ctl2.sock', 'control', 'set',
                    f'socket={new}')
        self.md.sock_path = new
        ok = topo.wait_for(lambda: self.ctl('version', 'show')[0] == 0, 5)
        self.c.check('mflowctl reaches the new socket', bool(ok))
        self.c.check('the old socket is gone', not os.path.exists(old))
        self.ctl_fails('control set group to a missing group is refused', 1,
                       'no group', 'control', 'set', 'group=nosuchgroupmf')
        self.ctl_ok('control set back', 'control', 'set', f'socket={old}')
        self.md.sock_path = old
        ok = topo.wait_for(lambda: self.ctl('version', 'show')[0] == 0, 5)
        self.c.check('mflowctl reaches the old socket again', bool(ok))

    def check_telemetry(self):
        """11. DPDK telemetry."""
        # Mflowd.command() names the EAL file prefix after the test's pid.
        prefix = f'{self.t.prefix}-{os.getpid()}'
        tool = shutil.which('dpdk-telemetry.py')
        if tool is None:
            self.c.check('dpdk-telemetry.py is installed', False)
            return
        try:
            res = subprocess.run([tool, '-f', prefix],
                                 input='/mflowd/counters/show\n',
                                 capture_output=True, text=True, timeout=15,
                                 check=False)
            out = res.stdout
        except subprocess.TimeoutExpired:
            out = 'timed out'
        self.c.check('dpdk-telemetry.py reads /mflowd/counters/show',
                     '/mflowd/counters/show' in out
                     and 'totals/stats/' in out, out[-400:])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mflowd', required=True)
    ap.add_argument('--mflowctl', required=True)
    ap.add_argument('--coap-client', default='coap-client-notls')
    args = ap.parse_args(argv)
    rc = topo.preflight(['sockperf', 'tcpdump', 'ethtool', args.coap_client,
                         'dpdk-telemetry.py'])
    if rc is not None:
        return rc
    return ControlTest(args).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
