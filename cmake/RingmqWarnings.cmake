# Warnings applied to every ringmq target through the ringmq_warnings interface library.
add_library(ringmq_warnings INTERFACE)
target_compile_options(ringmq_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
