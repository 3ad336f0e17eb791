"""DSPy modules and the machinery around them."""
