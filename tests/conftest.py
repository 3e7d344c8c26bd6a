"""Shared test settings: quiet TensorFlow, float64 fixture, data locations."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture
def float64():
    """Run a test with Keras' floatx and global dtype policy at float64, then restore both.

    floatx alone is not enough once any layer exists: Keras keeps the float32 policy
    it derived then (see :func:`tfcourse._precision.float64_keras`).
    """
    from tfcourse._precision import float64_keras

    with float64_keras():
        yield


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """The Debian package's folder; CI installs `dataset-fashion-mnist`."""
    if not os.path.isdir(FASHION_MNIST_DIR):
        pytest.fail(
            f"{FASHION_MNIST_DIR} is missing: install the Debian package dataset-fashion-mnist "
            "(apt-get install dataset-fashion-mnist), as .ci/run does"
        )
    return FASHION_MNIST_DIR


@pytest.fixture(autouse=True)
def deterministic_ops_do_not_leak():
    """Switch TensorFlow's deterministic kernels back off after a test that switched them on.

    They are process-wide and refuse unseeded random ops (TF1 graphs without a
    seed), so ``tfcourse.set_seed`` in one test would change what later tests do.
    """
    from tfcourse.seeding import _op_determinism_enabled

    before = _op_determinism_enabled() if "tensorflow" in sys.modules else False
    yield
    if before is False and "tensorflow" in sys.modules and _op_determinism_enabled():
        from tensorflow.python.framework import config

        config.disable_op_determinism()
