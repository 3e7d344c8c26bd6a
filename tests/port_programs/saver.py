# Saving and restoring a model with tf.train.Saver: train a logistic regression, save it,
# restore it into a new session and predict again. Checkpoint folder: the first argument,
# else a new temporary folder
import os
import sys
import tempfile

import tensorflow as tf
tf.set_random_seed(777)  # for reproducibility

save_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()

x_data = [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]]
y_data = [[0], [0], [0], [1], [1], [1]]
x_new = [[2, 2], [5, 4]]

X = tf.placeholder(tf.float32, shape=[None, 2])
Y = tf.placeholder(tf.float32, shape=[None, 1])
W = tf.Variable(tf.random_normal([2, 1]), name='weight')
b = tf.Variable(tf.random_normal([1]), name='bias')

hypothesis = tf.sigmoid(tf.matmul(X, W) + b)
cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)

# saves and restores every variable of the graph
saver = tf.train.Saver()

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(2001):
        cost_val, _ = sess.run([cost, train], feed_dict={X: x_data, Y: y_data})
        if step % 400 == 0:
            print(step, cost_val)
    print("Prediction before saving:", sess.run(hypothesis, feed_dict={X: x_new}).ravel())
    save_path = saver.save(sess, os.path.join(save_dir, "model.ckpt"))
    print("Model saved in file:", save_path)

# a new session: no initializer, the weights come from the file
with tf.Session() as sess:
    saver.restore(sess, save_path)
    print("W, b restored:", sess.run(W).ravel(), sess.run(b))
    print("Prediction after restoring:", sess.run(hypothesis, feed_dict={X: x_new}).ravel())
