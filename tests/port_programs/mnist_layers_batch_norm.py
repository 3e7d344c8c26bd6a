# Lab 10 MNIST with batch normalization through tf.layers: dense -> batch_normalization -> relu,
# is_training fed True to train, False to test; the moving averages update through UPDATE_OPS
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
# batch statistics while training, moving averages when testing
is_training = tf.placeholder(tf.bool, name='is_training')

# the layers
h1 = tf.layers.dense(X, 256, kernel_initializer=tf.contrib.layers.xavier_initializer())
h1 = tf.layers.batch_normalization(h1, training=is_training)
h1 = tf.nn.relu(h1)

h2 = tf.layers.dense(h1, 256, kernel_initializer=tf.contrib.layers.xavier_initializer())
h2 = tf.layers.batch_normalization(h2, training=is_training)
h2 = tf.nn.relu(h2)

logits = tf.layers.dense(h2, 10, kernel_initializer=tf.contrib.layers.xavier_initializer())

# softmax cross-entropy, Adam
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
    logits=logits, labels=Y))
# run the moving average updates of batch_normalization with every training step
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

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
        feed_dict = {X: batch_xs, Y: batch_ys, is_training: True}
        c, _ = sess.run([cost, optimizer], feed_dict=feed_dict)
        avg_cost += c / total_batch

    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))

print('Learning Finished!')

# accuracy on the test set
print('Accuracy:', sess.run(accuracy, feed_dict={
      X: mnist.test.images, Y: mnist.test.labels, is_training: False}))
