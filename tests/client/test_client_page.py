"""GET /client/: the install page and the wheel the service builds from client/ (stdlib zip, PEP 427)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import httpx

import dlgrade_client
from api.client_wheel import build_wheel, package_dir
from api.version import VERSION


def test_the_client_is_versioned_with_the_service():
    assert dlgrade_client.__version__ == VERSION != "0+unknown"


def test_the_page_has_the_install_line_and_the_wheel_installs_what_client_holds(live):
    page = httpx.get(live.url + "/client/", timeout=30)
    assert page.status_code == 200 and '<html lang="ja">' in page.text
    name = f"dlgrade_client-{VERSION}-py3-none-any.whl"
    assert f"%pip install {live.url}/client/{name}" in page.text
    assert f'dlg.connect("{live.url}")' in page.text  # the starter cell names this server
    assert "Checking from a notebook" in httpx.get(live.url + "/client/?lang=en", timeout=30).text

    wheel = httpx.get(f"{live.url}/client/{name}", timeout=30)
    assert wheel.status_code == 200 and wheel.headers["content-type"] == "application/zip"
    assert httpx.get(f"{live.url}/client/dlgrade_client-0.0.1-py3-none-any.whl", timeout=30).status_code == 404
    zf = zipfile.ZipFile(io.BytesIO(wheel.content))
    sources = {p.name for p in package_dir().glob("*.py")}
    assert {n.split("/", 1)[1] for n in zf.namelist() if n.startswith("dlgrade_client/")} == sources
    meta = zf.read(f"dlgrade_client-{VERSION}.dist-info/METADATA").decode()
    assert "Name: dlgrade-client\n" in meta and f"Version: {VERSION}\n" in meta and "Requires-Python: >=3.9" in meta
    assert "Tag: py3-none-any" in zf.read(f"dlgrade_client-{VERSION}.dist-info/WHEEL").decode()
    record = zf.read(f"dlgrade_client-{VERSION}.dist-info/RECORD").decode().splitlines()
    for line in record:
        path, digest, size = line.rsplit(",", 2)
        if digest:  # every file's hash and size as pip checks them
            data = zf.read(path)
            assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert int(size) == len(data)
    assert len(record) == len(zf.namelist())
    # pip installed that wheel for the kernels (conftest): the same files
    installed = live.client_path / "dlgrade_client" / "__init__.py"
    assert installed.read_bytes() == (package_dir() / "__init__.py").read_bytes()


def test_the_wheel_is_the_same_bytes_for_the_same_sources():
    assert build_wheel(package_dir(), VERSION).data == build_wheel(package_dir(), VERSION).data
