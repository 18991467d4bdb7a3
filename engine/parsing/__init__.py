"""Turn a file into paragraph blocks that remember their page, heading path and line.

`parse_file` (dispatch) picks the format, one module per format, and enforces the limits;
`ParseWorker` (worker) runs it in a child process with a deadline.
"""

from engine.parsing.dispatch import is_supported, parse_file
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import DEFAULT_MAX_BYTES
from engine.parsing.worker import ParseWorker

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Block",
    "ParseWorker",
    "ParsedDocument",
    "is_supported",
    "parse_file",
]
