//! Training the direction models (RNN, LSTM, GRU): the original project's loop (weighted cross-entropy, Adam, gradient
//! clipping, best epoch by validation macro-F1), on samples built by the core crate, exported
//! through the core's ONNX writer and checked against ONNX Runtime and tract.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Reduction, Tensor};
use trendcast::contract::WindowAlignment;
use trendcast::model::manifest::{DateRange, Scaler};
use trendcast::model::{BackendKind, Model, OpenOptions, TensorIn};
use trendcast_export::dataset::{DatasetSpec, DirectionDataset, Sample, Split};
use trendcast_export::export::{DirectionExport, write_direction};
use trendcast_export::metrics::{ClassScores, Confusion};
use trendcast_export::onnx::{Cell, RecurrentClassifier};

use crate::batch::direction_batch;
use crate::config::DirectionConfig;
use crate::parity;

/// RNN | LSTM | GRU (13 or 15 inputs -> H), last step, dropout, linear to 3 logits (the original's models; its
/// final one is the GRU).
pub struct Net {
    pub vs: nn::VarStore,
    cell: Cell,
    /// Values per window row.
    inputs: usize,
    hidden: usize,
    /// weight_ih, weight_hh, bias_ih, bias_hh in PyTorch's layout (what `Tensor::gru` etc. take).
    flat: Vec<Tensor>,
    head: nn::Linear,
    dropout: f64,
    /// Feature standardisation applied to every batch (identity without a scaler).
    mean: Tensor,
    std: Tensor,
}

impl Net {
    pub fn new(device: Device, cell: Cell, inputs: usize, hidden: usize, dropout: f64, scaler: Option<&Scaler>) -> Net {
        let vs = nn::VarStore::new(device);
        // The variables, their order and init are those of `tch::nn::gru` (so the shipped GRU
        // regenerates bit for bit); tch has no plain RNN layer, hence the flat weights.
        let (h, g) = (hidden as i64, cell.gates() as i64);
        let path = vs.root() / cell.name();
        let init = nn::RNNConfig::default();
        let flat = vec![
            path.var("weight_ih_l0", &[g * h, inputs as i64], init.w_ih_init),
            path.var("weight_hh_l0", &[g * h, h], init.w_hh_init),
            path.var("bias_ih_l0", &[g * h], init.b_ih_init.expect("biases")),
            path.var("bias_hh_l0", &[g * h], init.b_hh_init.expect("biases")),
        ];
        let head = nn::linear(vs.root() / "head", hidden as i64, 3, Default::default());
        let (m, s) = match scaler {
            Some(s) => (s.mean.iter().map(|v| *v as f32).collect(), s.std.iter().map(|v| *v as f32).collect()),
            None => (vec![0f32; inputs], vec![1f32; inputs]),
        };
        Net {
            vs,
            cell,
            inputs,
            hidden,
            flat,
            head,
            dropout,
            mean: Tensor::from_slice(&m).to_device(device),
            std: Tensor::from_slice(&s).to_device(device),
        }
    }

    /// Standardised inputs: what the exported model receives after the library's scaler.
    pub fn scale(&self, x: &Tensor) -> Tensor {
        (x - &self.mean) / &self.std
    }

    /// Logits of already scaled windows [B, T, inputs].
    pub fn logits(&self, x: &Tensor, train: bool) -> Tensor {
        let h0 = Tensor::zeros([1, x.size()[0], self.hidden as i64], (Kind::Float, x.device()));
        let out = match self.cell {
            Cell::Gru => x.gru(&h0, &self.flat, true, 1, 0.0, train, false, true).0,
            Cell::Rnn => x.rnn_tanh(&h0, &self.flat, true, 1, 0.0, train, false, true).0,
            Cell::Lstm => x.lstm(&[h0.shallow_clone(), h0], &self.flat, true, 1, 0.0, train, false, true).0,
        };
        self.head.forward(&out.select(1, -1).dropout(self.dropout, train))
    }

    /// The weights in PyTorch layout, for the ONNX writer.
    pub fn export_weights(&self) -> Result<RecurrentClassifier> {
        let vars = self.vs.variables();
        let get = |name: &str| -> Result<Vec<f32>> {
            let t = vars.get(name).with_context(|| format!("no variable {name}"))?;
            Ok(Vec::<f32>::try_from(t.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1))?)
        };
        let c = self.cell.name();
        Ok(RecurrentClassifier {
            cell: self.cell,
            input_size: self.inputs,
            hidden: self.hidden,
            classes: 3,
            weight_ih: get(&format!("{c}.weight_ih_l0"))?,
            weight_hh: get(&format!("{c}.weight_hh_l0"))?,
            bias_ih: get(&format!("{c}.bias_ih_l0"))?,
            bias_hh: get(&format!("{c}.bias_hh_l0"))?,
            fc_weight: get("head.weight")?,
            fc_bias: get("head.bias")?,
        })
    }
}

/// Mean and std of each input over the training samples' own rows (day t of each sample).
pub fn fit_scaler(ds: &DirectionDataset, train: &[Sample]) -> Scaler {
    let w = ds.width();
    let mut sum = vec![0f64; w];
    let mut sum2 = vec![0f64; w];
    for s in train {
        for (k, v) in ds.row_values(s.symbol, s.row).enumerate() {
            sum[k] += v;
            sum2[k] += v * v;
        }
    }
    let n = train.len().max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = (0..w).map(|k| (sum2[k] / n - mean[k] * mean[k]).max(1e-24).sqrt()).collect();
    Scaler { mean, std }
}

/// At most `max` samples (0: all) drawn with `seed`, back in dataset order.
pub fn subsample(mut v: Vec<Sample>, max: usize, seed: u64) -> Vec<Sample> {
    if max > 0 && v.len() > max {
        v.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        v.truncate(max);
        v.sort_by_key(|s| (s.symbol, s.row));
    }
    v
}

/// Scores of the net on samples (eval mode, no gradients).
pub fn evaluate(net: &Net, ds: &DirectionDataset, samples: &[Sample], device: Device) -> ClassScores {
    let _guard = tch::no_grad_guard();
    let mut confusion = Confusion::default();
    let mut buf = Vec::new();
    for chunk in samples.chunks(4096) {
        let (x, y) = direction_batch(ds, chunk, &mut buf, device);
        let pred = Vec::<i64>::try_from(net.logits(&net.scale(&x), false).argmax(-1, false).to_device(Device::Cpu)).expect("i64");
        let truth = Vec::<i64>::try_from(y.to_device(Device::Cpu)).expect("i64");
        for (t, p) in truth.iter().zip(&pred) {
            confusion.add(*t as usize, *p as usize);
        }
    }
    confusion.scores()
}

/// The class probabilities [samples.len() * 3] that the direction bundle `teacher` (one without a
/// feature scaler) gives the `samples`, run on ONNX Runtime where its library loads, else tract. The
/// teacher must read the windows the student trains on.
pub fn teacher_probabilities(teacher: &Path, ds: &DirectionDataset, samples: &[Sample]) -> Result<Vec<f32>> {
    let m = match Model::open(teacher, &OpenOptions { backend: BackendKind::Ort, ..Default::default() }) {
        Ok(m) => m,
        Err(_) => Model::open(teacher, &OpenOptions { backend: BackendKind::Tract, ..Default::default() })?,
    };
    let man = m.manifest();
    if man.window != ds.spec.lookback || man.alignment != ds.spec.alignment || man.reads_market() != ds.spec.market {
        bail!("teacher {} reads other windows than the student's config", teacher.display());
    }
    // The serving path scales in f64 before the f32 cast; a scaled teacher would need that here.
    if man.scaler.is_some() {
        bail!("teacher {} has a feature scaler; distilling from one is not supported", teacher.display());
    }
    let (l, w) = (ds.spec.lookback, ds.width());
    let started = Instant::now();
    let mut probs = vec![0f32; samples.len() * 3];
    let mut x = Vec::new();
    for (chunk, out) in samples.chunks(512).zip(probs.chunks_mut(512 * 3)) {
        x.resize(chunk.len() * l * w, 0.0);
        for (s, win) in chunk.iter().zip(x.chunks_exact_mut(l * w)) {
            ds.window_f32(s, win);
        }
        m.run(&[TensorIn { shape: &[chunk.len(), l, w], data: &x }], out)?;
    }
    eprintln!(
        "teacher {} ({:?}): probabilities of {} training samples in {:.0} s",
        teacher.display(),
        m.backend(),
        samples.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(probs)
}

/// [`teacher_probabilities`], kept in `target/cache/teacher/` under a key of the teacher's graph
/// and the samples, so that the seeds of a distilled row run the teacher once.
fn cached_teacher_probabilities(teacher: &Path, ds: &DirectionDataset, samples: &[Sample]) -> Result<Vec<f32>> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    std::fs::read(teacher.join("model.onnx")).with_context(|| format!("teacher {}", teacher.display()))?.hash(&mut h);
    (ds.spec.lookback, ds.width()).hash(&mut h);
    samples.iter().for_each(|s| (s.symbol, s.row).hash(&mut h));
    let path = Path::new("target/cache/teacher").join(format!("{:016x}.f32", h.finish()));
    if let Ok(bytes) = std::fs::read(&path)
        && bytes.len() == samples.len() * 3 * 4
    {
        eprintln!("teacher probabilities from {}", path.display());
        return Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect());
    }
    let probs = teacher_probabilities(teacher, ds, samples)?;
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    std::fs::write(&path, probs.iter().flat_map(|p| p.to_le_bytes()).collect::<Vec<u8>>())?;
    Ok(probs)
}

/// The epoch with the best validation macro-F1 so far, and a copy of its weights.
struct BestEpoch {
    epoch: usize,
    macro_f1: f64,
    weights: Vec<(String, Tensor)>,
}

/// What a training run produced.
pub struct Trained {
    pub net: Net,
    pub summary: serde_json::Value,
}

/// Trains on `series` as `cfg` says, keeping the epoch with the best validation macro-F1.
pub fn train(cfg: &DirectionConfig, series: &[trendcast::bars::BarSeries], device: Device) -> Result<Trained> {
    tch::manual_seed(cfg.seed as i64);
    tch::set_num_threads(cfg.threads as i32);
    let spec = DatasetSpec {
        lookback: cfg.lookback,
        alignment: if cfg.gap { WindowAlignment::EndsBeforeT } else { WindowAlignment::EndsAtT },
        embargo: cfg.embargo,
        market: cfg.market,
        ..Default::default()
    };
    let ds = DirectionDataset::build(series, &spec)?;
    let by = |split| ds.samples.iter().filter(|s| s.split == split).copied().collect::<Vec<_>>();
    let train = subsample(by(Split::Train), cfg.max_train_samples, cfg.seed);
    let val = subsample(by(Split::Validation), cfg.max_eval_samples, cfg.seed + 1);
    let test = subsample(by(Split::Test), cfg.max_eval_samples, cfg.seed + 2);
    if train.is_empty() || val.is_empty() {
        bail!("no training or validation samples ({} / {})", train.len(), val.len());
    }
    let scaler = cfg.scaler.then(|| fit_scaler(&ds, &train));
    let net = Net::new(device, cfg.cell, ds.width(), cfg.hidden, cfg.dropout, scaler.as_ref());
    let mut opt = nn::Adam { wd: cfg.weight_decay, ..Default::default() }.build(&net.vs, cfg.lr)?;
    let counts = {
        let mut c = [0usize; 3];
        train.iter().for_each(|s| c[s.label as usize] += 1);
        c
    };
    let weights: Vec<f32> = counts.iter().map(|&k| train.len() as f32 / (3.0 * k.max(1) as f32)).collect();
    let weights = cfg.class_weights.then(|| Tensor::from_slice(&weights).to_device(device));

    let soft_targets = cfg.teacher.as_deref().map(|t| cached_teacher_probabilities(t, &ds, &train)).transpose()?;
    if soft_targets.is_some() && !(0.0..=1.0).contains(&cfg.distill_weight) {
        bail!("distill_weight {} is outside 0..=1", cfg.distill_weight);
    }

    let mut best: Option<BestEpoch> = None;
    let mut history = Vec::new();
    // Positions in `train` (shuffling them draws the same permutation as shuffling the samples).
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut chunk_samples: Vec<Sample> = Vec::with_capacity(cfg.batch);
    let mut chunk_soft: Vec<f32> = Vec::with_capacity(cfg.batch * 3);
    let mut buf = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    for epoch in 1..=cfg.epochs {
        order.shuffle(&mut rng);
        let bar = ProgressBar::new(order.len() as u64).with_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} samples {per_sec} eta {eta} {msg}")
                .expect("valid template"),
        );
        bar.set_prefix(format!("{epoch}/{}", cfg.epochs));
        let started = Instant::now();
        let (mut loss_sum, mut batches) = (0f64, 0usize);
        for chunk in order.chunks(cfg.batch) {
            chunk_samples.clear();
            chunk_samples.extend(chunk.iter().map(|&i| train[i]));
            let (x, y) = direction_batch(&ds, &chunk_samples, &mut buf, device);
            let logits = net.logits(&net.scale(&x), true);
            let hard = logits.cross_entropy_loss::<&Tensor>(&y, weights.as_ref(), Reduction::Mean, -100, 0.0);
            let loss = match &soft_targets {
                None => hard,
                Some(p) => {
                    chunk_soft.clear();
                    chunk_soft.extend(chunk.iter().flat_map(|&i| &p[3 * i..3 * i + 3]));
                    let p = Tensor::from_slice(&chunk_soft).view([chunk.len() as i64, 3]).to_device(device);
                    let soft = -(p * logits.log_softmax(-1, Kind::Float)).sum_dim_intlist(-1, false, Kind::Float).mean(Kind::Float);
                    hard * (1.0 - cfg.distill_weight) + soft * cfg.distill_weight
                }
            };
            opt.backward_step_clip_norm(&loss, cfg.clip);
            loss_sum += loss.double_value(&[]);
            batches += 1;
            bar.inc(chunk.len() as u64);
            if batches % 20 == 0 {
                bar.set_message(format!("loss {:.4}", loss_sum / batches as f64));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let v = evaluate(&net, &ds, &val, device);
        bar.finish_and_clear();
        eprintln!(
            "epoch {epoch}/{}: loss {:.4}, {:.0} samples/s, {seconds:.0} s; validation macro-F1 {:.4}, accuracy {:.4}",
            cfg.epochs,
            loss_sum / batches as f64,
            order.len() as f64 / seconds,
            v.macro_f1,
            v.accuracy
        );
        history.push(json!({
            "epoch": epoch, "train_loss": loss_sum / batches as f64, "seconds": seconds,
            "samples_per_second": order.len() as f64 / seconds, "validation": v,
        }));
        if best.as_ref().is_none_or(|b| v.macro_f1 > b.macro_f1) {
            let weights = net.vs.variables().into_iter().map(|(k, t)| (k, t.copy())).collect();
            best = Some(BestEpoch { epoch, macro_f1: v.macro_f1, weights });
        }
        let since_best = epoch - best.as_ref().map_or(epoch, |b| b.epoch);
        if cfg.patience > 0 && since_best >= cfg.patience {
            eprintln!("early stop: {since_best} epochs without a better validation macro-F1");
            break;
        }
    }
    let BestEpoch { epoch: best_epoch, weights: snapshot, .. } = best.expect("at least one epoch");
    {
        let _guard = tch::no_grad_guard();
        let mut vars = net.vs.variables();
        for (k, t) in snapshot {
            vars.get_mut(&k).expect("same variables").copy_(&t);
        }
    }
    let v = evaluate(&net, &ds, &val, device);
    let t = (!test.is_empty()).then(|| evaluate(&net, &ds, &test, device));
    let range = |s: &[Sample]| DateRange {
        from: s.iter().map(|s| s.date).min().expect("non-empty"),
        to: s.iter().map(|s| s.date).max().expect("non-empty"),
    };
    let summary = json!({
        "config": cfg, "device": format!("{device:?}"), "best_epoch": best_epoch,
        "train_samples": train.len(), "validation_samples": val.len(), "test_samples": test.len(),
        "class_weights": weights.map(|w| Vec::<f32>::try_from(w.to_device(Device::Cpu)).expect("f32")),
        "train_range": range(&train), "validation_range": range(&val),
        "validation": v, "test": t, "history": history, "scaler": scaler,
    });
    Ok(Trained { net, summary })
}

/// Writes the bundle and checks that tch, tract and (when its library loads) ONNX Runtime agree
/// within 1e-5 on validation windows; fails otherwise. Returns the largest difference seen.
pub fn export(trained: &Trained, cfg: &DirectionConfig, series: &[trendcast::bars::BarSeries], out: &Path, device: Device) -> Result<f64> {
    let s = &trained.summary;
    let scaler: Option<Scaler> = serde_json::from_value(s["scaler"].clone())?;
    let mut e = DirectionExport::new(&cfg.name, cfg.lookback);
    e.alignment = if cfg.gap { WindowAlignment::EndsBeforeT } else { WindowAlignment::EndsAtT };
    e.scaler = scaler;
    e.market = cfg.market;
    e.train = serde_json::from_value(s["train_range"].clone())?;
    e.validation = serde_json::from_value(s["validation_range"].clone())?;
    let mut extra = serde_json::Map::new();
    for k in ["config", "best_epoch", "train_samples", "validation_samples", "test_samples", "validation", "test", "device"] {
        extra.insert(k.into(), s[k].clone());
    }
    e.extra = extra;
    write_direction(out, &trained.net.export_weights()?.into(), &e)?;

    // Parity on up to 256 validation windows, fed to every engine already scaled.
    let spec =
        DatasetSpec { lookback: cfg.lookback, alignment: e.alignment, embargo: cfg.embargo, market: cfg.market, ..Default::default() };
    let ds = DirectionDataset::build(series, &spec)?;
    let picked: Vec<Sample> = ds.samples.iter().filter(|s| s.split == Split::Validation).step_by(97).take(256).copied().collect();
    let mut buf = Vec::new();
    let (x, _) = direction_batch(&ds, &picked, &mut buf, device);
    let (xs, want) = {
        let _guard = tch::no_grad_guard();
        let xs = trained.net.scale(&x);
        let p = trained.net.logits(&xs, false).softmax(-1, Kind::Float);
        (Vec::<f32>::try_from(xs.to_device(Device::Cpu).flatten(0, -1))?, Vec::<f32>::try_from(p.to_device(Device::Cpu).flatten(0, -1))?)
    };
    let shape = [picked.len(), cfg.lookback, ds.width()];
    let mut worst = 0f64;
    for m in parity::engines(out)? {
        let mut got = vec![0f32; want.len()];
        m.run(&[TensorIn { shape: &shape, data: &xs }], &mut got)?;
        worst = worst.max(parity::check(&m, &format!("probabilities vs tch on {} validation windows", picked.len()), &got, &want)?);
    }
    Ok(worst)
}

/// Runs an ensemble bundle and its members on up to 512 validation windows of the real data with
/// every engine available; fails unless the ensemble equals the members' mean within 1e-5.
pub fn check_ensemble(ensemble: &Path, members: &[std::path::PathBuf], series: &[trendcast::bars::BarSeries]) -> Result<f64> {
    let m = Model::open(ensemble, &OpenOptions { backend: BackendKind::Tract, ..Default::default() })?;
    let spec = DatasetSpec {
        lookback: m.manifest().window,
        alignment: m.manifest().alignment,
        market: m.manifest().reads_market(),
        ..Default::default()
    };
    let ds = DirectionDataset::build(series, &spec)?;
    let picked: Vec<Sample> = ds.samples.iter().filter(|s| s.split == Split::Validation).step_by(701).take(512).copied().collect();
    let w = ds.width();
    let mut x = vec![0f32; picked.len() * spec.lookback * w];
    for (s, win) in picked.iter().zip(x.chunks_exact_mut(spec.lookback * w)) {
        ds.window_f32(s, win);
    }
    if let Some(sc) = &m.manifest().scaler {
        for row in x.chunks_exact_mut(w) {
            for (k, v) in row.iter_mut().enumerate() {
                *v = ((*v as f64 - sc.mean[k]) / sc.std[k]) as f32;
            }
        }
    }
    let shape = [picked.len(), spec.lookback, w];
    let run = |dir: &Path, backend: BackendKind| -> Result<Vec<f32>> {
        let m = Model::open(dir, &OpenOptions { backend, ..Default::default() })?;
        let mut out = vec![0f32; picked.len() * 3];
        m.run(&[TensorIn { shape: &shape, data: &x }], &mut out)?;
        Ok(out)
    };
    let mut mean = vec![0f32; picked.len() * 3];
    for d in members {
        for (a, b) in mean.iter_mut().zip(run(d, BackendKind::Tract)?) {
            *a += b / members.len() as f32;
        }
    }
    let mut worst = 0f64;
    for m in parity::engines(ensemble)? {
        let mut got = vec![0f32; picked.len() * 3];
        m.run(&[TensorIn { shape: &shape, data: &x }], &mut got)?;
        worst =
            worst.max(parity::check(&m, &format!("ensemble vs its members' mean on {} validation windows", picked.len()), &got, &mean)?);
    }
    Ok(worst)
}
