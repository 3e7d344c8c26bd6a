"""A two-layer net trained from scratch in NumPy: Affine -> activation -> Affine -> SoftmaxWithLoss.

The network of seed 004's "Feedforward" slide (Affine, Sigmoid or ReLU,
Affine, Softmax, cross-entropy loss), built from the nodes of
:mod:`tfcourse.scratch.layers`. ``gradient`` runs backpropagation (forward,
then each node's ``backward`` in reverse order); ``numerical_gradient``
differentiates the loss by central differences, the check that the
backward pass is right. ``step`` is plain gradient descent,
w <- w - lr dL/dw (seed 004: w^{t+1} = w^t - eps grad E).
"""

from __future__ import annotations

import numpy as np

from tfcourse._validation import check_choice, check_int, check_positive
from tfcourse.scratch.layers import (
    Affine,
    ReLU,
    Sigmoid,
    SoftmaxWithLoss,
    numerical_gradient,
)

__all__ = ["PARAMETERS", "TwoLayerNet"]

PARAMETERS = ("W1", "b1", "W2", "b2")
ACTIVATIONS = {"sigmoid": Sigmoid, "relu": ReLU}


class TwoLayerNet:
    """x -> Affine(W1, b1) -> Sigmoid/ReLU -> Affine(W2, b2) -> SoftmaxWithLoss.

    Args:
        input_size, hidden_size, output_size: ints >= 1.
        activation: ``"sigmoid"`` (default, the seed's worked node) or ``"relu"``.
        weight_init_std: W1, W2 ~ weight_init_std * N(0, 1); biases 0.
            Defaults to 0.01 (Saito's ``TwoLayerNet``, whose node classes the
            seed's code is).
        seed: seed of the weight draw. Defaults to 0.
        params: initial ``{"W1", "b1", "W2", "b2"}`` arrays instead of a draw
            (copied, float64).
    """

    def __init__(self, input_size: int = 784, hidden_size: int = 50, output_size: int = 10, *,
                 activation: str = "sigmoid", weight_init_std: float = 0.01, seed: int = 0,
                 params: dict | None = None):
        input_size = check_int("input_size", input_size, low=1)
        hidden_size = check_int("hidden_size", hidden_size, low=1)
        output_size = check_int("output_size", output_size, low=1)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        if params is None:
            weight_init_std = check_positive("weight_init_std", weight_init_std)
            rng = np.random.default_rng(check_int("seed", seed, low=0))
            params = {
                "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
                "b1": np.zeros(hidden_size),
                "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
                "b2": np.zeros(output_size),
            }
        shapes = {"W1": (input_size, hidden_size), "b1": (hidden_size,),
                  "W2": (hidden_size, output_size), "b2": (output_size,)}
        self.params = {}
        for name in PARAMETERS:
            value = np.array(params[name], dtype=np.float64, copy=True)
            if value.shape != shapes[name]:
                raise ValueError(f"`params['{name}']` must have shape {shapes[name]}. "
                                 f"Received: shape {value.shape}")
            self.params[name] = value
        self.affine_1 = Affine(self.params["W1"], self.params["b1"])
        self.hidden = ACTIVATIONS[self.activation]()
        self.affine_2 = Affine(self.params["W2"], self.params["b2"])
        self.last = SoftmaxWithLoss()

    def predict(self, x) -> np.ndarray:
        """The logits a = Affine2(activation(Affine1(x)))."""
        return self.affine_2.forward(self.hidden.forward(self.affine_1.forward(x)))

    def loss(self, x, t) -> float:
        """Mean cross-entropy of softmax(logits) against the one-hot ``t``."""
        return self.last.forward(self.predict(x), t)

    def accuracy(self, x, t) -> float:
        return float(np.mean(np.argmax(self.predict(x), 1) == np.argmax(t, 1)))

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """dL/d(W1, b1, W2, b2) by backpropagation: forward once, then backward node by node."""
        self.loss(x, t)
        dout = self.last.backward(1.0)
        dout = self.affine_2.backward(dout)
        dout = self.hidden.backward(dout)
        self.affine_1.backward(dout)
        return {"W1": self.affine_1.dW, "b1": self.affine_1.db,
                "W2": self.affine_2.dW, "b2": self.affine_2.db}

    def numerical_gradient(self, x, t, h: float = 1e-5) -> dict[str, np.ndarray]:
        """dL/d(W1, b1, W2, b2) by central differences (2 forward passes per weight: slow)."""
        return {name: numerical_gradient(lambda: self.loss(x, t), self.params[name], h)
                for name in PARAMETERS}

    def step(self, x, t, learning_rate: float) -> float:
        """One gradient-descent step on the batch; returns the loss before the update."""
        grads = self.gradient(x, t)
        loss = self.last.loss
        for name in PARAMETERS:
            self.params[name] -= learning_rate * grads[name]  # in place: the nodes see it
        return loss
