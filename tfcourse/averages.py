"""The exponentially weighted average of seed 003 (C2W2L03-L05), in NumPy.

    v_0 = 0
    v_t = beta v_{t-1} + (1 - beta) theta_t          (about 1/(1 - beta) values)
    bias-corrected: v_t / (1 - beta^t)

Why "about 1/(1 - beta) values" (C2W2L04): unrolled, v_t weights theta_{t-k}
by (1 - beta) beta^k (:func:`ewa_weights`); writing beta = 1 - epsilon, the
weight has fallen to 1/e of the newest one after about 1/epsilon values,
because (1 - epsilon)^(1/epsilon) ~ 1/e (:func:`one_over_e_decay`:
0.9^10 = 0.349, 0.98^50 = 0.364, against 1/e = 0.368). Hence the window
1/(1 - beta) (:func:`averaging_window`): 10 days for beta = 0.9, 50 for
0.98, 2 for 0.5.

Momentum, RMSProp and Adam are this average applied to the gradients
(``tfcourse.optimizers``). NumPy only: no TensorFlow or Keras import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcourse._validation import check_bool, check_int, check_range, check_unit_interval

__all__ = ["averaging_window", "ewa", "ewa_weights", "one_over_e_decay"]


def ewa(values: Any, beta: float, bias_correction: bool = True) -> np.ndarray:
    """Exponentially weighted average of ``values`` along their first axis.

    Seed 003's temperature example: with beta = 0.9 the average covers about
    10 days, with 0.98 about 50, with 0.5 about 2. Because v_0 = 0, the first
    averages are too small; ``bias_correction=True`` divides v_t by
    (1 - beta^t), which matters only for the first ~1/(1 - beta) values.

        v_t = beta v_{t-1} + (1 - beta) theta_t,  v_0 = 0
        returned: v_t / (1 - beta^t) if bias_correction else v_t,  t = 1..T

    Args:
        values: sequence or array, time along axis 0 (extra axes are averaged
            independently, e.g. several series side by side). At least one value.
        beta: in [0, 1). beta = 0 returns the values themselves.
        bias_correction: divide by (1 - beta^t). Defaults to True.

    Returns:
        float64 array of the same shape as ``values``: v_1 ... v_T.

    Example:

    >>> ewa([10.0, 10.0, 10.0], beta=0.5, bias_correction=False).tolist()
    [5.0, 7.5, 8.75]
    >>> ewa([10.0, 10.0, 10.0], beta=0.5).tolist()
    [10.0, 10.0, 10.0]

    References: seed 003 (C2W2L03 exponentially weighted averages, C2W2L05
    bias correction).
    """
    beta = check_unit_interval("beta", beta)
    bias_correction = check_bool("bias_correction", bias_correction)
    theta = np.asarray(values, dtype=np.float64)
    check_int("len(values)", theta.shape[0] if theta.ndim else 0, low=1,
              hint="Pass a non-empty sequence of values, time along axis 0")
    averages = np.empty_like(theta)
    v = np.zeros(theta.shape[1:])
    for t in range(theta.shape[0]):
        v = beta * v + (1.0 - beta) * theta[t]
        averages[t] = v
    if bias_correction:
        steps = np.arange(1, theta.shape[0] + 1, dtype=np.float64)
        correction = 1.0 - beta ** steps
        averages = averages / correction.reshape((-1,) + (1,) * (theta.ndim - 1))
    return averages


def averaging_window(beta: float) -> float:
    """1 / (1 - beta): how many recent values v_t roughly averages (seed 003, C2W2L03).

    >>> [round(averaging_window(b), 6) for b in (0.5, 0.9, 0.98)]
    [2.0, 10.0, 50.0]
    """
    beta = check_unit_interval("beta", beta)
    return 1.0 / (1.0 - beta)


def one_over_e_decay(epsilon: float) -> float:
    """(1 - epsilon)^(1/epsilon), which tends to 1/e as epsilon -> 0 (seed 003, C2W2L04).

    With beta = 1 - epsilon it is the weight of the value 1/epsilon steps back
    relative to the newest one: 0.9^10 = 0.3487 ("~0.35 ~ 1/e"),
    0.98^50 = 0.3642.

    Args:
        epsilon: in (0, 1).
    """
    epsilon = check_range("epsilon", epsilon, 0.0, 1.0, low_open=True, high_open=True)
    return (1.0 - epsilon) ** (1.0 / epsilon)


def ewa_weights(beta: float, t: int) -> np.ndarray:
    """The weight of theta_1 .. theta_t in v_t (no bias correction): (1 - beta) beta^(t - i).

    Seed 003's unrolled v_100 = 0.1 theta_100 + 0.1 * 0.9 theta_99 +
    0.1 * 0.9^2 theta_98 + ...; the weights sum to 1 - beta^t, the shortfall
    that bias correction divides away.
    """
    beta = check_unit_interval("beta", beta)
    t = check_int("t", t, low=1)
    return (1.0 - beta) * beta ** np.arange(t - 1, -1, -1, dtype=np.float64)
