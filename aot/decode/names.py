"""Best-effort parsing of the `name` custom section.

A malformed name section is ignored (it is only a custom section), so `parse_names`
never raises; it fills what it could read from well-formed subsections.
"""
from __future__ import annotations

from ..errors import DecodeError
from ..model import Module
from .reader import Reader

_MODULE_NAME = 0
_FUNC_NAMES = 1


def parse_names(data: bytes, start: int, end: int, module: Module) -> None:
    """Read `data[start:end]` (the name section's payload after its name) into `module`."""
    r = Reader(data, start, end)
    try:
        while not r.at_end():
            sub_id = r.byte()
            sub = r.sub(r.u32())
            if sub_id == _MODULE_NAME:
                name = sub.name()
                if sub.at_end():
                    module.module_name = name
            elif sub_id == _FUNC_NAMES:
                names: dict[int, str] = {}
                for _ in range(sub.count(2)):
                    idx = sub.u32()
                    names[idx] = sub.name()
                if sub.at_end():
                    module.func_names.update(names)
            # other subsections (locals, labels, ...) are not used
    except DecodeError:
        pass
