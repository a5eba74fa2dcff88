"""Pure-Python voting: the pabulib and BLT formats, participatory-budgeting rules and STV.

Never imports Django or any other minga package (an import-linter contract checks it)."""
