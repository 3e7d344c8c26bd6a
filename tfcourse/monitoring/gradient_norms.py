"""Gradient norm per layer on a fixed probe batch: the vanishing-gradient picture.

Seed 000 explains why deep sigmoid networks stop learning: backpropagation
multiplies one factor s'(z) <= 1/4 per layer, so the gradient reaching the
first layers shrinks geometrically with depth. Plotting each layer's gradient
norm over training shows it directly (and how ReLU, Xavier/He
initialization and batch normalization fix it). Weight and gradient
histograms, the other standard view, are optional because they cost time.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfcourse._validation import check_bool
from tfcourse.monitoring._base import StepCallback, probe_arrays

__all__ = ["GradientNorms"]


class GradientNorms(StepCallback):
    """Logs the gradient norm of each layer, and optionally histograms.

    Every ``every_n_steps`` optimizer steps (and at the start and end of
    training) the callback computes the gradient of the compiled loss on the
    fixed probe batch ``(x, y)``, in inference mode (``training=False``:
    dropout off, batch normalization on its moving statistics, so the model's
    state is left untouched), and writes into ``<log_dir>/train``:

    - ``gradient_norm/<layer>``: sqrt(sum of g**2) over all trainable
      variables of the layer (kernel and bias together);
    - ``gradient_norm/global``: the same over the whole model;
    - with ``histograms=True``, ``weights/<layer>/<variable>`` and
      ``gradients/<layer>/<variable>`` histograms.

    The gradients are of the probe batch, not of the training batch that
    the optimizer used at that step, so successive points differ only because
    the weights changed. The loss is ``model.compute_loss`` (compiled loss
    plus regularization losses); metric states are saved and restored
    around it.

    Args:
        log_dir: the run folder (``logs/<experiment>/<run>``).
        probe: a fixed batch ``(x, y)``.
        every_n_steps: an int >= 1. Defaults to `100`.
        histograms: also write weight and gradient histograms. Defaults to
            `False` (Keras' ``histogram_freq=1`` makes a small MLP's epoch
            about 55% slower, user_needs.md section 4).

    Example:
        >>> callback = GradientNorms("logs/lab10/sigmoid", probe=(x_test[:256], y_test[:256]))
        >>> model.fit(x, y, callbacks=[callback])  # doctest: +SKIP

    References:
        Seed 000 (the sigmoid's vanishing gradient); Glorot & Bengio, 2010.
    """

    def __init__(self, log_dir, probe, every_n_steps: int = 100, histograms: bool = False):
        super().__init__(log_dir, every_n_steps)
        self.probe_x, self.probe_y = probe_arrays(probe, "GradientNorms", need_targets=True)
        self.histograms = check_bool("histograms", histograms)

    def gradients(self) -> list[tuple[object, object, np.ndarray]]:
        """Return ``(layer, variable, gradient)`` for each trainable variable."""
        model = self.model
        saved_metric_state = [keras.ops.convert_to_numpy(v) for v in model.metrics_variables]
        pairs = []
        for layer in model.layers:
            pairs.extend((layer, variable) for variable in layer.trainable_variables)
        variables = [variable for _, variable in pairs]
        try:
            with tf.GradientTape() as tape:
                y_pred = model(self.probe_x, training=False)
                loss = model.compute_loss(
                    x=self.probe_x, y=self.probe_y, y_pred=y_pred, training=False
                )
            grads = tape.gradient(loss, [variable.value for variable in variables])
        finally:
            for variable, value in zip(model.metrics_variables, saved_metric_state):
                variable.assign(value)
        return [
            (layer, variable, np.zeros(variable.shape) if g is None else g.numpy())
            for (layer, variable), g in zip(pairs, grads)
        ]

    def compute(self) -> dict[str, float]:
        """Return ``{"gradient_norm/<layer>": norm, "gradient_norm/global": norm}``."""
        return _norms(self.gradients())

    def write(self, step: int) -> None:
        gradients = self.gradients()
        for tag, value in _norms(gradients).items():
            tf.summary.scalar(tag, value)
        if self.histograms:
            for layer, variable, g in gradients:
                name = f"{layer.name}/{variable.name}"
                tf.summary.histogram(f"weights/{name}", keras.ops.convert_to_numpy(variable))
                tf.summary.histogram(f"gradients/{name}", g)


def _norms(gradients) -> dict[str, float]:
    squares: dict[str, float] = {}
    for layer, _, g in gradients:
        square = float(np.sum(np.square(g.astype(np.float64))))
        squares[layer.name] = squares.get(layer.name, 0.0) + square
    result = {f"gradient_norm/{name}": float(np.sqrt(s)) for name, s in squares.items()}
    result["gradient_norm/global"] = float(np.sqrt(sum(squares.values())))
    return result
