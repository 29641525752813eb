"""Per-student variants in the service (issue 15): GET /api/v1/exercises/{id}/variant, grading with the
token's student's numbers, whose numbers a wrong answer fits (instructors only), the stored secret."""

from __future__ import annotations

import numpy as np

import exercises
from api.course import rotate_variant_secret, variant_secret
from grader.variants import as_code, practice

EX = exercises.get("backprop-examples")
SOLUTION = """
def softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()

Y = X @ W
ex1_1_dX = (Y - t_reg) @ W.T
ex1_1_dW = np.outer(X, Y - t_reg)
ex1_2_dX = (softmax(Y) - t_cls) @ W.T
ex1_2_dW = np.outer(X, softmax(Y) - t_cls)
ex2_dX = dY
ex2_db = dY.sum(axis=0)
"""


def variant(service, headers, **params) -> dict:
    r = service.client.get(f"/api/v1/exercises/{EX.id}/variant", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def solution_for(body: dict) -> str:
    params = {k: np.asarray(v, dtype=float) for k, v in body["variant"].items()}
    return as_code(EX, body["student"], params) + SOLUTION


def submit(service, headers, source: str) -> dict:
    r = service.client.post("/api/v1/submissions?wait=20", headers=headers,
                            json={"exercise": EX.id, "filename": "answers.py", "source": source})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done", r.json()
    return r.json()


def test_each_student_reads_their_own_numbers_and_an_instructor_anyones(service):
    alice, bob = service.auth("student", "alice"), service.auth("student", "bob")
    sensei = service.auth("instructor", "sensei")
    mine = variant(service, alice)
    assert set(mine) == {"exercise", "student", "variant"}
    assert mine["exercise"] == EX.id and mine["student"] == "alice"
    assert set(mine["variant"]) == {p.name for p in EX.variants.params}
    assert variant(service, alice) == mine
    assert variant(service, alice, student="alice") == mine
    assert variant(service, bob)["variant"] != mine["variant"]
    assert variant(service, sensei, student="alice") == mine
    text = variant(service, sensei)
    assert text["student"] is None and text["variant"]["X"] == [2, -1, 1]
    r = service.client.get(f"/api/v1/exercises/{EX.id}/variant", headers=alice, params={"student": "bob"})
    assert r.status_code == 403
    assert service.client.get("/api/v1/exercises/layers/variant", headers=alice).status_code == 404
    assert service.client.get("/api/v1/exercises/nope/variant", headers=alice).status_code == 404
    assert service.client.get(f"/api/v1/exercises/{EX.id}/variant").status_code == 401
    code = service.client.get(f"/api/v1/exercises/{EX.id}/variant", headers=alice, params={"format": "py", "lang": "ja"})
    assert code.status_code == 200 and code.headers["content-type"].startswith("text/x-python")
    assert "あなたの問題" in code.text and "学生 alice" in code.text and "import numpy as np" in code.text


def test_grading_uses_the_students_numbers_and_instructors_see_whose_were_copied(service):
    alice, bob = service.auth("student", "alice"), service.auth("student", "bob")
    sensei = service.auth("instructor", "sensei")
    alices = solution_for(variant(service, alice))
    own = submit(service, alice, alices)
    assert own["report"]["score"] == own["report"]["max_score"] == EX.max_score

    copied = submit(service, bob, alices)
    assert copied["report"]["score"] == 0
    for item in copied["report"]["items"]:  # the student reads a neutral message, no name
        assert item["status"] == "fail" and "variant_match" not in item
    assert "alice" not in str(copied["report"])
    seen_by_bob = service.client.get(f"/api/v1/submissions/{copied['id']}", headers=bob).json()
    assert "alice" not in str(seen_by_bob["report"]) and "variant_match" not in str(seen_by_bob)
    seen_by_sensei = service.client.get(f"/api/v1/submissions/{copied['id']}", headers=sensei).json()
    assert all(i["variant_match"] == {"students": ["alice"], "practice": False} or
               "alice" in i["variant_match"]["students"] for i in seen_by_sensei["report"]["items"])

    text = submit(service, bob, as_code(EX, None, practice(EX)) + SOLUTION)  # the text's answers
    assert text["report"]["score"] == 0
    rows = service.client.get("/api/v1/variant-matches", headers=sensei, params={"exercise": EX.id}).json()
    assert {(r["submission"], r["student"]) for r in rows} == {(copied["id"], "bob"), (text["id"], "bob")}
    assert all("alice" in r["students"] for r in rows if r["submission"] == copied["id"])
    assert all(r["practice"] for r in rows if r["submission"] == text["id"])
    assert {r["item"] for r in rows} == {i.id for i in EX.items}
    assert service.client.get("/api/v1/variant-matches", headers=bob).status_code == 403
    for unknown in ("", "no-such-exercise"):  # schemathesis found a 500 for an empty exercise
        r = service.client.get("/api/v1/variant-matches", headers=sensei, params={"exercise": unknown})
        assert (r.status_code, r.json()["reason"]) == (404, "unknown_exercise"), r.text
    assert service.client.get("/api/v1/variant-matches", headers=sensei,
                              params={"student": "alice"}).json() == []

    # an instructor's own submission is graded with the text's numbers
    assert submit(service, sensei, as_code(EX, None, practice(EX)) + SOLUTION)["report"]["score"] == EX.max_score


def test_every_process_reads_the_same_stored_secret_and_rotation_changes_the_numbers(make_service):
    first = make_service()
    alice = first.auth("student", "alice")
    before = variant(first, alice)
    with first.app.state.session_factory() as db:
        secret = variant_secret(db)
    second = make_service()  # another API process on the same database
    assert variant(second, alice) == before
    with second.app.state.session_factory() as db:
        assert variant_secret(db) == secret
    with second.app.state.session_factory.begin() as db:
        rotate_variant_secret(db)
    assert variant(first, alice)["variant"] != before["variant"]
    assert secret.hex() not in first.client.get("/openapi.json").text
