// Tests of chunked uploads in the library (SPEC.md 19.8): Indexer::PutChunk, MissingChunks,
// Assemble and the gc of chunks, on the real sentry-cli uploads in ../shared/fixtures, split
// into chunks as sentry-cli splits them.

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "common/sha1.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::FixturePath;
using testing::ReadFileOrDie;
using testing::TempDir;

std::string Hex(std::string_view bytes) { return Sha1Digest::Of(bytes).Hex(); }

// `archive` cut into chunks of `size` bytes.
std::vector<std::string> Split(const std::string& archive, size_t size) {
  std::vector<std::string> chunks;
  for (size_t at = 0; at < archive.size(); at += size) chunks.push_back(archive.substr(at, size));
  return chunks;
}

// Every file of the store under `root`, with its bytes.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[e.path().string()] = ReadFileOrDie(e.path().string());
  }
  return files;
}

class UploadTest : public ::testing::Test {
 protected:
  // Stores the chunks of `archive` and assembles them with `options`.
  absl::StatusOr<AssembleResult> Upload(const std::string& archive, const AddOptions& options,
                                        size_t chunk_size = 64 << 10) {
    std::vector<std::string> names;
    for (const std::string& chunk : Split(archive, chunk_size)) {
      absl::StatusOr<std::string> name = indexer_.PutChunk(chunk);
      if (!name.ok()) return name.status();
      EXPECT_EQ(*name, Hex(chunk));
      names.push_back(*name);
    }
    return indexer_.Assemble(Hex(archive), names, options);
  }

  TempDir dir_;
  Indexer indexer_{dir_.path()};
};

AddOptions Options(const std::string& release, int64_t timestamp_ms = 1000) {
  AddOptions options;
  options.projects = {"web"};
  options.release = release;
  options.timestamp_ms = timestamp_ms;
  return options;
}

TEST_F(UploadTest, MissingChunksListsWhatTheStoreLacksOnceEach) {
  const std::string archive = ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.zip"));
  const std::vector<std::string> chunks = Split(archive, 100 << 10);
  ASSERT_GE(chunks.size(), 3u);
  std::vector<std::string> names;
  for (const std::string& c : chunks) names.push_back(Hex(c));
  names.push_back(names[0]);  // asked twice, listed once

  absl::StatusOr<std::vector<std::string>> missing = indexer_.MissingChunks(names);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::vector<std::string>(names.begin(), names.end() - 1));

  ASSERT_TRUE(indexer_.PutChunk(chunks[1]).ok());
  missing = indexer_.MissingChunks(names);
  ASSERT_TRUE(missing.ok()) << missing.status();
  std::vector<std::string> expected = {names[0]};
  expected.insert(expected.end(), names.begin() + 2, names.end() - 1);
  EXPECT_EQ(*missing, expected);

  // Upper-case digests name the same chunk; anything else is refused.
  std::string upper = names[1];
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  missing = indexer_.MissingChunks({upper});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->empty());
  absl::StatusOr<std::vector<std::string>> bad = indexer_.MissingChunks({"../../etc/passwd"});
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find("invalid chunk"), absl::string_view::npos);
}

TEST_F(UploadTest, AssembleAddsTheBundleAsAddWould) {
  const std::string path = FixturePath("sentry-cli/rxjs-cjs.zip");
  const std::string archive = ReadFileOrDie(path);
  absl::StatusOr<AssembleResult> assembled = Upload(archive, Options("1.0"), 50 << 10);
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  EXPECT_FALSE(assembled->unchanged);

  // The same add through Add, into another store, gives the same index files.
  TempDir other;
  absl::StatusOr<std::vector<AddResult>> added = Indexer(other.path()).Add({path}, Options("1.0"));
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(assembled->added.bundle_id, (*added)[0].bundle_id);
  EXPECT_EQ(assembled->added.archive_sha1, (*added)[0].archive_sha1);
  EXPECT_EQ(assembled->added.files, (*added)[0].files);
  auto without_chunks = [](std::map<std::string, std::string> files, const std::string& root) {
    std::map<std::string, std::string> relative;
    for (auto& [p, bytes] : files) {
      std::string rel = p.substr(root.size());
      if (!rel.starts_with("/chunks/")) relative[rel] = std::move(bytes);
    }
    return relative;
  };
  EXPECT_EQ(without_chunks(Snapshot(dir_.path()), dir_.path()),
            without_chunks(Snapshot(other.path()), other.path()));
}

TEST_F(UploadTest, AssemblingTheSameUploadTwiceChangesNothing) {
  const std::string archive = ReadFileOrDie(FixturePath("sentry-cli/preact-web.zip"));
  AddOptions options = Options("preact@10", 1000);
  options.projects = {"web", "mobile"};
  options.dist = "web";
  absl::StatusOr<AssembleResult> first = Upload(archive, options);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto before = Snapshot(dir_.path() + "/projects");

  options.timestamp_ms = 2000;  // a later request for the same upload
  absl::StatusOr<AssembleResult> second = Upload(archive, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->unchanged);
  EXPECT_EQ(second->added.timestamp_ms, 1000);
  EXPECT_EQ(Snapshot(dir_.path() + "/projects"), before);

  // After a removal, the same upload is an add again, and wins over the removal.
  RemoveOptions remove;
  remove.timestamp_ms = 3000;
  ASSERT_TRUE(indexer_.Remove(first->added.bundle_id, remove).ok());
  options.timestamp_ms = 4000;
  absl::StatusOr<AssembleResult> third = Upload(archive, options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE(third->unchanged);
  Store store(dir_.path());
  absl::StatusOr<std::shared_ptr<const Index>> index = store.UrlIndex("mobile", "preact@10", "web");
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<Index::BundleInfo> bundles;
  ASSERT_TRUE((*index)->ListBundles(&bundles).ok());
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].timestamp_ms, 4000);

  // A new release for the same bytes is a new add too.
  options.release = "preact@11";
  absl::StatusOr<AssembleResult> fourth = Upload(archive, options);
  ASSERT_TRUE(fourth.ok()) << fourth.status();
  EXPECT_FALSE(fourth->unchanged);
}

TEST_F(UploadTest, AssembleRefusesAWrongChecksumAMissingChunkAndABadBundle) {
  const std::string archive = ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.zip"));
  std::vector<std::string> names;
  for (const std::string& chunk : Split(archive, 64 << 10)) {
    absl::StatusOr<std::string> name = indexer_.PutChunk(chunk);
    ASSERT_TRUE(name.ok()) << name.status();
    names.push_back(*name);
  }
  // Chunks out of order: the checksum does not match.
  std::vector<std::string> swapped = names;
  std::swap(swapped[0], swapped[1]);
  absl::StatusOr<AssembleResult> r = indexer_.Assemble(Hex(archive), swapped, Options("1.0"));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("not the checksum"), absl::string_view::npos) << r.status();

  const std::string absent = Hex("never uploaded");
  r = indexer_.Assemble(Hex(archive), {names[0], absent}, Options("1.0"));
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_NE(r.status().message().find(absent), absl::string_view::npos) << r.status();

  // Bytes that are no bundle: refused with the indexer's message, nothing indexed.
  const std::string junk = "PK\x03\x04 not really a zip";
  absl::StatusOr<std::string> junk_name = indexer_.PutChunk(junk);
  ASSERT_TRUE(junk_name.ok());
  r = indexer_.Assemble(Hex(junk), {*junk_name}, Options("1.0"));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()) || absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find(Hex(junk)), absl::string_view::npos) << r.status();
  EXPECT_FALSE(fs::exists(dir_.path() + "/projects"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/bundles"));

  // A bundle larger than the limit is refused before it is read whole.
  AddOptions small = Options("1.0");
  small.limits.max_archive_bytes = 100 << 10;
  r = indexer_.Assemble(Hex(archive), names, small);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("more than 102400 bytes"), absl::string_view::npos)
      << r.status();
}

TEST_F(UploadTest, ConcurrentUploadsOfOneAndOfDifferentBundlesAllLand) {
  const std::vector<std::string> fixtures = {"sentry-cli/rxjs-cjs.zip",
                                             "sentry-cli/rxjs-cjs-rebuilt.zip",
                                             "sentry-cli/preact-web.zip"};
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(2 * fixtures.size());
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      const std::string archive = ReadFileOrDie(FixturePath(fixtures[i % fixtures.size()]));
      results[i] = Upload(archive, Options(StrCat("r", i % fixtures.size())), 32 << 10).status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  Store store(dir_.path());
  for (size_t i = 0; i < fixtures.size(); ++i) {
    absl::StatusOr<std::shared_ptr<const Index>> index = store.UrlIndex("web", StrCat("r", i), "");
    ASSERT_TRUE(index.ok()) << index.status();
    std::vector<Index::BundleInfo> bundles;
    ASSERT_TRUE((*index)->ListBundles(&bundles).ok());
    EXPECT_EQ(bundles.size(), 1u);
  }
  absl::StatusOr<std::vector<std::string>> problems = store.Verify();
  ASSERT_TRUE(problems.ok()) << problems.status();
  EXPECT_TRUE(problems->empty()) << problems->front();
}

TEST_F(UploadTest, GcDeletesChunksNoAssembleUsedForTheirMaximumAge) {
  const std::string archive = ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.zip"));
  const std::vector<std::string> chunks = Split(archive, 64 << 10);
  std::vector<std::string> names;
  for (const std::string& chunk : chunks) names.push_back(*indexer_.PutChunk(chunk));
  const store::Layout layout(dir_.path());
  // Age every chunk by two hours, then use the first two in an assemble (which fails on the
  // checksum, but uses them).
  for (const std::string& name : names) {
    const std::string path = layout.ChunkPath(name);
    const auto old = fs::last_write_time(path) - std::chrono::hours(2);
    fs::last_write_time(path, old);
  }
  ASSERT_FALSE(indexer_.Assemble(Hex("x"), {names[0], names[1]}, Options("1.0")).ok());

  GcOptions gc;
  gc.chunk_max_age_ms = 3600 * 1000;
  gc.dry_run = true;
  absl::StatusOr<GcResult> result = indexer_.Gc(gc);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->chunks, names.size() - 2);
  for (const std::string& name : names) EXPECT_TRUE(fs::exists(layout.ChunkPath(name)));

  gc.dry_run = false;
  result = indexer_.Gc(gc);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->chunks, names.size() - 2);
  absl::StatusOr<std::vector<std::string>> missing = indexer_.MissingChunks(names);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, std::vector<std::string>(names.begin() + 2, names.end()));

  // Uploading a chunk again renews it.
  fs::last_write_time(layout.ChunkPath(names[0]),
                      fs::last_write_time(layout.ChunkPath(names[0])) - std::chrono::hours(2));
  ASSERT_TRUE(indexer_.PutChunk(chunks[0]).ok());
  result = indexer_.Gc(gc);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->chunks, 0u);
}

TEST_F(UploadTest, GcCommandTakesTheChunkAgeInHours) {
  const std::string archive = ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.zip"));
  // A store with a bundle (so that it is a store) and two chunks, one three hours old.
  ASSERT_TRUE(Upload(archive, Options("1.0")).ok());
  absl::StatusOr<std::string> old_chunk = indexer_.PutChunk("an old chunk");
  absl::StatusOr<std::string> new_chunk = indexer_.PutChunk("a new chunk");
  ASSERT_TRUE(old_chunk.ok() && new_chunk.ok());
  const std::string old_path = store::Layout(dir_.path()).ChunkPath(*old_chunk);
  fs::last_write_time(old_path, fs::last_write_time(old_path) - std::chrono::hours(3));
  auto gc = [&](const std::string& hours) {
    return testing::RunCli({"--store", dir_.path(), "gc", "--max-age", "1000", "--chunk-max-age",
                            hours, "--json"});
  };
  // Under the default age of a day, and under four hours, nothing goes.
  testing::CommandResult r =
      testing::RunCli({"--store", dir_.path(), "gc", "--max-age", "1000", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"chunks\":0}"), std::string::npos) << r.out;
  r = gc("4");
  EXPECT_NE(r.out.find("\"chunks\":0}"), std::string::npos) << r.out;
  r = gc("2.5");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"chunks\":1}"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(old_path));
  absl::StatusOr<std::vector<std::string>> missing = indexer_.MissingChunks({*new_chunk});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  r = gc("soon");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--chunk-max-age: expected a number of hours, got \"soon\""),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace artidx
