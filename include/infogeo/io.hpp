// infogeo I/O: .npy and CSV reading/writing with validation.
#pragma once

#include "infogeo/io/csv.hpp"
#include "infogeo/io/npy.hpp"
