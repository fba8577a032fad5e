// WireList<T>: a read-only sequence that is either decoded lazily from wire bytes (what decode()
// produces: zero-copy, no allocation) or backed by a caller-owned array (what a caller fills in
// to encode). Both iterate the same way, so one packet struct serves decode and encode.
//
// Lifetime: a WireList borrows; it never outlives the bytes or the array it points into.
// A wire-backed list is only ever built by the decoder over bytes it has already validated, so
// iterating it cannot fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/reader.h"

namespace rmq::codec {

// WireElement<T>::read(Reader&) decodes one element from validated bytes; specialised per T next
// to the type (properties.h, packets.h) and defined by the decoder.
template <typename T>
struct WireElement;

template <typename T>
class WireList {
 public:
  constexpr WireList() = default;
  // Caller-owned elements (for encoding).
  constexpr WireList(std::span<const T> items)  // NOLINT(google-explicit-constructor)
      : items_(items), count_(items.size()), from_wire_(false) {}
  // `count` elements encoded back to back in `wire`, already validated by the decoder.
  static constexpr WireList FromWire(std::span<const std::uint8_t> wire, std::size_t count) {
    WireList list;
    list.wire_ = wire;
    list.count_ = count;
    list.from_wire_ = true;
    return list;
  }

  constexpr std::size_t size() const { return count_; }
  constexpr bool empty() const { return count_ == 0; }
  // The raw encoded bytes when decoded from the wire (empty for an array-backed list).
  constexpr std::span<const std::uint8_t> wire() const { return wire_; }

  class Iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    T operator*() const { return current_; }
    Iterator& operator++() {
      ++index_;
      load();
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class WireList;
    Iterator(const WireList* list, std::size_t index)
        : list_(list), reader_(list->wire_), index_(index) {
      load();
    }
    void load() {
      if (list_ == nullptr || index_ >= list_->count_) return;
      if (list_->from_wire_) {
        current_ = WireElement<T>::read(reader_);
      } else {
        current_ = list_->items_[index_];
      }
    }
    const WireList* list_ = nullptr;
    Reader reader_;
    std::size_t index_ = 0;
    T current_{};
  };

  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const {
    Iterator it;
    it.index_ = count_;
    return it;
  }

  // Element-wise equality, whatever backs either side.
  friend bool operator==(const WireList& a, const WireList& b) {
    if (a.size() != b.size()) return false;
    auto ib = b.begin();
    for (const T& x : a) {
      if (!(x == *ib)) return false;
      ++ib;
    }
    return true;
  }

 private:
  std::span<const T> items_;
  std::span<const std::uint8_t> wire_;
  std::size_t count_ = 0;
  bool from_wire_ = false;
};

}  // namespace rmq::codec
