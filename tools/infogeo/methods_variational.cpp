// `infogeo mi --method infonce|nwj|mine|smile|club X.npy Y.npy`: variational bounds on I(X;Y)
// trained on the shared loop (include/infogeo/mi/variational_bounds.hpp). Options: --critic
// concat|separable (not for club), --hidden 64,64 (0 = no hidden layer), --epochs, --batch,
// --lr, --weight-decay (> 0: AdamW), --seed. Progress per epoch on stderr. The JSON adds
// "log_batch" (InfoNCE's ceiling), "train_value" and a per-epoch trace.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "infogeo/core/xtensor_view.hpp"
#include "infogeo/harness/estimator.hpp"
#include "infogeo/mi/variational_bounds.hpp"
#include "inputs.hpp"
#include "registry.hpp"

namespace infogeo::cli {
namespace {

mi::variational_options variational_options_from(const estimator_args& args, mi::variational_bound bound) {
  mi::variational_options o;
  o.bound = bound;
  o.cross_check.enabled = !args.no_cross_check;
  if (!args.hidden.empty()) {
    const std::vector<int> widths = parse_hidden_widths(args.hidden, "mi");
    o.hidden.assign(widths.begin(), widths.end());
  }
  if (!args.critic.empty()) {
    require(args.critic == "concat" || args.critic == "separable", "mi",
            "--critic must be concat or separable (critic=", args.critic, ")");
    o.critic = args.critic == "concat" ? mi::critic_kind::concat : mi::critic_kind::separable;
  }
  // 0 / NaN mean "the method's default"; negative values are passed on and rejected.
  if (args.epochs != 0) o.epochs = args.epochs;
  if (args.batch != 0) o.batch = args.batch;
  if (!std::isnan(args.lr)) o.lr = args.lr;
  if (!std::isnan(args.weight_decay)) o.weight_decay = args.weight_decay;
  o.seed = args.seed;
  return o;
}

json run_variational(const estimator_args& args, mi::variational_bound bound) {
  const xy_inputs in = load_xy(args);
  require(in.y_labels.empty(), "mi", "--method ", mi::to_string(bound),
          " needs a continuous Y; got discrete labels (use ksg-mixed or binning)");
  mi::variational_options o = variational_options_from(args, bound);
  const std::string name = mi::to_string(bound);
  o.on_epoch = [name](const mi::variational_epoch& e) {
    char line[200];
    std::snprintf(line, sizeof line, "%s epoch %ld: train loss %.4f, held-out value %.4f nats",
                  name.c_str(), static_cast<long>(e.epoch), e.train_loss, e.heldout_value);
    log(line);
  };
  const mi::variational_result r = mi::variational_mutual_information(in.x, in.y, o);
  json j = to_json(r.mi);
  j["log_batch"] = r.log_batch;
  j["train_value"] = r.train_value;
  j["converged"] = r.converged;
  std::vector<double> held, loss;
  for (const auto& e : r.trace) {
    held.push_back(e.heldout_value);
    loss.push_back(e.train_loss);
  }
  j["trace"] = {{"heldout_value", held}, {"train_loss", loss}};
  if (!in.preprocessing.empty()) j["preprocessing"] = in.preprocessing;
  return j;
}

// Option declarations (registry.hpp: anything else given is refused).
std::vector<method_option> variational_options_used(mi::variational_bound bound) {
  mi::variational_options o;
  o.bound = bound;
  std::vector<method_option> used = training_options_of(o);
  if (bound != mi::variational_bound::club) used.push_back({"critic", "separable"});
  used.push_back({"pca", "off"});
  used.push_back({"no-cross-check", "off: the bound is ok only when mixed KSG or the Gaussian plug-in confirms it "
                                    "(bound_gap, bound_unconfirmed)"});
  return used;
}
const std::vector<std::pair<std::string, std::string>> variational_why_not{
    {"bootstrap", reasons::bootstrap_trained},
    {"critic", "CLUB's model is a Gaussian q(y|x), not a critic"},
    {"groups", "the variational bounds take i.i.d. pairs (x_i, y_i); --groups is for the doe methods"}};

method variational_method(mi::variational_bound bound, const std::string& summary) {
  return method{"mi", mi::to_string(bound), summary, variational_options_used(bound),
                [bound](const estimator_args& a) { return run_variational(a, bound); }, variational_why_not};
}

const method_registrar infonce{variational_method(
    mi::variational_bound::infonce,
    "InfoNCE lower bound, capped at log(batch) (van den Oord et al. 2018; Poole et al. 2019)")};
const method_registrar nwj{variational_method(
    mi::variational_bound::nwj, "NWJ lower bound E_p[f] - E_q[e^(f-1)] (Nguyen, Wainwright & Jordan 2010)")};
const method_registrar mine{variational_method(
    mi::variational_bound::mine, "MINE: Donsker-Varadhan bound, moving-average gradient (Belghazi et al. 2018)")};
const method_registrar smile{variational_method(
    mi::variational_bound::smile, "SMILE: DV with clipped partition term, tau = 5 (Song & Ermon 2020)")};
const method_registrar club{variational_method(
    mi::variational_bound::club, "CLUB upper bound with a Gaussian q(y|x) (Cheng et al. 2020)")};

// `infogeo bench` (bench_estimators.cpp), library defaults: separable critic (64-64 tanh, 32-dim
// embedding; CLUB: Gaussian q(y|x) on a 64-64 net), batch 128 (InfoNCE capped at log 128 = 4.85
// nats), at most 50 epochs with early stopping, 20 % held out. MI only.
harness::estimator variational_bench_estimator(mi::variational_bound bound, const std::string& description) {
  harness::estimator e;
  e.name = mi::to_string(bound);
  e.description = description;
  e.slow = true;  // seconds per fit (1-10 s at n = 2000-10000 on one core): named runs only
  // The estimate with its verdict (the gap check: bound_gap / bound_unconfirmed), not only the value.
  e.mi_estimate = [bound](const row_matrix<double>& x, const row_matrix<double>& y) {
    mi::variational_options o;
    o.bound = bound;
    return mi::variational_mutual_information(x, y, o).mi;
  };
  return e;
}
const bench_registrar infonce_bench{variational_bench_estimator(
    mi::variational_bound::infonce, "InfoNCE lower bound, separable critic, batch 128 (<= 4.85 nats)")};
const bench_registrar nwj_bench{
    variational_bench_estimator(mi::variational_bound::nwj, "NWJ lower bound, separable critic")};
const bench_registrar mine_bench{variational_bench_estimator(
    mi::variational_bound::mine, "MINE (Donsker-Varadhan, moving-average gradient), separable critic")};
const bench_registrar smile_bench{
    variational_bench_estimator(mi::variational_bound::smile, "SMILE (clipped DV, tau = 5), separable critic")};
const bench_registrar club_bench{
    variational_bench_estimator(mi::variational_bound::club, "CLUB upper bound, Gaussian q(y|x)")};

}  // namespace
}  // namespace infogeo::cli
