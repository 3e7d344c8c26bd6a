"""The program's graph as the porter reads it: ops, the program lines that made them, variables.

A thin view over the ``tf.Graph`` a TF1 program built (the porter runs in the
same process, so the graph itself is the IR's storage): each op keeps its
type, inputs and attributes; :class:`ProgramGraph` adds what the porter asks
of them:

* :meth:`~ProgramGraph.lines`: the program lines on the stack when the op was
  made (``op.traceback``), outermost first: ``L1 = batch_norm_layer(X, ...)``
  and the line inside ``batch_norm_layer`` that made the op;
* :meth:`~ProgramGraph.variable_of`: the ``tf.Variable`` a tensor reads
  (``ReadVariableOp`` of its handle), so a pattern can ask for "a variable";
* consumers of each tensor, ancestors of a set of tensors, placeholders.
"""

from __future__ import annotations

import functools
from typing import Iterable

import numpy as np

__all__ = ["ProgramGraph", "constant_value", "is_tensor"]


def is_tensor(value) -> bool:
    """A graph tensor (not a variable, an op or a Python value)."""
    import tensorflow as tf  # noqa: PLC0415

    return isinstance(value, tf.Tensor)

_READ_OPS = ("ReadVariableOp", "Identity")


def constant_value(tensor):
    """The value of a ``Const`` op's output as a NumPy array, or None."""
    op = tensor.op
    if op.type != "Const":
        return None
    from tensorflow.python.framework import tensor_util  # noqa: PLC0415

    return tensor_util.MakeNdarray(op.get_attr("value"))


class ProgramGraph:
    """A TF1 program's graph with its source lines and variables.

    Args:
        graph: the ``tf.Graph``.
        program: the program's file name as it appears in ``op.traceback``.
    """

    def __init__(self, graph, program: str):
        import tensorflow as tf  # noqa: PLC0415

        self.graph = graph
        self.program = str(program)
        self.variables = list(graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES))
        self.trainable = list(graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))
        self._handles = {}
        for variable in self.variables:
            handle = getattr(variable, "handle", None)
            self._handles[(handle if handle is not None else variable).op] = variable
        self.forward: set | None = None  # the forward ops (set by the porter), see matcher.match
        self._consumers: dict = {}
        for op in graph.get_operations():
            for tensor in op.inputs:
                self._consumers.setdefault(tensor.ref(), []).append(op)

    # -- sources -----------------------------------------------------------

    @functools.lru_cache(maxsize=None)  # noqa: B019  (one graph per instance, kept alive by it)
    def lines(self, op) -> tuple:
        """The program lines on the stack when ``op`` was made, outermost first."""
        return tuple(frame.lineno for frame in op.traceback if frame.filename == self.program)

    def line(self, op) -> int | None:
        """The innermost program line that made ``op``."""
        lines = self.lines(op)
        return lines[-1] if lines else None

    def outer_line(self, op) -> int | None:
        """The outermost program line that made ``op`` (the top-level statement)."""
        lines = self.lines(op)
        return lines[0] if lines else None

    # -- structure -----------------------------------------------------------

    def consumers(self, tensor) -> list:
        """The ops that take ``tensor`` as an input."""
        return list(self._consumers.get(tensor.ref(), []))

    def variable_of(self, tensor):
        """The variable ``tensor`` reads (its handle, a read of it, or a ref variable), or None."""
        op = tensor.op
        if op in self._handles:
            return self._handles[op]
        if op.type in _READ_OPS and op.inputs:
            source = op.inputs[0].op
            if source in self._handles:
                return self._handles[source]
        return None

    def is_placeholder(self, tensor) -> bool:
        return tensor.op.type in ("Placeholder", "PlaceholderWithDefault")

    def ancestors(self, tensors: Iterable, stop=frozenset()) -> set:
        """The ops computing ``tensors``, not going past ``stop`` ops (which are included)."""
        seen, stack = set(), [tensor.op for tensor in tensors]
        while stack:
            op = stack.pop()
            if op in seen:
                continue
            seen.add(op)
            if op in stop:
                continue
            stack.extend(tensor.op for tensor in op.inputs)
            stack.extend(op.control_inputs)
        return seen

    def data_ancestors(self, tensors: Iterable, stop=frozenset()) -> set:
        """Like :meth:`ancestors` without control inputs (what the values depend on)."""
        seen, stack = set(), [tensor.op for tensor in tensors]
        while stack:
            op = stack.pop()
            if op in seen:
                continue
            seen.add(op)
            if op in stop:
                continue
            stack.extend(tensor.op for tensor in op.inputs)
        return seen

    def depends_on(self, tensor, sources: set) -> bool:
        """Whether ``tensor``'s value depends on any op of ``sources``."""
        return bool(self.data_ancestors([tensor]) & sources)

    def placeholders(self) -> list:
        return [op.outputs[0] for op in self.graph.get_operations()
                if op.type in ("Placeholder", "PlaceholderWithDefault")]

    def is_constant_data(self, tensor) -> bool:
        """A ``Const`` of rank >= 1 (data the program wrote as a list), not a shape or scalar."""
        value = constant_value(tensor)
        return value is not None and np.ndim(value) >= 1
