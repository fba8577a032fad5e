// SharedString: an immutable string in one heap block, shared by reference count. Eight bytes
// where a std::string takes 32, and one allocation for every holder: a session, its connection and
// the client registry share one client identifier. An empty string holds no block.
//
// Threads: the count is atomic, so copies may be made and dropped on any thread (the registry
// drops its copy on whichever shard releases the identifier); the characters never change.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <string_view>

namespace rmq::broker {

class SharedString {
 public:
  SharedString() = default;
  explicit SharedString(std::string_view text) {
    if (text.empty()) return;
    void* block = ::operator new(sizeof(Rep) + text.size() + 1);
    rep_ = new (block) Rep{{1}, static_cast<std::uint32_t>(text.size())};
    char* out = reinterpret_cast<char*>(rep_ + 1);
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
  }
  SharedString(const SharedString& other) noexcept : rep_(other.rep_) { add_ref(); }
  SharedString(SharedString&& other) noexcept : rep_(other.rep_) { other.rep_ = nullptr; }
  SharedString& operator=(const SharedString& other) noexcept {
    if (rep_ == other.rep_) return *this;
    other.add_ref();
    drop_ref();
    rep_ = other.rep_;
    return *this;
  }
  SharedString& operator=(SharedString&& other) noexcept {
    if (this == &other) return *this;
    drop_ref();
    rep_ = other.rep_;
    other.rep_ = nullptr;
    return *this;
  }
  SharedString& operator=(std::string_view text) { return *this = SharedString(text); }
  ~SharedString() { drop_ref(); }

  void assign(std::string_view text) { *this = SharedString(text); }
  bool empty() const { return rep_ == nullptr; }
  std::size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  // NUL-terminated; "" when empty.
  const char* c_str() const { return rep_ == nullptr ? "" : chars(); }
  std::string_view view() const { return {c_str(), size()}; }
  operator std::string_view() const { return view(); }  // NOLINT: used as a string_view

  friend bool operator==(const SharedString& a, const SharedString& b) {
    return a.rep_ == b.rep_ || a.view() == b.view();
  }
  friend bool operator==(const SharedString& a, std::string_view b) { return a.view() == b; }

 private:
  struct Rep {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
  };
  const char* chars() const { return reinterpret_cast<const char*>(rep_ + 1); }
  void add_ref() const {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void drop_ref() {
    if (rep_ == nullptr) return;
    if (rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      rep_->~Rep();
      ::operator delete(rep_);
    }
    rep_ = nullptr;
  }

  Rep* rep_ = nullptr;
};
static_assert(sizeof(SharedString) == sizeof(void*));

}  // namespace rmq::broker

template <>
struct std::hash<rmq::broker::SharedString> {
  std::size_t operator()(const rmq::broker::SharedString& s) const noexcept {
    return std::hash<std::string_view>()(s.view());
  }
};
