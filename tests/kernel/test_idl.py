"""kernel/idl.py: interface files. Every mistake names file:line; the shapes the
translators are built from; and kernel/include/kernel.h is exactly what
`python -m kernel header --kernel` generates now (it cannot drift from kernel.kif)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aot.model import FuncType, ValType
from kernel import InterfaceError, Kernel, LinkError, idl
from tests.kernel.fixtures import *  # noqa: F401,F403 (fixtures)
from tests.kernel.fixtures import SVC_KIF

ROOT = Path(__file__).resolve().parents[2]
I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

ERRORS = [
    ("fn f() -> i32\n", 1, "must start with 'interface NAME'"),
    ("interface a\ninterface b\n", 2, "a second 'interface' line"),
    ("interface 9lives\n", 1, "write 'interface NAME'"),
    ("interface a b\n", 1, "write 'interface NAME'"),
    ("interface a\n\n# c\nfn f(i33 x) -> i32\n", 4, "unknown type 'i33'"),
    ("interface a\nfn f(i32 x) -> str\n", 2, "unknown result type 'str'"),
    ("interface a\nfn f(i32) -> i32\n", 2, "parameter 'i32': write 'TYPE NAME'"),
    ("interface a\nfn f(i32 x, ) -> i32\n", 2, "write 'TYPE NAME'"),
    ("interface a\nfn f(i32 x -> i32\n", 2, "write 'fn NAME(TYPE NAME, ...) -> TYPE'"),
    ("interface a\nfn f(i32 x) -> i32\n## doc\nfn f(cap c)\n", 4, "'f' is declared twice"),
    ("interface a\nmsgfn m\nfn m() -> i32\n", 3, "'m' is declared twice"),
    ("interface a\nconst X = 1.5\n", 2, "write 'const NAME = INTEGER'"),
    ("interface a\nconst X\n", 2, "write 'const NAME = INTEGER'"),
    ("interface a\nmsgfn m(i32 x)\n", 2, "write 'msgfn NAME'"),
    ("interface a\nfunc f()\n", 2, "expected 'fn', 'msgfn' or 'const', not 'func'"),
]


@pytest.mark.parametrize("text,line,message", ERRORS)
def test_parse_errors_name_the_line(text, line, message):
    with pytest.raises(InterfaceError) as info:
        idl.parse(text, "demo.kif")
    assert str(info.value).startswith(f"demo.kif:{line}: ")
    assert message in str(info.value)


def test_errors_from_files_name_the_file(tmp_path):
    p = tmp_path / "bad.kif"
    p.write_text("interface bad\nfn ok(cap c) -> cap\n\nfn broken(cap c, wat w) -> i32\n")
    with pytest.raises(InterfaceError, match=rf"^{p}:4: unknown type 'wat'"):
        idl.load(p)
    with pytest.raises(InterfaceError, match=rf"^{p}:4: "):
        idl.load(str(p))
    empty = tmp_path / "empty.kif"
    empty.write_text("# nothing\n\n")
    with pytest.raises(InterfaceError, match=rf"^{empty}: empty interface file"):
        idl.load(empty)
    with pytest.raises(InterfaceError, match="cannot read interface file"):
        idl.load(tmp_path / "missing.kif")
    with pytest.raises(InterfaceError, match="<string>:1: "):
        idl.parse("fn f()\n")


def test_shapes_and_signatures():
    iface = idl.parse("""
# a comment
## The interface's doc.
interface shapes
## hex and negative constants
const A = 0x10
const B = -3
fn all(cap a, i32 b, u32 c, i64 d, u64 e, f32 f, f64 g, buf h, cbuf i, caps j, ccaps k) -> cap
fn nothing()
fn voided(cap c) -> void   # a trailing comment
fn wide(f64 x) -> i64
msgfn call
""", "shapes.kif")
    assert iface.name == "shapes" and iface.doc == "The interface's doc." and iface.path == "shapes.kif"
    assert iface.consts == [("A", 16, "hex and negative constants"), ("B", -3, "")]
    f = iface.function("all")
    assert f.shape == ("ciiIIfFiiii", "c")
    assert f.functype == FuncType((I32, I32, I32, I64, I64, F32, F64, I32, I32, I32, I32), (I32,))
    assert iface.function("nothing").shape == ("", "")
    assert iface.function("nothing").functype == FuncType((), ())
    assert iface.function("voided").shape == ("c", "")
    assert iface.function("wide").shape == ("F", "I")
    m = iface.function("call")
    assert m.message and m.shape == ("ciiii", "i")
    assert m.functype == FuncType((I32,) * 5, (I32,))
    assert f.c_prototype() == ("cap_t all(cap_t a, int32_t b, uint32_t c, int64_t d, uint64_t e, "
                               "float f, double g, void *h, const void *i, cap_t *j, "
                               "const cap_t *k);")
    assert iface.function("nothing").c_prototype() == "void nothing(void);"
    with pytest.raises(InterfaceError, match="no function 'absent'"):
        iface.function("absent")


def test_the_kernel_interface():
    k = idl.kernel_interface()
    assert k.name == "kernel"
    names = {f.name for f in k.functions}
    assert {"k_error", "cap_dup", "cap_release", "cap_kind", "handle_create", "handle_badge",
            "msg_create", "msg_recv", "msg_reply", "msg_info", "grant_create", "grant_read",
            "grant_write", "grant_size", "endpoint_call", "instance_create",
            "instance_export"} <= names
    consts = {n: v for n, v, _ in k.consts}
    assert consts["K_OK"] == 0 and consts["K_EBADCAP"] == -1
    errors = [v for n, v in consts.items() if n.startswith("K_E")]
    assert len(errors) == len(set(errors))  # every error distinct
    assert k.function("cap_dup").shape == ("c", "c")
    assert k.function("endpoint_call").shape == ("cciiii", "i")
    # the kernel's name is reserved
    with pytest.raises(InterfaceError, match="kernel"):
        Kernel().interface("interface kernel\nfn f()\n")


def test_an_interface_mismatch_is_refused_at_link_time(kern, wasm):
    """A plugin whose import does not match the registered interface is not linked."""
    server = kern.load(wasm("server"), name="server")
    kern.interface(SVC_KIF.read_text().replace("fn peek(cap h) -> i32", "fn peek(i64 h) -> i32"))
    with pytest.raises(LinkError, match="peek"):
        kern.load(wasm("client"), name="client", links={"svc": server})
    kern.interface(SVC_KIF)
    with pytest.raises(LinkError, match="nothing links it"):
        kern.load(wasm("client"), name="client", links={})
    other = kern.load(wasm("caps"), name="not-a-server")
    with pytest.raises(LinkError, match="no export"):
        kern.load(wasm("client"), name="client", links={"svc": other})
    client = kern.load(wasm("client"), name="client", links={"svc": server})
    assert client.call("c_peek", client.call("c_make", 3)) == 3


def test_kernel_h_is_what_the_generator_writes(tmp_path):
    out = tmp_path / "kernel.h"
    r = subprocess.run([sys.executable, "-m", "kernel", "header", "--kernel", "-o", str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    committed = (ROOT / "kernel" / "include" / "kernel.h").read_text()
    assert out.read_text() == committed, (
        "kernel/include/kernel.h is stale: run `python -m kernel header --kernel`")


def test_interface_headers(tmp_path):
    out = tmp_path / "svc.h"
    r = subprocess.run([sys.executable, "-m", "kernel", "header", str(SVC_KIF), "-o", str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert '#include "kernel.h"' in text and "SVC_IMPLEMENTATION" in text
    assert "SVC_FN(peek) int32_t peek(cap_t h);" in text
    bad = tmp_path / "bad.kif"
    bad.write_text("interface bad\nfn f(nope x)\n")
    r = subprocess.run([sys.executable, "-m", "kernel", "header", str(bad)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 1 and f"{bad}:2: unknown type 'nope'" in r.stderr
