"""Batch normalization with tf.nn.moments + tf.nn.batch_normalization on the 784-256-256-10 network.

Seed: 000_cc40c8819abf25a2.txt, "Unit 04 | Batch Normalization" (Algorithm 1, the training
transform; at test time, averages of the mini-batch statistics); seed 001 lists it as the lab 10
exercise ("Exercise: Batch Normalization").
Course result: none reported.
Lines: the seeds give the algorithm, not the program. Each hidden layer computes z = x W, then
Algorithm 1 with the batch mean and (biased) variance of tf.nn.moments, gamma = 1 and beta = 0
as trainable variables, epsilon = 1e-3, then ReLU. While training (placeholder is_training fed
True) the layer normalizes with the batch statistics and updates population averages pop = pop *
0.99 + batch * 0.01 (assign ops run through tf.control_dependencies); when testing (is_training
False) it normalizes with those averages. Weights are Xavier
(tf.contrib.layers.xavier_initializer), the rest is the lab 10 program (tf.set_random_seed(777),
Adam 0.001, 15 epochs of batch 100, accuracy on the test set).
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

is_training = tf.placeholder(tf.bool)


def batch_norm_layer(inputs, n_in, n_out, name, decay=0.99, epsilon=1e-3):
    W = tf.get_variable(name + "_W", shape=[n_in, n_out],
                        initializer=tf.contrib.layers.xavier_initializer())
    z = tf.matmul(inputs, W)
    gamma = tf.Variable(tf.ones([n_out]), name=name + "_gamma")
    beta = tf.Variable(tf.zeros([n_out]), name=name + "_beta")
    pop_mean = tf.Variable(tf.zeros([n_out]), trainable=False, name=name + "_pop_mean")
    pop_var = tf.Variable(tf.ones([n_out]), trainable=False, name=name + "_pop_var")

    def training():
        batch_mean, batch_var = tf.nn.moments(z, [0])
        train_mean = tf.assign(pop_mean, pop_mean * decay + batch_mean * (1 - decay))
        train_var = tf.assign(pop_var, pop_var * decay + batch_var * (1 - decay))
        with tf.control_dependencies([train_mean, train_var]):
            return tf.nn.batch_normalization(z, batch_mean, batch_var, beta, gamma, epsilon)

    def testing():
        return tf.nn.batch_normalization(z, pop_mean, pop_var, beta, gamma, epsilon)

    return tf.nn.relu(tf.cond(is_training, training, testing))


L1 = batch_norm_layer(X, 784, 256, "L1")
L2 = batch_norm_layer(L1, 256, 256, "L2")

W3 = tf.get_variable("W3", shape=[256, 10],
                     initializer=tf.contrib.layers.xavier_initializer())
b3 = tf.Variable(tf.random_normal([10]))
hypothesis = tf.matmul(L2, W3) + b3

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
        feed_dict = {X: batch_xs, Y: batch_ys, is_training: True}
        c, _ = sess.run([cost, optimizer], feed_dict=feed_dict)
        avg_cost += c / total_batch

    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))

print('Learning Finished!')

correct_prediction = tf.equal(tf.argmax(hypothesis, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
print('Accuracy:', sess.run(accuracy, feed_dict={
      X: mnist.test.images, Y: mnist.test.labels, is_training: False}))

r = random.randint(0, mnist.test.num_examples - 1)
print("Label: ", sess.run(tf.argmax(mnist.test.labels[r:r + 1], 1)))
print("Prediction: ", sess.run(
    tf.argmax(hypothesis, 1), feed_dict={X: mnist.test.images[r:r + 1], is_training: False}))
