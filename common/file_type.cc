#include "artidx/types.h"

namespace artidx {

std::string_view FileTypeName(FileType type) {
  switch (type) {
    case FileType::kSource:
      return "source";
    case FileType::kMinifiedSource:
      return "minified_source";
    case FileType::kSourceMap:
      return "source_map";
    case FileType::kIndexedRamBundle:
      return "indexed_ram_bundle";
  }
  return "unknown";
}

std::optional<FileType> ParseFileType(std::string_view name) {
  for (int i = 1; i <= kFileTypeCount; ++i) {
    auto type = static_cast<FileType>(i);
    if (FileTypeName(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace artidx
