// artidx's Python package: the extension module artidx._artidx, which python/artidx/__init__.py
// re-exports. It links the library the CLI links (indexer, lookup, store) and only converts
// arguments and results and maps errors, as the CLI (cli/) does for the command line: results are
// the objects the CLI's --json prints, errors carry the one-line message the CLI prints.
//
// The bindings are split by subject: errors and conversions (python/convert.h), Store and
// Candidate (python/store_binding.cc), Indexer and make_bundle (python/indexer_binding.cc).
//
// Threads: every call into the library runs with the GIL released; artidx::Store is
// thread-safe and artidx::Indexer immutable, so one Store or Indexer may serve many threads. A
// Candidate holds the index it was found in (shared), which keeps its views valid.

#include <pybind11/pybind11.h>

#include <string>

#include "common/strings.h"
#include "python/bindings.h"
#include "python/convert.h"

namespace artidx::python {
namespace {

PyObject* NewException(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string qualified = StrCat("artidx.", name);
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // the module takes a reference; ours stays
  return type;
}

constexpr char kModuleDoc[] = R"(artidx: look up JavaScript artifact bundles from Python.

The same library as the artidx command line: Store finds the bundles, newest first, and the
exact archive entries that hold a stack frame's file or a debug id; Indexer adds bundles to a
store and removes them; make_bundle makes a bundle from a directory as sentry-cli does. Results
the command line prints with --json are the same dicts here; errors are artidx.Error and its
subclasses, with the one-line message the command line prints.

    store = artidx.Store("/var/lib/artidx")
    for c in store.lookup_url("web", "shop@2.4.0", "https://cdn.example/js/app.min.js"):
        source = store.read_file(c)
)";

}  // namespace
}  // namespace artidx::python

PYBIND11_MODULE(_artidx, m) {
  using namespace artidx::python;  // NOLINT: the module's definitions
  m.doc() = kModuleDoc;
  // Classes and functions defined below take their __module__ (and their signatures' names)
  // from the module's name: "artidx", where users import them from.
  m.attr("__name__") = "artidx";
  m.attr("__version__") = ARTIDX_VERSION;

  exceptions.error = NewException(
      m, "Error", "Any error artidx reports; str(e) is the message the command line prints.",
      PyExc_Exception);
  exceptions.invalid_bundle = NewException(
      m, "InvalidBundle",
      "A bundle given to Indexer.add is not one artidx accepts (not a zip archive, a bad "
      "manifest, past a limit); nothing was added.",
      exceptions.error);
  exceptions.invalid_argument =
      NewException(m, "InvalidArgument",
                   "A bad argument: a name, debug id, type, timestamp or option out of range.",
                   exceptions.error);
  exceptions.not_found = NewException(
      m, "NotFound",
      "What was asked for does not exist: a bundle file, a bundle the store has no record of, an "
      "archive the index names but the store no longer has.",
      exceptions.error);
  exceptions.data_loss = NewException(
      m, "DataLoss",
      "A file of the store failed its checks (an index segment, or an archive without the entry "
      "its index names); the message names the file. Indexer.rebuild restores indexes.",
      exceptions.error);
  exceptions.unavailable = NewException(
      m, "Unavailable", "The store could not be reached; the call may succeed if repeated.",
      exceptions.error);

  DefineStore(m);
  DefineIndexer(m);

  m.attr("__name__") = "artidx._artidx";
}
