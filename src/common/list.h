/*
 * Intrusive circular doubly linked list (the Linux list_head idea): a
 * pq_list node is embedded in each object, a pq_list head owns the list, and
 * PQ_LIST_ENTRY gets back from a node to its object. No allocation, every
 * operation O(1) except pq_list_count.
 *
 * A node must be initialised (pq_list_init) or zeroed before pq_list_linked
 * is asked about it; pq_list_remove leaves the node self-linked, so removing
 * twice is harmless. A node is in at most one list at a time.
 */
#ifndef PQ_COMMON_LIST_H
#define PQ_COMMON_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pq_list {
  struct pq_list *next;
  struct pq_list *prev;
} pq_list;

/* The object of type `type` whose member `member` is the node `ptr`. */
#define PQ_LIST_ENTRY(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Iterate nodes front to back; the loop body must not remove `pos`. */
#define PQ_LIST_FOREACH(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
/* Iterate back to front. */
#define PQ_LIST_FOREACH_REVERSE(pos, head)                                                         \
  for ((pos) = (head)->prev; (pos) != (head); (pos) = (pos)->prev)
/* Iterate front to back; the body may remove (and free) `pos`, but no other
 * node. `tmp` is scratch. */
#define PQ_LIST_FOREACH_SAFE(pos, tmp, head)                                                       \
  for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                                 \
       (pos) = (tmp), (tmp) = (pos)->next)
/* Back to front, removal of `pos` allowed. */
#define PQ_LIST_FOREACH_REVERSE_SAFE(pos, tmp, head)                                               \
  for ((pos) = (head)->prev, (tmp) = (pos)->prev; (pos) != (head);                                 \
       (pos) = (tmp), (tmp) = (pos)->prev)

/* An empty list head, or an unlinked node. */
static inline void pq_list_init(pq_list *h) {
  h->next = h->prev = h;
}

static inline bool pq_list_empty(const pq_list *h) {
  return h->next == h;
}

/* True when node n is in a list (n initialised or zeroed beforehand). */
static inline bool pq_list_linked(const pq_list *n) {
  return n->next != NULL && n->next != n;
}

/* Links n right after pos (pos may be the head: n becomes first). */
static inline void pq_list_insert_after(pq_list *pos, pq_list *n) {
  n->prev = pos;
  n->next = pos->next;
  pos->next->prev = n;
  pos->next = n;
}

/* Links n right before pos (pos may be the head: n becomes last). */
static inline void pq_list_insert_before(pq_list *pos, pq_list *n) {
  pq_list_insert_after(pos->prev, n);
}

static inline void pq_list_push_front(pq_list *h, pq_list *n) {
  pq_list_insert_after(h, n);
}
static inline void pq_list_push_back(pq_list *h, pq_list *n) {
  pq_list_insert_before(h, n);
}

/* Unlinks n from its list and leaves it self-linked (unlinked). */
static inline void pq_list_remove(pq_list *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  pq_list_init(n);
}

/* First or last node, or NULL when empty. */
static inline pq_list *pq_list_first(const pq_list *h) {
  return h->next == h ? NULL : h->next;
}
static inline pq_list *pq_list_last(const pq_list *h) {
  return h->prev == h ? NULL : h->prev;
}

/* Unlinks and returns the first node, or NULL when empty. */
static inline pq_list *pq_list_pop_front(pq_list *h) {
  pq_list *n = pq_list_first(h);
  if (n)
    pq_list_remove(n);
  return n;
}

/* Moves a linked node n to the back of h (e.g. least-recently-used order). */
static inline void pq_list_move_back(pq_list *h, pq_list *n) {
  pq_list_remove(n);
  pq_list_push_back(h, n);
}

/* Appends every node of src to the back of dst, leaving src empty. O(1). */
static inline void pq_list_splice_back(pq_list *dst, pq_list *src) {
  if (pq_list_empty(src))
    return;
  pq_list *first = src->next, *last = src->prev;
  first->prev = dst->prev;
  dst->prev->next = first;
  last->next = dst;
  dst->prev = last;
  pq_list_init(src);
}

/* Number of nodes. O(n). */
static inline size_t pq_list_count(const pq_list *h) {
  size_t c = 0;
  for (const pq_list *p = h->next; p != h; p = p->next)
    c++;
  return c;
}

#endif
