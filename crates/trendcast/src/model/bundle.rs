//! A bundle on disk: `DIR/manifest.json` (the contract) and the ONNX file it names. Loading checks
//! the file's sha256, that it parses, and that its declared inputs and outputs are the contract's.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tract_onnx::pb::ModelProto;

use super::manifest::{Manifest, TensorSpec};
use super::onnx;
use crate::error::{Error, Result};

pub const MANIFEST_FILE: &str = "manifest.json";

/// A checked bundle: its contract and its parsed ONNX graphs.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// The main graph: a direction model, or a ranking model's window graph.
    pub onnx: ModelProto,
    pub onnx_bytes: Vec<u8>,
    /// A ranking model's encoder graph.
    pub encoder: Option<Graph>,
}

/// One more ONNX graph of a bundle: parsed, and the bytes it was parsed from (what ONNX Runtime reads).
#[derive(Debug, Clone)]
pub struct Graph {
    pub onnx: ModelProto,
    pub bytes: Vec<u8>,
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The file name a bundle's graph may have: one component inside the bundle.
fn check_file_name(file: &str) -> Result<()> {
    if file.is_empty() || Path::new(file).components().count() != 1 {
        return Err(Error::contract(format!("onnx_file {file:?} must be a file name inside the bundle")));
    }
    Ok(())
}

/// Reads one graph of the bundle and checks it against its part of the contract: the sha256 of the
/// file, that it parses, and that it declares exactly the contract's inputs and outputs.
fn read_graph(
    dir: &Path,
    file: &str,
    sha256: &str,
    contract: (&[TensorSpec], &[TensorSpec]),
    read_onnx: &mut impl FnMut(&str) -> Result<Vec<u8>>,
) -> Result<Graph> {
    let opath = dir.join(file);
    let bytes = read_onnx(file)?;
    let sha = sha256_hex(&bytes);
    if sha != sha256 {
        return Err(Error::contract(format!(
            "{} has sha256 {sha}, the manifest says {sha256} (a changed or truncated file)",
            opath.display()
        )));
    }
    let proto = onnx::decode(&bytes).map_err(|e| Error::model(format!("{}: {e}", opath.display())))?;
    check_weights(&proto, &opath)?;
    let (inputs, outputs) = onnx::declared_io(&proto)?;
    if inputs != contract.0 || outputs != contract.1 {
        let show = |v: &[TensorSpec]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::contract(format!(
            "{} declares inputs {} and outputs {}, the manifest {} and {}",
            opath.display(),
            show(&inputs),
            show(&outputs),
            show(contract.0),
            show(contract.1)
        )));
    }
    Ok(Graph { onnx: proto, bytes })
}

/// Refuses a graph with a weight that is not finite, naming it.
fn check_weights(proto: &ModelProto, file: &Path) -> Result<()> {
    match onnx::non_finite_weight(proto)? {
        None => Ok(()),
        Some((name, i, v)) => Err(Error::model(format!(
            "{}: weight {name:?} holds {v} at {i}: a model whose weights are not finite cannot answer (a diverged training?)",
            file.display()
        ))),
    }
}

impl Bundle {
    /// Reads and checks a bundle directory. A file that cannot be read is an I/O error, as one that
    /// cannot be written is when a bundle is saved; one that reads but is not a model is a model
    /// error.
    pub fn load(dir: &Path) -> Result<Bundle> {
        let mpath = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&mpath).map_err(|source| Error::Io { path: mpath.clone(), source })?;
        Bundle::from_parts(dir, &text, |file| {
            let opath = dir.join(file);
            std::fs::read(&opath).map_err(|source| Error::Io { path: opath, source })
        })
    }

    /// Checks a bundle given as its manifest's text and a reader of the ONNX files it names (`dir`
    /// names the bundle in messages): what [`load`](Self::load) does after reading the manifest.
    pub fn from_parts(dir: &Path, manifest_text: &str, mut read_onnx: impl FnMut(&str) -> Result<Vec<u8>>) -> Result<Bundle> {
        let mpath = dir.join(MANIFEST_FILE);
        let manifest: Manifest = serde_json::from_str(manifest_text)
            .map_err(|e| Error::contract(format!("{} is not a valid manifest: {e}", mpath.display())))?;
        check_file_name(&manifest.onnx_file)?;
        manifest.check()?;
        let main = read_graph(dir, &manifest.onnx_file, &manifest.onnx_sha256, (&manifest.inputs, &manifest.outputs), &mut read_onnx)?;
        let encoder = match &manifest.encoder {
            None => None,
            Some(e) => {
                check_file_name(&e.onnx_file)?;
                Some(read_graph(dir, &e.onnx_file, &e.onnx_sha256, (&e.inputs, &e.outputs), &mut read_onnx)?)
            }
        };
        Ok(Bundle { dir: dir.to_path_buf(), manifest, onnx: main.onnx, onnx_bytes: main.bytes, encoder })
    }

    /// Writes a bundle: the ONNX file(s) and a manifest whose file names and sha256 sums are set
    /// here (a ranking model's `encoder` must be declared in `manifest` and given as `encoder`).
    /// Checks the contract first, so a bundle that this library would refuse is never written.
    pub fn write(dir: &Path, manifest: &mut Manifest, onnx_model: &ModelProto, encoder: Option<&ModelProto>) -> Result<()> {
        check_weights(onnx_model, &dir.join(if manifest.onnx_file.is_empty() { "model.onnx" } else { &manifest.onnx_file }))?;
        if let Some(e) = encoder {
            check_weights(e, &dir.join("encoder.onnx"))?;
        }
        let bytes = onnx::encode(onnx_model);
        if manifest.onnx_file.is_empty() {
            manifest.onnx_file = "model.onnx".into();
        }
        manifest.onnx_sha256 = sha256_hex(&bytes);
        let encoder_bytes = match (encoder, manifest.encoder.as_mut()) {
            (Some(proto), Some(e)) => {
                let b = onnx::encode(proto);
                if e.onnx_file.is_empty() {
                    e.onnx_file = "encoder.onnx".into();
                }
                e.onnx_sha256 = sha256_hex(&b);
                Some((e.onnx_file.clone(), b))
            }
            (None, None) => None,
            _ => return Err(Error::argument("an encoder graph is written exactly when the manifest declares one")),
        };
        manifest.check()?;
        let io = |p: PathBuf| move |source| Error::Write { path: p, source };
        std::fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
        for (file, bytes) in [(manifest.onnx_file.clone(), bytes)].into_iter().chain(encoder_bytes) {
            let opath = dir.join(file);
            std::fs::write(&opath, &bytes).map_err(io(opath.clone()))?;
        }
        let mpath = dir.join(MANIFEST_FILE);
        let json = serde_json::to_string_pretty(manifest).expect("a manifest always serialises");
        std::fs::write(&mpath, json + "\n").map_err(io(mpath.clone()))?;
        Ok(())
    }
}
