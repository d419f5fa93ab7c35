// Measurements across the ranks of a torch.distributed process group (gloo on CPUs, NCCL on
// GPUs): the reductions that make every rank hold the same statistics as one process on all the
// data. The group is a template parameter: any c10d process group or backend with
// allreduce(std::vector<at::Tensor>&), allgather(std::vector<std::vector<at::Tensor>>&,
// std::vector<at::Tensor>&) (each returning a work handle with wait()) and getSize() -- the
// signatures shared by LibTorch 1.13 (c10d::ProcessGroupGloo, ProcessGroupNCCL) and 2.x
// (c10d::ProcessGroup and its backends) -- so this header includes no c10d header itself.
//
// What is reduced and why:
//   * device_class_scatter: every statistic of both passes is a plain sum (counts, class sums, norm
//     sums; then centred residual moments), so an all-reduce SUM after each pass gives every rank
//     the single-process statistics (the pass-1 means, fixed before pass 2, are then identical on
//     all ranks, and so is the pass-2 centring);
//   * nearest-class-centre counts (NC4, NCC accuracy): plain counts, summed;
//   * k-NN estimators (KL, KSG) and the noisy-mixture estimator are NOT sums over samples: a point's
//     neighbours may live on any rank. They are run on a sample gathered from all ranks
//     (allgather_rows: the same rows on every rank, in rank order), which equals the single-process
//     estimate on that same sample. Cost: world * m rows per rank of device memory and traffic.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/torch/class_scatter.hpp"
#include "infogeo/torch/conversions.hpp"
#include "infogeo/torch/ncc.hpp"

namespace infogeo::libtorch {

/// In-place all-reduce (sum) of one tensor across the group; blocks until done.
template <class Group>
void allreduce_sum(Group& group, const at::Tensor& tensor) {
  std::vector<at::Tensor> one{tensor};
  group.allreduce(one)->wait();
}

/// Sums the pass-1 statistics of `acc` over the ranks. Call exactly once on every rank, after the
/// last pass-1 update and before begin_second_pass().
template <class Group>
void allreduce_pass1(device_class_scatter& acc, Group& group) {
  for (const at::Tensor& t : acc.pass1_tensors()) allreduce_sum(group, t);
}

/// Sums the pass-2 statistics of `acc` over the ranks. Call exactly once on every rank, after the
/// last pass-2 update and before finalize(); finalize() then gives the single-process result on
/// every rank (to the summation order: tested to 1e-10 relative).
template <class Group>
void allreduce_pass2(device_class_scatter& acc, Group& group) {
  for (const at::Tensor& t : acc.pass2_tensors()) allreduce_sum(group, t);
}

/// Sums nearest-class-centre counts over the ranks (every rank gets the totals).
template <class Group>
ncc_counts allreduce_counts(const ncc_counts& local, Group& group, const c10::Device& device) {
  const at::Tensor t =
      at::tensor(std::vector<std::int64_t>{local.n, local.agree_with_predictions, local.agree_with_labels},
                 at::TensorOptions().dtype(at::kLong))
          .to(device);
  allreduce_sum(group, t);
  const at::Tensor h = t.to(at::kCPU);
  ncc_counts out;
  out.n = h[0].item<std::int64_t>();
  out.agree_with_predictions = h[1].item<std::int64_t>();
  out.agree_with_labels = h[2].item<std::int64_t>();
  return out;
}

/// Gathers `rows` (m x d, the same m, d and dtype on every rank) from all ranks to all ranks:
/// returns (world * m) x d with rank 0's rows first. For the k-NN and noisy-mixture estimators,
/// which need the sample in one place (see the header comment). Errors: rows not 2-D.
template <class Group>
at::Tensor allgather_rows(const at::Tensor& rows, Group& group) {
  require(rows.defined() && rows.dim() == 2, "libtorch::allgather_rows", "rows must be a 2-D tensor (",
          rows.defined() ? detail::describe(rows) : std::string("undefined"), ")");
  const int world = group.getSize();
  std::vector<at::Tensor> input{rows.contiguous()};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int r = 0; r < world; ++r) output[0].push_back(at::empty_like(input[0]));
  group.allgather(output, input)->wait();
  return at::cat(output[0], 0);
}

}  // namespace infogeo::libtorch
