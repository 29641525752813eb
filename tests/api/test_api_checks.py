"""Practice checks (POST /api/v1/checks) and Idempotency-Key on both POSTs, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import select

import api.submissions as accepting
from api.models import SUBMISSION, Submission
from api_testing import corpus_source

GOOD = corpus_source("layers", "correct_book.py")
BAD = corpus_source("layers", "bug_affine_dw_transpose.py")


def body(source: str = GOOD, name: str = "answer.py") -> dict:
    return {"exercise": "layers", "filename": name, "source": source}


def rows(svc, kind: str | None = None) -> list[Submission]:
    with svc.app.state.session_factory() as db:
        q = select(Submission).order_by(Submission.id)
        return list(db.scalars(q.where(Submission.kind == kind) if kind else q))


def test_a_check_is_graded_stored_apart_and_never_in_the_gradebook(service):
    alice, sensei = service.auth("student", "alice"), service.auth("instructor", "sensei")
    checked = service.client.post("/api/v1/checks?wait=20", headers=alice, json=body(BAD))
    assert checked.status_code == 201, checked.text
    check = checked.json()
    assert check["kind"] == "check" and check["status"] == "done"
    assert checked.headers["location"] == f"/api/v1/checks/{check['id']}"
    failing = {i["id"] for i in check["report"]["items"] if i["status"] != "pass"}
    assert failing == {"Affine.backward", "Affine.worked_examples"}  # graded like a submission
    assert service.client.post("/api/v1/checks?wait=20", headers=alice, json=body()).status_code == 201

    # listed under /checks, not under /submissions (student and instructor alike)
    for who in (alice, sensei):
        assert service.client.get("/api/v1/submissions", headers=who).json()["total"] == 0
        listed = service.client.get("/api/v1/checks", headers=who).json()
        assert listed["total"] == 2 and {c["kind"] for c in listed["items"]} == {"check"}
    assert service.client.get(f"/api/v1/submissions/{check['id']}", headers=alice).status_code == 404
    again = service.client.get(f"/api/v1/checks/{check['id']}", headers=alice, params={"lang": "en"})
    assert again.status_code == 200 and again.json()["report"]["lang"] == "en"
    assert service.client.get(f"/api/v1/checks/{check['id']}/source", headers=alice).text == BAD

    # the gradebook has no score for alice, but counts her checks
    table = list(csv.DictReader(io.StringIO(service.client.get(
        "/api/v1/gradebook.csv", params={"exercise": "layers"}, headers=sensei).text)))
    assert table[0]["student"] == "alice" and table[0]["score"] == "" and table[0]["submissions"] == "0"
    assert table[0]["checks"] == "2"
    submitted = service.client.post("/api/v1/submissions?wait=20", headers=alice, json=body(BAD))
    assert submitted.status_code == 201 and submitted.json()["kind"] == "submission"
    table = list(csv.DictReader(io.StringIO(service.client.get(
        "/api/v1/gradebook.csv", params={"exercise": "layers"}, headers=sensei).text)))
    # the submission's (worse) score, not the check's full marks
    assert float(table[0]["score"]) == submitted.json()["score"] < submitted.json()["max_score"]
    assert table[0]["submissions"] == "1" and table[0]["checks"] == "2"
    named = service.client.get("/api/v1/mistakes", headers=sensei).json()  # the submission's, not the check's
    assert [(m["item"], m["count"]) for m in named] == [("Affine.backward", 1), ("Affine.worked_examples", 1)]


def test_checks_and_submissions_have_rate_limits_of_their_own(make_service):
    svc = make_service(rate_limit=1, check_rate_limit=2, rate_window_seconds=600)
    alice = svc.auth("student", "alice")
    first = svc.client.post("/api/v1/submissions", headers={**alice, "Idempotency-Key": "a"}, json=body())
    assert first.status_code == 202
    assert svc.client.post("/api/v1/submissions", headers=alice, json=body()).status_code == 429
    # a retry of the first request is not a new submission: answered, not refused
    retry = svc.client.post("/api/v1/submissions", headers={**alice, "Idempotency-Key": "a"}, json=body())
    assert retry.status_code in (201, 202) and retry.json()["id"] == first.json()["id"]
    for _ in range(2):  # practising does not use up submissions, nor the other way round
        assert svc.client.post("/api/v1/checks", headers=alice, json=body()).status_code == 202
    refused = svc.client.post("/api/v1/checks", headers=alice, json=body(), params={"lang": "en"})
    assert refused.status_code == 429 and refused.json()["reason"] == "rate_limited"
    assert "At most 2 checks per 600 s" in refused.json()["detail"] and int(refused.headers["retry-after"]) > 0


@pytest.mark.parametrize("path", ["/api/v1/submissions", "/api/v1/checks"])
def test_the_same_idempotency_key_replays_the_first_answer(service, path):
    alice, bob = service.auth("student", "alice"), service.auth("student", "bob")
    first = service.client.post(f"{path}?wait=20", headers={**alice, "Idempotency-Key": "k-1"}, json=body())
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = service.client.post(f"{path}?wait=20", headers={**alice, "Idempotency-Key": "k-1"}, json=body())
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["report"] == first.json()["report"]
    assert again.headers["location"].endswith(f"/{first.json()['id']}")
    # the key is the student's own: bob's request with it is a new one
    other = service.client.post(path, headers={**bob, "Idempotency-Key": "k-1"}, json=body())
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    assert len(rows(service)) == 2

    reused = service.client.post(path, headers={**alice, "Idempotency-Key": "k-1"}, json=body(BAD),
                                 params={"lang": "en"})
    assert reused.status_code == 422 and reused.json()["reason"] == "idempotency_key_reused"
    assert "already used for another request" in reused.json()["detail"]
    elsewhere = "/api/v1/checks" if path.endswith("submissions") else "/api/v1/submissions"
    assert service.client.post(elsewhere, headers={**alice, "Idempotency-Key": "k-1"},
                               json=body()).status_code == 422  # a check and a submission are different requests
    bad_key = service.client.post(path, headers={**alice, "Idempotency-Key": "has space"}, json=body())
    assert bad_key.status_code == 422 and bad_key.json()["reason"] == "idempotency_key_invalid"
    assert len(rows(service)) == 2


def test_racing_requests_with_one_key_store_one_submission(service):
    alice = service.auth("student", "alice")
    answers, barrier = [], threading.Barrier(6)

    def send():
        barrier.wait()
        answers.append(service.client.post("/api/v1/submissions",
                                           headers={**alice, "Idempotency-Key": "race"}, json=body()))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 6 and {r.status_code for r in answers} <= {201, 202}  # 201 once it is graded
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 5
    assert len(rows(service)) == 1


# On SQLite a request holds the write lock from its first query to its commit, so no other process can
# store the key in between; on PostgreSQL it can, and the unique index decides.
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_key_stored_by_another_process_meanwhile_is_replayed_from_the_unique_index(service, monkeypatch):
    """Another process (which does not share this one's lock) stores the same key between this process's
    look-up and its insert: the unique index refuses the second row and the first is answered."""
    alice = service.auth("student", "alice")
    sessions = service.app.state.session_factory
    real_by_key = accepting._by_key
    raced = []

    def by_key_then_the_other_process_commits(db, account, key):
        if not raced:
            raced.append(True)
            with sessions() as other:
                other.add(Submission(account_id=account.id, kind=SUBMISSION, exercise="layers",
                                     filename="answer.py", source=GOOD.encode(), size=len(GOOD), sha256="0" * 64,
                                     status="queued", attempts=0, idempotency_key=key,
                                     request_hash=accepting.request_hash(SUBMISSION, "layers", "answer.py",
                                                                         GOOD.encode())))
                other.commit()
            return None  # what this process saw before the other committed
        return real_by_key(db, account, key)

    monkeypatch.setattr(accepting, "_by_key", by_key_then_the_other_process_commits)
    r = service.client.post("/api/v1/submissions", headers={**alice, "Idempotency-Key": "raced"}, json=body())
    assert r.status_code == 202 and r.headers["idempotent-replayed"] == "true"
    stored = rows(service)
    assert len(stored) == 1 and r.json()["id"] == stored[0].id and stored[0].kind == SUBMISSION
