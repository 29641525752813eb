"""The exercise guide and the README are what a new student and a new instructor read first (issue 13).

docs/exercises.md is generated from the catalogue (`dlgrade exercises --markdown`) and must be committed as
generated; the README's exercise table and its example agree with the catalogue and the corpus; nothing a
student reads points at the contract files EXERCISES.md / INTERFACES.md, which are not in this repository.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from typer.testing import CliRunner

from corpus_tools import CORPUS
from exercises import catalogue
from exercises.guide import CHECKS, markdown
from grader.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "exercises.md"
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGENERATE = "regenerate it: .venv/bin/dlgrade exercises --markdown > docs/exercises.md"


def test_the_committed_guide_is_the_generated_one():
    generated = CliRunner().invoke(app, ["exercises", "--markdown"]).stdout
    assert generated == markdown(catalogue())
    assert GUIDE.read_text(encoding="utf-8") == generated, REGENERATE


def test_the_guide_has_every_exercise_name_signature_item_and_section_in_both_languages():
    text = GUIDE.read_text(encoding="utf-8")
    ja, en = text.split('<a id="en"></a>')
    for part, lang in ((ja, "ja"), (en, "en")):
        for ex in catalogue().values():
            section = part.split(f'<a id="{lang}-{ex.id}"></a>', 1)[1].split("<a id=", 1)[0]
            assert f"### `{ex.id}` — {ex.title.get(lang)} (§{ex.section})" in section
            for name in ex.names:
                assert f"- `{ex.signatures.get(name, name)}`" in section, (lang, name)
            for item in ex.items:
                row = next((line for line in section.splitlines() if line.startswith(f"| `{item.id}` |")), None)
                assert row is not None, (lang, item.id)
                assert f"| {item.points:g} | §{item.section} |" in row
                formula = item.hint.get(lang).split("(§")[0].split("(§")[0][:20].replace("|", "\\|")
                assert formula in row, (lang, item.id)
    assert "`Affine(W, b) — forward(x), backward(dout)`" in text  # a signature, not just a name
    assert "θ ← θ + α²v − (1+α)λg" in ja and "θ ← θ + α²v − (1+α)λg" in en  # the contract's formulas


def test_every_kind_of_item_has_words_for_what_it_checks():
    suffixes = {i.id.split(".", 1)[1] if "." in i.id else ("value" if i.kind == "value" else "")
                for ex in catalogue().values() for i in ex.items if i.description is None}
    assert suffixes <= set(CHECKS), suffixes - set(CHECKS)


def _string_constants(path: Path):
    """String literals of a module that are not docstrings (what a program can show someone)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_nothing_a_student_reads_points_at_files_outside_the_repository():
    bad = []
    for folder in ("grader", "exercises", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, text in _string_constants(path):
                if "EXERCISES.md" in text or "INTERFACES.md" in text:
                    bad.append(f"{path.relative_to(ROOT)}:{line}: {text[:80]}")
    for path in [ROOT / "README.md", *sorted((ROOT / "api").rglob("*.html")), *sorted((ROOT / "api").rglob("*.js"))]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "EXERCISES.md" in line or "INTERFACES.md" in line:
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line[:80]}")
    assert not bad, bad
    assert "docs/exercises.md" in README


def test_readme_exercise_table_matches_the_catalogue_and_the_corpus():
    rows = {m[0]: m[1:] for m in re.findall(
        r"^\| `([\w-]+)`(?: \([^)|]*\))? \| ([\d.]+) \| (\d+) \| ([\d.]+) \| (\d+) \| (\d+) \| (\d+) \|$", README, re.M)}
    assert set(rows) == set(catalogue()), "README's exercise table lists every exercise"
    for ex_id, ex in catalogue().items():
        files = sorted(p.name for p in (CORPUS / ex_id).iterdir() if p.suffix in (".py", ".ipynb"))
        counts = tuple(str(sum(1 for f in files if f.startswith(k))) for k in ("correct_", "bug_", "broken_"))
        assert rows[ex_id] == (ex.section, str(len(ex.items)), f"{ex.max_score:g}", *counts), ex_id


def test_readme_example_counts_its_items():
    layers = catalogue()["layers"]
    example = README.split("## Grading one submission", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    shown = len(re.findall(r'^      "id": ', example, re.M))
    match = re.search(r"\((\d+) of the (\d+) items cut here\.\)", README)
    assert match, "the example says how many items it leaves out"
    assert (int(match[1]), int(match[2])) == (len(layers.items) - shown, len(layers.items))
    assert re.search(rf'"max_score": {layers.max_score:.1f},', example)


def test_readme_says_where_the_command_is_after_make_setup():
    """A bare `dlgrade …` only works with the venv activated: the README says so before its first use."""
    first_bare = re.search(r"^(\$ )?dlgrade \w", README, re.M)
    note = README.find("`.venv/bin/dlgrade`")
    assert note != -1 and "make setup" in README[max(0, note - 300):note + 300]
    assert first_bare is None or note < first_bare.start()
