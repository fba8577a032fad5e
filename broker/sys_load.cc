#include "broker/sys_load.h"

#include <cmath>

namespace rmq::broker {

void LoadAverage::update(std::uint64_t total, double elapsed_s) {
  const std::uint64_t delta = total >= last_total_ ? total - last_total_ : 0;
  last_total_ = total;
  if (!started_ || elapsed_s <= 0) {
    started_ = true;
    return;
  }
  const double rate = static_cast<double>(delta) * 60.0 / elapsed_s;
  for (std::size_t i = 0; i < averages_.size(); ++i) {
    const double keep = std::exp(-elapsed_s / kWindowsS[i]);
    averages_[i] = rate + keep * (averages_[i] - rate);
  }
}

}  // namespace rmq::broker
