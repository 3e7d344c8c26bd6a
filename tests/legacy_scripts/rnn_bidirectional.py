# A bidirectional LSTM tagger with padded sequences: tag each position with the symbol that
# comes NEXT (only the backward cell sees it). sequence_length masks the padding, and
# tf.sequence_mask weights the sequence_loss. TF1 style.
import numpy as np
import tensorflow as tf

tf.set_random_seed(777)
np.random.seed(777)

num_symbols = 4
max_length = 6
hidden_size = 8
learning_rate = 0.05

lengths = np.random.randint(3, max_length + 1, size=64)
symbols = np.random.randint(1, num_symbols, size=(64, max_length + 1))
for row, n in enumerate(lengths):
    symbols[row, n:] = 0                         # 0 pads; the next symbol after the end is 0
x_data = symbols[:, :max_length]
y_data = symbols[:, 1:]

X = tf.placeholder(tf.int32, [None, max_length])
Y = tf.placeholder(tf.int32, [None, max_length])
seq_len = tf.placeholder(tf.int32, [None])
X_one_hot = tf.one_hot(X, num_symbols)

cell_fw = tf.nn.rnn_cell.LSTMCell(hidden_size)
cell_bw = tf.nn.rnn_cell.LSTMCell(hidden_size)
(output_fw, output_bw), states = tf.nn.bidirectional_dynamic_rnn(
    cell_fw, cell_bw, X_one_hot, sequence_length=seq_len, dtype=tf.float32)
outputs = tf.concat([output_fw, output_bw], axis=2)
print("Output shapes:", output_fw.shape.as_list(), outputs.shape.as_list())

logits = tf.layers.dense(outputs, num_symbols)
weights = tf.sequence_mask(seq_len, max_length, dtype=tf.float32)
loss = tf.contrib.seq2seq.sequence_loss(logits=logits, targets=Y, weights=weights)
train = tf.train.AdamOptimizer(learning_rate).minimize(loss)

correct = tf.cast(tf.equal(tf.argmax(logits, 2, output_type=tf.int32), Y), tf.float32)
accuracy = tf.reduce_sum(correct * weights) / tf.reduce_sum(weights)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    feed = {X: x_data, Y: y_data, seq_len: lengths}
    for step in range(61):
        l, _ = sess.run([loss, train], feed_dict=feed)
        if step % 20 == 0:
            print("step", step, "loss", l)
    padded = sess.run(output_fw, feed_dict=feed)
    print("Zero past length:", bool(np.all(padded[lengths < max_length, -1] == 0)))
    print("Accuracy:", sess.run(accuracy, feed_dict=feed))
