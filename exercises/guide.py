"""The students' exercise guide, `docs/exercises.md`, generated from the catalogue (`dlgrade exercises --markdown`).

Everything that can come from the catalogue does (ids, titles, §, notebooks, names, signatures, items, points,
hints with their formulas), so the guide cannot drift from what is graded; the short contract of each
exercise and the words for what each kind of item checks are here, in both languages.  An exercise this file
does not know (a course's own plug-in) still gets its generated part.  `tests/grader/test_guide.py` checks
that the committed `docs/exercises.md` is exactly what this module generates.
"""

from __future__ import annotations

from grader.messages import Msg, with_section
from grader.spec import Exercise, Item

M = Msg

GENERAL = [
    M("A submission is one `.py` file or one Jupyter notebook (`.ipynb`) that defines the names the exercise "
      "asks for. It may `import numpy as np` and use the Python standard library; nothing else is promised "
      "(the book's `common/` and `dataset/` folders are not there: define every helper you use).",
      "提出物は 1 つの `.py` ファイルか Jupyter ノートブック(`.ipynb`)で、課題が求める名前を定義します。"
      "`import numpy as np` と Python 標準ライブラリは使えます。それ以外はあるとは限りません"
      "(本の `common/` や `dataset/` フォルダはないので、使う補助関数はすべて自分で定義してください)。"),
    M("Top-level statements run in order (a notebook cell by cell). `%magic` and `!shell` lines are skipped; a "
      "statement that raises (a missing data file, matplotlib, `from common.layers import *`) or runs longer "
      "than about a second is dropped with a note, and the rest carry on. A notebook cell that does not parse "
      "is skipped; in a `.py` file only the lines around a syntax error are, and the report starts with it.",
      "トップレベルの文は順に(ノートブックではセルごとに)実行されます。`%magic` と `!shell` の行は飛ばします。"
      "例外を出す文(データファイルがない、matplotlib、`from common.layers import *` など)や約 1 秒より長くかかる文は"
      "メモを付けて読み飛ばし、残りを続けます。構文エラーのあるセルは飛ばします。`.py` ファイルでは構文エラーの"
      "周りの行だけを飛ばし、レポートの先頭にその構文エラーを示します。"),
    M("The grader passes float64 NumPy arrays, batch first: a mini-batch `X` has shape `(N, D)`; `t` for "
      "softmax is one-hot `(N, K)`. Constructor arguments are passed by keyword. Names are exact "
      "(case-sensitive); an item id is `Name` or `Name.check`.",
      "採点プログラムは float64 の NumPy 配列を、バッチを先頭の次元にして渡します。ミニバッチ `X` の形状は `(N, D)`、"
      "softmax の `t` は one-hot の `(N, K)` です。コンストラクタの引数はキーワードで渡します。名前は大文字・小文字"
      "まで正確に一致させてください。項目 id は `名前` または `名前.チェック` です。"),
    M("A function or method must not modify the arrays it is given (`dout` included), except an optimizer's "
      "`update`, which updates `params` in place. This is an item of its own (`.no_mutation`, `.in_place`).",
      "関数やメソッドは渡された配列(`dout` も)を書き換えてはいけません。例外はオプティマイザの `update` で、"
      "`params` をその場で更新します。これは独立した項目です(`.no_mutation`、`.in_place`)。"),
    M("Values are compared with a relative tolerance of about 1e-4 (absolute about 1e-6 near zero). Every valid "
      "variant passes: `np.dot` or `@`, loops or vectorised code, a small δ inside `log` (up to 1e-5), any ε up "
      "to 1e-5, inside or outside the square root. Defaults written in a signature are part of the contract.",
      "値は相対誤差およそ 1e-4(0 の近くでは絶対誤差およそ 1e-6)で比べます。正しい書き方はどれも通ります: "
      "`np.dot` でも `@` でも、ループでもベクトル化でも、`log` の中の小さな δ(1e-5 まで)、1e-5 までの任意の ε、"
      "平方根の内でも外でも。シグネチャに書かれた既定値も課題の一部です。"),
]

# What one kind of item checks, by the part of its id after the name ("" = the name alone).
CHECKS: dict[str, Msg] = {
    "": M("its values on random inputs of several shapes", "いくつかの形状のランダムな入力に対する値"),
    "value": M("the variable's value against the answer (any shape that squeezes to the expected one)",
               "変数の値を答えと比較(squeeze して期待される形状になればよい)"),
    "forward": M("`forward`'s output on random inputs", "ランダムな入力に対する `forward` の出力"),
    "backward": M("the gradients `backward` returns (and stores), after the `forward` they belong to",
                  "対応する `forward` の後に `backward` が返す(および保存する)勾配"),
    "no_mutation": M("the arrays passed in are left unchanged", "渡された配列を書き換えていないこと"),
    "large_inputs": M("finite, correct values for |x| up to 1000", "|x| ≤ 1000 で有限かつ正しい値"),
    "large_scores": M("finite, correct values for large scores such as a row [1000, 999, 998]",
                      "[1000, 999, 998] のような大きなスコアでも有限かつ正しい値"),
    "vector": M("a single sample given as a vector `(K,)`", "1 データをベクトル `(K,)` で与えた場合"),
    "single_sample": M("a single sample given as a vector (N = 1)", "1 データをベクトルで与えた場合(N = 1)"),
    "edge_cases": M("finite values when y holds exact 0 or 1", "y がちょうど 0 や 1 を含むときも有限の値"),
    "worked_examples": M("the worked examples of §3.6 as fixed test cases", "§3.6 の例題を固定のテストとして"),
    "params": M("the `params` dict: keys, shapes, initial values", "`params` 辞書: キー、形状、初期値"),
    "predict": M("`predict`'s output with parameters the grader sets", "採点プログラムが設定したパラメータでの `predict` の出力"),
    "loss": M("`loss`: the mean loss over the batch", "`loss`: バッチ平均の損失"),
    "accuracy": M("`accuracy`: the fraction of rows whose arg-max matches", "`accuracy`: arg-max が一致する行の割合"),
    "gradient": M("`gradient` against the expected gradients (by backpropagation)",
                  "`gradient` を期待される勾配と比較(誤差逆伝播で)"),
    "gradient_check": M("`gradient` against numerical differentiation of your own `loss`",
                        "`gradient` をあなた自身の `loss` の数値微分と比較"),
    "training": M("training with the grader's own loop: the loss falls as a correct net's does",
                  "採点プログラムのループで学習: 正しいネットと同様に損失が下がること"),
    "train": M("training with the grader's own loop: the loss falls as a correct net's does",
               "採点プログラムのループで学習: 正しいネットと同様に損失が下がること"),
    "layers": M("`layers`: the layer objects in forward order", "`layers`: 順伝播の順に並んだ層のオブジェクト"),
    "last_layer": M("`last_layer`: a SoftmaxWithLoss", "`last_layer`: SoftmaxWithLoss"),
    "init_std": M("a float `weight_init_std` is the standard deviation (statistical check)",
                  "数値の `weight_init_std` は標準偏差(統計的な確認)"),
    "init_he": M("He initialisation, variance 2/n_in (statistical check)", "He の初期値、分散 2/n_in(統計的な確認)"),
    "init_xavier": M("Glorot–Bengio initialisation, variance 2/(n_in + n_out) (statistical check)",
                     "Glorot–Bengio の初期値、分散 2/(n_in + n_out)(統計的な確認)"),
    "update": M("single `update` calls against the formula, with gradients of every size (zero included)",
                "`update` 1 回ごとを式と比較(0 を含むさまざまな大きさの勾配で)"),
    "in_place": M("`params` updated in place (the same array objects), `grads` unchanged",
                  "`params` をその場で更新し(同じ配列オブジェクト)、`grads` は変えないこと"),
    "trajectory": M("the text's experiment: f(x, y) = x² + 100y² from (10, 1), step by step",
                    "テキストの実験: f(x, y) = x² + 100y² を (10, 1) から、1 ステップずつ"),
    "step_count": M("the step count advances once per `update` call, not once per key",
                    "ステップ数はキーごとではなく `update` の呼び出しごとに 1 つ進むこと"),
    "shape": M("the shape `(n_in, n_out)`", "形状 `(n_in, n_out)`"),
    "he": M("`method=\"he\"`: mean 0, variance 2/n_in (statistical check)", "`method=\"he\"`: 平均 0、分散 2/n_in(統計的な確認)"),
    "xavier": M("`method=\"xavier\"`: mean 0, variance 2/(n_in + n_out) (statistical check)",
                "`method=\"xavier\"`: 平均 0、分散 2/(n_in + n_out)(統計的な確認)"),
    "std": M("a float `method` is the standard deviation itself", "数値の `method` は標準偏差そのもの"),
    "normal": M("the values are normally distributed (a uniform draw is a different method)",
                "値が正規分布に従うこと(一様分布は別の方法です)"),
    "random": M("a new draw at each call", "呼び出しごとに新しい乱数"),
    "dgamma_dbeta": M("`self.dgamma` and `self.dbeta` after `backward`", "`backward` の後の `self.dgamma` と `self.dbeta`"),
    "running_stats": M("the running mean and variance after training steps", "学習時の更新後の移動平均と移動分散"),
    "test_mode": M("`train_flg=False`: the test-time behaviour", "`train_flg=False`: テスト時の動作"),
    "new_mask": M("a new mask at each training call", "学習時の呼び出しごとに新しいマスク"),
    "dropout": M("dropout after each hidden activation", "各隠れ層の活性化の後のドロップアウト"),
    "uses_autograd": M("the gradients come from PyTorch's automatic differentiation (`.backward` or "
                       "`torch.autograd.grad` in the function's source), not hand formulas",
                       "勾配が PyTorch の自動微分によること(関数のソースで `.backward` か `torch.autograd.grad` を使う)。"
                       "手で書いた式ではないこと"),
}

# The contract of each exercise in a few lines (what the catalogue cannot say by itself).
ABOUT: dict[str, Msg] = {
    "activations": M("sigmoid 1/(1 + e^(−x)), ReLU max(0, x), tanh, and Leaky ReLU (x for x > 0, 0.1·x for x ≤ 0, "
                     "the text's slope 0.1), element-wise on arrays of any shape.",
                     "シグモイド 1/(1 + e^(−x))、ReLU max(0, x)、tanh、Leaky ReLU(x > 0 で x、x ≤ 0 で 0.1·x。"
                     "テキストの傾き 0.1)を、任意の形状の配列に成分ごとに。"),
    "losses": M("N is always `y.shape[0]` (a 1-D `y` means N = 1). mean_squared_error = Σ(y − t)²/(2N); "
                "binary_cross_entropy = −Σ[t log y + (1−t) log(1−y)]/N; softmax row-wise, without overflow "
                "(subtract the max); cross_entropy_error = −Σ t log y / N.",
                "N は常に `y.shape[0]`(1 次元の `y` は N = 1)。mean_squared_error = Σ(y − t)²/(2N)、"
                "binary_cross_entropy = −Σ[t log y + (1−t) log(1−y)]/N、softmax は行ごとに、あふれないように"
                "(最大値を引く)、cross_entropy_error = −Σ t log y / N。"),
    "chain-rule": M("Each answer is a function returning the derivative asked for, element-wise on arrays; it is "
                    "checked by numerical differentiation with many outer functions z, so only the formula matters.",
                    "各解答は求める微分を返す関数で、配列に成分ごとに働きます。多くの外側の関数 z による数値微分で"
                    "確かめるので、式だけが問題です。"),
    "backprop-examples": M("Numeric answers as module-level variables (arrays or nested lists, any shape that squeezes "
                           "to the expected one). 1-(1): X = [2, −1, 1], W = [[2, 0], [1, 1], [0, 4]], Y = XW, "
                           "E = ½((y1−1)² + (y2−2)²); 1-(2): the same with softmax cross-entropy against t = (1, 0); "
                           "2: X = [[1, 3], [2, −1], [0, 1]], b = [2, 1], Y = X + b, dE/dY = [[1, 0], [0, −1], [1, 1]].",
                           "数値の答えをモジュールの変数として(配列か入れ子のリスト。squeeze して期待される形状になれば"
                           "形状は問いません)。1-(1): X = [2, −1, 1]、W = [[2, 0], [1, 1], [0, 4]]、Y = XW、"
                           "E = ½((y1−1)² + (y2−2)²)。1-(2): 同じ X, W で t = (1, 0) に対するソフトマックス交差エントロピー。"
                           "2: X = [[1, 3], [2, −1], [0, 1]]、b = [2, 1]、Y = X + b、dE/dY = [[1, 0], [0, −1], [1, 1]]。"),
    "two-layer-net": M("`task` is \"regression\" (identity output, ½-mean squared error), \"binary\" (sigmoid, binary "
                       "cross-entropy, output_size 1) or \"multiclass\" (softmax, cross-entropy). `params` holds W1, b1, "
                       "W2, b2 (W from N(0, weight_init_std²), b zero); the hidden activation is ReLU. The grader "
                       "writes into the existing arrays of `params`, so the layers must hold those very arrays.",
                       "`task` は \"regression\"(恒等出力、½ 平均二乗誤差)、\"binary\"(シグモイド、2 値交差エントロピー、"
                       "output_size 1)、\"multiclass\"(ソフトマックス、交差エントロピー)。`params` は W1, b1, W2, b2"
                       "(W は N(0, weight_init_std²)、b は 0)。隠れ層の活性化は ReLU。採点プログラムは `params` の"
                       "既存の配列に書き込むので、層はその配列そのものを持つ必要があります。"),
    "layers": M("Every layer has `forward(...)` and `backward(dout)`; `backward` returns dE/d(input) and uses only "
                "what `forward` stored. Affine sets `self.dW`, `self.db`. Loss layers return a scalar and their "
                "`backward(dout=1)` scales by the `dout` given.",
                "どの層も `forward(...)` と `backward(dout)` を持ち、`backward` は入力についての勾配 dE/d(入力) を"
                "返し、`forward` が保存したものだけを使います。Affine は `self.dW`、`self.db` を設定します。"
                "損失の層はスカラーを返し、`backward(dout=1)` は与えられた `dout` 倍します。"),
    "multilayer-net": M("`activation` is \"relu\" or \"sigmoid\"; `weight_init_std` is a float, \"he\"/\"relu\" "
                        "(variance 2/n_in) or \"xavier\"/\"sigmoid\" (variance 2/(n_in + n_out), §7.2). `params`: "
                        "W1, b1, …, WL, bL; `layers` in forward order; `last_layer` a SoftmaxWithLoss; `predict` "
                        "returns scores before softmax; `gradient` by backpropagation.",
                        "`activation` は \"relu\" か \"sigmoid\"。`weight_init_std` は数値、\"he\"/\"relu\"(分散 2/n_in)、"
                        "\"xavier\"/\"sigmoid\"(分散 2/(n_in + n_out)、§7.2)。`params` は W1, b1, …, WL, bL、"
                        "`layers` は順伝播の順、`last_layer` は SoftmaxWithLoss、`predict` はソフトマックス前のスコア、"
                        "`gradient` は誤差逆伝播で。"),
    "optimizers": M("`update(params, grads)` updates the arrays in place (`params[key] -= ...`): a network's layers "
                    "hold the very same arrays, so `params[key] = params[key] - ...` silently stops learning. State "
                    "lives in the object, created on the first call; the step count advances once per call. "
                    "Nesterov: θ ← θ + α²v − (1+α)λg first, then v ← αv − λg (older printings of the book update v "
                    "first: marked wrong). Adam: §6.2, with λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) computed afresh each step from "
                    "the base λ (not compounded, which corrects the text).",
                    "`update(params, grads)` は配列をその場で更新します(`params[key] -= ...`)。ネットワークの層は"
                    "同じ配列を持っているので、`params[key] = params[key] - ...` では学習が黙って止まります。状態は"
                    "オブジェクトが持ち、最初の呼び出しで作ります。ステップ数は呼び出しごとに 1 つ進みます。"
                    "Nesterov: 先に θ ← θ + α²v − (1+α)λg、次に v ← αv − λg(本の古い刷りは v を先に更新します: 誤り)。"
                    "Adam: §6.2。λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) は毎ステップ元の λ から計算し直します(掛け重ねません。"
                    "テキストの訂正)。"),
    "initialization": M("`init_weight(n_in, n_out, method)` returns an (n_in, n_out) array from a normal "
                        "distribution with mean 0: \"he\" variance 2/n_in, \"xavier\" variance 2/(n_in + n_out), a float "
                        "`method` is the standard deviation itself. Checked statistically on large draws.",
                        "`init_weight(n_in, n_out, method)` は平均 0 の正規分布から (n_in, n_out) の配列を返します: "
                        "\"he\" は分散 2/n_in、\"xavier\" は分散 2/(n_in + n_out)、数値の `method` は標準偏差そのもの。"
                        "大きな標本で統計的に確かめます。"),
    "batchnorm": M("Training: normalise with the batch mean and the biased variance (1/N), y = γ·x̃ + β, and update "
                   "running = momentum·running + (1 − momentum)·batch statistic (running stats start as zeros when "
                   "None). Test (`train_flg=False`): the running statistics; a batch of one must work. `backward` "
                   "returns dx and sets `self.dgamma`, `self.dbeta`.",
                   "学習時: バッチ平均と(1/N の)分散で正規化し、y = γ·x̃ + β、running = momentum·running + "
                   "(1 − momentum)·バッチの統計量 と更新します(None のときは 0 から)。テスト時(`train_flg=False`): "
                   "移動統計量を使い、データ数 1 でも動くこと。`backward` は dx を返し、`self.dgamma`、`self.dbeta` を設定します。"),
    "dropout": M("Training: a new mask each call, each element kept with probability 1 − p, y = x·mask; test: "
                 "y = x·(1 − p) (the text's form, not \"inverted\" dropout). `backward(dout)` = dout·mask.",
                 "学習時: 呼び出しごとに新しいマスク、各成分を確率 1 − p で残し y = x·mask。テスト時: y = x·(1 − p)"
                 "(テキストの形。「inverted dropout」ではありません)。`backward(dout)` = dout·mask。"),
    "autograd": M("Gradients by PyTorch's automatic differentiation (`requires_grad=True`, `.backward()`, `.grad` or "
                  "`torch.autograd.grad`), not hand formulas. The grader passes float64 NumPy arrays; return NumPy "
                  "arrays, tensors or floats. Y = XW is not a scalar: `Y.backward(dY)` or `(Y * dY).sum().backward()` "
                  "(§3.8). The submission may `import torch`.",
                  "勾配は PyTorch の自動微分で(`requires_grad=True`、`.backward()`、`.grad` または "
                  "`torch.autograd.grad`)、手で書いた式ではなく求めます。採点プログラムは float64 の NumPy 配列を渡します。"
                  "NumPy 配列、テンソル、数値のどれを返してもかまいません。Y = XW はスカラーではないので "
                  "`Y.backward(dY)` か `(Y * dY).sum().backward()` を使います(§3.8)。提出物は `import torch` できます。"),
    "regularization": M("l2_penalty = α Σ_l sum(W_l∗W_l), gradient 2αW; l1_penalty = α Σ_l sum(|W_l|), gradient "
                        "α·sign(W). MultiLayerNetExtend: He/Glorot initialisation, batch normalisation after each "
                        "hidden Affine, dropout after each hidden activation, and weight decay λ Σ sum(W∗W) over the "
                        "weights W1…WL only (not b, γ, β). The submission also defines its layers and an Adam; the "
                        "grader trains the deep net on the 8×8 digits and expects the lecture's result (§8.4).",
                        "l2_penalty = α Σ_l sum(W_l∗W_l)、勾配 2αW。l1_penalty = α Σ_l sum(|W_l|)、勾配 α·sign(W)。"
                        "MultiLayerNetExtend: He/Glorot の初期値、各隠れ層の Affine の後にバッチ正規化、各活性化の後に"
                        "ドロップアウト、荷重減衰 λ Σ sum(W∗W) は重み W1…WL のみ(b、γ、β にはかけない)。提出物は層と "
                        "Adam も定義します。採点プログラムは深いネットを 8×8 の手書き数字で学習させ、講義の結果(§8.4)を期待します。"),
}

TEXT = {
    "en": {"title": "Exercise guide", "general": "General rules", "names": "Names to define",
           "items": "Items", "item": "item", "points": "points", "checks": "what is checked",
           "hint": "formula / hint", "notebooks": "Notebooks", "total": "total", "contents": "Contents",
           "check": "Check your answer before you submit it (after `make setup`, the command is in `.venv/bin`):",
           "lead": "Every exercise dlgrade grades: the names to define, their signatures, the formulas, what each "
                   "item checks and the section (§) of the lecture text to read."},
    "ja": {"title": "課題ガイド", "general": "共通のきまり", "names": "定義する名前", "items": "採点項目",
           "item": "項目", "points": "配点", "checks": "確かめること", "hint": "式・ヒント", "notebooks": "ノートブック",
           "total": "合計", "contents": "目次",
           "check": "提出前に手元で確かめられます(`make setup` の後、コマンドは `.venv/bin` にあります):",
           "lead": "dlgrade が採点するすべての課題について、定義する名前、シグネチャ、式、各項目で確かめること、"
                   "読むべきテキストの節(§)をまとめます。"},
}


def check_text(item: Item, lang: str) -> str:
    if item.description is not None:
        return item.description.get(lang)
    suffix = item.id.split(".", 1)[1] if "." in item.id else ("value" if item.kind == "value" else "")
    msg = CHECKS.get(suffix)
    return msg.get(lang) if msg is not None else (suffix or item.id).replace("_", " ")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _anchor(ex: Exercise, lang: str) -> str:
    return f"{lang}-{ex.id}"


def _exercise(ex: Exercise, lang: str) -> list[str]:
    t = TEXT[lang]
    out = [f'<a id="{_anchor(ex, lang)}"></a>', "", f"### `{ex.id}` — {ex.title.get(lang)} (§{ex.section})", ""]
    about = ABOUT.get(ex.id)
    if about is not None:
        out += [about.get(lang), ""]
    if ex.notebooks:
        out += [f"{t['notebooks']}: " + ", ".join(f"`{n}`" for n in ex.notebooks), ""]
    out += [f"**{t['names']}**", ""]
    out += [f"- `{ex.signatures.get(name, name)}`" for name in ex.names]
    out += ["", f"**{t['items']}** ({t['total']} {ex.max_score:g})", "",
            f"| {t['item']} | {t['points']} | § | {t['checks']} | {t['hint']} |", "|---|---:|---|---|---|"]
    for item in ex.items:
        out.append(f"| `{item.id}` | {item.points:g} | §{item.section} | {_cell(check_text(item, lang))} | "
                   f"{_cell(with_section(item.hint.get(lang), item.section, lang))} |")
    return out + [""]


def markdown(exercises: dict[str, Exercise]) -> str:
    """docs/exercises.md: Japanese first (the course's language), then English; every exercise in each."""
    out = ["<!-- Generated by `dlgrade exercises --markdown > docs/exercises.md`; do not edit by hand "
           "(tests/grader/test_guide.py compares). -->", "",
           "# 課題ガイド / Exercise guide", "",
           "[日本語](#ja) · [English](#en)", ""]
    for lang, head in (("ja", "日本語"), ("en", "English")):
        t = TEXT[lang]
        out += [f'<a id="{lang}"></a>', "", f"## {head}: {t['title']}", "", t["lead"], "", t["check"], "",
                "```", ".venv/bin/dlgrade check layers answer.py" + (" --lang ja" if lang == "ja" else ""), "```", "",
                f"**{t['contents']}**: " + " · ".join(f"[`{ex.id}`](#{_anchor(ex, lang)})" for ex in exercises.values()),
                "", f"#### {t['general']}", ""]
        out += [f"- {rule.get(lang)}" for rule in GENERAL] + [""]
        for ex in exercises.values():
            out += _exercise(ex, lang)
    return "\n".join(out).rstrip("\n") + "\n"
