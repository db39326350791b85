"""Presentation helpers: French formatting, tables, charts, maps, note blocks."""
