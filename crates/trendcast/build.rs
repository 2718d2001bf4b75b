//! Generates the C header from src/ffi with cbindgen into OUT_DIR. The checked-in copy is
//! include/trendcast.h; tests/c_abi.rs fails when they differ.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("trendcast.h");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    // Only the FFI module is parsed, so no other public constant leaks into the header.
    let mut builder = cbindgen::Builder::new().with_config(config);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("src/ffi"))
        .expect("src/ffi exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("mod.rs"))
        .collect();
    files.sort();
    for f in files {
        builder = builder.with_src(f);
    }
    builder.generate().expect("cbindgen generates the header").write_to_file(&out);
    println!("cargo:rustc-env=TRENDCAST_GENERATED_HEADER={}", out.display());
}
