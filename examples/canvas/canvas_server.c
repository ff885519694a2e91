/* The canvas server: owns every canvas in its own memory and gives out handle caps.
 * A client never sees a pointer: handle_badge turns a cap back into the canvas only
 * here, and only for caps of CANVAS_CLASS. */
#define CANVAS_IMPLEMENTATION
#include "canvas.h"

#define CANVAS_CLASS 0xCA57A5u
#define MAX_CANVASES 64
#define ARENA_PIXELS (4u << 20) /* 16 MiB of pixels, bump-allocated */

typedef struct canvas {
    int32_t live, width, height;
    uint32_t *px;
} canvas;

static canvas canvases[MAX_CANVASES];
static uint32_t arena[ARENA_PIXELS];
static uint32_t arena_top;

static uint32_t *alloc_pixels(int32_t w, int32_t h) {
    uint32_t n = (uint32_t)w * (uint32_t)h;
    if (n > ARENA_PIXELS - arena_top)
        return 0;
    uint32_t *p = arena + arena_top;
    arena_top += n;
    __builtin_memset(p, 0, n * 4);
    return p;
}

static int valid_size(int32_t w, int32_t h) {
    return w > 0 && h > 0 && w <= CANVAS_MAX_SIDE && h <= CANVAS_MAX_SIDE;
}

static canvas *get(cap_t c) {
    canvas *cv = (canvas *)handle_badge(c, CANVAS_CLASS);
    return cv && cv->live ? cv : 0;
}

cap_t canvas_new(int32_t width, int32_t height) {
    if (!valid_size(width, height))
        return CAP_NULL;
    for (int i = 0; i < MAX_CANVASES; i++) {
        canvas *cv = &canvases[i];
        if (cv->live)
            continue;
        cv->px = alloc_pixels(width, height);
        if (!cv->px)
            return CAP_NULL;
        cv->live = 1;
        cv->width = width;
        cv->height = height;
        return handle_create(cv, CANVAS_CLASS);
    }
    return CAP_NULL;
}

int32_t canvas_set_size(cap_t c, int32_t width, int32_t height) {
    canvas *cv = get(c);
    if (!cv)
        return K_EBADCAP;
    if (!valid_size(width, height))
        return K_EINVAL;
    uint32_t *px = alloc_pixels(width, height);
    if (!px)
        return K_ENOMEM;
    cv->px = px;
    cv->width = width;
    cv->height = height;
    return K_OK;
}

int32_t canvas_fill_rect(cap_t c, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t rgba) {
    canvas *cv = get(c);
    if (!cv)
        return K_EBADCAP;
    int32_t x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int64_t x1 = (int64_t)x + w, y1 = (int64_t)y + h;
    if (x1 > cv->width) x1 = cv->width;
    if (y1 > cv->height) y1 = cv->height;
    for (int32_t j = y0; j < y1; j++)
        for (int32_t i = x0; i < x1; i++)
            cv->px[j * cv->width + i] = rgba;
    return K_OK;
}

int32_t canvas_put_pixel(cap_t c, int32_t x, int32_t y, uint32_t rgba) {
    canvas *cv = get(c);
    if (!cv)
        return K_EBADCAP;
    if (x >= 0 && y >= 0 && x < cv->width && y < cv->height)
        cv->px[y * cv->width + x] = rgba;
    return K_OK;
}

int32_t canvas_export(cap_t c, cap_t grant) {
    canvas *cv = get(c);
    if (!cv)
        return K_EBADCAP;
    return grant_write(grant, 0, cv->px, (uint32_t)(cv->width * cv->height * 4));
}

int32_t canvas_free(cap_t c) {
    canvas *cv = get(c);
    if (!cv)
        return K_EBADCAP;
    cv->live = 0;
    return K_OK;
}

/* ---- the message convention ---- */

int32_t canvas_call(cap_t msg, int32_t op, int32_t a1, int32_t a2, int32_t a3) {
    int32_t data[5] = {0};
    cap_t caps[2] = {CAP_NULL, CAP_NULL};
    int32_t r = K_OK;
    if (op != CANVAS_OP_NEW) {
        int32_t n = msg_recv(msg, data, sizeof data, caps, 2);
        if (n < 0)
            return n;
    }
    switch (op) {
    case CANVAS_OP_NEW: {
        cap_t cv = canvas_new(a1, a2);
        if (!cv)
            return K_EINVAL;
        r = msg_reply(msg, 0, 0, &cv, 1);
        cap_release(cv); /* the reply gave the sender its own cap */
        return r;
    }
    case CANVAS_OP_SET_SIZE: r = canvas_set_size(caps[0], a1, a2); break;
    case CANVAS_OP_FILL_RECT: r = canvas_fill_rect(caps[0], data[0], data[1], data[2], data[3], (uint32_t)data[4]); break;
    case CANVAS_OP_PUT_PIXEL: r = canvas_put_pixel(caps[0], a1, a2, (uint32_t)a3); break;
    case CANVAS_OP_EXPORT: r = canvas_export(caps[0], caps[1]); break;
    case CANVAS_OP_FREE: r = canvas_free(caps[0]); break;
    default: r = K_EINVAL;
    }
    /* msg_recv gave us caps of our own: give them back */
    for (int i = 0; i < 2; i++)
        if (caps[i])
            cap_release(caps[i]);
    return r;
}
