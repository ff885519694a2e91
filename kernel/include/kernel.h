/* Generated from kernel/interfaces/kernel.kif by `python -m kernel header`: do not edit. */
/*
 * The capability kernel's system calls for plugins written in C.
 *
 * A cap_t names a kernel object in the calling plugin's own namespace; the same object
 * has other numbers in other plugins, and a number means nothing elsewhere. 0 is
 * CAP_NULL. Calls returning a cap_t return CAP_NULL on failure and leave the reason for
 * k_error(); calls returning int32_t return a K_E* error (< 0) on failure.
 *
 * Caps passed as arguments of a linked function are *lent* to the callee for the call
 * (it may use them, cap_dup them to keep them, not release them); a cap returned is
 * *moved* to the caller. A call to a plugin that is dead or traps during the call
 * returns 0 / CAP_NULL, and k_error() then says K_EDEAD or K_ETRAPPED.
 */
#ifndef AOT_KERNEL_H
#define AOT_KERNEL_H

#include <stdint.h>

/* A capability: an index into this plugin's own namespace. */
typedef uint32_t cap_t;
#define CAP_NULL ((cap_t)0)

#define K_OK (0)
/* not a live capability of this namespace (forged, released, null) */
#define K_EBADCAP (-1)
/* a capability of the wrong kind, or a handle of another class */
#define K_EKIND (-2)
/* a pointer/length outside the caller's own memory */
#define K_EFAULT (-3)
/* outside a grant's bounds, or a reply larger than the sender's buffers */
#define K_ERANGE (-4)
/* the grant lacks the right; the handle belongs to another plugin; a lent cap cannot be released */
#define K_EPERM (-5)
/* the plugin behind the capability is dead */
#define K_EDEAD (-6)
/* the callee trapped during this call and is now dead */
#define K_ETRAPPED (-7)
/* out of room: the namespace's cap limit or the plugin's kernel-memory allowance */
#define K_ENOMEM (-8)
/* already done (a second reply) or not yet (no reply) */
#define K_EAGAIN (-9)
/* an argument is invalid (rights, sizes, names) */
#define K_EINVAL (-10)
#define K_KIND_HANDLE (1)
#define K_KIND_MESSAGE (2)
#define K_KIND_GRANT (3)
#define K_KIND_ENDPOINT (4)
#define K_KIND_INSTANCE (5)
#define K_KIND_LOADER (6)
#define K_RIGHT_READ (1)
#define K_RIGHT_WRITE (2)
#define K_MSG_LEN (0)
#define K_MSG_NCAPS (1)
#define K_MSG_REPLY_LEN (2)
#define K_MSG_REPLY_NCAPS (3)

#define KERNEL_IMPORT(name) __attribute__((import_module("kernel"), import_name(#name)))

/* The error of the last kernel call that failed (0 if none), and clears it. */
KERNEL_IMPORT(k_error) int32_t k_error(void);
/* A second cap for the same object in this namespace. */
KERNEL_IMPORT(cap_dup) cap_t cap_dup(cap_t c);
/* Releases a cap (its number may be reused by the next cap made). K_EPERM for a lent cap. */
KERNEL_IMPORT(cap_release) int32_t cap_release(cap_t c);
/* The kind of object (K_KIND_*), 0 for a number that is not a live cap, K_EDEAD if revoked. */
KERNEL_IMPORT(cap_kind) int32_t cap_kind(cap_t c);
/*
 * Wraps `ptr` (an address of this plugin) with a class: the cap can travel anywhere,
 * but only this plugin gets `ptr` back, and only with the same class.
 */
KERNEL_IMPORT(handle_create) cap_t handle_create(void *ptr, uint32_t cls);
/* The pointer of a handle this plugin made with class `cls`, else 0 (see k_error()). */
KERNEL_IMPORT(handle_badge) void *handle_badge(cap_t h, uint32_t cls);
/*
 * A message: the kernel copies the data and caps now; a reply (msg_reply by whoever
 * receives it) is copied into recv_data / recv_caps, which must stay valid until then.
 */
KERNEL_IMPORT(msg_create) cap_t msg_create(const void *send_data, uint32_t send_len, const cap_t *send_caps, uint32_t n_send_caps, void *recv_data, uint32_t recv_len, cap_t *recv_caps, uint32_t n_recv_caps);
/*
 * Copies up to buf_len bytes and max_caps caps (as new caps here) of a message;
 * returns the message's full length.
 */
KERNEL_IMPORT(msg_recv) int32_t msg_recv(cap_t msg, void *buf, uint32_t buf_len, cap_t *caps_out, uint32_t max_caps);
/* Replies once: data and caps go to the sender's receive buffers. */
KERNEL_IMPORT(msg_reply) int32_t msg_reply(cap_t msg, const void *data, uint32_t len, const cap_t *caps, uint32_t ncaps);
/* K_MSG_LEN, K_MSG_NCAPS, K_MSG_REPLY_LEN, K_MSG_REPLY_NCAPS (K_EAGAIN before a reply). */
KERNEL_IMPORT(msg_info) int32_t msg_info(cap_t msg, uint32_t which);
/* A grant of [ptr, ptr+len) of this plugin's memory with K_RIGHT_READ and/or K_RIGHT_WRITE. */
KERNEL_IMPORT(grant_create) cap_t grant_create(uint32_t ptr, uint32_t len, uint32_t rights);
/* Copies len bytes at offset `off` of the granted region into dst; returns len. */
KERNEL_IMPORT(grant_read) int32_t grant_read(cap_t grant, uint32_t off, void *dst, uint32_t len);
/* Copies len bytes from src to offset `off` of the granted region; returns len. */
KERNEL_IMPORT(grant_write) int32_t grant_write(cap_t grant, uint32_t off, const void *src, uint32_t len);
/* The granted region's length in bytes. */
KERNEL_IMPORT(grant_size) int32_t grant_size(cap_t grant);
/*
 * Calls an endpoint with the message convention: msg (or CAP_NULL) is lent to the
 * callee with four integers; returns its result.
 */
KERNEL_IMPORT(endpoint_call) int32_t endpoint_call(cap_t ep, cap_t msg, int32_t a0, int32_t a1, int32_t a2, int32_t a3);
/*
 * With a loader cap: instantiates the module the loader allows under `name`, binding
 * its imports (in their order, the "kernel" ones excepted) to the endpoint caps given.
 */
KERNEL_IMPORT(instance_create) cap_t instance_create(cap_t loader, const void *name, uint32_t name_len, const cap_t *imports, uint32_t n_imports);
/* An endpoint for an export of an instance made with instance_create. */
KERNEL_IMPORT(instance_export) cap_t instance_export(cap_t instance, const void *name, uint32_t name_len);

#endif /* AOT_KERNEL_H */
