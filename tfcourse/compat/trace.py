"""What a legacy run did: initial weights, mini-batch order, per-step losses.

``tfcourse compare`` replays a TF1 program in its TF2 and Keras versions from
the same starting point. A :class:`Trace` holds what it needs, recorded
without changing the program:

* ``initial_weights``: every trainable variable, by name (``W1``,
  ``Variable_2``, ``dense/kernel``), read right after the first
  ``sess.run(tf.global_variables_initializer())`` (after ``TFCOURSE_INIT``
  was applied, so they are the weights actually trained);
* ``batch_indices``: for each ``next_batch`` call, in order, the indices of
  the examples it returned, counted in the split's original order
  (``mnist.train.images`` as read, before any shuffle);
* ``losses``: for each training step (a ``sess.run`` that runs a train op
  made by a ``tf.train.*Optimizer``), the value of the loss handed to
  ``minimize`` in that same run.

Record in-process with :func:`recording`, or set ``TFCOURSE_TRACE=path.npz``
(or ``tfcourse legacy run --trace path.npz``) to have it saved when the run
ends. :meth:`Trace.save` / :meth:`Trace.load` use one ``.npz``; its
``init/<name>`` arrays make it usable as ``TFCOURSE_INIT`` directly.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator

import numpy as np

INIT_PREFIX = "init/"


@dataclasses.dataclass
class Trace:
    """The record of one legacy run (see the module docstring).

    Attributes:
        initial_weights: ``{variable name: array}`` after the first initializer run.
        batch_splits: for each ``next_batch`` call, the split it drew from
            (``"train"``, ``"validation"``, ``"test"``).
        batch_indices: for each ``next_batch`` call, int64 indices into that split.
        losses: the loss of each training step, in order.
        train_ops: the name of the train op of each step (parallel to ``losses``).
        datasets: one dict per ``read_data_sets`` call (name, source, sizes, seed).
        metadata: free-form facts (the script, the settings in force).
    """

    initial_weights: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    batch_splits: list[str] = dataclasses.field(default_factory=list)
    batch_indices: list[np.ndarray] = dataclasses.field(default_factory=list)
    losses: list[float] = dataclasses.field(default_factory=list)
    train_ops: list[str] = dataclasses.field(default_factory=list)
    datasets: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    initializer_runs: int = 0

    observes_runs = False
    """Subclasses that set this see every ``Session.run`` through :meth:`observe_run`."""

    def session_closing(self, session) -> None:
        """Called by a legacy ``Session.close()`` (what a program's variables ended as)."""

    # -- recording hooks (called by compat's Session and DataSet) ---------------

    def observe_run(self, session, fetches, feed_dict, run, run_options):
        """Called instead of ``session.run`` when :attr:`observes_runs` is set.

        ``run(fetches, feed_dict, *run_options)`` does the run (with the step
        cap, init and trace hooks); the return value is what the program gets.
        """
        return run(fetches, feed_dict, *run_options)


    def record_initial_weights(self, weights: dict[str, np.ndarray]) -> None:
        self.initializer_runs += 1
        if self.initializer_runs == 1:
            self.initial_weights = {name: np.array(value) for name, value in weights.items()}

    def record_batch(self, split: str, indices: np.ndarray) -> None:
        self.batch_splits.append(split)
        self.batch_indices.append(np.asarray(indices, dtype=np.int64).copy())

    def record_step(self, train_op: str, loss: Any) -> None:
        self.train_ops.append(train_op)
        value = np.asarray(loss, dtype=np.float64)
        self.losses.append(float(value) if value.size == 1 else float(value.mean()))

    def record_dataset(self, info: dict[str, Any]) -> None:
        self.datasets.append(dict(info))

    # -- views ----------------------------------------------------------------

    @property
    def train_batches(self) -> list[np.ndarray]:
        """The indices of each mini-batch drawn from the train split, in order."""
        return [idx for split, idx in zip(self.batch_splits, self.batch_indices) if split == "train"]

    @property
    def num_steps(self) -> int:
        return len(self.losses)

    # -- files ----------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the trace as one ``.npz`` (no pickles) and return its path."""
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        sizes = np.array([len(idx) for idx in self.batch_indices], dtype=np.int64)
        arrays = {
            "losses": np.asarray(self.losses, dtype=np.float64),
            "train_ops": np.asarray(self.train_ops, dtype=np.str_),
            "batch_splits": np.asarray(self.batch_splits, dtype=np.str_),
            "batch_sizes": sizes,
            "batch_indices": (
                np.concatenate(self.batch_indices) if self.batch_indices else np.zeros(0, np.int64)
            ),
            "meta": np.asarray(json.dumps({
                "datasets": self.datasets,
                "metadata": self.metadata,
                "initializer_runs": self.initializer_runs,
            }, default=str)),
        }
        for name, value in self.initial_weights.items():
            arrays[INIT_PREFIX + name] = value
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Trace":
        """Read a trace written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            sizes = archive["batch_sizes"]
            flat = archive["batch_indices"]
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            return cls(
                initial_weights={
                    key[len(INIT_PREFIX):]: archive[key]
                    for key in archive.files if key.startswith(INIT_PREFIX)
                },
                batch_splits=[str(s) for s in archive["batch_splits"]],
                batch_indices=[flat[bounds[i]:bounds[i + 1]] for i in range(len(sizes))],
                losses=[float(v) for v in archive["losses"]],
                train_ops=[str(s) for s in archive["train_ops"]],
                datasets=meta["datasets"],
                metadata=meta["metadata"],
                initializer_runs=meta["initializer_runs"],
            )


def load_weights(source: Any) -> dict[str, np.ndarray]:
    """Initial weights from a mapping or an ``.npz`` (plain names or a trace's ``init/`` keys)."""
    if isinstance(source, Trace):
        return dict(source.initial_weights)
    if isinstance(source, (str, os.PathLike)):
        with np.load(source, allow_pickle=False) as archive:
            names = archive.files
            if any(key.startswith(INIT_PREFIX) for key in names):
                return {k[len(INIT_PREFIX):]: archive[k] for k in names if k.startswith(INIT_PREFIX)}
            return {key: archive[key] for key in names}
    return {str(name): np.asarray(value) for name, value in dict(source).items()}


# -- the active trace ------------------------------------------------------------

_local = threading.local()
_environment_trace: Trace | None = None
_environment_lock = threading.Lock()


def _stack() -> list[Trace]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


@contextlib.contextmanager
def recording(trace: Trace | None = None) -> Iterator[Trace]:
    """Record what legacy code run inside the block does into a :class:`Trace`.

    Example::

        with recording() as trace, legacy_graph():
            ...  # build and train a TF1 graph with tfcourse.compat.v1
        trace.losses[:3], trace.train_batches[0][:5]
    """
    trace = trace if trace is not None else Trace()
    _stack().append(trace)
    try:
        yield trace
    finally:
        _stack().remove(trace)


def _save_environment_trace(path: str) -> None:
    if _environment_trace is not None:
        _environment_trace.save(path)


def current() -> Trace | None:
    """The innermost :func:`recording`, else the process trace of ``TFCOURSE_TRACE``, else None."""
    global _environment_trace
    stack = _stack()
    if stack:
        return stack[-1]
    path = os.environ.get("TFCOURSE_TRACE")
    if not path:
        return None
    with _environment_lock:
        if _environment_trace is None:
            _environment_trace = Trace(metadata={"trace_path": path})
            atexit.register(_save_environment_trace, path)
    return _environment_trace
