"""The exponentially weighted average of seed 003 (C2W2L03-L05), in NumPy.

    v_0 = 0
    v_t = beta v_{t-1} + (1 - beta) theta_t          (about 1/(1 - beta) values)
    bias-corrected: v_t / (1 - beta^t)

Momentum, RMSProp and Adam are this average applied to the gradients
(``tfcourse.optimizers``). NumPy only: no TensorFlow or Keras import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcourse._validation import check_bool, check_int, check_unit_interval

__all__ = ["ewa"]


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
