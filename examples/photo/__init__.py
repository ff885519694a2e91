"""The photo filter example: filter and format plugins in C behind capabilities (photo.py)."""
