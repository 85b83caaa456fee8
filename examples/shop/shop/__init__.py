"""A small online shop API, used to demonstrate asynclint."""
