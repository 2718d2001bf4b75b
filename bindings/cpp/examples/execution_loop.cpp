// An execution system's daily loop on trendcast.hpp, on a trendcast::Universe.
//
// The models are opened once, at start-up, and a universe of the stocks the system trades is made
// from them. Every day a new bar arrives for each stock that traded; the loop pushes the day's bars
// into the universe (one call: the features, the direction windows, the relation inputs and the
// ranking encoder advance by that day only), then asks for the direction of every stock and, given
// a ranking model, for the ranking of the universe: both answer from the universe's state. The
// calls in the loop do not throw (try_ variants, writing into buffers reused from day to day), and
// no history is kept outside the library.
//
// The "market feed" here replays a long-format CSV (date,ticker,open,high,low,close[,adj_close],
// volume; dates YYYY-MM-DD; no quoted fields) one date at a time; a real system would receive the
// day's bars from its data vendor instead.
//
// Usage: execution_loop DIRECTION_MODEL BARS_CSV [INDUSTRIES_CSV RANKING_MODEL]
//   INDUSTRIES_CSV: ticker,sector,sub_industry (names; they become integer ids here). The universe
//   is its tickers (without it: the feed's tickers).
//   TRENDCAST_EXAMPLE_BACKEND=auto|ort|tract picks the backend (default auto).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "trendcast.hpp"

namespace {

// One bar of the feed.
struct Bar {
    int32_t date;  // YYYYMMDD
    std::string ticker;
    double open, high, low, close, volume;
};

std::vector<std::string> split(const std::string &line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) out.push_back(field);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

int32_t parse_date(const std::string &s) {  // YYYY-MM-DD -> YYYYMMDD
    int y = 0, m = 0, d = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &m, &d) != 3) throw std::runtime_error("bad date " + s);
    return y * 10000 + m * 100 + d;
}

std::string show_date(int32_t d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    return buf;
}

// The replayed feed: every bar of the file, in date order (ties in file order).
std::vector<Bar> read_feed(const char *path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line);
    auto col = [&](const char *name) -> std::optional<size_t> {
        for (size_t i = 0; i < header.size(); i++)
            if (header[i] == name) return i;
        return std::nullopt;
    };
    auto need = [&](const char *name) {
        if (auto c = col(name)) return *c;
        throw std::runtime_error(std::string("no column ") + name);
    };
    const size_t cd = need("date"), ct = need("ticker"), co = need("open"), ch = need("high"), cl = need("low"),
                 cc = need("close"), cv = need("volume");
    const std::optional<size_t> ca = col("adj_close");
    std::vector<Bar> bars;
    while (std::getline(in, line)) {
        const std::vector<std::string> f = split(line);
        Bar b{parse_date(f.at(cd)), f.at(ct), std::stod(f.at(co)), std::stod(f.at(ch)),
              std::stod(f.at(cl)), std::stod(f.at(cc)), std::stod(f.at(cv))};
        if (ca && !f.at(*ca).empty()) {  // adjust the whole bar as the library's loader does
            const double factor = std::stod(f.at(*ca)) / b.close;
            b.open *= factor;
            b.high *= factor;
            b.low *= factor;
            b.close *= factor;
        }
        bars.push_back(std::move(b));
    }
    std::stable_sort(bars.begin(), bars.end(), [](const Bar &a, const Bar &b) { return a.date < b.date; });
    return bars;
}

// ticker -> (sector, sub-industry) as integer ids, numbered by first appearance of each name.
std::map<std::string, std::pair<int32_t, int32_t>> read_industries(const char *path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    std::string line;
    std::getline(in, line);  // ticker,sector,sub_industry
    std::map<std::string, int32_t> sector_ids, sub_ids;
    std::map<std::string, std::pair<int32_t, int32_t>> out;
    while (std::getline(in, line)) {
        const std::vector<std::string> f = split(line);
        const int32_t sector = sector_ids.emplace(f.at(1), static_cast<int32_t>(sector_ids.size())).first->second;
        const int32_t sub = sub_ids.emplace(f.at(2), static_cast<int32_t>(sub_ids.size())).first->second;
        out[f.at(0)] = {sector, sub};
    }
    return out;
}

trendcast::Backend backend_from_env() {
    const char *b = std::getenv("TRENDCAST_EXAMPLE_BACKEND");
    if (b && std::strcmp(b, "ort") == 0) return trendcast::Backend::Ort;
    if (b && std::strcmp(b, "tract") == 0) return trendcast::Backend::Tract;
    return trendcast::Backend::Auto;
}

}  // namespace

int main(int argc, char **argv) try {
    if (argc != 3 && argc != 5) {
        std::fprintf(stderr, "usage: %s DIRECTION_MODEL BARS_CSV [INDUSTRIES_CSV RANKING_MODEL]\n", argv[0]);
        return 2;
    }
    // Start-up: open the models once (throws trendcast::Error on a bad bundle).
    trendcast::OpenOptions options;
    options.backend = backend_from_env();
    const trendcast::Model direction(argv[1], options);
    std::optional<trendcast::Model> ranking;
    std::map<std::string, std::pair<int32_t, int32_t>> industries;
    if (argc == 5) {
        industries = read_industries(argv[3]);
        ranking.emplace(argv[4], options);
    }
    std::printf("direction model %s on %s (%s)\n", std::string(direction.name()).c_str(),
                std::string(direction.backend()).c_str(), std::string(direction.execution_provider()).c_str());
    const std::vector<Bar> feed = read_feed(argv[2]);

    // The universe: the industry table's tickers (or the feed's), numbered in that order.
    std::map<std::string, size_t> index;
    std::vector<std::string> tickers;
    std::vector<int32_t> sector_ids, sub_ids;
    auto add = [&](const std::string &t, std::pair<int32_t, int32_t> ids) {
        if (index.emplace(t, tickers.size()).second) {
            tickers.push_back(t);
            sector_ids.push_back(ids.first);
            sub_ids.push_back(ids.second);
        }
    };
    if (ranking) {
        for (const auto &[t, ids] : industries) add(t, ids);
    } else {
        for (const Bar &b : feed) add(b.ticker, {0, 0});
    }
    std::vector<const trendcast::Model *> models{&direction};
    if (ranking) models.push_back(&*ranking);
    trendcast::Universe universe(models, sector_ids, sub_ids);
    const size_t direction_model = 0, ranking_model = 1;

    // Buffers reused every day.
    std::vector<size_t> ids;
    std::vector<double> open, high, low, close, volume;
    std::vector<float> probs(3 * tickers.size()), scores(tickers.size());
    std::vector<size_t> order(tickers.size());

    for (size_t at = 0; at < feed.size();) {
        // 1. The day's bars arrive: one push for all of them.
        const int32_t today = feed[at].date;
        ids.clear();
        for (auto *v : {&open, &high, &low, &close, &volume}) v->clear();
        for (; at < feed.size() && feed[at].date == today; at++) {
            const Bar &b = feed[at];
            const auto k = index.find(b.ticker);
            if (k == index.end()) continue;  // not in the universe
            ids.push_back(k->second);
            open.push_back(b.open);
            high.push_back(b.high);
            low.push_back(b.low);
            close.push_back(b.close);
            volume.push_back(b.volume);
        }
        const trendcast::Status pushed = universe.try_push_day(today, ids, open, high, low, close, volume);
        if (!pushed) {  // a bad bar from the feed: the day is refused as a whole; log it and go on
            std::printf("day %s: refused: %s (%s)\n", show_date(today).c_str(), pushed.message(),
                        trendcast::status_name(pushed.code()));
            continue;
        }

        // 2. Direction for every stock (NaN for one without an answer today).
        int up = 0, flat = 0, down = 0;
        size_t answered = 0;
        std::string best = "-";
        const trendcast::Status st = universe.try_direction(direction_model, probs);
        if (!st) {
            std::printf("day %s: direction failed: %s\n", show_date(today).c_str(), st.message());
            continue;
        }
        float best_up = -1.0f;
        for (size_t k = 0; k < tickers.size(); k++) {
            const float *p = &probs[3 * k];
            if (!(p[0] == p[0])) continue;  // NaN: no answer today
            answered++;
            const int cls = p[2] >= p[1] && p[2] >= p[0] ? 2 : p[1] >= p[0] ? 1 : 0;
            (cls == 2 ? up : cls == 1 ? flat : down)++;
            if (p[2] > best_up) best_up = p[2], best = tickers[k];
        }
        std::printf("day %s: %zu directions (up %d, flat %d, down %d; most likely up: %s)", show_date(today).c_str(),
                    answered, up, flat, down, best.c_str());

        // 3. The ranking of the universe, once history suffices.
        if (ranking) {
            int32_t date = 0;
            const trendcast::Status r = universe.try_rank(ranking_model, scores, order, &date);
            if (r.code() == trendcast::StatusCode::TooLittleHistory) {
                std::printf("; ranking: warming up\n");
            } else if (!r) {
                std::printf("; ranking failed: %s\n", r.message());
            } else {
                std::printf("; ranking: %s first of %zu\n", tickers[order[0]].c_str(), tickers.size());
            }
        } else {
            std::printf("\n");
        }

        // 4. On the last day, the full answers (what the test compares with the Rust API), with
        //    the throwing calls: a failure here ends the program.
        if (at == feed.size()) {
            const auto all = universe.direction(direction_model);
            for (size_t k = 0; k < tickers.size(); k++)
                std::printf("final direction %s %.9g %.9g %.9g\n", tickers[k].c_str(), static_cast<double>(all[k][0]),
                            static_cast<double>(all[k][1]), static_cast<double>(all[k][2]));
            if (ranking) {
                const trendcast::Ranking r = universe.rank(ranking_model);
                for (size_t i : r.order)
                    std::printf("final rank %s %.9g\n", tickers[i].c_str(), static_cast<double>(r.scores[i]));
            }
        }
    }
    return 0;
} catch (const trendcast::Error &e) {
    std::fprintf(stderr, "trendcast error %s: %s\n", trendcast::status_name(e.status()), e.what());
    return 1;
} catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
