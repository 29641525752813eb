# dE/dX = dE/dY W (no transpose) cannot even be formed; the student guessed dY itself.
# expect-fail: ex1_1_dX
# expect-mistake: ex1_1_dX=answer-is-dy
ex1_1_dX = [2, 1]
ex1_1_dW = [[4, 2], [-2, -1], [2, 1]]
ex1_2_dX = [-1, 0, 2]
ex1_2_dW = [[-1, 1], [1 / 2, -1 / 2], [-1 / 2, 1 / 2]]
ex2_dX = [[1, 0], [0, -1], [1, 1]]
ex2_db = [2, 0]
