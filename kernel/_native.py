"""The kernel's native core (`kernel/native/`), built as a cffi extension on first use.

The syscalls' C prototypes and their cffi declarations are both generated from
kernel/interfaces/kernel.kif, and the core is compiled as one unit after the
prototypes, so a C definition that does not match the interface file fails the build.
The build is cached like the runtime's (runtime._extbuild).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import cffi

from runtime._extbuild import load_or_build

from .idl import TYPES, Function, kernel_interface

NATIVE_DIR = Path(__file__).resolve().parent / "native"
RUNTIME_NATIVE_DIR = Path(__file__).resolve().parent.parent / "runtime" / "native"
CORE_SOURCES = ["kcore.h", "kapi.h", "kcore.c", "ksys.c"]
RUNTIME_HEADERS = ["aot_abi.h", "aot_runtime.h", "aot_internal.h"]

# What Python sees of the core. Structs end in `...;`: cffi takes their real layout
# from the compiler.
CDEF_TYPES = r"""
typedef uint32_t cap_t;
typedef struct VMMemory VMMemory;
typedef struct KInstance KInstance;
typedef struct KObject {
    uint32_t kind; uint32_t refs; KInstance *owner; void *host; ...;
} KObject;
typedef struct KGrant {
    KObject base; uint32_t rights; uint64_t offset; uint64_t length; uint8_t *host_base; ...;
} KGrant;
typedef struct KEndpoint { KObject base; KInstance *target; void *fn; void *vmctx; ...; } KEndpoint;
typedef struct KMessage { KObject base; int32_t reply_len; ...; } KMessage;
typedef struct KHandle { KObject base; uint32_t cls; uint32_t ptr; ...; } KHandle;
typedef struct KKernel { uint64_t calls_trapped; uint64_t objects_live; ...; } KKernel;
struct KInstance {
    VMMemory *mem; int32_t error; uint32_t dead; uint32_t trap_code; uint32_t id;
    KKernel *kernel; uint64_t kmem_used; uint64_t kmem_limit; ...;
};
typedef struct KLink {
    void *fn; void *vmctx; KInstance *caller; KInstance *callee; void *callee_tramp;
    const char *params; const char *results; uint32_t nparams; uint32_t nresults; ...;
} KLink;
typedef struct KGenericCtx KGenericCtx;

#define K_KIND_HANDLE ...
#define K_KIND_MESSAGE ...
#define K_KIND_GRANT ...
#define K_KIND_ENDPOINT ...
#define K_KIND_INSTANCE ...
#define K_KIND_LOADER ...
#define K_RIGHT_READ ...
#define K_RIGHT_WRITE ...
#define K_OK ...
#define K_MSG_LEN ...
#define K_MSG_NCAPS ...
#define K_MSG_REPLY_LEN ...
#define K_MSG_REPLY_NCAPS ...
#define K_EBADCAP ...
#define K_EKIND ...
#define K_EFAULT ...
#define K_ERANGE ...
#define K_EPERM ...
#define K_EDEAD ...
#define K_ETRAPPED ...
#define K_ENOMEM ...
#define K_EAGAIN ...
#define K_EINVAL ...

KObject *k_object_new(uint32_t kind, KInstance *owner);
KInstance *k_instance_new(KKernel *k, VMMemory *mem, uint32_t cap_limit, uint32_t id);
void k_instance_close(KInstance *inst);
void k_instance_kill(KInstance *inst, uint32_t trap_code);
void k_instance_free(KInstance *inst);
int32_t k_instance_live_caps(KInstance *inst);
int32_t k_instance_table_size(KInstance *inst);
uint32_t k_ns_install(KInstance *inst, KObject *obj, uint32_t flags);
void k_ns_remove(KInstance *inst, uint32_t cap);
KObject *k_ns_lookup(KInstance *inst, uint32_t cap);
void k_obj_release(KObject *obj);
uint32_t k_lend_cap(KInstance *inst, KObject *obj);
void k_unlend_cap(KInstance *inst, uint32_t cap);
uint32_t k_move_cap(KInstance *from, KInstance *to, uint32_t cap);
int32_t k_generic_translate(void *host_ctx, void *tctx, void *slots);
KGenericCtx *k_generic_ctx_new(void *builtins, KLink *link);
KMessage *k_host_message_new(const uint8_t *data, uint32_t len, KObject **caps, uint32_t ncaps,
                             uint32_t reply_max, uint32_t reply_max_caps);
const uint8_t *k_message_reply(KMessage *m, uint32_t *len, uint32_t *ncaps);
KObject *k_message_reply_cap(KMessage *m, uint32_t i);
void free(void *);
void *calloc(size_t, size_t);
"""


def syscall_c_prototype(fn: Function) -> str:
    """`ret ksys_<name>(KInstance *self, void *tctx, params...)`: a syscall's native
    function, with Wasm-level C types (every pointer is a u32 offset)."""
    def ctype(t: str) -> str:
        return {"cap": "uint32_t", "i32": "int32_t", "u32": "uint32_t", "i64": "int64_t",
                "u64": "uint64_t", "f32": "float", "f64": "double"}.get(t, "uint32_t")
    ret = ctype(fn.results[0]) if fn.results else "void"
    params = "".join(f", {ctype(t)} {n}" for t, n in fn.params)
    return f"{ret} ksys_{fn.name}(KInstance *self, void *tctx{params});"


def native_syscalls() -> list[Function]:
    """The syscalls implemented in C (the rest are served by the kernel's Python side)."""
    text = (NATIVE_DIR / "ksys.c").read_text()
    return [f for f in kernel_interface().functions if f"ksys_{f.name}(" in text]


def _digest() -> str:
    h = hashlib.sha256(CDEF_TYPES.encode())
    for d, names in ((NATIVE_DIR, CORE_SOURCES), (RUNTIME_NATIVE_DIR, RUNTIME_HEADERS)):
        for name in names:
            h.update(name.encode() + b"\0" + (d / name).read_bytes())
    h.update((NATIVE_DIR.parent / "interfaces" / "kernel.kif").read_bytes())
    return h.hexdigest()[:16]


def make_builder(module_name: str) -> cffi.FFI:
    """The cffi builder of the core extension."""
    protos = "\n".join(syscall_c_prototype(f) for f in native_syscalls())
    builder = cffi.FFI()
    builder.cdef(CDEF_TYPES + protos)
    builder.set_source(
        module_name,
        '#include "kapi.h"\n' + protos + '\n#include "kcore.c"\n#include "ksys.c"\n',
        include_dirs=[str(NATIVE_DIR), str(RUNTIME_NATIVE_DIR)],
        extra_compile_args=["-std=gnu11", "-O2", "-fno-strict-aliasing", "-Wall",
                            "-Wno-clobbered", "-Werror=incompatible-pointer-types",
                            "-Werror=implicit-function-declaration"],
    )
    return builder


_core = load_or_build("_aot_kcore", "kcore", _digest(), make_builder, "the kernel's native core")
ffi = _core.ffi
lib = _core.lib
