/*
 * Channels: a pair of endpoints that move messages of bytes and handles between processes.
 *
 * Model: channel_create() makes two endpoint kobjects (KOBJECT_CHANNEL) in one pair record. What
 * is sent on one endpoint is queued at the other, its peer: each endpoint holds the FIFO of
 * messages sent TO it (at most QUIRE_CHANNEL_MAX_MESSAGES), the list of threads blocked receiving
 * on it, and its peer pointer, which becomes NULL when the peer endpoint is released (its last
 * reference dropped: the last handle closed, say by its process ending). A queued message holds
 * its bytes in kernel memory and each of its handles as {kobject reference, rights}.
 *
 * Two ways to deliver (docs/ipc.md):
 *  - direct: when a receiver is blocked on the peer, the queue there is empty and the receiver's
 *    buffers are big enough, the sender copies the bytes from its own space straight into the
 *    receiver's buffer (vm_space_copy(): the receiver recorded its buffer and space when it
 *    blocked), installs the handles in the receiver's table, writes its sizes and hands it its
 *    result. Whatever stops it falls back to the queued path: a fault on the sender's side then
 *    fails the send (nothing moves); a fault on the receiver's side or its full handle table
 *    leaves the message queued and the receiver woken, to meet the same error itself
 *    (KERR_FAULT / KERR_NO_MEMORY) with the message still queued: nothing is lost.
 *  - queued: otherwise the bytes are copied in (copy_from_user) and the message appended; one
 *    blocked receiver is woken to take it.
 * A receiver takes the oldest message: too small buffers give KERR_BUFFER_TOO_SMALL with the sizes
 * needed written; the bytes are copied out, the handles installed (all or none), the handle
 * values and sizes written; any failure leaves the message queued.
 *
 * Each blocked receiver waits on a wait queue of its own inside a waiter record on its stack,
 * which the endpoint lists in FIFO order: the scheduler wakes whole queues, and a sender must wake
 * (and hand a result to) exactly the receiver it chose.
 *
 * Release: an endpoint's last reference frees its queued messages (dropping their handles'
 * references), detaches it from its peer and wakes the peer's receivers (PEER_CLOSED once the
 * peer's queue is drained). Dropping a message's handles can release further endpoints; those
 * releases are queued and run one after another by the outermost release, so a chain of
 * endpoints inside messages inside endpoints cannot overflow the kernel stack.
 *
 * Locking: none today. The kernel is not preemptible and one CPU runs threads (sched.h), so
 * every operation here, copies included (vm_space_copy() and the user copies never sleep), runs
 * without interruption from its checks to its commit. SMP (issue 7) needs a lock per pair over
 * the peer pointers, queues and waiter lists, and a claimed state for a waiter whose direct
 * delivery runs outside that lock (docs/ipc.md).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <quire/channel.h>
#include <quire/rights.h>

#include "kernel/lib/kerr.h"
#include "kernel/memory/vm_space.h"
#include "kernel/objects/handle.h"
#include "kernel/objects/kobject.h"

struct channel_endpoint;

/* A handle in flight: one reference to OBJ, and the rights it arrives with. */
struct channel_transfer {
	struct kobject *obj;
	quire_rights_t rights;
};

/* What a sender hands channel_send(). */
struct channel_send_args {
	struct vm_space *space; /* the sender's: the direct path reads BYTES from it */
	uint64_t bytes;         /* user address of the message's bytes (in the running process) */
	size_t len;             /* <= QUIRE_CHANNEL_MAX_BYTES */
	struct channel_transfer *handles; /* references the caller holds; see channel_send() */
	size_t handle_count;              /* <= QUIRE_CHANNEL_MAX_HANDLES */
};

/* What a receiver hands channel_receive(): user addresses in the running process. */
struct channel_receive_args {
	struct vm_space *space;        /* the receiver's: a direct sender writes into it */
	struct handle_table *table;    /* the receiver's: handles are installed here */
	uint64_t bytes;                /* the byte buffer, BYTES_CAP bytes */
	uint64_t len;                  /* where the message's byte count is written (size_t) */
	uint64_t handles;              /* the handle array, HANDLES_CAP entries (quire_handle_t) */
	uint64_t handle_count;         /* where the message's handle count is written (size_t) */
	size_t bytes_cap, handles_cap; /* what *len and *handle_count said */
	uint64_t timeout_ns;           /* 0: never wait; QUIRE_WAIT_FOREVER: no limit */
};

/*
 * channel_create - a new channel: two endpoints, each the other's peer. *A and *B each get one
 * reference (the caller installs them in a handle table and puts them). No spinlock held;
 * allocates. Errors: KERR_NO_MEMORY.
 */
kerr_t channel_create(struct channel_endpoint **a, struct channel_endpoint **b);

/* channel_from_kobject - the endpoint OBJ (KOBJECT_CHANNEL) is. */
struct channel_endpoint *channel_from_kobject(struct kobject *obj);

/* channel_kobject - EP's kobject header. */
struct kobject *channel_kobject(struct channel_endpoint *ep);

/*
 * channel_send - sends ARGS's message from EP to its peer (the limits and the handles were
 * checked by the caller: each passed handle has TRANSFER, none repeats or names EP). On success
 * the references in ARGS->handles belong to the message (or were given to the receiver's table):
 * the caller must not put them, and closes the sender's handles. On an error nothing moved and
 * the caller still holds them. Runs in the sender's process; no spinlock held; may allocate;
 * never sleeps. Errors, in this order: KERR_PEER_CLOSED, KERR_SHOULD_WAIT (the peer's queue is
 * full), KERR_FAULT (the bytes cannot be read), KERR_NO_MEMORY.
 */
kerr_t channel_send(struct channel_endpoint *ep, const struct channel_send_args *args);

/*
 * channel_receive - takes the oldest message queued at EP into ARGS's buffers, waiting for one
 * as ARGS->timeout_ns says. Runs in the receiver's process; no spinlock held; may allocate
 * (handle tables) and sleep. Errors: KERR_BUFFER_TOO_SMALL (the sizes needed written; the message
 * stays), KERR_FAULT and KERR_NO_MEMORY (the message stays), KERR_PEER_CLOSED (empty, peer gone),
 * KERR_SHOULD_WAIT (empty, timeout 0), KERR_TIMEOUT (the time passed, or the thread was killed).
 */
kerr_t channel_receive(struct channel_endpoint *ep, const struct channel_receive_args *args);

/* channel_queued - the number of messages queued at EP (tests). */
uint32_t channel_queued(const struct channel_endpoint *ep);

/* channel_peer_closed - whether EP's peer has been released (tests). */
bool channel_peer_closed(const struct channel_endpoint *ep);

/* channel_live_count - endpoints not yet released, kernel-wide (tests: nothing leaks). */
uint64_t channel_live_count(void);

/* How messages went, kernel-wide (tests, benchmarks). */
struct channel_stats {
	uint64_t direct;        /* delivered straight into a blocked receiver's buffers */
	uint64_t direct_failed; /* tried that, and fell back to the queue */
	uint64_t queued;        /* queued (after a failed direct attempt too) */
};

/* channel_get_stats - the counts so far. */
void channel_get_stats(struct channel_stats *out);

/* channel_release - kobject release for KOBJECT_CHANNEL (see the model above). */
void channel_release(struct kobject *obj);
