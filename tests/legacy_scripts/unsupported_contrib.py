# tf.contrib.rnn has no stand-in: the runner must name it and its replacement.
import tensorflow as tf

cell = tf.contrib.rnn.BasicLSTMCell(num_units=8)
