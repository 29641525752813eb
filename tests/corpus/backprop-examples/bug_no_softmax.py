# 1-(2) with dE/dY = Y − t (softmax forgotten): [2, 3].
# expect-fail: ex1_2_dX, ex1_2_dW
# expect-mistake: ex1_2_dX=softmax-forgotten, ex1_2_dW=softmax-forgotten
ex1_1_dX = [4, 3, 4]
ex1_1_dW = [[4, 2], [-2, -1], [2, 1]]
ex1_2_dX = [4, 5, 12]
ex1_2_dW = [[4, 6], [-2, -3], [2, 3]]
ex2_dX = [[1, 0], [0, -1], [1, 1]]
ex2_db = [2, 0]
