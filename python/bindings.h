// bindings.h: the classes and functions of the extension module artidx._artidx, each group
// defined into the module by its own file: Store and Candidate (python/store_binding.cc),
// Indexer and make_bundle (python/indexer_binding.cc). python/module.cc makes the module, its
// exceptions (python/convert.h), and calls these.
//
// Thread safety: called once, at import, with the GIL held.

#ifndef ARTIDX_PYTHON_BINDINGS_H_
#define ARTIDX_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

namespace artidx::python {

// artidx.Store and artidx.Candidate.
void DefineStore(pybind11::module_& m);
// artidx.Indexer and artidx.make_bundle.
void DefineIndexer(pybind11::module_& m);

}  // namespace artidx::python

#endif  // ARTIDX_PYTHON_BINDINGS_H_
