# Only the first problem answered.
# expect-fail: ex1_2_dX, ex1_2_dW, ex2_dX, ex2_db
# expect-status: ex2_db=missing
ex1_1_dX = [4, 3, 4]
ex1_1_dW = [[4, 2], [-2, -1], [2, 1]]
