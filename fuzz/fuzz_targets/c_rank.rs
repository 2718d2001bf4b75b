//! `trendcast_rank` through the C ABI with arbitrary stocks (raw values, and plausible bars of any
//! length around the ranking inputs' 76 days) and industry ids: a named status, never
//! TRENDCAST_STATUS_PANIC; on success, an order of distinct scored stocks with finite scores, best
//! first, then SIZE_MAX for each unscored one.
#![no_main]

mod common;

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use common::{Handle, Stock, last_error, open_on_tract, plausible, write_probe};
use libfuzzer_sys::fuzz_target;
use trendcast::ffi::{trendcast_rank, trendcast_status};
use trendcast::model::manifest::RelationSpec;

/// The ranking-shaped probe graph (window 15, short lookback 61), opened on tract once.
fn model() -> &'static Handle {
    static MODEL: OnceLock<(tempfile::TempDir, Handle)> = OnceLock::new();
    &MODEL
        .get_or_init(|| {
            open_on_tract(|dir| write_probe(dir, 15, RelationSpec::default()))
        })
        .1
}

#[derive(Debug, Arbitrary)]
struct Input {
    raw: Vec<(Stock, i32, i32)>,
    plausible: Vec<(u8, u8, Vec<u8>, u8)>,
}

fuzz_target!(|input: Input| {
    let mut stocks = Vec::new();
    let (mut sectors, mut subs) = (Vec::new(), Vec::new());
    for (n, end, moves, id) in &input.plausible {
        stocks.push(plausible(60 + *n as usize % 40, *end, moves));
        sectors.push((*id % 3) as i32);
        subs.push((*id % 6) as i32);
    }
    for (s, sector, sub) in input.raw {
        stocks.push(s);
        sectors.push(sector);
        subs.push(sub);
    }
    let bars: Vec<_> = stocks.iter().map(Stock::c_bars).collect();
    let n = bars.len();
    let (mut scores, mut order, mut date) = (vec![f32::NAN; n.max(1)], vec![0usize; n.max(1)], 0i32);
    let status =
        trendcast_rank(model().0, bars.as_ptr(), sectors.as_ptr(), subs.as_ptr(), n, scores.as_mut_ptr(), order.as_mut_ptr(), &mut date);
    assert_ne!(status, trendcast_status::Panic, "{}", last_error());
    if status == trendcast_status::Ok {
        let scored: Vec<usize> = order[..n].iter().copied().take_while(|&k| k != usize::MAX).collect();
        assert!(order[scored.len()..n].iter().all(|&k| k == usize::MAX));
        let mut seen = vec![false; n];
        for w in scored.windows(2) {
            assert!(scores[w[0]] >= scores[w[1]], "best first");
        }
        for &k in &scored {
            assert!(k < n && !std::mem::replace(&mut seen[k], true) && scores[k].is_finite());
        }
        assert!((0..n).all(|k| seen[k] || scores[k].is_nan()), "an unscored stock has a NaN score");
    }
});
