//! A synthetic market: sectors, sub-industries and stocks whose daily bars share market, sector and
//! sub-industry factors. It serves the tests that must not depend on the shared data, the benches,
//! and the demo on a machine without the data. Deterministic for a given seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::{Bar, BarSeries, Industries, IndustryRow, Universe};
use crate::date::Date;

/// Shape of the synthetic market.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    pub sectors: usize,
    pub sub_industries_per_sector: usize,
    pub stocks_per_sub_industry: usize,
    pub days: usize,
    pub first_day: Date,
    pub seed: u64,
    /// Every `late_listing_every`-th stock starts trading a fifth of the way in (0: none), so that
    /// panels have missing cells as real ones do.
    pub late_listing_every: usize,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            sectors: 4,
            sub_industries_per_sector: 3,
            stocks_per_sub_industry: 4,
            days: 300,
            first_day: Date::from_ymd(2020, 1, 2).expect("valid date"),
            seed: 7,
            late_listing_every: 0,
        }
    }
}

/// Weekdays from `first`, `n` of them (holidays are not modelled).
pub fn business_days(first: Date, n: usize) -> Vec<Date> {
    let mut out = Vec::with_capacity(n);
    let mut day = first.days_since_epoch();
    while out.len() < n {
        // 1970-01-01 was a Thursday: (days + 3) % 7 gives 0 = Monday .. 6 = Sunday.
        if (day + 3).rem_euclid(7) < 5 {
            out.push(Date::from_days_since_epoch(day));
        }
        day += 1;
    }
    out
}

/// Generates the market. Tickers are `S{sector}U{sub}N{stock}`.
pub fn generate(spec: &SyntheticSpec) -> Universe {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let z = Normal::new(0.0, 1.0).expect("valid normal");
    let dates = business_days(spec.first_day, spec.days);
    let n_subs = spec.sectors * spec.sub_industries_per_sector;
    let n_stocks = n_subs * spec.stocks_per_sub_industry;

    // Daily factor returns, shared within each group: market, sector, sub-industry.
    let market: Vec<f64> = (0..spec.days).map(|_| 0.0003 + 0.009 * z.sample(&mut rng)).collect();
    let sector: Vec<Vec<f64>> = (0..spec.sectors).map(|_| (0..spec.days).map(|_| 0.006 * z.sample(&mut rng)).collect()).collect();
    let sub: Vec<Vec<f64>> = (0..n_subs).map(|_| (0..spec.days).map(|_| 0.005 * z.sample(&mut rng)).collect()).collect();

    let mut rows = Vec::with_capacity(n_stocks);
    let mut series = Vec::with_capacity(n_stocks);
    for k in 0..n_stocks {
        let (sec, su) = (k / (spec.sub_industries_per_sector * spec.stocks_per_sub_industry), k / spec.stocks_per_sub_industry);
        let ticker = format!("S{sec}U{}N{}", su % spec.sub_industries_per_sector, k % spec.stocks_per_sub_industry);
        rows.push(IndustryRow { ticker: ticker.clone(), sector: format!("Sector {sec}"), sub_industry: format!("Sub-industry {su}") });
        let beta = 0.7 + 0.6 * rng.random::<f64>();
        let idio = 0.008 + 0.012 * rng.random::<f64>();
        let base_volume = 1e5 + 5e6 * rng.random::<f64>();
        let start =
            if spec.late_listing_every > 0 && k % spec.late_listing_every == spec.late_listing_every - 1 { spec.days / 5 } else { 0 };
        let mut s = BarSeries::empty(ticker);
        let mut prev_close = 20.0 + 180.0 * rng.random::<f64>();
        for d in start..spec.days {
            let r = beta * market[d] + sector[sec][d] + sub[su][d] + idio * z.sample(&mut rng);
            // Part of each day's move happens overnight (the gap that the ranking relations use).
            let overnight = 0.3 * r + 0.002 * z.sample(&mut rng);
            let open = prev_close * overnight.exp();
            let close = prev_close * r.exp();
            let wick = |rng: &mut ChaCha8Rng| (0.004 * z.sample(rng)).abs();
            let high = open.max(close) * wick(&mut rng).exp();
            let low = open.min(close) * (-wick(&mut rng)).exp();
            let volume = (base_volume * (0.5 * z.sample(&mut rng)).exp()).round();
            s.push_unchecked(Bar { date: dates[d], open, high, low, close, volume });
            prev_close = close;
        }
        series.push(s);
    }
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Universe { series, industries: Industries::new(rows).expect("generated rows are consistent"), load_notes: Vec::new() }
}

/// Writes a universe in the shared data set's layout (`bars_synthetic.csv` + `industries.csv`),
/// so that every command and loader can run on generated data.
pub fn write_dataset_dir(u: &Universe, dir: &std::path::Path) -> crate::error::Result<()> {
    use crate::error::Error;
    let io = |p: std::path::PathBuf| move |e: csv::Error| Error::Write { path: p, source: std::io::Error::other(e) };
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let bars = dir.join("bars_synthetic.csv");
    let mut w = csv::Writer::from_path(&bars).map_err(io(bars.clone()))?;
    w.write_record(["date", "ticker", "open", "high", "low", "close", "adj_close", "volume"]).map_err(io(bars.clone()))?;
    for s in &u.series {
        for i in 0..s.len() {
            let b = s.bar(i);
            let f = |v: f64| format!("{v:?}");
            w.write_record([b.date.to_string(), s.ticker.clone(), f(b.open), f(b.high), f(b.low), f(b.close), String::new(), f(b.volume)])
                .map_err(io(bars.clone()))?;
        }
    }
    w.flush().map_err(|source| Error::Write { path: bars.clone(), source })?;
    let ind = dir.join("industries.csv");
    let mut w = csv::Writer::from_path(&ind).map_err(io(ind.clone()))?;
    for row in u.industries.rows() {
        w.serialize(row).map_err(io(ind.clone()))?;
    }
    w.flush().map_err(|source| Error::Write { path: ind, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_valid_deterministic_bars() {
        let spec = SyntheticSpec { late_listing_every: 5, ..Default::default() };
        let u = generate(&spec);
        assert_eq!(u.series.len(), 48);
        for s in &u.series {
            s.validate().unwrap();
            assert!(u.industries.of(&s.ticker).is_some());
        }
        assert!(u.series.iter().any(|s| s.len() < spec.days));
        assert_eq!(generate(&spec).series[3].close, u.series[3].close);
        let days = business_days(Date::parse("2024-11-22").unwrap(), 3);
        assert_eq!(days.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["2024-11-22", "2024-11-25", "2024-11-26"]);
        let dir = tempfile::tempdir().unwrap();
        write_dataset_dir(&u, dir.path()).unwrap();
        let back = crate::bars::load_dataset_dir(dir.path(), &Default::default()).unwrap();
        assert_eq!(back.series, u.series, "written and read back bit for bit");
        assert_eq!(back.industries, u.industries);
    }
}
