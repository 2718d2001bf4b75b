#include <cmath>
#include <cstdio>
#include <vector>
#include "trendcast.hpp"

int main(int argc, char **argv) try {
    const trendcast::Model model(argc > 1 ? argv[1] : "model");  // a bundle directory; RAII
    std::vector<int32_t> dates;  // one stock's daily bars, oldest first (made up here)
    std::vector<double> open, high, low, close, volume;
    for (int i = 0; i < 300; i++) {
        dates.push_back(20000101 + i / 336 * 10000 + i / 28 % 12 * 100 + i % 28);  // YYYYMMDD
        close.push_back(100.0 * std::exp(0.05 * std::sin(i / 7.0)));
        open.push_back(close[i] * 0.995), high.push_back(close[i] * 1.01), low.push_back(open[i] * 0.99);
        volume.push_back(1e6 + 1e4 * (i % 17));
    }
    const trendcast::BarsView stock = trendcast::bars_view(dates, open, high, low, close, volume);  // no copy
    const auto p = model.direction({&stock, 1})[0];  // {down, flat, up}
    std::printf("down %.6f flat %.6f up %.6f\n", p[0], p[1], p[2]);
} catch (const trendcast::Error &e) {  // e.status(): the C status code
    std::fprintf(stderr, "trendcast: %s (%s)\n", e.what(), trendcast::status_name(e.status()));
    return 1;
}
