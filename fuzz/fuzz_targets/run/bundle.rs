//! The bundle check on an arbitrary manifest and ONNX bytes. The manifest's sha256 is set to the
//! bytes' own (else nearly every input would stop there), so the ONNX decoding and the contract
//! checks see the mutations; a bundle that passes is opened on tract, and a model that opens is
//! run on an input of its contract's shapes. An error, never a panic; a run that succeeds gives
//! finite outputs (probabilities summing to 1 for a direction model): a model with broken weights
//! (S2: NaN) is refused when it opens or runs, never answered with.

use trendcast::model::bundle::{Bundle, sha256_hex};
use trendcast::model::{ModelKind, TensorIn};
use trendcast::{BackendKind, Model, OpenOptions};

pub fn run(input: (String, Vec<u8>)) {
    let (manifest, onnx) = input;
    let text = match serde_json::from_str::<serde_json::Value>(&manifest) {
        Ok(mut v) if v.is_object() => {
            v["onnx_sha256"] = sha256_hex(&onnx).into();
            v.to_string()
        }
        _ => manifest,
    };
    if let Ok(bundle) = Bundle::from_parts(std::path::Path::new("fuzz"), &text, |_| Ok(onnx.clone()))
        && let Ok(model) = Model::from_bundle(bundle, &OpenOptions { backend: BackendKind::Tract, ..Default::default() })
    {
        run_once(&model);
    }
}

/// A run on a made-up input of the contract's shapes (two stocks; a ranking model's four nodes
/// over its window): refused by name, or finite outputs that a direction model's checks accept.
fn run_once(model: &Model) {
    let m = model.manifest();
    match m.kind {
        ModelKind::Direction => {
            let (window, width) = (m.window, m.features.len());
            let input: Vec<f32> = (0..2 * window * width).map(|i| ((i as f32) * 0.37).sin()).collect();
            let mut out = [f32::NAN; 6];
            if model.run(&[TensorIn { shape: &[2, window, width], data: &input }], &mut out).is_ok() {
                for p in out.chunks_exact(3) {
                    assert!(p.iter().all(|v| v.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() <= 1e-3, "{p:?}");
                }
            }
        }
        ModelKind::Ranking => {
            let n = 4;
            let nodes: Vec<f32> = (0..n * model.node_width()).map(|i| ((i as f32) * 0.61).cos()).collect();
            let rel: Vec<f32> = (0..n * n).map(|i| if i / n == i % n { 1.0 } else { 0.25 }).collect();
            let mut day = Vec::new();
            if model.encode_days(n, &nodes, &rel, &rel, &mut day).is_ok() {
                assert!(day.iter().all(|v| v.is_finite()), "encodings not finite");
                let mut scores = [f32::NAN; 4];
                if model.score_days(|_| &day[..], n, &mut scores).is_ok() {
                    assert!(scores.iter().all(|v| v.is_finite()), "{scores:?}");
                }
            }
        }
    }
}
