/* A JSON tokenizer over n bytes of generated JSON-like text: a byte-at-a-time state
 * machine (switch on the character), string scanning with escapes, number parsing.
 * Counts tokens per kind and hashes their contents. */
#define MAXN (32u << 20)
#define PASSES 4  /* several passes over one buffer keep the module's memory small */
#define ARENA_BYTES (MAXN + 4096)
#include "bench.h"

static int N;
static uint8_t *text;

static const char *const words[] = {"alpha", "beta", "gamma", "delta \\\"q\\\"", "eps\\\\ilon", "zeta", "x", ""};
static const char *const keys[] = {"id", "name", "tags", "score", "ok", "next", "pos"};

/* Appends s (NUL-terminated) at text[*at], stopping at the buffer's end. */
static void put(const char *s, int *at) {
    while (*s && *at < N) text[(*at)++] = (uint8_t)*s++;
}

static void put_uint(uint64_t v, int *at) {
    char buf[24];
    int k = 0;
    do { buf[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k && *at < N) text[(*at)++] = (uint8_t)buf[--k];
}

EXPORT void setup(int n) {
    arena_reset();
    N = n;
    text = arena_alloc((size_t)n);
    if (bench_oom) return;
    rng_t r = {29};
    int at = 0;
    put("[\n", &at);
    /* Records like {"id": 12, "name": "beta", "tags": ["x", "zeta"], "score": -3.25,
     * "ok": true, "next": null} until the buffer is full (the tail may be cut short:
     * the tokenizer only needs tokens, not a valid document). */
    while (at < n) {
        put(" {\"", &at); put(keys[0], &at); put("\": ", &at); put_uint(rng_next(&r) % 100000, &at);
        put(", \"", &at); put(keys[1], &at); put("\": \"", &at); put(words[rng_next(&r) & 7], &at); put("\"", &at);
        put(", \"", &at); put(keys[2], &at); put("\": [", &at);
        for (int t = (int)(rng_next(&r) % 4); t > 0; t--) {
            put("\"", &at); put(words[rng_next(&r) & 7], &at); put(t > 1 ? "\", " : "\"", &at);
        }
        put("], \"", &at); put(keys[3], &at); put("\": ", &at);
        if (rng_next(&r) & 1) put("-", &at);
        put_uint(rng_next(&r) % 1000, &at); put(".", &at); put_uint(rng_next(&r) % 100, &at);
        put(", \"", &at); put(keys[4], &at); put(rng_next(&r) & 1 ? "\": true" : "\": false", &at);
        put(", \"", &at); put(keys[5], &at); put("\": null},\n", &at);
    }
}

EXPORT uint64_t run(void) {
    if (bench_oom) return BENCH_FAILED;
    uint64_t punct = 0, strings = 0, numbers = 0, literals = 0, other = 0;
    uint64_t str_hash = 0xcbf29ce484222325ull, num_sum = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        const uint8_t *p = text, *end = text + N;
        while (p < end) {
            uint8_t c = *p;
            switch (c) {
            case ' ': case '\n': case '\t': case '\r':
                p++;
                break;
            case '{': case '}': case '[': case ']': case ':': case ',':
                punct += c;
                p++;
                break;
            case '"':
                p++;
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end) p++;  /* the escaped byte is content */
                    str_hash = (str_hash ^ *p) * 0x100000001b3ull;
                    p++;
                }
                p++;
                strings++;
                break;
            case '-': case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9': {
                int neg = c == '-';
                if (neg) p++;
                uint64_t v = 0;
                while (p < end && ((*p >= '0' && *p <= '9') || *p == '.')) {
                    if (*p != '.') v = v * 10 + (uint64_t)(*p - '0');
                    p++;
                }
                num_sum += neg ? (uint64_t)0 - v : v;
                numbers++;
                break;
            }
            case 't': case 'f': case 'n':
                /* true / false / null: check the letters, then skip them. */
                while (p < end && *p >= 'a' && *p <= 'z') { literals += *p; p++; }
                break;
            default:
                other++;
                p++;
            }
        }
    }
    uint64_t h = mix(punct, strings);
    h = mix(h, numbers);
    h = mix(h, literals);
    h = mix(h, other);
    h = mix(h, str_hash);
    return mix(h, num_sum);
}
