"""Seed 003's exponentially weighted average, written out term by term.

C2W2L04 expands v_t = beta v_{t-1} + (1 - beta) theta_t with v_0 = 0 into
v_t = sum_{i=1..t} (1 - beta) beta^(t - i) theta_i, and C2W2L05 divides by
1 - beta^t (the sum of those weights).
"""

import numpy as np


def ewa_closed_form(values, beta, bias_correction=True):
    theta = np.asarray(values, dtype=np.float64)
    out = []
    for t in range(1, len(theta) + 1):
        weights = (1 - beta) * beta ** (t - np.arange(1, t + 1))
        v = np.tensordot(weights, theta[:t], axes=1)
        out.append(v / (1 - beta ** t) if bias_correction else v)
    return np.array(out)
