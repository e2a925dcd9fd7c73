/*
 * Kernel objects: the common header of everything a handle can name.
 *
 * Model: a kobject carries its type, a reference count and a unique id. Whoever keeps a pointer
 * to an object beyond the call that gave it holds a reference (kobject_get) and drops it
 * (kobject_put); the last put calls the type's release operation, which frees the object. For a
 * vm_area the references are its handles (issue 5) and its mappings, one each, so an area lives
 * until it has neither, and its frames are freed then and not before.
 *
 * Locking: the count is atomic (__atomic builtins); type and id never change after
 * kobject_init(). The release operation runs in the context of the last put: no spinlock may be
 * held by whoever might drop a last reference (release frees memory, it never allocates).
 */
#pragma once

#include <stdint.h>

enum kobject_type {
	KOBJECT_NONE = 0,
	KOBJECT_VM_AREA, /* struct vm_area (kernel/memory/vm_area.h) */
	KOBJECT_TEST,    /* tests only: released through kobject_test_release */
	KOBJECT_PROCESS, /* struct process (kernel/process.h), released through kobject_process_release */
	KOBJECT_THREAD, /* struct thread (kernel/sched/thread.h), released through kobject_thread_release */
	KOBJECT_CHANNEL, /* a channel endpoint (kernel/objects/channel.h), kobject_channel_release */
	KOBJECT_TYPE_COUNT
};

/* Legend: [c] constant after kobject_init(); [a] atomic. */
struct kobject {
	uint32_t type;     /* [c] enum kobject_type */
	uint32_t refcount; /* [a] references held */
	uint64_t id;       /* [c] unique for the kernel's lifetime, never 0 */
};

/* kobject_init - OBJ of TYPE with one reference (the creator's) and a fresh id. Any context. */
void kobject_init(struct kobject *obj, enum kobject_type type);

/* kobject_get - one more reference to OBJ, which the caller already holds one of. Any context. */
void kobject_get(struct kobject *obj);

/*
 * kobject_put - drops one reference; the last one calls the type's release operation, which
 * frees OBJ. No spinlock held (release may free frames and take the type's locks). Never
 * allocates.
 */
void kobject_put(struct kobject *obj);

/*
 * kobject_test_release - the release operation of KOBJECT_TEST objects, which tests embed in
 * records of their own (a counting release, say). NULL: releasing one panics.
 */
extern void (*kobject_test_release)(struct kobject *obj);

/* The release of KOBJECT_PROCESS, set by kernel/process.c (host tests link no processes). */
extern void (*kobject_process_release)(struct kobject *obj);

/* The release of KOBJECT_THREAD, set by kernel/sched/thread.c (host tests link no threads). */
extern void (*kobject_thread_release)(struct kobject *obj);

/* The release of KOBJECT_CHANNEL, set by kernel/objects/channel.c (host tests link no channels). */
extern void (*kobject_channel_release)(struct kobject *obj);

/* kobject_type_name - "vm_area", "test", ...; "?" for a value out of range. Pure. */
const char *kobject_type_name(uint32_t type);

/* kobject_refcount - the current count (tests and assertions; racy by nature). Any context. */
uint32_t kobject_refcount(const struct kobject *obj);
