#include "lookup/url_candidates.h"

namespace artidx::lookup {
namespace {

bool SameUrl(const UrlForm& a, const UrlForm& b) {
  if (a.prefix.size() + a.body.size() != b.prefix.size() + b.body.size()) return false;
  // Prefixes are "" or "~": compare with the prefix folded into the body's first byte.
  if (a.prefix.size() == b.prefix.size()) return a.prefix == b.prefix && a.body == b.body;
  const UrlForm& with = a.prefix.empty() ? b : a;
  const UrlForm& without = a.prefix.empty() ? a : b;
  return without.body.front() == '~' && without.body.substr(1) == with.body;
}

std::string_view WithoutQuery(std::string_view url) { return url.substr(0, url.find('?')); }

}  // namespace

int ExpandUrl(std::string_view abs_path, UrlForm out[kMaxUrlForms]) {
  std::string_view url = abs_path;
  if (url.starts_with("async ")) url.remove_prefix(6);
  url = url.substr(0, url.find('#'));

  std::string_view relative = url;
  if (relative.starts_with('~')) {
    relative.remove_prefix(1);
  } else if (size_t scheme = relative.find("://"); scheme != std::string_view::npos) {
    std::string_view rest = relative.substr(scheme + 3);
    size_t slash = rest.find('/');
    relative = slash == std::string_view::npos ? rest : rest.substr(slash);
  }
  const bool has_query = url.find('?') != std::string_view::npos;
  const UrlForm forms[kMaxUrlForms] = {
      {"", url},
      {"", has_query ? WithoutQuery(url) : std::string_view()},
      {"~", relative},
      {"~", has_query ? WithoutQuery(relative) : std::string_view()},
  };
  int n = 0;
  for (int i = 0; i < kMaxUrlForms; ++i) {
    if ((i == 1 || i == 3) && !has_query) continue;
    bool duplicate = false;
    for (int j = 0; j < n; ++j) duplicate = duplicate || SameUrl(out[j], forms[i]);
    if (!duplicate) out[n++] = forms[i];
  }
  return n;
}

}  // namespace artidx::lookup
