#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>
#include "trendcast.hpp"

int main(int argc, char **argv) try {
    const trendcast::Model model(argc > 1 ? argv[1] : "model");  // a bundle directory; RAII
    std::vector<int32_t> dates;  // one stock's daily bars, oldest first (made up here)
    std::vector<double> open, high, low, close, volume;
    for (int i = 0; i < 300; i++) {
        std::tm day{};
        day.tm_year = 100, day.tm_mday = 3 + i / 5 * 7 + i % 5, day.tm_hour = 12;
        std::mktime(&day);  // the weekdays from Monday 2000-01-03
        dates.push_back((day.tm_year + 1900) * 10000 + (day.tm_mon + 1) * 100 + day.tm_mday);  // YYYYMMDD
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
