"""``tf.Session`` for legacy programs: TF1's session plus the run's hooks.

:class:`Session` and :class:`InteractiveSession` are
``tf.compat.v1.Session``/``InteractiveSession`` with one method changed,
``run``, which (only when asked to, see :mod:`tfcourse.compat.settings`):

* after running an initializer made by :func:`global_variables_initializer`
  (or ``variables_initializer``/``initialize_all_variables``), assigns the
  weights of ``TFCOURSE_INIT`` and records every trainable variable in the
  active :class:`~tfcourse.compat.trace.Trace`;
* when the fetches hold a train op made by a ``tf.train.*Optimizer``
  (see :mod:`tfcourse.compat.optimizers`), counts a training step, records
  the loss given to ``minimize`` (fetched in the same run, so the value is
  the one the program sees), and past ``TFCOURSE_MAX_STEPS`` replaces the
  train op with a no-op.

Without a trace, an init file or a step cap, ``run`` is TF1's.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import tensorflow as tf

from tfcourse.compat import settings as _settings
from tfcourse.compat import trace as _trace

tf1 = tf.compat.v1

TRAIN_OPS = "tfcourse_train_ops"  # graph collection of (train op, loss tensor or None)
INIT_OPS = "tfcourse_init_ops"  # graph collection of initializer ops

_steps_done: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
_no_ops: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def register_train_op(op, loss) -> None:
    """Mark ``op`` as a training step whose loss is ``loss`` (a tensor or None)."""
    op.graph.add_to_collection(TRAIN_OPS, (op, loss))


def register_init_op(op) -> None:
    op.graph.add_to_collection(INIT_OPS, op)


def global_variables_initializer():
    """``tf.global_variables_initializer()``, marked so a Session can trace and override it."""
    op = tf1.global_variables_initializer()
    register_init_op(op)
    return op


def initialize_all_variables():
    """The pre-1.0 spelling of :func:`global_variables_initializer`."""
    return global_variables_initializer()


def variables_initializer(var_list, name="init"):
    """``tf.variables_initializer(var_list)``, marked like :func:`global_variables_initializer`."""
    op = tf1.variables_initializer(var_list, name=name)
    register_init_op(op)
    return op


def _flatten(fetches) -> list:
    if isinstance(fetches, dict):
        return [leaf for value in fetches.values() for leaf in _flatten(value)]
    if isinstance(fetches, (list, tuple)):
        return [leaf for value in fetches for leaf in _flatten(value)]
    return [fetches]


def _replace(fetches, old: set, new):
    if isinstance(fetches, dict):
        return type(fetches)((key, _replace(value, old, new)) for key, value in fetches.items())
    if isinstance(fetches, tuple) and hasattr(fetches, "_fields"):  # namedtuple
        return type(fetches)(*(_replace(value, old, new) for value in fetches))
    if isinstance(fetches, (list, tuple)):
        return type(fetches)(_replace(value, old, new) for value in fetches)
    return new if (isinstance(fetches, tf1.Operation) and fetches in old) else fetches


def _no_op(graph):
    if graph not in _no_ops:
        with graph.as_default():
            _no_ops[graph] = tf1.no_op(name="tfcourse_step_cap")
    return _no_ops[graph]


class _LegacyRunMixin:
    """The hooks shared by :class:`Session` and :class:`InteractiveSession`."""

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        recorder = _trace.current()
        if recorder is not None and recorder.observes_runs:
            return recorder.observe_run(self, fetches, feed_dict, self._run_with_hooks,
                                        (options, run_metadata))
        return self._run_with_hooks(fetches, feed_dict, options, run_metadata)

    def train_ops_of(self, fetches) -> list:
        """The train ops (made by a ``tf.train.*Optimizer``) among ``fetches``."""
        registered = {op for op, _ in self.graph.get_collection(TRAIN_OPS)}
        return [leaf for leaf in _flatten(fetches)
                if isinstance(leaf, tf1.Operation) and leaf in registered]

    def _run_with_hooks(self, fetches, feed_dict=None, options=None, run_metadata=None):
        graph = self.graph
        leaves = [leaf for leaf in _flatten(fetches) if isinstance(leaf, tf1.Operation)]
        if not leaves:
            return super().run(fetches, feed_dict, options, run_metadata)
        train_ops = {op: loss for op, loss in graph.get_collection(TRAIN_OPS)}
        init_ops = set(graph.get_collection(INIT_OPS))
        steps = [op for op in leaves if op in train_ops]
        inits = [op for op in leaves if op in init_ops]
        knobs = _settings.current()
        recorder = _trace.current()

        if steps and knobs.max_steps is not None:
            if _steps_done.get(graph, 0) >= knobs.max_steps:
                fetches = _replace(fetches, set(steps), _no_op(graph))
                steps = []

        losses = [train_ops[op] for op in steps] if recorder is not None else []
        if losses and all(loss is not None for loss in losses):
            result, loss_values = super().run([fetches, losses], feed_dict, options, run_metadata)
        else:
            result, loss_values = super().run(fetches, feed_dict, options, run_metadata), None

        if steps:
            _steps_done[graph] = _steps_done.get(graph, 0) + 1
            if recorder is not None:
                for index, op in enumerate(steps):
                    value = loss_values[index] if loss_values is not None else np.nan
                    recorder.record_step(op.name, value)
        if inits:
            self._after_initializer(knobs, recorder)
        return result

    def close(self):
        recorder = _trace.current()
        if recorder is not None and not getattr(self, "_closed", True):
            recorder.session_closing(self)
        super().close()

    def _after_initializer(self, knobs, recorder) -> None:
        if knobs.init is not None:
            assign_weights(self, _trace.load_weights(knobs.init))
        if recorder is not None:
            variables = self.graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)
            values = super().run(variables) if variables else []
            recorder.record_initial_weights(
                {variable.op.name: value for variable, value in zip(variables, values)}
            )


def assign_weights(session, weights: dict[str, Any]) -> None:
    """Set graph variables to ``weights`` (by variable name) without adding ops.

    Raises:
        ValueError: a name matches no global variable of the session's graph,
            or a shape differs; the message lists what the graph holds.
    """
    variables = {v.op.name: v for v in session.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
    unknown = sorted(set(weights) - set(variables))
    if unknown:
        raise ValueError(
            f"`init` names variables the program does not have: {unknown}. "
            f"The program's variables: {sorted(variables)}"
        )
    for name, value in weights.items():
        variable = variables[name]
        value = np.asarray(value, dtype=variable.dtype.base_dtype.as_numpy_dtype)
        shape = tuple(variable.shape.as_list())
        if value.shape != shape:
            raise ValueError(
                f"`init` gives variable {name!r} the shape {value.shape}; the program's "
                f"variable has shape {shape}"
            )
        # The initializer's second input is the initial value: feeding it assigns
        # `value` through the existing op (what Variable.load does), so the graph
        # does not grow.
        initializer = variable.initializer
        tf1.Session.run(session, initializer, {initializer.inputs[1]: value})


class Session(_LegacyRunMixin, tf1.Session):
    """``tf.Session`` (TF1) whose ``run`` feeds the legacy-run hooks (see module docstring)."""


class InteractiveSession(_LegacyRunMixin, tf1.InteractiveSession):
    """``tf.InteractiveSession`` (TF1) with the same hooks as :class:`Session`."""
