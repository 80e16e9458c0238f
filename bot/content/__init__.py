"""Answer content: the dated facts file (bot/facts.yml), the response templates rendered
from it (bot/responses/ -> bot/domain/), the review gate and the Antwortkatalog.
Imports only quartierslotse.settings (and PyYAML)."""
