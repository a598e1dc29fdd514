"""Just enough of the OLE2 compound file format (MS-CFB) to list the streams of an .xls and read one.

Needed because calamine hides two things an .xls can hold: error cells (it returns "" for #DIV/0!)
and encryption (an encrypted .xlsx is an OLE container, not a zip). Nothing is installed for it.
"""

from __future__ import annotations

import struct

MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
END_OF_CHAIN = 0xFFFFFFFA        # any sector number from here up ends a chain (free, end, FAT, DIFAT)
HEADER_DIFAT = 109               # FAT sector numbers kept in the header itself
STREAM, ROOT = 2, 5              # directory entry types


class CompoundFile:
    """An OLE2 container held in memory: `names` of its streams and `read(name)`."""

    def __init__(self, data: bytes):
        if not data.startswith(MAGIC) or len(data) < 512:
            raise ValueError("not an OLE2 compound file")
        self.data = data
        self.sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
        (n_fat, first_dir, _, self.cutoff, first_minifat, _, first_difat, _) = struct.unpack_from("<8I", data, 0x2C)
        self.fat = self._table(self._fat_sectors(n_fat, first_difat))
        self.entries = self._directory(first_dir)
        root = next(e for e in self.entries if e[1] == ROOT)
        self._mini_stream = self._chain_bytes(root[2], self.fat, self._sector, self.sector_size)
        self.minifat = self._table(self._chain(first_minifat, self.fat))

    @property
    def names(self) -> set[str]:
        """Stream names, case-folded (CFB compares names without case)."""
        return {name.casefold() for name, kind, _, _ in self.entries if kind == STREAM}

    def read(self, name: str) -> bytes:
        _, _, start, size = next(e for e in self.entries if e[1] == STREAM and e[0].casefold() == name.casefold())
        if size < self.cutoff:  # small streams live in the mini stream, in 64-byte sectors
            data = self._chain_bytes(start, self.minifat, self._mini_sector, self.mini_size)
        else:
            data = self._chain_bytes(start, self.fat, self._sector, self.sector_size)
        return data[:size]

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.sector_size  # sector 0 follows the 512-byte header
        return self.data[start:start + self.sector_size]

    def _mini_sector(self, n: int) -> bytes:
        return self._mini_stream[n * self.mini_size:(n + 1) * self.mini_size]

    def _table(self, sectors) -> list[int]:
        raw = b"".join(self._sector(n) for n in sectors)
        return list(struct.unpack(f"<{len(raw) // 4}I", raw[:len(raw) // 4 * 4]))

    @staticmethod
    def _chain(start: int, table: list[int]):
        seen = set()  # a damaged file may loop; stop instead of hanging
        while start < END_OF_CHAIN and start < len(table) and start not in seen:
            seen.add(start)
            yield start
            start = table[start]

    def _chain_bytes(self, start, table, sector, size) -> bytes:
        return b"".join(sector(n) for n in self._chain(start, table))

    def _fat_sectors(self, n_fat: int, first_difat: int) -> list[int]:
        sectors = list(struct.unpack_from(f"<{HEADER_DIFAT}I", self.data, 0x4C))
        per_sector = self.sector_size // 4 - 1  # the last entry of a DIFAT sector links to the next one
        seen = set()
        while first_difat < END_OF_CHAIN and first_difat not in seen and len(sectors) < n_fat:
            seen.add(first_difat)
            entries = struct.unpack(f"<{per_sector + 1}I", self._sector(first_difat))
            sectors += entries[:per_sector]
            first_difat = entries[per_sector]
        return [s for s in sectors[:n_fat] if s < END_OF_CHAIN]

    def _directory(self, first_dir: int) -> list[tuple[str, int, int, int]]:
        """(name, type, start sector, size) of every directory entry."""
        raw = self._chain_bytes(first_dir, self.fat, self._sector, self.sector_size)
        entries = []
        for offset in range(0, len(raw) - 127, 128):
            entry = raw[offset:offset + 128]
            name_bytes = struct.unpack_from("<H", entry, 0x40)[0]
            name = entry[:max(name_bytes - 2, 0)].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<IQ", entry, 0x74)
            if self.sector_size == 512:
                size &= 0xFFFFFFFF  # version 3 files may leave garbage in the high half
            entries.append((name, entry[0x42], start, size))
        return entries
