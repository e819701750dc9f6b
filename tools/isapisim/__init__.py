"""A fake Hikvision access-control terminal speaking ISAPI (docs/hikvision.md)."""
