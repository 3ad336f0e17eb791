"""Typed DSPy signatures: one prompt per step of the recipe."""
