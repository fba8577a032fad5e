#include "broker/client_registry.h"

namespace rmq::broker {

std::optional<RegistryEntry> ClientRegistry::claim(std::string_view client_id,
                                                   const RegistryEntry& entry) {
  Map::accessor access;
  const bool inserted = map_.insert(access, std::string(client_id));
  std::optional<RegistryEntry> previous;
  if (!inserted) previous = access->second;
  access->second = entry;
  return previous;
}

bool ClientRegistry::release(std::string_view client_id, std::uint64_t generation) {
  Map::accessor access;
  if (!map_.find(access, std::string(client_id))) return false;
  if (access->second.generation != generation) return false;
  return map_.erase(access);
}

std::optional<RegistryEntry> ClientRegistry::find(std::string_view client_id) const {
  Map::const_accessor access;
  if (!map_.find(access, std::string(client_id))) return std::nullopt;
  return access->second;
}

}  // namespace rmq::broker
