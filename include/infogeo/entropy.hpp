// infogeo entropy: every header of include/infogeo/entropy/.
#pragma once

#include "infogeo/entropy/gaussian.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/entropy/knn_divergence.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/noisy_mixture.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
