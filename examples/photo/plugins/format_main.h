/* Helpers the format plugins share: the whole file copied in from its grant, and the
 * info record format_probe writes. */
#define FORMAT_IMPLEMENTATION
#include "format.h"
#include "photo.h"

/* The file of grant `file` copied into this plugin's memory; its length in *len.
 * 0 with *len = a K_E* error on failure. */
static const uint8_t *read_file(cap_t file, uint32_t *len, int32_t *err) {
    int32_t n = grant_size(file);
    if (n < 0) {
        *err = n;
        return 0;
    }
    uint8_t *buf = heap_alloc((uint32_t)n + 1);
    if (!buf) {
        *err = K_ENOMEM;
        return 0;
    }
    int32_t r = grant_read(file, 0, buf, (uint32_t)n);
    if (r < 0) {
        *err = r;
        return 0;
    }
    buf[n] = 0;
    *len = (uint32_t)n;
    return buf;
}

static int32_t write_info(cap_t info, int32_t w, int32_t h, int32_t c) {
    int32_t rec[3] = {w, h, c};
    int32_t r = grant_write(info, 0, rec, sizeof rec);
    return r < 0 ? r : K_OK;
}

static inline uint32_t rd16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static inline void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
