// Calibration grid of entropy::kozachenko_leonenko's verdicts against closed-form entropies: for
// each family, dimension, sample size and seed it draws a sample, runs KL with its defaults (k = 3,
// the neighbour-order and half-sample checks on) and compares the estimate with the truth. The
// tables of docs/verdicts.md ("KL's neighbour-order check") are summaries of this grid.
//
//   calibrate_kl_verdicts [--families f1,f2,..] [--dims 2,3,4] [--n 1000,2000] [--seeds 1-4] [--rows]
//
// Families: the `infogeo generate` entropy tasks (gaussian-entropy: Sigma_ij = 0.5^|i-j|;
// uniform-entropy: sides 1 + j/2; exponential-entropy: rates 1 + j/2; student-t-entropy: nu = 3;
// mixture-entropy: 4 separated components) and four whose support boundary no column shows or
// that have none: gaussian-identity (h = d/2 log(2 pi e)), rotated-cube (U[0,1]^d times Q, h = 0),
// rotated-exponential (rate 1 in every column, times Q, h = d) and ball (uniform in the unit ball,
// h = log V_d). Q is the orthogonal factor of the Householder QR of a d x d standard normal matrix
// drawn with the set's seed.
//
// Tolerance 0.1 nats per dimension (the bench's, infogeo::accuracy_tolerance). Per set: "beyond" = |error| > tolerance;
// "flagged" = a neighbour_order_bias warning on a set beyond tolerance; "caught" = any warning or a
// refusal on such a set; "blind" = beyond tolerance with status ok; "false alarm" = a
// neighbour_order_bias warning within tolerance. --rows prints every set, with the rate the
// neighbour-order check used (1/d at a hard edge or without a Gaussian shape, else smooth), the
// extrapolated bias, its sampling sd and H_2k, H_4k (from which other rules can be simulated).
#include <Eigen/QR>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/random.hpp"
#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/tolerance.hpp"
#include "infogeo/core/verdict.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/harness/task.hpp"

namespace {

using infogeo::index_t;
using infogeo::row_matrix;

struct labelled_sample {
  row_matrix<double> x;
  double truth = 0.0;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

/// "1,2,5" or "1-4" (inclusive range).
std::vector<std::int64_t> parse_integers(const std::string& text, const char* option) {
  std::vector<std::int64_t> values;
  for (const std::string& part : split(text)) {
    const auto dash = part.find('-', 1);
    try {
      if (dash == std::string::npos) {
        values.push_back(std::stoll(part));
      } else {
        const std::int64_t first = std::stoll(part.substr(0, dash));
        const std::int64_t last = std::stoll(part.substr(dash + 1));
        for (std::int64_t v = first; v <= last; ++v) values.push_back(v);
      }
    } catch (const std::exception&) {
      throw infogeo::invalid_argument(std::string("calibrate_kl_verdicts: ") + option + " expects integers (got " +
                                      part + ")");
    }
  }
  if (values.empty())
    throw infogeo::invalid_argument(std::string("calibrate_kl_verdicts: ") + option + " is empty");
  return values;
}

Eigen::MatrixXd random_rotation(index_t d, std::uint64_t seed) {
  infogeo::random_engine rng(seed);
  Eigen::MatrixXd g(d, d);
  for (index_t i = 0; i < d; ++i)
    for (index_t j = 0; j < d; ++j) g(i, j) = rng.normal();
  return Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
}

labelled_sample draw(const std::string& family, index_t d, index_t n, std::uint64_t seed) {
  labelled_sample s;
  infogeo::random_engine rng(seed);
  const double dd = static_cast<double>(d);
  if (family == "gaussian-identity") {
    s.x.resize(n, d);
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < d; ++j) s.x(i, j) = rng.normal();
    s.truth = 0.5 * dd * std::log(2.0 * infogeo::pi * std::exp(1.0));
  } else if (family == "rotated-cube" || family == "rotated-exponential") {
    const bool cube = family == "rotated-cube";
    row_matrix<double> z(n, d);
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < d; ++j) z(i, j) = cube ? rng.uniform() : rng.exponential(1.0);
    s.x = z * random_rotation(d, seed + 1000003);
    s.truth = cube ? 0.0 : dd;  // a rotation keeps the entropy
  } else if (family == "ball") {
    s.x.resize(n, d);
    std::vector<double> z(static_cast<std::size_t>(d));
    for (index_t i = 0; i < n; ++i) {
      double norm2 = 0.0;
      for (double& v : z) {
        v = rng.normal();
        norm2 += v * v;
      }
      const double radius = std::pow(rng.uniform(), 1.0 / dd) / std::sqrt(norm2);
      for (index_t j = 0; j < d; ++j) s.x(i, j) = radius * z[static_cast<std::size_t>(j)];
    }
    s.truth = infogeo::log_unit_ball_volume(d, infogeo::norm_kind::euclidean);
  } else {
    infogeo::harness::task_params p;
    p.dx = d;
    const auto data = infogeo::harness::make_task(family, p).generate(n, seed);
    s.x = data.x;
    s.truth = data.truth;
  }
  return s;
}

/// Which rate the neighbour-order check used (its settings "neighbour_order_rate": hard_edge and
/// not_gaussian_shaped take 1/d, smooth 2/d to 4/d), or "skipped".
std::string neighbour_order_rate(const infogeo::estimate& e) {
  const auto it = e.settings.find("neighbour_order_rate");
  return it == e.settings.end() ? "skipped" : it->second;
}

struct tally {
  int sets = 0, beyond = 0, flagged = 0, caught = 0, blind = 0, false_alarms = 0, refused = 0;
  double min_error = INFINITY, max_error = -INFINITY;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> families = {"gaussian-identity", "gaussian-entropy", "rotated-cube", "rotated-exponential",
                                       "ball"};
  std::vector<std::int64_t> dims = {2, 3, 4, 5, 6, 8};
  std::vector<std::int64_t> sizes = {1000, 2000, 5000};
  std::vector<std::int64_t> seeds = {1, 2, 3, 4};
  bool rows = false;
  try {
    for (int a = 1; a < argc; ++a) {
      const std::string arg = argv[a];
      const bool has_value = a + 1 < argc;
      if (arg == "--rows") {
        rows = true;
      } else if (arg == "--families" && has_value) {
        families = split(argv[++a]);
      } else if (arg == "--dims" && has_value) {
        dims = parse_integers(argv[++a], "--dims");
      } else if (arg == "--n" && has_value) {
        sizes = parse_integers(argv[++a], "--n");
      } else if (arg == "--seeds" && has_value) {
        seeds = parse_integers(argv[++a], "--seeds");
      } else {
        throw infogeo::invalid_argument("calibrate_kl_verdicts: unknown argument or missing value (" + arg + ")");
      }
    }
    std::map<std::pair<std::string, std::int64_t>, tally> table;
    if (rows)
      std::cout << "family,d,n,seed,truth,estimate,error,tolerance,status,reasons,smoothness_z,bias_extrapolated,rate,"
                   "bias_extrapolated_se,h_2k,h_4k\n";
    for (const std::string& family : families)
      for (const std::int64_t d : dims)
        for (const std::int64_t n : sizes)
          for (const std::int64_t seed : seeds) {
            const labelled_sample s = draw(family, d, n, static_cast<std::uint64_t>(seed));
            const double tolerance = infogeo::accuracy_tolerance(infogeo::tolerance_kind::differential_entropy,
                                                                 s.truth, static_cast<index_t>(d));
            tally& t = table[{family, d}];
            ++t.sets;
            infogeo::estimate e;
            std::string status, reasons;
            try {
              e = infogeo::entropy::kozachenko_leonenko(s.x);
              status = e.ok() ? "ok" : "warning";
              for (const auto& r : e.reasons) reasons += (reasons.empty() ? "" : " ") + r.code;
            } catch (const infogeo::refused_error& refusal) {
              status = "refused";
              for (const auto& r : refusal.reasons()) reasons += (reasons.empty() ? "" : " ") + r.code;
              ++t.refused;
              ++t.caught;  // no number given: not blind
              if (rows) std::cout << family << ',' << d << ',' << n << ',' << seed << ',' << s.truth << ",,,"
                                  << tolerance << ",refused," << reasons << ",,,,,,\n";
              continue;
            }
            const double error = e.value - s.truth;
            const bool beyond = std::abs(error) > tolerance;
            const bool order_flag = e.has_reason("neighbour_order_bias");
            t.min_error = std::min(t.min_error, error);
            t.max_error = std::max(t.max_error, error);
            t.beyond += beyond;
            t.flagged += beyond && order_flag;
            t.caught += beyond && !e.ok();
            t.blind += beyond && e.ok();
            t.false_alarms += !beyond && order_flag;
            if (rows) {
              const auto detail = [&](const char* key) {
                const auto it = e.details.find(key);
                return it == e.details.end() ? std::string() : std::to_string(it->second);
              };
              std::cout << family << ',' << d << ',' << n << ',' << seed << ',' << s.truth << ',' << e.value << ','
                        << error << ',' << tolerance << ',' << status << ',' << reasons << ','
                        << detail("smoothness_z") << ',' << detail("bias_extrapolated") << ','
                        << neighbour_order_rate(e) << ',' << detail("bias_extrapolated_se") << ','
                        << detail("h_2k") << ',' << detail("h_4k") << '\n';
            }
          }
    std::cout << "\n| family | d | sets | beyond tol | error (nats) | flagged | caught | blind | false alarms | refused |\n"
                 "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& [key, t] : table) {
      std::ostringstream range;
      range.precision(2);
      range << std::fixed << t.min_error << " to " << t.max_error;
      std::cout << "| " << key.first << " | " << key.second << " | " << t.sets << " | " << t.beyond << " | "
                << (t.sets > t.refused ? range.str() : "-") << " | " << t.flagged << " | " << t.caught << " | "
                << t.blind << " | " << t.false_alarms << " | " << t.refused << " |\n";
    }
  } catch (const infogeo::invalid_argument& error) {
    std::cerr << error.what() << '\n';
    return 2;
  } catch (const std::exception& error) {  // not a refusal: a bug to report, not a calibration result
    std::cerr << "calibrate_kl_verdicts: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
