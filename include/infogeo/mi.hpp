// infogeo mi: every header of include/infogeo/mi/.
#pragma once

#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/ceb.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/doe.hpp"
#include "infogeo/mi/doe_densities.hpp"
#include "infogeo/mi/doe_mlp.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/mi/ksg.hpp"
