"""tfcourse.compat's public names and what tfcourse.compat.v1 exposes."""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfcourse.compat
from tfcourse.compat import legacy_graph


@pytest.fixture(autouse=True)
def still_eager_afterwards():
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


def test_public_names_resolve():
    assert tfcourse.compat.__all__ == sorted([
        "LEGACY_DIR", "LegacyProgram", "LegacySettings", "ScriptResult", "Trace",
        "UnsupportedSymbolError", "in_legacy_graph", "legacy_graph", "legacy_programs",
        "original_source", "overrides", "recording", "run_script"])
    for name in tfcourse.compat.__all__:
        assert getattr(tfcourse.compat, name) is not None, name


def test_importing_compat_does_not_import_tensorflow():
    code = ("import sys, tfcourse.compat, tfcourse.compat.settings, tfcourse.compat.programs; "
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


def test_v1_is_tf_compat_v1_plus_the_removed_pieces():
    with legacy_graph():
        import tfcourse.compat.v1 as tf1

        for name in ("placeholder", "get_variable", "set_random_seed", "random_normal", "log",
                     "GraphKeys", "Session", "contrib", "layers", "examples"):
            assert name in dir(tf1), name
        assert tf1.summary.merge_all is tf.compat.v1.summary.merge_all  # TF1 summaries, not v2
        assert tf1.summary.FileWriter is tf.compat.v1.summary.FileWriter
        assert tf1.train.Saver is tf.compat.v1.train.Saver
        assert issubclass(tf1.Session, tf.compat.v1.Session)
        assert tf1.examples.tutorials.mnist.input_data.read_data_sets is not None
        assert tf1.compat.v1 is tf1
        x = tf1.placeholder(tf1.float32, [None, 1000])
        dropped = tf1.nn.dropout(x, keep_prob=0.8)  # TF1's keep_prob spelling still works
        with tf1.Session() as sess:
            values = sess.run(dropped, {x: np.ones((4, 1000), np.float32)})
    assert set(np.unique(values)) <= {0.0, np.float32(1.25)}
    assert abs((values > 0).mean() - 0.8) < 0.03  # 4000 draws: std of the kept share 0.006


def test_unknown_name_says_neither_provides_it():
    with legacy_graph():
        import tfcourse.compat.v1 as tf1

        with pytest.raises(AttributeError, match=r"neither TF1's tf\.compat\.v1 nor tfcourse\.compat provides tf\.no_such_thing"):
            tf1.no_such_thing
