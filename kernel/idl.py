"""Interface files (`.kif`): each interface declared once, for the kernel and for C.

An interface file is the single description from which the kernel builds its
translators (which parameters and results are capabilities) and from which the C
header for plugin authors is generated, so the two cannot drift:

    # comment
    interface canvas                      # the Wasm import module name
    ## A doc comment for the next declaration (copied into the header).
    const CANVAS_MAX_SIZE = 4096
    fn canvas_new(i32 width, i32 height) -> cap
    fn canvas_fill(cap canvas, i32 x, i32 y, i32 w, i32 h, u32 rgba) -> i32
    msgfn canvas_call                     # the message convention, see below

Types: `cap` (a capability: i32 in Wasm, translated between namespaces), `i32 u32 i64
u64 f32 f64`, and pointers into the caller's own memory (i32 in Wasm): `buf` (void *),
`cbuf` (const void *), `caps` (cap_t *), `ccaps` (const cap_t *). A function returns at
most one value; `-> void` or no arrow returns nothing.

`msgfn name` declares a function of the message convention: `i32 name(cap msg, i32 a0,
i32 a1, i32 a2, i32 a3)`: every argument travels in the message, plus up to four
integers passed directly (L4's register arguments).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aot.model import FuncType, ValType

from .errors import InterfaceError

# type name -> (Wasm type, C type, translator letter)
TYPES: dict[str, tuple[ValType, str, str]] = {
    "cap": (ValType.I32, "cap_t", "c"),
    "i32": (ValType.I32, "int32_t", "i"),
    "u32": (ValType.I32, "uint32_t", "i"),
    "i64": (ValType.I64, "int64_t", "I"),
    "u64": (ValType.I64, "uint64_t", "I"),
    "f32": (ValType.F32, "float", "f"),
    "f64": (ValType.F64, "double", "F"),
    "buf": (ValType.I32, "void *", "i"),
    "cbuf": (ValType.I32, "const void *", "i"),
    "caps": (ValType.I32, "cap_t *", "i"),
    "ccaps": (ValType.I32, "const cap_t *", "i"),
}

MSG_PARAMS = (("cap", "msg"), ("i32", "a0"), ("i32", "a1"), ("i32", "a2"), ("i32", "a3"))
MSG_RESULTS = ("i32",)

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_FN = re.compile(rf"^fn\s+({_IDENT})\s*\((.*)\)\s*(?:->\s*({_IDENT}))?\s*$")
_CONST = re.compile(rf"^const\s+({_IDENT})\s*=\s*(-?(?:0x[0-9A-Fa-f]+|\d+))\s*$")


@dataclass(frozen=True)
class Function:
    """One function of an interface: its name, typed params, result and doc."""

    name: str
    params: tuple[tuple[str, str], ...]  # (type, name)
    results: tuple[str, ...]
    doc: str = ""
    message: bool = False  # declared with msgfn

    @property
    def functype(self) -> FuncType:
        """The Wasm signature."""
        return FuncType(tuple(TYPES[t][0] for t, _ in self.params),
                        tuple(TYPES[t][0] for t in self.results))

    @property
    def shape(self) -> tuple[str, str]:
        """Translator letters of params and results: caps are 'c' (e.g. ('cii', 'c'))."""
        return ("".join(TYPES[t][2] for t, _ in self.params),
                "".join(TYPES[t][2] for t in self.results))

    def c_prototype(self, attributes: str = "") -> str:
        """The C declaration."""
        ret = TYPES[self.results[0]][1] if self.results else "void"
        params = ", ".join(_c_param(t, n) for t, n in self.params) or "void"
        sep = "" if ret.endswith("*") else " "
        return f"{attributes}{ret}{sep}{self.name}({params});"


def _c_param(t: str, name: str) -> str:
    c = TYPES[t][1]
    return f"{c}{name}" if c.endswith("*") else f"{c} {name}"


@dataclass
class Interface:
    """A parsed interface file."""

    name: str
    functions: list[Function] = field(default_factory=list)
    consts: list[tuple[str, int, str]] = field(default_factory=list)  # (name, value, doc)
    doc: str = ""
    path: str = "<string>"

    def function(self, name: str) -> Function:
        """The function called `name` (InterfaceError if there is none)."""
        for f in self.functions:
            if f.name == name:
                return f
        raise InterfaceError(f"interface {self.name!r} has no function {name!r}")


def parse(text: str, path: str = "<string>") -> Interface:
    """Parse an interface file's text; InterfaceError says file:line on any mistake."""
    iface: Interface | None = None
    doc: list[str] = []
    names: set[str] = set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{path}:{lineno}"
        line = raw.strip()
        if line.startswith("##"):
            doc.append(line[2:].strip())
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            if iface is None and doc:
                pass  # the file's leading doc belongs to the interface line
            continue
        words = line.split()
        if words[0] == "interface":
            if iface is not None:
                raise InterfaceError(f"{where}: a second 'interface' line (one interface per file)")
            if len(words) != 2 or not re.fullmatch(_IDENT, words[1]):
                raise InterfaceError(f"{where}: write 'interface NAME' (a C identifier)")
            iface = Interface(words[1], doc="\n".join(doc), path=path)
            doc = []
            continue
        if iface is None:
            raise InterfaceError(f"{where}: the file must start with 'interface NAME'")
        if words[0] == "const":
            m = _CONST.match(line)
            if not m:
                raise InterfaceError(f"{where}: write 'const NAME = INTEGER'")
            iface.consts.append((m.group(1), int(m.group(2), 0), "\n".join(doc)))
        elif words[0] == "msgfn":
            if len(words) != 2 or not re.fullmatch(_IDENT, words[1]):
                raise InterfaceError(f"{where}: write 'msgfn NAME'")
            _add(iface, names, Function(words[1], MSG_PARAMS, MSG_RESULTS, "\n".join(doc), True), where)
        elif words[0] == "fn":
            _add(iface, names, _parse_fn(line, "\n".join(doc), where), where)
        else:
            raise InterfaceError(f"{where}: expected 'fn', 'msgfn' or 'const', not {words[0]!r}")
        doc = []
    if iface is None:
        raise InterfaceError(f"{path}: empty interface file (it needs an 'interface NAME' line)")
    return iface


def _add(iface: Interface, names: set[str], fn: Function, where: str) -> None:
    if fn.name in names:
        raise InterfaceError(f"{where}: {fn.name!r} is declared twice")
    names.add(fn.name)
    iface.functions.append(fn)


def _parse_fn(line: str, doc: str, where: str) -> Function:
    m = _FN.match(line)
    if not m:
        raise InterfaceError(f"{where}: write 'fn NAME(TYPE NAME, ...) -> TYPE'")
    name, params_text, result = m.groups()
    params = []
    if params_text.strip():
        for part in params_text.split(","):
            bits = part.split()
            if len(bits) != 2 or not re.fullmatch(_IDENT, bits[1]):
                raise InterfaceError(f"{where}: parameter {part.strip()!r}: write 'TYPE NAME'")
            if bits[0] not in TYPES:
                raise InterfaceError(f"{where}: unknown type {bits[0]!r} (known: {', '.join(TYPES)})")
            params.append((bits[0], bits[1]))
    results: tuple[str, ...] = ()
    if result and result != "void":
        if result not in TYPES:
            raise InterfaceError(f"{where}: unknown result type {result!r} (known: {', '.join(TYPES)}, void)")
        results = (result,)
    return Function(name, tuple(params), results, doc)


def load(path: str | Path) -> Interface:
    """Parse the interface file at `path`."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise InterfaceError(f"cannot read interface file {p}: {e.strerror}") from None
    return parse(text, str(p))


INTERFACES_DIR = Path(__file__).resolve().parent / "interfaces"


def kernel_interface() -> Interface:
    """The syscalls (kernel/interfaces/kernel.kif)."""
    return load(INTERFACES_DIR / "kernel.kif")
