/*
 * Channels: endpoints, their message queues and their waiting receivers; see channel.h for the
 * model and docs/ipc.md for the rules.
 *
 * A message is one kmalloc block: the header, its handles ({reference, rights} each), then its
 * bytes. A blocked receiver is a struct channel_waiter on its own kernel stack, listed by the
 * endpoint it waits on until it leaves channel_receive(), whatever ends its wait; it has a wait
 * queue of its own, so a sender wakes exactly the receiver it chose. A sender that completes a
 * receive (the direct path) unlists the waiter and sets `delivered`; a sender or a closing peer
 * that only wants the receiver to look again unlists it and wakes it. A killed or timed-out receiver
 * is no longer on its wait queue but is still listed until it runs: senders skip it
 * (waiter_blocked()).
 *
 * The direct path is an optimisation with no failure of its own: whatever stops it (a fault or a
 * memory type the cross-space copy cannot reach on either side, a full handle table, a size
 * pointer that cannot be written) undoes what it did in the receiver's table and falls back to
 * the queued path. That path then decides: the sender's copy_from_user() fails the send with
 * FAULT (nothing moved), otherwise the message is queued and the chosen receiver is woken to
 * take it itself, where its own copy_to_user() or handle install reports FAULT or NO_MEMORY with
 * the message left queued, exactly as for a receive that found the message waiting.
 *
 * Locking: none; see channel.h (non-preemptible kernel, one CPU).
 */
#include "kernel/objects/channel.h"

#include <stdbool.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/memory/kheap.h"
#include "kernel/memory/vm_copy.h"
#include "kernel/panic.h"
#include "kernel/sched/sched.h"
#include "kernel/user_copy.h"
#include "quire/syscalls.h"

_Static_assert(sizeof(quire_handle_t) == sizeof(handle_t), "a user handle is a kernel handle");

struct channel_message {
	struct channel_message *next;
	uint32_t len;
	uint32_t handle_count;
	struct channel_transfer handles[]; /* HANDLE_COUNT, then LEN bytes */
};

/* A receiver blocked in channel_receive(), on its kernel stack. */
struct channel_waiter {
	struct channel_waiter *next; /* the endpoint's list, oldest first */
	bool listed;                 /* on that list */
	bool delivered;              /* a sender completed this receive (the direct path) */
	struct wait_queue wq;        /* only this receiver sleeps on it */
	struct thread *thread;
	const struct channel_receive_args *args;
};

struct channel_pair;

/* Legend: [c] constant after channel_create(); the rest change under "Locking" in channel.h. */
struct channel_endpoint {
	struct kobject obj;                  /* KOBJECT_CHANNEL */
	struct channel_pair *pair;           /* [c] */
	struct channel_endpoint *peer;       /* NULL once the peer was released */
	struct channel_message *head, *tail; /* messages sent to this endpoint, oldest first */
	uint32_t count;                      /* of them, <= QUIRE_CHANNEL_MAX_MESSAGES */
	struct channel_waiter *waiters, *waiters_tail;
	struct channel_endpoint *release_next; /* the deferred-release list */
};

struct channel_pair {
	struct channel_endpoint ends[2];
	unsigned live; /* endpoints not yet released; the pair is freed at 0 */
};

static uint64_t live_endpoints;
static struct channel_stats stats;

/* Endpoints whose release waits for the one running (SMP: per CPU). */
static struct channel_endpoint *release_pending;
static bool releasing;

struct channel_endpoint *channel_from_kobject(struct kobject *obj)
{
	kassert(obj->type == KOBJECT_CHANNEL);
	return container_of(obj, struct channel_endpoint, obj);
}

struct kobject *channel_kobject(struct channel_endpoint *ep)
{
	return &ep->obj;
}

uint32_t channel_queued(const struct channel_endpoint *ep)
{
	return ep->count;
}

bool channel_peer_closed(const struct channel_endpoint *ep)
{
	return ep->peer == NULL;
}

uint64_t channel_live_count(void)
{
	return live_endpoints;
}

void channel_get_stats(struct channel_stats *out)
{
	*out = stats;
}

kerr_t channel_create(struct channel_endpoint **a, struct channel_endpoint **b)
{
	struct channel_pair *pair = kzalloc(sizeof(*pair));

	if (pair == NULL)
		return KERR_NO_MEMORY;
	kobject_channel_release = channel_release;
	for (int i = 0; i < 2; i++) {
		kobject_init(&pair->ends[i].obj, KOBJECT_CHANNEL);
		pair->ends[i].pair = pair;
		pair->ends[i].peer = &pair->ends[1 - i];
	}
	pair->live = 2;
	live_endpoints += 2;
	*a = &pair->ends[0];
	*b = &pair->ends[1];
	return KERR_OK;
}

/* --- Messages --- */

static uint8_t *message_bytes(struct channel_message *m)
{
	return (uint8_t *)(m->handles + m->handle_count);
}

/* Drops the message's handle references and frees it. */
static void message_free(struct channel_message *m)
{
	for (uint32_t i = 0; i < m->handle_count; i++)
		kobject_put(m->handles[i].obj);
	kfree(m);
}

static void queue_append(struct channel_endpoint *ep, struct channel_message *m)
{
	kassert(ep->count < QUIRE_CHANNEL_MAX_MESSAGES);
	m->next = NULL;
	if (ep->tail != NULL)
		ep->tail->next = m;
	else
		ep->head = m;
	ep->tail = m;
	ep->count++;
}

static struct channel_message *queue_pop(struct channel_endpoint *ep)
{
	struct channel_message *m = ep->head;

	if (m == NULL)
		return NULL;
	ep->head = m->next;
	if (ep->head == NULL)
		ep->tail = NULL;
	ep->count--;
	return m;
}

/*
 * The message ARGS describes, its bytes copied in from the running process. The handle
 * references are not taken: the message owns them once it is queued.
 */
static kerr_t message_build(const struct channel_send_args *args, struct channel_message **out)
{
	size_t size = sizeof(struct channel_message) +
		      args->handle_count * sizeof(struct channel_transfer) + args->len;
	struct channel_message *m = kmalloc(size);

	if (m == NULL)
		return KERR_NO_MEMORY;
	m->len = (uint32_t)args->len;
	m->handle_count = (uint32_t)args->handle_count;
	kerr_t err = copy_from_user(message_bytes(m), args->bytes, args->len);
	if (err != KERR_OK) {
		kfree(m);
		return err;
	}
	for (size_t i = 0; i < args->handle_count; i++)
		m->handles[i] = args->handles[i];
	*out = m;
	return KERR_OK;
}

/* --- Waiters --- */

static void waiter_add(struct channel_endpoint *ep, struct channel_waiter *w)
{
	w->next = NULL;
	w->listed = true;
	if (ep->waiters_tail != NULL)
		ep->waiters_tail->next = w;
	else
		ep->waiters = w;
	ep->waiters_tail = w;
}

static void waiter_unlist(struct channel_endpoint *ep, struct channel_waiter *w)
{
	struct channel_waiter **link = &ep->waiters, *prev = NULL;

	if (!w->listed)
		return;
	while (*link != w) {
		kassert(*link != NULL);
		prev = *link;
		link = &(*link)->next;
	}
	*link = w->next;
	if (ep->waiters_tail == w)
		ep->waiters_tail = prev;
	w->next = NULL;
	w->listed = false;
}

/* Whether W's thread still sleeps on W's queue (not killed, not timed out, not woken). */
static bool waiter_blocked(const struct channel_waiter *w)
{
	return w->thread->state == THREAD_BLOCKED && w->thread->waiting_on == &w->wq;
}

/* The oldest receiver blocked on EP, or NULL. */
static struct channel_waiter *first_blocked(struct channel_endpoint *ep)
{
	for (struct channel_waiter *w = ep->waiters; w != NULL; w = w->next)
		if (waiter_blocked(w))
			return w;
	return NULL;
}

/* Unlists W and wakes it: DELIVERED, its receive is complete; otherwise it looks again. */
static void waiter_wake(struct channel_endpoint *ep, struct channel_waiter *w, bool delivered)
{
	waiter_unlist(ep, w);
	w->delivered = delivered;
	wait_queue_wake_all(&w->wq);
}

/* Wakes the oldest blocked receiver of EP, if any, to look at the queue again. */
static void wake_one(struct channel_endpoint *ep)
{
	struct channel_waiter *w = first_blocked(ep);

	if (w != NULL)
		waiter_wake(ep, w, false);
}

/* Wakes every receiver of EP to look again (its peer is gone). */
static void wake_all(struct channel_endpoint *ep)
{
	while (ep->waiters != NULL)
		waiter_wake(ep, ep->waiters, false);
}

/* --- Handles and results --- */

/* Installs N transfers in TABLE, handles into HS: all of them, or none (the first error). */
static kerr_t install_all(struct handle_table *table, const struct channel_transfer *ts, size_t n,
			  handle_t *hs)
{
	for (size_t i = 0; i < n; i++) {
		kerr_t err = handle_install(table, ts[i].obj, ts[i].rights, &hs[i]);
		if (err != KERR_OK) {
			while (i-- > 0)
				(void)handle_close(table, hs[i]); /* just installed: cannot fail */
			return err;
		}
	}
	return KERR_OK;
}

static void uninstall_all(struct handle_table *table, const handle_t *hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)handle_close(table, hs[i]); /* just installed: cannot fail */
}

/* Writes the handle values and the sizes to the running receiver's memory. */
static kerr_t write_results_here(const struct channel_receive_args *r, const handle_t *hs,
				 size_t len, size_t count)
{
	TRY(copy_to_user(r->handles, hs, count * sizeof(handle_t)));
	TRY(copy_to_user(r->len, &len, sizeof(len)));
	return copy_to_user(r->handle_count, &count, sizeof(count));
}

/* The same into a blocked receiver's space, from the sender's context. */
static kerr_t write_results_there(const struct channel_receive_args *r, const handle_t *hs,
				  size_t len, size_t count)
{
	TRY(vm_space_write(r->space, r->handles, hs, count * sizeof(handle_t)));
	TRY(vm_space_write(r->space, r->len, &len, sizeof(len)));
	return vm_space_write(r->space, r->handle_count, &count, sizeof(count));
}

/* --- Send --- */

static bool fits(const struct channel_receive_args *r, size_t len, size_t count)
{
	return len <= r->bytes_cap && count <= r->handles_cap;
}

/*
 * The direct path: S's message straight into blocked receiver W's buffers. Returns whether it
 * was delivered; when not, nothing is left in W's table (its buffer may hold some bytes).
 */
static bool deliver_direct(struct channel_waiter *w, const struct channel_send_args *s)
{
	const struct channel_receive_args *r = w->args;
	handle_t hs[QUIRE_CHANNEL_MAX_HANDLES];

	if (s->len > 0 &&
	    vm_space_copy(r->space, r->bytes, s->space, s->bytes, s->len, NULL) != KERR_OK)
		return false;
	if (install_all(r->table, s->handles, s->handle_count, hs) != KERR_OK)
		return false;
	if (write_results_there(r, hs, s->len, s->handle_count) != KERR_OK) {
		uninstall_all(r->table, hs, s->handle_count);
		return false;
	}
	for (size_t i = 0; i < s->handle_count; i++)
		kobject_put(s->handles[i].obj); /* the receiver's table holds its own now */
	return true;
}

kerr_t channel_send(struct channel_endpoint *ep, const struct channel_send_args *args)
{
	struct channel_endpoint *peer = ep->peer;
	struct channel_waiter *w = NULL;
	struct channel_message *m;

	kassert(args->len <= QUIRE_CHANNEL_MAX_BYTES &&
		args->handle_count <= QUIRE_CHANNEL_MAX_HANDLES);
	if (peer == NULL)
		return KERR_PEER_CLOSED;
	if (peer->count >= QUIRE_CHANNEL_MAX_MESSAGES)
		return KERR_SHOULD_WAIT;
	/* Directly only into an empty queue: a receiver must never overtake queued messages. */
	if (peer->head == NULL)
		w = first_blocked(peer);
	if (w != NULL && args->space != NULL && w->args->space != NULL &&
	    fits(w->args, args->len, args->handle_count)) {
		if (deliver_direct(w, args)) {
			stats.direct++;
			waiter_wake(peer, w, true);
			return KERR_OK;
		}
		stats.direct_failed++;
	}
	TRY(message_build(args, &m));
	queue_append(peer, m);
	stats.queued++;
	/* The receiver the direct path chose, if any, takes it (or meets its error) itself. */
	if (w != NULL)
		waiter_wake(peer, w, false);
	else
		wake_one(peer);
	return KERR_OK;
}

/* --- Receive --- */

/* Takes EP's oldest message into R's buffers, or leaves it queued with an error. */
static kerr_t take_message(struct channel_endpoint *ep, const struct channel_receive_args *r)
{
	struct channel_message *m = ep->head;
	handle_t hs[QUIRE_CHANNEL_MAX_HANDLES];

	if (!fits(r, m->len, m->handle_count)) {
		TRY(copy_to_user(r->len, &(size_t){m->len}, sizeof(size_t)));
		TRY(copy_to_user(r->handle_count, &(size_t){m->handle_count}, sizeof(size_t)));
		return KERR_BUFFER_TOO_SMALL;
	}
	TRY(copy_to_user(r->bytes, message_bytes(m), m->len));
	TRY(install_all(r->table, m->handles, m->handle_count, hs));
	kerr_t err = write_results_here(r, hs, m->len, m->handle_count);
	if (err != KERR_OK) {
		uninstall_all(r->table, hs, m->handle_count);
		return err;
	}
	struct channel_message *taken = queue_pop(ep);
	kassert(taken == m);
	message_free(taken); /* the receiver's table holds its own references now */
	return KERR_OK;
}

/* Blocks on EP until a sender or the peer's release wakes W, or DEADLINE passes. */
static kerr_t wait_for_message(struct channel_endpoint *ep, struct channel_waiter *w,
			       uint64_t deadline)
{
	w->delivered = false;
	w->thread = thread_current();
	wait_queue_init(&w->wq);
	waiter_add(ep, w);
	kerr_t slept = wait_queue_sleep_until(&w->wq, deadline);
	waiter_unlist(ep, w); /* still listed when killed or timed out */
	if (w->delivered)
		return KERR_OK; /* even if killed or timed out since: the message is here */
	return slept == KERR_OK ? KERR_SHOULD_WAIT : KERR_TIMEOUT; /* SHOULD_WAIT: look again */
}

kerr_t channel_receive(struct channel_endpoint *ep, const struct channel_receive_args *args)
{
	struct channel_waiter w = {.args = args};
	uint64_t deadline = 0;
	kerr_t err;

	for (bool first = true;; first = false) {
		if (ep->head != NULL) {
			err = take_message(ep, args);
			break;
		}
		if (ep->peer == NULL) {
			err = KERR_PEER_CLOSED;
			break;
		}
		if (args->timeout_ns == 0) {
			err = KERR_SHOULD_WAIT;
			break;
		}
		if (first)
			deadline = sched_deadline_ns(args->timeout_ns);
		err = wait_for_message(ep, &w, deadline);
		if (err != KERR_SHOULD_WAIT)
			break;
	}
	/*
	 * Messages still queued (this one stayed, or more came) may have woken this receiver alone:
	 * pass the wake on, so none waits behind a receiver that has left.
	 */
	if (ep->head != NULL)
		wake_one(ep);
	return err;
}

/* --- Release --- */

/* EP's last reference is gone: detach it from its peer and free its messages. */
static void endpoint_close(struct channel_endpoint *ep)
{
	struct channel_endpoint *peer = ep->peer;
	struct channel_message *m;

	kassert(ep->waiters == NULL); /* a receiver holds a reference while it waits */
	if (peer != NULL) {
		kassert(peer->peer == ep);
		peer->peer = NULL;
		ep->peer = NULL;
		wake_all(peer); /* PEER_CLOSED once their queue is empty */
	}
	while ((m = queue_pop(ep)) != NULL)
		message_free(m); /* may release more endpoints: they wait on release_pending */
	kassert(live_endpoints > 0);
	live_endpoints--;
	if (--ep->pair->live == 0)
		kfree(ep->pair);
}

void channel_release(struct kobject *obj)
{
	struct channel_endpoint *ep = channel_from_kobject(obj);

	ep->release_next = release_pending;
	release_pending = ep;
	if (releasing)
		return; /* the release running below takes it next */
	releasing = true;
	while ((ep = release_pending) != NULL) {
		release_pending = ep->release_next;
		endpoint_close(ep);
	}
	releasing = false;
}
