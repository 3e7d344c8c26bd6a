"""Graph mode for one block of code, without leaking into the rest of the process.

Inside the block ``tf.cond`` and ``tf.while_loop`` build TF 1.15's control flow
(``Switch``/``Merge``/``Enter``/``Exit`` ops in the graph) rather than TensorFlow 2's
``If``/``While`` ops, as the course's programs had it.

TF1 programs need graph mode (placeholders, ``tf.Session``). TensorFlow 2 runs
eagerly, and switching eager off with ``disable_eager_execution()`` is a
process-wide change that breaks any Keras 3 code run afterwards. Inside
:func:`legacy_graph` the program builds into a fresh ``tf.Graph`` made the
default graph, which is all a TF1 program needs; when the block ends,
TensorFlow is eager again (checked).

``import tfcourse.compat.v1 as tf`` in a program run *outside* this scope
(``python program.py``) switches eager off for that process, as the program
expects; inside the scope it leaves the process alone.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator


class _State(threading.local):
    def __init__(self):
        self.scopes: list[LegacyGraphScope] = []


_state = _State()


def in_legacy_graph() -> bool:
    """Whether the calling thread runs inside :func:`legacy_graph`."""
    return bool(_state.scopes)


def current_scope() -> "LegacyGraphScope | None":
    return _state.scopes[-1] if _state.scopes else None


class LegacyGraphScope:
    """The graph a legacy program builds into; ``reset()`` replaces it.

    ``tf.reset_default_graph()`` inside the scope calls :meth:`reset`, since
    TensorFlow refuses to reset a graph entered with ``as_default()``.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self.graph = None
        self._context = None

    def _enter_new_graph(self):
        import tensorflow as tf  # noqa: PLC0415

        self.graph = tf.Graph()
        if self.seed is not None:
            self.graph.seed = self.seed
        self._context = self.graph.as_default()
        self._context.__enter__()

    def _exit_graph(self, *exc_info):
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(*(exc_info or (None, None, None)))

    def reset(self):
        """Start over with an empty graph, as ``tf.reset_default_graph()`` does."""
        import tensorflow as tf  # noqa: PLC0415

        if tf.compat.v1.get_default_graph() is not self.graph:
            # A graph entered by the program itself is open: let TensorFlow raise.
            tf.compat.v1.reset_default_graph()
            return
        self._exit_graph()
        self._enter_new_graph()


@contextlib.contextmanager
def legacy_graph(seed: int | None = None) -> Iterator[LegacyGraphScope]:
    """Run TF1 graph-mode code in this block only.

    Args:
        seed: graph-level seed set before the code runs (what
            ``tf.set_random_seed(seed)`` would do); the code's own
            ``tf.set_random_seed`` still wins. ``None`` leaves it unset.

    Yields:
        A :class:`LegacyGraphScope`; ``scope.graph`` is the graph in use.

    Raises:
        RuntimeError: when the block ends and TensorFlow is no longer eager
            although it was before (something called
            ``disable_eager_execution`` directly).

    Example::

        with legacy_graph():
            import tfcourse.compat.v1 as tf
            x = tf.placeholder(tf.float32, [None, 2])
            with tf.Session() as sess:
                print(sess.run(x * 2, {x: [[1, 2]]}))
        # eager again here: Keras code runs as usual
    """
    import tensorflow as tf  # noqa: PLC0415
    from tensorflow.python.ops import control_flow_util  # noqa: PLC0415

    eager_before = tf.executing_eagerly()
    # TF 1.15 built tf.cond / tf.while_loop as Switch/Merge ops in the graph (control flow v1);
    # TensorFlow 2 builds If/While ops around functions. A legacy graph gets TF1's (the
    # switch is process-wide, so it is restored when the outermost scope ends).
    control_flow_before = control_flow_util.ENABLE_CONTROL_FLOW_V2
    control_flow_util.ENABLE_CONTROL_FLOW_V2 = False
    scope = LegacyGraphScope(seed)
    scope._enter_new_graph()
    _state.scopes.append(scope)
    try:
        yield scope
    finally:
        _state.scopes.remove(scope)
        scope._exit_graph()
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = control_flow_before
    if eager_before and not tf.executing_eagerly():
        raise RuntimeError(
            "Graph mode leaked out of legacy_graph(): TensorFlow is no longer executing "
            "eagerly. Something inside called tf.compat.v1.disable_eager_execution() "
            "directly; use tfcourse.compat.v1 (whose disable_eager_execution is scoped)."
        )
