//! Where training runs: the GPU when CUDA is available at run time, the CPU otherwise.

use tch::Device;

/// The device to train on, and a line saying which it is and why.
pub fn pick(force_cpu: bool) -> (Device, String) {
    if force_cpu {
        return (Device::Cpu, "cpu (asked for)".into());
    }
    if tch::Cuda::is_available() {
        (Device::Cuda(0), format!("cuda:0 ({} CUDA device(s) visible)", tch::Cuda::device_count()))
    } else {
        (Device::Cpu, format!("cpu (no CUDA device; {} threads)", tch::get_num_threads()))
    }
}
