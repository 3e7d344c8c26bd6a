"""A wall-time budget for a search and the final training of its best configuration.

Seed 000's homework asks for the best accuracy "within" what a student has;
issue 18 sets it as one CPU hour for the search *and* the final training.
:class:`TimeBudget` lets the oracle start a new trial only while the time
already spent, plus the longest trial so far (the next one may be as long),
plus the estimated final training, fits in the budget::

    spent + max(trial seconds) + final estimate <= budget        (else: no new trial)

    final estimate = seconds per epoch of the best trial
                     x its best epoch count (the epochs the final training runs)
                     x (training examples of the final training / of a trial)

A trial's seconds are measured by the oracle from the moment it hands the
trial out to the moment the trial ends (model building, tracing, validation
and checkpoints included), so the estimate of the final training errs on the
long side. ``spent`` counts the earlier runs of the same search (their wall
times in ``search.json``) and this run since it started. A trial already
running is never cut short, and a trial handed out again after a kill (the
retry queue) always continues.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

__all__ = ["EPOCHS_METRIC", "TimeBudget"]


@dataclasses.dataclass
class TimeBudget:
    """Seconds for the search and the final training together.

    Args:
        seconds: the budget.
        spent_before: wall seconds of earlier runs of this search.
        final_scale: training examples of the final training per training
            example of a trial (``(train + validation) / train``), or
            ``None`` when there is no final training.
        started: ``time.monotonic()`` when this run started.
    """

    seconds: float
    spent_before: float = 0.0
    final_scale: float | None = None
    started: float = dataclasses.field(default_factory=time.monotonic)

    def spent(self) -> float:
        """Wall seconds of this search so far, earlier runs included."""
        return self.spent_before + time.monotonic() - self.started

    @staticmethod
    def final_epochs(trial) -> int:
        """The epochs a final training of ``trial`` runs: up to its best epoch (``best_step + 1``)."""
        return int(trial.best_step) + 1

    def final_estimate(self, oracle) -> float:
        """Seconds the final training of the best trial so far is expected to take."""
        if self.final_scale is None:
            return 0.0
        best = oracle.get_best_trials(1)
        if not best:
            return 0.0
        trial = best[0]
        seconds = oracle.trial_seconds.get(trial.trial_id)
        epochs = _epochs_run(trial, oracle.objective.name)
        if seconds is None or not epochs:
            return 0.0
        return seconds / epochs * self.final_epochs(trial) * self.final_scale

    def next_trial_estimate(self, oracle) -> float:
        """The longest trial so far: what the next one may take."""
        return max(oracle.trial_seconds.values(), default=0.0)

    def stop_reason(self, oracle) -> str | None:
        """Why no new trial may start (one line), or ``None`` when one may."""
        spent = self.spent()
        trial = self.next_trial_estimate(oracle)
        final = self.final_estimate(oracle)
        if spent + trial + final <= self.seconds:
            return None
        return (f"time budget of {self.seconds:,.0f} s: {spent:,.0f} s spent, the next trial "
                f"may take {trial:,.0f} s and the final training {final:,.0f} s; no new trial")


EPOCHS_METRIC = "epochs_trained"
"""A trial's history carries the number of epochs it trained under this name (every epoch's
entry holds the total), so the oracle records it with the trial's metrics."""


def _epochs_run(trial, objective: str) -> int:
    """Epochs the trial trained (:data:`EPOCHS_METRIC`), at least up to its best epoch."""
    metrics: Any = getattr(trial, "metrics", None)
    trained = 0
    if metrics is not None and metrics.exists(EPOCHS_METRIC):
        trained = int(round(metrics.get_last_value(EPOCHS_METRIC)))
    return max(trained, int(trial.best_step) + 1)
