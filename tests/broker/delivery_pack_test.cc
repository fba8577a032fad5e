#include <gtest/gtest.h>

#include "broker/broker.h"

namespace rmq::broker {
namespace {

TEST(DeliveryPacking, OneDeliveryWithAtMostOneIdRoundTrips) {
  for (const auto qos :
       {codec::QoS::kAtMostOnce, codec::QoS::kAtLeastOnce, codec::QoS::kExactlyOnce}) {
    for (const bool rap : {false, true}) {
      for (const auto kind : {router::MatchKind::kDirect, router::MatchKind::kShared}) {
        for (const std::uint32_t id : {0u, 1u, 268'435'455u}) {
          DeliveryBatch batch;
          router::Delivery d;
          d.session = 77;
          d.max_qos = qos;
          d.retain_as_published = rap;
          d.kind = kind;
          if (id != 0) {
            batch.ids.push_back(id);
            d.ids_count = 1;
          }
          batch.deliveries.push_back(d);
          ASSERT_TRUE(fits_in_mail(batch));
          DeliveryBatch out;
          unpack_delivery(d.session, pack_delivery(d, batch.ids_of(d)), out);
          ASSERT_EQ(out.deliveries.size(), 1u);
          const router::Delivery& got = out.deliveries[0];
          EXPECT_EQ(got.session, 77u);
          EXPECT_EQ(got.max_qos, qos);
          EXPECT_EQ(got.retain_as_published, rap);
          EXPECT_EQ(got.kind, kind);
          const auto ids = out.ids_of(got);
          EXPECT_EQ(ids.size(), id != 0 ? 1u : 0u);
          if (id != 0) {
            EXPECT_EQ(ids[0], id);
          }
        }
      }
    }
  }
}

TEST(DeliveryPacking, SeveralDeliveriesOrIdsNeedABatch) {
  DeliveryBatch two;
  two.deliveries.resize(2);
  EXPECT_FALSE(fits_in_mail(two));
  DeliveryBatch ids;
  router::Delivery d;
  d.ids_count = 2;
  ids.ids = {1, 2};
  ids.deliveries.push_back(d);
  EXPECT_FALSE(fits_in_mail(ids));
}

}  // namespace
}  // namespace rmq::broker
