"""The service's version (the notebook client, ``client/``, is released at the same one)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("dlgrade")
except PackageNotFoundError:  # a checkout run without installing it
    VERSION = "0+unknown"
