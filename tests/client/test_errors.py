"""Every server or network problem is one clear sentence in the chosen language, and ``None``, no traceback."""

from __future__ import annotations

import socket
import threading

import pytest

import dlgrade_client as dlg


def sentence(capsys) -> str:
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    lines = [line for line in out.out.splitlines() if line.strip()]
    assert len(lines) == 1, out.out
    return lines[0]


def test_a_wrong_token_is_401_in_one_sentence(live, capsys):
    assert dlg.connect(live.url, token="dlg_not-a-token", lang="en") is None
    assert sentence(capsys) == ("The server did not accept your token (401): use the token your instructor gave "
                                "you (connect(url, token=...) or DLGRADE_TOKEN).")
    assert dlg.check("layers", path=__file__, lang="ja") is None
    assert sentence(capsys).startswith("トークンが受け付けられませんでした(401)。")


def test_too_large_and_too_many_checks(live, tmp_path, capsys):
    assert dlg.connect(live.url, token=live.tokens["s001"], lang="en") is not None
    assert "as s001" in sentence(capsys)
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" + "#" * (1 << 20) + "\n")
    assert dlg.check("layers", path=str(big)) is None
    assert sentence(capsys) == ("Your code is larger than the server accepts (413): "
                                "The submission is larger than the limit of 1024 KiB.")
    small = tmp_path / "small.py"
    small.write_text("import numpy as np\n")
    dlg.connect(live.url, token=live.tokens["s006"], lang="en")
    capsys.readouterr()
    for _ in range(6):  # the live server allows 6 checks per window (conftest)
        assert dlg.check("layers", path=str(small))["score"] == 0
    capsys.readouterr()
    assert dlg.check("layers", path=str(small)) is None
    said = sentence(capsys)
    assert said.startswith("Too many requests for now (429): At most 6 checks per 600 s; try again in ")
    assert said.endswith(" s before trying again.") and "Wait " in said


class StubServer:
    """A socket that answers every request the same way (or never): for conditions a healthy local server
    does not produce on demand."""

    def __init__(self, answer: bytes | None):
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if self.answer is None:
                self.held.append(conn)  # never answers
                continue
            conn.sendall(self.answer)
            conn.close()

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def stub():
    servers = []

    def make(answer):
        servers.append(StubServer(answer))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def test_503_says_when_to_try_again(stub, capsys):
    body = b'{"detail": "The grader is busy; please submit again shortly.", "reason": "queue_full"}'
    server = stub(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 30\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    assert dlg.connect(server.url, token="t", lang="en") is None
    assert sentence(capsys) == ("The server cannot grade right now (503): The grader is busy; please submit again "
                                "shortly. Try again in 30 s.")


def test_a_server_that_does_not_answer_is_a_timeout(stub, capsys):
    server = stub(None)
    assert dlg.connect(server.url, token="t", lang="ja", timeout=1) is None
    host = server.url.split("//")[1]
    assert sentence(capsys) == (f"dlgrade サーバ {host} が 1 秒以内に応答しませんでした。"
                                "少し待ってからもう一度試してください。")


def test_no_server_and_no_token_are_said_too(monkeypatch, capsys):
    monkeypatch.delenv("DLGRADE_URL", raising=False)
    monkeypatch.delenv("DLGRADE_TOKEN", raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "")
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    assert dlg.connect(lang="en") is None
    assert sentence(capsys) == 'No server given: call dlg.connect("http://...") or set DLGRADE_URL.'
    assert dlg.connect("http://127.0.0.1:9", lang="en") is None
    assert sentence(capsys) == "No token given: call dlg.connect(url, token=...) or set DLGRADE_TOKEN."


def test_variant_of_an_unknown_exercise_or_one_without_variants(live, capsys):
    dlg.connect(live.url, token=live.tokens["s001"], lang="en")
    capsys.readouterr()
    assert dlg.variant("nope") is None
    assert sentence(capsys).startswith("There is no exercise 'nope' on this server; its exercises: activations, ")
    assert dlg.variant("layers") is None
    assert sentence(capsys) == "layers has no per-student variant: its numbers are the same for everyone."
    mine = dlg.variant("backprop-examples")  # the server's GET /api/v1/exercises/{id}/variant, as arrays
    assert set(mine) == {"X", "W", "t_reg", "t_cls", "X2", "b", "dY"}
    assert mine["X"].shape == (3,) and mine["W"].shape == (3, 2) and mine["dY"].shape == (3, 2)
