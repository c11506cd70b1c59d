# SPDX-License-Identifier: BSD-3-Clause
"""What the integration tests of containers and CNI share: running groups
of checks so that one that raises does not stop the others, and closing
with the summary and the work directory removed (kept with MCT_KEEP=1)."""

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
