// An estimator header included before the xtensor adapter (core/xtensor_view.hpp): make_view()
// must still find the adapter when the estimator is instantiated (view_adapter in
// core/sample_view.hpp). Before session 12 this TU did not compile.
#include <infogeo/entropy/gaussian.hpp>
#include <infogeo/core/random.hpp>
#include <infogeo/core/xtensor_view.hpp>
#include <xtensor/xarray.hpp>

#include <cmath>

// The Gaussian entropy of 2000 N(0, 1) draws, from an xt::xarray: 0.5 log(2 pi e) = 1.4189 nats.
double xtensor_gaussian_entropy() {
  xt::xarray<double> a = xt::xarray<double>::from_shape({2000, 1});
  infogeo::random_engine rng(7);
  for (auto& v : a) v = rng.normal();
  return infogeo::entropy::gaussian_entropy(a).value;
}
