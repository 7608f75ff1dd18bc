"""artidx: look up JavaScript artifact bundles from Python.

The same C++ library as the artidx command line, through the extension module artidx._artidx:
Store (lookups), Candidate (their answers), Indexer (adds, removals, compaction, gc, rebuild),
make_bundle, and the exceptions Error, InvalidBundle, InvalidArgument, NotFound, DataLoss,
Unavailable. help(artidx.Store) and the README's "Python" section show how to use them.
"""

from artidx._artidx import (
    Candidate,
    DataLoss,
    Error,
    Indexer,
    InvalidArgument,
    InvalidBundle,
    NotFound,
    Store,
    Unavailable,
    __version__,
    make_bundle,
)

__all__ = [
    "__version__",
    "Candidate",
    "DataLoss",
    "Error",
    "Indexer",
    "InvalidArgument",
    "InvalidBundle",
    "NotFound",
    "Store",
    "Unavailable",
    "make_bundle",
]
