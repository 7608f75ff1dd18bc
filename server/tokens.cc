#include "server/tokens.h"

#include <algorithm>

#include "common/file.h"
#include "common/names.h"
#include "common/strings.h"

namespace artidx::server {
namespace {

constexpr size_t kMaxTokenBytes = 512;

// Equality of `secret` and `presented` in time that depends on their lengths only.
bool ConstantTimeEqual(std::string_view secret, std::string_view presented) {
  const size_t n = std::max(secret.size(), presented.size());
  unsigned diff = secret.size() != presented.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = i < secret.size() ? secret[i] : 0;
    const unsigned char b = i < presented.size() ? presented[i] : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

// The pieces of `text` between the `sep` characters.
std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (size_t i = 0;;) {
    const size_t end = text.find(sep, i);
    out.push_back(text.substr(i, end == std::string_view::npos ? end : end - i));
    if (end == std::string_view::npos) return out;
    i = end + 1;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

absl::StatusOr<Tokens> Tokens::Parse(std::string_view text, std::string_view name) {
  Tokens out;
  int line_number = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_number;
    auto fail = [&](std::string_view what) {
      return absl::InvalidArgumentError(StrCat(name, ":", line_number, ": ", what));
    };
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t end = 0;
    while (end < line.size() && !IsSpace(line[end])) ++end;
    const std::string_view token = line.substr(0, end);
    std::string_view projects = line.substr(end);
    while (!projects.empty() && IsSpace(projects.front())) projects.remove_prefix(1);
    if (token.size() > kMaxTokenBytes) return fail("token longer than 512 bytes");
    for (char c : token) {
      if (c < 0x21 || c > 0x7E) return fail("a token is printable ASCII without spaces");
    }
    bool write = false;
    if (size_t space = projects.find_first_of(" \t"); space != std::string_view::npos) {
      std::string_view word = projects.substr(space);
      while (!word.empty() && IsSpace(word.front())) word.remove_prefix(1);
      if (word != "write") return fail("expected TOKEN PROJECT[,PROJECT...] [write]");
      write = true;
      projects = projects.substr(0, space);
    }
    if (projects.empty()) return fail("expected TOKEN PROJECT[,PROJECT...] or TOKEN *");
    for (const Entry& e : out.entries_) {
      if (e.token == token) return fail("token given twice");
    }
    Entry entry;
    entry.token = std::string(token);
    entry.write = write;
    if (projects == "*") {
      entry.any_project = true;
    } else {
      for (std::string_view project : Split(projects, ',')) {
        if (absl::Status s = ValidateProject(project); !s.ok()) {
          return fail(StrCat("invalid project \"", project.substr(0, 80), "\""));
        }
        entry.projects.emplace_back(project);
      }
    }
    out.entries_.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<Tokens> Tokens::Load(const std::string& path) {
  absl::StatusOr<std::string> text = common::ReadFile(path, uint64_t{16} << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const Tokens::Entry* Tokens::Find(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return nullptr;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != kScheme[i]) return nullptr;
  }
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  if (presented.empty() || presented.size() > kMaxTokenBytes) return nullptr;
  // Every token is compared, whichever matches.
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (ConstantTimeEqual(e.token, presented)) match = &e;
  }
  return match;
}

Tokens::Access Tokens::Check(std::string_view authorization, std::string_view project,
                             bool write) const {
  const Entry* match = Find(authorization);
  if (match == nullptr) return Access::kUnauthenticated;
  if (write && !match->write) return Access::kForbidden;
  if (match->any_project) return Access::kAllowed;
  for (const std::string& p : match->projects) {
    if (p == project) return Access::kAllowed;
  }
  return Access::kForbidden;
}

Tokens::Access Tokens::CheckWrite(std::string_view authorization,
                                  const std::vector<std::string>& projects) const {
  const Entry* match = Find(authorization);
  if (match == nullptr) return Access::kUnauthenticated;
  if (!match->write) return Access::kForbidden;
  for (const std::string& p : projects) {
    if (Check(authorization, p, true) != Access::kAllowed) return Access::kForbidden;
  }
  return Access::kAllowed;
}

}  // namespace artidx::server
