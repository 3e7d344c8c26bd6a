"""The porter's pattern matcher and tables (tfcourse.port.matcher / patterns / lowering).

Each test builds a small TF1 graph with tfcourse.compat, the way a program
would, and checks what the tables recognize in it: a pattern written in TF1
matches the same computation in a program, whatever order a commutative op
got its operands in; an intermediate the program also uses is not swallowed;
constants bind; a variable argument wants a variable; initial values map to
the Keras initializer drawing the same distribution.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfcourse.compat import legacy_graph
from tfcourse.port.graph import ProgramGraph
from tfcourse.port.lowering import first_match, initializer_code


def _graph(scope, fetched):
    graph = ProgramGraph(scope.graph, "<test>")
    graph.forward = graph.data_ancestors(fetched)
    return graph


def test_course_dense_layer_matches_with_its_weights():
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        W = tf1.Variable(tf1.random_normal([4, 3]))
        b = tf1.Variable(tf1.random_normal([3]))
        hypothesis = tf1.matmul(X, W) + b
        graph = _graph(scope, [hypothesis])
        found = first_match("LAYERS", hypothesis, graph)
        assert found.pattern.name == "matmul_plus_bias"
        assert found.bindings["x"] is X
        assert graph.variable_of(found.bindings["W"]) is W
        assert graph.variable_of(found.bindings["b"]) is b


def test_bias_first_matches_the_same_pattern():
    # b + tf.matmul(X, W): AddV2 is commutative, the pattern tries both orders
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        W = tf1.Variable(tf1.zeros([4, 3]))
        b = tf1.Variable(tf1.zeros([3]))
        hypothesis = b + tf1.matmul(X, W)
        found = first_match("LAYERS", hypothesis, _graph(scope, [hypothesis]))
        assert found.pattern.name == "matmul_plus_bias"


def test_an_intermediate_the_program_uses_is_not_swallowed():
    # the program fetches tf.matmul(X, W) itself: it must stay a value of its own
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        W = tf1.Variable(tf1.zeros([4, 3]))
        b = tf1.Variable(tf1.zeros([3]))
        z = tf1.matmul(X, W)
        hypothesis = z + b
        graph = _graph(scope, [hypothesis, tf1.reduce_sum(z)])
        found = first_match("LAYERS", hypothesis, graph)
        assert found is None or found.pattern.name != "matmul_plus_bias"
        assert first_match("LAYERS", z, graph).pattern.name == "matmul"


def test_a_fed_weight_is_not_a_dense_layer():
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        W = tf1.placeholder(tf1.float32, [4, 3])
        out = tf1.matmul(X, W)
        assert first_match("LAYERS", out, _graph(scope, [out])) is None


@pytest.mark.parametrize("keep_prob,pattern", [(None, "dropout_keep_prob"), (0.6, "dropout_fixed")])
def test_dropout_with_fed_or_fixed_keep_prob(keep_prob, pattern):
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        kept = tf1.placeholder(tf1.float32) if keep_prob is None else keep_prob
        out = tf1.nn.dropout(X, keep_prob=kept)
        found = first_match("LAYERS", out, _graph(scope, [out]))
        assert found.pattern.name == pattern
        if keep_prob is None:
            assert found.bindings["keep_prob"] is kept
        else:  # 1 - 0.6 in float32
            np.testing.assert_allclose(found.constants["rate"], 0.4, rtol=1e-6)


def test_reshape_binds_its_target_shape():
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 784])
        image = tf1.reshape(X, [-1, 28, 28, 1])
        found = first_match("LAYERS", image, _graph(scope, [image]))
        assert found.pattern.name == "reshape"
        assert found.constants["shape"].tolist() == [-1, 28, 28, 1]


def test_loss_and_accuracy_tables():
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        X = tf1.placeholder(tf1.float32, [None, 4])
        Y = tf1.placeholder(tf1.float32, [None, 3])
        W = tf1.Variable(tf1.zeros([4, 3]))
        logits = tf1.matmul(X, W)
        cost = tf1.reduce_mean(tf1.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
        accuracy = tf1.reduce_mean(tf1.cast(tf1.equal(tf1.argmax(logits, 1), tf1.argmax(Y, 1)),
                                            tf1.float32))
        graph = _graph(scope, [cost, accuracy])
        loss = first_match("LOSSES", cost, graph)
        assert loss.pattern.data["keras"] == "CategoricalCrossentropy(from_logits=True)"
        assert loss.bindings["logits"] is logits and loss.bindings["labels"] is Y
        metric = first_match("METRICS", accuracy, graph)
        assert metric.pattern.data["keras"] == "CategoricalAccuracy"


def test_hand_written_log_loss_is_no_keras_loss():
    # -mean(y log h + (1-y) log(1-h)) stays the program's own formula (Keras clips log(0))
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        h = tf1.placeholder(tf1.float32, [None, 1])
        Y = tf1.placeholder(tf1.float32, [None, 1])
        cost = -tf1.reduce_mean(Y * tf1.log(h) + (1 - Y) * tf1.log(1 - h))
        assert first_match("LOSSES", cost, _graph(scope, [cost])) is None


def _initializer(make):
    with legacy_graph() as scope:
        variable = make()
        return initializer_code(variable, _graph(scope, [])).text


def test_initializers_draw_the_same_distribution():
    import tfcourse.compat.v1 as tf1

    assert _initializer(lambda: tf1.Variable(tf1.random_normal([3, 4], stddev=0.01))) == \
        "keras.initializers.RandomNormal(stddev=0.01)"
    assert _initializer(lambda: tf1.Variable(tf1.truncated_normal([3, 4], stddev=0.1))) == \
        "keras.initializers.TruncatedNormal(stddev=0.1)"
    assert _initializer(lambda: tf1.get_variable(
        "W", [784, 256], initializer=tf1.contrib.layers.xavier_initializer())) == '"glorot_uniform"'
    assert _initializer(lambda: tf1.get_variable(
        "W", [784, 256], initializer=tf1.contrib.layers.variance_scaling_initializer())) == \
        'tfcourse.initializers.He(convention="tf1")'
    assert _initializer(lambda: tf1.Variable(tf1.zeros([3]))) == '"zeros"'
    assert _initializer(lambda: tf1.Variable(tf1.constant(0.1, shape=[3]))) == \
        "keras.initializers.Constant(0.1)"


def test_xavier_limit_is_the_glorot_limit():
    # the check behind '"glorot_uniform"': contrib's limit sqrt(6 / (fan_in + fan_out))
    with legacy_graph() as scope:
        import tfcourse.compat.v1 as tf1

        W = tf1.get_variable("W", [784, 256], initializer=tf1.contrib.layers.xavier_initializer())
        found = first_match("INITIALIZERS", W.initializer.inputs[1], _graph(scope, []))
        assert math.isclose(float(found.constants["maxval"]), math.sqrt(6 / (784 + 256)),
                            rel_tol=1e-6)  # float32 rounding of the limit
    assert tf.executing_eagerly()
