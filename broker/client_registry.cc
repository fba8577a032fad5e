#include "broker/client_registry.h"

#include <utility>

#include "base/assert.h"

namespace rmq::broker {

ClientRegistry::Slot* ClientRegistry::Table::find(std::string_view key, std::size_t hash) {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(hash);; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.key.empty()) return nullptr;
    if (slot.key == key) return &slot;
  }
}

void ClientRegistry::Table::insert(const SharedString& key, const RegistryEntry& entry,
                                   std::size_t hash) {
  RMQ_ASSERT(!key.empty());  // an empty key marks a free slot
  // At most 7/8 full, so a probe always ends at a free slot.
  if ((used_ + 1) * 8 > slots_.size() * 7) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(hash);
  while (!slots_[i].key.empty()) i = (i + 1) & mask;
  slots_[i] = Slot{key, entry};
  ++used_;
}

// Backward-shift deletion: each later slot of the probe run moves into the hole unless its home
// lies cyclically in (hole, slot], so every key stays reachable from its home without tombstones.
void ClientRegistry::Table::erase(Slot* slot) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = static_cast<std::size_t>(slot - slots_.data());
  for (std::size_t j = (hole + 1) & mask; !slots_[j].key.empty(); j = (j + 1) & mask) {
    const std::size_t k = home(hash_of(slots_[j].key));
    const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (stays) continue;
    slots_[hole] = std::move(slots_[j]);
    hole = j;
  }
  slots_[hole] = Slot{};
  --used_;
}

void ClientRegistry::Table::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_ = std::vector<Slot>(old.empty() ? 8 : old.size() * 2);
  const std::size_t mask = slots_.size() - 1;
  for (Slot& slot : old) {
    if (slot.key.empty()) continue;
    std::size_t i = home(hash_of(slot.key));
    while (!slots_[i].key.empty()) i = (i + 1) & mask;
    slots_[i] = std::move(slot);
  }
}

std::optional<RegistryEntry> ClientRegistry::claim(const SharedString& client_id,
                                                   const RegistryEntry& entry) {
  const std::size_t hash = hash_of(client_id);
  Stripe& stripe = stripe_for(hash);
  std::lock_guard lock(stripe.mutex);
  if (Slot* slot = stripe.table.find(client_id, hash)) {
    const RegistryEntry previous = slot->entry;
    slot->entry = entry;
    return previous;
  }
  stripe.table.insert(client_id, entry, hash);
  size_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

bool ClientRegistry::release(std::string_view client_id, std::uint64_t generation) {
  const std::size_t hash = hash_of(client_id);
  Stripe& stripe = stripe_for(hash);
  std::lock_guard lock(stripe.mutex);
  Slot* slot = stripe.table.find(client_id, hash);
  if (slot == nullptr || slot->entry.generation != generation) return false;
  stripe.table.erase(slot);
  size_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::optional<RegistryEntry> ClientRegistry::find(std::string_view client_id) const {
  const std::size_t hash = hash_of(client_id);
  Stripe& stripe = stripe_for(hash);
  std::lock_guard lock(stripe.mutex);
  const Slot* slot = stripe.table.find(client_id, hash);
  if (slot == nullptr) return std::nullopt;
  return slot->entry;
}

}  // namespace rmq::broker
