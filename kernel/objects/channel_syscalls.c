/*
 * The channel system calls: channel_create, channel_send, channel_receive (quire/syscalls.h,
 * docs/ipc.md). This file decodes: it looks handles up, checks limits, copies the small
 * in-arguments in and writes channel_create's result; kernel/objects/channel.c does the rest.
 * Handles leave the sender's table here, and only once channel_send() succeeded.
 *
 * The prototypes are the generated ones (build/kernel/gen/syscall_table.h), which only
 * kernel/syscalls.c includes.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/objects/channel.h"
#include "kernel/objects/handle.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/user_copy.h"
#include "quire/syscalls.h"

long sys_channel_create(uint32_t flags, uint64_t out);
long sys_channel_send(quire_handle_t channel, uint64_t bytes, size_t len, uint64_t handles,
		      size_t handle_count);
long sys_channel_receive(quire_handle_t channel, uint64_t bytes, uint64_t len, uint64_t handles,
			 uint64_t handle_count, uint64_t timeout_ns);

/* The process making the call: system calls come from user threads only. */
static struct process *caller(void)
{
	struct process *p = process_current();

	kassert(p != NULL);
	return p;
}

/* Closes H, which this call installed or looked up a moment ago (nothing runs in between). */
static void close_own(struct handle_table *table, handle_t h)
{
	kerr_t err = handle_close(table, h);

	kassert(err == KERR_OK);
}

long sys_channel_create(uint32_t flags, uint64_t out)
{
	struct handle_table *table = &caller()->handles;
	struct channel_endpoint *a, *b;
	handle_t hs[2];
	kerr_t err;

	if (flags != 0)
		return -QUIRE_ERR_INVALID;
	err = channel_create(&a, &b);
	if (err != KERR_OK)
		return -(long)err;
	err = handle_install(table, channel_kobject(a), QUIRE_CHANNEL_RIGHTS, &hs[0]);
	if (err != KERR_OK)
		goto put;
	err = handle_install(table, channel_kobject(b), QUIRE_CHANNEL_RIGHTS, &hs[1]);
	if (err != KERR_OK)
		goto close_a;
	if (copy_to_user(out, hs, sizeof(hs)) == KERR_OK)
		goto put; /* the table holds both now */
	err = KERR_FAULT;
	close_own(table, hs[1]);
close_a:
	close_own(table, hs[0]);
put:
	kobject_put(channel_kobject(b)); /* on an error, the last references: both released */
	kobject_put(channel_kobject(a));
	return -(long)err;
}

/*
 * Looks up the N handles HS to pass over CHANNEL (whose object is SELF_OBJ), each needing
 * TRANSFER, into OUT. A handle listed twice, CHANNEL itself or another handle to its endpoint is
 * INVALID. On an error no reference is left taken.
 */
static kerr_t take_handles(struct handle_table *table, quire_handle_t channel,
			   struct kobject *self_obj, const quire_handle_t *hs, size_t n,
			   struct channel_transfer *out)
{
	size_t i;
	kerr_t err = KERR_OK;

	for (i = 0; i < n; i++) {
		if (hs[i] == channel)
			err = KERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (hs[j] == hs[i])
				err = KERR_INVALID;
		if (err == KERR_OK)
			err = handle_lookup_rights(table, hs[i], KOBJECT_NONE, QUIRE_RIGHT_TRANSFER,
						   &out[i].obj, &out[i].rights);
		if (err != KERR_OK)
			break;
		if (out[i].obj == self_obj) {
			kobject_put(out[i].obj);
			err = KERR_INVALID;
			break;
		}
	}
	if (err != KERR_OK)
		while (i-- > 0)
			kobject_put(out[i].obj);
	return err;
}

long sys_channel_send(quire_handle_t channel, uint64_t bytes, size_t len, uint64_t handles,
		      size_t handle_count)
{
	struct process *self = caller();
	quire_handle_t hs[QUIRE_CHANNEL_MAX_HANDLES];
	struct channel_transfer ts[QUIRE_CHANNEL_MAX_HANDLES];
	struct kobject *obj;

	kerr_t err =
	    handle_lookup(&self->handles, channel, KOBJECT_CHANNEL, QUIRE_RIGHT_WRITE, &obj);
	if (err != KERR_OK)
		return -(long)err;
	if (len > QUIRE_CHANNEL_MAX_BYTES || handle_count > QUIRE_CHANNEL_MAX_HANDLES)
		err = KERR_OUT_OF_RANGE;
	if (err == KERR_OK)
		err = copy_from_user(hs, handles, handle_count * sizeof(hs[0]));
	if (err == KERR_OK)
		err = take_handles(&self->handles, channel, obj, hs, handle_count, ts);
	if (err == KERR_OK) {
		struct channel_send_args args = {.space = self->space,
						 .bytes = bytes,
						 .len = len,
						 .handles = ts,
						 .handle_count = handle_count};
		err = channel_send(channel_from_kobject(obj), &args);
		if (err == KERR_OK)
			for (size_t i = 0; i < handle_count; i++)
				close_own(&self->handles, hs[i]); /* moved: the message has them */
		else
			for (size_t i = 0; i < handle_count; i++)
				kobject_put(ts[i].obj);
	}
	kobject_put(obj);
	return -(long)err;
}

long sys_channel_receive(quire_handle_t channel, uint64_t bytes, uint64_t len, uint64_t handles,
			 uint64_t handle_count, uint64_t timeout_ns)
{
	struct process *self = caller();
	struct channel_receive_args args = {.space = self->space,
					    .table = &self->handles,
					    .bytes = bytes,
					    .len = len,
					    .handles = handles,
					    .handle_count = handle_count,
					    .timeout_ns = timeout_ns};
	struct kobject *obj;

	kerr_t err =
	    handle_lookup(&self->handles, channel, KOBJECT_CHANNEL, QUIRE_RIGHT_READ, &obj);
	if (err != KERR_OK)
		return -(long)err;
	err = copy_from_user(&args.bytes_cap, len, sizeof(args.bytes_cap));
	if (err == KERR_OK)
		err = copy_from_user(&args.handles_cap, handle_count, sizeof(args.handles_cap));
	if (err == KERR_OK)
		err = channel_receive(channel_from_kobject(obj), &args);
	kobject_put(obj);
	return -(long)err;
}
