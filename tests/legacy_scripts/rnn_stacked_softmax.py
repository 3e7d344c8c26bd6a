# A stacked LSTM classifier: static_rnn over the unstacked time steps, two LSTM layers with
# dropout between them (keep_prob fed), a softmax output layer on the last output. The task:
# name the first symbol of a sequence of 8 (the LSTM must carry it to the end). TF1 style.
import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

tf.set_random_seed(777)
np.random.seed(777)

num_symbols = 3
timesteps = 8
num_hidden = 16
num_classes = num_symbols
learning_rate = 0.05
training_steps = 60
train_keep_prob = 0.8  # DropoutWrapper's keep probability while training

symbols = np.random.randint(num_symbols, size=(256, timesteps))
x_data = np.eye(num_symbols, dtype=np.float32)[symbols]            # (256, 8, 3) one-hot
y_data = np.eye(num_classes, dtype=np.float32)[symbols[:, 0]]       # the first symbol

X = tf.placeholder("float", [None, timesteps, num_symbols])
Y = tf.placeholder("float", [None, num_classes])
keep_prob = tf.placeholder(tf.float32)

weights = {'out': tf.Variable(tf.random_normal([num_hidden, num_classes]))}
biases = {'out': tf.Variable(tf.random_normal([num_classes]))}


def RNN(x, weights, biases):
    # (batch, timesteps, n_input) -> a list of timesteps tensors of shape (batch, n_input)
    x = tf.unstack(x, timesteps, 1)
    cells = [rnn.DropoutWrapper(rnn.LSTMCell(num_hidden), output_keep_prob=keep_prob),
             rnn.LSTMCell(num_hidden)]
    stacked = rnn.MultiRNNCell(cells)
    outputs, states = rnn.static_rnn(stacked, x, dtype=tf.float32)
    # the softmax layer reads the last output
    return tf.matmul(outputs[-1], weights['out']) + biases['out']


logits = RNN(X, weights, biases)
prediction = tf.nn.softmax(logits)

loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=Y))
train_op = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(loss_op)

correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print("Logits shape:", logits.shape.as_list())
    for step in range(1, training_steps + 1):
        sess.run(train_op, feed_dict={X: x_data, Y: y_data, keep_prob: train_keep_prob})
        if step == 1 or step % 20 == 0:
            loss, acc = sess.run([loss_op, accuracy], feed_dict={X: x_data, Y: y_data, keep_prob: 1.0})
            print("Step " + str(step) + ", Loss= " + "{:.4f}".format(loss) +
                  ", Accuracy= " + "{:.3f}".format(acc))
    print("Final accuracy:", sess.run(accuracy, feed_dict={X: x_data, Y: y_data, keep_prob: 1.0}))
