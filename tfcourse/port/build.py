"""The ported models as Keras objects, built from the same code the ported program writes.

``tfcourse compare LAB`` trains a lab's Keras version with its own machinery
(replayed mini-batches, epoch checkpoints, TensorBoard callbacks). Its model,
loss, optimizer and metrics come from the porter: :func:`build_models`
evaluates the constructor code :mod:`tfcourse.port.emit` writes into the
ported program (``keras.layers.Dense(256, activation="relu", ...)``), layer
by layer, on ``keras.Input`` tensors, so the object and the printed program
cannot differ.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["BuiltModel", "build_models"]


@dataclasses.dataclass
class BuiltModel:
    """One ported model: the Keras model and what ``compile`` gets.

    Attributes:
        model: the functional ``keras.Model`` (layer names as in the ported program).
        loss: the Keras loss (or the program's own loss function).
        optimizer: the tfcourse optimizer with TF1's rule.
        metrics: the compiled metrics.
        plan: the :class:`~tfcourse.port.lowering.ModelPlan` it comes from.
    """

    model: Any
    loss: Any
    optimizer: Any
    metrics: list
    plan: Any


def _namespace() -> dict:
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    import tfcourse  # noqa: PLC0415
    import tfcourse.initializers  # noqa: F401, PLC0415
    import tfcourse.layers  # noqa: F401, PLC0415
    import tfcourse.optimizers  # noqa: F401, PLC0415

    return {"keras": keras, "np": np, "tf": tf, "tfcourse": tfcourse}


def build_models(result, dense: str = "tf1") -> list[BuiltModel]:
    """Each model of ``result`` (a :class:`~tfcourse.port.PortResult`) as Keras objects.

    Args:
        result: the port of a program.
        dense: ``"tf1"`` (the port's ``TF1Dense`` where the program wrote
            ``tf.matmul(X, W) + b``) or ``"keras"`` (``keras.layers.Dense`` there).
    """
    import keras  # noqa: PLC0415

    from tfcourse.port import emit  # noqa: PLC0415
    from tfcourse.port.lowering import PortError  # noqa: PLC0415
    from tfcourse.port.source import fed_value, input_shape  # noqa: PLC0415

    rewriter = result.rewriter
    built = []
    for plan in result.plans:
        namespace = _namespace()
        tensors: dict = {}
        inputs = []
        for tensor in plan.inputs:
            shape = input_shape(tensor, fed_value(result.capture, tensor))
            dtype = tensor.dtype.base_dtype.name
            written = rewriter.expressions.get(tensor.ref(), "")  # `X`, as the port names it
            name = written if written.isidentifier() else tensor.op.name.split("/")[-1]
            inputs.append(keras.Input(shape=shape, dtype=dtype, name=name.replace(":", "_")))
            tensors[tensor.ref()] = inputs[-1]
        for node in plan.layers:
            arguments = [tensors[t.ref()] for t in node.inputs]
            if node.keras == "Identity":
                tensors[node.output.ref()] = arguments[0]
                continue
            if node.keras == "keras.ops":
                names = {t.ref(): f"value_{i}" for i, t in enumerate(node.inputs)}
                code = node.arguments["_code"].format(*names.values()) if node.arguments.get(
                    "_code") else emit.keras_ops_code(node.ops, names,
                                                      result.capture and rewriter.graph,
                                                      node.output)
                local = dict(namespace, **{f"value_{i}": v for i, v in enumerate(arguments)})
                tensors[node.output.ref()] = eval(code, local)  # noqa: S307 (the port's own code)
                continue
            if node.keras == "Custom":
                raise PortError(f"{result.program}: a model with a generated custom layer is "
                                "built by running its ported program")
            saved = dict(node.arguments)
            if dense == "keras" and node.arguments.get("_class") == "TF1Dense":
                node.arguments.pop("_class")
            try:
                layer = eval(emit.layer_constructor(node), namespace)  # noqa: S307
            finally:
                node.arguments.clear()
                node.arguments.update(saved)
            argument = arguments[0] if len(arguments) == 1 else arguments
            if node.always_on:
                tensors[node.output.ref()] = layer(argument, training=True)
            elif node.arguments.get("_frozen"):
                tensors[node.output.ref()] = layer(argument, training=False)
            else:
                tensors[node.output.ref()] = layer(argument)
        model = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                            tensors[plan.output.ref()], name=result.program.stem)
        loss = optimizer = None
        metrics = []
        if plan.minimize is not None:
            if plan.loss.code is not None:
                loss = eval(plan.loss.code.text, namespace)  # noqa: S307
            else:
                lines = rewriter._custom_loss(plan, "loss")
                exec("\n".join(lines), namespace)  # noqa: S102 (the port's own code)
                loss = namespace["loss"]
            schedule = None
            if plan.schedule is not None and plan.schedule.advances:
                values = plan.schedule.values
                schedule = (f"keras.optimizers.schedules.{plan.schedule.keras}("
                            f"{values['learning_rate']!r}, {int(values['decay_steps'])}, "
                            f"{values['decay_rate']!r}, staircase={plan.schedule.staircase})")
            optimizer = eval(emit.optimizer_call(plan.minimize, {}, schedule), namespace)  # noqa: S307
            metrics = [eval(f"keras.metrics.{kind}(name={name!r})", namespace)  # noqa: S307
                       for _, name, kind in rewriter.metric_names.get(id(plan), [])]
        built.append(BuiltModel(model, loss, optimizer, metrics, plan))
    return built
