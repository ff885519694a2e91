"""Executes the commands of one converted `.wast` file against the runtime.

The runner keeps the state a script builds up: the current module instance, named
instances (`(module $M ...)`), registered instances (`(register "as" $M)`) and the
`spectest` host module. Every command yields exactly one `Result`; nothing a command
does (including a module that fails to load) stops the run, short of a native crash,
which is why the worker runs each file in its own process.
"""
from __future__ import annotations

import re

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from aot.abi import TrapCode
from aot.errors import DecodeError, ValidationError

from . import values
from .spectest import make_spectest
from .wast import Command, command_id

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class Result:
    """The outcome of one command."""

    line: int
    type: str
    status: str  # PASSED | FAILED | SKIPPED
    message: str = ""

    def id(self, file: str) -> str:
        return command_id(file, self.line, self.type)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        return cls(int(d["line"]), d["type"], d["status"], d.get("message", ""))


class Unavailable(Exception):
    """A command needs a module that failed to load or was never defined."""


@dataclass
class Broken:
    """Stands in for an instance whose module failed: commands using it fail with `reason`."""

    reason: str


def _describe_error(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


_INDEX_SUFFIX = re.compile(r"^(.*\S) \d+$")


def _trap_text_matches(expected: str, actual: str) -> bool:
    # The reference interpreter accepts a message that starts with the expected text;
    # we also accept it anywhere, so a runtime may add context before it.
    if expected in actual:
        return True
    # The reference interpreter appends the element index to "uninitialized element N";
    # our trap code carries no operand, so accept exactly that suffix and nothing else.
    m = _INDEX_SUFFIX.match(expected)
    return bool(m) and m.group(1) == "uninitialized element" and m.group(1) in actual


class Runner:
    """Runs commands in order against `runtime` (the `runtime` package or a stand-in)."""

    def __init__(self, runtime, strategy: str, base_dir: Path,
                 on_result: Callable[[Result], None] | None = None):
        self.rt = runtime
        # Resolved up front: a runtime without them cannot run anything meaningful.
        self.Trap, self.LinkError = runtime.Trap, runtime.LinkError
        self.strategy = strategy
        self.base_dir = Path(base_dir)
        self.on_result = on_result
        self.current: object | None = None  # the last module's instance, or Broken
        self.named: dict[str, object] = {}  # module name (without "$") -> instance or Broken
        self.registry: dict[str, object] = {}  # import module name -> instance or Broken
        self._spectest: dict | None = None

    # ---- driving ------------------------------------------------------------------

    def run(self, commands: Iterable[Command]) -> list[Result]:
        results = []
        for cmd in commands:
            result = self.execute(cmd)
            results.append(result)
            if self.on_result:
                self.on_result(result)
        return results

    def execute(self, cmd: Command) -> Result:
        """One command → one Result; exceptions become failures, never escape."""
        handler = {
            "module": self._module,
            "register": self._register,
            "action": self._action,
            "action-assert": self._action_assert,
            "module-assert": self._module_assert,
        }.get(cmd.kind)
        if cmd.kind == "skip":
            return Result(cmd.line, cmd.type, SKIPPED, "text-format module: no text parser")
        if handler is None:
            return Result(cmd.line, cmd.type, FAILED, f"unsupported command {cmd.type!r}")
        try:
            message = handler(cmd.raw)
        except Unavailable as e:
            message = str(e)
        except Exception as e:  # a harness or runtime bug: report it, keep going
            message = "unexpected " + _describe_error(e)
        return Result(cmd.line, cmd.type, FAILED if message else PASSED, message or "")

    # Handlers return None on success, else the failure message.

    # ---- modules ------------------------------------------------------------------

    def _module_bytes(self, raw: dict) -> bytes:
        # A text module that the converter could encode carries `binary_filename`.
        name = raw.get("binary_filename") or raw["filename"]
        if raw.get("module_type") == "text" and "binary_filename" not in raw:
            raise Unavailable("text-format module without a binary encoding")
        return (self.base_dir / name).read_bytes()

    def _spectest_externs(self) -> dict:
        if self._spectest is None:
            self._spectest = make_spectest(self.rt, self.strategy)
        return self._spectest

    def _imports_for(self, module) -> dict:
        """The import object for `module`: registered instances and `spectest`."""
        imports: dict = {}
        for imp in module.imports:
            mod_name = imp[0]
            if mod_name in imports:
                continue
            if mod_name in self.registry:
                target = self.registry[mod_name]
                if isinstance(target, Broken):
                    raise Unavailable(f"imports from {mod_name!r}, which failed: {target.reason}")
                imports[mod_name] = dict(target.exports)
            elif mod_name == "spectest":
                imports[mod_name] = self._spectest_externs()
            # Anything else stays missing: instantiate must raise LinkError for it.
        return imports

    def _load(self, raw: dict):
        return self.rt.load(self._module_bytes(raw), memory=self.strategy)

    def _instantiate(self, module):
        return module.instantiate(self._imports_for(module))

    def _module(self, raw: dict) -> str | None:
        name = raw.get("name")
        try:
            instance = self._instantiate(self._load(raw))
        except Exception as e:
            reason = f"module at line {raw['line']} failed: {_describe_error(e)}"
            self.current = Broken(reason)
            if name:
                self.named[name] = self.current
            raise Unavailable(reason) from None
        self.current = instance
        if name:
            self.named[name] = instance
        return None

    def _instance(self, name: str | None):
        target = self.named.get(name) if name else self.current
        if target is None:
            raise Unavailable(f"no module {name or '(current)'} defined")
        if isinstance(target, Broken):
            raise Unavailable(f"uses a module that failed: {target.reason}")
        return target

    def _register(self, raw: dict) -> str | None:
        target = self.named.get(raw["name"]) if "name" in raw else self.current
        if target is None:
            return f"register {raw['as']!r}: no module {raw.get('name', '(current)')}"
        # A Broken target is registered too, so importers fail rather than LinkError-pass.
        self.registry[raw["as"]] = target
        return target.reason if isinstance(target, Broken) else None

    def _module_assert(self, raw: dict) -> str | None:
        t = raw["type"]
        text = raw.get("text", "")
        try:
            module = self._load(raw)
        except DecodeError as e:
            if t == "assert_malformed":
                return None
            return f"malformed instead of {t[7:]} ({text!r}): {e}"
        except ValidationError as e:
            if t == "assert_invalid":
                return None
            return f"invalid instead of {t[7:]} ({text!r}): {e}"
        if t in ("assert_malformed", "assert_invalid"):
            return f"module loaded, expected {t[7:]}: {text!r}"
        try:
            self._instantiate(module)
        except self.LinkError as e:
            if t == "assert_unlinkable":
                return None
            return f"LinkError instead of a trap {text!r}: {e}"
        except self.Trap as e:
            if t == "assert_unlinkable":
                return f"trapped instead of failing to link ({text!r}): {e.message}"
            if not _trap_text_matches(text, e.message):
                return f"trap {e.message!r}, expected {text!r}"
            return None
        return f"module instantiated, expected {t[7:]}: {text!r}"

    # ---- actions ------------------------------------------------------------------

    def _perform(self, action: dict, expected: list[dict] | None = None) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Run an invoke/get; returns the raw result bits and their type names."""
        instance = self._instance(action.get("module"))
        field = action["field"]
        try:
            export = instance.exports[field]
        except KeyError:
            raise Unavailable(f"no export {field!r}") from None
        if action["type"] == "invoke":
            args = [values.encode(a) for a in action.get("args", [])]
            results = tuple(export.call_raw(*args))
            return results, tuple(t.text for t in export.type.results)
        if action["type"] == "get":
            gtype = getattr(getattr(export, "type", None), "valtype", None)
            vt = gtype.text if gtype is not None else (expected[0]["type"] if expected else "i64")
            return (values.bits_from_python(vt, export.value),), (vt,)
        raise Unavailable(f"unknown action type {action['type']!r}")

    def _action(self, raw: dict) -> str | None:
        try:
            self._perform(raw["action"])
        except self.Trap as e:
            return f"trapped: {e.message}"
        return None

    def _action_assert(self, raw: dict) -> str | None:
        t = raw["type"]
        try:
            results, types = self._perform(raw["action"], raw.get("expected"))
        except self.Trap as e:
            if t == "assert_exhaustion":
                if e.kind == TrapCode.CALL_STACK_EXHAUSTED:
                    return None
                return f"trap {e.message!r}, expected call stack exhaustion"
            if t == "assert_trap":
                if _trap_text_matches(raw["text"], e.message):
                    return None
                return f"trap {e.message!r}, expected {raw['text']!r}"
            return f"trapped: {e.message}"
        if t != "assert_return":
            return f"returned {self._show(results, types)}, expected trap {raw.get('text')!r}"
        expected = raw.get("expected", [])
        if len(results) == len(expected) and all(
            values.matches(e, r) for e, r in zip(expected, results)
        ):
            return None
        return (f"got {self._show(results, types)}, expected "
                f"[{', '.join(values.describe(e) for e in expected)}]")

    @staticmethod
    def _show(results: tuple[int, ...], types: tuple[str, ...]) -> str:
        if len(types) != len(results):
            types = ("?",) * len(results)
        return "[" + ", ".join(values.describe_bits(t, r) for t, r in zip(types, results)) + "]"
