# MNIST with tf.layers: dense + batch_normalization (UPDATE_OPS) + dropout, and
# tf.contrib.layers.fully_connected for the output layer. TF1 style.
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

tf.set_random_seed(777)
mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

X = tf.placeholder(tf.float32, [None, 784])
Y = tf.placeholder(tf.float32, [None, 10])
training = tf.placeholder(tf.bool)

h1 = tf.layers.dense(X, 128, use_bias=False)
h1 = tf.layers.batch_normalization(h1, training=training)
h1 = tf.nn.relu(h1)
h1 = tf.layers.dropout(h1, rate=0.3, training=training)
h2 = tf.layers.dense(h1, 64, activation=tf.nn.relu)
logits = tf.contrib.layers.fully_connected(h2, 10, activation_fn=None)

cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=Y))
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    optimizer = tf.train.AdamOptimizer(0.01).minimize(cost)

accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1)), tf.float32))
moving_mean = [v for v in tf.global_variables() if v.name == "batch_normalization/moving_mean:0"][0]

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(3):
        for i in range(int(mnist.train.num_examples / 100)):
            batch_xs, batch_ys = mnist.train.next_batch(100)
            c, _ = sess.run([cost, optimizer], feed_dict={X: batch_xs, Y: batch_ys, training: True})
        print('Epoch:', epoch + 1, 'cost =', c)
    print('Variables:', sorted(v.op.name for v in tf.trainable_variables()))
    print('Moving mean norm:', float((sess.run(moving_mean) ** 2).sum() ** 0.5))
    print('Accuracy:', sess.run(accuracy, feed_dict={X: mnist.test.images, Y: mnist.test.labels,
                                                     training: False}))
