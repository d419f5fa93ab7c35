// torch.distributed process group for the LibTorch examples' --distributed mode (one process per
// GPU with NCCL, or per CPU slot with gloo), set up the way torchrun's env:// rendezvous does it:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT from the environment (flags may override),
// a c10d::TCPStore served by rank 0 (or by torchrun's agent when TORCHELASTIC_USE_AGENT_STORE=True),
// a PrefixStore, then c10d::ProcessGroupGloo or ProcessGroupNCCL. The reductions themselves are
// infogeo/torch/distributed.hpp's; this file only connects. See docs/distributed.md.
// Needs gloo's headers (and nccl.h for NCCL): CMake defines INFOGEO_WITH_C10D (and USE_C10D_NCCL)
// through cmake/infogeoTorchDistributed.cmake.
#pragma once

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#include <torch/version.h>
#if defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace example_dist {

// LibTorch 1.13: the backends derive from c10d::ProcessGroup; 2.x: from c10d::Backend. Both have
// the allreduce / allgather / broadcast / getSize that infogeo/torch/distributed.hpp calls.
#if TORCH_VERSION_MAJOR >= 2
using group_base = c10d::Backend;
#else
using group_base = c10d::ProcessGroup;
#endif

/// NVLink multicast must stay off on the shared multi-GPU hosts (it can put their GPUs out of
/// service): NCCL_NVLS_ENABLE=0, TORCH_SYMM_MEM_DISABLE_MULTICAST=1, NVSHMEM_DISABLE_NVLS=1 are set
/// in this process before anything initialises CUDA or NCCL; another value already set is
/// overridden with a note on stderr. The launcher (run_distributed.sh) sets them as well.
inline void disable_multicast() {
  const char* vars[][2] = {
      {"NCCL_NVLS_ENABLE", "0"}, {"TORCH_SYMM_MEM_DISABLE_MULTICAST", "1"}, {"NVSHMEM_DISABLE_NVLS", "1"}};
  for (const auto& kv : vars) {
    const char* now = std::getenv(kv[0]);
    if (now && std::string(now) == kv[1]) continue;
    if (now) std::fprintf(stderr, "note: %s=%s overridden to %s (NVLink multicast stays off)\n", kv[0], now, kv[1]);
    setenv(kv[0], kv[1], 1);
  }
}

/// Where this process sits in the job. Defaults, then the torchrun-style environment
/// (from_environment), then command-line flags (set by the caller), then check().
struct launch_config {
  int rank = 0, world = 1, local_rank = -1;  // local_rank -1: same as rank
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string backend = "auto";  // auto: nccl on CUDA (when built with NCCL), else gloo
  bool agent_store = false;      // torchrun's agent already serves the store: rank 0 is a client too
};

/// Whole-string integer parse; throws std::invalid_argument naming `what` and the text.
inline int parse_int(const std::string& what, const std::string& text) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size()) throw std::invalid_argument(what + " must be an integer (got '" + text + "')");
  return v;
}

/// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE.
inline void from_environment(launch_config& l) {
  auto get = [](const char* name) -> const char* { return std::getenv(name); };
  if (const char* v = get("RANK")) l.rank = parse_int("RANK", v);
  if (const char* v = get("WORLD_SIZE")) l.world = parse_int("WORLD_SIZE", v);
  if (const char* v = get("LOCAL_RANK")) l.local_rank = parse_int("LOCAL_RANK", v);
  if (const char* v = get("MASTER_ADDR")) l.master_addr = v;
  if (const char* v = get("MASTER_PORT")) l.master_port = parse_int("MASTER_PORT", v);
  if (const char* v = get("TORCHELASTIC_USE_AGENT_STORE")) l.agent_store = std::string(v) == "True";
}

/// Rejects impossible settings (std::invalid_argument naming the setting and its value).
inline void check(launch_config& l) {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (l.world < 1) bad("world size must be >= 1 (WORLD_SIZE / --world-size = " + std::to_string(l.world) + ")");
  if (l.rank < 0 || l.rank >= l.world)
    bad("rank must be in [0, world size) (RANK / --rank = " + std::to_string(l.rank) + ", world size " +
        std::to_string(l.world) + ")");
  if (l.local_rank < 0) l.local_rank = l.rank;
  if (l.master_port < 1 || l.master_port > 65535)
    bad("master port must be in [1, 65535] (MASTER_PORT / --master-port = " + std::to_string(l.master_port) + ")");
  if (l.master_addr.empty()) bad("master address is empty (MASTER_ADDR / --master-addr)");
  if (l.backend != "auto" && l.backend != "gloo" && l.backend != "nccl")
    bad("backend must be auto, gloo or nccl (--backend " + l.backend + ")");
}

/// The device of this rank: cuda:LOCAL_RANK when CUDA is available (LOCAL_RANK < device count),
/// else the CPU.
inline torch::Device rank_device(const launch_config& l) {
  if (!torch::cuda::is_available()) return torch::Device(torch::kCPU);
  const int count = static_cast<int>(torch::cuda::device_count());
  if (l.local_rank >= count)
    throw std::invalid_argument("LOCAL_RANK / --local-rank = " + std::to_string(l.local_rank) + " but only " +
                                std::to_string(count) + " CUDA devices are visible");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(l.local_rank));
}

struct process_group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<group_base> group;
  std::string backend;  // "gloo" or "nccl"
};

/// Connects this rank (blocks until all `world` ranks have joined the store).
inline process_group connect(const launch_config& l, const torch::Device& device) {
  process_group pg;
  pg.backend = l.backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : l.backend;
#if !defined(USE_C10D_NCCL)
  if (pg.backend == "nccl") {
    if (l.backend == "nccl")
      throw std::invalid_argument("--backend nccl: this build has no NCCL (CPU LibTorch, or nccl.h not found)");
    pg.backend = "gloo";
  }
#endif
  if (pg.backend == "nccl" && !device.is_cuda())
    throw std::invalid_argument("--backend nccl needs CUDA tensors, but this rank runs on the CPU");
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(l.master_port);
  so.isServer = l.rank == 0 && !l.agent_store;
  so.numWorkers = static_cast<std::size_t>(l.world);
  so.waitWorkers = true;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(l.master_addr, so);
  pg.store = c10::make_intrusive<c10d::PrefixStore>("infogeo_example", tcp);
  if (pg.backend == "gloo") {
    auto options = c10d::ProcessGroupGloo::Options::create();
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (l.master_addr == "127.0.0.1" || l.master_addr == "localhost")
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    pg.group = c10::make_intrusive<c10d::ProcessGroupGloo>(pg.store, l.rank, l.world, options);
  } else {
#if defined(USE_C10D_NCCL)
    pg.group = c10::make_intrusive<c10d::ProcessGroupNCCL>(pg.store, l.rank, l.world,
                                                           c10d::ProcessGroupNCCL::Options::create());
#endif
  }
  return pg;
}

}  // namespace example_dist
