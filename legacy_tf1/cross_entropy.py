"""Cross-entropy, both spellings of the course, on the same logits.

Seed: 004_bed41145f0b74057.txt, slide "Loss Function (Error Function)": the cost written with
tf.log of the softmax, "또는" (or) with tf.nn.softmax_cross_entropy_with_logits.
Course result: none reported; the two costs agree (to float32 rounding) on the same batch.
Lines: the network is the seed's "Affine, Activation" slide; the two cost lines are the seed's,
except that the logits are kept as `logits` before the seed's `hypothesis =
tf.nn.softmax(hypothesis)` so the second spelling gets logits as it must, and the second cost is
named `cost_with_logits` so both can be printed. The next_batch and session lines follow the
seed's "Softmax" slide. Only the import lines differ otherwise.
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
logits = hypothesis

hypothesis = tf.nn.softmax(hypothesis)
cost = tf.reduce_mean(-tf.reduce_sum(Y * tf.log(hypothesis), axis=1))

cost_with_logits = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
    logits=logits, labels=Y))

sess = tf.Session()
sess.run(tf.global_variables_initializer())
x, y = mnist.train.next_batch(100)
feed_dict = {X: x, Y: y}
c1, c2 = sess.run([cost, cost_with_logits], feed_dict=feed_dict)
print('cost (tf.log of softmax):', c1)
print('cost (softmax_cross_entropy_with_logits):', c2)
