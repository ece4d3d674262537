"""Find a registered data file locally, or download it once into a cache, checking its bytes.

Resolution order for `fetch`:
1. a data directory (argument, else env `MISSDIFF_DATA_DIR`): the file must be at
   `<data_dir>/<folder>/<filename>` and match its checksum; nothing is downloaded;
2. the cache (argument, else env `MISSDIFF_CACHE_DIR`, else `~/.cache/missdiff`), same layout;
3. a download into the cache: written to a temporary file beside the target, checked (length,
   size, sha256), then renamed into place, so a failed transfer never leaves a file behind.

`MISSDIFF_DOWNLOAD_BASE` (or `base_url=`) replaces the public URL by
`<base>/<folder>/<filename>`: a mirror, or a local server in tests.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from missdiff.data.sources import SourceFile
from missdiff.errors import MissDiffError
from missdiff.files import atomic_path

ENV_DATA_DIR = "MISSDIFF_DATA_DIR"
ENV_CACHE_DIR = "MISSDIFF_CACHE_DIR"
ENV_DOWNLOAD_BASE = "MISSDIFF_DOWNLOAD_BASE"

_CHUNK = 1 << 16


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    """The data directory to use: the argument if given, else env MISSDIFF_DATA_DIR, else None."""
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else None


def default_cache_dir() -> Path:
    """Env MISSDIFF_CACHE_DIR, else ~/.cache/missdiff."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "missdiff"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(
    entry: SourceFile,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    *,
    base_url: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Path of a verified local copy of `entry` (see the module docstring for the order)."""
    root = resolve_data_dir(data_dir)
    if root is not None:
        return _from_data_dir(entry, root)

    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = cache / entry.folder / entry.filename
    if path.is_file():
        if sha256_of(path) == entry.sha256:
            return path
        # Our own cache holds a bad copy (edited, or from an older release): fetch it again.
        path.unlink()

    url = _url(entry, base_url)
    if url is None:
        raise MissDiffError(
            f"{entry.key} has no download URL; set data_dir or {ENV_DATA_DIR} to a folder "
            "holding it"
        )
    _download(url, path, entry, timeout)
    return path


def _from_data_dir(entry: SourceFile, root: Path) -> Path:
    path = root / entry.folder / entry.filename
    origin = f" (from {entry.url})" if entry.url else ""
    if not path.is_file():
        raise MissDiffError(
            f"data file {path} not found: put {entry.filename}{origin} there, or point data_dir / "
            f"{ENV_DATA_DIR} at a folder with {entry.key}, or unset both to download it"
        )
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise MissDiffError(
            f"data file {path} is corrupt (sha256 {actual[:12]}…, expected {entry.sha256[:12]}…): "
            f"replace it with the original{origin}"
        )
    return path


def _url(entry: SourceFile, base_url: str | None) -> str | None:
    base = base_url if base_url is not None else os.environ.get(ENV_DOWNLOAD_BASE)
    if base:
        return f"{base.rstrip('/')}/{entry.folder}/{entry.filename}"
    return entry.url


def _download(url: str, path: Path, entry: SourceFile, timeout: float) -> None:
    # The temporary file sits beside the target (one file system for the final rename) and is
    # renamed into place only once every check below has passed.
    with atomic_path(path, suffix=".part") as tmp:
        digest = hashlib.sha256()
        received = 0
        announced: int | None = None
        with tmp.open("wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "missdiff"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    announced = int(length) if length and length.isdigit() else None
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise MissDiffError(
                    f"download of {url} failed ({reason}); check the network or set data_dir / "
                    f"{ENV_DATA_DIR} to a folder holding {entry.key}"
                ) from None
        # http.client ends a short body silently, so compare with the announced length here.
        if announced is not None and received < announced:
            raise MissDiffError(
                f"download of {url} was cut off ({received} of {announced} bytes); retry, or set "
                f"data_dir / {ENV_DATA_DIR} to a folder holding {entry.key}"
            )
        if received != entry.size:
            raise MissDiffError(
                f"download of {url} gave {received} bytes, expected {entry.size}; retry, or set "
                f"data_dir / {ENV_DATA_DIR} to a folder holding a verified {entry.key}"
            )
        actual = digest.hexdigest()
        if actual != entry.sha256:
            raise MissDiffError(
                f"download of {url} failed its checksum (sha256 {actual[:12]}…, expected "
                f"{entry.sha256[:12]}…); set data_dir / {ENV_DATA_DIR} to a folder holding a "
                f"verified {entry.key}"
            )
