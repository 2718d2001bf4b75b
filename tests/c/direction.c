/* The C11 client: versions, NULL handling, every bad-input status, and direction probabilities
 * for the test's stocks (printed for the Rust harness to compare with the Rust API).
 * Usage: direction MODEL_DIR BARS_CSV BACKEND(auto|ort|tract) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trendcast.h"
#include "check.h"
#include "bars_csv.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL_DIR BARS_CSV BACKEND\n", argv[0]);
        return 2;
    }
    /* Versions: header macros and library agree. */
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", TRENDCAST_VERSION_MAJOR, TRENDCAST_VERSION_MINOR, TRENDCAST_VERSION_PATCH);
    CHECK(strcmp(trendcast_version(), expect) == 0);
    CHECK(trendcast_version_number() == TRENDCAST_VERSION_NUMBER);
    CHECK(TRENDCAST_VERSION_NUMBER == ((TRENDCAST_VERSION_MAJOR << 16) | (TRENDCAST_VERSION_MINOR << 8) | TRENDCAST_VERSION_PATCH));

    /* NULL pointers are errors, never crashes; frees accept NULL. */
    trendcast_model *model = NULL;
    CHECK(trendcast_model_open(NULL, NULL, &model) == TRENDCAST_STATUS_NULL_POINTER);
    CHECK(strstr(trendcast_last_error(), "path is NULL") != NULL);
    CHECK(trendcast_model_open(argv[1], NULL, NULL) == TRENDCAST_STATUS_NULL_POINTER);
    CHECK(model == NULL);
    trendcast_model_free(NULL);
    CHECK(trendcast_model_name(NULL) == NULL);
    float dummy[3];
    CHECK(trendcast_direction(NULL, NULL, 0, dummy, 3) == TRENDCAST_STATUS_NULL_POINTER);

    /* A missing bundle and a bad option are clear errors. */
    CHECK(trendcast_model_open("/nonexistent/bundle", NULL, &model) == TRENDCAST_STATUS_IO);
    CHECK(strstr(trendcast_last_error(), "manifest.json") != NULL);
    trendcast_open_options opts = trendcast_open_options_default();
    CHECK(opts.struct_size == sizeof(trendcast_open_options));
    opts.backend = 99;
    CHECK(trendcast_model_open(argv[1], &opts, &model) == TRENDCAST_STATUS_INVALID_ARGUMENT);

    opts = trendcast_open_options_default();
    opts.backend = strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT
                 : strcmp(argv[3], "tract") == 0 ? TRENDCAST_BACKEND_TRACT : TRENDCAST_BACKEND_AUTO;
    trendcast_status st = trendcast_model_open(argv[1], &opts, &model);
    if (st != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open failed (%d): %s\n", (int)st, trendcast_last_error());
        return 1;
    }
    uint32_t kind = 99;
    size_t min_bars = 0;
    CHECK(trendcast_model_kind(model, &kind) == TRENDCAST_STATUS_OK && kind == TRENDCAST_KIND_DIRECTION);
    CHECK(trendcast_model_min_bars(model, &min_bars) == TRENDCAST_STATUS_OK && min_bars == 50);
    CHECK(trendcast_model_kind(model, NULL) == TRENDCAST_STATUS_NULL_POINTER);
    printf("backend %s provider %s\n", trendcast_model_backend(model), trendcast_model_execution_provider(model));
    CHECK(strstr(trendcast_model_manifest_json(model), "\"kind\":\"direction\"") != NULL);

    test_stock *stocks = NULL;
    size_t n = read_bars_csv(argv[2], &stocks);
    CHECK(n > 1);
    trendcast_bars *bars = (trendcast_bars *)calloc(n, sizeof *bars);
    float *probs = (float *)calloc(3 * n, sizeof *probs);
    for (size_t i = 0; i < n; i++) bars[i] = bars_of(&stocks[i]);

    CHECK(trendcast_direction(model, bars, n, probs, 3 * n) == TRENDCAST_STATUS_OK);
    for (size_t i = 0; i < n; i++) {
        CHECK(fabsf(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2] - 1.0f) < 1e-5f);
        printf("probs %zu %.9g %.9g %.9g\n", i, probs[3 * i], probs[3 * i + 1], probs[3 * i + 2]);
    }

    /* Bad input: each a specific status; the output stays untouched. */
    float before = probs[0];
    CHECK(trendcast_direction(model, bars, n, probs, 3 * n - 1) == TRENDCAST_STATUS_SHAPE);
    CHECK(trendcast_direction(model, bars, 0, probs, 0) == TRENDCAST_STATUS_SHAPE);
    trendcast_bars b = bars[0];
    size_t last = b.len - 1;
    double saved = stocks[0].close[last];
    stocks[0].close[last] = NAN;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_INVALID_BAR);
    stocks[0].close[last] = -1.0;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_INVALID_BAR);
    CHECK(strstr(trendcast_last_error(), "must be positive") != NULL);
    stocks[0].close[last] = saved;
    double saved_high = stocks[0].high[last];
    stocks[0].high[last] = stocks[0].low[last] * 0.5;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_INVALID_BAR);
    CHECK(strstr(trendcast_last_error(), "below low") != NULL);
    stocks[0].high[last] = saved_high;
    int32_t saved_date = stocks[0].dates[last];
    stocks[0].dates[last] = stocks[0].dates[last - 2];
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_UNSORTED);
    stocks[0].dates[last] = 20231399;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_PARSE);
    stocks[0].dates[last] = saved_date;
    b.len = min_bars - 1;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_TOO_LITTLE_HISTORY);
    b = bars[0];
    b.close = NULL;
    CHECK(trendcast_direction(model, &b, 1, probs, 3) == TRENDCAST_STATUS_NULL_POINTER);
    CHECK(probs[0] == before);
    CHECK(trendcast_direction(model, bars, n, probs, 3 * n) == TRENDCAST_STATUS_OK);
    CHECK(strcmp(trendcast_last_error(), "") == 0);

    free(bars);
    free(probs);
    free_stocks(stocks, n);
    trendcast_model_free(model);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
