// binding_floor: the floor under any call into a pybind11 extension, for bench/python_bench.py.
// Floor.lookup_url has Store.lookup_url's signature (three str, keyword-only dist and type,
// converted as artidx._artidx converts them) and does nothing but return a new list of two
// objects made before, as a lookup returns a list of two Candidates. What a call of it costs,
// any method of a pybind11 binding costs before doing its work. python_bench.py compiles it
// with the system's pybind11 (python3-pybind11), as the package is.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <string_view>

namespace py = pybind11;

namespace {

struct Item {};  // stands for a Candidate: an instance of a bound class

struct Floor {
  py::object a = py::cast(Item{}), b = py::cast(Item{});

  py::list LookupUrl(std::string_view, std::string_view, std::string_view, std::string_view,
                     const std::optional<std::string>&) const {
    py::list out(2);
    out[0] = a;
    out[1] = b;
    return out;
  }
};

}  // namespace

PYBIND11_MODULE(binding_floor, m) {
  py::class_<Item>(m, "Item");
  py::class_<Floor>(m, "Floor")
      .def(py::init<>())
      .def("lookup_url", &Floor::LookupUrl, py::arg("project"), py::arg("release"), py::arg("url"),
           py::kw_only(), py::arg("dist") = "", py::arg("type") = py::none());
}
