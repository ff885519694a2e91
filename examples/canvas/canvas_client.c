/* A client: draws the same scene through the canvas server twice, once with ordinary
 * calls (the kernel translates the cap arguments) and once with the message convention.
 * It holds only caps; it never sees the server's memory. */
#include "canvas.h"

#define W 64
#define H 48

/* The scene, as a list of operations both conventions replay. */
static void scene(int (*fill)(cap_t, int32_t, int32_t, int32_t, int32_t, uint32_t),
                  int (*pixel)(cap_t, int32_t, int32_t, uint32_t), cap_t cv) {
    fill(cv, 0, 0, W, H, 0xFF202020u);              /* background */
    fill(cv, 4, 4, 20, 12, 0xFF0000FFu);            /* red */
    fill(cv, 30, 10, 50, 50, 0xFF00FF00u);          /* green, clipped at the edges */
    fill(cv, -5, 30, 15, 10, 0xFFFF0000u);          /* blue, clipped on the left */
    for (int i = 0; i < 40; i++)
        pixel(cv, i + 10, i / 2 + 5, 0xFFFFFFFFu);   /* a white line */
    pixel(cv, -1, -1, 0xFFFFFFFFu);                  /* outside: ignored */
}

/* ---- ordinary calls ---- */

static int fill_direct(cap_t cv, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t c) {
    return canvas_fill_rect(cv, x, y, w, h, c);
}
static int pixel_direct(cap_t cv, int32_t x, int32_t y, uint32_t c) { return canvas_put_pixel(cv, x, y, c); }

/* Draws into a new canvas and exports it into `grant`; returns bytes written or an error. */
__attribute__((export_name("draw"))) int32_t draw(cap_t grant) {
    cap_t cv = canvas_new(W / 2, H / 2);
    if (!cv)
        return k_error() ? k_error() : K_EINVAL;
    int32_t r = canvas_set_size(cv, W, H);
    if (r)
        return r;
    scene(fill_direct, pixel_direct, cv);
    r = canvas_export(cv, grant);
    canvas_free(cv);
    cap_release(cv);
    return r;
}

/* ---- the message convention ---- */

static int32_t call(int32_t op, const int32_t *data, int nwords, cap_t c0, cap_t c1,
                    int32_t a1, int32_t a2, int32_t a3, cap_t *reply_cap) {
    cap_t caps[2] = {c0, c1};
    cap_t reply[1] = {CAP_NULL};
    cap_t msg = msg_create(data, 4u * nwords, caps, c1 ? 2 : c0 ? 1 : 0, 0, 0, reply, 1);
    if (!msg)
        return k_error();
    int32_t r = canvas_call(msg, op, a1, a2, a3);
    if (r == 0 && msg_info(msg, K_MSG_REPLY_NCAPS) == 1 && reply_cap)
        *reply_cap = reply[0];
    int32_t e = k_error();
    cap_release(msg);
    return e ? e : r;
}

static cap_t msg_canvas;
static int fill_msg(cap_t cv, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t c) {
    int32_t d[5] = {x, y, w, h, (int32_t)c};
    return call(CANVAS_OP_FILL_RECT, d, 5, cv, CAP_NULL, 0, 0, 0, 0);
}
static int pixel_msg(cap_t cv, int32_t x, int32_t y, uint32_t c) {
    return call(CANVAS_OP_PUT_PIXEL, 0, 0, cv, CAP_NULL, x, y, (int32_t)c, 0);
}

__attribute__((export_name("draw_msg"))) int32_t draw_msg(cap_t grant) {
    cap_t cv = CAP_NULL;
    int32_t r = call(CANVAS_OP_NEW, 0, 0, CAP_NULL, CAP_NULL, W / 2, H / 2, 0, &cv);
    if (r || !cv)
        return r ? r : K_EINVAL;
    msg_canvas = cv;
    if ((r = call(CANVAS_OP_SET_SIZE, 0, 0, cv, CAP_NULL, W, H, 0, 0)) != 0)
        return r;
    scene(fill_msg, pixel_msg, cv);
    r = call(CANVAS_OP_EXPORT, 0, 0, cv, grant, 0, 0, 0, 0);
    call(CANVAS_OP_FREE, 0, 0, cv, CAP_NULL, 0, 0, 0, 0);
    cap_release(cv);
    return r;
}

/* After free, the canvas cap fails cleanly (the server's handle_badge finds no canvas). */
__attribute__((export_name("use_after_free"))) int32_t use_after_free(void) {
    cap_t cv = canvas_new(8, 8);
    canvas_free(cv);
    int32_t r = canvas_fill_rect(cv, 0, 0, 1, 1, 0);
    cap_release(cv);
    return r;
}

/* How many caps this client holds now (for leak checks): probe the first numbers. */
__attribute__((export_name("caps_held"))) int32_t caps_held(void) {
    int32_t n = 0;
    for (cap_t c = 1; c < 64; c++)
        n += cap_kind(c) > 0;
    return n;
}
