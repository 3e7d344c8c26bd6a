# Char-level RNN that learns "hihell" -> "ihello" (the course's lab 12 "hello" RNN), TF1 style.
import numpy as np
import tensorflow as tf

tf.set_random_seed(777)  # reproducibility

idx2char = ['h', 'i', 'e', 'l', 'o']
x_data = [[0, 1, 0, 2, 3, 3]]   # h i h e l l
x_one_hot = [[[1, 0, 0, 0, 0],   # h
              [0, 1, 0, 0, 0],   # i
              [1, 0, 0, 0, 0],   # h
              [0, 0, 1, 0, 0],   # e
              [0, 0, 0, 1, 0],   # l
              [0, 0, 0, 1, 0]]]  # l
y_data = [[1, 0, 2, 3, 3, 4]]    # i h e l l o

num_classes = 5
input_dim = 5        # one-hot size
hidden_size = 5      # the LSTM's output size
batch_size = 1       # one sentence
sequence_length = 6  # |ihello|
learning_rate = 0.1

X = tf.placeholder(tf.float32, [None, sequence_length, input_dim])  # one-hot inputs
Y = tf.placeholder(tf.int32, [None, sequence_length])               # labels

cell = tf.contrib.rnn.BasicLSTMCell(num_units=hidden_size, state_is_tuple=True)
initial_state = cell.zero_state(batch_size, tf.float32)
outputs, _states = tf.nn.dynamic_rnn(cell, X, initial_state=initial_state, dtype=tf.float32)

# a fully connected layer on every time step's output
X_for_fc = tf.reshape(outputs, [-1, hidden_size])
outputs = tf.contrib.layers.fully_connected(inputs=X_for_fc, num_outputs=num_classes,
                                            activation_fn=None)
outputs = tf.reshape(outputs, [batch_size, sequence_length, num_classes])

weights = tf.ones([batch_size, sequence_length])
sequence_loss = tf.contrib.seq2seq.sequence_loss(logits=outputs, targets=Y, weights=weights)
loss = tf.reduce_mean(sequence_loss)
train = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(loss)

prediction = tf.argmax(outputs, axis=2)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(50):
        l, _ = sess.run([loss, train], feed_dict={X: x_one_hot, Y: y_data})
        result = sess.run(prediction, feed_dict={X: x_one_hot})
        result_str = [idx2char[c] for c in np.squeeze(result)]
        print(i, "loss:", l, "prediction:", result, "true Y:", y_data)
        print("\tPrediction str:", ''.join(result_str))
