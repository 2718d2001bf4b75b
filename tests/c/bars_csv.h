/* Reads the test's bars file: one line per bar, "stock,yyyymmdd,open,high,low,close,volume",
 * stocks numbered from 0 and their bars in date order. Shared by the C and C++ test programs. */
#ifndef TRENDCAST_TEST_BARS_CSV_H
#define TRENDCAST_TEST_BARS_CSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trendcast.h"

typedef struct test_stock {
    int32_t *dates;
    double *open, *high, *low, *close, *volume;
    size_t len, cap;
} test_stock;

/* Returns the number of stocks read into *out (malloc'd), or 0 on error. */
static size_t read_bars_csv(const char *path, test_stock **out) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = 0, cap = 0;
    test_stock *s = NULL;
    int k;
    int32_t d;
    double o, h, l, c, v;
    while (fscanf(f, "%d,%d,%lf,%lf,%lf,%lf,%lf", &k, &d, &o, &h, &l, &c, &v) == 7) {
        if ((size_t)k >= cap) {
            size_t ncap = (size_t)k + 16;
            s = (test_stock *)realloc(s, ncap * sizeof *s);
            memset(s + cap, 0, (ncap - cap) * sizeof *s);
            cap = ncap;
        }
        if ((size_t)k + 1 > n) n = (size_t)k + 1;
        test_stock *t = &s[k];
        if (t->len == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->dates = (int32_t *)realloc(t->dates, t->cap * sizeof *t->dates);
            t->open = (double *)realloc(t->open, t->cap * sizeof(double));
            t->high = (double *)realloc(t->high, t->cap * sizeof(double));
            t->low = (double *)realloc(t->low, t->cap * sizeof(double));
            t->close = (double *)realloc(t->close, t->cap * sizeof(double));
            t->volume = (double *)realloc(t->volume, t->cap * sizeof(double));
        }
        t->dates[t->len] = d;
        t->open[t->len] = o;
        t->high[t->len] = h;
        t->low[t->len] = l;
        t->close[t->len] = c;
        t->volume[t->len] = v;
        t->len++;
    }
    fclose(f);
    *out = s;
    return n;
}

static trendcast_bars bars_of(const test_stock *t) {
    trendcast_bars b = {t->dates, t->open, t->high, t->low, t->close, t->volume, t->len};
    return b;
}

static void free_stocks(test_stock *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(s[i].dates); free(s[i].open); free(s[i].high); free(s[i].low); free(s[i].close); free(s[i].volume);
    }
    free(s);
}

#endif
