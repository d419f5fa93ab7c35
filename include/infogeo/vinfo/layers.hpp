// Per-layer V-information table (thesis ../shared/papers/001 Sec. 2.2-2.3, Fig. 3.5): sufficiency
// and optionally minimality of every layer's representation h^l for one label vector.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "infogeo/core/errors.hpp"
#include "infogeo/core/sample_view.hpp"
#include "infogeo/vinfo/minimality.hpp"
#include "infogeo/vinfo/sufficiency.hpp"

namespace infogeo::vinfo {

/// One row of the per-layer table.
struct layer_vinfo {
  std::string name;                              ///< the caller's name, or "layer <index>"
  index_t dims = 0;                              ///< D_l
  sufficiency_result sufficiency;                ///< I_V(h^l -> y), held-out and train
  std::optional<minimality_result> minimality;   ///< I_V(h^l -> Dec(x, Y)) when asked for
};

/// Options of vinfo_layers(): the same sufficiency/minimality options for every layer.
struct layer_vinfo_options {
  sufficiency_options sufficiency;
  bool compute_minimality = false;
  minimality_options minimality;
};

/// V-information of every layer in `layers` (each N x D_l, same N) with the same `labels` and
/// decoder family (the thesis uses the network's own remaining layers f^{L:l+1} as V^l; pass a
/// family per layer by calling sufficiency()/minimality() directly when the families differ).
/// `names` may be empty (then "layer 0", "layer 1", ...) or have one name per layer. The same
/// seed is used for every layer, so all layers share the same splits (differences between rows
/// are not split noise). Errors: no layers, a names/layers count mismatch, a layer whose row
/// count differs from the labels (named by index), and every error of sufficiency()/minimality().
/// Cost: the sum of the per-layer costs.
template <class Family, class Range>
std::vector<layer_vinfo> vinfo_layers(const std::vector<sample_view<double>>& layers, const Range& labels,
                                      const Family& family, const layer_vinfo_options& options = {},
                                      const std::vector<std::string>& names = {}) {
  const char* fn = "vinfo::vinfo_layers";
  require(!layers.empty(), fn, "layers must not be empty (layers=0)");
  require(names.empty() || names.size() == layers.size(), fn,
          "names must be empty or have one name per layer (names=", names.size(), ", layers=", layers.size(), ")");
  using std::begin;
  using std::end;
  const auto n_labels = static_cast<index_t>(std::distance(begin(labels), end(labels)));
  for (std::size_t l = 0; l < layers.size(); ++l)
    require(layers[l].rows() == n_labels, fn, "every layer must have one row per label (layer ", l,
            " rows=", layers[l].rows(), ", labels=", n_labels, ")");
  std::vector<layer_vinfo> table;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    layer_vinfo row;
    row.name = names.empty() ? infogeo::detail::concat("layer ", l) : names[l];
    row.dims = layers[l].cols();
    row.sufficiency = sufficiency(layers[l], labels, family, options.sufficiency);
    if (options.compute_minimality) row.minimality = minimality(layers[l], labels, family, options.minimality);
    table.push_back(std::move(row));
  }
  return table;
}

}  // namespace infogeo::vinfo
