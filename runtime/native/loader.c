/* Loading compiled modules and registering their code for the signal handler. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "aot_internal.h"

void *aot_dlopen(const char *path, char *err, size_t errlen) {
    /* RTLD_LOCAL: every module defines the same symbol names (aot_manifest, ...);
     * RTLD_NOW: fail here, not at the first call, if anything is missing. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h && errlen) {
        const char *why = dlerror();
        strncpy(err, why ? why : "dlopen failed", errlen - 1);
        err[errlen - 1] = 0;
    }
    return h;
}

void *aot_dlsym(void *handle, const char *name) { return dlsym(handle, name); }

int aot_dlclose(void *handle) { return dlclose(handle); }

struct find_text {
    uintptr_t bias;
    const char *name;
    uintptr_t lo, hi;
    int found;
};

static int find_text_cb(struct dl_phdr_info *info, size_t size, void *data) {
    struct find_text *f = data;
    (void)size;
    if (info->dlpi_addr != f->bias || !info->dlpi_name || strcmp(info->dlpi_name, f->name) != 0)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        uintptr_t hi = lo + ph->p_memsz;
        if (!f->found || lo < f->lo)
            f->lo = lo;
        if (!f->found || hi > f->hi)
            f->hi = hi;
        f->found = 1;
    }
    return 1; /* this was the object: stop iterating */
}

int aot_code_register_lib(void *handle, uintptr_t *lo, uintptr_t *hi) {
    struct link_map *map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map) {
        errno = EINVAL;
        return -1;
    }
    struct find_text f = {map->l_addr, map->l_name, 0, 0, 0};
    dl_iterate_phdr(find_text_cb, &f);
    if (!f.found) { /* no code at all (a module without functions): nothing can fault */
        *lo = *hi = 0;
        return AOT_NO_CODE;
    }
    int slot = aot_registry_add(&aot_code_registry, f.lo, f.hi);
    if (slot < 0) {
        errno = ENOSPC;
        return -1;
    }
    *lo = f.lo;
    *hi = f.hi;
    return slot;
}
