// Result types of V-information (sufficiency, minimality). These are not `infogeo::estimate`s:
// V-information is not an estimate of Shannon MI (Xu et al. 2020, Sec. 3: it is defined by the
// decoder family and may be far below I(h; y), e.g. 0 for an encrypted h whose MI is maximal), so
// it gets its own structs, with the same verdict fields (status + reasons, docs/verdicts.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infogeo/core/special_functions.hpp"
#include "infogeo/core/verdict.hpp"
#include "infogeo/vinfo/decoder.hpp"

namespace infogeo::vinfo {

/// Verdict fields of the V-information results: the same struct as infogeo::estimate's.
using vinfo_verdict = infogeo::verdict;

/// Sufficiency I_V(h -> y) = H_V(y | empty) - H_V(y | h) (thesis Sec. 1.3; Xu et al. 2020, Def. 2).
/// All values in nats.
struct sufficiency_result : vinfo_verdict {
  double value = 0.0;              ///< held-out sufficiency: label_entropy - decoder_cross_entropy
  double value_train = 0.0;        ///< label_entropy - decoder_cross_entropy_train (in-sample)
  double label_entropy = 0.0;      ///< H_V(y | empty): empirical label entropy (best constant predictor)
  double decoder_cross_entropy = 0.0;        ///< held-out mean CE of the fitted decoders
  double decoder_cross_entropy_train = 0.0;  ///< mean over fits of the CE on their own training rows
  std::int64_t n = 0;              ///< samples
  std::int64_t dims = 0;           ///< feature dimension D
  std::int64_t num_classes = 0;    ///< classes present
  std::string decoder;             ///< family name
  std::string protocol;            ///< "holdout" or "kfold"
  int folds = 0;                   ///< K for kfold, 1 for holdout
  double test_fraction = 0.0;      ///< holdout: fraction of each class held out; kfold: 1/K
  std::uint64_t seed = 0;
  std::vector<decoder_fit_report> fits;  ///< one per fold (one for holdout)

  double bits() const { return to_bits(value); }
  double bits_train() const { return to_bits(value_train); }
};

/// One (class, digit) cell of minimality: I_V(h | y = c -> n_c^(d)).
struct minimality_cell {
  std::int64_t label = 0;          ///< class c (original label value)
  int digit = 0;                   ///< relabel digit d (thesis Alg. 2; digit 0 cycles fastest)
  std::int64_t n = 0;              ///< samples of the class
  std::int64_t distinct = 0;       ///< distinct digit values in the class (1: constant, value 0)
  double digit_entropy = 0.0;      ///< H(n_c^(d)): empirical entropy of the digit in the class, nats
  double cross_entropy = 0.0;      ///< in-sample mean CE of the decoder fitted to the digit, nats
  double value = 0.0;              ///< digit_entropy - cross_entropy, nats
  bool fitted = false;             ///< false when the digit is constant (nothing to fit, value 0)
  decoder_fit_report fit;          ///< the fit's report (default when !fitted)
};

/// Minimality I_V(h -> Dec(x, Y)) = 1/|Y| sum_c 1/N_D sum_d I_V(h | y = c -> n_c^(d)) (thesis
/// Sec. 1.3 and 2.2, Alg. 2), in nats.
struct minimality_result : vinfo_verdict {
  double value = 0.0;                    ///< the average over classes and digits
  std::vector<std::int64_t> labels;      ///< class labels, in order of per_class
  std::vector<double> per_class;         ///< 1/N_D sum_d of each class's cells
  std::vector<double> per_digit;         ///< 1/|Y| sum_c of each digit's cells
  std::vector<minimality_cell> cells;    ///< class-major: cells[c * digits + d]
  int digits = 0;                        ///< N_D = ceil(log_C(max n_c))
  std::int64_t n = 0;
  std::int64_t dims = 0;
  std::int64_t num_classes = 0;
  std::string decoder;
  std::uint64_t seed = 0;

  double bits() const { return to_bits(value); }
};

}  // namespace infogeo::vinfo
