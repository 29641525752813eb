"""The catalogue of typical mistakes (issue 9): stable ids, bilingual titles and explanations, §.

A check names a mistake by passing the value that mistake would produce — a known-wrong
variant of the reference, computed in the grader — to ``assert_close(..., variants=...)``
(or ``ctx.variants(mistake_id=value)``).  When the student's value fails the correct
comparison but matches a variant, the item's ``mistake`` names it and its explanation
is added to the feedback.
"""

from __future__ import annotations

from grader.messages import Msg
from grader.spec import Mistake, register_mistakes


def M(en: str, ja: str) -> Msg:
    return Msg(en=en, ja=ja)


def _m(mid: str, section: str, title_en: str, title_ja: str, en: str, ja: str) -> Mistake:
    return Mistake(id=mid, title=Msg(en=title_en, ja=title_ja), explanation=Msg(en=en, ja=ja), section=section)


CATALOGUE: tuple[Mistake, ...] = (
    # ---------------------------------------------------------------- 1/N, ½, δ
    _m("loss-missing-1-over-n", "2", "Loss not divided by the batch size N", "損失をバッチサイズ N で割っていない",
       "The loss is the MEAN over the mini-batch: divide the sum by N = y.shape[0] (§2).",
       "損失はミニバッチの平均です。和を N = y.shape[0] で割ってください(§2)。"),
    _m("backward-missing-1-over-n", "3.7", "Gradient not divided by the batch size N",
       "勾配をバッチサイズ N で割っていない",
       "The loss is averaged over the batch, so its gradient is (y − t)/N, not (y − t): "
       "you did not divide by the batch size N (§3.7).",
       "損失はバッチの平均なので、勾配は (y − t) ではなく (y − t)/N です。バッチサイズ N で割っていません(§3.7)。"),
    _m("loss-divided-by-elements", "2", "Divided by the number of elements instead of N",
       "N ではなく要素数で割っている",
       "Divide by the batch size N = y.shape[0], not by y.size (the number of all elements) (§2).",
       "y.size(全要素数)ではなくバッチサイズ N = y.shape[0] で割ってください(§2)。"),
    _m("mse-missing-half", "2.1", "The ½ of the squared error is missing", "2 乗誤差の ½ がない",
       "The text's regression loss is ½ of the mean squared error: Σ(y − t)²/(2N) (§2.1). "
       "The ½ makes its gradient exactly (y − t)/N.",
       "テキストの回帰の損失は平均 2 乗誤差の ½: Σ(y − t)²/(2N) です(§2.1)。½ により勾配がちょうど (y − t)/N になります。"),
    _m("ce-no-delta", "2.3", "log of 0 (no small δ inside the log)", "log(0)(log の中に微小な δ がない)",
       "When a probability is exactly 0, log(0) = −inf and 0·log(0) = nan: add a small δ (e.g. 1e-7) inside "
       "the log, np.log(y + 1e-7) (§2.3).",
       "確率がちょうど 0 のとき log(0) = −inf、0·log(0) = nan になります。np.log(y + 1e-7) のように"
       "log の中に微小な δ を加えてください(§2.3)。"),
    _m("ce-sum-not-mean", "2.3", "Cross-entropy summed instead of averaged", "交差エントロピーを平均でなく和にしている",
       "Average the cross-entropy over the batch: −Σ t log y / N (§2.3).",
       "交差エントロピーはバッチで平均します: −Σ t log y / N(§2.3)。"),
    _m("ce-sign-flipped", "2.2", "The minus sign of the cross-entropy is missing",
       "交差エントロピーのマイナス符号がない",
       "Cross-entropy is −Σ t log y (binary: −[t log y + (1−t) log(1−y)]): log y ≤ 0, so the minus sign makes "
       "the loss ≥ 0 (§2.2, §2.3).",
       "交差エントロピーは −Σ t log y(2 値: −[t log y + (1−t) log(1−y)])です。log y ≤ 0 なので、先頭のマイナスで"
       "損失は 0 以上になります(§2.2、§2.3)。"),
    # ---------------------------------------------------------------- softmax / activations
    _m("softmax-no-max-shift", "5.2", "Softmax without subtracting the maximum", "ソフトマックスで最大値を引いていない",
       "exp(1000) overflows to inf and inf/inf = nan. Subtract each row's maximum before exp: the result is "
       "unchanged mathematically (§5.2).",
       "exp(1000) は inf になり inf/inf = nan です。exp の前に行ごとの最大値を引いてください。値は数学的に変わりません(§5.2)。"),
    _m("softmax-wrong-axis", "2.3", "Softmax over the wrong axis", "ソフトマックスの軸が違う",
       "Each ROW (one sample) must sum to 1: use axis=1 (or axis=-1) with keepdims=True, not axis=0 or the "
       "whole array (§2.3).",
       "各行(1 サンプル)の和が 1 になるようにします。axis=0 や配列全体ではなく axis=1(または -1)と "
       "keepdims=True を使ってください(§2.3)。"),
    _m("sigmoid-overflow", "1.2", "Sigmoid overflows for large |x|", "シグモイドが大きな |x| でオーバーフロー",
       "exp(x)/(1+exp(x)) gives inf/inf = nan for x = 1000. Use 1/(1+exp(−x)) (a warning at x = −1000 is "
       "harmless) or a stable form (§1.2).",
       "exp(x)/(1+exp(x)) は x = 1000 で inf/inf = nan になります。1/(1+exp(−x)) か安定な式を使ってください(§1.2)。"),
    _m("relu-inverted", "1.2", "ReLU keeps the negative part", "ReLU が負の部分を残している",
       "relu(x) = max(0, x): positive inputs pass unchanged, the rest become 0 — yours returns min(0, x), "
       "the opposite part (e.g. the mask x > 0 used to set entries to 0) (§1.2).",
       "relu(x) = max(0, x): 正の入力はそのまま、それ以外は 0 になります。あなたの relu は反対側の min(0, x) を"
       "返しています(例: x > 0 のマスクで 0 にしている)(§1.2)。"),
    _m("math-function-on-array", "1.2", "math.exp (math.log, …) used on arrays", "配列に math.exp(math.log など)を使っている",
       "math.exp, math.log, math.sqrt, … take ONE Python number: given an array they raise TypeError, and "
       "math.exp(1000) raises OverflowError where np.exp gives inf. Use NumPy's element-wise functions, "
       "np.exp(x), np.log(x), np.sqrt(x), which work on whole arrays (§1.2).",
       "math.exp、math.log、math.sqrt などは 1 つの数だけを受け取ります。配列を渡すと TypeError になり、"
       "math.exp(1000) は OverflowError になります(np.exp なら inf)。配列全体に要素ごとに働く NumPy の関数 "
       "np.exp(x)、np.log(x)、np.sqrt(x) を使ってください(§1.2)。"),
    _m("np-max-not-maximum", "1.2", "np.max(0, x) instead of np.maximum(0, x)", "np.maximum(0, x) ではなく np.max(0, x)",
       "np.max(a, axis) is a REDUCTION — the largest entry of a along an axis — so np.max(0, x) reads x as the "
       "axis and fails. The element-wise maximum of 0 and x is np.maximum(0, x) (§1.2).",
       "np.max(a, axis) は配列 a の軸方向の最大値を求める「集約」なので、np.max(0, x) は x を軸として読み、"
       "エラーになります。0 と x の要素ごとの最大値は np.maximum(0, x) です(§1.2)。"),
    _m("leaky-relu-slope", "1.2", "Wrong slope of the leaky ReLU", "Leaky ReLU の傾きが違う",
       "The text's leaky ReLU is 0.1·x for x ≤ 0 (§1.2), not 0.01·x.",
       "テキストの Leaky ReLU は x ≤ 0 で 0.1·x です(§1.2)。0.01·x ではありません。"),
    # ---------------------------------------------------------------- layers
    _m("affine-no-bias", "1.1", "Bias b not added", "バイアス b を足していない",
       "The affine layer is Y = XW + b: the bias (broadcast over the rows) is missing (§1.1).",
       "アファイン層は Y = XW + b です。(各行にブロードキャストされる)バイアスがありません(§1.1)。"),
    _m("affine-dw-transpose", "3.5", "dW computed as doutᵀX", "dW を doutᵀX で計算している",
       "dE/dW = Xᵀ·dE/dY (shape (K, L) like W), not dE/dYᵀ·X (§3.5): check the transpose.",
       "dE/dW = Xᵀ·dE/dY(W と同じ形状 (K, L))です。dE/dYᵀ·X ではありません(§3.5)。転置を確認してください。"),
    _m("affine-dx-no-transpose", "3.5", "dX uses W instead of Wᵀ", "dX で Wᵀ でなく W を使っている",
       "dE/dX = dE/dY·Wᵀ (§3.5): the shapes (N, L)·(L, K) only fit with the transpose.",
       "dE/dX = dE/dY·Wᵀ です(§3.5)。(N, L)·(L, K) の形は転置で合います。"),
    _m("affine-db-not-summed", "3.6", "db not summed over the batch", "db をバッチで和をとっていない",
       "dE/db = sum(dE/dY, axis=0): b is added to every row, so the gradients of all rows add up (§3.6, problem 2).",
       "dE/db = sum(dE/dY, axis=0) です。b はすべての行に足されるので、全行の勾配を足し合わせます(§3.6 例題 2)。"),
    _m("affine-db-wrong-axis", "3.6", "db summed over the wrong axis", "db の和をとる軸が違う",
       "b has one entry per OUTPUT (column): dE/db = sum(dE/dY, axis=0) adds up the rows (the samples). "
       "axis=1 adds up the columns and gives one number per sample instead (§3.6, problem 2).",
       "b は出力(列)ごとに 1 つの値です。dE/db = sum(dE/dY, axis=0) は行(データ)について足します。"
       "axis=1 では列について足してしまい、データごとに 1 つの値になります(§3.6 例題 2)。"),
    _m("affine-db-mean", "3.6", "db averaged instead of summed", "db を和でなく平均にしている",
       "dE/db = sum(dE/dY, axis=0), not the mean: the 1/N is already inside dE/dY (§3.6, §3.7).",
       "dE/db は平均ではなく sum(dE/dY, axis=0) です。1/N はすでに dE/dY に含まれています(§3.6、§3.7)。"),
    _m("relu-mask-inverted", "5.1", "ReLU mask inverted", "ReLU のマスクが逆",
       "Pass dout through where x > 0 and block it (0) where x ≤ 0 — your mask does the opposite (§5.1).",
       "x > 0 のところで dout を通し、x ≤ 0 では 0 にします。マスクが逆になっています(§5.1)。"),
    _m("relu-mask-missing", "5.1", "ReLU mask missing in backward", "逆伝播で ReLU のマスクがない",
       "Backpropagating through ReLU zeroes the gradient where the forward input was ≤ 0: dx = dout·(x > 0). "
       "A mask that is never set (e.g. built from the output as out < 0, which is never true) lets dout "
       "through everywhere (§5.1, §4.1).",
       "ReLU を逆伝播するときは、forward の入力が 0 以下だった位置の勾配を 0 にします: dx = dout·(x > 0)。"
       "出力から out < 0 のように作ったマスクは決して真にならず、dout がすべて通ってしまいます(§5.1、§4.1)。"),
    _m("relu-mask-from-dout", "5.1", "ReLU mask built from dout", "ReLU のマスクを dout から作っている",
       "The mask comes from the forward input x (x > 0), stored in forward — not from dout (§5.1).",
       "マスクは forward の入力 x から作り(x > 0)、forward で保存します。dout から作ってはいけません(§5.1)。"),
    _m("sigmoid-backward-from-x", "5.1", "Sigmoid backward uses x instead of y", "シグモイドの逆伝播で y でなく x を使っている",
       "dE/dX = dout·y·(1 − y) with the OUTPUT y = sigmoid(x) stored in forward, not x·(1 − x) (§5.1).",
       "dE/dX = dout·y·(1 − y) です。x·(1 − x) ではなく、forward で保存した出力 y = sigmoid(x) を使います(§5.1)。"),
    _m("sigmoid-derivative-without-dout", "5.1", "dout not multiplied in", "dout を掛けていない",
       "backward must return dout·(local derivative) — the chain rule multiplies by the incoming gradient (§3.2).",
       "backward は dout ×(局所的な微分)を返します。連鎖律で上流からの勾配を掛けます(§3.2)。"),
    # ---------------------------------------------------------------- contract of every function / loss layer
    _m("loss-backward-ignores-dout", "5.1", "A loss layer's backward ignores dout", "損失レイヤの backward が dout を無視している",
       "backward(dout) must return dout·(y − t)/N: the chain rule multiplies the local gradient by the gradient "
       "that comes in, and the grader also calls it with dout ≠ 1 (docs/exercises.md, general rules). The book's "
       "SoftmaxWithLoss returns (y − t)/N whatever dout is: multiply by dout (§3.2, §5.1).",
       "backward(dout) は dout·(y − t)/N を返します。連鎖律では上流から来た勾配を局所的な勾配に掛けます。"
       "採点では dout ≠ 1 でも呼び出します(docs/exercises.md の共通のきまり)。書籍の SoftmaxWithLoss は dout に"
       "関係なく (y − t)/N を返すので、dout を掛けてください(§3.2、§5.1)。"),
    _m("loss-backward-dout-required", "5.1", "backward(dout) without the default dout=1",
       "backward(dout) に既定値 dout=1 がない",
       "A loss layer is the last layer: it is called as backward() without an argument, so its signature is "
       "`def backward(self, dout=1):` (docs/exercises.md: defaults are part of the contract).",
       "損失レイヤは最後の層なので、引数なしの backward() で呼ばれます。シグネチャは "
       "`def backward(self, dout=1):` です(docs/exercises.md: 既定値も仕様の一部です)。"),
    _m("input-modified-in-place", "5.1", "An input array modified in place", "入力配列をその場で書き換えている",
       "A function or method must not change the arrays it is given (dout included): `x -= ...`, "
       "`x[mask] = 0`, `y += 1e-7`, `np.exp(x, out=x)` write into the caller's array. Compute a new array "
       "(`x = x - ...`, `np.log(y + 1e-7)`) or work on `x.copy()` (docs/exercises.md, general rules).",
       "関数やメソッドは渡された配列(dout を含む)を変更してはいけません。`x -= ...`、`x[mask] = 0`、"
       "`y += 1e-7`、`np.exp(x, out=x)` は呼び出し側の配列に書き込みます。新しい配列を作る(`x = x - ...`、"
       "`np.log(y + 1e-7)`)か、`x.copy()` に対して操作してください(docs/exercises.md の共通のきまり)。"),
    # ---------------------------------------------------------------- networks (multilayer-net, regularization)
    Mistake("layers-hold-copies",
            M("layers do not share the arrays of params", "層が params の配列を共有していない"),
            M("Create each Affine layer with the very arrays of self.params (Affine(self.params['W1'], "
              "self.params['b1'])), not copies: an optimizer updates params in place and the layers must see it.",
              "各 Affine 層には self.params の配列そのもの(Affine(self.params['W1'], self.params['b1']))を渡し、"
              "コピーを渡さないでください。最適化手法は params をその場で更新するので、層がそれを見る必要があります。"),
            "5.3"),
    Mistake("predict-returns-probabilities",
            M("predict applies softmax", "predict がソフトマックスを適用している"),
            M("predict returns the scores before softmax; the softmax belongs to last_layer (SoftmaxWithLoss).",
              "predict はソフトマックスの前のスコアを返します。ソフトマックスは last_layer(SoftmaxWithLoss)の役目です。"),
            "5.3"),
    Mistake("accuracy-count",
            M("accuracy is a count", "accuracy が個数になっている"),
            M("accuracy is the fraction in [0, 1]: divide the number of correct rows by N.",
              "accuracy は [0, 1] の割合です。正解した行の数を N で割ります。"), "5.3"),
    # ---------------------------------------------------------------- optimizers
    _m("momentum-sign", "6.1", "Momentum: sign error", "モメンタム: 符号の誤り",
       "v ← αv − λg, then θ ← θ + v (§6.1): the gradient is subtracted inside v and v is added to θ.",
       "v ← αv − λg、θ ← θ + v です(§6.1)。勾配は v の中で引き、v は θ に足します。"),
    _m("momentum-no-velocity", "6.1", "Momentum: velocity not kept", "モメンタム: 速度 v を保持していない",
       "v must live in the optimizer object and persist between update calls (created once, on the first "
       "call); a fresh v each call makes Momentum plain SGD (§6.1).",
       "v はオプティマイザのオブジェクトに保持し、update の呼び出しをまたいで使います(最初の呼び出しで作成)。"
       "毎回作り直すと SGD と同じになります(§6.1)。"),
    _m("nesterov-book-order", "6", "Nesterov in the older printings' order", "ネステロフ: 旧版の更新順",
       "Update θ ← θ + α²v − (1+α)λg first, then v ← αv − λg (docs/exercises.md, optimizers). Older printings of "
       "'Deep Learning from Scratch' update v first, which follows a different trajectory.",
       "先に θ ← θ + α²v − (1+α)λg、次に v ← αv − λg と更新します(docs/exercises.md の optimizers)。"
       "『ゼロから作る Deep Learning』旧版は v を先に更新しており、軌道が異なります。"),
    _m("adagrad-no-accumulation", "6", "AdaGrad: h not accumulated", "AdaGrad: h を累積していない",
       "h ← h + g·g accumulates over ALL steps (kept in the object, starting at 0); using only the current g·g "
       "is wrong (§6).",
       "h ← h + g·g はすべてのステップで累積します(オブジェクトに保持、初期値 0)。現在の g·g だけを使うのは"
       "誤りです(§6)。"),
    _m("rmsprop-decay-swapped", "6", "RMSprop: ρ and 1−ρ swapped", "RMSprop: ρ と 1−ρ が逆",
       "h ← ρh + (1−ρ)g·g with ρ = decay_rate = 0.99: the old h keeps weight ρ.",
       "h ← ρh + (1−ρ)g·g(ρ = decay_rate = 0.99)。古い h に重み ρ がかかります。"),
    _m("adam-no-bias-correction", "6.2", "Adam without bias correction", "Adam のバイアス補正がない",
       "Use s̃ = s/(1−β₁ᵗ), r̃ = r/(1−β₂ᵗ), or the step λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) (§6.2); without it the "
       "first steps are far too small or large.",
       "s̃ = s/(1−β₁ᵗ)、r̃ = r/(1−β₂ᵗ)、または λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) を使います(§6.2)。"
       "補正がないと最初のステップの大きさが大きくずれます。"),
    _m("adam-step-per-key", "6.2", "Adam: step count advanced once per parameter", "Adam: 更新回数をパラメータごとに数えている",
       "t counts update CALLS: increment it once per update(params, grads), before the loop over the keys (§6.2).",
       "t は update の呼び出し回数です。キーのループの前で、update 1 回につき 1 回だけ増やしてください(§6.2)。"),
    _m("adam-lr-compounded", "6.2", "Adam: λ_t compounded over steps", "Adam: λ_t を累積的に更新している",
       "λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) is computed afresh each step from the base λ, not multiplied into λ step "
       "after step (docs/exercises.md corrects §6.2).",
       "λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) は毎回もとの λ から計算します。ステップごとに λ に掛け続けてはいけません"
       "(docs/exercises.md による §6.2 の訂正)。"),
    _m("optimizer-rebinds-params", "6.3", "params[key] rebound instead of updated in place",
       "params[key] を置き換えていて、その場で更新していない",
       "`params[key] = params[key] - ...` creates a NEW array; the network's layers still hold the old one and "
       "stop learning. Update in place: `params[key] -= ...` (docs/exercises.md, optimizers).",
       "`params[key] = params[key] - ...` は新しい配列を作るので、ネットワークの層は古い配列を持ったまま学習"
       "しなくなります。`params[key] -= ...` のようにその場で更新してください(docs/exercises.md の optimizers)。"),
    _m("optimizer-modifies-grads", "6.3", "grads modified", "grads を書き換えている",
       "update must not change the gradients it is given (e.g. `grads[key] *= lr`); compute a new array.",
       "update は渡された勾配を変更してはいけません(`grads[key] *= lr` など)。新しい配列を作ってください。"),
    _m("hyperparameter-ignored", "6", "A constructor argument is ignored (hard-coded)",
       "コンストラクタの引数を無視している(値を埋め込んでいる)",
       "The value passed to the constructor (lr, momentum, decay_rate, beta1, beta2, dropout_ratio, …) must be "
       "used: your code behaves as if the spec's default value were written into it. Store the argument "
       "(`self.momentum = momentum`) and use `self.momentum`.",
       "コンストラクタに渡された値(lr、momentum、decay_rate、beta1、beta2、dropout_ratio など)を使います。"
       "あなたのコードは仕様の既定値を埋め込んだように動いています。`self.momentum = momentum` のように保存し、"
       "`self.momentum` を使います。"),
    _m("eps-too-large", "6", "ε too large", "ε が大きすぎる",
       "ε only guards against a division by zero: any ε ≤ 1e-5 is valid (docs/exercises.md), but yours (e.g. 1e-3) "
       "changes the results noticeably — for an optimizer the steps of small gradients, for batch "
       "normalisation every normalised value. Use 1e-7 or 1e-8.",
       "ε は 0 での割り算を防ぐためだけのものです。1e-5 以下なら何でも構いません(docs/exercises.md)が、あなたの ε"
       "(例えば 1e-3)は結果を大きく変えます(最適化手法では小さな勾配のステップ、バッチ正規化では正規化した"
       "すべての値)。1e-7 や 1e-8 を使います。"),
    _m("default-value-wrong", "5.3", "A default value differs from the spec", "既定値が仕様と違う",
       "Defaults are part of the contract (docs/exercises.md, general rules): called without that argument, your "
       "code must do what the spec's signature says — e.g. Adam(lr=0.001, beta1=0.9, beta2=0.999), "
       "RMSprop(decay_rate=0.99), MultiLayerNet(weight_init_std=0.01) — and yours uses another value (or "
       "none, so a call without that argument fails).",
       "既定値も仕様の一部です(docs/exercises.md の共通のきまり)。その引数を渡さずに呼んだとき、仕様のシグネチャどおりに"
       "動く必要があります(例: Adam(lr=0.001, beta1=0.9, beta2=0.999)、RMSprop(decay_rate=0.99)、"
       "MultiLayerNet(weight_init_std=0.01))。あなたのコードは別の値を使っています"
       "(または既定値がなく、その引数を省いた呼び出しが失敗します)。"),
    # ---------------------------------------------------------------- initialisation
    _m("bias-not-zero", "7", "Biases do not start at 0", "バイアスの初期値が 0 でない",
       "Only the weights are drawn at random; every bias starts at 0: np.zeros(n_out) (§7).",
       "乱数で初期化するのは重みだけです。バイアスはすべて 0 から始めます: np.zeros(n_out)(§7)。"),
    _m("weight-init-std-ignored", "7", "A float weight_init_std is ignored", "数値の weight_init_std を無視している",
       "A float weight_init_std is the standard deviation of every W: np.random.randn(n_in, n_out) * "
       "weight_init_std. Your net initialises the same way whatever is passed (e.g. σ = 0.01, or He) (§7).",
       "数値の weight_init_std はすべての W の標準偏差です: np.random.randn(n_in, n_out) * weight_init_std。"
       "あなたのネットワークは渡された値に関係なく同じ初期化(例えば標準偏差 0.01 や He)をしています(§7)。"),
    _m("glorot-book-form", "7.2", "Glorot with 1/n_in (the book's form)", "Glorot の初期値を 1/n_in で計算している",
       "The text's Glorot–Bengio variance is 2/(n_in + n_out) (§7.2), not 1/n_in.",
       "テキストの Glorot–Bengio の初期値の分散は 2/(n_in + n_out) です(§7.2)。1/n_in ではありません。"),
    _m("he-variance-1-over-n", "7.2", "He with variance 1/n_in", "He の初期値の分散を 1/n_in にしている",
       "He's variance is 2/n_in (std √(2/n_in)) for ReLU (§7.2).",
       "He の初期値の分散は 2/n_in(標準偏差 √(2/n_in))です(§7.2)。"),
    _m("init-variance-as-std", "7.2", "Variance used as the standard deviation", "分散を標準偏差として使っている",
       "np.random.randn(...) * s needs the STANDARD DEVIATION s = √(variance), e.g. √(2/n_in) (§7.2).",
       "np.random.randn(...) * s の s は標準偏差 √(分散) です。例: √(2/n_in)(§7.2)。"),
    _m("init-std-as-variance", "7", "Standard deviation used as the variance", "標準偏差を分散として使っている",
       "A float weight_init_std (method) IS the standard deviation: multiply by it directly, "
       "np.random.randn(n_in, n_out) * std — not by its square root (§7).",
       "数値の weight_init_std(method)はそれ自体が標準偏差です。np.random.randn(n_in, n_out) * std のように"
       "そのまま掛けます。その平方根を掛けてはいけません(§7)。"),
    _m("init-uniform", "7", "Uniform instead of normal initialisation", "正規分布でなく一様分布で初期化している",
       "Draw from a normal distribution N(0, σ²) (np.random.randn · σ), not a uniform one (§7).",
       "一様分布ではなく正規分布 N(0, σ²)(np.random.randn · σ)から取り出します(§7)。"),
    _m("init-uses-n-out", "7.2", "initialisation from the layer's output size", "出力側のサイズで初期化",
       "He's variance is 2/N_{l−1}, with N_{l−1} the number of INPUTS of the layer (rows of W_l).",
       "He の分散は 2/N_{l−1} で、N_{l−1} はその層の入力数(W_l の行数)です。"),
    _m("glorot-missing-2", "7.2", "Glorot with 1/(n_in + n_out) (the 2 forgotten)",
       "Glorot の初期値で 2/(n_in + n_out) の 2 がない",
       "The text's Glorot–Bengio variance is 2/(n_in + n_out) (§7.2): the factor 2 is missing.",
       "テキストの Glorot–Bengio の初期値の分散は 2/(n_in + n_out) です(§7.2)。係数 2 がありません。"),
    _m("init-transposed", "7", "Weights of shape (n_out, n_in)", "重みの形状が (n_out, n_in)",
       "W has n_in ROWS and n_out columns, (n_in, n_out), so that x @ W works for x of shape (N, n_in): "
       "np.random.randn(n_in, n_out) (§7).",
       "W は n_in 行 n_out 列の (n_in, n_out) です。形状 (N, n_in) の x に対して x @ W が計算できます: "
       "np.random.randn(n_in, n_out)(§7)。"),
    _m("init-constant", "7", "All weights equal", "すべての重みが同じ値",
       "The weights must be RANDOM (np.random.randn(n_in, n_out) * σ): with all weights equal every unit of a "
       "layer computes the same and learns the same (§7).",
       "重みは乱数でなければなりません(np.random.randn(n_in, n_out) * σ)。すべて同じ値だと層のどのニューロンも"
       "同じ計算をし、同じように学習してしまいます(§7)。"),
    _m("init-all-zero", "7", "All weights 0", "すべての重みが 0",
       "σ came out as 0 — often an integer division, 2 // n_in = 0: write 2 / n_in (np.sqrt(2 / n_in)) (§7.2).",
       "σ が 0 になっています。整数の割り算 2 // n_in = 0 がよくある原因です。2 / n_in(np.sqrt(2 / n_in))と"
       "書きます(§7.2)。"),
    _m("init-same-values-every-call", "7", "The same values on every call", "呼ぶたびに同じ値を返している",
       "Every call must draw NEW random values: no np.random.seed (or fixed-seed generator) inside the function, "
       "and no cache of earlier results — otherwise every layer of the same size starts from the same numbers.",
       "呼ぶたびに新しい乱数をとります。関数の中で np.random.seed(や固定シードの乱数生成器)を使ったり、前の結果を"
       "キャッシュしたりしないでください。同じ大きさの層がすべて同じ数から始まってしまいます。"),
    # ---------------------------------------------------------------- batch normalisation
    _m("bn-wrong-axis", "8.2", "Batch norm statistics over the wrong axis", "バッチ正規化の統計量の軸が違う",
       "μ and v are per FEATURE over the batch: mean(X, axis=0) (§8.2), not per sample (axis=1).",
       "μ と v は特徴量ごとにバッチ方向で計算します: mean(X, axis=0)(§8.2)。サンプルごと(axis=1)ではありません。"),
    _m("bn-ddof1", "8.2", "Unbiased variance (ddof=1)", "不偏分散(ddof=1)を使っている",
       "The text normalises with the biased batch variance v = mean((X − μ)², axis=0), i.e. divided by N "
       "(np.var's default, ddof=0); np.var(x, ddof=1) or a division by N − 1 gives a different result (§8.2).",
       "テキストは N で割る分散 v = mean((X − μ)², axis=0)(np.var の既定 ddof=0)で正規化します。"
       "np.var(x, ddof=1) や N − 1 での割り算では結果が変わります(§8.2)。"),
    _m("bn-backward-missing-term", "8.2", "A term of the batch-norm backward is missing",
       "バッチ正規化の逆伝播の項が欠けている",
       "dX = γ/σ·(dY − c − X̃·d) with c = mean(dY, axis=0) and d = mean(X̃·dY, axis=0) (§8.2): all three terms.",
       "dX = γ/σ·(dY − c − X̃·d)、c = mean(dY, axis=0)、d = mean(X̃·dY, axis=0) です(§8.2)。3 つの項すべてが必要です。"),
    _m("bn-batch-stats-at-test", "8.2", "Batch statistics used at test time", "テスト時にバッチの統計量を使っている",
       "With train_flg=False normalise with the RUNNING mean and variance kept during training (§8.2); "
       "a batch of one would otherwise give y = β.",
       "train_flg=False のときは訓練中に保持した移動平均・移動分散で正規化します(§8.2)。"
       "そうしないとデータ数 1 で y = β になってしまいます。"),
    _m("bn-running-reversed", "8.2", "Running average weights reversed", "移動平均の重みが逆",
       "running = momentum·running + (1 − momentum)·batch statistic: momentum = 0.9 keeps 90 % of the old value "
       "(§8.2).",
       "running = momentum·running + (1 − momentum)·バッチの統計量 です。momentum = 0.9 なら古い値を 90 % "
       "残します(§8.2)。"),
    # ---------------------------------------------------------------- dropout
    _m("dropout-inverted", "9.2", "Inverted dropout instead of the text's dropout",
       "テキストのドロップアウトではなく inverted dropout になっている",
       "Your layer scales by 1/(1−p) during training and leaves x unchanged at test time: that is \"inverted "
       "dropout\" (PyTorch, Keras). The text (§9.2) uses the original form: training y = x·M (kept values "
       "unchanged), test y = x·(1−p); backward dE/dX = dE/dY·M.",
       "あなたの層は学習時に 1/(1−p) 倍し、テスト時は x をそのまま返しています。これは「inverted dropout」"
       "(PyTorch や Keras の方式)です。テキスト(§9.2)は元の形です: 学習時 y = x·M(残す値はそのまま)、"
       "テスト時 y = x·(1−p)、逆伝播 dE/dX = dE/dY·M。"),
    _m("dropout-new-mask-in-backward", "9.2", "A new mask drawn in backward", "backward で新しいマスクを作っている",
       "backward must reuse the mask of the last forward: dout·mask (§9.2).",
       "backward は直前の forward のマスクを使います: dout·mask(§9.2)。"),
    _m("dropout-keep-p", "9.2", "Keep probability p instead of 1 − p", "残す確率を 1 − p でなく p にしている",
       "dropout_ratio p is the probability that an output is set to 0 (dropped); it is kept with probability "
       "1 − p, e.g. mask = np.random.rand(*x.shape) > p. At test time y = x·(1 − p) (§9.2).",
       "dropout_ratio p は出力を 0 にする(消去する)確率で、残す確率は 1 − p です(例: "
       "mask = np.random.rand(*x.shape) > p)。テスト時は y = x·(1 − p) です(§9.2)。"),
    _m("dropout-at-test", "9.2", "Units dropped at test time", "テスト時にもニューロンを消去している",
       "With train_flg=False no unit is dropped: y = x·(1 − p), the same output on every call (§9.2). Only "
       "training draws a mask.",
       "train_flg=False のときはニューロンを消去しません: y = x·(1 − p) で、何度呼んでも同じ出力です(§9.2)。"
       "マスクを作るのは学習時だけです。"),
    # ---------------------------------------------------------------- PyTorch autograd (§3.8)
    _m("autograd-backward-non-scalar", "3.8", "backward() on a non-scalar without a gradient",
       "スカラーでない出力に勾配を渡さずに backward() を呼んでいる",
       "PyTorch differentiates a SCALAR: for a matrix Y, dY/dX would be a 4-dimensional array (§3.8). Give "
       "backward the gradient of E with respect to Y — Y.backward(dY) — or build the scalar yourself: "
       "(Y * dY).sum().backward().",
       "PyTorch が微分できるのはスカラーです。行列 Y では dY/dX が 4 階の配列になってしまいます(§3.8)。"
       "backward に E の Y についての勾配を渡す(Y.backward(dY))か、(Y * dY).sum().backward() のように"
       "自分でスカラーを作ってください。"),
    _m("autograd-sum-without-dy", "3.8", "Y.sum().backward(): the gradient for dE/dY = 1, not the given dY",
       "Y.sum().backward() で勾配を計算している(与えられた dY ではなく dE/dY = 1 の勾配)",
       "Y.sum().backward() makes Y a scalar, but it is the gradient of E = ΣY, as if dE/dY were all ones. "
       "Weight by the given dY: Y.backward(dY) or (Y * dY).sum().backward() (§3.8).",
       "Y.sum().backward() でスカラーにはなりますが、これは E = ΣY(dE/dY がすべて 1)の勾配です。与えられた dY で"
       "重みづけしてください: Y.backward(dY) または (Y * dY).sum().backward()(§3.8)。"),
    _m("autograd-grad-accumulates", "3.8", "Gradients accumulate between calls", "勾配が呼び出しのたびに累積している",
       "backward ADDS into .grad: a leaf tensor kept from an earlier call (or backward run twice) returns the "
       "sum of all those gradients. Create fresh leaves with requires_grad=True in every call, or reset "
       "x.grad = None (x.grad.zero_()) before backward (§3.8).",
       "backward は .grad に勾配を「加算」します。前の呼び出しの葉テンソルを使い回す(または backward を 2 回呼ぶ)と、"
       "それまでの勾配の和が返ります。呼び出しごとに requires_grad=True の新しい葉テンソルを作るか、backward の前に "
       "x.grad = None(x.grad.zero_())としてください(§3.8)。"),
    _m("autograd-grad-of-non-leaf", "3.8", ".grad of a tensor that is not a leaf (None)",
       "葉でないテンソルの .grad を返している(None)",
       ".grad is filled only for LEAF tensors, the ones you created with requires_grad=True. A tensor computed "
       "from one — torch.tensor(X, requires_grad=True).float(), x * 1, x.T — is not a leaf and its .grad stays "
       "None. Convert first, then make the leaf: torch.tensor(X, dtype=torch.float32, requires_grad=True) "
       "(or call .retain_grad()) (§3.8).",
       ".grad が計算されるのは、自分で requires_grad=True として作った「葉」テンソルだけです。そこから計算した"
       "テンソル(torch.tensor(X, requires_grad=True).float()、x * 1、x.T など)は葉ではなく、.grad は None の"
       "ままです。先に型を変換してから葉を作ってください: torch.tensor(X, dtype=torch.float32, requires_grad=True)"
       "(または .retain_grad() を呼ぶ)(§3.8)。"),
    # ---------------------------------------------------------------- regularisation
    _m("l2-grad-missing-2", "9.1", "L2 gradient λW instead of 2λW", "L2 の勾配が 2λW でなく λW",
       "The text (§9.1) adds λ Σ sum(W∗W) — no ½ — so the gradient of the penalty is 2λW. λW is the gradient of "
       "½λ‖W‖², the form of \"Deep Learning from Scratch\"; this course uses the text's form.",
       "テキスト(§9.1)のペナルティーは λ Σ sum(W∗W)(½ なし)なので、その勾配は 2λW です。λW は「ゼロから作る "
       "Deep Learning」の ½λ‖W‖² の勾配です。この授業ではテキストの形を使います。"),
    _m("decay-not-in-gradient", "9.1", "Weight decay in the loss but not in the gradient",
       "荷重減衰を損失に入れたが勾配に入れていない",
       "The penalty added to the loss must also be added to each weight's gradient: dW += 2λW (§9.1).",
       "損失に加えたペナルティは各重みの勾配にも加えます: dW += 2λW(§9.1)。"),
    _m("decay-includes-biases", "9.1", "Weight decay applied to biases too", "バイアスにも荷重減衰をかけている",
       "Decay the weights W1…WL only, not b, γ, β (docs/exercises.md, regularization).",
       "荷重減衰は重み W1…WL のみにかけます。b、γ、β にはかけません(docs/exercises.md の regularization)。"),
)

MISTAKES: dict[str, Mistake] = {m.id: m for m in CATALOGUE}
register_mistakes(CATALOGUE)


def find(mistake_id: str, local: tuple[Mistake, ...] = ()) -> Mistake:
    """A mistake of ``local`` (an exercise's own list), else of the catalogue; KeyError when unknown."""
    for m in local:
        if m.id == mistake_id:
            return m
    return MISTAKES[mistake_id]


def variants(local: tuple[Mistake, ...] = (), **by_id) -> dict[Mistake, object]:
    """``variants(local, affine_dw_transpose=value, ...)`` → {Mistake: value} for ``assert_close``
    (underscores become hyphens; a None value — a mistake that cannot show here — is left out)."""
    return {find(key.replace("_", "-"), local): value for key, value in by_id.items() if value is not None}
