"""Patterns written in TF1 itself, traced once, matched against a program's graph.

A pattern is a small function in TF1's own words (``tf.matmul(x, W) + b``).
:func:`trace` runs it once in a scratch graph, with a placeholder for each
tensor argument and a recognizable sentinel value for each constant argument,
and keeps the ops between the arguments and the result. :func:`match` then
compares that little graph with the program's graph, starting from one of
the program's tensors and walking inputs: the same op types, the same
attributes (but the ones the pattern frees: a convolution's strides, say),
the same constants (but the pattern's constant arguments, which bind to
whatever value the program used), each argument bound to one program tensor.
Inputs of commutative ops (``x + b`` or ``b + x``) match in either order.

Because the pattern is traced with the same TensorFlow as the program, a
TF1 function that expands into many ops (``tf.nn.dropout``,
``tf.nn.softmax_cross_entropy_with_logits``) matches whatever it expands to
in this version, without the porter spelling those ops out (the idea of
torch.fx's ``subgraph_rewriter``).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable

import numpy as np

from tfcourse.port.graph import ProgramGraph, constant_value

__all__ = ["Match", "Pattern", "TracedPattern", "match", "trace"]

COMMUTATIVE = frozenset({"Add", "AddV2", "Mul", "Maximum", "Minimum", "Equal", "NotEqual",
                         "LogicalAnd", "LogicalOr", "AddN"})
"""Op types whose inputs may come in either order."""

IGNORED_ATTRS = frozenset({"seed", "seed2", "_class", "debug_name", "shared_name", "container",
                           "_has_manual_control_dependencies", "grad_a", "grad_b", "value",
                           "_output_shapes", "allowed_devices", "use_cudnn_on_gpu", "_XlaCompile",
                           "_read_only_resource_inputs", "_lower_using_switch_merge"})
"""Attributes that never decide a match (random seeds, names, device hints)."""

SAME_TYPE = {"Add": "AddV2"}
"""Op types that are the same computation under two names."""


@dataclasses.dataclass(frozen=True)
class Pattern:
    """One entry of a pattern table.

    Attributes:
        name: the function's name (``dense``, ``dropout_keep_prob``...).
        function: the TF1 spelling; its arguments are the pattern's inputs.
        tensors: arguments traced as placeholders (they bind program tensors).
        variables: the tensor arguments that must be reads of a ``tf.Variable``.
        constants: arguments traced as Python values; they bind the program's
            constant of that place, whatever its value.
        free_attrs: attributes that may differ (and are read from the match).
        free_scalars: every scalar float constant may differ (``1 - decay`` computed in
            Python): the pattern's converter reads the values it needs from the match.
        dtypes: dtype of each tensor argument (default float32).
        ranks: rank of each tensor argument (default unknown).
        sentinels: the values constant arguments are traced with (to be found
            in the traced graph); defaults are unlikely floats.
        data: what the entry maps to, for its converter (the Keras layer, loss...).
    """

    name: str
    function: Callable
    tensors: tuple = ()
    variables: tuple = ()
    constants: tuple = ()
    free_attrs: frozenset = frozenset()
    dtypes: tuple = ()
    ranks: tuple = ()
    sentinels: tuple = ()
    free_scalars: bool = False
    data: Any = None


@dataclasses.dataclass
class TracedPattern:
    """A pattern's traced graph: its output tensor, its placeholders and constants."""

    pattern: Pattern
    output: Any
    placeholders: dict          # trace op -> argument name
    constants: dict             # trace const op -> argument name (the sentinels)
    ops: set                    # the pattern's ops (without the placeholders)


@dataclasses.dataclass
class Match:
    """A pattern found at one program tensor.

    Attributes:
        pattern: the :class:`Pattern`.
        output: the program tensor the pattern's result matched.
        bindings: argument name -> the program tensor it stands for.
        constants: constant argument name -> the program's value there.
        ops: trace op -> program op, for every op of the pattern.
    """

    pattern: Pattern
    output: Any
    bindings: dict
    constants: dict
    ops: dict

    @property
    def program_ops(self) -> set:
        return set(self.ops.values())

    def op(self, op_type: str):
        """The program op matched by the pattern's (single) op of ``op_type``."""
        found = [program for traced, program in self.ops.items() if traced.type == op_type]
        if len(found) != 1:
            raise LookupError(f"pattern {self.pattern.name} has {len(found)} {op_type} ops")
        return found[0]


_SENTINEL_FLOATS = (0.123456789, 0.987654321, 0.314159265, 0.271828182, 0.141421356)


def trace(pattern: Pattern) -> TracedPattern:
    """Run ``pattern.function`` once in a scratch graph and keep what it built."""
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse._runtime import tensorflow_logger_level  # noqa: PLC0415
    from tfcourse.compat.graph import legacy_graph  # noqa: PLC0415

    with legacy_graph() as scope, tensorflow_logger_level():
        import tfcourse.compat.v1 as tf1  # noqa: PLC0415

        arguments: dict[str, Any] = {}
        placeholder_ops = {}
        for index, name in enumerate(pattern.tensors):
            dtype = tf.as_dtype(pattern.dtypes[index]) if (
                index < len(pattern.dtypes) and pattern.dtypes[index]) else tf.float32
            rank = pattern.ranks[index] if index < len(pattern.ranks) else None
            shape = None if rank is None else [None] * rank
            if name in pattern.variables:
                # a resource variable: the pattern reads it (ReadVariableOp) or assigns it
                variable = tf1.Variable(tf.zeros([1] * (rank or 0), dtype),
                                        shape=tf.TensorShape(shape), name=f"pattern_{name}",
                                        use_resource=True)
                arguments[name] = variable
                placeholder_ops[variable.handle.op] = name
            else:
                arguments[name] = tf1.placeholder(dtype, shape, name=f"pattern_{name}")
                placeholder_ops[arguments[name].op] = name
        sentinels = {}
        for index, name in enumerate(pattern.constants):
            value = (pattern.sentinels[index] if index < len(pattern.sentinels)
                     else _SENTINEL_FLOATS[index % len(_SENTINEL_FLOATS)])
            arguments[name] = value
            sentinels[name] = value
        output = pattern.function(**arguments)
        if isinstance(output, tf.Variable):
            output = output.value()
        output = tf1.convert_to_tensor(output)
        graph = scope.graph
        placeholders = placeholder_ops
        ops = ProgramGraph(graph, "").data_ancestors([output], stop=frozenset(placeholders))
        ops -= set(placeholders)
        constants = {}
        for op in ops:
            if op.type != "Const":
                continue
            value = constant_value(op.outputs[0])
            for name, sentinel in sentinels.items():
                if np.shape(value) == np.shape(sentinel) and np.allclose(
                        np.asarray(value, np.float64), np.asarray(sentinel, np.float64), rtol=1e-6):
                    constants[op] = name
        missing = set(sentinels) - set(constants.values())
        if missing:
            raise ValueError(f"pattern {pattern.name}: the constant argument(s) {sorted(missing)} "
                             "did not appear as constants in the traced graph")
    return TracedPattern(pattern, output, placeholders, constants, ops)


def _attrs_equal(traced_op, program_op, free: frozenset) -> bool:
    for key in traced_op.node_def.attr:
        if key in IGNORED_ATTRS or key in free:
            continue
        if key not in program_op.node_def.attr:
            return False
        if traced_op.node_def.attr[key] != program_op.node_def.attr[key]:
            return False
    return True


def _same_type(a: str, b: str) -> bool:
    return SAME_TYPE.get(a, a) == SAME_TYPE.get(b, b)


def match(traced: TracedPattern, tensor, graph: ProgramGraph, scope=None) -> Match | None:
    """The match of ``traced`` whose result is the program's ``tensor``, or None.

    Every op of the pattern except its output must have no consumers outside
    the match in the program (an intermediate the program also uses cannot
    disappear into one Keras layer). ``scope``: only consumers among these
    ops count (the forward computation: gradient ops read forward
    intermediates, which does not make the program use them).
    """
    pattern = traced.pattern
    state = {"bindings": {}, "constants": {}, "ops": {}}

    def unify(traced_tensor, program_tensor, state) -> dict | None:
        traced_op = traced_tensor.op
        if traced_op in traced.placeholders:
            name = traced.placeholders[traced_op]
            bound = state["bindings"].get(name)
            if bound is not None:
                return state if bound is program_tensor else None
            if name in pattern.variables:
                # a variable read inside tf.cond reaches its handle through Switch ops
                while program_tensor.op.type in ("Switch", "Identity", "Enter") and \
                        program_tensor.op.inputs:
                    program_tensor = program_tensor.op.inputs[0]
                if program_tensor.op.type not in ("VarHandleOp", "VariableV2") or \
                        graph.variable_of(program_tensor) is None:
                    return None
                bound = state["bindings"].get(name)
                if bound is not None:
                    return state if bound is program_tensor else None
            new = {**state, "bindings": {**state["bindings"], name: program_tensor}}
            return new
        program_op = program_tensor.op
        if traced_tensor.value_index != program_tensor.value_index:
            return None
        if not _same_type(traced_op.type, program_op.type):
            return None
        previous = state["ops"].get(traced_op)
        if previous is not None:
            return state if previous is program_op else None
        if program_op in state["ops"].values():
            return None
        if traced_op.type == "Const":
            value = constant_value(program_op.outputs[0])
            if traced_op in traced.constants:
                name = traced.constants[traced_op]
                known = state["constants"].get(name)
                if known is not None and not np.array_equal(known, value):
                    return None
                return {**state, "ops": {**state["ops"], traced_op: program_op},
                        "constants": {**state["constants"], name: value}}
            expected = constant_value(traced_op.outputs[0])
            free = (pattern.free_scalars and expected.ndim == 0 and value.ndim == 0
                    and value.dtype == expected.dtype and value.dtype.kind == "f")
            if not free and (value.dtype != expected.dtype or not np.array_equal(value, expected)):
                return None
            return {**state, "ops": {**state["ops"], traced_op: program_op}}
        if not _attrs_equal(traced_op, program_op, pattern.free_attrs):
            return None
        if len(traced_op.inputs) != len(program_op.inputs):
            return None
        state = {**state, "ops": {**state["ops"], traced_op: program_op}}
        orders = ([list(program_op.inputs)] if traced_op.type not in COMMUTATIVE
                  else [list(p) for p in itertools.permutations(program_op.inputs)])
        for order in orders:
            attempt = state
            for traced_input, program_input in zip(traced_op.inputs, order):
                attempt = unify(traced_input, program_input, attempt)
                if attempt is None:
                    break
            if attempt is not None:
                return attempt
        return None

    result = unify(traced.output, tensor, state)
    if result is None:
        return None
    program_ops = set(result["ops"].values())
    for traced_op, program_op in result["ops"].items():
        if program_op is tensor.op or program_op.type == "Const":
            continue
        for output in program_op.outputs:
            for consumer in graph.consumers(output):
                if consumer not in program_ops and (scope is None or consumer in scope):
                    return None
    return Match(pattern, tensor, result["bindings"], result["constants"], result["ops"])
