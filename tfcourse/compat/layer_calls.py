"""What each TF1 layer function call built, kept in the graph for the porter.

``tf.layers.dense``, ``tf.contrib.layers.fully_connected``, ``tf.nn.dynamic_rnn``
and the other layer functions of :mod:`tfcourse.compat` expand into many
TensorFlow ops. ``tfcourse port`` turns a program into Keras layers; for these
calls it does not have to rediscover the layer from its ops: each function
records one :class:`LayerCall` (its inputs, outputs, variables and settings,
and the program line that called it) in the graph collection
:data:`COLLECTION`, and the porter maps the ops between ``inputs`` and
``outputs`` onto one Keras layer.

Recording costs one list append per call and changes nothing the program
sees.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from pathlib import Path
from typing import Any, Callable

COLLECTION = "tfcourse_layer_calls"

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


@dataclasses.dataclass
class LayerCall:
    """One call of a TF1 layer function, as the program made it.

    Attributes:
        kind: the TF1 function as the program spells it, e.g. ``"tf.layers.dense"``,
            ``"tf.contrib.layers.fully_connected"``, ``"tf.nn.dynamic_rnn"``.
        inputs: the tensors the call consumed; the first is the data input
            (others: ``sequence_length``, an initial state...).
        outputs: the tensors it returned; the first is the main output.
        variables: role (``"kernel"``, ``"bias"``, ``"gamma"``, ``"cell_0/kernel"``...)
            -> the ``tf.Variable`` the call created or reused.
        config: the call's settings as plain Python values (``units``,
            ``activation`` as a name such as ``"relu"``, ``padding``...).
        training: a Python bool, a boolean tensor (a placeholder), or None
            when the layer behaves the same in training and inference.
        location: ``"path.py:LINE"`` of the program line that made the call.
    """

    kind: str
    inputs: tuple
    outputs: tuple
    variables: dict
    config: dict
    training: Any = None
    location: str = ""


def program_location() -> str:
    """``"file:line"`` of the innermost frame outside tfcourse and TensorFlow (the program's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (filename.startswith(_PACKAGE_DIR) or "site-packages" in filename
                or filename.startswith("<frozen")):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def record_layer_call(kind: str, inputs, outputs, variables: dict | None = None,
                      config: dict | None = None, training: Any = None) -> LayerCall:
    """Add a :class:`LayerCall` to the graph of ``outputs[0]`` and return it.

    ``inputs`` and ``outputs`` may be single tensors or sequences of them.
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    outputs = tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)
    call = LayerCall(kind=kind, inputs=inputs, outputs=outputs, variables=dict(variables or {}),
                     config=dict(config or {}), training=training, location=program_location())
    outputs[0].graph.add_to_collection(COLLECTION, call)
    return call


def layer_calls(graph) -> list[LayerCall]:
    """Every :class:`LayerCall` recorded in ``graph``, in call order."""
    return list(graph.get_collection(COLLECTION))


# Activation names the porter maps to Keras' strings; the functions are looked up by identity.
_ACTIVATION_NAMES = ("relu", "relu6", "elu", "selu", "sigmoid", "tanh", "softmax", "softplus",
                     "softsign", "leaky_relu", "gelu", "swish", "silu")


def activation_name(activation: Callable | str | None) -> str | None:
    """The Keras name of a TF1 activation function: ``tf.nn.relu`` -> ``"relu"``.

    ``None`` stays ``None``; ``tf.identity`` is ``"linear"``; a string is
    returned as given; any other function (a lambda, ``tf.nn.crelu``) is
    ``"custom"``.
    """
    if activation is None or isinstance(activation, str):
        return activation
    return _activation_table("keras" in sys.modules).get(id(activation), "custom")


@functools.lru_cache(maxsize=2)
def _activation_table(with_keras: bool) -> dict[int, str]:
    import tensorflow as tf  # noqa: PLC0415

    namespaces = [tf.nn, tf.math, tf, tf.compat.v1.nn, tf.compat.v1.math, tf.compat.v1]
    if with_keras:
        namespaces.append(sys.modules["keras"].activations)
    table = {}
    for namespace in namespaces:
        for name in _ACTIVATION_NAMES:
            function = getattr(namespace, name, None)
            if function is not None:
                table.setdefault(id(function), name)
        for function in (getattr(namespace, "identity", None), getattr(namespace, "linear", None)):
            if function is not None:
                table.setdefault(id(function), "linear")
    return table
