/* What the kernel's Python side calls in the core (besides the syscalls, whose
 * prototypes are generated from kernel/interfaces/kernel.kif). */
#ifndef KAPI_H
#define KAPI_H

#include "kcore.h"

KObject *k_object_new(uint32_t kind, KInstance *owner);
KInstance *k_instance_new(KKernel *k, VMMemory *mem, uint32_t cap_limit, uint32_t id);
void k_instance_close(KInstance *inst);
void k_instance_free(KInstance *inst);
int32_t k_instance_live_caps(KInstance *inst);
int32_t k_instance_table_size(KInstance *inst);
int32_t k_generic_translate(void *host_ctx, void *tctx, void *slots);
struct KGenericCtx *k_generic_ctx_new(void *builtins, KLink *link);
int32_t k_endpoint_invoke(KInstance *caller, void *tctx, KEndpoint *ep, KObject *msg,
                          int32_t a0, int32_t a1, int32_t a2, int32_t a3);
KObject *k_ns_lookup(KInstance *inst, uint32_t cap);
uint32_t k_lend_cap(KInstance *inst, KObject *obj);
void k_unlend_cap(KInstance *inst, uint32_t cap);
uint32_t k_move_cap(KInstance *from, KInstance *to, uint32_t cap);
/* For the host: a message whose reply is kept in the object (the host has no memory). */
KMessage *k_host_message_new(const uint8_t *data, uint32_t len, KObject **caps, uint32_t ncaps,
                             uint32_t reply_max, uint32_t reply_max_caps);
const uint8_t *k_message_reply(KMessage *m, uint32_t *len, uint32_t *ncaps);
KObject *k_message_reply_cap(KMessage *m, uint32_t i);

#endif /* KAPI_H */
