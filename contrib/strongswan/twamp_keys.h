/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * twamp-keys: a charon plugin that pushes IKE SA and Child SA keys to
 * twamp-dp's key-import socket (docs/key-import.md, protocol version 1).
 *
 * The bus listener (twamp_keys_plugin.c) turns IKE/Child SA events into
 * protocol lines and keeps the set of SAs it exported; the writer
 * (twamp_keys_writer.c) owns the socket, sends queued lines from its own
 * job and resyncs the whole set on every (re)connect. Key material lives
 * only in those lines and is wiped when they are freed.
 */
#ifndef TWAMP_KEYS_H_
#define TWAMP_KEYS_H_

#include <library.h>

/** Longest protocol line including the LF (docs/key-import.md §2). */
#define TWAMP_KEYS_LINE_MAX 4096

typedef struct twamp_keys_writer_t twamp_keys_writer_t;

/**
 * Callback giving the writer the full current state for a resync: it
 * calls @p add for every line in order (IKE SAs first, each Child SA's
 * outbound record before its inbound one).
 */
typedef void (*twamp_keys_snapshot_t)(void *ctx,
		void (*add)(void *list, const char *line, const char *what),
		void *list);

/**
 * Callback after a resync, once for each outbound `child-add` the server
 * answered `ok added` (it did not hold that SA: it restarted, or never had
 * it); @p what is the record's summary as given to the snapshot's add.
 * Called from the writer's thread without the lock.
 */
typedef void (*twamp_keys_fresh_t)(void *ctx, const char *what);

/**
 * The socket writer: a queue of lines and a job that delivers them.
 */
struct twamp_keys_writer_t {

	/**
	 * Queue one line (without LF) for delivery; @p what is a key-free
	 * summary used in logs. Both are copied. Lines queued while the
	 * socket is down are dropped: the resync on connect supersedes them.
	 * Must be called with the state lock held (see lock()).
	 */
	void (*enqueue)(twamp_keys_writer_t *this, const char *line,
					const char *what);

	/** Lock the state shared with the snapshot callback. */
	void (*lock)(twamp_keys_writer_t *this);

	/** Unlock it. */
	void (*unlock)(twamp_keys_writer_t *this);

	/** Stop the job, close the socket, wipe and free everything. */
	void (*destroy)(twamp_keys_writer_t *this);
};

/**
 * Create the writer and start its job.
 *
 * @param path		socket path
 * @param snapshot	state callback for the resync (called with the lock held)
 * @param fresh		outbound Child SAs new to the server after a resync, or NULL
 * @param ctx		its context
 * @return			the writer, NULL on failure
 */
twamp_keys_writer_t *twamp_keys_writer_create(const char *path,
		twamp_keys_snapshot_t snapshot, twamp_keys_fresh_t fresh,
		void *ctx);

/** Free a line that may hold key material (wipes it). NULL is a no-op. */
void twamp_keys_free_line(char *line);

#endif /** TWAMP_KEYS_H_ */
