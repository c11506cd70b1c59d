#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn benchmark results into PNG plots and the tables of docs/benchmarks.md.

It reads the newest result file of each bench in results/ (or the files
given), draws the plots with gnuplot into docs/img/, and rewrites the
generated blocks of docs/benchmarks.md, each between

    <!-- BEGIN report:NAME -->  and  <!-- END report:NAME -->

leaving the prose around them alone. Blocks whose bench has no result file
say so. The MFLOW paper's figures (bench/paper_mflow.json) are printed as
theirs, never mixed into our series.

Usage:  bench/report.py [--results DIR] [--doc FILE] [--img DIR]
                        [--gen F] [--e2e F] [--reorder F] [--check]
--check only renders into a temporary copy and reports what it would
change (the CI smoke test).
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

E2E_PATHS = ('routed', 'kernel', 'mflowd-rtc', 'mflowd-pinned', 'mflowd-microflow')
GEN_MODES = ('rtc', 'pinned', 'microflow')


def is_quick(doc):
    """Whether a result came from a quick (smoke) run."""
    for d in (doc, doc.get('settings') or {}, doc.get('meta') or {},
              (doc.get('meta') or {}).get('settings') or {},
              (doc.get('meta') or {}).get('args') or {}):
        if isinstance(d, dict) and d.get('quick'):
            return True
    return False


def newest(results, bench):
    """The newest full results/<bench>-*.json by its date key (a quick run's
    only when there is no full one), or None."""
    best, best_key = None, None
    for path in glob.glob(os.path.join(results, f'{bench}-*.json')):
        try:
            with open(path, encoding='utf-8') as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get('bench', bench) != bench:
            continue
        meta = doc.get('meta') or {}
        date = str(doc.get('date') or meta.get('date') or meta.get('date_utc') or '')
        # A run of every case and workload beats a partial one (e.g. e2e.py
        # --cases routed --workloads rate), whatever their dates.
        meta = doc.get('meta') or {}
        whole = len(meta.get('cases') or ()) * len(meta.get('workloads') or ())
        key = (not is_quick(doc), whole, date)
        if best_key is None or key >= best_key:
            best, best_key = path, key
    return best


def load(path):
    """A JSON file, or None."""
    if not path:
        return None
    with open(path, encoding='utf-8') as fh:
        return json.load(fh)


def fnum(v, digits=2):
    """A number for a table cell ('-' when missing)."""
    if v is None or isinstance(v, str):
        return '-' if v is None else v
    if isinstance(v, bool):
        return 'yes' if v else 'no'
    if isinstance(v, int):
        return f'{v:,}'.replace(',', ' ')
    return f'{v:.{digits}f}'


def md_table(head, rows):
    """A markdown table."""
    out = ['| ' + ' | '.join(head) + ' |',
           '|' + '|'.join('---' if i == 0 else '---:' for i in range(len(head))) + '|']
    for r in rows:
        out.append('| ' + ' | '.join(str(c) for c in r) + ' |')
    return '\n'.join(out)


def source_line(path, doc):
    """Where a block's numbers come from."""
    if doc is None:
        return '_No result file yet: run the bench (see above)._'
    m = doc.get('machine') or doc.get('meta', {}).get('machine') or {}
    date = (doc.get('date') or doc.get('meta', {}).get('date')
            or doc.get('meta', {}).get('date_utc'))
    commit = doc.get('commit') or doc.get('meta', {}).get('commit')
    return (f'_Measured: `{os.path.relpath(path, ROOT)}`, {date}, commit `{commit}`, '
            f"{m.get('nproc', '?')} vCPUs ({m.get('cpu', '?')}), kernel "
            f"{m.get('kernel', '?')}._")


class Plotter:
    """gnuplot runs; a missing gnuplot leaves the plots out, with a note."""

    def __init__(self, img_dir):
        self.img_dir = img_dir
        self.tmp = tempfile.mkdtemp(prefix='mflow-report-')
        self.ok = shutil.which('gnuplot') is not None
        self.made = []

    def plot(self, name, script, data):
        """Write @data (dict of file -> text) and run @script; returns the PNG."""
        if not self.ok:
            return None
        for fname, text in data.items():
            with open(os.path.join(self.tmp, fname), 'w', encoding='ascii') as fh:
                fh.write(text)
        png = os.path.join(self.img_dir, f'{name}.png')
        os.makedirs(self.img_dir, exist_ok=True)
        gp = os.path.join(self.tmp, f'{name}.gp')
        with open(gp, 'w', encoding='ascii') as fh:
            fh.write('set terminal pngcairo size 1100,480 font ",10" noenhanced\n')
            fh.write(f"set output '{png}'\n")
            fh.write(f"cd '{self.tmp}'\n")
            fh.write(script)
        res = subprocess.run(['gnuplot', gp], capture_output=True, text=True,
                             check=False)
        if res.returncode != 0:
            print(f'report: gnuplot {name}: {res.stderr.strip()}', file=sys.stderr)
            return None
        self.made.append(png)
        return png

    def cleanup(self):
        """Remove the scratch directory."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def img_link(doc_path, png, alt):
    """A markdown image relative to the document."""
    if png is None:
        return '_(plot not drawn: gnuplot missing or failed)_'
    return f'![{alt}]({os.path.relpath(png, os.path.dirname(doc_path))})'


# -- the paper ------------------------------------------------------------------


def block_paper(paper):
    """The MFLOW paper's own figures and claims, labelled as theirs."""
    if paper is None:
        return '_bench/paper_mflow.json is missing._'
    tb = paper.get('testbed', {})
    lines = ['**Theirs** (the MFLOW paper, on ' + tb.get('nic', '100 GbE') + '; '
             + tb.get('cpu_model', '') + '):', '']
    rows = []
    for h in paper.get('headline', []):
        rows.append((h.get('claim', ''), '"' + h.get('quote', '') + '"'))
    lines.append(md_table(('their claim', 'their words'), rows))
    lines.append('')
    stated = []
    for fig in paper.get('figures', []):
        for series, pts in (fig.get('series') or {}).items():
            for p in pts:
                if p.get('y') is not None:
                    stated.append((fig['id'], series, p.get('x'),
                                   f"{p['y']} {fig.get('unit', '')}"))
    if stated:
        lines.append('Absolute values the paper states (theirs):')
        lines.append('')
        lines.append(md_table(('figure', 'series', 'x', 'value'), stated))
    return '\n'.join(lines)


# -- mflow-gen -------------------------------------------------------------------


def gen_runs(doc, workload):
    """The runs of one workload as {(mode, name): run}."""
    return {(r['mode'], r['name']): r for r in doc.get('runs', [])
            if r['workload'] == workload}


def block_gen_sizes(doc, path, plotter, doc_path):
    """Unpaced decapsulation per frame size and mode, plus the loopback ceiling."""
    if doc is None:
        return source_line(None, None)
    runs = gen_runs(doc, 'sizes')
    loop = gen_runs(doc, 'loopback')
    sizes = []
    for (_, name) in runs:
        s = name.split('-', 1)[1]
        if s not in sizes:
            sizes.append(s)
    head = ['inner frame'] + [f'{m} Mpps' for m in GEN_MODES] + \
        [f'{m} Gbps' for m in GEN_MODES] + [f'{m} loss %' for m in GEN_MODES]
    rows, dat = [], ['# size ' + ' '.join(GEN_MODES)]
    for s in sizes:
        row, mpps, gbps, loss = [s], [], [], []
        for m in GEN_MODES:
            su = runs.get((m, f'sizes-{s}'), {}).get('summary', {})
            mpps.append(fnum(su.get('rx_mpps'), 3))
            gbps.append(fnum(su.get('rx_gbps'), 2))
            loss.append(fnum(su.get('loss_pct'), 3))
        rows.append(row + mpps + gbps + loss)
        if s != 'imix':
            dat.append(s + ' ' + ' '.join(x if x != '-' else 'NaN' for x in mpps))
    out = [source_line(path, doc), '',
           md_table(head, rows), '']
    if loop:
        lrows = [(name.split('-', 1)[1], fnum(r['summary'].get('rx_mpps'), 3),
                  fnum(r['summary'].get('rx_gbps'), 2),
                  fnum(r['summary'].get('p50_us'), 1))
                 for (_, name), r in loop.items() if 'error' not in r['summary']]
        out += ['mflow-gen to itself over a memif pair, no mflowd (the generator\'s '
                'ceiling on one CPU):', '',
                md_table(('frame', 'Mpps', 'Gbps', 'p50 us'), lrows), '']
    script = ("set title 'mflowd VxLAN decapsulation, unpaced, one flow (ours, memif)'\n"
              "set xlabel 'inner frame size (bytes)'\nset ylabel 'Mpps delivered'\n"
              "set logscale x 2\nset grid\nset key top right\nset datafile missing 'NaN'\n"
              "plot for [i=2:4] 'sizes.dat' using 1:i with linespoints lw 2 "
              "title columnheader(i)\n")
    png = plotter.plot('gen-sizes', script, {'sizes.dat': '\n'.join(dat) + '\n'})
    out.append(img_link(doc_path, png, 'mflowd Mpps per frame size and mode'))
    return '\n'.join(out)


def block_gen_ndr(doc, path):
    """NDR/PDR per mode."""
    if doc is None:
        return source_line(None, None)
    runs = gen_runs(doc, 'ndr')
    rows = []
    for (m, name), r in sorted(runs.items()):
        su = r['summary']
        if 'error' in su:
            rows.append((name, m, su['error'], '', '', '', ''))
            continue
        rows.append((name.split('-', 1)[1], m, fnum(su.get('max_pps', 0) / 1e6, 3),
                     fnum(su.get('ndr_mpps'), 3), fnum(su.get('ndr_confirmed')),
                     fnum(su.get('pdr_mpps'), 3), fnum(su.get('pdr_p99_us'), 1)))
    return '\n'.join([source_line(path, doc), '', md_table(
        ('frame', 'mode', 'unpaced Mpps', 'NDR Mpps (0 %)', 'NDR confirmed',
         'PDR Mpps (0.5 %)', 'p99 at PDR (us)'), rows)])


def block_gen_order(doc, path):
    """The elephant + mice mix, encapsulation and the VNI set: order and latency."""
    if doc is None:
        return source_line(None, None)
    rows = []
    for r in doc.get('runs', []):
        if r['workload'] not in ('elephant', 'encap', 'vnis'):
            continue
        su = r['summary']
        if 'error' in su:
            rows.append((r['name'], r['mode'], su['error']) + ('',) * 8)
            continue
        md = (r.get('report') or {}).get('mflowd', {})
        rows.append((r['name'], r['mode'], fnum(su.get('rx_mpps'), 3),
                     fnum(su.get('loss_pct'), 3), fnum(su.get('ooo')),
                     fnum(su.get('elephant.ooo', '-')), fnum(su.get('mice.ooo', '-')),
                     fnum(su.get('p50_us'), 1), fnum(su.get('p99_us'), 1),
                     fnum(md.get('mflow.merge.skipped', 0)),
                     fnum(md.get('mflow.merge.late', 0))))
    return '\n'.join([source_line(path, doc), '', md_table(
        ('run', 'mode', 'Mpps', 'loss %', 'ooo (gen)', 'elephant ooo', 'mice ooo',
         'p50 us', 'p99 us', 'batches skipped (mflowd)', 'late (mflowd)'), rows)])


# -- reorder bench (projection) ----------------------------------------------------


def block_projection(doc, path):
    """mflow-reorder-bench's per-stage costs and its N-worker projection."""
    if doc is None:
        return source_line(None, None)
    out = [f'_From `{os.path.relpath(path, ROOT)}` (mflow-reorder-bench; stage '
           'costs measured on one core, the rest **projected**)._', '']
    rows = []
    for m in doc.get('pipeline', {}).get('modes', []):
        rows.append((m['mode'], fnum(m.get('dispatch_cycles_per_pkt'), 1),
                     fnum(m.get('worker_cycles_per_pkt'), 1),
                     fnum(m.get('reorder_cycles_per_pkt'), 1),
                     fnum(m.get('mpps_one_core'), 2)))
    out.append('Measured, cycles per packet:')
    out.append('')
    out.append(md_table(('mode', 'dispatch', 'worker', 'reorder/merge',
                         'Mpps on one core'), rows))
    prj = doc.get('projection', {})
    prow = []
    for r in prj.get('rows', []):
        by = r.get('elephant_mpps_by_workers', {})
        prow.append((r['mode'],) + tuple(fnum(by.get(n), 1) for n in ('1', '2', '4', '8')))
    out += ['', f"**Projection** (not measured) of one elephant's Mpps with N worker "
            f"cores: {prj.get('formula', '')}", '',
            md_table(('mode', 'N=1', 'N=2', 'N=4', 'N=8'), prow)]
    return '\n'.join(out)


# -- e2e (sockperf / iperf3) --------------------------------------------------------


def block_e2e(doc, path, plotter, doc_path, what):
    """Figures 8a, 9 and 10 (ours) from bench/e2e.py's results."""
    if doc is None:
        return source_line(None, None)
    try:
        import report_e2e  # noqa: E402  pylint: disable=import-outside-toplevel
    except ImportError:
        return '_bench/report_e2e.py is missing._'
    return report_e2e.block(doc, path, plotter, doc_path, what, source_line,
                            md_table, fnum, img_link)


# ---------------------------------------------------------------------------------


def render(doc_text, blocks):
    """Replace every generated block of @doc_text; unknown blocks stay."""
    def sub(m):
        name = m.group(1)
        if name not in blocks:
            return m.group(0)
        return (f'<!-- BEGIN report:{name} -->\n{blocks[name].rstrip()}\n'
                f'<!-- END report:{name} -->')
    return re.sub(r'<!-- BEGIN report:([a-z0-9_-]+) -->.*?<!-- END report:\1 -->',
                  sub, doc_text, flags=re.S)


def main(argv):
    """Entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--results', default=os.path.join(ROOT, 'results'))
    ap.add_argument('--doc', default=os.path.join(ROOT, 'docs', 'benchmarks.md'))
    ap.add_argument('--img', default=None, help='plot directory (default docs/img)')
    ap.add_argument('--gen', help='mflow-gen bench result (default: newest gen-*)')
    ap.add_argument('--e2e', help='e2e result (default: newest e2e-*)')
    ap.add_argument('--reorder', help='mflow-reorder-bench result (default: newest reorder-*)')
    ap.add_argument('--check', action='store_true',
                    help='render into a temporary copy; change nothing')
    args = ap.parse_args(argv)
    sys.path.insert(0, HERE)

    doc_path = args.doc
    img = args.img or os.path.join(os.path.dirname(doc_path), 'img')
    if args.check:
        tmp = tempfile.mkdtemp(prefix='mflow-report-check-')
        shutil.copy(doc_path, os.path.join(tmp, 'benchmarks.md'))
        doc_path = os.path.join(tmp, 'benchmarks.md')
        img = os.path.join(tmp, 'img')

    gen_p = args.gen or newest(args.results, 'gen')
    e2e_p = args.e2e or newest(args.results, 'e2e')
    reo_p = args.reorder or newest(args.results, 'reorder')
    gen, e2e, reo = load(gen_p), load(e2e_p), load(reo_p)
    paper = load(os.path.join(HERE, 'paper_mflow.json'))

    plotter = Plotter(img)
    try:
        blocks = {
            'paper': block_paper(paper),
            'gen-sizes': block_gen_sizes(gen, gen_p, plotter, doc_path),
            'gen-ndr': block_gen_ndr(gen, gen_p),
            'gen-order': block_gen_order(gen, gen_p),
            'projection': block_projection(reo, reo_p),
        }
        for what in ('fig8a', 'fig9', 'fig10', 'sockperf-counters'):
            blocks[what] = block_e2e(e2e, e2e_p, plotter, doc_path, what)
    finally:
        plotter.cleanup()
    with open(doc_path, encoding='utf-8') as fh:
        text = fh.read()
    new = render(text, blocks)
    missing = [b for b in blocks if f'<!-- BEGIN report:{b} -->' not in text]
    with open(doc_path, 'w', encoding='utf-8') as fh:
        fh.write(new)
    print(f'report: {doc_path}: {len(blocks) - len(missing)} blocks, '
          f'{len(plotter.made)} plots' + (f'; no place for {missing}' if missing else ''))
    print(f'report: sources: gen={gen_p} e2e={e2e_p} reorder={reo_p}')
    if args.check:
        shutil.rmtree(os.path.dirname(doc_path), ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
