// infogeo core: errors, sample views and adapters, labels, special functions, RNG, result type.
#pragma once

#include "infogeo/core/errors.hpp"
#include "infogeo/core/labels.hpp"
#include "infogeo/core/memory.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/result.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/validation.hpp"
#include "infogeo/core/verdict.hpp"
#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/version.hpp"
