"""The course's datasets: MNIST, Fashion-MNIST and a small synthetic stand-in.

The course (seed 004) loads MNIST with ``input_data.read_data_sets``; this
module is the modern loader behind both the Keras labs and the
``tfcourse.compat`` replacement of ``input_data``.

``load(name)`` looks for the files in this order and uses the first that works:

1. ``data_dir=`` or the ``TFCOURSE_DATA_DIR`` environment variable: a folder
   holding the four standard ``*-idx?-ubyte.gz`` files (gzipped or not), or
   Keras' ``mnist.npz``;
2. the Keras cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``);
3. system folders such as ``/usr/share/datasets/fashion-mnist`` (the Debian
   package ``dataset-fashion-mnist``);
4. Keras' own download (``keras.datasets.mnist.load_data()``), which needs the
   internet.

When nothing works, one :class:`DatasetNotFoundError` lists every place tried
and the fixes. IDX files are validated (magic number, dimensions, sizes), so a
truncated or foreign file is reported by name instead of surfacing as a NumPy
traceback.

NumPy only at import time; TensorFlow is imported by :func:`pipeline` and by
the Keras download, when they run.
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tfcourse._validation import (
    DataFileError,
    DatasetNotFoundError,
    check_choice,
    check_int,
)

DATASETS = ("mnist", "fashion_mnist", "synthetic")
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)

# The four files of the IDX distribution, in the order load() returns them.
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# Where each dataset lives outside the package: the Keras cache sub-folder
# and file names, the system folders, and what to install.
_KERAS_CACHE_ENTRIES = {
    "mnist": ("mnist.npz",),
    "fashion_mnist": ("fashion-mnist",),
}
_SYSTEM_DIRS = {
    "mnist": ("/usr/share/datasets/mnist", "/usr/share/mnist", "/usr/local/share/datasets/mnist"),
    "fashion_mnist": (
        "/usr/share/datasets/fashion-mnist",
        "/usr/share/fashion-mnist",
        "/usr/local/share/datasets/fashion-mnist",
    ),
}
_DEBIAN_PACKAGES = {"fashion_mnist": "dataset-fashion-mnist"}


class Splits(tuple):
    """``((x_train, y_train), (x_test, y_test))`` with where it came from.

    Unpacks like ``keras.datasets.mnist.load_data()``; the attributes
    ``name``, ``source`` (the folder or file read, or ``"generated"``) and
    ``num_classes`` say what it is.
    """

    name: str
    source: str
    num_classes: int

    def __new__(cls, train, test, *, name: str, source: str, num_classes: int = NUM_CLASSES):
        self = super().__new__(cls, (tuple(train), tuple(test)))
        self.name = name
        self.source = source
        self.num_classes = num_classes
        return self

    @property
    def x_train(self) -> np.ndarray:
        return self[0][0]

    @property
    def y_train(self) -> np.ndarray:
        return self[0][1]

    @property
    def x_test(self) -> np.ndarray:
        return self[1][0]

    @property
    def y_test(self) -> np.ndarray:
        return self[1][1]

    def __reduce__(self):
        return (_rebuild_splits, (self[0], self[1], self.name, self.source, self.num_classes))


def _rebuild_splits(train, test, name, source, num_classes):
    return Splits(train, test, name=name, source=source, num_classes=num_classes)


# ----------------------------------------------------------------------------
# IDX parsing
# ----------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataFileError(f"Cannot read the data file {path}: {error}") from None


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an IDX file (the MNIST file format) into an array.

    The header is two zero bytes, a type code, the number of dimensions, then
    one big-endian uint32 per dimension; the payload must hold exactly the
    product of the dimensions. Anything else raises :class:`DataFileError`
    naming ``source``.
    """
    if len(data) < 4:
        raise DataFileError(
            f"{source} is not an IDX file: it has {len(data)} bytes, fewer than the 4-byte header"
        )
    zero, type_code, num_dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in _IDX_DTYPES:
        raise DataFileError(
            f"{source} is not an IDX file: bad magic number 0x{data[:4].hex()} "
            "(expected 0x0000 followed by a type code such as 0x08 and the number of dimensions)"
        )
    header_size = 4 + 4 * num_dims
    if len(data) < header_size:
        raise DataFileError(
            f"{source} is truncated: its header announces {num_dims} dimensions but the file "
            f"has only {len(data)} bytes"
        )
    shape = struct.unpack(f">{num_dims}I", data[4:header_size])
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = len(data) - header_size
    if payload != expected:
        state = "truncated" if payload < expected else "longer than its header says"
        raise DataFileError(
            f"{source} is {state}: its header announces shape {tuple(shape)} "
            f"({expected} bytes of data) but the file holds {payload} bytes after the header"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) and validate it (see :func:`parse_idx`)."""
    path = Path(path)
    return parse_idx(_read_bytes(path), source=str(path))


def _find_idx_file(folder: Path, stem: str) -> Path | None:
    # Some distributions spell the extension idx3.ubyte (torchvision mirrors).
    for name in (f"{stem}.gz", stem, f"{stem.replace('-ubyte', '.ubyte')}.gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _load_idx_folder(folder: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    paths = [_find_idx_file(folder, stem) for stem in IDX_FILES]
    missing = [stem for stem, path in zip(IDX_FILES, paths) if path is None]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(m + '.gz' for m in missing)}")
    x_train, y_train, x_test, y_test = (read_idx(path) for path in paths)
    for images, labels, images_path, labels_path in (
        (x_train, y_train, paths[0], paths[1]),
        (x_test, y_test, paths[2], paths[3]),
    ):
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise DataFileError(
                f"{images_path} holds arrays of shape {images.shape}; expected (N, 28, 28) images"
            )
        if labels.ndim != 1:
            raise DataFileError(f"{labels_path} holds shape {labels.shape}; expected (N,) labels")
        if len(images) != len(labels):
            raise DataFileError(
                f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels"
            )
        if labels.size and labels.max() >= NUM_CLASSES:
            raise DataFileError(
                f"{labels_path} holds label {int(labels.max())}; expected labels in [0, {NUM_CLASSES})"
            )
    return (x_train, y_train), (x_test, y_test)


def _load_npz(path: Path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise DataFileError(
                    f"{path} lacks the array {missing[0]!r}; expected Keras' mnist.npz layout "
                    f"(x_train, y_train, x_test, y_test), found {sorted(archive.files)}"
                )
            arrays = {key: archive[key] for key in keys}
    except DataFileError:
        raise
    except (OSError, ValueError, zlib.error, EOFError, zipfile.BadZipFile) as error:
        raise DataFileError(f"Cannot read {path} as a NumPy .npz archive: {error}") from None
    if arrays["x_train"].shape[1:] != IMAGE_SHAPE:
        raise DataFileError(f"{path}: x_train has shape {arrays['x_train'].shape}; expected (N, 28, 28)")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_from(location: Path):
    """Load a dataset from a folder (IDX files or mnist.npz) or an .npz file."""
    if location.is_file() and location.suffix == ".npz":
        return _load_npz(location)
    if location.is_dir():
        if any(_find_idx_file(location, stem) for stem in IDX_FILES):
            return _load_idx_folder(location)
        if (location / "mnist.npz").is_file():
            return _load_npz(location / "mnist.npz")
        raise FileNotFoundError(f"{location} holds neither the four IDX files nor mnist.npz")
    raise FileNotFoundError(f"{location} does not exist")


# ----------------------------------------------------------------------------
# Search order
# ----------------------------------------------------------------------------


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded datasets."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


@dataclass(frozen=True)
class Candidate:
    """One place :func:`load` looks for a dataset."""

    description: str
    path: Path | None  # None: the Keras download


def candidate_locations(name: str, data_dir: str | os.PathLike | None = None) -> list[Candidate]:
    """Every place :func:`load` tries for ``name``, in order."""
    check_choice("name", name, ("mnist", "fashion_mnist"))
    candidates = []
    if data_dir is not None:
        candidates.append(Candidate("the `data_dir` argument", Path(data_dir)))
    elif os.environ.get("TFCOURSE_DATA_DIR"):
        candidates.append(
            Candidate("the TFCOURSE_DATA_DIR variable", Path(os.environ["TFCOURSE_DATA_DIR"]))
        )
    for entry in _KERAS_CACHE_ENTRIES[name]:
        candidates.append(Candidate("the Keras cache", keras_cache_dir() / entry))
    for folder in _SYSTEM_DIRS[name]:
        candidates.append(Candidate("a system folder", Path(folder)))
    candidates.append(Candidate("Keras' download", None))
    return candidates


def _keras_download(name: str):
    import keras  # noqa: PLC0415  (TensorFlow-heavy; only when needed)

    module = keras.datasets.mnist if name == "mnist" else keras.datasets.fashion_mnist
    return module.load_data()


def _not_found_message(name: str, tried: list[str]) -> str:
    lines = [f"Cannot find the {name} dataset. Tried, in order:"]
    lines += [f"  - {entry}" for entry in tried]
    lines.append("To fix it, do one of:")
    lines.append(
        "  - name a folder holding the four *-idx?-ubyte.gz files (or mnist.npz): "
        "data_dir=... or TFCOURSE_DATA_DIR=/path (CLI: --data-dir)"
    )
    if name in _DEBIAN_PACKAGES:
        lines.append(
            f"  - install the Debian package: apt-get install {_DEBIAN_PACKAGES[name]} "
            f"(files land in {_SYSTEM_DIRS[name][0]})"
        )
    else:
        lines.append(
            "  - copy the files from a machine that has them into ~/.keras/datasets/ "
            "(mnist.npz) or a folder named above"
        )
    lines.append("  - go online once: Keras downloads and caches it in ~/.keras/datasets")
    if name == "mnist":
        lines.append("  - or use the same-shaped Fashion-MNIST offline: --dataset fashion_mnist")
    return "\n".join(lines)


def _locate_and_load(name: str, data_dir, download: bool):
    tried = []
    for candidate in candidate_locations(name, data_dir):
        if candidate.path is None:
            if not download:
                tried.append("Keras' download: skipped (download=False)")
                continue
            try:
                arrays = _keras_download(name)
            except Exception as error:  # any network or HTTP failure: report and go on
                tried.append(f"Keras' download: failed ({type(error).__name__}: {error})")
                continue
            return arrays, f"downloaded by Keras into {keras_cache_dir()}"
        try:
            return _load_from(candidate.path), str(candidate.path)
        except FileNotFoundError as error:
            tried.append(f"{candidate.description}: {error}")
    raise DatasetNotFoundError(_not_found_message(name, tried))


# ----------------------------------------------------------------------------
# Synthetic data
# ----------------------------------------------------------------------------


def make_synthetic(num_train: int = 2000, num_test: int = 500, seed: int = 0):
    """A small deterministic 10-class problem shaped like MNIST (uint8 28x28).

    Each class has a fixed random prototype image; examples are the prototype
    plus noise, so a softmax regression learns it in one epoch but not
    perfectly. The same ``seed`` always gives the same arrays.
    """
    num_train = check_int("num_train", num_train, 1)
    num_test = check_int("num_test", num_test, 1)
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 255, size=(NUM_CLASSES, *IMAGE_SHAPE))

    def sample(count: int):
        labels = rng.integers(0, NUM_CLASSES, size=count)
        noise = rng.normal(0.0, 90.0, size=(count, *IMAGE_SHAPE))
        images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
        return images, labels.astype(np.uint8)

    return sample(num_train), sample(num_test)


# ----------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------


def one_hot(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Integer labels -> float32 one-hot rows (what TF1's ``one_hot=True`` gave)."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"`labels` must be in [0, {num_classes}). Received labels from "
            f"{int(labels.min())} to {int(labels.max())}"
        )
    return np.eye(num_classes, dtype=np.float32)[labels.astype(np.int64)]


def load(
    name: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    *,
    flatten: bool = False,
    one_hot_labels: bool = False,
    download: bool = True,
    num_train: int | None = None,
    num_test: int | None = None,
    seed: int = 0,
) -> Splits:
    """Load a dataset as ``((x_train, y_train), (x_test, y_test))``.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"synthetic"``.
        data_dir: a folder with the four ``*-idx?-ubyte.gz`` files or
            ``mnist.npz``; overrides ``TFCOURSE_DATA_DIR``. Ignored for
            ``"synthetic"``.
        flatten: ``False`` gives uint8 images of shape (N, 28, 28);
            ``True`` gives float32 rows of 784 pixels scaled to [0, 1], as
            the course's ``input_data`` did.
        one_hot_labels: ``True`` gives float32 one-hot labels (N, 10);
            otherwise uint8 class ids.
        download: allow Keras' download as the last resort.
        num_train, num_test: keep only the first examples of each split
            (for ``"synthetic"``: how many to make; defaults 2000 and 500).
        seed: the seed of the synthetic data.

    Returns:
        A :class:`Splits`, which unpacks as
        ``(x_train, y_train), (x_test, y_test)`` and says where the data
        came from in ``.source``.

    Raises:
        DatasetNotFoundError: no location holds the data; the message lists
            every place tried and the fixes.
        DataFileError: a file exists but is truncated or malformed.
    """
    check_choice("name", name, DATASETS)
    if name == "synthetic":
        (train, test), source = (
            make_synthetic(num_train or 2000, num_test or 500, seed),
            "generated",
        )
    else:
        (train, test), source = _locate_and_load(name, data_dir, download)
        if num_train is not None:
            check_int("num_train", num_train, 1)
            train = (train[0][:num_train], train[1][:num_train])
        if num_test is not None:
            check_int("num_test", num_test, 1)
            test = (test[0][:num_test], test[1][:num_test])

    def prepare(images: np.ndarray, labels: np.ndarray):
        images = np.asarray(images, dtype=np.uint8)
        labels = np.asarray(labels).astype(np.uint8)
        if flatten:
            images = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
        return images, (one_hot(labels) if one_hot_labels else labels)

    return Splits(prepare(*train), prepare(*test), name=name, source=source)


def class_counts(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """How many examples of each class (labels as ids or one-hot rows)."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return np.bincount(labels.astype(np.int64), minlength=num_classes)


def pipeline(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 100,
    shuffle: bool = True,
    seed: int | None = 0,
    *,
    drop_remainder: bool = False,
    cache: bool = True,
):
    """A ``tf.data.Dataset`` of ``(x, y)`` mini-batches for ``model.fit``.

    The order is reshuffled every epoch (``reshuffle_each_iteration``) and
    reproducible for a given ``seed``; batches are prefetched while the
    previous one trains.
    """
    import tensorflow as tf  # noqa: PLC0415

    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same number of examples. Received: "
            f"len(x)={len(x)}, len(y)={len(y)}"
        )
    if len(x) == 0:
        raise ValueError("`x` must hold at least one example. Received: an empty array")
    batch_size = check_int("batch_size", batch_size, 1)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def describe(splits: Splits) -> dict[str, Any]:
    """A summary of a loaded dataset: source, shapes, dtypes, class counts."""
    return {
        "name": splits.name,
        "source": splits.source,
        "train_shape": list(splits.x_train.shape),
        "test_shape": list(splits.x_test.shape),
        "dtype": str(splits.x_train.dtype),
        "num_classes": splits.num_classes,
        "train_class_counts": class_counts(splits.y_train, splits.num_classes).tolist(),
        "test_class_counts": class_counts(splits.y_test, splits.num_classes).tolist(),
    }


__all__: Sequence[str] = (
    "DATASETS",
    "Candidate",
    "DataFileError",
    "DatasetNotFoundError",
    "Splits",
    "candidate_locations",
    "class_counts",
    "describe",
    "keras_cache_dir",
    "load",
    "make_synthetic",
    "one_hot",
    "parse_idx",
    "pipeline",
    "read_idx",
)


def __getattr__(name: str):
    """``tfcourse.data.input_data``: the course's MNIST reader, for Keras programs.

    ``from tfcourse.data import input_data`` then
    ``input_data.read_data_sets("MNIST_data/", one_hot=True)`` gives what
    TF1's ``tensorflow.examples.tutorials.mnist.input_data`` gave (the
    55000/5000/10000 split, ``next_batch``), as a ported program expects
    (:mod:`tfcourse.compat.input_data`; nothing of TF1 runs).
    """
    if name == "input_data":
        from tfcourse.compat import input_data  # noqa: PLC0415

        return input_data
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
