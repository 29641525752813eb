# dE/dX taken as dE/dY + b.
# expect-fail: ex2_dX
# expect-mistake: ex2_dX=bias-added-to-dx
ex1_1_dX = [4, 3, 4]
ex1_1_dW = [[4, 2], [-2, -1], [2, 1]]
ex1_2_dX = [-1, 0, 2]
ex1_2_dW = [[-1, 1], [1 / 2, -1 / 2], [-1 / 2, 1 / 2]]
ex2_dX = [[3, 1], [2, 0], [3, 2]]
ex2_db = [2, 0]
