"""The built-in lessons: one preset file (TOML) per lesson, found with importlib.resources."""
