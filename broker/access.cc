#include "broker/access.h"

#include "broker/session.h"
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

SessionAcl& session_acl(const AclAccess& acl, Session& s) {
  if (s.rare == nullptr) s.rare = std::make_unique<SessionRare>(&s);
  std::unique_ptr<SessionAcl>& compiled = s.rare->acl;
  // An offline session keeps the identity of its last connection (for its will).
  const bool stale = compiled == nullptr || compiled->generation() != acl.generation() ||
                     (s.conn != nullptr && s.conn->username != compiled->username());
  if (stale) {
    SharedString username = s.conn != nullptr     ? s.conn->username
                            : compiled != nullptr ? compiled->username()
                                                  : SharedString();
    compiled = acl.compile(s.client_id.view(), std::move(username));
  }
  return *compiled;
}

}  // namespace rmq::broker
