"""Translation of one function body: operand and control stacks, locals, dispatch."""
from __future__ import annotations

from llvmlite import ir

from aot.abi import TrapCode
from aot.errors import AotError, CompileError
from aot.model import Function
from aot.opcodes import OPS_BY_NAME

from .environ import FuncEnv, ModuleEnv
from .interrupt import emit_interrupt_check
from .irutils import I64, PTR, VAL_TYPES, pack, zero
from .ops import bulk, call, control, memory_ops, reference, simd, table, variables
from .ops.control import STRUCTURAL, Frame, Kind
from .ops.numeric import NUMERIC_OPS, lower_numeric

# Functions that call no Wasm function and have at most this many locals skip the
# stack check: they cannot recurse, and the runtime leaves a margin below the stack
# limit that covers one such frame plus a builtin call.
LEAF_MAX_LOCALS = 64
_CALLS = frozenset({"call", "call_indirect"})


def _numeric(op: str, arity: int):
    def handler(cx, ins) -> None:
        args = cx.stack[-arity:]
        del cx.stack[-arity:]
        cx.stack.append(lower_numeric(cx, op, args))
    return handler


def _handlers() -> dict:
    table_ = {op: _numeric(op, len(OPS_BY_NAME[op].sig[0])) for op in NUMERIC_OPS}
    for mod in (control, variables, memory_ops, table, call, reference, bulk, simd):
        table_.update(mod.HANDLERS)
    return table_


HANDLERS = _handlers()


def _loop_checked(cx, ins) -> None:
    """`loop`, then an interruption check at the top of its header (every back edge
    lands there)."""
    control.HANDLERS["loop"](cx, ins)
    if cx.frames[-1].header is not None:
        emit_interrupt_check(cx)


HANDLERS_CHECKED = {**HANDLERS, "loop": _loop_checked}


class FunctionTranslator(FuncEnv):
    """Lowers one defined function into its (declared, empty) LLVM function."""

    def __init__(self, env: ModuleEnv, func_index: int, fn: ir.Function, code: Function):
        super().__init__(env, func_index, fn)
        self.ftype = env.func_types[func_index]
        self.code = code
        self.stack: list[ir.Value] = []
        self.frames: list[Frame] = []
        self.reachable = True
        self.locals: list[ir.AllocaInstr] = []
        self.local_types: list[ir.Type] = []
        self._pos = 0

    def translate(self) -> None:
        body = self.code.body
        self.builder.position_at_end(self.new_block())
        self._declare_locals()
        self.start_body()
        if self._needs_stack_check():
            self._stack_check()
        checks = getattr(self.env, "interrupt_checks", False)
        if checks and any(ins.op in _CALLS for ins in self.code.body):
            emit_interrupt_check(self)  # covers recursion; loops check at their headers
        self.frames.append(Frame(Kind.FUNC, (), self.ftype.results, 0, True))
        self.env.memory.prepare_function(self, self.code)  # e.g. which bounds checks to merge
        handlers = self.handlers = HANDLERS_CHECKED if checks else HANDLERS
        resume = 0
        try:
            for pos, ins in enumerate(body):
                if pos < resume:
                    continue  # translated already: a loop the memory strategy versioned
                if self.reachable or ins.op in STRUCTURAL:
                    self._pos = pos
                    if ins.op == "loop" and self.reachable:
                        resume = self.env.memory.version_loop(self, pos)  # 0, or past its end
                        if resume:
                            continue
                    handler = handlers.get(ins.op)
                    if handler is None:
                        raise CompileError(f"instruction {ins.op} is not supported")
                    handler(self, ins)
        except Exception as e:
            raise self._located(e) from e

    def _located(self, e: Exception) -> CompileError:
        ins = self.code.body[self._pos]
        what = str(e) if isinstance(e, AotError) else f"internal error: {type(e).__name__}: {e}"
        return CompileError(f"function {self.func_index}: {ins.op} at byte offset "
                            f"{ins.offset:#x}: {what}")

    # ---- helpers for handlers -----------------------------------------------------------
    def pop(self) -> ir.Value:
        return self.stack.pop()

    def peek_op(self) -> str | None:
        """The op of the instruction after the current one."""
        body = self.code.body
        return body[self._pos + 1].op if self._pos + 1 < len(body) else None

    def emit_return(self, values) -> None:
        ret = self.fn.function_type.return_type
        if not values:
            self.builder.ret_void()
        elif len(values) == 1:
            self.builder.ret(values[0])
        else:
            self.builder.ret(pack(self.builder, values, ret))
        self.reachable = False

    # ---- prologue -------------------------------------------------------------------------
    def _declare_locals(self) -> None:
        """An alloca per local, in the entry block (mem2reg makes them SSA); zero-initialised."""
        b = self.builder
        params = self.fn.args[2:]
        types = [p.type for p in params] + [VAL_TYPES[t] for t in self.code.locals]
        for i, ty in enumerate(types):
            slot = b.alloca(ty)
            b.store(params[i] if i < len(params) else zero(ty), slot)
            self.locals.append(slot)
        self.local_types = types

    def _needs_stack_check(self) -> bool:
        if len(self.local_types) > LEAF_MAX_LOCALS:
            return True
        return any(ins.op in _CALLS for ins in self.code.body)

    def _stack_check(self) -> None:
        """Trap CALL_STACK_EXHAUSTED when the stack pointer is below tctx->STACK_LIMIT.

        `llvm.stacksave` is a plain read of the stack pointer on x86-64 and aarch64 (no
        frame pointer forced, unlike llvm.frameaddress; no per-target register name,
        unlike llvm.read_register). The check runs after the prologue has allocated
        this frame; frames larger than a page are also probed (see module.py).
        """
        sp = self.builder.call(self.intrinsic("llvm.stacksave.p0", PTR, []), [])
        below = self.builder.icmp_unsigned("<", self.builder.ptrtoint(sp, I64), self.stack_limit())
        self.trap_if(below, TrapCode.CALL_STACK_EXHAUSTED)
