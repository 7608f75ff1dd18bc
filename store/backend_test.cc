// One conformance suite for every Backend: the local directory always, and S3 against the
// server that $ARTIDX_TEST_S3_URL, $AWS_ENDPOINT_URL and the AWS credentials name (scripts/test
// starts a loopback Swift and sets them). Without them the S3 cases skip, unless
// $ARTIDX_REQUIRE_S3 is set, when they fail. Each S3 case works under a prefix of its own, so
// that cases may run in parallel against one bucket. One file, over 600 lines: the suite and
// the S3 client's fault cases share the backends' fixture and the scripted server.
//
// Then the S3 client's handling of a hostile or failing server, against a scripted HTTP server
// on loopback: retries of 503s and dropped connections, no retry of 403, oversized and
// malformed responses.

#include "store/backend.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/local_backend.h"
#include "store/s3_backend.h"
#include "store/s3_client.h"
#include "store/seekable_zstd.h"
#include "tests/scripted_server.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

using ::artidx::testing::RandomHex;
using ::artidx::testing::ScriptedServer;
using Action = ::artidx::testing::ScriptedServer::Action;
using ::artidx::testing::Drop;
using ::artidx::testing::Forward;
using ::artidx::testing::ForwardCut;
using ::artidx::testing::Raw;
using ::artidx::testing::Respond;

// Every entry under `prefix`, page by page.
std::vector<std::string> ListAll(Backend& backend, std::string_view prefix, size_t page_size,
                                 Backend::ListMode mode = Backend::ListMode::kRecursive,
                                 int* pages = nullptr) {
  std::vector<std::string> all;
  std::string cursor;
  int count = 0;
  do {
    absl::StatusOr<Backend::Listing> page = backend.List(prefix, cursor, page_size, mode);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->keys.size(), page_size);
    all.insert(all.end(), page->keys.begin(), page->keys.end());
    cursor = page->next_cursor;
    EXPECT_TRUE(cursor.empty() || cursor == page->keys.back());
    ++count;
  } while (!cursor.empty() && count < 100000);
  if (pages != nullptr) *pages = count;
  return all;
}

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "local") {
      backend_ = std::make_unique<LocalBackend>(dir_ / "store");
      return;
    }
    const char* url = std::getenv("ARTIDX_TEST_S3_URL");
    if (url == nullptr) {
      if (std::getenv("ARTIDX_REQUIRE_S3") != nullptr) {
        FAIL() << "ARTIDX_REQUIRE_S3 is set but ARTIDX_TEST_S3_URL is not";
      }
      GTEST_SKIP() << "no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)";
    }
    absl::StatusOr<S3Location> location = ParseS3Location(url);
    ASSERT_TRUE(location.ok()) << location.status();
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = test->name();
    std::replace(name.begin(), name.end(), '/', '-');
    location->prefix += (location->prefix.empty() ? "" : "/") + name + "-" + RandomHex(12);
    absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
    ASSERT_TRUE(config.ok()) << config.status();
    s3_location_ = *location;
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        S3Backend::Open(*location, *config, {dir_ / "cache"});
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
  }

  void TearDown() override {
    if (backend_ == nullptr || GetParam() == "local") return;
    for (const std::string& key : ListAll(*backend_, "", 1000)) {
      EXPECT_TRUE(backend_->Delete(key).ok()) << key;
    }
  }

  Backend& backend() { return *backend_; }

  testing::TempDir dir_;
  std::unique_ptr<Backend> backend_;
  S3Location s3_location_;  // of the s3 case
};

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(BackendTest, WriteThenReadRoundTripsBinaryBytes) {
  std::string data;
  for (int i = 0; i < 70000; ++i) data += static_cast<char>((i * 131 + i / 7) & 0xFF);
  ASSERT_TRUE(backend().Write("a/b/blob.bin", data).ok());
  absl::StatusOr<std::string> read = backend().Read("a/b/blob.bin", 1 << 20);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
  absl::StatusOr<Backend::KeyInfo> info = backend().Stat("a/b/blob.bin");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, data.size());

  // Over 1 MiB: a body that HTTP clients may send after "Expect: 100-continue".
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i ^ (i >> 11));
  ASSERT_TRUE(backend().Write("big", big).ok());
  read = backend().Read("big", big.size());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == big);

  ASSERT_TRUE(backend().Write("empty", "").ok());
  read = backend().Read("empty", 10);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST_P(BackendTest, KeysWithPlusSpaceTildeAndUtf8) {
  const std::vector<std::string> keys = {"p/a+b", "p/a b",     "p/a~b",        "p/ü/ß.txt",
                                         "p/%41", "p/x=y&z?#", "p/日本語 + ~", "p/(1)[2]{3}$@!,;'"};
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(backend().Write(keys[i], "value " + keys[i]).ok()) << keys[i];
  }
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> read = backend().Read(key, 1000);
    ASSERT_TRUE(read.ok()) << key << ": " << read.status();
    EXPECT_EQ(*read, "value " + key);
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ListAll(backend(), "p/", 3), sorted);
  // '+' is not ' ' on the server: "p/a+b" and "p/a b" stay two keys.
  EXPECT_THAT(ListAll(backend(), "p/a", 10), ElementsAre("p/a b", "p/a+b", "p/a~b"));
}

TEST_P(BackendTest, MissingKeysAreNotFound) {
  EXPECT_TRUE(absl::IsNotFound(backend().Read("no/such", 100).status()));
  EXPECT_TRUE(absl::IsNotFound(backend().ReadRange("no/such", 0, 10).status()));
  EXPECT_TRUE(absl::IsNotFound(backend().ReadRange("no/such", 0, 0).status()));
  EXPECT_TRUE(absl::IsNotFound(backend().Stat("no/such").status()));
  EXPECT_TRUE(absl::IsNotFound(backend().Touch("no/such")));
  EXPECT_TRUE(absl::IsNotFound(backend().Map("no/such", 100).status()));
  EXPECT_TRUE(backend().Delete("no/such").ok());
  absl::StatusOr<Backend::Listing> listing = backend().List("no/", "", 10);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_TRUE(listing->keys.empty());
  EXPECT_EQ(listing->next_cursor, "");
}

TEST_P(BackendTest, ReadOverTheLimitIsResourceExhausted) {
  ASSERT_TRUE(backend().Write("k", std::string(5000, 'x')).ok());
  absl::Status status = backend().Read("k", 4999).status();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(Msg(status), HasSubstr("k"));
  EXPECT_TRUE(backend().Read("k", 5000).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(backend().Map("k", 4999).status()));
}

TEST_P(BackendTest, RangedReads) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i % 251);
  ASSERT_TRUE(backend().Write("r", data).ok());
  struct Case {
    uint64_t offset, length;
  };
  for (Case c : std::vector<Case>{{0, 1},
                                  {0, 1000},
                                  {1, 998},
                                  {500, 10},
                                  {999, 1},
                                  {990, 100},
                                  {0, 5000},
                                  {1000, 1},
                                  {1000, 0},
                                  {5000, 10},
                                  {10, 0},
                                  {0, UINT64_MAX},
                                  {7, UINT64_MAX}}) {
    absl::StatusOr<std::string> read = backend().ReadRange("r", c.offset, c.length);
    ASSERT_TRUE(read.ok()) << c.offset << "+" << c.length << ": " << read.status();
    const std::string want = c.offset >= data.size() ? "" : data.substr(c.offset, c.length);
    EXPECT_EQ(*read, want) << c.offset << "+" << c.length;
  }
}

// Index segments read back as written whatever the backend keeps (on S3, seekable zstd: SPEC.md
// 18.3), whole, by range across frame boundaries, and mapped.
TEST_P(BackendTest, IndexSegmentsReadBackAsWritten) {
  std::string data;
  for (int i = 0; data.size() < 5 * kSeekableFrameBytes + 7; ++i) {
    data += StrCat("~/static/js/", i % 977, ".js ", std::string(1, static_cast<char>(i * 7919)));
  }
  const std::string key = "projects/p/debug-ids/0123456789abcdef0123456789abcdef.aix";
  ASSERT_TRUE(backend().Write(key, data).ok());
  absl::StatusOr<std::string> read = backend().Read(key, data.size());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == data);
  EXPECT_TRUE(absl::IsResourceExhausted(backend().Read(key, data.size() - 1).status()));
  absl::StatusOr<Backend::KeyInfo> info = backend().Stat(key);
  ASSERT_TRUE(info.ok()) << info.status();
  const uint64_t f = kSeekableFrameBytes;
  for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 10}, {f - 3, 6}, {2 * f, 3 * f}, {data.size() - 1, 9}, {data.size(), 1}, {3, 0}}) {
    read = backend().ReadRange(key, offset, length);
    ASSERT_TRUE(read.ok()) << offset << "+" << length << ": " << read.status();
    EXPECT_TRUE(*read == (offset >= data.size() ? "" : data.substr(offset, length)))
        << offset << "+" << length;
  }
  absl::StatusOr<std::unique_ptr<MappedFile>> mapped = backend().Map(key, data.size());
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_TRUE((*mapped)->data() == data);
  EXPECT_TRUE(absl::IsNotFound(backend().ReadRange("projects/p/none.aix", 0, 1).status()));
  EXPECT_TRUE(absl::IsNotFound(backend().Stat("projects/p/none.aix").status()));
  if (GetParam() != "s3") {
    EXPECT_EQ(info->size, data.size());
    return;
  }
  // The object itself is the compressed layout, smaller than the data.
  absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
  ASSERT_TRUE(config.ok());
  S3Client client(*config, s3_location_.bucket);
  absl::StatusOr<std::string> object = client.Get(StrCat(s3_location_.prefix, "/", key), 1 << 30);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_LT(object->size(), data.size() / 2);
  // Stat gives the stored (compressed) size; a segment is never renewed.
  EXPECT_EQ(info->size, object->size());
  EXPECT_TRUE(absl::IsInvalidArgument(backend().Touch(key)));
  absl::StatusOr<std::string> decompressed = DecompressSeekable(*object, data.size());
  ASSERT_TRUE(decompressed.ok()) << decompressed.status();
  EXPECT_TRUE(*decompressed == data);
  // A damaged object is an error naming it, never other bytes.
  std::string damaged = *object;
  damaged[damaged.size() / 2] ^= 0x10;
  ASSERT_TRUE(client.Put(StrCat(s3_location_.prefix, "/", key), damaged).ok());
  read = backend().Read(key, data.size());
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  EXPECT_THAT(read.status().message(), HasSubstr(key));
}

TEST_P(BackendTest, ListsInByteOrderAcrossPages) {
  // Names chosen so that directory order and byte order differ ('.' < '/' < '0').
  std::vector<std::string> keys;
  for (int i = 0; i < 67; ++i) {
    keys.push_back("idx/" + std::to_string(i * 7919 % 1000) + ".aix");
  }
  keys.insert(keys.end(), {"idx/a/x", "idx/a.b", "idx/a0", "idx/a/y/z", "idx/b", "other/x",
                           "idx-not/x", "idx.txt"});
  for (const std::string& key : keys) ASSERT_TRUE(backend().Write(key, key).ok()) << key;
  std::vector<std::string> want;
  for (const std::string& key : keys) {
    if (key.rfind("idx/", 0) == 0) want.push_back(key);
  }
  std::sort(want.begin(), want.end());
  int pages = 0;
  EXPECT_EQ(ListAll(backend(), "idx/", 10, Backend::ListMode::kRecursive, &pages), want);
  EXPECT_EQ(pages, static_cast<int>((want.size() + 9) / 10));
  EXPECT_EQ(ListAll(backend(), "idx/", 1), want);
  EXPECT_EQ(ListAll(backend(), "idx/", 1000), want);

  // A prefix that is not a whole component.
  EXPECT_THAT(ListAll(backend(), "idx/a", 2),
              ElementsAre("idx/a.b", "idx/a/x", "idx/a/y/z", "idx/a0"));
  EXPECT_THAT(ListAll(backend(), "idx", 1000).size(), want.size() + 2);

  // Resuming after any key gives exactly what follows it.
  absl::StatusOr<Backend::Listing> rest = backend().List("idx/", want[50], 1000);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->keys, std::vector<std::string>(want.begin() + 51, want.end()));
}

TEST_P(BackendTest, ListsOneLevel) {
  for (const char* key : {"b/1/x", "b/1/y", "b/2/z/w", "b/2.aix", "b/3", "b/30/q", "c/1"}) {
    ASSERT_TRUE(backend().Write(key, "v").ok());
  }
  const std::vector<std::string> want = {"b/1/", "b/2.aix", "b/2/", "b/3", "b/30/"};
  EXPECT_EQ(ListAll(backend(), "b/", 1000, Backend::ListMode::kOneLevel), want);
  EXPECT_EQ(ListAll(backend(), "b/", 1, Backend::ListMode::kOneLevel), want);
  EXPECT_EQ(ListAll(backend(), "b/", 2, Backend::ListMode::kOneLevel), want);
  EXPECT_THAT(ListAll(backend(), "", 1000, Backend::ListMode::kOneLevel), ElementsAre("b/", "c/"));
  // A directory whose keys are all deleted is gone from the listing.
  ASSERT_TRUE(backend().Delete("b/2/z/w").ok());
  EXPECT_THAT(ListAll(backend(), "b/", 1000, Backend::ListMode::kOneLevel),
              ElementsAre("b/1/", "b/2.aix", "b/3", "b/30/"));
}

TEST_P(BackendTest, WriteAgainWithTheSameBytesAndDelete) {
  ASSERT_TRUE(backend().Write("s/k", "same").ok());
  ASSERT_TRUE(backend().Write("s/k", "same").ok());
  EXPECT_EQ(*backend().Read("s/k", 100), "same");
  EXPECT_THAT(ListAll(backend(), "s/", 10), ElementsAre("s/k"));
  ASSERT_TRUE(backend().Delete("s/k").ok());
  EXPECT_TRUE(absl::IsNotFound(backend().Read("s/k", 100).status()));
  EXPECT_TRUE(ListAll(backend(), "s/", 10).empty());
}

TEST_P(BackendTest, MapGivesTheBytes) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(backend().Write("m/seg.aix", data).ok());
  for (int i = 0; i < 2; ++i) {  // the second from the S3 backend's cache
    absl::StatusOr<std::unique_ptr<MappedFile>> file = backend().Map("m/seg.aix", 1 << 20);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ((*file)->data(), data);
  }
}

TEST_P(BackendTest, RejectsInvalidKeys) {
  for (std::string key :
       {std::string(""), std::string("/a"), std::string("a/"), std::string("a//b"),
        std::string("a/../b"), std::string("./a"), std::string("a\nb"), std::string("a\0b", 3),
        std::string("\xff"), std::string("x.tmp.12.3"), std::string(1025, 'k')}) {
    EXPECT_TRUE(absl::IsInvalidArgument(backend().Write(key, "v"))) << key;
    EXPECT_TRUE(absl::IsInvalidArgument(backend().Read(key, 10).status())) << key;
  }
  std::string longest;  // 1024 bytes in components of at most 255
  for (int i = 0; i < 5; ++i) longest += std::string(200, 'k') + "/";
  longest += std::string(19, 'k');
  EXPECT_TRUE(absl::IsInvalidArgument(backend().Write(longest + "k", "v")));
  // The S3 store's prefix counts against S3's limit: its longest key is shorter.
  const std::string long_key = longest.substr(0, 900);
  absl::Status status = backend().Write(long_key, "v");
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(*backend().Read(long_key, 10), "v");
  EXPECT_TRUE(absl::IsInvalidArgument(backend().Write(std::string(256, 'k'), "v")));
}

TEST_P(BackendTest, AgesAreWriteTimesThatTouchRenewsWithoutChangingBytes) {
  const int64_t before = NowMs();
  ASSERT_TRUE(backend().Write("u/a.zip", "archive").ok());
  absl::StatusOr<Backend::KeyInfo> written = backend().Stat("u/a.zip");
  ASSERT_TRUE(written.ok()) << written.status();
  // S3's Last-Modified has whole seconds; a server's clock may differ from ours a little.
  EXPECT_GE(written->modified_ms, before - 5000);
  EXPECT_LE(written->modified_ms, NowMs() + 5000);
  EXPECT_EQ(written->size, 7u);
  // An old key (made old where the clock can be set: the local file's time) renewed.
  if (GetParam() == "local") {
    const struct timespec old[2] = {{1000, 0}, {1000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "store/u/a.zip").c_str(), old, 0), 0);
    EXPECT_EQ(backend().Stat("u/a.zip")->modified_ms, 1000 * 1000);
  }
  const int64_t touched_at = NowMs();
  ASSERT_TRUE(backend().Touch("u/a.zip").ok());
  absl::StatusOr<Backend::KeyInfo> touched = backend().Stat("u/a.zip");
  ASSERT_TRUE(touched.ok()) << touched.status();
  EXPECT_GE(touched->modified_ms, touched_at - 5000);
  EXPECT_EQ(*backend().Read("u/a.zip", 100), "archive");
  // Whatever renews the age is no key of its own, and goes with its key.
  EXPECT_THAT(ListAll(backend(), "u/", 10), ElementsAre("u/a.zip"));
  ASSERT_TRUE(backend().Delete("u/a.zip").ok());
  EXPECT_TRUE(ListAll(backend(), "u/", 10).empty());
  EXPECT_TRUE(absl::IsNotFound(backend().Stat("u/a.zip").status()));
}

TEST_P(BackendTest, DeferredWritesAreVisibleAtOnceAndDurableAfterSync) {
  for (int i = 0; i < 3; ++i) {
    const std::string key = "d/" + std::to_string(i) + "/r.ref";
    ASSERT_TRUE(backend().Write(key, key, Sync::kDeferred).ok());
    EXPECT_EQ(*backend().Read(key, 100), key);
  }
  EXPECT_TRUE(backend().SyncWrites().ok());
  EXPECT_EQ(ListAll(backend(), "d/", 10).size(), 3u);
}

TEST_P(BackendTest, ElectionNeverFailsAWriter) {
  ASSERT_TRUE(backend().Write("e/i/x.aix", "v").ok());
  absl::StatusOr<std::unique_ptr<Backend::Office>> first = backend().Elect("e/i/", false);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_NE(*first, nullptr);
  absl::StatusOr<std::unique_ptr<Backend::Office>> second = backend().Elect("e/i/", false);
  ASSERT_TRUE(second.ok()) << second.status();
  // The local backend elects one holder at a time; S3, which has no lock, everyone.
  EXPECT_EQ(*second == nullptr, GetParam() == "local");
  first->reset();
  absl::StatusOr<std::unique_ptr<Backend::Office>> third = backend().Elect("e/i/", true);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_NE(*third, nullptr);
}

TEST_P(BackendTest, ConcurrentWritersFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kKeysEach = 12;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeysEach; ++i) {
        // Every thread also writes the shared keys, with the same bytes.
        const std::string own = "c/" + std::to_string(t) + "/" + std::to_string(i);
        const std::string shared = "c/shared/" + std::to_string(i);
        if (!backend().Write(own, own).ok() || !backend().Write(shared, shared).ok()) ++failures;
        absl::StatusOr<std::string> read = backend().Read(own, 100);
        if (!read.ok() || *read != own) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const std::vector<std::string> listed = ListAll(backend(), "c/", 37);
  EXPECT_EQ(listed.size(), static_cast<size_t>(kThreads * kKeysEach + kKeysEach));
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  for (const std::string& key : listed) EXPECT_EQ(*backend().Read(key, 100), key);
}

TEST(LocalBackendTest, HidesTemporaryFilesAndWritesWhereTheStoreLayoutSays) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("projects/p/debug-ids/x.aix", "seg").ok());
  EXPECT_EQ(testing::ReadFileOrDie(dir / "projects/p/debug-ids/x.aix"), "seg");
  testing::WriteFileOrDie(dir / "projects/p/debug-ids/y.aix.tmp.123.0", "torn");
  EXPECT_THAT(ListAll(backend, "projects/", 10), ElementsAre("projects/p/debug-ids/x.aix"));
}

TEST(LocalBackendTest, SweepsTheTemporaryFilesOfCrashedWritersWhenListing) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("i/x.aix", "seg").ok());
  const std::string fresh = dir / "i/y.aix.tmp.1.0";
  const std::string stale = dir / "i/z.aix.tmp.1.1";
  testing::WriteFileOrDie(fresh, "being written");
  testing::WriteFileOrDie(stale, "left by a crash");
  const struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, stale.c_str(), old, 0), 0);
  EXPECT_THAT(ListAll(backend, "i/", 10), ElementsAre("i/x.aix"));
  EXPECT_TRUE(std::filesystem::exists(fresh));
  EXPECT_FALSE(std::filesystem::exists(stale));
}

// A crash during the first write to a new directory leaves a directory that holds only the
// temporary file: one-level listings show no such directory, so they sweep it themselves.
TEST(LocalBackendTest, SweepsTemporaryFilesInDirectoriesNoListingShows) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("bundles/a/x.zip", "archive").ok());
  const std::string stale = dir / "bundles/b/y.zip.tmp.1.1";
  const std::string fresh = dir / "bundles/c/z.zip.tmp.1.2";
  std::filesystem::create_directories(dir / "bundles/b");
  std::filesystem::create_directories(dir / "bundles/c");
  testing::WriteFileOrDie(stale, "left by a crash");
  testing::WriteFileOrDie(fresh, "being written");
  const struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, stale.c_str(), old, 0), 0);
  EXPECT_THAT(ListAll(backend, "bundles/", 10, Backend::ListMode::kOneLevel),
              ElementsAre("bundles/a/"));
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
}

// Only a temporary file's own name marks it for the sweep, never the store's path: an old file
// that is no key (not the store's) stays, under a root whose path holds ".tmp.".
TEST(LocalBackendTest, SweepsOnlyFilesNamedAsTemporaries) {
  testing::TempDir dir;
  LocalBackend local(dir / "store.tmp.1.2");
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("i/x.aix", "seg").ok());
  const std::string foreign = dir / "store.tmp.1.2/i/notes\x01";
  testing::WriteFileOrDie(foreign, "someone else's");
  const struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, foreign.c_str(), old, 0), 0);
  EXPECT_THAT(ListAll(backend, "i/", 10), ElementsAre("i/x.aix"));
  EXPECT_TRUE(std::filesystem::exists(foreign));
}

// Sets an environment variable for a scope (unset when `value` is null), restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// An s3:// location is an object store, never a directory "s3:": when it cannot be opened,
// every call says why, naming the location, and nothing is written locally.
TEST(OpenBackendTest, AnObjectStoreThatCannotBeOpenedFailsEveryCallNamingIt) {
  testing::TempDir dir;
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  struct Restore {
    const std::filesystem::path& cwd;
    ~Restore() { std::filesystem::current_path(cwd); }
  } restore{cwd};
  ScopedEnv no_key("AWS_ACCESS_KEY_ID", nullptr);
  std::shared_ptr<Backend> backend = OpenBackendOrFailing("s3://bucket/prefix", {});
  EXPECT_EQ(backend->Describe(), "s3://bucket/prefix");
  const absl::Status write = backend->Write("bundles/a/x.zip", "archive");
  EXPECT_TRUE(absl::IsInvalidArgument(write)) << write;
  EXPECT_THAT(Msg(write), HasSubstr("s3://bucket/prefix: S3 credentials missing"));
  EXPECT_EQ(backend->List("", "", 10).status(), write);
  EXPECT_EQ(backend->Map("bundles/a/x.zip", 10).status(), write);
  EXPECT_FALSE(std::filesystem::exists(dir / "s3:"));
  const absl::Status bad_url = OpenBackendOrFailing("s3://B/x", {})->Delete("k");
  EXPECT_TRUE(absl::IsInvalidArgument(bad_url)) << bad_url;
  EXPECT_THAT(Msg(bad_url), HasSubstr("s3://B/x"));
}

TEST(LocalBackendTest, DeleteRemovesTheDirectoriesItEmptiesBelowTheTopLevel) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("bundles/b/refs/1.ref", "r").ok());
  ASSERT_TRUE(backend.Write("bundles/b/a.zip", "z").ok());
  ASSERT_TRUE(backend.Delete("bundles/b/refs/1.ref").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "bundles/b/refs"));
  EXPECT_TRUE(std::filesystem::exists(dir / "bundles/b/a.zip"));
  ASSERT_TRUE(backend.Delete("bundles/b/a.zip").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "bundles/b"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "bundles"));
}

TEST(LocalBackendTest, WritesRacingDeletesOfTheirDirectoryNeverFail) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  // Two threads each write a key into one directory and delete it again, over and over: each
  // deletion that leaves the directory empty removes it (and its parent), which the other's
  // write may be about to use. Every write succeeds.
  const auto cycle = [&](const std::string& key) {
    if (absl::Status s = backend.Write(key, "v"); !s.ok()) {
      ++failures;
      ADD_FAILURE() << s;
    }
    if (!backend.Delete(key).ok()) ++failures;
  };
  std::thread other([&] {
    while (!done) cycle("t/d/e/k");
  });
  for (int i = 0; i < 2000; ++i) cycle("t/d/e/" + std::to_string(i));
  done = true;
  other.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(LocalBackendTest, ListingErrorsAreErrorsNotEmptyListings) {
  testing::TempDir dir;
  LocalBackend local(dir.path());
  Backend& backend = local;
  ASSERT_TRUE(backend.Write("l/x/k", "v").ok());
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((dir / "l/x").c_str(), 0), 0);
  // Root reads any directory: the listing runs in a child that is not root.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(2);
    ::_exit(backend.List("l/x/", "", 10).ok() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::chmod((dir / "l/x").c_str(), 0755);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the listing succeeded; 2: setuid failed";
}

TEST(OpenBackendTest, PicksTheBackendFromTheLocation) {
  absl::StatusOr<std::unique_ptr<Backend>> local = OpenBackend("/tmp/some/store", {});
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ((*local)->Describe(), "/tmp/some/store");

  absl::StatusOr<S3Location> location = ParseS3Location("s3://my-bucket/a/b/");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->bucket, "my-bucket");
  EXPECT_EQ(location->prefix, "a/b");
  location = ParseS3Location("s3://my-bucket");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->prefix, "");
  for (const char* bad : {"s3://", "s3://AB", "s3://b", "s3://bucket//x", "s3://bucket/a/../b",
                          "s3://-bucket", "http://bucket"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseS3Location(bad).status())) << bad;
  }
}

S3Config FastRetries(const ScriptedServer& server) {
  S3Config config;
  config.endpoint = server.endpoint();
  config.access_key_id = "AKID";
  config.secret_access_key = "secret";
  config.max_attempts = 4;
  config.initial_backoff_ms = 1;
  config.max_backoff_ms = 5;
  return config;
}

TEST(S3ClientFaultTest, Retries503AndDroppedConnectionsThenSucceeds) {
  ScriptedServer server({Respond(503, "<Error><Code>SlowDown</Code></Error>"), Drop(),
                         Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
                         Respond(200, "the bytes")});
  S3Client client(FastRetries(server), "bucket");
  absl::StatusOr<std::string> read = client.Get("a+b c", 1000);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "the bytes");
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(client.requests_sent(), 4u);
  // Path-style, the key encoded as SigV4 wants it.
  EXPECT_THAT(server.request_lines(),
              ::testing::Each(std::string("GET /bucket/a%2Bb%20c HTTP/1.1")));
}

TEST(S3ClientFaultTest, GivesUpAfterTheLastAttemptNamingKeyAndStatus) {
  ScriptedServer server({Respond(503,
                                 "<Error><Code>SlowDown</Code><Message>Reduce your "
                                 "request rate.</Message></Error>")});
  S3Client client(FastRetries(server), "bucket");
  absl::Status status = client.Put("dir/key", "data");
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(Msg(status),
            "s3://bucket/dir/key: PUT: HTTP 503 SlowDown: Reduce your request rate. (after 4 "
            "attempts)");
  EXPECT_EQ(server.requests(), 4);

  ScriptedServer dropping({Drop()});
  S3Client client2(FastRetries(dropping), "bucket");
  status = client2.Get("k", 10).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(Msg(status), HasSubstr("s3://bucket/k: GET: "));
  EXPECT_THAT(Msg(status), HasSubstr("(after 4 attempts)"));
  EXPECT_EQ(dropping.requests(), 4);
  // A listing that fails so names what it listed, not the bare bucket.
  status = client2.List("dir/sub/", "/", "", "", 100).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(Msg(status), HasSubstr("s3://bucket/?list-type=2&prefix=dir/sub/: GET: "));
}

TEST(S3ClientFaultTest, DoesNotRetryAuthenticationErrors) {
  ScriptedServer server(
      {Respond(403,
               "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>SignatureDoesNotMatch"
               "</Code><Message>The request signature we calculated does not match"
               "</Message></Error>")});
  S3Client client(FastRetries(server), "bucket");
  absl::Status status = client.Get("k", 10).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_EQ(Msg(status),
            "s3://bucket/k: GET: HTTP 403 SignatureDoesNotMatch: The request signature we "
            "calculated does not match");
  EXPECT_EQ(server.requests(), 1);
}

// A request the object store refuses as malformed (400) is the store's failure, not an invalid
// argument of the caller's (which the server would answer as the client's fault).
TEST(S3ClientFaultTest, ABadRequestIsAFailedPreconditionNotRetried) {
  ScriptedServer server(
      {Respond(400, "<Error><Code>InvalidRequest</Code><Message>Bad</Message></Error>")});
  S3Client client(FastRetries(server), "bucket");
  absl::Status status = client.Get("k", 10).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(Msg(status), "s3://bucket/k: GET: HTTP 400 InvalidRequest: Bad");
  EXPECT_EQ(server.requests(), 1);
}

TEST(S3ClientFaultTest, CapsOversizedResponses) {
  ScriptedServer server({Respond(200, std::string(10000, 'x'))});
  S3Client client(FastRetries(server), "bucket");
  absl::Status status = client.Get("big", 9999).status();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(Msg(status), HasSubstr("s3://bucket/big"));
  EXPECT_EQ(server.requests(), 1);
  // A range answered with more than the range.
  status = client.GetRange("big", 10, 5).status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  // An error body of any size is cut, not collected.
  ScriptedServer error_server({Respond(404, std::string(10 << 20, 'e'))});
  S3Client client2(FastRetries(error_server), "bucket");
  EXPECT_TRUE(absl::IsNotFound(client2.Get("k", 10).status()));
}

TEST(S3ClientFaultTest, RejectsMalformedListings) {
  const std::string head = "<?xml version=\"1.0\"?><ListBucketResult>";
  for (const std::string& body : std::vector<std::string>{
           "",
           "not xml",
           head,
           head + "<Contents><Key>a</Key></Contents>",
           head + "<IsTruncated>maybe</IsTruncated></ListBucketResult>",
           head + "<IsTruncated>true</IsTruncated></ListBucketResult>",
           head + "<Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
           head + "<Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
           head + "<Contents><Key><![CDATA[x]]></Key></Contents></ListBucketResult>",
           head + "</Contents></ListBucketResult>",
           "<Other/>",
           head + "</ListBucketResult><ListBucketResult></ListBucketResult>",
           head + std::string(100, '<') + "</ListBucketResult>",
       }) {
    EXPECT_TRUE(absl::IsDataLoss(ParseListObjectsV2(body).status())) << body;
  }
  absl::StatusOr<S3ListPage> page = ParseListObjectsV2(
      head +
      "<Name>b</Name><Contents><Key>a &amp; b&#x2B;&#43;&lt;</Key><Size>1</Size>"
      "</Contents><CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>t/+=</NextContinuationToken>"
      "</ListBucketResult>\n");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->keys, ElementsAre("a & b++<"));
  EXPECT_THAT(page->common_prefixes, ElementsAre("d/"));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "t/+=");
}

TEST(S3ClientFaultTest, BackendRejectsListingsOutOfOrderOrOutsideThePrefix) {
  auto listing = [](const std::string& keys) {
    return Respond(
        200, "<ListBucketResult><IsTruncated>false</IsTruncated>" + keys + "</ListBucketResult>");
  };
  for (const std::string& keys : std::vector<std::string>{
           "<Contents><Key>p/b</Key></Contents><Contents><Key>p/b</Key></Contents>",
           "<Contents><Key>q/a</Key></Contents>",
           "<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes>",
       }) {
    ScriptedServer server({listing(keys)});
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        S3Backend::Open({"bucket", ""}, FastRetries(server), {});
    ASSERT_TRUE(backend.ok());
    absl::Status status = (*backend)->List("p/", "", 10).status();
    EXPECT_TRUE(absl::IsDataLoss(status)) << keys << ": " << status;
  }
  // A server that says "truncated" forever with nothing new.
  ScriptedServer endless({Respond(200,
                                  "<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "<NextContinuationToken>t</NextContinuationToken>"
                                  "</ListBucketResult>")});
  absl::StatusOr<std::unique_ptr<Backend>> backend =
      S3Backend::Open({"bucket", ""}, FastRetries(endless), {});
  ASSERT_TRUE(backend.ok());
  EXPECT_TRUE(absl::IsDataLoss((*backend)->List("p/", "", 10).status()));
}

void SetMtime(const std::string& path, time_t seconds) {
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

time_t Mtime(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtime : -1;
}

TEST(S3BackendCacheTest, EvictsTheLeastRecentlyMappedCopiesAndKeepsMappingsValid) {
  const std::string bytes(1000, 'c');
  ScriptedServer server({Respond(200, bytes)});
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Backend>> backend =
      S3Backend::Open({"bucket", ""}, FastRetries(server), {dir / "cache", 3500});
  ASSERT_TRUE(backend.ok()) << backend.status();
  std::vector<std::unique_ptr<MappedFile>> maps;
  auto map = [&](const std::string& key) {
    absl::StatusOr<std::unique_ptr<MappedFile>> file = (*backend)->Map(key, 10000);
    ASSERT_TRUE(file.ok()) << key << ": " << file.status();
    EXPECT_EQ((*file)->data(), bytes);
    maps.push_back(*std::move(file));
  };
  map("k/a");
  map("k/b");
  map("k/c");  // 3000 bytes: they fit
  EXPECT_EQ(server.requests(), 3);
  std::string root;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "cache")) {
    root = entry.path().string();
  }
  ASSERT_EQ(std::filesystem::path(root).filename().string().rfind("s3-", 0), 0u) << root;
  // Last used: b long ago, then c, then a; mapping a again (from the cache) makes it the newest.
  SetMtime(root + "/k/b", 100);
  SetMtime(root + "/k/c", 200);
  SetMtime(root + "/k/a", 300);
  map("k/a");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_GT(Mtime(root + "/k/a"), 300);

  map("k/d");  // 4000 bytes would be over 3500: b and c go, down to 3/4 of the limit
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(Mtime(root + "/k/b"), -1);
  EXPECT_EQ(Mtime(root + "/k/c"), -1);
  EXPECT_GT(Mtime(root + "/k/a"), 300);
  EXPECT_GT(Mtime(root + "/k/d"), 300);
  for (const auto& file : maps) EXPECT_EQ(file->data(), bytes);  // evicted or not
  map("k/b");                                                    // downloaded again
  EXPECT_EQ(server.requests(), 5);
}

// The same faults between the client and a real S3 server (Swift): a proxy that drops
// connections, answers 503, and cuts responses short, in front of it.
TEST(S3FaultProxyTest, RetriesThroughDropsErrorsAndCutResponsesToARealServer) {
  const char* url = std::getenv("ARTIDX_TEST_S3_URL");
  const int upstream_port = ::artidx::testing::LoopbackEndpointPort();
  if (url == nullptr || upstream_port == 0) {
    if (std::getenv("ARTIDX_REQUIRE_S3") != nullptr) FAIL() << "no loopback ARTIDX_TEST_S3_URL";
    GTEST_SKIP() << "no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)";
  }

  ScriptedServer proxy({Drop(), Respond(503, "<Error><Code>ServiceUnavailable</Code></Error>"),
                        Forward(),                // the PUT
                        ForwardCut(), Forward(),  // the GET
                        Drop(), Forward(),        // the ranged GET
                        Forward()},
                       upstream_port);
  absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
  ASSERT_TRUE(config.ok()) << config.status();
  config->endpoint = proxy.endpoint();
  config->initial_backoff_ms = 1;
  config->max_backoff_ms = 5;
  absl::StatusOr<S3Location> location = ParseS3Location(url);
  ASSERT_TRUE(location.ok()) << location.status();
  location->prefix +=
      (location->prefix.empty() ? "" : "/") + std::string("fault-proxy-") + RandomHex(12);
  absl::StatusOr<std::unique_ptr<Backend>> backend = S3Backend::Open(*location, *config, {});
  ASSERT_TRUE(backend.ok()) << backend.status();

  std::string data(200000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 + i / 1000);
  absl::Status status = (*backend)->Write("a/b+c", data);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(proxy.requests(), 3);
  absl::StatusOr<std::string> read = (*backend)->Read("a/b+c", 1 << 20);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == data);
  EXPECT_EQ(proxy.requests(), 5);
  read = (*backend)->ReadRange("a/b+c", 150000, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data.substr(150000, 100));
  EXPECT_EQ(proxy.requests(), 7);
  EXPECT_TRUE((*backend)->Delete("a/b+c").ok());
}

// The client's network connections are close-on-exec: a process this one starts (an upload server's
// helper, a test's writer) never inherits them.
TEST_P(BackendTest, ConnectionsAreNotInheritedByChildren) {
  if (GetParam() != "s3") GTEST_SKIP() << "no connections";
  ASSERT_TRUE(backend().Write("c/a", "x").ok());  // at least one connection is open now
  int sockets = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string().rfind("socket:", 0) != 0) continue;
    const int fd = std::atoi(entry.path().filename().c_str());
    int domain = 0;
    socklen_t size = sizeof(domain);
    // Network connections only: libcurl's internal wake-up socketpair is not a connection.
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0 || domain == AF_UNIX) continue;
    ++sockets;
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "socket fd " << fd;
  }
  EXPECT_GE(sockets, 1);
}

// AWS_MAX_ATTEMPTS and ARTIDX_S3_DEADLINE_S bound the retries; other values are refused, named.
TEST(S3ClientFaultTest, RetryBoundsComeFromTheEnvironment) {
  ScopedEnv key("AWS_ACCESS_KEY_ID", "id");
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", "secret");
  ScriptedServer dropping({Drop()});
  ScopedEnv endpoint("AWS_ENDPOINT_URL", dropping.endpoint().c_str());
  {
    ScopedEnv attempts("AWS_MAX_ATTEMPTS", "2");
    ScopedEnv deadline("ARTIDX_S3_DEADLINE_S", "30");
    absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->max_attempts, 2);
    EXPECT_EQ(config->deadline_ms, 30000);
    config->initial_backoff_ms = 1;
    S3Client client(*config, "bucket");
    EXPECT_THAT(Msg(client.Get("k", 10).status()), HasSubstr("(after 2 attempts)"));
    EXPECT_EQ(dropping.requests(), 2);
  }
  for (const char* bad : {"0", "101", "x", "-3", "2.5"}) {
    ScopedEnv attempts("AWS_MAX_ATTEMPTS", bad);
    EXPECT_EQ(Msg(S3ConfigFromEnvironment().status()),
              StrCat("AWS_MAX_ATTEMPTS \"", bad, "\" is not a whole number from 1 to 100"));
  }
  ScopedEnv deadline("ARTIDX_S3_DEADLINE_S", "0");
  EXPECT_TRUE(absl::IsInvalidArgument(S3ConfigFromEnvironment().status()));
}

// A cache directory that cannot be made fails the opening, naming it (before any request).
TEST(OpenBackendTest, AnUnusableCacheDirectoryIsRefusedAtOnce) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "file", "not a directory");
  ScopedEnv key("AWS_ACCESS_KEY_ID", "id");
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", "secret");
  const absl::Status status =
      OpenBackendOrFailing("s3://bucket/prefix", {dir / "file/cache", 0})->List("", "", 1).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(Msg(status), HasSubstr(StrCat("s3://bucket/prefix: cache directory ",
                                            dir / "file/cache", ": Not a directory")));
}

// OpenBackend's cache directory defaults to $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else
// $HOME/.cache/artidx: Map's copy lands there.
TEST(OpenBackendTest, MapsThroughTheDefaultCacheDirectory) {
  const char* url = std::getenv("ARTIDX_TEST_S3_URL");
  if (url == nullptr) {
    if (std::getenv("ARTIDX_REQUIRE_S3") != nullptr) FAIL() << "no ARTIDX_TEST_S3_URL";
    GTEST_SKIP() << "no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)";
  }
  testing::TempDir dir;
  const std::string location = StrCat(url, "/default-cache-", RandomHex(12));
  const std::string key = "projects/p/debug-ids/x.aix";
  auto copies = [&](const std::string& cache) {
    std::vector<std::string> found;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(cache, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file() && it->path().string().ends_with(key)) {
        found.push_back(it->path().string());
      }
    }
    return found;
  };
  struct Case {
    const char* artidx_cache;
    const char* xdg_cache_home;
    const char* home;
    std::string expected;
  };
  const std::string a = dir / "a", x = dir / "x", h = dir / "h";
  for (const Case& c : {Case{a.c_str(), x.c_str(), h.c_str(), a},
                        Case{nullptr, x.c_str(), h.c_str(), x + "/artidx"},
                        Case{nullptr, nullptr, h.c_str(), h + "/.cache/artidx"}}) {
    ScopedEnv artidx_cache("ARTIDX_CACHE", c.artidx_cache);
    ScopedEnv xdg("XDG_CACHE_HOME", c.xdg_cache_home);
    ScopedEnv home("HOME", c.home);
    absl::StatusOr<std::unique_ptr<Backend>> backend = OpenBackend(location, {});
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE((*backend)->Write(key, "segment bytes").ok());
    absl::StatusOr<std::unique_ptr<MappedFile>> file = (*backend)->Map(key, 1 << 20);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ((*file)->data(), "segment bytes");
    EXPECT_EQ(copies(c.expected).size(), 1u) << c.expected;
    EXPECT_TRUE((*backend)->Delete(key).ok());
  }
}

}  // namespace
}  // namespace artidx::store
