/* A plugin whose memory starts at more than 64 pages (4 MiB of zeroed data). */
#include <stdint.h>

static uint8_t big[4 << 20];

__attribute__((export_name("touch"))) int32_t touch(uint32_t i) { return big[i % sizeof big]++; }
