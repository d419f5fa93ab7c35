// infogeo stats: every header of include/infogeo/stats/.
#pragma once

#include "infogeo/stats/auroc.hpp"
#include "infogeo/stats/binarity.hpp"
#include "infogeo/stats/bootstrap.hpp"
#include "infogeo/stats/confidence.hpp"
#include "infogeo/stats/gaussian_shape.hpp"
#include "infogeo/stats/heavy_tails.hpp"
#include "infogeo/stats/rank_correlation.hpp"
#include "infogeo/stats/relabel.hpp"
