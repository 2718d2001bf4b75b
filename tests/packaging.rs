//! Packaging: `make install PREFIX=<tmp>` installs the libraries, headers, pkg-config files and
//! CMake package; outside programs then build against the installed copy only, with
//! `pkg-config --cflags --libs trendcast` (shared), `trendcast-static` (static) and a CMake project
//! using `find_package(trendcast)` (CMAKE_PREFIX_PATH=<tmp>), and run. `make uninstall` removes it.
//!
//! An installed library finds ONNX Runtime beside itself (`make install ORT_LIB=...`), with no
//! TRENDCAST_ORT_LIB and no path of the build tree: the C program below opens a bundle on the ort
//! backend from the prefix, once before ONNX Runtime is installed there (a named error) and once
//! after.
//!
//! The release library must be built (cargo builds it for this test); `make install` is pointed at
//! the very build this test belongs to (RELEASE_DIR). Without cmake the CMake part prints SKIPPED,
//! unless TRENDCAST_REQUIRE_CMAKE is set (scripts/test.sh installs cmake and sets it).

mod common;

use common::native::{lib_dir, root};

use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

const INSTALLED: [&str; 8] = [
    "lib/libtrendcast.so",
    "lib/libtrendcast.a",
    "include/trendcast.h",
    "include/trendcast.hpp",
    "lib/pkgconfig/trendcast.pc",
    "lib/pkgconfig/trendcast-static.pc",
    "lib/cmake/trendcast/trendcastConfig.cmake",
    "lib/cmake/trendcast/trendcastConfigVersion.cmake",
];

/// The shared libraries an executable names (readelf -d), to tell a static from a shared link.
fn needed(exe: &Path) -> String {
    run(Command::new("readelf").arg("-d").arg(exe)).lines().filter(|l| l.contains("(NEEDED)")).collect::<Vec<_>>().join("\n")
}

#[test]
fn make_install_serves_pkg_config_and_cmake_consumers() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("prefix");
    let make = |target: &str| {
        run(Command::new("make")
            .arg("-C")
            .arg(root())
            .arg(target)
            .arg(format!("PREFIX={}", prefix.display()))
            .arg(format!("RELEASE_DIR={}", lib_dir().display())))
    };
    make("install");
    for f in INSTALLED {
        assert!(prefix.join(f).is_file(), "make install did not install {f}");
    }
    let model = tmp.path().join("model");
    common::models::direction_bundle(&model, 16, 30);
    // The outside programs: the README's C and C++ examples, built from a copy outside the tree.
    let src = tmp.path().join("consumer");
    std::fs::create_dir_all(&src).unwrap();
    for f in ["bindings/examples/example.c", "bindings/examples/example.cpp", "packaging/tests/consumer/CMakeLists.txt"] {
        std::fs::copy(root().join(f), src.join(Path::new(f).file_name().unwrap())).unwrap();
    }
    let mut outputs = Vec::new();

    // pkg-config: only the installed copy is visible.
    let pc_path = prefix.join("lib/pkgconfig");
    let pkg_config = |args: &[&str]| -> Vec<String> {
        run(Command::new("pkg-config").args(args).env("PKG_CONFIG_PATH", &pc_path)).split_whitespace().map(str::to_string).collect()
    };
    assert_eq!(pkg_config(&["--modversion", "trendcast"]), ["0.1.0"]);
    assert_eq!(pkg_config(&["--modversion", "trendcast-static"]), ["0.1.0"]);
    assert!(pkg_config(&["--static", "--libs", "trendcast"]).contains(&"-ldl".to_string()));
    let libdir = pkg_config(&["--variable=libdir", "trendcast"]).concat();
    assert_eq!(Path::new(&libdir), prefix.join("lib"));
    for (module, exe) in [("trendcast", "example_c_shared"), ("trendcast-static", "example_c_static_pc")] {
        let exe = tmp.path().join(exe);
        run(Command::new("cc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
            .args(pkg_config(&["--cflags", module]))
            .arg(src.join("example.c"))
            .arg("-o")
            .arg(&exe)
            .args(pkg_config(&["--libs", module]))
            .arg("-lm")
            .arg(format!("-Wl,-rpath,{libdir}")));
        let linked = needed(&exe);
        assert_eq!(linked.contains("libtrendcast"), module == "trendcast", "{module}: {linked}");
        outputs.push((exe.clone(), run(Command::new(&exe).arg(&model))));
    }

    // CMake: find_package(trendcast) from CMAKE_PREFIX_PATH, both imported targets.
    if have("cmake") {
        let build = tmp.path().join("build");
        run(Command::new("cmake")
            .arg("-S")
            .arg(&src)
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
            .arg("-DCMAKE_BUILD_TYPE=Release"));
        run(Command::new("cmake").arg("--build").arg(&build));
        assert!(needed(&build.join("example_cpp")).contains("libtrendcast.so"));
        assert!(!needed(&build.join("example_c_static")).contains("libtrendcast"));
        for exe in ["example_cpp", "example_c_static"] {
            outputs.push((build.join(exe), run(Command::new(build.join(exe)).arg(&model))));
        }
    } else {
        assert!(std::env::var_os("TRENDCAST_REQUIRE_CMAKE").is_none(), "TRENDCAST_REQUIRE_CMAKE is set but cmake is not installed");
        eprintln!("SKIPPED the CMake consumer: cmake is not installed (apt-get install -y cmake)");
    }

    // Every build gives the same answer.
    let (first, want) = &outputs[0];
    assert!(want.starts_with("down ") && want.contains(" up "), "{want}");
    for (exe, out) in &outputs {
        assert_eq!(out, want, "{} vs {}", exe.display(), first.display());
    }

    make("uninstall");
    for f in INSTALLED {
        assert!(!prefix.join(f).exists(), "make uninstall left {f}");
    }
}

/// Opens argv[1] on the ONNX Runtime backend with default options otherwise, and prints the backend.
const ORT_PROGRAM: &str = r#"
#include <stdio.h>
#include "trendcast.h"
int main(int argc, char **argv) {
    struct trendcast_open_options o = trendcast_open_options_default();
    o.backend = TRENDCAST_BACKEND_ORT;
    trendcast_model *m = NULL;
    if (argc < 2 || trendcast_model_open(argv[1], &o, &m) != TRENDCAST_STATUS_OK) {
        fprintf(stderr, "open: %s\n", trendcast_last_error());
        return 1;
    }
    printf("%s %s\n", trendcast_model_backend(m), trendcast_model_execution_provider(m));
    trendcast_model_free(m);
    return 0;
}
"#;

#[test]
fn installed_library_finds_onnx_runtime_beside_itself() {
    if !common::models::ort_available() {
        return;
    }
    let ort = std::path::PathBuf::from(std::env::var_os("TRENDCAST_ORT_LIB").unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("prefix");
    let make = |target: &str, ort_lib: Option<&Path>| {
        let mut cmd = Command::new("make");
        cmd.arg("-C").arg(root()).arg(target).arg(format!("PREFIX={}", prefix.display()));
        cmd.arg(format!("RELEASE_DIR={}", lib_dir().display()));
        if let Some(l) = ort_lib {
            cmd.arg(format!("ORT_LIB={}", l.display()));
        }
        run(&mut cmd)
    };
    make("install", None);
    let model = tmp.path().join("model");
    common::models::direction_bundle(&model, 16, 30);
    let src = tmp.path().join("ort.c");
    std::fs::write(&src, ORT_PROGRAM).unwrap();
    let exe = tmp.path().join("ort_program");
    let lib = prefix.join("lib");
    run(Command::new("cc")
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(prefix.join("include"))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg("-ltrendcast")
        .arg(format!("-Wl,-rpath,{}", lib.display())));
    // Nothing points at ONNX Runtime: no variable, no loader path. The build tree's copy in .deps is
    // still there: the first run shows the library does not look for it.
    let program = || {
        let mut cmd = Command::new(&exe);
        cmd.arg(&model).env_remove("TRENDCAST_ORT_LIB").env("LD_LIBRARY_PATH", "").current_dir(tmp.path());
        cmd
    };
    let before = program().output().unwrap();
    let said = String::from_utf8_lossy(&before.stderr);
    assert!(!before.status.success(), "opened on ort with no ONNX Runtime installed: {}", String::from_utf8_lossy(&before.stdout));
    assert!(
        said.contains("ONNX Runtime not found") && said.contains("TRENDCAST_ORT_LIB") && said.contains(&lib.display().to_string()),
        "{said}"
    );

    make("install", Some(&ort));
    assert!(lib.join(ort.file_name().unwrap()).is_file());
    let out = run(&mut program());
    assert_eq!(out.trim(), "ort CPUExecutionProvider");

    make("uninstall", Some(&ort));
    assert!(!lib.join(ort.file_name().unwrap()).exists(), "make uninstall left ONNX Runtime");
}
