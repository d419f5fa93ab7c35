// infogeo V-information: decoder families, sufficiency, minimality, per-layer tables
// (docs/vinfo.md). Not part of infogeo.hpp: the linear family pulls in Eigen's Cholesky.
#pragma once

#include "infogeo/vinfo/decoder.hpp"
#include "infogeo/vinfo/layers.hpp"
#include "infogeo/vinfo/linear_decoder.hpp"
#include "infogeo/vinfo/minimality.hpp"
#include "infogeo/vinfo/mlp_decoder.hpp"
#include "infogeo/vinfo/result.hpp"
#include "infogeo/vinfo/splits.hpp"
#include "infogeo/vinfo/sufficiency.hpp"
