//! Generates the C header from src/ffi with cbindgen into OUT_DIR. The checked-in copy is
//! include/trendcast.h; a unit test (`ffi::tests`) fails when they differ.
//!
//! The header reads by topic: the files are given to cbindgen in the order of `TOPICS` (it keeps
//! source order), and each topic's first function is introduced by a comment naming the topic.

use std::path::PathBuf;

/// The topics in header order, each with the src/ffi files that make it up.
const TOPICS: [(&str, &[&str]); 6] = [
    ("Version", &["version.rs"]),
    ("Status and errors", &["status.rs", "guard.rs"]),
    ("Bars", &["bars.rs"]),
    ("Model: open, inspect, direction and rank", &["model.rs"]),
    ("Live universe: push a day, answer from the kept state, save and restore", &["universe.rs"]),
    ("Research calls: features, a ranking model's inputs, backtests", &["features.rs", "relations.rs", "backtest.rs"]),
];

/// Files of src/ffi that declare nothing for C.
const INTERNAL: [&str; 2] = ["mod.rs", "handles.rs"];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("trendcast.h");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let ffi = root.join("src/ffi");
    // Every file is in a topic (or internal), so a new one cannot silently drop out of the header.
    for entry in std::fs::read_dir(&ffi).expect("src/ffi exists") {
        let name = entry.expect("readable").file_name().into_string().expect("a UTF-8 file name");
        let listed = TOPICS.iter().any(|(_, files)| files.contains(&name.as_str())) || INTERNAL.contains(&name.as_str());
        assert!(listed || !name.ends_with(".rs"), "src/ffi/{name} is in no topic of build.rs");
    }
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    // Only the FFI module is parsed, so no other public constant leaks into the header.
    let mut builder = cbindgen::Builder::new().with_config(config);
    let mut banners = Vec::new();
    for (topic, files) in TOPICS {
        let mut first = None;
        for file in files {
            let path = ffi.join(file);
            let source = std::fs::read_to_string(&path).expect("readable");
            first = first.or_else(|| first_function(&source));
            builder = builder.with_src(path);
        }
        if let Some(f) = first {
            banners.push((topic, f));
        }
    }
    let mut bytes = Vec::new();
    builder.generate().expect("cbindgen generates the header").write(&mut bytes);
    let mut header = String::from_utf8(bytes).expect("a UTF-8 header");
    for (topic, function) in banners {
        header = with_banner(&header, topic, &function);
    }
    std::fs::write(&out, header).expect("OUT_DIR is writable");
    println!("cargo:rustc-env=TRENDCAST_GENERATED_HEADER={}", out.display());
}

/// The name of the first `extern "C"` function a source file declares.
fn first_function(source: &str) -> Option<String> {
    let at = source.find("extern \"C\" fn ")? + "extern \"C\" fn ".len();
    Some(source[at..].split(['(', '<']).next()?.trim().to_string())
}

/// The header with a topic comment before the declaration of `function` (and its doc comment).
fn with_banner(header: &str, topic: &str, function: &str) -> String {
    let lines: Vec<&str> = header.lines().collect();
    let declared = |l: &&str| {
        let l = l.trim_start();
        !l.starts_with('*')
            && !l.starts_with("/*")
            && l.split('(').next().is_some_and(|head| head.ends_with(&format!(" {function}")) || head.ends_with(&format!("*{function}")))
    };
    let mut at = lines.iter().position(declared).unwrap_or_else(|| panic!("{function} is not in the generated header"));
    if at > 0 && lines[at - 1].trim() == "*/" {
        while !lines[at].trim_start().starts_with("/**") {
            at -= 1;
        }
    }
    let rule = "=".repeat(88usize.saturating_sub(topic.len()).max(4));
    let banner = format!("/* ==== {topic} {rule} */\n");
    let mut out = String::with_capacity(header.len() + banner.len() + 1);
    for (i, l) in lines.iter().enumerate() {
        if i == at {
            out.push_str(&banner);
            out.push('\n');
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}
