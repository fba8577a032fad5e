// Reclaimer (QSBR): when retired memory may be freed.
#include "router/reclaimer.h"

#include <gtest/gtest.h>

namespace rmq::router {
namespace {

struct Tracked {
  explicit Tracked(int& counter) : freed(counter) {}
  ~Tracked() { ++freed; }
  int& freed;
};

TEST(Reclaimer, NoReaderOnlineFreesImmediately) {
  int freed = 0;
  Reclaimer r(2);
  r.retire(new Tracked(freed));
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.reclaim(), 1u);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Reclaimer, WaitsForEveryOnlineReaderToQuiesce) {
  int freed = 0;
  Reclaimer r(3);
  r.quiescent(0);
  r.quiescent(1);
  EXPECT_TRUE(r.online(0));
  EXPECT_FALSE(r.online(2));
  r.retire(new Tracked(freed));
  EXPECT_EQ(r.reclaim(), 0u) << "both readers may hold it";
  r.quiescent(0);
  EXPECT_EQ(r.reclaim(), 0u) << "reader 1 may still hold it";
  r.quiescent(1);
  EXPECT_EQ(r.reclaim(), 1u);
  EXPECT_EQ(freed, 1);
}

TEST(Reclaimer, OfflineReadersDoNotHoldBack) {
  int freed = 0;
  Reclaimer r(2);
  r.quiescent(0);
  r.quiescent(1);
  r.retire(new Tracked(freed));
  r.offline(1);
  r.quiescent(0);
  EXPECT_EQ(r.reclaim(), 1u);
  EXPECT_FALSE(r.online(1));
}

TEST(Reclaimer, ReaderComingOnlineLaterDoesNotHoldOlderRetirements) {
  int freed = 0;
  Reclaimer r(2);
  r.retire(new Tracked(freed));
  r.quiescent(1);  // came online after the retirement: cannot have seen it
  EXPECT_EQ(r.reclaim(), 1u);
}

TEST(Reclaimer, FreesInRetirementOrderUpToTheOldestReader) {
  int freed = 0;
  Reclaimer r(1);
  r.quiescent(0);
  r.retire(new Tracked(freed));
  r.quiescent(0);
  r.retire(new Tracked(freed));
  EXPECT_EQ(r.reclaim(), 1u) << "only the one retired before the quiescent point";
  r.quiescent(0);
  EXPECT_EQ(r.reclaim(), 1u);
  EXPECT_EQ(freed, 2);
}

TEST(Reclaimer, DestructorFreesWhatIsLeft) {
  int freed = 0;
  {
    Reclaimer r(1);
    r.quiescent(0);
    r.retire(new Tracked(freed));
    r.retire(new Tracked(freed));
  }
  EXPECT_EQ(freed, 2);
}

}  // namespace
}  // namespace rmq::router
