//! The live universe handle: create (empty or from history), push a day, direction, rank, save,
//! restore, free.

use std::ffi::{CStr, c_char};
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, RwLock};

use super::bars::trendcast_bars;
use super::guard::{guard, non_null, slice, slice_mut};
use super::handles;
use super::model::{trendcast_model, write_ranking};
use super::status::trendcast_status;
use crate::bars::Bar;
use crate::error::{Error, Result};
use crate::live::{DayBar, LiveUniverse};
use crate::model::Model;
use crate::predict::{industries_from_ids, series_of};

/// A universe of stocks advanced one day at a time (opaque).
///
/// Threading: trendcast_universe_direction, trendcast_universe_rank, trendcast_universe_save and
/// the getters read it (`const trendcast_universe*`) and run concurrently with each other on one
/// universe. trendcast_universe_push_day changes it: it waits for the reads in flight and they for
/// it. trendcast_universe_free waits for every call in flight; calls after it are refused.
pub struct trendcast_universe {
    universe: RwLock<LiveUniverse>,
    /// Calls in flight on this handle (`handles`): a free waits for them.
    in_flight: AtomicUsize,
}

impl handles::Handle for trendcast_universe {
    fn in_flight(&self) -> &AtomicUsize {
        &self.in_flight
    }
}

impl trendcast_universe {
    /// The universe to read; a universe on which a push panicked (a bug) is refused from then on.
    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, LiveUniverse>> {
        self.universe.read().map_err(|_| unusable())
    }
}

fn unusable() -> Error {
    Error::InvalidArgument {
        what: "the universe is unusable: a push on it failed inside the library; restore it from a saved state".into(),
    }
}

/// The models of `models[..n]` (each handle keeps a shared reference: the universe keeps the
/// models alive after trendcast_model_free).
fn models_of(models: *const *const trendcast_model, n_models: usize) -> Result<Vec<Arc<Model>>> {
    non_null(models, "models")?;
    if n_models == 0 {
        return Err(Error::InvalidArgument { what: "a universe needs at least one model".into() });
    }
    let given = slice(models, n_models, "models")?;
    given.iter().enumerate().map(|(i, &h)| handles::lease(h, &format!("models[{i}]")).map(|m| m.model.clone())).collect()
}

/// What creating and restoring share: the output pointer checked, the models, and the stocks'
/// names and industry table from their ids.
fn setup(
    models: *const *const trendcast_model,
    n_models: usize,
    sector_ids: *const i32,
    sub_industry_ids: *const i32,
    n_stocks: usize,
    out_universe: *mut *mut trendcast_universe,
) -> Result<(Vec<Arc<Model>>, Vec<String>, crate::bars::Industries)> {
    non_null(out_universe, "out_universe")?;
    let models = models_of(models, n_models)?;
    non_null(sector_ids, "sector_ids")?;
    non_null(sub_industry_ids, "sub_industry_ids")?;
    if n_stocks == 0 {
        return Err(Error::Shape { what: "no stocks given".into() });
    }
    let (sectors, subs) = (slice(sector_ids, n_stocks, "sector_ids")?, slice(sub_industry_ids, n_stocks, "sub_industry_ids")?);
    let (names, industries) = industries_from_ids(sectors, subs)?;
    Ok((models, names, industries))
}

fn path_of<'a>(path: *const c_char) -> Result<&'a Path> {
    non_null(path, "path")?;
    // SAFETY: non-NULL and NUL-terminated (contract).
    let s = unsafe { CStr::from_ptr(path) }.to_str().map_err(|_| Error::InvalidArgument { what: "path is not UTF-8".into() })?;
    Ok(Path::new(s))
}

fn put(out: *mut *mut trendcast_universe, universe: LiveUniverse) {
    // SAFETY: checked non-NULL by the callers.
    unsafe { *out = handles::register(Box::new(trendcast_universe { universe: RwLock::new(universe), in_flight: AtomicUsize::new(0) })) };
}

/// Creates a universe of `n_stocks` stocks answered about by `models` (direction and ranking
/// models in any order; `model_index` in the calls below is a position in this array).
///
/// - `models`: `n_models` model handles. The universe keeps its own reference to each: the caller
///   may free the handles afterwards.
/// - `sector_ids`, `sub_industry_ids`: `n_stocks` caller-chosen integer ids each, as for
///   trendcast_rank. Stock i of every later call is the stock at i here. With a ranking model,
///   `n_stocks` must be at least two, as for trendcast_rank.
/// - `history`: NULL for an empty universe, or `n_stocks` bar sets (see trendcast_bars; a stock
///   that lists later has `len` 0): every day of their union calendar is pushed in order, the
///   ranking state built at the last day as trendcast_rank builds it. Borrowed for the call.
/// - `out_universe`: receives the handle on success; free it with trendcast_universe_free.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_create(
    models: *const *const trendcast_model,
    n_models: usize,
    sector_ids: *const i32,
    sub_industry_ids: *const i32,
    n_stocks: usize,
    history: *const trendcast_bars,
    out_universe: *mut *mut trendcast_universe,
) -> trendcast_status {
    guard(|| {
        let (models, names, industries) = setup(models, n_models, sector_ids, sub_industry_ids, n_stocks, out_universe)?;
        let universe = if history.is_null() {
            LiveUniverse::new(models, industries, names)?
        } else {
            let stocks = slice(history, n_stocks, "history")?;
            LiveUniverse::from_history(models, industries, &series_of(stocks, &names)?)?
        };
        put(out_universe, universe);
        Ok(())
    })
}

/// Advances the universe to `date` (YYYYMMDD, after the last pushed day) with the bars of the
/// stocks that traded that day: bar i is stock `stock_ids[i]`'s, from the six arrays of `n_bars`
/// values each (borrowed for the call). A stock not given did not trade that day.
///
/// Refused, leaving the universe exactly as it was: a date not after the last pushed day, no bars
/// (a holiday), a stock id outside the universe, a stock given twice, a bar that fails validation
/// (the error names the stock and the date). Waits for the calls in flight on `universe`, and they for it.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_push_day(
    universe: *mut trendcast_universe,
    date: i32,
    stock_ids: *const usize,
    open: *const f64,
    high: *const f64,
    low: *const f64,
    close: *const f64,
    volume: *const f64,
    n_bars: usize,
) -> trendcast_status {
    guard(|| {
        let u = handles::lease(universe.cast_const(), "universe")?;
        let date_of = crate::bars::Dates::Yyyymmdd(std::slice::from_ref(&date));
        let date = date_of.get(0)?;
        let mut bars = Vec::with_capacity(n_bars);
        if n_bars > 0 {
            for (p, name) in [(open, "open"), (high, "high"), (low, "low"), (close, "close"), (volume, "volume")] {
                non_null(p, name)?;
            }
            non_null(stock_ids, "stock_ids")?;
            let ids = slice(stock_ids, n_bars, "stock_ids")?;
            let (o, h, l, c, v) = (
                slice(open, n_bars, "open")?,
                slice(high, n_bars, "high")?,
                slice(low, n_bars, "low")?,
                slice(close, n_bars, "close")?,
                slice(volume, n_bars, "volume")?,
            );
            for i in 0..n_bars {
                bars.push(DayBar { stock: ids[i], bar: Bar { date, open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i] } });
            }
        }
        u.universe.write().map_err(|_| unusable())?.push_day(date, &bars)
    })
}

/// Direction probabilities of every stock for the latest pushed day, from model `model_index` (a
/// direction model): stock i's down, flat and up at 3i, 3i+1, 3i+2 of `out_probs` (caller-owned,
/// `out_len` = 3 x the universe's stocks). NaN for a stock that cannot be answered that day (no
/// bar that day, a feature of its bar undefined, or too little history). Written only on success.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_direction(
    universe: *const trendcast_universe,
    model_index: usize,
    out_probs: *mut f32,
    out_len: usize,
) -> trendcast_status {
    guard(|| {
        let u = handles::lease(universe, "universe")?;
        let out = slice_mut(out_probs, out_len, "out_probs")?;
        u.read()?.direction_into(model_index, None, out)
    })
}

/// Scores of every stock for the latest pushed day, from model `model_index` (a ranking model), as
/// trendcast_rank writes them: `out_scores` (`n_stocks` floats, NaN for a stock without a bar that
/// day or too young), `out_order` (`n_stocks` indices, best first, then SIZE_MAX), `out_date`
/// (YYYYMMDD; may be NULL). `n_stocks` must be the universe's. Written only on success.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_rank(
    universe: *const trendcast_universe,
    model_index: usize,
    out_scores: *mut f32,
    out_order: *mut usize,
    n_stocks: usize,
    out_date: *mut i32,
) -> trendcast_status {
    guard(|| {
        let u = handles::lease(universe, "universe")?;
        non_null(out_scores, "out_scores")?;
        non_null(out_order, "out_order")?;
        let u = u.read()?;
        let n = u.tickers().len();
        if n_stocks != n {
            return Err(Error::Shape { what: format!("n_stocks is {n_stocks}, the universe has {n}") });
        }
        write_ranking(&u.rank_with(model_index)?, out_scores, out_order, out_date)
    })
}

/// The latest pushed day as YYYYMMDD (0 before the first push) and the number of days pushed.
/// Either output may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_last_day(
    universe: *const trendcast_universe,
    out_date: *mut i32,
    out_days: *mut usize,
) -> trendcast_status {
    guard(|| {
        let u = handles::lease(universe, "universe")?;
        let u = u.read()?;
        if !out_date.is_null() {
            // SAFETY: checked non-NULL.
            unsafe { *out_date = u.last_date().map_or(0, |d| d.yyyymmdd()) };
        }
        if !out_days.is_null() {
            // SAFETY: checked non-NULL.
            unsafe { *out_days = u.days() };
        }
        Ok(())
    })
}

/// Writes the universe's state to the file `path` (NUL-terminated UTF-8), replacing it atomically.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_save(universe: *const trendcast_universe, path: *const c_char) -> trendcast_status {
    guard(|| handles::lease(universe, "universe")?.read()?.save(path_of(path)?))
}

/// Restores a universe saved by trendcast_universe_save, for the same models (same bundles, in the
/// same order) and the same stocks with the same industry ids; anything else is refused by name
/// (TRENDCAST_STATUS_CONTRACT), as is a file of another format; a file that is not a state, or
/// whose bytes do not match the sha256 saved with them (corrupted, truncated), is
/// TRENDCAST_STATUS_PARSE. `out_universe` as for trendcast_universe_create.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_restore(
    models: *const *const trendcast_model,
    n_models: usize,
    sector_ids: *const i32,
    sub_industry_ids: *const i32,
    n_stocks: usize,
    path: *const c_char,
    out_universe: *mut *mut trendcast_universe,
) -> trendcast_status {
    guard(|| {
        let (models, _, industries) = setup(models, n_models, sector_ids, sub_industry_ids, n_stocks, out_universe)?;
        let universe = LiveUniverse::restore(models, industries, path_of(path)?)?;
        if universe.tickers().len() != n_stocks {
            return Err(Error::Contract { what: format!("the state holds {} stocks, {n_stocks} given", universe.tickers().len()) });
        }
        put(out_universe, universe);
        Ok(())
    })
}

/// Releases a universe. NULL, or a universe already released, is accepted and ignored. Calls in
/// flight on it on other threads finish first (this call waits for them); calls made after it are
/// refused with TRENDCAST_STATUS_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_universe_free(universe: *mut trendcast_universe) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handles::release(universe)));
}
