"""tfcourse.data: IDX parsing and validation, search order, synthetic data, pipelines."""

import gzip
import struct

import numpy as np
import pytest

from tfcourse import data
from tfcourse._validation import DataFileError, DatasetNotFoundError


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx_folder(folder, num_train=12, num_test=5, seed=0, gz=True):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (num_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, num_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (num_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, num_test),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        payload = idx_bytes(array)
        if gz:
            with gzip.open(folder / f"{stem}.gz", "wb") as handle:
                handle.write(payload)
        else:
            (folder / stem).write_bytes(payload)
    return {key: value.astype(np.uint8) for key, value in arrays.items()}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No environment variable, an empty Keras cache, no system folder, no network."""
    monkeypatch.delenv("TFCOURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr(data, "_SYSTEM_DIRS", {"mnist": (str(tmp_path / "sys-mnist"),),
                                               "fashion_mnist": (str(tmp_path / "sys-fashion"),)})

    def no_network(name):
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(data, "_keras_download", no_network)
    return tmp_path


# --- IDX parsing ------------------------------------------------------------


def test_parse_idx_round_trips_shape_and_values():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(data.parse_idx(idx_bytes(array)), array)


def test_parse_idx_reads_big_endian_int32():
    values = np.array([1, -2, 70000], dtype=">i4")
    raw = struct.pack(">HBB", 0, 0x0C, 1) + struct.pack(">I", 3) + values.tobytes()
    np.testing.assert_array_equal(data.parse_idx(raw), [1, -2, 70000])


def test_parse_idx_rejects_bad_magic_number():
    raw = b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00"
    with pytest.raises(DataFileError, match=r"x\.gz is not an IDX file: bad magic number 0x01020801"):
        data.parse_idx(raw, source="x.gz")


def test_parse_idx_rejects_a_file_shorter_than_the_header():
    with pytest.raises(DataFileError, match=r"f is not an IDX file: it has 2 bytes"):
        data.parse_idx(b"\x00\x00", source="f")
    raw = struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">I", 5)
    with pytest.raises(DataFileError, match=r"f is truncated: its header announces 3 dimensions"):
        data.parse_idx(raw, source="f")


def test_parse_idx_rejects_truncated_and_overlong_payloads():
    raw = idx_bytes(np.zeros((4, 28, 28)))
    with pytest.raises(DataFileError, match=r"f is truncated: its header announces shape \(4, 28, 28\) "
                                            r"\(3136 bytes of data\) but the file holds 3135 bytes"):
        data.parse_idx(raw[:-1], source="f")
    with pytest.raises(DataFileError, match=r"f is longer than its header says"):
        data.parse_idx(raw + b"\x00", source="f")


def test_read_idx_names_the_file_of_a_corrupt_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataFileError, match=rf"Cannot read the data file {path}"):
        data.read_idx(path)


def test_truncated_gzip_in_a_data_folder_is_reported_by_name(isolated):
    folder = isolated / "d"
    write_idx_folder(folder)
    blob = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataFileError, match=r"train-images-idx3-ubyte\.gz"):
        data.load("mnist", folder)


def test_mismatched_image_and_label_counts_are_refused(isolated):
    folder = isolated / "d"
    write_idx_folder(folder)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(idx_bytes(np.zeros(11)))
    with pytest.raises(DataFileError, match=r"has 12 images but .*train-labels-idx1-ubyte\.gz has 11 labels"):
        data.load("mnist", folder)


def test_labels_outside_the_ten_classes_are_refused(isolated):
    folder = isolated / "d"
    write_idx_folder(folder)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(idx_bytes(np.array([0, 1, 2, 3, 10])))
    with pytest.raises(DataFileError, match=r"holds label 10; expected labels in \[0, 10\)"):
        data.load("mnist", folder)


def test_images_of_the_wrong_shape_are_refused(isolated):
    folder = isolated / "d"
    write_idx_folder(folder)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(idx_bytes(np.zeros((12, 32, 32))))
    with pytest.raises(DataFileError, match=r"shape \(12, 32, 32\); expected \(N, 28, 28\) images"):
        data.load("mnist", folder)


# --- where the files come from ------------------------------------------------


def test_data_dir_argument_comes_first(isolated, monkeypatch):
    explicit = write_idx_folder(isolated / "explicit", seed=1)
    write_idx_folder(isolated / "from-env", seed=2)
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(isolated / "from-env"))
    splits = data.load("mnist", isolated / "explicit")
    assert splits.source == str(isolated / "explicit")
    np.testing.assert_array_equal(splits.x_train, explicit["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(splits.y_test, explicit["t10k-labels-idx1-ubyte"])


def test_environment_variable_is_used_without_argument(isolated, monkeypatch):
    write_idx_folder(isolated / "from-env", gz=False)
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(isolated / "from-env"))
    assert data.load("fashion_mnist").source == str(isolated / "from-env")


def test_keras_cache_npz_is_found(isolated):
    cache = isolated / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(cache / "mnist.npz", x_train=rng.integers(0, 255, (7, 28, 28), dtype=np.uint8),
             y_train=np.arange(7, dtype=np.uint8), x_test=np.zeros((3, 28, 28), np.uint8),
             y_test=np.zeros(3, np.uint8))
    splits = data.load("mnist")
    assert splits.source == str(cache / "mnist.npz")
    assert splits.x_train.shape == (7, 28, 28) and splits.y_train.tolist() == list(range(7))


def test_npz_without_the_keras_arrays_is_reported(isolated):
    folder = isolated / "npz"
    folder.mkdir()
    np.savez(folder / "mnist.npz", images=np.zeros(3))
    with pytest.raises(DataFileError, match=r"mnist\.npz lacks the array 'x_train'"):
        data.load("mnist", folder)


def test_keras_cache_folder_for_fashion_mnist(isolated):
    write_idx_folder(isolated / "keras-home" / "datasets" / "fashion-mnist")
    splits = data.load("fashion_mnist")
    assert splits.source.endswith("keras-home/datasets/fashion-mnist")


def test_system_folder_comes_after_the_cache(isolated):
    write_idx_folder(isolated / "sys-fashion", num_train=9)
    splits = data.load("fashion_mnist")
    assert splits.source == str(isolated / "sys-fashion") and len(splits.x_train) == 9


def test_keras_download_is_the_last_resort(isolated, monkeypatch):
    calls = []

    def fake_download(name):
        calls.append(name)
        return (np.zeros((4, 28, 28), np.uint8), np.arange(4)), (np.zeros((2, 28, 28), np.uint8), np.arange(2))

    monkeypatch.setattr(data, "_keras_download", fake_download)
    splits = data.load("mnist")
    assert calls == ["mnist"] and splits.source.startswith("downloaded by Keras")


def test_missing_dataset_lists_every_place_tried_and_the_fixes(isolated):
    with pytest.raises(DatasetNotFoundError) as caught:
        data.load("fashion_mnist", isolated / "nowhere")
    message = str(caught.value)
    assert message.startswith("Cannot find the fashion_mnist dataset. Tried, in order:")
    for expected in ("the `data_dir` argument", "nowhere does not exist", "the Keras cache",
                     "a system folder", "sys-fashion", "Keras' download: failed (OSError: network unreachable",
                     "apt-get install dataset-fashion-mnist", "TFCOURSE_DATA_DIR", "go online"):
        assert expected in message, expected
    assert isinstance(caught.value, FileNotFoundError)


def test_download_false_is_reported_as_skipped(isolated):
    with pytest.raises(DatasetNotFoundError, match=r"Keras' download: skipped \(download=False\)"):
        data.load("mnist", download=False)
    with pytest.raises(DatasetNotFoundError, match=r"--dataset fashion_mnist"):
        data.load("mnist", download=False)


def test_folder_without_data_files_is_explained(isolated):
    (isolated / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match=r"empty holds neither the four IDX files nor mnist\.npz"):
        data.load("mnist", isolated / "empty", download=False)


def test_unknown_dataset_name_is_refused():
    with pytest.raises(ValueError, match=r"`name` must be one of \['mnist', 'fashion_mnist', 'synthetic'\]. "
                                         r"Received: name='cifar10'"):
        data.load("cifar10")


# --- formats ---------------------------------------------------------------------


def test_flatten_gives_float32_rows_in_unit_interval_and_one_hot_labels(isolated):
    raw = write_idx_folder(isolated / "d")
    (x_train, y_train), (x_test, y_test) = data.load("mnist", isolated / "d", flatten=True, one_hot_labels=True)
    assert x_train.dtype == np.float32 and x_train.shape == (12, 784)
    np.testing.assert_allclose(x_train * 255.0, raw["train-images-idx3-ubyte"].reshape(12, 784), atol=1e-4)
    assert y_test.shape == (5, 10) and y_test.dtype == np.float32
    np.testing.assert_array_equal(y_test.argmax(1), raw["t10k-labels-idx1-ubyte"])
    assert y_test.sum(axis=1).tolist() == [1.0] * 5


def test_num_train_and_num_test_keep_the_first_examples(isolated):
    raw = write_idx_folder(isolated / "d")
    splits = data.load("mnist", isolated / "d", num_train=3, num_test=2)
    np.testing.assert_array_equal(splits.x_train, raw["train-images-idx3-ubyte"][:3])
    assert len(splits.y_test) == 2


def test_one_hot_refuses_labels_out_of_range():
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 10\). Received labels from 0 to 12"):
        data.one_hot(np.array([0, 12]))


def test_synthetic_is_deterministic_and_shaped_like_mnist():
    first = data.load("synthetic", num_train=300, num_test=50, seed=3)
    second = data.load("synthetic", num_train=300, num_test=50, seed=3)
    other = data.load("synthetic", num_train=300, num_test=50, seed=4)
    assert first.x_train.shape == (300, 28, 28) and first.x_train.dtype == np.uint8
    np.testing.assert_array_equal(first.x_train, second.x_train)
    assert not np.array_equal(first.x_train, other.x_train)
    assert set(np.unique(first.y_train)) == set(range(10))
    assert first.source == "generated"


def test_synthetic_classes_are_learnable_but_not_trivial():
    (x_train, y_train), (x_test, y_test) = data.load("synthetic", flatten=True, seed=0)
    # Nearest class mean: the problem has structure (far above 10% chance) ...
    means = np.stack([x_train[y_train == k].mean(0) for k in range(10)])
    predictions = ((x_test[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    accuracy = (predictions == y_test).mean()
    assert accuracy > 0.8
    # ... yet single pixels do not separate it (the noise is large).
    assert np.abs(x_train[y_train == 0] - means[0]).mean() > 0.15


def test_synthetic_rejects_non_integer_sizes():
    with pytest.raises(TypeError, match=r"`num_train` must be an integer. Received: num_train=1.5"):
        data.load("synthetic", num_train=1.5)


def test_real_fashion_mnist_from_the_debian_package(fashion_mnist_dir):
    splits = data.load("fashion_mnist", fashion_mnist_dir, download=False)
    assert splits.x_train.shape == (60000, 28, 28) and splits.x_test.shape == (10000, 28, 28)
    assert data.class_counts(splits.y_train).tolist() == [6000] * 10
    assert data.class_counts(splits.y_test).tolist() == [1000] * 10


# --- tf.data pipeline -------------------------------------------------------------


def test_pipeline_batches_all_examples_and_reshuffles_every_epoch():
    x = np.arange(50, dtype=np.float32).reshape(50, 1)
    y = np.arange(50)
    dataset = data.pipeline(x, y, batch_size=8, shuffle=True, seed=7)
    epochs = [np.concatenate([batch_y.numpy() for _, batch_y in dataset]) for _ in range(2)]
    assert [len(b) for b, _ in dataset.as_numpy_iterator()] == [8] * 6 + [2]
    assert sorted(epochs[0].tolist()) == list(range(50)) == sorted(epochs[1].tolist())
    assert epochs[0].tolist() != epochs[1].tolist()
    again = data.pipeline(x, y, batch_size=8, shuffle=True, seed=7)
    assert np.concatenate([b.numpy() for _, b in again]).tolist() == epochs[0].tolist()


def test_pipeline_without_shuffle_keeps_order_and_pairs():
    x = np.arange(10, dtype=np.float32) * 2
    y = np.arange(10)
    batches = list(data.pipeline(x, y, batch_size=4, shuffle=False).as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate([b for b, _ in batches]), x)
    for batch_x, batch_y in batches:
        np.testing.assert_array_equal(batch_x, batch_y * 2)


def test_pipeline_rejects_bad_input():
    with pytest.raises(ValueError, match=r"same number of examples. Received: len\(x\)=3, len\(y\)=2"):
        data.pipeline(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer in \[1, inf\). Received: batch_size=0"):
        data.pipeline(np.zeros(3), np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match=r"`x` must hold at least one example"):
        data.pipeline(np.zeros((0, 2)), np.zeros(0))


def test_corrupt_npz_is_reported_by_name(isolated):
    folder = isolated / "npz"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(DataFileError, match=r"Cannot read .*mnist\.npz as a NumPy \.npz archive"):
        data.load("mnist", folder)
