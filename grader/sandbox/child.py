"""Student-side isolation: the layers applied to every student process.

This file is loaded *by path* by ``grader/runner/student.py`` (which runs as
``python -I -S`` without the ``grader`` package) before anything is hidden, and
uses only the standard library and ctypes (libseccomp is called directly; ``pyseccomp`` is only a
fallback to locate it).  The
grader-side counterpart is ``grader/sandbox/probe.py`` (reports, settings, doctor).

Per job (see ``student.run_job``)::

    zygote ─fork─> monitor                         Job.before_fork(): PID namespace, seccomp program
                     │                                 (compiled once, in the zygote)
                     └─fork─> student process      Job.enter(): fds, env, NET/IPC/UTS/mount
                              (PID 1 of its ns)        namespaces, filesystem view, dedicated uid,
                                                       capabilities, seccomp; then student.apply_limits
    monitor: Job.after_fork(pid) (cgroup membership, wall-time cap), Job.finish(status, rusage)
             (which limit ended the process, cgroup removal, degraded-mode kill of the job's uid)

The zygote only *loads* this module: it never applies a layer to itself.
A layer that is requested but fails to apply raises :class:`SandboxError`
(fail closed) unless the job says ``best_effort`` (the probe, an explicit
degraded mode).  ``python -I -S child.py probe`` reports, as JSON,
which layers work on this machine.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import sys
import time

# json and socket are imported where needed: the probe runs in a fresh interpreter, and every
# millisecond of its start-up is paid before the first job of a grader process.
AF_UNIX, AF_INET, SOCK_STREAM = 1, 2, 1

# --------------------------------------------------------------------------- constants

CLONE_THREAD = 0x00010000
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                   CLONE_NEWNET, CLONE_NEWTIME)

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME = 1 << 18, 1 << 21
MNT_DETACH = 2
ST_TO_MS = ((1, MS_RDONLY), (2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME),
            (2048, MS_NODIRATIME), (4096, MS_RELATIME))

PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECCOMP = 38, 39, 24, 22
SECCOMP_MODE_FILTER = 2
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SYS_PIVOT_ROOT, SYS_CAPGET, SYS_CAPSET = {"x86_64": (155, 125, 126), "aarch64": (41, 90, 91)}.get(
    os.uname().machine, (-1, -1, -1))  # -1: ENOSYS, the layers needing them are reported missing
LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: Every layer, in the order they are reported.  ``REQUIRED`` ones make "full isolation".
LAYERS = ("unprivileged_user", "dedicated_uid", "pid_namespace", "network_namespace", "filesystem_view",
          "ipc_uts_namespace", "seccomp", "rlimits", "cgroup_memory", "cgroup_pids", "environment_scrubbed")
REQUIRED = ("unprivileged_user", "pid_namespace", "network_namespace", "filesystem_view", "ipc_uts_namespace",
            "seccomp", "rlimits", "environment_scrubbed")

DEFAULT_UID_BASE = 2_000_000_000  # + the monitor's PID: a uid nobody else uses, unique per live job
DEFAULT_TMP_BYTES = 64 << 20
DEFAULT_WALL_SECONDS = 900
ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "MPLBACKEND")
DEVICES = ("null", "zero", "full", "random", "urandom")
# Syscalls no student code needs; denied with EPERM (see SECURITY.md).
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "pidfd_open",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "bpf", "perf_event_open", "userfaultfd", "keyctl",
    "add_key", "request_key", "execve", "execveat", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "syslog", "acct", "quotactl", "quotactl_fd", "name_to_handle_at", "open_by_handle_at", "iopl",
    "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "vhangup", "lookup_dcookie", "uselib", "nfsservctl", "mknod", "mknodat", "fanotify_init",
)
FORK_SYSCALLS = ("fork", "vfork")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.unshare.argtypes = (ctypes.c_int,)
_libc.setns.argtypes = (ctypes.c_int, ctypes.c_int)
_libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
_libc.syscall.restype = ctypes.c_long

_SECCOMP_WHY = "not loaded yet"


class _ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_NE, SCMP_CMP_MASKED_EQ = 1, 7


def SCMP_ACT_ERRNO(e: int) -> int:  # noqa: N802 - libseccomp's name
    return 0x00050000 | (e & 0xFFFF)


class _LibSeccomp:
    """The few libseccomp calls we need, through ctypes.

    Not pyseccomp: importing it costs ≈ 75-100 ms (``ctypes.util.find_library`` runs ``ldconfig``),
    which every zygote start would pay.  Debian's libseccomp2 (the same library pyseccomp wraps) is
    opened by soname, then by pyseccomp's lookup as a fallback."""

    def __init__(self):
        try:
            lib = ctypes.CDLL("libseccomp.so.2")
        except OSError:
            import pyseccomp  # noqa: F401 - finds the library however it is installed

            lib = pyseccomp._libseccomp  # type: ignore[attr-defined]
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = (ctypes.c_uint32,)
        lib.seccomp_release.argtypes = (ctypes.c_void_p,)
        lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
        lib.seccomp_rule_add_array.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                               ctypes.POINTER(_ArgCmp))
        lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
        self.lib = lib


_libseccomp: _LibSeccomp | None = None


def load_seccomp() -> _LibSeccomp | None:
    """Open libseccomp once (in the zygote, not per job)."""
    global _libseccomp, _SECCOMP_WHY
    if _libseccomp is None:
        try:
            _libseccomp = _LibSeccomp()
            _SECCOMP_WHY = ""
        except Exception as exc:  # noqa: BLE001 - no libseccomp on this machine
            _SECCOMP_WHY = f"libseccomp is not installed (Debian: libseccomp2): {exc}"
    return _libseccomp


class SandboxError(Exception):
    """A requested isolation layer could not be applied (the job must not run)."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(src.encode() if src else None, target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode() if data else None), f"mount {target}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), f"unshare({what})")


def _prctl(option: int, arg2: int = 0, arg3: int = 0) -> int:
    ret = _libc.prctl(option, arg2, arg3, 0, 0)
    if ret < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")
    return ret


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def capabilities() -> tuple[int, int]:
    """(effective, permitted) capability masks of this thread."""
    hdr, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if _libc.syscall(SYS_CAPGET, ctypes.byref(hdr), ctypes.byref(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capget: {os.strerror(e)}")
    return (data[0].effective | data[1].effective << 32, data[0].permitted | data[1].permitted << 32)


def drop_bounding_set() -> None:
    """Empty the bounding and ambient sets (needs CAP_SETPCAP: call before giving up root)."""
    try:
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    for cap in range(64):
        try:
            _prctl(PR_CAPBSET_DROP, cap)
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # past the last capability this kernel knows
                break
            raise


def clear_capabilities() -> None:
    """Empty the permitted, effective and inheritable sets; set no_new_privs."""
    hdr, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if _libc.syscall(SYS_CAPSET, ctypes.byref(hdr), ctypes.byref(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capset: {os.strerror(e)}")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


# --------------------------------------------------------------------------- filesystem view

def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _stdlib_dirs() -> list[str]:
    out = []
    stdlib = os.path.dirname(os.__file__)
    for p in [stdlib] + [p for p in sys.path if p.endswith(".zip")]:
        if p and os.path.exists(p):
            out.append(os.path.abspath(p))
    return out


def _numpy_dirs(numpy_site: str | None) -> list[str]:
    mod = sys.modules.get("numpy")
    if mod is not None and getattr(mod, "__file__", None):
        pkg = os.path.dirname(os.path.abspath(mod.__file__))
    elif numpy_site and os.path.isdir(os.path.join(numpy_site, "numpy")):
        pkg = os.path.join(os.path.abspath(numpy_site), "numpy")
    else:
        return []
    out = [pkg]
    libs = pkg + ".libs"  # manylinux wheels keep OpenBLAS next to the package
    if os.path.isdir(libs):
        out.append(libs)
    return out


class View:
    """The student's filesystem, built from an allow-list (everything else does not exist).

    Read-only: ``/usr`` (+ the ``/bin``, ``/lib``... links), a few ``/etc`` files, the Python
    standard library, NumPy (and the packages a zygote preloads: PyTorch and its dependencies).  Writable: a private, size-limited tmpfs on ``/tmp`` (the cwd and
    HOME).  ``/dev`` has null, zero, full, random, urandom only.  No ``/proc``, ``/sys``,
    ``/home``, ``/root``, ``/var``, ``/run``, project directory, database or venv.
    """

    def __init__(self, numpy_site: str | None = None, extra_ro: tuple = (), hide: tuple = ()):
        here = os.path.dirname(os.path.abspath(__file__))
        self.project = os.path.dirname(os.path.dirname(here))  # grader/sandbox/ -> root
        ro: list[str] = []
        self.links: dict[str, str] = {}
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                self.links[top] = os.readlink(top)
            elif os.path.isdir(top):
                ro.append(top)
        ro.append("/usr")
        ro += [p for p in ("/etc/ld.so.cache", "/etc/localtime") if os.path.exists(p)]
        self.stdlib = _stdlib_dirs()
        ro += self.stdlib + _numpy_dirs(numpy_site) + [os.path.abspath(p) for p in extra_ro if os.path.exists(p)]
        # drop duplicates and paths already inside another bound directory
        ro = sorted(set(ro), key=len)
        self.ro = [p for i, p in enumerate(ro) if not any(_under(p, q) for q in ro[:i])]
        hidden = [os.path.join(d, "site-packages") for d in self.stdlib] + [self.project] + list(hide)
        self.hide = [h for h in dict.fromkeys(os.path.abspath(h) for h in hidden)
                     if os.path.exists(h) and any(_under(h, r) for r in self.ro)]
        # read-only sources inside /tmp (a venv under /tmp): the job's private /tmp would cover them, so they
        # are also bound at a stash path and bound again on top of each job's /tmp
        self.under_tmp = [p for p in self.ro if _under(p, "/tmp") and p != "/tmp"]
        sources = self.ro + list(self.links) + ["/dev"]
        self.mountpoint = next((m for m in ("/mnt", "/media", "/srv", "/opt", "/boot", "/tmp", "/var/tmp")
                                if os.path.isdir(m) and not os.path.islink(m)
                                and not any(_under(s, m) or _under(m, s) for s in sources)), None)

    def build(self, tmp_bytes: int | None) -> None:
        """In a fresh mount namespace, with CAP_SYS_ADMIN over it: build the view and pivot into it.

        ``tmp_bytes=None`` builds the template (an empty read-only ``/tmp`` for each job to mount on)."""
        if self.mountpoint is None:
            raise OSError(errno.ENOENT, "no empty directory to build the filesystem view on")
        r = self.mountpoint
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        _mount("tmpfs", r, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
        for link, target in self.links.items():
            os.symlink(target, r + link)
        for src in self.ro:
            self._bind(src, r + src, readonly=True)
        for i, src in enumerate(self.under_tmp):
            self._bind(src, f"{r}{TMP_STASH}/{i}", readonly=True)
        os.makedirs(r + "/dev", mode=0o755, exist_ok=True)
        for dev in DEVICES:
            if os.path.exists("/dev/" + dev):
                self._bind("/dev/" + dev, f"{r}/dev/{dev}", readonly=False)
        for h in self.hide:
            if os.path.isdir(r + h):
                _mount("tmpfs", r + h, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=755")
        os.makedirs(r + "/etc", mode=0o755, exist_ok=True)
        with open(r + "/etc/passwd", "w") as f:  # no account of the machine is visible
            f.write("root:x:0:0::/:/nonexistent\nnobody:x:65534:65534::/nonexistent:/nonexistent\n")
        os.makedirs(r + "/tmp", mode=0o755, exist_ok=True)
        if tmp_bytes is not None:
            mount_tmp(r + "/tmp", tmp_bytes)
            rebind_under_tmp(self.under_tmp, r)
        os.chdir(r)
        _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")  # old root now stacked on "/"
        _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
        os.chdir("/")
        _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.chdir("/tmp")

    @staticmethod
    def _bind(src: str, dst: str, readonly: bool) -> None:
        if os.path.isdir(src):
            os.makedirs(dst, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
            os.close(os.open(dst, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(src, dst, None, MS_BIND)
        # keep the source's locked flags (nosuid/nodev/noexec...), else a remount in a user namespace fails
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID
        try:
            st = os.statvfs(src).f_flag
            flags |= sum(ms for st_bit, ms in ST_TO_MS if st & st_bit)
        except OSError:
            pass
        if readonly:
            flags |= MS_RDONLY | MS_NODEV
        _mount(None, dst, None, flags)


TMP_STASH = "/.dlgrade-ro"


def rebind_under_tmp(under_tmp: list[str], root: str = "") -> None:
    """Bind the read-only sources that live inside /tmp again, on top of the job's fresh /tmp."""
    for i, src in enumerate(under_tmp):
        View._bind(f"{root}{TMP_STASH}/{i}", root + src, readonly=True)


def mount_tmp(path: str, tmp_bytes: int) -> None:
    """The job's private, size-limited, writable directory."""
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={max(int(tmp_bytes), 4096)},nr_inodes=4096,mode=1777")


_TEMPLATE_FD: int | None = None  # an nsfs fd of a mount namespace already holding the default view


def make_template(view: View) -> int | None:
    """Root only, once, in the zygote: build the default view in a throw-away child's mount namespace
    and keep that namespace open.  A job then costs setns + a copy + its /tmp (≈ 0.3 ms) instead of
    ≈ 15 mounts and a pivot (≈ 2-7 ms).  The zygote's own filesystem view is untouched."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _unshare(CLONE_NEWNS, "mount")
            view.build(None)
            os.write(w, b"1")
            time.sleep(10)  # until the parent has opened the namespace (it kills us then)
        finally:
            os._exit(0)
    os.close(w)
    fd = None
    try:
        if os.read(r, 1) == b"1":
            fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(r)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return fd


_TEMPLATE_UNDER_TMP: list[str] = []  # the template view's read-only sources inside /tmp


def enter_template(fd: int, tmp_bytes: int) -> None:
    """A private copy of the template view, with a fresh /tmp."""
    _check(_libc.setns(fd, CLONE_NEWNS), "setns(template view)")
    _unshare(CLONE_NEWNS, "mount")
    mount_tmp("/tmp", tmp_bytes)
    rebind_under_tmp(_TEMPLATE_UNDER_TMP)
    os.chdir("/tmp")


# --------------------------------------------------------------------------- seccomp

def build_filter(allow_fork: bool) -> bytes:
    """Default allow; deny what a NumPy exercise never needs (EPERM).  Threads keep working.

    Returns the compiled BPF program.  System calls of other architectures (i386 ``int 0x80``, x32)
    kill the process (libseccomp's default for a foreign architecture)."""
    sc = load_seccomp()
    if sc is None:
        raise OSError(errno.ENOSYS, _SECCOMP_WHY)
    lib = sc.lib
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        def rule(action: int, name: str, *cmps: tuple[int, int, int, int], optional: bool = False) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                if optional:
                    return  # a syscall this libseccomp does not know
                raise OSError(errno.ENOSYS, f"libseccomp does not know {name}")
            arr = (_ArgCmp * len(cmps))(*[_ArgCmp(*c) for c in cmps])
            ret = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr)
            if ret < 0:
                raise OSError(-ret, f"seccomp rule for {name}: {os.strerror(-ret)}")

        eperm = SCMP_ACT_ERRNO(errno.EPERM)
        for name in DENIED_SYSCALLS + (() if allow_fork else FORK_SYSCALLS):
            rule(eperm, name, optional=True)
        if not allow_fork:  # clone without CLONE_THREAD is a new process
            rule(eperm, "clone", (0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0))
        for flag in NAMESPACE_FLAGS:  # no new namespaces through clone either
            rule(eperm, "clone", (0, SCMP_CMP_MASKED_EQ, flag, flag))
        rule(SCMP_ACT_ERRNO(errno.ENOSYS), "clone3")  # flags live in a struct: libc falls back to clone
        for name in ("socket", "socketpair"):  # AF_UNIX only (the job socket): no INET/INET6/NETLINK/PACKET
            rule(eperm, name, (0, SCMP_CMP_NE, AF_UNIX, 0))
        fd = os.memfd_create("dlgrade-seccomp")
        try:
            ret = lib.seccomp_export_bpf(ctx, fd)
            if ret < 0:
                raise OSError(-ret, f"seccomp_export_bpf: {os.strerror(-ret)}")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


_BPF: dict[bool, bytes] = {}


def filter_bpf(allow_fork: bool) -> bytes:
    """The compiled BPF program (built once, in the zygote; a job only loads it: ≈ 20 µs)."""
    if allow_fork not in _BPF:
        _BPF[allow_fork] = build_filter(allow_fork)
    return _BPF[allow_fork]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_bpf(bpf: bytes) -> None:
    """Install a seccomp filter on this thread (sets no_new_privs first, as the kernel requires)."""
    if not bpf or len(bpf) % 8:
        raise OSError(errno.EINVAL, "empty or malformed seccomp program")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    buf = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _SockFprog(len(bpf) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0), "seccomp filter")


# --------------------------------------------------------------------------- cgroups (v1 hierarchies)

def _own_cgroup(controller: str) -> str | None:
    """Directory of this process's cgroup in the v1 hierarchy of ``controller``."""
    base = f"/sys/fs/cgroup/{controller}"
    try:
        for line in _read("/proc/self/cgroup").splitlines():
            _, ctrls, path = line.split(":", 2)
            if controller in ctrls.split(","):
                return base + path.rstrip("/") if os.path.isdir(base + path) else None
    except (OSError, ValueError):
        return None
    return None


def sweep_cgroups() -> int:
    """Remove the empty cgroups of monitors that are gone (killed with their process group before
    they could clean up).  Once per zygote start; returns how many were removed."""
    removed = 0
    for controller in ("memory", "pids"):
        parent = _own_cgroup(controller)
        if parent is None:
            continue
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            pid = name[len("dlgrade-job-"):] if name.startswith("dlgrade-job-") else ""
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                try:
                    os.rmdir(os.path.join(parent, name))  # fails (EBUSY) if anything still runs in it
                    removed += 1
                except OSError:
                    pass
    return removed


class Job:
    """The isolation of one job.  Monitor side: before_fork/after_fork/finish; student side: enter."""

    def __init__(self, config: dict, numpy_site: str | None = None):
        sb = config.get("sandbox") or {}
        self.sb = sb
        self.enabled = bool(sb.get("enabled", True))
        self.limits = config.get("limits") or {}
        wanted = sb.get("layers")
        self.layers = set(LAYERS if wanted is None else wanted) - set(sb.get("disable") or ())
        require = sb.get("require")
        self.require = self.layers if require is None else set(require) & self.layers
        self.best_effort = bool(sb.get("best_effort"))
        self.status: dict[str, list] = {}
        self.root = os.geteuid() == 0
        self.uid: int | None = None
        self.userns = False
        self.cgroups: dict[str, str] = {}
        self.pid: int | None = None
        self.filter = None
        self.wall_hit = False
        self.numpy_site = numpy_site

    # -- bookkeeping
    def active(self, name: str) -> bool:
        return bool(self.status.get(name, [False])[0])

    def _layer(self, name: str, fn) -> bool:
        """Apply one layer; record why it failed; fail closed if it is required."""
        if name in LAYERS and name not in self.layers:
            self.status[name] = [False, "disabled by configuration"]
            return False
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - any failure means the layer is not there
            why = str(exc) or type(exc).__name__
            self.status[name] = [False, why]
            if name in self.require and not self.best_effort:
                raise SandboxError(f"{name}: {why}") from None
            return False
        self.status[name] = [True, ""]
        return True

    # -- monitor, before forking the student process
    def before_fork(self) -> None:
        if not self.enabled:
            return
        if self.root and "dedicated_uid" in self.layers:
            self.uid = int(self.sb.get("uid_base", DEFAULT_UID_BASE)) + os.getpid()
        if not self.root and self.layers & {"pid_namespace", "network_namespace", "filesystem_view",
                                            "ipc_uts_namespace", "unprivileged_user"}:
            self._layer("user_namespace", self._user_namespace)
        self._layer("pid_namespace", lambda: _unshare(CLONE_NEWPID, "PID"))
        self._layer("seccomp", self._build_filter)

    def _join_cgroup(self, controller: str, pid: int) -> None:
        self._make_cgroup(controller)
        _write(f"{self.cgroups[controller]}/cgroup.procs", str(pid))

    def _make_cgroup(self, controller: str) -> None:
        parent = _own_cgroup(controller)
        if parent is None:
            raise OSError(errno.ENOENT, f"no cgroup v1 '{controller}' hierarchy")
        path = f"{parent}/dlgrade-job-{os.getpid()}"
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:  # left by a monitor that was killed: reuse it
            pass
        self.cgroups[controller] = path
        if controller == "memory":
            mem = self.sb.get("cgroup_memory_bytes")
            if mem is None:
                mem = (self.limits.get("memory_bytes") or 1 << 30) + int(self.sb.get("tmp_bytes", DEFAULT_TMP_BYTES))
            _write(f"{path}/memory.limit_in_bytes", str(int(mem)))
        else:
            _write(f"{path}/pids.max", str(int(self.limits.get("processes") or 64)))

    def _user_namespace(self) -> None:
        uid, gid = os.getuid(), os.getgid()
        _unshare(CLONE_NEWUSER, "USER")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        self.userns = True

    def _build_filter(self) -> None:
        self.filter = filter_bpf(bool(self.sb.get("allow_fork")))

    def after_fork(self, pid: int) -> None:
        """Monitor: create the job's cgroups and move the student process in; cap its wall time.

        Creating a memory cgroup (≈ 1 ms) and moving a process between cgroup v1 groups (an RCU
        grace period unless another move happened just before: 0.3-15 ms) are done here, while the
        student process builds its namespaces (≈ 2 ms).  The grader only learns the pid (and sends
        the submission) after this returns, so no student code ever runs outside the cgroups.
        A failure kills the student process (fail closed)."""
        self.pid = pid
        if not self.enabled:
            return
        for ctl in ("memory", "pids"):
            try:
                self._layer(f"cgroup_{ctl}", lambda c=ctl: self._join_cgroup(c, pid))
            except SandboxError:
                os.kill(pid, signal.SIGKILL)
                raise
        wall = int(self.sb.get("wall_seconds", DEFAULT_WALL_SECONDS) or 0)
        if wall > 0:
            def on_alarm(signum, frame):
                self.wall_hit = True
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(wall)

    # -- student process, after setsid, before the rlimits
    def enter(self, keep_fds: tuple = ()) -> None:
        if not self.enabled:
            return
        self._close_fds(tuple(keep_fds) + ((_TEMPLATE_FD,) if _TEMPLATE_FD is not None else ()))
        self._layer("environment_scrubbed", self._scrub_env)
        if self.active("pid_namespace"):
            self._layer("pid_namespace", self._check_pid_one)
        self._layer("network_namespace", lambda: _unshare(CLONE_NEWNET, "NET"))
        self._layer("ipc_uts_namespace", self._ipc_uts)
        self._layer("filesystem_view", self._filesystem_view)
        if _TEMPLATE_FD is not None:  # never left to student code, whatever happened above
            try:
                os.close(_TEMPLATE_FD)
            except OSError:
                pass
        self._layer("unprivileged_user", drop_bounding_set)
        if self.uid is not None:
            self._layer("dedicated_uid", self._switch_uid)
        else:
            self.status["dedicated_uid"] = [False, "disabled by configuration" if self.root else
                                            "not root: the student runs as the grader's own uid"
                                            + (" in a user namespace" if self.userns else "")]
        if self.active("unprivileged_user"):
            self._layer("unprivileged_user", self._unprivileged)
        if self.filter is not None:
            self._layer("seccomp", lambda: load_bpf(self.filter))

    @staticmethod
    def _check_pid_one() -> None:
        if os.getpid() != 1:
            raise OSError(errno.EPERM, "the student process is not PID 1 of a new namespace")

    @staticmethod
    def _close_fds(keep: tuple) -> None:
        lo = 0
        for fd in sorted({0, 1, 2, *keep}):
            if fd > lo:
                os.closerange(lo, fd)
            lo = fd + 1
        os.closerange(lo, 1 << 20)

    @staticmethod
    def _scrub_env() -> None:
        for key in list(os.environ):
            if key not in ENV_KEEP:
                del os.environ[key]
        os.environ.update(HOME="/tmp", USER="student", LOGNAME="student")

    @staticmethod
    def _ipc_uts() -> None:
        _unshare(CLONE_NEWIPC | CLONE_NEWUTS, "IPC, UTS")
        _check(_libc.sethostname(b"sandbox", 7), "sethostname")

    def _filesystem_view(self) -> None:
        tmp_bytes = int(self.sb.get("tmp_bytes", DEFAULT_TMP_BYTES))
        extra_ro, hide = tuple(self.sb.get("extra_ro") or ()), tuple(self.sb.get("hide") or ())
        if _TEMPLATE_FD is not None and not extra_ro and not hide and not self.userns:
            try:
                enter_template(_TEMPLATE_FD, tmp_bytes)
            finally:
                os.close(_TEMPLATE_FD)
            return
        _unshare(CLONE_NEWNS, "mount")
        _view(self.numpy_site, extra_ro, hide).build(tmp_bytes)

    def _switch_uid(self) -> None:
        uid = self.uid
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # every id non-zero: the kernel clears all capabilities
        procs = self.limits.get("processes")
        if procs:  # RLIMIT_NPROC counts per uid, and this uid belongs to this job alone
            resource.setrlimit(resource.RLIMIT_NPROC, (int(procs), int(procs)))

    def _unprivileged(self) -> None:
        clear_capabilities()
        if os.geteuid() == 0 and not self.userns:
            raise OSError(errno.EPERM, "the student process would run as root")
        eff, perm = capabilities()
        if eff or perm:
            raise OSError(errno.EPERM, f"capabilities left: {eff:#x}/{perm:#x}")
        if _prctl(PR_GET_NO_NEW_PRIVS) != 1:
            raise OSError(errno.EPERM, "no_new_privs is not set")

    # -- monitor, after the student process ended
    def finish(self, status: int, rusage=None) -> dict:
        """Which limit ended the process (if any); end leftovers; remove the job's cgroups."""
        signal.alarm(0)
        info: dict = {}
        if not self.enabled:
            return info
        if self.uid is not None and not self.active("pid_namespace"):
            self._kill_uid()  # degraded: no PID namespace, so end every process of the job's uid
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            cpu = self.limits.get("cpu_seconds")
            used = (rusage.ru_utime + rusage.ru_stime) if rusage is not None else 0.0
            if self.wall_hit:
                info["limit"] = "wall"
            elif self._oom_killed():
                info["limit"] = "memory"
            elif cpu and used >= cpu - 0.05:
                info["limit"] = "cpu"
        self._remove_cgroups()
        return info

    def _oom_killed(self) -> bool:
        path = self.cgroups.get("memory")
        if not path:
            return False
        try:
            for line in _read(f"{path}/memory.oom_control").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def _remove_cgroups(self) -> None:
        for path in self.cgroups.values():
            for _ in range(100):  # the namespace's last tasks may take a moment to be released
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.002)
        self.cgroups = {}

    def _kill_uid(self) -> None:
        pid = os.fork()
        if pid == 0:
            try:
                os.setresuid(self.uid, self.uid, self.uid)
                for _ in range(20):
                    os.kill(-1, signal.SIGKILL)  # every process of this uid except this one
            except OSError:
                pass
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


_VIEWS: dict = {}


_PACKAGE_RO: tuple = ()  # the zygote's preloaded packages (PyTorch...): part of every job's view


def _view(numpy_site, extra_ro, hide) -> View:
    extra_ro = _PACKAGE_RO + tuple(extra_ro)
    key = (numpy_site, extra_ro, hide)
    if key not in _VIEWS:
        _VIEWS[key] = View(numpy_site, extra_ro, hide)
    return _VIEWS[key]


def prepare(numpy_site: str | None = None, template: bool = True, packages: tuple = ()) -> None:
    """Called once in the zygote: compile the seccomp filters, compute the default view.

    ``packages``: directories (and single-file modules) of the packages the zygote preloaded; every
    job's view shows them read-only, like NumPy."""
    global _TEMPLATE_FD, _TEMPLATE_UNDER_TMP, _PACKAGE_RO
    _PACKAGE_RO = tuple(os.path.abspath(p) for p in packages)
    for allow_fork in (False, True):
        try:
            filter_bpf(allow_fork)
        except Exception:  # noqa: BLE001 - reported per job (and by the probe) as a missing layer
            pass
    view = _view(numpy_site, (), ())
    if os.geteuid() == 0:
        sweep_cgroups()
    if template and os.geteuid() == 0 and _TEMPLATE_FD is None:
        try:
            _TEMPLATE_FD = make_template(view)
            _TEMPLATE_UNDER_TMP = list(view.under_tmp)
        except Exception:  # noqa: BLE001 - jobs then build the view themselves
            _TEMPLATE_FD = None


# --------------------------------------------------------------------------- probe

def probe(numpy_site: str | None = None) -> dict:
    """Apply every layer in a throw-away monitor + child, as a job would; report each one."""
    import json
    r, w = os.pipe()
    monitor = os.fork()
    if monitor == 0:  # the probe's "monitor"
        try:
            os.close(r)
            job = Job({"sandbox": {"best_effort": True, "wall_seconds": 10},
                       "limits": {"memory_bytes": 1 << 30, "processes": 16}}, numpy_site)
            job.before_fork()
            child = os.fork()
            if child == 0:
                try:
                    os.setsid()
                    job.enter(keep_fds=(w,))
                    job._layer("rlimits", lambda: (resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)),
                                                   resource.setrlimit(resource.RLIMIT_CPU, (5, 6))))
                    _verify(job)
                    os.write(w, json.dumps(job.status).encode() + b"\n")
                finally:
                    os._exit(0)
            job.after_fork(child)
            os.waitpid(child, 0)
            job.finish(0)
            os.write(w, json.dumps({k: v for k, v in job.status.items() if k.startswith("cgroup_")}).encode()
                     + b"\n")
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    os.waitpid(monitor, 0)
    status: dict = {}
    for line in b"".join(chunks).splitlines():
        try:
            status.update(json.loads(line))
        except ValueError:
            pass
    out = {}
    for name in LAYERS:
        ok, why = status.get(name, [False, "the probe process did not report (it failed early)"])
        out[name] = {"active": bool(ok), "why": why or "active", "required": name in REQUIRED}
    if "user_namespace" in status and not status["user_namespace"][0]:
        for name in ("pid_namespace", "network_namespace", "filesystem_view", "ipc_uts_namespace"):
            if not out[name]["active"]:
                out[name]["why"] = f"no user namespace ({status['user_namespace'][1]})"
    return out


def _verify(job: Job) -> None:
    """Check the properties the layers claim, from inside."""
    import socket
    st = job.status
    if st.get("pid_namespace", [False])[0] and os.getpid() != 1:
        st["pid_namespace"] = [False, "the process is not PID 1 of its namespace"]
    if st.get("filesystem_view", [False])[0] and (os.path.exists("/etc/shadow") or os.path.exists(os.path.abspath(__file__))):
        st["filesystem_view"] = [False, "hidden paths are still visible"]
    if st.get("network_namespace", [False])[0] and not st.get("seccomp", [False])[0]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.2)
        try:
            s.connect(("127.0.0.1", 9))
            st["network_namespace"] = [False, "127.0.0.1 is reachable"]
        except OSError:
            pass
        finally:
            s.close()
    if st.get("seccomp", [False])[0]:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
            st["seccomp"] = [False, "an AF_INET socket could still be created"]
        except PermissionError:
            pass
    if st.get("unprivileged_user", [False])[0] and os.geteuid() == 0 and not job.userns:
        st["unprivileged_user"] = [False, "still root"]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        site = sys.argv[2] if len(sys.argv) > 2 else None
        if site:
            sys.path.append(site)  # where pyseccomp is installed (the venv's site-packages)
        prepare(site, template=False)  # the probe's one job builds the view itself
        import json

        print(json.dumps(probe(site)))
    else:
        print("usage: python -I -S child.py probe [NUMPY_SITE]", file=sys.stderr)
        sys.exit(2)
