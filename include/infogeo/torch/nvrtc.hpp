// Kernels compiled at run time: CUDA C++ source compiled by NVRTC for the device's architecture
// and loaded with the CUDA driver API, once per process, device and source text, and cached. The
// first use of a source pays its compilation (~0.1-0.5 s). Used by the fused exact kernels
// (maxnorm_kernel.hpp, l2_kernel.hpp).
//
// Built only where the including code defines INFOGEO_TORCH_NVRTC and links the driver and NVRTC
// libraries (-lcuda -lnvrtc; CMake: CUDA::cuda_driver, CUDA::nvrtc), with the toolkit's cuda.h and
// nvrtc.h on the include path; infogeo's CMake does all three for a CUDA LibTorch (LibTorch's own
// NVRTC loader header is not shipped in the pip wheels). Elsewhere nvrtc_kernels_compiled() is
// false and the callers take their ATen paths.
//
// Every kernel is compiled with --fmad=false: a multiply followed by an add is never contracted
// into a fused multiply-add, so double arithmetic rounds exactly as the CPU loops do.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(INFOGEO_TORCH_NVRTC)
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <nvrtc.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>
#endif

namespace infogeo::libtorch {

/// Whether this build contains the run-time compiled kernels (INFOGEO_TORCH_NVRTC defined).
inline constexpr bool nvrtc_kernels_compiled() {
#if defined(INFOGEO_TORCH_NVRTC)
  return true;
#else
  return false;
#endif
}

namespace detail {

#if defined(INFOGEO_TORCH_NVRTC)

[[noreturn]] inline void nvrtc_fail(const std::string& what, const std::string& why) {
  throw std::runtime_error("infogeo::libtorch run-time compiled kernel: " + what + " failed: " + why);
}

inline void check_driver(CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return;
  const char* msg = nullptr;
  cuGetErrorString(r, &msg);
  nvrtc_fail(what, msg ? msg : "unknown CUDA driver error");
}

/// The kernel `name` of `source` on `device`, compiled and loaded on first use of (device, source).
/// Thread-safe.
inline CUfunction nvrtc_function(int device, const std::string& source, const char* name) {
  static std::mutex mu;
  static std::map<std::pair<int, std::string>, CUmodule> modules;
  const std::lock_guard<std::mutex> lock(mu);
  CUcontext ctx = nullptr;
  check_driver(cuCtxGetCurrent(&ctx), "cuCtxGetCurrent");
  if (ctx == nullptr) cudaFree(nullptr);  // makes the device's primary context current (runtime API)
  const auto key = std::make_pair(device, source);
  auto it = modules.find(key);
  if (it == modules.end()) {
    nvrtcProgram prog = nullptr;
    if (nvrtcCreateProgram(&prog, source.c_str(), "infogeo_kernel.cu", 0, nullptr, nullptr) != NVRTC_SUCCESS)
      nvrtc_fail("nvrtcCreateProgram", "could not create the program");
    const cudaDeviceProp* prop = at::cuda::getDeviceProperties(device);
    const std::string arch = "--gpu-architecture=sm_" + std::to_string(prop->major) + std::to_string(prop->minor);
    const char* opts[] = {arch.c_str(), "--fmad=false"};
    const nvrtcResult res = nvrtcCompileProgram(prog, 2, opts);
    if (res != NVRTC_SUCCESS) {
      std::size_t log_size = 0;
      nvrtcGetProgramLogSize(prog, &log_size);
      std::string log(log_size, '\0');
      if (log_size > 0) nvrtcGetProgramLog(prog, &log[0]);
      nvrtcDestroyProgram(&prog);
      nvrtc_fail("nvrtcCompileProgram (" + arch + ")", std::string(nvrtcGetErrorString(res)) + "\n" + log);
    }
    std::size_t size = 0;
    nvrtcGetCUBINSize(prog, &size);
    std::vector<char> cubin(size);
    nvrtcGetCUBIN(prog, cubin.data());
    nvrtcDestroyProgram(&prog);
    CUmodule module = nullptr;
    check_driver(cuModuleLoadData(&module, cubin.data()), "cuModuleLoadData");
    it = modules.emplace(key, module).first;
  }
  CUfunction fn = nullptr;
  check_driver(cuModuleGetFunction(&fn, it->second, name), "cuModuleGetFunction");
  return fn;
}

/// Launches `fn` over ceil(threads / block) blocks of `block` threads on the device's current
/// stream (ordered with the surrounding ATen work).
inline void nvrtc_launch(CUfunction fn, std::int64_t threads, int block, void** args, int device) {
  const unsigned blocks = static_cast<unsigned>((threads + block - 1) / block);
  const CUstream stream = at::cuda::getCurrentCUDAStream(device).stream();
  check_driver(cuLaunchKernel(fn, blocks, 1, 1, static_cast<unsigned>(block), 1, 1, 0, stream, args, nullptr),
               "cuLaunchKernel");
}

#endif  // INFOGEO_TORCH_NVRTC

}  // namespace detail
}  // namespace infogeo::libtorch
