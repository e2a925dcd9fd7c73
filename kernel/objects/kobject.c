/*
 * Kernel objects; see kobject.h. The release operation of each type is in one table here, so the
 * set of object types is visible in one place (seL4 keeps the same switch in its object layer).
 */
#include "kernel/objects/kobject.h"

#include <stddef.h>

#include "kernel/lib/spinlock.h"
#include "kernel/memory/vm_area.h"
#include "kernel/panic.h"

typedef void (*kobject_release_fn)(struct kobject *obj);

void (*kobject_test_release)(struct kobject *obj);

static void test_release(struct kobject *obj)
{
	kassert(kobject_test_release != NULL);
	kobject_test_release(obj);
}

void (*kobject_process_release)(struct kobject *obj);

static void process_release_op(struct kobject *obj)
{
	kassert(kobject_process_release != NULL);
	kobject_process_release(obj);
}

void (*kobject_thread_release)(struct kobject *obj);

static void thread_release_op(struct kobject *obj)
{
	kassert(kobject_thread_release != NULL);
	kobject_thread_release(obj);
}

void (*kobject_channel_release)(struct kobject *obj);

static void channel_release_op(struct kobject *obj)
{
	kassert(kobject_channel_release != NULL);
	kobject_channel_release(obj);
}

static const kobject_release_fn release_ops[KOBJECT_TYPE_COUNT] = {
    [KOBJECT_VM_AREA] = vm_area_release,    [KOBJECT_TEST] = test_release,
    [KOBJECT_PROCESS] = process_release_op, [KOBJECT_THREAD] = thread_release_op,
    [KOBJECT_CHANNEL] = channel_release_op,
};

static const char *const type_names[KOBJECT_TYPE_COUNT] = {
    [KOBJECT_NONE] = "none",       [KOBJECT_VM_AREA] = "vm_area", [KOBJECT_TEST] = "test",
    [KOBJECT_PROCESS] = "process", [KOBJECT_THREAD] = "thread",   [KOBJECT_CHANNEL] = "channel",
};

static uint64_t next_id = 1;

void kobject_init(struct kobject *obj, enum kobject_type type)
{
	kassert(type > KOBJECT_NONE && type < KOBJECT_TYPE_COUNT);
	obj->type = type;
	obj->refcount = 1;
	obj->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

void kobject_get(struct kobject *obj)
{
	uint32_t old = __atomic_fetch_add(&obj->refcount, 1, __ATOMIC_RELAXED);

	kassert(old != 0 && old != UINT32_MAX);
}

void kobject_put(struct kobject *obj)
{
	uint32_t old = __atomic_fetch_sub(&obj->refcount, 1, __ATOMIC_ACQ_REL);

	kassert(old != 0);
	if (old != 1)
		return;
	kassert(spin_held_count() == 0);
	kassert(obj->type < KOBJECT_TYPE_COUNT && release_ops[obj->type] != NULL);
	release_ops[obj->type](obj);
}

const char *kobject_type_name(uint32_t type)
{
	return type < KOBJECT_TYPE_COUNT ? type_names[type] : "?";
}

uint32_t kobject_refcount(const struct kobject *obj)
{
	return __atomic_load_n(&obj->refcount, __ATOMIC_RELAXED);
}
