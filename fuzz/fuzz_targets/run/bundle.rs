//! The bundle check on an arbitrary manifest and ONNX bytes. The manifest's sha256 is set to the
//! bytes' own (else nearly every input would stop there), so the ONNX decoding and the contract
//! checks see the mutations; a bundle that passes is opened on tract. An error, never a panic.

use trendcast::model::bundle::{Bundle, sha256_hex};
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
    if let Ok(bundle) = Bundle::from_parts(std::path::Path::new("fuzz"), &text, |_| Ok(onnx.clone())) {
        let _ = Model::from_bundle(bundle, &OpenOptions { backend: BackendKind::Tract, ..Default::default() });
    }
}
