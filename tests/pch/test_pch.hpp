// The test TUs' precompiled header (tests/CMakeLists.txt, INFOGEO_TEST_PCH): what every test
// parses anyway, parsed once. Only headers that no test configures with macros first. Parsing
// only: nothing here is instantiated.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <Eigen/Core>
#include <Eigen/Dense>
#include <nanoflann.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "infogeo/core.hpp"
