/*
 * trendcast.hpp: a header-only C++17 wrapper over the trendcast C ABI (trendcast.h).
 *
 * - trendcast::Model owns one trendcast_model handle (RAII, move-only). A const Model may be used
 *   from many threads at once, as the C handle may.
 * - trendcast::Universe owns one trendcast_universe: stocks advanced one day at a time, answering
 *   direction and rank from the state it keeps (RAII, move-only).
 * - Bars are views over caller-owned memory, never copied: trendcast::BarsView is the C struct
 *   trendcast_bars itself (six pointers and a length), trendcast::Span<T> a pointer and a size.
 * - Failures are reported two ways:
 *     throwing:      model.direction(...), Model(path)        -> throws trendcast::Error
 *     non-throwing:  model.try_direction(...), Model::open(...) -> a Status / Result<T> to test
 *   The try_ calls into caller buffers neither throw nor allocate (for an execution loop).
 *
 * Link with -ltrendcast (pkg-config trendcast, or CMake find_package(trendcast) and the target
 * trendcast::trendcast).
 */

#ifndef TRENDCAST_HPP
#define TRENDCAST_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "trendcast.h"

namespace trendcast {

/// The C status codes (enum trendcast_status), value for value.
enum class StatusCode : int32_t {
    Ok = TRENDCAST_STATUS_OK,
    NullPointer = TRENDCAST_STATUS_NULL_POINTER,
    InvalidArgument = TRENDCAST_STATUS_INVALID_ARGUMENT,
    Shape = TRENDCAST_STATUS_SHAPE,
    InvalidBar = TRENDCAST_STATUS_INVALID_BAR,
    Unsorted = TRENDCAST_STATUS_UNSORTED,
    TooLittleHistory = TRENDCAST_STATUS_TOO_LITTLE_HISTORY,
    Io = TRENDCAST_STATUS_IO,
    Parse = TRENDCAST_STATUS_PARSE,
    Model = TRENDCAST_STATUS_MODEL,
    Contract = TRENDCAST_STATUS_CONTRACT,
    WrongKind = TRENDCAST_STATUS_WRONG_KIND,
    Backend = TRENDCAST_STATUS_BACKEND,
    Panic = TRENDCAST_STATUS_PANIC,
};

/// The code's name as in the header ("TOO_LITTLE_HISTORY"), for logs.
inline const char *status_name(StatusCode code) noexcept {
    switch (code) {
        case StatusCode::Ok: return "OK";
        case StatusCode::NullPointer: return "NULL_POINTER";
        case StatusCode::InvalidArgument: return "INVALID_ARGUMENT";
        case StatusCode::Shape: return "SHAPE";
        case StatusCode::InvalidBar: return "INVALID_BAR";
        case StatusCode::Unsorted: return "UNSORTED";
        case StatusCode::TooLittleHistory: return "TOO_LITTLE_HISTORY";
        case StatusCode::Io: return "IO";
        case StatusCode::Parse: return "PARSE";
        case StatusCode::Model: return "MODEL";
        case StatusCode::Contract: return "CONTRACT";
        case StatusCode::WrongKind: return "WRONG_KIND";
        case StatusCode::Backend: return "BACKEND";
        case StatusCode::Panic: return "PANIC";
    }
    return "UNKNOWN";
}

/// Backends (enum trendcast_backend).
enum class Backend : uint32_t {
    Auto = TRENDCAST_BACKEND_AUTO,   ///< ONNX Runtime when its library loads, tract otherwise.
    Ort = TRENDCAST_BACKEND_ORT,     ///< ONNX Runtime only.
    Tract = TRENDCAST_BACKEND_TRACT, ///< tract (pure Rust, CPU, always available).
};

/// Model kinds (enum trendcast_kind).
enum class Kind : uint32_t {
    Direction = TRENDCAST_KIND_DIRECTION,
    Ranking = TRENDCAST_KIND_RANKING,
};

/// A failed call: the C status code and the library's message.
class Error : public std::runtime_error {
public:
    Error(StatusCode status, const std::string &message) : std::runtime_error(message), status_(status) {}
    StatusCode status() const noexcept { return status_; }

private:
    StatusCode status_;
};

/// The outcome of a non-throwing call, without allocation: a code and a message. The message is
/// the library's (valid until the next trendcast call on this thread: copy it to keep it) or a
/// static string of this wrapper.
class [[nodiscard]] Status {
public:
    constexpr Status() noexcept = default;
    constexpr Status(StatusCode code, const char *message) noexcept : code_(code), message_(message) {}
    /// The status of a C call just made on this thread.
    static Status from_c(trendcast_status s) noexcept {
        return s == TRENDCAST_STATUS_OK ? Status() : Status(static_cast<StatusCode>(s), trendcast_last_error());
    }

    constexpr StatusCode code() const noexcept { return code_; }
    constexpr const char *message() const noexcept { return message_; }
    constexpr bool ok() const noexcept { return code_ == StatusCode::Ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    /// Throws the Error this status describes, if it is one.
    void throw_if_error() const {
        if (!ok()) throw Error(code_, message_);
    }

private:
    StatusCode code_ = StatusCode::Ok;
    const char *message_ = "";
};

/// A value or the error that prevented it (an expected-like result that owns its message).
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    bool ok() const noexcept { return value_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    StatusCode code() const noexcept { return code_; }
    const std::string &message() const noexcept { return message_; }

    /// The value; throws the Error if there is none.
    T &value() & {
        if (!value_) throw Error(code_, message_);
        return *value_;
    }
    T &&value() && {
        if (!value_) throw Error(code_, message_);
        return std::move(*value_);
    }
    T *operator->() noexcept { return &*value_; }
    T &operator*() & noexcept { return *value_; }

private:
    std::optional<T> value_;
    StatusCode code_ = StatusCode::Ok;
    std::string message_;
};

/// A view of `size` contiguous values owned by the caller (std::span's subset this wrapper needs).
template <class T>
class Span {
public:
    constexpr Span() noexcept = default;
    constexpr Span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr Span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    /// Any contiguous container with data() and size() (std::vector, std::array, a Span of
    /// non-const values as a Span of const ones). A temporary only for a Span of const values (it
    /// lives until the end of the call it is passed to).
    template <class C, class = std::enable_if_t<!std::is_same_v<std::remove_cv_t<std::remove_reference_t<C>>, Span> &&
                                                (std::is_lvalue_reference_v<C> || std::is_const_v<T>) &&
                                                std::is_convertible_v<decltype(std::declval<C &>().data()), T *>>>
    constexpr Span(C &&container) noexcept : data_(container.data()), size_(container.size()) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};

/// One stock's bars, oldest first: the C struct trendcast_bars (six pointers and one length),
/// viewing caller-owned arrays. Dates are YYYYMMDD integers, strictly increasing.
using BarsView = ::trendcast_bars;

/// A view over six arrays of `len` values each. No copy: the arrays must outlive the calls that
/// receive the view (and must not be reallocated, e.g. by a std::vector growing, in between).
inline BarsView bars_view(const int32_t *dates, const double *open, const double *high, const double *low,
                          const double *close, const double *volume, std::size_t len) noexcept {
    return BarsView{dates, open, high, low, close, volume, len};
}

/// A view over six containers (or spans); throws Error(Shape) unless they have one length.
inline BarsView bars_view(Span<const int32_t> dates, Span<const double> open, Span<const double> high,
                          Span<const double> low, Span<const double> close, Span<const double> volume) {
    const std::size_t n = dates.size();
    if (open.size() != n || high.size() != n || low.size() != n || close.size() != n || volume.size() != n)
        throw Error(StatusCode::Shape, "bars_view: the six arrays must have one length");
    return bars_view(dates.data(), open.data(), high.data(), low.data(), close.data(), volume.data(), n);
}

/// How to open a model (trendcast_open_options).
struct OpenOptions {
    Backend backend = Backend::Auto;
    /// -1: CPU. >= 0: ask ONNX Runtime for CUDA on this GPU (see Model::fallback_reason).
    int32_t cuda_device = -1;
    /// The ONNX Runtime library, or nullptr: $TRENDCAST_ORT_LIB, then beside libtrendcast.so, then the loader.
    const char *ort_library = nullptr;
};

/// A ranking: one score per stock in input order (NaN for a stock without a bar on the date), the
/// indices of the scored stocks best first, and the date scored (YYYYMMDD).
struct Ranking {
    std::vector<float> scores;
    std::vector<std::size_t> order;
    int32_t date = 0;
};

/// The library's version, "major.minor.patch".
inline std::string_view version() noexcept { return trendcast_version(); }

/// Whether the library loaded at run time is the version this header was written for.
inline bool header_matches_library() noexcept { return trendcast_version_number() == TRENDCAST_VERSION_NUMBER; }

/// The message of the last failed call on this thread (valid until the next call on it).
inline const char *last_error() noexcept { return trendcast_last_error(); }

/// A loaded model (a bundle directory: manifest.json and the ONNX file it names). Move-only.
class Model {
public:
    /// Opens the bundle in `path`; throws Error.
    explicit Model(const char *path, const OpenOptions &options = {}) { open_into(path, options).throw_if_error(); }
    explicit Model(const std::string &path, const OpenOptions &options = {}) : Model(path.c_str(), options) {}

    /// Opens the bundle in `path` without throwing Error: test the result.
    static Result<Model> open(const char *path, const OpenOptions &options = {}) {
        Model m;
        const Status s = m.open_into(path, options);
        if (!s) return Result<Model>(s.code(), s.message());
        return Result<Model>(std::move(m));
    }
    static Result<Model> open(const std::string &path, const OpenOptions &options = {}) {
        return open(path.c_str(), options);
    }

    /// Takes ownership of a handle from trendcast_model_open.
    explicit Model(trendcast_model *handle) noexcept : handle_(handle) {}
    Model(Model &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Model &operator=(Model &&other) noexcept {
        if (this != &other) {
            trendcast_model_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
    ~Model() { trendcast_model_free(handle_); }

    /// The C handle (still owned by this Model), or release it to the caller.
    const trendcast_model *get() const noexcept { return handle_; }
    trendcast_model *release() noexcept { return std::exchange(handle_, nullptr); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

    Kind kind() const {
        uint32_t k = 0;
        Status::from_c(trendcast_model_kind(handle_, &k)).throw_if_error();
        return static_cast<Kind>(k);
    }
    /// Trailing bars per stock a call needs at least; more are fine (only the trailing ones are read).
    std::size_t min_bars() const {
        std::size_t n = 0;
        Status::from_c(trendcast_model_min_bars(handle_, &n)).throw_if_error();
        return n;
    }
    /// Strings owned by the model, valid while it lives ("" for a moved-from model).
    std::string_view name() const noexcept { return text(trendcast_model_name(handle_)); }
    std::string_view backend() const noexcept { return text(trendcast_model_backend(handle_)); }
    std::string_view execution_provider() const noexcept { return text(trendcast_model_execution_provider(handle_)); }
    std::string_view manifest_json() const noexcept { return text(trendcast_model_manifest_json(handle_)); }
    /// Why the model does not run where it was asked to, if it does not.
    std::optional<std::string_view> fallback_reason() const noexcept {
        const char *s = trendcast_model_fallback_reason(handle_);
        return s ? std::optional<std::string_view>(s) : std::nullopt;
    }

    // --- direction: down / flat / up per stock, each as of its last bar ---

    /// Writes stock i's probabilities at out[3i..3i+3]; `out` must hold 3 * stocks.size() floats.
    /// Neither throws nor allocates.
    Status try_direction(Span<const BarsView> stocks, Span<float> out) const noexcept {
        return Status::from_c(trendcast_direction(handle_, stocks.data(), stocks.size(), out.data(), out.size()));
    }
    /// As try_direction, throwing Error.
    void direction(Span<const BarsView> stocks, Span<float> out) const { try_direction(stocks, out).throw_if_error(); }
    /// The probabilities in a new vector, one {down, flat, up} per stock; throws Error.
    std::vector<std::array<float, 3>> direction(Span<const BarsView> stocks) const {
        std::vector<std::array<float, 3>> out(stocks.size());
        static_assert(sizeof(std::array<float, 3>) == 3 * sizeof(float), "array<float, 3> is packed");
        direction(stocks, Span<float>(out.empty() ? nullptr : out.front().data(), 3 * out.size()));
        return out;
    }

    // --- rank: a universe scored as of its latest date (a ranking model) ---

    /// Scores into caller buffers of stocks.size() values each: `scores[i]` for stock i, `order` the
    /// scored stocks best first and then SIZE_MAX per unscored stock; `date` (may be nullptr)
    /// receives the date scored as YYYYMMDD. Ids: one per stock (e.g. GICS codes). Neither throws
    /// nor allocates.
    Status try_rank(Span<const BarsView> stocks, Span<const int32_t> sector_ids, Span<const int32_t> sub_industry_ids,
                    Span<float> scores, Span<std::size_t> order, int32_t *date = nullptr) const noexcept {
        const std::size_t n = stocks.size();
        if (sector_ids.size() != n || sub_industry_ids.size() != n || scores.size() != n || order.size() != n)
            return Status(StatusCode::Shape, "rank: sector_ids, sub_industry_ids, scores and order need one value per stock");
        return Status::from_c(trendcast_rank(handle_, stocks.data(), sector_ids.data(), sub_industry_ids.data(), n,
                                             scores.data(), order.data(), date));
    }
    /// As try_rank, throwing Error.
    void rank(Span<const BarsView> stocks, Span<const int32_t> sector_ids, Span<const int32_t> sub_industry_ids,
              Span<float> scores, Span<std::size_t> order, int32_t *date = nullptr) const {
        try_rank(stocks, sector_ids, sub_industry_ids, scores, order, date).throw_if_error();
    }
    /// The ranking in new vectors (order holds only the scored stocks); throws Error.
    Ranking rank(Span<const BarsView> stocks, Span<const int32_t> sector_ids, Span<const int32_t> sub_industry_ids) const {
        Ranking r;
        r.scores.resize(stocks.size());
        r.order.resize(stocks.size());
        rank(stocks, sector_ids, sub_industry_ids, r.scores, r.order, &r.date);
        std::size_t scored = 0;
        while (scored < r.order.size() && r.order[scored] != SIZE_MAX) scored++;
        r.order.resize(scored);
        return r;
    }

private:
    Model() noexcept = default;

    Status open_into(const char *path, const OpenOptions &options) noexcept {
        trendcast_open_options o = trendcast_open_options_default();
        o.backend = static_cast<uint32_t>(options.backend);
        o.cuda_device = options.cuda_device;
        o.ort_library_path = options.ort_library;
        trendcast_model *m = nullptr;
        const Status s = Status::from_c(trendcast_model_open(path, &o, &m));
        if (s) handle_ = m;
        return s;
    }

    static std::string_view text(const char *s) noexcept { return s ? std::string_view(s) : std::string_view(); }

    trendcast_model *handle_ = nullptr;
};

/// A universe of stocks advanced one day at a time (trendcast_universe): the state of the features,
/// the direction windows, the relation inputs and the day encodings is kept, so that a day's push
/// computes only that day and the answers come from the state. RAII, move-only.
///
/// Threading: the const calls (direction, rank, save, getters) may run concurrently on one
/// universe; push_day may not run concurrently with any other call on it.
class Universe {
public:
    /// A universe of sector_ids.size() stocks (stock i of every call is stock i here), answered
    /// about by `models` (a model's position in it is its model_index below). With `history`
    /// (one BarsView per stock, a not-yet-listed stock with len 0) every day of it is pushed.
    /// The universe keeps its own reference to each model. Throws Error.
    Universe(Span<const Model *const> models, Span<const int32_t> sector_ids, Span<const int32_t> sub_industry_ids,
             Span<const BarsView> history = {}) {
        create_into(models, sector_ids, sub_industry_ids, history).throw_if_error();
    }
    /// As the constructor, without throwing.
    static Result<Universe> create(Span<const Model *const> models, Span<const int32_t> sector_ids,
                                   Span<const int32_t> sub_industry_ids, Span<const BarsView> history = {}) {
        Universe u;
        const Status s = u.create_into(models, sector_ids, sub_industry_ids, history);
        if (!s) return Result<Universe>(s.code(), s.message());
        return Result<Universe>(std::move(u));
    }
    /// A universe saved by save(), for the same models and stocks; throws Error.
    static Universe restore(Span<const Model *const> models, Span<const int32_t> sector_ids,
                            Span<const int32_t> sub_industry_ids, const char *path) {
        Universe u;
        std::vector<const trendcast_model *> handles;
        for (const Model *m : models) handles.push_back(m ? m->get() : nullptr);
        if (sector_ids.size() != sub_industry_ids.size())
            throw Error(StatusCode::Shape, "restore: one sector id and one sub-industry id per stock");
        Status::from_c(trendcast_universe_restore(handles.data(), handles.size(), sector_ids.data(),
                                                  sub_industry_ids.data(), sector_ids.size(), path, &u.handle_))
            .throw_if_error();
        u.size_ = sector_ids.size();
        return u;
    }

    Universe(Universe &&other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    Universe &operator=(Universe &&other) noexcept {
        if (this != &other) {
            trendcast_universe_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }
    Universe(const Universe &) = delete;
    Universe &operator=(const Universe &) = delete;
    ~Universe() { trendcast_universe_free(handle_); }

    const trendcast_universe *get() const noexcept { return handle_; }

    /// Advances to `date` (YYYYMMDD) with the bars of the stocks that traded: bar i belongs to stock
    /// stock_ids[i]. A refused day changes nothing. Neither throws nor allocates.
    Status try_push_day(int32_t date, Span<const std::size_t> stock_ids, Span<const double> open,
                        Span<const double> high, Span<const double> low, Span<const double> close,
                        Span<const double> volume) noexcept {
        const std::size_t n = stock_ids.size();
        if (open.size() != n || high.size() != n || low.size() != n || close.size() != n || volume.size() != n)
            return Status(StatusCode::Shape, "push_day: one value per bar in each array");
        return Status::from_c(trendcast_universe_push_day(handle_, date, stock_ids.data(), open.data(), high.data(),
                                                          low.data(), close.data(), volume.data(), n));
    }
    /// As try_push_day, throwing Error.
    void push_day(int32_t date, Span<const std::size_t> stock_ids, Span<const double> open, Span<const double> high,
                  Span<const double> low, Span<const double> close, Span<const double> volume) {
        try_push_day(date, stock_ids, open, high, low, close, volume).throw_if_error();
    }

    /// Every stock's probabilities for the latest day from model `model_index`, stock i at
    /// out[3i..3i+3] (3 * size() floats); NaN where a stock has no answer that day. Neither throws
    /// nor allocates.
    Status try_direction(std::size_t model_index, Span<float> out) const noexcept {
        return Status::from_c(trendcast_universe_direction(handle_, model_index, out.data(), out.size()));
    }
    /// The probabilities in a new vector, one {down, flat, up} per stock; throws Error.
    std::vector<std::array<float, 3>> direction(std::size_t model_index) const {
        std::vector<std::array<float, 3>> out(size());
        try_direction(model_index, Span<float>(out.empty() ? nullptr : out.front().data(), 3 * out.size())).throw_if_error();
        return out;
    }

    /// The latest day's scores from model `model_index` into buffers of size() values, as
    /// Model::try_rank writes them. Neither throws nor allocates.
    Status try_rank(std::size_t model_index, Span<float> scores, Span<std::size_t> order, int32_t *date = nullptr) const noexcept {
        if (scores.size() != order.size())
            return Status(StatusCode::Shape, "rank: scores and order need one value per stock");
        return Status::from_c(trendcast_universe_rank(handle_, model_index, scores.data(), order.data(), scores.size(), date));
    }
    /// The ranking in new vectors (order holds only the scored stocks); throws Error.
    Ranking rank(std::size_t model_index) const {
        Ranking r;
        r.scores.resize(size());
        r.order.resize(size());
        try_rank(model_index, r.scores, r.order, &r.date).throw_if_error();
        std::size_t scored = 0;
        while (scored < r.order.size() && r.order[scored] != SIZE_MAX) scored++;
        r.order.resize(scored);
        return r;
    }

    /// Writes the state to `path` (replaced atomically); throws Error.
    void save(const char *path) const { Status::from_c(trendcast_universe_save(handle_, path)).throw_if_error(); }

    std::size_t size() const noexcept { return size_; }
    /// The latest pushed day as YYYYMMDD, 0 before the first push.
    int32_t last_date() const {
        int32_t d = 0;
        Status::from_c(trendcast_universe_last_day(handle_, &d, nullptr)).throw_if_error();
        return d;
    }

private:
    Universe() noexcept = default;

    Status create_into(Span<const Model *const> models, Span<const int32_t> sector_ids,
                       Span<const int32_t> sub_industry_ids, Span<const BarsView> history) {
        if (sector_ids.size() != sub_industry_ids.size() || (!history.empty() && history.size() != sector_ids.size()))
            return Status(StatusCode::Shape, "universe: one sector id, one sub-industry id (and one history) per stock");
        std::vector<const trendcast_model *> handles;
        for (const Model *m : models) handles.push_back(m ? m->get() : nullptr);
        const Status s = Status::from_c(trendcast_universe_create(handles.data(), handles.size(), sector_ids.data(),
                                                                  sub_industry_ids.data(), sector_ids.size(),
                                                                  history.empty() ? nullptr : history.data(), &handle_));
        if (s) size_ = sector_ids.size();
        return s;
    }

    trendcast_universe *handle_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace trendcast

#endif  // TRENDCAST_HPP
