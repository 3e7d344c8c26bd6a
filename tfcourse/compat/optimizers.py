"""``tf.train.*Optimizer`` whose train ops a legacy Session can recognise.

Each class here is the ``tf.compat.v1.train`` class of the same name with three
methods extended: ``__init__`` keeps the arguments the program passed
(``optimizer.tfcourse_arguments``), ``compute_gradients(loss)`` remembers
``loss`` and ``apply_gradients`` registers the op it returns as a training
step of that loss (``minimize`` calls both) and records a
:class:`MinimizeCall` for ``tfcourse port``. The update rules are TF1's,
untouched: ``isinstance(opt, tf.compat.v1.train.Optimizer)`` still holds.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import tensorflow as tf

from tfcourse.compat.layer_calls import program_location
from tfcourse.compat.session import register_train_op

tf1 = tf.compat.v1

MINIMIZE_CALLS = "tfcourse_minimize_calls"


@dataclasses.dataclass
class MinimizeCall:
    """One ``optimizer.minimize(loss)`` (or ``apply_gradients``) of the program.

    Attributes:
        optimizer: the optimizer object (``type(optimizer).__name__`` is TF1's class name).
        arguments: the constructor arguments, defaults filled in
            (``{"learning_rate": 0.001, "beta1": 0.9, ...}``); a tensor
            ``learning_rate`` (a decay schedule) stays a tensor.
        train_op: the op the program runs for one step.
        loss: the loss tensor (None when gradients were computed elsewhere).
        global_step: the variable ``minimize(global_step=...)`` increments, or None.
        variables: the variables it updates, in order.
        location: ``"file:line"`` of the program line that called ``minimize``.
    """

    optimizer: Any
    arguments: dict
    train_op: Any
    loss: Any
    global_step: Any
    variables: list
    location: str


def minimize_calls(graph) -> list[MinimizeCall]:
    """Every :class:`MinimizeCall` of ``graph``, in call order."""
    return list(graph.get_collection(MINIMIZE_CALLS))


def _with_step_registration(base: type) -> type:
    signature = inspect.signature(base.__init__)

    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.tfcourse_arguments = {name: value for name, value in bound.arguments.items()
                                   if name not in ("self", "kwargs")}

    def compute_gradients(self, loss, *args, **kwargs):
        self._tfcourse_loss = loss if not callable(loss) else None
        return base.compute_gradients(self, loss, *args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = list(grads_and_vars)
        op = base.apply_gradients(self, grads_and_vars, global_step=global_step, name=name)
        loss = getattr(self, "_tfcourse_loss", None)
        register_train_op(op, loss)
        op.graph.add_to_collection(MINIMIZE_CALLS, MinimizeCall(
            optimizer=self, arguments=dict(getattr(self, "tfcourse_arguments", {})), train_op=op,
            loss=loss, global_step=global_step,
            variables=[variable for gradient, variable in grads_and_vars if gradient is not None],
            location=program_location(),
        ))
        return op

    namespace = {
        "__doc__": base.__doc__,
        "__module__": __name__,
        "__init__": __init__,
        "compute_gradients": compute_gradients,
        "apply_gradients": apply_gradients,
    }
    return type(base.__name__, (base,), namespace)


OPTIMIZER_NAMES = tuple(
    name for name in dir(tf1.train) if name.endswith("Optimizer") and isinstance(getattr(tf1.train, name), type)
)

globals().update({name: _with_step_registration(getattr(tf1.train, name)) for name in OPTIMIZER_NAMES})

__all__ = list(OPTIMIZER_NAMES)
