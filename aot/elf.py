"""Just enough of ELF to read a named section from a `.so` of any architecture.

`aot inspect` uses it so that a cross-compiled `.so` (e.g. aarch64 on an x86-64 host)
can be inspected without loading it.
"""
from __future__ import annotations

import struct

from .errors import AotError


class NotAnElfFileError(AotError):
    """The file is not an ELF shared object this tool can read."""


def read_section(data: bytes, name: str, source: str = "<file>") -> bytes | None:
    """The contents of section `name`, or None when the file has no such section."""
    if data[:4] != b"\x7fELF":
        raise NotAnElfFileError(f"{source}: not an ELF file (expected a .so made by `aot compile`)")
    if data[4] != 2:
        raise NotAnElfFileError(f"{source}: only 64-bit ELF files are supported")
    endian = "<" if data[5] == 1 else ">"
    try:
        shoff, = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x3A)
        sections = []
        for i in range(shnum):
            sh_name, _type, _flags, _addr, off, size = struct.unpack_from(
                endian + "IIQQQQ", data, shoff + i * shentsize)
            sections.append((sh_name, off, size))
        _, str_off, str_size = sections[shstrndx]
        strtab = data[str_off:str_off + str_size]
        for sh_name, off, size in sections:
            end = strtab.find(b"\0", sh_name)
            if strtab[sh_name:end].decode("utf-8", "replace") == name:
                return data[off:off + size]
    except (struct.error, IndexError):
        raise NotAnElfFileError(f"{source}: truncated or corrupt ELF file") from None
    return None


def machine(data: bytes) -> str:
    """The ELF e_machine as an architecture name ('x86_64', 'aarch64', or a number)."""
    endian = "<" if data[5] == 1 else ">"
    em, = struct.unpack_from(endian + "H", data, 0x12)
    return {0x3E: "x86_64", 0xB7: "aarch64"}.get(em, str(em))
