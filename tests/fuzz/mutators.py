"""Ways to break a valid module, byte-level and structure-aware.

Each mutator is `f(rng, data) -> bytes`. Byte-level ones (bit flips, truncation,
insertions) find shallow decoder bugs; structure-aware ones keep the outer framing
intact so the damage reaches deeper: they rewrite LEB128 numbers (overlong, out of
range, huge counts and sizes) and then fix up the sizes of the enclosing section and
function body, or move whole sections around.

Everything here runs in the campaign's parent process, so every output is bounded:
`mutate` never returns more than `MAX_INPUT_BYTES`, and a huge count or size is only
ever *declared*, as a LEB128 value in the bytes, never materialised.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

HEADER = 8  # magic + version
MAX_INPUT_BYTES = 4 << 20  # no mutated input is larger (see `mutate`)


@dataclass
class Section:
    """Where one section of a module lies."""

    id: int
    start: int  # offset of the id byte
    payload: int  # offset of the first payload byte
    end: int  # one past the last payload byte


def read_leb(data: bytes, p: int, max_len: int = 10) -> tuple[int, int] | None:
    """(value, length) of the unsigned LEB128 at `p`, or None if there is none."""
    value = shift = 0
    for k in range(max_len):
        if p + k >= len(data):
            return None
        b = data[p + k]
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, k + 1
    return None


def leb(value: int, min_len: int = 1) -> bytes:
    """Unsigned LEB128 of `value`, padded with continuation bytes to `min_len` bytes."""
    if value < 0:  # -1 >> 7 == -1: the loop below would never end (and eat the machine)
        raise ValueError(f"unsigned LEB128 of a negative number: {value}")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value or len(out) + 1 < min_len:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse_sections(data: bytes) -> list[Section] | None:
    """The module's sections, or None when the framing is already broken."""
    if data[:4] != b"\0asm" or len(data) < HEADER:
        return None
    out, p = [], HEADER
    while p < len(data):
        size = read_leb(data, p + 1, 5)
        if size is None:
            return None
        payload = p + 1 + size[1]
        end = payload + size[0]
        if end > len(data):
            return None
        out.append(Section(data[p], p, payload, end))
        p = end
    return out


def _code_bodies(data: bytes, sec: Section) -> list[tuple[int, int, int]]:
    """(size_offset, body_start, body_end) of each function body of a code section."""
    count = read_leb(data, sec.payload, 5)
    if count is None:
        return []
    p, out = sec.payload + count[1], []
    for _ in range(count[0]):
        size = read_leb(data, p, 5)
        if size is None or p + size[1] + size[0] > sec.end:
            break
        out.append((p, p + size[1], p + size[1] + size[0]))
        p += size[1] + size[0]
    return out


def _new_length(c0: int, c1: int, start: int, end: int, new_len: int) -> int:
    """The length of the container data[c0:c1] holding `start` once data[start:end] is
    replaced by `new_len` bytes. A number read at a random offset can run past the end
    of its container (into the next body or section): then the container is made to
    end with the new bytes. Never negative."""
    if end <= c1:
        return c1 - c0 - (end - start) + new_len
    return start - c0 + new_len


def replace_fixing_sizes(data: bytes, start: int, end: int, new: bytes) -> bytes:
    """Replace data[start:end] with `new` and correct the size of the section (and of
    the function body) containing it, so the framing still holds."""
    secs = parse_sections(data)
    out = data[:start] + new + data[end:]
    if not secs:
        return out
    for sec in secs:
        if sec.payload <= start < sec.end or (start == end == sec.end):
            grown = 0  # bytes the body's size gained (it lies before `start`)
            if sec.id == 10:
                for size_at, b0, b1 in _code_bodies(data, sec):
                    if b0 <= start < b1:
                        old = read_leb(data, size_at, 5)
                        body = leb(_new_length(b0, b1, start, end, len(new)), old[1])
                        out = out[:size_at] + body + out[size_at + old[1]:]
                        grown = len(body) - old[1]
                        break
            old = read_leb(out, sec.start + 1, 5)
            size = leb(_new_length(sec.payload, sec.end, start, end, len(new)) + grown, old[1])
            return out[:sec.start + 1] + size + out[sec.start + 1 + old[1]:]
    return out


# ---- byte level ----------------------------------------------------------------------

def flip_bits(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


_INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x40, 0x41, 0x0B, 0x05, 0x0F, 0x10, 0x11, 0x70,
                0x6F, 0x7B, 0xFC, 0xFD, 0x20, 0x3F)


def set_byte(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    b[rng.randrange(len(b))] = rng.choice(_INTERESTING)
    return bytes(b)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data))]


def insert_bytes(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.randbytes(rng.randint(1, 8)) + data[i:]


def delete_bytes(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 8):]


# ---- LEB128 numbers -------------------------------------------------------------------

def _some_leb(rng: random.Random, data: bytes) -> tuple[int, int, int] | None:
    """(offset, length, value) of a LEB128 number at a random place past the header."""
    if len(data) <= HEADER:
        return None
    for _ in range(20):
        p = rng.randrange(HEADER, len(data))
        got = read_leb(data, p, 5)
        if got is not None:
            return p, got[1], got[0]
    return None


def leb_overlong(rng: random.Random, data: bytes) -> bytes:
    """The same number with more bytes: 5 is still legal for a u32, 6+ is not."""
    found = _some_leb(rng, data)
    if found is None:
        return data
    p, n, v = found
    width = rng.choice((n + 1, 5, 5, 6, 10))
    return replace_fixing_sizes(data, p, p + n, leb(v, max(width, n)))


def leb_out_of_range(rng: random.Random, data: bytes) -> bytes:
    """A 5-byte LEB128 whose last byte has bits beyond 32 (or an unterminated one)."""
    found = _some_leb(rng, data)
    if found is None:
        return data
    p, n, v = found
    body = bytearray(leb(v & 0x0FFFFFFF, 5))
    body[4] = rng.choice((0x10, 0x70, 0x7F, 0x8F, 0x40))
    return replace_fixing_sizes(data, p, p + n, bytes(body))


def huge_number(rng: random.Random, data: bytes) -> bytes:
    """A count, index or size replaced by one near 2**32 or just past the data."""
    found = _some_leb(rng, data)
    if found is None:
        return data
    p, n, _ = found
    value = rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 0x10001, 1 << 28, len(data), 65536 * 2))
    return replace_fixing_sizes(data, p, p + n, leb(value))


def section_size(rng: random.Random, data: bytes) -> bytes:
    """A section's size made wrong: too big, too small, huge, or overlong."""
    secs = parse_sections(data)
    if not secs:
        return data
    sec = rng.choice(secs)
    old = read_leb(data, sec.start + 1, 5)
    size = sec.end - sec.payload
    new = rng.choice((size + 1, max(0, size - 1), 0xFFFFFFFF, size + 1000, 0))
    enc = leb(new, rng.choice((1, old[1], 5, 6)))
    return data[:sec.start + 1] + enc + data[sec.start + 1 + old[1]:]


def section_count(rng: random.Random, data: bytes) -> bytes:
    """The element count at the start of a section's payload made huge or off by one."""
    secs = [s for s in parse_sections(data) or () if s.id != 0 and s.end > s.payload]
    if not secs:
        return data
    sec = rng.choice(secs)
    got = read_leb(data, sec.payload, 5)
    if got is None:
        return data
    new = rng.choice((got[0] + 1, max(0, got[0] - 1), 0xFFFFFFFF, 100000))
    return replace_fixing_sizes(data, sec.payload, sec.payload + got[1], leb(new))


# ---- sections ---------------------------------------------------------------------------

def section_swap(rng: random.Random, data: bytes) -> bytes:
    secs = parse_sections(data)
    if not secs or len(secs) < 2:
        return data
    i, j = sorted(rng.sample(range(len(secs)), 2))
    a, b = secs[i], secs[j]
    return (data[:a.start] + data[b.start:b.end] + data[a.end:b.start] + data[a.start:a.end]
            + data[b.end:])


def section_duplicate(rng: random.Random, data: bytes) -> bytes:
    secs = parse_sections(data)
    if not secs:
        return data
    s = rng.choice(secs)
    return data[:s.end] + data[s.start:s.end] + data[s.end:]


def section_drop(rng: random.Random, data: bytes) -> bytes:
    secs = parse_sections(data)
    if not secs:
        return data
    s = rng.choice(secs)
    return data[:s.start] + data[s.end:]


def section_bad_id(rng: random.Random, data: bytes) -> bytes:
    secs = parse_sections(data)
    if not secs:
        return data
    s = rng.choice(secs)
    return data[:s.start] + bytes([rng.choice((13, 14, 0x7F, 0xFF, 12, 0))]) + data[s.start + 1:]


_NUMERIC_OPS = bytes(range(0x45, 0xC5))


def swap_numeric_op(rng: random.Random, data: bytes) -> bytes:
    """A byte of a function body that could be a numeric opcode (0x45..0xC4, none take
    immediates) replaced by another: mostly type errors for the validator, sometimes a
    valid module with different code for the compiler."""
    # The candidate bytes are counted per body, not listed (a list of every offset of a
    # megabyte of code is tens of megabytes); `randrange(total)` draws what
    # `choice(list)` would.
    bodies = [(b0, b1) for s in parse_sections(data) or () if s.id == 10
              for _, b0, b1 in _code_bodies(data, s)]
    counts = [(b1 - b0) - len(data[b0:b1].translate(None, _NUMERIC_OPS)) for b0, b1 in bodies]
    total = sum(counts)
    if not total:
        return flip_bits(rng, data)
    k = rng.randrange(total)  # the k-th candidate, in file order
    for (b0, b1), n in zip(bodies, counts):
        if k >= n:
            k -= n
            continue
        for p in range(b0, b1):
            if 0x45 <= data[p] <= 0xC4:
                if k == 0:
                    return data[:p] + bytes([rng.randint(0x45, 0xC4)]) + data[p + 1:]
                k -= 1
    raise AssertionError("unreachable: fewer candidates than counted")


MUTATORS = {
    "swap_numeric_op": (swap_numeric_op, 6),
    "flip_bits": (flip_bits, 6),
    "set_byte": (set_byte, 4),
    "truncate": (truncate, 2),
    "insert_bytes": (insert_bytes, 2),
    "delete_bytes": (delete_bytes, 2),
    "leb_overlong": (leb_overlong, 4),
    "leb_out_of_range": (leb_out_of_range, 3),
    "huge_number": (huge_number, 4),
    "section_size": (section_size, 2),
    "section_count": (section_count, 3),
    "section_swap": (section_swap, 2),
    "section_duplicate": (section_duplicate, 1),
    "section_drop": (section_drop, 1),
    "section_bad_id": (section_bad_id, 1),
}


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """`data` with 1 to 3 random mutations applied; and their names.

    The result is at most `MAX_INPUT_BYTES` long: a larger `data` is first cut to that
    size (named `truncate_to_cap`), and a mutation whose result would be larger
    (duplicating a big section, say) is dropped, not applied."""
    names = list(MUTATORS)
    weights = [MUTATORS[n][1] for n in names]
    applied = []
    if len(data) > MAX_INPUT_BYTES:
        data = data[:MAX_INPUT_BYTES]
        applied.append("truncate_to_cap")
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        name = rng.choices(names, weights)[0]
        if data:
            new = MUTATORS[name][0](rng, data)
            if len(new) <= MAX_INPUT_BYTES:
                data = new
                applied.append(name)
    return data, applied
