"""Turn results into rows, text and files; never computes an estimate."""
