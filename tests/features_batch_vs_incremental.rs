//! The whole-series and one-bar-at-a-time feature computations agree bit for bit.

mod common;

use common::{day, same_bits, series_from};
use proptest::prelude::*;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::features::{FEATURE_NAMES, FeatureState, compute};

fn assert_agree(s: &trendcast::bars::BarSeries) {
    let batch = compute(s);
    let mut state = FeatureState::new();
    for (t, row) in batch.iter().enumerate() {
        let inc = state.push(&s.bar(t)).unwrap();
        for k in 0..FEATURE_NAMES.len() {
            assert!(same_bits(row[k], inc[k]), "{} bar {t} {}: batch {} vs incremental {}", s.ticker, FEATURE_NAMES[k], row[k], inc[k]);
        }
    }
}

#[test]
fn synthetic_universe_agrees_bit_for_bit() {
    let u = generate(&SyntheticSpec { days: 500, late_listing_every: 3, ..Default::default() });
    for s in &u.series {
        assert_agree(s);
    }
}

#[test]
fn shared_data_agrees_bit_for_bit() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let u = trendcast::bars::load_dataset_dir(&dir, &Default::default()).unwrap();
    for s in u.series.iter().step_by(25) {
        assert_agree(s);
    }
}

#[test]
fn incremental_state_rejects_bad_bars_and_stays_usable() {
    let s = series_from(&[(0.01, 0.5, 0.01, 0.01, 100.0); 30]);
    let mut st = FeatureState::new();
    for t in 0..25 {
        st.push(&s.bar(t)).unwrap();
    }
    let mut bad = s.bar(25);
    bad.close = f64::NAN;
    let e = st.push(&bad).unwrap_err();
    assert!(e.to_string().contains("close is not a finite number"), "{e}");
    assert!(st.push(&s.bar(24)).unwrap_err().to_string().contains("duplicate"));
    assert!(st.push(&s.bar(3)).unwrap_err().to_string().contains("out of order"));
    let batch = compute(&s);
    let row = st.push(&s.bar(25)).unwrap();
    assert!(row.iter().zip(batch[25]).all(|(a, b)| same_bits(*a, b)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_series_agree(draws in prop::collection::vec(day(), 1..120)) {
        assert_agree(&series_from(&draws));
    }
}
