"""The student process: loads a submission and executes the grader's operations.

This file is run as a *script* (``python -I -S student.py zygote|serve``) so that
the student process never imports the ``grader``, ``reference`` or ``exercises``
packages: it depends on the standard library and NumPy only.  The wire format
(``wire.py``, also imported by the grader) and the sandbox layers
(``grader/sandbox/child.py``) are loaded by path.

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
import signal
import socket
import sys
import time

if __name__ == "__main__" and len(sys.argv) > 3:  # run as a script: NumPy's site dir is argv[3]
    sys.path.append(sys.argv[3])

import numpy as np  # noqa: E402

if __name__ == "__main__":  # in the zygote, once: not in every forked job, where the filesystem view
    import inspect  # noqa: E402,F401  (and the job's uid) may not reach the interpreter's files,
    import traceback  # noqa: E402,F401  and where each import would cost milliseconds again
    import numpy.random  # noqa: E402,F401  (≈ 13 ms: NumPy 2 loads it lazily)

FORBIDDEN_PACKAGES = ("grader", "reference", "exercises", "api")

# What a preloaded optional package needs in the student's filesystem view: itself and the
# pure-Python packages it imports (PyTorch: ``Requires-Dist`` of its wheel, less setuptools).
PRELOAD_PACKAGES = {
    "torch": ("torch", "torchgen", "functorch", "typing_extensions", "sympy", "mpmath", "networkx",
              "filelock", "fsspec", "jinja2", "markupsafe"),
}
# torch.set_num_threads(n) above this is refused with a clear error: each thread counts against the
# job's process limit, and a thread pool that cannot start aborts the whole process (SIGABRT).
TORCH_MAX_THREADS = 4


def _load_wire():
    """The codec (``wire.py`` beside this file), loaded by path: this script imports no grader package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "dlgrade_wire", os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = _load_wire()
MAX_STR = wire.MAX_STR
send_msg, recv_msg, encode, decode = wire.send_msg, wire.recv_msg, wire.encode, wire.decode


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
        self.lines: dict[tuple[str, int], str] = {}  # (filename, line number) → the student's source line
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
            for k, text in enumerate(unit["source"].split("\n")):
                self.lines[(fname, unit["lineno"] + k)] = text[:200]
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
        # the source line the error was raised on (linecache does not know the student's code): for the
        # grader's diagnosis of a mistake the error shows by itself (engine.error_mistake), not for the feedback
        line = self.lines.get((frames[-1][0], frames[-1][1]), "") if frames else ""
        return {"type": type(exc).__name__[:100], "message": msg, "frames": frames[-5:], "line": line}

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
SANDBOX = None  # grader/sandbox/child.py (isolation layers), loaded by path in main()


def _limit_threads(torch) -> None:
    """Refuse thread counts the sandbox would not let the pool start (a clear error instead of an abort)."""
    def guard(fn, name):
        def guarded(n, *args, **kwargs):
            if isinstance(n, int) and n > TORCH_MAX_THREADS:
                raise RuntimeError(f"torch.{name}({n}): student code may use at most {TORCH_MAX_THREADS} "
                                   "threads in the grader's sandbox (the exercises need only one: "
                                   "leave the default)")
            return fn(n, *args, **kwargs)
        guarded.__name__ = guarded.__qualname__ = name
        guarded.__doc__ = fn.__doc__
        return guarded

    for name in ("set_num_threads", "set_num_interop_threads"):
        if hasattr(torch, name):
            setattr(torch, name, guard(getattr(torch, name), name))


def _warm_torch(torch) -> None:
    """One small forward and backward of each kind, so that no job pays PyTorch's first-use set-up
    (≈ 0.3 s for the first backward).  Runs on this thread only: the zygote stays single-threaded
    (intra-op pool of one thread, OMP_NUM_THREADS=1; no inter-op work), so forking it is safe."""
    F = torch.nn.functional
    for dtype in (torch.float64, torch.float32):
        x = torch.ones(2, 3, dtype=dtype, requires_grad=True)
        w = torch.ones(3, 2, dtype=dtype, requires_grad=True)
        y = torch.sigmoid(x @ w + 1)
        y.backward(torch.ones_like(y))
        y = x @ w
        (F.log_softmax(y, dim=1) * torch.softmax(y, dim=1)).sum().backward()
        torch.autograd.grad(F.cross_entropy(x @ w, torch.tensor([0, 1])), (x, w))
        x.detach().numpy()


def preload(sites: dict) -> tuple[str, ...]:
    """Import optional packages once, in the zygote (``{"torch": site}``); return what every job's
    filesystem view must show of them (package directories, single-file modules, ``.libs``)."""
    import importlib
    import importlib.util

    paths: list[str] = []
    for name, site in sites.items():
        if site and site not in sys.path:
            sys.path.append(site)
        module = importlib.import_module(name)
        if name == "torch":
            import torch.nn.functional  # noqa: F401 - what students import; loaded once here, not per job
            import torch.autograd  # noqa: F401
            try:
                _warm_torch(module)
            except Exception:  # noqa: BLE001 - only a speed-up: jobs then pay the first use themselves
                pass
            _limit_threads(module)
        for pkg in PRELOAD_PACKAGES.get(name, (name,)):
            try:
                spec = importlib.util.find_spec(pkg)
            except (ImportError, ValueError):
                spec = None
            if spec is None or not spec.origin:
                continue
            if spec.submodule_search_locations:
                paths += [os.path.realpath(p) for p in spec.submodule_search_locations]
                libs = os.path.realpath(list(spec.submodule_search_locations)[0]) + ".libs"
                if os.path.isdir(libs):
                    paths.append(libs)
            else:
                paths.append(os.path.realpath(spec.origin))
    return tuple(dict.fromkeys(paths))


def load_sandbox(numpy_site: str | None, packages: tuple = ()) -> None:
    """Load the student-side sandbox module by path, before any filesystem view hides it."""
    global SANDBOX
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox", "child.py")
    spec = importlib.util.spec_from_file_location("dlgrade_sandbox_child", path)
    SANDBOX = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(SANDBOX)
    SANDBOX.prepare(numpy_site, packages=packages)


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
    mode = argv[1] if len(argv) > 1 else "serve"
    extra = argv[4] if mode == "zygote" and len(argv) > 4 else argv[5] if len(argv) > 5 else ""
    packages = preload(json.loads(extra)) if extra else ()
    load_sandbox(NUMPY_SITE, packages)
    isolate_imports()
    fd = int(argv[2])
    sock = socket.socket(fileno=fd)
    if mode == "zygote":
        if packages:  # a preloading zygote says when its (slow) imports are done: see Zygote.spawn
            sock.sendall(b"R")
        zygote(sock)
    else:  # cold start: this process is the monitor
        config = json.loads(argv[4]) if len(argv) > 4 else {}
        run_job(sock, config)


if __name__ == "__main__":
    main(sys.argv)
