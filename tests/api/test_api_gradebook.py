"""The instructors' CSV gradebook: best or latest graded submission per student."""

from __future__ import annotations

import csv
import io

from api_testing import corpus_source


def submit(service, headers, name: str) -> dict:
    r = service.client.post("/api/v1/submissions?wait=20", headers=headers,
                            json={"exercise": "layers", "filename": name, "source": corpus_source("layers", name)})
    assert r.status_code == 201, r.text
    return r.json()


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_best_and_latest_policies(make_service):
    svc = make_service(gradebook_policy="latest")
    alice, bob = svc.auth("student", "alice"), svc.auth("student", "bob")
    svc.token("student", "carol")  # on the roster, never submitted
    sensei = svc.auth("instructor", "sensei")
    good = submit(svc, alice, "correct_book.py")
    bad = submit(svc, alice, "bug_affine_dw_transpose.py")
    assert bad["score"] < good["score"]
    submit(svc, bob, "bug_relu_mask_inverted.py")
    submit(svc, sensei, "correct_book.py")  # instructors are not in the gradebook

    best = {r["student"]: r for r in rows(svc.client.get("/api/v1/gradebook.csv",
                                                         params={"exercise": "layers", "policy": "best"},
                                                         headers=sensei))}
    assert list(best) == ["alice", "bob", "carol"]
    assert float(best["alice"]["score"]) == good["score"] and best["alice"]["submission"] == str(good["id"])
    assert best["alice"]["submissions"] == "2"
    assert best["alice"]["Affine.backward"] == "2"
    assert best["carol"]["score"] == "" and best["carol"]["submissions"] == "0"

    # the server's default policy here is latest
    latest_response = svc.client.get("/api/v1/gradebook.csv", params={"exercise": "layers"}, headers=sensei)
    assert "latest" in latest_response.headers["content-disposition"]
    latest = {r["student"]: r for r in rows(latest_response)}
    assert float(latest["alice"]["score"]) == bad["score"] and latest["alice"]["submission"] == str(bad["id"])
    header = latest_response.text.splitlines()[0].split(",")
    assert header[:3] == ["student", "score", "max_score"] and "Affine.forward" in header


def test_all_exercises_view_has_a_column_per_exercise(service):
    alice = service.auth("student", "alice")
    sensei = service.auth("instructor", "sensei")
    good = submit(service, alice, "correct_book.py")
    table = rows(service.client.get("/api/v1/gradebook.csv", headers=sensei))
    assert table[0]["student"] == "alice"
    assert float(table[0]["layers"]) == good["score"] == float(table[0]["total"])
    assert "activations" in table[0] and table[0]["activations"] == ""


def test_unknown_exercise_is_404(service):
    r = service.client.get("/api/v1/gradebook.csv", params={"exercise": "nope"},
                           headers=service.auth("instructor", "sensei"))
    assert r.status_code == 404
