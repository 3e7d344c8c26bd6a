"""``tf.train.*Optimizer`` whose train ops a legacy Session can recognise.

Each class here is the ``tf.compat.v1.train`` class of the same name with two
methods extended: ``compute_gradients(loss)`` remembers ``loss`` and
``apply_gradients`` registers the op it returns as a training step of that
loss (``minimize`` calls both). The update rules are TF1's, untouched:
``isinstance(opt, tf.compat.v1.train.Optimizer)`` still holds.
"""

from __future__ import annotations

import tensorflow as tf

from tfcourse.compat.session import register_train_op

tf1 = tf.compat.v1


def _with_step_registration(base: type) -> type:
    def compute_gradients(self, loss, *args, **kwargs):
        self._tfcourse_loss = loss if not callable(loss) else None
        return base.compute_gradients(self, loss, *args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        op = base.apply_gradients(self, grads_and_vars, global_step=global_step, name=name)
        register_train_op(op, getattr(self, "_tfcourse_loss", None))
        return op

    namespace = {
        "__doc__": base.__doc__,
        "__module__": __name__,
        "compute_gradients": compute_gradients,
        "apply_gradients": apply_gradients,
    }
    return type(base.__name__, (base,), namespace)


OPTIMIZER_NAMES = tuple(
    name for name in dir(tf1.train) if name.endswith("Optimizer") and isinstance(getattr(tf1.train, name), type)
)

globals().update({name: _with_step_registration(getattr(tf1.train, name)) for name in OPTIMIZER_NAMES})

__all__ = list(OPTIMIZER_NAMES)
