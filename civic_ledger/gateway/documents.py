"""The document store: the files whose hashes records carry, kept content-addressed.

A document lives at `<root>/<first 2 hex digits>/<64 hex digits>` of its keccak-256
(`core.documents.content_hash`, the hash a record's `evidenceHash` holds). A write goes to a
temporary file in the same folder, is fsynced, then renamed into place, so a reader never sees
half a document and a crash leaves at most a stray temporary file; writing a document that is
already there changes nothing. Who may write or read which document is the API's decision
(`routes_documents`), not the store's.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from civic_ledger.core.documents import content_hash
from civic_ledger.core.encoding import HEX32
from civic_ledger.core.exceptions import DocumentError


class DocumentStore:
    """Content-addressed files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, document: str) -> Path:
        """Where the document with hash `document` (0x + 64 hex) is kept."""
        if not HEX32.match(document):
            raise DocumentError(f"{document!r} is not a document hash (0x + 64 hex digits)")
        digits = document[2:].lower()
        return self.root / digits[:2] / digits

    def has(self, document: str) -> bool:
        return self.path_of(document).is_file()

    def put(self, document: str, data: bytes) -> bool:
        """Store `data` as `document` (its hash is checked); True if it was new."""
        actual = "0x" + content_hash(data).hex()
        if actual != document.lower():
            raise DocumentError(f"the document's keccak-256 is {actual}, not {document.lower()}")
        target = self.path_of(document)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True
