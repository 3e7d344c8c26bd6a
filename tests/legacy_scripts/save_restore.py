# tf.train.Saver: train, save, rebuild the graph, restore, compare. argv[1]: checkpoint folder.
import os
import sys

import numpy as np
import tensorflow as tf


def build():
    X = tf.placeholder(tf.float32, [None, 3])
    W = tf.get_variable("W", shape=[3, 1], initializer=tf.contrib.layers.xavier_initializer())
    b = tf.Variable(tf.zeros([1]), name="b")
    return X, W, b, tf.matmul(X, W) + b


x_data = np.arange(12, dtype=np.float32).reshape(4, 3)
y_data = x_data.sum(axis=1, keepdims=True)
X, W, b, hypothesis = build()
cost = tf.reduce_mean(tf.square(hypothesis - y_data))
train = tf.train.GradientDescentOptimizer(0.001).minimize(cost)
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(20):
        sess.run(train, feed_dict={X: x_data})
    saved = sess.run(hypothesis, feed_dict={X: x_data})
    path = saver.save(sess, os.path.join(sys.argv[1], "model.ckpt"))
print("Saved to", path)

tf.reset_default_graph()
X, W, b, hypothesis = build()
saver = tf.train.Saver()
with tf.Session() as sess:
    saver.restore(sess, tf.train.latest_checkpoint(sys.argv[1]))
    restored = sess.run(hypothesis, feed_dict={X: x_data})
print("Restored equal:", bool(np.array_equal(saved, restored)))
