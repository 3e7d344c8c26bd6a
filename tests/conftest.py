"""Shared test settings: quiet TensorFlow, float64 fixture, data locations."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture
def float64():
    """Run a test with Keras' floatx set to float64, then restore it."""
    import keras

    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """The Debian package's folder; CI installs `dataset-fashion-mnist`."""
    if not os.path.isdir(FASHION_MNIST_DIR):
        pytest.fail(
            f"{FASHION_MNIST_DIR} is missing: install the Debian package dataset-fashion-mnist "
            "(apt-get install dataset-fashion-mnist), as .ci/run does"
        )
    return FASHION_MNIST_DIR
