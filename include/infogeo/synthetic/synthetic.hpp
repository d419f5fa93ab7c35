// All synthetic generators with known truth.
#pragma once

#include "infogeo/synthetic/class_toy.hpp"
#include "infogeo/synthetic/dropout_toy.hpp"
#include "infogeo/synthetic/entropy_distributions.hpp"
#include "infogeo/synthetic/gaussian_mi.hpp"
#include "infogeo/synthetic/image_embeddings.hpp"
#include "infogeo/synthetic/sample.hpp"
#include "infogeo/synthetic/student_t.hpp"
#include "infogeo/synthetic/transforms.hpp"
