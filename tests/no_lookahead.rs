//! No look-ahead: changing any bar after day t leaves every feature and every window input of
//! day t (and before) unchanged.

mod common;

use common::{day, same_bits, series_from};
use proptest::prelude::*;
use trendcast::dataset::{DatasetSpec, DirectionDataset, Splits, WindowAlignment};
use trendcast::features::compute;

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
