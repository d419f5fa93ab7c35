// Umbrella header: everything in infogeo except the optional LibTorch adapters (infogeo/torch.hpp).
#pragma once

#include "infogeo/core.hpp"
#include "infogeo/io.hpp"
#include "infogeo/version.hpp"
