"""Optional packages an exercise may need in the student process (``Exercise.requires``).

PyTorch is the one there is (``pip install 'dlgrade[torch]'``, for the §3.8 ``autograd`` exercise).
Whether it is installed is decided without importing it (``find_spec``: microseconds), so the
catalogue, ``dlgrade doctor`` and the service can say so without paying PyTorch's ≈ 1.7 s import;
only the zygote that serves such an exercise imports it (``grader/runner/pool.py``).
"""

from __future__ import annotations

from grader.messages import Msg
from grader.sandbox.env import package_site

#: package -> (what it is called, how to install it)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("PyTorch", "pip install 'dlgrade[torch]'"),
}


def installed(package: str) -> bool:
    return package_site(package) is not None


def version(package: str) -> str | None:
    """The installed distribution's version, or None."""
    from importlib.metadata import PackageNotFoundError, version as dist_version

    if not installed(package):
        return None
    try:
        return dist_version(package)
    except PackageNotFoundError:
        return "unknown"


def missing(requires) -> list[str]:
    """The packages of ``requires`` that are not installed here."""
    return [p for p in requires if not installed(p)]


def unavailable_message(packages: list[str]) -> Msg:
    """The one sentence every item of an exercise gets when its packages are not installed."""
    names = ", ".join(EXTRAS.get(p, (p, ""))[0] for p in packages)
    how = "; ".join(EXTRAS.get(p, (p, f"pip install {p}"))[1] for p in packages)
    return Msg(en=f"This exercise needs {names}, which is not installed on this grader, so it cannot be graded "
                  f"here (not your fault): the administrator installs it with `{how}`.",
               ja=f"この課題には {names} が必要ですが、この採点環境にはインストールされていないため採点できません"
                  f"(あなたの誤りではありません)。管理者が `{how}` でインストールします。")


def report(exercises) -> dict:
    """For ``dlgrade doctor``: each optional package, whether it is installed (and which version), the
    exercises that need it, and how to install it.  ``exercises``: the catalogue's Exercise objects."""
    out = {}
    for package, (name, how) in EXTRAS.items():
        out[package] = {"name": name, "installed": installed(package), "version": version(package),
                        "exercises": [ex.id for ex in exercises if package in ex.requires], "install": how}
    return out
