"""fetch(): data-dir lookup, caching, and downloads from a real local HTTP server that can
serve good, wrong or truncated bytes. A failed download must leave no file behind."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from missdiff.data.download import fetch
from missdiff.data.sources import SOURCES, SourceFile
from missdiff.errors import MissDiffError

PAYLOAD = b"1,2,3\n4,5,6\n" * 500
GOOD = SourceFile("toy", "good.csv", None, hashlib.sha256(PAYLOAD).hexdigest(), len(PAYLOAD))


class _Server:
    """Serves `files[path] = bytes`; paths under /truncated/ announce the full length, send
    half the bytes and close the connection."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path.startswith("/truncated/"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[_Server]:
    with _Server() as s:
        yield s


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own data dir / cache / mirror must not change what these tests see.
    for var in ("MISSDIFF_DATA_DIR", "MISSDIFF_CACHE_DIR", "MISSDIFF_DOWNLOAD_BASE"):
        monkeypatch.delenv(var, raising=False)


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_download_is_cached_and_not_repeated(server, tmp_path):
    server.files["/toy/good.csv"] = PAYLOAD
    cache = tmp_path / "cache"
    path = fetch(GOOD, None, cache, base_url=server.base)
    assert path == cache / "toy" / "good.csv" and path.read_bytes() == PAYLOAD
    assert server.hits == ["/toy/good.csv"]
    assert fetch(GOOD, None, cache, base_url=server.base) == path
    assert server.hits == ["/toy/good.csv"]  # the second fetch came from the cache
    assert _leftovers(cache) == [path]  # no temporary file left


def test_env_base_and_cache_dir(server, tmp_path, monkeypatch):
    server.files["/toy/good.csv"] = PAYLOAD
    monkeypatch.setenv("MISSDIFF_DOWNLOAD_BASE", server.base + "/")
    monkeypatch.setenv("MISSDIFF_CACHE_DIR", str(tmp_path / "envcache"))
    path = fetch(GOOD, None, None)
    assert path == tmp_path / "envcache" / "toy" / "good.csv"


def test_corrupt_cache_entry_is_fetched_again(server, tmp_path):
    server.files["/toy/good.csv"] = PAYLOAD
    stale = tmp_path / "toy" / "good.csv"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    assert fetch(GOOD, None, tmp_path, base_url=server.base).read_bytes() == PAYLOAD
    assert len(server.hits) == 1


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    wrong = bytearray(PAYLOAD)
    wrong[0] ^= 1  # same length, other bytes
    server.files["/toy/good.csv"] = bytes(wrong)
    with pytest.raises(MissDiffError) as exc:
        fetch(GOOD, None, tmp_path, base_url=server.base)
    message = str(exc.value)
    assert "checksum" in message and "\n" not in message and "/toy/good.csv" in message
    assert _leftovers(tmp_path) == []


def test_wrong_size_leaves_no_file(server, tmp_path):
    server.files["/toy/good.csv"] = PAYLOAD + b"extra"
    with pytest.raises(MissDiffError, match="bytes, expected"):
        fetch(GOOD, None, tmp_path, base_url=server.base)
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_leaves_no_file(server, tmp_path):
    server.files["/truncated/toy/good.csv"] = PAYLOAD
    with pytest.raises(MissDiffError) as exc:
        fetch(GOOD, None, tmp_path, base_url=server.base + "/truncated")
    message = str(exc.value)
    assert "cut off" in message and "\n" not in message
    assert _leftovers(tmp_path) == []


def test_http_error_and_unreachable_server(server, tmp_path):
    with pytest.raises(MissDiffError, match="404"):
        fetch(GOOD, None, tmp_path, base_url=server.base)
    assert _leftovers(tmp_path) == []
    port = server.httpd.server_address[1]
    server.httpd.shutdown()
    server.httpd.server_close()
    with pytest.raises(MissDiffError, match="failed"):
        fetch(GOOD, None, tmp_path, base_url=f"http://127.0.0.1:{port}", timeout=5)
    assert _leftovers(tmp_path) == []


def test_data_dir_wins_and_never_downloads(server, tmp_path):
    server.files["/toy/good.csv"] = PAYLOAD
    data_dir = tmp_path / "data"
    with pytest.raises(MissDiffError) as exc:
        fetch(GOOD, data_dir, tmp_path / "cache", base_url=server.base)
    assert str(data_dir / "toy" / "good.csv") in str(exc.value)
    assert server.hits == []
    (data_dir / "toy").mkdir(parents=True)
    (data_dir / "toy" / "good.csv").write_bytes(PAYLOAD)
    assert fetch(GOOD, data_dir, tmp_path / "cache") == data_dir / "toy" / "good.csv"
    assert server.hits == [] and not (tmp_path / "cache").exists()


def test_registry_entries_are_well_formed():
    for key, entry in SOURCES.items():
        assert key == f"{entry.folder}/{entry.filename}"
        assert len(entry.sha256) == 64 and entry.size > 0
        assert entry.url is None or entry.url.startswith("https://")
    wdbc = SOURCES["breast_diagnostic/breast-cancer-wisconsin-diagnostic.data"]
    assert wdbc.url.endswith("/wdbc.data") and not wdbc.upstream_checked
    assert SOURCES["adult/adult.data"].url.endswith("/adult/adult.data")
