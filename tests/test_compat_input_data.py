"""tfcourse.compat's input_data: TF1's splits, next_batch order and data sources."""

import gzip
import struct

import numpy as np
import pytest
import tensorflow as tf

from tfcourse import data
from tfcourse.compat import input_data, legacy_graph, overrides, recording

FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_SEED", "TFCOURSE_TRACE"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


@pytest.fixture(scope="module")
def fashion():
    """The full Fashion-MNIST read as TF1 did (loaded once: it takes about a second)."""
    with overrides(dataset="fashion_mnist"), legacy_graph(seed=777):
        return input_data.read_data_sets("MNIST_data/", one_hot=True)


def test_splits_are_55000_5000_10000(fashion):
    assert fashion.train.num_examples == 55000
    assert fashion.validation.num_examples == 5000
    assert fashion.test.num_examples == 10000
    assert fashion.train.images.shape == (55000, 784) and fashion.train.images.dtype == np.float32
    assert fashion.train.labels.shape == (55000, 10)


def test_validation_is_the_first_5000_training_images_scaled_as_tf1(fashion):
    (x_train, y_train), (x_test, _) = data.load("fashion_mnist")
    # TF1: images.astype(float32) * (1.0 / 255.0); validation = train[:5000], train = train[5000:].
    expected = x_train[:5000].reshape(5000, 784).astype(np.float32) * np.float32(1.0 / 255.0)
    np.testing.assert_array_equal(fashion.validation.images, expected)
    np.testing.assert_array_equal(fashion.validation.labels.argmax(axis=1), y_train[:5000])
    np.testing.assert_array_equal(fashion.test.images[:10].max(axis=1) <= 1.0, True)
    np.testing.assert_array_equal(fashion.test.images[0], x_test[0].reshape(784) * np.float32(1 / 255))


def test_one_hot_rows_and_integer_labels():
    with overrides(dataset="synthetic", max_examples=50), legacy_graph():
        hot = input_data.read_data_sets("MNIST_data/", one_hot=True)
        ids = input_data.read_data_sets("MNIST_data/", one_hot=False)
    assert hot.train.labels.dtype == np.float64  # TF1's dense_to_one_hot dtype
    np.testing.assert_array_equal(hot.train.labels.sum(axis=1), 1.0)
    np.testing.assert_array_equal(hot.train.labels.argmax(axis=1), ids.train.labels)
    assert ids.train.labels.dtype == np.uint8


def test_next_batch_covers_every_example_once_per_epoch_and_reshuffles():
    with overrides(dataset="synthetic", max_examples=500), legacy_graph(seed=5):
        mnist = input_data.read_data_sets("MNIST_data/", one_hot=False)
    train = mnist.train
    original = train.images.copy()
    with recording() as trace:
        epochs = [[train.next_batch(100) for _ in range(5)] for _ in range(2)]
    orders = [np.concatenate(trace.train_batches[i * 5:(i + 1) * 5]) for i in range(2)]
    for order, batches in zip(orders, epochs):
        assert sorted(order) == list(range(500))  # each example exactly once
        np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), original[order])
    assert not np.array_equal(orders[0], orders[1])  # reshuffled at the epoch end
    assert train.epochs_completed == 1  # TF1 counts an epoch when the next one starts


def test_first_epoch_order_is_tf1s_numpy_shuffle_of_the_graph_seed():
    with overrides(dataset="synthetic", max_examples=300), legacy_graph(seed=777):
        train = input_data.read_data_sets("MNIST_data/", one_hot=True).train
    with recording() as trace:
        train.next_batch(100)
        train.next_batch(100)
        train.next_batch(100)
        train.next_batch(100)
    # TF1: numpy.random.seed(graph seed); numpy.random.shuffle(arange(N)) at the first
    # call, and again at each epoch end.
    np.random.seed(777)
    first = np.arange(300)
    np.random.shuffle(first)
    second = np.arange(300)
    np.random.shuffle(second)
    np.testing.assert_array_equal(np.concatenate(trace.train_batches[:3]), first)
    np.testing.assert_array_equal(trace.train_batches[3], first[second][:100])


def test_batch_across_an_epoch_end_takes_the_rest_then_the_new_epoch():
    with overrides(dataset="synthetic", max_examples=500), legacy_graph(seed=3):
        train = input_data.read_data_sets("MNIST_data/").train
    with recording() as trace:
        train.next_batch(300)
        images, _ = train.next_batch(300)  # 200 left of epoch 1 + 100 of epoch 2
    first, second = trace.train_batches
    assert len(second) == 300
    assert set(second[:200]) == set(range(500)) - set(first)  # the rest of epoch 1
    assert len(set(second[200:])) == 100  # then the start of the reshuffled epoch 2
    assert train.epochs_completed == 1


def test_seed_order_argument_then_graph_then_tfcourse_seed(monkeypatch):
    with legacy_graph(seed=11):
        assert input_data.resolve_seed() == 11
        assert input_data.resolve_seed(4) == 4
    monkeypatch.setenv("TFCOURSE_SEED", "21")
    with legacy_graph():
        assert input_data.resolve_seed() == 21
    monkeypatch.delenv("TFCOURSE_SEED")
    with legacy_graph():
        assert input_data.resolve_seed() == input_data.DEFAULT_SEED


def test_max_examples_truncates_every_split(monkeypatch):
    monkeypatch.setenv("TFCOURSE_DATASET", "fashion_mnist")
    monkeypatch.setenv("TFCOURSE_MAX_EXAMPLES", "120")
    with legacy_graph():
        mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
    assert (mnist.train.num_examples, mnist.validation.num_examples, mnist.test.num_examples) == (120, 120, 120)


def _write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_reads_the_programs_folder_when_it_holds_the_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 28, 28))
    labels = rng.integers(0, 10, size=30)
    for stem, array in zip(data.IDX_FILES, (images, labels, images[:7], labels[:7])):
        _write_idx(tmp_path / f"{stem}.gz", array)
    with legacy_graph():
        mnist = input_data.read_data_sets(str(tmp_path), one_hot=False, validation_size=10)
        with pytest.raises(ValueError, match=r"`validation_size` must be an integer in \[0, 30\]\. Received: validation_size=40"):
            input_data.read_data_sets(str(tmp_path), validation_size=40)
    assert (mnist.train.num_examples, mnist.validation.num_examples, mnist.test.num_examples) == (20, 10, 7)
    np.testing.assert_array_equal(mnist.validation.labels, labels[:10])
    np.testing.assert_array_equal(mnist.train.images[0] * 255, images[10].reshape(784).astype(np.float32)
                                  * np.float32(1 / 255) * 255)


def test_reshape_false_and_uint8_keep_tf1_shapes():
    with overrides(dataset="synthetic", max_examples=20), legacy_graph():
        mnist = input_data.read_data_sets("x", reshape=False, dtype=tf.uint8)
    assert mnist.train.images.shape == (20, 28, 28, 1) and mnist.train.images.dtype == np.uint8


def test_bad_knobs_and_arguments_are_named():
    with pytest.raises(ValueError, match=r"`dataset` must be one of \['mnist', 'fashion_mnist', 'synthetic'\]\. Received: dataset='cifar'"):
        with overrides(dataset="cifar"):
            pass
    with overrides(dataset="synthetic", max_examples=10), legacy_graph():
        with pytest.raises(ValueError, match=r"`fake_data` does not apply .*synthetic.* Received: fake_data=True"):
            input_data.read_data_sets("x", fake_data=True)
        train = input_data.read_data_sets("x").train
        with pytest.raises(ValueError, match=r"`batch_size` must be an integer in \[1, 10\]\. Received: batch_size=11"):
            train.next_batch(11)


def test_environment_knobs_are_checked(monkeypatch):
    from tfcourse.compat import settings

    monkeypatch.setenv("TFCOURSE_DATASET", "cifar")
    with pytest.raises(ValueError, match=r"`TFCOURSE_DATASET` must be one of .* Received: TFCOURSE_DATASET='cifar'"):
        settings.current()
    monkeypatch.setenv("TFCOURSE_DATASET", "synthetic")
    monkeypatch.setenv("TFCOURSE_MAX_EXAMPLES", "many")
    with pytest.raises(TypeError, match=r"`TFCOURSE_MAX_EXAMPLES` must be an integer\. Received: TFCOURSE_MAX_EXAMPLES='many'"):
        settings.current()
    monkeypatch.setenv("TFCOURSE_MAX_EXAMPLES", "0")
    with pytest.raises(ValueError, match=r"`TFCOURSE_MAX_EXAMPLES` must be an integer in \[1, inf\)\. Received: TFCOURSE_MAX_EXAMPLES=0"):
        settings.current()


def test_missing_mnist_points_to_fashion_mnist(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_keras_download", lambda name: (_ for _ in ()).throw(OSError("offline")))
    monkeypatch.setattr(data, "_SYSTEM_DIRS", {**data._SYSTEM_DIRS, "mnist": (str(tmp_path / "none"),)})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with legacy_graph(), pytest.raises(FileNotFoundError, match=r"TFCOURSE_DATASET=fashion_mnist"):
        input_data.read_data_sets(str(tmp_path / "MNIST_data"))
