// The benchmark harness: tasks with known truth, estimator registry, runner, report writers.
#pragma once

#include "infogeo/harness/estimator.hpp"
#include "infogeo/harness/report.hpp"
#include "infogeo/harness/runner.hpp"
#include "infogeo/harness/task.hpp"
