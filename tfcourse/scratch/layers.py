"""Backpropagation node by node, in NumPy, as seed 004 teaches it.

Seed 004 (AI School week 2, "Back-Propagation") draws a computational graph
and passes the upstream derivative ``dout`` backwards through it, each node
multiplying by its local derivative (the chain rule). Its code is the
node-class style of Saito's *Deep Learning from Scratch* (chapter 5): every
node has ``forward`` (which keeps what ``backward`` needs) and
``backward(dout)``. The seed prints the Sigmoid node; the others follow the
same pattern::

    node             forward                       backward (dout = dL/d out)
    MultiplyNode     out = x * y                   dx = dout * y, dy = dout * x
    AddNode          out = x + y                   dx = dout, dy = dout
    Sigmoid          y = 1 / (1 + exp(-x))         dx = dout * (1 - y) * y
    ReLU             y = x if x > 0 else 0         dx = dout if x > 0 else 0
    Affine           y = x W + b                   dx = dout W^T, dW = x^T dout, db = sum_n dout
    SoftmaxWithLoss  y = softmax(a),               da = (y - t) / N
                     L = -1/N sum_n sum_k t log y
    MeanSquaredError L = 1/N sum_n 1/2 sum_k (y - t)^2     dy = (y - t) / N

W is stored (fan_in, fan_out), as the seeds' ``np.random.randn(fan_in,
fan_out)`` and a Keras ``Dense`` kernel, so ``x W`` maps a row of inputs to
a row of outputs. Losses average over the N examples of a batch, as the
course's ``tf.reduce_mean`` does, so a loss node's backward divides by N.

The seed's worked examples, with their numbers, are :func:`linear_graph`
(f = wx + b at w = -2, x = 5, b = 3) and :func:`sigmoid_chain` (the two
sigmoid neurons of its "Back-Propagation" slide). NumPy only: importing this
module does not import TensorFlow.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcourse._validation import check_int

__all__ = [
    "Affine",
    "AddNode",
    "LinearGraph",
    "MeanSquaredError",
    "MultiplyNode",
    "ReLU",
    "Sigmoid",
    "SigmoidChain",
    "SoftmaxWithLoss",
    "cross_entropy_error",
    "linear_graph",
    "numerical_gradient",
    "one_hot",
    "sigmoid",
    "sigmoid_chain",
    "softmax",
]


def sigmoid(x):
    """h(x) = 1 / (1 + exp(-x)), without overflow for large negative x."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])  # exp(-x) would overflow for x << 0
    out[~positive] = e / (1.0 + e)
    return out


def softmax(a):
    """y_k = exp(a_k - max a) / sum_i exp(a_i - max a), row by row (the overflow-safe form)."""
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """E = -sum_k t_k log y_k, averaged over the rows of a batch (1e-7 keeps log 0 away)."""
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    t = np.atleast_2d(np.asarray(t, dtype=np.float64))
    return float(-np.sum(t * np.log(y + 1e-7)) / y.shape[0])


class MultiplyNode:
    """out = x * y; backward: dx = dout * y, dy = dout * x (the inputs swap)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddNode:
    """out = x + y; backward: dx = dy = dout (addition passes the derivative on)."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout


class Sigmoid:
    """y = 1 / (1 + exp(-x)); backward: dx = dout (1 - y) y, seed 004's code verbatim.

    The seed derives it through the graph exp -> +1 -> 1/x:
    dL/dy * y^2 exp(-x) = dL/dy * y (1 - y). Only the output y is kept.
    """

    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        self.out = out
        return out

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out
        return dx


class ReLU:
    """y = max(0, x); backward passes dout where x > 0 and 0 elsewhere (0 at x = 0)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0.0
        return out

    def backward(self, dout):
        dx = np.array(dout, dtype=np.float64, copy=True)
        dx[self.mask] = 0.0
        return dx


class Affine:
    """y = x W + b; backward: dx = dout W^T, dW = x^T dout, db = sum over the batch of dout.

    Args:
        W: (fan_in, fan_out) weights; b: (fan_out,) biases. Kept by
            reference: an optimizer step on them changes this node.
    """

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx


class SoftmaxWithLoss:
    """Softmax then cross-entropy, averaged over the batch; backward: (y - t) / N.

    Together the two nodes have the simple derivative y - t, which is why
    the course (and TF1's ``softmax_cross_entropy_with_logits``) fuse them.
    ``t`` is one-hot (N, K).
    """

    def __init__(self):
        self.y = self.t = None
        self.loss = None

    def forward(self, a, t):
        self.t = np.atleast_2d(np.asarray(t, dtype=np.float64))
        a = np.atleast_2d(np.asarray(a, dtype=np.float64))
        shifted = a - a.max(axis=-1, keepdims=True)
        log_y = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        self.y = np.exp(log_y)
        # log y from the logits (log-softmax), not log(softmax + 1e-7): the loss
        # whose exact derivative is (y - t) / N, so numerical checks can be tight.
        self.loss = float(-np.sum(self.t * log_y) / self.t.shape[0])
        return self.loss

    def backward(self, dout=1.0):
        return dout * (self.y - self.t) / self.t.shape[0]


class MeanSquaredError:
    """E = 1/2 sum_k (y_k - t_k)^2 per example (seed 004), averaged over the batch.

    backward: dE/dy = (y - t) / N.
    """

    def __init__(self):
        self.y = self.t = None

    def forward(self, y, t):
        self.y = np.atleast_2d(np.asarray(y, dtype=np.float64))
        self.t = np.atleast_2d(np.asarray(t, dtype=np.float64))
        return float(0.5 * np.sum((self.y - self.t) ** 2) / self.y.shape[0])

    def backward(self, dout=1.0):
        return dout * (self.y - self.t) / self.y.shape[0]


@dataclasses.dataclass(frozen=True)
class LinearGraph:
    """f = wx + b as the graph g = w * x, f = g + b: forward values and derivatives."""

    w: float
    x: float
    b: float
    g: float
    f: float
    df_dg: float
    df_db: float
    df_dw: float
    df_dx: float


def linear_graph(w: float = -2.0, x: float = 5.0, b: float = 3.0, dout: float = 1.0) -> LinearGraph:
    """Seed 004's example: forward then backward through g = wx, f = g + b.

    At the seed's w = -2, x = 5, b = 3: g = -10, f = -7; backward from
    df/df = 1: df/dg = df/db = 1 (the add node), df/dw = x = 5 and
    df/dx = w = -2 (the multiply node swaps its inputs).
    """
    multiply, add = MultiplyNode(), AddNode()
    g = multiply.forward(float(w), float(x))
    f = add.forward(g, float(b))
    dg, db = add.backward(float(dout))
    dw, dx = multiply.backward(dg)
    return LinearGraph(w, x, b, g, f, dg, db, dw, dx)


@dataclasses.dataclass(frozen=True)
class SigmoidChain:
    """Two sigmoid neurons in a chain: z2 -> (w2) -> sigma -> z1 -> (w1) -> sigma -> y1.

    ``by_formula`` are the seed's chain-rule products, ``by_nodes`` the same
    derivatives from the node classes' ``backward``.
    """

    z2: float
    w2: float
    w1: float
    t: float
    z1: float
    y1: float
    error: float
    by_formula: dict
    by_nodes: dict


def sigmoid_chain(z2: float = 1.0, w2: float = 0.5, w1: float = -1.5, t: float = 1.0) -> SigmoidChain:
    """Seed 004's "two-layer sigmoid net" slide, Error = (y1 - t)^2.

    The slide writes::

        dError/dw1 = dError/dy1 sigma'(.) z1
        dError/dw2 = dError/dz1 dz1/dw2 = dError/dy1 sigma'(.) w1 sigma'(.) z2

    with sigma'(s) = sigma(s) (1 - sigma(s)) at each neuron's own input and
    dError/dy1 = 2 (y1 - t). The slide gives no numbers; the defaults are
    small values chosen here so that neither sigmoid saturates.
    """
    z1 = float(sigmoid(np.float64(w2 * z2)))
    y1 = float(sigmoid(np.float64(w1 * z1)))
    error = (y1 - t) ** 2
    d_error_d_y1 = 2.0 * (y1 - t)
    slope_1 = y1 * (1.0 - y1)  # sigma' at the output neuron
    slope_2 = z1 * (1.0 - z1)  # sigma' at the hidden neuron
    by_formula = {
        "w1": d_error_d_y1 * slope_1 * z1,
        "w2": d_error_d_y1 * slope_1 * w1 * slope_2 * z2,
    }
    # The same through the nodes: multiply (w2 z2), sigmoid, multiply (w1 z1), sigmoid.
    mul_2, sig_2, mul_1, sig_1 = MultiplyNode(), Sigmoid(), MultiplyNode(), Sigmoid()
    hidden = sig_2.forward(np.float64(mul_2.forward(w2, z2)))
    out = sig_1.forward(np.float64(mul_1.forward(w1, float(hidden))))
    d_out = 2.0 * (float(out) - t)
    d_w1, d_z1 = mul_1.backward(float(sig_1.backward(d_out)))
    d_w2, _ = mul_2.backward(float(sig_2.backward(d_z1)))
    return SigmoidChain(z2, w2, w1, t, z1, y1, error, by_formula,
                        {"w1": float(d_w1), "w2": float(d_w2)})


def numerical_gradient(function, array: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences (f(x + h) - f(x - h)) / 2h for every entry of ``array``, in place.

    The definition of the derivative the seed starts from, with the
    symmetric difference (error O(h^2)); ``array`` is perturbed and restored
    entry by entry, so ``function()`` must read it.
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        high = function()
        array[index] = original - h
        low = function()
        array[index] = original
        grad[index] = (high - low) / (2.0 * h)
    return grad


def one_hot(labels, num_classes: int) -> np.ndarray:
    """(N,) class ids -> (N, num_classes) float64 one-hot rows."""
    num_classes = check_int("num_classes", num_classes, low=1)
    labels = np.asarray(labels).astype(int)
    return np.eye(num_classes)[labels]
