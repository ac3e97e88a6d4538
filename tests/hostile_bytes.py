"""Hostile bytes made from real files, shared by the reader tests and the browser's upload test."""

from __future__ import annotations


def spinning_model_config(h5: bytes) -> bytes:
    """The global-heap object holding model_config claims a slightly larger size: libhdf5
    1.14 then loops while reading the attribute, and ignores SIGTERM."""
    data = bytearray(h5)
    start = data.index(b'{"class_name"')  # the heap object's bytes; its 8-byte size sits just before
    data[start - 8] = 0xFF
    return bytes(data)
