"""The wire format between the grader and a student process, one module for both sides.

The grader imports it as ``grader.runner.wire``; the student process (``student.py``, run as a
script that must not import the ``grader`` package) loads this file by path.  Standard library and
NumPy only.

A message is ``u32 header length | header JSON | u32 blob count | (u64 length | bytes)*``.
Arrays travel as ``.npy`` bytes written and read with ``allow_pickle=False``; everything else is
JSON.  Nothing is ever pickled.
"""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import sys

import numpy as np

MAX_MESSAGE = 256 * 1024 * 1024
MAX_DEPTH = 8
MAX_ITEMS = 100_000
MAX_STR = 2000


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
    torch = sys.modules.get("torch")  # a PyTorch tensor travels as its array (student side, §3.8)
    if torch is not None and isinstance(value, getattr(torch, "Tensor", ())):
        return encode(tensor_to_array(torch, value), blobs, slots, depth)
    return {"t": "obj", "type": type(value).__name__[:100]}


def tensor_to_array(torch, value) -> np.ndarray:
    """A tensor's values as a NumPy array: detached from the graph, on the CPU; a dtype NumPy lacks
    (bfloat16) widened to float64."""
    t = value.detach().cpu()
    if t.dtype == getattr(torch, "bfloat16", None):
        t = t.to(torch.float64)
    return t.resolve_conj().resolve_neg().numpy().copy()


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
    """The grader's handle on an object that stays in the student process (slot number)."""

    __slots__ = ("slot", "generation", "label")

    def __init__(self, slot: int, generation: int = 0, label: str = ""):
        self.slot = slot
        self.generation = generation
        self.label = label

    def __repr__(self) -> str:
        return f"Ref({self.slot}, {self.label!r})"
