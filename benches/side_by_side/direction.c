#define _POSIX_C_SOURCE 199309L
/* The direction call through the C ABI, as an execution system makes it: raw bars in, one thread,
 * the median of repeated calls. Usage: direction MODEL_DIR BARS_CSV BACKEND(ort|tract) STOCKS CALLS
 * Prints one line: "c_abi BACKEND STOCKS median_us". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../tests/c/bars_csv.h"

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s MODEL_DIR BARS_CSV ort|tract STOCKS CALLS\n", argv[0]);
        return 2;
    }
    trendcast_open_options opts = trendcast_open_options_default();
    opts.backend = strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT : TRENDCAST_BACKEND_TRACT;
    trendcast_model *model = NULL;
    if (trendcast_model_open(argv[1], &opts, &model) != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open %s: %s\n", argv[1], trendcast_last_error());
        return 1;
    }
    test_stock *stocks = NULL;
    const size_t have = read_bars_csv(argv[2], &stocks);
    const size_t n = (size_t)atol(argv[4]), calls = (size_t)atol(argv[5]);
    if (n == 0 || n > have || calls == 0) {
        fprintf(stderr, "%zu stocks asked, %zu in %s\n", n, have, argv[2]);
        return 1;
    }
    trendcast_bars *bars = malloc(n * sizeof *bars);
    for (size_t i = 0; i < n; i++) {
        const test_stock *s = &stocks[i];
        bars[i] = (trendcast_bars){s->dates, s->open, s->high, s->low, s->close, s->volume, s->len};
    }
    float *out = malloc(3 * n * sizeof *out);
    double *t = malloc(calls * sizeof *t);
    for (size_t k = 0; k < calls / 10 + 3; k++) /* warm-up */
        if (trendcast_direction(model, bars, n, out, 3 * n) != TRENDCAST_STATUS_OK) {
            fprintf(stderr, "direction: %s\n", trendcast_last_error());
            return 1;
        }
    for (size_t k = 0; k < calls; k++) {
        const double t0 = now_us();
        trendcast_direction(model, bars, n, out, 3 * n);
        t[k] = now_us() - t0;
    }
    qsort(t, calls, sizeof *t, cmp);
    printf("c_abi %s %zu %.1f\n", argv[3], n, t[calls / 2]);
    trendcast_model_free(model);
    return 0;
}
