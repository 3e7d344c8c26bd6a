"""Softmax regression on MNIST (784-10), the baseline of the course's lab 10.

Seed: 001_8ab6e49f5ecc8486.txt, "ch.10 Lab" results table.
Course result: Softmax 90% (seed 001: "Softmax VS Neural Nets for MNIST, 90% and 94.5%").
Lines: The seeds do not print this program; it is written as the course's lab 10 program
(DeepLearningZeroToAll, whose results seed 001 summarizes) in the style of seed 004's code,
with that lab's tf.set_random_seed(777) (no seed sets a seed): learning_rate = 0.001,
training_epochs = 15, batch_size = 100, Adam,
the loop of seed 004's "Gradient descent" slide, the accuracy lines of its "Early Stopping"
slide, then one random test image and its prediction.
Only the import lines differ from the course's code.
"""
import tfcourse.compat.v1 as tf
import random

from tfcourse.compat.v1.examples.tutorials.mnist import input_data

tf.set_random_seed(777)  # reproducibility

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

learning_rate = 0.001
training_epochs = 15
batch_size = 100

X = tf.placeholder(tf.float32, [None, 784])
Y = tf.placeholder(tf.float32, [None, 10])

W = tf.Variable(tf.random_normal([784, 10]))
b = tf.Variable(tf.random_normal([10]))
hypothesis = tf.matmul(X, W) + b

cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
    logits=hypothesis, labels=Y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

sess = tf.Session()
sess.run(tf.global_variables_initializer())

for epoch in range(training_epochs):
    avg_cost = 0
    total_batch = int(mnist.train.num_examples / batch_size)

    for i in range(total_batch):
        batch_xs, batch_ys = mnist.train.next_batch(batch_size)
        feed_dict = {X: batch_xs, Y: batch_ys}
        c, _ = sess.run([cost, optimizer], feed_dict=feed_dict)
        avg_cost += c / total_batch

    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))

print('Learning Finished!')

correct_prediction = tf.equal(tf.argmax(hypothesis, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
print('Accuracy:', sess.run(accuracy, feed_dict={
      X: mnist.test.images, Y: mnist.test.labels}))

r = random.randint(0, mnist.test.num_examples - 1)
print("Label: ", sess.run(tf.argmax(mnist.test.labels[r:r + 1], 1)))
print("Prediction: ", sess.run(
    tf.argmax(hypothesis, 1), feed_dict={X: mnist.test.images[r:r + 1]}))
