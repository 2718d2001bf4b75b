/* The C11 ranking client: scores a universe with a ranking model and prints scores and order for
 * the Rust harness to compare. Synthetic industries: 12 stocks per sector, 4 per sub-industry.
 * Usage: rank MODEL_DIR BARS_CSV BACKEND(auto|ort|tract) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trendcast.h"
#include "check.h"
#include "bars_csv.h"

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    trendcast_open_options opts = trendcast_open_options_default();
    opts.backend = strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT : TRENDCAST_BACKEND_TRACT;
    trendcast_model *model = NULL;
    if (trendcast_model_open(argv[1], &opts, &model) != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open: %s\n", trendcast_last_error());
        return 1;
    }
    uint32_t kind = 0;
    CHECK(trendcast_model_kind(model, &kind) == TRENDCAST_STATUS_OK && kind == TRENDCAST_KIND_RANKING);

    test_stock *stocks = NULL;
    size_t n = read_bars_csv(argv[2], &stocks);
    trendcast_bars *bars = (trendcast_bars *)calloc(n, sizeof *bars);
    int32_t *sector = (int32_t *)calloc(n, sizeof *sector);
    int32_t *sub = (int32_t *)calloc(n, sizeof *sub);
    float *scores = (float *)calloc(n, sizeof *scores);
    size_t *order = (size_t *)calloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++) {
        bars[i] = bars_of(&stocks[i]);
        sector[i] = (int32_t)(i / 12);
        sub[i] = (int32_t)(i / 4);
    }
    int32_t date = 0;
    CHECK(trendcast_rank(model, bars, sector, sub, n, scores, order, &date) == TRENDCAST_STATUS_OK);
    printf("date %d\n", (int)date);
    for (size_t i = 0; i < n; i++) printf("score %zu %.9g\n", i, scores[i]);
    for (size_t i = 0; i < n; i++) printf("order %zu %zu\n", i, order[i]);
    for (size_t i = 1; i < n && order[i] != SIZE_MAX; i++) CHECK(scores[order[i - 1]] >= scores[order[i]]);

    /* Bad input: NULLs, a direction call on this model, a sub-industry in two sectors. */
    CHECK(trendcast_rank(model, NULL, sector, sub, n, scores, order, NULL) == TRENDCAST_STATUS_NULL_POINTER);
    CHECK(trendcast_rank(model, bars, sector, sub, n, scores, NULL, NULL) == TRENDCAST_STATUS_NULL_POINTER);
    float p[3];
    CHECK(trendcast_direction(model, bars, 1, p, 3) == TRENDCAST_STATUS_WRONG_KIND);
    sector[1] = 3;
    CHECK(trendcast_rank(model, bars, sector, sub, n, scores, order, NULL) == TRENDCAST_STATUS_INVALID_ARGUMENT);
    sector[1] = 0;

    free(bars); free(sector); free(sub); free(scores); free(order);
    free_stocks(stocks, n);
    trendcast_model_free(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
