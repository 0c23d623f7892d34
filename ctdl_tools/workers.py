"""What the forked worker processes of convert and validate share."""

from __future__ import annotations

import os


def die_with_parent(parent: int, signum: int) -> bool:
    """Ask Linux to send this worker ``signum`` when its parent dies (a SIGTERM sent to the parent alone, a
    `timeout`, kill -9): a worker would otherwise live on, adopted by init, writing its share or blocked on its
    pipe. False when ``parent`` is already gone (the worker should leave now); where there is no prctl (not
    Linux), nothing is asked and True is returned."""
    import ctypes  # here: only a worker pays for it

    try:
        # The process's own symbols: libc is linked in (find_library would run ldconfig in every worker).
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signum), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return True
    return os.getppid() == parent  # the parent may have died before the request was made
