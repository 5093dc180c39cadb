"""Fixtures every suite shares: `jejak.testing`, registered as a plugin (pytest reads
`pytest_plugins` only in a conftest it loads at start-up, as it does this one)."""

pytest_plugins = ["jejak.testing"]
