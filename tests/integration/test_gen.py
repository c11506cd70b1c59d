#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mflow-gen against a real mflowd over memif: its counters match mflowd's.

Each check injects something a real mflowd does, whose count is known
exactly from mflowd's own counters, and asserts that mflow-gen counts it
the same:

1. in order, no loss: decapsulation at a paced rate in rtc mode; every
   frame sent is received once, in order, and mflowd decapsulated exactly
   as many frames as mflow-gen sent;
2. loss: half of the flows use a VNI mflowd does not know; mflow-gen's
   loss for those flows equals their frames sent and mflowd's vni_unknown
   drops, and the other flows lose nothing;
3. duplicates: broadcast frames into a VNI with two endpoints; mflowd
   floods each to both, and mflow-gen counts exactly one duplicate per
   frame sent;
4. the reverse path: plain frames into an endpoint come back as VxLAN on
   the underlay, all of them, in order;
5. micro-flows: an elephant split over workers, with mice beside it,
   arrives in order; where mflowd skipped a stalled batch, its frames are
   lost (mflowd counts them late), never reordered. mflowd's own order
   check (mflow.merge.ooo) agrees.

Usage (as root): tests/integration/test_gen.py --build build
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'bench'))
sys.path.insert(0, HERE)
import gen_bench  # noqa: E402  pylint: disable=wrong-import-position
from test_overlay import Checks  # noqa: E402  pylint: disable=wrong-import-position

RATE = 20000
SECONDS = 1.0


def flows_of(rep):
    """Per-flow [tx, rx_unique, lost, dup, ooo, max_reorder] of the final trial."""
    return rep['result']['flows']


class GenTest:
    """The checks, one mflowd per group."""

    def __init__(self, args):
        self.c = Checks()
        ns = argparse.Namespace(mflowd=args.mflowd, gen=args.gen, layout='cpu1',
                                pmd='memif', batch=256, busy=False, quick=False,
                                duration=SECONDS, warmup=0.2, trial=1.0)
        self.b = gen_bench.Bench(ns)

    def scenario(self, encap='vxlan', **kw):
        """A paced scenario of two flows."""
        one = [{'name': 'flows', 'count': 2, 'share': 1}]
        sc = self.b.scenario(encap, 64, one, 1)
        sc['rate_pps'] = RATE
        sc.update(kw)
        return sc

    def gen(self, name, sc, n_eps, direction):
        """Run mflow-gen; a failed run is a failed check and None."""
        rep = self.b.run_gen(name, sc, n_eps, direction)
        if not self.c.check(f'{name}: mflow-gen ran', 'error' not in rep,
                            str(rep.get('error', '')) + rep.get('stderr', '')[-500:]):
            return None
        return rep

    def base_checks(self, name, rep, want_rx):
        """Every frame counted and parsed; nothing foreign arrived."""
        r = rep['result']
        kinds = r['rx_kinds']
        # How many depends on the CPU mflow-gen gets (not_sent counts the
        # rest); the counts below must hold whatever it is.
        self.c.check(f'{name}: frames sent', r['tx'] >= 100, f"tx {r['tx']}")
        self.c.check(f'{name}: every frame received carried a stamp',
                     all(v == 0 for k, v in kinds.items() if k != 'ok'), str(kinds))
        self.c.check(f'{name}: received as expected', r['rx_unique'] == want_rx,
                     f"rx_unique {r['rx_unique']} want {want_rx} (tx {r['tx']})")

    def in_order(self):
        """1 and 4: rtc, both directions."""
        self.b.start_mflowd('rtc', 1)
        try:
            rep = self.gen('decap', self.scenario(), 1, 'decap')
            if rep:
                r = rep['result']
                self.base_checks('decap', rep, r['tx'])
                # not_sent (frames this CPU could not send in time) is the
                # generator's own business, not mflowd's.
                self.c.check('decap: no loss, duplicate or reordering',
                             (r['lost'], r['dup'], r['ooo']) == (0, 0, 0),
                             str({k: r[k] for k in ('lost', 'dup', 'ooo', 'not_sent')}))
                self.c.check('decap: mflowd decapsulated what mflow-gen sent',
                             rep['mflowd'].get('stats.decap_pkts')
                             == r['tx'] + r['tx_warmup'],
                             f"decap_pkts {rep['mflowd'].get('stats.decap_pkts')} "
                             f"tx {r['tx']} + warm-up {r['tx_warmup']}")
                lat = r['latency_ns']
                self.c.check('decap: latency measured for every frame',
                             lat['count'] == r['rx'] and 0 < lat['min'] <= lat['p50']
                             <= lat['p99'] <= lat['max'], str(lat))
            rep = self.gen('encap', self.scenario('plain'), 1, 'encap')
            if rep:
                r = rep['result']
                self.base_checks('encap', rep, r['tx'])
                self.c.check('encap: no loss, duplicate or reordering',
                             (r['lost'], r['dup'], r['ooo']) == (0, 0, 0))
                self.c.check('encap: mflowd encapsulated what mflow-gen sent',
                             rep['mflowd'].get('stats.encap_pkts')
                             == r['tx'] + r['tx_warmup'],
                             f"encap_pkts {rep['mflowd'].get('stats.encap_pkts')} "
                             f"tx {r['tx']} + warm-up {r['tx_warmup']}")
        finally:
            self.b.stop_mflowd()

    def loss(self):
        """2: flow 1 uses VNI 999, which mflowd drops as vni_unknown."""
        self.b.start_mflowd('rtc', 1)
        try:
            # No warm-up, so that every frame mflowd drops is a measured one.
            rep = self.gen('loss', self.scenario(vnis=[100, 999], warmup_s=0), 1,
                           'decap')
            if rep:
                f = flows_of(rep)
                r = rep['result']
                self.base_checks('loss', rep, f[0][0])
                self.c.check('loss: the flow in VNI 100 lost nothing', f[0][2] == 0,
                             str(f[0]))
                self.c.check('loss: the flow in VNI 999 lost every frame',
                             f[1][2] == f[1][0] > 0 and f[1][1] == 0, str(f[1]))
                self.c.check('loss: mflow-gen loss == mflowd vni_unknown drops',
                             rep['mflowd'].get('drops.vni_unknown') == r['lost'],
                             f"drops {rep['mflowd'].get('drops.vni_unknown')} "
                             f"lost {r['lost']}")
        finally:
            self.b.stop_mflowd()

    def dups(self):
        """3: broadcast into a VNI with two endpoints."""
        def two_eps(cfg):
            cfg['vnis'] = cfg['vnis'][:1]
            cfg['fdb'] = cfg['fdb'][:1]
            cfg['endpoints'][1]['vni'] = gen_bench.VNI_BASE
            cfg['endpoints'][1]['mac'] = '02:00:00:00:01:02'

        self.b.start_mflowd('rtc', 2, edit=two_eps)
        try:
            sc = self.scenario()
            sc['inner']['dst_mac'] = 'ff:ff:ff:ff:ff:ff'
            rep = self.gen('dup', sc, 2, 'decap')
            if rep:
                r = rep['result']
                self.base_checks('dup', rep, r['tx'])
                self.c.check('dup: exactly one duplicate per frame sent',
                             r['dup'] == r['tx'] and r['rx'] == 2 * r['tx'],
                             f"tx {r['tx']} rx {r['rx']} dup {r['dup']}")
                self.c.check('dup: no loss or reordering',
                             (r['lost'], r['ooo']) == (0, 0))
        finally:
            self.b.stop_mflowd()

    def microflow(self):
        """5: an elephant through the microflow mode."""
        def eager(cfg):
            # 20 frames per 1 ms window make an elephant (20 kpps).
            cfg['mflow']['elephant'] = {'promote_pkts': 20, 'demote_pkts': 5}

        self.b.start_mflowd('microflow', 1, edit=eager)
        try:
            mix = [{'name': 'elephant', 'count': 1, 'share': 0.8},
                   {'name': 'mice', 'count': 20, 'share': 0.2}]
            sc = self.b.scenario('vxlan', 64, mix, 1)
            sc['rate_pps'] = 5 * RATE
            rep = self.gen('microflow', sc, 1, 'decap')
            if rep:
                r = rep['result']
                md = rep['mflowd']
                late = md.get('mflow.merge.late', 0)
                self.c.check('microflow: the elephant was split into batches',
                             md.get('mflow.split.batches', 0) > 0, str(md))
                self.c.check('microflow: in order, also across skipped batches',
                             r['ooo'] == 0 and md.get('mflow.merge.ooo', 0) == 0,
                             f"ooo {r['ooo']} mflowd ooo {md.get('mflow.merge.ooo', 0)} "
                             f"skipped {md.get('mflow.merge.skipped', 0)} late {late}")
                self.c.check('microflow: every frame accounted once',
                             r['rx_unique'] + r['lost'] == r['tx'] and r['dup'] == 0,
                             f"tx {r['tx']} rx {r['rx_unique']} lost {r['lost']}")
        finally:
            self.b.stop_mflowd()

    def run(self):
        """All groups; @return the exit status."""
        try:
            for fn in (self.in_order, self.loss, self.dups, self.microflow):
                try:
                    fn()
                except Exception as exc:  # pylint: disable=broad-except
                    self.c.check(f'{fn.__name__} ran to its end', False, repr(exc))
        finally:
            self.b.cleanup()
        self.c.summary()
        return 0 if self.c.failed == 0 else 1


def main(argv):
    """Entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--mflowd')
    ap.add_argument('--gen')
    args = ap.parse_args(argv)
    args.mflowd = args.mflowd or os.path.join(args.build, 'mflowd')
    args.gen = args.gen or os.path.join(args.build, 'bench', 'mflow-gen')
    if os.geteuid() != 0:
        print('SKIP: needs root')
        return 77
    return GenTest(args).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
