import threading

import pytest

from miner import daemon
from miner.errors import UsageError


def test_continuous_runs_until_max_cycles():
    calls = []
    assert daemon.run(lambda: calls.append(1), threading.Event(), max_cycles=3) == 3
    assert len(calls) == 3


def test_a_failing_cycle_is_logged_and_the_loop_goes_on():
    calls = []

    def cycle():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")

    assert daemon.run(cycle, threading.Event(), max_cycles=2) == 2


def test_stop_ends_the_loop_after_the_current_cycle():
    stop = threading.Event()
    calls = []

    def cycle():
        calls.append(1)
        stop.set()

    assert daemon.run(cycle, stop) == 1


def test_interval_mode_runs_the_first_cycle_at_once_then_waits():
    stop = threading.Event()
    calls = []

    def cycle():
        calls.append(1)
        if len(calls) == 2:
            stop.set()

    assert daemon.run(cycle, stop, every=0.05, poll=0.01) == 2


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), ("2.5", 2.5)])
def test_parse_interval(text, seconds):
    assert daemon.parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", "0"])
def test_bad_interval(text):
    with pytest.raises(UsageError, match="not an interval"):
        daemon.parse_interval(text)


def test_heartbeat_beats_in_the_background():
    beats = []
    with daemon.Heartbeat(lambda: beats.append(1), 0.01):
        threading.Event().wait(0.1)
    assert len(beats) >= 3
