"""The daemon loop: thin on purpose (schedule style). It owns no mining logic.

``run(cycle, stop, every=None, max_cycles=None)`` calls ``cycle()`` back to back
(continuous) or every ``every`` seconds through ``schedule``, until ``stop`` is set. A cycle that
raises is logged and the loop continues (a crash in one cycle must not end weeks of mining);
``KeyboardInterrupt`` and a set ``stop`` end it. Missed intervals are not replayed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import schedule
import structlog

log = structlog.get_logger(__name__)


def run(
    cycle: Callable[[], object],
    stop: threading.Event,
    *,
    every: float | None = None,
    max_cycles: int | None = None,
    poll: float = 0.5,
) -> int:
    """Run cycles until ``stop`` is set (or ``max_cycles`` ran); returns the number of cycles run."""
    done = 0

    def job() -> None:
        nonlocal done
        try:
            cycle()
        except Exception:  # noqa: BLE001 - the edge of the loop: log, then keep mining
            log.exception("cycle_failed")
        done += 1

    if every is None:
        while not stop.is_set() and (max_cycles is None or done < max_cycles):
            job()
        return done
    scheduler = schedule.Scheduler()
    scheduler.every(every).seconds.do(job)
    job()
    while not stop.is_set() and (max_cycles is None or done < max_cycles):
        scheduler.run_pending()
        stop.wait(min(poll, max(0.0, scheduler.idle_seconds or poll)))
    return done


def parse_interval(text: str) -> float:
    """Seconds in ``'30s'``, ``'15m'``, ``'6h'``, ``'1d'`` (a bare number is seconds)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            value = float(text[:-1]) * units[text[-1]]
        else:
            value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        from miner.errors import UsageError

        raise UsageError(f"--every {text!r} is not an interval such as 30s, 15m, 6h or 1d")
    return value


class Heartbeat:
    """Refreshes the store's daemon lock every ``interval`` seconds from a background thread."""

    def __init__(self, beat: Callable[[], None], interval: float):
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - a missed beat is retried next interval
                log.exception("heartbeat_failed")

