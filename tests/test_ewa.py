"""tfcourse.ewa: seed 003's exponentially weighted average."""

import subprocess
import sys

import numpy as np
import pytest

import tfcourse
from tests.references.ewa import ewa_closed_form


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98])
@pytest.mark.parametrize("bias_correction", [True, False])
def test_matches_the_expanded_sum(beta, bias_correction):
    temperatures = 10 + 5 * np.sin(np.arange(60) / 6) + np.random.default_rng(0).normal(size=60)
    got = tfcourse.ewa(temperatures, beta, bias_correction=bias_correction)
    np.testing.assert_allclose(got, ewa_closed_form(temperatures, beta, bias_correction),
                               rtol=1e-12)


def test_seed_003_numbers():
    # C2W2L05: with beta = 0.98, v_2 / (1 - 0.98^2) = (0.0196 theta_1 + 0.02 theta_2) / 0.0396.
    theta = [30.0, 40.0]
    v = tfcourse.ewa(theta, 0.98, bias_correction=False)
    np.testing.assert_allclose(v, [0.6, 0.0196 * 30 + 0.02 * 40], rtol=1e-12)
    corrected = tfcourse.ewa(theta, 0.98)
    np.testing.assert_allclose(corrected[1], (0.0196 * 30 + 0.02 * 40) / 0.0396, rtol=1e-12)
    # A constant series is returned unchanged once bias-corrected, and is biased low without.
    assert np.allclose(tfcourse.ewa(np.full(5, 7.0), 0.9), 7.0)
    assert tfcourse.ewa(np.full(5, 7.0), 0.9, bias_correction=False)[0] == pytest.approx(0.7)


def test_several_series_side_by_side():
    series = np.random.default_rng(1).normal(size=(20, 3))
    together = tfcourse.ewa(series, 0.9)
    for column in range(3):
        np.testing.assert_allclose(together[:, column], tfcourse.ewa(series[:, column], 0.9))


def test_bad_input():
    with pytest.raises(ValueError, match=r"`beta` must be in \[0.0, 1.0\)\. Received: beta=1"):
        tfcourse.ewa([1.0], 1)
    with pytest.raises(ValueError, match=r"`len\(values\)` must be an integer in \[1, inf\)\. "
                                         r"Received: len\(values\)=0\. Pass a non-empty"):
        tfcourse.ewa([], 0.9)
    with pytest.raises(TypeError, match=r"`bias_correction` must be True or False"):
        tfcourse.ewa([1.0], 0.9, bias_correction="yes")


def test_is_numpy_only():
    code = ("import sys, tfcourse, tfcourse.averages; "
            "assert float(tfcourse.ewa([2.0], 0.5)[0]) == 2.0; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_seed_003_window_is_one_over_one_minus_beta():
    from tfcourse.averages import averaging_window

    # "beta = 0.9: ~10 days, 0.98: ~50 days, 0.5: ~2 days"; float64 1/(1-beta).
    assert averaging_window(0.9) == pytest.approx(10.0, rel=1e-12)
    assert averaging_window(0.98) == pytest.approx(50.0, rel=1e-12)
    assert averaging_window(0.5) == 2.0


def test_seed_003_one_over_e_rule():
    import math

    from tfcourse.averages import one_over_e_decay

    # "0.9^10 ~ 0.35 ~ 1/e" and "epsilon = 0.02 -> 0.98^50 ~ 1/e".
    assert one_over_e_decay(0.1) == pytest.approx(0.9**10, rel=1e-12)
    assert round(one_over_e_decay(0.1), 2) == 0.35
    assert one_over_e_decay(0.02) == pytest.approx(0.98**50, rel=1e-12)
    # ... and it tends to 1/e: within 2% at 0.02 and within 0.1% at 0.001.
    assert abs(one_over_e_decay(0.02) - 1 / math.e) < 0.02 / math.e
    assert abs(one_over_e_decay(0.001) - 1 / math.e) < 0.001 / math.e
    with pytest.raises(ValueError, match=r"`epsilon` must be in \(0.0, 1.0\)\. Received: epsilon=0"):
        one_over_e_decay(0)


def test_seed_003_unrolled_weights_reproduce_v_100():
    from tfcourse.averages import ewa_weights

    theta = 10 + np.random.default_rng(4).normal(size=100)
    weights = ewa_weights(0.9, 100)
    # v_100 = 0.1 theta_100 + 0.1 * 0.9 theta_99 + 0.1 * 0.9^2 theta_98 + ...
    assert weights[-1] == pytest.approx(0.1) and weights[-2] == pytest.approx(0.09)
    assert weights[-3] == pytest.approx(0.1 * 0.81)
    v = tfcourse.ewa(theta, 0.9, bias_correction=False)
    assert float(weights @ theta) == pytest.approx(v[-1], rel=1e-12)
    # The weights sum to 1 - beta^t: what bias correction divides by.
    assert weights.sum() == pytest.approx(1 - 0.9**100, rel=1e-12)
