//! A bundle on disk: `DIR/manifest.json` (the contract) and the ONNX file it names. Loading checks
//! the file's sha256, that it parses, and that its declared inputs and outputs are the contract's.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tract_onnx::pb::ModelProto;

use super::manifest::Manifest;
use super::onnx;
use crate::error::{Error, Result};

pub const MANIFEST_FILE: &str = "manifest.json";

/// A checked bundle: its contract and its parsed ONNX graph.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub onnx: ModelProto,
    pub onnx_bytes: Vec<u8>,
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Bundle {
    /// Reads and checks a bundle directory.
    pub fn load(dir: &Path) -> Result<Bundle> {
        let mpath = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&mpath).map_err(|e| Error::model(format!("cannot read {}: {e}", mpath.display())))?;
        Bundle::from_parts(dir, &text, |file| {
            let opath = dir.join(file);
            std::fs::read(&opath).map_err(|e| Error::model(format!("cannot read {}: {e}", opath.display())))
        })
    }

    /// Checks a bundle given as its manifest's text and a reader of the ONNX file it names (`dir`
    /// names the bundle in messages): what [`load`](Self::load) does after reading the manifest.
    pub fn from_parts(dir: &Path, manifest_text: &str, read_onnx: impl FnOnce(&str) -> Result<Vec<u8>>) -> Result<Bundle> {
        let mpath = dir.join(MANIFEST_FILE);
        let manifest: Manifest =
            serde_json::from_str(manifest_text).map_err(|e| Error::contract(format!("{} is not a valid manifest: {e}", mpath.display())))?;
        if manifest.onnx_file.is_empty() || Path::new(&manifest.onnx_file).components().count() != 1 {
            return Err(Error::contract(format!("onnx_file {:?} must be a file name inside the bundle", manifest.onnx_file)));
        }
        let opath = dir.join(&manifest.onnx_file);
        let onnx_bytes = read_onnx(&manifest.onnx_file)?;
        let sha = sha256_hex(&onnx_bytes);
        if sha != manifest.onnx_sha256 {
            return Err(Error::contract(format!(
                "{} has sha256 {sha}, the manifest says {} (a changed or truncated file)",
                opath.display(),
                manifest.onnx_sha256
            )));
        }
        manifest.check()?;
        let proto = onnx::decode(&onnx_bytes).map_err(|e| Error::model(format!("{}: {e}", opath.display())))?;
        let (inputs, outputs) = onnx::declared_io(&proto)?;
        if inputs != manifest.inputs || outputs != manifest.outputs {
            let show = |v: &[super::manifest::TensorSpec]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
            return Err(Error::contract(format!(
                "the ONNX graph declares inputs {} and outputs {}, the manifest {} and {}",
                show(&inputs),
                show(&outputs),
                show(&manifest.inputs),
                show(&manifest.outputs)
            )));
        }
        Ok(Bundle { dir: dir.to_path_buf(), manifest, onnx: proto, onnx_bytes })
    }

    /// Writes a bundle: the ONNX file and a manifest whose `onnx_file` and `onnx_sha256` are set
    /// here. Checks the contract first, so a bundle that this library would refuse is never written.
    pub fn write(dir: &Path, manifest: &mut Manifest, onnx_model: &ModelProto) -> Result<()> {
        let bytes = onnx::encode(onnx_model);
        if manifest.onnx_file.is_empty() {
            manifest.onnx_file = "model.onnx".into();
        }
        manifest.onnx_sha256 = sha256_hex(&bytes);
        manifest.check()?;
        let io = |p: PathBuf| move |source| Error::Write { path: p, source };
        std::fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
        let opath = dir.join(&manifest.onnx_file);
        std::fs::write(&opath, &bytes).map_err(io(opath.clone()))?;
        let mpath = dir.join(MANIFEST_FILE);
        let json = serde_json::to_string_pretty(manifest).expect("a manifest always serialises");
        std::fs::write(&mpath, json + "\n").map_err(io(mpath.clone()))?;
        Ok(())
    }
}
