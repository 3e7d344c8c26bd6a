"""TF1 symbols that TensorFlow 2 removed and tfcourse.compat does not bring back.

Accessing one raises :class:`UnsupportedSymbolError` (an ``AttributeError``,
so ``hasattr`` keeps working) whose message names the TF1 symbol and what
replaces it today, e.g.::

    AttributeError: tf.contrib.rnn is not available: TensorFlow 2 removed
    tf.contrib and tfcourse.compat does not provide this part of it. Modern
    replacement: keras.layers.LSTMCell / keras.layers.GRUCell inside
    keras.layers.RNN (or keras.layers.LSTM).
"""

from __future__ import annotations

from tfcourse._validation import TfcourseError


class UnsupportedSymbolError(TfcourseError, AttributeError):
    """A TF1 symbol that neither TensorFlow 2 nor tfcourse.compat provides."""

    def __init__(self, symbol: str, replacement: str, reason: str | None = None):
        self.symbol = symbol
        self.replacement = replacement
        reason = reason or "TensorFlow 2 removed it and tfcourse.compat does not provide it"
        super().__init__(f"{symbol} is not available: {reason}. Modern replacement: {replacement}")


_CONTRIB_REASON = "TensorFlow 2 removed tf.contrib and tfcourse.compat does not provide this part of it"

# tf.contrib.<module> -> replacement.
CONTRIB_MODULES = {
    "rnn": "keras.layers.LSTMCell / keras.layers.GRUCell inside keras.layers.RNN (or keras.layers.LSTM)",
    "slim": "keras.layers (Conv2D, Dense, BatchNormalization) or tfcourse.compat.v1's tf.layers.*",
    "learn": "tfcourse.data.load('mnist') or keras.datasets; Keras Model.fit for the estimators",
    "keras": "keras (Keras 3)",
    "seq2seq": "keras.layers.RNN with an attention layer (keras.layers.Attention)",
    "legacy_seq2seq": "keras.layers.RNN with an attention layer (keras.layers.Attention)",
    "distributions": "tensorflow_probability.distributions",
    "metrics": "tf.metrics (tfcourse.compat.v1) or keras.metrics",
    "losses": "tf.losses (tfcourse.compat.v1) or keras.losses",
    "opt": "keras.optimizers (for example keras.optimizers.AdamW)",
    "framework": "tf.compat.v1.get_collection / tf.compat.v1.train.get_or_create_global_step",
    "image": "tf.image or keras.layers preprocessing layers",
    "summary": "tf.summary (tfcourse.compat.v1 gives the TF1 tf.summary)",
    "eager": "TensorFlow 2 eager execution (the default)",
    "data": "tf.data",
    "training": "tf.train (tfcourse.compat.v1) or keras.callbacks",
    "tpu": "tf.distribute.TPUStrategy",
    "crf": "keras-nlp / a custom CRF layer",
    "cudnn_rnn": "keras.layers.LSTM / keras.layers.GRU (cuDNN kernels are used automatically)",
    "lookup": "tf.lookup",
    "tensorboard": "tf.summary and TensorBoard's own tools",
    "predictor": "tf.saved_model.load",
}

# tf.contrib.layers.<name> -> replacement, for the names compat does not provide.
CONTRIB_LAYERS = {
    "batch_norm": "tf.layers.batch_normalization (tfcourse.compat.v1) or keras.layers.BatchNormalization",
    "conv2d": "tf.layers.conv2d (tfcourse.compat.v1) or keras.layers.Conv2D",
    "convolution2d": "tf.layers.conv2d (tfcourse.compat.v1) or keras.layers.Conv2D",
    "max_pool2d": "tf.layers.max_pooling2d (tfcourse.compat.v1) or keras.layers.MaxPooling2D",
    "avg_pool2d": "tf.layers.average_pooling2d (tfcourse.compat.v1) or keras.layers.AveragePooling2D",
    "dropout": "tf.layers.dropout (tfcourse.compat.v1) or keras.layers.Dropout",
    "layer_norm": "keras.layers.LayerNormalization",
    "embed_sequence": "keras.layers.Embedding",
    "optimize_loss": "tf.train.<Name>Optimizer(...).minimize(loss)",
    "l1_regularizer": "keras.regularizers.L1",
    "sum_regularizer": "a sum of keras.regularizers",
    "apply_regularization": "tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))",
    "summarize_activation": "tf.summary.histogram",
}

# tf.layers.<name> -> replacement, for the names compat does not provide.
LAYERS = {
    "Dense": "tf.layers.dense (the function) or keras.layers.Dense",
    "Dropout": "tf.layers.dropout (the function) or keras.layers.Dropout",
    "BatchNormalization": "tf.layers.batch_normalization (the function) or keras.layers.BatchNormalization",
    "Conv2D": "tf.layers.conv2d (the function) or keras.layers.Conv2D",
    "MaxPooling2D": "tf.layers.max_pooling2d (the function) or keras.layers.MaxPooling2D",
    "Flatten": "tf.layers.flatten (the function) or keras.layers.Flatten",
    "Layer": "keras.layers.Layer",
    "conv1d": "keras.layers.Conv1D",
    "conv3d": "keras.layers.Conv3D",
    "conv2d_transpose": "keras.layers.Conv2DTranspose",
    "separable_conv2d": "keras.layers.SeparableConv2D",
    "max_pooling1d": "keras.layers.MaxPooling1D",
    "average_pooling1d": "keras.layers.AveragePooling1D",
    "max_pooling3d": "keras.layers.MaxPooling3D",
    "average_pooling3d": "keras.layers.AveragePooling3D",
}

# Top-level tf.<name> -> replacement, for names tf.compat.v1 lacks.
TOP_LEVEL = {
    "estimator": "keras Model.fit / Model.evaluate (tf.estimator was removed in TensorFlow 2.16)",
}


def contrib_error(name: str) -> UnsupportedSymbolError:
    replacement = CONTRIB_MODULES.get(
        name, "see the TensorFlow 2 migration guide (https://www.tensorflow.org/guide/migrate)"
    )
    return UnsupportedSymbolError(f"tf.contrib.{name}", replacement, _CONTRIB_REASON)


def contrib_layers_error(name: str) -> UnsupportedSymbolError:
    replacement = CONTRIB_LAYERS.get(name, "keras.layers or tf.layers.* (tfcourse.compat.v1)")
    return UnsupportedSymbolError(f"tf.contrib.layers.{name}", replacement, _CONTRIB_REASON)


def layers_error(name: str) -> UnsupportedSymbolError:
    replacement = LAYERS.get(name, "keras.layers")
    return UnsupportedSymbolError(
        f"tf.layers.{name}", replacement,
        "tf.layers needs Keras 2, and tfcourse.compat provides only dense, dropout, "
        "batch_normalization, conv2d, max_pooling2d, average_pooling2d and flatten",
    )
