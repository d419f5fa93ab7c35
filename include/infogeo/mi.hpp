// infogeo mi: the non-parametric and closed-form MI estimators of include/infogeo/mi/.
// The trainable estimators are not included here (each costs seconds of compile time in every TU
// that includes it, used or not; docs/performance_compile.md): include them directly,
//   infogeo/mi/doe.hpp (difference-of-entropies, with doe_densities.hpp and doe_mlp.hpp),
//   infogeo/mi/variational_trainer.hpp and the variational-bound headers (docs/variational.md).
#pragma once

#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/ceb.hpp"
#include "infogeo/mi/class_conditional.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/mi/gaussian.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/ksg_conditional.hpp"
