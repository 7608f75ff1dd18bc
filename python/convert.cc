#include "python/convert.h"

#include <pybind11/stl.h>

#include "common/strings.h"
#include "common/text.h"

namespace artidx::python {
// --- errors --------------------------------------------------------------------------------------

Exceptions exceptions;  // set once at import, kept for the life of the process

[[noreturn]] void Raise(PyObject* type, std::string_view message) {
  PyErr_SetString(type, OneLine(message).c_str());  // OneLine escapes NUL and bad UTF-8
  throw py::error_already_set();
}

[[noreturn]] void RaiseInvalid(std::string_view message) {
  Raise(exceptions.invalid_argument, message);
}

namespace {

PyObject* ExceptionFor(const absl::Status& status) {
  switch (GetErrorKind(status)) {
    case ErrorKind::kInvalidBundle:
      return exceptions.invalid_bundle;
    case ErrorKind::kInvalidArgument:
      return exceptions.invalid_argument;
    case ErrorKind::kNoSuchIndex:
    case ErrorKind::kArchiveMissing:
      return exceptions.not_found;
    case ErrorKind::kCorruptIndex:
    case ErrorKind::kEntryMissing:
      return exceptions.data_loss;
    case ErrorKind::kNone:
    case ErrorKind::kOther:
      break;
  }
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return exceptions.not_found;
    case absl::StatusCode::kDataLoss:
      return exceptions.data_loss;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return exceptions.unavailable;
    default:
      return exceptions.error;
  }
}

}  // namespace

// Raises the exception for a failed status; the caller holds the GIL.
void Check(const absl::Status& status) {
  if (!status.ok()) Raise(ExceptionFor(status), StdView(status.message()));
}

// --- conversions ---------------------------------------------------------------------------------

// Text the library returns is UTF-8 (the indexer refuses anything else); bytes that are not
// come through as lone surrogates, so that a damaged store gives a string, never an exception.
py::str Str(std::string_view s) {
  PyObject* o =
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::object OptStr(const std::optional<std::string_view>& s) {
  return s ? py::object(Str(*s)) : py::object(py::none());
}

py::list StrList(const std::vector<std::string>& items) {
  py::list out;
  for (const std::string& s : items) out.append(Str(s));
  return out;
}

// A str, bytes or os.PathLike as the bytes of a file system path (os.fsencode's).
std::string FsPath(py::handle path, const char* what) {
  PyObject* fspath = PyOS_FSPath(path.ptr());
  if (fspath == nullptr) throw py::error_already_set();
  py::object owned = py::reinterpret_steal<py::object>(fspath);
  if (PyUnicode_Check(fspath)) {
    PyObject* encoded = PyUnicode_EncodeFSDefault(fspath);
    if (encoded == nullptr) throw py::error_already_set();
    owned = py::reinterpret_steal<py::object>(encoded);
  }
  std::string out(PyBytes_AS_STRING(owned.ptr()),
                  static_cast<size_t>(PyBytes_GET_SIZE(owned.ptr())));
  if (out.empty()) RaiseInvalid(StrCat(what, " is empty"));
  if (out.find('\0') != std::string::npos) RaiseInvalid(StrCat(what, " contains a NUL byte"));
  return out;
}

// One name or a sequence of names: a lone str is one name, not a sequence of characters.
std::vector<std::string> Names(py::handle names, const char* what) {
  if (py::isinstance<py::str>(names)) return {names.cast<std::string>()};
  std::vector<std::string> out;
  bool ok = py::isinstance<py::iterable>(names) && !py::isinstance<py::bytes>(names);
  if (ok) {
    for (py::handle name : py::iter(names)) {
      ok = py::isinstance<py::str>(name);
      if (!ok) break;
      out.push_back(name.cast<std::string>());
    }
  }
  if (ok) return out;
  throw py::type_error(StrCat(what, ": expected a str or a sequence of str"));
}

// One path or a sequence of paths, as for Names.
std::vector<std::string> Paths(py::handle paths, const char* what) {
  if (py::isinstance<py::str>(paths) || py::isinstance<py::bytes>(paths) ||
      py::hasattr(paths, "__fspath__")) {
    return {FsPath(paths, what)};
  }
  std::vector<std::string> out;
  for (py::handle p : py::iter(paths)) out.push_back(FsPath(p, what));
  return out;
}

std::optional<FileType> TypeArg(const std::optional<std::string>& type) {
  if (!type) return std::nullopt;
  std::optional<FileType> parsed = ParseFileType(*type);
  if (!parsed) {
    RaiseInvalid(StrCat("unknown type \"", *type,
                        "\": expected source, minified_source, source_map or indexed_ram_bundle"));
  }
  return parsed;
}

// The CLI's range for --timestamp.
std::optional<int64_t> TimestampArg(const std::optional<int64_t>& ms) {
  constexpr int64_t kMax = int64_t{1} << 53;
  if (ms && (*ms < 0 || *ms > kMax)) {
    RaiseInvalid(StrCat("timestamp: expected milliseconds from 0 to ", kMax, ", got ", *ms));
  }
  return ms;
}

CacheOptions CacheArg(py::handle dir, int64_t max_bytes) {
  if (max_bytes < 0) RaiseInvalid(StrCat("cache_max_bytes must be >= 0, got ", max_bytes));
  CacheOptions cache;
  if (!dir.is_none()) cache.dir = FsPath(dir, "cache");
  cache.max_bytes = static_cast<uint64_t>(max_bytes);
  return cache;
}

}  // namespace artidx::python
