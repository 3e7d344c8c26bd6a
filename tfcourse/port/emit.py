"""Python source for the pieces of a ported program: layers, exact-op code, the optimizer.

:mod:`tfcourse.port.source` decides *where* each piece goes in the program;
this module writes each piece:

* :func:`layer_call`: one Keras layer applied to its inputs, with the
  arguments a student reads next to the TF1 line
  (``keras.layers.Dense(256, activation="relu", kernel_initializer=..., name="L1")(X)``);
* :func:`exact_ops`: TensorFlow ops written back as TensorFlow 2 code, op for
  op (``tf.math.log(h)``, ``tf.reduce_mean(x, axis=[0])``), for what no
  pattern maps onto a standard layer: a generated custom layer
  (:func:`custom_layer_class`) or the program's own loss formula;
* :func:`optimizer_call`: the tfcourse optimizer with TF1's rule
  (``convention="tf1"``) and the program's own hyperparameter expressions.
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Callable

import numpy as np

from tfcourse.port.graph import ProgramGraph, constant_value
from tfcourse.port.lowering import Code, LayerNode, PortError, initializer_code

__all__ = ["custom_layer_class", "exact_ops", "format_arguments", "layer_call", "optimizer_call",
           "python_name"]


def python_name(text: str, taken: set | None = None) -> str:
    """A valid, unused Python identifier made from ``text``."""
    name = re.sub(r"\W+", "_", text).strip("_") or "value"
    if name[0].isdigit():
        name = f"v_{name}"
    if keyword.iskeyword(name):
        name += "_"
    if taken is not None:
        base, index = name, 1
        while name in taken:
            index += 1
            name = f"{base}_{index}"
        taken.add(name)
    return name


def literal(value: Any) -> str:
    """Python source for a plain value (Code objects as written)."""
    if isinstance(value, Code):
        return value.text
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        # the shortest text of the float32 the program used: 0.99, not 0.9900000095367432
        return repr(float(str(np.float32(value)))) if value else "0.0"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def format_arguments(positional: list, keywords: dict) -> str:
    parts = [literal(value) for value in positional]
    parts += [f"{key}={literal(value)}" for key, value in keywords.items() if value is not None]
    return ", ".join(parts)


# -- layers --------------------------------------------------------------------------------------

_LAYER_DEFAULTS = {"use_bias": True, "padding": "valid", "strides": None}


def layer_constructor(node: LayerNode) -> str:
    """``keras.layers.Dense(256, activation="relu", ..., name="L1")`` for ``node``."""
    arguments = dict(node.arguments)
    class_path = _class_path(node, arguments)
    positional = []
    keywords: dict = {}
    if node.keras == "Dense":
        positional = [arguments.pop("units")]
        order = ("activation", "use_bias", "kernel_initializer", "bias_initializer",
                 "kernel_regularizer", "bias_regularizer")
    elif node.keras == "Conv2D":
        positional = [arguments.pop("filters"), arguments.pop("kernel_size")]
        order = ("strides", "padding", "dilation_rate", "activation", "use_bias",
                 "kernel_initializer", "bias_initializer", "kernel_regularizer",
                 "bias_regularizer")
    elif node.keras in ("MaxPooling2D", "AveragePooling2D"):
        positional = [arguments.pop("pool_size")]
        order = ("strides", "padding")
    elif node.keras == "Reshape":
        positional = [arguments.pop("target_shape")]
        order = ()
    elif node.keras in ("Dropout",):
        positional = [arguments.pop("rate")]
        order = ()
    elif node.keras == "Activation":
        positional = [arguments.pop("activation")]
        order = ()
    else:
        order = tuple(key for key in arguments if not key.startswith("_"))
    for key in order:
        if key in arguments:
            value = arguments.pop(key)
            if key == "strides" and isinstance(value, tuple) and len(set(value)) == 1:
                value = value[0]
            if key in ("strides",) and value == 1 and node.keras == "Conv2D":
                continue
            if key == "padding" and value == "valid":
                continue
            if key == "use_bias" and value is True:
                continue
            if key == "bias_initializer" and isinstance(value, Code) and value.text == '"zeros"':
                continue
            keywords[key] = value
    keywords.update({k: v for k, v in arguments.items() if not k.startswith("_")})
    if node.name:
        keywords["name"] = node.name
    return f"{class_path}({format_arguments(positional, keywords)})"


def _class_path(node: LayerNode, arguments: dict) -> str:
    special = arguments.pop("_class", None)
    arguments.pop("_scalar", None)
    if special:
        return f"tfcourse.layers.{special}"
    return f"keras.layers.{node.keras}"


def layer_call(node: LayerNode, inputs: list[str], training: str | None = None) -> str:
    """The layer applied to its inputs: ``keras.layers.Dense(...)(X)``."""
    argument = inputs[0] if len(inputs) == 1 else "[" + ", ".join(inputs) + "]"
    if node.keras == "Identity":
        return argument
    if node.arguments.get("_frozen"):
        training = "False"
    extra = f", training={training}" if training else ""
    return f"{layer_constructor(node)}({argument}{extra})"


# -- exact ops ---------------------------------------------------------------------------------

def _attr(op, name, default=None):
    try:
        return op.get_attr(name)
    except ValueError:
        return default


def _dtype(op, name="DstT") -> str:
    dtype = _attr(op, name)
    return f"tf.{dtype.name}" if dtype is not None else "tf.float32"


ATOM = 13
"""Precedence of a name, a call or a literal (Python's binding strengths, 1..13)."""


def _operand(argument, minimum: int) -> str:
    text, precedence = argument
    return f"({text})" if precedence < minimum else text


def _binary(symbol: str, precedence: int) -> Callable:
    # The right operand of the same precedence keeps its parentheses: a + (b + c) is another
    # float32 rounding than (a + b) + c, and the port writes the program's own order.
    return lambda op, a: (f"{_operand(a[0], precedence)} {symbol} "
                          f"{_operand(a[1], precedence + 1)}", precedence)


def _call(function: str, arguments: int | None = None) -> Callable:
    def write(op, a):
        chosen = a if arguments is None else a[:arguments]
        return f"{function}({', '.join(text for text, _ in chosen)})", ATOM
    return write


def _axis_text(op, axis_argument) -> str | None:
    """The ``axis=`` of a reduction: None when it reduces every axis (TF1's default)."""
    axis_tensor = op.inputs[1]
    value = constant_value(axis_tensor)
    if value is None:
        return axis_argument[0]
    rank = op.inputs[0].shape.rank
    values = np.atleast_1d(value).tolist()
    if rank is not None and sorted(v % rank for v in values) == list(range(rank)):
        return None
    return str(values[0]) if np.ndim(value) == 0 or len(values) == 1 else str(values)


def _reduce(function: str) -> Callable:
    def write(op, a):
        axis = _axis_text(op, a[1])
        parts = [a[0][0]]
        if axis is not None:
            parts.append(f"axis={axis}")
        if _attr(op, "keep_dims"):
            parts.append("keepdims=True")
        return f"{function}({', '.join(parts)})", ATOM
    return write


def _matmul(op, a):
    options = "".join(f", {name}=True" for name in ("transpose_a", "transpose_b") if _attr(op, name))
    return f"tf.matmul({a[0][0]}, {a[1][0]}{options})", ATOM


def _concat(op, a):
    return f"tf.concat([{', '.join(t for t, _ in a[:-1])}], axis={a[-1][0]})", ATOM


def _strided_slice(op, a):
    """``x[:, -1]``: TF1 wrote Python slicing as StridedSlice with bit masks per dimension."""
    begin, end, strides = (constant_value(t) for t in op.inputs[1:4])
    if begin is None or end is None or strides is None:
        return None
    masks = {name: _attr(op, name) or 0 for name in (
        "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    parts = []
    for i, (start, stop, step) in enumerate(zip(begin.tolist(), end.tolist(), strides.tolist())):
        bit = 1 << i
        if masks["ellipsis_mask"] & bit:
            parts.append("...")
        elif masks["new_axis_mask"] & bit:
            parts.append("None")
        elif masks["shrink_axis_mask"] & bit:
            parts.append(str(start))
        else:
            text = ("" if masks["begin_mask"] & bit else str(start)) + ":" + (
                "" if masks["end_mask"] & bit else str(stop))
            parts.append(text + (f":{step}" if step != 1 else ""))
    return f"{_operand(a[0], ATOM)}[{', '.join(parts)}]", ATOM


def _one_hot(prefix: str) -> Callable:
    def write(op, a):
        on, off = constant_value(op.inputs[2]), constant_value(op.inputs[3])
        if on is None or off is None or float(on) != 1.0 or float(off) != 0.0:
            return None
        axis = _attr(op, "axis")
        options = "" if axis in (None, -1) else f", axis={axis}"
        dtype = _attr(op, "T").name
        if prefix == "keras.ops":
            options += "" if dtype == "float32" else f", dtype={literal(dtype)}"
            return f"keras.ops.one_hot({a[0][0]}, {a[1][0]}{options})", ATOM
        options += "" if dtype == "float32" else f", dtype=tf.{dtype}"
        return f"tf.one_hot({a[0][0]}, {a[1][0]}{options})", ATOM
    return write


OP_CODE: dict[str, Callable] = {
    "StridedSlice": _strided_slice, "OneHot": _one_hot("tf"),
    "AddV2": _binary("+", 9), "Add": _binary("+", 9), "Sub": _binary("-", 9),
    "Mul": _binary("*", 10), "RealDiv": _binary("/", 10), "Div": _binary("/", 10),
    "FloorDiv": _binary("//", 10), "Pow": _binary("**", 12), "Greater": _binary(">", 4),
    "Less": _binary("<", 4), "GreaterEqual": _binary(">=", 4), "LessEqual": _binary("<=", 4),
    "Neg": lambda op, a: (f"-{_operand(a[0], 11)}", 11),
    "Equal": _call("tf.equal", 2), "NotEqual": _call("tf.not_equal", 2),
    "Log": _call("tf.math.log"), "Log1p": _call("tf.math.log1p"), "Exp": _call("tf.exp"),
    "Sqrt": _call("tf.sqrt"), "Rsqrt": _call("tf.math.rsqrt"), "Square": _call("tf.square"),
    "Abs": _call("tf.abs"), "Sign": _call("tf.sign"), "Floor": _call("tf.floor"),
    "Sigmoid": _call("tf.sigmoid"), "Tanh": _call("tf.tanh"), "Relu": _call("tf.nn.relu"),
    "Relu6": _call("tf.nn.relu6"), "Elu": _call("tf.nn.elu"), "Selu": _call("tf.nn.selu"),
    "Softplus": _call("tf.nn.softplus"), "Softmax": _call("tf.nn.softmax"),
    "LogSoftmax": _call("tf.nn.log_softmax"),
    "Maximum": _call("tf.maximum"), "Minimum": _call("tf.minimum"),
    "MatMul": _matmul, "BiasAdd": _call("tf.nn.bias_add", 2),
    "Mean": _reduce("tf.reduce_mean"), "Sum": _reduce("tf.reduce_sum"),
    "Max": _reduce("tf.reduce_max"), "Min": _reduce("tf.reduce_min"),
    "Prod": _reduce("tf.reduce_prod"),
    "ArgMax": lambda op, a: (f"tf.argmax({a[0][0]}, {a[1][0]})", ATOM),
    "ArgMin": lambda op, a: (f"tf.argmin({a[0][0]}, {a[1][0]})", ATOM),
    "Cast": lambda op, a: (f"tf.cast({a[0][0]}, {_dtype(op)})", ATOM),
    "Reshape": _call("tf.reshape"), "Transpose": _call("tf.transpose"),
    "ExpandDims": _call("tf.expand_dims"), "Squeeze": lambda op, a: (
        f"tf.squeeze({a[0][0]}, axis={list(_attr(op, 'squeeze_dims') or [])})", ATOM),
    "Identity": lambda op, a: a[0], "StopGradient": _call("tf.stop_gradient"),
    "ConcatV2": _concat, "Shape": _call("tf.shape"), "Tile": _call("tf.tile"),
    "L2Loss": _call("tf.nn.l2_loss"), "ZerosLike": _call("tf.zeros_like"),
    "OnesLike": _call("tf.ones_like"), "Select": _call("tf.where"), "SelectV2": _call("tf.where"),
    "Softsign": _call("tf.nn.softsign"), "Reciprocal": _call("tf.math.reciprocal"),
    "SquaredDifference": _call("tf.math.squared_difference"),
}
"""TF op type -> how TensorFlow 2 code writes it (anything else: ``tf.raw_ops``)."""


def _keras_reduce(function: str) -> Callable:
    def write(op, a):
        axis = _axis_text(op, a[1])
        parts = [a[0][0]]
        if axis is not None:
            parts.append(f"axis={axis}")
        if _attr(op, "keep_dims"):
            parts.append("keepdims=True")
        return f"keras.ops.{function}({', '.join(parts)})", ATOM
    return write


def _keras_call(function: str, arguments: int | None = None) -> Callable:
    return _call(f"keras.ops.{function}", arguments)


KERAS_OP_CODE: dict[str, Callable] = {
    **{key: OP_CODE[key] for key in ("AddV2", "Add", "Sub", "Mul", "RealDiv", "Div", "FloorDiv",
                                      "Pow", "Greater", "Less", "GreaterEqual", "LessEqual",
                                      "Neg", "Identity")},
    "Equal": _keras_call("equal", 2), "NotEqual": _keras_call("not_equal", 2),
    "Log": _keras_call("log"), "Exp": _keras_call("exp"), "Sqrt": _keras_call("sqrt"),
    "Square": _keras_call("square"), "Abs": _keras_call("abs"), "Sign": _keras_call("sign"),
    "Floor": _keras_call("floor"), "Sigmoid": _keras_call("sigmoid"),
    "Tanh": _keras_call("tanh"), "Relu": _keras_call("relu"), "Softmax": _keras_call("softmax"),
    "Maximum": _keras_call("maximum"), "Minimum": _keras_call("minimum"),
    "MatMul": lambda op, a: (f"keras.ops.matmul({a[0][0]}, {a[1][0]})", ATOM) if not (
        _attr(op, "transpose_a") or _attr(op, "transpose_b")) else None,
    "Mean": _keras_reduce("mean"), "Sum": _keras_reduce("sum"), "Max": _keras_reduce("max"),
    "Min": _keras_reduce("min"),
    "ArgMax": lambda op, a: (f"keras.ops.argmax({a[0][0]}, axis={a[1][0]})", ATOM),
    "ArgMin": lambda op, a: (f"keras.ops.argmin({a[0][0]}, axis={a[1][0]})", ATOM),
    "Cast": lambda op, a: (f"keras.ops.cast({a[0][0]}, {literal(_attr(op, 'DstT').name)})",
                           ATOM),
    "Reshape": lambda op, a: (f"keras.ops.reshape({a[0][0]}, {_shape_text(op.inputs[1], a[1])})",
                              ATOM),
    "Transpose": _keras_call("transpose"), "StridedSlice": _strided_slice,
    "ConcatV2": lambda op, a: (f"keras.ops.concatenate([{', '.join(t for t, _ in a[:-1])}], "
                               f"axis={a[-1][0]})", ATOM),
    "OneHot": _one_hot("keras.ops"),
}
"""TF op type -> keras.ops code (same kernels on the TensorFlow backend), for computations
without weights written straight into a functional model (``predicted = keras.ops.cast(...)``)."""


def _shape_text(tensor, argument) -> str:
    value = constant_value(tensor)
    if value is None:
        return argument[0]
    return str(tuple(int(v) for v in np.atleast_1d(value)))


def keras_ops_code(ops: set, names: dict, graph: ProgramGraph, output) -> str | None:
    """A keras.ops expression for ``ops`` (no temporaries), or None if an op has no counterpart."""
    if any(op.type not in KERAS_OP_CODE for op in ops if op.type != "Const"):
        return None
    consumers: dict = {}
    for op in ops:
        for tensor in op.inputs:
            consumers[tensor.ref()] = consumers.get(tensor.ref(), 0) + 1
    if any(count > 1 for ref, count in consumers.items() if ref not in names):
        return None
    try:
        statements, expression = exact_ops(ops, names, graph, output, table=KERAS_OP_CODE)
    except (PortError, TypeError):
        return None
    return None if statements else expression


def _constant_code(tensor) -> tuple[str, int]:
    value = constant_value(tensor)
    if value.ndim == 0:
        item = value.item()
        if isinstance(item, bytes):
            item = item.decode()
        text = literal(item) if not isinstance(item, float) else literal(float(item))
        return text, ATOM if not text.startswith("-") else 11
    if value.size > 64:
        raise PortError(f"constant {tensor.op.name} of {value.size} values is too large to write "
                        "into the ported program")
    return f"tf.constant({value.tolist()!r}, dtype=tf.{tensor.dtype.name})", ATOM


def _raw_op(op, arguments: list) -> tuple[str, int]:
    op_def_inputs = [arg.name for arg in op.op_def.input_arg]
    parts = []
    texts = [text for text, _ in arguments]
    if len(op_def_inputs) == len(texts):
        parts += [f"{name}={value}" for name, value in zip(op_def_inputs, texts)]
    else:
        parts += texts
    for attr in op.op_def.attr:
        if attr.type == "type" or attr.name.startswith("_"):
            continue  # dtypes follow the inputs
        value = op.get_attr(attr.name)
        if isinstance(value, bytes):
            value = value.decode()
        if hasattr(value, "name") and not isinstance(value, str):
            parts.append(f"{attr.name}=tf.{value.name}")
            continue
        parts.append(f"{attr.name}={value!r}")
    return f"tf.raw_ops.{op.type}({', '.join(parts)})", ATOM


def exact_ops(ops: set, names: dict, graph: ProgramGraph, output, taken: set | None = None,
              table: dict | None = None) -> tuple[list[str], str]:
    """TensorFlow 2 code computing ``output`` from the tensors in ``names`` with ``ops``.

    Args:
        ops: the program ops to write.
        names: program tensor ref -> the expression that holds it (inputs, weights).
        output: the tensor to compute.
        taken: identifiers already in use (temporary names avoid them).

    Returns:
        ``(statements, expression)``: statements defining temporaries (values
        used more than once), then the expression of ``output``. Operands keep
        the program's order and grouping, so the code computes the same float32
        values in the same order.
    """
    taken = set(taken or ()) | {name for name in names.values() if name.isidentifier()}
    expressions = {ref: (text, ATOM) for ref, text in names.items()}
    statements = []
    ordered = sorted(ops, key=lambda op: op._id)
    consumers_inside = {}
    for op in ordered:
        for tensor in op.inputs:
            consumers_inside[tensor.ref()] = consumers_inside.get(tensor.ref(), 0) + 1
    for op in ordered:
        arguments = []
        for tensor in op.inputs:
            if tensor.ref() in expressions:
                arguments.append(expressions[tensor.ref()])
            elif tensor.op.type == "Const":
                arguments.append(_constant_code(tensor))
            else:
                raise PortError(f"{op.name} reads {tensor.name}, which the ported code does not "
                                "compute")
        if op.type == "Const":
            expression = _constant_code(op.outputs[0])
        else:
            writer = (table or OP_CODE).get(op.type)
            expression = writer(op, arguments) if writer else None
            if expression is None and table is None:
                writer = None
                expression = _raw_op(op, arguments)
            if expression is None:
                raise PortError(f"no code for {op.type} here")
            if len(op.outputs) != 1 and writer is None:
                expression = (f"{expression[0]}[0]", ATOM)
        tensor = op.outputs[0]
        uses = consumers_inside.get(tensor.ref(), 0)
        if tensor.ref() == output.ref() or uses <= 1:
            expressions[tensor.ref()] = expression
        else:
            name = python_name(op.name.split("/")[-1].lower(), taken)
            statements.append(f"{name} = {expression[0]}")
            expressions[tensor.ref()] = (name, ATOM)
    return statements, expressions[output.ref()][0]


def custom_layer_class(node: LayerNode, class_name: str, input_names: list[str],
                       graph: ProgramGraph, source_line: str) -> list[str]:
    """A ``keras.layers.Layer`` subclass running ``node``'s exact ops (weights from its variables)."""
    taken = set(input_names) | {"self"}
    names = {tensor.ref(): name for tensor, name in zip(node.inputs, input_names)}
    build = []
    for weight in node.weights:
        attribute = python_name(weight.name, taken)
        initializer = initializer_code(weight.variable, graph, weight.shape)
        build.append(f"        self.{attribute} = self.add_weight(shape={weight.shape!r}, "
                     f"initializer={initializer.text}, name={literal(weight.name)})")
        for op in node.ops:
            for tensor in op.inputs:
                if graph.variable_of(tensor) is weight.variable:
                    names[tensor.ref()] = f"self.{attribute}"
    statements, expression = exact_ops(node.ops, names, graph, node.output, taken)
    arguments = input_names[0] if len(input_names) == 1 else "inputs"
    lines = [f"class {class_name}(keras.layers.Layer):",
             f'    """The exact ops of `{source_line.strip()}` (no standard Keras layer matches)."""',
             ""]
    if build:
        lines += ["    def build(self, input_shape):", *build, ""]
    lines += [f"    def call(self, {arguments}):"]
    if len(input_names) > 1:
        lines.append(f"        {', '.join(input_names)} = inputs")
    lines += [f"        {statement}" for statement in statements]
    lines.append(f"        return {expression}")
    return lines


# -- optimizers ------------------------------------------------------------------------------------

OPTIMIZERS = {
    "GradientDescentOptimizer": ("GradientDescent", {"learning_rate": "learning_rate"}),
    "MomentumOptimizer": ("Momentum", {"learning_rate": "learning_rate", "momentum": "momentum"}),
    "AdagradOptimizer": ("Adagrad", {"learning_rate": "learning_rate",
                                     "initial_accumulator_value": "initial_accumulator_value"}),
    "RMSPropOptimizer": ("RMSProp", {"learning_rate": "learning_rate", "decay": "rho",
                                     "momentum": "momentum", "epsilon": "epsilon",
                                     "centered": "centered"}),
    "AdadeltaOptimizer": ("Adadelta", {"learning_rate": "learning_rate", "rho": "rho",
                                       "epsilon": "epsilon"}),
    "AdamOptimizer": ("Adam", {"learning_rate": "learning_rate", "beta1": "beta_1",
                               "beta2": "beta_2", "epsilon": "epsilon"}),
}
"""TF1 optimizer -> (tfcourse optimizer, TF1 argument -> tfcourse argument)."""


def optimizer_call(call, written: dict, schedule: str | None = None) -> str:
    """``optimizers.Adam(learning_rate=learning_rate, convention="tf1")`` for a minimize call.

    Args:
        call: the :class:`~tfcourse.compat.optimizers.MinimizeCall`.
        written: TF1 argument -> the program's source text for it (what the
            program wrote in the constructor call); other arguments are
            written as values only when they differ from TF1's defaults.
        schedule: source of a learning-rate schedule replacing ``learning_rate``.
    """
    import inspect  # noqa: PLC0415

    name = type(call.optimizer).__name__
    if name not in OPTIMIZERS:
        raise PortError(f"{call.location}: tf.train.{name} has no tfcourse counterpart "
                        f"(ported: {', '.join(sorted(OPTIMIZERS))})")
    target, renames = OPTIMIZERS[name]
    base = type(call.optimizer).__mro__[1]
    defaults = {key: parameter.default for key, parameter in
                inspect.signature(base.__init__).parameters.items()
                if parameter.default is not inspect.Parameter.empty}
    keywords = []
    arguments = call.arguments
    if name == "MomentumOptimizer" and arguments.get("use_nesterov"):
        target = "Nesterov"
    for tf1_name, keras_name in renames.items():
        if tf1_name == "learning_rate" and schedule is not None:
            keywords.append(f"learning_rate={schedule}")
            continue
        if tf1_name in written:
            keywords.append(f"{keras_name}={written[tf1_name]}")
        elif tf1_name in arguments and (tf1_name not in defaults
                                        or arguments[tf1_name] != defaults[tf1_name]):
            value = arguments[tf1_name]
            if hasattr(value, "op"):
                raise PortError(f"{call.location}: the {tf1_name} of tf.train.{name} is a tensor "
                                "tfcourse port does not recognize as a schedule")
            keywords.append(f"{keras_name}={value!r}")
    keywords.append('convention="tf1"')
    return f"tfcourse.optimizers.{target}({', '.join(keywords)})"


# -- layout --------------------------------------------------------------------------------------

LINE_WIDTH = 99


def wrap_line(line: str, width: int = LINE_WIDTH) -> list[str]:
    """A generated line longer than ``width``, broken inside its first call's parentheses.

    ``x = f(a, b, c)(y)`` becomes ``x = f(`` / the arguments, packed, one indent
    deeper / ``)(y)``. Lines that cannot be broken that way are kept whole.
    """
    import io  # noqa: PLC0415
    import tokenize  # noqa: PLC0415

    if len(line) <= width:
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line]
    text = line.strip()
    depth, opening, commas, closing = 0, None, [], None
    for token in tokens:
        if token.type != tokenize.OP:
            continue
        position = token.start[1]
        if token.string in "([{":
            depth += 1
            if depth == 1 and opening is None and token.string == "(":
                opening = position
        elif token.string in ")]}":
            depth -= 1
            if depth == 0 and opening is not None and closing is None:
                closing = position
        elif token.string == "," and depth == 1 and opening is not None and closing is None:
            commas.append(position)
    if opening is None or closing is None or closing - opening < 2:
        return [line]
    pieces, start = [], opening + 1
    for comma in commas:
        pieces.append(text[start:comma].strip())
        start = comma + 1
    last = text[start:closing].strip()
    if last:
        pieces.append(last)
    inner = indent + "    "
    lines, current = [], ""
    for piece in pieces:
        candidate = f"{current} {piece}," if current else f"{piece},"
        if current and len(inner) + len(candidate) > width:
            lines.append(inner + current)
            current = f"{piece},"
        else:
            current = candidate
    if current:
        lines.append(inner + current)
    return [indent + text[:opening + 1], *lines, indent + text[closing:]]
