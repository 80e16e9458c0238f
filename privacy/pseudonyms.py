"""Sender pseudonyms: the one way a conversation id becomes a statistics key.

Insight stores conversations under `pseudonym(salt, sender_id)`; the retention job computes the
same value to erase one person's statistics on request. The salt is the configured
`QL_INSIGHT_SALT`, else a random one insight keeps in its `insight_state` table.
"""

from __future__ import annotations

import hashlib

PSEUDONYM_LENGTH = 32


def pseudonym(salt: str, sender_id: str) -> str:
    """A stable, non-reversible key for `sender_id` under `salt`."""
    return hashlib.sha256(salt.encode() + sender_id.encode()).hexdigest()[:PSEUDONYM_LENGTH]
