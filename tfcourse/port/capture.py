"""Run a TF1 program far enough to see what it builds: the graph, the feeds, the first steps.

``tfcourse port`` works from what a program does, not from its text. It runs
the unchanged program through :func:`tfcourse.compat.run_script` with a
:class:`ProgramCapture` recorder, which sees every ``sess.run``: where in the
program it was called (file and line, and the lines of the calls around it),
what was fetched, what was fed to which placeholder, and whether it was a
training step. The graph, the program's variables at the end and these
records are what the porter maps onto Keras.

Cost. After the first ``real_steps`` training steps (3 by default) a
training ``sess.run`` is not executed again: it returns what the same call
returned at its last real run, so the program's loops run to their end (the
evaluation code after training is reached and recorded) for the price of
its Python and ``next_batch`` lines. Runs that are not training steps
(accuracy on the test set, a prediction) run for real. ``real_steps=None``
runs everything (``tfcourse compare`` does, recording the trace it compares).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import io
import sys
from pathlib import Path
from typing import Any

from tfcourse.compat.trace import Trace

__all__ = ["Capture", "CaptureError", "ProgramCapture", "RunRecord", "capture"]

KEPT_RECORDS_PER_SITE = 20
"""Runs of one call site kept with their feeds and results (later ones are counted only)."""

MAX_REPLAYED_STEPS = 1_000_000
"""A loop that keeps stepping after this many replayed steps is not one that ends."""


class CaptureError(RuntimeError):
    """The program could not be run far enough to be ported."""


@dataclasses.dataclass
class RunRecord:
    """One ``sess.run`` of the program.

    Attributes:
        index: its position among all runs.
        location: ``(file, line)`` of the program line that called ``sess.run``.
        stack: the program's lines on the call stack, outermost first (the
            line in the loop, then the line in a method it called...).
        fetches: the fetches as the program passed them (a tensor, a list, a dict...).
        leaves: the graph elements among the fetches, flattened in order.
        feeds: ``{placeholder tensor: fed value}``.
        train_ops: the train ops among the fetches.
        step: the training step's index (0-based), or None.
        result: what the run returned (kept for runs that are not replayed).
        replayed: a training step answered from the cache (not executed).
        kept: feeds and result are kept (the first runs of each call site).
    """

    index: int
    location: tuple
    stack: tuple
    fetches: Any
    leaves: list
    feeds: dict
    train_ops: list
    step: int | None
    result: Any = None
    replayed: bool = False
    kept: bool = True

    @property
    def is_training_step(self) -> bool:
        return bool(self.train_ops)


@dataclasses.dataclass
class BatchSite:
    """One ``next_batch`` call: where, from which split, how many examples."""

    location: tuple
    split: str
    size: int


def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in _flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in _flatten(value)]
    return [structure]


class ProgramCapture(Trace):
    """A :class:`~tfcourse.compat.Trace` that also records every run (see the module docstring).

    Args:
        path: the program file (frames of this file are the program's).
        real_steps: training steps executed for real; later ones are replayed
            from the cache. ``None`` executes every step.
    """

    observes_runs = True

    def __init__(self, path, real_steps: int | None = 3):
        super().__init__()
        self.program = str(path)
        self.real_steps = real_steps
        self.runs: list[RunRecord] = []
        self.batch_sites: list[BatchSite] = []
        self._per_site: dict[tuple, int] = {}
        self._last_result: dict[tuple, Any] = {}
        self.training_steps = 0
        self.replayed_steps = 0
        self.sessions: list = []
        self.final_weights: dict = {}

    def program_stack(self) -> tuple:
        """The program's ``(file, line)`` frames on the current stack, outermost first."""
        frames = []
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.program:
                frames.append((self.program, frame.f_lineno))
            frame = frame.f_back
        return tuple(reversed(frames))

    def observe_run(self, session, fetches, feed_dict, run, run_options):
        if all(existing is not session for existing in self.sessions):
            self.sessions.append(session)
        stack = self.program_stack()
        location = stack[-1] if stack else ("", 0)
        train_ops = session.train_ops_of(fetches)
        step = None
        if train_ops:
            step = self.training_steps
            self.training_steps += 1
        site_key = (stack, tuple(id(leaf) for leaf in _flatten(fetches)))
        seen = self._per_site.get(site_key, 0)
        self._per_site[site_key] = seen + 1
        replay = (train_ops and self.real_steps is not None and step >= self.real_steps
                  and site_key in self._last_result)
        if replay:
            self.replayed_steps += 1
            if self.replayed_steps > MAX_REPLAYED_STEPS:
                raise CaptureError(
                    f"{location[0]}:{location[1]}: the training loop was still running after "
                    f"{MAX_REPLAYED_STEPS:,} steps; tfcourse port needs a loop that ends"
                )
            result = self._last_result[site_key]
        else:
            result = run(fetches, feed_dict, *run_options)
            if train_ops:
                self._last_result[site_key] = result
        kept = seen < KEPT_RECORDS_PER_SITE
        self.runs.append(RunRecord(
            index=len(self.runs), location=location, stack=stack, fetches=fetches,
            leaves=_flatten(fetches), feeds=dict(feed_dict or {}) if kept else {},
            train_ops=train_ops, step=step, result=result if kept else None, replayed=bool(replay),
            kept=kept,
        ))
        return result

    def session_closing(self, session) -> None:
        self.read_final_weights(session)

    def read_final_weights(self, session) -> None:
        """Keep the values the trainable variables of ``session``'s graph have now."""
        import tensorflow as tf  # noqa: PLC0415

        variables = session.graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
        if not variables:
            return
        try:
            values = tf.compat.v1.Session.run(session, variables)
        except (tf.errors.FailedPreconditionError, RuntimeError):
            return  # closed or never initialized
        self.final_weights.update({v.op.name: value for v, value in zip(variables, values)})

    def record_batch(self, split: str, indices) -> None:
        super().record_batch(split, indices)
        stack = self.program_stack()
        self.batch_sites.append(BatchSite(stack[-1] if stack else ("", 0), split, len(indices)))

    def runs_at(self, line: int) -> list[RunRecord]:
        """The runs called from program line ``line`` (at any depth of the stack)."""
        return [record for record in self.runs
                if any(frame_line == line for _, frame_line in record.stack)]


@dataclasses.dataclass
class Capture:
    """What a program built and did (see the module docstring).

    Attributes:
        path: the program file.
        source: its text, as run.
        tree: its parsed module (``ast``).
        graph: the ``tf.Graph`` it built (the last one).
        namespace: its global variables when it ended.
        recorder: the :class:`ProgramCapture` (runs, batches, trace).
        output: what it printed.
        exit_code: 0, or the code of its ``sys.exit``.
    """

    path: Path
    source: str
    tree: ast.Module
    graph: Any
    namespace: dict
    recorder: ProgramCapture
    output: str
    exit_code: int

    @property
    def runs(self) -> list[RunRecord]:
        return self.recorder.runs

    def statement_span(self, line: int) -> tuple[int, int]:
        """``(first, last)`` line of the innermost simple statement containing ``line``."""
        spans = self.__dict__.setdefault("_spans", {})  # a loop's 10000 runs share their lines
        if line not in spans:
            spans[line] = self._statement_span(line)
        return spans[line]

    def _statement_span(self, line: int) -> tuple[int, int]:
        best = (line, line)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.stmt) and not any(
                    isinstance(getattr(node, field, None), list)
                    for field in ("body", "orelse", "finalbody", "handlers")) and \
                    node.lineno <= line <= node.end_lineno:
                if best == (line, line) or node.end_lineno - node.lineno < best[1] - best[0]:
                    best = (node.lineno, node.end_lineno)
        return best

    @property
    def training_runs(self) -> list[RunRecord]:
        return [record for record in self.recorder.runs if record.is_training_step]


def capture(path, *, argv=(), dataset: str | None = None, max_examples: int | None = None,
            seed: int | None = None, real_steps: int | None = 3, source: str | None = None,
            init=None, max_steps: int | None = None, echo: bool = False,
            recorder: ProgramCapture | None = None) -> Capture:
    """Run the TF1 program at ``path`` unchanged and record what it builds and runs.

    Args:
        path: the ``.py`` file.
        argv: the program's command-line arguments.
        dataset, max_examples, seed, init, max_steps: the knobs of a legacy run
            (:func:`tfcourse.compat.run_script`).
        real_steps: training steps executed for real (module docstring); None: all.
        source: run this text instead of the file's.
        echo: also print what the program prints.
        recorder: a :class:`ProgramCapture` to record into (a subclass that
            times steps, say); by default a new one.

    Raises:
        CaptureError: the program raised an exception (the message names its
            file:line) or exited with a non-zero status.
    """
    from tfcourse.compat.runner import run_script, script_location  # noqa: PLC0415
    from tfcourse.compat.trace import recording  # noqa: PLC0415

    path = Path(path)
    if source is None:
        if not path.is_file():
            raise FileNotFoundError(f"No TF1 program at {path}")
        source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, str(path))
    except SyntaxError as error:
        raise CaptureError(f"{path}:{error.lineno}: the program is not valid Python: "
                           f"{error.msg}") from None
    recorder = recorder if recorder is not None else ProgramCapture(path, real_steps)
    recorder.program = str(path)
    buffer = io.StringIO()
    stream = buffer if not echo else _Tee(sys.stdout, buffer)
    try:
        with recording(recorder), contextlib.redirect_stdout(stream):
            result = run_script(path, argv, dataset=dataset, max_examples=max_examples, seed=seed,
                                init=init, max_steps=max_steps, trace=False, source=source)
    except CaptureError:
        raise
    except Exception as error:
        location = script_location(error, path) or str(path)
        raise CaptureError(f"{location}: the program failed while it was run to capture it: "
                           f"{type(error).__name__}: {error}") from error
    if result.exit_code:
        raise CaptureError(f"{path}: the program exited with status {result.exit_code}")
    for session in recorder.sessions:
        if not getattr(session, "_closed", True):
            recorder.read_final_weights(session)
    return Capture(path=path, source=source, tree=tree, graph=result.graph,
                   namespace=result.namespace, recorder=recorder, output=buffer.getvalue(),
                   exit_code=result.exit_code)


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
