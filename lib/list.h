/* The one list of uvaws: intrusive, circular, doubly linked (a head that is
 * its own neighbour is empty), as libuv's queue and the kernel's list_head.
 * A node lives inside the structure it links; list_entry finds that
 * structure again. Every operation is O(1) and allocates nothing. */
#ifndef UVAWS_LIST_H
#define UVAWS_LIST_H

#include <stddef.h>

typedef struct list_s {
  struct list_s *prev, *next;
} list_t;

/* The structure of type `type` whose member `member` is the node `node`. */
#define list_entry(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

/* Walks the list; the loop must not remove the current node. */
#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Walks the list; the current node may be removed inside the loop. */
#define list_for_each_safe(pos, tmp, head)                                                       \
  for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

static inline void list_init(list_t *head) { head->prev = head->next = head; }

static inline int list_empty(const list_t *head) { return head->next == head; }

/* 1 while `node` is in a list (a removed or zeroed node is in none). */
static inline int list_linked(const list_t *node) { return node->next != NULL; }

static inline void list_insert_before(list_t *at, list_t *node) {
  node->prev = at->prev;
  node->next = at;
  at->prev->next = node;
  at->prev = node;
}

static inline void list_push_back(list_t *head, list_t *node) { list_insert_before(head, node); }

static inline void list_push_front(list_t *head, list_t *node) {
  list_insert_before(head->next, node);
}

static inline void list_remove(list_t *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  node->prev = node->next = NULL;
}

/* The first node, or NULL when the list is empty. */
static inline list_t *list_first(const list_t *head) {
  return head->next == head ? NULL : head->next;
}

/* Moves every node of `from` to the end of `to`; `from` is left empty. */
static inline void list_splice(list_t *from, list_t *to) {
  if (from->next == from)
    return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  list_init(from);
}

/* Removes and returns the first node, or NULL. */
static inline list_t *list_pop_front(list_t *head) {
  list_t *n = list_first(head);
  if (n != NULL)
    list_remove(n);
  return n;
}

#endif
