# Linear regression from a CSV file (x, y per line), TF1 style. argv[1]: the CSV path.
import sys

import numpy as np
import tensorflow as tf

tf.set_random_seed(777)
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
x_data = xy[:, 0:-1]
y_data = xy[:, [-1]]

X = tf.placeholder(tf.float32, shape=[None, 1])
Y = tf.placeholder(tf.float32, shape=[None, 1])
W = tf.Variable(tf.random_normal([1, 1]), name='weight')
b = tf.Variable(tf.random_normal([1]), name='bias')
hypothesis = tf.matmul(X, W) + b
cost = tf.reduce_mean(tf.square(hypothesis - Y))
train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
for step in range(501):
    cost_val, W_val, b_val, _ = sess.run([cost, W, b, train], feed_dict={X: x_data, Y: y_data})
    if step % 100 == 0:
        print(step, cost_val, W_val, b_val)
print("W:", sess.run(W)[0, 0], "b:", sess.run(b)[0])
