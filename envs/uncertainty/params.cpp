// Derived fields of UncertaintyParams (host only).
#include <cmath>

#include "envs/uncertainty/params.h"

namespace mecrl::uncertainty {

void derive_params(UncertaintyParams& p) {
  // Servers at the centres of a ceil(sqrt M) x ceil(sqrt M) grid, filled
  // column by column, so that M = 4 in 500 m gives the authors' list in their
  // order: (125,125), (125,375), (375,125), (375,375).
  const int g = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(p.num_servers)) - 1e-9));
  const float cell = p.area_m / static_cast<float>(g);
  for (int j = 0; j < kMaxServers; ++j) {
    p.d.server_pos_m[j][0] = (static_cast<float>(j / g) + 0.5f) * cell;
    p.d.server_pos_m[j][1] = (static_cast<float>(j % g) + 0.5f) * cell;
  }
  p.d.noise_w = p.noise_w_per_hz * p.bandwidth_hz;
}

}  // namespace mecrl::uncertainty
