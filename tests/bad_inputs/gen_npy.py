#!/usr/bin/env python3
"""Regenerates the binary .npy entries of the bad-input corpus (no numpy needed)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(header, data=b"", version=(1, 0), magic=b"\x93NUMPY"):
    h = header.encode("latin1")
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    if version[0] == 1:
        pre = magic + bytes(version) + struct.pack("<H", len(h))
    else:
        pre = magic + bytes(version) + struct.pack("<I", len(h))
    return pre + h + data


def f4(n):
    return struct.pack("<%df" % n, *[float(i % 7) for i in range(n)])


ENTRIES = {
    # a valid [2, 4, 8] float32 tensor (the partner of the bad Q / K files)
    "good_k_2x4x8.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }", f4(64)),
    "npy_bad_magic.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }", f4(64),
                             magic=b"\x93NUMPZ"),
    "npy_empty_file.npy": b"",
    "npy_truncated_preamble.npy": b"\x93NUMPY\x01",
    "npy_truncated_header.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }")[:40],
    "npy_truncated_data.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }", f4(63)),
    "npy_extra_bytes.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }", f4(65)),
    "npy_unsupported_dtype.npy": npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 4, 8), }",
                                     b"\0" * 16 * 64),
    "npy_unicode_dtype.npy": npy("{'descr': '<U4', 'fortran_order': False, 'shape': (2, 4, 8), }",
                                 b"\0" * 16 * 64),
    "npy_structured_dtype.npy": npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 4, 8), }",
                                    f4(64)),
    "npy_bad_version.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }", f4(64),
                               version=(9, 0)),
    "npy_header_garbage.npy": npy("this is not a python dict", f4(64)),
    "npy_missing_shape.npy": npy("{'descr': '<f4', 'fortran_order': False, }", f4(64)),
    "npy_negative_dim.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -4, 8), }", f4(64)),
    "npy_shape_overflow.npy": npy("{'descr': '<f8', 'fortran_order': False, "
                                  "'shape': (4294967296, 4294967296, 8), }", f4(64)),
    "npy_huge_header_len.npy": b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{}",
    "npy_rank1.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }", f4(64)),
    "npy_head_dim_mismatch.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 16), }",
                                     f4(128)),
    "npy_zero_length.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0, 8), }"),
    "npy_nan_values.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 8), }",
                              struct.pack("<f", float("nan")) * 64),
}

for name, data in ENTRIES.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
