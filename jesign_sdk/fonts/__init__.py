"""Fonts shipped with the SDK: Jesign Sans (JesignSans.ttf), a subset of DejaVu Sans for visible signatures.

Made by tools/make_sdk_font.py; its licence is LICENSE-DejaVu.txt beside it.
"""
