"""GET /api/v1/mistakes: the instructors' count of named mistakes by kind (issue 9)."""

from __future__ import annotations

from api_testing import corpus_source


def submit(service, headers, name: str, exercise: str = "layers") -> dict:
    r = service.client.post("/api/v1/submissions?wait=20", headers=headers,
                            json={"exercise": exercise, "filename": name, "source": corpus_source(exercise, name)})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done", r.json()
    return r.json()


def counts(service, headers, **params) -> dict:
    r = service.client.get("/api/v1/mistakes", params=params, headers=headers)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [row["count"] for row in rows] == sorted((row["count"] for row in rows), reverse=True)
    return {(row["exercise"], row["item"], row["mistake"]): row for row in rows}


def test_mistakes_are_counted_by_kind_over_the_students_graded_submissions(service):
    alice, bob = service.auth("student", "alice"), service.auth("student", "bob")
    sensei = service.auth("instructor", "sensei")
    submit(service, alice, "correct_book.py")  # alice's best
    submit(service, alice, "bug_affine_dw_transpose.py")  # alice's latest
    submit(service, bob, "bug_affine_dw_transpose.py")
    submit(service, bob, "bug_relu_mask_inverted.py")  # bob's latest and best (loses 2 points, not 3)
    submit(service, sensei, "bug_affine_dw_transpose.py")  # instructors are not counted
    submit(service, bob, "bug_mse_no_half.py", exercise="losses")

    table = counts(service, sensei, lang="en")
    dw = table[("layers", "Affine.backward", "affine-dw-transpose")]
    assert dw["count"] == 2 and dw["students"] == 2
    assert dw["title"] == "dW computed as doutᵀX"
    assert table[("layers", "Affine.worked_examples", "affine-dw-transpose")]["count"] == 2
    relu = table[("layers", "Relu.backward", "relu-mask-inverted")]
    assert relu["count"] == 1 and relu["students"] == 1
    assert table[("losses", "mean_squared_error", "mse-missing-half")]["count"] == 1
    # nothing counted for the correct submission: every row comes from a named mistake
    assert all(row["count"] >= 1 and row["title"] for row in table.values())

    ja = counts(service, sensei, lang="ja")
    assert ja[("layers", "Affine.backward", "affine-dw-transpose")]["title"] == "dW を doutᵀX で計算している"
    header_ja = service.client.get("/api/v1/mistakes", headers={**sensei, "Accept-Language": "ja"}).json()
    assert {row["title"] for row in header_ja} == {row["title"] for row in ja.values()}

    only_layers = counts(service, sensei, exercise="layers")
    assert {k[0] for k in only_layers} == {"layers"} and len(only_layers) == len(table) - 1

    latest = counts(service, sensei, exercise="layers", policy="latest")
    assert set(latest) == {("layers", "Affine.backward", "affine-dw-transpose"),
                           ("layers", "Affine.worked_examples", "affine-dw-transpose"),
                           ("layers", "Relu.backward", "relu-mask-inverted")}
    assert latest[("layers", "Affine.backward", "affine-dw-transpose")]["students"] == 1
    best = counts(service, sensei, exercise="layers", policy="best")
    assert set(best) == {("layers", "Relu.backward", "relu-mask-inverted")}


def test_only_instructors_may_see_the_counts(service):
    student = service.auth("student", "alice")
    assert service.client.get("/api/v1/mistakes", headers=student).status_code == 403
    assert service.client.get("/api/v1/mistakes").status_code == 401
    sensei = service.auth("instructor", "sensei")
    assert service.client.get("/api/v1/mistakes", headers=sensei).json() == []


def test_unknown_exercise_is_404(service):
    r = service.client.get("/api/v1/mistakes", params={"exercise": "nope"},
                           headers=service.auth("instructor", "sensei"))
    assert r.status_code == 404
