# Lab 11 MNIST and Convolutional Neural Network with tf.layers: conv2d / max_pooling2d /
# dropout(training=...) / dense, the `training` placeholder fed True to train, False to test
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data
tf.set_random_seed(777)  # reproducibility

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

# hyper parameters
learning_rate = 0.001
training_epochs = 15
batch_size = 100

# dropout is on while training, off when testing
training = tf.placeholder(tf.bool)

# images (28x28 = 784 pixels) and one-hot labels
X = tf.placeholder(tf.float32, [None, 784])
X_img = tf.reshape(X, [-1, 28, 28, 1])
Y = tf.placeholder(tf.float32, [None, 10])

# conv layer 1: (?, 28, 28, 32), pooled to (?, 14, 14, 32)
conv1 = tf.layers.conv2d(inputs=X_img, filters=32, kernel_size=[3, 3],
                         padding="SAME", activation=tf.nn.relu)
pool1 = tf.layers.max_pooling2d(inputs=conv1, pool_size=[2, 2],
                                padding="SAME", strides=2)
dropout1 = tf.layers.dropout(inputs=pool1, rate=0.3, training=training)

# conv layer 2: (?, 14, 14, 64), pooled to (?, 7, 7, 64)
conv2 = tf.layers.conv2d(inputs=dropout1, filters=64, kernel_size=[3, 3],
                         padding="SAME", activation=tf.nn.relu)
pool2 = tf.layers.max_pooling2d(inputs=conv2, pool_size=[2, 2],
                                padding="SAME", strides=2)
dropout2 = tf.layers.dropout(inputs=pool2, rate=0.3, training=training)

# dense layer, ReLU
flat = tf.reshape(dropout2, [-1, 64 * 7 * 7])
dense3 = tf.layers.dense(inputs=flat, units=256, activation=tf.nn.relu)
dropout3 = tf.layers.dropout(inputs=dense3, rate=0.5, training=training)

# output layer: 10 logits, no activation
logits = tf.layers.dense(inputs=dropout3, units=10)

# softmax cross-entropy, Adam
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
    logits=logits, labels=Y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

correct_prediction = tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

sess = tf.Session()
sess.run(tf.global_variables_initializer())

# mini-batch training, average cost per epoch
print('Training the CNN...')
for epoch in range(training_epochs):
    avg_cost = 0
    total_batch = int(mnist.train.num_examples / batch_size)

    for i in range(total_batch):
        batch_xs, batch_ys = mnist.train.next_batch(batch_size)
        feed_dict = {X: batch_xs, Y: batch_ys, training: True}
        c, _ = sess.run([cost, optimizer], feed_dict=feed_dict)
        avg_cost += c / total_batch

    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))

print('Learning Finished!')

# accuracy on the test set
print('Accuracy:', sess.run(accuracy, feed_dict={
      X: mnist.test.images, Y: mnist.test.labels, training: False}))
