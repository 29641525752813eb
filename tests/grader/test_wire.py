"""The wire format carries data only: .npy without pickle, strict decoding."""

import io
import pickle

import numpy as np
import pytest

from grader.runner import wire


@pytest.mark.parametrize("arr", [np.ones(3), np.arange(6).reshape(2, 3), np.array(2.5), np.zeros((0, 4)),
                                 np.ones((2, 3, 4), dtype=np.float32), np.array([True, False]),
                                 np.arange(4, dtype=np.uint8), np.ones((3, 1)), np.asfortranarray(np.ones((2, 3)))])
def test_npy_bytes_match_numpy_save_and_round_trip(arr):
    data = wire.array_to_npy(arr)
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    assert data == buf.getvalue()
    back = wire.npy_to_array(data)
    assert back.dtype == arr.dtype and back.shape == arr.shape and np.array_equal(back, arr)
    assert back.flags.writeable
    blobs: list[bytes] = []
    assert wire.decode(wire.encode(arr, blobs), blobs).shape == arr.shape


def test_object_arrays_and_pickles_are_refused():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.ProtocolError):
        wire.npy_to_array(buf.getvalue())
    with pytest.raises(wire.ProtocolError):
        wire.npy_to_array(pickle.dumps(np.ones(3)))
    with pytest.raises(ValueError):
        wire.encode(np.array([object()], dtype=object), [])


def test_truncated_array_data_is_refused():
    data = wire.array_to_npy(np.ones(10))
    with pytest.raises(wire.ProtocolError):
        wire.npy_to_array(data[:-8])


def test_values_round_trip_and_unknown_types_are_opaque():
    blobs: list[bytes] = []
    value = {"a": [1, 2.5, None, True, "s"], "b": (np.ones(2), np.float32(3)), 3: float("nan")}
    node = wire.encode(value, blobs)
    back = wire.decode(node, blobs)
    assert back["a"] == [1, 2.5, None, True, "s"]
    assert np.array_equal(back["b"][0], np.ones(2)) and back["b"][1] == 3
    assert np.isnan(back[3])
    assert isinstance(wire.decode(wire.encode(object(), []), []), wire.Opaque)


@pytest.mark.parametrize("node", [{"t": "nd", "i": 5}, {"t": "pickle", "v": "x"}, {"t": "slot", "id": 1}, [1, 2],
                                  {"t": "dict", "v": [[{"t": "list", "v": []}, 1]]}])
def test_decoding_is_strict(node):
    with pytest.raises((wire.ProtocolError, TypeError, KeyError)):
        wire.decode(node, [])


def test_a_pytorch_tensor_travels_as_its_array():
    """The autograd exercise (§3.8) may return tensors: requires_grad, float32, bfloat16, 0-d, non-contiguous."""
    import torch  # dlgrade[torch]: `make setup` installs it
    x = torch.arange(6, dtype=torch.float64).reshape(2, 3).requires_grad_()
    cases = [(x * 2, np.arange(6.0).reshape(2, 3) * 2, np.float64),
             (torch.ones(3, dtype=torch.float32), np.ones(3), np.float32),
             (torch.tensor([1.5, 2.0], dtype=torch.bfloat16), np.array([1.5, 2.0]), np.float64),
             (torch.tensor(2.5), np.array(2.5), np.float32),
             (torch.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3).T, np.float32)]
    for tensor, expected, dtype in cases:
        blobs: list[bytes] = []
        back = wire.decode(wire.encode(tensor, blobs), blobs)
        assert isinstance(back, np.ndarray) and back.dtype == dtype and np.array_equal(back, expected)
    blobs = []
    pair = wire.decode(wire.encode((x.detach(), torch.zeros(2)), blobs), blobs)
    assert isinstance(pair, tuple) and [a.shape for a in pair] == [(2, 3), (2,)]
