// The law of equi-separation across layers (He & Su 2023, "A law of data separation in deep
// learning", PNAS 120(36)): the separation fuzziness D_l = tr(Sigma_W Sigma_B^+) of layer l decays
// geometrically, log D_l ~ log D_0 + l log rho, i.e. every layer shrinks it by the same ratio rho.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "infogeo/core/errors.hpp"

namespace infogeo::geometry {

/// Least-squares fit of log D_l = intercept + slope * l.
struct equi_separation_fit {
  std::size_t num_layers = 0;
  double slope = 0.0;              ///< d log D / d l (nats per layer; < 0 when separation improves)
  double intercept = 0.0;          ///< fitted log D at l = 0
  double decay_ratio = 0.0;        ///< rho = exp(slope): fitted D_{l+1} / D_l
  std::vector<double> step_ratios; ///< observed (D_{l+1}/D_l)^(1/(l_{k+1}-l_k)) between consecutive layers
  double ratio_mean = 0.0;         ///< mean of step_ratios
  double ratio_std = 0.0;          ///< population std of step_ratios (the "spread"; 0 for an exact law)
  double ratio_min = 0.0;
  double ratio_max = 0.0;
  std::optional<double> pearson_r; ///< Pearson r of (l, log D_l); absent when log D is constant
  double r_squared = 0.0;          ///< coefficient of determination of the fit (1 - RSS/TSS; 1 if TSS = 0)
  std::vector<std::string> diagnostics;
};

/// Fits the equi-separation law to per-layer values `nc` (D_l, e.g. tr(Sigma_W Sigma_B^+) or NC1; any
/// positive per-layer measure) at layer indices `layers` (default 0, 1, 2, ...; strictly increasing).
/// He & Su report Pearson r close to -1 for trained nets; a constant spread of step ratios near 0 means
/// the law holds. Errors: invalid_argument for fewer than 2 layers, a value that is not finite and > 0,
/// or layer indices of the wrong size / not increasing. Cost O(L).
template <class Range>
equi_separation_fit fit_equi_separation(const Range& nc, std::vector<double> layers = {}) {
  const char* fn = "fit_equi_separation";
  using std::begin;
  using std::end;
  std::vector<double> y;
  for (auto it = begin(nc); it != end(nc); ++it) {
    const double v = static_cast<double>(*it);
    require(std::isfinite(v) && v > 0.0, fn, "nc values must be finite and > 0 (nc[", y.size(), "]=", v, ")");
    y.push_back(std::log(v));
  }
  const std::size_t l = y.size();
  require(l >= 2, fn, "needs at least 2 layers (layers=", l, ")");
  if (layers.empty())
    for (std::size_t i = 0; i < l; ++i) layers.push_back(static_cast<double>(i));
  require(layers.size() == l, fn, "layers must have one index per value (layers size=", layers.size(),
          ", values=", l, ")");
  for (std::size_t i = 0; i < l; ++i) {
    require(std::isfinite(layers[i]), fn, "layer indices must be finite (layers[", i, "]=", layers[i], ")");
    if (i > 0)
      require(layers[i] > layers[i - 1], fn, "layer indices must increase (layers[", i - 1, "]=", layers[i - 1],
              ", layers[", i, "]=", layers[i], ")");
  }
  equi_separation_fit f;
  f.num_layers = l;
  const double ln = static_cast<double>(l);
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < l; ++i) {
    mx += layers[i];
    my += y[i];
  }
  mx /= ln;
  my /= ln;
  double sxx = 0.0, sxy = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < l; ++i) {
    sxx += (layers[i] - mx) * (layers[i] - mx);
    sxy += (layers[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.decay_ratio = std::exp(f.slope);
  if (syy > 0.0) {
    f.pearson_r = sxy / std::sqrt(sxx * syy);
    double rss = 0.0;
    for (std::size_t i = 0; i < l; ++i) {
      const double e = y[i] - f.intercept - f.slope * layers[i];
      rss += e * e;
    }
    f.r_squared = 1.0 - rss / syy;
  } else {
    f.r_squared = 1.0;
    f.diagnostics.push_back("log nc is constant across layers: Pearson r undefined");
  }
  for (std::size_t i = 0; i + 1 < l; ++i)
    f.step_ratios.push_back(std::exp((y[i + 1] - y[i]) / (layers[i + 1] - layers[i])));
  const double nr = static_cast<double>(f.step_ratios.size());
  for (double r : f.step_ratios) f.ratio_mean += r;
  f.ratio_mean /= nr;
  for (double r : f.step_ratios) f.ratio_std += (r - f.ratio_mean) * (r - f.ratio_mean);
  f.ratio_std = std::sqrt(f.ratio_std / nr);
  f.ratio_min = *std::min_element(f.step_ratios.begin(), f.step_ratios.end());
  f.ratio_max = *std::max_element(f.step_ratios.begin(), f.step_ratios.end());
  if (l == 2) f.diagnostics.push_back("2 layers: the fit is exact and says nothing about the law");
  return f;
}

}  // namespace infogeo::geometry
