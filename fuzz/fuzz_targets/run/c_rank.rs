//! `trendcast_rank` and `trendcast_ranking_inputs` through the C ABI with arbitrary stocks (raw
//! values, and plausible bars of any length around the ranking inputs' 76 days) and industry ids:
//! a named status, never TRENDCAST_STATUS_PANIC; on success, an order of distinct scored stocks
//! with finite scores, best first, then SIZE_MAX for each unscored one; the inputs' sizes add up
//! (stocks, then sub-industries, then sectors), a partial set of output arrays is refused, and a
//! failed call leaves its outputs as they were.

use std::sync::OnceLock;

use crate::common::{Handle, Stock, last_error, open_on_tract, plausible, write_probe};
use arbitrary::Arbitrary;
use trendcast::ffi::{trendcast_rank, trendcast_ranking_input_sizes, trendcast_ranking_inputs, trendcast_status};
use trendcast::model::manifest::RelationSpec;

/// The ranking-shaped probe graph (window 15, short lookback 61), opened on tract once.
fn model() -> &'static Handle {
    static MODEL: OnceLock<(tempfile::TempDir, Handle)> = OnceLock::new();
    &MODEL.get_or_init(|| open_on_tract(|dir| write_probe(dir, 15, RelationSpec::default()))).1
}

#[derive(Debug, Arbitrary)]
pub struct Input {
    raw: Vec<(Stock, i32, i32)>,
    plausible: Vec<(u8, u8, Vec<u8>, u8)>,
    /// Which of the four input arrays the second ranking-inputs call passes (bit k: array k).
    arrays: u8,
}

pub fn run(input: Input) {
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

    ranking_inputs(&bars, &sectors, &subs, input.arrays);
}

/// The ranking inputs of the same stocks: sizes first, then the arrays (all four, or the subset
/// `arrays` names, which must be refused unless it is all or none).
fn ranking_inputs(bars: &[trendcast::ffi::trendcast_bars], sectors: &[i32], subs: &[i32], arrays: u8) {
    let n = bars.len();
    let call = |sizes: &mut trendcast_ranking_input_sizes,
                ids: *mut i32,
                nodes: *mut f32,
                long: *mut f32,
                short: *mut f32,
                date: *mut i32| {
        let status =
            trendcast_ranking_inputs(model().0, bars.as_ptr(), sectors.as_ptr(), subs.as_ptr(), n, sizes, ids, nodes, long, short, date);
        assert_ne!(status, trendcast_status::Panic, "{}", last_error());
        status
    };
    let mut sizes = trendcast_ranking_input_sizes { n_nodes: 777, ..Default::default() };
    let null = std::ptr::null_mut();
    let status = call(&mut sizes, null, null.cast(), null.cast(), null.cast(), null);
    if status != trendcast_status::Ok {
        assert_eq!(sizes.n_nodes, 777, "a failed sizes call wrote its sizes");
        return;
    }
    assert_eq!(sizes.n_stocks, n);
    assert_eq!(sizes.n_nodes, sizes.n_stocks + sizes.n_sub_industries + sizes.n_sectors);
    assert_eq!(sizes.window, 15);
    let (nn, t, f) = (sizes.n_nodes, sizes.window, sizes.n_node_features);
    let (mut ids, mut nodes, mut long, mut short) = (vec![-7i32; nn], vec![7f32; t * nn * f], vec![7f32; nn * nn], vec![7f32; t * nn * nn]);
    let mut date = -7i32;
    let all = arrays & 0xf == 0xf || arrays & 0xf == 0;
    let wanted = |bit: u8| all || arrays & (1 << bit) != 0;
    let status = call(
        &mut sizes,
        if wanted(0) { ids.as_mut_ptr() } else { null.cast() },
        if wanted(1) { nodes.as_mut_ptr() } else { null.cast() },
        if wanted(2) { long.as_mut_ptr() } else { null.cast() },
        if wanted(3) { short.as_mut_ptr() } else { null.cast() },
        &mut date,
    );
    if !all {
        assert_ne!(status, trendcast_status::Ok, "a partial set of arrays was accepted");
    }
    if status == trendcast_status::Ok {
        assert!(date > 0, "the date scored");
        assert!(ids[..n].iter().enumerate().all(|(k, &id)| id == k as i32), "the stocks first, in order");
    } else {
        assert!(ids.iter().all(|&v| v == -7) && date == -7, "a failed call wrote its outputs");
        assert!(nodes.iter().chain(&long).chain(&short).all(|&v| v == 7.0), "a failed call wrote its outputs");
    }
}
