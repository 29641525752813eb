"""Bilingual text: every message a student reads exists in Japanese and English."""

from __future__ import annotations

import re
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


def with_section(text: str, section: str, lang: str) -> str:
    """``text`` followed by the section to read, unless the text already cites that section."""
    if not section or f"§{section}" in text:
        return text
    return f"{text}(§{section})" if lang == "ja" else f"{text} (§{section})"


_CELL = re.compile(r"^(?P<file>.*), cell (?P<cell>\d+)$")


def place(filename: str, line: int | None = None) -> Msg:
    """Where something is, in each language: ``a.ipynb, cell 9, line 1`` / ``a.ipynb のセル 9 の 1 行目``.

    Units of a notebook are named ``"<name>, cell N"`` (what tracebacks show); the Japanese text must
    not keep the English words."""
    m = _CELL.match(filename)
    ja_file = f"{m['file']} のセル {m['cell']}" if m else filename
    if line is None:
        return Msg(en=filename, ja=ja_file)
    return Msg(en=f"{filename}, line {line}", ja=f"{ja_file} の {line} 行目")


def normalize_lang(lang: str | None, default: str = "ja") -> str:
    """Map ``ja-JP``, ``en_US``, ``Accept-Language`` headers... to ``ja`` or ``en``."""
    if not lang:
        return default
    for part in lang.replace("_", "-").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return default
