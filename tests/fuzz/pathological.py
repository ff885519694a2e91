"""Valid modules at the extremes of shape: deep nesting, huge br_table, many locals, long
bodies, deep operand stacks. They must compile without hitting a recursion limit, a
native stack overflow or a hang (the mutation campaign rarely builds such shapes)."""
from __future__ import annotations

from .mutators import leb


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def _vec(items: list[bytes]) -> bytes:
    return leb(len(items)) + b"".join(items)


def module(body: bytes, locals_: bytes = b"\x00") -> bytes:
    """(module (func (export "f") <locals> <body>)); `body` ends with its `end`."""
    code = locals_ + body
    return (b"\0asm\1\0\0\0" + _section(1, _vec([b"\x60\x00\x00"])) + _section(3, _vec([b"\x00"]))
            + _section(7, _vec([b"\x01f\x00\x00"])) + _section(10, _vec([leb(len(code)) + code])))


def shapes(n: int) -> dict[str, bytes]:
    """Each shape at size about `n`."""
    return {
        "nested blocks": module(b"\x02\x40" * n + b"\x0b" * n + b"\x0b"),
        "nested ifs": module(b"\x41\x01\x04\x40" * (n // 4) + b"\x0b" * (n // 4) + b"\x0b"),
        "nested loops": module(b"\x03\x40" * n + b"\x0b" * n + b"\x0b"),
        "br_table": module(b"\x02\x40\x41\x00\x0e" + leb(n * 4) + b"\x00" * (n * 4) + b"\x00\x0b\x0b"),
        "locals": module(b"\x0b", locals_=b"\x01" + leb(n) + b"\x7e"),
        "long body": module(b"\x41\x01\x1a" * (n * 4) + b"\x0b"),
        "deep operand stack": module(b"\x41\x01" * n + b"\x1a" * n + b"\x0b"),
    }
