"""Minga: the institutions of a Partner State, run together by a territory's government and its
civil society."""

__version__ = "0.1.0"
