//! Training LSR-IGRU (docs/specs/lsr-igru.md): one sample per trading day holding every node of
//! the panel; inputs built by the core's `relations::ranking_inputs` (the serving code); label the
//! core's per-day percentile rank; loss the MSE or IC over the stocks that trade that day and have
//! a label; Adam; the epoch picked on the validation year with the core's backtest; export through
//! the core's writer with a tch / tract / ONNX Runtime parity gate.
//!
//! Days are trained in blocks of `batch_days` consecutive decision days: the block's distinct days
//! (the block and the window - 1 days before it) get their inputs built once, A_S advanced one day
//! at a time as serving does, and are encoded once; the windows are gathered from those encodings
//! and the block is one Adam step. The order of blocks is shuffled each epoch, never the days
//! inside one. Evaluation scores its days in blocks the same way. Each epoch ends with a
//! checkpoint, and a run started again on the same folder resumes after the last finished epoch.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tch::{Device, Kind, Tensor};
use trendcast::backtest::{BacktestResult, BacktestSpec};
use trendcast::backtest::{Signal, Signals};
use trendcast::bars::{Industries, Panel, Universe};
use trendcast::contract::labels::{RankTarget, average_ranks, rank_labels};
use trendcast::model::manifest::DateRange;
use trendcast::predict::stock_scores;
use trendcast::relations::{LongTermFactors, NodeSet, ranking_inputs};
use trendcast_export::onnx::EncoderKind;
use trendcast_export::onnx::mean_and_spread;

mod checkpoint;
mod distill;
mod export;

use crate::adam::Adam;
use crate::config::{LabelReturn, RankLoss, RankingConfig, Selection};
use crate::lsr_igru::{Net, Relation};
use checkpoint::{BestEpoch, Checkpoint};
pub use distill::{check_teacher, distil, teacher_labels, training_days};
pub use export::{export, export_ensemble};

/// The panel of every ticker, its industries and the rank labels (ticker-major like the panel).
pub struct Data {
    pub panel: Panel,
    pub industries: Industries,
    pub labels: Vec<f64>,
    /// A_L as co-memberships: the GCN's long-term encoder multiplies by it in factored form.
    pub long_factors: LongTermFactors,
    /// Trading days of bars a stock needs for a score (`predict::stock_scores`): what the inputs read.
    pub history: usize,
    /// The config's base (`RankingConfig::base`): per day (day-major, `[d * n_tickers + k]`), its
    /// z-score over the day's scored stocks, 0 for a stock without one; empty without a base.
    pub base: Vec<f32>,
    /// Per day, whether each stock has a base z-score (day-major like `base`).
    pub base_scored: Vec<bool>,
    /// `RankingConfig::correction_weight`.
    pub correction_weight: Option<f64>,
}

impl Data {
    /// Fails when a ticker is not in the industry table.
    pub fn new(universe: &Universe, cfg: &RankingConfig) -> Result<Data> {
        let panel = Panel::from_series(&universe.series);
        let labels = match cfg.label {
            LabelReturn::Raw => rank_labels(&panel, cfg.target),
            LabelReturn::IndustryResidual => residual_rank_labels(&panel, &universe.industries, cfg.target),
        };
        let nodes = NodeSet::new(&panel.tickers, &universe.industries)?;
        let history = cfg.relations.first_day(cfg.window) + 1;
        let (base, base_scored) =
            cfg.base.map_or_else(Default::default, |signal| base_zscores(&panel, &universe.industries, history, signal));
        Ok(Data {
            long_factors: LongTermFactors::new(&nodes),
            panel,
            industries: universe.industries.clone(),
            labels,
            history,
            base,
            base_scored,
            correction_weight: cfg.correction_weight,
        })
    }

    /// `pred` [B, N] (node scores of the consecutive decision days `block`) plus the base's z-scores
    /// on its stocks (industry nodes get none), `pred` as it is or as its weighted per-day z-score
    /// over the scored stocks (`correction_weight`); `pred` itself without a base.
    pub fn with_base(&self, pred: Tensor, block: &[usize]) -> Tensor {
        if self.base.is_empty() {
            return pred;
        }
        let (nt, n, device) = (self.panel.n_tickers(), pred.size()[1] as usize, pred.device());
        let (mut add, mut scored) = (vec![0f32; block.len() * n], vec![0f32; block.len() * n]);
        for (b, &d) in block.iter().enumerate() {
            add[b * n..b * n + nt].copy_from_slice(&self.base[d * nt..(d + 1) * nt]);
            for k in (0..nt).filter(|&k| self.base_scored[d * nt + k]) {
                scored[b * n + k] = 1.0;
            }
        }
        let shape = [block.len() as i64, n as i64];
        let base = Tensor::from_slice(&add).view(shape).to_device(device);
        let correction = match self.correction_weight {
            None => pred,
            Some(w) => {
                let m = Tensor::from_slice(&scored).view(shape).to_device(device);
                let count = m.sum_dim_intlist(1, true, Kind::Float).clamp_min(1.0);
                let mean = (&pred * &m).sum_dim_intlist(1, true, Kind::Float) / &count;
                let centred = &pred - &mean;
                let var = (&centred * &centred * &m).sum_dim_intlist(1, true, Kind::Float) / &count;
                centred / (var + 1e-12).sqrt() * w
            }
        };
        correction + base
    }

    /// Decision days in `range` that have a full input window and two trading days after them
    /// (the backtest trades at the next two opens).
    pub fn days(&self, range: &DateRange, cfg: &RankingConfig) -> Vec<usize> {
        let first = cfg.relations.first_day(cfg.window);
        let cal = &self.panel.calendar;
        (first..cal.len().saturating_sub(2)).filter(|&d| cal[d] >= range.from && cal[d] <= range.to).collect()
    }

    /// The three inputs of the `days` consecutive days ending at `last` (one window when `days` is
    /// the model's window) as tensors with a batch dimension of 1: nodes [1, days, N, F], A_L
    /// (co-memberships for a GCN, [N, N] for a GAT), A_S [1, days, N, N]; and the number of nodes.
    pub fn inputs(&self, last: usize, days: usize, cfg: &RankingConfig, device: Device) -> Result<(Tensor, Relation, Tensor, usize)> {
        let inp = ranking_inputs(&self.panel, &self.industries, last, days, &cfg.relations)?;
        let (t, n) = (days as i64, inp.n_nodes as i64);
        let x = Tensor::from_slice(&inp.nodes).view([1, t, n, cfg.relations.node_features.width() as i64]).to_device(device);
        let long = match cfg.model.encoder {
            EncoderKind::Gcn => Relation::factored(&self.long_factors, cfg.relations.normalize_relations, device),
            EncoderKind::Gat => Relation::Dense(Tensor::from_slice(&inp.long_rel).view([n, n]).to_device(device)),
        };
        let short = Tensor::from_slice(&inp.short_rel).view([1, t, n, n]).to_device(device);
        Ok((x, long, short, inp.n_nodes))
    }

    /// The stocks trading on day `d` with a label, and their labels.
    pub fn targets(&self, d: usize) -> (Vec<i64>, Vec<f32>) {
        let nd = self.panel.n_days();
        (0..self.panel.n_tickers())
            .filter(|&k| self.panel.present[k * nd + d] && self.labels[k * nd + d].is_finite())
            .map(|k| (k as i64, self.labels[k * nd + d] as f32))
            .unzip()
    }
}

/// Each day's z-score of `signal` over the stocks scored that day (`stock_scores`), 0 for the
/// others; day-major.
fn base_zscores(panel: &Panel, industries: &Industries, history: usize, signal: Signal) -> (Vec<f32>, Vec<bool>) {
    let signals = Signals::new(panel, industries);
    let nt = panel.n_tickers();
    let (mut out, mut scored) = (vec![0f32; panel.n_days() * nt], vec![false; panel.n_days() * nt]);
    for d in 0..panel.n_days() {
        let values: Vec<f64> = stock_scores(panel, d, history, &signals.scores(signal, d)).iter().map(|&v| f64::from(v)).collect();
        let (mean, sd) = mean_and_spread(&values);
        if sd > 0.0 && sd.is_finite() {
            for (k, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
                out[d * nt + k] = ((v - mean) / sd) as f32;
                scored[d * nt + k] = true;
            }
        }
    }
    (out, scored)
}

/// Per-day percentile ranks (as `rank_labels`) of each stock's forward return less the mean
/// forward return of its sub-industry's stocks that day; ticker-major, NaN where undefined.
fn residual_rank_labels(panel: &Panel, industries: &Industries, target: RankTarget) -> Vec<f64> {
    let (nt, nd) = (panel.n_tickers(), panel.n_days());
    let group: Vec<Option<usize>> = panel.tickers.iter().map(|t| industries.of(t).map(|(_, sub)| sub)).collect();
    let mut out = vec![f64::NAN; nt * nd];
    for d in 0..nd {
        let r: Vec<f64> = (0..nt).map(|k| target.forward_return(panel, k, d)).collect();
        let (mut sum, mut count) = (vec![0f64; industries.sub_industries.len()], vec![0usize; industries.sub_industries.len()]);
        for (k, g) in group.iter().enumerate() {
            if let Some(g) = g.filter(|_| r[k].is_finite()) {
                sum[g] += r[k];
                count[g] += 1;
            }
        }
        let day: Vec<(usize, f64)> =
            (0..nt).filter_map(|k| Some((k, r[k] - sum[group[k]?] / count[group[k]?] as f64))).filter(|(_, v)| v.is_finite()).collect();
        let n = day.len() as f64;
        for (&(k, _), rank) in day.iter().zip(average_ranks(&day.iter().map(|&(_, v)| v).collect::<Vec<_>>())) {
            out[k * nd + d] = rank / n;
        }
    }
    out
}

/// The net's scores of day `d` from its own window, as the serving graph computes them: one per
/// panel stock (NaN for a stock without a bar that day).
pub fn day_scores(net: &Net, data: &Data, d: usize, cfg: &RankingConfig, device: Device) -> Result<Vec<f32>> {
    let _guard = tch::no_grad_guard();
    let (x, long, short, _) = data.inputs(d, cfg.window, cfg, device)?;
    let nodes = Vec::<f32>::try_from(data.with_base(net.forward(&x, &long, &short), &[d]).to_device(Device::Cpu).flatten(0, -1))?;
    Ok(stock_scores(&data.panel, d, data.history, &nodes))
}

/// Decision days scored per block in evaluation (memory: A_S of window - 1 + this many days).
const EVAL_BLOCK_DAYS: usize = 32;

/// The node scores [block.len(), N] of the consecutive decision days `block`, each day encoded once.
pub fn block_node_scores(net: &Net, data: &Data, block: &[usize], cfg: &RankingConfig, device: Device) -> Result<Tensor> {
    let (&first, &last) = (block.first().context("an empty block")?, block.last().context("an empty block")?);
    debug_assert_eq!(last + 1 - first, block.len(), "consecutive days");
    let (x, long, short, _) = data.inputs(last, block.len() + cfg.window - 1, cfg, device)?;
    Ok(data.with_base(net.forward_block(&x, &long, &short, cfg.window), block))
}

/// The net's scores of the consecutive decision days `days`, one row per day as [`day_scores`]
/// gives it, computed in blocks.
pub fn scores_of_days(net: &Net, data: &Data, days: &[usize], cfg: &RankingConfig, device: Device) -> Result<Vec<Vec<f32>>> {
    let nodes = node_scores_of_days(net, data, days, cfg, device)?;
    Ok(days.iter().zip(&nodes).map(|(&d, row)| stock_scores(&data.panel, d, data.history, row)).collect())
}

/// The net's node scores (every node of the graph, stocks first) of the consecutive decision days
/// `days`, one row per day, computed in blocks.
pub fn node_scores_of_days(net: &Net, data: &Data, days: &[usize], cfg: &RankingConfig, device: Device) -> Result<Vec<Vec<f32>>> {
    let _guard = tch::no_grad_guard();
    let mut out = Vec::with_capacity(days.len());
    for block in days.chunks(EVAL_BLOCK_DAYS) {
        let scores = block_node_scores(net, data, block, cfg, device)?.to_device(Device::Cpu);
        for b in 0..block.len() {
            out.push(Vec::<f32>::try_from(scores.get(b as i64))?);
        }
    }
    Ok(out)
}

/// The mean loss over the days of `block` (consecutive decision days, scored `pred` [B, N] by
/// [`block_node_scores`]) that have a stock with a label; None when no day has one.
pub fn block_loss(pred: &Tensor, data: &Data, block: &[usize], loss: RankLoss) -> Option<Tensor> {
    let device = pred.device();
    let mut total: Option<Tensor> = None;
    for (b, &d) in block.iter().enumerate() {
        let (idx, y) = data.targets(d);
        if idx.is_empty() {
            continue;
        }
        let p = pred.get(b as i64).index_select(0, &Tensor::from_slice(&idx).to_device(device));
        let l = day_loss(&p, &Tensor::from_slice(&y).to_device(device), loss);
        total = Some(match total {
            Some(t) => t + l,
            None => l,
        });
    }
    // Per-day losses averaged over the block, days without labels included (as a batch of days).
    total.map(|t| t / block.len() as f64)
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
        RankLoss::Pairwise => {
            let z = (pred - pred.mean(Kind::Float)) / (pred.std(false) + 1e-8);
            // [i, j]: z_i - z_j, and whether stock i's label is above stock j's.
            let dz = z.unsqueeze(1) - z.unsqueeze(0);
            let above = y.unsqueeze(1).gt_tensor(&y.unsqueeze(0));
            if above.any().int64_value(&[]) == 0 {
                return (z * 0.0).sum(Kind::Float); // one label for all: no pair to order
            }
            (-dz).softplus().masked_select(&above).mean(Kind::Float)
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
    let scores = scores_of_days(net, data, &days, cfg, device)?;
    backtest_scores(data, &days, &scores, cfg.top_k, cost_bps)
}

/// The top-k backtest of given scores of the consecutive decision `days` (one row per day), once
/// per cost in `cost_bps`. Empty when `days` is.
pub fn backtest_scores(data: &Data, days: &[usize], scores: &[Vec<f32>], top_k: usize, cost_bps: &[f64]) -> Result<Vec<BacktestResult>> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    cost_bps.iter().map(|&c| backtest_spec(data, days, scores, BacktestSpec::top_k(top_k, c))).collect()
}

/// The backtest `spec` of given scores of the consecutive decision `days` (one row per day).
pub fn backtest_spec(data: &Data, days: &[usize], scores: &[Vec<f32>], spec: BacktestSpec) -> Result<BacktestResult> {
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else { bail!("no days to backtest") };
    if last + 1 - first != days.len() || scores.len() != days.len() {
        bail!("{} scores for {} days that must be consecutive ({first}..={last})", scores.len(), days.len());
    }
    Ok(trendcast::backtest::run(&data.panel, first, last, spec, |d| Ok(scores[d - first].clone()))?)
}

fn selection_value(r: &BacktestResult, select: Selection) -> f64 {
    let v = match select {
        Selection::RankIc => r.metrics.rank_ic,
        Selection::Arr => r.metrics.arr,
        Selection::Last => unreachable!("the last epoch is chosen by its number"),
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

/// Trains as `cfg` says, keeping the epoch with the best validation metric (`cfg.select`). With a
/// `checkpoint` folder, each finished epoch is saved there, and a run given a folder that holds an
/// earlier run of the same config resumes after that run's last finished epoch, with the same
/// result as if it had not stopped.
pub fn train(cfg: &RankingConfig, data: &Data, device: Device, checkpoint: Option<&Path>) -> Result<Trained> {
    tch::manual_seed(cfg.seed as i64);
    tch::set_num_threads(cfg.threads as i32);
    // A training day's label must not read prices of the validation period.
    let train_days = training_days(data, cfg);
    if train_days.is_empty() || data.days(&cfg.validation, cfg).is_empty() {
        bail!("no training or validation days in {:?} / {:?}", cfg.train, cfg.validation);
    }
    // The epoch is chosen on validation days whose portfolio return (open t+1 to open t+2) is
    // inside the validation range: the last two days' returns would read the next year's prices.
    let last_validation_day = data.panel.calendar.partition_point(|&d| d <= cfg.validation.to);
    let selection_range = DateRange { from: cfg.validation.from, to: data.panel.calendar[last_validation_day.saturating_sub(3)] };
    let net = Net::new(cfg.model.clone(), device)?;
    let mut opt = Adam::new(&net.vs, cfg.lr);
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
        data.long_factors.n_nodes,
    );

    // Blocks of consecutive days (the training days are consecutive panel days).
    let blocks: Vec<&[usize]> = train_days.chunks(cfg.batch_days.max(1)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let ckpt = checkpoint.map(Checkpoint::new);
    let (mut best, mut history, done) = match ckpt.as_ref().map(|c| c.load(cfg, &net, &mut opt)).transpose()?.flatten() {
        Some(resumed) => {
            eprintln!("resuming after epoch {} (checkpoint {})", resumed.epoch, checkpoint.expect("loaded from it").display());
            (resumed.best, resumed.history, resumed.epoch)
        }
        None => (None, Vec::new(), 0),
    };
    for epoch in 1..=cfg.epochs {
        let mut order = blocks.clone();
        order.shuffle(&mut rng);
        if epoch <= done {
            continue; // replayed for the random state only
        }
        if cfg.max_train_days > 0 {
            let mut left = cfg.max_train_days;
            order.retain_mut(|b| {
                *b = &b[..b.len().min(left)];
                left -= b.len();
                !b.is_empty()
            });
        }
        let n_days: usize = order.iter().map(|b| b.len()).sum();
        let bar = ProgressBar::new(n_days as u64).with_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} days {per_sec} eta {eta} {msg}").expect("valid template"),
        );
        bar.set_prefix(format!("{epoch}/{}", cfg.epochs));
        let started = Instant::now();
        let (mut loss_sum, mut spread_sum, mut input_seconds, mut steps) = (0f64, 0f64, 0f64, 0usize);
        for block in &order {
            opt.zero_grad();
            let t0 = Instant::now();
            let (x, long, short, _) = data.inputs(block[block.len() - 1], block.len() + cfg.window - 1, cfg, device)?;
            input_seconds += t0.elapsed().as_secs_f64();
            let pred = data.with_base(net.forward_block(&x, &long, &short, cfg.window), block);
            bar.inc(block.len() as u64);
            let Some(loss) = block_loss(&pred, data, block, cfg.loss) else { continue };
            spread_sum += tch::no_grad(|| pred.std_dim(-1, false, false).sum(Kind::Float).double_value(&[]));
            loss.backward();
            opt.step();
            loss_sum += loss.double_value(&[]) * block.len() as f64;
            steps += 1;
            bar.set_message(format!("loss {:.5}", loss_sum / bar.position().max(1) as f64));
        }
        let seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let t0 = Instant::now();
        let v = evaluate(&net, data, &selection_range, cfg, device, &[0.0])?.remove(0);
        let eval_seconds = t0.elapsed().as_secs_f64();
        let m = &v.metrics;
        eprintln!(
            "epoch {epoch}/{}: loss {:.5}, score spread {:.2e}, {} steps, {seconds:.0} s ({:.3} s/day, inputs {:.3} s/day); validation rank IC {:.4}, IC {:.4}, ARR {:.3}, IR {:.2} ({eval_seconds:.0} s)",
            cfg.epochs,
            loss_sum / n_days as f64,
            spread_sum / n_days as f64,
            steps,
            seconds / n_days as f64,
            input_seconds / n_days as f64,
            m.rank_ic,
            m.ic,
            m.arr,
            m.ir
        );
        history.push(json!({
            "epoch": epoch, "train_loss": loss_sum / n_days as f64, "days": n_days, "adam_steps": steps,
            // Mean over training days of the scores' cross-sectional std (all nodes): near 0 means
            // the net predicts one value for every stock.
            "train_score_spread": spread_sum / n_days as f64,
            "seconds": seconds, "input_seconds": input_seconds, "validation_seconds": eval_seconds, "validation": m,
        }));
        let value = if cfg.select == Selection::Last { epoch as f64 } else { selection_value(&v, cfg.select) };
        if best.as_ref().is_none_or(|b: &BestEpoch| value > b.value) {
            best = Some(BestEpoch { epoch, value, validation: serde_json::to_value(m)?, weights: net.snapshot() });
        }
        if let Some(c) = &ckpt {
            c.save(cfg, epoch, &net, &opt, best.as_ref().expect("set above"), &history)?;
        }
        crate::allocator::return_freed_pages();
    }
    let BestEpoch { epoch: best_epoch, validation, weights, .. } = best.context("no epoch to choose from (epochs = 0?)")?;
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
        "validation": validation, "test": tests, "history": history,
    });
    Ok(Trained { net, summary })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trendcast::Date;
    use trendcast::bars::synthetic::{SyntheticSpec, generate};
    use trendcast::relations::NodeFeatures;
    use trendcast_export::onnx::LsrIgruSpec;

    pub(super) fn small(encoder: EncoderKind) -> RankingConfig {
        let range = |a: &str, b: &str| DateRange { from: Date::parse(a).unwrap(), to: Date::parse(b).unwrap() };
        let mut cfg = RankingConfig {
            model: LsrIgruSpec { encoder, encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], ..LsrIgruSpec::code() },
            train: range("2019-04-01", "2019-07-31"),
            validation: range("2019-08-01", "2019-09-30"),
            test: vec![],
            loss: RankLoss::Ic,
            lr: 1e-2,
            epochs: 3,
            batch_days: 6,
            threads: 1,
            ..Default::default()
        };
        cfg.relations.node_features = NodeFeatures::Ratios;
        cfg.relations.normalize_relations = true;
        cfg
    }

    pub(super) fn market(days: usize) -> Data {
        let u =
            generate(&SyntheticSpec { days, first_day: Date::parse("2019-01-01").unwrap(), late_listing_every: 5, ..Default::default() });
        Data::new(&u, &small(EncoderKind::Gcn)).unwrap()
    }

    /// Base plus correction: a day's scores are the net's output plus the base signal's z-scores
    /// over the day's scored stocks (industry nodes untouched); the base of day d reads no bar
    /// after d; a config with a base is refused for export before any training.
    #[test]
    fn a_base_adds_its_zscores_to_the_nets_output_and_reads_nothing_later() {
        let u = generate(&SyntheticSpec {
            days: 200,
            first_day: Date::parse("2019-01-01").unwrap(),
            late_listing_every: 5,
            ..Default::default()
        });
        let cfg = RankingConfig { base: Some(Signal::IntradayReversal), ..small(EncoderKind::Gat) };
        let (plain, based) = (Data::new(&u, &small(EncoderKind::Gat)).unwrap(), Data::new(&u, &cfg).unwrap());
        let _rng = crate::torch_rng_lock();
        tch::manual_seed(3);
        let net = Net::new(cfg.model.clone(), Device::Cpu).unwrap();
        let block: Vec<usize> = (95..101).collect();
        let without = Vec::<f32>::try_from(block_node_scores(&net, &plain, &block, &cfg, Device::Cpu).unwrap().flatten(0, -1)).unwrap();
        let with = Vec::<f32>::try_from(block_node_scores(&net, &based, &block, &cfg, Device::Cpu).unwrap().flatten(0, -1)).unwrap();
        let (nt, n) = (plain.panel.n_tickers(), without.len() / block.len());
        let signals = Signals::new(&plain.panel, &plain.industries);
        for (b, &d) in block.iter().enumerate() {
            let rule: Vec<f64> = stock_scores(&plain.panel, d, plain.history, &signals.scores(Signal::IntradayReversal, d))
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let (mean, sd) = mean_and_spread(&rule);
            for k in 0..n {
                let z = if k < nt && rule[k].is_finite() { (rule[k] - mean) / sd } else { 0.0 };
                let got = f64::from(with[b * n + k] - without[b * n + k]);
                assert!((got - z).abs() < 1e-5, "day {d} node {k}: {got} against the base {z}");
            }
            assert!(rule.iter().any(|v| v.is_nan()) && rule.iter().filter(|v| v.is_finite()).count() > 20, "some stocks unscored");
        }
        // A weighted correction: 0.5 times the output's z-score over the day's scored stocks.
        let weighted = Data::new(&u, &RankingConfig { correction_weight: Some(0.5), ..cfg.clone() }).unwrap();
        let mixed = Vec::<f32>::try_from(block_node_scores(&net, &weighted, &block, &cfg, Device::Cpu).unwrap().flatten(0, -1)).unwrap();
        for (b, &d) in block.iter().enumerate() {
            let scored: Vec<usize> = (0..nt).filter(|&k| weighted.base_scored[d * nt + k]).collect();
            let c: Vec<f64> = scored.iter().map(|&k| f64::from(mixed[b * n + k] - weighted.base[d * nt + k])).collect();
            let raw: Vec<f64> = scored.iter().map(|&k| f64::from(without[b * n + k])).collect();
            let ((mc, sc), (mr, sr)) = (mean_and_spread(&c), mean_and_spread(&raw));
            assert!(mc.abs() < 1e-4 && (sc - 0.5).abs() < 1e-4, "day {d}: correction mean {mc}, spread {sc}");
            for (x, y) in c.iter().zip(&raw) {
                assert!((x - 0.5 * (y - mr) / sr).abs() < 1e-4, "day {d}: {x} against {y}");
            }
        }
        // Bars after day 150 moved: the base of day 150 stays.
        let mut later = u.clone();
        for s in &mut later.series {
            for i in 0..s.len() {
                if s.dates[i] > plain.panel.calendar[150] {
                    s.close[i] *= 1.2;
                    s.high[i] *= 1.2;
                }
            }
        }
        let moved = Data::new(&later, &cfg).unwrap();
        assert_eq!(moved.base[150 * nt..151 * nt], based.base[150 * nt..151 * nt]);
        assert_ne!(moved.base[151 * nt..152 * nt], based.base[151 * nt..152 * nt]);
        let err = cfg.check_exportable().unwrap_err().to_string();
        assert!(err.contains("cannot be exported yet") && err.contains("intraday-reversal"), "{err}");
        assert!(small(EncoderKind::Gat).check_exportable().is_ok());
    }

    /// The residual label ranks each stock's forward return less its sub-industry's mean that day:
    /// a return common to a whole sub-industry does not move it, and it is defined where the raw
    /// label is.
    #[test]
    fn the_residual_label_ranks_returns_within_the_industry() {
        let u = generate(&SyntheticSpec { days: 120, first_day: Date::parse("2019-01-01").unwrap(), ..Default::default() });
        let panel = Panel::from_series(&u.series);
        let (nt, nd) = (panel.n_tickers(), panel.n_days());
        let target = RankTarget::OpenT1ToT2;
        let labels = residual_rank_labels(&panel, &u.industries, target);
        let raw = rank_labels(&panel, target);
        let d = 60;
        let sub = |k: usize| u.industries.of(&panel.tickers[k]).unwrap().1;
        let r: Vec<f64> = (0..nt).map(|k| target.forward_return(&panel, k, d)).collect();
        let residual: Vec<f64> = (0..nt)
            .map(|k| {
                let peers: Vec<f64> = (0..nt).filter(|&j| sub(j) == sub(k)).map(|j| r[j]).collect();
                r[k] - peers.iter().sum::<f64>() / peers.len() as f64
            })
            .collect();
        let ranks = average_ranks(&residual);
        for k in 0..nt {
            assert!((labels[k * nd + d] - ranks[k] / nt as f64).abs() < 1e-12, "stock {k}");
        }
        assert_ne!(labels[..], raw[..]);
        // A return of 5% more for every stock of one sub-industry on day d (their opens of d + 2
        // moved) changes the raw labels of day d, not the residual ones.
        let mut shifted = panel.clone();
        for k in (0..nt).filter(|&k| sub(k) == sub(0)) {
            shifted.open[k * nd + d + 2] = panel.open[k * nd + d + 1] * (1.0 + r[k] + 0.05);
        }
        let moved = residual_rank_labels(&shifted, &u.industries, target);
        assert!((0..nt).all(|k| (moved[k * nd + d] - labels[k * nd + d]).abs() < 1e-12), "a common return moved the residual labels");
        assert!((0..nt).any(|k| (rank_labels(&shifted, target)[k * nd + d] - raw[k * nd + d]).abs() > 1e-6));
        assert_eq!(labels.iter().map(|v| v.is_finite()).collect::<Vec<_>>(), raw.iter().map(|v| v.is_finite()).collect::<Vec<_>>());
    }

    /// Encoding each day of a block once and sharing it between windows gives every day the
    /// scores of its own window through the serving graph's computation (the core's f64 reference
    /// of the ONNX graph, on the inputs `ranking_inputs` builds for that window alone), and the
    /// loss of those scores (within 1e-5).
    #[test]
    fn a_block_scores_and_loses_as_its_windows_one_by_one() {
        let _rng = crate::torch_rng_lock();
        tch::manual_seed(7);
        let data = market(130);
        for (encoder, loss) in [(EncoderKind::Gcn, RankLoss::Ic), (EncoderKind::Gat, RankLoss::Mse)] {
            let cfg = RankingConfig { loss, ..small(encoder) };
            let net = Net::new(cfg.model.clone(), Device::Cpu).unwrap();
            let graph = net.export().unwrap();
            let first = cfg.relations.first_day(cfg.window);
            let block: Vec<usize> = (first + 3..first + 10).collect();
            let pred = block_node_scores(&net, &data, &block, &cfg, Device::Cpu).unwrap();
            let mut per_window = Vec::new();
            for (b, &d) in block.iter().enumerate() {
                let inp = ranking_inputs(&data.panel, &data.industries, d, cfg.window, &cfg.relations).unwrap();
                let want = graph.reference(&inp.nodes, &inp.long_rel, &inp.short_rel, cfg.window, inp.n_nodes);
                let got = Vec::<f32>::try_from(pred.get(b as i64)).unwrap();
                assert_eq!(got.len(), inp.n_nodes);
                let diff = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs()).fold(0f64, f64::max);
                assert!(diff < 1e-5, "{encoder:?} day {d}: block vs its window {diff}");
                per_window.push(Tensor::from_slice(&want.iter().map(|&v| v as f32).collect::<Vec<_>>()));
            }
            let block_value = block_loss(&pred, &data, &block, loss).unwrap().double_value(&[]);
            let by_hand: f64 = block
                .iter()
                .zip(&per_window)
                .map(|(&d, p)| {
                    let (idx, y) = data.targets(d);
                    day_loss(&p.index_select(0, &Tensor::from_slice(&idx)), &Tensor::from_slice(&y), loss).double_value(&[])
                })
                .sum::<f64>()
                / block.len() as f64;
            assert!((block_value - by_hand).abs() < 1e-5, "{block_value} vs {by_hand}");
            // The evaluation path (blocks of its own size) and the one-window call agree too.
            let scores = scores_of_days(&net, &data, &block, &cfg, Device::Cpu).unwrap();
            let one = day_scores(&net, &data, block[4], &cfg, Device::Cpu).unwrap();
            for (a, b) in scores[4].iter().zip(&one) {
                assert!(a.is_nan() == b.is_nan() && (a.is_nan() || (a - b).abs() < 1e-5), "{a} vs {b}");
            }
        }
    }

    /// A run stopped after an epoch and started again on its checkpoint ends as an uninterrupted
    /// run does; a checkpoint of another config is refused.
    #[test]
    fn a_resumed_run_ends_where_an_uninterrupted_one_does() {
        let _rng = crate::torch_rng_lock();
        let data = market(220);
        let cfg = small(EncoderKind::Gcn);
        let straight = train(&cfg, &data, Device::Cpu, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Stopped after its first epoch (a run of one epoch), then run to the end on its checkpoint.
        train(&RankingConfig { epochs: 1, ..cfg.clone() }, &data, Device::Cpu, Some(dir.path())).unwrap();
        let resumed = train(&cfg, &data, Device::Cpu, Some(dir.path())).unwrap();
        let (a, b) = (&straight.summary, &resumed.summary);
        assert_eq!(a["history"].as_array().unwrap().len(), 3);
        for k in ["best_epoch", "validation"] {
            assert_eq!(a[k], b[k], "{k}");
        }
        for (x, y) in a["history"].as_array().unwrap().iter().zip(b["history"].as_array().unwrap()) {
            assert_eq!((&x["train_loss"], &x["validation"]), (&y["train_loss"], &y["validation"]));
        }
        for ((name, x), (_, y)) in straight.net.snapshot().iter().zip(resumed.net.snapshot().iter()) {
            assert!(x.equal(y), "{name} differs");
        }
        let err = train(&RankingConfig { lr: 1e-3, ..cfg.clone() }, &data, Device::Cpu, Some(dir.path())).err().unwrap();
        assert!(err.to_string().contains("another config"), "{err}");
    }

    #[test]
    fn losses_follow_their_definitions_whatever_the_scores_level_and_scale() {
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
        // Pairwise: the right order costs less than the reverse, whatever the scores' scale.
        let pairwise = |p: &Tensor| day_loss(p, &y, RankLoss::Pairwise).double_value(&[]);
        let (good, bad) = (pairwise(&perfect), pairwise(&reversed));
        assert!(good < 0.45 && bad > 1.2, "{good} {bad}");
        assert!((pairwise(&(&perfect * 1000.0)) - good).abs() < 1e-4, "scale-free");
        // By hand for two stocks in the right order: z = (-1, 1), one pair, log(1 + e^-2).
        let two = day_loss(&Tensor::from_slice(&[0.1f32, 0.3]), &Tensor::from_slice(&[0.0f32, 1.0]), RankLoss::Pairwise);
        assert!((two.double_value(&[]) - (1.0f64 + (-2.0f64).exp()).ln()).abs() < 1e-5);
    }
}
