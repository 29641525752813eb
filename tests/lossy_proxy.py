"""A TCP proxy on 127.0.0.1 that loses the server's answer: the request arrives, the reply never does.

What a phantom submission looks like from the client's side: the upload reached the server and was
stored (the server sent its answer), but the connection broke before the answer came back (a Wi-Fi
hand-over, a proxy timeout, a laptop lid closed).  The proxy forwards the client's bytes, reads the
server's answer to its first byte, then closes both connections without passing anything on.
"""

from __future__ import annotations

import socket
import threading


class LossyProxy:
    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.answers_lost = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.target, timeout=60)
        client.settimeout(60)

        def forward() -> None:  # client -> server, until the client stops sending
            try:
                while chunk := client.recv(65536):
                    server.sendall(chunk)
            except OSError:
                pass

        threading.Thread(target=forward, daemon=True).start()
        try:
            if server.recv(65536):  # the server answered: drop the answer
                with self._lock:
                    self.answers_lost += 1
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.listener.close()


def phantom_then_retries(url: str, port: int, headers: dict, body: dict, retries: int = 4):
    """Upload through a proxy that loses the answer, then retry ``retries`` times at once with the same key.

    Returns ``(listing before the retries, the retries' answers, listing after)``; the listings are the
    student's ``GET /api/v1/submissions``.
    """
    import uuid

    import httpx

    key = str(uuid.uuid4())
    proxy = LossyProxy(port)
    try:
        with httpx.Client(base_url=proxy.url, timeout=30) as lossy:
            try:
                lossy.post("/api/v1/submissions", headers={**headers, "Idempotency-Key": key}, json=body)
            except httpx.HTTPError:
                pass  # what the student's browser or notebook sees: the connection broke
            else:
                raise AssertionError("the proxy passed an answer on")
        assert proxy.answers_lost == 1  # the server did answer: the submission was stored
    finally:
        proxy.close()
    with httpx.Client(base_url=url, timeout=30) as http:
        before = http.get("/api/v1/submissions", headers=headers).json()
        gate = threading.Barrier(retries)
        answers: list = [None] * retries

        def retry(i: int) -> None:
            with httpx.Client(base_url=url, timeout=30) as own:
                gate.wait(30)
                answers[i] = own.post("/api/v1/submissions", headers={**headers, "Idempotency-Key": key}, json=body)

        threads = [threading.Thread(target=retry, args=(i,)) for i in range(retries)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        after = http.get("/api/v1/submissions", headers=headers).json()
    return before, answers, after
