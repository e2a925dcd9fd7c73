/*
 * Channels (ABI): the limits and constants of channel_create, channel_send and channel_receive
 * (quire/syscalls.h).
 *
 * A channel is a pair of endpoints; what one endpoint sends, the other receives, in order. A
 * message is up to QUIRE_CHANNEL_MAX_BYTES bytes plus up to QUIRE_CHANNEL_MAX_HANDLES handles;
 * each endpoint queues at most QUIRE_CHANNEL_MAX_MESSAGES messages sent to it. Sent handles
 * leave the sender's table and arrive in the receiver's with the same rights; a handle without
 * QUIRE_RIGHT_TRANSFER cannot be sent.
 */
#pragma once

#include <stdint.h>

#define QUIRE_CHANNEL_MAX_BYTES    65536u /* bytes in one message */
#define QUIRE_CHANNEL_MAX_HANDLES  16u    /* handles in one message */
#define QUIRE_CHANNEL_MAX_MESSAGES 64u    /* messages queued at one endpoint */

/* channel_receive()'s TIMEOUT_NS: 0 never waits; this waits without a limit. */
#define QUIRE_WAIT_FOREVER UINT64_MAX

/* The rights of each endpoint handle channel_create() makes. */
#define QUIRE_CHANNEL_RIGHTS                                                                       \
	(QUIRE_RIGHT_READ | QUIRE_RIGHT_WRITE | QUIRE_RIGHT_DUPLICATE | QUIRE_RIGHT_TRANSFER)
