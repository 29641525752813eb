"""dlgrade_client in real kernels (nbclient + ipykernel) against a live ``dlgrade serve`` on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import threading

import pytest

from conftest import errors, outputs, run_notebook
from corpus_tools import CORPUS  # noqa: F401  (tests/ on the path)

BOOK = (CORPUS / "layers" / "correct_book.py").read_text(encoding="utf-8")
HEAD, _, REST = BOOK.partition("class Affine:")
AFFINE, _, TAIL = ("class Affine:" + REST).partition("class Sigmoid:")
TAIL = "class Sigmoid:" + TAIL
BUGGY_AFFINE = AFFINE.replace("np.dot(self.x.T, dout)", "np.dot(dout.T, self.x)")
assert BUGGY_AFFINE != AFFINE

START = "import dlgrade_client as dlg\ndlg.connect()"


def course_cells() -> list[str]:
    """The course's style: definitions over several cells, a magic, a cell that raised, a class fixed and
    run again, a training cell, checks in between."""
    return [
        START,                                                     # 1  the starter cell
        "%precision 4\n" + HEAD,                                   # 2  a magic; numpy, softmax, cross entropy
        BUGGY_AFFINE,                                              # 3  Affine with dW transposed
        TAIL + "\nSigmoid().backward(np.ones(3))  # raises: no forward yet",  # 4  the other layers; raised
        "layer = Affine(np.ones((3, 2)), np.zeros(2))\nlayer.forward(np.ones((4, 5)))  # raises",  # 5
        "r1 = dlg.check('layers')",                                # 6  the first check: Affine.backward fails
        AFFINE,                                                    # 7  the fix
        "!echo training\nnet = [Affine(np.random.randn(4, 3), np.zeros(3)), Relu()]\n"
        "for step in range(200):\n    h = net[1].forward(net[0].forward(np.random.randn(8, 4)))\n"
        "    net[0].backward(net[1].backward(np.ones_like(h)))",  # 8  a training cell
        "r2 = dlg.check('layers')",                                # 9  the second check: full marks
        "print(json.dumps({'s1': r1['score'], 's2': r2['score'], 'max': r2['max_score'], 'cells': r2['cells'],"
        " 'failing': sorted(i['id'] for i in r1['items'] if i['status'] != 'pass'), 'file': dlg.__file__}))",
    ]


@pytest.mark.timeout(240)
def test_a_course_notebook_checks_inline_and_the_fix_gets_full_marks(live, tmp_path):
    cells = course_cells()
    cells[-1] = "import json\n" + cells[-1]
    nb = run_notebook(cells, live.kernel_env("s001"), tmp_path)
    assert "s001" in outputs(nb.cells[0])
    assert errors(nb.cells[3]) and "TypeError" in errors(nb.cells[3])[0]  # cells that raised
    assert errors(nb.cells[4]) and "ValueError" in errors(nb.cells[4])[0]
    for i in (5, 8):
        assert not errors(nb.cells[i]), errors(nb.cells[i])
    result = json.loads(outputs(nb.cells[9]).strip().splitlines()[-1])
    assert result["file"].startswith(str(live.client_path))  # the client installed from the served wheel
    assert result["failing"] == ["Affine.backward", "Affine.worked_examples"]
    assert result["s2"] == result["max"] and result["s1"] < result["max"]
    assert result["cells"] == [2, 4, 7]  # numpy + helpers, the other layers, the fixed Affine

    html = outputs(nb.cells[5], "text/html")  # rendered inline like the web page, in Japanese
    assert "dlgrade-report" in html and "合計" in html and "不正解" in html and "正解" in html
    fail_row = re.search(r"<tr class='dlgrade-fail'[^>]*>.*?</tr>", html).group(0)
    assert "Affine.backward" in fail_row and "ヒント" in fail_row and "§3.5" in fail_row
    assert "送ったセル: In[2], In[3], In[4]" in html  # which cells were taken
    text = outputs(nb.cells[8])
    assert f"{result['max']:g} / {result['max']:g}" in text and "✗" not in text and "練習のチェック" in text
    assert html.count("dlgrade-pass") >= 8
    # checks are stored apart: none of them is a submission
    assert len(live.listed("checks", "s001")) == 2 and live.listed("submissions", "s001") == []


@pytest.mark.timeout(180)
def test_no_file_on_disk_submits_what_the_kernel_ran_once(live, tmp_path):
    """Colab: nothing saved anywhere; ``submit`` sends what the kernel ran, in English here."""
    cells = ["import dlgrade_client as dlg\ndlg.connect(lang='en')", BOOK.replace("class Relu", "class Relu_")
             + "\nRelu = Relu_", "r = dlg.submit('layers')",
             "print(f\"{r['score']:g} {r['max_score']:g} {r['submission']}\")"]
    nb = run_notebook(cells, live.kernel_env("s002"), tmp_path)
    assert not any(errors(c) for c in nb.cells), [errors(c) for c in nb.cells]
    score, max_score, name = outputs(nb.cells[3]).split()
    assert score == max_score and name == "layers-kernel.py"  # `Relu = Relu_` was needed, and sent
    shown = outputs(nb.cells[2])
    assert f"Total: {score} / {score}" in shown and "this is the graded submission" in shown
    subs = live.listed("submissions", "s002")
    assert len(subs) == 1 and subs[0]["filename"] == "layers-kernel.py" and f"{subs[0]['score']:g}" == score


@pytest.mark.timeout(180)
def test_a_saved_notebook_is_submitted_when_it_is_what_the_kernel_ran(live, tmp_path):
    """Jupyter Server tells the kernel its notebook (JPY_SESSION_NAME): submitted as the .ipynb if it matches;
    after an unsaved change, what the kernel ran, with a note."""
    import nbformat

    saved = [START, BOOK]
    nb_file = tmp_path / "3-1-2_layers.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in saved + ["dlg.submit('layers')"]]
    nb_file.write_text(nbformat.writes(nb), encoding="utf-8")
    cells = saved + ["r1 = dlg.submit('layers')", BUGGY_AFFINE, "r2 = dlg.submit('layers')",
                     "print(r1['submission'], r1['score'] == r1['max_score'], r2['submission'], "
                     "r2['score'] < r2['max_score'])"]
    env = {**live.kernel_env("s003"), "JPY_SESSION_NAME": nb_file.name}
    executed = run_notebook(cells, env, tmp_path)
    assert not any(errors(c) for c in executed.cells), [errors(c) for c in executed.cells]
    first, second = outputs(executed.cells[5]).split()[:2], outputs(executed.cells[5]).split()[2:]
    assert first == ["3-1-2_layers.ipynb", "True"] and second == ["layers-kernel.py", "True"]
    assert "保存されたノートブック 3-1-2_layers.ipynb はこのカーネルが実行した内容と違います" in outputs(executed.cells[4])
    assert [s["filename"] for s in live.listed("submissions", "s003")] == ["layers-kernel.py", "3-1-2_layers.ipynb"]


@pytest.mark.timeout(120)
def test_a_stopped_server_is_one_clear_sentence_and_no_traceback(live, tmp_path):
    with socket.socket() as s:  # a port nobody listens on: the server is stopped
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    cells = [START, BOOK, "r = dlg.check('layers')\nprint(r)", "r = dlg.submit('layers', lang='en')\nprint(r)"]
    nb = run_notebook(cells, live.kernel_env("s004", url=url), tmp_path)
    assert not any(errors(c) for c in nb.cells)
    for cell in (nb.cells[0], nb.cells[2]):
        text = outputs(cell)
        assert f"dlgrade サーバ 127.0.0.1:{port} に接続できません(接続が拒否されました)" in text
        assert "Traceback" not in text and len(text.strip().splitlines()) <= 2
    assert outputs(nb.cells[2]).strip().endswith("None")
    assert outputs(nb.cells[3]).strip().splitlines() == [
        f"Cannot reach the dlgrade server at 127.0.0.1:{port}: the connection was refused (is the server running, "
        "and is the URL right?).", "None"]


class LosesFirstAnswer:
    """A TCP relay to the server that forwards everything but drops the first POST's answer (the
    acknowledgement lost on the way back, after the server stored the submission)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.posts, self.dropped = 0, 0
        self.lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
            conn.settimeout(60)
            request = self._read_request(conn)
            up.sendall(request)
            drop = False
            with self.lock:
                if request.startswith(b"POST "):
                    self.posts += 1
                    drop = self.posts == 1
            answer = b""
            while chunk := up.recv(65536):
                answer += chunk
            if drop:
                self.dropped += 1
                return  # closes the student's connection without a byte of the answer
            conn.sendall(answer)

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length:\s*(\d+)", head)
        length = int(m.group(1)) if m else 0
        while len(body) < length:
            body += conn.recv(65536)
        # one request per connection: the relay reads the server's answer to the end
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        head = b"\r\n".join(lines + [b"Connection: close"])
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self.sock.close()


@pytest.mark.timeout(180)
def test_submit_retried_after_a_lost_answer_makes_one_submission(live, tmp_path):
    relay = LosesFirstAnswer(live.server.port)
    try:
        cells = [START, BOOK, "r = dlg.submit('layers', lang='en')", "print(r['id'], r['replayed'])"]
        nb = run_notebook(cells, live.kernel_env("s005", url=f"http://127.0.0.1:{relay.port}"), tmp_path)
    finally:
        relay.close()
    assert not any(errors(c) for c in nb.cells), [errors(c) for c in nb.cells]
    assert relay.posts == 2 and relay.dropped == 1  # sent twice, the first answer lost
    shown = outputs(nb.cells[2])
    assert "no second submission was made" in shown
    sub_id, replayed = outputs(nb.cells[3]).split()
    subs = live.listed("submissions", "s005")
    assert [s["id"] for s in subs] == [int(sub_id)] and replayed == "True"
