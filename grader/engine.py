"""Grade one submission against one exercise: the only place verdicts are made."""

from __future__ import annotations

import logging
import os
import re
import time
import zlib
import numpy as np

from grader.compare import Fail
from grader.context import ItemContext
from grader.loader import LoadedSubmission, UnreadableSubmission, load_submission
from grader.messages import Msg, place
from grader.options import GradeOptions
from grader.extras import missing, unavailable_message
from grader.runner.pool import default_starter, with_preload
from grader.report import ItemResult, Report
from grader.runner.session import GraderFault, LoadNote, Session, StudentError, StudentTimeout, StudentDied
from grader.spec import SHARED_MISTAKES, Exercise, Item

log = logging.getLogger("dlgrade.engine")

PASS_MSG = Msg(en="Correct.", ja="正解です。")


def load_note_msg(note: LoadNote) -> Msg:
    u = note.unit
    where = place(u.filename, u.lineno)
    where_en, where_ja = where.en, where.ja
    first = u.source.strip().split("\n")[0][:60]
    if note.kind == "timeout":
        return Msg(en=f"{where_en} (`{first}`) ran longer than its time budget and was dropped.",
                   ja=f"{where_ja}(`{first}`)は実行時間の上限を超えたため読み飛ばしました。")
    if note.kind == "crash":
        return Msg(en=f"{where_en} (`{first}`) crashed the process running it and was dropped.",
                   ja=f"{where_ja}(`{first}`)は実行プロセスを停止させたため読み飛ばしました。")
    err = note.error or {}
    typ, msg = err.get("type", "Error"), str(err.get("message", ""))[:200]
    return Msg(en=f"{where_en} (`{first}`) raised {typ}: {msg} — dropped, the rest was loaded.",
               ja=f"{where_ja}(`{first}`)で {typ} が発生したため読み飛ばしました: {msg}")


def missing_msg(name: str, syntax_errors: list) -> Msg:
    """A name the submission does not define; when lines did not parse, that is the likely reason."""
    if syntax_errors:
        first = next((p for p in syntax_errors if name in p.names), syntax_errors[0])
        where = place(first.file if first.cell is None else f"{first.file}, cell {first.cell}", first.line)
        if name in first.names:
            return Msg(en=f"`{name}` is not defined: its definition is in the lines that did not parse "
                          f"(SyntaxError at {where.en}). Fix the syntax error first.",
                       ja=f"`{name}` が定義されていません。定義が構文エラーで読み込めなかった行({where.ja})に"
                          "あります。まず構文エラーを直してください。")
        return Msg(en=f"`{name}` is not defined: its definition is probably in the lines that did not parse "
                      f"(SyntaxError at {where.en}). Fix the syntax error first.",
                   ja=f"`{name}` が定義されていません。構文エラーで読み込めなかった行({where.ja})に定義が"
                      "あると思われます。まず構文エラーを直してください。")
    return Msg(en=f"`{name}` is not defined in your submission (names are case-sensitive).",
               ja=f"`{name}` が提出物に定義されていません(名前の大文字・小文字も区別されます)。")


def _result(item: Item, status: str, feedback: Msg, score: float = 0.0, **kw) -> ItemResult:
    return ItemResult(id=item.id, status=status, score=score, max_score=float(item.points),
                      feedback=feedback, hint=item.hint, section=item.section, **kw)


def grade_source(exercise: Exercise, data: bytes, filename: str, options: GradeOptions | None = None,
                 starter=None) -> Report:
    """Grade ``data`` (the bytes of a .py or .ipynb) against ``exercise``."""
    options = options or GradeOptions()
    t0 = time.perf_counter()
    report = Report(exercise=exercise.id, submission=filename)
    try:
        loaded = load_submission(data, filename)
    except UnreadableSubmission as exc:
        report.unreadable = exc.msg
        report.syntax_errors = list(exc.syntax_errors)
        report.items = [_result(i, "error", exc.msg) for i in exercise.items]
        report.notes.append(exc.msg)
        report.duration_ms = (time.perf_counter() - t0) * 1000
        return report
    report.notes += loaded.notes
    report.syntax_errors = list(loaded.syntax_errors)
    grade_loaded(exercise, loaded, report, options, starter or default_starter())
    report.duration_ms = (time.perf_counter() - t0) * 1000
    return report


def _check_kind(item: Item, info: dict) -> Msg | None:
    kind = info.get("kind")
    if item.kind in ("function", "class") and kind == "value":
        return Msg(en=f"`{item.name}` should be a {item.kind}, but it is a {info.get('type', 'value')}.",
                   ja=f"`{item.name}` は{'関数' if item.kind == 'function' else 'クラス'}であるべきですが、"
                      f"{info.get('type', '値')} になっています。")
    return None


def grade_loaded(exercise: Exercise, loaded: LoadedSubmission, report: Report, options: GradeOptions,
                 starter) -> None:
    seed = options.seed if options.seed is not None else int.from_bytes(os.urandom(8), "little") >> 1
    absent = missing(exercise.requires)
    if absent:  # e.g. PyTorch not installed: one clear sentence, and no student process at all
        msg = unavailable_message(absent)
        report.items = [_result(i, "error", msg, grader_error=True) for i in exercise.items]
        return
    starter = with_preload(starter, exercise.requires)  # a zygote that has imported them (started on first use)
    deadline = time.monotonic() + options.submission_timeout
    with Session(loaded.units, starter, options.job_config()) as session:
        session.lookup_names = exercise.names
        try:
            session.start()
            names = session.names
            if names is None:  # not answered with the load: ask on its own
                b = session.batch()
                p = b._add({"op": "lookup", "names": exercise.names}, True)
                b.run()
                names = p.value if isinstance(p.value, dict) else {}
        except (StudentError, StudentTimeout, StudentDied, GraderFault) as exc:
            log.warning("lookup failed: %r", exc)
            fault = Msg(en="The grader could not start your submission.",
                        ja="提出物を実行できませんでした。")
            report.items = [_result(i, "error", fault, grader_error=True) for i in exercise.items]
            return
        report.notes += [load_note_msg(n) for n in session.notes]
        variant = _variant_of(exercise, options)
        answers = None
        if variant is not None and options.variants is not None and options.student is not None:
            answers = _Answers(exercise, {n for n, info in names.items()
                                          if isinstance(info, dict) and info.get("kind") not in (None, "missing")})
        for item in exercise.items:
            info = names.get(item.name, {"kind": "missing"}) if isinstance(names.get(item.name), dict) \
                else {"kind": "missing"}
            if info.get("kind") == "missing":
                report.items.append(_result(item, "missing", missing_msg(item.name, report.syntax_errors)))
                continue
            kind_problem = _check_kind(item, info)
            if kind_problem is not None:
                report.items.append(_result(item, "error", kind_problem))
                continue
            if time.monotonic() > deadline:
                report.items.append(_result(item, "timeout", Msg(
                    en=f"Not graded: the whole submission exceeded its time limit of {options.submission_timeout:g} s.",
                    ja=f"提出物全体の実行時間の上限 {options.submission_timeout:g} 秒を超えたため採点できませんでした。")))
                continue
            report.items.append(run_item(exercise, item, session, seed, options, variant, answers))
            if options.stop_at_first_loss and report.items[-1].score < report.items[-1].max_score:
                break
        report.output = "".join(session.output)[:options.output_cap]


def _variant_of(exercise: Exercise, options: GradeOptions) -> dict | None:
    """The numbers this submission is graded with: the student's own, or the text's (practice)."""
    if exercise.variants is None:
        return None
    from grader import variants

    if options.student is not None and options.variants is not None:
        return options.variants.params(exercise, options.student)
    return variants.practice(exercise)


class _Answers:
    """The student's value items of a variant exercise, fetched in one round trip at the first wrong one."""

    def __init__(self, exercise: Exercise, defined):
        self.names = [i.name for i in exercise.items if i.kind == "value" and i.name in defined]
        self.values: dict | None = None

    def get(self, session: Session, name: str):
        if self.values is None:
            b = session.batch()
            pending = {n: b.name(n, want=True) for n in dict.fromkeys(self.names)}
            b.run()
            self.values = {n: p.value for n, p in pending.items()}
        return self.values.get(name)


def _whose(exercise: Exercise, item: Item, session: Session, options: GradeOptions, answers: _Answers | None) -> list:
    """After a failed value item of a variant exercise graded for a student: whose numbers the answer fits."""
    if answers is None or options.student is None or options.variants is None or item.kind != "value":
        return []
    try:
        return options.variants.whose(exercise, item.id, answers.get(session, item.name), options.student)
    except Exception:  # noqa: BLE001 - the item already has its verdict; a failed lookup changes nothing
        log.debug("variant match of %s/%s failed", exercise.id, item.id, exc_info=True)
        return []


_SCALAR_ONLY = re.compile(r"only (0-dimensional|length-1|size-1) arrays can be converted to Python scalars")
_MATH_CALL = re.compile(r"\bmath\.\w+\s*\(")
_NP_MAX_OF_0 = re.compile(r"\bnp\.(max|amax|min|amin)\s*\(\s*0(\.0*)?\s*,")


def error_mistake(info: dict):
    """The catalogued mistake an error of the student's code shows by itself: the exception and the
    student's line it was raised on (the last frame), e.g. math.exp given an array.  None otherwise."""
    line = str(info.get("line") or "")
    typ, msg = str(info.get("type", "")), str(info.get("message", ""))
    if _MATH_CALL.search(line) and ((typ == "TypeError" and _SCALAR_ONLY.search(msg))
                                    or (typ == "OverflowError" and msg == "math range error")):
        return SHARED_MISTAKES.get("math-function-on-array")
    if typ == "TypeError" and _NP_MAX_OF_0.search(line):
        return SHARED_MISTAKES.get("np-max-not-maximum")
    return None


def run_item(exercise: Exercise, item: Item, session: Session, seed: int, options: GradeOptions,
             variant: dict | None = None, answers: _Answers | None = None) -> ItemResult:
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, zlib.crc32(item.id.encode())])
    timeout = item.timeout * options.item_timeout_scale
    session.item_timeout = timeout
    try:
        session.reset_slots()
        ctx = ItemContext(session, exercise, item, rng, variant, own_numbers=answers is not None)
        outcome = item.check(ctx)
        res = _result(item, "pass", outcome if isinstance(outcome, Msg) else PASS_MSG, score=float(item.points))
    except Fail as f:
        # a recognised mistake is said first, in words; the numbers follow as evidence
        msg = f.mistake.explanation + f.msg if f.mistake is not None else f.msg
        matched = _whose(exercise, item, session, options, answers) if variant is not None else []
        if matched:  # someone else's numbers: a neutral word for the student, whose they are for the instructor
            from grader.variants import match_message

            res = _result(item, "fail", match_message(exercise), variant_match=matched)
        else:
            res = _result(item, "fail", msg, score=round(f.score * item.points, 4), mistake=f.mistake)
    except StudentError as e:
        # a check may diagnose the error it let through: ``e.mistake`` (verified by a second experiment) and
        # ``e.note`` (what that experiment showed); the item stays an error
        mistake = getattr(e, "mistake", None) or error_mistake(e.info)
        msg = e.describe() + e.note if getattr(e, "note", None) is not None else e.describe()
        signature = exercise.signatures.get(item.name)
        if e.info.get("type") == "TypeError" and signature:
            if item.kind == "class":
                msg = msg + Msg(en=f"The exercise asks for `{signature}` (arguments are passed by keyword "
                                   "to constructors).",
                                ja=f"課題の指定は `{signature}` です(コンストラクタの引数はキーワードで渡されます)。")
            else:
                msg = msg + Msg(en=f"The exercise asks for `{signature}`.", ja=f"課題の指定は `{signature}` です。")
        if mistake is not None:
            msg = mistake.explanation + msg
        res = _result(item, "error", msg, mistake=mistake)
    except StudentTimeout as e:
        res = _result(item, "timeout", Msg(
            en=f"Your code did not finish within the time limit of {e.seconds:g} s for this item "
               "(an endless loop, or much slower than needed).",
            ja=f"この項目の制限時間 {e.seconds:g} 秒以内に終わりませんでした(無限ループ、または処理が遅すぎます)。"))
    except StudentDied as e:
        res = _result(item, "error", e.describe())
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not cost the other items
        log.exception("grader error in %s/%s", exercise.id, item.id)
        res = _result(item, "error", Msg(
            en=f"The grader itself failed on this item ({type(exc).__name__}); this is not your fault — "
               "please tell the instructor.",
            ja=f"採点プログラム側のエラーです({type(exc).__name__})。あなたの誤りではありません。教員に連絡してください。"),
            grader_error=True)
    res.duration_ms = (time.perf_counter() - t0) * 1000
    return res
