/* The filter_apply export every filter shares: check the image, copy the input in from
 * the src grant, run the filter's `apply` on its own memory, copy the result out to the
 * dst grant. A filter file defines
 *     static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h,
 *                          int32_t c, int32_t param);
 * returning the channels of `out` (1 or 3) or a K_E* error, then includes this file. */
#define FILTER_IMPLEMENTATION
#include "filter.h"
#include "photo.h"

static int32_t apply(const uint8_t *in, uint8_t *out, int32_t w, int32_t h, int32_t c, int32_t param);

int32_t filter_apply(cap_t src, cap_t dst, int32_t width, int32_t height, int32_t channels, int32_t param) {
    heap_reset();
    if (!image_ok(width, height, channels))
        return K_EINVAL;
    uint32_t npx = (uint32_t)width * (uint32_t)height;
    uint8_t *in = heap_alloc(npx * (uint32_t)channels);
    uint8_t *out = heap_alloc(npx * 3);
    if (!in || !out)
        return K_ENOMEM;
    int32_t r = grant_read(src, 0, in, npx * (uint32_t)channels);
    if (r < 0)
        return r;
    int32_t oc = apply(in, out, width, height, channels, param);
    if (oc < 0)
        return oc;
    r = grant_write(dst, 0, out, npx * (uint32_t)oc);
    return r < 0 ? r : oc;
}
