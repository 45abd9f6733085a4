"""costlm: what it costs to train and to run a language model, as ranges with sources."""

__version__ = "0.1.0"
