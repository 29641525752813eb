"""The signatures EXERCISES.md gives students, by name (used to explain a TypeError)."""

SIGNATURES = {
    "sigmoid": "sigmoid(x)", "relu": "relu(x)", "tanh": "tanh(x)", "leaky_relu": "leaky_relu(x)",
    "mean_squared_error": "mean_squared_error(y, t)", "binary_cross_entropy": "binary_cross_entropy(y, t)",
    "softmax": "softmax(x)", "cross_entropy_error": "cross_entropy_error(y, t)",
    "q1": "q1(x, dz_du)", "q2": "q2(x, t)", "q3": "q3(x, dz_du, dz_dv)", "q4": "q4(x, y, dz_du, dz_dv)",
    "q5": "q5(x, y, s, t)", "q6": "q6(W, dz_dy)",
    "TwoLayerNet": 'TwoLayerNet(input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01)',
    "Affine": "Affine(W, b) — forward(x), backward(dout)",
    "Sigmoid": "Sigmoid() — forward(x), backward(dout)", "Relu": "Relu() — forward(x), backward(dout)",
    "IdentityWithLoss": "IdentityWithLoss() — forward(y, t), backward(dout=1)",
    "SigmoidWithLoss": "SigmoidWithLoss() — forward(x, t), backward(dout=1)",
    "SoftmaxWithLoss": "SoftmaxWithLoss() — forward(x, t), backward(dout=1)",
    "MultiLayerNet": 'MultiLayerNet(input_size, hidden_size_list, output_size, activation="relu", '
                     'weight_init_std=0.01)',
    "SGD": "SGD(lr=0.01) — update(params, grads)", "Momentum": "Momentum(lr=0.01, momentum=0.9) — update(params, grads)",
    "Nesterov": "Nesterov(lr=0.01, momentum=0.9) — update(params, grads)",
    "AdaGrad": "AdaGrad(lr=0.01) — update(params, grads)",
    "RMSprop": "RMSprop(lr=0.01, decay_rate=0.99) — update(params, grads)",
    "Adam": "Adam(lr=0.001, beta1=0.9, beta2=0.999) — update(params, grads)",
    "init_weight": "init_weight(n_in, n_out, method)",
    "BatchNormalization": "BatchNormalization(gamma, beta, momentum=0.9, running_mean=None, running_var=None) — "
                          "forward(x, train_flg=True), backward(dout)",
    "Dropout": "Dropout(dropout_ratio=0.5) — forward(x, train_flg=True), backward(dout)",
    "l2_penalty": "l2_penalty(weights, alpha)", "l2_penalty_grad": "l2_penalty_grad(W, alpha)",
    "l1_penalty": "l1_penalty(weights, alpha)", "l1_penalty_grad": "l1_penalty_grad(W, alpha)",
    "MultiLayerNetExtend": 'MultiLayerNetExtend(input_size, hidden_size_list, output_size, activation="relu", '
                           'weight_init_std="relu", weight_decay_lambda=0, use_dropout=False, dropout_ratio=0.5, '
                           'use_batchnorm=False)',
    "matmul_grads": "matmul_grads(X, W, dY) -> (dX, dW)",
    "affine_grads": "affine_grads(X, W, b, dY) -> (dX, dW, db)",
    "sigmoid_grad": "sigmoid_grad(x)", "softmax_with_loss_grads": "softmax_with_loss_grads(x, t) -> (E, dx)",
}
