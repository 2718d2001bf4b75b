/* The C11 live-universe client: a universe of a direction and a ranking model made from every
 * stock's history but the last day, the models' handles freed at once (the universe keeps them),
 * the last day pushed, then direction and rank printed for the Rust harness to compare; bad pushes
 * and calls refused with their statuses; the state saved, restored and answering the same bits.
 * Synthetic industries: 12 stocks per sector, 4 per sub-industry.
 * Usage: universe MODELS_DIR(with direction/ and ranking/) BARS_CSV BACKEND(auto|ort|tract) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trendcast.h"
#include "check.h"
#include "bars_csv.h"

static trendcast_model *open_model(const char *dir, const char *name, uint32_t backend) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    trendcast_open_options opts = trendcast_open_options_default();
    opts.backend = backend;
    trendcast_model *m = NULL;
    if (trendcast_model_open(path, &opts, &m) != TRENDCAST_STATUS_OK) fprintf(stderr, "open %s: %s\n", path, trendcast_last_error());
    return m;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const uint32_t backend = strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT : TRENDCAST_BACKEND_TRACT;
    const trendcast_model *models[2] = {open_model(argv[1], "direction", backend), open_model(argv[1], "ranking", backend)};
    if (!models[0] || !models[1]) return 1;

    test_stock *stocks = NULL;
    const size_t n = read_bars_csv(argv[2], &stocks);
    int32_t last = 0;
    for (size_t i = 0; i < n; i++)
        if (stocks[i].len && stocks[i].dates[stocks[i].len - 1] > last) last = stocks[i].dates[stocks[i].len - 1];
    trendcast_bars *history = (trendcast_bars *)calloc(n, sizeof *history);
    int32_t *sector = (int32_t *)calloc(n, sizeof *sector);
    int32_t *sub = (int32_t *)calloc(n, sizeof *sub);
    size_t *ids = (size_t *)calloc(n, sizeof *ids);
    double *day = (double *)calloc(5 * n, sizeof *day); /* open, high, low, close, volume */
    size_t n_day = 0;
    for (size_t i = 0; i < n; i++) {
        history[i] = bars_of(&stocks[i]);
        sector[i] = (int32_t)(i / 12);
        sub[i] = (int32_t)(i / 4);
        const size_t len = stocks[i].len;
        if (len && stocks[i].dates[len - 1] == last) {
            history[i].len = len - 1;
            ids[n_day] = i;
            const double *f[5] = {stocks[i].open, stocks[i].high, stocks[i].low, stocks[i].close, stocks[i].volume};
            for (int k = 0; k < 5; k++) day[k * n + n_day] = f[k][len - 1];
            n_day++;
        }
    }
    double *open = day, *high = day + n, *low = day + 2 * n, *close = day + 3 * n, *volume = day + 4 * n;

    trendcast_universe *u = NULL;
    CHECK(trendcast_universe_create(models, 2, sector, sub, n, history, &u) == TRENDCAST_STATUS_OK);
    /* The universe holds its own references: the handles can go. */
    trendcast_model_free((trendcast_model *)models[0]);
    trendcast_model_free((trendcast_model *)models[1]);
    CHECK(trendcast_universe_push_day(u, last, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_OK);
    int32_t at = 0;
    size_t days = 0;
    CHECK(trendcast_universe_last_day(u, &at, &days) == TRENDCAST_STATUS_OK && at == last && days > 0);

    float *probs = (float *)calloc(3 * n, sizeof *probs);
    float *scores = (float *)calloc(n, sizeof *scores);
    size_t *order = (size_t *)calloc(n, sizeof *order);
    CHECK(trendcast_universe_direction(u, 0, probs, 3 * n) == TRENDCAST_STATUS_OK);
    for (size_t i = 0; i < n; i++) printf("probs %zu %.9g %.9g %.9g\n", i, probs[3 * i], probs[3 * i + 1], probs[3 * i + 2]);
    int32_t date = 0;
    CHECK(trendcast_universe_rank(u, 1, scores, order, n, &date) == TRENDCAST_STATUS_OK && date == last);
    printf("date %d\n", (int)date);
    for (size_t i = 0; i < n; i++) printf("score %zu %.9g\n", i, scores[i]);
    for (size_t i = 0; i < n; i++) printf("order %zu %zu\n", i, order[i]);

    /* Bad pushes change nothing; bad calls are named. */
    CHECK(trendcast_universe_push_day(u, last, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_UNSORTED);
    CHECK(trendcast_universe_push_day(NULL, last + 1, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_NULL_POINTER);
    CHECK(trendcast_universe_push_day(u, 20991399, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_PARSE);
    CHECK(trendcast_universe_push_day(u, 20991231, ids, open, high, low, close, volume, 0) == TRENDCAST_STATUS_INVALID_ARGUMENT);
    ids[0] = n;
    CHECK(trendcast_universe_push_day(u, 20991231, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_INVALID_ARGUMENT);
    ids[0] = 0;
    const double kept = close[0];
    close[0] = NAN;
    CHECK(trendcast_universe_push_day(u, 20991231, ids, open, high, low, close, volume, n_day) == TRENDCAST_STATUS_INVALID_BAR);
    close[0] = kept;
    CHECK(trendcast_universe_last_day(u, &at, NULL) == TRENDCAST_STATUS_OK && at == last);
    CHECK(trendcast_universe_direction(u, 0, probs, 3 * n - 1) == TRENDCAST_STATUS_SHAPE);
    CHECK(trendcast_universe_rank(u, 0, scores, order, n, NULL) == TRENDCAST_STATUS_WRONG_KIND);
    CHECK(trendcast_universe_rank(u, 1, scores, order, n - 1, NULL) == TRENDCAST_STATUS_SHAPE);
    CHECK(trendcast_universe_direction(u, 7, probs, 3 * n) == TRENDCAST_STATUS_INVALID_ARGUMENT);

    /* Save, restore (new handles), the same bits. */
    char state[4096];
    snprintf(state, sizeof state, "%s/universe.state", argv[1]);
    CHECK(trendcast_universe_save(u, state) == TRENDCAST_STATUS_OK);
    const trendcast_model *again[2] = {open_model(argv[1], "direction", backend), open_model(argv[1], "ranking", backend)};
    trendcast_universe *r = NULL;
    CHECK(trendcast_universe_restore(again, 2, sector, sub, n, state, &r) == TRENDCAST_STATUS_OK);
    float *scores2 = (float *)calloc(n, sizeof *scores2);
    CHECK(trendcast_universe_rank(r, 1, scores2, order, n, NULL) == TRENDCAST_STATUS_OK);
    CHECK(memcmp(scores, scores2, n * sizeof *scores) == 0);
    /* Another model order: refused by name. */
    const trendcast_model *swapped[2] = {again[1], again[0]};
    trendcast_universe *bad = NULL;
    CHECK(trendcast_universe_restore(swapped, 2, sector, sub, n, state, &bad) == TRENDCAST_STATUS_CONTRACT && bad == NULL);
    trendcast_model_free((trendcast_model *)again[0]);
    trendcast_model_free((trendcast_model *)again[1]);

    trendcast_universe_free(u);
    trendcast_universe_free(r);
    trendcast_universe_free(NULL);
    free(history); free(sector); free(sub); free(ids); free(day); free(probs); free(scores); free(scores2); free(order);
    free_stocks(stocks, n);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
