/* A plugin written in plain C (no libc): checksums and a small image filter over
 * buffers in its own linear memory. Built with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic
 */
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

static uint8_t buffer[1 << 20]; /* 1 MiB work area the host writes into */

EXPORT uint8_t *buffer_ptr(void) { return buffer; }
EXPORT uint32_t buffer_size(void) { return sizeof buffer; }

/* CRC-32 (IEEE), bitwise: the same result as Python's zlib.crc32. */
EXPORT uint32_t crc32(const uint8_t *p, uint32_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* 64-bit FNV-1a. */
EXPORT uint64_t fnv1a(const uint8_t *p, uint32_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Invert an 8-bit grayscale image in place. */
EXPORT void invert(uint8_t *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        p[i] = 255 - p[i];
}

EXPORT int32_t add(int32_t a, int32_t b) { return a + b; }
