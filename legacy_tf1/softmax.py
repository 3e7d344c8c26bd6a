"""The 784-256-256-10 network's forward pass and its softmax on one example.

Seed: 004_bed41145f0b74057.txt, slides "Affine, Activation" (the network) and "Softmax" (its
"참고" (for reference) block: one next_batch(1) example, printing the softmax output `s` and the
logits `h`).
Course result: none reported; `s` is a row of 10 probabilities summing to 1.
Lines: all from the seed, the two slides one after the other; only the import lines differ.
"""
import tfcourse.compat.v1 as tf

from tfcourse.compat.v1.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

X = tf.placeholder(tf.float32, [None, 784])
Y = tf.placeholder(tf.float32, [None, 10])

W1 = tf.Variable(tf.random_normal([784, 256]))
b1 = tf.Variable(tf.random_normal([256]))
L1 = tf.nn.relu(tf.matmul(X, W1) + b1)

W2 = tf.Variable(tf.random_normal([256, 256]))
b2 = tf.Variable(tf.random_normal([256]))
L2 = tf.nn.relu(tf.matmul(L1, W2) + b2)

W3 = tf.Variable(tf.random_normal([256, 10]))
b3 = tf.Variable(tf.random_normal([10]))
hypothesis = tf.matmul(L2, W3) + b3

softmax_result = tf.nn.softmax(hypothesis)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
x, y = mnist.train.next_batch(1)
feed_dict = {X: x, Y: y}
s, h = sess.run([softmax_result, hypothesis], feed_dict=feed_dict)
print(s)
print(h)
