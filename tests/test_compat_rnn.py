"""tfcourse.compat's TF1 recurrent networks against three references, step by step.

(a) tests/references/rnn.py, a NumPy transcription of each cell's equations;
(b) Keras 3's LSTM / GRU(reset_after=False) / SimpleRNN with the TF1 weights
    mapped across by tfcourse.compat.rnn.keras_weights;
(c) TF 1.x's own cells, which TF 2.21 still ships privately
    (tensorflow.python.keras.layers.legacy_rnn) and which still run in graph
    mode: same variable names, same numbers.

The TF1 side runs in float64, so the only differences left are summation order
and the libm of tanh / exp (about 1e-16 per operation).
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from tests.references import rnn as ref
from tfcourse.compat import legacy_graph
from tfcourse.compat import rnn as compat_rnn
from tfcourse.compat.layer_calls import layer_calls

# float64 through at most 5 steps of tanh/sigmoid and matmuls of <= 10 terms: ~1e-15
# absolute; 1e-12 leaves room without hiding a wrong formula (those differ by > 1e-3).
FLOAT64 = {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture(autouse=True)
def still_eager_afterwards():
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


@pytest.fixture
def v1():
    with legacy_graph(seed=3):
        import tfcourse.compat.v1 as tf1

        yield tf1


RNG = np.random.default_rng(20)
X = RNG.normal(size=(3, 5, 2))              # batch 3, 5 steps, 2 features
LENGTHS = np.array([5, 3, 1])


def _randomize(tf1, sess, scale=0.6, seed=0):
    """Load random values into every variable (biases included), return them by name."""
    rng = np.random.default_rng(seed)
    values = {}
    for variable in tf1.global_variables():
        value = rng.normal(scale=scale, size=variable.shape.as_list())
        variable.load(value, sess)
        values[variable.op.name] = value
    return values


def _var(tf1, name):
    (variable,) = [v for v in tf1.global_variables() if v.op.name == name]
    return variable


def _same(first, second):
    """Element-wise identity of two sequences of tensors (== on graph tensors is not a bool)."""
    return len(first) == len(second) and all(a is b for a, b in zip(first, second))


def _cell_weights(values, scope):
    prefix = scope + "/"
    return {name[len(prefix):]: value for name, value in values.items() if name.startswith(prefix)}


def _reference_step(kind, weights, **options):
    if kind == "BasicRNNCell":
        return lambda x, h: ref.basic_rnn_step(x, h, weights["kernel"], weights["bias"], **options)
    if kind == "GRUCell":
        return lambda x, h: ref.gru_step(x, h, weights["gates/kernel"], weights["gates/bias"],
                                         weights["candidate/kernel"], weights["candidate/bias"],
                                         **options)
    extra = {}
    if "w_f_diag" in weights:
        extra.update(w_i=weights["w_i_diag"], w_f=weights["w_f_diag"], w_o=weights["w_o_diag"])
    if "projection/kernel" in weights:
        extra["projection"] = weights["projection/kernel"]
    return lambda x, s: ref.lstm_step(x, s, weights["kernel"], weights["bias"], **options, **extra)


# name -> (cell factory, TF1 scope of the variables, reference kind, reference options)
CELLS = {
    "basic_rnn": (lambda r: r.BasicRNNCell(4), "rnn/basic_rnn_cell", "BasicRNNCell", {}),
    "basic_rnn_relu": (lambda r: r.BasicRNNCell(4, activation=tf.nn.relu), "rnn/basic_rnn_cell",
                       "BasicRNNCell", {"activation": "relu"}),
    "basic_lstm": (lambda r: r.BasicLSTMCell(4), "rnn/basic_lstm_cell", "BasicLSTMCell", {}),
    "basic_lstm_forget_bias": (lambda r: r.BasicLSTMCell(4, forget_bias=0.3),
                               "rnn/basic_lstm_cell", "BasicLSTMCell", {"forget_bias": 0.3}),
    "lstm_peepholes_projection_clip": (
        lambda r: r.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=0.4, proj_clip=0.5),
        "rnn/lstm_cell", "LSTMCell", {"cell_clip": 0.4, "proj_clip": 0.5}),
    "gru": (lambda r: r.GRUCell(4), "rnn/gru_cell", "GRUCell", {}),
}


def _zero_state(kind, batch, units, proj=None):
    if kind in ("BasicLSTMCell", "LSTMCell"):
        return (np.zeros((batch, units)), np.zeros((batch, proj or units)))
    return np.zeros((batch, units))


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "sequence_length"])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_matches_numpy_reference_step_by_step(name, with_lengths, v1):
    factory, scope, kind, options = CELLS[name]
    x = v1.placeholder(v1.float64, [None, 5, 2])
    outputs, state = v1.nn.dynamic_rnn(factory(v1.nn.rnn_cell), x, dtype=v1.float64,
                                       sequence_length=LENGTHS if with_lengths else None)
    with v1.Session() as sess:
        values = _randomize(v1, sess)
        got_outputs, got_state = sess.run([outputs, state], {x: X})
    step = _reference_step(kind, _cell_weights(values, scope), **options)
    proj = 3 if "projection" in name else None
    want_outputs, want_state = ref.run(step, X, _zero_state(kind, 3, 4, proj),
                                       LENGTHS if with_lengths else None)
    for t in range(5):
        np.testing.assert_allclose(got_outputs[:, t], want_outputs[:, t], **FLOAT64, err_msg=f"step {t}")
    for got, want in zip(tf.nest.flatten(got_state), tf.nest.flatten(want_state)):
        np.testing.assert_allclose(got, want, **FLOAT64, err_msg="final state")
    if with_lengths:  # past its length an example outputs zeros (TF1's dynamic_rnn)
        assert np.all(got_outputs[1, 3:] == 0) and np.all(got_outputs[2, 1:] == 0)


def _keras_run(layer, x, weights):
    layer.build(x.shape)
    layer.set_weights(weights)
    return [np.asarray(t) for t in layer(x)]


@pytest.mark.parametrize("name", ["basic_rnn", "basic_lstm_forget_bias", "gru"])
def test_cell_matches_keras_with_mapped_weights(name, float64):
    import keras

    factory, scope, kind, options = CELLS[name]
    forget_bias = options.get("forget_bias", 1.0)
    with legacy_graph():
        import tfcourse.compat.v1 as tf1

        x = tf1.placeholder(tf1.float64, [3, 5, 2])
        cell = factory(tf1.nn.rnn_cell)
        outputs, state = tf1.nn.dynamic_rnn(cell, x, dtype=tf1.float64)
        with tf1.Session() as sess:
            values = _randomize(tf1, sess)
            got_outputs, got_state = sess.run([outputs, state], {x: X})
    class_name, arguments = compat_rnn.keras_equivalent(compat_rnn.describe_cell(cell)[0]["cells"][0])
    layer = getattr(keras.layers, class_name)(**arguments, return_sequences=True, return_state=True)
    keras_out = _keras_run(layer, X, compat_rnn.keras_weights(kind, _cell_weights(values, scope),
                                                              forget_bias=forget_bias))
    for t in range(5):
        np.testing.assert_allclose(keras_out[0][:, t], got_outputs[:, t], **FLOAT64, err_msg=f"step {t}")
    if kind == "BasicLSTMCell":  # Keras returns [h, c], TF1 LSTMStateTuple(c, h)
        np.testing.assert_allclose(keras_out[1], got_state.h, **FLOAT64)
        np.testing.assert_allclose(keras_out[2], got_state.c, **FLOAT64)
    else:
        np.testing.assert_allclose(keras_out[1], got_state, **FLOAT64)


def test_multi_rnn_cell_matches_numpy_and_keras_stacked_cells(float64):
    import keras

    with legacy_graph():
        import tfcourse.compat.v1 as tf1

        x = tf1.placeholder(tf1.float64, [3, 5, 2])
        stack = tf1.nn.rnn_cell.MultiRNNCell([tf1.nn.rnn_cell.BasicLSTMCell(4),
                                              tf1.nn.rnn_cell.GRUCell(3)])
        outputs, state = tf1.nn.dynamic_rnn(stack, x, dtype=tf1.float64)
        assert isinstance(state, tuple) and isinstance(state[0], compat_rnn.LSTMStateTuple)
        with tf1.Session() as sess:
            values = _randomize(tf1, sess)
            got_outputs, got_state = sess.run([outputs, state], {x: X})
    lstm = _cell_weights(values, "rnn/multi_rnn_cell/cell_0/basic_lstm_cell")
    gru = _cell_weights(values, "rnn/multi_rnn_cell/cell_1/gru_cell")
    lstm_step, gru_step = _reference_step("BasicLSTMCell", lstm), _reference_step("GRUCell", gru)

    def stacked(x_t, s):
        h0, s0 = lstm_step(x_t, s[0])
        h1, s1 = gru_step(h0, s[1])
        return h1, (s0, s1)

    want_outputs, want_state = ref.run(stacked, X, ((np.zeros((3, 4)),) * 2, np.zeros((3, 3))))
    keras_layer = keras.layers.RNN(
        [keras.layers.LSTMCell(4), keras.layers.GRUCell(3, reset_after=False)],
        return_sequences=True)
    keras_layer.build(X.shape)
    keras_layer.set_weights(compat_rnn.keras_weights("BasicLSTMCell", lstm)
                            + compat_rnn.keras_weights("GRUCell", gru))
    keras_outputs = np.asarray(keras_layer(X))
    for t in range(5):
        np.testing.assert_allclose(got_outputs[:, t], want_outputs[:, t], **FLOAT64, err_msg=f"step {t}")
        np.testing.assert_allclose(keras_outputs[:, t], got_outputs[:, t], **FLOAT64, err_msg=f"step {t}")
    np.testing.assert_allclose(got_state[1], want_state[1], **FLOAT64)


def test_keras_weights_round_trip_and_gate_order():
    rng = np.random.default_rng(1)
    lstm = {"kernel": rng.normal(size=(5, 12)), "bias": rng.normal(size=12)}
    kernel, recurrent, bias = compat_rnn.keras_weights("BasicLSTMCell", lstm, forget_bias=1.0)
    assert kernel.shape == (2, 12) and recurrent.shape == (3, 12) and bias.shape == (12,)
    # TF1 blocks i, j, f, o -> Keras i, f, c, o; forget_bias folded into Keras' f block.
    np.testing.assert_array_equal(kernel[:, 3:6], lstm["kernel"][:2, 6:9])
    np.testing.assert_array_equal(recurrent[:, 6:9], lstm["kernel"][2:, 3:6])
    np.testing.assert_array_equal(bias[3:6], lstm["bias"][6:9] + 1.0)
    back = compat_rnn.tf1_weights("BasicLSTMCell", [kernel, recurrent, bias], forget_bias=1.0)
    np.testing.assert_allclose(back["kernel"], lstm["kernel"], rtol=0, atol=0)
    np.testing.assert_allclose(back["bias"], lstm["bias"], atol=1e-15)  # +1 then -1 in float64
    gru = {"gates/kernel": rng.normal(size=(5, 6)), "gates/bias": rng.normal(size=6),
           "candidate/kernel": rng.normal(size=(5, 3)), "candidate/bias": rng.normal(size=3)}
    mapped = compat_rnn.keras_weights("GRUCell", gru)
    np.testing.assert_array_equal(mapped[0][:, :3], gru["gates/kernel"][:2, 3:])  # z = TF1's u
    back = compat_rnn.tf1_weights("GRUCell", mapped)
    for name, value in gru.items():
        np.testing.assert_array_equal(back[name], value, err_msg=name)


def test_keras_mapping_refuses_what_keras_does_not_compute():
    with pytest.raises(ValueError, match=r"`weights` of a LSTMCell must hold exactly \['bias', 'kernel'\]\. "
                                         r"Peepholes and a projection have no Keras counterpart\. "
                                         r"Received: \['bias', 'kernel', 'w_f_diag'\]"):
        compat_rnn.keras_weights("LSTMCell", {"kernel": np.zeros((3, 4)), "bias": np.zeros(4),
                                              "w_f_diag": np.zeros(1)})
    with pytest.raises(ValueError, match=r"`cell_type` must be one of \['BasicLSTMCell', 'BasicRNNCell', "
                                         r"'GRUCell', 'LSTMCell'\]\. Received: cell_type='LSTM'"):
        compat_rnn.keras_weights("LSTM", {})
    with pytest.raises(ValueError, match=r"`use_peepholes` does not apply to keras\.layers\.LSTM .* "
                                         r"Received: use_peepholes=True"):
        compat_rnn.keras_equivalent({"type": "LSTMCell", "num_units": 3, "use_peepholes": True})
    assert compat_rnn.keras_equivalent({"type": "GRUCell", "num_units": 3, "activation": "relu"}) == (
        "GRU", {"units": 3, "activation": "relu", "recurrent_activation": "sigmoid",
                "reset_after": False})


def test_names_and_numbers_match_tf1s_own_cells():
    from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl as tf1_cells

    def build(cells, functions):
        graph = tf.Graph()
        with graph.as_default():
            x = tf.compat.v1.placeholder(tf.float64, [3, 5, 2])
            results = []
            results += functions.dynamic_rnn(cells.BasicLSTMCell(4), x, dtype=tf.float64,
                                             sequence_length=[5, 2, 0])
            stack = cells.MultiRNNCell([cells.LSTMCell(4, use_peepholes=True, num_proj=3),
                                        cells.GRUCell(3), cells.BasicRNNCell(2)])
            results += functions.dynamic_rnn(stack, x, dtype=tf.float64, time_major=True,
                                             scope="stack")
            results += functions.bidirectional_dynamic_rnn(
                cells.GRUCell(3), cells.BasicLSTMCell(2, state_is_tuple=False), x,
                sequence_length=[1, 5, 3], dtype=tf.float64)
            steps = tf.unstack(x, axis=1)
            results += functions.static_rnn(cells.BasicRNNCell(3), steps, dtype=tf.float64,
                                            sequence_length=[2, 5, 4], scope="static")
            results += functions.static_bidirectional_rnn(
                cells.BasicLSTMCell(2), cells.BasicLSTMCell(2), steps, dtype=tf.float64,
                sequence_length=[2, 5, 4], scope="static_bidirectional")
            names = [v.op.name for v in tf.compat.v1.global_variables()]
        return graph, x, results, names

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy cells warn that they are deprecated
        theirs = build(tf1_cells, tf.compat.v1.nn)
    ours = build(compat_rnn, compat_rnn)
    assert ours[3] == theirs[3]
    assert "stack/multi_rnn_cell/cell_0/lstm_cell/projection/kernel" in ours[3]
    assert "bidirectional_rnn/bw/basic_lstm_cell/kernel" in ours[3]
    with theirs[0].as_default(), tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        weights = sess.run(tf.compat.v1.global_variables())
        want = sess.run(theirs[2], {theirs[1]: X})
    with ours[0].as_default(), tf.compat.v1.Session() as sess:
        for variable, value in zip(tf.compat.v1.global_variables(), weights):
            variable.load(value, sess)
        got = sess.run(ours[2], {ours[1]: X})
    for index, (g, w) in enumerate(zip(tf.nest.flatten(got), tf.nest.flatten(want))):
        # Same ops in the same order on the same float64 values: identical.
        np.testing.assert_array_equal(g, w, err_msg=f"result {index}")


def test_bidirectional_dynamic_rnn_reverses_each_sequence_within_its_length(v1):
    x = v1.placeholder(v1.float64, [3, 5, 2])
    (out_fw, out_bw), (state_fw, state_bw) = v1.nn.bidirectional_dynamic_rnn(
        v1.nn.rnn_cell.GRUCell(3), v1.nn.rnn_cell.BasicRNNCell(2), x, sequence_length=LENGTHS,
        dtype=v1.float64)
    assert out_fw.shape.as_list() == [3, 5, 3] and out_bw.shape.as_list() == [3, 5, 2]
    with v1.Session() as sess:
        values = _randomize(v1, sess)
        got = sess.run([out_fw, out_bw, state_fw, state_bw], {x: X})
    fw = _reference_step("GRUCell", _cell_weights(values, "bidirectional_rnn/fw/gru_cell"))
    bw = _reference_step("BasicRNNCell", _cell_weights(values, "bidirectional_rnn/bw/basic_rnn_cell"))
    want_fw, want_state_fw = ref.run(fw, X, np.zeros((3, 3)), LENGTHS)
    reversed_bw, want_state_bw = ref.run(bw, ref.reverse_sequences(X, LENGTHS), np.zeros((3, 2)), LENGTHS)
    want_bw = ref.reverse_sequences(reversed_bw, LENGTHS)
    for t in range(5):
        np.testing.assert_allclose(got[0][:, t], want_fw[:, t], **FLOAT64, err_msg=f"fw step {t}")
        np.testing.assert_allclose(got[1][:, t], want_bw[:, t], **FLOAT64, err_msg=f"bw step {t}")
    np.testing.assert_allclose(got[2], want_state_fw, **FLOAT64)
    np.testing.assert_allclose(got[3], want_state_bw, **FLOAT64)


def test_static_rnn_and_time_major_agree_with_dynamic_rnn(v1):
    x = v1.placeholder(v1.float64, [None, 5, 2])
    cell = v1.contrib.rnn.BasicLSTMCell(4)
    dynamic, dynamic_state = v1.nn.dynamic_rnn(cell, x, dtype=v1.float64, sequence_length=LENGTHS)
    # The same cell object reuses its variables (rnn/basic_lstm_cell), as in TF1.
    static, static_state = v1.contrib.rnn.static_rnn(cell, v1.unstack(x, axis=1), dtype=v1.float64,
                                                     sequence_length=LENGTHS)
    time_major, _ = v1.nn.dynamic_rnn(cell, v1.transpose(x, [1, 0, 2]), dtype=v1.float64,
                                      time_major=True)
    assert [v.op.name for v in v1.trainable_variables()] == ["rnn/basic_lstm_cell/kernel",
                                                             "rnn/basic_lstm_cell/bias"]
    assert dynamic.shape.as_list() == [None, 5, 4] and time_major.shape.as_list() == [5, None, 4]
    assert len(static) == 5 and static[0].shape.as_list() == [None, 4]
    with v1.Session() as sess:
        _randomize(v1, sess)
        got = sess.run([dynamic, static, dynamic_state, static_state, time_major], {x: X})
    np.testing.assert_allclose(np.stack(got[1], axis=1), got[0], **FLOAT64)
    np.testing.assert_allclose(got[3].c, got[2].c, **FLOAT64)
    np.testing.assert_allclose(got[3].h, got[2].h, **FLOAT64)
    # Example 0 has length 5, so without lengths (time-major) it gives the same outputs.
    np.testing.assert_allclose(got[4][:, 0], got[0][0], **FLOAT64)


def test_initial_state_and_state_is_tuple_false(v1):
    x = v1.placeholder(v1.float64, [3, 5, 2])
    c0 = np.full((3, 4), 0.5)
    h0 = np.full((3, 4), -0.25)
    tuple_cell = v1.nn.rnn_cell.BasicLSTMCell(4)
    concat_cell = v1.nn.rnn_cell.BasicLSTMCell(4, state_is_tuple=False)
    out_tuple, _ = v1.nn.dynamic_rnn(tuple_cell, x, initial_state=compat_rnn.LSTMStateTuple(
        v1.constant(c0), v1.constant(h0)), scope="a")
    out_concat, state_concat = v1.nn.dynamic_rnn(concat_cell, x, initial_state=v1.constant(
        np.concatenate([c0, h0], 1)), scope="b")
    assert concat_cell.state_size == 8 and state_concat.shape.as_list() == [3, 8]
    with v1.Session() as sess:
        values = _randomize(v1, sess)
        for name in ("kernel", "bias"):  # the same weights in both cells
            _var(v1, f"b/basic_lstm_cell/{name}").load(values[f"a/basic_lstm_cell/{name}"], sess)
        got_tuple, got_concat = sess.run([out_tuple, out_concat], {x: X})
    want, _ = ref.run(_reference_step("BasicLSTMCell", _cell_weights(values, "a/basic_lstm_cell")),
                      X, (c0, h0))
    np.testing.assert_allclose(got_tuple, want, **FLOAT64)
    np.testing.assert_allclose(got_concat, want, **FLOAT64)


def test_default_kernel_initializer_is_the_scopes_glorot_uniform(v1):
    x = v1.zeros([2, 3, 30])
    v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicLSTMCell(20), x, dtype=v1.float32)
    with v1.variable_scope("constant", initializer=v1.constant_initializer(0.5)):
        v1.nn.dynamic_rnn(v1.nn.rnn_cell.GRUCell(2), x, dtype=v1.float32)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        values = {v.op.name: sess.run(v) for v in v1.global_variables()}
    kernel = values["rnn/basic_lstm_cell/kernel"]
    limit = np.sqrt(6.0 / (50 + 80))  # fan_in = 30 inputs + 20 units, fan_out = 4 * 20
    assert kernel.shape == (50, 80) and np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit  # 4000 uniform draws reach the edge
    assert np.all(values["rnn/basic_lstm_cell/bias"] == 0)
    assert np.all(values["constant/rnn/gru_cell/gates/kernel"] == 0.5)
    assert np.all(values["constant/rnn/gru_cell/gates/bias"] == 1.0)  # TF1's GRU gate bias
    assert np.all(values["constant/rnn/gru_cell/candidate/bias"] == 0.0)


def test_dropout_wrapper_drops_outputs_and_spares_the_lstm_memory(v1):
    x = v1.placeholder(v1.float64, [400, 5, 2])
    keep_prob = v1.placeholder(v1.float64)
    cell = v1.nn.rnn_cell.BasicLSTMCell(4)
    plain, _ = v1.nn.dynamic_rnn(cell, x, dtype=v1.float64)
    dropped, _ = v1.nn.dynamic_rnn(v1.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=keep_prob),
                                   x, dtype=v1.float64)
    step_input = v1.constant(np.ones((400, 2)))
    state = cell.zero_state(400, v1.float64)
    _, plain_state = cell(step_input, state)
    _, dropped_state = v1.nn.rnn_cell.DropoutWrapper(cell, state_keep_prob=0.5)(step_input, state)
    xs = np.random.default_rng(5).normal(size=(400, 5, 2))
    with v1.Session() as sess:
        _randomize(v1, sess)
        p, kept_all = sess.run([plain, dropped], {x: xs, keep_prob: 1.0})
        half = sess.run(dropped, {x: xs, keep_prob: 0.5})
        states = sess.run([plain_state, dropped_state])
    np.testing.assert_array_equal(kept_all, p)  # keep_prob 1: the wrapper changes nothing
    kept = half != 0
    np.testing.assert_allclose(half[kept], 2 * p[kept], rtol=1e-15)  # kept units scaled by 1/keep
    assert abs(kept.mean() - 0.5) < 0.03  # 8000 draws: std of the kept share 0.006
    np.testing.assert_array_equal(states[1].c, states[0].c)  # c is never dropped
    h_kept = states[1].h != 0
    np.testing.assert_allclose(states[1].h[h_kept], 2 * states[0].h[h_kept], rtol=1e-15)
    assert 0.4 < h_kept.mean() < 0.6  # 1600 draws


def test_output_projection_wrapper_projects_each_output(v1):
    x = v1.placeholder(v1.float64, [3, 5, 2])
    cell = v1.contrib.rnn.OutputProjectionWrapper(v1.contrib.rnn.BasicLSTMCell(4), output_size=6)
    outputs, _ = v1.nn.dynamic_rnn(cell, x, dtype=v1.float64)
    assert outputs.shape.as_list() == [3, 5, 6]
    assert [v.op.name for v in v1.trainable_variables()] == [
        "rnn/output_projection_wrapper/basic_lstm_cell/kernel",
        "rnn/output_projection_wrapper/basic_lstm_cell/bias",
        "rnn/output_projection_wrapper/kernel", "rnn/output_projection_wrapper/bias"]
    with v1.Session() as sess:
        values = _randomize(v1, sess)
        got = sess.run(outputs, {x: X})
    hidden, _ = ref.run(_reference_step("BasicLSTMCell", _cell_weights(
        values, "rnn/output_projection_wrapper/basic_lstm_cell")), X, (np.zeros((3, 4)),) * 2)
    want = hidden @ values["rnn/output_projection_wrapper/kernel"] + values[
        "rnn/output_projection_wrapper/bias"]
    np.testing.assert_allclose(got, want, **FLOAT64)


def test_each_rnn_function_records_one_layer_call(v1):
    graph = v1.get_default_graph()
    x = v1.placeholder(v1.float32, [None, 5, 2])
    lengths = v1.placeholder(v1.int32, [None])
    keep_prob = v1.placeholder(v1.float32)
    cells = [v1.nn.rnn_cell.DropoutWrapper(v1.nn.rnn_cell.BasicLSTMCell(4), output_keep_prob=keep_prob),
             v1.nn.rnn_cell.GRUCell(3)]
    stack = v1.contrib.rnn.OutputProjectionWrapper(v1.nn.rnn_cell.MultiRNNCell(cells), 7)
    initial = stack.zero_state(v1.shape(x)[0], v1.float32)
    outputs, state = v1.nn.dynamic_rnn(stack, x, sequence_length=lengths, initial_state=initial)
    (call,) = layer_calls(graph)
    assert call.kind == "tf.nn.dynamic_rnn"
    assert call.location.rsplit(":", 1)[0].endswith("test_compat_rnn.py")
    assert _same(call.inputs, (x, lengths, *tf.nest.flatten(initial)))
    assert _same(call.outputs, (outputs, *tf.nest.flatten(state)))
    assert call.config["multi_rnn_cell"] is True and call.config["sequence_length"] is True
    assert call.config["initial_state"] is True and call.config["time_major"] is False
    assert call.config["wrappers"] == [{"type": "OutputProjectionWrapper", "units": 7, "activation": None}]
    first, second = call.config["cells"]
    assert first["type"] == "BasicLSTMCell" and first["num_units"] == 4
    assert first["forget_bias"] == 1.0 and first["activation"] == "tanh"
    assert first["output_keep_prob"] is keep_prob and first["input_keep_prob"] == 1.0
    assert first["scope"] == "rnn/output_projection_wrapper/multi_rnn_cell/cell_0/basic_lstm_cell"
    assert second["type"] == "GRUCell" and second["output_keep_prob"] == 1.0
    by_name = {v.op.name: v for v in v1.global_variables()}
    prefix = "rnn/output_projection_wrapper/"
    assert call.variables == {
        "cell_0/kernel": by_name[prefix + "multi_rnn_cell/cell_0/basic_lstm_cell/kernel"],
        "cell_0/bias": by_name[prefix + "multi_rnn_cell/cell_0/basic_lstm_cell/bias"],
        "cell_1/gates/kernel": by_name[prefix + "multi_rnn_cell/cell_1/gru_cell/gates/kernel"],
        "cell_1/gates/bias": by_name[prefix + "multi_rnn_cell/cell_1/gru_cell/gates/bias"],
        "cell_1/candidate/kernel": by_name[prefix + "multi_rnn_cell/cell_1/gru_cell/candidate/kernel"],
        "cell_1/candidate/bias": by_name[prefix + "multi_rnn_cell/cell_1/gru_cell/candidate/bias"],
        "output_projection/kernel": by_name[prefix + "kernel"],
        "output_projection/bias": by_name[prefix + "bias"],
    }

    steps = v1.unstack(x, axis=1)
    static_outputs, _ = v1.nn.static_rnn(v1.nn.rnn_cell.BasicRNNCell(2), steps, dtype=v1.float32,
                                         scope="static")
    (fw, bw), _ = v1.nn.bidirectional_dynamic_rnn(v1.nn.rnn_cell.GRUCell(2), v1.nn.rnn_cell.GRUCell(2),
                                                  x, dtype=v1.float32)
    both, _, _ = v1.contrib.rnn.static_bidirectional_rnn(
        v1.nn.rnn_cell.BasicRNNCell(2), v1.nn.rnn_cell.BasicRNNCell(2), steps, dtype=v1.float32,
        scope="static_bidirectional")
    calls = layer_calls(graph)
    assert [c.kind for c in calls] == ["tf.nn.dynamic_rnn", "tf.nn.static_rnn",
                                       "tf.nn.bidirectional_dynamic_rnn",
                                       "tf.nn.static_bidirectional_rnn"]
    assert _same(calls[1].inputs, steps) and _same(calls[1].outputs[:5], static_outputs)
    assert calls[1].config["num_steps"] == 5
    assert _same(calls[2].outputs[:2], (fw, bw))
    assert sorted(calls[2].variables)[0] == "bw/cell_0/candidate/bias"
    assert calls[2].config["fw"]["cells"][0]["scope"] == "bidirectional_rnn/fw/gru_cell"
    assert _same(calls[3].outputs[:5], both) and len(calls[3].variables) == 4


def test_a_reuse_scope_shares_weights_and_a_custom_cell_subclass_runs(v1):
    class MinimalCell(v1.nn.rnn_cell.RNNCell):  # a user's cell: h_t = tanh(x W + h U)
        @property
        def state_size(self):
            return 3

        @property
        def output_size(self):
            return 3

        def build(self, inputs_shape):
            self.w = self.add_variable("W", [int(inputs_shape[-1]), 3])
            self.u = self.add_variable("U", [3, 3])

        def call(self, inputs, state):
            h = v1.tanh(v1.matmul(inputs, self.w) + v1.matmul(state, self.u))
            return h, h

    x = v1.placeholder(v1.float64, [3, 5, 2])
    with v1.variable_scope("model"):
        train_outputs, _ = v1.nn.dynamic_rnn(MinimalCell(), x, dtype=v1.float64)
    with v1.variable_scope("model", reuse=True):  # a sampling graph on the same weights
        sample_outputs, _ = v1.nn.dynamic_rnn(MinimalCell(), x[:1], dtype=v1.float64)
    assert [v.op.name for v in v1.global_variables()] == ["model/rnn/minimal_cell/W",
                                                          "model/rnn/minimal_cell/U"]
    assert layer_calls(v1.get_default_graph())[0].config["cells"][0]["type"] == "custom"
    with v1.Session() as sess:
        values = _randomize(v1, sess)
        got_train, got_sample = sess.run([train_outputs, sample_outputs], {x: X})
    w, u = values["model/rnn/minimal_cell/W"], values["model/rnn/minimal_cell/U"]
    kernel = np.concatenate([w, u])  # the same function as a BasicRNNCell without bias
    want, _ = ref.run(lambda x_t, h: ref.basic_rnn_step(x_t, h, kernel, 0.0), X, np.zeros((3, 3)))
    np.testing.assert_allclose(got_train, want, **FLOAT64)
    np.testing.assert_allclose(got_sample, want[:1], **FLOAT64)


# -- sequence_loss -----------------------------------------------------------------------------

LOGITS = np.random.default_rng(7).normal(size=(3, 4, 5))
TARGETS = np.random.default_rng(8).integers(0, 5, size=(3, 4))
WEIGHTS = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0.5, 2, 1, 0]], np.float64)
FLAGS = [
    {}, {"average_across_timesteps": False}, {"average_across_batch": False},
    {"average_across_timesteps": False, "average_across_batch": False},
    {"average_across_timesteps": False, "average_across_batch": False, "sum_over_timesteps": True,
     "sum_over_batch": True},
    {"average_across_timesteps": False, "average_across_batch": False, "sum_over_timesteps": True},
    {"average_across_timesteps": False, "average_across_batch": False, "sum_over_batch": True},
]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: ",".join(f) or "defaults")
def test_sequence_loss_matches_reference(flags, v1):
    loss = v1.contrib.seq2seq.sequence_loss(v1.constant(LOGITS), v1.constant(TARGETS),
                                            v1.constant(WEIGHTS), **flags)
    with v1.Session() as sess:
        got = sess.run(loss)
    np.testing.assert_allclose(got, ref.sequence_loss(LOGITS, TARGETS, WEIGHTS, **flags), **FLOAT64)


def test_sequence_loss_custom_softmax_and_layer_call(v1):
    calls = []

    def loss_function(labels, logits):
        calls.append((labels.shape.as_list(), logits.shape.as_list()))
        return v1.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) * 2.0

    logits = v1.constant(LOGITS)
    loss = v1.contrib.seq2seq.sequence_loss(logits, v1.constant(TARGETS), v1.ones([3, 4], v1.float64),
                                            softmax_loss_function=loss_function)
    assert calls == [([12], [12, 5])]  # called once on the (batch * time) rows
    with v1.Session() as sess:
        np.testing.assert_allclose(sess.run(loss), 2 * ref.sequence_loss(LOGITS, TARGETS, np.ones((3, 4))),
                                   **FLOAT64)
    (call,) = layer_calls(v1.get_default_graph())
    assert call.kind == "tf.contrib.seq2seq.sequence_loss" and call.inputs[0] is logits
    assert _same(call.outputs, (loss,)) and call.config["softmax_loss_function"] is True
    assert call.config["average_across_timesteps"] is True and call.variables == {}


# -- errors ------------------------------------------------------------------------------------


def test_bad_rnn_arguments_are_named(v1):
    x = v1.zeros([2, 3, 4])
    with pytest.raises(ValueError, match=r"`dtype` is required when no `initial_state` is given .* "
                                         r"Received: dtype=None"):
        v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicLSTMCell(2), x)
    with pytest.raises(ValueError, match=r"An RNN cell needs floating point inputs .* Received: a "
                                         r"tensor of dtype int32"):
        v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicRNNCell(2), v1.zeros([2, 3, 4], v1.int32), dtype=v1.float32)
    with pytest.raises(TypeError, match=r"`cell` must be a TF1 RNN cell .* "
                                        r"Received: cell='lstm' of type str"):
        v1.nn.dynamic_rnn("lstm", x, dtype=v1.float32)
    with pytest.raises(ValueError, match=r"`output_keep_prob` must be in \[0\.0, 1\.0\]\. "
                                         r"Received: output_keep_prob=1\.5"):
        v1.nn.rnn_cell.DropoutWrapper(v1.nn.rnn_cell.GRUCell(2), output_keep_prob=1.5)
    with pytest.raises(ValueError, match=r"`variational_recurrent` does not apply in tfcourse\.compat's "
                                         r"DropoutWrapper .*recurrent_dropout"):
        v1.nn.rnn_cell.DropoutWrapper(v1.nn.rnn_cell.GRUCell(2), variational_recurrent=True)
    with pytest.raises(ValueError, match=r"`num_units` must be an integer in \[1, inf\)\. "
                                         r"Received: num_units=0"):
        v1.nn.rnn_cell.BasicLSTMCell(0)
    with pytest.raises(TypeError, match=r"`inputs` of static_rnn must be a list .* "
                                        r"Received: a tensor of shape \(2, 3, 4\)"):
        v1.nn.static_rnn(v1.nn.rnn_cell.GRUCell(2), x, dtype=v1.float32)
    with pytest.raises(ValueError, match=r"`sequence_length` must be a vector of one length per example\. "
                                         r"Received: sequence_length with shape \(2, 1\)"):
        v1.nn.dynamic_rnn(v1.nn.rnn_cell.GRUCell(2), x, sequence_length=[[1], [2]], dtype=v1.float32)


def test_bad_sequence_loss_arguments_are_named(v1):
    logits, targets = v1.zeros([2, 3, 4]), v1.zeros([2, 3], v1.int32)
    with pytest.raises(ValueError, match=r"`targets` of sequence_loss must be a \[batch_size x "
                                         r"sequence_length\] tensor \(rank 2\)\. "
                                         r"Received: targets with shape \(6,\)"):
        v1.contrib.seq2seq.sequence_loss(logits, v1.zeros([6], v1.int32), v1.ones([2, 3]))
    with pytest.raises(ValueError, match=r"`average_across_batch` and `sum_over_batch` cannot both be True"):
        v1.contrib.seq2seq.sequence_loss(logits, targets, v1.ones([2, 3]), sum_over_batch=True)


@pytest.mark.parametrize("symbol,message", [
    ("contrib.rnn.LayerNormBasicLSTMCell", r"tf\.contrib\.rnn\.LayerNormBasicLSTMCell is not available: "
     r".*provides only BasicRNNCell.* Modern replacement: keras\.layers\.LSTMCell followed by "
     r"keras\.layers\.LayerNormalization"),
    ("nn.rnn_cell.DeviceWrapper", r"tf\.nn\.rnn_cell\.DeviceWrapper is not available: .* Modern "
     r"replacement: tf\.device around the RNN call"),
    ("contrib.seq2seq.BasicDecoder", r"tf\.contrib\.seq2seq\.BasicDecoder is not available: .*provides "
     r"only sequence_loss\. Modern replacement: a Python loop over a keras\.layers\.LSTMCell"),
    ("nn.raw_rnn", r"tf\.nn\.raw_rnn is not available: .* Modern replacement: tf\.nn\.dynamic_rnn"),
    ("contrib.legacy_seq2seq", r"tf\.contrib\.legacy_seq2seq is not available: .* Modern replacement: "
     r"tf\.contrib\.seq2seq\.sequence_loss \(tfcourse\.compat\.v1\) for the loss"),
])
def test_unsupported_recurrent_symbols_name_their_replacement(symbol, message, v1):
    target = v1
    *parents, last = symbol.split(".")
    for part in parents:
        target = getattr(target, part)
    with pytest.raises(AttributeError, match=message):
        getattr(target, last)


def test_namespaces_expose_the_same_classes(v1):
    assert v1.contrib.rnn.BasicLSTMCell is v1.nn.rnn_cell.BasicLSTMCell is compat_rnn.BasicLSTMCell
    assert v1.compat.v1.nn.rnn_cell.GRUCell is compat_rnn.GRUCell
    assert v1.nn.dynamic_rnn is compat_rnn.dynamic_rnn
    assert v1.nn.softmax_cross_entropy_with_logits_v2 is tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2
    assert "rnn_cell" in dir(v1.nn) and "seq2seq" in dir(v1.contrib)


def measure_agreement():
    """Print the largest per-step difference of each cell from the NumPy and Keras references.

    ``python -m tests.test_compat_rnn`` (float64 and float32 TF1 graphs; the
    references run in float64, Keras in the graph's precision).
    """
    import keras

    for dtype in ("float64", "float32"):
        keras.config.set_floatx(dtype)
        for name in ("basic_rnn", "basic_lstm", "lstm_peepholes_projection_clip", "gru"):
            factory, scope, kind, options = CELLS[name]
            with legacy_graph():
                import tfcourse.compat.v1 as tf1

                x = tf1.placeholder(dtype, [3, 5, 2])
                cell = factory(tf1.nn.rnn_cell)
                outputs, _ = tf1.nn.dynamic_rnn(cell, x, dtype=dtype)
                with tf1.Session() as sess:
                    values = _randomize(tf1, sess)
                    got = sess.run(outputs, {x: X})
            weights = _cell_weights(values, scope)
            want, _ = ref.run(_reference_step(kind, weights, **options), X,
                              _zero_state(kind, 3, 4, 3 if "projection" in name else None))
            numpy_gap = np.abs(got - want).max(axis=(0, 2))
            line = f"{dtype} {name:32s} NumPy per-step max |diff|: " + " ".join(f"{g:.1e}" for g in numpy_gap)
            if kind != "LSTMCell":
                class_name, arguments = compat_rnn.keras_equivalent(
                    compat_rnn.describe_cell(cell)[0]["cells"][0])
                layer = getattr(keras.layers, class_name)(**arguments, return_sequences=True,
                                                          return_state=True)
                keras_out = _keras_run(layer, X.astype(dtype), compat_rnn.keras_weights(kind, weights))[0]
                keras_gap = np.abs(keras_out - got).max(axis=(0, 2))
                line += " | Keras: " + " ".join(f"{g:.1e}" for g in keras_gap)
            print(line)
    keras.config.set_floatx("float32")


if __name__ == "__main__":
    measure_agreement()
