"""Perceptron forward pass: sigmoid(x W + b) for one input.

Seed: 004_bed41145f0b74057.txt, slide "Perceptron (1958~)".
Course result: none reported; prints one sigmoid output in (0, 1) (random weights).
Lines: all from the seed; only the import line differs.
"""
import tfcourse.compat.v1 as tf

x_data = [[1, 2]]

X = tf.placeholder(tf.float32, shape=[None, 2])

W = tf.Variable(tf.random_normal([2, 1]), name='weight')
b = tf.Variable(tf.random_normal([1]), name='bias')

hypothesis = tf.sigmoid(tf.matmul(X, W) + b)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())

    prediction = sess.run(hypothesis, feed_dict={X: x_data})
    print(prediction)
