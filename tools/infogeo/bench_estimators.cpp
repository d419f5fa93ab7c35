// The estimators `infogeo bench` runs, registered into the harness registry
// (include/infogeo/harness/estimator.hpp, which already holds the self-contained Gaussian
// plug-in `gaussian-plugin`). Library defaults are used unless a comment says why not.
//
// No bench-wide jitter: a jittered k-NN estimate on discrete data (the dropout toy's X takes 8
// values) measures the jitter (kl-difference gave -14.9 for a truth of 0.364, listed "ok").
// Estimators run with library defaults and their verdict is the cell's status: discrete data are
// refused by the differential-entropy estimators and handled by mixed-ksg (Gao et al. 2017).
#include <algorithm>
#include <string>

#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/doe.hpp"
#include "infogeo/mi/variational_bounds.hpp"
#include "infogeo/entropy/kozachenko_leonenko.hpp"
#include "infogeo/entropy/weighted_kl.hpp"
#include "infogeo/mi/ksg.hpp"
#include "infogeo/mi/mixed_ksg.hpp"
#include "infogeo/mi/automatic.hpp"
#include "infogeo/entropy/automatic.hpp"
#include "infogeo/mi/entropy_difference.hpp"
#include "infogeo/entropy/kde.hpp"
#include "infogeo/mi/binning.hpp"
#include "infogeo/mi/compressed.hpp"
#include "infogeo/entropy/gaussian.hpp"

namespace infogeo::cli {
namespace {

using harness::estimator;
using harness::estimator_registrar;

// Difference-of-entropies (McAllester & Stratos 2020) with Gaussian densities, library defaults
// (64-64 tanh MLP, at most 50 epochs with early stopping, 20 % held out). Entropy: held-out
// cross-entropy of the fitted q(z).
estimator doe_estimator(const std::string& name, mi::doe_family family, const std::string& description) {
  estimator e;
  e.name = name;
  e.description = description;
  // Not marked slow: 0.2-0.8 s per fit in Release at n = 1000-2000 (docs/results.md).
  e.mi_estimate = [family](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_mutual_information(x, y, o).mi;
  };
  e.entropy_estimate = [family](const row_matrix<double>& x) {
    mi::doe_options o;
    o.family = family;
    return mi::doe_entropy(x, o).entropy;
  };
  return e;
}

const estimator_registrar doe_gauss{
    doe_estimator("doe-gauss", mi::doe_family::gaussian_full,
                  "difference of entropies, full-covariance Gaussian q(z), q(z|x)")};

// Variational bounds (mi/variational_bounds.hpp), library defaults: separable critic (64-64 tanh,
// 32-dim embedding; CLUB: Gaussian q(y|x) on a 64-64 net), batch 128 (InfoNCE capped at
// log 128 = 4.85 nats), at most 50 epochs with early stopping, 20 % held out. MI only.
estimator variational_estimator(mi::variational_bound bound, const std::string& description) {
  estimator e;
  e.name = mi::to_string(bound);
  e.description = description;
  e.slow = true;  // seconds per fit (1-10 s at n = 2000-10000 on one core): named runs only
  e.mi = [bound](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::variational_options o;
    o.bound = bound;
    return mi::variational_mutual_information(x, y, o).mi.value;
  };
  return e;
}
const estimator_registrar infonce{variational_estimator(mi::variational_bound::infonce,
                                                        "InfoNCE lower bound, separable critic, batch 128 (<= 4.85 nats)")};
const estimator_registrar nwj{variational_estimator(mi::variational_bound::nwj, "NWJ lower bound, separable critic")};
const estimator_registrar mine{variational_estimator(mi::variational_bound::mine,
                                                     "MINE (Donsker-Varadhan, moving-average gradient), separable critic")};
const estimator_registrar smile{variational_estimator(mi::variational_bound::smile,
                                                      "SMILE (clipped DV, tau = 5), separable critic")};
const estimator_registrar club{variational_estimator(mi::variational_bound::club,
                                                     "CLUB upper bound, Gaussian q(y|x)")};

const estimator_registrar kl{[] {
  estimator e;
  e.name = "kl";
  e.description = "Kozachenko-Leonenko k-NN entropy, k = 3, Euclidean";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::kozachenko_leonenko(x); };
  return e;
}()};

const estimator_registrar wkl{[] {
  estimator e;
  e.name = "weighted-kl";
  e.description = "weighted Kozachenko-Leonenko (Berrett, Samworth & Yuan 2019), auto k";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::weighted_kozachenko_leonenko(x); };
  return e;
}()};

estimator ksg_estimator(const std::string& name, mi::ksg_variant variant) {
  estimator e;
  e.name = name;
  e.description = std::string("Kraskov-Stoegbauer-Grassberger ") + (variant == mi::ksg_variant::ksg1 ? "eq. 8" : "eq. 9") + ", k = 3";
  e.mi_estimate = [variant](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::ksg_options o;
    o.variant = variant;
    return mi::ksg(x, y, o);
  };
  return e;
}
const estimator_registrar ksg1{ksg_estimator("ksg1", mi::ksg_variant::ksg1)};
const estimator_registrar ksg2{ksg_estimator("ksg2", mi::ksg_variant::ksg2)};

const estimator_registrar automatic{[] {
  estimator e;
  e.name = "auto";
  e.description = "--method auto: picks by the measured regime, refuses rather than return a flagged value";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::automatic(x); };
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::automatic(x, y); };
  return e;
}()};

const estimator_registrar mixed_ksg{[] {
  estimator e;
  e.name = "mixed-ksg";
  e.description = "mixed discrete-continuous KSG (Gao, Kannan, Oh & Viswanath 2017), k = 3";
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::mixed_ksg(x, y); };
  return e;
}()};

estimator ediff_estimator(const std::string& name, mi::knn_entropy which, const std::string& description) {
  estimator e;
  e.name = name;
  e.description = description;
  e.mi_estimate = [which](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::entropy_difference_options o;
    o.estimator = which;
    if (which == mi::knn_entropy::weighted_kl) o.k = 0;  // auto k per dimension
    return mi::entropy_difference(x, y, o);
  };
  return e;
}
const estimator_registrar kl_difference{
    ediff_estimator("kl-difference", mi::knn_entropy::kl, "h(X) + h(Y) - h(X,Y), Kozachenko-Leonenko, k = 3")};
const estimator_registrar wkl_difference{ediff_estimator(
    "weighted-kl-difference", mi::knn_entropy::weighted_kl, "h(X) + h(Y) - h(X,Y), weighted KL, auto k")};

const estimator_registrar kde{[] {
  estimator e;
  e.name = "kde";
  e.description = "leave-one-out Gaussian KDE, Silverman bandwidth, whitened";
  e.entropy_estimate = [](const row_matrix<double>& x) { return entropy::kde_entropy(x); };
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::kde_mutual_information(x, y); };
  return e;
}()};

const estimator_registrar binning{[] {
  estimator e;
  e.name = "binning";
  e.description = "equal-width binning, 30 bins per dimension (discrete plug-in MI)";
  // Binned entropy is a discrete entropy, not a differential one: MI only.
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) { return mi::binned_mutual_information(x, y); };
  return e;
}()};

// Lossy compression (Butakov et al. 2024, ICLR): X and Y each projected onto at most 4 leading
// principal components (fitted on the sample itself), then KSG-1. Equal to ksg1 when both sides
// have <= 4 dims; below the truth when the discarded components carry information.
const estimator_registrar pca_ksg{[] {
  estimator e;
  e.name = "pca-ksg";
  e.description = "PCA of X and Y to <= 4 components each, then KSG-1 (k = 3)";
  e.mi_estimate = [](const row_matrix<double>& x, const row_matrix<double>& y) {
    const mi::ksg_options o;
    return mi::compressed_mutual_information(x, y, std::min<index_t>(4, x.cols()),
                                             [&](const row_matrix<double>& px, const row_matrix<double>& yy) {
                                               return mi::compressed_mutual_information(
                                                   yy, px, std::min<index_t>(4, yy.cols()),
                                                   [&](const row_matrix<double>& py, const row_matrix<double>& pxx) {
                                                     return mi::ksg(pxx, py, o);
                                                   });
                                             });
  };
  return e;
}()};

}  // namespace
}  // namespace infogeo::cli
