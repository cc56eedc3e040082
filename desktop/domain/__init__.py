"""Pure analytics core: canonical tables in, figures out. Never imports Qt."""
