// infogeo geometry: every header of include/infogeo/geometry/.
#pragma once

#include "infogeo/geometry/class_scatter.hpp"
#include "infogeo/geometry/collapse.hpp"
#include "infogeo/geometry/separation.hpp"
