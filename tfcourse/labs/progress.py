"""Progress of a tier's training on the terminal (``tfcourse run`` and ``compare``).

On a terminal, one line redrawn in place says which tier runs, the epoch
and step, the cost so far and the time left; each finished epoch leaves a
line. Elsewhere (a file, a pipe, a CI log) only the epoch lines are
written, as plain lines::

    [keras 3/3] epoch 2/15: cost 0.104318, 1.84 s, test accuracy 0.9532, ETA 0:24

The time left is the tier's remaining steps times its mean step time so far
(epochs taken from a checkpoint are not counted).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["TierProgress", "format_duration"]

REDRAW_SECONDS = 0.1


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:40``, ``1:02:03``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class TierProgress:
    """The progress of one tier: ``step`` after training steps, ``epoch_end`` after epochs.

    Args:
        label: what the lines start with, e.g. ``"keras 3/3"``.
        epochs: epochs of the run.
        steps_per_epoch: training steps per epoch (``None`` until known:
            the legacy program learns its data size when it loads it).
        first_epoch: epochs already done (a resumed run) and not timed.
        stream: where to write (default ``sys.stderr``).
        interactive: redraw a live line; default: ``stream`` is a terminal.
        enabled: ``False`` writes nothing.
    """

    def __init__(self, label: str, epochs: int, steps_per_epoch: int | None = None, *,
                 first_epoch: int = 0, stream: TextIO | None = None,
                 interactive: bool | None = None, enabled: bool = True):
        self.label, self.epochs, self.steps_per_epoch = label, int(epochs), steps_per_epoch
        self.first_epoch = int(first_epoch)
        self.stream = sys.stderr if stream is None else stream
        if interactive is None:
            isatty = getattr(self.stream, "isatty", None)
            interactive = bool(isatty and isatty())
        self.interactive, self.enabled = interactive, enabled
        self._start = time.perf_counter()
        self._steps_done = 0
        self._last_draw = 0.0
        self._drawn = 0  # characters of the live line on screen

    def _total_steps(self) -> int | None:
        if not self.steps_per_epoch:
            return None
        return (self.epochs - self.first_epoch) * self.steps_per_epoch

    def eta(self) -> float | None:
        """Seconds left for this tier, from its mean step time so far (None before a step)."""
        total = self._total_steps()
        if total is None or self._steps_done <= 0:
            return None
        elapsed = time.perf_counter() - self._start
        return elapsed / self._steps_done * max(total - self._steps_done, 0)

    def step(self, steps_done: int, cost: float | None = None) -> None:
        """``steps_done`` training steps of this run are finished (counted from ``first_epoch``)."""
        self._steps_done = int(steps_done)
        if not (self.enabled and self.interactive and self.steps_per_epoch):
            return
        now = time.perf_counter()
        if now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        absolute = self.first_epoch * self.steps_per_epoch + self._steps_done
        epoch, within = divmod(max(absolute - 1, 0), self.steps_per_epoch)
        parts = [f"[{self.label}] epoch {min(epoch + 1, self.epochs)}/{self.epochs}",
                 f"step {within + 1}/{self.steps_per_epoch}"]
        if cost is not None:
            parts.append(f"cost {cost:.4f}")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        self._draw("  ".join(parts))

    def _draw(self, text: str) -> None:
        padding = " " * max(self._drawn - len(text), 0)
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._drawn = len(text)

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def epoch_end(self, epoch: int, cost: float | None = None, seconds: float | None = None,
                  accuracy: Any = None) -> None:
        """Epoch ``epoch`` (0-based) ended: one plain line."""
        if not self.enabled:
            return
        if self.steps_per_epoch:
            self._steps_done = max(self._steps_done,
                                   (epoch + 1 - self.first_epoch) * self.steps_per_epoch)
        parts = []
        if cost is not None:
            parts.append(f"cost {cost:.6g}")
        if seconds is not None:
            parts.append(f"{seconds:.2f} s")
        if accuracy is not None:
            parts.append(f"test accuracy {accuracy:.4f}")
        eta = self.eta()
        if eta is not None and epoch + 1 < self.epochs:
            parts.append(f"ETA {format_duration(eta)}")
        self._clear()
        line = f"[{self.label}] epoch {epoch + 1}/{self.epochs}"
        self.stream.write(line + (": " + ", ".join(parts) if parts else "") + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Take the live line off the screen (the epoch lines stay)."""
        if self.enabled:
            self._clear()
            self.stream.flush()
