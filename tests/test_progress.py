"""tfcourse.labs.progress: the live line on a terminal, plain epoch lines elsewhere."""

import io

import pytest

from tfcourse.labs import progress
from tfcourse.labs.progress import TierProgress, format_duration


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """perf_counter under the test's control (seconds)."""
    now = [100.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: now[0])
    return now


def test_terminal_gets_a_live_line_with_tier_step_cost_and_time_left(clock):
    stream = Terminal()
    bar = TierProgress("keras 3/3", epochs=2, steps_per_epoch=10, stream=stream)
    clock[0] += 4.0
    bar.step(4, cost=0.5)  # 4 of 20 steps in 4 s: 16 s left
    assert stream.getvalue() == "\r[keras 3/3] epoch 1/2  step 4/10  cost 0.5000  ETA 0:16"
    clock[0] += 0.05
    bar.step(5, cost=0.4)  # within 0.1 s of the last drawing: not redrawn
    assert stream.getvalue().count("\r") == 1
    clock[0] += 6.0
    bar.epoch_end(0, cost=0.45, seconds=10.0, accuracy=0.8)
    lines = stream.getvalue().split("\r")
    # the live line is wiped, then the epoch line stays: 10 of 20 steps in 10 s -> 10 s left
    assert lines[-1] == "[keras 3/3] epoch 1/2: cost 0.45, 10.00 s, test accuracy 0.8000, " \
                        "ETA 0:10\n"
    assert lines[-2].strip() == ""


def test_elsewhere_only_plain_epoch_lines(clock):
    stream = io.StringIO()  # a file or a pipe: no isatty
    bar = TierProgress("legacy 1/3", epochs=2, steps_per_epoch=3, stream=stream)
    for step in range(1, 4):
        clock[0] += 1.0
        bar.step(step, cost=1.0)
    bar.epoch_end(0, cost=1.25, seconds=3.0)
    bar.step(6, cost=1.0)
    bar.epoch_end(1, cost=1.0, seconds=3.0)
    bar.close()
    assert stream.getvalue() == ("[legacy 1/3] epoch 1/2: cost 1.25, 3.00 s, ETA 0:03\n"
                                 "[legacy 1/3] epoch 2/2: cost 1, 3.00 s\n")


def test_a_resumed_run_counts_time_left_from_its_own_steps(clock):
    stream = Terminal()
    bar = TierProgress("keras", epochs=4, steps_per_epoch=5, first_epoch=2, stream=stream)
    clock[0] += 2.0
    bar.step(5, cost=0.1)  # epoch 3's 5 steps in 2 s; epoch 4 left
    assert stream.getvalue().endswith("[keras] epoch 3/4  step 5/5  cost 0.1000  ETA 0:02")


def test_disabled_writes_nothing_and_durations_read_as_clocks(clock):
    stream = Terminal()
    bar = TierProgress("port", epochs=1, steps_per_epoch=2, stream=stream, enabled=False)
    bar.step(1, 0.3)
    bar.epoch_end(0, 0.3, 1.0)
    bar.close()
    assert stream.getvalue() == ""
    assert [format_duration(s) for s in (7, 760, 3723, -1)] == ["0:07", "12:40", "1:02:03",
                                                                "0:00"]
