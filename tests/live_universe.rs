//! The live universe answers as the stateless calls do on the same history. Both hand their inputs
//! to one answering engine (`trendcast::answer`: which stocks are answered, the window cut, the
//! runs, the output), so what is compared here is what still differs, the inputs: incremental
//! (features bar by bar, the Gram matrix slid a day at a time, each day encoded once when pushed)
//! against batch (from the history, on every call), and a saved and restored state. Four months of
//! real days (September to December 2024 of the shared S&P 500 data: more than the 61-day
//! short-term lookback, so every day of the first window has left it) are pushed one at a time
//! after a bootstrap from 2010 on; every day's ranking (shipped `models/lsr-igru`) and direction
//! (shipped `models/direction-gru`, the default) is compared with `Model::rank` and
//! `Model::direction`, on both backends. A state saved after 40 days and restored answers bit for
//! bit as the universe that saved it. Bad pushes are refused by name and change nothing; a state
//! file for other models or of another format is refused.

mod common;

use std::sync::Arc;

use common::native::root;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::bars::{BarSeries, LoadOptions, Panel, load_dataset_dir};
use trendcast::error::Error;
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Date, DayBar, LiveUniverse, Model, OpenOptions};

fn open(name: &str, backend: BackendKind) -> Arc<Model> {
    Arc::new(Model::open(root().join("models").join(name), &OpenOptions { backend, ..Default::default() }).unwrap())
}

fn backends() -> Vec<BackendKind> {
    let mut b = vec![BackendKind::Tract];
    if common::models::ort_available() {
        b.push(BackendKind::Ort);
    }
    b
}

fn day_bars(panel: &Panel, d: usize) -> Vec<DayBar> {
    (0..panel.n_tickers()).filter_map(|k| panel.bar(k, d).map(|bar| DayBar { stock: k, bar })).collect()
}

#[test]
fn months_of_pushed_days_answer_as_the_stateless_calls_on_both_backends() {
    let Some(data) = common::shared_data() else { return };
    let u = load_dataset_dir(&data, &LoadOptions::default()).unwrap();
    let start = Date::parse("2024-09-01").unwrap();
    let history: Vec<BarSeries> = u.series.iter().map(|s| s.before(start)).collect();
    let panel = Panel::from_series(&u.series);
    let first = panel.calendar.partition_point(|&d| d < start);
    let tmp = tempfile::tempdir().unwrap();
    for backend in backends() {
        let (dm, rm) = (open("direction-gru", backend), open("lsr-igru", backend));
        let mut live = LiveUniverse::from_history(vec![dm.clone(), rm.clone()], u.industries.clone(), &history).unwrap();
        let mut restored: Option<LiveUniverse> = None;
        let (mut worst_rank, mut worst_direction, mut answered) = (0f64, 0f64, 0usize);
        for d in first..panel.n_days() {
            let date = panel.calendar[d];
            let bars = day_bars(&panel, d);
            live.push_day(date, &bars).unwrap();

            let want = rm.rank(&panel, &u.industries, date).unwrap();
            let got = live.rank().unwrap();
            assert_eq!(got.date, date);
            for (k, (g, w)) in got.scores.iter().zip(&want.scores).enumerate() {
                assert_eq!(g.is_nan(), w.is_nan(), "{backend:?} {date} {}: scored {g} vs {w}", u.series[k].ticker);
                if w.is_finite() {
                    worst_rank = worst_rank.max((g - w).abs() as f64);
                }
            }
            assert_eq!(got.order, want.order, "{backend:?} {date}: the order differs");

            // Direction: each stock that traded, from its bars up to the day.
            let probs = live.direction().unwrap();
            let traded: Vec<usize> = bars.iter().map(|b| b.stock).collect();
            let refs: Vec<BarsRef> = traded
                .iter()
                .map(|&k| {
                    let s = &u.series[k];
                    BarsRef::from(s).prefix(s.dates.binary_search(&date).unwrap())
                })
                .collect();
            let (ok, refused): (Vec<usize>, Vec<usize>) = (0..traded.len()).partition(|&i| probs[traded[i]][0].is_finite());
            let batch: Vec<BarsRef> = ok.iter().map(|&i| refs[i]).collect();
            let want = dm.direction(&batch).unwrap();
            for (&i, w) in ok.iter().zip(&want) {
                for c in 0..3 {
                    worst_direction = worst_direction.max((probs[traded[i]][c] - w[c]).abs() as f64);
                }
            }
            answered += ok.len();
            for &i in &refused {
                assert!(dm.direction(&refs[i..i + 1]).is_err(), "{date} {}: the stateless call answers", u.series[traded[i]].ticker);
            }
            for (k, p) in probs.iter().enumerate() {
                if !traded.contains(&k) {
                    assert!(p[0].is_nan(), "{date} {}: no bar that day, yet a direction", u.series[k].ticker);
                }
            }

            // After 40 days: save, restore, and from then on the restored universe answers bit for bit.
            if d == first + 40 {
                let path = tmp.path().join(format!("{backend:?}.state"));
                live.save(&path).unwrap();
                restored = Some(LiveUniverse::restore(vec![dm.clone(), rm.clone()], u.industries.clone(), &path).unwrap());
            } else if let Some(r) = restored.as_mut() {
                r.push_day(date, &bars).unwrap();
                let (a, b) = (r.rank().unwrap(), live.rank().unwrap());
                assert!(a.scores.iter().zip(&b.scores).all(|(x, y)| x.to_bits() == y.to_bits()), "{date}: restored ranking differs");
                let (a, b) = (r.direction().unwrap(), live.direction().unwrap());
                assert!(
                    a.as_flattened().iter().zip(b.as_flattened()).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{date}: restored direction differs"
                );
            }
        }
        eprintln!(
            "{backend:?}: {} days, largest differences: ranking {worst_rank:e}, direction {worst_direction:e} ({answered} answers)",
            panel.n_days() - first
        );
        assert!(worst_rank <= 1e-5 && worst_direction <= 1e-5, "{backend:?}: {worst_rank:e} / {worst_direction:e}");
        assert!(panel.n_days() - first > 61 && answered > 400 * (panel.n_days() - first), "too few days or answers: {answered}");
        assert!(restored.is_some());
    }
}

/// A universe of the synthetic market on tract: the seeded ranking probe and a small GRU.
fn synthetic_universe(days: usize) -> (trendcast::bars::Universe, Vec<Arc<Model>>, tempfile::TempDir) {
    use trendcast::relations::RelationSpec;
    use trendcast_export::export::{DirectionExport, write_ranking_probe};
    use trendcast_export::onnx::RankingProbe;
    let u = generate(&SyntheticSpec { days, late_listing_every: 5, ..Default::default() });
    let tmp = tempfile::tempdir().unwrap();
    let (dir, rank) = (tmp.path().join("direction"), tmp.path().join("ranking"));
    common::models::direction_bundle(&dir, 8, 30);
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, -0.4], bias: 0.1 };
    let spec = RelationSpec { short_lookback: 20, ..Default::default() };
    write_ranking_probe(&rank, &probe, &DirectionExport::new("probe", 5), spec).unwrap();
    let tract = OpenOptions { backend: BackendKind::Tract, ..Default::default() };
    let models = vec![Arc::new(Model::open(&dir, &tract).unwrap()), Arc::new(Model::open(&rank, &tract).unwrap())];
    (u, models, tmp)
}

/// Stocks that list late get their first answers once they have the history, as the stateless
/// calls do; a stock that stops trading (delisted) has none from then on.
#[test]
fn listings_and_delistings_follow_the_stateless_calls() {
    let (mut u, models, _tmp) = synthetic_universe(160);
    // Stock 3 stops trading after day 100.
    let cut = u.series[3].dates[100];
    u.series[3] = u.series[3].before(cut);
    let panel = Panel::from_series(&u.series);
    let tickers: Vec<String> = u.series.iter().map(|s| s.ticker.clone()).collect();
    let mut live = LiveUniverse::new(models.clone(), u.industries.clone(), tickers).unwrap();
    let mut answers = 0;
    for d in 0..panel.n_days() {
        let date = panel.calendar[d];
        live.push_day(date, &day_bars(&panel, d)).unwrap();
        match models[1].rank(&panel, &u.industries, date) {
            Ok(want) => {
                let got = live.rank().unwrap();
                answers += 1;
                for (g, w) in got.scores.iter().zip(&want.scores) {
                    assert_eq!(g.is_nan(), w.is_nan(), "{date}");
                    if w.is_finite() {
                        assert!((g - w).abs() <= 1e-5, "{date} (day {d}, answer {answers}): {g} vs {w}");
                    }
                }
                assert_eq!(got.order, want.order);
                if date >= cut {
                    assert!(got.scores[3].is_nan(), "a delisted stock has no score");
                }
            }
            Err(e) => {
                assert!(matches!(e, Error::TooLittleHistory { .. }));
                let live_err = live.rank().unwrap_err();
                assert!(matches!(live_err, Error::TooLittleHistory { .. }), "{date}: {live_err}");
            }
        }
    }
    assert!(answers > 100, "{answers} days answered");
}

#[test]
fn bad_pushes_are_refused_by_name_and_change_nothing() {
    let (mut u, models, tmp) = synthetic_universe(120);
    // Stock 3 stops trading after day 90: on day 100 it has no bar.
    let cut = u.series[3].dates[90];
    u.series[3] = u.series[3].before(cut);
    let panel = Panel::from_series(&u.series);
    let history: Vec<BarSeries> = u.series.iter().map(|s| s.before(panel.calendar[100])).collect();
    let mut live = LiveUniverse::from_history(models.clone(), u.industries.clone(), &history).unwrap();
    let snapshot = |live: &LiveUniverse, name: &str| {
        let p = tmp.path().join(name);
        live.save(&p).unwrap();
        std::fs::read(p).unwrap()
    };
    let before_bytes = snapshot(&live, "before");
    let last = panel.calendar[99];
    let date = panel.calendar[100];
    let good = day_bars(&panel, 100);
    let check = |live: &mut LiveUniverse, date: Date, bars: &[DayBar], says: &str, kind: fn(&Error) -> bool| {
        let e = live.push_day(date, bars).unwrap_err();
        assert!(kind(&e) && e.to_string().contains(says), "expected {says:?}, got {e}");
    };
    check(&mut live, last, &good, "a pushed day must come after it", |e| matches!(e, Error::Unsorted { .. }));
    check(&mut live, date, &[], "not a trading day", |e| matches!(e, Error::InvalidArgument { .. }));
    let mut bars = good.clone();
    bars[0].stock = 10_000;
    check(&mut live, date, &bars, "stock id 10000", |e| matches!(e, Error::InvalidArgument { .. }));
    let mut bars = good.clone();
    bars.push(bars[2]);
    check(&mut live, date, &bars, "given twice", |e| matches!(e, Error::InvalidArgument { .. }));
    let mut bars = good.clone();
    bars[1].bar.date = panel.calendar[101];
    check(&mut live, date, &bars, "a bar of another day", |e| matches!(e, Error::InvalidArgument { .. }));
    let mut bars = good.clone();
    let last_one = bars.len() - 1;
    bars[last_one].bar.close = f64::NAN;
    let ticker = &u.series[bars[last_one].stock].ticker;
    check(&mut live, date, &bars, ticker, |e| matches!(e, Error::InvalidBar { .. }));
    bars[last_one].bar.close = 10.0;
    bars[last_one].bar.high = 1.0;
    check(&mut live, date, &bars, "high 1 is below low", |e| matches!(e, Error::InvalidBar { .. }));
    assert_eq!(snapshot(&live, "after"), before_bytes, "a refused push changed the universe");
    assert_eq!(live.last_date(), Some(last));
    live.push_day(date, &good).unwrap();
    assert_eq!(live.last_date(), Some(date));

    // Direction for a subset: a stock without a bar that day is named.
    assert!(!good.iter().any(|b| b.stock == 3), "the delisted stock has no bar on day 100");
    let mut out = [0f32; 3];
    let e = live.direction_into(0, Some(&[3]), &mut out).unwrap_err();
    assert!(e.to_string().contains("no bar that day"), "{e}");
    assert_eq!(out, [0.0; 3], "a refused call writes nothing");
    live.direction_into(0, Some(&[4]), &mut out).unwrap();
    let e = live.direction_into(1, None, &mut vec![0f32; 3 * u.series.len()]).unwrap_err();
    assert!(matches!(e, Error::WrongKind { .. }), "{e}");
}

#[test]
fn state_files_of_other_models_or_formats_are_refused() {
    let (u, models, tmp) = synthetic_universe(90);
    let live = LiveUniverse::from_history(models.clone(), u.industries.clone(), &u.series).unwrap();
    let path = tmp.path().join("state");
    live.save(&path).unwrap();
    let back = LiveUniverse::restore(models.clone(), u.industries.clone(), &path).unwrap();
    assert_eq!(back.last_date(), live.last_date());

    // Another model: the direction model alone, or another ranking model.
    let e = LiveUniverse::restore(models[..1].to_vec(), u.industries.clone(), &path).err().unwrap();
    assert!(matches!(e, Error::Contract { .. }) && e.to_string().contains("saved for the models"), "{e}");
    // A newer format, and the older ones (format 2 had no checksum, format 1 kept each day's
    // encodings twice).
    for format in [4u8, 2, 1] {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[16] = format;
        let other = tmp.path().join("other");
        std::fs::write(&other, &bytes).unwrap();
        let e = LiveUniverse::restore(models.clone(), u.industries.clone(), &other).err().unwrap();
        assert!(e.to_string().contains(&format!("state format {format}, this library reads format 3")), "{e}");
        assert_eq!(e.to_string().contains("written by an earlier release"), format < 3, "{e}");
    }
    // Not a state, and a truncated one.
    let junk = tmp.path().join("junk");
    std::fs::write(&junk, b"ticker,date\n").unwrap();
    let e = LiveUniverse::restore(models.clone(), u.industries.clone(), &junk).err().unwrap();
    assert!(matches!(e, Error::Parse { .. }) && e.to_string().contains("not a trendcast live-universe state file"), "{e}");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&junk, &bytes[..bytes.len() / 2]).unwrap();
    let e = LiveUniverse::restore(models.clone(), u.industries.clone(), &junk).err().unwrap();
    assert!(matches!(e, Error::Parse { .. }), "{e}");
}

/// A saved state with bytes overwritten anywhere (magic, format, checksum, payload; one byte, a
/// run of zeros, or a single bit) is refused by name, never restored into a universe that answers
/// NaN or other values.
#[test]
fn corrupted_state_files_are_refused() {
    let (u, models, tmp) = synthetic_universe(90);
    let live = LiveUniverse::from_history(models.clone(), u.industries.clone(), &u.series).unwrap();
    let path = tmp.path().join("state");
    live.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let bad = tmp.path().join("bad");
    let mut positions: Vec<usize> = (0..64).collect();
    positions.extend((0..200).map(|i| 64 + i * (bytes.len() - 65) / 199));
    let mut restored = Vec::new();
    for (i, &at) in positions.iter().enumerate() {
        let mut b = bytes.clone();
        match i % 3 {
            0 => b[at] ^= 0xff,
            1 => b[at..(at + 8).min(bytes.len())].fill(0),
            _ => b[at] ^= 1 << (i % 8),
        }
        if b == bytes {
            continue;
        }
        std::fs::write(&bad, &b).unwrap();
        match LiveUniverse::restore(models.clone(), u.industries.clone(), &bad) {
            Ok(_) => restored.push(at),
            Err(e) => {
                let named = ["not a trendcast live-universe state file", "state format", "does not match the sha256"];
                assert!(named.iter().any(|n| e.to_string().contains(n)), "byte {at}: {e}");
            }
        }
    }
    assert!(restored.is_empty(), "corruptions at bytes {restored:?} of {} restored", bytes.len());
    let e = LiveUniverse::restore(models.clone(), u.industries.clone(), &bad).err().unwrap();
    assert!(matches!(e, Error::Parse { .. }), "{e}");
}
