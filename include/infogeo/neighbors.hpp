// infogeo neighbors: every header of include/infogeo/neighbors/.
#pragma once

#include "infogeo/neighbors/brute_force.hpp"
#include "infogeo/neighbors/grid_2d.hpp"
#include "infogeo/neighbors/kd_tree.hpp"
#include "infogeo/neighbors/knn.hpp"
#include "infogeo/neighbors/preprocess.hpp"
#include "infogeo/neighbors/radix_sort.hpp"
