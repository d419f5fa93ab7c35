// Optional LibTorch adapters (umbrella; include only when you link LibTorch; nothing else in
// infogeo depends on these headers). One concept per header in infogeo/torch/:
//   * tensor_view.hpp   tensor_view<T>: zero-copy sample_view of a contiguous CPU tensor;
//   * class_scatter.hpp device_class_scatter: two-pass class-scatter statistics on the device;
//   * ncc.hpp           ncc_on_device: nearest-class-centre predictions (NC4) on the device;
//   * knn.hpp, knn_estimators.hpp  exact k-NN distances / range counts, KL and KSG on device tensors;
//   * compression.hpp   autoencoder compression before MI estimation (Butakov et al. 2024);
//   * information_dropout.hpp  information-dropout layer and its KL-based I(X;Z) (Achille & Soatto 2018);
//   * distributed.hpp   reductions through a torch.distributed process group (gloo / NCCL);
//   * conversions.hpp   host <-> device matrix copies used by the above.
// The adapters need only ATen; this umbrella also includes <torch/torch.h> so that code written
// against it keeps seeing torch::nn, torch::optim and the torch:: factories.
#pragma once

#include <torch/torch.h>

#include "infogeo/torch/class_scatter.hpp"
#include "infogeo/torch/compression.hpp"
#include "infogeo/torch/distributed.hpp"
#include "infogeo/torch/information_dropout.hpp"
#include "infogeo/torch/knn.hpp"
#include "infogeo/torch/knn_estimators.hpp"
#include "infogeo/torch/ncc.hpp"
#include "infogeo/torch/tensor_view.hpp"
