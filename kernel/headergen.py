"""C headers for plugin authors, generated from interface files.

- `kernel.h` from kernel/interfaces/kernel.kif: `cap_t`, the K_* constants and the
  syscalls, imported from the Wasm module "kernel".
- `<name>.h` from any other interface: its functions imported from the module `<name>`
  by a client; a plugin that implements the interface defines `<NAME>_IMPLEMENTATION`
  before including it, and the same declarations become exports.
"""
from __future__ import annotations

from .idl import Interface

_BANNER = "/* Generated from {src} by `python -m kernel header`: do not edit. */\n"


def _comment(doc: str, indent: str = "") -> str:
    if not doc:
        return ""
    lines = doc.splitlines()
    if len(lines) == 1:
        return f"{indent}/* {lines[0]} */\n"
    body = "".join(f"{indent} * {line}".rstrip() + "\n" for line in lines)
    return f"{indent}/*\n{body}{indent} */\n"


def kernel_header(iface: Interface, source_name: str = "kernel/interfaces/kernel.kif") -> str:
    """The text of kernel.h."""
    out = [_BANNER.format(src=source_name), _comment(iface.doc),
           "#ifndef AOT_KERNEL_H\n#define AOT_KERNEL_H\n\n#include <stdint.h>\n\n",
           "/* A capability: an index into this plugin's own namespace. */\n",
           "typedef uint32_t cap_t;\n#define CAP_NULL ((cap_t)0)\n\n"]
    for name, value, doc in iface.consts:
        out.append(_comment(doc))
        out.append(f"#define {name} ({value})\n")
    out.append("\n#define KERNEL_IMPORT(name) "
               "__attribute__((import_module(\"kernel\"), import_name(#name)))\n\n")
    for fn in iface.functions:
        out.append(_comment(fn.doc))
        out.append(fn.c_prototype(f"KERNEL_IMPORT({fn.name}) ") + "\n")
    out.append("\n#endif /* AOT_KERNEL_H */\n")
    return "".join(out)


def interface_header(iface: Interface, source_name: str) -> str:
    """The text of `<name>.h` for a plugin interface."""
    guard = f"AOT_IFACE_{iface.name.upper()}_H"
    impl = f"{iface.name.upper()}_IMPLEMENTATION"
    out = [_BANNER.format(src=source_name), _comment(iface.doc),
           f"#ifndef {guard}\n#define {guard}\n\n#include \"kernel.h\"\n\n"]
    for name, value, doc in iface.consts:
        out.append(_comment(doc))
        out.append(f"#define {name} ({value})\n")
    out.append(f"\n/* A plugin implementing `{iface.name}` defines {impl} before including this\n"
               " * header: the functions become its exports. Others import them. */\n"
               f"#ifdef {impl}\n"
               f"#define {iface.name.upper()}_FN(name) __attribute__((export_name(#name)))\n"
               "#else\n"
               f"#define {iface.name.upper()}_FN(name) "
               f"__attribute__((import_module(\"{iface.name}\"), import_name(#name)))\n"
               "#endif\n\n")
    if any(f.message for f in iface.functions):
        out.append("/* Message convention: every argument travels in `msg` (lent for the call),\n"
                   " * plus four integers passed directly. */\n")
    for fn in iface.functions:
        out.append(_comment(fn.doc))
        out.append(fn.c_prototype(f"{iface.name.upper()}_FN({fn.name}) ") + "\n")
    out.append(f"\n#endif /* {guard} */\n")
    return "".join(out)
