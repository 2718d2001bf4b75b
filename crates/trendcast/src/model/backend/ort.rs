//! ONNX Runtime through `ort` with `load-dynamic`: the library is loaded at run time with
//! `ort::init_from` (an error, not a panic, when it is missing or too old), one environment per
//! process, inputs passed to the session as borrowed views (no copy).

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::AsPointer;
use ort::environment::Environment;
use ort::ep;
use ort::session::Session;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::value::TensorRef;

use super::{BackendKind, Device, Engine, TensorIn};
use crate::error::{Error, Result};

/// The library file name of the ONNX Runtime release this crate is built for (toolchain.md:
/// `api-31` needs >= 1.31), as the PyPI wheel and `scripts/setup-deps.sh` name it.
const LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";
/// The name the system loader resolves (LD_LIBRARY_PATH, rpath, ld.so.cache).
const SONAME: &str = "libonnxruntime.so.1";

fn ort_err<R>(e: ort::Error<R>) -> Error {
    Error::backend(format!("onnxruntime: {e}"))
}

/// Where to load ONNX Runtime from, the first that applies: the explicit option; then
/// `$TRENDCAST_ORT_LIB`; then a copy beside the library (or program) holding this code, where
/// `make install ORT_LIB=...` and the Python wheel put one; then the bare soname, for the system
/// loader. Never a path of the machine that built the library.
pub(crate) fn library_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("TRENDCAST_ORT_LIB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(dir) = own_folder() {
        for name in [LIBRARY_FILE, SONAME, "libonnxruntime.so"] {
            let beside = dir.join(name);
            if beside.is_file() {
                return beside;
            }
        }
    }
    PathBuf::from(SONAME)
}

/// The folder of the shared library (or statically linked program) this code was loaded from.
#[cfg(unix)]
fn own_folder() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: dladdr only reads the loader's tables; a zeroed Dl_info is a valid out-parameter.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let found = unsafe { libc::dladdr(own_folder as *const libc::c_void, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the loader.
    let file = Path::new(std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(info.dli_fname) }.to_bytes()));
    // The main program's name comes back as it was started (maybe relative): use its real path.
    let file = if file.is_absolute() { file.to_path_buf() } else { std::env::current_exe().ok()? };
    file.parent().map(Path::to_path_buf)
}

#[cfg(not(unix))]
fn own_folder() -> Option<PathBuf> {
    std::env::current_exe().ok()?.parent().map(Path::to_path_buf)
}

/// The process's one environment and the library it came from. ONNX Runtime allows one
/// environment per process, even after the first is dropped, so it is never dropped.
static ENVIRONMENT: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

fn environment(lib: &Path) -> Result<Environment> {
    let mut guard = ENVIRONMENT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((loaded, env)) = guard.as_ref() {
        if loaded != lib {
            return Err(Error::backend(format!(
                "ONNX Runtime is already loaded from {}; a process can load only one (asked for {})",
                loaded.display(),
                lib.display()
            )));
        }
        return Ok(env.clone());
    }
    let bare = lib.parent().is_none_or(|p| p.as_os_str().is_empty());
    if bare {
        // The last resort of library_path: say every place that was looked in.
        // SAFETY: loading runs the library's initialisers, as ort's own attempt would.
        if let Err(e) = unsafe { libloading::Library::new(lib) } {
            let beside = own_folder().map_or_else(|| "this library's folder".to_string(), |d| d.display().to_string());
            return Err(Error::backend(format!(
                "ONNX Runtime not found: no open option, TRENDCAST_ORT_LIB unset, no {LIBRARY_FILE} in {beside}, and the \
                 system loader has no {SONAME} ({}); set TRENDCAST_ORT_LIB to the library (scripts/setup-deps.sh \
                 fetches it into .deps/onnxruntime), or use the tract backend",
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string())
            )));
        }
    } else if !lib.exists() {
        return Err(Error::backend(format!(
            "ONNX Runtime library not found at {} (run scripts/setup-deps.sh, or set TRENDCAST_ORT_LIB)",
            lib.display()
        )));
    }
    let env = ort::init_from(lib)
        .map_err(|e| Error::backend(format!("cannot load ONNX Runtime from {}: {e}{}", lib.display(), loader_reason(lib))))?
        .with_name("trendcast")
        .with_telemetry(false)
        .build()
        .map_err(ort_err)?;
    *guard = Some((lib.to_path_buf(), env.clone()));
    Ok(env)
}

/// Why the system loader refuses `lib` (its dlerror text: not an ELF file, a missing dependency,
/// another architecture), which ort's error leaves out; empty when the loader accepts it.
fn loader_reason(lib: &Path) -> String {
    // SAFETY: loading runs the library's initialisers, as ort's own attempt just did.
    match unsafe { libloading::Library::new(lib) } {
        Ok(_) => String::new(),
        // libloading's message is "dlopen failed"; the loader's text is its source.
        Err(e) => format!(" ({})", std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string())),
    }
}

pub(crate) struct OrtEngine {
    /// `Session::run` needs `&mut`: calls on one model are serialised.
    session: Mutex<Session>,
    output: String,
    provider: String,
}

fn builder(env: &Environment) -> Result<SessionBuilder> {
    Session::builder(env)
        .map_err(ort_err)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(ort_err)?
        .with_intra_threads(1)
        .map_err(ort_err)?
        .with_inter_threads(1)
        .map_err(ort_err)?
        // Lets the session say afterwards which execution provider runs its nodes.
        .with_config_entry("session.record_ep_graph_assignment_info", "1")
        .map_err(ort_err)
}

impl OrtEngine {
    /// A session for `onnx` on `device`. Asking for CUDA where it cannot run (a CPU-only library or
    /// no GPU) falls back to the CPU provider; `note` receives why.
    pub(crate) fn new(lib: &Path, onnx: &[u8], output: &str, device: Device, note: &mut Option<String>) -> Result<Self> {
        let env = environment(lib)?;
        let session = match device {
            Device::Cpu => builder(&env)?.commit_from_memory(onnx).map_err(ort_err)?,
            Device::Cuda(id) => {
                let cuda = ep::CUDA::default().with_device_id(id as i32).build().error_on_failure();
                match builder(&env)?
                    .with_execution_providers([cuda])
                    .map_err(ort_err)
                    .and_then(|mut b| b.commit_from_memory(onnx).map_err(ort_err))
                {
                    Ok(s) => s,
                    Err(e) => {
                        *note = Some(format!("CUDA execution provider unavailable, running on CPU: {e}"));
                        builder(&env)?.commit_from_memory(onnx).map_err(ort_err)?
                    }
                }
            }
        };
        let provider = assigned_providers(&session)?.join("+");
        Ok(OrtEngine { session: Mutex::new(session), output: output.to_string(), provider })
    }
}

impl Engine for OrtEngine {
    fn run(&self, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = match inputs {
            [a] => session.run(ort::inputs![view(a)?]),
            [a, b, c] => session.run(ort::inputs![view(a)?, view(b)?, view(c)?]),
            // A window graph taking its encodings in pieces: a list of views.
            _ => {
                let views = inputs.iter().map(|t| Ok(view(t)?.into())).collect::<Result<Vec<ort::session::SessionInputValue<'_>>>>()?;
                session.run(views.as_slice())
            }
        }
        .map_err(ort_err)?;
        let (_, data) = outputs[self.output.as_str()].try_extract_tensor::<f32>().map_err(ort_err)?;
        if data.len() != out.len() {
            return Err(Error::backend(format!("output has {} values, expected {}", data.len(), out.len())));
        }
        out.copy_from_slice(data);
        Ok(())
    }

    fn backend(&self) -> BackendKind {
        BackendKind::Ort
    }

    fn execution_provider(&self) -> &str {
        &self.provider
    }
}

/// A borrowed view of an input: ONNX Runtime reads the caller's memory, no copy.
fn view<'a>(t: &TensorIn<'a>) -> Result<TensorRef<'a, f32>> {
    TensorRef::from_array_view((t.shape, t.data)).map_err(ort_err)
}

/// The execution providers that run at least one node of the session's graph. ort has no safe
/// wrapper for this (C API 24+); it needs `session.record_ep_graph_assignment_info = 1`.
fn assigned_providers(session: &Session) -> Result<Vec<String>> {
    let api = ort::api();
    let mut subgraphs: *const *const ort::sys::OrtEpAssignedSubgraph = std::ptr::null();
    let mut n: usize = 0;
    // SAFETY: the session pointer is valid for the call; ONNX Runtime owns the returned array,
    // which lives as long as the session.
    unsafe {
        ort::Error::result_from_status((api.Session_GetEpGraphAssignmentInfo)(session.ptr(), &mut subgraphs, &mut n)).map_err(ort_err)?;
    }
    let mut names: Vec<String> = Vec::new();
    for i in 0..n {
        let mut name: *const std::ffi::c_char = std::ptr::null();
        // SAFETY: i < n entries returned above; the name is a NUL-terminated string owned by ORT.
        unsafe {
            ort::Error::result_from_status((api.EpAssignedSubgraph_GetEpName)(*subgraphs.add(i), &mut name)).map_err(ort_err)?;
            if !name.is_null() {
                let s = CStr::from_ptr(name).to_string_lossy().into_owned();
                if !names.contains(&s) {
                    names.push(s);
                }
            }
        }
    }
    if names.is_empty() {
        names.push("CPUExecutionProvider".into());
    }
    Ok(names)
}
