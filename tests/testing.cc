#include "tests/testing.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "gtest/gtest.h"
#include "store/backend.h"
#include "store/layout.h"
#include "store/segments.h"

extern char** environ;

namespace artidx::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/artidx-test-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCli(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string out_path = dir / "out", err_path = dir / "err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0644);
  std::vector<std::string> argv_storage = {ARTIDX_CLI};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, ARTIDX_CLI, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result{-1, "", ""};
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << ARTIDX_CLI;
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFileOrDie(out_path);
  result.err = ReadFileOrDie(err_path);
  return result;
}

CommandResult Artidx(const std::string& store, std::vector<std::string> args) {
  args.insert(args.begin(), {"--store", store});
  return RunCli(args);
}

std::map<std::string, std::string> Tree(const std::string& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> tree;
  std::error_code ec;
  if (!fs::exists(root, ec)) return tree;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string relative = fs::relative(entry.path(), root).string();
    tree[relative] = entry.is_directory() ? "<dir>" : ReadFileOrDie(entry.path());
  }
  return tree;
}

std::string TreeDiff(const std::map<std::string, std::string>& a,
                     const std::map<std::string, std::string>& b) {
  std::string out;
  for (const auto& [path, bytes] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      absl::StrAppend(&out, " only-before:", path);
    } else if (it->second != bytes) {
      absl::StrAppend(&out, " differs:", path);
    }
  }
  for (const auto& [path, bytes] : b) {
    if (!a.contains(path)) absl::StrAppend(&out, " only-after:", path);
  }
  return out;
}

int64_t MtimeMs(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

void SetMtimeMs(const std::string& path, int64_t ms) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = ms / 1000;
  times[0].tv_nsec = times[1].tv_nsec = (ms % 1000) * 1'000'000;
  EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

std::string RandomHex(size_t n) {
  static std::mt19937_64 random(std::random_device{}());
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "0123456789abcdef"[random() % 16];
  return out;
}

std::string FreshS3Store(const std::string& name) {
  const char* url = std::getenv("ARTIDX_TEST_S3_URL");
  if (url == nullptr) return "";
  return absl::StrCat(url, "/", name, "-", RandomHex(12));
}

void CopyStore(const std::string& from, const std::string& to, const std::string& cache) {
  absl::StatusOr<std::unique_ptr<store::Backend>> source = store::OpenBackend(from, {cache});
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<std::unique_ptr<store::Backend>> target = store::OpenBackend(to, {cache});
  ASSERT_TRUE(target.ok()) << target.status();
  std::string cursor;
  do {
    absl::StatusOr<store::Backend::Listing> page = (*source)->List("", cursor, 1000);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& key : page->keys) {
      absl::StatusOr<std::string> bytes = (*source)->Read(key, uint64_t{1} << 30);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      ASSERT_TRUE((*target)->Write(key, *bytes).ok()) << to << ": " << key;
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
}

std::string IdOf(int n) {
  return absl::StrCat("00000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}

std::string FileIdOf(int n) {
  return absl::StrCat("10000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}

std::string MakeBundle(int n, const std::string& own, const std::string& salt) {
  bundle::BundleSpec spec;
  spec.debug_id = IdOf(n);
  const std::string own_url =
      absl::StrCat("~/static/", own.empty() ? absl::StrCat("own-", n) : own, ".js");
  for (const std::string& url : {std::string("~/static/app.js"), own_url}) {
    bundle::BundleFile file;
    file.url = url;
    file.content = absl::StrCat("// bundle ", n, " ", url, salt, "\n");
    file.debug_id = *DebugId::Parse(FileIdOf(n));
    spec.files.push_back(file);
  }
  spec.files[1].type = FileType::kSourceMap;
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

std::vector<std::string> Matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

std::vector<std::string> BundleIds(const std::string& json) {
  return Matches(json, "\"bundle_id\":\"([^\"]*)\"");
}

std::string FixturePath(const std::string& relative) {
  return std::string(ARTIDX_FIXTURES_DIR) + "/" + relative;
}

void WriteFileOrDie(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> LiveSegmentPaths(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = store::ListSegments(store::Layout(dir), dir);
  if (!names.ok()) {
    ADD_FAILURE() << dir << ": " << names.status();
    return {};
  }
  std::vector<std::string> paths;
  for (const std::string& name : *names) paths.push_back(dir + "/" + name);
  return paths;
}

std::string OnlySegmentPath(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) ADD_FAILURE() << dir << ": " << ec.message();
  if (names.size() != 1) {
    std::string listed;
    for (const std::string& n : names) listed += " " + n;
    ADD_FAILURE() << dir << " holds " << names.size() << " files, not one segment:" << listed;
    return names.empty() ? dir + "/<no segment>" : dir + "/" + names.front();
  }
  const std::string path = dir + "/" + names.front();
  EXPECT_EQ(names.front(), store::SegmentName(ReadFileOrDie(path)))
      << path << " is not named by the digest of its bytes";
  return path;
}

}  // namespace artidx::testing
