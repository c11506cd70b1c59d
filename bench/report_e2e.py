# SPDX-License-Identifier: BSD-3-Clause
"""The sockperf/iperf3 blocks of docs/benchmarks.md (bench/report.py).

From bench/e2e.py's results (schema in docs/e2e.md): ``cases[CASE]`` with
``tp[PROTO][SIZE]`` (sockperf throughput), ``pp[PROTO][SIZE]`` (sockperf
ping-pong) and ``mf[PROTO][SIZE][FLOWS]`` (iperf3 -P FLOWS).
"""

PATHS = ('routed', 'kernel', 'mflowd-rtc', 'mflowd-pinned', 'mflowd-microflow')
LABEL = {'routed': 'native (routed)', 'kernel': 'kernel overlay',
         'mflowd-rtc': 'mflowd rtc', 'mflowd-pinned': 'mflowd pinned',
         'mflowd-microflow': 'mflowd microflow'}


def _get(node, *path):
    for p in path:
        if not isinstance(node, dict):
            return None
        node = node.get(p)
    return node


def _size(s):
    s = int(s)
    return '64 KB' if s >= 65000 else (f'{s // 1024} KB' if s % 1024 == 0 else f'{s} B')


def _paths(doc):
    return [p for p in PATHS if p in doc.get('cases', {})]


def _ratio(a, b):
    if not a or not b:
        return '-'
    return f'{100.0 * (a - b) / b:+.0f} %'


def _sizes(doc, kind, proto):
    found = set()
    for p in _paths(doc):
        found.update((_get(doc['cases'][p], kind, proto) or {}).keys())
    return sorted(found, key=int)


def _dat(rows):
    return '\n'.join(' '.join('NaN' if v is None else str(v) for v in r) for r in rows) + '\n'


def _multiplot(title, panels, n_series, axes):
    """A gnuplot script: one panel per (panel title, data file), every series
    of the file against its first column; @axes are extra settings."""
    script = (f"set multiplot layout 1,{len(panels)} title '{title}'\n"
              "set grid\nset datafile missing 'NaN'\n" + axes)
    for name, dat in panels:
        script += (f"set title '{name}'\n"
                   f"plot for [i=2:{n_series + 1}] '{dat}' using 1:i "
                   "with linespoints lw 2 title columnheader(i)\n")
    return script + 'unset multiplot\n'


def fig8a(doc, plotter, fnum, md_table):
    """Throughput per message size: sockperf, Mbit/s of payload delivered."""
    paths = _paths(doc)
    out, data = [], {}
    for proto in ('tcp', 'udp'):
        rows, dat = [], [['#size'] + paths]
        for s in _sizes(doc, 'tp', proto):
            vals = [_get(doc['cases'][p], 'tp', proto, s, 'delivered_mbit_per_s')
                    for p in paths]
            kern = vals[paths.index('kernel')] if 'kernel' in paths else None
            best = max((v for p, v in zip(paths, vals) if p.startswith('mflowd') and v),
                       default=None)
            rows.append([_size(s)] + [fnum(v, 1) for v in vals] + [_ratio(best, kern)])
            dat.append([s] + vals)
        out += [f'**{proto.upper()}**, Mbit/s delivered (sockperf throughput):', '',
                md_table(['message'] + [LABEL[p] for p in paths]
                         + ['best mflowd vs kernel overlay'], rows), '']
        data[f'tp_{proto}.dat'] = _dat(dat)
    script = _multiplot('Throughput per message size (ours)',
                        [(p.upper(), f'tp_{p}.dat') for p in ('tcp', 'udp')], len(paths),
                        "set logscale xy\nset key bottom right\n"
                        "set xlabel 'message size (bytes)'\nset ylabel 'Mbit/s delivered'\n")
    return out, plotter.plot('fig8a-ours', script, data)


def fig9(doc, plotter, fnum, md_table):
    """Ping-pong latency: p50 and p99 per message size (half round trip)."""
    paths = _paths(doc)
    out, data = [], {}
    for proto in ('udp', 'tcp'):
        rows, dat = [], [['#size'] + paths]
        for s in _sizes(doc, 'pp', proto):
            cells, p50s = [], []
            for p in paths:
                node = _get(doc['cases'][p], 'pp', proto, s) or {}
                cells.append(f"{fnum(node.get('p50_us'), 1)} / {fnum(node.get('p99_us'), 1)}")
                p50s.append(node.get('p50_us'))
            rows.append([_size(s)] + cells)
            dat.append([s] + p50s)
        out += [f'**{proto.upper()}**, p50 / p99 in microseconds (sockperf ping-pong, '
                'half the round trip):', '',
                md_table(['message'] + [LABEL[p] for p in paths], rows), '']
        data[f'pp_{proto}.dat'] = _dat(dat)
    script = _multiplot('Ping-pong latency p50 (ours)',
                        [(p.upper(), f'pp_{p}.dat') for p in ('udp', 'tcp')], len(paths),
                        "set logscale x\nset key top left\n"
                        "set xlabel 'message size (bytes)'\nset ylabel 'p50 latency (us)'\n")
    return out, plotter.plot('fig9-ours', script, data)


def fig10(doc, plotter, fnum, md_table):
    """Several flows: iperf3 -P N, aggregate Gbit/s received."""
    paths = _paths(doc)
    out, data, plots = [], {}, []
    for proto in ('tcp', 'udp'):
        for s in _sizes(doc, 'mf', proto):
            flows = sorted({f for p in paths
                            for f in (_get(doc['cases'][p], 'mf', proto, s) or {})}, key=int)
            rows, dat = [], [['#flows'] + paths]
            for f in flows:
                vals = [_get(doc['cases'][p], 'mf', proto, s, f, 'received_gbit_per_s')
                        for p in paths]
                kern = vals[paths.index('kernel')] if 'kernel' in paths else None
                mfv = (vals[paths.index('mflowd-microflow')]
                       if 'mflowd-microflow' in paths else None)
                rows.append([f] + [fnum(v, 3) for v in vals] + [_ratio(mfv, kern)])
                dat.append([f] + vals)
            name = f'mf_{proto}_{s}.dat'
            data[name] = _dat(dat)
            plots.append((proto, s, name))
            out += [f'**{proto.upper()} {_size(s)}**, Gbit/s received (iperf3 -P N):', '',
                    md_table(['flows'] + [LABEL[p] for p in paths]
                             + ['microflow vs kernel overlay'], rows), '']
    if not plots:
        return out, None
    script = _multiplot('Aggregate throughput vs flows (ours)',
                        [(f'{p.upper()} {_size(sz)}', name) for p, sz, name in plots],
                        len(paths), "set key bottom right\nset xlabel 'flows'\n"
                        "set ylabel 'Gbit/s'\nset yrange [0:*]\n")
    return out, plotter.plot('fig10-ours', script, data)


def counters(doc, fnum, md_table):
    """sockperf's own dropped / duplicated / out-of-order counts, and iperf3 UDP's."""
    rows = []
    for p in _paths(doc):
        c = doc['cases'][p]
        for proto in ('udp', 'tcp'):
            for s, node in sorted((_get(c, 'pp', proto) or {}).items(), key=lambda x: int(x[0])):
                rows.append((LABEL[p], f'ping-pong {proto} {_size(s)}',
                             fnum(node.get('dropped')), fnum(node.get('duplicated')),
                             fnum(node.get('out_of_order'))))
            for s, node in sorted((_get(c, 'tp', proto) or {}).items(), key=lambda x: int(x[0])):
                rows.append((LABEL[p], f'throughput {proto} {_size(s)}',
                             f"{fnum(node.get('dropped'))} ({fnum(node.get('loss_pct'), 3)} %)",
                             '-', '-'))
        for s, runs in sorted((_get(c, 'mf', 'udp') or {}).items(), key=lambda x: int(x[0])):
            for f, node in sorted(runs.items(), key=lambda x: int(x[0])):
                rows.append((LABEL[p], f'iperf3 udp {_size(s)} -P {f}',
                             f"{fnum(node.get('lost_packets'))} "
                             f"({fnum(node.get('loss_pct'), 3)} %)", '-',
                             fnum(node.get('out_of_order'))))
    return [md_table(('path', 'run', 'lost', 'duplicated', 'out of order'), rows)]


def block(doc, path, plotter, doc_path, what, source_line, md_table, fnum, img_link):
    """One generated block: fig8a, fig9, fig10 or sockperf-counters."""
    head = [source_line(path, doc), '']
    meta = doc.get('meta', {})
    if what == 'sockperf-counters':
        return '\n'.join(head + counters(doc, fnum, md_table))
    fn = {'fig8a': fig8a, 'fig9': fig9, 'fig10': fig10}[what]
    body, png = fn(doc, plotter, fnum, md_table)
    if meta.get('lcore_layout'):
        head.append(f"_Pinning: {meta.get('pinning', '')}; mflowd lcores: "
                    f"{meta['lcore_layout']}._")
        head.append('')
    return '\n'.join(head + body + [img_link(doc_path, png, what)])
