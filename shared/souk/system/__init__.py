"""System routes' logic: health, version, the OpenAPI document and its UI."""
