"""Test helper: a minimal OLE2 compound file builder (what Office wraps an encrypted .xlsx in).

Used by tests/extract/test_bad_files.py and the bad-input corpus (tests/corpus/make_corpus.py).
"""

from __future__ import annotations

import struct

from gongkai.extract.ole import MAGIC


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 container (as Office writes an encrypted .xlsx): small streams in the mini stream."""
    sector, mini, end, free = 512, 64, 0xFFFFFFFE, 0xFFFFFFFF
    mini_stream, mini_fat, entries = b"", [], []
    for name, data in streams.items():
        start, count = len(mini_stream) // mini, -(-len(data) // mini)
        mini_fat += [start + i + 1 for i in range(count - 1)] + [end]
        mini_stream += data.ljust(count * mini, b"\0")
        entries.append((name, 2, start, len(data)))
    # Sectors: 0 FAT, 1 directory, 2 mini FAT, 3... the mini stream.
    n_mini = -(-len(mini_stream) // sector)
    fat = [0xFFFFFFFD, end, end] + [3 + i + 1 for i in range(n_mini - 1)] + [end]
    directory = b""
    for name, kind, start, size in [("Root Entry", 5, 3, len(mini_stream)), *entries]:
        encoded = (name + "\0").encode("utf-16-le")
        entry = encoded.ljust(64, b"\0") + struct.pack("<HBB3I", len(encoded), kind, 1, free, free, free)
        entry = entry.ljust(0x74, b"\0") + struct.pack("<IQ", start, size)
        directory += entry
    header = MAGIC + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, 2, 1, end, 0) + struct.pack("<I", 0)
    header = header.ljust(512, b"\xff")

    def sectorize(data):
        return data.ljust(-(-max(len(data), 1) // sector) * sector, b"\0")

    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(sector, b"\xff")
    return header + fat_bytes + sectorize(directory) + mini_fat_bytes + sectorize(mini_stream)
