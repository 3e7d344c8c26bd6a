"""NumPy transcription of TF1's recurrent cells, ``dynamic_rnn`` and ``sequence_loss``.

Written step by step from the equations of TF 1.15's ``tf.nn.rnn_cell`` and
``tf.contrib.seq2seq`` (float64, plain loops, no TensorFlow or Keras here).
The TF1 kernels act on the concatenation ``[x_t, h_{t-1}]``, so a kernel has
``input_dim + units`` rows; the gate columns are in TF1's order.

BasicRNNCell:   h_t = act([x_t, h_{t-1}] W + b)
BasicLSTMCell:  i, j, f, o = split([x_t, h_{t-1}] W + b, 4)
                c_t = c_{t-1} * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
                h_t = act(c_t) * sigmoid(o)
LSTMCell:       as BasicLSTMCell, plus peepholes (w_i, w_f on c_{t-1}, w_o on c_t),
                c_t clipped to [-cell_clip, cell_clip], h_t = (...) P with num_proj
GRUCell:        r, u = split(sigmoid([x_t, h_{t-1}] W_g + b_g), 2)
                c = act([x_t, r * h_{t-1}] W_c + b_c)
                h_t = u * h_{t-1} + (1 - u) * c
dynamic_rnn:    past an example's sequence_length, its output is 0 and its state
                is copied through unchanged.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": sigmoid}


def basic_rnn_step(x, h, kernel, bias, activation="tanh"):
    """One BasicRNNCell step: returns (output, new_state), both h_t."""
    h_new = ACTIVATIONS[activation](np.concatenate([x, h], axis=1) @ kernel + bias)
    return h_new, h_new


def lstm_step(x, state, kernel, bias, forget_bias=1.0, activation="tanh", w_i=None, w_f=None,
              w_o=None, cell_clip=None, projection=None, proj_clip=None):
    """One BasicLSTMCell / LSTMCell step; ``state`` is (c, h). Returns (h_t, (c_t, h_t))."""
    act = ACTIVATIONS[activation]
    c_prev, h_prev = state
    z = np.concatenate([x, h_prev], axis=1) @ kernel + bias
    units = z.shape[1] // 4
    i, j, f, o = (z[:, k * units:(k + 1) * units] for k in range(4))
    if w_f is not None:
        c = sigmoid(f + forget_bias + w_f * c_prev) * c_prev + sigmoid(i + w_i * c_prev) * act(j)
    else:
        c = sigmoid(f + forget_bias) * c_prev + sigmoid(i) * act(j)
    if cell_clip is not None:
        c = np.clip(c, -cell_clip, cell_clip)
    h = sigmoid(o + w_o * c) * act(c) if w_o is not None else sigmoid(o) * act(c)
    if projection is not None:
        h = h @ projection
        if proj_clip is not None:
            h = np.clip(h, -proj_clip, proj_clip)
    return h, (c, h)


def gru_step(x, h, gate_kernel, gate_bias, candidate_kernel, candidate_bias, activation="tanh"):
    """One GRUCell step (r, u from the gates kernel; the candidate sees r * h)."""
    gates = sigmoid(np.concatenate([x, h], axis=1) @ gate_kernel + gate_bias)
    units = h.shape[1]
    r, u = gates[:, :units], gates[:, units:]
    c = ACTIVATIONS[activation](np.concatenate([x, r * h], axis=1) @ candidate_kernel
                                + candidate_bias)
    h_new = u * h + (1.0 - u) * c
    return h_new, h_new


def run(step, inputs, state, sequence_length=None):
    """Unroll ``step(x_t, state) -> (output, state)`` over inputs (batch, time, depth).

    Returns the outputs (batch, time, units) and the final state, with
    dynamic_rnn's rule past each example's ``sequence_length``: output 0,
    state copied through.
    """
    inputs = np.asarray(inputs, np.float64)
    batch, time = inputs.shape[:2]
    lengths = np.full(batch, time) if sequence_length is None else np.asarray(sequence_length)
    outputs = []
    for t in range(time):
        output, new_state = step(inputs[:, t], state)
        done = (t >= lengths)[:, None]
        outputs.append(np.where(done, 0.0, output))
        state = _select(done, state, new_state)
    return np.stack(outputs, axis=1), state


def _select(done, old, new):
    if isinstance(old, tuple):
        return tuple(_select(done, o, n) for o, n in zip(old, new))
    return np.where(done, old, new)


def reverse_sequences(x, sequence_length=None):
    """Reverse each example's first sequence_length steps along axis 1 (tf.reverse_sequence)."""
    x = np.array(x, np.float64)
    lengths = np.full(x.shape[0], x.shape[1]) if sequence_length is None else sequence_length
    for b, n in enumerate(lengths):
        x[b, :n] = x[b, :n][::-1].copy()
    return x


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False, sum_over_batch=False):
    """tf.contrib.seq2seq.sequence_loss: weighted softmax cross-entropy per symbol.

    crossent[b, t] = -log softmax(logits[b, t])[targets[b, t]] * weights[b, t], then
    both averages: sum(crossent) / sum(weights); one average: sum over that axis
    divided by the sum of the weights over that axis; a sum_over flag divides by
    the number of non-zero weights instead; none: crossent itself.
    """
    logits = np.asarray(logits, np.float64)
    weights = np.asarray(weights, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    batch, time = targets.shape
    crossent = np.zeros((batch, time))
    for b in range(batch):
        for t in range(time):
            crossent[b, t] = -log_softmax[b, t, targets[b, t]] * weights[b, t]
    nonzero = (weights != 0).astype(np.float64)
    if average_across_timesteps and average_across_batch:
        return crossent.sum() / weights.sum()
    if sum_over_timesteps and sum_over_batch:
        return crossent.sum() / nonzero.sum()
    if average_across_timesteps:
        return crossent.sum(axis=1) / weights.sum(axis=1)
    if average_across_batch:
        return crossent.sum(axis=0) / weights.sum(axis=0)
    if sum_over_timesteps:
        return crossent.sum(axis=1) / nonzero.sum(axis=1)
    if sum_over_batch:
        return crossent.sum(axis=0) / nonzero.sum(axis=0)
    return crossent
