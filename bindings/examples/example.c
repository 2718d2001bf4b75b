#include <math.h>
#include <stdio.h>
#include <time.h>
#include "trendcast.h"

int main(int argc, char **argv) {
    trendcast_model *model = NULL;  /* argv[1]: a model bundle directory; NULL options: defaults */
    if (argc < 2 || trendcast_model_open(argv[1], NULL, &model) != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open: %s\n", trendcast_last_error());
        return 1;
    }
    enum { N = 300 };  /* one stock's daily bars, oldest first (made up here) */
    int32_t dates[N];
    double open[N], high[N], low[N], close[N], volume[N];
    for (int i = 0; i < N; i++) {
        struct tm day = {.tm_year = 100, .tm_mday = 3 + i / 5 * 7 + i % 5, .tm_hour = 12};
        mktime(&day);  /* the weekdays from Monday 2000-01-03 */
        dates[i] = (day.tm_year + 1900) * 10000 + (day.tm_mon + 1) * 100 + day.tm_mday;  /* YYYYMMDD */
        close[i] = 100.0 * exp(0.05 * sin(i / 7.0));
        open[i] = close[i] * 0.995, high[i] = close[i] * 1.01, low[i] = open[i] * 0.99;
        volume[i] = 1e6 + 1e4 * (i % 17);
    }
    const trendcast_bars bars = {dates, open, high, low, close, volume, N};
    float p[3];  /* down, flat, up */
    const trendcast_status st = trendcast_direction(model, &bars, 1, p, 3);
    if (st == TRENDCAST_STATUS_OK) printf("down %.6f flat %.6f up %.6f\n", p[0], p[1], p[2]);
    else fprintf(stderr, "direction: %s\n", trendcast_last_error());
    trendcast_model_free(model);
    return st == TRENDCAST_STATUS_OK ? 0 : 1;
}
