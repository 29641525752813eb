"""Catalogue, health, metrics, OpenAPI and language selection, through the real app."""

from __future__ import annotations

import pytest

from api.isolation import Isolation


def test_catalogue_in_japanese_by_default_and_english_on_request(service):
    c = service.client
    ja = c.get("/api/v1/exercises").json()["exercises"]
    en = c.get("/api/v1/exercises", params={"lang": "en"}).json()["exercises"]
    by_header = c.get("/api/v1/exercises", headers={"Accept-Language": "en-US,en;q=0.9"}).json()["exercises"]
    assert [e["id"] for e in ja] == [e["id"] for e in en]
    layers_ja = next(e for e in ja if e["id"] == "layers")
    layers_en = next(e for e in en if e["id"] == "layers")
    assert layers_ja["title"] != layers_en["title"]
    assert by_header == en
    assert layers_en["max_score"] == sum(i["points"] for i in layers_en["items"])
    assert {"Affine.forward", "Affine.backward"} <= {i["id"] for i in layers_en["items"]}


def test_one_exercise_and_unknown_exercise_404(service):
    assert service.client.get("/api/v1/exercises/layers?lang=en").json()["id"] == "layers"
    r = service.client.get("/api/v1/exercises/no-such-thing")
    assert r.status_code == 404
    assert "no-such-thing" in r.json()["detail"]


def test_healthz_reports_database_queue_and_isolation(service):
    r = service.client.get("/healthz")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "ok" and body["database"] is True
    assert body["queue"]["workers"] == 2 and body["queue"]["backend"] == "thread"
    assert set(body["isolation"]) == {"full", "layers", "allow_unsandboxed"}


def test_healthz_is_503_when_students_would_be_refused(make_service):
    svc = make_service(allow_unsandboxed=False)
    svc.app.state.isolation = Isolation(False, {"seccomp": False})
    r = svc.client.get("/healthz")
    assert r.status_code == 503
    assert any("DLGRADE_ALLOW_UNSANDBOXED" in p for p in r.json()["problems"])


def test_metrics_expose_submissions_latency_queue_and_failures(service):
    student = service.auth()
    src = "def relu(x):\n    return x\n"
    r = service.client.post("/api/v1/submissions?wait=20", headers=student,
                            json={"exercise": "layers", "filename": "m.py", "source": src})
    assert r.status_code == 201
    text = service.client.get("/metrics").text
    for name in ("dlgrade_submissions_total", "dlgrade_grading_seconds_bucket", "dlgrade_queue_depth",
                 "dlgrade_grading_failures_total", "dlgrade_gradings_total", "dlgrade_submissions_rejected_total"):
        assert name in text, name
    assert 'dlgrade_submissions_total{exercise="layers"}' in text


def test_openapi_and_docs(service):
    schema = service.client.get("/openapi.json").json()
    assert {"/api/v1/exercises", "/api/v1/submissions", "/api/v1/submissions/{submission_id}", "/healthz",
            "/api/v1/gradebook.csv", "/api/v1/me"} <= set(schema["paths"])
    body = schema["paths"]["/api/v1/submissions"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)
    assert service.client.get("/docs").status_code == 200


def test_me_and_authentication(service):
    assert service.client.get("/api/v1/me").status_code == 401
    assert service.client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert service.client.get("/api/v1/me", headers=service.auth("student", "s042")).json() == \
        {"name": "s042", "role": "student"}
    assert service.client.get("/api/v1/me", headers=service.auth("instructor", "sensei")).json()["role"] == \
        "instructor"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # a SQLite property: no PostgreSQL run
def test_sqlite_runs_in_wal_mode(make_service, database):
    svc = make_service()
    with svc.app.state.session_factory() as db:
        assert db.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
