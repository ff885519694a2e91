/* A bytecode interpreter: a small stack machine (switch dispatch in a loop) running a
 * program that sums the Collatz sequence lengths of 1..n. Indirect branches (br_table in
 * Wasm), a hot loop with loads and stores of the VM's stack and registers. */
#define ARENA_BYTES 4096
#include "bench.h"

enum { PUSH, LOAD, STORE, ADD, MUL, AND, SHR, LT, NE, JZ, JMP, HALT };

static int N;
static int32_t code[128];
static int code_len;

static void emit(int32_t op) { code[code_len++] = op; }

/* Registers: r0 = i, r1 = x, r2 = total, r3 = n. */
EXPORT void setup(int n) {
    N = n;
    code_len = 0;
    /* i = 1 */
    emit(PUSH); emit(1); emit(STORE); emit(0);
    int outer = code_len;                                    /* while i < n + 1: */
    emit(LOAD); emit(0); emit(LOAD); emit(3); emit(LT); emit(JZ); int exit_at = code_len; emit(0);
    emit(LOAD); emit(0); emit(STORE); emit(1);               /*   x = i */
    int inner = code_len;                                    /*   while x != 1: */
    emit(LOAD); emit(1); emit(PUSH); emit(1); emit(NE); emit(JZ); int inner_exit = code_len; emit(0);
    emit(LOAD); emit(1); emit(PUSH); emit(1); emit(AND); emit(JZ); int even = code_len; emit(0);
    emit(LOAD); emit(1); emit(PUSH); emit(3); emit(MUL); emit(PUSH); emit(1); emit(ADD);
    emit(STORE); emit(1); emit(JMP); int count = code_len; emit(0); /* x = 3x + 1 */
    code[even] = code_len;
    emit(LOAD); emit(1); emit(PUSH); emit(1); emit(SHR); emit(STORE); emit(1); /* x >>= 1 */
    code[count] = code_len;
    emit(LOAD); emit(2); emit(PUSH); emit(1); emit(ADD); emit(STORE); emit(2); /* total++ */
    emit(JMP); emit(inner);
    code[inner_exit] = code_len;
    emit(LOAD); emit(0); emit(PUSH); emit(1); emit(ADD); emit(STORE); emit(0); /* i++ */
    emit(JMP); emit(outer);
    code[exit_at] = code_len;
    emit(HALT);
}

EXPORT uint64_t run(void) {
    int64_t reg[4] = {0, 0, 0, (int64_t)N + 1};
    int64_t stack[16];
    int sp = 0, pc = 0;
    uint64_t executed = 0;
    for (;;) {
        executed++;
        int32_t op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = reg[code[pc++]]; break;
        case STORE: reg[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case NE: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
        case JZ: { int32_t to = code[pc++]; if (stack[--sp] == 0) pc = to; break; }
        case JMP: pc = code[pc]; break;
        case HALT: return mix((uint64_t)reg[2], executed);
        default: return BENCH_FAILED;
        }
    }
}
