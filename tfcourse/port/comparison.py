"""``tfcourse compare PROGRAM.py``: a TF1 program and its Keras version, step by step.

1. The TF1 program runs unchanged through :mod:`tfcourse.compat`, recording
   its initial weights, its ``next_batch`` mini-batches, the loss of every
   training step, what each ``sess.run`` returned and its final weights
   (:mod:`tfcourse.port.capture`).
2. It is ported (:func:`tfcourse.port.port`) and the Keras program is written
   next to the comparison's output.
3. The Keras program runs unchanged too, inside
   :func:`tfcourse.port.replay.replaying`: it starts from the TF1 run's
   weights and trains on the same mini-batches, and its per-step losses and
   final model are recorded.
4. The checks (the project's bounds): over the first 200 training steps
   ``|loss_keras - loss_tf1| <= 1e-4 * max(1, |loss_tf1|)``; the final models
   (the TF1 run's final weights and the Keras model's, evaluated by the same
   Keras code on the program's own evaluation data) within 0.3 points of
   accuracy; for a program that trains nothing, every value it computes
   within 1e-5 (relative) of the TF1 value. Programs with dropout draw
   different masks in TF1 and Keras: their per-step losses are reported, not
   checked, and with ``repeats >= 2`` the Keras program trains again with
   other seeds and the final accuracy is checked against
   ``max(3 std, 0.3 points)``.

When a bound fails, :class:`Divergence` says where the two first part: the
first step whose loss differs beyond the bound, the first variable whose
value differs after that many steps, and the likely cause.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from tfcourse.labs.comparison import (
    ACCURACY_TOLERANCE,
    CHECK_STEPS,
    Check,
    loss_bound,
    one_ulp_away,
)

__all__ = ["Divergence", "ProgramComparison", "compare_program"]

FORWARD_TOLERANCE = 1e-5
"""Relative bound on what a program that trains nothing computes: the same float32 ops on the
same weights, so only a reduction order can differ (measured: 0 on the course's programs)."""


@dataclasses.dataclass
class Divergence:
    """Where a TF1 run and its Keras version first part.

    Attributes:
        step: the first training step (1-based) whose loss differs beyond the bound.
        legacy_loss, keras_loss: the two losses at that step.
        first_nonzero_step: the first step whose losses differ at all.
        first_relative: the relative loss difference at that first step.
        variable: the TF1 variable whose value differs most (relative) after ``step`` steps.
        variable_difference: that largest relative difference.
        horizon: the steps the self-comparison ran (at least 200).
        self_gap: the largest loss difference, over the first ``horizon`` steps, between the TF1
            program and the same program started from weights moved by one float32 ulp
            (how much the program itself amplifies rounding), or None if not measured.
        keras_gap: the largest Keras-vs-TF1 loss difference over the same steps.
        cause: the likely cause, in words.
    """

    step: int
    legacy_loss: float
    keras_loss: float
    first_nonzero_step: int | None
    first_relative: float | None
    variable: str | None
    variable_difference: float | None
    horizon: int
    self_gap: float | None
    keras_gap: float
    cause: str

    def lines(self) -> list[str]:
        lines = [f"first divergence: step {self.step}: TF1 loss {self.legacy_loss:.7g}, Keras "
                 f"{self.keras_loss:.7g}"]
        if self.first_nonzero_step is not None:
            lines.append(f"  the losses first differ at step {self.first_nonzero_step}, by "
                         f"{self.first_relative:.2g} (relative)")
        if self.variable is not None:
            lines.append(f"  variable differing most after {self.step} steps: {self.variable} "
                         f"(relative {self.variable_difference:.3g})")
        if self.self_gap is not None:
            lines.append(f"  the TF1 program against itself started one ulp away: max |dloss| "
                         f"{self.self_gap:.3g} in {self.horizon} steps (Keras against TF1: "
                         f"{self.keras_gap:.3g})")
        lines.append(f"  likely cause: {self.cause}")
        return lines


@dataclasses.dataclass
class ProgramComparison:
    """The result of :func:`compare_program`.

    Attributes:
        program: the TF1 program.
        keras_program: where its Keras version was written.
        port: the :class:`~tfcourse.port.PortResult`.
        dataset, max_examples, seed, max_steps: the run's settings.
        legacy_losses, keras_losses: per-step losses (float64 copies of float32 values).
        legacy_seconds, keras_seconds: wall time of each program's run.
        legacy_output, keras_output: what each printed.
        final: ``{"metric": name, "legacy": value, "keras": value}`` from the same Keras
            evaluation of both final models, or None when the program trains nothing.
        forward: ``[(line, name, max relative difference)]`` for a program that trains nothing.
        repeats: final accuracies of the Keras program trained with other dropout seeds.
        stochastic: the program draws random masks while training (dropout).
        divergence: where the two first part, when a loss bound fails.
    """

    program: Path
    keras_program: Path
    port: Any
    dataset: str | None
    max_examples: int | None
    seed: int
    max_steps: int | None
    legacy_losses: np.ndarray
    keras_losses: np.ndarray
    legacy_seconds: float
    keras_seconds: float
    legacy_output: str
    keras_output: str
    final: dict | None
    forward: list
    repeats: list
    stochastic: bool
    divergence: Divergence | None = None

    @property
    def trains(self) -> bool:
        return len(self.legacy_losses) > 0

    def step_difference(self) -> np.ndarray:
        n = min(len(self.legacy_losses), len(self.keras_losses))
        return np.abs(self.keras_losses[:n] - self.legacy_losses[:n])

    def checks(self, steps: int = CHECK_STEPS) -> list[Check]:
        results = []
        if self.trains:
            if len(self.keras_losses) != len(self.legacy_losses):
                results.append(Check("training steps, Keras vs TF1", len(self.keras_losses),
                                     len(self.legacy_losses), False,
                                     "; the two programs did not train the same number of steps"))
            n = min(steps, len(self.legacy_losses), len(self.keras_losses))
            gap = self.step_difference()[:n]
            # a NaN on one side only fails the bound (NaN on both: the same failure)
            both = np.isnan(self.keras_losses[:n]) & np.isnan(self.legacy_losses[:n])
            gap = np.where(both, 0.0, np.where(np.isnan(gap), np.inf, gap))
            ratio = gap / loss_bound(self.legacy_losses[:n]) if n else np.zeros(0)
            worst = int(np.argmax(ratio)) if n else 0
            if self.stochastic:
                results.append(Check(
                    f"Keras vs TF1, loss of the first {n} steps (dropout: masks differ)",
                    float(ratio.max()) if n else 0.0, 1.0, None,
                    "; TF1 and Keras draw different dropout masks, so per-step losses are not "
                    "expected to agree"))
            else:
                results.append(Check(
                    f"Keras vs TF1, loss of the first {n} steps, |difference| / bound",
                    float(ratio.max()) if n else 0.0, 1.0, bool(n and ratio.max() <= 1.0),
                    f"; max |difference| {gap.max() if n else 0:.3g} (step {worst + 1})"))
        if self.final is not None:
            gap = abs(self.final["keras"] - self.final["legacy"])
            name = self.final["metric"]
            if self.stochastic:
                values = [self.final["keras"], *self.repeats]
                mean = float(np.mean(values))
                std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
                bound = max(3 * std, ACCURACY_TOLERANCE)
                passed = bool(abs(mean - self.final["legacy"]) <= bound) if len(values) > 1 \
                    else None
                results.append(Check(
                    f"final {name}, Keras vs TF1 over dropout seeds", abs(mean - self.final[
                        "legacy"]), bound, passed,
                    f"; {len(values)} seeds, mean {mean:.4f}" if len(values) > 1 else
                    "; dropout masks differ: pass --repeats 2 or more to check"))
            elif name == "loss":
                bound = 1e-4 * max(1.0, abs(self.final["legacy"]))
                results.append(Check("final loss on the evaluation data, Keras vs TF1", gap,
                                     bound, bool(gap <= bound)))
            else:
                results.append(Check(f"final {name}, Keras vs TF1", gap, ACCURACY_TOLERANCE,
                                     bool(gap <= ACCURACY_TOLERANCE)))
        for line, name, difference in self.forward:
            results.append(Check(f"line {line}: {name}, Keras vs TF1, max relative difference",
                                 difference, FORWARD_TOLERANCE,
                                 bool(difference <= FORWARD_TOLERANCE)))
        return results

    def passed(self) -> bool:
        return all(check.passed is not False for check in self.checks())

    def rows(self, count: int = 10) -> list[dict]:
        """The training split into up to ``count`` ranges of steps: mean losses and largest gap."""
        n = len(self.legacy_losses)
        if n == 0:
            return []
        edges = np.unique(np.linspace(0, n, min(count, n) + 1).astype(int))
        gap = self.step_difference()
        rows = []
        for start, end in zip(edges[:-1], edges[1:]):
            keras = self.keras_losses[start:end]
            rows.append({
                "steps": f"{start + 1}-{end}",
                "loss_tf1": float(np.mean(self.legacy_losses[start:end])),
                "loss_keras": float(np.mean(keras)) if len(keras) else None,
                "max_step_diff": float(gap[start:end].max()) if len(gap[start:end]) else None,
            })
        return rows

    def to_dict(self) -> dict:
        return {
            "program": str(self.program),
            "keras_program": str(self.keras_program),
            "dataset": self.dataset,
            "max_examples": self.max_examples,
            "seed": self.seed,
            "max_steps": self.max_steps,
            "layers": [{"model": row[0] + 1, "name": row[1], "keras": row[2], "tf1_line": row[3],
                        "pattern": row[4], "standard": row[5]} for row in self.port.layers],
            "standard_layers": self.port.standard_layers,
            "custom_layers": self.port.custom_layers,
            "steps": len(self.legacy_losses),
            "table": self.rows(),
            "final": self.final,
            "forward": [{"line": line, "value": name, "max_relative_difference": difference}
                        for line, name, difference in self.forward],
            "repeats": self.repeats,
            "stochastic": self.stochastic,
            "seconds": {"tf1": self.legacy_seconds, "keras": self.keras_seconds},
            "checks": [dataclasses.asdict(check) for check in self.checks()],
            "passed": self.passed(),
            "divergence": dataclasses.asdict(self.divergence) if self.divergence else None,
            "step_losses": {"tf1": self.legacy_losses.tolist(),
                            "keras": self.keras_losses.tolist()},
            "notes": self.port.notes,
        }

    def format_table(self) -> str:
        lines = [f"{self.program} and its Keras version {self.keras_program}",
                 "data " + (self.dataset or "the program's own")
                 + (f" (max {self.max_examples} examples per split)" if self.max_examples else "")
                 + f", seed {self.seed}"
                 + (f", at most {self.max_steps} steps" if self.max_steps is not None else ""),
                 self.port.summary(), ""]
        rows = self.rows()
        if rows:
            header = ("steps", "loss TF1", "loss Keras", "max |dloss|")
            table = [header] + [(row["steps"], _fmt(row["loss_tf1"], ".6g"),
                                 _fmt(row["loss_keras"], ".6g"), _fmt(row["max_step_diff"], ".2e"))
                                for row in rows]
            widths = [max(len(r[i]) for r in table) for i in range(4)]
            lines += ["  ".join(cell.rjust(width) for cell, width in zip(r, widths))
                      for r in table]
            lines.append("")
        if self.final is not None:
            lines.append(f"final {self.final['metric']} (both final models, evaluated alike): "
                         f"TF1 {self.final['legacy']:.4f}, Keras {self.final['keras']:.4f}")
        lines.append(f"seconds: TF1 {self.legacy_seconds:.1f}, Keras {self.keras_seconds:.1f}")
        lines += [check.line() for check in self.checks()]
        if self.divergence is not None:
            lines += self.divergence.lines()
        return "\n".join(lines)

    def plot(self, path) -> Path:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure, (losses, gaps) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
        steps = np.arange(1, len(self.legacy_losses) + 1)
        losses.plot(steps, self.legacy_losses, "-", color="black", lw=2.5, label="TF1")
        losses.plot(np.arange(1, len(self.keras_losses) + 1), self.keras_losses, ":",
                    color="tab:orange", lw=1.5, label="Keras")
        gap = self.step_difference()
        gaps.plot(np.arange(1, len(gap) + 1), np.maximum(gap, 1e-12), color="tab:orange", lw=1,
                  label="|Keras - TF1| (0 drawn at 1e-12)")
        n = min(CHECK_STEPS, len(self.legacy_losses))
        if not self.stochastic and n:
            gaps.plot(np.arange(1, n + 1), loss_bound(self.legacy_losses[:n]), color="red", lw=1,
                      label="bound (first 200 steps)")
        if np.all(self.legacy_losses > 0):
            losses.set_yscale("log")
        losses.set_ylabel("loss per step")
        losses.set_title(f"{self.program.name}: the TF1 program and its Keras version")
        losses.legend()
        gaps.set_yscale("log")
        gaps.set_xlabel("training step")
        gaps.set_ylabel("|loss difference|")
        gaps.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        return path


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


# -- running the two programs ---------------------------------------------------------------

def set_assignments(source: str, sets: dict | None) -> str:
    """``source`` with each top-level ``NAME = value`` of ``sets`` replaced (``training_epochs=1``).

    Raises:
        ValueError: a name is not assigned exactly once at the program's top level.
    """
    import ast  # noqa: PLC0415

    if not sets:
        return source
    tree = ast.parse(source)
    lines = source.splitlines()
    for name, value in sets.items():
        found = [node for node in tree.body if isinstance(node, ast.Assign) and len(
            node.targets) == 1 and isinstance(node.targets[0], ast.Name) and
            node.targets[0].id == name]
        if len(found) != 1:
            raise ValueError(f"`--set {name}=...`: the program must assign {name} exactly once at "
                             f"its top level. Received: {len(found)} assignments")
        node = found[0]
        first = lines[node.lineno - 1]
        prefix = first[:node.col_offset]
        lines[node.lineno - 1] = f"{prefix}{name} = {value!r}" if not isinstance(value, str) \
            else f"{prefix}{name} = {value}"
        for index in range(node.lineno, node.end_lineno):
            lines[index] = ""
    return "\n".join(lines) + "\n"


def _weights_tables(port, values: dict) -> list[dict]:
    """Per model, ``{(layer name, weight name): Keras value}`` from TF1 values by variable name."""
    tables = []
    for rows in port.weights:
        table = {}
        for layer, weight in rows:
            value = weight.value(values)
            if value is not None:
                table[(layer, weight.name)] = value
        tables.append(table)
    return tables


def run_keras_program(path: Path, source: str, port, trace, *, dataset, max_examples,
                      max_steps, seed_offset: int = 0, echo: bool = False, argv=()):
    """Run the ported program in this process from the TF1 run's start, with the TF1 run's
    arguments and working folder; ``(KerasRun, output, namespace)``."""
    import keras  # noqa: PLC0415

    from tfcourse.compat import overrides  # noqa: PLC0415
    from tfcourse.port.replay import replaying  # noqa: PLC0415

    code = compile(source, str(path), "exec")
    namespace = {"__name__": "__main__", "__file__": str(path)}
    buffer = io.StringIO()
    weights = _weights_tables(port, trace.initial_weights)
    batches = trace.train_batches or None
    original_seed = keras.utils.set_random_seed

    def set_random_seed(seed):
        original_seed(int(seed) + seed_offset)

    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(port.program.resolve().parent))
    try:
        keras.utils.set_random_seed = set_random_seed
        if seed_offset:
            original_seed(seed_offset)
        with overrides(dataset=dataset, max_examples=max_examples), \
                replaying(str(path), weights, batches, max_steps=max_steps,
                          capacity=max(len(trace.losses), 1)) as run, \
                contextlib.redirect_stdout(buffer if not echo else _Tee(sys.stdout, buffer)):
            exec(code, namespace)  # noqa: S102 (running the ported program is the point)
    finally:
        keras.utils.set_random_seed = original_seed
        sys.argv = saved_argv
        sys.path[:] = saved_path
    return run, buffer.getvalue(), namespace


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def compare_program(program, *, dataset: str | None = None, max_examples: int | None = None,
                    seed: int = 0, max_steps: int | None = None, sets: dict | None = None,
                    output_dir=None, repeats: int = 1, quiet: bool = False,
                    argv=()) -> ProgramComparison:
    """Compare the TF1 program at ``program`` with its Keras version (see the module docstring).

    Args:
        program: the TF1 ``.py`` file.
        dataset: what ``input_data`` reads (``mnist``, ``fashion_mnist``, ``synthetic``).
        max_examples: at most this many examples per split.
        seed: the graph seed set before the TF1 program starts (its own
            ``tf.set_random_seed`` wins), and the shuffle seed.
        max_steps: train at most this many steps (both programs).
        sets: top-level assignments to change in both programs (``{"training_epochs": 1}``).
        output_dir: where the Keras program is written (default: beside the program).
        repeats: dropout programs: Keras runs with other seeds for the statistical check.
        quiet: no progress lines on stderr.
    """
    from tfcourse.port import default_output, port as port_program  # noqa: PLC0415
    from tfcourse.port.capture import capture  # noqa: PLC0415

    program = Path(program)
    if not program.is_file():
        raise FileNotFoundError(f"No TF1 program at {program}")
    source = set_assignments(program.read_text(encoding="utf-8"), sets)
    _say(f"running the TF1 program {program} (recording weights, mini-batches, losses)", quiet)
    start = time.perf_counter()
    captured = capture(program, argv=argv, dataset=dataset, max_examples=max_examples, seed=seed,
                       real_steps=None, source=source, max_steps=max_steps)
    legacy_seconds = time.perf_counter() - start
    _say(f"  {len(captured.recorder.losses)} training steps in {legacy_seconds:.1f} s; porting",
         quiet)
    ported = port_program(program, capture=captured)
    keras_path = Path(output_dir) / f"{program.stem}_keras.py" if output_dir else \
        default_output(program)
    ported.write(keras_path)
    _say(f"running the Keras version {keras_path}", quiet)
    start = time.perf_counter()
    run, output, namespace = run_keras_program(keras_path, ported.source, ported,
                                               captured.recorder, dataset=dataset,
                                               max_examples=max_examples, max_steps=max_steps,
                                               argv=argv)
    keras_seconds = time.perf_counter() - start
    keras_losses = interleaved_losses(ported, captured.recorder, run)
    stochastic = any(node.keras == "Dropout" for plan in ported.plans for node in plan.layers)
    final = _final_metric(ported, captured, run)
    forward = [] if captured.recorder.losses else _forward_differences(ported, captured, run)
    repeat_values = []
    if stochastic and repeats > 1 and final is not None:
        for offset in range(1, repeats):
            _say(f"running the Keras version again with dropout seed +{offset}", quiet)
            extra, _, _ = run_keras_program(keras_path, ported.source, ported, captured.recorder,
                                            dataset=dataset, max_examples=max_examples,
                                            max_steps=max_steps, seed_offset=offset,
                                            argv=argv)
            value = _final_metric(ported, captured, extra)
            repeat_values.append(value["keras"])
    comparison = ProgramComparison(
        program=program, keras_program=keras_path, port=ported, dataset=dataset,
        max_examples=max_examples, seed=seed, max_steps=max_steps,
        legacy_losses=np.asarray(captured.recorder.losses, np.float64),
        keras_losses=np.asarray(keras_losses, np.float64), legacy_seconds=legacy_seconds,
        keras_seconds=keras_seconds, legacy_output=captured.output, keras_output=output,
        final=final, forward=forward, repeats=repeat_values, stochastic=stochastic)
    if not comparison.passed() and comparison.trains and not stochastic:
        comparison.divergence = diagnose(comparison, captured, source, dataset=dataset,
                                         max_examples=max_examples, seed=seed, argv=argv,
                                         quiet=quiet)
    return comparison


def interleaved_losses(ported, trace, run) -> list:
    """The Keras models' step losses in the order the TF1 program took its steps.

    An ensemble steps its models in turn (m1, m2, m1, m2...); the TF1 trace
    names each step's train op, and the k-th plan's train op is the k-th Keras
    model's. One model: its losses as they are.
    """
    if len(run.model_losses) <= 1:
        return list(run.losses)
    model_of = {plan.minimize.train_op.name: index for index, plan in enumerate(ported.plans)
                if plan.minimize is not None}
    positions = [0] * len(run.model_losses)
    losses = []
    for train_op in trace.train_ops:
        index = model_of.get(train_op)
        if index is None or index >= len(run.model_losses) or \
                positions[index] >= len(run.model_losses[index]):
            break
        losses.append(run.model_losses[index][positions[index]])
        positions[index] += 1
    return losses


# -- final models and forward values ------------------------------------------------------------

def _evaluation_data(plan, captured):
    """The inputs and labels of the program's last evaluation of this model (not a training step)."""
    for record in reversed(captured.runs):
        if record.is_training_step or not record.kept:
            continue
        if all(t in record.feeds for t in plan.inputs if t.op.type != "Const") and all(
                t in record.feeds for t in plan.labels if t.op.type != "Const"):
            x = [np.asarray(record.feeds[t]) if t in record.feeds else None for t in plan.inputs]
            y = [np.asarray(record.feeds[t]) if t in record.feeds else None for t in plan.labels]
            return x, y
    return None


def _final_metric(ported, captured, run) -> dict | None:
    """Both final models, evaluated by the same Keras code on the program's evaluation data."""
    if not captured.recorder.losses or not run.models or not ported.plans:
        return None
    plan = ported.plans[0]
    model = run.models[0]
    data = _evaluation_data(plan, captured)
    if data is None or any(v is None for v in data[0]) or any(v is None for v in data[1]):
        return None
    x = data[0][0] if len(data[0]) == 1 else data[0]
    y = data[1][0] if len(data[1]) == 1 else data[1]
    keras_values = [np.array(w) for w in model.get_weights()]
    finals = _weights_tables(ported, captured.recorder.final_weights)[0]
    metric_names = [m.name for m in model.metrics if m.name not in ("loss", "compile_metrics")]

    def evaluate():
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
        for key in logs:
            if key != "loss":
                return key, float(logs[key])
        return "loss", float(logs["loss"])

    from tfcourse.port.replay import replaying  # noqa: PLC0415, F401

    import keras  # noqa: PLC0415

    evaluate_method = keras.Model.evaluate
    metric, keras_value = evaluate()
    try:
        for layer in model.layers:
            for weight in layer.weights:
                key = (layer.name, weight.name.split("/")[-1])
                if key in finals:
                    weight.assign(finals[key].reshape(tuple(weight.shape)))
        _, legacy_value = evaluate()
    finally:
        model.set_weights(keras_values)
    del evaluate_method, metric_names
    return {"metric": metric, "legacy": legacy_value, "keras": keras_value}


def _forward_differences(ported, captured, run) -> list:
    """For a program that trains nothing: each predicted value against what TF1 computed."""
    predictions = [(line, value) for line, kind, value in run.evaluations if kind == "predict"]
    results = []
    line_map = ported.line_map
    legacy = [record for record in captured.runs if record.kept and not record.is_training_step
              and record.result is not None]
    for line, value in predictions:
        original = line_map.get(line)
        candidates = [record for record in legacy if record.location[1] == original]
        if not candidates:
            continue
        record = candidates.pop(0)
        legacy.remove(record)
        values = record.result if isinstance(record.result, (list, tuple)) else [record.result]
        keras_values = value if isinstance(value, (list, tuple)) else [value]
        best = None
        for keras_value in keras_values:
            for legacy_value in values:
                a, b = np.asarray(keras_value, np.float64), np.asarray(legacy_value, np.float64)
                if a.shape != b.shape:
                    continue
                difference = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6))) \
                    if a.size else 0.0
                best = difference if best is None else min(best, difference)
        if best is not None:
            results.append((original, "predicted values", best))
    return results


# -- where they part --------------------------------------------------------------------------

def diagnose(comparison: ProgramComparison, captured, source, *, dataset, max_examples, seed,
             argv=(), quiet=False) -> Divergence:
    """Rerun both programs up to the first divergent step and name where and why they part.

    Three measurements: the two programs' weights after that many steps (the
    variable that differs most), the size of the first loss difference (a few
    float32 ulps, or more), and the TF1 program against itself started from
    weights one ulp away (``numpy.nextafter``): if the program alone moves as
    far from such a change, rounding amplified by training explains the gap
    and no step-by-step bound tighter than it can hold.
    """
    from tfcourse.port.capture import capture  # noqa: PLC0415

    legacy, keras_losses = comparison.legacy_losses, comparison.keras_losses
    n = min(len(legacy), len(keras_losses))
    # a NaN on one side only is a difference too (the largest there is)
    gap = np.abs(keras_losses[:n] - legacy[:n])
    gap = np.where(np.isnan(gap) & ~(np.isnan(keras_losses[:n]) & np.isnan(legacy[:n])),
                   np.inf, np.nan_to_num(gap, nan=0.0))
    over = np.nonzero(gap > loss_bound(legacy[:n]))[0]
    step = int(over[0]) + 1 if len(over) else n
    nonzero = np.nonzero(gap > 0)[0]
    first_nonzero = int(nonzero[0]) + 1 if len(nonzero) else None
    first_relative = (float(gap[first_nonzero - 1] / max(abs(legacy[first_nonzero - 1]), 1e-30))
                      if first_nonzero else None)
    horizon = min(n, max(step, CHECK_STEPS))
    _say(f"finding where they part: both programs again for {step} steps", quiet)
    short = capture(comparison.program, argv=argv, dataset=dataset, max_examples=max_examples,
                    seed=seed, real_steps=None, source=source, max_steps=step)
    run, _, _ = run_keras_program(comparison.keras_program, comparison.port.source,
                                  comparison.port, short.recorder, dataset=dataset,
                                  max_examples=max_examples, max_steps=step, argv=argv)
    variable, difference = None, None
    if run.models:
        expected = _weights_tables(comparison.port, short.recorder.final_weights)[0]
        names = {(layer, weight.name): "+".join(weight.variable_names)
                 for layer, weight in comparison.port.weights[0]}
        for layer in run.models[0].layers:
            for weight in layer.weights:
                key = (layer.name, weight.name.split("/")[-1])
                if key not in expected:
                    continue
                name = names[key]
                a = np.asarray(weight.numpy(), np.float64).ravel()
                b = np.asarray(expected[key], np.float64).ravel()
                relative = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
                if difference is None or relative > difference:
                    variable, difference = name, relative
    _say(f"and the TF1 program against itself from weights one ulp away, {horizon} steps", quiet)
    again = capture(comparison.program, argv=argv, dataset=dataset, max_examples=max_examples,
                    seed=seed, real_steps=None, source=source, max_steps=horizon,
                    init=one_ulp_away(captured.recorder.initial_weights))
    own = np.asarray(again.recorder.losses, np.float64)
    m = min(len(own), horizon)
    self_gap = float(np.max(np.abs(own[:m] - legacy[:m]))) if m else None
    keras_gap = float(gap[:horizon].max()) if horizon else 0.0
    cause = _likely_cause(first_nonzero, first_relative, self_gap, keras_gap)
    return Divergence(step, float(legacy[step - 1]), float(keras_losses[step - 1]), first_nonzero,
                      first_relative, variable, difference, horizon, self_gap, keras_gap, cause)


ROUNDING = 1e-6
"""A first loss difference this small (relative) is float32 rounding: a few ulps of the loss."""


def _likely_cause(first_nonzero, first_relative, self_gap, keras_gap) -> str:
    rounding = first_relative is not None and first_relative <= ROUNDING
    amplified = self_gap is not None and self_gap >= 0.1 * keras_gap
    if rounding and amplified:
        return ("float32 rounding, amplified by training: the two programs first differ by a "
                "few ulps (an equivalent computation in another order: a gradient summed in "
                "another order, a graph rewrite) and the TF1 program alone moves as far when its "
                "starting weights move by one ulp, so no step-by-step bound tighter than that "
                "can hold; compare final accuracies over seeds instead")
    if rounding:
        return ("float32 rounding that grows: the programs first differ by a few ulps, but the "
                "TF1 program alone is far less sensitive, so look for an op computed differently "
                "in the Keras program (a reduction, a bias added with another kernel)")
    if first_nonzero == 1:
        return ("the first loss already differs, before any update: the forward computation "
                "differs (an op the port wrote differently, or a graph rewrite in one program)")
    return ("the update of the weights differs from the first steps on: the optimizer's rule "
            "or its hyperparameters (check the tf1 convention and the learning-rate schedule)")
