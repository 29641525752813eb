"""Result records (what happened) and their rendering, apart from the grading itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.messages import Msg
from grader.spec import Mistake

STATUSES = ("pass", "fail", "error", "timeout", "missing")

# An item's key, in instructors' views only: whose per-student numbers a wrong answer fits.
VARIANT_MATCH = "variant_match"


def variant_match_dict(matched) -> dict:
    """``{"students": [ids...], "practice": bool}`` from a list of student ids (None: the text's numbers)."""
    return {"students": [s for s in matched if s is not None], "practice": any(s is None for s in matched)}


def variant_match_text(match: dict, lang: str = "en", limit: int = 8) -> str:
    """An instructor's line: whose numbers a wrong answer fits."""
    students = list(match.get("students") or [])
    shown = ", ".join(students[:limit]) + (f" (+{len(students) - limit})" if len(students) > limit else "")
    if lang == "ja":
        parts = ([f"{shown} の数値"] if students else []) + (["テキストの数値(練習用)"] if match.get("practice") else [])
        return "他の数値に対する答えです: " + "、".join(parts)
    parts = ([f"student {shown}" if len(students) == 1 else f"students {shown}"] if students else []) \
        + (["the text's (practice) numbers"] if match.get("practice") else [])
    return "fits the numbers of " + " and ".join(parts)


@dataclass
class ItemResult:
    id: str
    status: str
    score: float
    max_score: float
    feedback: Msg
    hint: Msg
    section: str
    mistake: Mistake | None = None
    grader_error: bool = False
    duration_ms: float = 0.0
    # instructors only: whose per-student numbers a wrong answer fits (None = the text's, practice numbers)
    variant_match: list | None = None

    def to_dict(self, lang: str, instructor: bool = False) -> dict:
        d = {
            "id": self.id,
            "status": self.status,
            "score": round(float(self.score), 4),
            "max_score": float(self.max_score),
            "feedback": self.feedback.get(lang),
            "hint": self.hint.get(lang),
            "section": self.section,
            "mistake": None if self.mistake is None else {"id": self.mistake.id,
                                                          "title": self.mistake.title.get(lang),
                                                          "explanation": self.mistake.explanation.get(lang)},
        }
        if self.grader_error:
            d["grader_error"] = True
        if instructor and self.variant_match:
            d[VARIANT_MATCH] = variant_match_dict(self.variant_match)
        return d


@dataclass
class Report:
    exercise: str
    submission: str
    items: list[ItemResult] = field(default_factory=list)
    notes: list[Msg] = field(default_factory=list)
    duration_ms: float = 0.0
    output: str = ""
    unreadable: Msg | None = None
    # the places that did not parse (grader.loader.SyntaxProblem): a report leads with them
    syntax_errors: list = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(i.score for i in self.items), 4)

    @property
    def max_score(self) -> float:
        return float(sum(i.max_score for i in self.items))

    def to_dict(self, lang: str = "en", instructor: bool = False) -> dict:
        """The report JSON; ``instructor`` adds whose numbers a wrong answer fits (``variant_match``)."""
        return {
            "exercise": self.exercise,
            "submission": self.submission,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "duration_ms": int(round(self.duration_ms)),
            "lang": lang,
            "items": [i.to_dict(lang, instructor) for i in self.items],
            "notes": [n.get(lang) for n in self.notes],
            "output": self.output,
            "syntax_errors": [p.to_dict() for p in self.syntax_errors],
        }

    def to_bilingual(self) -> dict:
        """Both languages at once (what the service stores, with instructors' fields); see :func:`select_lang`."""
        en, ja = self.to_dict("en", instructor=True), self.to_dict("ja")
        out = dict(en)
        out.pop("lang")
        out["notes"] = [{"en": a, "ja": b} for a, b in zip(en["notes"], ja["notes"])]
        out["items"] = []
        for a, b in zip(en["items"], ja["items"]):
            item = dict(a)
            item["feedback"] = {"en": a["feedback"], "ja": b["feedback"]}
            item["hint"] = {"en": a["hint"], "ja": b["hint"]}
            if a["mistake"]:
                item["mistake"] = {"id": a["mistake"]["id"],
                                   "title": {"en": a["mistake"]["title"], "ja": b["mistake"]["title"]},
                                   "explanation": {"en": a["mistake"]["explanation"],
                                                   "ja": b["mistake"]["explanation"]}}
            out["items"].append(item)
        return out


def select_lang(bilingual: dict, lang: str, instructor: bool = False) -> dict:
    """A stored bilingual report rendered in one language (the report JSON of INTERFACES.md).

    Instructors' fields (``variant_match``) are dropped unless ``instructor``."""

    def pick(v):
        return v.get(lang, v.get("en")) if isinstance(v, dict) else v

    out = dict(bilingual)
    out["lang"] = lang
    out["notes"] = [pick(n) for n in bilingual.get("notes", [])]
    items = []
    for it in bilingual.get("items", []):
        item = dict(it)
        item["feedback"] = pick(it.get("feedback"))
        item["hint"] = pick(it.get("hint"))
        if not instructor:
            item.pop(VARIANT_MATCH, None)
        if it.get("mistake"):
            m = it["mistake"]
            item["mistake"] = {"id": m["id"], "title": pick(m.get("title")),
                               "explanation": pick(m.get("explanation"))}
        items.append(item)
    out["items"] = items
    return out
