/* qlog tracing of a connection, as a built-in observer (qlog.c). */
#ifndef PQ_CONN_QLOG_H
#define PQ_CONN_QLOG_H

#include "conn/types.h"

typedef struct pq_qlog pq_qlog;

/* Opens DIR/<odcid>_<client|server>.sqlog and attaches the observer.
 * Errors: PQUIC_ERR_IO (cannot create the file), PQUIC_ERR_INVAL (path too
 * long), PQUIC_ERR_NOMEM. */
int pq_qlog_attach(pq_cnx *cnx, const char *dir);
/* Flushes and closes the file; safe without qlog. */
void pq_qlog_close(pq_cnx *cnx);

#endif
