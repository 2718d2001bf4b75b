// The C++17 wrapper (trendcast.hpp): RAII and moves, spans over caller memory, Error exceptions
// and the non-throwing Status / Result variants, every bad-input status, and the direction and
// ranking answers (printed for the Rust harness, tests/bindings.rs, to compare with the Rust API).
// Usage: wrapper_test DIRECTION_MODEL RANKING_MODEL BARS_CSV BACKEND(auto|ort|tract)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "trendcast.hpp"
#include "bars_csv.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                                      \
    do {                                                                                                 \
        if (cond) {                                                                                      \
            passed++;                                                                                    \
        } else {                                                                                         \
            failed++;                                                                                    \
            std::fprintf(stderr, "FAILED %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond,       \
                         trendcast::last_error());                                                       \
        }                                                                                                \
    } while (0)

// The status an expression throws as trendcast::Error (Ok if it throws nothing).
template <class F>
static trendcast::StatusCode thrown(F &&f, std::string *message = nullptr) {
    try {
        f();
    } catch (const trendcast::Error &e) {
        if (message) *message = e.what();
        return e.status();
    }
    return trendcast::StatusCode::Ok;
}

// One stock's bars owned by the test, so that single fields can be broken.
struct OwnedBars {
    std::vector<int32_t> dates;
    std::vector<double> open, high, low, close, volume;
    explicit OwnedBars(const trendcast::BarsView &v)
        : dates(v.dates, v.dates + v.len), open(v.open, v.open + v.len), high(v.high, v.high + v.len),
          low(v.low, v.low + v.len), close(v.close, v.close + v.len), volume(v.volume, v.volume + v.len) {}
    trendcast::BarsView view() const { return trendcast::bars_view(dates, open, high, low, close, volume); }
};

static_assert(!std::is_copy_constructible_v<trendcast::Model>, "a Model owns its handle");
static_assert(std::is_nothrow_move_constructible_v<trendcast::Model>, "moves never throw");
static_assert(std::is_same_v<trendcast::BarsView, trendcast_bars>, "a BarsView is the C struct: arrays of them pass as is");

int main(int argc, char **argv) {
    using trendcast::StatusCode;
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s DIRECTION_MODEL RANKING_MODEL BARS_CSV BACKEND\n", argv[0]);
        return 2;
    }
    trendcast::OpenOptions opts;
    opts.backend = std::strcmp(argv[4], "ort") == 0     ? trendcast::Backend::Ort
                   : std::strcmp(argv[4], "tract") == 0 ? trendcast::Backend::Tract
                                                        : trendcast::Backend::Auto;

    // Versions.
    CHECK(trendcast::header_matches_library());
    CHECK(trendcast::version() == "0.1.0");

    test_stock *raw = nullptr;
    const size_t n = read_bars_csv(argv[3], &raw);
    CHECK(n > 0);
    std::vector<trendcast::BarsView> stocks(n);
    for (size_t i = 0; i < n; i++) stocks[i] = bars_of(&raw[i]);

    // Open, inspect.
    trendcast::Model model(argv[1], opts);
    CHECK(static_cast<bool>(model));
    CHECK(model.kind() == trendcast::Kind::Direction);
    CHECK(model.name() == "test-direction");
    CHECK(model.backend() == argv[4]);
    CHECK(!model.execution_provider().empty());
    CHECK(model.manifest_json().find("\"kind\":\"direction\"") != std::string_view::npos);
    CHECK(!model.fallback_reason().has_value());
    const size_t need = model.min_bars();
    CHECK(need > 30);

    // Direction, allocating and into a caller buffer: the same numbers.
    const std::vector<std::array<float, 3>> probs = model.direction(stocks);
    CHECK(probs.size() == n);
    std::vector<float> flat(3 * n);
    CHECK(model.try_direction(stocks, flat).ok());
    bool same = true, sums = true;
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) same = same && probs[i][c] == flat[3 * i + c];
        sums = sums && std::fabs(probs[i][0] + probs[i][1] + probs[i][2] - 1.0f) < 1e-5f;
        std::printf("probs %zu %.9g %.9g %.9g\n", i, static_cast<double>(probs[i][0]), static_cast<double>(probs[i][1]),
                    static_cast<double>(probs[i][2]));
    }
    CHECK(same);
    CHECK(sums);
    // One stock through a span over a single view; a C array of floats as the output.
    float one[3];
    model.direction(trendcast::Span<const trendcast::BarsView>(&stocks[1], 1), one);
    CHECK(one[0] == probs[1][0] && one[2] == probs[1][2]);

    // A wrong output size: a Status with the library's message, the buffer untouched.
    std::vector<float> short_out(3 * n - 1, -1.0f);
    const trendcast::Status st = model.try_direction(stocks, short_out);
    CHECK(!st && st.code() == StatusCode::Shape && std::strlen(st.message()) > 0);
    CHECK(short_out[0] == -1.0f);
    CHECK(thrown([&] { model.direction(stocks, short_out); }) == StatusCode::Shape);
    CHECK(std::string(trendcast::status_name(StatusCode::TooLittleHistory)) == "TOO_LITTLE_HISTORY");

    // Bad bars: each status, thrown and returned.
    OwnedBars bad(stocks[0]);
    bad.close.back() = std::nan("");
    std::string message;
    CHECK(thrown([&] { model.direction({&stocks[0], 1}); }) == StatusCode::Ok);
    {
        const trendcast::BarsView v = bad.view();
        CHECK(thrown([&] { model.direction({&v, 1}); }, &message) == StatusCode::InvalidBar);
        CHECK(message.find("close") != std::string::npos);
    }
    bad = OwnedBars(stocks[0]);
    std::swap(bad.dates[bad.dates.size() - 1], bad.dates[bad.dates.size() - 2]);
    {
        const trendcast::BarsView v = bad.view();
        CHECK(model.try_direction({&v, 1}, one).code() == StatusCode::Unsorted);
    }
    {
        trendcast::BarsView v = stocks[0];
        v.len = need - 1;
        CHECK(model.try_direction({&v, 1}, one).code() == StatusCode::TooLittleHistory);
        v.dates = nullptr;
        CHECK(model.try_direction({&v, 1}, one).code() == StatusCode::NullPointer);
    }
    bad = OwnedBars(stocks[0]);
    bad.dates.back() = 20241340;  // not a date
    {
        const trendcast::BarsView v = bad.view();
        CHECK(model.try_direction({&v, 1}, one).code() == StatusCode::Parse);
    }
    CHECK(thrown([&] { (void)trendcast::bars_view(bad.dates, bad.open, bad.high, bad.low, bad.close, std::vector<double>(3)); }) ==
          StatusCode::Shape);
    CHECK(model.try_direction({}, {}).code() == StatusCode::NullPointer);  // no arrays at all

    // Opening: Error from the constructor, a Result from open(); Error derives from runtime_error.
    const StatusCode missing = thrown([] { trendcast::Model m("/nonexistent/model"); });
    CHECK(missing == StatusCode::Io);
    trendcast::Result<trendcast::Model> r = trendcast::Model::open("/nonexistent/model", opts);
    CHECK(!r && r.code() == missing && r.message().find("/nonexistent/model") != std::string::npos);
    CHECK(thrown([&] { (void)r.value(); }) == missing);
    try {
        trendcast::Model m(std::string("/nonexistent/model"));
        CHECK(false);
    } catch (const std::runtime_error &e) {
        CHECK(std::strlen(e.what()) > 0);
    }
    {
        trendcast::OpenOptions bad_opts;
        bad_opts.backend = static_cast<trendcast::Backend>(7);
        CHECK(trendcast::Model::open(argv[1], bad_opts).code() == StatusCode::InvalidArgument);
    }

    // Moves: the handle travels, the moved-from model is empty and reports NULL_POINTER.
    trendcast::Result<trendcast::Model> opened = trendcast::Model::open(argv[1], opts);
    CHECK(opened.ok());
    trendcast::Model moved = std::move(opened).value();
    CHECK(static_cast<bool>(moved) && moved.name() == "test-direction");
    trendcast::Model other = std::move(moved);
    CHECK(!moved && moved.name().empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(moved.try_direction(stocks, flat).code() == StatusCode::NullPointer);
    CHECK(thrown([&] { (void)moved.kind(); }) == StatusCode::NullPointer);
    moved = std::move(other);
    CHECK(moved.direction(stocks)[2] == probs[2]);
    trendcast_model *handle = moved.release();
    CHECK(!moved && handle != nullptr);
    const trendcast::Model adopted(handle);
    CHECK(adopted.direction(stocks)[0] == probs[0]);

    // Ranking: a wrong-kind call each way, then the ranking of the universe.
    const trendcast::Model ranker(argv[2], opts);
    CHECK(ranker.kind() == trendcast::Kind::Ranking);
    std::vector<int32_t> sectors(n), subs(n);
    for (size_t i = 0; i < n; i++) {
        sectors[i] = static_cast<int32_t>(i / 12);
        subs[i] = static_cast<int32_t>(i / 4);
    }
    CHECK(thrown([&] { (void)ranker.direction(stocks); }) == StatusCode::WrongKind);
    CHECK(thrown([&] { (void)model.rank(stocks, sectors, subs); }) == StatusCode::WrongKind);
    const trendcast::Ranking ranking = ranker.rank(stocks, sectors, subs);
    CHECK(ranking.scores.size() == n && !ranking.order.empty() && ranking.order.size() <= n);
    for (size_t i = 0; i < n; i++) std::printf("score %zu %.9g\n", i, static_cast<double>(ranking.scores[i]));
    for (size_t k : ranking.order) std::printf("order %zu\n", k);
    std::printf("date %d\n", ranking.date);
    // Into caller buffers, without throwing: the same answer, SIZE_MAX after the scored stocks.
    std::vector<float> scores(n);
    std::vector<size_t> order(n);
    int32_t date = 0;
    CHECK(ranker.try_rank(stocks, sectors, subs, scores, order, &date).ok());
    CHECK(date == ranking.date && order[0] == ranking.order[0]);
    CHECK(ranking.order.size() == n || order[ranking.order.size()] == std::numeric_limits<size_t>::max());
    // A wrapper-detected shape error carries its own message.
    const trendcast::Status bad_ids = ranker.try_rank(stocks, trendcast::Span<const int32_t>(sectors.data(), n - 1), subs, scores, order);
    CHECK(bad_ids.code() == StatusCode::Shape && std::strstr(bad_ids.message(), "one value per stock") != nullptr);
    // A sub-industry in two sectors is refused by the library.
    std::vector<int32_t> split = sectors;
    split[1] = split[0] + 100;
    CHECK(!ranker.try_rank(stocks, split, subs, scores, order).ok());

    // The universe made from the whole history answers as the stateless calls on it; a day not
    // after its last one is refused, a move keeps the handle, a save restores the same bits.
    {
        const std::vector<const trendcast::Model *> both{&model, &ranker};
        trendcast::Universe u(both, sectors, subs, stocks);
        CHECK(u.size() == n && u.last_date() == ranking.date);
        const trendcast::Ranking live = u.rank(1);
        CHECK(live.order == ranking.order && live.date == ranking.date);
        for (size_t i = 0; i < n; i++) CHECK(std::fabs(live.scores[i] - ranking.scores[i]) < 1e-5f || (live.scores[i] != live.scores[i]));
        const auto live_probs = u.direction(0);
        const auto want = model.direction(stocks);
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) CHECK(std::fabs(live_probs[i][c] - want[i][c]) < 1e-5f);
        const size_t id = 0;
        const double price = 1.0;
        const trendcast::Status again = u.try_push_day(ranking.date, trendcast::Span<const size_t>(&id, 1), trendcast::Span<const double>(&price, 1),
                                                       trendcast::Span<const double>(&price, 1), trendcast::Span<const double>(&price, 1),
                                                       trendcast::Span<const double>(&price, 1), trendcast::Span<const double>(&price, 1));
        CHECK(again.code() == StatusCode::Unsorted);
        CHECK(thrown([&] { (void)u.rank(0); }) == StatusCode::WrongKind);
        trendcast::Universe taken = std::move(u);
        CHECK(taken.rank(1).order == ranking.order);
        const std::string path = std::string(argv[2]) + "/../universe.state";
        taken.save(path.c_str());
        const trendcast::Universe back = trendcast::Universe::restore(both, sectors, subs, path.c_str());
        const trendcast::Ranking restored = back.rank(1);
        CHECK(std::memcmp(restored.scores.data(), live.scores.data(), n * sizeof(float)) == 0);
    }

    free_stocks(raw, n);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
