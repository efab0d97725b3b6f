/* Requests from other threads: uvaws_fetch_threadsafe copies the request in
 * the calling thread and hands it to the loop through a mutex-guarded list
 * and a uv_async_t; the loop's thread queues it as uvaws_fetch would, and the
 * callback runs there, as every uvaws callback does. A mutex rather than a
 * lock-free list: a post already costs a malloc and, at worst, a write to
 * the loop's wakeup descriptor, so the lock is never what limits it. */
#include <stdlib.h>

#include "client_priv.h"

struct post_queue_s {
  uv_async_t async;
  uv_mutex_t lock;
  list_t jobs; /* uvaws_job_t by their link, oldest first */
  int shut;                 /* closing: refuse further posts */
};

static void take_posts(uv_async_t *h) {
  uvaws_client_t *c = h->data;
  post_queue_t *q = c->posts;
  list_t taken;
  list_init(&taken);
  uv_mutex_lock(&q->lock);
  list_splice(&q->jobs, &taken);
  uv_mutex_unlock(&q->lock);
  list_t *n;
  while ((n = list_pop_front(&taken)) != NULL) {
    uvaws_job_t *j = list_entry(n, uvaws_job_t, link);
    /* Accepted already (the poster was told 0): a refusal now is its answer. */
    int rc = client_job_accept(c, j);
    if (rc != 0)
      client_job_refuse(c, j, rc);
  }
  client_dispatch_more(c);
}

int client_posts_init(uvaws_client_t *c) {
  post_queue_t *q = calloc(1, sizeof *q);
  if (q == NULL)
    return UVAWS_ENOMEM;
  list_init(&q->jobs);
  if (uv_mutex_init(&q->lock) != 0) {
    free(q);
    return UVAWS_ENOMEM;
  }
  if (uv_async_init(c->loop, &q->async, take_posts) != 0) {
    uv_mutex_destroy(&q->lock);
    free(q);
    return UVAWS_ENOMEM;
  }
  /* Referenced, as any uv_async_t: the loop must keep running for posts to
   * be taken, so a client that takes them holds its loop until it closes. */
  q->async.data = c;
  c->posts = q;
  return 0;
}

void client_posts_shut(uvaws_client_t *c) {
  post_queue_t *q = c->posts;
  if (q == NULL)
    return;
  list_t taken;
  list_init(&taken);
  uv_mutex_lock(&q->lock);
  q->shut = 1;
  list_splice(&q->jobs, &taken);
  uv_mutex_unlock(&q->lock);
  list_t *n;
  while ((n = list_pop_front(&taken)) != NULL)
    client_job_refuse(c, list_entry(n, uvaws_job_t, link), UVAWS_ECANCELED);
}

int client_posts_close(uvaws_client_t *c, uv_close_cb cb) {
  if (c->posts == NULL)
    return 0;
  uv_close((uv_handle_t *)&c->posts->async, cb);
  return 1;
}

void client_posts_free(uvaws_client_t *c) {
  if (c->posts == NULL)
    return;
  uv_mutex_destroy(&c->posts->lock);
  free(c->posts);
  c->posts = NULL;
}

int uvaws_fetch_threadsafe(uvaws_client_t *c, const uvaws_request_t *req, uvaws_response_cb cb,
                           void *arg) {
  if (c == NULL || req == NULL || cb == NULL || c->posts == NULL)
    return UVAWS_EINVAL;
  int rc;
  uvaws_job_t *j = client_job_make(c, req, NULL, cb, arg, 1, &rc);
  if (j == NULL)
    return rc;
  post_queue_t *q = c->posts;
  uv_mutex_lock(&q->lock);
  if (q->shut) {
    uv_mutex_unlock(&q->lock);
    client_job_discard(j);
    return UVAWS_ECLOSED;
  }
  list_push_back(&q->jobs, &j->link);
  /* Under the lock: the handle cannot be closing while we wake it. */
  uv_async_send(&q->async);
  uv_mutex_unlock(&q->lock);
  return 0;
}
