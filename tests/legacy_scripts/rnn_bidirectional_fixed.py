# Bidirectional tagger over fixed-length sequences, TF1 style: each position's label is the
# symbol that follows it (0 at the last position), which only the backward cell can see. A
# forward LSTM and a backward GRU (tf.nn.bidirectional_dynamic_rnn), their outputs joined with
# tf.concat, tf.layers.dense on every step and tf.contrib.seq2seq.sequence_loss.
import numpy as np
import tensorflow as tf

tf.set_random_seed(777)
np.random.seed(777)

num_symbols = 4
length = 6
hidden_size = 8
batch_size = 64
learning_rate = 0.05

x_data = np.random.randint(1, num_symbols, size=(batch_size, length))
y_data = np.concatenate([x_data[:, 1:], np.zeros((batch_size, 1), dtype=int)], axis=1)

X = tf.placeholder(tf.int32, [None, length])
Y = tf.placeholder(tf.int32, [None, length])
X_one_hot = tf.one_hot(X, num_symbols)

cell_fw = tf.nn.rnn_cell.LSTMCell(hidden_size)
cell_bw = tf.nn.rnn_cell.GRUCell(hidden_size)
(output_fw, output_bw), states = tf.nn.bidirectional_dynamic_rnn(
    cell_fw, cell_bw, X_one_hot, dtype=tf.float32)
outputs = tf.concat([output_fw, output_bw], axis=2)
print("Output shapes:", output_bw.shape.as_list(), outputs.shape.as_list())

logits = tf.layers.dense(outputs, num_symbols)
loss = tf.contrib.seq2seq.sequence_loss(logits=logits, targets=Y,
                                        weights=tf.ones([batch_size, length]))
train = tf.train.AdamOptimizer(learning_rate).minimize(loss)

prediction = tf.argmax(logits, 2, output_type=tf.int32)
accuracy = tf.reduce_mean(tf.cast(tf.equal(prediction, Y), tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(81):
        l, _ = sess.run([loss, train], feed_dict={X: x_data, Y: y_data})
        if step % 20 == 0:
            print("step", step, "loss", l)
    print("Accuracy:", sess.run(accuracy, feed_dict={X: x_data, Y: y_data}))
