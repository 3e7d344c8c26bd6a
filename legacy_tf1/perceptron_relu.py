"""Perceptron homework: the forward pass with ReLU instead of sigmoid.

Seed: 004_bed41145f0b74057.txt, slide "Perceptron 숙제" (implement the hypothesis with ReLU).
Course result: none reported; prints one output >= 0 (random weights).
Lines: the seed's program with its blank `hypothesis = 구현하기!` ("implement it!") filled in as
`tf.nn.relu(tf.matmul(X, W) + b)`; only the import line differs otherwise.
"""
import tfcourse.compat.v1 as tf

x_data = [[1, 2]]

X = tf.placeholder(tf.float32, shape=[None, 2])

W = tf.Variable(tf.random_normal([2, 1]), name='weight')
b = tf.Variable(tf.random_normal([1]), name='bias')

hypothesis = tf.nn.relu(tf.matmul(X, W) + b)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())

    prediction = sess.run(hypothesis, feed_dict={X: x_data})
    print(prediction)
