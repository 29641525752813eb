"""The HTML of similarity: the page of ``dlgrade similarity --report`` and the section of the class report.

Wording: pairs are *similar*, with their evidence; nothing here says who copied (README, "Similarity").
"""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone

import numpy as np
from jinja2 import Environment
from markupsafe import Markup, escape
from matplotlib.figure import Figure

from grader.classroom.similarity import SimilarityResult, pair_detail

T = {
    "en": {
        "title": "Similar submissions", "students": "submissions compared", "pairs": "pairs compared",
        "flagged": "pairs at or above the threshold", "threshold": "threshold", "median_nn": "median closest match",
        "boilerplate": "boilerplate subtracted", "none": "none", "rank": "#", "a": "student A", "b": "student B",
        "sim": "similarity", "lines": "matched lines", "wrong": "same wrong answers", "variant": "answers another's variant",
        "defs": "shared definitions", "not_graded": "not compared (run without grading)",
        "hist": "Similarity across the class",
        "intro": "Each number is the share of the smaller submission's own code (weighted: graded definitions count "
                 "fully, helpers less, prints and plots hardly) that also appears in the other, after renaming, "
                 "reordering, comments and blank lines are set aside and the boilerplate is removed. Code that many "
                 "students of this class wrote alike counts little. A high similarity says two submissions share "
                 "unusually much; it does not say who wrote it, nor that anyone copied: students who worked "
                 "together as allowed, or started from the same source, look alike too. Read the code side by side.",
        "wrong_intro": "Same wrong answers: items both fail with exactly the same wrong value (everyone was graded "
                       "on the same inputs); typical mistakes the grader names, and wrong values more than {cutoff} "
                       "students share, are not counted.",
        "shared_by": "students gave this answer", "side": "Side by side", "top": "Most similar pairs",
        "matched": "highlighted: shared code", "nothing": "No pair shares anything distinctive.",
        "generated": "generated", "more": "more pairs in pairs.csv",
    },
    "ja": {
        "title": "類似した提出物", "students": "比較した提出物", "pairs": "比較したペア数",
        "flagged": "しきい値以上のペア", "threshold": "しきい値", "median_nn": "最も近い相手との類似度(中央値)",
        "boilerplate": "除外した共通コード", "none": "なし", "rank": "#", "a": "学生 A", "b": "学生 B",
        "sim": "類似度", "lines": "一致した行数", "wrong": "同じ誤答", "variant": "他の学生の問題への解答",
        "defs": "共通する定義", "not_graded": "比較していません(採点なしで実行)",
        "hist": "クラス全体の類似度の分布",
        "intro": "数値は、小さい方の提出物の独自のコード(採点対象の定義は全体、補助関数は少なめ、print やグラフは"
                 "ほとんど数えない重み付き)のうち、もう一方にも現れる割合です。変数名の変更・並べ替え・コメント・空行は"
                 "無視し、共通コード(教科書のコードなど)は除いています。クラスの多くの学生が同じように書いたコードは"
                 "ほとんど数えません。類似度が高いことは、2 つの提出物が異例に多くを共有していることを示すだけで、"
                 "誰が書いたか、写したかどうかは示しません。許可された共同作業や同じ資料からの出発でも似ます。"
                 "コードを並べて確認してください。",
        "wrong_intro": "同じ誤答: 両者が同じ項目で、まったく同じ誤った値を返したもの(全員同じ入力で採点)。"
                       "採点プログラムが名前を付ける典型的な誤りと、{cutoff} 人を超える学生に共通する誤答は数えません。",
        "shared_by": "人がこの解答", "side": "並べて表示", "top": "類似度の高いペア",
        "matched": "色付き: 共通するコード", "nothing": "特徴的なコードを共有するペアはありません。",
        "generated": "作成", "more": "残りのペアは pairs.csv に",
    },
}


def png_data_uri(fig: Figure) -> str:
    """The chart as an embedded PNG (as the class report's; not imported from it: it imports this module)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def chart_similarity(result: SimilarityResult) -> str:
    """Two histograms: every pair's similarity (log scale), and each student's closest match."""
    fig = Figure(figsize=(9, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    bins = np.linspace(0, 1, 41)
    sims = np.asarray(result.nonzero, dtype=float)
    zeros = result.pair_count - len(sims)
    counts, _ = np.histogram(sims, bins=bins)
    counts[0] += max(zeros, 0)
    ax1.bar(bins[:-1], counts, width=bins[1] - bins[0], align="edge", color="#0969da", edgecolor="white")
    ax1.set_yscale("log")
    ax1.set_xlabel("similarity of a pair")
    ax1.set_ylabel("pairs (log scale)")
    ax1.set_title(f"All {result.pair_count} pairs")
    ax2.hist(result.nearest, bins=bins, color="#8250df", edgecolor="white")
    ax2.set_xlabel("similarity to the closest other submission")
    ax2.set_ylabel("students")
    ax2.set_title(f"Each of {len(result.docs)} students' closest match")
    for ax in (ax1, ax2):
        ax.axvline(result.threshold, color="#cf222e", linestyle="--", linewidth=1.2,
                   label=f"threshold {result.threshold:g}")
        ax.set_xlim(0, 1.0)
        ax.spines[["top", "right"]].set_visible(False)
    ax1.legend(frameon=False, loc="upper right")
    fig.tight_layout()
    return png_data_uri(fig)


def _code(doc, lines: set[int]) -> Markup:
    out = []
    for i, text in enumerate(doc.view, start=1):
        cls = ' class="m"' if i in lines else (' class="h"' if text.startswith("# ── ") else "")
        out.append(f'<span{cls}><i>{i}</i>{escape(text) or " "}</span>')
    return Markup("".join(out))


def rows(result: SimilarityResult, lang: str, top: int, side_by_side: int) -> list[dict]:
    out = []
    for rank, p in enumerate(result.pairs[:top], start=1):
        da, db = result.docs[p.a], result.docs[p.b]
        row = {"rank": rank, "a": da.student, "b": db.student, "sim": f"{p.similarity:.2f}",
               "pct": round(p.similarity * 100), "lines": p.matched_lines,
               "wrong": [{"item": w.item, "feedback": w.feedback, "shared_by": w.shared_by} for w in p.same_wrong],
               "variant": p.other_variant, "count": p.evidence_count, "flag": p.similarity >= result.threshold, "detail": None}
        if rank <= side_by_side:
            d = pair_detail(result, p)
            row["detail"] = {"files_a": ", ".join(da.files), "files_b": ", ".join(db.files),
                             "code_a": _code(da, d["lines_a"]), "code_b": _code(db, d["lines_b"])}
            row["defs"] = ", ".join(dict.fromkeys(d["units_a"]))
        else:
            row["defs"] = ""
        out.append(row)
    return out


_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

STYLE = """<style>
.sim table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}
.sim th,.sim td{border-bottom:1px solid #d0d7de;padding:.3em .45em;text-align:left;vertical-align:top}
.sim th{background:#f6f8fa}.sim td.num{text-align:right;white-space:nowrap}
.sim .flag{font-weight:700}.sim .muted{color:#57606a}.sim img{max-width:100%;display:block;margin:.6em 0}
.sim .pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6em;margin:.4em 0 1.2em}
.sim pre{margin:0;font-size:.78em;line-height:1.35;overflow:auto;max-height:34em;border:1px solid #d0d7de;
border-radius:6px;padding:.3em 0;background:#fff}
.sim pre span{display:block;padding:0 .5em;white-space:pre}.sim pre span.m{background:#fff1b8}
.sim pre span.h{color:#57606a;background:#f6f8fa}.sim pre i{display:inline-block;width:3em;color:#8c959f;
font-style:normal;user-select:none}.sim .bar{background:#eaeef2;border-radius:3px;height:.7em;width:5em;
display:inline-block}.sim .bar span{display:block;height:100%;background:#bf8700;border-radius:3px}
.sim .wrong{font-size:.85em}.sim summary{cursor:pointer}
</style>"""

SECTION = _env.from_string("""<div class="sim">
<p>{{ t.intro }}</p>
<p class="muted">{{ t.threshold }} {{ threshold }} · {{ t.boilerplate }}: {{ boilerplate or t.none }} ·
{{ t.median_nn }} {{ median_nn }}</p>
<img alt="{{ t.hist }}" src="{{ hist }}">
<h3>{{ t.top }}</h3>
{% if rows %}
<table><thead><tr><th>{{ t.rank }}</th><th>{{ t.a }}</th><th>{{ t.b }}</th><th>{{ t.sim }}</th>
<th class="num">{{ t.lines }}</th><th>{{ t.wrong }}</th><th>{{ t.defs }}</th></tr></thead><tbody>
{% for r in rows %}<tr{% if r.flag %} class="flag"{% endif %}><td>{{ r.rank }}</td><td>{{ r.a }}</td><td>{{ r.b }}</td>
<td><span class="bar"><span style="width:{{ r.pct }}%"></span></span> {{ r.sim }}</td><td class="num">{{ r.lines }}</td>
<td class="wrong">{% if not graded %}<span class="muted">{{ t.not_graded }}</span>{% else %}{{ r.count }}
{% for w in r.wrong %}<div><code>{{ w.item }}</code> {{ w.feedback }} <span class="muted">({{ w.shared_by }} {{ t.shared_by }})</span></div>{% endfor %}
{% for item, other in r.variant %}<div><b>{{ t.variant }}</b>: <code>{{ item }}</code> → {{ other }}</div>{% endfor %}{% endif %}</td>
<td class="wrong">{{ r.defs }}</td></tr>
{% endfor %}</tbody></table>
{% if more %}<p class="muted">{{ more }} {{ t.more }}</p>{% endif %}
{% if graded %}<p class="muted">{{ t.wrong_intro }}</p>{% endif %}
<h3>{{ t.side }} <span class="muted">({{ t.matched }})</span></h3>
{% for r in rows if r.detail %}
<details{% if loop.first %} open{% endif %}><summary>#{{ r.rank }} {{ r.a }} — {{ r.b }}: {{ t.sim }} {{ r.sim }},
{{ t.lines }} {{ r.lines }}{% if graded %}, {{ t.wrong }} {{ r.count }}{% endif %}</summary>
<div class="pair"><div><b>{{ r.a }}</b> <span class="muted">{{ r.detail.files_a }}</span><pre>{{ r.detail.code_a }}</pre></div>
<div><b>{{ r.b }}</b> <span class="muted">{{ r.detail.files_b }}</span><pre>{{ r.detail.code_b }}</pre></div></div>
</details>
{% endfor %}
{% else %}<p class="muted">{{ t.nothing }}</p>{% endif %}
</div>""")

PAGE = _env.from_string("""<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }} — {{ exercise_id }}</title>
<style>body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:1300px;
margin:1.5em auto;padding:0 1em;color:#1f2328;line-height:1.5}.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:.5em .9em;min-width:7.5em}.card .v{font-size:1.5em;font-weight:700}
.card .k{color:#57606a;font-size:.85em}.sub{color:#57606a;margin-top:0}</style>
{{ style }}
</head><body>
<h1>{{ t.title }} — {{ exercise_id }}</h1>
<p class="sub">{{ t.generated }} {{ generated }}</p>
<div class="cards">{% for k, v in cards %}<div class="card"><div class="v">{{ v }}</div><div class="k">{{ k }}</div></div>{% endfor %}</div>
{{ section }}
</body></html>
""")


def render_section(result: SimilarityResult, lang: str = "en", top: int = 20, side_by_side: int = 5) -> Markup:
    """The similarity part (also the class report's section): histogram, top pairs, side by side."""
    t = dict(T["ja" if lang == "ja" else "en"])
    t["wrong_intro"] = t["wrong_intro"].format(cutoff=result.cutoff)
    r = rows(result, lang, top, side_by_side)
    more = max(0, len(result.pairs) - top)
    return Markup(SECTION.render(
        t=t, threshold=f"{result.threshold:g}", boilerplate=", ".join(result.boilerplate),
        median_nn=f"{float(np.median(result.nearest)):.2f}" if len(result.nearest) else "–",
        hist=chart_similarity(result), rows=r, graded=result.graded, more=more))


def render_page(result: SimilarityResult, lang: str = "en", top: int = 20, side_by_side: int = 10,
                now: datetime | None = None) -> str:
    t = T["ja" if lang == "ja" else "en"]
    cards = [(t["students"], len(result.docs)), (t["pairs"], result.pair_count),
             (t["flagged"], len(result.flagged())), (t["threshold"], f"{result.threshold:g}")]
    return PAGE.render(t=t, lang=lang, exercise_id=result.exercise_id, cards=cards, style=Markup(STYLE),
                       generated=(now or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds"),
                       section=render_section(result, lang, top, side_by_side))


def write_page(result: SimilarityResult, path, lang: str = "en", top: int = 20) -> None:
    from grader.classroom.batch import _write_text

    _write_text(path, render_page(result, lang, top))


__all__ = ["render_page", "render_section", "write_page", "chart_similarity", "STYLE"]
