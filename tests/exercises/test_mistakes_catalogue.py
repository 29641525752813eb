"""The catalogue of typical mistakes (issue 9): every kind the issue lists is there, in both languages with
its section, and is named by at least one bug submission of the corpus; every id a check or a corpus file
uses exists (``ctx.variants`` silently skips an unknown id, so a typo would just never name anything).

That each corpus file gets exactly its ``# expect-mistake:`` ids, and that correct files never get one,
is graded in tests/grader/test_corpus.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import exercises
from corpus_tools import all_exercises, corpus_files, expectations
from exercises.mistakes import CATALOGUE, MISTAKES

# The mistakes issue 9 asks for, by kind → their ids in exercises/mistakes.py.
ISSUE_MISTAKES = {
    "missing 1/N (loss)": "loss-missing-1-over-n",
    "missing 1/N (gradient)": "backward-missing-1-over-n",
    "dW = doutᵀX": "affine-dw-transpose",
    "W instead of Wᵀ": "affine-dx-no-transpose",
    "db not summed over axis 0": "affine-db-not-summed",
    "db a mean": "affine-db-mean",
    "ReLU mask inverted": "relu-mask-inverted",
    "ReLU mask built from dout": "relu-mask-from-dout",
    "ReLU mask built from the output (never set)": "relu-mask-missing",
    "Sigmoid backward from x instead of y": "sigmoid-backward-from-x",
    "softmax without the max shift": "softmax-no-max-shift",
    "softmax over the wrong axis": "softmax-wrong-axis",
    "cross-entropy without δ": "ce-no-delta",
    "cross-entropy summed instead of averaged": "ce-sum-not-mean",
    "the missing ½ of the squared error": "mse-missing-half",
    "Momentum sign error": "momentum-sign",
    "Momentum velocity not kept": "momentum-no-velocity",
    "Nesterov in the older printings' order": "nesterov-book-order",
    "Adam without bias correction": "adam-no-bias-correction",
    "Adam step counted per key": "adam-step-per-key",
    "AdaGrad without accumulation": "adagrad-no-accumulation",
    "batch norm over the wrong axis": "bn-wrong-axis",
    "batch norm with ddof=1": "bn-ddof1",
    "batch norm backward missing a term": "bn-backward-missing-term",
    "batch statistics at test time": "bn-batch-stats-at-test",
    "running average reversed": "bn-running-reversed",
    "inverted dropout": "dropout-inverted",
    "a new dropout mask in backward": "dropout-new-mask-in-backward",
    "keep probability p instead of 1 − p": "dropout-keep-p",
    "L2 gradient λW instead of 2λW": "l2-grad-missing-2",
    "decay in the loss but not in the gradient": "decay-not-in-gradient",
    "Glorot with 1/n_in": "glorot-book-form",
    "uniform instead of normal initialisation": "init-uniform",
    "optimizer rebinding params[key]": "optimizer-rebinds-params",
    # issue 15, the autograd exercise (§3.8)
    "non-scalar .backward() without a gradient": "autograd-backward-non-scalar",
    "leaves not zeroed or re-created: gradients accumulate": "autograd-grad-accumulates",
    ".grad of a non-leaf": "autograd-grad-of-non-leaf",
}

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SECTION = re.compile(r"^\d+(\.\d+)*$")
EXERCISES_DIR = Path(exercises.__file__).parent


def _corpus_mistakes() -> dict[str, list[str]]:
    """mistake id → the corpus files (exercise/name) whose header expects it."""
    named: dict[str, list[str]] = {}
    for ex in all_exercises():
        for path in corpus_files(ex, "bug_"):
            for mid in expectations(path)["mistake"].values():
                named.setdefault(mid, []).append(f"{ex}/{path.name}")
    return named


def _known_ids() -> set[str]:
    ids = set(MISTAKES)
    for ex in exercises.catalogue().values():
        ids |= {m.id for m in ex.mistakes}
    return ids


def test_catalogue_ids_are_unique_and_well_formed():
    ids = [m.id for m in CATALOGUE]
    assert len(ids) == len(set(ids))
    for m in CATALOGUE:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", m.id), m.id


@pytest.mark.parametrize("kind,mid", sorted(ISSUE_MISTAKES.items()), ids=sorted(ISSUE_MISTAKES))
def test_every_mistake_of_the_issue_is_catalogued_in_both_languages_with_its_section(kind, mid):
    assert mid in MISTAKES, f"{kind}: {mid} is not in exercises/mistakes.py"
    m = MISTAKES[mid]
    for msg in (m.title, m.explanation):
        assert msg.en.strip() and msg.ja.strip()
        assert JAPANESE.search(msg.ja), msg.ja
        assert msg.en != msg.ja
    assert SECTION.match(m.section), (mid, m.section)
    assert f"§{m.section}" in m.explanation.en or "docs/exercises.md" in m.explanation.en, \
        f"{mid}: the explanation should cite the section (§{m.section})"


def test_every_catalogued_mistake_has_both_languages_and_a_section():
    for m in CATALOGUE:
        assert m.title.en and m.title.ja and m.explanation.en and m.explanation.ja, m.id
        assert JAPANESE.search(m.title.ja) and JAPANESE.search(m.explanation.ja), m.id
        assert SECTION.match(m.section), (m.id, m.section)


@pytest.mark.parametrize("kind,mid", sorted(ISSUE_MISTAKES.items()), ids=sorted(ISSUE_MISTAKES))
def test_every_mistake_of_the_issue_is_made_by_a_corpus_submission(kind, mid):
    named = _corpus_mistakes()
    assert named.get(mid), f"{kind}: no tests/corpus/*/bug_* file expects {mid} (# expect-mistake: Item={mid})"


def test_every_expected_mistake_in_the_corpus_exists():
    """A header naming an unknown id could never pass; say which file has it."""
    catalogue = exercises.catalogue()
    for ex in all_exercises():
        local = {m.id for m in catalogue[ex].mistakes}
        items = {i.id for i in catalogue[ex].items}
        for path in corpus_files(ex, "bug_"):
            exp = expectations(path)
            for item, mid in exp["mistake"].items():
                assert item in items, f"{ex}/{path.name}: unknown item {item}"
                assert item in exp["fail"], f"{ex}/{path.name}: {item} names a mistake but is not in expect-fail"
                assert mid in MISTAKES or mid in local, f"{ex}/{path.name}: unknown mistake id {mid}"


def test_exercise_mistakes_sharing_a_catalogue_id_share_its_title():
    """One id is one kind, counted together by the class report and the API: the same title everywhere."""
    for ex in exercises.catalogue().values():
        for m in ex.mistakes:
            if m.id in MISTAKES:
                assert m.title == MISTAKES[m.id].title, (ex.id, m.id)


def _ids_used_by_checks() -> dict[str, set[str]]:
    """Mistake ids the exercise modules refer to: keyword names of ``variants(...)`` calls (underscores for
    hyphens), string arguments of ``mistake(...)`` / ``find(...)``, and string keys of mistake dicts."""
    used: dict[str, set[str]] = {}
    # grader/compare.py's assert_unchanged names input-modified-in-place for every no_mutation item;
    # grader/engine.py's error_mistake the mistakes an error shows by itself (math.exp given an array, …)
    grader_dir = EXERCISES_DIR.parent / "grader"
    for path in sorted(EXERCISES_DIR.glob("*.py")) + [grader_dir / "compare.py", grader_dir / "engine.py"]:
        if path.name == "mistakes.py":
            continue
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name == "get" and isinstance(node.func, ast.Attribute) \
                        and getattr(node.func.value, "id", "") == "SHARED_MISTAKES" and node.args \
                        and isinstance(node.args[0], ast.Constant):
                    found.add(node.args[0].value)
                elif name in ("variants", "_variants", "_v"):
                    found |= {kw.arg.replace("_", "-") for kw in node.keywords if kw.arg}
                elif name in ("mistake", "find") and node.args and isinstance(node.args[0], ast.Constant) \
                        and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, str):
                target = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
                if target in ("_MISTAKE", "_BY_ID", "_CAT", "MISTAKES"):
                    found.add(node.slice.value)
        used[path.name] = found
    return used


def test_every_mistake_id_a_check_uses_exists():
    known = _known_ids()
    used = _ids_used_by_checks()
    assert sum(len(v) for v in used.values()) > 40  # the scan does find them
    unknown = {f: sorted(ids - known) for f, ids in used.items() if ids - known}
    assert not unknown, unknown


def test_the_shared_catalogue_is_used_by_the_checks():
    """Every catalogued mistake is named by some check (or listed by an exercise that names it)."""
    used = set().union(*_ids_used_by_checks().values())
    listed = set()
    for ex in exercises.catalogue().values():
        listed |= {m.id for m in ex.mistakes}
    unused = sorted(set(MISTAKES) - used - listed)
    assert not unused, f"catalogued but named by no check: {unused}"
