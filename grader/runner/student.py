"""The student-side worker: loads a submission and executes the grader's operations.

This file is run as a *script* (``python -I -S student.py zygote|serve``) so that
the worker never imports the ``grader``, ``reference`` or ``exercises`` packages:
it depends on the standard library and NumPy only.  The grader process imports it
as a module for the wire format (``send_msg`` / ``recv_msg`` / the value codec),
which therefore lives in one place.

Wire format: a message is ``u32 header length | header JSON | u32 blob count |
(u64 length | bytes)*``.  Arrays travel as ``.npy`` bytes written and read with
``allow_pickle=False``; everything else is JSON.  Nothing is ever pickled.

Process model (see ``grader.runner.pool``)::

    grader ──control socket──> zygote (numpy imported, no secrets)
                                  └─fork─> monitor ──fork─> student process
    grader <──────────job socket (passed over SCM_RIGHTS)───────┘

The monitor waits for the student process and reports how it ended on the job
socket, so the grader can tell a segfault from ``os._exit`` from its own kill.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import struct
import sys
import time

if __name__ == "__main__" and len(sys.argv) > 3:  # run as a script: NumPy's site dir is argv[3]
    sys.path.append(sys.argv[3])

import numpy as np  # noqa: E402

if __name__ == "__main__":  # in the zygote, once: not in every forked job, where the filesystem view
    import inspect  # noqa: E402,F401  (and the job's uid) may not reach the interpreter's files,
    import traceback  # noqa: E402,F401  and where each import would cost milliseconds again
    import numpy.random  # noqa: E402,F401  (≈ 13 ms: NumPy 2 loads it lazily)

MAX_MESSAGE = 256 * 1024 * 1024
MAX_DEPTH = 8
MAX_ITEMS = 100_000
MAX_STR = 2000
FORBIDDEN_PACKAGES = ("grader", "reference", "exercises", "api")


class ProtocolError(Exception):
    """A message that does not follow the wire format (a broken or lying peer)."""


# --------------------------------------------------------------------------- framing

def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        buf += chunk
    return bytes(buf)


def send_msg(sock: socket.socket, header: dict, blobs: list[bytes] = ()) -> None:
    head = json.dumps(header, allow_nan=True).encode()
    parts = [struct.pack("<I", len(head)), head, struct.pack("<I", len(blobs))]
    for b in blobs:
        parts.append(struct.pack("<Q", len(b)))
        parts.append(b)
    sock.sendall(b"".join(parts))


def recv_msg(sock: socket.socket, limit: int = MAX_MESSAGE) -> tuple[dict, list[bytes]]:
    (hlen,) = struct.unpack("<I", _recv_exact(sock, 4))
    if hlen > limit:
        raise ProtocolError("header too large")
    try:
        header = json.loads(_recv_exact(sock, hlen))
    except ValueError as exc:
        raise ProtocolError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    (count,) = struct.unpack("<I", _recv_exact(sock, 4))
    if count > MAX_ITEMS:
        raise ProtocolError("too many blobs")
    blobs, total = [], hlen
    for _ in range(count):
        (blen,) = struct.unpack("<Q", _recv_exact(sock, 8))
        total += blen
        if total > limit:
            raise ProtocolError("message too large")
        blobs.append(_recv_exact(sock, blen))
    return header, blobs


# --------------------------------------------------------------------------- values

NPY_MAGIC = b"\x93NUMPY\x01\x00"
NPY_HEADER = re.compile(rb"^\{'descr': '([<>|][biuf][1248])', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \} *\n$")


def array_to_npy(arr: np.ndarray) -> bytes:
    """``.npy`` (format 1.0) bytes.  Numeric C-order arrays take a fast path that writes the
    same bytes as ``np.save`` without its per-call overhead."""
    if arr.dtype.kind in "biuf" and arr.dtype.isnative and arr.flags.c_contiguous and arr.ndim <= 32:
        shape = "(" + "".join(f"{n}, " for n in arr.shape).rstrip(" ")
        shape = shape[:-1] + ",)" if arr.ndim == 1 else (shape.rstrip(",") + ")")
        head = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (arr.dtype.str, shape)
        pad = 64 - (len(NPY_MAGIC) + 2 + len(head) + 1) % 64
        head = (head + " " * (pad % 64) + "\n").encode("latin1")
        return NPY_MAGIC + struct.pack("<H", len(head)) + head + arr.tobytes()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_to_array(data: bytes) -> np.ndarray:
    """Parse ``.npy`` bytes, never unpickling: numeric arrays only."""
    if data[:8] == NPY_MAGIC and len(data) >= 10:
        (hlen,) = struct.unpack("<H", data[8:10])
        m = NPY_HEADER.match(data[10:10 + hlen])
        if m:
            dtype = np.dtype(m.group(1).decode())
            shape = tuple(int(n) for n in m.group(2).split(b",") if n.strip())
            count = 1
            for n in shape:
                count *= n
            if len(data) - 10 - hlen != count * dtype.itemsize:
                raise ProtocolError("array data has the wrong length")
            return np.frombuffer(data, dtype=dtype, count=count, offset=10 + hlen).reshape(shape).copy()
    try:
        arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # any malformed bytes
        raise ProtocolError(f"bad array: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.hasobject:
        raise ProtocolError("bad array type")
    return arr


class Opaque:
    """A value that is not data (an object, a function): only its type name travels."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def encode(value, blobs: list[bytes], slots: dict | None = None, depth: int = 0):
    """Turn a value into JSON + blobs.  Used on both sides; ``slots`` maps ref markers."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > MAX_STR:
            value = value[:MAX_STR]
        return value if not isinstance(value, str) else {"t": "s", "v": value}
    if isinstance(value, Ref):
        return {"t": "slot", "id": value.slot}
    if isinstance(value, int) and type(value) in (int,):
        return {"t": "i", "v": value if abs(value) < 2**63 else float(value)}
    if isinstance(value, float) and type(value) is float:
        return {"t": "f", "v": value}
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        arr = np.array(arr, copy=True, order="C") if type(arr) is not np.ndarray else arr
        if arr.dtype.hasobject:
            raise ValueError("an array of Python objects (dtype=object) is not a numeric array")
        blobs.append(array_to_npy(arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)))
        return {"t": "nd", "i": len(blobs) - 1}
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            raise ValueError("list too long")
        return {"t": "list" if isinstance(value, list) else "tuple",
                "v": [encode(v, blobs, slots, depth + 1) for v in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise ValueError("dict too long")
        return {"t": "dict", "v": [[encode(k, blobs, slots, depth + 1), encode(v, blobs, slots, depth + 1)]
                                   for k, v in value.items()]}
    if isinstance(value, (int, float)):  # int/float subclasses (bool handled above)
        return encode(int(value) if isinstance(value, int) else float(value), blobs, slots, depth)
    return {"t": "obj", "type": type(value).__name__[:100]}


def decode(node, blobs: list[bytes], slots: dict | None = None, depth: int = 0):
    """Inverse of :func:`encode`.  Strict: anything unexpected is a ProtocolError."""
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("value nested too deeply")
    if node is None or isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise ProtocolError("bad value node")
    t = node.get("t")
    if t == "s":
        return str(node["v"])
    if t == "i":
        v = node["v"]
        return int(v) if isinstance(v, int) else float(v)
    if t == "f":
        return float(node["v"])
    if t == "nd":
        idx = node["i"]
        if not isinstance(idx, int) or not 0 <= idx < len(blobs):
            raise ProtocolError("bad blob index")
        return npy_to_array(blobs[idx])
    if t in ("list", "tuple"):
        items = [decode(v, blobs, slots, depth + 1) for v in node["v"]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        out = {}
        for k, v in node["v"]:
            key = decode(k, blobs, slots, depth + 1)
            if isinstance(key, (list, np.ndarray)):
                raise ProtocolError("unhashable key")
            out[key] = decode(v, blobs, slots, depth + 1)
        return out
    if t == "obj":
        return Opaque(str(node.get("type", "object"))[:100])
    if t == "slot":
        if slots is None:
            raise ProtocolError("slot reference not allowed here")
        return slots[node["id"]]
    raise ProtocolError(f"unknown value type {t!r}")


class Ref:
    """The grader's handle on an object that stays in the worker (slot number)."""

    __slots__ = ("slot", "generation", "label")

    def __init__(self, slot: int, generation: int = 0, label: str = ""):
        self.slot = slot
        self.generation = generation
        self.label = label

    def __repr__(self) -> str:
        return f"Ref({self.slot}, {self.label!r})"


# --------------------------------------------------------------------------- student side

class StatementTimeout(BaseException):
    """Raised by SIGALRM when a top-level statement exceeds its budget."""


class CappedStream(io.TextIOBase):
    """sys.stdout / sys.stderr replacement that keeps at most ``cap`` characters."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def take(self) -> str:
        out = "".join(self.parts)
        self.parts, self.size = [], 0
        if self.dropped:
            out += f"\n[... {self.dropped} characters of output cut]"
            self.dropped = 0
        return out


class _BlockGraderImports:
    """A meta-path finder refusing the grader's own packages (defence in depth)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN_PACKAGES:
            raise ImportError(f"No module named {name!r}")
        return None


class StudentProcess:
    """Runs inside the (sandboxed) student process: load units, execute ops."""

    def __init__(self, sock: socket.socket, output_cap: int):
        self.sock = sock
        self.namespace: dict = {"__name__": "submission", "__builtins__": __builtins__}
        self.slots: dict[int, object] = {}
        self.filenames: set[str] = set()
        self.out = CappedStream(output_cap)

    # -- loading
    def load(self, units: list[dict], budget: float) -> list[dict]:
        results = []

        def on_alarm(signum, frame):
            raise StatementTimeout()

        signal.signal(signal.SIGALRM, on_alarm)
        for i, unit in enumerate(units):
            send_msg(self.sock, {"progress": i})
            fname = unit["filename"]
            self.filenames.add(fname)
            src = "\n" * (unit["lineno"] - 1) + unit["source"]
            status = {"index": i, "ok": True}
            t0 = time.perf_counter()
            try:
                code = compile(src, fname, "exec", dont_inherit=True)
                signal.setitimer(signal.ITIMER_REAL, budget)
                try:
                    exec(code, self.namespace)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except StatementTimeout:
                status = {"index": i, "ok": False, "kind": "timeout"}
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                status = {"index": i, "ok": False, "kind": "error", "error": self.describe_exc(exc)}
            status["seconds"] = round(time.perf_counter() - t0, 4)
            results.append(status)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        return results

    def describe_exc(self, exc: BaseException) -> dict:
        import traceback

        frames = []
        try:
            for fr in traceback.extract_tb(exc.__traceback__):
                if fr.filename in self.filenames:
                    frames.append([fr.filename, fr.lineno, fr.name, (fr.line or "")[:200]])
        except Exception:  # noqa: BLE001 - the student may have broken traceback
            frames = []
        try:
            msg = str(exc)[:MAX_STR]
        except BaseException:  # noqa: BLE001
            msg = "<unprintable message>"
        return {"type": type(exc).__name__[:100], "message": msg, "frames": frames[-5:]}

    # -- operations
    def arg(self, node, blobs):
        return decode(node, blobs, self.slots)

    def run_op(self, op: dict, blobs):
        kind = op["op"]
        if kind == "name":
            name = op["name"]
            if name not in self.namespace:
                raise NameError(f"name {name!r} is not defined")
            return self.namespace[name]
        if kind == "attr":
            return getattr(self.arg(op["obj"], blobs), op["name"])
        if kind == "item":
            return self.arg(op["obj"], blobs)[self.arg(op["key"], blobs)]
        if kind == "call":
            fn = self.arg(op["fn"], blobs)
            args = [self.arg(a, blobs) for a in op.get("args", [])]
            kwargs = {k: self.arg(v, blobs) for k, v in op.get("kwargs", {}).items()}
            return fn(*args, **kwargs)
        if kind == "setitem":
            obj = self.arg(op["obj"], blobs)
            obj[self.arg(op["key"], blobs)] = self.arg(op["value"], blobs)
            return None
        if kind == "assign":  # write into an existing array: obj[...] = value
            obj = self.arg(op["obj"], blobs)
            obj[...] = self.arg(op["value"], blobs)
            return None
        if kind == "values":
            obj = self.arg(op["obj"], blobs)
            seq = list(obj.values()) if hasattr(obj, "values") and hasattr(obj, "keys") else list(obj)
            return seq[: op.get("limit", 1000)]
        if kind == "keys":
            return [str(k) for k in list(self.arg(op["obj"], blobs).keys())[:1000]]
        if kind == "same":
            return self.arg(op["a"], blobs) is self.arg(op["b"], blobs)
        if kind == "const":
            return self.arg(op["value"], blobs)
        if kind == "clear":
            self.slots.clear()
            return None
        if kind == "describe":
            return self.describe(self.arg(op["obj"], blobs))
        if kind == "lookup":
            return {n: self.describe(self.namespace[n]) if n in self.namespace else {"kind": "missing"}
                    for n in op["names"]}
        raise ValueError(f"unknown op {kind!r}")

    @staticmethod
    def describe(obj) -> dict:
        import inspect

        kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "value"
        params = None
        if callable(obj):
            try:
                params = [[p.name, p.kind.name, p.default is not inspect.Parameter.empty]
                          for p in inspect.signature(obj).parameters.values()]
            except (TypeError, ValueError):
                params = None
        return {"kind": kind, "params": params, "type": type(obj).__name__}

    def run_batch(self, ops: list[dict], blobs) -> dict:
        results = []
        out_blobs: list[bytes] = []
        error = None
        for op in ops:
            try:
                value = self.run_op(op, blobs)
                if "slot" in op:
                    self.slots[op["slot"]] = value
                ret = op.get("ret", "value")
                if ret == "value":
                    try:
                        results.append(encode(value, out_blobs))
                    except Exception as exc:  # noqa: BLE001
                        results.append({"t": "unencodable", "why": str(exc)[:300],
                                        "type": type(value).__name__[:100]})
                else:
                    results.append(None)
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too
                error = {"at": len(results), **self.describe_exc(exc)}
                break
        return {"results": results, "error": error, "output": self.out.take()}, out_blobs

    def serve(self, budget: float) -> None:
        sys.stdout = sys.stderr = self.out
        while True:
            try:
                header, blobs = recv_msg(self.sock)
            except (EOFError, OSError):
                return
            cmd = header.get("cmd")
            if cmd == "load":
                res = self.load(header["units"], header.get("budget", budget))
                reply = {"loaded": res, "output": self.out.take()}
                if header.get("lookup"):  # the names the grader needs, in the same round trip
                    try:
                        reply["names"] = self.run_op({"op": "lookup", "names": list(header["lookup"])}, [])
                    except Exception:  # noqa: BLE001 - a broken inspect: the grader asks again per item
                        pass
                send_msg(self.sock, reply)
            elif cmd == "batch":
                if header.get("clear"):
                    self.slots.clear()
                reply, out_blobs = self.run_batch(header["ops"], blobs)
                send_msg(self.sock, reply, out_blobs)
            elif cmd == "exit":
                return


# --------------------------------------------------------------------------- process setup

def isolate_imports() -> None:
    """Make the grader's packages unimportable and drop editable-install finders."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # grader/runner/ -> root
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__
                        and "editable" not in getattr(f, "__name__", "")]
    sys.meta_path.insert(0, _BlockGraderImports)
    for name in list(sys.modules):
        if name.split(".")[0] in FORBIDDEN_PACKAGES:
            del sys.modules[name]


def apply_limits(limits: dict) -> None:
    import resource

    for key, res in (("memory_bytes", resource.RLIMIT_AS), ("file_bytes", resource.RLIMIT_FSIZE),
                     ("open_files", resource.RLIMIT_NOFILE)):
        value = limits.get(key)
        if value:
            resource.setrlimit(res, (value, value))
    cpu = limits.get("cpu_seconds")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


NUMPY_SITE: str | None = None
SANDBOX_HOOK = None  # set by the sandbox module when the zygote is started with isolation
SANDBOX = None  # grader/sandbox/child.py (isolation layers), loaded by path in main()


def load_sandbox(numpy_site: str | None) -> None:
    """Load the worker-side sandbox module by path, before any filesystem view hides it."""
    global SANDBOX
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox", "child.py")
    spec = importlib.util.spec_from_file_location("dlgrade_sandbox_child", path)
    SANDBOX = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(SANDBOX)
    SANDBOX.prepare(numpy_site)


def run_job(job_sock: socket.socket, config: dict) -> None:
    """Monitor: fork the student process, wait for it, report how it ended."""
    job = SANDBOX.Job(config, NUMPY_SITE) if SANDBOX is not None else None
    try:
        if job is not None:
            job.before_fork()  # PID namespace, seccomp program (fails closed)
    except Exception as exc:  # noqa: BLE001
        send_msg(job_sock, {"sandbox_error": str(exc)[:500]})
        return
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setsid()
            if job is not None:
                job.enter(keep_fds=(job_sock.fileno(),))  # namespaces, view, uid, seccomp
            if SANDBOX_HOOK is not None:
                SANDBOX_HOOK(config)
            apply_limits(config.get("limits", {}))
            # every forked student process draws its own random numbers (a fork copies RNG state)
            np.random.seed(int.from_bytes(os.urandom(4), "little"))
            StudentProcess(job_sock, config["output_cap"]).serve(config["budget"])
        except BaseException as exc:  # noqa: BLE001
            code = 3
            if SANDBOX is not None and isinstance(exc, SANDBOX.SandboxError):
                code = 70
                try:
                    send_msg(job_sock, {"sandbox_error": str(exc)[:500]})
                except OSError:
                    pass
        finally:
            os._exit(code)
    announce = {"pid": pid}
    if job is not None:
        try:
            job.after_fork(pid)  # cgroup membership (kills the child if that fails), wall-time cap
        except Exception as exc:  # noqa: BLE001
            announce = {"sandbox_error": str(exc)[:500]}
    try:
        send_msg(job_sock, announce)
    except OSError:
        pass
    rusage = None
    while True:
        try:
            _, status, rusage = os.wait4(pid, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    info = {"exit": os.waitstatus_to_exitcode(status) if status else 0}
    if job is not None:
        info.update(job.finish(status, rusage))  # which limit ended it; cgroups removed
    try:
        send_msg(job_sock, info)
    except OSError:
        pass


def zygote(control: socket.socket) -> None:
    """Fork server: one monitor per request; never runs student code itself."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped automatically
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 1 << 16, 4)
        except (OSError, EOFError):
            return
        if not msg:
            return
        try:
            config = json.loads(msg)
        except ValueError:
            for fd in fds:
                os.close(fd)
            continue
        if not fds:
            continue
        job_fd = fds[0]
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                run_job(socket.socket(fileno=job_fd), config)
            finally:
                os._exit(0)
        os.close(job_fd)
        for fd in fds[1:]:
            os.close(fd)


def main(argv: list[str]) -> None:
    global NUMPY_SITE
    NUMPY_SITE = argv[3] if len(argv) > 3 else None
    load_sandbox(NUMPY_SITE)
    isolate_imports()
    mode = argv[1] if len(argv) > 1 else "serve"
    fd = int(argv[2])
    sock = socket.socket(fileno=fd)
    if mode == "zygote":
        zygote(sock)
    else:  # cold start: this process is the monitor
        config = json.loads(argv[4]) if len(argv) > 4 else {}
        run_job(sock, config)


if __name__ == "__main__":
    main(sys.argv)
