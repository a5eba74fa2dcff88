from collections.abc import Buffer

def run(
    voters: int,
    offsets: Buffer,
    supporters: Buffer,
    costs: Buffer,
    ranks: Buffer,
    cardinality: bool,
    per_voter_budget: float,
    error: float,
    /,
) -> list[int] | None: ...
def last_failure() -> tuple[int, int, int, str] | None: ...
