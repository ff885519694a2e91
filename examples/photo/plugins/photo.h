/* What every photo plugin shares: a bump allocator over the plugin's own memory (grown
 * with memory.grow, reset at each call) and image checks. No libc: memcpy/memset are
 * bulk-memory instructions (-mbulk-memory). */
#ifndef PHOTO_H
#define PHOTO_H

#include <stdint.h>
#include "kernel.h"

#define PHOTO_MAX_SIDE 16384
#define PHOTO_MAX_PIXELS 16777216u /* 4096 x 4096 */

extern unsigned char __heap_base;
static uint32_t heap_top;

/* Forget every allocation (call at the start of each export). */
static void heap_reset(void) { heap_top = (uint32_t)(uintptr_t)&__heap_base; }

/* n bytes, 16-aligned, or 0 when the memory cannot grow (the kernel's memory limit). */
static void *heap_alloc(uint32_t n) {
    if (!heap_top)
        heap_reset();
    uint64_t p = ((uint64_t)heap_top + 15) & ~(uint64_t)15;
    uint64_t end = p + n;
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
    if (end > have) {
        uint64_t pages = (end - have + 65535) >> 16;
        if (end > 0xFFFFFFFFull || __builtin_wasm_memory_grow(0, (uint32_t)pages) == (__SIZE_TYPE__)-1)
            return 0;
    }
    heap_top = (uint32_t)end;
    return (void *)(uintptr_t)p;
}

/* 1 if width x height x channels is an image the plugins handle. */
static int image_ok(int32_t w, int32_t h, int32_t c) {
    return w > 0 && h > 0 && w <= PHOTO_MAX_SIDE && h <= PHOTO_MAX_SIDE &&
           (uint32_t)w * (uint32_t)h <= PHOTO_MAX_PIXELS && (c == 1 || c == 3);
}

static inline int32_t clamp255(int32_t v) { return v < 0 ? 0 : v > 255 ? 255 : v; }
static inline int32_t clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* BT.601 luma in 8.8 fixed point, rounded: the coefficients sum to 256. */
static inline uint8_t luma(const uint8_t *p) {
    return (uint8_t)((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
}

#endif
