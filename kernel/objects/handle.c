/*
 * Handle tables; see handle.h for the model, the value encoding and the lock contract.
 *
 * A slot is free when obj is NULL; free slots are chained through next_free in the order they
 * were freed (the slots of a new chunk go to the tail too). Operations that need a free slot run
 * a loop: lock, check, take a free slot if there is one; otherwise note the capacity, unlock,
 * grow (allocate, lock, re-check, link, unlock, free), and go round again, re-checking the
 * handle, which may have been closed while the lock was dropped.
 */
#include "kernel/objects/handle.h"

#include <stdbool.h>
#include <stddef.h>

#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/panic.h"

#define INDEX_MASK     ((1u << HANDLE_INDEX_BITS) - 1)
#define GENERATION_MAX ((1u << (32 - HANDLE_INDEX_BITS)) - 1)
#define NO_SLOT        HANDLE_TABLE_MAX /* end of the free list */

/* Legend: every field guarded by the table's lock. */
struct handle_slot {
	struct kobject *obj; /* NULL when free */
	union {
		quire_rights_t rights; /* open: the handle's rights */
		uint32_t next_free;    /* free: the next free slot, or NO_SLOT */
	};
	uint32_t generation; /* 1 ..= GENERATION_MAX: the high bits of the slot's handle value */
};

#define CHUNK_BYTES (HANDLE_TABLE_CHUNK * sizeof(struct handle_slot))
#define DIR_MAX     (HANDLE_TABLE_MAX / HANDLE_TABLE_CHUNK)

_Static_assert(HANDLE_TABLE_MAX == 1u << HANDLE_INDEX_BITS, "the limit is the index bits");
_Static_assert(sizeof(struct handle_slot) == 16, "slot layout");
_Static_assert(CHUNK_BYTES <= KHEAP_SMALL_MAX, "a chunk is a slab object (no large block)");
_Static_assert(DIR_MAX * sizeof(struct handle_slot *) <= KHEAP_SMALL_MAX, "so is the directory");
_Static_assert((DIR_MAX & (DIR_MAX - 1)) == 0, "the directory doubles up to DIR_MAX");

static handle_t encode(uint32_t index, uint32_t generation)
{
	return (generation << HANDLE_INDEX_BITS) | index;
}

/* Slot INDEX (< capacity). Table lock held. */
static struct handle_slot *slot_at_locked(struct handle_table *table, uint32_t index)
{
	return &table->chunks[index / HANDLE_TABLE_CHUNK][index % HANDLE_TABLE_CHUNK];
}

/* The open slot H names, or NULL. Table lock held. */
static struct handle_slot *slot_of_locked(struct handle_table *table, handle_t h)
{
	uint32_t index = h & INDEX_MASK;
	struct handle_slot *slot;

	if (index >= table->capacity)
		return NULL;
	slot = slot_at_locked(table, index);
	if (slot->obj == NULL || encode(index, slot->generation) != h)
		return NULL;
	return slot;
}

/* Appends slot INDEX (free now) to the free list. Table lock held. */
static void push_free_locked(struct handle_table *table, uint32_t index)
{
	slot_at_locked(table, index)->next_free = NO_SLOT;
	if (table->free_head == NO_SLOT)
		table->free_head = index;
	else
		slot_at_locked(table, table->free_tail)->next_free = index;
	table->free_tail = index;
}

/*
 * Fills the oldest free slot with OBJ and RIGHTS, taking a reference; false when there is none.
 * Table lock held.
 */
static bool take_free_locked(struct handle_table *table, struct kobject *obj, quire_rights_t rights,
			     handle_t *out)
{
	uint32_t index = table->free_head;
	struct handle_slot *slot;

	if (index == NO_SLOT)
		return false;
	slot = slot_at_locked(table, index);
	table->free_head = slot->next_free;
	kobject_get(obj);
	slot->obj = obj;
	slot->rights = rights;
	table->count++;
	*out = encode(index, slot->generation);
	return true;
}

/* Whether a table of N chunks has a full directory (its size is the power of two >= N). */
static bool directory_full(uint32_t n)
{
	return (n & (n - 1)) == 0; /* 0, 1, 2, 4, ...: the directory holds exactly n */
}

/*
 * Grows TABLE past SEEN slots (its capacity when the caller found no free slot) by one chunk.
 * Returns KERR_OK also when another CPU grew it meanwhile. No lock held. Errors: KERR_NO_MEMORY.
 */
static kerr_t grow(struct handle_table *table, uint32_t seen)
{
	uint32_t n = seen / HANDLE_TABLE_CHUNK;
	struct handle_slot **dir = NULL, **old_dir = NULL;
	struct handle_slot *chunk;

	if (seen >= HANDLE_TABLE_MAX)
		return KERR_NO_MEMORY;
	chunk = kmalloc(CHUNK_BYTES);
	if (chunk == NULL)
		return KERR_NO_MEMORY;
	if (directory_full(n)) {
		dir = kmalloc((n == 0 ? 1 : 2 * n) * sizeof(*dir));
		if (dir == NULL) {
			kfree(chunk);
			return KERR_NO_MEMORY;
		}
	}

	spin_lock(&table->lock);
	if (table->capacity != seen) {
		spin_unlock(&table->lock);
		kfree(dir);
		kfree(chunk);
		return KERR_OK;
	}
	if (dir != NULL) {
		if (n != 0)
			memcpy(dir, table->chunks, n * sizeof(*dir));
		old_dir = table->chunks;
		table->chunks = dir;
	}
	table->chunks[n] = chunk;
	table->capacity = seen + HANDLE_TABLE_CHUNK;
	for (uint32_t i = 0; i < HANDLE_TABLE_CHUNK; i++) {
		chunk[i].obj = NULL;
		chunk[i].generation = 1;
		push_free_locked(table, seen + i);
	}
	spin_unlock(&table->lock);
	kfree(old_dir);
	return KERR_OK;
}

void handle_table_init(struct handle_table *table)
{
	spin_init(&table->lock, "handle_table", LOCK_RANK_HANDLE_TABLE);
	table->chunks = NULL;
	table->capacity = 0;
	table->count = 0;
	table->free_head = NO_SLOT;
	table->free_tail = NO_SLOT;
}

void handle_table_destroy(struct handle_table *table)
{
	struct handle_slot **chunks;
	uint32_t n;

	kassert(spin_held_count() == 0);
	spin_lock(&table->lock);
	chunks = table->chunks;
	n = table->capacity / HANDLE_TABLE_CHUNK;
	table->chunks = NULL;
	table->capacity = 0;
	table->count = 0;
	table->free_head = NO_SLOT;
	table->free_tail = NO_SLOT;
	spin_unlock(&table->lock);

	/* Unlocked: the table no longer names these, and a put may release an object. */
	for (uint32_t c = 0; c < n; c++) {
		for (uint32_t i = 0; i < HANDLE_TABLE_CHUNK; i++) {
			if (chunks[c][i].obj != NULL)
				kobject_put(chunks[c][i].obj);
		}
		kfree(chunks[c]);
	}
	kfree(chunks);
}

kerr_t handle_install(struct handle_table *table, struct kobject *obj, quire_rights_t rights,
		      handle_t *out)
{
	uint32_t seen;

	kassert(spin_held_count() == 0);
	kassert(obj != NULL && (rights & ~QUIRE_RIGHTS_VALID) == 0);
	for (;;) {
		spin_lock(&table->lock);
		if (take_free_locked(table, obj, rights, out)) {
			spin_unlock(&table->lock);
			return KERR_OK;
		}
		seen = table->capacity;
		spin_unlock(&table->lock);
		TRY(grow(table, seen));
	}
}

kerr_t handle_lookup_rights(struct handle_table *table, handle_t h, uint32_t type,
			    quire_rights_t required, struct kobject **out, quire_rights_t *rights)
{
	struct handle_slot *slot;
	kerr_t err = KERR_OK;

	kassert(type < KOBJECT_TYPE_COUNT && (required & ~QUIRE_RIGHTS_VALID) == 0);
	spin_lock(&table->lock);
	slot = slot_of_locked(table, h);
	if (slot == NULL)
		err = KERR_BAD_HANDLE;
	else if (type != KOBJECT_NONE && slot->obj->type != type)
		err = KERR_WRONG_TYPE;
	else if ((slot->rights & required) != required)
		err = KERR_ACCESS_DENIED;
	if (err == KERR_OK) {
		kobject_get(slot->obj);
		*out = slot->obj;
		if (rights != NULL)
			*rights = slot->rights;
	}
	spin_unlock(&table->lock);
	return err;
}

kerr_t handle_lookup(struct handle_table *table, handle_t h, uint32_t type, quire_rights_t required,
		     struct kobject **out)
{
	return handle_lookup_rights(table, h, type, required, out, NULL);
}

kerr_t handle_close(struct handle_table *table, handle_t h)
{
	struct handle_slot *slot;
	struct kobject *obj;

	kassert(spin_held_count() == 0);
	spin_lock(&table->lock);
	slot = slot_of_locked(table, h);
	if (slot == NULL) {
		spin_unlock(&table->lock);
		return KERR_BAD_HANDLE;
	}
	obj = slot->obj;
	slot->obj = NULL;
	slot->generation = slot->generation == GENERATION_MAX ? 1 : slot->generation + 1;
	push_free_locked(table, h & INDEX_MASK);
	table->count--;
	spin_unlock(&table->lock);
	kobject_put(obj); /* after unlocking: the last put releases the object */
	return KERR_OK;
}

kerr_t handle_clone(struct handle_table *table, handle_t h, quire_rights_t rights, handle_t *out)
{
	struct handle_slot *slot;
	kerr_t err = KERR_OK;
	uint32_t seen;

	kassert(spin_held_count() == 0);
	if ((rights & ~QUIRE_RIGHTS_VALID) != 0)
		return KERR_INVALID;
	for (;;) {
		bool cloned = false;

		spin_lock(&table->lock);
		slot = slot_of_locked(table, h);
		if (slot == NULL)
			err = KERR_BAD_HANDLE;
		else if ((slot->rights & QUIRE_RIGHT_DUPLICATE) == 0 ||
			 (slot->rights & rights) != rights)
			err = KERR_ACCESS_DENIED;
		else
			cloned = take_free_locked(table, slot->obj, rights, out);
		seen = table->capacity;
		spin_unlock(&table->lock);
		if (slot == NULL || err == KERR_ACCESS_DENIED)
			return err;
		if (cloned)
			return KERR_OK;
		TRY(grow(table, seen)); /* no free slot: grow, then check H again */
	}
}

uint32_t handle_table_count(struct handle_table *table)
{
	uint32_t n;

	spin_lock(&table->lock);
	n = table->count;
	spin_unlock(&table->lock);
	return n;
}

uint32_t handle_table_capacity(struct handle_table *table)
{
	uint32_t n;

	spin_lock(&table->lock);
	n = table->capacity;
	spin_unlock(&table->lock);
	return n;
}
