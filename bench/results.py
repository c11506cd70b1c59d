# SPDX-License-Identifier: BSD-3-Clause
"""Where benchmark results go and what they say about the run.

Every benchmark writes one JSON file into ``results/`` named
``<bench>-<UTC date>-<time>-<commit>.json`` whose top level carries
``bench``, ``kind`` ("measured"), ``date`` (UTC, ISO 8601), ``commit``
(``git describe``, with ``-dirty`` for a changed work tree), ``command``
(argv) and ``machine`` (CPU model, CPUs online, memory, kernel, load
average before the run).
"""

import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(ROOT, 'results')


def git_commit():
    """``git describe --always --dirty`` of the work tree, or 'unknown'."""
    res = subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty',
                          '--abbrev=12'], capture_output=True, text=True,
                         check=False)
    return res.stdout.strip() or 'unknown'


def cpu_model():
    """The CPU model from /proc/cpuinfo."""
    try:
        with open('/proc/cpuinfo', encoding='ascii', errors='replace') as fh:
            for line in fh:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def _mem_gib():
    try:
        with open('/proc/meminfo', encoding='ascii') as fh:
            for line in fh:
                if line.startswith('MemTotal:'):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def loadavg():
    """The 1-minute load average: other work skews the figures."""
    with open('/proc/loadavg', encoding='ascii') as fh:
        return float(fh.read().split()[0])


def machine():
    """What the figures were measured on."""
    return {
        'cpu': cpu_model(),
        'nproc': os.cpu_count(),
        'mem_gib': _mem_gib(),
        'kernel': platform.release(),
        'host': platform.node(),
        'loadavg_1m': loadavg(),
    }


def header(bench):
    """The common top-level keys of a result file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        'bench': bench,
        'kind': 'measured',
        'date': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'commit': git_commit(),
        'command': sys.argv,
        'machine': machine(),
    }


def write(doc, out=None):
    """Write @doc into results/ (or @out); returns the path."""
    if out is None:
        os.makedirs(RESULTS, exist_ok=True)
        stamp = doc['date'].replace('-', '').replace(':', '')
        stamp = stamp.replace('T', '-').rstrip('Z')
        out = os.path.join(RESULTS, f"{doc['bench']}-{stamp}-{doc['commit']}.json")
    with open(out, 'w', encoding='utf-8') as fh:
        json.dump(doc, fh, indent=1)
        fh.write('\n')
    return out


def wrap(bench, path, extra=None):
    """Give a bench's own JSON report the common keys and store it in results/.

    The report's keys stay as they are, under the common ones; @extra is
    merged in too. Returns the path written.
    """
    with open(path, encoding='utf-8') as fh:
        body = json.load(fh)
    doc = header(bench)
    doc.update(extra or {})
    for k, v in body.items():
        doc.setdefault(k, v)
    return write(doc)


if __name__ == '__main__':
    # results.py wrap BENCH FILE [quick]: used by bench/run_all.sh for the C benches.
    if len(sys.argv) >= 4 and sys.argv[1] == 'wrap':
        print(wrap(sys.argv[2], sys.argv[3],
                   {'quick': len(sys.argv) > 4 and sys.argv[4] == 'quick'}))
    else:
        print('usage: results.py wrap BENCH FILE [quick]', file=sys.stderr)
        sys.exit(2)
