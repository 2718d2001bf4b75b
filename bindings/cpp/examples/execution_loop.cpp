// An execution system's daily loop on trendcast.hpp.
//
// The models are opened once, at start-up. Every day a new bar arrives for each stock; the loop
// appends it to that stock's own arrays (structure of arrays, as the library reads them), then asks
// for the direction of every stock with enough history (one call for all of them) and, given a
// ranking model, for the ranking of the universe. Calls take views of the arrays: no bar is
// copied into the library, and the calls in the loop do not throw (try_ variants, writing into
// buffers reused from day to day). Each stock keeps a bounded trailing history: the library reads
// only the trailing bars a model needs (Model::min_bars), so older ones can go.
//
// The "market feed" here replays a long-format CSV (date,ticker,open,high,low,close[,adj_close],
// volume; dates YYYY-MM-DD; no quoted fields) one date at a time; a real system would receive the
// day's bars from its data vendor instead.
//
// Usage: execution_loop DIRECTION_MODEL BARS_CSV [INDUSTRIES_CSV RANKING_MODEL]
//   INDUSTRIES_CSV: ticker,sector,sub_industry (names; they become integer ids here).
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

// A stock's history, oldest first, one array per field: what trendcast::BarsView points into.
struct StockHistory {
    std::vector<int32_t> dates;
    std::vector<double> open, high, low, close, volume;

    void append(const Bar &b) {
        dates.push_back(b.date);
        open.push_back(b.open);
        high.push_back(b.high);
        low.push_back(b.low);
        close.push_back(b.close);
        volume.push_back(b.volume);
    }
    // Keeps the last `n` bars (amortised: called when the history has grown to twice that).
    void keep_last(size_t n) {
        if (dates.size() <= n) return;
        const auto drop = static_cast<std::ptrdiff_t>(dates.size() - n);
        dates.erase(dates.begin(), dates.begin() + drop);
        for (auto *v : {&open, &high, &low, &close, &volume}) v->erase(v->begin(), v->begin() + drop);
    }
    size_t size() const { return dates.size(); }
    // A view, valid until the next append (which may reallocate): rebuilt every day.
    trendcast::BarsView view() const { return trendcast::bars_view(dates, open, high, low, close, volume); }
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
    std::printf("direction model %s on %s (%s), needs %zu bars\n", std::string(direction.name()).c_str(),
                std::string(direction.backend()).c_str(), std::string(direction.execution_provider()).c_str(),
                direction.min_bars());
    // Bars kept per stock: what the models need; a history is cut back to that once it is twice as long.
    const size_t keep = std::max(direction.min_bars(), ranking ? ranking->min_bars() : 0);

    const std::vector<Bar> feed = read_feed(argv[2]);
    std::map<std::string, size_t> index;  // ticker -> slot in `stocks`
    std::vector<std::string> tickers;
    std::vector<StockHistory> stocks;
    std::vector<int32_t> last_date;  // per stock: the date of its newest bar

    // Buffers reused every day.
    std::vector<trendcast::BarsView> views;
    std::vector<size_t> who;
    std::vector<float> probs, scores;
    std::vector<size_t> order, members;  // members: the stock behind each ranking view
    std::vector<int32_t> sector_ids, sub_ids;

    for (size_t at = 0; at < feed.size();) {
        // 1. The day's bars arrive: append each to its stock's arrays.
        const int32_t today = feed[at].date;
        for (; at < feed.size() && feed[at].date == today; at++) {
            const Bar &b = feed[at];
            auto [it, fresh] = index.emplace(b.ticker, stocks.size());
            if (fresh) {
                tickers.push_back(b.ticker);
                stocks.emplace_back();
                last_date.push_back(0);
            }
            StockHistory &s = stocks[it->second];
            s.append(b);
            if (s.size() >= 2 * keep) s.keep_last(keep);
            last_date[it->second] = today;
        }

        // 2. Direction for every stock that traded today and has enough history: one call.
        views.clear();
        who.clear();
        for (size_t k = 0; k < stocks.size(); k++) {
            if (last_date[k] == today && stocks[k].size() >= direction.min_bars()) {
                views.push_back(stocks[k].view());
                who.push_back(k);
            }
        }
        int up = 0, flat = 0, down = 0;
        std::string best = "-";
        probs.resize(3 * views.size());
        if (!views.empty()) {
            const trendcast::Status st = direction.try_direction(views, probs);
            if (!st) {  // a bad bar from the feed: log it and go on with the next day
                std::printf("day %s: direction failed: %s (%s)\n", show_date(today).c_str(), st.message(),
                            trendcast::status_name(st.code()));
                continue;
            }
            float best_up = -1.0f;
            for (size_t i = 0; i < who.size(); i++) {
                const float *p = &probs[3 * i];
                const int cls = p[2] >= p[1] && p[2] >= p[0] ? 2 : p[1] >= p[0] ? 1 : 0;
                (cls == 2 ? up : cls == 1 ? flat : down)++;
                if (p[2] > best_up) best_up = p[2], best = tickers[who[i]];
            }
        }
        std::printf("day %s: %zu directions (up %d, flat %d, down %d; most likely up: %s)", show_date(today).c_str(),
                    who.size(), up, flat, down, best.c_str());

        // 3. The ranking of the universe (every stock with a bar so far), once history suffices.
        auto ranking_views = [&] {
            views.clear();
            sector_ids.clear();
            sub_ids.clear();
            members.clear();
            for (size_t k = 0; k < stocks.size(); k++) {
                const auto ids = industries.find(tickers[k]);
                if (ids == industries.end()) continue;  // not in the industry table: not ranked
                views.push_back(stocks[k].view());
                sector_ids.push_back(ids->second.first);
                sub_ids.push_back(ids->second.second);
                members.push_back(k);
            }
        };
        if (ranking) {
            ranking_views();
            scores.resize(views.size());
            order.resize(views.size());
            int32_t date = 0;
            const trendcast::Status st = ranking->try_rank(views, sector_ids, sub_ids, scores, order, &date);
            if (st.code() == trendcast::StatusCode::TooLittleHistory) {
                std::printf("; ranking: warming up\n");
            } else if (!st) {
                std::printf("; ranking failed: %s\n", st.message());
            } else {
                std::printf("; ranking: %s first of %zu\n", tickers[members[order[0]]].c_str(), views.size());
            }
        } else {
            std::printf("\n");
        }

        // 4. On the last day, the full answers (what the test compares with the Rust API), with
        //    the throwing calls: a failure here ends the program.
        if (at == feed.size()) {
            views.clear();
            for (const StockHistory &s : stocks) views.push_back(s.view());
            std::vector<float> all(3 * views.size());
            direction.direction(views, all);
            for (size_t k = 0; k < stocks.size(); k++)
                std::printf("final direction %s %.9g %.9g %.9g\n", tickers[k].c_str(), static_cast<double>(all[3 * k]),
                            static_cast<double>(all[3 * k + 1]), static_cast<double>(all[3 * k + 2]));
            if (ranking) {
                ranking_views();
                const trendcast::Ranking r = ranking->rank(views, sector_ids, sub_ids);
                for (size_t i : r.order)
                    std::printf("final rank %s %.9g\n", tickers[members[i]].c_str(), static_cast<double>(r.scores[i]));
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
