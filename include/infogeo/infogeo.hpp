// Umbrella header: everything in infogeo except the optional LibTorch adapters (infogeo/torch.hpp)
// and the trainable estimators (DoE, variational bounds, V-information), which train networks and
// are included through their own headers (see infogeo/mi.hpp and docs/performance_compile.md).
#pragma once

#include "infogeo/core.hpp"
#include "infogeo/entropy.hpp"
#include "infogeo/geometry.hpp"
#include "infogeo/io.hpp"
#include "infogeo/mi.hpp"
#include "infogeo/neighbors.hpp"
#include "infogeo/stats.hpp"
#include "infogeo/synthetic.hpp"
#include "infogeo/version.hpp"
