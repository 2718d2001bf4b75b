//! The live universe through the C ABI: a universe of 12 stocks (a small GRU and a small LSR-IGRU
//! with a short lookback, its window graph taking the encodings in pieces) pushed arbitrary days (any date, any stock ids, raw values or plausible
//! bars, repeated or missing stocks): every call returns a named status, never
//! TRENDCAST_STATUS_PANIC; a refused push leaves the last day as it was; after a push the answers
//! have the documented shape (probabilities summing to 1 or NaN rows; an order of distinct scored
//! stocks, then SIZE_MAX).

use std::sync::OnceLock;

use crate::common::{Handle, last_error, open_on_tract, write_gru, write_lsr_igru};
use arbitrary::Arbitrary;
use trendcast::ffi::{
    trendcast_model, trendcast_status, trendcast_universe, trendcast_universe_create, trendcast_universe_direction,
    trendcast_universe_free, trendcast_universe_last_day, trendcast_universe_push_day, trendcast_universe_rank,
};
use trendcast::model::manifest::RelationSpec;

const STOCKS: usize = 12;

/// A small GRU (window 5) and a small LSR-IGRU (window 3, short lookback 4), opened once.
fn models() -> &'static [Handle; 2] {
    static MODELS: OnceLock<(Vec<tempfile::TempDir>, [Handle; 2])> = OnceLock::new();
    &MODELS
        .get_or_init(|| {
            let (d_dir, d) = open_on_tract(|dir| write_gru(dir, 5));
            let (r_dir, r) = open_on_tract(|dir| write_lsr_igru(dir, 3, RelationSpec { short_lookback: 4, ..RelationSpec::default() }));
            (vec![d_dir, r_dir], [d, r])
        })
        .1
}

/// One bar of a day: a stock id (any value: most fall inside the universe) and either raw values or
/// a plausible move from the stock's last close.
#[derive(Debug, Arbitrary)]
pub struct DayBar {
    stock: u8,
    raw: Option<[f64; 5]>,
    gap: i8,
    range: u8,
    volume: u16,
}

#[derive(Debug, Arbitrary)]
pub struct Day {
    /// Days after the previous pushed date (0 repeats it; negative goes back).
    step: i8,
    bars: Vec<DayBar>,
}

pub fn run(days: Vec<Day>) {
    let [d, r] = models();
    let handles: [*const trendcast_model; 2] = [d.0, r.0];
    let sectors: Vec<i32> = (0..STOCKS as i32).map(|i| i / 4).collect();
    let subs: Vec<i32> = (0..STOCKS as i32).map(|i| i / 2).collect();
    let mut u: *mut trendcast_universe = std::ptr::null_mut();
    let status = trendcast_universe_create(handles.as_ptr(), 2, sectors.as_ptr(), subs.as_ptr(), STOCKS, std::ptr::null(), &mut u);
    assert_eq!(status, trendcast_status::Ok, "{}", last_error());
    let mut date = trendcast::Date::parse("2020-01-02").expect("a date");
    let mut close = [50.0f64; STOCKS];
    for day in days.iter().take(40) {
        date = trendcast::Date::from_days_since_epoch(date.days_since_epoch() + day.step as i32);
        let (mut ids, mut cols) = (Vec::new(), [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()]);
        for b in day.bars.iter().take(2 * STOCKS) {
            let k = b.stock as usize % (STOCKS + 2); // a few ids outside the universe
            let values = b.raw.unwrap_or_else(|| {
                let c = close[k % STOCKS] * (1.0 + b.gap as f64 / 1000.0);
                let w = c * b.range as f64 / 5000.0;
                [c, c + w, c - w, c, b.volume as f64]
            });
            ids.push(k);
            for (col, v) in cols.iter_mut().zip(values) {
                col.push(v);
            }
        }
        let (mut before, mut after) = (0i32, 0i32);
        trendcast_universe_last_day(u, &mut before, std::ptr::null_mut());
        let status = trendcast_universe_push_day(
            u,
            date.yyyymmdd(),
            ids.as_ptr(),
            cols[0].as_ptr(),
            cols[1].as_ptr(),
            cols[2].as_ptr(),
            cols[3].as_ptr(),
            cols[4].as_ptr(),
            ids.len(),
        );
        assert_ne!(status, trendcast_status::Panic, "{}", last_error());
        trendcast_universe_last_day(u, &mut after, std::ptr::null_mut());
        if status != trendcast_status::Ok {
            assert_eq!(before, after, "a refused push moved the universe");
            continue;
        }
        for (&k, &c) in ids.iter().zip(&cols[3]) {
            close[k % STOCKS] = c;
        }
        let mut probs = [0f32; 3 * STOCKS];
        let status = trendcast_universe_direction(u, 0, probs.as_mut_ptr(), probs.len());
        assert_ne!(status, trendcast_status::Panic, "{}", last_error());
        if status == trendcast_status::Ok {
            for p in probs.chunks_exact(3) {
                assert!(p.iter().all(|v| v.is_nan()) || (p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
            }
        }
        let (mut scores, mut order, mut on) = ([0f32; STOCKS], [0usize; STOCKS], 0i32);
        let status = trendcast_universe_rank(u, 1, scores.as_mut_ptr(), order.as_mut_ptr(), STOCKS, &mut on);
        assert_ne!(status, trendcast_status::Panic, "{}", last_error());
        if status == trendcast_status::Ok {
            let scored: Vec<usize> = order.iter().copied().take_while(|&k| k != usize::MAX).collect();
            assert!(order[scored.len()..].iter().all(|&k| k == usize::MAX));
            let mut seen = [false; STOCKS];
            for &k in &scored {
                assert!(k < STOCKS && !seen[k] && scores[k].is_finite());
                seen[k] = true;
            }
        }
    }
    trendcast_universe_free(u);
}
