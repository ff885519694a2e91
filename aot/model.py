"""The typed, decoded form of a WebAssembly module.

The decoder (`aot.decode`) produces these objects; the validator and the translator
read them; the manifest embedded in every `.so` is derived from them. They carry no
behaviour beyond small derived views, and are never mutated after decoding.

Conventions:
- Index spaces follow the spec: imported functions (tables, memories, globals) come
  first, then the module's own definitions.
- Instructions are `Instr(op, imm, offset)`; `op` is the text-format name
  ("i32.add", "br_table", "memory.init", ...), `offset` the byte offset of the opcode
  in the module binary. The immediates per opcode are documented in `aot.opcodes`.
- Float constants are kept as raw bit patterns (int) so NaN payloads survive.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple, Union


class ValType(enum.Enum):
    """A value type. `.code` is its byte in the binary format."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C
    V128 = 0x7B
    FUNCREF = 0x70
    EXTERNREF = 0x6F

    @property
    def code(self) -> int:
        return self.value

    @property
    def is_ref(self) -> bool:
        return self in (ValType.FUNCREF, ValType.EXTERNREF)

    @property
    def is_num(self) -> bool:
        return self in (ValType.I32, ValType.I64, ValType.F32, ValType.F64)

    @property
    def text(self) -> str:
        """The text-format name: 'i32', 'funcref', ..."""
        return self.name.lower()

    @classmethod
    def from_text(cls, name: str) -> "ValType":
        return cls[name.upper()]

    def __repr__(self) -> str:
        return self.text


class ExternKind(enum.Enum):
    """What an import or export refers to. `.value` is its byte in the binary format."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3


@dataclass(frozen=True)
class FuncType:
    """A function signature."""

    params: tuple[ValType, ...]
    results: tuple[ValType, ...]

    def __post_init__(self) -> None:
        # FuncType([...], [...]) from a user must equal the decoder's tuples (a list
        # made linking fail with "expected [] -> [f64], got [] -> [f64]").
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "results", tuple(self.results))

    def __str__(self) -> str:
        p = " ".join(t.text for t in self.params)
        r = " ".join(t.text for t in self.results)
        return f"[{p}] -> [{r}]"


@dataclass(frozen=True)
class Limits:
    """Size limits; `max is None` means no maximum (never 0 for 'none')."""

    min: int
    max: int | None = None


@dataclass(frozen=True)
class TableType:
    elem: ValType  # FUNCREF or EXTERNREF
    limits: Limits


@dataclass(frozen=True)
class MemoryType:
    limits: Limits  # in 64 KiB pages


@dataclass(frozen=True)
class GlobalType:
    valtype: ValType
    mutable: bool


class MemArg(NamedTuple):
    """Immediate of loads and stores: log2 alignment, static offset, memory index."""

    align: int
    offset: int
    memory: int = 0


class Instr(NamedTuple):
    """One decoded instruction."""

    op: str
    imm: object
    offset: int


# A block type: None (no params, no results), a single result ValType, or a type index.
BlockType = Union[None, ValType, int]

# A constant expression: its instructions without the final `end`.
ConstExpr = tuple[Instr, ...]

ImportDesc = Union[int, TableType, MemoryType, GlobalType]  # int = type index of a function


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    kind: ExternKind
    desc: ImportDesc


@dataclass(frozen=True)
class Export:
    name: str
    kind: ExternKind
    index: int


@dataclass(frozen=True)
class Global:
    type: GlobalType
    init: ConstExpr


@dataclass(frozen=True)
class Function:
    """A defined function's body. `locals` excludes the parameters."""

    type_index: int
    locals: tuple[ValType, ...]
    body: tuple[Instr, ...]  # every instruction including the final `end`
    offset: int  # byte offset of the body (its size field) in the binary


class SegmentMode(enum.Enum):
    ACTIVE = "active"
    PASSIVE = "passive"
    DECLARATIVE = "declarative"


@dataclass(frozen=True)
class ElemSegment:
    """An element segment; every item is a constant expression (ref.func / ref.null / global.get)."""

    mode: SegmentMode
    elem_type: ValType
    items: tuple[ConstExpr, ...]
    table: int = 0  # only for ACTIVE
    offset: ConstExpr | None = None  # only for ACTIVE


@dataclass(frozen=True)
class DataSegment:
    mode: SegmentMode  # ACTIVE or PASSIVE
    data: bytes
    memory: int = 0
    offset: ConstExpr | None = None


@dataclass(frozen=True)
class CustomSection:
    name: str
    data: bytes
    offset: int  # byte offset of the section's id byte


@dataclass
class Module:
    """A decoded module. Lists are in index order; imports are separate from definitions."""

    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[int] = field(default_factory=list)  # type index of each defined function
    tables: list[TableType] = field(default_factory=list)  # defined tables
    memories: list[MemoryType] = field(default_factory=list)  # defined memories
    globals: list[Global] = field(default_factory=list)  # defined globals
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[ElemSegment] = field(default_factory=list)
    datas: list[DataSegment] = field(default_factory=list)
    data_count: int | None = None
    codes: list[Function] = field(default_factory=list)  # parallel to `funcs`
    customs: list[CustomSection] = field(default_factory=list)
    func_names: dict[int, str] = field(default_factory=dict)  # from the `name` section
    module_name: str | None = None

    # ---- derived views over the index spaces -------------------------------------
    def imports_of(self, kind: ExternKind) -> list[Import]:
        return [i for i in self.imports if i.kind is kind]

    @property
    def num_imported_funcs(self) -> int:
        return len(self.imports_of(ExternKind.FUNC))

    @property
    def num_imported_tables(self) -> int:
        return len(self.imports_of(ExternKind.TABLE))

    @property
    def num_imported_memories(self) -> int:
        return len(self.imports_of(ExternKind.MEMORY))

    @property
    def num_imported_globals(self) -> int:
        return len(self.imports_of(ExternKind.GLOBAL))

    def all_func_types(self) -> list[int]:
        """Type index of every function in the function index space."""
        return [i.desc for i in self.imports_of(ExternKind.FUNC)] + list(self.funcs)  # type: ignore[misc]

    def func_type(self, func_index: int) -> FuncType:
        return self.types[self.all_func_types()[func_index]]

    def all_tables(self) -> list[TableType]:
        return [i.desc for i in self.imports_of(ExternKind.TABLE)] + list(self.tables)  # type: ignore[misc]

    def all_memories(self) -> list[MemoryType]:
        return [i.desc for i in self.imports_of(ExternKind.MEMORY)] + list(self.memories)  # type: ignore[misc]

    def all_global_types(self) -> list[GlobalType]:
        return [i.desc for i in self.imports_of(ExternKind.GLOBAL)] + [g.type for g in self.globals]  # type: ignore[misc]

    def func_name(self, func_index: int) -> str | None:
        return self.func_names.get(func_index)
