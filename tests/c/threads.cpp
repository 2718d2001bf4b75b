// The C++17 client: the header compiles as C++, RAII over the handle, and many threads predicting
// on one shared const model give the single-threaded answer.
// Usage: threads MODEL_DIR BARS_CSV BACKEND(auto|ort|tract)
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "trendcast.h"
#include "bars_csv.h"

struct ModelDeleter {
    void operator()(trendcast_model *m) const noexcept { trendcast_model_free(m); }
};
using ModelPtr = std::unique_ptr<trendcast_model, ModelDeleter>;

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s MODEL_DIR BARS_CSV BACKEND\n", argv[0]);
        return 2;
    }
    trendcast_open_options opts = trendcast_open_options_default();
    opts.backend = std::strcmp(argv[3], "ort") == 0 ? TRENDCAST_BACKEND_ORT : TRENDCAST_BACKEND_TRACT;
    trendcast_model *raw = nullptr;
    if (trendcast_model_open(argv[1], &opts, &raw) != TRENDCAST_STATUS_OK) {
        std::fprintf(stderr, "open: %s\n", trendcast_last_error());
        return 1;
    }
    const ModelPtr model(raw);

    test_stock *stocks = nullptr;
    const size_t n = read_bars_csv(argv[2], &stocks);
    std::vector<trendcast_bars> bars(n);
    for (size_t i = 0; i < n; i++) bars[i] = bars_of(&stocks[i]);
    std::vector<float> want(3 * n);
    if (trendcast_direction(model.get(), bars.data(), n, want.data(), want.size()) != TRENDCAST_STATUS_OK) {
        std::fprintf(stderr, "direction: %s\n", trendcast_last_error());
        return 1;
    }

    constexpr int kThreads = 8, kCalls = 40;
    std::atomic<int> passed{0}, failed{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < kThreads; t++) {
        pool.emplace_back([&, t] {
            std::vector<float> got(3 * n);
            for (int c = 0; c < kCalls; c++) {
                // Alternate whole-universe calls and single-stock calls (different batch sizes).
                const size_t k = (size_t)(t + c) % n;
                const bool whole = c % 2 == 0;
                const trendcast_status st = whole
                    ? trendcast_direction(model.get(), bars.data(), n, got.data(), got.size())
                    : trendcast_direction(model.get(), &bars[k], 1, got.data(), 3);
                bool ok = st == TRENDCAST_STATUS_OK;
                for (size_t j = 0; ok && j < (whole ? 3 * n : 3); j++) {
                    const float w = whole ? want[j] : want[3 * k + j];
                    ok = std::abs(got[j] - w) < 1e-6f;
                }
                (ok ? passed : failed)++;
            }
        });
    }
    for (auto &th : pool) th.join();
    free_stocks(stocks, n);
    std::printf("%d passed, %d failed\n", passed.load(), failed.load());
    return failed == 0 ? 0 : 1;
}
