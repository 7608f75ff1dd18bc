// The zip reader (bundle/zip_reader.cc), which replaced libarchive for reading bundles, against
// libarchive's seekable ZIP reader, over every archive of the fixtures (../shared/fixtures) and
// of the bundle reader's fuzz corpus (fuzz/corpus/bundle_reader): whenever the zip reader
// accepts an archive, libarchive must list the same entries in the same order (name, type,
// size) and give the same bytes for every regular entry. The zip reader may refuse what
// libarchive reads (it is stricter on purpose: zip_reader.h), never read it differently.

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bundle/zip_reader.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string name;
  bundle::ZipEntryType type;
  uint64_t size;
  std::string bytes;  // of a regular entry

  friend bool operator==(const Entry&, const Entry&) = default;
};

std::ostream& operator<<(std::ostream& out, const Entry& e) {
  return out << "{" << e.name << ", type " << static_cast<int>(e.type) << ", " << e.size
             << " bytes}";
}

// The entries as libarchive reads them; an error string when it fails.
std::vector<Entry> ReadWithLibarchive(std::string_view archive, std::string* error) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  archive_read_free);
  archive_read_support_format_zip_seekable(a.get());
  std::vector<Entry> entries;
  if (archive_read_open_memory(a.get(), archive.data(), archive.size()) != ARCHIVE_OK) {
    *error = StrCat("open: ", archive_error_string(a.get()));
    return entries;
  }
  struct archive_entry* header;
  for (int r; (r = archive_read_next_header(a.get(), &header)) != ARCHIVE_EOF;) {
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      *error = StrCat("header: ", archive_error_string(a.get()));
      return entries;
    }
    const char* name = archive_entry_pathname(header);
    const mode_t type = archive_entry_filetype(header);
    Entry e{name ? name : "<none>",
            type == AE_IFREG   ? bundle::ZipEntryType::kRegular
            : type == AE_IFDIR ? bundle::ZipEntryType::kDirectory
                               : bundle::ZipEntryType::kOther,
            static_cast<uint64_t>(archive_entry_size(header)),
            {}};
    if (e.type == bundle::ZipEntryType::kRegular) {
      char buffer[64 << 10];
      for (la_ssize_t n; (n = archive_read_data(a.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0) {
          *error = StrCat(e.name, ": ", archive_error_string(a.get()));
          return entries;
        }
        e.bytes.append(buffer, static_cast<size_t>(n));
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

// The entries as the zip reader reads them; false when it refuses the archive.
bool ReadWithZipReader(std::string_view archive, std::vector<Entry>* entries) {
  absl::StatusOr<bundle::ZipEnd> end = bundle::ReadZipEnd(archive);
  if (!end.ok()) return false;
  absl::StatusOr<bundle::ZipDirectory> directory = bundle::ZipDirectory::Read(archive, *end);
  if (!directory.ok()) return false;
  for (const bundle::ZipEntry& z : directory->entries()) {
    Entry e{std::string(z.name), z.type, z.uncompressed_size, {}};
    if (z.type == bundle::ZipEntryType::kRegular) {
      absl::StatusOr<bundle::PaddedBytes> bytes =
          bundle::ReadZipEntry(archive, z, uint64_t{1} << 30, 0);
      if (!bytes.ok()) return false;
      e.bytes = std::string(bytes->view());
    }
    entries->push_back(std::move(e));
  }
  return true;
}

TEST(ZipLibarchiveTest, ZipReaderReadsWhatLibarchiveReads) {
  std::vector<std::string> archives;
  for (const std::string& dir :
       {testing::FixturePath("sentry-cli"), testing::FixturePath("symbolicator"),
        std::string(ARTIDX_SOURCE_DIR "/fuzz/corpus/bundle_reader")}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".zip") archives.push_back(entry.path().string());
    }
  }
  size_t compared = 0, refused = 0, entries = 0;
  for (const std::string& path : archives) {
    SCOPED_TRACE(path);
    const std::string archive = testing::ReadFileOrDie(path);
    std::vector<Entry> ours;
    if (!ReadWithZipReader(archive, &ours)) {
      ++refused;
      continue;
    }
    std::string error;
    const std::vector<Entry> theirs = ReadWithLibarchive(archive, &error);
    EXPECT_EQ(error, "");
    EXPECT_EQ(ours.size(), theirs.size());
    for (size_t i = 0; i < ours.size() && i < theirs.size(); ++i) {
      EXPECT_EQ(ours[i], theirs[i]) << "entry " << i;
    }
    ++compared;
    entries += ours.size();
  }
  std::cout << archives.size() << " archives: " << compared << " compared (" << entries
            << " entries), " << refused << " refused by the zip reader" << std::endl;
  // Every fixture is a valid bundle: at least those are compared.
  EXPECT_GE(compared, 11u);
  EXPECT_GT(entries, 100u);
}

}  // namespace
}  // namespace artidx
