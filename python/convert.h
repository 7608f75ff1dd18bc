// convert.h: what every binding of the extension module artidx._artidx shares: the exception
// types (artidx.Error and its subclasses, made at import by python/module.cc), the mapping of a
// library Status to one of them with the one-line message the CLI prints, and the conversions
// of arguments (paths, names, types, timestamps) and results (text that may hold bytes that are
// not UTF-8) between Python and the library.
//
// Thread safety: every function here touches Python objects: call with the GIL held.
// `exceptions` is written once, at import, and only read after.

#ifndef ARTIDX_PYTHON_CONVERT_H_
#define ARTIDX_PYTHON_CONVERT_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "artidx/types.h"

namespace artidx::python {

namespace py = pybind11;

struct Exceptions {
  PyObject* error;
  PyObject* invalid_bundle;
  PyObject* invalid_argument;
  PyObject* not_found;
  PyObject* data_loss;
  PyObject* unavailable;
};
extern Exceptions exceptions;  // set once at import, kept for the life of the process

// Raises `type` with `message` made one printable line.
[[noreturn]] void Raise(PyObject* type, std::string_view message);
// Raises artidx.InvalidArgument.
[[noreturn]] void RaiseInvalid(std::string_view message);
// Raises the exception for a failed status; the caller holds the GIL.
void Check(const absl::Status& status);

// Text the library returns as a str (bytes that are not UTF-8 as lone surrogates).
py::str Str(std::string_view s);
// The same, or None.
py::object OptStr(const std::optional<std::string_view>& s);
py::list StrList(const std::vector<std::string>& items);
// A str, bytes or os.PathLike as the bytes of a file system path (os.fsencode's).
std::string FsPath(py::handle path, const char* what);
// One name or a sequence of names: a lone str is one name, not a sequence of characters.
std::vector<std::string> Names(py::handle names, const char* what);
// One path or a sequence of paths, as for Names.
std::vector<std::string> Paths(py::handle paths, const char* what);
// A file type's name ("source", ...), or nullopt for any type.
std::optional<FileType> TypeArg(const std::optional<std::string>& type);
// A timestamp in the CLI's range for --timestamp.
std::optional<int64_t> TimestampArg(const std::optional<int64_t>& ms);
// Where a store on S3 keeps its local copies: `dir` a path, or None for the default directory;
// `max_bytes` at least 0 (0: no limit).
CacheOptions CacheArg(py::handle dir, int64_t max_bytes);

}  // namespace artidx::python

#endif  // ARTIDX_PYTHON_CONVERT_H_
