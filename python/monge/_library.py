"""The ctypes side of libMongeC: finding the library, passing numpy arrays, reading results.

Arrays go to Monge without a copy on this side: the C ABI takes a data pointer with the shape
and the strides in elements, so contiguous, transposed, sliced and reversed float64 arrays are all
passed as they are (Monge reads each element once into its own row-major storage, as the command
line does from a file). float32 arrays are widened to float64 first (exact). Every foreign call
runs with the GIL released (ctypes.CDLL), so other Python threads keep running during a long
solve or training run.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

_LIBRARY_NAME = "libMongeC.dylib" if sys.platform == "darwin" else "libMongeC.so"
_ERROR_CAPACITY = 4096

STATUS_OK, STATUS_MONGE_ERROR, STATUS_OTHER_ERROR, STATUS_STOPPED = 0, 1, 2, 3


class MongeError(ValueError):
    """An error Monge reported (bad input, a file it could not read, a failed computation); the
    message is Monge's own, naming the argument, file or field at fault."""


class MongeInternalError(RuntimeError):
    """An error inside Monge that is not about the input (a bug or a system failure)."""


def find_library() -> Path:
    """The path of libMongeC: $MONGE_LIBRARY, else beside $MONGE_BINARY, else `.build/release/`
    of the repository holding this package or the current directory (or one of their parents)."""
    explicit = os.environ.get("MONGE_LIBRARY")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise MongeError(f"MONGE_LIBRARY={explicit}: no such file (build it with `swift build -c release --product MongeC`)")
        return path
    candidates = []
    binary = os.environ.get("MONGE_BINARY")
    if binary:
        candidates.append(Path(binary).resolve().parent / _LIBRARY_NAME)
    for base in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for folder in (base, *base.parents):
            candidates.append(folder / ".build" / "release" / _LIBRARY_NAME)
    for path in candidates:
        if path.is_file():
            return path
    raise MongeError(f"{_LIBRARY_NAME} not found: build it in the repository with `make build` "
                     f"(or `swift build -c release --product MongeC`), or set MONGE_LIBRARY to its path")


_lock = threading.Lock()
_library: Optional[ctypes.CDLL] = None

_P = ctypes.c_void_p
_I64 = ctypes.c_int64
_I64P = ctypes.POINTER(ctypes.c_int64)
_DP = ctypes.POINTER(ctypes.c_double)
_STR = ctypes.c_char_p
_RESULT = ctypes.POINTER(ctypes.c_void_p)
PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.c_void_p)

_MATRIX = [_DP, _I64P]
_TAIL = [_RESULT, ctypes.c_char_p, _I64]
_SIGNATURES = {
    "monge_version": ([], ctypes.c_char_p),
    "monge_set_threads": ([_I64], None),
    "monge_threads": ([], _I64),
    "monge_result_json": ([_P], ctypes.c_char_p),
    "monge_result_array": ([_P, _STR, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int32), _I64P, _I64P], ctypes.c_int32),
    "monge_result_free": ([_P], None),
    "monge_ot": (_MATRIX * 4 + [_STR] + _TAIL, ctypes.c_int32),
    "monge_compare": (_MATRIX * 5 + [_STR] + _TAIL, ctypes.c_int32),
    "monge_data": ([_STR, _I64, ctypes.c_uint64, _STR] + _TAIL, ctypes.c_int32),
    "monge_images": ([_STR] + _TAIL, ctypes.c_int32),
    "monge_sample": ([_STR, _I64, _STR, PROGRESS, _P] + _TAIL, ctypes.c_int32),
    "monge_encode": ([_STR] + _MATRIX + [_STR, PROGRESS, _P] + _TAIL, ctypes.c_int32),
    "monge_decode": ([_STR] + _MATRIX + [_STR, PROGRESS, _P] + _TAIL, ctypes.c_int32),
    "monge_translate": ([_STR, _STR] + _MATRIX + [_STR, PROGRESS, _P] + _TAIL, ctypes.c_int32),
    "monge_epsilon": ([_STR] + _MATRIX + [_I64] + _TAIL, ctypes.c_int32),
    "monge_train": (_MATRIX + [_STR, _STR, PROGRESS, _P] + _TAIL, ctypes.c_int32),
    "monge_save_model": ([_STR, _STR, _I64, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
                          _I64P, _I64P, ctypes.c_char_p, _I64], ctypes.c_int32),
}


def library() -> ctypes.CDLL:
    """libMongeC, loaded once (CDLL: the GIL is released during every call)."""
    global _library
    with _lock:
        if _library is None:
            lib = ctypes.CDLL(str(find_library()))
            for name, (arguments, result) in _SIGNATURES.items():
                function = getattr(lib, name)
                function.argtypes = arguments
                function.restype = result
            _library = lib
        return _library


# MARK: arrays in

class Matrix:
    """A numpy array as the ABI's (pointer, [rows, columns, row stride, column stride]); keeps the
    array alive for the call."""

    def __init__(self, name: str, value: Any, *, vector: bool = False, optional: bool = False):
        self.name = name
        if value is None:
            if not optional:
                raise TypeError(f"{name}: an array is required, got None")
            self.array = None
            self.data = None
            self.shape = None
            return
        array = value if isinstance(value, np.ndarray) else _from_sequence(name, value)
        if array.dtype.kind != "f" or array.dtype.itemsize not in (4, 8):
            raise TypeError(f"{name}: dtype {array.dtype}; Monge takes float64 (or float32) arrays "
                            f"(convert with {name}.astype(np.float64))")
        if not array.dtype.isnative:
            raise TypeError(f"{name}: dtype {array.dtype.str} is not in the machine's byte order "
                            f"(convert with {name}.astype(np.float64))")
        if array.dtype.itemsize == 4:
            array = array.astype(np.float64)  # exact: every float32 is a float64
        if vector:
            if array.ndim != 1:
                raise ValueError(f"{name}: expected a 1-D array of weights, got shape {array.shape}")
            rows, columns = array.shape[0], 1
            strides = (array.strides[0], 0)
        else:
            if array.ndim != 2:
                hint = f" (for 1-D points use {name}[:, None])" if array.ndim == 1 else ""
                raise ValueError(f"{name}: expected a 2-D array [points, dimension], got shape {array.shape}{hint}")
            rows, columns = array.shape
            strides = array.strides
        if any(s % 8 for s in strides):
            raise ValueError(f"{name}: strides {array.strides} are not whole elements "
                             f"(copy it with np.ascontiguousarray({name}))")
        self.array = array
        self.data = array.ctypes.data_as(_DP)
        self.shape = (ctypes.c_int64 * 4)(rows, columns, strides[0] // 8, strides[1] // 8)

    @property
    def arguments(self):
        return [self.data, self.shape]


def _from_sequence(name: str, value: Any) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected a numpy array of float64, got {type(value).__name__} ({error})") from None


def options(**values: Any) -> bytes:
    """Keyword options as the ABI's JSON object (None values left out)."""
    return json.dumps({k: v for k, v in values.items() if v is not None}).encode()


def text(value: Any, name: str) -> bytes:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a string (a checkpoint folder or an oracle spec), got {type(value).__name__}")
    return value.encode()


# MARK: calls and results

class Progress:
    """A Python callable as the ABI's progress callback. The callable gets (done, total, value);
    returning False, or raising, asks Monge to stop; the exception is re-raised after the call."""

    def __init__(self, callback: Optional[Callable[..., Any]]):
        self.callback = callback
        self.error: Optional[BaseException] = None
        self.lock = threading.Lock()

        def call(done, total, value, _context):
            if self.error is not None:
                return 1
            try:
                keep_going = self.callback(int(done), int(total), float(value))
            except BaseException as error:  # noqa: B902 - KeyboardInterrupt too: stop cleanly, re-raise after
                with self.lock:
                    self.error = self.error or error
                return 1
            return 1 if keep_going is False else 0

        self.pointer = PROGRESS(call) if callback is not None else PROGRESS()

    def reraise(self):
        if self.error is not None:
            raise self.error


def call(function: str, *arguments, progress: Optional[Progress] = None, result: bool = True):
    """Calls `function` with `arguments` + (result handle, error buffer); returns the handle (a
    `Result`) or raises Monge's error. Status 3 (stopped by the callback) returns the result."""
    lib = library()
    handle = ctypes.c_void_p()
    error = ctypes.create_string_buffer(_ERROR_CAPACITY)
    tail = ([ctypes.byref(handle)] if result else []) + [error, _ERROR_CAPACITY]
    status = getattr(lib, function)(*arguments, *tail)
    if progress is not None and status != STATUS_OK and status != STATUS_STOPPED:
        progress.reraise()
    if status == STATUS_MONGE_ERROR:
        raise MongeError(error.value.decode("utf-8", "replace"))
    if status == STATUS_OTHER_ERROR:
        raise MongeInternalError(error.value.decode("utf-8", "replace"))
    if status not in (STATUS_OK, STATUS_STOPPED):
        raise MongeInternalError(f"{function} returned the unknown status {status}")
    if not result:
        return None
    return Result(handle, status)


_DTYPES = {0: np.float64, 1: np.float32, 2: np.int64}


class Result:
    """A result handle: `info` (the JSON scalars) and `array(name)`, copied out; freed on close."""

    def __init__(self, handle: ctypes.c_void_p, status: int):
        self.handle = handle
        self.stopped = status == STATUS_STOPPED
        self.info = json.loads(library().monge_result_json(handle).decode())

    def array(self, name: str, *, vector: bool = False) -> Optional[np.ndarray]:
        data, dtype = ctypes.c_void_p(), ctypes.c_int32()
        rows, columns = ctypes.c_int64(), ctypes.c_int64()
        if library().monge_result_array(self.handle, name.encode(), ctypes.byref(data), ctypes.byref(dtype),
                                        ctypes.byref(rows), ctypes.byref(columns)) != 0:
            return None
        kind = np.dtype(_DTYPES[dtype.value])
        shape = (rows.value,) if vector else (rows.value, columns.value)
        count = rows.value * columns.value
        if count == 0 or not data.value:
            return np.zeros(shape, dtype=kind)
        buffer = (ctypes.c_char * (count * kind.itemsize)).from_address(data.value)
        return np.frombuffer(buffer, dtype=kind, count=count).reshape(shape).copy()

    def close(self):
        if self.handle:
            library().monge_result_free(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
