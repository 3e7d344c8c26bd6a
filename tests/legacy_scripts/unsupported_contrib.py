# tf.contrib.rnn.LayerNormBasicLSTMCell has no stand-in: the runner must name it and its replacement.
import tensorflow as tf

cell = tf.contrib.rnn.LayerNormBasicLSTMCell(num_units=8)
