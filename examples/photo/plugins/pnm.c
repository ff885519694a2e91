/* PPM (P6, RGB) and PGM (P5, gray) with maxval 255, binary. Header comments (#) and
 * any whitespace between fields are accepted; one whitespace byte ends the header. */
#include "format_main.h"

typedef struct { int32_t w, h, c; uint32_t data; } header;

/* K_OK and *hd, or K_EINVAL. */
static int32_t parse(const uint8_t *f, uint32_t len, header *hd) {
    if (len < 3 || f[0] != 'P' || (f[1] != '5' && f[1] != '6'))
        return K_EINVAL;
    hd->c = f[1] == '6' ? 3 : 1;
    uint32_t i = 2, v[3];
    for (int k = 0; k < 3; k++) {
        for (;;) { /* whitespace and comments */
            if (i >= len)
                return K_EINVAL;
            if (f[i] == '#') {
                while (i < len && f[i] != '\n')
                    i++;
            } else if (f[i] == ' ' || f[i] == '\t' || f[i] == '\n' || f[i] == '\r') {
                i++;
            } else {
                break;
            }
        }
        if (f[i] < '0' || f[i] > '9')
            return K_EINVAL;
        uint32_t x = 0;
        while (i < len && f[i] >= '0' && f[i] <= '9') {
            x = x * 10 + (f[i++] - '0');
            if (x > 1000000)
                return K_EINVAL;
        }
        v[k] = x;
    }
    if (i >= len || !(f[i] == ' ' || f[i] == '\t' || f[i] == '\n' || f[i] == '\r') || v[2] != 255)
        return K_EINVAL;
    hd->w = (int32_t)v[0];
    hd->h = (int32_t)v[1];
    hd->data = i + 1;
    if (!image_ok(hd->w, hd->h, hd->c))
        return K_EINVAL;
    if ((uint64_t)hd->w * hd->h * hd->c > len - hd->data)
        return K_EINVAL; /* truncated */
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
    return grant_write(dst, 0, f + hd.data, (uint32_t)(hd.w * hd.h * hd.c));
}

int32_t format_bound(int32_t width, int32_t height, int32_t channels) {
    if (!image_ok(width, height, channels))
        return K_EINVAL;
    return 32 + width * height * channels;
}

static uint32_t put_uint(uint8_t *p, uint32_t v) {
    uint8_t tmp[10];
    uint32_t n = 0;
    do {
        tmp[n++] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v);
    for (uint32_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

int32_t format_encode(cap_t src, int32_t width, int32_t height, int32_t channels, cap_t dst) {
    heap_reset();
    if (!image_ok(width, height, channels))
        return K_EINVAL;
    uint32_t n = (uint32_t)(width * height * channels);
    uint8_t *out = heap_alloc(32 + n);
    if (!out)
        return K_ENOMEM;
    uint32_t i = 0;
    out[i++] = 'P';
    out[i++] = channels == 3 ? '6' : '5';
    out[i++] = '\n';
    i += put_uint(out + i, (uint32_t)width);
    out[i++] = ' ';
    i += put_uint(out + i, (uint32_t)height);
    out[i++] = '\n';
    i += put_uint(out + i, 255);
    out[i++] = '\n';
    int32_t r = grant_read(src, 0, out + i, n);
    if (r < 0)
        return r;
    return grant_write(dst, 0, out, i + n);
}
