"""Security: input guard, rate limits, headers, local secrets, hardened servers."""
