"""A drop-in ``tensorflow`` for the course's TF1 programs: ``import tfcourse.compat.v1 as tf``.

Everything of ``tf.compat.v1`` (placeholders, ``tf.Session``, ``feed_dict``,
``tf.train.*Optimizer``, ``tf.summary``/``FileWriter``, ``tf.train.Saver``,
``tf.set_random_seed``, ``tf.nn.dropout(x, keep_prob)``...), plus what
TensorFlow 2 removed and the course uses:

* ``tf.contrib.layers`` initializers, ``fully_connected``, ``conv2d``,
  ``max_pool2d``, ``avg_pool2d``, ``flatten``, ``dropout``, ``batch_norm``,
  ``l2_regularizer`` (:mod:`tfcourse.compat.contrib`);
* ``tf.nn.rnn_cell`` / ``tf.contrib.rnn`` cells, ``tf.nn.dynamic_rnn``,
  ``static_rnn``, ``bidirectional_dynamic_rnn`` (:mod:`tfcourse.compat.rnn`) and
  ``tf.contrib.seq2seq.sequence_loss`` (:mod:`tfcourse.compat.seq2seq`);
* ``tf.examples.tutorials.mnist.input_data`` (:mod:`tfcourse.compat.input_data`);
* ``tf.layers.dense/dropout/batch_normalization/conv2d/max_pooling2d/
  average_pooling2d/flatten`` without Keras 2 (:mod:`tfcourse.compat.layers`);
* ``tf.Session`` and ``tf.train.*Optimizer`` that feed traces, ``TFCOURSE_INIT``
  and ``TFCOURSE_MAX_STEPS`` (:mod:`tfcourse.compat.session`).

Graph mode: a program that imports this module and runs on its own
(``python program.py``) gets eager execution switched off on its first use of
``tf.<name>``, as TF1 programs expect. Inside
:func:`tfcourse.compat.legacy_graph` (what the runner and the tests use) the
process is left eager and the program builds into the scope's graph; there
``tf.disable_eager_execution()``/``tf.disable_v2_behavior()`` do nothing and
``tf.reset_default_graph()`` swaps the scope's graph.

A removed symbol with no stand-in (``tf.contrib.slim``, ``tf.layers.Dense``,
``tf.estimator``...) raises an ``AttributeError`` naming it and its modern
replacement.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

_SUBMODULES = ("contrib", "examples", "layers", "nn", "train")

# tf.<name> -> "module:attribute" that replaces tf.compat.v1's.
_REPLACED = {
    "Session": "tfcourse.compat.session:Session",
    "InteractiveSession": "tfcourse.compat.session:InteractiveSession",
    "global_variables_initializer": "tfcourse.compat.session:global_variables_initializer",
    "initialize_all_variables": "tfcourse.compat.session:initialize_all_variables",
    "variables_initializer": "tfcourse.compat.session:variables_initializer",
    "disable_eager_execution": "tfcourse.compat.v1:_disable_eager_execution",
    "disable_v2_behavior": "tfcourse.compat.v1:_disable_v2_behavior",
    "enable_eager_execution": "tfcourse.compat.v1:_enable_eager_execution",
    "reset_default_graph": "tfcourse.compat.v1:_reset_default_graph",
    "compat": "tfcourse.compat.v1:_compat_namespace",
}

_lock = threading.Lock()
_switched_off_eager = False


def _tf():
    from tfcourse._runtime import import_tensorflow  # noqa: PLC0415

    return import_tensorflow()


def _ensure_graph_mode() -> None:
    """Outside a legacy_graph scope, switch eager off once (the program is TF1)."""
    global _switched_off_eager
    from tfcourse.compat.graph import in_legacy_graph  # noqa: PLC0415

    if _switched_off_eager or in_legacy_graph():
        return
    tf = _tf()
    with _lock:
        if not _switched_off_eager and tf.executing_eagerly():
            tf.compat.v1.disable_eager_execution()
            _switched_off_eager = True


def _disable_eager_execution() -> None:
    """TF1's switch; inside a legacy_graph scope graph mode is already on, so it does nothing."""
    _ensure_graph_mode()


def _disable_v2_behavior() -> None:
    """TF1's switch; inside a legacy_graph scope it does nothing (the scope gives graph mode)."""
    from tfcourse.compat.graph import in_legacy_graph  # noqa: PLC0415

    if not in_legacy_graph():
        _tf().compat.v1.disable_v2_behavior()


def _enable_eager_execution(*args, **kwargs) -> None:
    from tfcourse.compat.graph import in_legacy_graph  # noqa: PLC0415

    if not in_legacy_graph():
        _tf().compat.v1.enable_eager_execution(*args, **kwargs)


def _reset_default_graph() -> None:
    """``tf.reset_default_graph()``; inside a legacy_graph scope it replaces the scope's graph."""
    from tfcourse.compat.graph import current_scope  # noqa: PLC0415

    scope = current_scope()
    if scope is not None:
        scope.reset()
    else:
        _tf().compat.v1.reset_default_graph()


class _CompatNamespace:
    """``tf.compat`` as seen by a TF1 program: ``tf.compat.v1`` is this module."""

    @property
    def v1(self):
        return importlib.import_module(__name__)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_tf().compat, name)


_compat_namespace = _CompatNamespace()


def _resolve(target: str) -> Any:
    module_name, attribute = target.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _ensure_graph_mode()
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _REPLACED:
        return _resolve(_REPLACED[name])
    tf = _tf()
    try:
        return getattr(tf.compat.v1, name)
    except AttributeError:
        from tfcourse.compat.removed import TOP_LEVEL, UnsupportedSymbolError  # noqa: PLC0415

        replacement = TOP_LEVEL.get(name)
        if replacement is not None:
            raise UnsupportedSymbolError(f"tf.{name}", replacement) from None
        raise AttributeError(
            f"module 'tensorflow' (tfcourse.compat.v1) has no attribute {name!r}: neither TF1's "
            f"tf.compat.v1 nor tfcourse.compat provides tf.{name}"
        ) from None


def __dir__() -> list[str]:
    return sorted(set(dir(_tf().compat.v1)) | set(_SUBMODULES) | set(_REPLACED))
