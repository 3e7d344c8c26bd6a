# Lab 10 MNIST with batch normalization through tf.contrib.layers: fully_connected with
# normalizer_fn=tf.contrib.layers.batch_norm (decay 0.9), is_training fed True/False
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data
tf.set_random_seed(777)  # reproducibility

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

# hyper parameters
learning_rate = 0.01
training_epochs = 15
batch_size = 100

# images (28x28 = 784 pixels) and one-hot labels
X = tf.placeholder(tf.float32, [None, 784])
Y = tf.placeholder(tf.float32, [None, 10])
is_training = tf.placeholder(tf.bool, name='is_training')

# batch norm in place of the bias: the same parameters for every hidden layer
bn_params = {
    'is_training': is_training,
    'decay': 0.9,
}

# the layers
h1 = tf.contrib.layers.fully_connected(X, 256, activation_fn=tf.nn.relu,
                                       normalizer_fn=tf.contrib.layers.batch_norm,
                                       normalizer_params=bn_params)
h2 = tf.contrib.layers.fully_connected(h1, 256, activation_fn=tf.nn.relu,
                                       normalizer_fn=tf.contrib.layers.batch_norm,
                                       normalizer_params=bn_params)
logits = tf.contrib.layers.fully_connected(h2, 10, activation_fn=None)

# softmax cross-entropy, Adam
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
    logits=logits, labels=Y))
# batch_norm puts its moving average updates in UPDATE_OPS: run them with each step
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

correct_prediction = tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

sess = tf.Session()
sess.run(tf.global_variables_initializer())

# mini-batch training, average cost per epoch
for epoch in range(training_epochs):
    avg_cost = 0
    total_batch = int(mnist.train.num_examples / batch_size)

    for i in range(total_batch):
        batch_xs, batch_ys = mnist.train.next_batch(batch_size)
        c, _ = sess.run([cost, train], feed_dict={X: batch_xs, Y: batch_ys,
                                                  is_training: True})
        avg_cost += c / total_batch

    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))

print('Learning Finished!')

# accuracy on the test set
print('Accuracy:', sess.run(accuracy, feed_dict={
      X: mnist.test.images, Y: mnist.test.labels, is_training: False}))
