/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key-import Unix stream socket (docs/key-import.md §1): mode 0600,
 * SO_PEERCRED (root and our own uid), at most 8 clients, non-blocking,
 * one line at a time per connection, replies queued per connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "keyimp_priv.h"

#define OUT_SOFT (64u * 1024)      /* stop reading requests above this */
#define OUT_HARD (8u * 1024 * 1024) /* a client that never reads is closed */

struct conn {
	int fd;
	bool discard;          /* inside a too-long line */
	bool closing;          /* close once the output is sent */
	uint32_t ev_mask;      /* events registered */
	uint64_t t_open_ms;
	struct tw_keyimp_sess *sess;
	size_t rlen;
	char rbuf[TW_KEYIMP_LINE_MAX];
	char *wbuf;
	size_t wlen, woff, wcap;
};

struct tw_keyimp_server {
	struct tw_keyimp *t;
	int lfd, ep;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	uid_t allow_uid;
	unsigned max_clients;
	int hello_ms;
	struct conn *conns[TW_KEYIMP_CLIENTS_MAX * 4];
	unsigned n_conns;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void conn_close(struct tw_keyimp_server *srv, unsigned i)
{
	struct conn *c = srv->conns[i];

	epoll_ctl(srv->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	tw_keyimp_sess_close(c->sess);
	ki_stats_conn(srv->t, 1);
	explicit_bzero(c->rbuf, sizeof(c->rbuf));
	if (c->wbuf != NULL)
		explicit_bzero(c->wbuf, c->wcap);
	free(c->wbuf);
	free(c);
	srv->conns[i] = srv->conns[--srv->n_conns];
}

static int emit_conn(void *arg, const char *line, size_t len)
{
	struct conn *c = arg;

	if (c->wlen + len > c->wcap) {
		size_t cap = c->wcap != 0 ? c->wcap : 4096;
		char *nb;

		while (cap < c->wlen + len)
			cap *= 2;
		if (cap > OUT_HARD)
			return -ENOBUFS;
		nb = malloc(cap);
		if (nb == NULL)
			return -ENOMEM;
		if (c->wbuf != NULL) {
			memcpy(nb, c->wbuf, c->wlen);
			explicit_bzero(c->wbuf, c->wcap);
			free(c->wbuf);
		}
		c->wbuf = nb;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, line, len);
	c->wlen += len;
	return 0;
}

/* Send what is queued; 0, or -errno when the connection is broken. */
static int conn_flush(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->woff += (size_t)n;
	}
	c->woff = c->wlen = 0;
	return 0;
}

static void conn_events(struct tw_keyimp_server *srv, struct conn *c)
{
	struct epoll_event ev = { 0 };

	/* above the soft limit: stop reading until the client reads */
	ev.events = (c->wlen - c->woff >= OUT_SOFT ? 0 : EPOLLIN) |
		    (c->wlen > c->woff ? EPOLLOUT : 0);
	if (ev.events == c->ev_mask)
		return;
	c->ev_mask = ev.events;
	ev.data.ptr = c;
	epoll_ctl(srv->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Answer the complete lines in the read buffer; returns lines done, or -1
 * when the connection must close. */
static int conn_lines(struct tw_keyimp_server *srv, struct conn *c)
{
	int done = 0;

	while (!c->closing && c->wlen - c->woff < OUT_SOFT) {
		char *lf = memchr(c->rbuf, '\n', c->rlen);
		size_t n;
		int rc;

		if (lf == NULL) {
			if (c->rlen >= sizeof(c->rbuf)) {
				/* no LF within the limit: refuse, skip to the next LF */
				if (!c->discard) {
					const char *m = tw_keyimp_line_too_long(srv->t);

					if (emit_conn(c, m, strlen(m)) != 0)
						return -1;
					done++;
				}
				c->discard = true;
				explicit_bzero(c->rbuf, c->rlen);
				c->rlen = 0;
			}
			break;
		}
		n = (size_t)(lf - c->rbuf);
		if (c->discard) {
			c->discard = false;
		} else {
			rc = tw_keyimp_sess_line(c->sess, c->rbuf, n, emit_conn, c);
			done++;
			if (rc < 0)
				return -1;
			if (rc == 1)
				c->closing = true;
		}
		explicit_bzero(c->rbuf, n + 1);
		memmove(c->rbuf, lf + 1, c->rlen - n - 1);
		c->rlen -= n + 1;
	}
	return done;
}

/* Read and answer; returns lines done, or -1 to close. */
static int conn_read(struct tw_keyimp_server *srv, struct conn *c)
{
	int done = 0, rc;

	for (;;) {
		ssize_t n;

		rc = conn_lines(srv, c);
		if (rc < 0)
			return -1;
		done += rc;
		if (c->closing || c->wlen - c->woff >= OUT_SOFT)
			break;
		n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
			 MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->rlen += (size_t)n;
	}
	return done;
}

static void refuse_now(int fd, const char *msg)
{
	ssize_t n = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)n;
	close(fd);
}

static void do_accept(struct tw_keyimp_server *srv)
{
	for (;;) {
		struct epoll_event ev = { 0 };
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct conn *c;
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
		    (cred.uid != 0 && cred.uid != srv->allow_uid)) {
			ki_stats_conn(srv->t, 2);
			refuse_now(fd, "err 403 forbidden\n");
			continue;
		}
		if (srv->n_conns >= srv->max_clients) {
			ki_stats_conn(srv->t, 3);
			refuse_now(fd, "err 503 busy\n");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->sess = tw_keyimp_sess_open(srv->t);
		if (c == NULL || c->sess == NULL) {
			free(c);
			refuse_now(fd, "err 500 internal out of memory\n");
			continue;
		}
		c->fd = fd;
		c->t_open_ms = now_ms();
		ev.events = c->ev_mask = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			tw_keyimp_sess_close(c->sess);
			free(c);
			refuse_now(fd, "err 500 internal\n");
			continue;
		}
		srv->conns[srv->n_conns++] = c;
		ki_stats_conn(srv->t, 0);
	}
}

static unsigned conn_index(const struct tw_keyimp_server *srv, const struct conn *c)
{
	for (unsigned i = 0; i < srv->n_conns; i++)
		if (srv->conns[i] == c)
			return i;
	return srv->n_conns;
}

int tw_keyimp_server_poll(struct tw_keyimp_server *srv, int timeout_ms)
{
	struct epoll_event evs[16];
	uint64_t now;
	int n, done = 0;

	if (srv == NULL)
		return -EINVAL;
	n = epoll_wait(srv->ep, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		struct conn *c = evs[k].data.ptr;
		unsigned i;
		int rc = 0;

		if (c == NULL) {
			do_accept(srv);
			continue;
		}
		i = conn_index(srv, c);
		if (i == srv->n_conns)
			continue;
		if (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			rc = conn_flush(c);
		if (rc == 0 && (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLOUT)))
			rc = conn_read(srv, c);
		if (rc >= 0) {
			done += rc;
			rc = conn_flush(c);
		}
		if (rc < 0 || (c->closing && c->wlen == c->woff)) {
			conn_close(srv, i);
			continue;
		}
		conn_events(srv, c);
	}
	/* §4: a connection without hello is closed after the timeout */
	now = now_ms();
	for (unsigned i = 0; i < srv->n_conns;) {
		struct conn *c = srv->conns[i];

		if (!ki_sess_hello(c->sess) && now - c->t_open_ms > (uint64_t)srv->hello_ms)
			conn_close(srv, i);
		else
			i++;
	}
	return done;
}

int tw_keyimp_server_fd(const struct tw_keyimp_server *srv)
{
	return srv != NULL ? srv->ep : -1;
}

struct tw_keyimp_server *tw_keyimp_server_create(struct tw_keyimp *t,
				const struct tw_keyimp_server_conf *conf)
{
	struct tw_keyimp_server *srv;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { 0 };
	struct stat st;
	mode_t um;
	int rc;

	if (t == NULL || conf == NULL || conf->path == NULL || conf->path[0] == '\0' ||
	    conf->max_clients > TW_KEYIMP_CLIENTS_MAX * 4) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(conf->path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->t = t;
	srv->lfd = srv->ep = -1;
	srv->allow_uid = conf->allow_uid;
	srv->max_clients = conf->max_clients != 0 ? conf->max_clients :
			   TW_KEYIMP_CLIENTS_MAX;
	srv->hello_ms = conf->hello_timeout_ms > 0 ? conf->hello_timeout_ms : 10000;
	strcpy(srv->path, conf->path);
	strcpy(sa.sun_path, conf->path);
	/* a stale socket is replaced; any other file is left alone */
	if (lstat(conf->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			rc = EEXIST;
			goto fail;
		}
		if (unlink(conf->path) != 0) {
			rc = errno;
			goto fail;
		}
	}
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0) {
		rc = errno;
		goto fail;
	}
	um = umask(0177); /* the socket file is born 0600 */
	rc = bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(um);
	if (rc != 0 || chmod(conf->path, 0600) != 0 || lstat(conf->path, &st) != 0) {
		rc = errno;
		goto fail_bound;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (listen(srv->lfd, 16) != 0) {
		rc = errno;
		goto fail_bound;
	}
	srv->ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (srv->ep < 0 || epoll_ctl(srv->ep, EPOLL_CTL_ADD, srv->lfd, &ev) != 0) {
		rc = errno;
		goto fail_bound;
	}
	return srv;
fail_bound:
	unlink(conf->path);
fail:
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->ep >= 0)
		close(srv->ep);
	free(srv);
	errno = rc;
	return NULL;
}

void tw_keyimp_server_destroy(struct tw_keyimp_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	while (srv->n_conns > 0)
		conn_close(srv, srv->n_conns - 1);
	close(srv->ep);
	close(srv->lfd);
	/* remove the socket only if it is still ours */
	if (lstat(srv->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}
