/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket side of the twamp-keys plugin: a bounded queue filled from the
 * bus threads and one writer thread that owns the connection. The bus never
 * waits for the socket. On every connect the writer says hello and sends a
 * full resync (docs/key-import.md §7); afterwards it sends queued lines one
 * at a time and reads one reply for each. An `err` reply is logged with the
 * record's key-free summary and the writer carries on; a broken connection
 * or a reply timeout closes the socket and the next connect resyncs.
 */
#define _GNU_SOURCE /* struct ucred; same definition as strongSwan's utils.h */
#include "twamp_keys.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <daemon.h>
#include <collections/linked_list.h>
#include <threading/condvar.h>
#include <threading/mutex.h>
#include <threading/thread.h>

/** Queued lines before the queue is dropped in favour of a resync. */
#define QUEUE_MAX 8192

typedef struct private_twamp_keys_writer_t private_twamp_keys_writer_t;

/** One queued record. */
typedef struct {
	char *line;   /**< without LF; may hold keys */
	char *what;   /**< key-free summary for logs */
} item_t;

struct private_twamp_keys_writer_t {
	twamp_keys_writer_t public;

	char *path;
	twamp_keys_snapshot_t snapshot;
	twamp_keys_fresh_t fresh;
	void *ctx;

	mutex_t *mutex;
	condvar_t *cond;
	linked_list_t *queue;   /**< item_t */
	bool online;            /**< connected and resynced: enqueue keeps lines */
	bool resync;            /**< queue overflowed: resync on this connection */
	bool stop;

	thread_t *thread;
	int fd;
	char rbuf[TWAMP_KEYS_LINE_MAX];
	size_t rlen;
	u_int reply_timeout_ms;
	u_int reconnect_max_ms;
	bool down_logged;       /**< connect failure logged once per outage */
	bool untrusted_logged;  /**< untrusted server logged once per outage */
};

void twamp_keys_free_line(char *line)
{
	if (line)
	{
		memwipe(line, strlen(line));
		free(line);
	}
}

static void item_destroy(item_t *item)
{
	twamp_keys_free_line(item->line);
	free(item->what);
	free(item);
}

static item_t *item_create(const char *line, const char *what)
{
	item_t *item;

	INIT(item,
		.line = strdup(line),
		.what = strdup(what),
	);
	return item;
}

static void queue_flush(private_twamp_keys_writer_t *this)
{
	item_t *item;

	while (this->queue->remove_first(this->queue, (void**)&item) == SUCCESS)
	{
		item_destroy(item);
	}
}

METHOD(twamp_keys_writer_t, enqueue, void,
	private_twamp_keys_writer_t *this, const char *line, const char *what)
{
	if (!this->online)
	{	/* the resync on connect carries the state */
		return;
	}
	if (this->queue->get_count(this->queue) >= QUEUE_MAX)
	{
		DBG1(DBG_CFG, "twamp-keys: queue full (%d records), resyncing",
			 QUEUE_MAX);
		queue_flush(this);
		this->resync = TRUE;
	}
	else
	{
		this->queue->insert_last(this->queue, item_create(line, what));
	}
	this->cond->signal(this->cond);
}

METHOD(twamp_keys_writer_t, lock, void,
	private_twamp_keys_writer_t *this)
{
	this->mutex->lock(this->mutex);
}

METHOD(twamp_keys_writer_t, unlock, void,
	private_twamp_keys_writer_t *this)
{
	this->mutex->unlock(this->mutex);
}

static void disconnect(private_twamp_keys_writer_t *this)
{
	if (this->fd >= 0)
	{
		close(this->fd);
		this->fd = -1;
	}
	this->rlen = 0;
	memwipe(this->rbuf, sizeof(this->rbuf));
	this->mutex->lock(this->mutex);
	this->online = FALSE;
	queue_flush(this);
	this->mutex->unlock(this->mutex);
}

/**
 * Keys go only to a server running as root or as charon's own user
 * (SO_PEERCRED), so a socket path taken over by another user gets nothing.
 */
static bool server_trusted(private_twamp_keys_writer_t *this, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		len != sizeof(cred))
	{
		DBG1(DBG_CFG, "twamp-keys: no peer credentials on %s: %s",
			 this->path, strerror(errno));
		return FALSE;
	}
	if (cred.uid != 0 && cred.uid != geteuid())
	{
		if (!this->untrusted_logged)
		{
			DBG1(DBG_CFG, "twamp-keys: %s is served by uid %u (pid %d), "
				 "not root: not sending keys", this->path, cred.uid,
				 cred.pid);
			this->untrusted_logged = TRUE;
		}
		return FALSE;
	}
	return TRUE;
}

static bool do_connect(private_twamp_keys_writer_t *this)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(this->path) >= sizeof(sun.sun_path))
	{
		return FALSE;
	}
	strncpy(sun.sun_path, this->path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		return FALSE;
	}
	if (connect(fd, (struct sockaddr*)&sun, sizeof(sun)) < 0)
	{
		if (!this->down_logged)
		{
			DBG1(DBG_CFG, "twamp-keys: connecting to %s failed: %s "
				 "(retrying)", this->path, strerror(errno));
			this->down_logged = TRUE;
		}
		close(fd);
		return FALSE;
	}
	if (!server_trusted(this, fd))
	{
		close(fd);
		return FALSE;
	}
	this->fd = fd;
	this->rlen = 0;
	return TRUE;
}

/** Write all of @p buf, or fail (peer gone, timeout). */
static bool write_all(private_twamp_keys_writer_t *this, const char *buf,
					  size_t len)
{
	struct pollfd pfd = { .fd = this->fd, .events = POLLOUT };
	ssize_t n;

	while (len)
	{
		if (poll(&pfd, 1, this->reply_timeout_ms) <= 0)
		{
			return FALSE;
		}
		n = send(this->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0)
		{
			if (errno == EINTR || errno == EAGAIN)
			{
				continue;
			}
			return FALSE;
		}
		buf += n;
		len -= (size_t)n;
	}
	return TRUE;
}

/**
 * Read one reply line (without LF) into @p out. Waits at most the reply
 * timeout, checking the stop flag every 200 ms.
 */
static bool read_reply(private_twamp_keys_writer_t *this, char *out,
					   size_t outlen)
{
	struct pollfd pfd = { .fd = this->fd, .events = POLLIN };
	u_int waited = 0;
	char *lf;
	ssize_t n;
	size_t l;
	int r;

	while (!(lf = memchr(this->rbuf, '\n', this->rlen)))
	{
		if (this->rlen == sizeof(this->rbuf) || this->stop)
		{
			return FALSE;
		}
		r = poll(&pfd, 1, 200);
		if (r < 0 && errno != EINTR)
		{
			return FALSE;
		}
		if (r <= 0)
		{
			waited += 200;
			if (waited >= this->reply_timeout_ms)
			{
				DBG1(DBG_CFG, "twamp-keys: no reply from %s within %u ms",
					 this->path, this->reply_timeout_ms);
				return FALSE;
			}
			continue;
		}
		n = recv(this->fd, this->rbuf + this->rlen,
				 sizeof(this->rbuf) - this->rlen, 0);
		if (n <= 0)
		{
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
			{
				continue;
			}
			return FALSE;
		}
		this->rlen += (size_t)n;
	}
	l = (size_t)(lf - this->rbuf);
	if (l >= outlen)
	{
		return FALSE;
	}
	memcpy(out, this->rbuf, l);
	out[l] = '\0';
	memmove(this->rbuf, lf + 1, this->rlen - l - 1);
	this->rlen -= l + 1;
	return TRUE;
}

/**
 * Send one record and read its reply. An `err` is logged and is not a
 * failure; only transport problems and replies that are neither `ok` nor
 * `err` are.
 */
static bool exchange(private_twamp_keys_writer_t *this, const char *line,
					 const char *what, char *reply, size_t replylen)
{
	size_t len = strlen(line);
	bool ok;

	ok = write_all(this, line, len) && write_all(this, "\n", 1);
	if (!ok || !read_reply(this, reply, replylen))
	{
		return FALSE;
	}
	if (streq(reply, "ok") || strpfx(reply, "ok "))
	{
		DBG2(DBG_CFG, "twamp-keys: %s: %s", what, reply);
		return TRUE;
	}
	if (strpfx(reply, "err "))
	{
		DBG1(DBG_CFG, "twamp-keys: %s refused by %s: %s", what, this->path,
			 reply);
		return TRUE;
	}
	DBG1(DBG_CFG, "twamp-keys: invalid reply from %s to %s", this->path,
		 what);
	return FALSE;
}

/**
 * Whether the idle connection is still usable: the server never speaks
 * unasked, so readable means closed (EOF) or broken.
 */
static bool idle_alive(private_twamp_keys_writer_t *this)
{
	struct pollfd pfd = { .fd = this->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

static void snapshot_add(void *list, const char *line, const char *what)
{
	linked_list_t *l = list;

	l->insert_last(l, item_create(line, what));
}

/** Whether @p what names an outbound child-add ("child-add ... out"). */
static bool child_add_out(const char *what)
{
	size_t n = strlen(what);

	return strpfx(what, "child-add ") && n > 4 && streq(what + n - 4, " out");
}

/**
 * Send every item of @p list (consumed); FALSE on transport failure. With
 * @p added, the summaries of the outbound child-add the server answered
 * "ok added" go there (docs/key-import.md §7: a repeat is "ok unchanged").
 */
static bool send_list(private_twamp_keys_writer_t *this, linked_list_t *list,
					  linked_list_t *added)
{
	char reply[TWAMP_KEYS_LINE_MAX];
	item_t *item;
	bool ok = TRUE;

	while (list->remove_first(list, (void**)&item) == SUCCESS)
	{
		if (ok && !this->stop)
		{
			ok = exchange(this, item->line, item->what, reply, sizeof(reply));
			if (ok && added && streq(reply, "ok added") &&
				child_add_out(item->what))
			{
				added->insert_last(added, strdup(item->what));
			}
		}
		item_destroy(item);
	}
	return ok && !this->stop;
}

/**
 * Send sync-begin, the whole state, sync-end. Taking the snapshot and
 * going online happen under one lock, so every later event is queued and
 * sent after the resync, and none is lost in between.
 */
static bool resync(private_twamp_keys_writer_t *this)
{
	linked_list_t *list = linked_list_create(), *added = linked_list_create();
	char *what;
	bool ok;
	u_int n;

	this->mutex->lock(this->mutex);
	queue_flush(this);
	this->resync = FALSE;
	snapshot_add(list, "sync-begin", "sync-begin");
	this->snapshot(this->ctx, snapshot_add, list);
	snapshot_add(list, "sync-end", "sync-end");
	this->online = TRUE;
	this->mutex->unlock(this->mutex);

	n = list->get_count(list) - 2;
	DBG1(DBG_CFG, "twamp-keys: resync to %s: %u records", this->path, n);
	ok = send_list(this, list, added);
	list->destroy(list);
	/* after sync-end: what the plugin does about it (a rekey) is new
	 * records, queued behind the resync */
	while (added->remove_first(added, (void**)&what) == SUCCESS)
	{
		if (ok && this->fresh)
		{
			this->fresh(this->ctx, what);
		}
		free(what);
	}
	added->destroy(added);
	return ok;
}

static bool hello(private_twamp_keys_writer_t *this)
{
	char reply[TWAMP_KEYS_LINE_MAX];
	const char *line = "hello versions=1 agent=strongswan-twamp-keys/1.0 "
					   "source=strongswan";

	if (!write_all(this, line, strlen(line)) || !write_all(this, "\n", 1) ||
		!read_reply(this, reply, sizeof(reply)))
	{
		return FALSE;
	}
	if (!streq(reply, "ok version=1") && !strpfx(reply, "ok version=1 "))
	{
		DBG1(DBG_CFG, "twamp-keys: %s refused the handshake: %s",
			 this->path, reply);
		return FALSE;
	}
	return TRUE;
}

/** Sleep @p ms unless stopped; returns FALSE when stopping. */
static bool pause_ms(private_twamp_keys_writer_t *this, u_int ms)
{
	bool stop;

	this->mutex->lock(this->mutex);
	if (!this->stop)
	{
		this->cond->timed_wait(this->cond, this->mutex, ms);
	}
	stop = this->stop;
	this->mutex->unlock(this->mutex);
	return !stop;
}

static void *run(private_twamp_keys_writer_t *this)
{
	linked_list_t *batch;
	u_int backoff = 250;
	item_t *item;

	thread_cancelability(FALSE);
	while (!this->stop)
	{
		if (this->fd < 0)
		{
			if (!do_connect(this))
			{
				pause_ms(this, backoff);
				backoff = min(backoff * 2, this->reconnect_max_ms);
				continue;
			}
			if (!hello(this) || !resync(this))
			{
				disconnect(this);
				pause_ms(this, backoff);
				backoff = min(backoff * 2, this->reconnect_max_ms);
				continue;
			}
			DBG1(DBG_CFG, "twamp-keys: connected to %s", this->path);
			this->down_logged = FALSE;
			this->untrusted_logged = FALSE;
			backoff = 250;
		}

		batch = linked_list_create();
		this->mutex->lock(this->mutex);
		while (!this->stop && !this->resync &&
			   this->queue->get_count(this->queue) == 0)
		{
			if (this->cond->timed_wait(this->cond, this->mutex, 1000) &&
				!idle_alive(this))
			{
				break;
			}
		}
		if (!this->stop && !this->resync &&
			this->queue->get_count(this->queue) == 0)
		{	/* woken by a closed connection */
			this->mutex->unlock(this->mutex);
			batch->destroy(batch);
			DBG1(DBG_CFG, "twamp-keys: %s closed the connection, "
				 "reconnecting", this->path);
			disconnect(this);
			continue;
		}
		if (this->resync)
		{
			this->mutex->unlock(this->mutex);
			batch->destroy(batch);
			if (!resync(this))
			{
				disconnect(this);
			}
			continue;
		}
		while (this->queue->remove_first(this->queue,
										 (void**)&item) == SUCCESS)
		{
			batch->insert_last(batch, item);
		}
		this->mutex->unlock(this->mutex);

		if (!send_list(this, batch, NULL))
		{
			DBG1(DBG_CFG, "twamp-keys: lost %s, reconnecting", this->path);
			disconnect(this);
		}
		batch->destroy(batch);
	}
	if (this->fd >= 0)
	{
		const char *bye = "bye\n";
		char reply[64];

		if (write_all(this, bye, strlen(bye)))
		{
			read_reply(this, reply, sizeof(reply));
		}
	}
	disconnect(this);
	return NULL;
}

METHOD(twamp_keys_writer_t, destroy, void,
	private_twamp_keys_writer_t *this)
{
	this->mutex->lock(this->mutex);
	this->stop = TRUE;
	this->cond->broadcast(this->cond);
	this->mutex->unlock(this->mutex);
	if (this->thread)
	{
		this->thread->join(this->thread);
	}
	queue_flush(this);
	this->queue->destroy(this->queue);
	this->cond->destroy(this->cond);
	this->mutex->destroy(this->mutex);
	free(this->path);
	free(this);
}

twamp_keys_writer_t *twamp_keys_writer_create(const char *path,
		twamp_keys_snapshot_t snapshot, twamp_keys_fresh_t fresh, void *ctx)
{
	private_twamp_keys_writer_t *this;

	INIT(this,
		.public = {
			.enqueue = _enqueue,
			.lock = _lock,
			.unlock = _unlock,
			.destroy = _destroy,
		},
		.path = strdup(path),
		.snapshot = snapshot,
		.fresh = fresh,
		.ctx = ctx,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.cond = condvar_create(CONDVAR_TYPE_DEFAULT),
		.queue = linked_list_create(),
		.fd = -1,
		.reply_timeout_ms = lib->settings->get_time(lib->settings,
				"%s.plugins.twamp-keys.reply_timeout", 5, lib->ns) * 1000,
		.reconnect_max_ms = lib->settings->get_time(lib->settings,
				"%s.plugins.twamp-keys.reconnect_max", 30, lib->ns) * 1000,
	);
	if (this->reply_timeout_ms == 0)
	{
		this->reply_timeout_ms = 1000;
	}
	if (this->reconnect_max_ms < 250)
	{
		this->reconnect_max_ms = 250;
	}
	this->thread = thread_create((thread_main_t)run, this);
	if (!this->thread)
	{
		destroy(this);
		return NULL;
	}
	return &this->public;
}
