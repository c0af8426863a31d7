"""The bh host program."""
