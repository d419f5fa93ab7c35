// infogeo neighbors: every header of include/infogeo/neighbors/.
#pragma once

#include "infogeo/neighbors/brute_force.hpp"
#include "infogeo/neighbors/kd_tree.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"
