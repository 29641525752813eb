"""Bilingual text: every message a student reads exists in Japanese and English."""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("ja", "en")


@dataclass(frozen=True)
class Msg:
    en: str
    ja: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en

    def __add__(self, other: "Msg") -> "Msg":
        return Msg(en=f"{self.en} {other.en}".strip(), ja=f"{self.ja}{other.ja}".strip())

    @staticmethod
    def join(parts: list["Msg"]) -> "Msg":
        return Msg(en=" ".join(p.en for p in parts), ja="".join(p.ja for p in parts))


def normalize_lang(lang: str | None, default: str = "ja") -> str:
    """Map ``ja-JP``, ``en_US``, ``Accept-Language`` headers... to ``ja`` or ``en``."""
    if not lang:
        return default
    for part in lang.replace("_", "-").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return default
