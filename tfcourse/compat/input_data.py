"""``tensorflow.examples.tutorials.mnist.input_data``, which TensorFlow 2 removed.

The course (seed 004, "MNIST data") loads MNIST with::

    mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
    batch_xs, batch_ys = mnist.train.next_batch(100)

:func:`read_data_sets` returns what TF1's did: ``train``/``validation``/``test``
:class:`DataSet` objects of 55000/5000/10000 examples (the validation set is the
*first* 5000 training images), images as float32 rows of 784 pixels in
[0, 1] (``x * (1/255)``, TF1's formula), labels as uint8 ids or, with
``one_hot=True``, float64 one-hot rows (TF1's dtype).

Where the data comes from:

1. ``TFCOURSE_DATASET`` (or ``tfcourse legacy run --dataset``) when set:
   ``mnist``, ``fashion_mnist`` or ``synthetic``, through :func:`tfcourse.data.load`;
2. else the folder passed as ``train_dir``, when it holds the four
   ``*-idx?-ubyte.gz`` files (TF1 downloaded them there);
3. else MNIST through :func:`tfcourse.data.load` (folders, the Keras cache,
   Keras' download). ``TFCOURSE_MAX_EXAMPLES`` keeps the first N of each split.

Mini-batch order. TF1's ``next_batch`` shuffles the split at the first call and
at each epoch end with ``numpy.random.shuffle``, after seeding NumPy with the
graph seed (``tf.set_random_seed``). This :class:`DataSet` does the same with its
own ``numpy.random.RandomState(seed)`` (the global NumPy state is left alone),
so for the same seed it yields TF1's order. The seed is, in order: the
``seed`` argument; the graph seed of the default graph when the data set is
made; ``TFCOURSE_SEED``; 0 (TF1 would shuffle at random; a fixed default keeps
runs reproducible).
"""

from __future__ import annotations

import collections
import gzip
from pathlib import Path
from typing import Any

import numpy as np

from tfcourse import data as _data
from tfcourse._validation import DatasetNotFoundError, check_int, reject_inapplicable
from tfcourse.compat import settings as _settings
from tfcourse.compat import trace as _trace

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])

DEFAULT_SEED = 0
VALIDATION_SIZE = 5000


def _graph_seed() -> int | None:
    import tensorflow as tf  # noqa: PLC0415

    return tf.compat.v1.get_default_graph().seed


def resolve_seed(seed: int | None = None) -> int:
    """The shuffle seed a new :class:`DataSet` uses (see the module docstring)."""
    if seed is not None:
        return check_int("seed", seed, 0, 2**32 - 1)
    graph_seed = _graph_seed()
    if graph_seed is not None:
        return int(graph_seed) % 2**32
    knob = _settings.current().seed
    return DEFAULT_SEED if knob is None else knob % 2**32


def _is_float_dtype(dtype: Any) -> bool:
    name = getattr(dtype, "name", None) or np.dtype(dtype).name
    return name.startswith("float")


class DataSet:
    """One split of the data with TF1's ``next_batch``.

    Args:
        images: uint8 images (N, 28, 28) or (N, 28, 28, 1), or already
            flattened (N, 784).
        labels: (N,) class ids or (N, 10) one-hot rows.
        dtype: ``tf.float32`` (default) scales pixels to [0, 1] as
            ``x * (1/255)``; ``tf.uint8`` keeps 0-255.
        reshape: flatten images to (N, 784) (default), else (N, 28, 28, 1).
        seed: shuffle seed; ``None`` resolves it as the module docstring says.
        split: the name recorded in traces (``"train"``, ``"validation"``, ``"test"``).
    """

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=None,
                 reshape=True, seed=None, *, split="train"):
        reject_inapplicable(
            "fake_data", fake_data or None,
            "in tfcourse.compat's input_data (use TFCOURSE_DATASET=synthetic for small fake data)",
        )
        images = np.asarray(images)
        labels = np.asarray(labels)
        if len(images) != len(labels):
            raise ValueError(
                f"`images` and `labels` must have the same length. Received: "
                f"{len(images)} images and {len(labels)} labels"
            )
        if reshape:
            images = images.reshape(len(images), -1)
        elif images.ndim == 3:
            images = images.reshape(*images.shape, 1)
        if dtype is None or _is_float_dtype(dtype):
            if images.dtype == np.uint8:
                images = images.astype(np.float32)
                images = np.multiply(images, np.float32(1.0 / 255.0))
        # The arrays stay in their original order; a shuffle permutes only ``_order`` and
        # a batch gathers its rows, the same values TF1's permuted copies held (a copy of
        # 55,000 images per epoch was most of what a captured 15-epoch loop cost).
        self._source_images = images
        self._source_labels = labels
        self._shuffled = None
        self._order = np.arange(len(images))
        self._num_examples = len(images)
        self._epochs_completed = 0
        self._index_in_epoch = 0
        self.seed = resolve_seed(seed)
        self._rng = np.random.RandomState(self.seed)
        self.split = split

    def _current(self) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels in the current order, gathered once per shuffle."""
        if self._shuffled is None:
            if np.array_equal(self._order, np.arange(self._num_examples)):
                self._shuffled = (self._source_images, self._source_labels)
            else:
                self._shuffled = (self._source_images[self._order],
                                  self._source_labels[self._order])
        return self._shuffled

    @property
    def images(self) -> np.ndarray:
        """The images, in the current (shuffled, as in TF1) order."""
        return self._current()[0]

    @property
    def labels(self) -> np.ndarray:
        return self._current()[1]

    @property
    def num_examples(self) -> int:
        return self._num_examples

    @property
    def epochs_completed(self) -> int:
        return self._epochs_completed

    @property
    def order(self) -> np.ndarray:
        """``order[i]`` is the original index of ``images[i]``."""
        return self._order

    def _shuffle(self) -> None:
        permutation = np.arange(self._num_examples)
        self._rng.shuffle(permutation)
        self._order = self._order[permutation]
        self._shuffled = None

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next ``batch_size`` examples, reshuffling at each epoch end (TF1's rule).

        A batch that crosses an epoch end takes the rest of the old epoch and
        the start of the new, reshuffled one, exactly as TF1 did.
        """
        batch_size = check_int("batch_size", batch_size, 1, self._num_examples)
        reject_inapplicable("fake_data", fake_data or None, "in tfcourse.compat's next_batch")
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest = self._num_examples - start
            first = self._order[start:]
            if shuffle:
                self._shuffle()
            self._index_in_epoch = batch_size - rest
            end = self._index_in_epoch
            order = np.concatenate([first, self._order[:end]], axis=0)
        else:
            self._index_in_epoch += batch_size
            end = self._index_in_epoch
            order = self._order[start:end]
        images, labels = self._source_images[order], self._source_labels[order]
        recorder = _trace.current()
        if recorder is not None:
            recorder.record_batch(self.split, order)
        return images, labels


def dense_to_one_hot(labels_dense, num_classes=10) -> np.ndarray:
    """Class ids -> one-hot rows (float64, as TF1 returned them)."""
    labels_dense = np.asarray(labels_dense).astype(np.int64)
    one_hot = np.zeros((len(labels_dense), num_classes))
    one_hot[np.arange(len(labels_dense)), labels_dense] = 1
    return one_hot


def extract_images(f) -> np.ndarray:
    """Read a gzipped IDX image file object into uint8 (N, 28, 28, 1), like TF1."""
    with gzip.GzipFile(fileobj=f) as stream:
        images = _data.parse_idx(stream.read(), source=getattr(f, "name", "<file>"))
    return images.reshape(*images.shape, 1)


def extract_labels(f, one_hot=False, num_classes=10) -> np.ndarray:
    """Read a gzipped IDX label file object into uint8 ids (or one-hot rows)."""
    with gzip.GzipFile(fileobj=f) as stream:
        labels = _data.parse_idx(stream.read(), source=getattr(f, "name", "<file>"))
    return dense_to_one_hot(labels, num_classes) if one_hot else labels


def _folder_has_idx_files(folder: Path) -> bool:
    return folder.is_dir() and all(
        (folder / f"{stem}.gz").is_file() or (folder / stem).is_file() for stem in _data.IDX_FILES
    )


def _load_arrays(train_dir, validation_size: int, max_examples: int | None):
    """(train, test) uint8 arrays and a description of where they came from."""
    knobs = _settings.current()
    num_train = None if max_examples is None else validation_size + max_examples
    num_test = max_examples
    if knobs.dataset is None and train_dir is not None and _folder_has_idx_files(Path(train_dir)):
        splits = _data.load("mnist", data_dir=train_dir, download=False,
                            num_train=num_train, num_test=num_test)
        return splits, f"files in {train_dir}"
    name = knobs.dataset or "mnist"
    if name == "synthetic":
        num_train = validation_size + (max_examples or 55000)
        num_test = max_examples or 10000
    try:
        splits = _data.load(name, num_train=num_train, num_test=num_test)
    except DatasetNotFoundError as error:
        raise DatasetNotFoundError(
            f"{error}\n  - for a TF1 program: TFCOURSE_DATASET=fashion_mnist (or synthetic), "
            "or tfcourse legacy run --dataset fashion_mnist"
        ) from None
    return splits, name


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=None, reshape=True,
                   validation_size=VALIDATION_SIZE, seed=None, source_url=None) -> Datasets:
    """TF1's ``input_data.read_data_sets`` (see the module docstring for the data source).

    Args:
        train_dir: the folder TF1 downloaded to (``"MNIST_data/"``); read when it
            holds the four IDX files and ``TFCOURSE_DATASET`` is unset. Nothing is
            written there.
        one_hot: labels as one-hot rows (float64) instead of uint8 ids.
        dtype: ``tf.float32`` (default, pixels in [0, 1]) or ``tf.uint8``.
        reshape: images as (N, 784) rows (default) or (N, 28, 28, 1).
        validation_size: how many of the first training images form the
            validation split (default 5000).
        seed: the shuffle seed of all three splits; ``None`` takes the graph seed.
        source_url: accepted and ignored (nothing is downloaded here).

    Returns:
        ``Datasets(train, validation, test)`` of :class:`DataSet`.
    """
    del source_url
    reject_inapplicable(
        "fake_data", fake_data or None,
        "in tfcourse.compat's read_data_sets (use TFCOURSE_DATASET=synthetic for small fake data)",
    )
    knobs = _settings.current()
    check_int("validation_size", validation_size, 0)
    splits, origin = _load_arrays(train_dir, validation_size, knobs.max_examples)
    (train_images, train_labels), (test_images, test_labels) = splits
    check_int("validation_size", validation_size, 0, len(train_images))
    validation_images, validation_labels = train_images[:validation_size], train_labels[:validation_size]
    train_images, train_labels = train_images[validation_size:], train_labels[validation_size:]
    if knobs.max_examples is not None:
        limit = knobs.max_examples
        validation_images, validation_labels = validation_images[:limit], validation_labels[:limit]
    if one_hot:
        train_labels, validation_labels, test_labels = (
            dense_to_one_hot(labels) for labels in (train_labels, validation_labels, test_labels)
        )
    seed = resolve_seed(seed)
    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    result = Datasets(
        train=DataSet(train_images, train_labels, split="train", **options),
        validation=DataSet(validation_images, validation_labels, split="validation", **options),
        test=DataSet(test_images, test_labels, split="test", **options),
    )
    recorder = _trace.current()
    if recorder is not None:
        recorder.record_dataset({
            "dataset": origin, "source": splits.source, "seed": seed, "one_hot": bool(one_hot),
            "validation_size": validation_size, "train": result.train.num_examples,
            "validation": result.validation.num_examples, "test": result.test.num_examples,
        })
    return result


def maybe_download(filename, work_directory, source_url=None):
    """Not supported: tfcourse does not download into the program's folder."""
    from tfcourse.compat.removed import UnsupportedSymbolError  # noqa: PLC0415

    raise UnsupportedSymbolError(
        "input_data.maybe_download", "tfcourse.data.load(name) (searches folders, the Keras "
        "cache, then downloads with keras.datasets)",
    )
