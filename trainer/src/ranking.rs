//! Training LSR-IGRU (shared/specs/lsr-igru.md): one sample per trading day holding every node of
//! the panel; inputs built per step by the core's `relations::ranking_inputs` (the serving code);
//! label the core's per-day percentile rank; loss the MSE over the stocks that trade that day and
//! have a label; Adam; the epoch picked on the validation year with the core's backtest; export
//! through the core's writer with a tch / tract / ONNX Runtime parity gate.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};
use trendcast::backtest::{BacktestResult, BacktestSpec};
use trendcast::bars::{Industries, Panel, Universe};
use trendcast::labels::rank_labels;
use trendcast::model::export::{RankingExport, write_ranking};
use trendcast::model::manifest::DateRange;
use trendcast::predict::stock_scores;
use trendcast::relations::{N_NODE_FEATURES, NodeSet, ranking_inputs};

use crate::config::{RankLoss, RankingConfig, Selection};
use crate::lsr_igru::Net;
use crate::parity;

/// The panel of every ticker, its industries and the rank labels (ticker-major like the panel).
pub struct Data {
    pub panel: Panel,
    pub industries: Industries,
    pub labels: Vec<f64>,
}

impl Data {
    pub fn new(universe: &Universe, cfg: &RankingConfig) -> Data {
        let panel = Panel::from_series(&universe.series);
        let labels = rank_labels(&panel, cfg.target);
        Data { panel, industries: universe.industries.clone(), labels }
    }

    /// Decision days in `range` that have a full input window and two trading days after them
    /// (the backtest trades at the next two opens).
    pub fn days(&self, range: &DateRange, cfg: &RankingConfig) -> Vec<usize> {
        let first = cfg.relations.first_day(cfg.window);
        let cal = &self.panel.calendar;
        (first..cal.len().saturating_sub(2)).filter(|&d| cal[d] >= range.from && cal[d] <= range.to).collect()
    }

    /// The three inputs of day `d` as tensors with a batch dimension of 1, and the seconds it took.
    fn inputs(&self, d: usize, cfg: &RankingConfig, device: Device) -> Result<(Tensor, Tensor, Tensor, usize)> {
        let inp = ranking_inputs(&self.panel, &self.industries, d, cfg.window, &cfg.relations)?;
        let (t, n) = (cfg.window as i64, inp.n_nodes as i64);
        let x = Tensor::from_slice(&inp.nodes).view([1, t, n, N_NODE_FEATURES as i64]).to_device(device);
        let long = Tensor::from_slice(&inp.long_rel).view([n, n]).to_device(device);
        let short = Tensor::from_slice(&inp.short_rel).view([1, t, n, n]).to_device(device);
        Ok((x, long, short, inp.n_nodes))
    }

    /// The stocks trading on day `d` with a label, and their labels.
    fn targets(&self, d: usize) -> (Vec<i64>, Vec<f32>) {
        let nd = self.panel.n_days();
        (0..self.panel.n_tickers())
            .filter(|&k| self.panel.present[k * nd + d] && self.labels[k * nd + d].is_finite())
            .map(|k| (k as i64, self.labels[k * nd + d] as f32))
            .unzip()
    }
}

/// The net's scores of day `d`, one per panel stock (NaN for a stock without a bar that day).
pub fn day_scores(net: &Net, data: &Data, d: usize, cfg: &RankingConfig, device: Device) -> Result<Vec<f32>> {
    let _guard = tch::no_grad_guard();
    let (x, long, short, _) = data.inputs(d, cfg, device)?;
    let nodes = Vec::<f32>::try_from(net.forward(&x, &long, &short).to_device(Device::Cpu).flatten(0, -1))?;
    Ok(stock_scores(&data.panel, d, &nodes))
}

/// One day's loss of `pred` against the rank labels `y` (same length, at least one stock).
fn day_loss(pred: &Tensor, y: &Tensor, loss: RankLoss) -> Tensor {
    match loss {
        RankLoss::Mse => (pred - y).square().mean(Kind::Float),
        RankLoss::Ic => {
            let (p, t) = (pred - pred.mean(Kind::Float), y - y.mean(Kind::Float));
            let denom = ((&p * &p).sum(Kind::Float) * (&t * &t).sum(Kind::Float) + 1e-12).sqrt();
            -(p * t).sum(Kind::Float) / denom
        }
    }
}

/// The top-k backtest of the net's scores over the decision days of `range`, once per cost in
/// `cost_bps` (basis points per side; 0 is the paper's): ARR and the other portfolio metrics, IC and
/// rank IC. The scores are computed once. Empty when `range` has no decision day.
pub fn evaluate(
    net: &Net,
    data: &Data,
    range: &DateRange,
    cfg: &RankingConfig,
    device: Device,
    cost_bps: &[f64],
) -> Result<Vec<BacktestResult>> {
    let days = data.days(range, cfg);
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Ok(Vec::new());
    };
    let scores = days.iter().map(|&d| day_scores(net, data, d, cfg, device)).collect::<Result<Vec<_>>>()?;
    let mut results = Vec::with_capacity(cost_bps.len());
    for &cost_bps in cost_bps {
        let spec = BacktestSpec { top_k: cfg.top_k, cost_bps };
        results.push(trendcast::backtest::run(&data.panel, first, last, spec, |d| Ok(scores[d - first].clone()))?);
    }
    Ok(results)
}

fn selection_value(r: &BacktestResult, select: Selection) -> f64 {
    let v = match select {
        Selection::RankIc => r.metrics.rank_ic,
        Selection::Arr => r.metrics.arr,
    };
    if v.is_finite() { v } else { f64::NEG_INFINITY }
}

/// The cost per side at which the test years are also reported (the issue's "with and without a
/// 5 bps cost").
pub const REPORTED_COST_BPS: f64 = 5.0;

/// What a training run produced.
pub struct Trained {
    pub net: Net,
    pub summary: serde_json::Value,
}

/// Trains as `cfg` says, keeping the epoch with the best validation metric (`cfg.select`).
pub fn train(cfg: &RankingConfig, data: &Data, device: Device) -> Result<Trained> {
    tch::manual_seed(cfg.seed as i64);
    tch::set_num_threads(cfg.threads as i32);
    // A training day's label must not read prices of the validation period.
    let last_label_day = data.panel.calendar.partition_point(|&d| d <= cfg.train.to).saturating_sub(1);
    let train_days: Vec<usize> = data.days(&cfg.train, cfg).into_iter().filter(|&d| d + cfg.target.horizon() <= last_label_day).collect();
    if train_days.is_empty() || data.days(&cfg.validation, cfg).is_empty() {
        bail!("no training or validation days in {:?} / {:?}", cfg.train, cfg.validation);
    }
    let net = Net::new(cfg.model.clone(), device)?;
    let mut opt = nn::Adam::default().build(&net.vs, cfg.lr)?;
    let n_params = net.export()?.n_params();
    eprintln!(
        "lsr-igru {:?} encoder {:?} gru {:?} (I {} II {} III {}): {n_params} parameters, {} training days, {} nodes",
        cfg.model.encoder,
        cfg.model.encoder_sizes,
        cfg.model.gru_sizes,
        cfg.model.use_nodes,
        cfg.model.use_long,
        cfg.model.use_short,
        train_days.len(),
        NodeSet::new(&data.panel.tickers, &data.industries)?.n_nodes(),
    );

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut best: Option<BestEpoch> = None;
    let mut history = Vec::new();
    for epoch in 1..=cfg.epochs {
        let mut order = train_days.clone();
        order.shuffle(&mut rng);
        if cfg.max_train_days > 0 {
            order.truncate(cfg.max_train_days);
        }
        let bar = ProgressBar::new(order.len() as u64).with_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} days {per_sec} eta {eta} {msg}").expect("valid template"),
        );
        bar.set_prefix(format!("{epoch}/{}", cfg.epochs));
        let started = Instant::now();
        let (mut loss_sum, mut spread_sum, mut input_seconds, mut steps) = (0f64, 0f64, 0f64, 0usize);
        for batch in order.chunks(cfg.batch_days.max(1)) {
            opt.zero_grad();
            for &d in batch {
                let t0 = Instant::now();
                let (x, long, short, _) = data.inputs(d, cfg, device)?;
                let (idx, y) = data.targets(d);
                input_seconds += t0.elapsed().as_secs_f64();
                if idx.is_empty() {
                    continue;
                }
                let pred = net.forward(&x, &long, &short).get(0).index_select(0, &Tensor::from_slice(&idx).to_device(device));
                spread_sum += pred.std(false).double_value(&[]);
                let loss = day_loss(&pred, &Tensor::from_slice(&y).to_device(device), cfg.loss);
                // Per-day losses averaged over the batch: accumulate their gradients.
                (&loss / batch.len() as f64).backward();
                loss_sum += loss.double_value(&[]);
                bar.inc(1);
            }
            opt.step();
            steps += 1;
            bar.set_message(format!("loss {:.5}", loss_sum / bar.position().max(1) as f64));
        }
        let seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let t0 = Instant::now();
        let v = evaluate(&net, data, &cfg.validation, cfg, device, &[0.0])?.remove(0);
        let eval_seconds = t0.elapsed().as_secs_f64();
        let m = &v.metrics;
        eprintln!(
            "epoch {epoch}/{}: loss {:.5}, score spread {:.2e}, {} steps, {seconds:.0} s ({:.2} s/day, inputs {:.3} s/day); validation rank IC {:.4}, IC {:.4}, ARR {:.3}, IR {:.2} ({eval_seconds:.0} s)",
            cfg.epochs,
            loss_sum / order.len() as f64,
            spread_sum / order.len() as f64,
            steps,
            seconds / order.len() as f64,
            input_seconds / order.len() as f64,
            m.rank_ic,
            m.ic,
            m.arr,
            m.ir
        );
        history.push(json!({
            "epoch": epoch, "train_loss": loss_sum / order.len() as f64, "days": order.len(), "adam_steps": steps,
            // Mean over training days of the scores' cross-sectional std: near 0 means the net
            // predicts one value for every stock.
            "train_score_spread": spread_sum / order.len() as f64,
            "seconds": seconds, "input_seconds": input_seconds, "validation_seconds": eval_seconds, "validation": m,
        }));
        let value = selection_value(&v, cfg.select);
        if best.as_ref().is_none_or(|b| value > b.value) {
            best = Some(BestEpoch { epoch, value, validation: v, weights: net.snapshot() });
        }
    }
    let BestEpoch { epoch: best_epoch, validation: v, weights, .. } = best.expect("at least one epoch");
    // Its validation result is kept from its epoch: evaluating the restored weights again gives
    // the same figures.
    net.restore(&weights);
    let mut tests = Vec::new();
    for range in &cfg.test {
        if let [free, costly] = evaluate(&net, data, range, cfg, device, &[0.0, REPORTED_COST_BPS])?.as_slice() {
            tests.push(json!({
                "from": range.from, "to": range.to, "metrics": free.metrics,
                "cost_bps": REPORTED_COST_BPS, "metrics_after_cost": costly.metrics,
            }));
        }
    }
    let cal = &data.panel.calendar;
    let train_range = DateRange { from: cal[train_days[0]], to: cal[*train_days.last().expect("non-empty")] };
    let summary = json!({
        "config": cfg, "device": format!("{device:?}"), "parameters": n_params, "best_epoch": best_epoch,
        "selected_by": cfg.select, "train_days": train_days.len(), "train_range": train_range,
        "validation": v.metrics, "test": tests, "history": history,
    });
    Ok(Trained { net, summary })
}

/// The epoch chosen so far: its number, selection value, validation result and weights.
struct BestEpoch {
    epoch: usize,
    value: f64,
    validation: BacktestResult,
    weights: Vec<(String, Tensor)>,
}

/// Writes the bundle and checks that tch, tract and (when its library loads) ONNX Runtime give the
/// same scores within 1e-5 through the library's ranking call on the last validation day; fails
/// otherwise. Returns the largest difference and the ranking-call latency of each backend.
pub fn export(trained: &Trained, cfg: &RankingConfig, data: &Data, out: &Path, device: Device) -> Result<(f64, serde_json::Value)> {
    let s = &trained.summary;
    let mut e = RankingExport::new(&cfg.name);
    e.window = cfg.window;
    e.target = cfg.target;
    e.relations = cfg.relations;
    e.train = serde_json::from_value(s["train_range"].clone())?;
    e.validation = cfg.validation;
    for k in ["config", "best_epoch", "selected_by", "train_days", "validation", "test", "device"] {
        e.extra.insert(k.into(), s[k].clone());
    }
    write_ranking(out, &trained.net.export()?, &e)?;

    let d = *data.days(&cfg.validation, cfg).last().expect("checked in train");
    let want = day_scores(&trained.net, data, d, cfg, device)?;
    let date = data.panel.calendar[d];
    let mut worst = 0f64;
    let mut latency = serde_json::Map::new();
    for m in parity::engines(out)? {
        let got = m.rank(&data.panel, &data.industries, date)?.scores;
        // Timed again once warm (tract optimises a plan on its first call for a shape).
        let t0 = Instant::now();
        m.rank(&data.panel, &data.industries, date)?;
        latency.insert(m.backend().name().into(), json!(t0.elapsed().as_secs_f64()));
        worst = worst.max(parity::check(&m, &format!("scores vs tch on {date}"), &got, &want)?);
    }
    Ok((worst, serde_json::Value::Object(latency)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ic_loss_is_minus_the_correlation_whatever_the_scores_level_and_scale() {
        let y = Tensor::from_slice(&[0.0f32, 0.25, 0.5, 0.75, 1.0]);
        let perfect = Tensor::from_slice(&[10.0f32, 10.1, 10.2, 10.3, 10.4]);
        let reversed = Tensor::from_slice(&[0.9f32, 0.7, 0.5, 0.3, 0.1]);
        assert!((day_loss(&perfect, &y, RankLoss::Ic).double_value(&[]) + 1.0).abs() < 1e-5);
        assert!((day_loss(&reversed, &y, RankLoss::Ic).double_value(&[]) - 1.0).abs() < 1e-5);
        // A constant prediction carries no correlation (and no NaN).
        assert!(day_loss(&Tensor::from_slice(&[0.5f32; 5]), &y, RankLoss::Ic).double_value(&[]).abs() < 1e-6);
        // MSE: the plain mean of squared errors.
        let mse = day_loss(&Tensor::from_slice(&[0.5f32; 5]), &y, RankLoss::Mse).double_value(&[]);
        assert!((mse - 0.125).abs() < 1e-6, "{mse}");
    }
}
