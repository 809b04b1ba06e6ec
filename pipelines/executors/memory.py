"""Worker processes keep the memory of freed arrays for the next candidate instead of returning it.

A candidate allocates a few [T, N] float64 arrays (4 MB each on the S&P panel) and frees most of
them when it is done. When glibc hands such a block back to the OS (``munmap`` or a heap trim),
the next allocation page-faults every 4 KiB page in again, and on a virtual machine each of those
faults costs ~9 us of system time: 1,000 faults per array.

- Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (to return memory to
  the OS eagerly). Setting a threshold also freezes glibc's mmap threshold at 128 KiB, so every
  array is ``mmap``-ed and ``munmap``-ed: ~3,000 faults and ~8 ms of system CPU per candidate
  on S&P, against ~100 faults when the memory is reused (``bench/throughput.py``).
- Without the variable glibc raises its thresholds by itself after the first large free, but it
  still trims the top of the heap past twice the array size.

``reuse_freed_memory`` sets both thresholds once per process with ``mallopt``: arrays up to 32 MiB
come from the heap, and up to 128 MiB of free memory stays in the process for reuse.
"""

from __future__ import annotations

import ctypes

import structlog

log = structlog.get_logger()

MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD_BYTES = 128 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3

_state: dict[str, bool] = {}


def reuse_freed_memory() -> bool:
    """Make this process's ``malloc`` keep freed array memory (glibc only; once per process).

    Returns
    -------
    bool : True when both thresholds are set (now or before), False where there is no glibc
        (macOS, musl) or it refused a value.
    """
    if "tuned" not in _state:
        _state["tuned"] = _set_thresholds()
    return _state["tuned"]


def _set_thresholds() -> bool:
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # The mmap threshold first: setting either one stops glibc adjusting the other by itself.
    accepted = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    accepted = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and accepted
    if not accepted:
        log.warning("malloc_thresholds_refused", mmap_threshold=MMAP_THRESHOLD_BYTES, trim=TRIM_THRESHOLD_BYTES)
    return accepted
