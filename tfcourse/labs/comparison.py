"""``tfcourse compare LAB``: the three tiers of a lab from the same start, step by step.

How the tiers are made comparable:

1. the legacy program runs through :mod:`tfcourse.compat` and a
   :class:`~tfcourse.compat.Trace` records its weights right after
   ``sess.run(tf.global_variables_initializer())``, the indices of every
   ``next_batch`` and the loss of every training step;
2. the TF2 port and the Keras model start from those weights (mapped in
   creation order: ``Variable``, ``Variable_1``... or ``W1``, ``b1``... to
   ``dense_1/kernel``, ``dense_1/bias``...), train on the same mini-batches in
   the same order (the same arrays: the split comes from compat's
   ``input_data``), with the lab's optimizer under its ``tf1`` convention;
3. per step, the loss of each tier is compared with the legacy loss; per
   epoch, the mean cost, test accuracy and seconds are reported.

The bounds (issue 5), checked by :meth:`Comparison.checks`:

* labs without randomness in training: over the first 200 steps,
  ``|loss_tier - loss_legacy| <= 1e-4 * max(1, |loss_legacy|)``, and final
  test accuracy within 0.3 points of the legacy run's.
  Why 1e-4 holds: every tier runs the same float32 kernels (``MatMul``,
  ``BiasAdd``/``Add``, ``Relu``, ``SoftmaxCrossEntropyWithLogits``, a mean
  over the batch; the tf1 rules of the tfcourse optimizers call the same
  ``ResourceApply*`` kernels as ``tf.compat.v1.train``), so the step losses
  can differ only by reduction order (Keras divides a sum by the batch size,
  ``tf.reduce_mean`` divides inside its kernel), a few float32 ulps that
  training may amplify but not to 1e-4 within 200 steps (measured: 0 for the
  port, <= 1e-5 relative for Keras). The labs with ``tf.random_normal``
  weights start with losses in the hundreds or thousands, where one float32
  ulp is already ~1e-4, so above a loss of 1 the bound is relative (1e-4 of
  the loss); both the absolute and the relative gap are reported.
* labs with dropout: TF1's masks come from its stateful graph RNG, the
  port's from ``stateless_dropout`` and Keras' from its seed generator; no
  tier can replay another's masks, so per-step losses are not expected to
  agree and are not checked. They are compared by statistics over seeds:
  with ``repeats=R >= 2`` the port and Keras tiers train R times from the
  legacy weights and batches with dropout seeds ``seed..seed+R-1``, and the
  check is ``|mean accuracy - legacy accuracy| <= max(3 * std, 0.3 points)``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import textwrap
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tfcourse._validation import check_int
from tfcourse.labs.registry import TIERS, Lab, get
from tfcourse.labs.runs import TierRun, load_data, plural, run_keras, run_legacy, run_port

__all__ = ["ACCURACY_TOLERANCE", "CHECK_STEPS", "LOSS_TOLERANCE", "Check", "Comparison", "compare",
           "one_ulp_accuracies", "one_ulp_away",
           "saved_progress"]

CHECK_STEPS = 200
LOSS_TOLERANCE = 1e-4
ACCURACY_TOLERANCE = 0.003  # 0.3 points


def loss_bound(legacy_losses: np.ndarray) -> np.ndarray:
    """``1e-4 * max(1, |loss|)``: absolute below a loss of 1, relative above (module docstring)."""
    return LOSS_TOLERANCE * np.maximum(1.0, np.abs(legacy_losses))


@dataclasses.dataclass
class Check:
    """One bound: what it compares, the measured value, the bound and whether it holds."""

    name: str
    measured: float
    bound: float
    passed: bool | None
    note: str = ""

    def line(self) -> str:
        """``PASS  <name>: <measured> (bound <bound>)``, the note on an indented second line."""
        status = {True: "PASS", False: "FAIL", None: "INFO"}[self.passed]
        text = f"{status}  {self.name}: {self.measured:.3g} (bound {self.bound:.3g})"
        note = self.note.removeprefix("; ")
        if not note:
            return text
        return text + "\n" + textwrap.fill(note, width=100, initial_indent=" " * 6,
                                           subsequent_indent=" " * 6)


@dataclasses.dataclass
class Comparison:
    """The result of :func:`compare`.

    Attributes:
        lab: the lab.
        dataset, max_examples, seed: the data and seed used.
        epochs, steps_per_epoch: the training length.
        runs: tier -> :class:`~tfcourse.labs.runs.TierRun` (``legacy`` always).
        repeats: tier -> the runs with other dropout seeds (dropout labs, ``repeats >= 2``).
    """

    lab: Lab
    dataset: str
    max_examples: int | None
    seed: int
    epochs: int
    steps_per_epoch: int
    runs: dict
    repeats: dict = dataclasses.field(default_factory=dict)
    keras_dense: str = "tf1"
    own_accuracies: list = dataclasses.field(default_factory=list)
    """Labs with ``checked_steps``: the TF1 program's final test accuracy from its starting
    weights moved one ulp up and one ulp down (its own spread; see :func:`one_ulp_accuracies`)."""

    @property
    def tiers(self) -> list[str]:
        return [tier for tier in TIERS if tier in self.runs]

    def step_difference(self, tier: str) -> np.ndarray:
        """``|loss_tier - loss_legacy|`` per step."""
        legacy = self.runs["legacy"].step_losses
        other = self.runs[tier].step_losses
        n = min(len(legacy), len(other))
        return np.abs(other[:n] - legacy[:n])

    def checks(self, steps: int = CHECK_STEPS) -> list[Check]:
        """The issue's bounds for each tier against the legacy run (module docstring)."""
        legacy = self.runs["legacy"]
        results = []
        for tier in self.tiers:
            if tier == "legacy":
                continue
            run = self.runs[tier]
            if self.lab.deterministic:
                n = min(steps, self.lab.step_checks, len(legacy.step_losses),
                        len(run.step_losses))
                gap = self.step_difference(tier)[:n]
                ratio = gap / loss_bound(legacy.step_losses[:n])
                worst = int(np.argmax(ratio)) if n else 0
                results.append(Check(
                    f"{tier} vs legacy, loss of the first {n} steps, |difference| / bound",
                    float(ratio.max()) if n else 0.0, 1.0, bool(n and ratio.max() <= 1.0),
                    f"; max |difference| {gap.max() if n else 0:.3g} (step {worst + 1}, "
                    f"loss {legacy.step_losses[worst] if n else 0:.4g}), max relative "
                    f"{(gap / np.maximum(np.abs(legacy.step_losses[:n]), 1e-30)).max() if n else 0:.3g}"
                    + (f"; only the first {n} steps are held to it: one ulp in its starting "
                       f"weights carries this program itself past the bound soon after"
                       if self.lab.checked_steps and n == self.lab.step_checks else ""),
                ))
                accuracy_gap = abs(run.final_accuracy - legacy.final_accuracy)
                bound, note = ACCURACY_TOLERANCE, ""
                if self.own_accuracies:
                    # past checked_steps the program's own rounding decides where it ends: no
                    # version can be held closer than the program is to itself one ulp away
                    own = max(abs(a - legacy.final_accuracy) for a in self.own_accuracies)
                    bound = max(bound, own)
                    note = ("; bound: the larger of 0.003 and the TF1 program's own gap from "
                            "weights one ulp away (" +
                            ", ".join(f"{a:.4f}" for a in self.own_accuracies) + ")")
                results.append(Check(f"{tier} vs legacy, final test accuracy, |difference|",
                                     accuracy_gap, bound, bool(accuracy_gap <= bound), note))
            else:
                accuracies = [r.final_accuracy for r in [run, *self.repeats.get(tier, [])]]
                mean = float(np.mean(accuracies))
                std = float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0
                bound = max(3 * std, ACCURACY_TOLERANCE)
                gap = abs(mean - legacy.final_accuracy)
                passed = bool(gap <= bound) if len(accuracies) > 1 else None
                note = (f"; {len(accuracies)} dropout seeds, mean {mean:.4f}, std {std:.4f}"
                        if len(accuracies) > 1 else
                        "; dropout masks differ between tiers: pass repeats >= 2 to check")
                results.append(Check(f"{tier} vs legacy, final test accuracy over dropout seeds",
                                     gap, bound, passed, note))
        return results

    def passed(self, steps: int = CHECK_STEPS) -> bool:
        """Every applicable bound holds."""
        return all(check.passed is not False for check in self.checks(steps))

    def epoch_rows(self) -> list[dict[str, Any]]:
        """One row per epoch: cost, largest step-loss difference, test accuracy, seconds."""
        rows = []
        steps = self.steps_per_epoch
        for epoch in range(self.epochs):
            row: dict[str, Any] = {"epoch": epoch + 1}
            for tier in self.tiers:
                run = self.runs[tier]
                row[f"cost_{tier}"] = _at(run.epoch_costs, epoch)
                if tier != "legacy":
                    gap = self.step_difference(tier)[epoch * steps:(epoch + 1) * steps]
                    row[f"max_step_diff_{tier}"] = float(gap.max()) if len(gap) else None
                row[f"test_accuracy_{tier}"] = _at(run.test_accuracy, epoch)
                row[f"seconds_{tier}"] = _at(run.seconds, epoch)
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (``tfcourse compare --json``)."""
        return {
            "lab": self.lab.describe(),
            "dataset": self.dataset,
            "max_examples": self.max_examples,
            "seed": self.seed,
            "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            "deterministic": self.lab.deterministic,
            "keras_dense": self.keras_dense,
            "epochs_table": self.epoch_rows(),
            "final_accuracy": {tier: self.runs[tier].final_accuracy for tier in self.tiers},
            "checks": [dataclasses.asdict(check) for check in self.checks()],
            "passed": self.passed(),
            "step_losses": {tier: self.runs[tier].step_losses.tolist() for tier in self.tiers},
            "repeats": {tier: [r.final_accuracy for r in runs] for tier, runs in self.repeats.items()},
            "own_accuracies_one_ulp_away": list(self.own_accuracies),
        }

    def format_table(self) -> str:
        """The per-epoch table and the checks, as printed by ``tfcourse compare`` (<= 100 columns).

        The cost column is the legacy run's; the other tiers' costs, per
        step and per epoch, are in :meth:`to_dict` (``compare.json``).
        """
        lab = self.lab
        lines = [
            f"{lab.name}: {lab.title}",
            f"data {self.dataset}" + (f" (max {self.max_examples} examples per split)"
                                      if self.max_examples else "")
            + f", {plural(self.epochs, 'epoch')} x {plural(self.steps_per_epoch, 'step')} of "
              f"{lab.batch_size}, seed {self.seed}",
            f"optimizer {lab.optimizer} (tf1 convention), Keras tier Dense: {self.keras_dense}",
            f"course result (MNIST): {lab.course_result}",
            "",
        ]
        others = [t for t in self.tiers if t != "legacy"]
        rows = self.epoch_rows()
        columns = [("", "epoch", [str(row["epoch"]) for row in rows]),
                   ("cost", "legacy", [_fmt(row["cost_legacy"], ".6g") for row in rows])]
        columns += [("max |dloss|", t, [_fmt(row[f"max_step_diff_{t}"], ".2e") for row in rows])
                    for t in others]
        columns += [("test accuracy", t, [_fmt(row[f"test_accuracy_{t}"], ".4f") for row in rows])
                    for t in self.tiers]
        columns += [("s/epoch", t, [_fmt(row[f"seconds_{t}"], ".2f") for row in rows])
                    for t in self.tiers]
        lines += _grouped_table(columns)
        lines.append("")
        lines.append("final test accuracy: " + ", ".join(
            f"{t} {self.runs[t].final_accuracy:.4f}" for t in self.tiers))
        lines += [check.line() for check in self.checks()]
        lines.append("cost per tier and per step: compare.json")
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike) -> Path:
        """A PNG of the per-step losses of each tier and their gap to the legacy run."""
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure, (losses, gaps) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
        styles = {"legacy": ("black", "-", 2.5), "port": ("tab:blue", "--", 1.5),
                  "keras": ("tab:orange", ":", 1.5)}
        for tier in self.tiers:
            color, style, width = styles[tier]
            values = self.runs[tier].step_losses
            losses.plot(np.arange(1, len(values) + 1), values, style, color=color, lw=width,
                        label=tier)
            if tier != "legacy":
                gap = self.step_difference(tier)
                gaps.plot(np.arange(1, len(gap) + 1), np.maximum(gap, 1e-12), color=color,
                          lw=1, label=f"{tier} (0 drawn at 1e-12)")
        n = min(self.lab.step_checks, len(self.runs["legacy"].step_losses))
        bound = loss_bound(self.runs["legacy"].step_losses[:n])
        if self.lab.deterministic:
            gaps.plot(np.arange(1, n + 1), bound, color="red", lw=1,
                      label=f"bound (first {self.lab.step_checks} steps)")
        losses.set_yscale("log")
        losses.set_ylabel("loss per step")
        losses.set_title(f"{self.lab.name} on {self.dataset}: per-step loss of each tier")
        losses.legend()
        gaps.set_yscale("log")
        gaps.set_xlabel("training step")
        gaps.set_ylabel("|loss - legacy loss|")
        gaps.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        return path


def _grouped_table(columns: list) -> list[str]:
    """Rows of right-aligned columns ``(group, header, cells)`` under group titles.

    A group title spans its adjacent columns; the last column of a group
    widens when the title is longer than the columns under it.
    """
    widths = [max(len(header), *(len(cell) for cell in cells)) for _, header, cells in columns]
    spans = [(group, [i for i, column in enumerate(columns) if column[0] == group])
             for group in dict.fromkeys(column[0] for column in columns)]
    for group, indices in spans:
        room = sum(widths[i] for i in indices) + 2 * (len(indices) - 1)
        widths[indices[-1]] += max(len(group) - room, 0)
    titles = "  ".join(
        group.ljust(sum(widths[i] for i in indices) + 2 * (len(indices) - 1))
        for group, indices in spans)
    table = [titles.rstrip(), "  ".join(h.rjust(w) for (_, h, _), w in zip(columns, widths))]
    for row in range(len(columns[0][2])):
        table.append("  ".join(cells[row].rjust(w) for (_, _, cells), w in zip(columns, widths)))
    return table


def _at(values: Sequence, index: int):
    return values[index] if index < len(values) else None


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


LEGACY_SETTINGS = ("lab", "dataset", "epochs", "max_examples", "seed")
"""The settings a saved legacy or port result depends on (the Keras tier's also on
``keras_dense`` and ``fit_overrides``)."""


class _SavedTiers:
    """The finished tiers of a comparison in ``directory``, for a re-run after a kill.

    * ``legacy.npz`` (the :class:`~tfcourse.compat.Trace`: initial weights,
      mini-batch indices, losses) and ``legacy.json`` (the rest of its
      :class:`TierRun` and the settings), written when the legacy run ends;
    * ``port-seed<S>.json``: a port run's :class:`TierRun`, when it ends;
    * ``keras-seed<S>/``: the Keras run's epoch-end checkpoints
      (:mod:`tfcourse.checkpointing`).

    Each file is written atomically, the ``.json`` last, so a kill leaves a
    tier either saved whole or not at all. Floats go through JSON as their
    shortest repr, which reads back as the same float64.
    """

    def __init__(self, directory, settings: dict):
        self.directory = Path(directory)
        self.settings = settings
        self.legacy_settings = {key: settings[key] for key in LEGACY_SETTINGS}

    def _json(self, name: str) -> dict | None:
        from tfcourse.checkpointing import CheckpointError, check_settings  # noqa: PLC0415
        from tfcourse._validation import file_problem  # noqa: PLC0415

        path = self.directory / name
        if not path.is_file():
            return None
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            stored = state["settings"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(file_problem(
                "checkpoint", path, f"it is not a saved tier of tfcourse compare ({error})")
            ) from None
        check_settings(path, stored, self.legacy_settings,
                       hint="run with the same settings to resume, or --overwrite to start "
                            "afresh")
        return state

    def _save_json(self, name: str, run: TierRun, **extra) -> None:
        from tfcourse.checkpointing import atomic_write  # noqa: PLC0415

        state = {"settings": self.legacy_settings, "tier": run.tier,
                 "step_losses": [float(v) for v in run.step_losses],
                 "epoch_costs": run.epoch_costs, "test_accuracy": run.test_accuracy,
                 "final_accuracy": run.final_accuracy, "seconds": run.seconds,
                 "steps_per_epoch": run.steps_per_epoch, "output": run.output, **extra}

        def write(path):
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(state, handle, allow_nan=True)

        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.directory / name, write)

    @staticmethod
    def _run(state: dict, trace=None) -> TierRun:
        return TierRun(tier=state["tier"], step_losses=np.asarray(state["step_losses"], np.float64),
                       epoch_costs=state["epoch_costs"], test_accuracy=state["test_accuracy"],
                       final_accuracy=state["final_accuracy"], seconds=state["seconds"],
                       steps_per_epoch=state["steps_per_epoch"], output=state["output"],
                       trace=trace)

    def load_legacy(self) -> TierRun | None:
        from tfcourse.checkpointing import CheckpointError  # noqa: PLC0415
        from tfcourse.compat.trace import Trace  # noqa: PLC0415
        from tfcourse._validation import file_problem  # noqa: PLC0415

        state = self._json("legacy.json")
        if state is None:
            return None
        path = self.directory / state["trace"]
        try:
            trace = Trace.load(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise CheckpointError(file_problem(
                "checkpoint", path, f"it is truncated or corrupt ({error})")) from None
        return self._run(state, trace)

    def save_legacy(self, run: TierRun) -> None:
        from tfcourse.checkpointing import atomic_write  # noqa: PLC0415

        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob(".tmp-*"):  # left by a writer killed mid-write
            stale.unlink()
        atomic_write(self.directory / "legacy.npz", run.trace.save)
        self._save_json("legacy.json", run, trace="legacy.npz")

    def load_port(self, seed: int) -> TierRun | None:
        state = self._json(f"port-seed{seed}.json")
        return None if state is None else self._run(state)

    def save_port(self, seed: int, run: TierRun) -> None:
        self._save_json(f"port-seed{seed}.json", run)

    def keras_dir(self, seed: int, metadata: dict) -> Path:
        """The Keras run's checkpoint folder, after checking its settings against ``metadata``."""
        from tfcourse.checkpointing import POINTER, check_settings, read_checkpoint  # noqa: PLC0415

        folder = self.directory / f"keras-seed{seed}"
        pointer = read_checkpoint(folder)
        if pointer is not None:
            check_settings(folder / POINTER, pointer["metadata"], metadata,
                           hint="run with the same settings to resume, or --overwrite to start "
                                "afresh")
        return folder


def saved_progress(directory) -> list[str]:
    """What a re-run of ``tfcourse compare`` would take from ``directory``, in words."""
    from tfcourse.checkpointing import read_checkpoint  # noqa: PLC0415

    directory = Path(directory)
    if not directory.is_dir():
        return []
    done = []
    if (directory / "legacy.json").is_file():
        done.append("legacy done")
    done += [f"port (seed {p.stem.split('seed')[-1]}) done"
             for p in sorted(directory.glob("port-seed*.json"))]
    for folder in sorted(directory.glob("keras-seed*")):
        pointer = read_checkpoint(folder)
        if pointer is not None:
            done.append(f"keras (seed {folder.name.split('seed')[-1]}) after epoch "
                        f"{pointer['epochs_done']}")
    return done


def compare(lab: Lab | str, *, dataset: str = "mnist", epochs: int | None = None,
            max_examples: int | None = None, seed: int = 0, tiers: Sequence[str] = TIERS,
            repeats: int = 1, logdir=None, progress: bool = False, keras_dense: str = "tf1",
            fit_overrides: dict | None = None, resume_dir=None) -> Comparison:
    """Run a lab's tiers from the legacy run's weights and mini-batches (module docstring).

    Args:
        lab: a lab or its name.
        dataset: ``mnist`` (default), ``fashion_mnist`` or ``synthetic``.
        epochs: epochs of every tier (the program's ``training_epochs`` line
            is set to it), or None for the lab's 15.
        max_examples: at most N examples per split (compat's knob), for quick runs.
        seed: graph seed of programs without ``tf.set_random_seed``, shuffle
            seed, dropout seed of the port and Keras tiers.
        tiers: which of ``port`` and ``keras`` to run besides ``legacy``.
        repeats: for dropout labs, train the port and Keras tiers with this
            many dropout seeds (statistics over seeds). >= 1.
        logdir: log root (``logs``) for TensorBoard, or None.
        progress: show each tier's progress on stderr
            (:class:`~tfcourse.labs.progress.TierProgress`: "legacy 1/3", ...).
        keras_dense: ``"tf1"`` (default): the Keras tier's Dense layers add
            the bias with TF1's op (:class:`~tfcourse.labs.keras_tier.TF1Dense`),
            so that only the framework differs; ``"keras"``: Keras' own Dense
            (BiasAdd; see :mod:`tfcourse.labs.keras_tier` for the gap it makes).
        fit_overrides: keys of :data:`tfcourse.labs.keras_tier.FIT_DEFAULTS`.
        resume_dir: a folder where each tier is saved as it finishes (the
            Keras tier at every epoch end); calling again with the same
            arguments after a kill takes the finished tiers from there and
            resumes the Keras tier from its last epoch, with results identical
            to an uninterrupted call. Saved tiers of other settings are
            refused (:class:`tfcourse.checkpointing.CheckpointError` naming the
            setting). None: nothing saved.

    Returns:
        A :class:`Comparison`.
    """
    from tfcourse.labs.port import initial_weights_from_trace  # noqa: PLC0415
    from tfcourse._validation import check_choice  # noqa: PLC0415

    lab = get(lab)
    for tier in tiers:
        check_choice("tiers", tier, TIERS)
    repeats = check_int("repeats", repeats, low=1)
    epochs = lab.epochs if epochs is None else check_int("epochs", epochs, low=1)
    settings = {"lab": lab.name, "dataset": dataset, "epochs": epochs,
                "max_examples": max_examples, "seed": seed, "keras_dense": keras_dense,
                "fit_overrides": dict(sorted((fit_overrides or {}).items()))}
    saved = None if resume_dir is None else _SavedTiers(resume_dir, settings)
    order = ["legacy", *[tier for tier in TIERS[1:] if tier in tiers]]

    def label(tier: str, tier_seed: int) -> str:
        text = f"{tier} {order.index(tier) + 1}/{len(order)}"
        return text + (f", seed {tier_seed}" if repeats > 1 and lab.has_dropout else "")

    legacy = saved.load_legacy() if saved else None
    if legacy is None:
        legacy = run_legacy(lab, dataset=dataset, epochs=epochs, max_examples=max_examples,
                            seed=seed, logdir=logdir, progress=progress,
                            progress_label=label("legacy", seed))
        if saved:
            saved.save_legacy(legacy)
    trace = legacy.trace
    data = load_data(dataset, max_examples)
    recorded = trace.datasets[-1]
    if (recorded["train"], recorded["test"]) != (data.num_train, len(data.test[0])):
        raise RuntimeError(
            f"The legacy run trained on {recorded['train']} examples and tested on "
            f"{recorded['test']}; the split loaded for the other tiers has "
            f"{data.num_train} and {len(data.test[0])}"
        )
    weights = initial_weights_from_trace(lab, trace.initial_weights)
    names = list(trace.initial_weights)
    batches = trace.train_batches
    runs: dict[str, TierRun] = {"legacy": legacy}
    extra: dict[str, list] = {}
    for tier in TIERS[1:]:
        if tier not in tiers:
            continue
        seeds = [seed + k for k in range(repeats if lab.has_dropout else 1)]
        results = []
        for tier_seed in seeds:
            if tier == "port":
                result = saved.load_port(tier_seed) if saved else None
                if result is None:
                    result = run_port(lab, data, epochs=epochs, weights=weights, names=names,
                                      batches=batches, seed=tier_seed, progress=progress,
                                      progress_label=label(tier, tier_seed),
                                      logdir=logdir if tier_seed == seed else None)
                    if saved:
                        saved.save_port(tier_seed, result)
                results.append(result)
            else:
                results.append(run_keras(
                    lab, data, epochs=epochs, weights=weights, batches=batches, seed=tier_seed,
                    verbose=0, progress=progress, progress_label=label(tier, tier_seed),
                    logdir=logdir if tier_seed == seed else None,
                    dense=keras_dense,
                    checkpoint_dir=(saved.keras_dir(tier_seed, {**settings, "tier_seed": tier_seed})
                                    if saved else None),
                    checkpoint_metadata={**settings, "tier_seed": tier_seed} if saved else None,
                    **(fit_overrides or {})))
        runs[tier] = results[0]
        if len(results) > 1:
            extra[tier] = results[1:]
    own = (one_ulp_accuracies(lab, trace.initial_weights, dataset=dataset, epochs=epochs,
                              max_examples=max_examples, seed=seed, progress=progress)
           if lab.checked_steps and len(runs) > 1 else [])
    return Comparison(lab=lab, dataset=dataset, max_examples=max_examples, seed=seed,
                      epochs=epochs, steps_per_epoch=legacy.steps_per_epoch, runs=runs,
                      repeats=extra, keras_dense=keras_dense, own_accuracies=own)


def one_ulp_away(weights: dict, direction: float = np.inf) -> dict:
    """Every float32 weight moved to its neighbour towards ``direction`` (``numpy.nextafter``)."""
    return {name: np.nextafter(np.asarray(value, np.float32), np.float32(direction))
            for name, value in weights.items()}


def one_ulp_accuracies(lab: Lab, initial_weights: dict, *, dataset: str, epochs: int,
                       max_examples: int | None, seed: int, progress: bool = False) -> list[float]:
    """The lab's TF1 program trained again from its starting weights moved one ulp up, then down.

    ``numpy.nextafter`` on every weight: the smallest change float32 can
    make. For a program whose own rounding carries it past the loss bound
    within ``checked_steps`` (the batch-norm lab), the spread of these runs'
    final test accuracies is how close any other version can be expected to
    end; two more runs of the TF1 program.
    """
    import sys  # noqa: PLC0415

    from tfcourse.labs.runs import ACCURACY_LINE, _legacy_source  # noqa: PLC0415
    from tfcourse.port.capture import capture  # noqa: PLC0415

    accuracies = []
    for direction, name in ((np.inf, "up"), (-np.inf, "down")):
        if progress:
            print(f"[legacy] again from weights one ulp {name} (the program's own spread)",
                  file=sys.stderr, flush=True)
        run = capture(lab.program, source=_legacy_source(lab, epochs), dataset=dataset,
                      max_examples=max_examples, seed=seed, real_steps=None,
                      init=one_ulp_away(initial_weights, direction))
        printed = ACCURACY_LINE.findall(run.output)
        if not printed:
            raise RuntimeError(f"{lab.program} printed no `Accuracy:` line when run from "
                               "weights one ulp away")
        accuracies.append(float(printed[-1]))
    return accuracies


def save_json(comparison: Comparison, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(comparison.to_dict(), indent=2, allow_nan=True), encoding="utf-8")
    return path
