//! Turning the core crate's samples into tensors: one reused host buffer per batch, so the data
//! path is the serving path (`DirectionDataset::window_f32`), never a re-implementation.

use tch::{Device, Kind, Tensor};
use trendcast_export::dataset::{DirectionDataset, Sample};

/// A batch of windows [B, L, width] (f32; width 13, or 15 with market features) and labels [B]
/// (i64) on `device`.
pub fn direction_batch(ds: &DirectionDataset, samples: &[Sample], buf: &mut Vec<f32>, device: Device) -> (Tensor, Tensor) {
    let (l, w) = (ds.spec.lookback, ds.width());
    buf.resize(samples.len() * l * w, 0.0);
    for (s, chunk) in samples.iter().zip(buf.chunks_exact_mut(l * w)) {
        ds.window_f32(s, chunk);
    }
    let x = Tensor::from_slice(buf).view([samples.len() as i64, l as i64, w as i64]).to_device(device);
    let labels: Vec<i64> = samples.iter().map(|s| s.label as i64).collect();
    let y = Tensor::from_slice(&labels).to_kind(Kind::Int64).to_device(device);
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::{self, Module, RNN};
    use trendcast::bars::synthetic::{SyntheticSpec, generate};
    use trendcast_export::dataset::DatasetSpec;

    /// The core's samples become tensors holding exactly the core's windows, and a GRU runs on them.
    #[test]
    fn batches_carry_the_core_windows_into_libtorch() {
        let u = generate(&SyntheticSpec { days: 320, first_day: trendcast::Date::parse("2018-01-02").unwrap(), ..Default::default() });
        let ds = DirectionDataset::build(&u.series, &DatasetSpec::default()).unwrap();
        let picked: Vec<Sample> = ds.samples.iter().step_by(97).copied().take(16).collect();
        let mut buf = Vec::new();
        let (device, _) = crate::device::pick(true);
        let (x, y) = direction_batch(&ds, &picked, &mut buf, device);
        assert_eq!(x.size(), [16, 30, 13]);
        let w = ds.window(&picked[5]);
        assert_eq!(x.double_value(&[5, 29, 7]), w[29][7] as f32 as f64);
        assert_eq!(y.int64_value(&[3]), picked[3].label as i64);

        let _rng = crate::torch_rng_lock();
        tch::manual_seed(42);
        let vs = nn::VarStore::new(device);
        let gru = nn::gru(vs.root() / "gru", 13, 8, Default::default());
        let head = nn::linear(vs.root() / "head", 8, 3, Default::default());
        let (out, _) = gru.seq(&x);
        let logits = head.forward(&out.select(1, 29));
        assert_eq!(logits.size(), [16, 3]);
        let loss = logits.cross_entropy_for_logits(&y);
        assert!(loss.double_value(&[]).is_finite());
    }
}
