"""NumPy transcription of Batch Normalization, Algorithms 1 and 2 (seed 000).

No Keras here: plain float64 arrays, written line by line from the paper.
"""

import numpy as np


def _moveaxis(x, axis):
    return np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1).reshape(-1, x.shape[axis])


def batch_moments(x, axis=-1):
    """Algorithm 1: mini-batch mean and biased variance per feature; m values each."""
    flat = _moveaxis(x, axis)  # (m, features)
    m = flat.shape[0]
    mu_b = flat.sum(0) / m
    sigma2_b = ((flat - mu_b) ** 2).sum(0) / m
    return mu_b, sigma2_b, m


def _broadcast(v, x, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    return np.asarray(v, dtype=np.float64).reshape(shape)


def algorithm1(x, gamma, beta, epsilon, axis=-1):
    """y_i = gamma * (x_i - mu_B) / sqrt(sigma2_B + eps) + beta."""
    mu_b, sigma2_b, _ = batch_moments(x, axis)
    x = np.asarray(x, dtype=np.float64)
    x_hat = (x - _broadcast(mu_b, x, axis)) / np.sqrt(_broadcast(sigma2_b, x, axis) + epsilon)
    return _broadcast(gamma, x, axis) * x_hat + _broadcast(beta, x, axis)


def algorithm2_population(batches, axis=-1):
    """Line 10: E[x] = mean of mu_B; Var[x] = m/(m-1) * mean of sigma2_B (equal m)."""
    moments = [batch_moments(b, axis) for b in batches]
    m = moments[0][2]
    assert all(mm[2] == m for mm in moments), "reference assumes equal batch sizes"
    e_x = np.mean([mm[0] for mm in moments], axis=0)
    var_x = m / (m - 1) * np.mean([mm[1] for mm in moments], axis=0)
    return e_x, var_x


def algorithm2_inference(x, gamma, beta, e_x, var_x, epsilon, axis=-1):
    """Line 11: y = gamma/sqrt(Var+eps) * x + (beta - gamma E[x]/sqrt(Var+eps))."""
    x = np.asarray(x, dtype=np.float64)
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var_x, np.float64) + epsilon)
    shift = np.asarray(beta, np.float64) - scale * np.asarray(e_x, np.float64)
    return _broadcast(scale, x, axis) * x + _broadcast(shift, x, axis)


def moving_update(moving_mean, moving_variance, mu_b, sigma2_b, momentum):
    """Keras semantics: keep `momentum` of the old value, biased batch variance."""
    return (momentum * moving_mean + (1 - momentum) * mu_b,
            momentum * moving_variance + (1 - momentum) * sigma2_b)
