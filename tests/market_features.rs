//! Market features (the original's ablation): a model trained with them is served from raw bars and
//! a `Market` with exactly the windows training built, on both backends; calls that would give a
//! silently different answer are refused.

mod common;

use trendcast::bars::BarSeries;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::contract::WindowAlignment;
use trendcast::features::{Market, N_FEATURES, N_MARKET_FEATURES};
use trendcast::model::manifest::Scaler;
use trendcast::predict::{BarsRef, Dates};
use trendcast::{BackendKind, Error, Model, OpenOptions};
use trendcast_export::dataset::{DatasetSpec, DirectionDataset};
use trendcast_export::export::{DirectionExport, write_direction};
use trendcast_export::onnx::{Cell, RecurrentClassifier};

const W: usize = N_FEATURES + N_MARKET_FEATURES;

fn universe() -> Vec<BarSeries> {
    generate(&SyntheticSpec { days: 160, first_day: trendcast::Date::parse("2018-06-01").unwrap(), ..Default::default() }).series
}

/// A market GRU bundle with a scaler that moves every input (so a misplaced column shows).
fn market_bundle(dir: &std::path::Path, alignment: WindowAlignment) -> (RecurrentClassifier, Scaler) {
    let gru = RecurrentClassifier::seeded(Cell::Gru, W, 24, 3, 7);
    let scaler = Scaler { mean: (0..W).map(|k| 0.001 * k as f64).collect(), std: (0..W).map(|k| 0.02 + 0.01 * k as f64).collect() };
    let mut e = DirectionExport::new("test-market", 30);
    e.market = true;
    e.alignment = alignment;
    e.scaler = Some(scaler.clone());
    let m = write_direction(dir, &gru.clone().into(), &e).unwrap();
    assert!(m.reads_market());
    assert_eq!(m.features[N_FEATURES..], ["market_return", "market_volatility_20"]);
    (gru, scaler)
}

#[test]
fn serving_reads_the_windows_training_built() {
    let series = universe();
    let market = Market::equal_weighted(&series).unwrap();
    for alignment in [WindowAlignment::EndsAtT, WindowAlignment::EndsBeforeT] {
        let dir = tempfile::tempdir().unwrap();
        let (gru, scaler) = market_bundle(dir.path(), alignment);
        let spec = DatasetSpec { alignment, market: true, min_bars: 1, ..Default::default() };
        let ds = DirectionDataset::build(&series, &spec).unwrap();
        assert_eq!(ds.width(), W);
        let mut backends = vec![BackendKind::Tract];
        if common::models::ort_available() {
            backends.push(BackendKind::Ort);
        }
        let picked: Vec<_> = ds.samples.iter().step_by(173).take(24).copied().collect();
        assert!(picked.len() >= 10);
        for backend in backends {
            let model = Model::open(dir.path(), &OpenOptions { backend, ..Default::default() }).unwrap();
            for s in &picked {
                // Training's window (market columns from the dataset), scaled as the library scales.
                let mut x = vec![0f32; 30 * W];
                ds.window_f32(s, &mut x);
                assert_eq!(x[29 * W + N_FEATURES], ds.window_market(s)[29][0] as f32);
                for (k, v) in x.iter_mut().enumerate() {
                    *v = ((*v as f64 - scaler.mean[k % W]) / scaler.std[k % W]) as f32;
                }
                let want = gru.reference(&x, 30);
                // Serving: the stock's raw bars up to day t and the universe's market.
                let stock = &series.iter().find(|x| x.ticker == ds.symbols[s.symbol as usize].ticker).unwrap();
                let t = stock.dates.binary_search(&s.date).unwrap();
                let got = model.direction_with_market(&[BarsRef::from(*stock).prefix(t)], &market).unwrap();
                for c in 0..3 {
                    assert!((got[0][c] as f64 - want[c]).abs() < 1e-5, "{backend:?} {alignment:?} {}: {:?} vs {want:?}", s.date, got[0]);
                }
            }
        }
    }
}

/// The bars of `s` from day `k` on.
fn from_day(s: &BarSeries, k: usize) -> BarsRef<'_> {
    BarsRef {
        dates: Dates::Days(&s.dates[k..]),
        open: &s.open[k..],
        high: &s.high[k..],
        low: &s.low[k..],
        close: &s.close[k..],
        volume: &s.volume[k..],
    }
}

#[test]
fn calls_that_would_answer_wrongly_are_refused() {
    let series = universe();
    let market = Market::equal_weighted(&series).unwrap();
    let dir = tempfile::tempdir().unwrap();
    market_bundle(dir.path(), WindowAlignment::EndsAtT);
    let model = Model::open(dir.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();

    // Without the market.
    let e = model.direction(&series[..2]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains("market_return"), "{e}");
    // The C ABI's trendcast_direction makes this call: it returns this status and message.
    assert_eq!(trendcast::ffi::trendcast_status::from(&e), trendcast::ffi::trendcast_status::InvalidArgument);
    // A market that does not cover the stock's last days (built from bars that end earlier).
    let short: Vec<BarsRef> = series.iter().map(|s| BarsRef::from(s).prefix(s.len() - 4)).collect();
    let stale = Market::equal_weighted(&short).unwrap();
    let e = model.direction_with_market(&series[..1], &stale).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains("no row for"), "{e}");
    // A market too young to have its volatility on the stock's last day: built from bars that
    // start at day 40, so its first volatility is on day 60; the stock's own 56 bars are enough.
    let late: Vec<BarsRef> = series.iter().map(|s| from_day(s, 40)).collect();
    let young = Market::equal_weighted(&late).unwrap();
    assert_eq!(young.dates()[19], series[0].dates[60]);
    let e = model.direction_with_market(&[BarsRef::from(&series[0]).prefix(55)], &young).unwrap_err();
    assert!(matches!(e, Error::TooLittleHistory { .. }) && e.to_string().contains("market features of"), "{e}");

    // A plain model given a market.
    let plain = tempfile::tempdir().unwrap();
    common::models::direction_bundle(plain.path(), 8, 30);
    let plain = Model::open(plain.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    let e = plain.direction_with_market(&series[..1], &market).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains("no market features"), "{e}");
}
