/* Linear memories: reservation, growth and release for both strategies.
 *
 * guard:  mmap AOT_GUARD_RESERVATION (8 GiB + 64 KiB) PROT_NONE | MAP_NORESERVE once; the first `length` bytes
 *         are read-write (mprotect), everything after them faults. Compiled code emits
 *         no check for 32-bit memories: an access starts at most at
 *         base + (2^32-1) + (2^32-1) = base + 8 GiB - 2 and is at most 16 bytes wide, so
 *         its last byte is at most base + 8 GiB + 13. aot.abi.GUARD_RESERVATION
 *         (8 GiB + one 64 KiB page) keeps every reachable byte inside our own
 *         reservation, so an out-of-bounds access always
 *         faults here, whichever of its bytes the CPU reports, and the signal handler
 *         turns the fault into a trap (the whole mapping is registered for that). The
 *         base never moves.
 * bounds: an anonymous read-write mapping of exactly `length` bytes, grown with
 *         mremap(MREMAP_MAYMOVE): the base may move, compiled code checks every access.
 *         A 0-page memory still has a valid, non-null base: one PROT_NONE page.
 *
 * Failure to get address space or memory is reported (AOT_ERR_ADDRESS_SPACE), never a
 * crash. Grow takes a per-memory spinlock so two threads growing the same guard memory
 * cannot interleave mprotect and the length update.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot_internal.h"

static size_t os_page_size(void) {
    static size_t cached;
    if (!cached)
        cached = (size_t)sysconf(_SC_PAGESIZE);
    return cached;
}

static int os_error(void) { return errno == ENOMEM ? AOT_ERR_ADDRESS_SPACE : AOT_ERR_OS; }

/* A 0-byte bounds memory: one inaccessible page, so base is valid and non-null. */
static uint8_t *placeholder_page(void) {
    void *p = mmap(NULL, os_page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : (uint8_t *)p;
}

static int reserve_guard(VMMemory *m, uint64_t bytes) {
    void *p = mmap(NULL, AOT_GUARD_MAPPING, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return os_error();
    if (bytes && mprotect(p, bytes, PROT_READ | PROT_WRITE) != 0) {
        int err = os_error();
        munmap(p, AOT_GUARD_MAPPING);
        return err;
    }
    int slot = aot_registry_add(&aot_guard_registry, (uintptr_t)p, (uintptr_t)p + AOT_GUARD_MAPPING);
    if (slot < 0) {
        munmap(p, AOT_GUARD_MAPPING);
        return AOT_ERR_REGISTRY_FULL;
    }
    m->base = p;
    m->mapped = AOT_GUARD_MAPPING;
    m->registry_slot = slot;
    return AOT_OK;
}

static int map_bounds(VMMemory *m, uint64_t bytes) {
    void *p;
    if (bytes == 0) {
        p = placeholder_page();
        if (!p)
            return os_error();
        m->mapped = os_page_size();
    } else {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return os_error();
        m->mapped = bytes;
    }
    m->base = p;
    return AOT_OK;
}

VMMemory *aot_memory_new(uint32_t strategy, uint64_t min_pages, uint64_t max_pages, int *err) {
    int e;
    if (max_pages > AOT_MAX_PAGES)
        max_pages = AOT_MAX_PAGES;
    if (min_pages > max_pages || (strategy != AOT_STRATEGY_GUARD && strategy != AOT_STRATEGY_BOUNDS)) {
        *err = AOT_ERR_LIMITS;
        return NULL;
    }
    VMMemory *m = aot_alloc(sizeof(VMMemory));
    if (!m) {
        *err = AOT_ERR_ADDRESS_SPACE;
        return NULL;
    }
    m->max_pages = max_pages;
    m->limit_pages = AOT_MAX_PAGES;
    m->strategy = strategy;
    m->registry_slot = -1;
    uint64_t bytes = min_pages * AOT_WASM_PAGE_SIZE;
    e = strategy == AOT_STRATEGY_GUARD ? reserve_guard(m, bytes) : map_bounds(m, bytes);
    if (e != AOT_OK) {
        aot_free(m);
        *err = e;
        return NULL;
    }
    m->length = bytes;
    *err = AOT_OK;
    return m;
}

/* Make [old, new) bytes usable; the caller holds the lock. 0 on success. */
static int commit(VMMemory *m, uint64_t old_bytes, uint64_t new_bytes) {
    if (m->strategy == AOT_STRATEGY_GUARD)
        return mprotect(m->base + old_bytes, new_bytes - old_bytes, PROT_READ | PROT_WRITE);
    if (old_bytes == 0) { /* replace the placeholder page with a real mapping */
        void *p = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        munmap(m->base, m->mapped);
        m->base = p;
    } else {
        void *p = mremap(m->base, old_bytes, new_bytes, MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return -1;
        m->base = p;
    }
    m->mapped = new_bytes;
    return 0;
}

int32_t aot_memory_grow(VMMemory *m, uint32_t delta_pages) {
    int32_t result = -1;
    aot_spin_lock(&m->lock);
    uint64_t old_bytes = atomic_load_explicit((_Atomic uint64_t *)&m->length, memory_order_relaxed);
    uint64_t old_pages = old_bytes / AOT_WASM_PAGE_SIZE;
    uint64_t new_pages = old_pages + delta_pages; /* no overflow: both < 2^33 */
    if (delta_pages == 0) {
        result = (int32_t)old_pages;
    } else if (new_pages <= m->max_pages && new_pages <= m->limit_pages &&
               commit(m, old_bytes, new_pages * AOT_WASM_PAGE_SIZE) == 0) {
        /* The pages are usable before the new length is visible. */
        atomic_store_explicit((_Atomic uint64_t *)&m->length, new_pages * AOT_WASM_PAGE_SIZE,
                              memory_order_release);
        result = (int32_t)old_pages; /* old_pages < 65536: no sign problem */
    }
    aot_spin_unlock(&m->lock);
    return result;
}

void aot_memory_set_limit(VMMemory *m, uint64_t pages) {
    m->limit_pages = pages > AOT_MAX_PAGES ? AOT_MAX_PAGES : pages;
}

void aot_memory_free(VMMemory *m) {
    if (!m)
        return;
    /* Unregister first: once the range is unmapped, the address space may be reused by
     * an unrelated mapping whose faults must not look like Wasm traps. */
    if (m->registry_slot >= 0)
        aot_registry_remove(&aot_guard_registry, m->registry_slot);
    if (m->base)
        munmap(m->base, m->mapped);
    aot_free(m);
}

/* ---- initial-memory images -------------------------------------------------------
 * A module whose data segments all land at constant offsets inside its initial memory
 * gets one image of that memory's start (a memfd, made once per loaded module). An
 * instance maps it over its fresh guard memory copy-on-write: instantiation costs one
 * mmap instead of copying every segment, and pages are shared until written. Bounds
 * memories keep copying: mremap cannot move a range made of two mappings. */

int aot_image_create(const uint8_t *data, uint64_t len) {
    if (len == 0 || len % os_page_size())
        return -1;
    int fd = memfd_create("aot-wasm-memory-image", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)len) != 0) {
        close(fd);
        return -1;
    }
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, data + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (uint64_t)n;
    }
    return fd;
}

int aot_memory_map_image(VMMemory *m, int fd, uint64_t len) {
    if (m->strategy != AOT_STRATEGY_GUARD || len == 0 || len > m->length || len % os_page_size())
        return -1;
    void *p = mmap(m->base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED)
        return -1;
    return p == (void *)m->base ? 0 : -1;
}

void aot_image_close(int fd) {
    if (fd >= 0)
        close(fd);
}
