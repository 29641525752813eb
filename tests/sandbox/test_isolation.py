"""What student code can reach: files, environment, network, programs, processes, privileges.

Each test runs the attack inside a sandboxed worker and asserts the concrete property (the read
fails, the connection never arrives...).  Where two layers stop the same attack, a second test
switches the first layer off to show the other one holds on its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import stat
import tempfile

import numpy as np
import pytest

from conftest import ROOT, SECRET_ENV, alive, config, is_root, run, session
from grader.runner.pool import NUMPY_SITE

pytestmark = pytest.mark.timeout(60)

READER = """
import os

def probe(paths):
    out = {}
    for p in paths:
        try:
            with open(p, "rb") as f:
                out[p] = "READ:" + f.read(40).decode("latin1")
        except BaseException as exc:
            out[p] = type(exc).__name__
    return out
"""


@pytest.fixture
def secret_files():
    """A database file and instructor data in the project, and a root-only file the view shows."""
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    db = var / "sandbox-test-secret.db"
    db.write_bytes(b"SQLite format 3\x00 SECRET-GRADES")
    visible = tempfile.mkdtemp(prefix="dlgrade-sbtest-", dir="/var/tmp")
    os.chmod(visible, 0o755)
    root_only = os.path.join(visible, "root-only.txt")
    with open(root_only, "w") as f:
        f.write("ROOT-ONLY SECRET")
    os.chmod(root_only, 0o600)
    yield {"db": str(db), "visible_dir": visible, "root_only": root_only}
    db.unlink(missing_ok=True)
    shutil.rmtree(visible, ignore_errors=True)


def test_reference_sources_database_root_only_file_and_grader_env_are_unreadable(zygote, secret_files):
    targets = [
        str(ROOT / "reference" / sorted(p.name for p in (ROOT / "reference").glob("*.py"))[0]),
        str(ROOT / "grader" / "runner" / "student.py"),
        str(ROOT / "exercises" / "layers.py"),
        str(ROOT / "tests" / "corpus" / "layers" / "correct_book.py"),
        secret_files["db"],
        secret_files["root_only"],
        "/etc/shadow",
        f"/proc/{os.getpid()}/environ",  # the grader's environment (tokens, database URL)
        "/proc/self/environ",
        "/root/.bashrc",
    ]
    for t in targets[:6]:
        assert os.path.exists(t), t  # they exist: the sandbox is what hides them
    cfg = config({"extra_ro": [secret_files["visible_dir"]]})  # the root-only file *is* in the view
    got = run(zygote, READER, "probe", targets, cfg=cfg)
    leaked = {p: v for p, v in got.items() if v.startswith("READ:")}
    assert not leaked, leaked
    # the root-only file is visible but the dedicated uid may not read it (the uid layer on its own)
    if is_root():
        assert got[secret_files["root_only"]] == "PermissionError"


def test_grader_environment_is_scrubbed(zygote):
    src = """
    import os
    def probe():
        return dict(os.environ)
    """
    env = run(zygote, src)
    assert os.environ["DLGRADE_SECRET_TOKEN"] == SECRET_ENV["DLGRADE_SECRET_TOKEN"]  # the grader has it
    assert not set(SECRET_ENV) & set(env), env
    assert not any(v in str(env) for v in SECRET_ENV.values())
    assert not any(k.startswith("DLGRADE_") for k in env)


def test_project_venv_home_and_system_secrets_are_not_in_the_view(zygote):
    src = """
    import os, sys
    def probe(paths):
        return {p: os.path.exists(p) for p in paths} | {"cwd": os.getcwd(), "home": os.path.expanduser("~")}
    """
    site = NUMPY_SITE
    paths = [str(ROOT / "grader"), str(ROOT / "reference"), str(ROOT / "var"), str(ROOT / ".git"),
             f"{site}/pydantic", f"{site}/sqlalchemy", f"{site}/pyseccomp.py", "/root/.pyenv/version", "/home",
             "/etc/passwd-", "/etc/shadow", "/proc/1", "/sys/kernel", "/run", "/var/lib", "/work/shared",
             f"{site}/numpy/__init__.py", os.path.dirname(os.__file__) + "/json/__init__.py"]
    stdlib_site = os.path.join(os.path.dirname(os.__file__), "site-packages")
    if os.path.isdir(stdlib_site):  # the interpreter's own site-packages (pyenv/global packages): hidden
        paths += [os.path.join(stdlib_site, n) for n in sorted(os.listdir(stdlib_site))[:5]]
    got = run(zygote, src, "probe", paths)
    visible = {p for p in paths if got[p]}
    # only NumPy and the standard library are visible
    assert visible == {f"{site}/numpy/__init__.py", os.path.dirname(os.__file__) + "/json/__init__.py"}, visible
    assert got["cwd"] == "/tmp" and got["home"] == "/tmp"


WRITER = """
import os

def probe(create, modify):
    out = {}
    for p in create:          # new, empty files with names nobody uses
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            out[p] = "WROTE"
        except BaseException as exc:
            out[p] = type(exc).__name__
    for p in modify:          # existing files: opened for writing, but nothing is ever written
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_APPEND))
            out[p] = "WROTE"
        except BaseException as exc:
            out[p] = type(exc).__name__
    return out
"""


def test_writes_outside_the_private_tmp_fail(zygote):
    """Harmless even if the sandbox were broken: only new empty files (removed below) and opens."""
    tag = f"dlgrade-sbtest-{os.getpid()}-{secrets.token_hex(4)}"
    site = NUMPY_SITE
    create = [f"/{tag}", f"/usr/{tag}", f"/etc/{tag}", f"{site}/numpy/{tag}.txt", f"{site}/{tag}.txt",
              str(ROOT / tag), f"/var/tmp/{tag}", f"/dev/shm/{tag}", os.path.dirname(os.__file__) + f"/{tag}.txt",
              f"/tmp/{tag}"]
    modify = [os.path.join(site, "numpy", "__init__.py"), os.__file__, "/etc/hostname", str(ROOT / "README.md")]
    try:
        got = run(zygote, WRITER, "probe", create, modify)
        wrote = {p for p, v in got.items() if v == "WROTE"}
        assert wrote == {f"/tmp/{tag}"}, got  # only the private temp directory is writable
        for p in create[:-1]:
            assert not os.path.exists(p), p  # and nothing appeared on the real filesystem
        assert not os.path.exists(f"/tmp/{tag}")  # the private /tmp is not the machine's /tmp
    finally:
        for p in create:
            if os.path.isfile(p):
                os.unlink(p)


NET = """
import socket

def probe(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"leak")
        return "CONNECTED"
    finally:
        s.close()
"""


def _listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(1.5)
    return srv


def _assert_no_connection(srv):
    with pytest.raises(socket.timeout):
        conn, _ = srv.accept()
        conn.close()


@pytest.mark.parametrize("sandbox", [{}, {"disable": ["seccomp"]}], ids=["all-layers", "netns-alone"])
def test_connection_to_a_loopback_listener_never_arrives(zygote, sandbox):
    srv = _listener()
    try:
        port = srv.getsockname()[1]
        from grader.runner.session import StudentError

        with pytest.raises(StudentError) as info:
            run(zygote, NET, "probe", port, cfg=config(sandbox))
        # seccomp: no AF_INET socket at all; network namespace alone: no route, not even loopback
        assert info.value.info["type"] in ("PermissionError", "OSError", "TimeoutError", "ConnectionRefusedError")
        _assert_no_connection(srv)
    finally:
        srv.close()


def test_spawning_a_shell_fails(zygote):
    src = """
    import os, subprocess
    def probe():
        out = {}
        out["system"] = os.system("touch /tmp/dlgrade-sbtest-shell-ran")
        out["shell_ran"] = os.path.exists("/tmp/dlgrade-sbtest-shell-ran")
        for name, fn in [("subprocess", lambda: subprocess.run(["/bin/sh", "-c", "true"], timeout=2)),
                         ("posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {})),
                         ("execv", lambda: os.execv("/bin/sh", ["sh", "-c", "true"]))]:
            try:
                fn()
                out[name] = "RAN"
            except BaseException as exc:
                out[name] = type(exc).__name__
        return out
    """
    got = run(zygote, src)
    assert got["system"] != 0 and not got["shell_ran"], got
    assert got["subprocess"] != "RAN" and got["posix_spawn"] != "RAN" and got["execv"] == "PermissionError", got


def test_exec_is_denied_even_when_fork_is_allowed(zygote):
    src = """
    import os
    def probe():
        pid = os.fork()
        if pid == 0:
            try:
                os.execv("/bin/sh", ["sh", "-c", "exit 0"])
            except PermissionError:
                os._exit(42)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    """
    assert run(zygote, src, cfg=config({"allow_fork": True})) == 42


def test_process_is_unprivileged_in_its_own_namespaces(zygote):
    src = """
    import ctypes, errno, os, socket
    libc = ctypes.CDLL(None, use_errno=True)

    class Hdr(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [("eff", ctypes.c_uint32), ("perm", ctypes.c_uint32), ("inh", ctypes.c_uint32)]

    def err(ret):
        return 0 if ret == 0 else ctypes.get_errno()

    def probe():
        hdr, data = Hdr(0x20080522, 0), (Data * 2)()
        libc.syscall(125, ctypes.byref(hdr), ctypes.byref(data))
        return {
            "uid": os.getuid(), "euid": os.geteuid(), "pid": os.getpid(), "hostname": socket.gethostname(),
            "caps": [data[0].eff, data[0].perm, data[1].eff, data[1].perm],
            "unshare_user": err(libc.unshare(0x10000000)),
            "mount": err(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None)),
            "umount_tmp": err(libc.umount2(b"/tmp", 2)),
            "ptrace_traceme": err(libc.ptrace(0, 0, 0, 0)),
            "setuid0": err(libc.setuid(0)),
            "chroot": err(libc.chroot(b"/tmp")),
            "kill_pid1_visible": os.path.exists("/proc/1"),
            "threads_work": __import__("threading").Thread(target=lambda: None).start() is None,
        }
    """
    got = run(zygote, src)
    assert got["uid"] != 0 and got["euid"] != 0 and got["caps"] == [0, 0, 0, 0], got
    assert got["pid"] == 1 and got["hostname"] == "sandbox", got  # own PID and UTS namespaces
    for key in ("unshare_user", "mount", "umount_tmp", "ptrace_traceme", "setuid0", "chroot"):
        assert got[key] != 0, (key, got)
    assert got["threads_work"]
    if is_root():
        assert got["uid"] >= 2_000_000_000  # the job's own uid


def test_killing_the_parent_zygote_or_grader_processes_fails(zygote, sleeper):
    src = """
    import os, signal
    def probe(targets):
        out = {}
        for name, pid in targets.items():
            try:
                os.kill(pid, signal.SIGKILL)
                out[name] = "KILLED"
            except BaseException as exc:
                out[name] = type(exc).__name__
        try:
            os.kill(-1, 0)              # is any other process visible at all? (signal 0: harmless)
            out["any_other"] = "VISIBLE"
        except BaseException as exc:
            out["any_other"] = type(exc).__name__
        out["ppid"] = os.getppid()
        return out

    def visible(pid):
        try:
            os.kill(pid, 0)
            return "VISIBLE"
        except BaseException as exc:
            return type(exc).__name__
    """
    with session(zygote, src) as s:
        s.batch()  # start the worker so we know its monitor
        with open(f"/proc/{s.pid}/stat") as f:
            monitor = int(f.read().split(") ", 1)[1].split()[1])
        # only the test's own processes are targets: if the sandbox were broken, nothing else dies
        targets = {"monitor": monitor, "zygote": zygote.pid, "grader_process": sleeper.pid}
        got = s.call("probe", targets)
        assert all(got[k] in ("ProcessLookupError", "PermissionError") for k in targets), got
        assert got["any_other"] == "ProcessLookupError" and got["ppid"] == 0, got
        assert alive(monitor) and alive(zygote.pid) and sleeper.poll() is None
        assert s.call("visible", os.getpid()) == "ProcessLookupError"  # the grader: not even visible
        assert s.call("probe", {}) is not None  # the same worker still answers


def test_memory_is_private_numpy_poisoning_does_not_leak_between_jobs(zygote):
    """In-memory monkeypatching stays in one job's process (each job is a fresh fork)."""
    poison = """
    import numpy as np
    np.dot = lambda *a, **k: 0
    np.linalg.norm = lambda *a, **k: -1
    def probe():
        return float(np.dot(np.ones(3), np.ones(3)))
    """
    assert run(zygote, poison) == 0.0
    clean = """
    import numpy as np
    def probe():
        return float(np.dot(np.ones(3), np.ones(3))), float(np.linalg.norm(np.ones(4)))
    """
    assert tuple(run(zygote, clean)) == (3.0, 2.0)


def test_job_socket_is_the_only_inherited_descriptor(zygote):
    src = """
    import os
    def probe():
        out = {}
        for fd in range(256):
            try:
                os.fstat(fd)
                out[fd] = True
            except OSError:
                pass
        return sorted(out)
    """
    fds = run(zygote, src)
    assert len(fds) == 4 and fds[:3] == [0, 1, 2], fds  # stdin/stdout/stderr (/dev/null) + the job socket


def test_numpy_and_stdlib_still_work_inside(zygote):
    src = """
    import numpy as np, json, math, collections, tempfile, os
    def probe():
        a = np.random.default_rng(0).standard_normal((64, 64))
        inv = np.linalg.inv(a @ a.T + np.eye(64))
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("ok")
        np.save("/tmp/a.npy", a)
        return [float(np.trace(inv @ (a @ a.T + np.eye(64)))), json.dumps({"a": 1}), os.path.exists(f.name),
                float(np.load("/tmp/a.npy").sum() - a.sum())]
    """
    trace, js, tmp_ok, diff = run(zygote, src)
    assert abs(trace - 64) < 1e-6 and js == '{"a": 1}' and tmp_ok and diff == 0


def test_numpy_files_are_untouched_after_attacks(zygote):
    init = os.path.join(NUMPY_SITE, "numpy", "__init__.py")
    before = (os.stat(init).st_mtime_ns, os.stat(init).st_size, sorted(os.listdir(NUMPY_SITE)))
    src = """
    import os, numpy
    def probe():
        out = []
        for p in [numpy.__file__, os.path.dirname(numpy.__file__) + "/linalg/__init__.py"]:
            # harmless even without a sandbox: open for writing but write nothing; ask access(2)
            try:
                os.close(os.open(p, os.O_WRONLY | os.O_APPEND))
                out.append("DONE")
            except OSError as exc:
                out.append(type(exc).__name__)
            out.append("DONE" if os.access(p, os.W_OK) else "denied")
        return out
    """
    got = run(zygote, src)
    assert "DONE" not in got, got
    assert (os.stat(init).st_mtime_ns, os.stat(init).st_size, sorted(os.listdir(NUMPY_SITE))) == before
    assert stat.S_IMODE(os.stat(init).st_mode) & 0o022 == 0
    assert np.dot(np.ones(2), np.ones(2)) == 2


def test_system_calls_of_another_architecture_kill_the_process(zygote):
    """i386 ``int 0x80`` would bypass an x86_64-only filter: the filter kills the process instead."""
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("x86_64 machine code")
    src = """
    import ctypes, mmap
    def probe():
        code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])   # mov eax, 20 (i386 getpid); int 0x80; ret
        buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        buf.write(code)
        return ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()
    """
    from grader.runner.session import StudentDied

    with pytest.raises(StudentDied) as info:
        run(zygote, src)
    assert info.value.exit_code == -31  # SIGSYS
    assert "system call the grader's sandbox forbids" in info.value.describe().en
