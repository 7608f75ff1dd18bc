# Type stubs of the artidx package (its classes and functions live in artidx._artidx).
import os
from typing import Literal, Optional, Sequence, TypedDict, Union

__version__: str

StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
FileType = Literal["source", "minified_source", "source_map", "indexed_ram_bundle"]

class Error(Exception): ...
class InvalidBundle(Error): ...
class InvalidArgument(Error): ...
class NotFound(Error): ...
class DataLoss(Error): ...
class Unavailable(Error): ...

class CandidateDict(TypedDict):
    bundle_id: str
    timestamp: int
    url: str
    path: str
    type: FileType
    debug_id: Optional[str]
    sourcemap: Optional[str]

class BundleRow(TypedDict):
    bundle_id: str
    timestamp: int
    files: int

class BundlePage(TypedDict):
    bundles: list[BundleRow]
    next_cursor: Optional[str]

class Added(TypedDict):
    bundle: str
    bundle_id: str
    archive_sha1: str
    timestamp: int
    files: int
    debug_id_files: int
    outcome: str  # added, superseded_by_removal, superseded_by_add, replaced_in_this_add
    superseded_at: Optional[int]
    replaced_by: Optional[str]

class Kept(TypedDict):
    index: str
    timestamp: int

class Removed(TypedDict):
    bundle_id: str
    indexes: list[str]
    kept: list[Kept]
    archives_deleted: bool

class GcResult(TypedDict):
    dry_run: bool
    removed: list[str]
    orphans: list[str]
    chunks: int

class RecoveredOperation(TypedDict):
    reference: str
    segment: str
    operation: str

class SetAsideFile(TypedDict):
    file: str
    to: str
    problem: str

class LostOperation(TypedDict):
    file: str
    operation: str
    problem: str

class RebuildResult(TypedDict):
    dry_run: bool
    indexes: list[str]
    deleted: list[str]
    replayed: int
    recovered: list[RecoveredOperation]
    set_aside: list[SetAsideFile]
    lost: list[LostOperation]

class MadeBundle(TypedDict):
    bundle_id: str
    files: int

class Candidate:
    @property
    def bundle_id(self) -> str: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def type(self) -> FileType: ...
    @property
    def debug_id(self) -> Optional[str]: ...
    @property
    def sourcemap(self) -> Optional[str]: ...
    def to_dict(self) -> CandidateDict: ...

class Store:
    def __init__(
        self,
        store: StrPath,  # a directory, or "s3://BUCKET[/PREFIX]"
        *,
        cache: Optional[StrPath] = None,
        cache_max_bytes: int = 0,
        refresh_ms: int = 1000,
        max_open_indexes: int = 1024,
        verify_checksums: bool = True,
        max_file_bytes: int = 67108864,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    def lookup_url(
        self, project: str, release: str, url: str, *, dist: str = "", type: Optional[FileType] = None
    ) -> list[Candidate]: ...
    def lookup_debug_id(
        self, project: str, debug_id: str, *, type: Optional[FileType] = None
    ) -> list[Candidate]: ...
    def read_file(self, candidate: Candidate) -> bytes: ...
    def sourcemap_of(self, candidate: Candidate) -> Optional[Candidate]: ...
    def list_bundles(
        self,
        project: str,
        release: Optional[str] = None,
        dist: str = "",
        *,
        since: Optional[int] = None,
        until: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> BundlePage: ...
    def verify(self) -> list[str]: ...

class Indexer:
    def __init__(
        self,
        store: StrPath,  # a directory, or "s3://BUCKET[/PREFIX]"
        *,
        cache: Optional[StrPath] = None,
        cache_max_bytes: int = 0,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    def add(
        self,
        paths: Union[StrPath, Sequence[StrPath]],
        *,
        projects: Union[str, Sequence[str]],
        release: Optional[str] = None,
        dist: str = "",
        timestamp: Optional[int] = None,
        bundle_id: Optional[str] = None,
        max_entries: Optional[int] = None,
        max_manifest_bytes: Optional[int] = None,
    ) -> list[Added]: ...
    def remove(
        self,
        bundle_id: str,
        *,
        projects: Union[str, Sequence[str], None] = None,
        timestamp: Optional[int] = None,
    ) -> Removed: ...
    def compact(self, project: Optional[str] = None) -> None: ...
    def gc(self, max_age_days: float, keep_newest: int = 0, dry_run: bool = False) -> GcResult: ...
    def hold(self, bundle_id: str) -> None: ...
    def unhold(self, bundle_id: str) -> None: ...
    def rebuild(self, *, dry_run: bool = False) -> RebuildResult: ...

def make_bundle(
    directory: StrPath,
    output: StrPath,
    *,
    url_prefix: str = "~/",
    attributes: Optional[dict[str, str]] = None,
    bundle_id: Optional[str] = None,
) -> MadeBundle: ...
