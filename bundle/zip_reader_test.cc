// Unit tests of bundle/zip_reader.h on archives built here byte by byte (every field as given,
// damaged ones included) and by bundle::WriteZip (libarchive's writer, deflated). One file, over
// 600 lines: the cases share the byte-by-byte archive builder.

#include "bundle/zip_reader.h"

#include <libdeflate.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "bundle/bundle_writer.h"
#include "common/coding.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace artidx::bundle {
namespace {

using common::Append;
using common::Store;

uint32_t Crc(std::string_view data) { return libdeflate_crc32(0, data.data(), data.size()); }

std::string RawDeflate(std::string_view data) {
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> c(
      libdeflate_alloc_compressor(9), libdeflate_free_compressor);
  std::string out(libdeflate_deflate_compress_bound(c.get(), data.size()), '\0');
  const size_t n =
      libdeflate_deflate_compress(c.get(), data.data(), data.size(), out.data(), out.size());
  EXPECT_NE(n, 0u);
  out.resize(n);
  return out;
}

// One entry of a hand-made archive.
struct TestEntry {
  std::string name{};
  std::string content{};
  bool deflated = false;
  uint32_t mode = 0100644;  // the Unix mode (system 3), or MS-DOS attributes (system 0)
  uint8_t system = 3;
  uint16_t flags = 0;
  std::string central_extra{};
  std::string local_extra{};
  bool zip64_sizes = false;  // sizes and offset in a ZIP64 extra field, 0xFFFFFFFF in the headers
};

// A hand-made archive and where its records are.
struct Built {
  std::string bytes;
  std::vector<size_t> local;    // each entry's local header
  std::vector<size_t> central;  // each entry's central directory record
  size_t end = 0;               // the end of central directory record
};

struct Options {
  std::string prefix{};               // bytes before the archive
  bool offsets_count_prefix = false;  // as sentry-cli writes SYSB: offsets from the file's start
  bool zip64_end = false;             // ZIP64 end record and locator
  std::string comment{};
};

std::string Zip64Extra(uint64_t size, uint64_t compressed, std::optional<uint64_t> offset) {
  std::string extra;
  Append<uint16_t>(&extra, 0x0001);
  Append<uint16_t>(&extra, offset ? 24 : 16);
  Append<uint64_t>(&extra, size);
  Append<uint64_t>(&extra, compressed);
  if (offset) Append<uint64_t>(&extra, *offset);
  return extra;
}

Built Build(const std::vector<TestEntry>& entries, const Options& options = {}) {
  Built built;
  std::string& out = built.bytes;
  out = options.prefix;
  const size_t base = options.offsets_count_prefix ? 0 : options.prefix.size();
  std::string cd;
  std::vector<size_t> cd_offsets;
  for (const TestEntry& e : entries) {
    const std::string data = e.deflated ? RawDeflate(e.content) : e.content;
    const uint16_t method = e.deflated ? 8 : 0;
    const uint32_t size32 = e.zip64_sizes ? 0xFFFFFFFF : static_cast<uint32_t>(e.content.size());
    const uint32_t csize32 = e.zip64_sizes ? 0xFFFFFFFF : static_cast<uint32_t>(data.size());
    const size_t local = out.size();
    built.local.push_back(local);
    const std::string local_extra =
        e.local_extra + (e.zip64_sizes ? Zip64Extra(e.content.size(), data.size(), {}) : "");
    Append<uint32_t>(&out, 0x04034b50);
    Append<uint16_t>(&out, 20);
    Append<uint16_t>(&out, e.flags);
    Append<uint16_t>(&out, method);
    Append<uint16_t>(&out, 0);
    Append<uint16_t>(&out, 0x21);
    Append<uint32_t>(&out, Crc(e.content));
    Append<uint32_t>(&out, csize32);
    Append<uint32_t>(&out, size32);
    Append<uint16_t>(&out, static_cast<uint16_t>(e.name.size()));
    Append<uint16_t>(&out, static_cast<uint16_t>(local_extra.size()));
    out += e.name;
    out += local_extra;
    out += data;

    const std::string central_extra =
        e.central_extra +
        (e.zip64_sizes ? Zip64Extra(e.content.size(), data.size(), local - base) : "");
    cd_offsets.push_back(cd.size());
    Append<uint32_t>(&cd, 0x02014b50);
    Append<uint16_t>(&cd, static_cast<uint16_t>(e.system << 8 | 20));
    Append<uint16_t>(&cd, 20);
    Append<uint16_t>(&cd, e.flags);
    Append<uint16_t>(&cd, method);
    Append<uint16_t>(&cd, 0);
    Append<uint16_t>(&cd, 0x21);
    Append<uint32_t>(&cd, Crc(e.content));
    Append<uint32_t>(&cd, csize32);
    Append<uint32_t>(&cd, size32);
    Append<uint16_t>(&cd, static_cast<uint16_t>(e.name.size()));
    Append<uint16_t>(&cd, static_cast<uint16_t>(central_extra.size()));
    Append<uint16_t>(&cd, 0);  // comment
    Append<uint16_t>(&cd, 0);  // disk
    Append<uint16_t>(&cd, 0);  // internal attributes
    Append<uint32_t>(&cd, e.system == 3 ? e.mode << 16 : e.mode);
    Append<uint32_t>(&cd, e.zip64_sizes ? 0xFFFFFFFF : static_cast<uint32_t>(local - base));
    cd += e.name;
    cd += central_extra;
  }
  const size_t cd_offset = out.size();
  for (size_t offset : cd_offsets) built.central.push_back(cd_offset + offset);
  out += cd;
  if (options.zip64_end) {
    const size_t record = out.size();
    Append<uint32_t>(&out, 0x06064b50);
    Append<uint64_t>(&out, 44);
    Append<uint16_t>(&out, 45);
    Append<uint16_t>(&out, 45);
    Append<uint32_t>(&out, 0);
    Append<uint32_t>(&out, 0);
    Append<uint64_t>(&out, entries.size());
    Append<uint64_t>(&out, entries.size());
    Append<uint64_t>(&out, cd.size());
    Append<uint64_t>(&out, cd_offset - base);
    Append<uint32_t>(&out, 0x07064b50);
    Append<uint32_t>(&out, 0);
    Append<uint64_t>(&out, record - base);
    Append<uint32_t>(&out, 1);
  }
  built.end = out.size();
  Append<uint32_t>(&out, 0x06054b50);
  Append<uint16_t>(&out, 0);
  Append<uint16_t>(&out, 0);
  Append<uint16_t>(&out, options.zip64_end ? 0xFFFF : static_cast<uint16_t>(entries.size()));
  Append<uint16_t>(&out, options.zip64_end ? 0xFFFF : static_cast<uint16_t>(entries.size()));
  Append<uint32_t>(&out, options.zip64_end ? 0xFFFFFFFF : static_cast<uint32_t>(cd.size()));
  Append<uint32_t>(&out, options.zip64_end ? 0xFFFFFFFF : static_cast<uint32_t>(cd_offset - base));
  Append<uint16_t>(&out, static_cast<uint16_t>(options.comment.size()));
  out += options.comment;
  return built;
}

template <typename T>
void Put(std::string* bytes, size_t at, T value) {
  Store<T>(bytes->data() + at, value);
}

absl::StatusOr<ZipDirectory> ReadDirectory(std::string_view archive) {
  absl::StatusOr<ZipEnd> end = ReadZipEnd(archive);
  if (!end.ok()) return end.status();
  return ZipDirectory::Read(archive, *end);
}

void ExpectError(const absl::Status& status, std::string_view part,
                 absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_NE(StdView(status.message()).find(part), std::string_view::npos)
      << "\"" << part << "\" not in: " << status;
}

std::string Content(const ZipEntry& entry, std::string_view archive) {
  absl::StatusOr<PaddedBytes> bytes = ReadZipEntry(archive, entry, 1 << 20, 64);
  EXPECT_TRUE(bytes.ok()) << entry.name << ": " << bytes.status();
  return bytes.ok() ? std::string(bytes->view()) : std::string();
}

const std::string kSysb("SYSB\x02\0\0\0", 8);

const std::vector<TestEntry> kTwoFiles = {
    {.name = "files/a.js", .content = "a();"},
    {.name = "manifest.json", .content = std::string(3000, '{'), .deflated = true},
};

TEST(ZipDirectoryTest, ReadsEntriesAndData) {
  const Built zip = Build(kTwoFiles);
  absl::StatusOr<ZipEnd> end = ReadZipEnd(zip.bytes);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->entries, 2u);
  EXPECT_EQ(end->directory_start, zip.central[0]);
  EXPECT_EQ(end->directory_end, zip.end);
  EXPECT_EQ(end->prefix, 0u);
  absl::StatusOr<ZipDirectory> directory = ZipDirectory::Read(zip.bytes, *end);
  ASSERT_TRUE(directory.ok()) << directory.status();
  ASSERT_EQ(directory->entries().size(), 2u);
  const ZipEntry& a = directory->entries()[0];
  EXPECT_EQ(a.name, "files/a.js");
  EXPECT_EQ(a.type, ZipEntryType::kRegular);
  EXPECT_EQ(a.method, 0);
  EXPECT_EQ(a.uncompressed_size, 4u);
  EXPECT_EQ(a.data_offset, zip.local[0] + 30 + a.name.size());
  EXPECT_EQ(Content(a, zip.bytes), "a();");
  const ZipEntry& manifest = directory->entries()[1];
  EXPECT_EQ(manifest.method, 8);
  EXPECT_EQ(manifest.uncompressed_size, 3000u);
  EXPECT_LT(manifest.compressed_size, 100u);
  EXPECT_EQ(Content(manifest, zip.bytes), std::string(3000, '{'));
}

// libarchive's writer: deflated, sizes in a data descriptor (only the directory has them),
// extra fields in both headers, and the SYSB prefix added after the archive was written.
TEST(ZipDirectoryTest, ReadsWhatWriteZipWrites) {
  std::string big;
  for (int i = 0; i < 100000; ++i) big += static_cast<char>('a' + i * 7 % 26);
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"files/empty", ""}, {"files/big", big}, {"dir/", ""}, {"manifest.json", "{}"}};
  for (bool sysb : {false, true}) {
    absl::StatusOr<std::string> archive = WriteZip(entries, sysb);
    ASSERT_TRUE(archive.ok()) << archive.status();
    absl::StatusOr<ZipEnd> end = ReadZipEnd(*archive);
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->prefix, sysb ? 8u : 0u);
    absl::StatusOr<ZipDirectory> directory = ZipDirectory::Read(*archive, *end);
    ASSERT_TRUE(directory.ok()) << directory.status();
    ASSERT_EQ(directory->entries().size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const ZipEntry& entry = directory->entries()[i];
      EXPECT_EQ(entry.name, entries[i].first);
      if (entry.name == "dir/") {
        EXPECT_EQ(entry.type, ZipEntryType::kDirectory);
        continue;
      }
      EXPECT_EQ(entry.type, ZipEntryType::kRegular);
      EXPECT_EQ(Content(entry, *archive), entries[i].second) << entry.name;
    }
  }
}

TEST(ZipDirectoryTest, Prefixes) {
  // Offsets that do not count the prefix (it was added afterwards), and offsets that do (the
  // writer wrote the prefix first, as sentry-cli does).
  for (bool counted : {false, true}) {
    const std::string prefix = kSysb + " and more";
    const Built zip = Build(kTwoFiles, {.prefix = prefix, .offsets_count_prefix = counted});
    absl::StatusOr<ZipEnd> end = ReadZipEnd(zip.bytes);
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->prefix, counted ? 0u : prefix.size());
    absl::StatusOr<ZipDirectory> directory = ZipDirectory::Read(zip.bytes, *end);
    ASSERT_TRUE(directory.ok()) << directory.status();
    EXPECT_EQ(Content(directory->entries()[0], zip.bytes), "a();");
  }
}

TEST(ZipEndTest, NotAZip) {
  for (std::string bytes : {std::string(), std::string("PK\x05\x06", 4), std::string(21, '\0'),
                            std::string(100000, 'x')}) {
    ExpectError(ReadZipEnd(bytes).status(), "not a zip archive");
  }
  // The end record further than 16 KiB from the end: libarchive does not find it either.
  std::string far = Build(kTwoFiles, {.comment = std::string(16 << 10, 'c')}).bytes;
  ExpectError(ReadZipEnd(far).status(), "not a zip archive");
  std::string near = Build(kTwoFiles, {.comment = std::string((16 << 10) - 22, 'c')}).bytes;
  EXPECT_TRUE(ReadDirectory(near).ok());
}

TEST(ZipEndTest, CommentLength) {
  const Built zip = Build(kTwoFiles, {.comment = "hello"});
  EXPECT_TRUE(ReadDirectory(zip.bytes).ok());
  // Bytes after the comment are tolerated, as by libarchive.
  EXPECT_TRUE(ReadDirectory(zip.bytes + "trailing").ok());
  // A comment running past the end of the file.
  std::string bytes = zip.bytes;
  Put<uint16_t>(&bytes, zip.end + 20, 6);
  ExpectError(ReadZipEnd(bytes).status(), "comment runs past the end");
  Put<uint16_t>(&bytes, zip.end + 20, 0xFFFF);
  ExpectError(ReadZipEnd(bytes).status(), "comment runs past the end");
}

TEST(ZipEndTest, DirectoryOutsideTheFile) {
  const Built zip = Build(kTwoFiles);
  std::string bytes = zip.bytes;
  Put<uint32_t>(&bytes, zip.end + 12, static_cast<uint32_t>(zip.end + 1));  // size
  ExpectError(ReadZipEnd(bytes).status(), "does not fit");
  bytes = zip.bytes;
  Put<uint32_t>(&bytes, zip.end + 16, 0xFFFFFFF0);  // offset
  ExpectError(ReadZipEnd(bytes).status(), "does not fit");
  bytes = zip.bytes;
  Put<uint16_t>(&bytes, zip.end + 4, 1);  // disk number
  ExpectError(ReadZipEnd(bytes).status(), "several disks");
}

TEST(ZipDirectoryTest, EntryCountMismatch) {
  const Built zip = Build(kTwoFiles);
  for (uint16_t count : {0, 1, 3, 0xFFFE}) {
    SCOPED_TRACE(count);
    std::string bytes = zip.bytes;
    Put<uint16_t>(&bytes, zip.end + 8, count);
    Put<uint16_t>(&bytes, zip.end + 10, count);
    absl::StatusOr<ZipDirectory> directory = ReadDirectory(bytes);
    ExpectError(directory.status(), "corrupt zip archive");
    ExpectError(directory.status(), count < 2 ? "more than the" : "records");
  }
}

TEST(ZipDirectoryTest, TruncatedRecords) {
  const Built zip = Build(kTwoFiles);
  // The directory's size cut: the second record no longer fits.
  std::string bytes = zip.bytes;
  const uint32_t cd_size = static_cast<uint32_t>(zip.end - zip.central[0]);
  for (uint32_t cut : {1u, 10u, 40u}) {
    SCOPED_TRACE(cut);
    bytes = zip.bytes;
    bytes.erase(zip.end - cut, cut);
    Put<uint32_t>(&bytes, zip.end - cut + 12, cd_size - cut);
    ExpectError(ReadDirectory(bytes).status(), "corrupt zip archive");
  }
  // A name, extra or comment length pointing past the end of the directory.
  for (size_t field : {28, 30, 32}) {
    SCOPED_TRACE(field);
    bytes = zip.bytes;
    Put<uint16_t>(&bytes, zip.central[1] + field, 0xFFFF);
    ExpectError(ReadDirectory(bytes).status(), "past the end of the central directory");
  }
  // Lengths that swallow the next record.
  bytes = zip.bytes;
  Put<uint16_t>(&bytes, zip.central[0] + 32,
                static_cast<uint16_t>(zip.central[1] - zip.central[0]));
  ExpectError(ReadDirectory(bytes).status(), "corrupt zip archive");
  // A damaged signature.
  bytes = zip.bytes;
  bytes[zip.central[1]] = 'X';
  ExpectError(ReadDirectory(bytes).status(), "no central directory record at offset");
}

TEST(ZipDirectoryTest, LocalHeaders) {
  const Built zip = Build(kTwoFiles);
  auto damaged = [&](size_t at, auto value) {
    std::string bytes = zip.bytes;
    Put<decltype(value)>(&bytes, at, value);
    return ReadDirectory(bytes).status();
  };
  // Offsets past the end of the file or at something else.
  ExpectError(damaged(zip.central[1] + 42, uint32_t{0xFFFFFFF0}), "no local header");
  ExpectError(damaged(zip.central[1] + 42, static_cast<uint32_t>(zip.bytes.size() - 10)),
              "no local header");
  ExpectError(damaged(zip.central[1] + 42, uint32_t{1}), "no local header");
  ExpectError(damaged(zip.local[0], uint32_t{0}), "no local header");
  // A name or extra length past the end of the file.
  ExpectError(damaged(zip.local[1] + 26, uint16_t{0xFFFF}), "is truncated");
  ExpectError(damaged(zip.local[1] + 28, uint16_t{0xFFFF}), "is truncated");
  // Another name than the directory's (libarchive reports the local one).
  ExpectError(damaged(zip.local[0] + 30, uint8_t{'F'}), "names another file");
  ExpectError(damaged(zip.local[0] + 26, uint16_t{9}), "names another file");
  // CRC-32, sizes and method must agree with the directory's.
  ExpectError(damaged(zip.local[0] + 14, uint32_t{1}), "disagree");
  ExpectError(damaged(zip.local[0] + 18, uint32_t{5}), "disagree");
  ExpectError(damaged(zip.local[0] + 22, uint32_t{5}), "disagree");
  ExpectError(damaged(zip.local[0] + 8, uint16_t{8}), "another method");
  // 0xFFFFFFFF without a ZIP64 field is a size to libarchive 3.6, and a wrong one.
  ExpectError(damaged(zip.local[0] + 18, uint32_t{0xFFFFFFFF}), "disagree");
  ExpectError(damaged(zip.local[0] + 22, uint32_t{0xFFFFFFFF}), "disagree");
  // Left out (0, as with a data descriptor) is fine.
  std::string bytes = zip.bytes;
  for (size_t field : {14, 18, 22}) Put<uint32_t>(&bytes, zip.local[1] + field, 0);
  absl::StatusOr<ZipDirectory> directory = ReadDirectory(bytes);
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_EQ(Content(directory->entries()[1], bytes), std::string(3000, '{'));
}

TEST(ZipDirectoryTest, DataPastTheEnd) {
  std::vector<TestEntry> entries = kTwoFiles;
  std::swap(entries[0], entries[1]);  // the stored file last, just before the directory
  const Built zip = Build(entries);
  std::string bytes = zip.bytes;
  // The directory's size says more than the file holds from there.
  Put<uint32_t>(&bytes, zip.central[1] + 20, static_cast<uint32_t>(bytes.size()));
  Put<uint32_t>(&bytes, zip.local[1] + 18, 0);
  ExpectError(ReadDirectory(bytes).status(), "runs past the end of the file");
}

TEST(ZipDirectoryTest, Names) {
  using namespace std::string_literals;
  ExpectError(ReadDirectory(Build({{.name = "files/a.js\0../x"s, .content = "a"}}).bytes).status(),
              "has a NUL byte in its name");
  // libarchive cannot convert a name flagged UTF-8 in the C locale unless it is ASCII.
  constexpr uint16_t kUtf8 = 1 << 11;
  ExpectError(
      ReadDirectory(Build({{.name = "files/caf\xc3\xa9.js", .flags = kUtf8}}).bytes).status(),
      "non-ASCII UTF-8 name");
  EXPECT_TRUE(ReadDirectory(Build({{.name = "files/cafe.js", .flags = kUtf8}}).bytes).ok());
  const Built unflagged = Build({{.name = "files/caf\xc3\xa9.js"}});
  absl::StatusOr<ZipDirectory> raw = ReadDirectory(unflagged.bytes);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->entries()[0].name, "files/caf\xc3\xa9.js");
  // Names with backslashes and no slash get slashes, as libarchive reports them when the local
  // header's "version needed" says MS-DOS (it says so in nearly every archive).
  const Built windows = Build({{.name = "files\\a.js", .mode = 0x20, .system = 0},
                               {.name = "files/b\\c.js"},
                               {.name = "files\\d.js"},
                               {.name = "files\\e.js"}});
  std::string bytes = windows.bytes;
  bytes[windows.local[3] + 5] = 3;  // needs Unix
  absl::StatusOr<ZipDirectory> slashed = ReadDirectory(bytes);
  ASSERT_TRUE(slashed.ok()) << slashed.status();
  EXPECT_EQ(slashed->entries()[0].name, "files/a.js");
  EXPECT_EQ(slashed->entries()[1].name, "files/b\\c.js");
  EXPECT_EQ(slashed->entries()[2].name, "files/d.js");
  EXPECT_EQ(slashed->entries()[3].name, "files\\e.js");
  // The rewritten names outlive a move of the directory.
  ZipDirectory moved = *std::move(slashed);
  EXPECT_EQ(moved.entries()[2].name, "files/d.js");
}

TEST(ZipDirectoryTest, FileTypes) {
  struct Case {
    TestEntry entry;
    ZipEntryType type;
  };
  const std::vector<Case> cases = {
      {{.name = "a", .mode = 0100644}, ZipEntryType::kRegular},
      {{.name = "a", .mode = 0120777}, ZipEntryType::kOther},    // symlink
      {{.name = "a", .mode = 0020644}, ZipEntryType::kOther},    // character device
      {{.name = "a", .mode = 0140644}, ZipEntryType::kOther},    // socket
      {{.name = "a", .mode = 0010644}, ZipEntryType::kRegular},  // FIFO: Info-ZIP's pipes
      {{.name = "a", .mode = 0}, ZipEntryType::kRegular},
      {{.name = "a", .mode = 0000644}, ZipEntryType::kRegular},
      {{.name = "a", .mode = 0040755}, ZipEntryType::kDirectory},
      {{.name = "a/", .mode = 0100644}, ZipEntryType::kDirectory},
      {{.name = "a/", .mode = 0120777}, ZipEntryType::kDirectory},
      {{.name = "a", .mode = 0x10, .system = 0}, ZipEntryType::kDirectory},
      {{.name = "a", .mode = 0x20, .system = 0}, ZipEntryType::kRegular},
      {{.name = "a", .mode = 0x11, .system = 0}, ZipEntryType::kRegular},      // read-only
      {{.name = "a", .mode = 0120777, .system = 11}, ZipEntryType::kRegular},  // no modes
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(StrCat(c.entry.name, " mode ", c.entry.mode, " system ", c.entry.system));
    const Built zip = Build({c.entry});
    absl::StatusOr<ZipDirectory> directory = ReadDirectory(zip.bytes);
    ASSERT_TRUE(directory.ok()) << directory.status();
    EXPECT_EQ(directory->entries()[0].type, c.type);
  }
}

std::string Field(uint16_t id, std::string_view data) {
  std::string field;
  Append<uint16_t>(&field, id);
  Append<uint16_t>(&field, static_cast<uint16_t>(data.size()));
  return field + std::string(data);
}

TEST(ZipDirectoryTest, ExtraFields) {
  auto read = [](std::string central, std::string local) {
    return ReadDirectory(
               Build({{.name = "a.js", .central_extra = central, .local_extra = local}}).bytes)
        .status();
  };
  const std::string ut = Field(0x5455, std::string("\x01\0\0\0\0", 5));
  EXPECT_TRUE(read(ut, ut).ok());
  EXPECT_TRUE(read(ut + std::string(3, '\0'), ut + std::string(2, '\0')).ok());  // zipalign
  ExpectError(read(ut + "x", ""), "partial field");
  ExpectError(read("", ut + "\x01\x02"), "partial field");
  ExpectError(read(ut.substr(0, ut.size() - 1), ""), "runs past its end");
  ExpectError(read(Field(0x5455, ""), ""), "empty timestamp");
  ExpectError(read("", Field(0x9901, "AE")), "incomplete AES");
  // A Unicode path field (libarchive takes its name) must name the same file.
  ExpectError(read("", Field(0x7075, std::string("\x01\0\0\0\0b.js", 9))),
              "Unicode path field naming \"b.js\"");
  EXPECT_TRUE(read("", Field(0x7075, std::string("\x01\0\0\0\0a.js", 9))).ok());
  // libarchive's "xl" field may repeat the attributes: a symlink there is a symlink.
  std::string xl = std::string("\x05\x14\x03", 3);  // made by Unix, then the attributes
  Append<uint32_t>(&xl, 0120777u << 16);
  const Built link_zip = Build({{.name = "a.js", .local_extra = Field(0x6c78, xl)}});
  absl::StatusOr<ZipDirectory> link = ReadDirectory(link_zip.bytes);
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->entries()[0].type, ZipEntryType::kOther);
}

TEST(ZipDirectoryTest, Zip64) {
  const std::string content(1000, 'z');
  const std::vector<TestEntry> entries = {
      {.name = "files/a.js", .content = content, .zip64_sizes = true},
      {.name = "manifest.json", .content = "{}", .deflated = true}};
  const Built zip = Build(entries, {.zip64_end = true});
  absl::StatusOr<ZipEnd> end = ReadZipEnd(zip.bytes);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->entries, 2u);
  EXPECT_EQ(end->directory_end, zip.end - 76);
  absl::StatusOr<ZipDirectory> directory = ZipDirectory::Read(zip.bytes, *end);
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_EQ(directory->entries()[0].uncompressed_size, 1000u);
  EXPECT_EQ(Content(directory->entries()[0], zip.bytes), content);
  EXPECT_EQ(Content(directory->entries()[1], zip.bytes), "{}");

  // A ZIP64 field without the values the headers defer to it.
  std::string bytes = zip.bytes;
  Put<uint16_t>(&bytes, zip.central[0] + 46 + 10 + 2, 8);
  ExpectError(ReadDirectory(bytes).status(), "corrupt zip archive");
  // A prefix the offsets do not count: libarchive cannot read such a ZIP64 archive.
  for (bool zip64_end : {false, true}) {
    const Built prefixed = Build(entries, {.prefix = kSysb, .zip64_end = zip64_end});
    absl::StatusOr<ZipDirectory> read = ReadDirectory(prefixed.bytes);
    ExpectError(read.status(), zip64_end ? "ZIP64 end record" : "ZIP64 offset");
  }
  // ... but one they count is fine.
  const Built counted =
      Build(entries, {.prefix = kSysb, .offsets_count_prefix = true, .zip64_end = true});
  EXPECT_TRUE(ReadDirectory(counted.bytes).ok()) << ReadDirectory(counted.bytes).status();
  // Damaged ZIP64 end records.
  const size_t record = zip.end - 76, locator = zip.end - 20;
  auto damaged = [&](size_t at, auto value) {
    std::string b = zip.bytes;
    Put<decltype(value)>(&b, at, value);
    return ReadZipEnd(b).status();
  };
  ExpectError(damaged(locator + 8, uint64_t{record + 1}), "no ZIP64 end record");
  ExpectError(damaged(locator + 8, uint64_t{0xFFFFFFFFFFFF}), "no ZIP64 end record");
  ExpectError(damaged(record + 4, uint64_t{45}), "no ZIP64 end record");
  ExpectError(damaged(record, uint32_t{0}), "no ZIP64 end record");
  ExpectError(damaged(locator + 16, uint32_t{2}), "several disks");
  ExpectError(damaged(record + 24, uint64_t{3}), "several disks");
  ExpectError(damaged(record + 40, uint64_t{1} << 40), "does not fit");
  ExpectError(damaged(record + 48, uint64_t{1} << 40), "does not fit");
}

TEST(ReadZipEntryTest, Checks) {
  const Built zip = Build(kTwoFiles);
  absl::StatusOr<ZipDirectory> directory = ReadDirectory(zip.bytes);
  ASSERT_TRUE(directory.ok());
  const ZipEntry stored = directory->entries()[0];
  const ZipEntry deflated = directory->entries()[1];

  // The cap, on the recorded size before anything is inflated, and on what inflates.
  EXPECT_TRUE(ReadZipEntry(zip.bytes, deflated, 3000, 0).ok());
  ExpectError(ReadZipEntry(zip.bytes, deflated, 2999, 0).status(), "inflates past the limit",
              absl::StatusCode::kResourceExhausted);
  ZipEntry liar = deflated;
  liar.uncompressed_size = 100;
  ExpectError(ReadZipEntry(zip.bytes, liar, 2999, 0).status(), "inflates past the limit",
              absl::StatusCode::kResourceExhausted);
  ExpectError(ReadZipEntry(zip.bytes, liar, 3000, 0).status(), "inflates to 3000 bytes");
  liar.uncompressed_size = 3001;
  ExpectError(ReadZipEntry(zip.bytes, liar, 1 << 20, 0).status(), "inflates to 3000 bytes");
  liar = stored;
  liar.uncompressed_size = 3;
  ExpectError(ReadZipEntry(zip.bytes, liar, 100, 0).status(), "holds 4 bytes");

  // Far more than recorded: the size is found, or the cap, however many times the data must
  // inflate again to find it.
  const Built big =
      Build({{.name = "manifest.json", .content = std::string(300'000, ' '), .deflated = true}});
  absl::StatusOr<ZipDirectory> big_directory = ReadDirectory(big.bytes);
  ASSERT_TRUE(big_directory.ok());
  liar = big_directory->entries()[0];
  liar.uncompressed_size = 1;
  ExpectError(ReadZipEntry(big.bytes, liar, 1 << 20, 0).status(), "inflates to 300000 bytes");
  ExpectError(ReadZipEntry(big.bytes, liar, 300'000, 0).status(), "inflates to 300000 bytes");
  ExpectError(ReadZipEntry(big.bytes, liar, 299'999, 0).status(),
              "manifest.json inflates past the limit of 299999 bytes",
              absl::StatusCode::kResourceExhausted);

  // CRC-32.
  ZipEntry bad_crc = deflated;
  bad_crc.crc32 ^= 1;
  ExpectError(ReadZipEntry(zip.bytes, bad_crc, 1 << 20, 0).status(), "ZIP bad CRC");
  bad_crc = stored;
  bad_crc.crc32 ^= 1;
  ExpectError(ReadZipEntry(zip.bytes, bad_crc, 1 << 20, 0).status(), "ZIP bad CRC");

  // Deflate data cut short, or damaged.
  ZipEntry cut = deflated;
  cut.compressed_size -= 2;
  ExpectError(ReadZipEntry(zip.bytes, cut, 1 << 20, 0).status(), "reading manifest.json");
  std::string damaged = zip.bytes;
  damaged[deflated.data_offset] = static_cast<char>(0xFF);
  ExpectError(ReadZipEntry(damaged, deflated, 1 << 20, 0).status(), "reading manifest.json");

  // What is left to libarchive.
  ZipEntry other = deflated;
  other.method = 12;  // bzip2
  EXPECT_EQ(ReadZipEntry(zip.bytes, other, 1 << 20, 0).status().code(),
            absl::StatusCode::kUnimplemented);
  other = stored;
  other.flags |= 1;  // encrypted
  EXPECT_EQ(ReadZipEntry(zip.bytes, other, 1 << 20, 0).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(ReadZipEntryTest, Padding) {
  const Built zip = Build(kTwoFiles);
  absl::StatusOr<ZipDirectory> directory = ReadDirectory(zip.bytes);
  ASSERT_TRUE(directory.ok());
  for (const ZipEntry& entry : directory->entries()) {
    absl::StatusOr<PaddedBytes> bytes = ReadZipEntry(zip.bytes, entry, 1 << 20, 64);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->size, entry.uncompressed_size);
    bytes->data[bytes->size + 63] = 0;  // allocated: ASan would object otherwise
  }
}

}  // namespace
}  // namespace artidx::bundle
