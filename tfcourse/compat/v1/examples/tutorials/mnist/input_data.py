"""``from tensorflow.examples.tutorials.mnist import input_data``, restored.

See :mod:`tfcourse.compat.input_data` for where the data comes from and how
``next_batch`` orders it.
"""

from tfcourse.compat.input_data import (  # noqa: F401
    DataSet,
    Datasets,
    dense_to_one_hot,
    extract_images,
    extract_labels,
    maybe_download,
    read_data_sets,
)
