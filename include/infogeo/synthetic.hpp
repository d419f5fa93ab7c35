// infogeo synthetic: generators with known truth (include/infogeo/synthetic/).
#pragma once

#include "infogeo/synthetic/synthetic.hpp"
