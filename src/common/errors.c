/* Names and descriptions of library and wire error codes. */
#include "pquic/errors.h"

#include <stddef.h>

const char *pquic_errname(int err) {
  switch (err) {
  case PQUIC_OK:
    return "PQUIC_OK";
#define NAME_CASE_(name, value, desc)                                          \
  case value:                                                                  \
    return "PQUIC_ERR_" #name;
    PQUIC_ERRNO_MAP(NAME_CASE_)
#undef NAME_CASE_
  default:
    return "unknown error";
  }
}

const char *pquic_strerror(int err) {
  switch (err) {
  case PQUIC_OK:
    return "success";
#define DESC_CASE_(name, value, desc)                                          \
  case value:                                                                  \
    return desc;
    PQUIC_ERRNO_MAP(DESC_CASE_)
#undef DESC_CASE_
  default:
    return "unknown error";
  }
}

const char *pquic_wire_error_name(pquic_wire_error_t code) {
  switch (code) {
#define WIRE_CASE_(name, value)                                                \
  case value:                                                                  \
    return #name;
    PQUIC_WIRE_ERROR_MAP(WIRE_CASE_)
#undef WIRE_CASE_
  default:
    return (code >= 0x0100 && code <= 0x01ff) ? "CRYPTO_ERROR" : NULL;
  }
}
