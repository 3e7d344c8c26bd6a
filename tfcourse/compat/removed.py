"""TF1 symbols that TensorFlow 2 removed and tfcourse.compat does not bring back.

Accessing one raises :class:`UnsupportedSymbolError` (an ``AttributeError``,
so ``hasattr`` keeps working) whose message names the TF1 symbol and what
replaces it today, e.g.::

    AttributeError: tf.contrib.slim is not available: TensorFlow 2 removed
    tf.contrib and tfcourse.compat does not provide this part of it. Modern
    replacement: keras.layers (Conv2D, Dense, BatchNormalization) or
    tfcourse.compat.v1's tf.layers.*

Provided (so not in these tables): ``tf.contrib.layers`` (initializers,
``fully_connected``, ``conv2d``, ``max_pool2d``, ``avg_pool2d``, ``flatten``,
``dropout``, ``batch_norm``, ``l2_regularizer``), ``tf.contrib.rnn`` and
``tf.nn.rnn_cell`` (the cells of :mod:`tfcourse.compat.rnn`),
``tf.contrib.seq2seq.sequence_loss``, ``tf.layers.dense`` and the other
functional layers.
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
    "slim": "keras.layers (Conv2D, Dense, BatchNormalization) or tfcourse.compat.v1's tf.layers.*",
    "learn": "tfcourse.data.load('mnist') or keras.datasets; Keras Model.fit for the estimators",
    "keras": "keras (Keras 3)",
    "legacy_seq2seq": "tf.contrib.seq2seq.sequence_loss (tfcourse.compat.v1) for the loss; "
                      "keras.layers.RNN with an attention layer (keras.layers.Attention) for the models",
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
    "layer_norm": "keras.layers.LayerNormalization",
    "embed_sequence": "keras.layers.Embedding",
    "optimize_loss": "tf.train.<Name>Optimizer(...).minimize(loss)",
    "l1_regularizer": "keras.regularizers.L1",
    "sum_regularizer": "a sum of keras.regularizers",
    "apply_regularization": "tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))",
    "summarize_activation": "tf.summary.histogram",
}

# tf.contrib.rnn.<name> -> replacement, for the names compat does not provide.
CONTRIB_RNN = {
    "LayerNormBasicLSTMCell": "keras.layers.LSTMCell followed by keras.layers.LayerNormalization",
    "LSTMBlockCell": "tf.contrib.rnn.LSTMCell (tfcourse.compat.v1) or keras.layers.LSTM",
    "LSTMBlockFusedCell": "keras.layers.LSTM",
    "GRUBlockCell": "tf.contrib.rnn.GRUCell (tfcourse.compat.v1) or keras.layers.GRU(reset_after=False)",
    "GRUBlockCellV2": "tf.contrib.rnn.GRUCell (tfcourse.compat.v1) or keras.layers.GRU(reset_after=False)",
    "AttentionCellWrapper": "keras.layers.Attention on the outputs of keras.layers.LSTM",
    "InputProjectionWrapper": "tf.layers.dense on the inputs before the RNN (tfcourse.compat.v1)",
    "EmbeddingWrapper": "tf.nn.embedding_lookup on the inputs or keras.layers.Embedding",
    "DeviceWrapper": "tf.device around the RNN call",
    "stack_bidirectional_dynamic_rnn": "tf.nn.bidirectional_dynamic_rnn per layer (tfcourse.compat.v1) "
                                       "or keras.layers.Bidirectional(keras.layers.LSTM(...))",
    "stack_bidirectional_rnn": "tf.contrib.rnn.static_bidirectional_rnn per layer (tfcourse.compat.v1) "
                               "or keras.layers.Bidirectional(keras.layers.LSTM(...))",
    "CudnnLSTM": "keras.layers.LSTM (cuDNN kernels are used automatically)",
    "CudnnGRU": "keras.layers.GRU (cuDNN kernels are used automatically)",
    "NASCell": "a custom keras.layers.Layer cell inside keras.layers.RNN",
    "UGRNNCell": "a custom keras.layers.Layer cell inside keras.layers.RNN",
    "IntersectionRNNCell": "a custom keras.layers.Layer cell inside keras.layers.RNN",
    "PhasedLSTMCell": "a custom keras.layers.Layer cell inside keras.layers.RNN",
    "ConvLSTMCell": "keras.layers.ConvLSTM2D",
    "Conv2DLSTMCell": "keras.layers.ConvLSTM2D",
}

# tf.nn.rnn_cell.<name> -> replacement, for the names compat does not provide.
RNN_CELL = {
    "DeviceWrapper": "tf.device around the RNN call",
}

# tf.contrib.seq2seq.<name> -> replacement (only sequence_loss is provided).
SEQ2SEQ = {
    "BasicDecoder": "a Python loop over a keras.layers.LSTMCell (or keras-nlp samplers)",
    "dynamic_decode": "a Python loop over a keras.layers.LSTMCell (or keras-nlp samplers)",
    "TrainingHelper": "teacher forcing: feed the shifted targets to keras.layers.LSTM(return_sequences=True)",
    "GreedyEmbeddingHelper": "a Python loop taking the argmax at each step",
    "BeamSearchDecoder": "keras_nlp.samplers.BeamSampler",
    "AttentionWrapper": "keras.layers.Attention / keras.layers.AdditiveAttention",
    "BahdanauAttention": "keras.layers.AdditiveAttention",
    "LuongAttention": "keras.layers.Attention",
    "SequenceLoss": "tf.contrib.seq2seq.sequence_loss (the function, tfcourse.compat.v1)",
}

# tf.nn.<name> -> replacement, for TF1 recurrent functions compat does not provide.
NN = {
    "raw_rnn": "tf.nn.dynamic_rnn (tfcourse.compat.v1) or a tf.while_loop over a keras.layers.LSTMCell",
    "static_state_saving_rnn": "keras.layers.LSTM(stateful=True)",
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


def contrib_rnn_error(name: str) -> UnsupportedSymbolError:
    replacement = CONTRIB_RNN.get(name, "keras.layers.RNN with a keras.layers cell, or the cells "
                                        "tfcourse.compat.v1 provides in tf.contrib.rnn")
    return UnsupportedSymbolError(
        f"tf.contrib.rnn.{name}", replacement,
        "TensorFlow 2 removed tf.contrib, and tfcourse.compat's tf.contrib.rnn provides only "
        "BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell, MultiRNNCell, DropoutWrapper, "
        "ResidualWrapper, OutputProjectionWrapper, LSTMStateTuple, static_rnn and "
        "static_bidirectional_rnn",
    )


def rnn_cell_error(name: str) -> UnsupportedSymbolError:
    replacement = RNN_CELL.get(name, "keras.layers.RNN with a keras.layers cell")
    return UnsupportedSymbolError(
        f"tf.nn.rnn_cell.{name}", replacement,
        "tf.nn.rnn_cell needs Keras 2, and tfcourse.compat provides only BasicRNNCell, "
        "BasicLSTMCell, LSTMCell, GRUCell, MultiRNNCell, DropoutWrapper, ResidualWrapper, "
        "LSTMStateTuple and RNNCell",
    )


def seq2seq_error(name: str) -> UnsupportedSymbolError:
    replacement = SEQ2SEQ.get(name, "keras.layers.RNN with an attention layer (keras.layers.Attention)")
    return UnsupportedSymbolError(
        f"tf.contrib.seq2seq.{name}", replacement,
        "TensorFlow 2 removed tf.contrib, and tfcourse.compat's tf.contrib.seq2seq provides only "
        "sequence_loss",
    )
