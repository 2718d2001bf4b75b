/* Freeing a model or a universe while other threads are inside calls on it: the free waits for
 * the calls in flight, calls made after it are refused by name (TRENDCAST_STATUS_INVALID_ARGUMENT,
 * "not a live handle"), and a second free does nothing. Run under AddressSanitizer and
 * ThreadSanitizer by the Rust harness (tests/c_abi.rs).
 * Usage: free_during_call MODEL_DIR BARS_CSV BACKEND(auto|ort|tract) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trendcast.h"
#include "check.h"
#include "bars_csv.h"

enum { THREADS = 4 };

static trendcast_model *model;
static trendcast_universe *universe;
static trendcast_bars *bars;
static size_t n;
static atomic_int freed;

typedef struct {
    atomic_long answered;    /* calls that returned OK */
    long refused;            /* calls refused as on a freed handle */
    long answered_after;     /* calls begun after the free returned that still answered: a bug */
    long other;              /* any other status: a bug */
    int on_universe;
} tally;

static void *caller(void *arg) {
    tally *t = (tally *)arg;
    float *probs = (float *)malloc(3 * n * sizeof *probs);
    for (;;) {
        const int after = atomic_load(&freed);
        int32_t date = 0;
        const trendcast_status st = t->on_universe ? trendcast_universe_last_day(universe, &date, NULL)
                                                   : trendcast_direction(model, bars, n, probs, 3 * n);
        if (st == TRENDCAST_STATUS_OK) {
            atomic_fetch_add(&t->answered, 1);
            if (after) t->answered_after++;
        } else if (st == TRENDCAST_STATUS_INVALID_ARGUMENT && strstr(trendcast_last_error(), "not a live handle")) {
            t->refused++;
            if (after) break;
        } else {
            t->other++;
            break;
        }
    }
    free(probs);
    return NULL;
}

/* Starts the callers, frees the handle once each has answered, and checks what they saw. */
static void free_during_calls(int on_universe) {
    tally tallies[THREADS];
    pthread_t threads[THREADS];
    atomic_store(&freed, 0);
    for (int i = 0; i < THREADS; i++) {
        memset(&tallies[i], 0, sizeof tallies[i]);
        tallies[i].on_universe = on_universe;
        pthread_create(&threads[i], NULL, caller, &tallies[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        while (atomic_load(&tallies[i].answered) == 0) {
            const struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
    }
    if (on_universe) {
        trendcast_universe_free(universe);
        trendcast_universe_free(universe); /* a second free does nothing */
    } else {
        trendcast_model_free(model);
        trendcast_model_free(model);
    }
    atomic_store(&freed, 1);
    long answered = 0, refused = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        answered += atomic_load(&tallies[i].answered);
        refused += tallies[i].refused;
        CHECK(tallies[i].answered_after == 0);
        CHECK(tallies[i].other == 0);
        CHECK(tallies[i].refused >= 1);
    }
    printf("%s: %ld calls answered before the free, %ld refused after it\n", on_universe ? "universe" : "model", answered,
           refused);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL_DIR BARS_CSV BACKEND\n", argv[0]);
        return 2;
    }
    trendcast_open_options opts = trendcast_open_options_default();
    opts.backend = strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT
                 : strcmp(argv[3], "tract") == 0 ? TRENDCAST_BACKEND_TRACT : TRENDCAST_BACKEND_AUTO;
    if (trendcast_model_open(argv[1], &opts, &model) != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open failed: %s\n", trendcast_last_error());
        return 1;
    }
    test_stock *stocks = NULL;
    n = read_bars_csv(argv[2], &stocks);
    CHECK(n > 1);
    bars = (trendcast_bars *)calloc(n, sizeof *bars);
    for (size_t i = 0; i < n; i++) bars[i] = bars_of(&stocks[i]);

    /* A universe made from the model keeps its own reference to it. */
    int32_t *ids = (int32_t *)calloc(n, sizeof *ids);
    const trendcast_model *models[1] = {model};
    CHECK(trendcast_universe_create(models, 1, ids, ids, n, NULL, &universe) == TRENDCAST_STATUS_OK);

    free_during_calls(0);
    /* The model's handle is gone: every call on it is refused by name, its strings are NULL. */
    float probs[3];
    CHECK(trendcast_direction(model, bars, 1, probs, 3) == TRENDCAST_STATUS_INVALID_ARGUMENT);
    CHECK(trendcast_model_name(model) == NULL);
    /* The universe still answers: it holds the model. */
    int32_t date = -1;
    CHECK(trendcast_universe_last_day(universe, &date, NULL) == TRENDCAST_STATUS_OK && date == 0);
    free_during_calls(1);
    CHECK(trendcast_universe_last_day(universe, &date, NULL) == TRENDCAST_STATUS_INVALID_ARGUMENT);

    free_stocks(stocks, n);
    free(bars);
    free(ids);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
