"""The platform's admin settings: one versioned document, a section per area (API.md)."""
