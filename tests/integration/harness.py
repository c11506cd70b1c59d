# SPDX-License-Identifier: BSD-3-Clause
"""What the integration tests of containers and CNI share: running groups
of checks so that one that raises does not stop the others, closing with
the summary and the work directory removed (kept with MCT_KEEP=1), and
finding leaks: a process's descriptors by kind, and the free mbufs of
mflowd's packet pools."""

import os
import shutil

from test_overlay import info


class CheckGroups:
    """A test made of check groups; needs self.c (Checks) and self.workdir."""

    def guarded(self, fn):
        """Run one group; an exception counts as its failure."""
        try:
            fn()
        except Exception as exc:  # pylint: disable=broad-except
            self.c.check(f'{fn.__name__} ran to its end', False, repr(exc))

    def finish(self):
        """Print the summary, drop the work directory; @return the exit status."""
        self.c.summary()
        if os.environ.get('MCT_KEEP'):
            info(f'kept {self.workdir}')
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return 0 if self.c.failed == 0 else 1


def fd_kinds(pid):
    """Open descriptors of @pid by kind ('socket', 'anon_inode:bpf-map',
    'file', ...)."""
    kinds = {}
    for fd in os.listdir(f'/proc/{pid}/fd'):
        try:
            target = os.readlink(f'/proc/{pid}/fd/{fd}')
        except OSError:
            continue
        kind = target.split('[')[0].rstrip(':')
        if target.startswith('anon_inode:'):
            kind = target.split('[')[0]
        elif target.startswith('/'):
            kind = 'file'
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def fd_growth(before, after):
    """The kinds of descriptors that grew from @before to @after, and by how
    many."""
    return {k: after[k] - before.get(k, 0) for k in after
            if after[k] > before.get(k, 0)}


# Mbufs a pool's free count may differ by between two idle moments: TX
# completions not yet collected and per-lcore caches, never a port's worth
# (a closed AF_XDP port whose rings were not given back costs 2048 or more).
POOL_SLACK = 256


def pool_avail(stats):
    """Free mbufs by pool name, from the result of mflowd's 'stats'."""
    return {p['name']: p['avail'] for p in (stats or {}).get('pools', [])}


def pool_loss(before, after, slack=POOL_SLACK):
    """The pools of @before (pool_avail()) that lost more than @slack free
    mbufs by @after, and how many."""
    return {n: v - after.get(n, 0) for n, v in before.items()
            if v - after.get(n, 0) > slack}
