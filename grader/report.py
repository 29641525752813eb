"""Result records (what happened) and their rendering, apart from the grading itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.messages import Msg
from grader.spec import Mistake

STATUSES = ("pass", "fail", "error", "timeout", "missing")


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

    def to_dict(self, lang: str) -> dict:
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

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "exercise": self.exercise,
            "submission": self.submission,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "duration_ms": int(round(self.duration_ms)),
            "lang": lang,
            "items": [i.to_dict(lang) for i in self.items],
            "notes": [n.get(lang) for n in self.notes],
            "output": self.output,
            "syntax_errors": [p.to_dict() for p in self.syntax_errors],
        }

    def to_bilingual(self) -> dict:
        """Both languages at once (what the service stores); see :func:`select_lang`."""
        en, ja = self.to_dict("en"), self.to_dict("ja")
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


def select_lang(bilingual: dict, lang: str) -> dict:
    """A stored bilingual report rendered in one language (the report JSON of INTERFACES.md)."""

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
        if it.get("mistake"):
            m = it["mistake"]
            item["mistake"] = {"id": m["id"], "title": pick(m.get("title")),
                               "explanation": pick(m.get("explanation"))}
        items.append(item)
    out["items"] = items
    return out
