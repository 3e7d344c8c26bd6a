"""TF1's ``tf.contrib.seq2seq.sequence_loss``, rebuilt on TensorFlow ops.

The loss of the course's character RNNs: softmax cross-entropy at every time
step, weighted (a 0 weight masks a padded step), then averaged as TF 1.15 did::

    crossent[b, t] = -log softmax(logits[b, t])[targets[b, t]] * weights[b, t]
    both averages (default):   sum(crossent) / sum(weights)             -> scalar
    average_across_timesteps:  sum_t crossent[b, t] / sum_t weights[b, t] -> (batch,)
    average_across_batch:      sum_b crossent[b, t] / sum_b weights[b, t] -> (time,)
    neither:                   crossent                                  -> (batch, time)

``sum_over_timesteps`` / ``sum_over_batch`` divide by the number of non-zero
weights instead. Every division is ``div_no_nan`` (0 where the weights sum to 0).
"""

from __future__ import annotations

import tensorflow as tf

from tfcourse._validation import check_bool
from tfcourse.compat.layer_calls import record_layer_call

tf1 = tf.compat.v1


def _check_rank(name, tensor, rank, layout):
    if tensor.shape.rank != rank:
        raise ValueError(f"`{name}` of sequence_loss must be a {layout} tensor (rank {rank}). "
                         f"Received: {name} with shape {tensor.shape}")


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False, sum_over_batch=False,
                  softmax_loss_function=None, name=None):
    """TF1's ``tf.contrib.seq2seq.sequence_loss`` (formulas in the module docstring).

    Args:
        logits: (batch, time, classes) floats.
        targets: (batch, time) class ids.
        weights: (batch, time) floats (usually ones, or a ``tf.sequence_mask``).
        average_across_timesteps, average_across_batch: see above. Default True.
        sum_over_timesteps, sum_over_batch: divide by the count of non-zero
            weights instead; not together with the average over the same axis.
        softmax_loss_function: ``f(labels=, logits=)`` on the flattened
            (batch * time) rows instead of sparse softmax cross-entropy.
        name: name scope; defaults to ``"sequence_loss"``.
    """
    flags = {name_: check_bool(name_, value) for name_, value in (
        ("average_across_timesteps", average_across_timesteps),
        ("average_across_batch", average_across_batch),
        ("sum_over_timesteps", sum_over_timesteps), ("sum_over_batch", sum_over_batch))}
    logits = tf1.convert_to_tensor(logits)
    targets = tf1.convert_to_tensor(targets)
    weights = tf1.convert_to_tensor(weights, dtype=logits.dtype.base_dtype)
    _check_rank("logits", logits, 3, "[batch_size x sequence_length x num_classes]")
    _check_rank("targets", targets, 2, "[batch_size x sequence_length]")
    _check_rank("weights", weights, 2, "[batch_size x sequence_length]")
    for axis in ("timesteps", "batch"):
        if flags[f"average_across_{axis}"] and flags[f"sum_over_{axis}"]:
            raise ValueError(f"`average_across_{axis}` and `sum_over_{axis}` cannot both be True. "
                             f"Received: average_across_{axis}=True, sum_over_{axis}=True")
    with tf1.name_scope(name, "sequence_loss", [logits, targets, weights]):
        num_classes = tf.shape(logits)[2]
        logits_flat = tf.reshape(logits, [-1, num_classes])
        targets_flat = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets_flat,
                                                                      logits=logits_flat)
        else:
            crossent = softmax_loss_function(labels=targets_flat, logits=logits_flat)
        crossent = crossent * tf.reshape(weights, [-1])
        average_t, average_b = flags["average_across_timesteps"], flags["average_across_batch"]
        sum_t, sum_b = flags["sum_over_timesteps"], flags["sum_over_batch"]
        if average_t and average_b:
            loss = tf.math.divide_no_nan(tf.reduce_sum(crossent), tf.reduce_sum(weights))
        elif sum_t and sum_b:
            count = tf.cast(tf.math.count_nonzero(weights), crossent.dtype)
            loss = tf.math.divide_no_nan(tf.reduce_sum(crossent), count)
        else:
            loss = tf.reshape(crossent, tf.shape(logits)[0:2])
            if average_t or average_b:
                axis = [0] if average_b else [1]
                loss = tf.math.divide_no_nan(tf.reduce_sum(loss, axis=axis),
                                             tf.reduce_sum(weights, axis=axis))
            elif sum_t or sum_b:
                axis = [0] if sum_b else [1]
                count = tf.cast(tf.math.count_nonzero(weights, axis=axis), loss.dtype)
                loss = tf.math.divide_no_nan(tf.reduce_sum(loss, axis=axis), count)
    record_layer_call("tf.contrib.seq2seq.sequence_loss", (logits, targets, weights), loss,
                      config={**flags, "softmax_loss_function": softmax_loss_function is not None})
    return loss
