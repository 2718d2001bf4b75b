/* The test programs' check: counts passes and failures, and names a failed condition with its file,
 * line and the library's last error. Each program prints "N passed, M failed" at its end for the
 * Rust harness. */
#ifndef TRENDCAST_TEST_CHECK_H
#define TRENDCAST_TEST_CHECK_H

#include <stdio.h>
#include "trendcast.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (cond) {                                                                                   \
            passed++;                                                                                 \
        } else {                                                                                      \
            failed++;                                                                                 \
            fprintf(stderr, "FAILED %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond,         \
                    trendcast_last_error());                                                          \
        }                                                                                             \
    } while (0)

#endif
