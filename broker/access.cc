#include "broker/access.h"

#include "router/topic.h"

namespace rmq::broker {

bool DenyListAccess::can_subscribe(const ClientInfo&, std::string_view filter) const {
  const bool concrete = filter.find_first_of("+#") == std::string_view::npos;
  for (const std::string& denied : deny_subscribe_) {
    if (filter == denied) return false;
    if (concrete && router::filter_matches(denied, filter)) return false;
  }
  return true;
}

}  // namespace rmq::broker
