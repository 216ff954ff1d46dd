/* SHA-1 (FIPS 180-4), internal: legacy keys hash the UTF-8 name. */
#ifndef NIPC_SHA1_H
#define NIPC_SHA1_H
#include <stddef.h>
#include <stdint.h>
#endif
