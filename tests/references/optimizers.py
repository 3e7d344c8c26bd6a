"""NumPy transcriptions of every optimizer rule, per convention.

``RULES[(name, convention)](**hyperparameters)`` returns a step function
``step(w, g, state, lr, t) -> new w`` (t = 1, 2, ...; ``state`` is a dict the
function keeps its buffers in). ``trajectory`` runs one from ``w0``.

Sources, one per convention:
- course: the seeds (000-004), cited per rule;
- tf1: the kernels behind ``tf.compat.v1.train`` (tensorflow/core/kernels/
  training_ops.cc) and the TF 1.15 contrib optimizers;
- keras: ``keras/src/optimizers/*.py`` of Keras 3.15;
- torch: the algorithm boxes of the ``torch.optim`` documentation (2.x).

Hyperparameters are taken exactly (float64); where a framework rounds them
through float32 the test that compares against it says so.
"""

from __future__ import annotations

import numpy as np


def _slot(state, key, like, value=0.0):
    if key not in state:
        state[key] = np.full_like(like, value, dtype=np.float64)
        state.setdefault("initial", {})[key] = value  # for sparse_trajectory's rows
    return state[key]


def _decay_and_l2(step, *, l2=0.0, weight_decay=0.0, decay_times_lr=True):
    """Wrap ``step`` with coupled L2 (g + l2 w) and decoupled decay (before the step).

    Under ``sparse_trajectory(..., decay_rows=True)`` the decay reaches only the
    rows the gradient touched (``state["touched"]``), as TF 1.15 contrib's
    ``_decay_weights_sparse_op`` does.
    """

    def wrapped(w, g, state, lr, t):
        if l2:
            g = g + l2 * w
        if weight_decay:
            factor = lr * weight_decay if decay_times_lr else weight_decay
            rows = state.get("touched", True)
            w = w - factor * w * np.reshape(rows, (-1,) + (1,) * (w.ndim - 1)) \
                if "touched" in state else w - factor * w
        return step(w, g, state, lr, t)

    return wrapped


# --------------------------------------------------------------- gradient descent
def gradient_descent():
    """Seed 003: W := W - alpha dW (identical in TF1, Keras, torch)."""
    return lambda w, g, state, lr, t: w - lr * g


# ----------------------------------------------------------------------- momentum
def momentum_course(momentum, bias_correction=False):
    """Seed 003 (C2W2L06): V = b V + (1 - b) dW; W := W - a V.

    bias_correction (seed 003, C2W2L05 applied to C2W2L06): W := W - a V / (1 - b^t),
    V itself unchanged.
    """

    def step(w, g, state, lr, t):
        v = state["v"] = momentum * _slot(state, "v", w) + (1 - momentum) * g
        if bias_correction:
            return w - lr * v / (1 - momentum ** t)
        return w - lr * v

    return step


def momentum_tf1(momentum, nesterov=False):
    """ApplyMomentum: accum = accum * mu + g; var -= lr * accum (nesterov: lr * (g + mu accum))."""

    def step(w, g, state, lr, t):
        a = state["a"] = _slot(state, "a", w) * momentum + g
        return w - lr * (g + momentum * a) if nesterov else w - lr * a

    return step


def momentum_keras(momentum, nesterov=False):
    """keras SGD: m = m * mu - g * lr; var += m (nesterov: var += m * mu - g * lr)."""

    def step(w, g, state, lr, t):
        m = state["m"] = _slot(state, "m", w) * momentum - g * lr
        return w + (m * momentum - g * lr) if nesterov else w + m

    return step


def momentum_torch(momentum, dampening=0.0, nesterov=False):
    """torch.optim.SGD docs: b_1 = g; b_t = mu b_{t-1} + (1 - tau) g; nesterov: g + mu b."""

    def step(w, g, state, lr, t):
        if "b" not in state:
            b = state["b"] = g.copy()
        else:
            b = state["b"] = momentum * state["b"] + (1 - dampening) * g
        direction = g + momentum * b if nesterov else b
        return w - lr * direction

    return step


def nesterov_course_trajectory(w0, grad, lrs, momentum):
    """Seed 002's NAG run literally: gradients at theta - gamma v; returns phi_t."""
    theta = np.array(w0, dtype=np.float64)
    v = np.zeros_like(theta)
    points = [theta - momentum * v]
    for t in range(1, len(lrs) + 1):
        lookahead = theta - momentum * v
        v = momentum * v + lrs[t - 1] * grad(lookahead, t)
        theta = theta - v
        points.append(theta - momentum * v)
    return np.array(points)


# ------------------------------------------------------------------------ adagrad
def adagrad_course(epsilon, initial_accumulator_value=0.0):
    """Seed 002: G += g^2; theta -= eta / sqrt(G + eps) * g."""

    def step(w, g, state, lr, t):
        G = state["G"] = _slot(state, "G", w, initial_accumulator_value) + g * g
        return w - lr / np.sqrt(G + epsilon) * g

    return step


def adagrad_tf1(initial_accumulator_value):
    """ApplyAdagrad: accum += g^2; var -= lr * g * rsqrt(accum)."""

    def step(w, g, state, lr, t):
        G = state["G"] = _slot(state, "G", w, initial_accumulator_value) + g * g
        return w - lr * g / np.sqrt(G)

    return step


def adagrad_keras(epsilon, initial_accumulator_value):
    """keras Adagrad: acc += g^2; var -= lr * g / sqrt(acc + eps)."""
    return adagrad_course(epsilon, initial_accumulator_value)


def adagrad_torch(epsilon, initial_accumulator_value=0.0, lr_decay=0.0):
    """torch.optim.Adagrad docs: lr~ = lr / (1 + (t-1) eta); state += g^2; w -= lr~ g / (sqrt(state) + eps)."""

    def step(w, g, state, lr, t):
        clr = lr / (1 + (t - 1) * lr_decay)
        G = state["G"] = _slot(state, "G", w, initial_accumulator_value) + g * g
        return w - clr * g / (np.sqrt(G) + epsilon)

    return step


# ------------------------------------------------------------------------ rmsprop
def rmsprop(rho, epsilon, momentum=0.0, centered=False, *, mean_square_0=0.0,
            epsilon_inside=True, lr_in_momentum=True):
    """One transcription with the three switches conventions.md 2.4 measures.

    course (seed 003): S = b2 S + (1 - b2) dW^2; W -= a dW / sqrt(S + eps)
        -> mean_square_0=0, epsilon_inside, lr_in_momentum (TF/Keras form when mu > 0)
    tf1 (ApplyRMSProp / ApplyCenteredRMSProp): ms starts at 1, eps inside,
        mom = mu mom + lr g / sqrt(ms [- mg^2] + eps); var -= mom
    keras RMSprop: as tf1 but ms starts at 0 (and no momentum slot when mu = 0)
    torch RMSprop docs: v = a v + (1 - a) g^2; centered: v~ = v - g_ave^2;
        b = mu b + g / (sqrt(v~) + eps); w -= lr b   (mu = 0: w -= lr g / (sqrt(v~) + eps))
    """

    def step(w, g, state, lr, t):
        ms = state["ms"] = rho * _slot(state, "ms", w, mean_square_0) + (1 - rho) * g * g
        d = ms
        if centered:
            mg = state["mg"] = rho * _slot(state, "mg", w) + (1 - rho) * g
            d = ms - mg * mg
        den = np.sqrt(d + epsilon) if epsilon_inside else np.sqrt(d) + epsilon
        if momentum > 0:
            if lr_in_momentum:
                mom = state["mom"] = momentum * _slot(state, "mom", w) + lr * g / den
                return w - mom
            mom = state["mom"] = momentum * _slot(state, "mom", w) + g / den
            return w - lr * mom
        return w - lr * g / den

    return step


# ----------------------------------------------------------------------- adadelta
def adadelta(rho, epsilon):
    """Zeiler 2012 Alg. 1 times lr (TF1 ApplyAdadelta, keras, torch docs alike)."""

    def step(w, g, state, lr, t):
        eg2 = state["eg2"] = rho * _slot(state, "eg2", w) + (1 - rho) * g * g
        dx = np.sqrt(_slot(state, "edx2", w) + epsilon) / np.sqrt(eg2 + epsilon) * g
        state["edx2"] = rho * state["edx2"] + (1 - rho) * dx * dx
        return w - lr * dx

    return step


# --------------------------------------------------------------------------- adam
def adam(beta_1, beta_2, epsilon, amsgrad=False, *, form, power_bases=None):
    """Adam's three epsilon placements (conventions.md 2.6).

    form="course" (seed 003): W -= a V_corr / sqrt(S_corr + eps)
    form="torch" (torch.optim.Adam docs): w -= lr m_hat / (sqrt(v_hat) + eps);
        amsgrad: v_max = max(v_max, v) over the raw v (torch source), v_hat = v_max / bc2
    form="hat" (TF1 ApplyAdam, keras Adam): lr_t = lr sqrt(1 - b2^t) / (1 - b1^t);
        w -= lr_t m / (sqrt(v) + eps); keras amsgrad: v_hat = max(v_hat, v) replaces v
    power_bases: the (b1, b2) raised to t in the bias corrections, when a test
        reproduces a framework's rounding of them (default: beta_1, beta_2).
    """
    base_1, base_2 = power_bases or (beta_1, beta_2)

    def step(w, g, state, lr, t):
        m = state["m"] = beta_1 * _slot(state, "m", w) + (1 - beta_1) * g
        v = state["v"] = beta_2 * _slot(state, "v", w) + (1 - beta_2) * g * g
        if amsgrad:
            v = state["v_max"] = np.maximum(_slot(state, "v_max", w), v)
        bc1, bc2 = 1 - base_1 ** t, 1 - base_2 ** t
        if form == "hat":
            return w - lr * np.sqrt(bc2) / bc1 * m / (np.sqrt(v) + epsilon)
        if form == "torch":
            return w - lr * (m / bc1) / (np.sqrt(v / bc2) + epsilon)
        return w - lr * (m / bc1) / np.sqrt(v / bc2 + epsilon)

    return step


def adamw(beta_1, beta_2, epsilon, weight_decay, amsgrad=False, *, form, decay_times_lr=True):
    """Decoupled decay before the Adam step (Loshchilov & Hutter; keras base optimizer;
    torch.optim.AdamW docs: theta *= 1 - lr lambda; TF 1.15 contrib AdamWOptimizer:
    var -= wd * var, not times lr)."""
    return _decay_and_l2(adam(beta_1, beta_2, epsilon, amsgrad, form=form),
                         weight_decay=weight_decay, decay_times_lr=decay_times_lr)


# -------------------------------------------------------------------------- nadam
def nadam_dozat(beta_1, beta_2, epsilon, momentum_decay, *, epsilon_inside=False,
                decay_base=0.96, product_decay_base=0.96):
    """Dozat 2016 Alg. 2 as torch.optim.NAdam documents it (psi = momentum_decay):

    mu_t = b1 (1 - 0.5 * 0.96^(t psi)); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
    m_hat = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g / (1 - prod_{i<=t} mu_i)
    v_hat = v / (1 - b2^t); w -= lr m_hat / (sqrt(v_hat) + eps)
    keras Nadam is psi = 1; the course convention puts eps inside the root.
    ``decay_base`` lets a test reproduce Keras' float32 rounding of 0.96 in
    mu_t and mu_{t+1} (Keras' running product uses the exact 0.96).
    """

    def step(w, g, state, lr, t):
        mu_t = beta_1 * (1 - 0.5 * decay_base ** (t * momentum_decay))
        mu_next = beta_1 * (1 - 0.5 * decay_base ** ((t + 1) * momentum_decay))
        mu_product = beta_1 * (1 - 0.5 * product_decay_base ** (t * momentum_decay))
        product = state["product"] = state.get("product", 1.0) * mu_product
        m = state["m"] = beta_1 * _slot(state, "m", w) + (1 - beta_1) * g
        v = state["v"] = beta_2 * _slot(state, "v", w) + (1 - beta_2) * g * g
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu_t) * g / (1 - product)
        v_hat = v / (1 - beta_2 ** t)
        den = np.sqrt(v_hat + epsilon) if epsilon_inside else np.sqrt(v_hat) + epsilon
        return w - lr * m_hat / den

    return step


def nadam_tf1(beta_1, beta_2, epsilon):
    """ApplyAdam(use_nesterov=True), what TF 1.15 contrib NadamOptimizer ran:
    var -= lr_t (b1 m + (1 - b1) g) / (sqrt(v) + eps)."""

    def step(w, g, state, lr, t):
        m = state["m"] = beta_1 * _slot(state, "m", w) + (1 - beta_1) * g
        v = state["v"] = beta_2 * _slot(state, "v", w) + (1 - beta_2) * g * g
        lr_t = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return w - lr_t * (beta_1 * m + (1 - beta_1) * g) / (np.sqrt(v) + epsilon)

    return step


# ------------------------------------------------------------------- the table
def _rule(name, convention, hp):
    hp = dict(hp)
    l2 = hp.pop("l2", 0.0)
    weight_decay = hp.pop("weight_decay", None)
    if name == "gradient_descent":
        step = gradient_descent()
    elif name == "momentum":
        step = {"course": lambda: momentum_course(hp["momentum"],
                                                  hp.get("bias_correction", False)),
                "tf1": lambda: momentum_tf1(hp["momentum"]),
                "keras": lambda: momentum_keras(hp["momentum"]),
                "torch": lambda: momentum_torch(hp["momentum"], hp.get("dampening", 0.0)),
                }[convention]()
    elif name == "nesterov":
        step = {"course": lambda: momentum_keras(hp["momentum"], nesterov=True),
                "tf1": lambda: momentum_tf1(hp["momentum"], nesterov=True),
                "keras": lambda: momentum_keras(hp["momentum"], nesterov=True),
                "torch": lambda: momentum_torch(hp["momentum"], nesterov=True),
                }[convention]()
    elif name == "adagrad":
        acc0 = hp.get("initial_accumulator_value")
        step = {"course": lambda: adagrad_course(hp["epsilon"], acc0 or 0.0),
                "tf1": lambda: adagrad_tf1(acc0),
                "keras": lambda: adagrad_keras(hp["epsilon"], acc0),
                "torch": lambda: adagrad_torch(hp["epsilon"], acc0 or 0.0,
                                               hp.get("lr_decay", 0.0)),
                }[convention]()
    elif name == "rmsprop":
        switches = {"course": {}, "keras": {}, "tf1": {"mean_square_0": 1.0},
                    "torch": {"epsilon_inside": False, "lr_in_momentum": False}}[convention]
        step = rmsprop(hp["rho"], hp["epsilon"], hp.get("momentum", 0.0),
                       hp.get("centered", False), **switches)
    elif name == "adadelta":
        step = adadelta(hp["rho"], hp["epsilon"])
    elif name in ("adam", "adamw"):
        form = {"course": "course", "tf1": "hat", "keras": "hat", "torch": "torch"}[convention]
        step = adam(hp["beta_1"], hp["beta_2"], hp["epsilon"], hp.get("amsgrad", False),
                    form=form)
        if name == "adamw":
            return _decay_and_l2(step, l2=l2, weight_decay=weight_decay,
                                 decay_times_lr=convention != "tf1")
    elif name == "nadam":
        if convention == "tf1":
            step = nadam_tf1(hp["beta_1"], hp["beta_2"], hp["epsilon"])
        else:
            step = nadam_dozat(hp["beta_1"], hp["beta_2"], hp["epsilon"],
                               hp["momentum_decay"], epsilon_inside=convention == "course")
    else:
        raise KeyError(name)
    return _decay_and_l2(step, l2=l2, weight_decay=weight_decay or 0.0)


def rule(name, convention, **hyperparameters):
    """The NumPy step function of ``name`` under ``convention``."""
    return _rule(name, convention, hyperparameters)


def trajectory(step, w0, grad, lrs):
    """Run ``step`` for len(lrs) updates; grad(w, t) gives the gradient at step t."""
    w = np.array(w0, dtype=np.float64)
    state = {}
    points = [w.copy()]
    for t in range(1, len(lrs) + 1):
        w = step(w, grad(w, t), state, lrs[t - 1], t)
        points.append(np.array(w, dtype=np.float64))
    return np.array(points)


# ----------------------------------------------------------- sparse gradients
def summed_gradient(values, indices, num_rows):
    """The dense gradient of an IndexedSlices: repeated rows add up."""
    values = np.asarray(values, dtype=np.float64)
    g = np.zeros((num_rows,) + values.shape[1:])
    np.add.at(g, np.asarray(indices), values)
    return g


def sparse_trajectory(step, w0, slices, lrs, *, rows=None, decay_rows=False):
    """Run ``step`` on IndexedSlices-like gradients ``slices[t-1] = (values, indices)``.

    rows=None ("summed"): the dense rule on the summed gradient, every row.
    rows="all" (TF1's SparseApply* kernels): the same, then every row the
        gradient did not touch set back, in the weights and in every slot.
    rows="weights" (TF 1.15 contrib Nadam): slots on every row, the weights'
        untouched rows set back.
    decay_rows: decoupled decay on the touched rows only (contrib AdamW).
    """
    w = np.array(w0, dtype=np.float64)
    state = {}
    points = [w.copy()]
    for t in range(1, len(lrs) + 1):
        values, indices = slices[t - 1]
        g = summed_gradient(values, indices, w.shape[0])
        touched = np.zeros(w.shape[0], dtype=bool)
        touched[np.asarray(indices)] = True
        if decay_rows:
            state["touched"] = touched
        before = {key: np.copy(value) for key, value in state.items()
                  if isinstance(value, np.ndarray) and value.shape == w.shape}
        new = np.array(step(w, g, state, lrs[t - 1], t), dtype=np.float64)
        if rows is not None:
            keep = np.reshape(touched, (-1,) + (1,) * (w.ndim - 1))
            new = np.where(keep, new, w)
            if rows == "all":
                for key, old in before.items():
                    state[key] = np.where(keep, state[key], old)
                for key, initial in state.get("initial", {}).items():
                    if key not in before:  # a slot created at this step
                        state[key] = np.where(keep, state[key], initial)
        w = new
        points.append(w.copy())
    return np.array(points)
