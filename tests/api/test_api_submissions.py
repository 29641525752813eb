"""Submitting, grading, reading reports and listing, through the real app and a real database."""

from __future__ import annotations

from api_testing import corpus_source
from corpus_tools import py_to_notebook


def test_json_submission_with_wait_returns_the_finished_report(service):
    student = service.auth("student", "s001")
    src = corpus_source("layers", "correct_book.py")
    r = service.client.post("/api/v1/submissions", params={"wait": 20}, headers=student,
                            json={"exercise": "layers", "filename": "s001.py", "source": src})
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/submissions/{body['id']}"
    assert body["status"] == "done" and body["student"] == "s001" and body["exercise"] == "layers"
    report = body["report"]
    assert report["lang"] == "ja" and report["exercise"] == "layers" and report["submission"] == "s001.py"
    assert report["score"] == report["max_score"] == body["score"] > 0
    assert all(i["status"] == "pass" for i in report["items"])
    assert report["items"][0]["feedback"] == "正解です。"


def test_notebook_upload_is_queued_at_once_then_graded(service):
    student = service.auth()
    nb = py_to_notebook(corpus_source("layers", "correct_loops.py"))
    r = service.client.post("/api/v1/submissions", headers=student, data={"exercise": "layers"},
                            files={"file": ("課題3.ipynb", nb, "application/x-ipynb+json")})
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "running")
    assert r.json()["report"] is None
    done = service.wait_done(r.json()["id"], student)
    assert done["status"] == "done" and done["filename"] == "課題3.ipynb"
    assert done["score"] == done["max_score"]
    en = service.client.get(f"/api/v1/submissions/{done['id']}", params={"lang": "en"}, headers=student).json()
    assert en["report"]["lang"] == "en" and en["report"]["items"][0]["feedback"] == "Correct."
    source = service.client.get(f"/api/v1/submissions/{done['id']}/source", headers=student)
    assert source.content == nb and "attachment" in source.headers["content-disposition"]


def test_report_of_a_buggy_submission_names_the_failing_item_in_both_languages(service):
    student = service.auth()
    src = corpus_source("layers", "bug_affine_dw_transpose.py")
    body = service.client.post("/api/v1/submissions?wait=20", headers=student,
                               json={"exercise": "layers", "filename": "bug.py", "source": src}).json()
    assert body["status"] == "done"
    failed = {i["id"]: i for i in body["report"]["items"] if i["status"] != "pass"}
    assert "Affine.backward" in failed
    item = failed["Affine.backward"]
    assert item["hint"] and item["section"] and item["score"] < item["max_score"]
    en = service.client.get(f"/api/v1/submissions/{body['id']}", headers={**student, "Accept-Language": "en"})
    en_item = next(i for i in en.json()["report"]["items"] if i["id"] == "Affine.backward")
    assert en_item["feedback"] != item["feedback"]


def test_a_student_sees_only_their_own_and_an_instructor_sees_all(service):
    alice, bob = service.auth("student", "alice"), service.auth("student", "bob")
    sensei = service.auth("instructor", "sensei")
    src = "def relu(x):\n    return x\n"
    ids = {}
    for who, headers in (("alice", alice), ("bob", bob)):
        r = service.client.post("/api/v1/submissions", headers=headers,
                                json={"exercise": "layers", "filename": f"{who}.py", "source": src})
        ids[who] = r.json()["id"]
    assert service.client.get(f"/api/v1/submissions/{ids['bob']}", headers=alice).status_code == 404
    assert service.client.get(f"/api/v1/submissions/{ids['bob']}/source", headers=alice).status_code == 404
    assert service.client.get(f"/api/v1/submissions/{ids['bob']}", headers=sensei).json()["student"] == "bob"
    own = service.client.get("/api/v1/submissions", headers=alice).json()
    assert own["total"] == 1 and [s["student"] for s in own["items"]] == ["alice"]
    snooping = service.client.get("/api/v1/submissions", params={"student": "bob"}, headers=alice).json()
    assert snooping["total"] == 0
    everyone = service.client.get("/api/v1/submissions", headers=sensei).json()
    assert everyone["total"] == 2
    only_bob = service.client.get("/api/v1/submissions", params={"student": "bob", "exercise": "layers"},
                                  headers=sensei).json()
    assert [s["id"] for s in only_bob["items"]] == [ids["bob"]]
    assert service.client.get("/api/v1/submissions", params={"exercise": "activations"},
                              headers=sensei).json()["total"] == 0
    assert service.client.get("/api/v1/submissions/999999", headers=sensei).status_code == 404


def test_unreadable_submission_is_done_with_every_item_error(service):
    student = service.auth()
    body = service.client.post("/api/v1/submissions?wait=20", headers=student,
                               json={"exercise": "layers", "filename": "empty.py", "source": "   \n"}).json()
    assert body["status"] == "done"
    assert {i["status"] for i in body["report"]["items"]} == {"error"}
    assert body["score"] == 0


def test_listing_is_newest_first_and_paged(service):
    student = service.auth()
    ids = [service.client.post("/api/v1/submissions", headers=student,
                               json={"exercise": "layers", "filename": f"{n}.py", "source": "x = 1\n"}).json()["id"]
           for n in range(3)]
    page = service.client.get("/api/v1/submissions", params={"limit": 2}, headers=student).json()
    assert page["total"] == 3 and [s["id"] for s in page["items"]] == ids[::-1][:2]
    rest = service.client.get("/api/v1/submissions", params={"limit": 2, "offset": 2}, headers=student).json()
    assert [s["id"] for s in rest["items"]] == ids[:1]
