"""Tests of the spec-suite harness itself (tests/spec); none needs the compiler."""
from __future__ import annotations

import json
import struct
from types import SimpleNamespace

import pytest

from aot.abi import TrapCode
from aot.errors import DecodeError, ValidationError
from aot.model import FuncType, ValType
from tests.spec import known_failures as kf
from tests.spec import values
from tests.spec.runner import FAILED, PASSED, SKIPPED, Result, Runner
from tests.spec.wast import Command, classify, is_simd, load_commands
from tests.spec.worker import _parse_output


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


# ---- values --------------------------------------------------------------------------

def test_encode_integers_are_unsigned_bits():
    assert values.encode({"type": "i32", "value": "4294967295"}) == 0xFFFFFFFF
    assert values.encode({"type": "i32", "value": "-1"}) == 0xFFFFFFFF
    assert values.encode({"type": "i64", "value": "18446744073709551615"}) == 2**64 - 1
    assert values.encode({"type": "i64", "value": "1"}) == 1


def test_encode_floats_are_raw_bits():
    assert values.encode({"type": "f32", "value": str(f32(1.5))}) == 0x3FC00000
    assert values.encode({"type": "f64", "value": "9221120237041090560"}) == 0x7FF8000000000000


def test_encode_references():
    assert values.encode({"type": "externref", "value": "null"}) == 0
    assert values.encode({"type": "externref", "value": "0"}) == 1  # ref.extern 0 is not null
    assert values.encode({"type": "externref", "value": "41"}) == 42
    assert values.encode({"type": "funcref", "value": "null"}) == 0
    with pytest.raises(values.UnsupportedValue):
        values.encode({"type": "funcref", "value": "3"})


def test_encode_v128_lanes_little_endian():
    v = {"type": "v128", "lane_type": "i32", "value": ["1", "2", "3", "4294967295"]}
    assert values.encode(v) == 1 | 2 << 32 | 3 << 64 | 0xFFFFFFFF << 96
    with pytest.raises(values.UnsupportedValue):
        values.encode({"type": "v128", "lane_type": "i32", "value": ["1", "2"]})


@pytest.mark.parametrize("bits,canonical,arithmetic", [
    (0x7FC00000, True, True),
    (0xFFC00000, True, True),  # either sign
    (0x7FC00001, False, True),  # extra payload: arithmetic only
    (0x7FE00000, False, True),
    (0x7FA00000, False, False),  # signalling NaN
    (0x7F800000, False, False),  # infinity
    (0x3FC00000, False, False),
])
def test_f32_nan_patterns(bits, canonical, arithmetic):
    assert values.matches({"type": "f32", "value": "nan:canonical"}, bits) is canonical
    assert values.matches({"type": "f32", "value": "nan:arithmetic"}, bits) is arithmetic


@pytest.mark.parametrize("bits,canonical,arithmetic", [
    (0x7FF8000000000000, True, True),
    (0xFFF8000000000000, True, True),
    (0x7FF8000000000001, False, True),
    (0x7FF4000000000000, False, False),
    (0x7FF0000000000000, False, False),
    (0x7FC00000, False, False),  # an f32 NaN is not an f64 NaN
])
def test_f64_nan_patterns(bits, canonical, arithmetic):
    assert values.matches({"type": "f64", "value": "nan:canonical"}, bits) is canonical
    assert values.matches({"type": "f64", "value": "nan:arithmetic"}, bits) is arithmetic


def test_matches_exact_bits():
    assert values.matches({"type": "f32", "value": "2143289345"}, 0x7FC00001)  # payload kept
    assert not values.matches({"type": "f32", "value": "2143289345"}, 0x7FC00000)
    assert not values.matches({"type": "f32", "value": "0"}, 0x80000000)  # -0 is not +0
    assert values.matches({"type": "i32", "value": "4294967295"}, 0xFFFFFFFF)
    assert not values.matches({"type": "i32", "value": "4294967295"}, 2**64 - 1)  # high bits
    assert not values.matches({"type": "i32", "value": "1"}, -1 & 0xFFFFFFFF)


def test_matches_references():
    assert values.matches({"type": "externref", "value": "null"}, 0)
    assert not values.matches({"type": "externref", "value": "null"}, 1)
    assert values.matches({"type": "externref", "value": "0"}, 1)
    assert not values.matches({"type": "externref", "value": "0"}, 0)
    assert values.matches({"type": "funcref"}, 0x7F0012345678)  # any non-null funcref
    assert not values.matches({"type": "funcref"}, 0)
    assert values.matches({"type": "funcref", "value": "null"}, 0)


def test_matches_v128_lanewise_nan():
    expected = {"type": "v128", "lane_type": "f32", "value": ["nan:canonical", "0", "1065353216", "nan:arithmetic"]}
    good = 0x7FC00000 | 0 << 32 | 0x3F800000 << 64 | 0xFFC00001 << 96
    assert values.matches(expected, good)
    assert not values.matches(expected, good ^ (1 << 32))


def test_bits_from_python_values():
    assert values.bits_from_python("i32", -1) == 0xFFFFFFFF
    assert values.bits_from_python("f32", 666.6) == f32(666.6)
    assert values.bits_from_python("f64", 1.0) == 0x3FF0000000000000
    assert values.bits_from_python("externref", None) == 0
    assert values.bits_from_python("v128", (1 << 128) - 1) == (1 << 128) - 1
    assert values.bits_from_python("v128", bytes(range(16))) == int.from_bytes(bytes(range(16)), "little")


def test_matches_v128_f64_lanes_and_rejects_wider_bits():
    expected = {"type": "v128", "lane_type": "f64", "value": ["nan:arithmetic", "9218868437227405312"]}
    good = 0xFFF8000000000123 | 0x7FF0000000000000 << 64
    assert values.matches(expected, good)
    assert not values.matches(expected, 0x7FF4000000000000 | 0x7FF0000000000000 << 64)  # signalling
    assert not values.matches(expected, good | 1 << 128)
    assert values.describe_bits("v128", 0x0201).startswith("v128:01 02 00")


# ---- command model ---------------------------------------------------------------------

@pytest.mark.parametrize("raw,kind", [
    ({"type": "module", "filename": "a.0.wasm", "module_type": "binary"}, "module"),
    ({"type": "register", "as": "M"}, "register"),
    ({"type": "action", "action": {}}, "action"),
    ({"type": "assert_return", "action": {}, "expected": []}, "action-assert"),
    ({"type": "assert_trap", "action": {}, "text": "unreachable"}, "action-assert"),
    ({"type": "assert_trap", "filename": "a.1.wasm", "module_type": "binary", "text": "x"}, "module-assert"),
    ({"type": "assert_exhaustion", "action": {}, "text": "call stack exhausted"}, "action-assert"),
    ({"type": "assert_invalid", "filename": "a.2.wasm", "module_type": "binary"}, "module-assert"),
    ({"type": "assert_malformed", "filename": "a.3.wasm", "module_type": "binary"}, "module-assert"),
    ({"type": "assert_malformed", "filename": "a.4.wat", "module_type": "text"}, "skip"),
    ({"type": "assert_unlinkable", "filename": "a.5.wasm", "module_type": "binary"}, "module-assert"),
    ({"type": "assert_uninstantiable", "filename": "a.6.wasm", "module_type": "binary"}, "module-assert"),
    ({"type": "thread", "name": "T"}, "unsupported"),
])
def test_classify(raw, kind):
    assert classify(raw) == kind


def test_command_id_and_load(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"source_filename": "/suite/2.0/x.wast",
                                "commands": [{"type": "module", "line": 3, "filename": "x.0.wasm"}]}))
    (cmd,) = load_commands(path)
    assert cmd.id == "x.wast:3 module"
    assert is_simd("simd_lane.wast") and not is_simd("i32.wast")


# ---- known failures ----------------------------------------------------------------------

LIST = """\
# comment
i32.wast:10 assert_return  # wrong result
i32.wast:12 assert_trap
boom.wast:* crash  # segfaults
"""


def test_parse_known_failures():
    known = kf.parse(LIST)
    assert known.entries == {"i32.wast:10 assert_return": "wrong result", "i32.wast:12 assert_trap": ""}
    assert known.crashing == {"boom.wast": "segfaults"}


@pytest.mark.parametrize("bad", ["i32.wast assert_return", "i32.wast:x assert_return", "i32.wast:* assert_return"])
def test_parse_rejects_malformed_lines(bad):
    with pytest.raises(ValueError):
        kf.parse(bad)


def _results(*items):
    return [Result(line, ctype, status, "msg") for line, ctype, status in items]


def test_compare_listed_failures_are_expected():
    res = _results((10, "assert_return", FAILED), (12, "assert_trap", FAILED), (14, "assert_return", PASSED))
    assert kf.compare("i32.wast", res, None, kf.parse(LIST)).ok


def test_compare_unlisted_failure_is_an_error():
    res = _results((10, "assert_return", FAILED), (12, "assert_trap", FAILED), (14, "assert_return", FAILED))
    c = kf.compare("i32.wast", res, None, kf.parse(LIST))
    assert c.unexpected_failures == ["i32.wast:14 assert_return: msg"] and not c.ok


def test_compare_listed_entry_that_passes_is_an_error():
    res = _results((10, "assert_return", PASSED), (12, "assert_trap", FAILED))
    c = kf.compare("i32.wast", res, None, kf.parse(LIST))
    assert c.stale == ["i32.wast:10 assert_return"] and not c.ok
    assert "remove it from the list" in c.report()


def test_compare_listed_entry_missing_from_complete_run_is_stale():
    c = kf.compare("i32.wast", _results((10, "assert_return", FAILED)), None, kf.parse(LIST))
    assert c.stale == ["i32.wast:12 assert_trap"]


def test_compare_same_line_twice_fails_if_either_fails():
    res = _results((10, "assert_return", PASSED), (10, "assert_return", FAILED), (12, "assert_trap", FAILED))
    assert kf.compare("i32.wast", res, None, kf.parse(LIST)).ok


def test_compare_crashes():
    known = kf.parse(LIST)
    # unlisted crash: an error; listed entries that never ran are not stale
    c = kf.compare("i32.wast", _results((10, "assert_return", FAILED)), "killed by SIGSEGV", known)
    assert c.crash == "killed by SIGSEGV" and not c.stale and not c.ok
    # listed crash excuses everything in the file
    assert kf.compare("boom.wast", _results((1, "module", FAILED)), "timed out", known).ok
    # a listed crash that no longer happens must be removed
    c = kf.compare("boom.wast", _results((1, "module", PASSED)), None, known)
    assert c.stale == ["boom.wast:* crash"]


def test_render_and_update_roundtrip():
    known = kf.parse(LIST)
    runs = {"i32.wast": (_results((12, "assert_trap", FAILED), (20, "assert_return", FAILED)), None)}
    new = kf.updated(known, runs)
    assert new.entries == {"i32.wast:12 assert_trap": "msg", "i32.wast:20 assert_return": "msg"}
    assert new.crashing == {"boom.wast": "segfaults"}  # file not run: kept
    again = kf.parse(kf.render(new.entries, new.crashing))
    assert again.entries == new.entries and again.crashing == new.crashing
    assert kf.render({}, {"a.wast": "x"}).splitlines()[1] == "a.wast:* crash  # x"


def test_parse_worker_output_keeps_results_before_a_torn_line():
    out = json.dumps({"result": {"line": 1, "type": "module", "status": "passed", "message": ""}}) + "\n{\"res"
    results, done = _parse_output(out)
    assert [r.id("f.wast") for r in results] == ["f.wast:1 module"] and not done


# ---- the runner, against a stand-in runtime -------------------------------------------------

class FakeTrap(Exception):
    def __init__(self, kind: TrapCode):
        super().__init__(kind.message)
        self.kind, self.message = kind, kind.message


class FakeLinkError(Exception):
    pass


class FakeFunc:
    def __init__(self, fn, ftype):
        self.fn, self.type = fn, ftype

    def call_raw(self, *bits):
        return self.fn(*bits)


I32 = ValType.I32
BEHAVIOURS = {
    # a module is its file's text: what load/instantiate do, and its exports
    "ok": {"add": (lambda a, b: ((a + b) & 0xFFFFFFFF,), FuncType((I32, I32), (I32,)))},
    "div": {"div": (lambda a, b: (a // b,) if b else (_ for _ in ()).throw(FakeTrap(TrapCode.INTEGER_DIVIDE_BY_ZERO)),
                    FuncType((I32, I32), (I32,))),
            "rec": (lambda: (_ for _ in ()).throw(FakeTrap(TrapCode.CALL_STACK_EXHAUSTED)), FuncType((), ()))},
}


class FakeModule:
    def __init__(self, text):
        self.text = text
        self.imports = [("M", "add", None)] if text == "imports-M" else [("spectest", "print", None)]

    def instantiate(self, imports):
        if self.text == "trap-start":
            raise FakeTrap(TrapCode.UNREACHABLE)
        if self.text == "imports-M":
            if "M" not in imports or "add" not in imports["M"]:
                raise FakeLinkError("unknown import")
            return SimpleNamespace(exports={"again": imports["M"]["add"]})
        assert set(imports) == {"spectest"} and "memory" in imports["spectest"]
        return SimpleNamespace(exports={n: FakeFunc(*v) for n, v in BEHAVIOURS[self.text].items()})


def fake_load(data: bytes, memory: str):
    text = data.decode()
    if text == "malformed":
        raise DecodeError("bad magic", 0)
    if text == "invalid":
        raise ValidationError("type mismatch", 9, 0)
    return FakeModule(text)


FAKE_RUNTIME = SimpleNamespace(
    load=fake_load, Trap=FakeTrap, LinkError=FakeLinkError,
    Func=lambda fn, t: FakeFunc(fn, t), Global=lambda t, v: (t, v),
    Table=lambda *a: ("table", a), Memory=lambda *a, **k: ("memory", a, k),
)


def _run_script(tmp_path, commands):
    for raw in commands:
        if "contents" in raw:  # the stand-in "binary" is the behaviour's name
            (tmp_path / raw["filename"]).write_text(raw.pop("contents"))
    runner = Runner(FAKE_RUNTIME, "guard", tmp_path)
    return [(r.line, r.status) for r in runner.run([Command("t.wast", c) for c in commands])]


def i32(v):
    return {"type": "i32", "value": str(v)}


def invoke(field, *args, module=None):
    action = {"type": "invoke", "field": field, "args": list(args)}
    if module:
        action["module"] = module
    return action


def test_runner_executes_a_script(tmp_path):
    script = [
        {"type": "module", "line": 1, "filename": "t.0.wasm", "contents": "ok", "name": "A"},
        {"type": "assert_return", "line": 2, "action": invoke("add", i32(4294967295), i32(2)), "expected": [i32(1)]},
        {"type": "assert_return", "line": 3, "action": invoke("add", i32(1), i32(2)), "expected": [i32(4)]},  # wrong
        {"type": "register", "line": 4, "as": "M"},
        {"type": "module", "line": 5, "filename": "t.1.wasm", "contents": "imports-M"},
        {"type": "assert_return", "line": 6, "action": invoke("again", i32(1), i32(1)), "expected": [i32(2)]},
        {"type": "assert_return", "line": 7, "action": invoke("add", i32(1), i32(1), module="A"), "expected": [i32(2)]},
        {"type": "module", "line": 8, "filename": "t.2.wasm", "contents": "div"},
        {"type": "assert_trap", "line": 9, "action": invoke("div", i32(1), i32(0)), "text": "integer divide by zero"},
        {"type": "assert_trap", "line": 10, "action": invoke("div", i32(1), i32(0)), "text": "integer overflow"},
        {"type": "assert_trap", "line": 11, "action": invoke("div", i32(4), i32(2)), "text": "integer divide"},
        {"type": "assert_exhaustion", "line": 12, "action": invoke("rec"), "text": "call stack exhausted"},
        {"type": "assert_exhaustion", "line": 13, "action": invoke("div", i32(1), i32(0)), "text": "call stack exhausted"},
        {"type": "assert_malformed", "line": 14, "filename": "t.3.wasm", "module_type": "binary", "contents": "malformed"},
        {"type": "assert_malformed", "line": 15, "filename": "t.4.wat", "module_type": "text", "text": "x"},
        {"type": "assert_invalid", "line": 16, "filename": "t.5.wasm", "module_type": "binary", "contents": "invalid"},
        {"type": "assert_invalid", "line": 17, "filename": "t.6.wasm", "module_type": "binary", "contents": "malformed"},
        {"type": "assert_invalid", "line": 18, "filename": "t.7.wasm", "module_type": "binary", "contents": "ok"},
        {"type": "assert_unlinkable", "line": 19, "filename": "t.8.wasm", "module_type": "binary", "contents": "imports-M"},
        {"type": "assert_uninstantiable", "line": 20, "filename": "t.9.wasm", "module_type": "binary",
         "contents": "trap-start", "text": "unreachable"},
        {"type": "assert_uninstantiable", "line": 21, "filename": "t.10.wasm", "module_type": "binary",
         "contents": "trap-start", "text": "out of bounds memory access"},
        {"type": "action", "line": 22, "action": invoke("div", i32(1), i32(0))},  # traps: fails
        {"type": "assert_return", "line": 23, "action": invoke("nope"), "expected": []},
        {"type": "wait", "line": 24},
    ]
    statuses = dict(_run_script(tmp_path, script))
    failed = sorted(line for line, s in statuses.items() if s == FAILED)
    # 3: wrong result; 10: wrong trap text; 11: no trap; 13: wrong trap kind;
    # 17: malformed where invalid expected; 18: valid; 19: links (M is registered);
    # 21: wrong text; 22: trap in action; 23: missing export; 24: unsupported command.
    assert failed == [3, 10, 11, 13, 17, 18, 19, 21, 22, 23, 24]
    assert statuses[15] == SKIPPED


def test_runner_unlinkable_and_broken_modules(tmp_path):
    script = [
        {"type": "assert_unlinkable", "line": 1, "filename": "u.0.wasm", "module_type": "binary",
         "contents": "imports-M", "text": "unknown import"},
        {"type": "module", "line": 2, "filename": "u.1.wasm", "contents": "invalid"},
        {"type": "assert_return", "line": 3, "action": invoke("add", i32(1), i32(1)), "expected": [i32(2)]},
        {"type": "register", "line": 4, "as": "M"},
        {"type": "module", "line": 5, "filename": "u.2.wasm", "contents": "imports-M"},
        {"type": "module", "line": 6, "filename": "u.3.wasm", "contents": "ok"},
        {"type": "assert_return", "line": 7, "action": invoke("add", i32(1), i32(1)), "expected": [i32(2)]},
    ]
    assert _run_script(tmp_path, script) == [
        (1, PASSED), (2, FAILED), (3, FAILED), (4, FAILED), (5, FAILED), (6, PASSED), (7, PASSED)]


# ---- the worker process: crashes and hangs become results, not a dead run -----------------

CRASHY_RUNTIME = '''
import ctypes, time
from aot.errors import DecodeError

class Trap(Exception): pass
class LinkError(Exception): pass

class _Module:
    imports = []
    def __init__(self, how): self.how = how
    def instantiate(self, imports):
        if self.how == "segv":
            ctypes.string_at(0)  # a real SIGSEGV in this process
        if self.how == "hang":
            time.sleep(60)
        if self.how == "raise":
            raise SystemExit(3)
        return type("I", (), {"exports": {}})()

def load(data, memory):
    if data == b"malformed":
        raise DecodeError("bad", 0)
    return _Module(data.decode())
'''


@pytest.mark.parametrize("how,crash", [
    ("segv", "killed by SIGSEGV during c.wast:3 module"),
    ("hang", "timed out after 3 s during c.wast:3 module"),
    ("raise", "worker exited with code 3 during c.wast:3 module"),
])
def test_worker_survives_crash_and_keeps_earlier_results(tmp_path, how, crash):
    from tests.spec.worker import run_json

    (tmp_path / "crashy_rt.py").write_text(CRASHY_RUNTIME)
    (tmp_path / "c.0.wasm").write_bytes(b"malformed")
    (tmp_path / "c.1.wasm").write_bytes(how.encode())
    (tmp_path / "c.json").write_text(json.dumps({"source_filename": "c.wast", "commands": [
        {"type": "assert_malformed", "line": 1, "filename": "c.0.wasm", "module_type": "binary", "text": "x"},
        {"type": "assert_malformed", "line": 2, "filename": "c.0.wat", "module_type": "text", "text": "x"},
        {"type": "module", "line": 3, "filename": "c.1.wasm", "module_type": "binary"},
        {"type": "assert_return", "line": 4, "action": invoke("f"), "expected": []},
    ]}))
    run = run_json(tmp_path / "c.json", "guard", timeout=3, runtime="crashy_rt", extra_path=(str(tmp_path),))
    assert [(r.line, r.status) for r in run.results] == [(1, PASSED), (2, SKIPPED)]
    assert run.crash is not None and run.crash.startswith(crash)


def test_worker_completes_a_file(tmp_path):
    from tests.spec.worker import run_json

    (tmp_path / "crashy_rt.py").write_text(CRASHY_RUNTIME)
    (tmp_path / "c.1.wasm").write_bytes(b"fine")
    (tmp_path / "c.json").write_text(json.dumps({"source_filename": "c.wast", "commands": [
        {"type": "module", "line": 3, "filename": "c.1.wasm", "module_type": "binary"},
        {"type": "assert_return", "line": 4, "action": invoke("f"), "expected": []},
    ]}))
    run = run_json(tmp_path / "c.json", "bounds", runtime="crashy_rt", extra_path=(str(tmp_path),))
    assert run.crash is None
    assert [(r.line, r.status) for r in run.results] == [(3, PASSED), (4, FAILED)]
    assert "no export 'f'" in run.results[1].message


def test_trap_text_accepts_only_the_reference_interpreters_element_index():
    from tests.spec.runner import _trap_text_matches
    assert _trap_text_matches("uninitialized element 2", "uninitialized element")
    assert _trap_text_matches("out of bounds memory access", "out of bounds memory access")
    assert not _trap_text_matches("uninitialized element 2", "undefined element")
    assert not _trap_text_matches("integer overflow 2", "integer overflow")
    assert not _trap_text_matches("out of bounds memory access", "unreachable")
