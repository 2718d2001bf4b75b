//! No look-ahead: changing any bar after day t leaves every feature and every window input of
//! day t (and before) unchanged; nor does it move the market features of day t.

mod common;

use common::{day, same_bits, series_from};
use proptest::prelude::*;
use trendcast::contract::WindowAlignment;
use trendcast::features::{Market, compute};
use trendcast_export::dataset::{DatasetSpec, DirectionDataset, Splits};

fn spec(alignment: WindowAlignment) -> DatasetSpec {
    let d = |s| trendcast::Date::parse(s).unwrap();
    DatasetSpec {
        lookback: 10,
        alignment,
        min_bars: 1,
        splits: Splits { train_start: d("2015-01-01"), train_end: d("2015-03-31"), validation_end: d("2015-04-30"), test_end: None },
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn perturbing_the_future_leaves_the_present_unchanged(
        draws in prop::collection::vec(day(), 60..140),
        cut in 0.0..1.0f64,
        future in prop::collection::vec(day(), 140),
        gap in any::<bool>(),
    ) {
        let t = ((draws.len() - 1) as f64 * cut) as usize;
        let mut changed = draws.clone();
        for (i, d) in changed.iter_mut().enumerate().skip(t + 1) {
            *d = future[i];
        }
        let (a, b) = (series_from(&draws), series_from(&changed));
        prop_assert!(a.close[t + 1..] != b.close[t + 1..] || t + 1 == a.len());
        let (fa, fb) = (compute(&a), compute(&b));
        for s in 0..=t {
            for k in 0..fa[s].len() {
                prop_assert!(same_bits(fa[s][k], fb[s][k]), "feature {k} of day {s} moved when bars after {t} changed");
            }
        }
        let alignment = if gap { WindowAlignment::EndsBeforeT } else { WindowAlignment::EndsAtT };
        let (da, db) = (DirectionDataset::build(std::slice::from_ref(&a), &spec(alignment)).unwrap(),
                        DirectionDataset::build(&[b], &spec(alignment)).unwrap());
        // The rows a window of day s <= t covers are days <= t, so their inputs must be identical.
        for sa in da.samples.iter().filter(|s| s.date <= a.dates[t]) {
            let sb = db.samples.iter().find(|s| s.date == sa.date).expect("same sample exists");
            let (wa, wb) = (da.window(sa), db.window(sb));
            prop_assert!(wa.as_flattened().iter().zip(wb.as_flattened()).all(|(x, y)| same_bits(*x, *y)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The market features of day t (and the market columns of every window ending by t) read the
    /// universe's bars up to t only.
    #[test]
    fn the_market_of_day_t_ignores_every_later_bar(
        draws in prop::collection::vec(day(), 60..120),
        cut in 0.0..1.0f64,
        future in prop::collection::vec(day(), 3 * 120),
    ) {
        let t = ((draws.len() - 1) as f64 * cut) as usize;
        let n = draws.len();
        // Three stocks: the draws rotated, so they differ; each gets its own future.
        let stocks: Vec<Vec<_>> = (0..3).map(|k| (0..n).map(|i| draws[(i + 17 * k) % n]).collect()).collect();
        let changed: Vec<Vec<_>> = stocks.iter().enumerate()
            .map(|(k, d)| d.iter().enumerate().map(|(i, x)| if i > t { future[k * 120 + i] } else { *x }).collect())
            .collect();
        let a: Vec<_> = stocks.iter().map(|d| series_from(d)).collect();
        let b: Vec<_> = changed.iter().map(|d| series_from(d)).collect();
        let (ma, mb) = (Market::equal_weighted(&a).unwrap(), Market::equal_weighted(&b).unwrap());
        let day_t = a[0].dates[t];
        for (d, row) in ma.dates().iter().zip(ma.rows()).filter(|(d, _)| **d <= day_t) {
            let other = mb.at(*d).expect("same days");
            prop_assert!(row.iter().zip(other).all(|(x, y)| same_bits(*x, *y)), "market of {d} moved when bars after {day_t} changed");
        }
        let spec = DatasetSpec { market: true, ..spec(WindowAlignment::EndsAtT) };
        let (da, db) = (DirectionDataset::build(&a, &spec).unwrap(), DirectionDataset::build(&b, &spec).unwrap());
        for sa in da.samples.iter().filter(|s| s.date <= day_t) {
            let sb = db.samples.iter().find(|s| s.symbol == sa.symbol && s.date == sa.date).expect("same sample exists");
            let (wa, wb) = (da.window_market(sa), db.window_market(sb));
            prop_assert!(wa.as_flattened().iter().zip(wb.as_flattened()).all(|(x, y)| same_bits(*x, *y)));
        }
    }
}
