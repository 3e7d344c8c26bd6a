"""The legacy Session's hooks: traces, initial-weight override, step cap; settings and files."""

import numpy as np
import pytest
import tensorflow as tf

from tfcourse.compat import Trace, legacy_graph, overrides, recording
from tfcourse.compat.trace import load_weights

X_DATA = np.array([[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], np.float32)
Y_DATA = np.array([[0], [0], [0], [1], [1], [1]], np.float32)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_INIT", "TFCOURSE_MAX_STEPS", "TFCOURSE_TRACE", "TFCOURSE_SEED"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


def _logistic_graph(tf1, optimizer="GradientDescentOptimizer", learning_rate=0.1):
    """The course's perceptron training graph (seed 004)."""
    X = tf1.placeholder(tf1.float32, [None, 2])
    Y = tf1.placeholder(tf1.float32, [None, 1])
    W = tf1.Variable(tf1.random_normal([2, 1]), name="weight")
    b = tf1.Variable(tf1.random_normal([1]), name="bias")
    hypothesis = tf1.sigmoid(tf1.matmul(X, W) + b)
    cost = -tf1.reduce_mean(Y * tf1.log(hypothesis) + (1 - Y) * tf1.log(1 - hypothesis))
    train = getattr(tf1.train, optimizer)(learning_rate).minimize(cost)
    return X, Y, W, b, cost, train


def test_trace_records_initial_weights_and_the_fetched_losses():
    with recording() as trace, legacy_graph(seed=3):
        import tfcourse.compat.v1 as tf1

        X, Y, W, b, cost, train = _logistic_graph(tf1)
        feed = {X: X_DATA, Y: Y_DATA}
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            initial = sess.run({"weight": W, "bias": b})
            fetched = [sess.run([cost, train], feed)[0] for _ in range(5)]
    assert sorted(trace.initial_weights) == ["bias", "weight"]
    for name, value in initial.items():
        np.testing.assert_array_equal(trace.initial_weights[name], value)
    np.testing.assert_array_equal(trace.losses, np.asarray(fetched, np.float64))
    assert trace.train_ops == [train.name] * 5


def test_loss_is_recorded_when_only_the_train_op_is_fetched():
    with recording() as trace, legacy_graph(seed=4):
        import tfcourse.compat.v1 as tf1

        X, Y, W, b, cost, train = _logistic_graph(tf1, "AdamOptimizer")
        feed = {X: X_DATA, Y: Y_DATA}
        expected = []
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(4):
                expected.append(sess.run(cost, feed))  # the loss before this step's update
                sess.run(train, feed)
    np.testing.assert_array_equal(trace.losses, np.asarray(expected, np.float64))


def test_optimizers_are_tf1s_classes_with_tf1s_update():
    with legacy_graph(seed=5):
        import tfcourse.compat.v1 as tf1

        X, Y, W, b, cost, train = _logistic_graph(tf1, learning_rate=0.5)
        assert isinstance(tf1.train.GradientDescentOptimizer(0.1), tf.compat.v1.train.Optimizer)
        grad_W, grad_b = tf1.gradients(cost, [W, b])
        feed = {X: X_DATA, Y: Y_DATA}
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            before, gradients = sess.run([[W, b], [grad_W, grad_b]], feed)
            sess.run(train, feed)
            after = sess.run([W, b])
    for old, gradient, new in zip(before, gradients, after):
        np.testing.assert_allclose(new, old - 0.5 * gradient, rtol=1e-6)  # w <- w - lr * g


def test_max_steps_turns_later_train_ops_into_no_ops():
    with overrides(max_steps=3), recording() as trace, legacy_graph(seed=6):
        import tfcourse.compat.v1 as tf1

        X, Y, W, b, cost, train = _logistic_graph(tf1)
        feed = {X: X_DATA, Y: Y_DATA}
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            weights = []
            for _ in range(6):
                cost_value, result = sess.run([cost, train], feed)
                assert result is None and np.isfinite(cost_value)
                weights.append(sess.run(W))
    assert trace.num_steps == 3
    assert not np.array_equal(weights[1], weights[2])  # step 3 still trained
    for later in weights[3:]:
        np.testing.assert_array_equal(later, weights[2])  # steps 4-6 did nothing


def test_init_override_starts_from_given_weights_and_reproduces_the_losses(tmp_path):
    def train(seed, init=None):
        with overrides(init=init), recording() as trace, legacy_graph(seed=seed):
            import tfcourse.compat.v1 as tf1

            X, Y, W, b, cost, train_op = _logistic_graph(tf1)
            with tf1.Session() as sess:
                sess.run(tf1.global_variables_initializer())
                for _ in range(10):
                    sess.run([cost, train_op], {X: X_DATA, Y: Y_DATA})
        return trace

    first = train(seed=1)
    path = first.save(tmp_path / "trace.npz")
    other_seed = train(seed=2)
    replayed = train(seed=2, init=str(path))  # a trace file works as TFCOURSE_INIT
    assert not np.allclose(other_seed.losses, first.losses)
    # Same weights, full-batch data, same ops: the losses are bit-for-bit TF1's.
    np.testing.assert_array_equal(replayed.losses, first.losses)
    for name, value in first.initial_weights.items():
        np.testing.assert_array_equal(replayed.initial_weights[name], value)


def test_init_override_errors_name_the_variable():
    with legacy_graph():
        import tfcourse.compat.v1 as tf1

        tf1.Variable(tf1.zeros([2, 1]), name="weight")
        with overrides(init={"wieght": np.zeros((2, 1))}), tf1.Session() as sess:
            with pytest.raises(ValueError, match=r"`init` names variables the program does not have: \['wieght'\]\. The program's variables: \['weight'\]"):
                sess.run(tf1.global_variables_initializer())
        with overrides(init={"weight": np.zeros((3, 1))}), tf1.Session() as sess:
            with pytest.raises(ValueError, match=r"`init` gives variable 'weight' the shape \(3, 1\); the program's variable has shape \(2, 1\)"):
                sess.run(tf1.global_variables_initializer())


def test_trace_file_round_trip(tmp_path):
    trace = Trace(metadata={"script": "x.py"})
    trace.record_initial_weights({"dense/kernel": np.arange(6.0).reshape(2, 3), "b": np.ones(3)})
    trace.record_batch("train", np.array([3, 1, 2]))
    trace.record_batch("validation", np.array([0, 4]))
    trace.record_step("Adam", np.float32(0.25))
    trace.record_dataset({"dataset": "synthetic", "train": 5})
    loaded = Trace.load(trace.save(tmp_path / "sub" / "t.npz"))
    np.testing.assert_array_equal(loaded.initial_weights["dense/kernel"], np.arange(6.0).reshape(2, 3))
    assert [list(i) for i in loaded.batch_indices] == [[3, 1, 2], [0, 4]]
    assert loaded.batch_splits == ["train", "validation"] and [list(i) for i in loaded.train_batches] == [[3, 1, 2]]
    assert loaded.losses == [0.25] and loaded.train_ops == ["Adam"]
    assert loaded.datasets == [{"dataset": "synthetic", "train": 5}] and loaded.metadata == {"script": "x.py"}
    assert sorted(load_weights(tmp_path / "sub" / "t.npz")) == ["b", "dense/kernel"]


def test_executing_eagerly_inside_and_after_the_scope():
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        assert not tf.executing_eagerly()
        tf1.disable_eager_execution()  # a no-op inside the scope
        tf1.disable_v2_behavior()
        first = scope.graph
        tf1.reset_default_graph()  # swaps the scope's graph, as TF1 would
        assert scope.graph is not first and tf1.get_default_graph() is scope.graph
    assert tf.executing_eagerly()
