"""The job runner's ordering options: a settling channel runs only the newest job, once submissions stop."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject

from widgets import jobs


def test_settling_channel_runs_once_after_the_submissions_stop(qtbot):
    owner = QObject()
    channel = jobs.channel(owner, "settle-test", settle_ms=150)
    ran, delivered = [], []
    channel.finished.connect(delivered.append)
    t0 = time.monotonic()
    for k in range(5):                                   # a drag: five requests 40 ms apart
        last_submit = time.monotonic()
        channel.submit(lambda progress, cancelled, k=k: (ran.append((k, time.monotonic())), k)[1])
        assert channel.busy                              # waiting counts as busy: tests and wait() see it
        qtbot.wait(40)
    assert not ran                                       # nothing started while the requests kept coming
    assert channel.wait(5_000)
    assert delivered == [4] and [k for k, _ in ran] == [4]
    assert ran[0][1] - last_submit >= 0.14               # it waited for the quiet period after the last one
    assert ran[0][1] - t0 >= 0.3


def test_plain_channel_starts_at_once(qtbot):
    owner = QObject()
    channel = jobs.channel(owner, "plain-test")
    started = []
    channel.submit(lambda progress, cancelled: started.append(time.monotonic()))
    t = time.monotonic()
    assert channel.wait(5_000)
    assert started and started[0] - t < 0.1
