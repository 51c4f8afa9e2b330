// The bundles of the "bundles" fixture (tests/deploy/make_bundles.sh): one
// tiny trained run per learner and scenario, its export and LibTorch's
// reference outputs.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mecrl::testing {

struct TrainedBundle {
  std::string name, checkpoint, config, bundle, reference;
};

inline std::vector<TrainedBundle> trained_bundles() {
  std::vector<TrainedBundle> out;
  std::ifstream in(MECRL_TEST_BUNDLES "/index.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    TrainedBundle b;
    std::getline(row, b.name, '\t');
    std::getline(row, b.checkpoint, '\t');
    std::getline(row, b.config, '\t');
    std::getline(row, b.bundle, '\t');
    std::getline(row, b.reference, '\t');
    out.push_back(b);
  }
  return out;
}

}  // namespace mecrl::testing
