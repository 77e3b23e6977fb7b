"""Checksums: the inline MD5 is fed in pieces (to keep the GIL); the result must be
hashlib's, whatever the size and the buffer type."""

from __future__ import annotations

import array
import base64
import hashlib
import os

import pytest

from acloud.storage.checksums import INLINE_HASH_LIMIT, RunningChecksums, md5_of


@pytest.mark.parametrize(
    "size", [0, 1, 2046, 2047, 2048, 4094, 4096, INLINE_HASH_LIMIT, INLINE_HASH_LIMIT + 1, 1 << 20]
)
def test_md5_of_is_hashlib_s_md5_at_every_size(size):
    data = os.urandom(size)
    digest = hashlib.md5(data)
    expected = (base64.b64encode(digest.digest()).decode(), digest.hexdigest())
    assert md5_of(data) == expected
    assert md5_of(memoryview(data)) == expected
    assert md5_of(bytearray(data)) == expected


def test_md5_of_a_typed_buffer_hashes_its_bytes():
    numbers = array.array("i", range(3000))  # 12,000 bytes, items of 4
    assert md5_of(memoryview(numbers)) == md5_of(numbers.tobytes())


def test_running_checksums_fed_in_pieces_match_one_md5():
    data = os.urandom(10_000)
    sums = RunningChecksums()
    for start in range(0, len(data), 3000):
        sums.update(data[start : start + 3000])
    assert sums.md5_hex == md5_of(data)[1]
