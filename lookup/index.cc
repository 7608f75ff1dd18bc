#include <filesystem>

#include "format/strings.h"
#include "artidx/lookup.h"
#include "format/index_reader.h"
#include "lookup/url_candidates.h"
#include "store/bundle_reader.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/sha1.h"

namespace artidx {

struct Index::Rep {
  std::string path;
  std::unique_ptr<store::MappedFile> file;
  format::IndexReader reader;

  absl::Status Corrupt(std::string_view what) const {
    return absl::DataLossError(StrCat(path, ": corrupt index: ", what));
  }

  // Appends the candidate for file number `f`.
  absl::Status Append(uint32_t f, std::vector<Candidate>* out) const {
    format::FileView file;
    format::BundleView bundle;
    if (!reader.GetFile(f, &file) || !reader.GetBundle(file.bundle, &bundle)) {
      return Corrupt(StrCat("file record ", f));
    }
    out->push_back(Candidate{bundle.id, bundle.timestamp_ms, bundle.archive_sha1, file.path,
                             file.url, file.type, file.debug_id, file.sourcemap});
    return absl::OkStatus();
  }
};

Index::Index(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Index::~Index() = default;

absl::StatusOr<std::unique_ptr<Index>> Index::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<store::MappedFile>> file = store::MappedFile::Open(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
  if (!reader.ok()) {
    return absl::DataLossError(StrCat(path, ": ", reader.status().message()));
  }
  auto rep = std::unique_ptr<Rep>(new Rep{path, *std::move(file), *std::move(reader)});
  return std::unique_ptr<Index>(new Index(std::move(rep)));
}

const std::string& Index::path() const { return rep_->path; }
IndexKind Index::kind() const {
  return rep_->reader.kind() == format::IndexKind::kUrl ? IndexKind::kUrl : IndexKind::kDebugId;
}
std::string_view Index::project() const { return rep_->reader.project(); }
std::string_view Index::release() const { return rep_->reader.release(); }
std::string_view Index::dist() const { return rep_->reader.dist(); }
uint32_t Index::bundle_count() const { return rep_->reader.bundle_count(); }
uint32_t Index::file_count() const { return rep_->reader.file_count(); }
uint32_t Index::key_count() const { return rep_->reader.key_count(); }

absl::Status Index::LookupUrl(std::string_view abs_path, std::vector<Candidate>* out) const {
  if (kind() != IndexKind::kUrl) {
    return absl::FailedPreconditionError(rep_->path + ": not a URL index");
  }
  lookup::UrlForm forms[lookup::kMaxUrlForms];
  const int n = lookup::ExpandUrl(abs_path, forms);
  for (int i = 0; i < n; ++i) {
    format::Postings postings;
    if (!rep_->reader.Find(format::KeyHash(forms[i].prefix, forms[i].body), forms[i].prefix,
                           forms[i].body, &postings)) {
      return rep_->Corrupt("key table");
    }
    for (uint32_t p = 0; p < postings.size(); ++p) {
      if (absl::Status s = rep_->Append(postings[p], out); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Index::LookupDebugId(const DebugId& id, std::optional<FileType> type,
                                  std::vector<Candidate>* out) const {
  if (kind() != IndexKind::kDebugId) {
    return absl::FailedPreconditionError(rep_->path + ": not a debug-id index");
  }
  // One posting list per file type asked for. File numbers order files newest bundle first,
  // then by path, so merging the lists by file number gives the answer order.
  format::Postings lists[kFileTypeCount];
  uint32_t next[kFileTypeCount] = {};
  int n = 0;
  for (int t = 1; t <= kFileTypeCount; ++t) {
    if (type && static_cast<int>(*type) != t) continue;
    char key[format::kDebugIdKeySize];
    format::EncodeDebugIdKey(id, static_cast<FileType>(t), key);
    std::string_view k(key, sizeof key);
    if (!rep_->reader.Find(format::KeyHash(k), k, {}, &lists[n])) {
      return rep_->Corrupt("key table");
    }
    ++n;
  }
  for (;;) {
    int best = -1;
    for (int i = 0; i < n; ++i) {
      if (next[i] < lists[i].size() &&
          (best < 0 || lists[i][next[i]] < lists[best][next[best]])) {
        best = i;
      }
    }
    if (best < 0) return absl::OkStatus();
    if (absl::Status s = rep_->Append(lists[best][next[best]++], out); !s.ok()) return s;
  }
}

absl::Status Index::ListBundles(std::vector<BundleInfo>* out) const {
  const format::IndexReader& r = rep_->reader;
  const size_t first = out->size();
  for (uint32_t b = 0; b < r.bundle_count(); ++b) {
    format::BundleView bundle;
    if (!r.GetBundle(b, &bundle)) return rep_->Corrupt(StrCat("bundle record ", b));
    out->push_back(BundleInfo{bundle.id, bundle.timestamp_ms, bundle.archive_sha1, 0});
  }
  for (uint32_t f = 0; f < r.file_count(); ++f) {
    format::FileView file;
    if (!r.GetFile(f, &file)) return rep_->Corrupt(StrCat("file record ", f));
    ++(*out)[first + file.bundle].files;
  }
  return absl::OkStatus();
}

absl::Status Index::ListFiles(std::vector<Candidate>* out) const {
  for (uint32_t f = 0; f < rep_->reader.file_count(); ++f) {
    if (absl::Status s = rep_->Append(f, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Index::Verify() const {
  absl::Status s = rep_->reader.Verify();
  if (!s.ok()) return absl::DataLossError(StrCat(rep_->path, ": ", s.message()));
  return s;
}

Store::Store(std::string root) : root_(std::move(root)) {}

absl::StatusOr<std::unique_ptr<Index>> Store::OpenUrlIndex(std::string_view project,
                                                           std::string_view release,
                                                           std::string_view dist) const {
  for (absl::Status s : {store::ValidateProject(project), store::ValidateRelease(release),
                         store::ValidateDist(dist)}) {
    if (!s.ok()) return s;
  }
  return Index::Open(store::Layout(root_).UrlIndexPath(project, release, dist));
}

absl::StatusOr<std::unique_ptr<Index>> Store::OpenDebugIdIndex(std::string_view project) const {
  if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  return Index::Open(store::Layout(root_).DebugIdIndexPath(project));
}

absl::StatusOr<std::vector<std::string>> Store::UrlIndexPaths(std::string_view project) const {
  if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  std::vector<std::string> paths;
  const std::string dir = store::Layout(root_).ProjectDir(project) + "/urls";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".aix") paths.push_back(it->path().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::InternalError(StrCat(dir, ": ", ec.message()));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string Store::ArchivePath(const Candidate& candidate) const {
  format::Sha1Digest digest;
  std::copy_n(candidate.archive_sha1.begin(), digest.size(), digest.begin());
  return store::Layout(root_).BundlePath(digest);
}

absl::StatusOr<std::string> Store::ReadFile(const Candidate& candidate) const {
  const std::string path = ArchivePath(candidate);
  absl::StatusOr<std::unique_ptr<store::MappedFile>> archive = store::MappedFile::Open(path);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::string> bytes =
      store::ReadArchiveEntry((*archive)->data(), candidate.path, BundleLimits().max_archive_bytes);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), path + ": " + std::string(bytes.status().message()));
  return bytes;
}

}  // namespace artidx
