//! One-line ranking signals: the yardsticks a ranking model must beat. Each gives one score per
//! stock for a decision day d from bars up to the close of d only (higher: buy first), NaN where
//! the stock has no score. Short-term reversal in its variants (plain, intraday, overnight, the
//! industry's part of it alone, the part within the industry, scaled by volatility, on high- or
//! low-volume days) and momentum.

use crate::bars::{Industries, Panel};
use crate::error::{Error, Result};

use super::{momentum_scores, reversal_scores};

/// Trading days of the volatility and volume windows (the stock's last 20 daily returns or volumes,
/// day d included).
pub const SIGNAL_WINDOW: usize = 20;

/// A one-line signal. `r` below is the stock's close-to-close return of day d (`close_d /
/// close_{d-1} - 1`, on consecutive trading days of the calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Signal {
    /// -r: yesterday's losers first.
    Reversal,
    /// -(close_d / open_d - 1): the day's session alone.
    IntradayReversal,
    /// -(open_d / close_{d-1} - 1): the night before the session alone.
    OvernightReversal,
    /// -(close_d / close_{d-5} - 1).
    Reversal5d,
    /// Minus the mean r of the stock's sub-industry (its members with a return that day, the stock
    /// included): the industry's part of reversal alone.
    SubIndustryReversal,
    /// Minus the mean r of the stock's sector.
    SectorReversal,
    /// -(r - the sub-industry's mean r): reversal within the industry.
    WithinIndustryReversal,
    /// -r / the standard deviation of the stock's last 20 returns.
    VolatilityScaledReversal,
    /// -r where the day's volume is above the mean of the stock's last 20 volumes (NaN below:
    /// a subset, not a full ranking).
    HighVolumeReversal,
    /// -r where the day's volume is at or below that mean (NaN above).
    LowVolumeReversal,
    /// close_d / close_{d-20} - 1.
    Momentum20d,
}

impl Signal {
    pub const ALL: [Signal; 11] = [
        Signal::Reversal,
        Signal::IntradayReversal,
        Signal::OvernightReversal,
        Signal::Reversal5d,
        Signal::SubIndustryReversal,
        Signal::SectorReversal,
        Signal::WithinIndustryReversal,
        Signal::VolatilityScaledReversal,
        Signal::HighVolumeReversal,
        Signal::LowVolumeReversal,
        Signal::Momentum20d,
    ];

    /// The name the command line takes (`backtest --baseline NAME`) and reports print.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Reversal => "reversal-1d",
            Signal::IntradayReversal => "intraday-reversal",
            Signal::OvernightReversal => "overnight-reversal",
            Signal::Reversal5d => "reversal-5d",
            Signal::SubIndustryReversal => "sub-industry-reversal",
            Signal::SectorReversal => "sector-reversal",
            Signal::WithinIndustryReversal => "within-industry-reversal",
            Signal::VolatilityScaledReversal => "volatility-scaled-reversal",
            Signal::HighVolumeReversal => "high-volume-reversal",
            Signal::LowVolumeReversal => "low-volume-reversal",
            Signal::Momentum20d => "momentum-20d",
        }
    }

    /// A signal by its name; `reversal` and `momentum` name the first and the last (the names the
    /// command line took before the variants).
    pub fn parse(name: &str) -> Result<Signal> {
        match name {
            "reversal" => Ok(Signal::Reversal),
            "momentum" => Ok(Signal::Momentum20d),
            _ => Signal::ALL.into_iter().find(|s| s.name() == name).ok_or_else(|| {
                let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
                Error::argument(format!("no signal named {name:?}: expected one of {}", names.join(", ")))
            }),
        }
    }

    /// Whether the signal scores every stock with enough history (false: a subset of them).
    pub fn is_full_ranking(self) -> bool {
        !matches!(self, Signal::HighVolumeReversal | Signal::LowVolumeReversal)
    }
}

impl TryFrom<String> for Signal {
    type Error = Error;

    fn try_from(name: String) -> Result<Signal> {
        Signal::parse(&name)
    }
}

impl From<Signal> for &'static str {
    fn from(s: Signal) -> &'static str {
        s.name()
    }
}

/// The signals of one panel: each stock's sector and sub-industry looked up once.
pub struct Signals<'a> {
    panel: &'a Panel,
    /// Per stock: (sector id, sub-industry id), None for a stock the industry table lacks (its
    /// industry signals are NaN).
    groups: Vec<Option<(usize, usize)>>,
    n_sectors: usize,
    n_sub_industries: usize,
}

impl<'a> Signals<'a> {
    pub fn new(panel: &'a Panel, industries: &Industries) -> Signals<'a> {
        Signals {
            panel,
            groups: panel.tickers.iter().map(|t| industries.of(t)).collect(),
            n_sectors: industries.sectors.len(),
            n_sub_industries: industries.sub_industries.len(),
        }
    }

    /// Every stock's score of `signal` on panel day `d`, from bars up to the close of d.
    pub fn scores(&self, signal: Signal, d: usize) -> Vec<f32> {
        let p = self.panel;
        let returns = || (0..p.n_tickers()).map(|k| close_return(p, k, d)).collect::<Vec<f64>>();
        let per_stock = |f: &dyn Fn(usize) -> f64| (0..p.n_tickers()).map(|k| f(k) as f32).collect::<Vec<f32>>();
        match signal {
            Signal::Reversal => reversal_scores(p, d),
            Signal::Momentum20d => momentum_scores(p, d, 20),
            Signal::Reversal5d => momentum_scores(p, d, 5).into_iter().map(|s| -s).collect(),
            Signal::IntradayReversal => per_stock(&|k| -(p.close_of(k)[d] / p.open_of(k)[d] - 1.0)),
            Signal::OvernightReversal => per_stock(&|k| if d >= 1 { -(p.open_of(k)[d] / p.close_of(k)[d - 1] - 1.0) } else { f64::NAN }),
            Signal::SubIndustryReversal | Signal::SectorReversal | Signal::WithinIndustryReversal => {
                let r = returns();
                let by_sector = signal == Signal::SectorReversal;
                let group = |k: usize| self.groups[k].map(|(sec, sub)| if by_sector { sec } else { sub });
                let means = group_means(&r, self.n_groups(by_sector), group);
                per_stock(&|k| match group(k) {
                    Some(g) if signal == Signal::WithinIndustryReversal => -(r[k] - means[g]),
                    Some(g) if r[k].is_finite() => -means[g],
                    _ => f64::NAN,
                })
            }
            Signal::VolatilityScaledReversal => per_stock(&|k| -close_return(p, k, d) / return_std(p, k, d)),
            Signal::HighVolumeReversal | Signal::LowVolumeReversal => {
                let high = signal == Signal::HighVolumeReversal;
                per_stock(&|k| match volume_above_mean(p, k, d) {
                    Some(above) if above == high => -close_return(p, k, d),
                    _ => f64::NAN,
                })
            }
        }
    }

    fn n_groups(&self, sectors: bool) -> usize {
        if sectors { self.n_sectors } else { self.n_sub_industries }
    }
}

/// close_d / close_{d-1} - 1 of stock k (NaN without both closes).
fn close_return(p: &Panel, k: usize, d: usize) -> f64 {
    let c = p.close_of(k);
    if d >= 1 { c[d] / c[d - 1] - 1.0 } else { f64::NAN }
}

/// The mean of `values` over each group's stocks where it is finite (NaN for a group without one).
fn group_means(values: &[f64], n_groups: usize, group: impl Fn(usize) -> Option<usize>) -> Vec<f64> {
    let mut sum = vec![0.0f64; n_groups];
    let mut count = vec![0usize; n_groups];
    for (k, &v) in values.iter().enumerate() {
        if let Some(g) = group(k).filter(|_| v.is_finite()) {
            sum[g] += v;
            count[g] += 1;
        }
    }
    sum.iter().zip(&count).map(|(s, &n)| if n > 0 { s / n as f64 } else { f64::NAN }).collect()
}

/// The sample standard deviation of stock k's last `SIGNAL_WINDOW` returns up to day d (NaN
/// unless every one of them is defined).
fn return_std(p: &Panel, k: usize, d: usize) -> f64 {
    if d < SIGNAL_WINDOW {
        return f64::NAN;
    }
    let r: Vec<f64> = (d + 1 - SIGNAL_WINDOW..=d).map(|t| close_return(p, k, t)).collect();
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Whether stock k's volume on day d is above the mean of its last `SIGNAL_WINDOW` volumes (day d
/// included); None unless all of them are there.
fn volume_above_mean(p: &Panel, k: usize, d: usize) -> Option<bool> {
    let nd = p.n_days();
    let v = &p.volume[k * nd..(k + 1) * nd];
    let window = v.get((d + 1).checked_sub(SIGNAL_WINDOW)?..=d)?;
    let mean = window.iter().sum::<f64>() / SIGNAL_WINDOW as f64;
    mean.is_finite().then_some(v[d] > mean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::IndustryRow;
    use crate::bars::synthetic::{SyntheticSpec, generate};

    fn market() -> (Panel, Industries) {
        let m = generate(&SyntheticSpec { days: 80, ..Default::default() });
        (Panel::from_series(&m.series), m.industries)
    }

    #[test]
    fn every_name_reads_back_and_the_old_names_still_work() {
        for s in Signal::ALL {
            assert_eq!(Signal::parse(s.name()).unwrap(), s);
        }
        assert_eq!(Signal::parse("reversal").unwrap(), Signal::Reversal);
        assert_eq!(Signal::parse("momentum").unwrap(), Signal::Momentum20d);
        let err = Signal::parse("reversl").unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument { what } if what.contains("within-industry-reversal")), "{err}");
    }

    /// Each signal against its formula written out for one stock, and the industry parts adding up:
    /// plain reversal = the industry's part + the part within it.
    #[test]
    fn signals_follow_their_formulas() {
        let (p, ind) = market();
        let s = Signals::new(&p, &ind);
        let d = 60;
        let k = 3;
        let (c, o) = (p.close_of(k), p.open_of(k));
        let r = |t: usize| c[t] / c[t - 1] - 1.0;
        let at = |sig| s.scores(sig, d)[k];
        assert_eq!(at(Signal::Reversal), -(r(d) as f32));
        assert_eq!(at(Signal::IntradayReversal), -((c[d] / o[d] - 1.0) as f32));
        assert_eq!(at(Signal::OvernightReversal), -((o[d] / c[d - 1] - 1.0) as f32));
        assert_eq!(at(Signal::Reversal5d), -((c[d] / c[d - 5] - 1.0) as f32));
        let rs: Vec<f64> = (d - 19..=d).map(r).collect();
        let mean = rs.iter().sum::<f64>() / 20.0;
        let std = (rs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 19.0).sqrt();
        assert_eq!(at(Signal::VolatilityScaledReversal), (-r(d) / std) as f32);
        let (_, sub) = ind.of(&p.tickers[k]).unwrap();
        let peers: Vec<f64> = (0..p.n_tickers())
            .filter(|&j| ind.of(&p.tickers[j]).unwrap().1 == sub)
            .map(|j| p.close_of(j)[d] / p.close_of(j)[d - 1] - 1.0)
            .collect();
        assert!(peers.len() > 1, "the synthetic market has sub-industries with several stocks");
        let sub_mean = peers.iter().sum::<f64>() / peers.len() as f64;
        assert_eq!(at(Signal::SubIndustryReversal), (-sub_mean) as f32);
        assert_eq!(at(Signal::WithinIndustryReversal), (-(r(d) - sub_mean)) as f32);
        let nd = p.n_days();
        let v = &p.volume[k * nd..(k + 1) * nd];
        let above = v[d] > v[d - 19..=d].iter().sum::<f64>() / 20.0;
        let (hi, lo) = (at(Signal::HighVolumeReversal), at(Signal::LowVolumeReversal));
        assert_eq!(if above { hi } else { lo }, -(r(d) as f32));
        assert!(if above { lo.is_nan() } else { hi.is_nan() }, "the two volume subsets do not overlap");
    }

    /// Perturbing bars after day d changes no signal of day d (no look-ahead).
    #[test]
    fn no_signal_reads_past_its_day() {
        let (p, ind) = market();
        let d = 50;
        let mut later = p.clone();
        let nd = p.n_days();
        for k in 0..p.n_tickers() {
            for t in d + 1..nd {
                let i = k * nd + t;
                later.open[i] *= 1.5;
                later.close[i] *= 0.5;
                later.volume[i] *= 9.0;
            }
        }
        let (a, b) = (Signals::new(&p, &ind), Signals::new(&later, &ind));
        for sig in Signal::ALL {
            let (x, y) = (a.scores(sig, d), b.scores(sig, d));
            assert!(x.iter().zip(&y).all(|(u, v)| u.to_bits() == v.to_bits()), "{}", sig.name());
            assert!(x.iter().any(|v| v.is_finite()), "{} scores someone on day {d}", sig.name());
        }
    }

    /// A stock missing from the industry table has no industry signal, and a stock without the
    /// previous close has no return-based score; too short a history gives NaN, not a panic.
    #[test]
    fn missing_inputs_give_nan() {
        let (p, ind) = market();
        let rows: Vec<IndustryRow> = ind.rows().into_iter().filter(|r| r.ticker != p.tickers[0]).collect();
        let partial = Industries::new(rows).unwrap();
        let s = Signals::new(&p, &partial);
        assert!(s.scores(Signal::SubIndustryReversal, 30)[0].is_nan());
        assert!(s.scores(Signal::WithinIndustryReversal, 30)[0].is_nan());
        assert!(s.scores(Signal::SubIndustryReversal, 30)[1].is_finite());
        // The day's session needs no earlier bar; every other signal does.
        assert!(s.scores(Signal::IntradayReversal, 0).iter().all(|v| v.is_finite()));
        for sig in Signal::ALL.into_iter().filter(|&s| s != Signal::IntradayReversal) {
            assert!(s.scores(sig, 0).iter().all(|v| v.is_nan()), "{} on the first day", sig.name());
        }
        assert!(s.scores(Signal::VolatilityScaledReversal, SIGNAL_WINDOW - 1).iter().all(|v| v.is_nan()));
        assert!(s.scores(Signal::VolatilityScaledReversal, SIGNAL_WINDOW).iter().any(|v| v.is_finite()));
    }
}
