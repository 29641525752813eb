"""Limits and malformed input: every refusal is a 4xx (or 503 when busy) with a message, nothing stored."""

from __future__ import annotations

from api.isolation import Isolation
from api.dispatch.queue import QueueFull

SRC = "def relu(x):\n    return x\n"


def count(service, headers) -> int:
    return service.client.get("/api/v1/submissions", headers=headers).json()["total"]


def test_upload_over_the_size_limit_is_413(make_service):
    svc = make_service(max_upload_bytes=1000)
    student = svc.auth()
    big = "x = 1\n" * 400  # 2400 bytes
    r = svc.client.post("/api/v1/submissions", headers=student, data={"exercise": "layers"},
                        files={"file": ("big.py", big.encode())})
    assert r.status_code == 413 and "KiB" in r.json()["detail"]
    r = svc.client.post("/api/v1/submissions", headers={**student, "Accept-Language": "en"},
                        json={"exercise": "layers", "filename": "big.py", "source": big})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    # a body far over the limit is refused from its Content-Length, before it is read
    r = svc.client.post("/api/v1/submissions", headers={**student, "Content-Type": "application/json"},
                        content=b"{" + b" " * 100_000 + b"}")
    assert r.status_code == 413
    assert count(svc, student) == 0


def test_a_chunked_body_over_the_limit_is_413(make_service):
    svc = make_service(max_upload_bytes=1000)

    def chunks():
        for _ in range(100):
            yield b" " * 1000

    r = svc.client.post("/api/v1/submissions", headers={**svc.auth(), "Content-Type": "application/json"},
                        content=chunks())
    assert r.status_code == 413


def test_rate_limit_is_429_with_retry_after(make_service):
    svc = make_service(rate_limit=3, rate_window_seconds=600)
    student, other = svc.auth("student", "s001"), svc.auth("student", "s002")
    for _ in range(3):
        r = svc.client.post("/api/v1/submissions", headers=student,
                            json={"exercise": "layers", "filename": "a.py", "source": SRC})
        assert r.status_code in (201, 202)
    r = svc.client.post("/api/v1/submissions", headers=student,
                        json={"exercise": "layers", "filename": "a.py", "source": SRC})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 600
    assert r.json()["reason"] == "rate_limited"
    # per student: someone else may still submit
    assert svc.client.post("/api/v1/submissions", headers=other,
                           json={"exercise": "layers", "filename": "a.py", "source": SRC}).status_code == 202


def test_concurrent_limit_frees_up_once_graded(make_service):
    svc = make_service(max_concurrent=1)
    student = svc.auth()
    for name in ("a.py", "b.py"):
        r = svc.client.post("/api/v1/submissions?wait=20", headers=student,
                            json={"exercise": "layers", "filename": name, "source": SRC})
        assert r.status_code == 201, r.text


def test_concurrent_limit_counts_pending_submissions(make_service):
    svc = make_service(max_concurrent=1)
    student = svc.auth()
    svc.app.state.queue.stop(5)  # nothing gets graded: the first submission stays queued
    first = svc.client.post("/api/v1/submissions", headers=student,
                            json={"exercise": "layers", "filename": "a.py", "source": SRC})
    assert first.status_code == 202 and first.json()["status"] == "queued"
    r = svc.client.post("/api/v1/submissions", headers=student,
                        json={"exercise": "layers", "filename": "b.py", "source": SRC})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_unknown_exercise_and_bad_file_types_are_422(service):
    student = service.auth()
    r = service.client.post("/api/v1/submissions", headers=student,
                            json={"exercise": "nope", "filename": "a.py", "source": SRC})
    assert r.status_code == 422 and "nope" in r.json()["detail"] and "layers" in r.json()["detail"]
    r = service.client.post("/api/v1/submissions", headers=student, data={"exercise": "layers"},
                            files={"file": ("notes.txt", b"hello")})
    assert r.status_code == 422 and ".ipynb" in r.json()["detail"]
    assert count(service, student) == 0


def test_malformed_requests_are_4xx_with_a_message(service):
    student = service.auth()
    cases = [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422),
        ({"json": {"exercise": "layers"}}, 422),  # no source
        ({"json": {"exercise": "layers", "source": "x=1", "extra": 1}}, 422),
        ({"json": ["layers", "x=1"]}, 422),
        ({"json": {"exercise": "layers", "filename": "a.py", "source": 5}}, 422),
        ({"data": {"exercise": "layers"}}, 415),  # a form without a file is sent urlencoded
        ({"data": {"exercise": "layers"}, "files": {"other": ("a.py", b"x")}}, 422),
        ({"data": {}, "files": {"file": ("a.py", b"x")}}, 422),
        ({"content": b"x = 1", "headers": {"Content-Type": "text/x-python"}}, 415),
        ({"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 422),
    ]
    for kwargs, expected in cases:
        kwargs = dict(kwargs)
        kwargs["headers"] = {**student, **kwargs.get("headers", {})}
        r = service.client.post("/api/v1/submissions", **kwargs)
        assert r.status_code == expected, (kwargs, r.status_code, r.text)
        assert r.json()["detail"], kwargs
    assert count(service, student) == 0


def test_bad_path_and_query_values_are_422_not_500(service):
    student = service.auth()
    for path in ("/api/v1/submissions/0", "/api/v1/submissions/abc", f"/api/v1/submissions/{2**63}",
                 "/api/v1/submissions?limit=0", "/api/v1/submissions?offset=-1", "/api/v1/submissions?status=lost"):
        assert service.client.get(path, headers=student).status_code == 422, path


def test_the_uploaded_file_name_is_only_a_display_name(service, tmp_path):
    student = service.auth()
    for raw, shown in (("../../etc/passwd.py", "passwd.py"), ("C:\\Users\\me\\hw.ipynb", "hw.ipynb"),
                       ("/tmp/.hidden.py", "hidden.py"), ("a<b>|c.py", "abc.py"),
                       ("課題\u202eyp.txt.py", "課題yp.txt.py")):
        files = {"file": (raw, SRC.encode())}
        r = service.client.post("/api/v1/submissions", headers=student, data={"exercise": "layers"}, files=files)
        assert r.status_code == 202, (raw, r.text)
        assert r.json()["filename"] == shown
    assert not (tmp_path.parent / "passwd.py").exists()


def test_students_are_refused_without_isolation_unless_the_instructor_opts_out(make_service):
    svc = make_service(allow_unsandboxed=False)
    svc.app.state.isolation = Isolation(False, {"seccomp": False})
    body = {"exercise": "layers", "filename": "a.py", "source": SRC}
    r = svc.client.post("/api/v1/submissions", headers=svc.auth(), json=body)
    assert r.status_code == 503 and "隔離" in r.json()["detail"]
    assert svc.client.post("/api/v1/submissions", headers=svc.auth("instructor", "sensei"), json=body).status_code \
        == 202
    opted_out = make_service(allow_unsandboxed=True)
    opted_out.app.state.isolation = Isolation(False, {"seccomp": False})
    assert opted_out.client.post("/api/v1/submissions", headers=opted_out.auth(), json=body).status_code == 202


def test_full_queue_is_503_with_retry_after_and_nothing_stored(service, monkeypatch):
    student = service.auth()
    body = {"exercise": "layers", "filename": "a.py", "source": SRC}
    monkeypatch.setattr(service.app.state.queue, "has_room", lambda: False)
    r = service.client.post("/api/v1/submissions", headers=student, json=body)
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    monkeypatch.undo()

    def full(_):
        raise QueueFull()

    monkeypatch.setattr(service.app.state.queue, "enqueue", full)  # filled up between check and enqueue
    r = service.client.post("/api/v1/submissions", headers=student, json=body)
    assert r.status_code == 503
    assert count(service, student) == 0


def test_instructor_only_routes_refuse_students(service):
    assert service.client.get("/api/v1/gradebook.csv", headers=service.auth()).status_code == 403
    assert service.client.get("/api/v1/gradebook.csv").status_code == 401
