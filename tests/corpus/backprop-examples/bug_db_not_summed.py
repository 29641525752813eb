# expect-fail: ex2_db
# expect-mistake: ex2_db=affine-db-not-summed
ex1_1_dX = [4, 3, 4]
ex1_1_dW = [[4, 2], [-2, -1], [2, 1]]
ex1_2_dX = [-1, 0, 2]
ex1_2_dW = [[-1, 1], [1 / 2, -1 / 2], [-1 / 2, 1 / 2]]
ex2_dX = [[1, 0], [0, -1], [1, 1]]
ex2_db = [[1, 0], [0, -1], [1, 1]]
