"""Mail: rendering from templates (`render`), MIME composition (`compose`), and delivery.

The public rendering and composition API is re-exported here; delivery backends live in their
own modules of this package.
"""

from aduan_sync.mail.compose import (
    build_email,
    check_address,
    clean_header_text,
    compose_bytes,
    message_id_for,
)
from aduan_sync.mail.render import (
    CITIZEN_KINDS,
    KINDS,
    STAFF_KINDS,
    Rendered,
    make_environment,
    render_draft,
    render_formulir,
    render_message,
)

__all__ = [
    "CITIZEN_KINDS",
    "KINDS",
    "STAFF_KINDS",
    "Rendered",
    "build_email",
    "check_address",
    "clean_header_text",
    "compose_bytes",
    "make_environment",
    "message_id_for",
    "render_draft",
    "render_formulir",
    "render_message",
]
