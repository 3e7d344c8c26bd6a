"""From the program's graph to Keras: the model's layers, initializers, loss, metrics, optimizer.

:func:`plan_models` reads a :class:`~tfcourse.port.capture.Capture` and
returns one :class:`ModelPlan` per thing the program trains (each
``optimizer.minimize(loss)``), or, for a program that only evaluates (the
perceptron's forward pass), one per group of fetched results:

1. **roles of the fed values.** A scalar placeholder is a setting
   (``keep_prob``, ``is_training``); a placeholder (or a list the program
   wrote into the graph) is an *input* when some op depending on it reads a
   trainable variable directly (``tf.matmul(X, W1)``), else a *label*
   (``Y`` only meets the model inside the loss).
2. **the model's output.** The ops depending on the inputs and not on the
   labels form the model; the tensor through which all of them reach the loss
   (the common dominator, moved back to a tensor the program named) is its
   output: ``hypothesis``.
3. **layers.** From the output back to the inputs, each tensor is matched
   against the recorded layer calls (``tf.layers.dense``...) and then the
   pattern table (:mod:`tfcourse.port.patterns`), first match wins; an
   activation right after a ``Dense``/``Conv2D`` is merged into it. Ops no
   pattern covers are grouped into generated custom layers that hold the exact
   ops (nothing is dropped).
4. **loss, regularizers, metrics, optimizer**, from their tables and the
   recorded ``minimize`` call.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tfcourse.port import patterns as _patterns
from tfcourse.port.graph import ProgramGraph, constant_value, is_tensor
from tfcourse.compat.layer_calls import layer_calls
from tfcourse.port.matcher import Match, match, trace

__all__ = ["LayerNode", "ModelPlan", "PortError", "Weight", "plan_models"]


class PortError(ValueError):
    """The program cannot be ported as it is; the message names the file:line and why."""


@dataclasses.dataclass
class Weight:
    """A Keras weight and the TF1 variable(s) it is made of.

    Attributes:
        name: the Keras weight's attribute (``kernel``, ``bias``, ``gamma``...).
        variable: the TF1 ``tf.Variable`` (the first of ``sources``).
        shape: the Keras weight's shape (the variable's, unless reshaped).
        sources: role -> TF1 variable, when the weight is made of several or
            rearranged (an LSTM's ``recurrent_kernel`` is the last rows of TF1's
            kernel, its gates reordered); None: ``variable`` reshaped.
        transform: ``{role: array} -> array`` for ``sources``.
    """

    name: str
    variable: Any
    shape: tuple
    sources: dict | None = None
    transform: Any = None

    @property
    def variable_name(self) -> str:
        return self.variable.op.name

    @property
    def variable_names(self) -> list[str]:
        if self.sources is None:
            return [self.variable.op.name]
        return [v.op.name for v in self.sources.values()]

    def value(self, values: dict):
        """The Keras value from TF1 values by variable name (None if one is missing)."""
        if self.sources is None:
            if self.variable.op.name not in values:
                return None
            return np.asarray(values[self.variable.op.name]).reshape(self.shape)
        if any(v.op.name not in values for v in self.sources.values()):
            return None
        return np.asarray(self.transform({role: np.asarray(values[v.op.name])
                                          for role, v in self.sources.items()}))


@dataclasses.dataclass
class LayerNode:
    """One Keras layer of a ported model.

    Attributes:
        keras: the layer kind (``Dense``, ``Conv2D``, ``Dropout``, ``Custom``...).
        arguments: constructor arguments (Python values, or :class:`Code` for expressions).
        inputs: the program tensors it is called on, in order.
        output: the program tensor it computes.
        ops: the program ops it stands for.
        weights: its weights and the variables they come from.
        flags: role (``keep_prob``, ``training``...) -> the placeholder the program feeds.
        pattern: the pattern (or layer call) that produced it.
        always_on: dropout the program applies in testing too (a constant keep_prob).
        name: the Keras layer name (set by the emitter).
    """

    keras: str
    arguments: dict
    inputs: list
    output: Any
    ops: set
    weights: list = dataclasses.field(default_factory=list)
    flags: dict = dataclasses.field(default_factory=dict)
    pattern: str = ""
    always_on: bool = False
    name: str = ""
    target_path: tuple = ()


@dataclasses.dataclass(frozen=True)
class Code:
    """A constructor argument written as Python source (an initializer, a regularizer)."""

    text: str
    imports: tuple = ()

    def __repr__(self) -> str:
        return self.text


@dataclasses.dataclass
class LossPlan:
    """The loss: a Keras loss (``code``) or the program's own formula (``custom``)."""

    code: Code | None
    y_true: Any
    y_pred: Any
    ops: set
    pattern: str = ""


@dataclasses.dataclass
class ModelPlan:
    """What one ``minimize`` trains (or what one group of fetches computes), in Keras terms.

    Attributes:
        inputs: the fed placeholders (or data constants) the model reads, in order.
        labels: the placeholders only the loss reads.
        flags: placeholders that switch training and inference (scalars).
        output: the model's output tensor.
        layers: the layers, inputs to output (topological order).
        loss: the :class:`LossPlan` (None for a model that is only evaluated).
        regularizers: (layer, weight name, code) added to weights.
        minimize: the recorded :class:`~tfcourse.compat.optimizers.MinimizeCall`.
        extra_outputs: other model tensors the program fetches (``predicted``).
    """

    inputs: list
    labels: list
    flags: list
    output: Any
    layers: list
    loss: LossPlan | None = None
    regularizers: list = dataclasses.field(default_factory=list)
    minimize: Any = None
    extra_outputs: list = dataclasses.field(default_factory=list)
    heads: list = dataclasses.field(default_factory=list)
    schedule: Any = None

    def node_of(self, tensor) -> LayerNode | None:
        for node in self.layers:
            if node.output is tensor:
                return node
        return None

    @property
    def weights(self) -> list[tuple[LayerNode, Weight]]:
        return [(node, weight) for node in self.layers for weight in node.weights]


# -- tracing the tables once ---------------------------------------------------------------

_TRACED: dict = {}


def traced(table_name: str) -> list:
    """The traced patterns of one table of :mod:`tfcourse.port.patterns`, in order."""
    if table_name not in _TRACED:
        _TRACED[table_name] = [trace(pattern) for pattern in getattr(_patterns, table_name)]
    return _TRACED[table_name]


WHOLE_TABLES = ("LOSSES", "METRICS", "REGULARIZERS", "SCHEDULES", "UPDATES", "INITIALIZERS")
"""Tables whose match becomes one Keras object: what their ops compute on the way (one-hot
labels a loss and an accuracy share) need not stay a layer output, so consumers do not count."""


def first_match(table_name: str, tensor, graph: ProgramGraph, accept=None,
                scope=None) -> Match | None:
    if scope is None:
        scope = set() if table_name in WHOLE_TABLES else graph.forward
    for traced_pattern in traced(table_name):
        found = match(traced_pattern, tensor, graph, scope)
        if found is not None and (accept is None or accept(found)):
            return found
    return None


# -- initializers ----------------------------------------------------------------------------

def _fans(shape) -> tuple[float, float]:
    shape = [int(dim) for dim in shape]
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=2e-6)


_SNAKE = {"GlorotUniform": "glorot_uniform", "HeUniform": "he_uniform",
          "LecunUniform": "lecun_uniform", "GlorotNormal": "glorot_normal",
          "HeNormal": "he_normal", "LecunNormal": "lecun_normal"}


def initializer_code(variable, graph: ProgramGraph, shape=None) -> Code:
    """The Keras (or tfcourse) initializer drawing what ``variable``'s initial value draws."""
    initial = variable.initializer.inputs[1] if variable.initializer.inputs else None
    shape = tuple(int(d) for d in (shape or variable.shape))
    if initial is None:
        raise PortError(f"variable {variable.op.name} has no initial value to port")
    value = constant_value(initial)
    if value is None and initial.op.type == "Fill":
        value = constant_value(initial.op.inputs[1])
    if value is not None:
        value = np.asarray(value)
        if np.all(value == 0):
            return Code('"zeros"')
        if np.all(value == 1):
            return Code('"ones"')
        if value.size == 1 or np.all(value == value.flat[0]):
            return Code(f"keras.initializers.Constant({_short(float(value.flat[0]))})")
        return Code(f"keras.initializers.Constant({value.reshape(shape).tolist()!r})")
    found = first_match("INITIALIZERS", initial, graph)
    if found is None:
        raise PortError(
            f"{_where(graph, initial.op)}: the initial value of variable {variable.op.name} "
            f"({initial.op.type}) is not one tfcourse port recognizes (random_normal, "
            "truncated_normal, random_uniform, Xavier/Glorot, zeros, ones, constants)"
        )
    kind = found.pattern.data["keras"]
    fan_in, fan_out = _fans(shape)
    if kind == "RandomUniform":
        low = float(found.constants["minval"])
        high = float(found.constants["maxval"])
        if _close(-low, high):
            for name, limit in (("GlorotUniform", math.sqrt(6.0 / (fan_in + fan_out))),
                                ("HeUniform", math.sqrt(6.0 / fan_in)),
                                ("LecunUniform", math.sqrt(3.0 / fan_in))):
                if _close(high, limit):
                    return Code(f'"{_SNAKE[name]}"')
        return Code(f"keras.initializers.RandomUniform(minval={_short(low)}, "
                    f"maxval={_short(high)})")
    mean = float(found.constants["mean"])
    stddev = float(found.constants["stddev"])
    if kind == "TruncatedNormal" and mean == 0.0:
        contrib = {"Xavier": math.sqrt(1.3 * 2.0 / (fan_in + fan_out)),
                   "He": math.sqrt(1.3 * 2.0 / fan_in)}
        for name, target in contrib.items():
            if _close(stddev, target):
                uniform = ", uniform=False" if name == "Xavier" else ""
                return Code(f"tfcourse.initializers.{name}(convention=\"tf1\"{uniform})")
        keras_truncation = 0.87962566103423978
        for name, target in (("GlorotNormal", math.sqrt(2.0 / (fan_in + fan_out))),
                             ("HeNormal", math.sqrt(2.0 / fan_in)),
                             ("LecunNormal", math.sqrt(1.0 / fan_in))):
            if _close(stddev, target / keras_truncation):
                return Code(f'"{_SNAKE[name]}"')
    arguments = [] if mean == 0.0 else [f"mean={_short(mean)}"]
    arguments.append(f"stddev={_short(stddev)}")
    return Code(f"keras.initializers.{kind}({', '.join(arguments)})")


def _short(value: float) -> str:
    """The shortest text of a float32 value (0.01, not 0.009999999776482582)."""
    return repr(float(str(np.float32(value))))


def _where(graph: ProgramGraph, op) -> str:
    line = graph.line(op)
    return f"{graph.program}:{line}" if line else graph.program


# -- roles of the fed values -------------------------------------------------------------------

def _reads_variable(op, graph: ProgramGraph, trainable_ops: set) -> bool:
    for tensor in op.inputs:
        variable = graph.variable_of(tensor)
        if variable is not None and (variable.handle.op if hasattr(variable, "handle")
                                     else variable.op) in trainable_ops:
            return True
    return False


def _descendants(sources: set, within: set, graph: ProgramGraph) -> set:
    """Ops of ``within`` that depend (through data inputs) on an op of ``sources``.

    (Creation order is not a topological order: tf.cond rewires an op's input to a
    Switch made after it, so this walks consumers.)
    """
    result = {op for op in sources if op in within}
    stack = list(result)
    while stack:
        op = stack.pop()
        for tensor in op.outputs:
            for consumer in graph.consumers(tensor):
                if consumer in within and consumer not in result:
                    result.add(consumer)
                    stack.append(consumer)
    return result


def classify_feeds(loss, fed: list, graph: ProgramGraph, values: dict | None = None
                   ) -> tuple[list, list, list]:
    """``(inputs, labels, flags)`` among the fed tensors ``fed`` of a training step of ``loss``.

    ``values``: what was fed (a placeholder of unknown shape fed a number is a setting).
    """
    values = values or {}
    region = graph.data_ancestors([loss])
    trainable_ops = {(v.handle.op if hasattr(v, "handle") else v.op) for v in graph.trainable}
    inputs, labels, flags = [], [], []
    for tensor in fed:
        if tensor.op not in region:
            continue
        if tensor.shape.rank == 0 or (tensor.shape.rank is None and tensor in values
                                      and np.ndim(values[tensor]) == 0):
            flags.append(tensor)
            continue
        dependent = _descendants({tensor.op}, region, graph)
        if any(_reads_variable(op, graph, trainable_ops) for op in dependent):
            inputs.append(tensor)
        else:
            labels.append(tensor)
    return inputs, labels, flags


def _numeric_data(value) -> bool:
    """A non-empty list or array of numbers (not a list of tensors or strings)."""
    if isinstance(value, np.ndarray):
        return value.size > 0 and value.dtype.kind in "biuf"
    if not isinstance(value, (list, tuple)) or not value:
        return False
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001  (tensors, ragged lists: not data)
        return False
    return array.size > 0 and array.dtype.kind in "biuf"


def data_constants(loss, graph: ProgramGraph, namespace: dict) -> list:
    """Lists or arrays the program wrote into the graph as data (``x_train * W + b``)."""
    values = [value for value in namespace.values() if _numeric_data(value)]
    found = []
    for op in graph.data_ancestors([loss]):
        if op.type != "Const" or not graph.is_constant_data(op.outputs[0]):
            continue
        value = constant_value(op.outputs[0])
        if value.dtype.kind != "f":  # data the program fed as a list became float32 constants
            continue
        for candidate in values:
            try:
                same = np.array_equal(np.asarray(candidate, dtype=np.float64),
                                      value.astype(np.float64))
            except (TypeError, ValueError):
                same = False
            if same:
                found.append(op.outputs[0])
                break
    return sorted(found, key=lambda tensor: tensor.op._id)


# -- the model's output ------------------------------------------------------------------------

def assignment_names(capture, graph: ProgramGraph) -> dict:
    """op -> the program's name for its output: the target of the statement whose value it is.

    The value of ``L1 = tf.nn.relu(tf.matmul(X, W1) + b1)`` is the last op
    that statement made; for a call of the program's own function
    (``L1 = batch_norm_layer(X, ...)``) it is the last op made inside the call.
    """
    import ast  # noqa: PLC0415

    parents = {child: node for node in ast.walk(capture.tree)
               for child in ast.iter_child_nodes(node)}

    def in_plain_function(node) -> bool:
        parent = parents.get(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef,
                                                             ast.AsyncFunctionDef)):
            parent = parents.get(parent)
        return parent is not None and not isinstance(parents.get(parent), ast.ClassDef)

    spans = []
    for statement in ast.walk(capture.tree):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, (ast.Name, ast.Attribute)):
                spans.append((statement.lineno, statement.end_lineno, ast.unparse(target),
                              in_plain_function(statement)))
    executions: list = []   # [key, last op, name]: one per execution of a named statement
    previous_key = None
    for op in sorted(graph.graph.get_operations(), key=lambda o: o._id):
        lines = graph.lines(op)
        key = None
        # the name at the deepest line not inside a plain function: `self.logits = ...` in a
        # class's method, `L1 = batch_norm_layer(...)` for a helper function's ops
        for depth in range(len(lines) - 1, -1, -1):
            found = [(start, name) for start, end, name, plain in spans
                     if start <= lines[depth] <= end and not plain]
            if found:
                start, name = found[0]
                key = (start, lines[:depth])
                break
        if key is None:
            previous_key = None
            continue
        # a loop runs the same lines again: a new execution starts when another line ran between
        if key != previous_key or not executions or executions[-1][0] != key:
            executions.append([key, op, name])
        else:
            executions[-1][1] = op
        previous_key = key
    return {op: name for _, op, name in executions}


def model_output(loss, inputs: list, labels: list, graph: ProgramGraph, names: dict):
    """The tensor through which every input reaches the loss (see the module docstring)."""
    region_all = graph.data_ancestors([loss])
    from_inputs = _descendants({t.op for t in inputs}, region_all, graph)
    from_labels = _descendants({t.op for t in labels}, region_all, graph)
    model_ops = from_inputs - from_labels
    frontier = []
    for op in model_ops:
        for tensor in op.outputs:
            consumers = [c for c in graph.consumers(tensor) if c in region_all]
            if tensor.op is loss.op or any(c not in model_ops for c in consumers):
                frontier.append(tensor)
    if not frontier:
        raise PortError(f"{_where(graph, loss.op)}: the loss does not depend on the fed inputs")
    candidate = _common_dominator(frontier, model_ops, graph)
    # Walk back to a tensor the program named (log(hypothesis) -> hypothesis).
    while candidate is not None and candidate.op not in names:
        data_inputs = [t for t in candidate.op.inputs if t.op in model_ops]
        others = [t for t in candidate.op.inputs if t.op not in model_ops]
        # not past a layer: `tf.matmul(X, W) + b` written inside the loss has no name of its own
        if len(data_inputs) != 1 or any(graph.variable_of(t) is not None for t in others) or \
                data_inputs[0].op in {t.op for t in inputs}:
            break
        candidate = data_inputs[0]
    for call in layer_calls(graph.graph):  # sequence_loss reshapes the logits it is given
        if call.kind == "tf.contrib.seq2seq.sequence_loss" and candidate is not None:
            stop = frozenset(t.op for t in call.inputs)
            if candidate.op in graph.data_ancestors(call.outputs[:1], stop=stop) - stop:
                candidate = call.inputs[0]
    return candidate, model_ops


def _common_dominator(frontier: list, model_ops: set, graph: ProgramGraph):
    """The latest tensor that every path from the inputs to each frontier tensor goes through."""
    if len(frontier) == 1:
        return frontier[0]
    ancestor_sets = [graph.data_ancestors([tensor]) & model_ops for tensor in frontier]
    common = set.intersection(*ancestor_sets)
    for op in sorted(common, key=lambda o: -o._id):
        tensor = op.outputs[0]
        # every frontier tensor must be unreachable from the inputs once `op` is removed
        if all(_through(f, op, model_ops, graph) for f in frontier):
            return tensor
    return None


def _through(tensor, op, model_ops: set, graph: ProgramGraph) -> bool:
    """Whether all model paths into ``tensor`` pass through ``op``."""
    stack, seen = [tensor.op], set()
    while stack:
        current = stack.pop()
        if current is op or current in seen:
            continue
        seen.add(current)
        model_inputs = [t.op for t in current.inputs if t.op in model_ops]
        if not model_inputs and current in model_ops:
            return False  # reached an input without passing through `op`
        stack.extend(model_inputs)
    return True


# -- layers ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Context:
    """What layer builders need besides the match: the graph and the fed values."""

    graph: ProgramGraph
    train_feeds: dict        # placeholder -> value fed at the training steps
    boundary: set            # ops a layer must not swallow (inputs, labels, flags)
    calls: list = dataclasses.field(default_factory=list)  # recorded tf.layers calls

    @property
    def calls_by_output(self) -> dict:
        mapping = {}
        for call in self.calls:
            outputs = rnn_sequence_outputs(call) if call.kind in RNN_FUNCTIONS else \
                call.outputs[:1]
            mapping.update({tensor.ref(): call for tensor in outputs})
        return mapping


def _weights(found: Match, entry, graph: ProgramGraph, shapes=None) -> list:
    weights = []
    for argument, keras_name in entry.weights.items():
        variable = graph.variable_of(found.bindings[argument])
        shape = tuple(int(d) for d in variable.shape)
        if shapes and keras_name in shapes:
            shape = shapes[keras_name]
        weights.append(Weight(keras_name, variable, shape))
    return weights


def _initializers(weights: list, graph: ProgramGraph) -> dict:
    arguments = {}
    for weight in weights:
        arguments[f"{weight.name}_initializer"] = initializer_code(weight.variable, graph,
                                                                   weight.shape)
    return arguments


def _pair(values, name: str) -> tuple:
    values = list(values)
    return (int(values[1]), int(values[2]))


def _padding(op) -> str:
    return op.get_attr("padding").decode().lower()


def build_layer(found: Match, context: Context) -> LayerNode:
    """The :class:`LayerNode` a layer pattern's match becomes."""
    entry = found.pattern.data
    graph = context.graph
    kind = entry.keras
    inputs = [found.bindings[name] for name in entry.inputs]
    ops = found.program_ops
    flags = {role: found.bindings[argument] for argument, role in entry.flags.items()
             if argument in found.bindings}
    arguments: dict = {}
    weights: list = []
    always_on = False
    if kind in ("Dense", "ScalarDense"):
        shapes = {"kernel": (1, 1)} if kind == "ScalarDense" else None
        weights = _weights(found, entry, graph, shapes)
        kernel = weights[0]
        arguments["units"] = int(kernel.shape[1])
        if len(weights) == 1:
            arguments["use_bias"] = False
        arguments.update(_initializers(weights, graph))
        if entry.options.get("bias") == "add":
            arguments["_class"] = "TF1Dense"
    elif kind == "Conv2D":
        weights = _weights(found, entry, graph)
        conv = found.op("Conv2D")
        if conv.get_attr("data_format") != b"NHWC":
            raise PortError(f"{_where(graph, conv)}: only channels-last (NHWC) convolutions port")
        kernel = weights[0]
        arguments["filters"] = int(kernel.shape[3])
        arguments["kernel_size"] = (int(kernel.shape[0]), int(kernel.shape[1]))
        arguments["strides"] = _pair(conv.get_attr("strides"), "strides")
        arguments["padding"] = _padding(conv)
        dilations = _pair(conv.get_attr("dilations"), "dilations")
        if dilations != (1, 1):
            arguments["dilation_rate"] = dilations
        if len(weights) == 1:
            arguments["use_bias"] = False
        arguments.update(_initializers(weights, graph))
        if entry.options.get("bias") == "add":
            arguments["_class"] = "TF1Conv2D"
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        pool = found.op("MaxPool" if kind == "MaxPooling2D" else "AvgPool")
        arguments["pool_size"] = _pair(pool.get_attr("ksize"), "ksize")
        arguments["strides"] = _pair(pool.get_attr("strides"), "strides")
        arguments["padding"] = _padding(pool)
    elif kind == "Reshape":
        shape = [int(d) for d in found.constants["shape"]]
        source_shape = inputs[0].shape
        tail = source_shape[1:]
        if not (shape and shape[0] == -1 and tail.is_fully_defined() and -1 not in shape[1:]
                and int(np.prod(shape[1:])) == int(np.prod(tail.as_list()))):
            return None  # a reshape that mixes examples (batch axis) is no Keras layer
        if len(shape) == 2:
            kind = "Flatten"
        else:
            arguments["target_shape"] = tuple(shape[1:])
    elif kind == "Dropout":
        if "keep_prob" in flags:
            value = context.train_feeds.get(flags["keep_prob"])
            if value is None:
                return None
            arguments["rate"] = float(np.round(1.0 - float(value), 7))
        elif "rate" in flags:
            value = context.train_feeds.get(flags["rate"])
            if value is None:
                return None
            arguments["rate"] = float(value)
        else:
            arguments["rate"] = float(np.round(float(found.constants["rate"]), 7))
            always_on = True
    elif kind == "BatchNormalization":
        weights = _weights(found, entry, graph)
        arguments["momentum"] = _moving_average_decay(weights, graph)
        if arguments["momentum"] is None:
            return None
        arguments["epsilon"] = float(np.round(float(found.constants["epsilon"]), 9))
        for weight, default in (("gamma", "ones"), ("beta", "zeros"), ("moving_mean", "zeros"),
                                ("moving_variance", "ones")):
            variable = next(w.variable for w in weights if w.name == weight)
            code = initializer_code(variable, graph)
            if code.text != f'"{default}"':
                arguments[f"{weight}_initializer"] = code
    elif kind == "Activation":
        arguments["activation"] = entry.options["activation"]
    elif kind == "LeakyReLU":
        arguments["negative_slope"] = float(np.round(found.op("LeakyRelu").get_attr("alpha"), 7))
    elif kind == "Maximum":  # tf.maximum(alpha * x, x)
        alpha = float(found.constants["alpha"])
        if not 0.0 <= alpha < 1.0:
            return None
        kind = "LeakyReLU"
        arguments["negative_slope"] = float(np.round(alpha, 7))
    else:
        raise PortError(f"no layer builder for {kind}")
    node = LayerNode(kind, arguments, inputs, found.output, ops, weights, flags,
                     pattern=found.pattern.name, always_on=always_on)
    if kind == "ScalarDense":
        node.keras = "Dense"
        node.arguments["_scalar"] = True
    return node


def _moving_average_decay(weights: list, graph: ProgramGraph) -> float | None:
    """The ``decay`` of the updates ``tf.assign(pop, pop * decay + batch * (1 - decay))``."""
    decays = set()
    for weight in weights:
        if weight.name not in ("moving_mean", "moving_variance"):
            continue
        handles, updates = [weight.variable.handle], []
        while handles:  # through the Switch ops of a tf.cond
            for op in graph.consumers(handles.pop()):
                if op.type in ("Switch", "Identity", "Enter"):
                    handles.extend(op.outputs)
                elif op.type == "AssignVariableOp" and op is not weight.variable.initializer:
                    updates.append(op)
        if len(updates) != 1:
            return None
        found = first_match("UPDATES", updates[0].inputs[1], graph, scope=set())
        if found is None:
            return None
        decays.add(float(np.round(float(found.constants["decay"]), 7)))
    return decays.pop() if len(decays) == 1 else None


def _layer_match(tensor, context: Context) -> LayerNode | None:
    graph = context.graph
    for traced_pattern in traced("LAYERS"):
        found = match(traced_pattern, tensor, graph, graph.forward)
        if found is None:
            continue
        if found.program_ops & context.boundary:
            continue
        node = build_layer(found, context)
        if node is not None:
            return node
    return None


FUSABLE = {"Dense", "Conv2D"}


def _fuse_activations(nodes: list, graph: ProgramGraph, keep: set) -> list:
    """``Dense`` then ``Activation("relu")`` -> ``Dense(activation="relu")`` where nothing else
    reads the pre-activation (and the program does not fetch it)."""
    by_output = {node.output.ref(): node for node in nodes}
    fused = []
    removed = set()
    for node in nodes:
        if node.keras not in ("Activation",) or id(node) in removed:
            continue
        producer = by_output.get(node.inputs[0].ref())
        if producer is None or producer.keras not in FUSABLE or "activation" in producer.arguments:
            continue
        if producer.output.ref() in keep:
            continue
        if len(graph.consumers(producer.output)) != 1:
            continue
        producer.arguments["activation"] = node.arguments["activation"]
        producer.ops |= node.ops
        producer.output = node.output
        removed.add(id(node))
        fused.append(node)
    return [node for node in nodes if id(node) not in removed]


# -- layers the program made with tf.layers / tf.contrib.layers (recorded calls) -----------------

CALL_LAYERS = {
    "tf.layers.dense": "Dense", "tf.contrib.layers.fully_connected": "Dense",
    "tf.layers.conv2d": "Conv2D", "tf.contrib.layers.conv2d": "Conv2D",
    "tf.layers.max_pooling2d": "MaxPooling2D", "tf.contrib.layers.max_pool2d": "MaxPooling2D",
    "tf.layers.average_pooling2d": "AveragePooling2D",
    "tf.contrib.layers.avg_pool2d": "AveragePooling2D",
    "tf.layers.flatten": "Flatten", "tf.contrib.layers.flatten": "Flatten",
    "tf.layers.dropout": "Dropout", "tf.contrib.layers.dropout": "Dropout",
    "tf.layers.batch_normalization": "BatchNormalization",
    "tf.contrib.layers.batch_norm": "BatchNormalization",
}
"""The TF1 layer functions whose recorded calls (:mod:`tfcourse.compat.layer_calls`) port whole."""


def _static_bool(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None:
        return None
    if hasattr(value, "op"):
        from_value = constant_value(value) if value.op.type == "Const" else None
        return None if from_value is None else bool(from_value)
    return bool(value)


def _control_ancestors(op, graph: ProgramGraph) -> set:
    seen, stack = set(), [op]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(t.op for t in current.inputs)
        stack.extend(current.control_inputs)
    return seen


class Intermediate:
    """A value between two Keras layers that one TF1 call becomes (a stack of LSTMs)."""

    def __init__(self, op, index: int):
        self.op = op
        self.index = index
        self.name = f"{op.name}/keras_{index}"

    def ref(self):
        return ("intermediate", self.op.name, self.index)


RNN_FUNCTIONS = ("tf.nn.dynamic_rnn", "tf.nn.static_rnn", "tf.nn.bidirectional_dynamic_rnn")


def rnn_sequence_outputs(call) -> list:
    """The outputs of a recorded RNN call that carry the sequence (not the final states)."""
    if call.kind == "tf.nn.static_rnn":
        return list(call.outputs[:call.config["num_steps"]])
    if call.kind == "tf.nn.bidirectional_dynamic_rnn":
        return list(call.outputs[:2])
    return list(call.outputs[:1])


def _uniform_limits(variable, graph: ProgramGraph):
    """``(minval, maxval)`` of a variable drawn uniformly (TF1's glorot default), else None."""
    initial = variable.initializer.inputs[1] if variable.initializer.inputs else None
    found = first_match("INITIALIZERS", initial, graph) if initial is not None else None
    if found is None or found.pattern.data["keras"] != "RandomUniform":
        return None
    return float(found.constants["minval"]), float(found.constants["maxval"])


def _check_rnn_calls(graph) -> None:
    """The RNN calls' own "does not port" errors, where a later step would fail less clearly."""
    for call in layer_calls(graph):
        if call.kind in RNN_FUNCTIONS and call.config.get("sequence_length"):
            raise PortError(f"{call.location}: {call.kind}(sequence_length=...) does not port "
                            "yet: the Keras version would need the lengths as a mask input and "
                            "the loss weights as sample weights (sequences of one length port)")


def _keeps_all(keep_prob) -> bool:
    """A DropoutWrapper keep probability of 1 (a fed placeholder may drop: False)."""
    return not hasattr(keep_prob, "op") and float(keep_prob) == 1.0


def rnn_nodes(call, context: Context) -> list[LayerNode]:
    """An RNN call as Keras recurrent layers, one per cell of the stack.

    Each cell becomes ``keras.layers.LSTM`` / ``GRU(reset_after=False)`` /
    ``SimpleRNN``, its weights mapped by :func:`tfcourse.compat.rnn.keras_weights`
    (TF1's kernel is [input + units, gates]: the input rows become ``kernel``,
    the others ``recurrent_kernel``; LSTM gates i, j, f, o become Keras' i, f,
    c, o with ``forget_bias`` folded into f's bias). A ``DropoutWrapper``'s
    output (input) keep probability becomes a ``Dropout`` after (before) it.

    - ``tf.nn.dynamic_rnn(cell, X)``: every step's output, ``return_sequences=True``.
    - ``tf.nn.static_rnn(cell, tf.unstack(X, T, 1))`` whose last output alone is read
      (``outputs[-1]``): the same layers on ``X``, the last one
      ``return_sequences=False``.
    - ``tf.nn.bidirectional_dynamic_rnn(fw, bw, X)``: the forward stack, and the
      backward stack on the reversed sequence (its first layer
      ``go_backwards=True``) whose outputs are flipped back in time, as TF1's
      ``tf.reverse`` did, to ``output_bw`` (Keras' ``Bidirectional`` does the same).
    """
    graph = context.graph
    config = call.config
    where = call.location
    if config.get("time_major"):
        raise PortError(f"{where}: {call.kind}(time_major=True) does not port (Keras layers "
                        "take batch-major sequences: transpose the input)")
    _check_rnn_calls(graph.graph)
    sequences = rnn_sequence_outputs(call)
    sequence_refs = {t.ref() for t in sequences}
    # an LSTM's final h is its last output, the same tensor
    states = [s for s in call.outputs[len(sequences):] if s.ref() not in sequence_refs]
    inside = graph.data_ancestors(sequences, stop=frozenset(t.op for t in call.inputs))
    if any(c in graph.forward and c not in inside for s in states for c in graph.consumers(s)):
        raise PortError(f"{where}: the program reads the final state of {call.kind}; tfcourse "
                        "port maps the outputs onto Keras layers")
    if call.kind == "tf.nn.static_rnn":
        steps = call.inputs[:len(sequences)]
        unstack = steps[0].op
        if unstack.type != "Unpack" or list(unstack.outputs) != list(steps) or \
                unstack.get_attr("axis") != 1:
            raise PortError(f"{where}: static_rnn ports when its inputs are "
                            "tf.unstack(X, steps, 1) of one batch-major tensor X")
        data_input = unstack.inputs[0]
        read = [i for i, step in enumerate(sequences)
                if any(c in graph.forward and c not in inside for c in graph.consumers(step))]
        if read != [len(sequences) - 1]:
            raise PortError(f"{where}: the program reads static_rnn outputs {read}; tfcourse "
                            "port maps a static_rnn whose last output alone is read (outputs[-1])")
        initial_states = call.inputs[len(sequences):]
    else:
        data_input = call.inputs[0]
        initial_states = call.inputs[1:]
    for initial in initial_states:
        ancestors = graph.data_ancestors([initial])
        if not all(op.type in ("Const", "Fill", "Pack", "ZerosLike", "Identity", "Shape",
                               "StridedSlice") for op in ancestors):
            raise PortError(f"{where}: {call.kind} with an initial state that is not zeros does "
                            "not port")
    nodes: list[LayerNode] = []

    def stack(cell_config, prefix, output, path, go_backwards=False, last_sequences=True):
        if cell_config.get("wrappers"):
            raise PortError(f"{where}: a wrapper around the whole cell stack does not port")
        ops = graph.data_ancestors([output], stop=frozenset({data_input.op})) - {data_input.op}
        branch: list[LayerNode] = []
        current = data_input
        cells = cell_config["cells"]

        def intermediate():
            return Intermediate(output.op, len(nodes) + len(branch))

        def dropout(keep_prob):
            nonlocal current
            rate = keep_prob
            if hasattr(keep_prob, "op"):
                value = context.train_feeds.get(keep_prob)
                if value is None:
                    raise PortError(f"{where}: a DropoutWrapper keep probability that is not fed")
                rate = float(value)
            rate = float(np.round(1.0 - float(rate), 7))
            if rate == 0.0:
                return
            flags = {"keep_prob": keep_prob} if hasattr(keep_prob, "op") else {}
            node = LayerNode("Dropout", {"rate": rate}, [current], intermediate(), set(), [],
                             flags, pattern=f"{call.kind} DropoutWrapper")
            branch.append(node)
            current = node.output

        for index, cell in enumerate(cells):
            kind = cell.get("type")
            if not _keeps_all(cell.get("state_keep_prob", 1.0)):
                raise PortError(f"{where}: DropoutWrapper(state_keep_prob=...) does not port")
            if any(w.get("type") not in ("DropoutWrapper",) for w in cell.get("wrappers", [])):
                raise PortError(f"{where}: a cell wrapper other than DropoutWrapper does not port")
            try:
                keras_class, arguments = rnn.keras_equivalent(cell)
            except ValueError as error:
                raise PortError(f"{where}: {error}") from None
            dropout(cell.get("input_keep_prob", 1.0))
            cell_prefix = f"{prefix}cell_{index}/"
            sources = {name[len(cell_prefix):]: variable
                       for name, variable in call.variables.items()
                       if name.startswith(cell_prefix)}
            forget_bias = float(cell.get("forget_bias", 1.0))
            units = int(cell["num_units"])

            def piece(position, kind=kind, forget_bias=forget_bias):
                return lambda values: rnn.keras_weights(kind, values, forget_bias)[position]

            first = next(iter(sources.values()))
            kernel_source = sources.get("kernel", sources.get("gates/kernel"))
            depth = int(kernel_source.shape[0]) - units
            gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[keras_class]
            shapes = [(depth, gates * units), (units, gates * units), (gates * units,)]
            weights = [Weight(name, first, shape, sources, piece(position))
                       for position, (name, shape) in enumerate(
                           zip(("kernel", "recurrent_kernel", "bias"), shapes))]
            arguments = {"units": units, **{k: v for k, v in arguments.items() if k != "units"}}
            last_cell = index == len(cells) - 1
            arguments["return_sequences"] = last_sequences or not last_cell
            if go_backwards and index == 0:
                arguments["go_backwards"] = True
            limits = _uniform_limits(kernel_source, graph)
            if limits is not None:  # TF1's glorot over [input + units, gates]: the same draw
                low, high = (_short(v) for v in limits)
                code = Code(f"keras.initializers.RandomUniform(minval={low}, maxval={high})")
                arguments["kernel_initializer"] = code
                arguments["recurrent_initializer"] = code
            if keras_class == "LSTM" and forget_bias != 1.0:
                arguments["unit_forget_bias"] = False
            node = LayerNode(keras_class, arguments, [current], intermediate(), set(), weights,
                             pattern=call.kind)
            branch.append(node)
            current = node.output
            if not _keeps_all(cell.get("output_keep_prob", 1.0)):
                dropout(cell["output_keep_prob"])
        if go_backwards:  # TF1 reversed the outputs back to the input's time order
            flip = LayerNode("keras.ops", {"_code": "keras.ops.flip({0}, axis=1)"}, [current],
                             intermediate(), set(), pattern=f"{call.kind} (backward outputs "
                             "reversed in time)")
            branch.append(flip)
        branch[-1].output = output
        branch[-1].ops = ops
        branch[-1].target_path = path
        nodes.extend(branch)

    from tfcourse.compat import rnn  # noqa: PLC0415

    if call.kind == "tf.nn.bidirectional_dynamic_rnn":
        # (output_fw, output_bw), states = tf.nn.bidirectional_dynamic_rnn(...)
        stack(config["fw"], "fw/", sequences[0], (0, 0))
        stack(config["bw"], "bw/", sequences[1], (0, 1), go_backwards=True)
    elif call.kind == "tf.nn.static_rnn":  # outputs is a list there; the layer gives its last
        stack(config, "", sequences[-1], (), last_sequences=False)
    else:  # outputs, state = tf.nn.dynamic_rnn(...)
        stack(config, "", sequences[-1], (0,))
    return nodes


def call_node(call, context: Context) -> LayerNode | None:
    """The Keras layer of one recorded ``tf.layers.*`` / ``tf.contrib.layers.*`` call."""
    graph = context.graph
    if call.kind in RNN_FUNCTIONS:
        return rnn_nodes(call, context)
    kind = CALL_LAYERS.get(call.kind)
    if kind is None:
        return None
    where = call.location
    config = call.config
    output = call.outputs[0]
    data_input = call.inputs[0]
    stop = {data_input.op}
    inside = graph.data_ancestors([output], stop=frozenset(stop)) - stop
    nested = [other for other in context.calls if other is not call and
              other.outputs[0].op in inside and other.outputs[0] is not output]
    if nested:  # fully_connected(..., normalizer_fn=batch_norm): the activation after it
        inner = max(nested, key=lambda c: c.outputs[0].op._id)
        ops = graph.data_ancestors([output], stop=frozenset({inner.outputs[0].op})) - {
            inner.outputs[0].op}
        activation = config.get("activation")
        if not ops:
            return None
        if activation in (None, "linear", "custom"):
            raise PortError(f"{where}: {call.kind} with a normalizer and activation "
                            f"{activation!r} does not port")
        return LayerNode("Activation", {"activation": activation}, [inner.outputs[0]], output,
                         ops, pattern=call.kind)
    handles = {getattr(v, "handle", v).op for v in call.variables.values()}
    training = call.training
    flags = {}
    if training is not None and hasattr(training, "op"):
        stop.add(training.op)
        flags["training"] = training
    ops = graph.data_ancestors([output], stop=frozenset(stop | handles)) - stop - handles
    arguments: dict = {}
    weights: list = []
    always_on = False
    activation = config.get("activation")
    if activation == "custom":
        raise PortError(f"{where}: {call.kind} with an activation function that is not one of "
                        "tf.nn's does not port")
    if activation not in (None, "linear"):
        arguments["activation"] = activation
    if kind in ("Dense", "Conv2D"):
        roles = [("kernel", "kernel"), ("bias", "bias")]
        for role, keras_name in roles:
            variable = call.variables.get(role)
            if variable is not None:
                weights.append(Weight(keras_name, variable, tuple(int(d) for d in variable.shape)))
        kernel = weights[0]
        if kind == "Dense":
            arguments["units"] = int(config["units"])
        else:
            if config.get("data_format", "channels_last") not in ("channels_last", "NHWC"):
                raise PortError(f"{where}: only channels-last convolutions port")
            arguments["filters"] = int(config["filters"])
            arguments["kernel_size"] = tuple(int(d) for d in kernel.shape[:2])
            strides = config.get("strides", (1, 1))
            strides = tuple(strides) if isinstance(strides, (list, tuple)) else (strides, strides)
            arguments["strides"] = tuple(int(s) for s in strides)
            arguments["padding"] = str(config.get("padding", "valid")).lower()
            dilation = config.get("dilation_rate", (1, 1))
            dilation = tuple(dilation) if isinstance(dilation, (list, tuple)) else (dilation,) * 2
            if tuple(dilation) != (1, 1):
                arguments["dilation_rate"] = tuple(int(d) for d in dilation)
        if "bias" not in call.variables:
            arguments["use_bias"] = False
        arguments.update(_initializers(weights, graph))
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        pool = next(op for op in ops if op.type in ("MaxPool", "AvgPool"))
        arguments["pool_size"] = _pair(pool.get_attr("ksize"), "ksize")
        arguments["strides"] = _pair(pool.get_attr("strides"), "strides")
        arguments["padding"] = _padding(pool)
    elif kind == "Flatten":
        pass
    elif kind == "Dropout":
        rate = config.get("rate")
        if rate is None:
            keep_prob = config.get("keep_prob")
            if hasattr(keep_prob, "op"):
                value = context.train_feeds.get(keep_prob)
                if value is None:
                    return None
                keep_prob = float(value)
                stop.add(call.config["keep_prob"].op)
            rate = 1.0 - float(keep_prob)
        elif hasattr(rate, "op"):
            value = context.train_feeds.get(rate)
            if value is None:
                return None
            rate = float(value)
        arguments["rate"] = float(np.round(rate, 7))
        static = _static_bool(training)
        if static is False or arguments["rate"] == 0.0:
            return LayerNode("Identity", {}, [data_input], output, ops, pattern=call.kind)
        always_on = static is True
    elif kind == "BatchNormalization":
        for role in ("gamma", "beta", "moving_mean", "moving_variance"):
            variable = call.variables.get(role)
            if variable is not None:
                weights.append(Weight(role, variable, tuple(int(d) for d in variable.shape)))
        momentum = config.get("momentum", config.get("decay"))
        arguments["momentum"] = float(np.round(float(momentum), 7))
        arguments["epsilon"] = float(config["epsilon"])
        if not config.get("center", True):
            arguments["center"] = False
        if not config.get("scale", True):
            arguments["scale"] = False
        axis = config.get("axis", -1)
        if axis not in (-1, len(data_input.shape) - 1 if data_input.shape.rank else -1):
            arguments["axis"] = int(axis)
        if _static_bool(training) is False:
            arguments["_frozen"] = True
    node = LayerNode(kind, arguments, [data_input], output, ops, weights, flags,
                     pattern=call.kind, always_on=always_on)
    return node


def cover(outputs: list, context: Context, keep: set = frozenset()) -> list:
    """The layers computing ``outputs`` from the boundary (inputs and flags), in order.

    ``keep``: refs of tensors the program uses elsewhere (fetches), which must
    stay layer outputs.
    """
    graph = context.graph
    nodes: dict = {}
    leftover: set = set()
    stack = list(outputs)
    visited = set()
    while stack:
        tensor = stack.pop()
        op = tensor.op
        if op in context.boundary or op in visited or op.type == "Const":
            continue
        if graph.variable_of(tensor) is not None:
            continue
        visited.add(op)
        call = context.calls_by_output.get(tensor.ref())
        node = call_node(call, context) if call is not None else None
        if node is None:
            node = _layer_match(tensor, context)
        if node is None:
            leftover.add(op)
            stack.extend(t for t in op.inputs)
            continue
        for member in (node if isinstance(node, list) else [node]):
            nodes[member.output.ref()] = member
            visited |= member.ops
            stack.extend(t for t in member.inputs if not isinstance(t, Intermediate))
    _time_distributed(nodes, leftover, graph)
    ordered = sorted(nodes.values(), key=lambda node: node.output.op._id)
    if leftover:
        ordered = _with_custom_layers(ordered, leftover, context,
                                      {t.ref() for t in outputs} | set(keep))
    return _fuse_activations(ordered, graph, keep)


def _time_distributed(nodes: dict, leftover: set, graph: ProgramGraph) -> None:
    """``tf.reshape(h, [-1, d])``, a dense layer, ``tf.reshape(y, [batch, steps, c])``: the same
    dense layer on every step (the course's RNN labs). A Keras ``Dense`` on the
    (batch, steps, d) sequence computes exactly that, so the two reshapes go."""
    for op in [op for op in leftover if op.type == "Reshape"]:
        target = constant_value(op.inputs[1])
        producer = nodes.get(op.inputs[0].ref())
        if target is None or len(target) != 3 or producer is None or producer.keras != "Dense":
            continue
        source = producer.inputs[0]
        if isinstance(source, Intermediate) or source.op not in leftover or \
                source.op.type != "Reshape":
            continue
        flat = constant_value(source.op.inputs[1])
        sequence = source.op.inputs[0]
        if flat is None or list(flat)[0] != -1 or len(flat) != 2 or sequence.shape.rank != 3:
            continue
        if sequence.shape[2] != flat[1] or list(target[1:]) != [sequence.shape[1],
                                                                 producer.arguments["units"]]:
            continue
        if any(c is not producer_op for c in graph.consumers(source.op.outputs[0])
               for producer_op in [next(iter(o for o in producer.ops if source.op.outputs[0]
                                             in o.inputs), None)] if c in graph.forward):
            continue
        del nodes[producer.output.ref()]
        producer.inputs = [sequence]
        producer.output = op.outputs[0]
        producer.ops |= {op, source.op}
        producer.pattern += " (on every step)"
        nodes[producer.output.ref()] = producer
        leftover -= {op, source.op}


def _with_custom_layers(nodes: list, leftover: set, context: Context, wanted: set) -> list:
    """Group the ops no pattern covered into custom layers holding the exact ops."""
    graph = context.graph
    components = []
    remaining = set(leftover)
    while remaining:
        seed = remaining.pop()
        component, stack = {seed}, [seed]
        while stack:
            op = stack.pop()
            neighbours = [t.op for t in op.inputs] + [c for t in op.outputs
                                                      for c in graph.consumers(t)]
            for other in neighbours:
                if other in remaining:
                    remaining.discard(other)
                    component.add(other)
                    stack.append(other)
        components.append(component)
    for component in components:
        node = custom_node(component, context, wanted)
        nodes.append(node)
    return sorted(nodes, key=lambda node: node.output.op._id)


def custom_node(ops: set, context: Context, wanted: set = frozenset()) -> LayerNode:
    """A generated layer that runs ``ops`` as the program did (reads of variables become weights)."""
    graph = context.graph
    inputs, weights, seen_inputs = [], [], set()
    for op in sorted(ops, key=lambda o: o._id):
        for tensor in op.inputs:
            if tensor.op in ops or tensor.op.type == "Const":
                continue
            variable = graph.variable_of(tensor)
            if variable is not None:
                if all(w.variable is not variable for w in weights):
                    name = variable.op.name.split("/")[-1]
                    weights.append(Weight(name, variable, tuple(int(d) for d in variable.shape)))
                continue
            if tensor.ref() not in seen_inputs:
                seen_inputs.add(tensor.ref())
                inputs.append(tensor)
    outputs = [t for op in ops for t in op.outputs
               if any(c not in ops and c in graph.forward for c in graph.consumers(t))
               or t.ref() in wanted]
    outputs = sorted({t.ref(): t for t in outputs}.values(), key=lambda t: t.op._id)
    output = outputs[-1]
    if len(outputs) > 1:
        lines = sorted({graph.line(t.op) for t in outputs if graph.line(t.op)})
        raise PortError(
            f"{graph.program}:{lines[0] if lines else '?'}: ops no pattern covers produce "
            f"{len(outputs)} results used elsewhere ({', '.join(t.name for t in outputs)}); "
            "tfcourse port makes a custom layer only for a computation with one result"
        )
    flags = {}
    for tensor in list(inputs):
        if tensor.op in context.boundary and tensor.shape.rank == 0:
            flags[f"setting_{tensor.op.name}"] = tensor
    return LayerNode("Custom", {}, inputs, output, set(ops),
                     [Weight(w.name, w.variable, w.shape) for w in weights], flags,
                     pattern="custom")


# -- loss and regularizers -----------------------------------------------------------------------

def _sum_terms(tensor) -> list:
    op = tensor.op
    if op.type in ("AddV2", "Add", "AddN"):
        return [term for t in op.inputs for term in _sum_terms(t)]
    return [tensor]


def plan_loss(loss, output, labels: list, graph: ProgramGraph, model_ops: set, layers: list):
    """``(LossPlan, regularizers)``: the Keras loss and the weight penalties added to it."""
    model_refs = {op for op in model_ops}
    terms = _sum_terms(loss)
    core, penalties = [], []
    for term in terms:
        ancestors = graph.data_ancestors([term])
        if ancestors & model_refs or any(label.op in ancestors for label in labels):
            core.append(term)
        else:
            penalties.append(term)
    if len(core) != 1 or (len(terms) > 1 and loss.op.type not in ("AddV2", "Add", "AddN")):
        core, penalties = [loss], []
    regularizers = []
    for term in penalties:
        found = first_match("REGULARIZERS", term, graph)
        layer = weight = None
        if found is not None:
            variable = graph.variable_of(found.bindings["W"])
            for node in layers:
                for candidate in node.weights:
                    if candidate.variable is variable:
                        layer, weight = node, candidate
        if found is None or layer is None:
            return _custom_loss(loss, output, labels, graph), []
        factor = found.pattern.data["factor"] * float(found.constants["scale"])
        regularizers.append((layer, weight.name, Code(f"keras.regularizers.L2({factor!r})")))
    term = core[0]
    sequence = _sequence_loss(term, output, labels, graph)
    if sequence is not None:
        return sequence, regularizers
    found = first_match("LOSSES", term, graph, accept=lambda m: (
        m.bindings[m.pattern.data["y_pred"]] is output
        and any(m.bindings[m.pattern.data["y_true"]] is label for label in labels)))
    if found is not None:
        y_true = found.bindings[found.pattern.data["y_true"]]
        return LossPlan(Code(f"keras.losses.{found.pattern.data['keras']}"), y_true, output,
                        found.program_ops, found.pattern.name), regularizers
    return _custom_loss(term, output, labels, graph), regularizers


def _sequence_loss(term, output, labels, graph: ProgramGraph) -> LossPlan | None:
    """``tf.contrib.seq2seq.sequence_loss(logits, targets, tf.ones(...))`` (maybe in a
    ``tf.reduce_mean``): with unit weights and TF1's default averaging over steps and batch, the
    mean cross-entropy of every step, which is ``SparseCategoricalCrossentropy`` on the
    (batch, steps, classes) logits."""
    value = term
    if value.op.type == "Mean" and value.op.inputs[0].shape.rank == 0:
        value = value.op.inputs[0]
    call = next((c for c in layer_calls(graph.graph) if c.kind ==
                 "tf.contrib.seq2seq.sequence_loss" and c.outputs[0] is value), None)
    if call is None:
        return None
    logits, targets, weights = call.inputs
    config = call.config
    default = (config.get("average_across_timesteps", True) and
               config.get("average_across_batch", True) and
               not config.get("sum_over_timesteps") and not config.get("sum_over_batch") and
               not config.get("softmax_loss_function"))
    ones = constant_value(weights) if weights.op.type == "Const" else (
        constant_value(weights.op.inputs[1]) if weights.op.type == "Fill" else None)
    if not default or ones is None or not np.all(ones == 1.0) or logits is not output or \
            all(targets is not label for label in labels):
        return None
    ops = graph.data_ancestors([term], stop=frozenset({output.op, targets.op}))
    return LossPlan(Code("keras.losses.SparseCategoricalCrossentropy(from_logits=True)"), targets,
                    output, ops, call.kind)


def _custom_loss(term, output, labels, graph: ProgramGraph) -> LossPlan:
    """The program's own loss formula, kept op for op (a hand-written ``tf.log`` loss)."""
    stop = {output.op, *(label.op for label in labels)}
    ops = graph.data_ancestors([term], stop=frozenset(stop)) - stop
    y_true = labels[0] if labels else None
    return LossPlan(None, y_true, output, ops, "custom")


# -- the models of a program ------------------------------------------------------------------

def _fetched_tensors(capture, graph: ProgramGraph | None = None) -> list:
    """Tensors the program's runs fetch, without those built inside the ``sess.run(...)`` itself
    (``sess.run(tf.argmax(hypothesis, 1), ...)``: the port writes those on the spot)."""
    tensors = []
    for record in capture.runs:
        for leaf in record.leaves:
            if not is_tensor(leaf):
                continue
            if graph is not None and record.stack:
                first, last = capture.statement_span(record.stack[-1][1])
                if first <= (graph.line(leaf.op) or 0) <= last:
                    continue
            if all(leaf is not t for t in tensors):
                tensors.append(leaf)
    return tensors


def plan_models(capture) -> tuple[list, ProgramGraph]:
    """The :class:`ModelPlan` of each thing the program trains (see the module docstring)."""
    from tfcourse.compat.optimizers import minimize_calls  # noqa: PLC0415

    graph = ProgramGraph(capture.graph, str(capture.path))
    names = assignment_names(capture, graph)
    fetched = _fetched_tensors(capture, graph)
    losses = [call.loss for call in minimize_calls(capture.graph) if call.loss is not None]
    graph.forward = graph.data_ancestors([*fetched, *losses])
    plans = []
    for call in minimize_calls(capture.graph):
        runs = [record for record in capture.runs if call.train_op in record.train_ops]
        if not runs:
            continue
        if call.loss is None:
            raise PortError(f"{call.location}: apply_gradients on gradients computed by the "
                            "program itself does not port; use optimizer.minimize(loss)")
        first = runs[0]
        fed = list(first.feeds) + data_constants(call.loss, graph, capture.namespace)
        inputs, labels, flags = classify_feeds(call.loss, fed, graph, first.feeds)
        if not inputs:
            raise PortError(f"{call.location}: no fed input reaches the loss through a trainable "
                            "variable, so there is no model to port")
        output, model_ops = model_output(call.loss, inputs, labels, graph, names)
        if output is None:
            _check_rnn_calls(capture.graph)  # a sequence_length input reads as a second output
            raise PortError(f"{call.location}: the loss reads the model through more than one "
                            "tensor; tfcourse port needs one model output")
        boundary = {t.op for t in inputs} | {t.op for t in labels} | {t.op for t in flags}
        feeds = {key: value for key, value in first.feeds.items()}
        context = Context(graph, feeds, boundary, layer_calls(capture.graph))
        extra = _extra_outputs(fetched, output, inputs, labels, flags, graph)
        keep = {t.ref() for t in extra} | {output.ref()}
        layers = cover([output, *extra], context, keep)
        loss, regularizers = plan_loss(call.loss, output, labels, graph, model_ops, layers)
        plan = ModelPlan(inputs, labels, flags, output, layers, loss, regularizers, call, extra)
        plan.schedule = plan_schedule(call, graph)
        plans.append(plan)
    if not plans:
        plans = plan_inference(capture, graph, names)
    return plans, graph


def _extra_outputs(fetched: list, output, inputs: list, labels: list, flags: list,
                   graph: ProgramGraph) -> list:
    """Fetched tensors computed from the model's inputs alone (``predicted``, a hidden layer)."""
    input_ops = {t.op for t in inputs}
    label_ops = {t.op for t in labels}
    extra = []
    for tensor in fetched:
        if tensor is output or any(tensor is t for t in extra) or tensor.op in input_ops:
            continue
        if graph.variable_of(tensor) is not None:
            continue
        ancestors = graph.data_ancestors([tensor])
        if ancestors & input_ops and not ancestors & label_ops:
            extra.append(tensor)
    return extra


def plan_inference(capture, graph: ProgramGraph, names: dict) -> list:
    """The model of a program that trains nothing: what its runs compute from what they feed."""
    from tfcourse.compat.session import INIT_OPS  # noqa: PLC0415

    init_ops = set(graph.graph.get_collection(INIT_OPS))
    fetched, fed, values = [], [], {}
    for record in capture.runs:
        if record.is_training_step or not record.kept:
            continue
        leaves = [leaf for leaf in record.leaves if is_tensor(leaf)]
        if not leaves or any(leaf is op for leaf in record.leaves for op in init_ops):
            continue
        for leaf in leaves:
            if all(leaf is not t for t in fetched):
                fetched.append(leaf)
        for tensor, value in record.feeds.items():
            if all(tensor is not t for t in fed):
                fed.append(tensor)
                values[tensor] = value
    fetched = [t for t in fetched if graph.data_ancestors([t]) & {f.op for f in fed}]
    if not fetched:
        return []
    trainable_ops = {(v.handle.op if hasattr(v, "handle") else v.op) for v in graph.trainable}
    region = graph.data_ancestors(fetched)
    inputs, labels, flags = [], [], []
    for tensor in fed:
        if tensor.op not in region:
            continue
        if tensor.shape.rank == 0 or (tensor.shape.rank is None and np.ndim(values[tensor]) == 0):
            flags.append(tensor)
            continue
        dependent = _descendants({tensor.op}, region, graph)
        if any(_reads_variable(op, graph, trainable_ops) for op in dependent):
            inputs.append(tensor)
        else:
            labels.append(tensor)
    if not inputs:  # no weights at all (tf.reduce_mean of a placeholder): every feed is an input
        inputs, labels = inputs + labels, []
    label_ops = {t.op for t in labels}
    outputs = [t for t in fetched if not graph.data_ancestors([t]) & label_ops]
    heads = [t for t in fetched if graph.data_ancestors([t]) & label_ops]
    for head in heads:  # what a loss or metric head reads of the model is a model output too
        for op in graph.data_ancestors([head], stop=frozenset(label_ops)):
            for tensor in op.inputs:
                ancestors = graph.data_ancestors([tensor])
                if ancestors & {t.op for t in inputs} and not ancestors & label_ops and \
                        tensor.op.type not in ("Const",) and graph.variable_of(tensor) is None \
                        and tensor.op in names and all(tensor is not t for t in outputs):
                    outputs.append(tensor)
    if not outputs:
        return []
    outputs.sort(key=lambda t: t.op._id)
    boundary = {t.op for t in inputs} | label_ops | {t.op for t in flags}
    context = Context(graph, {}, boundary, layer_calls(capture.graph))
    keep = {t.ref() for t in outputs}
    layers = cover(outputs, context, keep)
    plan = ModelPlan(inputs, labels, flags, outputs[-1], layers, extra_outputs=outputs[:-1])
    plan.heads = heads
    return [plan]


@dataclasses.dataclass
class SchedulePlan:
    """A learning rate computed from the global step (``tf.train.exponential_decay``...).

    Attributes:
        keras: the ``keras.optimizers.schedules`` class (``ExponentialDecay``...).
        tensor: the program's learning-rate tensor.
        global_step: the step variable it reads.
        values: ``learning_rate``, ``decay_steps``, ``decay_rate`` as the program set them.
        staircase: TF1's ``staircase``.
        advances: whether ``minimize(global_step=...)`` increments that variable (if not, the
            TF1 rate never changes, and the port keeps it constant).
    """

    keras: str
    tensor: Any
    global_step: Any
    values: dict
    staircase: bool
    advances: bool


def plan_schedule(call, graph: ProgramGraph) -> SchedulePlan | None:
    """The schedule behind a minimize call's ``learning_rate``, when it is a tensor."""
    rate = call.arguments.get("learning_rate")
    if rate is None or not hasattr(rate, "op"):
        return None
    found = first_match("SCHEDULES", rate, graph, scope=set())
    if found is None:
        raise PortError(f"{call.location}: the learning rate is a tensor that is not one of "
                        "tf.train.exponential_decay / inverse_time_decay, which tfcourse port "
                        "writes as Keras schedules")
    step = graph.variable_of(found.bindings["global_step"])
    advances = call.global_step is not None and (
        getattr(call.global_step, "handle", call.global_step) is getattr(step, "handle", step)
        or call.global_step is step)
    values = {name: value.item() for name, value in found.constants.items()}
    return SchedulePlan(found.pattern.data["keras"], rate, step, values,
                        bool(found.pattern.data["staircase"]), advances)
