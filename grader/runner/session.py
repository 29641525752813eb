"""The grader's side of one submission's student process: load the units, run batches of ops.

Everything that comes back is *data* (decoded strictly by ``wire.decode``); the
student process never sees an expected value and never computes a verdict.
When the student process dies or overruns, the session records why, and the next
batch transparently starts a fresh process (reloading the submission without the
statements that were dropped the first time).
"""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import socket
import time
from dataclasses import dataclass, field

from grader.runner import wire
from grader.loader import Unit
from grader.messages import Msg, place
from grader.runner.pool import JobConfig

Ref = wire.Ref
Opaque = wire.Opaque


def _mib(n) -> str:
    return f"{int(n) / (1 << 20):g} MiB"


def limit_hint(typ: str, message: str, limits: dict | None) -> Msg | None:
    """When a student exception is a limit of the sandbox (memory, file size, processes...), say which."""
    limits = limits or {}
    m = re.match(r"\[Errno (\d+)\]", message)
    err = int(m.group(1)) if m else None
    if typ == "MemoryError":
        size = f" of {_mib(limits['memory_bytes'])}" if limits.get("memory_bytes") else ""
        return Msg(en=f"Your code reached the memory limit{size} for student code (use smaller arrays).",
                   ja=f"学生コードのメモリ制限{_mib(limits['memory_bytes']) if size else ''}に達しました"
                      "(より小さな配列を使ってください)。")
    if err == errno.EFBIG:
        size = f" of {_mib(limits['file_bytes'])}" if limits.get("file_bytes") else ""
        return Msg(en=f"Your code reached the file-size limit{size}.", ja="ファイルサイズの制限に達しました。")
    if err == errno.ENOSPC:
        return Msg(en="Your code filled its temporary directory (its size is limited).",
                   ja="一時ディレクトリの容量制限に達しました。")
    if err == errno.EMFILE:
        return Msg(en=f"Your code reached the open-files limit ({limits.get('open_files', '?')}).",
                   ja="同時に開けるファイル数の制限に達しました。")
    if err == errno.EAGAIN or (typ == "RuntimeError" and "can't start new thread" in message):
        return Msg(en=f"Your code reached the process/thread limit ({limits.get('processes', '?')}).",
                   ja="プロセス数・スレッド数の制限に達しました。")
    if err == errno.EPERM or (typ == "PermissionError" and err in (None, errno.EACCES)):
        return Msg(en="The grader's sandbox does not allow this (starting programs or processes, network "
                      "access, files outside the temporary directory): grading does not need it.",
                   ja="採点用のサンドボックスではこの操作(プログラムやプロセスの起動、ネットワーク、一時ディレクトリ"
                      "以外のファイル)はできません。採点には不要です。")
    return None


class StudentError(Exception):
    """Student code raised.  ``info``: type, message, frames (student's own lines)."""

    def __init__(self, info: dict, limits: dict | None = None):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info = info
        self.limits = limits

    def describe(self) -> Msg:
        typ, msg = self.info.get("type", "Exception"), self.info.get("message", "")
        frames = self.info.get("frames") or []
        where_en = where_ja = ""
        if frames:
            fname, line, func, text = frames[-1]
            where_en = f" at {fname}, line {line}" + (f" in {func}()" if func != "<module>" else "") + (
                f": `{text.strip()}`" if text else "")
            where_ja = f"({place(str(fname), line).ja}" + (f"、{func}()" if func != "<module>" else "") + ")" + (
                f": `{text.strip()}`" if text else "")
        out = Msg(en=f"Your code raised {typ}: {msg}{where_en}.",
                  ja=f"あなたのコードで {typ} が発生しました: {msg}{where_ja}。")
        hint = limit_hint(str(typ), str(msg), self.limits)
        if hint is not None:
            out = Msg(en=f"{out.en} {hint.en}", ja=f"{out.ja}{hint.ja}")
        return out


class StudentTimeout(Exception):
    def __init__(self, seconds: float, what: str = "item"):
        super().__init__(f"time limit of {seconds:g} s exceeded")
        self.seconds = seconds
        self.what = what


class StudentDied(Exception):
    """The student process ended while working (crash, os._exit, a limit)."""

    def __init__(self, exit_code: int | None, limit: str | None = None, limits: dict | None = None):
        super().__init__(f"student process ended with {exit_code}" + (f" ({limit} limit)" if limit else ""))
        self.exit_code = exit_code
        self.limit = limit  # which limit the monitor saw end the process: memory, cpu, wall
        self.limits = limits or {}

    def describe(self) -> Msg:
        code = self.exit_code
        lim = self.limits
        if self.limit == "memory" or (self.limit == "cpu" or code == -signal.SIGXCPU) or self.limit == "wall":
            if self.limit == "memory":
                size = f" of {_mib(lim['memory_bytes'])}" if lim.get("memory_bytes") else ""
                what = Msg(en=f"the memory limit{size} (it was stopped by the kernel)", ja="メモリ制限")
            elif self.limit == "wall":
                what = Msg(en="the wall-time limit of the process running your code", ja="実行プロセスの経過時間の制限")
            else:
                secs = f" of {lim['cpu_seconds']:g} s" if lim.get("cpu_seconds") else ""
                what = Msg(en=f"the CPU-time limit{secs}", ja=f"CPU 時間の制限{secs.replace(' of ', ' ')}")
            return Msg(en=f"Your code was stopped: it reached {what.en}.",
                       ja=f"あなたのコードは{what.ja}に達したため停止されました。")
        if code is not None and code < 0:
            sig = -code
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            why = {
                "SIGSEGV": Msg(en="a segmentation fault (invalid memory access)", ja="セグメンテーション違反"),
                "SIGXCPU": Msg(en="the CPU-time limit", ja="CPU 時間の制限"),
                "SIGKILL": Msg(en="a kill (memory or process limit)", ja="強制終了(メモリまたはプロセス数の制限)"),
                "SIGXFSZ": Msg(en="the file-size limit", ja="ファイルサイズの制限"),
                "SIGSYS": Msg(en="a system call the grader's sandbox forbids", ja="サンドボックスで禁止されたシステムコール"),
            }.get(name, Msg(en=name, ja=name))
            return Msg(en=f"Your code crashed the process running it: {why.en} ({name}).",
                       ja=f"あなたのコードが実行プロセスを停止させました: {why.ja}({name})。")
        if code is None:
            return Msg(en="Your code broke the communication with the grader (an invalid reply on the "
                          "channel); the item could not be graded.",
                       ja="あなたのコードが採点プログラムとの通信を壊しました(不正な応答)。この項目は採点できません。")
        return Msg(en=f"Your code ended the process running it (exit status {code}, e.g. sys.exit/os._exit).",
                   ja=f"あなたのコードが実行プロセスを終了させました(終了コード {code}。sys.exit や os._exit など)。")


class GraderFault(Exception):
    """Something on the grader's side went wrong (not the student's fault)."""


@dataclass
class LoadNote:
    unit: Unit
    kind: str  # "error" | "timeout" | "crash"
    error: dict | None = None
    seconds: float = 0.0


@dataclass
class Pending:
    """The result of one op of a batch, filled in by :meth:`Batch.run`."""

    ref: Ref
    want: bool
    value: object = None


@dataclass
class Batch:
    session: "Session"
    ops: list[dict] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def _enc(self, value):
        return wire.encode(value, self.blobs)

    def _add(self, op: dict, want: bool) -> Pending:
        slot = self.session.next_slot()
        op["slot"] = slot
        op["ret"] = "value" if want else "none"
        self.ops.append(op)
        p = Pending(ref=Ref(slot, self.session.generation), want=want)
        self.pending.append(p)
        return p

    def name(self, name: str, want: bool = False) -> Pending:
        return self._add({"op": "name", "name": name}, want)

    def attr(self, obj, name: str, want: bool = True) -> Pending:
        return self._add({"op": "attr", "obj": self._enc(_ref(obj)), "name": name}, want)

    def item(self, obj, key, want: bool = True) -> Pending:
        return self._add({"op": "item", "obj": self._enc(_ref(obj)), "key": self._enc(key)}, want)

    def call(self, fn, *args, want: bool = True, **kwargs) -> Pending:
        return self._add({"op": "call", "fn": self._enc(_ref(fn)), "args": [self._enc(_ref(a)) for a in args],
                          "kwargs": {k: self._enc(_ref(v)) for k, v in kwargs.items()}}, want)

    def method(self, obj, name: str, *args, want: bool = True, **kwargs) -> Pending:
        m = self.attr(obj, name, want=False)
        return self.call(m, *args, want=want, **kwargs)

    def new(self, cls_name: str, *args, **kwargs) -> Pending:
        cls = self.name(cls_name)
        return self.call(cls, *args, want=False, **kwargs)

    def const(self, value, want: bool = False) -> Pending:
        """Put a value into the student process (an array that must stay the same object across calls)."""
        return self._add({"op": "const", "value": self._enc(value)}, want)

    def read(self, ref) -> Pending:
        """Read back the current value of an object held in the student process."""
        return self._add({"op": "const", "value": self._enc(_ref(ref))}, True)

    def setitem(self, obj, key, value) -> Pending:
        return self._add({"op": "setitem", "obj": self._enc(_ref(obj)), "key": self._enc(key),
                          "value": self._enc(_ref(value))}, False)

    def assign(self, obj, value) -> Pending:
        """``obj[...] = value``: write into an existing array of the student's (in place)."""
        return self._add({"op": "assign", "obj": self._enc(_ref(obj)), "value": self._enc(_ref(value))}, False)

    def values(self, obj, want: bool = False) -> Pending:
        return self._add({"op": "values", "obj": self._enc(_ref(obj))}, want)

    def keys(self, obj) -> Pending:
        return self._add({"op": "keys", "obj": self._enc(_ref(obj))}, True)

    def same(self, a, b) -> Pending:
        return self._add({"op": "same", "a": self._enc(_ref(a)), "b": self._enc(_ref(b))}, True)

    def describe(self, obj) -> Pending:
        return self._add({"op": "describe", "obj": self._enc(_ref(obj))}, True)

    def run(self, timeout: float | None = None) -> list[Pending]:
        self.session.execute(self, timeout)
        return self.pending


def _ref(x):
    return x.ref if isinstance(x, Pending) else x


STARVED_MAX = 3.0  # an item's wall-time limit grows by its CPU-wait time, up to this many times the limit


def runqueue_wait(*schedstats: str) -> float | None:
    """Seconds the threads of these ``/proc/.../schedstat`` files have spent runnable but waiting for a
    CPU (their second field, in ns); None where one cannot be read."""
    total = 0
    try:
        for path in schedstats:
            with open(path, "rb") as fh:
                total += int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


def _own_runqueue_wait() -> float | None:
    """This grader thread's wait for a CPU."""
    return runqueue_wait("/proc/thread-self/schedstat")


class Budget:
    """A time budget over many round trips (a training loop): ``seconds`` of wall time plus the time the
    student process and this grader thread waited for a CPU, up to STARVED_MAX × ``seconds``.
    ``remaining()`` is what is left now (≤ 0: spent)."""

    def __init__(self, session: "Session", seconds: float):
        self.session, self.seconds = session, seconds
        self.start = time.monotonic()
        self.student0, self.own0 = session._runqueue_wait(), _own_runqueue_wait()
        self.pid = session.pid

    def waited(self) -> float:
        own = _own_runqueue_wait()
        total = max(0.0, own - self.own0) if own is not None and self.own0 is not None else 0.0
        student = self.session._runqueue_wait()
        if student is not None and self.student0 is not None and self.session.pid == self.pid:
            total += max(0.0, student - self.student0)
        return total

    def remaining(self) -> float:
        end = self.start + min(self.seconds * STARVED_MAX, self.seconds + self.waited())
        return end - time.monotonic()


class Session:
    """One submission's student process.  Use as a context manager."""

    def __init__(self, units: list[Unit], starter, config: JobConfig,
                 item_timeout: float = 5.0, load_grace: float = 1.0):
        self.units = units
        self.starter = starter
        self.config = config
        self.item_timeout = item_timeout
        self.load_grace = load_grace
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.generation = 0
        self.slot_counter = 0
        self.dropped: set[int] = set()
        self.notes: list[LoadNote] = []
        self.output: list[str] = []
        self.first_load_done = False
        self.exit_code: int | None = None
        self.exit_limit: str | None = None
        self.restarts = 0
        self.clear_pending = False
        self.memo: dict = {}  # facts about the submission a check may reuse (e.g. a method's signature)
        self.lookup_names: list[str] = []  # described in the load reply (saves a round trip)
        self.names: dict | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_slot(self) -> int:
        self.slot_counter += 1
        return self.slot_counter

    def close(self) -> None:
        if self.sock is not None:
            try:
                wire.send_msg(self.sock, {"cmd": "exit"})
            except OSError:
                pass
            self.kill()
            self.sock.close()
            self.sock = None

    def kill(self) -> None:
        if self.pid:
            for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    target()
                except (ProcessLookupError, PermissionError):
                    pass
            self.pid = None

    def _recv(self, deadline: float | None) -> tuple[dict, list[bytes]]:
        assert self.sock is not None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise TimeoutError
        self.sock.settimeout(max(0.5, (deadline - time.monotonic()) if deadline else 30.0))
        try:
            header, blobs = wire.recv_msg(self.sock)
        except socket.timeout:
            raise TimeoutError from None
        finally:
            if self.sock is not None:
                self.sock.settimeout(None)
        if "exit" in header and set(header) <= {"exit", "limit"}:  # the monitor's report
            self.exit_code = header["exit"]
            self.exit_limit = header.get("limit") if isinstance(header.get("limit"), str) else None
            raise EOFError("student process ended")
        return header, blobs

    def _await_exit_code(self) -> int | None:
        """After an EOF-like failure: read the monitor's report of how the process ended."""
        if self.exit_code is not None:
            return self.exit_code
        deadline = time.monotonic() + 1.0
        try:
            while True:
                self._recv(deadline)
        except (EOFError, TimeoutError, OSError, wire.ProtocolError):
            pass
        return self.exit_code

    def _discard(self) -> None:
        self.kill()
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.generation += 1

    def start(self) -> None:
        """Start a process and load the submission (dropping failing statements)."""
        while True:
            self.exit_code = self.exit_limit = None
            self.sock = self.starter.spawn(self.config)
            try:
                header, _ = self._recv(time.monotonic() + getattr(self.starter, "start_seconds", 10.0))
                if "sandbox_error" in header:  # an isolation layer failed: the job must not run
                    self._discard()
                    raise GraderFault(f"the sandbox could not be set up: {str(header['sandbox_error'])[:500]}")
                self.pid = int(header["pid"])
            except (EOFError, TimeoutError, OSError, KeyError, ValueError, wire.ProtocolError) as exc:
                self._discard()
                raise GraderFault(f"could not start a student process: {exc!r}") from None
            units = [(i, u) for i, u in enumerate(self.units) if i not in self.dropped]
            try:
                wire.send_msg(self.sock, {"cmd": "load", "units": [u.to_wire() for _, u in units],
                                          "lookup": self.lookup_names,
                                          "budget": self.config.budget})
            except OSError:
                pass  # the process is already gone: its last words (a sandbox error, the exit) are read below
            budget = self.config.budget + self.load_grace
            deadline = time.monotonic() + budget
            current = None
            try:
                while True:
                    header, _ = self._recv(deadline)
                    if "progress" in header:
                        current = units[int(header["progress"])][0]
                        deadline = time.monotonic() + budget
                        continue
                    if "loaded" in header:
                        self._record_load(units, header["loaded"])
                        names = header.get("names")
                        self.names = names if isinstance(names, dict) else None
                        self._collect_output(header)
                        return
                    if "sandbox_error" in header and current is None:
                        self._discard()
                        raise GraderFault(f"the sandbox could not be set up: {str(header['sandbox_error'])[:500]}")
            except TimeoutError:
                self._drop(current, "timeout")
            except (EOFError, OSError, wire.ProtocolError, KeyError, ValueError, IndexError, TypeError):
                code = self._await_exit_code()
                self._drop(current, "crash", {"exit": code, "limit": self.exit_limit})
            self._discard()
            if current is None:
                raise GraderFault("the student process failed before loading the submission")

    def _drop(self, index: int | None, kind: str, error: dict | None = None) -> None:
        if index is None or index in self.dropped:
            return
        self.dropped.add(index)
        if not self.first_load_done:
            self.notes.append(LoadNote(self.units[index], kind, error))

    def _record_load(self, units, results) -> None:
        for (index, unit), res in zip(units, results):
            if not res.get("ok"):
                self.dropped.add(index)
                if not self.first_load_done:
                    self.notes.append(LoadNote(unit, res.get("kind", "error"), res.get("error"),
                                               float(res.get("seconds", 0))))
        self.first_load_done = True
        self.notes.sort(key=lambda n: self.units.index(n.unit))

    def _collect_output(self, header: dict) -> None:
        out = header.get("output")
        if isinstance(out, str) and out and sum(map(len, self.output)) < 50_000:
            cap = self.config.output_cap
            if len(out) > cap:  # keep the note that says the output size limit was hit
                out = out[:cap] + "\n[... output cut: output size limit]"
            self.output.append(out)

    # ------------------------------------------------------------------ batches
    def batch(self) -> Batch:
        if self.sock is None:
            self.start()
        return Batch(self)

    def _runqueue_wait(self) -> float | None:
        """Seconds the student process's threads have spent runnable but waiting for a CPU
        (``/proc/<pid>/task/*/schedstat``, second field), or None where that cannot be read."""
        if not self.pid:
            return None
        try:
            tasks = [f"{task.path}/schedstat" for task in os.scandir(f"/proc/{self.pid}/task")]
        except OSError:
            return None
        return runqueue_wait(*tasks)

    def _await_reply(self, start: float, timeout: float, waited0: float | None) -> None:
        """Wait until the reply starts to arrive. The time limit counts the time the student process
        could run: time it spent waiting for a CPU on a busy machine (other gradings, a class at the
        deadline) is added to its deadline, up to STARVED_MAX × the limit in wall time. An endless loop
        still ends at its limit on a quiet machine, and a sleeping process is not waiting for a CPU."""
        deadline, hard = start + timeout, start + timeout * STARVED_MAX
        while True:
            remaining = deadline - time.monotonic()
            if remaining > 0 and select.select([self.sock], [], [], remaining)[0]:
                return
            waited = self._runqueue_wait()
            if waited0 is None or waited is None:
                raise TimeoutError
            extended = min(hard, start + timeout + (waited - waited0))
            if extended <= time.monotonic() + 0.01:
                raise TimeoutError
            deadline = extended

    def reset_slots(self) -> None:
        """Called between items: the next batch first forgets the previous item's objects."""
        self.clear_pending = True

    def execute(self, batch: Batch, timeout: float | None = None) -> None:
        if self.sock is None:
            self.start()
        for p in batch.pending:
            if p.ref.generation != self.generation:
                raise GraderFault("stale reference after a student process restart")
        timeout = timeout or self.item_timeout
        waited0 = self._runqueue_wait()
        start = time.monotonic()
        wire.send_msg(self.sock, {"cmd": "batch", "ops": batch.ops, "clear": self.clear_pending}, batch.blobs)
        self.clear_pending = False
        try:
            self._await_reply(start, timeout, waited0)
            header, blobs = self._recv(time.monotonic() + max(timeout, 5.0))
        except TimeoutError:
            self._discard()
            raise StudentTimeout(timeout) from None
        except (EOFError, OSError, wire.ProtocolError):
            code = self._await_exit_code()
            self._discard()
            self.restarts += 1
            raise StudentDied(code, self.exit_limit, self.config.limits) from None
        self._collect_output(header)
        try:
            results = header["results"]
            wanted = [p for p in batch.pending]
            for p, node in zip(wanted, results):
                if p.want and node is not None:
                    if isinstance(node, dict) and node.get("t") == "unencodable":
                        p.value = Opaque(node.get("type", "object"))
                    else:
                        p.value = wire.decode(node, blobs)
        except (KeyError, TypeError, wire.ProtocolError, ValueError, IndexError) as exc:
            self._discard()
            raise StudentDied(None) from exc
        err = header.get("error")
        if err:
            raise StudentError(err if isinstance(err, dict) else {"type": "Error", "message": str(err)},
                               self.config.limits)

    # ------------------------------------------------------------------ shortcuts
    def call(self, fn_name: str, *args, **kwargs):
        """Call a student function once and return its (decoded) result."""
        b = self.batch()
        p = b.call(b.name(fn_name), *args, **kwargs)
        b.run()
        return p.value
