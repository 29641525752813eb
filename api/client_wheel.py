"""The notebook client's wheel, built from ``client/dlgrade_client`` with the standard library (a wheel is a
zip with a ``.dist-info``: PEP 427), so the service can serve ``%pip install http://…/client/<wheel>``."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

DISTRIBUTION = "dlgrade-client"
PACKAGE = "dlgrade_client"
REQUIRES_PYTHON = ">=3.9"
SUMMARY = "Check and submit dlgrade exercises from a Jupyter, JupyterLab, VS Code or Colab notebook."
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same bytes


@dataclass(frozen=True)
class Wheel:
    filename: str
    data: bytes
    version: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def package_dir() -> Path:
    """Where ``dlgrade_client`` is: the checkout's ``client/`` (editable) or the installed package."""
    import dlgrade_client

    return Path(dlgrade_client.__file__).resolve().parent


def build_wheel(source: Path, version: str) -> Wheel:
    """A ``py3-none-any`` wheel of the package in ``source`` (its ``*.py`` files), at ``version``."""
    dist_info = f"{PACKAGE}-{version}.dist-info"
    files: list[tuple[str, bytes]] = [(f"{PACKAGE}/{p.name}", p.read_bytes()) for p in sorted(source.glob("*.py"))]
    files.append((f"{dist_info}/METADATA", (
        "Metadata-Version: 2.1\n"
        f"Name: {DISTRIBUTION}\n"
        f"Version: {version}\n"
        f"Summary: {SUMMARY}\n"
        f"Requires-Python: {REQUIRES_PYTHON}\n"
        "License: MIT\n").encode()))
    files.append((f"{dist_info}/WHEEL", (
        "Wheel-Version: 1.0\n"
        "Generator: dlgrade\n"
        "Root-Is-Purelib: true\n"
        "Tag: py3-none-any\n").encode()))
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files]
    record.append(f"{dist_info}/RECORD,,")
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return Wheel(f"{PACKAGE}-{version}-py3-none-any.whl", buf.getvalue(), version)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


_lock = threading.Lock()
_cached: Wheel | None = None


def client_wheel() -> Wheel:
    """The wheel of the installed client at the service's version, built once per process."""
    global _cached
    with _lock:
        if _cached is None:
            from api.version import VERSION

            _cached = build_wheel(package_dir(), VERSION)
        return _cached
