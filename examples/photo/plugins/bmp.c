/* BMP, uncompressed (BI_RGB): decodes 24-bit (3 channels) and 8-bit palettes (1 channel
 * if the palette is gray, else 3), bottom-up or top-down; encodes 3 channels as 24-bit and
 * 1 channel as 8-bit with a gray palette. Rows are padded to 4 bytes; pixels are BGR. */
#include "format_main.h"

typedef struct { int32_t w, h, c, bpp, top_down; uint32_t data, stride, used; const uint8_t *pal; } header;

static int32_t parse(const uint8_t *f, uint32_t len, header *hd) {
    if (len < 54 || f[0] != 'B' || f[1] != 'M')
        return K_EINVAL;
    uint32_t off = rd32(f + 10), ihs = rd32(f + 14);
    if (ihs < 40 || ihs > len - 14)
        return K_EINVAL;
    int32_t w = (int32_t)rd32(f + 18), h = (int32_t)rd32(f + 22);
    uint32_t planes = rd16(f + 26), bpp = rd16(f + 28), comp = rd32(f + 30), used = rd32(f + 46);
    if (planes != 1 || comp != 0 || (bpp != 24 && bpp != 8))
        return K_EINVAL;
    hd->top_down = h < 0;
    if (h < 0) {
        if (h == (int32_t)0x80000000)
            return K_EINVAL;
        h = -h;
    }
    hd->w = w;
    hd->h = h;
    hd->bpp = (int32_t)bpp;
    hd->c = 3;
    if (!image_ok(w, h, 3))
        return K_EINVAL;
    hd->stride = ((uint32_t)w * bpp / 8 + 3) & ~3u;
    hd->data = off;
    if (off > len || (uint64_t)hd->stride * (uint32_t)h > len - off)
        return K_EINVAL; /* truncated */
    hd->pal = 0;
    hd->used = 0;
    if (bpp == 8) {
        if (used == 0)
            used = 256;
        if (used > 256 || 14 + ihs + 4 * used > off)
            return K_EINVAL;
        hd->pal = f + 14 + ihs;
        hd->used = used;
        int gray = used == 256;
        for (uint32_t i = 0; i < used && gray; i++)
            gray = hd->pal[4 * i] == i && hd->pal[4 * i + 1] == i && hd->pal[4 * i + 2] == i;
        hd->c = gray ? 1 : 3;
    }
    return K_OK;
}

int32_t format_probe(cap_t file, cap_t info) {
    heap_reset();
    uint32_t len;
    int32_t err = 0;
    const uint8_t *f = read_file(file, &len, &err);
    if (!f)
        return err;
    header hd;
    int32_t r = parse(f, len, &hd);
    return r < 0 ? r : write_info(info, hd.w, hd.h, hd.c);
}

int32_t format_decode(cap_t file, cap_t dst) {
    heap_reset();
    uint32_t len;
    int32_t err = 0;
    const uint8_t *f = read_file(file, &len, &err);
    if (!f)
        return err;
    header hd;
    int32_t r = parse(f, len, &hd);
    if (r < 0)
        return r;
    uint32_t rowlen = (uint32_t)(hd.w * hd.c);
    uint8_t *px = heap_alloc(rowlen * (uint32_t)hd.h);
    if (!px)
        return K_ENOMEM;
    for (int32_t y = 0; y < hd.h; y++) {
        const uint8_t *row = f + hd.data + hd.stride * (uint32_t)(hd.top_down ? y : hd.h - 1 - y);
        uint8_t *o = px + rowlen * (uint32_t)y;
        for (int32_t x = 0; x < hd.w; x++) {
            if (hd.bpp == 24) {
                o[3 * x] = row[3 * x + 2];
                o[3 * x + 1] = row[3 * x + 1];
                o[3 * x + 2] = row[3 * x];
            } else if (hd.c == 1) {
                o[x] = row[x];
            } else {
                /* an index past the palette's entries is black */
                const uint8_t *e = hd.pal + 4 * row[x];
                int in = row[x] < hd.used;
                o[3 * x] = in ? e[2] : 0;
                o[3 * x + 1] = in ? e[1] : 0;
                o[3 * x + 2] = in ? e[0] : 0;
            }
        }
    }
    return grant_write(dst, 0, px, rowlen * (uint32_t)hd.h);
}

int32_t format_bound(int32_t width, int32_t height, int32_t channels) {
    if (!image_ok(width, height, channels))
        return K_EINVAL;
    uint32_t stride = ((uint32_t)width * (uint32_t)channels + 3) & ~3u;
    uint64_t n = 54 + (channels == 1 ? 1024 : 0) + (uint64_t)stride * (uint32_t)height;
    return n > 0x7FFFFFFF ? K_EINVAL : (int32_t)n;
}

int32_t format_encode(cap_t src, int32_t width, int32_t height, int32_t channels, cap_t dst) {
    heap_reset();
    int32_t total = format_bound(width, height, channels);
    if (total < 0)
        return total;
    uint32_t npx = (uint32_t)(width * height * channels);
    uint8_t *px = heap_alloc(npx), *out = heap_alloc((uint32_t)total);
    if (!px || !out)
        return K_ENOMEM;
    int32_t r = grant_read(src, 0, px, npx);
    if (r < 0)
        return r;
    __builtin_memset(out, 0, (uint32_t)total);
    uint32_t pal = channels == 1 ? 1024 : 0, off = 54 + pal;
    uint32_t stride = ((uint32_t)width * (uint32_t)channels + 3) & ~3u;
    out[0] = 'B';
    out[1] = 'M';
    wr32(out + 2, (uint32_t)total);
    wr32(out + 10, off);
    wr32(out + 14, 40);
    wr32(out + 18, (uint32_t)width);
    wr32(out + 22, (uint32_t)height); /* bottom-up */
    wr16(out + 26, 1);
    wr16(out + 28, channels == 1 ? 8 : 24);
    wr32(out + 34, stride * (uint32_t)height);
    wr32(out + 38, 2835); /* 72 dpi */
    wr32(out + 42, 2835);
    if (channels == 1) {
        wr32(out + 46, 256);
        for (uint32_t i = 0; i < 256; i++) {
            out[54 + 4 * i] = out[55 + 4 * i] = out[56 + 4 * i] = (uint8_t)i;
        }
    }
    for (int32_t y = 0; y < height; y++) {
        const uint8_t *row = px + (uint32_t)(y * width * channels);
        uint8_t *o = out + off + stride * (uint32_t)(height - 1 - y);
        if (channels == 1) {
            __builtin_memcpy(o, row, (uint32_t)width);
        } else {
            for (int32_t x = 0; x < width; x++) {
                o[3 * x] = row[3 * x + 2];
                o[3 * x + 1] = row[3 * x + 1];
                o[3 * x + 2] = row[3 * x];
            }
        }
    }
    return grant_write(dst, 0, out, (uint32_t)total);
}
